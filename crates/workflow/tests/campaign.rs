//! Robustness campaigns in the workflow: the outputs of a fixed campaign are byte for byte
//! those committed in testdata/campaign/golden (rendered before the report moved to the typed
//! payload), the record holds the typed payload, and evidence and finding files read back
//! typed with errors naming the file and the field.

use otproof_evidence::payload::campaign::{CampaignScope, RobustnessCampaign};
use otproof_evidence::{Body, EvidenceKind, Payload, Severity};
use otproof_fuzz::campaign::{
    Behaviour, Config, Confirmation, Confirmed, Coverage, Effect, Finding, Minimization, Report,
    Variants,
};
use otproof_fuzz::mutate::MutationClass;
use otproof_workflow::campaign::{self, CampaignError, CampaignRun};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/campaign/golden")
}

fn fixture() -> Report {
    let mut cfg = Config::new("127.0.0.1:5020".parse().expect("addr"));
    cfg.seed = 7;
    cfg.cases = Some(5000);
    cfg.concurrency = 2;
    cfg.timeout = Duration::from_millis(500);
    cfg.start_at = 100;
    let mut coverage = Coverage::default();
    for (k, v) in [
        ("1/valid", 12u64),
        ("1/boundary", 10),
        ("3/havoc", 7),
        ("3/off-by-one", 4),
        ("16/length-mismatch", 3),
    ] {
        coverage.pairs.insert(k.into(), v);
    }
    coverage.pairs_total = 33;
    for (k, v) in [
        ("1/address/valid", 12u64),
        ("3/quantity/off-by-one", 4),
        ("16/byte count/length-mismatch", 3),
    ] {
        coverage.cells.insert(k.into(), v);
    }
    for (k, v) in [("response", 20u64), ("exception", 14), ("closed", 2)] {
        coverage.outcomes.insert(k.into(), v);
    }
    let (sev, vec, score) = Effect::ServerDown.severity();
    let crash = Finding {
        behaviour: Behaviour::Crash,
        message: "Write Multiple Registers".into(),
        code: 16,
        field: "byte count".into(),
        class: MutationClass::LengthMismatch,
        observed: "connection refused after the request <&>".into(),
        case: 4711,
        reproducer: vec![
            "000100000006010300000001".into(),
            "00020000000b01100000000204ffff".into(),
        ],
        original: Some(vec!["aa".into(), "000100000006010300000001".into()]),
        severity: sev.into(),
        cvss_vector: vec.into(),
        cvss_score: score,
        requirements: Behaviour::Crash
            .requirements()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        occurrences: 3,
        effect: Effect::ServerDown,
        signature: "crash | server-down | no process end seen | after Write Multiple Registers"
            .into(),
        variants: Variants {
            codes: [16].into_iter().collect(),
            fields: ["byte count".to_string()].into_iter().collect(),
            classes: [MutationClass::LengthMismatch, MutationClass::Havoc]
                .into_iter()
                .collect(),
            examples: vec![4711, 4790, 4802],
        },
        confirmed: true,
        confirmation: Confirmation {
            how: Confirmed::AfterRestart,
            note: "reproduced: sent on one connection to the restarted target, the sequence gave the crash again".into(),
        },
        answer_shape: None,
        framing: None,
        process_end: None,
        candidates: Vec::new(),
        minimization: Some(Minimization {
            runs: 12,
            elapsed_ms: 3400,
            complete: true,
            note: "1-minimal".into(),
        }),
        exchange: Vec::new(),
        sanitizer: None,
    };
    let (sev, vec, score) = Effect::WrongAnswer.severity();
    let conf = Finding {
        behaviour: Behaviour::Conformance,
        message: "Read Holding Registers".into(),
        code: 3,
        field: "quantity".into(),
        class: MutationClass::OffByOne,
        observed: "answered quantity 126 instead of exception 3".into(),
        case: 90,
        reproducer: vec!["0003000000060103000000zz".into()],
        original: None,
        severity: sev.into(),
        cvss_vector: vec.into(),
        cvss_score: score,
        requirements: Behaviour::Conformance
            .requirements()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        occurrences: 1,
        effect: Effect::WrongAnswer,
        signature: "conformance | wrong-answer | answered quantity # instead of exception # | answered (response)".into(),
        variants: Variants {
            codes: [3].into_iter().collect(),
            fields: ["quantity".to_string()].into_iter().collect(),
            classes: [MutationClass::OffByOne].into_iter().collect(),
            examples: vec![90],
        },
        confirmed: false,
        confirmation: Confirmation {
            how: Confirmed::NotReproduced,
            note: "not reproduced: sent alone on a fresh connection, the request no longer gave \"answered quantity 126 instead of exception 3\"".into(),
        },
        answer_shape: Some("answered (response)".into()),
        framing: None,
        process_end: None,
        candidates: Vec::new(),
        minimization: None,
        exchange: Vec::new(),
        sanitizer: None,
    };
    Report {
        protocol: "modbus-tcp".into(),
        config: cfg,
        cases: 36,
        undelivered: 0,
        skipped: 0,
        next_case: 136,
        elapsed: Duration::from_millis(12345),
        baseline: Some(Duration::from_micros(850)),
        findings: vec![crash, conf],
        coverage,
        stopped: Some("interrupted (Ctrl-C)".into()),
        target_identity: vec![
            ("vendor".into(), "Example Automation".into()),
            ("version".into(), "4.2.0".into()),
        ],
        learned: Default::default(),
        started_unix_ms: Some(1_796_648_400_000),
    }
}

fn scope() -> CampaignScope {
    CampaignScope {
        protocol: campaign::MODBUS_SCOPE_PROTOCOL.into(),
        target: "127.0.0.1:5020".into(),
        unit_id: Some(1),
        vendor: "Example Automation".into(),
        product: "RIO-2000".into(),
        version: None,
        function_codes: vec![1, 3, 16],
    }
}

fn run() -> CampaignRun {
    let report = fixture();
    let campaign = campaign::campaign_of(&report, scope());
    CampaignRun { report, campaign }
}

#[test]
fn outputs_are_byte_for_byte_the_golden_ones() {
    let files = campaign::outputs(&run()).expect("outputs");
    let names: Vec<String> = files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "campaign.json",
            "evidence.json",
            "report.html",
            "findings.sarif",
            "junit.xml",
            "findings/1.json",
            "findings/1.pcap",
            "findings/2.json",
            "findings/2.pcap"
        ]
    );
    let version = env!("CARGO_PKG_VERSION");
    for f in &files {
        if std::env::var_os("OTPROOF_UPDATE_GOLDEN").is_some() {
            // Regenerate (then review the diff): the version is written as the placeholder.
            let bytes = if f.path.extension().is_some_and(|e| e == "pcap") {
                f.bytes.clone()
            } else {
                String::from_utf8_lossy(&f.bytes)
                    .replace(&format!("otproof {version}"), "otproof @VERSION@")
                    .replace(
                        &format!("\"version\": \"{version}\""),
                        "\"version\": \"@VERSION@\"",
                    )
                    .replace(
                        &format!("\"tool_version\": \"{version}\""),
                        "\"tool_version\": \"@VERSION@\"",
                    )
                    .into_bytes()
            };
            let path = golden().join(&f.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(path, bytes).expect("write golden");
            continue;
        }
        let want = std::fs::read(golden().join(&f.path)).expect("golden file");
        if f.path.extension().is_some_and(|e| e == "pcap") {
            assert_eq!(f.bytes, want, "{}", f.path.display());
            continue;
        }
        let got = String::from_utf8_lossy(&f.bytes)
            .replace(&format!("otproof {version}"), "otproof @VERSION@")
            .replace(
                &format!("\"version\": \"{version}\""),
                "\"version\": \"@VERSION@\"",
            )
            .replace(
                &format!("\"tool_version\": \"{version}\""),
                "\"tool_version\": \"@VERSION@\"",
            );
        assert_eq!(got, String::from_utf8_lossy(&want), "{}", f.path.display());
    }
}

#[test]
fn the_record_holds_the_typed_payload_and_the_outputs() {
    let run = run();
    let ev = campaign::evidence(&run.campaign, campaign::subject_of(&run.campaign.scope))
        .expect("evidence");
    assert_eq!(ev.kind, EvidenceKind::RobustnessCampaign);
    assert_eq!(
        ev.title,
        "Robustness campaign, modbus-tcp at 127.0.0.1:5020"
    );
    assert_eq!(ev.requirements, otproof_catalog::traces::ROBUSTNESS);
    assert_eq!(
        RobustnessCampaign::from_value(&ev.payload).expect("typed"),
        run.campaign
    );
    assert_eq!(ev.findings.len(), 2);
    assert_eq!(
        ev.findings[0].title,
        "crash on Write Multiple Registers (byte count / length-mismatch)"
    );
    assert_eq!(ev.findings[0].severity, Severity::High);
    // A wrong answer is rated below a crash (severity from the effect).
    assert_eq!(ev.findings[1].severity, Severity::Low);
    assert_eq!(
        ev.findings[0].reproducer.as_ref().expect("reproducer")[0]["base64"],
        "AAEAAAAGAQMAAAAB"
    );

    let dir = tempfile::tempdir().expect("tmp");
    let mut store = otproof_store::Store::init(dir.path(), None).expect("init");
    let files = campaign::outputs(&run).expect("outputs");
    let id = campaign::record(
        &mut store,
        &run,
        campaign::subject_of(&run.campaign.scope),
        &files,
    )
    .expect("record");
    let stored = store.get(&id.to_string()).expect("get");
    let Body::Evidence(ev) = &stored.record.body else {
        panic!("not evidence")
    };
    let names: Vec<&str> = ev.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["evidence.json", "report.html", "findings.sarif"]);
    assert_eq!(ev.attachments[0].media_type, "application/json");
    assert_eq!(ev.attachments[1].media_type, "text/html");
    assert_eq!(ev.attachments[0].size, files[1].bytes.len() as u64);
    assert_eq!(
        RobustnessCampaign::from_value(&ev.payload).expect("typed"),
        run.campaign
    );
}

#[test]
fn the_evidence_document_reads_back_typed() {
    let p = golden().join("evidence.json");
    let text = std::fs::read_to_string(&p).expect("read");
    let s = campaign::read_evidence_json(&p, &text).expect("summary");
    assert_eq!(s.protocol, "modbus-tcp");
    assert_eq!(s.cases, 36);
    assert_eq!((s.open_crash_or_hang, s.open_conformance), (1, 1));
    // The smallest document acceptance takes.
    let min = r#"{"format":"otproof-robustness-campaign/1","configuration":{"protocol":"modbus-tcp"},"scope":{"protocol":"Modbus/TCP"},"result":{"cases":5000},"findings":[]}"#;
    let s = campaign::read_evidence_json(Path::new("m.json"), min).expect("minimal");
    assert_eq!((s.cases, s.open_crash_or_hang), (5000, 0));
}

#[test]
fn a_bad_evidence_document_names_the_file_and_the_field() {
    let p = Path::new("pkg/robustness/evidence.json");
    for (text, needle) in [
        ("{", "line 1"),
        (r#"{"format":"other"}"#, "field 'format' is 'other'"),
        (
            r#"{"format":"otproof-robustness-campaign/1","scope":{"protocol":"x"},"result":{"cases":1},"findings":[]}"#,
            "field 'configuration.protocol'",
        ),
        (
            r#"{"format":"otproof-robustness-campaign/1","configuration":{"protocol":"x"},"result":{"cases":"many"},"findings":[]}"#,
            "field 'result.cases'",
        ),
        (
            r#"{"format":"otproof-robustness-campaign/1","configuration":{"protocol":"x"},"result":{"cases":1}}"#,
            "field 'findings'",
        ),
        (
            r#"{"format":"otproof-robustness-campaign/1","configuration":{"protocol":"x"},"result":{"cases":1},"findings":[{"behaviour":"explosion"}]}"#,
            "field 'findings[0]'",
        ),
    ] {
        let e = campaign::read_evidence_json(p, text).expect_err(text);
        assert!(matches!(e, CampaignError::File { .. }), "{e}");
        let m = e.to_string();
        assert!(m.starts_with("pkg/robustness/evidence.json: "), "{m}");
        assert!(m.contains(needle), "{m} lacks {needle}");
    }
}

#[test]
fn finding_files_read_back_for_replay() {
    let p = golden().join("findings/1.json");
    let f = campaign::read_finding_file(&p, &std::fs::read_to_string(&p).expect("read"))
        .expect("finding");
    assert_eq!(f.finding.behaviour, Behaviour::Crash);
    assert_eq!(f.requests.len(), 2);
    assert_eq!(f.requests[0].len(), 12);
    let p = golden().join("findings/2.json");
    let e = campaign::read_finding_file(&p, &std::fs::read_to_string(&p).expect("read"))
        .expect_err("bad hex");
    assert!(e.to_string().contains("finding.reproducer[0]"), "{e}");
    let e = campaign::read_finding_file(Path::new("x.json"), r#"{"format":"other"}"#)
        .expect_err("format");
    assert!(e.to_string().contains("otproof-finding/1"), "{e}");
}

#[test]
fn a_resumed_plan_keeps_the_seed_and_starts_after_the_last_case() {
    let prev = fixture();
    let mut cfg = Config::new("127.0.0.1:5020".parse().expect("addr"));
    cfg.seed = 99;
    let plan = campaign::ModbusPlan::new(cfg, 1, Some(prev), campaign::Device::default());
    assert_eq!(plan.config.seed, 7);
    assert_eq!(plan.config.start_at, 136);
    let dir = tempfile::tempdir().expect("tmp");
    let e = campaign::read_previous(dir.path()).expect_err("none");
    assert!(e.to_string().contains("campaign.json"), "{e}");
    let prev = campaign::read_previous(&golden()).expect("golden campaign.json");
    assert_eq!(prev.next_case, 136);
}

#[test]
fn the_scope_falls_back_to_what_the_target_reports() {
    let r = fixture();
    let s = campaign::modbus_scope(&r, 1, &campaign::Device::default(), vec![3]);
    assert_eq!(s.vendor, "Example Automation");
    assert_eq!(s.product, "device at 127.0.0.1:5020");
    assert_eq!(s.version.as_deref(), Some("4.2.0"));
    let given = campaign::Device {
        vendor: Some("V".into()),
        product: Some("P".into()),
        version: None,
    };
    let s = campaign::modbus_scope(&r, 1, &given, vec![3]);
    assert_eq!((s.vendor.as_str(), s.product.as_str()), ("V", "P"));
    assert_eq!(s.version.as_deref(), Some("4.2.0"));
}

#[test]
fn a_target_that_never_answers_is_an_error_not_an_empty_campaign() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut cfg = Config::new(format!("127.0.0.1:{port}").parse().expect("addr"));
    cfg.cases = Some(5);
    cfg.timeout = Duration::from_millis(50);
    cfg.crash_grace = Duration::from_millis(100);
    let plan = campaign::ModbusPlan::new(cfg, 1, None, campaign::Device::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut calls = 0;
    let r = rt.block_on(campaign::run_modbus(plan, stop, &mut |_| calls += 1));
    match r {
        Err(CampaignError::NoBaseline { unit, .. }) => assert_eq!(unit, 1),
        other => panic!("expected NoBaseline, got {other:?}"),
    }
}

/// A campaign whose cases mostly did not reach the target is inconclusive: its payload and
/// record support no requirement, and its evidence document counts no case for acceptance.
#[test]
fn an_inconclusive_campaign_shows_no_requirement() {
    let mut report = fixture();
    report.findings.clear();
    report.cases = 8;
    report.undelivered = 9433;
    let c = campaign::campaign_of(&report, scope());
    assert_eq!(
        c.result.verdict,
        Some(otproof_evidence::payload::campaign::CampaignVerdict::Inconclusive)
    );
    assert_eq!(c.result.undelivered, 9433);
    assert!(c.requirements.is_empty());
    let ev = campaign::evidence(&c, campaign::subject_of(&c.scope)).expect("evidence");
    assert!(ev.requirements.is_empty());
    assert!(ev.title.contains("inconclusive"), "{}", ev.title);
    let text = otproof_report::campaign::evidence_json(&c).expect("json");
    let s = campaign::read_evidence_json(Path::new("evidence.json"), &text).expect("reads");
    assert_eq!(s.cases, 0);
    let run = CampaignRun {
        report,
        campaign: c,
    };
    assert_eq!(
        run.verdict(),
        otproof_evidence::payload::campaign::CampaignVerdict::Inconclusive
    );
    let html = String::from_utf8(campaign::outputs(&run).expect("outputs")[2].bytes.clone())
        .expect("utf-8");
    assert!(html.contains("inconclusive"));
    assert!(html.contains("9433"));
}

/// A finding with its connection's exchange recorded gets a pcap of both directions.
#[test]
fn a_recorded_exchange_becomes_the_pcap() {
    use otproof_fuzz::exec::Wire;
    let mut report = fixture();
    let req = vec![0u8, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
    let resp = vec![0u8, 1, 0, 0, 0, 5, 1, 3, 2, 0, 0];
    report.findings[0].exchange = vec![
        Wire {
            to_target: true,
            bytes: req.clone(),
            case: Some(1),
        },
        Wire {
            to_target: false,
            bytes: resp.clone(),
            case: None,
        },
    ];
    let c = campaign::campaign_of(&report, scope());
    let files = campaign::outputs(&CampaignRun {
        report,
        campaign: c,
    })
    .expect("outputs");
    let pcap = files
        .iter()
        .find(|f| f.path == Path::new("findings/1.pcap"))
        .expect("pcap");
    assert_eq!(
        pcap.bytes,
        otproof_report::campaign::pcap_exchange(&[(true, req), (false, resp)], 5020)
    );
}

/// The record's payload validates against the committed JSON Schema
/// (docs/schema/payload-robustness-campaign-v1.schema.json, checked by Python's `jsonschema`,
/// installed by .ci/run) and states the per-requirement verdicts, the severity rule, the tool
/// version, the date and the target identity.
#[test]
fn the_payload_validates_against_its_schema_and_states_per_requirement_verdicts() {
    let run = run();
    let payload = run.campaign.to_value().expect("payload");
    let dir = tempfile::tempdir().expect("tmp");
    let doc = dir.path().join("payload.json");
    std::fs::write(&doc, serde_json::to_vec(&payload).expect("json")).expect("write");
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/schema/payload-robustness-campaign-v1.schema.json");
    let python = std::env::var("OTPROOF_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg("import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')")
        .arg(&doc)
        .arg(&schema)
        .output()
        .unwrap_or_else(|e| panic!("{python} not runnable ({e}); .ci/run installs jsonschema"));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "valid");

    let c = &run.campaign;
    let verdicts: Vec<(&str, &str)> = c
        .requirement_verdicts
        .iter()
        .map(|v| (v.requirement.as_str(), v.verdict.name()))
        .collect();
    // A crash and a wrong answer: input validation and DoS protection fail; testing ran but
    // covered 5 of 33 pairs, so SVV-3 is not shown.
    assert_eq!(
        verdicts,
        [
            ("CR 3.5", "fail"),
            ("CR 7.1", "fail"),
            ("SVV-3", "inconclusive")
        ]
    );
    for v in &c.requirement_verdicts {
        assert_eq!(v.executed_cases, 36, "{v:?}");
        assert!(!v.shown.is_empty() && !v.checks.is_empty());
    }
    assert_eq!(
        c.requirement_verdicts[1].findings, 1,
        "the crash alone bears on CR 7.1"
    );
    assert!(c.severity_rule.contains("effect"), "{}", c.severity_rule);
    let p = c.provenance.as_ref().expect("provenance");
    assert_eq!(p.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(p.started_at.as_deref(), Some("2026-12-07T13:00:00Z"));
    assert_eq!(c.result.target_identity.len(), 2);
    assert_eq!(c.result.undelivered_limit_percent, Some(5.0));
    // Severity differs by effect; the confirmation says why.
    assert_eq!(
        c.findings
            .iter()
            .map(|f| (f.effect.map(|e| e.name()), f.cvss_score))
            .collect::<Vec<_>>(),
        [(Some("server-down"), 7.5), (Some("wrong-answer"), 3.7)]
    );
    assert!(c
        .findings
        .iter()
        .all(|f| f.confirmation.as_ref().is_some_and(|x| !x.note.is_empty())));

    // An inconclusive campaign shows no requirement, and says so per requirement.
    let mut report = fixture();
    report.findings.clear();
    report.undelivered = 100;
    let c = campaign::campaign_of(&report, scope());
    assert!(c.requirements.is_empty());
    assert!(c
        .requirement_verdicts
        .iter()
        .all(|v| v.verdict.name() == "inconclusive"));
    // A clean campaign over the whole model passes all three.
    let mut report = fixture();
    report.findings.clear();
    report.coverage.pairs_total = report.coverage.pairs.len() as u64;
    let c = campaign::campaign_of(&report, scope());
    assert!(
        c.requirement_verdicts
            .iter()
            .all(|v| v.verdict.name() == "pass"),
        "{:?}",
        c.requirement_verdicts
    );
    assert_eq!(
        c.requirement_verdicts[0].executed_cases,
        36 - 12,
        "malformed cases alone"
    );
}

/// What the engine learned (mapped ranges, limits) and a sanitizer report attached to a
/// crash reach the recorded payload, and it still validates against its schema's types.
#[test]
fn learned_knowledge_and_sanitizer_reports_reach_the_evidence() {
    let mut report = fixture();
    report
        .learned
        .ranges
        .push(otproof_fuzz::feedback::LearnedRange {
            space: "holding registers".into(),
            first: 4000,
            last: 4099,
            exact: true,
        });
    report.learned.discovery_reads = 40;
    let crash = report
        .findings
        .iter_mut()
        .find(|f| f.behaviour == Behaviour::Crash)
        .expect("the fixture has a crash");
    crash.sanitizer = Some(otproof_fuzz::process::SanitizerReport {
        kind: "AddressSanitizer: heap-buffer-overflow".into(),
        report: "==7==ERROR: AddressSanitizer: heap-buffer-overflow".into(),
    });
    let c = campaign::campaign_of(&report, scope());
    let learned = c.learned.as_ref().expect("learned knowledge recorded");
    assert_eq!(learned.ranges.len(), 1);
    assert_eq!(
        (learned.ranges[0].first, learned.ranges[0].last),
        (4000, 4099)
    );
    assert_eq!(learned.discovery_reads, 40);
    let s = c
        .findings
        .iter()
        .find_map(|f| f.sanitizer.as_ref())
        .expect("the crash keeps its sanitizer report");
    assert_eq!(s.kind, "AddressSanitizer: heap-buffer-overflow");
    // The typed payload survives its own serialization.
    let json = serde_json::to_string(&c).expect("json");
    let back: RobustnessCampaign = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, c);
    // Nothing learned: nothing recorded (older records look the same).
    assert!(campaign::campaign_of(&fixture(), scope()).learned.is_none());
}
