//! Supplier specification renderings: Markdown, self-contained HTML, JSON, OSCAL profile, and
//! the questionnaire as YAML.

use crate::html::{esc, md_cell, page};
use crate::ReportError;
use otproof_assess::spec::{EvidenceKind, Questionnaire, SpecRequirement, Specification};
use std::fmt::Write as _;

fn evidence_list(e: &[EvidenceKind]) -> String {
    e.iter().map(|k| k.label()).collect::<Vec<_>>().join("; ")
}

fn answer_format(it: &otproof_assess::spec::QuestionnaireItem) -> String {
    if it.answer_options.is_empty() {
        format!("{:?}", it.answer_type).to_ascii_lowercase()
    } else {
        it.answer_options.join(" / ")
    }
}

fn sl_cell(r: &SpecRequirement) -> String {
    let sl = r
        .min_sl
        .map(|l| l.to_string())
        .unwrap_or_else(|| "-".into());
    if r.confirmed {
        sl
    } else {
        format!(
            "{sl} (unconfirmed{})",
            r.disputed_sl
                .map(|d| format!(", other source: {d}"))
                .unwrap_or_default()
        )
    }
}

/// The specification as pretty JSON (same content as the documents, as data).
pub fn json(spec: &Specification) -> Result<String, ReportError> {
    Ok(serde_json::to_string_pretty(spec)? + "\n")
}

/// The specification as an OSCAL 1.1 profile over the catalog at `catalog_href`.
pub fn oscal(spec: &Specification, catalog_href: &str) -> Result<String, ReportError> {
    Ok(serde_json::to_string_pretty(&crate::oscal::profile(spec, catalog_href))? + "\n")
}

/// The questionnaire as a YAML template.
pub fn questionnaire_yaml(q: &Questionnaire) -> Result<String, ReportError> {
    let body = serde_saphyr::to_string(q).map_err(|e| ReportError::Yaml(e.to_string()))?;
    Ok(format!(
        "# otproof vendor questionnaire for: {} ({}, SL-T {})\n# Fill in 'vendor' and each item's 'answer', 'evidence' and 'comment'; keep every 'id'.\n{body}",
        q.specification.product,
        q.specification.component_type.slug(),
        q.specification.sl_t
    ))
}

fn params_rows(spec: &Specification) -> Vec<(&'static str, String)> {
    let p = &spec.params;
    vec![
        ("Product", spec.questionnaire.specification.product.clone()),
        ("Component type", p.component.name().to_string()),
        (
            "Target security level (SL-T)",
            format!("{}  ({})", spec.sl_t_text, p.sl_t.labeled()),
        ),
        (
            "Secure development",
            format!("IEC 62443-4-1 at {} ({})", p.ml, p.ml.name()),
        ),
        (
            "Security support",
            format!("{} years from delivery", p.support_years),
        ),
        (
            "Applicable 4-2 requirements",
            format!(
                "{} ({} with an SL on which public sources disagree)",
                spec.technical_count(),
                spec.unconfirmed.len()
            ),
        ),
        ("Catalog", spec.catalog.clone()),
    ]
}

/// The specification as Markdown.
pub fn markdown(spec: &Specification) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", spec.title);
    let _ = writeln!(o, "| | |\n|---|---|");
    for (k, v) in params_rows(spec) {
        let _ = writeln!(o, "| {k} | {} |", md_cell(&v));
    }
    let _ = writeln!(
        o,
        "\nThe vendor answers every item of the questionnaire in the appendix and backs each answer with evidence. Requirement identifiers and titles refer to IEC 62443; the summaries are otproof's own paraphrases, not the text of the standard.\n"
    );

    let sd = &spec.secure_development;
    let _ = writeln!(o, "## 1. Secure development (IEC 62443-4-1, {})\n", sd.ml);
    let _ = writeln!(
        o,
        "The vendor's product development lifecycle meets IEC 62443-4-1 at maturity level {} ({}): {}.\n",
        sd.ml.level(),
        sd.ml_name,
        sd.ml_meaning
    );
    for ps in &sd.practices {
        let _ = writeln!(
            o,
            "### {} {} (practice {})\n",
            ps.practice,
            ps.name,
            ps.practice.number()
        );
        let ids: Vec<String> = ps
            .requirements
            .iter()
            .map(|r| format!("{} {}", r.id, r.title))
            .collect();
        let _ = writeln!(o, "Requirements: {}.\n", ids.join("; "));
        let _ = writeln!(o, "Records the vendor must be able to show:\n");
        for rec in &ps.records_expected {
            let _ = writeln!(o, "- {rec}");
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(
        o,
        "## 2. Technical requirements (IEC 62443-4-2, {} at SL-T {})\n",
        spec.params.component.name(),
        spec.sl_t_text
    );
    let _ = writeln!(
        o,
        "Every requirement below applies: its FR's target level is at least the requirement's lowest security level. Unconfirmed rows have a security level on which public sources disagree; they are required all the same.\n"
    );
    for s in &spec.technical {
        let _ = writeln!(
            o,
            "### FR {} {} ({}), SL-T {}\n",
            s.fr.number(),
            s.name,
            s.abbrev,
            s.sl_t
        );
        if s.requirements.is_empty() {
            let _ = writeln!(o, "No requirement applies at SL-T {}.\n", s.sl_t);
            continue;
        }
        let _ = writeln!(
            o,
            "| ID | Title | SL | Summary | Evidence expected |\n|---|---|---|---|---|"
        );
        for r in &s.requirements {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                r.id,
                md_cell(&r.title),
                sl_cell(r),
                md_cell(&r.summary),
                evidence_list(&r.evidence)
            );
        }
        let _ = writeln!(o);
    }

    for (i, sec) in spec.policies.iter().enumerate() {
        let _ = writeln!(o, "## {}. {}\n", i + 3, sec.title);
        for it in &sec.items {
            let _ = writeln!(o, "- **{} {}.** {}", it.id, it.title, it.requirement);
            let _ = writeln!(
                o,
                "  Supports: {}. Evidence: {}.",
                it.refs.join(", "),
                evidence_list(&it.evidence)
            );
        }
        let _ = writeln!(o);
    }

    let n = spec.policies.len() + 3;
    let _ = writeln!(o, "## {n}. Evaluation\n");
    let _ = writeln!(
        o,
        "| Dimension | Weight | What is assessed |\n|---|---|---|"
    );
    for d in &spec.evaluation.dimensions {
        let _ = writeln!(
            o,
            "| {} | {} % | {} |",
            d.name,
            d.weight,
            md_cell(&d.criteria.join("; "))
        );
    }
    let _ = writeln!(o);
    for m in &spec.evaluation.method {
        let _ = writeln!(o, "- {m}");
    }
    let _ = writeln!(o);
    if !spec.unconfirmed.is_empty() {
        let _ = writeln!(
            o,
            "Unconfirmed security levels (public sources disagree): {}.\n",
            spec.unconfirmed.join(", ")
        );
    }

    let q = &spec.questionnaire;
    let _ = writeln!(o, "## Appendix A. Vendor questionnaire\n");
    let _ = writeln!(
        o,
        "The same questions are delivered as a machine-readable YAML template ({}); answers are matched by ID.\n",
        q.format
    );
    let _ = writeln!(
        o,
        "| ID | Question | Answer | Evidence expected |\n|---|---|---|---|"
    );
    for it in &q.items {
        let answer = answer_format(it);
        let mark = if it.confirmed {
            ""
        } else {
            " (unconfirmed SL)"
        };
        let _ = writeln!(
            o,
            "| {}{} | {} | {} | {} |",
            it.id,
            mark,
            md_cell(&it.question),
            answer,
            evidence_list(&it.evidence_expected)
        );
    }
    o
}

/// The specification as one self-contained HTML page that prints cleanly to PDF.
pub fn html(spec: &Specification) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<header><h1>{}</h1>", esc(&spec.title));
    let _ = writeln!(b, "<table class=\"meta\"><tbody>");
    for (k, v) in params_rows(spec) {
        let _ = writeln!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    }
    let _ = writeln!(b, "</tbody></table>");
    let _ = writeln!(b, "<p class=\"muted\">The vendor answers every item of the questionnaire in the appendix and backs each answer with evidence. Requirement identifiers and titles refer to IEC 62443; the summaries are otproof's own paraphrases, not the text of the standard.</p></header>");

    let _ = writeln!(b, "<nav><h2>Contents</h2><ol>");
    let _ = writeln!(b, "<li><a href=\"#sdl\">Secure development</a></li><li><a href=\"#technical\">Technical requirements</a></li>");
    for sec in &spec.policies {
        let _ = writeln!(
            b,
            "<li><a href=\"#{}\">{}</a></li>",
            esc(&sec.key),
            esc(&sec.title)
        );
    }
    let _ = writeln!(b, "<li><a href=\"#evaluation\">Evaluation</a></li><li><a href=\"#questionnaire\">Appendix A. Vendor questionnaire</a></li></ol></nav>");

    let sd = &spec.secure_development;
    let _ = writeln!(
        b,
        "<section id=\"sdl\"><h2 class=\"part\">1. Secure development (IEC 62443-4-1, {})</h2>",
        sd.ml
    );
    let _ = writeln!(
        b,
        "<p>The vendor's product development lifecycle meets IEC 62443-4-1 at maturity level {} ({}): {}.</p>",
        sd.ml.level(),
        esc(&sd.ml_name),
        esc(&sd.ml_meaning)
    );
    for ps in &sd.practices {
        let _ = writeln!(
            b,
            "<h3>{} {} <span class=\"muted\">(practice {})</span></h3>",
            ps.practice,
            esc(&ps.name),
            ps.practice.number()
        );
        let _ = writeln!(
            b,
            "<table><thead><tr><th>ID</th><th>Title</th><th>Summary</th></tr></thead><tbody>"
        );
        for r in &ps.requirements {
            let _ = writeln!(
                b,
                "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                esc(&r.title),
                esc(&r.summary)
            );
        }
        let _ = writeln!(
            b,
            "</tbody></table><p>Records the vendor must be able to show:</p><ul>"
        );
        for rec in &ps.records_expected {
            let _ = writeln!(b, "<li>{}</li>", esc(rec));
        }
        let _ = writeln!(b, "</ul>");
    }
    let _ = writeln!(b, "</section>");

    let _ = writeln!(
        b,
        "<section id=\"technical\"><h2 class=\"part\">2. Technical requirements (IEC 62443-4-2, {} at SL-T {})</h2>",
        esc(spec.params.component.name()),
        esc(&spec.sl_t_text)
    );
    let _ = writeln!(b, "<p>Every requirement below applies: its FR's target level is at least the requirement's lowest security level. Rows marked <span class=\"unconfirmed\">unconfirmed</span> have a security level on which public sources disagree; they are required all the same.</p>");
    for s in &spec.technical {
        let _ = writeln!(
            b,
            "<h3>FR {} {} ({}), SL-T {}</h3>",
            s.fr.number(),
            esc(&s.name),
            esc(&s.abbrev),
            s.sl_t
        );
        if s.requirements.is_empty() {
            let _ = writeln!(
                b,
                "<p class=\"muted\">No requirement applies at SL-T {}.</p>",
                s.sl_t
            );
            continue;
        }
        let _ = writeln!(b, "<table><thead><tr><th>ID</th><th>Title</th><th class=\"sl\">SL</th><th>Summary</th><th>Evidence expected</th></tr></thead><tbody>");
        for r in &s.requirements {
            let sl = if r.confirmed {
                esc(&sl_cell(r))
            } else {
                format!("<span class=\"unconfirmed\">{}</span>", esc(&sl_cell(r)))
            };
            let _ = writeln!(
                b,
                "<tr><td class=\"id\">{}</td><td>{}</td><td class=\"sl\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                esc(&r.title),
                sl,
                esc(&r.summary),
                esc(&evidence_list(&r.evidence))
            );
        }
        let _ = writeln!(b, "</tbody></table>");
    }
    let _ = writeln!(b, "</section>");

    for (i, sec) in spec.policies.iter().enumerate() {
        let _ = writeln!(b, "<section id=\"{}\"><h2>{}. {}</h2><table><thead><tr><th>ID</th><th>Requirement</th><th>Supports</th><th>Evidence</th></tr></thead><tbody>", esc(&sec.key), i + 3, esc(&sec.title));
        for it in &sec.items {
            let _ = writeln!(
                b,
                "<tr><td class=\"id\">{}</td><td><strong>{}.</strong> {}</td><td>{}</td><td>{}</td></tr>",
                esc(&it.id),
                esc(&it.title),
                esc(&it.requirement),
                esc(&it.refs.join(", ")),
                esc(&evidence_list(&it.evidence))
            );
        }
        let _ = writeln!(b, "</tbody></table></section>");
    }

    let n = spec.policies.len() + 3;
    let _ = writeln!(b, "<section id=\"evaluation\"><h2>{n}. Evaluation</h2><table><thead><tr><th>Dimension</th><th>Weight</th><th>What is assessed</th></tr></thead><tbody>");
    for d in &spec.evaluation.dimensions {
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{} %</td><td><ul>{}</ul></td></tr>",
            esc(&d.name),
            d.weight,
            d.criteria
                .iter()
                .map(|c| format!("<li>{}</li>", esc(c)))
                .collect::<String>()
        );
    }
    let _ = writeln!(b, "</tbody></table><ul>");
    for m in &spec.evaluation.method {
        let _ = writeln!(b, "<li>{}</li>", esc(m));
    }
    let _ = writeln!(b, "</ul>");
    if !spec.unconfirmed.is_empty() {
        let _ = writeln!(
            b,
            "<p><span class=\"unconfirmed\">Unconfirmed security levels</span> (public sources disagree): {}.</p>",
            esc(&spec.unconfirmed.join(", "))
        );
    }
    let _ = writeln!(b, "</section>");

    let q = &spec.questionnaire;
    let _ = writeln!(b, "<section id=\"questionnaire\"><h2 class=\"part\">Appendix A. Vendor questionnaire</h2><p>The same questions are delivered as a machine-readable YAML template (<code>{}</code>); answers are matched by ID.</p>", esc(&q.format));
    let _ = writeln!(b, "<table><thead><tr><th>ID</th><th>Question</th><th>Answer</th><th>Evidence expected</th></tr></thead><tbody>");
    for it in &q.items {
        let answer = answer_format(it);
        let mark = if it.confirmed {
            String::new()
        } else {
            " <span class=\"unconfirmed\">unconfirmed SL</span>".to_string()
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"id\">{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&it.id),
            mark,
            esc(&it.question),
            esc(&answer),
            esc(&evidence_list(&it.evidence_expected))
        );
    }
    let _ = writeln!(b, "</tbody></table></section>");
    let _ = writeln!(
        b,
        "<footer>Generated by otproof {} from {} ({}). Identifiers and titles refer to IEC 62443; summaries are otproof's own.</footer>",
        env!("CARGO_PKG_VERSION"),
        esc(&spec.catalog),
        esc(&spec.format)
    );
    page(&spec.title, &b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use otproof_assess::spec::{build_specification, SpecParams};
    use otproof_catalog::{Catalog, ComponentType, SlVector};

    fn sample() -> Specification {
        let mut p = SpecParams::new(
            ComponentType::EmbeddedDevice,
            SlVector::uniform(2).expect("2"),
        );
        p.product = Some("RTU <main> & \"spare\"".into());
        build_specification(Catalog::builtin(), &p).expect("spec")
    }

    #[test]
    fn every_format_carries_every_requirement_and_marks_unconfirmed() {
        let s = sample();
        let md = markdown(&s);
        let html = html(&s);
        let json = json(&s).expect("json");
        for id in s.technical_ids() {
            assert!(md.contains(&format!("| {id} |")), "md lacks {id}");
            assert!(
                html.contains(&format!("<td class=\"id\">{}", esc(id))),
                "html lacks {id}"
            );
        }
        assert!(md.contains("unconfirmed"));
        assert!(html.contains("class=\"unconfirmed\""));
        let back: Specification = serde_json::from_str(&json).expect("json parses back");
        assert_eq!(back, s);
    }

    #[test]
    fn html_is_self_contained_and_escaped() {
        let h = html(&sample());
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(h.contains("@media print"));
        assert!(!h.contains("<script"));
        assert!(!h.contains("src=\"http") && !h.contains("href=\"http"));
        assert!(h.contains("RTU &lt;main&gt; &amp; &quot;spare&quot;"));
        assert!(!h.contains("RTU <main>"));
    }

    #[test]
    fn questionnaire_yaml_round_trips() {
        let s = sample();
        let y = questionnaire_yaml(&s.questionnaire).expect("yaml");
        let back: Questionnaire = serde_saphyr::from_str(&y).expect("yaml parses back");
        assert_eq!(back, s.questionnaire);
    }

    #[test]
    fn profile_selects_exactly_the_cited_controls() {
        let s = sample();
        let p: serde_json::Value =
            serde_json::from_str(&oscal(&s, "cat.json").expect("oscal")).expect("json");
        let ids = p["profile"]["imports"][0]["include-controls"][0]["with-ids"]
            .as_array()
            .expect("ids");
        assert_eq!(ids.len(), s.technical_count() + 47);
        assert!(ids.contains(&serde_json::json!("cr-3.5")));
        assert!(ids.contains(&serde_json::json!("svv-3")));
    }
}
