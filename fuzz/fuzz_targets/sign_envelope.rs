//! Fuzz `otproof_sign::Envelope::from_json`: must never panic; whatever parses must survive a
//! `to_json` / `from_json` round trip unchanged, and verification with a fixed key must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_sign::{dsse, Envelope, VerifyingKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = Envelope::from_json(data) {
        let again = Envelope::from_json(&env.to_json()).expect("re-parse of serialized envelope");
        assert_eq!(again, env);
        if let Ok(key) = VerifyingKey::from_ed25519_bytes(&[
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
            0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
        ]) {
            let _ = dsse::verify(&env, &[key]);
        }
    }
});
