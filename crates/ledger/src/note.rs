//! C2SP signed notes: text, a blank line, then signature lines `— NAME BASE64(KEYHASH || SIG)`.
//!
//! Signing and verification with Ed25519 (signature type 0x01). Verification also supports
//! RFC 6962 tree-head signatures on checkpoints (type 0x05, ECDSA P-256 with a timestamp), so
//! checkpoints of Certificate Transparency logs verify too. Keys use the `vkey` / `skey`
//! text formats of golang.org/x/mod/sumdb/note.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, Verifier as _};
use sha2::{Digest, Sha256};

const SIG_PREFIX: &str = "\u{2014} ";
const ALG_ED25519: u8 = 0x01;
const ALG_RFC6962: u8 = 0x05;
/// Notes larger than this are refused (the Go implementation's limit is similar in spirit).
pub const MAX_NOTE: usize = 1 << 20;
/// At most this many signature lines.
pub const MAX_SIGNATURES: usize = 100;

/// Why a note, key or signature is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Key text malformed.
    #[error("malformed key: {0}")]
    Key(String),
    /// Note text malformed.
    #[error("malformed note: {0}")]
    Malformed(String),
    /// A signature by a known key does not verify.
    #[error("invalid signature by {0}: the note text or the signature was altered")]
    BadSignature(String),
    /// No signature by any known key.
    #[error("no signature by a known key (signed by: {0})")]
    NoKnownSignature(String),
    /// Text to sign is malformed.
    #[error("cannot sign: {0}")]
    Text(String),
    /// Randomness unavailable.
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('+')
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// First four bytes of SHA-256(name || "\n" || key bytes), as in the vkey format.
pub fn key_hash(name: &str, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The error for a private key where a verifier key belongs.
const PRIVATE_NOT_VERIFIER: &str =
    "this is a private key; give the public (verifier) key, NAME+HASH+KEY or a .vkey file (the private key was not shown)";

/// Does this text look like a private key (an otproof/note `PRIVATE+KEY+` key or a PEM
/// private key of any kind)?
pub fn looks_private(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("PRIVATE+KEY+") || (t.contains("-----BEGIN") && t.contains("PRIVATE KEY-----"))
}

/// An Ed25519 note signer.
pub struct Signer {
    name: String,
    hash: u32,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        write!(f, "Signer({}+{:08x})", self.name, self.hash)
    }
}

impl Signer {
    fn from_seed(name: &str, seed: [u8; 32]) -> Result<Signer, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Key(format!(
                "key name '{name}' must be non-empty, without spaces or '+'"
            )));
        }
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let mut pk = vec![ALG_ED25519];
        pk.extend_from_slice(key.verifying_key().as_bytes());
        Ok(Signer {
            name: name.to_string(),
            hash: key_hash(name, &pk),
            key,
        })
    }

    /// A new random key.
    pub fn generate(name: &str) -> Result<Signer, NoteError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| NoteError::Random(e.to_string()))?;
        Signer::from_seed(name, seed)
    }

    /// Parse `PRIVATE+KEY+NAME+HASH+BASE64(0x01 || SEED)`.
    pub fn from_skey(text: &str) -> Result<Signer, NoteError> {
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| NoteError::Key("expected PRIVATE+KEY+NAME+HASH+KEY".into()))?;
        let parts: Vec<&str> = rest.splitn(3, '+').collect();
        let [name, hash, key] = parts.as_slice() else {
            return Err(NoteError::Key("expected PRIVATE+KEY+NAME+HASH+KEY".into()));
        };
        let bytes = B64
            .decode(key)
            .map_err(|_| NoteError::Key("private key is not base64".into()))?;
        if bytes.len() != 33 || bytes[0] != ALG_ED25519 {
            return Err(NoteError::Key(
                "private key is not an Ed25519 seed (0x01 followed by 32 bytes)".into(),
            ));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&bytes[1..]);
        let s = Signer::from_seed(name, seed)?;
        if format!("{:08x}", s.hash) != *hash {
            return Err(NoteError::Key(format!(
                "key hash {hash} does not match the key (expected {:08x})",
                s.hash
            )));
        }
        Ok(s)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `PRIVATE+KEY+NAME+HASH+KEY`: handle with care.
    pub fn skey_text(&self) -> String {
        let mut k = vec![ALG_ED25519];
        k.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.hash,
            B64.encode(k)
        )
    }

    /// `NAME+HASH+KEY`.
    pub fn vkey_text(&self) -> String {
        let mut k = vec![ALG_ED25519];
        k.extend_from_slice(self.key.verifying_key().as_bytes());
        format!("{}+{:08x}+{}", self.name, self.hash, B64.encode(k))
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            hash: self.hash,
            key: VerifierKey::Ed25519(self.key.verifying_key()),
            text: self.vkey_text(),
        }
    }
}

#[derive(Debug, Clone)]
enum VerifierKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    Rfc6962(Box<p256::ecdsa::VerifyingKey>),
}

/// A note verifier (public key) parsed from `NAME+HASH+BASE64(TYPE || KEY)`.
#[derive(Debug, Clone)]
pub struct Verifier {
    name: String,
    hash: u32,
    key: VerifierKey,
    text: String,
}

impl Verifier {
    /// Parse a verifier key. Errors never quote the text: it may be a secret given by mistake
    /// (a private key is named as such), or an attacker's bytes.
    pub fn from_vkey(text: &str) -> Result<Verifier, NoteError> {
        if looks_private(text) {
            return Err(NoteError::Key(PRIVATE_NOT_VERIFIER.into()));
        }
        let parts: Vec<&str> = text.trim().splitn(3, '+').collect();
        let [name, hash, key] = parts.as_slice() else {
            return Err(NoteError::Key(
                "expected NAME+HASH+KEY (three parts joined by '+')".into(),
            ));
        };
        if !valid_name(name) {
            return Err(NoteError::Key(
                "the key name (before the first '+') is empty or holds a space, a '+' or a control character".into(),
            ));
        }
        let hash_val = u32::from_str_radix(hash, 16)
            .ok()
            .filter(|_| hash.len() == 8)
            .ok_or_else(|| NoteError::Key("the key hash: expected 8 hex digits".into()))?;
        let bytes = B64
            .decode(key)
            .map_err(|_| NoteError::Key("public key is not base64".into()))?;
        let Some((&alg, raw)) = bytes.split_first() else {
            return Err(NoteError::Key("empty public key".into()));
        };
        let key = match alg {
            ALG_ED25519 => {
                let arr: [u8; 32] = raw
                    .try_into()
                    .map_err(|_| NoteError::Key("Ed25519 public key is not 32 bytes".into()))?;
                VerifierKey::Ed25519(
                    ed25519_dalek::VerifyingKey::from_bytes(&arr)
                        .map_err(|_| NoteError::Key("not an Ed25519 public key".into()))?,
                )
            }
            ALG_RFC6962 => {
                use p256::pkcs8::DecodePublicKey;
                VerifierKey::Rfc6962(Box::new(
                    p256::ecdsa::VerifyingKey::from_public_key_der(raw).map_err(|_| {
                        NoteError::Key("not a DER P-256 public key (RFC 6962 note key)".into())
                    })?,
                ))
            }
            other => {
                return Err(NoteError::Key(format!(
                    "signature type 0x{other:02x} is not supported (Ed25519 0x01, RFC 6962 0x05)"
                )))
            }
        };
        // RFC 6962 keys are identified through the log ID (SHA-256 of the SPKI).
        let expected = match alg {
            ALG_RFC6962 => {
                let mut id = vec![ALG_RFC6962];
                id.extend_from_slice(&Sha256::digest(raw));
                key_hash(name, &id)
            }
            _ => key_hash(name, &bytes),
        };
        if expected != hash_val {
            return Err(NoteError::Key(
                "the key hash does not match name and key".into(),
            ));
        }
        Ok(Verifier {
            name: name.to_string(),
            hash: hash_val,
            key,
            text: text.trim().to_string(),
        })
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `NAME+HASH+KEY`.
    pub fn vkey_text(&self) -> String {
        self.text.clone()
    }

    fn verify(&self, text: &str, sig: &[u8]) -> bool {
        match &self.key {
            VerifierKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(sig)
                .map(|s| k.verify(text.as_bytes(), &s).is_ok())
                .unwrap_or(false),
            VerifierKey::Rfc6962(k) => verify_rfc6962(k, text, sig),
        }
    }
}

/// RFC 6962 tree-head signature over a checkpoint: timestamp (8) || TLS DigitallySigned.
fn verify_rfc6962(k: &p256::ecdsa::VerifyingKey, text: &str, sig: &[u8]) -> bool {
    use p256::ecdsa::signature::Verifier as _;
    let Ok(cp) = crate::checkpoint::Checkpoint::parse(text) else {
        return false;
    };
    if sig.len() < 12 || sig[8] != 4 || sig[9] != 3 {
        return false; // sha256, ecdsa
    }
    let len = usize::from(u16::from_be_bytes([sig[10], sig[11]]));
    if sig.len() != 12 + len {
        return false;
    }
    let Ok(s) = p256::ecdsa::Signature::from_der(&sig[12..]) else {
        return false;
    };
    let mut msg = vec![0u8, 1u8];
    msg.extend_from_slice(&sig[..8]);
    msg.extend_from_slice(&cp.size.to_be_bytes());
    msg.extend_from_slice(&cp.root);
    k.verify(&msg, &s).is_ok()
}

/// A note whose signatures were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedNote {
    /// The signed text (ends with a newline).
    pub text: String,
    /// Names of the known keys whose signatures verified.
    pub verified_by: Vec<String>,
    /// Names on signatures by keys not given.
    pub unverified: Vec<String>,
}

fn check_text(text: &str) -> Result<(), String> {
    if !text.ends_with('\n') {
        return Err("text must end with a newline".into());
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err("text contains control characters other than newline".into());
    }
    Ok(())
}

/// Sign `text` (which must end in a newline) as a signed note.
pub fn sign(text: &str, signer: &Signer) -> Result<String, NoteError> {
    check_text(text).map_err(NoteError::Text)?;
    let sig = signer.key.sign(text.as_bytes());
    let mut blob = signer.hash.to_be_bytes().to_vec();
    blob.extend_from_slice(&sig.to_bytes());
    Ok(format!(
        "{text}\n{SIG_PREFIX}{} {}\n",
        signer.name,
        B64.encode(blob)
    ))
}

/// Split a note, check every signature by a known key, and return the text.
pub fn open(note: &str, verifiers: &[Verifier]) -> Result<OpenedNote, NoteError> {
    if note.len() > MAX_NOTE {
        return Err(NoteError::Malformed(format!(
            "larger than {MAX_NOTE} bytes"
        )));
    }
    let Some(split) = note.rfind("\n\n") else {
        return Err(NoteError::Malformed(
            "no blank line between the text and the signatures".into(),
        ));
    };
    let text = &note[..split + 1];
    let sigs = &note[split + 2..];
    check_text(text).map_err(NoteError::Malformed)?;
    if !sigs.ends_with('\n') || sigs.is_empty() {
        return Err(NoteError::Malformed(
            "the signature block must end with a newline".into(),
        ));
    }
    let mut verified_by = Vec::new();
    let mut unverified = Vec::new();
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::Malformed(format!(
            "more than {MAX_SIGNATURES} signatures"
        )));
    }
    for (i, line) in lines.iter().enumerate() {
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
            NoteError::Malformed(format!(
                "signature line {} does not start with an em dash and a space",
                i + 1
            ))
        })?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            NoteError::Malformed(format!("signature line {}: expected NAME SIGNATURE", i + 1))
        })?;
        if !valid_name(name) || b64.contains(' ') {
            return Err(NoteError::Malformed(format!(
                "signature line {}: bad key name or extra fields",
                i + 1
            )));
        }
        let blob = B64.decode(b64).map_err(|_| {
            NoteError::Malformed(format!("signature line {}: signature is not base64", i + 1))
        })?;
        if blob.len() < 5 {
            return Err(NoteError::Malformed(format!(
                "signature line {}: signature too short",
                i + 1
            )));
        }
        let hash = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
        match verifiers.iter().find(|v| v.name == name && v.hash == hash) {
            Some(v) => {
                if !v.verify(text, &blob[4..]) {
                    return Err(NoteError::BadSignature(name.to_string()));
                }
                verified_by.push(name.to_string());
            }
            None => unverified.push(name.to_string()),
        }
    }
    if verified_by.is_empty() {
        return Err(NoteError::NoKnownSignature(unverified.join(", ")));
    }
    Ok(OpenedNote {
        text: text.to_string(),
        verified_by,
        unverified,
    })
}

#[cfg(test)]
mod key_text_tests {
    use super::*;

    #[test]
    fn a_private_key_given_as_verifier_is_named_and_never_shown() {
        let signer = Signer::generate("otproof.test").unwrap();
        let skey = signer.skey_text();
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA+secret+bits+here+\n-----END PRIVATE KEY-----\n";
        for text in [skey.as_str(), pem] {
            let e = Verifier::from_vkey(text).unwrap_err().to_string();
            assert!(e.contains("this is a private key"), "{e}");
            for line in text.lines() {
                assert!(!e.contains(line), "{e}");
            }
        }
        let key_part = skey.splitn(5, '+').nth(4).unwrap();
        // Garbage that is not recognisably private is still not echoed.
        for text in [
            format!("secret-{key_part}"),
            format!("bad name+12345678+{key_part}"),
            format!("n+zzzz+{key_part}"),
        ] {
            let e = Verifier::from_vkey(&text).unwrap_err().to_string();
            assert!(!e.contains(key_part), "{e}");
        }
    }
}
