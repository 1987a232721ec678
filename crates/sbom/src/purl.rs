//! Package URL (purl) parsing and canonical printing, following the purl specification's
//! parse/build algorithm.
//!
//! Normalisation: the type and qualifier keys are lower-cased; qualifiers are sorted by
//! key and empty qualifier values dropped; empty, `.` and `..` subpath segments are
//! dropped; empty namespace segments are dropped. No type-specific rules (such as
//! lower-casing PyPI names) are applied, so names and versions stay as written.
//! Display percent-encodes every byte except `A-Z a-z 0-9 - . _ ~ :`, so
//! `Purl::parse(&p.to_string()) == Ok(p)` for every valid `p`.

use serde::Serialize;
use std::fmt;

/// A decoded package URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Purl {
    pub ty: String,
    /// Decoded namespace segments joined with '/'.
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    /// Sorted by key; keys lower-case; values decoded and non-empty.
    pub qualifiers: Vec<(String, String)>,
    /// Decoded subpath segments joined with '/'.
    pub subpath: Option<String>,
}

/// Why a purl is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum PurlError {
    #[error("expected the scheme 'pkg:'")]
    MissingScheme,
    #[error("missing package type")]
    MissingType,
    #[error("invalid package type '{0}' (expected a letter followed by letters, digits, '.', '+' or '-')")]
    InvalidType(String),
    #[error("missing package name")]
    MissingName,
    #[error("invalid percent-encoding in the {0}")]
    BadEncoding(&'static str),
    #[error("invalid qualifier key '{0}'")]
    InvalidQualifierKey(String),
    #[error("qualifier '{0}' has no '='")]
    QualifierWithoutValue(String),
    #[error("duplicate qualifier key '{0}'")]
    DuplicateQualifier(String),
}

fn decode(s: &str, what: &'static str) -> Result<String, PurlError> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(PurlError::BadEncoding(what))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::BadEncoding(what))
}

fn encode_into(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push_str(&format!("{b:02X}"));
        }
    }
}

fn valid_type(t: &str) -> bool {
    let mut chars = t.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '.' || c == '-' || c == '+')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
}

fn valid_key(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || matches!(c, '.' | '-' | '_'))
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl Purl {
    /// Parses a purl string.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let (scheme, rest) = s.split_once(':').ok_or(PurlError::MissingScheme)?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(PurlError::MissingScheme);
        }
        let mut rest = rest.trim_start_matches('/');

        let mut subpath = None;
        if let Some((r, sp)) = rest.rsplit_once('#') {
            rest = r;
            let mut segs = Vec::new();
            for seg in sp.split('/') {
                if seg.is_empty() {
                    continue;
                }
                let d = decode(seg, "subpath")?;
                if d == "." || d == ".." {
                    continue;
                }
                segs.push(d);
            }
            if !segs.is_empty() {
                subpath = Some(segs.join("/"));
            }
        }

        let mut qualifiers: Vec<(String, String)> = Vec::new();
        if let Some((r, q)) = rest.rsplit_once('?') {
            rest = r;
            for pair in q.split('&') {
                if pair.is_empty() {
                    continue;
                }
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| PurlError::QualifierWithoutValue(pair.to_string()))?;
                let k = k.to_ascii_lowercase();
                if !valid_key(&k) {
                    return Err(PurlError::InvalidQualifierKey(k));
                }
                let v = decode(v, "qualifiers")?;
                if v.is_empty() {
                    continue;
                }
                if qualifiers.iter().any(|(ek, _)| *ek == k) {
                    return Err(PurlError::DuplicateQualifier(k));
                }
                qualifiers.push((k, v));
            }
            qualifiers.sort();
        }

        let rest = rest.trim_matches('/');
        let (ty, rest) = rest.split_once('/').unwrap_or((rest, ""));
        if ty.is_empty() {
            return Err(PurlError::MissingType);
        }
        let ty = ty.to_ascii_lowercase();
        if !valid_type(&ty) {
            return Err(PurlError::InvalidType(ty));
        }
        let mut rest = rest.trim_matches('/');

        let mut version = None;
        if let Some(at) = rest.rfind('@') {
            if rest.rfind('/').is_none_or(|slash| at > slash) {
                let v = decode(rest.get(at + 1..).unwrap_or(""), "version")?;
                if !v.is_empty() {
                    version = Some(v);
                }
                rest = rest.get(..at).unwrap_or("");
            }
        }

        let (ns, name) = match rest.rsplit_once('/') {
            Some((ns, name)) => (ns, name),
            None => ("", rest),
        };
        let name = decode(name, "name")?;
        if name.is_empty() {
            return Err(PurlError::MissingName);
        }
        let mut segs = Vec::new();
        for seg in ns.split('/') {
            if !seg.is_empty() {
                segs.push(decode(seg, "namespace")?);
            }
        }
        let namespace = if segs.is_empty() {
            None
        } else {
            Some(segs.join("/"))
        };
        Ok(Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// `pkg:type/namespace/name` — without version, qualifiers or subpath.
    pub fn base(&self) -> String {
        let mut out = String::from("pkg:");
        self.write_base(&mut out);
        out
    }

    /// The canonical form with the version removed (qualifiers and subpath kept).
    pub fn without_version(&self) -> String {
        let mut p = self.clone();
        p.version = None;
        p.to_string()
    }

    fn write_base(&self, out: &mut String) {
        out.push_str(&self.ty);
        out.push('/');
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/').filter(|s| !s.is_empty()) {
                encode_into(out, seg);
                out.push('/');
            }
        }
        encode_into(out, &self.name);
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("pkg:");
        self.write_base(&mut out);
        if let Some(v) = &self.version {
            out.push('@');
            encode_into(&mut out, v);
        }
        let mut qs: Vec<&(String, String)> = self
            .qualifiers
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        qs.sort();
        for (i, (k, v)) in qs.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&k.to_ascii_lowercase());
            out.push('=');
            encode_into(&mut out, v);
        }
        if let Some(sp) = &self.subpath {
            let segs: Vec<&str> = sp
                .split('/')
                .filter(|s| !s.is_empty() && *s != "." && *s != "..")
                .collect();
            if !segs.is_empty() {
                out.push('#');
                for (i, seg) in segs.iter().enumerate() {
                    if i > 0 {
                        out.push('/');
                    }
                    encode_into(&mut out, seg);
                }
            }
        }
        f.write_str(&out)
    }
}

impl std::str::FromStr for Purl {
    type Err = PurlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purl::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let p = Purl::parse("pkg:npm/%40angular/core@12.0.0?b=2&A=1#dist/../x").unwrap();
        assert_eq!(p.ty, "npm");
        assert_eq!(p.namespace.as_deref(), Some("@angular"));
        assert_eq!(p.name, "core");
        assert_eq!(p.version.as_deref(), Some("12.0.0"));
        assert_eq!(
            p.qualifiers,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(p.subpath.as_deref(), Some("dist/x"));
        assert_eq!(
            p.to_string(),
            "pkg:npm/%40angular/core@12.0.0?a=1&b=2#dist/x"
        );
        assert_eq!(
            p.without_version(),
            "pkg:npm/%40angular/core?a=1&b=2#dist/x"
        );
        assert_eq!(p.base(), "pkg:npm/%40angular/core");
        let d = Purl::parse("pkg:deb/ubuntu/pcre3@2%3A8.39-12ubuntu0.1?arch=amd64").unwrap();
        assert_eq!(d.version.as_deref(), Some("2:8.39-12ubuntu0.1"));
        assert_eq!(
            d.to_string(),
            "pkg:deb/ubuntu/pcre3@2:8.39-12ubuntu0.1?arch=amd64"
        );
        let unenc = Purl::parse("pkg:npm/@angular/core").unwrap();
        assert_eq!(unenc.namespace.as_deref(), Some("@angular"));
        assert_eq!(unenc.version, None);
    }

    #[test]
    fn malformed() {
        assert_eq!(Purl::parse("pkg:pypi/"), Err(PurlError::MissingName));
        assert_eq!(Purl::parse("pkg:///"), Err(PurlError::MissingType));
        assert_eq!(Purl::parse("/"), Err(PurlError::MissingScheme));
        assert_eq!(
            Purl::parse("pkg:apk/alpine/@1.36.1-r27?arch=x86_64"),
            Err(PurlError::MissingName)
        );
        assert!(Purl::parse("pkg:npm/a%zz").is_err());
        assert!(Purl::parse("pkg:1npm/a").is_err());
        assert!(Purl::parse("pkg:npm/a?x").is_err());
    }
}
