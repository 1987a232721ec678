//! Payloads of the release records: a signed release (`release`), a signature or provenance
//! check (`signature-check`: DSSE, Sigstore, CMS, TUF, an in-toto layout, a device identity),
//! and a registered device identity (`device-identity`).
//!
//! A signature check says what it verified, what failed and what it could not check; a check
//! with anything left unchecked is never [`CheckOutcome::Verified`].

use super::Payload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A file by name and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// File name.
    pub name: String,
    /// Lowercase hex SHA-256 of its bytes.
    pub sha256: String,
}

/// A release signed by `otproof release sign`: a DSSE envelope over an in-toto statement whose
/// subject is the artifact (the record's subject names the artifact and its digest; the
/// envelope and the SBOM are its attachments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseStatement {
    /// SHA-256 (hex) of the DSSE envelope as written.
    pub envelope_sha256: String,
    /// Key id of the signing key.
    pub key_id: String,
    /// Size of the artifact in bytes.
    pub artifact_size: u64,
    /// The release's SBOM, when one was given.
    #[serde(default)]
    pub sbom: Option<FileRef>,
    /// Evidence record IDs named in the statement (checked against the store when signed).
    #[serde(default)]
    pub evidence: Vec<String>,
}

impl Payload for ReleaseStatement {
    const NAME: &'static str = "release";
    const VERSION: u32 = 1;
}

/// How a signature or provenance was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureMethod {
    /// A DSSE envelope with an in-toto statement, against trusted public keys.
    Dsse,
    /// A Sigstore bundle, offline, against a trusted root.
    Sigstore,
    /// A detached CMS / PKCS#7 signature, against trust anchors.
    Cms,
    /// A TUF repository's target, from a trusted root.
    Tuf,
    /// An in-toto (v0.9) layout and its links.
    InTotoLayout,
    /// A vendor-signed device identity (and data signed by the device).
    Identity,
}

impl SignatureMethod {
    /// The name people read (`DSSE`, `Sigstore` ...).
    pub fn label(self) -> &'static str {
        match self {
            SignatureMethod::Dsse => "DSSE",
            SignatureMethod::Sigstore => "Sigstore",
            SignatureMethod::Cms => "CMS",
            SignatureMethod::Tuf => "TUF",
            SignatureMethod::InTotoLayout => "in-toto layout",
            SignatureMethod::Identity => "identity",
        }
    }
}

/// The outcome of a signature check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CheckOutcome {
    /// Every check passed and nothing was left unchecked.
    Verified,
    /// A check failed.
    Failed {
        /// The check that failed (`signature`, `digest`, `certificate chain` ...).
        check: String,
        /// Why, precisely.
        reason: String,
    },
    /// Every check that was made passed, but some could not be made (listed in
    /// `not_checked`): not a pass.
    Incomplete,
}

/// A signed release statement's claims, as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseClaim {
    /// Product named in the statement.
    pub product: String,
    /// Version named in the statement.
    pub version: String,
    /// Creation time the signer wrote (a claim, not a trusted time).
    pub created: String,
    /// The SBOM the statement names.
    #[serde(default)]
    pub sbom: Option<FileRef>,
    /// Evidence record IDs the statement names.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// What the check found, per method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SignatureDetail {
    /// A DSSE envelope with an in-toto statement.
    Dsse {
        /// The statement's predicate type.
        predicate_type: String,
        /// The statement's subject that matched the artifact.
        subject_name: String,
        /// The release predicate, when the statement is an otproof release.
        #[serde(default)]
        release: Option<ReleaseClaim>,
    },
    /// A Sigstore bundle.
    Sigstore {
        /// Certificate SAN (e-mail or URI).
        #[serde(default)]
        identity: Option<String>,
        /// OIDC issuer.
        #[serde(default)]
        issuer: Option<String>,
        /// Transparency log index.
        #[serde(default)]
        log_index: Option<i64>,
        /// Integrated time (Unix seconds) of the log entry, when the log states one.
        #[serde(default)]
        integrated_time: Option<i64>,
    },
    /// A CMS / PKCS#7 signature.
    Cms {
        /// Signer certificate subject (RFC 4514).
        signer_subject: String,
        /// Signer certificate serial (hex).
        signer_serial: String,
        /// The signed signingTime attribute (a claim of the signer).
        #[serde(default)]
        signing_time: Option<String>,
        /// Certificate subjects from the signer to the trust anchor.
        chain: Vec<String>,
    },
    /// A TUF target.
    Tuf {
        /// Target name.
        target: String,
        /// Length from the signed metadata.
        length: u64,
        /// SHA-256 from the signed metadata.
        sha256: String,
        /// Root version after rotation.
        root_version: u64,
        /// Targets metadata version.
        targets_version: u64,
    },
    /// An in-toto layout.
    InTotoLayout {
        /// Owner key ids whose signatures verified.
        owner_key_ids: Vec<String>,
        /// Layout expiry.
        expires: String,
        /// Number of steps.
        steps: usize,
        /// Non-fatal findings (command mismatches).
        #[serde(default)]
        warnings: Vec<String>,
    },
    /// A device identity.
    Identity {
        /// Device or agent name.
        name: String,
        /// Product.
        product: String,
        /// Serial number.
        serial: String,
        /// Vendor.
        vendor: String,
        /// Key id of the registered device key.
        device_key_id: String,
        /// Issue time the vendor wrote (a claim).
        issued: String,
        /// Data verified as signed by the device, if any.
        #[serde(default)]
        data: Option<SignedData>,
    },
}

/// An envelope verified as signed by a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedData {
    /// The envelope's file name.
    pub file: String,
    /// Its payload type.
    pub payload_type: String,
    /// Payload size in bytes.
    pub size: u64,
}

/// A signature or provenance check made by otproof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureCheck {
    /// How it was checked.
    pub method: SignatureMethod,
    /// Verified, failed (with the check and the reason), or incomplete.
    pub outcome: CheckOutcome,
    /// The artifact (or signed document) checked, by name and digest.
    #[serde(default)]
    pub artifact: Option<FileRef>,
    /// Who signed, as established by the check (key id, certificate subject or SAN, device
    /// name); absent when the check failed before it was established.
    #[serde(default)]
    pub signer: Option<String>,
    /// What was verified, in words, in order.
    #[serde(default)]
    pub checked: Vec<String>,
    /// What could not be checked, in words.
    #[serde(default)]
    pub not_checked: Vec<String>,
    /// What was found, per method.
    #[serde(default)]
    pub detail: Option<SignatureDetail>,
}

impl SignatureCheck {
    /// Whether this is a full pass: verified, nothing left unchecked.
    pub fn passed(&self) -> bool {
        self.outcome == CheckOutcome::Verified && self.not_checked.is_empty()
    }
}

impl Payload for SignatureCheck {
    const NAME: &'static str = "signature-check";
    const VERSION: u32 = 1;
}

/// A device or agent key bound to a product and serial by a vendor-signed identity statement
/// (`otproof identity register`; the signed statement is the record's attachment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceIdentity {
    /// Device or agent name.
    pub name: String,
    /// Serial number.
    pub serial: String,
    /// Key id of the device key.
    pub device_key_id: String,
    /// Key id of the vendor key that signed.
    pub vendor_key_id: String,
}

impl Payload for DeviceIdentity {
    const NAME: &'static str = "device-identity";
    const VERSION: u32 = 1;
}
