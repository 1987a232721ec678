//! # otproof-sbomcheck
//!
//! The acceptance check of one SBOM: every component looked up in the offline vulnerability
//! data ([`otproof_vulndb::Matcher`]), every match resolved against the VEX statements given
//! ([`otproof_vex::VexSet`]), the NTIA minimum elements checked, and a [`Policy`] turned
//! into a verdict with its reasons.
//!
//! Invariants:
//! - Every component of the SBOM appears in the report, with or without a purl; how each
//!   match was found is stated (`confidence`), so a name-only guess never looks like a purl
//!   match.
//! - VEX applies to a (vulnerability, component) pair, never to a vulnerability ID alone
//!   (the rules are `otproof_vex`'s); the statement used and any conflict are reported.
//! - No I/O and no clock: the same inputs give the same report.

mod policy;

pub use policy::{Policy, PolicyError, Threshold};

use otproof_sbom::{Component, Document, NtiaReport};
use otproof_text::quote;
use otproof_vex::{Conflict, Status, Target, VexSet};
use otproof_vulndb::{Confidence, Matcher, Query, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

/// The result of checking one SBOM.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// What was checked.
    pub sbom: SbomSummary,
    /// NTIA minimum elements.
    pub ntia: NtiaReport,
    /// Every component, with its vulnerabilities.
    pub components: Vec<ComponentResult>,
    /// VEX documents used and conflicts between their statements.
    pub vex: VexSummary,
    /// Counts.
    pub totals: Totals,
    /// The policy's verdict.
    pub verdict: Verdict,
}

/// The SBOM document.
#[derive(Debug, Clone, Serialize)]
pub struct SbomSummary {
    /// Format and version, e.g. `CycloneDX JSON 1.5`.
    pub format: String,
    /// Serial number or document namespace.
    pub serial: Option<String>,
    /// The product the SBOM describes.
    pub subject: Option<String>,
    /// Creation time as written.
    pub created: Option<String>,
    /// Component count.
    pub components: usize,
    /// Reader problems (malformed purls, duplicate refs ...), as `location: message`.
    pub problems: Vec<String>,
}

/// One component and what was found for it.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentResult {
    /// `bom-ref` / SPDXID.
    pub bom_ref: String,
    /// Name (with group, `group/name`, where there is one).
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Package URL (canonical), if valid.
    pub purl: Option<String>,
    /// CPE.
    pub cpe: Option<String>,
    /// Supplier.
    pub supplier: Option<String>,
    /// Number of hashes.
    pub hashes: usize,
    /// Ancestors (nested components).
    pub path: Vec<String>,
    /// How it could be looked up: `purl`, `cpe` or `name` (low confidence).
    pub lookup: &'static str,
    /// Vulnerabilities.
    pub vulnerabilities: Vec<VulnResult>,
}

/// A vulnerability of a component, with its VEX resolution.
#[derive(Debug, Clone, Serialize)]
pub struct VulnResult {
    /// Advisory ID.
    pub id: String,
    /// Aliases (CVE, GHSA ...).
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Qualitative severity (from the highest CVSS base score).
    pub severity: Option<Severity>,
    /// Highest CVSS base score.
    pub score: Option<f64>,
    /// CVSS vectors.
    pub cvss: Vec<String>,
    /// In the CISA KEV catalog.
    pub kev: bool,
    /// First fixed version above the component's.
    pub fixed: Option<String>,
    /// How the match was found.
    pub confidence: Confidence,
    /// False when the version could not be evaluated.
    pub evaluable: bool,
    /// Caveats.
    pub note: Option<String>,
    /// The VEX statement that applies, if any.
    pub vex: Option<VexApplied>,
}

impl VulnResult {
    /// Cleared by VEX (not affected or fixed).
    pub fn cleared(&self) -> bool {
        self.vex
            .as_ref()
            .is_some_and(|v| matches!(v.status, Status::NotAffected | Status::Fixed))
    }
}

/// The VEX statement applied to a (vulnerability, component) pair.
#[derive(Debug, Clone, Serialize)]
pub struct VexApplied {
    /// Status.
    pub status: Status,
    /// Justification (not affected).
    pub justification: Option<String>,
    /// Impact or action statement.
    pub statement: Option<String>,
    /// Where the statement is (`document#statements[i]`).
    pub source: String,
    /// Statements that disagree with it.
    pub conflicting: Vec<String>,
}

/// VEX input.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VexSummary {
    /// Statements read.
    pub statements: usize,
    /// Contradictions not settled by timestamps.
    pub conflicts: Vec<Conflict>,
}

/// Counts over the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Components.
    pub components: usize,
    /// Components with at least one open vulnerability.
    pub vulnerable_components: usize,
    /// (component, vulnerability) pairs.
    pub vulnerabilities: usize,
    /// Pairs cleared by VEX (not affected, fixed).
    pub cleared_by_vex: usize,
    /// Open pairs by severity (`critical`, `high`, `medium`, `low`, `none`, `unknown`).
    pub open_by_severity: BTreeMap<String, usize>,
    /// Open pairs in the KEV catalog.
    pub open_kev: usize,
}

/// Pass or fail, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Every policy rule held.
    pub passed: bool,
    /// One line per broken rule.
    pub reasons: Vec<String>,
}

/// The lookup query for a component: purl first, else CPE, else name and version.
pub fn query_for(c: &Component) -> (Query, &'static str) {
    if let Some(p) = &c.purl {
        let q = Query {
            purl_type: Some(p.ty.clone()),
            namespace: p.namespace.clone(),
            name: p.name.clone(),
            version: p.version.clone().or_else(|| c.version.clone()),
            cpe: c.cpe.clone(),
        };
        return (q, "purl");
    }
    let q = Query {
        purl_type: None,
        namespace: None,
        name: c.name.clone(),
        version: c.version.clone(),
        cpe: c.cpe.clone(),
    };
    (q, if c.cpe.is_some() { "cpe" } else { "name" })
}

fn target_of(c: &Component) -> (Option<String>, Target<'_>) {
    let purl = c.purl.as_ref().map(|p| p.to_string());
    let t = Target {
        purl: None,
        cpe: c.cpe.as_deref(),
        bom_ref: Some(c.bom_ref.as_str()),
        name: c.name.as_str(),
        version: c.version.as_deref(),
    };
    (purl, t)
}

/// Check `doc` against the vulnerability data and VEX statements, and judge by `policy`.
pub fn check(doc: &Document, matcher: &Matcher, vex: &VexSet, policy: &Policy) -> CheckReport {
    let subject = doc.subject.as_ref().map(|s| {
        let (purl, t) = target_of(s);
        (purl, t)
    });
    let product: Option<Target<'_>> = subject.as_ref().map(|(purl, t)| Target {
        purl: purl.as_deref(),
        ..*t
    });
    let mut components = Vec::with_capacity(doc.components.len());
    for c in &doc.components {
        let (q, lookup) = query_for(c);
        let (purl, t) = target_of(c);
        let target = Target {
            purl: purl.as_deref(),
            ..t
        };
        let mut vulns = Vec::new();
        for m in matcher.lookup(&q) {
            let mut ids: Vec<&str> = vec![m.id.as_str()];
            ids.extend(m.aliases.iter().map(String::as_str));
            let applied = vex
                .resolve(&ids, product.as_ref(), &target)
                .map(|r| VexApplied {
                    status: r.status,
                    justification: r.justification.clone(),
                    statement: r
                        .statement
                        .impact_statement
                        .clone()
                        .or_else(|| r.statement.action_statement.clone()),
                    source: r.statement.source.clone(),
                    conflicting: r.conflicting.iter().map(|s| s.source.clone()).collect(),
                });
            vulns.push(VulnResult {
                id: m.id,
                aliases: m.aliases,
                summary: m.summary,
                severity: m.severity,
                score: m.score,
                cvss: m.cvss,
                kev: m.kev,
                fixed: m.fixed,
                confidence: m.confidence,
                evaluable: m.evaluable,
                note: m.note,
                vex: applied,
            });
        }
        vulns.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.kev.cmp(&a.kev))
                .then(a.id.cmp(&b.id))
        });
        components.push(ComponentResult {
            bom_ref: c.bom_ref.clone(),
            name: match &c.group {
                Some(g) if !g.is_empty() => format!("{g}/{}", c.name),
                _ => c.name.clone(),
            },
            version: c.version.clone(),
            purl,
            cpe: c.cpe.clone(),
            supplier: c.supplier.clone(),
            hashes: c.hashes.len(),
            path: c.path.clone(),
            lookup,
            vulnerabilities: vulns,
        });
    }
    let ntia = otproof_sbom::ntia(doc);
    let vex_summary = VexSummary {
        statements: vex.statements().len(),
        conflicts: vex
            .conflicts()
            .into_iter()
            .filter(|c| c.winner.is_none())
            .collect(),
    };
    let totals = totals(&components);
    let sbom = SbomSummary {
        format: format!("{} {}", doc.format, doc.spec_version),
        serial: doc.serial.clone(),
        subject: doc.subject.as_ref().map(|s| match &s.version {
            Some(v) => format!("{} {v}", s.name),
            None => s.name.clone(),
        }),
        created: doc.created.clone(),
        components: doc.components.len(),
        problems: doc
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect(),
    };
    let reasons = policy.judge(&sbom, &ntia, &components, &vex_summary);
    CheckReport {
        sbom,
        ntia,
        components,
        vex: vex_summary,
        totals,
        verdict: Verdict {
            passed: reasons.is_empty(),
            reasons,
        },
    }
}

fn totals(components: &[ComponentResult]) -> Totals {
    let mut t = Totals {
        components: components.len(),
        ..Totals::default()
    };
    for c in components {
        let mut open = false;
        for v in &c.vulnerabilities {
            t.vulnerabilities += 1;
            if v.cleared() {
                t.cleared_by_vex += 1;
                continue;
            }
            open = true;
            *t.open_by_severity
                .entry(severity_name(v.severity).to_string())
                .or_default() += 1;
            if v.kev {
                t.open_kev += 1;
            }
        }
        if open {
            t.vulnerable_components += 1;
        }
    }
    t
}

/// `critical`, `high`, `medium`, `low`, `none` or `unknown`.
pub fn severity_name(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Critical) => "critical",
        Some(Severity::High) => "high",
        Some(Severity::Medium) => "medium",
        Some(Severity::Low) => "low",
        Some(Severity::None) => "none",
        None => "unknown",
    }
}

/// The status word of a VEX status.
pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::NotAffected => "not_affected",
        Status::Affected => "affected",
        Status::Fixed => "fixed",
        Status::UnderInvestigation => "under_investigation",
    }
}

/// What changed between two SBOMs of a product (an update).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SbomDiff {
    /// Components only in the new SBOM (`name@version`).
    pub added: Vec<String>,
    /// Components only in the old SBOM.
    pub removed: Vec<String>,
    /// Components in both at different versions (`name: old -> new`).
    pub changed: Vec<String>,
    /// Vulnerabilities (ID in component) present in the old and gone in the new.
    pub fixed: Vec<String>,
    /// Vulnerabilities present in the new and not in the old, with severity.
    pub introduced: Vec<(String, Option<Severity>)>,
}

fn component_key(c: &Component) -> String {
    match &c.purl {
        Some(p) => {
            let mut k = format!("pkg:{}/", p.ty);
            if let Some(ns) = &p.namespace {
                k.push_str(ns);
                k.push('/');
            }
            k.push_str(&p.name);
            k
        }
        None => match &c.group {
            Some(g) if !g.is_empty() => format!("{g}/{}", c.name),
            _ => c.name.clone(),
        },
    }
}

/// Compare two SBOMs: components added, removed and changed (matched by purl without version,
/// else by group and name); with a matcher, the vulnerabilities fixed and introduced.
pub fn diff(old: &Document, new: &Document, matcher: Option<&Matcher>) -> SbomDiff {
    use std::collections::{BTreeMap, BTreeSet};
    let index = |d: &Document| -> BTreeMap<String, Option<String>> {
        d.components
            .iter()
            .map(|c| (component_key(c), c.version.clone()))
            .collect()
    };
    let (o, n) = (index(old), index(new));
    // Entries name components from the SBOMs: quoted, one line each.
    let at = |k: &str, v: &Option<String>| match v {
        Some(v) => quote(&format!("{k}@{v}")),
        None => quote(k),
    };
    let mut out = SbomDiff::default();
    for (k, v) in &n {
        match o.get(k) {
            None => out.added.push(at(k, v)),
            Some(ov) if ov != v => out.changed.push(format!(
                "{}: {} -> {}",
                quote(k),
                quote(ov.as_deref().unwrap_or("?")),
                quote(v.as_deref().unwrap_or("?"))
            )),
            Some(_) => {}
        }
    }
    for (k, v) in &o {
        if !n.contains_key(k) {
            out.removed.push(at(k, v));
        }
    }
    if let Some(m) = matcher {
        let vulns = |d: &Document| -> BTreeMap<String, Option<Severity>> {
            let r = check(d, m, &VexSet::new(), &Policy::default());
            let mut set = BTreeMap::new();
            for (c, src) in r.components.iter().zip(&d.components) {
                for v in &c.vulnerabilities {
                    set.insert(
                        format!("{} in {}", quote(&v.id), quote(&component_key(src))),
                        v.severity,
                    );
                }
            }
            set
        };
        let (ov, nv) = (vulns(old), vulns(new));
        let old_ids: BTreeSet<&String> = ov.keys().collect();
        out.fixed = ov
            .keys()
            .filter(|k| !nv.contains_key(*k))
            .cloned()
            .collect();
        out.introduced = nv
            .iter()
            .filter(|(k, _)| !old_ids.contains(k))
            .map(|(k, s)| (k.clone(), *s))
            .collect();
    }
    out
}
