//! A target process that otproof launches (`--target-cmd`): started with `sh -c`, watched for
//! exit (status or signal), restarted after a crash or hang so a campaign can go on, and
//! measured (resident memory) for degradation. Its standard error is kept (the last
//! [`STDERR_TAIL`] bytes of each run, never more) so that a sanitizer report it prints when it
//! dies (AddressSanitizer, UndefinedBehaviorSanitizer, ...) becomes part of the crash finding.
//!
//! Each launched target also gets a coverage map ([`crate::coverage::CoverageMap`], a
//! 64 KiB file in `/dev/shm`, removed with the target) named in its environment
//! ([`crate::coverage::MAP_ENV`]); a target built with coverage instrumentation and
//! `support/otproof_cov.c` counts its edges there, and [`ProcessTarget::coverage`] then offers
//! them as grey-box feedback. An uninstrumented target leaves the map empty: no coverage.

use crate::campaign::TargetControl;
use crate::coverage::{Coverage, CoverageMap, MAP_ENV};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many bytes of a launched target's standard error are kept (the last ones).
pub const STDERR_TAIL: usize = 64 * 1024;

/// How many characters of a sanitizer report a finding carries.
pub const REPORT_MAX: usize = 16 * 1024;

/// A sanitizer report a dying target printed on its standard error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SanitizerReport {
    /// What it says happened, from its first line (`AddressSanitizer: heap-buffer-overflow`),
    /// quoted (control characters escaped).
    pub kind: String,
    /// The report from its first line on, quoted (control characters escaped, lines joined
    /// by `\n`), at most [`REPORT_MAX`] characters.
    pub report: String,
}

/// The last bytes of a process's standard error.
#[derive(Debug, Default)]
struct Tail {
    bytes: VecDeque<u8>,
    /// The pipe reached its end (every writer closed it).
    eof: bool,
}

/// Keep the last [`STDERR_TAIL`] bytes of `from` in `tail` until it ends.
fn keep_tail(mut from: impl Read, tail: Arc<Mutex<Tail>>) {
    let mut chunk = [0u8; 4096];
    loop {
        let n = match from.read(&mut chunk) {
            Ok(0) | Err(_) => 0,
            Ok(n) => n,
        };
        let Ok(mut t) = tail.lock() else {
            return;
        };
        if n == 0 {
            t.eof = true;
            return;
        }
        t.bytes.extend(&chunk[..n]);
        let over = t.bytes.len().saturating_sub(STDERR_TAIL);
        t.bytes.drain(..over);
    }
}

/// The sanitizer report in a target's standard error, if there is one: from the first
/// `==PID==ERROR: ...Sanitizer` line (or an UndefinedBehaviorSanitizer `runtime error:` line)
/// to the end.
pub fn sanitizer_report(stderr: &str) -> Option<SanitizerReport> {
    let lines: Vec<&str> = stderr.lines().collect();
    let (at, kind) = lines.iter().enumerate().find_map(|(i, l)| {
        if let Some(rest) = l.strip_prefix("==").and_then(|r| r.split_once("==ERROR: ")) {
            let what = rest.1.trim();
            return what.contains("Sanitizer").then(|| {
                let short = what.split(" on ").next().unwrap_or(what);
                (i, short.to_string())
            });
        }
        l.split_once(": runtime error: ")
            .map(|(_, what)| (i, format!("UndefinedBehaviorSanitizer: {}", what.trim())))
    })?;
    let report = lines[at..].join("\n");
    Some(SanitizerReport {
        kind: otproof_text::quote_max(&kind, 200),
        report: otproof_text::quote_max(&report, REPORT_MAX),
    })
}

/// A launched target.
pub struct ProcessTarget {
    cmd: String,
    addr: SocketAddr,
    child: Mutex<Option<Child>>,
    startup: Duration,
    /// Standard error of the current (or last) run.
    stderr: Mutex<Arc<Mutex<Tail>>>,
    /// The file of the coverage map named in the target's environment (none if it could not
    /// be made), and the map until [`ProcessTarget::coverage`] takes it.
    map_path: Option<std::path::PathBuf>,
    map: Mutex<Option<CoverageMap>>,
    /// Grey-box feedback on the map, once asked for.
    coverage: Mutex<Option<Arc<Coverage>>>,
}

fn describe(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("died on signal {sig}");
        }
    }
    match status.code() {
        Some(c) => format!("exited with status {c}"),
        None => "exited".into(),
    }
}

impl ProcessTarget {
    /// Start `cmd` (a shell command line) and wait until `addr` accepts connections.
    pub fn launch(cmd: &str, addr: SocketAddr, startup: Duration) -> Result<ProcessTarget, String> {
        let map = CoverageMap::create().ok();
        let t = ProcessTarget {
            cmd: cmd.to_string(),
            addr,
            child: Mutex::new(None),
            startup,
            stderr: Mutex::new(Arc::new(Mutex::new(Tail::default()))),
            map_path: map.as_ref().map(|m| m.path().to_path_buf()),
            map: Mutex::new(map),
            coverage: Mutex::new(None),
        };
        t.start()?;
        Ok(t)
    }

    /// The target's edge coverage as grey-box feedback, if it is instrumented (it took edges
    /// while starting); `None` otherwise. The same [`Coverage`] each time it is asked; it
    /// outlives restarts (the restarted process maps the same file, whose counts go on).
    pub fn coverage(&self) -> Option<Arc<Coverage>> {
        let mut c = self.coverage.lock().ok()?;
        if c.is_none() {
            let map = self.map.lock().ok()?.take()?;
            *c = Some(Arc::new(Coverage::new(map).ok()?));
        }
        c.clone().filter(|c| c.active())
    }

    fn start(&self) -> Result<(), String> {
        let mut cmd = Command::new("sh");
        if let Some(p) = &self.map_path {
            cmd.env(MAP_ENV, p);
        }
        let child = cmd
            .arg("-c")
            .arg(format!("exec {}", self.cmd))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start '{}': {e}", self.cmd))?;
        let mut child = child;
        let tail = Arc::new(Mutex::new(Tail::default()));
        if let Some(err) = child.stderr.take() {
            let t = tail.clone();
            std::thread::spawn(move || keep_tail(err, t));
        } else if let Ok(mut t) = tail.lock() {
            t.eof = true;
        }
        if let Ok(mut s) = self.stderr.lock() {
            *s = tail;
        }
        if let Ok(mut c) = self.child.lock() {
            *c = Some(child);
        }
        let deadline = Instant::now() + self.startup;
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(how) = self.exited() {
                return Err(format!(
                    "'{}' {how} before listening on {}",
                    self.cmd, self.addr
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "'{}' does not listen on {} after {:?}",
                    self.cmd, self.addr, self.startup
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Process id of the running target.
    pub fn pid(&self) -> Option<u32> {
        self.child.lock().ok()?.as_ref().map(Child::id)
    }

    /// Resident memory in KiB (Linux), for degradation checks.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// The kept standard error of the current (or last) run, as text (invalid UTF-8
    /// replaced); waits up to `wait` for the pipe to end (all of a dying process's output).
    pub fn stderr_tail(&self, wait: Duration) -> String {
        let Some(tail) = self.stderr.lock().ok().map(|t| t.clone()) else {
            return String::new();
        };
        let deadline = Instant::now() + wait;
        loop {
            let Ok(t) = tail.lock() else {
                return String::new();
            };
            if t.eof || Instant::now() >= deadline {
                let (a, b) = t.bytes.as_slices();
                let mut v = a.to_vec();
                v.extend_from_slice(b);
                return String::from_utf8_lossy(&v).into_owned();
            }
            drop(t);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stop the target.
    pub fn stop(&self) {
        if let Ok(mut c) = self.child.lock() {
            if let Some(mut ch) = c.take() {
                let _ = Command::new("kill")
                    .args(["-CONT", &ch.id().to_string()])
                    .stderr(Stdio::null())
                    .status();
                let _ = ch.kill();
                let _ = ch.wait();
            }
        }
    }
}

impl TargetControl for ProcessTarget {
    fn restart(&self) -> Result<(), String> {
        self.stop();
        self.start()
    }

    fn memory_kib(&self) -> Option<u64> {
        self.rss_kib()
    }

    fn exited(&self) -> Option<String> {
        let mut c = self.child.lock().ok()?;
        let ch = c.as_mut()?;
        match ch.try_wait() {
            Ok(Some(status)) => Some(describe(status)),
            _ => None,
        }
    }

    fn crash_report(&self) -> Option<SanitizerReport> {
        // A sanitizer prints its first line at once, then symbolizes the stack (which can
        // take a while) and exits: once a report has begun, wait for the process to end it.
        let now = self.stderr_tail(Duration::ZERO);
        let wait = if self.exited().is_some() || sanitizer_report(&now).is_some() {
            Duration::from_secs(3)
        } else {
            return None;
        };
        sanitizer_report(&self.stderr_tail(wait))
    }

    fn coverage(&self) -> Option<Arc<Coverage>> {
        ProcessTarget::coverage(self)
    }
}

impl Drop for ProcessTarget {
    fn drop(&mut self) {
        self.stop();
    }
}
