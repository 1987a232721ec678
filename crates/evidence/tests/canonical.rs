//! The direct canonical writer (`Record::canonical_json`) against the generic path
//! (`Record::canonical_json_via_value`: serde to `serde_json::Value`, then RFC 8785): the same
//! bytes on generated records that cover every variant and every optional field, with strings
//! that need escapes, non-ASCII text, numbers beyond 2^53 and arbitrary JSON payloads.

use otproof_catalog::ComponentType;
use otproof_evidence::{
    parse_canonical, Artifact, Attachment, Body, Criterion, CriterionResult, Decision, Evidence,
    EvidenceKind, Exception, Finding, FindingStatus, Producer, Record, RecordId, Severity,
    Sha256Digest, Subject, Verdict,
};
use proptest::prelude::*;
use serde_json::Value;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._-]{0,16}",
        "[a-z\"\\\\/\\x00-\\x1f\\x7f]{0,12}",
        "(?s).{0,12}",
        "[\u{e9}\u{20ac}\u{2028}\u{fb33}\u{1f600}a]{0,8}",
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(text())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        any::<u64>().prop_map(|u| serde_json::json!(u)),
        (-1e300f64..1e300).prop_map(|f| serde_json::json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn digest() -> impl Strategy<Value = Sha256Digest> {
    any::<[u8; 32]>().prop_map(Sha256Digest)
}

fn record_id() -> impl Strategy<Value = RecordId> {
    digest().prop_map(RecordId)
}

fn small_vec<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(s, 0..3)
}

fn subject() -> impl Strategy<Value = Subject> {
    let component = prop::option::of(prop::sample::select(vec![
        ComponentType::SoftwareApplication,
        ComponentType::EmbeddedDevice,
        ComponentType::HostDevice,
        ComponentType::NetworkDevice,
    ]));
    let artifact = (text(), digest()).prop_map(|(name, sha256)| Artifact { name, sha256 });
    prop_oneof![
        text().prop_map(|vendor| Subject::Vendor { vendor }),
        (text(), text(), opt_text(), component, small_vec(artifact)).prop_map(
            |(vendor, product, version, component_type, artifacts)| Subject::Product {
                vendor,
                product,
                version,
                component_type,
                artifacts,
            }
        ),
        (text(), opt_text(), opt_text()).prop_map(|(system, zone, conduit)| Subject::System {
            system,
            zone,
            conduit,
        }),
    ]
}

fn size() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..1_000_000,
        any::<u64>(),
        Just(1u64 << 53),
        Just((1u64 << 53) + 1)
    ]
}

fn attachment() -> impl Strategy<Value = Attachment> {
    (text(), text(), digest(), size()).prop_map(|(name, media_type, sha256, size)| Attachment {
        name,
        media_type,
        sha256,
        size,
    })
}

fn finding() -> impl Strategy<Value = Finding> {
    let severity = prop::sample::select(vec![
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]);
    let status = prop::sample::select(vec![
        FindingStatus::Open,
        FindingStatus::Fixed,
        FindingStatus::AcceptedRisk,
    ]);
    (
        text(),
        severity,
        text(),
        opt_text(),
        prop::option::of(json_value()),
        status,
        opt_text(),
        small_vec(text()),
    )
        .prop_map(
            |(title, severity, behaviour, observed, reproducer, status, remediation, reqs)| {
                Finding {
                    title,
                    severity,
                    behaviour,
                    observed,
                    reproducer,
                    status,
                    remediation,
                    requirements: reqs,
                }
            },
        )
}

fn evidence() -> impl Strategy<Value = Evidence> {
    (
        prop::sample::select(EvidenceKind::ALL.to_vec()),
        text(),
        small_vec(text()),
        subject(),
        json_value(),
        small_vec(attachment()),
        small_vec(finding()),
    )
        .prop_map(
            |(kind, title, requirements, subject, payload, attachments, findings)| Evidence {
                kind,
                title,
                requirements,
                subject,
                payload,
                attachments,
                findings,
            },
        )
}

fn decision() -> impl Strategy<Value = Decision> {
    let result = prop::sample::select(vec![
        CriterionResult::Pass,
        CriterionResult::Fail,
        CriterionResult::Exception,
        CriterionResult::NotApplicable,
    ]);
    let criterion = (text(), text(), result, small_vec(record_id())).prop_map(
        |(id, description, result, evidence)| Criterion {
            id,
            description,
            result,
            evidence,
        },
    );
    let exception = (text(), text(), text(), opt_text()).prop_map(
        |(criterion, justification, owner, until)| Exception {
            criterion,
            justification,
            owner,
            until,
        },
    );
    (
        prop::sample::select(Verdict::ALL.to_vec()),
        text(),
        subject(),
        small_vec(text()),
        small_vec(criterion),
        small_vec(record_id()),
        small_vec(exception),
        text(),
        json_value(),
    )
        .prop_map(
            |(
                decision,
                title,
                subject,
                requirements,
                criteria,
                references,
                exceptions,
                decided_by,
                payload,
            )| Decision {
                decision,
                title,
                subject,
                requirements,
                criteria,
                references,
                exceptions,
                decided_by,
                payload,
            },
        )
}

fn record() -> impl Strategy<Value = Record> {
    let producer = (text(), text(), opt_text()).prop_map(|(tool, version, operation)| Producer {
        tool,
        version,
        operation,
    });
    let body = prop_oneof![
        evidence().prop_map(Body::Evidence),
        decision().prop_map(Body::Decision),
    ];
    (
        text(),
        text(),
        producer,
        prop::option::of(record_id()),
        body,
    )
        .prop_map(|(format, created, producer, supersedes, body)| Record {
            format,
            created,
            producer,
            supersedes,
            body,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn direct_writer_and_value_path_give_identical_bytes(r in record()) {
        let direct = r.canonical_json().expect("direct");
        let via_value = r.canonical_json_via_value().expect("via value");
        prop_assert_eq!(&direct, &via_value);
        // And the result is a fixed point of the generic canonicaliser.
        prop_assert_eq!(
            otproof_evidence::jcs::canonicalize_str(&direct).expect("valid JSON"),
            direct
        );
    }
}

#[test]
fn a_record_with_every_field_set_round_trips_through_both_paths() {
    let id = RecordId(Sha256Digest([0xab; 32]));
    let evidence = Record {
        format: otproof_evidence::RECORD_FORMAT.into(),
        created: "2026-11-25T10:00:00Z".into(),
        producer: Producer::otproof("test"),
        supersedes: Some(id),
        body: Body::Evidence(Evidence {
            kind: EvidenceKind::RobustnessCampaign,
            title: "t \"q\" \u{1}".into(),
            requirements: vec!["CR 3.5".into()],
            subject: Subject::Product {
                vendor: "V".into(),
                product: "P".into(),
                version: Some("1".into()),
                component_type: Some(ComponentType::EmbeddedDevice),
                artifacts: vec![Artifact {
                    name: "fw.bin".into(),
                    sha256: Sha256Digest([1; 32]),
                }],
            },
            payload: serde_json::json!({"b": [1, 2.5, null], "a": {"\u{20ac}": true, "\r": 1}}),
            attachments: vec![Attachment {
                name: "r.pdf".into(),
                media_type: "application/pdf".into(),
                sha256: Sha256Digest([2; 32]),
                size: u64::MAX,
            }],
            findings: vec![Finding {
                title: "crash".into(),
                severity: Severity::High,
                behaviour: "crash".into(),
                observed: Some("o".into()),
                reproducer: Some(Value::Null),
                status: FindingStatus::AcceptedRisk,
                remediation: Some("r".into()),
                requirements: vec!["CR 7.1".into()],
            }],
        }),
    };
    let decision = Record {
        body: Body::Decision(Decision {
            decision: Verdict::AcceptWithExceptions,
            title: "d".into(),
            subject: Subject::System {
                system: "S".into(),
                zone: Some("Z".into()),
                conduit: Some("C".into()),
            },
            requirements: vec!["SVV-3".into()],
            criteria: vec![Criterion {
                id: "SBOM-1".into(),
                description: "x".into(),
                result: CriterionResult::NotApplicable,
                evidence: vec![id],
            }],
            references: vec![id],
            exceptions: vec![Exception {
                criterion: "SBOM-1".into(),
                justification: "j".into(),
                owner: "o".into(),
                until: Some("2027-01-01".into()),
            }],
            decided_by: "me".into(),
            payload: serde_json::json!([1]),
        }),
        ..evidence.clone()
    };
    for r in [evidence, decision] {
        let direct = r.canonical_json().expect("direct");
        assert_eq!(direct, r.canonical_json_via_value().expect("via value"));
        if let Body::Evidence(_) = r.body {
            // Some(null) reproducers do not survive a parse (null reads as None), so only the
            // decision is checked for the round trip below.
            continue;
        }
        assert_eq!(parse_canonical(direct.as_bytes()).expect("parse"), r);
    }
}
