//! Real Sigstore bundles (from sigstore-python's test assets) against the staging and
//! production trusted roots.

use otproof_sigstore::{verify, Bundle, Policy, SigstoreError, TrustedRoot, Verified};

/// A file of the Sigstore test data in the repository's testdata/sigstore/.
fn data(name: &str) -> Vec<u8> {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("testdata/sigstore")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn root(name: &str) -> TrustedRoot {
    TrustedRoot::from_json(&data(name)).expect("trusted root parses")
}

fn run(
    artifact: &[u8],
    bundle_json: &[u8],
    root_name: &str,
    policy: &Policy,
) -> Result<Verified, SigstoreError> {
    let bundle = Bundle::from_json(bundle_json)?;
    verify(artifact, &bundle, &root(root_name), policy)
}

fn check_of(r: Result<Verified, SigstoreError>) -> (&'static str, String) {
    match r {
        Err(SigstoreError::Check { check, reason }) => (check, reason),
        other => panic!("expected a check failure, got {other:?}"),
    }
}

const STAGING: &str = "staging-trusted_root.json";
const PROD: &str = "prod-trusted_root.json";
const WILLIAM: &str = "william@yossarian.net";
const GITHUB: &str = "https://github.com/login/oauth";

fn pol(identity: &str, issuer: &str) -> Policy {
    Policy {
        identity: Some(identity.into()),
        issuer: Some(issuer.into()),
    }
}

#[test]
fn bundle_v3_verifies_with_staging() {
    let v = run(
        &data("bundle_v3.txt"),
        &data("bundle_v3.txt.sigstore"),
        STAGING,
        &pol(WILLIAM, GITHUB),
    )
    .expect("bundle_v3 verifies");
    assert_eq!(v.identity.as_deref(), Some(WILLIAM));
    assert_eq!(v.issuer.as_deref(), Some(GITHUB));
    assert_eq!(v.integrated_time, Some(1_712_085_549));
    assert_eq!(v.log_index, Some(25_915_956));
    for c in [
        "certificate chain",
        "signed certificate timestamp",
        "certificate validity",
        "extended key usage",
        "artifact digest",
        "artifact signature",
        "tlog entry body",
        "tlog log ID",
        "inclusion proof",
        "checkpoint signature",
        "signed entry timestamp",
        "identity",
        "issuer",
    ] {
        assert!(
            v.checks.iter().any(|s| s.starts_with(c)),
            "missing check {c}: {:#?}",
            v.checks
        );
    }
}

#[test]
fn bundle_v3_alt_media_type_verifies() {
    let b = Bundle::from_json(&data("bundle_v3_alt.txt.sigstore")).expect("parses");
    assert_eq!(
        b.media_type(),
        "application/vnd.dev.sigstore.bundle+json;version=0.3"
    );
    let v = verify(
        &data("bundle_v3_alt.txt"),
        &b,
        &root(STAGING),
        &pol(WILLIAM, GITHUB),
    )
    .expect("bundle_v3_alt verifies");
    assert_eq!(v.log_index, Some(25_915_997));
}

#[test]
fn cve_2022_36056_unrelated_log_entry_is_rejected() {
    let (check, reason) = check_of(run(
        &data("bundle_cve_2022_36056.txt"),
        &data("bundle_cve_2022_36056.txt.sigstore"),
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "tlog entry body", "{reason}");
    // Same artifact (identical input), but the entry records another signature.
    assert!(reason.contains("signature"), "{reason}");
    assert!(reason.contains("different signature"), "{reason}");
    assert!(reason.contains("different certificate"), "{reason}");
    assert!(!reason.contains("artifact digest"), "same input: {reason}");
}

#[test]
fn bundle_without_log_entry_is_rejected() {
    for r in [PROD, STAGING] {
        let (check, reason) = check_of(run(
            &data("bundle_no_log_entry.txt"),
            &data("bundle_no_log_entry.txt.sigstore"),
            r,
            &Policy::default(),
        ));
        assert_eq!(check, "no transparency log entry", "{reason}");
    }
}

#[test]
fn rekor_v2_entry_verifies_with_staging() {
    let v = run(
        &data("staging-rekor-v2.txt"),
        &data("staging-rekor-v2.txt.sigstore.json"),
        STAGING,
        &pol("jku@goto.fi", GITHUB),
    )
    .expect("rekor v2 bundle verifies");
    assert_eq!(v.integrated_time, None);
    assert_eq!(v.log_index, Some(645));
    assert!(
        v.checks.iter().any(|c| c.starts_with("signed timestamp 0")),
        "{:#?}",
        v.checks
    );
    assert!(
        v.checks
            .iter()
            .any(|c| c.starts_with("checkpoint signature 0")),
        "{:#?}",
        v.checks
    );
    assert!(!v
        .checks
        .iter()
        .any(|c| c.starts_with("signed entry timestamp")));
}

#[test]
fn changed_artifact_fails_digest_or_signature() {
    for (art, bun) in [
        ("bundle_v3.txt", "bundle_v3.txt.sigstore"),
        ("staging-rekor-v2.txt", "staging-rekor-v2.txt.sigstore.json"),
    ] {
        let mut a = data(art);
        a[10] ^= 1;
        let (check, reason) = check_of(run(&a, &data(bun), STAGING, &Policy::default()));
        assert_eq!(check, "artifact digest", "{reason}");
    }
}

#[test]
fn changed_artifact_without_message_digest_fails_signature() {
    let mut v: serde_json::Value =
        serde_json::from_slice(&data("bundle_v3.txt.sigstore")).expect("test data");
    v["messageSignature"]
        .as_object_mut()
        .expect("test data")
        .remove("messageDigest");
    let json = serde_json::to_vec(&v).expect("test data");
    // Unchanged artifact still verifies without messageDigest.
    run(&data("bundle_v3.txt"), &json, STAGING, &Policy::default()).expect("verifies");
    let mut a = data("bundle_v3.txt");
    a.push(b'\n');
    let (check, reason) = check_of(run(&a, &json, STAGING, &Policy::default()));
    assert_eq!(check, "artifact signature", "{reason}");
}

#[test]
fn wrong_identity_or_issuer_is_rejected() {
    let (check, reason) = check_of(run(
        &data("bundle_v3.txt"),
        &data("bundle_v3.txt.sigstore"),
        STAGING,
        &pol("mallory@example.com", GITHUB),
    ));
    assert_eq!(check, "identity", "{reason}");
    assert!(reason.contains(WILLIAM));
    let (check, reason) = check_of(run(
        &data("bundle_v3.txt"),
        &data("bundle_v3.txt.sigstore"),
        STAGING,
        &pol(WILLIAM, "https://accounts.google.com"),
    ));
    assert_eq!(check, "issuer", "{reason}");
}

#[test]
fn other_environment_root_fails_chain() {
    for (art, bun) in [
        ("bundle_v3.txt", "bundle_v3.txt.sigstore"),
        ("bundle_v3_alt.txt", "bundle_v3_alt.txt.sigstore"),
        ("staging-rekor-v2.txt", "staging-rekor-v2.txt.sigstore.json"),
        (
            "bundle_cve_2022_36056.txt",
            "bundle_cve_2022_36056.txt.sigstore",
        ),
    ] {
        let (check, reason) = check_of(run(&data(art), &data(bun), PROD, &Policy::default()));
        assert_eq!(check, "certificate chain", "{bun}: {reason}");
    }
}

fn tamper(bundle: &str, f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&data(bundle)).expect("test data");
    f(&mut v);
    serde_json::to_vec(&v).expect("test data")
}

fn flip_b64(s: &str) -> String {
    use base64::Engine as _;
    let e = base64::engine::general_purpose::STANDARD;
    let mut b = e.decode(s).expect("test data");
    b[0] ^= 1;
    e.encode(b)
}

#[test]
fn tampered_inclusion_proof_hash_is_rejected() {
    for (art, bun) in [
        ("bundle_v3.txt", "bundle_v3.txt.sigstore"),
        ("staging-rekor-v2.txt", "staging-rekor-v2.txt.sigstore.json"),
    ] {
        let json = tamper(bun, |v| {
            let h = &mut v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"][1];
            *h = flip_b64(h.as_str().expect("test data")).into();
        });
        let (check, reason) = check_of(run(&data(art), &json, STAGING, &Policy::default()));
        assert_eq!(check, "inclusion proof", "{reason}");
    }
}

#[test]
fn tampered_root_hash_fails_proof_and_checkpoint_mismatch_is_caught() {
    // Root hash changed: the proof no longer reaches it.
    let json = tamper("bundle_v3.txt.sigstore", |v| {
        let h = &mut v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["rootHash"];
        *h = flip_b64(h.as_str().expect("test data")).into();
    });
    let (check, _) = check_of(run(
        &data("bundle_v3.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "inclusion proof");
    // Checkpoint text altered: its signature fails.
    let json = tamper("bundle_v3.txt.sigstore", |v| {
        let c = &mut v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
            ["envelope"];
        *c = c
            .as_str()
            .expect("test data")
            .replace("\n25901138\n", "\n25901139\n")
            .into();
    });
    let (check, reason) = check_of(run(
        &data("bundle_v3.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "checkpoint signature", "{reason}");
    // Rekor v2 (Ed25519) checkpoint altered.
    let json = tamper("staging-rekor-v2.txt.sigstore.json", |v| {
        let c = &mut v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
            ["envelope"];
        *c = c
            .as_str()
            .expect("test data")
            .replace("\n646\n", "\n647\n")
            .into();
    });
    let (check, reason) = check_of(run(
        &data("staging-rekor-v2.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "checkpoint signature", "{reason}");
}

#[test]
fn tampered_signed_entry_timestamp_is_rejected() {
    let json = tamper("bundle_v3.txt.sigstore", |v| {
        let e = &mut v["verificationMaterial"]["tlogEntries"][0];
        e["integratedTime"] = "1712085550".into();
    });
    let (check, reason) = check_of(run(
        &data("bundle_v3.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "signed entry timestamp", "{reason}");
    let json = tamper("bundle_v3.txt.sigstore", |v| {
        let e = &mut v["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
            ["signedEntryTimestamp"];
        *e = flip_b64(e.as_str().expect("test data")).into();
    });
    let (check, _) = check_of(run(
        &data("bundle_v3.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "signed entry timestamp");
}

#[test]
fn integrated_time_outside_certificate_validity_is_rejected() {
    // A day later: outside the 10-minute Fulcio certificate.
    let json = tamper("bundle_v3.txt.sigstore", |v| {
        v["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = "1712171949".into();
    });
    let (check, reason) = check_of(run(
        &data("bundle_v3.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(
        check, "certificate validity at integration time",
        "{reason}"
    );
}

#[test]
fn unknown_log_and_missing_proof_are_rejected() {
    let json = tamper("bundle_v3.txt.sigstore", |v| {
        let e = &mut v["verificationMaterial"]["tlogEntries"][0]["logId"]["keyId"];
        *e = flip_b64(e.as_str().expect("test data")).into();
    });
    let (check, _) = check_of(run(
        &data("bundle_v3.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "tlog log ID");
    let json = tamper("bundle_v3.txt.sigstore", |v| {
        v["verificationMaterial"]["tlogEntries"][0]
            .as_object_mut()
            .expect("test data")
            .remove("inclusionProof");
    });
    let (check, _) = check_of(run(
        &data("bundle_v3.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "inclusion proof");
    // Rekor v2 without its RFC 3161 timestamp has no verified time.
    let json = tamper("staging-rekor-v2.txt.sigstore.json", |v| {
        v["verificationMaterial"]
            .as_object_mut()
            .expect("test data")
            .remove("timestampVerificationData");
    });
    let (check, _) = check_of(run(
        &data("staging-rekor-v2.txt"),
        &json,
        STAGING,
        &Policy::default(),
    ));
    assert_eq!(check, "verified time");
}

#[test]
fn parse_errors_name_the_path() {
    let err = Bundle::from_json(
        b"{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.9\"}",
    )
    .unwrap_err();
    assert!(
        matches!(&err, SigstoreError::Parse { path, .. } if path == "$.mediaType"),
        "{err}"
    );
    let json = tamper("bundle_v3.txt.sigstore", |v| {
        v["verificationMaterial"]["tlogEntries"][0]["logIndex"] = "x".into();
    });
    let err = Bundle::from_json(&json).unwrap_err();
    assert!(
        matches!(&err, SigstoreError::Parse { path, .. } if path == "$.verificationMaterial.tlogEntries[0].logIndex"),
        "{err}"
    );
    // v0.3 must not use x509CertificateChain; v0.1 must not use certificate.
    let json = tamper("bundle_no_log_entry.txt.sigstore", |v| {
        v["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json".into();
    });
    assert!(matches!(
        Bundle::from_json(&json),
        Err(SigstoreError::Parse { .. })
    ));
    assert!(TrustedRoot::from_json(b"[]").is_err());
}

fn tampered_root(f: impl FnOnce(&mut serde_json::Value)) -> TrustedRoot {
    let mut v: serde_json::Value = serde_json::from_slice(&data(STAGING)).expect("test data");
    f(&mut v);
    TrustedRoot::from_json(&serde_json::to_vec(&v).expect("test data")).expect("root parses")
}

#[test]
fn trusted_root_windows_and_key_ids_are_enforced() {
    // The CA's validFor ends before the integration time.
    let root = tampered_root(|v| {
        v["certificateAuthorities"][0]["validFor"]["end"] = "2023-01-01T00:00:00Z".into();
    });
    let b = Bundle::from_json(&data("bundle_v3.txt.sigstore")).expect("parses");
    let err = verify(&data("bundle_v3.txt"), &b, &root, &Policy::default()).expect_err("rejected");
    assert_eq!(
        err.check(),
        Some("certificate validity at integration time"),
        "{err}"
    );
    // The log's validFor starts after the integration time.
    let root = tampered_root(|v| {
        v["tlogs"][0]["publicKey"]["validFor"]["start"] = "2024-05-01T00:00:00Z".into();
    });
    let err = verify(&data("bundle_v3.txt"), &b, &root, &Policy::default()).expect_err("rejected");
    assert_eq!(err.check(), Some("tlog log ID"), "{err}");
    // A log ID that is not derived from the log's key is a parse error.
    let mut v: serde_json::Value = serde_json::from_slice(&data(STAGING)).expect("test data");
    v["tlogs"][0]["logId"]["keyId"] = "8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck=".into();
    let err = TrustedRoot::from_json(&serde_json::to_vec(&v).expect("test data")).expect_err("bad");
    assert!(
        matches!(&err, SigstoreError::Parse { path, .. } if path == "$.tlogs[0].logId.keyId"),
        "{err}"
    );
    // Without timestamp authorities the Rekor v2 bundle has no verified time source.
    let root = tampered_root(|v| {
        v["timestampAuthorities"] = serde_json::json!([]);
    });
    let b = Bundle::from_json(&data("staging-rekor-v2.txt.sigstore.json")).expect("parses");
    let err =
        verify(&data("staging-rekor-v2.txt"), &b, &root, &Policy::default()).expect_err("rejected");
    assert_eq!(err.check(), Some("signed timestamp"), "{err}");
}

#[test]
fn embedded_scts_verify_against_staging_ct_logs() {
    for (art, bun, id) in [
        ("bundle_v3.txt", "bundle_v3.txt.sigstore", WILLIAM),
        ("bundle_v3_alt.txt", "bundle_v3_alt.txt.sigstore", WILLIAM),
        (
            "staging-rekor-v2.txt",
            "staging-rekor-v2.txt.sigstore.json",
            "jku@goto.fi",
        ),
    ] {
        let v = run(&data(art), &data(bun), STAGING, &pol(id, GITHUB)).expect("verifies");
        let sct = v
            .checks
            .iter()
            .find(|c| c.starts_with("signed certificate timestamp"))
            .unwrap_or_else(|| panic!("{bun}: no SCT check: {:#?}", v.checks));
        assert!(
            sct.contains("CT log https://ctfe.sigstage.dev")
                && sct.contains("signed the precertificate"),
            "{bun}: {sct}"
        );
    }
}

#[test]
fn sct_check_requires_a_valid_ct_log_and_is_skipped_without_ct_logs() {
    let b = Bundle::from_json(&data("bundle_v3.txt.sigstore")).expect("parses");
    // Every CT log's window starts after the SCT: rejected at the SCT check.
    let root = tampered_root(|v| {
        for l in v["ctlogs"].as_array_mut().expect("test data") {
            l["publicKey"]["validFor"] = serde_json::json!({"start": "2030-01-01T00:00:00Z"});
        }
    });
    let err = verify(&data("bundle_v3.txt"), &b, &root, &Policy::default()).expect_err("rejected");
    assert_eq!(err.check(), Some("signed certificate timestamp"), "{err}");
    assert!(err.to_string().contains("outside the validity"), "{err}");
    // CT logs present but not the one that signed: rejected.
    let root = tampered_root(|v| {
        v["ctlogs"]
            .as_array_mut()
            .expect("test data")
            .retain(|l| l["baseUrl"] == "https://ctfe.sigstage.dev/test");
    });
    let err = verify(&data("bundle_v3.txt"), &b, &root, &Policy::default()).expect_err("rejected");
    assert_eq!(err.check(), Some("signed certificate timestamp"), "{err}");
    // No CT logs at all: the check is skipped, and the skip is recorded.
    let root = tampered_root(|v| {
        v.as_object_mut().expect("test data").remove("ctlogs");
    });
    let v = verify(&data("bundle_v3.txt"), &b, &root, &Policy::default()).expect("verifies");
    assert!(
        v.checks
            .iter()
            .any(|c| c.starts_with("signed certificate timestamp: skipped")),
        "{:#?}",
        v.checks
    );
}

#[test]
fn corrupted_intermediate_signature_parses_but_rejects_every_bundle_at_certificate_chain() {
    use base64::Engine as _;
    let e = base64::engine::general_purpose::STANDARD;
    // Flip the last byte of each intermediate's DER: the last byte of the ECDSA signature's
    // `s`, so the certificate stays well-formed but its signature by the root fails.
    let root = tampered_root(|v| {
        for ca in v["certificateAuthorities"]
            .as_array_mut()
            .expect("test data")
        {
            let certs = ca["certChain"]["certificates"]
                .as_array_mut()
                .expect("test data");
            assert!(certs.len() >= 2, "the staging CA has an intermediate");
            let raw = &mut certs[0]["rawBytes"];
            let mut der = e
                .decode(raw.as_str().expect("test data"))
                .expect("test data");
            *der.last_mut().expect("non-empty") ^= 1;
            *raw = e.encode(der).into();
        }
    });
    for (art, bun) in [
        ("bundle_v3.txt", "bundle_v3.txt.sigstore"),
        ("bundle_v3_alt.txt", "bundle_v3_alt.txt.sigstore"),
        ("staging-rekor-v2.txt", "staging-rekor-v2.txt.sigstore.json"),
    ] {
        let b = Bundle::from_json(&data(bun)).expect("parses");
        let (check, reason) = check_of(verify(&data(art), &b, &root, &Policy::default()));
        assert_eq!(check, "certificate chain", "{bun}: {reason}");
        assert!(
            reason.contains("signature does not verify") && reason.contains("signed by"),
            "{bun}: {reason}"
        );
    }
}
