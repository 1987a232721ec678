//! Tampering: one changed byte in a blob, a record, a tree node, a checkpoint, or anywhere in
//! an exported bundle is found and named; nothing panics.

mod common;
use common::*;
use otproof_store::{bundle, Store};

fn populated() -> (tempfile::TempDir, Store, Vec<otproof_evidence::RecordId>) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::init(dir.path(), Some("tamper.example/log")).expect("init");
    let mut ids = Vec::new();
    for n in 0..5 {
        let r = record_with_blob(&store, n);
        ids.push(store.append_one(r).expect("append").id);
    }
    ids.extend(
        store
            .append((10..20).map(|n| record(n, "GW-9", "CR 7.1")).collect())
            .expect("batch")
            .iter()
            .map(|a| a.id),
    );
    (dir, store, ids)
}

fn db(store: &Store) -> rusqlite::Connection {
    rusqlite::Connection::open(store.dir().join("otproof.db")).expect("db")
}

fn problems(store: &Store) -> Vec<String> {
    let r = store
        .verify(&otproof_store::Trust::default())
        .expect("verify runs");
    r.problems().iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_changed_blob_is_named() {
    let (_d, store, ids) = populated();
    let rec = store.get(&ids[2].to_string()).expect("get");
    let a = &rec.record.attachments()[0];
    let path = store.blobs().path(&a.sha256);
    let mut bytes = std::fs::read(&path).expect("blob");
    bytes[3] ^= 0x20;
    std::fs::write(&path, bytes).expect("write");
    let p = problems(&store);
    assert!(
        p.iter()
            .any(|m| m.contains(&a.sha256.hex()) || m.contains("does not match its digest")),
        "{p:?}"
    );
}

#[test]
fn a_changed_record_is_named() {
    let (_d, store, ids) = populated();
    let conn = db(&store);
    let json: Vec<u8> = conn
        .query_row("SELECT json FROM records WHERE leaf = 7", [], |r| r.get(0))
        .expect("row");
    let mut changed = json.clone();
    let at = changed.iter().position(|b| *b == b'7').expect("a digit");
    changed[at] = b'8';
    conn.execute("UPDATE records SET json = ?1 WHERE leaf = 7", [changed])
        .expect("update");
    let p = problems(&store);
    assert!(
        p.iter()
            .any(|m| m.contains("leaf 7") && m.contains(&ids[7].to_string())),
        "{p:?}"
    );
}

#[test]
fn a_changed_tree_node_is_named() {
    let (_d, store, _ids) = populated();
    let conn = db(&store);
    let hash: Vec<u8> = conn
        .query_row(
            "SELECT hash FROM nodes WHERE level = 2 AND idx = 1",
            [],
            |r| r.get(0),
        )
        .expect("node");
    let mut h = hash.clone();
    h[0] ^= 1;
    conn.execute(
        "UPDATE nodes SET hash = ?1 WHERE level = 2 AND idx = 1",
        [h],
    )
    .expect("update");
    let p = problems(&store);
    assert!(p.iter().any(|m| m.contains("level 2, index 1")), "{p:?}");
}

#[test]
fn a_changed_checkpoint_is_named() {
    let (_d, store, _ids) = populated();
    let conn = db(&store);
    let (size, note): (i64, String) = conn
        .query_row(
            "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("cp");
    let mut bytes = note.into_bytes();
    let at = bytes.iter().position(|b| *b == b'\n').expect("newline") + 2;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    let changed = String::from_utf8(bytes).expect("utf8");
    conn.execute(
        "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
        rusqlite::params![changed, size],
    )
    .expect("update");
    let p = problems(&store);
    assert!(
        p.iter()
            .any(|m| m.contains(&format!("checkpoint at size {size}"))),
        "{p:?}"
    );
}

#[test]
fn every_single_byte_change_of_a_bundle_is_detected() {
    let (_d, mut store, ids) = populated();
    let bytes = bundle::export(&mut store, &ids).expect("export");
    let verifier = store.verifier().clone();
    let good = bundle::verify(&bytes, Some(&verifier)).expect("readable");
    assert!(good.ok(), "{:?}", good.problems());
    // Every byte of headers and content, and a sample of the zero padding at the end.
    let mut positions: Vec<usize> = (0..bytes.len()).step_by(7).collect();
    positions.extend([0, 100, 148, 511, 512, bytes.len() - 1, bytes.len() - 600]);
    for at in positions {
        let mut t = bytes.clone();
        t[at] ^= 0x04;
        // An unreadable bundle (Err) is rejected too.
        if let Ok(r) = bundle::verify(&t, Some(&verifier)) {
            assert!(!r.ok(), "byte {at} changed and the bundle still verified");
        }
    }
    // Truncated and extended bundles.
    assert!(
        bundle::verify(&bytes[..bytes.len() - 1024], Some(&verifier)).map_or(true, |r| !r.ok())
    );
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0u8; 512]);
    assert!(bundle::verify(&longer, Some(&verifier)).map_or(true, |r| !r.ok()));
}

#[test]
fn a_bundle_signed_by_another_key_is_refused_when_a_key_is_pinned() {
    let (_d, mut store, ids) = populated();
    let bytes = bundle::export(&mut store, &ids[..3]).expect("export");
    let other = otproof_ledger::note::Signer::generate("tamper.example/log").expect("key");
    let other_v = otproof_ledger::note::Verifier::from_vkey(&other.vkey_text()).expect("vkey");
    let r = bundle::verify(&bytes, Some(&other_v)).expect("readable");
    assert!(!r.ok());
    assert!(
        r.problems()
            .iter()
            .any(|p| p.contains("not the pinned key")),
        "{:?}",
        r.problems()
    );
    let unpinned = bundle::verify(&bytes, None).expect("readable");
    assert!(unpinned.ok());
    assert!(unpinned
        .checks
        .iter()
        .any(|c| c.what.contains("shipped in the bundle")));
}

#[test]
fn garbage_is_rejected_without_panic() {
    for input in [
        &b""[..],
        b"not a tar",
        &[0u8; 1024][..],
        &[0xffu8; 2048][..],
    ] {
        if let Ok(r) = bundle::verify(input, None) {
            assert!(!r.ok());
        }
    }
}
