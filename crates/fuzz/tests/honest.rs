//! Honest accounting and exact reproducers, against small Python servers started here on
//! 127.0.0.1 (tests/servers/single_client.py): a server that serves one client at a time
//! gets every case of a one-session campaign delivered, and more sessions than it serves make
//! the campaign inconclusive, never a pass; a server that dies on one FC 5 request gives a
//! crash finding labelled FC 5 whose minimized reproducer is that request, which replays
//! against a fresh server and cannot be replayed against a closed port.
#![allow(clippy::disallowed_macros)] // reports results on the console

mod common;
use common::{rt, Server};
use otproof_fuzz::campaign::{self, Behaviour, Config, Control, Replayed, Report, Verdict};
use otproof_fuzz::modbus::Modbus;
use otproof_fuzz::model::ProtocolModel;
use otproof_fuzz::process::ProcessTarget;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

fn run(cfg: Config) -> Report {
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    rt().block_on(campaign::run(
        model,
        cfg,
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ))
}

fn show(report: &Report) {
    eprintln!(
        "{} executed, {} undelivered, verdict {}, outcomes {:?}",
        report.cases,
        report.undelivered,
        report.verdict().name(),
        report.coverage.outcomes
    );
    for f in &report.findings {
        eprintln!(
            "finding: {} {} {} {}: {} [{}]",
            f.behaviour.name(),
            f.message,
            f.field,
            f.class.name(),
            f.observed,
            f.reproducer.join(" ")
        );
        eprintln!(
            "  signature {:?}, {} occurrence(s), variants {:?}, {:?}, {:?}, {} candidate(s)",
            f.signature,
            f.occurrences,
            f.variants,
            f.confirmation,
            f.minimization,
            f.candidates.len()
        );
    }
}

/// The tests that restart a launched server many times while minimizing run one at a time
/// (their minimization is bounded in time: two at once on a loaded machine could cut it).
static RESTARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The number of message types of the model: that many first cases are its valid messages.
fn message_types() -> u64 {
    Modbus::new(1).messages().len() as u64
}

/// One session against a single-client server: probes go over the case connection, so every
/// case is delivered and counted (none `connect-failed` or `not-served`).
#[test]
fn a_single_client_server_gets_every_case_of_one_session() {
    let server = Server::single_client();
    let mut cfg = Config::new(server.addr);
    let n = message_types() * 11;
    cfg.cases = Some(n);
    cfg.seed = 42;
    cfg.timeout = Duration::from_millis(500);
    cfg.probe_every = 10;
    let report = run(cfg);
    show(&report);
    assert_eq!(report.stopped, None);
    assert_eq!((report.cases, report.undelivered), (n, 0));
    assert!((report.coverage.pair_percent() - 100.0).abs() < 1e-9);
    for label in ["connect-failed", "not-sent", "not-served"] {
        assert!(!report.coverage.outcomes.contains_key(label), "{label}");
    }
    assert_ne!(report.verdict(), Verdict::Inconclusive);
}

/// Four sessions against a server that serves one client at a time: the cases written on
/// connections it never serves are not delivered; they are counted apart, coverage and the
/// executed count leave them out, and the campaign is inconclusive, not a pass.
#[test]
fn more_sessions_than_a_single_client_server_serves_are_inconclusive() {
    // Cases one at a time, and two in flight per connection (a batch written on a
    // connection never served is not delivered either).
    for pipeline in [1, 2] {
        more_sessions_than_served(pipeline);
    }
}

fn more_sessions_than_served(pipeline: usize) {
    // Each answer takes 20 ms: the session it serves holds it for the whole campaign, far
    // longer than the others' 300 ms timeout (with instant answers it may finish its share
    // within that timeout, and the others are then served and their cases really delivered).
    let server = Server::single_client_slow(20);
    let mut cfg = Config::new(server.addr);
    // The valid messages only: the server answers them all correctly, so nothing but the
    // undelivered cases can keep the campaign from passing.
    let n = message_types();
    cfg.cases = Some(n);
    cfg.concurrency = 4;
    cfg.pipeline = pipeline;
    cfg.timeout = Duration::from_millis(300);
    let report = run(cfg);
    show(&report);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.undelivered > 0);
    assert_eq!(report.cases + report.undelivered, n);
    let counted: u64 = report.coverage.pairs.values().sum();
    assert_eq!(counted, report.cases, "coverage counts executed cases only");
    assert_eq!(report.verdict(), Verdict::Inconclusive);
}

#[test]
fn the_verdict_is_inconclusive_beyond_five_percent_undelivered() {
    assert_eq!(Verdict::of(100, 0, 0), Verdict::Pass);
    assert_eq!(Verdict::of(95, 5, 0), Verdict::Pass);
    assert_eq!(Verdict::of(94, 6, 0), Verdict::Inconclusive);
    assert_eq!(Verdict::of(0, 0, 0), Verdict::Inconclusive);
    assert_eq!(Verdict::of(8, 9433, 0), Verdict::Inconclusive);
    assert_eq!(Verdict::of(8, 9433, 2), Verdict::Fail);
}

/// The first valid FC 5 case of `seed` (its index and bytes).
fn first_fc5(seed: u64) -> (u64, Vec<u8>) {
    let model = Modbus::new(1);
    (0..message_types())
        .map(|i| campaign::build_case(&model, seed, i))
        .find(|c| c.bytes.get(7) == Some(&5))
        .map(|c| (c.index, c.bytes))
        .expect("an FC 5 message")
}

/// A launched server that exits on one FC 5 request (one coil address): the crash finding is
/// labelled FC 5, its reproducer before minimization is what its connection carried, and
/// minimized (each candidate against a restarted server) it is that one request. Replayed
/// against a fresh server it reproduces the crash; against a closed port it cannot connect.
#[test]
fn a_server_dying_on_one_request_gives_that_request_as_its_reproducer() {
    let _one_at_a_time = RESTARTING.lock();
    let seed = 3;
    let (index, fatal) = first_fc5(seed);
    let address = u16::from_be_bytes([fatal[8], fatal[9]]);
    let port = common::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let cmd = common::single_client_dying_on_fc5(port, address);
    let target =
        Arc::new(ProcessTarget::launch(&cmd, addr, Duration::from_secs(10)).expect("starts"));
    let mut cfg = Config::new(addr);
    cfg.seed = seed;
    cfg.cases = Some(index + 6);
    cfg.timeout = Duration::from_millis(500);
    cfg.crash_grace = Duration::from_secs(1);
    cfg.control = Control(Some(target.clone()));
    let report = run(cfg);
    show(&report);
    let crashes: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.behaviour == Behaviour::Crash)
        .collect();
    assert!(!crashes.is_empty(), "{:?}", report.findings);
    let f = crashes[0];
    assert_eq!((f.code, f.case), (5, index), "{f:?}");
    assert!(f.message.starts_with("FC05"), "{f:?}");
    assert!(f.observed.contains("status 3"), "{f:?}");
    let original = f
        .original
        .as_ref()
        .expect("minimized from the connection's sequence");
    assert!(original.len() > 1, "{original:?}");
    assert!(original.contains(&hex::encode(&fatal)), "{original:?}");
    assert_eq!(
        f.reproducer,
        vec![hex::encode(&fatal)],
        "{:?}",
        f.minimization
    );
    assert!(f.confirmed);
    assert!(f.minimization.as_ref().is_some_and(|m| m.complete));
    // The exchange of that connection is kept, both ways.
    assert!(f.exchange.iter().any(|w| w.to_target));
    assert!(f.exchange.iter().any(|w| !w.to_target));
    // Replay: the server is left running (restarted after minimization), and dies again.
    let model = Modbus::new(1);
    let (_, shown) = rt().block_on(campaign::replay(
        &model,
        addr,
        Duration::from_millis(500),
        std::slice::from_ref(&fatal),
    ));
    assert!(
        matches!(&shown, Replayed::Reproduced(v) if v.starts_with("crash")),
        "{shown:?}"
    );
    // Nothing listens any more: the replay could not connect, and says so.
    target.stop();
    let (_, shown) = rt().block_on(campaign::replay(
        &model,
        addr,
        Duration::from_millis(500),
        &[fatal],
    ));
    assert!(matches!(shown, Replayed::NoTarget(_)), "{shown:?}");
}

/// Four sessions against a launched server that serves many clients at once and whose
/// process exits on one FC 5 request: whichever connection saw the crash first, the finding's
/// reproducer is the exact sequence of the connection that carried the fatal case (the other
/// in-flight connections are tried as candidates against the restarted server), labelled FC 5
/// and minimized to that one request, which replays (the crash comes back).
#[test]
fn at_concurrency_four_a_crash_gets_the_triggering_connections_one_request_reproducer() {
    let _one_at_a_time = RESTARTING.lock();
    let seed = 3;
    let (index, fatal) = first_fc5(seed);
    let address = u16::from_be_bytes([fatal[8], fatal[9]]);
    let port = common::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let cmd = common::concurrent_dying_on_fc5(port, address);
    let target =
        Arc::new(ProcessTarget::launch(&cmd, addr, Duration::from_secs(10)).expect("starts"));
    let mut cfg = Config::new(addr);
    cfg.seed = seed;
    cfg.cases = Some(index + 12);
    cfg.concurrency = 4;
    cfg.timeout = Duration::from_millis(500);
    cfg.crash_grace = Duration::from_secs(1);
    cfg.control = Control(Some(target.clone()));
    let report = run(cfg);
    show(&report);
    let crashes: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.behaviour == Behaviour::Crash)
        .collect();
    // One root cause: every crash event of this server is the same FC 5 request.
    assert_eq!(crashes.len(), 1, "{:?}", report.findings);
    let f = crashes[0];
    assert_eq!(f.code, 5, "{f:?}");
    assert!(f.message.starts_with("FC05"), "{f:?}");
    assert!(f.observed.contains("status 3"), "{f:?}");
    assert_eq!(
        f.reproducer,
        vec![hex::encode(&fatal)],
        "{:?}",
        f.minimization
    );
    assert!(f.confirmed, "{:?}", f.confirmation);
    assert_eq!(f.confirmation.how, campaign::Confirmed::AfterRestart);
    assert!(f.minimization.as_ref().is_some_and(|m| m.complete));
    assert_eq!(f.effect, campaign::Effect::ServerDown);
    assert_eq!(f.severity, "high");
    // The exchange kept is that of the connection that carried the fatal request.
    assert!(
        f.exchange.iter().any(|w| w.to_target && w.bytes == fatal),
        "{:?}",
        f.exchange
    );
    assert!(f.variants.codes.contains(&5));
    assert!(f.variants.examples.contains(&f.case));
    let model = Modbus::new(1);
    let (_, shown) = rt().block_on(campaign::replay(
        &model,
        addr,
        Duration::from_millis(500),
        std::slice::from_ref(&fatal),
    ));
    assert!(
        matches!(&shown, Replayed::Reproduced(v) if v.starts_with("crash")),
        "{shown:?}"
    );
    target.stop();
}
