//! MQTT 5.0 (OASIS Standard, 7 March 2019), client side: otproof plays the 5.0 broker to a
//! client under test (see [`crate::listen`]). The model says how a conforming broker answers
//! (CONNACK, SUBACK, PUBACK, PUBREC, PUBCOMP, UNSUBACK, PINGRESP, all with an empty property
//! block) and which answers are test cases: CONNACK with valid properties, and CONNACK
//! variants (Session Present on a clean start, duplicate or out-of-range properties, Maximum
//! QoS, Topic Alias Maximum, Receive Maximum, Maximum Packet Size, Assigned Client
//! Identifier, properties not valid in a CONNACK, reserved reason codes); SUBACK, and SUBACK
//! with missing, extra or reserved reason codes; PUBLISH QoS 0/1/2, with bad properties or a
//! bad topic alias (0, over the client's Topic Alias Maximum, an alias never set); PUBREL
//! out of order (a packet id the client never used); UNSUBACK nobody asked for; DISCONNECT
//! and AUTH from the broker with reserved or client-only reason codes; a second CONNACK;
//! PINGREQ from the broker; reserved packet type 0.
//!
//! The oracle holds the client only to what the specification makes definite. In 5.0 a
//! client that detects a Malformed Packet or Protocol Error SHOULD (not MUST) close the
//! connection (4.13.1; 3.1.1 made it a MUST, [MQTT-4.8.0-1]), so going on after most bad
//! answers is allowed and only crashes and hangs are findings there. Conformance findings:
//! - going on after a CONNACK with Session Present 1 to a CONNECT with Clean Start 1
//!   ([MQTT-3.2.2-4]: a client without session state MUST close the connection);
//! - after a CONNACK with limits, sending what they forbid: a packet over its Maximum Packet
//!   Size ([MQTT-3.2.2-15]), a PUBLISH over its Maximum QoS ([MQTT-3.2.2-11]), a PUBLISH
//!   with RETAIN when Retain Available is 0 ([MQTT-3.2.2-14]), a Topic Alias over the
//!   CONNACK's Topic Alias Maximum, 0 when absent ([MQTT-3.3.2-9]);
//! - a DISCONNECT from the client whose reason code is not a DISCONNECT reason code
//!   ([MQTT-3.14.2-1]);
//! - going on after a well-formed PUBREL without answering it with a PUBCOMP
//!   ([MQTT-4.3.3-11]; 0x92 answers an unknown packet id).

use super::props;
use super::{
    be16, def, packet, packet_id, packet_len, packet_name, properties, set_bytes, set_int, split,
};
use crate::listen::{ClientModel, Stage};
use crate::model::{BytesLen, Domain, FieldDef, FieldType::*, Message, MessageDef, Rule};
use std::sync::Mutex;

/// The topic PUBLISH cases and the liveness probe use when the client subscribed to no plain
/// topic.
const DEFAULT_TOPIC: &str = "otproof/t";

/// Packet id of the liveness probe (a PUBLISH QoS 1).
const PROBE_ID: u16 = 0x7E57;

/// Code of the CONNACK variants (its packet byte is 0x20).
pub const CONNACK_VARIANT: u16 = 0x120;
/// Code of the SUBACK with missing, extra or reserved reason codes.
pub const SUBACK_BAD: u16 = 0x190;
/// Code of the PUBLISH with bad properties.
pub const PUBLISH_BAD_PROPS: u16 = 0x130;
/// Code of the PUBLISH with a bad topic alias.
pub const PUBLISH_BAD_ALIAS: u16 = 0x230;
/// Code of the second CONNACK.
pub const CONNACK_AGAIN: u16 = 0x320;

/// Valid CONNACK property blocks (a random one per valid CONNACK).
const CONNACK_PROPS: &[&str] = &[
    "",
    "\x22\x00\x0a",
    "\x21\x00\x0a",
    "\x24\x01",
    "\x13\x00\x3c",
    "\x1f\x00\x02ok",
    "\x26\x00\x01k\x00\x01v",
];

/// CONNACK variants, in turn: (acknowledge flags, reason code, property block).
pub const CONNACK_VARIANTS: &[(u8, u8, &[u8])] = &[
    // Session Present on a clean start: the client MUST close ([MQTT-3.2.2-4]).
    (1, 0x00, b""),
    // Limits a client must keep: Maximum Packet Size 8 (a SUBSCRIBE is longer), Maximum QoS
    // 0, Retain Available 0, Topic Alias Maximum 0, Receive Maximum 1.
    (0, 0x00, b"\x27\x00\x00\x00\x08"),
    (0, 0x00, b"\x24\x00"),
    (0, 0x00, b"\x25\x00"),
    (0, 0x00, b"\x22\x00\x00"),
    (0, 0x00, b"\x21\x00\x01"),
    // An Assigned Client Identifier (to a client that gave one: allowed, not required).
    (0, 0x00, b"\x12\x00\x0aotproof-id"),
    // Protocol Errors: duplicate Topic Alias Maximum, Maximum QoS 2, Receive Maximum 0,
    // Maximum Packet Size 0, Retain Available 2.
    (0, 0x00, b"\x22\x00\x0a\x22\x00\x05"),
    (0, 0x00, b"\x24\x02"),
    (0, 0x00, b"\x21\x00\x00"),
    (0, 0x00, b"\x27\x00\x00\x00\x00"),
    (0, 0x00, b"\x25\x02"),
    // Malformed: a property not valid in CONNACK, an undefined identifier, a value cut
    // short, an Assigned Client Identifier of ill-formed UTF-8, a property length past the
    // packet.
    (0, 0x00, b"\x23\x00\x01"),
    (0, 0x00, b"\x7f\x00"),
    (0, 0x00, b"\x12\x00\x09ab"),
    (0, 0x00, b"\x12\x00\x02\xc0\xaf"),
    // Reserved acknowledge flags, reserved reason codes, a reason code of another packet.
    (0x02, 0x00, b""),
    (0, 0x01, b""),
    (0, 0x7F, b""),
    (0, 0x04, b""),
    (0, 0xFF, b""),
    // A refusal with Session Present 1 ([MQTT-3.2.2-6] binds the server).
    (1, 0x87, b""),
];

/// SUBACK reason code lists, in turn, for a SUBSCRIBE of `n` filters granted `q`: missing
/// (none), extra (one more), reserved codes.
const SUBACK_VARIANTS: &[SubackVariant] = &[
    SubackVariant::Missing,
    SubackVariant::Extra,
    SubackVariant::Code(0x03),
    SubackVariant::Code(0x7F),
    SubackVariant::Code(0x82),
    SubackVariant::Code(0xFF),
    SubackVariant::Code(0x10),
];

#[derive(Debug, Clone, Copy)]
enum SubackVariant {
    Missing,
    Extra,
    Code(u8),
}

/// Valid PUBLISH property blocks from a broker.
const PUBLISH_PROPS: &[&str] = &[
    "",
    "\x01\x01",
    "\x02\x00\x00\x00\x3c",
    "\x03\x00\x0atext/plain",
    "\x08\x00\x09otproof/r",
    "\x09\x00\x02ab",
    "\x0b\x01",
    "\x0b\x01\x0b\x02",
    "\x26\x00\x01k\x00\x01v\x26\x00\x01k\x00\x01w",
];

/// PUBLISH property blocks a client must refuse (Malformed Packet or Protocol Error), in turn.
const PUBLISH_BAD: &[&[u8]] = &[
    b"\x01\x00\x01\x01",
    b"\x01\x02",
    b"\x11\x00\x00\x00\x00",
    b"\x7f\x00",
    b"\x0b\x00",
    b"\x03\x00\x02\xc0\xaf",
    b"\x03\x00\x09ab",
    b"\x26\x00\x01k",
    b"\x15\x00\x05PLAIN",
];

/// Reason codes of a DISCONNECT from the broker, in turn: allowed, client-only (0x04),
/// reserved, and a property a server must not send (Session Expiry Interval, [MQTT-3.14.2-2]).
const DISCONNECT_VARIANTS: &[(u8, &[u8])] = &[
    (0x8B, b""),
    (0x00, b""),
    (0x04, b""),
    (0x01, b""),
    (0x7F, b""),
    (0xFF, b""),
    (0x8B, b"\x11\x00\x00\x00\x3c"),
    (0x9C, b"\x1c\x00\x01x"),
];

/// Reason codes of an AUTH from the broker (to a client that asked for no authentication), in
/// turn.
const AUTH_VARIANTS: &[(u8, &[u8])] = &[
    (0x18, b"\x15\x00\x05PLAIN"),
    (0x00, b""),
    (0x19, b""),
    (0x01, b""),
    (0x87, b""),
    (0xFF, b"\x15\x00\x05PLAIN"),
];

/// Reason codes a DISCONNECT may carry (3.14.2.1).
const DISCONNECT_CODES: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];

fn publish(name: &str, code: u16, qos: u8) -> MessageDef {
    let mut body = vec![
        FieldDef::derived("topic_length", U16, Rule::ByteLengthOf("topic")),
        FieldDef::bytes("topic", BytesLen::Choice(&[DEFAULT_TOPIC])),
    ];
    if qos > 0 {
        body.push(packet_id());
    }
    body.extend(properties(PUBLISH_PROPS));
    body.push(FieldDef::bytes("payload", BytesLen::Between(0, 16)));
    def(name, code, 0x30 | (qos << 1), body)
}

fn connack(name: &str, code: u16) -> MessageDef {
    let mut body = vec![
        FieldDef::int("ack_flags", U8, Domain::Const(0)),
        FieldDef::int("reason_code", U8, Domain::Const(0)),
    ];
    body.extend(properties(CONNACK_PROPS));
    def(name, code, 0x20, body)
}

fn reason_and_props(code: u64) -> Vec<FieldDef> {
    let mut body = vec![FieldDef::int("reason_code", U8, Domain::Const(code))];
    body.extend(properties(&[""]));
    body
}

/// What the client's CONNECT said (read from it as the session starts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientConnect {
    /// Clean Start set.
    pub clean_start: bool,
    /// The client's Topic Alias Maximum (0: it accepts no alias).
    pub topic_alias_max: u16,
    /// It sent an Authentication Method.
    pub auth_method: bool,
}

/// Read a 5.0 CONNECT; `None` if it is not one well-formed enough to read.
pub fn read_connect(p: &[u8]) -> Option<ClientConnect> {
    let (first, body) = split(p)?;
    if first != 0x10 || body.get(..7)? != b"\x00\x04MQTT\x05" {
        return None;
    }
    let flags = *body.get(7)?;
    let (ps, _) = props::decode(body, 10, props::Packet::Connect).ok()?;
    Some(ClientConnect {
        clean_start: flags & 0x02 != 0,
        topic_alias_max: props::int(&ps, 0x22).map_or(0, |v| v as u16),
        auth_method: ps.iter().any(|p| p.id == 0x15),
    })
}

/// A 5.0 SUBSCRIBE: packet id, filters and their requested QoS (`None` if it is not one).
pub fn subscribe_filters(p: &[u8]) -> Option<(u16, Vec<Vec<u8>>, Vec<u8>)> {
    let (first, body) = split(p)?;
    if first != 0x82 {
        return None;
    }
    let id = be16(body, 0)?;
    let (_, mut i) = props::decode(body, 2, props::Packet::Subscribe).ok()?;
    let (mut filters, mut qos) = (Vec::new(), Vec::new());
    while i < body.len() {
        let n = usize::from(be16(body, i)?);
        filters.push(body.get(i + 2..i + 2 + n)?.to_vec());
        qos.push(*body.get(i + 2 + n)? & 3);
        i += 3 + n;
    }
    (!filters.is_empty()).then_some((id, filters, qos))
}

/// The number of topic filters of a 5.0 UNSUBSCRIBE.
fn unsubscribe_count(body: &[u8]) -> Option<usize> {
    let (_, mut i) = props::decode(body, 2, props::Packet::Unsubscribe).ok()?;
    let mut n = 0;
    while i < body.len() {
        i += 2 + usize::from(be16(body, i)?);
        n += 1;
    }
    Some(n)
}

fn topic_for(trigger: &[u8]) -> Vec<u8> {
    crate::mqtt::plain_topic(
        subscribe_filters(trigger).and_then(|(_, f, _)| f.into_iter().next()),
        DEFAULT_TOPIC,
    )
}

/// The limits a CONNACK case set for the client, read from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Limits {
    max_packet: Option<u64>,
    max_qos: Option<u64>,
    retain: Option<u64>,
    alias_max: u64,
}

fn limits_of(connack: &[u8]) -> Option<Limits> {
    let (first, body) = split(connack)?;
    if first != 0x20 || body.len() < 2 || body[1] >= 0x80 {
        return None;
    }
    let (ps, end) = props::decode(body, 2, props::Packet::Connack).ok()?;
    (end == body.len()).then(|| Limits {
        max_packet: props::int(&ps, 0x27),
        max_qos: props::int(&ps, 0x24),
        retain: props::int(&ps, 0x25),
        alias_max: props::int(&ps, 0x22).unwrap_or(0),
    })
}

/// The MQTT 5.0 client model (otproof as the 5.0 broker).
pub struct Mqtt5Client {
    messages: Vec<MessageDef>,
    /// The CONNECT of the current session.
    connect: Mutex<ClientConnect>,
}

impl Default for Mqtt5Client {
    fn default() -> Self {
        Mqtt5Client::new()
    }
}

impl Mqtt5Client {
    /// The model.
    pub fn new() -> Mqtt5Client {
        let suback = |name: &str, code: u16| {
            let mut body = vec![packet_id()];
            body.extend(properties(&["", "\x1f\x00\x02ok"]));
            body.push(FieldDef::bytes("reason_codes", BytesLen::Between(1, 1)));
            def(name, code, 0x90, body)
        };
        let messages = vec![
            connack("CONNACK", 0x20),
            connack("CONNACK variant", CONNACK_VARIANT),
            suback("SUBACK", 0x90),
            suback("SUBACK bad reason codes", SUBACK_BAD),
            publish("PUBLISH QoS 0", 0x30, 0),
            publish("PUBLISH QoS 1", 0x32, 1),
            publish("PUBLISH QoS 2", 0x34, 2),
            publish("PUBLISH bad properties", PUBLISH_BAD_PROPS, 0),
            publish("PUBLISH bad topic alias", PUBLISH_BAD_ALIAS, 0),
            def("PUBREL unknown packet id", 0x62, 0x62, {
                let mut b = vec![
                    packet_id(),
                    FieldDef::int("reason_code", U8, Domain::OneOf(vec![0, 0x92])),
                ];
                b.extend(properties(&[""]));
                b
            }),
            def("UNSUBACK unknown packet id", 0xB0, 0xB0, {
                let mut b = vec![packet_id()];
                b.extend(properties(&[""]));
                b.push(FieldDef::int(
                    "reason_code",
                    U8,
                    Domain::OneOf(vec![0, 0x11]),
                ));
                b
            }),
            def(
                "DISCONNECT from the broker",
                0xE0,
                0xE0,
                reason_and_props(0x8B),
            ),
            def("AUTH from the broker", 0xF0, 0xF0, reason_and_props(0x18)),
            connack("CONNACK again", CONNACK_AGAIN),
            def("PINGREQ from the broker", 0xC0, 0xC0, vec![]),
            def(
                "reserved packet type 0",
                0x00,
                0x00,
                vec![FieldDef::bytes("body", BytesLen::Between(0, 4))],
            ),
        ];
        Mqtt5Client {
            messages,
            connect: Mutex::new(ClientConnect::default()),
        }
    }

    /// What the current session's CONNECT said.
    pub fn client_connect(&self) -> ClientConnect {
        self.connect.lock().map(|c| *c).unwrap_or_default()
    }

    /// The variant of a cycled message type for case `index`.
    fn turn(&self, index: u64, of: usize) -> usize {
        (index as usize / self.messages.len().max(1)) % of.max(1)
    }
}

impl ClientModel for Mqtt5Client {
    fn name(&self) -> &'static str {
        "mqtt-5.0-client"
    }

    fn messages(&self) -> &[MessageDef] {
        &self.messages
    }

    fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, String> {
        packet_len(buf)
    }

    fn stage_of(&self, frame: &[u8]) -> Option<Stage> {
        match frame.first()? {
            0x10 => {
                // A new session: remember what its CONNECT asked for.
                let c = read_connect(frame).unwrap_or_default();
                if let Ok(mut s) = self.connect.lock() {
                    *s = c;
                }
                Some(Stage::Connect)
            }
            0x82 => Some(Stage::Subscribe),
            _ => None,
        }
    }

    fn stage(&self, def: usize) -> Stage {
        match self.messages.get(def).map(|d| d.code) {
            Some(0x20 | CONNACK_VARIANT) => Stage::Connect,
            Some(0x90 | SUBACK_BAD) => Stage::Subscribe,
            _ => Stage::Session,
        }
    }

    fn answer(&self, frame: &[u8]) -> Vec<Vec<u8>> {
        let Some((first, body)) = split(frame) else {
            return Vec::new();
        };
        match first {
            0x10 => vec![vec![0x20, 0x03, 0x00, 0x00, 0x00]],
            0x82 => subscribe_filters(frame)
                .map(|(id, _, qos)| {
                    let mut b = id.to_be_bytes().to_vec();
                    b.push(0);
                    b.extend(qos);
                    vec![packet(0x90, &b)]
                })
                .unwrap_or_default(),
            0xA2 => match (be16(body, 0), unsubscribe_count(body)) {
                (Some(id), Some(n)) if n > 0 => {
                    let mut b = id.to_be_bytes().to_vec();
                    b.push(0);
                    b.extend(std::iter::repeat_n(0u8, n));
                    vec![packet(0xB0, &b)]
                }
                _ => Vec::new(),
            },
            _ => crate::mqtt::broker_ack(frame),
        }
    }

    fn ends_session(&self, frame: &[u8]) -> bool {
        frame.first() == Some(&0xE0)
    }

    fn prepare(&self, m: &mut Message, trigger: &[u8], index: u64) {
        let Some(def) = self.messages.get(m.def) else {
            return;
        };
        match def.code {
            CONNACK_VARIANT => {
                let (flags, rc, p) = CONNACK_VARIANTS[self.turn(index, CONNACK_VARIANTS.len())];
                set_int(m, def, "ack_flags", u64::from(flags));
                set_int(m, def, "reason_code", u64::from(rc));
                set_bytes(m, def, "properties", p.to_vec());
            }
            0x90 | SUBACK_BAD => {
                let (id, _, qos) = subscribe_filters(trigger).unwrap_or((1, Vec::new(), vec![0]));
                set_int(m, def, "packet_id", u64::from(id));
                let codes = if def.code == 0x90 {
                    qos
                } else {
                    match SUBACK_VARIANTS[self.turn(index, SUBACK_VARIANTS.len())] {
                        SubackVariant::Missing => Vec::new(),
                        SubackVariant::Extra => {
                            let mut q = qos;
                            q.push(0);
                            q
                        }
                        SubackVariant::Code(c) => {
                            let mut q = qos;
                            q[0] = c;
                            q
                        }
                    }
                };
                set_bytes(m, def, "reason_codes", codes);
            }
            0x30 | 0x32 | 0x34 => set_bytes(m, def, "topic", topic_for(trigger)),
            PUBLISH_BAD_PROPS => {
                set_bytes(m, def, "topic", topic_for(trigger));
                let p = PUBLISH_BAD[self.turn(index, PUBLISH_BAD.len())];
                set_bytes(m, def, "properties", p.to_vec());
            }
            PUBLISH_BAD_ALIAS => {
                let over = u64::from(self.client_connect().topic_alias_max) + 1;
                let (topic, alias) = match self.turn(index, 4) {
                    0 => (topic_for(trigger), 0),
                    1 => (topic_for(trigger), over),
                    2 => (Vec::new(), 1),
                    _ => (Vec::new(), u64::MAX),
                };
                set_bytes(m, def, "topic", topic);
                let p = if alias == u64::MAX {
                    Vec::new()
                } else {
                    let mut p = vec![0x23];
                    p.extend_from_slice(&(alias as u16).to_be_bytes());
                    p
                };
                set_bytes(m, def, "properties", p);
            }
            0xE0 | 0xF0 => {
                let list = if def.code == 0xE0 {
                    DISCONNECT_VARIANTS
                } else {
                    AUTH_VARIANTS
                };
                let (rc, p) = list[self.turn(index, list.len())];
                set_int(m, def, "reason_code", u64::from(rc));
                set_bytes(m, def, "properties", p.to_vec());
            }
            _ => {}
        }
        // Packet ids of PUBLISH, PUBREL, UNSUBACK from the broker: ones the client never
        // used, away from the probe's.
        if !matches!(def.code, 0x90 | SUBACK_BAD) {
            set_int(m, def, "packet_id", 0x100 + (index & 0x3FFF));
        }
    }

    fn code_of(&self, sent: &[u8]) -> Option<u16> {
        let first = *sent.first()?;
        let Some((f, body)) = split(sent) else {
            return Some(u16::from(first & 0xF0));
        };
        Some(match f >> 4 {
            2 => {
                let plain = body.len() >= 2
                    && body[0] == 0
                    && body[1] == 0
                    && props::decode(body, 2, props::Packet::Connack)
                        .is_ok_and(|(_, end)| end == body.len());
                if plain {
                    0x20
                } else {
                    CONNACK_VARIANT
                }
            }
            3 => {
                let n = usize::from(be16(body, 0)?);
                let mut i = 2 + n;
                if (f >> 1) & 3 > 0 {
                    i += 2;
                }
                match props::decode(body, i, props::Packet::Publish) {
                    Err(_) => PUBLISH_BAD_PROPS,
                    Ok((p, _)) if props::int(&p, 0x23).is_some() || n == 0 => PUBLISH_BAD_ALIAS,
                    Ok(_) => u16::from(f & 0xF6),
                }
            }
            9 => {
                let ok = props::decode(body, 2, props::Packet::Suback).is_ok_and(|(_, end)| {
                    end < body.len()
                        && body[end..]
                            .iter()
                            .all(|c| super::v5::SUBACK_CODES.contains(c))
                });
                if ok {
                    0x90
                } else {
                    SUBACK_BAD
                }
            }
            6 => 0x62,
            _ => u16::from(f & 0xF0),
        })
    }

    fn must_close(&self, sent: &[u8], trigger: &[u8]) -> Option<String> {
        let (first, body) = split(sent)?;
        if first != 0x20 || body.len() < 2 || body[0] & 1 == 0 || body[1] != 0 {
            return None;
        }
        let c = read_connect(trigger)?;
        c.clean_start.then(|| {
            "a CONNACK with Session Present 1 to a CONNECT with Clean Start 1 (a client without session state MUST close the connection, [MQTT-3.2.2-4])".to_string()
        })
    }

    fn client_breaks(&self, case: &[u8], frame: &[u8]) -> Option<String> {
        let lim = limits_of(case).unwrap_or_default();
        let name = frame.first().map_or("packet", |f| packet_name(f >> 4));
        if let Some(max) = lim.max_packet {
            if frame.len() as u64 > max {
                return Some(format!(
                    "a {name} of {} bytes over the CONNACK's Maximum Packet Size {max} ([MQTT-3.2.2-15])",
                    frame.len()
                ));
            }
        }
        let (first, body) = split(frame)?;
        match first >> 4 {
            3 => {
                let qos = u64::from((first >> 1) & 3);
                if let Some(max) = lim.max_qos.filter(|m| qos > *m && qos < 3) {
                    return Some(format!(
                        "a PUBLISH QoS {qos} over the CONNACK's Maximum QoS {max} ([MQTT-3.2.2-11])"
                    ));
                }
                if first & 1 == 1 && lim.retain == Some(0) {
                    return Some(
                        "a PUBLISH with RETAIN 1 after the CONNACK's Retain Available 0 ([MQTT-3.2.2-14])"
                            .into(),
                    );
                }
                let n = usize::from(be16(body, 0)?);
                let i = 2 + n + if qos > 0 { 2 } else { 0 };
                let (p, _) = props::decode(body, i, props::Packet::Publish).ok()?;
                let alias = props::int(&p, 0x23)?;
                (alias > lim.alias_max).then(|| {
                    format!(
                        "a PUBLISH with Topic Alias {alias} over the CONNACK's Topic Alias Maximum {} ([MQTT-3.3.2-9])",
                        lim.alias_max
                    )
                })
            }
            14 => {
                let rc = body.first().copied().unwrap_or(0);
                (!DISCONNECT_CODES.contains(&rc)).then(|| {
                    format!(
                        "a DISCONNECT with reason code 0x{rc:02X}, not a DISCONNECT reason code ([MQTT-3.14.2-1])"
                    )
                })
            }
            _ => None,
        }
    }

    fn body_of(&self, frame: &[u8]) -> Option<Vec<u8>> {
        crate::mqtt::packet_body(frame).map(<[u8]>::to_vec)
    }

    fn with_body(&self, frame: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        crate::mqtt::with_body(frame, body)
    }

    fn must_reply(&self, sent: &[u8]) -> Option<String> {
        let (first, body) = split(sent)?;
        let id = be16(body, 0)?;
        let well_formed = match body.len() {
            2 => true,
            3 => super::v5::PUBCOMP_CODES.contains(&body[2]),
            _ => {
                super::v5::PUBCOMP_CODES.contains(&body[2])
                    && props::decode(body, 3, props::Packet::Ack)
                        .is_ok_and(|(_, end)| end == body.len())
            }
        };
        (first == 0x62 && id != 0 && well_formed).then(|| {
            "a PUBREL, which the receiver must answer with a PUBCOMP with its packet id (0x92 for an unknown one) ([MQTT-4.3.3-11])".to_string()
        })
    }

    fn is_reply(&self, sent: &[u8], frame: &[u8]) -> bool {
        super::is_pubcomp_for(sent, frame)
    }

    fn goes_on(&self, sent: &[u8]) -> bool {
        match split(sent) {
            // After refusing a connection a server closes it ([MQTT-3.2.2-7]); after a
            // DISCONNECT the sender closes it ([MQTT-3.14.4-2]).
            Some((0x20, body)) => body.get(1).is_none_or(|rc| *rc < 0x80),
            Some((0xE0, _)) => false,
            _ => true,
        }
    }

    fn probe(&self, trigger: &[u8]) -> Vec<u8> {
        crate::mqtt::probe_publish(&topic_for(trigger), PROBE_ID, true)
    }

    fn probe_ack(&self, frame: &[u8]) -> bool {
        matches!(split(frame), Some((0x40, body)) if be16(body, 0) == Some(PROBE_ID))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(clean: bool, alias_max: u16) -> Vec<u8> {
        let mut body = b"\x00\x04MQTT\x05".to_vec();
        body.push(if clean { 2 } else { 0 });
        body.extend([0, 60]);
        let p = [0x22, (alias_max >> 8) as u8, alias_max as u8];
        body.push(p.len() as u8);
        body.extend(p);
        body.extend([0, 1, b'c']);
        packet(0x10, &body)
    }

    fn subscribe(id: u16, filters: &[&str]) -> Vec<u8> {
        let mut body = id.to_be_bytes().to_vec();
        body.push(0);
        for f in filters {
            body.extend((f.len() as u16).to_be_bytes());
            body.extend(f.as_bytes());
            body.push(1);
        }
        packet(0x82, &body)
    }

    #[test]
    fn a_conforming_broker_answers_the_session() {
        let m = Mqtt5Client::new();
        let c = connect(true, 5);
        assert_eq!(m.stage_of(&c), Some(Stage::Connect));
        assert_eq!(
            m.client_connect(),
            ClientConnect {
                clean_start: true,
                topic_alias_max: 5,
                auth_method: false
            }
        );
        assert_eq!(m.answer(&c), vec![vec![0x20, 3, 0, 0, 0]]);
        let sub = subscribe(7, &["a", "b/+"]);
        assert_eq!(m.answer(&sub), vec![vec![0x90, 5, 0, 7, 0, 1, 1]]);
        let unsub = packet(0xA2, &[0, 8, 0, 0, 1, b'a']);
        assert_eq!(m.answer(&unsub), vec![vec![0xB0, 4, 0, 8, 0, 0]]);
        let pub1 = packet(0x32, &[0, 1, b't', 0, 9, 0, b'x']);
        assert_eq!(m.answer(&pub1), vec![vec![0x40, 2, 0, 9]]);
        assert!(m.answer(&[0xE0, 0]).is_empty());
        for a in m.answer(&sub).iter().chain(m.answer(&c).iter()) {
            assert_eq!(m.must_close(a, &c), None);
            assert_eq!(m.client_breaks(a, &sub), None);
        }
        assert!(m.probe_ack(&[0x40, 2, 0x7E, 0x57]));
        assert!(m.probe_ack(&[0x40, 4, 0x7E, 0x57, 0x10, 0]));
        assert!(!m.probe_ack(&[0x40, 2, 0x7E, 0x58]));
    }

    #[test]
    fn the_oracle_holds_the_client_to_definite_rules_only() {
        let m = Mqtt5Client::new();
        let c = connect(true, 0);
        let why = m
            .must_close(&[0x20, 3, 1, 0, 0], &c)
            .expect("session present");
        assert!(why.contains("MQTT-3.2.2-4"), "{why}");
        assert_eq!(m.must_close(&[0x20, 3, 1, 0, 0], &connect(false, 0)), None);
        // Malformed or Protocol Error: the client SHOULD close; going on is allowed.
        assert_eq!(m.must_close(&[0x20, 5, 0, 0, 2, 0x24, 2], &c), None);
        assert_eq!(
            m.must_close(&[0x90, 3, 0, 7, 0], &subscribe(7, &["t"])),
            None
        );
        // Limits of a CONNACK case bind what the client sends after it.
        let mps = packet(0x20, b"\x00\x00\x05\x27\x00\x00\x00\x08");
        let sub = subscribe(1, &["otproof/t"]);
        let why = m.client_breaks(&mps, &sub).expect("too large");
        assert!(why.contains("MQTT-3.2.2-15"), "{why}");
        assert_eq!(m.client_breaks(&mps, &[0x40, 2, 0, 1]), None);
        let qos0 = packet(0x20, b"\x00\x00\x02\x24\x00");
        let p1 = packet(0x32, &[0, 1, b't', 0, 9, 0]);
        assert!(m.client_breaks(&qos0, &p1).is_some());
        let alias = packet(0x30, &[0, 1, b't', 3, 0x23, 0, 1]);
        assert!(m.client_breaks(&[0x20, 3, 0, 0, 0], &alias).is_some());
        let alias_ok = packet(0x20, b"\x00\x00\x03\x22\x00\x02");
        assert_eq!(m.client_breaks(&alias_ok, &alias), None);
        assert!(m
            .client_breaks(&[0x20, 3, 0, 0, 0], &[0xE0, 1, 0x05])
            .is_some());
        assert_eq!(m.client_breaks(&[0x20, 3, 0, 0, 0], &[0xE0, 1, 0x81]), None);
        let pubrel = [0x62, 3, 1, 0, 0x92];
        assert!(m
            .must_reply(&pubrel)
            .is_some_and(|r| r.contains("MQTT-4.3.3-11")));
        assert!(m.is_reply(&pubrel, &[0x70, 3, 1, 0, 0x92]));
        assert!(!m.is_reply(&pubrel, &[0x70, 2, 1, 1]));
        assert_eq!(m.must_reply(&[0x62, 3, 1, 0, 0x10]), None);
        assert_eq!(m.must_reply(&[0x63, 2, 1, 0]), None);
        assert!(!m.goes_on(&[0x20, 3, 0, 0x87, 0]));
        assert!(!m.goes_on(&[0xE0, 1, 0x8B]));
        assert!(m.goes_on(&[0xF0, 1, 0x18]));
    }

    #[test]
    fn every_variant_builds_and_is_labelled() {
        let m = Mqtt5Client::new();
        let c = connect(true, 2);
        m.stage_of(&c);
        let sub = subscribe(42, &["news", "x/#"]);
        let n = m.messages().len() as u64;
        for index in 0..n * 24 {
            let d = (index % n) as usize;
            let def = &m.messages()[d];
            let mut msg = def.generate(d, &mut crate::rng::Rng::new(index));
            m.prepare(&mut msg, &sub, index);
            let bytes = def.encode(&msg).0;
            assert_eq!(m.frame_len(&bytes), Ok(Some(bytes.len())), "{}", def.name);
            let code = m.code_of(&bytes).expect("a code");
            if matches!(
                def.code,
                0x30 | 0x32 | 0x34 | 0x90 | 0x62 | 0xB0 | 0xE0 | 0xF0
            ) {
                assert_eq!(code, def.code, "{} {bytes:02X?}", def.name);
            }
        }
        // A valid SUBACK echoes the packet id and grants the requested QoS.
        let d = 2;
        let mut msg = m.messages()[d].generate(d, &mut crate::rng::Rng::new(1));
        m.prepare(&mut msg, &sub, d as u64);
        let suback = m.messages()[d].encode(&msg).0;
        assert_eq!(&suback[2..4], &[0, 42]);
        assert_eq!(&suback[suback.len() - 2..], &[1, 1]);
        assert_eq!(m.code_of(&suback), Some(0x90));
    }

    proptest::proptest! {
        #[test]
        fn client_packets_and_answers_never_panic(
            frame in proptest::collection::vec(proptest::num::u8::ANY, 0..48),
            sent in proptest::collection::vec(proptest::num::u8::ANY, 0..48),
        ) {
            let m = Mqtt5Client::new();
            if let Ok(Some(n)) = m.frame_len(&frame) {
                proptest::prop_assert!(n <= frame.len());
            }
            for a in m.answer(&frame) {
                proptest::prop_assert_eq!(m.frame_len(&a), Ok(Some(a.len())));
                proptest::prop_assert_eq!(m.must_close(&a, &frame), None);
                proptest::prop_assert_eq!(m.client_breaks(&a, &frame), None);
            }
            let _ = m.stage_of(&frame);
            let _ = m.code_of(&sent);
            let _ = m.goes_on(&sent);
            let _ = m.must_close(&sent, &frame);
            let _ = m.client_breaks(&sent, &frame);
            let _ = read_connect(&frame);
            let _ = subscribe_filters(&frame);
        }

        #[test]
        fn a_subscribe_round_trips(filters in proptest::collection::vec("[a-z/]{1,8}", 1..4), id in 1u16..) {
            let fs: Vec<&str> = filters.iter().map(String::as_str).collect();
            let p = subscribe(id, &fs);
            let (got_id, got, qos) = subscribe_filters(&p).expect("a SUBSCRIBE");
            proptest::prop_assert_eq!(got_id, id);
            proptest::prop_assert_eq!(got.len(), fs.len());
            proptest::prop_assert!(qos.iter().all(|q| *q == 1));
            let m = Mqtt5Client::new();
            let suback = m.answer(&p);
            proptest::prop_assert_eq!(suback.len(), 1);
            proptest::prop_assert_eq!(m.code_of(&suback[0]), Some(0x90));
        }
    }
}
