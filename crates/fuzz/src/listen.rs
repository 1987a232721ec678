//! Server mode: otproof listens and plays the server (the MQTT broker) to a client under
//! test. Each case is one session: the client is launched (`--target-cmd`, once per case) or,
//! without a command, is expected to connect (again) by itself; otproof accepts its
//! connection, answers what it sends as a conforming server would ([`ClientModel::answer`]),
//! and at the case's stage replaces or follows an answer with the test case: the answer to
//! the client's CONNECT, to its SUBSCRIBE, or a packet sent once the session is set up. When
//! the case is exactly one packet after which a server goes on, a valid liveness probe (an
//! MQTT PUBLISH QoS 1) follows it on the connection.
//!
//! What the client did then decides (the oracle):
//! - **crash**: its process died on a signal, or exited with a crash report on its stderr (a
//!   Python traceback, a sanitizer report, a Rust panic, a segmentation fault); an exit
//!   without one (a client giving up on a refused connection) is allowed;
//! - **hang**: after a probed case it neither closed the connection nor acknowledged the probe
//!   within the timeout; or, without `--target-cmd`, it did not connect again;
//! - **conformance**: it acknowledged the probe (went on with the session) after an answer on
//!   which the specification requires it to close the connection
//!   ([`ClientModel::must_close`]); or, after the case, it sent a packet that breaks one of
//!   its own obligations ([`ClientModel::client_breaks`], e.g. limits a CONNACK case set).
//!
//! Accounting follows [`crate::campaign`]: a case counts only when delivered (the client
//! connected, reached the case's stage, and the case was written on its connection). A first
//! session without a case (the baseline) learns which stages the client reaches (a client
//! that never subscribes gets no SUBACK cases). The command gets the listening port as
//! `{port}` (and `{host}`) in its text and as the environment variables `OTPROOF_PORT` and
//! `OTPROOF_HOST`. A finding's reproducer is every answer otproof wrote on that connection,
//! in order; its exchange records both directions, and [`replay`] plays it back to a fresh
//! client: each answer once the client has sent as many packets as it had before it. Crash
//! and hang findings are then minimized ([`Ddmin`] over the answers around the case, then
//! over the bytes of the case's body, reframed by the model), each candidate replayed to a
//! freshly launched client that must fail the same way; the reproducer and exchange become
//! those of the last session that did, exactly as sent.

use crate::campaign::{
    Behaviour, Config, Confirmed, Coverage, Finding, Minimization, Origin, Progress, Replayed,
    Report,
};
use crate::exec::{Wire, MAX_LOG, MAX_RESPONSE};
use crate::model::{Message, MessageDef};
use crate::mutate::{mutate, MutationClass, TestCase};
use crate::rng::Rng;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Where in a session a case goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// In place of the answer to the client's first packet (MQTT: CONNACK to CONNECT).
    Connect,
    /// In place of the answer to the client's subscription (MQTT: SUBACK to SUBSCRIBE).
    Subscribe,
    /// After the session is set up (after the answer to the subscription if the client
    /// subscribes, else after the answer to its first packet).
    Session,
}

/// What a protocol model provides to the server-mode engine.
pub trait ClientModel: Send + Sync {
    /// Protocol name, e.g. `mqtt-3.1.1-client`.
    fn name(&self) -> &'static str;
    /// The answers otproof mutates, as message types.
    fn messages(&self) -> &[MessageDef];
    /// The length of the complete frame at the start of `buf` (either direction); `Ok(None)`
    /// if more bytes are needed; `Err` if the bytes can never be a frame.
    fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, String>;
    /// The stage a client frame opens, if any.
    fn stage_of(&self, frame: &[u8]) -> Option<Stage>;
    /// The stage a message type's cases go to.
    fn stage(&self, def: usize) -> Stage;
    /// A conforming server's answers to a client frame.
    fn answer(&self, frame: &[u8]) -> Vec<Vec<u8>>;
    /// Whether a client frame ends the session (MQTT DISCONNECT).
    fn ends_session(&self, frame: &[u8]) -> bool;
    /// Fill in what the client's frame `trigger` decides (packet ids, topics) before mutating.
    fn prepare(&self, m: &mut Message, trigger: &[u8], index: u64);
    /// The message code an answer carries, read from its bytes.
    fn code_of(&self, sent: &[u8]) -> Option<u16>;
    /// For an answer that is exactly one frame, sent in reply to `trigger` or after it: the
    /// rule that makes the client close the connection on it, if one does.
    fn must_close(&self, sent: &[u8], trigger: &[u8]) -> Option<String>;
    /// Whether a server goes on with the session after this answer (not after refusing it).
    fn goes_on(&self, sent: &[u8]) -> bool;
    /// A valid frame the client must acknowledge (the liveness probe).
    fn probe(&self, trigger: &[u8]) -> Vec<u8>;
    /// Whether a client frame acknowledges the probe.
    fn probe_ack(&self, frame: &[u8]) -> bool;
    /// The body of a frame that byte-level minimization may cut (MQTT: what follows the
    /// remaining length); `None`: the frame is not cut.
    fn body_of(&self, _frame: &[u8]) -> Option<Vec<u8>> {
        None
    }
    /// A frame like `frame` with another body (MQTT: the same first byte, the remaining
    /// length recomputed).
    fn with_body(&self, _frame: &[u8], _body: &[u8]) -> Option<Vec<u8>> {
        None
    }
    /// For an answer that is exactly one frame: the rule that makes the client reply to it
    /// (MQTT: a PUBCOMP to a PUBREL), if one does; none by default.
    fn must_reply(&self, _sent: &[u8]) -> Option<String> {
        None
    }
    /// Whether a client frame is the reply [`ClientModel::must_reply`] asks for.
    fn is_reply(&self, _sent: &[u8], _frame: &[u8]) -> bool {
        false
    }
    /// A rule of the specification that a client frame sent after the case breaks (the
    /// client's own obligations, such as limits the case set); none by default.
    fn client_breaks(&self, _case: &[u8], _frame: &[u8]) -> Option<String> {
        None
    }
}

/// The most findings of a campaign replayed to confirm them.
pub const MAX_CONFIRM: usize = 10;

/// How long a launched client may take to connect.
pub const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// The most stderr kept from a launched client.
const MAX_STDERR: usize = 64 * 1024;

/// What on a client's stderr marks its exit as a crash.
const CRASH_MARKS: &[&str] = &[
    "Traceback (most recent call last)",
    "AddressSanitizer",
    "UndefinedBehaviorSanitizer",
    "LeakSanitizer",
    "runtime error:",
    "panicked at",
    "Segmentation fault",
    "core dumped",
    "Aborted",
];

/// A client that otproof launches for each session, with `sh -c`; `{port}` and `{host}` in
/// the command are replaced by the listening address, which is also in `OTPROOF_PORT` and
/// `OTPROOF_HOST`.
pub struct ClientProcess {
    cmd: String,
    child: Mutex<Option<Child>>,
    /// What the current launch writes on stderr (a new buffer per launch).
    stderr: Mutex<Arc<Mutex<Vec<u8>>>>,
}

/// How a launched client ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// In words (`exited with status 1`, `died on signal 11`).
    pub how: String,
    /// It died on a signal.
    pub signal: bool,
    /// What it wrote on stderr (at most 64 KiB).
    pub stderr: String,
}

impl Exit {
    /// Whether the exit is a crash: a signal, or a crash report on stderr.
    pub fn crash(&self) -> Option<String> {
        let mark = CRASH_MARKS.iter().find(|m| self.stderr.contains(*m));
        if !self.signal && mark.is_none() {
            return None;
        }
        // The last line first (a traceback's exception, a sanitizer's summary), then the
        // lines before it.
        let lines: Vec<&str> = self.stderr.trim_end().lines().collect();
        let Some((last, before)) = lines.split_last() else {
            return Some(format!("the client process {}", self.how));
        };
        let from = before.len().saturating_sub(5);
        let tail = before[from..].join(" | ");
        Some(if tail.is_empty() {
            format!(
                "the client process {}; its stderr ends: {}",
                self.how,
                otproof_text::quote(last)
            )
        } else {
            format!(
                "the client process {}; its stderr ends: {} (after: {})",
                self.how,
                otproof_text::quote(last),
                otproof_text::quote(&tail)
            )
        })
    }
}

impl ClientProcess {
    /// A client command (not started).
    pub fn new(cmd: &str) -> ClientProcess {
        ClientProcess {
            cmd: cmd.to_string(),
            child: Mutex::new(None),
            stderr: Mutex::new(Arc::new(Mutex::new(Vec::new()))),
        }
    }

    /// The command line for a listening address.
    pub fn command_for(&self, addr: SocketAddr) -> String {
        self.cmd
            .replace("{port}", &addr.port().to_string())
            .replace("{host}", &addr.ip().to_string())
    }

    /// Start the client (stopping a previous one) to connect to `addr`.
    pub fn start(&self, addr: SocketAddr) -> Result<(), String> {
        self.stop();
        let cmd = self.command_for(addr);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec {cmd}"))
            .env("OTPROOF_PORT", addr.port().to_string())
            .env("OTPROOF_HOST", addr.ip().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start '{cmd}': {e}"))?;
        let buf = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut err) = child.stderr.take() {
            let buf = buf.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = err.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut b) = buf.lock() {
                        let room = MAX_STDERR.saturating_sub(b.len());
                        b.extend_from_slice(&chunk[..n.min(room)]);
                    }
                }
            });
        }
        if let Ok(mut s) = self.stderr.lock() {
            *s = buf;
        }
        if let Ok(mut c) = self.child.lock() {
            *c = Some(child);
        }
        Ok(())
    }

    /// If the client has exited: how, with its stderr.
    pub fn exited(&self) -> Option<Exit> {
        let status = {
            let mut c = self.child.lock().ok()?;
            c.as_mut()?.try_wait().ok()??
        };
        // Let the stderr reader catch up with what the process wrote before it ended.
        std::thread::sleep(Duration::from_millis(30));
        let buf = self.stderr.lock().map(|b| b.clone()).ok();
        let stderr = buf
            .and_then(|b| {
                b.lock()
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            })
            .unwrap_or_default();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = status.signal() {
                return Some(Exit {
                    how: format!("died on signal {sig}"),
                    signal: true,
                    stderr,
                });
            }
        }
        Some(Exit {
            how: match status.code() {
                Some(c) => format!("exited with status {c}"),
                None => "exited".into(),
            },
            signal: false,
            stderr,
        })
    }

    /// Stop the client if it runs.
    pub fn stop(&self) {
        if let Ok(mut c) = self.child.lock() {
            if let Some(mut ch) = c.take() {
                let _ = ch.kill();
                let _ = ch.wait();
            }
        }
    }
}

impl Drop for ClientProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One accepted connection: framed reads with a cap, writes, and the record of both ways.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    log: Vec<Wire>,
    dropped: u64,
}

/// What reading the next client frame gave.
enum Got {
    Frame(Vec<u8>),
    Closed,
    Timeout,
    /// Bytes that can never be a frame, or a frame over the read cap.
    Bad(String),
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
            log: Vec::new(),
            dropped: 0,
        }
    }

    fn note(&mut self, w: Wire) {
        if self.log.len() >= MAX_LOG {
            self.log.remove(0);
            self.dropped += 1;
        }
        self.log.push(w);
    }

    async fn read(&mut self, model: &dyn ClientModel, deadline: Instant) -> Got {
        loop {
            match model.frame_len(&self.buf) {
                Ok(Some(n)) => {
                    let frame: Vec<u8> = self.buf.drain(..n).collect();
                    self.note(Wire {
                        to_target: false,
                        bytes: frame.clone(),
                        case: None,
                    });
                    return Got::Frame(frame);
                }
                Ok(None) if self.buf.len() >= MAX_RESPONSE => {
                    return Got::Bad(format!("a frame over {MAX_RESPONSE} bytes"))
                }
                Ok(None) => {}
                Err(e) => return Got::Bad(e),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout(left, self.stream.read(&mut chunk)).await {
                Err(_) => return Got::Timeout,
                Ok(Ok(0)) | Ok(Err(_)) => return Got::Closed,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    async fn write(&mut self, bytes: &[u8], case: Option<u64>) -> Result<(), String> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| format!("writing to the client failed: {e}"))?;
        self.note(Wire {
            to_target: true,
            bytes: bytes.to_vec(),
            case,
        });
        Ok(())
    }

    async fn answer(&mut self, model: &dyn ClientModel, frame: &[u8]) -> Result<(), String> {
        for a in model.answer(frame) {
            self.write(&a, None).await?;
        }
        Ok(())
    }
}

/// What the client did after the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reaction {
    /// It acknowledged the liveness probe: it went on with the session.
    WentOn,
    /// It closed the connection (or sent bytes that are no frame, or DISCONNECT).
    Closed,
    /// Nothing within the timeout after a probed case.
    Silent,
    /// Nothing within the timeout after a case that gets no probe (not judged).
    Waiting,
}

impl Reaction {
    fn label(self) -> &'static str {
        match self {
            Reaction::WentOn => "went-on",
            Reaction::Closed => "closed",
            Reaction::Silent => "silent",
            Reaction::Waiting => "waiting",
        }
    }
}

/// The case a session carries, or the answers it replays.
enum Plan<'a> {
    /// No case: learn which stages the client reaches.
    Baseline,
    /// Case `index` of message type `def`, at `anchor` for session cases.
    Case {
        def: usize,
        class: MutationClass,
        index: u64,
        anchor: Stage,
    },
    /// Replay: answers with the number of client frames that preceded each; the case is the
    /// one with a case index.
    Script(&'a [(usize, Wire)]),
}

/// One session's result.
struct Session {
    /// The client connected.
    connected: bool,
    /// Time from launch to the connection.
    connect_latency: Option<Duration>,
    /// The case as sent, and the client frame it answered or followed.
    case: Option<(TestCase, Vec<u8>)>,
    /// Whether a probe followed the case.
    probed: bool,
    reaction: Reaction,
    /// How the client process crashed, if it did.
    crash: Option<String>,
    /// Why the case was not delivered.
    undelivered: Option<String>,
    /// A rule a client frame after the case broke ([`ClientModel::client_breaks`]).
    broke: Option<String>,
    /// The reply the case required and the client, going on, did not send
    /// ([`ClientModel::must_reply`]).
    unreplied: Option<String>,
    /// Stages the client opened (baseline).
    stages: Vec<Stage>,
    log: Vec<Wire>,
    dropped: u64,
}

impl Session {
    fn empty(why: String) -> Session {
        Session {
            connected: false,
            connect_latency: None,
            case: None,
            probed: false,
            reaction: Reaction::Waiting,
            crash: None,
            undelivered: Some(why),
            broke: None,
            unreplied: None,
            stages: Vec::new(),
            log: Vec::new(),
            dropped: 0,
        }
    }
}

/// Build case `index` of a message type `def` for the client frame `trigger`: generated,
/// prepared from the trigger, then mutated with the class the schedule gives `index`.
pub fn build_case(
    model: &dyn ClientModel,
    seed: u64,
    index: u64,
    def: usize,
    class: MutationClass,
    trigger: &[u8],
) -> Option<TestCase> {
    let d = model.messages().get(def)?;
    let mut rng = Rng::fork(seed, index);
    let mut msg = d.generate(def, &mut rng);
    model.prepare(&mut msg, trigger, index);
    let (bytes, field, valid) = mutate(d, &msg, class, &mut rng);
    Some(TestCase {
        index,
        message: d.name.clone(),
        code: d.code,
        field,
        class,
        valid,
        bytes,
    })
}

/// The message type and class of case `index` over the schedulable message types.
fn schedule(index: u64, defs: &[usize]) -> (usize, MutationClass) {
    let n = defs.len().max(1) as u64;
    let def = defs.get((index % n) as usize).copied().unwrap_or(0);
    let classes = MutationClass::ALL.len() as u64;
    (def, MutationClass::ALL[((index / n) % classes) as usize])
}

/// Drop connections left in the accept queue (a client of an earlier session that came back).
async fn drain(listener: &TcpListener) {
    while let Ok(Ok((s, _))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await {
        drop(s);
    }
}

/// Launch the client (if we control it) and accept its connection.
async fn accept(
    listener: &TcpListener,
    client: Option<&ClientProcess>,
    wait: Duration,
) -> Result<(TcpStream, Duration), String> {
    if client.is_some() {
        // Only connections of a client we launched and stopped can be stale; a client that
        // connects by itself may already be waiting for this session.
        drain(listener).await;
    }
    let addr = listener
        .local_addr()
        .map_err(|e| format!("the listening socket has no address: {e}"))?;
    let started = Instant::now();
    if let Some(c) = client {
        c.start(addr)?;
    }
    let deadline = started + wait;
    loop {
        let slice =
            Duration::from_millis(100).min(deadline.saturating_duration_since(Instant::now()));
        if let Ok(Ok((s, _))) = tokio::time::timeout(slice, listener.accept()).await {
            let _ = s.set_nodelay(true);
            return Ok((s, started.elapsed()));
        }
        if let Some(e) = client.and_then(ClientProcess::exited) {
            return Err(format!(
                "the client process {} before connecting to {addr}",
                e.how
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the client did not connect to {addr} within {wait:?}"
            ));
        }
    }
}

/// Run one session: launch, accept, play the server, deliver the case (or replay the
/// script), watch what the client does, judge its process.
async fn session(
    model: &dyn ClientModel,
    listener: &TcpListener,
    client: Option<&ClientProcess>,
    cfg: &Config,
    seed: u64,
    plan: &Plan<'_>,
) -> Session {
    let (stream, latency) = match accept(listener, client, CONNECT_WAIT).await {
        Ok(x) => x,
        Err(e) => {
            let mut s = Session::empty(e);
            s.crash = client
                .and_then(ClientProcess::exited)
                .and_then(|e| e.crash());
            return s;
        }
    };
    let mut s = Session::empty(String::new());
    s.connected = true;
    s.connect_latency = Some(latency);
    s.undelivered = None;
    let mut conn = Conn::new(stream);
    let timeout = cfg.timeout;
    // Before the case: play the server until the case's stage.
    let mut received = 0usize;
    let mut next_script = 0usize;
    let pre: Result<(), String> = async {
        loop {
            if let Plan::Script(items) = plan {
                while let Some((k, w)) = items.get(next_script) {
                    if *k > received {
                        break;
                    }
                    conn.write(&w.bytes, w.case).await?;
                    if let Some(i) = w.case {
                        let trigger = last_client_frame(&conn.log).unwrap_or_default();
                        let code = model.code_of(&w.bytes).unwrap_or(0);
                        s.case = Some((
                            TestCase {
                                index: i,
                                message: String::new(),
                                code,
                                field: String::new(),
                                class: MutationClass::Valid,
                                valid: false,
                                bytes: w.bytes.clone(),
                            },
                            trigger,
                        ));
                    } else if s.case.is_some() {
                        s.probed = true;
                    }
                    next_script += 1;
                }
                if next_script >= items.len() {
                    return Ok(());
                }
            }
            let frame = match conn.read(model, Instant::now() + timeout).await {
                Got::Frame(f) => f,
                Got::Closed => {
                    return Err("the client closed the connection before the case".into())
                }
                Got::Timeout => {
                    return Err(format!(
                        "the client sent nothing for {timeout:?} before the case's stage"
                    ))
                }
                Got::Bad(e) => return Err(format!("the client sent bytes that are no frame: {e}")),
            };
            received += 1;
            let stage = model.stage_of(&frame);
            if let Some(st) = stage {
                if !s.stages.contains(&st) {
                    s.stages.push(st);
                }
            }
            match plan {
                Plan::Script(_) => {}
                Plan::Baseline => {
                    conn.answer(model, &frame).await?;
                    if stage == Some(Stage::Subscribe) {
                        return Ok(());
                    }
                }
                Plan::Case {
                    def,
                    class,
                    index,
                    anchor,
                } => {
                    let want = model.stage(*def);
                    let (d, class) = (*def, *class);
                    if want != Stage::Session && stage == Some(want) {
                        let case = build_case(model, seed, *index, d, class, &frame)
                            .ok_or("no such message type")?;
                        conn.write(&case.bytes, Some(*index)).await?;
                        s.case = Some((case, frame));
                        return Ok(());
                    }
                    conn.answer(model, &frame).await?;
                    if want == Stage::Session && stage == Some(*anchor) {
                        let case = build_case(model, seed, *index, d, class, &frame)
                            .ok_or("no such message type")?;
                        conn.write(&case.bytes, Some(*index)).await?;
                        s.case = Some((case, frame));
                        return Ok(());
                    }
                }
            }
            if model.ends_session(&frame) {
                return Err("the client ended the session before the case".into());
            }
        }
    }
    .await;
    if let Err(e) = pre {
        if !matches!(plan, Plan::Baseline) || s.stages.is_empty() {
            s.undelivered = Some(e);
        }
    }
    // After the case: probe when the case is one frame after which a server goes on.
    if let (Some((case, trigger)), None) = (&s.case, &s.undelivered) {
        if let Plan::Case { .. } = plan {
            let one_frame = model.frame_len(&case.bytes) == Ok(Some(case.bytes.len()));
            if one_frame && model.goes_on(&case.bytes) {
                let probe = model.probe(trigger);
                s.probed = conn.write(&probe, None).await.is_ok();
            }
        }
        let deadline = Instant::now() + timeout;
        let case = case.bytes.clone();
        // A reply the case requires: after the probe's acknowledgement, wait for it until the
        // deadline.
        let due = model.must_reply(&case);
        let (mut replied, mut went_on) = (false, false);
        s.reaction = loop {
            let got = conn.read(model, deadline).await;
            if let Got::Frame(f) = &got {
                if s.broke.is_none() {
                    s.broke = model.client_breaks(&case, f);
                }
                replied |= due.is_some() && model.is_reply(&case, f);
            }
            let waiting = due.is_some() && !replied;
            let closed = if went_on {
                Reaction::WentOn
            } else {
                Reaction::Closed
            };
            match got {
                Got::Frame(f) if s.probed && !went_on && model.probe_ack(&f) => {
                    went_on = true;
                    if !waiting {
                        break Reaction::WentOn;
                    }
                }
                Got::Frame(_) if went_on && !waiting => break Reaction::WentOn,
                Got::Frame(f) if model.ends_session(&f) => break closed,
                Got::Frame(f) => {
                    if conn.answer(model, &f).await.is_err() {
                        break closed;
                    }
                }
                Got::Closed | Got::Bad(_) => break closed,
                Got::Timeout if went_on => break Reaction::WentOn,
                Got::Timeout if s.probed => break Reaction::Silent,
                Got::Timeout => break Reaction::Waiting,
            }
        };
        if went_on && !replied {
            s.unreplied = due;
        }
    }
    let closed_by_client = s.reaction == Reaction::Closed;
    s.log = std::mem::take(&mut conn.log);
    s.dropped = conn.dropped;
    drop(conn);
    if let Some(c) = client {
        // A client that closed may be on its way out: give it a moment to be seen exited.
        let wait = if closed_by_client || s.undelivered.is_some() {
            Duration::from_millis(500)
        } else {
            Duration::from_millis(50)
        };
        let until = Instant::now() + wait;
        let exit = loop {
            if let Some(e) = c.exited() {
                break Some(e);
            }
            if Instant::now() >= until {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        s.crash = exit.and_then(|e| e.crash());
        c.stop();
    }
    s
}

fn last_client_frame(log: &[Wire]) -> Option<Vec<u8>> {
    log.iter()
        .rev()
        .find(|w| !w.to_target)
        .map(|w| w.bytes.clone())
}

/// The answers of a recorded exchange, each with the number of client frames before it.
pub fn script(exchange: &[Wire]) -> Vec<(usize, Wire)> {
    let mut k = 0;
    let mut out = Vec::new();
    for w in exchange {
        if w.to_target {
            out.push((k, w.clone()));
        } else {
            k += 1;
        }
    }
    out
}

/// The script up to the case and the answer right behind it (the probe, if one was sent);
/// later answers are what the server gives anyway.
fn script_to_case(exchange: &[Wire]) -> Vec<(usize, Wire)> {
    let mut s = script(exchange);
    if let Some(i) = s.iter().position(|(_, w)| w.case.is_some()) {
        let probe_next = s.get(i + 1).is_some_and(|(k, _)| *k == s[i].0);
        s.truncate(if probe_next { i + 2 } else { i + 1 });
    }
    s
}

/// What a session showed: the behaviour and what was observed, if anything is wrong.
fn judge(model: &dyn ClientModel, s: &Session, timeout: Duration) -> Option<(Behaviour, String)> {
    if let Some(c) = &s.crash {
        return Some((Behaviour::Crash, c.clone()));
    }
    let (case, trigger) = s.case.as_ref()?;
    if let Some(why) = &s.broke {
        return Some((
            Behaviour::Conformance,
            format!("after the case the client sent {why}"),
        ));
    }
    if let Some(rule) = &s.unreplied {
        return Some((
            Behaviour::Conformance,
            format!(
                "the client went on with the session (it acknowledged the liveness probe) but did not reply to {rule} within {timeout:?}"
            ),
        ));
    }
    match s.reaction {
        Reaction::Silent => Some((
            Behaviour::Hang,
            format!(
                "after the case the client neither closed the connection nor acknowledged a valid packet that requires an acknowledgement (the liveness probe) within {timeout:?}: it stopped talking"
            ),
        )),
        Reaction::WentOn => model.must_close(&case.bytes, trigger).map(|why| {
            (
                Behaviour::Conformance,
                format!(
                    "the client went on with the session (it acknowledged the liveness probe) after {why}, where it must close the network connection"
                ),
            )
        }),
        Reaction::Closed | Reaction::Waiting => None,
    }
}

fn finding_of(
    model: &dyn ClientModel,
    case: &TestCase,
    behaviour: Behaviour,
    observed: String,
    log: Vec<Wire>,
    dropped: u64,
) -> Finding {
    let observed = if dropped > 0 {
        format!("{observed}; the first {dropped} messages of the connection were not kept")
    } else {
        observed
    };
    let (code, message) = match model.code_of(&case.bytes) {
        Some(c) => (
            c,
            model.messages().iter().find(|m| m.code == c).map_or_else(
                || format!("code {c} (not in the model)"),
                |m| m.name.clone(),
            ),
        ),
        None => (case.code, case.message.clone()),
    };
    let reproducer = log
        .iter()
        .filter(|w| w.to_target)
        .map(|w| hex::encode(&w.bytes))
        .collect();
    let mut f = Finding::new(
        behaviour,
        Origin {
            message,
            code,
            field: case.field.clone(),
            class: case.class,
            case: case.index,
        },
        observed,
        reproducer,
    );
    f.exchange = log;
    f
}

fn record(findings: &mut Vec<Finding>, f: Finding) {
    if let Some(x) = findings.iter_mut().find(|x| x.key() == f.key()) {
        x.occurrences += 1;
    } else {
        findings.push(f);
    }
}

/// Bind the listening socket of a server-mode campaign on `addr` (port 0: any free port);
/// its `local_addr` is the address actually bound, to show before the campaign starts.
pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr)?;
    l.set_nonblocking(true)?;
    Ok(l)
}

fn empty_report(model: &dyn ClientModel, cfg: &Config) -> Report {
    Report {
        protocol: model.name().to_string(),
        config: cfg.clone(),
        cases: 0,
        undelivered: 0,
        skipped: 0,
        next_case: cfg.start_at,
        elapsed: Duration::ZERO,
        baseline: None,
        findings: Vec::new(),
        coverage: Coverage {
            pairs_total: (model.messages().len() * MutationClass::ALL.len()) as u64,
            ..Coverage::default()
        },
        stopped: None,
        target_identity: Vec::new(),
        learned: Default::default(),
        started_unix_ms: crate::campaign::now_unix_ms(),
    }
}

/// Run a server-mode campaign: listen on `cfg.target` (port 0: any free port, reported in
/// the report's config), launch `client` for each session (or wait for the client to connect
/// by itself), and deliver the cases. `stop` ends it early; `progress` is called after every
/// session. Without a baseline session (the client never connected) the report has no
/// baseline and no case.
pub async fn run(
    model: Arc<dyn ClientModel>,
    mut cfg: Config,
    client: Option<Arc<ClientProcess>>,
    stop: Arc<AtomicBool>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Report {
    cfg.concurrency = 1;
    match bind(cfg.target) {
        Ok(l) => run_on(l, model, cfg, client, stop, progress).await,
        Err(e) => {
            let mut report = empty_report(model.as_ref(), &cfg);
            report.stopped = Some(format!("cannot listen on {}: {e}", cfg.target));
            report
        }
    }
}

/// [`run`] on a socket already bound with [`bind`]; `cfg.target` becomes its address.
pub async fn run_on(
    listener: std::net::TcpListener,
    model: Arc<dyn ClientModel>,
    mut cfg: Config,
    client: Option<Arc<ClientProcess>>,
    stop: Arc<AtomicBool>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Report {
    let started = Instant::now();
    cfg.concurrency = 1;
    if let Ok(a) = listener.local_addr() {
        cfg.target = a;
    }
    let mut report = empty_report(model.as_ref(), &cfg);
    let listener = match listener
        .set_nonblocking(true)
        .and_then(|()| TcpListener::from_std(listener))
    {
        Ok(l) => l,
        Err(e) => {
            report.stopped = Some(format!("cannot listen on {}: {e}", cfg.target));
            return report;
        }
    };
    let client = client.as_deref();
    if let Some(c) = client {
        report
            .target_identity
            .push(("client command".into(), c.command_for(cfg.target)));
    }
    // Baseline: a session without a case, to learn the stages the client reaches.
    let base = session(
        model.as_ref(),
        &listener,
        client,
        &cfg,
        cfg.seed,
        &Plan::Baseline,
    )
    .await;
    if !base.connected || !base.stages.contains(&Stage::Connect) {
        report.stopped = Some(format!(
            "baseline session: {}",
            base.undelivered
                .unwrap_or_else(|| "the client did not open a session".into())
        ));
        report.elapsed = started.elapsed();
        return report;
    }
    report.baseline = base.connect_latency;
    let subscribes = base.stages.contains(&Stage::Subscribe);
    let anchor = if subscribes {
        Stage::Subscribe
    } else {
        Stage::Connect
    };
    let defs: Vec<usize> = (0..model.messages().len())
        .filter(|d| subscribes || model.stage(*d) != Stage::Subscribe)
        .collect();
    let deadline = cfg.duration.map(|d| started + d);
    let mut index = cfg.start_at;
    let mut last_delivered: Option<(TestCase, Vec<Wire>)> = None;
    loop {
        if stop.load(Ordering::SeqCst) {
            report.stopped.get_or_insert_with(|| "stopped".into());
            break;
        }
        if cfg
            .cases
            .is_some_and(|n| report.cases + report.undelivered >= n)
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        let (def, class) = schedule(index, &defs);
        let plan = Plan::Case {
            def,
            class,
            index,
            anchor,
        };
        let s = session(model.as_ref(), &listener, client, &cfg, cfg.seed, &plan).await;
        index += 1;
        report.next_case = index;
        if !s.connected && client.is_none() {
            // A client we do not launch that does not come back after a case hangs.
            if let Some((case, log)) = last_delivered.take() {
                let why = s.undelivered.clone().unwrap_or_default();
                let f = finding_of(
                    model.as_ref(),
                    &case,
                    Behaviour::Hang,
                    format!("after the case the client did not connect again: {why}"),
                    log,
                    0,
                );
                record(&mut report.findings, f);
            }
            report.undelivered += 1;
            report.stopped = Some("the client no longer connects".into());
            break;
        }
        let label = match (&s.undelivered, s.crash.is_some()) {
            (_, true) => "crashed",
            (Some(_), false) => "undelivered",
            (None, false) => s.reaction.label(),
        };
        *report.coverage.outcomes.entry(label.into()).or_default() += 1;
        match (&s.case, &s.undelivered) {
            (Some((case, _)), None) => {
                report.cases += 1;
                let c = &mut report.coverage;
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
                if let Some((b, observed)) = judge(model.as_ref(), &s, cfg.timeout) {
                    let f = finding_of(model.as_ref(), case, b, observed, s.log.clone(), s.dropped);
                    record(&mut report.findings, f);
                }
                last_delivered = Some((case.clone(), s.log));
            }
            _ => report.undelivered += 1,
        }
        let elapsed = started.elapsed().as_secs_f64().max(1e-3);
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        for f in &report.findings {
            *by.entry(f.behaviour.name().into()).or_default() += 1;
        }
        progress(&Progress {
            cases: report.cases,
            undelivered: report.undelivered,
            rate: report.cases as f64 / elapsed,
            findings: by,
            coverage: report.coverage.pair_percent(),
        });
    }
    // Confirm findings by replaying each exchange on a fresh client launch: crashes first,
    // then hangs, then conformance findings, at most `MAX_CONFIRM` of them.
    if cfg.minimize {
        if let Some(c) = client {
            report.findings.sort_by_key(|f| f.behaviour);
            for (i, f) in report.findings.iter_mut().enumerate() {
                if i >= MAX_CONFIRM {
                    f.set_confirmation(
                        Confirmed::NotTried,
                        format!("not replayed: only the first {MAX_CONFIRM} findings (crashes, then hangs) are replayed"),
                    );
                    f.minimization = Some(Minimization {
                        runs: 0,
                        elapsed_ms: 0,
                        complete: false,
                        note: format!("not minimized, not replayed: only the first {MAX_CONFIRM} findings (crashes, then hangs) are replayed to confirm them"),
                    });
                    continue;
                }
                let t0 = Instant::now();
                let (shown, _) =
                    replay_on(model.as_ref(), &listener, Some(c), &cfg, &f.exchange).await;
                let back =
                    matches!(&shown, Replayed::Reproduced(b) if b.starts_with(f.behaviour.name()));
                if back {
                    f.set_confirmation(
                        Confirmed::AfterRestart,
                        "its session's answers, replayed to a freshly launched client, gave the same behaviour again",
                    );
                } else {
                    f.set_confirmation(
                        Confirmed::NotReproduced,
                        format!(
                            "not reproduced: its session's answers, replayed to a freshly launched client, gave {}",
                            match &shown {
                                Replayed::Reproduced(b) => format!("another behaviour: {b}"),
                                Replayed::NotReproduced => "nothing: the client behaved".into(),
                                Replayed::NoTarget(e) => format!("no session: {e}"),
                                Replayed::Empty => "nothing: no answer to send".into(),
                            }
                        ),
                    );
                }
                if back && f.behaviour == Behaviour::Conformance {
                    f.minimization = Some(Minimization {
                        runs: 1,
                        elapsed_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
                        complete: false,
                        note: format!(
                            "not minimized (only crashes and hangs are): the reproducer is the exact answers of its session up to the case and the liveness probe ({} packets), replayed on a freshly launched client with the same result",
                            script_to_case(&f.exchange).len()
                        ),
                    });
                    continue;
                }
                if !back {
                    f.minimization = Some(Minimization {
                        runs: 1,
                        elapsed_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
                        complete: false,
                        note: format!(
                            "not minimized: the reproducer is the exact answers of one session ({} packets); replayed on a freshly launched client, the {} did not come back",
                            f.reproducer.len(),
                            f.behaviour.name(),
                        ),
                    });
                    continue;
                }
                let before = f.reproducer.len();
                let shown = match &shown {
                    Replayed::Reproduced(b) => b.clone(),
                    _ => String::new(),
                };
                let (runs, complete) =
                    minimize_client(model.as_ref(), &listener, c, &cfg, f, &shown).await;
                f.minimization = Some(Minimization {
                    runs: runs + 1,
                    elapsed_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
                    complete,
                    note: format!(
                        "minimized by replaying to freshly launched clients (delta debugging over the answers, then over the bytes of the case's body): of {before} answers of the session, the case and {} other answer(s) kept; the reproducer is the exact answers of the last session that gave the {} again{}",
                        script_to_case(&f.exchange).len().saturating_sub(1),
                        f.behaviour.name(),
                        if complete { "" } else { " (cut short by its time bound)" }
                    ),
                });
            }
        }
    }
    report.elapsed = started.elapsed();
    report
}

async fn replay_on(
    model: &dyn ClientModel,
    listener: &TcpListener,
    client: Option<&ClientProcess>,
    cfg: &Config,
    exchange: &[Wire],
) -> (Replayed, String) {
    let (shown, outcome, _) =
        replay_script(model, listener, client, cfg, &script_to_case(exchange)).await;
    (shown, outcome)
}

/// Play a script of answers to a freshly launched client and judge it: what that shows, the
/// client's reaction in words, and the exact exchange of the session.
async fn replay_script(
    model: &dyn ClientModel,
    listener: &TcpListener,
    client: Option<&ClientProcess>,
    cfg: &Config,
    items: &[(usize, Wire)],
) -> (Replayed, String, Vec<Wire>) {
    if items.is_empty() {
        return (Replayed::Empty, String::new(), Vec::new());
    }
    let s = session(model, listener, client, cfg, cfg.seed, &Plan::Script(items)).await;
    if !s.connected {
        return (
            Replayed::NoTarget(s.undelivered.unwrap_or_default()),
            String::new(),
            Vec::new(),
        );
    }
    let outcome = match (&s.undelivered, s.crash.is_some()) {
        (_, true) => "crashed".to_string(),
        (Some(e), false) => format!("not all answers were sent: {e}"),
        (None, false) => s.reaction.label().to_string(),
    };
    let shown = match judge(model, &s, cfg.timeout) {
        Some((b, why)) => Replayed::Reproduced(format!("{}: {why}", b.name())),
        None => Replayed::NotReproduced,
    };
    (shown, outcome, s.log)
}

/// Delta debugging (ddmin with complement removal, down to single items) as a state machine:
/// [`Ddmin::next_candidate`] gives the next candidate to test, [`Ddmin::report`] says whether it still
/// showed the behaviour; [`Ddmin::result`] is the smallest reproducing sequence found.
#[derive(Debug, Clone)]
pub struct Ddmin<T> {
    cur: Vec<T>,
    n: usize,
    i: usize,
    done: bool,
    pending: Option<Vec<T>>,
}

impl<T: Clone> Ddmin<T> {
    /// Start from a sequence that shows the behaviour.
    pub fn new(items: Vec<T>) -> Ddmin<T> {
        Ddmin {
            cur: items,
            n: 2,
            i: 0,
            done: false,
            pending: None,
        }
    }

    /// The next candidate (a non-empty proper subsequence of the current one), or `None`
    /// when the current one is 1-minimal.
    pub fn next_candidate(&mut self) -> Option<Vec<T>> {
        loop {
            if self.done || self.cur.len() < 2 {
                self.done = true;
                return None;
            }
            let len = self.cur.len();
            let chunk = len.div_ceil(self.n);
            if self.i >= self.n {
                if self.n >= len {
                    self.done = true;
                    return None;
                }
                self.n = (self.n * 2).min(len);
                self.i = 0;
                continue;
            }
            let (a, b) = (self.i * chunk, ((self.i + 1) * chunk).min(len));
            self.i += 1;
            if a >= b {
                continue;
            }
            let mut cand = self.cur[..a].to_vec();
            cand.extend_from_slice(&self.cur[b..]);
            if cand.is_empty() {
                continue;
            }
            self.pending = Some(cand.clone());
            return Some(cand);
        }
    }

    /// Whether the last candidate still showed the behaviour.
    pub fn report(&mut self, reproduced: bool) {
        if let Some(c) = self.pending.take() {
            if reproduced {
                self.cur = c;
                self.n = (self.n - 1).max(2);
                self.i = 0;
            }
        }
    }

    /// The smallest reproducing sequence found, and whether it is 1-minimal.
    pub fn result(self) -> (Vec<T>, bool) {
        (self.cur, self.done)
    }
}

/// What a replay must show again for a candidate to count as the same failure: the
/// behaviour and what was observed, up to the lines of a crash report before its last one
/// (a crash is the same when the client dies the same way on the same last line, e.g.
/// `KeyError: 127`, not on another exception).
fn same_failure(shown: &str) -> &str {
    shown.split(" (after: ").next().unwrap_or(shown)
}

/// Minimize a confirmed client finding: delta debugging over the answers otproof wrote
/// before and after the case (the case itself stays), then, for a crash or a hang, over the
/// bytes of the case's body (reframed by the model), each candidate replayed to a freshly
/// launched client that must show the same behaviour again. Bounded by
/// `Config::minimize_failure_time`. The finding's reproducer and exchange become those of
/// the last session that reproduced, exactly as sent. Returns the runs and whether it ran to
/// the end.
async fn minimize_client(
    model: &dyn ClientModel,
    listener: &TcpListener,
    client: &ClientProcess,
    cfg: &Config,
    f: &mut Finding,
    shown: &str,
) -> (u64, bool) {
    let deadline = Instant::now() + cfg.minimize_failure_time;
    let want = same_failure(shown);
    let items = script_to_case(&f.exchange);
    let Some(at) = items.iter().position(|(_, w)| w.case.is_some()) else {
        return (0, true);
    };
    let mut runs = 0u64;
    let mut best: Option<Vec<Wire>> = None;
    // Phase 1: the answers around the case; first the case alone (ddmin never tries the
    // empty set).
    let others: Vec<usize> = (0..items.len()).filter(|i| *i != at).collect();
    let mut alone = false;
    if !others.is_empty() {
        runs += 1;
        let (shown, _, log) =
            replay_script(model, listener, Some(client), cfg, &items[at..=at]).await;
        if matches!(&shown, Replayed::Reproduced(b) if same_failure(b) == want) {
            best = Some(log);
            alone = true;
        }
    }
    let mut dd = Ddmin::new(if alone { Vec::new() } else { others });
    let mut cut = false;
    while let Some(cand) = dd.next_candidate() {
        if Instant::now() >= deadline {
            cut = true;
            break;
        }
        let script: Vec<(usize, Wire)> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| *i == at || cand.contains(i))
            .map(|(_, x)| x.clone())
            .collect();
        runs += 1;
        let (shown, _, log) = replay_script(model, listener, Some(client), cfg, &script).await;
        let ok = matches!(&shown, Replayed::Reproduced(b) if same_failure(b) == want);
        if ok {
            best = Some(log);
        }
        dd.report(ok);
    }
    let (kept, mut complete) = dd.result();
    complete &= !cut;
    let mut script: Vec<(usize, Wire)> = items
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == at || kept.contains(i))
        .map(|(_, x)| x.clone())
        .collect();
    // Phase 2: the bytes of the case's body (crash and hang only: a conformance rule holds
    // for the exact packet).
    let case_at = script.iter().position(|(_, w)| w.case.is_some());
    let body = case_at.and_then(|i| model.body_of(&script[i].1.bytes));
    if let (Some(ci), Some(body), false) = (case_at, body, f.behaviour == Behaviour::Conformance) {
        let frame = script[ci].1.bytes.clone();
        let mut dd = Ddmin::new(body);
        while let Some(cand) = dd.next_candidate() {
            if Instant::now() >= deadline {
                complete = false;
                break;
            }
            let Some(bytes) = model.with_body(&frame, &cand) else {
                dd.report(false);
                continue;
            };
            let mut trial = script.clone();
            trial[ci].1.bytes = bytes;
            runs += 1;
            let (shown, _, log) = replay_script(model, listener, Some(client), cfg, &trial).await;
            let ok = matches!(&shown, Replayed::Reproduced(b) if same_failure(b) == want);
            if ok {
                best = Some(log);
                script = trial;
            }
            dd.report(ok);
        }
    }
    if let Some(log) = best {
        f.reproducer = log
            .iter()
            .filter(|w| w.to_target)
            .map(|w| hex::encode(&w.bytes))
            .collect();
        f.exchange = log;
    }
    (runs, complete)
}

/// Replay a client finding's exchange: listen on `listen` (port 0: any free port), launch
/// `client` (or wait for the client to connect), write each recorded answer once the client
/// has sent as many packets as it had before it, and judge what the client then does as the
/// campaign did. Returns what that shows and the client's reaction in words.
pub async fn replay(
    model: &dyn ClientModel,
    listen: SocketAddr,
    client: Option<&ClientProcess>,
    timeout: Duration,
    exchange: &[Wire],
) -> (Replayed, String) {
    let listener = match TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            return (
                Replayed::NoTarget(format!("cannot listen on {listen}: {e}")),
                String::new(),
            )
        }
    };
    let mut cfg = Config::new(listen);
    cfg.timeout = timeout;
    replay_on(model, &listener, client, &cfg, exchange).await
}

#[cfg(test)]
mod tests {
    use super::Ddmin;

    fn run(items: Vec<u32>, need: &[u32]) -> (Vec<u32>, bool, usize) {
        let mut dd = Ddmin::new(items);
        let mut tests = 0;
        while let Some(c) = dd.next_candidate() {
            tests += 1;
            dd.report(need.iter().all(|n| c.contains(n)));
        }
        let (kept, complete) = dd.result();
        (kept, complete, tests)
    }

    #[test]
    fn ddmin_keeps_exactly_what_is_needed() {
        let (kept, complete, _) = run((0..10).collect(), &[3, 7]);
        assert_eq!(kept, vec![3, 7]);
        assert!(complete);
        let (kept, _, tests) = run(vec![5], &[5]);
        assert_eq!((kept, tests), (vec![5], 0));
    }

    proptest::proptest! {
        #[test]
        fn ddmin_finds_the_needed_items_in_order(
            n in 1usize..24,
            need in proptest::collection::btree_set(0u32..24, 1..4),
        ) {
            let items: Vec<u32> = (0..n as u32).collect();
            let need: Vec<u32> = need.into_iter().filter(|x| (*x as usize) < n).collect();
            proptest::prop_assume!(!need.is_empty());
            let (kept, complete, tests) = run(items, &need);
            proptest::prop_assert_eq!(kept, need);
            proptest::prop_assert!(complete);
            proptest::prop_assert!(tests <= n * n + 2 * n);
        }
    }
}
