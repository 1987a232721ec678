//! SHA-256 digests: of blobs (`Sha256Digest`, 64 lowercase hex) and of records (`RecordId`,
//! `sha256:` + 64 lowercase hex).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Why a text is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a SHA-256 digest: expected {1}")]
pub struct DigestError(pub String, pub &'static str);

/// 64 lowercase hex digits (upper case is not a digest's spelling) to 32 bytes.
fn unhex(s: &str) -> Option<[u8; 32]> {
    if s.bytes().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// SHA-256 of some bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// Digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    /// 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.hex())
    }
}

impl FromStr for Sha256Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Sha256Digest, DigestError> {
        let t = s.strip_prefix("sha256:").unwrap_or(s);
        unhex(t)
            .map(Sha256Digest)
            .ok_or_else(|| DigestError(s.to_string(), "64 lowercase hex digits"))
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Sha256Digest, D::Error> {
        let s = String::deserialize(d)?;
        unhex(&s)
            .map(Sha256Digest)
            .ok_or_else(|| serde::de::Error::custom(DigestError(s, "64 lowercase hex digits")))
    }
}

impl JsonSchema for Sha256Digest {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Sha256Digest".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "SHA-256, 64 lowercase hex digits"
        })
    }
}

/// A record's identity: `sha256:` and the SHA-256 of its canonical JSON.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub Sha256Digest);

impl RecordId {
    /// The ID of canonical record bytes.
    pub fn of_canonical(bytes: &[u8]) -> RecordId {
        RecordId(Sha256Digest::of(bytes))
    }

    /// The raw digest.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0 .0
    }

    /// The first 12 hex digits, for tables.
    pub fn short(&self) -> String {
        self.0.hex()[..12].to_string()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.0.hex())
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

impl FromStr for RecordId {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<RecordId, DigestError> {
        let t = s.trim().strip_prefix("sha256:").ok_or_else(|| {
            DigestError(s.to_string(), "sha256: followed by 64 lowercase hex digits")
        })?;
        unhex(t).map(|d| RecordId(Sha256Digest(d))).ok_or_else(|| {
            DigestError(s.to_string(), "sha256: followed by 64 lowercase hex digits")
        })
    }
}

impl Serialize for RecordId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RecordId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for RecordId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RecordId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^sha256:[0-9a-f]{64}$",
            "description": "SHA-256 of the record's RFC 8785 canonical JSON"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written decoder used before the hex crate, kept as the oracle.
    fn old_unhex(s: &str) -> Option<[u8; 32]> {
        if s.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let d = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            out[i] = d(chunk[0])? << 4 | d(chunk[1])?;
        }
        Some(out)
    }

    proptest::proptest! {
        #[test]
        fn hex_as_before(bytes in proptest::array::uniform32(0u8..), text in "[0-9a-fA-Fg+ é]{62,66}") {
            let d = Sha256Digest(bytes);
            proptest::prop_assert_eq!(d.hex().parse::<Sha256Digest>().ok(), Some(d));
            proptest::prop_assert_eq!(unhex(&d.hex()), old_unhex(&d.hex()));
            proptest::prop_assert_eq!(unhex(&d.hex().to_uppercase()), old_unhex(&d.hex().to_uppercase()));
            proptest::prop_assert_eq!(unhex(&text), old_unhex(&text));
        }
    }
}
