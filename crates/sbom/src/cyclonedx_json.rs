//! CycloneDX JSON (1.2–1.6): a typed fast path (see `fast`) for well-formed input; on
//! any error the input is re-read as a `serde_json::Value` and walked with path
//! tracking, so a wrong type names the exact member; unknown members are ignored.

use crate::common::{
    as_obj, as_str, json_syntax, non_empty, opt_arr, opt_obj, opt_str, push_license, type_err,
    Builder, JPath,
};
use crate::{Component, Document, Format, SbomError, MAX_COMPONENT_DEPTH};
use serde_json::{Map, Value};

mod fast;

/// Parses CycloneDX JSON.
///
/// A typed, borrowing fast path reads well-formed documents; anything it does not
/// accept is re-read by the `Value` walker, which reports the precise error.
pub fn parse(bytes: &[u8]) -> Result<Document, SbomError> {
    if let Some(doc) = fast::parse(bytes) {
        return Ok(doc);
    }
    let v: Value = serde_json::from_slice(bytes).map_err(json_syntax)?;
    from_value(&v)
}

/// Reads a CycloneDX document from an already parsed JSON value.
pub fn from_value(v: &Value) -> Result<Document, SbomError> {
    let root_p = JPath::ROOT;
    let root = as_obj(v, &root_p)?;
    match opt_str(root, "bomFormat", &root_p)? {
        Some("CycloneDX") => {}
        Some(other) => {
            return Err(SbomError::Invalid {
                location: "bomFormat".into(),
                message: format!(
                    "expected \"CycloneDX\", found \"{}\"",
                    otproof_text::quote(other)
                ),
            })
        }
        None => {
            return Err(SbomError::Invalid {
                location: "bomFormat".into(),
                message: "expected \"CycloneDX\", the member is missing".into(),
            })
        }
    }
    let spec = opt_str(root, "specVersion", &root_p)?.ok_or_else(|| SbomError::Invalid {
        location: "specVersion".into(),
        message: "expected a string such as \"1.5\", the member is missing".into(),
    })?;
    let mut b = Builder::new(Format::CycloneDxJson, spec.to_string());
    b.doc.serial = non_empty(opt_str(root, "serialNumber", &root_p)?);

    if let Some(meta) = opt_obj(root, "metadata", &root_p)? {
        let mp = root_p.key("metadata");
        metadata(&mut b, meta, &mp)?;
    }

    let cp = root_p.key("components");
    let mut ancestors = Vec::new();
    for (i, c) in opt_arr(root, "components", &root_p)?.iter().enumerate() {
        component(&mut b, c, &cp.index(i), &mut ancestors, 0, false)?;
    }

    let dp = root_p.key("dependencies");
    for (i, d) in opt_arr(root, "dependencies", &root_p)?.iter().enumerate() {
        let ip = dp.index(i);
        let o = as_obj(d, &ip)?;
        let from = opt_str(o, "ref", &ip)?.ok_or_else(|| SbomError::Invalid {
            location: ip.key("ref").render(),
            message: "expected a string, the member is missing".into(),
        })?;
        let op = ip.key("dependsOn");
        for (j, t) in opt_arr(o, "dependsOn", &ip)?.iter().enumerate() {
            let tp = op.index(j);
            let to = as_str(t, &tp)?;
            b.add_edge(from, to, tp.loc());
        }
    }
    Ok(b.finish())
}

fn metadata(b: &mut Builder, meta: &Map<String, Value>, mp: &JPath<'_>) -> Result<(), SbomError> {
    b.doc.created = non_empty(opt_str(meta, "timestamp", mp)?);

    // tools: legacy array of {vendor,name,version}, or 1.5+ {components, services}.
    match meta.get("tools") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tools)) => {
            let tp = mp.key("tools");
            for (i, t) in tools.iter().enumerate() {
                let ip = tp.index(i);
                let o = as_obj(t, &ip)?;
                push_tool(b, o, "vendor", &ip)?;
            }
        }
        Some(Value::Object(o)) => {
            let tp = mp.key("tools");
            for key in ["components", "services"] {
                let kp = tp.key(key);
                for (i, t) in opt_arr(o, key, &tp)?.iter().enumerate() {
                    let ip = kp.index(i);
                    let to = as_obj(t, &ip)?;
                    push_tool(b, to, "group", &ip)?;
                }
            }
        }
        Some(other) => return Err(type_err(&mp.key("tools"), "an array or an object", other)),
    }

    let ap = mp.key("authors");
    for (i, a) in opt_arr(meta, "authors", mp)?.iter().enumerate() {
        let ip = ap.index(i);
        let o = as_obj(a, &ip)?;
        if let Some(n) =
            non_empty(opt_str(o, "name", &ip)?).or(non_empty(opt_str(o, "email", &ip)?))
        {
            b.doc.authors.push(n);
        }
    }
    for key in ["manufacture", "manufacturer"] {
        if let Some(m) = opt_obj(meta, key, mp)? {
            if let Some(n) = non_empty(opt_str(m, "name", &mp.key(key))?) {
                if !b.doc.authors.contains(&n) {
                    b.doc.authors.push(n);
                }
            }
        }
    }

    if let Some(c) = meta.get("component").filter(|c| !c.is_null()) {
        let cp = mp.key("component");
        let mut ancestors = Vec::new();
        component(b, c, &cp, &mut ancestors, 0, true)?;
    }
    Ok(())
}

fn push_tool(
    b: &mut Builder,
    o: &Map<String, Value>,
    vendor_key: &str,
    p: &JPath<'_>,
) -> Result<(), SbomError> {
    let parts: Vec<&str> = [
        opt_str(o, vendor_key, p)?,
        opt_str(o, "name", p)?,
        opt_str(o, "version", p)?,
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .filter(|s| !s.is_empty())
    .collect();
    if !parts.is_empty() {
        b.doc.tools.push(parts.join(" "));
    }
    Ok(())
}

fn component(
    b: &mut Builder,
    v: &Value,
    p: &JPath<'_>,
    ancestors: &mut Vec<String>,
    depth: usize,
    is_subject: bool,
) -> Result<(), SbomError> {
    if depth > MAX_COMPONENT_DEPTH {
        return Err(SbomError::Invalid {
            location: p.render(),
            message: format!("components nested deeper than {MAX_COMPONENT_DEPTH} levels"),
        });
    }
    let o = as_obj(v, p)?;
    let mut c = Component {
        bom_ref: opt_str(o, "bom-ref", p)?.unwrap_or_default().to_string(),
        kind: opt_str(o, "type", p)?.unwrap_or_default().to_string(),
        group: non_empty(opt_str(o, "group", p)?),
        name: opt_str(o, "name", p)?.unwrap_or_default().to_string(),
        version: non_empty(opt_str(o, "version", p)?),
        cpe: non_empty(opt_str(o, "cpe", p)?),
        path: ancestors.clone(),
        ..Component::default()
    };
    if let Some(raw) = opt_str(o, "purl", p)? {
        b.apply_purl(&mut c, raw, || p.key("purl").render());
    }
    if let Some(swid) = opt_obj(o, "swid", p)? {
        if let Some(tag) = non_empty(opt_str(swid, "tagId", &p.key("swid"))?) {
            c.other_ids.push(("swid".into(), tag));
        }
    }
    let hp = p.key("hashes");
    for (i, h) in opt_arr(o, "hashes", p)?.iter().enumerate() {
        let ip = hp.index(i);
        let ho = as_obj(h, &ip)?;
        let alg = opt_str(ho, "alg", &ip)?.unwrap_or_default();
        let content = opt_str(ho, "content", &ip)?.unwrap_or_default();
        let hash = b.hash(alg, content, || ip.render());
        c.hashes.push(hash);
    }
    let mut supplier = None;
    for key in ["supplier", "manufacturer"] {
        if supplier.is_none() {
            if let Some(s) = opt_obj(o, key, p)? {
                supplier = non_empty(opt_str(s, "name", &p.key(key))?);
            }
        }
    }
    c.supplier = supplier.or(non_empty(opt_str(o, "publisher", p)?));
    licenses(o, p, &mut c.licenses)?;

    let r = if is_subject {
        b.set_subject(c, p.render())
    } else {
        b.push_component(c, p.loc())
    };

    let children = opt_arr(o, "components", p)?;
    if !children.is_empty() {
        let kp = p.key("components");
        ancestors.push(r);
        for (i, child) in children.iter().enumerate() {
            component(b, child, &kp.index(i), ancestors, depth + 1, false)?;
        }
        ancestors.pop();
    }
    Ok(())
}

fn licenses(o: &Map<String, Value>, p: &JPath<'_>, out: &mut Vec<String>) -> Result<(), SbomError> {
    let lp = p.key("licenses");
    for (i, l) in opt_arr(o, "licenses", p)?.iter().enumerate() {
        let ip = lp.index(i);
        let lo = as_obj(l, &ip)?;
        if let Some(e) = opt_str(lo, "expression", &ip)? {
            push_license(out, e);
        }
        if let Some(lic) = opt_obj(lo, "license", &ip)? {
            let kp = ip.key("license");
            if let Some(id) = opt_str(lic, "id", &kp)? {
                push_license(out, id);
            } else if let Some(name) = opt_str(lic, "name", &kp)? {
                push_license(out, name);
            }
        }
    }
    Ok(())
}
