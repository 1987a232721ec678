//! MQTT broker models: [`Mqtt`] for 3.1.1 (this module) and [`v5::Mqtt5`] for 5.0 (with its
//! property codec in [`props`]); [`Version`] picks one.
//!
//! MQTT 3.1.1 (OASIS Standard, 29 October 2014), broker side: the control packets a client
//! sends after CONNECT (PUBLISH QoS 0/1/2, PUBREL, SUBSCRIBE, UNSUBSCRIBE, PINGREQ) as
//! message grammars, the remaining-length framing, the session prelude (CONNECT, CONNACK
//! accepted), and the conformance oracle.
//!
//! The oracle judges requests that are exactly one well-formed packet by their answer. Of the
//! malformed ones it judges only those a normative statement names ([`must_close`]: reserved
//! fixed-header flags [MQTT-2.2.2-2], PUBLISH QoS 3 [MQTT-3.3.1-4]): any answer to them (or
//! to what follows them on the connection) is a finding, as the broker must close. For any
//! other malformed packet brokers legitimately differ on what they still answer (4.8), so
//! closing (or answering) it is never a finding.

use crate::model::{
    decode_varint, BytesLen, Domain, FieldDef, FieldType::*, Message, MessageDef, ProtocolModel,
    Rule, Value,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub mod client5;
pub mod connect;
pub mod props;
pub mod v5;

/// The MQTT protocol version a campaign speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Version {
    /// MQTT 3.1.1 (protocol level 4).
    #[default]
    V311,
    /// MQTT 5.0 (protocol level 5).
    V5,
}

impl Version {
    /// The broker model of this version.
    pub fn model(self) -> Arc<dyn ProtocolModel> {
        match self {
            Version::V311 => Arc::new(Mqtt::new()),
            Version::V5 => Arc::new(v5::Mqtt5::new()),
        }
    }

    /// The name of this version's model (`mqtt-3.1.1`, `mqtt-5.0`).
    pub fn protocol(self) -> &'static str {
        match self {
            Version::V311 => "mqtt-3.1.1",
            Version::V5 => "mqtt-5.0",
        }
    }

    /// The version whose model has this name (`mqtt-3.1.1`, `mqtt-5.0`).
    pub fn of_protocol(name: &str) -> Option<Version> {
        [Version::V311, Version::V5]
            .into_iter()
            .find(|v| v.protocol() == name)
    }

    /// The client model of this version (otproof plays the broker, [`crate::listen`]).
    pub fn client_model(self) -> Arc<dyn crate::listen::ClientModel> {
        match self {
            Version::V311 => Arc::new(crate::mqtt_client::MqttClient::new()),
            Version::V5 => Arc::new(client5::Mqtt5Client::new()),
        }
    }

    /// The version whose client model has this name (`mqtt-3.1.1-client`, `mqtt-5.0-client`).
    pub fn of_client_protocol(name: &str) -> Option<Version> {
        [Version::V311, Version::V5]
            .into_iter()
            .find(|v| v.client_model().name() == name)
    }

    /// The specification, in words.
    pub fn spec(self) -> &'static str {
        match self {
            Version::V311 => "MQTT 3.1.1 (OASIS Standard)",
            Version::V5 => "MQTT 5.0 (OASIS Standard)",
        }
    }
}

/// The model message a request's first byte says it is: the message with exactly that code
/// (packet type and flags), else the first one of the same packet type (a packet whose flags
/// were mutated is still that packet, e.g. a PINGREQ with reserved flags 0xC1 is labelled
/// PINGREQ), else the byte itself.
pub(crate) fn code_of_first_byte(messages: &[MessageDef], first: u8) -> u16 {
    let code = u16::from(first);
    if messages.iter().any(|m| m.code == code) {
        return code;
    }
    messages
        .iter()
        .find(|m| m.code >> 4 == code >> 4 && m.code <= 0xFF)
        .map_or(code, |m| m.code)
}

/// Topic names generated for PUBLISH (valid: no wildcards, no control characters).
const TOPICS: &[&str] = &["otproof/t", "otproof/a/b", "otproof/x", "o"];

/// Topic filters generated for SUBSCRIBE and UNSUBSCRIBE, with single- and multi-level
/// wildcards and the `$SYS` tree.
const FILTERS: &[&str] = &[
    "otproof/t",
    "otproof/+",
    "otproof/#",
    "#",
    "+/+",
    "otproof/+/b",
    "$SYS/#",
];

/// The topic the sentinel PUBLISH (QoS 1) goes to.
const SENTINEL_TOPIC: &str = "otproof/sentinel";

/// Message code of a SUBSCRIBE with two filters (the packet byte is 0x82 as for one).
pub const SUBSCRIBE_TWO: u16 = 0x182;

/// The fixed header of a message type: the packet byte, then the remaining length.
pub(crate) fn header(byte: u8) -> Vec<FieldDef> {
    vec![
        FieldDef::int("packet_type", U8, Domain::Const(u64::from(byte))),
        FieldDef::derived("remaining_length", VarInt, Rule::RestLength),
    ]
}

/// A packet identifier field (1..=65535).
pub(crate) fn packet_id() -> FieldDef {
    FieldDef::int("packet_id", U16, Domain::Range(1, 0xFFFF))
}

/// A length-prefixed string field with its derived length.
pub(crate) fn text(
    len: &'static str,
    name: &'static str,
    choices: &'static [&'static str],
) -> [FieldDef; 2] {
    [
        FieldDef::derived(len, U16, Rule::ByteLengthOf(name)),
        FieldDef::bytes(name, BytesLen::Choice(choices)),
    ]
}

/// A message type: the fixed header, then `body`.
pub(crate) fn def(name: &str, code: u16, byte: u8, body: Vec<FieldDef>) -> MessageDef {
    let mut fields = header(byte);
    fields.extend(body);
    MessageDef {
        name: name.to_string(),
        code,
        fields,
    }
}

/// A 5.0 property block field (`properties`, one of `choices`) with its derived length.
pub(crate) fn properties(choices: &'static [&'static str]) -> [FieldDef; 2] {
    [
        FieldDef::derived(
            "properties_length",
            VarInt,
            Rule::ByteLengthOf("properties"),
        ),
        FieldDef::bytes("properties", BytesLen::Choice(choices)),
    ]
}

/// Set an integer field of a generated message, if the type has it.
pub(crate) fn set_int(m: &mut Message, def: &MessageDef, name: &str, v: u64) {
    if let Some(i) = def.field(name) {
        m.values[i] = Value::Int(v);
    }
}

/// Set a bytes field of a generated message, if the type has it.
pub(crate) fn set_bytes(m: &mut Message, def: &MessageDef, name: &str, v: Vec<u8>) {
    if let Some(i) = def.field(name) {
        m.values[i] = Value::Bytes(v);
    }
}

fn publish(qos: u8) -> MessageDef {
    let mut body: Vec<FieldDef> = text("topic_length", "topic", TOPICS).into();
    if qos > 0 {
        body.push(packet_id());
    }
    body.push(FieldDef::bytes("payload", BytesLen::Between(0, 32)));
    let byte = 0x30 | (qos << 1);
    def(&format!("PUBLISH QoS {qos}"), u16::from(byte), byte, body)
}

/// The MQTT 3.1.1 broker model.
pub struct Mqtt {
    messages: Vec<MessageDef>,
    /// Connections opened so far (each CONNECT gets its own client id).
    connects: AtomicU64,
    /// Keep alive in the CONNECT, seconds.
    keep_alive: u16,
}

impl Default for Mqtt {
    fn default() -> Self {
        Mqtt::new()
    }
}

impl Mqtt {
    /// The model (CONNECT with a 60 s keep alive).
    pub fn new() -> Mqtt {
        let qos = |name| FieldDef::int(name, U8, Domain::OneOf(vec![0, 1, 2]));
        let mut sub1 = vec![packet_id()];
        sub1.extend(text("filter_length", "filter", FILTERS));
        sub1.push(qos("requested_qos"));
        let mut sub2 = sub1.clone();
        sub2.extend(text("filter2_length", "filter2", FILTERS));
        sub2.push(qos("requested_qos2"));
        let mut unsub = vec![packet_id()];
        unsub.extend(text("filter_length", "filter", FILTERS));
        let messages = vec![
            publish(0),
            publish(1),
            publish(2),
            def("PUBREL", 0x62, 0x62, vec![packet_id()]),
            def("SUBSCRIBE", 0x82, 0x82, sub1),
            def("SUBSCRIBE two filters", SUBSCRIBE_TWO, 0x82, sub2),
            def("UNSUBSCRIBE", 0xA2, 0xA2, unsub),
            def("PINGREQ", 0xC0, 0xC0, vec![]),
        ];
        Mqtt {
            messages,
            connects: AtomicU64::new(0),
            keep_alive: 60,
        }
    }

    /// A CONNECT (protocol level 4, clean session, no will, no credentials) with `client_id`.
    pub fn connect_packet(&self, client_id: &str) -> Vec<u8> {
        let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02];
        body.extend_from_slice(&self.keep_alive.to_be_bytes());
        let id = client_id.as_bytes();
        body.extend_from_slice(&(id.len() as u16).to_be_bytes());
        body.extend_from_slice(id);
        packet(0x10, &body)
    }
}

/// A packet: the fixed header byte, the remaining length, the rest.
pub fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    out.extend(crate::model::encode_varint(body.len() as u64));
    out.extend_from_slice(body);
    out
}

/// The length of the complete packet at the start of `buf` (`Ok(None)`: more bytes needed;
/// `Err`: a remaining length over 4 bytes, which no packet has).
pub fn packet_len(buf: &[u8]) -> Result<Option<usize>, String> {
    if buf.is_empty() {
        return Ok(None);
    }
    match decode_varint(&buf[1..]) {
        Ok(Some((len, used))) => {
            let total = 1 + used + len as usize;
            Ok((buf.len() >= total).then_some(total))
        }
        Ok(None) => Ok(None),
        Err(_) => Err("remaining length runs over 4 bytes".into()),
    }
}

/// Client side (otproof as the broker, 3.1.1 and 5.0 alike): the topic to publish on, the
/// SUBSCRIBE's first filter if it is a plain topic (no wildcard), else `default`.
pub(crate) fn plain_topic(first_filter: Option<Vec<u8>>, default: &str) -> Vec<u8> {
    first_filter
        .filter(|f| !f.is_empty() && !f.contains(&b'+') && !f.contains(&b'#'))
        .unwrap_or_else(|| default.as_bytes().to_vec())
}

/// Client side: a conforming broker's answer to a client's PINGREQ, PUBLISH QoS 1 or 2,
/// PUBREL or PUBREC (the same in 3.1.1 and 5.0, whose short form means success).
pub(crate) fn broker_ack(frame: &[u8]) -> Vec<Vec<u8>> {
    let Some((first, body)) = split(frame) else {
        return Vec::new();
    };
    let id = if first >> 4 == 3 {
        // PUBLISH: the packet id follows the topic.
        be16(body, 0).and_then(|n| be16(body, 2 + usize::from(n)))
    } else {
        be16(body, 0)
    };
    let byte = match first {
        0xC0 => return vec![vec![0xD0, 0x00]],
        0x62 => 0x70,
        0x50 => 0x62,
        f if f >> 4 == 3 && (f >> 1) & 3 == 1 => 0x40,
        f if f >> 4 == 3 && (f >> 1) & 3 == 2 => 0x50,
        _ => return Vec::new(),
    };
    id.map(|i| packet(byte, &i.to_be_bytes()))
        .into_iter()
        .collect()
}

/// Client side: whether `frame` is the PUBCOMP with the packet id of the PUBREL `sent`.
pub(crate) fn is_pubcomp_for(sent: &[u8], frame: &[u8]) -> bool {
    match (split(sent), split(frame)) {
        (Some((0x62, a)), Some((0x70, b))) => be16(a, 0).is_some() && be16(a, 0) == be16(b, 0),
        _ => false,
    }
}

/// Client side: the liveness probe, a PUBLISH QoS 1 on `topic` with packet id `id` (`v5`:
/// with an empty property block).
pub(crate) fn probe_publish(topic: &[u8], id: u16, v5: bool) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic);
    body.extend_from_slice(&id.to_be_bytes());
    if v5 {
        body.push(0);
    }
    body.extend_from_slice(b"otproof probe");
    packet(0x32, &body)
}

/// A packet that is exactly one frame, split: (first byte, body after the remaining length).
pub fn split(p: &[u8]) -> Option<(u8, &[u8])> {
    if packet_len(p).ok()?? != p.len() {
        return None;
    }
    let (_, used) = decode_varint(p.get(1..)?).ok()??;
    Some((p[0], p.get(1 + used..)?))
}

/// The body of a packet that is exactly one frame (what follows the remaining length).
pub fn packet_body(p: &[u8]) -> Option<&[u8]> {
    split(p).map(|(_, b)| b)
}

/// A packet with the first byte of `p` and another body (the remaining length recomputed).
pub fn with_body(p: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    Some(packet(*p.first()?, body))
}

/// A request that is exactly one well-formed packet of the model's kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Request {
    Publish { qos: u8, id: Option<u16> },
    Pubrel(u16),
    Subscribe { id: u16, qos: Vec<u8> },
    Unsubscribe(u16),
    Pingreq,
}

/// The big-endian two-byte integer at `i`.
pub(crate) fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// A UTF-8 string field at `i`: (text, index after it).
fn string_at(b: &[u8], i: usize) -> Option<(&str, usize)> {
    let n = usize::from(be16(b, i)?);
    let s = std::str::from_utf8(b.get(i + 2..i + 2 + n)?).ok()?;
    // Control characters (U+0000 included) may make a broker close (1.5.3).
    (!s.chars().any(char::is_control)).then_some((s, i + 2 + n))
}

fn valid_topic(t: &str) -> bool {
    !t.is_empty() && !t.contains(['+', '#'])
}

fn valid_filter(f: &str) -> bool {
    let levels: Vec<&str> = f.split('/').collect();
    !f.is_empty()
        && levels.iter().enumerate().all(|(i, l)| {
            (*l == "#" && i == levels.len() - 1)
                || *l == "+"
                || (!l.contains('#') && !l.contains('+'))
        })
}

/// For a request that starts with a whole packet a client may send: the 3.1.1 rule that
/// makes the broker close the connection on it, when one names that packet exactly: flags
/// other than the fixed header table's ([MQTT-2.2.2-2]: "If invalid flags are received, the
/// receiver MUST close the Network Connection"), a PUBLISH with both QoS bits set
/// ([MQTT-3.3.1-4]). Other malformed packets are not judged (brokers differ on them, 4.8).
pub fn must_close(req: &[u8]) -> Option<String> {
    let n = packet_len(req).ok()??;
    if n > req.len() {
        return None;
    }
    let (kind, flags) = (req[0] >> 4, req[0] & 0x0F);
    match kind {
        3 if flags & 0x06 == 0x06 => {
            Some("a PUBLISH with both QoS bits set ([MQTT-3.3.1-4])".into())
        }
        3 | 0 | 15 => None,
        6 | 8 | 10 if flags != 0x02 => Some(format!(
            "a {} with fixed-header flags {flags:04b}, not 0010 ([MQTT-2.2.2-2])",
            packet_name(kind)
        )),
        6 | 8 | 10 => None,
        _ if flags != 0 => Some(format!(
            "a {} with fixed-header flags {flags:04b}, not 0000 ([MQTT-2.2.2-2])",
            packet_name(kind)
        )),
        _ => None,
    }
}

/// Is `req` exactly one well-formed packet of the 3.1.1 model's kinds?
pub(crate) fn is_valid(req: &[u8]) -> bool {
    parse(req).is_some()
}

/// Parse a request that is exactly one well-formed packet; `None` for anything else.
fn parse(req: &[u8]) -> Option<Request> {
    if packet_len(req).ok()?? != req.len() {
        return None;
    }
    let (_, used) = decode_varint(&req[1..]).ok()??;
    let body = &req[1 + used..];
    let first = req[0];
    let id_ok = |id: u16| (id != 0).then_some(id);
    match first >> 4 {
        3 => {
            let qos = (first >> 1) & 3;
            if qos == 3 || (qos == 0 && first & 0x08 != 0) {
                return None;
            }
            let (topic, i) = string_at(body, 0)?;
            if !valid_topic(topic) {
                return None;
            }
            let id = if qos > 0 {
                Some(id_ok(be16(body, i)?)?)
            } else {
                None
            };
            Some(Request::Publish { qos, id })
        }
        6 if first == 0x62 && body.len() == 2 => Some(Request::Pubrel(id_ok(be16(body, 0)?)?)),
        8 if first == 0x82 => {
            let id = id_ok(be16(body, 0)?)?;
            let mut i = 2;
            let mut qos = Vec::new();
            while i < body.len() {
                let (f, next) = string_at(body, i)?;
                let q = *body.get(next)?;
                if !valid_filter(f) || q > 2 {
                    return None;
                }
                qos.push(q);
                i = next + 1;
            }
            (!qos.is_empty()).then_some(Request::Subscribe { id, qos })
        }
        10 if first == 0xA2 => {
            let id = id_ok(be16(body, 0)?)?;
            let mut i = 2;
            let mut n = 0;
            while i < body.len() {
                let (f, next) = string_at(body, i)?;
                if !valid_filter(f) {
                    return None;
                }
                n += 1;
                i = next;
            }
            (n > 0).then_some(Request::Unsubscribe(id))
        }
        12 if first == 0xC0 && body.is_empty() => Some(Request::Pingreq),
        _ => None,
    }
}

/// Name of a control packet type.
pub fn packet_name(t: u8) -> &'static str {
    match t {
        1 => "CONNECT",
        2 => "CONNACK",
        3 => "PUBLISH",
        4 => "PUBACK",
        5 => "PUBREC",
        6 => "PUBREL",
        7 => "PUBCOMP",
        8 => "SUBSCRIBE",
        9 => "SUBACK",
        10 => "UNSUBSCRIBE",
        11 => "UNSUBACK",
        12 => "PINGREQ",
        13 => "PINGRESP",
        14 => "DISCONNECT",
        _ => "reserved",
    }
}

/// An acknowledgement `[byte, 2, id]` as required, or what is wrong with `resp`.
fn ack(resp: &[u8], byte: u8, id: u16, of: &str) -> Option<String> {
    let want = packet_name(byte >> 4);
    if resp[0] != byte {
        return Some(format!(
            "{of} answered with {} (0x{:02X}), expected {want}",
            packet_name(resp[0] >> 4),
            resp[0]
        ));
    }
    if resp.len() != 4 || resp[1] != 2 {
        return Some(format!("{want} of {} bytes, expected 4", resp.len()));
    }
    let got = u16::from_be_bytes([resp[2], resp[3]]);
    (got != id).then(|| format!("{want} packet id {got} does not echo the request's {id}"))
}

/// The fixed-header byte (type and flags) a broker may send, per packet type.
fn server_header_ok(first: u8) -> bool {
    match first >> 4 {
        3 => (first >> 1) & 3 != 3,
        6 => first == 0x62,
        2 | 4 | 5 | 7 | 9 | 11 | 13 => first & 0x0F == 0,
        _ => false,
    }
}

impl ProtocolModel for Mqtt {
    fn name(&self) -> &'static str {
        Version::V311.protocol()
    }

    fn messages(&self) -> &[MessageDef] {
        &self.messages
    }

    fn prepare(&self, m: &mut Message, seq: u64) {
        // Packet ids below 0x8000 and distinct per case; sentinels use the upper half.
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
                "fixed header 0x{:02X} ({}) is not a packet a server sends, or its reserved flags are wrong",
                resp[0],
                packet_name(resp[0] >> 4)
            ));
        }
        if let Some(why) = must_close(req) {
            return Some(format!(
                "the broker went on with the connection (it sent {} 0x{:02X}) after {why}, where it must close the network connection",
                packet_name(resp[0] >> 4),
                resp[0]
            ));
        }
        match parse(req)? {
            Request::Pingreq => (resp != [0xD0, 0x00]).then(|| {
                format!(
                    "PINGREQ answered with {}, expected PINGRESP d000",
                    hex::encode(resp)
                )
            }),
            Request::Publish { qos: 0, .. } => None,
            Request::Publish { qos, id } => {
                let byte = if qos == 1 { 0x40 } else { 0x50 };
                ack(resp, byte, id.unwrap_or(0), &format!("PUBLISH QoS {qos}"))
            }
            Request::Pubrel(id) => ack(resp, 0x70, id, "PUBREL"),
            Request::Unsubscribe(id) => ack(resp, 0xB0, id, "UNSUBSCRIBE"),
            Request::Subscribe { id, qos } => {
                if resp[0] != 0x90 {
                    return Some(format!(
                        "SUBSCRIBE answered with {} (0x{:02X}), expected SUBACK",
                        packet_name(resp[0] >> 4),
                        resp[0]
                    ));
                }
                let (_, used) = decode_varint(&resp[1..]).ok()??;
                let body = &resp[1 + used..];
                let got = be16(body, 0)?;
                if got != id {
                    return Some(format!(
                        "SUBACK packet id {got} does not echo the request's {id}"
                    ));
                }
                let codes = &body[2..];
                if codes.len() != qos.len() {
                    return Some(format!(
                        "SUBACK has {} return codes for {} topic filters",
                        codes.len(),
                        qos.len()
                    ));
                }
                codes.iter().zip(&qos).find_map(|(c, q)| match c {
                    0x80 => None,
                    0..=2 if c <= q => None,
                    0..=2 => Some(format!("SUBACK grants QoS {c} above the requested {q}")),
                    _ => Some(format!("SUBACK return code 0x{c:02X} is not defined")),
                })
            }
        }
    }

    fn required_answer(&self, req: &[u8]) -> Option<String> {
        match parse(req)? {
            Request::Pingreq => Some("PINGRESP required (3.12.4)".into()),
            Request::Publish { qos: 0, .. } => None,
            Request::Publish { qos: 1, .. } => Some("PUBACK required (4.3.2)".into()),
            Request::Publish { .. } => Some("PUBREC required (4.3.3)".into()),
            Request::Pubrel(_) => Some("PUBCOMP required (3.6.4)".into()),
            Request::Subscribe { .. } => Some("SUBACK required (3.8.4)".into()),
            Request::Unsubscribe(_) => Some("UNSUBACK required (3.10.4)".into()),
        }
    }

    fn probe(&self, _seq: u64) -> Vec<u8> {
        vec![0xC0, 0x00]
    }

    fn probe_ok(&self, probe: &[u8], response: &[u8]) -> bool {
        match probe.first() {
            Some(0xC0) => response == [0xD0, 0x00],
            // A sentinel PUBLISH QoS 1: its PUBACK, with its packet id.
            Some(0x32) => {
                probe.len() >= 2
                    && response.len() == 4
                    && response[..2] == [0x40, 0x02]
                    && response[2..] == probe[probe.len() - 2..]
            }
            _ => false,
        }
    }

    fn sentinel(&self, request: &[u8], seq: u64) -> Vec<u8> {
        // A PUBLISH QoS 1 whose PUBACK names a packet id no case carries (cases use ids
        // below 0x8000, see `prepare`), and never the request's own.
        let mut id = 0x8000 | (seq & 0x7FFF) as u16;
        let theirs = match parse(request) {
            Some(Request::Publish { id: Some(i), .. })
            | Some(Request::Pubrel(i))
            | Some(Request::Subscribe { id: i, .. })
            | Some(Request::Unsubscribe(i)) => Some(i),
            _ => None,
        };
        if theirs == Some(id) {
            id ^= 0x4000;
        }
        let mut body = (SENTINEL_TOPIC.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(SENTINEL_TOPIC.as_bytes());
        body.extend_from_slice(&id.to_be_bytes());
        packet(0x32, &body)
    }

    fn code_of(&self, request: &[u8]) -> Option<u16> {
        let first = *request.first()?;
        match parse(request) {
            Some(Request::Subscribe { qos, .. }) if qos.len() == 2 => Some(SUBSCRIBE_TWO),
            _ => Some(code_of_first_byte(&self.messages, first)),
        }
    }

    fn prelude(&self) -> Vec<Vec<u8>> {
        // Every connection its own client id (1-23 characters of [0-9a-zA-Z], which a
        // broker must accept, 3.1.3.1): a shared id would make the broker drop the older
        // connection.
        let n = self.connects.fetch_add(1, Ordering::SeqCst);
        let id = format!("otproof{:x}n{n:x}", std::process::id());
        vec![self.connect_packet(&id)]
    }

    fn starts_with_prelude(&self, seq: &[Vec<u8>]) -> bool {
        seq.first().and_then(|p| p.first()) == Some(&0x10)
    }

    fn prelude_check(&self, _step: usize, resp: &[u8]) -> Result<(), String> {
        match resp {
            [0x20, 0x02, flags, 0x00] if flags & 0xFE == 0 => Ok(()),
            [0x20, 0x02, _, code] if *code != 0 => Err(format!(
                "CONNACK return code {code} ({})",
                match code {
                    1 => "unacceptable protocol version",
                    2 => "identifier rejected",
                    3 => "server unavailable",
                    4 => "bad user name or password",
                    5 => "not authorized",
                    _ => "undefined",
                }
            )),
            _ => Err(format!(
                "expected CONNACK 2002..00, got {}",
                hex::encode(resp)
            )),
        }
    }

    fn fresh_connection_after_unframed(&self) -> bool {
        true
    }

    fn unsolicited(&self, frame: &[u8]) -> bool {
        // Deliveries to subscriptions the cases made.
        frame.first().is_some_and(|b| b >> 4 == 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{encode_varint, FieldType};
    use crate::mutate::{mutate, MutationClass};
    use crate::rng::Rng;

    #[test]
    fn a_packet_with_mutated_flags_is_labelled_by_its_packet_type() {
        for model in [Version::V311.model(), Version::V5.model()] {
            let name = |b: &[u8]| {
                let code = model.code_of(b).expect("a code");
                model
                    .messages()
                    .iter()
                    .find(|m| m.code == code)
                    .map(|m| m.name.clone())
            };
            let pingreq = name(&[0xC0, 0x00]).expect("PINGREQ is in the model");
            assert_eq!(name(&[0xC1, 0x00]).as_deref(), Some(pingreq.as_str()));
            assert_eq!(name(&[0xCF, 0x00]).as_deref(), Some(pingreq.as_str()));
            // Packet type 0 is reserved: no message of the model is it.
            assert_eq!(model.code_of(&[0x00, 0x00]), Some(0));
        }
    }

    #[test]
    fn remaining_length_encodes_as_the_specification_table() {
        assert_eq!(encode_varint(0), [0x00]);
        assert_eq!(encode_varint(127), [0x7F]);
        assert_eq!(encode_varint(128), [0x80, 0x01]);
        assert_eq!(encode_varint(16_383), [0xFF, 0x7F]);
        assert_eq!(encode_varint(16_384), [0x80, 0x80, 0x01]);
        assert_eq!(encode_varint(2_097_151), [0xFF, 0xFF, 0x7F]);
        assert_eq!(encode_varint(2_097_152), [0x80, 0x80, 0x80, 0x01]);
        assert_eq!(encode_varint(268_435_455), [0xFF, 0xFF, 0xFF, 0x7F]);
        assert_eq!(FieldType::VarInt.max(), 268_435_455);
        // Over the maximum: five bytes, which the framer rejects.
        let five = encode_varint(268_435_456);
        assert_eq!(five.len(), 5);
        let mut p = vec![0x30];
        p.extend(five);
        assert!(packet_len(&p).is_err());
        assert!(packet_len(&[0x30, 0xFF, 0xFF, 0xFF, 0x80]).is_err());
        assert_eq!(packet_len(&[0x30, 0xFF, 0xFF]), Ok(None));
        assert_eq!(packet_len(&[0xD0, 0x00]), Ok(Some(2)));
        assert_eq!(packet_len(&[0x90, 0x03, 0, 1]), Ok(None));
    }

    #[test]
    fn generated_packets_are_well_formed_and_need_their_answer() {
        let m = Mqtt::new();
        let mut rng = Rng::new(3);
        for (i, d) in m.messages().iter().enumerate() {
            for seq in 0..40u64 {
                let mut msg = d.generate(i, &mut rng);
                m.prepare(&mut msg, seq);
                let (b, _) = d.encode(&msg);
                assert_eq!(packet_len(&b), Ok(Some(b.len())), "{}", d.name);
                assert!(parse(&b).is_some(), "{}: {:02X?}", d.name, b);
                assert_eq!(m.code_of(&b), Some(d.code), "{}", d.name);
                assert_eq!(m.required_answer(&b).is_some(), d.code != 0x30);
            }
        }
    }

    #[test]
    fn oracle_per_mqtt_3_1_1() {
        let m = Mqtt::new();
        let ping = [0xC0, 0x00];
        assert_eq!(m.check(&ping, true, &[0xD0, 0x00]), None);
        assert!(m.check(&ping, true, &[0xD0, 0x01, 0x00]).is_some());
        let mut p1 = packet(0x32, &[0, 1, b't', 0x12, 0x34, 9]);
        assert_eq!(m.check(&p1, true, &[0x40, 2, 0x12, 0x34]), None);
        assert!(m
            .check(&p1, true, &[0x40, 2, 0x12, 0x35])
            .is_some_and(|s| s.contains("echo")));
        assert!(m.check(&p1, true, &[0x50, 2, 0x12, 0x34]).is_some());
        p1[0] = 0x34;
        assert_eq!(m.check(&p1, true, &[0x50, 2, 0x12, 0x34]), None);
        let sub = packet(0x82, &[0, 7, 0, 1, b'#', 1, 0, 3, b'a', b'/', b'+', 2]);
        assert_eq!(m.check(&sub, true, &[0x90, 4, 0, 7, 1, 0x80]), None);
        assert!(m
            .check(&sub, true, &[0x90, 3, 0, 7, 1])
            .is_some_and(|s| s.contains("2 topic filters")));
        assert!(m.check(&sub, true, &[0x90, 4, 0, 7, 2, 0]).is_some());
        assert!(m.check(&sub, true, &[0x90, 4, 0, 7, 0, 3]).is_some());
        // A broker may answer or close on a malformed packet: neither is a finding.
        let bad = packet(0x82, &[0, 7, 0, 2, b'#', b'x', 1]);
        assert_eq!(m.check(&bad, false, &[0x90, 3, 0, 7, 0x80]), None);
        assert_eq!(m.required_answer(&bad), None);
        assert_eq!(m.required_answer(&packet(0x30, &[0, 1, b'+'])), None);
        // What a server never sends.
        assert!(m.check(&ping, true, &[0xC0, 0x00]).is_some());
        assert!(m.check(&ping, true, &[0xD1, 0x00]).is_some());
        // Reserved flags other than the table's: the broker must close ([MQTT-2.2.2-2]).
        let why = m
            .check(&[0xC1, 0x00], false, &[0xD0, 0x00])
            .expect("PINGREQ 0xC1");
        assert!(
            why.contains("MQTT-2.2.2-2") && why.contains("0001"),
            "{why}"
        );
        let sub0 = packet(0x80, &[0, 7, 0, 1, b'#', 1]);
        assert!(m.check(&sub0, false, &[0x90, 3, 0, 7, 1]).is_some());
        assert!(m.check(&[0x60, 2, 0, 1], false, &[0x70, 2, 0, 1]).is_some());
        assert!(m
            .check(&[0x36, 3, 0, 1, b't'], false, &[0x40, 2, 0, 1])
            .is_some());
        for ok in [&[0x62, 2, 0, 1][..], &[0xC0, 0], &[0x3B, 3, 0, 1, b't']] {
            assert_eq!(must_close(ok), None, "{ok:02X?}");
        }
        // Not a whole packet: not judged.
        assert_eq!(must_close(&[0xC1, 0x05]), None);
    }

    #[test]
    fn prelude_connects_with_a_fresh_client_id_and_checks_connack() {
        let m = Mqtt::new();
        let a = m.prelude();
        let b = m.prelude();
        assert_eq!(a.len(), 1);
        assert_ne!(a, b);
        assert_eq!(a[0][0], 0x10);
        assert_eq!(packet_len(&a[0][..]), Ok(Some(a[0].len())));
        assert!(m.starts_with_prelude(&b));
        assert_eq!(m.prelude_check(0, &[0x20, 2, 0, 0]), Ok(()));
        assert!(m.prelude_check(0, &[0x20, 2, 0, 5]).is_err());
        assert!(m.prelude_check(0, &[0x20, 2, 2, 0]).is_err());
        let s = m.sentinel(&[0xC0, 0], 5);
        assert!(m.probe_ok(&s, &[0x40, 2, 0x80, 0x05]));
        assert!(!m.probe_ok(&s, &[0x40, 2, 0x00, 0x05]));
        assert!(m.unsolicited(&[0x31, 3, 0, 1, b'a']));
    }

    #[test]
    fn every_mutation_class_builds() {
        let m = Mqtt::new();
        let mut rng = Rng::new(11);
        for (i, d) in m.messages().iter().enumerate() {
            for class in MutationClass::ALL {
                let mut msg = d.generate(i, &mut rng);
                m.prepare(&mut msg, 1);
                let (b, field, _) = mutate(d, &msg, class, &mut rng);
                assert!(!field.is_empty());
                assert!(b.len() < 600, "{} {class:?}", d.name);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn remaining_length_round_trips(v in 0u64..=268_435_455) {
            let e = encode_varint(v);
            proptest::prop_assert!(e.len() <= 4);
            proptest::prop_assert_eq!(decode_varint(&e), Ok(Some((v, e.len()))));
        }

        #[test]
        fn framer_and_oracle_never_panic(req in proptest::collection::vec(proptest::num::u8::ANY, 0..48),
                                         resp in proptest::collection::vec(proptest::num::u8::ANY, 0..48)) {
            let m = Mqtt::new();
            let _ = m.frame_len(&resp);
            let _ = m.check(&req, false, &resp);
            let _ = m.required_answer(&req);
            let _ = m.sentinel(&req, 9);
            let _ = m.code_of(&req);
            let _ = m.prelude_check(0, &resp);
            if let Ok(Some(n)) = packet_len(&resp) {
                proptest::prop_assert!(n <= resp.len());
            }
        }

        #[test]
        fn any_case_of_any_seed_builds(seed in proptest::num::u64::ANY, index in 0u64..1_000_000) {
            let m = Mqtt::new();
            let c = crate::campaign::build_case(&m, seed, index);
            proptest::prop_assert!(c.bytes.len() < 700);
            proptest::prop_assert_eq!(c, crate::campaign::build_case(&m, seed, index));
        }
    }
}
