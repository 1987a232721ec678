//! The store's guarantees through the real binary, across processes: checkpoints and
//! verification beside appending processes, `verify --store` with `--key` and `--checkpoint`,
//! a store read by a user who cannot write it, and private folders under umask 000.

mod common;
use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};

fn init(d: &Path) {
    ok(&otproof(&["init", "--origin", "rel.example/log"], d));
}

fn add(d: &Path, n: usize) -> Child {
    std::fs::write(d.join(format!("doc{n}.txt")), format!("document {n}\n")).expect("doc");
    otproof_command()
        .args([
            "evidence",
            "add",
            &format!("doc{n}.txt"),
            "--kind",
            "document",
            "--requirement",
            "SM-1",
            "--vendor",
            "Acme",
            "--product",
            "RTU-5",
        ])
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

#[test]
fn checkpoints_and_verification_beside_appending_processes() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    init(d);
    let mut added = 0usize;
    let mut checks = 0usize;
    // Rounds: two appending processes start, a checkpoint and a verification run while they
    // work. Every verification passes and the store verifies at the end.
    for round in 0..8 {
        let a = add(d, 2 * round);
        let b = add(d, 2 * round + 1);
        let cp = otproof(&["ledger", "checkpoint"], d);
        assert!(cp.status.success(), "{}", text(&cp.stderr));
        let v = otproof(&["verify", "--store"], d);
        assert!(
            v.status.success(),
            "verify beside a writer failed:\n{}{}",
            text(&v.stdout),
            text(&v.stderr)
        );
        checks += 1;
        for c in [a, b] {
            let out = c.wait_with_output().expect("wait");
            assert!(out.status.success(), "{}", text(&out.stderr));
            added += 1;
        }
    }
    assert_eq!((added, checks), (16, 8));
    let out = otproof(&["verify", "--store", "--json"], d);
    ok(&out);
}

#[test]
fn verify_store_honours_key_and_kept_checkpoints() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    init(d);
    for n in 0..3 {
        let out = add(d, n).wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let kept = otproof(&["ledger", "checkpoint"], d);
    std::fs::write(d.join("kept.note"), &kept.stdout).expect("kept");
    let vkey = d.join(".otproof/keys/ledger.vkey");
    let out = otproof(
        &[
            "verify",
            "--store",
            "--key",
            &vkey.display().to_string(),
            "--checkpoint",
            "kept.note",
        ],
        d,
    );
    let all = ok(&out);
    assert!(all.contains("pinned key"), "{all}");
    assert!(!all.contains("not checked"), "{all}");
    // Without outside facts the report says what it could not check.
    let all = ok(&otproof(&["verify", "--store"], d));
    assert!(all.contains("not checked"), "{all}");
    // Another key pinned: exit 1.
    ok(&otproof(
        &["key", "gen", "--name", "rel.example/log", "--out", "other"],
        d,
    ));
    let out = otproof(&["verify", "--store", "--key", "other.vkey"], d);
    fails(&out, 1, &["is not the key you trust"]);
    // Rolled back: the last record removed with its rows, nodes and checkpoints.
    let conn = rusqlite::Connection::open(d.join(".otproof/otproof.db")).expect("db");
    conn.execute_batch(
        "DELETE FROM record_requirements WHERE leaf >= 2;
         DELETE FROM records WHERE leaf >= 2;
         DELETE FROM nodes WHERE ((idx + 1) << level) > 2;
         DELETE FROM checkpoints WHERE size > 2;",
    )
    .expect("roll back");
    drop(conn);
    ok(&otproof(&["verify", "--store"], d));
    let out = otproof(&["verify", "--store", "--checkpoint", "kept.note"], d);
    fails(&out, 1, &["rolled back (1 records removed)"]);
    // --checkpoint is for stores only; a missing file is bad input.
    let out = otproof(&["verify", "x.tar", "--checkpoint", "kept.note"], d);
    fails(&out, 2, &["--checkpoint is for verifying a store"]);
    let out = otproof(&["verify", "--store", "--checkpoint", "nope.note"], d);
    fails(&out, 2, &["nope.note"]);
}

/// Run the binary as a user who cannot write the store (nobody, when the tests run as root;
/// otherwise the files are made read-only).
fn as_reader(args: &[&str], cwd: &Path) -> std::process::Output {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| text(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_otproof"),
        ]);
        c
    } else {
        otproof_command()
    };
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("OTPROOF_STORE")
        .env_remove("OTPROOF_VULNDB")
        .env("HOME", cwd)
        .output()
        .expect("runs")
}

#[test]
fn a_store_that_cannot_be_written_is_read_and_verified() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    init(d);
    for n in 0..2 {
        let out = add(d, n).wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    // Everything readable, nothing writable, as on read-only media.
    let status = Command::new("chmod")
        .args(["-R", "a+rX,a-w"])
        .arg(d)
        .status()
        .expect("chmod");
    assert!(status.success());
    let before = std::fs::read(d.join(".otproof/otproof.db")).expect("db");
    let out = as_reader(&["verify", "--store"], d);
    let all = ok(&out);
    assert!(all.contains("2 records"), "{all}");
    ok(&as_reader(&["evidence", "list"], d));
    ok(&as_reader(&["ledger", "status"], d));
    // Writing is refused cleanly.
    std::fs::write(std::env::temp_dir().join("otproof-ro-doc.txt"), "x").ok();
    let out = as_reader(&["ledger", "checkpoint"], d);
    assert!(!text(&out.stderr).contains("panicked"));
    assert_eq!(
        std::fs::read(d.join(".otproof/otproof.db")).expect("db"),
        before,
        "a reader changed the database"
    );
    let _ = Command::new("chmod").args(["-R", "u+w"]).arg(d).status();
}

#[test]
fn init_makes_private_folders_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().expect("tmp");
    let out = Command::new("sh")
        .args(["-c", "umask 000; exec \"$0\" init --origin u.example/log"])
        .arg(env!("CARGO_BIN_EXE_otproof"))
        .current_dir(t.path())
        .env_remove("OTPROOF_STORE")
        .output()
        .expect("runs");
    ok(&out);
    for (p, want) in [
        (".otproof", 0o700),
        (".otproof/keys", 0o700),
        (".otproof/keys/ledger.skey", 0o600),
    ] {
        let mode = std::fs::metadata(t.path().join(p))
            .expect("exists")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, want, "{p} has mode {mode:o}");
    }
}

#[test]
fn a_vulnerability_database_that_cannot_be_written_is_read() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    let rio = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rio-2000");
    ok(&otproof(
        &[
            "vulndb",
            "import",
            &rio.join("vulndb").display().to_string(),
            "--db",
            "vulns.sqlite",
        ],
        d,
    ));
    let status = Command::new("chmod")
        .args(["-R", "a+rX,a-w"])
        .arg(d)
        .status()
        .expect("chmod");
    assert!(status.success());
    let before = std::fs::read(d.join("vulns.sqlite")).expect("db");
    let sbom = rio.join("rio-2000-4.2.0.cdx.json").display().to_string();
    let vex = rio.join("rio-2000.openvex.json").display().to_string();
    let out = as_reader(
        &[
            "sbom",
            "check",
            &sbom,
            "--db",
            "vulns.sqlite",
            "--vex",
            &vex,
        ],
        d,
    );
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains("OTPROOF-DEMO-2026-0001") && !all.contains("readonly"),
        "{all}"
    );
    assert_eq!(std::fs::read(d.join("vulns.sqlite")).expect("db"), before);
    let _ = Command::new("chmod").args(["-R", "u+w"]).arg(d).status();
}
