//! `otproof sbom check` results: a text table, JSON, SARIF 2.1.0 and a self-contained HTML page,
//! rendered from the check's typed payload ([`SbomCheck`]).

use crate::html::{esc, page};
use crate::ReportError;
use otproof_evidence::payload::sbom_check::{
    severity_name, ComponentMatches, SbomCheck, VulnMatch,
};
use otproof_text::quote;
use serde_json::{json, Value};

/// Requirements an SBOM check supports (see `otproof_catalog::traces::SBOM_CHECK`).
fn requirements() -> Vec<&'static str> {
    otproof_catalog::traces::SBOM_CHECK.to_vec()
}

/// A whole message (its names already quoted where it was made) as one safe line.
fn one_line(s: &str) -> String {
    otproof_text::quote_max(s, otproof_text::LINE_MAX)
}

fn label(c: &ComponentMatches) -> String {
    c.label()
}

fn vex_cell(v: &VulnMatch) -> String {
    match &v.vex {
        Some(x) => match &x.justification {
            Some(j) => format!("{} ({j})", x.status.as_str()),
            None => x.status.as_str().to_string(),
        },
        None => "-".into(),
    }
}

/// The vulnerability data a check used, in one line: database, sources with record counts,
/// import date, records rejected at import, age and staleness.
pub fn data_line(r: &SbomCheck) -> String {
    let Some(d) = &r.vulnerability_data else {
        return "vulnerability data: not recorded".into();
    };
    let sources: Vec<String> = d
        .sources
        .iter()
        .map(|s| format!("{} {}", s.source, s.records))
        .collect();
    format!(
        "vulnerability data: {} ({} record(s): {}); imported {}; {} record(s) rejected at import; newest record {}{}{}",
        d.database,
        d.records,
        if sources.is_empty() { "none".into() } else { sources.join(", ") },
        d.imported_at.as_deref().unwrap_or("-"),
        d.rejected_at_import,
        d.data_as_of.as_deref().unwrap_or("-"),
        match d.age_days {
            Some(a) => format!(", {a} day(s) old"),
            None => String::new(),
        },
        match (d.stale, d.max_age_days) {
            (true, Some(m)) => format!(" -- STALE: older than the {m} days allowed"),
            (false, Some(m)) => format!(" (at most {m} days allowed)"),
            _ => String::new(),
        }
    )
}

/// JSON: the whole report with the requirement trace and the vulnerability data used.
pub fn json(r: &SbomCheck) -> Result<String, ReportError> {
    let mut v = serde_json::to_value(r)?;
    if let Value::Object(m) = &mut v {
        m.insert("requirements".into(), json!(requirements()));
    }
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

/// A text table of the vulnerable components (and the verdict) for a terminal.
pub fn table(r: &SbomCheck) -> String {
    let mut rows: Vec<[String; 7]> = Vec::new();
    for c in &r.components {
        for v in &c.vulnerabilities {
            // Every cell from the SBOM, VEX or vulnerability data is one quoted line.
            rows.push([
                quote(&label(c)),
                quote(&v.id),
                severity_name(v.severity).to_string(),
                if v.kev { "KEV".into() } else { String::new() },
                quote(&vex_cell(v)),
                v.fixed.as_deref().map(quote).unwrap_or_else(|| "-".into()),
                format!("{:?}", v.confidence).to_lowercase(),
            ]);
        }
    }
    let head = [
        "COMPONENT",
        "VULNERABILITY",
        "SEVERITY",
        "KEV",
        "VEX",
        "FIXED IN",
        "MATCH",
    ];
    let mut w: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            w[i] = w[i].max(cell.chars().count()).min(60);
        }
    }
    let mut out = format!(
        "{} ({}), {} components\n",
        r.sbom
            .subject
            .as_deref()
            .map(quote)
            .unwrap_or_else(|| "SBOM".into()),
        quote(&r.sbom.format),
        r.sbom.components
    );
    if rows.is_empty() {
        out.push_str("no known vulnerabilities in the offline data\n");
    } else {
        let line = |cells: &[&str]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let c: String = c.chars().take(60).collect();
                s.push_str(&format!("{c:<width$}  ", width = w[i]));
            }
            s.trim_end().to_string() + "\n"
        };
        out.push_str(&line(&head));
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            out.push_str(&line(&cells));
        }
    }
    let t = &r.totals;
    let sev: Vec<String> = t
        .open_by_severity
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    out.push_str(&format!(
        "\n{} vulnerable component(s); {} finding(s), {} cleared by VEX, {} open ({}), {} open in KEV\n",
        t.vulnerable_components,
        t.vulnerabilities,
        t.cleared_by_vex,
        t.vulnerabilities - t.cleared_by_vex,
        if sev.is_empty() { "none".into() } else { sev.join(", ") },
        t.open_kev
    ));
    let gaps: Vec<&str> = r
        .ntia
        .elements
        .iter()
        .filter(|e| !e.ok)
        .map(|e| e.element.as_str())
        .collect();
    out.push_str(&format!(
        "NTIA minimum elements: {}\n",
        if gaps.is_empty() {
            "all present".to_string()
        } else {
            format!("missing {}", gaps.join(", "))
        }
    ));
    if !r.sbom.problems.is_empty() {
        out.push_str(&format!(
            "{} problem(s) reading the SBOM (components kept), e.g. {}\n",
            r.sbom.problems.len(),
            one_line(&r.sbom.problems[0].to_string())
        ));
    }
    out.push_str(&data_line(r));
    out.push('\n');
    if r.verdict.passed {
        out.push_str("policy: passed\n");
    } else {
        out.push_str("policy: FAILED\n");
        for reason in &r.verdict.reasons {
            out.push_str(&format!("  - {}\n", one_line(reason)));
        }
    }
    out
}

fn level(v: &VulnMatch) -> &'static str {
    if v.cleared() {
        "none"
    } else {
        match severity_name(v.severity) {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        }
    }
}

/// SARIF 2.1.0: one rule per vulnerability, one result per (component, vulnerability);
/// results VEX clears carry a `suppressions` entry with the statement, as SARIF intends.
pub fn sarif(r: &SbomCheck, sbom_uri: &str) -> Result<String, ReportError> {
    let mut rules: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut results = Vec::new();
    for c in &r.components {
        for v in &c.vulnerabilities {
            if seen.insert(v.id.clone()) {
                rules.push(json!({
                    "id": v.id,
                    "shortDescription": {"text": v.summary.clone().unwrap_or_else(|| v.id.clone())},
                    "properties": {
                        "aliases": v.aliases,
                        "security-severity": format!("{:.1}", v.score.unwrap_or(0.0)),
                        "cvss": v.cvss,
                        "kev": v.kev,
                        "requirements": requirements(),
                    },
                }));
            }
            let mut res = json!({
                "ruleId": v.id,
                "level": level(v),
                "message": {"text": format!(
                    "{} in {} ({} severity{}{}){}",
                    v.id,
                    label(c),
                    severity_name(v.severity),
                    if v.kev { ", known exploited" } else { "" },
                    v.fixed.as_ref().map(|f| format!(", fixed in {f}")).unwrap_or_default(),
                    v.note.as_ref().map(|n| format!("; {n}")).unwrap_or_default(),
                )},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": sbom_uri}},
                    "logicalLocations": [{
                        "name": c.purl.clone().unwrap_or_else(|| label(c)),
                        "fullyQualifiedName": c.bom_ref,
                        "kind": "package",
                    }],
                }],
                "partialFingerprints": {"otproof/v1": format!("{}/{}", v.id, c.purl.clone().unwrap_or_else(|| label(c)))},
                "properties": {
                    "severity": severity_name(v.severity),
                    "kev": v.kev,
                    "confidence": v.confidence,
                    "vex": v.vex,
                },
            });
            if let (Some(x), true) = (&v.vex, v.cleared()) {
                res["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!(
                        "VEX {}{} ({})",
                        x.status.as_str(),
                        x.justification.as_ref().map(|j| format!(": {j}")).unwrap_or_default(),
                        x.source
                    ),
                }]);
            }
            results.push(res);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "otproof", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
            "properties": {"verdict": r.verdict, "totals": r.totals},
        }],
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// One self-contained HTML page: verdict, totals, NTIA, vulnerabilities with VEX, components.
pub fn html(r: &SbomCheck, sbom_name: &str) -> String {
    let mut b = String::new();
    let title = format!(
        "SBOM check: {}",
        r.sbom.subject.as_deref().unwrap_or(sbom_name)
    );
    b.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
    b.push_str("<table class=\"meta\">\n");
    let meta = [
        ("SBOM", sbom_name.to_string()),
        ("Format", r.sbom.format.clone()),
        (
            "Serial",
            r.sbom.serial.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "Created",
            r.sbom.created.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Components", r.sbom.components.to_string()),
        ("Requirements", requirements().join(", ")),
        (
            "Vulnerability data",
            data_line(r)
                .trim_start_matches("vulnerability data: ")
                .to_string(),
        ),
        (
            "Verdict",
            if r.verdict.passed {
                "passed".to_string()
            } else {
                format!("FAILED: {}", r.verdict.reasons.join("; "))
            },
        ),
    ];
    for (k, v) in meta {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>\n",
            esc(k),
            esc(&v)
        ));
    }
    b.push_str("</table>\n");
    let t = &r.totals;
    b.push_str(&format!(
        "<p>{} vulnerable component(s); {} finding(s), {} cleared by VEX, {} open, {} open in the CISA KEV catalog.</p>\n",
        t.vulnerable_components,
        t.vulnerabilities,
        t.cleared_by_vex,
        t.vulnerabilities - t.cleared_by_vex,
        t.open_kev
    ));
    b.push_str("<h2>Vulnerabilities</h2>\n<table><thead><tr><th>Component</th><th>Vulnerability</th><th>Severity</th><th>KEV</th><th>VEX</th><th>Fixed in</th><th>Match</th></tr></thead><tbody>\n");
    for c in &r.components {
        for v in &c.vulnerabilities {
            let ids = if v.aliases.is_empty() {
                esc(&v.id)
            } else {
                format!(
                    "{}<br><span class=\"muted\">{}</span>",
                    esc(&v.id),
                    esc(&v.aliases.join(", "))
                )
            };
            b.push_str(&format!(
                "<tr><td><code>{}</code></td><td class=\"id\">{}</td><td>{}{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&label(c)),
                ids,
                severity_name(v.severity),
                v.score.map(|s| format!(" ({s:.1})")).unwrap_or_default(),
                if v.kev { "yes" } else { "" },
                esc(&vex_cell(v)),
                v.vex
                    .as_ref()
                    .map(|x| format!("<br><span class=\"muted\">{}</span>", esc(&x.source)))
                    .unwrap_or_default(),
                esc(v.fixed.as_deref().unwrap_or("-")),
                esc(&format!("{:?}", v.confidence).to_lowercase()),
            ));
        }
    }
    b.push_str("</tbody></table>\n");
    b.push_str("<h2>NTIA minimum elements</h2>\n<table><thead><tr><th>Element</th><th>Present</th><th>Missing in</th></tr></thead><tbody>\n");
    for e in &r.ntia.elements {
        let missing: Vec<&str> = e.missing.iter().take(20).map(String::as_str).collect();
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}{}</td></tr>\n",
            esc(&e.element),
            if e.ok { "yes" } else { "no" },
            esc(&missing.join(", ")),
            if e.missing.len() > 20 {
                format!(" and {} more", e.missing.len() - 20)
            } else {
                String::new()
            }
        ));
    }
    b.push_str("</tbody></table>\n");
    if !r.sbom.problems.is_empty() {
        b.push_str("<h2>Problems reading the SBOM</h2>\n<p class=\"muted\">Components are kept; these are reported, not dropped.</p>\n<ul>\n");
        for p in &r.sbom.problems {
            b.push_str(&format!("<li>{}</li>\n", esc(p)));
        }
        b.push_str("</ul>\n");
    }
    b.push_str("<h2>Components</h2>\n<table><thead><tr><th>Component</th><th>Package URL</th><th>Supplier</th><th>Hashes</th><th>Lookup</th></tr></thead><tbody>\n");
    for c in &r.components {
        b.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&label(c)),
            esc(c.purl.as_deref().unwrap_or("-")),
            esc(c.supplier.as_deref().unwrap_or("-")),
            c.hashes,
            c.lookup
        ));
    }
    b.push_str("</tbody></table>\n");
    b.push_str(&format!(
        "<footer>otproof {}: offline vulnerability data; VEX statements apply to a vulnerability and a component together.</footer>\n",
        env!("CARGO_PKG_VERSION")
    ));
    page(&title, &b)
}
