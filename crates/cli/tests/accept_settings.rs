//! `otproof accept` resolves its vulnerability database like every other command: `--db`,
//! else `OTPROOF_VULNDB`, else `vulndb.sqlite` in the store.

mod common;

use common::{fails, ok, otproof};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn with_vulndb(args: &[&str], cwd: &Path, vulndb: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otproof"))
        .args(args)
        .current_dir(cwd)
        .env_remove("OTPROOF_STORE")
        .env("OTPROOF_VULNDB", vulndb)
        .output()
        .expect("otproof runs")
}

#[test]
fn accept_honours_otproof_vulndb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(&["init"], d));
    let elsewhere = d.join("elsewhere.sqlite");
    ok(&otproof(
        &[
            "vulndb",
            "import",
            &repo("testdata/rio-2000/vulndb").display().to_string(),
            "--db",
            &elsewhere.display().to_string(),
        ],
        d,
    ));
    let pkg = d.join("pkg");
    std::fs::create_dir_all(&pkg).expect("mkdir");
    for f in ["rio-2000-4.3.0.cdx.json", "rio-2000.openvex.json"] {
        std::fs::copy(repo(&format!("testdata/rio-2000/{f}")), pkg.join(f)).expect("copy");
    }
    std::fs::write(
        pkg.join("package.yaml"),
        "product: RIO-2000\nvendor: Example Automation\nversion: 4.3.0\ncomponent_type: embedded-device\nsbom: rio-2000-4.3.0.cdx.json\nvex: [rio-2000.openvex.json]\n",
    )
    .expect("write");
    let args = ["accept", "pkg", "--today", "2026-11-26"];

    // No database given and none in the store: the store's path is named.
    let out = otproof(&args, d);
    fails(&out, 2, &["no vulnerability database at", "vulndb.sqlite"]);

    // OTPROOF_VULNDB names one: the SBOM check runs with it and the package is decided
    // (rejected: no signed release, no campaign, no documents).
    let out = with_vulndb(&args, d, &elsewhere);
    fails(&out, 1, &["decision: reject", "package rejected"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("SBOM-1"), "{said}");

    // OTPROOF_VULNDB naming a missing file: that file is named, nothing is decided.
    let missing = d.join("missing.sqlite");
    let out = with_vulndb(&args, d, &missing);
    fails(&out, 2, &["no vulnerability database at", "missing.sqlite"]);

    // --db wins over OTPROOF_VULNDB.
    let db_flag = elsewhere.display().to_string();
    let mut with_flag = args.to_vec();
    with_flag.extend(["--db", db_flag.as_str()]);
    let out = with_vulndb(&with_flag, d, &missing);
    fails(&out, 1, &["decision: reject"]);
}
