//! The catalog against the compiled reference in testdata/reference/: counts, every row with
//! the same SL flags, and the applicability rule recomputed independently from the reference.

use otproof_catalog::{Catalog, ComponentType, Fr, Kind, Practice, SlVector, Standard};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn reference_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/reference");
    assert!(
        dir.join("iec62443_3-3_4-2_sl_crosscheck.csv").is_file(),
        "reference data not found at {}",
        dir.display()
    );
    dir
}

type Row = BTreeMap<String, String>;

fn read_csv(name: &str) -> Vec<Row> {
    let path = reference_dir().join(name);
    let mut rdr = csv::Reader::from_path(&path).expect("reference csv opens");
    let headers = rdr.headers().expect("headers").clone();
    rdr.records()
        .map(|r| {
            let r = r.expect("reference row parses");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn crosscheck() -> Vec<Row> {
    read_csv("iec62443_3-3_4-2_sl_crosscheck.csv")
}

fn ref_types(v: &str) -> BTreeSet<ComponentType> {
    match v {
        "all" => ComponentType::ALL.into_iter().collect(),
        "software" => [ComponentType::SoftwareApplication].into(),
        "embedded" => [ComponentType::EmbeddedDevice].into(),
        "host" => [ComponentType::HostDevice].into(),
        "network" => [ComponentType::NetworkDevice].into(),
        _ => BTreeSet::new(),
    }
}

fn ref_fr(v: &str) -> Fr {
    let n: u8 = v
        .split_whitespace()
        .next()
        .and_then(|t| t.strip_prefix("FR"))
        .and_then(|t| t.parse().ok())
        .expect("FR column like 'FR3 SI'");
    Fr::from_number(n).expect("FR 1..7")
}

#[test]
fn counts_match_the_issue_and_the_reference() {
    let c = Catalog::builtin();
    let count = |std: Standard, kind: Kind| c.of_standard(std).filter(|r| r.kind == kind).count();
    assert_eq!(count(Standard::System, Kind::Sr), 51);
    assert_eq!(count(Standard::System, Kind::Re), 49);
    assert_eq!(count(Standard::Component, Kind::Cr), 43);
    let specific = c
        .of_standard(Standard::Component)
        .filter(|r| r.kind.is_component_specific())
        .count();
    assert_eq!(specific, 30);
    assert_eq!(count(Standard::Component, Kind::Re), 49);
    assert_eq!(count(Standard::Component, Kind::Slot), 12);
    assert_eq!(count(Standard::Component, Kind::None), 3);
    assert_eq!(count(Standard::Lifecycle, Kind::Requirement), 47);
    let per_practice: Vec<usize> = Practice::ALL
        .iter()
        .map(|p| c.practice_requirements(*p).len())
        .collect();
    assert_eq!(per_practice, vec![13, 5, 4, 2, 5, 6, 5, 7]);
    assert_eq!(c.requirements().iter().filter(|r| !r.confirmed).count(), 7);
    assert_eq!(c.requirements().len(), crosscheck().len() + 47);
}

#[test]
fn every_reference_row_is_present_with_the_same_flags() {
    let c = Catalog::builtin();
    for row in crosscheck() {
        let id = &row["id"];
        let r = c.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(&r.id, id);
        let want_std = if row["standard"].contains("3-3") {
            Standard::System
        } else {
            Standard::Component
        };
        assert_eq!(r.standard, want_std, "{id}");
        assert_eq!(r.kind.label(), row["kind"], "{id}");
        assert_eq!(r.parent.as_deref().unwrap_or(""), row["parent"], "{id}");
        assert_eq!(r.fr, Some(ref_fr(&row["fr"])), "{id}");
        assert_eq!(r.title, row["title"], "{id}");
        assert_eq!(
            r.min_sl.map(|l| l.to_string()).unwrap_or_default(),
            row["min_sl_c"],
            "{id}"
        );
        let flags: Vec<bool> = ["sl1", "sl2", "sl3", "sl4"]
            .iter()
            .map(|k| row[*k] == "x")
            .collect();
        assert_eq!(r.sl_flags().to_vec(), flags, "{id} SL flags");
        assert_eq!(
            r.component_types.iter().copied().collect::<BTreeSet<_>>(),
            ref_types(&row["component_types"]),
            "{id}"
        );
        assert_eq!(r.confirmed, !row["notes"].contains("DISAGREE"), "{id}");
        assert_eq!(r.disputed_sl.is_some(), !r.confirmed, "{id}");
        assert!(!r.summary.is_empty(), "{id} has no summary");
    }
    for row in read_csv("iec62443-4-1_practices.csv") {
        let id = &row["id"];
        let r = c.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(r.title, row["title"]);
        assert_eq!(r.fr, None);
        let practice = r.practice.expect("4-1 row has a practice");
        assert!(
            row["practice"].starts_with(&format!(
                "Practice {} - {}",
                practice.number(),
                practice.name()
            )),
            "{id}: {} vs {}",
            row["practice"],
            practice.name()
        );
        assert!(!r.summary.is_empty(), "{id} has no summary");
    }
    for row in read_csv("iec62443-4-1_maturity_levels.csv") {
        let ml =
            otproof_catalog::MaturityLevel::new(row["ml"].parse().expect("ml")).expect("ML 1..4");
        assert!(
            row["name"].starts_with(ml.name().split(' ').next().expect("word")),
            "{} vs {}",
            row["name"],
            ml.name()
        );
    }
}

/// The rule, recomputed from the reference rows alone.
fn reference_applicable(ct: ComponentType, sl_t: &SlVector) -> BTreeSet<String> {
    crosscheck()
        .into_iter()
        .filter(|r| r["standard"].contains("4-2") && !r["min_sl_c"].is_empty())
        .filter(|r| ref_types(&r["component_types"]).contains(&ct))
        .filter(|r| {
            let min: u8 = r["min_sl_c"].parse().expect("min sl");
            sl_t.get(ref_fr(&r["fr"])) >= min
        })
        .map(|r| r["id"].clone())
        .collect()
}

fn applicable(ct: ComponentType, sl_t: &SlVector) -> BTreeSet<String> {
    Catalog::builtin()
        .applicable(ct, sl_t)
        .into_iter()
        .map(|r| r.id.clone())
        .collect()
}

#[test]
fn applicability_matches_the_reference_for_every_type_and_uniform_level() {
    for ct in ComponentType::ALL {
        for level in 0..=4 {
            let v = SlVector::uniform(level).expect("level");
            assert_eq!(
                applicable(ct, &v),
                reference_applicable(ct, &v),
                "{ct} at {v}"
            );
        }
    }
    let v: SlVector = "2,2,2,2,2,2,2".parse().expect("vector");
    let embedded = applicable(ComponentType::EmbeddedDevice, &v);
    assert!(embedded.contains("EDR 3.14 RE1") && embedded.contains("CR 7.8"));
    assert!(!embedded
        .iter()
        .any(|id| id.starts_with("NDR") || id.starts_with("SAR")));
    assert!(SlVector::uniform(0)
        .map(|v| applicable(ComponentType::HostDevice, &v).is_empty())
        .unwrap_or(false));
}

#[test]
fn worked_examples_per_component_type() {
    let at = |s: &str| s.parse::<SlVector>().expect("vector");
    let has = |ct, v: &str, id: &str| applicable(ct, &at(v)).contains(id);
    use ComponentType::*;
    // NDR 1.6 only for network devices, from SL 1 in FR 1.
    assert!(has(NetworkDevice, "1 0 0 0 0 0 0", "NDR 1.6"));
    for ct in [SoftwareApplication, EmbeddedDevice, HostDevice] {
        assert!(!has(ct, "4 4 4 4 4 4 4", "NDR 1.6"), "{ct}");
    }
    // CR 2.7 only from SL 3 in FR 2, for every type.
    for ct in ComponentType::ALL {
        assert!(!has(ct, "4 2 4 4 4 4 4", "CR 2.7"));
        assert!(has(ct, "0 3 0 0 0 0 0", "CR 2.7"));
    }
    // CR 1.1 RE2 from SL 3 in FR 1.
    assert!(!has(EmbeddedDevice, "2 4 4 4 4 4 4", "CR 1.1 RE2"));
    assert!(has(EmbeddedDevice, "3 0 0 0 0 0 0", "CR 1.1 RE2"));
    // SAR 2.4 and its RE only for software applications.
    assert!(has(SoftwareApplication, "0 2 0 0 0 0 0", "SAR 2.4 RE1"));
    assert!(!has(HostDevice, "4 4 4 4 4 4 4", "SAR 2.4"));
    // HDR 3.2 RE1 from SL 2 in FR 3, host devices only.
    assert!(has(HostDevice, "0 0 2 0 0 0 0", "HDR 3.2 RE1"));
    assert!(!has(HostDevice, "0 0 1 0 0 0 0", "HDR 3.2 RE1"));
    // Slots and system-only numbers never apply themselves.
    for ct in ComponentType::ALL {
        let all = applicable(ct, &at("4 4 4 4 4 4 4"));
        for id in ["CR 1.6", "CR 2.4", "CR 3.2", "CR 2.3", "CR 5.4", "CR 7.5"] {
            assert!(!all.contains(id), "{id} for {ct}");
        }
    }
    // Unconfirmed rows keep their flag.
    let edr32 = Catalog::builtin().get("EDR 3.2").expect("EDR 3.2");
    assert!(!edr32.confirmed && edr32.disputed_sl == Some(2));
}

#[test]
fn lookups_forgive_notation_and_list_children() {
    let c = Catalog::builtin();
    assert_eq!(c.get("cr 3.5").map(|r| r.id.as_str()), Some("CR 3.5"));
    assert_eq!(
        c.get("CR 1.1 (2)").map(|r| r.id.as_str()),
        Some("CR 1.1 RE2")
    );
    assert_eq!(c.get("svv3").map(|r| r.id.as_str()), Some("SVV-3"));
    assert!(c.get("CR 9.9").is_none());
    assert!(c.suggest("XR 3.5").contains(&"CR 3.5"));
    let slot: Vec<_> = c.children("CR 2.4").iter().map(|r| r.id.clone()).collect();
    assert_eq!(slot, vec!["SAR 2.4", "EDR 2.4", "HDR 2.4", "NDR 2.4"]);
    let res: Vec<_> = c.children("CR 2.1").iter().map(|r| r.id.clone()).collect();
    assert_eq!(res.len(), 4);
}

proptest! {
    #[test]
    fn applicability_matches_the_reference_for_any_vector(
        levels in proptest::array::uniform7(0u8..=4),
        t in 0usize..4,
    ) {
        let v = SlVector::new(levels).expect("levels in range");
        let ct = ComponentType::ALL[t];
        prop_assert_eq!(applicable(ct, &v), reference_applicable(ct, &v));
    }

    #[test]
    fn raising_the_target_never_removes_a_requirement(
        lo in proptest::array::uniform7(0u8..=4),
        bump in proptest::array::uniform7(0u8..=4),
        t in 0usize..4,
    ) {
        let hi: [u8; 7] = std::array::from_fn(|i| lo[i].max(bump[i]));
        let ct = ComponentType::ALL[t];
        let lo_set = applicable(ct, &SlVector::new(lo).expect("lo"));
        let hi_set = applicable(ct, &SlVector::new(hi).expect("hi"));
        prop_assert!(lo_set.is_subset(&hi_set));
    }
}
