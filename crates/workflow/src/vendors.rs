//! Use case: score vendors from their filled questionnaires, resolving the evidence they cite
//! against the store, and record the scores as a Decision citing the evidence behind the
//! points.
//!
//! Cited evidence counts in full only when its record is in the store and its inclusion in
//! the store's signed log is proven ([`prove_in_store`]); otherwise it is an assertion and the
//! reason it was not proven is kept with the evidence (`EvidenceRef::not_verified`).

use crate::records::prove_in_store;
use crate::sdl::record_kind;
use otproof_assess::spec::{SpecError, Specification, Weights};
use otproof_assess::vendors::{
    self, AnswersError, Comparison, EvidenceLookup, EvidenceRef, Origin, VendorScore,
};
use otproof_evidence::payload::vendors::{
    CitedEvidence, DimensionPoints, ItemPoints, NotApplicableEvidence, ScoreWeights,
    VendorScorePayload, VendorScoresPayload,
};
use otproof_evidence::{
    Body, Criterion, CriterionResult, Decision, EvidenceKind, Payload, PayloadError, Record,
    RecordId, Subject, Verdict,
};
use otproof_store::{Store, StoreError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why scoring failed.
#[derive(Debug, thiserror::Error)]
pub enum VendorsError {
    /// A file cannot be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        /// What the file is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not UTF-8.
    #[error("{}: not UTF-8 text (expected {expected})", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// What was expected.
        expected: &'static str,
    },
    /// The specification is not the JSON `otproof spec` writes.
    #[error("{}: line {line}, column {column}: {message} (expected the JSON written by `otproof spec --format json`)", path.display())]
    Spec {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde said.
        message: String,
    },
    /// The weights do not parse.
    #[error("--weights {given}: {source}")]
    Weights {
        /// What was given.
        given: String,
        /// Why.
        source: SpecError,
    },
    /// A filled questionnaire does not parse.
    #[error("{}: {source}", path.display())]
    Answers {
        /// The file.
        path: PathBuf,
        /// What is wrong (line and column).
        source: AnswersError,
    },
    /// The payload does not serialise.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A shared record step failed.
    #[error(transparent)]
    Records(#[from] crate::records::RecordsError),
}

/// Read a file as UTF-8 text.
pub(crate) fn read_text(
    path: &Path,
    what: &'static str,
    expected: &'static str,
) -> Result<String, VendorsError> {
    let bytes = crate::input::read(path, what).map_err(|source| VendorsError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| VendorsError::NotText {
        path: path.to_path_buf(),
        expected,
    })
}

/// Read a specification (the JSON of `otproof spec --format json`).
pub fn load_spec(path: &Path) -> Result<Specification, VendorsError> {
    let text = read_text(path, "specification", "JSON")?;
    serde_json::from_str(&text).map_err(|e| VendorsError::Spec {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Evidence references resolved against the store: record IDs (or unique prefixes) and
/// record titles; `verified` when the record's inclusion proof checks against the log key,
/// else `not_verified` says why.
pub struct StoreLookup<'a> {
    store: Option<&'a Store>,
    /// Record title -> ID, listed once (answers cite many documents by title).
    titles: HashMap<String, String>,
}

impl<'a> StoreLookup<'a> {
    /// A lookup over `store` (none: nothing resolves).
    pub fn new(store: Option<&'a Store>) -> Result<StoreLookup<'a>, StoreError> {
        let mut titles = HashMap::new();
        if let Some(st) = store {
            for s in st.list(None, None)? {
                titles.entry(s.title).or_insert(s.id);
            }
        }
        Ok(StoreLookup { store, titles })
    }
}

impl EvidenceLookup for StoreLookup<'_> {
    fn find(&self, reference: &str) -> Option<EvidenceRef> {
        let store = self.store?;
        let reference = reference.trim();
        let found = if reference.starts_with("sha256:") {
            store.get(reference).ok()
        } else {
            store.get(self.titles.get(reference)?).ok()
        }?;
        let (title, requirements, subject) = match &found.record.body {
            Body::Evidence(ev) => (ev.title.clone(), ev.requirements.clone(), &ev.subject),
            Body::Decision(d) => (d.title.clone(), d.requirements.clone(), &d.subject),
        };
        // The title index only narrows the search: a record cited by title is the record whose
        // own (hashed) title is that title, whatever an edited index column says.
        if !reference.starts_with("sha256:") && title != reference {
            return None;
        }
        let (vendor, product, version) = match subject {
            Subject::Vendor { vendor } => (Some(vendor.clone()), None, None),
            Subject::Product {
                vendor,
                product,
                version,
                ..
            } => (Some(vendor.clone()), Some(product.clone()), version.clone()),
            Subject::System { .. } => (None, None, None),
        };
        let proof = prove_in_store(store, &found.id)
            .map_err(|e| e.to_string())
            .and_then(|()| check_passed(&found.record.body));
        Some(EvidenceRef {
            id: found.id.to_string(),
            kind: record_kind(&found.record.body),
            title,
            requirements,
            verified: proof.is_ok(),
            not_verified: proof.err(),
            origin: origin_of(&found.record),
            vendor: vendor.filter(|v| !v.trim().is_empty()),
            product: product.filter(|p| !p.trim().is_empty()),
            version: version.filter(|v| !v.trim().is_empty()),
        })
    }
}

/// A signature check backs an answer only when it passed: a failed or incomplete
/// verification is on record, but it is no evidence for the claim it was about. Likewise an
/// inconclusive robustness campaign.
fn check_passed(body: &Body) -> Result<(), String> {
    use otproof_evidence::payload::release::SignatureCheck;
    use otproof_evidence::Payload as _;
    match body {
        Body::Evidence(ev) if ev.kind == EvidenceKind::SignatureCheck => {
            match SignatureCheck::from_value(&ev.payload) {
                Ok(c) if c.passed() => Ok(()),
                Ok(_) => Err("the signature check it records did not pass".into()),
                Err(e) => Err(format!("its signature-check payload does not read: {e}")),
            }
        }
        Body::Evidence(ev) if ev.kind == EvidenceKind::RobustnessCampaign => {
            use otproof_evidence::payload::campaign::{CampaignVerdict, RobustnessCampaign};
            match RobustnessCampaign::from_value(&ev.payload) {
                Ok(c) if c.result.verdict == Some(CampaignVerdict::Inconclusive) => Err(
                    "the campaign it records is inconclusive: too few of its cases reached the target"
                        .into(),
                ),
                // A campaign otproof ran, or a document handed over (judged by its origin).
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// The otproof operations that produce a record by running a check themselves, with the
/// evidence kind each produces: a campaign otproof ran, an SBOM check it made, a signature it
/// verified (on its own or while accepting a package), a release statement it signed.
pub const CHECK_OPERATIONS: [(EvidenceKind, &str); 6] = [
    (EvidenceKind::RobustnessCampaign, crate::campaign::OPERATION),
    (
        EvidenceKind::RobustnessCampaign,
        crate::campaign::MQTT_OPERATION,
    ),
    (EvidenceKind::SbomCheck, "sbom check"),
    (EvidenceKind::SignatureCheck, "signature check"),
    (EvidenceKind::SignatureCheck, "accept"),
    (EvidenceKind::Release, "release sign"),
];

/// Who produced a record: the buyer (a decision, a specification), an otproof check (the kind
/// and the producing operation are in [`CHECK_OPERATIONS`]), or else a handed-over document
/// (whatever its kind says: `evidence add --kind robustness-campaign` records a file someone
/// handed over, not a campaign otproof ran).
pub fn origin_of(record: &Record) -> Origin {
    match &record.body {
        Body::Decision(_) => Origin::Buyer,
        Body::Evidence(ev) if ev.kind == EvidenceKind::Specification => Origin::Buyer,
        Body::Evidence(ev) => {
            let op = record.producer.operation.as_deref().unwrap_or("");
            if record.producer.tool == "otproof"
                && CHECK_OPERATIONS
                    .iter()
                    .any(|(k, o)| *k == ev.kind && *o == op)
            {
                Origin::Check
            } else {
                Origin::Supplied
            }
        }
    }
}

/// What to score.
#[derive(Debug, Clone, Default)]
pub struct ScoreInputs {
    /// Filled questionnaires (YAML).
    pub answers: Vec<PathBuf>,
    /// The specification they respond to.
    pub spec: Option<PathBuf>,
    /// Weights as given (`35,40,25`); default: the specification's, else the defaults.
    pub weights: Option<String>,
    /// The day dates are judged at (YYYY-MM-DD).
    pub today: String,
}

/// The scores and their comparison.
#[derive(Debug, Clone)]
pub struct Scored {
    /// One per questionnaire, in input order.
    pub scores: Vec<VendorScore>,
    /// Side by side.
    pub comparison: Comparison,
}

/// Read every input, then score each questionnaire against the store's evidence.
pub fn score(inputs: &ScoreInputs, store: Option<&Store>) -> Result<Scored, VendorsError> {
    let spec = inputs.spec.as_deref().map(load_spec).transpose()?;
    let weights: Weights = match &inputs.weights {
        Some(w) => w.parse().map_err(|source| VendorsError::Weights {
            given: w.clone(),
            source,
        })?,
        None => spec.as_ref().map(|s| s.params.weights).unwrap_or_default(),
    };
    let mut questionnaires = Vec::new();
    for p in &inputs.answers {
        let text = read_text(p, "answers", "YAML")?;
        questionnaires.push(vendors::parse_answers(&text).map_err(|source| {
            VendorsError::Answers {
                path: p.clone(),
                source,
            }
        })?);
    }
    let lookup = StoreLookup::new(store)?;
    let scores: Vec<VendorScore> = questionnaires
        .iter()
        .map(|q| vendors::score(q, spec.as_ref(), &weights, &lookup, &inputs.today))
        .collect();
    let comparison = vendors::compare(&scores);
    Ok(Scored { scores, comparison })
}

fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Check => "check",
        Origin::Supplied => "supplied",
        Origin::Buyer => "buyer",
    }
}

/// The scores as a typed payload.
pub fn payload_of(scores: &[VendorScore]) -> VendorScoresPayload {
    VendorScoresPayload {
        scores: scores
            .iter()
            .map(|s| VendorScorePayload {
                format: s.format.clone(),
                vendor: s.vendor.clone(),
                product: s.product.clone(),
                version: s.version.clone(),
                specification: s.specification.clone(),
                sl_t: s.sl_t.clone(),
                support_years: s.support_years,
                today: s.today.clone(),
                weights: ScoreWeights {
                    security_maturity: s.weights.security_maturity,
                    technical_capability: s.weights.technical_capability,
                    support_readiness: s.weights.support_readiness,
                },
                dimensions: s
                    .dimensions
                    .iter()
                    .map(|d| DimensionPoints {
                        key: d.key.clone(),
                        name: d.name.clone(),
                        weight: d.weight,
                        points: d.points,
                        attainable: d.attainable,
                        percent: d.percent,
                        items: d.items as u64,
                    })
                    .collect(),
                total_percent: s.total_percent,
                items: s
                    .items
                    .iter()
                    .map(|i| ItemPoints {
                        id: i.id.clone(),
                        title: i.title.clone(),
                        dimension: i.dimension.clone(),
                        answer: i.answer.clone(),
                        points: i.points,
                        max: i.max,
                        reason: i.reason.clone(),
                        evidence: i
                            .evidence
                            .iter()
                            .map(|e| CitedEvidence {
                                id: e.id.clone(),
                                kind: e.kind.clone(),
                                title: e.title.clone(),
                                requirements: e.requirements.clone(),
                                verified: e.verified,
                                not_verified: e.not_verified.clone(),
                                origin: Some(origin_name(e.origin).into()),
                            })
                            .collect(),
                        unresolved_evidence: i.unresolved_evidence.clone(),
                        not_applicable: i
                            .not_applicable
                            .iter()
                            .map(|n| NotApplicableEvidence {
                                id: n.id.clone(),
                                title: n.title.clone(),
                                reason: n.reason.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
                gaps: s.gaps.clone(),
                notes: s.notes.clone(),
            })
            .collect(),
    }
}

/// The scores as a Decision citing the proven evidence behind the points (nothing appended).
pub fn scores_decision(scores: &[VendorScore]) -> Result<Decision, VendorsError> {
    let mut refs: Vec<RecordId> = Vec::new();
    let mut criteria = Vec::new();
    for s in scores {
        let vendor = if s.vendor.is_empty() {
            "(unnamed vendor)".to_string()
        } else {
            s.vendor.clone()
        };
        let mut ids: Vec<RecordId> = s
            .items
            .iter()
            .flat_map(|i| i.evidence.iter())
            .filter(|e| e.verified)
            .filter_map(|e| e.id.parse().ok())
            .collect();
        ids.sort();
        ids.dedup();
        refs.extend(ids.iter().copied());
        criteria.push(Criterion {
            id: vendor.clone(),
            description: format!(
                "{vendor}: total {:.1}% ({})",
                s.total_percent,
                s.dimensions
                    .iter()
                    .map(|d| format!("{} {:.1}%", d.name, d.percent))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            result: CriterionResult::Pass,
            evidence: ids,
        });
    }
    refs.sort();
    refs.dedup();
    Ok(Decision {
        decision: Verdict::VendorScore,
        title: format!(
            "Vendor scores: {}",
            scores
                .iter()
                .map(|s| s.vendor.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        subject: Subject::Product {
            vendor: String::new(),
            product: scores
                .first()
                .map(|s| s.specification.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "procurement".into()),
            version: None,
            component_type: None,
            artifacts: vec![],
        },
        requirements: vec![],
        criteria,
        references: refs,
        exceptions: vec![],
        decided_by: "buyer (otproof vendors score)".into(),
        payload: payload_of(scores).to_value()?,
    })
}

/// Record the scores (a new record even when the same scores are already in the store).
pub fn record_scores(store: &mut Store, scores: &[VendorScore]) -> Result<RecordId, VendorsError> {
    let decision = scores_decision(scores)?;
    Ok(store
        .append_one(Record::new("vendors score", Body::Decision(decision)))?
        .id)
}

/// What [`record_scores_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Appended as this record.
    New(RecordId),
    /// The same decision (same scores, same evidence, same day) is already this record:
    /// nothing appended.
    Already(RecordId),
}

impl Recorded {
    /// The record's ID.
    pub fn id(self) -> RecordId {
        match self {
            Recorded::New(id) | Recorded::Already(id) => id,
        }
    }
}

/// Record the scores unless the store already holds the same decision: running the same
/// scoring again gives the same decision, not a second record.
pub fn record_scores_once(
    store: &mut Store,
    scores: &[VendorScore],
) -> Result<Recorded, VendorsError> {
    let decision = scores_decision(scores)?;
    for s in store.list(None, None)? {
        if s.title != decision.title {
            continue;
        }
        if let Ok(found) = store.get(&s.id) {
            if !matches!(&found.record.body, Body::Decision(_)) {
                continue;
            }
            // The same decision made at the stored record's time has the stored record's ID
            // (IDs hash the canonical record).
            let mut same = Record::new("vendors score", Body::Decision(decision.clone()));
            same.created = found.record.created.clone();
            same.producer = found.record.producer.clone();
            same.supersedes = found.record.supersedes;
            if same.id().ok() == Some(found.id) {
                return Ok(Recorded::Already(found.id));
            }
        }
    }
    match store.append_one(Record::new("vendors score", Body::Decision(decision))) {
        Ok(a) => Ok(Recorded::New(a.id)),
        Err(StoreError::Duplicate(id)) => match id.parse() {
            Ok(id) => Ok(Recorded::Already(id)),
            Err(_) => Err(StoreError::Duplicate(id).into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// Documents a vendor submits with its filled questionnaire (the answers cite them by title).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The vendor.
    pub vendor: String,
    /// The offered product.
    pub product: String,
    /// Its component type.
    #[serde(default)]
    pub component_type: Option<otproof_catalog::ComponentType>,
    /// The documents.
    pub documents: Vec<SubmittedDocument>,
}

/// One submitted document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmittedDocument {
    /// Its title (what the answers cite).
    pub title: String,
    /// `document` or `certificate`.
    pub kind: otproof_evidence::EvidenceKind,
    /// Catalog requirements the vendor says it supports.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// The product version it is about (none: the product line).
    #[serde(default)]
    pub version: Option<String>,
}

/// The content of a submitted document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentContent {
    /// File name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Bytes.
    pub bytes: Vec<u8>,
}

/// Record each submitted document as evidence about the vendor's product, with its content
/// (`content(document)`) attached. The content is the
/// vendor's claim; the record proves only that it was received and not changed since.
pub fn record_submission(
    store: &mut Store,
    submission: &Submission,
    content: &dyn Fn(&SubmittedDocument) -> DocumentContent,
) -> Result<Vec<RecordId>, VendorsError> {
    use otproof_evidence::payload::document::DocumentPayload;
    let mut ids = Vec::new();
    for d in &submission.documents {
        let DocumentContent {
            name,
            media_type,
            bytes,
        } = content(d);
        let attachment = crate::records::attach_bytes(store, &name, &media_type, &bytes)?;
        let evidence = otproof_evidence::Evidence {
            kind: d.kind,
            title: d.title.clone(),
            requirements: d.requirements.clone(),
            subject: Subject::Product {
                vendor: submission.vendor.clone(),
                product: submission.product.clone(),
                version: d.version.clone(),
                component_type: submission.component_type,
                artifacts: vec![],
            },
            payload: DocumentPayload {
                file: name,
                submitted_by: Some(submission.vendor.clone()),
                stated_version: None,
            }
            .to_value()?,
            attachments: vec![attachment],
            findings: vec![],
        };
        ids.push(
            store
                .append_one(Record::new("evidence add", Body::Evidence(evidence)))?
                .id,
        );
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use otproof_evidence::{Evidence, EvidenceKind};

    #[test]
    fn a_failed_or_unreadable_signature_check_backs_nothing() {
        use otproof_evidence::payload::release::{CheckOutcome, SignatureCheck, SignatureMethod};
        use otproof_evidence::Payload as _;
        let body = |payload: serde_json::Value| {
            Body::Evidence(Evidence {
                kind: EvidenceKind::SignatureCheck,
                title: "check".into(),
                requirements: vec![],
                subject: otproof_evidence::Subject::Vendor {
                    vendor: "Acme".into(),
                },
                payload,
                attachments: vec![],
                findings: vec![],
            })
        };
        let check = |outcome: CheckOutcome| SignatureCheck {
            method: SignatureMethod::Dsse,
            outcome,
            artifact: None,
            signer: None,
            checked: vec![],
            not_checked: vec![],
            detail: None,
        };
        let passed = check(CheckOutcome::Verified).to_value().expect("value");
        assert!(check_passed(&body(passed)).is_ok());
        let failed = check(CheckOutcome::Failed {
            check: "signature".into(),
            reason: "bad".into(),
        })
        .to_value()
        .expect("value");
        assert!(check_passed(&body(failed)).is_err());
        let incomplete = check(CheckOutcome::Incomplete).to_value().expect("value");
        assert!(check_passed(&body(incomplete)).is_err());
        assert!(check_passed(&body(serde_json::json!({"verified": true}))).is_err());
    }

    const STRONG: &str = include_str!("../../../testdata/vendors/strong.yaml");
    const ASSERTIONS: &str = include_str!("../../../testdata/vendors/assertions.yaml");

    fn inputs(dir: &Path) -> ScoreInputs {
        let (a, b) = (dir.join("strong.yaml"), dir.join("assertions.yaml"));
        std::fs::write(&a, STRONG).expect("write");
        std::fs::write(&b, ASSERTIONS).expect("write");
        ScoreInputs {
            answers: vec![a, b],
            spec: None,
            weights: None,
            today: "2026-12-07".into(),
        }
    }

    fn document(title: &str, requirements: &[&str]) -> Record {
        Record::new(
            "test",
            Body::Evidence(Evidence {
                kind: EvidenceKind::Document,
                title: title.into(),
                requirements: requirements.iter().map(|s| s.to_string()).collect(),
                subject: Subject::Vendor {
                    vendor: "Northwind Controls".into(),
                },
                payload: serde_json::Value::Null,
                attachments: vec![],
                findings: vec![],
            }),
        )
    }

    #[test]
    fn submitted_documents_back_the_answers_that_cite_them() {
        let t = tempfile::tempdir().expect("tempdir");
        let i = inputs(t.path());
        let s = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(s.path(), None).expect("init");
        let submission: Submission = serde_saphyr::from_str(include_str!(
            "../../../testdata/vendors/strong-documents.yaml"
        ))
        .expect("submission");
        let ids = record_submission(&mut store, &submission, &|d| DocumentContent {
            name: format!("{}.md", d.title.replace(' ', "-")),
            media_type: "text/markdown".into(),
            bytes: format!("# {}\n", d.title).into_bytes(),
        })
        .expect("recorded");
        assert_eq!(ids.len(), submission.documents.len());
        let scored = score(&i, Some(&store)).expect("scored");
        let backed = scored.scores[0]
            .items
            .iter()
            .filter(|it| it.evidence.iter().any(|e| e.verified))
            .count();
        assert!(backed >= submission.documents.len(), "{backed}");
    }

    #[test]
    fn bad_inputs_name_the_file_and_nothing_is_scored() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut i = inputs(t.path());
        i.weights = Some("1,2".into());
        let e = score(&i, None).expect_err("bad weights");
        assert!(e.to_string().starts_with("--weights 1,2:"), "{e}");
        let mut i = inputs(t.path());
        let bad = t.path().join("bad.yaml");
        std::fs::write(&bad, "format: x\nitems: [\n").expect("write");
        i.answers.push(bad);
        let e = score(&i, None).expect_err("bad answers");
        assert!(
            e.to_string().contains("bad.yaml") && e.to_string().contains("line"),
            "{e}"
        );
        let mut i = inputs(t.path());
        i.spec = Some(t.path().join("strong.yaml"));
        let e = score(&i, None).expect_err("not a spec");
        assert!(e.to_string().contains("otproof spec --format json"), "{e}");
    }

    #[test]
    fn an_edited_title_column_cites_nothing() {
        let s = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(s.path(), None).expect("init");
        store
            .append_one(document("Some unrelated note", &["SM-1"]))
            .expect("append");
        drop(store);
        let dir = s.path().join(otproof_store::STORE_DIR);
        let conn = rusqlite::Connection::open(dir.join("otproof.db")).expect("db");
        conn.execute(
            "UPDATE records SET title = 'Northwind Secure Development Process Manual v4.2'",
            [],
        )
        .expect("edit the index");
        drop(conn);
        let store = Store::open(&dir).expect("open");
        let lookup = StoreLookup::new(Some(&store)).expect("lookup");
        assert!(lookup
            .find("Northwind Secure Development Process Manual v4.2")
            .is_none());
        assert!(lookup.find("Some unrelated note").is_none());
    }

    #[test]
    fn proven_evidence_counts_and_unproven_keeps_the_reason() {
        let t = tempfile::tempdir().expect("tempdir");
        let i = inputs(t.path());
        let without = score(&i, None).expect("scored");

        // A store with the strong vendor's documents: points backed by proven records count
        // in full and the recorded decision cites them.
        let s = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(s.path(), None).expect("init");
        store
            .append_one(document(
                "Northwind Secure Development Process Manual v4.2",
                &["SM-1"],
            ))
            .expect("append");
        let with = score(&i, Some(&store)).expect("scored");
        assert!(with.scores[0].total_percent > without.scores[0].total_percent);
        let id = record_scores(&mut store, &with.scores).expect("recorded");
        let Body::Decision(d) = store.get(&id.to_string()).expect("stored").record.body else {
            panic!("a decision")
        };
        assert_eq!(d.decision, Verdict::VendorScore);
        assert_eq!(d.references.len(), 1);
        assert_eq!(d.criteria.len(), 2);
        let p = VendorScoresPayload::from_value(&d.payload).expect("typed payload");
        assert_eq!(p, payload_of(&with.scores));

        // A store that cannot prove (no checkpoint signed with its key: opened without the
        // signing key, the record appended after): the evidence is found, not proven, and
        // says why.
        let u = tempfile::tempdir().expect("tempdir");
        Store::init(u.path(), None).expect("init");
        let dir = u.path().join(otproof_store::STORE_DIR);
        std::fs::remove_file(dir.join("keys/ledger.skey")).expect("remove the signing key");
        let mut unsigned = Store::open(&dir).expect("open");
        unsigned
            .append_one(document(
                "Northwind Secure Development Process Manual v4.2",
                &["SM-1"],
            ))
            .expect("append");
        let lookup = StoreLookup::new(Some(&unsigned)).expect("lookup");
        let found = lookup
            .find("Northwind Secure Development Process Manual v4.2")
            .expect("found by title");
        assert!(!found.verified);
        let why = found.not_verified.expect("a reason");
        assert!(why.contains("no inclusion proof"), "{why}");
        let unproven = score(&i, Some(&unsigned)).expect("scored");
        assert_eq!(
            unproven.scores[0].total_percent, without.scores[0].total_percent,
            "unproven evidence earns nothing"
        );
    }

    /// Cite `titles` on every item of the strong sample (replacing its own evidence).
    fn cite_everywhere(dir: &Path, titles: &[&str]) -> ScoreInputs {
        let mut q: serde_json::Value = serde_saphyr::from_str(STRONG).expect("sample");
        for item in q["items"].as_array_mut().expect("items") {
            item["evidence"] = serde_json::json!(titles);
        }
        let path = dir.join("gamed.yaml");
        std::fs::write(&path, serde_json::to_string(&q).expect("json")).expect("write");
        ScoreInputs {
            answers: vec![path],
            spec: None,
            weights: None,
            today: "2026-12-07".into(),
        }
    }

    fn evidence(kind: EvidenceKind, title: &str, reqs: &[&str], subject: Subject) -> Record {
        Record::new(
            "evidence add",
            Body::Evidence(Evidence {
                kind,
                title: title.into(),
                requirements: reqs.iter().map(|s| s.to_string()).collect(),
                subject,
                payload: serde_json::Value::Null,
                attachments: vec![],
                findings: vec![],
            }),
        )
    }

    fn northwind_product() -> Subject {
        Subject::Product {
            vendor: "Northwind Controls".into(),
            product: "NW-RIO 4000 remote I/O".into(),
            version: Some("4.2.1".into()),
            component_type: None,
            artifacts: vec![],
        }
    }

    /// Issue 14's binding attacks against a real store: another vendor's document, the
    /// buyer's own specification and decision, and two one-line files tagged CR 1.1 and
    /// CR 3.5, each cited on every item.
    #[test]
    fn cited_records_count_only_where_they_apply() {
        let t = tempfile::tempdir().expect("tempdir");
        let s = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(s.path(), None).expect("init");
        let unrelated = evidence(
            EvidenceKind::Document,
            "Unrelated",
            &["SM-1", "CR 1.1"],
            Subject::Vendor {
                vendor: "Mallory Ltd".into(),
            },
        );
        let spec = evidence(
            EvidenceKind::Specification,
            "Buyer specification",
            &["SM-1", "CR 1.1", "CR 3.5"],
            northwind_product(),
        );
        let a = evidence(
            EvidenceKind::Document,
            "one line A",
            &["CR 1.1"],
            northwind_product(),
        );
        let b = evidence(
            EvidenceKind::Document,
            "one line B",
            &["CR 3.5"],
            northwind_product(),
        );
        for r in [unrelated, spec, a, b] {
            store.append_one(r).expect("append");
        }
        let plain = cite_everywhere(t.path(), &[]);
        let base = score(&plain, Some(&store)).expect("scored").scores[0].total_percent;
        for titles in [&["Unrelated"][..], &["Buyer specification"][..]] {
            let i = cite_everywhere(t.path(), titles);
            let sc = score(&i, Some(&store)).expect("scored");
            let v = &sc.scores[0];
            assert_eq!(v.total_percent, base, "{titles:?}");
            assert!(
                v.items
                    .iter()
                    .all(|it| it.evidence.is_empty() && it.not_applicable.len() == 1),
                "{titles:?}"
            );
        }
        let spec_reason = &score(
            &cite_everywhere(t.path(), &["Buyer specification"]),
            Some(&store),
        )
        .expect("scored")
        .scores[0]
            .items[0]
            .not_applicable[0]
            .reason;
        assert!(spec_reason.contains("buyer's own record"), "{spec_reason}");
        let i = cite_everywhere(t.path(), &["one line A", "one line B"]);
        let v = score(&i, Some(&store)).expect("scored").scores.remove(0);
        let sm1 = v.item("SM-1").expect("SM-1");
        assert!(sm1.evidence.is_empty() && sm1.not_applicable.len() == 2);
        assert!(v.item("CR 1.1").expect("CR 1.1").evidence.len() == 1);
        assert!(
            v.total_percent < base + 5.0,
            "{} vs {base}",
            v.total_percent
        );
        assert!(v.total_percent < 60.0, "{}", v.total_percent);
    }

    #[test]
    fn the_same_scores_are_recorded_once() {
        let t = tempfile::tempdir().expect("tempdir");
        let s = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(s.path(), None).expect("init");
        let i = inputs(t.path());
        let first = score(&i, Some(&store)).expect("scored");
        let a = record_scores_once(&mut store, &first.scores).expect("recorded");
        let again = score(&i, Some(&store)).expect("scored");
        let (d1, d2) = (
            serde_json::to_value(scores_decision(&first.scores).expect("d")).expect("v"),
            serde_json::to_value(scores_decision(&again.scores).expect("d")).expect("v"),
        );
        assert_eq!(d1, d2);
        let titles: Vec<String> = store
            .list(None, None)
            .expect("list")
            .into_iter()
            .map(|s| s.title)
            .collect();
        assert!(
            titles.contains(&scores_decision(&again.scores).expect("d").title),
            "{titles:?}"
        );
        let b = record_scores_once(&mut store, &again.scores).expect("recorded");
        assert!(matches!(a, Recorded::New(_)));
        assert_eq!(b, Recorded::Already(a.id()));
    }
}
