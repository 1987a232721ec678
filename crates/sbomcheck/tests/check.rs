//! The SBOM check on real files: the RIO-2000 sample (SBOM, OSV, KEV, OpenVEX, policy), the
//! shared CycloneDX/SPDX test files and the published OSV records.

use otproof_sbomcheck::{check, CheckReport, Policy};
use otproof_vex::{Status, VexSet};
use otproof_vulndb::{Matcher, VulnDb};
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn rio() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rio-2000")
}

fn db_of(paths: &[PathBuf]) -> (Matcher, otproof_vulndb::ImportReport) {
    let mut db = VulnDb::open_in_memory().expect("db");
    let report = db.import(paths, &mut |_| {}).expect("import");
    (db.matcher().expect("matcher"), report)
}

fn sbom(path: &Path) -> otproof_sbom::Document {
    otproof_sbom::parse(&std::fs::read(path).expect("read")).expect("parse")
}

fn vex(paths: &[PathBuf]) -> VexSet {
    let mut v = VexSet::new();
    for p in paths {
        v.add(otproof_vex::parse(&std::fs::read(p).expect("read")).expect("vex"));
    }
    v
}

fn policy() -> Policy {
    Policy::from_yaml(&std::fs::read_to_string(rio().join("policy.yaml")).expect("read"))
        .expect("policy")
}

fn find<'a>(r: &'a CheckReport, name: &str) -> &'a otproof_sbomcheck::ComponentResult {
    r.components
        .iter()
        .find(|c| c.name.ends_with(name))
        .unwrap_or_else(|| panic!("component {name} not in the report"))
}

#[test]
fn rio_2000_sample_end_to_end() {
    let (m, imported) = db_of(&[rio().join("vulndb")]);
    assert_eq!(imported.osv_imported, 4);
    assert_eq!(imported.kev_imported, 1);
    let doc = sbom(&rio().join("rio-2000-4.2.0.cdx.json"));
    let r = check(
        &doc,
        &m,
        &vex(&[rio().join("rio-2000.openvex.json")]),
        &policy(),
    );
    assert_eq!(
        r.components.len(),
        8,
        "every component is reported, nested ones too"
    );
    assert!(r.ntia.passed());

    let lodash = find(&r, "lodash");
    assert_eq!(
        lodash.path,
        vec!["web-ui".to_string()],
        "nested under the web UI"
    );
    assert_eq!(lodash.vulnerabilities.len(), 1);
    assert_eq!(lodash.vulnerabilities[0].id, "OTPROOF-DEMO-2026-0001");
    assert_eq!(lodash.vulnerabilities[0].fixed.as_deref(), Some("4.17.21"));
    assert!(lodash.vulnerabilities[0].vex.is_none());

    let paho = find(&r, "paho-mqtt");
    let v = &paho.vulnerabilities[0];
    let applied = v.vex.as_ref().expect("the vendor's VEX applies");
    assert_eq!(applied.status, Status::NotAffected);
    assert_eq!(
        applied.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    assert!(v.cleared());

    let modbus = find(&r, "libmodbus");
    assert!(modbus.vulnerabilities[0].kev, "KEV-listed");
    assert_eq!(
        modbus.vulnerabilities[0].aliases,
        vec!["OTPROOF-DEMO-ALIAS-0003".to_string()]
    );

    // The shipped zlib carries the fix (Debian epoch ordering), so no finding.
    assert!(find(&r, "zlib1g").vulnerabilities.is_empty());
    // No purl, a CPE and no NVD data: looked up by CPE, nothing found, still reported.
    assert_eq!(find(&r, "rio-fieldbus-driver").lookup, "cpe");

    assert_eq!(r.totals.vulnerabilities, 3);
    assert_eq!(r.totals.cleared_by_vex, 1);
    assert_eq!(r.totals.open_kev, 1);
    assert!(!r.verdict.passed);
    assert_eq!(r.verdict.reasons.len(), 2, "{:?}", r.verdict.reasons);
    assert!(r.verdict.reasons[0].contains("KEV"));
    assert!(r.verdict.reasons[1].contains("OTPROOF-DEMO-2026-0001"));
    assert!(
        !r.verdict.reasons[1].contains("OTPROOF-DEMO-2026-0002"),
        "cleared by VEX"
    );
}

#[test]
fn without_the_vex_the_cleared_finding_is_open() {
    let (m, _) = db_of(&[rio().join("vulndb")]);
    let doc = sbom(&rio().join("rio-2000-4.2.0.cdx.json"));
    let r = check(&doc, &m, &VexSet::new(), &policy());
    assert_eq!(r.totals.cleared_by_vex, 0);
    assert!(r.verdict.reasons[1].contains("OTPROOF-DEMO-2026-0002"));
    // With no rules, nothing fails.
    let r = check(&doc, &m, &VexSet::new(), &Policy::default());
    assert!(r.verdict.passed);
}

#[test]
fn a_statement_about_another_component_does_not_clear_the_vulnerability() {
    let (m, _) = db_of(&[rio().join("vulndb")]);
    let doc = sbom(&rio().join("rio-2000-4.2.0.cdx.json"));
    let other = r#"{
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.test/vex/other",
      "author": "someone", "timestamp": "2026-11-05T10:00:00Z", "version": 1,
      "statements": [{
        "vulnerability": {"name": "OTPROOF-DEMO-2026-0002"},
        "products": [{"@id": "pkg:pypi/some-other-package@1.0"}],
        "status": "not_affected", "justification": "component_not_present"
      }]
    }"#;
    let mut set = VexSet::new();
    set.add(otproof_vex::parse(other.as_bytes()).expect("vex"));
    let r = check(&doc, &m, &set, &policy());
    assert!(
        find(&r, "paho-mqtt").vulnerabilities[0].vex.is_none(),
        "the same vulnerability ID for another product must not apply"
    );
}

#[test]
fn published_osv_records_match_by_purl_with_aliases_merged_and_vex_by_alias() {
    let (m, imported) = db_of(&[testdata().join("osv")]);
    // The deliberately invalid records are rejected, with a reason each.
    let rejected: Vec<&str> = imported.rejected.iter().map(|(f, _)| f.as_str()).collect();
    assert!(
        rejected.iter().any(|f| f.contains("nointroduced")),
        "{rejected:?}"
    );
    assert!(rejected.iter().any(|f| f.contains("nondistinct")));
    assert!(imported.rejected.iter().all(|(_, why)| !why.is_empty()));

    let bom = |version: &str| {
        format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "components":[{{"type":"library","bom-ref":"req","name":"requests","version":"{version}",
            "purl":"pkg:pypi/requests@{version}"}}]}}"#
        )
    };
    let doc = otproof_sbom::parse(bom("2.30.0").as_bytes()).expect("sbom");
    let r = check(&doc, &m, &VexSet::new(), &Policy::default());
    let v = r.components[0]
        .vulnerabilities
        .iter()
        .find(|v| v.id == "PYSEC-2023-74" || v.aliases.iter().any(|a| a == "PYSEC-2023-74"))
        .expect("requests 2.30.0 is affected by PYSEC-2023-74");
    assert!(v.aliases.iter().any(|a| a == "CVE-2023-32681"));
    assert_eq!(v.fixed.as_deref(), Some("2.31.0"));

    let fixed = otproof_sbom::parse(bom("2.31.0").as_bytes()).expect("sbom");
    let r = check(&fixed, &m, &VexSet::new(), &Policy::default());
    assert!(r.components[0]
        .vulnerabilities
        .iter()
        .all(|v| v.id != "PYSEC-2023-74" && !v.aliases.iter().any(|a| a == "PYSEC-2023-74")));

    // A VEX statement naming the CVE alias, for this component, applies.
    let statement = r#"{
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.test/vex/requests",
      "author": "vendor", "timestamp": "2026-11-05T10:00:00Z", "version": 1,
      "statements": [{
        "vulnerability": {"name": "CVE-2023-32681"},
        "products": [{"@id": "pkg:pypi/requests@2.30.0"}],
        "status": "not_affected", "justification": "vulnerable_code_not_present"
      }]
    }"#;
    let mut set = VexSet::new();
    set.add(otproof_vex::parse(statement.as_bytes()).expect("vex"));
    let r = check(&doc, &m, &set, &Policy::default());
    let v = r.components[0]
        .vulnerabilities
        .iter()
        .find(|v| v.aliases.iter().any(|a| a == "CVE-2023-32681"))
        .expect("still listed");
    assert!(v.cleared());
}

#[test]
fn every_shared_sbom_is_checked_with_every_component_reported() {
    let (m, _) = db_of(&[testdata().join("osv")]);
    let mut checked = 0;
    for dir in ["cyclonedx", "spdx", "large"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join(dir))
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let Ok(doc) = otproof_sbom::parse(&std::fs::read(&f).expect("read")) else {
                continue; // licence files and the like
            };
            let r = check(&doc, &m, &VexSet::new(), &Policy::default_rules());
            assert_eq!(
                r.components.len(),
                doc.components.len(),
                "{}: a component went missing",
                f.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} SBOMs checked");
}

#[test]
fn malformed_purls_are_reported_and_fail_the_policy_that_asks() {
    let (m, _) = db_of(&[rio().join("vulndb")]);
    let doc = sbom(&testdata().join("cyclonedx/osv-scanner-bad-purls.cdx.xml"));
    let p = Policy {
        fail_on_malformed_purl: true,
        ..Policy::default()
    };
    let r = check(&doc, &m, &VexSet::new(), &p);
    assert_eq!(r.components.len(), doc.components.len());
    assert!(!r.verdict.passed);
    assert!(r.verdict.reasons[0].contains("malformed package URL"));
}

#[test]
fn policy_errors_say_what_was_expected() {
    let e = Policy::from_yaml("fail_on_kevs: true\n").expect_err("unknown key");
    let msg = e.to_string();
    assert!(msg.contains("fail_on_kevs"), "{msg}");
    assert!(msg.contains("expected the keys"), "{msg}");
    let e = Policy::from_yaml("fail_without_vex_at: severe\n").expect_err("bad level");
    assert!(e.to_string().contains("critical, high, medium or low"));
    assert!(matches!(
        Policy::from_yaml("").expect_err("empty"),
        otproof_sbomcheck::PolicyError::Empty
    ));
}

proptest::proptest! {
    #[test]
    fn policy_parsing_never_panics(text in "\\PC{0,200}") {
        let _ = Policy::from_yaml(&text);
    }

    #[test]
    fn policy_keys_with_any_values_never_panic(
        key in proptest::sample::select(vec!["fail_on_kev", "fail_without_vex_at", "require_ntia", "other"]),
        value in "[a-z0-9 :\\[\\]{}-]{0,20}",
    ) {
        let _ = Policy::from_yaml(&format!("{key}: {value}\n"));
    }
}

#[test]
fn diff_between_two_releases() {
    let (m, _) = db_of(&[rio().join("vulndb")]);
    let old = sbom(&rio().join("rio-2000-4.2.0.cdx.json"));
    let text = std::fs::read_to_string(rio().join("rio-2000-4.2.0.cdx.json"))
        .expect("read")
        .replace("4.17.20", "4.17.21")
        .replace("\"busybox\", \"openssl\"", "\"openssl\"");
    let mut new = otproof_sbom::parse(text.as_bytes()).expect("parse");
    new.components.retain(|c| c.name != "busybox");
    let d = otproof_sbomcheck::diff(&old, &new, Some(&m));
    assert_eq!(
        d.changed,
        vec!["pkg:npm/lodash: 4.17.20 -> 4.17.21".to_string()]
    );
    assert_eq!(d.removed, vec!["pkg:generic/busybox@1.36.1".to_string()]);
    assert!(d.added.is_empty());
    assert_eq!(
        d.fixed,
        vec!["OTPROOF-DEMO-2026-0001 in pkg:npm/lodash".to_string()]
    );
    assert!(d.introduced.is_empty());
}

#[test]
fn a_policy_without_any_rule_is_refused() {
    for text in [
        "",
        "\n\n",
        "# only a comment\n# another\n",
        "{}",
        "---\n{}\n",
        "fail_on_kev: false\n",
    ] {
        let e = Policy::from_yaml(text).expect_err(text);
        assert!(e.to_string().contains("sets no rule"), "{text:?}: {e}");
    }
    assert!(Policy::from_yaml("max_data_age_days: 30\n").is_ok());
}

fn vex_saying(status: &str) -> VexSet {
    let doc = format!(
        r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.test/vex/1",
        "author":"vendor","timestamp":"2026-11-05T10:00:00Z","version":1,
        "statements":[{{"vulnerability":{{"name":"OTPROOF-DEMO-2026-0003"}},
        "products":[{{"@id":"pkg:generic/example-automation/rio-2000@4.2.0",
        "subcomponents":[{{"@id":"pkg:deb/debian/libmodbus@3.1.6-2.1?arch=armhf"}}]}}],
        "status":"{status}"{extra}}}]}}"#,
        extra = match status {
            "not_affected" => r#","justification":"vulnerable_code_not_present""#,
            "affected" => r#","action_statement":"update to 4.3.0""#,
            _ => "",
        }
    );
    let mut v = VexSet::new();
    v.add(otproof_vex::parse(doc.as_bytes()).expect("vex"));
    v
}

#[test]
fn the_default_policy_fails_a_critical_finding_unless_vex_says_not_affected_or_fixed() {
    let (m, _) = db_of(&[rio().join("vulndb")]);
    let doc = sbom(&rio().join("rio-2000-4.2.0.cdx.json"));
    for status in ["affected", "under_investigation"] {
        let r = check(&doc, &m, &vex_saying(status), &Policy::default_rules());
        assert!(!r.verdict.passed, "{status}");
        assert!(
            r.verdict.reasons.iter().any(|x| x.contains("not excused")
                && x.contains("OTPROOF-DEMO-2026-0003")
                && x.contains(status)),
            "{status}: {:?}",
            r.verdict.reasons
        );
        // The rule alone, without the KEV rule, fails it too.
        let only = Policy {
            fail_unless_excused_at: Some(otproof_sbomcheck::Threshold::Critical),
            ..Policy::default()
        };
        assert!(!check(&doc, &m, &vex_saying(status), &only).verdict.passed);
    }
    let r = check(
        &doc,
        &m,
        &vex_saying("not_affected"),
        &Policy::default_rules(),
    );
    assert!(
        !r.verdict
            .reasons
            .iter()
            .any(|x| x.contains("not excused") && x.contains("OTPROOF-DEMO-2026-0003")),
        "{:?}",
        r.verdict.reasons
    );
}
