//! JSON models of the Sigstore bundle and trusted root, parsed by walking `serde_json::Value`
//! so that every error names the JSON path and what was expected there.

use crate::cert::{parse_cert, Cert, PublicKey};
use crate::time::parse_rfc3339;
use crate::SigstoreError;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

const B64_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const B64_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Protobuf-JSON `bytes`: standard or URL-safe base64, padding optional.
pub(crate) fn b64(s: &str) -> Option<Vec<u8>> {
    B64_STD.decode(s).or_else(|_| B64_URL.decode(s)).ok()
}

/// Refuse inputs larger than this (a bundle or trusted root is a few KiB).
pub const MAX_JSON: usize = 16 << 20;

/// A cursor into a JSON document that knows its path.
#[derive(Clone, Copy)]
pub(crate) struct J<'a> {
    v: &'a Value,
    what: &'static str,
}

pub(crate) struct P<'a> {
    j: J<'a>,
    path: String,
}

impl<'a> P<'a> {
    pub(crate) fn root(v: &'a Value, what: &'static str) -> P<'a> {
        P {
            j: J { v, what },
            path: "$".into(),
        }
    }

    pub(crate) fn err(&self, expected: impl Into<String>) -> SigstoreError {
        SigstoreError::Parse {
            what: self.j.what,
            path: self.path.clone(),
            expected: expected.into(),
        }
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn opt(&self, key: &str) -> Result<Option<P<'a>>, SigstoreError> {
        let obj = self
            .j
            .v
            .as_object()
            .ok_or_else(|| self.err("a JSON object"))?;
        Ok(obj.get(key).filter(|v| !v.is_null()).map(|v| P {
            j: J {
                v,
                what: self.j.what,
            },
            path: format!("{}.{key}", self.path),
        }))
    }

    pub(crate) fn get(&self, key: &str) -> Result<P<'a>, SigstoreError> {
        self.opt(key)?.ok_or_else(|| SigstoreError::Parse {
            what: self.j.what,
            path: format!("{}.{key}", self.path),
            expected: "a value (field is missing)".into(),
        })
    }

    pub(crate) fn str(&self) -> Result<&'a str, SigstoreError> {
        self.j.v.as_str().ok_or_else(|| self.err("a string"))
    }

    pub(crate) fn bytes(&self) -> Result<Vec<u8>, SigstoreError> {
        b64(self.str()?).ok_or_else(|| self.err("base64-encoded bytes"))
    }

    /// Protobuf-JSON int64: a decimal string (or a JSON integer).
    pub(crate) fn int(&self) -> Result<i64, SigstoreError> {
        match self.j.v {
            Value::String(s) => s
                .parse::<i64>()
                .ok()
                .filter(|_| !s.starts_with('+'))
                .ok_or_else(|| self.err("a decimal int64 string")),
            Value::Number(n) => n.as_i64().ok_or_else(|| self.err("an int64")),
            _ => Err(self.err("an int64 (decimal string)")),
        }
    }

    pub(crate) fn arr(&self) -> Result<Vec<P<'a>>, SigstoreError> {
        let a = self
            .j
            .v
            .as_array()
            .ok_or_else(|| self.err("a JSON array"))?;
        Ok(a.iter()
            .enumerate()
            .map(|(i, v)| P {
                j: J {
                    v,
                    what: self.j.what,
                },
                path: format!("{}[{i}]", self.path),
            })
            .collect())
    }

    pub(crate) fn time(&self) -> Result<i64, SigstoreError> {
        parse_rfc3339(self.str()?).ok_or_else(|| self.err("an RFC 3339 timestamp"))
    }
}

pub(crate) fn parse_json(bytes: &[u8], what: &'static str) -> Result<Value, SigstoreError> {
    if bytes.len() > MAX_JSON {
        return Err(SigstoreError::Parse {
            what,
            path: "$".into(),
            expected: format!("at most {MAX_JSON} bytes"),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| SigstoreError::Parse {
        what,
        path: format!("line {} column {}", e.line(), e.column()),
        expected: format!("valid JSON ({e})"),
    })
}

// ---------------------------------------------------------------- bundle

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V01,
    V02,
    V03,
}

#[derive(Debug, Clone)]
pub(crate) enum Content {
    Message {
        /// (algorithm, digest) when the bundle carries messageDigest.
        digest: Option<(String, Vec<u8>)>,
        signature: Vec<u8>,
    },
    Dsse {
        payload_type: String,
        payload: Vec<u8>,
        signatures: Vec<Vec<u8>>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Proof {
    pub log_index: i64,
    pub root_hash: Vec<u8>,
    pub tree_size: i64,
    pub hashes: Vec<Vec<u8>>,
    pub checkpoint: Option<String>,
    pub path: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub log_index: i64,
    pub log_id: Vec<u8>,
    pub kind: String,
    pub version: String,
    /// `None` when absent or zero (Rekor v2 entries carry no integrated time).
    pub integrated_time: Option<i64>,
    pub set: Option<Vec<u8>>,
    pub proof: Option<Proof>,
    pub body: Vec<u8>,
}

/// A parsed Sigstore bundle (media types v0.1, v0.2, v0.3).
#[derive(Debug, Clone)]
pub struct Bundle {
    pub(crate) media_type: String,
    pub(crate) version: Version,
    /// Certificates as given: the leaf first (v0.3 has exactly one).
    pub(crate) certs: Vec<Vec<u8>>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) timestamps: Vec<Vec<u8>>,
    pub(crate) content: Content,
}

fn version_of(media_type: &str) -> Option<Version> {
    match media_type {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(Version::V01),
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(Version::V02),
        "application/vnd.dev.sigstore.bundle+json;version=0.3"
        | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(Version::V03),
        _ => None,
    }
}

fn parse_entry(e: &P<'_>) -> Result<Entry, SigstoreError> {
    let kv = e.get("kindVersion")?;
    let integrated = match e.opt("integratedTime")? {
        Some(t) => Some(t.int()?).filter(|t| *t != 0),
        None => None,
    };
    if let Some(t) = integrated {
        if t < 0 {
            return Err(e.get("integratedTime")?.err("a non-negative Unix time"));
        }
    }
    let set = match e.opt("inclusionPromise")? {
        Some(p) => Some(p.get("signedEntryTimestamp")?.bytes()?),
        None => None,
    };
    let proof = match e.opt("inclusionProof")? {
        Some(p) => {
            let hashes = p
                .get("hashes")?
                .arr()?
                .iter()
                .map(P::bytes)
                .collect::<Result<Vec<_>, _>>()?;
            let checkpoint = match p.opt("checkpoint")? {
                Some(c) => Some(c.get("envelope")?.str()?.to_string()),
                None => None,
            };
            Some(Proof {
                log_index: p.get("logIndex")?.int()?,
                root_hash: p.get("rootHash")?.bytes()?,
                tree_size: p.get("treeSize")?.int()?,
                hashes,
                checkpoint,
                path: p.path().to_string(),
            })
        }
        None => None,
    };
    let body_p = e.get("canonicalizedBody")?;
    Ok(Entry {
        log_index: e.get("logIndex")?.int()?,
        log_id: e.get("logId")?.get("keyId")?.bytes()?,
        kind: kv.get("kind")?.str()?.to_string(),
        version: kv.get("version")?.str()?.to_string(),
        integrated_time: integrated,
        set,
        proof,
        body: body_p.bytes()?,
    })
}

impl Bundle {
    /// Parse bundle JSON. Never panics; errors name the JSON path.
    pub fn from_json(bytes: &[u8]) -> Result<Bundle, SigstoreError> {
        let v = parse_json(bytes, "bundle")?;
        let root = P::root(&v, "bundle");
        let mt = root.get("mediaType")?;
        let media_type = mt.str()?.to_string();
        let version = version_of(&media_type).ok_or_else(|| {
            mt.err(
                "a Sigstore bundle media type v0.1, v0.2 or v0.3 \
                 (application/vnd.dev.sigstore.bundle+json;version=0.N or \
                 application/vnd.dev.sigstore.bundle.v0.3+json)",
            )
        })?;
        let vm = root.get("verificationMaterial")?;
        let certs = match (vm.opt("certificate")?, vm.opt("x509CertificateChain")?) {
            (Some(c), None) if version == Version::V03 => vec![c.get("rawBytes")?.bytes()?],
            (None, Some(ch)) if version != Version::V03 => {
                let list = ch.get("certificates")?;
                let certs = list
                    .arr()?
                    .iter()
                    .map(|c| c.get("rawBytes")?.bytes())
                    .collect::<Result<Vec<_>, _>>()?;
                if certs.is_empty() {
                    return Err(list.err("at least one certificate (the signing leaf)"));
                }
                certs
            }
            _ => {
                return Err(vm.err(if version == Version::V03 {
                    "a `certificate` (v0.3 bundles carry a single leaf; public-key hints \
                     and chains are not supported)"
                } else {
                    "an `x509CertificateChain` (v0.1/v0.2 bundles; public-key hints are \
                     not supported)"
                }))
            }
        };
        let entries = match vm.opt("tlogEntries")? {
            Some(a) => a
                .arr()?
                .iter()
                .map(parse_entry)
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let mut timestamps = Vec::new();
        if let Some(tvd) = vm.opt("timestampVerificationData")? {
            if let Some(ts) = tvd.opt("rfc3161Timestamps")? {
                for t in ts.arr()? {
                    timestamps.push(t.get("signedTimestamp")?.bytes()?);
                }
            }
        }
        let content = match (root.opt("messageSignature")?, root.opt("dsseEnvelope")?) {
            (Some(m), None) => {
                let digest = match m.opt("messageDigest")? {
                    Some(d) => Some((
                        d.get("algorithm")?.str()?.to_string(),
                        d.get("digest")?.bytes()?,
                    )),
                    None => None,
                };
                Content::Message {
                    digest,
                    signature: m.get("signature")?.bytes()?,
                }
            }
            (None, Some(d)) => {
                let sigs = d.get("signatures")?;
                let signatures = sigs
                    .arr()?
                    .iter()
                    .map(|s| s.get("sig")?.bytes())
                    .collect::<Result<Vec<_>, _>>()?;
                if signatures.len() != 1 {
                    return Err(sigs.err("exactly one DSSE signature"));
                }
                Content::Dsse {
                    payload_type: d.get("payloadType")?.str()?.to_string(),
                    payload: d.get("payload")?.bytes()?,
                    signatures,
                }
            }
            _ => return Err(root.err("exactly one of messageSignature or dsseEnvelope")),
        };
        Ok(Bundle {
            media_type,
            version,
            certs,
            entries,
            timestamps,
            content,
        })
    }

    /// The bundle's media type, as written.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }
}

// ---------------------------------------------------------------- trusted root

/// A validity window in Unix seconds; `end` open when absent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start: i64,
    pub end: Option<i64>,
}

impl Window {
    pub(crate) fn contains(&self, t: i64) -> bool {
        t >= self.start && self.end.is_none_or(|e| t <= e)
    }

    pub(crate) fn describe(&self) -> String {
        use crate::time::format_unix;
        match self.end {
            Some(e) => format!("{} .. {}", format_unix(self.start), format_unix(e)),
            None => format!("{} .. (open)", format_unix(self.start)),
        }
    }
}

fn window(p: &P<'_>) -> Result<Window, SigstoreError> {
    let start = p.get("start")?.time()?;
    let end = match p.opt("end")? {
        Some(e) => Some(e.time()?),
        None => None,
    };
    if end.is_some_and(|e| e < start) {
        return Err(p.err("a validity window whose end is not before its start"));
    }
    Ok(Window { start, end })
}

#[derive(Debug, Clone)]
pub(crate) struct Log {
    pub base_url: String,
    /// Host of base_url: the signed-note key name.
    pub host: String,
    pub key: PublicKey,
    pub log_id: Vec<u8>,
    pub valid: Window,
}

#[derive(Debug, Clone)]
pub(crate) struct Authority {
    pub uri: String,
    /// Issuing certificate first, root last.
    pub chain: Vec<Cert>,
    pub valid: Window,
    /// Whether the chain's CA-to-CA links (signatures, CA constraints, validity windows)
    /// check out, with the reason if not. A property of the trusted root alone: computed
    /// once by [`TrustedRoot::from_json`], reused by every verification.
    pub links: Result<(), String>,
}

/// A Sigstore trusted root (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`).
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub(crate) tlogs: Vec<Log>,
    /// Certificate Transparency logs (their log ID is the SHA-256 of the DER SPKI).
    pub(crate) ctlogs: Vec<Log>,
    pub(crate) cas: Vec<Authority>,
    pub(crate) tsas: Vec<Authority>,
}

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or(rest)
        .to_string()
}

fn parse_log(p: &P<'_>) -> Result<Log, SigstoreError> {
    let base_url = p.get("baseUrl")?.str()?.to_string();
    let pk = p.get("publicKey")?;
    let raw_p = pk.get("rawBytes")?;
    let raw = raw_p.bytes()?;
    let details = pk.get("keyDetails")?.str()?;
    let key = PublicKey::from_spki_der(&raw)
        .unwrap_or_else(|e| PublicKey::Unsupported(format!("{details}: {e}")));
    let log_id_p = p.get("logId")?.get("keyId")?;
    let log_id = log_id_p.bytes()?;
    let host = host_of(&base_url);
    // The log ID must be derived from the key: SHA-256 of the SPKI (ECDSA, Rekor v1) or the
    // C2SP signed-note key ID SHA-256(name || "\n" || 0x01 || key) (Ed25519, Rekor v2).
    match &key {
        PublicKey::P256(_) | PublicKey::P384(_) => {
            if Sha256::digest(&raw)[..] != log_id[..] {
                return Err(log_id_p.err("SHA-256 of publicKey.rawBytes (the log's key ID)"));
            }
        }
        PublicKey::Ed25519(k) => {
            let mut h = Sha256::new();
            h.update(host.as_bytes());
            h.update(b"\n\x01");
            h.update(k.as_bytes());
            if h.finalize()[..] != log_id[..] && Sha256::digest(&raw)[..] != log_id[..] {
                return Err(log_id_p.err(
                    "the note key ID of the Ed25519 key (SHA-256 of host, newline, 0x01, key) \
                     or the SHA-256 of the SPKI",
                ));
            }
        }
        PublicKey::Unsupported(_) => {}
    }
    Ok(Log {
        base_url,
        host,
        key,
        log_id,
        valid: window(&pk.get("validFor")?)?,
    })
}

fn parse_authority(
    p: &P<'_>,
    what: &'static str,
    links: fn(&[Cert]) -> Result<(), String>,
) -> Result<Authority, SigstoreError> {
    let list = p.get("certChain")?.get("certificates")?;
    let mut chain = Vec::new();
    for c in list.arr()? {
        let raw = c.get("rawBytes")?;
        chain.push(parse_cert(&raw.bytes()?, what, raw.path())?);
    }
    if chain.is_empty() {
        return Err(list.err("at least one certificate"));
    }
    let uri = match p.opt("uri")? {
        Some(u) => u.str()?.to_string(),
        None => String::new(),
    };
    let valid = window(&p.get("validFor")?)?;
    // Parse errors first; the (costly) signature checks only for a well-formed authority.
    Ok(Authority {
        uri,
        links: links(&chain),
        chain,
        valid,
    })
}

impl TrustedRoot {
    /// Parse trusted-root JSON. Certificates and keys are parsed here; keys of unsupported
    /// types (e.g. RSA CT logs) are kept but can never verify anything. The CA-to-CA links of
    /// every certificate authority and timestamp authority chain are verified here, once; a
    /// chain that fails still parses, and every verification through it is then rejected
    /// with the stored reason.
    pub fn from_json(bytes: &[u8]) -> Result<TrustedRoot, SigstoreError> {
        let v = parse_json(bytes, "trusted root")?;
        let root = P::root(&v, "trusted root");
        let mt = root.get("mediaType")?;
        if !mt
            .str()?
            .starts_with("application/vnd.dev.sigstore.trustedroot")
        {
            return Err(mt.err("application/vnd.dev.sigstore.trustedroot+json;version=0.N"));
        }
        let list = |key: &str| -> Result<Vec<P<'_>>, SigstoreError> {
            match root.opt(key)? {
                Some(a) => a.arr(),
                None => Ok(Vec::new()),
            }
        };
        let tlogs = list("tlogs")?
            .iter()
            .map(parse_log)
            .collect::<Result<Vec<_>, _>>()?;
        let ctlogs = list("ctlogs")?
            .iter()
            .map(parse_log)
            .collect::<Result<Vec<_>, _>>()?;
        let cas = list("certificateAuthorities")?
            .iter()
            .map(|p| parse_authority(p, "trusted root certificate", crate::ca_chain_links))
            .collect::<Result<Vec<_>, _>>()?;
        let tsas = list("timestampAuthorities")?
            .iter()
            .map(|p| parse_authority(p, "trusted root certificate", crate::tsa::tsa_chain_links))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedRoot {
            tlogs,
            ctlogs,
            cas,
            tsas,
        })
    }
}
