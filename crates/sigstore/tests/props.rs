//! Parsers never panic on arbitrary input.

use otproof_sigstore::{parse_certificate, Bundle, TrustedRoot};
use proptest::prelude::*;

fn bundle_v3() -> Vec<u8> {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("testdata/sigstore/bundle_v3.txt.sigstore");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn bundle_from_json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Bundle::from_json(&bytes);
        let _ = TrustedRoot::from_json(&bytes);
        let _ = parse_certificate(&bytes);
    }

    #[test]
    fn mutated_bundle_never_panics(pos in 0usize..6000, byte in any::<u8>(), cut in 0usize..6000) {
        let mut b = bundle_v3();
        let p = pos % b.len();
        b[p] = byte;
        b.truncate(cut.max(1));
        let _ = Bundle::from_json(&b);
    }

    #[test]
    fn mutated_certificate_never_panics(pos in 0usize..800, byte in any::<u8>()) {
        use base64::Engine as _;
        let v: serde_json::Value = serde_json::from_slice(&bundle_v3()).expect("test data");
        let raw = v["verificationMaterial"]["certificate"]["rawBytes"].as_str().expect("test data");
        let mut der = base64::engine::general_purpose::STANDARD.decode(raw).expect("test data");
        let p = pos % der.len();
        der[p] = byte;
        let _ = parse_certificate(&der);
    }
}
