//! otproof-cms against real CMS detached signatures made by the OpenSSL CLI: a root CA, an
//! intermediate CA and code-signing leaves (RSA, EC P-256, EC P-384), signed with
//! `openssl cms -sign -binary` (detached), then one negative case per named check.
//!
//! The openssl binary is a required test component: without it these tests FAIL with a
//! message saying to install it.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

use otproof_cms::{verify_detached, CmsError, TrustAnchor};
use proptest::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

const CNF: &str = r#"
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf_noeku]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf_tls]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf_kcs]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyCertSign
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"#;

struct Fixture {
    firmware: Vec<u8>,
    root_rsa: Vec<u8>,
    root_ec: Vec<u8>,
    other_root: Vec<u8>,
    sigs: HashMap<&'static str, Vec<u8>>,
    made_at: i64,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = match Command::new("openssl").current_dir(dir).args(args).output() {
        Ok(out) => out,
        Err(e) => panic!(
            "the openssl CLI is required by the CMS tests (they generate their PKI and signatures \
             with it) and could not be run ({e}): install openssl, e.g. `apt-get install openssl`"
        ),
    };
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn key(dir: &Path, name: &str, kind: &str) {
    let file = format!("{name}.key");
    match kind {
        "rsa" => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &file,
            ],
        ),
        "p256" | "p384" => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                if kind == "p256" {
                    "ec_paramgen_curve:P-256"
                } else {
                    "ec_paramgen_curve:P-384"
                },
                "-out",
                &file,
            ],
        ),
        _ => unreachable!(),
    }
}

fn root(dir: &Path, name: &str, kind: &str, cn: &str) {
    key(dir, name, kind);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-x509",
            "-config",
            "ca.cnf",
            "-extensions",
            "v3_root",
            "-key",
            &format!("{name}.key"),
            "-subj",
            &format!("/O=otproof test/CN={cn}"),
            "-days",
            "3650",
            "-sha256",
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// Issue `name` (new key of `kind`) from `ca`, with extension section `ext`.
#[allow(clippy::too_many_arguments)] // one openssl invocation's parameters, spelled out at each call
fn issue(
    dir: &Path,
    name: &str,
    kind: &str,
    cn: &str,
    ca: &str,
    ext: &str,
    days: &str,
    serial: &str,
) {
    key(dir, name, kind);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-config",
            "ca.cnf",
            "-key",
            &format!("{name}.key"),
            "-subj",
            &format!("/O=otproof test/CN={cn}"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-set_serial",
            serial,
            "-days",
            days,
            "-sha256",
            "-extfile",
            "ca.cnf",
            "-extensions",
            ext,
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

fn sign(dir: &Path, out: &str, leaf: &str, chain: &str, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-in",
        "firmware.bin",
        "-signer",
        leaf,
        "-inkey",
        "",
        "-certfile",
        chain,
        "-outform",
        "DER",
        "-out",
        out,
    ];
    let key = format!("{}.key", leaf.trim_end_matches(".pem"));
    args[8] = &key;
    args.extend_from_slice(extra);
    openssl(dir, &args);
    std::fs::read(dir.join(out)).expect("read signature")
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let d = tmp.path();
        std::fs::write(d.join("ca.cnf"), CNF).expect("write cnf");
        let firmware: Vec<u8> = (0..4096u32).map(|i| (i * 7 + i / 13) as u8).collect();
        std::fs::write(d.join("firmware.bin"), &firmware).expect("write firmware");

        root(d, "root", "rsa", "Test Root CA");
        issue(
            d,
            "int",
            "rsa",
            "Test Intermediate CA",
            "root",
            "v3_int",
            "1825",
            "100",
        );
        issue(
            d,
            "leaf",
            "rsa",
            "Vendor Firmware Signing",
            "int",
            "v3_leaf",
            "365",
            "1001",
        );
        issue(
            d,
            "leaf_noeku",
            "rsa",
            "No EKU Signer",
            "int",
            "v3_leaf_noeku",
            "365",
            "1002",
        );
        issue(
            d,
            "leaf_tls",
            "rsa",
            "TLS Server",
            "int",
            "v3_leaf_tls",
            "365",
            "1003",
        );
        issue(
            d,
            "leaf_kcs",
            "rsa",
            "KeyCertSign Only",
            "int",
            "v3_leaf_kcs",
            "365",
            "1004",
        );
        issue(
            d,
            "leaf_short",
            "rsa",
            "Short Lived Signer",
            "int",
            "v3_leaf",
            "1",
            "1005",
        );
        issue(
            d,
            "leaf_p384",
            "p384",
            "P-384 Signer",
            "int",
            "v3_leaf",
            "365",
            "1006",
        );
        root(d, "root_ec", "p256", "Test EC Root CA");
        issue(
            d,
            "int_ec",
            "p256",
            "Test EC Intermediate CA",
            "root_ec",
            "v3_int",
            "1825",
            "200",
        );
        issue(
            d,
            "leaf_ec",
            "p256",
            "Vendor EC Signing",
            "int_ec",
            "v3_leaf",
            "365",
            "2001",
        );
        root(d, "other_root", "rsa", "Test Root CA");

        let mut sigs = HashMap::new();
        sigs.insert("rsa", sign(d, "rsa.p7s", "leaf.pem", "int.pem", &[]));
        sigs.insert(
            "rsa_pem",
            sign(
                d,
                "rsa_pem.p7s",
                "leaf.pem",
                "int.pem",
                &["-outform", "PEM"],
            ),
        );
        sigs.insert(
            "rsa_sha512",
            sign(d, "rsa512.p7s", "leaf.pem", "int.pem", &["-md", "sha512"]),
        );
        sigs.insert(
            "rsa_pss",
            sign(
                d,
                "pss.p7s",
                "leaf.pem",
                "int.pem",
                &["-keyopt", "rsa_padding_mode:pss"],
            ),
        );
        sigs.insert(
            "rsa_noattr",
            sign(d, "noattr.p7s", "leaf.pem", "int.pem", &["-noattr"]),
        );
        sigs.insert(
            "rsa_keyid",
            sign(d, "keyid.p7s", "leaf.pem", "int.pem", &["-keyid"]),
        );
        sigs.insert("ec", sign(d, "ec.p7s", "leaf_ec.pem", "int_ec.pem", &[]));
        sigs.insert(
            "p384",
            sign(
                d,
                "p384.p7s",
                "leaf_p384.pem",
                "int.pem",
                &["-md", "sha384"],
            ),
        );
        sigs.insert(
            "noeku",
            sign(d, "noeku.p7s", "leaf_noeku.pem", "int.pem", &[]),
        );
        sigs.insert("tls", sign(d, "tls.p7s", "leaf_tls.pem", "int.pem", &[]));
        sigs.insert("kcs", sign(d, "kcs.p7s", "leaf_kcs.pem", "int.pem", &[]));
        sigs.insert(
            "short",
            sign(d, "short.p7s", "leaf_short.pem", "int.pem", &[]),
        );
        // Without -certfile the intermediate is missing from the CMS.
        openssl(
            d,
            &[
                "cms",
                "-sign",
                "-binary",
                "-in",
                "firmware.bin",
                "-signer",
                "leaf.pem",
                "-inkey",
                "leaf.key",
                "-outform",
                "DER",
                "-out",
                "noint.p7s",
            ],
        );
        sigs.insert(
            "no_intermediate",
            std::fs::read(d.join("noint.p7s")).expect("read"),
        );

        let read = |n: &str| std::fs::read(d.join(n)).expect("read pem");
        Fixture {
            firmware,
            root_rsa: read("root.pem"),
            root_ec: read("root_ec.pem"),
            other_root: read("other_root.pem"),
            sigs,
            made_at: now(),
        }
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn anchors(pem: &[u8]) -> Vec<TrustAnchor> {
    TrustAnchor::from_pem(pem).expect("anchor PEM")
}

fn sig(name: &str) -> &'static [u8] {
    fixture().sigs.get(name).expect("signature made")
}

fn check_of(r: Result<otproof_cms::Verified, CmsError>) -> String {
    match r {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(CmsError::Check { check, reason }) => {
            eprintln!("{check}: {reason}");
            check.to_string()
        }
        Err(CmsError::Parse { what, expected }) => format!("parse: {what}: {expected}"),
    }
}

#[test]
fn rsa_signature_verifies_with_chain_and_signing_time() {
    let f = fixture();
    let v = verify_detached(&f.firmware, sig("rsa"), &anchors(&f.root_rsa), None).expect("valid");
    assert!(
        v.signer_subject.contains("CN=Vendor Firmware Signing"),
        "{v:?}"
    );
    assert_eq!(v.signer_serial, "03e9");
    assert_eq!(v.chain.len(), 3, "{:?}", v.chain);
    assert!(v.chain[1].contains("Test Intermediate CA"));
    assert!(v.chain[2].contains("Test Root CA"));
    let st = v.signing_time.as_deref().expect("openssl adds signingTime");
    assert!(st.ends_with('Z') && st.len() == 20, "{st}");
    assert!(
        v.checks
            .iter()
            .any(|c| c.contains("RSA PKCS#1 v1.5 with SHA-256")),
        "{:?}",
        v.checks
    );
    assert!(v.checks.iter().any(|c| c.contains("codeSigning")));
}

#[test]
fn pem_signature_verifies() {
    let f = fixture();
    let pem = sig("rsa_pem");
    assert!(pem.starts_with(b"-----BEGIN CMS-----"));
    verify_detached(&f.firmware, pem, &anchors(&f.root_rsa), None).expect("valid PEM");
    // The PKCS7 label is accepted as well.
    let text = String::from_utf8(pem.to_vec())
        .expect("ascii")
        .replace("CMS-----", "PKCS7-----");
    verify_detached(&f.firmware, text.as_bytes(), &anchors(&f.root_rsa), None)
        .expect("PKCS7 label");
}

#[test]
fn ec_p256_signature_verifies() {
    let f = fixture();
    let v = verify_detached(&f.firmware, sig("ec"), &anchors(&f.root_ec), None).expect("valid");
    assert!(
        v.checks
            .iter()
            .any(|c| c.contains("ECDSA P-256 with SHA-256")),
        "{:?}",
        v.checks
    );
    assert!(v.chain[2].contains("Test EC Root CA"));
}

#[test]
fn ec_p384_leaf_under_rsa_chain_verifies() {
    let f = fixture();
    let v = verify_detached(&f.firmware, sig("p384"), &anchors(&f.root_rsa), None).expect("valid");
    assert!(
        v.checks
            .iter()
            .any(|c| c.contains("ECDSA P-384 with SHA-384")),
        "{:?}",
        v.checks
    );
}

#[test]
fn rsa_sha512_and_pss_verify() {
    let f = fixture();
    let v = verify_detached(&f.firmware, sig("rsa_sha512"), &anchors(&f.root_rsa), None)
        .expect("sha512");
    assert!(
        v.checks.iter().any(|c| c.contains("SHA-512")),
        "{:?}",
        v.checks
    );
    let v = verify_detached(&f.firmware, sig("rsa_pss"), &anchors(&f.root_rsa), None).expect("pss");
    assert!(
        v.checks.iter().any(|c| c.contains("RSA-PSS")),
        "{:?}",
        v.checks
    );
}

#[test]
fn signer_found_by_subject_key_identifier() {
    let f = fixture();
    verify_detached(&f.firmware, sig("rsa_keyid"), &anchors(&f.root_rsa), None).expect("keyid");
}

#[test]
fn anchors_from_a_bundle_of_several_certificates() {
    let f = fixture();
    let mut bundle = f.root_ec.clone();
    bundle.extend_from_slice(&f.other_root);
    bundle.extend_from_slice(&f.root_rsa);
    let a = anchors(&bundle);
    assert_eq!(a.len(), 3);
    // other_root has the same subject as root: the chain builder must try the right key.
    verify_detached(&f.firmware, sig("rsa"), &a, None).expect("valid with a bundle");
    verify_detached(&f.firmware, sig("ec"), &a, None).expect("valid with a bundle");
}

#[test]
fn without_signed_attributes_the_time_must_be_given() {
    let f = fixture();
    let a = anchors(&f.root_rsa);
    let e = verify_detached(&f.firmware, sig("rsa_noattr"), &a, None).unwrap_err();
    assert!(e.to_string().contains("no signing time: pass --at"), "{e}");
    let v = verify_detached(&f.firmware, sig("rsa_noattr"), &a, Some(f.made_at)).expect("with at");
    assert!(v.signing_time.is_none());
    assert!(
        v.checks.iter().any(|c| c.contains("over the content")),
        "{:?}",
        v.checks
    );
    // Without signed attributes a changed content is caught by the signature itself.
    let mut changed = f.firmware.clone();
    changed[100] ^= 1;
    assert_eq!(
        check_of(verify_detached(
            &changed,
            sig("rsa_noattr"),
            &a,
            Some(f.made_at)
        )),
        "signature"
    );
}

#[test]
fn content_changed_by_one_byte_fails_the_message_digest() {
    let f = fixture();
    let mut changed = f.firmware.clone();
    changed[2048] ^= 0x01;
    assert_eq!(
        check_of(verify_detached(
            &changed,
            sig("rsa"),
            &anchors(&f.root_rsa),
            None
        )),
        "message digest"
    );
}

#[test]
fn tampered_signature_bytes_fail_the_signature() {
    let f = fixture();
    let mut s = sig("rsa").to_vec();
    // The RSA signature value is the last OCTET STRING: its final bytes end the SignedData.
    let n = s.len();
    s[n - 10] ^= 0x55;
    assert_eq!(
        check_of(verify_detached(
            &f.firmware,
            &s,
            &anchors(&f.root_rsa),
            None
        )),
        "signature"
    );
    let mut s = sig("ec").to_vec();
    let n = s.len();
    s[n - 5] ^= 0x55;
    let c = check_of(verify_detached(&f.firmware, &s, &anchors(&f.root_ec), None));
    assert!(c == "signature", "{c}");
}

#[test]
fn wrong_anchor_fails_the_chain() {
    let f = fixture();
    assert_eq!(
        check_of(verify_detached(
            &f.firmware,
            sig("rsa"),
            &anchors(&f.other_root),
            None
        )),
        "certificate chain"
    );
    assert_eq!(
        check_of(verify_detached(
            &f.firmware,
            sig("rsa"),
            &anchors(&f.root_ec),
            None
        )),
        "certificate chain"
    );
    assert_eq!(
        check_of(verify_detached(&f.firmware, sig("rsa"), &[], None)),
        "certificate chain"
    );
}

#[test]
fn missing_intermediate_fails_the_chain() {
    let f = fixture();
    assert_eq!(
        check_of(verify_detached(
            &f.firmware,
            sig("no_intermediate"),
            &anchors(&f.root_rsa),
            None
        )),
        "certificate chain"
    );
}

#[test]
fn leaf_without_code_signing_eku_is_rejected() {
    let f = fixture();
    let a = anchors(&f.root_rsa);
    assert_eq!(
        check_of(verify_detached(&f.firmware, sig("noeku"), &a, None)),
        "extended key usage (code signing)"
    );
    assert_eq!(
        check_of(verify_detached(&f.firmware, sig("tls"), &a, None)),
        "extended key usage (code signing)"
    );
}

#[test]
fn leaf_with_key_cert_sign_only_fails_key_usage() {
    let f = fixture();
    assert_eq!(
        check_of(verify_detached(
            &f.firmware,
            sig("kcs"),
            &anchors(&f.root_rsa),
            None
        )),
        "key usage"
    );
}

#[test]
fn expired_leaf_at_signing_time_is_rejected() {
    let f = fixture();
    let a = anchors(&f.root_rsa);
    // Valid at its own signingTime (the leaf lives one day) ...
    verify_detached(&f.firmware, sig("short"), &a, None).expect("valid at signingTime");
    // ... but not when the caller says it was signed three days later,
    let later = f.made_at + 3 * 86_400;
    assert_eq!(
        check_of(verify_detached(&f.firmware, sig("short"), &a, Some(later))),
        "validity at signing time"
    );
    // nor before the certificates existed.
    assert_eq!(
        check_of(verify_detached(
            &f.firmware,
            sig("rsa"),
            &a,
            Some(f.made_at - 30 * 86_400)
        )),
        "validity at signing time"
    );
}

#[test]
fn garbage_and_non_cms_inputs_are_parse_errors() {
    let f = fixture();
    let a = anchors(&f.root_rsa);
    for input in [
        &b""[..],
        b"not a signature",
        &f.root_rsa,
        b"-----BEGIN CMS-----\n-----END CMS-----\n",
        &sig("rsa")[..40],
    ] {
        let r = verify_detached(&f.firmware, input, &a, None);
        assert!(matches!(r, Err(CmsError::Parse { .. })), "{r:?}");
    }
    // A certificate in DER is a valid SEQUENCE but not a ContentInfo.
    assert!(TrustAnchor::from_pem(b"no pem here").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn arbitrary_signature_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = verify_detached(b"content", &bytes, &[], Some(0));
    }

    #[test]
    fn mutated_real_signatures_never_panic_nor_verify_with_changed_content(
        pos in 0usize..4096, val in any::<u8>(), cut in 0usize..4096,
    ) {
        let f = fixture();
        let a = anchors(&f.root_rsa);
        let mut s = sig("rsa").to_vec();
        let n = s.len();
        s[pos % n] = val;
        s.truncate(n - cut % n);
        let _ = verify_detached(&f.firmware, &s, &a, None);
        let _ = verify_detached(&f.firmware[1..], &s, &a, Some(f.made_at));
    }
}

#[test]
fn streamed_content_verifies_like_content_in_memory() {
    use otproof_cms::{verify_detached_reader, DIRECT_SIGNATURE_MAX};
    use std::io::Read as _;
    let f = fixture();
    let a = anchors(&f.root_rsa);
    for name in ["rsa", "rsa_pem", "rsa_sha512"] {
        let v = verify_detached_reader(&f.firmware[..], sig(name), &a, None).expect(name);
        let w = verify_detached(&f.firmware, sig(name), &a, None).expect(name);
        assert_eq!(v.checks, w.checks, "{name}");
    }
    let mut changed = f.firmware.clone();
    changed[2048] ^= 0x01;
    assert_eq!(
        check_of(verify_detached_reader(&changed[..], sig("rsa"), &a, None)),
        "message digest"
    );
    // Signed over the content itself (no signed attributes): small content is held and checked.
    verify_detached_reader(&f.firmware[..], sig("rsa_noattr"), &a, Some(f.made_at))
        .expect("small content, direct signature");
    assert_eq!(
        check_of(verify_detached_reader(
            &changed[..],
            sig("rsa_noattr"),
            &a,
            Some(f.made_at)
        )),
        "signature"
    );
    // Larger than what is held: a named failure, never a pass.
    let big = (&f.firmware[..]).chain(std::io::repeat(0).take(DIRECT_SIGNATURE_MAX));
    let e = verify_detached_reader(big, sig("rsa_noattr"), &a, Some(f.made_at)).unwrap_err();
    assert!(
        matches!(
            &e,
            CmsError::Check {
                check: "signature",
                ..
            }
        ) && e.to_string().contains("not verified"),
        "{e}"
    );
}
