//! Bounded input, end to end on the real binary: tar bombs under a memory limit, FIFOs and
//! devices refused without blocking, per-kind size caps, `vulndb import` of nothing.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const MEMORY_LIMIT: &str = "536870912"; // 512 MiB of address space

fn rio(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rio-2000")
        .join(name)
        .display()
        .to_string()
}

/// A temp folder with the sample vulnerability data imported into `vulns.sqlite`.
fn with_db() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tmp");
    ok(&otproof(
        &["vulndb", "import", &rio("vulndb"), "--db", "vulns.sqlite"],
        d.path(),
    ));
    d
}

/// Run `cmd` to its end, killing it (and failing the test) if it is still running after
/// 30 s: a guard against a hang, not a timing assertion.
fn run_guarded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    for _ in 0..300 {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    panic!(
        "still running after 30 s (killed); stderr: {}",
        text(&out.stderr)
    );
}

/// `otproof args` in `cwd` under a 512 MiB address-space limit.
fn limited(args: &[&str], cwd: &Path) -> Command {
    limited_to(MEMORY_LIMIT, args, cwd)
}

/// `otproof args` in `cwd` under an address-space limit of `bytes`.
fn limited_to(bytes: &str, args: &[&str], cwd: &Path) -> Command {
    let base = otproof_command();
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={bytes}"))
        .arg("--")
        .arg(base.get_program())
        .args(args)
        .current_dir(cwd);
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

/// A normalised ustar header, as otproof writes it.
fn header(name: &str, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_path(name).expect("path");
    h.set_size(size);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    h
}

/// Entries whose few stored bytes expand to 1 GiB each (GNU sparse).
fn sparse_bomb(entries: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..entries {
        let mut h = tar::Header::new_gnu();
        h.set_path(format!("otproof-bundle/blobs/{i:064x}"))
            .expect("path");
        h.set_size(512);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::GNUSparse);
        if let Some(g) = h.as_gnu_mut() {
            g.sparse[0].offset = *b"07777777000\0";
            g.sparse[0].numbytes = *b"00000001000\0";
            g.realsize = *b"10000000000\0";
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&[b'x'; 512]);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn refused_bundle(out: &Output, needle: &str) {
    let err = text(&out.stderr);
    // A refused bundle is a failed verification (exit 1), never an abort (134) or a panic.
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("memory allocation"),
        "{err}"
    );
    assert!(
        err.contains("not a readable otproof bundle") && err.contains(needle),
        "{err}"
    );
}

#[test]
fn a_sparse_tar_bomb_is_refused_under_a_memory_limit() {
    let d = tempfile::tempdir().expect("tmp");
    let bomb = sparse_bomb(8);
    assert!(bomb.len() < 10_000);
    std::fs::write(d.path().join("bomb.tar"), &bomb).expect("write");
    let out = run_guarded(limited(&["verify", "bomb.tar"], d.path()));
    refused_bundle(&out, "is a sparse file");
}

#[test]
fn an_oversized_entry_bomb_is_refused_under_a_memory_limit() {
    let d = tempfile::tempdir().expect("tmp");
    // A manifest that claims almost 1 GiB, in a 1.5 KB file.
    let mut t = header("otproof-bundle/manifest.json", (1 << 30) - 1)
        .as_bytes()
        .to_vec();
    t.extend_from_slice(&[0u8; 1024]);
    std::fs::write(d.path().join("big.tar"), &t).expect("write");
    let out = run_guarded(limited(&["verify", "big.tar"], d.path()));
    refused_bundle(&out, "allowed for the manifest");
    // A blob that claims 900 MiB and stops: refused as truncated, in constant memory.
    let mut t = header(&format!("otproof-bundle/blobs/{:064x}", 1), 900 << 20)
        .as_bytes()
        .to_vec();
    t.extend_from_slice(&[7u8; 4096]);
    std::fs::write(d.path().join("cut.tar"), &t).expect("write");
    let out = run_guarded(limited(&["verify", "cut.tar"], d.path()));
    refused_bundle(&out, "truncated");
}

#[test]
fn fifos_and_devices_are_refused_without_blocking() {
    let d = with_db();
    let fifo = d.path().join("in.json");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let mut cmd = otproof_command();
    cmd.args(["sbom", "check", "in.json", "--db", "vulns.sqlite"])
        .current_dir(d.path());
    let out = run_guarded(cmd);
    fails(&out, 2, &["in.json", "FIFO", "only regular files"]);
    let mut cmd = otproof_command();
    cmd.args(["vulndb", "import", "in.json", "--db", "v.sqlite"])
        .current_dir(d.path());
    let out = run_guarded(cmd);
    fails(&out, 2, &["in.json", "FIFO", "only regular files"]);
    let mut cmd = otproof_command();
    cmd.args(["verify", "in.json"]).current_dir(d.path());
    let out = run_guarded(cmd);
    fails(&out, 2, &["in.json", "FIFO"]);
    let mut cmd = otproof_command();
    cmd.args(["sbom", "check", "/dev/zero", "--db", "vulns.sqlite"])
        .current_dir(d.path());
    let out = run_guarded(cmd);
    fails(&out, 2, &["/dev/zero", "character device"]);
    let mut cmd = otproof_command();
    cmd.args(["vulndb", "import", "/dev/zero", "--db", "v.sqlite"])
        .current_dir(d.path());
    let out = run_guarded(cmd);
    fails(&out, 2, &["/dev/zero", "character device"]);
    // Inside a folder, a FIFO is rejected and named (nothing else there: exit 1).
    std::fs::create_dir(d.path().join("feed")).expect("dir");
    let made = Command::new("mkfifo")
        .arg(d.path().join("feed/osv.json"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let mut cmd = otproof_command();
    cmd.args(["vulndb", "import", "feed", "--db", "v.sqlite"])
        .current_dir(d.path());
    let out = run_guarded(cmd);
    fails(&out, 1, &["no records imported", "1 rejected", "FIFO"]);
}

#[test]
fn a_file_over_its_cap_is_refused_naming_the_limit() {
    let d = with_db();
    let sbom = std::fs::read(rio("rio-2000-4.2.0.cdx.json")).expect("sbom");
    let mut big = sbom.clone();
    big.extend(std::iter::repeat_n(b' ', 2 << 20));
    std::fs::write(d.path().join("big.cdx.json"), &big).expect("write");
    let mut cmd = otproof_command();
    cmd.env("OTPROOF_MAX_INPUT_MIB", "1")
        .args(["sbom", "check", "big.cdx.json", "--db", "vulns.sqlite"])
        .current_dir(d.path());
    let out = run_guarded(cmd);
    fails(
        &out,
        2,
        &[
            "big.cdx.json",
            "more than the 1 MiB",
            "OTPROOF_MAX_INPUT_MIB",
        ],
    );
}

#[test]
fn vulndb_import_of_nothing_exits_1_and_says_why() {
    let d = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(d.path().join("empty")).expect("dir");
    let out = otproof(&["vulndb", "import", "empty", "--db", "v.sqlite"], d.path());
    fails(
        &out,
        1,
        &["no records imported", "0 file(s) read", "no .json or .zip"],
    );
    std::fs::write(d.path().join("junk.json"), "{\"not\": \"osv\"}").expect("write");
    let out = otproof(
        &["vulndb", "import", "junk.json", "--db", "v.sqlite"],
        d.path(),
    );
    fails(&out, 1, &["no records imported", "1 rejected", "junk.json"]);
    // Something imported: exit 0; the same again (all unchanged) is still not "nothing".
    let out = otproof(
        &["vulndb", "import", &rio("vulndb"), "--db", "v.sqlite"],
        d.path(),
    );
    ok(&out);
    let out = otproof(
        &["vulndb", "import", &rio("vulndb"), "--db", "v.sqlite"],
        d.path(),
    );
    ok(&out);
}

#[test]
fn verify_artifact_streams_a_large_artifact_under_a_memory_limit() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path();
    ok(&otproof(
        &["key", "gen", "--name", "vendor", "--alg", "p256"],
        p,
    ));
    ok(&otproof(
        &["key", "gen", "--name", "other", "--alg", "ed25519"],
        p,
    ));
    // 128 MiB (sparse on disk), under a 96 MiB address-space limit: a run that held the
    // artifact could not even allocate it. (The debug build hashes at some 25 MB/s: kept small.)
    const LIMIT: &str = "100663296";
    let big = std::fs::File::create(p.join("fw.bin")).expect("create");
    big.set_len(128 << 20).expect("set_len");
    drop(big);
    let mut sign = limited_to(
        LIMIT,
        &[
            "release",
            "sign",
            "fw.bin",
            "--key",
            "vendor.key",
            "--product",
            "RIO-2000",
            "--version",
            "9.9.9",
            "--out",
            "fw.intoto.json",
        ],
        p,
    );
    sign.current_dir(p);
    ok(&run_guarded(sign));
    let verify = |key: &str| {
        run_guarded(limited_to(
            LIMIT,
            &[
                "verify-artifact",
                "fw.bin",
                "--envelope",
                "fw.intoto.json",
                "--key",
                key,
            ],
            p,
        ))
    };
    let said = ok(&verify("vendor.pub"));
    assert!(said.contains("RIO-2000 9.9.9"), "{said}");
    fails(&verify("other.pub"), 1, &["rejected", "signature"]);
}

#[test]
fn export_streams_blobs_under_a_memory_limit_and_the_bundle_verifies() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path();
    ok(&otproof(&["init", "--origin", "example.org/bounds"], p));
    // A 96 MiB attachment (sparse on disk), added without a limit.
    let big = std::fs::File::create(p.join("image.bin")).expect("create");
    big.set_len(96 << 20).expect("set_len");
    drop(big);
    ok(&otproof(
        &[
            "evidence",
            "add",
            "image.bin",
            "--kind",
            "document",
            "--requirement",
            "SVV-3",
            "--vendor",
            "Acme",
            "--product",
            "RTU-5",
            "--version",
            "2.1",
        ],
        p,
    ));
    // Exported and verified under 80 MiB of address space: neither holds the blob.
    const LIMIT: &str = "83886080";
    ok(&run_guarded(limited_to(
        LIMIT,
        &["export", "--all", "--out", "b.tar"],
        p,
    )));
    assert!(std::fs::metadata(p.join("b.tar")).expect("bundle").len() > 96 << 20);
    let said = ok(&run_guarded(limited_to(LIMIT, &["verify", "b.tar"], p)));
    assert!(said.contains("1 blobs"), "{said}");
    // No temporary file is left beside the bundle.
    let left: Vec<_> = std::fs::read_dir(p)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("otproof-tmp"))
        .collect();
    assert!(left.is_empty());
}
