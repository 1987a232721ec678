//! Server mode against real MQTT clients: otproof listens on a free 127.0.0.1 port, plays the
//! broker, and launches the client for each session: Debian's `mosquitto_sub` (package
//! mosquitto-clients) and PyPI `paho-mqtt` 2.1.0 (both installed by .ci/run), and a
//! deliberately broken client (tests/clients/broken_client.py) that dies with a traceback on
//! a SUBACK it does not expect.
#![allow(clippy::disallowed_macros)] // reports results on the console

mod common;
use common::{python, rt};
use otproof_fuzz::campaign::{Behaviour, Config, Replayed, Report, Verdict};
use otproof_fuzz::listen::{self, ClientModel, ClientProcess};
use otproof_fuzz::mqtt_client::MqttClient;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("addr")
}

fn campaign(cmd: &str, cases: u64, start_at: u64) -> Report {
    let mut cfg = Config::new(any_port());
    cfg.cases = Some(cases);
    cfg.start_at = start_at;
    cfg.timeout = Duration::from_millis(400);
    let client = Arc::new(ClientProcess::new(cmd));
    rt().block_on(listen::run(
        Arc::new(MqttClient::new()),
        cfg,
        Some(client),
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ))
}

fn summary(who: &str, r: &Report) {
    println!(
        "{who}: {} delivered, {} undelivered, outcomes {:?}, coverage {:.1}%, findings {:?}",
        r.cases,
        r.undelivered,
        r.coverage.outcomes,
        r.coverage.pair_percent(),
        r.findings
            .iter()
            .map(|f| format!(
                "{} on {} ({}/{})",
                f.behaviour.name(),
                f.message,
                f.field,
                f.class.name()
            ))
            .collect::<Vec<_>>()
    );
}

fn assert_delivered(r: &Report, cases: u64) {
    assert!(r.baseline.is_some(), "no baseline session: {:?}", r.stopped);
    assert_eq!(r.cases + r.undelivered, cases, "{:?}", r.stopped);
    assert!(
        r.undelivered * 20 <= cases,
        "{} of {cases} cases undelivered: {:?}",
        r.undelivered,
        r.coverage.outcomes
    );
    assert_ne!(r.verdict(), Verdict::Inconclusive);
    // Every message type the client reaches: CONNACK, SUBACK and the session answers.
    let codes = r.coverage.codes();
    for code in [0x20, 0x90, 0x30, 0x62] {
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

#[test]
fn mosquitto_sub_gets_cases_as_a_subscriber() {
    let cmd = "mosquitto_sub -h 127.0.0.1 -p {port} -t t -q 1 -C 1 -i otproof-sub";
    let r = campaign(cmd, 40, 0);
    summary("mosquitto_sub", &r);
    assert_delivered(&r, 40);
    assert!(r
        .target_identity
        .iter()
        .any(|(_, v)| v.contains("mosquitto_sub -h 127.0.0.1 -p ")));
}

#[test]
fn paho_mqtt_gets_cases_as_a_subscriber() {
    let cmd = format!(
        "{} {}",
        python(),
        clients_dir().join("paho_client.py").display()
    );
    let r = campaign(&cmd, 14, 0);
    summary("paho-mqtt", &r);
    assert_delivered(&r, 14);
}

#[test]
fn a_client_that_dies_on_a_suback_gives_a_crash_with_a_reproducer_that_replays() {
    let cmd = format!(
        "{} {}",
        python(),
        clients_dir().join("broken_client.py").display()
    );
    // The schedule cycles the 13 message types fastest, then the mutation classes: cases
    // 39..54 are the length-mismatch round and the first case of the invalid-enum round
    // (SUBACK: cases 40 and 53).
    let r = campaign(&cmd, 15, 39);
    summary("broken client", &r);
    let crash = r
        .findings
        .iter()
        .find(|f| f.behaviour == Behaviour::Crash)
        .expect("a crash finding");
    assert_eq!(crash.message, "SUBACK", "{crash:?}");
    assert!(
        crash.observed.contains("Traceback") || crash.observed.contains("Error"),
        "{}",
        crash.observed
    );
    assert!(crash.confirmed, "{:?}", crash.minimization);
    // The reproducer: CONNACK, then the SUBACK case (and the probe behind it).
    let first = hex_decode(&crash.reproducer[0]);
    assert_eq!(first, vec![0x20, 2, 0, 0]);
    assert!(crash.reproducer.iter().any(|h| h.starts_with("90")));
    // Replayed on a fresh client: the crash comes back.
    let client = ClientProcess::new(&cmd);
    let (shown, outcome) = rt().block_on(listen::replay(
        &MqttClient::new(),
        any_port(),
        Some(&client),
        Duration::from_millis(400),
        &crash.exchange,
    ));
    println!("replay: {shown:?} ({outcome})");
    assert!(
        matches!(&shown, Replayed::Reproduced(b) if b.starts_with("crash")),
        "{shown:?}"
    );
}

#[test]
fn a_client_that_never_connects_gives_no_baseline_and_no_case() {
    let r = campaign("true", 5, 0);
    assert!(r.baseline.is_none());
    assert_eq!(r.cases, 0);
    let why = r.stopped.clone().expect("why it stopped");
    assert!(why.contains("before connecting"), "{why}");
    assert_eq!(r.verdict(), Verdict::Inconclusive);
    // A replay with nobody to connect shows nothing.
    let client = ClientProcess::new("true");
    let w = otproof_fuzz::exec::Wire {
        to_target: true,
        bytes: vec![0x20, 2, 0, 0],
        case: Some(0),
    };
    let (shown, _) = rt().block_on(listen::replay(
        &MqttClient::new(),
        any_port(),
        Some(&client),
        Duration::from_millis(200),
        &[w],
    ));
    assert!(matches!(shown, Replayed::NoTarget(_)), "{shown:?}");
    assert_eq!(MqttClient::new().name(), "mqtt-3.1.1-client");
}

#[test]
fn a_client_that_connects_by_itself_and_stops_coming_back_hangs() {
    // The client is started here, not by otproof: a shell loop that runs the broken client
    // three times (the baseline session and two cases), then no more.
    let port = common::free_port();
    let client = format!(
        "for i in 1 2 3; do OTPROOF_PORT={port} {} {}; done",
        python(),
        clients_dir().join("broken_client.py").display()
    );
    let mut cfg = Config::new(format!("127.0.0.1:{port}").parse().expect("addr"));
    cfg.cases = Some(5);
    cfg.timeout = Duration::from_millis(400);
    let rt = rt();
    let report = rt.block_on(async {
        let campaign = tokio::spawn(listen::run(
            Arc::new(MqttClient::new()),
            cfg,
            None,
            Arc::new(AtomicBool::new(false)),
            Box::leak(Box::new(|_: &otproof_fuzz::campaign::Progress| {})),
        ));
        // Let otproof listen first.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut loop_ = std::process::Command::new("sh")
            .args(["-c", &client])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sh");
        let r = campaign.await.expect("campaign");
        let _ = loop_.kill();
        let _ = loop_.wait();
        r
    });
    summary("self-connecting client", &report);
    assert_eq!(report.cases, 2, "{:?}", report.stopped);
    let hang = report
        .findings
        .iter()
        .find(|f| f.observed.contains("did not connect again"))
        .expect("a hang finding");
    assert_eq!(hang.behaviour, Behaviour::Hang);
    assert_eq!(hang.case, 1);
    assert!(report.stopped.is_some());
}

fn hex_decode(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn paho_mqtt_dies_on_a_reserved_suback_code_and_its_minimized_reproducer_replays() {
    // paho-mqtt 2.1.0 (3.1.1) looks a SUBACK return code up in a table: a reserved code
    // ends its network loop with `KeyError`. Case 53 is the SUBACK of the invalid-enum round.
    let cmd = format!(
        "{} {}",
        python(),
        clients_dir().join("paho_client.py").display()
    );
    let r = campaign(&cmd, 1, 53);
    summary("paho-mqtt, reserved SUBACK code", &r);
    let crash = r
        .findings
        .iter()
        .find(|f| f.behaviour == Behaviour::Crash)
        .expect("a crash finding");
    assert_eq!(crash.message, "SUBACK", "{crash:?}");
    assert!(crash.observed.contains("KeyError"), "{}", crash.observed);
    assert!(crash.confirmed, "{:?}", crash.minimization);
    let m = crash.minimization.as_ref().expect("minimized");
    println!("minimization: {m:?}; reproducer {:?}", crash.reproducer);
    assert!(m.runs > 1, "{m:?}");
    // Minimized: the CONNACK (without it paho never subscribes) and the SUBACK case, whose
    // body is cut to what still kills the client; no liveness probe.
    let answers: Vec<Vec<u8>> = crash.reproducer.iter().map(|h| hex_decode(h)).collect();
    assert_eq!(answers.len(), 2, "{answers:02X?}");
    assert_eq!(answers[0], vec![0x20, 2, 0, 0]);
    assert_eq!(answers[1][0], 0x90);
    let case = crash
        .exchange
        .iter()
        .find(|w| w.case == Some(crash.case))
        .expect("the case in the exchange");
    assert_eq!(case.bytes, answers[1]);
    // The minimized reproducer, replayed to a fresh client, gives the crash again.
    let client = ClientProcess::new(&cmd);
    let (shown, outcome) = rt().block_on(listen::replay(
        &MqttClient::new(),
        any_port(),
        Some(&client),
        Duration::from_millis(400),
        &crash.exchange,
    ));
    println!("replay: {shown:?} ({outcome})");
    assert!(
        matches!(&shown, Replayed::Reproduced(b) if b.contains("KeyError")),
        "{shown:?}"
    );
}

#[test]
fn a_client_that_ignores_a_pubrel_breaks_the_pubcomp_rule() {
    // The broken client acknowledges QoS 1 PUBLISH packets but never answers a PUBREL, which
    // a receiver must answer with a PUBCOMP (3.6.4, 4.3.3); mosquitto_sub and paho-mqtt do.
    let cmd = format!(
        "{} {}",
        python(),
        clients_dir().join("broken_client.py").display()
    );
    let m = MqttClient::new();
    let w = |to_target: bool, bytes: Vec<u8>, case: Option<u64>| otproof_fuzz::exec::Wire {
        to_target,
        bytes,
        case,
    };
    let sub = vec![0x82, 6, 0, 1, 0, 1, b't', 1];
    let exchange = vec![
        w(false, vec![0x10, 0], None),
        w(true, vec![0x20, 2, 0, 0], None),
        w(false, sub.clone(), None),
        w(true, vec![0x90, 3, 0, 1, 1], None),
        w(true, vec![0x62, 2, 1, 5], Some(6)),
        w(true, m.probe(&sub), None),
    ];
    let client = ClientProcess::new(&cmd);
    let (shown, outcome) = rt().block_on(listen::replay(
        &m,
        any_port(),
        Some(&client),
        Duration::from_millis(400),
        &exchange,
    ));
    println!("replay: {shown:?} ({outcome})");
    assert!(
        matches!(&shown, Replayed::Reproduced(b) if b.starts_with("conformance") && b.contains("PUBCOMP")),
        "{shown:?}"
    );
    // paho-mqtt answers the same PUBREL with its PUBCOMP: nothing.
    let paho = ClientProcess::new(&format!(
        "{} {}",
        python(),
        clients_dir().join("paho_client.py").display()
    ));
    let (shown, outcome) = rt().block_on(listen::replay(
        &m,
        any_port(),
        Some(&paho),
        Duration::from_millis(400),
        &exchange,
    ));
    println!("paho: {shown:?} ({outcome})");
    assert_eq!(shown, Replayed::NotReproduced);
}
