//! 4-1 maturity self-assessment over synthetic record facts: the rules of each level and the
//! attacks of issue 14 (one-line records, the process document as its own application, one
//! late review, other vendors' and the buyer's records).

use otproof_assess::sdl::{assess, Origin, RecordFacts, Scope, MIN_CONTENT_BYTES};
use otproof_catalog::{traces, Catalog, MaturityLevel, Practice};

const VENDOR: &str = "Acme";

fn ml(n: u8) -> MaturityLevel {
    MaturityLevel::new(n).expect("ML")
}

fn ids(p: Option<Practice>) -> Vec<String> {
    let c = Catalog::builtin();
    Practice::ALL
        .iter()
        .filter(|x| p.is_none_or(|p| p == **x))
        .flat_map(|x| c.practice_requirements(*x))
        .map(|r| r.id.clone())
        .collect()
}

fn scope() -> Scope<'static> {
    Scope {
        vendor: VENDOR,
        product: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn rec(
    id: &str,
    kind: &str,
    reqs: &[String],
    product: Option<(&str, &str)>,
    bytes: u64,
    created: &str,
) -> RecordFacts {
    RecordFacts {
        id: id.into(),
        kind: kind.into(),
        origin: Origin::HandedOver,
        requirements: reqs.to_vec(),
        vendor: Some(VENDOR.into()),
        product: product.map(|p| p.0.to_string()),
        version: product.map(|p| p.1.to_string()),
        content_bytes: bytes,
        title: format!("{kind} {id}"),
        created: created.into(),
    }
}

/// One substantive process document per practice, naming all its requirements.
fn process_docs() -> Vec<RecordFacts> {
    Practice::ALL
        .iter()
        .map(|p| {
            rec(
                &format!("sha256:doc-{}", p.abbrev()),
                "document",
                &ids(Some(*p)),
                None,
                4000,
                "2026-01-10T09:00:00Z",
            )
        })
        .collect()
}

/// One review report per practice about `product` `version`.
fn applications(product: &str, version: &str, created: &str) -> Vec<RecordFacts> {
    Practice::ALL
        .iter()
        .map(|p| {
            rec(
                &format!("sha256:review-{}-{product}-{version}", p.abbrev()),
                "assessment",
                &ids(Some(*p)),
                Some((product, version)),
                2000,
                created,
            )
        })
        .collect()
}

fn metrics(month: &str) -> Vec<RecordFacts> {
    Practice::ALL
        .iter()
        .map(|p| {
            rec(
                &format!("sha256:metrics-{}-{month}", p.abbrev()),
                "assessment",
                &ids(Some(*p)),
                None,
                1500,
                &format!("{month}-05T09:00:00Z"),
            )
        })
        .collect()
}

fn all_at(a: &otproof_assess::sdl::SdlAssessment, n: u8) {
    for p in &a.practices {
        assert_eq!(p.level, ml(n), "{}: {}", p.practice, p.capped_by);
    }
    assert_eq!(a.overall, ml(n));
}

#[test]
fn forty_seven_requirements_in_eight_practices_and_an_empty_store_is_ml1() {
    assert_eq!(ids(None).len(), 47);
    let a = assess(Catalog::builtin(), &[], &scope());
    assert_eq!(a.practices.len(), 8);
    all_at(&a, 1);
    for p in &a.practices {
        assert!(p.capped_by.contains("process document"), "{}", p.capped_by);
        assert_eq!(p.to_next_level.len(), p.requirements.len());
    }
    assert!(!a.rules.is_empty() && !a.limits.is_empty());
}

/// Issue 14: an 18-byte document naming all 47 requirements with a product, and a 15-byte
/// `--kind assessment` record, gave ML 4 on every practice.
#[test]
fn two_one_line_records_stay_at_ml1() {
    let records = vec![
        rec(
            "sha256:doc",
            "document",
            &ids(None),
            Some(("P", "1.0")),
            18,
            "2026-01-01T09:00:00Z",
        ),
        rec(
            "sha256:review",
            "assessment",
            &ids(None),
            Some(("P", "1.0")),
            15,
            "2026-02-01T09:00:00Z",
        ),
    ];
    for product in [None, Some("P")] {
        let a = assess(
            Catalog::builtin(),
            &records,
            &Scope {
                vendor: VENDOR,
                product,
            },
        );
        all_at(&a, 1);
        assert_eq!(a.records_considered, 0);
        assert_eq!(a.not_counted.len(), 2);
        assert!(a.not_counted.iter().all(|n| n.reason.contains("bytes")));
    }
}

/// The same two records padded to any size: the document is a process document, never its
/// own application; the review names all eight practices and counts for none.
#[test]
fn padded_catch_all_records_are_not_applications() {
    let records = vec![
        rec(
            "sha256:doc",
            "document",
            &ids(None),
            Some(("P", "1.0")),
            100_000,
            "2026-01-01T09:00:00Z",
        ),
        rec(
            "sha256:review",
            "assessment",
            &ids(None),
            Some(("P", "1.0")),
            100_000,
            "2026-02-01T09:00:00Z",
        ),
        rec(
            "sha256:review2",
            "assessment",
            &ids(None),
            Some(("P", "2.0")),
            100_000,
            "2026-03-01T09:00:00Z",
        ),
    ];
    let a = assess(Catalog::builtin(), &records, &scope());
    all_at(&a, 1);
    for p in &a.practices {
        assert!(p.requirements.iter().all(|r| r.process && !r.applied));
        assert!(p.applications.is_empty() && p.metrics.is_empty());
        assert!(
            p.capped_by.contains("not counted: sha256:review"),
            "{}",
            p.capped_by
        );
    }
    // A document naming a product is still no application of its process.
    let docs: Vec<RecordFacts> = process_docs()
        .into_iter()
        .map(|mut d| {
            d.product = Some("P".into());
            d
        })
        .collect();
    let a = assess(Catalog::builtin(), &docs, &scope());
    all_at(&a, 1);
    assert!(a.practices[0].capped_by.contains("applied to the product"));
}

#[test]
fn documents_and_one_application_give_ml2() {
    let mut records = process_docs();
    records.extend(applications("P", "1.0", "2026-01-12T09:00:00Z"));
    let a = assess(Catalog::builtin(), &records, &scope());
    all_at(&a, 2);
    for p in &a.practices {
        assert!(
            p.capped_by.contains("two distinct products or releases"),
            "{}",
            p.capped_by
        );
        assert_eq!(p.applied_to, ["p 1.0"]);
    }
    // A second release recorded on the same day is not "over time".
    records.extend(applications("P", "2.0", "2026-01-12T15:00:00Z"));
    all_at(&assess(Catalog::builtin(), &records, &scope()), 2);
}

#[test]
fn two_releases_over_time_give_ml3_and_one_late_review_is_not_ml4() {
    let mut records = process_docs();
    records.extend(applications("P", "1.0", "2026-01-12T09:00:00Z"));
    records.extend(applications("P", "2.0", "2026-03-20T09:00:00Z"));
    let a = assess(Catalog::builtin(), &records, &scope());
    all_at(&a, 3);
    // Issue 14: one review newer than the documents gave ML 4 with no metrics.
    records.extend(metrics("2026-04"));
    let a = assess(Catalog::builtin(), &records, &scope());
    all_at(&a, 3);
    for p in &a.practices {
        assert!(
            p.capped_by.contains("two different months"),
            "{}",
            p.capped_by
        );
    }
    // Metrics in a second month: ML 4.
    records.extend(metrics("2026-05"));
    let a = assess(Catalog::builtin(), &records, &scope());
    all_at(&a, 4);
    assert!(a.practices.iter().all(|p| p.to_next_level.is_empty()
        && p.capped_by == "ML 4 is the highest level"
        && p.metrics_periods == ["2026-04", "2026-05"]));
}

/// Issue 14: an unrelated SBOM check and the buyer's acceptance decision showed up as the
/// vendor's evidence.
#[test]
fn other_vendors_and_the_buyers_records_never_count() {
    let sbom_ids: Vec<String> = traces::SBOM_CHECK.iter().map(|s| s.to_string()).collect();
    let mut unrelated = rec(
        "sha256:sbom-other",
        "sbom-check",
        &sbom_ids,
        Some(("Other", "1")),
        0,
        "2026-01-12T09:00:00Z",
    );
    unrelated.origin = Origin::Check;
    unrelated.vendor = Some(String::new());
    let mut other_vendor = unrelated.clone();
    other_vendor.id = "sha256:sbom-globex".into();
    other_vendor.vendor = Some("Globex".into());
    let mut decision = rec(
        "sha256:accept",
        "decision/accept",
        &ids(None),
        Some(("P", "1.0")),
        0,
        "2026-02-12T09:00:00Z",
    );
    decision.origin = Origin::Buyer;
    let mut spec = rec(
        "sha256:spec",
        "specification",
        &ids(None),
        Some(("P", "1.0")),
        9000,
        "2026-02-12T09:00:00Z",
    );
    spec.origin = Origin::Buyer;
    let mut system = spec.clone();
    system.id = "sha256:system".into();
    system.origin = Origin::HandedOver;
    system.vendor = None;
    let records = vec![unrelated, other_vendor, decision, spec, system];
    let a = assess(Catalog::builtin(), &records, &scope());
    all_at(&a, 1);
    assert_eq!(a.records_considered, 0);
    let reason = |id: &str| {
        a.not_counted
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.reason.clone())
            .unwrap_or_default()
    };
    assert!(reason("sha256:sbom-other").contains("no vendor"));
    assert!(reason("sha256:sbom-globex").contains("Globex"));
    assert!(reason("sha256:accept").contains("buyer"));
    assert!(reason("sha256:spec").contains("buyer"));
    assert!(reason("sha256:system").contains("no vendor"));
}

#[test]
fn otproof_checks_count_without_attachments_for_their_traced_practices() {
    let mut records = process_docs();
    let sbom_ids: Vec<String> = traces::SBOM_CHECK.iter().map(|s| s.to_string()).collect();
    for (v, day) in [("1.0", "2026-01-12"), ("1.1", "2026-02-12")] {
        let mut c = rec(
            &format!("sha256:sbom-{v}"),
            "sbom-check",
            &sbom_ids,
            Some(("P", v)),
            0,
            &format!("{day}T09:00:00Z"),
        );
        c.origin = Origin::Check;
        c.vendor = Some("acme ".into());
        records.push(c);
    }
    let a = assess(Catalog::builtin(), &records, &scope());
    assert_eq!(a.practice(Practice::Dm).expect("DM").level, ml(3));
    assert_eq!(a.practice(Practice::Sm).expect("SM").level, ml(3));
    assert_eq!(a.practice(Practice::Svv).expect("SVV").level, ml(1));
    let dm1 = &a.practice(Practice::Dm).expect("DM").requirements[0];
    assert!(dm1.process && dm1.applied && dm1.records.len() == 3);
    // The same check handed over as a small file earns nothing.
    for r in records.iter_mut().filter(|r| r.kind == "sbom-check") {
        r.origin = Origin::HandedOver;
        r.content_bytes = MIN_CONTENT_BYTES - 1;
    }
    let a = assess(Catalog::builtin(), &records, &scope());
    assert_eq!(a.practice(Practice::Dm).expect("DM").level, ml(1));
}

#[test]
fn product_filter_keeps_that_product_and_the_organisation() {
    let mut records = process_docs();
    records.extend(applications("P", "1.0", "2026-01-12T09:00:00Z"));
    records.extend(applications("Q", "1.0", "2026-03-20T09:00:00Z"));
    let all = assess(Catalog::builtin(), &records, &scope());
    all_at(&all, 3);
    let p = assess(
        Catalog::builtin(),
        &records,
        &Scope {
            vendor: "ACME",
            product: Some(" p "),
        },
    );
    all_at(&p, 2);
    assert_eq!(p.product.as_deref(), Some("p"));
    assert_eq!(p.records_considered, 16);
    assert!(p
        .not_counted
        .iter()
        .all(|n| n.reason.contains("product 'Q'")));
    let json = serde_json::to_string(&p).expect("json");
    assert!(json.contains("\"capped_by\"") && json.contains("\"not_counted\""));
}

#[test]
fn unknown_requirement_ids_are_ignored_and_ids_match_without_case() {
    let mut d = process_docs();
    d[0].requirements = vec!["sm-1".into(), "XX-9".into()];
    let a = assess(Catalog::builtin(), &d, &scope());
    let sm1 = &a.practice(Practice::Sm).expect("SM").requirements[0];
    assert_eq!(sm1.id, "SM-1");
    assert_eq!(sm1.records, ["sha256:doc-SM"]);
    let mut none = d[0].clone();
    none.requirements = vec!["XX-9".into()];
    let a = assess(Catalog::builtin(), &[none], &scope());
    assert!(a.not_counted[0].reason.contains("no IEC 62443-4-1"));
}
