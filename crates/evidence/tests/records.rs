//! Records: identity, canonical bytes, validation against the catalog, and the committed
//! JSON Schema.

use otproof_catalog::Catalog;
use otproof_evidence::*;
use std::path::PathBuf;

fn sample() -> Record {
    Record {
        format: RECORD_FORMAT.into(),
        created: "2026-11-25T10:00:00Z".into(),
        producer: Producer::otproof("test"),
        supersedes: None,
        body: Body::Evidence(Evidence {
            kind: EvidenceKind::Document,
            title: "Secure development process v3".into(),
            requirements: vec!["sm1".into(), "SVV 3".into(), "cr 3.5".into()],
            subject: Subject::Product {
                vendor: "Acme".into(),
                product: "RTU-5".into(),
                version: Some("2.1".into()),
                component_type: Some(otproof_catalog::ComponentType::EmbeddedDevice),
                artifacts: vec![],
            },
            payload: serde_json::json!({"pages": 42, "approved": true}),
            attachments: vec![Attachment {
                name: "sdl.pdf".into(),
                media_type: "application/pdf".into(),
                sha256: Sha256Digest::of(b"%PDF-1.7"),
                size: 8,
            }],
            findings: vec![],
        }),
    }
}

#[test]
fn validation_canonicalises_requirement_ids_and_rejects_unknown_ones() {
    let mut r = sample();
    r.validate(Catalog::builtin()).expect("valid");
    assert_eq!(r.requirements(), vec!["SM-1", "SVV-3", "CR 3.5"]);
    let mut bad = sample();
    if let Body::Evidence(e) = &mut bad.body {
        e.requirements.push("CR 99.1".into());
    }
    let err = bad
        .validate(Catalog::builtin())
        .expect_err("unknown requirement");
    assert!(err
        .to_string()
        .contains("'CR 99.1' is not in the IEC 62443 catalog"));
    let mut late = sample();
    late.created = "yesterday".into();
    assert!(matches!(
        late.validate(Catalog::builtin()),
        Err(RecordError::Time(_))
    ));
}

#[test]
fn identity_is_the_digest_of_canonical_json_and_any_change_changes_it() {
    let mut r = sample();
    r.validate(Catalog::builtin()).expect("valid");
    let bytes = r.canonical_json().expect("canonical");
    assert!(!bytes.contains('\n') && !bytes.contains(": "));
    assert_eq!(
        r.id().expect("id"),
        RecordId::of_canonical(bytes.as_bytes())
    );
    assert_eq!(parse_canonical(bytes.as_bytes()).expect("parses back"), r);
    let id = r.id().expect("id");
    let mut changed = r.clone();
    changed.created = "2026-11-25T10:00:01Z".into();
    assert_ne!(changed.id().expect("id"), id);
    let mut newer = r.clone();
    newer.supersedes = Some(id);
    assert_ne!(newer.id().expect("id"), id);
    assert!(id.to_string().starts_with("sha256:") && id.to_string().len() == 71);
    assert_eq!(id.to_string().parse::<RecordId>().expect("parse"), id);
}

#[test]
fn non_canonical_or_unknown_bytes_are_refused() {
    let r = sample();
    let pretty = serde_json::to_string_pretty(&r).expect("json");
    assert!(parse_canonical(pretty.as_bytes()).is_err());
    let canon = r.canonical_json().expect("c");
    let extra = canon.replacen('{', "{\"zzz\":1,", 1);
    assert!(parse_canonical(extra.as_bytes()).is_err());
    assert!(parse_canonical(&[0xff, 0xfe]).is_err());
    assert!("sha256:XYZ".parse::<RecordId>().is_err());
    assert!("abc".parse::<Sha256Digest>().is_err());
}

#[test]
fn decisions_round_trip() {
    let mut d = Record::new(
        "accept",
        Body::Decision(Decision {
            decision: Verdict::AcceptWithExceptions,
            title: "Acceptance of RTU-5 2.1".into(),
            subject: Subject::System {
                system: "Water plant".into(),
                zone: Some("Cell 1".into()),
                conduit: None,
            },
            requirements: vec!["CR 7.1".into()],
            criteria: vec![Criterion {
                id: "ROB-1".into(),
                description: "robustness evidence".into(),
                result: CriterionResult::Exception,
                evidence: vec![sample().id().expect("id")],
            }],
            references: vec![],
            exceptions: vec![Exception {
                criterion: "ROB-1".into(),
                justification: "compensated by a protocol firewall".into(),
                owner: "OT security lead".into(),
                until: Some("2027-06-30".into()),
            }],
            decided_by: "J. Doe".into(),
            payload: serde_json::Value::Null,
        }),
    );
    d.validate(Catalog::builtin()).expect("valid");
    let bytes = d.canonical_json().expect("c");
    assert_eq!(parse_canonical(bytes.as_bytes()).expect("back"), d);
    assert_eq!(d.kind_label(), "decision/accept-with-exceptions");
}

#[test]
fn committed_json_schema_matches_the_types() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/record-v1.schema.json");
    let current = schema();
    if std::env::var_os("OTPROOF_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &current).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "{} is out of date with the record types: run `OTPROOF_UPDATE_SCHEMA=1 cargo test -p otproof-evidence` and commit it (and bump RECORD_FORMAT if the change is incompatible)",
        path.display()
    );
    let v: serde_json::Value = serde_json::from_str(&committed).expect("schema is JSON");
    assert!(v["$schema"].as_str().is_some_and(|s| s.contains("2020-12")));
}
