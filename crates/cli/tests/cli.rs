//! The `otproof` binary end to end: exit codes, messages, files written, and the OSCAL output
//! validated by a third-party implementation (compliance-trestle, installed by .ci/run).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::{otproof, otproof_command};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn assert_clean_failure(out: &Output, code: i32, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
}

#[test]
fn catalog_list_json_is_exactly_the_reference_applicable_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(
        &[
            "catalog",
            "list",
            "--standard",
            "62443-4-2",
            "--component",
            "embedded-device",
            "--sl-t",
            "2,2,2,2,2,2,2",
            "--json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON array");
    let rows = rows.as_array().expect("array");
    for r in rows {
        for key in [
            "id",
            "kind",
            "fr",
            "title",
            "min_sl",
            "component_types",
            "confirmed",
        ] {
            assert!(r.get(key).is_some(), "row lacks {key}: {r}");
        }
    }
    let got: BTreeSet<String> = rows
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();

    let path = repo_root().join("testdata/reference/iec62443_3-3_4-2_sl_crosscheck.csv");
    let mut rdr = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("reference {} not readable: {e}", path.display()));
    let mut want = BTreeSet::new();
    for rec in rdr.records() {
        let rec = rec.expect("row");
        let (std, id, types, sl2) = (&rec[0], &rec[1], &rec[11], &rec[8]);
        if std.contains("4-2") && (types == "all" || types == "embedded") && sl2 == "x" {
            want.insert(id.to_string());
        }
    }
    assert_eq!(got, want);
    let unconfirmed: Vec<&str> = rows
        .iter()
        .filter(|r| r["confirmed"] == false)
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(unconfirmed, vec!["CR 6.2", "CR 7.8", "EDR 3.2"]);
}

#[test]
fn catalog_list_filters_and_rejects_nonsense_combinations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(
        &["catalog", "list", "--standard", "62443-4-1", "--json"],
        dir.path(),
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 47);
    assert!(rows
        .iter()
        .all(|r| r["fr"].is_null() && r["min_sl"].is_null()));
    let out = otproof(&["catalog", "list"], dir.path());
    assert!(text(&out.stdout).contains("284 row(s)"));
    let out = otproof(
        &[
            "catalog",
            "list",
            "--standard",
            "62443-4-1",
            "--sl-t",
            "2 2 2 2 2 2 2",
        ],
        dir.path(),
    );
    assert_clean_failure(&out, 2, &["maturity levels"]);
    let out = otproof(
        &[
            "catalog",
            "list",
            "--standard",
            "62443-3-3",
            "--component",
            "host-device",
        ],
        dir.path(),
    );
    assert_clean_failure(&out, 2, &["62443-4-2 requirements only"]);
    let out = otproof(&["catalog", "list", "--standard", "62443-9-9"], dir.path());
    assert_clean_failure(
        &out,
        2,
        &["expected one of 62443-3-3, 62443-4-2, 62443-4-1"],
    );
    let out = otproof(
        &["catalog", "list", "--sl-t", "{2 2 2 2 2 2 2}", "--json"],
        dir.path(),
    );
    assert!(out.status.success());
}

#[test]
fn catalog_show_finds_forgivingly_and_suggests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(&["catalog", "show", "cr 3.5"], dir.path());
    let s = text(&out.stdout);
    assert!(out.status.success());
    assert!(s.starts_with("CR 3.5  Input validation"), "{s}");
    assert!(s.contains("SR 3.5"), "related SR: {s}");
    let out = otproof(&["catalog", "show", "SVV-3", "--json"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["practice"], "SVV");
    assert!(v["fr"].is_null());
    let out = otproof(&["catalog", "show", "CR 2.4"], dir.path());
    assert!(text(&out.stdout).contains("SAR 2.4, EDR 2.4, HDR 2.4, NDR 2.4"));
    let out = otproof(&["catalog", "show", "XR 3.5"], dir.path());
    assert_clean_failure(&out, 2, &["'XR 3.5'", "CR 3.5"]);
    let out = otproof(&["catalog", "show", "nonsense"], dir.path());
    assert_clean_failure(&out, 2, &["expected an ID such as"]);
}

#[test]
fn spec_rejects_bad_vectors_and_types_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(
        &[
            "spec",
            "--sl-t",
            "5,1,1",
            "--component",
            "embedded-device",
            "--out",
            "s.md",
        ],
        dir.path(),
    );
    assert_clean_failure(
        &out,
        2,
        &[
            "'5,1,1'",
            "seven security levels 0-4",
            "IAC UC SI DC RDF TRE RA",
        ],
    );
    let out = otproof(
        &[
            "spec",
            "--sl-t",
            "2,2,2,2,2,2,2",
            "--component",
            "toaster",
            "--out",
            "s.md",
        ],
        dir.path(),
    );
    assert_clean_failure(
        &out,
        2,
        &[
            "'toaster'",
            "software-application, embedded-device, host-device, network-device",
        ],
    );
    let out = otproof(
        &[
            "spec",
            "--sl-t",
            "2,2,9,2,2,2,2",
            "--component",
            "host-device",
            "--out",
            "s.md",
        ],
        dir.path(),
    );
    assert_clean_failure(&out, 2, &["position 3 (SI)"]);
    let out = otproof(
        &[
            "spec",
            "--sl-t",
            "0,0,0,0,0,0,0",
            "--component",
            "host-device",
            "--out",
            "s.md",
        ],
        dir.path(),
    );
    assert_clean_failure(&out, 2, &["no 4-2 requirement applies"]);
    for (flag, value, needle) in [
        ("--ml", "5", "expected 1, 2, 3 or 4"),
        ("--weights", "50,50,50", "adding up to 100"),
        ("--support-years", "0", "expected 1..50 years"),
    ] {
        let out = otproof(
            &[
                "spec",
                "--sl-t",
                "2 2 2 2 2 2 2",
                "--component",
                "host-device",
                flag,
                value,
                "--out",
                "s.md",
            ],
            dir.path(),
        );
        assert_clean_failure(&out, 2, &[needle]);
    }
    let out = otproof(
        &[
            "spec",
            "--sl-t",
            "2 2 2 2 2 2 2",
            "--component",
            "host-device",
            "--out",
            "no/such/dir/s.md",
        ],
        dir.path(),
    );
    assert_clean_failure(&out, 2, &["no/such/dir", "does not exist"]);
    assert!(
        !dir.path().join("s.md").exists(),
        "nothing written on error"
    );
}

#[test]
fn spec_writes_every_format_and_the_questionnaire() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (format, file) in [
        ("md", "s.md"),
        ("html", "s.html"),
        ("json", "s.json"),
        ("oscal", "s.oscal.json"),
    ] {
        let out = otproof(
            &[
                "spec",
                "--sl-t",
                "{3 3 2 2 3 1 3}",
                "--component",
                "network-device",
                "--ml",
                "3",
                "--support-years",
                "15",
                "--product",
                "Substation gateway",
                "--format",
                format,
                "--out",
                file,
                "--questionnaire",
                "q.yaml",
            ],
            dir.path(),
        );
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(&format!("wrote {file}")));
    }
    let md = std::fs::read_to_string(dir.path().join("s.md")).expect("md");
    assert!(md.contains("Substation gateway") && md.contains("| NDR 1.13 RE1 |"));
    assert!(md.contains("ML 3") && md.contains("15 years"));
    let html = std::fs::read_to_string(dir.path().join("s.html")).expect("html");
    assert!(html.contains("@media print") && html.contains("NDR 5.2 RE3"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("s.json")).expect("json"))
            .expect("valid json");
    assert_eq!(json["sl_t_text"], "{3 3 2 2 3 1 3}");
    assert_eq!(json["params"]["component"], "network-device");
    let q = std::fs::read_to_string(dir.path().join("q.yaml")).expect("yaml");
    assert!(q.contains("otproof-questionnaire/1") && q.contains("id: NDR 1.13 RE1"));
    let out = otproof(
        &[
            "spec",
            "--sl-t",
            "1,1,1,1,1,1,1",
            "--component",
            "software-application",
            "--out",
            "-",
        ],
        dir.path(),
    );
    assert!(text(&out.stdout).starts_with("# Supplier security specification"));
}

#[test]
fn oscal_export_and_profile_validate_with_compliance_trestle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(
        &[
            "catalog",
            "export",
            "--format",
            "oscal",
            "--out",
            "iec62443-catalog.oscal.json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = otproof(
        &[
            "spec",
            "--sl-t",
            "2,2,2,2,2,2,2",
            "--component",
            "embedded-device",
            "--format",
            "oscal",
            "--out",
            "profile.json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let python = std::env::var("OTPROOF_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oscal_validate.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(dir.path().join("iec62443-catalog.oscal.json"))
        .arg(dir.path().join("profile.json"))
        .output()
        .unwrap_or_else(|e| {
            panic!("{python} not runnable ({e}); .ci/run installs compliance-trestle")
        });
    assert!(
        out.status.success(),
        "trestle rejected the OSCAL output (is compliance-trestle installed? .ci/run installs it):\n{}",
        text(&out.stderr)
    );
    let counts: serde_json::Value = serde_json::from_slice(&out.stdout).expect("counts");
    // 3-3 (100) + 4-2 (137) + 4-1 (47) rows, one control each.
    assert_eq!(counts["catalog_controls"], 284);
    // 61 applicable 4-2 requirements for an embedded device at SL 2, plus the 47 of 4-1.
    assert_eq!(counts["profile_selected"], 108);
    assert_eq!(counts["resolved_controls"], 108);
}

#[test]
fn catalog_export_json_and_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(otproof(
        &["catalog", "export", "--format", "json", "--out", "c.json"],
        dir.path()
    )
    .status
    .success());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("c.json")).expect("json"))
            .expect("valid");
    assert_eq!(v["requirements"].as_array().map(Vec::len), Some(284));
    assert_eq!(v["foundational_requirements"][4]["abbrev"], "RDF");
    assert!(otproof(
        &["catalog", "export", "--format", "csv", "--out", "c.csv"],
        dir.path()
    )
    .status
    .success());
    let mut rdr = csv::Reader::from_path(dir.path().join("c.csv")).expect("csv");
    assert_eq!(rdr.records().count(), 284);
    let out = otproof(
        &["catalog", "export", "--format", "pdf", "--out", "c.pdf"],
        dir.path(),
    );
    assert_clean_failure(&out, 2, &["oscal, json, csv"]);
}

#[test]
fn demo_writes_its_folder_and_says_what_it_wrote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(&["demo"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let demo = dir.path().join("otproof-demo");
    for f in [
        "iec62443-catalog.oscal.json",
        "iec62443-catalog.json",
        "iec62443-catalog.csv",
        "spec-embedded-sl2.md",
        "spec-embedded-sl2.html",
        "spec-embedded-sl2.json",
        "spec-embedded-sl2.oscal-profile.json",
        "questionnaire-embedded-sl2.yaml",
        "sdl-process-sample.md",
        "bundle.tar",
        "ledger.vkey",
        "bundle-tampered.tar",
    ] {
        let p = demo.join(f);
        assert!(
            p.is_file() && p.metadata().map(|m| m.len() > 40).unwrap_or(false),
            "{f}"
        );
        assert!(s.contains(f), "output does not name {f}");
    }
    assert!(s.contains("files into otproof-demo"), "{s}");
    for f in [
        "robustness/evidence.json",
        "robustness/report.html",
        "robustness/findings.sarif",
        "robustness/junit.xml",
        "sbom/sbom-check.txt",
        "sbom/sbom-check.html",
        "sbom/sbom-check.json",
        "sbom/sbom-check.sarif",
        "sbom/vulndb.sqlite",
        "release/rio-2000-4.3.0.bin",
        "release/rio-2000-4.3.0.intoto.json",
        "release/vendor-release.pub",
        "release/rio-0042.identity.json",
    ] {
        assert!(demo.join(f).is_file(), "{f}");
    }
    let check: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(demo.join("sbom/sbom-check.json")).expect("check"),
    )
    .expect("json");
    assert_eq!(
        check["totals"]["cleared_by_vex"], 1,
        "the VEX clears one finding"
    );
    assert!(s.contains("recorded the check as sha256:"), "{s}");
    assert!(s.contains("--to-version 4.3.0: approve (6 of 6"), "{s}");
    // The signed release verifies through the command line too.
    let out = otproof(
        &[
            "verify-artifact",
            "otproof-demo/release/rio-2000-4.3.0.bin",
            "--envelope",
            "otproof-demo/release/rio-2000-4.3.0.intoto.json",
            "--key",
            "otproof-demo/release/vendor-release.pub",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ev: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(demo.join("robustness/evidence.json")).expect("evidence"),
    )
    .expect("json");
    assert_eq!(
        ev["coverage"]["message_class_percent"], 100.0,
        "every FC x class in the demo campaign"
    );
    assert!(demo.join(".otproof").is_dir(), "the demo creates a store");
    // The bundle verifies offline with the pinned key; the tampered copy fails with exit 1.
    let out = otproof(
        &[
            "verify",
            "otproof-demo/bundle.tar",
            "--key",
            "otproof-demo/ledger.vkey",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("inclusion proofs"));
    let out = otproof(&["verify", "otproof-demo/bundle-tampered.tar"], dir.path());
    // Where the flipped byte lands decides whether a check fails or the manifest no longer
    // parses; either way the bundle is refused with exit 1.
    assert_clean_failure(&out, 1, &[]);
    let err = text(&out.stderr);
    assert!(
        err.contains("verification failed") || err.contains("not a readable otproof bundle"),
        "{err}"
    );
    let spec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(demo.join("spec-embedded-sl2.json")).expect("spec"),
    )
    .expect("json");
    assert_eq!(spec["sl_t_text"], "{2 2 2 2 2 2 2}");
    let out = otproof_command()
        .args(["demo", "--out", "elsewhere"])
        .env("OTPROOF_DEMO_FUZZ_SECONDS", "2")
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(out.status.success() && dir.path().join("elsewhere/spec-embedded-sl2.md").is_file());
}

#[test]
fn help_has_examples_and_version_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = otproof(&["spec", "--help"], dir.path());
    assert!(text(&out.stdout).contains("Examples:"));
    let out = otproof(&["catalog", "list", "--help"], dir.path());
    assert!(text(&out.stdout).contains("Examples:"));
    let out = otproof(&["--version"], dir.path());
    assert!(text(&out.stdout).starts_with("otproof "));
    let out = otproof(&["frobnicate"], dir.path());
    assert_clean_failure(&out, 2, &["frobnicate"]);
}

#[test]
fn store_commands_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = otproof(&["evidence", "list"], d);
    assert_clean_failure(&out, 2, &["no otproof store", "otproof init"]);
    let out = otproof(&["init", "--origin", "example.org/otproof"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("example.org/otproof+"));
    std::fs::write(d.join("sdl.md"), "# SDL\nversion 3\n").expect("write");
    let out = otproof(
        &[
            "evidence",
            "add",
            "sdl.md",
            "--kind",
            "document",
            "--requirement",
            "sm1",
            "--requirement",
            "SVV-3",
            "--vendor",
            "Acme",
            "--product",
            "RTU-5",
            "--version",
            "2.1",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    let out = otproof(
        &[
            "evidence",
            "add",
            "sdl.md",
            "--requirement",
            "CR 99.9",
            "--vendor",
            "Acme",
        ],
        d,
    );
    assert_clean_failure(&out, 2, &["'CR 99.9' is not in the IEC 62443 catalog"]);
    let out = otproof(
        &[
            "evidence",
            "add",
            "missing.pdf",
            "--requirement",
            "SM-1",
            "--vendor",
            "Acme",
        ],
        d,
    );
    assert_clean_failure(&out, 2, &["missing.pdf"]);
    let out = otproof(&["evidence", "list", "--requirement", "SM-1", "--json"], d);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    let out = otproof(&["evidence", "show", &id[7..20]], d);
    assert!(
        text(&out.stdout).contains("\"SM-1\""),
        "{}",
        text(&out.stdout)
    );
    // spec records itself when a store exists
    let out = otproof(
        &[
            "spec",
            "--sl-t",
            "2,2,2,2,2,2,2",
            "--component",
            "embedded-device",
            "--out",
            "s.md",
        ],
        d,
    );
    assert!(
        text(&out.stderr).contains("recorded as evidence sha256:"),
        "{}",
        text(&out.stderr)
    );
    let out = otproof(&["ledger", "status", "--json"], d);
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(st["size"], 2);
    assert_eq!(st["checkpoint_size"], 2);
    let out = otproof(&["ledger", "prove", &id], d);
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(p["leaf"], 0);
    assert_eq!(p["proof"].as_array().map(Vec::len), Some(1));
    let out = otproof(&["ledger", "consistency", "1", "2"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = otproof(&["ledger", "consistency", "3"], d);
    assert_clean_failure(&out, 2, &["OLD_SIZE <= NEW_SIZE"]);
    let out = otproof(&["ledger", "checkpoint"], d);
    assert!(text(&out.stdout).starts_with("example.org/otproof\n2\n"));
    let out = otproof(&["export", "--all", "--out", "b.tar"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = otproof(&["export", "--out", "b.tar"], d);
    assert_clean_failure(&out, 2, &["--product NAME or --all"]);
    let vkey = std::fs::read_to_string(d.join(".otproof/keys/ledger.vkey")).expect("vkey");
    let out = otproof(&["verify", "b.tar", "--key", vkey.trim()], d);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let out = otproof(&["verify", "--store"], d);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("stored tree nodes"));
    // another key pinned: exit 1
    let out = otproof(
        &[
            "key",
            "gen",
            "--name",
            "other.example/log",
            "--out",
            "other",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(d.join("other.skey"))
        .expect("skey")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let out = otproof(&["verify", "b.tar", "--key", "other.vkey"], d);
    assert_clean_failure(&out, 1, &["verification failed"]);
    let out = otproof(
        &[
            "key",
            "gen",
            "--name",
            "other.example/log",
            "--out",
            "other",
        ],
        d,
    );
    assert_clean_failure(&out, 2, &["refusing to overwrite"]);
    let out = otproof(&["verify", "nonexistent.tar"], d);
    assert_clean_failure(&out, 2, &["nonexistent.tar"]);
}
