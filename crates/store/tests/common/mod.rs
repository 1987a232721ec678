//! Helpers shared by the store tests.
#![allow(dead_code)]

use otproof_evidence::{Attachment, Body, Evidence, EvidenceKind, Record, Subject};
use otproof_store::Store;

pub fn record(n: u64, product: &str, requirement: &str) -> Record {
    Record::new(
        "test",
        Body::Evidence(Evidence {
            kind: EvidenceKind::Document,
            title: format!("document {n}"),
            requirements: vec![requirement.to_string()],
            subject: Subject::Product {
                vendor: "Acme".into(),
                product: product.into(),
                version: Some("1.0".into()),
                component_type: None,
                artifacts: vec![],
            },
            payload: serde_json::json!({ "n": n }),
            attachments: vec![],
            findings: vec![],
        }),
    )
}

pub fn record_with_blob(store: &Store, n: u64) -> Record {
    let bytes = format!("attachment number {n}\n").into_bytes();
    let d = store.put_blob(&bytes).expect("blob");
    let mut r = record(n, "RTU-5", "SM-1");
    if let Body::Evidence(e) = &mut r.body {
        e.attachments.push(Attachment {
            name: format!("doc-{n}.txt"),
            media_type: "text/plain".into(),
            sha256: d,
            size: bytes.len() as u64,
        });
    }
    r
}

/// A small deterministic pseudo-random sequence (no dependency needed for test jitter).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
