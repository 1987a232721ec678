//! Signed certificate timestamps (RFC 6962 section 3) embedded in the Fulcio leaf: the
//! X.509v3 extension 1.3.6.1.4.1.11129.2.4.2 holds a TLS-encoded
//! `SignedCertificateTimestampList`, each SCT signed by a CT log over the *precertificate*
//! (the leaf's TBSCertificate without the SCT list and poison extensions) and the SHA-256 of
//! the issuer's SubjectPublicKeyInfo.

use crate::cert::PublicKey;
use crate::model::Log;
use crate::time::format_unix;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::{Digest, Sha256, Sha384};

/// The embedded SignedCertificateTimestampList extension.
pub(crate) const EXT_SCT_LIST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// The precertificate poison extension (never in a final certificate, removed if present).
const EXT_POISON: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");

/// TLS `HashAlgorithm` / `SignatureAlgorithm` codes (RFC 5246 section 7.4.1.4.1).
const HASH_SHA256: u8 = 4;
const HASH_SHA384: u8 = 5;
const SIG_ECDSA: u8 = 3;

/// One parsed SCT (v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sct {
    pub log_id: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    pub extensions: Vec<u8>,
    pub hash_alg: u8,
    pub sig_alg: u8,
    pub signature: Vec<u8>,
}

/// A bounds-checked reader over TLS presentation-language bytes.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.b.len() < n {
            return Err(format!(
                "truncated {what}: needs {n} bytes, {} left",
                self.b.len()
            ));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }

    fn uint(&mut self, n: usize, what: &str) -> Result<u64, String> {
        Ok(self
            .take(n, what)?
            .iter()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    }

    /// An opaque vector with an `n`-byte length prefix.
    fn vec(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let len = usize::try_from(self.uint(n, what)?).map_err(|_| format!("huge {what}"))?;
        self.take(len, what)
    }
}

fn parse_sct(b: &[u8]) -> Result<Sct, String> {
    let mut r = Reader { b };
    let version = r.uint(1, "SCT version")?;
    if version != 0 {
        return Err(format!("SCT version {version} is not v1 (0)"));
    }
    let log_id: [u8; 32] = r
        .take(32, "SCT log ID")?
        .try_into()
        .map_err(|_| "SCT log ID is not 32 bytes".to_string())?;
    let timestamp = r.uint(8, "SCT timestamp")?;
    let extensions = r.vec(2, "SCT extensions")?.to_vec();
    let hash_alg = r.take(1, "SCT hash algorithm")?[0];
    let sig_alg = r.take(1, "SCT signature algorithm")?[0];
    let signature = r.vec(2, "SCT signature")?.to_vec();
    if !r.b.is_empty() {
        return Err(format!("{} trailing bytes after the SCT", r.b.len()));
    }
    Ok(Sct {
        log_id,
        timestamp,
        extensions,
        hash_alg,
        sig_alg,
        signature,
    })
}

/// Parse the extension value (a DER OCTET STRING wrapping the TLS-encoded list).
pub(crate) fn parse_sct_list(extn_value: &[u8]) -> Result<Vec<Sct>, String> {
    let inner = der::asn1::OctetStringRef::from_der(extn_value)
        .map_err(|e| format!("SCT list extension is not a DER OCTET STRING: {e}"))?;
    let mut r = Reader {
        b: inner.as_bytes(),
    };
    let list = r.vec(2, "SCT list")?;
    if !r.b.is_empty() {
        return Err(format!("{} trailing bytes after the SCT list", r.b.len()));
    }
    let mut items = Reader { b: list };
    let mut out = Vec::new();
    while !items.b.is_empty() {
        let i = out.len();
        let one = items.vec(2, "SCT")?;
        out.push(parse_sct(one).map_err(|e| format!("SCT {i}: {e}"))?);
    }
    if out.is_empty() {
        return Err("the SCT list is empty".into());
    }
    Ok(out)
}

/// The leaf's TBSCertificate as the CT log saw it: without the SCT list and poison
/// extensions, re-encoded as DER.
fn precert_tbs(cert: &x509_cert::Certificate) -> Result<Vec<u8>, String> {
    let mut tbs = cert.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id != EXT_SCT_LIST && e.extn_id != EXT_POISON);
        if exts.is_empty() {
            tbs.extensions = None;
        }
    }
    tbs.to_der()
        .map_err(|e| format!("cannot re-encode the precertificate TBSCertificate: {e}"))
}

/// The `digitally-signed` input of a precert SCT (RFC 6962 section 3.2).
fn signed_data(sct: &Sct, issuer_key_hash: &[u8], tbs: &[u8]) -> Result<Vec<u8>, String> {
    let tbs_len = u32::try_from(tbs.len())
        .ok()
        .filter(|l| *l < 1 << 24)
        .ok_or("TBSCertificate too long for a u24 length")?;
    let ext_len =
        u16::try_from(sct.extensions.len()).map_err(|_| "SCT extensions too long".to_string())?;
    let mut m = Vec::with_capacity(tbs.len() + sct.extensions.len() + 64);
    m.push(0); // sct_version v1
    m.push(0); // signature_type certificate_timestamp
    m.extend_from_slice(&sct.timestamp.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes()); // entry_type precert_entry
    m.extend_from_slice(issuer_key_hash);
    m.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    m.extend_from_slice(tbs);
    m.extend_from_slice(&ext_len.to_be_bytes());
    m.extend_from_slice(&sct.extensions);
    Ok(m)
}

fn verify_sig(key: &PublicKey, sct: &Sct, msg: &[u8]) -> Result<(), String> {
    if sct.sig_alg != SIG_ECDSA {
        return Err(format!(
            "signature algorithm {} is not supported (ECDSA, 3)",
            sct.sig_alg
        ));
    }
    match sct.hash_alg {
        HASH_SHA256 => key.verify_prehash(&Sha256::digest(msg), &sct.signature),
        HASH_SHA384 => key.verify_prehash(&Sha384::digest(msg), &sct.signature),
        h => Err(format!(
            "hash algorithm {h} is not supported (SHA-256 4, SHA-384 5)"
        )),
    }
}

/// Verify the SCTs embedded in `leaf_der`, issued by the certificate whose DER
/// SubjectPublicKeyInfo is `issuer_spki_der`, against the trusted `ctlogs`.
///
/// At least one SCT must come from a trusted log, carry a timestamp inside that log's
/// validity window and have a valid signature. An SCT naming a trusted log that fails either
/// check rejects the certificate; SCTs from logs not in the trusted root cannot be verified
/// and are only reported. Returns one line per SCT.
pub(crate) fn verify_scts(
    leaf_der: &[u8],
    issuer_spki_der: &[u8],
    ctlogs: &[Log],
) -> Result<Vec<String>, String> {
    let cert = x509_cert::Certificate::from_der(leaf_der)
        .map_err(|e| format!("leaf is not a DER X.509 certificate: {e}"))?;
    let mut exts = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == EXT_SCT_LIST);
    let ext = exts.next().ok_or(
        "the leaf carries no embedded SCT list (extension 1.3.6.1.4.1.11129.2.4.2): its \
         issuance is not shown to be logged in a trusted CT log",
    )?;
    if exts.next().is_some() {
        return Err("the leaf carries more than one SCT list extension".into());
    }
    let scts = parse_sct_list(ext.extn_value.as_bytes())?;
    let tbs = precert_tbs(&cert)?;
    let issuer_key_hash = Sha256::digest(issuer_spki_der);

    let mut lines = Vec::new();
    let mut verified = 0usize;
    for (i, sct) in scts.iter().enumerate() {
        let Some(log) = ctlogs.iter().find(|l| l.log_id[..] == sct.log_id[..]) else {
            lines.push(format!(
                "SCT {i}: log {} is not in the trusted root (not verified)",
                crate::b64s(&sct.log_id)
            ));
            continue;
        };
        let secs = i64::try_from(sct.timestamp / 1000)
            .map_err(|_| format!("SCT {i}: timestamp {} out of range", sct.timestamp))?;
        if !log.valid.contains(secs) {
            return Err(format!(
                "SCT {i}: timestamp {} is outside the validity of CT log {} ({})",
                format_unix(secs),
                log.base_url,
                log.valid.describe()
            ));
        }
        let msg = signed_data(sct, &issuer_key_hash, &tbs).map_err(|e| format!("SCT {i}: {e}"))?;
        verify_sig(&log.key, sct, &msg).map_err(|e| {
            format!(
                "SCT {i} from CT log {}: {e} (the certificate, the SCT or the issuer key differs \
                 from what the log signed)",
                log.base_url
            )
        })?;
        verified += 1;
        lines.push(format!(
            "SCT {i}: CT log {} signed the precertificate at {}",
            log.base_url,
            format_unix(secs)
        ));
    }
    if verified == 0 {
        return Err(format!(
            "none of the {} SCT(s) is from a CT log in the trusted root: {}",
            scts.len(),
            lines.join("; ")
        ));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TrustedRoot;

    fn data(name: &str) -> Vec<u8> {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join("testdata/sigstore")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// (leaf DER, issuer SPKI DER, staging root) for the bundle_v3 test bundle.
    fn fixture() -> (Vec<u8>, Vec<u8>, TrustedRoot) {
        let b = crate::Bundle::from_json(&data("bundle_v3.txt.sigstore")).expect("bundle");
        let root = TrustedRoot::from_json(&data("staging-trusted_root.json")).expect("root");
        let leaf = b.certs[0].clone();
        let parsed = crate::cert::parse_cert(&leaf, "leaf", "$").expect("leaf");
        let ca = crate::find_chain(&parsed, &root.cas).expect("chain");
        let spki = ca.chain[0]
            .cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .expect("spki");
        (leaf, spki, root)
    }

    /// The byte range of the SCT list extension's value inside the leaf DER.
    fn sct_ext_value(leaf: &[u8]) -> Vec<u8> {
        let cert = x509_cert::Certificate::from_der(leaf).expect("leaf");
        cert.tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == EXT_SCT_LIST)
            .expect("SCT extension")
            .extn_value
            .as_bytes()
            .to_vec()
    }

    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len())
            .position(|w| w == needle)
            .expect("present")
    }

    #[test]
    fn staging_leaf_sct_verifies() {
        let (leaf, spki, root) = fixture();
        let lines = verify_scts(&leaf, &spki, &root.ctlogs).expect("SCT verifies");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("signed the precertificate")),
            "{lines:?}"
        );
        let scts = parse_sct_list(&sct_ext_value(&leaf)).expect("list");
        assert_eq!(scts.len(), 1);
        assert_eq!(
            (scts[0].hash_alg, scts[0].sig_alg),
            (HASH_SHA256, SIG_ECDSA)
        );
    }

    #[test]
    fn flipped_sct_signature_is_rejected() {
        let (leaf, spki, root) = fixture();
        let ext = sct_ext_value(&leaf);
        let scts = parse_sct_list(&ext).expect("list");
        let sig = &scts[0].signature;
        // Flip the last byte of the DER ECDSA signature (inside s).
        let mut bad = leaf.clone();
        let at = find(&bad, sig) + sig.len() - 1;
        bad[at] ^= 1;
        let err = verify_scts(&bad, &spki, &root.ctlogs).expect_err("rejected");
        assert!(err.contains("does not verify"), "{err}");
        // A changed timestamp (inside the window) breaks the signature too.
        let mut bad = leaf.clone();
        let ts = scts[0].timestamp.to_be_bytes();
        let at = find(&bad, &ts) + 7;
        bad[at] ^= 1;
        let err = verify_scts(&bad, &spki, &root.ctlogs).expect_err("rejected");
        assert!(err.contains("does not verify"), "{err}");
    }

    #[test]
    fn wrong_issuer_key_is_rejected() {
        let (leaf, _, root) = fixture();
        // The leaf's own key is not the issuer's.
        let cert = x509_cert::Certificate::from_der(&leaf).expect("leaf");
        let own = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .expect("spki");
        let err = verify_scts(&leaf, &own, &root.ctlogs).expect_err("rejected");
        assert!(err.contains("does not verify"), "{err}");
    }

    #[test]
    fn missing_or_expired_ctlog_is_rejected() {
        let (leaf, spki, root) = fixture();
        let err = verify_scts(&leaf, &spki, &[]).expect_err("rejected");
        assert!(err.contains("not in the trusted root"), "{err}");
        let scts = parse_sct_list(&sct_ext_value(&leaf)).expect("list");
        let others: Vec<Log> = root
            .ctlogs
            .iter()
            .filter(|l| l.log_id[..] != scts[0].log_id[..])
            .cloned()
            .collect();
        let err = verify_scts(&leaf, &spki, &others).expect_err("rejected");
        assert!(err.contains("none of the 1 SCT"), "{err}");
        // The log's validity window ends before the SCT.
        let mut ended = root.ctlogs.clone();
        for l in &mut ended {
            l.valid.end = Some(l.valid.start);
        }
        let err = verify_scts(&leaf, &spki, &ended).expect_err("rejected");
        assert!(err.contains("outside the validity"), "{err}");
        // A log whose key is another log's key: the signature fails.
        let mut swapped = root.ctlogs.clone();
        let other_key = others
            .iter()
            .find(|l| matches!(l.key, PublicKey::P256(_)))
            .expect("another P-256 log")
            .key
            .clone();
        for l in &mut swapped {
            if l.log_id[..] == scts[0].log_id[..] {
                l.key = other_key.clone();
            }
        }
        let err = verify_scts(&leaf, &spki, &swapped).expect_err("rejected");
        assert!(err.contains("does not verify"), "{err}");
    }

    #[test]
    fn malformed_lists_are_rejected_without_panic() {
        let (leaf, spki, root) = fixture();
        let ext = sct_ext_value(&leaf);
        for cut in 0..ext.len() {
            assert!(parse_sct_list(&ext[..cut]).is_err(), "cut {cut}");
        }
        // Unsupported SCT version.
        let scts = parse_sct_list(&ext).expect("list");
        let mut bad = leaf.clone();
        let at = find(&bad, &scts[0].log_id) - 1;
        assert_eq!(bad[at], 0);
        bad[at] = 1;
        let err = verify_scts(&bad, &spki, &root.ctlogs).expect_err("rejected");
        assert!(err.contains("not v1"), "{err}");
        // A certificate without SCTs (a CA certificate from the root).
        let ca = root.cas[0].chain[0].der.clone();
        let err = verify_scts(&ca, &spki, &root.ctlogs).expect_err("rejected");
        assert!(err.contains("no embedded SCT list"), "{err}");
        assert!(verify_scts(b"\x30\x00", &spki, &root.ctlogs).is_err());
    }
}
