//! `otproof sdl assess` end to end against the attacks of issue 14: two one-line records
//! naming all 47 requirements, an unrelated SBOM check and the buyer's own decisions in the
//! store. The command reads only: it records nothing, and re-running gives the same result.

mod common;

use common::{fails, ok, otproof};
use otproof_catalog::{Catalog, Practice};
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
        .display()
        .to_string()
}

fn all_4_1() -> Vec<String> {
    let c = Catalog::builtin();
    Practice::ALL
        .iter()
        .flat_map(|p| c.practice_requirements(*p))
        .map(|r| r.id.clone())
        .collect()
}

fn add(d: &Path, file: &str, bytes: &str, extra: &[&str]) {
    std::fs::write(d.join(file), bytes).expect("write");
    let reqs = all_4_1();
    let mut args = vec!["evidence", "add", file];
    for r in &reqs {
        args.extend(["--requirement", r.as_str()]);
    }
    args.extend(extra);
    ok(&otproof(&args, d));
}

fn assess_json(d: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["sdl", "assess", "--format", "json"];
    a.extend(args);
    let out = otproof(&a, d);
    ok(&out);
    serde_json::from_slice(&out.stdout).expect("json")
}

fn levels(v: &serde_json::Value) -> Vec<u64> {
    v["practices"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["level"].as_u64()).collect())
        .unwrap_or_default()
}

fn record_count(d: &Path) -> usize {
    let out = otproof(&["evidence", "list"], d);
    ok(&out).lines().filter(|l| l.contains("sha256:")).count()
}

#[test]
fn one_line_records_the_buyers_decisions_and_other_vendors_checks_give_ml1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(&["init"], d));
    // Issue 14: an 18-byte document naming all 47 requirements with a product, and a 15-byte
    // `--kind assessment` record, gave ML 4 on every practice.
    add(
        d,
        "process.md",
        "# SDL process v1\n\n",
        &["--vendor", "Acme", "--product", "P"],
    );
    add(
        d,
        "review.txt",
        "reviewed: ok.\n\n",
        &["--kind", "assessment", "--vendor", "Acme", "--product", "P"],
    );
    // An unrelated SBOM check and the buyer's own scoring decision in the same store.
    ok(&otproof(
        &[
            "vulndb",
            "import",
            &repo("testdata/rio-2000/vulndb"),
            "--db",
            "vulns.sqlite",
        ],
        d,
    ));
    let out = otproof(
        &[
            "sbom",
            "check",
            &repo("testdata/rio-2000/rio-2000-4.2.0.cdx.json"),
            "--db",
            "vulns.sqlite",
        ],
        d,
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    ok(&otproof(
        &["vendors", "score", &repo("testdata/vendors/strong.yaml")],
        d,
    ));
    let before = record_count(d);

    let v = assess_json(d, &["--vendor", "Acme"]);
    assert_eq!(levels(&v), [1; 8], "{v:#}");
    assert_eq!(v["overall"], 1);
    assert_eq!(v["records_considered"], 0);
    let reasons: Vec<String> = v["not_counted"]
        .as_array()
        .map(|n| {
            n.iter()
                .map(|x| format!("{} {}", x["kind"], x["reason"]))
                .collect()
        })
        .unwrap_or_default();
    let joined = reasons.join("\n");
    assert!(joined.contains("18 bytes of content"), "{joined}");
    assert!(joined.contains("15 bytes of content"), "{joined}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("sbom-check") && r.contains("vendor")),
        "{joined}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("decision/") && r.contains("buyer")),
        "{joined}"
    );
    for p in v["practices"].as_array().into_iter().flatten() {
        assert!(
            p["capped_by"]
                .as_str()
                .is_some_and(|c| c.starts_with("ML 2")),
            "{p:#}"
        );
    }
    // The text reports print the rule that capped each practice and what did not count.
    let md = ok(&otproof(&["sdl", "assess", "--vendor", "Acme"], d));
    assert!(md.contains("Capped by: ML 2 needs every requirement named by a process document"));
    assert!(md.contains("Records not counted") && md.contains("18 bytes of content"));
    ok(&otproof(
        &[
            "sdl", "assess", "--vendor", "Acme", "--format", "html", "--out", "a.html",
        ],
        d,
    ));
    let html = std::fs::read_to_string(d.join("a.html")).expect("html");
    assert!(html.contains("Capped by:") && html.contains("Records not counted"));

    // The scored vendor gets nothing from the buyer's decision about it either.
    let v = assess_json(d, &["--vendor", "Northwind Controls"]);
    assert_eq!(levels(&v), [1; 8]);
    assert_eq!(v["records_considered"], 0);

    // Reads only: nothing recorded, and the same answer (exit 0) every time.
    let first = assess_json(d, &["--vendor", "Acme"]);
    assert_eq!(first, assess_json(d, &["--vendor", "Acme"]));
    assert_eq!(
        first["not_counted"],
        assess_json(d, &["--vendor", "acme"])["not_counted"]
    );
    assert_eq!(record_count(d), before);
}

#[test]
fn padded_documents_alone_stay_at_ml1_and_bad_input_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // No store, no vendor, an empty vendor: exit 2, nothing created.
    fails(
        &otproof(&["sdl", "assess", "--vendor", "Acme"], d),
        2,
        &["otproof init"],
    );
    ok(&otproof(&["init"], d));
    let before = record_count(d);
    fails(&otproof(&["sdl", "assess"], d), 2, &["--vendor"]);
    fails(
        &otproof(&["sdl", "assess", "--vendor", " "], d),
        2,
        &["vendor"],
    );
    assert_eq!(record_count(d), before);
    // A real-sized process document naming a product is not its own application.
    let big = "A documented secure development process.\n".repeat(400);
    add(
        d,
        "process.md",
        &big,
        &["--vendor", "Acme", "--product", "P"],
    );
    let v = assess_json(d, &["--vendor", "Acme", "--product", "P"]);
    assert_eq!(levels(&v), [1; 8]);
    assert!(v["practices"][0]["capped_by"]
        .as_str()
        .is_some_and(|c| c.contains("applied to the product")));
}
