//! Use case: the IEC 62443-4-1 maturity self-assessment over the records in a store, and the
//! facts about stored records other use cases share (kind, requirements, product, title).

use otproof_assess::sdl::{self, RecordFacts, SdlAssessment};
use otproof_catalog::Catalog;
use otproof_evidence::payload::sdl::{PracticeLevel, RequirementRecords, SdlAssessmentPayload};
use otproof_evidence::{Body, Record};
use otproof_store::{Store, StoreError};

/// The kind of a record as the assessments name it: the evidence kind (`document`,
/// `robustness-campaign`, ...) or `decision/<verdict>`.
pub fn record_kind(body: &Body) -> String {
    match body {
        Body::Evidence(ev) => ev.kind.name().to_string(),
        Body::Decision(d) => format!("decision/{}", d.decision),
    }
}

/// The facts of one stored record.
pub fn facts_of(id: &str, title: &str, record: &Record) -> RecordFacts {
    let (requirements, product) = match &record.body {
        Body::Evidence(ev) => (
            ev.requirements.clone(),
            ev.subject.product().map(str::to_string),
        ),
        Body::Decision(d) => (
            d.requirements.clone(),
            d.subject.product().map(str::to_string),
        ),
    };
    RecordFacts {
        id: id.to_string(),
        kind: record_kind(&record.body),
        requirements,
        product,
        title: title.to_string(),
        created: record.created.clone(),
    }
}

/// The facts of every record in the store, in store order.
pub fn record_facts(store: &Store) -> Result<Vec<RecordFacts>, StoreError> {
    let mut out = Vec::new();
    for s in store.list(None, None)? {
        let stored = store.get(&s.id)?;
        out.push(facts_of(&stored.id.to_string(), &s.title, &stored.record));
    }
    Ok(out)
}

/// Run the 4-1 self-assessment over the store, optionally for one product.
pub fn assess(store: &Store, product: Option<&str>) -> Result<SdlAssessment, StoreError> {
    let facts = record_facts(store)?;
    Ok(sdl::assess(Catalog::builtin(), &facts, product))
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
                reviews: p.reviews.clone(),
                to_next_level: p.to_next_level.clone(),
            })
            .collect(),
        limits: a.limits.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otproof_evidence::{Decision, Evidence, EvidenceKind, Payload, Subject, Verdict};

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
    fn facts_come_from_the_store_and_the_assessment_uses_them() {
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
        let other = Evidence {
            subject: product("Other"),
            title: "Other product".into(),
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
        for b in [
            Body::Evidence(doc),
            Body::Evidence(campaign),
            Body::Evidence(other),
            Body::Decision(decision),
        ] {
            store.append_one(Record::new("test", b)).expect("append");
        }
        let facts = record_facts(&store).expect("facts");
        let kinds: Vec<&str> = facts.iter().map(|f| f.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "document",
                "robustness-campaign",
                "robustness-campaign",
                "decision/accept"
            ]
        );
        assert_eq!(facts[0].product, None);
        assert_eq!(facts[1].product.as_deref(), Some("RIO"));
        assert_eq!(facts[0].title, "SDL process");

        let a = assess(&store, Some("rio")).expect("assess");
        assert_eq!(
            a.records_considered, 3,
            "the other product's record is left out"
        );
        let p = payload_of(&a);
        assert_eq!(p.practices.len(), 8);
        assert_eq!(p.overall, a.overall.level());
        let sm = p.practices.iter().find(|p| p.practice == "SM").expect("SM");
        let sm1 = sm
            .requirements
            .iter()
            .find(|r| r.id == "SM-1")
            .expect("SM-1");
        assert!(sm1.process && sm1.records.len() == 2);
        let v = p.to_value().expect("value");
        assert_eq!(SdlAssessmentPayload::from_value(&v).expect("back"), p);
    }
}
