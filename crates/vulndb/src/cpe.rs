//! CPE 2.3 formatted strings (and CPE 2.2 URIs): parsing and attribute matching.

use serde::Serialize;

/// One CPE attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "value")]
pub enum CpeValue {
    /// `*`: any value.
    Any,
    /// `-`: not applicable.
    Na,
    /// A concrete value, unescaped and lowercased.
    Value(String),
}

impl CpeValue {
    /// The concrete value, if any.
    pub fn as_value(&self) -> Option<&str> {
        match self {
            CpeValue::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// A parsed CPE name (11 attributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cpe {
    /// `a`, `o` or `h` (or Any).
    pub part: CpeValue,
    /// Vendor.
    pub vendor: CpeValue,
    /// Product.
    pub product: CpeValue,
    /// Version.
    pub version: CpeValue,
    /// Update.
    pub update: CpeValue,
    /// Edition, language, sw_edition, target_sw, target_hw, other.
    pub rest: [CpeValue; 6],
}

/// A CPE that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("CPE {input:?}: {problem}")]
pub struct CpeError {
    /// The input (truncated to 200 characters).
    pub input: String,
    /// What is wrong.
    pub problem: String,
}

fn value(raw: &str, escaped: bool) -> CpeValue {
    match raw {
        "*" | "" => CpeValue::Any,
        "-" => CpeValue::Na,
        _ => {
            let mut out = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if escaped && c == '\\' {
                    if let Some(n) = chars.next() {
                        out.extend(n.to_lowercase());
                    }
                } else {
                    out.extend(c.to_lowercase());
                }
            }
            CpeValue::Value(out)
        }
    }
}

/// Split at `:` not escaped by a backslash.
fn split_fields(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ':' {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}

impl Cpe {
    /// Parse `cpe:2.3:part:vendor:product:version:...` (missing trailing attributes are `*`)
    /// or a CPE 2.2 URI `cpe:/part:vendor:product:version...` (percent-escapes kept as is).
    pub fn parse(s: &str) -> Result<Cpe, CpeError> {
        let fail = |p: &str| CpeError {
            input: s.chars().take(200).collect(),
            problem: p.to_string(),
        };
        let s = s.trim();
        let lower_prefix = s.get(..8).map(str::to_ascii_lowercase);
        let (fields, escaped) = if lower_prefix.as_deref() == Some("cpe:2.3:") {
            (split_fields(&s[8..]), true)
        } else if s.get(..5).map(str::to_ascii_lowercase).as_deref() == Some("cpe:/") {
            (s[5..].split(':').collect(), false)
        } else {
            return Err(fail(
                "expected a \"cpe:2.3:\" formatted string or a \"cpe:/\" URI",
            ));
        };
        if fields.len() > 11 {
            return Err(fail("more than 11 attributes"));
        }
        let get = |i: usize| value(fields.get(i).copied().unwrap_or("*"), escaped);
        let part = get(0);
        if let CpeValue::Value(p) = &part {
            if !matches!(p.as_str(), "a" | "o" | "h") {
                return Err(fail("part must be a, o or h"));
            }
        }
        let vendor = get(1);
        let product = get(2);
        if product == CpeValue::Any || product == CpeValue::Na {
            return Err(fail("product must be a concrete value"));
        }
        Ok(Cpe {
            part,
            vendor,
            product,
            version: get(3),
            update: get(4),
            rest: [get(5), get(6), get(7), get(8), get(9), get(10)],
        })
    }
}

/// Attribute match where `criteria` comes from NVD and `target` describes the component:
/// Any on either side matches; otherwise the values must be equal.
pub(crate) fn attr_matches(criteria: &CpeValue, target: &CpeValue) -> bool {
    matches!(criteria, CpeValue::Any) || matches!(target, CpeValue::Any) || criteria == target
}
