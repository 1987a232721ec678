//! Campaigns against a real Modbus/TCP server (pymodbus, started here on 127.0.0.1; .ci/run
//! installs it): every function code is exercised, findings replay, and the monitors detect a
//! killed (SIGKILL) and a frozen (SIGSTOP) server.

use otproof_fuzz::campaign::{self, Behaviour, Config};
use otproof_fuzz::modbus::Modbus;
use otproof_fuzz::model::ProtocolModel;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/servers/pymodbus_server.py");
        let python = std::env::var("OTPROOF_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(&python)
            .arg(&script)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{python} {}: {e} (.ci/run installs pymodbus)",
                    script.display()
                )
            });
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "pymodbus server did not start (is pymodbus==3.6.9 installed?)"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Server { child, addr }
    }

    fn signal(&self, sig: &str) -> std::io::Result<std::process::ExitStatus> {
        Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_bounded_campaign_exercises_every_function_code_and_class() {
    let server = Server::start();
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let pairs = (model.messages().len() * otproof_fuzz::mutate::MutationClass::ALL.len()) as u64;
    let mut cfg = Config::new(server.addr);
    cfg.cases = Some(pairs);
    cfg.seed = 42;
    cfg.concurrency = 2;
    cfg.timeout = Duration::from_millis(250);
    let stop = Arc::new(AtomicBool::new(false));
    let report = rt().block_on(campaign::run(model.clone(), cfg, stop, &mut |_| {}));
    assert_eq!(report.stopped, None, "{:?}", report.findings);
    assert_eq!(report.cases, pairs);
    assert!((report.coverage.pair_percent() - 100.0).abs() < 1e-9);
    let codes = report.coverage.codes();
    for fc in [
        1u16, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43,
    ] {
        assert!(codes.contains(&fc), "FC {fc} not exercised");
    }
    assert!(report
        .findings
        .iter()
        .all(|f| f.behaviour != Behaviour::Crash));
    // Every finding replays against the same server.
    for f in report.findings.iter().filter(|f| f.confirmed).take(5) {
        let repro: Vec<Vec<u8>> = f
            .reproducer
            .iter()
            .map(|h| campaign::unhex(h).expect("hex"))
            .collect();
        let (_, verdict) = rt().block_on(campaign::replay(
            model.as_ref(),
            server.addr,
            Duration::from_millis(500),
            &repro,
        ));
        assert!(verdict.is_some(), "finding did not replay: {f:?}");
    }
    eprintln!("pymodbus findings: {:#?}", report.findings);
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

#[test]
fn a_killed_server_is_a_crash() {
    let server = Server::start();
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(server.addr);
    cfg.cases = None;
    cfg.duration = Some(Duration::from_secs(30));
    cfg.timeout = Duration::from_millis(300);
    cfg.crash_grace = Duration::from_millis(500);
    let stop = Arc::new(AtomicBool::new(false));
    let pid = server.child.id();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(pid.to_string())
            .status();
    });
    let report = rt().block_on(campaign::run(model, cfg, stop, &mut |_| {}));
    killer.join().expect("killer");
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

#[test]
fn a_frozen_server_is_a_hang() {
    let server = Server::start();
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(server.addr);
    cfg.cases = None;
    cfg.duration = Some(Duration::from_secs(30));
    cfg.timeout = Duration::from_millis(300);
    let stop = Arc::new(AtomicBool::new(false));
    let pid = server.child.id();
    let freezer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let _ = Command::new("kill")
            .arg("-STOP")
            .arg(pid.to_string())
            .status();
    });
    let report = rt().block_on(campaign::run(model, cfg, stop, &mut |_| {}));
    freezer.join().expect("freezer");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.behaviour == Behaviour::Hang),
        "{:?}",
        report.findings
    );
}
