//! Helpers shared by the command-line test files: run the binary, read its output, check
//! success or a clean failure with its exit code and the words it must say.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The `otproof` binary with every `OTPROOF_*` variable of the test's environment removed
/// (`OTPROOF_STORE`, `OTPROOF_VULNDB`, ...), so no run can reach a developer's real store or
/// database. A test that wants a variable sets it on the returned command.
pub fn otproof_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_otproof"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OTPROOF_") {
            cmd.env_remove(&name);
        }
    }
    // The two that would point a run at a real store, named so a reader sees them.
    cmd.env_remove("OTPROOF_STORE").env_remove("OTPROOF_VULNDB");
    cmd
}

/// Run `otproof` in `cwd`, with no store, database or other setting taken from the
/// environment.
pub fn otproof(args: &[&str], cwd: &Path) -> Output {
    otproof_command()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("otproof runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout) + &text(&out.stderr)
}

pub fn fails(out: &Output, code: i32, needles: &[&str]) {
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    for n in needles {
        assert!(all.contains(n), "output lacks {n:?}: {all}");
    }
}

/// A third-party server or broker a test started on 127.0.0.1 (its process and port),
/// killed when dropped.
pub struct Server(pub std::process::Child, pub u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// The Python the tests run servers with (`OTPROOF_PYTHON`, else `python3`).
pub fn python() -> String {
    std::env::var("OTPROOF_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Start `cmd` (output discarded) and wait up to 20 s until it accepts connections on
/// 127.0.0.1:`port`; `what` names it in the failure message.
pub fn serve(mut cmd: Command, port: u16, what: &str) -> Server {
    use std::time::{Duration, Instant};
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} runs (.ci/run installs it): {e}"));
    let server = Server(child, port);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}
