//! Version comparison: never panics; reflexive and antisymmetric in every ecosystem.
//! Input: two strings separated by the first NUL byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_vulndb::version::{compare, Ecosystem};
use std::cmp::Ordering;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    for eco in [
        Ecosystem::SemVer,
        Ecosystem::PyPI,
        Ecosystem::Maven,
        Ecosystem::Debian,
        Ecosystem::Rpm,
        Ecosystem::Alpine,
        Ecosystem::NuGet,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::Cran,
        Ecosystem::Other(String::new()),
    ] {
        assert_eq!(compare(&eco, a, a), Ordering::Equal);
        assert_eq!(compare(&eco, a, b), compare(&eco, b, a).reverse());
    }
});
