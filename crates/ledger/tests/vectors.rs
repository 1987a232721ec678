//! The published vectors in testdata/: transparency-dev/merkle inclusion and
//! consistency proofs (including corrupted ones), and C2SP / Go signed notes and checkpoints.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use otproof_ledger::checkpoint::Checkpoint;
use otproof_ledger::note::{self, NoteError, Signer, Verifier};
use otproof_ledger::*;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    assert!(
        dir.join("merkle").is_dir(),
        "test vectors not found at {}",
        dir.display()
    );
    dir
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn b64(v: &serde_json::Value) -> Vec<u8> {
    v.as_str()
        .map(|s| B64.decode(s).expect("base64"))
        .unwrap_or_default()
}

fn proof(v: &serde_json::Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(b64).collect())
        .unwrap_or_default()
}

/// Vectors where a literal reading of RFC 9162 would decide otherwise; we follow
/// transparency-dev (reject consistency from size 0, reject empty hashes).
const STRICTER_THAN_LITERAL_RFC: &[&str] = &[
    "inclusion/single-entry/empty-root-and-leaf.json",
    "consistency/additional/sizes-are-equal-zero-and-proof-is-empty.json",
    "consistency/additional/size1-is-zero-and-size2-is-not-zero.json",
    "consistency/additional/consistency-check-on-empty-tree-size1-is-zero-is-useless.json",
];

#[test]
fn every_merkle_vector_gives_the_expected_outcome() {
    let root = testdata().join("merkle");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(
        all.len() > 150,
        "expected the full vector set, found {}",
        all.len()
    );
    let (mut inclusion, mut consistency) = (0, 0);
    for path in all {
        let rel = path
            .strip_prefix(&root)
            .expect("rel")
            .to_string_lossy()
            .replace('\\', "/");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        let got = if rel.starts_with("inclusion") {
            inclusion += 1;
            verify_inclusion(
                &b64(&v["leafHash"]),
                v["leafIdx"].as_u64().expect("idx"),
                v["treeSize"].as_u64().expect("size"),
                &proof(&v["proof"]),
                &b64(&v["root"]),
            )
        } else {
            consistency += 1;
            verify_consistency(
                v["size1"].as_u64().expect("size1"),
                v["size2"].as_u64().expect("size2"),
                &proof(&v["proof"]),
                &b64(&v["root1"]),
                &b64(&v["root2"]),
            )
        };
        assert_eq!(got.is_err(), want_err, "{rel}: {got:?}");
        if STRICTER_THAN_LITERAL_RFC.contains(&rel.as_str()) {
            assert!(got.is_err(), "{rel}: our documented choice is to reject");
        }
    }
    assert!(inclusion > 50 && consistency > 50);
}

#[test]
fn every_signed_note_vector_gives_the_expected_outcome() {
    let dir = testdata().join("checkpoints");
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("signed-note-vectors.json")).expect("read"),
    )
    .expect("json");
    for v in vectors.as_array().expect("array") {
        let name = v["name"].as_str().expect("name");
        let text = v["note"].as_str().expect("note");
        // The file pairs agree with the JSON.
        if let Ok(file) = std::fs::read_to_string(dir.join(format!("{name}.note"))) {
            assert_eq!(file, text, "{name}.note");
        }
        let Some(vkey) = v["vkey"].as_str() else {
            // parse-only vector: the checkpoint body parses and the note is well-formed
            let opened = note::open(text, &[]);
            assert!(
                matches!(opened, Err(NoteError::NoKnownSignature(_))),
                "{name}: {opened:?}"
            );
            let body = &text[..text.rfind("\n\n").expect("blank line") + 1];
            let cp = Checkpoint::parse(body).expect("checkpoint parses");
            assert_eq!(cp.to_text(), body);
            continue;
        };
        let verifier = Verifier::from_vkey(vkey).expect("vkey parses");
        let got = note::open(text, &[verifier]);
        match v["want_valid"].as_bool() {
            Some(true) => {
                let o = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(o.verified_by.len(), 1, "{name}");
            }
            Some(false) => assert!(got.is_err(), "{name} verified but must not"),
            None => {}
        }
        if let Some(skey) = v["skey"].as_str() {
            let s = Signer::from_skey(skey).expect("skey parses");
            if v["want_valid"] == true {
                // Ed25519 signatures are deterministic: we reproduce the published note.
                let body = &text[..text.rfind("\n\n").expect("blank") + 1];
                assert_eq!(note::sign(body, &s).expect("sign"), text, "{name}");
                assert_eq!(s.vkey_text(), vkey);
            }
        }
    }
    // The tampered and wrong-key files fail with the right reasons.
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).expect("file");
    let v = Verifier::from_vkey(read("c2sp-signed-note-example-tampered-body.vkey").trim())
        .expect("vkey");
    assert!(matches!(
        note::open(&read("c2sp-signed-note-example-tampered-body.note"), &[v]),
        Err(NoteError::BadSignature(_))
    ));
    let v = Verifier::from_vkey(read("go-sumdb-note-PeterNeumann-wrong-key.vkey").trim())
        .expect("vkey");
    assert!(matches!(
        note::open(&read("go-sumdb-note-PeterNeumann-wrong-key.note"), &[v]),
        Err(NoteError::NoKnownSignature(_))
    ));
    let rome = read("static-ct-rome-2024h1-checkpoint.note");
    let o = note::open(
        &rome,
        &[
            Verifier::from_vkey(read("static-ct-rome-2024h1-checkpoint.vkey").trim())
                .expect("vkey"),
        ],
    )
    .expect("the Static-CT checkpoint verifies (RFC 6962 signature)");
    let cp = Checkpoint::parse(&o.text).expect("checkpoint");
    assert_eq!(
        (cp.origin.as_str(), cp.size),
        ("rome.ct.filippo.io/2024h1", 115474666)
    );
}

#[test]
fn generated_keys_sign_checkpoints_that_open_and_parse_back() {
    let s = Signer::generate("example.org/ledger").expect("key");
    let v = Verifier::from_vkey(&s.vkey_text()).expect("vkey");
    let again = Signer::from_skey(&s.skey_text()).expect("skey");
    assert_eq!(again.vkey_text(), s.vkey_text());
    assert!(
        !format!("{s:?}").contains(&s.skey_text()[20..]),
        "Debug never shows the key"
    );
    let cp = Checkpoint {
        origin: "example.org/ledger".into(),
        size: 42,
        root: leaf_hash(b"x"),
        extensions: vec!["ext one".into()],
    };
    let signed = note::sign(&cp.to_text(), &s).expect("sign");
    let opened = note::open(&signed, std::slice::from_ref(&v)).expect("open");
    assert_eq!(Checkpoint::parse(&opened.text).expect("parse"), cp);
    let mut bad = signed.clone().into_bytes();
    bad[20] ^= 1; // the size line
    let bad = String::from_utf8(bad).expect("utf8");
    assert!(note::open(&bad, std::slice::from_ref(&v)).is_err());
    for garbage in [
        "",
        "\n\n",
        "x\n\n— a b\n",
        "text\n\n— name AAAA\n",
        "no blank line\n— a AAAAAAAA\n",
    ] {
        assert!(
            note::open(garbage, std::slice::from_ref(&v)).is_err(),
            "{garbage:?}"
        );
    }
    for bad_cp in [
        "",
        "a\n",
        "a\n01\nAAAA\n",
        "a\n1\nnotbase64\n",
        "a\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n",
    ] {
        assert!(Checkpoint::parse(bad_cp).is_err(), "{bad_cp:?}");
    }
}

/// RFC 9162 MTH, written plainly.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

proptest! {
    #[test]
    fn proofs_from_stored_subtrees_verify_against_the_plain_definition(n in 1u64..300, pick in any::<u64>(), pick2 in any::<u64>()) {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let mut mem = MemoryNodes::default();
        // Append in two batches through nodes_to_append, checking it against MemoryNodes.
        let half = (n / 2) as usize;
        let mut alt = MemoryNodes::default();
        alt.append(&leaves[..half]);
        let extra = nodes_to_append(&alt, half as u64, &leaves[half..]).expect("nodes");
        mem.append(&leaves);
        for (l, i, h) in &extra {
            prop_assert_eq!(mem.node(*l, *i).expect("node"), Some(*h));
        }
        let size = n;
        let r = root(&mem, size).expect("root");
        prop_assert_eq!(r, mth(&leaves));
        let idx = pick % size;
        let p = inclusion_proof(&mem, idx, size).expect("proof");
        prop_assert!(verify_inclusion(&leaves[idx as usize], idx, size, &p, &r).is_ok());
        if !p.is_empty() {
            let mut bad = p.clone();
            let j = (pick2 % bad.len() as u64) as usize;
            bad[j][(pick2 % 32) as usize] ^= 1;
            prop_assert!(verify_inclusion(&leaves[idx as usize], idx, size, &bad, &r).is_err());
        }
        let old = 1 + pick2 % size;
        let c = consistency_proof(&mem, old, size).expect("consistency");
        let old_root = mth(&leaves[..old as usize]);
        prop_assert!(verify_consistency(old, size, &c, &old_root, &r).is_ok());
        if !c.is_empty() {
            let mut bad = c.clone();
            bad[0][0] ^= 1;
            prop_assert!(verify_consistency(old, size, &bad, &old_root, &r).is_err());
        }
    }
}
