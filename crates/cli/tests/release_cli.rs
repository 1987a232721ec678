//! Signed releases, artifact verification, update approval and identities, end to end through
//! the `otproof` binary: exit codes 0 (verified/approved), 1 (rejected, check named),
//! 2 (malformed input), and the records they leave in the store.

mod common;

use common::{fails, ok, otproof, text};
use otproof_evidence::payload::campaign::{
    Behaviour, CampaignConfiguration, CampaignCoverage, CampaignFinding, CampaignResult,
    CampaignScope, MutationClass, RobustnessCampaign,
};
use otproof_evidence::{Body, FindingStatus, Record, Severity};
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

    // The vendor's campaign report, handed over as a document, is listed but not counted:
    // otproof cannot count its findings.
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
    // A campaign otproof ran on 4.3.0 and the SBOM check of 4.3.0.
    record_campaign(d, "4.3.0", &[(Behaviour::Conformance, 2)]);
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
            "--sbom",
            &rio("rio-2000-4.3.0.cdx.json"),
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

/// Record, in the store at `d`, a campaign otproof ran on RIO-2000 `version` with these open
/// findings (what `otproof fuzz modbus` records; built here so no target is needed).
fn record_campaign(d: &Path, version: &str, open: &[(Behaviour, usize)]) {
    let findings = open
        .iter()
        .flat_map(|(b, n)| (0..*n).map(move |i| (*b, i)))
        .map(|(b, i)| CampaignFinding {
            behaviour: b,
            message: format!("FC03 read holding registers #{i}"),
            code: 3,
            field: "quantity".into(),
            class: MutationClass::Boundary,
            observed: "no answer".into(),
            case: i as u64,
            reproducer: vec![],
            original: None,
            severity: Severity::High,
            cvss_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
            cvss_score: 7.5,
            requirements: vec!["CR 7.1".into()],
            occurrences: 1,
            effect: None,
            signature: String::new(),
            variants: None,
            confirmed: true,
            confirmation: None,
            minimization: None,
            sanitizer: None,
            status: FindingStatus::Open,
        })
        .collect();
    let c = RobustnessCampaign {
        scope: CampaignScope {
            protocol: "modbus-tcp".into(),
            target: "127.0.0.1:5020".into(),
            unit_id: Some(1),
            vendor: "Example Automation".into(),
            product: "RIO-2000".into(),
            version: Some(version.into()),
            function_codes: vec![3],
        },
        configuration: CampaignConfiguration {
            protocol: "modbus-tcp".into(),
            target: "127.0.0.1:5020".into(),
            seed: 1,
            cases_limit: Some(1000),
            duration_limit_s: None,
            concurrency: 1,
            timeout_ms: 1000,
            degradation_factor: 10.0,
            started_at_case: 0,
        },
        result: CampaignResult {
            cases: 1000,
            undelivered: 0,
            undelivered_limit_percent: None,
            verdict: None,
            next_case: 1000,
            elapsed_s: 10.0,
            cases_per_second: 100.0,
            baseline_probe_ms: Some(1.0),
            stopped: None,
            target_identity: vec![],
        },
        coverage: CampaignCoverage::default(),
        provenance: None,
        rules: vec![],
        severity_rule: String::new(),
        requirements: vec!["CR 3.5".into()],
        requirement_verdicts: vec![],
        learned: None,
        findings,
    };
    let root = otproof_store::Store::discover(d).expect("store");
    let mut store = otproof_store::Store::open(&root).expect("store");
    let subject = otproof_workflow::campaign::subject_of(&c.scope);
    let ev = otproof_workflow::campaign::evidence(&c, subject).expect("evidence");
    otproof_workflow::records::append_idempotent(
        &mut store,
        Record::new("fuzz modbus", Body::Evidence(ev)),
    )
    .expect("append");
}

fn records_in(d: &Path) -> usize {
    let out = otproof(&["evidence", "list", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v.as_array().map_or(0, Vec::len)
}

/// A store with the sample vulnerability data, RIO-2000 4.2.0 and 4.3.0 signed, the 4.3.0
/// SBOM checked, and a campaign of 4.3.0 with `open` findings.
fn update_ready(d: &Path, open: &[(Behaviour, usize)]) {
    ok(&otproof(&["init"], d));
    ok(&otproof(&["vulndb", "import", &rio("vulndb")], d));
    ok(&otproof(
        &["key", "gen", "--name", "vendor", "--alg", "p256"],
        d,
    ));
    for v in ["4.2.0", "4.3.0"] {
        let fw = format!("fw-{v}.bin");
        std::fs::write(d.join(&fw), format!("firmware {v}")).expect("w");
        ok(&otproof(
            &[
                "release",
                "sign",
                &fw,
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
    record_campaign(d, "4.3.0", open);
}

fn approve_args<'a>(from: &'a str, sbom: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
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
        from,
        "--to-version",
        "4.3.0",
    ];
    if !sbom.is_empty() {
        v.extend(["--sbom", sbom]);
    }
    v.extend(extra);
    v
}

#[test]
fn update_approve_refuses_downgrades_and_re_installs_unless_justified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    update_ready(d, &[]);
    let sbom = rio("rio-2000-4.3.0.cdx.json");
    // 4.4.0 -> 4.3.0 is a downgrade, 4.3.0 -> 4.3.0 a re-install: rejected.
    // (No SBOM of 4.4.0 is in the store: name the installed version's SBOM.)
    let old = rio("rio-2000-4.2.0.cdx.json");
    let out = otproof(&approve_args("4.4.0", &sbom, &["--previous-sbom", &old]), d);
    fails(&out, 1, &["update rejected"]);
    let said = text(&out.stdout);
    assert!(
        said.contains("UPD-0 FAIL") && said.contains("downgrade"),
        "{said}"
    );
    let out = otproof(&approve_args("4.3.0", &sbom, &[]), d);
    fails(&out, 1, &["update rejected"]);
    assert!(text(&out.stdout).contains("re-install"));
    // With a justification: approved, the justification in the recorded decision.
    let why = "4.4.0 breaks the I/O card (ticket 881)";
    let said = ok(&otproof(
        &approve_args(
            "4.4.0",
            &sbom,
            &["--previous-sbom", &old, "--allow-downgrade", why],
        ),
        d,
    ));
    assert!(said.contains("decision: approve"), "{said}");
    assert!(said.contains(&format!("exception UPD-0: {why}")), "{said}");
    let id = said
        .split("recorded as ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("recorded as ID")
        .to_string();
    let shown = ok(&otproof(&["evidence", "show", &id, "--json"], d));
    assert!(shown.contains(why), "{shown}");
    // Versions that cannot be ordered: bad input, nothing recorded.
    let before = records_in(d);
    let out = otproof(&approve_args("latest", &sbom, &[]), d);
    fails(&out, 2, &["--from-version", "latest"]);
    assert_eq!(records_in(d), before);
}

#[test]
fn update_approve_fails_robustness_on_open_crash_or_hang_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    update_ready(d, &[(Behaviour::Crash, 40), (Behaviour::Hang, 30)]);
    let out = otproof(
        &approve_args("4.2.0", &rio("rio-2000-4.3.0.cdx.json"), &[]),
        d,
    );
    fails(&out, 1, &["update rejected"]);
    let said = text(&out.stdout);
    assert!(said.contains("UPD-3 FAIL"), "{said}");
    assert!(said.contains("40 open crash, 30 open hang"), "{said}");
}

#[test]
fn update_approve_needs_the_sbom_and_dry_run_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    update_ready(d, &[(Behaviour::Conformance, 3)]);
    let before = records_in(d);
    // No --sbom: a usage error naming the option, nothing recorded.
    let out = otproof(&approve_args("4.2.0", "", &[]), d);
    fails(&out, 2, &["--sbom is required"]);
    assert_eq!(records_in(d), before);
    // A dry run decides and prints, and records nothing.
    let sbom = rio("rio-2000-4.3.0.cdx.json");
    let said = ok(&otproof(&approve_args("4.2.0", &sbom, &["--dry-run"]), d));
    assert!(
        said.contains("decision: approve") && said.contains("dry run, not recorded"),
        "{said}"
    );
    assert!(said.contains("3 open conformance"), "warned: {said}");
    assert_eq!(records_in(d), before);
    // The real thing, twice: the same decision, exit 0 both times.
    for _ in 0..2 {
        let said = ok(&otproof(&approve_args("4.2.0", &sbom, &[]), d));
        assert!(
            said.contains("decision: approve") && said.contains("recorded as sha256:"),
            "{said}"
        );
    }
    // A policy that does not compare vulnerabilities decides without the SBOM.
    std::fs::write(d.join("p.yaml"), "reject_introduced_at: null\n").expect("w");
    let said = ok(&otproof(
        &approve_args("4.2.0", "", &["--policy", "p.yaml"]),
        d,
    ));
    assert!(
        said.contains("decision: approve") && !said.contains("UPD-5"),
        "{said}"
    );
}
