//! Malformed and hostile inputs: every one yields a located error or problems, never a
//! panic or a stack overflow.

use otproof_sbom::{detect, parse, parse_as, Format, SbomError};

fn err(input: &str) -> SbomError {
    parse(input.as_bytes()).expect_err("should be rejected")
}

#[test]
fn empty_and_unknown() {
    assert!(matches!(err(""), SbomError::UnknownFormat(_)));
    assert!(matches!(err("   \n"), SbomError::UnknownFormat(_)));
    assert!(matches!(err("hello"), SbomError::UnknownFormat(_)));
    assert!(matches!(err("{\"foo\": 1}"), SbomError::UnknownFormat(_)));
    assert!(matches!(err("[1,2]"), SbomError::UnknownFormat(_)));
    let spdx3 = r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}"#;
    assert!(err(spdx3).to_string().contains("SPDX 3.0"));
}

#[test]
fn detection() {
    assert_eq!(
        detect(br#"{"bomFormat":"CycloneDX"}"#).unwrap(),
        Format::CycloneDxJson
    );
    assert_eq!(
        detect(b"\xEF\xBB\xBF {\"spdxVersion\":\"SPDX-2.3\"}").unwrap(),
        Format::SpdxJson
    );
    assert_eq!(
        detect(b"<?xml version=\"1.0\"?><bom/>").unwrap(),
        Format::CycloneDxXml
    );
    assert_eq!(
        detect(b"# comment\n\nSPDXVersion: SPDX-2.2\n").unwrap(),
        Format::SpdxTagValue
    );
    // A CycloneDX document mentioning "spdxVersion" inside a string is still CycloneDX.
    let both = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"name":"\"spdxVersion\""}}}"#;
    assert_eq!(detect(both).unwrap(), Format::CycloneDxJson);
}

#[test]
fn truncated_json_says_where() {
    let e = err("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"components\": [");
    match e {
        SbomError::JsonSyntax { line, column, .. } => assert_eq!((line, column), (1, 64)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_types_name_the_path() {
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
        {"type":"library","name":"a"},{"type":"library","name":"b"},{"type":"library","name":"c"},
        {"type":"library","name":"d","version":3}]}"#;
    assert_eq!(
        err(doc).to_string(),
        "components[3].version: expected a string, found a number"
    );
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","components":[{"name":"b","hashes":[{"alg":"SHA-1","content":false}]}]}]}"#;
    assert_eq!(
        err(doc).to_string(),
        "components[0].components[0].hashes[0].content: expected a string, found a boolean"
    );
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","dependencies":[{"ref":"a","dependsOn":"b"}]}"#;
    assert_eq!(
        err(doc).to_string(),
        "dependencies[0].dependsOn: expected an array, found a string"
    );
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":1.5}"#;
    assert_eq!(
        err(doc).to_string(),
        "specVersion: expected a string, found a number"
    );
    let doc = r#"{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-a","name":"a","externalRefs":[{"referenceType":"purl","referenceLocator":7}]}]}"#;
    assert_eq!(
        err(doc).to_string(),
        "packages[0].externalRefs[0].referenceLocator: expected a string, found a number"
    );
    let doc = r#"{"bomFormat":"SPDX","specVersion":"1.5"}"#;
    assert!(err(doc)
        .to_string()
        .starts_with("bomFormat: expected \"CycloneDX\""));
}

fn nested_json(depth: usize) -> String {
    let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":["#);
    for i in 0..depth {
        s.push_str(&format!(
            r#"{{"bom-ref":"c{i}","name":"n{i}","components":["#
        ));
    }
    for _ in 0..depth {
        s.push_str("]}");
    }
    s.push_str("]}");
    s
}

#[test]
fn nested_components_are_flattened_with_paths() {
    let d = parse(nested_json(5).as_bytes()).unwrap();
    assert_eq!(d.components.len(), 5);
    assert_eq!(d.components[3].path, vec!["c0", "c1", "c2"]);
    assert!(d.components[0].path.is_empty());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // JSON: serde_json's recursion limit or ours, whichever comes first.
    for depth in [70, 100, 10_000] {
        let e = parse(nested_json(depth).as_bytes()).unwrap_err();
        assert!(
            e.to_string().contains("recursion limit") || e.to_string().contains("nested deeper"),
            "{e}"
        );
    }
    // JSON arrays nested 100k deep.
    let s = "[".repeat(100_000);
    assert!(parse_as(s.as_bytes(), Format::CycloneDxJson).is_err());
    // XML: components nested 100 deep exceed the component depth limit...
    let mut x = String::from(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>"#);
    for i in 0..100 {
        x.push_str(&format!(
            r#"<component type="library" bom-ref="c{i}"><name>n</name><components>"#
        ));
    }
    for _ in 0..100 {
        x.push_str("</components></component>");
    }
    x.push_str("</components></bom>");
    let e = parse(x.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("nested deeper than 64"), "{e}");
    // ...and 100k nested elements exceed the element depth limit.
    let x = format!(
        r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4">{}"#,
        "<a>".repeat(100_000)
    );
    let e = parse(x.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("nested deeper than 256"), "{e}");
}

#[test]
fn xml_entities_are_never_expanded() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE bom [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>&lol3;</name></component></components></bom>"#;
    let e = err(laughs);
    assert!(matches!(e, SbomError::XmlSyntax { .. }), "{e:?}");
    assert!(e.to_string().contains("DOCTYPE"), "{e}");
    // An undeclared entity without a DOCTYPE is refused too.
    let x = r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>&xxe;</name></component></components></bom>"#;
    assert!(err(x).to_string().contains("undefined entity '&xxe;'"));
    // Predefined entities and character references are fine.
    let x = r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>a&amp;b&#x41;&#66;</name></component></components></bom>"#;
    assert_eq!(parse(x.as_bytes()).unwrap().components[0].name, "a&bAB");
}

#[test]
fn xml_structure_errors() {
    let e = err(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>"#);
    assert!(matches!(e, SbomError::XmlSyntax { .. }), "{e:?}");
    let e = err(r#"<bom xmlns="http://example.com/other"/>"#);
    assert!(
        e.to_string().contains("expected the CycloneDX namespace"),
        "{e}"
    );
    let e = err(r#"<sbom xmlns="http://cyclonedx.org/schema/bom/1.4"/>"#);
    assert!(
        e.to_string().contains("expected the root element <bom>"),
        "{e}"
    );
    let e = err(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><a></b></bom>"#);
    assert!(matches!(e, SbomError::XmlSyntax { .. }), "{e:?}");
    let e = parse(b"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\xff</bom>").unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    // 1.0 namespace, prefixed elements.
    let d = parse(br#"<cdx:bom xmlns:cdx="http://cyclonedx.org/schema/bom/1.0"><cdx:components><cdx:component type="library"><cdx:name>x</cdx:name><cdx:version>1</cdx:version></cdx:component></cdx:components></cdx:bom>"#).unwrap();
    assert_eq!(d.spec_version, "1.0");
    assert_eq!(d.components[0].version.as_deref(), Some("1"));
}

#[test]
fn problems_not_errors() {
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.5",
      "metadata":{"component":{"bom-ref":"root","name":"root"}},
      "components":[
        {"bom-ref":"a","name":"a","purl":"pkg:npm/","hashes":[{"alg":"CRC32","content":"ABCD"},{"alg":"SHA-256","content":"XYZ"}]},
        {"bom-ref":"a","name":"a2"},
        {"name":"noref"}],
      "dependencies":[{"ref":"root","dependsOn":["a","ghost"]}]}"#;
    let d = parse(doc.as_bytes()).unwrap();
    assert_eq!(d.components.len(), 3);
    assert_eq!(d.components[2].bom_ref, "otproof:component/2");
    assert_eq!(d.components[0].hashes[0].alg, "CRC32");
    assert_eq!(d.components[0].hashes[0].value, "abcd");
    let msgs: Vec<String> = d
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect();
    assert_eq!(
        msgs,
        vec![
            "components[0].purl: malformed purl 'pkg:npm/': missing package name",
            "components[0].hashes[0]: unknown hash algorithm 'CRC32'",
            "components[0].hashes[1]: SHA-256 hash value is not hexadecimal",
            "components[1]: duplicate bom-ref 'a' (first at components[0])",
            "dependencies[0].dependsOn[1]: dependency refers to unknown bom-ref 'ghost'",
        ]
    );
}

const TV_HEAD: &str =
    "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: t\n";

#[test]
fn tag_value_errors_and_problems_have_line_numbers() {
    let e = err(&format!(
        "{TV_HEAD}PackageName: a\nthis line has no colon\n"
    ));
    assert_eq!(
        e.to_string(),
        "line 6: expected 'Tag: value', found 'this line has no colon'"
    );
    let e = err(&format!(
        "{TV_HEAD}PackageName: a\nPackageDescription: <text>never\nclosed\n"
    ));
    assert!(
        e.to_string()
            .starts_with("line 6: the <text> value of 'PackageDescription'"),
        "{e}"
    );
    let e = err("SPDXVersion: SPDX-3.0\n");
    assert!(
        e.to_string().contains("expected 'SPDXVersion: SPDX-2.2'"),
        "{e}"
    );
    let d = parse(
        format!(
            "{TV_HEAD}Foo: bar\nPackageVersion: 1\nPackageName: a\nSPDXID: SPDXRef-a\n\
             PackageChecksum: SHA256 deadbeef\nExternalRef: PACKAGE-MANAGER purl pkg:npm/a@1\n\
             Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-a\nRelationship: SPDXRef-a DEPENDS_ON\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let msgs: Vec<String> = d
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect();
    assert_eq!(
        msgs,
        vec![
            "line 5: unknown tag 'Foo'",
            "line 6: 'PackageVersion' outside a package section is ignored",
            "line 9: expected a checksum 'ALGORITHM: value'",
            "line 12: expected 'Relationship: ELEMENT TYPE ELEMENT', found 'SPDXRef-a DEPENDS_ON'",
        ]
    );
    assert_eq!(d.subject.as_ref().unwrap().bom_ref, "SPDXRef-a");
    assert_eq!(d.subject.as_ref().unwrap().purl.as_ref().unwrap().name, "a");
    let e = parse(b"SPDXVersion: SPDX-2.3\nPackageName: \xff\n").unwrap_err();
    assert_eq!(e.to_string(), "line 2: the input is not UTF-8");
}

#[test]
fn spdx_relationship_directions() {
    let doc = r#"{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT","name":"d",
      "creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Organization: ACME ()","Tool: x-1"]},
      "packages":[{"SPDXID":"SPDXRef-app","name":"app","versionInfo":"1","supplier":"Organization: ACME"},
                  {"SPDXID":"SPDXRef-lib","name":"lib","versionInfo":"2","supplier":"NOASSERTION",
                   "externalRefs":[{"referenceCategory":"SECURITY","referenceType":"cpe22Type","referenceLocator":"cpe:/a:x:lib:2"}]}],
      "relationships":[
        {"spdxElementId":"SPDXRef-app","relationshipType":"DESCRIBED_BY","relatedSpdxElement":"SPDXRef-DOCUMENT"},
        {"spdxElementId":"SPDXRef-lib","relationshipType":"DEPENDENCY_OF","relatedSpdxElement":"SPDXRef-app"},
        {"spdxElementId":"SPDXRef-app","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-lib"},
        {"spdxElementId":"SPDXRef-app","relationshipType":"DEPENDS_ON","relatedSpdxElement":"DocumentRef-other:SPDXRef-x"},
        {"spdxElementId":"SPDXRef-app","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-missing"}]}"#;
    let d = parse(doc.as_bytes()).unwrap();
    assert_eq!(d.spec_version, "SPDX-2.2");
    assert_eq!(d.authors, vec!["ACME"]);
    assert_eq!(d.tools, vec!["x-1"]);
    let s = d.subject.as_ref().unwrap();
    assert_eq!(
        (s.bom_ref.as_str(), s.supplier.as_deref()),
        ("SPDXRef-app", Some("ACME"))
    );
    assert_eq!(d.components[0].cpe.as_deref(), Some("cpe:/a:x:lib:2"));
    let e: Vec<(&str, &str)> = d
        .dependencies
        .iter()
        .map(|x| (x.from.as_str(), x.to.as_str()))
        .collect();
    assert_eq!(
        e,
        vec![
            ("SPDXRef-app", "SPDXRef-lib"),
            ("SPDXRef-app", "SPDXRef-missing")
        ]
    );
    assert_eq!(d.problems.len(), 1);
    assert!(d.problems[0].message.contains("SPDXRef-missing"));
    let report = otproof_sbom::ntia(&d);
    assert_eq!(
        report.element("supplier").unwrap().missing,
        vec!["SPDXRef-lib"]
    );
    assert!(report
        .element("unique identifier")
        .unwrap()
        .missing
        .contains(&"SPDXRef-app".to_string()));
}

#[test]
fn errors_serialize() {
    let e = err("{\"bomFormat\": \"CycloneDX\", ");
    let j = serde_json::to_string(&e).unwrap();
    assert!(j.contains("JsonSyntax"));
}
