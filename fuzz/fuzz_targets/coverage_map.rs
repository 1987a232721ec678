//! Grey-box feedback on arbitrary coverage maps (the target writes them: outside input):
//! folding readings into the edges seen, keeping cases in the corpus and deriving new cases
//! from it never panics and never grows without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_fuzz::coverage::{Corpus, Edges, MAP_SIZE, MAX_CASE_BYTES};
use otproof_fuzz::mutate::{MutationClass, TestCase};

fuzz_target!(|data: &[u8]| {
    let mut edges = Edges::new();
    let mut corpus = Corpus::default();
    let m = otproof_fuzz::modbus::Modbus::new(1);
    for (i, chunk) in data.chunks(97).enumerate() {
        // A reading: the chunk repeated over a part of the map.
        let map: Vec<u8> = chunk.iter().copied().cycle().take(MAP_SIZE.min(chunk.len() * 31)).collect();
        let novelty = edges.fold(&map);
        corpus.add(
            TestCase {
                index: i as u64,
                message: "fuzz".into(),
                code: u16::from(chunk.first().copied().unwrap_or(0)),
                field: "*".into(),
                class: MutationClass::Valid,
                valid: false,
                bytes: chunk.to_vec(),
            },
            novelty,
        );
        assert!(edges.edges() <= MAP_SIZE);
    }
    let mut rng = otproof_fuzz::rng::Rng::new(data.len() as u64);
    for i in 0..64 {
        if let Some(c) = corpus.derive(&m, i, &mut rng) {
            assert!(c.bytes.len() <= MAX_CASE_BYTES);
        }
    }
});
