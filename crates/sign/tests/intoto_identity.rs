//! Release statements (in-toto Statement v1 in DSSE) and device identities.

#![allow(clippy::unwrap_used)] // tests may unwrap

use otproof_sign::dsse;
use otproof_sign::identity::{
    register, verify_identity, verify_signed_by_identity, IdentityStatement, IDENTITY_PAYLOAD_TYPE,
};
use otproof_sign::intoto::{
    release_statement, sign_statement, verify_release, Artifact, ReleasePredicate, SbomRef,
    PAYLOAD_TYPE, RELEASE_PREDICATE_TYPE,
};
use otproof_sign::{Alg, SignError, SigningKey};
use serde_json::json;
use sha2::{Digest, Sha256};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn predicate() -> ReleasePredicate {
    ReleasePredicate {
        product: "RIO-2000".into(),
        version: "1.2.3".into(),
        sbom: Some(SbomRef {
            name: "rio.cdx.json".into(),
            sha256: hex(&Sha256::digest(b"sbom")),
        }),
        evidence: vec!["SR-1.1/rec-1".into(), "SR-3.4/rec-7".into()],
        build: Some(json!({"builder": "ci", "commit": "abc"})),
        created: "2025-05-01T12:00:00Z".into(),
    }
}

#[test]
fn release_round_trip() {
    let artifact = b"firmware image";
    for alg in [Alg::Ed25519, Alg::P256] {
        let k = SigningKey::generate(alg).unwrap();
        let st = release_statement("fw.bin", &hex(&Sha256::digest(artifact)), predicate()).unwrap();
        let env = sign_statement(&st, &k).unwrap();
        assert_eq!(env.payload_type, PAYLOAD_TYPE);
        let v: serde_json::Value = serde_json::from_slice(&env.payload).unwrap();
        assert_eq!(v["_type"], "https://in-toto.io/Statement/v1");
        assert_eq!(v["predicateType"], RELEASE_PREDICATE_TYPE);
        assert_eq!(
            v["subject"][0]["digest"]["sha256"],
            hex(&Sha256::digest(artifact))
        );
        let env = dsse::Envelope::from_json(&env.to_json()).unwrap();
        let (st2, pred) =
            verify_release(&env, &[k.verifying_key()], Artifact::Bytes(artifact)).unwrap();
        assert_eq!(st2, st);
        assert_eq!(pred, predicate());
        let upper = hex(&Sha256::digest(artifact)).to_uppercase();
        verify_release(&env, &[k.verifying_key()], Artifact::Sha256Hex(&upper)).unwrap();
    }
}

#[test]
fn release_rejections() {
    let k = SigningKey::generate(Alg::Ed25519).unwrap();
    let d = hex(&Sha256::digest(b"fw"));
    let env = sign_statement(&release_statement("fw.bin", &d, predicate()).unwrap(), &k).unwrap();
    // wrong artifact
    let e = verify_release(&env, &[k.verifying_key()], Artifact::Bytes(b"other")).unwrap_err();
    let other = hex(&Sha256::digest(b"other"));
    assert_eq!(e.to_string(), format!("digest: artifact digest {other} is not a subject of the statement (subjects: fw.bin sha256:{d})"));
    // wrong key
    let k2 = SigningKey::generate(Alg::P256).unwrap();
    assert!(matches!(
        verify_release(&env, &[k2.verifying_key()], Artifact::Bytes(b"fw")),
        Err(SignError::Signature(_))
    ));
    // wrong payload type, correctly signed
    let bad = dsse::sign("application/json", &env.payload, &k);
    assert!(matches!(
        verify_release(&bad, &[k.verifying_key()], Artifact::Bytes(b"fw")),
        Err(SignError::PayloadType { .. })
    ));
    // wrong predicate type
    let mut st = release_statement("fw.bin", &d, predicate()).unwrap();
    st.predicate_type = "https://slsa.dev/provenance/v1".into();
    let e = verify_release(
        &sign_statement(&st, &k).unwrap(),
        &[k.verifying_key()],
        Artifact::Bytes(b"fw"),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("statement: predicateType"), "{e}");
    // malformed inputs
    assert!(release_statement("fw.bin", "abc", predicate()).is_err());
    let mut p = predicate();
    p.created = "yesterday".into();
    assert!(release_statement("fw.bin", &d, p).is_err());
    assert!(verify_release(&env, &[k.verifying_key()], Artifact::Sha256Hex("zz")).is_err());
}

fn identity(device: &SigningKey) -> IdentityStatement {
    IdentityStatement {
        name: "plc-7".into(),
        product: "RIO-2000".into(),
        serial: "SN-0042".into(),
        device_key: device.verifying_key().to_pem(),
        vendor: "ACME Automation".into(),
        issued: "2025-05-01T12:00:00Z".into(),
    }
}

#[test]
fn identity_round_trip() {
    let vendor = SigningKey::generate(Alg::P256).unwrap();
    let device = SigningKey::generate(Alg::Ed25519).unwrap();
    let env = register(&identity(&device), &vendor).unwrap();
    assert_eq!(env.payload_type, IDENTITY_PAYLOAD_TYPE);
    let env = dsse::Envelope::from_json(&env.to_json()).unwrap();
    let id = verify_identity(&env, &[vendor.verifying_key()]).unwrap();
    assert_eq!(id, identity(&device));
    let data = dsse::sign(
        "application/vnd.otproof.reading+json",
        b"{\"t\":21}",
        &device,
    );
    let v = verify_signed_by_identity(&id, &data).unwrap();
    assert_eq!(v.key_id, device.verifying_key().key_id());
}

#[test]
fn identity_rejections() {
    let vendor = SigningKey::generate(Alg::Ed25519).unwrap();
    let device = SigningKey::generate(Alg::P256).unwrap();
    let env = register(&identity(&device), &vendor).unwrap();
    // not the vendor
    let other = SigningKey::generate(Alg::Ed25519).unwrap();
    assert!(matches!(
        verify_identity(&env, &[other.verifying_key()]),
        Err(SignError::Signature(_))
    ));
    // vendor-signed but not an identity
    let st = dsse::sign("application/vnd.in-toto+json", &env.payload, &vendor);
    assert!(matches!(
        verify_identity(&st, &[vendor.verifying_key()]),
        Err(SignError::PayloadType { .. })
    ));
    // data signed by another device
    let id = verify_identity(&env, &[vendor.verifying_key()]).unwrap();
    let data = dsse::sign("t", b"x", &other);
    let e = verify_signed_by_identity(&id, &data).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "signature: not signed by the registered device key of plc-7 (serial SN-0042)"
        ),
        "{e}"
    );
    // invalid statements are not registered
    let mut bad = identity(&device);
    bad.device_key = "not a key".into();
    assert!(matches!(
        register(&bad, &vendor),
        Err(SignError::Identity(_))
    ));
    let mut bad = identity(&device);
    bad.serial = " ".into();
    assert!(register(&bad, &vendor).is_err());
    let mut bad = identity(&device);
    bad.issued = "2025-13-01T00:00:00Z".into();
    assert!(register(&bad, &vendor).is_err());
    // unknown fields in a vendor-signed payload are rejected
    let payload = br#"{"name":"a","product":"p","serial":"s","device_key":"k","vendor":"v","issued":"2025-01-01T00:00:00Z","admin":true}"#;
    let env = dsse::sign(IDENTITY_PAYLOAD_TYPE, payload, &vendor);
    assert!(matches!(
        verify_identity(&env, &[vendor.verifying_key()]),
        Err(SignError::Identity(_))
    ));
}
