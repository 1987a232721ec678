//! `otproof vendors score` against issue 14's attacks, end to end with the real binary: cited
//! records count only where they apply, the buyer's own records never, `not-applicable` is
//! not free, `--dry-run` records nothing and the same run again records nothing new.

mod common;

use common::{ok, otproof, text};
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
        .display()
        .to_string()
}

/// The strong sample with every item's evidence replaced by `titles` (and, with `na`, every
/// answer `not-applicable` with a justification), written as `name`.
fn gamed(d: &Path, name: &str, titles: &[&str], na: bool) -> String {
    let text = std::fs::read_to_string(repo("testdata/vendors/strong.yaml")).expect("sample");
    let mut q: serde_json::Value = serde_saphyr::from_str(&text).expect("sample parses");
    for item in q["items"].as_array_mut().expect("items") {
        item["evidence"] = serde_json::json!(titles);
        if na {
            item["answer"] = "not-applicable".into();
            item["comment"] = "not applicable to our product".into();
        }
    }
    std::fs::write(d.join(name), serde_json::to_string(&q).expect("json")).expect("write");
    name.to_string()
}

fn add(d: &Path, file: &str, title: &str, kind: &str, req: &str, vendor: &str) {
    std::fs::write(d.join(file), "x\n").expect("write");
    ok(&otproof(
        &[
            "evidence",
            "add",
            file,
            "--kind",
            kind,
            "--title",
            title,
            "--requirement",
            req,
            "--vendor",
            vendor,
            "--product",
            "NW-RIO 4000 remote I/O",
            "--version",
            "4.2.1",
        ],
        d,
    ));
}

/// Score one questionnaire as JSON without recording: (total, the score).
fn total(d: &Path, answers: &str) -> (f64, serde_json::Value) {
    let out = otproof(
        &["vendors", "score", answers, "--format", "json", "--dry-run"],
        d,
    );
    ok(&out);
    assert!(
        text(&out.stderr).contains("dry run"),
        "{}",
        text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let s = v["scores"][0].clone();
    (s["total_percent"].as_f64().expect("total"), s)
}

#[test]
fn irrelevant_and_buyer_records_earn_nothing_and_not_applicable_is_not_free() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(&["init"], d));
    add(d, "u.md", "Unrelated", "document", "SM-1", "Mallory Ltd");
    add(
        d,
        "s.md",
        "Buyer specification",
        "specification",
        "SM-1",
        "Northwind Controls",
    );
    add(
        d,
        "a.md",
        "one line A",
        "document",
        "CR 1.1",
        "Northwind Controls",
    );
    add(
        d,
        "b.md",
        "one line B",
        "document",
        "CR 3.5",
        "Northwind Controls",
    );

    let (base, _) = total(d, &gamed(d, "plain.yaml", &[], false));
    let (unrelated, s) = total(d, &gamed(d, "unrelated.yaml", &["Unrelated"], false));
    assert_eq!(unrelated, base);
    let reason = s["items"][0]["not_applicable"][0]["reason"]
        .as_str()
        .unwrap_or("");
    assert!(reason.contains("Mallory Ltd"), "{reason}");
    let (spec, s) = total(d, &gamed(d, "spec.yaml", &["Buyer specification"], false));
    assert_eq!(spec, base);
    let reason = s["items"][0]["not_applicable"][0]["reason"]
        .as_str()
        .unwrap_or("");
    assert!(reason.contains("buyer's own record"), "{reason}");
    let (two, s) = total(
        d,
        &gamed(d, "two.yaml", &["one line A", "one line B"], false),
    );
    assert!(two < base + 5.0 && two < 60.0, "{two} vs {base}");
    let sm1 = s["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == "SM-1")
        .expect("SM-1")
        .clone();
    assert!(sm1["evidence"].as_array().is_some_and(|e| e.is_empty()));
    assert_eq!(sm1["not_applicable"].as_array().map(Vec::len), Some(2));

    // Everything not-applicable: below the honest vendor without evidence, every item a gap.
    let (na, s) = total(d, &gamed(d, "na.yaml", &[], true));
    let (honest, _) = total(d, &repo("testdata/vendors/assertions.yaml"));
    assert!(na < honest && na < 1.0, "{na} vs {honest}");
    let gaps = s["gaps"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(Some(gaps), s["items"].as_array().map(Vec::len));

    // Recording: once, then the same run again appends nothing and exits 0.
    let first = otproof(&["vendors", "score", "two.yaml"], d);
    ok(&first);
    assert!(text(&first.stderr).contains("recorded the scores as"));
    let again = otproof(&["vendors", "score", "two.yaml"], d);
    ok(&again);
    assert!(
        text(&again.stderr).contains("already recorded"),
        "{}",
        text(&again.stderr)
    );
}
