//! X.509 certificates and public keys: the parsing path every certificate takes
//! ([`parse_certificate`]) and signature verification with ECDSA P-256/P-384 and Ed25519.

use crate::SigstoreError;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::{Digest, Sha256, Sha384};
use x509_cert::ext::pkix::{
    name::GeneralName, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName,
};

pub(crate) const ECDSA_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
pub(crate) const ECDSA_SHA384: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const EXT_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXT_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const EXT_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const EXT_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
/// Fulcio OIDC issuer (v1): the raw UTF-8 bytes as the extension value.
const EXT_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// Fulcio OIDC issuer (v2): a DER UTF8String.
const EXT_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
pub(crate) const EKU_CODE_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
pub(crate) const EKU_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// A public key this crate can verify with.
#[derive(Debug, Clone)]
pub(crate) enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    /// Parsed as SPKI but of a type not supported here (e.g. RSA CT log keys).
    Unsupported(String),
}

impl PublicKey {
    /// Parse DER SubjectPublicKeyInfo. Unknown algorithms become `Unsupported`; malformed
    /// input is an error.
    pub(crate) fn from_spki_der(der_bytes: &[u8]) -> Result<PublicKey, String> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der_bytes)
            .map_err(|e| format!("not a DER SubjectPublicKeyInfo: {e}"))?;
        let raw = spki.subject_public_key.raw_bytes();
        if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters_oid()
                .map_err(|_| "EC key without a named curve".to_string())?;
            if curve == SECP256R1 {
                p256::ecdsa::VerifyingKey::from_sec1_bytes(raw)
                    .map(PublicKey::P256)
                    .map_err(|_| "invalid P-256 point".to_string())
            } else if curve == SECP384R1 {
                p384::ecdsa::VerifyingKey::from_sec1_bytes(raw)
                    .map(PublicKey::P384)
                    .map_err(|_| "invalid P-384 point".to_string())
            } else {
                Ok(PublicKey::Unsupported(format!("EC curve {curve}")))
            }
        } else if spki.algorithm.oid == ID_ED25519 {
            let arr: [u8; 32] = raw
                .try_into()
                .map_err(|_| "Ed25519 key is not 32 bytes".to_string())?;
            ed25519_dalek::VerifyingKey::from_bytes(&arr)
                .map(PublicKey::Ed25519)
                .map_err(|_| "invalid Ed25519 key".to_string())
        } else {
            Ok(PublicKey::Unsupported(format!(
                "key algorithm {}",
                spki.algorithm.oid
            )))
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            PublicKey::P256(_) => "ECDSA P-256".into(),
            PublicKey::P384(_) => "ECDSA P-384".into(),
            PublicKey::Ed25519(_) => "Ed25519".into(),
            PublicKey::Unsupported(s) => format!("unsupported ({s})"),
        }
    }

    /// Verify a DER ECDSA signature over a message digest (any length the curve accepts).
    pub(crate) fn verify_prehash(&self, digest: &[u8], sig_der: &[u8]) -> Result<(), String> {
        use signature::hazmat::PrehashVerifier;
        match self {
            PublicKey::P256(k) => {
                let s = p256::ecdsa::Signature::from_der(sig_der)
                    .map_err(|_| "signature is not a DER ECDSA P-256 signature".to_string())?;
                k.verify_prehash(digest, &s)
                    .map_err(|_| "ECDSA P-256 signature does not verify".to_string())
            }
            PublicKey::P384(k) => {
                let s = p384::ecdsa::Signature::from_der(sig_der)
                    .map_err(|_| "signature is not a DER ECDSA P-384 signature".to_string())?;
                k.verify_prehash(digest, &s)
                    .map_err(|_| "ECDSA P-384 signature does not verify".to_string())
            }
            other => Err(format!(
                "a {} key cannot verify a prehashed ECDSA signature",
                other.describe()
            )),
        }
    }

    /// Verify a signature over `msg` with the key's conventional hash: SHA-256 for P-256,
    /// SHA-384 for P-384 (as sigstore clients sign DSSE), pure Ed25519.
    pub(crate) fn verify_message(&self, msg: &[u8], sig: &[u8]) -> Result<(), String> {
        match self {
            PublicKey::P256(_) => self.verify_prehash(&Sha256::digest(msg), sig),
            PublicKey::P384(_) => self.verify_prehash(&Sha384::digest(msg), sig),
            PublicKey::Ed25519(k) => {
                let s = ed25519_dalek::Signature::from_slice(sig)
                    .map_err(|_| "signature is not 64 bytes of Ed25519".to_string())?;
                k.verify_strict(msg, &s)
                    .map_err(|_| "Ed25519 signature does not verify".to_string())
            }
            PublicKey::Unsupported(s) => {
                Err(format!("cannot verify with an unsupported key ({s})"))
            }
        }
    }

    /// Verify an X.509-style signature identified by its algorithm OID.
    pub(crate) fn verify_with_alg(
        &self,
        alg: &ObjectIdentifier,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), String> {
        if *alg == ECDSA_SHA256 {
            self.verify_prehash(&Sha256::digest(msg), sig)
        } else if *alg == ECDSA_SHA384 {
            self.verify_prehash(&Sha384::digest(msg), sig)
        } else if *alg == ID_ED25519 {
            match self {
                PublicKey::Ed25519(_) => self.verify_message(msg, sig),
                _ => Err("Ed25519 signature algorithm with a non-Ed25519 key".into()),
            }
        } else {
            Err(format!(
                "signature algorithm {alg} is not supported (ECDSA with SHA-256/384, Ed25519)"
            ))
        }
    }
}

/// A parsed certificate with the exact bytes its signature covers.
#[derive(Debug, Clone)]
pub(crate) struct Cert {
    pub der: Vec<u8>,
    pub tbs_der: Vec<u8>,
    pub sig_alg: ObjectIdentifier,
    pub signature: Vec<u8>,
    pub cert: x509_cert::Certificate,
    /// DER SubjectPublicKeyInfo (for a CA: hashed into SCT precertificate signatures).
    pub spki_der: Vec<u8>,
    /// The subject key, decoded once here.
    pub key: PublicKey,
    pub not_before: i64,
    pub not_after: i64,
}

/// Read one DER TLV header at `pos`: (header length, content length).
fn tlv(b: &[u8], pos: usize) -> Option<(usize, usize)> {
    let _tag = *b.get(pos)?;
    let first = *b.get(pos + 1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | usize::from(*b.get(pos + 2 + i)?);
    }
    Some((2 + n, len))
}

/// The raw bytes of the first element inside the outer SEQUENCE (the TBSCertificate).
fn raw_tbs(b: &[u8]) -> Option<&[u8]> {
    let (h, len) = tlv(b, 0)?;
    if h.checked_add(len)? != b.len() {
        return None;
    }
    let (h2, len2) = tlv(b, h)?;
    b.get(h..h.checked_add(h2)?.checked_add(len2)?)
}

fn cert_err(what: &'static str, path: &str, expected: String) -> SigstoreError {
    SigstoreError::Parse {
        what,
        path: path.to_string(),
        expected,
    }
}

/// Parse a DER X.509 certificate. `what`/`path` locate it for error messages.
/// Never panics on arbitrary input.
pub fn parse_certificate(der_bytes: &[u8]) -> Result<(), SigstoreError> {
    parse_cert(der_bytes, "certificate", "$").map(|_| ())
}

pub(crate) fn parse_cert(
    der_bytes: &[u8],
    what: &'static str,
    path: &str,
) -> Result<Cert, SigstoreError> {
    let cert = x509_cert::Certificate::from_der(der_bytes)
        .map_err(|e| cert_err(what, path, format!("a DER X.509 certificate ({e})")))?;
    let tbs_der = raw_tbs(der_bytes)
        .ok_or_else(|| cert_err(what, path, "a DER certificate SEQUENCE".into()))?
        .to_vec();
    let spki_der = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| cert_err(what, path, format!("an encodable public key ({e})")))?;
    let key = PublicKey::from_spki_der(&spki_der)
        .map_err(|e| cert_err(what, path, format!("a valid subject public key ({e})")))?;
    let signature = cert
        .signature
        .as_bytes()
        .ok_or_else(|| {
            cert_err(
                what,
                path,
                "a signature BIT STRING without unused bits".into(),
            )
        })?
        .to_vec();
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err(cert_err(
            what,
            path,
            "the same signature algorithm inside and outside the TBSCertificate".into(),
        ));
    }
    let v = &cert.tbs_certificate.validity;
    let not_before = i64::try_from(v.not_before.to_unix_duration().as_secs())
        .map_err(|_| cert_err(what, path, "a representable notBefore".into()))?;
    let not_after = i64::try_from(v.not_after.to_unix_duration().as_secs())
        .map_err(|_| cert_err(what, path, "a representable notAfter".into()))?;
    Ok(Cert {
        der: der_bytes.to_vec(),
        tbs_der,
        sig_alg: cert.signature_algorithm.oid,
        signature,
        cert,
        spki_der,
        key,
        not_before,
        not_after,
    })
}

impl Cert {
    fn ext(&self, oid: &ObjectIdentifier) -> Option<&x509_cert::ext::Extension> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == *oid)
    }

    pub(crate) fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    pub(crate) fn issuer(&self) -> String {
        self.cert.tbs_certificate.issuer.to_string()
    }

    pub(crate) fn issued_by_name(&self, issuer: &Cert) -> bool {
        self.cert.tbs_certificate.issuer == issuer.cert.tbs_certificate.subject
    }

    /// Verify this certificate's signature with `issuer`'s key.
    pub(crate) fn verify_signed_by(&self, issuer: &PublicKey) -> Result<(), String> {
        issuer.verify_with_alg(&self.sig_alg, &self.tbs_der, &self.signature)
    }

    /// Critical extensions this verifier does not understand (RFC 5280 says: reject).
    pub(crate) fn unknown_critical(&self) -> Vec<String> {
        let known = [EXT_KEY_USAGE, EXT_SAN, EXT_BASIC, EXT_EKU, EXT_SKI, EXT_AKI];
        self.cert
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .filter(|e| e.critical && !known.contains(&e.extn_id))
            .map(|e| e.extn_id.to_string())
            .collect()
    }

    pub(crate) fn is_ca(&self) -> Result<bool, String> {
        match self.ext(&EXT_BASIC) {
            None => Ok(false),
            Some(e) => BasicConstraints::from_der(e.extn_value.as_bytes())
                .map(|b| b.ca)
                .map_err(|e| format!("malformed basicConstraints: {e}")),
        }
    }

    pub(crate) fn key_usage(&self) -> Result<Option<KeyUsage>, String> {
        self.ext(&EXT_KEY_USAGE)
            .map(|e| {
                KeyUsage::from_der(e.extn_value.as_bytes())
                    .map_err(|e| format!("malformed keyUsage: {e}"))
            })
            .transpose()
    }

    pub(crate) fn ekus(&self) -> Result<Vec<ObjectIdentifier>, String> {
        match self.ext(&EXT_EKU) {
            None => Ok(Vec::new()),
            Some(e) => ExtendedKeyUsage::from_der(e.extn_value.as_bytes())
                .map(|x| x.0)
                .map_err(|e| format!("malformed extendedKeyUsage: {e}")),
        }
    }

    /// SAN email addresses and URIs, in certificate order.
    pub(crate) fn identities(&self) -> Result<Vec<String>, String> {
        let Some(e) = self.ext(&EXT_SAN) else {
            return Ok(Vec::new());
        };
        let san = SubjectAltName::from_der(e.extn_value.as_bytes())
            .map_err(|e| format!("malformed subjectAltName: {e}"))?;
        Ok(san
            .0
            .iter()
            .filter_map(|g| match g {
                GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                    Some(s.to_string())
                }
                _ => None,
            })
            .collect())
    }

    /// The Fulcio OIDC issuer: extension .1.8 (DER UTF8String), else .1.1 (raw bytes).
    pub(crate) fn oidc_issuer(&self) -> Result<Option<String>, String> {
        if let Some(e) = self.ext(&EXT_ISSUER_V2) {
            let s = der::asn1::Utf8StringRef::from_der(e.extn_value.as_bytes())
                .map_err(|e| format!("malformed OIDC issuer (v2) extension: {e}"))?;
            return Ok(Some(s.as_str().to_string()));
        }
        if let Some(e) = self.ext(&EXT_ISSUER_V1) {
            let s = std::str::from_utf8(e.extn_value.as_bytes())
                .map_err(|_| "OIDC issuer (v1) extension is not UTF-8".to_string())?;
            return Ok(Some(s.to_string()));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_bounds() {
        assert_eq!(raw_tbs(&[]), None);
        assert_eq!(raw_tbs(&[0x30]), None);
        assert_eq!(raw_tbs(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(raw_tbs(&[0x30, 0x02, 0x30, 0x00]), Some(&[0x30, 0x00][..]));
        assert_eq!(raw_tbs(&[0x30, 0x02, 0x30, 0x05]), None);
        assert!(parse_certificate(b"\x30\x03\x02\x01\x00").is_err());
    }
}
