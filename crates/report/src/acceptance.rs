//! Product acceptance decisions: JSON, Markdown and one self-contained HTML page.
//!
//! The decision (accept, accept with exceptions, reject) comes first, then the product, every
//! criterion with its result and the evidence record IDs behind it, the exceptions with their
//! owners and end dates, the warnings and the known limitations of the check.

use crate::html::{esc, md_cell, page};
use crate::ReportError;
use otproof_assess::acceptance::{AcceptanceResult, PackageManifest};
use otproof_evidence::Verdict;
use serde::Serialize;
use std::fmt::Write as _;

/// The decision in words: `accept` → `ACCEPT`, `accept-with-exceptions` →
/// `ACCEPT WITH EXCEPTIONS`, `reject` → `REJECT`.
fn decision_word(d: Verdict) -> String {
    d.name().replace('-', " ").to_uppercase()
}

/// What the decision means, in one sentence.
fn decision_meaning(d: Verdict) -> &'static str {
    match d {
        Verdict::Accept => "Every required criterion is met.",
        Verdict::AcceptWithExceptions => {
            "Every required criterion is met or covered by an agreed exception; each exception is a risk its owner accepted until its date."
        }
        Verdict::Reject => {
            "At least one required criterion is not met and no valid exception covers it."
        }
        _ => "",
    }
}

/// The kebab-case name of a serialisable value (a criterion result: `pass`, `fail`,
/// `exception`, `not-applicable`).
fn word<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

fn summary(r: &AcceptanceResult) -> String {
    let n = r.decision.criteria.len();
    let count = |w: &str| {
        r.decision
            .criteria
            .iter()
            .filter(|c| word(&c.result) == w)
            .count()
    };
    let optional = count("not-applicable");
    format!(
        "{n} criteria: {} pass, {} fail, {} under an exception{}",
        count("pass"),
        count("fail"),
        count("exception"),
        if optional > 0 {
            format!(", {optional} optional not met (not counted as failed)")
        } else {
            String::new()
        }
    )
}

/// IDs of the optional criteria, from the decision's payload.
fn optional_ids(r: &AcceptanceResult) -> Vec<String> {
    <otproof_evidence::payload::acceptance::AcceptancePayload as otproof_evidence::Payload>::from_value(&r.decision.payload)
        .map(|p| p.optional)
        .unwrap_or_default()
}

/// A criterion's result in words: `pass`, `fail`, `exception`, and for an optional criterion
/// `pass (optional)` or `optional, not met`.
fn result_word(c: &otproof_evidence::Criterion, optional: &[String]) -> String {
    let w = word(&c.result);
    if optional.contains(&c.id) {
        match w.as_str() {
            "not-applicable" | "fail" => "optional, not met".into(),
            _ => format!("{w} (optional)"),
        }
    } else {
        w
    }
}

fn meta(r: &AcceptanceResult, m: &PackageManifest) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("Product", m.product.clone()),
        ("Vendor", m.vendor.clone()),
        ("Version", m.version.clone()),
        ("Component type", m.component_type.name().to_string()),
    ];
    if let Ok(p) = <otproof_evidence::payload::acceptance::AcceptancePayload as otproof_evidence::Payload>::from_value(&r.decision.payload) {
        rows.push(("Decided on", p.decided_on));
    }
    rows.push(("Decided by", r.decision.decided_by.clone()));
    if let Some(s) = &m.support {
        rows.push(("End of support (stated)", s.end_of_support.clone()));
    }
    if !r.decision.requirements.is_empty() {
        rows.push(("Requirements", r.decision.requirements.join(", ")));
    }
    rows
}

/// The acceptance result as pretty JSON (the decision record's body, warnings, limitations).
pub fn json(r: &AcceptanceResult) -> Result<String, ReportError> {
    Ok(serde_json::to_string_pretty(r)? + "\n")
}

/// The acceptance result as Markdown.
pub fn markdown(r: &AcceptanceResult, m: &PackageManifest) -> String {
    let d = &r.decision;
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", d.title);
    let _ = writeln!(o, "## Decision: {}\n", decision_word(d.decision));
    let meaning = decision_meaning(d.decision);
    if meaning.is_empty() {
        let _ = writeln!(o, "{}.\n", summary(r));
    } else {
        let _ = writeln!(o, "{meaning} {}.\n", summary(r));
    }
    o.push_str("| | |\n|---|---|\n");
    for (k, v) in meta(r, m) {
        let _ = writeln!(o, "| {k} | {} |", md_cell(&v));
    }
    o.push_str("\n## Criteria\n\n| Criterion | Description | Result | Evidence records |\n|---|---|---|---|\n");
    let optional = optional_ids(r);
    for c in &d.criteria {
        let result = result_word(c, &optional);
        let result = if result.starts_with("pass") || result.starts_with("optional") {
            result
        } else {
            format!("**{result}**")
        };
        let ev = if c.evidence.is_empty() {
            "-".to_string()
        } else {
            c.evidence
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            o,
            "| `{}` | {} | {result} | {ev} |",
            md_cell(&c.id),
            md_cell(&c.description)
        );
    }
    o.push_str("\n## Exceptions\n\n");
    if d.exceptions.is_empty() {
        o.push_str("None.\n");
    } else {
        o.push_str("| Criterion | Justification | Owner | Until |\n|---|---|---|---|\n");
        for e in &d.exceptions {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} |",
                md_cell(&e.criterion),
                md_cell(&e.justification),
                md_cell(&e.owner),
                md_cell(e.until.as_deref().unwrap_or("no end date"))
            );
        }
    }
    o.push_str("\n## Warnings\n\n");
    if r.warnings.is_empty() {
        o.push_str("None.\n");
    } else {
        for w in &r.warnings {
            let _ = writeln!(o, "- {}", w.replace('\n', " "));
        }
    }
    o.push_str("\n## Known limitations\n\n");
    for l in &r.limitations {
        let _ = writeln!(o, "- {}", l.replace('\n', " "));
    }
    let files = m.files();
    if !files.is_empty() {
        o.push_str("\n## Package contents\n\n| Role | File |\n|---|---|\n");
        for (role, path) in files {
            let _ = writeln!(o, "| {role} | `{}` |", md_cell(path));
        }
    }
    let _ = writeln!(
        o,
        "\n---\notproof {}: the decision follows from the criteria and the facts established from the package; see the limitations.",
        env!("CARGO_PKG_VERSION")
    );
    o
}

const BANNER: &str = "border:2px solid var(--accent);padding:.6rem .9rem;margin:1rem 0;font-size:1.3rem;font-weight:700;";
const FAIL: &str = "color:#b42318;font-weight:700;";

fn banner_color(d: Verdict) -> &'static str {
    match d {
        Verdict::Accept => "border-color:#1a7f37;color:#1a7f37;",
        Verdict::Reject => "border-color:#b42318;color:#b42318;",
        _ => "border-color:var(--warn);color:var(--warn);",
    }
}

/// The acceptance result as one self-contained HTML page (same content as [`markdown`]).
pub fn html(r: &AcceptanceResult, m: &PackageManifest) -> String {
    let d = &r.decision;
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", esc(&d.title));
    let _ = writeln!(
        b,
        "<p class=\"decision\" style=\"{BANNER}{}\">Decision: {}</p>",
        banner_color(d.decision),
        esc(&decision_word(d.decision))
    );
    let meaning = decision_meaning(d.decision);
    let _ = writeln!(
        b,
        "<p>{}{}.</p>",
        if meaning.is_empty() {
            String::new()
        } else {
            format!("{} ", esc(meaning))
        },
        esc(&summary(r))
    );
    b.push_str("<table class=\"meta\">\n");
    for (k, v) in meta(r, m) {
        let _ = writeln!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    }
    b.push_str("</table>\n<h2>Criteria</h2>\n<table><thead><tr><th>Criterion</th><th>Description</th><th>Result</th><th>Evidence records</th></tr></thead><tbody>\n");
    let optional = optional_ids(r);
    for c in &d.criteria {
        let result = result_word(c, &optional);
        let cell = match result.as_str() {
            r if r.starts_with("pass") => esc(r),
            "exception" | "optional, not met" => {
                format!("<span class=\"unconfirmed\">{}</span>", esc(&result))
            }
            _ => format!("<span style=\"{FAIL}\">{}</span>", esc(&result)),
        };
        let ev = if c.evidence.is_empty() {
            "-".to_string()
        } else {
            c.evidence
                .iter()
                .map(|id| format!("<code>{}</code>", esc(&id.to_string())))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"id\">{}</td><td>{}</td><td>{cell}</td><td>{ev}</td></tr>",
            esc(&c.id),
            esc(&c.description)
        );
    }
    b.push_str("</tbody></table>\n<h2>Exceptions</h2>\n");
    if d.exceptions.is_empty() {
        b.push_str("<p>None.</p>\n");
    } else {
        b.push_str("<table><thead><tr><th>Criterion</th><th>Justification</th><th>Owner</th><th>Until</th></tr></thead><tbody>\n");
        for e in &d.exceptions {
            let _ = writeln!(
                b,
                "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.criterion),
                esc(&e.justification),
                esc(&e.owner),
                esc(e.until.as_deref().unwrap_or("no end date"))
            );
        }
        b.push_str("</tbody></table>\n");
    }
    b.push_str("<h2>Warnings</h2>\n");
    if r.warnings.is_empty() {
        b.push_str("<p>None.</p>\n");
    } else {
        b.push_str("<ul>\n");
        for w in &r.warnings {
            let _ = writeln!(b, "<li class=\"unconfirmed\">{}</li>", esc(w));
        }
        b.push_str("</ul>\n");
    }
    b.push_str("<h2>Known limitations</h2>\n<ul>\n");
    for l in &r.limitations {
        let _ = writeln!(b, "<li>{}</li>", esc(l));
    }
    b.push_str("</ul>\n");
    let files = m.files();
    if !files.is_empty() {
        b.push_str("<h2>Package contents</h2>\n<table><thead><tr><th>Role</th><th>File</th></tr></thead><tbody>\n");
        for (role, path) in files {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td><code>{}</code></td></tr>",
                esc(role),
                esc(path)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    let _ = writeln!(
        b,
        "<footer>otproof {}: the decision follows from the criteria and the facts established from the package; see the limitations.</footer>",
        env!("CARGO_PKG_VERSION")
    );
    page(&d.title, &b)
}

#[cfg(test)]
mod tests {
    use super::{decision_word, Verdict};

    #[test]
    fn decision_words() {
        assert_eq!(decision_word(Verdict::Accept), "ACCEPT");
        assert_eq!(
            decision_word(Verdict::AcceptWithExceptions),
            "ACCEPT WITH EXCEPTIONS"
        );
        assert_eq!(decision_word(Verdict::Reject), "REJECT");
    }
}
