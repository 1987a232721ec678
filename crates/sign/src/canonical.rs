//! securesystemslib / OLPC-style canonical JSON, as signed by in-toto v0.9 metadata:
//! object keys sorted (by code point), no insignificant whitespace, integers only (floats are
//! rejected), strings written as raw UTF-8 with only `\` and `"` escaped.

use serde_json::Value;

use crate::SignError;

/// Canonical JSON encoding of `v`.
pub fn canonical_json(v: &Value) -> Result<Vec<u8>, SignError> {
    let mut out = Vec::new();
    write(v, &mut out, "$")?;
    Ok(out)
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn write(v: &Value, out: &mut Vec<u8>, path: &str) -> Result<(), SignError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(SignError::parse(
                    "canonical JSON",
                    path,
                    format!("an integer (canonical JSON has no floats), found {n}"),
                ));
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out, &format!("{path}[{i}]"))?;
            }
            out.push(b']');
        }
        Value::Object(m) => {
            // Rust `str` ordering is byte-wise UTF-8 ordering, which equals code point ordering.
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                if let Some(val) = m.get(*k) {
                    write(val, out, &format!("{path}.{k}"))?;
                }
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::canonical_json;
    use serde_json::json;

    #[test]
    fn canonical_form() {
        let v = json!({"b": [1, -2, "x\"y\\z\n"], "a": null, "é": true, "Z": {}});
        let c = canonical_json(&v).unwrap();
        assert_eq!(
            c,
            "{\"Z\":{},\"a\":null,\"b\":[1,-2,\"x\\\"y\\\\z\n\"],\"é\":true}".as_bytes()
        );
        assert!(canonical_json(&json!({"f": 1.5})).is_err());
    }
}
