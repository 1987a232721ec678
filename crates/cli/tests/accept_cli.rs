//! `otproof accept` against a supplier with a motive (issue 14), end to end on the real
//! binary: paths leaving the package, private keys, empty documents, an implausible
//! certificate, a bad `--today`, `--dry-run` and re-runs. Bad input exits 2 and records
//! nothing; a deficient package is rejected (exit 1) with the reason.

mod common;

use common::{fails, ok, otproof, text};
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
        .display()
        .to_string()
}

/// A store with the sample vulnerability data, and the sample package (without its signed
/// release and campaign, which it does not need here) in `pkg/`.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(&["init"], d));
    ok(&otproof(
        &["vulndb", "import", &repo("testdata/rio-2000/vulndb")],
        d,
    ));
    let pkg = d.join("pkg");
    std::fs::create_dir_all(&pkg).expect("mkdir");
    for f in [
        "certificate-iecee-62443-4-1.md",
        "support-statement.md",
        "hardening-guide.md",
        "patch-policy.md",
        "rio-2000-4.3.0.cdx.json",
        "rio-2000.openvex.json",
    ] {
        std::fs::copy(repo(&format!("testdata/rio-2000/package/{f}")), pkg.join(f)).expect("copy");
    }
    write_manifest(&pkg, &[]);
    (dir, pkg)
}

/// The sample manifest without the signed release and campaign, with replacements.
fn write_manifest(pkg: &Path, replace: &[(&str, &str)]) {
    let sample =
        std::fs::read_to_string(repo("testdata/rio-2000/package/package.yaml")).expect("sample");
    let mut m: String = sample
        .lines()
        .filter(|l| {
            ![
                "firmware:",
                "envelope:",
                "vendor_key:",
                "robustness:",
                "  - robustness/",
            ]
            .iter()
            .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    for (from, to) in replace {
        assert!(m.contains(from), "{from}");
        m = m.replace(from, to);
    }
    std::fs::write(pkg.join("package.yaml"), m).expect("write");
}

fn records(d: &Path) -> usize {
    let out = otproof(&["evidence", "list", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v.as_array().map(Vec::len).expect("a list")
}

const TODAY: [&str; 2] = ["--today", "2026-11-26"];

fn accept(d: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["accept", "pkg"];
    args.extend(TODAY);
    args.extend(extra);
    otproof(&args, d)
}

#[test]
fn a_private_key_named_by_the_manifest_is_refused_and_never_recorded() {
    let (dir, pkg) = setup();
    let d = dir.path();
    ok(&otproof(
        &["key", "gen", "--name", "signer", "--alg", "p256"],
        d,
    ));
    let key = d.join("signer.key");
    let abs = key.display().to_string();
    for (to, says) in [(abs.as_str(), "absolute path"), ("../signer.key", "'..'")] {
        write_manifest(
            &pkg,
            &[(
                "patch_policy: patch-policy.md",
                &format!("patch_policy: '{to}'"),
            )],
        );
        let out = accept(d, &[]);
        fails(&out, 2, &["patch_policy", to, says]);
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&key, pkg.join("policy.md")).expect("symlink");
        write_manifest(
            &pkg,
            &[("patch_policy: patch-policy.md", "patch_policy: policy.md")],
        );
        fails(
            &accept(d, &[]),
            2,
            &["patch_policy", "outside the package folder"],
        );
    }
    std::fs::copy(&key, pkg.join("inside.key")).expect("copy");
    write_manifest(
        &pkg,
        &[("patch_policy: patch-policy.md", "patch_policy: inside.key")],
    );
    fails(&accept(d, &[]), 2, &["patch_policy", "private key"]);
    assert_eq!(records(d), 0, "nothing recorded");
}

#[test]
fn empty_documents_and_an_implausible_certificate_reject() {
    let (dir, pkg) = setup();
    let d = dir.path();
    for f in [
        "certificate-iecee-62443-4-1.md",
        "support-statement.md",
        "hardening-guide.md",
        "patch-policy.md",
    ] {
        std::fs::write(pkg.join(f), b"").expect("empty");
    }
    write_manifest(
        &pkg,
        &[
            ("scheme: IECEE", "scheme: ISASecure"),
            ("number: DEMO-IECEE-4-1-0042", "number: '0'"),
            ("expires: 2027-08-31", "expires: 2099-12-31"),
        ],
    );
    let out = accept(d, &["--format", "json"]);
    fails(&out, 1, &["package rejected"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let criteria = v["decision"]["criteria"].as_array().expect("criteria");
    let get = |id: &str| {
        criteria
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    for id in ["PATCH-5", "DOC-1", "PATCH-DOC"] {
        let c = get(id);
        assert_eq!(c["result"], "fail", "{id}");
        assert!(
            c["description"]
                .as_str()
                .is_some_and(|s| s.contains("empty (0 bytes)")),
            "{c}"
        );
    }
    let cert = get("CERT-1");
    assert_eq!(
        cert["result"], "not-applicable",
        "optional, not met: not a fail"
    );
    let desc = cert["description"].as_str().unwrap_or_default();
    assert!(
        desc.contains("optional, not met")
            && desc.contains("number '0'")
            && desc.contains("more than 10 years"),
        "{desc}"
    );
    let summary = &v["decision"]["payload"]["summary"];
    assert_eq!(summary["optional_not_met"], 1, "{summary}");
    // The Markdown report shows it as optional.
    let out = accept(d, &["--dry-run"]);
    let said = text(&out.stdout);
    assert!(said.contains("optional, not met"), "{said}");
    assert!(
        said.contains("1 optional not met (not counted as failed)"),
        "{said}"
    );
}

#[test]
fn an_absent_optional_certificate_is_not_a_fail() {
    let (dir, pkg) = setup();
    let d = dir.path();
    write_manifest(
        &pkg,
        &[(
            "certificates:\n  - file: certificate-iecee-62443-4-1.md\n",
            "nothing:\n  - file: certificate-iecee-62443-4-1.md\n",
        )],
    );
    // Drop the certificate block entirely.
    let m = std::fs::read_to_string(pkg.join("package.yaml")).expect("read");
    let kept: String = m
        .split_inclusive('\n')
        .filter(|l| {
            !(l.starts_with("nothing:")
                || l.starts_with("  - file: certificate")
                || l.starts_with("    scheme:")
                || l.starts_with("    issuer:")
                || l.starts_with("    issued:")
                || l.starts_with("    scope:")
                || l.starts_with("    number:")
                || l.starts_with("    expires:"))
        })
        .collect();
    std::fs::write(pkg.join("package.yaml"), kept).expect("write");
    let out = accept(d, &["--format", "json", "--dry-run"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let cert = v["decision"]["criteria"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "CERT-1"))
        .expect("CERT-1")
        .clone();
    assert_eq!(cert["result"], "not-applicable");
    let s = &v["decision"]["payload"]["summary"];
    // No signed release and no campaign: UPD-1 and ROB-1 fail; CERT-1 is not among them.
    assert_eq!(s["fail"], 2, "{s}");
    assert_eq!(s["optional_not_met"], 1, "{s}");
}

#[test]
fn a_bad_today_is_refused_and_nothing_is_recorded() {
    let (dir, _pkg) = setup();
    let d = dir.path();
    for bad in ["2026-13-45", "tomorrow", ""] {
        let out = otproof(&["accept", "pkg", "--today", bad], d);
        fails(&out, 2, &["--today", "not a date"]);
    }
    assert_eq!(records(d), 0);
}

#[test]
fn a_dry_run_records_nothing_and_a_re_run_gives_the_same_decision() {
    let (dir, pkg) = setup();
    let d = dir.path();
    // Accept with exceptions for what this package lacks (no signed release, no campaign).
    std::fs::write(
        pkg.join("criteria.yaml"),
        "exceptions:\n  - criterion: UPD-1\n    justification: firmware delivered on site\n    owner: OT lead\n  - criterion: ROB-1\n    justification: campaign scheduled\n    owner: OT lead\n",
    )
    .expect("w");
    let crit = ["--criteria", "pkg/criteria.yaml"];
    let out = accept(d, &[&crit[..], &["--dry-run"]].concat());
    let said = ok(&out);
    assert!(said.contains("dry run: nothing recorded"), "{said}");
    assert_eq!(records(d), 0, "a dry run records nothing");
    // A dry run needs no store when the database is given.
    let bare = tempfile::tempdir().expect("tempdir");
    let db = d.join(".otproof/vulndb.sqlite").display().to_string();
    let pkg_s = pkg.display().to_string();
    let crit_s = pkg.join("criteria.yaml").display().to_string();
    ok(&otproof(
        &[
            "accept",
            &pkg_s,
            "--criteria",
            &crit_s,
            "--db",
            &db,
            "--dry-run",
            "--today",
            "2026-11-26",
        ],
        bare.path(),
    ));
    // Recorded, then re-run: the same decision, exit 0, nothing appended.
    let first = ok(&accept(d, &crit));
    let n = records(d);
    assert!(n > 1, "{first}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = ok(&accept(d, &crit));
    assert_eq!(records(d), n, "nothing appended on a re-run");
    let id = |s: &str| {
        s.lines()
            .find_map(|l| {
                l.split("recorded as ")
                    .nth(1)
                    .map(|r| r.split(' ').next().unwrap_or("").to_string())
            })
            .unwrap_or_default()
    };
    assert!(!id(&first).is_empty());
    assert_eq!(id(&first), id(&second));
    // --dry-run and --bundle do not go together.
    let out = accept(d, &["--dry-run", "--bundle", "b.tar"]);
    assert_eq!(out.status.code(), Some(2));
}
