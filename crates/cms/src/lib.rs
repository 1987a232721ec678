//! otproof-cms: verify X.509 / CMS (PKCS#7, RFC 5652) detached signatures, the usual form of
//! vendor firmware signatures (`firmware.bin` + `firmware.p7s`), against caller-supplied trust
//! anchors.
//!
//! What this crate owns: parsing a CMS `SignedData` (DER, or PEM labelled `CMS` or `PKCS7`),
//! finding each signer's certificate in the CMS certificate set (by issuer and serial number or
//! by subject key identifier), checking the signed `messageDigest` (and `contentType`) attribute
//! against the content, checking the signature (over the DER `SET OF` signed attributes, or over
//! the content when there are none), building and verifying the certificate chain from the
//! signer through intermediates carried in the CMS to one of the trust anchors, and the
//! code-signing policy on the signer certificate.
//!
//! Algorithms: RSA PKCS#1 v1.5 and RSA-PSS (MGF1, same hash) with SHA-256/384/512, ECDSA on
//! P-256 and P-384 with SHA-256/384/512. Anything else is rejected by name.
//!
//! Policy (the choices made here):
//! - The signer certificate MUST carry an extendedKeyUsage extension containing
//!   id-kp-codeSigning (1.3.6.1.5.5.7.3.3); a certificate without the extension is rejected too
//!   (stricter than RFC 5280, which reads a missing EKU as "any"), and anyExtendedKeyUsage is not
//!   accepted in its place.
//! - If the signer certificate has a keyUsage extension it must include digitalSignature; a
//!   missing keyUsage is accepted (RFC 5280) and said so in the checks.
//! - Every issuing certificate in the chain (intermediates, and the anchor when it issues) must
//!   be a CA (basicConstraints cA) and, when keyUsage is present, have keyCertSign.
//! - Every certificate in the chain, anchor included, must be valid at the signing time: the
//!   caller's `at`, else the signed `signingTime` attribute, else the signature is rejected
//!   ("no signing time: pass --at"). Unrecognised critical extensions are rejected.
//! - Every SignerInfo in the SignedData must verify; the first one is reported.
//!
//! Invariants: offline; no clock reads inside the library (time comes from the caller or from
//! the signature); every rejection is a [`CmsError`] naming the check or the part that did not
//! parse; no panics on any input bytes (property-tested and fuzzed).

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, Encode};
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::time::Time;
use x509_cert::Certificate;

mod oids {
    use const_oid::ObjectIdentifier as O;
    pub const SIGNED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.2");
    pub const CONTENT_TYPE: O = O::new_unwrap("1.2.840.113549.1.9.3");
    pub const MESSAGE_DIGEST: O = O::new_unwrap("1.2.840.113549.1.9.4");
    pub const SIGNING_TIME: O = O::new_unwrap("1.2.840.113549.1.9.5");
    pub const SHA256: O = O::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: O = O::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: O = O::new_unwrap("2.16.840.1.101.3.4.2.3");
    pub const RSA_ENCRYPTION: O = O::new_unwrap("1.2.840.113549.1.1.1");
    pub const RSA_PSS: O = O::new_unwrap("1.2.840.113549.1.1.10");
    pub const MGF1: O = O::new_unwrap("1.2.840.113549.1.1.8");
    pub const SHA256_RSA: O = O::new_unwrap("1.2.840.113549.1.1.11");
    pub const SHA384_RSA: O = O::new_unwrap("1.2.840.113549.1.1.12");
    pub const SHA512_RSA: O = O::new_unwrap("1.2.840.113549.1.1.13");
    pub const EC_PUBLIC_KEY: O = O::new_unwrap("1.2.840.10045.2.1");
    pub const ECDSA_SHA256: O = O::new_unwrap("1.2.840.10045.4.3.2");
    pub const ECDSA_SHA384: O = O::new_unwrap("1.2.840.10045.4.3.3");
    pub const ECDSA_SHA512: O = O::new_unwrap("1.2.840.10045.4.3.4");
    pub const P256: O = O::new_unwrap("1.2.840.10045.3.1.7");
    pub const P384: O = O::new_unwrap("1.3.132.0.34");
    pub const CODE_SIGNING: O = O::new_unwrap("1.3.6.1.5.5.7.3.3");
    pub const KEY_USAGE: O = O::new_unwrap("2.5.29.15");
    pub const EXT_KEY_USAGE: O = O::new_unwrap("2.5.29.37");
    pub const BASIC_CONSTRAINTS: O = O::new_unwrap("2.5.29.19");
    pub const SUBJECT_KEY_ID: O = O::new_unwrap("2.5.29.14");
    /// Extensions this verifier understands (or that carry no constraint it must enforce),
    /// so that they may be critical.
    pub const UNDERSTOOD: [O; 8] = [
        KEY_USAGE,
        EXT_KEY_USAGE,
        BASIC_CONSTRAINTS,
        SUBJECT_KEY_ID,
        O::new_unwrap("2.5.29.35"), // authorityKeyIdentifier
        O::new_unwrap("2.5.29.17"), // subjectAltName
        O::new_unwrap("2.5.29.18"), // issuerAltName
        O::new_unwrap("2.5.29.32"), // certificatePolicies (no policy constraints enforced)
    ];
}

/// Longest chain (signer to anchor) this verifier will build.
const MAX_CHAIN: usize = 8;

/// A trusted root (or trusted intermediate) certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    cert: Certificate,
}

impl TrustAnchor {
    /// One or more `CERTIFICATE` PEM blocks (other PEM blocks are skipped); at least one needed.
    pub fn from_pem(bytes: &[u8]) -> Result<Vec<TrustAnchor>, CmsError> {
        let mut out = Vec::new();
        for (label, der) in pem_blocks(bytes)? {
            if label == "CERTIFICATE" || label == "TRUSTED CERTIFICATE" {
                out.push(TrustAnchor::from_der(&der)?);
            }
        }
        if out.is_empty() {
            return Err(parse(
                "trust anchor PEM",
                "one or more -----BEGIN CERTIFICATE----- blocks",
            ));
        }
        Ok(out)
    }

    /// One DER-encoded X.509 certificate.
    pub fn from_der(der: &[u8]) -> Result<TrustAnchor, CmsError> {
        let cert = Certificate::from_der(der).map_err(|e| CmsError::Parse {
            what: "trust anchor certificate".into(),
            expected: format!("a DER X.509 certificate ({e})"),
        })?;
        Ok(TrustAnchor { cert })
    }

    /// The anchor's subject, RFC 4514 string.
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }
}

/// What was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Subject of the signer certificate (RFC 4514 string).
    pub signer_subject: String,
    /// Serial number of the signer certificate, lowercase hex.
    pub signer_serial: String,
    /// The signed signingTime attribute, RFC 3339 UTC, if the signature has one.
    pub signing_time: Option<String>,
    /// Subjects from the signer certificate to the trust anchor.
    pub chain: Vec<String>,
    /// The checks that passed, in order, in words.
    pub checks: Vec<String>,
}

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    /// Input that does not parse as what was expected.
    #[error("cannot parse {what}: expected {expected}")]
    Parse { what: String, expected: String },
    /// A named check failed: "message digest", "signature", "certificate chain", "key usage",
    /// "extended key usage (code signing)", "validity at signing time", "no signer",
    /// "signing time", "content type", "algorithm", "basic constraints", "critical extension".
    #[error("CMS check failed: {check}: {reason}")]
    Check { check: &'static str, reason: String },
}

fn parse(what: &str, expected: impl Into<String>) -> CmsError {
    CmsError::Parse {
        what: what.into(),
        expected: expected.into(),
    }
}

fn fail(check: &'static str, reason: impl Into<String>) -> CmsError {
    CmsError::Check {
        check,
        reason: reason.into(),
    }
}

/// Verify a detached CMS signature over `content`.
///
/// `signature` is DER or PEM (`-----BEGIN CMS-----` / `-----BEGIN PKCS7-----`). `at` is the time
/// (unix seconds) at which certificate validity is judged; `None` uses the signed signingTime
/// attribute, and without one the signature is rejected.
pub fn verify_detached(
    content: &[u8],
    signature: &[u8],
    anchors: &[TrustAnchor],
    at: Option<i64>,
) -> Result<Verified, CmsError> {
    let (sd, certs) = parse_signed_data(signature)?;
    verify_parsed(&Content::Bytes(content), &sd, &certs, anchors, at)
}

/// Most content bytes [`verify_detached_reader`] holds in memory, for a signer that signs the
/// content itself (no signed attributes), where the signature needs the message.
pub const DIRECT_SIGNATURE_MAX: u64 = 64 << 20;

/// [`verify_detached`] reading the content from `content` as a stream: only the digests the
/// signers name are computed, in constant memory. A signer with signed attributes (the usual
/// case) is checked through its messageDigest; a signer that signs the content itself needs
/// the whole message, which is kept only up to [`DIRECT_SIGNATURE_MAX`] bytes: larger content
/// is a failed "signature" check that says so, never a pass.
pub fn verify_detached_reader(
    mut content: impl std::io::Read,
    signature: &[u8],
    anchors: &[TrustAnchor],
    at: Option<i64>,
) -> Result<Verified, CmsError> {
    let (sd, certs) = parse_signed_data(signature)?;
    let algs: Vec<Hash> = sd
        .signer_infos
        .0
        .iter()
        .filter_map(|si| hash_of(&si.digest_alg.oid))
        .collect();
    let keep = sd.signer_infos.0.iter().any(|si| si.signed_attrs.is_none());
    let mut s256 = algs.contains(&Hash::Sha256).then(Sha256::new);
    let mut s384 = algs.contains(&Hash::Sha384).then(Sha384::new);
    let mut s512 = algs.contains(&Hash::Sha512).then(Sha512::new);
    let mut bytes: Option<Vec<u8>> = keep.then(Vec::new);
    let mut length = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match content.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(parse("content", format!("readable content ({e})"))),
        };
        let chunk = &buf[..n];
        length += n as u64;
        if let Some(h) = s256.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = s384.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = s512.as_mut() {
            h.update(chunk);
        }
        if length > DIRECT_SIGNATURE_MAX {
            bytes = None;
        } else if let Some(b) = bytes.as_mut() {
            b.extend_from_slice(chunk);
        }
    }
    let streamed = Content::Streamed {
        length,
        sha256: s256.map(|h| h.finalize().to_vec()),
        sha384: s384.map(|h| h.finalize().to_vec()),
        sha512: s512.map(|h| h.finalize().to_vec()),
        bytes,
    };
    verify_parsed(&streamed, &sd, &certs, anchors, at)
}

/// The detached content: its bytes, or what was computed while it streamed past.
enum Content<'a> {
    Bytes(&'a [u8]),
    Streamed {
        length: u64,
        sha256: Option<Vec<u8>>,
        sha384: Option<Vec<u8>>,
        sha512: Option<Vec<u8>>,
        /// The bytes, when a signer needs them and they fit [`DIRECT_SIGNATURE_MAX`].
        bytes: Option<Vec<u8>>,
    },
}

impl Content<'_> {
    fn digest(&self, h: Hash) -> Option<Vec<u8>> {
        match self {
            Content::Bytes(b) => Some(h.digest(b)),
            Content::Streamed {
                sha256,
                sha384,
                sha512,
                ..
            } => match h {
                Hash::Sha256 => sha256.clone(),
                Hash::Sha384 => sha384.clone(),
                Hash::Sha512 => sha512.clone(),
            },
        }
    }

    /// The message itself, or why it is not available.
    fn message(&self) -> Result<&[u8], CmsError> {
        match self {
            Content::Bytes(b) => Ok(b),
            Content::Streamed {
                bytes: Some(b), ..
            } => Ok(b),
            Content::Streamed { length, .. } => Err(fail(
                "signature",
                format!(
                    "the signer signs the content itself (no signed attributes), and the content is {length} bytes: more than the {DIRECT_SIGNATURE_MAX} bytes otproof holds in memory to check such a signature; not verified"
                ),
            )),
        }
    }
}

fn parse_signed_data(signature: &[u8]) -> Result<(SignedData, Vec<Certificate>), CmsError> {
    let der = signature_der(signature)?;
    let ci = ContentInfo::from_der(&der).map_err(|e| {
        parse(
            "CMS signature",
            format!("a DER ContentInfo (RFC 5652) ({e})"),
        )
    })?;
    if ci.content_type != oids::SIGNED_DATA {
        return Err(parse(
            "CMS ContentInfo",
            format!("content type id-signedData, found {}", ci.content_type),
        ));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| parse("CMS SignedData", format!("a DER SignedData ({e})")))?;
    if sd.encap_content_info.econtent.is_some() {
        return Err(parse(
            "CMS SignedData",
            "a detached signature (the signature carries its own content)",
        ));
    }
    let certs: Vec<Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(cert) => Some(cert.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((sd, certs))
}

fn verify_parsed(
    content: &Content<'_>,
    sd: &SignedData,
    certs: &[Certificate],
    anchors: &[TrustAnchor],
    at: Option<i64>,
) -> Result<Verified, CmsError> {
    let signers: Vec<&SignerInfo> = sd.signer_infos.0.iter().collect();
    if signers.is_empty() {
        return Err(fail("no signer", "the SignedData has no SignerInfo"));
    }
    let mut first: Option<Verified> = None;
    for si in signers {
        let v = verify_signer(
            content,
            si,
            &sd.encap_content_info.econtent_type,
            certs,
            anchors,
            at,
        )?;
        first.get_or_insert(v);
    }
    first.ok_or_else(|| fail("no signer", "the SignedData has no SignerInfo"))
}

fn verify_signer(
    content: &Content<'_>,
    si: &SignerInfo,
    econtent_type: &ObjectIdentifier,
    certs: &[Certificate],
    anchors: &[TrustAnchor],
    at: Option<i64>,
) -> Result<Verified, CmsError> {
    let mut checks = vec!["CMS SignedData parsed (detached)".to_string()];

    // 1. The signer certificate.
    let signer = find_signer(&si.sid, certs)?;
    let signer_subject = signer.tbs_certificate.subject.to_string();
    checks.push(format!(
        "signer certificate found in the CMS certificates: {signer_subject}"
    ));

    // 2. Message digest (signed attributes) or direct signature over the content.
    let digest_alg = hash_of(&si.digest_alg.oid)
        .ok_or_else(|| fail("algorithm", format!("digest {}", si.digest_alg.oid)))?;
    let mut signing_time: Option<(i64, String)> = None;
    let signed_message: Vec<u8> = match &si.signed_attrs {
        Some(attrs) => {
            let mut message_digest: Option<Vec<u8>> = None;
            let mut content_type: Option<ObjectIdentifier> = None;
            for attr in attrs.iter() {
                let single = |name: &str| {
                    if attr.values.len() == 1 {
                        attr.values.get(0).ok_or_else(|| parse(name, "one value"))
                    } else {
                        Err(parse(name, "exactly one attribute value"))
                    }
                };
                if attr.oid == oids::MESSAGE_DIGEST {
                    let v = single("messageDigest attribute")?;
                    let os: OctetString = v.decode_as().map_err(|e| {
                        parse("messageDigest attribute", format!("OCTET STRING ({e})"))
                    })?;
                    message_digest = Some(os.as_bytes().to_vec());
                } else if attr.oid == oids::CONTENT_TYPE {
                    let v = single("contentType attribute")?;
                    content_type = Some(
                        v.decode_as()
                            .map_err(|e| parse("contentType attribute", format!("OID ({e})")))?,
                    );
                } else if attr.oid == oids::SIGNING_TIME {
                    let v = single("signingTime attribute")?;
                    let t = v.to_der().and_then(|d| Time::from_der(&d)).map_err(|e| {
                        parse(
                            "signingTime attribute",
                            format!("UTCTime or GeneralizedTime ({e})"),
                        )
                    })?;
                    signing_time = Some((unix(&t), t.to_date_time().to_string()));
                }
            }
            match content_type {
                Some(ct) if ct == *econtent_type => {}
                Some(ct) => {
                    return Err(fail(
                        "content type",
                        format!(
                            "signed contentType {ct} differs from the SignedData's {econtent_type}"
                        ),
                    ))
                }
                None => {
                    return Err(fail(
                        "content type",
                        "signed attributes without the contentType attribute (RFC 5652 5.3)",
                    ))
                }
            }
            let md = message_digest.ok_or_else(|| {
                fail(
                    "message digest",
                    "signed attributes without the messageDigest attribute",
                )
            })?;
            let actual = content.digest(digest_alg).ok_or_else(|| {
                fail(
                    "message digest",
                    format!("{} of the content was not computed", digest_alg.name()),
                )
            })?;
            if md != actual {
                return Err(fail(
                    "message digest",
                    format!(
                        "{} of the content is {}, the signed messageDigest is {}",
                        digest_alg.name(),
                        hex::encode(&actual),
                        hex::encode(&md)
                    ),
                ));
            }
            checks.push(format!(
                "messageDigest attribute equals {} of the content",
                digest_alg.name()
            ));
            attrs
                .to_der()
                .map_err(|e| parse("signed attributes", format!("re-encodable DER ({e})")))?
        }
        None => content.message()?.to_vec(),
    };

    // 3. The signature itself.
    let spki = &signer.tbs_certificate.subject_public_key_info;
    let alg_name = verify_signature(
        spki,
        &si.signature_algorithm,
        Some(digest_alg),
        &signed_message,
        si.signature.as_bytes(),
    )
    .map_err(|r| fail("signature", format!("signer signature: {r}")))?;
    checks.push(format!(
        "signature ({alg_name}) over the {} verifies with the signer's key",
        if si.signed_attrs.is_some() {
            "DER signed attributes"
        } else {
            "content"
        }
    ));

    // 4. The time certificates are judged at.
    let (at, at_source) = match (at, &signing_time) {
        (Some(t), _) => (t, "the caller's time"),
        (None, Some((t, _))) => (*t, "the signingTime attribute"),
        (None, None) => {
            return Err(fail(
                "signing time",
                "no signing time: pass --at (the signature has no signingTime attribute)",
            ))
        }
    };

    // 5. Chain to an anchor.
    let (chain, anchor_idx) = build_chain(signer, certs, anchors)?;
    let mut subjects: Vec<String> = chain
        .iter()
        .map(|c| c.tbs_certificate.subject.to_string())
        .collect();
    let anchor = anchors.get(anchor_idx).map(|a| &a.cert);
    if let Some(a) = anchor {
        if !chain.last().is_some_and(|c| *c == a) {
            subjects.push(a.tbs_certificate.subject.to_string());
        }
    }
    checks.push(format!(
        "certificate chain verified to a trust anchor: {}",
        subjects.join(" <- ")
    ));

    // 6. Signer policy: key usage and EKU codeSigning.
    check_leaf_usage(signer, &mut checks)?;

    // 7. Critical extensions and validity for every certificate, the anchor included.
    let mut all: Vec<&Certificate> = chain.clone();
    if let Some(a) = anchor {
        if !all.contains(&a) {
            all.push(a);
        }
    }
    for c in &all {
        check_critical(c)?;
    }
    for c in &all {
        let tbs = &c.tbs_certificate;
        let nb = unix(&tbs.validity.not_before);
        let na = unix(&tbs.validity.not_after);
        if at < nb || at > na {
            return Err(fail(
                "validity at signing time",
                format!(
                    "{} is valid {} to {}, not at {} ({at_source})",
                    tbs.subject,
                    tbs.validity.not_before.to_date_time(),
                    tbs.validity.not_after.to_date_time(),
                    rfc3339(at)
                ),
            ));
        }
    }
    checks.push(format!(
        "every certificate valid at {} ({at_source})",
        rfc3339(at)
    ));

    Ok(Verified {
        signer_subject,
        signer_serial: hex::encode(signer.tbs_certificate.serial_number.as_bytes()),
        signing_time: signing_time.map(|(_, s)| s),
        chain: subjects,
        checks,
    })
}

fn find_signer<'c>(
    sid: &SignerIdentifier,
    certs: &'c [Certificate],
) -> Result<&'c Certificate, CmsError> {
    let found = match sid {
        SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer,
            serial_number,
        }) => certs.iter().find(|c| {
            c.tbs_certificate.issuer == *issuer && c.tbs_certificate.serial_number == *serial_number
        }),
        SignerIdentifier::SubjectKeyIdentifier(ski) => certs
            .iter()
            .find(|c| subject_key_id(c).is_some_and(|k| k == ski.0.as_bytes())),
    };
    found.ok_or_else(|| {
        let who = match sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => format!(
                "issuer {} serial {}",
                ias.issuer,
                hex::encode(ias.serial_number.as_bytes())
            ),
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                format!("subject key identifier {}", hex::encode(ski.0.as_bytes()))
            }
        };
        fail(
            "no signer",
            format!("no certificate in the CMS matches the SignerInfo ({who})"),
        )
    })
}

fn extension<'c>(
    cert: &'c Certificate,
    oid: &ObjectIdentifier,
) -> Option<&'c x509_cert::ext::Extension> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == *oid)
}

fn subject_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    let ext = extension(cert, &oids::SUBJECT_KEY_ID)?;
    let ski = SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes()).ok()?;
    Some(ski.0.as_bytes().to_vec())
}

/// Walk from the signer to an anchor: each step needs an issuer whose subject equals the
/// certificate's issuer name and whose key verifies the certificate's signature. Anchors are
/// preferred over CMS-supplied certificates at every step.
fn build_chain<'c>(
    signer: &'c Certificate,
    certs: &'c [Certificate],
    anchors: &'c [TrustAnchor],
) -> Result<(Vec<&'c Certificate>, usize), CmsError> {
    if anchors.is_empty() {
        return Err(fail("certificate chain", "no trust anchors given"));
    }
    let mut chain: Vec<&Certificate> = vec![signer];
    let mut current = signer;
    let mut last_error = String::new();
    loop {
        // The certificate itself is an anchor (pinned signer or intermediate).
        if let Some(i) = anchors.iter().position(|a| a.cert == *current) {
            return Ok((chain, i));
        }
        // Issued by an anchor.
        for (i, a) in anchors.iter().enumerate() {
            if a.cert.tbs_certificate.subject != current.tbs_certificate.issuer {
                continue;
            }
            match verify_cert_signature(current, &a.cert) {
                Ok(()) => {
                    check_issuer(&a.cert)?;
                    return Ok((chain, i));
                }
                Err(e) => last_error = format!("anchor {}: {e}", a.cert.tbs_certificate.subject),
            }
        }
        if chain.len() >= MAX_CHAIN {
            return Err(fail(
                "certificate chain",
                format!("no trust anchor within {MAX_CHAIN} certificates"),
            ));
        }
        // Issued by an intermediate from the CMS.
        let next = certs.iter().find(|c| {
            c.tbs_certificate.subject == current.tbs_certificate.issuer
                && !chain.contains(c)
                && verify_cert_signature(current, c).is_ok()
        });
        match next {
            Some(issuer) => {
                check_issuer(issuer)?;
                chain.push(issuer);
                current = issuer;
            }
            None => {
                let mut reason = format!(
                    "no trust anchor or CMS certificate issued {} (issuer {})",
                    current.tbs_certificate.subject, current.tbs_certificate.issuer
                );
                if !last_error.is_empty() {
                    reason.push_str(&format!("; {last_error}"));
                }
                return Err(fail("certificate chain", reason));
            }
        }
    }
}

/// An issuing certificate must be a CA and, with keyUsage, allowed to sign certificates.
fn check_issuer(cert: &Certificate) -> Result<(), CmsError> {
    let subject = &cert.tbs_certificate.subject;
    let is_ca = extension(cert, &oids::BASIC_CONSTRAINTS)
        .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|bc| bc.ca);
    if !is_ca {
        return Err(fail(
            "basic constraints",
            format!("{subject} issues a certificate but is not a CA (basicConstraints cA)"),
        ));
    }
    if let Some(ext) = extension(cert, &oids::KEY_USAGE) {
        let ku = KeyUsage::from_der(ext.extn_value.as_bytes())
            .map_err(|e| parse("keyUsage extension", format!("BIT STRING ({e})")))?;
        if !ku.0.contains(KeyUsages::KeyCertSign) {
            return Err(fail(
                "key usage",
                format!("{subject} issues a certificate without keyUsage keyCertSign"),
            ));
        }
    }
    Ok(())
}

fn check_leaf_usage(signer: &Certificate, checks: &mut Vec<String>) -> Result<(), CmsError> {
    let subject = &signer.tbs_certificate.subject;
    match extension(signer, &oids::KEY_USAGE) {
        Some(ext) => {
            let ku = KeyUsage::from_der(ext.extn_value.as_bytes())
                .map_err(|e| parse("keyUsage extension", format!("BIT STRING ({e})")))?;
            if !ku.0.contains(KeyUsages::DigitalSignature) {
                return Err(fail(
                    "key usage",
                    format!("signer {subject} keyUsage lacks digitalSignature"),
                ));
            }
            checks.push("signer keyUsage includes digitalSignature".into());
        }
        None => checks.push("signer has no keyUsage extension (any usage, RFC 5280)".into()),
    }
    let ext = extension(signer, &oids::EXT_KEY_USAGE).ok_or_else(|| {
        fail(
            "extended key usage (code signing)",
            format!("signer {subject} has no extendedKeyUsage extension; codeSigning is required"),
        )
    })?;
    let eku = ExtendedKeyUsage::from_der(ext.extn_value.as_bytes()).map_err(|e| {
        parse(
            "extendedKeyUsage extension",
            format!("SEQUENCE OF OID ({e})"),
        )
    })?;
    if !eku.0.contains(&oids::CODE_SIGNING) {
        return Err(fail(
            "extended key usage (code signing)",
            format!("signer {subject} extendedKeyUsage lacks id-kp-codeSigning"),
        ));
    }
    checks.push("signer extendedKeyUsage includes codeSigning".into());
    Ok(())
}

fn check_critical(cert: &Certificate) -> Result<(), CmsError> {
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        if ext.critical && !oids::UNDERSTOOD.contains(&ext.extn_id) {
            return Err(fail(
                "critical extension",
                format!(
                    "{} has a critical extension {} this verifier does not process",
                    cert.tbs_certificate.subject, ext.extn_id
                ),
            ));
        }
    }
    Ok(())
}

fn verify_cert_signature(cert: &Certificate, issuer: &Certificate) -> Result<(), String> {
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|e| format!("cannot re-encode the certificate ({e})"))?;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or("certificate signature is not a whole number of bytes")?;
    verify_signature(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        None,
        &tbs,
        sig,
    )
    .map(|_| ())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

fn hash_of(oid: &ObjectIdentifier) -> Option<Hash> {
    match *oid {
        oids::SHA256 => Some(Hash::Sha256),
        oids::SHA384 => Some(Hash::Sha384),
        oids::SHA512 => Some(Hash::Sha512),
        _ => None,
    }
}

enum Scheme {
    Pkcs1(Hash),
    Pss(Hash, usize),
    Ecdsa(Hash),
}

/// The scheme of a signature algorithm identifier. `cms_digest` is the SignerInfo's
/// digestAlgorithm, used where CMS names only the key type (rsaEncryption, id-ecPublicKey).
fn scheme(alg: &AlgorithmIdentifierOwned, cms_digest: Option<Hash>) -> Result<Scheme, String> {
    let bare = |h: Option<Hash>| h.ok_or_else(|| format!("{} needs a digest algorithm", alg.oid));
    Ok(match alg.oid {
        oids::SHA256_RSA => Scheme::Pkcs1(Hash::Sha256),
        oids::SHA384_RSA => Scheme::Pkcs1(Hash::Sha384),
        oids::SHA512_RSA => Scheme::Pkcs1(Hash::Sha512),
        oids::RSA_ENCRYPTION => Scheme::Pkcs1(bare(cms_digest)?),
        oids::ECDSA_SHA256 => Scheme::Ecdsa(Hash::Sha256),
        oids::ECDSA_SHA384 => Scheme::Ecdsa(Hash::Sha384),
        oids::ECDSA_SHA512 => Scheme::Ecdsa(Hash::Sha512),
        oids::EC_PUBLIC_KEY => Scheme::Ecdsa(bare(cms_digest)?),
        oids::RSA_PSS => {
            let params = alg
                .parameters
                .as_ref()
                .ok_or("RSASSA-PSS without parameters")?;
            let der = params
                .to_der()
                .map_err(|e| format!("RSASSA-PSS parameters: {e}"))?;
            let p = pkcs1::RsaPssParams::from_der(&der)
                .map_err(|e| format!("RSASSA-PSS parameters: {e}"))?;
            let h = hash_of(&p.hash.oid)
                .ok_or_else(|| format!("RSASSA-PSS hash {} not supported", p.hash.oid))?;
            if p.mask_gen.oid != oids::MGF1
                || p.mask_gen.parameters.as_ref().map(|m| m.oid) != Some(p.hash.oid)
            {
                return Err("RSASSA-PSS mask generation other than MGF1 with the same hash".into());
            }
            if p.trailer_field != pkcs1::TrailerField::BC {
                return Err("RSASSA-PSS trailer field other than 1".into());
            }
            Scheme::Pss(h, usize::from(p.salt_len))
        }
        other => return Err(format!("signature algorithm {other} not supported")),
    })
}

/// Verify `sig` over `message` with the key in `spki`. Returns the algorithm's name.
fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    cms_digest: Option<Hash>,
    message: &[u8],
    sig: &[u8],
) -> Result<String, String> {
    let scheme = scheme(alg, cms_digest)?;
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or("public key is not a whole number of bytes")?;
    match scheme {
        Scheme::Pkcs1(h) | Scheme::Pss(h, _) => {
            if spki.algorithm.oid != oids::RSA_ENCRYPTION && spki.algorithm.oid != oids::RSA_PSS {
                return Err(format!("RSA signature but a {} key", spki.algorithm.oid));
            }
            use rsa::pkcs1::DecodeRsaPublicKey;
            let key = rsa::RsaPublicKey::from_pkcs1_der(key_bytes)
                .map_err(|e| format!("RSA public key: {e}"))?;
            let hashed = h.digest(message);
            let (res, name) = match scheme {
                Scheme::Pss(_, salt) => {
                    let pad = match h {
                        Hash::Sha256 => rsa::Pss::new_with_salt::<Sha256>(salt),
                        Hash::Sha384 => rsa::Pss::new_with_salt::<Sha384>(salt),
                        Hash::Sha512 => rsa::Pss::new_with_salt::<Sha512>(salt),
                    };
                    (key.verify(pad, &hashed, sig), "RSA-PSS")
                }
                _ => {
                    let pad = match h {
                        Hash::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                        Hash::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                        Hash::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
                    };
                    (key.verify(pad, &hashed, sig), "RSA PKCS#1 v1.5")
                }
            };
            res.map_err(|_| format!("{name} with {} does not verify", h.name()))?;
            Ok(format!("{name} with {}", h.name()))
        }
        Scheme::Ecdsa(h) => {
            if spki.algorithm.oid != oids::EC_PUBLIC_KEY {
                return Err(format!("ECDSA signature but a {} key", spki.algorithm.oid));
            }
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as().ok())
                .ok_or("EC key without a named curve")?;
            let hashed = h.digest(message);
            let ok = match curve {
                oids::P256 => {
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| "P-256 public key does not parse")?;
                    let s = p256::ecdsa::Signature::from_der(sig)
                        .map_err(|_| "ECDSA signature is not DER r,s for P-256")?;
                    key.verify_prehash(&hashed, &s).is_ok()
                }
                oids::P384 => {
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| "P-384 public key does not parse")?;
                    let s = p384::ecdsa::Signature::from_der(sig)
                        .map_err(|_| "ECDSA signature is not DER r,s for P-384")?;
                    key.verify_prehash(&hashed, &s).is_ok()
                }
                other => return Err(format!("EC curve {other} not supported")),
            };
            let name = format!(
                "ECDSA {} with {}",
                if curve == oids::P256 {
                    "P-256"
                } else {
                    "P-384"
                },
                h.name()
            );
            if ok {
                Ok(name)
            } else {
                Err(format!("{name} does not verify"))
            }
        }
    }
}

/// The DER bytes of a signature given as DER or as PEM (`CMS` / `PKCS7` label).
fn signature_der(input: &[u8]) -> Result<Vec<u8>, CmsError> {
    let trimmed = trim_ascii_start(input);
    if trimmed.starts_with(b"-----BEGIN ") {
        let blocks = pem_blocks(trimmed)?;
        for (label, der) in blocks {
            if label == "CMS" || label == "PKCS7" || label == "PKCS #7 SIGNED DATA" {
                return Ok(der);
            }
        }
        return Err(parse(
            "CMS signature PEM",
            "a -----BEGIN CMS----- or -----BEGIN PKCS7----- block",
        ));
    }
    Ok(input.to_vec())
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    b.get(n..).unwrap_or_default()
}

/// Every PEM block in `input`, as (label, DER).
fn pem_blocks(input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, CmsError> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(start) = find(rest, BEGIN) {
        let block_start = rest.get(start..).unwrap_or_default();
        let end =
            find(block_start, END).ok_or_else(|| parse("PEM", "an -----END ...----- line"))?;
        let after_end = block_start.get(end + END.len()..).unwrap_or_default();
        let close = find(after_end, b"-----").ok_or_else(|| parse("PEM", "a closed END line"))?;
        let block_len = end + END.len() + close + 5;
        let block = block_start.get(..block_len).unwrap_or_default();
        let (label, der) = der::pem::decode_vec(block)
            .map_err(|e| parse("PEM", format!("a well-formed PEM block ({e})")))?;
        out.push((label.to_string(), der));
        rest = block_start.get(block_len..).unwrap_or_default();
    }
    if out.is_empty() {
        return Err(parse("PEM", "at least one -----BEGIN ...----- block"));
    }
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn unix(t: &Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// RFC 3339 UTC for unix seconds, no clock involved; an instant outside jiff's range (years
/// -9999 to 9999) is shown as its number of seconds.
fn rfc3339(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t.to_string(),
        Err(_) => format!("{secs} s after 1970-01-01T00:00:00Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_651_200), "2026-11-26T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(
            rfc3339(i64::MAX),
            format!("{} s after 1970-01-01T00:00:00Z", i64::MAX)
        );
    }

    /// The hand-written civil-from-days formatting used before jiff, kept as the oracle.
    fn old_rfc3339(secs: i64) -> String {
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )
    }

    proptest::proptest! {
        /// 0000-01-01 to 9999-12-31: the same text as the hand-written conversion.
        #[test]
        fn rfc3339_as_before(secs in -62_167_219_200i64..=253_402_300_799) {
            proptest::prop_assert_eq!(rfc3339(secs), old_rfc3339(secs));
        }
    }

    #[test]
    fn garbage_is_a_parse_error() {
        for input in [
            &b""[..],
            b"\x30",
            b"hello",
            b"-----BEGIN CMS-----\n!!\n-----END CMS-----\n",
        ] {
            assert!(matches!(
                verify_detached(b"x", input, &[], None),
                Err(CmsError::Parse { .. })
            ));
        }
        assert!(TrustAnchor::from_pem(b"").is_err());
        assert!(TrustAnchor::from_pem(b"-----BEGIN CERTIFICATE-----").is_err());
    }
}
