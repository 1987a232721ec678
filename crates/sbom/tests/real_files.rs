//! Every third-party test file in testdata/, with exact expectations taken from the files' contents.

use otproof_sbom::{parse, Component, Dependency, Document, Format, SbomError};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn load(rel: &str) -> Document {
    let path = testdata().join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn problems_with<'a>(d: &'a Document, needle: &str) -> Vec<&'a otproof_sbom::Problem> {
    d.problems
        .iter()
        .filter(|p| p.message.contains(needle))
        .collect()
}

/// (group, name, version, canonical purl) per component.
type Identity = (Option<String>, String, Option<String>, Option<String>);

fn identity_set(d: &Document) -> BTreeSet<Identity> {
    d.components
        .iter()
        .map(|c| {
            (
                c.group.clone(),
                c.name.clone(),
                c.version.clone(),
                c.purl.as_ref().map(|p| p.to_string()),
            )
        })
        .collect()
}

fn edges(d: &Document) -> BTreeSet<(String, String)> {
    d.dependencies
        .iter()
        .map(|Dependency { from, to }| (from.clone(), to.clone()))
        .collect()
}

#[test]
fn every_file_parses_or_is_rejected_clearly() {
    let mut parsed = 0;
    for dir in ["cyclonedx", "cyclonedx/vex", "spdx", "large"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(testdata().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap();
            let result = parse(&bytes);
            if name.ends_with(".md") || name.starts_with("LICENSE") {
                // Not SBOMs: README files and the licence text are refused as unknown.
                assert!(
                    matches!(result, Err(SbomError::UnknownFormat(_))),
                    "{name}: {result:?}"
                );
            } else {
                let d = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(!d.spec_version.is_empty(), "{name}");
                parsed += 1;
            }
        }
    }
    // 8 cyclonedx/ SBOMs, 18 vex/ JSON, 2 spdx/, 3 large/.
    assert_eq!(parsed, 8 + 18 + 2 + 3);
}

#[test]
fn laravel_11_xml_14_xml_and_14_json_are_the_same_bom() {
    let x11 = load("cyclonedx/laravel-7.12.0.bom.1.1.xml");
    let x14 = load("cyclonedx/laravel-7.12.0.bom.1.4.xml");
    let j14 = load("cyclonedx/laravel-7.12.0.bom.1.4.json");
    assert_eq!(
        (x11.format, x11.spec_version.as_str()),
        (Format::CycloneDxXml, "1.1")
    );
    assert_eq!(
        (x14.format, x14.spec_version.as_str()),
        (Format::CycloneDxXml, "1.4")
    );
    assert_eq!(
        (j14.format, j14.spec_version.as_str()),
        (Format::CycloneDxJson, "1.4")
    );
    for d in [&x11, &x14, &j14] {
        assert_eq!(d.components.len(), 62);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert!(d
            .components
            .iter()
            .all(|c| c.purl.is_some() && c.kind == "library"));
    }
    assert_eq!(identity_set(&x11), identity_set(&j14));
    assert_eq!(identity_set(&x14), identity_set(&j14));
    // 1.1 has no bom-refs (generated), no metadata and no dependencies.
    assert_eq!(x11.components[0].bom_ref, "otproof:component/0");
    assert_eq!(x11.components[61].bom_ref, "otproof:component/61");
    assert!(x11.subject.is_none() && x11.dependencies.is_empty());
    // 1.4 XML and JSON agree on everything, component by component.
    assert_eq!(x14.components, j14.components);
    assert_eq!(x14.subject, j14.subject);
    assert_eq!(x14.dependencies.len(), 113);
    assert_eq!(edges(&x14), edges(&j14));
    assert_eq!(x14.tools, vec!["cyclonedx cyclonedx-php-composer in-dev"]);
    let subject = j14.subject.as_ref().unwrap();
    assert_eq!(subject.name, "cyclonedx-php-composer-demo");
    assert_eq!(subject.group.as_deref(), Some("cyclonedx"));
    assert_eq!(j14.name.as_deref(), Some("cyclonedx-php-composer-demo"));
    let cors = &j14.components[0];
    assert_eq!(
        (
            cors.bom_ref.as_str(),
            cors.name.as_str(),
            cors.licenses.clone()
        ),
        (
            "asm89/stack-cors-1.3.0.0",
            "stack-cors",
            vec!["MIT".to_string()]
        )
    );
    assert_eq!(
        cors.purl.as_ref().unwrap().to_string(),
        "pkg:composer/asm89/stack-cors@1.3.0"
    );
}

#[test]
fn cern_12_json() {
    let d = load("cyclonedx/cern-lhc-vdm-editor.bom.1.2.json");
    assert_eq!(d.spec_version, "1.2");
    assert_eq!(d.components.len(), 43);
    assert!(d.problems.is_empty());
    assert_eq!(d.created.as_deref(), Some("2020-08-03T01:28:52.765Z"));
    assert_eq!(
        d.serial.as_deref().map(|s| s.starts_with("urn:uuid:")),
        Some(true)
    );
    assert_eq!(
        d.subject.as_ref().unwrap().bom_ref,
        "pkg:npm/lhc-vdm-editor@0.0.1"
    );
    let algs: BTreeSet<&str> = d
        .components
        .iter()
        .flat_map(|c| c.hashes.iter().map(|h| h.alg.as_str()))
        .collect();
    assert_eq!(algs, BTreeSet::from(["SHA-1", "SHA-512"]));
    assert!(d.components.iter().flat_map(|c| &c.hashes).all(|h| h
        .value
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))));
}

#[test]
fn bad_purls_are_reported_and_components_kept() {
    let d = load("cyclonedx/osv-scanner-bad-purls.cdx.xml");
    assert_eq!(d.components.len(), 16);
    let bad = problems_with(&d, "malformed purl");
    assert_eq!(bad.len(), 6, "{bad:#?}");
    // Each malformed purl is kept as written on its (kept) component.
    let kept_raw: Vec<&str> = d
        .components
        .iter()
        .filter(|c| c.purl.is_none())
        .filter_map(|c| c.purl_raw.as_deref())
        .collect();
    assert_eq!(
        kept_raw,
        vec![
            "pkg:pypi/",
            "pkg:pypi/",
            "pkg:///",
            "/",
            "pkg:apk/alpine/@1.36.1-r27?arch=x86_64&upstream=busybox&distro=alpine-3.17.2",
            "pkg:pypi/",
        ]
    );
    assert_eq!(
        bad[0].location,
        "bom/components/component[2]/purl (byte 6549)"
    );
    let names: Vec<&str> = d.components.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"alpine-keys") && names.contains(&"zlib"));
    // Two components have an empty <name>; both are kept and reported.
    assert_eq!(problems_with(&d, "has no name").len(), 2);
    // The last component has no bom-ref: one is generated from its index.
    assert_eq!(d.components[15].bom_ref, "otproof:component/15");
    assert_eq!(d.components[15].kind, "operating-system");
    assert_eq!(d.tools, vec!["anchore syft 0.73.0"]);
}

#[test]
fn duplicates_are_kept_and_reported() {
    let d = load("cyclonedx/osv-scanner-with-duplicates.cdx.xml");
    assert_eq!(d.components.len(), 18);
    let dups = problems_with(&d, "duplicate bom-ref");
    assert_eq!(dups.len(), 2, "{dups:#?}");
    assert!(dups[0].message.contains("libcrypto3@3.0.8-r0"));
    assert!(dups[1].message.contains("zlib@1.2.10-r0"));
    assert_eq!(d.problems.len(), 2);
    let zlibs = d.components.iter().filter(|c| c.name == "zlib").count();
    assert_eq!(zlibs, 2);
}

#[test]
fn alpine_zlib_16_json() {
    let d = load("cyclonedx/osv-scanner-alpine-zlib-16.cdx.json");
    assert_eq!(d.spec_version, "1.6");
    assert_eq!(d.tools, vec!["SCALIBR"]);
    assert!(
        d.authors.is_empty(),
        "an empty author object gives no author"
    );
    assert_eq!(d.components.len(), 1);
    let z = &d.components[0];
    assert_eq!(
        (z.name.as_str(), z.version.as_deref()),
        ("zlib", Some("1.2.12-r1"))
    );
    let p = z.purl.as_ref().unwrap();
    assert_eq!(
        (p.ty.as_str(), p.namespace.as_deref(), p.name.as_str()),
        ("apk", Some("alpine"), "zlib")
    );
    assert_eq!(
        p.qualifiers,
        vec![
            ("arch".to_string(), "x86_64".to_string()),
            ("distro".to_string(), "3.22.0".to_string()),
            ("origin".to_string(), "zlib".to_string())
        ]
    );
}

#[test]
fn minimal_spdx() {
    let d = load("cyclonedx/osv-scanner-only-unimportant.spdx.json");
    assert_eq!(
        (d.format, d.spec_version.as_str()),
        (Format::SpdxJson, "SPDX-2.3")
    );
    assert_eq!(d.name.as_deref(), Some("SCALIBR-generated SPDX"));
    assert_eq!(d.tools, vec!["SCALIBR"]);
    assert!(d.subject.is_none());
    assert_eq!(d.components.len(), 1);
    let c = &d.components[0];
    assert_eq!(c.supplier, None, "NOASSERTION is no supplier");
    assert_eq!(c.version.as_deref(), Some("2:8.39-12ubuntu0.1"));
    assert_eq!(
        c.purl.as_ref().unwrap().version.as_deref(),
        Some("2:8.39-12ubuntu0.1")
    );
    assert!(d.problems.is_empty());
}

#[test]
fn vex_documents_parse_as_boms() {
    let bom = load("cyclonedx/vex/bom.json");
    assert_eq!(bom.spec_version, "1.3");
    assert_eq!(bom.components.len(), 3);
    for (f, subject) in [
        ("cisa-case1-vex-affected.json", Some("product-DEF")),
        ("cisa-case1-vex-not_affected.json", Some("product-ABC")),
        ("usecase9-bom-2.json", Some("acme-product-2")),
        ("usecase9-vex.json", None),
        ("vex.json", None),
    ] {
        let d = load(&format!("cyclonedx/vex/{f}"));
        assert_eq!(
            d.subject.as_ref().map(|s| s.bom_ref.as_str()),
            subject,
            "{f}"
        );
        assert!(d.components.is_empty(), "{f}");
    }
}

/// The SPDX 2.3 example as JSON and as tag-value: the same document.
#[test]
fn spdx_json_and_tag_value_agree() {
    let j = load("spdx/SPDXJSONExample-v2.3.spdx.json");
    let t = load("spdx/SPDXTagExample-v2.3.spdx");
    assert_eq!(j.format, Format::SpdxJson);
    assert_eq!(t.format, Format::SpdxTagValue);
    for d in [&j, &t] {
        assert_eq!(d.spec_version, "SPDX-2.3");
        assert_eq!(d.name.as_deref(), Some("SPDX-Tools-v2.0"));
        assert_eq!(
            d.serial.as_deref(),
            Some("http://spdx.org/spdxdocs/spdx-example-444504E0-4F89-41D3-9A0C-0305E82C3301")
        );
        assert_eq!(d.created.as_deref(), Some("2010-01-29T18:30:22Z"));
        assert_eq!(d.authors, vec!["ExampleCodeInspect", "Jane Doe"]);
        assert_eq!(d.tools, vec!["LicenseFind-1.0"]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        // 4 packages + 5 files, one package is the subject.
        assert_eq!(d.components.len(), 8);
    }

    // Genuine difference: the JSON names the "OTHER" external reference type by its
    // full URI, the tag-value by the short `LocationRef-acmeforge`. Compare only the
    // locators of other ids.
    let norm = |c: &Component| {
        let mut c = c.clone();
        for id in &mut c.other_ids {
            id.0 = String::new();
        }
        c
    };
    let js = j.subject.as_ref().unwrap();
    assert_eq!(norm(js), norm(t.subject.as_ref().unwrap()));
    assert_eq!(js.bom_ref, "SPDXRef-Package");
    assert_eq!(js.name, "glibc");
    assert_eq!(js.kind, "source");
    assert_eq!(js.version.as_deref(), Some("2.11.1"));
    assert_eq!(
        js.supplier.as_deref(),
        Some("Jane Doe (jane.doe@example.com)")
    );
    assert_eq!(
        js.cpe.as_deref(),
        Some("cpe:2.3:a:pivotal_software:spring_framework:4.1.0:*:*:*:*:*:*:*")
    );
    assert_eq!(
        js.licenses,
        vec![
            "(LGPL-2.0-only AND LicenseRef-3)",
            "(LGPL-2.0-only OR LicenseRef-3)"
        ]
    );
    let algs: Vec<&str> = js.hashes.iter().map(|h| h.alg.as_str()).collect();
    assert_eq!(algs, vec!["MD5", "SHA-1", "SHA-256", "BLAKE2b-384"]);
    assert_eq!(js.other_ids.len(), 1);
    assert_eq!(js.other_ids[0].1, "acmecorp/acmenator/4.1.3-alpha");

    // Document order differs (JSON lists packages then files; tag-value interleaves):
    // compare sorted by SPDXID.
    let sorted = |d: &Document| {
        let mut v: Vec<Component> = d.components.iter().map(norm).collect();
        v.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
        v
    };
    assert_eq!(sorted(&j), sorted(&t));
    let jena = j
        .components
        .iter()
        .find(|c| c.bom_ref == "SPDXRef-fromDoap-0")
        .unwrap();
    assert_eq!(
        jena.purl.as_ref().unwrap().to_string(),
        "pkg:maven/org.apache.jena/apache-jena@3.12.0"
    );
    let saxon = j
        .components
        .iter()
        .find(|c| c.bom_ref == "SPDXRef-Saxon")
        .unwrap();
    assert_eq!(saxon.licenses, vec!["MPL-1.0"]);
    assert_eq!(saxon.hashes[0].alg, "SHA-1");
    let files = j.components.iter().filter(|c| c.kind == "file").count();
    assert_eq!(files, 5);

    // Relationships: JSON `hasFiles` and tag-value "files after a package" give the
    // same CONTAINS edges; the tag-value's explicit `SPDXRef-Package CONTAINS
    // SPDXRef-JenaLib` duplicates one of them. DESCRIBES, COPY_OF (external),
    // GENERATED_FROM and SPECIFICATION_FOR are not dependency edges.
    let expected: BTreeSet<(String, String)> = [
        ("SPDXRef-Package", "SPDXRef-Saxon"),
        ("SPDXRef-JenaLib", "SPDXRef-Package"),
        ("SPDXRef-Package", "SPDXRef-Specification"),
        ("SPDXRef-Package", "SPDXRef-CommonsLangSrc"),
        ("SPDXRef-Package", "SPDXRef-JenaLib"),
        ("SPDXRef-Package", "SPDXRef-DoapSource"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(edges(&j), expected);
    assert_eq!(edges(&t), expected);
}

#[test]
fn keycloak_json_and_xml_are_the_same_bom() {
    let j = load("large/cdx1.2-keycloak-10.0.2.json");
    let x = load("large/cdx1.2-keycloak-10.0.2.xml");
    assert_eq!(j.components.len(), 903);
    assert_eq!(x.components.len(), 903);
    // Compared one by one to keep a failure readable. Licence names wrapped over
    // two lines in the XML compare equal because whitespace runs are collapsed.
    for (a, b) in j.components.iter().zip(&x.components) {
        assert_eq!(a, b);
    }
    // Genuine difference: the JSON gives the metadata component type "application",
    // the XML "library". Everything else about the subject is equal.
    let (mut js, xs) = (j.subject.clone().unwrap(), x.subject.clone().unwrap());
    assert_eq!(
        (js.kind.as_str(), xs.kind.as_str()),
        ("application", "library")
    );
    js.kind = xs.kind.clone();
    assert_eq!(js, xs);
    assert_eq!(j.dependencies, x.dependencies);
    assert_eq!(j.dependencies.len(), 994);
    assert!(j.problems.is_empty() && x.problems.is_empty());
    assert_eq!(
        (j.serial.as_deref(), j.created.as_deref(), j.tools.clone()),
        (x.serial.as_deref(), x.created.as_deref(), x.tools.clone())
    );
    // 756 components name a publisher, which stands in for the missing supplier.
    assert_eq!(
        j.components.iter().filter(|c| c.supplier.is_some()).count(),
        756
    );
    let algs: BTreeSet<&str> = j
        .components
        .iter()
        .flat_map(|c| c.hashes.iter().map(|h| h.alg.as_str()))
        .collect();
    assert_eq!(
        algs,
        BTreeSet::from([
            "MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-384", "SHA3-512"
        ])
    );
}

#[test]
fn juice_shop_flat() {
    let d = load("large/cdx1.4-juice-shop-npm-flat.json");
    assert_eq!(d.components.len(), 1115);
    assert_eq!(d.dependencies.len(), 1775);
    assert!(
        d.problems.is_empty(),
        "{:?}",
        &d.problems[..d.problems.len().min(5)]
    );
    assert!(d
        .components
        .iter()
        .all(|c| c.purl.as_ref().is_some_and(|p| p.ty == "npm")));
    assert!(d.components.iter().all(|c| c.path.is_empty()));
    // Licences come as ids, names or expressions.
    assert!(d.components.iter().any(|c| !c.licenses.is_empty()));
}

#[test]
fn ntia_on_real_files() {
    let juice = otproof_sbom::ntia(&load("large/cdx1.4-juice-shop-npm-flat.json"));
    assert!(!juice.passed());
    let el = |r: &otproof_sbom::NtiaReport, n: &str| r.element(n).unwrap().clone();
    assert!(el(&juice, "name").ok);
    assert!(el(&juice, "unique identifier").ok);
    assert!(el(&juice, "dependency relationship").ok);
    assert!(!el(&juice, "supplier").ok);
    assert_eq!(
        el(&juice, "supplier").missing.len(),
        1116,
        "1115 components + subject"
    );
    assert_eq!(el(&juice, "timestamp").missing, vec!["document"]);
    assert_eq!(el(&juice, "author").missing, vec!["document"]);

    let spdx = otproof_sbom::ntia(&load("spdx/SPDXJSONExample-v2.3.spdx.json"));
    assert!(el(&spdx, "author").ok && el(&spdx, "timestamp").ok);
    assert!(el(&spdx, "dependency relationship").ok);
    // Packages only (files are skipped): fromDoap-1 has no version nor identifier.
    assert_eq!(el(&spdx, "version").missing, vec!["SPDXRef-fromDoap-1"]);
    assert_eq!(
        el(&spdx, "unique identifier").missing,
        vec!["SPDXRef-fromDoap-1", "SPDXRef-Saxon"]
    );
    assert_eq!(spdx.elements.len(), 7);
}
