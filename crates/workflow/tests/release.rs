//! workflow::release: signing and recording releases, signature checks with named outcomes,
//! identities, layouts and update approval, against a real store; nothing is recorded from
//! bad input.

use otproof_evidence::payload::campaign::{
    Behaviour, CampaignConfiguration, CampaignCoverage, CampaignFinding, CampaignResult,
    CampaignScope, MutationClass, RobustnessCampaign,
};
use otproof_evidence::payload::release::{
    CheckOutcome, DeviceIdentity, ReleaseStatement, SignatureCheck, SignatureDetail,
    SignatureMethod,
};
use otproof_evidence::payload::update::UpdateDecision;
use otproof_evidence::payload::Payload;
use otproof_evidence::{
    Body, CriterionResult, EvidenceKind, FindingStatus, Record, RecordId, Severity, Verdict,
};
use otproof_sign::keys::{self, Alg, SigningKey};
use otproof_store::Store;
use otproof_workflow::release::{
    self, ApprovalInput, ArtifactMethod, IdentityInput, LayoutInput, ReleaseError, ReleaseInput,
};
use std::path::{Path, PathBuf};

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

struct Fixture {
    _dir: tempfile::TempDir,
    d: PathBuf,
    store: Store,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_path_buf();
    let store = Store::init(&d, None).expect("init");
    Fixture {
        _dir: dir,
        d,
        store,
    }
}

fn key_pair(d: &Path, name: &str, alg: Alg) -> (PathBuf, PathBuf) {
    let k = SigningKey::generate(alg).expect("key");
    let private = d.join(format!("{name}.key"));
    let public = d.join(format!("{name}.pub"));
    keys::write_private_key(&private, &k).expect("write key");
    std::fs::write(&public, k.verifying_key().to_pem()).expect("write pub");
    (private, public)
}

fn count(store: &Store) -> usize {
    store.list(None, None).expect("list").len()
}

fn sign(f: &mut Fixture, key: &Path, version: &str, record: bool) -> (PathBuf, PathBuf) {
    let fw = f.d.join(format!("fw-{version}.bin"));
    std::fs::write(&fw, format!("firmware {version}")).expect("w");
    let input = ReleaseInput {
        artifact: fw.clone(),
        key: key.to_path_buf(),
        product: "RIO-2000".into(),
        version: version.into(),
        sbom: Some(testdata(&format!("rio-2000/rio-2000-{version}.cdx.json"))),
        evidence: vec![],
        envelope_name: format!("fw-{version}.intoto.json"),
    };
    let signed = release::sign_release(&input, Some(&f.store)).expect("sign");
    let env = f.d.join(&signed.envelope_name);
    std::fs::write(&env, &signed.envelope).expect("w");
    if record {
        let id = release::record_release(&mut f.store, &signed).expect("record");
        let stored = f.store.get(&id.to_string()).expect("get");
        let Body::Evidence(ev) = &stored.record.body else {
            panic!("evidence")
        };
        assert_eq!(ev.kind, EvidenceKind::Release);
        let p = ReleaseStatement::from_value(&ev.payload).expect("typed payload");
        assert_eq!(p.key_id, signed.key_id);
        assert_eq!(
            p.sbom.map(|s| s.name),
            Some(format!("rio-2000-{version}.cdx.json"))
        );
        assert_eq!(ev.attachments.len(), 2, "envelope and SBOM");
        assert_eq!(
            ev.requirements,
            otproof_catalog::traces::RELEASE
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        );
    }
    (fw, env)
}

#[test]
fn a_release_is_signed_recorded_and_verified_and_failures_are_named() {
    let mut f = fixture();
    let (key, public) = key_pair(&f.d, "vendor", Alg::P256);
    let (_, other) = key_pair(&f.d, "other", Alg::Ed25519);
    let (fw, env) = sign(&mut f, &key, "4.3.0", true);

    let dsse = |keys: Vec<PathBuf>| ArtifactMethod::Dsse {
        envelope: env.clone(),
        keys,
    };
    let ok = release::verify_artifact(&fw, &dsse(vec![public.clone()])).expect("verify");
    assert!(ok.passed(), "{:?}", ok.check);
    assert_eq!(ok.check.method, SignatureMethod::Dsse);
    match &ok.check.detail {
        Some(SignatureDetail::Dsse {
            release: Some(r), ..
        }) => assert_eq!(
            (r.product.as_str(), r.version.as_str()),
            ("RIO-2000", "4.3.0")
        ),
        other => panic!("{other:?}"),
    }
    let before = count(&f.store);
    let id = release::record_signature_check(&mut f.store, &ok, &[env.as_path()]).expect("rec");
    assert_eq!(count(&f.store), before + 1);
    let stored = f.store.get(&id.to_string()).expect("get");
    let Body::Evidence(ev) = &stored.record.body else {
        panic!("evidence")
    };
    assert_eq!(ev.kind, EvidenceKind::SignatureCheck);
    assert_eq!(
        SignatureCheck::from_value(&ev.payload).expect("typed"),
        ok.check
    );
    assert_eq!(ev.subject.product(), Some("RIO-2000"));

    // A changed artifact: the digest check fails, about the artifact.
    let tampered = f.d.join("tampered.bin");
    std::fs::write(&tampered, b"firmware 4.3.1").expect("w");
    let bad = release::verify_artifact(&tampered, &dsse(vec![public.clone()])).expect("verify");
    assert!(!bad.passed());
    assert!(matches!(&bad.check.outcome, CheckOutcome::Failed { check, .. } if check == "digest"));
    assert_eq!(bad.about, tampered);
    // Another key: the signature check fails, about the envelope.
    let bad = release::verify_artifact(&fw, &dsse(vec![other])).expect("verify");
    assert!(
        matches!(&bad.check.outcome, CheckOutcome::Failed { check, reason } if check == "signature" && reason.starts_with("signature")),
        "{:?}",
        bad.check.outcome
    );
    assert_eq!(bad.about, env);
    // A malformed envelope is an error naming the file, not a failed check.
    let junk = f.d.join("junk.json");
    std::fs::write(&junk, b"{\"payloadType\": 3}").expect("w");
    let e = release::verify_artifact(
        &fw,
        &ArtifactMethod::Dsse {
            envelope: junk,
            keys: vec![public],
        },
    )
    .expect_err("malformed");
    assert!(e.to_string().contains("junk.json"), "{e}");
}

#[test]
fn nothing_is_recorded_from_bad_input() {
    let mut f = fixture();
    let (key, _) = key_pair(&f.d, "vendor", Alg::Ed25519);
    std::fs::write(f.d.join("fw.bin"), b"x").expect("w");
    let base = ReleaseInput {
        artifact: f.d.join("fw.bin"),
        key: key.clone(),
        product: "P".into(),
        version: "1".into(),
        sbom: None,
        evidence: vec![format!("sha256:{}", "00".repeat(32))],
        envelope_name: "e.json".into(),
    };
    let before = count(&f.store);
    assert!(matches!(
        release::sign_release(&base, Some(&f.store)),
        Err(ReleaseError::EvidenceNotFound { .. })
    ));
    assert!(matches!(
        release::sign_release(&base, None),
        Err(ReleaseError::NoStore { .. })
    ));
    let not_sbom = f.d.join("sbom.json");
    std::fs::write(&not_sbom, b"{\"hello\": 1}").expect("w");
    let e = release::sign_release(
        &ReleaseInput {
            sbom: Some(not_sbom),
            evidence: vec![],
            ..base.clone()
        },
        Some(&f.store),
    )
    .expect_err("not an SBOM");
    assert!(e.to_string().contains("sbom.json"), "{e}");
    let e = release::sign_release(
        &ReleaseInput {
            artifact: f.d.join("missing.bin"),
            evidence: vec![],
            ..base
        },
        Some(&f.store),
    )
    .expect_err("no artifact");
    assert!(e.to_string().contains("missing.bin"), "{e}");
    // An update approval with an unreadable policy records no decision.
    let policy = f.d.join("policy.yaml");
    std::fs::write(&policy, "require_everything: true\n").expect("w");
    let (vkey, vpub) = key_pair(&f.d, "v2", Alg::P256);
    let (fw, env) = sign(&mut f, &vkey, "4.3.0", false);
    let e = release::approve_update(
        &mut f.store,
        &ApprovalInput {
            artifact: fw,
            envelope: env,
            keys: vec![vpub],
            product: "RIO-2000".into(),
            from_version: "4.2.0".into(),
            to_version: "4.3.0".into(),
            sbom: None,
            previous_sbom: None,
            policy: Some(policy),
            vulndb: f.d.join("none.sqlite"),
            decided_by: "test".into(),
            allow_downgrade: None,
        },
    )
    .expect_err("bad policy");
    assert!(e.to_string().contains("policy.yaml"), "{e}");
    assert_eq!(count(&f.store), before);
}

#[test]
fn an_update_is_decided_from_the_store_with_a_typed_payload() {
    let mut f = fixture();
    let (key, public) = key_pair(&f.d, "vendor", Alg::P256);
    sign(&mut f, &key, "4.2.0", true);
    let (fw, env) = sign(&mut f, &key, "4.3.0", true);
    let facts = release::evidence_for(&f.store, "RIO-2000", "4.2.0").expect("facts");
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0].0.kind, "release");
    assert!(release::stored_sbom(&f.store, &facts).is_some());
    let input = ApprovalInput {
        artifact: fw,
        envelope: env,
        keys: vec![public],
        product: "RIO-2000".into(),
        from_version: "4.2.0".into(),
        to_version: "4.3.0".into(),
        sbom: Some(testdata("rio-2000/rio-2000-4.3.0.cdx.json")),
        previous_sbom: None,
        policy: None,
        vulndb: f.d.join("no-vulndb.sqlite"),
        decided_by: "test".into(),
        allow_downgrade: None,
    };
    // No vulnerability database: the comparison the policy asks for cannot be made; an
    // error, nothing recorded.
    let before = count(&f.store);
    let e = release::approve_update(&mut f.store, &input).expect_err("no database");
    assert!(e.to_string().contains("no vulnerability database"), "{e}");
    assert_eq!(count(&f.store), before);
    let input = ApprovalInput {
        vulndb: vulndb(&f.d),
        ..input
    };
    let a = release::approve_update(&mut f.store, &input).expect("approve");
    // No campaign and no SBOM check on record: rejected.
    assert_eq!(a.decision.decision, Verdict::Reject);
    let stored = f.store.get(&a.id.to_string()).expect("get");
    let Body::Decision(d) = &stored.record.body else {
        panic!("decision")
    };
    let p = UpdateDecision::from_value(&d.payload).expect("typed payload");
    assert_eq!(
        (p.from_version.as_str(), p.to_version.as_str()),
        ("4.2.0", "4.3.0")
    );
    assert!(
        p.sbom_change.is_some(),
        "compared with the stored 4.2.0 SBOM"
    );
    let signed = d.criteria.iter().find(|c| c.id == "UPD-1").expect("UPD-1");
    assert_eq!(signed.evidence.len(), 1, "cites the release record");
}

#[test]
fn identities_are_registered_recorded_and_verified() {
    let mut f = fixture();
    let (vendor, vendor_pub) = key_pair(&f.d, "vendor", Alg::P256);
    let (device, device_pub) = key_pair(&f.d, "device", Alg::Ed25519);
    let (intruder, _) = key_pair(&f.d, "intruder", Alg::Ed25519);
    let reg = release::register_identity(&IdentityInput {
        name: "rio-0042".into(),
        device_key: device_pub,
        vendor_key: vendor,
        vendor: "Example Automation".into(),
        product: "RIO-2000".into(),
        serial: "SN-0042".into(),
        envelope_name: "rio-0042.identity.json".into(),
    })
    .expect("register");
    let id_path = f.d.join(&reg.envelope_name);
    std::fs::write(&id_path, &reg.envelope).expect("w");
    let rid = release::record_identity(&mut f.store, &reg).expect("record");
    let stored = f.store.get(&rid.to_string()).expect("get");
    let Body::Evidence(ev) = &stored.record.body else {
        panic!("evidence")
    };
    assert_eq!(
        DeviceIdentity::from_value(&ev.payload)
            .expect("typed")
            .serial,
        "SN-0042"
    );

    let data = |signer: &Path, name: &str| {
        let k = keys::read_private_key(signer).expect("key");
        let env = otproof_sign::dsse::sign("application/json", b"{\"t\":1}", &k);
        let p = f.d.join(name);
        std::fs::write(&p, env.to_json()).expect("w");
        p
    };
    let good = data(&device, "good.json");
    let r = release::verify_identity(&id_path, std::slice::from_ref(&vendor_pub), Some(&good))
        .expect("v");
    assert!(r.passed(), "{:?}", r.check);
    assert!(matches!(
        &r.check.detail,
        Some(SignatureDetail::Identity { data: Some(_), .. })
    ));
    let forged = data(&intruder, "forged.json");
    let r = release::verify_identity(&id_path, &[vendor_pub], Some(&forged)).expect("v");
    assert!(!r.passed());
    assert_eq!(r.about, forged);
    assert!(matches!(r.check.outcome, CheckOutcome::Failed { .. }));
    let id = release::record_signature_check(&mut f.store, &r, &[]).expect("record");
    let stored = f.store.get(&id.to_string()).expect("get");
    let Body::Evidence(ev) = &stored.record.body else {
        panic!("evidence")
    };
    assert_eq!(
        ev.requirements,
        otproof_catalog::traces::IDENTITY
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    assert!(ev.title.contains("failed"), "{}", ev.title);
}

#[test]
fn a_layout_with_unrun_inspections_is_incomplete_not_verified() {
    let input = |allow: bool, at: &str| LayoutInput {
        layout: testdata("in-toto/test_verifylib/workdir/root.layout"),
        owner_keys: vec![testdata("in-toto/test_verifylib/workdir/alice.pub")],
        scheme: "rsassa-pss-sha256".into(),
        links: testdata("in-toto/test_verifylib/links"),
        at: Some(at.into()),
        allow_unrun_inspections: allow,
    };
    let r = release::verify_layout(&input(true, "2022-06-01T00:00:00Z")).expect("verify");
    assert_eq!(r.check.outcome, CheckOutcome::Incomplete);
    assert!(!r.passed());
    assert!(r.check.not_checked.iter().any(|n| n.contains("untar")));
    let r = release::verify_layout(&input(false, "2022-06-01T00:00:00Z")).expect("verify");
    assert!(
        matches!(&r.check.outcome, CheckOutcome::Failed { check, .. } if check == "inspection")
    );
    let r = release::verify_layout(&input(true, "2023-06-01T00:00:00Z")).expect("verify");
    assert!(matches!(&r.check.outcome, CheckOutcome::Failed { check, .. } if check == "expiry"));
    let e = release::verify_layout(&LayoutInput {
        at: Some("yesterday".into()),
        ..input(true, "x")
    });
    // An unparseable time is the layout verifier's to reject; it is never a pass.
    assert!(e.map(|r| !r.passed()).unwrap_or(true));
}

#[test]
fn sigstore_and_tuf_checks_are_typed_and_recorded() {
    let mut f = fixture();
    let root = testdata("sigstore/staging-trusted_root.json");
    let sigstore = |artifact: &str, identity: Option<&str>| {
        release::verify_artifact(
            &testdata(&format!("sigstore/{artifact}")),
            &ArtifactMethod::Sigstore {
                bundle: testdata(&format!("sigstore/{artifact}.sigstore")),
                trusted_root: root.clone(),
                identity: identity.map(str::to_string),
                issuer: None,
            },
        )
        .expect("verify")
    };
    let ok = sigstore("bundle_v3.txt", Some("william@yossarian.net"));
    assert!(ok.passed(), "{:?}", ok.check);
    assert_eq!(ok.check.signer.as_deref(), Some("william@yossarian.net"));
    assert!(ok
        .check
        .checked
        .iter()
        .any(|c| c.contains("inclusion proof")));
    let id = release::record_signature_check(&mut f.store, &ok, &[]).expect("record");
    let stored = f.store.get(&id.to_string()).expect("get");
    let Body::Evidence(ev) = &stored.record.body else {
        panic!("evidence")
    };
    assert_eq!(
        ev.requirements,
        otproof_catalog::traces::SIGNATURE_CHECK
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    let other = sigstore("bundle_v3.txt", Some("someone@else.example"));
    assert!(
        matches!(&other.check.outcome, CheckOutcome::Failed { check, .. } if check.contains("identity")),
        "{:?}",
        other.check.outcome
    );

    let repo = testdata("tuf/tuf-reference-impl");
    let tuf = |artifact: &Path| {
        release::verify_artifact(
            artifact,
            &ArtifactMethod::Tuf {
                repo: repo.clone(),
                root: testdata("tuf/tuf-reference-impl/metadata/1.root.json"),
                target: "file1.txt".into(),
            },
        )
        .expect("verify")
    };
    let ok = tuf(&testdata("tuf/tuf-reference-impl/targets/file1.txt"));
    assert!(ok.passed(), "{:?}", ok.check);
    assert!(matches!(ok.check.detail, Some(SignatureDetail::Tuf { .. })));
    let other = f.d.join("other.txt");
    std::fs::write(&other, b"not the target").expect("w");
    let bad = tuf(&other);
    assert!(matches!(bad.check.outcome, CheckOutcome::Failed { .. }));
    assert_eq!(bad.about, repo);
}

fn vulndb(d: &Path) -> PathBuf {
    let path = d.join("vulndb.sqlite");
    let mut db = otproof_vulndb::VulnDb::open(&path).expect("db");
    db.import(&[testdata("rio-2000/vulndb")], &mut |_| {})
        .expect("import");
    path
}

/// A campaign otproof ran on RIO-2000 `version` with open findings of these classes.
fn campaign(version: &str, open: &[(Behaviour, usize)]) -> RobustnessCampaign {
    let findings = open
        .iter()
        .flat_map(|(b, n)| (0..*n).map(move |i| (*b, i)))
        .map(|(b, i)| CampaignFinding {
            behaviour: b,
            message: format!("FC03 read holding registers #{i}"),
            code: 3,
            field: "quantity".into(),
            class: MutationClass::Boundary,
            observed: "no answer".into(),
            case: i as u64,
            reproducer: vec![],
            original: None,
            severity: Severity::High,
            cvss_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
            cvss_score: 7.5,
            requirements: vec!["CR 7.1".into()],
            occurrences: 1,
            effect: None,
            signature: String::new(),
            variants: None,
            confirmed: true,
            confirmation: None,
            minimization: None,
            sanitizer: None,
            status: FindingStatus::Open,
        })
        .collect();
    RobustnessCampaign {
        scope: CampaignScope {
            protocol: "modbus-tcp".into(),
            target: "127.0.0.1:5020".into(),
            unit_id: Some(1),
            vendor: "Example Automation".into(),
            product: "RIO-2000".into(),
            version: Some(version.into()),
            function_codes: vec![3],
        },
        configuration: CampaignConfiguration {
            protocol: "modbus-tcp".into(),
            target: "127.0.0.1:5020".into(),
            seed: 1,
            cases_limit: Some(1000),
            duration_limit_s: None,
            concurrency: 1,
            timeout_ms: 1000,
            degradation_factor: 10.0,
            started_at_case: 0,
        },
        result: CampaignResult {
            cases: 1000,
            undelivered: 0,
            undelivered_limit_percent: None,
            verdict: None,
            next_case: 1000,
            elapsed_s: 10.0,
            cases_per_second: 100.0,
            baseline_probe_ms: Some(1.0),
            stopped: None,
            target_identity: vec![],
        },
        coverage: CampaignCoverage::default(),
        provenance: None,
        rules: vec![],
        severity_rule: String::new(),
        requirements: vec!["CR 3.5".into()],
        requirement_verdicts: vec![],
        learned: None,
        findings,
    }
}

fn record_campaign(f: &mut Fixture, version: &str, open: &[(Behaviour, usize)]) -> RecordId {
    let c = campaign(version, open);
    let subject = otproof_workflow::campaign::subject_of(&c.scope);
    let ev = otproof_workflow::campaign::evidence(&c, subject).expect("evidence");
    otproof_workflow::records::append_idempotent(
        &mut f.store,
        Record::new("fuzz modbus", Body::Evidence(ev)),
    )
    .expect("append")
}

/// RIO-2000 4.2.0 and 4.3.0 signed and recorded, the 4.3.0 SBOM checked and recorded, a
/// campaign of 4.3.0 with `open` findings: the approval input for `from` -> 4.3.0.
fn ready(f: &mut Fixture, open: &[(Behaviour, usize)], from: &str) -> ApprovalInput {
    let (key, public) = key_pair(&f.d, "vendor", Alg::P256);
    sign(f, &key, "4.2.0", true);
    let (fw, env) = sign(f, &key, "4.3.0", true);
    let db = vulndb(&f.d);
    let checked = otproof_workflow::sbom::run_check(
        &otproof_workflow::sbom::CheckInput {
            sbom: testdata("rio-2000/rio-2000-4.3.0.cdx.json"),
            vex: vec![testdata("rio-2000/rio-2000.openvex.json")],
            policy: Some(testdata("rio-2000/policy.yaml")),
            max_age_days: None,
        },
        &otproof_workflow::sbom::open_matcher_at(&db).expect("matcher"),
    )
    .expect("check");
    otproof_workflow::sbom::record_check(&mut f.store, &checked, None).expect("record check");
    record_campaign(f, "4.3.0", open);
    ApprovalInput {
        artifact: fw,
        envelope: env,
        keys: vec![public],
        product: "RIO-2000".into(),
        from_version: from.into(),
        to_version: "4.3.0".into(),
        sbom: Some(testdata("rio-2000/rio-2000-4.3.0.cdx.json")),
        previous_sbom: Some(testdata("rio-2000/rio-2000-4.2.0.cdx.json")),
        policy: None,
        vulndb: db,
        decided_by: "asset owner".into(),
        allow_downgrade: None,
    }
}

fn failed(d: &otproof_evidence::Decision) -> Vec<String> {
    d.criteria
        .iter()
        .filter(|c| c.result == CriterionResult::Fail)
        .map(|c| c.id.clone())
        .collect()
}

#[test]
fn an_update_with_everything_on_record_is_approved_and_the_same_again() {
    let mut f = fixture();
    let input = ready(&mut f, &[(Behaviour::Conformance, 3)], "4.2.0");
    let a = release::approve_update(&mut f.store, &input).expect("approve");
    assert_eq!(
        a.decision.decision,
        Verdict::Approve,
        "{:?}",
        a.decision.criteria
    );
    let robust = &a.decision.criteria[3];
    assert_eq!(robust.id, "UPD-3");
    assert!(
        robust.description.contains("3 open conformance"),
        "{}",
        robust.description
    );
    // Same inputs again: the same decision, no error.
    let again = release::approve_update(&mut f.store, &input).expect("again");
    assert_eq!(again.decision.decision, Verdict::Approve);
    // A dry run decides the same and records nothing.
    let before = count(&f.store);
    let dry = release::evaluate_update(&f.store, &input).expect("dry run");
    assert_eq!(dry.decision.decision, Verdict::Approve);
    assert_eq!(count(&f.store), before);
}

#[test]
fn a_downgrade_or_re_install_is_refused_unless_justified() {
    let mut f = fixture();
    let input = ready(&mut f, &[], "4.4.0");
    let a = release::approve_update(&mut f.store, &input).expect("decide");
    assert_eq!(a.decision.decision, Verdict::Reject);
    assert_eq!(failed(&a.decision), vec!["UPD-0"]);
    assert!(a.decision.criteria[0].description.contains("downgrade"));
    let same = ApprovalInput {
        from_version: "4.3.0".into(),
        ..input.clone()
    };
    let a = release::approve_update(&mut f.store, &same).expect("decide");
    assert_eq!(failed(&a.decision), vec!["UPD-0"]);
    assert!(a.decision.criteria[0].description.contains("re-install"));
    // Allowed with a justification, which the recorded decision carries.
    let allowed = ApprovalInput {
        allow_downgrade: Some("4.4.0 breaks the I/O card (ticket 881)".into()),
        ..input.clone()
    };
    let a = release::approve_update(&mut f.store, &allowed).expect("decide");
    assert_eq!(a.decision.decision, Verdict::Approve);
    let stored = f.store.get(&a.id.to_string()).expect("get");
    let Body::Decision(d) = &stored.record.body else {
        panic!("decision")
    };
    assert_eq!(d.exceptions.len(), 1);
    assert_eq!(
        d.exceptions[0].justification,
        "4.4.0 breaks the I/O card (ticket 881)"
    );
    // A version that cannot be ordered, or an empty justification, is bad input: nothing
    // recorded.
    let before = count(&f.store);
    for bad in [
        ApprovalInput {
            from_version: "latest".into(),
            ..input.clone()
        },
        ApprovalInput {
            to_version: "4.3.0.beta".into(),
            ..input.clone()
        },
        ApprovalInput {
            allow_downgrade: Some(" ".into()),
            ..input.clone()
        },
    ] {
        assert!(release::approve_update(&mut f.store, &bad).is_err());
    }
    assert_eq!(count(&f.store), before);
}

#[test]
fn open_crash_or_hang_findings_of_the_campaign_fail_robustness() {
    let mut f = fixture();
    let input = ready(
        &mut f,
        &[(Behaviour::Crash, 40), (Behaviour::Hang, 30)],
        "4.2.0",
    );
    let a = release::approve_update(&mut f.store, &input).expect("decide");
    assert_eq!(a.decision.decision, Verdict::Reject);
    assert_eq!(failed(&a.decision), vec!["UPD-3"]);
    assert!(
        a.decision.criteria[3]
            .description
            .contains("40 open crash, 30 open hang"),
        "{}",
        a.decision.criteria[3].description
    );
}

#[test]
fn without_the_new_sbom_nothing_is_decided_or_recorded() {
    let mut f = fixture();
    let input = ready(&mut f, &[], "4.2.0");
    let before = count(&f.store);
    let e = release::approve_update(
        &mut f.store,
        &ApprovalInput {
            sbom: None,
            ..input.clone()
        },
    )
    .expect_err("no --sbom");
    assert!(e.to_string().contains("--sbom is required"), "{e}");
    assert_eq!(count(&f.store), before);
    // A policy that does not compare vulnerabilities decides without it.
    let policy = f.d.join("no-compare.yaml");
    std::fs::write(&policy, "reject_introduced_at: null\n").expect("w");
    let a = release::approve_update(
        &mut f.store,
        &ApprovalInput {
            sbom: None,
            policy: Some(policy),
            ..input
        },
    )
    .expect("decide");
    assert_eq!(
        a.decision.decision,
        Verdict::Approve,
        "{:?}",
        a.decision.criteria
    );
    assert!(!a.decision.criteria.iter().any(|c| c.id == "UPD-5"));
}
