//! in-toto v0.9 layout verification against the in-toto-rs test corpus in testdata/in-toto
//! and against layouts built here with otproof keys.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeMap;
use std::path::PathBuf;

use otproof_sign::layout::{
    fnmatch, read_links_dir, verify_layout, InTotoKey, InspectionStatus, Layout,
    LayoutVerifyOptions, Link, Metablock, Rule,
};
use otproof_sign::{Alg, SignError, SigningKey, VerifyingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("testdata/in-toto");
    assert!(
        dir.join("test_verifylib").is_dir(),
        "in-toto corpus not found at {}",
        dir.display()
    );
    dir
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn root_layout() -> Metablock {
    Metablock::from_json(
        &std::fs::read(corpus().join("test_verifylib/workdir/root.layout")).unwrap(),
    )
    .unwrap()
}

fn alice() -> InTotoKey {
    let pem = std::fs::read_to_string(corpus().join("test_verifylib/workdir/alice.pub")).unwrap();
    InTotoKey::rsa_from_pem(&pem, "rsassa-pss-sha256").unwrap()
}

fn corpus_links() -> BTreeMap<String, Vec<u8>> {
    read_links_dir(&corpus().join("test_verifylib/links")).unwrap()
}

const BEFORE_EXPIRY: &str = "2022-06-01T00:00:00Z";

fn opts(now: &str, allow: bool) -> LayoutVerifyOptions<'_> {
    LayoutVerifyOptions {
        now,
        allow_unrun_inspections: allow,
    }
}

/// The link the `untar` inspection (`tar xzf demo-project.tar.gz` in workdir) would produce:
/// materials = workdir files, products = those plus the extracted demo-project/foo.py.
/// The foo.py digest is that of the file inside demo-project.tar.gz.
fn recorded_untar_link(foo_sha: &str) -> Vec<u8> {
    let wd = corpus().join("test_verifylib/workdir");
    let mut mats = serde_json::Map::new();
    for f in ["alice.pub", "demo-project.tar.gz", "root.layout"] {
        let d = hex(&Sha256::digest(std::fs::read(wd.join(f)).unwrap()));
        mats.insert(f.into(), json!({"sha256": d}));
    }
    let mut prods = mats.clone();
    prods.insert("demo-project/foo.py".into(), json!({"sha256": foo_sha}));
    let mb = json!({"signatures": [], "signed": {"_type": "link", "name": "untar", "materials": mats, "products": prods,
        "command": ["tar", "xzf", "demo-project.tar.gz"], "byproducts": {}, "environment": {}}});
    serde_json::to_vec(&mb).unwrap()
}
const FOO_PY_SHA: &str = "c2c0ea54fa94fac3a4e1575d6ed3bbd1b01a6d0b8deb39196bdc31c457ef731b";

#[test]
fn key_ids_match_the_corpus() {
    assert_eq!(
        alice().keyid(),
        "556caebdc0877eed53d419b60eddb1e57fa773e4e31d70698b588f3e9cc48b35"
    );
    let lay = Layout::from_value(&root_layout().signed).unwrap();
    for (kid, k) in &lay.keys {
        assert_eq!(&k.keyid(), kid);
    }
    // owner.der (in-toto-rs test data) is a 64-byte Ed25519 keypair: seed || public key.
    let der = std::fs::read(corpus().join("test_metadata/owner.der")).unwrap();
    let owner =
        InTotoKey::from_verifying_key(&VerifyingKey::from_ed25519_bytes(&der[32..]).unwrap());
    assert_eq!(
        owner.keyid(),
        "64786e5921b589af1ca1bf5767087bf201806a9b3ce2e6856c903682132bd1dd"
    );
}

#[test]
fn corpus_verifies_except_the_unrun_inspection() {
    let r = verify_layout(
        &root_layout(),
        &[alice()],
        &corpus_links(),
        &opts(BEFORE_EXPIRY, true),
    )
    .unwrap();
    println!("{r:#?}");
    assert!(!r.is_complete());
    assert_eq!(
        r.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["clone", "update-version", "package"]
    );
    assert!(r
        .steps
        .iter()
        .all(|s| s.functionaries.len() == 1 && s.rules_checked > 0));
    assert_eq!(r.inspections.len(), 1);
    assert_eq!(r.inspections[0].status, InspectionStatus::NotRun);
    assert_eq!(r.not_checked.len(), 1);
    assert!(
        r.not_checked[0]
            .contains("inspection \"untar\" not run (otproof does not execute layout commands"),
        "{:?}",
        r.not_checked
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn strict_mode_rejects_unrun_inspection() {
    let e = verify_layout(
        &root_layout(),
        &[alice()],
        &corpus_links(),
        &opts(BEFORE_EXPIRY, false),
    )
    .unwrap_err();
    assert!(
        matches!(e, SignError::InspectionNotRun { ref name, .. } if name == "untar"),
        "{e}"
    );
    assert!(e
        .to_string()
        .contains("otproof does not execute layout commands"));
}

#[test]
fn corpus_verifies_end_to_end_with_recorded_inspection() {
    let mut links = corpus_links();
    links.insert("untar.link".into(), recorded_untar_link(FOO_PY_SHA));
    let r = verify_layout(
        &root_layout(),
        &[alice()],
        &links,
        &opts(BEFORE_EXPIRY, false),
    )
    .unwrap();
    assert!(r.is_complete());
    assert_eq!(r.inspections[0].status, InspectionStatus::RecordedLink);
    assert_eq!(r.inspections[0].rules_checked, 12);
}

#[test]
fn recorded_inspection_with_wrong_product_fails_match_rule() {
    let mut links = corpus_links();
    links.insert("untar.link".into(), recorded_untar_link(&"0".repeat(64)));
    let e = verify_layout(
        &root_layout(),
        &[alice()],
        &links,
        &opts(BEFORE_EXPIRY, false),
    )
    .unwrap_err();
    // foo.py is not consumed by MATCH, the ALLOWs do not cover it, DISALLOW * rejects it.
    let s = e.to_string();
    assert!(
        s.starts_with("rule DISALLOW * (inspection \"untar\" products)"),
        "{s}"
    );
    assert!(s.contains("demo-project/foo.py"), "{s}");
}

#[test]
fn expired_layout_is_rejected() {
    let e = verify_layout(
        &root_layout(),
        &[alice()],
        &corpus_links(),
        &opts("2023-01-01T00:00:00Z", true),
    )
    .unwrap_err();
    assert!(matches!(e, SignError::Expired { .. }), "{e}");
    assert!(e
        .to_string()
        .starts_with("expired: layout expired at 2022-12-02T18:41:07Z"));
}

#[test]
fn wrong_owner_key_is_rejected() {
    let der = std::fs::read(corpus().join("test_metadata/owner.der")).unwrap();
    let wrong =
        InTotoKey::from_verifying_key(&VerifyingKey::from_ed25519_bytes(&der[32..]).unwrap());
    let e = verify_layout(
        &root_layout(),
        &[wrong],
        &corpus_links(),
        &opts(BEFORE_EXPIRY, true),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("signature: layout is not signed by owner key"),
        "{e}"
    );
    // A functionary key of the layout is not its owner either.
    let lay = Layout::from_value(&root_layout().signed).unwrap();
    let bob = lay.keys.values().next().unwrap().clone();
    let e = verify_layout(
        &root_layout(),
        &[alice(), bob],
        &corpus_links(),
        &opts(BEFORE_EXPIRY, true),
    )
    .unwrap_err();
    assert!(matches!(e, SignError::Signature(_)), "{e}");
    assert!(verify_layout(
        &root_layout(),
        &[],
        &corpus_links(),
        &opts(BEFORE_EXPIRY, true)
    )
    .is_err());
}

#[test]
fn tampered_layout_is_rejected() {
    let raw = std::fs::read_to_string(corpus().join("test_verifylib/workdir/root.layout")).unwrap();
    let tampered = raw.replacen("\"threshold\": 1", "\"threshold\": 0", 1);
    assert_ne!(raw, tampered);
    let mb = Metablock::from_json(tampered.as_bytes()).unwrap();
    let e =
        verify_layout(&mb, &[alice()], &corpus_links(), &opts(BEFORE_EXPIRY, true)).unwrap_err();
    assert!(matches!(e, SignError::Signature(_)), "{e}");
}

#[test]
fn tampered_link_is_rejected_naming_the_check() {
    let mut links = corpus_links();
    let orig = String::from_utf8(links["clone.776a00e2.link"].clone()).unwrap();
    // one byte of the product digest
    let t = orig.replacen("ebebf8778035", "ebebf8778036", 1);
    assert_ne!(t, orig);
    links.insert("clone.776a00e2.link".into(), t.into_bytes());
    let e = verify_layout(
        &root_layout(),
        &[alice()],
        &links,
        &opts(BEFORE_EXPIRY, true),
    )
    .unwrap_err();
    let s = e.to_string();
    assert!(
        matches!(e, SignError::Threshold { ref step, found: 0, .. } if step == "clone"),
        "{s}"
    );
    assert!(
        s.contains("clone.776a00e2.link: signature: rsassa-pss-sha256 signature does not verify"),
        "{s}"
    );

    // one byte of the signature
    let mut links = corpus_links();
    let orig = String::from_utf8(links["package.2f89b927.link"].clone()).unwrap();
    let t = orig.replacen("\"sig\": \"b61d", "\"sig\": \"b61e", 1);
    assert_ne!(t, orig);
    links.insert("package.2f89b927.link".into(), t.into_bytes());
    let e = verify_layout(
        &root_layout(),
        &[alice()],
        &links,
        &opts(BEFORE_EXPIRY, true),
    )
    .unwrap_err();
    assert!(
        matches!(e, SignError::Threshold { ref step, .. } if step == "package"),
        "{e}"
    );

    // missing link
    let mut links = corpus_links();
    links.remove("update-version.776a00e2.link");
    let e = verify_layout(
        &root_layout(),
        &[alice()],
        &links,
        &opts(BEFORE_EXPIRY, true),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("update-version.776a00e2.link: missing"),
        "{e}"
    );
}

#[test]
fn test_metadata_fixtures() {
    let c = corpus().join("test_metadata");
    let layout = Metablock::from_json(&std::fs::read(c.join("demo.layout")).unwrap()).unwrap();
    let lay = Layout::from_value(&layout.signed).unwrap();
    assert_eq!(lay.steps.len(), 2);
    assert_eq!(lay.inspect.len(), 1);
    assert_eq!(
        lay.steps[1].expected_materials[0].to_string(),
        "MATCH foo.py WITH PRODUCTS FROM write-code"
    );
    let link = Metablock::from_json(&std::fs::read(c.join("demo.link")).unwrap()).unwrap();
    let l = Link::from_value(&link.signed).unwrap();
    assert_eq!(l.products.len(), 1);
    assert!(link.signatures.is_empty());
    // demo.layout's signature is by owner.der's key id, but in-toto-rs produced it over a different
    // serialization (its keys then carried "keyid" and "private" fields); in-toto-rs only tests
    // that the file deserializes. The signature check must therefore fail, before expiry.
    let der = std::fs::read(c.join("owner.der")).unwrap();
    let owner =
        InTotoKey::from_verifying_key(&VerifyingKey::from_ed25519_bytes(&der[32..]).unwrap());
    assert_eq!(layout.signatures[0].keyid, owner.keyid());
    let e = verify_layout(
        &layout,
        &[owner],
        &BTreeMap::new(),
        &opts("2024-01-01T00:00:00Z", true),
    )
    .unwrap_err();
    assert!(matches!(e, SignError::Signature(_)), "{e}");
}

// ------------------------------------------------------------ layouts built with otproof keys

struct Fixture {
    owner: SigningKey,
    ed: SigningKey,
    p256: SigningKey,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            owner: SigningKey::generate(Alg::Ed25519).unwrap(),
            ed: SigningKey::generate(Alg::Ed25519).unwrap(),
            p256: SigningKey::generate(Alg::P256).unwrap(),
        }
    }
    fn key(k: &SigningKey) -> (String, Value) {
        let ik = InTotoKey::from_verifying_key(&k.verifying_key());
        (
            ik.keyid(),
            json!({"keytype": ik.keytype, "scheme": ik.scheme, "keyval": {"public": ik.public}}),
        )
    }
    fn layout(&self, build_rules: Value) -> Metablock {
        let (ed_id, ed_key) = Self::key(&self.ed);
        let (p_id, p_key) = Self::key(&self.p256);
        let signed = json!({
            "_type": "layout", "expires": "2030-01-01T00:00:00Z", "readme": "",
            "keys": {ed_id.clone(): ed_key, p_id.clone(): p_key},
            "steps": [
                {"_type": "step", "name": "fetch", "threshold": 1, "pubkeys": [ed_id.clone()],
                 "expected_materials": [], "expected_command": ["fetch"],
                 "expected_products": [["CREATE", "src/*"], ["DISALLOW", "*"]]},
                {"_type": "step", "name": "build", "threshold": 2, "pubkeys": [ed_id, p_id],
                 "expected_command": ["make"],
                 "expected_materials": [["MATCH", "*", "IN", "src", "WITH", "PRODUCTS", "IN", "src", "FROM", "fetch"], ["DISALLOW", "*"]],
                 "expected_products": build_rules}
            ],
            "inspect": []
        });
        Metablock::sign(signed, &[&self.owner]).unwrap()
    }
    fn link(
        name: &str,
        mats: Value,
        prods: Value,
        cmd: &[&str],
        k: &SigningKey,
    ) -> (String, Vec<u8>) {
        let signed = json!({"_type": "link", "name": name, "materials": mats, "products": prods,
            "command": cmd, "byproducts": {"return-value": 0}, "environment": {}});
        let mb = Metablock::sign(signed, &[k]).unwrap();
        let kid = InTotoKey::from_verifying_key(&k.verifying_key()).keyid();
        (format!("{name}.{}.link", &kid[..8]), mb.to_json())
    }
    fn links(&self, build_prods: Value) -> BTreeMap<String, Vec<u8>> {
        let h = |c: char| json!({"sha256": c.to_string().repeat(64)});
        let src = json!({"src/a.c": h('a'), "src/b.c": h('b')});
        let mut out = BTreeMap::new();
        let (n, b) = Self::link("fetch", json!({}), src, &["fetch"], &self.ed);
        out.insert(n, b);
        for k in [&self.ed, &self.p256] {
            let (n, b) = Self::link(
                "build",
                json!({"src/a.c": h('a'), "src/b.c": h('b')}),
                build_prods.clone(),
                &["make"],
                k,
            );
            out.insert(n, b);
        }
        out
    }
    fn owner_key(&self) -> InTotoKey {
        InTotoKey::from_verifying_key(&self.owner.verifying_key())
    }
}

fn h(c: char) -> Value {
    json!({"sha256": c.to_string().repeat(64)})
}

const NOW: &str = "2025-01-01T00:00:00Z";

#[test]
fn own_layout_all_rule_kinds() {
    let f = Fixture::new();
    let rules = json!([
        ["REQUIRE", "app.bin"],
        ["CREATE", "app.bin"],
        ["MODIFY", "src/a.c"],
        ["DELETE", "src/b.c"],
        ["MATCH", "src/a.c", "WITH", "MATERIALS", "FROM", "build"],
        ["ALLOW", "*.log"],
        ["DISALLOW", "*"]
    ]);
    let prods = json!({"app.bin": h('f'), "src/a.c": h('e'), "build.log": h('1')});
    let r = verify_layout(
        &f.layout(rules),
        &[f.owner_key()],
        &f.links(prods),
        &opts(NOW, false),
    )
    .unwrap();
    assert!(r.is_complete());
    assert_eq!(r.steps[1].functionaries.len(), 2);
    assert_eq!(r.steps[1].rules_checked, 2 + 7);
}

#[test]
fn own_layout_rule_failures_name_the_rule() {
    let f = Fixture::new();
    let rules = json!([
        ["REQUIRE", "app.bin"],
        ["CREATE", "app.bin"],
        ["DISALLOW", "*"]
    ]);
    // extra product
    let e = verify_layout(
        &f.layout(rules.clone()),
        &[f.owner_key()],
        &f.links(json!({"app.bin": h('f'), "evil.sh": h('0')})),
        &opts(NOW, false),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "rule DISALLOW * (step \"build\" products): artifact(s) evil.sh not consumed by an earlier rule are disallowed");
    // required product missing
    let e = verify_layout(
        &f.layout(rules),
        &[f.owner_key()],
        &f.links(json!({"other": h('f')})),
        &opts(NOW, false),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("rule REQUIRE app.bin (step \"build\" products)"),
        "{e}"
    );
}

#[test]
fn own_layout_threshold_and_agreement() {
    let f = Fixture::new();
    let rules = json!([["ALLOW", "*"]]);
    let layout = f.layout(rules);
    let mut links = f.links(json!({"app.bin": h('f')}));
    // remove the P-256 functionary's link: threshold 2 not met
    let p_kid = InTotoKey::from_verifying_key(&f.p256.verifying_key()).keyid();
    let p_file = format!("build.{}.link", &p_kid[..8]);
    let saved = links.remove(&p_file).unwrap();
    let e = verify_layout(&layout, &[f.owner_key()], &links, &opts(NOW, false)).unwrap_err();
    assert!(
        matches!(
            e,
            SignError::Threshold {
                required: 2,
                found: 1,
                ..
            }
        ),
        "{e}"
    );
    // the same functionary's link twice does not count twice: put ed's link under p's name
    let ed_kid = InTotoKey::from_verifying_key(&f.ed.verifying_key()).keyid();
    let ed_link = links[&format!("build.{}.link", &ed_kid[..8])].clone();
    links.insert(p_file.clone(), ed_link);
    assert!(matches!(
        verify_layout(&layout, &[f.owner_key()], &links, &opts(NOW, false)),
        Err(SignError::Threshold { found: 1, .. })
    ));
    // disagreeing links
    links.insert(p_file.clone(), saved);
    let (n, b) = Fixture::link(
        "build",
        json!({"src/a.c": h('a'), "src/b.c": h('b')}),
        json!({"app.bin": h('9')}),
        &["make"],
        &f.p256,
    );
    assert_eq!(n, p_file);
    links.insert(n, b);
    let e = verify_layout(&layout, &[f.owner_key()], &links, &opts(NOW, false)).unwrap_err();
    assert!(e.to_string().contains("disagree"), "{e}");
}

#[test]
fn own_layout_command_mismatch_is_a_warning() {
    let f = Fixture::new();
    let layout = f.layout(json!([["ALLOW", "*"]]));
    let mut links = f.links(json!({"app.bin": h('f')}));
    let (n, b) = Fixture::link(
        "fetch",
        json!({}),
        json!({"src/a.c": h('a'), "src/b.c": h('b')}),
        &["curl", "x"],
        &f.ed,
    );
    links.insert(n, b);
    let r = verify_layout(&layout, &[f.owner_key()], &links, &opts(NOW, false)).unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

#[test]
fn link_of_other_step_name_is_rejected() {
    let f = Fixture::new();
    let layout = f.layout(json!([["ALLOW", "*"]]));
    let mut links = f.links(json!({"app.bin": h('f')}));
    let (n, b) = Fixture::link(
        "fetch2",
        json!({}),
        json!({"src/a.c": h('a'), "src/b.c": h('b')}),
        &["fetch"],
        &f.ed,
    );
    let kid = InTotoKey::from_verifying_key(&f.ed.verifying_key()).keyid();
    assert!(n.starts_with("fetch2."));
    links.insert(format!("fetch.{}.link", &kid[..8]), b);
    let e = verify_layout(&layout, &[f.owner_key()], &links, &opts(NOW, false)).unwrap_err();
    assert!(e.to_string().contains("does not match step name"), "{e}");
}

#[test]
fn rule_parsing() {
    let t = |v: &[&str]| Rule::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(
        t(&["match", "x", "in", "a", "with", "products", "in", "b", "from", "s"])
            .unwrap()
            .to_string(),
        "MATCH x IN a WITH PRODUCTS IN b FROM s"
    );
    assert!(t(&["MATCH", "x", "WITH", "PRODUCTS"]).is_err());
    assert!(t(&["MATCH", "x", "WITH", "THINGS", "FROM", "s"]).is_err());
    assert!(t(&["MATCH", "x", "WITH", "PRODUCTS", "FROM", "s", "extra"]).is_err());
    assert!(t(&["CREATE"]).is_err());
    assert!(t(&["FOO", "x"]).is_err());
    assert!(t(&[]).is_err());
}

#[test]
fn fnmatch_semantics() {
    assert!(fnmatch("*", "a/b/c"));
    assert!(fnmatch("demo-project/*", "demo-project/.git/x"));
    assert!(!fnmatch("demo-project/*", "demo-project"));
    assert!(fnmatch("*.py", "a/b.py"));
    assert!(fnmatch("?.c", "a.c"));
    assert!(!fnmatch("?.c", "ab.c"));
    assert!(fnmatch("[ab]x", "bx"));
    assert!(!fnmatch("[!ab]x", "bx"));
    assert!(fnmatch("[a-c]*", "c.txt"));
    assert!(fnmatch("[", "["));
    assert!(fnmatch("a*b*c", "aXXbYYc"));
    assert!(!fnmatch("a*b*c", "aXXbYY"));
    assert!(fnmatch("", ""));
    assert!(!fnmatch("", "a"));
}

#[test]
fn metablock_parse_errors_name_the_path() {
    let e = Metablock::from_json(br#"{"signed": {}, "signatures": [{"keyid": 1}]}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "parse in-toto metadata: $.signatures[0].keyid: expected a string, found number"
    );
    let e = Metablock::from_json(b"[]").unwrap_err();
    assert!(e.to_string().contains("$: expected an object"), "{e}");
    let e = Layout::from_value(&json!({"_type": "layout", "expires": "x", "steps": [{"name": "a", "expected_products": [["NOPE", "x"]]}]})).unwrap_err();
    assert!(
        e.to_string()
            .contains("$.signed.steps[0].expected_products[0]"),
        "{e}"
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(bytes: &[u8]) {
        if let Ok(mb) = Metablock::from_json(bytes) {
            let _ = Layout::from_value(&mb.signed);
            let _ = Link::from_value(&mb.signed);
            let _ = otproof_sign::canonical::canonical_json(&mb.signed);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn layout_and_link_parsing_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            parse_all(&bytes);
        }

        #[test]
        fn mutated_corpus_never_panics(pos in any::<prop::sample::Index>(), b in any::<u8>()) {
            let mut raw = std::fs::read(corpus().join("test_verifylib/workdir/root.layout")).unwrap();
            let i = pos.index(raw.len());
            raw[i] = b;
            parse_all(&raw);
        }

        #[test]
        fn fnmatch_never_panics(p in "[a-c*?\\[\\]!/-]{0,12}", s in "[a-c/\\[-]{0,12}") {
            let _ = fnmatch(&p, &s);
            prop_assert!(fnmatch("*", &s));
            prop_assert!(fnmatch(&s.replace(['*', '?', '['], "x"), &s.replace(['*', '?', '['], "x")));
        }
    }
}
