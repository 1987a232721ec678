//! `verify --store` against every class of tampering with the database that leaves records
//! intact (index columns, requirement rows, lookup keys, tree nodes, checkpoints), against a
//! rollback and a replaced key pair (caught only with facts kept outside the store), and the
//! leftovers of interrupted writes (reported, not failed).

mod common;
use common::*;
use otproof_ledger::note::{Signer, Verifier};
use otproof_store::{Store, Trust};

fn populated() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::init(dir.path(), Some("tamper.example/log")).expect("init");
    for n in 0..4 {
        let r = record_with_blob(&store, n);
        store.append_one(r).expect("append");
    }
    store
        .append((10..19).map(|n| record(n, "GW-9", "CR 7.1")).collect())
        .expect("batch");
    store.append_one(record(30, "GW-9", "CR 3.5")).expect("one");
    (dir, store)
}

fn db(store: &Store) -> rusqlite::Connection {
    rusqlite::Connection::open(store.dir().join("otproof.db")).expect("db")
}

fn problems_with(store: &Store, trust: &Trust) -> Vec<String> {
    let r = store.verify(trust).expect("verify runs");
    r.problems().iter().map(|s| s.to_string()).collect()
}

fn problems(store: &Store) -> Vec<String> {
    problems_with(store, &Trust::default())
}

fn assert_named(p: &[String], needle: &str) {
    assert!(
        p.iter().any(|m| m.contains(needle)),
        "expected a problem naming '{needle}', got {p:?}"
    );
}

#[test]
fn an_untouched_store_verifies_and_says_what_it_could_not_check() {
    let (_d, store) = populated();
    let r = store.verify(&Trust::default()).expect("verify");
    assert!(r.ok(), "{:?}", r.problems());
    assert!(
        r.checks
            .iter()
            .any(|c| c.notes.iter().any(|n| n.starts_with("not checked"))),
        "an unpinned verification must say that re-keying was not checked"
    );
    let pinned = Trust {
        key: Some(store.verifier().clone()),
        checkpoints: vec![],
    };
    let r = store.verify(&pinned).expect("verify");
    assert!(r.ok(), "{:?}", r.problems());
    assert!(
        r.checks.iter().all(|c| c.notes.is_empty()),
        "{:?}",
        r.checks
    );
}

#[test]
fn every_edited_index_column_is_named() {
    for (column, value) in [
        ("title", "'Full SDL certification'"),
        ("kind", "'evidence/assessment'"),
        ("product", "'Other product'"),
        ("subject", "'Contoso Other 9.9'"),
        ("created", "'2020-01-01T00:00:00Z'"),
        ("supersedes", "'sha256:00'"),
    ] {
        let (_d, store) = populated();
        db(&store)
            .execute(
                &format!("UPDATE records SET {column} = {value} WHERE leaf = 6"),
                [],
            )
            .expect("update");
        let p = problems(&store);
        assert_named(&p, &format!("record at leaf 6: index column '{column}'"));
    }
}

#[test]
fn requirement_rows_added_removed_or_dangling_are_named() {
    let (_d, store) = populated();
    let conn = db(&store);
    conn.execute(
        "INSERT INTO record_requirements (leaf, requirement) VALUES (5, 'SM-1')",
        [],
    )
    .expect("add");
    conn.execute("DELETE FROM record_requirements WHERE leaf = 7", [])
        .expect("remove");
    conn.execute("PRAGMA foreign_keys = OFF", []).expect("fk");
    conn.execute(
        "INSERT INTO record_requirements (leaf, requirement) VALUES (99, 'CR 1.1')",
        [],
    )
    .expect("dangling");
    let p = problems(&store);
    assert_named(&p, "record at leaf 5: the requirement index lists SM-1");
    assert_named(&p, "record at leaf 7: names CR 7.1");
    assert_named(&p, "lists CR 1.1 for leaf 99, which holds no record");
}

#[test]
fn a_changed_lookup_key_is_named() {
    let (_d, store) = populated();
    db(&store)
        .execute("UPDATE records SET id_key = id_key + 1 WHERE leaf = 3", [])
        .expect("update");
    assert_named(&problems(&store), "cannot be found by its ID");
}

#[test]
fn a_deleted_tree_node_is_named() {
    let (_d, store) = populated();
    db(&store)
        .execute("DELETE FROM nodes WHERE level = 1 AND idx = 2", [])
        .expect("delete");
    assert_named(
        &problems(&store),
        "tree node (level 1, index 2) is missing from the store",
    );
    let (_d, store) = populated();
    db(&store)
        .execute("DELETE FROM nodes WHERE level = 3", [])
        .expect("delete top");
    assert_named(&problems(&store), "(level 3, index 0) is missing");
}

#[test]
fn deleted_checkpoints_are_named() {
    let (_d, store) = populated();
    db(&store)
        .execute("DELETE FROM checkpoints", [])
        .expect("delete");
    assert_named(&problems(&store), "no signed checkpoint, but 14 records");
    let (_d, store) = populated();
    db(&store)
        .execute("DELETE FROM checkpoints WHERE size = 14", [])
        .expect("delete newest");
    assert_named(&problems(&store), "the last 1 are signed by no checkpoint");
}

/// Remove the records from `keep` on, with their requirement rows, tree nodes and
/// checkpoints: a store that is consistent in itself, only shorter.
fn roll_back(store: &Store, keep: u64) {
    let conn = db(store);
    let k = keep as i64;
    conn.execute("DELETE FROM record_requirements WHERE leaf >= ?1", [k])
        .expect("reqs");
    conn.execute("DELETE FROM records WHERE leaf >= ?1", [k])
        .expect("records");
    conn.execute("DELETE FROM nodes WHERE ((idx + 1) << level) > ?1", [k])
        .expect("nodes");
    conn.execute("DELETE FROM checkpoints WHERE size > ?1", [k])
        .expect("checkpoints");
}

#[test]
fn a_rollback_is_caught_only_against_a_kept_checkpoint() {
    let (d, mut store) = populated();
    let kept = store.checkpoint().expect("checkpoint").note;
    roll_back(&store, 4);
    drop(store);
    let store = Store::open(&d.path().join(".otproof")).expect("reopen");
    assert_eq!(store.size().expect("size"), 4);
    // Consistent in itself: nothing inside the store can tell.
    assert!(problems(&store).is_empty(), "{:?}", problems(&store));
    let trust = Trust {
        key: None,
        checkpoints: vec![("kept.note".into(), kept)],
    };
    let p = problems_with(&store, &trust);
    assert_named(&p, "kept.note: the kept checkpoint covers 14 records");
    assert_named(&p, "rolled back (10 records removed)");
}

#[test]
fn rewritten_history_is_caught_against_a_kept_checkpoint() {
    let (d, mut store) = populated();
    let kept = store.checkpoint().expect("checkpoint").note;
    // Roll back to 4 and append other records: same size again, different history.
    roll_back(&store, 4);
    drop(store);
    let mut store = Store::open(&d.path().join(".otproof")).expect("reopen");
    store
        .append((50..60).map(|n| record(n, "GW-9", "CR 7.1")).collect())
        .expect("rewrite");
    assert!(problems(&store).is_empty());
    let trust = Trust {
        key: None,
        checkpoints: vec![("kept.note".into(), kept)],
    };
    assert_named(&problems_with(&store, &trust), "its history was rewritten");
}

/// Replace the key pair and re-sign every checkpoint with the new key.
fn re_key(store_dir: &std::path::Path) {
    let new = Signer::generate("tamper.example/log").expect("key");
    std::fs::write(store_dir.join("keys/ledger.vkey"), new.vkey_text() + "\n").expect("vkey");
    std::fs::remove_file(store_dir.join("keys/ledger.skey")).expect("rm skey");
    let conn = rusqlite::Connection::open(store_dir.join("otproof.db")).expect("db");
    let rows: Vec<(i64, Vec<u8>)> = {
        let mut st = conn
            .prepare("SELECT size, root FROM checkpoints")
            .expect("prepare");
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    for (size, root) in rows {
        let root: [u8; 32] = root.as_slice().try_into().expect("32 bytes");
        let cp = otproof_store::sign_checkpoint(&new, "tamper.example/log", size as u64, root)
            .expect("sign");
        conn.execute(
            "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
            rusqlite::params![cp.note, size],
        )
        .expect("update");
    }
}

#[test]
fn a_replaced_key_pair_is_caught_with_the_pinned_key_or_a_kept_checkpoint() {
    let (d, mut store) = populated();
    let old: Verifier = store.verifier().clone();
    let kept = store.checkpoint().expect("checkpoint").note;
    drop(store);
    let dir = d.path().join(".otproof");
    re_key(&dir);
    let store = Store::open_read_only(&dir).expect("reopen");
    assert!(problems(&store).is_empty(), "{:?}", problems(&store));
    let pinned = Trust {
        key: Some(old),
        checkpoints: vec![],
    };
    let p = problems_with(&store, &pinned);
    assert_named(&p, "is not the key you trust");
    assert_named(&p, "checkpoint at size 14: signature");
    let kept = Trust {
        key: None,
        checkpoints: vec![("kept.note".into(), kept)],
    };
    assert_named(&problems_with(&store, &kept), "kept.note: signature");
}

#[test]
fn leftovers_of_interrupted_writes_are_reported_not_failed() {
    let (_d, store) = populated();
    let orphan = store.put_blob(b"never recorded").expect("blob");
    let tmp = store
        .blobs()
        .path(&orphan)
        .with_file_name(format!(".tmp-{}-123", orphan.hex()));
    std::fs::write(&tmp, b"half").expect("tmp");
    let r = store.verify(&Trust::default()).expect("verify");
    assert!(r.ok(), "{:?}", r.problems());
    let notes: Vec<&String> = r.checks.iter().flat_map(|c| c.notes.iter()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&orphan.hex()) && n.contains("attached to no record")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("temporary file")),
        "{notes:?}"
    );
    // A file that does not belong at all is a problem.
    std::fs::write(store.blobs().dir().join("zz-planted"), b"x").expect("plant");
    assert_named(&problems(&store), "not a blob folder");
}

#[test]
fn a_read_only_store_reads_and_refuses_to_write() {
    let (d, store) = populated();
    drop(store);
    let dir = d.path().join(".otproof");
    let mut ro = Store::open_read_only(&dir).expect("open read-only");
    assert!(ro.is_read_only());
    assert_eq!(ro.size().expect("size"), 14);
    assert!(ro.verify(&Trust::default()).expect("verify").ok());
    assert!(ro.append_one(record(99, "GW-9", "CR 7.1")).is_err());
    assert!(ro.checkpoint().is_ok(), "the newest checkpoint is current");
    let mut w = Store::open(&dir).expect("writer");
    w.append_one(record(98, "GW-9", "CR 7.1")).expect("append");
    // The read-only store sees the new record (no stale snapshot kept between calls), and
    // cannot sign a checkpoint for it.
    assert_eq!(ro.size().expect("size"), 15);
    assert!(ro
        .prove(&w.get_leaf(14).expect("leaf").id.to_string())
        .is_ok());
}
