//! Signed releases, artifact verification, update approval and identities, end to end through
//! the `otproof` binary: exit codes 0 (verified/approved), 1 (rejected, check named),
//! 2 (malformed input), and the records they leave in the store.

mod common;

use common::{fails, ok, otproof, text};
use std::path::{Path, PathBuf};
use std::process::Command;

fn rio(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rio-2000")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn keys_are_private_and_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    for alg in ["ed25519", "p256"] {
        let out = otproof(&["key", "gen", "--name", alg, "--alg", alg], dir.path());
        let said = ok(&out);
        assert!(!said.contains("PRIVATE KEY"), "a private key was printed");
        let key = dir.path().join(format!("{alg}.key"));
        let public = std::fs::read_to_string(dir.path().join(format!("{alg}.pub"))).expect("pub");
        assert!(public.contains("BEGIN PUBLIC KEY"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{alg}");
    }
    let out = otproof(
        &["key", "gen", "--name", "p256", "--alg", "p256"],
        dir.path(),
    );
    fails(&out, 2, &["exists"]);
    let out = otproof(&["key", "gen", "--name", "x", "--alg", "rsa"], dir.path());
    fails(&out, 2, &["ed25519 or p256"]);
}

#[test]
fn release_sign_and_verify_artifact_with_dsse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(
        &["key", "gen", "--name", "vendor", "--alg", "p256"],
        d,
    ));
    ok(&otproof(
        &["key", "gen", "--name", "other", "--alg", "ed25519"],
        d,
    ));
    std::fs::write(d.join("fw.bin"), b"RIO-2000 firmware image 4.3.0\n").expect("w");
    let out = otproof(
        &[
            "release",
            "sign",
            "fw.bin",
            "--key",
            "vendor.key",
            "--product",
            "RIO-2000",
            "--version",
            "4.3.0",
            "--sbom",
            &rio("rio-2000-4.3.0.cdx.json"),
            "--out",
            "fw.intoto.json",
        ],
        d,
    );
    ok(&out);
    let env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("fw.intoto.json")).expect("env"))
            .expect("json");
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json");

    let out = otproof(
        &[
            "verify-artifact",
            "fw.bin",
            "--envelope",
            "fw.intoto.json",
            "--key",
            "vendor.pub",
        ],
        d,
    );
    let said = ok(&out);
    assert!(said.contains("release: RIO-2000 4.3.0"), "{said}");

    // One byte changed in the artifact: the digest check fails, exit 1.
    std::fs::write(d.join("fw2.bin"), b"RIO-2000 firmware image 4.3.1\n").expect("w");
    let out = otproof(
        &[
            "verify-artifact",
            "fw2.bin",
            "--envelope",
            "fw.intoto.json",
            "--key",
            "vendor.pub",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "digest"]);
    // Another key: the signature check fails, exit 1.
    let out = otproof(
        &[
            "verify-artifact",
            "fw.bin",
            "--envelope",
            "fw.intoto.json",
            "--key",
            "other.pub",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "signature"]);
    // A malformed envelope is exit 2, naming the file.
    std::fs::write(d.join("bad.json"), b"{\"payloadType\": 3}").expect("w");
    let out = otproof(
        &[
            "verify-artifact",
            "fw.bin",
            "--envelope",
            "bad.json",
            "--key",
            "vendor.pub",
        ],
        d,
    );
    fails(&out, 2, &["bad.json"]);
    // No mode given: exit 2 with what to pass.
    let out = otproof(&["verify-artifact", "fw.bin"], d);
    fails(&out, 2, &["--envelope"]);
}

#[test]
fn a_readable_private_key_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(
        &["key", "gen", "--name", "vendor", "--alg", "ed25519"],
        d,
    ));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("vendor.key"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    std::fs::write(d.join("fw.bin"), b"x").expect("w");
    let out = otproof(
        &[
            "release",
            "sign",
            "fw.bin",
            "--key",
            "vendor.key",
            "--product",
            "P",
            "--version",
            "1",
            "--out",
            "e.json",
        ],
        d,
    );
    fails(&out, 2, &["vendor.key", "0600"]);
}

#[test]
fn update_approval_from_evidence_in_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(&["init"], d));
    ok(&otproof(&["vulndb", "import", &rio("vulndb")], d));
    ok(&otproof(
        &["key", "gen", "--name", "vendor", "--alg", "p256"],
        d,
    ));
    std::fs::write(d.join("fw-4.2.0.bin"), b"firmware 4.2.0").expect("w");
    std::fs::write(d.join("fw-4.3.0.bin"), b"firmware 4.3.0").expect("w");
    for (v, fw) in [("4.2.0", "fw-4.2.0.bin"), ("4.3.0", "fw-4.3.0.bin")] {
        ok(&otproof(
            &[
                "release",
                "sign",
                fw,
                "--key",
                "vendor.key",
                "--product",
                "RIO-2000",
                "--version",
                v,
                "--sbom",
                &rio(&format!("rio-2000-{v}.cdx.json")),
                "--out",
                &format!("{fw}.intoto.json"),
            ],
            d,
        ));
    }
    let approve = |d: &Path| {
        otproof(
            &[
                "update",
                "approve",
                "fw-4.3.0.bin",
                "--envelope",
                "fw-4.3.0.bin.intoto.json",
                "--key",
                "vendor.pub",
                "--product",
                "RIO-2000",
                "--from-version",
                "4.2.0",
                "--to-version",
                "4.3.0",
                "--sbom",
                &rio("rio-2000-4.3.0.cdx.json"),
            ],
            d,
        )
    };
    // No campaign and no SBOM check for 4.3.0 yet: rejected, the missing evidence named.
    let out = approve(d);
    fails(&out, 1, &["UPD-3 FAIL", "UPD-4 FAIL", "decision: reject"]);
    let said = text(&out.stdout);
    assert!(
        said.contains("UPD-5 pass"),
        "two vulnerabilities fixed, none introduced: {said}"
    );

    // The vendor's evidence arrives: a campaign report and the SBOM check of 4.3.0.
    std::fs::write(
        d.join("campaign.html"),
        "<html>campaign of RIO-2000 4.3.0</html>",
    )
    .expect("w");
    ok(&otproof(
        &[
            "evidence",
            "add",
            "campaign.html",
            "--kind",
            "robustness-campaign",
            "--requirement",
            "CR 3.5",
            "--vendor",
            "Example Automation",
            "--product",
            "RIO-2000",
            "--version",
            "4.3.0",
        ],
        d,
    ));
    ok(&otproof(
        &[
            "sbom",
            "check",
            &rio("rio-2000-4.3.0.cdx.json"),
            "--vex",
            &rio("rio-2000.openvex.json"),
            "--policy",
            &rio("policy.yaml"),
        ],
        d,
    ));
    let said = ok(&approve(d));
    assert!(said.contains("decision: approve"), "{said}");
    let out = otproof(&["evidence", "list", "--json"], d);
    let list = ok(&out);
    assert!(
        list.contains("decision/approve") || list.contains("approve"),
        "{list}"
    );
    ok(&otproof(&["verify", "--store"], d));

    // A statement for another version than the one proposed is rejected.
    let out = otproof(
        &[
            "update",
            "approve",
            "fw-4.3.0.bin",
            "--envelope",
            "fw-4.3.0.bin.intoto.json",
            "--key",
            "vendor.pub",
            "--product",
            "RIO-2000",
            "--from-version",
            "4.2.0",
            "--to-version",
            "4.4.0",
        ],
        d,
    );
    fails(&out, 1, &["UPD-2 FAIL"]);
}

#[test]
fn identities_bind_device_keys_and_verify_their_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(
        &["key", "gen", "--name", "vendor", "--alg", "p256"],
        d,
    ));
    ok(&otproof(
        &["key", "gen", "--name", "device", "--alg", "ed25519"],
        d,
    ));
    ok(&otproof(
        &["key", "gen", "--name", "intruder", "--alg", "ed25519"],
        d,
    ));
    ok(&otproof(
        &[
            "identity",
            "register",
            "--name",
            "rio-0042",
            "--pubkey",
            "device.pub",
            "--vendor-key",
            "vendor.key",
            "--vendor",
            "Example Automation",
            "--product",
            "RIO-2000",
            "--serial",
            "SN-0042",
            "--out",
            "rio-0042.identity.json",
        ],
        d,
    ));
    let said = ok(&otproof(
        &[
            "identity",
            "verify",
            "rio-0042.identity.json",
            "--vendor-pub",
            "vendor.pub",
        ],
        d,
    ));
    assert!(said.contains("SN-0042"), "{said}");
    // Telemetry signed by the device verifies; signed by another key it does not.
    std::fs::write(d.join("t.bin"), b"telemetry").expect("w");
    for (key, out) in [
        ("device.key", "t.device.json"),
        ("intruder.key", "t.intruder.json"),
    ] {
        ok(&otproof(
            &[
                "release",
                "sign",
                "t.bin",
                "--key",
                key,
                "--product",
                "telemetry",
                "--version",
                "1",
                "--out",
                out,
            ],
            d,
        ));
    }
    ok(&otproof(
        &[
            "identity",
            "verify",
            "rio-0042.identity.json",
            "--vendor-pub",
            "vendor.pub",
            "--data",
            "t.device.json",
        ],
        d,
    ));
    let out = otproof(
        &[
            "identity",
            "verify",
            "rio-0042.identity.json",
            "--vendor-pub",
            "vendor.pub",
            "--data",
            "t.intruder.json",
        ],
        d,
    );
    fails(&out, 1, &["rejected"]);
    // The identity signed by the vendor does not verify with the device's own key.
    let out = otproof(
        &[
            "identity",
            "verify",
            "rio-0042.identity.json",
            "--vendor-pub",
            "device.pub",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "signature"]);
}

fn testdata(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn sigstore_bundles_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let root = testdata("sigstore/staging-trusted_root.json");
    let said = ok(&otproof(
        &[
            "verify-artifact",
            &testdata("sigstore/bundle_v3.txt"),
            "--bundle",
            &testdata("sigstore/bundle_v3.txt.sigstore"),
            "--trusted-root",
            &root,
            "--identity",
            "william@yossarian.net",
            "--issuer",
            "https://github.com/login/oauth",
        ],
        d,
    ));
    assert!(said.contains("inclusion proof"), "{said}");
    let out = otproof(
        &[
            "verify-artifact",
            &testdata("sigstore/bundle_cve_2022_36056.txt"),
            "--bundle",
            &testdata("sigstore/bundle_cve_2022_36056.txt.sigstore"),
            "--trusted-root",
            &root,
        ],
        d,
    );
    fails(&out, 1, &["rejected", "tlog entry body"]);
    let out = otproof(
        &[
            "verify-artifact",
            &testdata("sigstore/bundle_no_log_entry.txt"),
            "--bundle",
            &testdata("sigstore/bundle_no_log_entry.txt.sigstore"),
            "--trusted-root",
            &root,
        ],
        d,
    );
    fails(&out, 1, &["rejected", "no transparency log entry"]);
    let out = otproof(
        &[
            "verify-artifact",
            &testdata("sigstore/bundle_v3.txt"),
            "--bundle",
            &testdata("sigstore/bundle_v3.txt.sigstore"),
            "--trusted-root",
            &root,
            "--identity",
            "someone@else.example",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "identity"]);
    let out = otproof(
        &[
            "verify-artifact",
            &testdata("sigstore/bundle_v3.txt"),
            "--bundle",
            &testdata("sigstore/bundle_v3.txt.sigstore"),
            "--trusted-root",
            &testdata("sigstore/prod-trusted_root.json"),
        ],
        d,
    );
    fails(&out, 1, &["rejected", "certificate chain"]);
    std::fs::write(d.join("junk.json"), b"{\"mediaType\": 7}").expect("w");
    let out = otproof(
        &[
            "verify-artifact",
            &testdata("sigstore/bundle_v3.txt"),
            "--bundle",
            "junk.json",
            "--trusted-root",
            &root,
        ],
        d,
    );
    fails(&out, 2, &["junk.json"]);
}

#[test]
fn tuf_repositories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let repo = testdata("tuf/tuf-reference-impl");
    let root = testdata("tuf/tuf-reference-impl/metadata/1.root.json");
    let said = ok(&otproof(
        &[
            "verify-artifact",
            &testdata("tuf/tuf-reference-impl/targets/file1.txt"),
            "--tuf-repo",
            &repo,
            "--root",
            &root,
            "--target",
            "file1.txt",
        ],
        d,
    ));
    assert!(said.contains("TUF target \"file1.txt\""), "{said}");
    std::fs::write(d.join("other.txt"), b"not the target").expect("w");
    let out = otproof(
        &[
            "verify-artifact",
            "other.txt",
            "--tuf-repo",
            &repo,
            "--root",
            &root,
            "--target",
            "file1.txt",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "target"]);
    let expired = testdata("tuf/expired-repository");
    let out = otproof(
        &[
            "verify-artifact",
            "other.txt",
            "--tuf-repo",
            &expired,
            "--root",
            &testdata("tuf/expired-repository/metadata/1.root.json"),
            "--target",
            "x",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "expired"]);
    let out = otproof(
        &[
            "verify-artifact",
            &testdata("tuf/tuf-reference-impl/targets/file1.txt"),
            "--tuf-repo",
            &repo,
            "--root",
            &testdata("tuf/invalid-root-json-signature/root.json"),
            "--target",
            "file1.txt",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "root"]);
}

#[test]
fn in_toto_layout_and_links() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let layout = testdata("in-toto/test_verifylib/workdir/root.layout");
    let alice = testdata("in-toto/test_verifylib/workdir/alice.pub");
    let links = testdata("in-toto/test_verifylib/links");
    let args = |extra: &[&str]| {
        let mut v = vec![
            "verify-layout".to_string(),
            layout.clone(),
            "--owner-key".into(),
            alice.clone(),
            "--links".into(),
            links.clone(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        otproof(&refs, d)
    };
    let said = ok(&run(args(&[
        "--at",
        "2022-06-01T00:00:00Z",
        "--allow-unrun-inspections",
    ])));
    assert!(
        said.contains("NOT CHECKED") && said.contains("untar"),
        "{said}"
    );
    let out = run(args(&["--at", "2022-06-01T00:00:00Z"]));
    fails(&out, 1, &["rejected", "untar"]);
    let out = run(args(&[
        "--at",
        "2023-06-01T00:00:00Z",
        "--allow-unrun-inspections",
    ]));
    fails(&out, 1, &["rejected", "expired"]);
}

/// A CA and a code-signing leaf made with the openssl CLI (a real third-party producer).
fn openssl(d: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(d)
        .output()
        .expect("the openssl command is needed for CMS tests (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
}

fn make_ca(d: &Path, name: &str) {
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "30",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
}

#[test]
fn cms_detached_signatures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_ca(d, "vendor-ca");
    make_ca(d, "other-ca");
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "signer.key",
            "-out",
            "signer.csr",
            "-subj",
            "/CN=firmware signer",
        ],
    );
    std::fs::write(
        d.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n",
    )
    .expect("w");
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "signer.csr",
            "-CA",
            "vendor-ca.pem",
            "-CAkey",
            "vendor-ca.key",
            "-CAcreateserial",
            "-out",
            "signer.pem",
            "-days",
            "10",
            "-extfile",
            "ext.cnf",
        ],
    );
    std::fs::write(d.join("fw.bin"), b"RIO-2000 firmware 4.3.0").expect("w");
    openssl(
        d,
        &[
            "cms",
            "-sign",
            "-binary",
            "-in",
            "fw.bin",
            "-signer",
            "signer.pem",
            "-inkey",
            "signer.key",
            "-outform",
            "DER",
            "-out",
            "fw.p7s",
        ],
    );
    let said = ok(&otproof(
        &[
            "verify-artifact",
            "fw.bin",
            "--cms",
            "fw.p7s",
            "--trust-anchor",
            "vendor-ca.pem",
        ],
        d,
    ));
    assert!(said.contains("firmware signer"), "{said}");
    std::fs::write(d.join("fw2.bin"), b"RIO-2000 firmware 4.3.1").expect("w");
    let out = otproof(
        &[
            "verify-artifact",
            "fw2.bin",
            "--cms",
            "fw.p7s",
            "--trust-anchor",
            "vendor-ca.pem",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "message digest"]);
    let out = otproof(
        &[
            "verify-artifact",
            "fw.bin",
            "--cms",
            "fw.p7s",
            "--trust-anchor",
            "other-ca.pem",
        ],
        d,
    );
    fails(&out, 1, &["rejected", "certificate chain"]);
    let out = otproof(
        &[
            "verify-artifact",
            "fw.bin",
            "--cms",
            "fw.bin",
            "--trust-anchor",
            "vendor-ca.pem",
        ],
        d,
    );
    fails(&out, 2, &["fw.bin"]);
}

#[test]
fn verify_artifact_records_the_check_in_a_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&otproof(&["init"], d));
    ok(&otproof(
        &["key", "gen", "--name", "vendor", "--alg", "p256"],
        d,
    ));
    std::fs::write(d.join("fw.bin"), b"firmware").expect("w");
    std::fs::write(d.join("fw2.bin"), b"firmware!").expect("w");
    ok(&otproof(
        &[
            "release",
            "sign",
            "fw.bin",
            "--key",
            "vendor.key",
            "--product",
            "P",
            "--version",
            "1",
            "--out",
            "fw.intoto.json",
        ],
        d,
    ));
    let verify = |fw: &str| {
        otproof(
            &[
                "verify-artifact",
                fw,
                "--envelope",
                "fw.intoto.json",
                "--key",
                "vendor.pub",
            ],
            d,
        )
    };
    ok(&verify("fw.bin"));
    fails(&verify("fw2.bin"), 1, &["rejected", "digest"]);
    let list = ok(&otproof(&["evidence", "list", "--json"], d));
    assert_eq!(list.matches("signature-check").count(), 2, "{list}");
    assert!(list.contains("DSSE check of fw.bin: verified"), "{list}");
    assert!(
        list.contains("DSSE check of fw2.bin: failed (digest)"),
        "{list}"
    );
    ok(&otproof(&["verify", "--store"], d));
}
