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
