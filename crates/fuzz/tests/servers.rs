//! Campaigns against real Modbus/TCP servers started here on 127.0.0.1 (pymodbus and
//! libmodbus): every function code and mutation class is exercised, confirmed findings
//! replay, and the monitors detect a killed (SIGKILL), a frozen (SIGSTOP) and a slowed
//! (SIGSTOP/SIGCONT cycles) server.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

mod common;
use common::{rt, Server};
use otproof_fuzz::campaign::TargetControl;
use otproof_fuzz::campaign::{self, Behaviour, Config, Control, Finding, Report};
use otproof_fuzz::modbus::Modbus;
use otproof_fuzz::model::ProtocolModel;
use otproof_fuzz::mutate::MutationClass;
use otproof_fuzz::process::ProcessTarget;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Run a campaign to its end (no Ctrl-C, no progress display).
fn campaign_of(model: Arc<dyn ProtocolModel>, cfg: Config) -> Report {
    rt().block_on(campaign::run(
        model,
        cfg,
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ))
}

fn bounded(addr: std::net::SocketAddr, control: Control, concurrency: usize) -> Report {
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let pairs = (model.messages().len() * MutationClass::ALL.len()) as u64;
    let mut cfg = Config::new(addr);
    cfg.control = control;
    cfg.cases = Some(pairs);
    cfg.seed = 42;
    cfg.concurrency = concurrency;
    // Over libmodbus's 500 ms stall before it answers some invalid requests: a late answer
    // is read and judged, not raced.
    cfg.timeout = Duration::from_millis(1000);
    // libmodbus stalls on many invalid requests (hang findings): keep their minimization
    // short here, it is exercised in full by the crash-on-sequence test.
    cfg.minimize_failure_time = Duration::from_millis(300);
    let controlled = cfg.control.0.is_some();
    let report = campaign_of(model.clone(), cfg);
    assert_eq!(report.stopped, None, "{:?}", report.findings);
    for f in report
        .findings
        .iter()
        .filter(|f| matches!(f.behaviour, Behaviour::Crash | Behaviour::Hang))
    {
        let m = f.minimization.as_ref().expect("minimization recorded");
        // Controlled: minimized, unless the campaign's overall minimization time ran out.
        let skipped = m.note.contains("minimization time was spent");
        assert_eq!(m.runs > 0 || skipped, controlled, "{f:?}");
    }
    if controlled {
        // Left running: answers a probe. A few tries, because on a loaded machine the last
        // restart (or a 500 ms libmodbus stall) may still be under way; this checks liveness,
        // not speed.
        let alive = (0..5).any(|attempt| {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(500));
            }
            rt().block_on(otproof_fuzz::exec::probe(
                model.as_ref(),
                addr,
                Duration::from_secs(2),
                7,
            ))
            .is_ok()
        });
        assert!(alive, "the target is left running after minimization");
    }
    assert_eq!((report.cases, report.undelivered), (pairs, 0));
    assert!((report.coverage.pair_percent() - 100.0).abs() < 1e-9);
    let codes = report.coverage.codes();
    for fc in [
        1u16, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43,
    ] {
        assert!(codes.contains(&fc), "FC {fc} not exercised");
    }
    // Crash and hang reproducers take the target down on purpose (they are confirmed by the
    // minimizer against a restarted target): replay the conformance ones.
    for f in report
        .findings
        .iter()
        .filter(|f| f.confirmed && f.behaviour == Behaviour::Conformance)
        .take(5)
    {
        let repro: Vec<Vec<u8>> = f
            .reproducer
            .iter()
            .map(|h| campaign::unhex(h).expect("hex"))
            .collect();
        // Well over libmodbus's 500 ms stall before it answers some invalid requests (a
        // fresh process answers at 500.3 ms): the finding may be that late answer.
        let (_, verdict) = rt().block_on(campaign::replay(
            model.as_ref(),
            addr,
            Duration::from_millis(1500),
            &repro,
        ));
        assert!(
            matches!(verdict, campaign::Replayed::Reproduced(_)),
            "confirmed finding did not replay: {f:?}: {verdict:?}"
        );
    }
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
    }
    report
}

#[test]
fn pymodbus_bounded_campaign_exercises_every_function_code_and_class() {
    let server = Server::pymodbus();
    bounded(server.addr, Control::default(), 2);
}

/// Findings on pymodbus are one per root cause: no two share a signature, each counts its
/// cases as variants (the codes, fields and classes it was seen with, a few case indexes),
/// and many cases fold into few causes.
#[test]
fn pymodbus_findings_are_one_per_root_cause_with_their_variants_counted() {
    let server = Server::pymodbus();
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let pairs = (model.messages().len() * MutationClass::ALL.len()) as u64;
    let mut cfg = Config::new(server.addr);
    cfg.cases = Some(pairs * 15);
    cfg.seed = 7;
    cfg.concurrency = 2;
    cfg.timeout = Duration::from_millis(500);
    let report = campaign_of(model, cfg);
    for f in &report.findings {
        eprintln!(
            "root cause: {} x{} codes {:?} fields {:?} classes {:?} examples {:?} [{}] {}",
            f.signature,
            f.occurrences,
            f.variants.codes,
            f.variants.fields,
            f.variants.classes,
            f.variants.examples,
            f.severity,
            f.confirmation.note
        );
    }
    assert!(!report.findings.is_empty(), "pymodbus shows findings");
    let mut signatures: Vec<&str> = report.findings.iter().map(|f| f.key()).collect();
    signatures.sort();
    signatures.dedup();
    assert_eq!(
        signatures.len(),
        report.findings.len(),
        "one finding per root cause"
    );
    for f in &report.findings {
        assert!(!f.signature.is_empty());
        assert!(f.variants.codes.contains(&f.code), "{f:?}");
        assert!(!f.variants.examples.is_empty());
        assert!(f.variants.examples.len() as u64 <= f.occurrences);
        assert!(f.variants.classes.len() as u64 <= f.occurrences);
        assert!(f.variants.codes.len() as u64 <= f.occurrences);
        assert!(!f.confirmation.note.is_empty());
    }
    let occurrences: u64 = report.findings.iter().map(|f| f.occurrences).sum();
    assert!(
        occurrences > report.findings.len() as u64,
        "cases fold into causes"
    );
}

/// libmodbus launched and controlled by otproof (as with --target-cmd): a target that hangs
/// or crashes is restarted and the campaign goes on to cover the whole model.
#[test]
fn libmodbus_bounded_campaign_exercises_every_function_code_and_class() {
    let port = common::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let cmd = format!("{} {port}", common::libmodbus_harness().display());
    let target =
        ProcessTarget::launch(&cmd, addr, Duration::from_secs(10)).expect("libmodbus starts");
    // One session: while libmodbus stalls on one connection's invalid request it serves no
    // other, so a second session's cases would go unanswered (counted as not delivered).
    bounded(addr, Control(Some(Arc::new(target))), 1);
}

#[test]
fn a_launched_target_dying_on_a_signal_is_a_crash_and_is_restarted() {
    let port = common::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    // 1 ms libmodbus timeouts: no stalls (and restarts) on invalid requests to race the signal.
    let cmd = format!("{} {port} 1", common::libmodbus_harness().display());
    let target =
        Arc::new(ProcessTarget::launch(&cmd, addr, Duration::from_secs(10)).expect("starts"));
    let killer = {
        let target = target.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(800));
            // The target may be mid-restart (libmodbus hangs on some function codes): retry
            // until a signal is delivered.
            for _ in 0..50 {
                if let Some(pid) = target.pid() {
                    let ok = Command::new("kill")
                        .args(["-SEGV", &pid.to_string()])
                        .stderr(std::process::Stdio::null())
                        .status()
                        .is_ok_and(|s| s.success());
                    if ok {
                        return pid;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            panic!("could not signal the target");
        })
    };
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(addr);
    cfg.cases = None;
    cfg.duration = Some(Duration::from_secs(3));
    cfg.timeout = Duration::from_millis(300);
    cfg.control = Control(Some(target.clone()));
    let report = campaign_of(model, cfg);
    let pid = killer.join().expect("killer");
    let crash = report
        .findings
        .iter()
        .find(|f| f.observed.contains("signal 11"));
    assert!(
        crash.is_some_and(|f| f.behaviour == Behaviour::Crash),
        "{:?}",
        report.findings
    );
    assert_eq!(report.stopped, None, "restarted, not stopped");
    assert_ne!(target.pid(), Some(pid), "a new process serves");
}

fn long_campaign(server: &Server) -> Config {
    let mut cfg = Config::new(server.addr);
    cfg.cases = None;
    cfg.duration = Some(Duration::from_secs(30));
    cfg.timeout = Duration::from_millis(300);
    cfg.crash_grace = Duration::from_millis(500);
    cfg
}

fn after(ms: u64, server: &Server, sig: &'static str) -> std::thread::JoinHandle<()> {
    let pid = server.child.id();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        let _ = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status();
    })
}

#[test]
fn a_killed_server_is_a_crash() {
    // (libmodbus is covered by the launched-target test: unsupported function codes hang it.)
    {
        let server = Server::pymodbus();
        let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
        let t = after(1500, &server, "KILL");
        let report = campaign_of(model, long_campaign(&server));
        t.join().expect("killer");
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.behaviour == Behaviour::Crash),
            "{:?}",
            report.findings
        );
        assert!(report
            .stopped
            .as_deref()
            .is_some_and(|s| s.contains("crash")));
        assert!(report.elapsed < Duration::from_secs(25), "stopped promptly");
    }
}

#[test]
fn a_frozen_server_is_a_hang() {
    for server in [Server::pymodbus(), Server::libmodbus()] {
        let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
        let t = after(1500, &server, "STOP");
        let report = campaign_of(model, long_campaign(&server));
        t.join().expect("freezer");
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.behaviour == Behaviour::Hang),
            "{:?}",
            report.findings
        );
    }
}

/// libmodbus with its default timeouts sleeps 500 ms before answering many invalid requests
/// (unknown function codes, bad quantities) and serves no one meanwhile. With several
/// sessions, each waits behind the others' stalls: the campaign goes on with one session, the
/// stall is one degradation finding (CR 7.1), the kinds of case that stall are scheduled
/// around (skipped, counted apart), and nothing of it is taken for a hang.
#[test]
fn a_stalling_server_is_scheduled_around_not_called_hung() {
    let server = Server::libmodbus();
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(server.addr);
    cfg.cases = None;
    cfg.duration = Some(Duration::from_secs(6));
    cfg.concurrency = 3;
    cfg.minimize = false;
    let report = campaign_of(model, cfg);
    for f in &report.findings {
        eprintln!(
            "finding: {} {}: {}",
            f.behaviour.name(),
            f.message,
            f.observed
        );
    }
    assert_eq!(report.stopped, None);
    assert!(
        !report
            .findings
            .iter()
            .any(|f| matches!(f.behaviour, Behaviour::Hang | Behaviour::Crash)),
        "{:?}",
        report.findings
    );
    let stall = report
        .findings
        .iter()
        .find(|f| f.behaviour == Behaviour::Degradation && f.observed.contains("stall"))
        .expect("the stall is a finding");
    assert!(
        stall.observed.contains("other sessions were stopped"),
        "{stall:?}"
    );
    assert!(report.skipped > 0, "stalling cases are skipped");
    assert!(
        report.undelivered * 20 <= report.cases,
        "{} of {} cases not delivered",
        report.undelivered,
        report.cases
    );
}

#[test]
fn a_slowed_server_is_a_degradation() {
    let server = Server::libmodbus();
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(server.addr);
    cfg.cases = None;
    cfg.duration = Some(Duration::from_secs(6));
    cfg.timeout = Duration::from_millis(2000);
    cfg.probe_every = 10;
    let done = Arc::new(AtomicBool::new(false));
    let pid = server.child.id().to_string();
    let cycler = {
        let done = done.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1000));
            while !done.load(Ordering::SeqCst) {
                let _ = Command::new("kill").args(["-STOP", &pid]).status();
                std::thread::sleep(Duration::from_millis(250));
                let _ = Command::new("kill").args(["-CONT", &pid]).status();
                std::thread::sleep(Duration::from_millis(30));
            }
        })
    };
    let report = campaign_of(model, cfg);
    done.store(true, Ordering::SeqCst);
    cycler.join().expect("cycler");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.behaviour == Behaviour::Degradation),
        "{:?}",
        report.findings
    );
}

#[test]
fn same_seed_same_cases() {
    let model = Modbus::new(1);
    for i in [0u64, 5, 77, 1000] {
        assert_eq!(
            campaign::build_case(&model, 9, i),
            campaign::build_case(&model, 9, i)
        );
    }
    assert_ne!(
        campaign::build_case(&model, 9, 3).bytes,
        campaign::build_case(&model, 10, 3).bytes
    );
}

/// A launched target whose memory grows without bound while fuzzed (the harness leaks 256 KiB
/// per request on purpose) is reported as degradation.
#[test]
fn memory_growth_of_a_launched_target_is_degradation() {
    let port = common::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let cmd = format!("{} {port} 1 256", common::libmodbus_harness().display());
    let target =
        Arc::new(ProcessTarget::launch(&cmd, addr, Duration::from_secs(10)).expect("starts"));
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(addr);
    cfg.cases = Some(600);
    cfg.minimize = false;
    cfg.control = Control(Some(target.clone()));
    let report = campaign_of(model, cfg);
    let grew = report
        .findings
        .iter()
        .find(|f| f.behaviour == Behaviour::Degradation && f.observed.contains("memory"));
    assert!(grew.is_some(), "{:?}", report.findings);
}

/// A Modbus/TCP request: MBAP header (unit 1), function code, data.
fn request(tid: u16, fc: u8, data: &[u8]) -> Vec<u8> {
    let mut v = tid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&(2 + data.len() as u16).to_be_bytes());
    v.extend_from_slice(&[1, fc]);
    v.extend_from_slice(data);
    v
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn crash_finding(reproducer: &[Vec<u8>]) -> Finding {
    Finding {
        behaviour: Behaviour::Crash,
        message: "test".into(),
        code: 0x42,
        field: "function".into(),
        class: MutationClass::InvalidEnum,
        observed: "the target process exited with status 1 during the campaign".into(),
        case: 9,
        reproducer: reproducer.iter().map(|b| hex(b)).collect(),
        original: None,
        effect: campaign::Effect::ServerDown,
        severity: "high".into(),
        cvss_vector: String::new(),
        cvss_score: 7.5,
        requirements: Vec::new(),
        occurrences: 1,
        signature: String::new(),
        variants: Default::default(),
        confirmed: false,
        confirmation: Default::default(),
        answer_shape: None,
        framing: None,
        process_end: None,
        candidates: Vec::new(),
        minimization: None,
        exchange: Vec::new(),
        sanitizer: None,
    }
}

/// A launched target that crashes only when one connection sends FC 0x41 and later FC 0x42:
/// a 10-request reproducer full of noise (a 0x42 before the 0x41, reads, writes, unknown
/// codes) is minimized, by restarting the target for each test run, to exactly that pair; the
/// target is left running. Without control, crash findings are not minimized and say why.
#[test]
fn a_crash_on_a_request_sequence_is_minimized_to_that_sequence() {
    let port = common::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let cmd = format!("{} {port}", common::crash_on_sequence().display());
    let target =
        Arc::new(ProcessTarget::launch(&cmd, addr, Duration::from_secs(10)).expect("starts"));
    let model = Modbus::new(1);
    let first = request(0x0004, 0x41, &[]);
    let second = request(0x000a, 0x42, &[]);
    let seq = vec![
        request(0x0001, 0x42, &[]),
        request(0x0002, 3, &[0, 0, 0, 2]),
        request(0x0003, 6, &[0, 1, 0x12, 0x34]),
        first.clone(),
        request(0x0005, 3, &[0, 4, 0, 1]),
        request(0x0006, 0x43, &[0xde, 0xad]),
        request(0x0007, 16, &[0, 0, 0, 1, 2, 0, 7]),
        request(0x0008, 0x44, &[]),
        request(0x0009, 3, &[0, 0, 0, 1]),
        second.clone(),
    ];
    assert_eq!(seq.len(), 10);
    let mut cfg = Config::new(addr);
    cfg.timeout = Duration::from_millis(500);
    cfg.case_timeout = Some(Duration::from_millis(50));
    cfg.crash_grace = Duration::from_secs(1);
    cfg.control = Control(Some(target.clone()));
    let mut f = crash_finding(&seq);
    rt().block_on(campaign::minimize_failure(&model, &cfg, &mut f));
    let m = f.minimization.clone().expect("minimization recorded");
    eprintln!("{m:?}");
    assert_eq!(f.reproducer, vec![hex(&first), hex(&second)], "{m:?}");
    assert_eq!(f.original, Some(seq.iter().map(|b| hex(b)).collect()));
    assert!(f.confirmed);
    assert!(m.complete, "{m:?}");
    assert!(m.runs >= 3, "{m:?}");
    assert!(m.elapsed_ms <= 20_000 + 5_000, "{m:?}");
    // Left running: a fresh process that answers.
    assert_eq!(target.exited(), None);
    rt().block_on(otproof_fuzz::exec::probe(
        &model,
        addr,
        Duration::from_millis(500),
        1,
    ))
    .expect("the target is left running");
    // The minimized pair, sent on one connection, still crashes it; each request alone
    // does not.
    let send = |reqs: &[&Vec<u8>]| {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        for r in reqs {
            s.write_all(r).expect("write");
            std::thread::sleep(Duration::from_millis(20));
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while target.exited().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        target.exited()
    };
    assert!(send(&[&first, &second]).is_some_and(|how| how.contains("status 1")));
    target.restart().expect("restart");
    let deadline = std::time::Instant::now() + Duration::from_millis(300);
    for alone in [&first, &second] {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.write_all(alone).expect("write");
    }
    while std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        target.exited(),
        None,
        "each request alone leaves it running"
    );
    // `fuzz replay` of the minimized finding sends both requests on one connection, so it
    // reproduces the crash.
    let reproducer = vec![first.clone(), second.clone()];
    let (_, verdict) = rt().block_on(campaign::replay(
        &model,
        addr,
        Duration::from_millis(500),
        &reproducer,
    ));
    assert!(
        matches!(&verdict, campaign::Replayed::Reproduced(v) if v.starts_with("crash")),
        "{verdict:?}"
    );
    target.restart().expect("restart");

    // Without control: not minimized, and the finding says why.
    let mut cfg = Config::new(addr);
    cfg.control = Control::default();
    let mut f = crash_finding(&seq);
    rt().block_on(campaign::minimize_failure(&model, &cfg, &mut f));
    let m = f.minimization.expect("note");
    assert_eq!(m.runs, 0);
    assert!(m.note.contains("--target-cmd"), "{m:?}");
    assert_eq!(f.reproducer.len(), 10);
    assert_eq!(f.original, None);
}
