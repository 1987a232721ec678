//! `otproof fuzz` end to end against a real pymodbus server on 127.0.0.1: outputs, evidence in
//! the store, resume, replay, and input errors; against a server that serves one client at a
//! time (inconclusive, exit 3) and one that dies on one FC 5 request, served alone or among
//! four sessions (a one-request reproducer that `fuzz replay` reproduces, exit 1, and cannot
//! replay to a closed port, exit 2).

use std::path::PathBuf;
use std::process::Command;

mod common;

use common::{free_port, otproof, python, serve, text, Server};

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/tests/servers")
        .join(name)
}

fn pymodbus() -> Server {
    python_server("pymodbus_server.py", free_port())
}

fn python_server(name: &str, port: u16) -> Server {
    let mut cmd = Command::new(python());
    cmd.arg(script(name)).arg(port.to_string());
    serve(cmd, port, name)
}

/// The shell command line `cmd`, listening on `port`.
fn shell_server(cmd: &str, port: u16) -> Server {
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(format!("exec {cmd}"));
    serve(sh, port, cmd)
}

#[test]
fn a_campaign_writes_its_outputs_records_evidence_and_resumes() {
    let server = pymodbus();
    let target = format!("127.0.0.1:{}", server.1);
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    assert!(otproof(&["init"], d).status.success());
    let out = otproof(
        &[
            "fuzz",
            "modbus",
            "--target",
            &target,
            "--cases",
            "250",
            "--concurrency",
            "2",
            "--timeout-ms",
            "300",
            "--seed",
            "5",
            "--out",
            "c",
        ],
        d,
    );
    let err = text(&out.stderr);
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{err}");
    assert!(err.contains("recorded as evidence sha256:"), "{err}");
    for f in [
        "campaign.json",
        "evidence.json",
        "report.html",
        "findings.sarif",
        "junit.xml",
    ] {
        assert!(d.join("c").join(f).is_file(), "{f}");
    }
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/evidence.json")).expect("read"))
            .expect("json");
    assert_eq!(ev["result"]["cases"], 250);
    assert_eq!(
        ev["scope"]["vendor"], "pymodbus",
        "FC 43/14 identity in the scope"
    );
    assert_eq!(ev["coverage"]["message_class_percent"], 100.0);
    assert_eq!(
        ev["requirements"],
        serde_json::json!(["CR 3.5", "CR 7.1", "SVV-3"])
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/findings.sarif")).expect("read"))
            .expect("json");
    assert_eq!(sarif["version"], "2.1.0");
    let junit = std::fs::read_to_string(d.join("c/junit.xml")).expect("junit");
    assert!(
        junit.contains("<testsuite name=\"otproof robustness modbus-tcp\" tests=\"209\""),
        "{junit}"
    );
    let html = std::fs::read_to_string(d.join("c/report.html")).expect("html");
    assert!(html.contains("Coverage matrix") && html.contains("CR 3.5"));
    let list = otproof(
        &["evidence", "list", "--requirement", "CR 7.1", "--json"],
        d,
    );
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    assert_eq!(rows[0]["kind"], "evidence/robustness-campaign");

    let out = otproof(
        &[
            "fuzz",
            "modbus",
            "--target",
            &target,
            "--cases",
            "50",
            "--timeout-ms",
            "300",
            "--resume",
            "c",
            "--out",
            "c",
        ],
        d,
    );
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        text(&out.stderr)
    );
    let camp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/campaign.json")).expect("read"))
            .expect("json");
    assert_eq!(camp["cases"], 300);
    assert_eq!(camp["next_case"], 300);
    assert_eq!(camp["config"]["seed"], 5);
}

#[test]
fn replay_reports_whether_a_finding_still_reproduces() {
    let server = pymodbus();
    let target = format!("127.0.0.1:{}", server.1);
    let dir = tempfile::tempdir().expect("tmp");
    // FC 3 with quantity 0: pymodbus answers with exception 03, so the finding is gone.
    let finding = serde_json::json!({
        "format": "otproof-finding/1",
        "protocol": "modbus-tcp",
        "target": target,
        "finding": {
            "behaviour": "conformance", "message": "FC03 read holding registers", "code": 3,
            "field": "quantity", "class": "off-by-one", "observed": "test", "case": 0,
            "reproducer": ["000100000006010300000000"], "original": null, "severity": "medium",
            "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N", "cvss_score": 5.3,
            "requirements": ["CR 3.5", "SVV-3"], "occurrences": 1, "confirmed": true
        }
    });
    std::fs::write(dir.path().join("f.json"), finding.to_string()).expect("write");
    let out = otproof(
        &["fuzz", "replay", "f.json", "--target", &target],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("not reproduced"));
    std::fs::write(dir.path().join("bad.json"), "{\"format\": \"other\"}").expect("write");
    let out = otproof(
        &["fuzz", "replay", "bad.json", "--target", &target],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("otproof-finding/1"));
}

#[test]
fn bad_fuzz_arguments_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    for (args, needle) in [
        (
            vec!["fuzz", "modbus", "--target", "nonsense", "--out", "x"],
            "HOST:PORT",
        ),
        (
            vec![
                "fuzz",
                "modbus",
                "--target",
                "127.0.0.1:1",
                "--duration",
                "5x",
                "--out",
                "x",
            ],
            "duration",
        ),
        (
            vec![
                "fuzz",
                "modbus",
                "--target",
                "127.0.0.1:1",
                "--concurrency",
                "0",
                "--out",
                "x",
            ],
            "concurrency",
        ),
    ] {
        let out = otproof(&args, dir.path());
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"));
    }
}

/// The Modbus model's message types: a campaign of that many cases sends each valid message
/// once.
const MESSAGE_TYPES: &str = "19";

/// Four sessions against a server that serves one client at a time: the cases on the
/// connections it does not serve are not delivered, so the campaign is inconclusive (exit 3),
/// its evidence says so and supports no requirement.
#[test]
fn a_campaign_whose_cases_do_not_reach_the_target_is_inconclusive_exit_3() {
    // Each answer takes 20 ms, so the session it serves holds it far longer than the
    // others' 300 ms timeout (see the engine's test of the same in fuzz/tests/honest.rs).
    let port = free_port();
    let mut cmd = Command::new(python());
    cmd.arg(script("single_client.py"))
        .arg(port.to_string())
        .args(["--answer-delay-ms", "20"]);
    let _server = serve(cmd, port, "single_client.py");
    let target = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let out = otproof(
        &[
            "fuzz",
            "modbus",
            "--target",
            &target,
            "--cases",
            MESSAGE_TYPES,
            "--concurrency",
            "4",
            "--pipeline",
            "2",
            "--timeout-ms",
            "300",
            "--out",
            "c",
        ],
        d,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("verdict: inconclusive"), "{err}");
    assert!(err.contains("could not be delivered"), "{err}");
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/evidence.json")).expect("read"))
            .expect("json");
    assert_eq!(ev["result"]["verdict"], "inconclusive");
    assert!(ev["result"]["undelivered"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(ev["requirements"], serde_json::json!([]));
}

/// The first valid FC 5 request of seed 3 (case 4: the same seed always gives the same
/// cases), and its coil address.
const FATAL: &str = "0004000000060105887aff00";
const FATAL_ADDRESS: &str = "34938";

/// A launched server that exits on one FC 5 request: the campaign's crash finding is labelled
/// FC 5 and minimized to that request; `fuzz replay` of it reproduces the crash against a
/// fresh server (exit 1) and, with nothing listening, says it could not connect (exit 2).
#[test]
fn a_crash_on_one_request_replays_exactly_and_a_closed_port_is_no_target() {
    let port = free_port();
    let target = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let cmd = format!(
        "{} {} {port} --die-on-fc5-address {FATAL_ADDRESS}",
        python(),
        script("single_client.py").display()
    );
    let out = otproof(
        &[
            "fuzz",
            "modbus",
            "--target",
            &target,
            "--target-cmd",
            &cmd,
            "--seed",
            "3",
            "--cases",
            "10",
            "--timeout-ms",
            "500",
            "--out",
            "c",
        ],
        d,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/findings/1.json")).expect("read"))
            .expect("json");
    let finding = &f["finding"];
    assert_eq!(finding["behaviour"], "crash", "{finding}");
    assert_eq!(finding["code"], 5, "{finding}");
    assert_eq!(
        finding["reproducer"],
        serde_json::json!([FATAL]),
        "{finding}"
    );
    // The pcap holds the whole exchange of that connection, both ways.
    let pcap = std::fs::read(d.join("c/findings/1.pcap")).expect("pcap");
    assert!(pcap.len() > 24 + 2 * (16 + 40));
    // otproof stopped its target: start a fresh one and replay.
    {
        let _fresh = shell_server(&cmd, port);
        let out = otproof(
            &["fuzz", "replay", "c/findings/1.json", "--target", &target],
            d,
        );
        let said = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{said}{}", text(&out.stderr));
        assert!(said.contains("reproduced: crash"), "{said}");
    }
    // Nothing listens now.
    let out = otproof(
        &["fuzz", "replay", "c/findings/1.json", "--target", &target],
        d,
    );
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{said}{}", text(&out.stderr));
    assert!(said.contains("could not connect"), "{said}");
    assert!(!said.contains("reproduced"), "{said}");
}

/// Four sessions against a launched server that serves many clients at once and dies on one
/// FC 5 request: the crash finding's reproducer is that one request (the connection that
/// carried it, minimized against the restarted server), its confirmation says how it was
/// confirmed, the evidence states the per-requirement verdicts, and `fuzz replay` against a
/// fresh server reproduces it (exit 1).
#[test]
fn at_concurrency_four_a_crash_on_one_request_replays_exactly() {
    let port = free_port();
    let target = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let cmd = format!(
        "{} {} {port} {FATAL_ADDRESS}",
        python(),
        script("dies_on_request.py").display()
    );
    let out = otproof(
        &[
            "fuzz",
            "modbus",
            "--target",
            &target,
            "--target-cmd",
            &cmd,
            "--seed",
            "3",
            "--cases",
            "16",
            "--concurrency",
            "4",
            "--timeout-ms",
            "500",
            "--out",
            "c",
        ],
        d,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("CR 7.1: fail"), "{err}");
    let f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/findings/1.json")).expect("read"))
            .expect("json");
    let finding = &f["finding"];
    assert_eq!(finding["behaviour"], "crash", "{finding}");
    assert_eq!(finding["code"], 5, "{finding}");
    assert_eq!(finding["effect"], "server-down", "{finding}");
    assert_eq!(
        finding["reproducer"],
        serde_json::json!([FATAL]),
        "{finding}"
    );
    assert_eq!(finding["confirmation"]["how"], "after-restart", "{finding}");
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/evidence.json")).expect("read"))
            .expect("json");
    let verdicts: Vec<(String, String)> = ev["requirement_verdicts"]
        .as_array()
        .expect("per-requirement verdicts")
        .iter()
        .map(|v| {
            (
                v["requirement"].as_str().unwrap_or_default().to_string(),
                v["verdict"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        verdicts.contains(&("CR 7.1".into(), "fail".into())),
        "{verdicts:?}"
    );
    assert!(
        ev["provenance"]["started_at"].is_string(),
        "{}",
        ev["provenance"]
    );
    let _fresh = shell_server(&cmd, port);
    let out = otproof(
        &["fuzz", "replay", "c/findings/1.json", "--target", &target],
        d,
    );
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}{}", text(&out.stderr));
    assert!(said.contains("reproduced: crash"), "{said}");
}

/// Debian's mosquitto (installed by .ci/run) on a free 127.0.0.1 port, anonymous clients
/// allowed; killed on drop.
fn mosquitto(dir: &std::path::Path) -> Server {
    let port = free_port();
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
    )
    .expect("broker config");
    let bin = ["/usr/sbin/mosquitto", "mosquitto"]
        .into_iter()
        .find(|b| std::path::Path::new(b).exists())
        .unwrap_or("mosquitto");
    let mut cmd = Command::new(bin);
    cmd.arg("-c").arg(&conf);
    serve(cmd, port, "mosquitto")
}

#[test]
fn an_mqtt_campaign_against_mosquitto_writes_the_same_outputs_with_the_requirement_trace() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let broker = mosquitto(d);
    let target = format!("127.0.0.1:{}", broker.1);
    assert!(otproof(&["init"], d).status.success());
    let out = otproof(
        &[
            "fuzz",
            "mqtt",
            "--target",
            &target,
            "--cases",
            "176",
            "--timeout-ms",
            "500",
            "--seed",
            "3",
            "--out",
            "c",
        ],
        d,
    );
    let err = text(&out.stderr);
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{err}");
    assert!(err.contains("mqtt-3.1.1"), "{err}");
    assert!(err.contains("recorded as evidence sha256:"), "{err}");
    for f in [
        "campaign.json",
        "evidence.json",
        "report.html",
        "findings.sarif",
        "junit.xml",
    ] {
        assert!(d.join("c").join(f).is_file(), "{f} missing");
    }
    let ev: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("c/evidence.json")).expect("evidence.json"),
    )
    .expect("json");
    assert_eq!(ev["configuration"]["protocol"], "mqtt-3.1.1");
    let outcomes = std::fs::read_to_string(d.join("c/campaign.json")).unwrap_or_default();
    // 176 single-packet cases, then the 6 CONNECT cases of 3.1.1.
    assert_eq!(ev["result"]["cases"], 176 + 6, "{err} {outcomes}");
    assert_eq!(ev["result"]["undelivered"], 0, "{err} {outcomes}");
    let reqs = ev["requirements"].to_string();
    for r in ["CR 3.5", "CR 7.1", "SVV-3"] {
        assert!(reqs.contains(r), "{reqs}");
    }
    // Any finding replays against the live broker (reproduced or not, never "no target").
    if d.join("c/findings/1.json").is_file() {
        let out = otproof(
            &["fuzz", "replay", "c/findings/1.json", "--target", &target],
            d,
        );
        assert!(
            matches!(out.status.code(), Some(0) | Some(1)),
            "{}",
            text(&out.stderr)
        );
    }
}
