//! The store: appends, reads, proofs, filters, refusals, migrations.

mod common;
use common::*;
use otproof_store::{record_leaf, Store, StoreError};

#[test]
fn appends_are_proven_and_consistent_across_checkpoints() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::init(dir.path(), Some("test.example/log")).expect("init");
    assert_eq!(store.origin(), "test.example/log");
    let mut ids = Vec::new();
    let mut checkpoints = Vec::new();
    for batch in 0..7u64 {
        let recs: Vec<_> = (0..batch * 3 + 1)
            .map(|i| {
                record(
                    batch * 100 + i,
                    if i % 2 == 0 { "RTU-5" } else { "GW-9" },
                    "SVV-3",
                )
            })
            .collect();
        let done = store.append(recs).expect("append");
        ids.extend(done.iter().map(|a| a.id));
        let cp = store
            .latest_checkpoint()
            .expect("cp")
            .expect("a checkpoint per batch");
        assert_eq!(cp.size, ids.len() as u64);
        checkpoints.push(cp);
    }
    for (i, id) in ids.iter().enumerate() {
        let p = store.prove(&id.to_string()).expect("prove");
        assert_eq!(p.leaf, i as u64);
        otproof_ledger::verify_inclusion(
            &record_leaf(id),
            p.leaf,
            p.size,
            &p.proof,
            &p.checkpoint.root,
        )
        .expect("inclusion verifies");
        let back = store.get(&id.to_string()).expect("get");
        assert_eq!(back.id, *id);
    }
    for w in checkpoints.windows(2) {
        let proof = store
            .consistency(w[0].size, w[1].size)
            .expect("consistency");
        otproof_ledger::verify_consistency(w[0].size, w[1].size, &proof, &w[0].root, &w[1].root)
            .expect("consistent");
    }
    assert!(store
        .verify(&otproof_store::Trust::default())
        .expect("verify")
        .ok());
    assert_eq!(
        store.list(Some("svv 3"), None).expect("list").len(),
        ids.len()
    );
    let gw9: u64 = (0..7u64).map(|b| (b * 3).div_ceil(2)).sum();
    assert_eq!(
        store.list(None, Some("GW-9")).expect("list").len() as u64,
        gw9
    );
    // a unique prefix resolves
    let short = &ids[0].to_string()[7..19];
    assert_eq!(store.get(short).expect("prefix").id, ids[0]);
}

#[test]
fn refuses_duplicates_missing_blobs_unknown_supersedes_and_unknown_requirements() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::init(dir.path(), None).expect("init");
    let r = record(1, "RTU-5", "CR 3.5");
    store.append_one(r.clone()).expect("first");
    assert!(matches!(store.append_one(r), Err(StoreError::Duplicate(_))));
    let mut with_blob = record_with_blob(&store, 2);
    if let otproof_evidence::Body::Evidence(e) = &mut with_blob.body {
        e.attachments[0].sha256 = otproof_evidence::Sha256Digest::of(b"never stored");
    }
    assert!(matches!(
        store.append_one(with_blob),
        Err(StoreError::MissingBlob(_))
    ));
    let mut sup = record(3, "RTU-5", "CR 3.5");
    sup.supersedes = Some(otproof_evidence::RecordId::of_canonical(b"nothing"));
    assert!(matches!(
        store.append_one(sup),
        Err(StoreError::UnknownSuperseded(_))
    ));
    let bad = record(4, "RTU-5", "CR 42.1");
    assert!(matches!(store.append_one(bad), Err(StoreError::Record(_))));
    assert_eq!(
        store.size().expect("size"),
        1,
        "refused appends leave nothing behind"
    );
    assert!(store
        .verify(&otproof_store::Trust::default())
        .expect("verify")
        .ok());
}

#[test]
fn discovery_walks_up_and_init_refuses_twice() {
    let dir = tempfile::tempdir().expect("tmp");
    Store::init(dir.path(), None).expect("init");
    let deep = dir.path().join("a/b/c");
    std::fs::create_dir_all(&deep).expect("mkdir");
    assert_eq!(
        Store::discover(&deep).expect("found"),
        dir.path().join(".otproof")
    );
    assert!(matches!(
        Store::init(dir.path(), None),
        Err(StoreError::Exists(_))
    ));
    let other = tempfile::tempdir().expect("tmp");
    assert!(matches!(
        Store::discover(other.path()),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn private_key_has_mode_0600_and_a_readable_key_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path(), None).expect("init");
    let skey = store.dir().join("keys/ledger.skey");
    let mode = std::fs::metadata(&skey).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    drop(store);
    std::fs::set_permissions(&skey, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = Store::open(&dir.path().join(".otproof"))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[test]
fn migrations_are_numbered_idempotent_and_refuse_a_newer_schema() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path(), None).expect("init");
    let db = store.dir().join("otproof.db");
    drop(store);
    let conn = rusqlite::Connection::open(&db).expect("open");
    let v: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("v");
    assert!(v >= 1);
    drop(conn);
    Store::open(&dir.path().join(".otproof")).expect("reopen runs no migration twice");
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.pragma_update(None, "user_version", 999).expect("bump");
    drop(conn);
    let err = Store::open(&dir.path().join(".otproof"))
        .err()
        .expect("refused");
    assert!(
        matches!(err, StoreError::Version { found: 999, .. }),
        "{err}"
    );
}
