//! DSSE envelopes: PAE, round trips, tamper detection, parsing errors; property tests.

#![allow(clippy::unwrap_used)] // tests may unwrap

use otproof_sign::dsse::{self, pae, Envelope};
use otproof_sign::{Alg, SignError, SigningKey};
use proptest::prelude::*;
use std::sync::OnceLock;

fn keys() -> &'static [SigningKey; 2] {
    static K: OnceLock<[SigningKey; 2]> = OnceLock::new();
    K.get_or_init(|| {
        [
            SigningKey::generate(Alg::Ed25519).unwrap(),
            SigningKey::generate(Alg::P256).unwrap(),
        ]
    })
}

#[test]
fn pae_matches_spec_example() {
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
    );
    assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
}

#[test]
fn json_round_trip_and_verify() {
    for k in keys() {
        let env = dsse::sign("application/x", b"{\"a\":1}", k);
        let json = env.to_json();
        let back = Envelope::from_json(&json).unwrap();
        assert_eq!(back, env);
        let v = dsse::verify(&back, &[k.verifying_key()]).unwrap();
        assert_eq!(v.payload, b"{\"a\":1}");
        assert_eq!(v.key_id, k.verifying_key().key_id());
    }
}

#[test]
fn keyid_selection() {
    let [ed, p] = keys();
    let mut env = dsse::sign("t", b"x", ed);
    // wrong key only
    let e = dsse::verify(&env, &[p.verifying_key()]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("signature: none of the envelope's 1 signature(s)"),
        "{e}"
    );
    // empty keyid: all keys tried
    env.signatures[0].keyid.clear();
    assert_eq!(
        dsse::verify(&env, &[p.verifying_key(), ed.verifying_key()])
            .unwrap()
            .key_id,
        ed.verifying_key().key_id()
    );
    // a keyid naming another key is not tried against this one
    env.signatures[0].keyid = p.verifying_key().key_id();
    assert!(dsse::verify(&env, &[ed.verifying_key()]).is_err());
    // second signature valid is enough
    let mut two = dsse::sign("t", b"x", p);
    two.signatures.insert(
        0,
        dsse::Signature {
            keyid: String::new(),
            sig: vec![0; 64],
        },
    );
    assert!(dsse::verify(&two, &[p.verifying_key()]).is_ok());
    // no signatures / no keys
    let none = Envelope {
        payload_type: "t".into(),
        payload: b"x".to_vec(),
        signatures: vec![],
    };
    assert!(matches!(
        dsse::verify(&none, &[p.verifying_key()]),
        Err(SignError::Signature(_))
    ));
    assert!(dsse::verify(&two, &[]).is_err());
    // payload type is authenticated
    let mut t = dsse::sign("t", b"x", p);
    t.payload_type = "u".into();
    assert!(dsse::verify(&t, &[p.verifying_key()]).is_err());
}

#[test]
fn parse_errors_name_the_field() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "parse DSSE envelope: $: expected a JSON object"),
        (
            b"[]",
            "parse DSSE envelope: $: expected a JSON object, found array",
        ),
        (
            br#"{"payload":"","signatures":[]}"#,
            "parse DSSE envelope: payloadType: expected a string (field missing)",
        ),
        (
            br#"{"payloadType":1,"payload":"","signatures":[]}"#,
            "parse DSSE envelope: payloadType: expected a string, found number",
        ),
        (
            br#"{"payloadType":"t","payload":"!!","signatures":[]}"#,
            "parse DSSE envelope: payload: expected base64 (standard or URL-safe)",
        ),
        (
            br#"{"payloadType":"t","payload":"","signatures":{}}"#,
            "parse DSSE envelope: signatures: expected an array, found object",
        ),
        (
            br#"{"payloadType":"t","payload":"","signatures":[{"keyid":"k"}]}"#,
            "parse DSSE envelope: signatures[0].sig: expected a string (field missing)",
        ),
        (
            br#"{"payloadType":"t","payload":"","signatures":[{"keyid":"k","sig":"%"}]}"#,
            "parse DSSE envelope: signatures[0].sig: expected base64 (standard or URL-safe)",
        ),
        (
            br#"{"payloadType":"t","payload":"","signatures":[3]}"#,
            "parse DSSE envelope: signatures[0]: expected an object, found number",
        ),
    ];
    for (input, want) in cases {
        let e = Envelope::from_json(input).unwrap_err().to_string();
        assert!(e.starts_with(want), "{e:?} should start with {want:?}");
    }
    // URL-safe and unpadded base64 are accepted; keyid may be absent
    let env =
        Envelope::from_json(br#"{"payloadType":"t","payload":"-_8","signatures":[{"sig":"AA"}]}"#)
            .unwrap();
    assert_eq!(env.payload, vec![0xfb, 0xff]);
    assert_eq!(env.signatures[0].keyid, "");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip_both_algs(payload in proptest::collection::vec(any::<u8>(), 0..512), ptype in "[a-z/+.-]{0,40}", which in 0usize..2) {
        let k = &keys()[which];
        let env = dsse::sign(&ptype, &payload, k);
        let parsed = Envelope::from_json(&env.to_json()).unwrap();
        let v = dsse::verify(&parsed, &[k.verifying_key()]).unwrap();
        prop_assert_eq!(v.payload, payload);
        prop_assert_eq!(v.payload_type, ptype);
    }

    #[test]
    fn single_byte_change_fails(payload in proptest::collection::vec(any::<u8>(), 1..256), which in 0usize..2, pos in any::<prop::sample::Index>(), flip in 1u8..=255, in_sig in any::<bool>()) {
        let k = &keys()[which];
        let mut env = dsse::sign("application/vnd.test", &payload, k);
        if in_sig {
            let i = pos.index(env.signatures[0].sig.len());
            env.signatures[0].sig[i] ^= flip;
        } else {
            let i = pos.index(env.payload.len());
            env.payload[i] ^= flip;
        }
        prop_assert!(dsse::verify(&env, &[k.verifying_key()]).is_err());
    }

    #[test]
    fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Envelope::from_json(&bytes);
    }

    #[test]
    fn parsing_never_panics_on_jsonish(s in r#"\{("(payloadType|payload|signatures|keyid|sig)":(\[|\{|"[A-Za-z0-9+/=_-]{0,12}"|[0-9]|null|true),?){0,6}(\]|\})*"#) {
        let _ = Envelope::from_json(s.as_bytes());
    }
}
