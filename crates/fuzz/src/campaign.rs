//! A campaign: the scheduler walks (message type x mutation class) in order, each case built
//! deterministically from the seed and its index; executors run cases on K sessions; monitors
//! (health probe, latency baseline, process watch) and the protocol oracle classify what the
//! target did; findings are de-duplicated and minimized.

use crate::exec::{probe, probe_on, Outcome, Session, MAX_RESPONSE};
use crate::model::ProtocolModel;
use crate::mutate::{mutate, MutationClass, TestCase};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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

    /// Rule-based severity and a suggested CVSS v3.1 vector.
    pub fn severity(self) -> (&'static str, &'static str, f32) {
        match self {
            Behaviour::Crash | Behaviour::Hang => {
                ("high", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5)
            }
            Behaviour::Degradation => (
                "medium",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
                5.3,
            ),
            Behaviour::Conformance => (
                "medium",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N",
                5.3,
            ),
        }
    }
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
    /// Severity and CVSS suggestion.
    pub severity: String,
    /// CVSS v3.1 vector suggestion.
    pub cvss_vector: String,
    /// CVSS v3.1 base score of the vector.
    pub cvss_score: f32,
    /// Catalog requirements.
    pub requirements: Vec<String>,
    /// How many cases showed the same (behaviour, code, field, class).
    pub occurrences: u64,
    /// Re-run alone on a fresh connection, the reproducer gave the same behaviour.
    pub confirmed: bool,
    /// How a crash or hang reproducer was minimized, or why it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimization: Option<Minimization>,
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
    /// The de-duplication key.
    pub fn key(&self) -> (Behaviour, u16, String, MutationClass) {
        (self.behaviour, self.code, self.field.clone(), self.class)
    }
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
    /// Control of a launched target (restart after crash or hang, process exit).
    #[serde(skip)]
    pub control: Control,
}

fn yes() -> bool {
    true
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
    /// Cases run.
    pub cases: u64,
    /// Cases per second so far.
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
    /// Cases run (this run and resumed ones).
    pub cases: u64,
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
}

impl Report {
    /// Fold in the report of the run this one resumed: counts, coverage and findings.
    pub fn merge_previous(&mut self, prev: Report) {
        self.cases += prev.cases;
        for (k, v) in prev.coverage.cells {
            *self.coverage.cells.entry(k).or_default() += v;
        }
        for (k, v) in prev.coverage.pairs {
            *self.coverage.pairs.entry(k).or_default() += v;
        }
        for (k, v) in prev.coverage.outcomes {
            *self.coverage.outcomes.entry(k).or_default() += v;
        }
        for f in prev.findings {
            if let Some(x) = self.findings.iter_mut().find(|x| x.key() == f.key()) {
                x.occurrences += f.occurrences;
            } else {
                self.findings.push(f);
            }
        }
        if self.target_identity.is_empty() {
            self.target_identity = prev.target_identity;
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
    let (bytes, field, valid) = mutate(def, &msg, class, &mut rng);
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

struct Shared {
    findings: Mutex<Vec<Finding>>,
    coverage: Mutex<Coverage>,
    next: AtomicU64,
    done: AtomicU64,
    stop: Arc<AtomicBool>,
    stopped_why: Mutex<Option<String>>,
    recent: Mutex<Vec<Vec<u8>>>,
    restarts: Mutex<u64>,
}

impl Shared {
    fn record(&self, f: Finding) {
        let Ok(mut all) = self.findings.lock() else {
            return;
        };
        if let Some(existing) = all.iter_mut().find(|x| x.key() == f.key()) {
            existing.occurrences += 1;
        } else {
            all.push(f);
        }
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
    let (sev, vector, score) = behaviour.severity();
    Finding {
        behaviour,
        message: case.message.clone(),
        code: case.code,
        field: case.field.clone(),
        class: case.class,
        observed,
        case: case.index,
        reproducer: repro.iter().map(hex::encode).collect(),
        original: None,
        severity: sev.into(),
        cvss_vector: vector.into(),
        cvss_score: score,
        requirements: behaviour
            .requirements()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        occurrences: 1,
        confirmed: false,
        minimization: None,
    }
}

/// The most requests kept in a crash or hang reproducer of a controlled target.
const FAILURE_HISTORY: usize = 16;

/// The requests sent last (by any worker) before `case`, ending with `case`.
fn failure_sequence(shared: &Shared, case: &[u8]) -> Vec<Vec<u8>> {
    let mut seq = shared.recent.lock().map(|r| r.clone()).unwrap_or_default();
    if let Some(i) = seq.iter().rposition(|b| b == case) {
        seq.remove(i);
    }
    seq.push(case.to_vec());
    let n = seq.len();
    if n > FAILURE_HISTORY {
        seq.drain(..n - FAILURE_HISTORY);
    }
    seq
}

/// The target failed (crash or hang) on `case`: record it, then restart the target if we
/// control it, else stop the campaign. `generation` is the restart count the worker saw before
/// sending the case: if another worker restarted the target since, the failure may be that
/// restart, so nothing is recorded.
fn target_failed(
    cfg: &Config,
    shared: &Shared,
    generation: u64,
    case: &TestCase,
    behaviour: Behaviour,
    observed: String,
) {
    let Ok(mut restarts) = shared.restarts.lock() else {
        return;
    };
    if *restarts != generation {
        return;
    }
    let exited = cfg.control.0.as_ref().and_then(|c| c.exited());
    let (behaviour, observed) = match exited {
        Some(how) => (
            Behaviour::Crash,
            format!("{observed}; the target process {how}"),
        ),
        None => (behaviour, observed),
    };
    // A target we control can be restarted to re-run a sequence, so the reproducer is the
    // requests sent before the failure (minimized after the campaign); otherwise the case.
    let f = match &cfg.control.0 {
        Some(_) => finding(
            case,
            behaviour,
            observed,
            failure_sequence(shared, &case.bytes),
        ),
        None => Finding {
            minimization: Some(Minimization::uncontrolled()),
            ..finding(case, behaviour, observed, vec![case.bytes.clone()])
        },
    };
    shared.record(f);
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

async fn target_down(
    cfg: &Config,
    model: &dyn ProtocolModel,
    health: &mut Session,
) -> Option<String> {
    // Give a target that restarts itself the grace period to come back.
    let deadline = Instant::now() + cfg.crash_grace;
    loop {
        match probe_on(health, model, 0xFFFF).await {
            Ok(_) => return None,
            Err(e) if Instant::now() >= deadline => return Some(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
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

/// How many of the last requests sent are kept for reproducers and degradation findings.
const RECENT: usize = 32;

/// One executor: sends cases on its own session and classifies what the target did.
struct Worker {
    model: Arc<dyn ProtocolModel>,
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    /// The connection the cases go over.
    session: Session,
    /// Health probes go over their own connection, kept open between probes (a dead target
    /// resets it, and the reconnect then fails).
    health: Session,
}

async fn worker(
    model: Arc<dyn ProtocolModel>,
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    end: Option<Instant>,
) {
    let mut w = Worker {
        session: Session::new(cfg.target, cfg.case_timeout.unwrap_or(cfg.timeout)),
        health: Session::new(cfg.target, cfg.timeout),
        model,
        cfg,
        shared,
    };
    loop {
        if w.shared.stop.load(Ordering::SeqCst) || end.is_some_and(|e| Instant::now() >= e) {
            return;
        }
        let index = w.shared.next.fetch_add(1, Ordering::SeqCst);
        if let Some(n) = w.cfg.cases {
            if index >= w.cfg.start_at + n {
                return;
            }
        }
        w.run_case(index).await;
        w.shared.done.fetch_add(1, Ordering::SeqCst);
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
fn outcome_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Response(r, _) if r.get(7).is_some_and(|fc| fc & 0x80 != 0) => "exception",
        Outcome::Response(_, _) => "response",
        Outcome::BadFrame(_, _) => "malformed-response",
        Outcome::Closed => "closed",
        Outcome::Timeout(_) => "timeout",
        Outcome::ConnectFailed(_) => "connect-failed",
        Outcome::Silent(_) => "silent",
    }
}

impl Worker {
    /// Send case `index`, note it, and act on what the target did.
    async fn run_case(&mut self, index: u64) {
        let case = build_case(self.model.as_ref(), self.cfg.seed, index);
        let generation = self.shared.restarts.lock().map(|g| *g).unwrap_or(0);
        let (sentinel, wait) = send_plan(self.model.as_ref(), &self.cfg, &case.bytes, index);
        let outcome = self
            .session
            .exchange_within(self.model.as_ref(), &case.bytes, sentinel.as_deref(), wait)
            .await;
        self.remember_sent(&case.bytes);
        self.count_coverage(&case, outcome_label(&outcome));
        let outcome = self.confirm_alone(&case, sentinel.is_some(), outcome).await;
        self.judge(&case, index, generation, outcome).await;
    }

    /// Keep the last [`RECENT`] requests sent (by any worker).
    fn remember_sent(&self, bytes: &[u8]) {
        if let Ok(mut r) = self.shared.recent.lock() {
            r.push(bytes.to_vec());
            let len = r.len();
            if len > RECENT {
                r.drain(..len - RECENT);
            }
        }
    }

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

    /// A suspicious answer seen with a sentinel behind the case is confirmed by sending the
    /// case alone on a fresh connection: the reproducer is the case, nothing else.
    async fn confirm_alone(
        &self,
        case: &TestCase,
        had_sentinel: bool,
        outcome: Outcome,
    ) -> Outcome {
        let model = self.model.as_ref();
        match outcome {
            Outcome::Response(resp, d)
                if had_sentinel && model.check(&case.bytes, case.valid, &resp).is_some() =>
            {
                alone(model, &self.cfg, &case.bytes, d).await
            }
            Outcome::BadFrame(_, _) if had_sentinel => {
                alone(model, &self.cfg, &case.bytes, Duration::ZERO).await
            }
            other => other,
        }
    }

    /// Record a conformance finding whose reproducer is the case alone.
    fn conformance(&self, case: &TestCase, observed: String) {
        self.shared.record(finding(
            case,
            Behaviour::Conformance,
            observed,
            vec![case.bytes.clone()],
        ));
    }

    /// The target failed on `case`: record it (see [`target_failed`]) and start a fresh
    /// connection for the next case.
    fn failed(&mut self, generation: u64, case: &TestCase, behaviour: Behaviour, observed: String) {
        target_failed(
            &self.cfg,
            &self.shared,
            generation,
            case,
            behaviour,
            observed,
        );
        self.session.reset();
    }

    /// Classify the outcome of `case`: a finding, a failed target, or nothing.
    async fn judge(&mut self, case: &TestCase, index: u64, generation: u64, outcome: Outcome) {
        let model = self.model.clone();
        match outcome {
            Outcome::Response(resp, _) if resp.is_empty() => {} // not confirmed
            Outcome::Response(resp, _) => {
                if let Some(why) = model.check(&case.bytes, case.valid, &resp) {
                    self.conformance(case, format!("{why}; response {}", hex::encode(&resp)));
                }
            }
            Outcome::BadFrame(resp, why) => self.conformance(
                case,
                format!(
                    "malformed response frame: {why}; bytes {}",
                    hex::encode(&resp[..resp.len().min(64)])
                ),
            ),
            Outcome::Closed => self.on_closed(case, generation).await,
            Outcome::Silent(_) => {
                if let Some(why) = model.required_answer(&case.bytes) {
                    self.conformance(
                        case,
                        format!("no answer where the specification requires one: {why} (the target answered the request sent right after it)"),
                    );
                }
            }
            Outcome::Timeout(partial) => self.on_timeout(case, index, generation, &partial).await,
            Outcome::ConnectFailed(e) => {
                if let Some(why) = target_down(&self.cfg, model.as_ref(), &mut self.health).await {
                    self.failed(
                        generation,
                        case,
                        Behaviour::Crash,
                        format!("target refuses connections: {e}; {why}"),
                    );
                }
            }
        }
    }

    /// The connection closed. Closing on bad input is legitimate; a target that stays away
    /// is not, and neither is closing where the specification requires an answer.
    async fn on_closed(&mut self, case: &TestCase, generation: u64) {
        let model = self.model.clone();
        let down = target_down(&self.cfg, model.as_ref(), &mut self.health).await;
        if down.is_none() {
            if let Some(why) = model.required_answer(&case.bytes) {
                self.conformance(
                    case,
                    format!("connection closed without an answer where the specification requires one: {why}"),
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
            );
        }
    }

    /// No answer in time. A target that still answers the health probe may owe an answer
    /// (asked again with the full timeout); one that does not has crashed or hangs.
    async fn on_timeout(&mut self, case: &TestCase, index: u64, generation: u64, partial: &[u8]) {
        let model = self.model.clone();
        match probe_on(&mut self.health, model.as_ref(), index).await {
            Ok(_) => {
                if let Some(why) = model.required_answer(&case.bytes) {
                    // The short case timeout may just have been too short: ask again with
                    // the full timeout before calling it a finding.
                    let mut again = Session::new(self.cfg.target, self.cfg.timeout);
                    match again.exchange(model.as_ref(), &case.bytes).await {
                        Outcome::Response(r, _) => {
                            if let Some(bad) = model.check(&case.bytes, case.valid, &r) {
                                self.conformance(
                                    case,
                                    format!("{bad}; response {}", hex::encode(&r)),
                                );
                            }
                        }
                        Outcome::Timeout(_) | Outcome::Closed => self.conformance(
                            case,
                            format!("no answer where the specification requires one: {why}"),
                        ),
                        _ => {}
                    }
                }
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
                );
            }
        }
    }
}

/// Run a campaign. `stop` ends it early (Ctrl-C); `progress` is called about every 250 ms.
///
/// The steps: measure the latency baseline (and derive the case timeout from it), start the
/// workers, watch the target while they run ([`Monitor`]), then minimize the findings and
/// report.
pub async fn run(
    model: Arc<dyn ProtocolModel>,
    cfg: Config,
    stop: Arc<AtomicBool>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Report {
    let started = Instant::now();
    let mut cfg = cfg;
    let baseline = baseline_latency(model.as_ref(), &cfg).await;
    if cfg.case_timeout.is_none() {
        cfg.case_timeout = Some(case_timeout_for(baseline, cfg.timeout));
    }
    let cfg = Arc::new(cfg);
    let pairs_total = (model.messages().len() * MutationClass::ALL.len()) as u64;
    let shared = Arc::new(Shared {
        findings: Mutex::new(Vec::new()),
        coverage: Mutex::new(Coverage {
            pairs_total,
            ..Coverage::default()
        }),
        next: AtomicU64::new(cfg.start_at),
        done: AtomicU64::new(0),
        stop: stop.clone(),
        stopped_why: Mutex::new(None),
        recent: Mutex::new(Vec::new()),
        restarts: Mutex::new(0),
    });
    if baseline.is_none() {
        shared.halt(format!(
            "target {} does not answer the health probe",
            cfg.target
        ));
    }
    let end = cfg.duration.map(|d| started + d);
    let mut tasks = Vec::new();
    for _ in 0..cfg.concurrency.max(1) {
        tasks.push(tokio::spawn(worker(
            model.clone(),
            cfg.clone(),
            shared.clone(),
            end,
        )));
    }
    let mut monitor = Monitor {
        model: model.as_ref(),
        cfg: &cfg,
        shared: &shared,
        baseline,
        last_probe_at: 0,
        last_probe_time: Instant::now(),
        memory_start: cfg.control.0.as_ref().and_then(|c| c.memory_kib()),
        memory_reported: false,
    };
    loop {
        let finished = tasks.iter().all(|t| t.is_finished());
        let done = shared.done.load(Ordering::SeqCst);
        monitor.latency(done).await;
        monitor.memory();
        monitor.process();
        progress(&progress_of(&shared, done, started.elapsed()));
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
    }
    findings.sort_by(|a, b| a.behaviour.cmp(&b.behaviour).then(a.code.cmp(&b.code)));
    let done = shared.done.load(Ordering::SeqCst);
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
        cases: done,
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
    }
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

/// What the progress callback is told: cases done, rate, findings per behaviour, coverage.
fn progress_of(shared: &Shared, done: u64, elapsed: Duration) -> Progress {
    let elapsed = elapsed.as_secs_f64().max(1e-3);
    let findings = shared.findings.lock().map(|f| {
        let mut m = BTreeMap::new();
        for x in f.iter() {
            *m.entry(x.behaviour.name().to_string()).or_insert(0) += 1;
        }
        m
    });
    Progress {
        cases: done,
        rate: done as f64 / elapsed,
        findings: findings.unwrap_or_default(),
        coverage: shared
            .coverage
            .lock()
            .map(|c| c.pair_percent())
            .unwrap_or(0.0),
    }
}

/// The monitors that watch the target while the workers run.
struct Monitor<'a> {
    model: &'a dyn ProtocolModel,
    cfg: &'a Config,
    shared: &'a Shared,
    baseline: Option<Duration>,
    last_probe_at: u64,
    last_probe_time: Instant,
    /// Resident memory of a launched target at the start, KiB.
    memory_start: Option<u64>,
    memory_reported: bool,
}

impl Monitor<'_> {
    /// The case sent last (by any worker), to which a monitor's finding is attributed.
    fn last_case(&self) -> TestCase {
        build_case(
            self.model,
            self.cfg.seed,
            self.shared.next.load(Ordering::SeqCst).saturating_sub(1),
        )
    }

    fn recent(&self) -> Vec<Vec<u8>> {
        self.shared
            .recent
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Degradation monitor: probe latency against the baseline, every `probe_every` cases
    /// and at least once a second.
    async fn latency(&mut self, done: u64) {
        let Some(base) = self.baseline else {
            return;
        };
        if !((done >= self.last_probe_at + self.cfg.probe_every
            || self.last_probe_time.elapsed() >= Duration::from_secs(1))
            && !self.shared.stop.load(Ordering::SeqCst))
        {
            return;
        }
        self.last_probe_at = done;
        self.last_probe_time = Instant::now();
        if let Ok(d) = probe(self.model, self.cfg.target, self.cfg.timeout, 0xFF00).await {
            let limit = base
                .mul_f64(self.cfg.degradation_factor)
                .max(Duration::from_millis(50));
            if d > limit {
                let recent = self.recent();
                self.shared.record(finding(
                    &self.last_case(),
                    Behaviour::Degradation,
                    format!(
                        "health-probe latency {d:?} is over {:.0}x the baseline {base:?}",
                        self.cfg.degradation_factor
                    ),
                    recent,
                ));
            }
        }
    }

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
            let recent = self.recent();
            self.shared.record(finding(
                &self.last_case(),
                Behaviour::Degradation,
                format!(
                    "target resident memory grew from {start} KiB to {now} KiB (over {:.0}x) during the campaign",
                    self.cfg.memory_factor
                ),
                recent,
            ));
        }
    }

    /// Process monitor: a launched target that exits is a crash of the last case sent.
    fn process(&self) {
        let Some(c) = &self.cfg.control.0 else {
            return;
        };
        if let Some(how) = c.exited() {
            let generation = self.shared.restarts.lock().map(|g| *g).unwrap_or(0);
            target_failed(
                self.cfg,
                self.shared,
                generation,
                &self.last_case(),
                Behaviour::Crash,
                format!("the target process {how} during the campaign"),
            );
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
            break;
        }
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
            break;
        }
        if Instant::now() >= budget {
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
    let mut s = Session::new(cfg.target, cfg.case_timeout.unwrap_or(cfg.timeout));
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
        return;
    }
    f.confirmed = true;
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

/// Send `seq` in order on one connection. Each request is followed, as in the campaign, by a
/// sentinel when its framing is complete, and its answer (or the sentinel's) is awaited up to
/// the case timeout before the next request goes out. Stops early when the target drops the
/// connection. The connection is returned, to stay open while the target is observed.
async fn send_sequence(
    model: &dyn ProtocolModel,
    cfg: &Config,
    seq: &[Vec<u8>],
) -> Option<TcpStream> {
    let wait = cfg.case_timeout.unwrap_or(cfg.timeout);
    let mut stream = tokio::time::timeout(cfg.timeout, TcpStream::connect(cfg.target))
        .await
        .ok()?
        .ok()?;
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    for (i, req) in seq.iter().enumerate() {
        let sentinel = (cfg.sentinel && !matches!(model.frame_len(req), Ok(None)))
            .then(|| model.sentinel(req, i as u64));
        let mut out = req.clone();
        if let Some(p) = &sentinel {
            out.extend_from_slice(p);
        }
        stream.write_all(&out).await.ok()?;
        let deadline = Instant::now() + wait;
        'answer: loop {
            loop {
                match model.frame_len(&buf) {
                    Ok(Some(n)) => {
                        let frame: Vec<u8> = buf.drain(..n).collect();
                        match &sentinel {
                            // The request's own answer: its sentinel's comes next.
                            Some(p) if !model.probe_ok(p, &frame) => {}
                            _ => break 'answer,
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        buf.clear();
                        break;
                    }
                }
            }
            if buf.len() >= MAX_RESPONSE {
                buf.clear();
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            match tokio::time::timeout(deadline - now, stream.read(&mut chunk)).await {
                Err(_) => break,
                Ok(Ok(0)) | Ok(Err(_)) => return None,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
    Some(stream)
}

/// What a controlled target does now: `None` if it answers the health probe; a crash if its
/// process exited or it refuses connections for the whole crash grace; a hang if it accepts
/// but does not answer the probe within the timeout.
async fn observe(
    model: &dyn ProtocolModel,
    cfg: &Config,
    ctl: &dyn TargetControl,
) -> Option<Behaviour> {
    let deadline = Instant::now() + cfg.crash_grace;
    loop {
        if ctl.exited().is_some() {
            return Some(Behaviour::Crash);
        }
        match probe(model, cfg.target, cfg.timeout, 0xFFFE).await {
            Ok(_) => return None,
            Err(e) if e.contains("connect") || e.contains("closed") => {
                if Instant::now() >= deadline {
                    return Some(Behaviour::Crash);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(_) => {
                return Some(if ctl.exited().is_some() {
                    Behaviour::Crash
                } else {
                    Behaviour::Hang
                })
            }
        }
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
        let conn = send_sequence(self.model, self.cfg, seq).await;
        let seen = observe(self.model, self.cfg, self.ctl.as_ref()).await;
        drop(conn);
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
        return;
    };
    let seq: Option<Vec<Vec<u8>>> = f.reproducer.iter().map(|h| unhex(h)).collect();
    let Some(seq) = seq.filter(|s| !s.is_empty()) else {
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
    let mut note = match t.test(&seq).await {
        Some(true) => {
            f.confirmed = true;
            let (mut min, mut done) = ddmin(&mut t, seq.clone(), &|c: &[Vec<u8>]| c.to_vec()).await;
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
            let (n0, b0) = (seq.len(), seq.last().map_or(0, Vec::len));
            let (n1, b1) = (min.len(), min.last().map_or(0, Vec::len));
            if min != seq {
                f.original = Some(f.reproducer.clone());
                f.reproducer = min.iter().map(hex::encode).collect();
            }
            format!(
                "minimized from {n0} requests (last {b0} bytes) to {n1} (last {b1} bytes){}",
                match &t.cut {
                    Some(why) => format!("; stopped early: {why}"),
                    None => String::new(),
                }
            )
        }
        Some(false) => format!(
            "not minimized: the reproducer did not give the {} again on a restarted target",
            f.behaviour.name()
        ),
        None => format!(
            "not minimized: {}",
            t.cut.as_deref().unwrap_or("no test run")
        ),
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

/// Replay a finding's reproducer; returns what the target did to the last request.
pub async fn replay(
    model: &dyn ProtocolModel,
    target: SocketAddr,
    timeout: Duration,
    reproducer: &[Vec<u8>],
) -> (Outcome, Option<String>) {
    let Some((req, prefix)) = reproducer.split_last() else {
        return (Outcome::Closed, None);
    };
    // Every request of the reproducer goes on one connection, as in the campaign: the
    // requests before the last one first (each with its sentinel), then the last one.
    let mut s = if prefix.is_empty() {
        Session::new(target, timeout)
    } else {
        let mut cfg = Config::new(target);
        cfg.timeout = timeout;
        match send_sequence(model, &cfg, prefix).await {
            Some(stream) => Session::with_stream(target, timeout, stream),
            None => {
                // The target dropped the connection before the last request.
                let verdict = match probe(model, target, timeout, 1).await {
                    Ok(_) => None,
                    Err(e) => Some(format!("crash: {e}")),
                };
                return (Outcome::Closed, verdict);
            }
        }
    };
    let last = s.exchange(model, req).await;
    let verdict = match &last {
        Outcome::Response(r, _) => model.check(req, false, r),
        Outcome::BadFrame(_, why) => Some(format!("malformed response frame: {why}")),
        Outcome::Silent(_) => model
            .required_answer(req)
            .map(|why| format!("no answer where the specification requires one: {why}")),
        Outcome::Timeout(_) => match probe(model, target, timeout, 1).await {
            Ok(_) => model
                .required_answer(req)
                .map(|why| format!("no answer where the specification requires one: {why}")),
            Err(e) => Some(format!("hang: {e}")),
        },
        Outcome::Closed | Outcome::ConnectFailed(_) => {
            match probe(model, target, timeout, 1).await {
                Ok(_) => model.required_answer(req).map(|why| {
                    format!("connection closed without an answer where the specification requires one: {why}")
                }),
                Err(e) => Some(format!("crash: {e}")),
            }
        }
    };
    (last, verdict)
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
    fn outcomes_are_labelled_for_coverage() {
        let d = Duration::ZERO;
        let exception = vec![0, 1, 0, 0, 0, 3, 1, 0x83, 2];
        assert_eq!(outcome_label(&Outcome::Response(exception, d)), "exception");
        assert_eq!(outcome_label(&Outcome::Response(vec![0; 9], d)), "response");
        assert_eq!(outcome_label(&Outcome::Closed), "closed");
        assert_eq!(outcome_label(&Outcome::Timeout(Vec::new())), "timeout");
    }
}
