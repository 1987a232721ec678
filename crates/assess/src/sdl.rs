//! IEC 62443-4-1 maturity self-assessment from the records in an evidence store.
//!
//! The caller turns each stored record into [`RecordFacts`] (kind, traced requirements,
//! product subject, title, creation time); [`assess`] lays them over the 47 requirements of
//! the eight practices and gives each practice a maturity level, with the records behind every
//! requirement and what would raise the level by one.
//!
//! # The rules
//!
//! A record *supports* a 4-1 requirement when the requirement's ID is among the record's
//! requirements (IDs are matched through the catalog, so `sm-1` and `SM-1` are the same; IDs
//! the catalog does not know are ignored). Records otproof produces carry the IDs of
//! `otproof_catalog::traces`: a robustness campaign supports SVV-3, an SBOM check SM-9, SM-10
//! and DM-1..DM-5, a release SM-6, SM-8 and SUM-4, an update approval SUM-1 and SUM-4.
//!
//! Records fall into three groups (a record may be in more than one):
//! - *process* records show the process is written down: kinds `document`, `certificate`
//!   and `specification`;
//! - *applied* records show the process used on a product: kinds `robustness-campaign`,
//!   `sbom-check`, `release`, `signature-check` and `assessment`, and any record whose
//!   subject is a product;
//! - *review* records show the practice being measured or reviewed: kind `assessment` and
//!   every decision (kind `decision` or `decision/…`).
//!
//! The level of a practice is the highest one whose condition holds, each including the one
//! below:
//! - **ML 1**: always (the floor; it is also what a practice with any requirement lacking a
//!   process record gets);
//! - **ML 2**: every requirement of the practice has at least one process record;
//! - **ML 3**: in addition, every requirement has at least one applied record;
//! - **ML 4**: in addition, at least one review record supports a requirement of the practice
//!   and is newer than the newest process record of the practice (the review looked at the
//!   process as it stands now). Times compare as RFC 3339 text.
//!
//! The overall level is the lowest practice level.
//!
//! With a product filter, records about that product (compared without regard to case) and
//! records about no product (the organisation's process documents) count; records about
//! other products do not.
//!
//! # Limits
//!
//! This is a self-assessment from what happens to be on record, not a certification and not
//! an audit. It sees only that records exist and which requirements they name: not whether a
//! document is any good, whether it is approved, whether people are trained, nor whether a
//! record really shows what its requirement list claims. A level here is an upper bound of
//! what the records could support and a list of what is missing; an assessor (for example for
//! ISASecure SDLA or an IECEE certificate) judges content and interviews people.

use otproof_catalog::{Catalog, MaturityLevel, Practice};
use serde::Serialize;
use std::collections::BTreeSet;

/// Version of the assessment's data format.
pub const SDL_FORMAT: &str = "otproof-sdl-assessment/1";

/// What the assessment needs to know about one stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordFacts {
    /// Record ID (`sha256:…`).
    pub id: String,
    /// Evidence kind (`document`, `robustness-campaign`, ...) or `decision/<decision>`.
    pub kind: String,
    /// Catalog requirements the record names.
    pub requirements: Vec<String>,
    /// The product the record is about, if its subject is a product.
    pub product: Option<String>,
    /// Title.
    pub title: String,
    /// Creation time, RFC 3339.
    pub created: String,
}

const PROCESS_KINDS: [&str; 3] = ["document", "certificate", "specification"];
const APPLIED_KINDS: [&str; 5] = [
    "robustness-campaign",
    "sbom-check",
    "release",
    "signature-check",
    "assessment",
];

impl RecordFacts {
    /// Shows a process written down.
    pub fn is_process(&self) -> bool {
        PROCESS_KINDS.contains(&self.kind.as_str())
    }

    /// Shows a process applied to a product.
    pub fn is_applied(&self) -> bool {
        APPLIED_KINDS.contains(&self.kind.as_str()) || self.product.is_some()
    }

    /// Shows a practice measured or reviewed.
    pub fn is_review(&self) -> bool {
        self.kind == "assessment" || self.kind == "decision" || self.kind.starts_with("decision/")
    }
}

/// One 4-1 requirement and the records behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementResult {
    /// Catalog ID, e.g. `SM-1`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// IDs of every supporting record, in input order.
    pub records: Vec<String>,
    /// At least one process record.
    pub process: bool,
    /// At least one applied record.
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
    /// Its requirements.
    pub requirements: Vec<RequirementResult>,
    /// Review records supporting the practice that are newer than its newest process record.
    pub reviews: Vec<String>,
    /// What would raise the level by one (empty at ML 4).
    pub to_next_level: Vec<String>,
}

/// The whole self-assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdlAssessment {
    /// [`SDL_FORMAT`].
    pub format: String,
    /// The product filter, if any.
    pub product: Option<String>,
    /// Records that counted (after the product filter).
    pub records_considered: usize,
    /// The eight practices.
    pub practices: Vec<PracticeResult>,
    /// The lowest practice level.
    pub overall: MaturityLevel,
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

/// Assess the 4-1 maturity of each practice from the records (see the module documentation
/// for the rules), optionally only for one product.
pub fn assess(catalog: &Catalog, records: &[RecordFacts], product: Option<&str>) -> SdlAssessment {
    let wanted = product.map(str::trim).filter(|p| !p.is_empty());
    let considered: Vec<(&RecordFacts, BTreeSet<String>)> = records
        .iter()
        .filter(|r| match (wanted, r.product.as_deref()) {
            (Some(w), Some(p)) => p.trim().eq_ignore_ascii_case(w),
            _ => true,
        })
        .map(|r| {
            let ids = r
                .requirements
                .iter()
                .filter_map(|id| catalog.get(id))
                .map(|row| row.id.clone())
                .collect();
            (r, ids)
        })
        .collect();

    let practices: Vec<PracticeResult> = Practice::ALL
        .iter()
        .map(|&p| practice_result(catalog, p, &considered))
        .collect();
    let overall = practices
        .iter()
        .map(|p| p.level)
        .min()
        .unwrap_or(MaturityLevel::ALL[0]);
    SdlAssessment {
        format: SDL_FORMAT.into(),
        product: wanted.map(str::to_string),
        records_considered: considered.len(),
        practices,
        overall,
        limits: vec![
            "A self-assessment from the records on file, not a certification or an audit.".into(),
            "It checks that records exist and which requirements they name, not the quality, approval or use of what they describe.".into(),
            "Levels are upper bounds of what the records could support; an assessor judges the content.".into(),
        ],
    }
}

fn practice_result(
    catalog: &Catalog,
    p: Practice,
    records: &[(&RecordFacts, BTreeSet<String>)],
) -> PracticeResult {
    let rows = catalog.practice_requirements(p);
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let requirements: Vec<RequirementResult> = rows
        .iter()
        .map(|row| {
            let supporting: Vec<&RecordFacts> = records
                .iter()
                .filter(|(_, reqs)| reqs.contains(&row.id))
                .map(|(r, _)| *r)
                .collect();
            RequirementResult {
                id: row.id.clone(),
                title: row.title.clone(),
                records: supporting.iter().map(|r| r.id.clone()).collect(),
                process: supporting.iter().any(|r| r.is_process()),
                applied: supporting.iter().any(|r| r.is_applied()),
            }
        })
        .collect();
    let of_practice: Vec<&RecordFacts> = records
        .iter()
        .filter(|(_, reqs)| reqs.iter().any(|id| ids.contains(id.as_str())))
        .map(|(r, _)| *r)
        .collect();
    let newest_process = of_practice
        .iter()
        .filter(|r| r.is_process())
        .map(|r| r.created.as_str())
        .max();
    let reviews: Vec<String> = match newest_process {
        Some(newest) => of_practice
            .iter()
            .filter(|r| r.is_review() && r.created.as_str() > newest)
            .map(|r| r.id.clone())
            .collect(),
        None => Vec::new(),
    };

    let all_process = !requirements.is_empty() && requirements.iter().all(|r| r.process);
    let all_applied = all_process && requirements.iter().all(|r| r.applied);
    let level = if all_applied && !reviews.is_empty() {
        4
    } else if all_applied {
        3
    } else if all_process {
        2
    } else {
        1
    };
    let to_next_level = match level {
        1 => requirements
            .iter()
            .filter(|r| !r.process)
            .map(|r| {
                format!(
                    "{} ({}): a process record (document, certificate or specification) naming it",
                    r.id, r.title
                )
            })
            .collect(),
        2 => requirements
            .iter()
            .filter(|r| !r.applied)
            .map(|r| {
                format!(
                    "{} ({}): a record of the process applied to a product (a robustness campaign, SBOM check, release, signature check, assessment, or any record about the product) naming it",
                    r.id, r.title
                )
            })
            .collect(),
        3 => vec![format!(
            "a review of the practice (an assessment or a decision naming one of {}) newer than its newest process record ({})",
            ids.iter().copied().collect::<Vec<_>>().join(", "),
            newest_process.unwrap_or("none")
        )],
        _ => Vec::new(),
    };
    let level = ml(level);
    PracticeResult {
        practice: p,
        name: p.name().to_string(),
        level,
        level_name: level.name().to_string(),
        requirements,
        reviews,
        to_next_level,
    }
}
