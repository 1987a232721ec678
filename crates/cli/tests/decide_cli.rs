//! `otproof zones`, `vendors score`, `sdl assess` and `accept` end to end: outputs, exit codes
//! (0 ok, 1 open gap / rejected, 2 malformed input naming file, line and column) and the
//! records they leave in a store that `otproof verify` accepts.

mod common;

use common::{fails, ok, otproof};
use std::path::PathBuf;

fn repo(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn zones_check_diagram_handover_and_bad_models() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let model = repo("examples/water-treatment.yaml");
    for (format, file) in [("md", "z.md"), ("html", "z.html"), ("json", "z.json")] {
        ok(&otproof(
            &["zones", "check", &model, "--format", format, "--out", file],
            d,
        ));
        assert!(d.join(file).is_file());
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("z.json")).expect("json"))
            .expect("valid JSON");
    assert!(json["gaps"].as_array().is_some_and(|g| !g.is_empty()));
    ok(&otproof(&["zones", "diagram", &model, "--out", "z.svg"], d));
    let svg = std::fs::read_to_string(d.join("z.svg")).expect("svg");
    assert!(svg.contains("<svg") && svg.contains("dosing"), "{svg:.200}");

    // With a store: the SL-A claim is a Decision record; the hand-over bundle verifies.
    ok(&otproof(&["init"], d));
    let said = ok(&otproof(&["zones", "check", &model, "--out", "z2.md"], d));
    assert!(
        said.contains("recorded the SL-A claim as sha256:"),
        "{said}"
    );
    ok(&otproof(
        &["zones", "handover", &model, "--out", "handover.tar"],
        d,
    ));
    let key = std::fs::read_dir(d.join(".otproof"))
        .expect("store")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "vkey"));
    let mut args = vec!["verify", "handover.tar"];
    let key_s;
    if let Some(k) = key {
        key_s = k.display().to_string();
        args.extend(["--key", key_s.as_str()]);
    }
    ok(&otproof(&args, d));

    // Bad models: exit 2, the file, line and column, and what was expected.
    std::fs::write(
        d.join("bad.yaml"),
        "zones:\n  - name: a\n    sl_t: \"9,9,9\"\n",
    )
    .expect("w");
    let out = otproof(&["zones", "check", "bad.yaml"], d);
    fails(&out, 2, &["bad.yaml", "line"]);
    std::fs::write(d.join("bad2.yaml"), "zones: [\n").expect("w");
    let out = otproof(&["zones", "diagram", "bad2.yaml", "--out", "x.svg"], d);
    fails(&out, 2, &["bad2.yaml", "line"]);
    // A model with an open gap and no justification: exit 1.
    std::fs::write(
        d.join("gap.yaml"),
        "zones:\n  - name: cell\n    sl_t: \"2,2,2,2,2,2,2\"\nassets:\n  - name: plc\n    zone: cell\n    component_type: embedded-device\n    sl_c: \"1,1,1,1,1,1,1\"\n",
    )
    .expect("w");
    let out = otproof(&["zones", "check", "gap.yaml"], d);
    fails(&out, 1, &["open"]);
}

#[test]
fn vendors_score_and_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = otproof(
        &[
            "vendors",
            "score",
            &repo("testdata/vendors/strong.yaml"),
            &repo("testdata/vendors/assertions.yaml"),
            "--format",
            "json",
        ],
        d,
    );
    let said = ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(said.contains("Northwind") && said.contains("Contoso"));
    assert!(v.is_object() || v.is_array());
    for f in ["md", "html"] {
        ok(&otproof(
            &[
                "vendors",
                "score",
                &repo("testdata/vendors/strong.yaml"),
                "--format",
                f,
                "--out",
                &format!("v.{f}"),
            ],
            d,
        ));
    }
    std::fs::write(d.join("bad.yaml"), "format: x\nitems: [\n").expect("w");
    let out = otproof(&["vendors", "score", "bad.yaml"], d);
    fails(&out, 2, &["bad.yaml", "line"]);
    let out = otproof(&["vendors", "score", "absent.yaml"], d);
    fails(&out, 2, &["absent.yaml"]);
}

#[test]
fn sdl_assess_from_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = otproof(&["sdl", "assess", "--vendor", "Example Automation"], d);
    fails(&out, 2, &["otproof init"]);
    ok(&otproof(&["init"], d));
    std::fs::write(d.join("process.md"), "# Secure development process\n").expect("w");
    ok(&otproof(
        &[
            "evidence",
            "add",
            "process.md",
            "--requirement",
            "SM-1",
            "--requirement",
            "SVV-3",
            "--vendor",
            "Example Automation",
        ],
        d,
    ));
    let said = ok(&otproof(
        &[
            "sdl",
            "assess",
            "--vendor",
            "Example Automation",
            "--format",
            "md",
        ],
        d,
    ));
    assert!(said.contains("SM-1"), "{said}");
    let out = otproof(
        &[
            "sdl",
            "assess",
            "--vendor",
            "Example Automation",
            "--format",
            "json",
        ],
        d,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["practices"].as_array().is_some_and(|p| p.len() == 8));
}

#[test]
fn accept_a_package_with_an_exception_and_reject_a_broken_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(&["init"], d));
    ok(&otproof(
        &["vulndb", "import", &repo("testdata/rio-2000/vulndb")],
        d,
    ));
    ok(&otproof(
        &["key", "gen", "--name", "vendor", "--alg", "p256"],
        d,
    ));
    // Lay the package out: the sample documents, the SBOM and VEX, a signed firmware, and a
    // robustness campaign's evidence.json.
    let pkg = d.join("pkg");
    std::fs::create_dir_all(pkg.join("release")).expect("mkdir");
    std::fs::create_dir_all(pkg.join("robustness")).expect("mkdir");
    for f in [
        "package.yaml",
        "criteria.yaml",
        "certificate-iecee-62443-4-1.md",
        "support-statement.md",
        "hardening-guide.md",
        "patch-policy.md",
        "rio-2000-4.3.0.cdx.json",
        "rio-2000.openvex.json",
    ] {
        std::fs::copy(repo(&format!("testdata/rio-2000/package/{f}")), pkg.join(f)).expect("copy");
    }
    std::fs::write(pkg.join("release/rio-2000-4.3.0.bin"), b"firmware 4.3.0").expect("w");
    std::fs::copy(d.join("vendor.pub"), pkg.join("release/vendor-release.pub")).expect("copy");
    ok(&otproof(
        &[
            "release",
            "sign",
            "pkg/release/rio-2000-4.3.0.bin",
            "--key",
            "vendor.key",
            "--product",
            "RIO-2000",
            "--version",
            "4.3.0",
            "--out",
            "pkg/release/rio-2000-4.3.0.intoto.json",
        ],
        d,
    ));
    std::fs::write(
        pkg.join("robustness/evidence.json"),
        r#"{"format":"otproof-robustness-campaign/1","configuration":{"protocol":"modbus-tcp"},"scope":{"protocol":"Modbus/TCP"},"result":{"cases":5000},"findings":[]}"#,
    )
    .expect("w");
    let out = otproof(
        &[
            "accept",
            "pkg/package.yaml",
            "--criteria",
            "pkg/criteria.yaml",
            "--today",
            "2026-11-26",
            "--format",
            "json",
            "--bundle",
            "acceptance.tar",
        ],
        d,
    );
    let said = ok(&out);
    assert!(said.contains("accept-with-exceptions"), "{said}");
    assert!(
        said.contains("warning"),
        "the certificate expires within a year: {said}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["decision"]["decision"], "accept-with-exceptions");
    ok(&otproof(&["verify", "--store"], d));
    assert!(d.join("acceptance.tar").is_file());

    // A tampered firmware: the signature criterion fails and there is no exception: reject.
    std::fs::write(pkg.join("release/rio-2000-4.3.0.bin"), b"firmware 4.3.0!").expect("w");
    let out = otproof(
        &[
            "accept",
            "pkg",
            "--criteria",
            "pkg/criteria.yaml",
            "--today",
            "2026-11-26",
        ],
        d,
    );
    fails(&out, 1, &["reject"]);

    // Malformed manifest: exit 2, file, line, column.
    std::fs::write(d.join("bad.yaml"), "product: X\nfirmwre: a\n").expect("w");
    let out = otproof(&["accept", "bad.yaml"], d);
    fails(&out, 2, &["bad.yaml", "line"]);
}
