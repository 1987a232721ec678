//! Version ordering per ecosystem.
//!
//! [`compare`] is a total order for every ecosystem and never panics: a string that is not a
//! valid version in its ecosystem still gets a place in the order (each comparator documents
//! where). Numbers of any length are compared exactly (as digit strings, not machine integers).

use serde::Serialize;
use std::cmp::Ordering;

mod alpine;
mod debian;
mod maven;
mod misc;
mod pep440;
mod rpm;
mod semver;

/// A version-ordering family. Several OSV ecosystems share one ordering (Ubuntu uses
/// [`Ecosystem::Debian`], Rocky Linux uses [`Ecosystem::Rpm`], Wolfi uses
/// [`Ecosystem::Alpine`] ...); [`Ecosystem::from_osv`] maps them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Ecosystem {
    /// Semantic Versioning 2.0 (lenient: optional `v`, missing minor/patch are 0).
    SemVer,
    /// PEP 440, with the legacy (pre-PEP 440) ordering for strings it rejects.
    PyPI,
    /// npm: SemVer.
    Npm,
    /// Maven ComparableVersion ordering.
    Maven,
    /// dpkg ordering (Debian, Ubuntu).
    Debian,
    /// rpmvercmp with epoch and release (Red Hat, Rocky, AlmaLinux, SUSE, openSUSE ...).
    Rpm,
    /// apk-tools ordering (Alpine, Wolfi, Chainguard).
    Alpine,
    /// NuGet: SemVer with up to four numeric parts, case-insensitive pre-release.
    NuGet,
    /// Gem::Version ordering.
    RubyGems,
    /// Composer / PHP `version_compare` ordering.
    Packagist,
    /// Go modules: SemVer with a `v` prefix.
    Go,
    /// crates.io: SemVer.
    CratesIo,
    /// CRAN: numeric parts separated by `.` or `-`.
    Cran,
    /// Hex: SemVer.
    Hex,
    /// Pub: SemVer.
    Pub,
    /// Anything else: the generic order of [`compare_generic`]. Holds the OSV base name.
    Other(String),
}

impl Ecosystem {
    /// Map an OSV `package.ecosystem` string. A `:suffix` (release, e.g. `Debian:11`,
    /// `Alpine:v3.16`) is ignored. Unknown names become [`Ecosystem::Other`] holding the base
    /// name.
    pub fn from_osv(name: &str) -> Ecosystem {
        let base = osv_base(name);
        match base {
            "PyPI" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "Maven" => Ecosystem::Maven,
            "Debian" | "Ubuntu" => Ecosystem::Debian,
            "Red Hat" | "AlmaLinux" | "Rocky Linux" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" | "Photon OS" | "Azure Linux" => Ecosystem::Rpm,
            "Alpine" | "Wolfi" | "Chainguard" | "MinimOS" | "Alpaquita" => Ecosystem::Alpine,
            "NuGet" => Ecosystem::NuGet,
            "RubyGems" => Ecosystem::RubyGems,
            "Packagist" => Ecosystem::Packagist,
            "Go" => Ecosystem::Go,
            "crates.io" => Ecosystem::CratesIo,
            "CRAN" | "Bioconductor" => Ecosystem::Cran,
            "Hex" => Ecosystem::Hex,
            "Pub" => Ecosystem::Pub,
            "Bitnami" | "SwiftURL" => Ecosystem::SemVer,
            other => Ecosystem::Other(other.to_string()),
        }
    }

    /// Map a package-URL type (`pypi`, `npm`, `maven`, `deb`, `rpm`, `apk`, `nuget`, `gem`,
    /// `composer`, `golang`, `cargo`, `cran`, `hex`, `pub`). Case-insensitive.
    pub fn from_purl_type(ty: &str) -> Ecosystem {
        match ty.to_ascii_lowercase().as_str() {
            "pypi" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "maven" => Ecosystem::Maven,
            "deb" => Ecosystem::Debian,
            "rpm" => Ecosystem::Rpm,
            "apk" => Ecosystem::Alpine,
            "nuget" => Ecosystem::NuGet,
            "gem" => Ecosystem::RubyGems,
            "composer" => Ecosystem::Packagist,
            "golang" => Ecosystem::Go,
            "cargo" => Ecosystem::CratesIo,
            "cran" => Ecosystem::Cran,
            "hex" => Ecosystem::Hex,
            "pub" => Ecosystem::Pub,
            "swift" => Ecosystem::SemVer,
            other => Ecosystem::Other(other.to_string()),
        }
    }
}

/// The OSV ecosystem without its `:suffix` (`Debian:11` -> `Debian`).
pub fn osv_base(name: &str) -> &str {
    name.split(':').next().unwrap_or(name).trim()
}

/// Compare two versions in an ecosystem's order. Total and panic-free for any input.
pub fn compare(eco: &Ecosystem, a: &str, b: &str) -> Ordering {
    match eco {
        Ecosystem::SemVer
        | Ecosystem::Npm
        | Ecosystem::Go
        | Ecosystem::CratesIo
        | Ecosystem::Hex
        | Ecosystem::Pub => semver::compare(a, b),
        Ecosystem::NuGet => semver::compare_nuget(a, b),
        Ecosystem::PyPI => pep440::compare(a, b),
        Ecosystem::Maven => maven::compare(a, b),
        Ecosystem::Debian => debian::compare(a, b),
        Ecosystem::Rpm => rpm::compare(a, b),
        Ecosystem::Alpine => alpine::compare(a, b),
        Ecosystem::RubyGems => misc::compare_rubygems(a, b),
        Ecosystem::Packagist => misc::compare_packagist(a, b),
        Ecosystem::Cran => misc::compare_cran(a, b),
        Ecosystem::Other(_) => compare_generic(a, b),
    }
}

/// A generic order for versions of unknown scheme (also used for CPE versions): runs of
/// digits compare numerically, runs of letters case-insensitively, other characters separate.
/// When one version runs out, a following letter run sorts it lower (`1.0rc1 < 1.0`) and a
/// following number run sorts it higher (`1.0 < 1.0.1`).
pub fn compare_generic(a: &str, b: &str) -> Ordering {
    let ta = misc::generic_tokens(a);
    let tb = misc::generic_tokens(b);
    misc::cmp_generic_tokens(&ta, &tb)
}

/// Compare two strings of ASCII digits by numeric value (leading zeros ignored).
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Split off the leading run of bytes satisfying `pred`.
pub(crate) fn take_while(s: &str, pred: impl Fn(u8) -> bool) -> (&str, &str) {
    let n = s.bytes().take_while(|b| pred(*b)).count();
    s.split_at(n)
}
