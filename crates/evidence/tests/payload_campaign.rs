//! The robustness-campaign payload: round trips (a realistic campaign, an empty one), enum
//! names, and named failures on bad shapes.

mod common;

use otproof_evidence::payload::campaign::*;
use otproof_evidence::payload::{Payload, PayloadError};
use otproof_evidence::{FindingStatus, Severity};

fn realistic() -> RobustnessCampaign {
    let mut coverage = CampaignCoverage::default();
    for (k, v) in [
        ("1/valid", 12u64),
        ("1/boundary", 10),
        ("16/length-mismatch", 3),
    ] {
        coverage.pairs.insert(k.into(), v);
    }
    coverage.pairs_total = 33;
    coverage
        .cells
        .insert("16/byte count/length-mismatch".into(), 3);
    coverage.outcomes.insert("response".into(), 20);
    coverage.outcomes.insert("closed".into(), 2);
    RobustnessCampaign {
        scope: CampaignScope {
            protocol: "Modbus/TCP (MBAP), Modbus Application Protocol V1.1b3".into(),
            target: "127.0.0.1:5020".into(),
            unit_id: Some(1),
            vendor: "Example Automation".into(),
            product: "RIO-2000".into(),
            version: Some("4.3.0".into()),
            function_codes: vec![1, 2, 3, 4, 5, 6, 15, 16, 23, 43],
        },
        configuration: CampaignConfiguration {
            protocol: "modbus-tcp".into(),
            target: "127.0.0.1:5020".into(),
            seed: 2026,
            cases_limit: None,
            duration_limit_s: Some(20.0),
            concurrency: 2,
            timeout_ms: 500,
            degradation_factor: 10.0,
            started_at_case: 0,
        },
        result: CampaignResult {
            cases: 41_213,
            undelivered: 0,
            undelivered_limit_percent: None,
            verdict: Some(CampaignVerdict::Fail),
            next_case: 41_213,
            elapsed_s: 20.004,
            cases_per_second: 41_213.0 / 20.004,
            baseline_probe_ms: Some(0.85),
            stopped: None,
            target_identity: vec![IdentityObject {
                object: "vendor".into(),
                value: "Example Automation".into(),
            }],
        },
        coverage,
        provenance: Some(CampaignProvenance {
            tool: "otproof".into(),
            tool_version: "0.1.0".into(),
            started_at: Some("2026-12-07T15:00:00Z".into()),
        }),
        rules: vec![BehaviourRule {
            behaviour: Behaviour::Crash,
            severity: Severity::High,
            cvss_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
            cvss_score: 7.5,
            requirements: vec!["CR 3.5".into(), "CR 7.1".into(), "SVV-3".into()],
        }],
        severity_rule: "Severity follows the observed effect.".into(),
        requirements: vec!["CR 3.5".into(), "CR 7.1".into(), "SVV-3".into()],
        requirement_verdicts: vec![RequirementVerdict {
            requirement: "CR 7.1".into(),
            checks: "denial-of-service protection".into(),
            verdict: RequirementOutcome::Fail,
            shown: "1 root cause bears on it".into(),
            executed_cases: 36,
            findings: 1,
        }],
        learned: Some(LearnedKnowledge {
            ranges: vec![LearnedRange {
                space: "holding registers".into(),
                first: 4000,
                last: 4099,
                exact: true,
            }],
            limits: vec![LearnedLimit {
                code: 3,
                field: "quantity".into(),
                max_accepted: Some(125),
                min_rejected: Some(126),
            }],
            values: 12,
            discovery_reads: 40,
            learned_cases: 96,
            greybox: None,
        }),
        findings: vec![
            CampaignFinding {
                behaviour: Behaviour::Crash,
                message: "Write Multiple Registers".into(),
                code: 16,
                field: "byte count".into(),
                class: MutationClass::LengthMismatch,
                observed: "connection dropped; the target panicked".into(),
                case: 4711,
                reproducer: vec![ReproducerRequest {
                    hex: "000100000006010300000001".into(),
                    base64: "AAEAAAAGAQMAAAAB".into(),
                    length: 12,
                }],
                original: Some(vec!["aa".into(), "000100000006010300000001".into()]),
                severity: Severity::High,
                cvss_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
                cvss_score: 7.5,
                requirements: vec!["CR 3.5".into(), "CR 7.1".into(), "SVV-3".into()],
                occurrences: 3,
                effect: Some(Effect::ServerDown),
                signature: "crash | server-down | exited with status 3 | after FC16".into(),
                variants: Some(FindingVariants {
                    codes: vec![16],
                    fields: vec!["byte count".into()],
                    classes: vec![MutationClass::LengthMismatch, MutationClass::Havoc],
                    examples: vec![4711, 4790],
                }),
                confirmed: true,
                confirmation: Some(FindingConfirmation {
                    how: ConfirmedBy::AfterRestart,
                    note: "reproduced after a restart".into(),
                }),
                minimization: Some(Minimization {
                    runs: 12,
                    elapsed_ms: 3400,
                    complete: true,
                    note: "1-minimal".into(),
                }),
                sanitizer: Some(SanitizerReport {
                    kind: "AddressSanitizer: heap-buffer-overflow".into(),
                    report: "==7==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6020\\n    #0 0x4011 in read_registers".into(),
                }),
                status: FindingStatus::Open,
            },
            CampaignFinding {
                behaviour: Behaviour::Conformance,
                message: "Read Holding Registers".into(),
                code: 3,
                field: "quantity".into(),
                class: MutationClass::OffByOne,
                observed: "answered instead of exception 3".into(),
                case: 90,
                reproducer: vec![],
                original: None,
                severity: Severity::Medium,
                cvss_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N".into(),
                cvss_score: f64::from(5.3f32),
                requirements: vec!["CR 3.5".into(), "SVV-3".into()],
                occurrences: 1,
                effect: None,
                signature: String::new(),
                variants: None,
                confirmed: false,
                confirmation: None,
                minimization: None,
                sanitizer: None,
                status: FindingStatus::Open,
            },
        ],
    }
}

#[test]
fn a_realistic_campaign_round_trips() {
    let c = realistic();
    common::round_trip(&c);
    assert_eq!(c.count(Behaviour::Crash), 1);
    assert_eq!(c.coverage.codes(), vec![1, 16]);
    assert!((c.coverage.pair_percent() - 100.0 * 3.0 / 33.0).abs() < 1e-12);
    let v = c.to_value().expect("value");
    assert_eq!(v["payload_format"], "otproof-payload/robustness-campaign/1");
    assert_eq!(v["findings"][0]["behaviour"], "crash");
    assert_eq!(v["findings"][0]["class"], "length-mismatch");
    assert_eq!(v["findings"][0]["severity"], "high");
    assert_eq!(v["findings"][0]["status"], "open");
    assert!(v["findings"][1].get("minimization").is_none());
}

#[test]
fn an_empty_campaign_round_trips() {
    let mut c = realistic();
    c.findings.clear();
    c.rules.clear();
    c.coverage = CampaignCoverage::default();
    c.scope.unit_id = None;
    c.scope.version = None;
    c.configuration.duration_limit_s = None;
    c.configuration.cases_limit = Some(5000);
    c.result.baseline_probe_ms = None;
    c.result.stopped = Some("interrupted".into());
    common::round_trip(&c);
    assert_eq!(c.coverage.pair_percent(), 0.0);
    assert!(c.coverage.codes().is_empty());
}

#[test]
fn enum_names_match_their_serde_names() {
    for b in Behaviour::ALL {
        assert_eq!(serde_json::to_value(b).expect("b"), b.name());
    }
    for m in MutationClass::ALL {
        assert_eq!(serde_json::to_value(m).expect("m"), m.name());
    }
}

#[test]
fn bad_shapes_fail_naming_the_field() {
    let mut v = realistic().to_value().expect("value");
    v["findings"][0]["behaviour"] = serde_json::json!("explosion");
    let e = RobustnessCampaign::from_value(&v).expect_err("unknown behaviour");
    assert!(matches!(e, PayloadError::Shape { .. }));
    assert!(e.to_string().contains("explosion"), "{e}");
    let mut v = realistic().to_value().expect("value");
    v["result"].as_object_mut().expect("obj").remove("cases");
    let e = RobustnessCampaign::from_value(&v).expect_err("missing cases");
    assert!(e.to_string().contains("cases"), "{e}");
    let mut v = realistic().to_value().expect("value");
    v["extra"] = serde_json::json!(1);
    assert!(RobustnessCampaign::from_value(&v).is_err());
}

/// Campaigns recorded before verdicts and undelivered counts still read: no verdict, none
/// undelivered.
#[test]
fn a_campaign_recorded_before_verdicts_reads_without_one() {
    let c = realistic();
    let mut v = c.to_value().expect("value");
    let result = v
        .get_mut("result")
        .and_then(|r| r.as_object_mut())
        .expect("result");
    result.remove("verdict");
    result.remove("undelivered");
    let back = RobustnessCampaign::from_value(&v).expect("reads");
    assert_eq!(back.result.verdict, None);
    assert_eq!(back.result.undelivered, 0);
    assert_eq!(CampaignVerdict::Inconclusive.name(), "inconclusive");
}
