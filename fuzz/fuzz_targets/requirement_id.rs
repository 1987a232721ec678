//! Requirement-ID lookup and the other user-text parsers of the catalog: never panic, and a
//! found requirement is found again by its own ID.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_catalog::{Catalog, ComponentType, MaturityLevel, Standard};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let c = Catalog::builtin();
        if let Some(r) = c.get(text) {
            assert_eq!(c.get(&r.id).map(|x| &x.id), Some(&r.id));
        }
        let _ = c.suggest(text);
        let _ = text.parse::<ComponentType>();
        let _ = text.parse::<Standard>();
        let _ = text.parse::<MaturityLevel>();
    }
});
