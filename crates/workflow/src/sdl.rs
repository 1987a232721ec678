//! Use case: the IEC 62443-4-1 maturity self-assessment of one vendor over the records in a
//! store, and the facts about stored records other use cases share (kind, requirements,
//! subject, who produced them, content size).
//!
//! Who produced a record ([`Origin`]) is decided here from the record itself: decisions and
//! specifications are the buyer's; otproof's own checks (a campaign, an SBOM check, a
//! signature check, a signed release, recorded by the command that ran them, not by
//! `evidence add`) are checks; an `assessment` computed by an otproof command (scores) is the
//! buyer's; everything else is a file handed over. The assessment only reads the store.

use otproof_assess::sdl::{self, Origin, RecordFacts, Scope, SdlAssessment};
use otproof_catalog::Catalog;
use otproof_evidence::payload::sdl::{PracticeLevel, RequirementRecords, SdlAssessmentPayload};
use otproof_evidence::{Body, EvidenceKind, Record, Subject};
use otproof_store::{Store, StoreError};

/// Why the self-assessment could not run.
#[derive(Debug, thiserror::Error)]
pub enum SdlError {
    /// No vendor named.
    #[error("the 4-1 self-assessment is about one vendor: name it (--vendor)")]
    NoVendor,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The operation `evidence add` records files under.
const HANDED_OVER_OPERATION: &str = "evidence add";

/// The kind of a record as the assessments name it: the evidence kind (`document`,
/// `robustness-campaign`, ...) or `decision/<verdict>`.
pub fn record_kind(body: &Body) -> String {
    match body {
        Body::Evidence(ev) => ev.kind.name().to_string(),
        Body::Decision(d) => format!("decision/{}", d.decision),
    }
}

/// Who produced a stored record (see the module documentation).
pub fn origin_of(record: &Record) -> Origin {
    let Body::Evidence(ev) = &record.body else {
        return Origin::Buyer;
    };
    let by_otproof_command = record.producer.tool == "otproof"
        && record.producer.operation.as_deref() != Some(HANDED_OVER_OPERATION);
    match ev.kind {
        EvidenceKind::Specification => Origin::Buyer,
        EvidenceKind::Assessment if by_otproof_command => Origin::Buyer,
        EvidenceKind::RobustnessCampaign
        | EvidenceKind::SbomCheck
        | EvidenceKind::SignatureCheck
        | EvidenceKind::Release
            if by_otproof_command =>
        {
            Origin::Check
        }
        _ => Origin::HandedOver,
    }
}

fn subject_parts(s: &Subject) -> (Option<String>, Option<String>, Option<String>) {
    match s {
        Subject::Vendor { vendor } => (Some(vendor.clone()), None, None),
        Subject::Product {
            vendor,
            product,
            version,
            ..
        } => (Some(vendor.clone()), Some(product.clone()), version.clone()),
        Subject::System { .. } => (None, None, None),
    }
}

/// The facts of one stored record.
pub fn facts_of(id: &str, title: &str, record: &Record) -> RecordFacts {
    let (requirements, subject, content_bytes) = match &record.body {
        Body::Evidence(ev) => (
            ev.requirements.clone(),
            &ev.subject,
            ev.attachments
                .iter()
                .fold(0u64, |n, a| n.saturating_add(a.size)),
        ),
        Body::Decision(d) => (d.requirements.clone(), &d.subject, 0),
    };
    let (vendor, product, version) = subject_parts(subject);
    RecordFacts {
        id: id.to_string(),
        kind: record_kind(&record.body),
        origin: origin_of(record),
        requirements,
        vendor,
        product,
        version,
        content_bytes,
        title: title.to_string(),
        created: record.created.clone(),
    }
}

/// The facts of every record in the store, in store order.
pub fn record_facts(store: &Store) -> Result<Vec<RecordFacts>, StoreError> {
    let mut out = Vec::new();
    for s in store.list(None, None)? {
        let stored = store.get(&s.id)?;
        // The title from the hashed record, never from the index column.
        let title = stored.record.title().to_string();
        out.push(facts_of(&stored.id.to_string(), &title, &stored.record));
    }
    Ok(out)
}

/// Run the 4-1 self-assessment of `vendor` over the store, optionally for one product. Reads
/// only; records nothing.
pub fn assess(
    store: &Store,
    vendor: &str,
    product: Option<&str>,
) -> Result<SdlAssessment, SdlError> {
    if vendor.trim().is_empty() {
        return Err(SdlError::NoVendor);
    }
    let facts = record_facts(store)?;
    Ok(sdl::assess(
        Catalog::builtin(),
        &facts,
        &Scope { vendor, product },
    ))
}

/// The assessment as a typed payload (for an `assessment` record).
pub fn payload_of(a: &SdlAssessment) -> SdlAssessmentPayload {
    SdlAssessmentPayload {
        assessment_format: a.format.clone(),
        product: a.product.clone(),
        records_considered: a.records_considered as u64,
        overall: a.overall.level(),
        practices: a
            .practices
            .iter()
            .map(|p| PracticeLevel {
                practice: p.practice.abbrev().to_string(),
                name: p.name.clone(),
                level: p.level.level(),
                requirements: p
                    .requirements
                    .iter()
                    .map(|r| RequirementRecords {
                        id: r.id.clone(),
                        title: r.title.clone(),
                        records: r.records.clone(),
                        process: r.process,
                        applied: r.applied,
                    })
                    .collect(),
                reviews: p.metrics.clone(),
                to_next_level: p.to_next_level.clone(),
            })
            .collect(),
        limits: a.limits.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otproof_evidence::{Decision, Evidence, Payload, Verdict};

    fn product(p: &str) -> Subject {
        Subject::Product {
            vendor: "Acme".into(),
            product: p.into(),
            version: None,
            component_type: None,
            artifacts: vec![],
        }
    }

    #[test]
    fn facts_come_from_the_store_and_name_who_produced_each_record() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(t.path(), None).expect("init");
        let doc = Evidence {
            kind: EvidenceKind::Document,
            title: "SDL process".into(),
            requirements: vec!["SM-1".into()],
            subject: Subject::Vendor {
                vendor: "Acme".into(),
            },
            payload: serde_json::Value::Null,
            attachments: vec![],
            findings: vec![],
        };
        let campaign = Evidence {
            kind: EvidenceKind::RobustnessCampaign,
            title: "Campaign".into(),
            requirements: vec!["SVV-3".into()],
            subject: product("RIO"),
            ..doc.clone()
        };
        let handed = Evidence {
            title: "A campaign file".into(),
            ..campaign.clone()
        };
        let score = Evidence {
            kind: EvidenceKind::Assessment,
            title: "Scores".into(),
            ..campaign.clone()
        };
        let decision = Decision {
            decision: Verdict::Accept,
            title: "Accept RIO".into(),
            subject: product("RIO"),
            requirements: vec!["SM-1".into()],
            criteria: vec![],
            references: vec![],
            exceptions: vec![],
            decided_by: "buyer".into(),
            payload: serde_json::Value::Null,
        };
        for (op, b) in [
            ("evidence add", Body::Evidence(doc)),
            ("fuzz modbus", Body::Evidence(campaign)),
            ("evidence add", Body::Evidence(handed)),
            ("vendors score", Body::Evidence(score)),
            ("accept", Body::Decision(decision)),
        ] {
            store.append_one(Record::new(op, b)).expect("append");
        }
        let facts = record_facts(&store).expect("facts");
        let kinds: Vec<(&str, Origin)> =
            facts.iter().map(|f| (f.kind.as_str(), f.origin)).collect();
        assert_eq!(
            kinds,
            [
                ("document", Origin::HandedOver),
                ("robustness-campaign", Origin::Check),
                ("robustness-campaign", Origin::HandedOver),
                ("assessment", Origin::Buyer),
                ("decision/accept", Origin::Buyer),
            ]
        );
        assert_eq!(facts[0].product, None);
        assert_eq!(facts[0].vendor.as_deref(), Some("Acme"));
        assert_eq!(facts[1].product.as_deref(), Some("RIO"));
        assert_eq!(facts[0].title, "SDL process");

        assert!(matches!(assess(&store, " ", None), Err(SdlError::NoVendor)));
        let a = assess(&store, "acme", Some("rio")).expect("assess");
        // The 0-byte document and handed-over file earn nothing; the buyer's records neither.
        assert_eq!(a.records_considered, 1);
        assert_eq!(a.not_counted.len(), 4);
        let p = payload_of(&a);
        assert_eq!(p.practices.len(), 8);
        assert_eq!(p.overall, a.overall.level());
        let v = p.to_value().expect("value");
        assert_eq!(SdlAssessmentPayload::from_value(&v).expect("back"), p);
    }
}
