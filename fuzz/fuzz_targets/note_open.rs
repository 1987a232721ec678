//! Signed-note opening: never panics on any bytes, with a known Ed25519 and RFC 6962 key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_ledger::note::{open, Verifier};

fuzz_target!(|data: &[u8]| {
    let keys: Vec<Verifier> = [
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "rome.ct.filippo.io/2024h1+78f4abae+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAFzPC3fap+uINc1RQ4eRbYMUt84+bKkA8GDLN8KwVdzAgYhYSv4kS8XSheGLAHCWhIJTJbuC3sL88bNMTtrsBM=",
    ]
    .iter()
    .filter_map(|k| Verifier::from_vkey(k).ok())
    .collect();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = open(text, &keys);
        let _ = Verifier::from_vkey(text);
        let _ = otproof_ledger::note::Signer::from_skey(text);
    }
});
