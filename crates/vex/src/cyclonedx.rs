//! CycloneDX VEX: a BOM's `vulnerabilities[]` with `analysis` and `affects[]`.

use crate::json::{
    as_object, classify_id, invalid, opt_array, opt_object, opt_str, push_unique, typed_opt_str,
    Obj,
};
use crate::matching::{parse_bom_link, VersRange};
use crate::{Format, ProductId, Statement, Status, VersionConstraint, VexDocument, VexError};
use serde_json::Value;
use std::collections::HashMap;

const STATES: &str =
    "one of resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected";

pub(crate) fn parse(value: &Value, fallback_id: &str) -> Result<VexDocument, VexError> {
    let obj = as_object(value, "$")?;
    let serial = typed_opt_str(obj, "serialNumber", "$")?.map(str::to_string);
    let metadata = opt_object(obj, "metadata", "$")?;
    let doc_ts = match metadata {
        Some(m) => typed_opt_str(m, "timestamp", "metadata")?.map(str::to_string),
        None => None,
    };
    let author = metadata.and_then(author_of);
    let doc_id = serial.clone().unwrap_or_else(|| fallback_id.to_string());
    let own_serial = serial.as_deref().map(|s| {
        s.strip_prefix("urn:uuid:")
            .unwrap_or(s)
            .to_ascii_lowercase()
    });

    // bom-ref -> identifiers of components described in this document
    let mut index: HashMap<String, Vec<ProductId>> = HashMap::new();
    if let Some(m) = metadata {
        if let Some(c) = m.get("component") {
            index_component(c, &mut index);
        }
    }
    for c in opt_array(obj, "components", "$")? {
        index_component(c, &mut index);
    }

    let mut problems = Vec::new();
    let mut statements = Vec::new();
    for (i, vv) in opt_array(obj, "vulnerabilities", "$")?.iter().enumerate() {
        let path = format!("vulnerabilities[{i}]");
        let v = as_object(vv, &path)?;
        let id = match v.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            other => {
                return Err(invalid(
                    &format!("{path}.id"),
                    "a vulnerability id string",
                    other,
                ))
            }
        };
        let mut aliases: Vec<String> = Vec::new();
        for (k, r) in opt_array(v, "references", &path)?.iter().enumerate() {
            let rp = format!("{path}.references[{k}]");
            let ro = as_object(r, &rp)?;
            if let Some(a) = typed_opt_str(ro, "id", &rp)? {
                if !a.eq_ignore_ascii_case(&id) && !aliases.iter().any(|x| x == a) {
                    aliases.push(a.to_string());
                }
            }
        }
        let analysis = opt_object(v, "analysis", &path)?;
        let ap = format!("{path}.analysis");
        let mut state = None;
        let mut justification = None;
        let mut detail = None;
        let mut responses = Vec::new();
        let mut ts = None;
        if let Some(a) = analysis {
            if let Some(s) = a.get("state").filter(|s| !s.is_null()) {
                state = Some(
                    s.as_str()
                        .and_then(|x| Status::from_cyclonedx_state(x.trim()))
                        .ok_or_else(|| invalid(&format!("{ap}.state"), STATES, Some(s)))?,
                );
            }
            justification = typed_opt_str(a, "justification", &ap)?.map(str::to_string);
            detail = typed_opt_str(a, "detail", &ap)?.map(str::to_string);
            for (k, r) in opt_array(a, "response", &ap)?.iter().enumerate() {
                match r.as_str() {
                    Some(s) => responses.push(s.trim().to_string()),
                    None => {
                        return Err(invalid(&format!("{ap}.response[{k}]"), "a string", Some(r)))
                    }
                }
            }
            ts = typed_opt_str(a, "lastUpdated", &ap)?
                .or(typed_opt_str(a, "firstIssued", &ap)?)
                .map(str::to_string);
        }
        let timestamp = ts.or_else(|| doc_ts.clone());
        let texts = |status: Status| -> (Option<String>, Option<String>) {
            let resp =
                (!responses.is_empty()).then(|| format!("response: {}", responses.join(", ")));
            if status == Status::NotAffected {
                (detail.clone(), resp)
            } else {
                let action = match (resp, &detail) {
                    (Some(r), Some(d)) => Some(format!("{r}. {d}")),
                    (Some(r), None) => Some(r),
                    (None, d) => d.clone(),
                };
                (None, action)
            }
        };
        let make = |status: Status,
                    products: Vec<ProductId>,
                    source: String,
                    constraint: Option<VersionConstraint>,
                    with_justification: bool| {
            let (impact_statement, action_statement) = texts(status);
            Statement {
                vulnerability: id.clone(),
                aliases: aliases.clone(),
                products,
                subcomponents: Vec::new(),
                status,
                justification: if with_justification {
                    justification.clone()
                } else {
                    None
                },
                impact_statement,
                action_statement,
                timestamp: timestamp.clone(),
                source,
                version_constraint: constraint,
            }
        };

        let affects = opt_array(v, "affects", &path)?;
        if affects.is_empty() {
            problems.push(format!(
                "{path}: no affects[]; the statement applies to nothing (skipped)"
            ));
            continue;
        }
        let mut plain: Vec<ProductId> = Vec::new();
        for (j, av) in affects.iter().enumerate() {
            let fp = format!("{path}.affects[{j}]");
            let a = as_object(av, &fp)?;
            let r = match a.get("ref") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.trim(),
                other => {
                    return Err(invalid(
                        &format!("{fp}.ref"),
                        "a bom-ref or BOM-Link string",
                        other,
                    ))
                }
            };
            if r.starts_with("urn:cdx:") && parse_bom_link(r).is_none() {
                problems.push(format!(
                    "{fp}.ref: '{r}' is not a valid BOM-Link (compared as a plain bom-ref)"
                ));
            }
            let ids = ref_ids(r, &index, own_serial.as_deref());
            let versions = opt_array(a, "versions", &fp)?;
            if versions.is_empty() {
                for p in ids {
                    push_unique(&mut plain, p);
                }
                continue;
            }
            for (k, vv) in versions.iter().enumerate() {
                let vp = format!("{fp}.versions[{k}]");
                let vo = as_object(vv, &vp)?;
                let vstatus = match vo.get("status") {
                    None | Some(Value::Null) => "affected",
                    Some(Value::String(s)) => s.trim(),
                    Some(other) => {
                        return Err(invalid(
                            &format!("{vp}.status"),
                            "one of affected, unaffected, unknown",
                            Some(other),
                        ))
                    }
                };
                let status = match vstatus {
                    "affected" => state.unwrap_or(Status::Affected),
                    "unaffected" => Status::NotAffected,
                    "unknown" => {
                        problems.push(format!(
                            "{vp}: status unknown is not a VEX statement (skipped)"
                        ));
                        continue;
                    }
                    other => {
                        return Err(invalid(
                            &format!("{vp}.status"),
                            "one of affected, unaffected, unknown",
                            Some(&Value::String(other.to_string())),
                        ))
                    }
                };
                let constraint = if let Some(r) = typed_opt_str(vo, "range", &vp)? {
                    match VersRange::parse(r) {
                        Ok(_) => VersionConstraint::Range(r.to_string()),
                        Err(e) => {
                            problems.push(format!("{vp}.range: {e} (skipped)"));
                            continue;
                        }
                    }
                } else if let Some(ver) = typed_opt_str(vo, "version", &vp)? {
                    VersionConstraint::Exact(ver.to_string())
                } else {
                    problems.push(format!("{vp}: neither version nor range (skipped)"));
                    continue;
                };
                let with_j = vstatus == "affected";
                statements.push(make(
                    status,
                    ids.clone(),
                    format!("{doc_id}#{vp}"),
                    Some(constraint),
                    with_j,
                ));
            }
        }
        if !plain.is_empty() {
            match state {
                Some(status) => statements.push(make(status, plain, format!("{doc_id}#{path}"), None, true)),
                None => problems.push(format!(
                    "{path}: no analysis.state (a vulnerability report, not a VEX statement; skipped)"
                )),
            }
        }
    }
    Ok(VexDocument {
        format: Format::CycloneDx,
        id: serial,
        author,
        timestamp: doc_ts,
        statements,
        problems,
    })
}

fn author_of(m: &Obj) -> Option<String> {
    let names: Vec<&str> = m
        .get("authors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_object().and_then(|o| opt_str(o, "name")))
                .collect()
        })
        .unwrap_or_default();
    if !names.is_empty() {
        return Some(names.join(", "));
    }
    ["manufacturer", "manufacture", "supplier"]
        .iter()
        .find_map(|k| {
            m.get(*k)
                .and_then(Value::as_object)
                .and_then(|o| opt_str(o, "name"))
        })
        .map(str::to_string)
}

fn index_component(c: &Value, index: &mut HashMap<String, Vec<ProductId>>) {
    let Some(o) = c.as_object() else { return };
    if let Some(r) = opt_str(o, "bom-ref") {
        let mut ids = Vec::new();
        for key in ["purl", "cpe"] {
            if let Some(s) = opt_str(o, key) {
                if let Ok(Some(p)) = classify_id(s) {
                    push_unique(&mut ids, p);
                }
            }
        }
        index.entry(r.to_string()).or_insert(ids);
    }
    if let Some(children) = o.get("components").and_then(Value::as_array) {
        for ch in children {
            index_component(ch, index);
        }
    }
}

fn ref_ids(
    r: &str,
    index: &HashMap<String, Vec<ProductId>>,
    own_serial: Option<&str>,
) -> Vec<ProductId> {
    let mut ids = vec![ProductId::BomRef(r.to_string())];
    let local = match parse_bom_link(r) {
        Some(link) if Some(link.serial.as_str()) == own_serial => link.fragment,
        Some(_) => None,
        None => Some(r.to_string()),
    };
    if let Some(extra) = local.and_then(|l| index.get(&l)) {
        for p in extra {
            push_unique(&mut ids, p.clone());
        }
    }
    ids
}
