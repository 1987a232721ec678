//! SPDX 2.2 / 2.3 JSON.

use crate::common::{
    as_obj, as_str, json_syntax, non_empty, opt_arr, opt_obj, opt_str, push_license, Builder, JPath,
};
use crate::spdx_common::{strip_actor, Element, Raw, Relationship};
use crate::{Component, Document, Format, SbomError};
use serde_json::{Map, Value};

/// Parses SPDX JSON.
pub fn parse(bytes: &[u8]) -> Result<Document, SbomError> {
    let v: Value = serde_json::from_slice(bytes).map_err(json_syntax)?;
    from_value(&v)
}

/// Reads an SPDX document from an already parsed JSON value.
pub fn from_value(v: &Value) -> Result<Document, SbomError> {
    let rp = JPath::ROOT;
    let root = as_obj(v, &rp)?;
    let version = opt_str(root, "spdxVersion", &rp)?.ok_or_else(|| SbomError::Invalid {
        location: "spdxVersion".into(),
        message: "expected a string such as \"SPDX-2.3\", the member is missing".into(),
    })?;
    if !version.starts_with("SPDX-2.") {
        return Err(SbomError::Invalid {
            location: "spdxVersion".into(),
            message: format!(
                "expected \"SPDX-2.2\" or \"SPDX-2.3\", found \"{}\"",
                otproof_text::quote(version)
            ),
        });
    }
    // Problems found while reading elements are collected in a scratch builder and
    // carried over.
    let mut scratch = Builder::new(Format::SpdxJson, String::new());
    let mut raw = Raw {
        format: Format::SpdxJson,
        version: version.to_string(),
        doc_id: opt_str(root, "SPDXID", &rp)?
            .unwrap_or("SPDXRef-DOCUMENT")
            .to_string(),
        name: non_empty(opt_str(root, "name", &rp)?),
        namespace: non_empty(opt_str(root, "documentNamespace", &rp)?),
        created: None,
        creators: Vec::new(),
        elements: Vec::new(),
        describes: Vec::new(),
        relationships: Vec::new(),
        contains: Vec::new(),
    };
    if let Some(ci) = opt_obj(root, "creationInfo", &rp)? {
        let cp = rp.key("creationInfo");
        raw.created = non_empty(opt_str(ci, "created", &cp)?);
        let crp = cp.key("creators");
        for (i, c) in opt_arr(ci, "creators", &cp)?.iter().enumerate() {
            raw.creators.push(as_str(c, &crp.index(i))?.to_string());
        }
    }
    let dp = rp.key("documentDescribes");
    for (i, d) in opt_arr(root, "documentDescribes", &rp)?.iter().enumerate() {
        raw.describes.push(as_str(d, &dp.index(i))?.to_string());
    }

    let pp = rp.key("packages");
    for (i, p) in opt_arr(root, "packages", &rp)?.iter().enumerate() {
        let ip = pp.index(i);
        let o = as_obj(p, &ip)?;
        let comp = package(&mut scratch, o, &ip)?;
        let hp = ip.key("hasFiles");
        for (j, f) in opt_arr(o, "hasFiles", &ip)?.iter().enumerate() {
            let jp = hp.index(j);
            let f = as_str(f, &jp)?;
            raw.contains
                .push((comp.bom_ref.clone(), f.to_string(), jp.render()));
        }
        raw.elements.push(Element {
            comp,
            loc: ip.render(),
        });
    }
    let fp = rp.key("files");
    for (i, f) in opt_arr(root, "files", &rp)?.iter().enumerate() {
        let ip = fp.index(i);
        let o = as_obj(f, &ip)?;
        let comp = file(&mut scratch, o, &ip)?;
        raw.elements.push(Element {
            comp,
            loc: ip.render(),
        });
    }
    let relp = rp.key("relationships");
    for (i, r) in opt_arr(root, "relationships", &rp)?.iter().enumerate() {
        let ip = relp.index(i);
        let o = as_obj(r, &ip)?;
        let get = |k: &str| -> Result<String, SbomError> {
            opt_str(o, k, &ip)?
                .map(|s| s.trim().to_string())
                .ok_or_else(|| SbomError::Invalid {
                    location: ip.key(k).render(),
                    message: "expected a string, the member is missing".into(),
                })
        };
        raw.relationships.push(Relationship {
            from: get("spdxElementId")?,
            ty: get("relationshipType")?.to_ascii_uppercase(),
            to: get("relatedSpdxElement")?,
            loc: ip.render(),
        });
    }
    let mut doc = raw.finish();
    let mut problems = scratch.doc.problems;
    problems.append(&mut doc.problems);
    doc.problems = problems;
    Ok(doc)
}

fn checksums(
    b: &mut Builder,
    o: &Map<String, Value>,
    p: &JPath<'_>,
    c: &mut Component,
) -> Result<(), SbomError> {
    let cp = p.key("checksums");
    for (i, h) in opt_arr(o, "checksums", p)?.iter().enumerate() {
        let ip = cp.index(i);
        let ho = as_obj(h, &ip)?;
        let alg = opt_str(ho, "algorithm", &ip)?.unwrap_or_default();
        let val = opt_str(ho, "checksumValue", &ip)?.unwrap_or_default();
        let hash = b.hash(alg, val, || ip.render());
        c.hashes.push(hash);
    }
    Ok(())
}

fn package(b: &mut Builder, o: &Map<String, Value>, p: &JPath<'_>) -> Result<Component, SbomError> {
    let mut c = Component {
        bom_ref: opt_str(o, "SPDXID", p)?.unwrap_or_default().to_string(),
        kind: opt_str(o, "primaryPackagePurpose", p)?
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "package".into()),
        name: opt_str(o, "name", p)?.unwrap_or_default().to_string(),
        version: non_empty(opt_str(o, "versionInfo", p)?),
        supplier: opt_str(o, "supplier", p)?.and_then(strip_actor),
        ..Component::default()
    };
    checksums(b, o, p, &mut c)?;
    let ep = p.key("externalRefs");
    for (i, r) in opt_arr(o, "externalRefs", p)?.iter().enumerate() {
        let ip = ep.index(i);
        let ro = as_obj(r, &ip)?;
        let ty = opt_str(ro, "referenceType", &ip)?
            .unwrap_or_default()
            .trim();
        let loc = opt_str(ro, "referenceLocator", &ip)?
            .unwrap_or_default()
            .trim();
        external_ref(b, &mut c, ty, loc, || ip.render());
    }
    for key in ["licenseDeclared", "licenseConcluded"] {
        if let Some(l) = opt_str(o, key, p)? {
            push_license(&mut c.licenses, l);
        }
    }
    Ok(c)
}

/// Applies one SPDX external reference (shared with tag-value).
pub(crate) fn external_ref(
    b: &mut Builder,
    c: &mut Component,
    ty: &str,
    locator: &str,
    loc: impl FnOnce() -> String,
) {
    match ty {
        "purl" if c.purl_raw.is_none() => b.apply_purl(c, locator, loc),
        "cpe23Type" if c.cpe.as_deref().is_none_or(|x| !x.starts_with("cpe:2.3:")) => {
            c.cpe = Some(locator.to_string())
        }
        "cpe22Type" if c.cpe.is_none() => c.cpe = Some(locator.to_string()),
        "cpe22Type" | "cpe23Type" | "purl" => {}
        _ if !locator.is_empty() => c.other_ids.push((ty.to_string(), locator.to_string())),
        _ => {}
    }
}

fn file(b: &mut Builder, o: &Map<String, Value>, p: &JPath<'_>) -> Result<Component, SbomError> {
    let mut c = Component {
        bom_ref: opt_str(o, "SPDXID", p)?.unwrap_or_default().to_string(),
        kind: "file".into(),
        name: opt_str(o, "fileName", p)?.unwrap_or_default().to_string(),
        ..Component::default()
    };
    checksums(b, o, p, &mut c)?;
    if let Some(l) = opt_str(o, "licenseConcluded", p)? {
        push_license(&mut c.licenses, l);
    }
    Ok(c)
}
