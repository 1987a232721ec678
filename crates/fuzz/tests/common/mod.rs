//! Real Modbus/TCP servers for the tests, started on 127.0.0.1 and stopped on drop:
//! pymodbus (Python, installed by .ci/run) and libmodbus (a C harness built here against
//! Debian's libmodbus-dev, installed by .ci/run).
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn servers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/servers")
}

impl Server {
    fn spawn(mut cmd: Command, port: u16, what: &str) -> Server {
        cmd.arg(port.to_string());
        Server::spawn_on(cmd, port, what)
    }

    /// Start `cmd` (which already names `port`) and wait until it listens there.
    fn spawn_on(mut cmd: Command, port: u16, what: &str) -> Server {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{what} does not start: {e} (.ci/run installs it)"));
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{what} did not start listening on {addr}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Server { child, addr }
    }

    /// pymodbus 3.6.9.
    pub fn pymodbus() -> Server {
        let mut cmd =
            Command::new(std::env::var("OTPROOF_PYTHON").unwrap_or_else(|_| "python3".into()));
        cmd.arg(servers_dir().join("pymodbus_server.py"));
        Server::spawn(cmd, free_port(), "the pymodbus server (pymodbus==3.6.9)")
    }

    /// The single-client Modbus/TCP server (tests/servers/single_client.py): one connection
    /// served at a time.
    pub fn single_client() -> Server {
        let mut cmd = Command::new(python());
        cmd.arg(servers_dir().join("single_client.py"));
        Server::spawn(cmd, free_port(), "the single-client server (python3)")
    }

    /// The single-client server answering each request after `delay_ms` (a slow device: the
    /// client it serves holds it far longer than another client's short timeout).
    pub fn single_client_slow(delay_ms: u64) -> Server {
        let port = free_port();
        let mut cmd = Command::new(python());
        cmd.arg(servers_dir().join("single_client.py"))
            .arg(port.to_string())
            .args(["--answer-delay-ms", &delay_ms.to_string()]);
        Server::spawn_on(cmd, port, "the single-client server (python3)")
    }

    /// libmodbus 3.1.6 behind a small C harness, compiled once per test process.
    pub fn libmodbus() -> Server {
        Server::spawn(
            Command::new(libmodbus_harness()),
            free_port(),
            "the libmodbus server",
        )
    }

    pub fn signal(&self, sig: &str) -> std::io::Result<std::process::ExitStatus> {
        Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
    }
}

pub fn build_libmodbus_harness() -> PathBuf {
    {
        let bin = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("libmodbus_server");
        let src = servers_dir().join("libmodbus_server.c");
        let stale = std::fs::metadata(&bin)
            .and_then(|b| Ok(b.modified()? < std::fs::metadata(&src)?.modified()?))
            .unwrap_or(true);
        if stale {
            let flags = Command::new("pkg-config")
                .args(["--cflags", "--libs", "libmodbus"])
                .output()
                .expect("pkg-config runs (.ci/run installs pkg-config and libmodbus-dev)");
            assert!(flags.status.success(), "libmodbus-dev is not installed");
            let flags = String::from_utf8_lossy(&flags.stdout).into_owned();
            let tmp = bin.with_extension(format!("tmp{}", std::process::id()));
            let st = Command::new("cc")
                .arg("-O1")
                .arg("-o")
                .arg(&tmp)
                .arg(&src)
                .args(flags.split_whitespace())
                .status()
                .expect("cc runs");
            assert!(st.success(), "building the libmodbus harness failed");
            std::fs::rename(&tmp, &bin).expect("install harness");
        }
        bin
    }
}

/// The Python interpreter the test servers run on.
pub fn python() -> String {
    std::env::var("OTPROOF_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The shell command that runs the single-client server on `port`, exiting on an FC 5 request
/// for coil `address` (for `--target-cmd`).
pub fn single_client_dying_on_fc5(port: u16, address: u16) -> String {
    format!(
        "{} {} {port} --die-on-fc5-address {address}",
        python(),
        servers_dir().join("single_client.py").display()
    )
}

/// The shell command that runs a server serving many clients at once on `port`, whose
/// process exits on an FC 5 request for coil `address` (tests/servers/dies_on_request.py).
pub fn concurrent_dying_on_fc5(port: u16, address: u16) -> String {
    format!(
        "{} {} {port} {address}",
        python(),
        servers_dir().join("dies_on_request.py").display()
    )
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The libmodbus harness binary, compiled once per test process.
pub fn libmodbus_harness() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(build_libmodbus_harness).clone()
}

/// The crash-on-sequence target (tests/servers/crash_on_sequence.c: exits after FC 0x41 then
/// FC 0x42 on one connection), compiled once per test process.
pub fn crash_on_sequence() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let bin = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("crash_on_sequence");
            let src = servers_dir().join("crash_on_sequence.c");
            let stale = std::fs::metadata(&bin)
                .and_then(|b| Ok(b.modified()? < std::fs::metadata(&src)?.modified()?))
                .unwrap_or(true);
            if stale {
                let tmp = bin.with_extension(format!("tmp{}", std::process::id()));
                let st = Command::new("cc")
                    .arg("-O1")
                    .arg("-o")
                    .arg(&tmp)
                    .arg(&src)
                    .status()
                    .expect("cc runs");
                assert!(st.success(), "building the crash-on-sequence target failed");
                std::fs::rename(&tmp, &bin).expect("install target");
            }
            bin
        })
        .clone()
}
