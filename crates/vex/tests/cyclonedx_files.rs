//! CycloneDX VEX test files from the repository's testdata/.

use otproof_vex::{
    bom_link, parse, Format, ProductId, Status, Target, VersionConstraint, VexDocument, VexError,
    VexSet,
};
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(testdata().join("cyclonedx/vex").join(rel)).expect("read test file")
}

fn load(rel: &str) -> VexDocument {
    parse(&read(rel)).expect("parse test file")
}

/// (serial, version, metadata.component bom-ref) of a BOM file.
fn bom_identity(rel: &str) -> (String, u64, String) {
    let v: serde_json::Value = serde_json::from_slice(&read(rel)).expect("bom json");
    (
        v["serialNumber"].as_str().expect("serial").to_string(),
        v["version"].as_u64().expect("version"),
        v["metadata"]["component"]["bom-ref"]
            .as_str()
            .expect("bom-ref")
            .to_string(),
    )
}

#[test]
fn cisa_case1_four_statuses() {
    let cases = [
        ("affected", Status::Affected, "product-DEF", None),
        ("fixed", Status::Fixed, "product-DEF", None),
        (
            "not_affected",
            Status::NotAffected,
            "product-ABC",
            Some("code_not_present"),
        ),
        (
            "under_investigation",
            Status::UnderInvestigation,
            "product-GHI",
            None,
        ),
    ];
    for (name, status, bom_ref, justification) in cases {
        let doc = load(&format!("cisa-case1-vex-{name}.json"));
        assert_eq!(doc.format, Format::CycloneDx);
        assert_eq!(doc.timestamp.as_deref(), Some("2022-03-03T00:00:00Z"));
        assert!(doc.problems.is_empty(), "{name}: {:?}", doc.problems);
        assert_eq!(doc.statements.len(), 1, "{name}");
        let st = &doc.statements[0];
        assert_eq!(st.vulnerability, "CVE-2021-44228");
        assert_eq!(st.status, status, "{name}");
        assert_eq!(st.products, vec![ProductId::BomRef(bom_ref.into())]);
        assert_eq!(st.justification.as_deref(), justification);
        assert_eq!(st.timestamp.as_deref(), Some("2022-03-03T00:00:00Z"));
        assert!(st.source.starts_with("cyclonedx:fnv64:"), "{}", st.source);
        assert!(st.source.ends_with("#vulnerabilities[0]"));
        let mut set = VexSet::new();
        set.add(doc);
        let product = Target {
            bom_ref: Some(bom_ref),
            name: "product",
            ..Target::default()
        };
        assert_eq!(
            set.resolve(&["CVE-2021-44228"], None, &product)
                .expect("applies")
                .status,
            status
        );
        let log4j = Target {
            purl: Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            bom_ref: Some("log4j-core"),
            name: "log4j-core",
            ..Target::default()
        };
        // found in a component of the product: the product-level statement applies
        assert!(set
            .resolve(&["CVE-2021-44228"], Some(&product), &log4j)
            .is_some());
        // same CVE, component outside the product: never by CVE alone
        assert!(set.resolve(&["CVE-2021-44228"], None, &log4j).is_none());
        assert!(set.resolve(&["CVE-2021-45046"], None, &product).is_none());
    }
    let texts = load("cisa-case1-vex-not_affected.json");
    let st = &texts.statements[0];
    assert_eq!(st.impact_statement.as_deref(), Some("This version of Product ABC is not affected by the vulnerability. Class with vulnerable code was removed before shipping."));
    assert_eq!(
        st.action_statement.as_deref(),
        Some("response: will_not_fix")
    );
    let texts = load("cisa-case1-vex-affected.json");
    assert!(texts.statements[0]
        .action_statement
        .as_deref()
        .is_some_and(|a| a.starts_with("response: will_not_fix, update. This version")));
}

#[test]
fn vex_and_bom() {
    let doc = load("vex.json");
    assert_eq!(doc.statements.len(), 1);
    let st = &doc.statements[0];
    assert_eq!(st.vulnerability, "CVE-2020-25649");
    assert_eq!(
        st.aliases,
        vec!["SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302".to_string()]
    );
    assert_eq!(st.status, Status::NotAffected);
    assert_eq!(st.justification.as_deref(), Some("code_not_reachable"));
    let link = "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar";
    assert_eq!(st.products, vec![ProductId::BomRef(link.into())]);

    let mut set = VexSet::new();
    set.add(doc);
    let bom: serde_json::Value = serde_json::from_slice(&read("bom.json")).expect("bom");
    let components = bom["components"].as_array().expect("components");
    let mut hits = Vec::new();
    for c in components {
        let bom_ref = c["bom-ref"].as_str().expect("bom-ref");
        let t = Target {
            purl: c["purl"].as_str(),
            bom_ref: Some(bom_ref),
            name: c["name"].as_str().expect("name"),
            version: c["version"].as_str(),
            cpe: None,
        };
        if let Some(r) = set.resolve(&["SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302"], None, &t) {
            hits.push((c["name"].as_str().expect("name").to_string(), r.status));
        }
    }
    // only jackson-databind, by the BOM-Link fragment
    assert_eq!(
        hits,
        vec![("jackson-databind".to_string(), Status::NotAffected)]
    );
    // With the BOM identity (BOM-Link as bom_ref) the serial is checked: bom.json's
    // serial (5f0f0da9-...) is not the one the VEX links to (3e671687-...).
    let serial = bom["serialNumber"].as_str().expect("serial");
    let databind_ref = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar";
    let linked = bom_link(serial, 1, databind_ref);
    let t = Target {
        bom_ref: Some(&linked),
        name: "jackson-databind",
        ..Target::default()
    };
    assert!(set.resolve(&["CVE-2020-25649"], None, &t).is_none());
    let right = bom_link(
        "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        1,
        databind_ref,
    );
    let t = Target {
        bom_ref: Some(&right),
        ..t
    };
    assert!(set.resolve(&["CVE-2020-25649"], None, &t).is_some());
}

fn product_target(id: &(String, u64, String)) -> (String, String) {
    (bom_link(&id.0, id.1, &id.2), id.2.clone())
}

#[test]
fn usecase6_multiple_products_via_bom_link() {
    let doc = load("usecase6-vex.json");
    assert_eq!(doc.statements.len(), 1);
    assert_eq!(doc.statements[0].products.len(), 3);
    let mut set = VexSet::new();
    set.add(doc);
    let databind = Target {
        purl: Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0"),
        name: "jackson-databind",
        ..Target::default()
    };
    for n in 1..=3 {
        let id = bom_identity(&format!("usecase6-bom-{n}.json"));
        let (link, plain) = product_target(&id);
        for bom_ref in [link.as_str(), plain.as_str()] {
            let product = Target {
                bom_ref: Some(bom_ref),
                name: "Acme Product",
                ..Target::default()
            };
            let r = set
                .resolve(&["CVE-2020-25649"], Some(&product), &databind)
                .expect("applies to every product");
            assert_eq!(r.status, Status::NotAffected);
            assert_eq!(r.justification.as_deref(), Some("code_not_reachable"));
        }
        // a BOM-Link to another version of the same BOM does not match
        let wrong = bom_link(&id.0, id.1 + 1, &id.2);
        let product = Target {
            bom_ref: Some(&wrong),
            name: "Acme Product",
            ..Target::default()
        };
        assert!(set
            .resolve(&["CVE-2020-25649"], Some(&product), &databind)
            .is_none());
    }
    // a product of another BOM
    let other = bom_link(
        "urn:uuid:00000000-0000-0000-0000-000000000000",
        1,
        "acme-product-1",
    );
    let product = Target {
        bom_ref: Some(&other),
        name: "Acme Product 1",
        ..Target::default()
    };
    assert!(set
        .resolve(&["CVE-2020-25649"], Some(&product), &databind)
        .is_none());
    // the component alone (no product): the statement is about the products
    assert!(set.resolve(&["CVE-2020-25649"], None, &databind).is_none());
}

#[test]
fn usecase9_multiple_vulnerabilities() {
    let doc = load("usecase9-vex.json");
    assert_eq!(doc.statements.len(), 19);
    let ids: Vec<String> = (11896..=11914).map(|n| format!("CVE-2020-{n}")).collect();
    assert_eq!(
        doc.statements
            .iter()
            .map(|s| s.vulnerability.clone())
            .collect::<Vec<_>>(),
        ids
    );
    assert!(doc
        .statements
        .iter()
        .all(|s| s.status == Status::NotAffected));
    let mut set = VexSet::new();
    set.add(doc);
    let treck = Target {
        name: "treck-tcpip",
        ..Target::default()
    };
    for n in 1..=3 {
        let (link, _) = product_target(&bom_identity(&format!("usecase9-bom-{n}.json")));
        let product = Target {
            bom_ref: Some(&link),
            name: "Acme Product",
            ..Target::default()
        };
        for id in &ids {
            assert_eq!(
                set.resolve(&[id], Some(&product), &treck)
                    .expect("ripple20")
                    .status,
                Status::NotAffected
            );
        }
        assert!(set
            .resolve(&["CVE-2020-11915"], Some(&product), &treck)
            .is_none());
    }
    assert!(set.conflicts().is_empty());
}

#[test]
fn usecase13_affected_and_not_affected() {
    let doc = load("usecase13-vex.json");
    assert_eq!(doc.statements.len(), 2);
    let mut set = VexSet::new();
    set.add(doc);
    let databind = Target {
        name: "jackson-databind",
        ..Target::default()
    };
    let expected = [Status::NotAffected, Status::NotAffected, Status::Affected];
    for (n, status) in (1..=3).zip(expected) {
        let (link, _) = product_target(&bom_identity(&format!("usecase13-bom-{n}.json")));
        let product = Target {
            bom_ref: Some(&link),
            name: "Acme Product",
            ..Target::default()
        };
        let r = set
            .resolve(&["CVE-2020-25649"], Some(&product), &databind)
            .expect("applies");
        assert_eq!(r.status, status, "product {n}");
        assert!(r.conflicting.is_empty());
    }
    // different products: not a conflict
    assert!(set.conflicts().is_empty());
}

const RANGED: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "serialNumber": "urn:uuid:11111111-2222-3333-4444-555555555555",
  "metadata": {"timestamp": "2024-05-01T00:00:00Z"},
  "components": [{"bom-ref": "fw", "name": "firmware", "purl": "pkg:generic/acme/firmware"}],
  "vulnerabilities": [{
    "id": "CVE-2024-0001",
    "analysis": {"state": "exploitable", "response": ["update"], "detail": "upgrade to 2.0", "lastUpdated": "2024-05-02T00:00:00Z"},
    "affects": [{"ref": "fw", "versions": [
      {"range": "vers:generic/>=1.0|<2.0", "status": "affected"},
      {"range": "vers:semver/>=2.0.0", "status": "unaffected"},
      {"version": "0.9"},
      {"range": "not-a-range"},
      {"version": "3.0", "status": "unknown"}
    ]}]
  }]
}"#;

#[test]
fn version_ranges() {
    let doc = parse(RANGED.as_bytes()).expect("ranged");
    assert_eq!(doc.statements.len(), 3);
    assert_eq!(doc.problems.len(), 2, "{:?}", doc.problems);
    let st = &doc.statements[0];
    assert_eq!(
        st.version_constraint,
        Some(VersionConstraint::Range("vers:generic/>=1.0|<2.0".into()))
    );
    assert_eq!(
        st.products,
        vec![
            ProductId::BomRef("fw".into()),
            ProductId::Purl("pkg:generic/acme/firmware".into())
        ]
    );
    assert_eq!(st.timestamp.as_deref(), Some("2024-05-02T00:00:00Z"));
    assert_eq!(
        st.source,
        "urn:uuid:11111111-2222-3333-4444-555555555555#vulnerabilities[0].affects[0].versions[0]"
    );
    let mut set = VexSet::new();
    set.add(doc);
    let fw = |v: &'static str| Target {
        purl: Some("pkg:generic/acme/firmware"),
        name: "firmware",
        version: Some(v),
        ..Target::default()
    };
    let status = |v| {
        set.resolve(&["CVE-2024-0001"], None, &fw(v))
            .map(|r| r.status)
    };
    assert_eq!(status("1.0"), Some(Status::Affected));
    assert_eq!(status("1.9.9"), Some(Status::Affected));
    assert_eq!(status("2.0.0"), Some(Status::NotAffected));
    assert_eq!(status("2.5"), Some(Status::NotAffected));
    assert_eq!(status("0.9"), Some(Status::Affected));
    assert_eq!(status("0.8"), None);
    // version from the purl
    let t = Target {
        purl: Some("pkg:generic/acme/firmware@1.5"),
        name: "firmware",
        ..Target::default()
    };
    assert_eq!(
        set.resolve(&["CVE-2024-0001"], None, &t).map(|r| r.status),
        Some(Status::Affected)
    );
    // no version known: a constrained statement does not apply
    let t = Target {
        bom_ref: Some("fw"),
        name: "firmware",
        ..Target::default()
    };
    assert!(set.resolve(&["CVE-2024-0001"], None, &t).is_none());
    // disjoint version constraints are not conflicts
    assert!(set.conflicts().is_empty());
}

#[test]
fn xml_bom() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1">
  <metadata><timestamp>2024-01-01T00:00:00Z</timestamp>
    <component type="application" bom-ref="app"><name>app</name><purl>pkg:generic/acme/app@1.0</purl></component>
  </metadata>
  <vulnerabilities>
    <vulnerability bom-ref="v1">
      <id>CVE-2020-25649</id>
      <references><reference><id>GHSA-288c-cq4h-88gq</id><source><name>GitHub</name></source></reference></references>
      <analysis>
        <state>not_affected</state>
        <justification>code_not_reachable</justification>
        <responses><response>will_not_fix</response><response>update</response></responses>
        <detail>Not reachable &amp; not called</detail>
      </analysis>
      <affects>
        <target><ref>app</ref></target>
        <target><ref>urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#lib</ref>
          <versions><version><range><![CDATA[vers:generic/<2.10.5]]></range><status>affected</status></version></versions>
        </target>
      </affects>
    </vulnerability>
  </vulnerabilities>
</bom>"#;
    let doc = parse(xml.as_bytes()).expect("xml");
    assert_eq!(doc.format, Format::CycloneDx);
    assert_eq!(
        doc.id.as_deref(),
        Some("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79")
    );
    assert_eq!(doc.statements.len(), 2, "{:?}", doc.problems);
    let st = &doc.statements[1];
    assert_eq!(st.aliases, vec!["GHSA-288c-cq4h-88gq".to_string()]);
    assert_eq!(st.status, Status::NotAffected);
    assert_eq!(
        st.products,
        vec![
            ProductId::BomRef("app".into()),
            ProductId::Purl("pkg:generic/acme/app@1.0".into())
        ]
    );
    assert_eq!(
        st.impact_statement.as_deref(),
        Some("Not reachable & not called")
    );
    assert_eq!(
        st.action_statement.as_deref(),
        Some("response: will_not_fix, update")
    );
    assert_eq!(
        doc.statements[0].version_constraint,
        Some(VersionConstraint::Range("vers:generic/<2.10.5".into()))
    );
    assert!(matches!(parse(b"<foo/>"), Err(VexError::Unrecognized(_))));
    assert!(matches!(parse(b"<bom><a></bom>"), Err(VexError::Syntax(_))));
}

#[test]
fn error_messages_name_the_path() {
    let bad = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","statements":[
        {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a@1"}],"status":"fixed"},
        {"vulnerability":{"name":"CVE-2"},"products":[{"@id":"pkg:npm/a@1"}],"status":"unknown"}]}"#;
    let err = parse(bad).expect_err("bad status");
    assert_eq!(
        err.to_string(),
        "statements[1].status: expected one of not_affected, affected, fixed, under_investigation, found 'unknown'"
    );
    let bad = br#"{"bomFormat":"CycloneDX","specVersion":"1.4","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"maybe"},"affects":[{"ref":"a"}]}]}"#;
    assert_eq!(
        parse(bad).expect_err("bad state").to_string(),
        "vulnerabilities[0].analysis.state: expected one of resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected, found 'maybe'"
    );
    let bad = br#"{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"in_triage"},"affects":[{"ref":7}]}]}"#;
    assert_eq!(
        parse(bad).expect_err("bad ref").to_string(),
        "vulnerabilities[0].affects[0].ref: expected a bom-ref or BOM-Link string, found number 7"
    );
    assert!(matches!(parse(b"{}"), Err(VexError::Unrecognized(_))));
    assert!(matches!(parse(b"[1]"), Err(VexError::Invalid { .. })));
    assert!(matches!(parse(b"{"), Err(VexError::Syntax(_))));
}
