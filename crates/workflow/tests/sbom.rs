//! SBOM check and vulnerability database use cases on the RIO-2000 sample data.

use otproof_evidence::payload::sbom_check::{SbomCheck, VulnSeverity};
use otproof_evidence::payload::Payload;
use otproof_evidence::{Body, EvidenceKind, Severity};
use otproof_store::Store;
use otproof_workflow::sbom::{self, CheckInput, SbomError};
use otproof_workflow::settings::{self, Settings};
use std::path::PathBuf;

fn rio(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rio-2000")
        .join(name)
}

fn input(policy: bool) -> CheckInput {
    CheckInput {
        sbom: rio("rio-2000-4.2.0.cdx.json"),
        vex: vec![rio("rio-2000.openvex.json")],
        policy: policy.then(|| rio("policy.yaml")),
        max_age_days: None,
    }
}

/// A store with the sample vulnerability data imported at the default place.
fn store_with_db() -> (tempfile::TempDir, Settings) {
    let t = tempfile::tempdir().expect("tempdir");
    Store::init(t.path(), None).expect("init");
    let s = settings::for_store(t.path());
    let imported = sbom::import(&s, &[rio("vulndb")], &mut |_| {}).expect("import");
    assert_eq!(
        imported.path,
        s.store_dir().expect("dir").join(settings::VULNDB_FILE)
    );
    assert!(imported.report.kev_imported > 0, "{:?}", imported.report);
    assert!(imported.report.osv_imported >= 4, "{:?}", imported.report);
    (t, s)
}

fn records(store: &Store) -> u64 {
    store.size().expect("size")
}

#[test]
fn import_status_and_the_vulndb_setting() {
    let (t, s) = store_with_db();
    let st = sbom::status(&s).expect("status");
    assert!(st.sources.iter().any(|x| x.source == "kev"), "{:?}", st);
    // OTPROOF_VULNDB / --db elsewhere: import, status and check all use it.
    let elsewhere = t.path().join("other.sqlite");
    let given = Settings {
        vulndb: Some(elsewhere.clone()),
        ..s.clone()
    };
    assert!(matches!(
        sbom::status(&given),
        Err(SbomError::NoDatabaseToReport(p)) if p == elsewhere
    ));
    assert!(matches!(
        sbom::check(&given, &input(true)),
        Err(SbomError::NoDatabase(p)) if p == elsewhere
    ));
    let mut store = s.open_store().expect("store");
    assert!(matches!(
        sbom::check_and_record(&mut store, &given, &input(true)),
        Err(SbomError::NoDatabase(_))
    ));
    assert_eq!(records(&store), 0);
    sbom::import(&given, &[rio("vulndb/kev.json")], &mut |_| {}).expect("import");
    let c = sbom::check(&given, &input(false)).expect("check");
    let used = c.payload.vulnerability_data.expect("data used");
    assert_eq!(used.database, "other.sqlite");
    assert!(
        used.sources
            .iter()
            .any(|x| x.source == "kev" && x.records > 0 && x.imported_at.is_some()),
        "{used:?}"
    );
    assert!(!used.sources.iter().any(|x| x.source.starts_with("osv")));
    // No database given and no store: a named error.
    let none = Settings {
        store: None,
        vulndb: None,
        cwd: tempfile::tempdir().expect("tempdir").path().to_path_buf(),
    };
    assert!(matches!(
        sbom::check(&none, &input(true)),
        Err(SbomError::Settings(settings::SettingsError::NoVulnDb))
    ));
    assert!(matches!(
        sbom::import(&s, &[t.path().join("missing")], &mut |_| {}),
        Err(SbomError::NoImportPath(_))
    ));
}

#[test]
fn check_and_record_writes_a_typed_payload_and_findings() {
    let (_t, s) = store_with_db();
    let mut store = s.open_store().expect("store");
    let rec = sbom::check_and_record(&mut store, &s, &input(true)).expect("check");
    let c = &rec.check.payload;
    let failed = sbom::verdict(c).expect_err("the sample policy fails");
    assert!(failed.to_string().starts_with("SBOM policy: "), "{failed}");
    assert!(failed.to_string().contains("KEV"), "{failed}");
    assert!(c.totals.cleared_by_vex >= 1);
    let stored = store.get(&rec.id.to_string()).expect("stored");
    let Body::Evidence(e) = stored.record.body else {
        panic!("not evidence");
    };
    assert_eq!(e.kind, EvidenceKind::SbomCheck);
    assert_eq!(
        e.requirements,
        otproof_catalog::traces::SBOM_CHECK
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(&SbomCheck::from_value(&e.payload).expect("typed"), c);
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].name, "rio-2000-4.2.0.cdx.json");
    let open = c.pairs().filter(|(_, v)| !v.cleared()).count();
    assert_eq!(e.findings.len(), open);
    assert!(e
        .findings
        .iter()
        .any(|f| f.severity >= Severity::High && f.title.contains("OTPROOF-DEMO-2026-0001")));
    assert_eq!(
        sbom::open_high_without_vex(c),
        c.pairs()
            .filter(|(_, v)| v.vex.is_none() && v.severity.is_some_and(|x| x >= VulnSeverity::High))
            .count()
    );
}

#[test]
fn bad_input_is_a_named_error_and_records_nothing() {
    let (t, s) = store_with_db();
    let mut store = s.open_store().expect("store");
    let not_sbom = t.path().join("not.json");
    std::fs::write(&not_sbom, "{\"hello\": 1}").expect("write");
    let bad_policy = t.path().join("bad.yaml");
    std::fs::write(&bad_policy, [0xff, 0xfe]).expect("write");
    let cases = [
        (
            CheckInput {
                sbom: t.path().join("missing.json"),
                ..input(false)
            },
            "cannot read SBOM",
        ),
        (
            CheckInput {
                sbom: not_sbom.clone(),
                ..input(false)
            },
            "not a readable SBOM",
        ),
        (
            CheckInput {
                vex: vec![not_sbom.clone()],
                ..input(false)
            },
            "not a readable VEX document",
        ),
        (
            CheckInput {
                policy: Some(bad_policy),
                ..input(false)
            },
            "not UTF-8 text",
        ),
    ];
    for (i, why) in cases {
        let e = sbom::check_and_record(&mut store, &s, &i).expect_err(why);
        assert!(e.to_string().contains(why), "{e}");
    }
    assert_eq!(records(&store), 0);
}

#[test]
fn the_payload_is_the_check_report_as_it_was_serialised() {
    let (_t, s) = store_with_db();
    let data = sbom::open_matcher(&s).expect("matcher");
    let bytes = std::fs::read(rio("rio-2000-4.2.0.cdx.json")).expect("read");
    let doc = otproof_sbom::parse(&bytes).expect("sbom");
    let mut vex = otproof_vex::VexSet::new();
    vex.add(
        otproof_vex::parse(&std::fs::read(rio("rio-2000.openvex.json")).expect("read"))
            .expect("vex"),
    );
    let report = otproof_sbomcheck::check(
        &doc,
        &data.matcher,
        &vex,
        &otproof_sbomcheck::Policy::default_rules(),
    );
    let payload = sbom::payload_of(&report, None);
    assert_eq!(
        serde_json::to_value(&payload).expect("payload"),
        serde_json::to_value(&report).expect("report")
    );
    assert!(report
        .components
        .iter()
        .any(|c| !c.vulnerabilities.is_empty()));
}

#[test]
fn an_empty_or_never_imported_database_is_refused_and_left_untouched() {
    let (t, s) = store_with_db();
    let mut store = s.open_store().expect("store");
    let empty = t.path().join("empty.db");
    std::fs::write(&empty, b"").expect("write");
    let never = t.path().join("never.db");
    drop(otproof_vulndb::VulnDb::open(&never).expect("create an empty schema"));
    let never_bytes = std::fs::read(&never).expect("read");
    for (db, why) in [
        (&empty, "empty file (0 bytes)"),
        (&never, "nothing was ever imported"),
    ] {
        let given = Settings {
            vulndb: Some(db.clone()),
            ..s.clone()
        };
        let e = sbom::check_and_record(&mut store, &given, &input(true)).expect_err(why);
        let mut chain = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(x) = src {
            chain.push_str(&format!(": {x}"));
            src = x.source();
        }
        assert!(chain.contains(why), "{chain}");
        let e = sbom::status(&given).map(|_| ());
        if db == &empty {
            assert!(e.is_err(), "status refuses a 0-byte file");
        }
    }
    assert_eq!(std::fs::read(&empty).expect("read"), b"", "byte-identical");
    assert_eq!(std::fs::read(&never).expect("read"), never_bytes);
    assert_eq!(records(&store), 0, "nothing recorded");
}

#[test]
fn the_check_names_its_data_and_fails_on_stale_data() {
    let (_t, s) = store_with_db();
    let c = sbom::check(&s, &input(true)).expect("check");
    let used = c.payload.vulnerability_data.clone().expect("data used");
    assert_eq!(used.records, 5);
    assert!(used.imported_at.is_some());
    assert_eq!(used.rejected_at_import, 0);
    assert!(
        used.data_as_of
            .as_deref()
            .is_some_and(|d| d.starts_with("2026-11-01T12:00:00")),
        "{used:?}"
    );
    assert!(!used.stale);
    assert!(used.max_age_days.is_none());
    // The sample's newest record is of 2026-11-01: at most one day old data fails.
    let strict = CheckInput {
        max_age_days: Some(1),
        ..input(true)
    };
    let now: jiff::Timestamp = "2026-12-07T00:00:00Z".parse().expect("time");
    let mut u = used.clone();
    let reason = sbom::judge_data_age(&mut u, Some(1), now).expect("stale");
    assert!(reason.contains("older than the 1 days allowed"), "{reason}");
    assert!(u.stale);
    assert_eq!(u.age_days, Some(35));
    let mut u = used.clone();
    assert!(sbom::judge_data_age(&mut u, Some(60), now).is_none());
    assert!(!u.stale);
    // Through the check (today is after 2026-11-02 on any machine running this).
    let c = sbom::check(&s, &strict).expect("check");
    assert!(!c.payload.verdict.passed);
    assert!(c.payload.vulnerability_data.expect("data").stale);
    // The policy key does the same.
    let policy = _t.path().join("p.yaml");
    std::fs::write(&policy, "fail_on_kev: true\nmax_data_age_days: 1\n").expect("w");
    let c = sbom::check(
        &s,
        &CheckInput {
            policy: Some(policy),
            ..input(true)
        },
    )
    .expect("check");
    assert!(c
        .payload
        .verdict
        .reasons
        .iter()
        .any(|r| r.contains("days allowed")));
}

#[test]
fn an_empty_policy_file_is_bad_input() {
    let (t, s) = store_with_db();
    for text in ["", "# nothing\n", "{}"] {
        let p = t.path().join("empty-policy.yaml");
        std::fs::write(&p, text).expect("w");
        let e = sbom::check(
            &s,
            &CheckInput {
                policy: Some(p),
                ..input(true)
            },
        )
        .expect_err(text);
        assert!(matches!(e, SbomError::Policy { .. }), "{text:?}: {e}");
    }
}
