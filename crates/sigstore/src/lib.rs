//! # otproof-sigstore
//!
//! Offline verification of Sigstore bundles (media types v0.1, v0.2 and v0.3) against a
//! given Sigstore trusted root, for supply-chain evidence: "this artifact was signed by this
//! identity, and the signature is recorded in a transparency log we trust".
//!
//! What this crate owns:
//! - parsing bundles ([`Bundle::from_json`]) and trusted roots ([`TrustedRoot::from_json`]);
//! - [`verify`]: the Fulcio certificate chain, the certificate's validity at the log's
//!   integration time (or at an RFC 3161 timestamp for Rekor v2), the signed certificate
//!   timestamps (SCTs, RFC 6962) embedded in the leaf against the root's CT logs, the
//!   code-signing EKU, the
//!   artifact signature (message signature or DSSE), the consistency of the Rekor entry body
//!   with this bundle (the CVE-2022-36056 class), the log ID, the RFC 6962 inclusion proof
//!   (via `otproof-ledger`), the checkpoint signature, the signed entry timestamp, and the
//!   identity/issuer policy.
//!
//! Invariants:
//! - Offline only: no network, no files, and no clock (validity is judged at the
//!   integration time the log signed, never at "now").
//! - Every check is named; a failure is a [`SigstoreError::Check`] naming the check and the
//!   precise reason, and [`Verified::checks`] lists every check that passed.
//! - No acceptance on partial verification: every tlog entry, every timestamp and every
//!   present signature must verify; anything unsupported is a rejection, not a skip.
//! - Never panics on input: parsers return [`SigstoreError::Parse`] with the JSON path.
//!
//! Signed certificate timestamps: when the trusted root lists `ctlogs`, the leaf must embed
//! (extension 1.3.6.1.4.1.11129.2.4.2) at least one SCT from one of them whose timestamp lies
//! in that log's validity window and whose signature verifies over the precertificate (the
//! leaf's TBSCertificate without the SCT list, and the SHA-256 of the issuing CA's key). An
//! SCT naming a trusted log that fails is a rejection; SCTs from logs not in the root are
//! reported and ignored. A trusted root without `ctlogs` skips this check, and
//! [`Verified::checks`] records that it was skipped.
//!
//! Not covered: public-key (non-Fulcio) bundles, CT logs with RSA keys, and chains carried
//! in the bundle beyond the leaf (the chain always comes from the trusted root).

mod cert;
mod model;
mod rekor;
mod sct;
mod time;
mod tsa;

pub use cert::parse_certificate;
pub use model::{Bundle, TrustedRoot, MAX_JSON};

use cert::{parse_cert, Cert, EKU_CODE_SIGNING};
use model::{Authority, Content, Entry, Log, Proof, Version};
use sha2::{Digest, Sha256};
use time::format_unix;

/// Why a bundle or trusted root is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigstoreError {
    /// Input is malformed: `what` document, JSON `path`, and what was `expected` there.
    #[error("{what}: at {path}: expected {expected}")]
    Parse {
        /// Which document ("bundle", "trusted root", "bundle certificate", ...).
        what: &'static str,
        /// Where (JSON path, or line/column for invalid JSON).
        path: String,
        /// What was expected there.
        expected: String,
    },
    /// A verification check failed.
    #[error("check '{check}' failed: {reason}")]
    Check {
        /// The check's name, e.g. "certificate chain", "inclusion proof".
        check: &'static str,
        /// Precisely why.
        reason: String,
    },
}

impl SigstoreError {
    /// The failed check's name, if this is a check failure.
    pub fn check(&self) -> Option<&'static str> {
        match self {
            SigstoreError::Check { check, .. } => Some(check),
            SigstoreError::Parse { .. } => None,
        }
    }
}

fn fail<T>(check: &'static str, reason: impl Into<String>) -> Result<T, SigstoreError> {
    Err(SigstoreError::Check {
        check,
        reason: reason.into(),
    })
}

/// Who must have signed. `None` fields are not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Exact SAN (email or URI) of the signing certificate.
    pub identity: Option<String>,
    /// Exact OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, else .1.1).
    pub issuer: Option<String>,
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// First SAN (email or URI) of the signing certificate.
    pub identity: Option<String>,
    /// OIDC issuer of the signing certificate.
    pub issuer: Option<String>,
    /// Integrated time of the first tlog entry (Rekor v1); `None` for Rekor v2 entries.
    pub integrated_time: Option<i64>,
    /// Log index of the first tlog entry.
    pub log_index: Option<i64>,
    /// Every check passed, human-readable, in order.
    pub checks: Vec<String>,
}

fn b64s(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The CA-to-CA links of a Fulcio chain (issuing certificate first, root last): every
/// certificate is a CA that may sign certificates, is named as issued by the next one (the
/// root by itself) and its signature verifies with that one's key; every certificate's
/// validity window is well-formed and the windows overlap. Independent of any bundle, so
/// [`TrustedRoot::from_json`] runs it once per certificate authority.
pub(crate) fn ca_chain_links(chain: &[Cert]) -> Result<(), String> {
    if chain.is_empty() {
        return Err("empty chain".into());
    }
    for (i, c) in chain.iter().enumerate() {
        if !c.is_ca()? {
            return Err(format!("'{}' is not a CA (basicConstraints)", c.subject()));
        }
        if let Some(ku) = c.key_usage()? {
            if !ku.key_cert_sign() {
                return Err(format!("'{}' may not sign certificates", c.subject()));
            }
        }
        let parent = chain.get(i + 1).unwrap_or(c);
        if !c.issued_by_name(parent) {
            return Err(format!(
                "'{}' is not issued by '{}'",
                c.subject(),
                parent.subject()
            ));
        }
        c.verify_signed_by(&parent.key)
            .map_err(|e| format!("'{}' signed by '{}': {e}", c.subject(), parent.subject()))?;
    }
    for c in chain {
        if c.not_before > c.not_after {
            return Err(format!(
                "'{}' has notBefore {} after notAfter {}",
                c.subject(),
                format_unix(c.not_before),
                format_unix(c.not_after)
            ));
        }
    }
    let start = chain.iter().map(|c| c.not_before).max().unwrap_or(i64::MIN);
    let end = chain.iter().map(|c| c.not_after).min().unwrap_or(i64::MAX);
    if start > end {
        return Err(format!(
            "the CA certificates' validity periods do not overlap (latest notBefore {}, \
             earliest notAfter {})",
            format_unix(start),
            format_unix(end)
        ));
    }
    Ok(())
}

/// Find the trusted CA whose chain verifies `leaf`. Only the leaf's own link (issuer name
/// and signature by the chain's first certificate) is checked here; the chain's CA-to-CA
/// links were checked once when the trusted root was parsed ([`Authority::links`]).
fn find_chain<'r>(leaf: &Cert, cas: &'r [Authority]) -> Result<&'r Authority, SigstoreError> {
    let mut reasons = Vec::new();
    for ca in cas {
        let r = (|| -> Result<(), String> {
            let issuer = ca.chain.first().ok_or("empty chain")?;
            if !leaf.issued_by_name(issuer) {
                return Err(format!(
                    "leaf issuer '{}' is not '{}'",
                    leaf.issuer(),
                    issuer.subject()
                ));
            }
            leaf.verify_signed_by(&issuer.key)
                .map_err(|e| format!("leaf signature by '{}': {e}", issuer.subject()))?;
            ca.links.clone()
        })();
        match r {
            Ok(()) => return Ok(ca),
            Err(e) => reasons.push(format!("{}: {e}", ca.uri)),
        }
    }
    fail(
        "certificate chain",
        if reasons.is_empty() {
            "the trusted root has no certificate authorities".to_string()
        } else {
            format!(
                "the leaf issued by '{}' does not chain to a trusted CA: {}",
                leaf.issuer(),
                reasons.join("; ")
            )
        },
    )
}

/// The DSSE pre-authentication encoding.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    m.extend_from_slice(payload);
    m
}

/// The in-toto statement must name the artifact's SHA-256 among its subjects.
fn dsse_subject_matches(
    payload_type: &str,
    payload: &[u8],
    artifact_hex: &str,
) -> Result<(), String> {
    if payload_type != "application/vnd.in-toto+json" {
        return Err(format!(
            "DSSE payload type '{payload_type}' cannot bind the artifact (in-toto expected)"
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| format!("in-toto payload is not JSON: {e}"))?;
    let subjects = v
        .get("subject")
        .and_then(|s| s.as_array())
        .ok_or("in-toto statement has no subject array")?;
    let found = subjects.iter().any(|s| {
        s.get("digest")
            .and_then(|d| d.get("sha256"))
            .and_then(|d| d.as_str())
            .is_some_and(|d| d.eq_ignore_ascii_case(artifact_hex))
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "no in-toto subject has sha256 {artifact_hex} (the artifact's digest)"
        ))
    }
}

/// Verify `bundle` for `artifact` against `root` and `policy`, offline.
///
/// Checks, in order: a transparency log entry exists; certificate chain; signed certificate
/// timestamp (skipped, and recorded as skipped, when the root has no CT logs); verified time
/// sources; certificate validity at that time; extended key usage; artifact signature
/// (and digest); for every tlog entry: entry body, log ID, inclusion proof, checkpoint,
/// signed entry timestamp; then identity and issuer. Each check is one step below, which
/// appends what it verified to `checks` or returns the named failure.
pub fn verify(
    artifact: &[u8],
    bundle: &Bundle,
    root: &TrustedRoot,
    policy: &Policy,
) -> Result<Verified, SigstoreError> {
    verify_digest(&Sha256::digest(artifact).into(), bundle, root, policy)
}

/// [`verify`] given the artifact's SHA-256 instead of its bytes (computed while streaming a
/// large artifact). Nothing is lost: a Sigstore message signature is checked over the SHA-256
/// of the artifact (a prehash), and a DSSE envelope binds the artifact by that digest.
pub fn verify_digest(
    artifact_sha256: &[u8; 32],
    bundle: &Bundle,
    root: &TrustedRoot,
    policy: &Policy,
) -> Result<Verified, SigstoreError> {
    let mut checks = vec![format!("bundle parsed ({})", bundle.media_type)];
    check_entries_present(bundle, &mut checks)?;
    let (leaf_der, leaf, ca) = check_chain(bundle, root, &mut checks)?;
    check_scts(leaf_der, ca, root, &mut checks)?;

    let (signature, signed_message_sha256) = match &bundle.content {
        Content::Message { signature, .. } => (signature.as_slice(), *artifact_sha256),
        Content::Dsse {
            signatures,
            payload,
            ..
        } => (
            signatures.first().map(Vec::as_slice).unwrap_or_default(),
            <[u8; 32]>::from(Sha256::digest(payload)),
        ),
    };
    let times = verified_times(bundle, root, signature, &mut checks)?;
    check_validity(&leaf, ca, &times, &mut checks)?;
    check_key_usage(&leaf, &mut checks)?;
    check_artifact_signature(&leaf, &bundle.content, artifact_sha256, &mut checks)?;

    // 6. every tlog entry
    let signed = match &bundle.content {
        Content::Message { signature, .. } => rekor::Signed::Message {
            artifact_sha256,
            signature,
        },
        Content::Dsse { .. } => rekor::Signed::Dsse {
            payload_sha256: &signed_message_sha256,
            signature,
        },
    };
    for (i, e) in bundle.entries.iter().enumerate() {
        check_tlog_entry(
            i,
            e,
            bundle.version,
            &signed,
            &leaf,
            root,
            &times,
            &mut checks,
        )?;
    }

    let (identity, issuer) = check_policy(&leaf, policy, &mut checks)?;
    Ok(Verified {
        identity,
        issuer,
        integrated_time: bundle.entries.first().and_then(|e| e.integrated_time),
        log_index: bundle.entries.first().map(|e| e.log_index),
        checks,
    })
}

/// A reason from a helper, as the failure of `check`.
fn to_check(check: &'static str) -> impl Fn(String) -> SigstoreError {
    move |reason| SigstoreError::Check { check, reason }
}

/// Step 0: The bundle carries at least one transparency log entry.
fn check_entries_present(bundle: &Bundle, checks: &mut Vec<String>) -> Result<(), SigstoreError> {
    if bundle.entries.is_empty() {
        return fail(
            "no transparency log entry",
            "the bundle has no tlogEntries: the signature is not shown to be publicly logged",
        );
    }
    checks.push(format!(
        "{} transparency log entr{} present",
        bundle.entries.len(),
        if bundle.entries.len() == 1 {
            "y"
        } else {
            "ies"
        }
    ));
    Ok(())
}

/// Step 1: The signing certificate (DER, parsed) chains to a CA of the root, has no unknown
/// critical extension and is not a CA.
fn check_chain<'b, 'r>(
    bundle: &'b Bundle,
    root: &'r TrustedRoot,
    checks: &mut Vec<String>,
) -> Result<(&'b [u8], Cert, &'r Authority), SigstoreError> {
    let leaf_der = bundle.certs.first().ok_or_else(|| SigstoreError::Check {
        check: "certificate chain",
        reason: "no signing certificate".into(),
    })?;
    let leaf = parse_cert(leaf_der, "bundle certificate", "$.verificationMaterial")?;
    let ca = find_chain(&leaf, &root.cas)?;
    let unknown = leaf.unknown_critical();
    if !unknown.is_empty() {
        return fail(
            "certificate chain",
            format!(
                "leaf has unsupported critical extensions: {}",
                unknown.join(", ")
            ),
        );
    }
    if leaf.is_ca().map_err(|e| SigstoreError::Check {
        check: "certificate chain",
        reason: e,
    })? {
        return fail(
            "certificate chain",
            "the signing certificate is a CA certificate",
        );
    }
    checks.push(format!(
        "certificate chain: leaf '{}' chains to {} ({} certificate{}), every signature verified \
         (the CA-to-CA links once, when the trusted root was parsed)",
        leaf.issuer(),
        ca.uri,
        ca.chain.len(),
        if ca.chain.len() == 1 { "" } else { "s" }
    ));
    Ok((leaf_der.as_slice(), leaf, ca))
}

/// Step 1b: Signed certificate timestamps from the root's CT logs (skipped, and said so, when
/// the root lists none).
fn check_scts(
    leaf_der: &[u8],
    ca: &Authority,
    root: &TrustedRoot,
    checks: &mut Vec<String>,
) -> Result<(), SigstoreError> {
    if root.ctlogs.is_empty() {
        checks.push(
            "signed certificate timestamp: skipped, the trusted root lists no CT logs".into(),
        );
        return Ok(());
    }
    let issuer_spki = ca
        .chain
        .first()
        .map(|c| c.spki_der.as_slice())
        .ok_or("the CA chain is empty".to_string())
        .map_err(to_check("signed certificate timestamp"))?;
    let lines = sct::verify_scts(leaf_der, issuer_spki, &root.ctlogs)
        .map_err(to_check("signed certificate timestamp"))?;
    checks.push(format!(
        "signed certificate timestamp: {}",
        lines.join("; ")
    ));
    Ok(())
}

/// Step 2: The verified times, each with where it comes from: integrated times that carry a
/// signed entry timestamp, and RFC 3161 timestamps over `signature` (each verified here).
fn verified_times(
    bundle: &Bundle,
    root: &TrustedRoot,
    signature: &[u8],
    checks: &mut Vec<String>,
) -> Result<Vec<(i64, String)>, SigstoreError> {
    let mut times: Vec<(i64, String)> = Vec::new();
    for (i, e) in bundle.entries.iter().enumerate() {
        if let (Some(t), Some(_)) = (e.integrated_time, &e.set) {
            times.push((
                t,
                format!("tlog entry {i} integratedTime (signed entry timestamp)"),
            ));
        }
    }
    for (i, ts) in bundle.timestamps.iter().enumerate() {
        let (t, uri) =
            tsa::verify_timestamp(ts, signature, &root.tsas).map_err(|e| SigstoreError::Check {
                check: "signed timestamp",
                reason: format!("RFC 3161 timestamp {i}: {e}"),
            })?;
        checks.push(format!(
            "signed timestamp {i}: RFC 3161 time {} by {uri} over the signature",
            format_unix(t)
        ));
        times.push((t, format!("RFC 3161 timestamp {i}")));
    }
    if times.is_empty() {
        return fail(
            "verified time",
            "no verified time: no tlog entry has an integrated time with a signed entry \
             timestamp, and there is no RFC 3161 timestamp",
        );
    }
    Ok(times)
}

/// Step 3: Every verified time lies within the leaf's validity, the CA's validFor and every CA
/// certificate's validity.
fn check_validity(
    leaf: &Cert,
    ca: &Authority,
    times: &[(i64, String)],
    checks: &mut Vec<String>,
) -> Result<(), SigstoreError> {
    for (t, src) in times {
        let t = *t;
        if t < leaf.not_before || t > leaf.not_after {
            return fail(
                "certificate validity at integration time",
                format!(
                    "{src} {} is outside the leaf's validity {} .. {}",
                    format_unix(t),
                    format_unix(leaf.not_before),
                    format_unix(leaf.not_after)
                ),
            );
        }
        if !ca.valid.contains(t) {
            return fail(
                "certificate validity at integration time",
                format!(
                    "{src} {} is outside the CA {} validFor {}",
                    format_unix(t),
                    ca.uri,
                    ca.valid.describe()
                ),
            );
        }
        if let Some(c) = ca
            .chain
            .iter()
            .find(|c| t < c.not_before || t > c.not_after)
        {
            return fail(
                "certificate validity at integration time",
                format!(
                    "{src} {} is outside the validity of CA certificate '{}'",
                    format_unix(t),
                    c.subject()
                ),
            );
        }
        checks.push(format!(
            "certificate validity: {src} {} within leaf {} .. {} and CA validFor {}",
            format_unix(t),
            format_unix(leaf.not_before),
            format_unix(leaf.not_after),
            ca.valid.describe()
        ));
    }
    Ok(())
}

/// Step 4: The leaf may sign code: codeSigning EKU and the digitalSignature key usage.
fn check_key_usage(leaf: &Cert, checks: &mut Vec<String>) -> Result<(), SigstoreError> {
    let ekus = leaf.ekus().map_err(to_check("extended key usage"))?;
    if !ekus.contains(&EKU_CODE_SIGNING) {
        return fail(
            "extended key usage",
            "the leaf lacks the codeSigning EKU (1.3.6.1.5.5.7.3.3)",
        );
    }
    match leaf.key_usage().map_err(to_check("extended key usage"))? {
        Some(ku) if ku.digital_signature() => {}
        _ => {
            return fail(
                "extended key usage",
                "the leaf's keyUsage lacks digitalSignature",
            )
        }
    }
    checks.push("extended key usage: codeSigning, keyUsage digitalSignature".into());
    Ok(())
}

/// Step 5: The signature verifies with the leaf key, and the signed content names this artifact
/// (`artifact_sha256`): the message digest, or the in-toto subject of a DSSE envelope.
fn check_artifact_signature(
    leaf: &Cert,
    content: &Content,
    artifact_sha256: &[u8],
    checks: &mut Vec<String>,
) -> Result<(), SigstoreError> {
    match content {
        Content::Message { digest, signature } => {
            if let Some((alg, d)) = digest {
                if alg != "SHA2_256" {
                    return fail(
                        "artifact digest",
                        format!("messageDigest algorithm {alg} is not SHA2_256"),
                    );
                }
                if d[..] != artifact_sha256[..] {
                    return fail(
                        "artifact digest",
                        format!(
                            "bundle messageDigest sha256:{} differs from the artifact's sha256:{}",
                            hex::encode(d),
                            hex::encode(artifact_sha256)
                        ),
                    );
                }
                checks.push(format!(
                    "artifact digest: sha256:{}",
                    hex::encode(artifact_sha256)
                ));
            }
            leaf.key
                .verify_prehash(artifact_sha256, signature)
                .map_err(|e| SigstoreError::Check {
                    check: "artifact signature",
                    reason: format!(
                        "{e}: the artifact or the signature was altered, or another key signed"
                    ),
                })?;
            checks.push(format!(
                "artifact signature: {} over SHA-256 of the artifact verified with the leaf key",
                leaf.key.describe()
            ));
        }
        Content::Dsse {
            payload_type,
            payload,
            signatures,
        } => {
            for s in signatures {
                leaf.key
                    .verify_message(&pae(payload_type, payload), s)
                    .map_err(|e| SigstoreError::Check {
                        check: "artifact signature",
                        reason: format!("DSSE envelope: {e}"),
                    })?;
            }
            checks.push(format!(
                "artifact signature: DSSE ({payload_type}) verified with the leaf key"
            ));
            dsse_subject_matches(payload_type, payload, &hex::encode(artifact_sha256))
                .map_err(to_check("artifact digest"))?;
            checks.push(format!(
                "artifact digest: in-toto subject sha256:{}",
                hex::encode(artifact_sha256)
            ));
        }
    }
    Ok(())
}

/// Step 6: One tlog entry: its body records this bundle, its log is in the root and valid at the
/// entry's time (`times` when the entry has no integrated time), its inclusion proof and
/// checkpoint, and its signed entry timestamp.
#[allow(clippy::too_many_arguments)]
fn check_tlog_entry(
    i: usize,
    e: &Entry,
    version: Version,
    signed: &rekor::Signed<'_>,
    leaf: &Cert,
    root: &TrustedRoot,
    times: &[(i64, String)],
    checks: &mut Vec<String>,
) -> Result<(), SigstoreError> {
    let kind = rekor::check_body(e, signed, &leaf.der).map_err(|r| SigstoreError::Check {
        check: "tlog entry body",
        reason: format!("entry {i} (logIndex {}): {r}", e.log_index),
    })?;
    checks.push(format!(
        "tlog entry body {i}: {kind} records this artifact digest, signature and certificate"
    ));
    let log = check_log_id(i, e, root, times, checks)?;
    match (&e.proof, version) {
        (None, Version::V01) => {}
        (None, _) => {
            return fail(
                "inclusion proof",
                format!("entry {i}: v0.2+ bundles must carry an inclusion proof"),
            )
        }
        (Some(p), _) => check_inclusion(i, e, p, version, log, checks)?,
    }
    check_signed_entry_timestamp(i, e, version, log, checks)
}

/// Step 6b: The entry's log is a transparency log of the root, valid at the entry's time.
fn check_log_id<'r>(
    i: usize,
    e: &Entry,
    root: &'r TrustedRoot,
    times: &[(i64, String)],
    checks: &mut Vec<String>,
) -> Result<&'r Log, SigstoreError> {
    let log = root
        .tlogs
        .iter()
        .find(|l| l.log_id == e.log_id)
        .ok_or_else(|| SigstoreError::Check {
            check: "tlog log ID",
            reason: format!(
                "entry {i}: logId {} is not a transparency log in the trusted root",
                b64s(&e.log_id)
            ),
        })?;
    let entry_times: Vec<i64> = match e.integrated_time {
        Some(t) => vec![t],
        None => times.iter().map(|(t, _)| *t).collect(),
    };
    if let Some(t) = entry_times.iter().find(|t| !log.valid.contains(**t)) {
        return fail(
            "tlog log ID",
            format!(
                "entry {i}: log {} was not valid at {} (validFor {})",
                log.base_url,
                format_unix(*t),
                log.valid.describe()
            ),
        );
    }
    checks.push(format!(
        "tlog log ID {i}: {} ({}), valid at the entry time",
        log.base_url,
        b64s(&e.log_id)
    ));
    Ok(log)
}

/// Step 6c: The inclusion proof leads from the body's leaf hash to the proof's root, and the
/// log's signed checkpoint names that tree (v0.1 bundles may lack the checkpoint).
fn check_inclusion(
    i: usize,
    e: &Entry,
    p: &Proof,
    version: Version,
    log: &Log,
    checks: &mut Vec<String>,
) -> Result<(), SigstoreError> {
    let leaf_hash = otproof_ledger::leaf_hash(&e.body);
    let (Ok(index), Ok(size)) = (u64::try_from(p.log_index), u64::try_from(p.tree_size)) else {
        return fail(
            "inclusion proof",
            format!("entry {i}: negative index or tree size"),
        );
    };
    otproof_ledger::verify_inclusion(&leaf_hash, index, size, &p.hashes, &p.root_hash).map_err(
        |err| SigstoreError::Check {
            check: "inclusion proof",
            reason: format!("entry {i} ({}): leaf {index} of tree {size}: {err}", p.path),
        },
    )?;
    checks.push(format!(
        "inclusion proof {i}: leaf hash of the body at index {index} of {size} leads to root {}",
        hex::encode(&p.root_hash)
    ));
    match &p.checkpoint {
        None if version == Version::V01 => {}
        None => {
            return fail(
                "checkpoint signature",
                format!("entry {i}: the inclusion proof has no checkpoint"),
            )
        }
        Some(env) => {
            let (cp_size, cp_root, origin) =
                rekor::check_checkpoint(env, log).map_err(|r| SigstoreError::Check {
                    check: "checkpoint signature",
                    reason: format!("entry {i}: {r}"),
                })?;
            if cp_size != size || cp_root[..] != p.root_hash[..] {
                return fail(
                    "checkpoint signature",
                    format!(
                        "entry {i}: signed checkpoint ({cp_size}, {}) differs from the \
                         proof's tree ({size}, {})",
                        hex::encode(cp_root),
                        hex::encode(&p.root_hash)
                    ),
                );
            }
            checks.push(format!(
                "checkpoint signature {i}: '{origin}' signed by {} for size {size}",
                log.host
            ));
        }
    }
    Ok(())
}

/// Step 6d: The signed entry timestamp (inclusion promise) verifies; v0.1 bundles must have one.
fn check_signed_entry_timestamp(
    i: usize,
    e: &Entry,
    version: Version,
    log: &Log,
    checks: &mut Vec<String>,
) -> Result<(), SigstoreError> {
    match (&e.set, e.integrated_time) {
        (Some(set), Some(t)) => {
            rekor::check_set(e, set, t, log).map_err(|r| SigstoreError::Check {
                check: "signed entry timestamp",
                reason: format!("entry {i}: {r}"),
            })?;
            checks.push(format!(
                "signed entry timestamp {i}: log {} signed body, integratedTime {t}, logIndex {}",
                log.host, e.log_index
            ));
        }
        (Some(_), None) => {
            return fail(
                "signed entry timestamp",
                format!("entry {i}: has a signed entry timestamp but no integratedTime"),
            )
        }
        (None, _) if version == Version::V01 => {
            return fail(
                "signed entry timestamp",
                format!("entry {i}: v0.1 bundles must carry an inclusion promise"),
            )
        }
        (None, _) => {}
    }
    Ok(())
}

/// Step 7: The policy's identity and issuer; returns the leaf's first identity and its issuer.
fn check_policy(
    leaf: &Cert,
    policy: &Policy,
    checks: &mut Vec<String>,
) -> Result<(Option<String>, Option<String>), SigstoreError> {
    let identities = leaf.identities().map_err(to_check("identity"))?;
    if let Some(want) = &policy.identity {
        if !identities.iter().any(|s| s == want) {
            return fail(
                "identity",
                format!("certificate SANs {identities:?} do not include '{want}'"),
            );
        }
        checks.push(format!("identity: '{want}'"));
    }
    let issuer = leaf.oidc_issuer().map_err(to_check("issuer"))?;
    if let Some(want) = &policy.issuer {
        if issuer.as_deref() != Some(want.as_str()) {
            return fail(
                "issuer",
                format!("certificate OIDC issuer {issuer:?} is not '{want}'"),
            );
        }
        checks.push(format!("issuer: '{want}'"));
    }
    Ok((identities.into_iter().next(), issuer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_encoding() {
        assert_eq!(pae("t", b"ab"), b"DSSEv1 1 t 2 ab".to_vec());
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn dsse_subject() {
        let p = br#"{"subject":[{"name":"a","digest":{"sha256":"ABCD"}}]}"#;
        assert!(dsse_subject_matches("application/vnd.in-toto+json", p, "abcd").is_ok());
        assert!(dsse_subject_matches("application/vnd.in-toto+json", p, "abce").is_err());
        assert!(dsse_subject_matches("text/plain", p, "abcd").is_err());
    }

    fn data(name: &str) -> Vec<u8> {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/sigstore")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn v3() -> (Bundle, TrustedRoot) {
        let bundle = Bundle::from_json(&data("bundle_v3.txt.sigstore")).expect("bundle");
        let root = TrustedRoot::from_json(&data("staging-trusted_root.json")).expect("root");
        (bundle, root)
    }

    #[test]
    fn the_steps_of_a_good_bundle_each_record_their_check() {
        let (bundle, root) = v3();
        let mut checks = Vec::new();
        let (_, leaf, ca) = check_chain(&bundle, &root, &mut checks).expect("chain");
        check_key_usage(&leaf, &mut checks).expect("key usage");
        let times = verified_times(&bundle, &root, &[], &mut checks).expect("times");
        assert_eq!(times.len(), 1, "{times:?}");
        check_validity(&leaf, ca, &times, &mut checks).expect("validity");
        let (identity, issuer) =
            check_policy(&leaf, &Policy::default(), &mut checks).expect("policy");
        assert_eq!(identity.as_deref(), Some("william@yossarian.net"));
        assert_eq!(issuer.as_deref(), Some("https://github.com/login/oauth"));
        assert_eq!(checks.len(), 3, "{checks:?}");
        assert!(checks[0].starts_with("certificate chain: leaf"));
        assert!(checks[2].starts_with("certificate validity: tlog entry 0 integratedTime"));
    }

    #[test]
    fn without_a_signed_time_there_is_no_verified_time() {
        let (mut bundle, root) = v3();
        for e in &mut bundle.entries {
            e.set = None;
        }
        let err = verified_times(&bundle, &root, &[], &mut Vec::new()).expect_err("no time");
        assert_eq!(err.check(), Some("verified time"));
    }

    #[test]
    fn the_policy_step_names_the_identity_it_did_not_find() {
        let (bundle, root) = v3();
        let (_, leaf, _) = check_chain(&bundle, &root, &mut Vec::new()).expect("chain");
        let policy = Policy {
            identity: Some("someone@else".into()),
            issuer: None,
        };
        let err = check_policy(&leaf, &policy, &mut Vec::new()).expect_err("other identity");
        assert_eq!(err.check(), Some("identity"));
        assert!(err.to_string().contains("someone@else"), "{err}");
    }
}
