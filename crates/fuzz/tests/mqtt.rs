//! A campaign against a real MQTT broker started here: Debian's `mosquitto` (installed by
//! .ci/run) with a temporary config listening on a free 127.0.0.1 port only, anonymous
//! clients allowed; killed at the end.
#![allow(clippy::disallowed_macros)] // reports results on the console

mod common;
use common::{free_port, rt};
use otproof_fuzz::campaign::{self, Behaviour, Config, Replayed, Verdict};
use otproof_fuzz::exec::{self, Session};
use otproof_fuzz::model::ProtocolModel;
use otproof_fuzz::mqtt::Mqtt;
use otproof_fuzz::mutate::MutationClass;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Broker {
    child: Child,
    addr: SocketAddr,
    conf: PathBuf,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.conf);
    }
}

fn mosquitto() -> Broker {
    let port = free_port();
    let conf = std::env::temp_dir().join(format!(
        "otproof-mosquitto-{}-{port}.conf",
        std::process::id()
    ));
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
    )
    .expect("write the broker config");
    let bin = ["/usr/sbin/mosquitto", "mosquitto"]
        .into_iter()
        .find(|b| std::path::Path::new(b).exists())
        .unwrap_or("mosquitto");
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("mosquitto does not start: {e} (.ci/run installs it)"));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "mosquitto did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Broker { child, addr, conf }
}

#[test]
fn a_bounded_campaign_against_mosquitto_delivers_every_case_and_judges_by_mqtt_3_1_1() {
    let broker = mosquitto();
    let model: Arc<dyn ProtocolModel> = Arc::new(Mqtt::new());
    let timeout = Duration::from_millis(500);

    // The session prelude is on every connection's record: CONNECT, then CONNACK.
    let mut s = Session::new(broker.addr, timeout);
    let d = rt().block_on(exec::probe_on(&mut s, model.as_ref(), 1));
    assert!(d.is_ok(), "health probe PINGREQ -> PINGRESP: {d:?}");
    let log = s.log();
    assert_eq!(log[0].bytes[0], 0x10, "{log:?}");
    assert!(log[0].to_target);
    assert_eq!(log[1].bytes, [0x20, 0x02, 0x00, 0x00], "{log:?}");
    assert_eq!(log[2].bytes, [0xC0, 0x00]);
    assert_eq!(log[3].bytes, [0xD0, 0x00]);
    drop(s);

    let pairs = (model.messages().len() * MutationClass::ALL.len()) as u64;
    let mut cfg = Config::new(broker.addr);
    cfg.cases = Some(2 * pairs);
    cfg.seed = 42;
    cfg.timeout = timeout;
    let report = rt().block_on(campaign::run(
        model.clone(),
        cfg,
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ));
    eprintln!(
        "mosquitto: {} cases, {} undelivered, outcomes {:?}, {} finding(s)",
        report.cases,
        report.undelivered,
        report.coverage.outcomes,
        report.findings.len()
    );
    for f in &report.findings {
        eprintln!(
            "  {:?} {} {}: {}",
            f.behaviour, f.message, f.field, f.observed
        );
    }
    assert_eq!(report.stopped, None);
    assert_eq!((report.cases, report.undelivered), (2 * pairs, 0));
    assert!((report.coverage.pair_percent() - 100.0).abs() < 1e-9);
    // Answers were judged by the oracle (acknowledgements, SUBACKs, PINGRESPs).
    assert!(
        report
            .coverage
            .outcomes
            .get("response")
            .copied()
            .unwrap_or(0)
            > 0
    );
    assert!(matches!(report.verdict(), Verdict::Pass | Verdict::Fail));
    for f in &report.findings {
        // No crash or hang expected of mosquitto; any conformance finding carries its
        // evidence: the request, and what the broker did.
        assert_eq!(f.behaviour, Behaviour::Conformance, "{f:?}");
        assert!(!f.reproducer.is_empty() && !f.observed.is_empty(), "{f:?}");
    }
    // The broker still serves a fresh connected session.
    rt().block_on(exec::probe(model.as_ref(), broker.addr, timeout, 2))
        .expect("PINGREQ -> PINGRESP after the campaign");

    // A single request is replayed behind a fresh CONNECT; a PINGREQ is answered well.
    let (_, shown) = rt().block_on(campaign::replay(
        model.as_ref(),
        broker.addr,
        timeout,
        &[vec![0xC0, 0x00]],
    ));
    assert_eq!(shown, Replayed::NotReproduced);
    // A recorded reproducer already starts with its CONNECT: it is not sent twice (a second
    // CONNECT would make the broker close the connection, and the PINGREQ go unanswered).
    let mqtt = Mqtt::new();
    let recorded = vec![mqtt.connect_packet("otproofrecorded"), vec![0xC0, 0x00]];
    let (outcome, shown) = rt().block_on(campaign::replay(
        model.as_ref(),
        broker.addr,
        timeout,
        &recorded,
    ));
    assert_eq!(shown, Replayed::NotReproduced, "{outcome:?}");
    // A second CONNECT: the broker closes the connection (MQTT-3.1.0-2) and the PINGREQ is
    // never answered, which the replay reports.
    let doubled = vec![
        mqtt.connect_packet("otproofdoubled"),
        mqtt.connect_packet("otproofdoubled"),
        vec![0xC0, 0x00],
    ];
    let (_, shown) = rt().block_on(campaign::replay(
        model.as_ref(),
        broker.addr,
        timeout,
        &doubled,
    ));
    assert!(matches!(shown, Replayed::Reproduced(_)), "{shown:?}");
    drop(broker);
}
