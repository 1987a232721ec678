//! Vendor scoring: turn filled questionnaires into comparable, traceable scores.
//!
//! A vendor fills in the YAML questionnaire that `otproof spec --questionnaire` writes.
//! [`parse_answers`] reads it back and checks every answer against its item's answer type;
//! [`score`] applies the specification's evaluation method to it, resolving every evidence
//! reference through an [`EvidenceLookup`] the caller provides; [`compare`] puts several
//! scores side by side.
//!
//! # The scoring rules, precisely
//!
//! **Raw points** (0, 1 or 2 per item; the maximum is always 2):
//! - *choice*: `yes` 2, `partial` or `planned` 1, `no` 0; no answer 0.
//! - *SL-C per FR* (`SL-C FR n`, a number 0..4) against the SL-T of that FR: at or above it 2;
//!   above 0 but below it 1; 0 while the target is above 0, 0. Below target is a gap.
//! - *support lifetime* (`PATCH-1`, years): at least the required years 2; at least half of
//!   them 1; less 0.
//! - *response time* (`VULN-3`, days): up to 30 days 2; up to 60 days 1; longer 0.
//! - *end of support* (`PATCH-5`, a date): in the future and at least the required support
//!   years after "today" 2; in the future but sooner 1; today or past 0.
//! - *certifications* (`CERT-1`, text): the text is searched for the schemes ISASecure, IECEE,
//!   TÜV (TUV, TUEV) and BSI, and for an expiry date (the first YYYY-MM-DD after "expir",
//!   "valid until" or "until"; otherwise the latest date in the text). An expiry before
//!   "today" scores 0 with a note; no recognised scheme scores at most 1; otherwise the text
//!   rule applies.
//! - *text* (and numbers or dates of items without a rule above): a non-empty answer 1, with
//!   at least one cited record bound to the item (see **Binding**) 2. A text answer that says
//!   nothing (`no`, `none`, `-`) scores 0.
//! - `not-applicable` (for any answer type; `not applicable` in text too) needs a
//!   justification in the item's `comment`. Every item of the questionnaire is a requirement
//!   the specification marks applicable (it lists nothing else), so `not-applicable` scores 0
//!   of 2 and is a gap, like `no`; without a justification too. The one exception: a justified
//!   `not-applicable` on `SL-C FR n` where the SL-T of FR n is 0 (nothing required) leaves the
//!   item out of the attainable points. So answering `not-applicable` never scores more than
//!   any honest answer.
//!
//! **Binding**: every reference in an item's `evidence` list goes to the lookup. A record it
//! finds counts for the item only when all of these hold, else it is listed with the item as
//! "cited, not applicable to this item" with the reason, and earns nothing:
//! - it is not the buyer's own record (its specification, its decisions: [`Origin::Buyer`]);
//! - its subject names the scored vendor (the questionnaire's `vendor.name`; case and spacing
//!   aside);
//! - for an item about the product, its subject names the offered product (`vendor.product`);
//!   an item about the vendor's organisation (4-1 items, and policy items that trace only to
//!   4-1 requirements) also takes a record about the vendor alone, but not one about another
//!   product;
//! - for an item about the offered release ([`RELEASE_ITEMS`]), its subject names the offered
//!   version (`vendor.version`);
//! - its requirement trace names at least one of the item's requirements
//!   ([`item_requirements`]): a catalog item its own ID, `SL-C FR n` the requirements of FR n,
//!   a policy item the catalog requirements the specification traces it to.
//!
//! **Provenance weight**: the raw points are multiplied by the weight of the best bound
//! evidence whose integrity verified (`verified: true`, for a store record its inclusion
//! proof): [`CHECK_WEIGHT`] (1) for a record otproof produced by running a check itself (a
//! campaign it ran, an SBOM check, a signature verification, a release it signed:
//! [`Origin::Check`]); [`SUPPLIED_WEIGHT`] (0.75) for a handed-over document or certificate
//! ([`Origin::Supplied`]). Without bound, proven evidence (nothing cited, nothing found,
//! nothing bound, or bound but not proven) the answer is an assertion: [`ASSERTION_WEIGHT`]
//! (0.5). Each item lists the bound evidence, the cited records not applicable to it and the
//! references that did not resolve, so every point can be traced.
//!
//! **Dimensions** (weights from [`Weights`]):
//! - *security maturity*: items of section `secure-development` (the 4-1 requirements) and
//!   `CERT-*` (certification of the development process and product);
//! - *technical capability*: sections `technical` (4-2 CRs and REs) and `capability`
//!   (`SL-C FR n`), and `ROB-*`, `AUTH-*`, `LOG-*`;
//! - *support readiness*: `VULN-*`, `PATCH-*`, `SBOM-*`, `UPD-*`, `DOC-*`.
//!
//! An item none of these rules place goes by its ID: a 4-1 catalog requirement to security
//! maturity (it is about the development process), another catalog requirement to technical
//! capability (it is about the product), anything else to support readiness (a policy item
//! otproof does not know is a vendor commitment, which is what that dimension weighs). Its
//! reason says so.
//!
//! A dimension's percentage is its points over its attainable points (0 when nothing is
//! attainable); the total is the weighted sum of the three percentages.
//!
//! **Gaps**: items answered `no`, `not-applicable` (see above) or not answered, SL-C below
//! SL-T (or not claimed) per FR, and items whose number, date or certification scored 0. A vendor comment is quoted with the gap, since
//! it may describe a compensating measure the buyer has to judge.
//!
//! When the [`Specification`] is given, the targets (SL-T, support years) come from it and
//! its questionnaire is the reference: an item the vendor removed counts as not answered, an
//! item not in the specification is left out, each with a note. Without it the targets come
//! from the questionnaire's own `specification` block.

use crate::spec::QUESTIONNAIRE_FORMAT;
use crate::spec::{AnswerType, Questionnaire, QuestionnaireItem, Specification, Weights};
use otproof_catalog::{Catalog, Fr, SlVector, Standard};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Version of the vendor score's data format.
pub const SCORE_FORMAT: &str = "otproof-vendor-score/1";

/// The answers a choice item accepts when the questionnaire lists none.
pub const CHOICE_OPTIONS: [&str; 5] = ["yes", "partial", "no", "planned", "not-applicable"];

/// The answer that takes an item out of the score.
pub const NOT_APPLICABLE: &str = "not-applicable";

/// Why a filled questionnaire cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswersError {
    /// Not YAML, or not shaped like a questionnaire.
    #[error("questionnaire, line {line} column {column}: {message} (expected the YAML questionnaire written by `otproof spec --questionnaire`, with format, specification, instructions, vendor and items)")]
    Yaml {
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What the YAML reader found.
        message: String,
    },
    /// Wrong format tag.
    #[error("questionnaire format '{0}' is not supported: expected '{QUESTIONNAIRE_FORMAT}'")]
    Format(String),
    /// A choice answer outside the item's options.
    #[error("{}item '{id}': answer '{answer}' is not an option: expected one of {}", at(*line), allowed.join(", "))]
    UnknownOption {
        /// Item ID.
        id: String,
        /// Line of the item's `id`, when found.
        line: Option<usize>,
        /// What the vendor wrote.
        answer: String,
        /// What is allowed.
        allowed: Vec<String>,
    },
    /// A number item whose answer is not a whole number (or out of range).
    #[error("{}item '{id}': answer '{answer}' is not {expected}", at(*line))]
    NotANumber {
        /// Item ID.
        id: String,
        /// Line of the item's `id`, when found.
        line: Option<usize>,
        /// What the vendor wrote.
        answer: String,
        /// What was expected.
        expected: String,
    },
    /// A date item whose answer is not a calendar date.
    #[error("{}item '{id}': answer '{answer}' is not a date: expected YYYY-MM-DD (e.g. 2034-12-31) or not-applicable", at(*line))]
    NotADate {
        /// Item ID.
        id: String,
        /// Line of the item's `id`, when found.
        line: Option<usize>,
        /// What the vendor wrote.
        answer: String,
    },
    /// Two items with the same ID.
    #[error("{}item '{id}' appears twice: answers are matched by id, so every id must be unique", at(*line))]
    DuplicateId {
        /// Item ID.
        id: String,
        /// Line of the second occurrence, when found.
        line: Option<usize>,
    },
}

fn at(line: Option<usize>) -> String {
    line.map(|l| format!("line {l}: ")).unwrap_or_default()
}

/// Read a filled questionnaire and check every answer against its item's type.
///
/// Choice answers are normalised to their option's spelling (`Yes` → `yes`); empty answers
/// become "not answered".
pub fn parse_answers(text: &str) -> Result<Questionnaire, AnswersError> {
    let mut q: Questionnaire = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        AnswersError::Yaml {
            line,
            column,
            message: yaml_message(&e.to_string()),
        }
    })?;
    if q.format != QUESTIONNAIRE_FORMAT {
        return Err(AnswersError::Format(q.format));
    }
    let lines = IdLines::new(text);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for item in &mut q.items {
        let n = seen.entry(item.id.clone()).or_insert(0);
        *n += 1;
        let line = lines.find(&item.id, *n);
        if *n > 1 {
            return Err(AnswersError::DuplicateId {
                id: item.id.clone(),
                line,
            });
        }
        let Some(answer) = item.answer.as_deref().map(str::trim) else {
            continue;
        };
        if answer.is_empty() {
            item.answer = None;
            continue;
        }
        let answer = answer.to_string();
        match item.answer_type {
            AnswerType::Choice => {
                let allowed = allowed_options(item);
                match allowed.iter().find(|o| o.eq_ignore_ascii_case(&answer)) {
                    Some(o) => item.answer = Some(o.clone()),
                    None => {
                        return Err(AnswersError::UnknownOption {
                            id: item.id.clone(),
                            line,
                            answer,
                            allowed,
                        })
                    }
                }
            }
            AnswerType::Number => {
                if is_not_applicable(&answer) {
                    item.answer = Some(NOT_APPLICABLE.into());
                    continue;
                }
                let sl_c = sl_c_fr(&item.id).is_some();
                let ok = match answer.parse::<u32>() {
                    Ok(n) => !sl_c || n <= 4,
                    Err(_) => false,
                };
                if !ok {
                    let expected = if sl_c {
                        "a security level: expected a whole number 0..4".to_string()
                    } else {
                        "a number: expected a whole number (e.g. 10) or not-applicable".to_string()
                    };
                    return Err(AnswersError::NotANumber {
                        id: item.id.clone(),
                        line,
                        answer,
                        expected,
                    });
                }
                item.answer = Some(answer);
            }
            AnswerType::Date => {
                if is_not_applicable(&answer) {
                    item.answer = Some(NOT_APPLICABLE.into());
                } else if parse_date(&answer).is_none() {
                    return Err(AnswersError::NotADate {
                        id: item.id.clone(),
                        line,
                        answer,
                    });
                } else {
                    item.answer = Some(answer);
                }
            }
            AnswerType::Text => item.answer = Some(answer),
        }
    }
    Ok(q)
}

/// The first line of the YAML reader's message, without its own position prefix.
fn yaml_message(full: &str) -> String {
    let first = full.lines().next().unwrap_or(full).trim();
    let first = first.strip_prefix("error:").unwrap_or(first).trim();
    let stripped = first
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
        .map(|(_, msg)| msg)
        .unwrap_or(first);
    stripped.to_string()
}

/// Where each `id:` of the text is, to point error messages at the item.
struct IdLines(Vec<(String, usize)>);

impl IdLines {
    fn new(text: &str) -> IdLines {
        IdLines(
            text.lines()
                .enumerate()
                .filter_map(|(i, l)| {
                    let t = l.trim_start().trim_start_matches("- ").trim_start();
                    let v = t.strip_prefix("id:")?.trim();
                    let v = v.trim_matches(|c| c == '\'' || c == '"');
                    Some((v.to_string(), i + 1))
                })
                .collect(),
        )
    }

    /// Line of the n-th (1-based) `id:` with this value.
    fn find(&self, id: &str, n: usize) -> Option<usize> {
        self.0
            .iter()
            .filter(|(v, _)| v == id)
            .nth(n.saturating_sub(1))
            .map(|(_, l)| *l)
    }
}

fn allowed_options(item: &QuestionnaireItem) -> Vec<String> {
    if item.answer_options.is_empty() {
        CHOICE_OPTIONS.iter().map(|s| s.to_string()).collect()
    } else {
        item.answer_options.clone()
    }
}

fn is_not_applicable(answer: &str) -> bool {
    let a = answer.trim().to_ascii_lowercase();
    a == NOT_APPLICABLE || a == "not applicable"
}

/// `SL-C FR n` → FR n.
fn sl_c_fr(id: &str) -> Option<Fr> {
    let n = id.strip_prefix("SL-C")?.trim().strip_prefix("FR")?.trim();
    Fr::from_number(n.parse().ok()?)
}

/// A calendar date `YYYY-MM-DD` as (year, month, day).
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| {
        s.get(r)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    // jiff checks the day against the month and leap years.
    jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    Some((i32::try_from(y).ok()?, m, d))
}

/// Who produced a cited record, which sets how much it weighs (see [`Origin::weight`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// otproof produced it by running a check itself: a robustness campaign it ran, an SBOM
    /// check it made, a signature it verified, a release statement it signed.
    Check,
    /// A document or certificate handed over (by the vendor or anyone else), recorded as
    /// received: the record proves its bytes, not its content.
    #[default]
    Supplied,
    /// Made by the buyer: its specification, its decisions. Never a vendor's evidence.
    Buyer,
}

/// Share of an item's raw points an answer earns when its best bound, proven evidence was
/// produced by an otproof check.
pub const CHECK_WEIGHT: f64 = 1.0;
/// Share of an item's raw points an answer earns when its best bound, proven evidence is a
/// handed-over document or certificate.
pub const SUPPLIED_WEIGHT: f64 = 0.75;
/// Share of an item's raw points an answer earns without bound, proven evidence (an
/// assertion).
pub const ASSERTION_WEIGHT: f64 = 0.5;

impl Origin {
    /// The share of the raw points evidence of this origin earns (0 for the buyer's own).
    pub fn weight(self) -> f64 {
        match self {
            Origin::Check => CHECK_WEIGHT,
            Origin::Supplied => SUPPLIED_WEIGHT,
            Origin::Buyer => 0.0,
        }
    }

    /// How the origin reads in a reason.
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Check => "an otproof check",
            Origin::Supplied => "a handed-over document",
            Origin::Buyer => "the buyer's own record",
        }
    }
}

/// Evidence found for a reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    /// Record ID (`sha256:…`) or the document's identifier.
    pub id: String,
    /// Evidence kind (`document`, `certificate`, `robustness-campaign`, ...).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Catalog requirements it supports.
    pub requirements: Vec<String>,
    /// Its integrity verified (for a store record: its inclusion proof).
    pub verified: bool,
    /// Why its integrity did not verify, when the lookup knows (kept so a report can show it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_verified: Option<String>,
    /// Who produced it.
    pub origin: Origin,
    /// The vendor its subject names (none: its subject names no vendor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The product its subject names (none: about the vendor's organisation, or no product).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The product version its subject names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A cited record that does not count for the item it is cited on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotApplicable {
    /// Record ID.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Why it does not apply to this item.
    pub reason: String,
}

/// Resolves an evidence reference from a questionnaire (`sha256:…`, a unique prefix, or
/// whatever else the implementation understands) to evidence.
pub trait EvidenceLookup {
    /// The evidence behind `reference`, or `None` when nothing matches.
    fn find(&self, reference: &str) -> Option<EvidenceRef>;
}

impl<F: Fn(&str) -> Option<EvidenceRef>> EvidenceLookup for F {
    fn find(&self, reference: &str) -> Option<EvidenceRef> {
        self(reference)
    }
}

/// A lookup that resolves nothing: every answer is an assertion.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvidence;

impl EvidenceLookup for NoEvidence {
    fn find(&self, _reference: &str) -> Option<EvidenceRef> {
        None
    }
}

/// The score of one evaluation dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionScore {
    /// `security-maturity`, `technical-capability`, `support-readiness`.
    pub key: String,
    /// Heading.
    pub name: String,
    /// Weight in percent.
    pub weight: u8,
    /// Points scored (after halving).
    pub points: f64,
    /// Points attainable (2 per applicable item).
    pub attainable: f64,
    /// `points / attainable`, in percent (0 when nothing is attainable).
    pub percent: f64,
    /// Items counted (applicable).
    pub items: usize,
}

/// How one item scored, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemScore {
    /// Item ID.
    pub id: String,
    /// Item title.
    pub title: String,
    /// Dimension key.
    pub dimension: String,
    /// The vendor's answer.
    pub answer: Option<String>,
    /// Points after halving.
    pub points: f64,
    /// Attainable points (2; 0 when not applicable).
    pub max: f64,
    /// How the points came about.
    pub reason: String,
    /// Evidence the lookup found that is bound to this item (vendor, product, version and
    /// requirement match), proven or not.
    pub evidence: Vec<EvidenceRef>,
    /// Cited records found but not applicable to this item: they earn nothing.
    pub not_applicable: Vec<NotApplicable>,
    /// References the lookup did not find.
    pub unresolved_evidence: Vec<String>,
}

/// A vendor's score against one specification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VendorScore {
    /// [`SCORE_FORMAT`].
    pub format: String,
    /// Vendor name (`unnamed vendor` when the vendor left it empty).
    pub vendor: String,
    /// Offered product.
    pub product: Option<String>,
    /// Offered version.
    pub version: Option<String>,
    /// What the questionnaire belongs to (the specification's product).
    pub specification: String,
    /// SL-T used for the SL-C items.
    pub sl_t: String,
    /// Support years used for PATCH-1 and PATCH-5.
    pub support_years: u32,
    /// The date dates were judged against.
    pub today: String,
    /// Weights applied.
    pub weights: Weights,
    /// The three dimensions.
    pub dimensions: Vec<DimensionScore>,
    /// Weighted sum of the dimension percentages.
    pub total_percent: f64,
    /// Every item, in questionnaire order.
    pub items: Vec<ItemScore>,
    /// Applicable requirements not met: answered no or not answered, SL-C below SL-T, and
    /// numbers, dates or certifications that scored 0.
    pub gaps: Vec<String>,
    /// Anything the reader should know about how the score was made.
    pub notes: Vec<String>,
}

impl VendorScore {
    /// The dimension with this key.
    pub fn dimension(&self, key: &str) -> Option<&DimensionScore> {
        self.dimensions.iter().find(|d| d.key == key)
    }

    /// The item with this ID.
    pub fn item(&self, id: &str) -> Option<&ItemScore> {
        self.items.iter().find(|i| i.id == id)
    }
}

/// Dimension keys, in the order of [`Weights`].
pub const DIMENSIONS: [(&str, &str); 3] = [
    ("security-maturity", "Security maturity"),
    ("technical-capability", "Technical capability"),
    ("support-readiness", "Support readiness"),
];

/// The dimension an item belongs to, and why when no named rule placed it.
pub fn dimension_of(item: &QuestionnaireItem) -> (&'static str, Option<String>) {
    let prefix = item.id.split('-').next().unwrap_or("");
    match (item.section.as_str(), prefix) {
        (_, "CERT") | ("secure-development", _) => ("security-maturity", None),
        ("technical", _) | ("capability", _) | (_, "ROB") | (_, "AUTH") | (_, "LOG") => {
            ("technical-capability", None)
        }
        (_, "VULN") | (_, "PATCH") | (_, "SBOM") | (_, "UPD") | (_, "DOC") => {
            ("support-readiness", None)
        }
        _ => match Catalog::builtin().get(&item.id) {
            Some(r) if r.standard == Standard::Lifecycle => (
                "security-maturity",
                Some("placed in security maturity because it is a 4-1 requirement (about the development process)".into()),
            ),
            Some(_) => (
                "technical-capability",
                Some("placed in technical capability because it is a product requirement of the catalog".into()),
            ),
            None => (
                "support-readiness",
                Some(format!("placed in support readiness: '{}' is no catalog requirement and has no known prefix, so it is taken as a vendor commitment", item.id)),
            ),
        },
    }
}

/// What CERT-1's text says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certifications {
    /// Schemes named: `ISASecure`, `IECEE`, `TÜV`, `BSI`.
    pub schemes: Vec<String>,
    /// Expiry date found, YYYY-MM-DD.
    pub expiry: Option<String>,
    /// The expiry is before today.
    pub expired: bool,
}

/// Find certification schemes and an expiry date in free text.
pub fn parse_certifications(text: &str, today: &str) -> Certifications {
    let lower = text.to_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let has_word = |w: &str| words.iter().any(|x| x == w);
    let mut schemes = Vec::new();
    if lower.contains("isasecure") {
        schemes.push("ISASecure".to_string());
    }
    if has_word("iecee") {
        schemes.push("IECEE".to_string());
    }
    if has_word("tüv") || has_word("tuv") || has_word("tuev") {
        schemes.push("TÜV".to_string());
    }
    if has_word("bsi") {
        schemes.push("BSI".to_string());
    }
    let dates: Vec<(usize, String)> = text
        .char_indices()
        .filter_map(|(i, _)| {
            let cand = text.get(i..i + 10)?;
            let before_ok = i == 0 || !text[..i].ends_with(|c: char| c.is_ascii_digit());
            (before_ok && parse_date(cand).is_some()).then(|| (i, cand.to_string()))
        })
        .collect();
    let keyword_at = ["expir", "valid until", "until", "valid to"]
        .iter()
        .filter_map(|k| lower.find(k))
        .min();
    let expiry = match keyword_at {
        Some(k) => dates
            .iter()
            .find(|(i, _)| *i > k)
            .map(|(_, d)| d.clone())
            .or_else(|| dates.iter().map(|(_, d)| d.clone()).max()),
        None => dates.iter().map(|(_, d)| d.clone()).max(),
    };
    let expired = match (&expiry, parse_date(today)) {
        (Some(e), Some(t)) => parse_date(e).is_some_and(|e| e < t),
        _ => false,
    };
    Certifications {
        schemes,
        expiry,
        expired,
    }
}

struct Targets {
    sl_t: Option<SlVector>,
    support_years: u32,
}

/// Raw points (0..=2) before the evidence rule, or `None` when not applicable; with the
/// reason and whether the item is a gap.
struct Raw {
    points: Option<u8>,
    reason: String,
    gap: Option<String>,
}

fn raw_points(
    item: &QuestionnaireItem,
    bound: bool,
    t: &Targets,
    today: Option<(i32, u32, u32)>,
    today_text: &str,
) -> Raw {
    let answer = item
        .answer
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let Some(answer) = answer else {
        return Raw {
            points: Some(0),
            reason: "not answered: 0".into(),
            gap: Some("not answered".into()),
        };
    };
    if is_not_applicable(answer) {
        return not_applicable_points(item, t);
    }
    let raw = |p: u8, reason: String| Raw {
        points: Some(p),
        reason,
        gap: None,
    };
    let zero = |reason: String, gap: String| Raw {
        points: Some(0),
        reason,
        gap: Some(gap),
    };
    match item.answer_type {
        AnswerType::Choice => match answer.to_ascii_lowercase().as_str() {
            "yes" => raw(2, "yes: 2".into()),
            "partial" => raw(1, "partial: 1".into()),
            "planned" => raw(1, "planned: 1".into()),
            "no" => zero("no: 0".into(), "answered no".into()),
            other => zero(
                format!("'{other}' is not an option: 0"),
                format!("answer '{other}' is not an option"),
            ),
        },
        AnswerType::Number => {
            let n = answer.parse::<u32>().ok();
            let Some(n) = n else {
                return zero(
                    format!("'{answer}' is not a whole number: 0"),
                    format!("answer '{answer}' is not a number"),
                );
            };
            if let Some(fr) = sl_c_fr(&item.id) {
                let Some(sl_t) = t.sl_t else {
                    return raw(1, format!("SL-C {n}; no SL-T known to judge it against: 1"));
                };
                let target = u32::from(sl_t.get(fr));
                if n >= target {
                    raw(
                        2,
                        format!("SL-C {n} meets SL-T {target} in {fr} ({}): 2", fr.abbrev()),
                    )
                } else if n > 0 {
                    Raw {
                        points: Some(1),
                        reason: format!(
                            "SL-C {n} below SL-T {target} in {fr} ({}): 1",
                            fr.abbrev()
                        ),
                        gap: Some(format!(
                            "SL-C {n} below SL-T {target} in {fr} ({})",
                            fr.abbrev()
                        )),
                    }
                } else {
                    zero(
                        format!("SL-C 0 below SL-T {target} in {fr} ({}): 0", fr.abbrev()),
                        format!("SL-C 0 below SL-T {target} in {fr} ({})", fr.abbrev()),
                    )
                }
            } else if item.id == "PATCH-1" {
                let req = t.support_years;
                if n >= req {
                    raw(2, format!("{n} years of support, {req} required: 2"))
                } else if n.saturating_mul(2) >= req {
                    raw(
                        1,
                        format!("{n} years of support, {req} required (at least half): 1"),
                    )
                } else {
                    zero(
                        format!("{n} years of support, less than half of the {req} required: 0"),
                        format!("{n} years of support, {req} required"),
                    )
                }
            } else if item.id == "VULN-3" {
                if n <= 30 {
                    raw(2, format!("fix within {n} days (30 or less): 2"))
                } else if n <= 60 {
                    raw(1, format!("fix within {n} days (31 to 60): 1"))
                } else {
                    zero(
                        format!("fix within {n} days (more than 60): 0"),
                        format!("critical fixes take {n} days, 30 expected"),
                    )
                }
            } else {
                text_points(answer, bound)
            }
        }
        AnswerType::Date => {
            let Some(d) = parse_date(answer) else {
                return zero(
                    format!("'{answer}' is not a date (YYYY-MM-DD): 0"),
                    format!("answer '{answer}' is not a date"),
                );
            };
            if item.id != "PATCH-5" {
                return text_points(answer, bound);
            }
            let Some(now) = today else {
                return raw(1, format!("end of support {answer}; today '{today_text}' is not a date, so it is not judged: 1"));
            };
            let req = t.support_years;
            let horizon = (
                now.0.saturating_add(i32::try_from(req).unwrap_or(i32::MAX)),
                now.1,
                now.2,
            );
            if d <= now {
                zero(
                    format!("end of support {answer} is not after {today_text}: 0"),
                    format!("end of support {answer} has passed"),
                )
            } else if d >= horizon {
                raw(
                    2,
                    format!(
                        "end of support {answer} is at least {req} years after {today_text}: 2"
                    ),
                )
            } else {
                raw(1, format!("end of support {answer} is in the future but less than {req} years after {today_text}: 1"))
            }
        }
        AnswerType::Text if item.id.starts_with("CERT") => {
            let c = parse_certifications(answer, today_text);
            if is_empty_text(answer) {
                return zero(
                    format!("'{answer}' names no certification: 0"),
                    "no certification".into(),
                );
            }
            if c.expired {
                let e = c.expiry.clone().unwrap_or_default();
                return zero(
                    format!("certification expired on {e}: 0"),
                    format!("certification expired on {e}"),
                );
            }
            let expiry = c
                .expiry
                .as_deref()
                .map(|e| format!(", valid until {e}"))
                .unwrap_or_else(|| ", no expiry date given".into());
            if c.schemes.is_empty() {
                raw(1, format!("no recognised scheme (ISASecure, IECEE, TÜV, BSI) named{expiry}: at most 1"))
            } else {
                let base = text_points(answer, bound);
                Raw {
                    reason: format!("schemes {}{expiry}; {}", c.schemes.join(", "), base.reason),
                    ..base
                }
            }
        }
        AnswerType::Text => text_points(answer, bound),
    }
}

fn is_empty_text(answer: &str) -> bool {
    matches!(
        answer
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase()
            .as_str(),
        "no" | "none" | "-" | "n/a" | "nothing" | "not available"
    )
}

/// A `not-applicable` answer. It needs a justification (the item's `comment`); every item of
/// the questionnaire is a requirement the specification marks applicable (it lists nothing
/// else), so the answer scores 0 of 2 and is a gap. The one exception: the SL-C item of an FR
/// whose SL-T is 0 asks for nothing, and a justified `not-applicable` leaves it out.
fn not_applicable_points(item: &QuestionnaireItem, t: &Targets) -> Raw {
    let justification = item
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty() && !is_empty_text(c));
    let Some(why) = justification else {
        return Raw {
            points: Some(0),
            reason: "not-applicable without a justification (the item's comment): 0".into(),
            gap: Some("answered not-applicable without a justification".into()),
        };
    };
    if let Some(fr) = sl_c_fr(&item.id) {
        let target = t.sl_t.map(|v| v.get(fr));
        if target == Some(0) {
            return Raw {
                points: None,
                reason: format!(
                    "not-applicable ({why}); SL-T is 0 in {fr}, nothing is required: left out of the attainable points"
                ),
                gap: None,
            };
        }
        let target = target
            .map(|l| format!("SL-T {l}"))
            .unwrap_or_else(|| "an SL-T".into());
        return Raw {
            points: Some(0),
            reason: format!(
                "not-applicable ({why}), but the specification requires {target} in {fr}: 0"
            ),
            gap: Some(format!(
                "no SL-C claimed in {fr} ({}) against {target}: answered not-applicable",
                fr.abbrev()
            )),
        };
    }
    Raw {
        points: Some(0),
        reason: format!(
            "not-applicable ({why}), but the specification marks this requirement applicable: 0"
        ),
        gap: Some(
            "answered not-applicable for a requirement the specification marks applicable".into(),
        ),
    }
}

fn text_points(answer: &str, bound: bool) -> Raw {
    if is_empty_text(answer) {
        return Raw {
            points: Some(0),
            reason: format!("'{answer}' says nothing: 0"),
            gap: Some(format!("answered '{answer}'")),
        };
    }
    if bound {
        Raw {
            points: Some(2),
            reason: "answered, with evidence bound to this item: 2".into(),
            gap: None,
        }
    } else {
        Raw {
            points: Some(1),
            reason: "answered, no evidence bound to this item: 1".into(),
            gap: None,
        }
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn share(w: f64) -> &'static str {
    if w >= CHECK_WEIGHT {
        "in full"
    } else if w >= SUPPLIED_WEIGHT {
        "three quarters"
    } else {
        "half"
    }
}

/// Trimmed, inner whitespace collapsed; none when empty.
fn norm(s: &str) -> Option<String> {
    let n = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!n.is_empty()).then_some(n)
}

fn same(a: &str, b: &str) -> bool {
    match (norm(a), norm(b)) {
        (Some(a), Some(b)) => a.to_lowercase() == b.to_lowercase(),
        _ => false,
    }
}

/// What the vendor offers, as its questionnaire names it: the subject cited records must be
/// about.
struct Offer {
    vendor: Option<String>,
    product: Option<String>,
    version: Option<String>,
}

/// Items about the offered release (its SBOM, its robustness tests and open findings, its
/// guides, its end of support): their evidence must name the offered version.
pub const RELEASE_ITEMS: [&str; 5] = ["SBOM-1", "ROB-1", "ROB-2", "DOC-1", "PATCH-5"];

/// The catalog requirements an item asks about: a catalog item its own ID; `SL-C FR n` the
/// specification's requirements of FR n (without a specification, the catalog's requirements
/// of FR n for the component type); a policy item the catalog requirements the specification
/// traces it to (without one, `otproof_catalog::traces::policy_item`).
pub fn item_requirements(
    item: &QuestionnaireItem,
    spec: Option<&Specification>,
    component: otproof_catalog::ComponentType,
) -> Vec<String> {
    let catalog = Catalog::builtin();
    if let Some(fr) = sl_c_fr(&item.id) {
        return match spec {
            Some(s) => s
                .technical
                .iter()
                .filter(|t| t.fr == fr)
                .flat_map(|t| t.requirements.iter().map(|r| r.id.clone()))
                .collect(),
            None => catalog
                .requirements()
                .iter()
                .filter(|r| r.fr == Some(fr) && r.applies_to(component))
                .map(|r| r.id.clone())
                .collect(),
        };
    }
    if let Some(r) = catalog.get(&item.id) {
        return vec![r.id.clone()];
    }
    if let Some(p) = spec
        .into_iter()
        .flat_map(|s| s.policies.iter())
        .flat_map(|p| p.items.iter())
        .find(|p| p.id == item.id)
    {
        return p.refs.clone();
    }
    otproof_catalog::traces::policy_item(&item.id, component)
        .into_iter()
        .filter_map(|id| catalog.get(&id).map(|r| r.id.clone()))
        .collect()
}

/// Whether an item is about the vendor's organisation (every requirement it asks about is a
/// 4-1 process requirement) rather than the offered product.
fn about_organisation(item: &QuestionnaireItem, wanted: &[String]) -> bool {
    let catalog = Catalog::builtin();
    item.section == "secure-development"
        || (!wanted.is_empty()
            && wanted.iter().all(|id| {
                catalog
                    .get(id)
                    .is_some_and(|r| r.standard == Standard::Lifecycle)
            }))
}

/// Whether a cited record counts for this item, or why not. The rules, in order: not the
/// buyer's own record; its subject names the offered vendor; for a product item, the offered
/// product (an organisation item also takes a record about the vendor alone); for a release
/// item, the offered version; and its requirement trace names one of the item's requirements.
fn binding(
    item: &QuestionnaireItem,
    e: &EvidenceRef,
    offer: &Offer,
    wanted: &[String],
) -> Result<(), String> {
    if e.origin == Origin::Buyer {
        return Err(format!(
            "{} is the buyer's own record ({}), never the vendor's evidence",
            e.id, e.kind
        ));
    }
    let Some(vendor) = &offer.vendor else {
        return Err("the questionnaire names no vendor, so no record can be bound to it".into());
    };
    match e.vendor.as_deref().and_then(norm) {
        Some(v) if same(&v, vendor) => {}
        Some(v) => return Err(format!("about vendor '{v}', not '{vendor}'")),
        None => return Err(format!("names no vendor; '{vendor}' is scored")),
    }
    let release = RELEASE_ITEMS.contains(&item.id.as_str());
    let organisation = !release && about_organisation(item, wanted);
    match (e.product.as_deref().and_then(norm), &offer.product) {
        (None, _) if organisation => {}
        (None, Some(p)) => {
            return Err(format!(
                "about the vendor only; this item is about the offered product '{p}'"
            ))
        }
        (_, None) => return Err(
            "the questionnaire names no offered product, so no product record can be bound to it"
                .into(),
        ),
        (Some(rp), Some(p)) if !same(&rp, p) => {
            return Err(format!("about product '{rp}', not the offered '{p}'"))
        }
        _ => {}
    }
    if release {
        match (e.version.as_deref().and_then(norm), &offer.version) {
            (_, None) => {
                return Err(
                    "this item is about the offered release and the questionnaire names no version"
                        .into(),
                )
            }
            (None, Some(v)) => {
                return Err(format!(
                    "names no version; this item is about the offered release {v}"
                ))
            }
            (Some(rv), Some(v)) if !same(&rv, v) => {
                return Err(format!("about version {rv}, not the offered {v}"))
            }
            _ => {}
        }
    }
    let catalog = Catalog::builtin();
    let canon = |id: &str| {
        catalog
            .get(id)
            .map(|r| r.id.clone())
            .unwrap_or_else(|| id.trim().to_string())
    };
    let traced: BTreeSet<String> = e.requirements.iter().map(|r| canon(r)).collect();
    if wanted.iter().any(|w| traced.contains(&canon(w))) {
        return Ok(());
    }
    let traced = if traced.is_empty() {
        "no requirement".to_string()
    } else {
        traced.into_iter().collect::<Vec<_>>().join(", ")
    };
    Err(if wanted.is_empty() {
        format!("traces {traced}; this item asks about no catalog requirement a record could trace")
    } else {
        format!(
            "traces {traced}, none of this item's requirements ({})",
            wanted.join(", ")
        )
    })
}

/// Score a filled questionnaire by the specification's evaluation method (see the module
/// documentation for every rule). `today` is YYYY-MM-DD.
pub fn score(
    q: &Questionnaire,
    spec: Option<&Specification>,
    weights: &Weights,
    lookup: &dyn EvidenceLookup,
    today: &str,
) -> VendorScore {
    let mut notes = Vec::new();
    let targets = match spec {
        Some(s) => Targets {
            sl_t: Some(s.params.sl_t),
            support_years: s.params.support_years,
        },
        None => Targets {
            sl_t: q.specification.sl_t.parse().ok(),
            support_years: q.specification.support_years,
        },
    };
    if targets.sl_t.is_none() {
        notes.push(format!(
            "the questionnaire's SL-T '{}' is not a security level vector: SL-C answers are not judged against a target",
            q.specification.sl_t
        ));
    }
    let today_date = parse_date(today);
    if today_date.is_none() {
        notes.push(format!(
            "today '{today}' is not a date (YYYY-MM-DD): dates are not judged"
        ));
    }
    // The items to score: the specification's questionnaire when given, with the vendor's answers.
    let items: Vec<QuestionnaireItem> = match spec {
        Some(s) => {
            if s.sl_t_text != q.specification.sl_t {
                notes.push(format!(
                    "the questionnaire was written for SL-T {}, the specification asks for {}: scored against the specification",
                    q.specification.sl_t, s.sl_t_text
                ));
            }
            let answered: BTreeMap<&str, &QuestionnaireItem> =
                q.items.iter().map(|i| (i.id.as_str(), i)).collect();
            let wanted: BTreeSet<&str> = s
                .questionnaire
                .items
                .iter()
                .map(|i| i.id.as_str())
                .collect();
            let extra: Vec<&str> = q
                .items
                .iter()
                .map(|i| i.id.as_str())
                .filter(|id| !wanted.contains(id))
                .collect();
            if !extra.is_empty() {
                notes.push(format!(
                    "left out, not in the specification: {}",
                    extra.join(", ")
                ));
            }
            let mut missing = Vec::new();
            let items = s
                .questionnaire
                .items
                .iter()
                .map(|t| match answered.get(t.id.as_str()) {
                    Some(a) => QuestionnaireItem {
                        answer: a.answer.clone(),
                        evidence: a.evidence.clone(),
                        comment: a.comment.clone(),
                        ..t.clone()
                    },
                    None => {
                        missing.push(t.id.clone());
                        t.clone()
                    }
                })
                .collect();
            if !missing.is_empty() {
                notes.push(format!(
                    "missing from the vendor's questionnaire, counted as not answered: {}",
                    missing.join(", ")
                ));
            }
            items
        }
        None => q.items.clone(),
    };

    let offer = Offer {
        vendor: q.vendor.name.as_deref().and_then(norm),
        product: q.vendor.product.as_deref().and_then(norm),
        version: q.vendor.version.as_deref().and_then(norm),
    };
    let component = spec
        .map(|s| s.params.component)
        .unwrap_or(q.specification.component_type);
    let mut scored = Vec::new();
    let mut gaps = Vec::new();
    for item in &items {
        let (dimension, why) = dimension_of(item);
        let wanted = item_requirements(item, spec, component);
        let mut evidence = Vec::new();
        let mut not_applicable = Vec::new();
        let mut unresolved = Vec::new();
        for r in item
            .evidence
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
        {
            match lookup.find(r) {
                Some(e) => match binding(item, &e, &offer, &wanted) {
                    Ok(()) => evidence.push(e),
                    Err(reason) => not_applicable.push(NotApplicable {
                        id: e.id.clone(),
                        title: e.title.clone(),
                        reason,
                    }),
                },
                None => unresolved.push(r.to_string()),
            }
        }
        let raw = raw_points(item, !evidence.is_empty(), &targets, today_date, today);
        // The best bound, proven evidence sets the weight.
        let best = evidence
            .iter()
            .filter(|e| e.verified)
            .max_by(|a, b| a.origin.weight().total_cmp(&b.origin.weight()));
        let (points, max, mut reason) = match raw.points {
            None => (0.0, 0.0, raw.reason.clone()),
            Some(0) => (0.0, 2.0, raw.reason.clone()),
            Some(p) => {
                let p = f64::from(p);
                if let Some(b) = best {
                    let w = b.origin.weight();
                    (
                        p * w,
                        2.0,
                        format!(
                            "{}; backed by proven evidence {} ({}), {}: counts {}",
                            raw.reason,
                            b.id,
                            b.title,
                            b.origin.describe(),
                            share(w)
                        ),
                    )
                } else if let Some(found) = evidence.first() {
                    (
                        p * ASSERTION_WEIGHT,
                        2.0,
                        format!(
                            "{}; evidence {} bound but its integrity did not verify{}: an assertion, counts {}",
                            raw.reason,
                            found.id,
                            found
                                .not_verified
                                .as_deref()
                                .map(|w| format!(" ({w})"))
                                .unwrap_or_default(),
                            share(ASSERTION_WEIGHT)
                        ),
                    )
                } else {
                    let mut why_not = Vec::new();
                    if !not_applicable.is_empty() {
                        why_not.push(format!(
                            "{} cited, not applicable to this item",
                            not_applicable.len()
                        ));
                    }
                    if !unresolved.is_empty() {
                        why_not.push(format!("not found: {}", unresolved.join(", ")));
                    }
                    let why_not = if why_not.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", why_not.join("; "))
                    };
                    (
                        p * ASSERTION_WEIGHT,
                        2.0,
                        format!(
                            "{}; no bound evidence{why_not}: an assertion, counts {}",
                            raw.reason,
                            share(ASSERTION_WEIGHT)
                        ),
                    )
                }
            }
        };
        if let Some(w) = why {
            reason.push_str(&format!(" [{w}]"));
        }
        if let Some(g) = &raw.gap {
            let comment = item
                .comment
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| format!(" (vendor comment: {c})"))
                .unwrap_or_default();
            gaps.push(format!("{} ({}): {g}{comment}", item.id, item.title));
        }
        scored.push(ItemScore {
            id: item.id.clone(),
            title: item.title.clone(),
            dimension: dimension.to_string(),
            answer: item.answer.clone(),
            points,
            max,
            reason,
            evidence,
            not_applicable,
            unresolved_evidence: unresolved,
        });
    }

    let weight_of = |key: &str| match key {
        "security-maturity" => weights.security_maturity,
        "technical-capability" => weights.technical_capability,
        _ => weights.support_readiness,
    };
    let dimensions: Vec<DimensionScore> = DIMENSIONS
        .iter()
        .map(|(key, name)| {
            let its: Vec<&ItemScore> = scored
                .iter()
                .filter(|i| i.dimension == *key && i.max > 0.0)
                .collect();
            let points: f64 = its.iter().map(|i| i.points).sum();
            let attainable: f64 = its.iter().map(|i| i.max).sum();
            if attainable == 0.0 {
                notes.push(format!("{name}: no applicable item, scored 0"));
            }
            DimensionScore {
                key: key.to_string(),
                name: name.to_string(),
                weight: weight_of(key),
                points: round(points),
                attainable,
                percent: if attainable > 0.0 {
                    round(100.0 * points / attainable)
                } else {
                    0.0
                },
                items: its.len(),
            }
        })
        .collect();
    let total_percent = round(
        dimensions
            .iter()
            .map(|d| f64::from(d.weight) * d.percent / 100.0)
            .sum(),
    );
    VendorScore {
        format: SCORE_FORMAT.into(),
        vendor: q
            .vendor
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "unnamed vendor".into()),
        product: q.vendor.product.clone(),
        version: q.vendor.version.clone(),
        specification: spec
            .map(|s| s.questionnaire.specification.product.clone())
            .unwrap_or_else(|| q.specification.product.clone()),
        sl_t: targets
            .sl_t
            .map(|v| v.to_string())
            .unwrap_or_else(|| q.specification.sl_t.clone()),
        support_years: targets.support_years,
        today: today.to_string(),
        weights: *weights,
        dimensions,
        total_percent,
        items: scored,
        gaps,
        notes,
    }
}

/// One row of a comparison: a dimension (or the total) across vendors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// Dimension key, or `total`.
    pub key: String,
    /// Heading.
    pub name: String,
    /// Weight in percent (100 for the total).
    pub weight: u8,
    /// Percent per vendor, in the order of [`Comparison::vendors`].
    pub percents: Vec<f64>,
    /// Indexes of the vendors with the highest percent in this row.
    pub best: Vec<usize>,
}

/// One vendor's gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorGaps {
    /// Vendor name.
    pub vendor: String,
    /// Its gaps.
    pub gaps: Vec<String>,
}

/// Several vendors side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Vendor names (with product and version), in input order.
    pub vendors: Vec<String>,
    /// The three dimensions, then the total.
    pub rows: Vec<ComparisonRow>,
    /// Vendor names by total, highest first (ties in input order).
    pub ranking: Vec<String>,
    /// Gaps per vendor.
    pub gaps: Vec<VendorGaps>,
    /// Warnings, e.g. scores made against different targets or weights.
    pub notes: Vec<String>,
}

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

fn best_of(values: &[f64]) -> Vec<usize> {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v == max)
        .map(|(i, _)| i)
        .collect()
}

/// Put vendor scores side by side: rows per dimension and the total, the ranking and each
/// vendor's gaps.
pub fn compare(scores: &[VendorScore]) -> Comparison {
    let vendors: Vec<String> = scores.iter().map(label).collect();
    let mut rows: Vec<ComparisonRow> = DIMENSIONS
        .iter()
        .map(|(key, name)| {
            let percents: Vec<f64> = scores
                .iter()
                .map(|s| s.dimension(key).map(|d| d.percent).unwrap_or(0.0))
                .collect();
            ComparisonRow {
                key: key.to_string(),
                name: name.to_string(),
                weight: scores
                    .first()
                    .and_then(|s| s.dimension(key))
                    .map(|d| d.weight)
                    .unwrap_or(0),
                best: best_of(&percents),
                percents,
            }
        })
        .collect();
    let totals: Vec<f64> = scores.iter().map(|s| s.total_percent).collect();
    rows.push(ComparisonRow {
        key: "total".into(),
        name: "Total (weighted)".into(),
        weight: 100,
        best: best_of(&totals),
        percents: totals.clone(),
    });
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| totals[*b].total_cmp(&totals[*a]).then(a.cmp(b)));
    let mut notes = Vec::new();
    let distinct =
        |f: &dyn Fn(&VendorScore) -> String| scores.iter().map(f).collect::<BTreeSet<_>>();
    let targets = distinct(&|s| format!("SL-T {}, {} support years", s.sl_t, s.support_years));
    if targets.len() > 1 {
        notes.push(format!(
            "the scores were made against different targets ({}): compare with care",
            targets.into_iter().collect::<Vec<_>>().join("; ")
        ));
    }
    let weights = distinct(&|s| s.weights.to_string());
    if weights.len() > 1 {
        notes.push(format!(
            "the scores use different weights ({}): totals are not comparable",
            weights.into_iter().collect::<Vec<_>>().join("; ")
        ));
    }
    let days = distinct(&|s| s.today.clone());
    if days.len() > 1 {
        notes.push(format!(
            "the scores were made on different days ({})",
            days.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Comparison {
        ranking: order.iter().map(|i| vendors[*i].clone()).collect(),
        gaps: scores
            .iter()
            .zip(&vendors)
            .map(|(s, v)| VendorGaps {
                vendor: v.clone(),
                gaps: s.gaps.clone(),
            })
            .collect(),
        vendors,
        rows,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    /// The month lengths this parser used before jiff, kept as the oracle.
    fn old_valid(y: u32, m: u32, d: u32) -> bool {
        let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        d != 0 && d <= days
    }

    proptest::proptest! {
        #[test]
        fn dates_as_before(y in 0u32..=9999, m in 0u32..=13, d in 0u32..=32) {
            let text = format!("{y:04}-{m:02}-{d:02}");
            let want = old_valid(y, m, d).then_some((y as i32, m, d));
            proptest::prop_assert_eq!(parse_date(&text), want, "{}", text);
        }
    }
}
