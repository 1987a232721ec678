//! `otproof fuzz mqtt --listen` end to end: otproof plays the MQTT broker to a client it
//! launches per case (a deliberately broken Python client, tests/clients/broken_client.py of
//! otproof-fuzz, that dies on a PINGREQ from the broker): the outputs of a campaign, a crash
//! finding that `fuzz replay --target-cmd` reproduces (exit 1), and input errors (exit 2).

use std::path::PathBuf;

mod common;

use common::{fails, otproof, text};

fn client_cmd() -> String {
    let python = std::env::var("OTPROOF_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/tests/clients/broken_client.py");
    format!("{python} {} --die-on-pingreq", script.display())
}

#[test]
fn a_client_campaign_writes_the_outputs_and_its_crash_replays() {
    let dir = std::env::temp_dir().join(format!("otproof-fuzz-client-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let cmd = client_cmd();
    // The first 13 cases are one valid answer of each message type; case 9 is the PINGREQ.
    let out = otproof(
        &[
            "fuzz",
            "mqtt",
            "--listen",
            "127.0.0.1:0",
            "--target-cmd",
            &cmd,
            "--cases",
            "13",
            "--timeout-ms",
            "400",
            "--out",
            "c",
        ],
        &dir,
    );
    fails(&out, 1, &["13 cases executed (0 not delivered)", "crash"]);
    // The start message and the evidence show the port actually bound, not the ':0' asked.
    let said = text(&out.stderr);
    let port: u16 = said
        .split("listening on 127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no listening address in: {said}"));
    assert_ne!(port, 0, "{said}");
    for f in [
        "evidence.json",
        "report.html",
        "findings.sarif",
        "junit.xml",
        "campaign.json",
    ] {
        assert!(dir.join("c").join(f).exists(), "{f} missing");
    }
    let ev = std::fs::read_to_string(dir.join("c/evidence.json")).expect("evidence");
    assert!(
        ev.contains("client side (otproof plays the broker)"),
        "{ev}"
    );
    assert!(ev.contains("CR 7.1"));
    assert!(ev.contains(&format!("127.0.0.1:{port}")), "{ev}");
    let f1 = std::fs::read_to_string(dir.join("c/findings/1.json")).expect("finding");
    assert!(f1.contains("\"behaviour\": \"crash\""), "{f1}");
    assert!(f1.contains("PINGREQ from the broker"), "{f1}");
    assert!(f1.contains("RuntimeError"), "{f1}");
    assert!(dir.join("c/findings/1.pcap").exists());
    let replay = otproof(
        &[
            "fuzz",
            "replay",
            "c/findings/1.json",
            "--target-cmd",
            &cmd,
            "--timeout-ms",
            "400",
        ],
        &dir,
    );
    fails(&replay, 1, &["reproduced: crash"]);
    // The client that never connects: nothing replayed, exit 2.
    let replay = otproof(
        &[
            "fuzz",
            "replay",
            "c/findings/1.json",
            "--target-cmd",
            "true",
        ],
        &dir,
    );
    fails(&replay, 2, &["could not connect", "before connecting"]);
    // A client finding is not replayed to a server.
    let replay = otproof(
        &[
            "fuzz",
            "replay",
            "c/findings/1.json",
            "--target",
            "127.0.0.1:1",
        ],
        &dir,
    );
    fails(&replay, 2, &["client campaign"]);
    let out = otproof(
        &["fuzz", "modbus", "--listen", "127.0.0.1:0", "--out", "m"],
        &dir,
    );
    fails(&out, 2, &["only `fuzz mqtt` has a server mode"]);
    let _ = text(&out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_5_0_client_campaign_judges_mosquitto_sub_by_the_musts_and_replays() {
    let dir = std::env::temp_dir().join(format!("otproof-fuzz-client5-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let cmd = "mosquitto_sub -V 5 -h 127.0.0.1 -p {port} -t t -q 1 -C 1";
    // Case 0 is a valid CONNACK; case 1 the first CONNACK variant, Session Present 1 on a
    // clean start, which mosquitto_sub 2.0.11 goes on after ([MQTT-3.2.2-4]).
    let out = otproof(
        &[
            "fuzz",
            "mqtt",
            "--listen",
            "127.0.0.1:0",
            "--mqtt-version",
            "5",
            "--target-cmd",
            cmd,
            "--cases",
            "2",
            "--timeout-ms",
            "400",
            "--out",
            "c",
        ],
        &dir,
    );
    fails(&out, 1, &["mqtt-5.0", "2 cases executed (0 not delivered)"]);
    let ev = std::fs::read_to_string(dir.join("c/evidence.json")).expect("evidence");
    assert!(
        ev.contains("MQTT 5.0 (OASIS Standard), client side"),
        "{ev}"
    );
    let f1 = std::fs::read_to_string(dir.join("c/findings/1.json")).expect("finding");
    assert!(f1.contains("MQTT-3.2.2-4"), "{f1}");
    let replay = otproof(
        &[
            "fuzz",
            "replay",
            "c/findings/1.json",
            "--target-cmd",
            cmd,
            "--timeout-ms",
            "400",
        ],
        &dir,
    );
    fails(&replay, 1, &["reproduced: conformance", "MQTT-3.2.2-4"]);
    let _ = std::fs::remove_dir_all(&dir);
}
