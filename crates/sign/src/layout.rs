//! in-toto v0.9 layouts and links (`{"signed": ..., "signatures": [{keyid, sig}]}` metadata,
//! signatures over the securesystemslib canonical JSON of `signed`).
//!
//! [`verify_layout`] performs, in order: layout signature by every owner key, expiry against a
//! caller-supplied time, per-step link signatures by authorized functionaries with thresholds,
//! agreement of the links of one step, command alignment (warning only, as in in-toto), the
//! steps' artifact rules, and the inspections' artifact rules. **Inspection commands are never
//! executed**: a pre-recorded `<inspection>.link` may be supplied instead; otherwise verification
//! fails with [`SignError::InspectionNotRun`] unless the caller explicitly allows unrun
//! inspections, in which case the report lists them under `not_checked`.
//! Sublayouts (a link file holding a layout) are not supported and never count as valid links.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use p256::pkcs8::DecodePublicKey as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::canonical::canonical_json;
use crate::keys::{Alg, SigningKey, VerifyingKey};
use crate::SignError;

const META: &str = "in-toto metadata";
const LAYOUT: &str = "in-toto layout";
const LINK: &str = "in-toto link";

/// Maximum size of one link file read by [`read_links_dir`].
pub const MAX_LINK_FILE: u64 = 16 * 1024 * 1024;

// ---------------------------------------------------------------- keys

/// An in-toto / securesystemslib public key: `{keytype, scheme, keyid_hash_algorithms?, keyval: {public}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InTotoKey {
    /// `ed25519`, `rsa`, `ecdsa` or `ecdsa-sha2-nistp256`.
    pub keytype: String,
    /// `ed25519`, `rsassa-pss-sha256`, `rsassa-pss-sha512` or `ecdsa-sha2-nistp256`.
    pub scheme: String,
    /// Included in the key id computation when present.
    pub keyid_hash_algorithms: Option<Vec<String>>,
    /// Hex (ed25519) or SPKI PEM (rsa, ecdsa) public key.
    pub public: String,
}

impl InTotoKey {
    /// An RSA public key (SPKI PEM) with securesystemslib's default keyid hash algorithms.
    pub fn rsa_from_pem(pem: &str, scheme: &str) -> Result<InTotoKey, SignError> {
        if crate::keys::is_private_key_pem(pem) {
            return Err(SignError::Key(crate::keys::PRIVATE_NOT_PUBLIC.into()));
        }
        rsa::RsaPublicKey::from_public_key_pem(pem.trim())
            .map_err(|e| SignError::Key(format!("not an SPKI PEM RSA public key: {e}")))?;
        Ok(InTotoKey {
            keytype: "rsa".into(),
            scheme: scheme.into(),
            keyid_hash_algorithms: Some(vec!["sha256".into(), "sha512".into()]),
            public: pem.trim().to_string(),
        })
    }

    /// An otproof key as in-toto key: Ed25519 → hex public key without keyid hash algorithms
    /// (the in-toto-rs form); P-256 → `ecdsa`/`ecdsa-sha2-nistp256` with SPKI PEM.
    pub fn from_verifying_key(key: &VerifyingKey) -> InTotoKey {
        match key.ed25519_bytes() {
            Some(b) => InTotoKey {
                keytype: "ed25519".into(),
                scheme: "ed25519".into(),
                keyid_hash_algorithms: None,
                public: hex::encode(b),
            },
            None => InTotoKey {
                keytype: "ecdsa".into(),
                scheme: "ecdsa-sha2-nistp256".into(),
                keyid_hash_algorithms: None,
                public: key.to_pem().trim().to_string(),
            },
        }
    }

    fn to_keyid_json(&self, with_hash_algs: bool) -> Value {
        let mut m = Map::new();
        m.insert("keytype".into(), Value::String(self.keytype.clone()));
        m.insert("scheme".into(), Value::String(self.scheme.clone()));
        m.insert("keyval".into(), json!({"public": self.public}));
        if with_hash_algs {
            if let Some(h) = &self.keyid_hash_algorithms {
                m.insert("keyid_hash_algorithms".into(), json!(h));
            }
        }
        Value::Object(m)
    }

    /// The key id: hex SHA-256 of the canonical JSON of the public key.
    pub fn keyid(&self) -> String {
        let c = canonical_json(&self.to_keyid_json(true)).unwrap_or_default();
        hex::encode(Sha256::digest(c))
    }

    /// Key ids this key is known under (with and without `keyid_hash_algorithms`, since
    /// implementations differ on including it).
    pub fn keyid_candidates(&self) -> Vec<String> {
        let mut v = vec![self.keyid()];
        let c = canonical_json(&self.to_keyid_json(false)).unwrap_or_default();
        let alt = hex::encode(Sha256::digest(c));
        if !v.contains(&alt) {
            v.push(alt);
        }
        v
    }

    /// Verifies `sig` over `msg` according to keytype/scheme.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), SignError> {
        match (self.keytype.as_str(), self.scheme.as_str()) {
            ("ed25519", "ed25519") => {
                let raw = hex::decode(&self.public)
                    .ok()
                    .ok_or_else(|| SignError::Key("ed25519 public key is not hex".into()))?;
                VerifyingKey::from_ed25519_bytes(&raw)?.verify(msg, sig)
            }
            ("rsa", scheme @ ("rsassa-pss-sha256" | "rsassa-pss-sha512")) => {
                use rsa::signature::Verifier as _;
                let key = rsa::RsaPublicKey::from_public_key_pem(self.public.trim())
                    .map_err(|e| SignError::Key(format!("not an SPKI PEM RSA public key: {e}")))?;
                let s = rsa::pss::Signature::try_from(sig)
                    .map_err(|_| SignError::Signature("malformed RSA-PSS signature".into()))?;
                let ok = if scheme == "rsassa-pss-sha256" {
                    rsa::pss::VerifyingKey::<Sha256>::new(key)
                        .verify(msg, &s)
                        .is_ok()
                } else {
                    rsa::pss::VerifyingKey::<sha2::Sha512>::new(key)
                        .verify(msg, &s)
                        .is_ok()
                };
                if ok {
                    Ok(())
                } else {
                    Err(SignError::Signature(format!(
                        "{scheme} signature does not verify with key {}",
                        self.keyid()
                    )))
                }
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                let k = VerifyingKey::from_pem(&self.public)?;
                if k.alg() != Alg::P256 {
                    return Err(SignError::Key(
                        "ecdsa-sha2-nistp256 key is not a P-256 key".into(),
                    ));
                }
                k.verify(msg, sig)
            }
            (t, s) => Err(SignError::Key(format!(
                "unsupported in-toto key type/scheme {t:?}/{s:?}"
            ))),
        }
    }
}

// ---------------------------------------------------------------- metablock

/// One `{keyid, sig}` entry of a metablock (sig is hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaSignature {
    /// Key id of the signer.
    pub keyid: String,
    /// Hex signature.
    pub sig: String,
}

/// A signed in-toto v0.9 document (layout or link).
#[derive(Debug, Clone, PartialEq)]
pub struct Metablock {
    /// The signed document, kept as JSON so its canonical form is exactly what was signed.
    pub signed: Value,
    /// Signatures over `canonical_json(signed)`.
    pub signatures: Vec<MetaSignature>,
}

fn jtype(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn as_obj<'a>(
    what: &'static str,
    v: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, SignError> {
    v.as_object()
        .ok_or_else(|| SignError::parse(what, path, format!("an object, found {}", jtype(v))))
}

fn field<'a>(
    what: &'static str,
    o: &'a Map<String, Value>,
    k: &str,
    path: &str,
) -> Result<&'a Value, SignError> {
    o.get(k)
        .ok_or_else(|| SignError::parse(what, format!("{path}.{k}"), "a value (field missing)"))
}

fn str_of<'a>(what: &'static str, v: &'a Value, path: &str) -> Result<&'a str, SignError> {
    v.as_str()
        .ok_or_else(|| SignError::parse(what, path, format!("a string, found {}", jtype(v))))
}

fn str_field<'a>(
    what: &'static str,
    o: &'a Map<String, Value>,
    k: &str,
    path: &str,
) -> Result<&'a str, SignError> {
    str_of(what, field(what, o, k, path)?, &format!("{path}.{k}"))
}

fn str_list(what: &'static str, v: &Value, path: &str) -> Result<Vec<String>, SignError> {
    let a = v.as_array().ok_or_else(|| {
        SignError::parse(
            what,
            path,
            format!("an array of strings, found {}", jtype(v)),
        )
    })?;
    a.iter()
        .enumerate()
        .map(|(i, x)| str_of(what, x, &format!("{path}[{i}]")).map(str::to_string))
        .collect()
}

fn opt_str_list(
    what: &'static str,
    o: &Map<String, Value>,
    k: &str,
    path: &str,
) -> Result<Vec<String>, SignError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => str_list(what, v, &format!("{path}.{k}")),
    }
}

impl Metablock {
    /// Parses `{"signed": {...}, "signatures": [{"keyid": .., "sig": ..}]}`.
    pub fn from_json(bytes: &[u8]) -> Result<Metablock, SignError> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| SignError::parse(META, "$", format!("a JSON object ({e})")))?;
        let o = as_obj(META, &v, "$")?;
        let signed = field(META, o, "signed", "$")?;
        as_obj(META, signed, "$.signed")?;
        let sigs = field(META, o, "signatures", "$")?;
        let arr = sigs.as_array().ok_or_else(|| {
            SignError::parse(
                META,
                "$.signatures",
                format!("an array, found {}", jtype(sigs)),
            )
        })?;
        let mut signatures = Vec::with_capacity(arr.len());
        for (i, s) in arr.iter().enumerate() {
            let p = format!("$.signatures[{i}]");
            let so = as_obj(META, s, &p)?;
            signatures.push(MetaSignature {
                keyid: str_field(META, so, "keyid", &p)?.to_string(),
                sig: str_field(META, so, "sig", &p)?.to_string(),
            });
        }
        Ok(Metablock {
            signed: signed.clone(),
            signatures,
        })
    }

    /// Pretty JSON serialization.
    pub fn to_json(&self) -> Vec<u8> {
        let sigs: Vec<Value> = self
            .signatures
            .iter()
            .map(|s| json!({"keyid": s.keyid, "sig": s.sig}))
            .collect();
        serde_json::to_vec_pretty(&json!({"signatures": sigs, "signed": self.signed}))
            .unwrap_or_default()
    }

    /// `signed._type` (e.g. `layout` or `link`), if present.
    pub fn metadata_type(&self) -> Option<&str> {
        self.signed.get("_type").and_then(Value::as_str)
    }

    /// Signs `signed` (canonical JSON) with otproof keys. Key ids are those of
    /// [`InTotoKey::from_verifying_key`].
    pub fn sign(signed: Value, keys: &[&SigningKey]) -> Result<Metablock, SignError> {
        let msg = canonical_json(&signed)?;
        let signatures = keys
            .iter()
            .map(|k| MetaSignature {
                keyid: InTotoKey::from_verifying_key(&k.verifying_key()).keyid(),
                sig: hex::encode(k.sign(&msg)),
            })
            .collect();
        Ok(Metablock { signed, signatures })
    }

    /// Verifies that a signature whose keyid is one of `keyids` verifies with `key`.
    fn verify_by(&self, key: &InTotoKey, keyids: &[String]) -> Result<(), SignError> {
        let msg = canonical_json(&self.signed)?;
        let mut last = None;
        for s in self.signatures.iter().filter(|s| keyids.contains(&s.keyid)) {
            let Some(sig) = hex::decode(&s.sig).ok() else {
                last = Some(SignError::Signature(format!(
                    "signature by {} is not hex",
                    s.keyid
                )));
                continue;
            };
            match key.verify(&msg, &sig) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(SignError::Signature(m)) => SignError::Signature(m),
            Some(other) => SignError::Signature(other.to_string()),
            None => SignError::Signature(format!(
                "no signature by key {} (signatures present: {})",
                keyids.first().map(String::as_str).unwrap_or(""),
                if self.signatures.is_empty() {
                    "none".to_string()
                } else {
                    self.signatures
                        .iter()
                        .map(|s| s.keyid.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )),
        })
    }
}

// ---------------------------------------------------------------- rules

/// Which artifact set of the destination step a MATCH rule compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactSet {
    /// `MATERIALS`
    Materials,
    /// `PRODUCTS`
    Products,
}

/// An artifact rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `MATCH pattern [IN src] WITH MATERIALS|PRODUCTS [IN dst] FROM step`
    Match {
        /// fnmatch pattern.
        pattern: String,
        /// Source path prefix.
        src_prefix: Option<String>,
        /// Destination artifact set.
        with: ArtifactSet,
        /// Destination path prefix.
        dst_prefix: Option<String>,
        /// Destination step (or inspection).
        from: String,
    },
    /// `ALLOW pattern`
    Allow(String),
    /// `DISALLOW pattern`
    Disallow(String),
    /// `REQUIRE filename`
    Require(String),
    /// `CREATE pattern`
    Create(String),
    /// `DELETE pattern`
    Delete(String),
    /// `MODIFY pattern`
    Modify(String),
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Match {
                pattern,
                src_prefix,
                with,
                dst_prefix,
                from,
            } => {
                write!(f, "MATCH {pattern}")?;
                if let Some(p) = src_prefix {
                    write!(f, " IN {p}")?;
                }
                let w = match with {
                    ArtifactSet::Materials => "MATERIALS",
                    ArtifactSet::Products => "PRODUCTS",
                };
                write!(f, " WITH {w}")?;
                if let Some(p) = dst_prefix {
                    write!(f, " IN {p}")?;
                }
                write!(f, " FROM {from}")
            }
            Rule::Allow(p) => write!(f, "ALLOW {p}"),
            Rule::Disallow(p) => write!(f, "DISALLOW {p}"),
            Rule::Require(p) => write!(f, "REQUIRE {p}"),
            Rule::Create(p) => write!(f, "CREATE {p}"),
            Rule::Delete(p) => write!(f, "DELETE {p}"),
            Rule::Modify(p) => write!(f, "MODIFY {p}"),
        }
    }
}

impl Rule {
    /// Parses a rule from its list form, e.g. `["MATCH", "*", "WITH", "PRODUCTS", "FROM", "build"]`
    /// (keywords are case-insensitive, as in in-toto).
    pub fn parse(tokens: &[String]) -> Result<Rule, SignError> {
        let shown = format!("{tokens:?}");
        let bad = |why: &str| SignError::parse(LAYOUT, format!("rule {shown}"), why.to_string());
        let kw = tokens
            .first()
            .map(|t| t.to_ascii_uppercase())
            .unwrap_or_default();
        let single = |ctor: fn(String) -> Rule| -> Result<Rule, SignError> {
            match tokens {
                [_, p] => Ok(ctor(p.clone())),
                _ => Err(bad("exactly 2 elements: [KEYWORD, pattern]")),
            }
        };
        match kw.as_str() {
            "ALLOW" => single(Rule::Allow),
            "DISALLOW" => single(Rule::Disallow),
            "REQUIRE" => single(Rule::Require),
            "CREATE" => single(Rule::Create),
            "DELETE" => single(Rule::Delete),
            "MODIFY" => single(Rule::Modify),
            "MATCH" => {
                let up = |i: usize| tokens.get(i).map(|t| t.to_ascii_uppercase());
                let pattern = tokens
                    .get(1)
                    .cloned()
                    .ok_or_else(|| bad("a pattern after MATCH"))?;
                // An optional `IN <prefix>` at token i; moves i past it.
                let in_prefix = |i: &mut usize| -> Result<Option<String>, SignError> {
                    if up(*i).as_deref() != Some("IN") {
                        return Ok(None);
                    }
                    let prefix = tokens
                        .get(*i + 1)
                        .cloned()
                        .ok_or_else(|| bad("a prefix after IN"))?;
                    *i += 2;
                    Ok(Some(prefix))
                };
                let mut i = 2;
                let src_prefix = in_prefix(&mut i)?;
                if up(i).as_deref() != Some("WITH") {
                    return Err(bad("MATCH <pattern> [IN <prefix>] WITH <MATERIALS|PRODUCTS> [IN <prefix>] FROM <step>"));
                }
                let with = match up(i + 1).as_deref() {
                    Some("MATERIALS") => ArtifactSet::Materials,
                    Some("PRODUCTS") => ArtifactSet::Products,
                    _ => return Err(bad("MATERIALS or PRODUCTS after WITH")),
                };
                i += 2;
                let dst_prefix = in_prefix(&mut i)?;
                if up(i).as_deref() != Some("FROM") {
                    return Err(bad("FROM <step> at the end of a MATCH rule"));
                }
                let from = tokens
                    .get(i + 1)
                    .cloned()
                    .ok_or_else(|| bad("a step name after FROM"))?;
                if tokens.len() != i + 2 {
                    return Err(bad("nothing after FROM <step>"));
                }
                Ok(Rule::Match {
                    pattern,
                    src_prefix,
                    with,
                    dst_prefix,
                    from,
                })
            }
            _ => Err(bad(
                "a rule keyword: MATCH, ALLOW, DISALLOW, REQUIRE, CREATE, DELETE or MODIFY",
            )),
        }
    }
}

enum Tok {
    Star,
    Any,
    Lit(char),
    Class {
        neg: bool,
        ranges: Vec<(char, char)>,
    },
}

fn tokenize(pat: &str) -> Vec<Tok> {
    let c: Vec<char> = pat.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '*' => {
                if !matches!(out.last(), Some(Tok::Star)) {
                    out.push(Tok::Star);
                }
                i += 1;
            }
            '?' => {
                out.push(Tok::Any);
                i += 1;
            }
            '[' => {
                let mut j = i + 1;
                let neg = c.get(j) == Some(&'!');
                if neg {
                    j += 1;
                }
                let body_start = j;
                if c.get(j) == Some(&']') {
                    j += 1;
                }
                while j < c.len() && c[j] != ']' {
                    j += 1;
                }
                if j >= c.len() {
                    out.push(Tok::Lit('['));
                    i += 1;
                    continue;
                }
                let body = &c[body_start..j];
                let mut ranges = Vec::new();
                let mut k = 0;
                while k < body.len() {
                    if k + 2 < body.len() && body[k + 1] == '-' {
                        ranges.push((body[k], body[k + 2]));
                        k += 3;
                    } else {
                        ranges.push((body[k], body[k]));
                        k += 1;
                    }
                }
                out.push(Tok::Class { neg, ranges });
                i = j + 1;
            }
            ch => {
                out.push(Tok::Lit(ch));
                i += 1;
            }
        }
    }
    out
}

fn tok_matches(t: &Tok, ch: char) -> bool {
    match t {
        Tok::Star => true,
        Tok::Any => true,
        Tok::Lit(l) => *l == ch,
        Tok::Class { neg, ranges } => ranges.iter().any(|(a, b)| *a <= ch && ch <= *b) != *neg,
    }
}

/// Python `fnmatch.fnmatchcase` semantics: `*` matches any sequence (including `/`), `?` one
/// character, `[seq]` / `[!seq]` character classes.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let toks = tokenize(pattern);
    let s: Vec<char> = name.chars().collect();
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match toks.get(p) {
            Some(Tok::Star) => {
                star = Some((p, i));
                p += 1;
            }
            Some(t) if tok_matches(t, s[i]) => {
                p += 1;
                i += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    toks[p.min(toks.len())..]
        .iter()
        .all(|t| matches!(t, Tok::Star))
}

// ---------------------------------------------------------------- layout / link model

/// Artifact path → `{algorithm: hex digest}`.
pub type Artifacts = BTreeMap<String, BTreeMap<String, String>>;

/// A layout step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Step name.
    pub name: String,
    /// Number of distinct authorized functionaries whose valid links are required.
    pub threshold: u64,
    /// Key ids of authorized functionaries.
    pub pubkeys: Vec<String>,
    /// Rules on the link's materials.
    pub expected_materials: Vec<Rule>,
    /// Rules on the link's products.
    pub expected_products: Vec<Rule>,
    /// Command the functionary is expected to run (mismatch is only a warning).
    pub expected_command: Vec<String>,
}

/// A layout inspection (a command the verifier would run; otproof never runs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// Inspection name.
    pub name: String,
    /// Rules on the inspection's materials.
    pub expected_materials: Vec<Rule>,
    /// Rules on the inspection's products.
    pub expected_products: Vec<Rule>,
    /// The command in-toto would run.
    pub run: Vec<String>,
}

/// A parsed layout (`signed` part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Expiry, RFC 3339.
    pub expires: String,
    /// Functionary keys by key id.
    pub keys: BTreeMap<String, InTotoKey>,
    /// Steps, in order.
    pub steps: Vec<Step>,
    /// Inspections, in order.
    pub inspect: Vec<Inspection>,
    /// Free text.
    pub readme: String,
}

/// A parsed link (`signed` part).
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Step or inspection name.
    pub name: String,
    /// Artifacts before the step.
    pub materials: Artifacts,
    /// Artifacts after the step.
    pub products: Artifacts,
    /// Command that was run.
    pub command: Vec<String>,
    /// Byproducts (stdout, stderr, return-value), uninterpreted.
    pub byproducts: Value,
}

fn parse_rules(o: &Map<String, Value>, k: &str, path: &str) -> Result<Vec<Rule>, SignError> {
    let p = format!("{path}.{k}");
    let v = match o.get(k) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(v) => v,
    };
    let arr = v.as_array().ok_or_else(|| {
        SignError::parse(LAYOUT, &p, format!("an array of rules, found {}", jtype(v)))
    })?;
    arr.iter()
        .enumerate()
        .map(|(i, r)| {
            let toks = str_list(LAYOUT, r, &format!("{p}[{i}]"))?;
            Rule::parse(&toks).map_err(|e| match e {
                SignError::Parse { expected, .. } => {
                    SignError::parse(LAYOUT, format!("{p}[{i}]"), expected)
                }
                other => other,
            })
        })
        .collect()
}

fn parse_key(v: &Value, path: &str) -> Result<InTotoKey, SignError> {
    let o = as_obj(LAYOUT, v, path)?;
    let keyval = as_obj(
        LAYOUT,
        field(LAYOUT, o, "keyval", path)?,
        &format!("{path}.keyval"),
    )?;
    let keyid_hash_algorithms = match o.get("keyid_hash_algorithms") {
        None | Some(Value::Null) => None,
        Some(v) => Some(str_list(
            LAYOUT,
            v,
            &format!("{path}.keyid_hash_algorithms"),
        )?),
    };
    Ok(InTotoKey {
        keytype: str_field(LAYOUT, o, "keytype", path)?.to_string(),
        scheme: str_field(LAYOUT, o, "scheme", path)?.to_string(),
        keyid_hash_algorithms,
        public: str_field(LAYOUT, keyval, "public", &format!("{path}.keyval"))?.to_string(),
    })
}

impl Layout {
    /// Parses the `signed` part of a layout metablock.
    pub fn from_value(signed: &Value) -> Result<Layout, SignError> {
        let p = "$.signed";
        let o = as_obj(LAYOUT, signed, p)?;
        let t = str_field(LAYOUT, o, "_type", p)?;
        if t != "layout" {
            return Err(SignError::parse(
                LAYOUT,
                "$.signed._type",
                format!("\"layout\", found {t:?}"),
            ));
        }
        let expires = str_field(LAYOUT, o, "expires", p)?.to_string();
        let readme = match o.get("readme") {
            None | Some(Value::Null) => String::new(),
            Some(v) => str_of(LAYOUT, v, "$.signed.readme")?.to_string(),
        };
        let mut keys = BTreeMap::new();
        if let Some(kv) = o.get("keys") {
            for (kid, k) in as_obj(LAYOUT, kv, "$.signed.keys")? {
                keys.insert(kid.clone(), parse_key(k, &format!("$.signed.keys.{kid}"))?);
            }
        }
        let mut steps = Vec::new();
        let mut names = BTreeSet::new();
        if let Some(sv) = o.get("steps") {
            let arr = sv
                .as_array()
                .ok_or_else(|| SignError::parse(LAYOUT, "$.signed.steps", "an array"))?;
            for (i, s) in arr.iter().enumerate() {
                let sp = format!("$.signed.steps[{i}]");
                let so = as_obj(LAYOUT, s, &sp)?;
                let name = str_field(LAYOUT, so, "name", &sp)?.to_string();
                let threshold = match so.get("threshold") {
                    None => 1,
                    Some(v) => v.as_u64().ok_or_else(|| {
                        SignError::parse(
                            LAYOUT,
                            format!("{sp}.threshold"),
                            "a non-negative integer",
                        )
                    })?,
                };
                if !names.insert(name.clone()) {
                    return Err(SignError::parse(
                        LAYOUT,
                        format!("{sp}.name"),
                        format!("a unique step/inspection name, {name:?} is repeated"),
                    ));
                }
                steps.push(Step {
                    threshold,
                    pubkeys: opt_str_list(LAYOUT, so, "pubkeys", &sp)?,
                    expected_materials: parse_rules(so, "expected_materials", &sp)?,
                    expected_products: parse_rules(so, "expected_products", &sp)?,
                    expected_command: opt_str_list(LAYOUT, so, "expected_command", &sp)?,
                    name,
                });
            }
        }
        let mut inspect = Vec::new();
        if let Some(iv) = o.get("inspect") {
            let arr = iv
                .as_array()
                .ok_or_else(|| SignError::parse(LAYOUT, "$.signed.inspect", "an array"))?;
            for (i, s) in arr.iter().enumerate() {
                let ip = format!("$.signed.inspect[{i}]");
                let so = as_obj(LAYOUT, s, &ip)?;
                let name = str_field(LAYOUT, so, "name", &ip)?.to_string();
                if !names.insert(name.clone()) {
                    return Err(SignError::parse(
                        LAYOUT,
                        format!("{ip}.name"),
                        format!("a unique step/inspection name, {name:?} is repeated"),
                    ));
                }
                inspect.push(Inspection {
                    expected_materials: parse_rules(so, "expected_materials", &ip)?,
                    expected_products: parse_rules(so, "expected_products", &ip)?,
                    run: opt_str_list(LAYOUT, so, "run", &ip)?,
                    name,
                });
            }
        }
        Ok(Layout {
            expires,
            keys,
            steps,
            inspect,
            readme,
        })
    }
}

fn parse_artifacts(o: &Map<String, Value>, k: &str) -> Result<Artifacts, SignError> {
    let p = format!("$.signed.{k}");
    let v = field(LINK, o, k, "$.signed")?;
    let m = as_obj(LINK, v, &p)?;
    let mut out = BTreeMap::new();
    for (path, hashes) in m {
        let hp = format!("{p}[{path:?}]");
        let hm = as_obj(LINK, hashes, &hp)?;
        let mut h = BTreeMap::new();
        for (alg, d) in hm {
            h.insert(
                alg.clone(),
                str_of(LINK, d, &format!("{hp}.{alg}"))?.to_string(),
            );
        }
        out.insert(path.clone(), h);
    }
    Ok(out)
}

impl Link {
    /// Parses the `signed` part of a link metablock.
    pub fn from_value(signed: &Value) -> Result<Link, SignError> {
        let p = "$.signed";
        let o = as_obj(LINK, signed, p)?;
        let t = str_field(LINK, o, "_type", p)?;
        if t != "link" {
            return Err(SignError::parse(
                LINK,
                "$.signed._type",
                format!("\"link\", found {t:?}"),
            ));
        }
        Ok(Link {
            name: str_field(LINK, o, "name", p)?.to_string(),
            materials: parse_artifacts(o, "materials")?,
            products: parse_artifacts(o, "products")?,
            command: opt_str_list(LINK, o, "command", p)?,
            byproducts: o.get("byproducts").cloned().unwrap_or(Value::Null),
        })
    }
}

// ---------------------------------------------------------------- rule engine

struct Item<'a> {
    kind: &'static str,
    name: &'a str,
    materials: &'a [Rule],
    products: &'a [Rule],
}

fn apply_rules(
    item: &Item<'_>,
    link: &Link,
    links: &BTreeMap<String, Link>,
) -> Result<usize, SignError> {
    let mats: BTreeSet<&String> = link.materials.keys().collect();
    let prods: BTreeSet<&String> = link.products.keys().collect();
    let created: BTreeSet<&String> = prods.difference(&mats).copied().collect();
    let deleted: BTreeSet<&String> = mats.difference(&prods).copied().collect();
    let modified: BTreeSet<&String> = mats
        .intersection(&prods)
        .copied()
        .filter(|p| link.materials.get(*p) != link.products.get(*p))
        .collect();
    let mut count = 0;
    for (side, rules, artifacts) in [
        ("materials", item.materials, &link.materials),
        ("products", item.products, &link.products),
    ] {
        let mut queue: BTreeSet<&String> = artifacts.keys().collect();
        for rule in rules {
            count += 1;
            let err = |detail: String| SignError::Rule {
                rule: rule.to_string(),
                item: format!("{} {:?}", item.kind, item.name),
                side,
                detail,
            };
            let filtered = |pat: &str| -> BTreeSet<&String> {
                queue.iter().copied().filter(|a| fnmatch(pat, a)).collect()
            };
            let consumed: BTreeSet<&String> = match rule {
                Rule::Allow(p) => filtered(p),
                Rule::Disallow(p) => {
                    let hit = filtered(p);
                    if !hit.is_empty() {
                        let list: Vec<&str> = hit.iter().map(|s| s.as_str()).collect();
                        return Err(err(format!(
                            "artifact(s) {} not consumed by an earlier rule are disallowed",
                            list.join(", ")
                        )));
                    }
                    BTreeSet::new()
                }
                Rule::Require(p) => {
                    if !queue.iter().any(|a| a.as_str() == p) {
                        return Err(err(format!(
                            "required artifact {p:?} is not among the remaining {side}"
                        )));
                    }
                    BTreeSet::new()
                }
                Rule::Create(p) => filtered(p).intersection(&created).copied().collect(),
                Rule::Delete(p) => filtered(p).intersection(&deleted).copied().collect(),
                Rule::Modify(p) => filtered(p).intersection(&modified).copied().collect(),
                Rule::Match {
                    pattern,
                    src_prefix,
                    with,
                    dst_prefix,
                    from,
                } => {
                    let Some(dst_link) = links.get(from) else {
                        // in-toto: a MATCH against a step without link consumes nothing.
                        continue;
                    };
                    let dst = match with {
                        ArtifactSet::Materials => &dst_link.materials,
                        ArtifactSet::Products => &dst_link.products,
                    };
                    let sp = src_prefix.as_deref().map(dir_prefix).unwrap_or_default();
                    let dp = dst_prefix.as_deref().map(dir_prefix).unwrap_or_default();
                    let mut c = BTreeSet::new();
                    for a in queue.iter().copied() {
                        let Some(rel) = a.strip_prefix(sp.as_str()) else {
                            continue;
                        };
                        if !fnmatch(pattern, rel) {
                            continue;
                        }
                        let dst_path = format!("{dp}{rel}");
                        if let (Some(src_h), Some(dst_h)) = (artifacts.get(a), dst.get(&dst_path)) {
                            if src_h == dst_h {
                                c.insert(a);
                            }
                        }
                    }
                    c
                }
            };
            queue = queue.difference(&consumed).copied().collect();
        }
    }
    Ok(count)
}

fn dir_prefix(p: &str) -> String {
    if p.is_empty() || p.ends_with('/') {
        p.to_string()
    } else {
        format!("{p}/")
    }
}

// ---------------------------------------------------------------- verification

/// Options of [`verify_layout`].
#[derive(Debug, Clone, Copy)]
pub struct LayoutVerifyOptions<'a> {
    /// Verification time (RFC 3339); the layout must not have expired before it.
    pub now: &'a str,
    /// If false (strict), an inspection without a pre-recorded `<name>.link` fails verification.
    /// If true, it is skipped and listed in [`LayoutReport::not_checked`]; the report is then
    /// not complete ([`LayoutReport::is_complete`] is false).
    pub allow_unrun_inspections: bool,
}

/// How an inspection was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectionStatus {
    /// A pre-recorded (unsigned) `<name>.link` was supplied and its artifact rules passed.
    /// otproof did not run the command and cannot vouch for how the link was produced.
    RecordedLink,
    /// Not run and no recorded link: its artifact rules were not checked.
    NotRun,
}

/// Per-step result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// Step name.
    pub name: String,
    /// Required number of functionaries.
    pub threshold: u64,
    /// Key ids of functionaries with a valid link.
    pub functionaries: Vec<String>,
    /// Number of artifact rules evaluated.
    pub rules_checked: usize,
}

/// Per-inspection result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionReport {
    /// Inspection name.
    pub name: String,
    /// The command the layout specifies (never executed by otproof).
    pub run: Vec<String>,
    /// What was done.
    pub status: InspectionStatus,
    /// Number of artifact rules evaluated.
    pub rules_checked: usize,
}

/// What [`verify_layout`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutReport {
    /// Owner key ids whose layout signatures verified.
    pub owner_key_ids: Vec<String>,
    /// Layout expiry.
    pub expires: String,
    /// Steps.
    pub steps: Vec<StepReport>,
    /// Inspections.
    pub inspections: Vec<InspectionReport>,
    /// Non-fatal findings (e.g. command mismatches, which in-toto only warns about).
    pub warnings: Vec<String>,
    /// Human-readable list of checks that passed.
    pub checked: Vec<String>,
    /// Human-readable list of checks that were not performed.
    pub not_checked: Vec<String>,
}

impl LayoutReport {
    /// True when every check of the layout was performed (nothing in `not_checked`).
    pub fn is_complete(&self) -> bool {
        self.not_checked.is_empty()
    }
}

/// Reads every regular `*.link` file (at most [`MAX_LINK_FILE`] bytes each) directly inside
/// `dir` into a file-name → bytes map for [`verify_layout`]. Subdirectories are not read.
pub fn read_links_dir(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, SignError> {
    let io = |p: &Path, e: std::io::Error| SignError::Io {
        path: p.to_path_buf(),
        reason: e.to_string(),
    };
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !name.ends_with(".link") {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).map_err(|e| io(&path, e))?;
        if !meta.is_file() {
            continue;
        }
        if meta.len() > MAX_LINK_FILE {
            return Err(SignError::Io {
                path,
                reason: format!("link file larger than {MAX_LINK_FILE} bytes"),
            });
        }
        out.insert(name, std::fs::read(&path).map_err(|e| io(&path, e))?);
    }
    Ok(out)
}

/// Verifies an in-toto v0.9 layout and its links.
///
/// * `layout`: the layout metablock; every key in `owner_keys` must have a valid signature on it.
/// * `links`: link file name → contents (see [`read_links_dir`]); step links are looked up as
///   `<step>.<first 8 hex of keyid>.link`, pre-recorded inspection links as `<inspection>.link`.
///
/// Returns only if every performed check passed; see [`LayoutVerifyOptions`] for inspections.
pub fn verify_layout(
    layout: &Metablock,
    owner_keys: &[InTotoKey],
    links: &BTreeMap<String, Vec<u8>>,
    opts: &LayoutVerifyOptions<'_>,
) -> Result<LayoutReport, SignError> {
    let mut checked = Vec::new();
    let mut not_checked = Vec::new();
    let mut warnings = Vec::new();

    // 1. metadata type and owner signatures
    if layout.metadata_type() != Some("layout") {
        return Err(SignError::Layout(format!(
            "metadata _type is {:?}, expected \"layout\"",
            layout.metadata_type().unwrap_or("<missing>")
        )));
    }
    if owner_keys.is_empty() {
        return Err(SignError::Signature("no layout owner keys given".into()));
    }
    let mut owner_key_ids = Vec::new();
    for k in owner_keys {
        let ids = k.keyid_candidates();
        layout.verify_by(k, &ids).map_err(|e| {
            SignError::Signature(format!(
                "layout is not signed by owner key {}: {}",
                ids.join(" / "),
                e.to_string().trim_start_matches("signature: ")
            ))
        })?;
        owner_key_ids.push(k.keyid());
    }
    checked.push(format!(
        "layout signature by {} owner key(s)",
        owner_keys.len()
    ));

    // 2. parse and expiry
    let lay = Layout::from_value(&layout.signed)?;
    let exp = crate::time::parse_rfc3339(&lay.expires)?;
    let now = crate::time::parse_rfc3339(opts.now)?;
    if exp < now {
        return Err(SignError::Expired {
            expires: lay.expires.clone(),
            now: opts.now.to_string(),
        });
    }
    checked.push(format!(
        "layout not expired at {} (expires {})",
        opts.now, lay.expires
    ));

    // 3. step links: signatures, thresholds, agreement
    let mut reduced: BTreeMap<String, Link> = BTreeMap::new();
    let mut step_reports = Vec::new();
    for step in &lay.steps {
        if step.threshold < 1 {
            return Err(SignError::Layout(format!(
                "step {:?} has threshold 0; in-toto requires >= 1",
                step.name
            )));
        }
        let mut valid: Vec<(String, Link)> = Vec::new();
        let mut rejected: Vec<String> = Vec::new();
        let mut seen = BTreeSet::new();
        for kid in &step.pubkeys {
            if !seen.insert(kid.clone()) {
                continue;
            }
            let short: String = kid.chars().take(8).collect();
            let fname = format!("{}.{short}.link", step.name);
            let Some(bytes) = links.get(&fname) else {
                rejected.push(format!("{fname}: missing"));
                continue;
            };
            let res = (|| -> Result<Link, SignError> {
                let mb = Metablock::from_json(bytes)?;
                if mb.metadata_type() == Some("layout") {
                    return Err(SignError::Layout("sublayouts are not supported".into()));
                }
                let key = lay.keys.get(kid).ok_or_else(|| {
                    SignError::Layout(format!("authorized key {kid} is not in the layout's keys"))
                })?;
                mb.verify_by(key, std::slice::from_ref(kid))?;
                let link = Link::from_value(&mb.signed)?;
                if link.name != step.name {
                    return Err(SignError::Layout(format!(
                        "link name {:?} does not match step name {:?}",
                        link.name, step.name
                    )));
                }
                Ok(link)
            })();
            match res {
                Ok(link) => valid.push((kid.clone(), link)),
                Err(e) => rejected.push(format!("{fname}: {e}")),
            }
        }
        if (valid.len() as u64) < step.threshold {
            return Err(SignError::Threshold {
                step: step.name.clone(),
                required: step.threshold,
                found: valid.len() as u64,
                detail: if rejected.is_empty() {
                    String::new()
                } else {
                    format!("; {}", rejected.join("; "))
                },
            });
        }
        let Some((_, first)) = valid.first() else {
            return Err(SignError::Threshold {
                step: step.name.clone(),
                required: step.threshold,
                found: 0,
                detail: String::new(),
            });
        };
        for (kid, l) in &valid[1..] {
            if l.materials != first.materials || l.products != first.products {
                return Err(SignError::Threshold {
                    step: step.name.clone(),
                    required: step.threshold,
                    found: valid.len() as u64,
                    detail: format!(
                        "; links of the step disagree on materials/products (functionary {kid})"
                    ),
                });
            }
        }
        for (kid, l) in &valid {
            if l.command != step.expected_command {
                warnings.push(format!(
                    "step {:?}: functionary {kid} ran {:?}, layout expects {:?}",
                    step.name, l.command, step.expected_command
                ));
            }
        }
        checked.push(format!(
            "step {:?}: {} valid link(s) from authorized functionaries (threshold {})",
            step.name,
            valid.len(),
            step.threshold
        ));
        step_reports.push(StepReport {
            name: step.name.clone(),
            threshold: step.threshold,
            functionaries: valid.iter().map(|(k, _)| k.clone()).collect(),
            rules_checked: 0,
        });
        reduced.insert(step.name.clone(), first.clone());
    }

    // 4. step artifact rules
    for (step, rep) in lay.steps.iter().zip(step_reports.iter_mut()) {
        let Some(link) = reduced.get(&step.name) else {
            continue;
        };
        let item = Item {
            kind: "step",
            name: &step.name,
            materials: &step.expected_materials,
            products: &step.expected_products,
        };
        rep.rules_checked = apply_rules(&item, link, &reduced)?;
        checked.push(format!(
            "step {:?}: {} artifact rule(s) passed",
            step.name, rep.rules_checked
        ));
    }

    // 5. inspections: recorded links only, never executed
    let mut insp_reports = Vec::new();
    for insp in &lay.inspect {
        let fname = format!("{}.link", insp.name);
        match links.get(&fname) {
            Some(bytes) => {
                let mb = Metablock::from_json(bytes)?;
                let link = Link::from_value(&mb.signed)?;
                if link.name != insp.name {
                    return Err(SignError::Layout(format!(
                        "recorded inspection link {fname} has name {:?}, expected {:?}",
                        link.name, insp.name
                    )));
                }
                reduced.insert(insp.name.clone(), link);
                insp_reports.push(InspectionReport {
                    name: insp.name.clone(),
                    run: insp.run.clone(),
                    status: InspectionStatus::RecordedLink,
                    rules_checked: 0,
                });
            }
            None => {
                if !opts.allow_unrun_inspections {
                    return Err(SignError::InspectionNotRun {
                        name: insp.name.clone(),
                        run: insp.run.clone(),
                    });
                }
                not_checked.push(format!(
                    "inspection {:?} not run (otproof does not execute layout commands; command {:?}): its {} material rule(s) and {} product rule(s) were not checked",
                    insp.name,
                    insp.run,
                    insp.expected_materials.len(),
                    insp.expected_products.len()
                ));
                insp_reports.push(InspectionReport {
                    name: insp.name.clone(),
                    run: insp.run.clone(),
                    status: InspectionStatus::NotRun,
                    rules_checked: 0,
                });
            }
        }
    }
    for (insp, rep) in lay.inspect.iter().zip(insp_reports.iter_mut()) {
        if rep.status != InspectionStatus::RecordedLink {
            continue;
        }
        let Some(link) = reduced.get(&insp.name) else {
            continue;
        };
        let item = Item {
            kind: "inspection",
            name: &insp.name,
            materials: &insp.expected_materials,
            products: &insp.expected_products,
        };
        rep.rules_checked = apply_rules(&item, link, &reduced)?;
        checked.push(format!(
            "inspection {:?}: {} artifact rule(s) passed against the pre-recorded, unsigned {}.link (command not executed by otproof)",
            insp.name, rep.rules_checked, insp.name
        ));
    }

    Ok(LayoutReport {
        owner_key_ids,
        expires: lay.expires,
        steps: step_reports,
        inspections: insp_reports,
        warnings,
        checked,
        not_checked,
    })
}
