//! Product acceptance step by step: reading the package (nothing recorded from bad input),
//! the SBOM check through the settings' vulnerability database, the facts and their records,
//! the proof check of the cited evidence, the decision and its typed payload.

use otproof_evidence::payload::acceptance::AcceptancePayload;
use otproof_evidence::{Body, Payload, Verdict};
use otproof_store::Store;
use otproof_workflow::accept::{self, AcceptError, AcceptInputs};
use otproof_workflow::settings::{self, Settings};
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

const MANIFEST: &str = "product: RIO-2000
vendor: Example Automation
version: 4.3.0
component_type: embedded-device
sbom: rio-2000-4.3.0.cdx.json
vex: [rio-2000.openvex.json]
robustness: [evidence.json]
certificates:
  - file: certificate-iecee-62443-4-1.md
    scheme: IECEE
    issuer: Example CB
    scope: IEC 62443-4-1 process of Example Automation
    number: DEMO-1
    expires: 2027-08-31
support:
  end_of_support: 2036-12-31
  statement: support-statement.md
hardening_guide: hardening-guide.md
patch_policy: patch-policy.md
";

/// A package folder (no signed release), a store, and a vulnerability database outside it.
fn setup() -> (tempfile::TempDir, PathBuf, Store, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let pkg = t.path().join("pkg");
    std::fs::create_dir_all(&pkg).expect("mkdir");
    for f in [
        "certificate-iecee-62443-4-1.md",
        "support-statement.md",
        "hardening-guide.md",
        "patch-policy.md",
    ] {
        std::fs::copy(repo(&format!("testdata/rio-2000/package/{f}")), pkg.join(f)).expect("copy");
    }
    for f in ["rio-2000-4.3.0.cdx.json", "rio-2000.openvex.json"] {
        std::fs::copy(repo(&format!("testdata/rio-2000/{f}")), pkg.join(f)).expect("copy");
    }
    std::fs::write(pkg.join("package.yaml"), MANIFEST).expect("write");
    std::fs::write(
        pkg.join("evidence.json"),
        r#"{"format":"otproof-robustness-campaign/1","configuration":{"protocol":"modbus-tcp"},"result":{"cases":5000},"findings":[{"behaviour":"conformance"}]}"#,
    )
    .expect("write");
    let store_dir = t.path().join("store");
    std::fs::create_dir_all(&store_dir).expect("mkdir");
    let store = Store::init(&store_dir, None).expect("init");
    let db = t.path().join("elsewhere.sqlite");
    let mut v = otproof_vulndb::VulnDb::open(&db).expect("db");
    v.import(&[repo("testdata/rio-2000/vulndb")], &mut |_| {})
        .expect("import");
    (t, pkg, store, db)
}

fn inputs(pkg: &Path) -> AcceptInputs {
    AcceptInputs {
        package: pkg.to_path_buf(),
        criteria: None,
        spec: None,
        today: Some("2026-11-26".into()),
        decided_by: "buyer".into(),
    }
}

fn settings_with(store: &Store, db: Option<PathBuf>) -> Settings {
    Settings {
        vulndb: db,
        ..settings::for_store(store.dir())
    }
}

#[test]
fn a_package_is_decided_on_its_recorded_and_proven_evidence() {
    let (_t, pkg, mut store, db) = setup();
    let settings = settings_with(&store, Some(db));
    let a = accept::accept(&mut store, &settings, &inputs(&pkg)).expect("decided");
    // SBOM check, campaign, certificate, three documents.
    assert_eq!(a.records.len(), 6);
    let d = &a.result.decision;
    assert_eq!(d.decision, Verdict::Reject, "no signed release");
    let upd = d.criteria.iter().find(|c| c.id == "UPD-1").expect("UPD-1");
    assert!(upd.description.contains("no signed release"));
    let Body::Decision(stored) = store
        .get(&a.decision.to_string())
        .expect("stored")
        .record
        .body
    else {
        panic!("a decision")
    };
    assert_eq!(&stored, d);
    let p = AcceptancePayload::from_value(&d.payload).expect("typed payload");
    assert_eq!(p.decided_on, "2026-11-26");
    assert_eq!(p.certificates.len(), 1);
    assert_eq!(p.certificates[0].record, Some(a.records[2]));
    // Every record the decision cites is one of the package's, proven in the log.
    for r in &d.references {
        assert!(a.records.contains(r));
        otproof_workflow::records::prove_in_store(&store, r).expect("proven");
    }
}

#[test]
fn the_vulnerability_database_comes_from_the_settings() {
    let (_t, pkg, mut store, db) = setup();
    // Not given: the store's, which does not exist; nothing is recorded.
    let none = settings_with(&store, None);
    let e = accept::accept(&mut store, &none, &inputs(&pkg)).expect_err("no database in the store");
    assert!(
        matches!(e, AcceptError::NoVulnDb(ref p) if p.starts_with(store.dir())),
        "{e}"
    );
    let missing = db.with_file_name("missing.sqlite");
    let given = settings_with(&store, Some(missing.clone()));
    let e = accept::accept(&mut store, &given, &inputs(&pkg)).expect_err("missing database");
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "{e}"
    );
    assert_eq!(store.size().expect("size"), 0);
}

#[test]
fn bad_inputs_record_nothing_and_name_the_file() {
    let (_t, pkg, mut store, db) = setup();
    let settings = settings_with(&store, Some(db));
    // A robustness evidence that is not JSON: found while reading, before any record.
    std::fs::write(pkg.join("evidence.json"), "{not json").expect("write");
    let e =
        accept::accept(&mut store, &settings, &inputs(&pkg)).expect_err("bad campaign evidence");
    assert!(e.to_string().contains("evidence.json: line 1"), "{e}");
    // A file the manifest names is missing.
    std::fs::remove_file(pkg.join("patch-policy.md")).expect("remove");
    let e = accept::read_package(&inputs(&pkg)).expect_err("missing file");
    assert!(
        e.to_string().contains("patch_policy") && e.to_string().contains("does not exist"),
        "{e}"
    );
    // A malformed manifest: file, line and column.
    std::fs::write(pkg.join("package.yaml"), "product: X\nfirmwre: a\n").expect("write");
    let e = accept::read_package(&inputs(&pkg)).expect_err("bad manifest");
    assert!(
        e.to_string().contains("package.yaml") && e.to_string().contains("line"),
        "{e}"
    );
    // A broken SBOM: the check fails before anything is recorded.
    std::fs::write(pkg.join("package.yaml"), MANIFEST).expect("write");
    std::fs::write(pkg.join("patch-policy.md"), "# policy\n").expect("write");
    std::fs::write(
        pkg.join("evidence.json"),
        r#"{"format":"otproof-robustness-campaign/1","configuration":{"protocol":"modbus-tcp"},"result":{"cases":1},"findings":[]}"#,
    )
    .expect("write");
    std::fs::write(pkg.join("rio-2000-4.3.0.cdx.json"), "not an sbom").expect("write");
    let e = accept::accept(&mut store, &settings, &inputs(&pkg)).expect_err("bad SBOM");
    assert!(matches!(e, AcceptError::SbomCheck { .. }), "{e}");
    assert_eq!(
        store.size().expect("size"),
        0,
        "nothing recorded from bad input"
    );
}

#[test]
fn unproven_evidence_earns_nothing_and_says_why() {
    let (t, pkg, _store, db) = setup();
    // A store without its signing key: records are appended but no checkpoint covers them.
    let dir = t.path().join("unsigned");
    std::fs::create_dir_all(&dir).expect("mkdir");
    Store::init(&dir, None).expect("init");
    let inner = dir.join(otproof_store::STORE_DIR);
    std::fs::remove_file(inner.join("keys/ledger.skey")).expect("remove key");
    let mut store = Store::open(&inner).expect("open");
    let settings = Settings {
        vulndb: Some(db),
        ..settings::for_store(&dir)
    };
    let package = accept::read_package(&inputs(&pkg)).expect("package");
    let sbom = accept::run_sbom_check(&package, &settings).expect("checked");
    assert!(sbom.is_some());
    let gathered =
        accept::gather_facts(Some(&mut store), &package, sbom.as_ref(), None).expect("recorded");
    assert!(gathered.facts.sbom.is_some());
    let facts = accept::check_cited_evidence(&store, gathered.facts);
    assert!(facts.sbom.is_none());
    assert!(facts.robustness.is_empty());
    assert!(facts
        .documents
        .iter()
        .all(|d| !d.present && d.record.is_none()));
    assert_eq!(facts.certificates.len(), 1, "the listing stays");
    assert_eq!(facts.unproven.len(), 6);
    let r = accept::decide(&package, &facts);
    assert_eq!(r.decision.decision, Verdict::Reject);
    assert!(r.decision.references.is_empty());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("not proven") && w.contains("no inclusion proof")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn campaign_evidence_counts_findings_by_behaviour() {
    let c = accept::campaign_evidence(
        Path::new("e.json"),
        r#"{"format":"otproof-robustness-campaign/1","configuration":{"protocol":"modbus-tcp"},"result":{"cases":7},"findings":[{"behaviour":"crash"},{"behaviour":"hang"},{"behaviour":"conformance"},{"behaviour":"crash","status":"fixed"}]}"#,
    )
    .expect("campaign");
    assert_eq!(c.protocol, "modbus-tcp");
    // Only open findings count.
    assert_eq!(
        (c.cases, c.open_crash_or_hang, c.open_conformance),
        (7, 2, 1)
    );
    // An empty object is not a campaign: named, not guessed.
    let e = accept::campaign_evidence(Path::new("e.json"), "{}").expect_err("empty");
    assert!(e.to_string().contains("e.json"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Issue 14: nothing recorded from bad input; content checked; dry run; re-run.
// ---------------------------------------------------------------------------------------

fn with_manifest(pkg: &Path, from: &str, to: &str) {
    assert!(MANIFEST.contains(from), "{from}");
    std::fs::write(pkg.join("package.yaml"), MANIFEST.replace(from, to)).expect("write");
}

#[test]
fn paths_leaving_the_package_are_bad_input_and_nothing_is_recorded() {
    let (t, pkg, mut store, db) = setup();
    let settings = settings_with(&store, Some(db));
    // A private key outside the package: the attack of the issue.
    let key = t.path().join("signer.key");
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    let abs = key.display().to_string();
    for (to, says) in [
        (abs.as_str(), "absolute path"),
        ("../signer.key", "'..'"),
        ("docs/../../signer.key", "'..'"),
    ] {
        with_manifest(
            &pkg,
            "patch_policy: patch-policy.md",
            &format!("patch_policy: '{to}'"),
        );
        let e = accept::accept(&mut store, &settings, &inputs(&pkg)).expect_err(to);
        let msg = e.to_string();
        assert!(
            msg.contains("patch_policy") && msg.contains(to) && msg.contains(says),
            "{msg}"
        );
        assert!(accept::dry_run(&settings, &inputs(&pkg)).is_err());
    }
    // A symbolic link inside the package that leads out.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&key, pkg.join("policy-link.md")).expect("symlink");
        with_manifest(
            &pkg,
            "patch_policy: patch-policy.md",
            "patch_policy: policy-link.md",
        );
        let e = accept::accept(&mut store, &settings, &inputs(&pkg)).expect_err("symlink out");
        assert!(
            matches!(e, AcceptError::OutsidePackage { ref field, .. } if field == "patch_policy"),
            "{e}"
        );
        assert!(e.to_string().contains("outside the package folder"), "{e}");
        // A link to a folder that leads out, used as a path prefix.
        std::os::unix::fs::symlink(t.path(), pkg.join("up")).expect("symlink");
        with_manifest(
            &pkg,
            "patch_policy: patch-policy.md",
            "patch_policy: up/signer.key",
        );
        let e = accept::accept(&mut store, &settings, &inputs(&pkg)).expect_err("dir link out");
        assert!(matches!(e, AcceptError::OutsidePackage { .. }), "{e}");
        // A link that stays inside the package is fine.
        std::os::unix::fs::symlink(pkg.join("patch-policy.md"), pkg.join("inside.md"))
            .expect("symlink");
        with_manifest(
            &pkg,
            "patch_policy: patch-policy.md",
            "patch_policy: inside.md",
        );
        accept::read_package(&inputs(&pkg)).expect("a link inside the package");
    }
    // The key inside the package, under any field: refused, never recorded.
    std::fs::copy(&key, pkg.join("signer.key")).expect("copy");
    for (from, to) in [
        ("patch_policy: patch-policy.md", "patch_policy: signer.key"),
        (
            "hardening_guide: hardening-guide.md",
            "hardening_guide: signer.key",
        ),
        (
            "  - file: certificate-iecee-62443-4-1.md",
            "  - file: signer.key",
        ),
    ] {
        with_manifest(&pkg, from, to);
        let e = accept::accept(&mut store, &settings, &inputs(&pkg)).expect_err(to);
        assert!(matches!(e, AcceptError::Secret { .. }), "{e}");
        assert!(e.to_string().contains("private key"), "{e}");
    }
    assert_eq!(store.size().expect("size"), 0, "nothing recorded");
    let key_bytes = std::fs::read(&key).expect("key");
    assert!(
        !store
            .blobs()
            .contains(&otproof_evidence::Sha256Digest::of(&key_bytes)),
        "the key is not a blob"
    );
}

#[test]
fn a_bad_today_is_bad_input_and_nothing_is_recorded() {
    let (_t, pkg, mut store, db) = setup();
    let settings = settings_with(&store, Some(db));
    for bad in ["2026-13-45", "tomorrow", "", "2026-02-29", "26.11.2026"] {
        let mut i = inputs(&pkg);
        i.today = Some(bad.into());
        let e = accept::accept(&mut store, &settings, &i).expect_err(bad);
        assert!(matches!(e, AcceptError::BadToday(_)), "{bad}: {e}");
        assert!(e.to_string().contains("--today"), "{e}");
    }
    assert_eq!(store.size().expect("size"), 0);
}

#[test]
fn empty_documents_are_not_evidence_and_fail_their_criteria() {
    let (_t, pkg, mut store, db) = setup();
    let settings = settings_with(&store, Some(db));
    for f in [
        "certificate-iecee-62443-4-1.md",
        "support-statement.md",
        "hardening-guide.md",
        "patch-policy.md",
    ] {
        std::fs::write(pkg.join(f), b"").expect("empty");
    }
    let a = accept::accept(&mut store, &settings, &inputs(&pkg)).expect("decided");
    let d = &a.result.decision;
    assert_eq!(d.decision, Verdict::Reject);
    for id in ["PATCH-5", "DOC-1", "PATCH-DOC"] {
        let c = d.criteria.iter().find(|c| c.id == id).expect(id);
        assert_eq!(c.result, otproof_evidence::CriterionResult::Fail, "{id}");
        assert!(
            c.description.contains("empty (0 bytes)"),
            "{}",
            c.description
        );
    }
    let cert = d
        .criteria
        .iter()
        .find(|c| c.id == "CERT-1")
        .expect("CERT-1");
    assert_eq!(
        cert.result,
        otproof_evidence::CriterionResult::NotApplicable
    );
    assert!(
        cert.description.contains("empty (0 bytes)"),
        "{}",
        cert.description
    );
    // Only the SBOM check and the campaign are recorded (and the decision).
    assert_eq!(a.records.len(), 2);
    // A binary file is not a document either.
    std::fs::write(pkg.join("patch-policy.md"), b"\x7fELF\x02\x01\x01\0\0\0\0").expect("w");
    let p = accept::read_package(&inputs(&pkg)).expect("package");
    let doc = p.document("patch-policy.md").expect("read");
    assert!(
        doc.problem.as_deref().is_some_and(|m| m.contains("binary")),
        "{:?}",
        doc.problem
    );
}

#[test]
fn an_implausible_certificate_does_not_count() {
    let (_t, pkg, store, db) = setup();
    let settings = settings_with(&store, Some(db));
    with_manifest(
        &pkg,
        "    scheme: IECEE\n    issuer: Example CB\n    scope: IEC 62443-4-1 process of Example Automation\n    number: DEMO-1\n    expires: 2027-08-31",
        "    scheme: ISASecure\n    scope: IEC 62443-4-1 process of Example Automation\n    number: '0'\n    expires: 2099-12-31",
    );
    let a = accept::dry_run(&settings, &inputs(&pkg)).expect("decided");
    let cert = a
        .result
        .decision
        .criteria
        .iter()
        .find(|c| c.id == "CERT-1")
        .expect("CERT-1");
    assert_eq!(
        cert.result,
        otproof_evidence::CriterionResult::NotApplicable
    );
    for says in ["number '0'", "no issuer", "more than 10 years"] {
        assert!(
            cert.description.contains(says),
            "{says}: {}",
            cert.description
        );
    }
    assert_eq!(store.size().expect("size"), 0);
}

#[test]
fn a_dry_run_records_nothing_and_decides_as_accept_would() {
    let (_t, pkg, mut store, db) = setup();
    let settings = settings_with(&store, Some(db));
    let dry = accept::dry_run(&settings, &inputs(&pkg)).expect("dry run");
    assert_eq!(store.size().expect("size"), 0);
    assert!(dry.result.decision.references.is_empty());
    let real = accept::accept(&mut store, &settings, &inputs(&pkg)).expect("decided");
    assert_eq!(dry.result.decision.decision, real.result.decision.decision);
    let results = |d: &otproof_evidence::Decision| {
        d.criteria
            .iter()
            .map(|c| (c.id.clone(), c.result))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        results(&dry.result.decision),
        results(&real.result.decision)
    );
}

#[test]
fn re_running_gives_the_same_decision_and_appends_nothing() {
    let (_t, pkg, mut store, db) = setup();
    let settings = settings_with(&store, Some(db));
    let first = accept::accept(&mut store, &settings, &inputs(&pkg)).expect("first");
    let size = store.size().expect("size");
    assert_eq!(size, 7, "six evidence records and the decision");
    // Later (a new second on the clock): the same records, the same decision.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = accept::accept(&mut store, &settings, &inputs(&pkg)).expect("again");
    assert_eq!(again.decision, first.decision);
    assert_eq!(again.records, first.records);
    assert_eq!(again.result.decision, first.result.decision);
    assert_eq!(store.size().expect("size"), size, "nothing appended");
    // A different day is a different decision, on the same evidence records.
    let mut later = inputs(&pkg);
    later.today = Some("2026-11-27".into());
    let other = accept::accept(&mut store, &settings, &later).expect("other day");
    assert_ne!(other.decision, first.decision);
    assert_eq!(other.records, first.records);
    assert_eq!(store.size().expect("size"), size + 1);
}
