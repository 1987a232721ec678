//! resolve() rules on small synthetic documents, and never-panic properties.

use otproof_vex::{parse, Status, Target, VexSet};
use proptest::prelude::*;

fn openvex(products: &str, subcomponents: &str, status: &str) -> VexSet {
    let json = format!(
        r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"doc","author":"a","timestamp":"2024-01-01T00:00:00Z",
        "statements":[{{"vulnerability":{{"name":"CVE-2024-1"}},"products":[{{"@id":"{products}","subcomponents":[{subcomponents}]}}],
        "status":"{status}","justification":"component_not_present"}}]}}"#
    );
    let mut set = VexSet::new();
    set.add(parse(json.as_bytes()).expect("parse"));
    set
}

fn t(purl: &'static str) -> Target<'static> {
    Target {
        purl: Some(purl),
        name: "x",
        ..Target::default()
    }
}

#[test]
fn purl_without_version_matches_all_versions() {
    let set = openvex("pkg:npm/lodash", "", "not_affected");
    for p in [
        "pkg:npm/lodash@4.17.20",
        "pkg:npm/lodash@1.0.0",
        "pkg:npm/lodash",
    ] {
        assert_eq!(
            set.resolve(&["CVE-2024-1"], None, &t(p)).map(|r| r.status),
            Some(Status::NotAffected),
            "{p}"
        );
    }
    assert!(set
        .resolve(&["CVE-2024-1"], None, &t("pkg:npm/lodash-es@4.17.20"))
        .is_none());
    assert!(set
        .resolve(&["CVE-2024-1"], None, &t("pkg:pypi/lodash@4.17.20"))
        .is_none());
    assert!(set
        .resolve(&["CVE-2024-2"], None, &t("pkg:npm/lodash@4.17.20"))
        .is_none());
}

#[test]
fn versioned_purl_and_target_version_fallback() {
    let set = openvex("pkg:npm/lodash@4.17.20", "", "fixed");
    assert!(set
        .resolve(&["CVE-2024-1"], None, &t("pkg:npm/lodash@4.17.21"))
        .is_none());
    let unversioned = Target {
        purl: Some("pkg:npm/lodash"),
        version: Some("4.17.20"),
        name: "lodash",
        ..Target::default()
    };
    assert!(set.resolve(&["CVE-2024-1"], None, &unversioned).is_some());
    // a name is not enough when the statement names a purl
    let by_name = Target {
        name: "lodash",
        version: Some("4.17.20"),
        ..Target::default()
    };
    assert!(set.resolve(&["CVE-2024-1"], None, &by_name).is_none());
}

#[test]
fn qualifiers_subset() {
    let set = openvex("pkg:deb/debian/openssl@3.0.11-1?arch=amd64", "", "fixed");
    assert!(set
        .resolve(
            &["CVE-2024-1"],
            None,
            &t("pkg:deb/debian/openssl@3.0.11-1?distro=bookworm&arch=amd64")
        )
        .is_some());
    assert!(set
        .resolve(
            &["CVE-2024-1"],
            None,
            &t("pkg:deb/debian/openssl@3.0.11-1?arch=arm64")
        )
        .is_none());
    assert!(set
        .resolve(&["CVE-2024-1"], None, &t("pkg:deb/debian/openssl@3.0.11-1"))
        .is_none());
}

#[test]
fn cpe_statements_and_product_level() {
    let set = openvex(
        "cpe:2.3:a:acme:scada_server:*:*:*:*:*:*:*:*",
        "",
        "not_affected",
    );
    let server = Target {
        cpe: Some("cpe:2.3:a:acme:scada_server:7.1:*:*:*:*:*:*:*"),
        name: "SCADA server",
        ..Target::default()
    };
    let lib = t("pkg:generic/zlib@1.2.11");
    // product-wide statement: covers the product itself and components found in it
    assert!(set.resolve(&["CVE-2024-1"], None, &server).is_some());
    assert!(set.resolve(&["CVE-2024-1"], Some(&server), &lib).is_some());
    // but not the component on its own
    assert!(set.resolve(&["CVE-2024-1"], None, &lib).is_none());
    let other = Target {
        cpe: Some("cpe:2.3:a:acme:historian:7.1:*:*:*:*:*:*:*"),
        name: "historian",
        ..Target::default()
    };
    assert!(set.resolve(&["CVE-2024-1"], Some(&other), &lib).is_none());
}

#[test]
fn subcomponent_with_product() {
    let set = openvex(
        "pkg:oci/plc-runtime@sha256:abcd",
        r#"{"@id":"pkg:generic/zlib@1.2.11"}"#,
        "not_affected",
    );
    let image = t("pkg:oci/plc-runtime@sha256:abcd");
    let zlib = t("pkg:generic/zlib@1.2.11");
    assert!(set.resolve(&["CVE-2024-1"], Some(&image), &zlib).is_some());
    assert!(set.resolve(&["CVE-2024-1"], None, &zlib).is_some());
    let other = t("pkg:oci/plc-runtime@sha256:ffff");
    assert!(set.resolve(&["CVE-2024-1"], Some(&other), &zlib).is_none());
    assert!(set
        .resolve(&["CVE-2024-1"], Some(&image), &t("pkg:generic/zlib@1.3"))
        .is_none());
}

#[test]
fn undated_statements_compete() {
    let doc = |id: &str, status: &str| {
        format!(
            r#"{{"@context":"https://openvex.dev/ns","@id":"{id}","statements":[
            {{"vulnerability":"CVE-2024-1","products":["pkg:npm/a@1"],"status":"{status}","justification":"component_not_present","action_statement":"x"}}]}}"#
        )
    };
    let mut set = VexSet::new();
    set.add(parse(doc("one", "not_affected").as_bytes()).expect("one"));
    set.add(parse(doc("two", "fixed").as_bytes()).expect("two"));
    let r = set
        .resolve(&["CVE-2024-1"], None, &t("pkg:npm/a@1"))
        .expect("applies");
    assert_eq!(r.status, Status::Fixed);
    assert_eq!(r.conflicting.len(), 1);
    let c = set.conflicts();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].winner, None);
    assert_eq!(c[0].vulnerability, "CVE-2024-1");
}

#[test]
fn serializes() {
    let set = openvex("pkg:npm/lodash", "", "not_affected");
    let r = set
        .resolve(&["CVE-2024-1"], None, &t("pkg:npm/lodash@1"))
        .expect("applies");
    let json = serde_json::to_value(&r).expect("serialize");
    assert_eq!(json["status"], "not_affected");
    assert_eq!(json["statement"]["products"][0]["type"], "purl");
    assert_eq!(
        serde_json::to_value(otproof_vex::Format::OpenVexLegacy).expect("f"),
        "openvex_legacy"
    );
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        prop_oneof![
            Just("CVE-2024-1".to_string()),
            Just("not_affected".to_string()),
            Just("exploitable".to_string()),
            Just("pkg:npm/a@1".to_string()),
            Just("urn:cdx:x/1#a".to_string()),
            Just("vers:generic/>=1|<2".to_string()),
            Just("CycloneDX".to_string()),
            Just("https://openvex.dev/ns/v0.2.0".to_string()),
            ".{0,12}",
        ]
        .prop_map(serde_json::Value::from),
    ];
    let keys = prop_oneof![
        Just("@context"),
        Just("@id"),
        Just("statements"),
        Just("vulnerability"),
        Just("name"),
        Just("products"),
        Just("subcomponents"),
        Just("status"),
        Just("justification"),
        Just("bomFormat"),
        Just("vulnerabilities"),
        Just("id"),
        Just("analysis"),
        Just("state"),
        Just("affects"),
        Just("ref"),
        Just("versions"),
        Just("range"),
        Just("version"),
        Just("document"),
        Just("category"),
        Just("product_tree"),
        Just("branches"),
        Just("product"),
        Just("product_id"),
        Just("product_status"),
        Just("known_not_affected"),
        Just("relationships"),
        Just("flags"),
        Just("product_ids"),
        Just("timestamp"),
        Just("references"),
        Just("aliases"),
        Just("identifiers"),
        Just("purl"),
        Just("cpe"),
    ]
    .prop_map(str::to_string);
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            prop::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn multibyte_identifiers_do_not_panic() {
    for id in [
        "p€",
        "pk€x",
        "€€€€",
        "cp\u{e9}:",
        "pkg:\u{e9}/\u{e9}",
        "cpe:2.3:\u{e9}",
        "urn:cdx:\u{e9}/1#\u{e9}",
    ] {
        let json = format!(
            r#"{{"@context":"https://openvex.dev/ns","statements":[{{"vulnerability":"{id}","products":["{id}"],"status":"fixed","subcomponents":["{id}"]}}]}}"#
        );
        let _ = parse(json.as_bytes());
        let cdx = format!(
            r#"{{"bomFormat":"CycloneDX","vulnerabilities":[{{"id":"{id}","analysis":{{"state":"in_triage"}},"affects":[{{"ref":"{id}","versions":[{{"range":"vers:{id}/{id}"}}]}}]}}]}}"#
        );
        let _ = parse(cdx.as_bytes());
        let t = Target {
            purl: Some(id),
            cpe: Some(id),
            bom_ref: Some(id),
            name: id,
            version: Some(id),
        };
        let mut set = VexSet::new();
        if let Ok(d) = parse(json.as_bytes()) {
            set.add(d);
        }
        let _ = set.resolve(&[id], Some(&t), &t);
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn arbitrary_xml_never_panics(s in "<bom( serialNumber=\"[a-z:]{0,8}\")?>(<[a-z]{1,3}>|</[a-z]{1,3}>|[a-z&;#0-9<>]{0,4}){0,30}(</bom>)?") {
        let _ = parse(s.as_bytes());
    }

    #[test]
    fn arbitrary_json_shapes_never_panic(v in json_value(), kind in 0u8..4) {
        let mut v = v;
        if let Some(o) = v.as_object_mut() {
            match kind {
                0 => { o.insert("bomFormat".into(), "CycloneDX".into()); }
                1 => { o.insert("@context".into(), "https://openvex.dev/ns/v0.2.0".into()); }
                2 => { o.insert("@context".into(), "https://openvex.dev/ns".into()); }
                _ => { o.entry("document").or_insert(serde_json::json!({"category": "csaf_vex"})); }
            }
        }
        let bytes = serde_json::to_vec(&v).expect("serialize");
        if let Ok(doc) = parse(&bytes) {
            let mut set = VexSet::new();
            set.add(doc);
            let target = Target { purl: Some("pkg:npm/a@1"), cpe: Some("cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"), bom_ref: Some("a"), name: "a", version: Some("1") };
            let _ = set.resolve(&["CVE-2024-1"], Some(&target), &target);
            let _ = set.conflicts();
        }
    }

    #[test]
    fn version_comparison_is_antisymmetric(a in "[0-9a-z.\\-+]{0,12}", b in "[0-9a-z.\\-+]{0,12}") {
        let ab = otproof_vex::compare_versions(&a, &b);
        let ba = otproof_vex::compare_versions(&b, &a);
        prop_assert_eq!(ab, ba.reverse());
    }
}
