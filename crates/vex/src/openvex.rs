//! OpenVEX 0.2.0 and legacy 0.0.1.

use crate::json::{
    as_object, classify_id, invalid, opt_array, opt_object, push_unique, typed_opt_str, Obj,
};
use crate::{Format, ProductId, Statement, Status, VexDocument, VexError};
use serde_json::Value;

const JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// The `@context` if it is an OpenVEX one.
pub(crate) fn context(obj: &Obj) -> Option<String> {
    let ctx = obj.get("@context")?;
    let s = match ctx {
        Value::String(s) => s.as_str(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|s| s.contains("openvex.dev/ns"))?,
        _ => return None,
    };
    s.trim()
        .trim_end_matches('/')
        .contains("openvex.dev/ns")
        .then(|| s.trim().trim_end_matches('/').to_string())
}

pub(crate) fn is_legacy_context(ctx: &str) -> bool {
    ctx.ends_with("openvex.dev/ns") || ctx.ends_with("/v0.0.1")
}

fn normalise_justification(j: &str) -> String {
    j.trim().to_ascii_lowercase().replace(['-', ' '], "_")
}

pub(crate) fn parse(obj: &Obj, format: Format, fallback_id: &str) -> Result<VexDocument, VexError> {
    let id = typed_opt_str(obj, "@id", "$")?.map(str::to_string);
    let author = typed_opt_str(obj, "author", "$")?.map(str::to_string);
    let doc_ts = typed_opt_str(obj, "timestamp", "$")?.map(str::to_string);
    let doc_updated = typed_opt_str(obj, "last_updated", "$")?.map(str::to_string);
    let doc_id = id.clone().unwrap_or_else(|| fallback_id.to_string());
    let mut problems = Vec::new();
    let statements_v = match obj.get("statements") {
        Some(Value::Array(a)) => a,
        other => return Err(invalid("statements", "an array of statements", other)),
    };
    let mut statements = Vec::new();
    for (i, sv) in statements_v.iter().enumerate() {
        let path = format!("statements[{i}]");
        let st = as_object(sv, &path)?;

        // vulnerability: object (0.2.0) or string (0.0.1)
        let (vulnerability, mut aliases) = match st.get("vulnerability") {
            Some(Value::String(s)) if !s.trim().is_empty() => (s.trim().to_string(), Vec::new()),
            Some(Value::Object(v)) => {
                let vp = format!("{path}.vulnerability");
                let name = typed_opt_str(v, "name", &vp)?;
                let vid = typed_opt_str(v, "@id", &vp)?;
                let mut aliases = Vec::new();
                for (k, a) in opt_array(v, "aliases", &vp)?.iter().enumerate() {
                    match a.as_str() {
                        Some(s) if !s.trim().is_empty() => aliases.push(s.trim().to_string()),
                        _ => {
                            return Err(invalid(&format!("{vp}.aliases[{k}]"), "a string", Some(a)))
                        }
                    }
                }
                let primary = match (name, vid) {
                    (Some(n), _) => n.to_string(),
                    (None, Some(i)) => i.to_string(),
                    (None, None) => {
                        return Err(invalid(
                            &format!("{vp}.name"),
                            "a vulnerability name",
                            v.get("name"),
                        ))
                    }
                };
                if let (Some(_), Some(i)) = (name, vid) {
                    aliases.push(i.to_string());
                }
                (primary, aliases)
            }
            other => {
                return Err(invalid(
                    &format!("{path}.vulnerability"),
                    "a vulnerability object or id string",
                    other,
                ))
            }
        };
        // legacy 0.0.1 had statement-level aliases
        for (k, a) in opt_array(st, "aliases", &path)?.iter().enumerate() {
            match a.as_str() {
                Some(s) if !s.trim().is_empty() => aliases.push(s.trim().to_string()),
                _ => {
                    return Err(invalid(
                        &format!("{path}.aliases[{k}]"),
                        "a string",
                        Some(a),
                    ))
                }
            }
        }
        aliases.retain(|a| !a.eq_ignore_ascii_case(&vulnerability));
        aliases.dedup();

        let status_v = st.get("status");
        let status = status_v
            .and_then(Value::as_str)
            .and_then(|s| Status::from_openvex(s.trim()))
            .ok_or_else(|| {
                invalid(
                    &format!("{path}.status"),
                    "one of not_affected, affected, fixed, under_investigation",
                    status_v,
                )
            })?;

        let justification = match typed_opt_str(st, "justification", &path)? {
            Some(j) => {
                let n = normalise_justification(j);
                if JUSTIFICATIONS.contains(&n.as_str()) {
                    Some(n)
                } else {
                    problems.push(format!(
                        "{path}.justification: '{j}' is not an OpenVEX justification (kept as written)"
                    ));
                    Some(j.to_string())
                }
            }
            None => None,
        };
        let impact_statement = typed_opt_str(st, "impact_statement", &path)?.map(str::to_string);
        let action_statement = typed_opt_str(st, "action_statement", &path)?.map(str::to_string);
        if status == Status::NotAffected && justification.is_none() && impact_statement.is_none() {
            problems.push(format!(
                "{path}: not_affected without justification or impact_statement"
            ));
        }
        if status == Status::Affected && action_statement.is_none() {
            problems.push(format!("{path}: affected without action_statement"));
        }
        let timestamp = typed_opt_str(st, "last_updated", &path)?
            .or(typed_opt_str(st, "timestamp", &path)?)
            .map(str::to_string)
            .or_else(|| doc_updated.clone())
            .or_else(|| doc_ts.clone());

        // statement-level subcomponents (0.0.1)
        let mut stmt_subs = Vec::new();
        for (k, s) in opt_array(st, "subcomponents", &path)?.iter().enumerate() {
            let sp = format!("{path}.subcomponents[{k}]");
            if let Some(p) = component_ids(s, &sp, &mut problems)? {
                for id in p {
                    push_unique(&mut stmt_subs, id);
                }
            }
        }

        // products: strings (0.0.1) or objects with their own subcomponents (0.2.0)
        let mut groups: Vec<(Vec<ProductId>, Vec<ProductId>, Vec<usize>)> = Vec::new();
        let products_v = opt_array(st, "products", &path)?;
        for (k, pv) in products_v.iter().enumerate() {
            let pp = format!("{path}.products[{k}]");
            let Some(ids) = component_ids(pv, &pp, &mut problems)? else {
                continue;
            };
            let mut subs = stmt_subs.clone();
            if let Some(po) = pv.as_object() {
                for (m, s) in opt_array(po, "subcomponents", &pp)?.iter().enumerate() {
                    let sp = format!("{pp}.subcomponents[{m}]");
                    if let Some(p) = component_ids(s, &sp, &mut problems)? {
                        for id in p {
                            push_unique(&mut subs, id);
                        }
                    }
                }
            }
            match groups.iter_mut().find(|g| g.1 == subs) {
                Some(g) => {
                    for id in ids {
                        push_unique(&mut g.0, id);
                    }
                    g.2.push(k);
                }
                None => groups.push((ids, subs, vec![k])),
            }
        }
        if groups.is_empty() {
            problems.push(format!(
                "{path}: no usable products; the statement cannot apply to anything (skipped)"
            ));
            continue;
        }
        let split = groups.len() > 1;
        for (products, subcomponents, idx) in groups {
            let source = if split {
                let list: Vec<String> = idx.iter().map(|k| k.to_string()).collect();
                format!("{doc_id}#{path}.products[{}]", list.join(","))
            } else {
                format!("{doc_id}#{path}")
            };
            statements.push(Statement {
                vulnerability: vulnerability.clone(),
                aliases: aliases.clone(),
                products,
                subcomponents,
                status,
                justification: justification.clone(),
                impact_statement: impact_statement.clone(),
                action_statement: action_statement.clone(),
                timestamp: timestamp.clone(),
                source,
                version_constraint: None,
            });
        }
    }
    Ok(VexDocument {
        format,
        id,
        author,
        timestamp: doc_ts.or(doc_updated),
        statements,
        problems,
    })
}

/// Identifiers of an OpenVEX component: a string, or an object with `@id`
/// and `identifiers {purl, cpe23, cpe22}`. `Ok(None)` = nothing usable (problem noted).
fn component_ids(
    v: &Value,
    path: &str,
    problems: &mut Vec<String>,
) -> Result<Option<Vec<ProductId>>, VexError> {
    let mut ids = Vec::new();
    let mut name = None;
    let add = |s: &str,
               ids: &mut Vec<ProductId>,
               name: &mut Option<String>,
               problems: &mut Vec<String>| {
        match classify_id(s) {
            Ok(Some(p)) => push_unique(ids, p),
            Ok(None) => {
                if name.is_none() {
                    *name = Some(s.trim().to_string());
                }
            }
            Err(problem) => problems.push(format!("{path}: {problem}")),
        }
    };
    match v {
        Value::String(s) if !s.trim().is_empty() => add(s, &mut ids, &mut name, problems),
        Value::Object(o) => {
            if let Some(s) = typed_opt_str(o, "@id", path)? {
                add(s, &mut ids, &mut name, problems);
            }
            if let Some(idf) = opt_object(o, "identifiers", path)? {
                let ip = format!("{path}.identifiers");
                for key in ["purl", "cpe23", "cpe22"] {
                    if let Some(s) = typed_opt_str(idf, key, &ip)? {
                        add(s, &mut ids, &mut name, problems);
                    }
                }
            }
        }
        other => {
            return Err(invalid(
                path,
                "a product identifier string or an object with @id/identifiers",
                Some(other),
            ))
        }
    }
    if ids.is_empty() {
        if let Some(n) = name {
            ids.push(ProductId::Name(n));
        }
    }
    if ids.is_empty() {
        problems.push(format!("{path}: no usable identifier (skipped)"));
        return Ok(None);
    }
    Ok(Some(ids))
}
