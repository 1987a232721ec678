//! Catalog renderings: JSON rows, the JSON export, CSV, text tables and the `show` page.

use crate::ReportError;
use otproof_catalog::{Catalog, Fr, Requirement, CATALOG_VERSION};
use serde::Serialize;
use serde_json::{json, Value};

/// One catalog row as machine output (`catalog list --json`, the JSON export, CSV).
#[derive(Debug, Clone, Serialize)]
pub struct Row<'a> {
    /// `CR 3.5`, `SVV-3`...
    pub id: &'a str,
    /// `SR`, `CR`, `RE`, `SAR`, `EDR`, `HDR`, `NDR`, `SLOT`, `NONE` or `requirement` (4-1).
    pub kind: &'static str,
    /// `62443-3-3`, `62443-4-2` or `62443-4-1`.
    pub standard: &'static str,
    /// FR number 1..7 (null for 4-1).
    pub fr: Option<u8>,
    /// FR abbreviation (null for 4-1).
    pub fr_abbrev: Option<&'static str>,
    /// 4-1 practice (null otherwise).
    pub practice: Option<&'static str>,
    /// Base requirement of an RE, or slot a component-specific requirement fills.
    pub parent: Option<&'a str>,
    /// Short title.
    pub title: &'a str,
    /// Our one-line summary.
    pub summary: &'a str,
    /// Lowest SL that requires it (null for 4-1, slots, no-requirement rows).
    pub min_sl: Option<u8>,
    /// The SLs (1..4) at which it is required.
    pub security_levels: Vec<u8>,
    /// Component types (4-2).
    pub component_types: Vec<&'static str>,
    /// False when public sources disagree on the SL.
    pub confirmed: bool,
    /// The other source's SL, when unconfirmed.
    pub disputed_sl: Option<u8>,
}

/// The machine form of a requirement.
pub fn row(r: &Requirement) -> Row<'_> {
    Row {
        id: &r.id,
        kind: r.kind.label(),
        standard: r.standard.slug(),
        fr: r.fr.map(Fr::number),
        fr_abbrev: r.fr.map(Fr::abbrev),
        practice: r.practice.map(|p| p.abbrev()),
        parent: r.parent.as_deref(),
        title: &r.title,
        summary: &r.summary,
        min_sl: r.min_sl,
        security_levels: r
            .sl_flags()
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(i, _)| i as u8 + 1)
            .collect(),
        component_types: r.component_types.iter().map(|t| t.slug()).collect(),
        confirmed: r.confirmed,
        disputed_sl: r.disputed_sl,
    }
}

/// A JSON array of rows (`catalog list --json`).
pub fn rows_json(rows: &[&Requirement]) -> Result<String, ReportError> {
    let v: Vec<Row<'_>> = rows.iter().map(|r| row(r)).collect();
    Ok(serde_json::to_string_pretty(&v)?)
}

/// The full JSON export: FRs, practices, maturity levels and every row.
pub fn export_json(c: &Catalog) -> Result<String, ReportError> {
    let doc = json!({
        "format": "otproof-catalog/1",
        "catalog": CATALOG_VERSION,
        "notice": "Identifiers, short titles, security levels and one-line summaries written for otproof; not the text of the IEC standards.",
        "foundational_requirements": Fr::ALL.iter().map(|f| json!({"fr": f.number(), "abbrev": f.abbrev(), "name": f.name()})).collect::<Vec<_>>(),
        "practices": otproof_catalog::Practice::ALL.iter().map(|p| json!({"practice": p.abbrev(), "number": p.number(), "name": p.name()})).collect::<Vec<_>>(),
        "maturity_levels": c.maturity_levels().iter().map(|m| json!({"ml": m.level(), "name": m.name(), "meaning": m.meaning()})).collect::<Vec<_>>(),
        "requirements": c.requirements().iter().map(row).collect::<Vec<_>>(),
    });
    Ok(serde_json::to_string_pretty(&doc)?)
}

/// CSV with one row per requirement.
pub fn export_csv(rows: &[&Requirement]) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ReportError::Csv(e.to_string());
    w.write_record([
        "standard",
        "id",
        "kind",
        "parent",
        "fr",
        "practice",
        "title",
        "min_sl",
        "sl1",
        "sl2",
        "sl3",
        "sl4",
        "component_types",
        "confirmed",
        "disputed_sl",
        "summary",
    ])
    .map_err(err)?;
    for r in rows {
        let flags = r.sl_flags();
        let x = |b: bool| if b { "x" } else { "" }.to_string();
        w.write_record([
            r.standard.slug().to_string(),
            r.id.clone(),
            r.kind.label().to_string(),
            r.parent.clone().unwrap_or_default(),
            r.fr.map(|f| f.number().to_string()).unwrap_or_default(),
            r.practice
                .map(|p| p.abbrev().to_string())
                .unwrap_or_default(),
            r.title.clone(),
            r.min_sl.map(|l| l.to_string()).unwrap_or_default(),
            x(flags[0]),
            x(flags[1]),
            x(flags[2]),
            x(flags[3]),
            r.component_types
                .iter()
                .map(|t| t.slug())
                .collect::<Vec<_>>()
                .join(" "),
            r.confirmed.to_string(),
            r.disputed_sl.map(|l| l.to_string()).unwrap_or_default(),
            r.summary.clone(),
        ])
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Csv(e.to_string()))
}

fn types_short(r: &Requirement) -> String {
    if r.component_types.len() == 4 {
        "all".to_string()
    } else {
        r.component_types
            .iter()
            .map(|t| t.requirement_prefix())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A plain-text table for terminals.
pub fn table(rows: &[&Requirement]) -> String {
    let id_w = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let mut out = format!(
        "{:<id_w$}  {:<11}  {:<6}  {:<6}  {:<5}  {}\n",
        "ID", "KIND", "FR", "MIN SL", "TYPES", "TITLE"
    );
    for r in rows {
        let fr =
            r.fr.map(|f| format!("{} {}", f.number(), f.abbrev()))
                .or_else(|| r.practice.map(|p| p.abbrev().to_string()))
                .unwrap_or_default();
        let sl = r
            .min_sl
            .map(|l| l.to_string())
            .unwrap_or_else(|| "-".into());
        let mark = if r.confirmed { "" } else { "  [unconfirmed]" };
        out.push_str(&format!(
            "{:<id_w$}  {:<11}  {:<6}  {:<6}  {:<5}  {}{}\n",
            r.id,
            r.kind.label(),
            fr,
            sl,
            types_short(r),
            r.title,
            mark
        ));
    }
    out.push_str(&format!("{} row(s)\n", rows.len()));
    out
}

/// The `catalog show` page for one requirement.
pub fn show(c: &Catalog, r: &Requirement) -> String {
    let mut out = format!("{}  {}\n", r.id, r.title);
    let mut field = |k: &str, v: String| out.push_str(&format!("  {k:<16} {v}\n"));
    field("standard", r.standard.edition().to_string());
    field("kind", r.kind.label().to_string());
    if let Some(fr) = r.fr {
        field("FR", format!("{fr} {} ({})", fr.name(), fr.abbrev()));
    }
    if let Some(p) = r.practice {
        field(
            "practice",
            format!("{} {} (practice {})", p.abbrev(), p.name(), p.number()),
        );
    }
    if let Some(p) = &r.parent {
        field("parent", p.clone());
    }
    field("summary", r.summary.clone());
    if let Some(min) = r.min_sl {
        let flags = r.sl_flags();
        field(
            "security levels",
            format!(
                "required from SL {min}  [SL1 {} SL2 {} SL3 {} SL4 {}]",
                if flags[0] { "x" } else { "-" },
                if flags[1] { "x" } else { "-" },
                if flags[2] { "x" } else { "-" },
                if flags[3] { "x" } else { "-" },
            ),
        );
    }
    if !r.component_types.is_empty() {
        field(
            "component types",
            r.component_types
                .iter()
                .map(|t| t.slug())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if !r.confirmed {
        field(
            "confirmed",
            format!(
                "no: public sources disagree on the SL (another gives SL {})",
                r.disputed_sl
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "?".into())
            ),
        );
    }
    let children = c.children(&r.id);
    if !children.is_empty() {
        field(
            "enhancements",
            children
                .iter()
                .filter(|ch| ch.is_enhancement())
                .map(|ch| ch.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        let fillers: Vec<&str> = children
            .iter()
            .filter(|ch| ch.kind.is_component_specific())
            .map(|ch| ch.id.as_str())
            .collect();
        if !fillers.is_empty() {
            field("filled by", fillers.join(", "));
        }
    }
    let related: Vec<&str> = c
        .suggest(&r.id)
        .into_iter()
        .filter(|id| *id != r.id)
        .collect();
    if !related.is_empty() {
        field("same number", related.join(", "));
    }
    out.lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect::<String>()
}

/// `show` as JSON: the row plus its children.
pub fn show_json(c: &Catalog, r: &Requirement) -> Result<String, ReportError> {
    let mut v: Value = serde_json::to_value(row(r))?;
    v["children"] = json!(c
        .children(&r.id)
        .iter()
        .map(|ch| ch.id.as_str())
        .collect::<Vec<_>>());
    Ok(serde_json::to_string_pretty(&v)?)
}
