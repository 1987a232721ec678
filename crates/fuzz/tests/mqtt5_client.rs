//! Server mode with MQTT 5.0: otproof listens on a free 127.0.0.1 port, plays a 5.0 broker
//! (the `Mqtt5Client` model) and launches the client for each session: Debian's
//! `mosquitto_sub -V 5` (package mosquitto-clients) and PyPI `paho-mqtt` 2.1.0 with
//! `protocol=MQTTv5` (tests/clients/paho_client.py --v5), both installed by .ci/run.
#![allow(clippy::disallowed_macros)] // reports results on the console

mod common;
use common::{python, rt};
use otproof_fuzz::campaign::{Config, Replayed, Report, Verdict};
use otproof_fuzz::exec::Wire;
use otproof_fuzz::listen::{self, ClientModel, ClientProcess};
use otproof_fuzz::mqtt::client5::{Mqtt5Client, CONNACK_VARIANT, SUBACK_BAD};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

fn campaign(cmd: &str, cases: u64, start_at: u64) -> Report {
    let mut cfg = Config::new("127.0.0.1:0".parse().expect("addr"));
    cfg.cases = Some(cases);
    cfg.start_at = start_at;
    cfg.timeout = Duration::from_millis(400);
    rt().block_on(listen::run(
        Arc::new(Mqtt5Client::new()),
        cfg,
        Some(Arc::new(ClientProcess::new(cmd))),
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ))
}

fn summary(who: &str, r: &Report) {
    println!(
        "{who}: {} delivered, {} undelivered, outcomes {:?}, findings {:?}",
        r.cases,
        r.undelivered,
        r.coverage.outcomes,
        r.findings
            .iter()
            .map(|f| format!(
                "{} on {} ({}/{}, case {}): {}",
                f.behaviour.name(),
                f.message,
                f.field,
                f.class.name(),
                f.case,
                f.observed
            ))
            .collect::<Vec<_>>()
    );
}

fn assert_delivered(r: &Report, cases: u64) {
    assert!(r.baseline.is_some(), "no baseline session: {:?}", r.stopped);
    assert_eq!(r.protocol, "mqtt-5.0-client");
    assert_eq!(r.cases + r.undelivered, cases, "{:?}", r.stopped);
    assert!(
        r.undelivered * 10 <= cases,
        "{} of {cases} cases undelivered: {:?}",
        r.undelivered,
        r.coverage.outcomes
    );
    assert_ne!(r.verdict(), Verdict::Inconclusive);
    let codes = r.coverage.codes();
    for code in [
        0x20,
        CONNACK_VARIANT,
        0x90,
        SUBACK_BAD,
        0x30,
        0x62,
        0xE0,
        0xF0,
    ] {
        assert!(
            codes.contains(&code),
            "code 0x{code:X} not exercised: {codes:?}"
        );
    }
    for f in &r.findings {
        assert!(!f.reproducer.is_empty() && !f.exchange.is_empty());
        assert!(f.exchange.iter().any(|w| w.case == Some(f.case)));
    }
}

/// Cases `start..start + n` of each message type in turn: the first round is valid answers,
/// the variants of cycled types (CONNACK variants, bad SUBACKs...) change every round.
fn types() -> u64 {
    Mqtt5Client::new().messages().len() as u64
}

#[test]
fn mosquitto_sub_v5_gets_cases_as_a_subscriber() {
    let cmd = "mosquitto_sub -V 5 -h 127.0.0.1 -p {port} -t t -q 1 -C 1 -i otproof-sub5";
    let n = types() * 2;
    let r = campaign(cmd, n, 0);
    summary("mosquitto_sub -V 5", &r);
    assert_delivered(&r, n);
}

#[test]
fn paho_mqtt_v5_gets_cases_as_a_subscriber() {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/paho_client.py");
    let cmd = format!("{} {} --v5", python(), script.display());
    let n = types() * 2;
    let r = campaign(&cmd, n, 0);
    summary("paho-mqtt v5", &r);
    assert_delivered(&r, n);
}

/// A session to replay: the client's CONNECT, then `answer` as the case, then (if given) a
/// second answer right behind it.
fn exchange(answer: &[u8], then: Option<Vec<u8>>) -> Vec<Wire> {
    let mut w = vec![
        Wire {
            to_target: false,
            bytes: vec![0x10, 0],
            case: None,
        },
        Wire {
            to_target: true,
            bytes: answer.to_vec(),
            case: Some(1),
        },
    ];
    if let Some(t) = then {
        w.push(Wire {
            to_target: true,
            bytes: t,
            case: None,
        });
    }
    w
}

fn replay(cmd: &str, w: &[Wire]) -> Replayed {
    let client = ClientProcess::new(cmd);
    let (shown, outcome) = rt().block_on(listen::replay(
        &Mqtt5Client::new(),
        "127.0.0.1:0".parse().expect("addr"),
        Some(&client),
        Duration::from_millis(400),
        w,
    ));
    println!("replay: {shown:?} ({outcome})");
    shown
}

#[test]
fn mosquitto_sub_v5_breaks_the_musts_of_a_connack_and_dies_on_an_undefined_property() {
    let cmd = "mosquitto_sub -V 5 -h 127.0.0.1 -p {port} -t t -q 1 -C 1 -i otproof-sub5";
    let m = Mqtt5Client::new();
    let probe = m.probe(&[]);
    // Session Present 1 on a clean start: the client MUST close ([MQTT-3.2.2-4]).
    let shown = replay(cmd, &exchange(&[0x20, 3, 1, 0, 0], Some(probe.clone())));
    assert!(
        matches!(&shown, Replayed::Reproduced(b) if b.starts_with("conformance") && b.contains("MQTT-3.2.2-4")),
        "{shown:?}"
    );
    // Maximum Packet Size 8: its SUBSCRIBE (9 bytes) MUST NOT be sent ([MQTT-3.2.2-15]).
    let mps = [0x20, 8, 0, 0, 5, 0x27, 0, 0, 0, 8];
    let shown = replay(cmd, &exchange(&mps, Some(probe.clone())));
    assert!(
        matches!(&shown, Replayed::Reproduced(b) if b.contains("MQTT-3.2.2-15")),
        "{shown:?}"
    );
    // A CONNACK whose property identifier 0x7F is undefined (Malformed): mosquitto_sub 2.0.11
    // aborts on an assertion instead of closing.
    let shown = replay(cmd, &exchange(&[0x20, 5, 0, 0, 2, 0x7F, 0], Some(probe)));
    assert!(
        matches!(&shown, Replayed::Reproduced(b) if b.starts_with("crash")),
        "{shown:?}"
    );
    // The conforming CONNACK: nothing.
    let shown = replay(cmd, &exchange(&[0x20, 3, 0, 0, 0], Some(m.probe(&[]))));
    assert_eq!(shown, Replayed::NotReproduced);
}
