//! Typed payloads: every committed schema under docs/schema/ matches the types, and every
//! payload type round-trips through a record's JSON with its format tag checked.

mod common;

use otproof_evidence::payload::{self, document::DocumentPayload, Payload};
use std::path::PathBuf;

#[test]
fn committed_payload_schemas_match_the_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema");
    let update = std::env::var_os("OTPROOF_UPDATE_SCHEMA").is_some();
    let all = payload::schemas();
    assert!(!all.is_empty());
    for (name, current) in &all {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, current).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            &committed == current,
            "{} is out of date with its payload type: run `OTPROOF_UPDATE_SCHEMA=1 cargo test -p otproof-evidence` and commit it (and bump the payload's VERSION if the change is incompatible)",
            path.display()
        );
        let v: serde_json::Value = serde_json::from_str(&committed).expect("schema is JSON");
        assert!(v["$schema"].as_str().is_some_and(|s| s.contains("2020-12")));
    }
    // No stale payload schema files.
    for e in std::fs::read_dir(&dir).expect("docs/schema") {
        let n = e.expect("entry").file_name().to_string_lossy().into_owned();
        if n.starts_with("payload-") {
            assert!(all.iter().any(|(f, _)| *f == n), "{n} has no payload type");
        }
    }
}

#[test]
fn document_payload_round_trips() {
    common::round_trip(&DocumentPayload {
        file: "sdl-process.pdf".into(),
        submitted_by: Some("Acme".into()),
        stated_version: Some("rev C".into()),
    });
    common::round_trip(&DocumentPayload {
        file: "x".into(),
        submitted_by: None,
        stated_version: None,
    });
    let bad = serde_json::json!({"payload_format": DocumentPayload::format(), "file": 3});
    let e = DocumentPayload::from_value(&bad).expect_err("wrong type");
    assert!(e.to_string().contains("invalid type"), "{e}");
}

#[test]
fn specification_payload_round_trips() {
    use otproof_catalog::{ComponentType, MaturityLevel};
    use otproof_evidence::payload::specification::SpecificationPayload;
    let p = SpecificationPayload {
        format: "otproof-spec/1".into(),
        catalog: "otproof IEC 62443 catalog".into(),
        component_type: ComponentType::NetworkDevice,
        sl_t: "3 3 2 2 3 1 3".parse().expect("sl-t"),
        ml: MaturityLevel::new(3).expect("ml"),
        support_years: 15,
        applicable_requirements: vec!["CR 1.1".into(), "CR 3.5".into()],
    };
    common::round_trip(&p);
    let mut v = p.to_value().expect("value");
    v["ml"] = serde_json::json!(7);
    let e = SpecificationPayload::from_value(&v).expect_err("ML 7");
    assert!(e.to_string().contains("maturity level"), "{e}");
}
