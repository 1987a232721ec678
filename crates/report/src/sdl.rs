//! IEC 62443-4-1 maturity self-assessment: JSON, Markdown and one self-contained HTML page.
//!
//! The documents give the level of every practice and the overall level, then per practice
//! each requirement with the records that support it (and whether a process record and an
//! applied record are among them), the reviews that count, what would raise the level by
//! one, and the limits of the assessment.

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
        (
            "Product",
            a.product
                .clone()
                .unwrap_or_else(|| "all products (no filter)".into()),
        ),
        ("Records considered", a.records_considered.to_string()),
        (
            "Overall maturity",
            format!("{}, the lowest practice level", level_text(a.overall)),
        ),
    ]
}

fn counts(p: &PracticeResult) -> (usize, usize, usize) {
    (
        p.requirements.iter().filter(|r| r.process).count(),
        p.requirements.iter().filter(|r| r.applied).count(),
        p.requirements.len(),
    )
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
    o.push_str("\n## Maturity per practice\n\n| # | Practice | Level | Requirements with a process record | with an applied record | Reviews |\n|---:|---|---|---:|---:|---:|\n");
    for p in &a.practices {
        let (process, applied, n) = counts(p);
        let _ = writeln!(
            o,
            "| {} | {} {} | {} | {process}/{n} | {applied}/{n} | {} |",
            p.practice.number(),
            p.practice.abbrev(),
            md_cell(&p.name),
            level_text(p.level),
            p.reviews.len()
        );
    }
    let _ = writeln!(o, "| | **Overall** | **{}** | | | |", level_text(a.overall));
    o.push_str("\nML 2 needs a process record (document, certificate, specification) for every requirement of the practice; ML 3 in addition an applied record (the process used on a product) for every requirement; ML 4 in addition a review newer than the practice's newest process record.\n");
    for p in &a.practices {
        let _ = writeln!(o, "\n## {}: {}\n", heading(p), level_text(p.level));
        o.push_str("| Requirement | Title | Process | Applied | Supporting records |\n|---|---|---|---|---|\n");
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
        if !p.reviews.is_empty() {
            let _ = writeln!(
                o,
                "\nReviews newer than the newest process record: {}",
                p.reviews
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
        Some(p) => format!("IEC 62443-4-1 maturity self-assessment: {p}"),
        None => "IEC 62443-4-1 maturity self-assessment".to_string(),
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
    b.push_str("</table>\n<h2>Maturity per practice</h2>\n<table><thead><tr><th>#</th><th>Practice</th><th>Level</th><th>Requirements with a process record</th><th>with an applied record</th><th>Reviews</th></tr></thead><tbody>\n");
    for p in &a.practices {
        let (process, applied, n) = counts(p);
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{process}/{n}</td><td>{applied}/{n}</td><td>{}</td></tr>",
            p.practice.number(),
            esc(p.practice.abbrev()),
            esc(&p.name),
            esc(&level_text(p.level)),
            p.reviews.len()
        );
    }
    let _ = writeln!(
        b,
        "<tr><td></td><td><strong>Overall</strong></td><td><strong>{}</strong></td><td></td><td></td><td></td></tr>",
        esc(&level_text(a.overall))
    );
    b.push_str("</tbody></table>\n<p class=\"muted\">ML 2 needs a process record (document, certificate, specification) for every requirement of the practice; ML 3 in addition an applied record (the process used on a product) for every requirement; ML 4 in addition a review newer than the practice's newest process record.</p>\n");
    for p in &a.practices {
        let _ = writeln!(
            b,
            "<h2>{}: {}</h2>",
            esc(&heading(p)),
            esc(&level_text(p.level))
        );
        b.push_str("<table><thead><tr><th>Requirement</th><th>Title</th><th>Process</th><th>Applied</th><th>Supporting records</th></tr></thead><tbody>\n");
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
        if !p.reviews.is_empty() {
            let _ = writeln!(
                b,
                "<p>Reviews newer than the newest process record: {}</p>",
                p.reviews
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
