//! Multi-message MQTT sequences across two sessions as test cases.
//!
//! A sequence case is a list of steps, each a packet sent on session A or B (each session
//! its own TCP connection opening with its own CONNECT), or the abrupt close of a session's
//! connection. A case is built from the campaign seed and its index alone: a scenario
//! (subscribe/publish/unsubscribe, overlapping normal and shared subscriptions, `#`/`+`
//! filters against `$SYS`, QoS 2 with a duplicate packet id and PUBREL out of order, a
//! session subscribed to its own publications, a will message), then an edit of its steps
//! (none, reorder, duplicate, drop, interleave, reused packet id).
//!
//! The executor sends the steps in order, waits for each step's acknowledgement on its
//! session, acknowledges deliveries as a client must (PUBACK, PUBREC/PUBCOMP), and records
//! which session every packet went and came on. The oracle replays the steps against what
//! was seen and checks only what the specification makes definite, for sessions that sent
//! nothing but well-formed packets after an accepted CONNECT:
//! - each acknowledgement, by the version's single-packet oracle;
//! - a QoS 1 or 2 message, acknowledged (QoS 2: its PUBREL answered), to a topic another
//!   session had a granted subscription for when it was sent, reaches that session;
//! - a message reaches a session only when one of its subscriptions, active at some moment
//!   between publication and completion, matches the topic; topics starting with `$` never
//!   match filters starting with a wildcard ([MQTT-4.7.2-1]); after the UNSUBACK nothing
//!   new is delivered for the filter ([MQTT-3.10.4-2]); No Local holds ([MQTT-3.8.3-3]);
//! - a message is not delivered more often than it was published times the session's
//!   matching subscriptions; a QoS 2 PUBLISH repeated before its PUBREL is one message
//!   ([MQTT-4.3.3-10] in 5.0, [MQTT-4.3.3-2] in 3.1.1);
//! - a will message is published when its connection is closed without DISCONNECT
//!   ([MQTT-3.1.2-8]).

use crate::campaign::{Behaviour, Confirmed, Finding, Origin, Report};
use crate::model::{decode_varint, encode_varint, ProtocolModel};
use crate::mqtt::{packet, packet_len, v5::Mqtt5, Mqtt, Version};
use crate::mutate::MutationClass;
use crate::rng::Rng;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The message code sequence findings carry (no single packet type).
pub const SEQUENCE_CODE: u16 = 0x5E0;

/// The largest frame a broker may send us (the CONNECT's Maximum Packet Size, 1 MiB).
const MAX_FRAME: usize = 1 << 20;

/// Scenarios, in the order cases cycle through them.
pub const SCENARIOS: [&str; 7] = [
    "subscribe-publish-unsubscribe",
    "overlapping-subscriptions",
    "qos2-duplicate-id-pubrel-out-of-order",
    "shared-subscription",
    "own-subscription",
    "wildcards-and-sys",
    "will-on-abrupt-close",
];

/// Edits applied to a scenario's steps.
pub const EDITS: [&str; 6] = [
    "none",
    "reorder",
    "duplicate",
    "drop",
    "interleave",
    "reuse-packet-id",
];

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Session: 0 (A) or 1 (B).
    pub session: u8,
    /// The packet sent; empty: close the session's connection without DISCONNECT.
    pub bytes: Vec<u8>,
}

impl Step {
    /// The reproducer line: `A:hex`, `B:hex`, or `B:close`.
    pub fn line(&self) -> String {
        let s = if self.session == 0 { 'A' } else { 'B' };
        if self.bytes.is_empty() {
            format!("{s}:close")
        } else {
            format!("{s}:{}", hex::encode(&self.bytes))
        }
    }

    /// Parse a reproducer line; `None` when it is not one.
    pub fn parse(line: &str) -> Option<Step> {
        let (s, rest) = line.split_once(':')?;
        let session = match s {
            "A" => 0,
            "B" => 1,
            _ => return None,
        };
        let bytes = if rest == "close" {
            Vec::new()
        } else {
            hex::decode(rest).ok().filter(|b| !b.is_empty())?
        };
        Some(Step { session, bytes })
    }
}

/// Does a reproducer hold session-tagged lines (a sequence reproducer)?
pub fn is_sequence(lines: &[String]) -> bool {
    !lines.is_empty() && lines.iter().all(|l| Step::parse(l).is_some())
}

/// A sequence test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceCase {
    /// Case index.
    pub index: u64,
    /// Scenario name.
    pub scenario: &'static str,
    /// Edit name.
    pub edit: &'static str,
    /// Steps.
    pub steps: Vec<Step>,
}

/// Builds packets of one version.
struct Pk {
    v: Version,
}

impl Pk {
    fn props(&self, out: &mut Vec<u8>, p: &[u8]) {
        if self.v == Version::V5 {
            out.extend(encode_varint(p.len() as u64));
            out.extend_from_slice(p);
        }
    }

    fn connect(&self, id: &str, will: Option<(&str, &[u8])>) -> Vec<u8> {
        match self.v {
            Version::V5 => Mqtt5::new().connect_packet_with(id, will),
            Version::V311 => {
                let flags = if will.is_some() { 0x0E } else { 0x02 };
                let mut b = vec![0, 4, b'M', b'Q', b'T', b'T', 4, flags, 0, 60];
                str16(&mut b, id.as_bytes());
                if let Some((t, p)) = will {
                    str16(&mut b, t.as_bytes());
                    str16(&mut b, p);
                }
                packet(0x10, &b)
            }
        }
    }

    fn publish(&self, qos: u8, id: u16, topic: &str, payload: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        str16(&mut b, topic.as_bytes());
        if qos > 0 {
            b.extend_from_slice(&id.to_be_bytes());
        }
        self.props(&mut b, &[]);
        b.extend_from_slice(payload);
        packet(0x30 | (qos << 1), &b)
    }

    fn subscribe(&self, id: u16, filters: &[(&str, u8)]) -> Vec<u8> {
        let mut b = id.to_be_bytes().to_vec();
        self.props(&mut b, &[]);
        for (f, o) in filters {
            str16(&mut b, f.as_bytes());
            b.push(*o);
        }
        packet(0x82, &b)
    }

    fn unsubscribe(&self, id: u16, filters: &[&str]) -> Vec<u8> {
        let mut b = id.to_be_bytes().to_vec();
        self.props(&mut b, &[]);
        for f in filters {
            str16(&mut b, f.as_bytes());
        }
        packet(0xA2, &b)
    }
}

fn str16(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

fn pubrel(id: u16) -> Vec<u8> {
    let mut b = vec![0x62, 2];
    b.extend_from_slice(&id.to_be_bytes());
    b
}

const PING: [u8; 2] = [0xC0, 0x00];

/// The payload of the publication at step `k` of case `index` (unique within the case).
fn payload(index: u64, k: usize) -> Vec<u8> {
    format!("otproof seq {index} step {k}").into_bytes()
}

/// The step a payload names, if it is one of ours for case `index`.
fn payload_step(index: u64, p: &[u8]) -> Option<usize> {
    std::str::from_utf8(p)
        .ok()?
        .strip_prefix(&format!("otproof seq {index} step "))?
        .parse()
        .ok()
}

/// Build sequence case `index` of a campaign with `seed`.
pub fn build(v: Version, seed: u64, index: u64) -> SequenceCase {
    let scenario_i = (index % SCENARIOS.len() as u64) as usize;
    let edit_i = ((index / SCENARIOS.len() as u64) % EDITS.len() as u64) as usize;
    let pk = Pk { v };
    let root = format!("otproof/q{index:x}");
    let t = format!("{root}/t");
    let id = |s: char| format!("o{:08x}i{index:x}{s}", seed as u32);
    let (a, b) = (id('a'), id('b'));
    let v5 = v == Version::V5;
    let mut steps: Vec<(u8, Vec<u8>)> = vec![(0, pk.connect(&a, None))];
    let pub_step = |steps: &mut Vec<(u8, Vec<u8>)>, s: u8, qos: u8, id: u16, topic: &str| {
        let k = steps.len();
        steps.push((s, pk.publish(qos, id, topic, &payload(index, k))));
    };
    match scenario_i {
        0 => {
            steps.push((1, pk.connect(&b, None)));
            steps.push((1, pk.subscribe(1, &[(&format!("{root}/+"), 1)])));
            pub_step(&mut steps, 0, 1, 1, &t);
            pub_step(&mut steps, 0, 2, 2, &t);
            steps.push((0, pubrel(2)));
            steps.push((1, pk.unsubscribe(2, &[&format!("{root}/+")])));
            pub_step(&mut steps, 0, 1, 3, &t);
        }
        1 => {
            steps.push((1, pk.connect(&b, None)));
            let second = if v5 {
                format!("$share/g{index:x}/{t}")
            } else {
                format!("{root}/+")
            };
            steps.push((1, pk.subscribe(1, &[(&format!("{root}/#"), 2)])));
            steps.push((1, pk.subscribe(2, &[(&second, 1)])));
            pub_step(&mut steps, 0, 1, 1, &t);
            steps.push((1, pk.unsubscribe(3, &[&format!("{root}/#")])));
            pub_step(&mut steps, 0, 1, 2, &t);
            steps.push((1, pk.unsubscribe(4, &[&second])));
            pub_step(&mut steps, 0, 1, 3, &t);
        }
        2 => {
            steps.push((1, pk.connect(&b, None)));
            steps.push((1, pk.subscribe(1, &[(&format!("{root}/#"), 2)])));
            let k = steps.len();
            let p = pk.publish(2, 7, &t, &payload(index, k));
            steps.push((0, p.clone()));
            let mut dup = p;
            dup[0] |= 0x08; // DUP: the same message again
            steps.push((0, dup));
            steps.push((0, pubrel(9))); // no PUBLISH had id 9
            steps.push((0, pubrel(7)));
            steps.push((0, pubrel(7))); // released already
            pub_step(&mut steps, 0, 2, 7, &t); // the id is free again: a new message
            steps.push((0, pubrel(7)));
        }
        3 => {
            steps.push((1, pk.connect(&b, None)));
            let shared = format!("$share/g{index:x}/{t}");
            steps.push((1, pk.subscribe(1, &[(&shared, 1)])));
            pub_step(&mut steps, 0, 1, 1, &t);
            steps.push((1, pk.unsubscribe(2, &[&shared])));
            pub_step(&mut steps, 0, 1, 2, &t);
        }
        4 => {
            // No Local (bit 2) in 5.0: the session's own publications are not delivered.
            let opts = if v5 { 0x05 } else { 0x01 };
            steps.push((0, pk.subscribe(1, &[(&t, opts)])));
            pub_step(&mut steps, 0, 1, 2, &t);
            steps.push((1, pk.connect(&b, None)));
            pub_step(&mut steps, 1, 1, 1, &t);
        }
        5 => {
            steps.push((1, pk.connect(&b, None)));
            steps.push((1, pk.subscribe(1, &[("#", 0), ("+/+", 0)])));
            pub_step(&mut steps, 0, 1, 1, &t);
            pub_step(&mut steps, 0, 1, 2, &format!("{root}/x"));
            steps.push((1, PING.to_vec()));
            steps.push((1, pk.unsubscribe(2, &["#", "+/+"])));
        }
        _ => {
            let will = format!("{root}/will");
            steps.push((0, pk.subscribe(1, &[(&will, 1)])));
            let k = steps.len();
            steps.push((1, pk.connect(&b, Some((&will, &payload(index, k))))));
            steps.push((1, PING.to_vec()));
            steps.push((1, Vec::new()));
        }
    }
    steps.push((0, PING.to_vec()));
    steps.push((1, PING.to_vec()));
    let mut rng = Rng::fork(seed ^ 0x5E0_5E0, index);
    edit(&mut steps, edit_i, &mut rng);
    SequenceCase {
        index,
        scenario: SCENARIOS[scenario_i],
        edit: EDITS[edit_i],
        steps: steps
            .into_iter()
            .map(|(session, bytes)| Step { session, bytes })
            .collect(),
    }
}

fn edit(steps: &mut Vec<(u8, Vec<u8>)>, which: usize, rng: &mut Rng) {
    let n = steps.len();
    if n < 3 {
        return;
    }
    // Never the first step (A's CONNECT).
    let pick = |rng: &mut Rng, below: usize| 1 + rng.below((below - 1) as u64) as usize;
    match which {
        1 => {
            let i = pick(rng, n - 1);
            steps.swap(i, i + 1);
        }
        2 => {
            let i = pick(rng, n);
            let s = steps[i].clone();
            steps.insert(i + 1, s);
        }
        3 => {
            let i = pick(rng, n);
            steps.remove(i);
        }
        4 => {
            let bs: Vec<usize> = (1..n).filter(|i| steps[*i].0 == 1).collect();
            if let Some(&i) = bs.get(rng.below(bs.len().max(1) as u64) as usize) {
                let s = steps.remove(i);
                let j = pick(rng, n);
                steps.insert(j.min(steps.len()), s);
            }
        }
        5 => {
            // A later QoS 1/2 PUBLISH takes the packet id of an earlier one of its session.
            let pubs: Vec<usize> = (0..n)
                .filter(|i| {
                    steps[*i]
                        .1
                        .first()
                        .is_some_and(|b| b >> 4 == 3 && b & 6 != 0)
                })
                .collect();
            if pubs.len() >= 2 {
                let (i, j) = (pubs[0], pubs[pubs.len() - 1]);
                if let (Some(a), Some(b)) = (id_offset(&steps[i].1), id_offset(&steps[j].1)) {
                    let id = [steps[i].1[a], steps[i].1[a + 1]];
                    steps[j].1[b..b + 2].copy_from_slice(&id);
                }
            }
        }
        _ => {}
    }
}

/// Where a QoS 1/2 PUBLISH's packet id sits.
fn id_offset(p: &[u8]) -> Option<usize> {
    let (_, used) = decode_varint(p.get(1..)?).ok()??;
    let at = 1 + used;
    let n = usize::from(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]));
    let off = at + 2 + n;
    (p.len() >= off + 2).then_some(off)
}

/// A packet received on a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Session it came on.
    pub session: u8,
    /// Steps sent when it was read (it came after step `after - 1`).
    pub after: usize,
    /// The packet.
    pub frame: Vec<u8>,
}

/// What the executor saw.
#[derive(Debug, Clone, Default)]
pub struct Execution {
    /// Everything received, in order.
    pub received: Vec<Received>,
    /// Per step: the index in `received` of its acknowledgement, if one came.
    pub answer: Vec<Option<usize>>,
    /// Per session: the step count when the target closed its connection, if it did.
    pub closed_by_target: [Option<usize>; 2],
    /// Everything sent, in order: (session, bytes), steps and our acknowledgements.
    pub sent: Vec<(u8, Vec<u8>)>,
    /// Steps that could not be delivered (no connection, write failed), with why.
    pub undelivered: Option<String>,
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// The answer a step needs: (packet type byte, packet id to echo).
fn expected(bytes: &[u8]) -> Option<(u8, Option<u16>)> {
    let first = *bytes.first()?;
    let (_, used) = decode_varint(bytes.get(1..)?).ok()??;
    let id_at = |i: usize| Some(u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]));
    match first {
        0x10 => Some((0x20, None)),
        0x32 | 0x34 | 0x3A | 0x3C | 0x33 | 0x35 | 0x3B | 0x3D => {
            let off = id_offset(bytes)?;
            Some((if first & 6 == 2 { 0x40 } else { 0x50 }, id_at(off)))
        }
        0x62 => Some((0x70, id_at(1 + used))),
        0x82 => Some((0x90, id_at(1 + used))),
        0xA2 => Some((0xB0, id_at(1 + used))),
        0xC0 => Some((0xD0, None)),
        _ => None,
    }
}

fn answers(frame: &[u8], want: (u8, Option<u16>)) -> bool {
    let Some(&first) = frame.first() else {
        return false;
    };
    if first != want.0 {
        return false;
    }
    match want.1 {
        None => true,
        Some(id) => decode_varint(&frame[1..])
            .ok()
            .flatten()
            .and_then(|(_, used)| frame.get(1 + used..3 + used))
            .is_some_and(|b| b == id.to_be_bytes()),
    }
}

impl Execution {
    fn note(&mut self, session: u8, after: usize, frame: Vec<u8>) -> usize {
        self.received.push(Received {
            session,
            after,
            frame,
        });
        self.received.len() - 1
    }
}

/// Read what is there on either session until `deadline` or until `until` says stop;
/// acknowledge deliveries. Returns when the deadline passes or `until` holds.
async fn pump(
    conns: &mut [Option<Conn>; 2],
    ex: &mut Execution,
    after: usize,
    deadline: Instant,
    until: &mut (dyn FnMut(&Execution) -> bool + Send),
) {
    while !until(ex) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let [c0, c1] = conns;
        let read = async |c: &mut Option<Conn>| -> Option<std::io::Result<Vec<u8>>> {
            match c {
                Some(c) => {
                    let mut chunk = vec![0u8; 4096];
                    Some(c.stream.read(&mut chunk).await.map(|n| {
                        chunk.truncate(n);
                        chunk
                    }))
                }
                None => std::future::pending().await,
            }
        };
        let r = tokio::time::timeout(deadline - now, async {
            tokio::select! {
                r = read(c0) => (0u8, r),
                r = read(c1) => (1u8, r),
            }
        })
        .await;
        let Ok((s, Some(r))) = r else {
            return;
        };
        let si = usize::from(s);
        match r {
            Ok(chunk) if !chunk.is_empty() => {
                let mut acks = Vec::new();
                if let Some(c) = conns[si].as_mut() {
                    c.buf.extend_from_slice(&chunk);
                    loop {
                        match packet_len(&c.buf) {
                            Ok(Some(n)) if n <= MAX_FRAME => {
                                let frame: Vec<u8> = c.buf.drain(..n).collect();
                                if let Some(a) = client_ack(&frame) {
                                    acks.push(a);
                                }
                                ex.note(s, after, frame);
                            }
                            Ok(None) if c.buf.len() <= MAX_FRAME => break,
                            _ => {
                                // Unframeable or oversized: end this session.
                                conns[si] = None;
                                ex.closed_by_target[si].get_or_insert(after);
                                break;
                            }
                        }
                    }
                }
                for a in acks {
                    if let Some(c) = conns[si].as_mut() {
                        if c.stream.write_all(&a).await.is_ok() {
                            ex.sent.push((s, a));
                        }
                    }
                }
            }
            _ => {
                conns[si] = None;
                ex.closed_by_target[si].get_or_insert(after);
            }
        }
    }
}

/// What a client answers to a packet a broker sends: PUBACK, PUBREC, PUBCOMP.
fn client_ack(frame: &[u8]) -> Option<Vec<u8>> {
    let first = *frame.first()?;
    let (_, used) = decode_varint(frame.get(1..)?).ok()??;
    let id_at = |i: usize| Some([*frame.get(i)?, *frame.get(i + 1)?]);
    let (kind, id) = match first >> 4 {
        3 if first & 6 == 2 => (0x40, id_at(id_offset(frame)?)?),
        3 if first & 6 == 4 => (0x50, id_at(id_offset(frame)?)?),
        6 => (0x70, id_at(1 + used)?),
        _ => return None,
    };
    Some(vec![kind, 2, id[0], id[1]])
}

/// Run a sequence against `target`: each step on its session, waiting up to `timeout` for
/// its answer; then up to `timeout` for deliveries the oracle still expects.
pub async fn execute(
    v: Version,
    target: SocketAddr,
    timeout: Duration,
    steps: &[Step],
) -> Execution {
    let mut ex = Execution {
        answer: vec![None; steps.len()],
        ..Execution::default()
    };
    let mut conns: [Option<Conn>; 2] = [None, None];
    for (k, step) in steps.iter().enumerate() {
        let si = usize::from(step.session.min(1));
        if step.bytes.is_empty() {
            conns[si] = None;
            ex.sent.push((step.session, Vec::new()));
            continue;
        }
        if conns[si].is_none() {
            // First use, or the target closed it: later steps of this session go on a new
            // connection that starts without CONNECT, exactly as recorded (the oracle judges
            // nothing on such a session).
            match tokio::time::timeout(timeout, TcpStream::connect(target)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    conns[si] = Some(Conn {
                        stream,
                        buf: Vec::new(),
                    });
                }
                Ok(Err(e)) => {
                    ex.undelivered = Some(format!("connect to {target}: {e}"));
                    return ex;
                }
                Err(_) => {
                    ex.undelivered = Some(format!("connect to {target} timed out"));
                    return ex;
                }
            }
        }
        let Some(c) = conns[si].as_mut() else {
            continue;
        };
        if let Err(e) = c.stream.write_all(&step.bytes).await {
            // Written into a connection the target closed: recorded as closed.
            conns[si] = None;
            ex.closed_by_target[si].get_or_insert(k);
            if k == 0 {
                ex.undelivered = Some(format!("writing to {target}: {e}"));
                return ex;
            }
            continue;
        }
        ex.sent.push((step.session, step.bytes.clone()));
        if let Some(want) = expected(&step.bytes) {
            let start = ex.received.len();
            let mut until = |e: &Execution| {
                e.received[start..]
                    .iter()
                    .any(|r| usize::from(r.session) == si && answers(&r.frame, want))
                    || e.closed_by_target[si].is_some_and(|c| c > k)
                    || e.closed_by_target[si] == Some(k + 1)
            };
            pump(
                &mut conns,
                &mut ex,
                k + 1,
                Instant::now() + timeout,
                &mut until,
            )
            .await;
            ex.answer[k] = ex.received[start..]
                .iter()
                .position(|r| usize::from(r.session) == si && answers(&r.frame, want))
                .map(|p| p + start);
        } else {
            // No answer due: give the target a moment to react (or close).
            let mut never = |_: &Execution| false;
            pump(
                &mut conns,
                &mut ex,
                k + 1,
                Instant::now() + Duration::from_millis(5),
                &mut never,
            )
            .await;
        }
    }
    let deadline = Instant::now() + timeout;
    let mut settled = |e: &Execution| judge(v, 0, steps, e).missing == 0;
    pump(&mut conns, &mut ex, steps.len(), deadline, &mut settled).await;
    ex
}

/// What the oracle concluded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Violations of definite requirements, each with its normative reference.
    pub violations: Vec<String>,
    /// Deliveries still expected (not a violation while the executor waits).
    pub missing: usize,
}

/// Does topic filter `f` match topic name `t` (4.7): `+` one level, `#` the rest, and no
/// filter starting with a wildcard matches a topic starting with `$` ([MQTT-4.7.2-1]).
pub fn matches(f: &str, t: &str) -> bool {
    if t.starts_with('$') && (f.starts_with('+') || f.starts_with('#')) {
        return false;
    }
    let mut fl = f.split('/');
    let mut tl = t.split('/');
    loop {
        match (fl.next(), tl.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The filter inside `$share/{name}/{filter}`.
fn shared_inner(f: &str) -> &str {
    f.splitn(3, '/').nth(2).unwrap_or_default()
}

/// A subscription as the oracle tracks it.
#[derive(Debug, Clone)]
struct Sub {
    session: u8,
    filter: String,
    /// The filter a topic is matched against (a shared one's inner filter in 5.0).
    inner: String,
    shared: bool,
    no_local: bool,
    /// Step of the SUBSCRIBE.
    from: usize,
    /// Granted (SUBACK with a success code seen before the next step).
    granted: bool,
    /// Step of the UNSUBSCRIBE whose UNSUBACK came, if one did.
    until: Option<usize>,
}

/// A publication as the oracle tracks it.
#[derive(Debug, Clone)]
struct Publication {
    session: u8,
    topic: String,
    payload: Vec<u8>,
    qos: u8,
    /// Step of the (first) PUBLISH.
    from: usize,
    /// Step at which it was complete (PUBACK seen, or PUBCOMP of its PUBREL seen).
    done: Option<usize>,
    /// Packet id.
    id: u16,
    /// Copies sent before its PUBREL (QoS 2 repeated).
    repeats: u32,
}

/// Parsed PUBLISH: (qos, dup, topic, packet id, payload).
fn parse_publish(v: Version, p: &[u8]) -> Option<(u8, bool, String, u16, Vec<u8>)> {
    let first = *p.first()?;
    if first >> 4 != 3 || packet_len(p).ok()?? != p.len() {
        return None;
    }
    let (_, used) = decode_varint(&p[1..]).ok()??;
    let body = &p[1 + used..];
    let qos = (first >> 1) & 3;
    let n = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let topic = std::str::from_utf8(body.get(2..2 + n)?).ok()?.to_string();
    let mut i = 2 + n;
    let mut id = 0;
    if qos > 0 {
        id = u16::from_be_bytes([*body.get(i)?, *body.get(i + 1)?]);
        i += 2;
    }
    if v == Version::V5 {
        let (len, u) = decode_varint(body.get(i..)?).ok()??;
        i += u + usize::try_from(len).ok()?;
    }
    Some((qos, first & 8 != 0, topic, id, body.get(i..)?.to_vec()))
}

/// Topic filters and option bytes of a SUBSCRIBE, or the filters of an UNSUBSCRIBE.
fn filters(v: Version, p: &[u8], with_options: bool) -> Option<Vec<(String, u8)>> {
    let (_, used) = decode_varint(p.get(1..)?).ok()??;
    let body = p.get(1 + used..)?;
    let mut i = 2;
    if v == Version::V5 {
        let (len, u) = decode_varint(body.get(i..)?).ok()??;
        i += u + usize::try_from(len).ok()?;
    }
    let mut out = Vec::new();
    while i < body.len() {
        let n = usize::from(u16::from_be_bytes([*body.get(i)?, *body.get(i + 1)?]));
        let f = std::str::from_utf8(body.get(i + 2..i + 2 + n)?)
            .ok()?
            .to_string();
        i += 2 + n;
        let o = if with_options {
            i += 1;
            *body.get(i - 1)?
        } else {
            0
        };
        out.push((f, o));
    }
    Some(out)
}

/// Reason codes at the end of a SUBACK or UNSUBACK (5.0 after its properties).
fn ack_codes(v: Version, frame: &[u8]) -> Vec<u8> {
    let Some((_, used)) = decode_varint(frame.get(1..).unwrap_or(&[])).ok().flatten() else {
        return Vec::new();
    };
    let mut i = 1 + used + 2;
    if v == Version::V5 {
        match decode_varint(frame.get(i..).unwrap_or(&[])) {
            Ok(Some((len, u))) => i += u + len as usize,
            _ => return Vec::new(),
        }
    }
    frame.get(i..).unwrap_or(&[]).to_vec()
}

/// Is this well-formed packet one the version's oracle calls valid?
fn valid(v: Version, p: &[u8]) -> bool {
    match v {
        Version::V311 => crate::mqtt::is_valid(p),
        Version::V5 => matches!(
            Mqtt5::new().judge(p),
            Some(crate::mqtt::v5::Judged::Valid(_))
        ),
    }
}

/// The success of an acknowledgement: a short one, or its reason code below 0x80.
fn ack_ok(frame: &[u8]) -> bool {
    frame.get(1) == Some(&2) || frame.get(4).is_some_and(|c| *c < 0x80)
}

/// Judge an execution of `steps` (case `index`, whose payloads name their steps).
pub fn judge(v: Version, index: u64, steps: &[Step], ex: &Execution) -> Verdict {
    let model: Box<dyn ProtocolModel> = match v {
        Version::V311 => Box::new(Mqtt::new()),
        Version::V5 => Box::new(Mqtt5::new()),
    };
    let n = steps.len();
    let mut out = Verdict::default();
    // Per session: tainted from this step on; connected (CONNACK accepted) from this step.
    let mut tainted: [Option<usize>; 2] = [None, None];
    let mut connected: [Option<usize>; 2] = [None, None];
    let mut will: [Option<(String, Vec<u8>)>; 2] = [None, None];
    let mut abrupt: [Option<usize>; 2] = [None, None];
    let mut subs: Vec<Sub> = Vec::new();
    let mut pubs: Vec<Publication> = Vec::new();
    for (k, st) in steps.iter().enumerate() {
        let s = usize::from(st.session.min(1));
        if tainted[s].is_some() {
            continue;
        }
        if ex.closed_by_target[s].is_some_and(|c| c <= k) {
            tainted[s] = Some(k);
            continue;
        }
        if st.bytes.is_empty() {
            abrupt[s] = Some(k);
            tainted[s] = Some(k);
            continue;
        }
        let answer = ex
            .answer
            .get(k)
            .copied()
            .flatten()
            .and_then(|i| ex.received.get(i));
        let first = st.bytes[0];
        if first == 0x10 {
            let ok = connected[s].is_none()
                && answer.is_some_and(|a| model.prelude_check(0, &a.frame).is_ok());
            if !ok {
                tainted[s] = Some(k);
                continue;
            }
            connected[s] = Some(k);
            will[s] = will_of(&st.bytes);
            continue;
        }
        if connected[s].is_none() || !valid(v, &st.bytes) {
            tainted[s] = Some(k);
            continue;
        }
        // The acknowledgement, by the single-packet oracle.
        match answer {
            Some(a) => {
                if let Some(why) = model.check(&st.bytes, true, &a.frame) {
                    out.violations
                        .push(format!("step {k} ({}): {why}", st.line()));
                }
            }
            None if ex.closed_by_target[s].is_some() => {
                if let Some(why) = model.required_answer(&st.bytes) {
                    out.violations.push(format!(
                        "step {k} ({}): connection closed without an answer: {why}",
                        st.line()
                    ));
                }
                tainted[s] = Some(k);
                continue;
            }
            None => {}
        }
        match first >> 4 {
            3 => {
                let Some((qos, _, topic, id, payload)) = parse_publish(v, &st.bytes) else {
                    continue;
                };
                if let Some(p) = pubs.iter_mut().find(|p| {
                    p.session == st.session
                        && p.qos == 2
                        && qos == 2
                        && p.id == id
                        && p.done.is_none()
                        && !p.released(k)
                }) {
                    if p.payload == payload && p.topic == topic {
                        p.repeats += 1;
                        continue;
                    }
                }
                let done = match qos {
                    1 => answer.filter(|a| ack_ok(&a.frame)).map(|_| k),
                    _ => None,
                };
                pubs.push(Publication {
                    session: st.session,
                    topic,
                    payload,
                    qos,
                    from: k,
                    done,
                    id,
                    repeats: 1,
                });
            }
            6 => {
                let id = u16::from_be_bytes([st.bytes[2], st.bytes[3]]);
                let ok = answer.is_some_and(|a| ack_ok(&a.frame));
                for p in pubs.iter_mut().filter(|p| {
                    p.session == st.session && p.qos == 2 && p.id == id && p.done.is_none()
                }) {
                    if ok {
                        p.done = Some(k);
                    } else {
                        p.done = Some(usize::MAX); // released, outcome unknown
                    }
                }
            }
            8 => {
                let codes = answer.map(|a| ack_codes(v, &a.frame)).unwrap_or_default();
                for (i, (f, o)) in filters(v, &st.bytes, true)
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                {
                    let shared = f.starts_with("$share/");
                    let inner = if shared && v == Version::V5 {
                        shared_inner(&f).to_string()
                    } else {
                        f.clone()
                    };
                    subs.push(Sub {
                        session: st.session,
                        filter: f,
                        inner,
                        shared,
                        no_local: v == Version::V5 && o & 4 != 0,
                        from: k,
                        granted: codes.get(i).is_some_and(|c| *c < 0x80),
                        until: None,
                    });
                }
            }
            10 => {
                let gone = answer.is_some();
                let codes = answer.map(|a| ack_codes(v, &a.frame)).unwrap_or_default();
                for (i, (f, _)) in filters(v, &st.bytes, false)
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                {
                    // 3.1.1: an UNSUBACK ends them all; 5.0: success or "no subscription".
                    let ok =
                        gone && (v == Version::V311 || codes.get(i).is_some_and(|c| *c < 0x80));
                    if ok {
                        for x in subs.iter_mut().filter(|x| {
                            x.session == st.session && x.filter == f && x.until.is_none()
                        }) {
                            x.until = Some(k);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Sessions judged: untainted to the end, or ended by our abrupt close (will).
    let clean = |s: u8| tainted[usize::from(s)].is_none();
    // Will messages: published on the abrupt close of a session that connected with one.
    for s in 0..2 {
        if let (Some(k), Some((topic, payload))) = (abrupt[s], will[s].clone()) {
            if connected[s].is_some() {
                pubs.push(Publication {
                    session: s as u8,
                    topic,
                    payload,
                    qos: 1,
                    from: k,
                    done: Some(k),
                    id: 0,
                    repeats: 1,
                });
            }
        }
    }
    let active =
        |x: &Sub, from: usize, to: usize| x.from <= to && x.until.is_none_or(|u| u >= from);
    // Required deliveries.
    for p in &pubs {
        let Some(done) = p.done.filter(|d| *d != usize::MAX) else {
            continue;
        };
        for s in 0..2u8 {
            if !clean(s) {
                continue;
            }
            let sub = subs.iter().find(|x| {
                x.session == s
                    && x.granted
                    && x.from < p.from
                    && x.until.is_none_or(|u| u > done)
                    && !(x.no_local && s == p.session)
                    && (!x.shared || v == Version::V5)
                    && matches(&x.inner, &p.topic)
            });
            let Some(sub) = sub else {
                continue;
            };
            let got = ex.received.iter().any(|r| {
                r.session == s
                    && parse_publish(v, &r.frame)
                        .is_some_and(|(_, _, t, _, pl)| t == p.topic && pl == p.payload)
            });
            if !got {
                out.missing += 1;
                out.violations.push(format!(
                    "{} published on {} at step {} ({}), acknowledged, was not delivered to session {} subscribed with {:?} since step {} ({})",
                    if p.id == 0 && p.from < n && steps[p.from].bytes.is_empty() { "the will message" } else { "a message" },
                    p.topic,
                    p.from,
                    if p.qos == 2 { "QoS 2, released" } else { "QoS 1" },
                    if s == 0 { 'A' } else { 'B' },
                    sub.filter,
                    sub.from,
                    if p.id == 0 { "[MQTT-3.1.2-8]" } else if v == Version::V5 { "3.3.4: the server delivers to every matching subscription" } else { "3.3.5: the server delivers to every matching subscription" }
                ));
            }
        }
    }
    // Deliveries that must not happen.
    for r in &ex.received {
        if !clean(r.session) {
            continue;
        }
        let Some((_, dup, topic, _, payload)) = parse_publish(v, &r.frame) else {
            continue;
        };
        let name = if r.session == 0 { 'A' } else { 'B' };
        let mine: Vec<&Sub> = subs
            .iter()
            .filter(|x| x.session == r.session && x.from < r.after)
            .collect();
        // A shared filter matches as its inner filter or, in 3.1.1 (which has no shared
        // subscriptions), as the literal filter too.
        let lenient = |x: &Sub, t: &str| {
            matches(&x.inner, t)
                || (x.shared && (matches(&x.filter, t) || matches(shared_inner(&x.filter), t)))
        };
        if !mine.iter().any(|x| lenient(x, &topic)) {
            let sys =
                topic.starts_with('$') && mine.iter().any(|x| x.inner.starts_with(['+', '#']));
            out.violations.push(format!(
                "session {name} was sent a message on {topic:?} that none of its topic filters ({}) matches ({})",
                mine.iter().map(|x| x.filter.as_str()).collect::<Vec<_>>().join(", "),
                if sys { "[MQTT-4.7.2-1]: filters starting with a wildcard do not match topics starting with $" } else { "4.7: topic matching" }
            ));
            continue;
        }
        let Some(k) = payload_step(index, &payload) else {
            continue;
        };
        let Some(p) = pubs.iter().find(|p| p.from == k && p.topic == topic) else {
            continue;
        };
        let to = p.done.filter(|d| *d != usize::MAX).unwrap_or(n);
        let live: Vec<&&Sub> = mine
            .iter()
            .filter(|x| active(x, p.from, to) && lenient(x, &topic))
            .collect();
        if live.is_empty() {
            out.violations.push(format!(
                "session {name} was sent the message of step {k} on {topic:?} though its matching subscriptions had ended (UNSUBACK) before it was published ([MQTT-3.10.4-2])"
            ));
            continue;
        }
        if live.iter().all(|x| x.no_local) && p.session == r.session {
            out.violations.push(format!(
                "session {name} was sent its own message of step {k} though it subscribed with No Local ([MQTT-3.8.3-3])"
            ));
            continue;
        }
        if !dup {
            let copies = ex
                .received
                .iter()
                .filter(|x| {
                    x.session == r.session
                        && parse_publish(v, &x.frame)
                            .is_some_and(|(_, d, t, _, pl)| !d && t == topic && pl == payload)
                })
                .count();
            let publications = pubs
                .iter()
                .filter(|q| q.payload == payload && q.topic == topic)
                .count();
            if copies > publications * live.len()
                && std::ptr::eq(
                    r,
                    ex.received
                        .iter()
                        .rfind(|x| {
                            x.session == r.session
                                && parse_publish(v, &x.frame).is_some_and(|(_, d, t, _, pl)| {
                                    !d && t == topic && pl == payload
                                })
                        })
                        .unwrap_or(r),
                )
            {
                out.violations.push(format!(
                    "session {name} was sent the message of step {k} {copies} times (not as duplicates) for {publications} publication(s) and {} matching subscription(s){}",
                    live.len(),
                    if p.repeats > 1 { if v == Version::V5 { " ([MQTT-4.3.3-10]: a QoS 2 PUBLISH repeated before its PUBREL is one message)" } else { " ([MQTT-4.3.3-2]: a QoS 2 PUBLISH repeated before its PUBREL is one message)" } } else { "" }
                ));
            }
        }
    }
    out
}

impl Publication {
    fn released(&self, _k: usize) -> bool {
        self.done.is_some()
    }
}

/// The will (topic, payload) of a CONNECT, if it has one.
fn will_of(connect: &[u8]) -> Option<(String, Vec<u8>)> {
    let (_, used) = decode_varint(connect.get(1..)?).ok()??;
    let b = connect.get(1 + used..)?;
    let level = *b.get(6)?;
    let flags = *b.get(7)?;
    if flags & 0x04 == 0 {
        return None;
    }
    let mut i = 10;
    if level == 5 {
        let (len, u) = decode_varint(b.get(i..)?).ok()??;
        i += u + usize::try_from(len).ok()?;
    }
    let str_at = |i: usize| -> Option<(&[u8], usize)> {
        let n = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
        Some((b.get(i + 2..i + 2 + n)?, i + 2 + n))
    };
    let (_, mut i) = str_at(i)?; // client id
    if level == 5 {
        let (len, u) = decode_varint(b.get(i..)?).ok()??;
        i += u + usize::try_from(len).ok()?;
    }
    let (t, i) = str_at(i)?;
    let (p, _) = str_at(i)?;
    Some((String::from_utf8(t.to_vec()).ok()?, p.to_vec()))
}

/// What a sequence phase produced.
#[derive(Debug, Clone, Default)]
pub struct SequenceRun {
    /// Cases delivered.
    pub cases: u64,
    /// Cases not delivered.
    pub undelivered: u64,
    /// Cases per scenario and edit (`seq/{scenario}/{edit}`).
    pub cells: std::collections::BTreeMap<String, u64>,
    /// Findings.
    pub findings: Vec<Finding>,
}

/// Run sequence cases `start..start + count` (seed `seed`) against `target`.
pub async fn run(
    v: Version,
    target: SocketAddr,
    timeout: Duration,
    seed: u64,
    start: u64,
    count: u64,
    stop: &AtomicBool,
) -> SequenceRun {
    let mut out = SequenceRun::default();
    for index in start..start + count {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let case = build(v, seed, index);
        let ex = execute(v, target, timeout, &case.steps).await;
        if ex.undelivered.is_some() {
            out.undelivered += 1;
            continue;
        }
        out.cases += 1;
        *out.cells
            .entry(format!("seq/{}/{}", case.scenario, case.edit))
            .or_default() += 1;
        let verdict = judge(v, index, &case.steps, &ex);
        let Some(first) = verdict.violations.first() else {
            continue;
        };
        let key = (case.scenario, case.edit);
        if let Some(f) = out
            .findings
            .iter_mut()
            .find(|f| f.message == format!("sequence {}", key.0) && f.field == key.1)
        {
            f.occurrences += 1;
            continue;
        }
        // Confirmed: the case, run again on fresh connections, violates again.
        let again = execute(v, target, timeout, &case.steps).await;
        let mut f = finding(&case, first, verdict.violations.len());
        match &again.undelivered {
            Some(why) => f.set_confirmation(
                Confirmed::NotTried,
                format!("not confirmed: run again on fresh connections, the sequence could not be delivered: {why}"),
            ),
            None if !judge(v, index, &case.steps, &again).violations.is_empty() => f
                .set_confirmation(
                    Confirmed::AloneOnFreshConnection,
                    "run again on fresh connections, the sequence gave the violation again",
                ),
            None => f.set_confirmation(
                Confirmed::NotReproduced,
                "not reproduced: run again on fresh connections, the sequence gave no violation",
            ),
        }
        out.findings.push(f);
    }
    out
}

fn finding(case: &SequenceCase, first: &str, n: usize) -> Finding {
    let class = match case.edit {
        "none" => MutationClass::Valid,
        "duplicate" => MutationClass::RepeatedField,
        "drop" => MutationClass::DroppedField,
        _ => MutationClass::Havoc,
    };
    Finding::new(
        Behaviour::Conformance,
        Origin {
            message: format!("sequence {}", case.scenario),
            code: SEQUENCE_CODE,
            field: case.edit.to_string(),
            class,
            case: case.index,
        },
        if n > 1 {
            format!("{first} (and {} more)", n - 1)
        } else {
            first.to_string()
        },
        case.steps.iter().map(Step::line).collect(),
    )
}

/// Fold a sequence phase into a campaign report: its cases count as executed (or not
/// delivered), its cells go into the coverage (outside the message x class pairs), its
/// findings are added.
pub fn fold(report: &mut Report, seq: SequenceRun) {
    report.cases += seq.cases;
    report.undelivered += seq.undelivered;
    for (k, n) in seq.cells {
        *report.coverage.cells.entry(k).or_default() += n;
    }
    *report
        .coverage
        .outcomes
        .entry("sequence".into())
        .or_default() += seq.cases;
    report.findings.extend(seq.findings);
}

/// Replay a sequence reproducer (`A:hex` / `B:hex` / `B:close` lines): `Ok(violations)`
/// (empty: it did not reproduce), `Err` when nothing could be delivered. The case index is
/// read from the payloads where they carry one.
pub async fn replay(
    v: Version,
    target: SocketAddr,
    timeout: Duration,
    case: u64,
    lines: &[String],
) -> Result<Vec<String>, String> {
    let steps: Vec<Step> = lines.iter().filter_map(|l| Step::parse(l)).collect();
    if steps.is_empty() {
        return Err("no step to replay".into());
    }
    let ex = execute(v, target, timeout, &steps).await;
    if let Some(why) = ex.undelivered {
        return Err(why);
    }
    Ok(judge(v, case, &steps, &ex).violations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_matching_per_4_7() {
        assert!(matches("a/+", "a/b"));
        assert!(!matches("a/+", "a/b/c"));
        assert!(matches("a/#", "a"));
        assert!(matches("a/#", "a/b/c"));
        assert!(matches("#", "a/b"));
        assert!(!matches("#", "$SYS/x"));
        assert!(!matches("+/x", "$SYS/x"));
        assert!(matches("$SYS/#", "$SYS/x"));
        assert!(matches("+/+", "/x"));
    }

    #[test]
    fn cases_are_reproducible_and_lines_round_trip() {
        for v in [Version::V311, Version::V5] {
            for i in 0..(SCENARIOS.len() * EDITS.len()) as u64 {
                let c = build(v, 3, i);
                assert_eq!(c, build(v, 3, i));
                assert!(c.steps.iter().any(|s| s.session == 1), "{c:?}");
                for s in &c.steps {
                    assert_eq!(Step::parse(&s.line()).as_ref(), Some(s));
                }
                let lines: Vec<String> = c.steps.iter().map(Step::line).collect();
                assert!(is_sequence(&lines));
            }
        }
        assert!(!is_sequence(&["c000".into()]));
    }

    #[test]
    fn the_oracle_needs_deliveries_and_refuses_them_after_unsuback() {
        let v = Version::V311;
        let c = build(v, 1, 0); // subscribe-publish-unsubscribe, no edit
        assert_eq!(c.scenario, SCENARIOS[0]);
        assert_eq!(c.edit, "none");
        // A broker that acknowledges everything but delivers nothing.
        let mut ex = Execution {
            answer: vec![None; c.steps.len()],
            ..Execution::default()
        };
        for (k, s) in c.steps.iter().enumerate() {
            let Some((t, id)) = expected(&s.bytes) else {
                continue;
            };
            let mut f = vec![t, 2];
            match (t, id) {
                (0x20, _) => f.extend_from_slice(&[0, 0]),
                (0xD0, _) => f.truncate(1),
                (0x90, Some(id)) => {
                    f[1] = 3;
                    f.extend_from_slice(&id.to_be_bytes());
                    f.push(1);
                }
                (_, Some(id)) => f.extend_from_slice(&id.to_be_bytes()),
                _ => {}
            }
            if t == 0xD0 {
                f.push(0);
            }
            ex.received.push(Received {
                session: s.session,
                after: k + 1,
                frame: f,
            });
            ex.answer[k] = Some(ex.received.len() - 1);
        }
        let verdict = judge(v, 0, &c.steps, &ex);
        assert_eq!(verdict.missing, 2, "{verdict:?}");
        assert!(verdict
            .violations
            .iter()
            .all(|v| v.contains("not delivered")));
        // Delivering the two messages satisfies it; delivering the third (published after
        // the UNSUBACK) is a violation.
        let mut ex2 = ex.clone();
        for (k, s) in c.steps.iter().enumerate() {
            if let Some((q, _, t, _, p)) = parse_publish(v, &s.bytes) {
                let mut body = Vec::new();
                str16(&mut body, t.as_bytes());
                body.extend_from_slice(&[0, 1]);
                body.extend_from_slice(&p);
                let _ = q;
                ex2.received.push(Received {
                    session: 1,
                    after: k + 2,
                    frame: packet(0x32, &body),
                });
            }
        }
        let verdict = judge(v, 0, &c.steps, &ex2);
        assert_eq!(verdict.missing, 0, "{verdict:?}");
        assert_eq!(verdict.violations.len(), 1, "{verdict:?}");
        assert!(
            verdict.violations[0].contains("MQTT-3.10.4-2"),
            "{verdict:?}"
        );
    }

    #[test]
    fn will_of_reads_both_versions() {
        let p = Pk { v: Version::V311 }.connect("x", Some(("w/t", b"bye")));
        assert_eq!(will_of(&p), Some(("w/t".into(), b"bye".to_vec())));
        let p = Pk { v: Version::V5 }.connect("x", Some(("w/t", b"bye")));
        assert_eq!(will_of(&p), Some(("w/t".into(), b"bye".to_vec())));
        assert_eq!(will_of(&Pk { v: Version::V5 }.connect("x", None)), None);
    }

    proptest::proptest! {
        #[test]
        fn the_oracle_never_panics_on_what_a_broker_sends(
            seed in proptest::num::u64::ANY,
            index in 0u64..1000,
            frames in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..12),
        ) {
            for v in [Version::V311, Version::V5] {
                let c = build(v, seed, index);
                let mut ex = Execution { answer: vec![None; c.steps.len()], ..Execution::default() };
                for (i, f) in frames.iter().enumerate() {
                    ex.received.push(Received { session: (i % 2) as u8, after: i, frame: f.clone() });
                    if let Some(a) = ex.answer.get_mut(i) {
                        *a = Some(i);
                    }
                }
                let _ = judge(v, index, &c.steps, &ex);
                for f in &frames {
                    let _ = client_ack(f);
                    let _ = parse_publish(v, f);
                    let _ = will_of(f);
                    let _ = filters(v, f, true);
                    let _ = ack_codes(v, f);
                }
            }
        }
    }
}
