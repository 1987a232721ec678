//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! Object members sorted by the UTF-16 code units of their names, no white space, strings
//! with the minimal escapes of ECMAScript `JSON.stringify`, numbers as ECMAScript
//! `Number.prototype.toString` renders the IEEE 754 double (integers outside the exactly
//! representable range are first converted to the nearest double, as JavaScript would).

use serde_json::Value;
use std::fmt::Write as _;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    /// NaN or an infinity (cannot occur in parsed JSON, but can in built values).
    #[error("number {0} has no JSON representation (NaN or infinite)")]
    NonFinite(String),
}

/// The canonical JSON text of a value.
pub fn canonicalize(v: &Value) -> Result<String, JcsError> {
    let mut out = String::new();
    write_value(v, &mut out)?;
    Ok(out)
}

/// Parse JSON text and return its canonical form.
pub fn canonicalize_str(text: &str) -> Result<String, CanonicalizeError> {
    let v: Value = serde_json::from_str(text)?;
    Ok(canonicalize(&v)?)
}

/// Failure of [`canonicalize_str`].
#[derive(Debug, thiserror::Error)]
pub enum CanonicalizeError {
    /// Not JSON.
    #[error("not valid JSON: {0}")]
    Parse(#[from] serde_json::Error),
    /// No canonical form.
    #[error(transparent)]
    Jcs(#[from] JcsError),
}

pub(crate) fn write_value(v: &Value, out: &mut String) -> Result<(), JcsError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut members: Vec<(&String, &Value)> = o.iter().collect();
            members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (k, val)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(val, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_number(n: &serde_json::Number, out: &mut String) -> Result<(), JcsError> {
    // Integers that a double holds exactly print as integers; anything else goes through
    // the double, as in ECMAScript.
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= (1u64 << 53) {
            let _ = write!(out, "{i}");
            return Ok(());
        }
    }
    if let Some(u) = n.as_u64() {
        if u <= (1u64 << 53) {
            let _ = write!(out, "{u}");
            return Ok(());
        }
    }
    let f = n
        .as_f64()
        .ok_or_else(|| JcsError::NonFinite(n.to_string()))?;
    write_f64(f, out)
}

/// ECMAScript `Number.prototype.toString` of a double.
pub fn write_f64(f: f64, out: &mut String) -> Result<(), JcsError> {
    if !f.is_finite() {
        return Err(JcsError::NonFinite(f.to_string()));
    }
    if f == 0.0 {
        out.push('0'); // also for -0
        return Ok(());
    }
    let mut buf = ryu_js::Buffer::new();
    out.push_str(buf.format_finite(f));
    Ok(())
}

/// An unsigned integer as [`write_number`] renders it: exactly up to 2^53, through the double
/// beyond (as ECMAScript would).
pub(crate) fn write_u64(u: u64, out: &mut String) -> Result<(), JcsError> {
    if u <= (1u64 << 53) {
        let _ = write!(out, "{u}");
        Ok(())
    } else {
        write_f64(u as f64, out)
    }
}

pub(crate) fn write_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Copy runs of bytes that need no escape in one go; every byte that does is ASCII, so the
    // slice boundaries are always character boundaries.
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x09 => "\\t",
            0x0A => "\\n",
            0x0C => "\\f",
            0x0D => "\\r",
            0x00..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}
