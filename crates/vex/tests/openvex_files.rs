//! OpenVEX and CSAF test files from the repository's testdata/.

use otproof_vex::{parse, Format, ProductId, Statement, Status, Target, VexDocument, VexSet};
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn load(rel: &str) -> VexDocument {
    let bytes = std::fs::read(testdata().join(rel)).expect("read test file");
    parse(&bytes).expect("parse test file")
}

fn purl(s: &str) -> ProductId {
    ProductId::Purl(s.to_string())
}

const ALPINE: &str =
    "pkg:oci/alpine@sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126";
const ALPINE_DOC: &str = "https://openvex.dev/docs/public/vex-d4e9020b6d0d26f131d535e055902dd6ccf3e2088bce3079a8cd3588a4b14c78";

#[test]
fn v020() {
    let doc = load("openvex/v0.2.0.json");
    assert_eq!(doc.format, Format::OpenVex);
    assert_eq!(doc.id.as_deref(), Some(ALPINE_DOC));
    assert_eq!(
        doc.author.as_deref(),
        Some("The OpenVEX Project <openvex@openssf.org>")
    );
    assert_eq!(
        doc.timestamp.as_deref(),
        Some("2023-07-17T18:28:47.696004345-06:00")
    );
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
    let expected = [
        ("CVE-2023-1255", Status::Fixed, None, None),
        ("CVE-2023-2650", Status::Fixed, None, None),
        ("CVE-2023-2975", Status::Fixed, None, None),
        (
            "CVE-2023-3446",
            Status::NotAffected,
            Some("vulnerable_code_not_present"),
            Some("affected functions were removed before packaging"),
        ),
        (
            "CVE-2023-3817",
            Status::NotAffected,
            Some("vulnerable_code_not_present"),
            Some("affected functions were removed before packaging"),
        ),
    ];
    assert_eq!(doc.statements.len(), expected.len());
    for (i, (st, (cve, status, just, impact))) in doc.statements.iter().zip(expected).enumerate() {
        assert_eq!(
            st,
            &Statement {
                vulnerability: cve.into(),
                aliases: vec![],
                products: vec![purl(ALPINE)],
                subcomponents: vec![
                    purl("pkg:apk/alpine/libssl3@3.0.8-r3"),
                    purl("pkg:apk/alpine/libcrypto3@3.0.8-r3")
                ],
                status,
                justification: just.map(Into::into),
                impact_statement: impact.map(Into::into),
                action_statement: None,
                timestamp: Some("2023-07-17T18:28:47.696004345-06:00".into()),
                source: format!("{ALPINE_DOC}#statements[{i}]"),
                version_constraint: None,
            }
        );
    }
}

#[test]
fn v020_subcomponent_matching() {
    let mut set = VexSet::new();
    set.add(load("openvex/v0.2.0.json"));
    let image = Target {
        purl: Some(
            "pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126?tag=3.18",
        ),
        name: "alpine",
        ..Target::default()
    };
    let libssl = Target {
        purl: Some("pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64"),
        name: "libssl3",
        ..Target::default()
    };
    let r = set
        .resolve(&["CVE-2023-3446"], Some(&image), &libssl)
        .expect("applies");
    assert_eq!(r.status, Status::NotAffected);
    assert_eq!(
        r.justification.as_deref(),
        Some("vulnerable_code_not_present")
    );
    assert!(r.conflicting.is_empty());
    // no product given: subcomponent match is enough
    assert!(set.resolve(&["cve-2023-3446"], None, &libssl).is_some());
    // another image: the statement is about the alpine image only
    let other_image = Target {
        purl: Some("pkg:oci/alpine@sha256:0000"),
        name: "alpine",
        ..Target::default()
    };
    assert!(set
        .resolve(&["CVE-2023-3446"], Some(&other_image), &libssl)
        .is_none());
    // another version of libssl3
    let libssl_new = Target {
        purl: Some("pkg:apk/alpine/libssl3@3.1.0-r0"),
        name: "libssl3",
        ..Target::default()
    };
    assert!(set
        .resolve(&["CVE-2023-3446"], Some(&image), &libssl_new)
        .is_none());
    // the CVE-only bug: same CVE, component not named in the statement
    let zlib = Target {
        purl: Some("pkg:apk/alpine/zlib@1.2.13-r1"),
        name: "zlib",
        ..Target::default()
    };
    assert!(set
        .resolve(&["CVE-2023-3446"], Some(&image), &zlib)
        .is_none());
    // the product itself is not a subcomponent
    assert!(set.resolve(&["CVE-2023-3446"], None, &image).is_none());
}

#[test]
fn v001_legacy() {
    let doc = load("openvex/v0.0.1.json");
    assert_eq!(doc.format, Format::OpenVexLegacy);
    assert_eq!(doc.author.as_deref(), Some("Wolfi J Inkinson"));
    assert_eq!(
        doc.statements,
        vec![Statement {
            vulnerability: "CVE-2023-12345".into(),
            aliases: vec![],
            products: vec![
                purl("pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"),
                purl("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"),
            ],
            subcomponents: vec![],
            status: Status::Fixed,
            justification: None,
            impact_statement: None,
            action_statement: None,
            timestamp: Some("2023-01-08T18:02:03.647787998-06:00".into()),
            source: "https://openvex.dev/docs/example/vex-9fb3463de1b57#statements[0]".into(),
            version_constraint: None,
        }]
    );
    // qualifiers of the statement must be a subset of the component's
    let mut set = VexSet::new();
    set.add(doc);
    let git = |p: &'static str| Target {
        purl: Some(p),
        name: "git",
        ..Target::default()
    };
    assert!(set
        .resolve(
            &["CVE-2023-12345"],
            None,
            &git("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64&distro=wolfi")
        )
        .is_some());
    assert!(set
        .resolve(
            &["CVE-2023-12345"],
            None,
            &git("pkg:apk/wolfi/git@2.39.0-r1?arch=aarch64")
        )
        .is_none());
    assert!(set
        .resolve(
            &["CVE-2023-12345"],
            None,
            &git("pkg:apk/wolfi/git@2.39.0-r1")
        )
        .is_none());
}

#[test]
fn v001_1_unversioned_context() {
    let doc = load("openvex/v001-1.vex.json");
    assert_eq!(doc.format, Format::OpenVexLegacy);
    assert_eq!(doc.id.as_deref(), Some("my-vexdoc2"));
    assert_eq!(doc.timestamp, None);
    assert_eq!(
        doc.statements,
        vec![Statement {
            vulnerability: "CVE-1234-5678".into(),
            aliases: vec![],
            products: vec![purl("pkg:apk/wolfi/bash@1.0.0")],
            subcomponents: vec![],
            status: Status::UnderInvestigation,
            justification: None,
            impact_statement: None,
            action_statement: None,
            timestamp: Some("2022-12-22T16:36:43-05:00".into()),
            source: "my-vexdoc2#statements[0]".into(),
            version_constraint: None,
        }]
    );
}

#[test]
fn v020_merge_two_documents() {
    let a = load("openvex/v020-1.vex.json");
    let b = load("openvex/v020-2.vex.json");
    assert_eq!(a.statements.len(), 1);
    assert_eq!(b.statements.len(), 1);
    assert_eq!(a.statements[0].vulnerability, "CVE-9876-54321");
    assert_eq!(
        a.statements[0].products,
        vec![purl("pkg:apk/wolfi/bash@1.0.0")]
    );
    assert_eq!(b.statements[0].vulnerability, "CVE-1234-5678");
    assert_eq!(
        b.statements[0].products,
        vec![purl("pkg:apk/wolfi/git@2.41.0-1")]
    );
    let mut set = VexSet::new();
    set.add(a);
    set.add(b);
    // different (vulnerability, product) pairs: both kept, no conflict
    assert!(set.conflicts().is_empty());
    let bash = Target {
        purl: Some("pkg:apk/wolfi/bash@1.0.0"),
        name: "bash",
        ..Target::default()
    };
    let git = Target {
        purl: Some("pkg:apk/wolfi/git@2.41.0-1"),
        name: "git",
        ..Target::default()
    };
    let r = set.resolve(&["CVE-9876-54321"], None, &bash).expect("bash");
    assert_eq!(r.status, Status::UnderInvestigation);
    assert!(r.statement.source.contains("vex-3f59b4df"));
    let r = set.resolve(&["CVE-1234-5678"], None, &git).expect("git");
    assert!(r.statement.source.contains("vex-99f523e8"));
    // the CVE of the git statement does not apply to bash, and vice versa
    assert!(set.resolve(&["CVE-1234-5678"], None, &bash).is_none());
    assert!(set.resolve(&["CVE-9876-54321"], None, &git).is_none());

    // adding the legacy document about bash + CVE-1234-5678 (same timestamp,
    // same status) adds a statement without conflict
    set.add(load("openvex/v001-1.vex.json"));
    let r = set
        .resolve(&["CVE-1234-5678"], None, &bash)
        .expect("legacy bash");
    assert_eq!(r.statement.source, "my-vexdoc2#statements[0]");
    assert!(set.conflicts().is_empty());
}

#[test]
fn later_statement_wins_and_ties_conflict() {
    let doc = |id: &str, ts: &str, status: &str| {
        format!(
            r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"{id}","author":"x","timestamp":"{ts}",
            "statements":[{{"vulnerability":{{"name":"CVE-9876-54321","aliases":["GHSA-aaaa-bbbb-cccc"]}},
            "products":[{{"@id":"pkg:apk/wolfi/bash@1.0.0"}}],"status":"{status}","justification":"component_not_present"}}]}}"#
        )
    };
    let mut set = VexSet::new();
    set.add(load("openvex/v020-1.vex.json")); // under_investigation, 2022-12-22T16:36:43-05:00
    set.add(parse(doc("later", "2022-12-23T00:00:00Z", "not_affected").as_bytes()).expect("later"));
    let bash = Target {
        purl: Some("pkg:apk/wolfi/bash@1.0.0"),
        name: "bash",
        ..Target::default()
    };
    let r = set
        .resolve(&["GHSA-AAAA-BBBB-CCCC"], None, &bash)
        .expect("by alias");
    assert_eq!(r.status, Status::NotAffected);
    assert_eq!(r.statement.source, "later#statements[0]");
    assert!(r.conflicting.is_empty());
    let conflicts = set.conflicts();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].winner.as_deref(), Some("later#statements[0]"));
    assert_eq!(conflicts[0].product, "pkg:apk/wolfi/bash@1.0.0");

    // an affected statement with the same timestamp as the latest: genuine conflict
    set.add(
        parse(doc("rival", "2022-12-23T01:00:00+01:00", "affected").as_bytes()).expect("rival"),
    );
    let r = set
        .resolve(&["CVE-9876-54321"], None, &bash)
        .expect("resolves");
    assert_eq!(
        r.status,
        Status::Affected,
        "most cautious status wins a tie"
    );
    assert_eq!(r.conflicting.len(), 1);
    assert_eq!(r.conflicting[0].source, "later#statements[0]");
    let conflicts = set.conflicts();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].winner, None);
    assert_eq!(
        conflicts[0].statements,
        vec![
            (
                "https://openvex.dev/docs/public/vex-3f59b4dffdeae0183e5e6a9d7a2461fdf86a03c079f4129050bb462eca366beb#statements[0]".to_string(),
                Status::UnderInvestigation
            ),
            ("later#statements[0]".to_string(), Status::NotAffected),
            ("rival#statements[0]".to_string(), Status::Affected),
        ]
    );
}

#[test]
fn csaf_vex() {
    let doc = load("openvex/csaf.json");
    assert_eq!(doc.format, Format::Csaf);
    assert_eq!(doc.id.as_deref(), Some("2022-EVD-UC-01-NA-001"));
    assert_eq!(doc.author.as_deref(), Some("Example Company"));
    assert_eq!(
        doc.statements,
        vec![Statement {
            vulnerability: "CVE-2009-4487".into(),
            aliases: vec![],
            products: vec![purl("pkg:golang/github.com/go-homedir@v1.2.0")],
            subcomponents: vec![],
            status: Status::NotAffected,
            justification: None,
            impact_statement: Some(
                "Class with vulnerable code was removed before shipping.".into()
            ),
            action_statement: None,
            timestamp: Some("2022-03-03T11:00:00.000Z".into()),
            source: "2022-EVD-UC-01-NA-001#vulnerabilities[0].product_status.known_not_affected[0]"
                .into(),
            version_constraint: None,
        }]
    );
    let mut set = VexSet::new();
    set.add(doc);
    let homedir = Target {
        purl: Some("pkg:golang/github.com/go-homedir@v1.2.0"),
        name: "go-homedir",
        ..Target::default()
    };
    assert!(set.resolve(&["CVE-2009-4487"], None, &homedir).is_some());
    let older = Target {
        purl: Some("pkg:golang/github.com/go-homedir@v1.1.0"),
        ..homedir
    };
    assert!(set.resolve(&["CVE-2009-4487"], None, &older).is_none());
}

#[test]
fn csaf_relationships_flags_and_groups() {
    let json = r#"{
      "document": {"category": "csaf_vex", "csaf_version": "2.0",
        "publisher": {"category": "vendor", "name": "ACME", "namespace": "https://acme.example"},
        "title": "t", "tracking": {"id": "ACME-1", "current_release_date": "2024-01-01T00:00:00Z",
        "initial_release_date": "2024-01-01T00:00:00Z", "revision_history": [], "status": "final", "version": "1"}},
      "product_tree": {
        "full_product_names": [
          {"name": "ACME PLC 4.2", "product_id": "PLC", "product_identification_helper": {"cpe": "cpe:2.3:h:acme:plc:4.2:*:*:*:*:*:*:*"}},
          {"name": "openssl 3.0.8", "product_id": "SSL", "product_identification_helper": {"purl": "pkg:generic/openssl@3.0.8"}},
          {"name": "Legacy HMI", "product_id": "HMI"}
        ],
        "relationships": [
          {"category": "default_component_of", "product_reference": "SSL", "relates_to_product_reference": "PLC",
           "full_product_name": {"name": "openssl in PLC", "product_id": "SSL-IN-PLC"}}
        ],
        "product_groups": [{"group_id": "G1", "product_ids": ["SSL-IN-PLC"]}]
      },
      "vulnerabilities": [{
        "cve": "CVE-2023-0286",
        "ids": [{"system_name": "ACME", "text": "ACME-SA-7"}],
        "product_status": {"known_not_affected": ["SSL-IN-PLC"], "known_affected": ["HMI"], "recommended": ["PLC"], "fixed": ["NOPE"]},
        "flags": [{"label": "vulnerable_code_not_in_execute_path", "group_ids": ["G1"]}],
        "remediations": [{"category": "vendor_fix", "details": "Update the HMI", "product_ids": ["HMI"]}]
      }]
    }"#;
    let doc = parse(json.as_bytes()).expect("csaf");
    assert_eq!(doc.statements.len(), 2);
    let s0 = &doc.statements[0];
    assert_eq!(s0.aliases, vec!["ACME-SA-7".to_string()]);
    assert_eq!(
        s0.products,
        vec![ProductId::Cpe(
            "cpe:2.3:h:acme:plc:4.2:*:*:*:*:*:*:*".into()
        )]
    );
    assert_eq!(s0.subcomponents, vec![purl("pkg:generic/openssl@3.0.8")]);
    assert_eq!(
        s0.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    let s1 = &doc.statements[1];
    assert_eq!(s1.status, Status::Affected);
    assert_eq!(s1.products, vec![ProductId::Name("Legacy HMI".into())]);
    assert_eq!(s1.action_statement.as_deref(), Some("Update the HMI"));
    assert!(
        doc.problems.iter().any(|p| p.contains("'NOPE'")),
        "{:?}",
        doc.problems
    );

    let mut set = VexSet::new();
    set.add(doc);
    let plc = Target {
        cpe: Some("cpe:2.3:h:acme:plc:4.2:*:*:*:*:*:*:*"),
        name: "PLC",
        ..Target::default()
    };
    let ssl = Target {
        purl: Some("pkg:generic/openssl@3.0.8"),
        name: "openssl",
        ..Target::default()
    };
    let r = set
        .resolve(&["ACME-SA-7"], Some(&plc), &ssl)
        .expect("in PLC");
    assert_eq!(r.status, Status::NotAffected);
    let other_plc = Target {
        cpe: Some("cpe:2.3:h:acme:plc:5.0:*:*:*:*:*:*:*"),
        name: "PLC",
        ..Target::default()
    };
    assert!(set
        .resolve(&["CVE-2023-0286"], Some(&other_plc), &ssl)
        .is_none());
    let hmi = Target {
        name: "legacy hmi",
        ..Target::default()
    };
    assert_eq!(
        set.resolve(&["CVE-2023-0286"], None, &hmi)
            .expect("hmi")
            .status,
        Status::Affected
    );
}
