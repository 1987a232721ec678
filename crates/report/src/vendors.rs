//! Vendor scores and their comparison: JSON, Markdown and one self-contained HTML page.
//!
//! Every document puts the vendors side by side (dimension × vendor, the weighted total and
//! the ranking), then gives each vendor's dimension scores, gaps and the trace of every item
//! (points, the reason, the evidence found and the references that did not resolve), so that
//! every point can be followed back to an answer and its evidence.

use crate::html::{esc, md_cell, page};
use crate::ReportError;
use otproof_assess::vendors::{self, Comparison, ItemScore, VendorScore};
use serde_json::json;
use std::fmt::Write as _;

/// Version of the comparison document's data format.
pub const COMPARISON_FORMAT: &str = "otproof-vendor-comparison/1";

/// A number without trailing zeros: `2`, `0.5`, `95.12`.
fn num(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn pct(x: f64) -> String {
    format!("{} %", num(x))
}

/// Vendor name with product and version (as the comparison names vendors).
fn label(s: &VendorScore) -> String {
    let mut l = s.vendor.clone();
    for part in [&s.product, &s.version].into_iter().flatten() {
        if !part.trim().is_empty() {
            l.push(' ');
            l.push_str(part.trim());
        }
    }
    l
}

/// The name the comparison uses for vendor `i`, falling back to the score's own label.
fn vendor_name(scores: &[VendorScore], cmp: &Comparison, i: usize) -> String {
    cmp.vendors
        .get(i)
        .cloned()
        .or_else(|| scores.get(i).map(label))
        .unwrap_or_default()
}

/// The weighted total of a vendor named in the ranking.
fn total_of(scores: &[VendorScore], cmp: &Comparison, name: &str) -> Option<f64> {
    let i = cmp.vendors.iter().position(|v| v == name)?;
    cmp.rows
        .iter()
        .find(|r| r.key == "total")
        .and_then(|r| r.percents.get(i).copied())
        .or_else(|| scores.get(i).map(|s| s.total_percent))
}

/// What the scores were made against, when all agree (else each vendor's section says it).
fn basis(scores: &[VendorScore]) -> Vec<(&'static str, String)> {
    let Some(first) = scores.first() else {
        return Vec::new();
    };
    let same = |f: &dyn Fn(&VendorScore) -> String| scores.iter().all(|s| f(s) == f(first));
    let mut out = Vec::new();
    if same(&|s| s.specification.clone()) {
        out.push(("Specification", first.specification.clone()));
    }
    if same(&|s| s.sl_t.clone()) {
        out.push(("SL-T", first.sl_t.clone()));
    }
    if same(&|s| s.support_years.to_string()) {
        out.push(("Support required", format!("{} years", first.support_years)));
    }
    if same(&|s| s.weights.to_string()) {
        out.push(("Weights", weights_text(first)));
    }
    if same(&|s| s.today.clone()) {
        out.push(("Scored on", first.today.clone()));
    }
    out
}

fn weights_text(s: &VendorScore) -> String {
    let w = &s.weights;
    format!(
        "security maturity {} %, technical capability {} %, support readiness {} %",
        w.security_maturity, w.technical_capability, w.support_readiness
    )
}

fn vendor_meta(s: &VendorScore) -> Vec<(&'static str, String)> {
    vec![
        ("Vendor", s.vendor.clone()),
        ("Product", s.product.clone().unwrap_or_else(|| "-".into())),
        ("Version", s.version.clone().unwrap_or_else(|| "-".into())),
        ("Specification", s.specification.clone()),
        ("SL-T", s.sl_t.clone()),
        ("Support required", format!("{} years", s.support_years)),
        ("Weights", weights_text(s)),
        ("Scored on", s.today.clone()),
        ("Total (weighted)", pct(s.total_percent)),
    ]
}

/// The points cell of an item: `1.5/2`, or `n/a` when not applicable.
fn points_cell(i: &ItemScore) -> String {
    if i.max > 0.0 {
        format!("{}/{}", num(i.points), num(i.max))
    } else {
        "n/a".into()
    }
}

/// Evidence of an item as plain text parts: found (verified or not), then not found.
fn evidence_parts(i: &ItemScore) -> Vec<String> {
    let mut out: Vec<String> = i
        .evidence
        .iter()
        .map(|e| {
            let mut s = e.id.clone();
            let mut what = vec![e.kind.clone()];
            if e.title != e.id && !e.title.trim().is_empty() {
                what.push(e.title.clone());
            }
            what.push(
                match e.origin {
                    vendors::Origin::Check => "otproof check",
                    vendors::Origin::Supplied => "handed over",
                    vendors::Origin::Buyer => "buyer's own",
                }
                .into(),
            );
            what.push(match (e.verified, &e.not_verified) {
                (true, _) => "verified".into(),
                (false, Some(why)) => format!("not verified: {why}"),
                (false, None) => "not verified".into(),
            });
            s.push_str(&format!(" ({})", what.join(", ")));
            s
        })
        .collect();
    out.extend(i.not_applicable.iter().map(|n| {
        format!(
            "{} ({}; cited, not applicable to this item: {})",
            n.id, n.title, n.reason
        )
    }));
    out.extend(
        i.unresolved_evidence
            .iter()
            .map(|r| format!("{r} (not found)")),
    );
    out
}

/// The comparison and every score as JSON.
pub fn json(scores: &[VendorScore], cmp: &Comparison) -> Result<String, ReportError> {
    let doc = json!({
        "format": COMPARISON_FORMAT,
        "comparison": cmp,
        "scores": scores,
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// The comparison as Markdown: side by side, ranking, then per vendor its dimensions, gaps
/// and the trace of every item.
pub fn markdown(scores: &[VendorScore], cmp: &Comparison) -> String {
    let mut o = String::new();
    o.push_str("# Vendor comparison\n\n");
    let b = basis(scores);
    if !b.is_empty() {
        o.push_str("| | |\n|---|---|\n");
        for (k, v) in &b {
            let _ = writeln!(o, "| {k} | {} |", md_cell(v));
        }
        o.push('\n');
    }
    if cmp.vendors.is_empty() {
        o.push_str("No vendor scores to compare.\n");
    } else {
        o.push_str("## Side by side\n\n| Dimension | Weight |");
        for v in &cmp.vendors {
            let _ = write!(o, " {} |", md_cell(v));
        }
        o.push_str("\n|---|---:|");
        for _ in &cmp.vendors {
            o.push_str("---:|");
        }
        o.push('\n');
        for row in &cmp.rows {
            let total = row.key == "total";
            let name = if total {
                format!("**{}**", md_cell(&row.name))
            } else {
                md_cell(&row.name)
            };
            let _ = write!(o, "| {name} | {} % |", row.weight);
            for (i, p) in row.percents.iter().enumerate() {
                if row.best.contains(&i) {
                    let _ = write!(o, " **{}** |", pct(*p));
                } else {
                    let _ = write!(o, " {} |", pct(*p));
                }
            }
            o.push('\n');
        }
        o.push_str("\nThe highest score of each row is in bold. Each dimension is its points over its attainable points; the total is the weighted sum of the three.\n\n");
        o.push_str("## Ranking\n\n");
        for (n, v) in cmp.ranking.iter().enumerate() {
            let _ = writeln!(
                o,
                "{}. {}: {}",
                n + 1,
                v,
                total_of(scores, cmp, v)
                    .map(pct)
                    .unwrap_or_else(|| "-".into())
            );
        }
        o.push('\n');
    }
    if !cmp.notes.is_empty() {
        o.push_str("## Notes on the comparison\n\n");
        for n in &cmp.notes {
            let _ = writeln!(o, "- {n}");
        }
        o.push('\n');
    }
    for (i, s) in scores.iter().enumerate() {
        let _ = writeln!(o, "## {}\n", vendor_name(scores, cmp, i));
        o.push_str("| | |\n|---|---|\n");
        for (k, v) in vendor_meta(s) {
            let _ = writeln!(o, "| {k} | {} |", md_cell(&v));
        }
        o.push_str("\n### Dimensions\n\n| Dimension | Weight | Points | Attainable | Percent | Items |\n|---|---:|---:|---:|---:|---:|\n");
        for d in &s.dimensions {
            let _ = writeln!(
                o,
                "| {} | {} % | {} | {} | {} | {} |",
                md_cell(&d.name),
                d.weight,
                num(d.points),
                num(d.attainable),
                pct(d.percent),
                d.items
            );
        }
        let _ = writeln!(
            o,
            "| **Total (weighted)** | 100 % | | | **{}** | |",
            pct(s.total_percent)
        );
        o.push_str("\n### Gaps\n\n");
        if s.gaps.is_empty() {
            o.push_str("No gaps.\n");
        } else {
            for g in &s.gaps {
                let _ = writeln!(o, "- {}", g.replace('\n', " "));
            }
        }
        if !s.notes.is_empty() {
            o.push_str("\n### Notes\n\n");
            for n in &s.notes {
                let _ = writeln!(o, "- {n}");
            }
        }
        o.push_str("\n### Item trace\n\nA cited record counts only when it is about the scored vendor (and the offered product; the offered version for release items) and traces one of the item's requirements; the buyer's own records never count. Raw points count in full when backed by a proven otproof check, three quarters by a proven handed-over document or certificate, half otherwise (an assertion). Cited records that do not apply are listed and earn nothing.\n\n| Item | Dimension | Answer | Points | Reason | Evidence |\n|---|---|---|---:|---|---|\n");
        for it in &s.items {
            let ev = evidence_parts(it)
                .iter()
                .map(|e| md_cell(e))
                .collect::<Vec<_>>()
                .join("; ");
            let _ = writeln!(
                o,
                "| `{}` {} | {} | {} | {} | {} | {} |",
                md_cell(&it.id),
                md_cell(&it.title),
                md_cell(&it.dimension),
                md_cell(it.answer.as_deref().unwrap_or("(not answered)")),
                points_cell(it),
                md_cell(&it.reason),
                if ev.is_empty() { "-".into() } else { ev }
            );
        }
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "---\notproof {}: scores follow the specification's evaluation method; a score is a comparison aid, not a certification.",
        env!("CARGO_PKG_VERSION")
    );
    o
}

fn meta_table(rows: &[(&str, String)]) -> String {
    let mut b = String::from("<table class=\"meta\">\n");
    for (k, v) in rows {
        let _ = writeln!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
    }
    b.push_str("</table>\n");
    b
}

/// The comparison as one self-contained HTML page (same content as [`markdown`]).
pub fn html(scores: &[VendorScore], cmp: &Comparison) -> String {
    let title = "Vendor comparison";
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", esc(title));
    let basis = basis(scores);
    if !basis.is_empty() {
        b.push_str(&meta_table(&basis));
    }
    if cmp.vendors.is_empty() {
        b.push_str("<p>No vendor scores to compare.</p>\n");
    } else {
        b.push_str("<h2>Side by side</h2>\n<table><thead><tr><th>Dimension</th><th>Weight</th>");
        for v in &cmp.vendors {
            let _ = write!(b, "<th>{}</th>", esc(v));
        }
        b.push_str("</tr></thead><tbody>\n");
        for row in &cmp.rows {
            let total = row.key == "total";
            let (o, c) = if total {
                ("<strong>", "</strong>")
            } else {
                ("", "")
            };
            let _ = write!(
                b,
                "<tr><td>{o}{}{c}</td><td>{} %</td>",
                esc(&row.name),
                row.weight
            );
            for (i, p) in row.percents.iter().enumerate() {
                if row.best.contains(&i) {
                    let _ = write!(b, "<td><strong>{}</strong></td>", esc(&pct(*p)));
                } else {
                    let _ = write!(b, "<td>{}</td>", esc(&pct(*p)));
                }
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</tbody></table>\n<p class=\"muted\">The highest score of each row is in bold. Each dimension is its points over its attainable points; the total is the weighted sum of the three.</p>\n");
        b.push_str("<h2>Ranking</h2>\n<ol>\n");
        for v in &cmp.ranking {
            let _ = writeln!(
                b,
                "<li>{}: {}</li>",
                esc(v),
                esc(&total_of(scores, cmp, v)
                    .map(pct)
                    .unwrap_or_else(|| "-".into()))
            );
        }
        b.push_str("</ol>\n");
    }
    if !cmp.notes.is_empty() {
        b.push_str("<h2>Notes on the comparison</h2>\n<ul>\n");
        for n in &cmp.notes {
            let _ = writeln!(b, "<li class=\"unconfirmed\">{}</li>", esc(n));
        }
        b.push_str("</ul>\n");
    }
    for (i, s) in scores.iter().enumerate() {
        let _ = writeln!(
            b,
            "<h2 class=\"part\">{}</h2>",
            esc(&vendor_name(scores, cmp, i))
        );
        b.push_str(&meta_table(&vendor_meta(s)));
        b.push_str("<h3>Dimensions</h3>\n<table><thead><tr><th>Dimension</th><th>Weight</th><th>Points</th><th>Attainable</th><th>Percent</th><th>Items</th></tr></thead><tbody>\n");
        for d in &s.dimensions {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{} %</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.name),
                d.weight,
                num(d.points),
                num(d.attainable),
                esc(&pct(d.percent)),
                d.items
            );
        }
        let _ = writeln!(
            b,
            "<tr><td><strong>Total (weighted)</strong></td><td>100 %</td><td></td><td></td><td><strong>{}</strong></td><td></td></tr>",
            esc(&pct(s.total_percent))
        );
        b.push_str("</tbody></table>\n<h3>Gaps</h3>\n");
        if s.gaps.is_empty() {
            b.push_str("<p>No gaps.</p>\n");
        } else {
            b.push_str("<ul>\n");
            for g in &s.gaps {
                let _ = writeln!(b, "<li>{}</li>", esc(g));
            }
            b.push_str("</ul>\n");
        }
        if !s.notes.is_empty() {
            b.push_str("<h3>Notes</h3>\n<ul>\n");
            for n in &s.notes {
                let _ = writeln!(b, "<li>{}</li>", esc(n));
            }
            b.push_str("</ul>\n");
        }
        b.push_str("<h3>Item trace</h3>\n<p class=\"muted\">A cited record counts only when it is about the scored vendor (and the offered product; the offered version for release items) and traces one of the item's requirements; the buyer's own records never count. Raw points count in full when backed by a proven otproof check, three quarters by a proven handed-over document or certificate, half otherwise (an assertion). Cited records that do not apply are listed and earn nothing.</p>\n<table><thead><tr><th>Item</th><th>Dimension</th><th>Answer</th><th>Points</th><th>Reason</th><th>Evidence</th></tr></thead><tbody>\n");
        for it in &s.items {
            let ev = evidence_parts(it);
            let ev = if ev.is_empty() {
                "-".to_string()
            } else {
                ev.iter().map(|e| esc(e)).collect::<Vec<_>>().join("<br>")
            };
            let _ = writeln!(
                b,
                "<tr><td><span class=\"id\">{}</span><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&it.id),
                esc(&it.title),
                esc(&it.dimension),
                esc(it.answer.as_deref().unwrap_or("(not answered)")),
                esc(&points_cell(it)),
                esc(&it.reason),
                ev
            );
        }
        b.push_str("</tbody></table>\n");
    }
    let _ = writeln!(
        b,
        "<footer>otproof {}: scores follow the specification's evaluation method; a score is a comparison aid, not a certification.</footer>",
        env!("CARGO_PKG_VERSION")
    );
    page(title, &b)
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_lose_trailing_zeros() {
        assert_eq!(num(2.0), "2");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(95.12), "95.12");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(100.0), "100");
    }
}
