//! A target process that otproof launches (`--target-cmd`): started with `sh -c`, watched for
//! exit (status or signal), restarted after a crash or hang so a campaign can go on, and
//! measured (resident memory) for degradation.

use crate::campaign::TargetControl;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A launched target.
pub struct ProcessTarget {
    cmd: String,
    addr: SocketAddr,
    child: Mutex<Option<Child>>,
    startup: Duration,
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
        let t = ProcessTarget {
            cmd: cmd.to_string(),
            addr,
            child: Mutex::new(None),
            startup,
        };
        t.start()?;
        Ok(t)
    }

    fn start(&self) -> Result<(), String> {
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec {}", self.cmd))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start '{}': {e}", self.cmd))?;
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
}

impl Drop for ProcessTarget {
    fn drop(&mut self) {
        self.stop();
    }
}
