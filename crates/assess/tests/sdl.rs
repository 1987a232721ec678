//! 4-1 maturity self-assessment over synthetic record facts.

use otproof_assess::sdl::{assess, RecordFacts};
use otproof_catalog::{traces, Catalog, MaturityLevel, Practice};

fn ml(n: u8) -> MaturityLevel {
    MaturityLevel::new(n).expect("ML")
}

fn all_ids(p: Option<Practice>) -> Vec<String> {
    let c = Catalog::builtin();
    Practice::ALL
        .iter()
        .filter(|x| p.is_none_or(|p| p == **x))
        .flat_map(|x| c.practice_requirements(*x))
        .map(|r| r.id.clone())
        .collect()
}

fn rec(id: &str, kind: &str, reqs: &[String], product: Option<&str>, created: &str) -> RecordFacts {
    RecordFacts {
        id: id.into(),
        kind: kind.into(),
        requirements: reqs.to_vec(),
        product: product.map(str::to_string),
        title: format!("{kind} {id}"),
        created: created.into(),
    }
}

/// One process document per practice, naming all its requirements.
fn process_docs(created: &str) -> Vec<RecordFacts> {
    Practice::ALL
        .iter()
        .map(|p| {
            rec(
                &format!("sha256:doc-{}", p.abbrev()),
                "document",
                &all_ids(Some(*p)),
                None,
                created,
            )
        })
        .collect()
}

fn product_records(product: &str, created: &str) -> Vec<RecordFacts> {
    vec![rec(
        &format!("sha256:release-{product}"),
        "release",
        &all_ids(None),
        Some(product),
        created,
    )]
}

#[test]
fn forty_seven_requirements_in_eight_practices() {
    assert_eq!(all_ids(None).len(), 47);
    let a = assess(Catalog::builtin(), &[], None);
    assert_eq!(a.practices.len(), 8);
    assert_eq!(
        a.practices
            .iter()
            .map(|p| p.requirements.len())
            .sum::<usize>(),
        47
    );
}

#[test]
fn empty_store_is_ml1_everywhere_with_every_requirement_listed() {
    let a = assess(Catalog::builtin(), &[], None);
    assert_eq!(a.overall, ml(1));
    assert_eq!(a.records_considered, 0);
    for p in &a.practices {
        assert_eq!(p.level, ml(1), "{}", p.practice);
        assert_eq!(p.to_next_level.len(), p.requirements.len());
        assert!(p
            .requirements
            .iter()
            .all(|r| r.records.is_empty() && !r.process && !r.applied));
    }
    assert!(a.practice(Practice::Svv).expect("SVV").to_next_level[0].contains("process record"));
    assert!(!a.limits.is_empty());
}

#[test]
fn process_documents_give_ml2() {
    let a = assess(
        Catalog::builtin(),
        &process_docs("2026-01-10T09:00:00Z"),
        None,
    );
    assert_eq!(a.overall, ml(2));
    for p in &a.practices {
        assert_eq!(p.level, ml(2), "{}", p.practice);
        assert!(p.requirements.iter().all(|r| r.process && !r.applied));
        assert!(p
            .to_next_level
            .iter()
            .all(|t| t.contains("applied to a product")));
    }
}

#[test]
fn one_missing_document_keeps_its_practice_at_ml1() {
    let mut recs = process_docs("2026-01-10T09:00:00Z");
    let sm: Vec<String> = all_ids(Some(Practice::Sm))
        .into_iter()
        .filter(|id| id != "SM-13")
        .collect();
    recs[0].requirements = sm;
    // An applied record alone does not make up for the missing process record.
    recs.push(rec(
        "sha256:x",
        "release",
        &["SM-13".into()],
        Some("P"),
        "2026-02-01T00:00:00Z",
    ));
    let a = assess(Catalog::builtin(), &recs, None);
    let sm = a.practice(Practice::Sm).expect("SM");
    assert_eq!(sm.level, ml(1));
    assert_eq!(sm.to_next_level.len(), 1);
    assert!(
        sm.to_next_level[0].starts_with("SM-13 "),
        "{:?}",
        sm.to_next_level
    );
    assert_eq!(a.overall, ml(1));
    assert_eq!(a.practice(Practice::Dm).expect("DM").level, ml(2));
}

#[test]
fn product_records_give_ml3_and_reviews_ml4() {
    let mut recs = process_docs("2026-01-10T09:00:00Z");
    recs.extend(product_records("RTU-5", "2026-02-01T09:00:00Z"));
    let a = assess(Catalog::builtin(), &recs, None);
    assert_eq!(a.overall, ml(3));
    for p in &a.practices {
        assert_eq!(p.level, ml(3));
        assert_eq!(p.to_next_level.len(), 1);
        assert!(p.to_next_level[0].contains("2026-01-10T09:00:00Z"));
    }
    // Reviews for every practice but SG, newer than the documents.
    for p in Practice::ALL.iter().filter(|p| **p != Practice::Sg) {
        let kind = if *p == Practice::Svv {
            "assessment"
        } else {
            "decision/accept"
        };
        recs.push(rec(
            &format!("sha256:review-{}", p.abbrev()),
            kind,
            &all_ids(Some(*p))[..1],
            None,
            "2026-03-01T09:00:00Z",
        ));
    }
    // An SG review older than the SG document does not count.
    recs.push(rec(
        "sha256:old-sg-review",
        "assessment",
        &["SG-1".into()],
        None,
        "2025-12-01T00:00:00Z",
    ));
    let a = assess(Catalog::builtin(), &recs, None);
    assert_eq!(a.practice(Practice::Sg).expect("SG").level, ml(3));
    assert_eq!(a.overall, ml(3));
    for p in a.practices.iter().filter(|p| p.practice != Practice::Sg) {
        assert_eq!(p.level, ml(4), "{}", p.practice);
        assert!(p.to_next_level.is_empty());
        assert_eq!(
            p.reviews,
            [format!("sha256:review-{}", p.practice.abbrev())]
        );
    }
    recs.push(rec(
        "sha256:sg-review",
        "decision",
        &["sg-3".into()],
        None,
        "2026-03-02T00:00:00Z",
    ));
    let a = assess(Catalog::builtin(), &recs, None);
    assert_eq!(a.overall, ml(4));
    // A newer process document asks for a new review.
    recs.push(rec(
        "sha256:doc-sg-v2",
        "document",
        &["SG-2".into()],
        None,
        "2026-04-01T00:00:00Z",
    ));
    let a = assess(Catalog::builtin(), &recs, None);
    assert_eq!(a.practice(Practice::Sg).expect("SG").level, ml(3));
}

#[test]
fn otproof_records_count_for_their_traced_requirements() {
    let mut recs = process_docs("2026-01-10T09:00:00Z");
    let ids = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    recs.push(rec(
        "sha256:rob",
        "robustness-campaign",
        &ids(traces::ROBUSTNESS),
        Some("RTU-5"),
        "2026-02-01T00:00:00Z",
    ));
    recs.push(rec(
        "sha256:sbom",
        "sbom-check",
        &ids(traces::SBOM_CHECK),
        Some("RTU-5"),
        "2026-02-01T00:00:00Z",
    ));
    recs.push(rec(
        "sha256:rel",
        "release",
        &ids(traces::RELEASE),
        Some("RTU-5"),
        "2026-02-01T00:00:00Z",
    ));
    let a = assess(Catalog::builtin(), &recs, None);
    let req = |p: Practice, id: &str| {
        a.practice(p)
            .expect("practice")
            .requirements
            .iter()
            .find(|r| r.id == id)
            .expect(id)
            .clone()
    };
    let svv3 = req(Practice::Svv, "SVV-3");
    assert!(svv3.applied && svv3.records.contains(&"sha256:rob".to_string()));
    assert!(req(Practice::Svv, "SVV-1").records.len() == 1 && !req(Practice::Svv, "SVV-1").applied);
    for id in ["DM-1", "DM-2", "DM-3", "DM-4", "DM-5"] {
        assert!(req(Practice::Dm, id).applied, "{id}");
    }
    assert!(req(Practice::Sm, "SM-9").applied && req(Practice::Sm, "SM-10").applied);
    assert!(req(Practice::Sm, "SM-6").applied && req(Practice::Sm, "SM-8").applied);
    assert!(req(Practice::Sum, "SUM-4").applied);
    // DM-6 (the periodic review of the practice) has no applied record: DM stays at ML 2.
    let dm = a.practice(Practice::Dm).expect("DM");
    assert_eq!(dm.level, ml(2));
    assert_eq!(dm.to_next_level.len(), 1);
    assert!(
        dm.to_next_level[0].starts_with("DM-6 "),
        "{:?}",
        dm.to_next_level
    );
    assert_eq!(a.practice(Practice::Svv).expect("SVV").level, ml(2));
}

#[test]
fn product_filter_keeps_that_product_and_the_organisation() {
    let mut recs = process_docs("2026-01-10T09:00:00Z");
    recs.extend(product_records("RTU-5", "2026-02-01T09:00:00Z"));
    recs.push(rec(
        "sha256:other-review",
        "assessment",
        &all_ids(None),
        Some("Gateway-9"),
        "2026-03-01T00:00:00Z",
    ));
    let rtu = assess(Catalog::builtin(), &recs, Some("rtu-5"));
    assert_eq!(rtu.product.as_deref(), Some("rtu-5"));
    assert_eq!(rtu.records_considered, 9);
    assert_eq!(
        rtu.overall,
        ml(3),
        "the other product's review does not count"
    );
    let gw = assess(Catalog::builtin(), &recs, Some("Gateway-9"));
    assert_eq!(
        gw.overall,
        ml(4),
        "its own assessment is applied and a review"
    );
    let none = assess(Catalog::builtin(), &recs, Some("Unknown"));
    assert_eq!(none.overall, ml(2));
    assert_eq!(none.records_considered, 8);
    let all = assess(Catalog::builtin(), &recs, None);
    assert_eq!(all.records_considered, 10);
    let json = serde_json::to_string(&all).expect("serialises");
    assert!(json.contains("\"to_next_level\"") && json.contains("\"overall\":4"));
}

#[test]
fn unknown_requirement_ids_are_ignored() {
    let recs = vec![rec(
        "sha256:a",
        "document",
        &["XX-1".into(), "sm-1".into()],
        None,
        "2026-01-01T00:00:00Z",
    )];
    let a = assess(Catalog::builtin(), &recs, None);
    let sm1 = &a.practice(Practice::Sm).expect("SM").requirements[0];
    assert_eq!(sm1.id, "SM-1");
    assert_eq!(sm1.records, ["sha256:a"]);
}
