//! Shared helpers: the document builder (bom-ref generation, duplicate and dangling
//! reference checks), hash and licence normalisation, JSON path tracking.

use crate::{Component, Dependency, Document, Format, Hash, Problem, Purl, SbomError};
use otproof_text::quote;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Where something was written, rendered only when a problem is reported (keeps the
/// hot path free of string formatting).
pub(crate) enum Loc {
    Text(String),
    /// `{0}[{1}]`
    Idx(&'static str, usize),
    /// `{0}[{1}].{2}[{3}]`
    Idx2(&'static str, usize, &'static str, usize),
    /// `{0}[{1}] (byte {2})`
    IdxAt(&'static str, usize, u64),
    /// `{0}[{1}]/{2}[{3}] (byte {4})`
    Idx2At(&'static str, usize, &'static str, usize, u64),
}

impl Loc {
    pub fn render(&self) -> String {
        match self {
            Loc::Text(s) => s.clone(),
            Loc::Idx(a, i) => format!("{a}[{i}]"),
            Loc::Idx2(a, i, b, j) => format!("{a}[{i}].{b}[{j}]"),
            Loc::IdxAt(a, i, o) => format!("{a}[{i}] (byte {o})"),
            Loc::Idx2At(a, i, b, j, o) => format!("{a}[{i}]/{b}[{j}] (byte {o})"),
        }
    }
}

impl From<String> for Loc {
    fn from(s: String) -> Self {
        Loc::Text(s)
    }
}

pub(crate) fn json_syntax(e: serde_json::Error) -> SbomError {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full.get(..i).unwrap_or(&full).to_string(),
        None => full,
    };
    SbomError::JsonSyntax {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Accumulates a [`Document`] and remembers where each component and edge came from,
/// so that the final checks can point at the input.
pub(crate) struct Builder {
    pub doc: Document,
    comp_locs: Vec<Loc>,
    subject_loc: Loc,
    dep_locs: Vec<Loc>,
}

impl Builder {
    pub fn new(format: Format, spec_version: String) -> Self {
        Builder {
            doc: Document {
                format,
                spec_version,
                serial: None,
                name: None,
                created: None,
                authors: Vec::new(),
                tools: Vec::new(),
                subject: None,
                components: Vec::new(),
                dependencies: Vec::new(),
                problems: Vec::new(),
            },
            comp_locs: Vec::new(),
            subject_loc: Loc::Text(String::new()),
            dep_locs: Vec::new(),
        }
    }

    pub fn problem(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.doc.problems.push(Problem::new(location, message));
    }

    /// Adds a component; returns its (possibly generated) bom_ref.
    pub fn push_component(&mut self, mut c: Component, loc: impl Into<Loc>) -> String {
        let loc = loc.into();
        let index = self.doc.components.len();
        if c.bom_ref.is_empty() {
            c.bom_ref = format!("otproof:component/{index}");
        }
        if c.name.is_empty() {
            self.problem(loc.render(), "component has no name");
        }
        let r = c.bom_ref.clone();
        self.doc.components.push(c);
        self.comp_locs.push(loc);
        r
    }

    /// Sets the subject; returns its (possibly generated) bom_ref.
    pub fn set_subject(&mut self, mut c: Component, loc: impl Into<Loc>) -> String {
        let loc = loc.into();
        if c.bom_ref.is_empty() {
            c.bom_ref = "otproof:component/subject".to_string();
        }
        let r = c.bom_ref.clone();
        if matches!(
            self.doc.format,
            Format::CycloneDxJson | Format::CycloneDxXml
        ) && self.doc.name.is_none()
            && !c.name.trim().is_empty()
        {
            self.doc.name = Some(c.name.clone());
        }
        self.doc.subject = Some(c);
        self.subject_loc = loc;
        r
    }

    /// Adds an edge; duplicates are removed in [`Builder::finish`].
    pub fn add_edge(&mut self, from: &str, to: &str, loc: impl Into<Loc>) {
        self.doc.dependencies.push(Dependency {
            from: from.to_string(),
            to: to.to_string(),
        });
        self.dep_locs.push(loc.into());
    }

    /// Parses a purl into the component, recording a problem when it is malformed.
    pub fn apply_purl(&mut self, c: &mut Component, raw: &str, loc: impl FnOnce() -> String) {
        c.purl_raw = Some(raw.to_string());
        match Purl::parse(raw) {
            Ok(p) => c.purl = Some(p),
            Err(e) => {
                c.purl = None;
                self.problem(loc(), format!("malformed purl '{}': {e}", quote(raw)));
            }
        }
    }

    /// Normalises a hash, recording problems for unknown algorithms or non-hex values.
    pub fn hash(&mut self, alg: &str, value: &str, loc: impl Fn() -> String) -> Hash {
        let alg_n = match normalize_alg(alg) {
            Some(a) => a.to_string(),
            None => {
                self.problem(loc(), format!("unknown hash algorithm '{}'", quote(alg)));
                alg.trim().to_string()
            }
        };
        let value_n = value.trim().to_ascii_lowercase();
        // Branch-free (vectorisable) check; `value_n` has no ASCII upper case left.
        let hex = value_n.bytes().fold(true, |ok, b| {
            ok & ((b.wrapping_sub(b'0') < 10) | (b.wrapping_sub(b'a') < 6))
        });
        if value_n.is_empty() || !hex {
            self.problem(loc(), format!("{alg_n} hash value is not hexadecimal"));
        }
        Hash {
            alg: alg_n,
            value: value_n,
        }
    }

    /// Final checks: duplicate bom-refs and dangling dependency references.
    pub fn finish(mut self) -> Document {
        // De-duplicate edges, keeping the first occurrence, in O(n log n).
        let mut order: Vec<usize> = (0..self.doc.dependencies.len()).collect();
        let deps = &self.doc.dependencies;
        order.sort_by(|&a, &b| match (deps.get(a), deps.get(b)) {
            (Some(x), Some(y)) => (&x.from, &x.to, a).cmp(&(&y.from, &y.to, b)),
            _ => a.cmp(&b),
        });
        let mut keep = vec![true; deps.len()];
        for w in order.windows(2) {
            if let [a, b] = *w {
                if deps.get(a) == deps.get(b) {
                    if let Some(k) = keep.get_mut(b) {
                        *k = false;
                    }
                }
            }
        }
        if keep.iter().any(|k| !k) {
            let mut it = keep.iter();
            self.doc
                .dependencies
                .retain(|_| it.next().copied().unwrap_or(true));
            let mut it = keep.iter();
            self.dep_locs.retain(|_| it.next().copied().unwrap_or(true));
        }

        let mut first: HashMap<&str, usize> = HashMap::with_capacity(self.doc.components.len() + 1);
        let mut problems = Vec::new();
        if let Some(s) = &self.doc.subject {
            first.insert(s.bom_ref.as_str(), usize::MAX);
        }
        for (i, c) in self.doc.components.iter().enumerate() {
            if let Some(&prev) = first.get(c.bom_ref.as_str()) {
                let loc = self.comp_locs.get(i).map(Loc::render).unwrap_or_default();
                let prev_loc = if prev == usize::MAX {
                    self.subject_loc.render()
                } else {
                    self.comp_locs
                        .get(prev)
                        .map(Loc::render)
                        .unwrap_or_default()
                };
                problems.push(Problem::new(
                    loc,
                    format!(
                        "duplicate bom-ref '{}' (first at {prev_loc})",
                        quote(&c.bom_ref)
                    ),
                ));
            } else {
                first.insert(c.bom_ref.as_str(), i);
            }
        }
        for (i, d) in self.doc.dependencies.iter().enumerate() {
            for r in [&d.from, &d.to] {
                if !first.contains_key(r.as_str()) {
                    problems.push(Problem::new(
                        self.dep_locs.get(i).map(Loc::render).unwrap_or_default(),
                        format!("dependency refers to unknown bom-ref '{}'", quote(r)),
                    ));
                }
            }
        }
        self.doc.problems.extend(problems);
        self.doc
    }
}

/// Maps the spellings used by CycloneDX and SPDX to one name per algorithm.
pub(crate) fn normalize_alg(raw: &str) -> Option<&'static str> {
    // Fast path for the spellings CycloneDX mandates.
    if let Some(a) = [
        "SHA-256", "SHA-1", "SHA-512", "MD5", "SHA-384", "SHA3-256", "SHA3-384", "SHA3-512",
    ]
    .into_iter()
    .find(|a| *a == raw)
    {
        return Some(a);
    }
    let key: String = raw
        .trim()
        .chars()
        .filter(|c| *c != '-' && *c != '_' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Some(match key.as_str() {
        "MD2" => "MD2",
        "MD4" => "MD4",
        "MD5" => "MD5",
        "MD6" => "MD6",
        "SHA1" => "SHA-1",
        "SHA224" => "SHA-224",
        "SHA256" => "SHA-256",
        "SHA384" => "SHA-384",
        "SHA512" => "SHA-512",
        "SHA3224" => "SHA3-224",
        "SHA3256" => "SHA3-256",
        "SHA3384" => "SHA3-384",
        "SHA3512" => "SHA3-512",
        "BLAKE2B256" => "BLAKE2b-256",
        "BLAKE2B384" => "BLAKE2b-384",
        "BLAKE2B512" => "BLAKE2b-512",
        "BLAKE3" => "BLAKE3",
        "ADLER32" => "ADLER32",
        "STREEBOG256" => "Streebog-256",
        "STREEBOG512" => "Streebog-512",
        _ => return None,
    })
}

/// Adds a licence string (whitespace runs collapsed to one space) unless empty,
/// NOASSERTION/NONE or already present.
pub(crate) fn push_license(list: &mut Vec<String>, s: &str) {
    let t = s.trim();
    let s = if t.contains(|c: char| c.is_whitespace() && c != ' ') || t.contains("  ") {
        t.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        t.to_string()
    };
    if s.is_empty() || s == "NOASSERTION" || s == "NONE" || list.contains(&s) {
        return;
    }
    list.push(s);
}

// ---------------------------------------------------------------------------
// JSON path tracking: a linked list on the stack, rendered only on error.

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

#[derive(Clone, Copy)]
pub(crate) struct JPath<'a> {
    parent: Option<&'a JPath<'a>>,
    seg: Option<Seg<'a>>,
}

impl<'a> JPath<'a> {
    pub const ROOT: JPath<'static> = JPath {
        parent: None,
        seg: None,
    };

    pub fn key(&'a self, k: &'a str) -> JPath<'a> {
        JPath {
            parent: Some(self),
            seg: Some(Seg::Key(k)),
        }
    }

    pub fn index(&'a self, i: usize) -> JPath<'a> {
        JPath {
            parent: Some(self),
            seg: Some(Seg::Index(i)),
        }
    }

    /// A cheap [`Loc`] for the common shapes (`components[i]`,
    /// `dependencies[i].dependsOn[j]`), otherwise the rendered path.
    pub fn loc(&self) -> Loc {
        let mut segs: [Option<Seg<'_>>; 5] = [None; 5];
        let mut n = 0;
        let mut cur = Some(self);
        while let Some(p) = cur {
            if let Some(s) = p.seg {
                match segs.get_mut(n) {
                    Some(slot) => *slot = Some(s),
                    None => return Loc::Text(self.render()),
                }
                n += 1;
            }
            cur = p.parent;
        }
        match segs {
            [Some(Seg::Index(i)), Some(Seg::Key("components")), None, ..] => {
                Loc::Idx("components", i)
            }
            [Some(Seg::Index(j)), Some(Seg::Key("dependsOn")), Some(Seg::Index(i)), Some(Seg::Key("dependencies")), None] => {
                Loc::Idx2("dependencies", i, "dependsOn", j)
            }
            _ => Loc::Text(self.render()),
        }
    }

    pub fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            if let Some(s) = p.seg {
                segs.push(s);
            }
            cur = p.parent;
        }
        let mut out = String::new();
        for s in segs.iter().rev() {
            match s {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        if out.is_empty() {
            out.push_str("(document root)");
        }
        out
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn type_err(path: &JPath<'_>, expected: &str, v: &Value) -> SbomError {
    SbomError::Invalid {
        location: path.render(),
        message: format!("expected {expected}, found {}", kind_of(v)),
    }
}

pub(crate) fn as_obj<'v>(v: &'v Value, p: &JPath<'_>) -> Result<&'v Map<String, Value>, SbomError> {
    v.as_object().ok_or_else(|| type_err(p, "an object", v))
}

pub(crate) fn as_str<'v>(v: &'v Value, p: &JPath<'_>) -> Result<&'v str, SbomError> {
    v.as_str().ok_or_else(|| type_err(p, "a string", v))
}

/// A string member; absent or null gives None, any other type is an error.
pub(crate) fn opt_str<'v>(
    o: &'v Map<String, Value>,
    key: &str,
    p: &JPath<'_>,
) -> Result<Option<&'v str>, SbomError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(v) => Err(type_err(&p.key(key), "a string", v)),
    }
}

/// An array member; absent or null gives an empty slice.
pub(crate) fn opt_arr<'v>(
    o: &'v Map<String, Value>,
    key: &str,
    p: &JPath<'_>,
) -> Result<&'v [Value], SbomError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a.as_slice()),
        Some(v) => Err(type_err(&p.key(key), "an array", v)),
    }
}

/// An object member; absent or null gives None.
pub(crate) fn opt_obj<'v>(
    o: &'v Map<String, Value>,
    key: &str,
    p: &JPath<'_>,
) -> Result<Option<&'v Map<String, Value>>, SbomError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(v) => Err(type_err(&p.key(key), "an object", v)),
    }
}

/// Non-empty trimmed string or None.
pub(crate) fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
