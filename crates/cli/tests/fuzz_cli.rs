//! `otproof fuzz` end to end against a real pymodbus server on 127.0.0.1: outputs, evidence in
//! the store, resume, replay, and input errors.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::otproof;

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pymodbus() -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/tests/servers/pymodbus_server.py");
    let child = Command::new(std::env::var("OTPROOF_PYTHON").unwrap_or_else(|_| "python3".into()))
        .arg(script)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs (.ci/run installs pymodbus)");
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = format!("127.0.0.1:{port}").parse().expect("addr");
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "pymodbus did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Server(child, port)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
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
