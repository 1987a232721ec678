//! in-toto Statement v1 in DSSE, and otproof's release predicate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dsse::{self, Envelope};
use crate::keys::{SigningKey, VerifyingKey};
use crate::{is_sha256_hex, SignError};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// DSSE payload type for in-toto statements.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// Predicate type of otproof release statements.
pub const RELEASE_PREDICATE_TYPE: &str = "https://otproof.dev/release/v1";

/// A statement subject: an artifact name and its digests (`{"sha256": "<hex>"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Artifact name.
    pub name: String,
    /// Algorithm → lowercase hex digest.
    pub digest: BTreeMap<String, String>,
}

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// The artifacts the statement is about.
    pub subject: Vec<Subject>,
    /// URI of the predicate schema.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate (free JSON, schema given by `predicate_type`).
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// Reference to the SBOM shipped with a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomRef {
    /// SBOM file name.
    pub name: String,
    /// Lowercase hex SHA-256 of the SBOM file.
    pub sha256: String,
}

/// Predicate `https://otproof.dev/release/v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasePredicate {
    /// Product name.
    pub product: String,
    /// Product version.
    pub version: String,
    /// The release's SBOM, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom: Option<SbomRef>,
    /// Evidence record IDs backing the release.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Free-form build information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<serde_json::Value>,
    /// Creation time, RFC 3339 (supplied by the caller; no clock is read).
    pub created: String,
}

/// The artifact a release statement must cover.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact's bytes; their SHA-256 is computed.
    Bytes(&'a [u8]),
    /// The artifact's SHA-256 as hex (either case).
    Sha256Hex(&'a str),
}

/// Builds a release statement for one artifact. Fails if the digest is not 64 hex characters,
/// the SBOM digest is malformed, or `created` is not RFC 3339.
pub fn release_statement(
    artifact_name: &str,
    artifact_sha256_hex: &str,
    predicate: ReleasePredicate,
) -> Result<Statement, SignError> {
    let digest = artifact_sha256_hex.to_ascii_lowercase();
    if !is_sha256_hex(&digest) {
        return Err(SignError::Digest(format!(
            "artifact sha256 {artifact_sha256_hex:?} is not 64 hex characters"
        )));
    }
    validate_predicate(&predicate)?;
    let predicate = serde_json::to_value(&predicate)
        .map_err(|e| SignError::Statement(format!("cannot serialize release predicate: {e}")))?;
    Ok(Statement {
        type_: STATEMENT_TYPE.into(),
        subject: vec![Subject {
            name: artifact_name.into(),
            digest: BTreeMap::from([("sha256".to_string(), digest)]),
        }],
        predicate_type: RELEASE_PREDICATE_TYPE.into(),
        predicate,
    })
}

fn validate_predicate(p: &ReleasePredicate) -> Result<(), SignError> {
    if let Some(s) = &p.sbom {
        if !is_sha256_hex(&s.sha256) {
            return Err(SignError::Statement(format!(
                "predicate.sbom.sha256 {:?} is not 64 lowercase hex characters",
                s.sha256
            )));
        }
    }
    crate::time::parse_rfc3339(&p.created)
        .map_err(|e| SignError::Statement(format!("predicate.created: {e}")))?;
    Ok(())
}

/// Serializes `statement` and signs it as a DSSE envelope of type [`PAYLOAD_TYPE`].
pub fn sign_statement(statement: &Statement, key: &SigningKey) -> Result<Envelope, SignError> {
    let payload = serde_json::to_vec(statement)
        .map_err(|e| SignError::Statement(format!("cannot serialize statement: {e}")))?;
    Ok(dsse::sign(PAYLOAD_TYPE, &payload, key))
}

/// Verifies the envelope signature with `keys`, the payload type, and parses the statement.
pub fn verify_statement(env: &Envelope, keys: &[VerifyingKey]) -> Result<Statement, SignError> {
    let v = dsse::verify(env, keys)?;
    if v.payload_type != PAYLOAD_TYPE {
        return Err(SignError::PayloadType {
            expected: PAYLOAD_TYPE.into(),
            found: v.payload_type,
        });
    }
    let st: Statement = serde_json::from_slice(&v.payload)
        .map_err(|e| SignError::Statement(format!("payload is not an in-toto Statement: {e}")))?;
    if st.type_ != STATEMENT_TYPE {
        return Err(SignError::Statement(format!(
            "_type is {:?}, expected {STATEMENT_TYPE:?}",
            st.type_
        )));
    }
    Ok(st)
}

/// Verifies a signed release statement: the signature (by one of `keys`), the payload type, the
/// statement and predicate types, the predicate's shape, and that the artifact's SHA-256 is the
/// digest of one of the statement's subjects.
pub fn verify_release(
    env: &Envelope,
    keys: &[VerifyingKey],
    artifact: Artifact<'_>,
) -> Result<(Statement, ReleasePredicate), SignError> {
    let st = verify_statement(env, keys)?;
    if st.predicate_type != RELEASE_PREDICATE_TYPE {
        return Err(SignError::Statement(format!(
            "predicateType is {:?}, expected {RELEASE_PREDICATE_TYPE:?}",
            st.predicate_type
        )));
    }
    let pred: ReleasePredicate = serde_json::from_value(st.predicate.clone())
        .map_err(|e| SignError::Statement(format!("predicate is not a release predicate: {e}")))?;
    validate_predicate(&pred)?;
    let digest = match artifact {
        Artifact::Bytes(b) => hex::encode(Sha256::digest(b)),
        Artifact::Sha256Hex(h) => {
            let h = h.to_ascii_lowercase();
            if !is_sha256_hex(&h) {
                return Err(SignError::Digest(format!(
                    "artifact sha256 {h:?} is not 64 hex characters"
                )));
            }
            h
        }
    };
    let found = st.subject.iter().any(|s| {
        s.digest
            .get("sha256")
            .is_some_and(|d| d.eq_ignore_ascii_case(&digest))
    });
    if !found {
        let subjects: Vec<String> = st
            .subject
            .iter()
            .map(|s| {
                format!(
                    "{} sha256:{}",
                    s.name,
                    s.digest
                        .get("sha256")
                        .map(String::as_str)
                        .unwrap_or("<none>")
                )
            })
            .collect();
        return Err(SignError::Digest(format!(
            "artifact digest {digest} is not a subject of the statement (subjects: {})",
            if subjects.is_empty() {
                "none".to_string()
            } else {
                subjects.join(", ")
            }
        )));
    }
    Ok((st, pred))
}
