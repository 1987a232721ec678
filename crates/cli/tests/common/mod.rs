//! Helpers shared by the command-line test files: run the binary, read its output, check
//! success or a clean failure with its exit code and the words it must say.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Run `otproof` in `cwd`, with no store or database taken from the environment.
pub fn otproof(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otproof"))
        .args(args)
        .current_dir(cwd)
        .env_remove("OTPROOF_STORE")
        .env_remove("OTPROOF_VULNDB")
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
