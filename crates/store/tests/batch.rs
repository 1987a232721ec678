//! Batched appends: a record twice in one batch, or one already stored, refuses the whole
//! batch and writes nothing; the size stays one past the last leaf across batches.

mod common;
use common::*;
use otproof_store::{Store, StoreError};

#[test]
fn a_batch_with_a_duplicate_is_refused_whole_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::init(dir.path(), Some("test.example/log")).expect("init");
    let first: Vec<_> = (0..10).map(|n| record(n, "P", "SVV-3")).collect();
    store.append(first.clone()).expect("first batch");
    assert_eq!(store.size().expect("size"), 10);
    let checkpoints = store.checkpoints().expect("checkpoints").len();

    // Twice in the same batch (the same value: IDs include the creation time).
    let dup = record(100, "P", "SVV-3");
    let twice = vec![dup.clone(), record(101, "P", "SVV-3"), dup];
    assert!(matches!(store.append(twice), Err(StoreError::Duplicate(_))));
    // Already stored, at the end of an otherwise new batch.
    let again = vec![record(200, "P", "SVV-3"), first[3].clone()];
    assert!(matches!(store.append(again), Err(StoreError::Duplicate(_))));

    assert_eq!(store.size().expect("size"), 10);
    assert_eq!(store.checkpoints().expect("checkpoints").len(), checkpoints);
    assert!(store.list(None, None).expect("list").len() == 10);

    let next: Vec<_> = (100..1100).map(|n| record(n, "P", "CR 3.5")).collect();
    let appended = store.append(next).expect("batch of 1000");
    assert_eq!(appended.first().map(|a| a.leaf), Some(10));
    assert_eq!(appended.last().map(|a| a.leaf), Some(1009));
    assert_eq!(store.size().expect("size"), 1010);
    assert_eq!(store.list(Some("CR 3.5"), None).expect("list").len(), 1000);
    assert!(store
        .verify(&otproof_store::Trust::default())
        .expect("verify")
        .ok());
}
