//! Grey-box feedback: the edge coverage of a launched target (AFLNet style).
//!
//! A target built with coverage instrumentation and otproof's small runtime
//! (`crates/fuzz/support/otproof_cov.c`: clang `-fsanitize-coverage=trace-pc-guard`, or gcc
//! `-fsanitize-coverage=trace-pc`) maps the file named by [`MAP_ENV`] into its memory and
//! counts, per edge, how often it was taken: a [`MAP_SIZE`]-byte map of 8-bit hit counts, as
//! AFL does. otproof creates the file ([`CoverageMap`]), names it in the environment of the
//! target it launches ([`crate::process::ProcessTarget`]), and reads it with plain file reads
//! (no shared memory mapping on our side).
//!
//! After each case, [`Coverage`] reads the map; what the case added (the difference to the
//! previous reading, so the target never needs resetting, even across restarts) is bucketed
//! like AFL's hit counts ([`bucket`]: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+) and compared
//! with every bucket seen so far ([`Edges`]). A case that took an edge never taken, or an edge
//! a new number of times, joins the [`Corpus`] (its bytes and its [`TestCase`] identity).
//! New cases are then derived from corpus entries: first a deterministic walk setting each of
//! an entry's first bytes in turn to 0x00 and 0xFF (newest entry first, so a chain of
//! conditions is climbed one condition at a time: each step that meets one more condition
//! takes a new edge and becomes the newest entry), then, once every entry had those rounds,
//! to 0x01, 0x80 and 0x7F; once every entry is walked, stacked byte-level havoc ([`MutationClass::Havoc`]: bit flips, interesting values,
//! arithmetic, random bytes, splices from another entry).
//!
//! Which case gets the credit: the map is read when the answer to a case arrives
//! ([`Coverage::after_request`]) or, for a case without answer, when the next case is built
//! ([`Coverage::before_case`]). With one connection the credit is exact but for edges the
//! target takes after answering; with several connections in flight a neighbour's edges can
//! be credited to a case: the corpus is then noisier, never wrong about what the target did.
//!
//! Derived cases are a function of (seed, index, corpus), so, like learned cases, they depend
//! on the target's earlier behaviour (a resumed run starts with an empty corpus); a finding's
//! reproducer is always the exact bytes sent.
//! Everything kept is bounded ([`MAX_CORPUS`] entries of at most [`MAX_CASE_BYTES`] bytes).

use crate::model::{FieldType, ProtocolModel};
use crate::mutate::{MutationClass, TestCase};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Size of the coverage map in bytes: one 8-bit hit counter per edge slot.
pub const MAP_SIZE: usize = 1 << 16;

/// The environment variable naming the coverage map file for the target.
pub const MAP_ENV: &str = "OTPROOF_COVERAGE_MAP";

/// Most corpus entries kept.
pub const MAX_CORPUS: usize = 1024;

/// Longest case kept in the corpus or derived from it.
pub const MAX_CASE_BYTES: usize = 4096;

/// Values the deterministic walk writes at each position, one round per value.
const WALK_VALUES: [u8; 5] = [0x00, 0xFF, 0x01, 0x80, 0x7F];

/// The walk's first rounds (0x00 and 0xFF), done for every entry before the other rounds.
const FIRST_ROUNDS: usize = 2;

/// Positions of an entry the deterministic walk covers (from its first byte).
const WALK_SPAN: usize = 32;

/// Byte values havoc likes (AFL's interesting 8-bit values).
const INTERESTING: [u8; 9] = [0x00, 0x01, 0x10, 0x20, 0x40, 0x64, 0x7F, 0x80, 0xFF];

/// Errors of the coverage map.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    /// The map file could not be created.
    #[error("cannot create the coverage map {path}: {source}")]
    Create {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The map file could not be read.
    #[error("cannot read the coverage map: {0}")]
    Read(std::io::Error),
}

/// AFL's hit-count bucket of a count: 0, 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+ each map to
/// one bit (0 to nothing).
pub fn bucket(n: u8) -> u8 {
    match n {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 4,
        4..=7 => 8,
        8..=15 => 16,
        16..=31 => 32,
        32..=127 => 64,
        _ => 128,
    }
}

/// The coverage map file shared with a launched target; removed when dropped.
#[derive(Debug)]
pub struct CoverageMap {
    path: PathBuf,
    file: File,
}

static MAP_SERIAL: AtomicU64 = AtomicU64::new(0);

impl CoverageMap {
    /// Create a zeroed map file of [`MAP_SIZE`] bytes, in `/dev/shm` when there is one (it
    /// stays in memory), else in the temporary directory; only this user may read it.
    pub fn create() -> Result<CoverageMap, CoverageError> {
        let dir = Path::new("/dev/shm");
        let dir = if dir.is_dir() {
            dir.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let name = format!(
            "otproof-coverage-{}-{}",
            std::process::id(),
            MAP_SERIAL.fetch_add(1, Ordering::SeqCst)
        );
        let path = dir.join(name);
        let err = |source| CoverageError::Create {
            path: path.display().to_string(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create_new(true);
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path).map_err(err)?;
        let map = CoverageMap {
            path: path.clone(),
            file,
        };
        map.file.set_len(MAP_SIZE as u64).map_err(err)?;
        Ok(map)
    }

    /// The file (for [`MAP_ENV`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the whole map into `into` (at least [`MAP_SIZE`] bytes; only the first are
    /// written).
    pub fn read(&self, into: &mut [u8]) -> Result<(), CoverageError> {
        let n = into.len().min(MAP_SIZE);
        self.file
            .read_exact_at(&mut into[..n], 0)
            .map_err(CoverageError::Read)
    }
}

impl Drop for CoverageMap {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What a reading of the map showed beyond everything seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Novelty {
    /// Nothing new.
    Nothing,
    /// Only known edges, some of them a new number of times (a new bucket).
    Counts,
    /// This many edges never taken before.
    Edges(usize),
}

impl Novelty {
    /// Anything new?
    pub fn is_new(self) -> bool {
        self != Novelty::Nothing
    }
}

/// The edges and hit-count buckets seen so far (AFL's "virgin bits", inverted), and the last
/// reading of the map.
#[derive(Debug, Clone)]
pub struct Edges {
    last: Vec<u8>,
    seen: Vec<u8>,
    edges: usize,
}

impl Default for Edges {
    fn default() -> Edges {
        Edges::new()
    }
}

impl Edges {
    /// Nothing seen, previous reading all zero.
    pub fn new() -> Edges {
        Edges {
            last: vec![0; MAP_SIZE],
            seen: vec![0; MAP_SIZE],
            edges: 0,
        }
    }

    /// Fold a new reading of the map: what it adds to the previous reading (counts wrap, as
    /// the target's 8-bit counters do) is bucketed and compared with what was seen. A map
    /// shorter than [`MAP_SIZE`] is read as zeros past its end.
    pub fn fold(&mut self, map: &[u8]) -> Novelty {
        let mut new_edges = 0;
        let mut new_counts = false;
        const CHUNK: usize = 64;
        for (c, (lasts, seens)) in self
            .last
            .chunks_mut(CHUNK)
            .zip(self.seen.chunks_mut(CHUNK))
            .enumerate()
        {
            // Most of the map does not change from one case to the next: skip it a chunk at
            // a time.
            let from = c * CHUNK;
            let nows = map.get(from..from + CHUNK);
            if nows == Some(&lasts[..]) {
                continue;
            }
            for (k, (last, seen)) in lasts.iter_mut().zip(seens.iter_mut()).enumerate() {
                let now = map.get(from + k).copied().unwrap_or(0);
                if now == *last {
                    continue;
                }
                let b = bucket(now.wrapping_sub(*last));
                *last = now;
                if b & !*seen != 0 {
                    if *seen == 0 {
                        new_edges += 1;
                    } else {
                        new_counts = true;
                    }
                    *seen |= b;
                }
            }
        }
        self.edges += new_edges;
        if new_edges > 0 {
            Novelty::Edges(new_edges)
        } else if new_counts {
            Novelty::Counts
        } else {
            Novelty::Nothing
        }
    }

    /// Distinct edges (map slots) ever taken.
    pub fn edges(&self) -> usize {
        self.edges
    }
}

/// A corpus entry: a case that took new edges (or known ones a new number of times), and how
/// far it has been walked.
#[derive(Debug, Clone)]
struct Entry {
    case: TestCase,
    /// It took edges never taken before (not only new hit counts).
    new_edges: bool,
    /// Next step of the deterministic walk.
    walked: usize,
}

/// The cases that took new edges, and the derivation of new cases from them.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    entries: Vec<Entry>,
}

impl Corpus {
    /// Keep `case`, which showed `novelty` (at most [`MAX_CORPUS`] entries; nothing new,
    /// bytes beyond [`MAX_CASE_BYTES`] and cases already kept are refused). Whether it was
    /// kept.
    pub fn add(&mut self, case: TestCase, novelty: Novelty) -> bool {
        if !novelty.is_new()
            || self.entries.len() >= MAX_CORPUS
            || case.bytes.len() > MAX_CASE_BYTES
            || self.entries.iter().any(|e| e.case.bytes == case.bytes)
        {
            return false;
        }
        self.entries.push(Entry {
            case,
            new_edges: matches!(novelty, Novelty::Edges(_)),
            walked: 0,
        });
        true
    }

    /// Entries kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes of the entries, oldest first.
    pub fn cases(&self) -> impl Iterator<Item = &TestCase> {
        self.entries.iter().map(|e| &e.case)
    }

    /// Case `index` derived from the corpus: the next step of the newest entry's walk, else
    /// havoc on an entry; `None` while the corpus is empty.
    pub fn derive(
        &mut self,
        model: &dyn ProtocolModel,
        index: u64,
        rng: &mut Rng,
    ) -> Option<TestCase> {
        if let Some((bytes, parent, at)) = self.walk_step() {
            return Some(derived(model, &parent, index, bytes, Some(at)));
        }
        if self.entries.is_empty() {
            return None;
        }
        let pick = rng.below(self.entries.len() as u64) as usize;
        let parent = &self.entries[pick].case;
        let mut bytes = parent.bytes.clone();
        let rounds = 1 + rng.below(4);
        let mut first = None;
        for _ in 0..rounds {
            let at = self.havoc_op(&mut bytes, rng);
            first = first.or(at);
        }
        bytes.truncate(MAX_CASE_BYTES);
        Some(derived(model, parent, index, bytes, first))
    }

    /// The next step of the walks: the first rounds (0x00 and 0xFF at every position) of the
    /// newest entry that took new edges, else of the newest entry (new hit counts only, often
    /// timing), else the other rounds in the same order. Returns (bytes, parent, position).
    fn walk_step(&mut self) -> Option<(Vec<u8>, TestCase, usize)> {
        for rounds in [FIRST_ROUNDS, WALK_VALUES.len()] {
            for edges_only in [true, false] {
                for e in self.entries.iter_mut().rev() {
                    if edges_only && !e.new_edges {
                        continue;
                    }
                    let positions = e.case.bytes.len().min(WALK_SPAN);
                    while e.walked < positions * rounds {
                        let (round, at) = (e.walked / positions, e.walked % positions);
                        let v = WALK_VALUES[round];
                        e.walked += 1;
                        if e.case.bytes.get(at) != Some(&v) {
                            let mut bytes = e.case.bytes.clone();
                            bytes[at] = v;
                            return Some((bytes, e.case.clone(), at));
                        }
                    }
                }
            }
        }
        None
    }

    /// One havoc operation on `bytes`; the position it changed.
    fn havoc_op(&self, bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<usize> {
        if bytes.is_empty() {
            bytes.push(rng.next_u64() as u8);
            return Some(0);
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(16) {
            0..=3 => bytes[at] ^= 1 << rng.below(8),
            4..=6 => bytes[at] = INTERESTING[rng.below(INTERESTING.len() as u64) as usize],
            7..=9 => bytes[at] = rng.next_u64() as u8,
            10..=12 => {
                let d = 1 + rng.below(16) as u8;
                bytes[at] = if rng.chance(0.5) {
                    bytes[at].wrapping_add(d)
                } else {
                    bytes[at].wrapping_sub(d)
                };
            }
            13 | 14 => {
                // Splice: a run of another entry's bytes at the same offset.
                let other = &self.entries[rng.below(self.entries.len() as u64) as usize];
                let src = &other.case.bytes;
                let n = 1 + rng.below(8) as usize;
                let end = (at + n).min(bytes.len()).min(src.len());
                if end > at {
                    bytes[at..end].copy_from_slice(&src[at..end]);
                }
            }
            _ => {
                if rng.chance(0.5) && bytes.len() < MAX_CASE_BYTES {
                    bytes.insert(at, rng.next_u64() as u8);
                } else if bytes.len() > 1 {
                    bytes.remove(at);
                }
            }
        }
        Some(at)
    }
}

/// A derived case, labelled by what its bytes are: the message the model reads from them
/// ([`crate::campaign::message_of`], else the parent's), and the field at the first changed
/// position when that message type (else the parent's) has a fixed layout up to it (else
/// `*`).
fn derived(
    model: &dyn ProtocolModel,
    parent: &TestCase,
    index: u64,
    bytes: Vec<u8>,
    at: Option<usize>,
) -> TestCase {
    let (code, message) = crate::campaign::message_of(model, &bytes)
        .unwrap_or_else(|| (parent.code, parent.message.clone()));
    TestCase {
        index,
        message,
        code,
        field: at
            .and_then(|at| field_at(model, code, at).or_else(|| field_at(model, parent.code, at)))
            .unwrap_or("*")
            .to_string(),
        class: MutationClass::Havoc,
        valid: false,
        bytes,
    }
}

/// The field at byte `at` of a message with code `code`, if every field up to it has a fixed
/// width (so the position means the same field in every message of that type).
fn field_at(model: &dyn ProtocolModel, code: u16, at: usize) -> Option<&'static str> {
    let (i, def) = model
        .messages()
        .iter()
        .enumerate()
        .find(|(_, d)| d.code == code)?;
    let msg = def.generate(i, &mut Rng::new(0));
    let (_, spans) = def.encode(&msg);
    for (f, s) in def.fields.iter().zip(&spans) {
        if (s.start..s.end).contains(&at) {
            return Some(s.name);
        }
        if matches!(f.ty, FieldType::Bytes | FieldType::VarInt) {
            return None;
        }
    }
    None
}

/// What grey-box feedback did in a campaign (in its report, with what was learned).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GreyBox {
    /// Distinct edges (map slots) the target took, start-up included.
    pub edges: u64,
    /// Edges taken while starting, before the first case.
    pub startup_edges: u64,
    /// Cases that took new edges (or known ones a new number of times), kept in the corpus.
    pub corpus: u64,
    /// Cases derived from the corpus.
    pub derived_cases: u64,
    /// Size of the coverage map in bytes (edge slots).
    pub map_size: u64,
}

#[derive(Debug)]
struct State {
    edges: Edges,
    corpus: Corpus,
    /// The last case built and not yet credited.
    pending: Option<TestCase>,
    buf: Vec<u8>,
    startup_edges: usize,
    derived: u64,
}

/// Grey-box feedback of a campaign: the map of a launched target, the edges seen, the corpus.
/// Shared by the campaign's workers.
#[derive(Debug)]
pub struct Coverage {
    map: CoverageMap,
    state: Mutex<State>,
}

/// Seed offset of the decision and havoc generators (apart from the schedule's).
const DERIVE_SEED: u64 = 0x636f_7665_7261_6765;

impl Coverage {
    /// Grey-box feedback on `map`; what the map already holds (the target's start-up) is
    /// seen, and credited to no case.
    pub fn new(map: CoverageMap) -> Result<Coverage, CoverageError> {
        let mut buf = vec![0; MAP_SIZE];
        map.read(&mut buf)?;
        let mut edges = Edges::new();
        edges.fold(&buf);
        Ok(Coverage {
            map,
            state: Mutex::new(State {
                startup_edges: edges.edges(),
                edges,
                corpus: Corpus::default(),
                pending: None,
                buf,
                derived: 0,
            }),
        })
    }

    /// The map file.
    pub fn map(&self) -> &CoverageMap {
        &self.map
    }

    /// Has the target taken any edge (is it instrumented)?
    pub fn active(&self) -> bool {
        self.state.lock().is_ok_and(|s| s.edges.edges() > 0)
    }

    /// Read the map now (the target may have taken edges since: a restart, a late answer);
    /// what it adds is seen, credited to no case.
    pub fn refresh(&self) {
        if let Ok(mut s) = self.state.lock() {
            let s = &mut *s;
            if self.map.read(&mut s.buf).is_ok() {
                s.edges.fold(&s.buf);
            }
        }
    }

    /// Case `index`: with probability one half (from the seed and index), a case derived
    /// from the corpus, else `fallback`; then [`Coverage::before_case`].
    pub fn next_case(
        &self,
        model: &dyn ProtocolModel,
        seed: u64,
        index: u64,
        fallback: TestCase,
    ) -> TestCase {
        let case = if Rng::fork(seed ^ DERIVE_SEED, index).chance(0.5) {
            self.derive(model, seed, index).unwrap_or(fallback)
        } else {
            fallback
        };
        self.before_case(&case);
        case
    }

    /// Case `index` derived from the corpus, `None` while it is empty.
    pub fn derive(&self, model: &dyn ProtocolModel, seed: u64, index: u64) -> Option<TestCase> {
        let mut s = self.state.lock().ok()?;
        let mut rng = Rng::fork(seed ^ DERIVE_SEED.rotate_left(17), index);
        let c = s.corpus.derive(model, index, &mut rng)?;
        s.derived += 1;
        Some(c)
    }

    /// `case` is about to be sent: credit the map to the case before it if it was not
    /// credited yet (it got no answer), and remember this one.
    pub fn before_case(&self, case: &TestCase) {
        if let Ok(mut s) = self.state.lock() {
            let s = &mut *s;
            if let Some(prev) = s.pending.take() {
                self.credit(s, prev);
            }
            s.pending = Some(case.clone());
        }
    }

    /// The answer to the request `bytes` arrived: credit the map to the case that sent them
    /// (if it is the one remembered).
    pub fn after_request(&self, bytes: &[u8]) {
        if let Ok(mut s) = self.state.lock() {
            let s = &mut *s;
            if s.pending.as_ref().is_some_and(|p| p.bytes == bytes) {
                if let Some(c) = s.pending.take() {
                    self.credit(s, c);
                }
            }
        }
    }

    /// `case` was sent and answered (or given up on): credit the map to it.
    pub fn after_case(&self, case: &TestCase) {
        if let Ok(mut s) = self.state.lock() {
            let s = &mut *s;
            if s.pending.as_ref().is_some_and(|p| p.bytes == case.bytes) {
                s.pending = None;
            }
            self.credit(s, case.clone());
        }
    }

    fn credit(&self, s: &mut State, case: TestCase) {
        if self.map.read(&mut s.buf).is_err() {
            return;
        }
        let novelty = s.edges.fold(&s.buf);
        s.corpus.add(case, novelty);
    }

    /// What grey-box feedback did so far.
    pub fn summary(&self) -> GreyBox {
        let Ok(s) = self.state.lock() else {
            return GreyBox::default();
        };
        GreyBox {
            edges: s.edges.edges() as u64,
            startup_edges: s.startup_edges as u64,
            corpus: s.corpus.len() as u64,
            derived_cases: s.derived,
            map_size: MAP_SIZE as u64,
        }
    }

    /// The corpus so far (its cases, oldest first).
    pub fn corpus(&self) -> Vec<TestCase> {
        self.state
            .lock()
            .map(|s| s.corpus.cases().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modbus::Modbus;

    fn case(index: u64, bytes: &[u8]) -> TestCase {
        TestCase {
            index,
            message: "FC22 mask write register".into(),
            code: 22,
            field: "*".into(),
            class: MutationClass::Valid,
            valid: true,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn buckets_are_afl_s() {
        let want = [
            (0u8, 0u8),
            (1, 1),
            (2, 2),
            (3, 4),
            (4, 8),
            (7, 8),
            (8, 16),
            (15, 16),
            (16, 32),
            (31, 32),
            (32, 64),
            (127, 64),
            (128, 128),
            (255, 128),
        ];
        for (n, b) in want {
            assert_eq!(bucket(n), b, "{n}");
        }
        // Every count falls in exactly one bucket, and buckets grow with counts.
        for n in 1..=255u8 {
            assert_eq!(bucket(n).count_ones(), 1);
            assert!(bucket(n) >= bucket(n - 1));
        }
    }

    #[test]
    fn new_edges_then_new_counts_then_nothing() {
        let mut e = Edges::new();
        let mut map = vec![0u8; MAP_SIZE];
        map[10] = 1;
        map[20] = 1;
        assert_eq!(e.fold(&map), Novelty::Edges(2));
        assert_eq!(e.edges(), 2);
        // The same edges once more each: the difference is 1 again, nothing new.
        map[10] = 2;
        map[20] = 2;
        assert_eq!(e.fold(&map), Novelty::Nothing);
        // Edge 10 five times in one case: a new bucket (4-7).
        map[10] = 7;
        assert_eq!(e.fold(&map), Novelty::Counts);
        assert_eq!(e.edges(), 2);
        // Nothing taken: nothing new.
        assert_eq!(e.fold(&map), Novelty::Nothing);
        // A counter that wraps (250 -> 3 is 9 more hits): bucket 8-15, new for edge 20.
        map[20] = 250;
        e.fold(&map);
        map[20] = 3;
        assert_eq!(e.fold(&map), Novelty::Counts);
        // A short map reads as zeros past its end (a counter back to 0 is 256 - n hits).
        map.fill(0);
        map[30] = 1;
        assert_eq!(e.fold(&map[..31]), Novelty::Edges(1));
        assert_eq!(e.edges(), 3);
    }

    #[test]
    fn the_corpus_is_bounded_and_keeps_no_duplicate() {
        let mut c = Corpus::default();
        let new = Novelty::Edges(1);
        assert!(c.add(case(0, &[1, 2, 3]), new));
        assert!(!c.add(case(1, &[1, 2, 3]), new), "same bytes");
        assert!(
            !c.add(case(2, &vec![0; MAX_CASE_BYTES + 1]), new),
            "too long"
        );
        assert!(!c.add(case(3, &[4]), Novelty::Nothing), "nothing new");
        for i in 0..2 * MAX_CORPUS as u64 {
            c.add(case(i, &i.to_be_bytes()), Novelty::Counts);
        }
        assert_eq!(c.len(), MAX_CORPUS);
    }

    #[test]
    fn the_walk_of_the_newest_entry_sets_each_byte_to_each_value_then_havoc() {
        let model = Modbus::new(1);
        let mut c = Corpus::default();
        let mut rng = Rng::new(1);
        assert!(c.derive(&model, 0, &mut rng).is_none(), "empty corpus");
        let old = [0, 1, 0, 0, 0, 8, 1, 22, 0, 5, 0x12, 0x34, 0x56, 0x78];
        c.add(case(0, &old), Novelty::Edges(1));
        let mut new = old;
        new[10] = 0;
        c.add(case(1, &new), Novelty::Edges(2));
        let replay = c.clone();
        // The newest entry is walked first: every position set to 0x00, then to 0xFF
        // (values it already has skipped); then the older entry's first rounds.
        let walk: Vec<TestCase> = (0..60)
            .map(|i| c.derive(&model, 100 + i, &mut rng).expect("a case"))
            .collect();
        let change = |d: &TestCase, base: &[u8]| -> Option<(usize, u8)> {
            let diff: Vec<usize> = (0..base.len()).filter(|&i| d.bytes[i] != base[i]).collect();
            (d.bytes.len() == base.len() && diff.len() == 1).then(|| (diff[0], d.bytes[diff[0]]))
        };
        let rounds = |base: &[u8]| -> Vec<(usize, u8)> {
            [0x00u8, 0xFF]
                .iter()
                .flat_map(|&v| (0..base.len()).map(move |at| (at, v)))
                .filter(|&(at, v)| base[at] != v)
                .collect()
        };
        let (first, second) = (rounds(&new), rounds(&old));
        let got: Vec<Option<(usize, u8)>> = walk[..first.len()]
            .iter()
            .map(|d| change(d, &new))
            .collect();
        assert_eq!(got, first.iter().copied().map(Some).collect::<Vec<_>>());
        let n = (walk.len() - first.len()).min(second.len());
        let got: Vec<Option<(usize, u8)>> = walk[first.len()..first.len() + n]
            .iter()
            .map(|d| change(d, &old))
            .collect();
        assert_eq!(
            got,
            second[..n].iter().copied().map(Some).collect::<Vec<_>>()
        );
        // Labels: the field at the changed byte (FC 22 has a fixed layout), class havoc.
        let at10 = walk
            .iter()
            .find(|d| d.bytes[11] != new[11])
            .expect("a step at byte 11");
        assert_eq!(at10.field, "and_mask");
        assert_eq!(at10.class, MutationClass::Havoc);
        assert_eq!(at10.code, 22);
        // A step that changes the function code is labelled with what the bytes now are.
        let fc0 = walk.iter().find(|d| d.bytes[7] == 0).expect("function 0");
        assert_eq!(
            (fc0.code, fc0.message.as_str(), fc0.field.as_str()),
            (0, "code 0 (not in the model)", "function")
        );
        let fc1 = walk.iter().find(|d| d.bytes[7] == 1).expect("function 1");
        assert_eq!((fc1.code, fc1.message.as_str()), (1, "FC01 read coils"));
        // Once both walks are done: havoc, bounded, deterministic for a seed.
        let mut all = Vec::new();
        for i in 0..400 {
            all.push(c.derive(&model, 1000 + i, &mut rng).expect("a case"));
        }
        let havoc = &all[all.len() - 50..];
        assert!(havoc
            .iter()
            .all(|d| d.bytes.len() <= MAX_CASE_BYTES && d.class == MutationClass::Havoc));
        assert!(havoc.iter().any(|d| d.bytes != old && d.bytes != new));
        // The same corpus and generator give the same cases.
        let (mut c2, mut rng2) = (replay, Rng::new(1));
        let mut again = Vec::new();
        for i in (100..160).chain(1000..1400) {
            again.push(c2.derive(&model, i, &mut rng2).expect("a case"));
        }
        let first: Vec<TestCase> = walk.into_iter().chain(all).collect();
        assert_eq!(again, first);
    }

    #[test]
    fn entries_with_new_edges_are_walked_before_those_with_new_counts_only() {
        let model = Modbus::new(1);
        let mut c = Corpus::default();
        let mut rng = Rng::new(1);
        c.add(case(0, &[0x10; 4]), Novelty::Edges(1));
        c.add(case(1, &[0x20; 4]), Novelty::Counts);
        let first: Vec<Vec<u8>> = (0..8)
            .map(|i| c.derive(&model, i, &mut rng).expect("a case").bytes)
            .collect();
        // 4 positions x (0x00, 0xFF) of the entry with new edges, then the other's.
        assert!(first.iter().all(|b| b.contains(&0x10)), "{first:?}");
        let next = c.derive(&model, 8, &mut rng).expect("a case").bytes;
        assert_eq!(next, [0x00, 0x20, 0x20, 0x20]);
    }

    proptest::proptest! {
        #[test]
        fn any_map_reading_and_derivation_is_safe(
            readings in proptest::collection::vec(
                proptest::collection::vec(proptest::num::u8::ANY, 0..300), 1..6),
            entries in proptest::collection::vec(
                proptest::collection::vec(proptest::num::u8::ANY, 0..80), 0..6),
            seed in proptest::num::u64::ANY,
        ) {
            let mut e = Edges::new();
            // A plain byte-by-byte reference.
            let (mut last, mut seen) = (vec![0u8; MAP_SIZE], vec![0u8; MAP_SIZE]);
            for r in &readings {
                let before = e.edges();
                let n = e.fold(r);
                let (mut edges, mut counts) = (0, false);
                for i in 0..MAP_SIZE {
                    let now = r.get(i).copied().unwrap_or(0);
                    let b = bucket(now.wrapping_sub(last[i]));
                    last[i] = now;
                    if b & !seen[i] != 0 {
                        if seen[i] == 0 { edges += 1 } else { counts = true }
                        seen[i] |= b;
                    }
                }
                let want = if edges > 0 { Novelty::Edges(edges) } else if counts { Novelty::Counts } else { Novelty::Nothing };
                proptest::prop_assert_eq!(n, want);
                proptest::prop_assert!(e.edges() >= before);
                proptest::prop_assert!(e.edges() <= MAP_SIZE);
                if let Novelty::Edges(k) = n {
                    proptest::prop_assert_eq!(e.edges(), before + k);
                }
            }
            let model = Modbus::new(1);
            let mut c = Corpus::default();
            for (i, b) in entries.iter().enumerate() {
                c.add(case(i as u64, b), Novelty::Edges(1));
            }
            let mut rng = Rng::new(seed);
            for i in 0..50 {
                match c.derive(&model, i, &mut rng) {
                    Some(d) => proptest::prop_assert!(d.bytes.len() <= MAX_CASE_BYTES),
                    None => proptest::prop_assert!(c.is_empty()
                        || entries.iter().all(|b| b.len() <= 1)),
                }
            }
        }
    }

    #[test]
    fn a_map_file_is_read_credited_and_removed() {
        let map = CoverageMap::create().expect("map");
        let path = map.path().to_path_buf();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        file.write_all_at(&[3], 100).expect("start-up edge");
        let cov = Coverage::new(map).expect("coverage");
        assert!(cov.active());
        assert_eq!(cov.summary().startup_edges, 1);
        let model = Modbus::new(1);
        let a = case(0, &[1]);
        let b = case(1, &[2]);
        // Case a: the target takes edge 200 (answered).
        cov.before_case(&a);
        file.write_all_at(&[1], 200).expect("edge");
        cov.after_request(&a.bytes);
        // Case b: nothing new; credited when the next case is built.
        cov.before_case(&b);
        cov.before_case(&case(2, &[3]));
        assert_eq!(cov.corpus(), vec![a.clone()]);
        let s = cov.summary();
        assert_eq!((s.edges, s.corpus, s.map_size), (2, 1, MAP_SIZE as u64));
        // Derived cases come from the corpus.
        let d = cov.derive(&model, 1, 5).expect("derived");
        assert_eq!(d.bytes.len(), 1);
        assert_ne!(d.bytes, a.bytes);
        assert_eq!(cov.summary().derived_cases, 1);
        drop(cov);
        assert!(!path.exists(), "the map file is removed");
    }
}
