//! Offline Sigstore bundle verification time, in process:
//! `sigstore_bench RUNS TRUSTED_ROOT [ARTIFACT BUNDLE IDENTITY ISSUER]...`
//!
//! The trusted root is parsed once; each timed run parses the bundle (`Bundle::from_json`) and
//! calls `verify` with the identity/issuer policy. One warm-up run, then the median of RUNS.
//! Prints one JSON line per bundle: `{"bundle", "ms"}` or `{"bundle", "error"}`.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

use std::path::Path;
use std::time::Instant;

use otproof_sigstore::{verify, Bundle, Policy, TrustedRoot};

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(
        args.len() >= 2 && (args.len() - 2).is_multiple_of(4),
        "usage: sigstore_bench RUNS TRUSTED_ROOT [ARTIFACT BUNDLE IDENTITY ISSUER]..."
    );
    let runs: usize = args[0].parse().expect("RUNS is a positive integer");
    let root = TrustedRoot::from_json(&read(&args[1])).expect("trusted root parses");
    for group in args[2..].chunks(4) {
        let [artifact_path, bundle_path, identity, issuer] = group else {
            unreachable!("chunks of 4")
        };
        let name = Path::new(bundle_path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let artifact = read(artifact_path);
        let bundle_json = read(bundle_path);
        let policy = Policy {
            identity: Some(identity.clone()),
            issuer: Some(issuer.clone()),
        };
        let mut times = Vec::with_capacity(runs + 1);
        let mut error = None;
        for _ in 0..=runs.max(1) {
            let t0 = Instant::now();
            let r =
                Bundle::from_json(&bundle_json).and_then(|b| verify(&artifact, &b, &root, &policy));
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            if let Err(e) = r {
                error = Some(e.to_string());
                break;
            }
        }
        let line = match error {
            Some(e) => serde_json::json!({"bundle": name, "error": e}),
            None => {
                let mut t = times.split_off(1); // drop the warm-up run
                t.sort_by(f64::total_cmp);
                let m = t.len() / 2;
                let median = if t.len() % 2 == 1 {
                    t[m]
                } else {
                    (t[m - 1] + t[m]) / 2.0
                };
                serde_json::json!({"bundle": name, "ms": median})
            }
        };
        println!("{line}");
    }
}
