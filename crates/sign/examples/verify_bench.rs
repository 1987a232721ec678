//! DSSE verification rate against the raw signature verification of the same crates, measured
//! side by side in one process: `verify_bench [ROUNDS] [SECONDS]` runs ROUNDS interleaved rounds
//! (each measurement SECONDS long per round, order alternating between rounds) and prints the
//! median rate of each measurement and its share of the raw rate.
//!
//! Rows per algorithm: raw verification of the pre-computed PAE bytes with the pre-parsed
//! signature (ed25519-dalek `verify_strict`, p256 ECDSA `verify`); `dsse::verify` of a parsed
//! envelope (PAE, key id, signature decoding, verification); `Envelope::from_json` followed by
//! `dsse::verify`.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

use std::hint::black_box;
use std::time::Instant;

use otproof_sign::dsse::{self, pae, Envelope};
use otproof_sign::intoto::{release_statement, sign_statement, ReleasePredicate, SbomRef};
use otproof_sign::keys::{Alg, SigningKey, VerifyingKey};
use p256::ecdsa::signature::Verifier as _;
use p256::pkcs8::DecodePublicKey as _;

/// Calls `f` in batches until `secs` have elapsed; returns calls per second.
fn rate(f: &mut dyn FnMut(), secs: f64) -> f64 {
    const BATCH: u64 = 16;
    let start = Instant::now();
    let mut n = 0u64;
    loop {
        for _ in 0..BATCH {
            f();
        }
        n += BATCH;
        let t = start.elapsed().as_secs_f64();
        if t >= secs {
            return n as f64 / t;
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// An in-toto release statement of about 1 KB, signed with `key`.
fn envelope(key: &SigningKey) -> Envelope {
    let predicate = ReleasePredicate {
        product: "otproof-bench-plc-firmware".into(),
        version: "4.2.1".into(),
        sbom: Some(SbomRef {
            name: "plc-firmware-4.2.1.cdx.json".into(),
            sha256: "a".repeat(64),
        }),
        evidence: (0..8)
            .map(|i| {
                format!(
                    "urn:otproof:evidence:fuzz-modbus-2024-06-0{i}:{}",
                    "0f".repeat(16)
                )
            })
            .collect(),
        build: Some(serde_json::json!({
            "builder": "https://ci.example.com/builders/release",
            "commit": "3f2c9a7d5e8b1c4f6a0d9e2b7c5a8f1e3d6b9c0a",
            "reproducible": true
        })),
        created: "2024-06-01T12:00:00Z".into(),
    };
    let statement = release_statement("plc-firmware-4.2.1.bin", &"b".repeat(64), predicate)
        .expect("release statement builds");
    sign_statement(&statement, key).expect("statement signs")
}

struct Row {
    name: &'static str,
    f: Box<dyn FnMut()>,
    rates: Vec<f64>,
}

fn rows_for(alg: Alg) -> (usize, Vec<Row>) {
    let key = SigningKey::generate(alg).expect("key generates");
    let vk: VerifyingKey = key.verifying_key();
    let env = envelope(&key);
    let json = env.to_json();
    let msg = pae(&env.payload_type, &env.payload);
    let sig = env.signatures[0].sig.clone();
    let keys = vec![vk.clone()];
    let payload_len = env.payload.len();

    // Every path must accept before it is timed.
    dsse::verify(&env, &keys).expect("dsse verifies");
    dsse::verify(&Envelope::from_json(&json).expect("envelope parses"), &keys)
        .expect("parsed envelope verifies");
    vk.verify(&msg, &sig).expect("raw signature verifies");

    let raw: Box<dyn FnMut()> = match alg {
        Alg::Ed25519 => {
            let k = ed25519_dalek::VerifyingKey::from_bytes(
                &vk.ed25519_bytes().expect("an Ed25519 key"),
            )
            .expect("Ed25519 key decodes");
            let s = ed25519_dalek::Signature::from_slice(&sig).expect("64-byte signature");
            k.verify_strict(&msg, &s).expect("ed25519-dalek verifies");
            Box::new(move || {
                black_box(k.verify_strict(black_box(&msg), black_box(&s)).is_ok());
            })
        }
        Alg::P256 => {
            let k = p256::ecdsa::VerifyingKey::from_public_key_der(&vk.to_spki_der())
                .expect("P-256 key decodes");
            let s = p256::ecdsa::Signature::from_der(&sig).expect("DER signature");
            k.verify(&msg, &s).expect("p256 verifies");
            Box::new(move || {
                black_box(k.verify(black_box(&msg), black_box(&s)).is_ok());
            })
        }
    };
    let keys2 = keys.clone();
    let dsse_row: Box<dyn FnMut()> = Box::new(move || {
        black_box(dsse::verify(black_box(&env), &keys).is_ok());
    });
    let parse_row: Box<dyn FnMut()> = Box::new(move || {
        let e = Envelope::from_json(black_box(&json)).expect("envelope parses");
        black_box(dsse::verify(&e, &keys2).is_ok());
    });
    let (raw_name, dsse_name, parse_name) = match alg {
        Alg::Ed25519 => (
            "raw verify_strict(PAE)",
            "dsse::verify",
            "parse + dsse::verify",
        ),
        Alg::P256 => (
            "raw ecdsa verify(PAE)",
            "dsse::verify",
            "parse + dsse::verify",
        ),
    };
    let row = |name, f| Row {
        name,
        f,
        rates: Vec::new(),
    };
    (
        payload_len,
        vec![
            row(raw_name, raw),
            row(dsse_name, dsse_row),
            row(parse_name, parse_row),
        ],
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args
        .next()
        .map(|s| s.parse().expect("ROUNDS is a positive integer"))
        .unwrap_or(5)
        .max(1);
    let secs: f64 = args
        .next()
        .map(|s| s.parse().expect("SECONDS is a number"))
        .unwrap_or(1.0);

    let mut tables = Vec::new();
    for alg in [Alg::Ed25519, Alg::P256] {
        let (payload_len, mut rows) = rows_for(alg);
        for r in 0..rounds {
            // Alternate the order so slow drift (frequency, neighbours) hits every row alike.
            let order: Vec<usize> = if r.is_multiple_of(2) {
                (0..rows.len()).collect()
            } else {
                (0..rows.len()).rev().collect()
            };
            for i in order {
                let row = &mut rows[i];
                let v = rate(&mut row.f, secs);
                row.rates.push(v);
            }
        }
        tables.push((alg, payload_len, rows));
    }

    let payload_len = tables.first().map(|t| t.1).unwrap_or_default();
    println!(
        "DSSE verification: 1 signature, 1 trusted key, in-toto statement payload of {payload_len} bytes;"
    );
    println!(
        "median of {rounds} interleaved rounds of {secs} s per row (goal: Ed25519 dsse::verify >= 90% of raw)"
    );
    println!(
        "{:<8} {:<24} {:>12} {:>10} {:>16} {:>8}  goal",
        "alg", "measurement", "verif/s", "µs each", "rounds min-max", "of raw"
    );
    for (alg, _, mut rows) in tables {
        let raw = median(&mut rows[0].rates.clone());
        for (i, row) in rows.iter_mut().enumerate() {
            let lo = row.rates.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = row.rates.iter().copied().fold(0.0, f64::max);
            let m = median(&mut row.rates);
            let share = 100.0 * m / raw;
            let goal = match (alg, i) {
                (_, 0) => "",
                (Alg::Ed25519, 1) if share >= 90.0 => "met (>= 90%)",
                (Alg::Ed25519, 1) => "MISSED (< 90%)",
                _ => "(info)",
            };
            let alg_name = match alg {
                Alg::Ed25519 => "ed25519",
                Alg::P256 => "p-256",
            };
            println!(
                "{:<8} {:<24} {:>12.0} {:>10.1} {:>16} {:>7.1}%  {}",
                alg_name,
                row.name,
                m,
                1e6 / m,
                format!("{lo:.0}-{hi:.0}"),
                share,
                goal
            );
        }
    }
}
