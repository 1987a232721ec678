//! `otproof zones check` against a model written to look better than it is: countermeasures
//! that change nothing are not named as what closed a gap, and a zone without assets has no
//! SL-A (not 4).

mod common;

use common::{otproof, text};
use std::path::PathBuf;

const MODEL: &str = r#"
zones:
  - name: a
    sl_t: {2 1 1 1 1 1 1}
  - name: hollow
    sl_t: {1 1 1 1 1 1 1}
assets:
  - name: dev-a
    zone: a
    component_type: embedded-device
    sl_c: "1 1 1 1 1 1 1"
countermeasures:
  - name: raises-iac
    covers: [IAC]
    provides: 2
    applies_to: [dev-a]
  - name: decoy-same-level
    covers: [IAC]
    provides: 1
    applies_to: [dev-a]
  - name: decoy-other-fr
    covers: [UC]
    provides: 2
    applies_to: [dev-a]
  - name: decoy-on-empty-zone
    covers: [IAC, UC, SI, DC, RDF, TRE, RA]
    provides: 4
    applies_to: [hollow]
"#;

#[test]
fn decoy_countermeasures_and_empty_zones_do_not_make_a_model_look_better() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("model.yaml"), MODEL).expect("write");
    let out = otproof(
        &[
            "zones",
            "check",
            "model.yaml",
            "--format",
            "json",
            "--out",
            "z.json",
        ],
        d,
    );
    // The empty zone's gaps are open: exit 1, and nothing panicked.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("z.json")).expect("read"))
            .expect("json");
    let gaps = v
        .pointer("/evaluation/gaps")
        .or_else(|| v.get("gaps"))
        .and_then(|g| g.as_array())
        .expect("gaps");
    let iac = gaps
        .iter()
        .find(|g| g["name"] == "a" && g["fr"] == 1)
        .unwrap_or_else(|| panic!("IAC gap of zone a in {gaps:?}"));
    assert_eq!(iac["status"], "closed");
    assert_eq!(iac["closed_by"], serde_json::json!(["raises-iac"]));
    let zones = v
        .pointer("/evaluation/zones")
        .or_else(|| v.get("zones"))
        .and_then(|z| z.as_array())
        .expect("zones");
    let hollow = zones
        .iter()
        .find(|z| z["name"] == "hollow")
        .expect("hollow zone");
    assert_eq!(hollow["no_sl_a"], true);
    assert!(
        gaps.iter()
            .filter(|g| g["name"] == "hollow")
            .all(|g| g["status"] == "open"),
        "{gaps:?}"
    );
    // In the document people read, it says so.
    otproof(&["zones", "check", "model.yaml", "--out", "z.md"], d);
    let md = std::fs::read_to_string(d.join("z.md")).expect("md");
    assert!(md.contains("no SL-A"), "{md}");
    assert!(
        !md.contains("decoy-same-level by") && !md.contains("by decoy"),
        "{md}"
    );
}

#[test]
fn a_dry_run_records_nothing_and_a_rerun_gives_the_same_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let init = otproof(&["init"], d);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/water-treatment.yaml")
        .display()
        .to_string();
    let size = |d: &std::path::Path| {
        let out = otproof(&["ledger", "status", "--json"], d);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
        v["size"].as_u64().expect("size")
    };
    let dry = otproof(&["zones", "check", &model, "--dry-run", "--out", "a.md"], d);
    assert!(
        text(&dry.stderr).contains("dry run"),
        "{}",
        text(&dry.stderr)
    );
    assert_eq!(size(d), 0, "a dry run appended a record");
    let first = otproof(&["zones", "check", &model, "--out", "b.md"], d);
    let second = otproof(&["zones", "check", &model, "--out", "c.md"], d);
    assert_eq!(
        first.status.code(),
        second.status.code(),
        "{}\n---\n{}",
        text(&first.stderr),
        text(&second.stderr)
    );
    assert_eq!(dry.status.code(), first.status.code());
    assert!(
        !text(&second.stderr).contains("already"),
        "{}",
        text(&second.stderr)
    );
    let read = |f: &str| std::fs::read_to_string(d.join(f)).expect("read");
    assert_eq!(read("a.md"), read("b.md"));
    assert_eq!(read("b.md"), read("c.md"));
    assert!(size(d) >= 1);
}
