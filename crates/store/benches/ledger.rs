//! Ledger benchmark: prints throughput next to this machine's own limits, measured in the same
//! run (SHA-256 of 64-byte inputs per second, fsync per second), so the figures can be read as
//! ratios on a shared, noisy machine. Not a test: run with `bash bench/ledger.sh`.
//!
//! OTPROOF_BENCH_LEAVES: the largest tree for the proof timing (default 10000000).
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // prints its measurements

use otproof_evidence::{Body, Evidence, EvidenceKind, Record, Sha256Digest, Subject};
use otproof_ledger::{Hash, MemoryNodes, NodeStore};
use otproof_store::{bundle, sqlite, NodeView, Store};
use std::io::Write;
use std::time::{Duration, Instant};

fn record(n: u64) -> Record {
    Record::new(
        "bench",
        Body::Evidence(Evidence {
            kind: EvidenceKind::Document,
            title: format!("bench record {n}"),
            requirements: vec!["SVV-3".into()],
            subject: Subject::Product {
                vendor: "Bench".into(),
                product: "B".into(),
                version: None,
                component_type: None,
                artifacts: vec![],
            },
            payload: serde_json::json!({ "n": n }),
            attachments: vec![],
            findings: vec![],
        }),
    )
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn sha_rate() -> f64 {
    let input = [7u8; 64];
    let n = 2_000_000u64;
    let t = Instant::now();
    let mut acc = 0u8;
    for i in 0..n {
        let mut x = input;
        x[0] = i as u8;
        acc ^= Sha256Digest::of(&x).0[0];
    }
    std::hint::black_box(acc);
    rate(n, t.elapsed())
}

fn fsync_rate(dir: &std::path::Path) -> f64 {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("probe file");
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < Duration::from_secs(2) {
        f.write_all(&[0u8; 64]).expect("write");
        f.sync_all().expect("fsync");
        n += 1;
    }
    rate(n, t.elapsed())
}

/// A nodes table like the store's, filled for `leaves` synthetic leaves.
fn node_db(dir: &std::path::Path, leaves: u64) -> rusqlite::Connection {
    let path = dir.join(format!("nodes-{leaves}.db"));
    let mut conn = rusqlite::Connection::open(&path).expect("db");
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                             PRIMARY KEY (level, idx)) WITHOUT ROWID;",
    )
    .expect("schema");
    let chunk = 100_000u64;
    let mut mem = MemoryNodes::default();
    let mut done = 0u64;
    while done < leaves {
        let n = chunk.min(leaves - done);
        let hashes: Vec<Hash> = (done..done + n)
            .map(|i| otproof_ledger::leaf_hash(&i.to_be_bytes()))
            .collect();
        let new = otproof_ledger::nodes_to_append(&mem, done, &hashes).expect("nodes");
        mem.append(&hashes);
        let tx = conn.transaction().expect("tx");
        {
            let mut st = tx
                .prepare_cached("INSERT INTO nodes (level, idx, hash) VALUES (?1, ?2, ?3)")
                .expect("insert");
            for (l, i, h) in &new {
                st.execute(rusqlite::params![l, *i as i64, &h[..]])
                    .expect("row");
            }
        }
        tx.commit().expect("commit");
        done += n;
    }
    drop(mem);
    conn
}

fn proof_time(conn: &rusqlite::Connection, size: u64) -> Duration {
    let lookup = |l: u8, i: u64| sqlite::read_node(conn, l, i);
    let view = NodeView(&lookup);
    let n = 2000u64;
    let mut x = 0x9e3779b97f4a7c15u64;
    let t = Instant::now();
    for _ in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        let idx = x % size;
        let p = otproof_ledger::inclusion_proof(&view, idx, size).expect("proof");
        std::hint::black_box(p);
    }
    t.elapsed() / n as u32
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let max: u64 = std::env::var("OTPROOF_BENCH_LEAVES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir().expect("tmp");
    println!("otproof ledger benchmark (one run; compare the ratios, not the absolute numbers)\n");
    let sha = sha_rate();
    let fsync = fsync_rate(dir.path());
    println!("machine   SHA-256 of 64-byte inputs     {:>12.0} /s", sha);
    println!(
        "machine   fsync of a 64-byte write      {:>12.0} /s\n",
        fsync
    );

    let mut store = Store::init(dir.path(), Some("bench.example/log")).expect("init");
    let n1 = 200u64;
    let t = Instant::now();
    for i in 0..n1 {
        store.append_one(record(i)).expect("append");
    }
    let unbatched = rate(n1, t.elapsed());
    println!(
        "ledger    appends, unbatched            {:>12.0} /s   ({:.2} fsync-limited commits per append)",
        unbatched,
        fsync / unbatched
    );
    let batches = 50u64;
    let t = Instant::now();
    for b in 0..batches {
        let recs: Vec<_> = (0..1000)
            .map(|i| record(1_000_000 + b * 1000 + i))
            .collect();
        store.append(recs).expect("batch");
    }
    let batched = rate(batches * 1000, t.elapsed());
    println!(
        "ledger    appends, batches of 1000      {:>12.0} /s   ({:.1}x unbatched; target >= 100000/s)",
        batched,
        batched / unbatched
    );

    let t = Instant::now();
    let report = store
        .verify(&otproof_store::Trust::default())
        .expect("verify --store");
    assert!(report.ok(), "{:?}", report.problems());
    let size = store.size().expect("size");
    println!(
        "store     verify --store (everything)   {:>12.0} records/s ({size} records: digests, index, nodes, checkpoints)",
        rate(size, t.elapsed())
    );

    let ids: Vec<_> = store
        .list(None, None)
        .expect("list")
        .iter()
        .take(1000)
        .map(|r| r.id.parse().expect("id"))
        .collect();
    let bytes = bundle::export(&mut store, &ids).expect("export");
    let verifier = store.verifier().clone();
    let t = Instant::now();
    let rounds = 5u64;
    for _ in 0..rounds {
        let r = bundle::verify(&bytes, Some(&verifier)).expect("verify");
        assert!(r.ok());
    }
    let vrate = rate(rounds * ids.len() as u64, t.elapsed());
    println!(
        "bundle    verification                  {:>12.0} records/s ({} records, {} KiB)\n",
        vrate,
        ids.len(),
        bytes.len() / 1024
    );

    let mut size = 1_000_000u64;
    while size <= max {
        let t = Instant::now();
        let conn = node_db(dir.path(), size);
        let build = t.elapsed();
        let p = proof_time(&conn, size);
        println!(
            "proof     inclusion at {:>9} leaves  {:>9.1} us   (SQLite nodes; tree built in {:.0} s; target < 1000 us)",
            size,
            p.as_secs_f64() * 1e6,
            build.as_secs_f64()
        );
        drop(conn);
        let _ = std::fs::remove_file(dir.path().join(format!("nodes-{size}.db")));
        size *= 10;
    }
    let _ = std::io::stdout().flush();
    let _ = MemoryNodes::default().node(0, 0);
}
