//! Zone and conduit evaluation renderings: JSON, Markdown, one self-contained HTML page and
//! an SVG diagram.
//!
//! Everything shown comes from the [`Evaluation`] (levels, gaps, explanations, proposals);
//! the [`SystemModel`] only adds the system's description and the conduits' protocols.
//! Nothing is decided here.
//!
//! Cells of the SL tables read `SL-T/SL-A` with a marker for gaps (Markdown and HTML):
//! none when SL-A >= SL-T without a gap, `+` for a gap closed by countermeasures, `~` for an
//! open gap the model justifies, `!` for an open gap.

use crate::html::{esc, md_cell, page};
use crate::ReportError;
use otproof_assess::zones::{
    AssetResult, CapabilityBasis, Evaluation, FrResult, Gap, GapStatus, RiskProposal, ScopeKind,
    ScopeResult, SystemModel,
};
use otproof_catalog::Fr;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
// Shared helpers

/// The state of one zone or conduit in one FR, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    /// SL-A >= SL-T without countermeasures.
    Met,
    /// Gap closed by countermeasures.
    Closed,
    /// Open gap with a justification.
    Justified,
    /// Open gap.
    Open,
}

impl State {
    const ALL: [State; 4] = [State::Met, State::Closed, State::Justified, State::Open];

    fn from_gap(s: GapStatus) -> State {
        match s {
            GapStatus::Closed => State::Closed,
            GapStatus::OpenJustified => State::Justified,
            GapStatus::Open => State::Open,
        }
    }

    /// HTML class of a table cell.
    fn class(self) -> &'static str {
        match self {
            State::Met => "ok",
            State::Closed => "gap-closed",
            State::Justified => "gap-justified",
            State::Open => "gap-open",
        }
    }

    /// Marker after `T/A` in a table cell.
    fn marker(self) -> &'static str {
        match self {
            State::Met => "",
            State::Closed => " +",
            State::Justified => " ~",
            State::Open => " !",
        }
    }

    /// Gap status word (`closed`, `open-justified`, `open`); `met` when there is no gap.
    fn word(self) -> &'static str {
        match self {
            State::Met => "met",
            State::Closed => "closed",
            State::Justified => "open-justified",
            State::Open => "open",
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            State::Met => "SL-A >= SL-T, no gap",
            State::Closed => "gap closed by countermeasures",
            State::Justified => "open gap, accepted with a justification",
            State::Open => "open gap",
        }
    }

    /// Stroke colour in the diagram.
    fn colour(self) -> &'static str {
        match self {
            State::Met => "#1a7f37",
            State::Closed => "#bf8700",
            State::Justified | State::Open => "#cf222e",
        }
    }

    /// `stroke-dasharray` in the diagram.
    fn dash(self) -> Option<&'static str> {
        match self {
            State::Justified => Some("7 4"),
            _ => None,
        }
    }
}

fn status_word(s: GapStatus) -> &'static str {
    State::from_gap(s).word()
}

fn find_gap<'e>(e: &'e Evaluation, kind: ScopeKind, name: &str, fr: Fr) -> Option<&'e Gap> {
    e.gaps
        .iter()
        .find(|g| g.scope == kind && g.name == name && g.fr == fr)
}

fn fr_state(e: &Evaluation, s: &ScopeResult, f: &FrResult) -> State {
    match find_gap(e, s.kind, &s.name, f.fr) {
        Some(g) => State::from_gap(g.status),
        None if f.sl_a >= f.sl_t => State::Met,
        None => State::Open,
    }
}

fn scope_state(e: &Evaluation, s: &ScopeResult) -> State {
    s.frs
        .iter()
        .map(|f| fr_state(e, s, f))
        .max()
        .unwrap_or(State::Met)
}

fn sl_cell(e: &Evaluation, s: &ScopeResult, f: &FrResult) -> (State, String) {
    let st = fr_state(e, s, f);
    if s.no_sl_a {
        return (st, format!("{}/none{}", f.sl_t, st.marker()));
    }
    (st, format!("{}/{}{}", f.sl_t, f.sl_a, st.marker()))
}

/// A scope's SL-A vector, or `none` for a zone without assets of its own.
fn sl_a_text(s: &ScopeResult) -> String {
    if s.no_sl_a {
        "none (no assets)".into()
    } else {
        s.sl_a.to_string()
    }
}

fn system_name(e: &Evaluation, m: &SystemModel) -> String {
    e.system
        .clone()
        .or_else(|| m.name.clone())
        .unwrap_or_else(|| "unnamed system".into())
}

fn title(e: &Evaluation, m: &SystemModel) -> String {
    format!("Zones and conduits: {}", system_name(e, m))
}

fn list_or(v: &[String], none: &str) -> String {
    if v.is_empty() {
        none.to_string()
    } else {
        v.join(", ")
    }
}

fn frs_text(frs: &[Fr]) -> String {
    frs.iter()
        .map(|f| f.abbrev())
        .collect::<Vec<_>>()
        .join(", ")
}

fn gap_counts(e: &Evaluation) -> String {
    let n = |s: GapStatus| e.gaps.iter().filter(|g| g.status == s).count();
    format!(
        "{} in all: {} closed, {} open-justified, {} open",
        e.gaps.len(),
        n(GapStatus::Closed),
        n(GapStatus::OpenJustified),
        n(GapStatus::Open)
    )
}

fn meta_rows(e: &Evaluation, m: &SystemModel) -> Vec<(&'static str, String)> {
    let subs = e.zones.iter().filter(|z| z.parent.is_some()).count();
    let mut rows = vec![("System", system_name(e, m))];
    if let Some(d) = m.description.as_deref().filter(|d| !d.trim().is_empty()) {
        rows.push(("Description", d.trim().to_string()));
    }
    rows.extend([
        (
            "Zones",
            match subs {
                0 => e.zones.len().to_string(),
                1 => format!("{} (including 1 sub-zone)", e.zones.len()),
                n => format!("{} (including {n} sub-zones)", e.zones.len()),
            },
        ),
        ("Conduits", e.conduits.len().to_string()),
        ("Assets", e.assets.len().to_string()),
        ("Gaps", gap_counts(e)),
        (
            "Risk-based SL-T proposals",
            if e.risk.is_empty() {
                "none".into()
            } else {
                format!(
                    "{} (PROPOSAL only; the declared SL-T stays in force)",
                    e.risk.len()
                )
            },
        ),
        ("Catalog", e.catalog.clone()),
        ("Data format", e.format.clone()),
    ]);
    rows
}

fn protocols(m: &SystemModel, conduit: &str, s: &ScopeResult) -> Vec<String> {
    if !s.protocols.is_empty() {
        return s.protocols.clone();
    }
    m.conduits
        .iter()
        .find(|c| c.name == conduit)
        .map(|c| c.protocols.clone())
        .unwrap_or_default()
}

/// Per asset, in first-seen order, the gap's missing requirements.
fn missing_by_asset(g: &Gap) -> Vec<(&str, Vec<&otproof_assess::zones::MissingRequirement>)> {
    let mut out: Vec<(&str, Vec<_>)> = Vec::new();
    for mr in &g.missing {
        match out.iter_mut().find(|(a, _)| *a == mr.asset) {
            Some((_, v)) => v.push(mr),
            None => out.push((mr.asset.as_str(), vec![mr])),
        }
    }
    out
}

/// What closes the gap, or why it stays open.
fn gap_resolution(g: &Gap) -> String {
    match g.status {
        GapStatus::Closed => format!(
            "Closed by countermeasure(s): {}.",
            list_or(&g.closed_by, "none")
        ),
        GapStatus::OpenJustified => format!(
            "Open, accepted with this justification: {}{}",
            g.justification.as_deref().unwrap_or("(none given)"),
            if g.closed_by.is_empty() {
                String::new()
            } else {
                format!(
                    " (countermeasures in place, not enough: {})",
                    g.closed_by.join(", ")
                )
            }
        ),
        GapStatus::Open => format!(
            "Open: no countermeasure reaches SL-T and the model gives no justification{}.",
            if g.closed_by.is_empty() {
                String::new()
            } else {
                format!(
                    " (countermeasures in place, not enough: {})",
                    g.closed_by.join(", ")
                )
            }
        ),
    }
}

/// An explanation step without the `IAC: ` it starts with (the FR is shown next to it).
fn step(fr: Fr, text: &str) -> &str {
    text.strip_prefix(fr.abbrev())
        .and_then(|t| t.strip_prefix(": "))
        .unwrap_or(text)
}

/// An asset's explanation for one FR as one paragraph.
fn asset_steps(f: &otproof_assess::zones::AssetFr) -> String {
    let steps: Vec<&str> = f.explanation.iter().map(|x| step(f.fr, x)).collect();
    let mut s = steps.join(" ");
    if !f.countermeasures.is_empty() {
        let _ = write!(s, " Countermeasures: {}.", f.countermeasures.join(", "));
    }
    s
}

fn gap_heading(g: &Gap) -> String {
    format!(
        "{} {} / {}: {}",
        g.scope.label(),
        g.name,
        g.fr.abbrev(),
        status_word(g.status)
    )
}

fn asset_cell(a: &AssetResult, fr: Fr) -> String {
    let (c, l) = (a.sl_c.get(fr), a.level.get(fr));
    if c == l {
        c.to_string()
    } else {
        format!("{c}→{l}")
    }
}

fn basis(a: &AssetResult) -> &'static str {
    match a.basis {
        CapabilityBasis::Declared => "declared",
        CapabilityBasis::Derived => "derived",
    }
}

const PROPOSAL_NOTE: &str = "PROPOSAL only: a risk-based suggestion for the SL-T. It never replaces the declared SL-T, which stays the one every SL-A is compared with.";

// ---------------------------------------------------------------------------------------
// JSON

/// The evaluation as pretty JSON (the data behind every other format).
pub fn json(e: &Evaluation) -> Result<String, ReportError> {
    Ok(serde_json::to_string_pretty(e)? + "\n")
}

// ---------------------------------------------------------------------------------------
// Markdown

fn md_fr_header(first: &[&str], last: &[&str]) -> String {
    let mut h = String::from("|");
    let mut sep = String::from("|");
    for f in first {
        let _ = write!(h, " {f} |");
        sep.push_str("---|");
    }
    for fr in Fr::ALL {
        let _ = write!(h, " {} |", fr.abbrev());
        sep.push_str(":---:|");
    }
    for f in last {
        let _ = write!(h, " {f} |");
        sep.push_str("---|");
    }
    format!("{h}\n{sep}\n")
}

fn md_scope_row(e: &Evaluation, s: &ScopeResult, first: &[String]) -> String {
    let mut row = String::from("|");
    for f in first {
        let _ = write!(row, " {} |", md_cell(f));
    }
    for f in &s.frs {
        let _ = write!(row, " {} |", sl_cell(e, s, f).1);
    }
    row.push('\n');
    row
}

fn md_legend() -> String {
    let parts: Vec<String> = State::ALL
        .iter()
        .map(|s| {
            let m = s.marker().trim();
            if m.is_empty() {
                format!("`T/A` {}", s.meaning())
            } else {
                format!("`T/A {m}` {}", s.meaning())
            }
        })
        .collect();
    format!(
        "Cells read SL-T/SL-A (SL-A with countermeasures): {}.\n",
        parts.join("; ")
    )
}

/// The evaluation as Markdown: SL tables, gaps, explanations per FR, asset SL-C, risk
/// proposals, warnings and the rules applied.
pub fn markdown(e: &Evaluation, m: &SystemModel) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", title(e, m));
    let _ = writeln!(o, "| | |\n|---|---|");
    for (k, v) in meta_rows(e, m) {
        let _ = writeln!(o, "| {k} | {} |", md_cell(&v));
    }
    let _ = writeln!(
        o,
        "\nSL vectors list seven levels in FR order: IAC UC SI DC RDF TRE RA. Requirement identifiers and titles refer to IEC 62443-4-2.\n"
    );

    // 1. Levels.
    let _ = writeln!(o, "## 1. Security levels per zone and conduit\n");
    let _ = writeln!(o, "{}", md_legend());
    let _ = writeln!(o, "### Zones\n");
    o.push_str(&md_fr_header(&["Zone", "Parent", "Own assets"], &[]));
    for z in &e.zones {
        o.push_str(&md_scope_row(
            e,
            z,
            &[
                z.name.clone(),
                z.parent.clone().unwrap_or_else(|| "-".into()),
                z.members.len().to_string(),
            ],
        ));
    }
    let _ = writeln!(o, "\n### Conduits\n");
    if e.conduits.is_empty() {
        let _ = writeln!(o, "No conduits in the model.");
    } else {
        o.push_str(&md_fr_header(&["Conduit", "Joins", "Protocols"], &[]));
        for c in &e.conduits {
            o.push_str(&md_scope_row(
                e,
                c,
                &[
                    c.name.clone(),
                    c.members.join(", "),
                    list_or(&protocols(m, &c.name, c), "-"),
                ],
            ));
        }
    }
    let _ = writeln!(o);

    // 2. Gaps.
    let _ = writeln!(o, "## 2. Gaps\n");
    if e.gaps.is_empty() {
        let _ = writeln!(
            o,
            "No gaps: every zone and conduit reaches its SL-T in every FR without countermeasures.\n"
        );
    } else {
        let _ = writeln!(
            o,
            "A gap is an FR of a zone or conduit whose SL-A without countermeasures is below SL-T. {}.\n",
            gap_counts(e)
        );
        let _ = writeln!(
            o,
            "| Scope | FR | SL-T | SL-A without / with countermeasures | Status | Countermeasures or justification |\n|---|---|:---:|:---:|---|---|"
        );
        for g in &e.gaps {
            let _ = writeln!(
                o,
                "| {} {} | {} | {} | {} / {} | {} | {} |",
                g.scope.label(),
                md_cell(&g.name),
                g.fr.abbrev(),
                g.sl_t,
                g.sl_a_without_countermeasures,
                g.sl_a,
                status_word(g.status),
                md_cell(&match g.status {
                    GapStatus::Closed => list_or(&g.closed_by, "-"),
                    GapStatus::OpenJustified =>
                        format!("justified: {}", g.justification.as_deref().unwrap_or("-")),
                    GapStatus::Open => "none: open".into(),
                })
            );
        }
        let _ = writeln!(o);
        for g in &e.gaps {
            let _ = writeln!(o, "### {}\n", gap_heading(g));
            let _ = writeln!(
                o,
                "SL-T {}; SL-A {} without countermeasures, {} with them.\n",
                g.sl_t, g.sl_a_without_countermeasures, g.sl_a
            );
            let _ = writeln!(o, "{}\n", gap_resolution(g));
            if g.missing.is_empty() {
                let _ = writeln!(
                    o,
                    "No asset lacks an applicable requirement up to SL {} (the shortfall comes from declared capability vectors or from the zones it joins).\n",
                    g.sl_t
                );
                continue;
            }
            let _ = writeln!(o, "Missing requirements, per asset below the target:\n");
            for (asset, reqs) in missing_by_asset(g) {
                let _ = writeln!(o, "- `{}`:", asset);
                for r in reqs {
                    let _ = writeln!(
                        o,
                        "  - {} {} (SL {}): {}",
                        r.requirement, r.title, r.min_sl, r.resolution
                    );
                }
            }
            let _ = writeln!(o);
        }
    }

    // 3. Explanations.
    let _ = writeln!(o, "## 3. How each level came about\n");
    for s in e.zones.iter().chain(e.conduits.iter()) {
        let _ = writeln!(o, "### {} {}\n", s.kind.label(), s.name);
        for f in &s.frs {
            let st = fr_state(e, s, f);
            let _ = writeln!(
                o,
                "- **{}**: SL-T {}, SL-A {} ({}{})",
                f.fr.abbrev(),
                f.sl_t,
                f.sl_a,
                if st == State::Met {
                    "met".to_string()
                } else {
                    format!("gap {}", st.word())
                },
                if f.limited_by.is_empty() {
                    String::new()
                } else {
                    format!("; limited by {}", f.limited_by.join(", "))
                }
            );
            for (i, x) in f.explanation.iter().enumerate() {
                let _ = writeln!(o, "  {}. {}", i + 1, step(f.fr, x));
            }
        }
        let _ = writeln!(o);
    }

    // 4. Assets.
    let _ = writeln!(o, "## 4. Assets: capability (SL-C)\n");
    let _ = writeln!(
        o,
        "SL-C per FR from the asset's own claims; `a→b` when countermeasures on the asset raise its level from a to b.\n"
    );
    if e.assets.is_empty() {
        let _ = writeln!(o, "No assets in the model.\n");
    } else {
        o.push_str(&md_fr_header(
            &["Asset", "Zone", "Type", "Basis"],
            &["Evidence"],
        ));
        for a in &e.assets {
            let mut row = format!(
                "| {} | {} | {} | {} |",
                md_cell(&a.name),
                md_cell(&a.zone),
                a.component_type.slug(),
                basis(a)
            );
            for fr in Fr::ALL {
                let _ = write!(row, " {} |", asset_cell(a, fr));
            }
            let _ = writeln!(o, "{row} {} |", md_cell(&list_or(&a.evidence, "-")));
        }
        let _ = writeln!(o);
        for a in &e.assets {
            let _ = writeln!(
                o,
                "### asset {} ({}, {})\n",
                a.name,
                a.component_type.slug(),
                basis(a)
            );
            for f in &a.frs {
                let _ = writeln!(o, "- **{}**: {}", f.fr.abbrev(), asset_steps(f));
            }
            let _ = writeln!(o);
        }
    }

    // 5. Risk proposals.
    let _ = writeln!(o, "## 5. Risk-based SL-T proposals (PROPOSAL)\n");
    if e.risk.is_empty() {
        let _ = writeln!(o, "No risk notes in the model: no proposal.\n");
    } else {
        let _ = writeln!(o, "> **{PROPOSAL_NOTE}**\n");
        for r in &e.risk {
            md_risk(&mut o, r);
        }
    }

    // 6. Warnings.
    let _ = writeln!(o, "## 6. Warnings\n");
    if e.warnings.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        for w in &e.warnings {
            let _ = writeln!(o, "- {w}");
        }
        let _ = writeln!(o);
    }

    // 7. Rules.
    let _ = writeln!(o, "## 7. Rules applied\n");
    for (i, r) in e.rules.iter().enumerate() {
        let _ = writeln!(o, "{}. {r}", i + 1);
    }
    o
}

fn md_risk(o: &mut String, r: &RiskProposal) {
    let _ = writeln!(o, "### PROPOSAL for zone {}\n", r.zone);
    let _ = writeln!(o, "{}", md_fr_header(&[""], &[]).trim_end());
    let mut d = String::from("| Declared SL-T (in force) |");
    let mut p = String::from("| **PROPOSED SL-T (proposal)** |");
    for fr in Fr::ALL {
        let _ = write!(d, " {} |", r.declared_sl_t.get(fr));
        let mark = if r.declared_below_proposal.contains(&fr) {
            " ▲"
        } else {
            ""
        };
        let _ = write!(p, " {}{mark} |", r.proposed_sl_t.get(fr));
    }
    let _ = writeln!(o, "{d}\n{p}\n");
    if r.declared_below_proposal.is_empty() {
        let _ = writeln!(
            o,
            "The declared SL-T is at or above the proposal in every FR.\n"
        );
    } else {
        let _ = writeln!(
            o,
            "The declared SL-T is below the proposal (▲) in {}; it stays in force until the owner changes it.\n",
            frs_text(&r.declared_below_proposal)
        );
    }
    let _ = writeln!(
        o,
        "| Threat | Likelihood | Consequence | Score | SL | FRs |\n|---|:---:|:---:|:---:|:---:|---|"
    );
    for t in &r.threats {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            md_cell(&t.name),
            t.likelihood,
            t.consequence,
            t.score,
            t.level,
            frs_text(&t.frs)
        );
    }
    let _ = writeln!(o, "\nMethod: {}\n", r.method);
    for x in &r.explanation {
        let _ = writeln!(o, "- {x}");
    }
    let _ = writeln!(o);
}

// ---------------------------------------------------------------------------------------
// HTML

const HTML_CSS: &str = r#"
td.ok { background: #dafbe1; }
td.gap-closed { background: #fff1c2; }
td.gap-open { background: #ffd8d3; font-weight: 600; }
td.gap-justified { background: #e6e8eb; color: #57606a; }
td.ok, td.gap-closed, td.gap-open, td.gap-justified, .badge {
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .3rem; font-size: 9pt; font-weight: 600; }
.badge.ok { background: #dafbe1; } .badge.gap-closed { background: #fff1c2; }
.badge.gap-open { background: #ffd8d3; } .badge.gap-justified { background: #e6e8eb; }
.proposal { border: 2px dashed #9a6700; padding: .2rem .8rem; margin: .6rem 0; }
.proposal-label { color: #9a6700; font-weight: 700; letter-spacing: .05em; }
.diagram { overflow-x: auto; margin: .6rem 0 1rem; }
.diagram svg { max-width: 100%; height: auto; }
ol.steps { margin: .2rem 0 .6rem; }
@media print { .diagram, .gap { break-inside: avoid; } }
"#;

fn html_fr_header(first: &[&str], last: &[&str]) -> String {
    let mut h = String::from("<thead><tr>");
    for f in first {
        let _ = write!(h, "<th>{}</th>", esc(f));
    }
    for fr in Fr::ALL {
        let _ = write!(
            h,
            "<th class=\"sl\" title=\"{}\">{}</th>",
            esc(fr.name()),
            fr.abbrev()
        );
    }
    for f in last {
        let _ = write!(h, "<th>{}</th>", esc(f));
    }
    h.push_str("</tr></thead>");
    h
}

fn html_scope_row(e: &Evaluation, s: &ScopeResult, first: &[String]) -> String {
    let mut row = String::from("<tr>");
    for (i, f) in first.iter().enumerate() {
        if i == 0 {
            let _ = write!(row, "<td><code>{}</code></td>", esc(f));
        } else {
            let _ = write!(row, "<td>{}</td>", esc(f));
        }
    }
    for f in &s.frs {
        let (st, text) = sl_cell(e, s, f);
        let _ = write!(
            row,
            "<td class=\"sl {}\" title=\"{} {}: {}\">{}</td>",
            st.class(),
            esc(&s.name),
            f.fr.abbrev(),
            esc(st.meaning()),
            esc(&text)
        );
    }
    row.push_str("</tr>\n");
    row
}

fn html_legend() -> String {
    let parts: Vec<String> = State::ALL
        .iter()
        .map(|s| {
            format!(
                "<span class=\"badge {}\">T/A{}</span> {}",
                s.class(),
                esc(s.marker()),
                esc(s.meaning())
            )
        })
        .collect();
    format!(
        "<p>Cells read SL-T/SL-A (SL-A with countermeasures): {}.</p>",
        parts.join("; ")
    )
}

/// The evaluation as one self-contained HTML page (diagram included) that prints cleanly.
pub fn html(e: &Evaluation, m: &SystemModel) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<style>{HTML_CSS}</style>");
    let _ = writeln!(b, "<header><h1>{}</h1>", esc(&title(e, m)));
    let _ = writeln!(b, "<table class=\"meta\"><tbody>");
    for (k, v) in meta_rows(e, m) {
        let _ = writeln!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    }
    let _ = writeln!(b, "</tbody></table>");
    let _ = writeln!(b, "<p class=\"muted\">SL vectors list seven levels in FR order: IAC UC SI DC RDF TRE RA. Requirement identifiers and titles refer to IEC 62443-4-2.</p></header>");
    let _ = writeln!(b, "<nav><h2>Contents</h2><ol><li><a href=\"#levels\">Security levels per zone and conduit</a></li><li><a href=\"#gaps\">Gaps</a></li><li><a href=\"#explanations\">How each level came about</a></li><li><a href=\"#assets\">Assets: capability (SL-C)</a></li><li><a href=\"#risk\">Risk-based SL-T proposals</a></li><li><a href=\"#warnings\">Warnings</a></li><li><a href=\"#rules\">Rules applied</a></li></ol></nav>");

    // 1. Levels.
    let _ = writeln!(
        b,
        "<section id=\"levels\"><h2>1. Security levels per zone and conduit</h2>"
    );
    let _ = writeln!(b, "{}", html_legend());
    let _ = writeln!(
        b,
        "<h3>Zones</h3><table>{}<tbody>",
        html_fr_header(&["Zone", "Parent", "Own assets"], &[])
    );
    for z in &e.zones {
        b.push_str(&html_scope_row(
            e,
            z,
            &[
                z.name.clone(),
                z.parent.clone().unwrap_or_else(|| "-".into()),
                z.members.len().to_string(),
            ],
        ));
    }
    let _ = writeln!(b, "</tbody></table>");
    let _ = writeln!(b, "<h3>Conduits</h3>");
    if e.conduits.is_empty() {
        let _ = writeln!(b, "<p>No conduits in the model.</p>");
    } else {
        let _ = writeln!(
            b,
            "<table>{}<tbody>",
            html_fr_header(&["Conduit", "Joins", "Protocols"], &[])
        );
        for c in &e.conduits {
            b.push_str(&html_scope_row(
                e,
                c,
                &[
                    c.name.clone(),
                    c.members.join(", "),
                    list_or(&protocols(m, &c.name, c), "-"),
                ],
            ));
        }
        let _ = writeln!(b, "</tbody></table>");
    }
    let _ = writeln!(
        b,
        "<h3>Diagram</h3><div class=\"diagram\">{}</div></section>",
        svg_element(e, m)
    );

    // 2. Gaps.
    let _ = writeln!(b, "<section id=\"gaps\"><h2 class=\"part\">2. Gaps</h2>");
    if e.gaps.is_empty() {
        let _ = writeln!(b, "<p>No gaps: every zone and conduit reaches its SL-T in every FR without countermeasures.</p>");
    } else {
        let _ = writeln!(
            b,
            "<p>A gap is an FR of a zone or conduit whose SL-A without countermeasures is below SL-T. {}.</p>",
            esc(&gap_counts(e))
        );
        let _ = writeln!(b, "<table><thead><tr><th>Scope</th><th>FR</th><th class=\"sl\">SL-T</th><th class=\"sl\">SL-A without / with</th><th>Status</th><th>Countermeasures or justification</th></tr></thead><tbody>");
        for g in &e.gaps {
            let st = State::from_gap(g.status);
            let what = match g.status {
                GapStatus::Closed => list_or(&g.closed_by, "-"),
                GapStatus::OpenJustified => {
                    format!("justified: {}", g.justification.as_deref().unwrap_or("-"))
                }
                GapStatus::Open => "none: open".into(),
            };
            let _ = writeln!(
                b,
                "<tr><td>{} <code>{}</code></td><td>{}</td><td class=\"sl\">{}</td><td class=\"sl {}\">{} / {}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                g.scope.label(),
                esc(&g.name),
                g.fr.abbrev(),
                g.sl_t,
                st.class(),
                g.sl_a_without_countermeasures,
                g.sl_a,
                st.class(),
                st.word(),
                esc(&what)
            );
        }
        let _ = writeln!(b, "</tbody></table>");
        for g in &e.gaps {
            let st = State::from_gap(g.status);
            let _ = writeln!(
                b,
                "<div class=\"gap\"><h3>{} <code>{}</code> / {}: <span class=\"badge {}\">{}</span></h3>",
                g.scope.label(),
                esc(&g.name),
                g.fr.abbrev(),
                st.class(),
                st.word()
            );
            let _ = writeln!(
                b,
                "<p>SL-T {}; SL-A {} without countermeasures, {} with them.</p><p>{}</p>",
                g.sl_t,
                g.sl_a_without_countermeasures,
                g.sl_a,
                esc(&gap_resolution(g))
            );
            if g.missing.is_empty() {
                let _ = writeln!(b, "<p class=\"muted\">No asset lacks an applicable requirement up to SL {} (the shortfall comes from declared capability vectors or from the zones it joins).</p></div>", g.sl_t);
                continue;
            }
            let _ = writeln!(b, "<table><thead><tr><th>Asset</th><th>Missing requirement</th><th>Title</th><th class=\"sl\">SL</th><th>Resolution</th></tr></thead><tbody>");
            for (asset, reqs) in missing_by_asset(g) {
                for (i, r) in reqs.iter().enumerate() {
                    let cls = if r.covered_by.is_empty() {
                        st.class()
                    } else {
                        State::Closed.class()
                    };
                    let _ = writeln!(
                        b,
                        "<tr><td>{}</td><td class=\"id\">{}</td><td>{}</td><td class=\"sl\">{}</td><td class=\"{}\">{}</td></tr>",
                        if i == 0 {
                            format!("<code>{}</code>", esc(asset))
                        } else {
                            String::new()
                        },
                        esc(&r.requirement),
                        esc(&r.title),
                        r.min_sl,
                        cls,
                        esc(&r.resolution)
                    );
                }
            }
            let _ = writeln!(b, "</tbody></table></div>");
        }
    }
    let _ = writeln!(b, "</section>");

    // 3. Explanations.
    let _ = writeln!(
        b,
        "<section id=\"explanations\"><h2 class=\"part\">3. How each level came about</h2>"
    );
    for s in e.zones.iter().chain(e.conduits.iter()) {
        let _ = writeln!(
            b,
            "<h3>{} <code>{}</code></h3><ul>",
            s.kind.label(),
            esc(&s.name)
        );
        for f in &s.frs {
            let st = fr_state(e, s, f);
            let _ = write!(
                b,
                "<li><strong>{}</strong>: SL-T {}, SL-A {} <span class=\"badge {}\">{}</span>{}<ol class=\"steps\">",
                f.fr.abbrev(),
                f.sl_t,
                f.sl_a,
                st.class(),
                if st == State::Met {
                    "met".to_string()
                } else {
                    format!("gap {}", st.word())
                },
                if f.limited_by.is_empty() {
                    String::new()
                } else {
                    format!(" <span class=\"muted\">limited by {}</span>", esc(&f.limited_by.join(", ")))
                }
            );
            for x in &f.explanation {
                let _ = write!(b, "<li>{}</li>", esc(step(f.fr, x)));
            }
            let _ = writeln!(b, "</ol></li>");
        }
        let _ = writeln!(b, "</ul>");
    }
    let _ = writeln!(b, "</section>");

    // 4. Assets.
    let _ = writeln!(
        b,
        "<section id=\"assets\"><h2 class=\"part\">4. Assets: capability (SL-C)</h2>"
    );
    let _ = writeln!(b, "<p>SL-C per FR from the asset's own claims; <code>a→b</code> when countermeasures on the asset raise its level from a to b.</p>");
    if e.assets.is_empty() {
        let _ = writeln!(b, "<p>No assets in the model.</p>");
    } else {
        let head = html_fr_header(&["Asset", "Zone", "Type", "Basis"], &["Evidence"]);
        let _ = writeln!(b, "<table>{head}<tbody>");
        for a in &e.assets {
            let _ = write!(
                b,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>",
                esc(&a.name),
                esc(&a.zone),
                a.component_type.slug(),
                basis(a)
            );
            for fr in Fr::ALL {
                let _ = write!(b, "<td class=\"sl\">{}</td>", asset_cell(a, fr));
            }
            let _ = writeln!(b, "<td>{}</td></tr>", esc(&list_or(&a.evidence, "-")));
        }
        let _ = writeln!(b, "</tbody></table>");
        for a in &e.assets {
            let _ = writeln!(
                b,
                "<h3>asset <code>{}</code> <span class=\"muted\">({}, {})</span></h3><ul>",
                esc(&a.name),
                a.component_type.slug(),
                basis(a)
            );
            for f in &a.frs {
                let _ = writeln!(
                    b,
                    "<li><strong>{}</strong>: {}</li>",
                    f.fr.abbrev(),
                    esc(&asset_steps(f))
                );
            }
            let _ = writeln!(b, "</ul>");
        }
    }
    let _ = writeln!(b, "</section>");

    // 5. Risk.
    let _ = writeln!(
        b,
        "<section id=\"risk\"><h2 class=\"part\">5. Risk-based SL-T proposals (PROPOSAL)</h2>"
    );
    if e.risk.is_empty() {
        let _ = writeln!(b, "<p>No risk notes in the model: no proposal.</p>");
    } else {
        let _ = writeln!(
            b,
            "<p class=\"proposal\"><span class=\"proposal-label\">PROPOSAL</span> {}</p>",
            esc(PROPOSAL_NOTE)
        );
        for r in &e.risk {
            html_risk(&mut b, r);
        }
    }
    let _ = writeln!(b, "</section>");

    // 6. Warnings.
    let _ = writeln!(b, "<section id=\"warnings\"><h2>6. Warnings</h2>");
    if e.warnings.is_empty() {
        let _ = writeln!(b, "<p>None.</p>");
    } else {
        let _ = writeln!(b, "<ul>");
        for w in &e.warnings {
            let _ = writeln!(b, "<li>{}</li>", esc(w));
        }
        let _ = writeln!(b, "</ul>");
    }
    let _ = writeln!(b, "</section>");

    // 7. Rules.
    let _ = writeln!(b, "<section id=\"rules\"><h2>7. Rules applied</h2><ol>");
    for r in &e.rules {
        let _ = writeln!(b, "<li>{}</li>", esc(r));
    }
    let _ = writeln!(b, "</ol></section>");
    let _ = writeln!(
        b,
        "<footer>Generated by otproof from the system model; catalog {}, data format {}.</footer>",
        esc(&e.catalog),
        esc(&e.format)
    );
    page(&title(e, m), &b)
}

fn html_risk(b: &mut String, r: &RiskProposal) {
    let _ = writeln!(
        b,
        "<div class=\"proposal\"><h3><span class=\"proposal-label\">PROPOSAL</span> for zone <code>{}</code></h3>",
        esc(&r.zone)
    );
    let _ = write!(b, "<table>{}<tbody>", html_fr_header(&[""], &[]));
    let _ = write!(b, "<tr><td>Declared SL-T (in force)</td>");
    for fr in Fr::ALL {
        let _ = write!(b, "<td class=\"sl\">{}</td>", r.declared_sl_t.get(fr));
    }
    let _ = write!(
        b,
        "</tr><tr><td><span class=\"proposal-label\">PROPOSED</span> SL-T (proposal)</td>"
    );
    for fr in Fr::ALL {
        let below = r.declared_below_proposal.contains(&fr);
        let _ = write!(
            b,
            "<td class=\"sl{}\">{}{}</td>",
            if below { " gap-closed" } else { "" },
            r.proposed_sl_t.get(fr),
            if below { " ▲" } else { "" }
        );
    }
    let _ = writeln!(b, "</tr></tbody></table>");
    if r.declared_below_proposal.is_empty() {
        let _ = writeln!(
            b,
            "<p>The declared SL-T is at or above the proposal in every FR.</p>"
        );
    } else {
        let _ = writeln!(
            b,
            "<p>The declared SL-T is below the proposal (▲) in {}; it stays in force until the owner changes it.</p>",
            frs_text(&r.declared_below_proposal)
        );
    }
    let _ = writeln!(b, "<table><thead><tr><th>Threat</th><th class=\"sl\">Likelihood</th><th class=\"sl\">Consequence</th><th class=\"sl\">Score</th><th class=\"sl\">SL</th><th>FRs</th></tr></thead><tbody>");
    for t in &r.threats {
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td class=\"sl\">{}</td><td class=\"sl\">{}</td><td class=\"sl\">{}</td><td class=\"sl\">{}</td><td>{}</td></tr>",
            esc(&t.name),
            t.likelihood,
            t.consequence,
            t.score,
            t.level,
            frs_text(&t.frs)
        );
    }
    let _ = writeln!(b, "</tbody></table>");
    let _ = writeln!(b, "<p class=\"muted\">Method: {}</p><ul>", esc(&r.method));
    for x in &r.explanation {
        let _ = writeln!(b, "<li>{}</li>", esc(x));
    }
    let _ = writeln!(b, "</ul></div>");
}

// ---------------------------------------------------------------------------------------
// SVG

/// Text metrics: the diagram uses a monospace font, so widths follow from character counts.
const FONT: i64 = 11;
const TITLE_FONT: i64 = 13;
const LINE: i64 = 15;
const TITLE_LINE: i64 = 18;
const MARGIN: i64 = 20;
const PAD: i64 = 10;
const BOX_GAP: i64 = 24;
const SUB_GAP: i64 = 12;
const PORT_GAP: i64 = 18;
const PORT_PAD: i64 = 8;
const MIN_W: i64 = 180;
const LANE_TOP: i64 = 40;
const LANE_GAP: i64 = 30;
const INK: &str = "#1b1f24";
const MUTED: &str = "#57606a";

/// Width in pixels of `text` at `font` px in a monospace font (0.62 em per character).
fn text_w(text: &str, font: i64) -> i64 {
    let n = text.chars().count() as i64;
    (n * font * 62 + 99) / 100
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Title,
    Vector,
    Status(State),
    AssetName,
    AssetDetail,
    Muted,
    Rule,
}

struct TextLine {
    kind: LineKind,
    text: String,
}

impl TextLine {
    fn new(kind: LineKind, text: impl Into<String>) -> TextLine {
        TextLine {
            kind,
            text: text.into(),
        }
    }

    fn height(&self) -> i64 {
        match self.kind {
            LineKind::Title => TITLE_LINE,
            LineKind::Rule => 8,
            _ => LINE,
        }
    }

    fn width(&self) -> i64 {
        match self.kind {
            LineKind::Title => text_w(&self.text, TITLE_FONT),
            LineKind::Rule => 0,
            _ => text_w(&self.text, FONT),
        }
    }
}

/// One zone's box, children nested inside.
struct ZoneBox {
    /// Index in `Evaluation::zones`.
    zone: usize,
    depth: usize,
    lines: Vec<TextLine>,
    /// Conduit indexes with a port on this zone, in conduit order.
    ports: Vec<usize>,
    children: Vec<ZoneBox>,
    /// Width of the strip (left of the children) holding this zone's own ports.
    strip: i64,
    w: i64,
    h: i64,
    x: i64,
    y: i64,
}

fn zone_lines(e: &Evaluation, z: &ScopeResult) -> Vec<TextLine> {
    let mut lines = vec![
        TextLine::new(LineKind::Title, z.name.clone()),
        TextLine::new(LineKind::Vector, format!("SL-T {}", z.sl_t)),
        TextLine::new(LineKind::Vector, format!("SL-A {}", sl_a_text(z))),
    ];
    for st in [State::Open, State::Justified, State::Closed] {
        let frs: Vec<&str> = z
            .frs
            .iter()
            .filter(|f| fr_state(e, z, f) == st)
            .map(|f| f.fr.abbrev())
            .collect();
        if !frs.is_empty() {
            lines.push(TextLine::new(
                LineKind::Status(st),
                format!("{} gap: {}", st.word(), frs.join(", ")),
            ));
        }
    }
    lines.push(TextLine::new(LineKind::Rule, ""));
    let own: Vec<&AssetResult> = e.assets.iter().filter(|a| a.zone == z.name).collect();
    if own.is_empty() {
        lines.push(TextLine::new(LineKind::Muted, "(no assets of its own)"));
    }
    for a in own {
        lines.push(TextLine::new(LineKind::AssetName, a.name.clone()));
        lines.push(TextLine::new(
            LineKind::AssetDetail,
            format!("  {}  SL-C {}", a.component_type.slug(), a.sl_c),
        ));
        if a.level != a.sl_c {
            lines.push(TextLine::new(
                LineKind::AssetDetail,
                format!("  with countermeasures {}", a.level),
            ));
        }
    }
    lines
}

/// Build a zone's box and its children's, sizes only (positions come later).
fn build_box(
    e: &Evaluation,
    zone: usize,
    depth: usize,
    placed: &mut Vec<bool>,
    ports: &[Vec<usize>],
) -> ZoneBox {
    placed[zone] = true;
    let z = &e.zones[zone];
    let mut children = Vec::new();
    for (i, c) in e.zones.iter().enumerate() {
        if !placed[i] && c.parent.as_deref() == Some(z.name.as_str()) && i != zone {
            children.push(build_box(e, i, depth + 1, placed, ports));
        }
    }
    let lines = zone_lines(e, z);
    let text_w = lines.iter().map(TextLine::width).max().unwrap_or(0) + 2 * PAD;
    let text_h: i64 = lines.iter().map(TextLine::height).sum();
    let own_ports = ports[zone].clone();
    let strip = if children.is_empty() || own_ports.is_empty() {
        0
    } else {
        own_ports.len() as i64 * PORT_GAP
    };
    let row_w: i64 =
        children.iter().map(|c| c.w).sum::<i64>() + SUB_GAP * (children.len() as i64 - 1).max(0);
    let row_h = children.iter().map(|c| c.h).max().unwrap_or(0);
    let w = text_w
        .max(MIN_W)
        .max(if children.is_empty() {
            0
        } else {
            strip + row_w + 2 * PAD
        })
        .max((own_ports.len() as i64 + 1) * PORT_GAP);
    let h = PAD
        + text_h
        + if children.is_empty() {
            0
        } else {
            SUB_GAP + row_h
        }
        + PAD
        + PORT_PAD;
    ZoneBox {
        zone,
        depth,
        lines,
        ports: own_ports,
        children,
        strip,
        w,
        h,
        x: 0,
        y: 0,
    }
}

fn place(b: &mut ZoneBox, x: i64, y: i64) {
    b.x = x;
    b.y = y;
    let text_h: i64 = b.lines.iter().map(TextLine::height).sum();
    let mut cx = x + PAD + b.strip;
    let cy = y + PAD + text_h + SUB_GAP;
    for c in &mut b.children {
        place(c, cx, cy);
        cx += c.w + SUB_GAP;
    }
}

/// Port x positions per (zone, conduit): own ports spread over the box, or in the strip left
/// of the children when the zone has sub-zones.
fn collect_ports(b: &ZoneBox, out: &mut Vec<(usize, usize, i64, i64)>) {
    let k = b.ports.len() as i64;
    for (i, &ci) in b.ports.iter().enumerate() {
        let i = i as i64;
        let px = if b.children.is_empty() {
            b.x + (i + 1) * b.w / (k + 1)
        } else {
            b.x + PAD + i * PORT_GAP + PORT_GAP / 2
        };
        out.push((ci, b.zone, px, b.y + b.h));
    }
    for c in &b.children {
        collect_ports(c, out);
    }
}

fn draw_box(e: &Evaluation, b: &ZoneBox, o: &mut String) {
    let z = &e.zones[b.zone];
    let st = scope_state(e, z);
    let fill = if b.depth.is_multiple_of(2) {
        "#f6f8fa"
    } else {
        "#ffffff"
    };
    let _ = writeln!(
        o,
        "<g id=\"zone-{}\"><title>{}</title>",
        b.zone,
        esc(&format!(
            "zone {}{}: SL-T {}, SL-A {} ({})",
            z.name,
            z.parent
                .as_deref()
                .map(|p| format!(" (sub-zone of {p})"))
                .unwrap_or_default(),
            z.sl_t,
            sl_a_text(z),
            st.meaning()
        ))
    );
    let _ = writeln!(
        o,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" ry=\"6\" fill=\"{fill}\" stroke=\"{}\" stroke-width=\"2\"{}/>",
        b.x,
        b.y,
        b.w,
        b.h,
        st.colour(),
        st.dash()
            .map(|d| format!(" stroke-dasharray=\"{d}\""))
            .unwrap_or_default()
    );
    let mut y = b.y + PAD;
    for l in &b.lines {
        let base = y + l.height() - 4;
        let x = b.x + PAD;
        match l.kind {
            LineKind::Rule => {
                let _ = writeln!(
                    o,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d0d7de\" stroke-width=\"1\"/>",
                    b.x + PAD,
                    y + 4,
                    b.x + b.w - PAD,
                    y + 4
                );
            }
            LineKind::Title => {
                let _ = writeln!(
                    o,
                    "<text x=\"{x}\" y=\"{base}\" font-size=\"{TITLE_FONT}\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
                    esc(&l.text)
                );
            }
            kind => {
                let (fill, weight) = match kind {
                    LineKind::Status(s) => (s.colour(), " font-weight=\"bold\""),
                    LineKind::AssetName => (INK, " font-weight=\"bold\""),
                    LineKind::AssetDetail | LineKind::Muted => (MUTED, ""),
                    _ => (INK, ""),
                };
                let _ = writeln!(
                    o,
                    "<text x=\"{x}\" y=\"{base}\" font-size=\"{FONT}\" fill=\"{fill}\"{weight} xml:space=\"preserve\">{}</text>",
                    esc(&l.text)
                );
            }
        }
        y += l.height();
    }
    let _ = writeln!(o, "</g>");
    for c in &b.children {
        draw_box(e, c, o);
    }
}

fn conduit_label(c: &ScopeResult) -> String {
    format!("{}: SL-T {} / SL-A {}", c.name, c.sl_t, c.sl_a)
}

/// The diagram as an `<svg>` element (no XML declaration), for embedding.
fn svg_element(e: &Evaluation, m: &SystemModel) -> String {
    // Ports: one per (conduit, joined zone), in conduit order.
    let mut ports: Vec<Vec<usize>> = vec![Vec::new(); e.zones.len()];
    for (ci, c) in e.conduits.iter().enumerate() {
        for name in &c.members {
            if let Some(zi) = e.zones.iter().position(|z| &z.name == name) {
                if !ports[zi].contains(&ci) {
                    ports[zi].push(ci);
                }
            }
        }
    }

    // Boxes: top-level zones (no parent, or a parent that does not resolve) in model order,
    // sub-zones nested; zones caught in a parent cycle are placed at top level last.
    let mut placed = vec![false; e.zones.len()];
    let mut tops = Vec::new();
    for (i, z) in e.zones.iter().enumerate() {
        let top = match &z.parent {
            None => true,
            Some(p) => !e.zones.iter().any(|o| &o.name == p),
        };
        if top && !placed[i] {
            tops.push(build_box(e, i, 0, &mut placed, &ports));
        }
    }
    for i in 0..e.zones.len() {
        if !placed[i] {
            tops.push(build_box(e, i, 0, &mut placed, &ports));
        }
    }
    let title_text = title(e, m);
    let top_y = MARGIN + 34;
    let mut x = MARGIN;
    for b in &mut tops {
        place(b, x, top_y);
        x += b.w + BOX_GAP;
    }
    let row_right = x - BOX_GAP;
    let bottom = tops.iter().map(|b| b.y + b.h).max().unwrap_or(top_y);

    let mut port_list = Vec::new();
    for b in &tops {
        collect_ports(b, &mut port_list);
    }

    // Lanes, one per conduit.
    let mut body = String::new();
    for b in &tops {
        draw_box(e, b, &mut body);
    }
    let mut right = row_right.max(MARGIN + text_w(&title_text, 16));
    let mut lanes = String::new();
    let mut labels = String::new();
    for (ci, c) in e.conduits.iter().enumerate() {
        let lane_y = bottom + LANE_TOP + ci as i64 * LANE_GAP;
        let st = scope_state(e, c);
        let colour = st.colour();
        let dash = st
            .dash()
            .map(|d| format!(" stroke-dasharray=\"{d}\""))
            .unwrap_or_default();
        let mine: Vec<&(usize, usize, i64, i64)> = port_list.iter().filter(|p| p.0 == ci).collect();
        let (x0, x1) = if mine.is_empty() {
            (MARGIN, MARGIN + 40)
        } else {
            (
                mine.iter().map(|p| p.2).min().unwrap_or(MARGIN),
                mine.iter().map(|p| p.2).max().unwrap_or(MARGIN),
            )
        };
        let _ = writeln!(
            lanes,
            "<g id=\"conduit-{ci}\"><title>{}</title>",
            esc(&format!(
                "conduit {} joins {}{}: SL-T {}, SL-A {} ({})",
                c.name,
                c.members.join(", "),
                {
                    let p = protocols(m, &c.name, c);
                    if p.is_empty() {
                        String::new()
                    } else {
                        format!(", carries {}", p.join(", "))
                    }
                },
                c.sl_t,
                c.sl_a,
                st.meaning()
            ))
        );
        for p in &mine {
            let _ = writeln!(
                lanes,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{lane_y}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\n<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{colour}\"/>\n<circle cx=\"{}\" cy=\"{lane_y}\" r=\"3.5\" fill=\"{colour}\"/>",
                p.2, p.3, p.2, p.2, p.3, p.2
            );
        }
        let _ = writeln!(
            lanes,
            "<line x1=\"{x0}\" y1=\"{lane_y}\" x2=\"{x1}\" y2=\"{lane_y}\" stroke=\"{colour}\" stroke-width=\"3\"{dash}/></g>"
        );
        let label = conduit_label(c);
        let lw = text_w(&label, FONT);
        let lx = x0 + 6;
        let _ = writeln!(
            labels,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" fill-opacity=\"0.88\"/>\n<text x=\"{lx}\" y=\"{}\" font-size=\"{FONT}\" fill=\"{INK}\">{}</text>",
            lx - 3,
            lane_y - 17,
            lw + 6,
            LINE,
            lane_y - 6,
            esc(&label)
        );
        right = right.max(lx + lw + 3);
    }

    // Legend.
    let legend_y = bottom + LANE_TOP + (e.conduits.len() as i64).max(1) * LANE_GAP;
    let mut legend = String::new();
    let _ = writeln!(
        legend,
        "<g id=\"legend\"><text x=\"{MARGIN}\" y=\"{}\" font-size=\"{FONT}\" font-weight=\"bold\" fill=\"{INK}\">Legend</text>",
        legend_y + 12
    );
    let mut ly = legend_y + 22;
    for st in State::ALL {
        let _ = writeln!(
            legend,
            "<rect x=\"{MARGIN}\" y=\"{ly}\" width=\"28\" height=\"14\" rx=\"3\" ry=\"3\" fill=\"#f6f8fa\" stroke=\"{}\" stroke-width=\"2\"{}/>\n<text x=\"{}\" y=\"{}\" font-size=\"{FONT}\" fill=\"{INK}\">{}</text>",
            st.colour(),
            st.dash()
                .map(|d| format!(" stroke-dasharray=\"{d}\""))
                .unwrap_or_default(),
            MARGIN + 38,
            ly + 11,
            esc(&format!(
                "zone or conduit: {}",
                match st {
                    State::Met => "every FR meets SL-T without gaps",
                    State::Closed => "gap(s), all closed by countermeasures",
                    State::Justified => "open gap(s), all justified",
                    State::Open => "open gap(s) without justification",
                }
            ))
        );
        ly += 20;
    }
    let notes = [
        "conduit: horizontal line, dropped to each zone it joins; label name: SL-T / SL-A",
        "sub-zones are drawn inside their parent zone; SL-A = achieved with countermeasures",
        "SL vectors: {IAC UC SI DC RDF TRE RA}; assets show SL-C from their own claims",
    ];
    let _ = writeln!(
        legend,
        "<line x1=\"{MARGIN}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{MUTED}\" stroke-width=\"3\"/>\n<circle cx=\"{MARGIN}\" cy=\"{}\" r=\"3.5\" fill=\"{MUTED}\"/><circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{MUTED}\"/>",
        ly + 7,
        MARGIN + 28,
        ly + 7,
        ly + 7,
        MARGIN + 28,
        ly + 7
    );
    for (i, n) in notes.iter().enumerate() {
        let _ = writeln!(
            legend,
            "<text x=\"{}\" y=\"{}\" font-size=\"{FONT}\" fill=\"{INK}\">{}</text>",
            MARGIN + 38,
            ly + 11 + i as i64 * 18,
            esc(n)
        );
        right = right.max(MARGIN + 38 + text_w(n, FONT));
    }
    ly += 18 * notes.len() as i64;
    let _ = writeln!(legend, "</g>");

    let width = right + MARGIN;
    let height = ly + MARGIN;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace\">"
    );
    let _ = writeln!(o, "<title>{}</title>", esc(&title_text));
    let _ = writeln!(
        o,
        "<desc>{}</desc>",
        esc("Zones as boxes with their SL-T and SL-A vectors and their assets (component type and SL-C); sub-zones nested inside their parent; conduits as lines joining the zones they connect, labelled with SL-T and SL-A. Outline colours: green no gap, amber gaps closed by countermeasures, red open gaps (dashed when justified).")
    );
    let _ = writeln!(
        o,
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        o,
        "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        MARGIN + 14,
        esc(&title_text)
    );
    o.push_str(&body);
    o.push_str(&lanes);
    o.push_str(&labels);
    o.push_str(&legend);
    o.push_str("</svg>\n");
    o
}

/// The zones and conduits as a standalone SVG 1.1 diagram: zones as boxes (sub-zones
/// nested), assets listed inside, conduits as lines between the zones they join, outlines
/// coloured by gap state, and a legend. The layout is deterministic: top-level zones in a
/// row in model order, sizes computed from content.
pub fn svg(e: &Evaluation, m: &SystemModel) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n{}",
        svg_element(e, m)
    )
}
