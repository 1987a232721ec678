//! Use cases of zones and conduits: read and evaluate a system model, record the SL-A claim
//! (a Decision with the model, results and diagram attached), and build the integrator's
//! hand-over bundle (the claim and the evidence it relies on, with proofs).
//!
//! The claim relies only on cited evidence that is in the store and whose inclusion in the
//! store's signed log is proven; every other citation is listed in the payload with the
//! reason (`not_relied_on`), never silently dropped.

use crate::records::{self, prove_in_store, RecordsError};
use otproof_assess::zones::{self, Evaluation, GapStatus, SystemModel};
use otproof_evidence::payload::sl_a::{EvidenceNotRelied, GapCounts, ScopeLevels, SlAClaimPayload};
use otproof_evidence::{
    Body, Criterion, CriterionResult, Decision, Exception, Payload, PayloadError, Record, RecordId,
    Subject, Verdict,
};
use otproof_report as report;
use otproof_store::{Store, StoreError};
use std::path::{Path, PathBuf};

/// Why a zones use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ZonesError {
    /// The model file cannot be read.
    #[error("cannot read system model {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The model file is not UTF-8.
    #[error("{}: not UTF-8 text (expected YAML)", .0.display())]
    NotText(PathBuf),
    /// The model does not parse (the error names line and column).
    #[error("{}: {source}", path.display())]
    Model {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: zones::ModelError,
    },
    /// Rendering the results failed.
    #[error(transparent)]
    Report(#[from] report::ReportError),
    /// The payload does not serialise.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// A shared record step failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bundle cannot be built.
    #[error(transparent)]
    Bundle(#[from] otproof_store::bundle::BundleError),
}

/// A model read and evaluated.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    /// The model.
    pub model: SystemModel,
    /// Its evaluation.
    pub evaluation: Evaluation,
    /// The model's text as read (attached to the claim).
    pub text: String,
}

/// Read and evaluate a model; errors name the file, line and column.
pub fn load_model(path: &Path) -> Result<LoadedModel, ZonesError> {
    let bytes = crate::input::read(path, "zone model").map_err(|source| ZonesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ZonesError::NotText(path.to_path_buf()))?;
    let model = zones::parse_model(&text).map_err(|source| ZonesError::Model {
        path: path.to_path_buf(),
        source,
    })?;
    let evaluation = zones::evaluate(&model);
    Ok(LoadedModel {
        model,
        evaluation,
        text,
    })
}

/// Gaps by state.
pub fn gap_counts(e: &Evaluation) -> GapCounts {
    let count = |st: GapStatus| e.gaps.iter().filter(|g| g.status == st).count() as u64;
    GapCounts {
        closed: count(GapStatus::Closed),
        open_justified: count(GapStatus::OpenJustified),
        open: count(GapStatus::Open),
    }
}

/// Gaps open without a justification (the check fails when there is one).
pub fn open_gaps(e: &Evaluation) -> usize {
    e.gaps
        .iter()
        .filter(|g| matches!(g.status, GapStatus::Open))
        .count()
}

/// A file attached to the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFile {
    /// File name in the record.
    pub name: &'static str,
    /// Media type.
    pub media_type: &'static str,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A rendering of the model and its results to attach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimArtifact {
    /// The model as read (`model.yaml`).
    Model,
    /// The evaluation as JSON (`zones.json`).
    Json,
    /// The report page (`zones.html`).
    Html,
    /// The diagram (`zones.svg`).
    Svg,
}

/// What `zones check` attaches.
pub const CHECK_FILES: &[ClaimArtifact] = &[ClaimArtifact::Model, ClaimArtifact::Json];
/// What `zones handover` attaches.
pub const HANDOVER_FILES: &[ClaimArtifact] = &[
    ClaimArtifact::Model,
    ClaimArtifact::Json,
    ClaimArtifact::Html,
    ClaimArtifact::Svg,
];

/// Render the files to attach.
pub fn claim_files(
    loaded: &LoadedModel,
    which: &[ClaimArtifact],
) -> Result<Vec<ClaimFile>, ZonesError> {
    let (m, e) = (&loaded.model, &loaded.evaluation);
    which
        .iter()
        .map(|a| {
            Ok(match a {
                ClaimArtifact::Model => ClaimFile {
                    name: "model.yaml",
                    media_type: "application/yaml",
                    bytes: loaded.text.clone().into_bytes(),
                },
                ClaimArtifact::Json => ClaimFile {
                    name: "zones.json",
                    media_type: "application/json",
                    bytes: report::zones::json(e)?.into_bytes(),
                },
                ClaimArtifact::Html => ClaimFile {
                    name: "zones.html",
                    media_type: "text/html",
                    bytes: report::zones::html(e, m).into_bytes(),
                },
                ClaimArtifact::Svg => ClaimFile {
                    name: "zones.svg",
                    media_type: "image/svg+xml",
                    bytes: report::zones::svg(e, m).into_bytes(),
                },
            })
        })
        .collect()
}

/// The evidence the model's assets cite, checked against the store: the records relied on
/// (found and proven), and every other citation with the reason.
pub fn cited_evidence(store: &Store, m: &SystemModel) -> (Vec<RecordId>, Vec<EvidenceNotRelied>) {
    let mut relied = Vec::new();
    let mut not = Vec::new();
    for a in &m.assets {
        for reference in &a.evidence {
            let reason = match store.get(reference) {
                Err(e) => e.to_string(),
                Ok(r) => match prove_in_store(store, &r.id) {
                    Ok(()) => {
                        relied.push(r.id);
                        continue;
                    }
                    Err(e) => e.to_string(),
                },
            };
            not.push(EvidenceNotRelied {
                asset: a.name.clone(),
                reference: reference.clone(),
                reason,
            });
        }
    }
    relied.sort();
    relied.dedup();
    (relied, not)
}

fn criteria(e: &Evaluation) -> Vec<Criterion> {
    let mut out = Vec::new();
    for z in e.zones.iter().chain(e.conduits.iter()) {
        for fr in &z.frs {
            let gap = e.gaps.iter().find(|g| g.name == z.name && g.fr == fr.fr);
            let result = match gap.map(|g| g.status) {
                None | Some(GapStatus::Closed) => CriterionResult::Pass,
                Some(GapStatus::OpenJustified) => CriterionResult::Exception,
                Some(GapStatus::Open) => CriterionResult::Fail,
            };
            out.push(Criterion {
                id: format!("{} {} {}", z.kind.label(), z.name, fr.fr.abbrev()),
                description: format!(
                    "SL-A {} against SL-T {}{}",
                    fr.sl_a,
                    fr.sl_t,
                    gap.map(|g| format!(": {}", g.summary)).unwrap_or_default()
                ),
                result,
                evidence: vec![],
            });
        }
    }
    out
}

fn levels(scopes: &[zones::ScopeResult]) -> Vec<ScopeLevels> {
    scopes
        .iter()
        .map(|z| ScopeLevels {
            name: z.name.clone(),
            sl_t: z.sl_t.to_string(),
            sl_a: if z.no_sl_a {
                "none".into()
            } else {
                z.sl_a.to_string()
            },
        })
        .collect()
}

/// Build the SL-A claim (storing the files as blobs; nothing is appended).
pub fn build_claim(
    store: &Store,
    loaded: &LoadedModel,
    files: &[ClaimFile],
) -> Result<Decision, ZonesError> {
    let (m, e) = (&loaded.model, &loaded.evaluation);
    let (references, not_relied_on) = cited_evidence(store, m);
    let exceptions = e
        .gaps
        .iter()
        .filter(|g| matches!(g.status, GapStatus::OpenJustified))
        .map(|g| Exception {
            criterion: format!("{} {} {}", g.scope.label(), g.name, g.fr.abbrev()),
            justification: g.justification.clone().unwrap_or_default(),
            owner: "system integrator".into(),
            until: None,
        })
        .collect();
    let mut attachments = Vec::new();
    for f in files {
        attachments.push(records::attach_bytes(
            store,
            f.name,
            f.media_type,
            &f.bytes,
        )?);
    }
    let gaps = gap_counts(e);
    let system = m.name.clone().unwrap_or_else(|| "system".into());
    let payload = SlAClaimPayload {
        evaluation_format: e.format.clone(),
        zones: levels(&e.zones),
        conduits: levels(&e.conduits),
        gaps,
        not_relied_on,
        attachments,
    };
    Ok(Decision {
        decision: Verdict::SlAClaim,
        title: format!(
            "SL-A claim for {system}: {} zone(s), {} conduit(s), {} gap(s) closed, {} open",
            e.zones.len(),
            e.conduits.len(),
            gaps.closed,
            gaps.open + gaps.open_justified
        ),
        subject: Subject::System {
            system,
            zone: None,
            conduit: None,
        },
        requirements: vec![],
        criteria: criteria(e),
        references,
        exceptions,
        decided_by: "system integrator (otproof zones)".into(),
        payload: payload.to_value()?,
    })
}

/// The SL-A claim recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecorded {
    /// The claim's record.
    pub id: RecordId,
    /// The evidence records it relies on.
    pub references: Vec<RecordId>,
    /// Citations it does not rely on, with the reason.
    pub not_relied_on: Vec<EvidenceNotRelied>,
}

/// Record the SL-A claim with these files attached.
pub fn record_claim(
    store: &mut Store,
    loaded: &LoadedModel,
    files: &[ClaimFile],
) -> Result<ClaimRecorded, ZonesError> {
    let decision = build_claim(store, loaded, files)?;
    let references = decision.references.clone();
    let not_relied_on = SlAClaimPayload::from_value(&decision.payload)?.not_relied_on;
    // The same claim again (same inputs, same second) is the record already there.
    let id = crate::records::append_idempotent(
        store,
        Record::new("zones check", Body::Decision(decision)),
    )?;
    Ok(ClaimRecorded {
        id,
        references,
        not_relied_on,
    })
}

/// The hand-over package.
#[derive(Debug, Clone)]
pub struct Handover {
    /// The claim.
    pub claim: ClaimRecorded,
    /// The bundle (tar): the claim and the evidence it relies on, with inclusion proofs.
    pub bundle: Vec<u8>,
}

/// Record the claim with the model, results, report and diagram, and export it with the
/// evidence it relies on as a verifiable bundle.
pub fn handover(store: &mut Store, loaded: &LoadedModel) -> Result<Handover, ZonesError> {
    let files = claim_files(loaded, HANDOVER_FILES)?;
    let claim = record_claim(store, loaded, &files)?;
    let mut ids = vec![claim.id];
    ids.extend(claim.references.iter().copied());
    let bundle = otproof_store::bundle::export(store, &ids)?;
    Ok(Handover { claim, bundle })
}

#[cfg(test)]
mod tests {
    use super::*;
    use otproof_evidence::{Evidence, EvidenceKind};

    const MODEL: &str = include_str!("../../../examples/water-treatment.yaml");

    fn loaded() -> LoadedModel {
        let model = zones::parse_model(MODEL).expect("model");
        let evaluation = zones::evaluate(&model);
        LoadedModel {
            model,
            evaluation,
            text: MODEL.into(),
        }
    }

    #[test]
    fn a_bad_model_names_the_file_and_records_nothing() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path().join("bad.yaml");
        std::fs::write(&p, "zones: [\n").expect("write");
        let e = load_model(&p).expect_err("bad model");
        assert!(e.to_string().contains("bad.yaml"), "{e}");
        assert!(e.to_string().contains("line"), "{e}");
        let e = load_model(&t.path().join("absent.yaml")).expect_err("absent");
        assert!(e.to_string().contains("absent.yaml"), "{e}");
    }

    #[test]
    fn the_claim_relies_only_on_proven_evidence_and_says_why_not() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(t.path(), None).expect("init");
        let ev = Evidence {
            kind: EvidenceKind::Document,
            title: "PLC certificate".into(),
            requirements: vec![],
            subject: Subject::Vendor {
                vendor: "Acme".into(),
            },
            payload: serde_json::Value::Null,
            attachments: vec![],
            findings: vec![],
        };
        let proven = store
            .append_one(Record::new("test", Body::Evidence(ev)))
            .expect("append")
            .id;
        let mut l = loaded();
        for a in &mut l.model.assets {
            a.evidence.clear();
        }
        let asset = l.model.assets.first_mut().expect("an asset");
        asset.evidence = vec![proven.to_string(), "sha256:00ff".into()];
        let files = claim_files(&l, CHECK_FILES).expect("files");
        assert_eq!(files.len(), 2);
        let claim = record_claim(&mut store, &l, &files).expect("recorded");
        assert_eq!(claim.references, vec![proven]);
        assert_eq!(claim.not_relied_on.len(), 1);
        let why = &claim.not_relied_on[0].reason;
        assert!(
            why.contains("sha256:00ff") && why.contains("store"),
            "{why}"
        );
        let stored = store.get(&claim.id.to_string()).expect("stored");
        let Body::Decision(d) = stored.record.body else {
            panic!("a decision")
        };
        assert_eq!(d.decision, Verdict::SlAClaim);
        let p = SlAClaimPayload::from_value(&d.payload).expect("typed payload");
        assert_eq!(p.zones.len(), l.evaluation.zones.len());
        assert_eq!(p.attachments.len(), 2);
        assert_eq!(p.gaps, gap_counts(&l.evaluation));
        // Justified open gaps are the claim's exceptions; unjustified ones fail.
        assert_eq!(d.exceptions.len() as u64, p.gaps.open_justified);
        assert_eq!(
            d.criteria
                .iter()
                .filter(|c| c.result == CriterionResult::Fail)
                .count(),
            open_gaps(&l.evaluation)
        );
    }

    #[test]
    fn handover_exports_the_claim_and_what_it_relies_on() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(t.path(), None).expect("init");
        let h = handover(&mut store, &loaded()).expect("handover");
        assert!(!h.bundle.is_empty());
        let stored = store.get(&h.claim.id.to_string()).expect("stored");
        let Body::Decision(d) = stored.record.body else {
            panic!("a decision")
        };
        let p = SlAClaimPayload::from_value(&d.payload).expect("typed payload");
        assert_eq!(
            p.attachments
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>(),
            ["model.yaml", "zones.json", "zones.html", "zones.svg"]
        );
    }
}
