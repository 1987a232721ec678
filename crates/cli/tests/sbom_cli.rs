//! `otproof vulndb` and `otproof sbom check` end to end on the RIO-2000 sample data and the
//! shared SBOMs: every output format, the policy exit code, VEX, bad input, store records.

mod common;

use common::{otproof, text};
use std::path::PathBuf;
use std::process::Output;

fn rio(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rio-2000")
        .join(name)
        .display()
        .to_string()
}

fn testdata(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
        .display()
        .to_string()
}

fn clean_failure(out: &Output, code: i32, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
}

/// A temp folder with the sample vulnerability data imported into `vulns.sqlite`.
fn with_db() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(
        &["vulndb", "import", &rio("vulndb"), "--db", "vulns.sqlite"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("4 OSV record(s) stored"),
        "{}",
        text(&out.stderr)
    );
    dir
}

#[test]
fn vulndb_import_and_status() {
    let dir = with_db();
    let out = otproof(
        &["vulndb", "status", "--db", "vulns.sqlite", "--json"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let kev = st
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["source"] == "kev")
        .expect("kev row");
    assert_eq!(kev["count"], 1);
    // The published OSV test records: the invalid ones are named with a reason, the rest stored.
    let out = otproof(
        &["vulndb", "import", &testdata("osv"), "--db", "vulns.sqlite"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("rejected") && err.contains("nointroduced"),
        "{err}"
    );
    // No database: a clear error, exit 2.
    let out = otproof(&["vulndb", "status", "--db", "nothing.sqlite"], dir.path());
    clean_failure(&out, 2, &["nothing.sqlite", "vulndb import"]);
    let out = otproof(&["vulndb", "import", "missing-dir"], dir.path());
    clean_failure(&out, 2, &["--db"]);
}

#[test]
fn sbom_check_fails_the_policy_with_reasons_and_exit_1() {
    let dir = with_db();
    let out = otproof(
        &[
            "sbom",
            "check",
            &rio("rio-2000-4.2.0.cdx.json"),
            "--db",
            "vulns.sqlite",
            "--vex",
            &rio("rio-2000.openvex.json"),
            "--policy",
            &rio("policy.yaml"),
        ],
        dir.path(),
    );
    clean_failure(&out, 1, &["SBOM policy", "KEV", "OTPROOF-DEMO-2026-0001"]);
    let table = text(&out.stdout);
    assert!(
        table.contains("not_affected (vulnerable_code_not_in_execute_path)"),
        "{table}"
    );
    assert!(table.contains("policy: FAILED"), "{table}");
    // A policy with no rules passes: exit 0.
    std::fs::write(dir.path().join("lenient.yaml"), "require_ntia: true\n").expect("write");
    let out = otproof(
        &[
            "sbom",
            "check",
            &rio("rio-2000-4.2.0.cdx.json"),
            "--db",
            "vulns.sqlite",
            "--policy",
            "lenient.yaml",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("policy: passed"));
}

#[test]
fn sbom_check_writes_every_format() {
    let dir = with_db();
    for (format, file) in [
        ("json", "c.json"),
        ("sarif", "c.sarif"),
        ("html", "c.html"),
        ("table", "c.txt"),
    ] {
        let out = otproof(
            &[
                "sbom",
                "check",
                &rio("rio-2000-4.2.0.cdx.json"),
                "--db",
                "vulns.sqlite",
                "--vex",
                &rio("rio-2000.openvex.json"),
                "--format",
                format,
                "--out",
                file,
            ],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("c.json")).expect("r"))
            .expect("json");
    assert_eq!(j["totals"]["vulnerabilities"], 3);
    assert_eq!(j["totals"]["cleared_by_vex"], 1);
    assert!(j["requirements"]
        .as_array()
        .expect("trace")
        .iter()
        .any(|r| r == "SM-9"));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("c.sarif")).expect("r"))
            .expect("json");
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let suppressed: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1, "the VEX-cleared result is suppressed");
    let html = std::fs::read_to_string(dir.path().join("c.html")).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("OTPROOF-DEMO-2026-0003"));
}

#[test]
fn sbom_check_reads_spdx_and_xml_and_reports_bad_purls() {
    let dir = with_db();
    for f in [
        "spdx/SPDXJSONExample-v2.3.spdx.json",
        "spdx/SPDXTagExample-v2.3.spdx",
        "cyclonedx/laravel-7.12.0.bom.1.4.xml",
    ] {
        let out = otproof(
            &[
                "sbom",
                "check",
                &testdata(f),
                "--db",
                "vulns.sqlite",
                "--format",
                "json",
            ],
            dir.path(),
        );
        assert!(out.status.success(), "{f}: {}", text(&out.stderr));
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert!(j["sbom"]["components"].as_u64().unwrap_or(0) > 0, "{f}");
    }
    std::fs::write(dir.path().join("p.yaml"), "fail_on_malformed_purl: true\n").expect("w");
    let out = otproof(
        &[
            "sbom",
            "check",
            &testdata("cyclonedx/osv-scanner-bad-purls.cdx.xml"),
            "--db",
            "vulns.sqlite",
            "--policy",
            "p.yaml",
        ],
        dir.path(),
    );
    clean_failure(&out, 1, &["malformed package URL"]);
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let dir = with_db();
    std::fs::write(
        dir.path().join("garbage.json"),
        "{\"bomFormat\": \"CycloneDX\", \"components\": [1,",
    )
    .expect("w");
    let out = otproof(
        &["sbom", "check", "garbage.json", "--db", "vulns.sqlite"],
        dir.path(),
    );
    clean_failure(&out, 2, &["garbage.json", "line"]);
    let out = otproof(
        &["sbom", "check", "absent.json", "--db", "vulns.sqlite"],
        dir.path(),
    );
    clean_failure(&out, 2, &["absent.json"]);
    std::fs::write(dir.path().join("bad-policy.yaml"), "fail_on_kevs: yes\n").expect("w");
    let out = otproof(
        &[
            "sbom",
            "check",
            &rio("rio-2000-4.2.0.cdx.json"),
            "--db",
            "vulns.sqlite",
            "--policy",
            "bad-policy.yaml",
        ],
        dir.path(),
    );
    clean_failure(&out, 2, &["bad-policy.yaml", "fail_on_kevs"]);
    std::fs::write(dir.path().join("bad.vex.json"), "{\"statements\": 3}").expect("w");
    let out = otproof(
        &[
            "sbom",
            "check",
            &rio("rio-2000-4.2.0.cdx.json"),
            "--db",
            "vulns.sqlite",
            "--vex",
            "bad.vex.json",
        ],
        dir.path(),
    );
    clean_failure(&out, 2, &["bad.vex.json"]);
    let out = otproof(
        &[
            "sbom",
            "check",
            &rio("rio-2000-4.2.0.cdx.json"),
            "--db",
            "none.sqlite",
        ],
        dir.path(),
    );
    clean_failure(&out, 2, &["none.sqlite", "vulndb import"]);
}

#[test]
fn with_a_store_the_check_becomes_evidence_in_the_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(&["init"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Inside a store the database defaults to .otproof/vulndb.sqlite.
    let out = otproof(&["vulndb", "import", &rio("vulndb")], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join(".otproof/vulndb.sqlite").is_file());
    let out = otproof(
        &[
            "sbom",
            "check",
            &rio("rio-2000-4.2.0.cdx.json"),
            "--vex",
            &rio("rio-2000.openvex.json"),
            "--format",
            "html",
            "--out",
            "check.html",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("recorded as evidence sha256:"));
    let out = otproof(&["evidence", "list", "--json"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert!(list.contains("sbom-check"), "{list}");
    let out = otproof(&["verify", "--store"], dir.path());
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn an_empty_or_never_imported_database_is_refused_and_left_as_it_was() {
    let dir = with_db();
    let d = dir.path();
    std::fs::write(d.join("empty.db"), b"").expect("w");
    let sbom = rio("rio-2000-4.2.0.cdx.json");
    let out = otproof(&["sbom", "check", &sbom, "--db", "empty.db"], d);
    clean_failure(&out, 2, &["empty.db", "empty file (0 bytes)"]);
    assert!(!text(&out.stdout).contains("no known vulnerabilities"));
    assert_eq!(
        std::fs::read(d.join("empty.db")).expect("r"),
        b"",
        "byte-identical"
    );
    let out = otproof(&["vulndb", "status", "--db", "empty.db"], d);
    clean_failure(&out, 2, &["empty.db"]);
    assert_eq!(std::fs::read(d.join("empty.db")).expect("r"), b"");
    // A database that exists but was never imported into.
    drop(otproof_vulndb::VulnDb::open(&d.join("never.db")).expect("create"));
    let before = std::fs::read(d.join("never.db")).expect("r");
    let out = otproof(&["sbom", "check", &sbom, "--db", "never.db"], d);
    clean_failure(&out, 2, &["never.db", "nothing was ever imported"]);
    assert_eq!(std::fs::read(d.join("never.db")).expect("r"), before);
    // Checking with a real database leaves it byte-identical too.
    let before = std::fs::read(d.join("vulns.sqlite")).expect("r");
    let _ = otproof(&["sbom", "check", &sbom, "--db", "vulns.sqlite"], d);
    assert_eq!(std::fs::read(d.join("vulns.sqlite")).expect("r"), before);
}

#[test]
fn the_check_names_its_data_and_fails_on_stale_data() {
    let dir = with_db();
    let d = dir.path();
    let sbom = rio("rio-2000-4.3.0.cdx.json");
    let vex = rio("rio-2000.openvex.json");
    let policy = rio("policy.yaml");
    let base = [
        "sbom",
        "check",
        &sbom,
        "--db",
        "vulns.sqlite",
        "--vex",
        &vex,
        "--policy",
        &policy,
    ];
    let out = otproof(&base, d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("vulnerability data: vulns.sqlite (5 record(s)")
            && said.contains("kev 1")
            && said.contains("0 record(s) rejected at import"),
        "{said}"
    );
    let mut json = base.to_vec();
    json.extend(["--format", "json"]);
    let out = otproof(&json, d);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["vulnerability_data"]["records"], 5, "{v}");
    // The sample's newest record is of November 2026: at most one day old data fails.
    let mut stale = base.to_vec();
    stale.extend(["--max-age", "1"]);
    let out = otproof(&stale, d);
    clean_failure(&out, 1, &["days allowed"]);
    assert!(text(&out.stdout).contains("STALE"), "{}", text(&out.stdout));
}

#[test]
fn a_policy_without_a_rule_is_a_usage_error() {
    let dir = with_db();
    let d = dir.path();
    let sbom = rio("rio-2000-4.2.0.cdx.json");
    for (name, body) in [
        ("empty.yaml", ""),
        ("comments.yaml", "# none\n"),
        ("braces.yaml", "{}"),
    ] {
        std::fs::write(d.join(name), body).expect("w");
        let out = otproof(
            &[
                "sbom",
                "check",
                &sbom,
                "--db",
                "vulns.sqlite",
                "--policy",
                name,
            ],
            d,
        );
        clean_failure(&out, 2, &[name, "sets no rule"]);
    }
}

#[test]
fn the_default_policy_fails_a_critical_finding_vex_calls_affected() {
    let dir = with_db();
    let d = dir.path();
    for status in ["affected", "under_investigation"] {
        let vex = format!(
            r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.test/vex/1",
            "author":"vendor","timestamp":"2026-11-05T10:00:00Z","version":1,
            "statements":[{{"vulnerability":{{"name":"OTPROOF-DEMO-2026-0003"}},
            "products":[{{"@id":"pkg:generic/example-automation/rio-2000@4.2.0",
            "subcomponents":[{{"@id":"pkg:deb/debian/libmodbus@3.1.6-2.1?arch=armhf"}}]}}],
            "status":"{status}"{extra}}}]}}"#,
            extra = if status == "affected" {
                r#","action_statement":"update""#
            } else {
                ""
            }
        );
        std::fs::write(d.join("v.json"), vex).expect("w");
        let out = otproof(
            &[
                "sbom",
                "check",
                &rio("rio-2000-4.2.0.cdx.json"),
                "--db",
                "vulns.sqlite",
                "--vex",
                "v.json",
            ],
            d,
        );
        clean_failure(&out, 1, &[]);
        let said = text(&out.stdout);
        assert!(
            said.contains("not excused") && said.contains(status),
            "{status}: {said}"
        );
    }
}
