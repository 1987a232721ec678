//! Crash safety: a child process appends in a loop and is SIGKILLed at random moments; after
//! each kill every acknowledged record is present, the store verifies, and the log is
//! consistent with the checkpoint seen before. Also: two processes appending at once.
//!
//! The child is this same test binary, re-run with `OTPROOF_CRASH_CHILD` set.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

mod common;
use common::*;
use otproof_store::Store;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CHILD_ENV: &str = "OTPROOF_CRASH_CHILD";

/// Child mode: append batches forever (or `OTPROOF_CRASH_COUNT` batches), printing
/// `ACK <id>` for each record once `append` has returned.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // not a child: nothing to do
    };
    let limit: u64 = std::env::var("OTPROOF_CRASH_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    let tag: u64 = std::process::id().into();
    let mut store = Store::open(Path::new(&dir)).expect("open");
    let mut n = 0u64;
    while n < limit {
        let batch: Vec<_> = (0..1 + n % 4)
            .map(|i| {
                if i == 0 {
                    record_with_blob(&store, tag * 1_000_000 + n * 10 + i)
                } else {
                    record(tag * 1_000_000 + n * 10 + i, "RTU-5", "SVV-3")
                }
            })
            .collect();
        let done = store.append(batch).expect("append");
        for a in done {
            println!("ACK {}", a.id);
        }
        n += 1;
    }
}

fn spawn_child(store_dir: &Path, count: Option<u64>) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, store_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(c) = count {
        cmd.env("OTPROOF_CRASH_COUNT", c.to_string());
    }
    cmd.spawn().expect("child starts")
}

fn acks(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            // The test harness may print "test crash_child ... " on the same line.
            if let Some(pos) = line.find("ACK sha256:") {
                if tx.send(line[pos + 4..].trim().to_string()).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let store_dir = Store::init(dir.path(), Some("crash.example/log"))
        .expect("init")
        .dir()
        .to_path_buf();
    let mut rng = Lcg(0x5eed ^ u64::from(std::process::id()));
    let mut acknowledged: Vec<String> = Vec::new();
    let mut last_cp: Option<otproof_store::CheckpointRow> = None;
    for round in 0..20 {
        let mut child = spawn_child(&store_dir, None);
        let rx = acks(&mut child);
        // Wait for at least one acknowledgement, then a random extra moment.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("child acknowledges");
        acknowledged.push(first);
        std::thread::sleep(Duration::from_millis(rng.below(120)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        acknowledged.extend(rx.try_iter());

        let store = Store::open(&store_dir).expect("reopens after a kill");
        for id in &acknowledged {
            store
                .get(id)
                .unwrap_or_else(|e| panic!("round {round}: acknowledged {id} lost: {e}"));
        }
        let report = store
            .verify(&otproof_store::Trust::default())
            .expect("verify");
        assert!(report.ok(), "round {round}: {:?}", report.problems());
        let cp = store
            .latest_checkpoint()
            .expect("cp")
            .expect("a checkpoint");
        assert_eq!(
            cp.size,
            store.size().expect("size"),
            "every committed batch has its checkpoint"
        );
        if let Some(old) = &last_cp {
            let proof = store
                .consistency(old.size, cp.size)
                .expect("consistency proof");
            otproof_ledger::verify_consistency(old.size, cp.size, &proof, &old.root, &cp.root)
                .unwrap_or_else(|e| {
                    panic!("round {round}: log not consistent with the last checkpoint: {e}")
                });
        }
        last_cp = Some(cp);
    }
    assert!(acknowledged.len() >= 20);
}

#[test]
fn two_processes_appending_at_once_both_succeed() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let store_dir = Store::init(dir.path(), None)
        .expect("init")
        .dir()
        .to_path_buf();
    let mut a = spawn_child(&store_dir, Some(40));
    let mut b = spawn_child(&store_dir, Some(40));
    let ra = acks(&mut a);
    let rb = acks(&mut b);
    assert!(a.wait().expect("a").success(), "first writer failed");
    assert!(b.wait().expect("b").success(), "second writer failed");
    let ids: Vec<String> = ra.iter().chain(rb.iter()).collect();
    // 40 batches of 1..4 records each: 1+2+3+4 repeated 10 times = 100 per process.
    assert_eq!(ids.len(), 200);
    let store = Store::open(&store_dir).expect("open");
    assert_eq!(store.size().expect("size"), 200);
    for id in &ids {
        store.get(id).expect("present");
    }
    assert!(store
        .verify(&otproof_store::Trust::default())
        .expect("verify")
        .ok());
}
