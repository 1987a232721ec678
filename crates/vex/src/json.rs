//! Small helpers for walking `serde_json::Value`s with paths in errors.

use crate::{ProductId, VexError};
use serde_json::{Map, Value};

pub(crate) type Obj = Map<String, Value>;

/// Human description of a found value for error messages.
pub(crate) fn describe(v: Option<&Value>) -> String {
    match v {
        None => "nothing".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => format!("boolean {b}"),
        Some(Value::Number(n)) => format!("number {n}"),
        Some(Value::String(s)) => {
            let short: String = s.chars().take(80).collect();
            if short.len() < s.len() {
                format!("'{short}...'")
            } else {
                format!("'{short}'")
            }
        }
        Some(Value::Array(_)) => "an array".into(),
        Some(Value::Object(_)) => "an object".into(),
    }
}

pub(crate) fn invalid(path: &str, expected: &str, found: Option<&Value>) -> VexError {
    VexError::Invalid {
        path: path.to_string(),
        expected: expected.to_string(),
        found: describe(found),
    }
}

/// A non-empty trimmed string field, or None if absent/null/empty.
pub(crate) fn opt_str<'a>(obj: &'a Obj, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Optional string field that must be a string if present (non-string = error).
pub(crate) fn typed_opt_str<'a>(
    obj: &'a Obj,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, VexError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            Ok(if t.is_empty() { None } else { Some(t) })
        }
        Some(other) => Err(invalid(&format!("{path}.{key}"), "a string", Some(other))),
    }
}

/// Optional array field; error if present and not an array.
pub(crate) fn opt_array<'a>(obj: &'a Obj, key: &str, path: &str) -> Result<&'a [Value], VexError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(invalid(&format!("{path}.{key}"), "an array", Some(other))),
    }
}

/// Optional object field; error if present and not an object.
pub(crate) fn opt_object<'a>(
    obj: &'a Obj,
    key: &str,
    path: &str,
) -> Result<Option<&'a Obj>, VexError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(invalid(&format!("{path}.{key}"), "an object", Some(other))),
    }
}

pub(crate) fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Obj, VexError> {
    v.as_object()
        .ok_or_else(|| invalid(path, "an object", Some(v)))
}

/// Classifies an identifier string: purl (canonicalised), CPE, or `None`.
/// Returns `Err(problem)` for a `pkg:` string that is not a valid purl.
pub(crate) fn classify_id(s: &str) -> Result<Option<ProductId>, String> {
    let s = s.trim();
    let prefix = s.get(..4).unwrap_or_default();
    if prefix.eq_ignore_ascii_case("pkg:") {
        return match crate::matching::canonical_purl(s) {
            Some(c) => Ok(Some(ProductId::Purl(c))),
            None => Err(format!("'{s}' is not a valid package URL")),
        };
    }
    if prefix.eq_ignore_ascii_case("cpe:") {
        return if crate::matching::parse_cpe(s).is_some() {
            Ok(Some(ProductId::Cpe(s.to_string())))
        } else {
            Err(format!("'{s}' is not a valid CPE"))
        };
    }
    Ok(None)
}

pub(crate) fn push_unique(v: &mut Vec<ProductId>, p: ProductId) {
    if !v.contains(&p) {
        v.push(p);
    }
}
