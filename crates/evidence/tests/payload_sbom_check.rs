//! The `sbom-check` payload: round trips, `null` for absent optional fields, typed enums.

mod common;

use otproof_evidence::payload::sbom_check::*;
use otproof_evidence::payload::Payload;
use std::collections::BTreeMap;

fn sample() -> SbomCheck {
    SbomCheck {
        sbom: SbomIdentity {
            format: "CycloneDX JSON 1.5".into(),
            serial: Some("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79".into()),
            subject: Some("RIO-2000 4.2.0".into()),
            created: Some("2026-01-01T00:00:00Z".into()),
            components: 2,
            problems: vec!["components[1].purl: not a package URL".into()],
        },
        ntia: Ntia {
            elements: vec![
                NtiaElement {
                    element: "supplier".into(),
                    ok: false,
                    missing: vec!["c2".into()],
                },
                NtiaElement {
                    element: "timestamp".into(),
                    ok: true,
                    missing: vec![],
                },
            ],
        },
        components: vec![
            ComponentMatches {
                bom_ref: "c1".into(),
                name: "openssl".into(),
                version: Some("3.0.1".into()),
                purl: Some("pkg:generic/openssl@3.0.1".into()),
                cpe: None,
                supplier: Some("OpenSSL".into()),
                hashes: 1,
                path: vec!["firmware".into()],
                lookup: Lookup::Purl,
                vulnerabilities: vec![
                    VulnMatch {
                        id: "OSV-1".into(),
                        aliases: vec!["CVE-2026-0001".into()],
                        summary: Some("overflow".into()),
                        severity: Some(VulnSeverity::Critical),
                        score: Some(9.8),
                        cvss: vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()],
                        kev: true,
                        fixed: Some("3.0.2".into()),
                        confidence: Confidence::Purl,
                        evaluable: true,
                        note: None,
                        vex: None,
                    },
                    VulnMatch {
                        id: "OSV-2".into(),
                        aliases: vec![],
                        summary: None,
                        severity: None,
                        score: None,
                        cvss: vec![],
                        kev: false,
                        fixed: None,
                        confidence: Confidence::NameVersion,
                        evaluable: false,
                        note: Some("version not comparable".into()),
                        vex: Some(VexResolution {
                            status: VexStatus::NotAffected,
                            justification: Some("vulnerable_code_not_in_execute_path".into()),
                            statement: None,
                            source: "vendor.openvex.json#statements[0]".into(),
                            conflicting: vec!["other.json#statements[3]".into()],
                        }),
                    },
                ],
            },
            ComponentMatches {
                bom_ref: "c2".into(),
                name: "acme/lib".into(),
                version: None,
                purl: None,
                cpe: Some("cpe:2.3:a:acme:lib:*:*:*:*:*:*:*:*".into()),
                supplier: None,
                hashes: 0,
                path: vec![],
                lookup: Lookup::Cpe,
                vulnerabilities: vec![],
            },
        ],
        vex: VexInput {
            statements: 4,
            conflicts: vec![VexConflict {
                vulnerability: "OSV-2".into(),
                product: "pkg:generic/openssl".into(),
                statements: vec![
                    ("a.json#statements[0]".into(), VexStatus::NotAffected),
                    ("b.json#statements[1]".into(), VexStatus::UnderInvestigation),
                ],
                winner: None,
            }],
        },
        totals: Totals {
            components: 2,
            vulnerable_components: 1,
            vulnerabilities: 2,
            cleared_by_vex: 1,
            open_by_severity: BTreeMap::from([("critical".into(), 1)]),
            open_kev: 1,
        },
        verdict: PolicyVerdict {
            passed: false,
            reasons: vec!["1 open vulnerability in the CISA KEV catalog".into()],
        },
        vulnerability_data: Some(VulnData {
            database: "vulndb.sqlite".into(),
            sources: vec![
                VulnSource {
                    source: "kev".into(),
                    records: 1200,
                    newest: Some("2026-11-30T00:00:00Z".into()),
                    imported_at: Some("2026-12-01T08:00:00Z".into()),
                },
                VulnSource {
                    source: "osv:PyPI".into(),
                    records: 3,
                    newest: None,
                    imported_at: None,
                },
            ],
            records: 1203,
            imported_at: Some("2026-12-01T08:00:00Z".into()),
            rejected_at_import: 2,
            data_as_of: Some("2026-11-30T00:00:00Z".into()),
            age_days: Some(7),
            max_age_days: Some(30),
            stale: false,
        }),
    }
}

#[test]
fn sbom_check_round_trips() {
    let full = sample();
    common::round_trip(&full);
    let mut minimal = full.clone();
    minimal.components.clear();
    minimal.vex = VexInput::default();
    minimal.totals = Totals::default();
    minimal.vulnerability_data = None;
    minimal.verdict = PolicyVerdict {
        passed: true,
        reasons: vec![],
    };
    common::round_trip(&minimal);
}

#[test]
fn absent_optional_fields_are_null_and_enums_are_words() {
    let v = sample().to_value().expect("to_value");
    let second = &v["components"][0]["vulnerabilities"][1];
    assert!(second["severity"].is_null());
    assert!(second["summary"].is_null());
    assert_eq!(second["confidence"], "name_version");
    assert_eq!(second["vex"]["status"], "not_affected");
    assert_eq!(
        v["components"][0]["vulnerabilities"][0]["severity"],
        "critical"
    );
    assert_eq!(v["components"][1]["lookup"], "cpe");
    assert_eq!(
        v["vex"]["conflicts"][0]["statements"][1],
        serde_json::json!(["b.json#statements[1]", "under_investigation"])
    );
    let mut without = sample();
    without.vulnerability_data = None;
    let v = without.to_value().expect("to_value");
    assert!(v.get("vulnerability_data").is_none());
}

#[test]
fn helpers_name_severities_and_clear_by_vex() {
    let s = sample();
    let pairs: Vec<_> = s.pairs().map(|(c, v)| (c.label(), v.cleared())).collect();
    assert_eq!(
        pairs,
        [
            ("openssl@3.0.1".to_string(), false),
            ("openssl@3.0.1".to_string(), true)
        ]
    );
    assert_eq!(severity_name(None), "unknown");
    assert_eq!(severity_name(Some(VulnSeverity::None)), "none");
    assert!(VulnSeverity::Critical > VulnSeverity::High);
    assert!(VexStatus::Fixed.clears() && !VexStatus::Affected.clears());
    assert_eq!(Lookup::Name.to_string(), "name");
}

#[test]
fn bad_shapes_are_named_errors() {
    let mut v = sample().to_value().expect("to_value");
    v["components"][0]["vulnerabilities"][0]["severity"] = serde_json::json!("severe");
    let e = SbomCheck::from_value(&v).expect_err("unknown severity");
    assert!(e.to_string().contains("severe"), "{e}");
    let mut v = sample().to_value().expect("to_value");
    v["totals"]["open_kev"] = serde_json::json!(-1);
    assert!(SbomCheck::from_value(&v).is_err());
    let mut v = sample().to_value().expect("to_value");
    v["extra"] = serde_json::json!(1);
    assert!(SbomCheck::from_value(&v).is_err());
}
