//! Ed25519 and P-256 signing/verifying keys, PEM encodings and the private key file helpers.

use std::fmt;
use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Verifier as _;
use p256::pkcs8::LineEnding;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::SignError;

/// Signature algorithm of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// Ed25519 (RFC 8032); signatures are the raw 64 bytes.
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256; signatures are ASN.1 DER (as DSSE, in-toto and cosign use).
    P256,
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Alg::Ed25519 => "ed25519",
            Alg::P256 => "ecdsa-p256-sha256",
        })
    }
}

#[derive(Clone)]
enum SkInner {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A private signing key. Its `Debug` output is redacted; it has no `Display`.
#[derive(Clone)]
pub struct SigningKey {
    inner: SkInner,
}

#[derive(Clone, PartialEq, Eq)]
enum VkInner {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
}

/// A public verifying key.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    inner: VkInner,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg())
            .field("key_id", &self.verifying_key().key_id())
            .field("private", &"<redacted>")
            .finish()
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg())
            .field("key_id", &self.key_id())
            .finish()
    }
}

fn key_err(what: &str, e: impl fmt::Display) -> SignError {
    SignError::Key(format!("{what}: {e}"))
}

impl SigningKey {
    /// Generates a fresh key from the operating system's random number generator.
    pub fn generate(alg: Alg) -> Result<SigningKey, SignError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        // P-256 rejection sampling: a random 32-byte string is a valid scalar except with
        // probability ~2^-32, so a few attempts suffice.
        for _ in 0..16 {
            getrandom::getrandom(seed.as_mut())
                .map_err(|e| key_err("random number generator", e))?;
            let inner = match alg {
                Alg::Ed25519 => SkInner::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)),
                Alg::P256 => match p256::ecdsa::SigningKey::from_slice(seed.as_ref()) {
                    Ok(k) => SkInner::P256(k),
                    Err(_) => continue,
                },
            };
            return Ok(SigningKey { inner });
        }
        Err(SignError::Key(
            "could not generate a valid P-256 scalar".into(),
        ))
    }

    /// The key's algorithm.
    pub fn alg(&self) -> Alg {
        match self.inner {
            SkInner::Ed25519(_) => Alg::Ed25519,
            SkInner::P256(_) => Alg::P256,
        }
    }

    /// PKCS#8 "PRIVATE KEY" PEM. The returned string is wiped from memory when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, SignError> {
        match &self.inner {
            SkInner::Ed25519(k) => k
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| key_err("encode Ed25519 PKCS#8", e)),
            SkInner::P256(k) => k
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| key_err("encode P-256 PKCS#8", e)),
        }
    }

    /// Parses a PKCS#8 "PRIVATE KEY" PEM holding an Ed25519 or P-256 key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, SignError> {
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            return Ok(SigningKey {
                inner: SkInner::Ed25519(k),
            });
        }
        match p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            Ok(k) => Ok(SigningKey {
                inner: SkInner::P256(k),
            }),
            // The underlying error never contains key material.
            Err(e) => Err(key_err("not a PKCS#8 PEM Ed25519 or P-256 private key", e)),
        }
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        let inner = match &self.inner {
            SkInner::Ed25519(k) => VkInner::Ed25519(k.verifying_key()),
            SkInner::P256(k) => VkInner::P256(*k.verifying_key()),
        };
        VerifyingKey { inner }
    }

    /// Signs `msg`. Ed25519: raw 64-byte signature. P-256: ASN.1 DER ECDSA signature over SHA-256(msg).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match &self.inner {
            SkInner::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
            SkInner::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

impl VerifyingKey {
    /// Parses an SPKI "PUBLIC KEY" PEM holding an Ed25519 or P-256 key. A private key given by
    /// mistake is named as such; no error ever quotes the text.
    pub fn from_pem(pem: &str) -> Result<VerifyingKey, SignError> {
        if is_private_key_pem(pem) {
            return Err(SignError::Key(PRIVATE_NOT_PUBLIC.into()));
        }
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            return Ok(VerifyingKey {
                inner: VkInner::Ed25519(k),
            });
        }
        match p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            Ok(k) => Ok(VerifyingKey {
                inner: VkInner::P256(k),
            }),
            Err(e) => Err(key_err(
                "not an SPKI PEM (\"PUBLIC KEY\") Ed25519 or P-256 public key",
                e,
            )),
        }
    }

    /// Parses SPKI DER holding an Ed25519 or P-256 key.
    pub fn from_spki_der(der: &[u8]) -> Result<VerifyingKey, SignError> {
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return Ok(VerifyingKey {
                inner: VkInner::Ed25519(k),
            });
        }
        match p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            Ok(k) => Ok(VerifyingKey {
                inner: VkInner::P256(k),
            }),
            Err(e) => Err(key_err("not an SPKI DER Ed25519 or P-256 public key", e)),
        }
    }

    /// A raw 32-byte Ed25519 public key (as in-toto/securesystemslib hex-encode it).
    pub fn from_ed25519_bytes(bytes: &[u8]) -> Result<VerifyingKey, SignError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            SignError::Key(format!(
                "Ed25519 public key must be 32 bytes, got {}",
                bytes.len()
            ))
        })?;
        let k = ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map_err(|e| key_err("invalid Ed25519 public key", e))?;
        Ok(VerifyingKey {
            inner: VkInner::Ed25519(k),
        })
    }

    /// The raw 32-byte Ed25519 public key, `None` for P-256.
    pub fn ed25519_bytes(&self) -> Option<[u8; 32]> {
        match &self.inner {
            VkInner::Ed25519(k) => Some(k.to_bytes()),
            VkInner::P256(_) => None,
        }
    }

    /// The key's algorithm.
    pub fn alg(&self) -> Alg {
        match self.inner {
            VkInner::Ed25519(_) => Alg::Ed25519,
            VkInner::P256(_) => Alg::P256,
        }
    }

    /// SPKI DER encoding.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let doc = match &self.inner {
            VkInner::Ed25519(k) => k.to_public_key_der(),
            VkInner::P256(k) => k.to_public_key_der(),
        };
        // Encoding a valid in-memory public key into DER cannot fail (fixed-size structures);
        // an empty result would make every key_id comparison fail closed.
        doc.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// SPKI "PUBLIC KEY" PEM (LF line endings).
    pub fn to_pem(&self) -> String {
        let pem = match &self.inner {
            VkInner::Ed25519(k) => k.to_public_key_pem(LineEnding::LF),
            VkInner::P256(k) => k.to_public_key_pem(LineEnding::LF),
        };
        pem.unwrap_or_default()
    }

    /// Lowercase hex SHA-256 of the SPKI DER encoding.
    pub fn key_id(&self) -> String {
        hex::encode(Sha256::digest(self.to_spki_der()))
    }

    /// Verifies `sig` over `msg`. Ed25519 uses strict verification (no malleable signatures);
    /// P-256 expects an ASN.1 DER signature over SHA-256(msg).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), SignError> {
        match &self.inner {
            VkInner::Ed25519(k) => {
                let s = ed25519_dalek::Signature::from_slice(sig).map_err(|_| {
                    SignError::Signature(format!(
                        "Ed25519 signature must be 64 bytes, got {}",
                        sig.len()
                    ))
                })?;
                k.verify_strict(msg, &s).map_err(|_| {
                    SignError::Signature(format!(
                        "Ed25519 signature does not verify with key {}",
                        self.key_id()
                    ))
                })
            }
            VkInner::P256(k) => {
                let s = p256::ecdsa::Signature::from_der(sig).map_err(|_| {
                    SignError::Signature(
                        "P-256 signature is not a valid ASN.1 DER ECDSA signature".into(),
                    )
                })?;
                k.verify(msg, &s).map_err(|_| {
                    SignError::Signature(format!(
                        "P-256 signature does not verify with key {}",
                        self.key_id()
                    ))
                })
            }
        }
    }
}

/// The error for a private key where a public key belongs.
pub const PRIVATE_NOT_PUBLIC: &str =
    "this is a private key; give the public key (an SPKI \"PUBLIC KEY\" PEM); the private key was not shown";

/// Does this text hold a private key: a PEM private key of any kind (PKCS#8, encrypted
/// PKCS#8, SEC1 EC, PKCS#1 RSA, OpenSSH) or an otproof ledger key (`PRIVATE+KEY+...`)?
pub fn is_private_key_pem(text: &str) -> bool {
    text.trim_start().starts_with("PRIVATE+KEY+")
        || (text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----"))
}

/// Writes `key` as PKCS#8 PEM to a **new** file created with mode 0600.
/// Fails if the file already exists (it is never overwritten).
pub fn write_private_key(path: &Path, key: &SigningKey) -> Result<(), SignError> {
    use std::io::Write as _;
    let pem = key.to_pkcs8_pem()?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| SignError::Io {
        path: path.to_path_buf(),
        reason: if e.kind() == std::io::ErrorKind::AlreadyExists {
            "file already exists; refusing to overwrite a private key file".into()
        } else {
            format!("cannot create private key file: {e}")
        },
    })?;
    // The mode given at creation is masked by the umask (0o277 would leave 0400): set it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| SignError::Io {
                path: path.to_path_buf(),
                reason: format!("cannot make the private key file mode 0600: {e}"),
            })?;
    }
    f.write_all(pem.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| SignError::Io {
            path: path.to_path_buf(),
            reason: format!("cannot write private key file: {e}"),
        })
}

/// Reads a PKCS#8 PEM private key file. On Unix, refuses a file whose mode grants any access
/// to group or others (`mode & 0o077 != 0`).
pub fn read_private_key(path: &Path) -> Result<SigningKey, SignError> {
    let io = |reason: String| SignError::Io {
        path: path.to_path_buf(),
        reason,
    };
    let meta =
        std::fs::metadata(path).map_err(|e| io(format!("cannot stat private key file: {e}")))?;
    if !meta.is_file() {
        return Err(io("not a regular file".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SignError::KeyPermissions {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    if meta.len() > 64 * 1024 {
        return Err(io("file too large for a private key (> 64 KiB)".into()));
    }
    let mut bytes =
        std::fs::read(path).map_err(|e| io(format!("cannot read private key file: {e}")))?;
    let res = match std::str::from_utf8(&bytes) {
        Ok(s) => SigningKey::from_pkcs8_pem(s),
        Err(_) => Err(SignError::Key("private key file is not UTF-8 PEM".into())),
    };
    bytes.zeroize();
    res.map_err(|e| match e {
        SignError::Key(m) => SignError::Key(format!("{}: {m}", path.display())),
        other => other,
    })
}

#[cfg(test)]
mod private_key_tests {
    use super::*;

    #[test]
    fn a_private_key_given_as_public_is_named_and_never_shown() {
        for alg in [Alg::Ed25519, Alg::P256] {
            let pem = SigningKey::generate(alg).unwrap().to_pkcs8_pem().unwrap();
            let e = VerifyingKey::from_pem(&pem).unwrap_err().to_string();
            assert!(e.contains("this is a private key"), "{e}");
            for line in pem.lines() {
                assert!(!e.contains(line), "{e}");
            }
            let e = crate::layout::InTotoKey::rsa_from_pem(&pem, "rsassa-pss-sha256")
                .unwrap_err()
                .to_string();
            assert!(e.contains("this is a private key"), "{e}");
        }
    }
}
