//! CMS detached-signature verification: never panics on any signature bytes (DER or PEM), with
//! or without a caller time. The first byte picks the variant; the rest is the signature.
//! Registering it needs, in fuzz/Cargo.toml: `otproof-cms = { path = "../crates/cms" }` and a
//! `[[bin]] name = "cms_signature"` entry like the others.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, sig)) = data.split_first() else {
        return;
    };
    let at = if mode & 1 == 0 { None } else { Some(1_795_651_200) };
    let _ = otproof_cms::verify_detached(b"firmware image", sig, &[], at);
    if mode & 2 != 0 {
        // The same bytes as a trust-anchor PEM bundle.
        if let Ok(anchors) = otproof_cms::TrustAnchor::from_pem(sig) {
            let _ = otproof_cms::verify_detached(b"firmware image", sig, &anchors, at);
        }
    }
});
