//! MQTT 5.0 (OASIS Standard, 7 March 2019), broker side: PUBLISH QoS 0/1/2 with properties
//! (topic aliases among them), PUBREL with a reason code, SUBSCRIBE with subscription options
//! and shared (`$share/`) filters, UNSUBSCRIBE, PINGREQ and AUTH as message grammars; the
//! session prelude (a CONNECT with session expiry, receive maximum and maximum packet size;
//! a CONNACK whose properties the oracle then uses: Topic Alias Maximum, Maximum QoS, Retain
//! Available, Subscription Identifiers Available); and the conformance oracle.
//!
//! The oracle sorts a request into three kinds. A well-formed packet the broker must accept
//! is judged by its acknowledgement (reason codes from the packet's table, packet id echoed,
//! properties valid for the packet); a DISCONNECT with a reason code a server may send is
//! accepted in its place (the broker may end any connection with a reason, 4.13). A packet
//! the specification calls a Malformed Packet or a Protocol Error must end the connection
//! ([MQTT-4.13.1-1]): closing it, or a DISCONNECT first, is conformant, and so is an
//! acknowledgement that refuses it (reason code 0x80 or above); a success acknowledgement
//! is a finding, with the normative reference. Anything else (a topic alias whose mapping
//! depends on earlier packets, a broker limit the CONNACK did not state) is not judged.

use super::props::{self, PropError, PropValue};
use super::{
    be16, def, packet, packet_id, packet_len, packet_name, properties, text, valid_filter,
    valid_topic,
};
use crate::model::{
    decode_varint, BytesLen, Domain, FieldDef, FieldType::*, Message, MessageDef, ProtocolModel,
    Value,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// Topic names for PUBLISH; the empty one is valid only with a Topic Alias (3.3.2.1).
const TOPICS: &[&str] = &["otproof/t", "otproof/a/b", "otproof/x", "o", ""];

/// Topic filters: wildcards, `$SYS`, shared subscriptions (4.8.2), and two invalid shares.
const FILTERS: &[&str] = &[
    "otproof/t",
    "otproof/+",
    "otproof/#",
    "#",
    "+/+",
    "$SYS/#",
    "$share/otproof/otproof/#",
    "$share/g/+",
    "$share/g",
    "$share/g+/x",
];

/// PUBLISH property blocks (without their length): valid ones, then protocol errors and
/// malformed ones a broker must close on.
const PUBLISH_PROPS: &[&str] = &[
    "",
    "\x01\x00",
    "\x02\x00\x00\x00\x3c",
    "\x03\x00\x0atext/plain",
    "\x08\x00\x09otproof/r",
    "\x09\x00\x02ab",
    "\x26\x00\x01k\x00\x01v\x26\x00\x01k\x00\x01w",
    "\x23\x00\x01",
    "\x23\x00\x00",
    "\x23\x7f\x7f",
    "\x01\x00\x01\x01",
    "\x0b\x01",
    "\x11\x00\x00\x00\x00",
    "\x08\x00\x09otproof/#",
];

/// SUBSCRIBE property blocks.
const SUBSCRIBE_PROPS: &[&str] = &[
    "",
    "\x0b\x01",
    "\x26\x00\x01k\x00\x01v",
    "\x0b\x00",
    "\x0b\x01\x0b\x02",
];

/// UNSUBSCRIBE property blocks.
const UNSUBSCRIBE_PROPS: &[&str] = &["", "\x26\x00\x01k\x00\x01v", "\x0b\x01"];

/// PUBREL and AUTH property blocks.
const ACK_PROPS: &[&str] = &["", "\x1f\x00\x02ok", "\x15\x00\x05PLAIN"];

/// Subscription options (3.8.3.1): QoS, No Local, Retain As Published, Retain Handling.
const OPTIONS: &[u64] = &[0, 1, 2, 4, 5, 6, 8, 9, 10, 0x10, 0x12, 0x20, 0x21, 0x2A];

/// The topic the sentinel PUBLISH (QoS 1) goes to.
const SENTINEL_TOPIC: &str = "otproof/sentinel";

/// Reason codes a server may put in a DISCONNECT (3.14.2.1).
pub const DISCONNECT_CODES: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
/// PUBACK and PUBREC reason codes (3.4.2.1, 3.5.2.1).
pub const PUBACK_CODES: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
/// PUBREL and PUBCOMP reason codes (3.6.2.1, 3.7.2.1).
pub const PUBCOMP_CODES: &[u8] = &[0x00, 0x92];
/// SUBACK reason codes (3.9.3).
pub const SUBACK_CODES: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
];
/// UNSUBACK reason codes (3.11.3).
pub const UNSUBACK_CODES: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
/// CONNACK reason codes (3.2.2.2).
pub const CONNACK_CODES: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
];

fn publish(qos: u8) -> MessageDef {
    let mut body: Vec<FieldDef> = text("topic_length", "topic", TOPICS).into();
    if qos > 0 {
        body.push(packet_id());
    }
    body.extend(properties(PUBLISH_PROPS));
    body.push(FieldDef::bytes("payload", BytesLen::Between(0, 32)));
    let byte = 0x30 | (qos << 1);
    def(&format!("PUBLISH QoS {qos}"), u16::from(byte), byte, body)
}

/// What the broker's CONNACK stated, as the oracle needs it (`UNKNOWN` until one was read).
struct Limits {
    topic_alias_max: AtomicU64,
    max_qos: AtomicU64,
    retain_available: AtomicU64,
    sub_ids_available: AtomicU64,
}

const UNKNOWN: u64 = u64::MAX;

/// The MQTT 5.0 broker model.
pub struct Mqtt5 {
    messages: Vec<MessageDef>,
    connects: AtomicU64,
    keep_alive: u16,
    limits: Limits,
}

impl Default for Mqtt5 {
    fn default() -> Self {
        Mqtt5::new()
    }
}

impl Mqtt5 {
    /// The model (CONNECT with a 60 s keep alive).
    pub fn new() -> Mqtt5 {
        let mut sub = vec![packet_id()];
        sub.extend(properties(SUBSCRIBE_PROPS));
        sub.extend(text("filter_length", "filter", FILTERS));
        sub.push(FieldDef::int(
            "options",
            U8,
            Domain::OneOf(OPTIONS.to_vec()),
        ));
        let mut unsub = vec![packet_id()];
        unsub.extend(properties(UNSUBSCRIBE_PROPS));
        unsub.extend(text("filter_length", "filter", FILTERS));
        let mut pubrel = vec![
            packet_id(),
            FieldDef::int("reason_code", U8, Domain::OneOf(vec![0x00, 0x92])),
        ];
        pubrel.extend(properties(ACK_PROPS));
        let mut auth = vec![FieldDef::int(
            "reason_code",
            U8,
            Domain::OneOf(vec![0x18, 0x19]),
        )];
        auth.extend(properties(ACK_PROPS));
        let messages = vec![
            publish(0),
            publish(1),
            publish(2),
            def("PUBREL", 0x62, 0x62, pubrel),
            def("SUBSCRIBE", 0x82, 0x82, sub),
            def("UNSUBSCRIBE", 0xA2, 0xA2, unsub),
            def("PINGREQ", 0xC0, 0xC0, vec![]),
            def("AUTH", 0xF0, 0xF0, auth),
        ];
        Mqtt5 {
            messages,
            connects: AtomicU64::new(0),
            keep_alive: 60,
            limits: Limits {
                topic_alias_max: AtomicU64::new(UNKNOWN),
                max_qos: AtomicU64::new(UNKNOWN),
                retain_available: AtomicU64::new(UNKNOWN),
                sub_ids_available: AtomicU64::new(UNKNOWN),
            },
        }
    }

    /// A CONNECT (protocol level 5, clean start, no credentials) with `client_id`: Session
    /// Expiry Interval 0, Receive Maximum 32, Maximum Packet Size 1 MiB; `will`, when given,
    /// adds a will message (QoS 1) to that topic with will properties (Will Delay Interval 0,
    /// Message Expiry Interval 60, Content Type).
    pub fn connect_packet_with(&self, client_id: &str, will: Option<(&str, &[u8])>) -> Vec<u8> {
        let flags = if will.is_some() {
            0x02 | 0x04 | 0x08
        } else {
            0x02
        };
        let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 5, flags];
        body.extend_from_slice(&self.keep_alive.to_be_bytes());
        let p = [
            0x11, 0, 0, 0, 0, // Session Expiry Interval 0
            0x21, 0, 32, // Receive Maximum 32
            0x27, 0, 0x10, 0, 0, // Maximum Packet Size 1 MiB
        ];
        body.extend(crate::model::encode_varint(p.len() as u64));
        body.extend_from_slice(&p);
        let id = client_id.as_bytes();
        body.extend_from_slice(&(id.len() as u16).to_be_bytes());
        body.extend_from_slice(id);
        if let Some((topic, payload)) = will {
            let wp: &[u8] = b"\x18\x00\x00\x00\x00\x02\x00\x00\x00\x3c\x03\x00\x0atext/plain";
            body.extend(crate::model::encode_varint(wp.len() as u64));
            body.extend_from_slice(wp);
            body.extend_from_slice(&(topic.len() as u16).to_be_bytes());
            body.extend_from_slice(topic.as_bytes());
            body.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            body.extend_from_slice(payload);
        }
        packet(0x10, &body)
    }

    /// A CONNECT without a will.
    pub fn connect_packet(&self, client_id: &str) -> Vec<u8> {
        self.connect_packet_with(client_id, None)
    }

    fn limit(&self, a: &AtomicU64) -> Option<u64> {
        let v = a.load(Ordering::Relaxed);
        (v != UNKNOWN).then_some(v)
    }
}

/// A request as the oracle sorts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    /// A well-formed packet the broker must accept and answer as its type requires.
    Valid(Request),
    /// A Malformed Packet or Protocol Error: the broker must close the connection
    /// ([MQTT-4.13.1-1]); why, with the normative reference.
    Error(String),
}

/// A well-formed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// PUBLISH.
    Publish {
        /// QoS.
        qos: u8,
        /// Packet identifier (QoS 1 and 2).
        id: Option<u16>,
    },
    /// PUBREL.
    Pubrel(u16),
    /// SUBSCRIBE: packet id and requested QoS per filter.
    Subscribe {
        /// Packet identifier.
        id: u16,
        /// Requested QoS per filter.
        qos: Vec<u8>,
    },
    /// UNSUBSCRIBE: packet id and number of filters.
    Unsubscribe {
        /// Packet identifier.
        id: u16,
        /// Number of filters.
        filters: usize,
    },
    /// PINGREQ.
    Pingreq,
}

fn error(s: impl Into<String>) -> Option<Judged> {
    Some(Judged::Error(s.into()))
}

fn prop_error(e: PropError) -> Option<Judged> {
    error(format!(
        "{} ({})",
        e.why(),
        match e {
            PropError::Malformed(_) => "Malformed Packet",
            PropError::Protocol(_) => "Protocol Error",
        }
    ))
}

/// A shared subscription filter `$share/{name}/{filter}` is valid when the share name is
/// non-empty without `+`, `#` or `/`, and the filter is valid (4.8.2). `None`: not shared.
fn shared_ok(f: &str) -> Option<bool> {
    let rest = f.strip_prefix("$share/")?;
    Some(match rest.split_once('/') {
        Some((name, filter)) => {
            !name.is_empty() && !name.contains(['+', '#']) && valid_filter(filter)
        }
        None => false,
    })
}

/// A UTF-8 string field at `i` that MQTT 5.0 allows: (text, index after).
fn string_at(b: &[u8], i: usize) -> Option<(&str, usize)> {
    let n = usize::from(be16(b, i)?);
    let s = std::str::from_utf8(b.get(i + 2..i + 2 + n)?).ok()?;
    // Control characters other than U+0000 are allowed but a receiver may close on them
    // (1.5.4): not judged.
    (!s.chars().any(char::is_control)).then_some((s, i + 2 + n))
}

impl Mqtt5 {
    /// Sort a request (see [`Judged`]); `None` when the specification does not say what the
    /// broker must do with it.
    pub fn judge(&self, req: &[u8]) -> Option<Judged> {
        if packet_len(req).ok()?? != req.len() {
            return None;
        }
        let (_, used) = decode_varint(&req[1..]).ok()??;
        let body = &req[1 + used..];
        let first = req[0];
        match first >> 4 {
            3 => self.judge_publish(first, body),
            6 => {
                if first != 0x62 {
                    return error(
                        "PUBREL reserved flags not 0010 ([MQTT-3.6.1-1], Malformed Packet)",
                    );
                }
                let id = be16(body, 0)?;
                if id == 0 {
                    return None;
                }
                if body.len() > 2 {
                    let rc = body[2];
                    if !PUBCOMP_CODES.contains(&rc) {
                        return None;
                    }
                    if body.len() > 3 {
                        if let Err(e) = props::decode(body, 3, props::Packet::Ack) {
                            return prop_error(e);
                        }
                        if props::decode(body, 3, props::Packet::Ack).ok()?.1 != body.len() {
                            return None;
                        }
                    }
                }
                Some(Judged::Valid(Request::Pubrel(id)))
            }
            8 => {
                if first != 0x82 {
                    return error(
                        "SUBSCRIBE reserved flags not 0010 ([MQTT-3.8.1-1], Malformed Packet)",
                    );
                }
                let id = be16(body, 0)?;
                if id == 0 {
                    return None;
                }
                let (p, mut i) = match props::decode(body, 2, props::Packet::Subscribe) {
                    Ok(x) => x,
                    Err(e) => return prop_error(e),
                };
                if props::int(&p, 0x0B).is_some()
                    && self.limit(&self.limits.sub_ids_available) == Some(0)
                {
                    return error("Subscription Identifier sent though the CONNACK said Subscription Identifiers Available 0 (3.8.2.1.2, Protocol Error)");
                }
                let mut qos = Vec::new();
                while i < body.len() {
                    let (f, next) = string_at(body, i)?;
                    let o = *body.get(next)?;
                    if o & 0xC0 != 0 {
                        return error("subscription options reserved bits not 0 ([MQTT-3.8.3-5], Malformed Packet)");
                    }
                    if o & 3 == 3 {
                        return error("subscription option QoS 3 (3.8.3.1, Malformed Packet)");
                    }
                    if (o >> 4) & 3 == 3 {
                        return error(
                            "subscription option Retain Handling 3 (3.8.3.1, Protocol Error)",
                        );
                    }
                    match shared_ok(f) {
                        Some(false) => {
                            return error(format!(
                                "shared subscription filter {f:?} without a valid share name and filter (4.8.2, Protocol Error)"
                            ))
                        }
                        Some(true) if o & 4 != 0 => {
                            return error("No Local on a shared subscription ([MQTT-3.8.3-4], Protocol Error)")
                        }
                        Some(true) => {}
                        None if !valid_filter(f) => return None,
                        None => {}
                    }
                    qos.push(o & 3);
                    i = next + 1;
                }
                if qos.is_empty() {
                    return error(
                        "SUBSCRIBE without a topic filter ([MQTT-3.8.3-2], Protocol Error)",
                    );
                }
                Some(Judged::Valid(Request::Subscribe { id, qos }))
            }
            10 => {
                if first != 0xA2 {
                    return error(
                        "UNSUBSCRIBE reserved flags not 0010 ([MQTT-3.10.1-1], Malformed Packet)",
                    );
                }
                let id = be16(body, 0)?;
                if id == 0 {
                    return None;
                }
                let (_, mut i) = match props::decode(body, 2, props::Packet::Unsubscribe) {
                    Ok(x) => x,
                    Err(e) => return prop_error(e),
                };
                let mut filters = 0;
                while i < body.len() {
                    let (f, next) = string_at(body, i)?;
                    if shared_ok(f) == Some(false) || (shared_ok(f).is_none() && !valid_filter(f)) {
                        return None;
                    }
                    filters += 1;
                    i = next;
                }
                if filters == 0 {
                    return error(
                        "UNSUBSCRIBE without a topic filter ([MQTT-3.10.3-2], Protocol Error)",
                    );
                }
                Some(Judged::Valid(Request::Unsubscribe { id, filters }))
            }
            12 if first == 0xC0 && body.is_empty() => Some(Judged::Valid(Request::Pingreq)),
            12 if first != 0xC0 => error("PINGREQ reserved flags not 0 (2.1.3, Malformed Packet)"),
            15 => {
                if first != 0xF0 {
                    return error("AUTH reserved flags not 0 ([MQTT-3.15.1-1], Malformed Packet)");
                }
                error("AUTH from a client whose CONNECT had no Authentication Method (4.12, Protocol Error)")
            }
            _ => None,
        }
    }

    fn judge_publish(&self, first: u8, body: &[u8]) -> Option<Judged> {
        let qos = (first >> 1) & 3;
        if qos == 3 {
            return error("PUBLISH with both QoS bits set ([MQTT-3.3.1-4], Malformed Packet)");
        }
        if qos == 0 && first & 0x08 != 0 {
            return None; // DUP on QoS 0: [MQTT-3.3.1-2] binds the sender; no reason code named.
        }
        let n = usize::from(be16(body, 0)?);
        let topic = std::str::from_utf8(body.get(2..2 + n)?).ok()?;
        let mut i = 2 + n;
        if !topic.is_empty() && (!valid_topic(topic) || topic.chars().any(char::is_control)) {
            return None;
        }
        let id = if qos > 0 {
            let id = be16(body, i)?;
            i += 2;
            if id == 0 {
                return None;
            }
            Some(id)
        } else {
            None
        };
        let (p, _) = match props::decode(body, i, props::Packet::Publish) {
            Ok(x) => x,
            Err(e) => return prop_error(e),
        };
        // A Subscription Identifier ([MQTT-3.3.4-6]) or a wildcard Response Topic
        // ([MQTT-3.3.2-14]) in a client's PUBLISH breaks a rule on the sender that names no
        // reason code for the receiver: not judged.
        let rt = p.iter().find_map(|x| match (&x.value, x.id) {
            (PropValue::Bytes(b), 0x08) => Some(b.clone()),
            _ => None,
        });
        if p.iter().any(|x| x.id == 0x0B)
            || rt.is_some_and(|b| b.contains(&b'+') || b.contains(&b'#'))
        {
            return None;
        }
        if let Some(max) = self.limit(&self.limits.max_qos) {
            if u64::from(qos) > max {
                return error(format!(
                    "PUBLISH QoS {qos} over the CONNACK's Maximum QoS {max} ([MQTT-3.2.2-11], 3.2.2.3.4, Protocol Error)"
                ));
            }
        }
        if first & 1 == 1 && self.limit(&self.limits.retain_available) == Some(0) {
            return error(
                "RETAIN 1 though the CONNACK said Retain Available 0 (3.2.2.3.5, Protocol Error)",
            );
        }
        match props::int(&p, 0x23) {
            None if topic.is_empty() => error(
                "zero-length Topic Name without a Topic Alias (3.3.2.1, Protocol Error)",
            ),
            None => Some(Judged::Valid(Request::Publish { qos, id })),
            Some(alias) => match self.limit(&self.limits.topic_alias_max) {
                Some(max) if alias > max => error(format!(
                    "Topic Alias {alias} over the CONNACK's Topic Alias Maximum {max} ([MQTT-3.3.2-9], 3.3.2.3.4, Protocol Error)"
                )),
                // A known alias max: a topic given sets the alias; an empty topic
                // depends on earlier packets of the connection.
                Some(_) if !topic.is_empty() => Some(Judged::Valid(Request::Publish { qos, id })),
                _ => None,
            },
        }
    }
}

/// An acknowledgement (PUBACK, PUBREC, PUBCOMP, UNSUBACK's header) parsed: (packet id,
/// reason code, the rest after the properties), or what is wrong.
fn ack_parts(resp: &[u8], want: u8, codes: &[u8], id: u16, of: &str) -> Result<u8, String> {
    let name = packet_name(want >> 4);
    if resp[0] != want {
        return Err(format!(
            "{of} answered with {} (0x{:02X}), expected {name}",
            packet_name(resp[0] >> 4),
            resp[0]
        ));
    }
    let (len, used) = decode_varint(&resp[1..])
        .ok()
        .flatten()
        .ok_or_else(|| format!("{name} remaining length unreadable"))?;
    let body = &resp[1 + used..];
    if len < 2 || body.len() != len as usize {
        return Err(format!("{name} of remaining length {len} (3.4.2)"));
    }
    let got = u16::from_be_bytes([body[0], body[1]]);
    if got != id {
        return Err(format!(
            "{name} packet id {got} does not echo the request's {id} ([MQTT-2.2.1-5])"
        ));
    }
    let rc = body.get(2).copied().unwrap_or(0);
    if !codes.contains(&rc) {
        return Err(format!(
            "{name} reason code 0x{rc:02X} is not one {name} may carry"
        ));
    }
    if body.len() > 3 {
        match props::decode(body, 3, props::Packet::Ack) {
            Ok((_, end)) if end == body.len() => {}
            Ok(_) => return Err(format!("{name} has bytes after its properties")),
            Err(e) => return Err(format!("{name} properties: {}", e.why())),
        }
    }
    Ok(rc)
}

/// A SUBACK or UNSUBACK: packet id echoed, properties, `n` reason codes from `codes`.
fn list_ack(resp: &[u8], want: u8, codes: &[u8], id: u16, n: usize) -> Result<Vec<u8>, String> {
    let name = packet_name(want >> 4);
    if resp[0] != want {
        return Err(format!(
            "{} answered with {} (0x{:02X}), expected {name}",
            if want == 0x90 {
                "SUBSCRIBE"
            } else {
                "UNSUBSCRIBE"
            },
            packet_name(resp[0] >> 4),
            resp[0]
        ));
    }
    let (_, used) = decode_varint(&resp[1..])
        .ok()
        .flatten()
        .ok_or_else(|| format!("{name} remaining length unreadable"))?;
    let body = &resp[1 + used..];
    let got = be16(body, 0).ok_or_else(|| format!("{name} without a packet id"))?;
    if got != id {
        return Err(format!(
            "{name} packet id {got} does not echo the request's {id} ([MQTT-2.2.1-6])"
        ));
    }
    let (_, end) = props::decode(
        body,
        2,
        if want == 0x90 {
            props::Packet::Suback
        } else {
            props::Packet::Unsuback
        },
    )
    .map_err(|e| format!("{name} properties: {}", e.why()))?;
    let rcs = &body[end..];
    if rcs.len() != n {
        return Err(format!(
            "{name} has {} reason codes for {n} topic filters ({})",
            rcs.len(),
            if want == 0x90 {
                "[MQTT-3.9.3-1], [MQTT-3.9.3-2]"
            } else {
                "[MQTT-3.11.3-1], [MQTT-3.11.3-2]"
            }
        ));
    }
    if let Some(c) = rcs.iter().find(|c| !codes.contains(c)) {
        return Err(format!(
            "{name} reason code 0x{c:02X} is not defined for {name}"
        ));
    }
    Ok(rcs.to_vec())
}

/// The fixed-header byte a broker may send (2.1.3), MQTT 5.0.
fn server_header_ok(first: u8) -> bool {
    match first >> 4 {
        3 => (first >> 1) & 3 != 3,
        6 => first == 0x62,
        2 | 4 | 5 | 7 | 9 | 11 | 13 | 14 | 15 => first & 0x0F == 0,
        _ => false,
    }
}

/// A DISCONNECT from the server: its reason code, or what is wrong.
fn disconnect(resp: &[u8]) -> Result<u8, String> {
    let (len, used) = decode_varint(&resp[1..])
        .ok()
        .flatten()
        .ok_or("DISCONNECT remaining length unreadable")?;
    let body = &resp[1 + used..];
    let rc = if len == 0 {
        0
    } else {
        *body.first().ok_or("DISCONNECT cut short")?
    };
    if !DISCONNECT_CODES.contains(&rc) {
        return Err(format!(
            "DISCONNECT reason code 0x{rc:02X} is not one a server may send ([MQTT-3.14.2-1])"
        ));
    }
    if body.len() > 1 {
        props::decode(body, 1, props::Packet::Disconnect)
            .map_err(|e| format!("DISCONNECT properties: {}", e.why()))?;
    }
    Ok(rc)
}

impl ProtocolModel for Mqtt5 {
    fn name(&self) -> &'static str {
        super::Version::V5.protocol()
    }

    fn messages(&self) -> &[MessageDef] {
        &self.messages
    }

    fn prepare(&self, m: &mut Message, seq: u64) {
        if let Some(i) = self.messages.get(m.def).and_then(|d| d.field("packet_id")) {
            if !m.fixed.get(i).copied().unwrap_or(true) {
                m.values[i] = Value::Int((seq & 0x7FFF) + 1);
            }
        }
    }

    fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, String> {
        packet_len(buf)
    }

    fn check(&self, req: &[u8], _request_valid: bool, resp: &[u8]) -> Option<String> {
        if resp.len() < 2 {
            return Some(format!("answer of {} bytes", resp.len()));
        }
        if !server_header_ok(resp[0]) {
            return Some(format!(
                "fixed header 0x{:02X} ({}) is not a packet a server sends, or its reserved flags are wrong ([MQTT-2.1.3-1])",
                resp[0],
                packet_name(resp[0] >> 4)
            ));
        }
        if resp[0] == 0xE0 {
            return disconnect(resp).err();
        }
        if resp[0] == 0xF0 {
            return Some(
                "AUTH from the server though the CONNECT had no Authentication Method (4.12)"
                    .into(),
            );
        }
        let request = match self.judge(req)? {
            Judged::Error(why) => {
                // A refusal is conformant; a success acknowledgement of a packet the
                // broker had to close on is not.
                let success = match resp[0] {
                    0x40 | 0x50 | 0x70 => {
                        resp.get(1) == Some(&2) || resp.get(4).is_some_and(|c| *c < 0x80)
                    }
                    0x90 | 0xB0 => resp.last().is_some_and(|c| *c < 0x80),
                    0xD0 => true,
                    _ => false,
                };
                return success.then(|| {
                    format!(
                        "{} acknowledged with success, but {why}: the server must close the connection ([MQTT-4.13.1-1])",
                        packet_name(req[0] >> 4)
                    )
                });
            }
            Judged::Valid(r) => r,
        };
        match request {
            Request::Pingreq => (resp != [0xD0, 0x00]).then(|| {
                format!(
                    "PINGREQ answered with {}, expected PINGRESP d000 ([MQTT-3.12.4-1])",
                    hex::encode(resp)
                )
            }),
            Request::Publish { qos: 0, .. } => None,
            Request::Publish { qos, id } => {
                let byte = if qos == 1 { 0x40 } else { 0x50 };
                ack_parts(
                    resp,
                    byte,
                    PUBACK_CODES,
                    id.unwrap_or(0),
                    &format!("PUBLISH QoS {qos}"),
                )
                .err()
            }
            Request::Pubrel(id) => ack_parts(resp, 0x70, PUBCOMP_CODES, id, "PUBREL").err(),
            Request::Unsubscribe { id, filters } => {
                list_ack(resp, 0xB0, UNSUBACK_CODES, id, filters).err()
            }
            Request::Subscribe { id, qos } => {
                match list_ack(resp, 0x90, SUBACK_CODES, id, qos.len()) {
                    Err(e) => Some(e),
                    Ok(codes) => codes.iter().zip(&qos).find_map(|(c, q)| {
                        (*c <= 2 && c > q).then(|| {
                            format!("SUBACK grants QoS {c} above the requested {q} (3.9.3)")
                        })
                    }),
                }
            }
        }
    }

    fn required_answer(&self, req: &[u8]) -> Option<String> {
        match self.judge(req)? {
            Judged::Error(_) => None,
            Judged::Valid(r) => match r {
                Request::Pingreq => Some("PINGRESP required ([MQTT-3.12.4-1])".into()),
                Request::Publish { qos: 0, .. } => None,
                Request::Publish { qos: 1, .. } => Some("PUBACK required (4.3.2)".into()),
                Request::Publish { .. } => Some("PUBREC required (4.3.3)".into()),
                Request::Pubrel(_) => Some("PUBCOMP required (4.3.3)".into()),
                Request::Subscribe { .. } => Some("SUBACK required ([MQTT-3.8.4-1])".into()),
                Request::Unsubscribe { .. } => Some("UNSUBACK required ([MQTT-3.10.4-4])".into()),
            },
        }
    }

    fn probe(&self, _seq: u64) -> Vec<u8> {
        vec![0xC0, 0x00]
    }

    fn probe_ok(&self, probe: &[u8], response: &[u8]) -> bool {
        match probe.first() {
            Some(0xC0) => response == [0xD0, 0x00],
            Some(0x32) => {
                probe.len() >= 3
                    && response.len() >= 4
                    && response[0] == 0x40
                    && usize::from(response[1]) + 2 == response.len()
                    && response[2..4] == probe[probe.len() - 3..probe.len() - 1]
                    && response.get(4).is_none_or(|c| *c < 0x80)
            }
            _ => false,
        }
    }

    fn sentinel(&self, request: &[u8], seq: u64) -> Vec<u8> {
        let mut id = 0x8000 | (seq & 0x7FFF) as u16;
        let theirs = match self.judge(request) {
            Some(Judged::Valid(Request::Publish { id: Some(i), .. }))
            | Some(Judged::Valid(Request::Pubrel(i)))
            | Some(Judged::Valid(Request::Subscribe { id: i, .. }))
            | Some(Judged::Valid(Request::Unsubscribe { id: i, .. })) => Some(i),
            _ => None,
        };
        if theirs == Some(id) {
            id ^= 0x4000;
        }
        let mut body = (SENTINEL_TOPIC.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(SENTINEL_TOPIC.as_bytes());
        body.extend_from_slice(&id.to_be_bytes());
        body.push(0); // no properties
        packet(0x32, &body)
    }

    fn code_of(&self, request: &[u8]) -> Option<u16> {
        request
            .first()
            .map(|b| super::code_of_first_byte(&self.messages, *b))
    }

    fn prelude(&self) -> Vec<Vec<u8>> {
        let n = self.connects.fetch_add(1, Ordering::SeqCst);
        let id = format!("otproof5{:x}n{n:x}", std::process::id());
        vec![self.connect_packet(&id)]
    }

    fn starts_with_prelude(&self, seq: &[Vec<u8>]) -> bool {
        seq.first().and_then(|p| p.first()) == Some(&0x10)
    }

    fn prelude_check(&self, _step: usize, resp: &[u8]) -> Result<(), String> {
        let c = connack(resp)?;
        if c.code != 0 {
            return Err(format!("CONNACK reason code 0x{:02X}", c.code));
        }
        let l = &self.limits;
        l.topic_alias_max
            .store(c.topic_alias_max, Ordering::Relaxed);
        l.max_qos.store(c.max_qos, Ordering::Relaxed);
        l.retain_available
            .store(c.retain_available, Ordering::Relaxed);
        l.sub_ids_available
            .store(c.sub_ids_available, Ordering::Relaxed);
        Ok(())
    }

    fn fresh_connection_after_unframed(&self) -> bool {
        true
    }

    fn unsolicited(&self, frame: &[u8]) -> bool {
        frame.first().is_some_and(|b| b >> 4 == 3)
    }
}

/// What a CONNACK says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connack {
    /// Reason code.
    pub code: u8,
    /// Topic Alias Maximum (0 when absent, 3.2.2.3.8).
    pub topic_alias_max: u64,
    /// Maximum QoS (2 when absent).
    pub max_qos: u64,
    /// Retain Available (1 when absent).
    pub retain_available: u64,
    /// Subscription Identifiers Available (1 when absent).
    pub sub_ids_available: u64,
    /// Shared Subscription Available (1 when absent).
    pub shared_available: u64,
}

/// Parse an MQTT 5.0 CONNACK.
pub fn connack(resp: &[u8]) -> Result<Connack, String> {
    if resp.first() != Some(&0x20) {
        return Err(format!("expected CONNACK, got {}", hex::encode(resp)));
    }
    let (len, used) = decode_varint(resp.get(1..).unwrap_or(&[]))
        .ok()
        .flatten()
        .ok_or("CONNACK remaining length unreadable")?;
    let body = &resp[1 + used..];
    if body.len() != len as usize || body.len() < 2 {
        return Err(format!(
            "CONNACK of {} bytes: {}",
            resp.len(),
            hex::encode(resp)
        ));
    }
    if body[0] & 0xFE != 0 {
        return Err("CONNACK acknowledge flags reserved bits set ([MQTT-3.2.2-1])".into());
    }
    let code = body[1];
    if !CONNACK_CODES.contains(&code) {
        return Err(format!(
            "CONNACK reason code 0x{code:02X} is not defined (3.2.2.2)"
        ));
    }
    let p = if body.len() > 2 {
        let (p, end) = props::decode(body, 2, props::Packet::Connack)
            .map_err(|e| format!("CONNACK properties: {}", e.why()))?;
        if end != body.len() {
            return Err("CONNACK has bytes after its properties".into());
        }
        p
    } else {
        Vec::new()
    };
    Ok(Connack {
        code,
        topic_alias_max: props::int(&p, 0x22).unwrap_or(0),
        max_qos: props::int(&p, 0x24).unwrap_or(2),
        retain_available: props::int(&p, 0x25).unwrap_or(1),
        sub_ids_available: props::int(&p, 0x29).unwrap_or(1),
        shared_available: props::int(&p, 0x2A).unwrap_or(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{mutate, MutationClass};
    use crate::rng::Rng;

    fn model_after_connack(alias_max: u8) -> Mqtt5 {
        let m = Mqtt5::new();
        m.prelude_check(0, &[0x20, 6, 0, 0, 3, 0x22, 0, alias_max])
            .expect("CONNACK accepted");
        m
    }

    #[test]
    fn generated_packets_frame_and_are_sorted() {
        let m = model_after_connack(10);
        let mut rng = Rng::new(5);
        let mut kinds = [0usize; 3];
        for (i, d) in m.messages().iter().enumerate() {
            for seq in 0..60u64 {
                let mut msg = d.generate(i, &mut rng);
                m.prepare(&mut msg, seq);
                let (b, _) = d.encode(&msg);
                assert_eq!(packet_len(&b), Ok(Some(b.len())), "{}", d.name);
                assert_eq!(m.code_of(&b), Some(d.code));
                match m.judge(&b) {
                    Some(Judged::Valid(_)) => kinds[0] += 1,
                    Some(Judged::Error(_)) => kinds[1] += 1,
                    None => kinds[2] += 1,
                }
            }
        }
        // Each kind shows up: valid packets, protocol errors, and unjudged ones.
        assert!(kinds.iter().all(|k| *k > 0), "{kinds:?}");
    }

    #[test]
    fn oracle_per_mqtt_5() {
        let m = model_after_connack(10);
        // PUBLISH QoS 1 "t" id 0x1234 without properties.
        let p1 = packet(0x32, &[0, 1, b't', 0x12, 0x34, 0, 9]);
        assert_eq!(
            m.judge(&p1),
            Some(Judged::Valid(Request::Publish {
                qos: 1,
                id: Some(0x1234)
            }))
        );
        assert_eq!(m.check(&p1, true, &[0x40, 2, 0x12, 0x34]), None);
        assert_eq!(m.check(&p1, true, &[0x40, 3, 0x12, 0x34, 0x10]), None);
        assert_eq!(m.check(&p1, true, &[0x40, 4, 0x12, 0x34, 0x97, 0]), None);
        assert!(m.check(&p1, true, &[0x40, 3, 0x12, 0x34, 0x05]).is_some());
        assert!(m
            .check(&p1, true, &[0x40, 2, 0x12, 0x35])
            .is_some_and(|s| s.contains("MQTT-2.2.1-5")));
        // A server may end the connection with a reason code; an undefined one is a finding.
        assert_eq!(m.check(&p1, true, &[0xE0, 1, 0x97]), None);
        assert!(m.check(&p1, true, &[0xE0, 1, 0x04]).is_some());
        // Topic alias 0, over the maximum, a duplicate property: the broker must close.
        for props in [&[3u8, 0x23, 0, 0][..], &[3, 0x23, 0, 11], &[4, 1, 0, 1, 1]] {
            let mut body = vec![0, 1, b't', 0, 7];
            body.extend_from_slice(props);
            let p = packet(0x32, &body);
            assert!(matches!(m.judge(&p), Some(Judged::Error(_))), "{props:?}");
            assert_eq!(m.required_answer(&p), None);
            assert!(m
                .check(&p, true, &[0x40, 2, 0, 7])
                .is_some_and(|s| s.contains("MQTT-4.13.1-1")));
            assert_eq!(m.check(&p, true, &[0xE0, 1, 0x94]), None);
            assert_eq!(m.check(&p, true, &[0x40, 3, 0, 7, 0x80]), None);
        }
        // A client's Subscription Identifier binds the sender only ([MQTT-3.3.4-6]): not judged.
        assert_eq!(
            m.judge(&packet(0x32, &[0, 1, b't', 0, 7, 2, 0x0B, 1])),
            None
        );
        // Alias within the maximum with a topic: valid; with no topic: not judged.
        let a = packet(0x32, &[0, 1, b't', 0, 7, 3, 0x23, 0, 1]);
        assert!(matches!(m.judge(&a), Some(Judged::Valid(_))));
        assert_eq!(m.judge(&packet(0x32, &[0, 0, 0, 7, 3, 0x23, 0, 1])), None);
        assert!(matches!(
            m.judge(&packet(0x32, &[0, 0, 0, 7, 0])),
            Some(Judged::Error(_))
        ));
        // SUBSCRIBE: options, shared filters, SUBACK reason codes.
        let sub = |f: &str, o: u8| {
            let mut b = vec![0, 9, 0, 0, f.len() as u8];
            b.extend_from_slice(f.as_bytes());
            b.push(o);
            packet(0x82, &b)
        };
        let s = sub("$share/g/x", 1);
        assert!(matches!(m.judge(&s), Some(Judged::Valid(_))));
        assert_eq!(m.check(&s, true, &[0x90, 4, 0, 9, 0, 1]), None);
        assert_eq!(m.check(&s, true, &[0x90, 4, 0, 9, 0, 0x9E]), None);
        assert!(m.check(&s, true, &[0x90, 4, 0, 9, 0, 2]).is_some());
        assert!(m.check(&s, true, &[0x90, 4, 0, 9, 0, 0x03]).is_some());
        assert!(m
            .check(&s, true, &[0x90, 5, 0, 9, 0, 1, 1])
            .is_some_and(|s| s.contains("MQTT-3.9.3-1")));
        assert!(
            matches!(m.judge(&sub("$share/g/x", 5)), Some(Judged::Error(e)) if e.contains("MQTT-3.8.3-4"))
        );
        assert!(
            matches!(m.judge(&sub("x", 0x40)), Some(Judged::Error(e)) if e.contains("MQTT-3.8.3-5"))
        );
        assert!(matches!(
            m.judge(&sub("$share/g", 0)),
            Some(Judged::Error(_))
        ));
        // AUTH without an authentication method, PUBREL, PINGREQ.
        assert!(matches!(
            m.judge(&packet(0xF0, &[0x18, 0])),
            Some(Judged::Error(_))
        ));
        let rel = packet(0x62, &[0, 3]);
        assert_eq!(m.check(&rel, true, &[0x70, 3, 0, 3, 0x92]), None);
        assert!(m.check(&rel, true, &[0x70, 3, 0, 3, 0x10]).is_some());
        assert!(m.check(&[0xC0, 0], true, &[0xF0, 0]).is_some());
        // UNSUBACK.
        let un = packet(0xA2, &[0, 4, 0, 0, 1, b'#']);
        assert_eq!(m.check(&un, true, &[0xB0, 4, 0, 4, 0, 0x11]), None);
        assert!(m.check(&un, true, &[0xB0, 3, 0, 4, 0]).is_some());
    }

    #[test]
    fn connect_and_connack() {
        let m = Mqtt5::new();
        let c = m.connect_packet_with("a", Some(("otproof/will", b"w")));
        assert_eq!(packet_len(&c), Ok(Some(c.len())));
        assert_eq!(c[8], 5);
        assert_eq!(c[9], 0x0E);
        assert!(m.prelude_check(0, &[0x20, 3, 0, 0, 0]).is_ok());
        assert!(m.prelude_check(0, &[0x20, 2, 0, 0]).is_ok());
        assert!(m.prelude_check(0, &[0x20, 3, 0, 0x87, 0]).is_err());
        assert!(m.prelude_check(0, &[0x20, 3, 2, 0, 0]).is_err());
        assert!(m.prelude_check(0, &[0x20, 2, 0, 0x05]).is_err());
        let a = m.prelude();
        assert_ne!(a, m.prelude());
        let s = m.sentinel(&[0xC0, 0], 5);
        assert!(m.probe_ok(&s, &[0x40, 2, 0x80, 0x05]));
        assert!(m.probe_ok(&s, &[0x40, 3, 0x80, 0x05, 0x10]));
        assert!(!m.probe_ok(&s, &[0x40, 3, 0x80, 0x05, 0x80]));
    }

    #[test]
    fn every_mutation_class_builds() {
        let m = Mqtt5::new();
        let mut rng = Rng::new(11);
        for (i, d) in m.messages().iter().enumerate() {
            for class in MutationClass::ALL {
                let mut msg = d.generate(i, &mut rng);
                m.prepare(&mut msg, 1);
                let (b, field, _) = mutate(d, &msg, class, &mut rng);
                assert!(!field.is_empty());
                assert!(b.len() < 700, "{} {class:?}", d.name);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn oracle_never_panics(req in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
                               resp in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let m = model_after_connack(4);
            let _ = m.judge(&req);
            let _ = m.check(&req, false, &resp);
            let _ = m.required_answer(&req);
            let _ = m.sentinel(&req, 9);
            let _ = m.prelude_check(0, &resp);
            let _ = connack(&resp);
        }

        #[test]
        fn any_case_of_any_seed_builds(seed in proptest::num::u64::ANY, index in 0u64..1_000_000) {
            let m = Mqtt5::new();
            let c = crate::campaign::build_case(&m, seed, index);
            proptest::prop_assert!(c.bytes.len() < 800);
            proptest::prop_assert_eq!(c, crate::campaign::build_case(&m, seed, index));
        }
    }
}
