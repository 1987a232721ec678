//! Release, signature-check, device-identity and update-decision payloads round-trip with
//! their format tags, and a check with anything unchecked is not a pass.

mod common;

use otproof_evidence::payload::release::{
    CheckOutcome, DeviceIdentity, FileRef, ReleaseClaim, ReleaseStatement, SignatureCheck,
    SignatureDetail, SignatureMethod, SignedData,
};
use otproof_evidence::payload::update::{
    IntroducedVulnerability, SbomDifference, UpdateDecision, VulnSeverity,
};
use otproof_evidence::payload::Payload;

fn file(name: &str) -> FileRef {
    FileRef {
        name: name.into(),
        sha256: "ab".repeat(32),
    }
}

#[test]
fn release_statement_round_trips() {
    common::round_trip(&ReleaseStatement {
        envelope_sha256: "cd".repeat(32),
        key_id: "k1".into(),
        artifact_size: 262_144,
        sbom: Some(file("rio-2000-4.3.0.cdx.json")),
        evidence: vec![format!("sha256:{}", "01".repeat(32))],
    });
    common::round_trip(&ReleaseStatement {
        envelope_sha256: "cd".repeat(32),
        key_id: "k1".into(),
        artifact_size: 0,
        sbom: None,
        evidence: vec![],
    });
}

#[test]
fn signature_checks_round_trip_for_every_method_and_outcome() {
    let details = [
        (
            SignatureMethod::Dsse,
            SignatureDetail::Dsse {
                predicate_type: "https://otproof.dev/release/v1".into(),
                subject_name: "fw.bin".into(),
                release: Some(ReleaseClaim {
                    product: "RIO-2000".into(),
                    version: "4.3.0".into(),
                    created: "2026-01-01T00:00:00Z".into(),
                    sbom: Some(file("sbom.json")),
                    evidence: vec![],
                }),
            },
        ),
        (
            SignatureMethod::Sigstore,
            SignatureDetail::Sigstore {
                identity: Some("release@vendor.example".into()),
                issuer: Some("https://accounts.google.com".into()),
                log_index: Some(7),
                integrated_time: None,
            },
        ),
        (
            SignatureMethod::Cms,
            SignatureDetail::Cms {
                signer_subject: "CN=signer".into(),
                signer_serial: "01".into(),
                signing_time: None,
                chain: vec!["CN=signer".into(), "CN=ca".into()],
            },
        ),
        (
            SignatureMethod::Tuf,
            SignatureDetail::Tuf {
                target: "fw.bin".into(),
                length: 3,
                sha256: "ab".repeat(32),
                root_version: 2,
                targets_version: 5,
            },
        ),
        (
            SignatureMethod::InTotoLayout,
            SignatureDetail::InTotoLayout {
                owner_key_ids: vec!["k".into()],
                expires: "2030-01-01T00:00:00Z".into(),
                steps: 2,
                warnings: vec!["command differs".into()],
            },
        ),
        (
            SignatureMethod::Identity,
            SignatureDetail::Identity {
                name: "rio-0042".into(),
                product: "RIO-2000".into(),
                serial: "SN-0042".into(),
                vendor: "Example Automation".into(),
                device_key_id: "d".into(),
                issued: "2026-01-01T00:00:00Z".into(),
                data: Some(SignedData {
                    file: "telemetry.json".into(),
                    payload_type: "application/json".into(),
                    size: 12,
                }),
            },
        ),
    ];
    for (method, detail) in details {
        let verified = SignatureCheck {
            method,
            outcome: CheckOutcome::Verified,
            artifact: Some(file("fw.bin")),
            signer: Some("k1".into()),
            checked: vec!["signature".into()],
            not_checked: vec![],
            detail: Some(detail),
        };
        assert!(verified.passed());
        common::round_trip(&verified);
        let failed = SignatureCheck {
            outcome: CheckOutcome::Failed {
                check: "digest".into(),
                reason: "not a subject".into(),
            },
            signer: None,
            detail: None,
            ..verified.clone()
        };
        assert!(!failed.passed());
        common::round_trip(&failed);
        let partial = SignatureCheck {
            outcome: CheckOutcome::Incomplete,
            not_checked: vec!["inspection run-tests".into()],
            ..verified
        };
        assert!(!partial.passed());
        common::round_trip(&partial);
    }
    // "verified" with something unchecked is still not a pass.
    let odd = SignatureCheck {
        method: SignatureMethod::InTotoLayout,
        outcome: CheckOutcome::Verified,
        artifact: None,
        signer: None,
        checked: vec![],
        not_checked: vec!["x".into()],
        detail: None,
    };
    assert!(!odd.passed());
    let bad = serde_json::json!({
        "payload_format": SignatureCheck::format(),
        "method": "pgp",
        "outcome": {"result": "verified"},
    });
    let e = SignatureCheck::from_value(&bad).expect_err("unknown method");
    assert!(e.to_string().contains("pgp"), "{e}");
}

#[test]
fn device_identity_round_trips() {
    common::round_trip(&DeviceIdentity {
        name: "rio-0042".into(),
        serial: "SN-0042".into(),
        device_key_id: "d".into(),
        vendor_key_id: "v".into(),
    });
}

#[test]
fn update_decision_round_trips() {
    common::round_trip(&UpdateDecision {
        from_version: "4.2.0".into(),
        to_version: "4.3.0".into(),
        artifact: "fw.bin".into(),
        artifact_sha256: "ab".repeat(32),
        sbom_change: Some(SbomDifference {
            added: vec!["a@1".into()],
            removed: vec![],
            changed: vec!["b 1 -> 2".into()],
            fixed: vec!["CVE-1 in b".into()],
            introduced: vec![IntroducedVulnerability {
                id: "CVE-2 in a".into(),
                severity: VulnSeverity::Critical,
            }],
        }),
    });
    common::round_trip(&UpdateDecision {
        from_version: "1".into(),
        to_version: "2".into(),
        artifact: "x".into(),
        artifact_sha256: String::new(),
        sbom_change: None,
    });
    for w in ["critical", "high", "medium", "low", "none", "unknown"] {
        assert_eq!(VulnSeverity::from_word(w).word(), w);
    }
    assert_eq!(VulnSeverity::from_word("severe"), VulnSeverity::Unknown);
}
