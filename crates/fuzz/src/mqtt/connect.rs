//! CONNECT cases (broker side): each case opens a fresh connection and sends, as its first
//! packet, a CONNECT that breaks a rule of the version under test, in place of the session
//! prelude; then a valid CONNECT on another fresh connection checks that the broker still
//! serves (a broker that no longer accepts one has crashed or hangs).
//!
//! The oracle judges only what the specification makes definite. A broker must not accept a
//! CONNECT that does not conform to section 3.1 (3.1.1: [MQTT-3.1.4-1], close without a
//! CONNACK; 5.0: [MQTT-3.1.4-1], close, possibly after a CONNACK with a reason code of 0x80
//! or more, 4.13): closing, or refusing with any non-success CONNACK, is accepted (brokers
//! legitimately differ between the two); a success CONNACK is a finding naming the broken
//! rule. A first answer that is not a CONNACK breaks [MQTT-3.2.0-1] in both versions. Cases
//! with no definite rule (a protocol level no version defines, which a broker MAY process by
//! another specification; an Authentication Method it does not know, which it MAY refuse)
//! are sent for crashes and hangs only.
//!
//! Cases:
//! - both versions: the reserved connect flag (bit 0) set ([MQTT-3.1.2-3]); Will QoS or Will
//!   Retain without the Will Flag (3.1.1: [MQTT-3.1.2-13], [MQTT-3.1.2-15]; 5.0:
//!   [MQTT-3.1.2-11], [MQTT-3.1.2-13]); Will QoS 3 (3.1.1: [MQTT-3.1.2-14]; 5.0:
//!   [MQTT-3.1.2-12]); a protocol level no version defines (not judged);
//! - 3.1.1: a password without a user name ([MQTT-3.1.2-22]);
//! - 5.0: a property given twice, Receive Maximum 0, Maximum Packet Size 0, Request Problem
//!   Information 2 (Protocol Errors, 2.2.2.2, 3.1.2.11), a property not valid in CONNECT (a
//!   Malformed Packet, 2.2.2.2), Authentication Data without an Authentication Method
//!   (Protocol Error, 3.1.2.11.10), and an Authentication Method no broker knows (not
//!   judged).
//!
//! A finding's reproducer is one line `C:hex`, the CONNECT sent as the first packet of a
//! fresh connection; [`replay`] plays it back.

use super::{packet, packet_len, packet_name, Version};
use crate::campaign::{Behaviour, Confirmed, Finding, Origin};
use crate::mutate::MutationClass;
use crate::sequence::SequenceRun;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The message code CONNECT-case findings carry.
pub const CONNECT_CODE: u16 = 0x10;

/// The most bytes read from a broker's answer to a CONNECT case.
const MAX_ANSWER: usize = 64 * 1024;

/// One CONNECT case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectCase {
    /// What is wrong with it, in words.
    pub name: &'static str,
    /// The CONNECT as sent.
    pub bytes: Vec<u8>,
    /// The rule that forbids accepting it; `None`: not judged (crashes and hangs only).
    pub rule: Option<&'static str>,
}

/// A CONNECT: protocol level, connect flags, property block (5.0; `None` for 3.1.1), then
/// the payload as given.
fn connect(level: u8, flags: u8, props: Option<&[u8]>, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', level, flags, 0, 60];
    if let Some(p) = props {
        body.extend(crate::model::encode_varint(p.len() as u64));
        body.extend_from_slice(p);
    }
    body.extend_from_slice(payload);
    packet(0x10, &body)
}

fn str16(s: &[u8]) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s);
    out
}

/// The CONNECT cases of a version, with client ids from `id` (`{id}c{k}`).
pub fn cases(v: Version, id: &str) -> Vec<ConnectCase> {
    let cid = |k: usize| str16(format!("{id}c{k}").as_bytes());
    let (level, props): (u8, Option<&[u8]>) = match v {
        Version::V311 => (4, None),
        Version::V5 => (5, Some(b"")),
    };
    let will = |k: usize| {
        let mut p = cid(k);
        if v == Version::V5 {
            p.push(0); // will properties
        }
        p.extend(str16(b"otproof/will"));
        p.extend(str16(b"w"));
        p
    };
    let (no_will_qos, will_qos3, no_will_retain) = match v {
        Version::V311 => ("[MQTT-3.1.2-13]", "[MQTT-3.1.2-14]", "[MQTT-3.1.2-15]"),
        Version::V5 => ("[MQTT-3.1.2-11]", "[MQTT-3.1.2-12]", "[MQTT-3.1.2-13]"),
    };
    let mut out = vec![
        ConnectCase {
            name: "reserved connect flag set",
            bytes: connect(level, 0x03, props, &cid(0)),
            rule: Some("the reserved connect flag must be 0 ([MQTT-3.1.2-3])"),
        },
        ConnectCase {
            name: "Will QoS without Will Flag",
            bytes: connect(level, 0x02 | 0x08, props, &cid(1)),
            rule: Some(no_will_qos),
        },
        ConnectCase {
            name: "Will Retain without Will Flag",
            bytes: connect(level, 0x02 | 0x20, props, &cid(2)),
            rule: Some(no_will_retain),
        },
        ConnectCase {
            name: "Will QoS 3",
            bytes: connect(level, 0x02 | 0x04 | 0x18, props, &will(3)),
            rule: Some(will_qos3),
        },
        ConnectCase {
            name: "protocol level 6",
            bytes: connect(6, 0x02, props, &cid(4)),
            rule: None,
        },
    ];
    match v {
        Version::V311 => out.push(ConnectCase {
            name: "password without user name",
            bytes: connect(level, 0x02 | 0x40, None, &[cid(5), str16(b"pw")].concat()),
            rule: Some("a password needs the user name flag ([MQTT-3.1.2-22])"),
        }),
        Version::V5 => {
            let p5: [(&'static str, &'static [u8], Option<&'static str>); 7] = [
                (
                    "property given twice",
                    b"\x11\x00\x00\x00\x00\x11\x00\x00\x00\x3c",
                    Some("a property given twice is a Protocol Error (2.2.2.2)"),
                ),
                (
                    "Receive Maximum 0",
                    b"\x21\x00\x00",
                    Some("Receive Maximum 0 is a Protocol Error (3.1.2.11.3)"),
                ),
                (
                    "Maximum Packet Size 0",
                    b"\x27\x00\x00\x00\x00",
                    Some("Maximum Packet Size 0 is a Protocol Error (3.1.2.11.4)"),
                ),
                (
                    "Request Problem Information 2",
                    b"\x17\x02",
                    Some("Request Problem Information other than 0 or 1 is a Protocol Error (3.1.2.11.7)"),
                ),
                (
                    "property not valid in CONNECT",
                    b"\x01\x01",
                    Some("Payload Format Indicator in a CONNECT is a Malformed Packet (2.2.2.2)"),
                ),
                (
                    "Authentication Data without Authentication Method",
                    b"\x16\x00\x02ab",
                    Some("Authentication Data without an Authentication Method is a Protocol Error (3.1.2.11.10)"),
                ),
                (
                    "unknown Authentication Method",
                    b"\x15\x00\x15otproof-no-such-method",
                    None,
                ),
            ];
            for (k, (name, p, rule)) in p5.into_iter().enumerate() {
                out.push(ConnectCase {
                    name,
                    bytes: connect(5, 0x02, Some(p), &cid(10 + k)),
                    rule,
                });
            }
        }
    }
    out
}

/// What the broker answered a CONNECT case with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// It closed the connection without a packet.
    Closed,
    /// A CONNACK with this reason (return) code.
    Connack(u8),
    /// A first packet that is not a CONNACK.
    Other(Vec<u8>),
    /// Nothing within the timeout, the connection open.
    Silent,
}

/// Send `bytes` as the first packet of a fresh connection and read the first answer.
pub async fn exchange(
    target: SocketAddr,
    timeout: Duration,
    bytes: &[u8],
) -> Result<Answer, String> {
    let mut s = tokio::time::timeout(timeout, TcpStream::connect(target))
        .await
        .map_err(|_| format!("connecting to {target} timed out"))?
        .map_err(|e| format!("cannot connect to {target}: {e}"))?;
    let _ = s.set_nodelay(true);
    s.write_all(bytes)
        .await
        .map_err(|e| format!("cannot send the CONNECT: {e}"))?;
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Ok(Some(n)) = packet_len(&buf) {
            let frame = &buf[..n];
            return Ok(match frame {
                [0x20, _, _, rc, ..] => Answer::Connack(*rc),
                _ => Answer::Other(frame.to_vec()),
            });
        }
        if packet_len(&buf).is_err() || buf.len() >= MAX_ANSWER {
            return Ok(Answer::Other(buf));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Err(_) => return Ok(Answer::Silent),
            Ok(Ok(0)) | Ok(Err(_)) if buf.is_empty() => return Ok(Answer::Closed),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(Answer::Other(buf)),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Whether a CONNACK reason (return) code accepts the connection.
fn accepts(v: Version, rc: u8) -> bool {
    match v {
        Version::V311 => rc == 0,
        Version::V5 => rc < 0x80,
    }
}

/// What an answer to a case shows, if anything is wrong.
pub fn judge(v: Version, case: &ConnectCase, answer: &Answer) -> Option<String> {
    match answer {
        Answer::Connack(rc) if accepts(v, *rc) => case.rule.map(|rule| {
            format!(
                "the broker accepted a CONNECT with {} (CONNACK 0x{rc:02X}), which it must refuse by closing the connection ([MQTT-3.1.4-1]): {rule}",
                case.name
            )
        }),
        Answer::Other(f) => Some(format!(
            "the broker's first answer to a CONNECT is {} (0x{}), not a CONNACK ([MQTT-3.2.0-1])",
            f.first().map_or("nothing", |b| packet_name(b >> 4)),
            hex::encode(f.iter().take(16).copied().collect::<Vec<_>>())
        )),
        _ => None,
    }
}

/// Whether the broker still accepts a valid CONNECT on a fresh connection.
async fn serves(v: Version, target: SocketAddr, timeout: Duration) -> Result<(), String> {
    let model = v.model();
    let connect = model.prelude().into_iter().next().unwrap_or_default();
    // A broker may take a moment to accept again after closing a connection.
    let mut last = String::new();
    for _ in 0..3 {
        match exchange(target, timeout, &connect).await {
            Ok(Answer::Connack(rc)) if accepts(v, rc) => return Ok(()),
            Ok(a) => last = format!("{a:?}"),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last)
}

fn finding(index: u64, case: &ConnectCase, behaviour: Behaviour, observed: String) -> Finding {
    Finding::new(
        behaviour,
        Origin {
            message: format!("CONNECT {}", case.name),
            code: CONNECT_CODE,
            field: case.name.to_string(),
            class: MutationClass::InvalidEnum,
            case: index,
        },
        observed,
        vec![format!("C:{}", hex::encode(&case.bytes))],
    )
}

/// Run the CONNECT cases of version `v` against `target` (each judged, then the broker's
/// service checked with a valid CONNECT); findings are confirmed by sending the case again
/// on a fresh connection. Counted like sequence cases (see [`crate::sequence::fold`]), in
/// cells `connect/{name}`.
pub async fn run(
    v: Version,
    target: SocketAddr,
    timeout: Duration,
    stop: &AtomicBool,
) -> SequenceRun {
    let mut out = SequenceRun::default();
    let id = format!("otproof{:x}", std::process::id());
    for (index, case) in cases(v, &id).iter().enumerate() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let answer = match exchange(target, timeout, &case.bytes).await {
            Ok(a) => a,
            Err(_) => {
                out.undelivered += 1;
                continue;
            }
        };
        out.cases += 1;
        *out.cells
            .entry(format!("connect/{}", case.name))
            .or_default() += 1;
        let index = index as u64;
        if let Err(why) = serves(v, target, timeout).await {
            let mut f = finding(
                index,
                case,
                Behaviour::Crash,
                format!("after the case the broker did not accept a valid CONNECT on a fresh connection: {why}"),
            );
            f.set_confirmation(
                Confirmed::NotTried,
                "not replayed: the broker no longer accepts connections",
            );
            out.findings.push(f);
            break;
        }
        let Some(observed) = judge(v, case, &answer) else {
            continue;
        };
        let mut f = finding(index, case, Behaviour::Conformance, observed);
        match exchange(target, timeout, &case.bytes).await {
            Ok(again) if judge(v, case, &again).is_some() => f.set_confirmation(
                Confirmed::AloneOnFreshConnection,
                "sent again on a fresh connection, the CONNECT got the same answer",
            ),
            Ok(again) => f.set_confirmation(
                Confirmed::NotReproduced,
                format!(
                    "not reproduced: sent again on a fresh connection, the answer was {again:?}"
                ),
            ),
            Err(e) => f.set_confirmation(
                Confirmed::NotTried,
                format!("not confirmed: the case could not be sent again: {e}"),
            ),
        }
        out.findings.push(f);
    }
    out
}

/// Fold a CONNECT-case phase into a campaign report: its cases count as executed (or not
/// delivered), its cells (`connect/{name}`) go into the coverage outside the message x
/// class pairs, under the outcome `connect`; its findings are added.
pub fn fold(report: &mut crate::campaign::Report, run: SequenceRun) {
    report.cases += run.cases;
    report.undelivered += run.undelivered;
    for (k, n) in run.cells {
        *report.coverage.cells.entry(k).or_default() += n;
    }
    *report
        .coverage
        .outcomes
        .entry("connect".into())
        .or_default() += run.cases;
    report.findings.extend(run.findings);
}

/// The bytes of a reproducer line `C:hex`.
pub fn line_bytes(line: &str) -> Option<Vec<u8>> {
    hex::decode(line.strip_prefix("C:")?).ok()
}

/// Whether a reproducer is a CONNECT case's (one `C:hex` line).
pub fn is_connect_case(lines: &[String]) -> bool {
    matches!(lines, [l] if l.starts_with("C:"))
}

/// Replay a CONNECT case's reproducer; `name` is the case's name (the finding's field),
/// which says the rule it is judged by: `Ok(Some(what is wrong))`, `Ok(None)` (it did not
/// reproduce), `Err` when nothing could be sent.
pub async fn replay(
    v: Version,
    target: SocketAddr,
    timeout: Duration,
    name: &str,
    lines: &[String],
) -> Result<Option<String>, String> {
    let bytes = lines
        .first()
        .and_then(|l| line_bytes(l))
        .ok_or("not a CONNECT case reproducer (one C:hex line)")?;
    let rule = cases(v, "x")
        .into_iter()
        .find(|c| c.name == name)
        .and_then(|c| c.rule);
    let case = ConnectCase {
        name: "replayed CONNECT",
        bytes: bytes.clone(),
        rule,
    };
    let answer = exchange(target, timeout, &bytes).await?;
    Ok(judge(v, &case, &answer).map(|w| w.replace("replayed CONNECT", name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_is_one_connect_packet() {
        for v in [Version::V311, Version::V5] {
            let cs = cases(v, "otproofx");
            assert!(cs.len() >= 6);
            for c in &cs {
                assert_eq!(packet_len(&c.bytes), Ok(Some(c.bytes.len())), "{}", c.name);
                assert_eq!(c.bytes[0], 0x10);
            }
            // The judged ones are refused by a conforming broker; an acceptance is a finding.
            for c in cs.iter().filter(|c| c.rule.is_some()) {
                assert_eq!(judge(v, c, &Answer::Closed), None);
                assert_eq!(judge(v, c, &Answer::Connack(0x81)), None);
                assert_eq!(judge(v, c, &Answer::Silent), None);
                let why = judge(v, c, &Answer::Connack(0)).expect("accepted");
                assert!(why.contains("MQTT-3.1.4-1"), "{why}");
            }
            let level6 = cs
                .iter()
                .find(|c| c.name == "protocol level 6")
                .expect("level 6");
            assert_eq!(judge(v, level6, &Answer::Connack(0)), None);
            assert!(judge(v, level6, &Answer::Other(vec![0xD0, 0])).is_some());
        }
        // 3.1.1: return code 1..5 refuses; 5.0: 0x80 and above.
        let c = &cases(Version::V311, "x")[0];
        assert_eq!(judge(Version::V311, c, &Answer::Connack(1)), None);
        let c5 = &cases(Version::V5, "x")[0];
        assert!(judge(Version::V5, c5, &Answer::Connack(1)).is_some());
        assert!(is_connect_case(&["C:1000".into()]));
        assert!(!is_connect_case(&["1000".into()]));
    }

    proptest::proptest! {
        #[test]
        fn any_answer_is_judged_without_panicking(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            rc in proptest::num::u8::ANY,
            line in "\\PC{0,40}",
        ) {
            for v in [Version::V311, Version::V5] {
                for c in cases(v, "p") {
                    // A first answer that is not a CONNACK is always a finding.
                    proptest::prop_assert!(judge(v, &c, &Answer::Other(bytes.clone())).is_some());
                    let _ = judge(v, &c, &Answer::Connack(rc));
                }
            }
            let _ = line_bytes(&line);
            let _ = is_connect_case(&[line]);
        }
    }
}
