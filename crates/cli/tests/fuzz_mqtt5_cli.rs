//! `otproof fuzz mqtt --mqtt-version 5 --sequences N` end to end against PyPI iotcore 0.4.0
//! (rumqttd; installed by .ci/run) on 127.0.0.1: MQTT 5.0 cases and two-session sequences
//! run, the evidence names MQTT 5.0, and a two-session finding replays with `fuzz replay`
//! (each line on its session; reproduced: exit 1; no broker: exit 2).

use std::process::Command;

mod common;

use common::{free_port, otproof, python, serve, text, Server};

/// iotcore with one MQTT 5.0 listener on 127.0.0.1 (its default is all interfaces).
fn iotcore(dir: &std::path::Path) -> (Server, u16) {
    let port = free_port();
    let conf = dir.join("rumqttd.toml");
    std::fs::write(
        &conf,
        format!(
            "id = 0\n[router]\nid = 0\nmax_connections = 1000\nmax_outgoing_packet_count = 200\n\
             max_segment_size = 104857600\nmax_segment_count = 10\n\
             [v5.1]\nname = \"v5-1\"\nlisten = \"127.0.0.1:{port}\"\nnext_connection_delay_ms = 1\n\
             [v5.1.connections]\nconnection_timeout_ms = 60000\nmax_payload_size = 20480\n\
             max_inflight_count = 100\n"
        ),
    )
    .expect("broker config");
    let mut cmd = Command::new(python());
    cmd.args(["-m", "iotcore", "--config"]).arg(&conf);
    (serve(cmd, port, "iotcore (iotcore==0.4.0)"), port)
}

#[test]
fn an_mqtt5_campaign_with_sequences_replays_a_two_session_finding() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (_broker, port) = iotcore(d);
    let target = format!("127.0.0.1:{port}");
    assert!(otproof(&["init"], d).status.success());
    let out = otproof(
        &[
            "fuzz",
            "mqtt",
            "--target",
            &target,
            "--mqtt-version",
            "5",
            "--sequences",
            "7",
            "--cases",
            "24",
            "--timeout-ms",
            "500",
            "--seed",
            "3",
            "--no-minimize",
            "--out",
            "c",
        ],
        d,
    );
    let err = text(&out.stderr);
    // rumqttd ignores No Local ([MQTT-3.8.3-3]): at least that finding, exit 1.
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("mqtt-5.0"), "{err}");
    let ev: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("c/evidence.json")).expect("evidence.json"),
    )
    .expect("json");
    assert_eq!(ev["configuration"]["protocol"], "mqtt-5.0");
    // 24 single-packet cases, 7 sequences, then the 12 CONNECT cases of 5.0.
    assert_eq!(ev["result"]["cases"], 24 + 7 + 12, "{}", ev["result"]);
    // The two-session finding: its reproducer names the session of every line.
    let mut two = None;
    for i in 1.. {
        let p = d.join(format!("c/findings/{i}.json"));
        let Ok(t) = std::fs::read_to_string(&p) else {
            break;
        };
        if t.contains("MQTT-3.8.3-3") && t.contains("\"B:") && t.contains("\"A:") {
            two = Some(format!("c/findings/{i}.json"));
        }
    }
    let two = two.expect("a two-session No Local finding");
    let out = otproof(&["fuzz", "replay", &two, "--target", &target], d);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("reproduced") && said.contains("MQTT-3.8.3-3"),
        "{said}"
    );
    // A CONNECT-case finding (rumqttd accepts the reserved connect flag, [MQTT-3.1.2-3])
    // replays as the first packet of a fresh connection.
    let mut cc = None;
    for i in 1.. {
        let p = d.join(format!("c/findings/{i}.json"));
        let Ok(t) = std::fs::read_to_string(&p) else {
            break;
        };
        if t.contains("\"C:") && t.contains("MQTT-3.1.2-3") {
            cc = Some(format!("c/findings/{i}.json"));
        }
    }
    let cc = cc.expect("a CONNECT-case finding on the reserved connect flag");
    let out = otproof(&["fuzz", "replay", &cc, "--target", &target], d);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("reproduced") && said.contains("MQTT-3.1.2-3"),
        "{said}"
    );
    // No broker there: nothing replayed, exit 2.
    let gone = format!("127.0.0.1:{}", free_port());
    let out = otproof(&["fuzz", "replay", &two, "--target", &gone], d);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{said}{}", text(&out.stderr));
    assert!(said.contains("could not connect"), "{said}");
}
