//! Keys, PEM round trips, key ids and the private key file helpers.

#![allow(clippy::unwrap_used)] // tests may unwrap

use otproof_sign::{read_private_key, write_private_key, Alg, SignError, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("otproof-sign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn pem_round_trips_and_sign_verify() {
    for alg in [Alg::Ed25519, Alg::P256] {
        let sk = SigningKey::generate(alg).unwrap();
        assert_eq!(sk.alg(), alg);
        let pem = sk.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let sk2 = SigningKey::from_pkcs8_pem(&pem).unwrap();
        let vk = sk.verifying_key();
        assert_eq!(sk2.verifying_key(), vk);
        let pub_pem = vk.to_pem();
        assert!(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let vk2 = VerifyingKey::from_pem(&pub_pem).unwrap();
        assert_eq!(vk2, vk);
        assert_eq!(vk.alg(), alg);
        let der = vk.to_spki_der();
        assert_eq!(VerifyingKey::from_spki_der(&der).unwrap(), vk);
        let id = vk.key_id();
        assert_eq!(
            id,
            Sha256::digest(&der)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let sig = sk.sign(b"hello");
        match alg {
            Alg::Ed25519 => assert_eq!(sig.len(), 64),
            Alg::P256 => assert_eq!(sig[0], 0x30, "DER SEQUENCE"),
        }
        vk.verify(b"hello", &sig).unwrap();
        assert!(matches!(
            vk.verify(b"hellO", &sig),
            Err(SignError::Signature(_))
        ));
        let other = SigningKey::generate(alg).unwrap().verifying_key();
        assert!(other.verify(b"hello", &sig).is_err());
    }
}

#[test]
fn debug_never_shows_private_key() {
    for alg in [Alg::Ed25519, Alg::P256] {
        let sk = SigningKey::generate(alg).unwrap();
        let dbg = format!("{sk:?} {sk:#?}");
        assert!(dbg.contains("<redacted>"));
        let pem = sk.to_pkcs8_pem().unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!dbg.contains(&body[..20]));
    }
}

#[test]
fn bad_pem_is_an_error() {
    assert!(matches!(
        SigningKey::from_pkcs8_pem("nope"),
        Err(SignError::Key(_))
    ));
    assert!(matches!(
        VerifyingKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        Err(SignError::Key(_))
    ));
    // a private key is not a public key
    let sk = SigningKey::generate(Alg::Ed25519).unwrap();
    assert!(VerifyingKey::from_pem(&sk.to_pkcs8_pem().unwrap()).is_err());
}

#[cfg(unix)]
#[test]
fn key_files_are_0600_new_and_checked() {
    use std::os::unix::fs::PermissionsExt as _;
    let d = tmpdir("keys");
    let p = d.join("k.pem");
    let sk = SigningKey::generate(Alg::P256).unwrap();
    write_private_key(&p, &sk).unwrap();
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        read_private_key(&p).unwrap().verifying_key(),
        sk.verifying_key()
    );

    let e = write_private_key(&p, &SigningKey::generate(Alg::Ed25519).unwrap()).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(
        read_private_key(&p).unwrap().verifying_key(),
        sk.verifying_key(),
        "not overwritten"
    );

    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    let e = read_private_key(&p).unwrap_err();
    let s = e.to_string();
    assert!(matches!(e, SignError::KeyPermissions { mode: 0o640, .. }));
    assert!(
        s.starts_with("key permissions: ")
            && s.contains(&p.display().to_string())
            && s.contains("0600"),
        "{s}"
    );
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
    read_private_key(&p).unwrap();

    assert!(matches!(
        read_private_key(&d.join("missing")),
        Err(SignError::Io { .. })
    ));
    let junk = d.join("junk.pem");
    std::fs::write(&junk, "junk").unwrap();
    std::fs::set_permissions(&junk, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = read_private_key(&junk).unwrap_err();
    assert!(
        matches!(e, SignError::Key(_)) && e.to_string().contains("junk.pem"),
        "{e}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}
