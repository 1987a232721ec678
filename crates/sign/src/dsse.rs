//! DSSE v1 envelopes: `{payloadType, payload, signatures: [{keyid, sig}]}` signed over the
//! pre-authentication encoding `"DSSEv1" SP len(type) SP type SP len(body) SP body`.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::keys::{SigningKey, VerifyingKey};
use crate::SignError;

const WHAT: &str = "DSSE envelope";

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Key id hint (may be empty); otproof writes [`VerifyingKey::key_id`].
    pub keyid: String,
    /// Raw signature bytes (base64 in JSON).
    pub sig: Vec<u8>,
}

/// A DSSE v1 envelope. `payload` holds the decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Media type of the payload, e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// Decoded payload bytes.
    pub payload: Vec<u8>,
    /// Signatures over the PAE of (payload_type, payload).
    pub signatures: Vec<Signature>,
}

/// The result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The envelope's payload type.
    pub payload_type: String,
    /// The authenticated payload.
    pub payload: Vec<u8>,
    /// Key id ([`VerifyingKey::key_id`]) of the trusted key whose signature verified.
    pub key_id: String,
}

/// DSSE v1 pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Signs `payload` with `key`; the signature's keyid is `key.verifying_key().key_id()`.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    let sig = key.sign(&pae(payload_type, payload));
    Envelope {
        payload_type: payload_type.to_string(),
        payload: payload.to_vec(),
        signatures: vec![Signature {
            keyid: key.verifying_key().key_id(),
            sig,
        }],
    }
}

/// Accepts the envelope if at least one signature verifies with one of `keys`.
/// A signature with a non-empty keyid is only tried against the key with that key id; an empty
/// keyid is tried against every key.
pub fn verify(env: &Envelope, keys: &[VerifyingKey]) -> Result<Verified, SignError> {
    if keys.is_empty() {
        return Err(SignError::Signature("no trusted keys given".into()));
    }
    if env.signatures.is_empty() {
        return Err(SignError::Signature("envelope has no signatures".into()));
    }
    let msg = pae(&env.payload_type, &env.payload);
    let ids: Vec<String> = keys.iter().map(VerifyingKey::key_id).collect();
    let mut tried = 0usize;
    for s in &env.signatures {
        for (key, id) in keys.iter().zip(&ids) {
            if !s.keyid.is_empty() && s.keyid != *id {
                continue;
            }
            tried += 1;
            if key.verify(&msg, &s.sig).is_ok() {
                return Ok(Verified {
                    payload_type: env.payload_type.clone(),
                    payload: env.payload.clone(),
                    key_id: id.clone(),
                });
            }
        }
    }
    let sig_ids: Vec<&str> = env
        .signatures
        .iter()
        .map(|s| {
            if s.keyid.is_empty() {
                "<empty>"
            } else {
                s.keyid.as_str()
            }
        })
        .collect();
    Err(SignError::Signature(format!(
        "none of the envelope's {} signature(s) (keyids: {}) verifies with the {} trusted key(s) (key ids: {}); {tried} signature/key pair(s) tried",
        env.signatures.len(),
        sig_ids.join(", "),
        keys.len(),
        ids.join(", ")
    )))
}

/// Decodes DSSE base64: standard alphabet (padding optional) or URL-safe alphabet.
fn b64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
    const STANDARD_INDIFFERENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    STANDARD
        .decode(s)
        .or_else(|_| STANDARD_INDIFFERENT.decode(s))
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| URL_SAFE_NO_PAD.decode(s))
        .ok()
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn get_str<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, SignError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(SignError::parse(
            WHAT,
            format!("{path}{key}"),
            format!("a string, found {}", json_type(other)),
        )),
        None => Err(SignError::parse(
            WHAT,
            format!("{path}{key}"),
            "a string (field missing)",
        )),
    }
}

impl Envelope {
    /// Parses the JSON form. Errors name the field path and what was expected.
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, SignError> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| SignError::parse(WHAT, "$", format!("a JSON object ({e})")))?;
        let Value::Object(obj) = v else {
            return Err(SignError::parse(
                WHAT,
                "$",
                format!("a JSON object, found {}", json_type(&v)),
            ));
        };
        let payload_type = get_str(&obj, "payloadType", "")?.to_string();
        let payload = b64_decode(get_str(&obj, "payload", "")?)
            .ok_or_else(|| SignError::parse(WHAT, "payload", "base64 (standard or URL-safe)"))?;
        let sigs = match obj.get("signatures") {
            Some(Value::Array(a)) => a,
            Some(other) => {
                return Err(SignError::parse(
                    WHAT,
                    "signatures",
                    format!("an array, found {}", json_type(other)),
                ))
            }
            None => {
                return Err(SignError::parse(
                    WHAT,
                    "signatures",
                    "an array (field missing)",
                ))
            }
        };
        let mut signatures = Vec::with_capacity(sigs.len());
        for (i, s) in sigs.iter().enumerate() {
            let path = format!("signatures[{i}].");
            let Value::Object(so) = s else {
                return Err(SignError::parse(
                    WHAT,
                    format!("signatures[{i}]"),
                    format!("an object, found {}", json_type(s)),
                ));
            };
            let keyid = match so.get("keyid") {
                None | Some(Value::Null) => String::new(),
                Some(_) => get_str(so, "keyid", &path)?.to_string(),
            };
            let sig = b64_decode(get_str(so, "sig", &path)?).ok_or_else(|| {
                SignError::parse(WHAT, format!("{path}sig"), "base64 (standard or URL-safe)")
            })?;
            signatures.push(Signature { keyid, sig });
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// Serializes to compact JSON with standard (padded) base64.
    pub fn to_json(&self) -> Vec<u8> {
        let b64 = &base64::engine::general_purpose::STANDARD;
        let sigs: Vec<Value> = self
            .signatures
            .iter()
            .map(|s| json!({"keyid": s.keyid, "sig": b64.encode(&s.sig)}))
            .collect();
        let v = json!({
            "payloadType": self.payload_type,
            "payload": b64.encode(&self.payload),
            "signatures": sigs,
        });
        // Serializing a Value built from strings cannot fail.
        serde_json::to_vec(&v).unwrap_or_default()
    }
}
