//! IEC 62443-4-1 maturity self-assessment of one vendor from the records in an evidence store.
//!
//! The caller turns each stored record into [`RecordFacts`] (kind, who produced it, traced
//! requirements, subject, content size, creation time); [`assess`] decides which records are
//! the assessed vendor's evidence, lays them over the 47 requirements of the eight practices
//! and gives each practice a maturity level, the rule that capped it, and what would raise it.
//!
//! # Which records count
//!
//! A record counts only when all of these hold; every other record is listed in
//! [`SdlAssessment::not_counted`] with the reason:
//! - it is the vendor's evidence, not the buyer's: decisions (acceptances, approvals, vendor
//!   scores, SL-A claims) and specifications never count ([`Origin::Buyer`]);
//! - its subject's vendor is the assessed vendor (trimmed, without regard to case); records
//!   about a system or with no vendor never count;
//! - with a product filter, it is about that product or about no product (the vendor's
//!   organisation-wide process);
//! - it has content: a file handed over ([`Origin::HandedOver`]) needs at least
//!   [`MIN_CONTENT_BYTES`] of attachments (a document naming requirements of more than
//!   [`MAX_PRACTICES_PER_RECORD`] practices needs that much per practice it names); a check
//!   otproof ran itself ([`Origin::Check`]) has its content in its payload;
//! - it names at least one 4-1 requirement (IDs are matched through the catalog; IDs the
//!   catalog does not know are ignored).
//!
//! # What a record shows
//!
//! - A *process document* (kind `document` or `certificate`) shows a process written down.
//!   It is never a record of its own application, whatever product it names.
//! - A *record of application* shows the process used on a product: kinds
//!   `robustness-campaign`, `sbom-check`, `signature-check`, `release` and `assessment` (a
//!   review or report), with a product subject. A record naming requirements of more than
//!   [`MAX_PRACTICES_PER_RECORD`] practices counts as the application of none (a real check
//!   or review is about one or two practices; one record claiming many is a claim, not a
//!   use). otproof's own checks name what `otproof_catalog::traces` gives their kind.
//! - A *metrics or improvement record* shows a practice measured or improved across the
//!   organisation: kind `assessment` about the vendor and no product (the same breadth
//!   limit). A review of one product is a record of application, not a metric.
//!
//! # The levels (per practice; each includes the one below)
//!
//! - **ML 1 initial**: the floor, the practice may be performed ad hoc, undocumented.
//! - **ML 2 managed**: every requirement of the practice is named by a process document, and
//!   at least one record of application of the practice exists for the product under
//!   assessment (without a product filter: for any of the vendor's products).
//! - **ML 3 defined (practiced)**: records of application of the practice on at least two
//!   distinct products or releases (product and version), created on different days.
//! - **ML 4 improving**: metrics or improvement records of the practice in at least two
//!   different calendar months (successive periods of measurement).
//!
//! The overall level is the lowest practice level. Each practice says which rule capped it.
//!
//! # Limits
//!
//! This is a self-assessment from what happens to be on record, not a certification and not
//! an audit. It sees which records exist, who produced them, what they are about, their size
//! and which requirements they name: not whether a document is any good, whether it is
//! approved, whether people are trained, nor whether a record really shows what its
//! requirement list claims. A level here is an upper bound of what the records could support
//! and a list of what is missing; an assessor (for example for ISASecure SDLA or an IECEE
//! certificate) judges content and interviews people.

use otproof_catalog::{Catalog, MaturityLevel, Practice};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Version of the assessment's data format.
pub const SDL_FORMAT: &str = "otproof-sdl-assessment/2";

/// Bytes of attachments a handed-over record needs to count (per practice it names, when it
/// names more than [`MAX_PRACTICES_PER_RECORD`]).
pub const MIN_CONTENT_BYTES: u64 = 256;

/// The most practices a record of application or of metrics may name and still count.
pub const MAX_PRACTICES_PER_RECORD: usize = 2;

/// Who produced a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// otproof ran the check itself (a campaign, an SBOM check, a signature check, a signed
    /// release).
    Check,
    /// A file someone handed over and recorded (`evidence add`, an acceptance package).
    HandedOver,
    /// The buyer's own record (a specification, a decision, a score): never the vendor's
    /// evidence.
    Buyer,
}

/// What the assessment needs to know about one stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordFacts {
    /// Record ID (`sha256:…`).
    pub id: String,
    /// Evidence kind (`document`, `robustness-campaign`, ...) or `decision/<decision>`.
    pub kind: String,
    /// Who produced it.
    pub origin: Origin,
    /// Catalog requirements the record names.
    pub requirements: Vec<String>,
    /// The vendor of its subject (none for a system).
    pub vendor: Option<String>,
    /// The product the record is about, if its subject is a product.
    pub product: Option<String>,
    /// The product version, if any.
    pub version: Option<String>,
    /// Total size of its attachments, bytes.
    pub content_bytes: u64,
    /// Title.
    pub title: String,
    /// Creation time, RFC 3339.
    pub created: String,
}

/// Whose maturity, for which product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The assessed vendor.
    pub vendor: &'a str,
    /// Only this product (and the vendor's organisation-wide records).
    pub product: Option<&'a str>,
}

const PROCESS_KINDS: [&str; 2] = ["document", "certificate"];
const APPLIED_KINDS: [&str; 5] = [
    "robustness-campaign",
    "sbom-check",
    "signature-check",
    "release",
    "assessment",
];
const METRICS_KINDS: [&str; 1] = ["assessment"];

impl RecordFacts {
    /// A process document (kind `document` or `certificate`).
    pub fn is_process(&self) -> bool {
        PROCESS_KINDS.contains(&self.kind.as_str())
    }

    /// Of a kind that records the process applied to a product, about a product.
    pub fn is_applied(&self) -> bool {
        APPLIED_KINDS.contains(&self.kind.as_str()) && self.product.is_some()
    }

    /// Of a kind that records a practice measured or improved across the organisation
    /// (about the vendor, no product: a review of one product is a record of application).
    pub fn is_metrics(&self) -> bool {
        METRICS_KINDS.contains(&self.kind.as_str()) && self.product.is_none()
    }
}

/// A record that did not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCounted {
    /// Record ID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Why it earns nothing.
    pub reason: String,
}

/// One 4-1 requirement and the records behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementResult {
    /// Catalog ID, e.g. `SM-1`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// IDs of every counted record naming it, in input order.
    pub records: Vec<String>,
    /// Named by at least one process document.
    pub process: bool,
    /// Named by at least one record of application.
    pub applied: bool,
}

/// One practice's level and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PracticeResult {
    /// The practice.
    pub practice: Practice,
    /// Its name.
    pub name: String,
    /// The level the records support.
    pub level: MaturityLevel,
    /// Name of the level.
    pub level_name: String,
    /// The rule that kept the practice at its level (or that ML 4 is the highest).
    pub capped_by: String,
    /// Its requirements.
    pub requirements: Vec<RequirementResult>,
    /// Records of application of the practice (IDs).
    pub applications: Vec<String>,
    /// The distinct products or releases they are about (`product version`).
    pub applied_to: Vec<String>,
    /// Metrics or improvement records of the practice (IDs).
    pub metrics: Vec<String>,
    /// The calendar months (`YYYY-MM`) of those records.
    pub metrics_periods: Vec<String>,
    /// What would raise the level by one (empty at ML 4).
    pub to_next_level: Vec<String>,
}

/// The whole self-assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdlAssessment {
    /// [`SDL_FORMAT`].
    pub format: String,
    /// The assessed vendor.
    pub vendor: String,
    /// The product filter, if any.
    pub product: Option<String>,
    /// Records that counted.
    pub records_considered: usize,
    /// Records that did not count, and why.
    pub not_counted: Vec<NotCounted>,
    /// The eight practices.
    pub practices: Vec<PracticeResult>,
    /// The lowest practice level.
    pub overall: MaturityLevel,
    /// The rules applied, one line each.
    pub rules: Vec<String>,
    /// What this assessment is not.
    pub limits: Vec<String>,
}

impl SdlAssessment {
    /// The result of one practice.
    pub fn practice(&self, p: Practice) -> Option<&PracticeResult> {
        self.practices.iter().find(|r| r.practice == p)
    }
}

fn ml(n: u8) -> MaturityLevel {
    MaturityLevel::ALL[usize::from(n.clamp(1, 4) - 1)]
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The rules, one line each, for the documents.
pub fn rules() -> Vec<String> {
    vec![
        "Only the assessed vendor's records count: decisions and specifications (the buyer's records) and records about another vendor, a system or another product never do.".into(),
        format!("A handed-over file needs at least {MIN_CONTENT_BYTES} bytes ({MIN_CONTENT_BYTES} per practice when it names more than {MAX_PRACTICES_PER_RECORD} practices); otproof's own checks have their content in their payload."),
        "A process document (document, certificate) is never a record of its own application.".into(),
        format!("A record of application or metrics naming requirements of more than {MAX_PRACTICES_PER_RECORD} practices counts for none of them."),
        "ML 2 managed: every requirement of the practice named by a process document, and at least one record of application (campaign, SBOM check, signature check, release, review/report) for the product.".into(),
        "ML 3 defined: records of application on at least two distinct products or releases, created on different days.".into(),
        "ML 4 improving: metrics or improvement records of the practice (kind assessment, about the vendor, no product) in at least two different calendar months.".into(),
    ]
}

/// A counted record and the practices and requirements it names.
struct Counted<'a> {
    r: &'a RecordFacts,
    reqs: BTreeSet<String>,
    practices: BTreeSet<Practice>,
}

impl Counted<'_> {
    fn broad(&self) -> bool {
        self.practices.len() > MAX_PRACTICES_PER_RECORD
    }
    fn application(&self) -> bool {
        self.r.is_applied() && !self.broad()
    }
    fn metrics(&self) -> bool {
        self.r.is_metrics() && !self.broad()
    }
}

fn why_not(r: &RecordFacts, scope: &Scope<'_>, practices: usize) -> Option<String> {
    if r.origin == Origin::Buyer {
        return Some(
            "the buyer's record (a decision or specification), not the vendor's evidence".into(),
        );
    }
    match r.vendor.as_deref().map(str::trim) {
        None | Some("") => return Some("its subject names no vendor".into()),
        Some(v) if !same(v, scope.vendor) => {
            return Some(format!("about vendor '{v}', not '{}'", scope.vendor.trim()))
        }
        _ => {}
    }
    if let (Some(w), Some(p)) = (scope.product, r.product.as_deref()) {
        if !same(w, p) {
            return Some(format!("about product '{p}', not '{}'", w.trim()));
        }
    }
    if practices == 0 {
        return Some("names no IEC 62443-4-1 requirement".into());
    }
    if r.origin == Origin::HandedOver {
        let need = MIN_CONTENT_BYTES
            * if practices > MAX_PRACTICES_PER_RECORD {
                practices as u64
            } else {
                1
            };
        if r.content_bytes < need {
            return Some(format!(
                "{} bytes of content; a handed-over file naming {practices} practice(s) needs at least {need}",
                r.content_bytes
            ));
        }
    }
    None
}

/// Assess the 4-1 maturity of one vendor from the records (see the module documentation for
/// the rules), optionally only for one product.
pub fn assess(catalog: &Catalog, records: &[RecordFacts], scope: &Scope<'_>) -> SdlAssessment {
    let product = scope.product.map(str::trim).filter(|p| !p.is_empty());
    let scope = Scope {
        vendor: scope.vendor.trim(),
        product,
    };
    let mut counted = Vec::new();
    let mut not_counted = Vec::new();
    for r in records {
        let mut reqs = BTreeSet::new();
        let mut practices = BTreeSet::new();
        for row in r.requirements.iter().filter_map(|id| catalog.get(id)) {
            if let Some(p) = row.practice {
                reqs.insert(row.id.clone());
                practices.insert(p);
            }
        }
        match why_not(r, &scope, practices.len()) {
            Some(reason) => not_counted.push(NotCounted {
                id: r.id.clone(),
                title: r.title.clone(),
                kind: r.kind.clone(),
                reason,
            }),
            None => counted.push(Counted { r, reqs, practices }),
        }
    }
    let practices: Vec<PracticeResult> = Practice::ALL
        .iter()
        .map(|&p| practice_result(catalog, p, &counted))
        .collect();
    let overall = practices
        .iter()
        .map(|p| p.level)
        .min()
        .unwrap_or(MaturityLevel::ALL[0]);
    SdlAssessment {
        format: SDL_FORMAT.into(),
        vendor: scope.vendor.to_string(),
        product: product.map(str::to_string),
        records_considered: counted.len(),
        not_counted,
        practices,
        overall,
        rules: rules(),
        limits: vec![
            "A self-assessment from the records on file, not a certification or an audit.".into(),
            "It checks which records exist, who made them, what they are about, their size and which requirements they name, not the quality, approval or use of what they describe.".into(),
            "Levels are upper bounds of what the records could support; an assessor judges the content.".into(),
        ],
    }
}

fn day(created: &str) -> &str {
    created.get(..10).unwrap_or(created)
}

fn month(created: &str) -> &str {
    created.get(..7).unwrap_or(created)
}

fn release_key(r: &RecordFacts) -> String {
    let p = r.product.as_deref().unwrap_or("").trim().to_lowercase();
    match r
        .version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => format!("{p} {}", v.to_lowercase()),
        None => p,
    }
}

fn practice_result(catalog: &Catalog, p: Practice, counted: &[Counted<'_>]) -> PracticeResult {
    let rows = catalog.practice_requirements(p);
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let of_practice: Vec<&Counted<'_>> = counted
        .iter()
        .filter(|c| c.practices.contains(&p))
        .collect();
    let requirements: Vec<RequirementResult> = rows
        .iter()
        .map(|row| {
            let naming: Vec<&&Counted<'_>> = of_practice
                .iter()
                .filter(|c| c.reqs.contains(&row.id))
                .collect();
            RequirementResult {
                id: row.id.clone(),
                title: row.title.clone(),
                records: naming.iter().map(|c| c.r.id.clone()).collect(),
                process: naming.iter().any(|c| c.r.is_process()),
                applied: naming.iter().any(|c| c.application()),
            }
        })
        .collect();
    let applications: Vec<&RecordFacts> = of_practice
        .iter()
        .filter(|c| c.application())
        .map(|c| c.r)
        .collect();
    let metrics: Vec<&RecordFacts> = of_practice
        .iter()
        .filter(|c| c.metrics())
        .map(|c| c.r)
        .collect();
    let broad: Vec<&str> = of_practice
        .iter()
        .filter(|c| c.broad() && (c.r.is_applied() || c.r.is_metrics()))
        .map(|c| c.r.id.as_str())
        .collect();
    let mut applied_to: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for r in &applications {
        applied_to
            .entry(release_key(r))
            .or_default()
            .insert(day(&r.created));
    }
    // Two distinct releases whose records were made on different days.
    let over_time = applied_to.iter().any(|(k1, d1)| {
        applied_to
            .iter()
            .any(|(k2, d2)| k1 != k2 && d1.iter().any(|a| d2.iter().any(|b| a != b)))
    });
    let periods: BTreeSet<&str> = metrics.iter().map(|r| month(&r.created)).collect();

    let undocumented: Vec<&RequirementResult> =
        requirements.iter().filter(|r| !r.process).collect();
    let broad_note = if broad.is_empty() {
        String::new()
    } else {
        format!(
            " ({} record(s) naming more than {MAX_PRACTICES_PER_RECORD} practices not counted: {})",
            broad.len(),
            broad.join(", ")
        )
    };
    let (level, capped_by, to_next_level): (u8, String, Vec<String>) = if rows.is_empty()
        || !undocumented.is_empty()
    {
        (
            1,
            format!(
                "ML 2 needs every requirement named by a process document; {} of {} are not: {}",
                undocumented.len(),
                requirements.len(),
                undocumented.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
            undocumented
                .iter()
                .map(|r| format!(
                    "{} ({}): a process document (document or certificate of at least {MIN_CONTENT_BYTES} bytes) naming it",
                    r.id, r.title
                ))
                .collect(),
        )
    } else if applications.is_empty() {
        (
            1,
            format!("ML 2 needs a record of the practice applied to the product; there is none{broad_note}"),
            vec![format!(
                "a record of application about the product (robustness campaign, SBOM check, signature check, release, or a review/report of kind assessment) naming one of {}",
                ids.join(", ")
            )],
        )
    } else if !over_time {
        (
            2,
            format!(
                "ML 3 needs records of application on at least two distinct products or releases, made on different days; found: {}{broad_note}",
                describe(&applied_to)
            ),
            vec![format!(
                "a record of application of the practice on another product or release, on another day than {}",
                describe(&applied_to)
            )],
        )
    } else if periods.len() < 2 {
        (
            3,
            format!(
                "ML 4 needs metrics or improvement records of the practice in at least two different months; found {} record(s) in {}{broad_note}",
                metrics.len(),
                if periods.is_empty() { "no month".to_string() } else { periods.iter().copied().collect::<Vec<_>>().join(", ") }
            ),
            vec![format!(
                "metrics or improvement records (kind assessment about the vendor, no product, at least {MIN_CONTENT_BYTES} bytes) naming one of {} in a month other than {}",
                ids.join(", "),
                if periods.is_empty() { "none".to_string() } else { periods.iter().copied().collect::<Vec<_>>().join(", ") }
            )],
        )
    } else {
        (4, "ML 4 is the highest level".into(), Vec::new())
    };
    let level = ml(level);
    PracticeResult {
        practice: p,
        name: p.name().to_string(),
        level,
        level_name: level.name().to_string(),
        capped_by,
        requirements,
        applications: applications.iter().map(|r| r.id.clone()).collect(),
        applied_to: applied_to.keys().cloned().collect(),
        metrics: metrics.iter().map(|r| r.id.clone()).collect(),
        metrics_periods: periods.iter().map(|s| s.to_string()).collect(),
        to_next_level,
    }
}

fn describe(applied_to: &BTreeMap<String, BTreeSet<&str>>) -> String {
    if applied_to.is_empty() {
        return "none".into();
    }
    applied_to
        .iter()
        .map(|(k, days)| {
            format!(
                "{} on {}",
                if k.is_empty() { "(no product)" } else { k },
                days.iter().copied().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
