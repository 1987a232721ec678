//! Terminal output and process hygiene, on the real binary: text from outside (tar entry names,
//! SBOM component names, record titles) reaches the terminal escaped and cut; key material is
//! never echoed; a closed pipe ends quietly with the command's own exit code; private files
//! are private under any umask.

mod common;

use common::{otproof, otproof_command, text};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

const FAKE: &str = "\u{1b}[2K\r\u{1b}[32mok all checks passed\u{1b}[0m";

fn rio(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rio-2000")
        .join(name)
        .display()
        .to_string()
}

/// No byte that a terminal acts on: no ESC, no other C0 control but newline and tab, no DEL,
/// no C1 control (U+0080..U+009F, as UTF-8 `C2 80`..`C2 9F`).
fn assert_inert(what: &str, bytes: &[u8]) {
    for (i, &b) in bytes.iter().enumerate() {
        assert!(
            b == b'\n' || b == b'\t' || (b >= 0x20 && b != 0x7f),
            "{what}: control byte 0x{b:02x} at {i}: {}",
            text(bytes)
        );
    }
    assert!(
        !bytes
            .windows(2)
            .any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1])),
        "{what}: a C1 control: {}",
        text(bytes)
    );
}

/// No line of the output that starts with the fake verdict.
fn assert_no_fake_line(what: &str, bytes: &[u8]) {
    let t = text(bytes);
    assert!(
        !t.lines()
            .any(|l| l.trim_start().starts_with("ok all checks passed")),
        "{what}: {t}"
    );
}

/// A tar archive with one file entry of this name (a GNU long-name entry when it is long).
fn tar_with(name: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, name, &b"{}"[..]).expect("tar entry");
    b.into_inner().expect("tar")
}

#[test]
fn a_hostile_tar_entry_name_is_shown_escaped_never_as_a_fake_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Outside the bundle's folder: the error names the entry.
    for name in [
        format!("{FAKE}\nok all checks passed"),
        format!("x\u{9b}2K{FAKE}\u{202e}\nok all checks passed"),
    ] {
        std::fs::write(d.join("evil.tar"), tar_with(&name)).expect("write");
        let out = otproof(&["verify", "evil.tar"], d);
        let err = text(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "rejected: {:?} {err}",
            out.status.code()
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_inert("stderr", &out.stderr);
        assert_inert("stdout", &out.stdout);
        assert_no_fake_line("stderr", &out.stderr);
        assert_no_fake_line("stdout", &out.stdout);
        assert!(err.contains("\\x1b[2K"), "the escape is shown: {err}");
    }
}

#[test]
fn a_50_mb_entry_name_gives_a_short_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let name = format!("otproof-bundle/{}", "n".repeat(50 * 1024 * 1024));
    std::fs::write(d.join("long.tar"), tar_with(&name)).expect("write");
    let out = otproof(&["verify", "long.tar"], d);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{:?}",
        out.status.code()
    );
    assert!(
        out.stderr.len() + out.stdout.len() < 100 * 1024,
        "{} bytes of stderr, {} of stdout",
        out.stderr.len(),
        out.stdout.len()
    );
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
fn hostile_sbom_component_names_reach_the_terminal_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = otproof(
        &["vulndb", "import", &rio("vulndb"), "--db", "vulns.sqlite"],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sbom = std::fs::read_to_string(rio("rio-2000-4.2.0.cdx.json")).expect("sbom");
    // JSON escapes of ESC, CR, newline and the C1 CSI in names, a version and a purl.
    let hostile =
        r#"\u001b[2K\r\u001b[32mok all checks passed\u001b[0m\nok all checks passed\u009b31m"#;
    assert!(sbom.contains(r#""name": "libmodbus""#));
    let sbom = sbom
        .replacen(
            r#""name": "libmodbus""#,
            &format!(r#""name": "libmodbus{hostile}""#),
            1,
        )
        .replacen(
            r#""name": "RIO-2000""#,
            &format!(r#""name": "RIO{hostile}""#),
            1,
        )
        .replacen(
            r#""components": ["#,
            &format!(
                r#""components": [
    {{ "type": "library", "name": "x{hostile}", "version": "1{hostile}", "purl": "pkg:{hostile}" }},"#
            ),
            1,
        );
    std::fs::write(d.join("evil.cdx.json"), &sbom).expect("write");
    for format in ["table", "json", "sarif", "html"] {
        let out = otproof(
            &[
                "sbom",
                "check",
                "evil.cdx.json",
                "--db",
                "vulns.sqlite",
                "--vex",
                &rio("rio-2000.openvex.json"),
                "--policy",
                &rio("policy.yaml"),
                "--format",
                format,
            ],
            d,
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "policy fails: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_inert("stderr", &out.stderr);
        assert_no_fake_line("stderr", &out.stderr);
        if format == "table" {
            assert_inert("stdout", &out.stdout);
            assert_no_fake_line("stdout", &out.stdout);
            let table = text(&out.stdout);
            assert!(table.contains("libmodbus\\x1b[2K"), "{table}");
            assert!(table.contains("policy: FAILED"), "{table}");
        } else {
            // Data into a pipe keeps its exact bytes: JSON escapes every C0 control itself,
            // HTML shows controls escaped.
            assert!(!out.stdout.contains(&0x1b), "{format}");
        }
    }
}

#[test]
fn hostile_record_titles_are_one_escaped_line_in_evidence_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    assert!(otproof(&["init", "--origin", "example.org/otproof"], d)
        .status
        .success());
    std::fs::write(d.join("sdl.md"), "# SDL\n").expect("write");
    let title = format!("SDL{FAKE}\nok all checks passed");
    let out = otproof(
        &[
            "evidence",
            "add",
            "sdl.md",
            "--requirement",
            "SM-1",
            "--vendor",
            "Acme",
            "--title",
            &title,
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_string();
    for args in [vec!["evidence", "list"], vec!["evidence", "show", &id]] {
        let out = otproof(&args, d);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_inert("stdout", &out.stdout);
        assert_no_fake_line("stdout", &out.stdout);
        // `list` escapes the title; `show` prints the record's JSON, which escapes it too.
        let shown = text(&out.stdout);
        assert!(
            shown.contains("\\x1b[2K") || shown.contains("\\u001b[2K"),
            "{shown}"
        );
    }
    // JSON into a pipe: exact, parseable, the title intact.
    let out = otproof(&["evidence", "list", "--json"], d);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows[0]["title"], title.as_str());
}

fn key_pairs(d: &Path) {
    let out = otproof(
        &[
            "key", "gen", "--name", "vendor", "--alg", "ed25519", "--out", "vendor",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = otproof(
        &[
            "key",
            "gen",
            "--name",
            "other.example/log",
            "--out",
            "ledger",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A store with one record, exported as `b.tar`, and a signed release `fw.bin` +
/// `fw.intoto.json` (key `vendor.pub`).
fn fixtures(d: &Path) {
    key_pairs(d);
    assert!(otproof(&["init", "--origin", "example.org/otproof"], d)
        .status
        .success());
    std::fs::write(d.join("sdl.md"), "# SDL\n").expect("write");
    for i in 0..3 {
        let out = otproof(
            &[
                "evidence",
                "add",
                "sdl.md",
                "--requirement",
                "SM-1",
                "--vendor",
                "Acme",
                "--title",
                &format!("SDL {i}"),
            ],
            d,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = otproof(&["export", "--all", "--out", "b.tar"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(d.join("fw.bin"), b"firmware 1.0\n").expect("write");
    let out = otproof(
        &[
            "release",
            "sign",
            "fw.bin",
            "--key",
            "vendor.key",
            "--product",
            "RIO",
            "--version",
            "1.0",
            "--out",
            "fw.intoto.json",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_private_key_given_as_the_key_is_named_never_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fixtures(d);
    let checks: [&[&str]; 4] = [
        &["verify", "b.tar", "--key", "vendor.key"],
        &["verify", "b.tar", "--key", "ledger.skey"],
        &[
            "verify-artifact",
            "fw.bin",
            "--envelope",
            "fw.intoto.json",
            "--key",
            "vendor.key",
        ],
        &[
            "verify-artifact",
            "fw.bin",
            "--envelope",
            "fw.intoto.json",
            "--key",
            "ledger.skey",
        ],
    ];
    for args in checks {
        let out = otproof(args, d);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.contains("private key"), "{args:?}: {all}");
        let key_file = args.last().expect("key");
        let secret = std::fs::read_to_string(d.join(key_file)).expect("key");
        for line in secret.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!all.contains(line), "{args:?} echoes the key: {all}");
        }
        // The base64 body of the ledger key (`PRIVATE+KEY+NAME+HASH+BASE64`) is never shown
        // either. The body may itself contain '+', so it is the fifth field, not the last one.
        if let Some(b64) = secret.trim().splitn(5, '+').nth(4) {
            assert!(!all.contains(b64), "{args:?}: {all}");
        }
    }
    // Pasted as text instead of a path: refused before any message could echo it.
    for file in ["vendor.key", "ledger.skey"] {
        let secret = std::fs::read_to_string(d.join(file)).expect("key");
        for args in [
            vec!["verify", "b.tar", "--key", secret.trim()],
            vec!["verify", "b.tar", secret.trim()],
        ] {
            let out = otproof(&args, d);
            let all = text(&out.stdout) + &text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{all}");
            assert!(all.contains("private key (not shown)"), "{all}");
            for line in secret.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!all.contains(line), "{file} echoed: {all}");
            }
        }
    }
}

/// Run with standard output a pipe whose reading end is already closed.
fn into_closed_pipe(args: &[&str], d: &Path) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    otproof_command()
        .args(args)
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("otproof runs")
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_commands_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fixtures(d);
    // A bundle that fails verification (a record byte changed): exit 1 even with no reader.
    let mut bad = std::fs::read(d.join("b.tar")).expect("bundle");
    let at = bad
        .windows(5)
        .position(|w| w == b"SDL 1")
        .expect("a title in the bundle");
    bad[at + 4] = b'9';
    std::fs::write(d.join("bad.tar"), bad).expect("write");
    let cases: [(&[&str], i32); 8] = [
        (&["catalog", "list"], 0),
        (&["catalog", "list", "--json"], 0),
        (&["evidence", "list"], 0),
        (&["evidence", "list", "--json"], 0),
        (
            &[
                "verify-artifact",
                "fw.bin",
                "--envelope",
                "fw.intoto.json",
                "--key",
                "vendor.pub",
            ],
            0,
        ),
        (
            &["verify", "b.tar", "--key", ".otproof/keys/ledger.vkey"],
            0,
        ),
        (&["verify", "bad.tar"], 1),
        (&["--help"], 0),
    ];
    for (args, code) in cases {
        for _ in 0..20 {
            let out = into_closed_pipe(args, d);
            let err = text(&out.stderr);
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
            assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        }
    }
}

#[test]
fn a_closed_standard_error_is_no_crash_either() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for (args, code) in [
        (
            &["catalog", "export", "--format", "csv", "--out", "c.csv"][..],
            0,
        ),
        (&["verify", "absent.tar"][..], 2),
        (&["no-such-command"][..], 2),
    ] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = otproof_command()
            .args(args)
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(writer)
            .status()
            .expect("otproof runs");
        assert_eq!(out.code(), Some(code), "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn private_keys_are_0600_under_umask_000() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("umask 000; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_otproof"))
            .args(args)
            .current_dir(d)
            .env_remove("OTPROOF_STORE")
            .env_remove("OTPROOF_VULNDB")
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    };
    run(&[
        "key", "gen", "--name", "vendor", "--alg", "p256", "--out", "vendor",
    ]);
    run(&["key", "gen", "--name", "example.org/log", "--out", "ledger"]);
    let mode = |p: &str| std::fs::metadata(d.join(p)).expect(p).permissions().mode() & 0o777;
    assert_eq!(mode("vendor.key"), 0o600);
    assert_eq!(mode("ledger.skey"), 0o600);
    // A report written over a private file stays private.
    std::fs::write(d.join("spec.md"), "old").expect("write");
    std::fs::set_permissions(d.join("spec.md"), std::fs::Permissions::from_mode(0o600))
        .expect("chmod");
    run(&[
        "spec",
        "--sl-t",
        "2,2,2,2,2,2,2",
        "--component",
        "embedded-device",
        "--out",
        "spec.md",
    ]);
    assert_eq!(mode("spec.md"), 0o600);
}
