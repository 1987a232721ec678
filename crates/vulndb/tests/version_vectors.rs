//! Every line of the OSV version-ordering vectors in testdata/osv-versions/.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

use otproof_vulndb::version::{compare, Ecosystem};
use std::cmp::Ordering;
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Check every comparison in a file; report all failures with line numbers. Returns the
/// number of comparisons checked.
fn check(file: &str, eco: Ecosystem) -> usize {
    let path = testdata().join("osv-versions").join(file);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut failures = Vec::new();
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [a, op, b] = parts[..] else {
            failures.push(format!("{file}:{}: malformed line {line:?}", n + 1));
            continue;
        };
        let want = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => {
                failures.push(format!("{file}:{}: unknown operator {op:?}", n + 1));
                continue;
            }
        };
        checked += 1;
        let got = compare(&eco, a, b);
        let back = compare(&eco, b, a);
        if got != want || back != want.reverse() {
            failures.push(format!(
                "{file}:{}: {a} {op} {b}: got {got:?}, reverse {back:?}",
                n + 1
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} comparisons failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 0, "{file}: no comparisons found");
    eprintln!("{file}: {checked} comparisons passed");
    checked
}

#[test]
fn alpine() {
    check("alpine-versions.txt", Ecosystem::Alpine);
}
#[test]
fn cran() {
    check("cran-versions.txt", Ecosystem::Cran);
}
#[test]
fn cran_generated() {
    check("cran-versions-generated.txt", Ecosystem::Cran);
}
#[test]
fn debian() {
    check("debian-versions.txt", Ecosystem::Debian);
}
#[test]
fn debian_generated() {
    check("debian-versions-generated.txt", Ecosystem::Debian);
}
#[test]
fn maven() {
    check("maven-versions.txt", Ecosystem::Maven);
}
#[test]
fn maven_generated() {
    check("maven-versions-generated.txt", Ecosystem::Maven);
}
#[test]
fn nuget() {
    check("nuget-versions.txt", Ecosystem::NuGet);
}
#[test]
fn packagist() {
    check("packagist-versions.txt", Ecosystem::Packagist);
}
#[test]
fn pypi() {
    check("pypi-versions.txt", Ecosystem::PyPI);
}
#[test]
fn pypi_generated() {
    check("pypi-versions-generated.txt", Ecosystem::PyPI);
}
#[test]
fn redhat() {
    check("redhat-versions.txt", Ecosystem::Rpm);
}
#[test]
fn rubygems() {
    check("rubygems-versions.txt", Ecosystem::RubyGems);
}
#[test]
fn semver() {
    check("semver-versions.txt", Ecosystem::SemVer);
}
#[test]
fn go_is_semver_with_v() {
    assert_eq!(compare(&Ecosystem::Go, "v1.2.3", "1.2.3"), Ordering::Equal);
    assert_eq!(
        compare(&Ecosystem::Go, "v1.22.0-0", "v1.22.0"),
        Ordering::Less
    );
    assert_eq!(compare(&Ecosystem::Npm, "2.1.1-0", "2.1.1"), Ordering::Less);
}

/// Every file in the folder is covered by a test above.
#[test]
fn all_files_covered() {
    let mut names: Vec<String> = std::fs::read_dir(testdata().join("osv-versions"))
        .expect("osv-versions dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let known = [
        "alpine-versions.txt",
        "cran-versions-generated.txt",
        "cran-versions.txt",
        "debian-versions-generated.txt",
        "debian-versions.txt",
        "maven-versions-generated.txt",
        "maven-versions.txt",
        "nuget-versions.txt",
        "packagist-versions.txt",
        "pypi-versions-generated.txt",
        "pypi-versions.txt",
        "redhat-versions.txt",
        "rubygems-versions.txt",
        "semver-versions.txt",
    ];
    assert_eq!(names, known);
}
