//! Real Modbus/TCP servers for the tests, started on 127.0.0.1 and stopped on drop:
//! pymodbus (Python, installed by .ci/run) and libmodbus (a C harness built here against
//! Debian's libmodbus-dev, installed by .ci/run). C test servers are built by [`compile_c`],
//! once per test process and per set of flags.
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
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

    /// libmodbus 3.1.6 behind a small C harness (tests/servers/libmodbus_server.c).
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

/// A C program built from `sources` with the compiler flags `flags` (sources first, then
/// flags, so that libraries can follow), by `cc`, or by `NAME` when a flag is `CC=NAME`. Built once per test process and per (sources, flags);
/// a binary left by an earlier process is reused while it is newer than its sources.
pub fn compile_c(sources: &[PathBuf], flags: &[String]) -> PathBuf {
    static BUILT: OnceLock<Mutex<BTreeMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{sources:?} {flags:?}");
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().expect("compile lock");
    if let Some(bin) = built.get(&key) {
        return bin.clone();
    }
    let mut hash = DefaultHasher::new();
    key.hash(&mut hash);
    let stem = sources
        .first()
        .and_then(|s| s.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "c".into());
    let bin =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{stem}-{:016x}", hash.finish()));
    let newest_source = sources
        .iter()
        .filter_map(|s| std::fs::metadata(s).and_then(|m| m.modified()).ok())
        .max();
    let fresh = std::fs::metadata(&bin)
        .and_then(|b| b.modified())
        .is_ok_and(|b| newest_source.is_some_and(|s| b >= s));
    if !fresh {
        let (compiler, flags): (Vec<&String>, Vec<&String>) =
            flags.iter().partition(|f| f.starts_with("CC="));
        let compiler = compiler
            .first()
            .map_or("cc", |c| c.trim_start_matches("CC="));
        let tmp = bin.with_extension(format!("tmp{}", std::process::id()));
        let st = Command::new(compiler)
            .arg("-o")
            .arg(&tmp)
            .args(sources)
            .args(flags)
            .status()
            .unwrap_or_else(|e| panic!("{compiler} does not run: {e} (.ci/run installs it)"));
        assert!(st.success(), "building {sources:?} with {compiler} failed");
        std::fs::rename(&tmp, &bin).expect("install the binary");
    }
    built.insert(key, bin.clone());
    bin
}

/// The compiler and linker flags of Debian's libmodbus-dev (`pkg-config`).
pub fn libmodbus_flags() -> Vec<String> {
    let out = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libmodbus"])
        .output()
        .expect("pkg-config runs (.ci/run installs pkg-config and libmodbus-dev)");
    assert!(out.status.success(), "libmodbus-dev is not installed");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// A test server source under tests/servers.
pub fn server_source(name: &str) -> PathBuf {
    servers_dir().join(name)
}

/// The libmodbus server (tests/servers/libmodbus_server.c) built with `flags` before the
/// libmodbus ones.
pub fn libmodbus_server(flags: &[&str]) -> PathBuf {
    let mut all: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    all.extend(libmodbus_flags());
    compile_c(&[server_source("libmodbus_server.c")], &all)
}

/// The libmodbus harness, plain (`-O1`).
pub fn libmodbus_harness() -> PathBuf {
    libmodbus_server(&["-O1"])
}

/// The crash-on-sequence target (tests/servers/crash_on_sequence.c: exits after FC 0x41 then
/// FC 0x42 on one connection).
pub fn crash_on_sequence() -> PathBuf {
    compile_c(
        &[server_source("crash_on_sequence.c")],
        &["-O1".to_string()],
    )
}
