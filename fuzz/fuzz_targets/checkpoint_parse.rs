//! Checkpoint parsing: never panics; what parses prints back to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_ledger::checkpoint::Checkpoint;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cp) = Checkpoint::parse(text) {
            assert_eq!(Checkpoint::parse(&cp.to_text()), Ok(cp));
        }
    }
});
