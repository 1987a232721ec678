//! VEX parsing (CycloneDX JSON/XML, OpenVEX, CSAF): never panic; matching on what parsed never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = otproof_vex::parse(data) {
        let ids: Vec<String> = doc.statements.iter().map(|s| s.vulnerability.clone()).collect();
        let mut set = otproof_vex::VexSet::new();
        set.add(doc);
        let target = otproof_vex::Target {
            purl: Some("pkg:npm/a@1.0.0?arch=x86_64"),
            cpe: Some("cpe:2.3:a:acme:a:1.0.0:*:*:*:*:*:*:*"),
            bom_ref: Some("urn:cdx:00000000-0000-0000-0000-000000000000/1#a"),
            name: "a",
            version: Some("1.0.0"),
        };
        for id in ids.iter().take(8) {
            let _ = set.resolve(&[id.as_str()], Some(&target), &target);
        }
        let _ = set.conflicts();
    }
});
