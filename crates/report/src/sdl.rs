//! IEC 62443-4-1 maturity self-assessment: JSON, Markdown and one self-contained HTML page.
//!
//! The documents give the level of every practice and the overall level, then per practice
//! the rule that capped it, each requirement with the records that name it (and whether a
//! process document and a record of application are among them), the products or releases
//! the practice was applied to, the months of its metrics, what would raise the level by one,
//! the records that did not count and why, the rules and the limits of the assessment.

use crate::html::{esc, md_cell, page};
use crate::ReportError;
use otproof_assess::sdl::{PracticeResult, SdlAssessment};
use otproof_catalog::MaturityLevel;
use std::fmt::Write as _;

fn level_text(l: MaturityLevel) -> String {
    format!("{l} ({})", l.name())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn heading(p: &PracticeResult) -> String {
    format!(
        "Practice {} ({}) {}",
        p.practice.number(),
        p.practice.abbrev(),
        p.name
    )
}

fn meta(a: &SdlAssessment) -> Vec<(&'static str, String)> {
    vec![
        ("Vendor", a.vendor.clone()),
        (
            "Product",
            a.product
                .clone()
                .unwrap_or_else(|| "all products (no filter)".into()),
        ),
        ("Records counted", a.records_considered.to_string()),
        ("Records not counted", a.not_counted.len().to_string()),
        (
            "Overall maturity",
            format!("{}, the lowest practice level", level_text(a.overall)),
        ),
    ]
}

fn counts(p: &PracticeResult) -> (usize, usize, usize, usize) {
    (
        p.requirements.iter().filter(|r| r.process).count(),
        p.requirements.len(),
        p.applied_to.len(),
        p.metrics_periods.len(),
    )
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn next_heading(p: &PracticeResult) -> Option<String> {
    let next = MaturityLevel::new(p.level.level() + 1).ok()?;
    Some(format!("To reach {next} ({})", next.name()))
}

/// The assessment as pretty JSON.
pub fn json(a: &SdlAssessment) -> Result<String, ReportError> {
    Ok(serde_json::to_string_pretty(a)? + "\n")
}

/// The assessment as Markdown.
pub fn markdown(a: &SdlAssessment) -> String {
    let mut o = String::from("# IEC 62443-4-1 maturity self-assessment\n\n");
    if let Some(first) = a.limits.first() {
        let _ = writeln!(o, "> {first}\n");
    }
    o.push_str("| | |\n|---|---|\n");
    for (k, v) in meta(a) {
        let _ = writeln!(o, "| {k} | {} |", md_cell(&v));
    }
    o.push_str("\n## Maturity per practice\n\n| # | Practice | Level | Requirements with a process document | Products/releases applied to | Months with metrics | Capped by |\n|---:|---|---|---:|---:|---:|---|\n");
    for p in &a.practices {
        let (process, n, applied, months) = counts(p);
        let _ = writeln!(
            o,
            "| {} | {} {} | {} | {process}/{n} | {applied} | {months} | {} |",
            p.practice.number(),
            p.practice.abbrev(),
            md_cell(&p.name),
            level_text(p.level),
            md_cell(&p.capped_by)
        );
    }
    let _ = writeln!(
        o,
        "| | **Overall** | **{}** | | | | |",
        level_text(a.overall)
    );
    o.push_str("\n## Rules\n\n");
    for r in &a.rules {
        let _ = writeln!(o, "- {r}");
    }
    for p in &a.practices {
        let _ = writeln!(o, "\n## {}: {}\n", heading(p), level_text(p.level));
        let _ = writeln!(o, "Capped by: {}\n", p.capped_by);
        let _ = writeln!(
            o,
            "Applied to: {}. Metrics months: {}.\n",
            list(&p.applied_to),
            list(&p.metrics_periods)
        );
        o.push_str("| Requirement | Title | Process | Applied | Records naming it |\n|---|---|---|---|---|\n");
        for r in &p.requirements {
            let recs = if r.records.is_empty() {
                "-".to_string()
            } else {
                r.records
                    .iter()
                    .map(|id| format!("`{}`", md_cell(id)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} | {recs} |",
                md_cell(&r.id),
                md_cell(&r.title),
                yes_no(r.process),
                yes_no(r.applied)
            );
        }
        if !p.metrics.is_empty() {
            let _ = writeln!(
                o,
                "\nMetrics or improvement records: {}",
                p.metrics
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        match next_heading(p) {
            Some(h) => {
                let _ = writeln!(o, "\n**{h}:**\n");
                for t in &p.to_next_level {
                    let _ = writeln!(o, "- {t}");
                }
            }
            None => o.push_str("\nThe highest level the records can show is reached.\n"),
        }
    }
    if !a.not_counted.is_empty() {
        o.push_str(
            "\n## Records not counted\n\n| Record | Kind | Title | Why |\n|---|---|---|---|\n",
        );
        for n in &a.not_counted {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} |",
                md_cell(&n.id),
                md_cell(&n.kind),
                md_cell(&n.title),
                md_cell(&n.reason)
            );
        }
    }
    o.push_str("\n## Limits\n\n");
    for l in &a.limits {
        let _ = writeln!(o, "- {l}");
    }
    let _ = writeln!(
        o,
        "\n---\notproof {}: a self-assessment from the records on file ({}).",
        env!("CARGO_PKG_VERSION"),
        a.format
    );
    o
}

/// The assessment as one self-contained HTML page (same content as [`markdown`]).
pub fn html(a: &SdlAssessment) -> String {
    let title = match &a.product {
        Some(p) => format!("IEC 62443-4-1 maturity self-assessment: {} {p}", a.vendor),
        None => format!("IEC 62443-4-1 maturity self-assessment: {}", a.vendor),
    };
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", esc(&title));
    if let Some(first) = a.limits.first() {
        let _ = writeln!(b, "<p class=\"unconfirmed\">{}</p>", esc(first));
    }
    b.push_str("<table class=\"meta\">\n");
    for (k, v) in meta(a) {
        let _ = writeln!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    }
    b.push_str("</table>\n<h2>Maturity per practice</h2>\n<table><thead><tr><th>#</th><th>Practice</th><th>Level</th><th>Requirements with a process document</th><th>Products/releases applied to</th><th>Months with metrics</th><th>Capped by</th></tr></thead><tbody>\n");
    for p in &a.practices {
        let (process, n, applied, months) = counts(p);
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{process}/{n}</td><td>{applied}</td><td>{months}</td><td>{}</td></tr>",
            p.practice.number(),
            esc(p.practice.abbrev()),
            esc(&p.name),
            esc(&level_text(p.level)),
            esc(&p.capped_by)
        );
    }
    let _ = writeln!(
        b,
        "<tr><td></td><td><strong>Overall</strong></td><td><strong>{}</strong></td><td></td><td></td><td></td><td></td></tr>",
        esc(&level_text(a.overall))
    );
    b.push_str("</tbody></table>\n<h2>Rules</h2>\n<ul>\n");
    for r in &a.rules {
        let _ = writeln!(b, "<li>{}</li>", esc(r));
    }
    b.push_str("</ul>\n");
    for p in &a.practices {
        let _ = writeln!(
            b,
            "<h2>{}: {}</h2>",
            esc(&heading(p)),
            esc(&level_text(p.level))
        );
        let _ = writeln!(b, "<p>Capped by: {}</p>", esc(&p.capped_by));
        let _ = writeln!(
            b,
            "<p>Applied to: {}. Metrics months: {}.</p>",
            esc(&list(&p.applied_to)),
            esc(&list(&p.metrics_periods))
        );
        b.push_str("<table><thead><tr><th>Requirement</th><th>Title</th><th>Process</th><th>Applied</th><th>Records naming it</th></tr></thead><tbody>\n");
        for r in &p.requirements {
            let recs = if r.records.is_empty() {
                "-".to_string()
            } else {
                r.records
                    .iter()
                    .map(|id| format!("<code>{}</code>", esc(id)))
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let _ = writeln!(
                b,
                "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{recs}</td></tr>",
                esc(&r.id),
                esc(&r.title),
                yes_no(r.process),
                yes_no(r.applied)
            );
        }
        b.push_str("</tbody></table>\n");
        if !p.metrics.is_empty() {
            let _ = writeln!(
                b,
                "<p>Metrics or improvement records: {}</p>",
                p.metrics
                    .iter()
                    .map(|r| format!("<code>{}</code>", esc(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        match next_heading(p) {
            Some(h) => {
                let _ = writeln!(b, "<h3>{}</h3>\n<ul>", esc(&h));
                for t in &p.to_next_level {
                    let _ = writeln!(b, "<li>{}</li>", esc(t));
                }
                b.push_str("</ul>\n");
            }
            None => b.push_str("<p>The highest level the records can show is reached.</p>\n"),
        }
    }
    if !a.not_counted.is_empty() {
        b.push_str("<h2>Records not counted</h2>\n<table><thead><tr><th>Record</th><th>Kind</th><th>Title</th><th>Why</th></tr></thead><tbody>\n");
        for n in &a.not_counted {
            let _ = writeln!(
                b,
                "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&n.id),
                esc(&n.kind),
                esc(&n.title),
                esc(&n.reason)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    b.push_str("<h2>Limits</h2>\n<ul>\n");
    for l in &a.limits {
        let _ = writeln!(b, "<li>{}</li>", esc(l));
    }
    b.push_str("</ul>\n");
    let _ = writeln!(
        b,
        "<footer>otproof {}: a self-assessment from the records on file ({}).</footer>",
        env!("CARGO_PKG_VERSION"),
        esc(&a.format)
    );
    page(&title, &b)
}
