//! Product acceptance on the RIO-2000 sample package and on synthetic facts.

use otproof_assess::acceptance::{
    decide, default_criteria, parse_criteria, parse_criteria_over, parse_package, CertificateFact,
    Criteria, CriterionKind, DocumentFact, ExceptionDef, PackageFacts, PackageManifest,
    RobustnessFact, SbomFact, SignatureFact, DOC_HARDENING_GUIDE, DOC_PATCH_POLICY,
    DOC_SUPPORT_STATEMENT,
};
use otproof_assess::{build_specification, SpecParams};
use otproof_catalog::{Catalog, ComponentType};
use otproof_evidence::Verdict;
use otproof_evidence::{CriterionResult, RecordId};
use proptest::prelude::*;

const MANIFEST: &str = include_str!("../../../testdata/rio-2000/package/package.yaml");
const CRITERIA: &str = include_str!("../../../testdata/rio-2000/package/criteria.yaml");
const TODAY: &str = "2026-11-26";

fn id(n: u8) -> RecordId {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
        .parse()
        .expect("id")
}

fn manifest() -> PackageManifest {
    parse_package(MANIFEST).expect("sample manifest parses")
}

/// Everything the sample package promises, checked and in order.
fn good_facts() -> PackageFacts {
    PackageFacts {
        sbom: Some(SbomFact {
            record: Some(id(1)),
            policy_passed: true,
            open_kev: 0,
            open_high_without_vex: 0,
            reasons: vec![],
        }),
        signature: Some(SignatureFact {
            record: Some(id(2)),
            verified: true,
            detail: "DSSE signature by key ab12; firmware digest matches".into(),
        }),
        robustness: vec![
            RobustnessFact {
                record: Some(id(3)),
                protocol: "Modbus/TCP".into(),
                cases: 12_000,
                open_crash_or_hang: 0,
                open_conformance: 2,
            },
            RobustnessFact {
                record: Some(id(4)),
                protocol: "mqtt".into(),
                cases: 3_000,
                open_crash_or_hang: 0,
                open_conformance: 0,
            },
        ],
        certificates: vec![CertificateFact {
            record: Some(id(5)),
            scheme: "IECEE".into(),
            issuer: Some("Example CB".into()),
            issued: Some("2024-09-01".into()),
            file_problem: None,
            scope: "IEC 62443-4-1 process of Example Automation, ML 2".into(),
            number: "DEMO-IECEE-4-1-0042".into(),
            expires: "2027-08-31".into(),
        }],
        documents: [DOC_HARDENING_GUIDE, DOC_PATCH_POLICY, DOC_SUPPORT_STATEMENT]
            .iter()
            .enumerate()
            .map(|(i, w)| DocumentFact {
                record: Some(id(6 + i as u8)),
                what: w.to_string(),
                present: true,
                problem: None,
            })
            .collect(),
        end_of_support: Some("2036-12-31".into()),
        unproven: vec![],
    }
}

fn results(d: &otproof_evidence::Decision) -> Vec<(&str, CriterionResult)> {
    d.criteria
        .iter()
        .map(|c| (c.id.as_str(), c.result))
        .collect()
}

fn failed(d: &otproof_evidence::Decision) -> Vec<&str> {
    d.criteria
        .iter()
        .filter(|c| c.result == CriterionResult::Fail)
        .map(|c| c.id.as_str())
        .collect()
}

#[test]
fn sample_manifest_parses() {
    let m = manifest();
    assert_eq!(m.product, "RIO-2000");
    assert_eq!(m.vendor, "Example Automation");
    assert_eq!(m.version, "4.3.0");
    assert_eq!(m.component_type, ComponentType::EmbeddedDevice);
    assert_eq!(m.sbom.as_deref(), Some("rio-2000-4.3.0.cdx.json"));
    assert_eq!(m.vex, vec!["rio-2000.openvex.json"]);
    assert!(m.has_signed_release());
    assert_eq!(m.robustness, vec!["robustness/evidence.json"]);
    assert_eq!(m.certificates.len(), 1);
    assert_eq!(m.certificates[0].scheme, "IECEE");
    assert_eq!(m.certificates[0].expires, "2027-08-31");
    let s = m.support.as_ref().expect("support");
    assert_eq!(s.end_of_support, "2036-12-31");
    assert_eq!(s.statement.as_deref(), Some("support-statement.md"));
    let roles: Vec<&str> = m.files().iter().map(|(r, _)| *r).collect();
    assert_eq!(
        roles,
        vec![
            "sbom",
            "vex",
            "firmware",
            "envelope",
            "vendor_key",
            "robustness",
            "certificate",
            DOC_SUPPORT_STATEMENT,
            DOC_HARDENING_GUIDE,
            DOC_PATCH_POLICY
        ]
    );
}

#[test]
fn a_minimal_manifest_needs_only_the_identity() {
    let m =
        parse_package("product: P\nvendor: V\nversion: '1.0'\ncomponent_type: network-device\n")
            .expect("minimal");
    assert!(m.files().is_empty());
    assert!(!m.has_signed_release());
    assert_eq!(m.component_type, ComponentType::NetworkDevice);
}

#[test]
fn sample_criteria_parse_over_the_defaults() {
    let c = parse_criteria(CRITERIA).expect("sample criteria parse");
    let ids: Vec<&str> = c.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "SBOM-1",
            "SBOM-2",
            "VULN-3",
            "UPD-1",
            "ROB-1",
            "PATCH-1",
            "PATCH-5",
            "PATCH-DOC",
            "DOC-1",
            "CERT-1",
            "ROB-1-MQTT"
        ]
    );
    let rob = &c.items[4];
    assert_eq!(
        rob.kind,
        CriterionKind::RobustnessEvidence {
            protocols: vec!["modbus-tcp".into()]
        }
    );
    assert!(
        rob.description.contains("modbus-tcp"),
        "{}",
        rob.description
    );
    let mqtt = &c.items[10];
    assert!(mqtt.required);
    assert_eq!(mqtt.refs, vec!["CR 3.5", "CR 7.1", "SVV-3"]);
    let cert = &c.items[9];
    assert!(!cert.required);
    assert_eq!(
        cert.kind,
        CriterionKind::CertificateValid {
            scheme: Some("IECEE".into())
        }
    );
    assert_eq!(c.exceptions.len(), 1);
    assert_eq!(c.exceptions[0].criterion, "ROB-1-MQTT");
    assert_eq!(
        c.exceptions[0].owner,
        "OT security lead, Line 3 (J. Example)"
    );
    assert_eq!(c.exceptions[0].until.as_deref(), Some("2027-06-30"));
    assert!(c.exceptions[0].justification.starts_with("MQTT telemetry"));
    assert_eq!(c.warn_days_before_eos, 365);
}

#[test]
fn all_pass_accepts_and_cites_every_record() {
    let r = decide(
        &manifest(),
        &default_criteria(None),
        &good_facts(),
        "2026-01-15",
        "buyer",
    );
    let d = &r.decision;
    assert_eq!(d.decision, Verdict::Accept, "{:?}", results(d));
    assert!(d.exceptions.is_empty());
    assert_eq!(d.references, (1..=8).map(id).collect::<Vec<_>>());
    assert_eq!(d.decided_by, "buyer");
    assert_eq!(d.title, "Acceptance of Example Automation RIO-2000 4.3.0");
    for want in ["SM-9", "CR 3.4", "CR 3.5", "SUM-5", "SG-1", "SVV-5"] {
        assert!(d.requirements.contains(&want.to_string()), "{want}");
    }
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(r
        .limitations
        .iter()
        .any(|l| l.contains("vendor key came with the package")));
    // The Decision is the evidence crate's type: it serializes as a record body would.
    let json = serde_json::to_value(&r).expect("serializes");
    assert_eq!(json["decision"]["decision"], "accept");
    assert_eq!(json["decision"]["payload"]["summary"]["pass"], 10);
    // The payload is the typed acceptance payload.
    let p = <otproof_evidence::payload::acceptance::AcceptancePayload as otproof_evidence::Payload>::from_value(&d.payload)
        .expect("typed payload");
    assert_eq!(p.summary.pass, 10);
    assert_eq!(p.limitations, r.limitations);
}

#[test]
fn unproven_evidence_is_named_in_the_warnings() {
    let mut facts = good_facts();
    facts.unproven = vec!["sha256:ab: no inclusion proof from the store".into()];
    let r = decide(&manifest(), &default_criteria(None), &facts, TODAY, "buyer");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("not proven") && w.contains("sha256:ab")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_failed_required_criterion_with_an_exception_accepts_with_exceptions() {
    let mut facts = good_facts();
    facts.robustness.retain(|r| r.protocol != "mqtt");
    let criteria = parse_criteria(CRITERIA).expect("criteria");
    let r = decide(&manifest(), &criteria, &facts, TODAY, "buyer");
    let d = &r.decision;
    assert_eq!(
        d.decision,
        Verdict::AcceptWithExceptions,
        "{:?}",
        results(d)
    );
    let mqtt = d
        .criteria
        .iter()
        .find(|c| c.id == "ROB-1-MQTT")
        .expect("criterion");
    assert_eq!(mqtt.result, CriterionResult::Exception);
    assert!(
        mqtt.description.contains("missing: mqtt"),
        "{}",
        mqtt.description
    );
    let rob = d.criteria.iter().find(|c| c.id == "ROB-1").expect("ROB-1");
    assert_eq!(rob.result, CriterionResult::Pass);
    assert_eq!(rob.evidence, vec![id(3)]);
    assert_eq!(d.exceptions.len(), 1);
    assert_eq!(d.exceptions[0].criterion, "ROB-1-MQTT");
    assert_eq!(
        d.exceptions[0].owner,
        "OT security lead, Line 3 (J. Example)"
    );
    assert_eq!(d.exceptions[0].until.as_deref(), Some("2027-06-30"));
    // The sample certificate expires within a year of the decision.
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("DEMO-IECEE-4-1-0042") && w.contains("expires on 2027-08-31")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_failed_required_criterion_without_exception_rejects() {
    let mut facts = good_facts();
    facts.signature = Some(SignatureFact {
        record: Some(id(2)),
        verified: false,
        detail: "firmware digest does not match the signed statement".into(),
    });
    let r = decide(&manifest(), &default_criteria(None), &facts, TODAY, "buyer");
    assert_eq!(r.decision.decision, Verdict::Reject);
    assert_eq!(failed(&r.decision), vec!["UPD-1"]);
    assert!(r.decision.criteria[3]
        .description
        .contains("does not match"));

    // No SBOM: every SBOM criterion fails, and says why.
    let mut facts = good_facts();
    facts.sbom = None;
    let r = decide(&manifest(), &default_criteria(None), &facts, TODAY, "buyer");
    assert_eq!(failed(&r.decision), vec!["SBOM-1", "SBOM-2", "VULN-3"]);

    // An open crash finding fails robustness even with every protocol covered.
    let mut facts = good_facts();
    facts.robustness[0].open_crash_or_hang = 1;
    let r = decide(&manifest(), &default_criteria(None), &facts, TODAY, "buyer");
    assert_eq!(failed(&r.decision), vec!["ROB-1"]);

    // An open KEV rejects; an exception for another criterion does not help.
    let mut facts = good_facts();
    if let Some(s) = facts.sbom.as_mut() {
        s.open_kev = 1;
    }
    let mut c = default_criteria(None);
    c.exceptions.push(ExceptionDef {
        criterion: "SBOM-1".into(),
        justification: "j".into(),
        owner: "o".into(),
        until: None,
    });
    let r = decide(&manifest(), &c, &facts, TODAY, "buyer");
    assert_eq!(r.decision.decision, Verdict::Reject);
    assert!(r.decision.exceptions.is_empty());
    assert!(r
        .warnings
        .iter()
        .any(|w| w.contains("exception for SBOM-1") && w.contains("criterion is met")));
}

#[test]
fn an_expired_exception_does_not_count() {
    let mut facts = good_facts();
    facts.robustness.retain(|r| r.protocol != "mqtt");
    // Ten years of support from mid-2027 on.
    facts.end_of_support = Some("2040-12-31".into());
    let criteria = parse_criteria(CRITERIA).expect("criteria");
    // The until day itself still counts ...
    let r = decide(&manifest(), &criteria, &facts, "2027-06-30", "buyer");
    assert_eq!(r.decision.decision, Verdict::AcceptWithExceptions);
    // ... the day after it does not.
    let r = decide(&manifest(), &criteria, &facts, "2027-07-01", "buyer");
    assert_eq!(r.decision.decision, Verdict::Reject);
    assert_eq!(failed(&r.decision), vec!["ROB-1-MQTT"]);
    assert!(r.decision.exceptions.is_empty());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("ROB-1-MQTT") && w.contains("expired on 2027-06-30")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn support_and_certificates_warn_within_the_window() {
    let mut facts = good_facts();
    facts.end_of_support = Some("2027-03-31".into());
    let mut c = default_criteria(None);
    c.items.retain(|i| i.id != "PATCH-1");
    let r = decide(&manifest(), &c, &facts, TODAY, "buyer");
    assert_eq!(r.decision.decision, Verdict::Accept);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("security support ends on 2027-03-31, in 125 days")),
        "{:?}",
        r.warnings
    );
    // Already ended.
    facts.end_of_support = Some("2026-10-31".into());
    facts.certificates[0].expires = "2026-11-25".into();
    let r = decide(&manifest(), &c, &facts, TODAY, "buyer");
    assert!(r
        .warnings
        .iter()
        .any(|w| w.starts_with("security support ended on 2026-10-31, 26 days ago")));
    assert!(r
        .warnings
        .iter()
        .any(|w| w.contains("expired on 2026-11-25, 1 day ago")));
    // The certificate criterion is optional by default: not met, it warns, is shown as
    // optional (not a fail) and does not reject.
    let cert = r
        .decision
        .criteria
        .iter()
        .find(|c| c.id == "CERT-1")
        .expect("CERT-1");
    assert_eq!(cert.result, CriterionResult::NotApplicable);
    assert!(
        cert.description.contains("optional, not met"),
        "{}",
        cert.description
    );
    assert_eq!(r.decision.decision, Verdict::Accept);
    assert!(r
        .warnings
        .iter()
        .any(|w| w.starts_with("optional criterion CERT-1")));
    // Outside the window: no warning.
    let mut c2 = c.clone();
    c2.warn_days_before_eos = 30;
    facts.end_of_support = Some("2027-03-31".into());
    facts.certificates[0].expires = "2030-01-01".into();
    let r = decide(&manifest(), &c2, &facts, TODAY, "buyer");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn support_lifetime_is_measured_from_the_decision_date() {
    let mut facts = good_facts();
    let c = default_criteria(None);
    facts.end_of_support = Some("2036-11-25".into());
    let r = decide(&manifest(), &c, &facts, TODAY, "buyer");
    assert_eq!(failed(&r.decision), vec!["PATCH-1"]);
    facts.end_of_support = Some("2036-11-26".into());
    let r = decide(&manifest(), &c, &facts, TODAY, "buyer");
    assert!(failed(&r.decision).is_empty());
}

#[test]
fn an_invalid_today_fails_date_criteria_and_says_so() {
    let r = decide(
        &manifest(),
        &default_criteria(None),
        &good_facts(),
        "26.11.2026",
        "buyer",
    );
    assert_eq!(r.decision.decision, Verdict::Reject);
    assert!(failed(&r.decision).contains(&"PATCH-1"));
    assert!(r.warnings[0].contains("not YYYY-MM-DD"));
}

#[test]
fn defaults_follow_the_specification() {
    let mut params = SpecParams::new(
        ComponentType::EmbeddedDevice,
        "2,2,2,2,2,2,2".parse().expect("sl"),
    );
    params.support_years = 15;
    let spec = build_specification(Catalog::builtin(), &params).expect("spec");
    let c = default_criteria(Some(&spec));
    let patch = c.items.iter().find(|i| i.id == "PATCH-1").expect("PATCH-1");
    assert_eq!(patch.kind, CriterionKind::SupportUntil { min_years: 15 });
    assert!(patch.description.starts_with("Support lifetime:"));
    let upd = c.items.iter().find(|i| i.id == "UPD-1").expect("UPD-1");
    let spec_upd = spec
        .policies
        .iter()
        .flat_map(|p| &p.items)
        .find(|i| i.id == "UPD-1")
        .expect("spec UPD-1");
    assert_eq!(upd.refs, spec_upd.refs);
    for i in &c.items {
        assert!(!i.refs.is_empty(), "{}", i.id);
        for r in &i.refs {
            assert!(Catalog::builtin().get(r).is_some(), "{r}");
        }
    }
    // A criteria file changes only what it names, over the spec's defaults.
    let c2 = parse_criteria_over("items:\n  - id: ROB-1\n    protocols: [dnp3]\n", c.clone())
        .expect("override");
    let rob = c2.items.iter().find(|i| i.id == "ROB-1").expect("ROB-1");
    let rob0 = c.items.iter().find(|i| i.id == "ROB-1").expect("ROB-1");
    assert_eq!(rob.refs, rob0.refs);
    assert!(
        rob.description.starts_with("Robustness testing"),
        "{}",
        rob.description
    );
    assert!(rob.description.contains("dnp3"));
    let none = parse_criteria("base: none\nitems:\n  - id: X\n    kind: signature-verified\n")
        .expect("base none");
    assert_eq!(none.items.len(), 1);
    assert_eq!(none.items[0].refs, vec!["CR 3.4", "CR 3.4 RE1", "SUM-4"]);
}

fn err_manifest(text: &str) -> (u64, u64, String) {
    let e = parse_package(text).expect_err(text);
    assert!(e.to_string().starts_with("package manifest"), "{e}");
    (e.line, e.column, e.message)
}

fn err_criteria(text: &str) -> (u64, u64, String) {
    let e = parse_criteria(text).expect_err(text);
    assert!(e.to_string().starts_with("criteria"), "{e}");
    (e.line, e.column, e.message)
}

const HEAD: &str = "product: P\nvendor: V\nversion: '1'\ncomponent_type: embedded-device\n";

#[test]
fn bad_manifests_say_where_and_what_was_expected() {
    let (l, c, m) = err_manifest(&format!("{HEAD}firmwre: a.bin\n"));
    assert_eq!((l, c), (5, 1));
    assert!(m.contains("unknown field `firmwre`"), "{m}");
    assert!(
        m.contains("firmware") && m.contains("hardening_guide"),
        "{m}"
    );

    let (l, _, m) = err_manifest("product: P\nvendor: V\ncomponent_type: host-device\n");
    assert!(l >= 1);
    assert!(
        m.contains("missing field `version`") && m.contains("expected"),
        "{m}"
    );

    let (l, c, m) = err_manifest(&format!("{HEAD}support:\n  end_of_support: 31.12.2036\n"));
    assert_eq!((l, c), (6, 19));
    assert!(m.contains("expected YYYY-MM-DD"), "{m}");

    let (l, c, m) = err_manifest(&format!(
        "{HEAD}certificates:\n  - scheme: IECEE\n    scope: s\n    number: n\n    expires: 2027-02-30\n"
    ));
    assert_eq!((l, c), (9, 14));
    assert!(m.contains("2027-02-30"), "{m}");

    let (l, c, m) = err_manifest("product: P\nvendor: V\nversion: '1'\ncomponent_type: toaster\n");
    assert_eq!((l, c), (4, 17));
    assert!(m.contains("expected one of software-application"), "{m}");

    let (l, _, m) = err_manifest(&format!("{HEAD}firmware: fw.bin\n"));
    assert_eq!(l, 5);
    assert!(m.contains("envelope and vendor_key missing"), "{m}");

    let (l, c, m) = err_manifest(&format!("{HEAD}vex: one.json\n"));
    assert_eq!(l, 5);
    assert!(c > 0);
    assert!(m.contains("expected"), "{m}");

    let (l, c, m) = err_manifest("   \n");
    assert_eq!((l, c), (1, 1));
    assert!(m.contains("expected a mapping"), "{m}");

    let (_, _, m) = err_manifest(&format!("{HEAD}sbom: ''\n"));
    assert!(m.contains("sbom is empty"), "{m}");
}

#[test]
fn bad_criteria_say_where_and_what_was_expected() {
    let (l, c, m) = err_criteria("items:\n  - id: ROB-1\n    protocol: [mqtt]\n");
    assert_eq!((l, c), (3, 5));
    assert!(
        m.contains("unknown field `protocol`") && m.contains("protocols"),
        "{m}"
    );

    let (l, c, m) = err_criteria("items:\n  - id: X-1\n    kind: magic\n");
    assert_eq!((l, c), (3, 11));
    assert!(m.contains("expected one of sbom-policy-passed"), "{m}");

    let (l, _, m) = err_criteria("items:\n  - id: X-1\n");
    assert_eq!(l, 2);
    assert!(m.contains("needs a kind"), "{m}");

    let (_, _, m) = err_criteria("items:\n  - id: UPD-1\n    protocols: [mqtt]\n");
    assert!(
        m.contains("protocols applies to kind robustness-evidence"),
        "{m}"
    );

    let (l, c, m) = err_criteria("items:\n  - id: ROB-1\n    refs: [CR 99.9]\n");
    assert_eq!((l, c), (3, 12));
    assert!(m.contains("not in the IEC 62443 catalog"), "{m}");

    let (l, c, m) =
        err_criteria("exceptions:\n  - criterion: ROB-9\n    justification: j\n    owner: o\n");
    assert_eq!((l, c), (2, 16));
    assert!(m.contains("expected one of SBOM-1"), "{m}");

    let (l, c, m) = err_criteria(
        "exceptions:\n  - criterion: ROB-1\n    justification: j\n    owner: o\n    until: soon\n",
    );
    assert_eq!((l, c), (5, 12));
    assert!(m.contains("expected YYYY-MM-DD"), "{m}");

    let (_, _, m) = err_criteria("exceptions:\n  - criterion: ROB-1\n    justification: j\n");
    assert!(
        m.contains("missing field `owner`") && m.contains("expected"),
        "{m}"
    );

    let (l, _, m) = err_criteria("drop: [NOPE]\n");
    assert_eq!(l, 1);
    assert!(m.contains("not a criterion of the base"), "{m}");

    let (_, _, m) = err_criteria("base: some\n");
    assert!(m.contains("expected defaults or none"), "{m}");

    let (_, _, m) = err_criteria(
        "items:\n  - id: A\n    kind: no-open-kev\n  - id: A\n    kind: no-open-kev\n",
    );
    assert!(m.contains("listed twice"), "{m}");

    let (_, _, m) = err_criteria("items:\n  - id: S\n    kind: support-until\n");
    assert!(m.contains("needs min_years"), "{m}");

    let (_, _, m) = err_criteria("warn_days_before_eos: -3\n");
    assert!(!m.is_empty());
}

#[test]
fn criteria_round_trip_through_json() {
    let c: Criteria = parse_criteria(CRITERIA).expect("criteria");
    let json = serde_json::to_string(&c).expect("json");
    let back: Criteria = serde_json::from_str(&json).expect("back");
    assert_eq!(back, c);
    let f = good_facts();
    let back: PackageFacts =
        serde_json::from_str(&serde_json::to_string(&f).expect("json")).expect("back");
    assert_eq!(back, f);
}

proptest! {
    #[test]
    fn parsing_never_panics(text in "\\PC{0,200}") {
        let _ = parse_package(&text);
        let _ = parse_criteria(&text);
    }

    #[test]
    fn parsing_mutated_samples_never_panics(cut in 0usize..2000, insert in "[ :\\-\\[\\]{}#'\"\n\ta-z0-9]{0,8}") {
        for sample in [MANIFEST, CRITERIA] {
            let mut at = cut.min(sample.len());
            while !sample.is_char_boundary(at) {
                at -= 1;
            }
            let text = format!("{}{}{}", &sample[..at], insert, &sample[at..]);
            if let Err(e) = parse_package(&text) {
                prop_assert!(!e.message.is_empty());
            }
            if let Err(e) = parse_criteria(&text) {
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn decide_never_panics_and_exceptions_never_reject(today in "20[0-9]{2}-[01][0-9]-[0-3][0-9]", drop_mqtt: bool, crash: bool) {
        let mut facts = good_facts();
        if drop_mqtt {
            facts.robustness.retain(|r| r.protocol != "mqtt");
        }
        facts.robustness[0].open_crash_or_hang = usize::from(crash);
        let c = parse_criteria(CRITERIA).expect("criteria");
        let r = decide(&manifest(), &c, &facts, &today, "p");
        let d = &r.decision;
        let any_fail_required = d.criteria.iter().zip(&c.items)
            .any(|(x, def)| def.required && x.result == CriterionResult::Fail);
        prop_assert_eq!(d.decision == Verdict::Reject, any_fail_required);
        prop_assert_eq!(d.decision == Verdict::AcceptWithExceptions, !any_fail_required && !d.exceptions.is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// Issue 14: acceptance checks content, paths stay in the package, optional is optional.
// ---------------------------------------------------------------------------------------

use otproof_assess::acceptance::{
    certificate_problems, check_document, path_problem, DocumentCheck, DocumentType,
};

fn with_doc_problem(what: &str, problem: &str) -> PackageFacts {
    let mut facts = good_facts();
    for d in &mut facts.documents {
        if d.what == what {
            d.problem = Some(problem.into());
        }
    }
    facts
}

#[test]
fn empty_documents_fail_their_criteria_with_the_reason() {
    for (what, criterion) in [
        (DOC_SUPPORT_STATEMENT, "PATCH-5"),
        (DOC_HARDENING_GUIDE, "DOC-1"),
        (DOC_PATCH_POLICY, "PATCH-DOC"),
    ] {
        let facts = with_doc_problem(what, "it is empty (0 bytes)");
        let r = decide(&manifest(), &default_criteria(None), &facts, TODAY, "buyer");
        assert_eq!(r.decision.decision, Verdict::Reject, "{what}");
        assert_eq!(failed(&r.decision), vec![criterion]);
        let c = r
            .decision
            .criteria
            .iter()
            .find(|c| c.id == criterion)
            .expect("criterion");
        assert!(
            c.description.contains("empty (0 bytes)"),
            "{}",
            c.description
        );
        assert!(c.evidence.is_empty(), "an empty document is no evidence");
    }
}

#[test]
fn document_content_is_checked() {
    assert_eq!(
        check_document(b""),
        DocumentCheck::Unusable("it is empty (0 bytes)".into())
    );
    assert!(
        matches!(check_document(b" \n\t\n"), DocumentCheck::Unusable(m) if m.contains("empty"))
    );
    assert!(
        matches!(check_document(b"<html><body></body></html>"), DocumentCheck::Unusable(m) if m.contains("no content"))
    );
    assert!(matches!(
        check_document(b"# \n"),
        DocumentCheck::Unusable(_)
    ));
    assert!(
        matches!(check_document(b"\x7fELF\x02\x01\x01\0\0\0"), DocumentCheck::Unusable(m) if m.contains("binary"))
    );
    assert!(matches!(
        check_document(b"\xff\xd8\xff\xe0 jpeg"),
        DocumentCheck::Unusable(_)
    ));
    assert!(
        matches!(check_document(b"PK\x03\x04docx"), DocumentCheck::Unusable(m) if m.contains("ZIP"))
    );
    assert!(
        matches!(check_document(b"%PDF-1.7\n"), DocumentCheck::Unusable(m) if m.contains("%%EOF"))
    );
    assert_eq!(
        check_document(b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"),
        DocumentCheck::Readable(DocumentType::Pdf)
    );
    assert_eq!(
        check_document(b"# Hardening guide\n\nDisable the web server.\n"),
        DocumentCheck::Readable(DocumentType::Text)
    );
    assert_eq!(
        check_document("\u{feff}Patch policy: monthly updates.".as_bytes()),
        DocumentCheck::Readable(DocumentType::Text)
    );
    // A private key is never a document, whatever it is called.
    for key in [
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n",
        "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----\n",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
        "# notes\n\nsome words here\n-----BEGIN RSA PRIVATE KEY-----\nx\n",
    ] {
        assert!(
            matches!(check_document(key.as_bytes()), DocumentCheck::Secret(_)),
            "{key}"
        );
    }
}

fn cert(number: &str, scheme: &str, expires: &str) -> CertificateFact {
    CertificateFact {
        record: Some(id(5)),
        scheme: scheme.into(),
        issuer: Some("exida".into()),
        issued: None,
        file_problem: None,
        scope: "IEC 62443-4-2 component RIO-2000".into(),
        number: number.into(),
        expires: expires.into(),
    }
}

fn today_n() -> i64 {
    // 2026-11-26
    20_418
}

#[test]
fn an_implausible_certificate_does_not_count() {
    // The attack: "ISASecure, number 0, expires 2099".
    let p = certificate_problems(
        &cert("0", "ISASecure", "2099-12-31"),
        "Example Automation",
        "RIO-2000",
        today_n(),
        None,
    );
    assert!(p.iter().any(|m| m.contains("number '0'")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("more than 10 years")), "{p:?}");
    let mut facts = good_facts();
    facts.certificates = vec![cert("0", "ISASecure", "2099-12-31")];
    let mut c = default_criteria(None);
    let r = decide(&manifest(), &c, &facts, TODAY, "buyer");
    let c1 = r
        .decision
        .criteria
        .iter()
        .find(|c| c.id == "CERT-1")
        .expect("CERT-1");
    assert_eq!(
        c1.result,
        CriterionResult::NotApplicable,
        "optional, not met"
    );
    assert!(c1.description.contains("not counted"), "{}", c1.description);
    assert!(c1.evidence.is_empty());
    // Required: it rejects.
    for i in &mut c.items {
        if i.id == "CERT-1" {
            i.required = true;
        }
    }
    let r = decide(&manifest(), &c, &facts, TODAY, "buyer");
    assert_eq!(r.decision.decision, Verdict::Reject);
    assert_eq!(failed(&r.decision), vec!["CERT-1"]);

    // Each rule on its own.
    let ok = cert("ISA-CSA-2025-0113", "ISASecure CSA", "2028-06-30");
    let judge = |c: &CertificateFact| {
        certificate_problems(c, "Example Automation GmbH", "RIO-2000", today_n(), None)
    };
    assert!(judge(&ok).is_empty(), "{:?}", judge(&ok));
    for n in ["", "000-000", "N/A", "tbd", "12", "ABCDEF"] {
        assert!(!judge(&cert(n, "IECEE", "2028-06-30")).is_empty(), "{n}");
    }
    let mut no_issuer = ok.clone();
    no_issuer.issuer = None;
    assert!(judge(&no_issuer).iter().any(|m| m.contains("issuer")));
    assert!(judge(&cert("CB-12345", "Bob's certificates", "2028-06-30"))
        .iter()
        .any(|m| m.contains("not a known certification scheme")));
    // A scheme the criterion names is accepted.
    assert!(certificate_problems(
        &cert("CB-12345", "Bob's certificates", "2028-06-30"),
        "Example Automation",
        "RIO-2000",
        today_n(),
        Some("Bob's certificates")
    )
    .is_empty());
    let mut far = ok.clone();
    far.issued = Some("2016-01-01".into());
    assert!(judge(&far)
        .iter()
        .any(|m| m.contains("more than 10 years after its issue")));
    let mut future = ok.clone();
    future.issued = Some("2027-01-01".into());
    assert!(judge(&future)
        .iter()
        .any(|m| m.contains("after the decision date")));
    let mut scope = ok.clone();
    scope.scope = "IEC 62443-4-1 process".into();
    assert!(judge(&scope).iter().any(|m| m.contains("names neither")));
    scope.scope = "secure development process of Example Automation".into();
    assert!(
        judge(&scope).is_empty(),
        "the vendor without its legal form"
    );
    let mut file = ok.clone();
    file.file_problem = Some("it is empty (0 bytes)".into());
    assert!(judge(&file).iter().any(|m| m.contains("empty (0 bytes)")));
}

#[test]
fn an_absent_optional_criterion_is_not_a_fail() {
    let mut facts = good_facts();
    facts.certificates.clear();
    let r = decide(&manifest(), &default_criteria(None), &facts, TODAY, "buyer");
    assert_eq!(r.decision.decision, Verdict::Accept);
    assert!(failed(&r.decision).is_empty());
    let p = <otproof_evidence::payload::acceptance::AcceptancePayload as otproof_evidence::Payload>::from_value(&r.decision.payload)
        .expect("typed payload");
    assert_eq!(
        (p.summary.pass, p.summary.fail, p.summary.optional_not_met),
        (9, 0, 1)
    );
    assert_eq!(p.optional, vec!["CERT-1".to_string()]);
}

#[test]
fn manifest_paths_stay_in_the_package() {
    for (bad, why) in [
        ("/some/where/signer.key", "absolute"),
        ("\\\\server\\share\\x.md", "absolute"),
        ("C:\\keys\\signer.key", "drive letter"),
        ("~/signer.key", "absolute"),
        ("../signer.key", "'..'"),
        ("docs/../../signer.key", "'..'"),
        ("docs\\..\\..\\x", "'..'"),
    ] {
        assert!(path_problem(bad).is_some_and(|w| w.contains(why)), "{bad}");
        let text = format!(
            "product: P\nvendor: V\nversion: '1'\ncomponent_type: embedded-device\npatch_policy: '{bad}'\n"
        );
        let e = parse_package(&text).expect_err(bad);
        assert!(
            e.message.contains("patch_policy") && e.message.contains(bad),
            "{e}"
        );
        assert_eq!(e.line, 5);
    }
    for ok in ["policy.md", "docs/policy.md", "./docs/p.md", "a..b.md"] {
        assert_eq!(path_problem(ok), None, "{ok}");
    }
    let e = parse_package(
        "product: P\nvendor: V\nversion: '1'\ncomponent_type: embedded-device\ncertificates:\n  - file: /etc/passwd\n    scheme: IECEE\n    scope: P\n    number: CB-1234\n    expires: 2027-01-01\n",
    )
    .expect_err("absolute certificate file");
    assert!(e.message.contains("certificates[0].file"), "{e}");
}
