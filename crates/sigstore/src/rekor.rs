//! Rekor transparency-log entries: body consistency with the bundle, signed entry
//! timestamps, and checkpoints (signed notes).

use crate::cert::PublicKey;
use crate::model::{b64, Entry, Log};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;

/// What the bundle says was signed; the log entry must say the same.
pub(crate) enum Signed<'a> {
    /// hashedrekord: SHA-256 of the artifact and the signature over it.
    Message {
        artifact_sha256: &'a [u8],
        signature: &'a [u8],
    },
    /// dsse: SHA-256 of the payload and the envelope's signature.
    Dsse {
        payload_sha256: &'a [u8],
        signature: &'a [u8],
    },
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, String> {
    let mut cur = v;
    for k in path {
        cur = cur
            .get(k)
            .ok_or_else(|| format!("body has no field {}", path.join(".")))?;
    }
    cur.as_str()
        .ok_or_else(|| format!("body field {} is not a string", path.join(".")))
}

fn bytes(v: &Value, path: &[&str]) -> Result<Vec<u8>, String> {
    b64(s(v, path)?).ok_or_else(|| format!("body field {} is not base64", path.join(".")))
}

/// DER of the single CERTIFICATE block in a PEM text.
fn pem_cert(pem: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(pem).map_err(|_| "PEM is not UTF-8".to_string())?;
    let begin = "-----BEGIN CERTIFICATE-----";
    let end = "-----END CERTIFICATE-----";
    let start = text
        .find(begin)
        .ok_or_else(|| "the entry's verifier is not a PEM certificate".to_string())?;
    let rest = &text[start + begin.len()..];
    let stop = rest
        .find(end)
        .ok_or_else(|| "unterminated PEM certificate".to_string())?;
    if rest[stop + end.len()..].contains("-----BEGIN") {
        return Err("the entry's verifier holds more than one PEM block".into());
    }
    let b: String = rest[..stop].split_whitespace().collect();
    B64.decode(b)
        .map_err(|_| "PEM certificate body is not base64".to_string())
}

/// Collects every field in which the log entry differs from the bundle.
struct Diff(Vec<String>);

impl Diff {
    fn same(&mut self, what: &str, entry: &[u8], bundle: &[u8], show: fn(&[u8]) -> String) {
        if entry != bundle {
            self.0.push(format!(
                "{what} (entry: {}; bundle: {})",
                show(entry),
                show(bundle)
            ));
        }
    }
}

fn short(b: &[u8]) -> String {
    let h = hex::encode(sha2::Digest::finalize(
        <sha2::Sha256 as sha2::Digest>::new_with_prefix(b),
    ));
    format!("{} bytes, SHA-256 {}…", b.len(), &h[..16])
}

/// Check that the entry body records exactly this signature, certificate and digest.
pub(crate) fn check_body(
    entry: &Entry,
    signed: &Signed<'_>,
    leaf_der: &[u8],
) -> Result<String, String> {
    let v: Value = serde_json::from_slice(&entry.body)
        .map_err(|e| format!("canonicalizedBody is not JSON: {e}"))?;
    let kind = s(&v, &["kind"])?;
    let api = s(&v, &["apiVersion"])?;
    if kind != entry.kind || api != entry.version {
        return Err(format!(
            "body is {kind} {api} but kindVersion says {} {}",
            entry.kind, entry.version
        ));
    }
    let mut d = Diff(Vec::new());
    match (kind, api, signed) {
        (
            "hashedrekord",
            "0.0.1",
            Signed::Message {
                artifact_sha256,
                signature,
            },
        ) => {
            let alg = s(&v, &["spec", "data", "hash", "algorithm"])?;
            if alg != "sha256" {
                return Err(format!("entry digest algorithm {alg} is not sha256"));
            }
            let value = s(&v, &["spec", "data", "hash", "value"])?;
            if !value.eq_ignore_ascii_case(&hex::encode(artifact_sha256)) {
                return Err(format!(
                    "the log entry's artifact digest sha256:{value} differs from the artifact's \
                     sha256:{}",
                    hex::encode(artifact_sha256)
                ));
            }
            d.same(
                "signature",
                &bytes(&v, &["spec", "signature", "content"])?,
                signature,
                short,
            );
            let pem = bytes(&v, &["spec", "signature", "publicKey", "content"])?;
            d.same("certificate", &pem_cert(&pem)?, leaf_der, short);
        }
        (
            "hashedrekord",
            "0.0.2",
            Signed::Message {
                artifact_sha256,
                signature,
            },
        ) => {
            let spec = v
                .get("spec")
                .and_then(|x| x.get("hashedRekordV002"))
                .ok_or("body has no spec.hashedRekordV002")?;
            let alg = s(spec, &["data", "algorithm"])?;
            if alg != "SHA2_256" {
                return Err(format!("entry digest algorithm {alg} is not SHA2_256"));
            }
            d.same(
                "artifact digest",
                &bytes(spec, &["data", "digest"])?,
                artifact_sha256,
                |b| hex::encode(b),
            );
            d.same(
                "signature",
                &bytes(spec, &["signature", "content"])?,
                signature,
                short,
            );
            d.same(
                "certificate",
                &bytes(
                    spec,
                    &["signature", "verifier", "x509Certificate", "rawBytes"],
                )?,
                leaf_der,
                short,
            );
        }
        (
            "dsse",
            "0.0.1",
            Signed::Dsse {
                payload_sha256,
                signature,
            },
        ) => {
            let spec = v.get("spec").ok_or("body has no spec")?;
            let alg = s(spec, &["payloadHash", "algorithm"])?;
            if alg != "sha256" {
                return Err(format!("entry payload hash algorithm {alg} is not sha256"));
            }
            let value = s(spec, &["payloadHash", "value"])?;
            if !value.eq_ignore_ascii_case(&hex::encode(payload_sha256)) {
                return Err(format!(
                    "the log entry's payload hash {value} differs from the envelope's {}",
                    hex::encode(payload_sha256)
                ));
            }
            let sigs = spec
                .get("signatures")
                .and_then(Value::as_array)
                .ok_or("body has no spec.signatures array")?;
            let [one] = sigs.as_slice() else {
                return Err(format!(
                    "the log entry has {} signatures, expected 1",
                    sigs.len()
                ));
            };
            d.same("signature", &bytes(one, &["signature"])?, signature, short);
            d.same(
                "certificate",
                &pem_cert(&bytes(one, &["verifier"])?)?,
                leaf_der,
                short,
            );
        }
        (
            "dsse",
            "0.0.2",
            Signed::Dsse {
                payload_sha256,
                signature,
            },
        ) => {
            let spec = v
                .get("spec")
                .and_then(|x| x.get("dsseV002"))
                .ok_or("body has no spec.dsseV002")?;
            let alg = s(spec, &["payloadHash", "algorithm"])?;
            if alg != "SHA2_256" {
                return Err(format!(
                    "entry payload hash algorithm {alg} is not SHA2_256"
                ));
            }
            d.same(
                "payload hash",
                &bytes(spec, &["payloadHash", "digest"])?,
                payload_sha256,
                |b| hex::encode(b),
            );
            let sigs = spec
                .get("signatures")
                .and_then(Value::as_array)
                .ok_or("body has no dsseV002.signatures array")?;
            let [one] = sigs.as_slice() else {
                return Err(format!(
                    "the log entry has {} signatures, expected 1",
                    sigs.len()
                ));
            };
            d.same("signature", &bytes(one, &["content"])?, signature, short);
            d.same(
                "certificate",
                &bytes(one, &["verifier", "x509Certificate", "rawBytes"])?,
                leaf_der,
                short,
            );
        }
        (k, a, Signed::Message { .. }) => {
            return Err(format!(
                "a message-signature bundle needs a hashedrekord 0.0.1/0.0.2 entry, found {k} {a}"
            ))
        }
        (k, a, Signed::Dsse { .. }) => {
            return Err(format!(
                "a DSSE bundle needs a dsse 0.0.1/0.0.2 entry, found {k} {a}"
            ))
        }
    }
    if !d.0.is_empty() {
        return Err(format!(
            "the log entry records a different {}: it is the entry of another signing event \
             and does not cover this bundle",
            d.0.join(", and a different ")
        ));
    }
    Ok(format!("{kind} {api}"))
}

/// The signed entry timestamp: ECDSA by the log over canonical JSON of
/// `{"body","integratedTime","logID","logIndex"}` (keys sorted, no whitespace).
pub(crate) fn check_set(
    entry: &Entry,
    set: &[u8],
    integrated_time: i64,
    log: &Log,
) -> Result<(), String> {
    let payload = serde_json::json!({
        "body": B64.encode(&entry.body),
        "integratedTime": integrated_time,
        "logID": hex::encode(&entry.log_id),
        "logIndex": entry.log_index,
    });
    // serde_json's Map is a BTreeMap here (no preserve_order): keys come out sorted.
    let canonical = serde_json::to_vec(&payload).map_err(|e| e.to_string())?;
    match &log.key {
        PublicKey::P256(_) | PublicKey::P384(_) => log
            .key
            .verify_message(&canonical, set)
            .map_err(|e| format!("{e} (log {})", log.base_url)),
        other => Err(format!(
            "log {} has a {} key; signed entry timestamps need ECDSA",
            log.base_url,
            other.describe()
        )),
    }
}

/// Verify the checkpoint note with the log's key; return (tree size, root hash, origin).
pub(crate) fn check_checkpoint(
    envelope: &str,
    log: &Log,
) -> Result<(u64, [u8; 32], String), String> {
    let text = match &log.key {
        PublicKey::Ed25519(k) => {
            let mut raw = vec![0x01u8];
            raw.extend_from_slice(k.as_bytes());
            let hash = otproof_ledger::note::key_hash(&log.host, &raw);
            let vkey = format!("{}+{hash:08x}+{}", log.host, B64.encode(&raw));
            let verifier = otproof_ledger::note::Verifier::from_vkey(&vkey)
                .map_err(|e| format!("log key as a note verifier: {e}"))?;
            otproof_ledger::note::open(envelope, &[verifier])
                .map_err(|e| format!("{e} (expected a signature by {})", log.host))?
                .text
        }
        PublicKey::P256(_) | PublicKey::P384(_) => {
            // Rekor v1 notes: `— NAME BASE64(keyID[0..4] || DER ECDSA(SHA-256(text)))`.
            let split = envelope
                .rfind("\n\n")
                .ok_or("checkpoint has no blank line before the signatures")?;
            let text = &envelope[..split + 1];
            let mut found = false;
            for line in envelope[split + 2..].lines() {
                let Some(rest) = line.strip_prefix("\u{2014} ") else {
                    return Err(format!(
                        "checkpoint signature line '{line}' lacks the em dash"
                    ));
                };
                let (name, sig) = rest
                    .split_once(' ')
                    .ok_or_else(|| format!("checkpoint signature line '{line}': NAME SIG"))?;
                let blob = B64
                    .decode(sig)
                    .map_err(|_| format!("checkpoint signature by {name} is not base64"))?;
                if name != log.host || blob.len() < 5 || blob[..4] != log.log_id[..4] {
                    continue; // a witness or another key
                }
                log.key
                    .verify_message(text.as_bytes(), &blob[4..])
                    .map_err(|e| format!("checkpoint signature by {name}: {e}"))?;
                found = true;
            }
            if !found {
                return Err(format!(
                    "no checkpoint signature by {} with key hash {}",
                    log.host,
                    hex::encode(log.log_id.get(..4).unwrap_or_default())
                ));
            }
            text.to_string()
        }
        PublicKey::Unsupported(d) => return Err(format!("log key type not supported: {d}")),
    };
    let cp = otproof_ledger::checkpoint::Checkpoint::parse(&text).map_err(|e| e.to_string())?;
    Ok((cp.size, cp.root, cp.origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_cert_parsing() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_cert(pem), Ok(vec![0, 1, 2]));
        assert!(pem_cert(b"-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\n").is_err());
        assert!(pem_cert(b"-----BEGIN CERTIFICATE-----\nAAEC\n").is_err());
        assert!(pem_cert(&[0xff, 0xfe]).is_err());
    }
}
