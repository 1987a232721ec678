//! Executor: send one test case over TCP and collect what came back, with per-case timeouts
//! and a cap on how much a hostile target can make us read.

use crate::model::ProtocolModel;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most bytes read for one response; a target that sends more is cut off.
pub const MAX_RESPONSE: usize = 64 * 1024;

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A complete response frame (and how long it took).
    Response(Vec<u8>, Duration),
    /// The response bytes cannot be a frame of the protocol.
    BadFrame(Vec<u8>, String),
    /// The target closed or reset the connection without a complete answer.
    Closed,
    /// No complete answer within the timeout (partial bytes, if any).
    Timeout(Vec<u8>),
    /// Could not connect: the request was not delivered.
    ConnectFailed(String),
    /// Connected, but writing the request failed: it was not delivered.
    NotSent(String),
    /// No answer to this request, but the target answered the sentinel sent right after it:
    /// it read the request and chose not to answer (established in one round trip, without
    /// waiting for a timeout).
    Silent(Duration),
}

/// Sentinels whose answers may still arrive on a connection before it is dropped.
const MAX_PENDING: usize = 8;

/// The most messages (both directions) kept in the record of one connection; older ones are
/// dropped (and counted, see [`Session::dropped`]).
pub const MAX_LOG: usize = 512;

/// One message on a connection, as recorded: what otproof wrote or what the target sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Wire {
    /// Written by otproof (to the target); `false`: received from the target.
    pub to_target: bool,
    /// The bytes, exactly.
    #[serde(with = "hex_bytes")]
    pub bytes: Vec<u8>,
    /// The test case this request was (`None`: a sentinel, a probe, or a received chunk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<u64>,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

/// What a pipelined exchange ([`Session::exchange_batch`]) came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Per request, in order: its outcome, or `None` when the batch ended before it was
    /// resolved.
    pub outcomes: Vec<Option<Outcome>>,
    /// Why the batch ended before the sentinel's answer (`None`: it was answered).
    pub end: Option<Outcome>,
}

/// A connection to the target that reconnects when needed.
pub struct Session {
    addr: SocketAddr,
    timeout: Duration,
    stream: Option<TcpStream>,
    /// Bytes read and not yet consumed as a frame.
    buf: Vec<u8>,
    /// Sentinels sent on this connection whose answers have not been read yet; their answers
    /// are skipped when they arrive.
    pending: Vec<Vec<u8>>,
    /// What was written and received on the current (or, after it was dropped, the last)
    /// connection, in order; cleared when a new connection opens.
    log: Vec<Wire>,
    /// Messages dropped from the front of `log` (it keeps the last [`MAX_LOG`]).
    dropped: u64,
    /// The target sent at least one byte on this connection.
    served: bool,
    /// The test case the next written request is (set by [`Session::case`]).
    case: Option<u64>,
    /// How long each answer of the session prelude may take (the session's timeout unless
    /// set by [`Session::prelude_timeout`]).
    prelude_timeout: Duration,
    /// Connections opened so far.
    opened: u64,
    /// The record of the connection before the current one (see [`Session::previous`]).
    previous: Vec<Wire>,
    /// Send a sentinel in a write of its own, only when the request has not been answered
    /// this long after it was written (see [`Session::sentinel_after`]); `None`: in the same
    /// write.
    sentinel_after: Option<Duration>,
}

impl Session {
    /// Not yet connected.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Session {
        Session {
            addr,
            timeout,
            stream: None,
            buf: Vec::new(),
            pending: Vec::new(),
            log: Vec::new(),
            dropped: 0,
            served: false,
            case: None,
            prelude_timeout: timeout,
            opened: 0,
            previous: Vec::new(),
            sentinel_after: None,
        }
    }

    /// A session over a connection already open (requests sent on it before).
    pub fn with_stream(addr: SocketAddr, timeout: Duration, stream: TcpStream) -> Session {
        Session {
            addr,
            timeout,
            stream: Some(stream),
            buf: Vec::new(),
            pending: Vec::new(),
            log: Vec::new(),
            dropped: 0,
            served: false,
            case: None,
            prelude_timeout: timeout,
            opened: 0,
            previous: Vec::new(),
            sentinel_after: None,
        }
    }

    /// Let the session prelude's answers take up to `timeout` (a handshake is not a case:
    /// it gets the campaign's full timeout, not the short per-case one).
    pub fn prelude_timeout(mut self, timeout: Duration) -> Session {
        self.prelude_timeout = timeout;
        self
    }

    /// For a target that does not take two requests in one write (it answers the first and
    /// drops the rest): a sentinel goes in a write of its own, once the request has gone
    /// unanswered for `after` (`None`: in the same write as the request).
    pub fn sentinel_after(mut self, after: Option<Duration>) -> Session {
        self.sentinel_after = after;
        self
    }

    /// The next request written is test case `index` (recorded with it in the log).
    pub fn case(&mut self, index: u64) {
        self.case = Some(index);
    }

    /// What was written and received on the current connection (or on the last one, once it
    /// was dropped and before another opened), in order.
    pub fn log(&self) -> &[Wire] {
        &self.log
    }

    /// Messages of this connection no longer in [`Session::log`] (it keeps the last
    /// [`MAX_LOG`]).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether the target has sent anything at all on this connection.
    pub fn served(&self) -> bool {
        self.served
    }

    /// How many connections this session has opened: it changes when a request had to go
    /// over a new connection.
    pub fn opened(&self) -> u64 {
        self.opened
    }

    /// What the connection before the current one carried (empty before the second
    /// connection): a target that failed after that connection was closed shows it only on
    /// the next, so the earlier record is a candidate reproducer too.
    pub fn previous(&self) -> &[Wire] {
        &self.previous
    }

    /// Whether a connection is open.
    pub fn connected(&self) -> bool {
        self.stream.is_some()
    }

    fn note(&mut self, to_target: bool, bytes: &[u8], case: Option<u64>) {
        if bytes.is_empty() {
            return;
        }
        if !to_target {
            self.served = true;
        }
        self.log.push(Wire {
            to_target,
            bytes: bytes.to_vec(),
            case,
        });
        if self.log.len() > MAX_LOG {
            let n = self.log.len() - MAX_LOG;
            self.log.drain(..n);
            self.dropped += n as u64;
        }
    }

    /// How long to wait for an answer that should take `timeout`: on a connection the target
    /// has not answered yet, at least the prelude's (the campaign's full) timeout, since a
    /// loaded target may be slow to take up a new connection, and a short wait there would
    /// look like a target serving someone else.
    fn first_answer_wait(&self, timeout: Duration) -> Duration {
        if self.served {
            timeout
        } else {
            timeout.max(self.prelude_timeout)
        }
    }

    /// Write `out` on the connection (connecting first if needed); when it was written, the
    /// time it went out. A kept connection the target closed just before the write (after
    /// the check in `connect`) takes nothing: the request was not written, so it goes once
    /// more on a new connection rather than being counted as not delivered.
    async fn write_request(
        &mut self,
        model: &dyn ProtocolModel,
        out: &[u8],
    ) -> Result<Instant, Outcome> {
        let mut tries = if self.stream.is_some() { 2 } else { 1 };
        loop {
            tries -= 1;
            let stream = self.connect(model).await.map_err(Outcome::ConnectFailed)?;
            let start = Instant::now();
            match stream.write_all(out).await {
                Ok(()) => return Ok(start),
                Err(e) => {
                    self.reset();
                    if tries == 0 {
                        return Err(Outcome::NotSent(format!("writing to {}: {e}", self.addr)));
                    }
                }
            }
        }
    }

    /// Drop the connection (the next request reconnects).
    pub fn reset(&mut self) {
        self.stream = None;
        self.buf.clear();
        self.pending.clear();
    }

    /// Connect now (if not connected, running the model's prelude); the error says why not.
    pub async fn open(&mut self, model: &dyn ProtocolModel) -> Result<(), String> {
        self.connect(model).await.map(|_| ())
    }

    /// A kept connection the target has closed (or reset) meanwhile is dropped, so the next
    /// request opens a new one instead of being written into a dead connection; bytes the
    /// target sent meanwhile are kept for the next read.
    fn drop_if_closed(&mut self) {
        let Some(stream) = self.stream.as_ref() else {
            return;
        };
        let mut chunk = [0u8; 4096];
        match stream.try_read(&mut chunk) {
            Ok(0) => self.reset(),
            Ok(n) => {
                quick_ack(stream);
                self.buf.extend_from_slice(&chunk[..n]);
                self.note(false, &chunk[..n], None);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => self.reset(),
        }
    }

    async fn connect(&mut self, model: &dyn ProtocolModel) -> Result<&mut TcpStream, String> {
        self.drop_if_closed();
        if self.stream.is_none() {
            let s = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr))
                .await
                .map_err(|_| format!("connect to {} timed out", self.addr))?
                .map_err(|e| format!("connect to {}: {e}", self.addr))?;
            let _ = s.set_nodelay(true);
            quick_ack(&s);
            self.stream = Some(s);
            self.opened += 1;
            self.previous = std::mem::take(&mut self.log);
            self.dropped = 0;
            self.served = false;
            self.prelude(model).await?;
        }
        self.stream
            .as_mut()
            .ok_or_else(|| "no connection".to_string())
    }

    /// Run the model's session prelude on the new connection, recording it; on a failure the
    /// connection is dropped and the error says which step failed and how.
    async fn prelude(&mut self, model: &dyn ProtocolModel) -> Result<(), String> {
        for (step, req) in model.prelude().iter().enumerate() {
            let Some(stream) = self.stream.as_mut() else {
                return Err("no connection".into());
            };
            if let Err(e) = stream.write_all(req).await {
                self.reset();
                return Err(format!("writing the session prelude to {}: {e}", self.addr));
            }
            self.note(true, req, None);
            let deadline = Instant::now() + self.prelude_timeout;
            let answer = loop {
                match self.read_frame(model, deadline).await {
                    Ok(f) if model.unsolicited(&f) => continue,
                    other => break other,
                }
            };
            let why = match answer {
                Ok(frame) => match model.prelude_check(step, &frame) {
                    Ok(()) => continue,
                    Err(why) => why,
                },
                Err(Outcome::BadFrame(_, why)) => format!("malformed answer: {why}"),
                Err(Outcome::Closed) => "connection closed".into(),
                Err(Outcome::Timeout(_)) => {
                    format!("no answer within {:?}", self.prelude_timeout)
                }
                Err(_) => "no answer".into(),
            };
            self.reset();
            return Err(format!(
                "session prelude step {} refused by {}: {why}",
                step + 1,
                self.addr
            ));
        }
        Ok(())
    }

    /// Send `bytes` and read one response frame.
    pub async fn exchange(&mut self, model: &dyn ProtocolModel, bytes: &[u8]) -> Outcome {
        self.exchange_then(model, bytes, None).await
    }

    /// Send `bytes`, then (when given) a known-good `sentinel` request in the same write, and
    /// read the answer to `bytes`. An in-order server answers the request first and the
    /// sentinel second, so an answer to the sentinel alone means the request was read and left
    /// unanswered ([`Outcome::Silent`]), known without waiting for a timeout. When the
    /// request's framing swallows the sentinel, this degrades to the timeout path. The
    /// sentinel's own answer, when the request was answered, is not waited for: it is skipped
    /// when it arrives (or the connection is dropped after `MAX_PENDING` of them).
    pub async fn exchange_then(
        &mut self,
        model: &dyn ProtocolModel,
        bytes: &[u8],
        sentinel: Option<&[u8]>,
    ) -> Outcome {
        self.exchange_within(model, bytes, sentinel, self.timeout)
            .await
    }

    /// [`Session::exchange_then`] with another timeout for this one request.
    pub async fn exchange_within(
        &mut self,
        model: &dyn ProtocolModel,
        bytes: &[u8],
        sentinel: Option<&[u8]>,
        timeout: Duration,
    ) -> Outcome {
        let case = self.case.take();
        let delayed = sentinel.and(self.sentinel_after);
        let mut out = Vec::with_capacity(bytes.len() + sentinel.map_or(0, <[u8]>::len));
        out.extend_from_slice(bytes);
        if delayed.is_none() {
            out.extend_from_slice(sentinel.unwrap_or_default());
        }
        let start = match self.write_request(model, &out).await {
            Ok(start) => start,
            Err(outcome) => return outcome,
        };
        self.note(true, bytes, case);
        if let (Some(p), None) = (sentinel, delayed) {
            self.note(true, p, None);
        }
        let deadline = start + self.first_answer_wait(timeout);
        // With a delayed sentinel: the first wait is short; when it passes unanswered, the
        // sentinel goes out and the wait goes on to the deadline.
        let mut first_wait = delayed.map(|d| (start + d).min(deadline));
        let frame = loop {
            let frame = match first_wait {
                Some(until) => match self.read_frame_by(model, until).await {
                    Ok(Some(frame)) => frame,
                    Ok(None) => {
                        first_wait = None;
                        let p = sentinel.unwrap_or_default();
                        let written = match self.stream.as_mut() {
                            Some(s) => s.write_all(p).await.is_ok(),
                            None => false,
                        };
                        if written {
                            self.note(true, p, None);
                        }
                        continue;
                    }
                    Err(outcome) => return outcome,
                },
                None => match self.read_frame(model, deadline).await {
                    Ok(frame) => frame,
                    Err(outcome) => return outcome,
                },
            };
            if model.unsolicited(&frame) {
                continue;
            }
            // An answer to an earlier sentinel: skip it.
            match self.pending.iter().position(|p| model.probe_ok(p, &frame)) {
                Some(i) => {
                    self.pending.remove(i);
                }
                None => break frame,
            }
        };
        let elapsed = start.elapsed();
        // A delayed sentinel not sent (the request was answered first) is no sentinel.
        let sentinel = if delayed.is_some() && first_wait.is_some() {
            None
        } else {
            sentinel
        };
        match sentinel {
            Some(p) if model.probe_ok(p, &frame) => {
                // Anything the target sends later for the request is unexpected: start clean.
                self.reset();
                Outcome::Silent(elapsed)
            }
            Some(p) => {
                self.pending.push(p.to_vec());
                if self.pending.len() > MAX_PENDING {
                    self.reset();
                }
                Outcome::Response(frame, elapsed)
            }
            None => {
                if !self.buf.is_empty() {
                    // Trailing bytes belong to nothing we asked for: start clean.
                    self.reset();
                }
                Outcome::Response(frame, elapsed)
            }
        }
    }

    /// Send `bytes` (a case that is not exactly one frame: cut short, or with bytes after its
    /// frame) and then end the connection's sending side (a FIN): nothing can follow it, so
    /// the target's framing cannot swallow a sentinel, and the target's end of the connection
    /// tells at once that it has read everything. Returns the first complete frame the
    /// target sent ([`Outcome::Response`]), [`Outcome::Closed`] when it closed without one
    /// (legitimate: it was told no more bytes come), or a timeout when it did neither. The
    /// connection is not used again.
    pub async fn exchange_closing(
        &mut self,
        model: &dyn ProtocolModel,
        bytes: &[u8],
        timeout: Duration,
    ) -> Outcome {
        let case = self.case.take();
        // A kept connection may carry answers still owed; this case goes on its own.
        self.reset();
        let stream = match self.connect(model).await {
            Ok(s) => s,
            Err(e) => return Outcome::ConnectFailed(e),
        };
        let start = Instant::now();
        if let Err(e) = stream.write_all(bytes).await {
            self.reset();
            return Outcome::NotSent(format!("writing to {}: {e}", self.addr));
        }
        let _ = stream.shutdown().await;
        self.note(true, bytes, case);
        let deadline = start + timeout;
        let outcome = loop {
            match self.read_frame(model, deadline).await {
                Ok(frame) if model.unsolicited(&frame) => continue,
                Ok(frame) => break Outcome::Response(frame, start.elapsed()),
                Err(outcome) => break outcome,
            }
        };
        self.reset();
        outcome
    }

    /// Send several requests and a sentinel behind them in one write, and pair the answers
    /// with the requests by the model's [`ProtocolModel::transaction_key`] (which every
    /// request and the sentinel must have, all different). An in-order server answers the
    /// requests, then the sentinel: when the sentinel's answer arrives, every request still
    /// unanswered was read and left unanswered ([`Outcome::Silent`]). The wait is `timeout`
    /// after the last frame received (the target answers one after another). The batch ends
    /// early at anything else (the connection closed, a timeout, a malformed frame, an answer
    /// to no request in flight): [`Batch::end`] says what, and the requests not answered by
    /// then are left unresolved (`None`), for the caller to send again one at a time.
    pub async fn exchange_batch(
        &mut self,
        model: &dyn ProtocolModel,
        requests: &[(&[u8], u64)],
        sentinel: &[u8],
        timeout: Duration,
    ) -> Batch {
        let mut batch = Batch {
            outcomes: vec![None; requests.len()],
            end: None,
        };
        let keys: Vec<Option<u64>> = requests
            .iter()
            .map(|(r, _)| model.transaction_key(r))
            .collect();
        let sentinel_key = model.transaction_key(sentinel);
        // An earlier sentinel still owed an answer with a key of this batch would make that
        // answer ambiguous: start on a new connection.
        if self.pending.iter().any(|p| {
            model
                .transaction_key(p)
                .is_some_and(|k| keys.contains(&Some(k)))
        }) {
            self.reset();
        }
        let mut out: Vec<u8> = Vec::new();
        for (r, _) in requests {
            out.extend_from_slice(r);
        }
        out.extend_from_slice(sentinel);
        let start = match self.write_request(model, &out).await {
            Ok(start) => start,
            Err(outcome) => {
                batch.end = Some(outcome);
                return batch;
            }
        };
        self.case = None;
        for (r, index) in requests {
            self.note(true, r, Some(*index));
        }
        self.note(true, sentinel, None);
        let mut deadline = start + self.first_answer_wait(timeout);
        loop {
            let frame = match self.read_frame(model, deadline).await {
                Ok(frame) => frame,
                Err(outcome) => {
                    batch.end = Some(outcome);
                    return batch;
                }
            };
            deadline = Instant::now() + timeout;
            if model.unsolicited(&frame) {
                continue;
            }
            let key = model.transaction_key(&frame);
            if key.is_some() && key == sentinel_key && model.probe_ok(sentinel, &frame) {
                let elapsed = start.elapsed();
                let mut silent = false;
                for o in batch.outcomes.iter_mut().filter(|o| o.is_none()) {
                    *o = Some(Outcome::Silent(elapsed));
                    silent = true;
                }
                if silent || !self.buf.is_empty() {
                    // Anything the target sends later for those requests is unexpected.
                    self.reset();
                }
                return batch;
            }
            let slot = (0..requests.len())
                .find(|&i| key.is_some() && keys[i] == key && batch.outcomes[i].is_none());
            match slot {
                Some(i) => batch.outcomes[i] = Some(Outcome::Response(frame, start.elapsed())),
                None => match self.pending.iter().position(|p| model.probe_ok(p, &frame)) {
                    // An answer to a sentinel of an earlier exchange: skip it.
                    Some(i) => {
                        self.pending.remove(i);
                    }
                    None => {
                        self.reset();
                        batch.end = Some(Outcome::BadFrame(
                            frame,
                            "an answer to no request in flight".into(),
                        ));
                        return batch;
                    }
                },
            }
        }
    }

    /// Read until the buffer starts with a complete frame; remove and return it. On failure
    /// the connection is dropped and the outcome says why.
    async fn read_frame(
        &mut self,
        model: &dyn ProtocolModel,
        deadline: Instant,
    ) -> Result<Vec<u8>, Outcome> {
        match self.read_frame_by(model, deadline).await {
            Ok(Some(frame)) => Ok(frame),
            Ok(None) => {
                let bytes = std::mem::take(&mut self.buf);
                self.reset();
                Err(Outcome::Timeout(bytes))
            }
            Err(outcome) => Err(outcome),
        }
    }

    /// [`Session::read_frame`], except that reaching `deadline` keeps the connection and
    /// what was read (`Ok(None)`).
    async fn read_frame_by(
        &mut self,
        model: &dyn ProtocolModel,
        deadline: Instant,
    ) -> Result<Option<Vec<u8>>, Outcome> {
        let mut chunk = [0u8; 4096];
        loop {
            match model.frame_len(&self.buf) {
                Ok(Some(n)) => return Ok(Some(self.buf.drain(..n).collect())),
                Ok(None) => {}
                Err(why) => {
                    let bytes = std::mem::take(&mut self.buf);
                    self.reset();
                    return Err(Outcome::BadFrame(bytes, why));
                }
            }
            if self.buf.len() >= MAX_RESPONSE {
                let bytes = std::mem::take(&mut self.buf);
                self.reset();
                return Err(Outcome::BadFrame(
                    bytes,
                    format!("more than {MAX_RESPONSE} bytes without a complete frame"),
                ));
            }
            let now = Instant::now();
            let read = match self.stream.as_mut() {
                Some(stream) if now >= deadline => match read_now(stream, &mut chunk) {
                    Some(read) => Ok(read),
                    None => return Ok(None),
                },
                Some(stream) => {
                    match tokio::time::timeout(deadline - now, stream.read(&mut chunk)).await {
                        Ok(read) => Ok(read),
                        // The runtime learns that a socket is readable only when it polls
                        // for events, which a busy runtime does late: what arrived in time
                        // may not have been seen yet. Read it directly before giving up.
                        Err(elapsed) => read_now(stream, &mut chunk).ok_or(elapsed),
                    }
                }
                None => {
                    let bytes = std::mem::take(&mut self.buf);
                    self.reset();
                    return Err(Outcome::Timeout(bytes));
                }
            };
            match read {
                Err(_) => return Ok(None),
                Ok(Ok(0)) | Ok(Err(_)) => {
                    self.reset();
                    return Err(Outcome::Closed);
                }
                Ok(Ok(n)) => {
                    if let Some(stream) = self.stream.as_ref() {
                        quick_ack(stream);
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                    self.note(false, &chunk[..n], None);
                }
            }
        }
    }
}

/// Whether the target takes two requests written at once: two health probes in one write
/// on a fresh connection, the first answered within `timeout` and the second within `then`
/// of the first. A target that answers only the first (it reads one frame per read and
/// drops the rest) loses any request sent behind another, sentinels included.
pub async fn takes_two_in_one_write(
    model: &dyn ProtocolModel,
    addr: SocketAddr,
    timeout: Duration,
    then: Duration,
) -> bool {
    let mut s = Session::new(addr, timeout);
    let (a, b) = (model.probe(0xF0F0), model.probe(0xF0F1));
    let mut out = a.clone();
    out.extend_from_slice(&b);
    let Ok(stream) = s.connect(model).await else {
        return false;
    };
    if stream.write_all(&out).await.is_err() {
        return false;
    }
    let mut deadline = Instant::now() + timeout;
    let mut answered = (false, false);
    while !(answered.0 && answered.1) {
        match s.read_frame(model, deadline).await {
            Ok(f) if model.unsolicited(&f) => {}
            Ok(f) if !answered.0 && model.probe_ok(&a, &f) => {
                answered.0 = true;
                deadline = deadline.min(Instant::now() + then);
            }
            Ok(f) if model.probe_ok(&b, &f) => answered.1 = true,
            _ => return false,
        }
    }
    true
}

/// One health probe on a fresh connection: latency if the target answered well.
pub async fn probe(
    model: &dyn ProtocolModel,
    addr: SocketAddr,
    timeout: Duration,
    seq: u64,
) -> Result<Duration, String> {
    probe_on(&mut Session::new(addr, timeout), model, seq).await
}

/// One health probe over `session` (reconnecting if its connection is gone), answered
/// within the session's timeout.
pub async fn probe_on(
    session: &mut Session,
    model: &dyn ProtocolModel,
    seq: u64,
) -> Result<Duration, String> {
    let timeout = session.timeout;
    probe_within(session, model, seq, timeout).await
}

/// Acknowledge what the target sends at once, not after the usual delay (Linux waits up to
/// 40 ms for data to piggyback the acknowledgement on): a target that leaves Nagle's
/// algorithm on (libmodbus servers, mosquitto) holds a small answer back until its previous
/// one is acknowledged, so two answers in a row (a case's and its sentinel's) would otherwise
/// cost that delay each. Linux turns quick acknowledgement off again by itself, so it is set
/// after each read.
fn quick_ack(stream: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

/// One read from `stream` now, bypassing the runtime's record of the socket's readiness
/// (which lags behind when the runtime is busy): `None` when nothing is there to read.
fn read_now(stream: &TcpStream, chunk: &mut [u8]) -> Option<std::io::Result<usize>> {
    use std::io::Read;
    let socket = socket2::SockRef::from(stream);
    match (&*socket).read(chunk) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => None,
        read => Some(read),
    }
}

/// One health probe over `session` (reconnecting if its connection is gone), answered within
/// `timeout`.
pub async fn probe_within(
    session: &mut Session,
    model: &dyn ProtocolModel,
    seq: u64,
    timeout: Duration,
) -> Result<Duration, String> {
    let req = model.probe(seq);
    let reused = session.stream.is_some();
    let mut outcome = session.exchange_within(model, &req, None, timeout).await;
    if reused && matches!(outcome, Outcome::Closed | Outcome::NotSent(_)) {
        // The kept connection may have been closed by the target long ago: ask afresh.
        outcome = session.exchange_within(model, &req, None, timeout).await;
    }
    match outcome {
        Outcome::Response(r, d) if model.probe_ok(&req, &r) => Ok(d),
        Outcome::Response(_, _) => Err("answer to the health probe is not a valid response".into()),
        Outcome::BadFrame(_, why) => Err(format!("malformed answer to the health probe: {why}")),
        Outcome::Closed => Err("connection closed on the health probe".into()),
        Outcome::Timeout(_) => Err(format!("no answer to the health probe within {timeout:?}")),
        Outcome::ConnectFailed(e) => Err(e),
        Outcome::NotSent(e) => Err(format!("health probe not sent: {e}")),
        Outcome::Silent(_) => Err("no answer to the health probe".into()),
    }
}
