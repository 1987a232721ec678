//! OSCAL 1.1 JSON: the catalog (groups per FR and practice, controls per requirement, REs as
//! control enhancements, SL and component types as props) and specification profiles.

use otproof_assess::spec::Specification;
use otproof_catalog::{Catalog, Kind, Practice, Requirement, Standard, CATALOG_VERSION};
use serde_json::{json, Value};
use uuid::Uuid;

/// OSCAL version the documents declare.
pub const OSCAL_VERSION: &str = "1.1.2";
/// Namespace of otproof's own props.
pub const OTPROOF_NS: &str = "urn:otproof:iec62443";
/// Date the catalog data was compiled; the catalog's `last-modified`.
pub const CATALOG_DATE: &str = "2026-11-25T00:00:00Z";
/// File name under which the demo and default profiles expect the catalog.
pub const DEFAULT_CATALOG_HREF: &str = "iec62443-catalog.oscal.json";

const UUID_NS: Uuid = Uuid::from_u128(0x6f74_7072_6f6f_4f66_8e62_4433_0000_0001);

/// A name-based (v5) UUID, so that the same input always gives the same document.
pub fn stable_uuid(name: &str) -> String {
    Uuid::new_v5(&UUID_NS, name.as_bytes()).to_string()
}

/// The OSCAL control ID of a catalog row: `CR 1.1 RE2` -> `cr-1.1-re2`, `SVV-3` -> `svv-3`.
pub fn control_id(requirement_id: &str) -> String {
    requirement_id
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_ascii_lowercase()
}

fn prop(name: &str, value: impl ToString) -> Value {
    json!({ "name": name, "ns": OTPROOF_NS, "value": value.to_string() })
}

fn control(c: &Catalog, r: &Requirement) -> Value {
    let id = control_id(&r.id);
    let mut props = vec![
        json!({ "name": "label", "value": r.id }),
        prop("kind", r.kind.label()),
        prop("confirmed", r.confirmed),
    ];
    if let Some(min) = r.min_sl {
        props.push(prop("min-sl", min));
        for (i, on) in r.sl_flags().iter().enumerate() {
            if *on {
                props.push(prop("security-level", i + 1));
            }
        }
    }
    if let Some(d) = r.disputed_sl {
        props.push(prop("disputed-sl", d));
    }
    for t in &r.component_types {
        props.push(prop("component-type", t.slug()));
    }
    if r.kind.is_component_specific() {
        if let Some(p) = &r.parent {
            props.push(prop("fills-slot", p));
        }
    }
    let class = match r.kind {
        Kind::Sr => "system-requirement",
        Kind::Cr => "component-requirement",
        Kind::Re => "requirement-enhancement",
        Kind::Sar | Kind::Edr | Kind::Hdr | Kind::Ndr => "component-specific-requirement",
        Kind::Slot => "component-specific-slot",
        Kind::None => "no-component-requirement",
        Kind::Requirement => "process-requirement",
    };
    let mut ctl = json!({
        "id": id,
        "class": class,
        "title": r.title,
        "props": props,
        "parts": [{ "id": format!("{id}_ovw"), "name": "overview", "prose": r.summary }],
    });
    let enhancements: Vec<Value> = c
        .children(&r.id)
        .into_iter()
        .filter(|ch| ch.kind == Kind::Re)
        .map(|ch| control(c, ch))
        .collect();
    if !enhancements.is_empty() {
        ctl["controls"] = Value::Array(enhancements);
    }
    ctl
}

/// The whole catalog as an OSCAL 1.1 catalog document.
pub fn catalog(c: &Catalog) -> Value {
    let mut groups = Vec::new();
    for std in [Standard::System, Standard::Component] {
        let prefix = if std == Standard::System { "sr" } else { "cr" };
        let fr_groups: Vec<Value> = otproof_catalog::Fr::ALL
            .iter()
            .map(|fr| {
                let controls: Vec<Value> = c
                    .of_standard(std)
                    .filter(|r| r.fr == Some(*fr) && r.kind != Kind::Re)
                    .map(|r| control(c, r))
                    .collect();
                json!({
                    "id": format!("{prefix}-fr{}", fr.number()),
                    "class": "foundational-requirement",
                    "title": format!("{fr} {} ({})", fr.name(), fr.abbrev()),
                    "props": [{ "name": "label", "value": fr.to_string() }],
                    "controls": controls,
                })
            })
            .collect();
        groups.push(json!({
            "id": format!("iec62443-{}", std.slug().trim_start_matches("62443-")),
            "class": "standard",
            "title": std.edition(),
            "groups": fr_groups,
        }));
    }
    let practice_groups: Vec<Value> = Practice::ALL
        .iter()
        .map(|p| {
            json!({
                "id": format!("practice-{}", p.abbrev().to_ascii_lowercase()),
                "class": "practice",
                "title": format!("Practice {} {} ({})", p.number(), p.name(), p.abbrev()),
                "props": [{ "name": "label", "value": p.abbrev() }],
                "controls": c.practice_requirements(*p).into_iter().map(|r| control(c, r)).collect::<Vec<_>>(),
            })
        })
        .collect();
    groups.push(json!({
        "id": "iec62443-4-1",
        "class": "standard",
        "title": Standard::Lifecycle.edition(),
        "parts": [{
            "id": "iec62443-4-1_ml",
            "name": "overview",
            "title": "Maturity levels",
            "prose": c.maturity_levels().iter().map(|m| format!("{m} {}: {}.", m.name(), m.meaning())).collect::<Vec<_>>().join("\n\n"),
        }],
        "groups": practice_groups,
    }));
    json!({
        "catalog": {
            "uuid": stable_uuid(&format!("catalog/{CATALOG_VERSION}")),
            "metadata": {
                "title": "IEC 62443 requirements: identifiers, short titles and security-level applicability (otproof catalog)",
                "last-modified": CATALOG_DATE,
                "version": CATALOG_VERSION,
                "oscal-version": OSCAL_VERSION,
                "remarks": "Identifiers, short titles, security levels and one-line summaries written for otproof; not the text of the IEC standards. Rows with the prop confirmed=false have a security level on which public sources disagree.",
            },
            "groups": groups,
        }
    })
}

/// A specification as an OSCAL profile selecting the catalog's controls.
pub fn profile(spec: &Specification, catalog_href: &str) -> Value {
    let mut ids: Vec<String> = spec
        .technical
        .iter()
        .flat_map(|s| s.requirements.iter().map(|r| control_id(&r.id)))
        .collect();
    ids.extend(
        spec.secure_development
            .practices
            .iter()
            .flat_map(|p| p.requirements.iter().map(|r| control_id(&r.id))),
    );
    let name = serde_json::to_string(&spec.params).unwrap_or_default();
    let mut props = vec![
        prop("component-type", spec.params.component.slug()),
        prop("sl-t", &spec.sl_t_text),
        prop("maturity-level", spec.params.ml.level()),
        prop("support-years", spec.params.support_years),
    ];
    for id in &spec.unconfirmed {
        props.push(prop("unconfirmed-requirement", id));
    }
    json!({
        "profile": {
            "uuid": stable_uuid(&format!("profile/{name}")),
            "metadata": {
                "title": spec.title,
                "last-modified": CATALOG_DATE,
                "version": spec.format,
                "oscal-version": OSCAL_VERSION,
                "props": props,
                "remarks": format!("Selects the IEC 62443-4-2 requirements that apply to a {} at SL-T {} and the IEC 62443-4-1 requirements at {}.", spec.params.component.name(), spec.sl_t_text, spec.params.ml),
            },
            "imports": [{
                "href": catalog_href,
                "include-controls": [{ "with-ids": ids }],
            }],
            "merge": { "as-is": true },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_controls(v: &Value, out: &mut Vec<String>) {
        if let Some(obj) = v.as_object() {
            if let Some(ctls) = obj.get("controls").and_then(Value::as_array) {
                for c in ctls {
                    if let Some(id) = c.get("id").and_then(Value::as_str) {
                        out.push(id.to_string());
                    }
                    all_controls(c, out);
                }
            }
            if let Some(gs) = obj.get("groups").and_then(Value::as_array) {
                for g in gs {
                    all_controls(g, out);
                }
            }
        }
    }

    #[test]
    fn every_catalog_row_is_one_control() {
        let c = Catalog::builtin();
        let doc = catalog(c);
        let mut ids = Vec::new();
        all_controls(&doc["catalog"], &mut ids);
        assert_eq!(ids.len(), c.requirements().len());
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "control ids are unique");
        assert!(ids.contains(&"cr-1.1-re2".to_string()));
        assert!(ids.contains(&"svv-3".to_string()));
        assert_eq!(catalog(c), doc, "deterministic");
    }

    #[test]
    fn control_ids_are_oscal_tokens() {
        for r in Catalog::builtin().requirements() {
            let id = control_id(&r.id);
            let mut chars = id.chars();
            assert!(
                chars.next().is_some_and(|c| c.is_ascii_alphabetic()),
                "{id}"
            );
            assert!(
                chars.all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)),
                "{id}"
            );
        }
    }
}
