//! Property tests: no input panics; purls round-trip; CycloneDX JSON built from random
//! components reads back equal; the generator's output parses.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

use otproof_sbom::{generate, parse, parse_as, Format, Purl};
use proptest::prelude::*;
use serde_json::json;

const FORMATS: [Format; 4] = [
    Format::CycloneDxJson,
    Format::CycloneDxXml,
    Format::SpdxJson,
    Format::SpdxTagValue,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
        for f in FORMATS {
            let _ = parse_as(&bytes, f);
        }
    }

    #[test]
    fn format_shaped_noise_never_panics(
        prefix in prop_oneof![
            Just("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",".to_string()),
            Just("{\"spdxVersion\":\"SPDX-2.3\",".to_string()),
            Just("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\">".to_string()),
            Just("SPDXVersion: SPDX-2.3\n".to_string()),
        ],
        body in "[ -~\n]{0,300}",
    ) {
        let _ = parse(format!("{prefix}{body}").as_bytes());
    }

    #[test]
    fn purl_parse_never_panics(s in "\\PC{0,80}") {
        let _ = Purl::parse(&s);
        let _ = Purl::parse(&format!("pkg:{s}"));
    }

    #[test]
    fn purl_round_trips(p in purl()) {
        let shown = p.to_string();
        let back = Purl::parse(&shown).map_err(|e| TestCaseError::fail(format!("{shown}: {e}")))?;
        prop_assert_eq!(&back, &p, "{}", shown);
        prop_assert_eq!(back.to_string(), shown);
    }

    #[test]
    fn cyclonedx_json_reads_back(comps in proptest::collection::vec(component(), 0..12)) {
        let json_comps: Vec<serde_json::Value> = comps.iter().enumerate().map(|(i, c)| {
            let mut o = json!({
                "bom-ref": format!("ref-{i}"),
                "type": c.kind,
                "name": c.name,
                "hashes": c.hashes.iter().map(|(a, v)| json!({"alg": a, "content": v})).collect::<Vec<_>>(),
                "licenses": c.licenses.iter().map(|l| json!({"license": {"id": l}})).collect::<Vec<_>>(),
            });
            if let Some(v) = &c.version { o["version"] = json!(v); }
            if let Some(g) = &c.group { o["group"] = json!(g); }
            if let Some(p) = &c.purl { o["purl"] = json!(p.to_string()); }
            if let Some(s) = &c.supplier { o["supplier"] = json!({"name": s}); }
            o
        }).collect();
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": json_comps});
        let d = parse(serde_json::to_string(&doc).unwrap().as_bytes()).unwrap();
        prop_assert!(d.problems.is_empty(), "{:?}", d.problems);
        prop_assert_eq!(d.components.len(), comps.len());
        for (i, (got, want)) in d.components.iter().zip(&comps).enumerate() {
            prop_assert_eq!(&got.bom_ref, &format!("ref-{i}"));
            prop_assert_eq!(&got.kind, &want.kind);
            prop_assert_eq!(&got.name, &want.name);
            prop_assert_eq!(&got.version, &want.version);
            prop_assert_eq!(&got.group, &want.group);
            prop_assert_eq!(&got.purl, &want.purl);
            prop_assert_eq!(&got.supplier, &want.supplier);
            prop_assert_eq!(&got.licenses, &want.licenses);
            let hashes: Vec<(String, String)> = got.hashes.iter().map(|h| (h.alg.clone(), h.value.clone())).collect();
            prop_assert_eq!(&hashes, &want.hashes);
        }
    }
}

fn segment() -> impl Strategy<Value = String> {
    // Any printable text, including characters that need percent-encoding.
    "[a-zA-Z0-9 @%?#&=:+._~/-]{1,12}|\\PC{1,6}"
}

fn purl() -> impl Strategy<Value = Purl> {
    (
        "[a-z][a-z0-9.+-]{0,8}",
        proptest::option::of(proptest::collection::vec(
            segment().prop_filter("no slash", |s| !s.contains('/')),
            1..3,
        )),
        segment(),
        proptest::option::of(segment()),
        proptest::collection::btree_map("[a-z][a-z0-9._-]{0,6}", segment(), 0..3),
        proptest::option::of(proptest::collection::vec(
            segment().prop_filter("plain segment", |s| {
                !s.contains('/') && s != "." && s != ".."
            }),
            1..3,
        )),
    )
        .prop_map(|(ty, ns, name, version, quals, sub)| Purl {
            ty,
            namespace: ns.map(|v| v.join("/")),
            name,
            version,
            qualifiers: quals.into_iter().collect(),
            subpath: sub.map(|v| v.join("/")),
        })
}

#[derive(Debug, Clone)]
struct Comp {
    kind: String,
    name: String,
    version: Option<String>,
    group: Option<String>,
    purl: Option<Purl>,
    supplier: Option<String>,
    licenses: Vec<String>,
    hashes: Vec<(String, String)>,
}

fn component() -> impl Strategy<Value = Comp> {
    let trimmed = "[A-Za-z0-9][A-Za-z0-9 ._:/@-]{0,10}[A-Za-z0-9]";
    (
        prop_oneof![
            Just("library"),
            Just("firmware"),
            Just("application"),
            Just("device")
        ],
        trimmed,
        proptest::option::of(trimmed),
        proptest::option::of(trimmed),
        proptest::option::of(purl()),
        proptest::option::of(trimmed),
        proptest::collection::btree_set(
            prop_oneof![Just("MIT"), Just("Apache-2.0"), Just("GPL-2.0-only")],
            0..3,
        ),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("SHA-256"),
                    Just("SHA-1"),
                    Just("MD5"),
                    Just("SHA3-512")
                ],
                "[0-9a-f]{8,64}",
            ),
            0..3,
        ),
    )
        .prop_map(
            |(kind, name, version, group, purl, supplier, licenses, hashes)| Comp {
                kind: kind.to_string(),
                name,
                version,
                group,
                purl,
                supplier,
                licenses: licenses.into_iter().map(str::to_string).collect(),
                hashes: hashes
                    .into_iter()
                    .map(|(a, v)| (a.to_string(), v))
                    .collect(),
            },
        )
}

#[test]
fn generator_output_parses_and_passes_ntia() {
    let s = generate::cyclonedx_json(2_000, 7);
    assert_eq!(s, generate::cyclonedx_json(2_000, 7), "deterministic");
    let d = parse(s.as_bytes()).unwrap();
    assert_eq!(d.spec_version, "1.5");
    assert_eq!(d.components.len(), 2_000);
    assert_eq!(d.dependencies.len(), 2_000);
    assert!(
        d.problems.is_empty(),
        "{:?}",
        &d.problems[..d.problems.len().min(3)]
    );
    let types: std::collections::BTreeSet<&str> = d
        .components
        .iter()
        .filter_map(|c| c.purl.as_ref())
        .map(|p| p.ty.as_str())
        .collect();
    assert_eq!(
        types,
        ["deb", "golang", "maven", "npm", "pypi"]
            .into_iter()
            .collect()
    );
    assert_eq!(d.components[10].name, "pkg-10");
    assert!(otproof_sbom::ntia(&d).passed());
    let empty = parse(generate::cyclonedx_json(0, 1).as_bytes()).unwrap();
    assert!(empty.components.is_empty());
}

/// Throughput check; meaningful in release: `cargo test -p otproof-sbom --release -- --ignored`.
#[test]
#[ignore]
fn parse_100k_components_fast() {
    let s = generate::cyclonedx_json(100_000, 1);
    let t = std::time::Instant::now();
    let d = parse(s.as_bytes()).unwrap();
    let took = t.elapsed();
    assert_eq!(d.components.len(), 100_000);
    eprintln!(
        "parsed 100k components ({} MB) in {took:?}",
        s.len() / 1_000_000
    );
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
}
