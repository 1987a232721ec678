//! A campaign: the scheduler walks (message type x mutation class) in order, each case built
//! deterministically from the seed and its index; executors run cases on K sessions; monitors
//! (health probe, latency baseline, process watch) and the protocol oracle classify what the
//! target did; findings are de-duplicated and minimized.

use crate::exec::{probe, probe_within, Outcome, Session, Wire, MAX_RESPONSE};
use crate::model::ProtocolModel;
use crate::mutate::{mutate, MutationClass, TestCase};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Behaviour classes a monitor or oracle reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// The target stopped accepting connections (or its process died).
    Crash,
    /// The target stopped answering, health probe included.
    Hang,
    /// The target answers, but far slower than its baseline.
    Degradation,
    /// An answer that violates the protocol.
    Conformance,
}

impl Behaviour {
    /// kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Crash => "crash",
            Behaviour::Hang => "hang",
            Behaviour::Degradation => "degradation",
            Behaviour::Conformance => "conformance",
        }
    }

    /// Catalog requirements a finding of this kind bears on.
    pub fn requirements(self) -> Vec<&'static str> {
        match self {
            Behaviour::Crash => vec!["CR 3.5", "CR 7.1", "SVV-3"],
            Behaviour::Hang | Behaviour::Degradation => vec!["CR 7.1", "SVV-3"],
            Behaviour::Conformance => vec!["CR 3.5", "SVV-3"],
        }
    }

    /// The effect a finding of this class has unless the monitor saw more precisely (a
    /// conformance finding on a closed connection is [`Effect::ConnectionLost`]).
    pub fn effect(self) -> Effect {
        match self {
            Behaviour::Crash | Behaviour::Hang => Effect::ServerDown,
            Behaviour::Degradation => Effect::ServerDegraded,
            Behaviour::Conformance => Effect::WrongAnswer,
        }
    }
}

/// The severity rule, as stated in the evidence: severity follows the observed effect, not
/// the behaviour class or the mutation that provoked it.
pub const SEVERITY_RULE: &str = "Severity follows the observed effect on the target: the whole server crashed or hung (other clients not served: CVSS A:H, high 7.5) > the whole server degraded (slower answers or memory growth: A:L, medium 5.3) = one connection dropped without the answer the specification requires, others still served (A:L, medium 5.3) > a wrong or nonconforming answer, the connection and the server still working (I:L with AC:H, since harm needs a client that relies on the wrong part: low 3.7). All vectors are AV:N/PR:N/UI:N/S:U: one unauthenticated request or sequence over the network.";

/// What a finding did to the target, from which its severity follows ([`SEVERITY_RULE`]).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// The whole server crashed or stopped answering: no client is served.
    ServerDown,
    /// The whole server answers far slower than its baseline, or its memory grew.
    ServerDegraded,
    /// One connection was dropped without the answer the specification requires; the server
    /// still serves others.
    ConnectionLost,
    /// A wrong or nonconforming answer; connection and server still work.
    #[default]
    WrongAnswer,
}

impl Effect {
    /// All effects, most severe first.
    pub const ALL: [Effect; 4] = [
        Effect::ServerDown,
        Effect::ServerDegraded,
        Effect::ConnectionLost,
        Effect::WrongAnswer,
    ];

    /// kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Effect::ServerDown => "server-down",
            Effect::ServerDegraded => "server-degraded",
            Effect::ConnectionLost => "connection-lost",
            Effect::WrongAnswer => "wrong-answer",
        }
    }

    /// Severity name, CVSS v3.1 vector and its base score ([`SEVERITY_RULE`]).
    pub fn severity(self) -> (&'static str, &'static str, f32) {
        match self {
            Effect::ServerDown => ("high", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            Effect::ServerDegraded | Effect::ConnectionLost => (
                "medium",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
                5.3,
            ),
            Effect::WrongAnswer => ("low", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", 3.7),
        }
    }
}

/// Whether a finding's reproducer was re-run, and what that showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confirmed {
    /// Sent alone on a fresh connection, it gave the same behaviour again.
    AloneOnFreshConnection,
    /// Sent on one connection to the restarted target, it gave the same behaviour again.
    AfterRestart,
    /// Re-run, it did not give the behaviour again.
    NotReproduced,
    /// Not re-run.
    NotTried,
}

/// Why a finding is or is not confirmed: how its reproducer was re-run, and in words what
/// happened or why it was not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// How it was re-run, or not.
    pub how: Confirmed,
    /// In words.
    pub note: String,
}

impl Confirmation {
    fn new(how: Confirmed, note: impl Into<String>) -> Confirmation {
        Confirmation {
            how,
            note: note.into(),
        }
    }

    /// Not re-run (yet).
    fn not_tried(note: impl Into<String>) -> Confirmation {
        Confirmation::new(Confirmed::NotTried, note)
    }
}

impl Default for Confirmation {
    fn default() -> Confirmation {
        Confirmation::not_tried("not re-run")
    }
}

/// The cases a root cause showed up in besides its representative: how many, which message
/// codes, fields and mutation classes, and a few case indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variants {
    /// Message codes of the cases (from their bytes).
    pub codes: std::collections::BTreeSet<u16>,
    /// Fields the cases exercised.
    pub fields: std::collections::BTreeSet<String>,
    /// Mutation classes of the cases.
    pub classes: std::collections::BTreeSet<MutationClass>,
    /// The first few case indexes (at most [`Variants::EXAMPLES`]).
    pub examples: Vec<u64>,
}

impl Variants {
    /// How many case indexes are kept as examples.
    pub const EXAMPLES: usize = 5;

    fn of(code: u16, field: &str, class: MutationClass, case: u64) -> Variants {
        let mut v = Variants::default();
        v.add(code, field, class, case);
        v
    }

    fn add(&mut self, code: u16, field: &str, class: MutationClass, case: u64) {
        self.codes.insert(code);
        if !self.fields.contains(field) {
            self.fields.insert(field.to_string());
        }
        self.classes.insert(class);
        if self.examples.len() < Variants::EXAMPLES && !self.examples.contains(&case) {
            self.examples.push(case);
        }
    }

    fn merge(&mut self, other: &Variants) {
        self.codes.extend(other.codes.iter().copied());
        self.fields.extend(other.fields.iter().cloned());
        self.classes.extend(other.classes.iter().copied());
        for c in &other.examples {
            if self.examples.len() < Variants::EXAMPLES && !self.examples.contains(c) {
                self.examples.push(*c);
            }
        }
    }
}

/// Another connection that was in flight when the target failed: what it carried, as a
/// candidate reproducer tried when minimizing (the connection that triggered a crash is not
/// known when several were open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Its requests in order (hex), as [`Finding::reproducer`].
    pub reproducer: Vec<String>,
    /// The last test case it carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<u64>,
    /// Its exchange, both ways.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchange: Vec<Wire>,
}

/// What a campaign observed, with the input that provokes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Behaviour class.
    pub behaviour: Behaviour,
    /// Message type.
    pub message: String,
    /// Message code.
    pub code: u16,
    /// Field exercised.
    pub field: String,
    /// Mutation class.
    pub class: MutationClass,
    /// What was observed.
    pub observed: String,
    /// Case index that first showed it.
    pub case: u64,
    /// The reproducer: requests in order (hex), the last one provoking the behaviour.
    pub reproducer: Vec<String>,
    /// The reproducer before minimization, if it was minimized.
    pub original: Option<Vec<String>>,
    /// What it did to the target; the severity follows from it ([`SEVERITY_RULE`]).
    #[serde(default)]
    pub effect: Effect,
    /// Severity, from the effect.
    pub severity: String,
    /// CVSS v3.1 vector suggestion.
    pub cvss_vector: String,
    /// CVSS v3.1 base score of the vector.
    pub cvss_score: f32,
    /// Catalog requirements.
    pub requirements: Vec<String>,
    /// How many cases showed the same root cause (the same [`Finding::signature`]).
    pub occurrences: u64,
    /// The root-cause signature findings are de-duplicated by (see [`signature`]).
    #[serde(default)]
    pub signature: String,
    /// The cases that showed the same root cause: message codes, fields, mutation classes
    /// and a few case indexes.
    #[serde(default)]
    pub variants: Variants,
    /// Re-run, the reproducer gave the same behaviour again (see `confirmation`).
    pub confirmed: bool,
    /// Why the finding is or is not confirmed.
    #[serde(default)]
    pub confirmation: Confirmation,
    /// What the target did to the case, abstracted (conformance findings): the kind of
    /// answer as the model labels it, a malformed frame, silence, or a closed connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_shape: Option<String>,
    /// How the triggering request of a crash or hang is framed when it is not exactly one
    /// frame (`an incomplete frame`, `a frame with trailing bytes`, `bytes that are not a
    /// frame`): such a request is read by the target's framing layer before any message
    /// handler, so its message code does not name the code that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framing: Option<String>,
    /// How the launched target's process ended, for a crash in which it exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_end: Option<String>,
    /// The other connections in flight when the target failed, tried as reproducers when
    /// minimizing (emptied once one reproduced).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// How a crash or hang reproducer was minimized, or why it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimization: Option<Minimization>,
    /// The full exchange on the connection that preceded the behaviour (requests and
    /// responses, in order), as recorded; empty when nothing but the reproducer was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchange: Vec<Wire>,
    /// The sanitizer report (AddressSanitizer...) a launched target printed when it died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanitizer: Option<crate::process::SanitizerReport>,
}

/// The minimization of a crash or hang finding: delta debugging over the request sequence,
/// then over the bytes of its last request, each test run against a restarted target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minimization {
    /// Test runs (restart the target, send the candidate sequence, observe) it took.
    pub runs: u64,
    /// Wall time it took, in milliseconds.
    pub elapsed_ms: u64,
    /// It ran to a 1-minimal reproducer (not cut short by its time bound or a failed restart).
    pub complete: bool,
    /// What happened, in words.
    pub note: String,
}

impl Minimization {
    /// A crash or hang of a target otproof does not control: not minimized.
    fn uncontrolled() -> Minimization {
        Minimization {
            runs: 0,
            elapsed_ms: 0,
            complete: false,
            note: "not minimized: otproof does not control the target (no --target-cmd), so it cannot restart it to re-run candidates".into(),
        }
    }
}

impl Finding {
    /// The same finding as another behaviour class (its effect, severity, CVSS and
    /// requirements follow).
    fn with_behaviour(mut self, b: Behaviour) -> Finding {
        self.behaviour = b;
        self.requirements = b.requirements().iter().map(|s| s.to_string()).collect();
        self.with_effect(b.effect())
    }

    /// The same finding with another effect (severity and CVSS follow).
    fn with_effect(mut self, e: Effect) -> Finding {
        let (sev, vector, score) = e.severity();
        self.effect = e;
        self.severity = sev.into();
        self.cvss_vector = vector.into();
        self.cvss_score = score;
        self.signature = signature(&self);
        self
    }

    /// Label the finding with the message its last request (the one that provoked the
    /// behaviour) is, read from the bytes.
    fn label_from_reproducer(&mut self, model: &dyn ProtocolModel) {
        let last = self.reproducer.last().and_then(|h| unhex(h));
        if let Some(b) = &last {
            self.framing = framing_of(model, b);
        }
        // The test case those bytes were, when the connection's record says (a batch's
        // failure is first labelled with its first unresolved case).
        if let Some(i) = last.as_ref().and_then(|b| {
            self.exchange
                .iter()
                .rev()
                .find(|w| w.to_target && w.bytes == *b)
                .and_then(|w| w.case)
        }) {
            self.case = i;
        }
        if let Some((code, name)) = last.and_then(|b| message_of(model, &b)) {
            self.code = code;
            self.message = name;
        }
        self.signature = signature(self);
    }

    /// The de-duplication key: the root-cause signature.
    pub fn key(&self) -> &str {
        &self.signature
    }

    /// Fold another finding of the same root cause into this one: its cases are counted as
    /// variants; the smaller reproducer (fewer requests, then fewer bytes) represents both.
    fn absorb(&mut self, other: Finding) {
        self.occurrences += other.occurrences;
        let mut variants = std::mem::take(&mut self.variants);
        variants.merge(&other.variants);
        if reproducer_size(&other) < reproducer_size(self) && (other.confirmed || !self.confirmed) {
            let occurrences = self.occurrences;
            *self = other;
            self.occurrences = occurrences;
        }
        self.variants = variants;
    }

    /// A finding read from an older campaign file: fill in what it did not record.
    fn complete_legacy(&mut self) {
        if self.behaviour != Behaviour::Conformance && self.effect == Effect::WrongAnswer {
            self.effect = self.behaviour.effect();
        }
        if self.signature.is_empty() {
            self.signature = signature(self);
        }
        if self.variants.codes.is_empty() {
            self.variants = Variants::of(self.code, &self.field, self.class, self.case);
        }
    }
}

/// How a request is framed when it is not exactly one frame of the protocol (see
/// [`Finding::framing`]); `None` for one complete frame.
fn framing_of(model: &dyn ProtocolModel, bytes: &[u8]) -> Option<String> {
    match model.frame_len(bytes) {
        Ok(Some(n)) if n == bytes.len() => None,
        Ok(Some(_)) => Some("a frame with trailing bytes".into()),
        Ok(None) => Some("an incomplete frame".into()),
        Err(_) => Some("bytes that are not a frame".into()),
    }
}

/// Size of a reproducer, for choosing the representative of a root cause: requests, then
/// bytes (hex digits).
fn reproducer_size(f: &Finding) -> (bool, usize, usize) {
    (
        !f.confirmed,
        f.reproducer.len(),
        f.reproducer.iter().map(String::len).sum(),
    )
}

/// The root-cause signature of a finding: observed behaviour x response pattern. Findings
/// with the same signature are one root cause (one representative, its variants counted);
/// the mutation class and the field are never part of it (one bug is reached by many
/// mutations), what the target did always is:
///
/// - crash and hang: the behaviour, its effect, how the process ended (its exit status or
///   signal as such, when otproof launched it: a SIGSEGV and an abort are two bugs) and the
///   message the triggering request is (the last of the reproducer, read from its bytes: a
///   crash in the FC 5 handler and one in the FC 16 handler are two bugs, while every
///   mutation reaching the FC 5 one is the same); a triggering request that is not exactly
///   one frame is named by its framing instead (an incomplete frame, trailing bytes...): the
///   target's framing layer reads it before any message handler, so its code says nothing
///   about where the target failed;
/// - degradation: the monitor that saw it (probe latency or memory growth), nothing else: it
///   is a state of the whole server, not of one request;
/// - conformance: the oracle's rule that failed with its variable parts abstracted (every
///   number or hex value in its words, such as transaction ids, addresses, quantities and
///   lengths, becomes `#`; a range `1..125` is the rule's own constant and is kept) x the
///   shape of what the target did (the kind of answer as the model labels it, a malformed
///   frame, silence, or a closed connection). The message code is not part of it: a framing
///   or echo bug shows on every function code and is one root cause, listed with its codes
///   in the variants; a check whose words differ per message (its range, its field) still
///   tells them apart.
pub fn signature(f: &Finding) -> String {
    match f.behaviour {
        Behaviour::Crash | Behaviour::Hang => format!(
            "{} | {} | {} | after {}",
            f.behaviour.name(),
            f.effect.name(),
            f.process_end.as_deref().unwrap_or("no process end seen"),
            f.framing.as_deref().unwrap_or(&f.message)
        ),
        Behaviour::Degradation => format!(
            "degradation | {}",
            if f.observed.contains("memory") {
                "memory growth"
            } else {
                "probe latency"
            }
        ),
        Behaviour::Conformance => {
            let rule = f.observed.split(';').next().unwrap_or_default();
            let shape = f.answer_shape.as_deref().unwrap_or(match f.effect {
                Effect::ConnectionLost => "connection closed",
                _ => "answered",
            });
            format!(
                "conformance | {} | {} | {shape}",
                f.effect.name(),
                abstract_numbers(rule)
            )
        }
    }
}

/// `text` with every number or hex value replaced by `#`, except ranges (`1..125`), which
/// are a rule's constants.
fn abstract_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let words: Vec<&str> = text.split(' ').collect();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let core = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let is_range = core.contains("..")
            && core
                .split("..")
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        let numeric = !core.is_empty()
            && core.chars().any(|c| c.is_ascii_digit())
            && core
                .trim_start_matches("0x")
                .chars()
                .all(|c| c.is_ascii_hexdigit());
        if numeric && !is_range {
            out.push_str(&w.replace(core, "#"));
        } else {
            out.push_str(w);
        }
    }
    out
}

/// Control of a target that otproof launched (`--target-cmd`): restart it after a crash or a
/// hang so the campaign can go on, and tell whether its process has exited.
pub trait TargetControl: Send + Sync {
    /// Restart the target; `Ok` once it accepts connections again.
    fn restart(&self) -> Result<(), String>;
    /// If the process has exited: how (exit status or signal).
    fn exited(&self) -> Option<String>;
    /// The process's resident memory in KiB, where the platform tells.
    fn memory_kib(&self) -> Option<u64> {
        None
    }
    /// The sanitizer report the process printed on its standard error (it dies after it),
    /// if any.
    fn crash_report(&self) -> Option<crate::process::SanitizerReport> {
        None
    }
    /// The target's edge coverage (grey-box feedback), if it is instrumented.
    fn coverage(&self) -> Option<Arc<crate::coverage::Coverage>> {
        None
    }
}

/// A shared [`TargetControl`] in a [`Config`].
#[derive(Clone, Default)]
pub struct Control(pub Option<Arc<dyn TargetControl>>);

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Control(process)"
        } else {
            "Control(none)"
        })
    }
}

/// Campaign settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Target address.
    pub target: SocketAddr,
    /// Seed.
    pub seed: u64,
    /// Stop after this many cases (None: until the duration ends).
    pub cases: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Parallel sessions.
    pub concurrency: usize,
    /// Per-case answer timeout.
    pub timeout: Duration,
    /// Degradation factor over the baseline probe latency.
    pub degradation_factor: f64,
    /// Probe the target's health every this many cases.
    pub probe_every: u64,
    /// A launched target whose resident memory grows past this factor of its size at the
    /// start of the campaign (and by at least 16 MiB) shows degradation.
    #[serde(default = "memory_factor")]
    pub memory_factor: f64,
    /// How long a refused target may take to come back before it counts as crashed.
    pub crash_grace: Duration,
    /// Minimize findings by re-running them (conformance findings always; crash and hang
    /// findings when otproof controls the target, see `control`).
    pub minimize: bool,
    /// Time bound for minimizing one crash or hang finding of a controlled target.
    #[serde(default = "minimize_failure_time")]
    pub minimize_failure_time: Duration,
    /// Case index to start at (resume).
    pub start_at: u64,
    /// How long to wait for an answer to a test case before treating it as unanswered and
    /// probing the target's health (set from the baseline: 10x the probe latency, at least
    /// 2 ms, at most `timeout`).
    #[serde(default)]
    pub case_timeout: Option<Duration>,
    /// Send a known-good sentinel request behind each test case, so that an unanswered case
    /// is known in one round trip instead of after the case timeout.
    #[serde(default = "yes")]
    pub sentinel: bool,
    /// The most test cases in flight at once on one connection (with one sentinel behind
    /// them), for protocols whose answers name their request (a Modbus/TCP transaction
    /// identifier); 1 sends cases one at a time. Only complete, well-framed cases with
    /// distinct keys go together; anything unexpected sends the unresolved cases again one
    /// at a time, so a finding is judged exactly as without pipelining.
    #[serde(default = "pipeline_depth")]
    pub pipeline: usize,
    /// For a target found at the start not to take two requests in one write (it answers
    /// the first and drops the rest): no pipelining, and a case's sentinel goes in a write of
    /// its own once the case has gone unanswered this long (twice the baseline latency).
    /// `None`: sentinels go in the same write as their case.
    #[serde(default)]
    pub sentinel_after: Option<Duration>,
    /// Control of a launched target (restart after crash or hang, process exit).
    #[serde(skip)]
    pub control: Control,
}

fn yes() -> bool {
    true
}

fn pipeline_depth() -> usize {
    1
}

fn memory_factor() -> f64 {
    4.0
}

fn minimize_failure_time() -> Duration {
    Duration::from_secs(20)
}

impl Config {
    /// Defaults for a target.
    pub fn new(target: SocketAddr) -> Config {
        Config {
            target,
            seed: 1,
            cases: Some(1000),
            duration: None,
            concurrency: 1,
            timeout: Duration::from_millis(1000),
            degradation_factor: 10.0,
            probe_every: 200,
            memory_factor: memory_factor(),
            crash_grace: Duration::from_secs(3),
            minimize: true,
            minimize_failure_time: minimize_failure_time(),
            start_at: 0,
            case_timeout: None,
            sentinel: true,
            pipeline: pipeline_depth(),
            sentinel_after: None,
            control: Control::default(),
        }
    }
}

/// Coverage of the model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// Cases per (message code, field, class).
    pub cells: BTreeMap<String, u64>,
    /// Cases per (message code, class).
    pub pairs: BTreeMap<String, u64>,
    /// Message types x classes in the model.
    pub pairs_total: u64,
    /// Outcomes seen: response, exception, closed, timeout...
    pub outcomes: BTreeMap<String, u64>,
}

impl Coverage {
    /// Share of (message type, class) pairs exercised.
    pub fn pair_percent(&self) -> f64 {
        if self.pairs_total == 0 {
            0.0
        } else {
            100.0 * self.pairs.len() as f64 / self.pairs_total as f64
        }
    }

    /// Distinct message codes exercised.
    pub fn codes(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .pairs
            .keys()
            .filter_map(|k| k.split('/').next()?.parse().ok())
            .collect();
        v.dedup();
        v
    }
}

/// Live numbers for a progress display.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Cases executed (delivered to the target).
    pub cases: u64,
    /// Cases that could not be delivered.
    pub undelivered: u64,
    /// Executed cases per second so far.
    pub rate: f64,
    /// Findings by behaviour.
    pub findings: BTreeMap<String, usize>,
    /// Pair coverage in percent.
    pub coverage: f64,
}

/// What a campaign produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Protocol.
    pub protocol: String,
    /// Settings.
    pub config: Config,
    /// Cases executed: delivered to the target (written on a connection it serves), this run
    /// and resumed ones. Coverage and the rate count these alone.
    pub cases: u64,
    /// Cases that could not be delivered (no connection, the write failed, or a connection the
    /// target never served while it served others), this run and resumed ones.
    #[serde(default)]
    pub undelivered: u64,
    /// Cases not sent because the target stalls on their kind (see [`STALL_SAMPLE`]): each
    /// kind was sent, stalled the target and was recorded as a finding first; neither
    /// executed nor undelivered.
    #[serde(default)]
    pub skipped: u64,
    /// Next case index (for --resume).
    pub next_case: u64,
    /// Wall time of this run.
    pub elapsed: Duration,
    /// Baseline health-probe latency.
    pub baseline: Option<Duration>,
    /// Findings, de-duplicated.
    pub findings: Vec<Finding>,
    /// Coverage.
    pub coverage: Coverage,
    /// Stopped early (Ctrl-C, target gone)?
    pub stopped: Option<String>,
    /// Target identity, if the protocol can ask (e.g. Modbus FC 43/14).
    pub target_identity: Vec<(String, String)>,
    /// What the campaign learned from the target's answers (mapped address ranges, count
    /// limits), see [`crate::feedback`]; left out when empty.
    #[serde(default, skip_serializing_if = "crate::feedback::Learned::is_empty")]
    pub learned: crate::feedback::Learned,
    /// When this run started, milliseconds since the Unix epoch (the system clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_unix_ms: Option<u64>,
}

/// The share of a campaign's cases that may go undelivered before its verdict is
/// inconclusive: more than 5 % undelivered (or none delivered) shows nothing.
pub const UNDELIVERED_LIMIT: f64 = 0.05;

/// What a campaign shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every case (but at most [`UNDELIVERED_LIMIT`] of them) was delivered and nothing was
    /// found.
    Pass,
    /// At least one finding.
    Fail,
    /// No finding, but the campaign cannot show robustness: no case was delivered, or more
    /// than [`UNDELIVERED_LIMIT`] of them were not.
    Inconclusive,
}

impl Verdict {
    /// kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// The verdict of `delivered` and `undelivered` cases and `findings` findings: findings
    /// fail (whatever was delivered); otherwise too few delivered cases are inconclusive.
    pub fn of(delivered: u64, undelivered: u64, findings: usize) -> Verdict {
        let attempted = delivered + undelivered;
        if findings > 0 {
            Verdict::Fail
        } else if delivered == 0 || undelivered as f64 > UNDELIVERED_LIMIT * attempted as f64 {
            Verdict::Inconclusive
        } else {
            Verdict::Pass
        }
    }
}

impl Report {
    /// What the campaign shows (see [`Verdict::of`]).
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.cases, self.undelivered, self.findings.len())
    }

    /// Fold in the report of the run this one resumed: counts, coverage and findings.
    pub fn merge_previous(&mut self, prev: Report) {
        self.cases += prev.cases;
        self.undelivered += prev.undelivered;
        self.skipped += prev.skipped;
        for (k, v) in prev.coverage.cells {
            *self.coverage.cells.entry(k).or_default() += v;
        }
        for (k, v) in prev.coverage.pairs {
            *self.coverage.pairs.entry(k).or_default() += v;
        }
        for (k, v) in prev.coverage.outcomes {
            *self.coverage.outcomes.entry(k).or_default() += v;
        }
        for mut f in prev.findings {
            f.complete_legacy();
            if let Some(x) = self.findings.iter_mut().find(|x| x.key() == f.key()) {
                x.absorb(f);
            } else {
                self.findings.push(f);
            }
        }
        if self.target_identity.is_empty() {
            self.target_identity = prev.target_identity;
        }
        if self.learned.is_empty() {
            self.learned = prev.learned;
        }
    }
}

/// Build case `index` of a campaign: the scheduler cycles message types fastest, then classes.
pub fn build_case(model: &dyn ProtocolModel, seed: u64, index: u64) -> TestCase {
    let msgs = model.messages();
    let n = msgs.len().max(1) as u64;
    let def_i = (index % n) as usize;
    let class = MutationClass::ALL[((index / n) % MutationClass::ALL.len() as u64) as usize];
    let def = &msgs[def_i];
    let mut rng = Rng::fork(seed, index);
    let mut msg = def.generate(def_i, &mut rng);
    model.prepare(&mut msg, index);
    let (mut bytes, field, valid) = mutate(def, &msg, class, &mut rng);
    // A structural mutation (bytes cut, added, repeated, dropped, widened, flipped) of a
    // protocol framed by a length leaves that length wrong, so the target only ever sees a
    // broken frame and its message parser is never reached. Three in four such cases get the
    // transport length fixed up: a well-framed message whose contents disagree (a byte count
    // against the data that follows, a field cut short) is what reaches the parser. The rest,
    // and the length-mismatch class, keep the frame broken.
    if matches!(
        class,
        MutationClass::Truncation
            | MutationClass::Extension
            | MutationClass::RepeatedField
            | MutationClass::DroppedField
            | MutationClass::TypeConfusion
            | MutationClass::Havoc
    ) && rng.below(4) != 0
    {
        if let Some(framed) = model.reframe(&bytes) {
            bytes = framed;
        }
    }
    TestCase {
        index,
        message: def.name.clone(),
        code: def.code,
        field,
        class,
        valid,
        bytes,
    }
}

/// Decode a hex reproducer line (either case).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    hex::decode(s).ok()
}

/// The message a request is, by the code the model reads from its bytes: (code, name), the
/// name of the model's message type with that code or, for a code the model does not
/// describe, `code N (not in the model)`.
pub fn message_of(model: &dyn ProtocolModel, bytes: &[u8]) -> Option<(u16, String)> {
    let code = model.code_of(bytes)?;
    let name = model
        .messages()
        .iter()
        .find(|m| m.code == code)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| format!("code {code} (not in the model)"));
    Some((code, name))
}

struct Shared {
    findings: Mutex<Vec<Finding>>,
    coverage: Mutex<Coverage>,
    next: AtomicU64,
    done: AtomicU64,
    stop: Arc<AtomicBool>,
    stopped_why: Mutex<Option<String>>,
    /// Restarts of a launched target so far: the generation of the target process.
    restarts: Mutex<u64>,
    /// The failure (crash or hang) recorded for each generation of the target, as an index
    /// into `findings`: the connections that see the same failure later become its
    /// candidates instead of findings of their own.
    failures: Mutex<BTreeMap<u64, usize>>,
    /// Connections judged not served (their cases undelivered) in the current target
    /// generation, kept as candidates in case a failure of that generation is recorded
    /// after them: a target that dies on a connection's first case before answering it
    /// looks, from that connection, like one serving someone else. At most
    /// [`MAX_EARLY_CANDIDATES`], the latest.
    early: Mutex<(u64, Vec<Candidate>)>,
    /// A memory growth the monitor saw, for the next worker to record with its own
    /// connection's sequence.
    memory_grew: Mutex<Option<String>>,
    /// `memory_grew` holds a growth to record.
    memory_flag: AtomicBool,
    /// Cases delivered and not.
    delivered: AtomicU64,
    undelivered: AtomicU64,
    /// Cases skipped as predicted to stall the target.
    skipped: AtomicU64,
    /// Kinds of case (see `stall_kind`): how many were sent and how many stalled the target
    /// (counted once the target has stalled at all).
    stalls: Mutex<BTreeMap<String, (u64, u64)>>,
    /// The time the target spent stalled, summed.
    stall_time: Mutex<Duration>,
    /// Stalls seen while several workers ran (not attributable to one case: an answer may
    /// wait behind another session's stall); see `Shared::alone`.
    concurrent_stalls: AtomicU64,
    /// When the campaign started.
    started: Instant,
    /// The target stalled once: cases go one at a time from then on (a stalling target
    /// that flushes its input on bad requests, as libmodbus does, loses a batch's rest).
    no_pipeline: AtomicBool,
    /// Answers any worker received (cases, sentinels, probes): a target that answers others
    /// while one connection gets nothing is serving someone else.
    answered: AtomicU64,
    /// When the latency was last probed: (cases done then, time).
    last_probe: Mutex<(u64, Instant)>,
    /// Baseline health-probe latency.
    baseline: Option<Duration>,
    /// Learning from answers and the learned schedule (feedback.rs).
    feedback: crate::feedback::Feedback,
}

/// The most failure events (crashes and hangs, one per generation of the target) kept apart
/// until minimization; beyond it a new one is folded into an earlier one of the same
/// signature (and only then kept apart).
const MAX_FAILURES: usize = 64;

/// The most not-served connections kept as early candidates (see `Shared::early`).
const MAX_EARLY_CANDIDATES: usize = 8;

/// A target that stalled (answered slower than the case timeout and at least
/// [`STALL_MIN`]) on at least [`STALL_KNOWN`] cases of one kind (its message code and the
/// answer the specification requires of it, e.g. Modbus exception 01), and on four in five of
/// the cases of that kind sent, is scheduled around: the stall is recorded as a finding, and
/// from then on only one case in `STALL_SAMPLE` of that kind is sent, the others are skipped
/// (counted apart), so a target that sleeps on every bad request (libmodbus: its response
/// timeout, 500 ms by default) does not spend the campaign asleep.
///
/// Once [`STALL_GUESS`] kinds stalled, a malformed kind not yet tried is guessed to stall as
/// well, until it is tried. Cases of kinds known or guessed to stall are only sent while the
/// time the target spent stalled is under 1/[`STALL_SHARE`] of the campaign so far, cases of
/// message type x mutation class pairs not covered yet first: the campaign's other cases
/// keep most of the time, and a long campaign still covers every pair. A campaign bounded by
/// its number of cases (no duration) sends every pair's first case whatever it costs.
pub const STALL_SAMPLE: u64 = 32;
const STALL_KNOWN: u64 = 1;
const STALL_MIN: Duration = Duration::from_millis(100);
/// Kinds that stalled before untried malformed kinds are guessed to stall too.
const STALL_GUESS: usize = 2;
/// The share of the campaign's time that stalls may take (one in `STALL_SHARE`).
const STALL_SHARE: u32 = 4;

/// The kind of a case for stall scheduling: the answer the specification requires of it (up
/// to its first parenthesis), or none.
fn stall_kind(model: &dyn ProtocolModel, case: &TestCase) -> String {
    let bytes = &case.bytes;
    let code = match model.code_of(bytes) {
        Some(code) if model.messages().iter().any(|m| m.code == code) => format!("code {code}"),
        _ => "a code not in the model".into(),
    };
    match model.required_answer(bytes) {
        // The answer required (an exception, whatever the code): a target's input checks
        // are per kind of fault, not per message.
        Some(why) => why.split(" (").next().unwrap_or_default().to_string(),
        // Any answer allowed: per message type and validity, so that one message the target
        // does not support does not stop the others, nor malformed ones the valid ones.
        None if case.valid => format!("{code}, valid"),
        None => format!("{code}, malformed, no answer required"),
    }
}

/// Occurrences of a conformance root cause, each confirmed by sending its case alone on a
/// fresh connection, after which further answers of that root cause on the kept connection
/// are counted without sending them alone again (see `Worker::confirm_alone`).
const CONFIRMED_ENOUGH: u64 = 5;

impl Shared {
    /// The target stalled twice while several workers ran: a target that stalls serves no
    /// one meanwhile, so worker 0 goes on alone (and learns which cases stall) and the
    /// others stop after their current case.
    fn alone(&self) -> bool {
        self.concurrent_stalls.load(Ordering::SeqCst) >= STALL_GUESS as u64
    }

    /// How many occurrences the root cause `key` has so far.
    fn occurrences(&self, key: &str) -> u64 {
        self.findings.lock().map_or(0, |all| {
            all.iter()
                .find(|f| f.key() == key)
                .map_or(0, |f| f.occurrences)
        })
    }

    /// Record a finding: one of a root cause already recorded is counted as its variant.
    fn record(&self, f: Finding) {
        let Ok(mut all) = self.findings.lock() else {
            return;
        };
        if let Some(existing) = all.iter_mut().find(|x| x.key() == f.key()) {
            existing.absorb(f);
        } else {
            all.push(f);
        }
    }

    /// Record the failure of target generation `generation`, seen first by the connection
    /// of `f`. Each failure stays a finding of its own until minimization has found which
    /// connection triggered it (up to [`MAX_FAILURES`]).
    fn record_failure(&self, generation: u64, f: Finding) {
        let (Ok(mut all), Ok(mut failures)) = (self.findings.lock(), self.failures.lock()) else {
            return;
        };
        if failures.len() >= MAX_FAILURES {
            if let Some(existing) = all.iter_mut().find(|x| x.key() == f.key()) {
                existing.absorb(f);
                return;
            }
        }
        failures.insert(generation, all.len());
        let mut f = f;
        if let Ok(mut early) = self.early.lock() {
            if early.0 == generation {
                for c in early.1.drain(..) {
                    if !c.reproducer.is_empty()
                        && f.reproducer != c.reproducer
                        && !f.candidates.iter().any(|x| x.reproducer == c.reproducer)
                    {
                        f.candidates.push(c);
                    }
                }
            }
        }
        all.push(f);
    }

    /// A connection whose case was judged not delivered (not served), or that the target
    /// closed where closing is allowed, in target generation `generation`: a candidate of
    /// that generation's failure if one is recorded (now or later).
    fn not_served(&self, generation: u64, c: Candidate) {
        if self.failure_recorded(generation) {
            self.add_candidate(generation, c);
            return;
        }
        if let Ok(mut early) = self.early.lock() {
            if early.0 != generation {
                *early = (generation, Vec::new());
            }
            if early.1.len() >= MAX_EARLY_CANDIDATES {
                early.1.remove(0);
            }
            early.1.push(c);
        }
    }

    /// Whether the failure of target generation `generation` is recorded.
    fn failure_recorded(&self, generation: u64) -> bool {
        self.failures
            .lock()
            .is_ok_and(|f| f.contains_key(&generation))
    }

    /// Another connection saw the failure of generation `generation`: what it carried
    /// becomes a candidate reproducer of that failure's finding.
    fn add_candidate(&self, generation: u64, c: Candidate) {
        let (Ok(mut all), Ok(failures)) = (self.findings.lock(), self.failures.lock()) else {
            return;
        };
        let Some(f) = failures.get(&generation).and_then(|i| all.get_mut(*i)) else {
            return;
        };
        if c.reproducer.is_empty()
            || f.reproducer == c.reproducer
            || f.candidates.iter().any(|x| x.reproducer == c.reproducer)
        {
            return;
        }
        f.candidates.push(c);
    }

    fn halt(&self, why: String) {
        if let Ok(mut w) = self.stopped_why.lock() {
            if w.is_none() {
                *w = Some(why);
            }
        }
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn finding(
    case: &TestCase,
    behaviour: Behaviour,
    observed: String,
    repro: Vec<Vec<u8>>,
) -> Finding {
    Finding::new(
        behaviour,
        Origin {
            message: case.message.clone(),
            code: case.code,
            field: case.field.clone(),
            class: case.class,
            case: case.index,
        },
        observed,
        repro.iter().map(hex::encode).collect(),
    )
}

/// The system clock in milliseconds since the Unix epoch (`None` before 1970 or past u64).
pub fn now_unix_ms() -> Option<u64> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_millis()).ok())
}

/// The test case a finding came from: its message, code, field, mutation class and index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Message name.
    pub message: String,
    /// Message code.
    pub code: u16,
    /// Field the case exercised.
    pub field: String,
    /// Mutation class.
    pub class: MutationClass,
    /// Case index.
    pub case: u64,
}

impl Finding {
    /// A finding of `behaviour` on the case `origin`, with its reproducer lines as recorded:
    /// severity from the behaviour's effect ([`SEVERITY_RULE`]), requirements from the
    /// behaviour, its root-cause signature, one occurrence, not (yet) confirmed. Every engine
    /// (campaign, server mode, sequences) makes its findings here, so they all carry the same
    /// fields.
    pub fn new(
        behaviour: Behaviour,
        origin: Origin,
        observed: String,
        reproducer: Vec<String>,
    ) -> Finding {
        let effect = behaviour.effect();
        let (sev, vector, score) = effect.severity();
        let mut f = Finding {
            behaviour,
            message: origin.message,
            code: origin.code,
            variants: Variants::of(origin.code, &origin.field, origin.class, origin.case),
            field: origin.field,
            class: origin.class,
            observed,
            case: origin.case,
            reproducer,
            original: None,
            effect,
            severity: sev.into(),
            cvss_vector: vector.into(),
            cvss_score: score,
            requirements: behaviour
                .requirements()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            occurrences: 1,
            signature: String::new(),
            confirmed: false,
            confirmation: Confirmation::default(),
            answer_shape: None,
            framing: None,
            process_end: None,
            candidates: Vec::new(),
            minimization: None,
            exchange: Vec::new(),
            sanitizer: None,
        };
        f.signature = signature(&f);
        f
    }

    /// Set whether re-running the reproducer gave the behaviour again, and how it was re-run.
    pub fn set_confirmation(&mut self, how: Confirmed, note: impl Into<String>) {
        self.confirmed = matches!(
            how,
            Confirmed::AloneOnFreshConnection | Confirmed::AfterRestart
        );
        self.confirmation = Confirmation::new(how, note);
    }
}

/// What one connection carried, as `log` recorded it (`dropped` earlier messages were not
/// kept): its requests in order (hex) and the last test case among them.
fn connection_requests(log: &[Wire]) -> (Vec<String>, Option<u64>) {
    let sent = log
        .iter()
        .filter(|w| w.to_target)
        .map(|w| hex::encode(&w.bytes))
        .collect();
    (sent, log.iter().rev().find_map(|w| w.case))
}

/// A connection's record as a candidate reproducer.
fn candidate((log, _): (Vec<Wire>, u64)) -> Candidate {
    let (reproducer, case) = connection_requests(&log);
    Candidate {
        reproducer,
        case,
        exchange: log,
    }
}

/// A finding whose reproducer is what was sent on one connection, in order, as `log`
/// recorded it (`dropped` earlier messages were not kept), ending with the case that provoked
/// `behaviour`: the last test case in the log (rebuilt from the seed), else `case`. It is
/// labelled with the message that case's bytes are.
fn connection_finding(
    model: &dyn ProtocolModel,
    seed: u64,
    case: &TestCase,
    behaviour: Behaviour,
    observed: String,
    (log, dropped): (Vec<Wire>, u64),
) -> Finding {
    let (sent, trigger) = connection_requests(&log);
    let built;
    let case = match trigger {
        Some(i) if i != case.index => {
            built = build_case(model, seed, i);
            &built
        }
        _ => case,
    };
    let (repro, observed) = if sent.is_empty() {
        (vec![case.bytes.clone()], observed)
    } else if dropped > 0 {
        let n = sent.len();
        (
            Vec::new(),
            format!("{observed}; the reproducer is the last {n} requests sent on the connection ({dropped} earlier messages were not kept)"),
        )
    } else {
        (Vec::new(), observed)
    };
    let mut f = finding(case, behaviour, observed, repro);
    if !sent.is_empty() {
        f.reproducer = sent;
    }
    if let Some((code, name)) = message_of(model, &case.bytes) {
        f.code = code;
        f.message = name;
        f.variants = Variants::of(code, &case.field, case.class, case.index);
    }
    f.framing = framing_of(model, &case.bytes);
    f.signature = signature(&f);
    f.exchange = log;
    f
}

/// Why a crash or hang of a target otproof did not launch is not re-run.
const NO_CONTROL: &str = "not re-run: otproof does not control the target (no --target-cmd), so it cannot restart it to re-run the reproducer";

/// The target failed (crash or hang) as finding `f` says: record it, then restart the target
/// if we control it, else stop the campaign. `generation` is the restart count the worker saw
/// before sending the case: if another worker restarted the target since, the failure may be
/// that restart, so nothing is recorded.
fn target_failed(cfg: &Config, shared: &Shared, generation: u64, f: Finding) {
    let Ok(mut restarts) = shared.restarts.lock() else {
        return;
    };
    if *restarts != generation || shared.failure_recorded(generation) {
        // The failure this connection saw is recorded already (another connection saw it
        // first): this connection was in flight too, and may be the one that triggered it.
        shared.add_candidate(
            generation,
            Candidate {
                reproducer: f.reproducer,
                case: f.exchange.iter().rev().find_map(|w| w.case),
                exchange: f.exchange,
            },
        );
        return;
    }
    // A process that stopped accepting connections is usually exiting: give it a moment to be
    // seen exited, so the finding names how it ended.
    let exited = cfg.control.0.as_ref().and_then(|c| {
        let wait = if f.behaviour == Behaviour::Crash {
            Duration::from_millis(500)
        } else {
            Duration::ZERO
        };
        let deadline = Instant::now() + wait;
        loop {
            match c.exited() {
                Some(how) => return Some(how),
                None if Instant::now() >= deadline => return None,
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    let mut f = match exited {
        Some(how) => {
            let end = format!("the target process {how}");
            let observed = if f.observed.contains(&end) {
                f.observed.clone()
            } else {
                format!("{}; {end}", f.observed)
            };
            let mut f = Finding {
                observed,
                process_end: Some(how),
                ..f
            };
            f = f.with_behaviour(Behaviour::Crash);
            f
        }
        None => f,
    };
    // A sanitizer report the process printed is part of the finding, and makes it a crash
    // (a target still writing its report looks hung for a moment) (feedback hook).
    if let Some(r) = cfg.control.0.as_ref().and_then(|c| c.crash_report()) {
        f = f.with_behaviour(Behaviour::Crash);
        f.observed = format!("{}; {}", r.kind, f.observed);
        f.sanitizer = Some(r);
    }
    // A target we control can be restarted to re-run the sequence (minimized after the
    // campaign); otherwise the finding says why it is neither minimized nor confirmed.
    if cfg.control.0.is_none() {
        f.minimization = Some(Minimization::uncontrolled());
        f.confirmation = Confirmation::not_tried(NO_CONTROL);
    }
    let behaviour = f.behaviour;
    shared.record_failure(generation, f);
    match &cfg.control.0 {
        Some(c) => match c.restart() {
            Ok(()) => *restarts += 1,
            Err(e) => shared.halt(format!(
                "target is down ({}) and could not be restarted: {e}",
                behaviour.name()
            )),
        },
        None => shared.halt(match behaviour {
            Behaviour::Crash => "target is down (crash)".to_string(),
            b => format!("target stopped answering ({})", b.name()),
        }),
    }
}

/// Whether the target is down, probed on `session` (the case connection, reconnecting: a
/// second connection would starve a target that serves one client at a time); a launched
/// target whose process exited is down at once.
async fn target_down(
    cfg: &Config,
    model: &dyn ProtocolModel,
    health: &mut Session,
) -> Option<String> {
    // Give a target that restarts itself the grace period to come back.
    let deadline = Instant::now() + cfg.crash_grace;
    loop {
        if let Some(how) = cfg.control.0.as_ref().and_then(|c| c.exited()) {
            return Some(format!("the target process {how}"));
        }
        match probe_within(health, model, 0xFFFF, cfg.timeout).await {
            Ok(_) => return None,
            Err(e) if Instant::now() >= deadline => return Some(e),
            Err(_) => {
                // A late answer to an earlier request can leave the kept connection one answer
                // behind: ask again on a fresh connection (ours is closed first, so a target
                // serving one client at a time can take it).
                health.reset();
                tokio::time::sleep(Duration::from_millis(100)).await
            }
        }
    }
}

/// The case sent alone on a fresh connection; an answer (good or bad) or, when there is none,
/// an empty response, which the worker reads as "not confirmed".
async fn alone(model: &dyn ProtocolModel, cfg: &Config, bytes: &[u8], d: Duration) -> Outcome {
    match Session::new(cfg.target, cfg.timeout)
        .exchange(model, bytes)
        .await
    {
        o @ (Outcome::Response(_, _) | Outcome::BadFrame(_, _)) => o,
        _ => Outcome::Response(Vec::new(), d),
    }
}

/// One executor: sends cases on its own session and classifies what the target did. It holds
/// one connection at a time: health probes go over the case connection (or, when that is
/// gone, a new one that becomes the case connection), so a target that serves one client at
/// a time is not starved by a second connection of ours.
struct Worker {
    model: Arc<dyn ProtocolModel>,
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    /// The connection the cases (and this worker's probes) go over.
    session: Session,
    /// The last case this worker sent.
    last: u64,
    /// Which of the `concurrency` workers this is (0: the one that goes on alone once the
    /// target stalled, see `Shared::alone`).
    id: usize,
}

async fn worker(
    id: usize,
    model: Arc<dyn ProtocolModel>,
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    end: Option<Instant>,
) {
    let mut w = Worker {
        session: Session::new(cfg.target, cfg.case_timeout.unwrap_or(cfg.timeout))
            .prelude_timeout(cfg.timeout)
            .sentinel_after(cfg.sentinel_after),
        model,
        cfg,
        shared,
        last: 0,
        id,
    };
    // Cases are claimed a pipeline's worth at a time when the protocol can have several in
    // flight on one connection.
    let pipelined = w.cfg.pipeline > 1
        && w.cfg.sentinel
        && w.model.transaction_key(&w.model.probe(0)).is_some();
    let want = if pipelined { w.cfg.pipeline as u64 } else { 1 };
    loop {
        if w.shared.stop.load(Ordering::SeqCst) || end.is_some_and(|e| Instant::now() >= e) {
            return;
        }
        if w.id > 0 && w.shared.alone() {
            return;
        }
        let first = w.shared.next.fetch_add(want, Ordering::SeqCst);
        let mut last = first + want;
        if let Some(n) = w.cfg.cases {
            last = last.min(w.cfg.start_at + n);
        }
        if first >= last {
            return;
        }
        w.run_cases(first..last).await;
    }
}

/// The sentinel to send behind a case (when sentinels are on and the case is complete) and
/// how long to wait for the answer. A request whose own framing says more bytes are to come
/// cannot be answered: the target is expected to wait, so the wait is short, and the health
/// probe that follows tells whether the target still serves others meanwhile.
fn send_plan(
    model: &dyn ProtocolModel,
    cfg: &Config,
    bytes: &[u8],
    index: u64,
) -> (Option<Vec<u8>>, Duration) {
    let incomplete = cfg.sentinel && matches!(model.frame_len(bytes), Ok(None));
    let sentinel = (cfg.sentinel && !incomplete).then(|| model.sentinel(bytes, index));
    let wait = if incomplete {
        Duration::from_millis(1)
    } else {
        cfg.case_timeout.unwrap_or(cfg.timeout)
    };
    (sentinel, wait)
}

/// The coverage label of an outcome.
fn outcome_label(model: &dyn ProtocolModel, outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Response(r, _) => model.answer_label(r),
        Outcome::BadFrame(_, _) => "malformed-response",
        Outcome::Closed => "closed",
        Outcome::Timeout(_) => "timeout",
        Outcome::ConnectFailed(_) => "connect-failed",
        Outcome::NotSent(_) => "not-sent",
        Outcome::Silent(_) => "silent",
    }
}

/// What the target did to a case that broke a conformance rule.
#[derive(Debug, Clone, Copy)]
enum Seen<'a> {
    /// A complete answer.
    Answer(&'a [u8]),
    /// Bytes that cannot be a frame of the protocol.
    Malformed(&'a [u8]),
    /// No answer, the connection kept.
    Silent,
    /// The connection closed without an answer.
    Closed,
}

impl Seen<'_> {
    /// The shape of what the target did, variable parts left out (part of the signature).
    fn shape(self, model: &dyn ProtocolModel) -> String {
        match self {
            Seen::Answer(a) => format!("answered ({})", model.answer_label(a)),
            Seen::Malformed(_) => "malformed answer".into(),
            Seen::Silent => "no answer".into(),
            Seen::Closed => "connection closed".into(),
        }
    }
}

/// The outcome label of a case written on a connection the target never served.
const NOT_SERVED: &str = "not-served";

/// Whether a case was delivered to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Written on a connection the target serves: it counts.
    Delivered,
    /// Not delivered, with the outcome label to count it under.
    Undelivered(&'static str),
}

impl Worker {
    /// Run cases `range` in order: consecutive cases that can share a connection go as one
    /// pipelined batch ([`Worker::run_batch`]), the others one at a time
    /// ([`Worker::run_case`]). A case a batch left unresolved goes again alone, the rest of
    /// that batch's unresolved cases back into batches.
    async fn run_cases(&mut self, range: std::ops::Range<u64>) {
        let model = self.model.clone();
        let mut queue: VecDeque<(TestCase, bool)> = range
            .map(|i| {
                let case = self.shared.feedback.case(model.as_ref(), self.cfg.seed, i);
                (case, false)
            })
            .collect();
        while let Some((case, alone)) = queue.pop_front() {
            if self.shared.stop.load(Ordering::SeqCst) {
                return;
            }
            if self.stalls_predicted(&case) {
                self.shared.skipped.fetch_add(1, Ordering::SeqCst);
                self.count_outcome("skipped-stall");
                self.after_case(case.index).await;
                continue;
            }
            let mut batch = vec![case];
            let mut keys = BTreeSet::new();
            if !alone && self.batchable(&batch[0]) {
                keys.extend(model.transaction_key(&batch[0].bytes));
                while batch.len() < self.cfg.pipeline {
                    let next = match queue.front() {
                        Some((c, false)) if self.batchable(c) => model.transaction_key(&c.bytes),
                        _ => None,
                    };
                    match (next, queue.pop_front()) {
                        (Some(k), Some((c, _))) if keys.insert(k) => batch.push(c),
                        (_, Some(item)) => {
                            queue.push_front(item);
                            break;
                        }
                        (_, None) => break,
                    }
                }
            }
            if batch.len() == 1 {
                let case = batch.remove(0);
                let index = case.index;
                self.run_case(case).await;
                self.after_case(index).await;
            } else {
                let rest = self.run_batch(batch).await;
                for (k, c) in rest.into_iter().enumerate().rev() {
                    queue.push_front((c, k == 0));
                }
            }
        }
    }

    /// Whether a case can go in a pipelined batch: pipelining on, the case exactly one
    /// complete frame (so it cannot swallow what follows it), with a transaction key.
    fn batchable(&self, case: &TestCase) -> bool {
        self.cfg.pipeline > 1
            && !self.shared.no_pipeline.load(Ordering::SeqCst)
            && self.cfg.sentinel
            && self.model.frame_len(&case.bytes) == Ok(Some(case.bytes.len()))
            && self.model.transaction_key(&case.bytes).is_some()
    }

    /// After case `index` was counted: note it, record memory growth, probe latency.
    async fn after_case(&mut self, index: u64) {
        self.last = index;
        self.memory_growth(index);
        let done = self.shared.done.fetch_add(1, Ordering::SeqCst) + 1;
        self.latency(done).await;
    }

    /// Count a case as delivered (in the coverage) or not.
    fn count(&self, case: &TestCase, delivery: Delivery, label: &'static str) {
        match delivery {
            Delivery::Delivered => {
                self.shared.delivered.fetch_add(1, Ordering::SeqCst);
                self.count_coverage(case, label);
            }
            Delivery::Undelivered(why) => {
                self.shared.undelivered.fetch_add(1, Ordering::SeqCst);
                self.count_outcome(why);
            }
        }
    }

    /// Send several cases in flight at once on the case connection, a sentinel behind them
    /// ([`Session::exchange_batch`]), and judge each answered or silent case exactly as
    /// [`Worker::run_case`] would. Returns the cases left unresolved (the batch ended early:
    /// the connection closed, a timeout, an unexpected frame), the first of which is to go
    /// alone. A target that is down or hung by then is recorded as failed with this
    /// connection's exact record (all the batch's requests, for minimization to cut down),
    /// labelled with the first unresolved case.
    async fn run_batch(&mut self, batch: Vec<TestCase>) -> Vec<TestCase> {
        let model = self.model.clone();
        let m = model.as_ref();
        let generation = self.shared.restarts.lock().map(|g| *g).unwrap_or(0);
        let answered = self.shared.answered.load(Ordering::SeqCst);
        let keys: BTreeSet<u64> = batch
            .iter()
            .filter_map(|c| m.transaction_key(&c.bytes))
            .collect();
        let (last_bytes, last_index) = match batch.last() {
            Some(c) => (c.bytes.clone(), c.index),
            None => return batch,
        };
        let sentinel = std::iter::once(m.sentinel(&last_bytes, last_index))
            .chain((0..64u64).map(|s| m.probe(0xA000 + ((last_index + s) & 0x0FFF))))
            .find(|p| m.transaction_key(p).is_some_and(|k| !keys.contains(&k)));
        let Some(sentinel) = sentinel else {
            return batch;
        };
        let wait = self.cfg.case_timeout.unwrap_or(self.cfg.timeout);
        let requests: Vec<(&[u8], u64)> = batch
            .iter()
            .map(|c| (c.bytes.as_slice(), c.index))
            .collect();
        let result = self
            .session
            .exchange_batch(m, &requests, &sentinel, wait)
            .await;
        // This connection's record, before anything below opens another.
        let sent = self.sent();
        let mut unresolved = Vec::new();
        for (case, outcome) in batch.into_iter().zip(result.outcomes) {
            let Some(outcome) = outcome else {
                unresolved.push(case);
                continue;
            };
            if let Outcome::Response(r, _) = &outcome {
                self.shared.feedback.observe(m, &case.bytes, r);
            }
            let label = outcome_label(m, &outcome);
            self.shared.answered.fetch_add(1, Ordering::SeqCst);
            let outcome = self.confirm_alone(&case, true, outcome).await;
            self.judge(&case, case.index, generation, outcome).await;
            self.count(&case, Delivery::Delivered, label);
            self.after_case(case.index).await;
        }
        let (Some(end), Some(first)) = (result.end, unresolved.first().cloned()) else {
            return unresolved;
        };
        let failure = match end {
            Outcome::Timeout(partial) => {
                let starved = self.cfg.concurrency > 1
                    && partial.is_empty()
                    && !sent.0.iter().any(|w| !w.to_target)
                    && self.shared.answered.load(Ordering::SeqCst) > answered;
                if starved {
                    return self.not_served_first(unresolved, generation, sent).await;
                }
                match probe_within(&mut self.session, m, first.index, self.cfg.timeout).await {
                    Ok(_) => {
                        self.shared.answered.fetch_add(1, Ordering::SeqCst);
                        self.overtaken(generation, &sent);
                        return unresolved;
                    }
                    Err(_)
                        if self.cfg.concurrency > 1
                            && self.shared.answered.load(Ordering::SeqCst) > answered =>
                    {
                        return self.not_served_first(unresolved, generation, sent).await;
                    }
                    Err(why) => {
                        let b = if why.contains("connect") {
                            Behaviour::Crash
                        } else {
                            Behaviour::Hang
                        };
                        (
                            b,
                            format!(
                                "no answer within {wait:?} to a pipelined batch ({} bytes received) and the health probe failed: {why}",
                                partial.len()
                            ),
                            "timeout",
                        )
                    }
                }
            }
            Outcome::Closed => match target_down(&self.cfg, m, &mut self.session).await {
                Some(why) => {
                    let grace = self.cfg.crash_grace;
                    (
                            Behaviour::Crash,
                            format!("connection closed during a pipelined batch and the target did not come back within {grace:?}: {why}"),
                            "closed",
                        )
                }
                None => {
                    self.overtaken(generation, &sent);
                    return unresolved;
                }
            },
            // Nothing written (the sequential path judges a refused target), or a frame
            // that answers nothing in flight (sent again one at a time, each is judged).
            _ => return unresolved,
        };
        let (behaviour, observed, label) = failure;
        self.failed(generation, &first, behaviour, observed, sent);
        self.count(&first, Delivery::Delivered, label);
        self.after_case(first.index).await;
        unresolved.remove(0);
        unresolved
    }

    /// A batch written on a connection the target never served while it answered others
    /// (see [`Worker::starved`]): its first case counts as not delivered, the others go
    /// again (a target slow to take a new connection costs one case, as without
    /// pipelining, not a whole batch).
    async fn not_served_first(
        &mut self,
        mut cases: Vec<TestCase>,
        generation: u64,
        sent: (Vec<Wire>, u64),
    ) -> Vec<TestCase> {
        self.shared.not_served(generation, candidate(sent));
        self.session.reset();
        if !cases.is_empty() {
            let first = cases.remove(0);
            self.count(&first, Delivery::Undelivered(NOT_SERVED), NOT_SERVED);
            self.after_case(first.index).await;
        }
        cases
    }

    /// Whether `case` is of a kind the target stalls on (known from earlier cases, or guessed
    /// from them) and not sent now: it is skipped. See [`STALL_SAMPLE`].
    fn stalls_predicted(&self, case: &TestCase) -> bool {
        let Ok(stalls) = self.shared.stalls.lock() else {
            return false;
        };
        if stalls.is_empty() {
            return false;
        }
        let kind = stall_kind(self.model.as_ref(), case);
        let known =
            |&(sent, stalled): &(u64, u64)| stalled >= STALL_KNOWN && stalled * 5 >= sent * 4;
        let stalling = stalls.values().filter(|e| known(e)).count();
        let tried = stalls.get(&kind).filter(|e| e.0 > 0).copied();
        drop(stalls);
        match tried {
            Some(e) if !known(&e) => return false,
            // Not tried yet: guessed from the others.
            None if case.valid || stalling < STALL_GUESS => return false,
            _ => {}
        }
        // A message type x mutation class pair not covered yet comes first: in a campaign
        // bounded by its number of cases it is sent anyway (the campaign is not bounded by
        // time), otherwise it goes before the sampled ones within the time share.
        let pair = format!("{}/{}", case.code, case.class.name());
        let uncovered = self
            .shared
            .coverage
            .lock()
            .is_ok_and(|c| !c.pairs.contains_key(&pair));
        if uncovered && self.cfg.duration.is_none() {
            return false;
        }
        // Known to stall: one in STALL_SAMPLE is sent (within the time share).
        if tried.is_some() && !uncovered && !case.index.is_multiple_of(STALL_SAMPLE) {
            return true;
        }
        // Sent only while stalls keep to their share of the time.
        let stalled = self.shared.stall_time.lock().map_or(Duration::MAX, |t| *t);
        stalled >= self.shared.started.elapsed() / STALL_SHARE
    }

    /// The target took `d` to answer `case`: over the case timeout and [`STALL_MIN`], a
    /// stall. It is recorded (one root cause with the probe latency findings: the target
    /// degraded), its kind counted for scheduling, and cases go one at a time from then on.
    /// Returns whether it was a stall of a kind that stalled before: its late answer need not
    /// be waited for again.
    fn stall(&self, case: &TestCase, d: Duration) -> bool {
        let limit = self.cfg.case_timeout.unwrap_or(self.cfg.timeout);
        let stalled = d > limit && d >= STALL_MIN;
        // With several sessions an answer may wait behind the others' requests (or their
        // stalls): it measures the target's queue, not this case. Once the target stalled
        // twice, worker 0 goes on alone.
        if stalled {
            if let Ok(mut t) = self.shared.stall_time.lock() {
                *t += d;
            }
        }
        if self.cfg.concurrency > 1 && !self.shared.alone() {
            if stalled {
                self.shared.concurrent_stalls.fetch_add(1, Ordering::SeqCst);
            }
            return false;
        }
        if self.id > 0 {
            return false;
        }
        if !stalled && !self.shared.no_pipeline.load(Ordering::SeqCst) {
            return false;
        }
        let kind = stall_kind(self.model.as_ref(), case);
        let before = self.shared.stalls.lock().map_or(0, |mut stalls| {
            let e = stalls.entry(kind.clone()).or_default();
            e.0 += 1;
            e.1 += u64::from(stalled);
            e.1 - u64::from(stalled)
        });
        if !stalled {
            return false;
        }
        self.shared.no_pipeline.store(true, Ordering::SeqCst);
        let base = self.shared.baseline.unwrap_or_default();
        self.slow_answer(
            case,
            format!(
                "stall: the target took {d:?} to answer (baseline {base:?}, case timeout {limit:?}); a target that serves one request at a time serves no one meanwhile; further cases of this kind ({kind}) are sampled, one in {STALL_SAMPLE}, while stalls take less than 1/{STALL_SHARE} of the time{}",
                if self.cfg.concurrency > 1 {
                    "; the campaign's other sessions were stopped (the target stalled on them too)"
                } else {
                    ""
                }
            ),
            self.sent(),
        );
        before > 0
    }

    /// Send `case`, act on what the target did, and count it as delivered or not.
    async fn run_case(&mut self, case: TestCase) {
        let index = case.index;
        let model = self.model.clone();
        let generation = self.shared.restarts.lock().map(|g| *g).unwrap_or(0);
        let answered = self.shared.answered.load(Ordering::SeqCst);
        let (sentinel, wait) = send_plan(model.as_ref(), &self.cfg, &case.bytes, index);
        // A case that is not exactly one frame goes on a connection of its own, ended by a
        // FIN (see `Session::exchange_closing`): no sentinel, no waiting for a timeout.
        let closing =
            self.cfg.sentinel && model.frame_len(&case.bytes) != Ok(Some(case.bytes.len()));
        self.session.case(index);
        let outcome = if closing {
            let wait = self.cfg.case_timeout.unwrap_or(self.cfg.timeout);
            self.session
                .exchange_closing(model.as_ref(), &case.bytes, wait)
                .await
        } else {
            self.session
                .exchange_within(model.as_ref(), &case.bytes, sentinel.as_deref(), wait)
                .await
        };
        if let Outcome::Response(r, _) = &outcome {
            self.shared.feedback.observe(model.as_ref(), &case.bytes, r);
        }
        if let Outcome::Response(_, d) | Outcome::Silent(d) = &outcome {
            let _ = self.stall(&case, *d);
        }
        let label = outcome_label(model.as_ref(), &outcome);
        if matches!(
            outcome,
            Outcome::Response(_, _) | Outcome::BadFrame(_, _) | Outcome::Silent(_)
        ) {
            self.shared.answered.fetch_add(1, Ordering::SeqCst);
        }
        let delivery = match outcome {
            Outcome::ConnectFailed(_) | Outcome::NotSent(_) => {
                self.judge(&case, index, generation, outcome).await;
                Delivery::Undelivered(label)
            }
            Outcome::Timeout(ref partial)
                if self.starved(&case.bytes, sentinel.is_some(), partial, answered) =>
            {
                self.shared.not_served(generation, candidate(self.sent()));
                self.session.reset();
                Delivery::Undelivered(NOT_SERVED)
            }
            Outcome::Timeout(partial) => {
                self.on_timeout(&case, index, generation, &partial, answered)
                    .await
            }
            // The target closed after our FIN without answering: what a server does at the
            // end of its client's data (a failure shows on the next connection, which
            // keeps this one's record as a candidate).
            Outcome::Closed if closing => Delivery::Delivered,
            outcome => {
                let outcome = self.confirm_alone(&case, sentinel.is_some(), outcome).await;
                self.judge(&case, index, generation, outcome).await;
                Delivery::Delivered
            }
        };
        if model.fresh_connection_after_unframed()
            && model.frame_len(&case.bytes) != Ok(Some(case.bytes.len()))
        {
            self.session.reset();
        }
        self.count(&case, delivery, label);
    }

    /// A case (with a sentinel behind it) written on a connection on which the target has
    /// never sent a byte, while it answered another worker since the case went out: the
    /// target serves someone else (one client at a time), not this connection, so the case
    /// was not delivered.
    ///
    /// Only a case that is exactly one complete frame counts: then the sentinel cannot have
    /// been swallowed by the case's own framing, and a target that serves the connection
    /// answers at least one of them (a case that makes the target wait or stall is judged,
    /// not excused).
    fn starved(
        &self,
        bytes: &[u8],
        had_sentinel: bool,
        partial: &[u8],
        answered_before: u64,
    ) -> bool {
        self.cfg.concurrency > 1
            && had_sentinel
            && partial.is_empty()
            && !self.session.served()
            && self.model.frame_len(bytes) == Ok(Some(bytes.len()))
            && self.shared.answered.load(Ordering::SeqCst) > answered_before
    }

    /// Whether this worker's connection may be queued behind others': with several sessions,
    /// a connection the target has not answered yet may wait while the target serves another
    /// (one client at a time), so a slow first answer on it measures that wait, not the
    /// target's latency.
    fn queued(&self) -> bool {
        self.cfg.concurrency > 1 && !(self.session.connected() && self.session.served())
    }

    /// Whether the target was restarted since this worker sent its case (generation
    /// `generation`): another connection's failure did it, so this connection was in flight
    /// when the target failed, and what it carried (`sent`) becomes a candidate reproducer of
    /// that failure instead of a finding of its own.
    fn overtaken(&self, generation: u64, sent: &(Vec<Wire>, u64)) -> bool {
        let now = self
            .shared
            .restarts
            .lock()
            .map(|g| *g)
            .unwrap_or(generation);
        if now == generation {
            return false;
        }
        self.shared
            .add_candidate(generation, candidate(sent.clone()));
        true
    }

    /// Record the memory growth the monitor saw, if any, with what this connection carried
    /// (a growth no single connection explains: the reproducer is one connection's sequence,
    /// and the finding says so).
    fn memory_growth(&self, index: u64) {
        if !self.shared.memory_flag.swap(false, Ordering::SeqCst) {
            return;
        }
        let Some(observed) = self
            .shared
            .memory_grew
            .lock()
            .ok()
            .and_then(|mut m| m.take())
        else {
            return;
        };
        let case = build_case(self.model.as_ref(), self.cfg.seed, index);
        let mut f = connection_finding(
            self.model.as_ref(),
            self.cfg.seed,
            &case,
            Behaviour::Degradation,
            format!("{observed}; the reproducer is what one of the campaign's connections carried until then (the growth may come from all of them)"),
            self.sent(),
        );
        f.confirmation = Confirmation::not_tried(
            "not re-run: memory growth is a trend over many cases, not the effect of one sequence",
        );
        self.shared.record(f);
    }

    /// Count an executed case in the coverage.
    fn count_coverage(&self, case: &TestCase, label: &str) {
        if let Ok(mut c) = self.shared.coverage.lock() {
            *c.cells
                .entry(format!(
                    "{}/{}/{}",
                    case.code,
                    case.field,
                    case.class.name()
                ))
                .or_default() += 1;
            *c.pairs
                .entry(format!("{}/{}", case.code, case.class.name()))
                .or_default() += 1;
            *c.outcomes.entry(label.to_string()).or_default() += 1;
        }
    }

    /// Count an outcome alone (an undelivered case: no coverage).
    fn count_outcome(&self, label: &str) {
        if let Ok(mut c) = self.shared.coverage.lock() {
            *c.outcomes.entry(label.to_string()).or_default() += 1;
        }
    }

    /// What this worker's connection carried, for a finding's reproducer.
    fn sent(&self) -> (Vec<Wire>, u64) {
        (self.session.log().to_vec(), self.session.dropped())
    }

    /// Degradation monitor, on this worker's connection: probe latency against the baseline,
    /// every `probe_every` cases and at least once a second (across workers).
    async fn latency(&mut self, done: u64) {
        let Some(base) = self.shared.baseline else {
            return;
        };
        let due = match self.shared.last_probe.lock() {
            Ok(mut last) => {
                let due = done >= last.0 + self.cfg.probe_every
                    || last.1.elapsed() >= Duration::from_secs(1);
                if due {
                    *last = (done, Instant::now());
                }
                due
            }
            Err(_) => false,
        };
        if !due || self.shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let model = self.model.clone();
        if self.queued() {
            return;
        }
        let sent = self.sent();
        let opened = self.session.opened();
        if let Ok(d) =
            probe_within(&mut self.session, model.as_ref(), 0xFF00, self.cfg.timeout).await
        {
            self.shared.answered.fetch_add(1, Ordering::SeqCst);
            // The probe had to open a new connection (the target closed the kept one): with
            // several sessions that one may have waited behind the others', as in `queued`.
            if self.cfg.concurrency > 1 && self.session.opened() != opened {
                return;
            }
            let case = build_case(model.as_ref(), self.cfg.seed, self.last);
            self.check_latency(base, d, &case, sent);
        }
    }

    /// A health probe answered in `d`: over the degradation factor of the baseline `base`
    /// (and 50 ms) is a degradation finding after what this connection carried.
    fn check_latency(&self, base: Duration, d: Duration, case: &TestCase, sent: (Vec<Wire>, u64)) {
        let limit = base
            .mul_f64(self.cfg.degradation_factor)
            .max(Duration::from_millis(50));
        if d > limit {
            self.slow_answer(
                case,
                format!(
                    "health-probe latency {d:?} is over {:.0}x the baseline {base:?}",
                    self.cfg.degradation_factor
                ),
                sent,
            );
        }
    }

    /// Record a degradation finding for a slow answer after what this connection carried
    /// (`sent`); it is not re-run.
    fn slow_answer(&self, case: &TestCase, observed: String, sent: (Vec<Wire>, u64)) {
        let mut f = connection_finding(
            self.model.as_ref(),
            self.cfg.seed,
            case,
            Behaviour::Degradation,
            observed,
            sent,
        );
        f.confirmation = Confirmation::not_tried(
            "not re-run: a slow answer is a state of the target at the time, not the effect of one sequence",
        );
        self.shared.record(f);
    }

    /// A suspicious answer seen with a sentinel behind the case is confirmed by sending the
    /// case alone on a fresh connection: the reproducer is the case, nothing else. The case
    /// connection is closed first, so that a target serving one client at a time serves it.
    async fn confirm_alone(
        &mut self,
        case: &TestCase,
        had_sentinel: bool,
        outcome: Outcome,
    ) -> Outcome {
        let model = self.model.clone();
        let model = model.as_ref();
        match outcome {
            Outcome::Response(resp, d) if had_sentinel => {
                let Some(why) = model.check(&case.bytes, case.valid, &resp) else {
                    return Outcome::Response(resp, d);
                };
                // A root cause seen often enough (each time confirmed alone) is not sent
                // alone again: this answer is counted as one more occurrence of it.
                let preview = self.conformance_finding(
                    case,
                    format!("{why}; response {}", hex::encode(&resp)),
                    Seen::Answer(&resp),
                );
                if self.shared.occurrences(preview.key()) >= CONFIRMED_ENOUGH {
                    return Outcome::Response(resp, d);
                }
                self.session.reset();
                alone(model, &self.cfg, &case.bytes, d).await
            }
            Outcome::BadFrame(_, _) if had_sentinel => {
                self.session.reset();
                alone(model, &self.cfg, &case.bytes, Duration::ZERO).await
            }
            other => other,
        }
    }

    /// Record a conformance finding whose reproducer is the case alone (and, when known, its
    /// exchange: the case and the answer).
    fn conformance(&self, case: &TestCase, observed: String, seen: Seen<'_>) {
        let f = self.conformance_finding(case, observed, seen);
        self.shared.record(f);
    }

    /// The conformance finding [`Worker::conformance`] records.
    fn conformance_finding(&self, case: &TestCase, observed: String, seen: Seen<'_>) -> Finding {
        let model = self.model.as_ref();
        let mut f = finding(
            case,
            Behaviour::Conformance,
            observed,
            vec![case.bytes.clone()],
        );
        if let Some((code, name)) = message_of(model, &case.bytes) {
            f.code = code;
            f.message = name;
            f.variants = Variants::of(code, &case.field, case.class, case.index);
        }
        f.exchange = vec![Wire {
            to_target: true,
            bytes: case.bytes.clone(),
            case: Some(case.index),
        }];
        let answer = match seen {
            Seen::Answer(a) | Seen::Malformed(a) => Some(a),
            Seen::Silent | Seen::Closed => None,
        };
        if let Some(a) = answer.filter(|a| !a.is_empty()) {
            f.exchange.push(Wire {
                to_target: false,
                bytes: a.to_vec(),
                case: None,
            });
        }
        f.answer_shape = Some(seen.shape(model));
        f.with_effect(match seen {
            Seen::Closed => Effect::ConnectionLost,
            _ => Effect::WrongAnswer,
        })
    }

    /// The target failed on `case`: record it with what this connection carried (see
    /// [`target_failed`]) and start a fresh connection for the next case.
    fn failed(
        &mut self,
        generation: u64,
        case: &TestCase,
        behaviour: Behaviour,
        observed: String,
        sent: (Vec<Wire>, u64),
    ) {
        let mut f = connection_finding(
            self.model.as_ref(),
            self.cfg.seed,
            case,
            behaviour,
            observed,
            sent,
        );
        self.shared.feedback.relabel(&mut f);
        // The target may have failed on what the connection before this one carried (its
        // failure shows only on the next connection).
        let previous = candidate((self.session.previous().to_vec(), 0));
        if !previous.reproducer.is_empty()
            && previous.reproducer != f.reproducer
            && !f
                .candidates
                .iter()
                .any(|c| c.reproducer == previous.reproducer)
        {
            f.candidates.push(previous);
        }
        target_failed(&self.cfg, &self.shared, generation, f);
        self.session.reset();
    }

    /// Classify the outcome of `case` (other than a timeout): a finding, a failed target, or
    /// nothing.
    async fn judge(&mut self, case: &TestCase, index: u64, generation: u64, outcome: Outcome) {
        let model = self.model.clone();
        match outcome {
            Outcome::Response(resp, _) if resp.is_empty() => {} // not confirmed
            Outcome::Response(resp, _) => {
                if let Some(why) = model.check(&case.bytes, case.valid, &resp) {
                    self.conformance(
                        case,
                        format!("{why}; response {}", hex::encode(&resp)),
                        Seen::Answer(&resp),
                    );
                }
            }
            Outcome::BadFrame(resp, why) => self.conformance(
                case,
                format!(
                    "malformed response frame: {why}; bytes {}",
                    hex::encode(&resp[..resp.len().min(64)])
                ),
                Seen::Malformed(&resp),
            ),
            Outcome::Closed => self.on_closed(case, generation).await,
            Outcome::Silent(_) => {
                if let Some(why) = model.required_answer(&case.bytes) {
                    self.conformance(
                        case,
                        format!("no answer where the specification requires one: {why} (the target answered the request sent right after it)"),
                        Seen::Silent,
                    );
                }
            }
            Outcome::Timeout(partial) => {
                let _ = self
                    .on_timeout(case, index, generation, &partial, u64::MAX)
                    .await;
            }
            Outcome::ConnectFailed(e) | Outcome::NotSent(e) => {
                // The case was not delivered; the connection before it is what preceded.
                let sent = self.sent();
                if let Some(why) = target_down(&self.cfg, model.as_ref(), &mut self.session).await {
                    self.failed(
                        generation,
                        case,
                        Behaviour::Crash,
                        format!("target refuses connections: {e}; {why}"),
                        sent,
                    );
                } else {
                    self.overtaken(generation, &sent);
                }
            }
        }
    }

    /// The connection closed. Closing on bad input is legitimate; a target that stays away
    /// is not, and neither is closing where the specification requires an answer.
    async fn on_closed(&mut self, case: &TestCase, generation: u64) {
        let model = self.model.clone();
        let sent = self.sent();
        // Where closing is allowed, whether the target is still there is left to the next
        // case (a refused connection is judged there, with this connection's record): a
        // probe after every close would cost a connection each. A launched target that
        // exited is seen at once.
        if self.cfg.sentinel && model.required_answer(&case.bytes).is_none() {
            self.session.reset();
            let exited = self.cfg.control.0.as_ref().and_then(|c| c.exited());
            if exited.is_none() {
                // If the target turns out to have failed (seen by another connection or the
                // next case), what this connection carried is a candidate of that failure.
                self.shared.not_served(generation, candidate(sent.clone()));
            }
            if let Some(how) = exited {
                self.failed(
                    generation,
                    case,
                    Behaviour::Crash,
                    format!("connection closed after this input and the target process {how}"),
                    sent,
                );
            }
            return;
        }
        let down = target_down(&self.cfg, model.as_ref(), &mut self.session).await;
        if down.is_none() && !self.overtaken(generation, &sent) {
            if let Some(why) = model.required_answer(&case.bytes) {
                self.conformance(
                    case,
                    format!("connection closed without an answer where the specification requires one: {why}"),
                    Seen::Closed,
                );
            }
        }
        if let Some(why) = down {
            let grace = self.cfg.crash_grace;
            self.failed(
                generation,
                case,
                Behaviour::Crash,
                format!("connection closed after this input and the target did not come back within {grace:?}: {why}"),
                sent,
            );
        }
    }

    /// No answer in time. A target that still answers the health probe (on the case
    /// connection) may owe an answer (asked again with the full timeout, alone); one that
    /// does not has crashed or hangs, unless this connection was never served while the
    /// target answered another worker (then the case was not delivered).
    async fn on_timeout(
        &mut self,
        case: &TestCase,
        index: u64,
        generation: u64,
        partial: &[u8],
        answered: u64,
    ) -> Delivery {
        let model = self.model.clone();
        let sent = self.sent();
        let mut probe =
            probe_within(&mut self.session, model.as_ref(), index, self.cfg.timeout).await;
        if matches!(&probe, Err(why) if why.starts_with("no answer") || why.starts_with("connection closed"))
        {
            // A target that stalls (on this case, or with several sessions on another's)
            // answers late, not never; one that closed a connection may still serve the
            // next: one more try, with a longer wait, on a fresh connection, before judging.
            self.session.reset();
            let longer = self.cfg.crash_grace.max(self.cfg.timeout);
            probe = probe_within(&mut self.session, model.as_ref(), index, longer)
                .await
                .map(|d| d + self.cfg.timeout);
        }
        match probe {
            Ok(d) => {
                self.shared.answered.fetch_add(1, Ordering::SeqCst);
                // A target busy with the case (asleep on it) answers the probe late: a stall.
                let known_stall = self.stall(case, d);
                if self.overtaken(generation, &sent) {
                    return Delivery::Delivered;
                }
                let queued = self.cfg.concurrency > 1 && !sent.0.iter().any(|w| !w.to_target);
                if let (Some(base), false) = (self.shared.baseline, queued) {
                    self.check_latency(base, d, case, sent);
                }
                // A stall of a kind known to stall: the answer is late, not missing (asking
                // again would cost the same stall once more).
                let required = model.required_answer(&case.bytes).filter(|_| !known_stall);
                if let Some(why) = required {
                    // The short case timeout may just have been too short: ask again with
                    // the full timeout before calling it a finding.
                    self.session.reset();
                    let mut again = Session::new(self.cfg.target, self.cfg.timeout);
                    match again.exchange(model.as_ref(), &case.bytes).await {
                        Outcome::Response(r, _) => {
                            if let Some(bad) = model.check(&case.bytes, case.valid, &r) {
                                self.conformance(
                                    case,
                                    format!("{bad}; response {}", hex::encode(&r)),
                                    Seen::Answer(&r),
                                );
                            }
                        }
                        Outcome::Timeout(_) => self.conformance(
                            case,
                            format!("no answer where the specification requires one: {why}"),
                            Seen::Silent,
                        ),
                        Outcome::Closed => self.conformance(
                            case,
                            format!("connection closed without an answer where the specification requires one: {why}"),
                            Seen::Closed,
                        ),
                        _ => {}
                    }
                }
                Delivery::Delivered
            }
            // Others were answered meanwhile: the target is alive but does not serve this
            // connection (one client at a time); the case cannot be judged.
            Err(_)
                if self.cfg.concurrency > 1
                    && self.shared.answered.load(Ordering::SeqCst) > answered =>
            {
                self.shared.not_served(generation, candidate(sent));
                self.session.reset();
                Delivery::Undelivered(NOT_SERVED)
            }
            Err(why) => {
                let b = if why.contains("connect") {
                    Behaviour::Crash
                } else {
                    Behaviour::Hang
                };
                let waited = self.cfg.case_timeout.unwrap_or(self.cfg.timeout);
                self.failed(
                    generation,
                    case,
                    b,
                    format!(
                        "no answer within {waited:?} ({} bytes received) and the health probe failed: {why}",
                        partial.len()
                    ),
                    sent,
                );
                Delivery::Delivered
            }
        }
    }
}

/// Run a campaign. `stop` ends it early (Ctrl-C); `progress` is called about every 250 ms.
///
/// The steps: measure the latency baseline (and derive the case timeout from it), start the
/// workers, watch the target while they run (`Monitor`), then minimize the findings and
/// report.
pub async fn run(
    model: Arc<dyn ProtocolModel>,
    cfg: Config,
    stop: Arc<AtomicBool>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Report {
    let started = Instant::now();
    let started_unix_ms = now_unix_ms();
    let mut cfg = cfg;
    let baseline = baseline_latency(model.as_ref(), &cfg).await;
    if cfg.case_timeout.is_none() {
        cfg.case_timeout = Some(case_timeout_for(baseline, cfg.timeout));
    }
    // Grey-box mode (the launched target's edge coverage, taken after the baseline so its
    // probes count as start-up edges): each case's new edges are credited to that case, so
    // cases go one at a time.
    let coverage = cfg.control.0.as_ref().and_then(|c| c.coverage());
    if coverage.is_some() {
        cfg.pipeline = 1;
    }
    if cfg.sentinel
        && baseline.is_some()
        && !crate::exec::takes_two_in_one_write(
            model.as_ref(),
            cfg.target,
            cfg.timeout,
            // The second answer comes right after the first from a target that takes both:
            // no need to wait the full timeout for one that drops it.
            (cfg.case_timeout.unwrap_or(cfg.timeout) * 4)
                .max(Duration::from_millis(20))
                .min(cfg.timeout),
        )
        .await
    {
        cfg.pipeline = 1;
        let case_timeout = cfg.case_timeout.unwrap_or(cfg.timeout);
        cfg.sentinel_after =
            baseline.map(|b| (b * 2).max(Duration::from_micros(500)).min(case_timeout));
    }
    let cfg = Arc::new(cfg);
    let pairs_total = (model.messages().len() * MutationClass::ALL.len()) as u64;
    let shared = Arc::new(Shared {
        delivered: AtomicU64::new(0),
        undelivered: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
        stalls: Mutex::new(BTreeMap::new()),
        stall_time: Mutex::new(Duration::ZERO),
        concurrent_stalls: AtomicU64::new(0),
        started,
        no_pipeline: AtomicBool::new(false),
        answered: AtomicU64::new(0),
        last_probe: Mutex::new((0, Instant::now())),
        baseline,
        feedback: crate::feedback::Feedback::new(model.as_ref()).with_coverage(coverage),
        findings: Mutex::new(Vec::new()),
        coverage: Mutex::new(Coverage {
            pairs_total,
            ..Coverage::default()
        }),
        next: AtomicU64::new(cfg.start_at),
        done: AtomicU64::new(0),
        stop: stop.clone(),
        stopped_why: Mutex::new(None),
        restarts: Mutex::new(0),
        failures: Mutex::new(BTreeMap::new()),
        early: Mutex::new((0, Vec::new())),
        memory_grew: Mutex::new(None),
        memory_flag: AtomicBool::new(false),
    });
    if baseline.is_none() {
        shared.halt(format!(
            "target {} does not answer the health probe",
            cfg.target
        ));
    }
    let end = cfg.duration.map(|d| started + d);
    let mut tasks = Vec::new();
    for id in 0..cfg.concurrency.max(1) {
        tasks.push(tokio::spawn(worker(
            id,
            model.clone(),
            cfg.clone(),
            shared.clone(),
            end,
        )));
    }
    let mut monitor = Monitor {
        cfg: &cfg,
        shared: &shared,
        memory_start: cfg.control.0.as_ref().and_then(|c| c.memory_kib()),
        memory_reported: false,
    };
    loop {
        let finished = tasks.iter().all(|t| t.is_finished());
        if !finished {
            // (A growth is recorded by a worker, with its connection's sequence.)
            monitor.memory();
        }
        progress(&progress_of(&shared, started.elapsed()));
        if finished {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for t in tasks {
        let _ = t.await;
    }
    let testing_time = started.elapsed();
    let mut findings = shared
        .findings
        .lock()
        .map(|f| f.clone())
        .unwrap_or_default();
    if cfg.minimize && !stop.load(Ordering::SeqCst) {
        minimize_findings(model.as_ref(), &cfg, &stop, &mut findings).await;
    } else {
        for f in findings.iter_mut().filter(|f| {
            f.behaviour != Behaviour::Degradation && f.confirmation.how == Confirmed::NotTried
        }) {
            if !(cfg.control.0.is_none() && f.behaviour != Behaviour::Conformance) {
                f.confirmation = Confirmation::not_tried(if cfg.minimize {
                    "not re-run: the campaign was interrupted"
                } else {
                    "not re-run: re-running and minimizing findings was turned off"
                });
            }
        }
    }
    let mut findings = by_root_cause(findings);
    findings.sort_by(|a, b| {
        (a.effect, a.behaviour, a.code, &a.signature).cmp(&(
            b.effect,
            b.behaviour,
            b.code,
            &b.signature,
        ))
    });
    let done = shared.done.load(Ordering::SeqCst);
    let delivered = shared.delivered.load(Ordering::SeqCst);
    let undelivered = shared.undelivered.load(Ordering::SeqCst);
    let stopped = shared
        .stopped_why
        .lock()
        .ok()
        .and_then(|w| w.clone())
        .or_else(|| {
            stop.load(Ordering::SeqCst)
                .then(|| "interrupted".to_string())
        });
    Report {
        protocol: model.name().to_string(),
        next_case: cfg.start_at + done,
        cases: delivered,
        undelivered,
        skipped: shared.skipped.load(Ordering::SeqCst),
        elapsed: testing_time,
        baseline,
        findings,
        coverage: shared
            .coverage
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default(),
        stopped,
        config: (*cfg).clone(),
        target_identity: Vec::new(),
        learned: shared.feedback.learned(),
        started_unix_ms,
    }
}

/// One finding per root cause ([`signature`]): findings that share a signature (failures
/// kept apart until minimization labelled them by their triggering message) are folded into
/// the one with the smallest reproducer, their cases counted as its variants.
pub fn by_root_cause(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        match out.iter_mut().find(|x| x.signature == f.signature) {
            Some(x) => x.absorb(f),
            None => out.push(f),
        }
    }
    out
}

/// The median of five health-probe latencies; `None` when the target answers none.
async fn baseline_latency(model: &dyn ProtocolModel, cfg: &Config) -> Option<Duration> {
    let mut samples = Vec::new();
    for i in 0..5u64 {
        if let Ok(d) = probe(model, cfg.target, cfg.timeout, 0xF000 + i).await {
            samples.push(d);
        }
    }
    samples.sort();
    samples.get(samples.len() / 2).copied()
}

/// The per-case timeout when none is given: ten times the baseline (at least 2 ms), at most
/// the overall timeout (which is also the answer without a baseline).
fn case_timeout_for(baseline: Option<Duration>, timeout: Duration) -> Duration {
    baseline
        .map(|b| (b * 10).max(Duration::from_millis(2)))
        .unwrap_or(timeout)
        .min(timeout)
}

/// What the progress callback is told: cases executed and not, rate of executed cases,
/// findings per behaviour, coverage.
fn progress_of(shared: &Shared, elapsed: Duration) -> Progress {
    let elapsed = elapsed.as_secs_f64().max(1e-3);
    let done = shared.delivered.load(Ordering::SeqCst);
    let findings = shared.findings.lock().map(|f| {
        let mut m = BTreeMap::new();
        for x in f.iter() {
            *m.entry(x.behaviour.name().to_string()).or_insert(0) += 1;
        }
        m
    });
    Progress {
        cases: done,
        undelivered: shared.undelivered.load(Ordering::SeqCst),
        rate: done as f64 / elapsed,
        findings: findings.unwrap_or_default(),
        coverage: shared
            .coverage
            .lock()
            .map(|c| c.pair_percent())
            .unwrap_or(0.0),
    }
}

/// The monitor that watches a launched target's memory while the workers run (latency is
/// probed by the workers on their own connections, a process exit is seen by the worker whose
/// connection it breaks).
struct Monitor<'a> {
    cfg: &'a Config,
    shared: &'a Shared,
    /// Resident memory of a launched target at the start, KiB.
    memory_start: Option<u64>,
    memory_reported: bool,
}

impl Monitor<'_> {
    /// Memory monitor (launched targets): growth beyond the factor is degradation (once).
    fn memory(&mut self) {
        let (Some(start), Some(c), false) =
            (self.memory_start, &self.cfg.control.0, self.memory_reported)
        else {
            return;
        };
        let Some(now) = c.memory_kib() else {
            return;
        };
        if now as f64 > start as f64 * self.cfg.memory_factor && now > start + 16 * 1024 {
            self.memory_reported = true;
            // Recorded by the next worker to finish a case, with its own connection's
            // sequence (see `Worker::memory_growth`).
            if let Ok(mut m) = self.shared.memory_grew.lock() {
                *m = Some(format!(
                    "target resident memory grew from {start} KiB to {now} KiB (over {:.0}x) during the campaign",
                    self.cfg.memory_factor
                ));
                self.shared.memory_flag.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// Minimize the findings after the campaign, against the live target: conformance findings
/// within 10 s in all; crash and hang findings of a target we control each bounded on its
/// own, and all of them together by six times that (the rest keep their unminimized
/// reproducers, marked so).
async fn minimize_findings(
    model: &dyn ProtocolModel,
    cfg: &Config,
    stop: &AtomicBool,
    findings: &mut [Finding],
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    for f in findings
        .iter_mut()
        .filter(|f| f.behaviour == Behaviour::Conformance)
    {
        if Instant::now() >= deadline || stop.load(Ordering::SeqCst) {
            f.confirmation = Confirmation::not_tried(if stop.load(Ordering::SeqCst) {
                "not re-run: the campaign was interrupted"
            } else {
                "not re-run: the 10 s for re-running conformance findings were spent on earlier ones"
            });
            continue;
        }
        f.confirmation = Confirmation::not_tried(
            "not re-run: the 10 s for re-running conformance findings ran out during its re-run",
        );
        let _ = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            minimize_conformance(model, cfg, f),
        )
        .await;
    }
    if cfg.control.0.is_none() {
        return;
    }
    let budget = Instant::now() + cfg.minimize_failure_time * 6;
    for f in findings
        .iter_mut()
        .filter(|f| matches!(f.behaviour, Behaviour::Crash | Behaviour::Hang))
    {
        if stop.load(Ordering::SeqCst) {
            f.confirmation = Confirmation::not_tried("not re-run: the campaign was interrupted");
            continue;
        }
        if Instant::now() >= budget {
            f.confirmation = Confirmation::not_tried(
                "not re-run: the campaign's minimization time was spent on earlier findings",
            );
            f.minimization = Some(Minimization {
                runs: 0,
                elapsed_ms: 0,
                complete: false,
                note:
                    "not minimized: the campaign's minimization time was spent on earlier findings"
                        .into(),
            });
            continue;
        }
        minimize_failure(model, cfg, f).await;
    }
}

/// Does this single request still provoke a conformance violation of the same kind?
async fn reproduces(model: &dyn ProtocolModel, cfg: &Config, bytes: &[u8], kind: &str) -> bool {
    let mut s = Session::new(cfg.target, cfg.case_timeout.unwrap_or(cfg.timeout))
        .prelude_timeout(cfg.timeout);
    match s.exchange(model, bytes).await {
        Outcome::Response(r, _) => model
            .check(bytes, false, &r)
            .is_some_and(|why| why.split([':', ';']).next() == Some(kind)),
        Outcome::Closed => {
            kind.starts_with("connection closed without an answer")
                && model.required_answer(bytes).is_some()
        }
        Outcome::Timeout(_) => {
            kind.starts_with("no answer where") && model.required_answer(bytes).is_some()
        }
        _ => false,
    }
}

/// Delta debugging (ddmin) on the bytes of a conformance finding's last request.
async fn minimize_conformance(model: &dyn ProtocolModel, cfg: &Config, f: &mut Finding) {
    let Some(last) = f.reproducer.last().and_then(|h| unhex(h)) else {
        return;
    };
    let kind = f
        .observed
        .split([':', ';'])
        .next()
        .unwrap_or_default()
        .to_string();
    if !reproduces(model, cfg, &last, &kind).await {
        f.confirmation = Confirmation::new(
            Confirmed::NotReproduced,
            format!("not reproduced: sent alone on a fresh connection, the request no longer gave \"{kind}\" (the target answered in conformance, or differently)"),
        );
        return;
    }
    f.confirmed = true;
    f.confirmation = Confirmation::new(
        Confirmed::AloneOnFreshConnection,
        "reproduced: sent alone on a fresh connection, the request gave the same violation again",
    );
    let mut cur = last.clone();
    let mut n = 2usize;
    let mut budget = 64u32;
    while cur.len() >= 2 && budget > 0 {
        let chunk = cur.len().div_ceil(n);
        let mut reduced = false;
        for i in 0..n {
            let (a, b) = (i * chunk, ((i + 1) * chunk).min(cur.len()));
            if a >= b {
                continue;
            }
            let mut cand = cur[..a].to_vec();
            cand.extend_from_slice(&cur[b..]);
            budget = budget.saturating_sub(1);
            if !cand.is_empty() && reproduces(model, cfg, &cand, &kind).await {
                cur = cand;
                reduced = true;
                break;
            }
        }
        if reduced {
            n = (n - 1).max(2);
        } else {
            if n >= cur.len() {
                break;
            }
            n = (n * 2).min(cur.len());
        }
    }
    if cur != last {
        f.original = Some(f.reproducer.clone());
        let mut r = f.reproducer.clone();
        if let Some(l) = r.last_mut() {
            *l = hex::encode(&cur);
        }
        f.reproducer = r;
    }
}

/// Restart a controlled target (off the async threads: restarting blocks until it listens).
async fn restart(ctl: &Arc<dyn TargetControl>) -> Result<(), String> {
    let c = ctl.clone();
    tokio::task::spawn_blocking(move || c.restart())
        .await
        .map_err(|e| format!("restart task failed: {e}"))?
}

/// What sending a sequence on one connection gave.
struct Sent {
    /// The connection, still open (`None`: the target closed it, or a write failed).
    stream: Option<TcpStream>,
    /// What the target did to the last request sent.
    last: Outcome,
}

/// Send `seq` exactly as given, in order, on one connection (nothing added: a recorded
/// reproducer already holds its sentinels and probes), waiting up to `wait` after each
/// request for its answer before the next one goes out. Stops early when the target drops the
/// connection. `Err` when no connection could be opened (nothing was sent).
async fn send_exact(
    model: &dyn ProtocolModel,
    target: SocketAddr,
    connect_timeout: Duration,
    wait: Duration,
    seq: &[Vec<u8>],
) -> Result<Sent, String> {
    let mut stream = tokio::time::timeout(connect_timeout, TcpStream::connect(target))
        .await
        .map_err(|_| format!("connect to {target} timed out"))?
        .map_err(|e| format!("connect to {target}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut last = Outcome::Timeout(Vec::new());
    // A reproducer recorded on a connection starts with the session prelude; one that does
    // not (a single case) gets it first, as every connection of the campaign did.
    let lead = if model.starts_with_prelude(seq) {
        Vec::new()
    } else {
        model.prelude()
    };
    // The prelude's answers get the connect timeout, as in the campaign.
    let steps = lead.len().max(model.prelude().len());
    for (i, req) in lead.iter().chain(seq).enumerate() {
        let wait = if i < steps {
            wait.max(connect_timeout)
        } else {
            wait
        };
        if let Err(e) = stream.write_all(req).await {
            return Ok(Sent {
                stream: None,
                last: Outcome::NotSent(format!("writing to {target}: {e}")),
            });
        }
        let start = Instant::now();
        let deadline = start + wait;
        last = loop {
            match model.frame_len(&buf) {
                Ok(Some(n)) => {
                    let frame: Vec<u8> = buf.drain(..n).collect();
                    if model.unsolicited(&frame) {
                        continue;
                    }
                    break Outcome::Response(frame, start.elapsed());
                }
                Ok(None) => {}
                Err(why) => break Outcome::BadFrame(std::mem::take(&mut buf), why),
            }
            if buf.len() >= MAX_RESPONSE {
                break Outcome::BadFrame(
                    std::mem::take(&mut buf),
                    format!("more than {MAX_RESPONSE} bytes without a complete frame"),
                );
            }
            let now = Instant::now();
            if now >= deadline {
                break Outcome::Timeout(buf.clone());
            }
            match tokio::time::timeout(deadline - now, stream.read(&mut chunk)).await {
                Err(_) => break Outcome::Timeout(buf.clone()),
                Ok(Ok(0)) | Ok(Err(_)) => {
                    return Ok(Sent {
                        stream: None,
                        last: Outcome::Closed,
                    })
                }
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            }
        };
    }
    Ok(Sent {
        stream: Some(stream),
        last,
    })
}

/// Close a connection so that the target still reads everything sent on it: our side is shut
/// for writing (FIN), then answers are read and dropped until the target closes too or
/// `timeout` passes (at most [`MAX_RESPONSE`] bytes kept in flight). Dropping a socket whose
/// receive queue holds unread answers sends a reset instead, and a reset makes the target's
/// kernel discard requests its process has not read yet: a slow target would never see the
/// last request of a reproducer.
async fn close_gently(mut stream: TcpStream, timeout: Duration) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let deadline = Instant::now() + timeout;
    let mut chunk = [0u8; 4096];
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        match tokio::time::timeout(deadline - now, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(_)) => {}
        }
    }
}

/// Whether the target still serves after a sequence: the connection the sequence went over
/// is closed first (nothing is added to the sequence, and a target serving one client at a
/// time is free to answer), then the health probe goes on new connections for up to
/// `grace`. `Err` says how it failed: `crash: ...` when it no longer accepts connections,
/// `hang: ...` when it accepts but does not answer.
async fn still_serves(
    model: &dyn ProtocolModel,
    target: SocketAddr,
    timeout: Duration,
    grace: Duration,
    stream: Option<TcpStream>,
) -> Result<(), String> {
    if let Some(s) = stream {
        close_gently(s, timeout).await;
    }
    let deadline = Instant::now() + grace;
    loop {
        match probe(model, target, timeout, 0xFFFE).await {
            Ok(_) => return Ok(()),
            Err(e) if e.contains("connect") || e.contains("closed") || e.contains("not sent") => {
                if Instant::now() >= deadline {
                    return Err(format!("crash: the target no longer serves: {e}"));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(format!("hang: {e}")),
        }
    }
}

/// What a controlled target does now: `None` if it answers the health probe (on a new
/// connection, once `conn`, the one a candidate went over, is closed); a crash if its process
/// exited or it refuses connections for the whole crash grace; a hang if it accepts but does
/// not answer the probe within the timeout.
async fn observe(
    model: &dyn ProtocolModel,
    cfg: &Config,
    ctl: &dyn TargetControl,
    conn: Option<TcpStream>,
) -> Option<Behaviour> {
    if ctl.exited().is_some() {
        return Some(Behaviour::Crash);
    }
    match still_serves(model, cfg.target, cfg.timeout, cfg.crash_grace, conn).await {
        Ok(()) => None,
        Err(_) if ctl.exited().is_some() => Some(Behaviour::Crash),
        Err(e) if e.starts_with("crash") => Some(Behaviour::Crash),
        Err(_) => Some(Behaviour::Hang),
    }
}

/// Test runs of a crash or hang minimization.
struct Trial<'a> {
    model: &'a dyn ProtocolModel,
    cfg: &'a Config,
    ctl: Arc<dyn TargetControl>,
    want: Behaviour,
    deadline: Instant,
    runs: u64,
    /// Why the runs stopped before the minimization finished.
    cut: Option<String>,
}

impl Trial<'_> {
    /// Restart the target, send `seq` on one connection, and tell whether the wanted
    /// behaviour came back; `None` once out of time or when the target cannot be restarted.
    async fn test(&mut self, seq: &[Vec<u8>]) -> Option<bool> {
        if self.cut.is_some() {
            return None;
        }
        if Instant::now() >= self.deadline {
            self.cut = Some(format!(
                "its time bound of {:?} ran out",
                self.cfg.minimize_failure_time
            ));
            return None;
        }
        self.runs += 1;
        if let Err(e) = restart(&self.ctl).await {
            self.cut = Some(format!("the target could not be restarted: {e}"));
            return None;
        }
        let wait = self.cfg.case_timeout.unwrap_or(self.cfg.timeout);
        let conn = send_exact(self.model, self.cfg.target, self.cfg.timeout, wait, seq)
            .await
            .ok()
            .and_then(|s| s.stream);
        let seen = observe(self.model, self.cfg, self.ctl.as_ref(), conn).await;
        Some(seen == Some(self.want))
    }
}

/// Delta debugging (ddmin, complement removal down to single items): the smallest
/// sub-sequence of `items` found whose `build` still gives the wanted behaviour, and whether
/// the search finished (it is then 1-minimal).
async fn ddmin<T: Clone + Send + Sync>(
    t: &mut Trial<'_>,
    items: Vec<T>,
    build: &(dyn Fn(&[T]) -> Vec<Vec<u8>> + Sync),
) -> (Vec<T>, bool) {
    let mut cur = items;
    let mut n = 2usize;
    while cur.len() >= 2 {
        let chunk = cur.len().div_ceil(n);
        let mut reduced = false;
        for i in 0..n {
            let (a, b) = (i * chunk, ((i + 1) * chunk).min(cur.len()));
            if a >= b {
                continue;
            }
            let mut cand = cur[..a].to_vec();
            cand.extend_from_slice(&cur[b..]);
            if cand.is_empty() {
                continue;
            }
            match t.test(&build(&cand)).await {
                None => return (cur, false),
                Some(true) => {
                    cur = cand;
                    reduced = true;
                    break;
                }
                Some(false) => {}
            }
        }
        if reduced {
            n = (n - 1).max(2);
        } else {
            if n >= cur.len() {
                break;
            }
            n = (n * 2).min(cur.len());
        }
    }
    (cur, true)
}

/// Minimize a crash or hang finding of a target otproof controls: delta debugging over its
/// request sequence, then over the bytes of the last request, where each test restarts the
/// target, sends the candidate on one connection and checks that the same behaviour comes
/// back. Bounded by `Config::minimize_failure_time`; records the unminimized reproducer in
/// `original` and the runs in `minimization`; leaves the target restarted and running.
/// Without control, only notes that the finding cannot be minimized.
pub async fn minimize_failure(model: &dyn ProtocolModel, cfg: &Config, f: &mut Finding) {
    let started = Instant::now();
    let Some(ctl) = cfg.control.0.clone() else {
        f.minimization = Some(Minimization::uncontrolled());
        f.confirmation = Confirmation::not_tried(NO_CONTROL);
        return;
    };
    let decode = |r: &[String]| -> Option<Vec<Vec<u8>>> {
        r.iter()
            .map(|h| unhex(h))
            .collect::<Option<Vec<_>>>()
            .filter(|s| !s.is_empty())
    };
    let Some(first) = decode(&f.reproducer) else {
        return;
    };
    let mut t = Trial {
        model,
        cfg,
        ctl: ctl.clone(),
        want: f.behaviour,
        deadline: started + cfg.minimize_failure_time,
        runs: 0,
        cut: None,
    };
    let mut complete = false;
    // Which connection gives the failure again: the one that saw it first, then each other
    // connection that was in flight when the target failed.
    let in_flight = f.candidates.len();
    let mut which = None;
    for k in 0..=in_flight {
        let seq = match k {
            0 => Some(first.clone()),
            k => f.candidates.get(k - 1).and_then(|c| decode(&c.reproducer)),
        };
        let Some(seq) = seq else { continue };
        match t.test(&seq).await {
            Some(true) => {
                which = Some((k, seq));
                break;
            }
            Some(false) => {}
            None => break,
        }
    }
    let connection = match &which {
        Some((0, _)) if in_flight > 0 => format!(
            "{} connections were in flight when the target failed; the one that saw the failure first reproduced it; ",
            in_flight + 1
        ),
        Some((k, _)) if *k > 0 => {
            let c = f.candidates.remove(k - 1);
            f.reproducer = c.reproducer;
            f.exchange = c.exchange;
            if let Some(i) = c.case {
                let case = build_case(model, cfg.seed, i);
                f.case = i;
                f.field = case.field.clone();
                f.class = case.class;
                f.variants = Variants::of(case.code, &case.field, case.class, i);
            }
            format!(
                "{} connections were in flight when the target failed; not the one that saw it first but the one that carried case {} reproduced it; ",
                in_flight + 1,
                c.case.map_or("none".to_string(), |i| i.to_string())
            )
        }
        _ => String::new(),
    };
    let outcome = match which {
        Some((_, seq)) => {
            f.candidates.clear();
            Some((true, seq))
        }
        None if t.cut.is_some() => None,
        None => Some((false, first)),
    };
    let mut note = match outcome {
        Some((true, seq)) => {
            f.confirmed = true;
            f.confirmation = Confirmation::new(
                Confirmed::AfterRestart,
                format!(
                    "reproduced: {connection}sent on one connection to the restarted target, the sequence gave the {} again",
                    f.behaviour.name()
                ),
            );
            // The session prelude is not minimized away: `send_exact` sends it first anyway,
            // and the reproducer keeps it in front.
            let steps = model.prelude().len();
            let (prelude, body) = if steps > 0 && model.starts_with_prelude(&seq) {
                let (p, rest) = seq.split_at(steps.min(seq.len()));
                (p.to_vec(), rest.to_vec())
            } else {
                (Vec::new(), seq.clone())
            };
            let (mut min, mut done) = ddmin(&mut t, body, &|c: &[Vec<u8>]| c.to_vec()).await;
            if done {
                if let Some((last, prefix)) = min.split_last() {
                    let (last, prefix) = (last.clone(), prefix.to_vec());
                    let (bytes, d) = ddmin(&mut t, last, &|c: &[u8]| {
                        let mut s = prefix.clone();
                        s.push(c.to_vec());
                        s
                    })
                    .await;
                    min = prefix;
                    min.push(bytes);
                    done = d;
                }
            }
            complete = done;
            if !prelude.is_empty() {
                min = prelude.iter().cloned().chain(min).collect();
            }
            let original: Vec<String> = seq.iter().map(hex::encode).collect();
            let (n0, b0) = (seq.len(), seq.last().map_or(0, Vec::len));
            let (n1, b1) = (min.len(), min.last().map_or(0, Vec::len));
            if min != seq {
                f.original = Some(original);
                f.reproducer = min.iter().map(hex::encode).collect();
            }
            // The request that provokes the behaviour is the last one left.
            f.label_from_reproducer(model);
            if f.occurrences == 1 {
                f.variants = Variants::of(f.code, &f.field, f.class, f.case);
            } else {
                f.variants.codes.insert(f.code);
            }
            format!(
                "{connection}minimized from {n0} requests (last {b0} bytes) to {n1} (last {b1} bytes){}",
                match &t.cut {
                    Some(why) => format!("; stopped early: {why}"),
                    None => String::new(),
                }
            )
        }
        Some((false, _)) => {
            let behaviour = f.behaviour.name();
            let note = if in_flight > 0 {
                format!(
                    "neither the reproducer nor the sequences of the {in_flight} other connections in flight when the target failed gave the {behaviour} again on a restarted target"
                )
            } else {
                format!("the reproducer did not give the {behaviour} again on a restarted target")
            };
            f.confirmation =
                Confirmation::new(Confirmed::NotReproduced, format!("not reproduced: {note}"));
            format!("not minimized: {note}")
        }
        None => {
            let why = t.cut.clone().unwrap_or_else(|| "no test run".into());
            f.confirmation = Confirmation::not_tried(format!("not re-run to the end: {why}"));
            format!("not minimized: {why}")
        }
    };
    // Leave the target running, whatever the last candidate did to it.
    if t.runs > 0 {
        if let Err(e) = restart(&ctl).await {
            note.push_str(&format!("; restarting the target afterwards failed: {e}"));
        }
    }
    f.minimization = Some(Minimization {
        runs: t.runs,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        complete,
        note,
    });
}

/// What replaying a reproducer showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    /// The behaviour came back, in words (`crash: ...`, `hang: ...`, or the conformance
    /// violation).
    Reproduced(String),
    /// The whole reproducer was sent and the target behaved.
    NotReproduced,
    /// Nothing could be sent: no connection to the target (it is not there).
    NoTarget(String),
    /// The reproducer holds no request.
    Empty,
}

/// How long a target that dropped the connection may take to accept again before a replay
/// calls it a crash.
const REPLAY_GRACE: Duration = Duration::from_secs(1);

/// Replay a reproducer exactly as recorded, in order on one connection; returns what the
/// target did to the last request and what that shows. The target must accept the first
/// connection, else nothing is shown ([`Replayed::NoTarget`]); afterwards it must still serve
/// (a probe on that connection, else on new ones for a second), else it crashed or hangs;
/// otherwise the answer to the last request is judged by the protocol's oracle.
pub async fn replay(
    model: &dyn ProtocolModel,
    target: SocketAddr,
    timeout: Duration,
    reproducer: &[Vec<u8>],
) -> (Outcome, Replayed) {
    let Some(req) = reproducer.last() else {
        return (Outcome::Closed, Replayed::Empty);
    };
    let sent = match send_exact(model, target, timeout, timeout, reproducer).await {
        Ok(s) => s,
        Err(e) => return (Outcome::ConnectFailed(e.clone()), Replayed::NoTarget(e)),
    };
    let last = sent.last;
    let verdict = match still_serves(model, target, timeout, REPLAY_GRACE, sent.stream).await {
        Err(why) => Some(why),
        Ok(()) => match &last {
            Outcome::Response(r, _) => model.check(req, false, r),
            Outcome::BadFrame(_, why) => Some(format!("malformed response frame: {why}")),
            Outcome::Silent(_) | Outcome::Timeout(_) => model
                .required_answer(req)
                .map(|why| format!("no answer where the specification requires one: {why}")),
            Outcome::Closed | Outcome::NotSent(_) => model.required_answer(req).map(|why| {
                format!("connection closed without an answer where the specification requires one: {why}")
            }),
            Outcome::ConnectFailed(_) => None,
        },
    };
    let shown = match verdict {
        Some(v) => Replayed::Reproduced(v),
        None => Replayed::NotReproduced,
    };
    (last, shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modbus::Modbus;

    fn cfg() -> Config {
        Config::new(SocketAddr::from(([127, 0, 0, 1], 502)))
    }

    #[test]
    fn the_case_timeout_is_ten_baselines_within_bounds() {
        let second = Duration::from_secs(1);
        assert_eq!(
            case_timeout_for(Some(Duration::from_millis(3)), second),
            Duration::from_millis(30)
        );
        assert_eq!(
            case_timeout_for(Some(Duration::from_micros(10)), second),
            Duration::from_millis(2)
        );
        assert_eq!(case_timeout_for(Some(second), second), second);
        assert_eq!(case_timeout_for(None, second), second);
    }

    #[test]
    fn an_incomplete_request_gets_no_sentinel_and_a_short_wait() {
        let model = Modbus::new(1);
        let mut cfg = cfg();
        cfg.case_timeout = Some(Duration::from_millis(40));
        // MBAP header announcing 6 more bytes, none sent.
        let incomplete = [0, 1, 0, 0, 0, 6, 1];
        assert_eq!(
            send_plan(&model, &cfg, &incomplete, 7),
            (None, Duration::from_millis(1))
        );
        let complete = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
        let (sentinel, wait) = send_plan(&model, &cfg, &complete, 7);
        assert_eq!(sentinel, Some(model.sentinel(&complete, 7)));
        assert_eq!(wait, Duration::from_millis(40));
        cfg.sentinel = false;
        assert_eq!(
            send_plan(&model, &cfg, &incomplete, 7),
            (None, Duration::from_millis(40))
        );
    }

    #[test]
    fn a_connection_finding_is_that_connection_up_to_its_last_case_labelled_by_its_bytes() {
        let model = Modbus::new(1);
        // Case 0 is generated as the model's first message; its bytes are rewritten to carry
        // FC 5, as a mutation may do: the finding is labelled FC 5.
        let mut case = build_case(&model, 9, 0);
        case.bytes[7] = 5;
        let probe = model.probe(1);
        let wire = |to_target, bytes: &[u8], case| Wire {
            to_target,
            bytes: bytes.to_vec(),
            case,
        };
        let log = vec![
            wire(true, &probe, None),
            wire(false, &[0, 1, 0, 0, 0, 5, 1, 3, 2, 0, 0], None),
            wire(true, &case.bytes, Some(0)),
        ];
        let f = connection_finding(
            &model,
            9,
            &case,
            Behaviour::Crash,
            "gone".into(),
            (log.clone(), 0),
        );
        assert_eq!(
            f.reproducer,
            vec![hex::encode(&probe), hex::encode(&case.bytes)]
        );
        assert_eq!(f.code, 5);
        assert!(f.message.starts_with("FC05"), "{}", f.message);
        assert_eq!(f.exchange, log);
        // A longer connection than the log keeps says so.
        let f = connection_finding(&model, 9, &case, Behaviour::Crash, "gone".into(), (log, 7));
        assert!(
            f.observed.contains("7 earlier messages were not kept"),
            "{}",
            f.observed
        );
    }

    #[test]
    fn variable_parts_of_an_oracle_rule_are_abstracted_and_its_ranges_kept() {
        assert_eq!(
            abstract_numbers("transaction id 00A1 does not echo the request's 0002"),
            "transaction id # does not echo the request's #"
        );
        assert_eq!(
            abstract_numbers("normal response where the specification requires exception 03 (illegal data value): quantity 126 outside 1..125"),
            "normal response where the specification requires exception # (illegal data value): quantity # outside 1..125"
        );
        assert_eq!(
            abstract_numbers("output value 0x1234 is neither"),
            "output value # is neither"
        );
        assert_eq!(abstract_numbers("MQTT 3.1.1 CONNACK"), "MQTT 3.1.1 CONNACK");
        assert_eq!(abstract_numbers("length 17."), "length #.");
    }

    proptest::proptest! {
        /// Whatever the oracle's words hold (numbers from a hostile target's answer), the
        /// abstraction does not panic, keeps no hex or decimal number outside a range, and
        /// is stable (abstracting twice changes nothing).
        #[test]
        fn abstraction_is_total_and_stable(text in "[ -~]{0,80}") {
            let once = abstract_numbers(&text);
            proptest::prop_assert_eq!(abstract_numbers(&once), once.clone());
        }
    }

    fn conformance_of(code: u8, qty: u16, class: MutationClass, index: u64, seen: Seen) -> Finding {
        let model = Modbus::new(1);
        let mut case = build_case(&model, 9, index);
        case.class = class;
        case.bytes = vec![0, 1, 0, 0, 0, 6, 1, code, 0, 0];
        case.bytes.extend_from_slice(&qty.to_be_bytes());
        let mut f = finding(
            &case,
            Behaviour::Conformance,
            format!("normal response where the specification requires exception 03 (illegal data value): quantity {qty} outside 1..125; response 00"),
            vec![case.bytes.clone()],
        );
        f.code = u16::from(code);
        f.variants = Variants::of(f.code, &case.field, class, index);
        f.answer_shape = Some(seen.shape(&model));
        f.with_effect(match seen {
            Seen::Closed => Effect::ConnectionLost,
            _ => Effect::WrongAnswer,
        })
    }

    #[test]
    fn findings_fold_by_root_cause_and_count_their_variants() {
        let answer = [0u8, 1, 0, 0, 0, 5, 1, 3, 2, 0, 0];
        let a = conformance_of(3, 0, MutationClass::Boundary, 10, Seen::Answer(&answer));
        let b = conformance_of(4, 200, MutationClass::OffByOne, 21, Seen::Answer(&answer));
        let c = conformance_of(3, 126, MutationClass::Havoc, 32, Seen::Closed);
        // Same rule and the same answer shape, other codes, values and classes: one cause.
        assert_eq!(a.signature, b.signature);
        // The same rule broken by closing the connection is another cause (another effect).
        assert_ne!(a.signature, c.signature);
        assert_eq!(c.effect, Effect::ConnectionLost);
        assert_eq!(c.severity, "medium");
        assert_eq!(a.severity, "low");
        let all = by_root_cause(vec![a.clone(), b, c]);
        assert_eq!(all.len(), 2);
        let folded = &all[0];
        assert_eq!(folded.occurrences, 2);
        assert_eq!(folded.variants.codes, [3, 4].into_iter().collect());
        assert_eq!(
            folded.variants.classes,
            [MutationClass::Boundary, MutationClass::OffByOne]
                .into_iter()
                .collect()
        );
        assert_eq!(folded.variants.examples, vec![10, 21]);
        let total: u64 = all.iter().map(|f| f.occurrences).sum();
        assert_eq!(total, 3);
    }

    #[test]
    fn severity_follows_the_effect() {
        let scores: Vec<f32> = Effect::ALL.iter().map(|e| e.severity().2).collect();
        assert_eq!(scores, vec![7.5, 5.3, 5.3, 3.7]);
        assert_eq!(Behaviour::Crash.effect(), Effect::ServerDown);
        assert_eq!(Behaviour::Hang.effect(), Effect::ServerDown);
        assert_eq!(Behaviour::Degradation.effect(), Effect::ServerDegraded);
        assert_eq!(Behaviour::Conformance.effect(), Effect::WrongAnswer);
    }

    #[test]
    fn outcomes_are_labelled_for_coverage() {
        let d = Duration::ZERO;
        let exception = vec![0, 1, 0, 0, 0, 3, 1, 0x83, 2];
        let m = Modbus::new(1);
        assert_eq!(
            outcome_label(&m, &Outcome::Response(exception, d)),
            "exception"
        );
        assert_eq!(
            outcome_label(&m, &Outcome::Response(vec![0; 9], d)),
            "response"
        );
        assert_eq!(outcome_label(&m, &Outcome::Closed), "closed");
        assert_eq!(outcome_label(&m, &Outcome::Timeout(Vec::new())), "timeout");
    }
}
