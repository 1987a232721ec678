//! CSAF 2.0 (VEX profile).

use crate::json::{
    as_object, classify_id, invalid, opt_array, opt_object, opt_str, push_unique, typed_opt_str,
    Obj,
};
use crate::{Format, ProductId, Statement, Status, VexDocument, VexError};
use serde_json::Value;
use std::collections::HashMap;

const STATUS_KEYS: [(&str, Status); 7] = [
    ("known_not_affected", Status::NotAffected),
    ("known_affected", Status::Affected),
    ("first_affected", Status::Affected),
    ("last_affected", Status::Affected),
    ("fixed", Status::Fixed),
    ("first_fixed", Status::Fixed),
    ("under_investigation", Status::UnderInvestigation),
];

struct Relationship {
    component: String,
    product: String,
    own: Vec<ProductId>,
}

#[derive(Default)]
struct Tree {
    products: HashMap<String, Vec<ProductId>>,
    relationships: HashMap<String, Relationship>,
    groups: HashMap<String, Vec<String>>,
}

pub(crate) fn parse(obj: &Obj, fallback_id: &str) -> Result<VexDocument, VexError> {
    let mut problems = Vec::new();
    let document = match obj.get("document") {
        Some(Value::Object(d)) => d,
        other => return Err(invalid("document", "an object", other)),
    };
    match typed_opt_str(document, "category", "document")? {
        Some("csaf_vex") => {}
        Some(other) => problems.push(format!(
            "document.category: '{other}' is not the VEX profile csaf_vex (read anyway)"
        )),
        None => problems.push("document.category: missing".to_string()),
    }
    let tracking = opt_object(document, "tracking", "document")?;
    let id = match tracking {
        Some(t) => typed_opt_str(t, "id", "document.tracking")?.map(str::to_string),
        None => None,
    };
    let doc_ts = match tracking {
        Some(t) => {
            typed_opt_str(t, "current_release_date", "document.tracking")?.map(str::to_string)
        }
        None => None,
    };
    let author = opt_object(document, "publisher", "document")?
        .and_then(|p| opt_str(p, "name"))
        .map(str::to_string);
    let doc_id = id.clone().unwrap_or_else(|| fallback_id.to_string());

    let mut tree = Tree::default();
    if let Some(pt) = opt_object(obj, "product_tree", "$")? {
        for (i, b) in opt_array(pt, "branches", "product_tree")?
            .iter()
            .enumerate()
        {
            walk_branch(
                b,
                &format!("product_tree.branches[{i}]"),
                &mut tree,
                &mut problems,
            )?;
        }
        for (i, p) in opt_array(pt, "full_product_names", "product_tree")?
            .iter()
            .enumerate()
        {
            add_product(
                p,
                &format!("product_tree.full_product_names[{i}]"),
                &mut tree,
                &mut problems,
            )?;
        }
        for (i, r) in opt_array(pt, "relationships", "product_tree")?
            .iter()
            .enumerate()
        {
            let rp = format!("product_tree.relationships[{i}]");
            let ro = as_object(r, &rp)?;
            let component = typed_opt_str(ro, "product_reference", &rp)?;
            let product = typed_opt_str(ro, "relates_to_product_reference", &rp)?;
            let fpn = opt_object(ro, "full_product_name", &rp)?;
            let pid = fpn.and_then(|f| opt_str(f, "product_id"));
            let (Some(component), Some(product), Some(pid)) = (component, product, pid) else {
                problems.push(format!("{rp}: incomplete relationship (skipped)"));
                continue;
            };
            let own = fpn
                .map(|f| ids_of(f, &rp, &mut problems))
                .unwrap_or_default();
            tree.relationships.insert(
                pid.to_string(),
                Relationship {
                    component: component.to_string(),
                    product: product.to_string(),
                    own,
                },
            );
        }
        for (i, g) in opt_array(pt, "product_groups", "product_tree")?
            .iter()
            .enumerate()
        {
            let gp = format!("product_tree.product_groups[{i}]");
            let go = as_object(g, &gp)?;
            if let Some(gid) = typed_opt_str(go, "group_id", &gp)? {
                let members = opt_array(go, "product_ids", &gp)?
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                tree.groups.insert(gid.to_string(), members);
            }
        }
    }

    let mut statements = Vec::new();
    for (i, vv) in opt_array(obj, "vulnerabilities", "$")?.iter().enumerate() {
        let path = format!("vulnerabilities[{i}]");
        let v = as_object(vv, &path)?;
        let cve = typed_opt_str(v, "cve", &path)?;
        let mut ids: Vec<String> = Vec::new();
        for (k, x) in opt_array(v, "ids", &path)?.iter().enumerate() {
            let xp = format!("{path}.ids[{k}]");
            if let Some(t) = typed_opt_str(as_object(x, &xp)?, "text", &xp)? {
                ids.push(t.to_string());
            }
        }
        let (vulnerability, aliases) = match cve {
            Some(c) => (c.to_string(), ids),
            None if !ids.is_empty() => {
                let first = ids.remove(0);
                (first, ids)
            }
            None => {
                problems.push(format!("{path}: neither cve nor ids (skipped)"));
                continue;
            }
        };
        let aliases: Vec<String> = aliases
            .into_iter()
            .filter(|a| !a.eq_ignore_ascii_case(&vulnerability))
            .collect();
        // per-product texts
        let flags = per_product(v, "flags", "label", &path, &tree)?;
        let threats = per_product_filtered(v, "threats", "impact", &path, &tree)?;
        let remediations = per_product(v, "remediations", "details", &path, &tree)?;
        let Some(ps) = opt_object(v, "product_status", &path)? else {
            problems.push(format!("{path}: no product_status (skipped)"));
            continue;
        };
        for (key, status) in STATUS_KEYS {
            let sp = format!("{path}.product_status");
            for (k, pidv) in opt_array(ps, key, &sp)?.iter().enumerate() {
                let ep = format!("{sp}.{key}[{k}]");
                let Some(pid) = pidv.as_str() else {
                    return Err(invalid(&ep, "a product id string", Some(pidv)));
                };
                let Some((products, subcomponents)) = resolve_pid(pid, &tree) else {
                    problems.push(format!(
                        "{ep}: product id '{pid}' not in the product tree (skipped)"
                    ));
                    continue;
                };
                let justification = if status == Status::NotAffected {
                    flags.get(pid).cloned()
                } else {
                    None
                };
                let impact_statement = if status == Status::NotAffected {
                    threats.get(pid).cloned()
                } else {
                    None
                };
                if status == Status::NotAffected
                    && justification.is_none()
                    && impact_statement.is_none()
                {
                    problems.push(format!(
                        "{ep}: known_not_affected without flag or impact threat"
                    ));
                }
                let action_statement = if status == Status::NotAffected {
                    None
                } else {
                    remediations.get(pid).cloned()
                };
                statements.push(Statement {
                    vulnerability: vulnerability.clone(),
                    aliases: aliases.clone(),
                    products,
                    subcomponents,
                    status,
                    justification,
                    impact_statement,
                    action_statement,
                    timestamp: doc_ts.clone(),
                    source: format!("{doc_id}#{ep}"),
                    version_constraint: None,
                });
            }
        }
    }
    Ok(VexDocument {
        format: Format::Csaf,
        id,
        author,
        timestamp: doc_ts,
        statements,
        problems,
    })
}

fn walk_branch(
    b: &Value,
    path: &str,
    tree: &mut Tree,
    problems: &mut Vec<String>,
) -> Result<(), VexError> {
    let bo = as_object(b, path)?;
    if let Some(p) = bo.get("product") {
        add_product(p, &format!("{path}.product"), tree, problems)?;
    }
    for (i, c) in opt_array(bo, "branches", path)?.iter().enumerate() {
        walk_branch(c, &format!("{path}.branches[{i}]"), tree, problems)?;
    }
    Ok(())
}

fn add_product(
    p: &Value,
    path: &str,
    tree: &mut Tree,
    problems: &mut Vec<String>,
) -> Result<(), VexError> {
    let po = as_object(p, path)?;
    let Some(pid) = typed_opt_str(po, "product_id", path)? else {
        problems.push(format!("{path}: product without product_id (skipped)"));
        return Ok(());
    };
    let ids = ids_of(po, path, problems);
    if !ids.is_empty() {
        tree.products.insert(pid.to_string(), ids);
    }
    Ok(())
}

/// purl/cpe from the identification helper, else the name.
fn ids_of(po: &Obj, path: &str, problems: &mut Vec<String>) -> Vec<ProductId> {
    let mut ids = Vec::new();
    if let Some(h) = po
        .get("product_identification_helper")
        .and_then(Value::as_object)
    {
        let mut candidates: Vec<&str> = Vec::new();
        for key in ["purl", "cpe"] {
            if let Some(s) = opt_str(h, key) {
                candidates.push(s);
            }
        }
        if let Some(a) = h.get("purls").and_then(Value::as_array) {
            candidates.extend(a.iter().filter_map(Value::as_str));
        }
        for c in candidates {
            match classify_id(c) {
                Ok(Some(p)) => push_unique(&mut ids, p),
                Ok(None) => problems.push(format!("{path}: '{c}' is neither purl nor CPE")),
                Err(e) => problems.push(format!("{path}.product_identification_helper: {e}")),
            }
        }
    }
    if ids.is_empty() {
        if let Some(n) = opt_str(po, "name") {
            ids.push(ProductId::Name(n.to_string()));
        }
    }
    ids
}

/// (products, subcomponents) for a product id.
fn resolve_pid(pid: &str, tree: &Tree) -> Option<(Vec<ProductId>, Vec<ProductId>)> {
    if let Some(r) = tree.relationships.get(pid) {
        match (
            tree.products.get(&r.product),
            tree.products.get(&r.component),
        ) {
            (Some(p), Some(c)) => return Some((p.clone(), c.clone())),
            _ if !r.own.is_empty() => return Some((r.own.clone(), Vec::new())),
            _ => return None,
        }
    }
    tree.products.get(pid).map(|p| (p.clone(), Vec::new()))
}

fn expand_ids(o: &Obj, path: &str, tree: &Tree) -> Result<Vec<String>, VexError> {
    let mut out = Vec::new();
    for (k, p) in opt_array(o, "product_ids", path)?.iter().enumerate() {
        match p.as_str() {
            Some(s) => out.push(s.to_string()),
            None => {
                return Err(invalid(
                    &format!("{path}.product_ids[{k}]"),
                    "a string",
                    Some(p),
                ))
            }
        }
    }
    for g in opt_array(o, "group_ids", path)?
        .iter()
        .filter_map(Value::as_str)
    {
        if let Some(members) = tree.groups.get(g) {
            out.extend(members.iter().cloned());
        }
    }
    Ok(out)
}

fn per_product(
    v: &Obj,
    key: &str,
    field: &str,
    path: &str,
    tree: &Tree,
) -> Result<HashMap<String, String>, VexError> {
    let mut map = HashMap::new();
    for (k, e) in opt_array(v, key, path)?.iter().enumerate() {
        let ep = format!("{path}.{key}[{k}]");
        let eo = as_object(e, &ep)?;
        if let Some(text) = typed_opt_str(eo, field, &ep)? {
            for pid in expand_ids(eo, &ep, tree)? {
                map.entry(pid).or_insert_with(|| text.to_string());
            }
        }
    }
    Ok(map)
}

fn per_product_filtered(
    v: &Obj,
    key: &str,
    category: &str,
    path: &str,
    tree: &Tree,
) -> Result<HashMap<String, String>, VexError> {
    let mut map = HashMap::new();
    for (k, e) in opt_array(v, key, path)?.iter().enumerate() {
        let ep = format!("{path}.{key}[{k}]");
        let eo = as_object(e, &ep)?;
        if opt_str(eo, "category") != Some(category) {
            continue;
        }
        if let Some(text) = typed_opt_str(eo, "details", &ep)? {
            for pid in expand_ids(eo, &ep, tree)? {
                map.entry(pid).or_insert_with(|| text.to_string());
            }
        }
    }
    Ok(map)
}
