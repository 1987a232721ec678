//! Property tests: `compare` is reflexive and antisymmetric on generated versions, and never
//! panics on arbitrary strings, for every ecosystem.

use otproof_vulndb::version::{compare, compare_generic, Ecosystem};
use otproof_vulndb::{cpe::Cpe, osv};
use proptest::prelude::*;

fn ecosystems() -> Vec<Ecosystem> {
    vec![
        Ecosystem::SemVer,
        Ecosystem::PyPI,
        Ecosystem::Npm,
        Ecosystem::Maven,
        Ecosystem::Debian,
        Ecosystem::Rpm,
        Ecosystem::Alpine,
        Ecosystem::NuGet,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::Go,
        Ecosystem::CratesIo,
        Ecosystem::Cran,
        Ecosystem::Hex,
        Ecosystem::Pub,
        Ecosystem::Other("x".into()),
    ]
}

/// Version-shaped strings: numbers, separators, common qualifiers, epochs, revisions.
fn version() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        "[0-9]{1,3}",
        Just("0".to_string()),
        "(alpha|beta|rc|pre|dev|post|a|b|c|p|r|SNAPSHOT|final|ga|sp|git|svn|el8|deb9u1)[0-9]{0,2}",
    ];
    let sep = prop_oneof![
        Just("."),
        Just("-"),
        Just("_"),
        Just("~"),
        Just("+"),
        Just(":"),
        Just("^"),
        Just("!"),
        Just("")
    ];
    (
        prop::option::of(Just("v")),
        part.clone(),
        prop::collection::vec((sep, part), 0..6),
    )
        .prop_map(|(v, first, rest)| {
            let mut s = v.unwrap_or("").to_string();
            s.push_str(&first);
            for (sep, p) in rest {
                s.push_str(sep);
                s.push_str(&p);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reflexive_and_antisymmetric(a in version(), b in version()) {
        for eco in ecosystems() {
            prop_assert_eq!(compare(&eco, &a, &a), std::cmp::Ordering::Equal, "{:?} {}", eco, a);
            prop_assert_eq!(compare(&eco, &a, &b), compare(&eco, &b, &a).reverse(), "{:?} {} {}", eco, a, b);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_strings(a in any::<String>(), b in any::<String>()) {
        for eco in ecosystems() {
            let x = compare(&eco, &a, &b);
            prop_assert_eq!(x, compare(&eco, &b, &a).reverse());
        }
        let _ = compare_generic(&a, &b);
        let _ = Cpe::parse(&a);
        let _ = osv::parse(a.as_bytes());
    }

    #[test]
    fn transitive_for_well_formed_orders(a in version(), b in version(), c in version()) {
        use std::cmp::Ordering::*;
        // Maven is left out: with versions that start with a letter (`v0`), padding and the
        // `.qualifier < -qualifier` rule the vectors require can disagree (not transitive).
        for eco in [Ecosystem::SemVer, Ecosystem::PyPI, Ecosystem::Debian,
                    Ecosystem::Rpm, Ecosystem::NuGet, Ecosystem::Other("x".into())] {
            let (ab, bc, ac) = (compare(&eco, &a, &b), compare(&eco, &b, &c), compare(&eco, &a, &c));
            if ab != Greater && bc != Greater {
                prop_assert!(ac != Greater, "{:?}: {} <= {} <= {} but {:?}", eco, a, b, c, ac);
            }
        }
    }
}

#[test]
fn long_hostile_inputs_do_not_blow_up() {
    let long = "1-".repeat(50_000) + "a";
    let other = "1.".repeat(50_000);
    for eco in ecosystems() {
        let _ = compare(&eco, &long, &other);
    }
}
