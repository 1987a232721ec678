//! Round trips of the decision payloads: SL-A claim, vendor scores, 4-1 self-assessment,
//! acceptance and the acceptance's signature check.

mod common;

use otproof_evidence::payload::acceptance::{
    AcceptancePayload, CertificateListed, CriteriaSummary,
};
use otproof_evidence::payload::sdl::{PracticeLevel, RequirementRecords, SdlAssessmentPayload};
use otproof_evidence::payload::sl_a::{EvidenceNotRelied, GapCounts, ScopeLevels, SlAClaimPayload};
use otproof_evidence::payload::vendors::{
    CitedEvidence, DimensionPoints, ItemPoints, ScoreWeights, VendorScorePayload,
    VendorScoresPayload,
};
use otproof_evidence::{Attachment, Payload, RecordId, Sha256Digest};

fn id(n: u8) -> RecordId {
    format!("sha256:{}", hex_of(n)).parse().expect("record id")
}

fn hex_of(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

#[test]
fn sl_a_claim_round_trips() {
    let digest: Sha256Digest = hex_of(7).parse().expect("digest");
    common::round_trip(&SlAClaimPayload {
        evaluation_format: "otproof-zones-evaluation/1".into(),
        zones: vec![ScopeLevels {
            name: "Control".into(),
            sl_t: "{2 2 2 1 2 1 2}".into(),
            sl_a: "{2 2 1 1 2 1 2}".into(),
        }],
        conduits: vec![],
        gaps: GapCounts {
            closed: 3,
            open_justified: 1,
            open: 0,
        },
        not_relied_on: vec![EvidenceNotRelied {
            asset: "plc-1".into(),
            reference: "sha256:ab".into(),
            reason: "not in the store".into(),
        }],
        attachments: vec![Attachment {
            name: "model.yaml".into(),
            media_type: "application/yaml".into(),
            sha256: digest,
            size: 12,
        }],
    });
    let bad = serde_json::json!({"payload_format": SlAClaimPayload::format(), "zones": []});
    let e = SlAClaimPayload::from_value(&bad).expect_err("fields missing");
    assert!(e.to_string().contains("missing field"), "{e}");
}

#[test]
fn vendor_scores_round_trip() {
    let score = VendorScorePayload {
        format: "otproof-vendor-score/1".into(),
        vendor: "Northwind".into(),
        product: Some("NW-RIO 4000".into()),
        version: None,
        specification: "RTU".into(),
        sl_t: "{2 2 2 2 2 2 2}".into(),
        support_years: 10,
        today: "2026-12-07".into(),
        weights: ScoreWeights {
            security_maturity: 35,
            technical_capability: 40,
            support_readiness: 25,
        },
        dimensions: vec![DimensionPoints {
            key: "security-maturity".into(),
            name: "Security maturity".into(),
            weight: 35,
            points: 7.5,
            attainable: 10.0,
            percent: 75.0,
            items: 5,
        }],
        total_percent: 62.5,
        items: vec![ItemPoints {
            id: "SM-1".into(),
            title: "Development process".into(),
            dimension: "security-maturity".into(),
            answer: Some("yes".into()),
            points: 1.0,
            max: 2.0,
            reason: "yes; evidence found but not proven: counts half".into(),
            evidence: vec![CitedEvidence {
                id: id(1).to_string(),
                kind: "document".into(),
                title: "SDL manual".into(),
                requirements: vec!["SM-1".into()],
                verified: false,
                not_verified: Some("no inclusion proof".into()),
                origin: Some("supplied".into()),
            }],
            unresolved_evidence: vec!["missing doc".into()],
            not_applicable: vec![],
        }],
        gaps: vec![],
        notes: vec!["note".into()],
    };
    common::round_trip(&VendorScoresPayload {
        scores: vec![score.clone()],
    });
    common::round_trip(&VendorScoresPayload { scores: vec![] });
    // A bare array (the shape before typed payloads) is not this payload.
    assert!(VendorScoresPayload::from_value(&serde_json::json!([])).is_err());
}

#[test]
fn sdl_assessment_round_trips() {
    common::round_trip(&SdlAssessmentPayload {
        assessment_format: "otproof-sdl-assessment/1".into(),
        product: Some("RIO-2000".into()),
        records_considered: 4,
        overall: 1,
        practices: vec![PracticeLevel {
            practice: "SM".into(),
            name: "Security management".into(),
            level: 2,
            requirements: vec![RequirementRecords {
                id: "SM-1".into(),
                title: "Development process".into(),
                records: vec![id(2).to_string()],
                process: true,
                applied: false,
            }],
            reviews: vec![],
            to_next_level: vec!["SM-1: an applied record".into()],
        }],
        limits: vec!["a self-assessment".into()],
    });
    let bad = serde_json::json!({"payload_format": SdlAssessmentPayload::format(), "assessment_format": "x", "product": null, "records_considered": 0, "overall": "high", "practices": [], "limits": []});
    let e = SdlAssessmentPayload::from_value(&bad).expect_err("level is a number");
    assert!(e.to_string().contains("invalid type"), "{e}");
}

#[test]
fn acceptance_payloads_round_trip() {
    common::round_trip(&AcceptancePayload {
        decided_on: "2026-11-26".into(),
        summary: CriteriaSummary {
            pass: 8,
            fail: 0,
            exception: 1,
            optional_not_met: 1,
        },
        optional: vec!["CERT-1".into()],
        end_of_support: Some("2036-12-31".into()),
        certificates: vec![CertificateListed {
            record: Some(id(3)),
            scheme: "IECEE".into(),
            issuer: Some("Example CB".into()),
            issued: None,
            scope: "IEC 62443-4-1 process".into(),
            number: "CB-1".into(),
            expires: "2027-06-30".into(),
        }],
        warn_days_before_eos: 365,
        warnings: vec!["certificate expires soon".into()],
        limitations: vec!["presence only".into()],
    });
}
