//! The 4-1 self-assessment over a real store, against the attacks of issue 14: records added
//! the way `evidence add` adds them, an unrelated SBOM check and the buyer's acceptance
//! decision in the same store.

use otproof_catalog::{traces, Catalog, Practice};
use otproof_evidence::{Body, Decision, Evidence, EvidenceKind, Record, Subject, Verdict};
use otproof_store::Store;
use otproof_workflow::document::{self, NewDocument};
use otproof_workflow::sdl::{self, SdlError};
use std::path::Path;

fn ids(p: Option<Practice>) -> Vec<String> {
    let c = Catalog::builtin();
    Practice::ALL
        .iter()
        .filter(|x| p.is_none_or(|p| p == **x))
        .flat_map(|x| c.practice_requirements(*x))
        .map(|r| r.id.clone())
        .collect()
}

fn add(
    store: &mut Store,
    dir: &Path,
    name: &str,
    bytes: &[u8],
    kind: EvidenceKind,
    reqs: Vec<String>,
    product: Option<&str>,
) {
    let file = dir.join(name);
    std::fs::write(&file, bytes).expect("write");
    document::add(
        store,
        &NewDocument {
            file,
            kind,
            requirements: reqs,
            vendor: "Acme".into(),
            product: product.map(str::to_string),
            version: product.map(|_| "1.0".to_string()),
            component: None,
            title: None,
            media_type: None,
            supersedes: None,
        },
    )
    .expect("add");
}

fn levels(a: &otproof_assess::sdl::SdlAssessment) -> Vec<u8> {
    a.practices.iter().map(|p| p.level.level()).collect()
}

#[test]
fn two_one_line_records_naming_everything_give_ml1() {
    let t = tempfile::tempdir().expect("tempdir");
    let mut store = Store::init(t.path(), None).expect("init");
    add(
        &mut store,
        t.path(),
        "process.md",
        b"# SDL process v1\n\n",
        EvidenceKind::Document,
        ids(None),
        Some("P"),
    );
    add(
        &mut store,
        t.path(),
        "review.txt",
        b"reviewed: ok.\n\n",
        EvidenceKind::Assessment,
        ids(None),
        Some("P"),
    );
    for product in [None, Some("P")] {
        let a = sdl::assess(&store, "Acme", product).expect("assess");
        assert_eq!(levels(&a), [1; 8]);
        assert_eq!(a.records_considered, 0);
        assert!(a.not_counted.iter().all(|n| n.reason.contains("bytes")));
    }
    assert!(matches!(
        sdl::assess(&store, "", None),
        Err(SdlError::NoVendor)
    ));
}

#[test]
fn one_late_review_is_no_ml4_and_others_records_do_not_count() {
    let t = tempfile::tempdir().expect("tempdir");
    let mut store = Store::init(t.path(), None).expect("init");
    let text = "A documented practice: who does what, when, with which records.\n".repeat(40);
    for p in Practice::ALL {
        add(
            &mut store,
            t.path(),
            &format!("{}.md", p.abbrev()),
            text.as_bytes(),
            EvidenceKind::Document,
            ids(Some(p)),
            None,
        );
    }
    // One review per practice, newer than the documents: an application on one release,
    // not metrics over successive periods.
    for p in Practice::ALL {
        add(
            &mut store,
            t.path(),
            &format!("review-{}.md", p.abbrev()),
            text.as_bytes(),
            EvidenceKind::Assessment,
            ids(Some(p)),
            Some("P"),
        );
    }
    // An unrelated SBOM check (no vendor) and the buyer's acceptance of Acme's product.
    let product = |vendor: &str| Subject::Product {
        vendor: vendor.into(),
        product: "P".into(),
        version: Some("2.0".into()),
        component_type: None,
        artifacts: vec![],
    };
    let sbom = Evidence {
        kind: EvidenceKind::SbomCheck,
        title: "SBOM check of Other 1".into(),
        requirements: traces::SBOM_CHECK.iter().map(|s| s.to_string()).collect(),
        subject: product(""),
        payload: serde_json::Value::Null,
        attachments: vec![],
        findings: vec![],
    };
    let mut sbom_later = Record::new("sbom check", Body::Evidence(sbom));
    sbom_later.created = "2099-01-01T00:00:00Z".into();
    store.append_one(sbom_later).expect("append");
    let decision = Decision {
        decision: Verdict::Accept,
        title: "Acceptance of Acme P 2.0".into(),
        subject: product("Acme"),
        requirements: ids(None),
        criteria: vec![],
        references: vec![],
        exceptions: vec![],
        decided_by: "asset owner".into(),
        payload: serde_json::Value::Null,
    };
    let mut accepted_later = Record::new("accept", Body::Decision(decision));
    accepted_later.created = "2099-02-01T00:00:00Z".into();
    store.append_one(accepted_later).expect("append");

    let a = sdl::assess(&store, "acme", None).expect("assess");
    assert_eq!(levels(&a), [2; 8], "documents and one release: ML 2");
    assert_eq!(a.records_considered, 16);
    assert_eq!(a.not_counted.len(), 2);
    assert!(a.not_counted[0].reason.contains("no vendor"));
    assert!(a.not_counted[1].reason.contains("buyer"));
    for p in &a.practices {
        assert!(p.capped_by.starts_with("ML 3 needs"), "{}", p.capped_by);
        assert_eq!(p.applied_to, ["p 1.0"]);
    }
    // Reads only: the same answer again, nothing appended.
    let n = store.list(None, None).expect("list").len();
    assert_eq!(sdl::assess(&store, "acme", None).expect("again"), a);
    assert_eq!(store.list(None, None).expect("list").len(), n);
}
