//! Writers, checkpointers, provers and verifiers side by side on one store, each with its own
//! connection (as separate processes have): no checkpoint signs the root of another size, no
//! proof fails, verification never reports tampering that is not there, and the store
//! verifies afterwards. Bounded by iteration counts, not time.

mod common;
use common::*;
use otproof_store::{Store, Trust};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[test]
fn appenders_checkpointers_provers_and_verifiers_side_by_side() {
    let d = tempfile::tempdir().expect("tmp");
    let mut first = Store::init(d.path(), Some("race.example/log")).expect("init");
    first.append_one(record(0, "GW-9", "CR 7.1")).expect("seed");
    drop(first);
    let dir = d.path().join(".otproof");
    let done = Arc::new(AtomicBool::new(false));

    let appenders: Vec<_> = (0..2u64)
        .map(|w| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&dir).expect("open");
                for n in 0..40u64 {
                    let batch = (0..1 + (n % 3))
                        .map(|k| record(1000 * (w + 1) + 10 * n + k, "GW-9", "CR 7.1"))
                        .collect();
                    s.append(batch).expect("append");
                }
            })
        })
        .collect();

    let checkpointer = {
        let (dir, done) = (dir.clone(), done.clone());
        std::thread::spawn(move || {
            let mut s = Store::open(&dir).expect("open");
            let mut signed = 0usize;
            while !done.load(Ordering::SeqCst) || signed == 0 {
                s.checkpoint().expect("checkpoint");
                let leaf = s.size().expect("size") / 2;
                let rec = s.get_leaf(leaf).expect("record");
                let p = s.prove(&rec.id.to_string()).expect("prove");
                let root = p.checkpoint.root;
                otproof_ledger::verify_inclusion(
                    &otproof_store::record_leaf(&rec.id),
                    p.leaf,
                    p.size,
                    &p.proof,
                    &root,
                )
                .expect("a proof handed out beside appends verifies");
                signed += 1;
            }
            signed
        })
    };

    let verifier = {
        let (dir, done) = (dir.clone(), done.clone());
        std::thread::spawn(move || {
            let s = Store::open_read_only(&dir).expect("open read-only");
            let mut runs = 0usize;
            while !done.load(Ordering::SeqCst) || runs == 0 {
                let r = s.verify(&Trust::default()).expect("verify");
                assert!(
                    r.ok(),
                    "verification beside a writer reported: {:?}",
                    r.problems()
                );
                runs += 1;
            }
            runs
        })
    };

    for a in appenders {
        a.join().expect("appender");
    }
    done.store(true, Ordering::SeqCst);
    let signed = checkpointer.join().expect("checkpointer");
    let runs = verifier.join().expect("verifier");
    assert!(signed > 0 && runs > 0);

    let s = Store::open_read_only(&dir).expect("open");
    assert_eq!(s.size().expect("size"), 1 + 2 * (14 + 2 * 13 + 3 * 13));
    let r = s
        .verify(&Trust {
            key: Some(s.verifier().clone()),
            checkpoints: vec![],
        })
        .expect("verify");
    assert!(r.ok(), "{:?}", r.problems());
}
