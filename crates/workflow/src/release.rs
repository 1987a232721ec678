//! Use cases of signed releases: sign a release and record its statement, verify an artifact
//! (DSSE, Sigstore, CMS, TUF), an in-toto layout or a device identity and record the check,
//! register a device identity, and approve an update from the evidence in the store.
//!
//! A check that fails is a typed outcome ([`CheckOutcome::Failed`], with the check and the
//! reason); malformed input is an error ([`ReleaseError`]) that names the file and what was
//! expected; a check that could not look at everything is [`CheckOutcome::Incomplete`], never
//! a pass. Nothing is recorded from malformed input.

use crate::records::{self, append_idempotent, attach_bytes, media_type_of, RecordsError};
use otproof_assess::update::{
    decide, CampaignFindings, EvidenceFact, SbomChange, SignatureFact, UpdatePolicy, UpdateRequest,
    Version, VersionError,
};
use otproof_evidence::payload::campaign::{Behaviour, CampaignVerdict, RobustnessCampaign};
use otproof_evidence::payload::release::{
    CheckOutcome, DeviceIdentity, FileRef, ReleaseClaim, ReleaseStatement, SignatureCheck,
    SignatureDetail, SignatureMethod, SignedData,
};
use otproof_evidence::payload::update::{
    IntroducedVulnerability, SbomDifference, UpdateDecision, VulnSeverity,
};
use otproof_evidence::payload::{Payload, PayloadError};
use otproof_evidence::{
    Artifact, Body, Decision, Evidence, EvidenceKind, FindingStatus, Record, RecordId,
    Sha256Digest, Subject,
};
use otproof_sign::dsse::Envelope;
use otproof_sign::identity::IdentityStatement;
use otproof_sign::intoto::{self, ReleasePredicate, SbomRef};
use otproof_sign::keys::{self, VerifyingKey};
use otproof_sign::SignError;
use otproof_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why a release use case could not run (malformed or unreadable input, a store failure).
/// A signature that does not verify is not an error: it is a [`CheckOutcome::Failed`].
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// A file could not be read.
    #[error("cannot read {what} {}: {cause}", path.display())]
    Read {
        /// What the file was meant to be.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// A file is not what it should be.
    #[error("{}: {reason} (expected {expected})", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What it should be.
        expected: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A signed document (envelope, layout, identity, link folder) is malformed.
    #[error("{}: malformed: {cause}", path.display())]
    MalformedSigned {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        cause: SignError,
    },
    /// A Sigstore bundle or trusted root is malformed.
    #[error("{}: malformed: {cause}", path.display())]
    MalformedSigstore {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        cause: otproof_sigstore::SigstoreError,
    },
    /// A CMS signature or trust anchor is malformed.
    #[error("{}: malformed: {cause}", path.display())]
    MalformedCms {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        cause: otproof_cms::CmsError,
    },
    /// A TUF repository or root is malformed or unreadable.
    #[error("{}: malformed: {cause}", path.display())]
    MalformedTuf {
        /// The repository.
        path: PathBuf,
        /// What the reader said.
        cause: otproof_tuf::TufError,
    },
    /// A private key cannot be used (unreadable, wrong format, readable by others).
    #[error("{}: {cause}", path.display())]
    PrivateKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        cause: SignError,
    },
    /// A time is not RFC 3339.
    #[error("time {value}: {reason} (expected RFC 3339)")]
    Time {
        /// What was given.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A cited evidence record is not in the store.
    #[error("evidence {id}: not in the store: {cause}")]
    EvidenceNotFound {
        /// The ID as given.
        id: String,
        /// What the store said.
        cause: StoreError,
    },
    /// Evidence was cited but there is no store to check it against.
    #[error(
        "evidence {id}: no store to check it against (run inside a store made by `otproof init`)"
    )]
    NoStore {
        /// The ID as given.
        id: String,
    },
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The vulnerability database cannot be used.
    #[error("vulnerability database {}: {cause}", path.display())]
    VulnDb {
        /// The database file.
        path: PathBuf,
        /// Why.
        cause: otproof_vulndb::DbError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Attaching or appending failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// A payload could not be written.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// A version cannot be ordered.
    #[error("{flag}: {cause}")]
    Version {
        /// The option that gave it.
        flag: &'static str,
        /// Why.
        cause: VersionError,
    },
    /// Input the decision needs is missing (nothing was decided or recorded).
    #[error("{0}")]
    Missing(String),
}

type Result<T> = std::result::Result<T, ReleaseError>;

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    crate::input::read(path, what).map_err(|cause| ReleaseError::Read {
        what,
        path: path.to_path_buf(),
        cause,
    })
}

fn read_text(path: &Path, what: &'static str, expected: &'static str) -> Result<String> {
    String::from_utf8(read(path, what)?).map_err(|_| ReleaseError::Malformed {
        path: path.to_path_buf(),
        expected,
        reason: "not UTF-8 text".into(),
    })
}

/// SHA-256 and size of a file, read in pieces (firmware images can be large).
pub fn sha256_file(path: &Path) -> Result<(Sha256Digest, u64)> {
    use std::io::Read;
    let err = |cause| ReleaseError::Read {
        what: "artifact",
        path: path.to_path_buf(),
        cause,
    };
    let (mut f, _) = crate::input::open(path).map_err(err)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(err)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((Sha256Digest(h.finalize().into()), n))
}

/// Trusted public keys (SPKI PEM, Ed25519 or P-256).
pub fn public_keys(paths: &[PathBuf]) -> Result<Vec<VerifyingKey>> {
    const EXPECTED: &str = "an SPKI \"PUBLIC KEY\" PEM, Ed25519 or P-256";
    paths
        .iter()
        .map(|p| {
            let text = read_text(p, "public key", EXPECTED)?;
            VerifyingKey::from_pem(&text).map_err(|e| ReleaseError::Malformed {
                path: p.clone(),
                expected: EXPECTED,
                reason: format!("not a public key: {e}"),
            })
        })
        .collect()
}

fn envelope(path: &Path) -> Result<Envelope> {
    Envelope::from_json(&read(path, "envelope")?).map_err(|e| ReleaseError::Malformed {
        path: path.to_path_buf(),
        expected: "a DSSE envelope (JSON)",
        reason: e.to_string(),
    })
}

fn private_key(path: &Path) -> Result<keys::SigningKey> {
    keys::read_private_key(path).map_err(|cause| ReleaseError::PrivateKey {
        path: path.to_path_buf(),
        cause,
    })
}

fn read_sbom(path: &Path) -> Result<(Vec<u8>, otproof_sbom::Document)> {
    let bytes = read(path, "SBOM")?;
    let doc = otproof_sbom::parse(&bytes).map_err(|e| ReleaseError::Malformed {
        path: path.to_path_buf(),
        expected: "a CycloneDX or SPDX SBOM",
        reason: format!("not a readable SBOM: {e}"),
    })?;
    Ok((bytes, doc))
}

fn rfc3339_seconds(value: &str) -> Result<i64> {
    use std::str::FromStr as _;
    jiff::Timestamp::from_str(value)
        .map(|t| t.as_second())
        .map_err(|e| ReleaseError::Time {
            value: value.to_string(),
            reason: e.to_string(),
        })
}

/// A signature failure becomes a named outcome; malformed input stays an error naming `path`.
fn sign_outcome(e: SignError, path: &Path) -> Result<CheckOutcome> {
    match e {
        SignError::Parse { .. } | SignError::Io { .. } => Err(ReleaseError::MalformedSigned {
            path: path.to_path_buf(),
            cause: e,
        }),
        other => Ok(failure(sign_check_name(&other), other.to_string())),
    }
}

/// A failed check.
fn failure(check: &str, reason: String) -> CheckOutcome {
    CheckOutcome::Failed {
        check: check.to_string(),
        reason,
    }
}

/// The name of the check a signing error reports.
fn sign_check_name(e: &SignError) -> &'static str {
    match e {
        SignError::Signature(_) => "signature",
        SignError::PayloadType { .. } => "payload type",
        SignError::Statement(_) => "statement",
        SignError::Digest(_) => "digest",
        SignError::Time(_) => "time",
        SignError::Expired { .. } => "expiry",
        SignError::Threshold { .. } => "threshold",
        SignError::Rule { .. } => "artifact rule",
        SignError::InspectionNotRun { .. } => "inspection",
        SignError::Layout(_) => "layout",
        SignError::Identity(_) => "identity",
        _ => "key",
    }
}

// ---------------------------------------------------------------------------------------------
// Signing a release

/// What to sign.
#[derive(Debug, Clone)]
pub struct ReleaseInput {
    /// The artifact (firmware image, package).
    pub artifact: PathBuf,
    /// The private key (PKCS#8 PEM, mode 0600).
    pub key: PathBuf,
    /// Product name.
    pub product: String,
    /// Product version.
    pub version: String,
    /// The release's SBOM (its digest goes into the statement).
    pub sbom: Option<PathBuf>,
    /// Evidence record IDs behind the release; each must be in the store.
    pub evidence: Vec<String>,
    /// The file name the envelope will be written under (named in the record).
    pub envelope_name: String,
}

/// A signed release, not yet written or recorded.
#[derive(Debug, Clone)]
pub struct SignedRelease {
    /// The DSSE envelope (JSON) to write.
    pub envelope: Vec<u8>,
    /// Its file name.
    pub envelope_name: String,
    /// The artifact.
    pub artifact: FileRef,
    /// Its size in bytes.
    pub artifact_size: u64,
    /// Key id of the signing key.
    pub key_id: String,
    /// Product.
    pub product: String,
    /// Version.
    pub version: String,
    /// The SBOM: its reference, media type and bytes.
    pub sbom: Option<(FileRef, &'static str, Vec<u8>)>,
    /// Evidence record IDs in the statement.
    pub evidence: Vec<RecordId>,
}

/// Sign a release: read and check every input (the key, the artifact, the SBOM, the cited
/// evidence against `store`), build the in-toto release statement and sign it.
pub fn sign_release(input: &ReleaseInput, store: Option<&Store>) -> Result<SignedRelease> {
    let key = private_key(&input.key)?;
    let (digest, size) = sha256_file(&input.artifact)?;
    let sbom = match &input.sbom {
        Some(p) => {
            let (bytes, _) = read_sbom(p)?;
            Some((
                FileRef {
                    name: records::file_name(p),
                    sha256: Sha256Digest::of(&bytes).hex(),
                },
                media_type_of(p),
                bytes,
            ))
        }
        None => None,
    };
    let mut evidence = Vec::new();
    for id in &input.evidence {
        let Some(st) = store else {
            return Err(ReleaseError::NoStore { id: id.clone() });
        };
        let r = st.get(id).map_err(|cause| ReleaseError::EvidenceNotFound {
            id: id.clone(),
            cause,
        })?;
        evidence.push(r.id);
    }
    let artifact_name = records::file_name(&input.artifact);
    let predicate = ReleasePredicate {
        product: input.product.clone(),
        version: input.version.clone(),
        sbom: sbom.as_ref().map(|(f, _, _)| SbomRef {
            name: f.name.clone(),
            sha256: f.sha256.clone(),
        }),
        evidence: evidence.iter().map(ToString::to_string).collect(),
        build: Some(
            serde_json::json!({"builder": format!("otproof {}", env!("CARGO_PKG_VERSION"))}),
        ),
        created: otproof_evidence::now_rfc3339(),
    };
    let statement = intoto::release_statement(&artifact_name, &digest.hex(), predicate)?;
    let env = intoto::sign_statement(&statement, &key)?;
    Ok(SignedRelease {
        envelope: env.to_json(),
        envelope_name: input.envelope_name.clone(),
        artifact: FileRef {
            name: artifact_name,
            sha256: digest.hex(),
        },
        artifact_size: size,
        key_id: key.verifying_key().key_id(),
        product: input.product.clone(),
        version: input.version.clone(),
        sbom,
        evidence,
    })
}

/// Record a signed release: a `release` record about the product version and artifact, with
/// the envelope and the SBOM attached.
pub fn record_release(store: &mut Store, signed: &SignedRelease) -> Result<RecordId> {
    let sha: Sha256Digest =
        signed
            .artifact
            .sha256
            .parse()
            .map_err(|e| ReleaseError::Malformed {
                path: PathBuf::from(&signed.artifact.name),
                expected: "a SHA-256 digest",
                reason: format!("{e}"),
            })?;
    let mut attachments = vec![attach_bytes(
        store,
        &signed.envelope_name,
        "application/json",
        &signed.envelope,
    )?];
    if let Some((f, media_type, bytes)) = &signed.sbom {
        attachments.push(attach_bytes(store, &f.name, media_type, bytes)?);
    }
    let payload = ReleaseStatement {
        envelope_sha256: Sha256Digest::of(&signed.envelope).hex(),
        key_id: signed.key_id.clone(),
        artifact_size: signed.artifact_size,
        sbom: signed.sbom.as_ref().map(|(f, _, _)| f.clone()),
        evidence: signed.evidence.iter().map(ToString::to_string).collect(),
    };
    let evidence = Evidence {
        kind: EvidenceKind::Release,
        title: format!("Signed release {} {}", signed.product, signed.version),
        requirements: owned(otproof_catalog::traces::RELEASE),
        subject: Subject::Product {
            vendor: String::new(),
            product: signed.product.clone(),
            version: Some(signed.version.clone()),
            component_type: None,
            artifacts: vec![Artifact {
                name: signed.artifact.name.clone(),
                sha256: sha,
            }],
        },
        payload: payload.to_value()?,
        attachments,
        findings: vec![],
    };
    Ok(append_idempotent(
        store,
        Record::new("release sign", Body::Evidence(evidence)),
    )?)
}

fn owned(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Verifying an artifact

/// How to verify an artifact.
#[derive(Debug, Clone)]
pub enum ArtifactMethod {
    /// A DSSE envelope (in-toto statement) against trusted public keys.
    Dsse {
        /// The envelope.
        envelope: PathBuf,
        /// Trusted public keys (SPKI PEM).
        keys: Vec<PathBuf>,
    },
    /// A Sigstore bundle, offline.
    Sigstore {
        /// The bundle.
        bundle: PathBuf,
        /// The trusted root.
        trusted_root: PathBuf,
        /// Required signer identity (certificate SAN).
        identity: Option<String>,
        /// Required OIDC issuer.
        issuer: Option<String>,
    },
    /// A detached CMS / PKCS#7 signature.
    Cms {
        /// The signature (DER or PEM).
        signature: PathBuf,
        /// Trust anchor certificates (PEM).
        trust_anchor: PathBuf,
        /// Time to judge the signature at (RFC 3339); default its signing-time attribute.
        at: Option<String>,
    },
    /// A TUF repository's target.
    Tuf {
        /// The repository folder (metadata/ and targets/).
        repo: PathBuf,
        /// The trusted root.json.
        root: PathBuf,
        /// The target name.
        target: String,
    },
}

/// The result of a check: the payload to record, and the file a failure is about.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// What was checked and how it came out.
    pub check: SignatureCheck,
    /// The file the outcome is about (the envelope for a bad signature, the artifact for a
    /// digest that does not match ...).
    pub about: PathBuf,
    /// The product the check is about, when something signed names it.
    pub product: Option<String>,
}

impl CheckResult {
    /// Whether the check passed in full.
    pub fn passed(&self) -> bool {
        self.check.passed()
    }
}

/// Verify an artifact. A check that fails is `Ok` with [`CheckOutcome::Failed`]; malformed
/// input is an error.
pub fn verify_artifact(artifact: &Path, method: &ArtifactMethod) -> Result<CheckResult> {
    match method {
        ArtifactMethod::Dsse { envelope, keys } => verify_dsse(artifact, envelope, keys),
        ArtifactMethod::Sigstore {
            bundle,
            trusted_root,
            identity,
            issuer,
        } => {
            let malformed = |path: &Path| {
                let path = path.to_path_buf();
                move |cause| ReleaseError::MalformedSigstore { path, cause }
            };
            let b = otproof_sigstore::Bundle::from_json(&read(bundle, "Sigstore bundle")?)
                .map_err(malformed(bundle))?;
            let root =
                otproof_sigstore::TrustedRoot::from_json(&read(trusted_root, "trusted root")?)
                    .map_err(malformed(trusted_root))?;
            let (digest, _) = sha256_file(artifact)?;
            let policy = otproof_sigstore::Policy {
                identity: identity.clone(),
                issuer: issuer.clone(),
            };
            let file = artifact_ref(artifact, &digest);
            match otproof_sigstore::verify_digest(&digest.0, &b, &root, &policy) {
                Ok(v) => Ok(CheckResult {
                    check: SignatureCheck {
                        method: SignatureMethod::Sigstore,
                        outcome: CheckOutcome::Verified,
                        artifact: Some(file),
                        signer: v.identity.clone(),
                        checked: v.checks,
                        not_checked: vec![],
                        detail: Some(SignatureDetail::Sigstore {
                            identity: v.identity,
                            issuer: v.issuer,
                            log_index: v.log_index,
                            integrated_time: v.integrated_time,
                        }),
                    },
                    about: bundle.clone(),
                    product: None,
                }),
                Err(e @ otproof_sigstore::SigstoreError::Check { .. }) => Ok(failed(
                    SignatureMethod::Sigstore,
                    file,
                    failure(e.check().unwrap_or("sigstore"), e.to_string()),
                    bundle,
                )),
                Err(e) => Err(malformed(bundle)(e)),
            }
        }
        ArtifactMethod::Cms {
            signature,
            trust_anchor,
            at,
        } => {
            let malformed = |path: &Path| {
                let path = path.to_path_buf();
                move |cause| ReleaseError::MalformedCms { path, cause }
            };
            let anchors = otproof_cms::TrustAnchor::from_pem(&read(trust_anchor, "trust anchor")?)
                .map_err(malformed(trust_anchor))?;
            let at = at.as_deref().map(rfc3339_seconds).transpose()?;
            let sig = read(signature, "signature")?;
            let (f, _) = crate::input::open(artifact).map_err(|cause| ReleaseError::Read {
                what: "artifact",
                path: artifact.to_path_buf(),
                cause,
            })?;
            let mut content = HashingReader::new(f);
            let verified = otproof_cms::verify_detached_reader(&mut content, &sig, &anchors, at);
            let digest = content.finish().map_err(|cause| ReleaseError::Read {
                what: "artifact",
                path: artifact.to_path_buf(),
                cause,
            })?;
            let file = artifact_ref(artifact, &digest);
            match verified {
                Ok(v) => Ok(CheckResult {
                    check: SignatureCheck {
                        method: SignatureMethod::Cms,
                        outcome: CheckOutcome::Verified,
                        artifact: Some(file),
                        signer: Some(v.signer_subject.clone()),
                        checked: v.checks,
                        not_checked: vec![],
                        detail: Some(SignatureDetail::Cms {
                            signer_subject: v.signer_subject,
                            signer_serial: v.signer_serial,
                            signing_time: v.signing_time,
                            chain: v.chain,
                        }),
                    },
                    about: signature.clone(),
                    product: None,
                }),
                Err(otproof_cms::CmsError::Check { check, reason }) => {
                    let e = otproof_cms::CmsError::Check { check, reason };
                    Ok(failed(
                        SignatureMethod::Cms,
                        file,
                        failure(check, e.to_string()),
                        signature,
                    ))
                }
                Err(e) => Err(malformed(signature)(e)),
            }
        }
        ArtifactMethod::Tuf { repo, root, target } => {
            let (f, _) = crate::input::open(artifact).map_err(|cause| ReleaseError::Read {
                what: "artifact",
                path: artifact.to_path_buf(),
                cause,
            })?;
            let digests = otproof_tuf::ArtifactDigests::from_reader(f).map_err(|cause| {
                ReleaseError::Read {
                    what: "artifact",
                    path: artifact.to_path_buf(),
                    cause,
                }
            })?;
            let file = artifact_ref(artifact, &Sha256Digest(digests.sha256));
            match otproof_tuf::verify_target_digests(repo, root, target, Some(&digests), None) {
                Ok(v) => Ok(CheckResult {
                    check: SignatureCheck {
                        method: SignatureMethod::Tuf,
                        outcome: CheckOutcome::Verified,
                        artifact: Some(file),
                        signer: None,
                        checked: v.checks,
                        not_checked: vec![],
                        detail: Some(SignatureDetail::Tuf {
                            target: v.target,
                            length: v.length,
                            sha256: v.sha256,
                            root_version: v.root_version,
                            targets_version: v.targets_version,
                        }),
                    },
                    about: repo.clone(),
                    product: None,
                }),
                Err(otproof_tuf::TufError::Check { check, reason }) => {
                    let e = otproof_tuf::TufError::Check { check, reason };
                    Ok(failed(
                        SignatureMethod::Tuf,
                        file,
                        failure(check, e.to_string()),
                        repo,
                    ))
                }
                Err(cause) => Err(ReleaseError::MalformedTuf {
                    path: repo.clone(),
                    cause,
                }),
            }
        }
    }
}

fn artifact_ref(path: &Path, digest: &Sha256Digest) -> FileRef {
    FileRef {
        name: records::file_name(path),
        sha256: digest.hex(),
    }
}

/// A reader that computes the SHA-256 of what passes through it, so an artifact is read once
/// while a verifier consumes it. [`HashingReader::finish`] reads whatever the verifier left
/// (a verifier that failed early) so the digest is always of the whole file.
struct HashingReader<R> {
    inner: R,
    sha: Sha256,
    error: Option<std::io::Error>,
}

impl<R: std::io::Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            sha: Sha256::new(),
            error: None,
        }
    }

    fn finish(mut self) -> std::io::Result<Sha256Digest> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(Sha256Digest(self.sha.finalize().into()))
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.sha.update(&buf[..n]);
                Ok(n)
            }
            Err(e) => {
                let kind = e.kind();
                let message = e.to_string();
                self.error = Some(e);
                Err(std::io::Error::new(kind, message))
            }
        }
    }
}

fn failed(
    method: SignatureMethod,
    artifact: FileRef,
    outcome: CheckOutcome,
    about: &Path,
) -> CheckResult {
    CheckResult {
        check: SignatureCheck {
            method,
            outcome,
            artifact: Some(artifact),
            signer: None,
            checked: vec![],
            not_checked: vec![],
            detail: None,
        },
        about: about.to_path_buf(),
        product: None,
    }
}

fn verify_dsse(
    artifact: &Path,
    envelope_path: &Path,
    key_paths: &[PathBuf],
) -> Result<CheckResult> {
    let keys = public_keys(key_paths)?;
    let env = envelope(envelope_path)?;
    let (sha, _) = sha256_file(artifact)?;
    let file = artifact_ref(artifact, &sha);
    let digest = file.sha256.clone();
    let statement = match intoto::verify_statement(&env, &keys) {
        Ok(s) => s,
        Err(e) => {
            let outcome = sign_outcome(e, envelope_path)?;
            return Ok(failed(SignatureMethod::Dsse, file, outcome, envelope_path));
        }
    };
    let signer = otproof_sign::dsse::verify(&env, &keys)
        .ok()
        .map(|v| v.key_id);
    let Some(subject) = statement.subject.iter().find(|s| {
        s.digest
            .get("sha256")
            .is_some_and(|d| d.eq_ignore_ascii_case(&digest))
    }) else {
        let mut r = failed(
            SignatureMethod::Dsse,
            file,
            failure(
                "digest",
                format!("digest: the artifact's sha256 {digest} is not a subject of the signed statement"),
            ),
            artifact,
        );
        r.check.signer = signer;
        r.check.checked = vec!["DSSE signature by a trusted key".into()];
        return Ok(r);
    };
    let mut checked = vec![
        "DSSE signature by a trusted key".to_string(),
        format!(
            "the artifact's sha256 is subject {:?} of the statement",
            subject.name
        ),
    ];
    // An otproof release statement is checked in full (predicate shape, SBOM digest, creation
    // time). Another predicate type is the signer's claim about the artifact, signed and bound
    // to its digest; there is nothing more in it for otproof to check.
    let (outcome, release) = if statement.predicate_type == intoto::RELEASE_PREDICATE_TYPE {
        match intoto::verify_release(&env, &keys, intoto::Artifact::Sha256Hex(&digest)) {
            Ok((_, p)) => {
                checked.push(
                    "the release predicate (product, version, SBOM digest, creation time)".into(),
                );
                (
                    CheckOutcome::Verified,
                    Some(ReleaseClaim {
                        product: p.product,
                        version: p.version,
                        created: p.created,
                        sbom: p.sbom.map(|s| FileRef {
                            name: s.name,
                            sha256: s.sha256,
                        }),
                        evidence: p.evidence,
                    }),
                )
            }
            Err(e) => (sign_outcome(e, envelope_path)?, None),
        }
    } else {
        (CheckOutcome::Verified, None)
    };
    let product = release.as_ref().map(|r| r.product.clone());
    Ok(CheckResult {
        check: SignatureCheck {
            method: SignatureMethod::Dsse,
            outcome,
            artifact: Some(file),
            signer,
            checked,
            not_checked: vec![],
            detail: Some(SignatureDetail::Dsse {
                predicate_type: statement.predicate_type.clone(),
                subject_name: subject.name.clone(),
                release,
            }),
        },
        about: envelope_path.to_path_buf(),
        product,
    })
}

/// Record a signature check as `signature-check` evidence about the product it names (or the
/// artifact's name when nothing signed names one), with the signed files attached.
pub fn record_signature_check(
    store: &mut Store,
    result: &CheckResult,
    files: &[&Path],
) -> Result<RecordId> {
    let c = &result.check;
    let artifacts = match &c.artifact {
        Some(f) => match f.sha256.parse::<Sha256Digest>() {
            Ok(sha256) => vec![Artifact {
                name: f.name.clone(),
                sha256,
            }],
            Err(_) => vec![],
        },
        None => vec![],
    };
    let (vendor, product, version) = match &c.detail {
        Some(SignatureDetail::Dsse {
            release: Some(r), ..
        }) => (String::new(), r.product.clone(), Some(r.version.clone())),
        Some(SignatureDetail::Identity {
            product, vendor, ..
        }) => (vendor.clone(), product.clone(), None),
        _ => (
            String::new(),
            result.product.clone().unwrap_or_else(|| {
                c.artifact
                    .as_ref()
                    .map(|f| f.name.clone())
                    .unwrap_or_else(|| records::file_name(&result.about))
            }),
            None,
        ),
    };
    let outcome = match &c.outcome {
        CheckOutcome::Verified if c.not_checked.is_empty() => "verified".to_string(),
        CheckOutcome::Verified | CheckOutcome::Incomplete => "incomplete".to_string(),
        CheckOutcome::Failed { check, .. } => format!("failed ({check})"),
    };
    let what = c
        .artifact
        .as_ref()
        .map(|f| f.name.clone())
        .unwrap_or_else(|| records::file_name(&result.about));
    let requirements = match c.method {
        SignatureMethod::Identity => owned(otproof_catalog::traces::IDENTITY),
        _ => owned(otproof_catalog::traces::SIGNATURE_CHECK),
    };
    let evidence = Evidence {
        kind: EvidenceKind::SignatureCheck,
        title: format!("{} check of {what}: {outcome}", c.method.label()),
        requirements,
        subject: Subject::Product {
            vendor,
            product,
            version,
            component_type: None,
            artifacts,
        },
        payload: c.to_value()?,
        attachments: vec![],
        findings: vec![],
    };
    Ok(records::record_evidence(
        store,
        evidence,
        files,
        "signature check",
    )?)
}

// ---------------------------------------------------------------------------------------------
// In-toto layouts

/// An in-toto layout to verify.
#[derive(Debug, Clone)]
pub struct LayoutInput {
    /// The signed layout.
    pub layout: PathBuf,
    /// The owner's public keys (PEM: RSA, Ed25519 or P-256).
    pub owner_keys: Vec<PathBuf>,
    /// Signature scheme for RSA owner keys.
    pub scheme: String,
    /// The folder of link files.
    pub links: PathBuf,
    /// Judge expiry at this time (RFC 3339); `None`: now.
    pub at: Option<String>,
    /// Accept inspections that were not run, listing them as not checked.
    pub allow_unrun_inspections: bool,
}

/// Verify an in-toto layout and its links. Inspections that were not run make the outcome
/// [`CheckOutcome::Incomplete`].
pub fn verify_layout(input: &LayoutInput) -> Result<CheckResult> {
    use otproof_sign::layout::{self, InTotoKey, LayoutVerifyOptions, Metablock};
    let bytes = read(&input.layout, "layout")?;
    let layout = Metablock::from_json(&bytes).map_err(|e| ReleaseError::Malformed {
        path: input.layout.clone(),
        expected: "an in-toto layout",
        reason: e.to_string(),
    })?;
    let mut owners = Vec::new();
    for p in &input.owner_keys {
        const EXPECTED: &str = "a PEM public key: RSA, Ed25519 or P-256";
        let pem = read_text(p, "owner key", EXPECTED)?;
        let key = match VerifyingKey::from_pem(&pem) {
            Ok(k) => InTotoKey::from_verifying_key(&k),
            Err(_) => InTotoKey::rsa_from_pem(&pem, &input.scheme).map_err(|e| {
                ReleaseError::Malformed {
                    path: p.clone(),
                    expected: EXPECTED,
                    reason: format!("not a public key: {e}"),
                }
            })?,
        };
        owners.push(key);
    }
    let links =
        layout::read_links_dir(&input.links).map_err(|cause| ReleaseError::MalformedSigned {
            path: input.links.clone(),
            cause,
        })?;
    let now = input
        .at
        .clone()
        .unwrap_or_else(otproof_evidence::now_rfc3339);
    let opts = LayoutVerifyOptions {
        now: &now,
        allow_unrun_inspections: input.allow_unrun_inspections,
    };
    let file = artifact_ref(&input.layout, &Sha256Digest::of(&bytes));
    match layout::verify_layout(&layout, &owners, &links, &opts) {
        Ok(report) => {
            let outcome = if report.is_complete() && report.not_checked.is_empty() {
                CheckOutcome::Verified
            } else {
                CheckOutcome::Incomplete
            };
            Ok(CheckResult {
                check: SignatureCheck {
                    method: SignatureMethod::InTotoLayout,
                    outcome,
                    artifact: Some(file),
                    signer: report.owner_key_ids.first().cloned(),
                    checked: report.checked,
                    not_checked: report.not_checked,
                    detail: Some(SignatureDetail::InTotoLayout {
                        owner_key_ids: report.owner_key_ids,
                        expires: report.expires,
                        steps: report.steps.len(),
                        warnings: report.warnings,
                    }),
                },
                about: input.layout.clone(),
                product: None,
            })
        }
        Err(e) => {
            let outcome = sign_outcome(e, &input.layout)?;
            Ok(failed(
                SignatureMethod::InTotoLayout,
                file,
                outcome,
                &input.layout,
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Device identities

/// A device identity to register.
#[derive(Debug, Clone)]
pub struct IdentityInput {
    /// Device or agent name.
    pub name: String,
    /// The device's public key (SPKI PEM).
    pub device_key: PathBuf,
    /// The vendor's private key.
    pub vendor_key: PathBuf,
    /// Vendor name.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Serial number.
    pub serial: String,
    /// The file name the signed identity will be written under.
    pub envelope_name: String,
}

/// A signed identity, not yet written or recorded.
#[derive(Debug, Clone)]
pub struct RegisteredIdentity {
    /// The signed identity (DSSE envelope, JSON) to write.
    pub envelope: Vec<u8>,
    /// Its file name.
    pub envelope_name: String,
    /// The statement signed.
    pub statement: IdentityStatement,
    /// Key id of the device key.
    pub device_key_id: String,
    /// Key id of the vendor key.
    pub vendor_key_id: String,
}

/// Sign an identity statement binding a device key to a product and serial.
pub fn register_identity(input: &IdentityInput) -> Result<RegisteredIdentity> {
    let vendor = private_key(&input.vendor_key)?;
    let device = public_keys(std::slice::from_ref(&input.device_key))?
        .into_iter()
        .next()
        .ok_or_else(|| ReleaseError::Malformed {
            path: input.device_key.clone(),
            expected: "an SPKI PEM public key, Ed25519 or P-256",
            reason: "no key".into(),
        })?;
    let statement = IdentityStatement {
        name: input.name.clone(),
        product: input.product.clone(),
        serial: input.serial.clone(),
        device_key: device.to_pem(),
        vendor: input.vendor.clone(),
        issued: otproof_evidence::now_rfc3339(),
    };
    let env = otproof_sign::identity::register(&statement, &vendor)?;
    Ok(RegisteredIdentity {
        envelope: env.to_json(),
        envelope_name: input.envelope_name.clone(),
        statement,
        device_key_id: device.key_id(),
        vendor_key_id: vendor.verifying_key().key_id(),
    })
}

/// Record a registered identity (a `document` record with a `device-identity` payload and the
/// signed statement attached).
pub fn record_identity(store: &mut Store, id: &RegisteredIdentity) -> Result<RecordId> {
    let s = &id.statement;
    let payload = DeviceIdentity {
        name: s.name.clone(),
        serial: s.serial.clone(),
        device_key_id: id.device_key_id.clone(),
        vendor_key_id: id.vendor_key_id.clone(),
    };
    let evidence = Evidence {
        kind: EvidenceKind::Document,
        title: format!(
            "Device identity {} ({} serial {})",
            s.name, s.product, s.serial
        ),
        requirements: owned(otproof_catalog::traces::IDENTITY),
        subject: Subject::Product {
            vendor: s.vendor.clone(),
            product: s.product.clone(),
            version: None,
            component_type: None,
            artifacts: vec![],
        },
        payload: payload.to_value()?,
        attachments: vec![attach_bytes(
            store,
            &id.envelope_name,
            "application/json",
            &id.envelope,
        )?],
        findings: vec![],
    };
    Ok(append_idempotent(
        store,
        Record::new("identity register", Body::Evidence(evidence)),
    )?)
}

/// Verify a signed identity against the vendor's keys and, with `data`, an envelope signed by
/// the registered device key.
pub fn verify_identity(
    identity: &Path,
    vendor_keys: &[PathBuf],
    data: Option<&Path>,
) -> Result<CheckResult> {
    let keys = public_keys(vendor_keys)?;
    let bytes = read(identity, "identity")?;
    let env = Envelope::from_json(&bytes).map_err(|e| ReleaseError::Malformed {
        path: identity.to_path_buf(),
        expected: "a DSSE envelope (JSON)",
        reason: e.to_string(),
    })?;
    let file = artifact_ref(identity, &Sha256Digest::of(&bytes));
    let id = match otproof_sign::identity::verify_identity(&env, &keys) {
        Ok(id) => id,
        Err(e) => {
            let outcome = sign_outcome(e, identity)?;
            return Ok(failed(SignatureMethod::Identity, file, outcome, identity));
        }
    };
    let device = match id.device_verifying_key() {
        Ok(d) => d,
        Err(e) => {
            let outcome = sign_outcome(e, identity)?;
            return Ok(failed(SignatureMethod::Identity, file, outcome, identity));
        }
    };
    let mut checked = vec![format!(
        "identity {} signed by a trusted vendor key",
        id.name
    )];
    let mut outcome = CheckOutcome::Verified;
    let mut about = identity.to_path_buf();
    let mut signed = None;
    if let Some(data) = data {
        let denv = envelope(data)?;
        match otproof_sign::identity::verify_signed_by_identity(&id, &denv) {
            Ok(v) => {
                checked.push(format!(
                    "{} signed by the device key of {}",
                    records::file_name(data),
                    id.name
                ));
                signed = Some(SignedData {
                    file: records::file_name(data),
                    payload_type: v.payload_type,
                    size: v.payload.len() as u64,
                });
            }
            Err(e) => {
                outcome = sign_outcome(e, data)?;
                about = data.to_path_buf();
            }
        }
    }
    Ok(CheckResult {
        check: SignatureCheck {
            method: SignatureMethod::Identity,
            outcome,
            artifact: Some(file),
            signer: Some(id.vendor.clone()),
            checked,
            not_checked: vec![],
            detail: Some(SignatureDetail::Identity {
                name: id.name.clone(),
                product: id.product.clone(),
                serial: id.serial.clone(),
                vendor: id.vendor.clone(),
                device_key_id: device.key_id(),
                issued: id.issued.clone(),
                data: signed,
            }),
        },
        about,
        product: Some(id.product),
    })
}

// ---------------------------------------------------------------------------------------------
// Update approval

/// An update to approve or reject.
#[derive(Debug, Clone)]
pub struct ApprovalInput {
    /// The new artifact.
    pub artifact: PathBuf,
    /// Its DSSE release envelope.
    pub envelope: PathBuf,
    /// Trusted vendor keys (SPKI PEM).
    pub keys: Vec<PathBuf>,
    /// Product.
    pub product: String,
    /// Installed version.
    pub from_version: String,
    /// Proposed version.
    pub to_version: String,
    /// The new version's SBOM.
    pub sbom: Option<PathBuf>,
    /// The installed version's SBOM (default: from its records in the store).
    pub previous_sbom: Option<PathBuf>,
    /// Update policy (YAML).
    pub policy: Option<PathBuf>,
    /// The vulnerability database (resolved by [`crate::settings::Settings::vulndb_path`]);
    /// absent file: components are compared without vulnerabilities.
    pub vulndb: PathBuf,
    /// Who decides.
    pub decided_by: String,
    /// Allow a downgrade or re-install (to-version not above from-version) for this reason,
    /// recorded in the decision as an exception; absent: refused.
    pub allow_downgrade: Option<String>,
}

/// An update decision computed, not recorded (`--dry-run`, or before recording).
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// The decision.
    pub decision: Decision,
    /// What could not be compared, for people.
    pub notes: Vec<String>,
}

/// A recorded update decision.
#[derive(Debug, Clone)]
pub struct Approval {
    /// The decision.
    pub decision: Decision,
    /// Its record ID.
    pub id: RecordId,
    /// What could not be compared, for people (no vulnerability database, no previous SBOM).
    pub notes: Vec<String>,
}

/// Read an update policy (YAML; an empty file is the default policy).
pub fn read_update_policy(path: &Path) -> Result<UpdatePolicy> {
    const EXPECTED: &str =
        "YAML with the keys require_robustness, require_sbom_check, reject_introduced_at";
    let text = read_text(path, "policy", EXPECTED)?;
    if text.trim().is_empty() {
        return Ok(UpdatePolicy::default());
    }
    serde_saphyr::from_str::<UpdatePolicy>(&text).map_err(|e| ReleaseError::Malformed {
        path: path.to_path_buf(),
        expected: EXPECTED,
        reason: format!("bad update policy: {e}"),
    })
}

/// Evidence records in the store about `product` at `version`, as facts for a decision, with
/// the records themselves.
pub fn evidence_for(
    store: &Store,
    product: &str,
    version: &str,
) -> Result<Vec<(EvidenceFact, Record)>> {
    let mut out = Vec::new();
    for summary in store.list(None, Some(product))? {
        let stored = store.get(&summary.id)?;
        if let Body::Evidence(ev) = &stored.record.body {
            let v = match &ev.subject {
                Subject::Product { version, .. } => version.as_deref(),
                _ => None,
            };
            if v == Some(version) {
                out.push((
                    EvidenceFact {
                        id: stored.id,
                        kind: ev.kind.name().to_string(),
                        title: ev.title.clone(),
                        open_findings: ev
                            .findings
                            .iter()
                            .filter(|f| f.status == FindingStatus::Open)
                            .count(),
                        campaign: campaign_findings(ev),
                    },
                    stored.record.clone(),
                ));
            }
        }
    }
    Ok(out)
}

/// Open findings per behaviour class of a robustness campaign otproof ran (its typed
/// payload); `None` for any other record, or a campaign record without that payload (a
/// document handed over, whose findings otproof cannot count).
fn campaign_findings(ev: &Evidence) -> Option<CampaignFindings> {
    if ev.kind != EvidenceKind::RobustnessCampaign {
        return None;
    }
    let c = RobustnessCampaign::from_value(&ev.payload).ok()?;
    let mut out = CampaignFindings {
        inconclusive: c.result.verdict == Some(CampaignVerdict::Inconclusive),
        ..CampaignFindings::default()
    };
    for f in c
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Open)
    {
        match f.behaviour {
            Behaviour::Crash => out.crash += 1,
            Behaviour::Hang => out.hang += 1,
            Behaviour::Degradation => out.degradation += 1,
            Behaviour::Conformance => out.conformance += 1,
        }
    }
    Some(out)
}

/// The SBOM a release record or SBOM check in `records` carries (the first readable one).
pub fn stored_sbom(store: &Store, records: &[(EvidenceFact, Record)]) -> Option<Vec<u8>> {
    let kinds = [EvidenceKind::Release.name(), EvidenceKind::SbomCheck.name()];
    for (fact, record) in records {
        if !kinds.contains(&fact.kind.as_str()) {
            continue;
        }
        if let Body::Evidence(ev) = &record.body {
            for att in &ev.attachments {
                if att.media_type == "application/json" && att.name.ends_with(".intoto.json") {
                    continue;
                }
                if let Ok(bytes) = store.blobs().get(&att.sha256) {
                    if otproof_sbom::parse(&bytes).is_ok() {
                        return Some(bytes);
                    }
                }
            }
        }
    }
    None
}

/// The typed payload of an update decision.
pub fn update_payload(req: &UpdateRequest) -> UpdateDecision {
    UpdateDecision {
        from_version: req.from_version.clone(),
        to_version: req.to_version.clone(),
        artifact: req.artifact.clone(),
        artifact_sha256: req.signature.artifact_sha256.clone(),
        sbom_change: req.sbom.as_ref().map(|d| SbomDifference {
            added: d.added.clone(),
            removed: d.removed.clone(),
            changed: d.changed.clone(),
            fixed: d.fixed.clone(),
            introduced: d
                .introduced
                .iter()
                .map(|(id, sev)| IntroducedVulnerability {
                    id: id.clone(),
                    severity: VulnSeverity::from_word(sev),
                })
                .collect(),
        }),
    }
}

/// Establish the facts for an update (the release signature, the evidence on record for the
/// new version, the SBOM difference), decide, and record the Decision. Everything is
/// validated before the record is appended; running it again on the same inputs gives the
/// same decision.
pub fn approve_update(store: &mut Store, input: &ApprovalInput) -> Result<Approval> {
    let Evaluated { decision, notes } = evaluate_update(store, input)?;
    let id = append_idempotent(
        store,
        Record::new("update approve", Body::Decision(decision.clone())),
    )?;
    Ok(Approval {
        decision,
        id,
        notes,
    })
}

/// Establish the facts and decide, recording nothing (`update approve --dry-run`). Bad input
/// is an error: versions that cannot be ordered, unreadable files, and, when the policy
/// rejects introduced vulnerabilities (`reject_introduced_at`, default high), a missing new
/// SBOM, previous SBOM or vulnerability database.
pub fn evaluate_update(store: &Store, input: &ApprovalInput) -> Result<Evaluated> {
    Version::parse(&input.from_version).map_err(|cause| ReleaseError::Version {
        flag: "--from-version",
        cause,
    })?;
    Version::parse(&input.to_version).map_err(|cause| ReleaseError::Version {
        flag: "--to-version",
        cause,
    })?;
    if let Some(j) = &input.allow_downgrade {
        if j.trim().is_empty() {
            return Err(ReleaseError::Missing(
                "--allow-downgrade needs a justification (it is recorded in the decision)".into(),
            ));
        }
    }
    let keys = public_keys(&input.keys)?;
    let env = envelope(&input.envelope)?;
    let (digest, _) = sha256_file(&input.artifact)?;
    let hex = digest.hex();
    let signature = match intoto::verify_release(&env, &keys, intoto::Artifact::Sha256Hex(&hex)) {
        Ok((_, p)) => SignatureFact {
            verified: true,
            detail: format!("DSSE release statement verified, artifact sha256 {hex}"),
            product: Some(p.product),
            version: Some(p.version),
            artifact_sha256: hex.clone(),
        },
        Err(e @ (SignError::Parse { .. } | SignError::Io { .. })) => {
            return Err(ReleaseError::MalformedSigned {
                path: input.envelope.clone(),
                cause: e,
            })
        }
        Err(e) => SignatureFact {
            verified: false,
            detail: e.to_string(),
            product: None,
            version: None,
            artifact_sha256: hex.clone(),
        },
    };
    let policy = match &input.policy {
        Some(p) => read_update_policy(p)?,
        None => UpdatePolicy::default(),
    };
    let compare = policy.reject_introduced_at.clone();
    if let (Some(floor), None) = (&compare, &input.sbom) {
        return Err(ReleaseError::Missing(format!(
            "--sbom is required: the update policy rejects vulnerabilities introduced at or above {floor} (reject_introduced_at), which needs the new version's SBOM; set reject_introduced_at: null in a --policy file to decide without it"
        )));
    }
    let mut notes = Vec::new();
    let new_records = evidence_for(store, &input.product, &input.to_version)?;
    let old_records = evidence_for(store, &input.product, &input.from_version)?;
    let release_record = new_records
        .iter()
        .find(|(f, r)| {
            f.kind == EvidenceKind::Release.name()
                && matches!(&r.body, Body::Evidence(ev) if matches!(&ev.subject,
                    Subject::Product { artifacts, .. } if artifacts.iter().any(|x| x.sha256 == digest)))
        })
        .map(|(f, _)| f.id);
    let sbom = match &input.sbom {
        Some(new_path) => {
            let (_, new_doc) = read_sbom(new_path)?;
            let old = match &input.previous_sbom {
                Some(p) => Some(read_sbom(p)?.1),
                None => match stored_sbom(store, &old_records) {
                    Some(b) => {
                        Some(
                            otproof_sbom::parse(&b).map_err(|e| ReleaseError::Malformed {
                                path: PathBuf::from(format!(
                                    "the stored SBOM of {} {}",
                                    input.product, input.from_version
                                )),
                                expected: "a CycloneDX or SPDX SBOM",
                                reason: e.to_string(),
                            })?,
                        )
                    }
                    None => None,
                },
            };
            match old {
                Some(old_doc) => {
                    let matcher = if input.vulndb.is_file() {
                        let vulndb_err = |cause| ReleaseError::VulnDb {
                            path: input.vulndb.clone(),
                            cause,
                        };
                        let db = otproof_vulndb::VulnDb::open_read_only(&input.vulndb)
                            .map_err(vulndb_err)?;
                        db.require_data().map_err(vulndb_err)?;
                        Some(db.matcher().map_err(vulndb_err)?)
                    } else if let Some(floor) = &compare {
                        return Err(ReleaseError::Missing(format!(
                            "no vulnerability database at {}: the update policy rejects vulnerabilities introduced at or above {floor}, which needs one (run `otproof vulndb import`, or pass --db)",
                            input.vulndb.display()
                        )));
                    } else {
                        notes.push(format!(
                            "no vulnerability database at {}: comparing components only",
                            input.vulndb.display()
                        ));
                        None
                    };
                    let d = otproof_sbomcheck::diff(&old_doc, &new_doc, matcher.as_ref());
                    Some(SbomChange {
                        added: d.added,
                        removed: d.removed,
                        changed: d.changed,
                        fixed: d.fixed,
                        introduced: d
                            .introduced
                            .into_iter()
                            .map(|(id, s)| (id, otproof_sbomcheck::severity_name(s).to_string()))
                            .collect(),
                    })
                }
                None => {
                    if let Some(floor) = &compare {
                        return Err(ReleaseError::Missing(format!(
                            "no SBOM of {} {} in the store: the update policy rejects vulnerabilities introduced at or above {floor}, which needs it; pass --previous-sbom",
                            input.product, input.from_version
                        )));
                    }
                    notes.push(format!(
                        "no SBOM of {} {} in the store (pass --previous-sbom): cannot compare",
                        input.product, input.from_version
                    ));
                    None
                }
            }
        }
        None => None,
    };
    let req = UpdateRequest {
        product: input.product.clone(),
        from_version: input.from_version.clone(),
        to_version: input.to_version.clone(),
        artifact: records::file_name(&input.artifact),
        signature,
        release_record,
        evidence: new_records.into_iter().map(|(f, _)| f).collect(),
        sbom,
        downgrade_justification: input.allow_downgrade.clone(),
    };
    let mut decision = decide(&req, &policy, &input.decided_by);
    decision.payload = update_payload(&req).to_value()?;
    Ok(Evaluated { decision, notes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn the_hashing_reader_digests_the_whole_input_even_when_the_verifier_stops_early() {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let mut r = HashingReader::new(&bytes[..]);
        let mut first = [0u8; 1000];
        r.read_exact(&mut first).expect("read");
        assert_eq!(r.finish().expect("finish"), Sha256Digest::of(&bytes));
    }
}
