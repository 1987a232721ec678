#![no_main]
// Any UTF-8 string: purl parsing must not panic, and a parsed purl must round-trip.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = otproof_sbom::Purl::parse(s) {
            let shown = p.to_string();
            assert_eq!(otproof_sbom::Purl::parse(&shown).ok(), Some(p), "{shown}");
        }
    }
});
