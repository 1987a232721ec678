//! Fuzz in-toto layout/link parsing in `otproof_sign::layout`: metablock parsing, typed layout and
//! link parsing, canonical JSON, and a full verification attempt must never panic.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use otproof_sign::layout::{verify_layout, InTotoKey, Layout, LayoutVerifyOptions, Link, Metablock};

fuzz_target!(|data: &[u8]| {
    let Ok(mb) = Metablock::from_json(data) else { return };
    let _ = otproof_sign::canonical::canonical_json(&mb.signed);
    let _ = Link::from_value(&mb.signed);
    if let Ok(layout) = Layout::from_value(&mb.signed) {
        // Use the layout's own keys as "owner" keys and the input itself as every link file, so
        // signature, threshold and rule code paths are reached without panicking.
        let owners: Vec<InTotoKey> = layout.keys.values().cloned().collect();
        let mut links = BTreeMap::new();
        for step in &layout.steps {
            for kid in &step.pubkeys {
                let short: String = kid.chars().take(8).collect();
                links.insert(format!("{}.{short}.link", step.name), data.to_vec());
            }
        }
        for insp in &layout.inspect {
            links.insert(format!("{}.link", insp.name), data.to_vec());
        }
        let opts = LayoutVerifyOptions { now: "2000-01-01T00:00:00Z", allow_unrun_inspections: true };
        let _ = verify_layout(&mb, &owners, &links, &opts);
    }
});
