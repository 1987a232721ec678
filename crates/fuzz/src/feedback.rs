//! Feedback: what the target's answers teach, and the part of the schedule that uses it.
//!
//! The model reads answers into [`Observation`]s ([`ProtocolModel::learn`]): for Modbus a
//! normal answer to a read or write maps its addresses, exception 02 (illegal data address)
//! to a one-unit request unmaps one, exception 03 (illegal data value) rejects a quantity, and
//! register contents go into a value dictionary. [`Feedback`] folds them into knowledge per
//! address space (mapped runs with exact or approximate edges) and builds cases from it.
//!
//! The schedule of a campaign, by case index (`P` = message types x mutation classes, `L` =
//! the model's [`LimitCase`]s):
//! - `0..P`: one round of the model, every (message type x class) once ([`build_case`]);
//! - `P..P+L`: the protocol limits (quantities 0/1/max/max+1/127/128, address wrap), always;
//! - then, in turn: a regular case; a discovery read (a coarse-to-fine grid over each address
//!   space: steps of 4096, 1024, 256, 64; one unit per read); a bisection read (halving the
//!   gap between a mapped run's edge that is not yet exact and the nearest address known
//!   unmapped beyond it); a boundary case (a message placed at a learned boundary: first and
//!   last valid address, address + quantity fitting the end exactly and crossing it by one,
//!   one before and one past, with learned quantity limits and values from the dictionary).
//!   Once the grid is done, discovery turns are boundary cases; once every edge is exact,
//!   bisection turns are too; while nothing is learned, they are discovery reads or regular
//!   cases.
//!
//! Determinism: cases `0..P+L` and the regular turns are a function of (seed, index) alone.
//! Discovery reads follow the grid in order from the start of each run (a resumed run starts
//! the grid again, with empty knowledge). Learned cases are a function of (seed, index, the
//! knowledge when the case is built), so they depend on the target's earlier answers (and,
//! with several sessions, on timing). A finding's reproducer is always the exact bytes sent,
//! so nothing needs rebuilding; [`Feedback`] remembers recent learned cases so findings are
//! labelled with their field and class.
//!
//! Grey-box feedback ([`crate::coverage`]), when a [`Coverage`] is attached
//! ([`Feedback::with_coverage`]) and the target took edges: after the limits, every other
//! case is derived from the coverage corpus (a regular case while it is empty) and the turns
//! above take the others (at half the pace); every case built is handed to the coverage to be
//! credited with the edges it took, and [`Learned::greybox`] says what it did. Without
//! coverage the schedule is exactly as above.

use crate::campaign::build_case;
use crate::coverage::{Coverage, GreyBox};
use crate::model::{BytesLen, Domain, FieldType, Message, MessageDef, ProtocolModel, Value};
use crate::mutate::{mutate, MutationClass, TestCase};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What an answer taught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// Units `first..=last` of address space `space` answered normally: mapped.
    Mapped {
        /// Index into [`ProtocolModel::address_spaces`].
        space: usize,
        /// First unit.
        first: u64,
        /// Last unit.
        last: u64,
    },
    /// Unit `address` of `space` is not mapped (a one-unit request got "illegal address").
    Unmapped {
        /// Index into [`ProtocolModel::address_spaces`].
        space: usize,
        /// The unit.
        address: u64,
    },
    /// Message code `code` accepted (or rejected as an illegal value) `value` in field `field`.
    Count {
        /// Message code.
        code: u16,
        /// The count field.
        field: &'static str,
        /// The value.
        value: u64,
        /// Accepted (normal answer) or rejected (illegal value).
        accepted: bool,
    },
    /// A value the target sent (a register's content), for the value dictionary.
    Value(u64),
}

/// An address space of a protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressSpace {
    /// Name (`holding registers`).
    pub name: &'static str,
    /// Number of addresses (65536 for Modbus).
    pub size: u64,
}

/// A message type's fields that address a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressing {
    /// Index of the message type in [`ProtocolModel::messages`].
    pub def: usize,
    /// Index into [`ProtocolModel::address_spaces`].
    pub space: usize,
    /// The address field.
    pub address: &'static str,
    /// The count field, if the message addresses several units.
    pub count: Option<&'static str>,
}

/// A protocol limit tried in every campaign: field values set on a generated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitCase {
    /// Index of the message type in [`ProtocolModel::messages`].
    pub def: usize,
    /// Field values to set (written as is).
    pub set: Vec<(&'static str, u64)>,
    /// The field the case is about.
    pub field: &'static str,
}

/// A learned run of mapped addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedRange {
    /// Address space name.
    pub space: String,
    /// First mapped address.
    pub first: u64,
    /// Last mapped address.
    pub last: u64,
    /// Both edges are exact: the address before `first` and after `last` were answered
    /// "illegal address" (or are the ends of the space).
    pub exact: bool,
}

/// A learned limit of a count field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedLimit {
    /// Message code.
    pub code: u16,
    /// Count field.
    pub field: String,
    /// Largest value answered normally.
    pub max_accepted: Option<u64>,
    /// Smallest value above it rejected as an illegal value.
    pub min_rejected: Option<u64>,
}

/// What a campaign learned from the target's answers (in its report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    /// Mapped address runs per space.
    #[serde(default)]
    pub ranges: Vec<LearnedRange>,
    /// Count limits per message code.
    #[serde(default)]
    pub limits: Vec<LearnedLimit>,
    /// Distinct values in the dictionary.
    #[serde(default)]
    pub values: usize,
    /// Discovery reads sent.
    #[serde(default)]
    pub discovery_reads: u64,
    /// Learned cases built (bisection and boundary).
    #[serde(default)]
    pub learned_cases: u64,
    /// Grey-box feedback (the target's edge coverage), when it was on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greybox: Option<GreyBox>,
}

impl Learned {
    /// Nothing learned, nothing tried.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
            && self.limits.is_empty()
            && self.values == 0
            && self.discovery_reads == 0
            && self.learned_cases == 0
            && self.greybox.is_none()
    }
}

/// Bounds on what is kept: a hostile target cannot make us grow without bound.
const MAX_INTERVALS: usize = 4096;
const MAX_UNMAPPED: usize = 8192;
const MAX_VALUES: usize = 256;
const MAX_MEMO: usize = 4096;
/// How often one bisection read is asked before its edge is left approximate.
const BISECT_TRIES: u32 = 4;
/// Grid steps of discovery, coarse to fine.
const GRID: [u64; 4] = [4096, 1024, 256, 64];

#[derive(Debug, Default, Clone)]
struct Space {
    /// Mapped intervals as observed (merged when they overlap or touch).
    mapped: BTreeMap<u64, u64>,
    unmapped: BTreeSet<u64>,
    /// Bisection reads asked [`BISECT_TRIES`] times without an answer that taught anything
    /// (a target that answers inconsistently): their edges are left approximate.
    given_up: BTreeSet<u64>,
}

/// Largest value accepted and smallest rejected above it, of a count field.
type Bounds = (Option<u64>, Option<u64>);

/// A mapped run: (first, last, lower edge exact, upper edge exact).
type Run = (u64, u64, bool, bool);

impl Space {
    fn map(&mut self, first: u64, last: u64) {
        let (mut a, mut b) = (first, last);
        // Merge with intervals that overlap or touch.
        let touching: Vec<(u64, u64)> = self
            .mapped
            .range(..=b.saturating_add(1))
            .filter(|(_, e)| e.saturating_add(1) >= a)
            .map(|(s, e)| (*s, *e))
            .collect();
        for (s, e) in touching {
            self.mapped.remove(&s);
            a = a.min(s);
            b = b.max(e);
        }
        if self.mapped.len() < MAX_INTERVALS {
            self.mapped.insert(a, b);
        }
        // An address answered normally is no longer unmapped (a target may change).
        let gone: Vec<u64> = self.unmapped.range(a..=b).copied().collect();
        for g in gone {
            self.unmapped.remove(&g);
        }
    }

    fn unmap(&mut self, address: u64) {
        if self.unmapped.len() < MAX_UNMAPPED && !self.is_mapped(address) {
            self.unmapped.insert(address);
        }
    }

    fn is_mapped(&self, address: u64) -> bool {
        self.mapped
            .range(..=address)
            .next_back()
            .is_some_and(|(_, e)| *e >= address)
    }

    /// Mapped runs: observed intervals joined when no unmapped address lies between them.
    fn runs(&self, size: u64) -> Vec<Run> {
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for (&s, &e) in &self.mapped {
            match runs.last_mut() {
                Some(last) if self.unmapped.range(last.1..s).next().is_none() => last.1 = e,
                _ => runs.push((s, e)),
            }
        }
        runs.into_iter()
            .map(|(a, b)| {
                let lo = a == 0 || self.unmapped.contains(&(a - 1));
                let hi = b + 1 >= size || self.unmapped.contains(&(b + 1));
                (a, b, lo, hi)
            })
            .collect()
    }

    /// The next address to read to make an edge exact (bisection between the run's edge and
    /// the nearest known address beyond it).
    fn bisect(&self, runs: &[Run], size: u64) -> Option<u64> {
        for &(a, b, lo, hi) in runs {
            if !lo {
                let below = self.unmapped.range(..a).next_back().copied();
                let mid = match below {
                    Some(u) => u + (a - u) / 2,
                    None => a / 2,
                };
                if !self.given_up.contains(&mid) {
                    return Some(mid);
                }
            }
            if !hi {
                let above = self.unmapped.range(b + 1..).next().copied();
                let mid = match above {
                    Some(u) => b + (u - b).div_ceil(2),
                    None => b + (size - b) / 2,
                };
                if !self.given_up.contains(&mid) {
                    return Some(mid);
                }
            }
        }
        None
    }
}

#[derive(Debug, Default)]
struct Knowledge {
    spaces: Vec<Space>,
    /// Per (code, field): (max accepted, min rejected above it).
    limits: BTreeMap<(u16, &'static str), Bounds>,
    values: BTreeSet<u64>,
    /// Discovery reads sent and not yet answered: (grid position when sent, space, address,
    /// tries).
    in_flight: VecDeque<(u64, usize, u64, u32)>,
    /// Bisection reads asked, per (space, address).
    bisect_tries: BTreeMap<(usize, u64), u32>,
    /// Labels of recent learned cases: (index, field, class).
    memo: VecDeque<(u64, String, MutationClass)>,
}

impl Knowledge {
    fn fold(&mut self, o: Observation) {
        match o {
            Observation::Mapped { space, first, last } if first <= last => {
                if let Some(s) = self.spaces.get_mut(space) {
                    s.map(first, last);
                }
            }
            Observation::Mapped { .. } => {}
            Observation::Unmapped { space, address } => {
                if let Some(s) = self.spaces.get_mut(space) {
                    s.unmap(address);
                }
            }
            Observation::Count {
                code,
                field,
                value,
                accepted,
            } => {
                let e = self.limits.entry((code, field)).or_default();
                if accepted {
                    e.0 = Some(e.0.map_or(value, |m| m.max(value)));
                    if e.1.is_some_and(|r| r <= value) {
                        e.1 = None;
                    }
                } else if e.0.is_none_or(|m| value > m) {
                    e.1 = Some(e.1.map_or(value, |r| r.min(value)));
                }
            }
            Observation::Value(v) => {
                if self.values.len() < MAX_VALUES {
                    self.values.insert(v);
                }
            }
        }
    }
}

/// The feedback of a campaign: knowledge learned from answers, and the learned schedule.
/// Shared by the campaign's workers.
pub struct Feedback {
    spaces: Vec<AddressSpace>,
    addressing: Vec<Addressing>,
    limits: Vec<LimitCase>,
    /// Cases of the first round (every message type x class once).
    round: u64,
    knowledge: Mutex<Knowledge>,
    grid: Vec<(usize, u64)>,
    discovery: AtomicU64,
    learned_cases: AtomicU64,
    /// Grey-box feedback, when the target gives coverage.
    coverage: Option<Arc<Coverage>>,
}

impl std::fmt::Debug for Feedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feedback")
            .field("spaces", &self.spaces.len())
            .field("limits", &self.limits.len())
            .finish()
    }
}

/// The discovery grid: coarse to fine, each level's new points, spaces interleaved.
fn grid(spaces: &[AddressSpace], addressing: &[Addressing]) -> Vec<(usize, u64)> {
    let readable: Vec<usize> = (0..spaces.len())
        .filter(|s| addressing.iter().any(|a| a.space == *s))
        .collect();
    let size = spaces.iter().map(|s| s.size).max().unwrap_or(0);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for step in GRID {
        let mut a = 0u64;
        while a < size {
            if seen.insert(a) {
                for &s in &readable {
                    if a < spaces[s].size {
                        out.push((s, a));
                    }
                }
            }
            a += step;
        }
    }
    out
}

impl Feedback {
    /// Feedback for a model (nothing learned yet).
    pub fn new(model: &dyn ProtocolModel) -> Feedback {
        let spaces = model.address_spaces();
        let addressing = model.addressing();
        let grid = grid(&spaces, &addressing);
        Feedback {
            knowledge: Mutex::new(Knowledge {
                spaces: vec![Space::default(); spaces.len()],
                ..Knowledge::default()
            }),
            round: (model.messages().len() * MutationClass::ALL.len()) as u64,
            limits: model.limit_cases(),
            spaces,
            addressing,
            grid,
            discovery: AtomicU64::new(0),
            learned_cases: AtomicU64::new(0),
            coverage: None,
        }
    }

    /// Use the target's edge coverage as feedback (see the module documentation), if
    /// `coverage` is given and active (the target took edges: it is instrumented).
    pub fn with_coverage(mut self, coverage: Option<Arc<Coverage>>) -> Feedback {
        self.coverage = coverage.filter(|c| c.active());
        self
    }

    /// The grey-box feedback in use.
    pub fn coverage(&self) -> Option<&Arc<Coverage>> {
        self.coverage.as_ref()
    }

    /// Index of the first limit case (after one round of the model).
    pub fn limits_start(&self) -> u64 {
        self.round
    }

    /// Number of limit cases.
    pub fn limits_len(&self) -> u64 {
        self.limits.len() as u64
    }

    /// Learn from the answer `response` to `request`.
    pub fn observe(&self, model: &dyn ProtocolModel, request: &[u8], response: &[u8]) {
        if let Some(c) = &self.coverage {
            c.after_request(request);
        }
        let obs = model.learn(request, response);
        if obs.is_empty() {
            return;
        }
        if let Ok(mut k) = self.knowledge.lock() {
            obs.into_iter().for_each(|o| k.fold(o));
        }
    }

    /// What has been learned so far.
    pub fn learned(&self) -> Learned {
        let Ok(k) = self.knowledge.lock() else {
            return Learned::default();
        };
        let mut ranges = Vec::new();
        for (i, s) in k.spaces.iter().enumerate() {
            let Some(def) = self.spaces.get(i) else {
                continue;
            };
            for (first, last, lo, hi) in s.runs(def.size) {
                ranges.push(LearnedRange {
                    space: def.name.to_string(),
                    first,
                    last,
                    exact: lo && hi,
                });
            }
        }
        Learned {
            ranges,
            limits: k
                .limits
                .iter()
                .map(|((code, field), (a, r))| LearnedLimit {
                    code: *code,
                    field: field.to_string(),
                    max_accepted: *a,
                    min_rejected: *r,
                })
                .collect(),
            values: k.values.len(),
            discovery_reads: self
                .discovery
                .load(Ordering::SeqCst)
                .min(self.grid.len() as u64),
            learned_cases: self.learned_cases.load(Ordering::SeqCst),
            greybox: self.coverage.as_ref().map(|c| c.summary()),
        }
    }

    /// The field and class of learned case `index`, if it was one of the recent ones.
    pub fn label(&self, index: u64) -> Option<(String, MutationClass)> {
        let k = self.knowledge.lock().ok()?;
        k.memo
            .iter()
            .rev()
            .find(|(i, _, _)| *i == index)
            .map(|(_, f, c)| (f.clone(), *c))
    }

    /// Relabel a finding (field and class) whose case was a learned one.
    pub fn relabel(&self, f: &mut crate::campaign::Finding) {
        if let Some((field, class)) = self.label(f.case) {
            f.field = field;
            f.class = class;
        }
    }

    /// Case `index` of the campaign (see the module documentation for the schedule).
    pub fn case(&self, model: &dyn ProtocolModel, seed: u64, index: u64) -> TestCase {
        let case = self.scheduled(model, seed, index);
        if let Some(c) = &self.coverage {
            c.before_case(&case);
        }
        case
    }

    fn scheduled(&self, model: &dyn ProtocolModel, seed: u64, index: u64) -> TestCase {
        if index < self.round {
            return build_case(model, seed, index);
        }
        let li = index - self.round;
        if let Some(l) = self.limits.get(li as usize) {
            return self.limit_case(model, seed, index, l);
        }
        let mut j = li - self.limits.len() as u64;
        // Grey-box: every other turn is derived from the coverage corpus (while it is empty,
        // a regular case); the turns above take the others.
        if let Some(c) = &self.coverage {
            if j % 2 == 1 {
                let case = c.derive(model, seed, index);
                return self
                    .memo(case)
                    .unwrap_or_else(|| build_case(model, seed, index));
            }
            j /= 2;
        }
        let case = match j % 4 {
            0 => None,
            1 => self
                .discover(model, seed, index)
                .or_else(|| self.learned_case(model, seed, index, false)),
            2 => self.learned_case(model, seed, index, true),
            _ => self
                .learned_case(model, seed, index, false)
                .or_else(|| self.discover(model, seed, index)),
        };
        self.memo(case)
            .unwrap_or_else(|| build_case(model, seed, index))
    }

    /// Remember the label of a case built from what was learned.
    fn memo(&self, case: Option<TestCase>) -> Option<TestCase> {
        let c = case?;
        if let Ok(mut k) = self.knowledge.lock() {
            k.memo.push_back((c.index, c.field.clone(), c.class));
            if k.memo.len() > MAX_MEMO {
                k.memo.pop_front();
            }
        }
        Some(c)
    }

    fn limit_case(
        &self,
        model: &dyn ProtocolModel,
        seed: u64,
        index: u64,
        l: &LimitCase,
    ) -> TestCase {
        let Some(def) = model.messages().get(l.def) else {
            return build_case(model, seed, index);
        };
        let mut rng = Rng::fork(seed, index);
        let mut msg = def.generate(l.def, &mut rng);
        set_fields(def, &mut msg, &l.set, &mut rng);
        model.prepare(&mut msg, index);
        let valid = fields_valid(def, &msg);
        let (bytes, _) = def.encode(&msg);
        TestCase {
            index,
            message: def.name.clone(),
            code: def.code,
            field: l.field.to_string(),
            class: if valid {
                MutationClass::Boundary
            } else {
                MutationClass::OffByOne
            },
            valid,
            bytes,
        }
    }

    /// The next discovery read, `None` once the grid is done. A read whose answer taught
    /// nothing (lost, or a late answer to an earlier request read in its place) is sent again,
    /// up to twice, a few reads later.
    fn discover(&self, model: &dyn ProtocolModel, seed: u64, index: u64) -> Option<TestCase> {
        let k = self.discovery.load(Ordering::SeqCst);
        let retry = self.knowledge.lock().ok().and_then(|mut kn| {
            while let Some(&(at, space, address, tries)) = kn.in_flight.front() {
                let known = kn
                    .spaces
                    .get(space)
                    .is_none_or(|s| s.is_mapped(address) || s.unmapped.contains(&address));
                if known || tries >= 3 {
                    kn.in_flight.pop_front();
                    continue;
                }
                if at + 8 > k {
                    return None;
                }
                kn.in_flight.pop_front();
                kn.in_flight.push_back((k, space, address, tries + 1));
                return Some((space, address));
            }
            None
        });
        let (space, address) = match retry {
            Some(p) => p,
            None => {
                let k = self.discovery.fetch_add(1, Ordering::SeqCst);
                let &(space, address) = self.grid.get(usize::try_from(k).ok()?)?;
                if let Ok(mut kn) = self.knowledge.lock() {
                    if kn.in_flight.len() < MAX_MEMO {
                        kn.in_flight.push_back((k, space, address, 1));
                    }
                }
                (space, address)
            }
        };
        self.read_one(model, seed, index, space, address)
    }

    /// A one-unit read of `address` in `space` (discovery and bisection).
    fn read_one(
        &self,
        model: &dyn ProtocolModel,
        seed: u64,
        index: u64,
        space: usize,
        address: u64,
    ) -> Option<TestCase> {
        let a = self.addressing.iter().find(|a| a.space == space)?;
        let def = model.messages().get(a.def)?;
        let mut rng = Rng::fork(seed, index);
        let mut msg = def.generate(a.def, &mut rng);
        let mut set = vec![(a.address, address)];
        if let Some(c) = a.count {
            set.push((c, 1));
        }
        set_fields(def, &mut msg, &set, &mut rng);
        model.prepare(&mut msg, index);
        let (bytes, _) = def.encode(&msg);
        Some(TestCase {
            index,
            message: def.name.clone(),
            code: def.code,
            field: a.address.to_string(),
            class: MutationClass::Valid,
            valid: fields_valid(def, &msg),
            bytes,
        })
    }

    /// A learned case: a bisection read or a message at a learned boundary; `None` while
    /// nothing is learned.
    fn learned_case(
        &self,
        model: &dyn ProtocolModel,
        seed: u64,
        index: u64,
        bisect_turn: bool,
    ) -> Option<TestCase> {
        let (runs, bisect, limits, values) = {
            let mut k = self.knowledge.lock().ok()?;
            let mut runs = Vec::new();
            let mut bisect = None;
            for (i, s) in k.spaces.iter().enumerate() {
                let size = self.spaces.get(i).map_or(0, |d| d.size);
                let r = s.runs(size);
                if bisect.is_none() {
                    bisect = s.bisect(&r, size).map(|a| (i, a));
                }
                runs.extend(r.into_iter().map(|r| (i, r)));
            }
            let values: Vec<u64> = k.values.iter().copied().collect();
            if let (Some((space, address)), true) = (bisect, bisect_turn) {
                if k.bisect_tries.len() < MAX_MEMO {
                    let tries = k.bisect_tries.entry((space, address)).or_default();
                    *tries += 1;
                    if *tries >= BISECT_TRIES {
                        if let Some(s) = k.spaces.get_mut(space) {
                            if s.given_up.len() < MAX_UNMAPPED {
                                s.given_up.insert(address);
                            }
                        }
                    }
                }
            }
            (runs, bisect, k.limits.clone(), values)
        };
        // Bisection on its turns (while an edge is not exact), else boundaries.
        if let Some((space, address)) = bisect {
            if bisect_turn || runs.is_empty() {
                let c = self.read_one(model, seed, index, space, address);
                if c.is_some() {
                    self.learned_cases.fetch_add(1, Ordering::SeqCst);
                }
                return c;
            }
        }
        let mut rng = Rng::fork(seed, index);
        let usable: Vec<&Addressing> = self
            .addressing
            .iter()
            .filter(|a| runs.iter().any(|(s, _)| *s == a.space))
            .collect();
        let a = *usable.get(rng.below(usable.len() as u64) as usize)?;
        let space_runs: Vec<Run> = runs
            .iter()
            .filter(|(s, _)| *s == a.space)
            .map(|(_, r)| *r)
            .collect();
        let &(first, last, _, _) = space_runs.get(rng.below(space_runs.len() as u64) as usize)?;
        let size = self.spaces.get(a.space).map_or(0x1_0000, |s| s.size).max(1);
        let def = model.messages().get(a.def)?;
        let mut msg = def.generate(a.def, &mut rng);
        let mut set = Vec::new();
        let q = match a.count.and_then(|c| def.field(c).map(|i| (c, i))) {
            Some((c, i)) => {
                let (lo, hi) = def.fields[i].bounds();
                let (acc, rej) = limits.get(&(def.code, c)).copied().unwrap_or((None, None));
                let mut qs = vec![
                    1,
                    2,
                    lo.max(1),
                    hi,
                    lo.max(1) + rng.below(hi - lo.min(hi) + 1),
                ];
                qs.extend(acc);
                qs.extend(acc.map(|x| x + 1));
                qs.extend(rej);
                let span = last - first + 1;
                qs.push(span);
                qs.push(span + 1);
                let q = qs[rng.below(qs.len() as u64) as usize].max(1);
                set.push((c, q));
                q
            }
            None => 1,
        };
        let wrap = |v: i128| -> u64 { v.rem_euclid(i128::from(size)) as u64 };
        let (f, l, q) = (i128::from(first), i128::from(last), i128::from(q));
        let addresses = [
            f,
            l,
            l - q + 1, // fits the end exactly
            l - q + 2, // crosses the end by one
            f - 1,
            l + 1,
            f + i128::from(rng.below(u64::try_from(l - f + 1).unwrap_or(1))),
        ];
        let address = wrap(addresses[rng.below(addresses.len() as u64) as usize]);
        set.push((a.address, address));
        set_fields(def, &mut msg, &set, &mut rng);
        // Values the target sent, reused as inputs in the other integer fields.
        if !values.is_empty() {
            for (i, fd) in def.fields.iter().enumerate() {
                let free = matches!(fd.domain, Domain::Any | Domain::Range(_, _))
                    && fd.rule == crate::model::Rule::Free
                    && fd.ty != FieldType::Bytes
                    && !set.iter().any(|(n, _)| *n == fd.name)
                    && i > 0;
                if free && rng.chance(0.3) {
                    let v = values[rng.below(values.len() as u64) as usize] & fd.ty.max();
                    msg.values[i] = Value::Int(v);
                }
            }
        }
        model.prepare(&mut msg, index);
        self.learned_cases.fetch_add(1, Ordering::SeqCst);
        // Mostly as placed; sometimes a mutation class on top of the boundary.
        let (bytes, field, valid, class) = if rng.chance(0.7) {
            let (b, _) = def.encode(&msg);
            (
                b,
                a.address.to_string(),
                fields_valid(def, &msg),
                MutationClass::Boundary,
            )
        } else {
            let classes = &MutationClass::ALL[2..];
            let class = classes[rng.below(classes.len() as u64) as usize];
            let (b, field, valid) = mutate(def, &msg, class, &mut rng);
            (b, field, valid, class)
        };
        Some(TestCase {
            index,
            message: def.name.clone(),
            code: def.code,
            field,
            class,
            valid,
            bytes,
        })
    }
}

/// Set integer fields (written as given) and resize the byte fields whose length follows
/// them, while the result stays small (a count past the protocol's limit keeps the bytes it
/// had: a count that disagrees with the payload).
fn set_fields(def: &MessageDef, msg: &mut Message, set: &[(&'static str, u64)], rng: &mut Rng) {
    for (name, v) in set {
        if let Some(i) = def.field(name) {
            if def.fields[i].ty != FieldType::Bytes {
                msg.values[i] = Value::Int(*v & def.fields[i].ty.max());
            }
        }
    }
    let count = |name: &str| -> u64 {
        def.field(name)
            .and_then(|i| match msg.values.get(i) {
                Some(Value::Int(v)) => Some(*v),
                _ => None,
            })
            .unwrap_or(0)
    };
    let mut resized = Vec::new();
    for (i, f) in def.fields.iter().enumerate() {
        let n = match &f.len {
            Some(BytesLen::BitsOf(c)) if set.iter().any(|(n, _)| n == c) => {
                count(c).div_ceil(8) as usize
            }
            Some(BytesLen::WordsOf(c)) if set.iter().any(|(n, _)| n == c) => {
                (2 * count(c)) as usize
            }
            Some(BytesLen::Per(c, k)) if set.iter().any(|(n, _)| n == c) => {
                k.saturating_mul(count(c) as usize)
            }
            _ => continue,
        };
        if n <= 256 {
            resized.push((i, n));
        }
    }
    for (i, n) in resized {
        msg.values[i] = Value::Bytes(rng.bytes(n));
    }
}

/// Whether every integer field of a message is within its domain.
fn fields_valid(def: &MessageDef, msg: &Message) -> bool {
    def.fields.iter().zip(&msg.values).all(|(f, v)| match v {
        Value::Int(x) => f.rule != crate::model::Rule::Free || f.accepts(*x),
        Value::Bytes(_) => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_join_mapped_points_and_bisect_to_exact_edges() {
        let mut s = Space::default();
        let size = 0x1_0000;
        s.unmap(0);
        s.map(4096, 4096);
        s.unmap(8192);
        let runs = s.runs(size);
        assert_eq!(runs, vec![(4096, 4096, false, false)]);
        // Bisection converges to the edges of a map of 4000..=4099.
        let truth = |a: u64| (4000..=4099).contains(&a);
        for _ in 0..64 {
            let runs = s.runs(size);
            let Some(a) = s.bisect(&runs, size) else {
                break;
            };
            if truth(a) {
                s.map(a, a);
            } else {
                s.unmap(a);
            }
        }
        assert_eq!(s.runs(size), vec![(4000, 4099, true, true)]);
    }

    #[test]
    fn a_bisection_read_that_never_teaches_is_given_up() {
        let model = crate::modbus::Modbus::new(1);
        let fb = Feedback::new(&model);
        fb.observe(
            &model,
            &[0, 1, 0, 0, 0, 6, 1, 3, 0x10, 0, 0, 1],
            &[0, 1, 0, 0, 0, 5, 1, 3, 2, 0, 0],
        );
        // Nothing answers the bisection reads: each is asked a bounded number of times.
        let mut reads = BTreeMap::new();
        for i in 0..400u64 {
            let c = fb.learned_case(&model, 1, 10_000 + i, true);
            if let Some(c) = c.filter(|c| c.class == MutationClass::Valid) {
                *reads.entry(c.bytes[8..10].to_vec()).or_insert(0u32) += 1;
            }
        }
        assert!(!reads.is_empty());
        assert!(reads.values().all(|n| *n <= BISECT_TRIES), "{reads:?}");
    }

    #[test]
    fn knowledge_is_bounded() {
        let mut k = Knowledge {
            spaces: vec![Space::default()],
            ..Knowledge::default()
        };
        for a in 0..20_000u64 {
            k.fold(Observation::Unmapped {
                space: 0,
                address: a * 3,
            });
            k.fold(Observation::Mapped {
                space: 0,
                first: a * 3 + 1,
                last: a * 3 + 1,
            });
            k.fold(Observation::Value(a));
        }
        k.fold(Observation::Mapped {
            space: 9,
            first: 1,
            last: 0,
        });
        assert!(k.spaces[0].unmapped.len() <= MAX_UNMAPPED);
        assert!(k.spaces[0].mapped.len() <= MAX_INTERVALS);
        assert!(k.values.len() <= MAX_VALUES);
    }

    #[test]
    fn limits_keep_the_largest_accepted_and_smallest_rejected() {
        let mut k = Knowledge::default();
        for (v, ok) in [
            (10, true),
            (125, true),
            (200, false),
            (126, false),
            (3, true),
        ] {
            k.fold(Observation::Count {
                code: 3,
                field: "quantity",
                value: v,
                accepted: ok,
            });
        }
        assert_eq!(
            k.limits.get(&(3, "quantity")),
            Some(&(Some(125), Some(126)))
        );
    }
}
