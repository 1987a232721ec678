//! MQTT 3.1.1 (OASIS Standard, 29 October 2014), client side: otproof plays the broker to a
//! client under test (see [`crate::listen`]). The model says how a conforming broker answers
//! what a client sends (CONNACK, SUBACK, PUBACK, PUBREC, PUBCOMP, UNSUBACK, PINGRESP), which
//! answers are test cases (CONNACK; SUBACK; PUBLISH QoS 0/1/2, with a good or a bad topic;
//! PUBREL and UNSUBACK for packet ids the client never used; PINGRESP nobody asked for;
//! packets a broker never sends: PINGREQ, SUBSCRIBE, a second CONNACK, reserved type 15),
//! and the oracle.
//!
//! The oracle ([`ClientModel::must_close`]) names, for an answer that is exactly one packet,
//! the rule of the specification that makes the client close the network connection on it:
//! reserved fixed-header flags [MQTT-2.2.2-2], ill-formed UTF-8 or U+0000 in a string
//! [MQTT-1.5.3-1, MQTT-1.5.3-2], a PUBLISH with QoS 3 [MQTT-3.3.1-4], wildcards in or an empty
//! topic name [MQTT-3.3.2-2, MQTT-4.7.3-1], a SUBACK whose return codes do not match the
//! SUBSCRIBE's filters or are reserved [MQTT-3.9.3-1, MQTT-3.9.3-2], packets only a client
//! sends or reserved types, and any other malformed packet [MQTT-4.8.0-1]. A client that goes
//! on (acknowledges the next valid PUBLISH) after such an answer does not conform. Everything
//! else is allowed behaviour, including a session present flag of 1 on a clean session (in
//! 3.1.1 the client "can choose whether to proceed with the Session or to disconnect").

use crate::listen::{ClientModel, Stage};
use crate::model::{BytesLen, Domain, FieldDef, FieldType::*, Message, MessageDef, Rule};
use crate::mqtt::{be16, def, packet, packet_id, packet_len, set_bytes, set_int, split};

/// Topics a PUBLISH with a bad topic carries, in turn: wildcards, empty, U+0000, ill-formed
/// UTF-8 (a lone continuation byte, a UTF-16 surrogate, an overlong encoding), a control
/// character.
pub const BAD_TOPICS: &[&[u8]] = &[
    b"t/+",
    b"#",
    b"",
    b"t\x00x",
    b"t\x80",
    b"\xED\xA0\x80",
    b"\xC0\xAF",
    b"t/\x01",
];

/// The topic PUBLISH cases and the liveness probe use when the client subscribed to no plain
/// topic.
const DEFAULT_TOPIC: &str = "otproof/t";

/// Packet id of the liveness probe (a PUBLISH QoS 1).
const PROBE_ID: u16 = 0x7E57;

/// Code of the PUBLISH-with-a-bad-topic message type (its packet byte is 0x30).
pub const PUBLISH_BAD_TOPIC: u16 = 0x130;
/// Code of the second CONNACK (its packet byte is 0x20).
pub const CONNACK_AGAIN: u16 = 0x120;

fn topic(name: &'static str) -> [FieldDef; 2] {
    [
        FieldDef::derived("topic_length", U16, Rule::ByteLengthOf(name)),
        FieldDef::bytes(name, BytesLen::Choice(&[DEFAULT_TOPIC])),
    ]
}

fn publish(name: &str, code: u16, qos: u8) -> MessageDef {
    let mut body: Vec<FieldDef> = topic("topic").into();
    if qos > 0 {
        body.push(packet_id());
    }
    body.push(FieldDef::bytes("payload", BytesLen::Between(0, 16)));
    def(name, code, 0x30 | (qos << 1), body)
}

fn connack(name: &str, code: u16) -> MessageDef {
    def(
        name,
        code,
        0x20,
        vec![
            FieldDef::int("ack_flags", U8, Domain::Const(0)),
            FieldDef::int("return_code", U8, Domain::Const(0)),
        ],
    )
}

/// The MQTT 3.1.1 client model (otproof as the broker).
pub struct MqttClient {
    messages: Vec<MessageDef>,
}

impl Default for MqttClient {
    fn default() -> Self {
        MqttClient::new()
    }
}

impl MqttClient {
    /// The model.
    pub fn new() -> MqttClient {
        let messages = vec![
            connack("CONNACK", 0x20),
            def(
                "SUBACK",
                0x90,
                0x90,
                vec![
                    packet_id(),
                    FieldDef::int("return_code", U8, Domain::OneOf(vec![0, 1, 2, 0x80])),
                    FieldDef::bytes("more_return_codes", BytesLen::Between(0, 0)),
                ],
            ),
            publish("PUBLISH QoS 0", 0x30, 0),
            publish("PUBLISH QoS 1", 0x32, 1),
            publish("PUBLISH QoS 2", 0x34, 2),
            publish("PUBLISH bad topic", PUBLISH_BAD_TOPIC, 0),
            def("PUBREL unknown packet id", 0x62, 0x62, vec![packet_id()]),
            def("UNSUBACK unknown packet id", 0xB0, 0xB0, vec![packet_id()]),
            def("PINGRESP unsolicited", 0xD0, 0xD0, vec![]),
            def("PINGREQ from the broker", 0xC0, 0xC0, vec![]),
            def("SUBSCRIBE from the broker", 0x82, 0x82, {
                let mut b = vec![packet_id()];
                b.extend(topic("filter"));
                b.push(FieldDef::int(
                    "requested_qos",
                    U8,
                    Domain::OneOf(vec![0, 1, 2]),
                ));
                b
            }),
            connack("CONNACK again", CONNACK_AGAIN),
            def(
                "reserved packet type 15",
                0xF0,
                0xF0,
                vec![FieldDef::bytes("body", BytesLen::Between(0, 4))],
            ),
        ];
        MqttClient { messages }
    }
}

/// The topic filters of a SUBSCRIBE (`None` if it is not one well-formed SUBSCRIBE).
pub fn subscribe_filters(p: &[u8]) -> Option<(u16, Vec<Vec<u8>>, Vec<u8>)> {
    let (first, body) = split(p)?;
    if first != 0x82 {
        return None;
    }
    let id = be16(body, 0)?;
    let (mut i, mut filters, mut qos) = (2, Vec::new(), Vec::new());
    while i < body.len() {
        let n = usize::from(be16(body, i)?);
        filters.push(body.get(i + 2..i + 2 + n)?.to_vec());
        qos.push(*body.get(i + 2 + n)?);
        i += 3 + n;
    }
    (!filters.is_empty()).then_some((id, filters, qos))
}

/// The topic the client's SUBSCRIBE names (its first filter, if it holds no wildcard), else
/// the default topic.
fn topic_for(trigger: &[u8]) -> Vec<u8> {
    crate::mqtt::plain_topic(
        subscribe_filters(trigger).and_then(|(_, f, _)| f.into_iter().next()),
        DEFAULT_TOPIC,
    )
}

/// Why a string's bytes break MQTT's UTF-8 rules, if they do.
fn bad_string(s: &[u8]) -> Option<&'static str> {
    match std::str::from_utf8(s) {
        Err(_) => Some("ill-formed UTF-8 in a string [MQTT-1.5.3-1]"),
        Ok(t) if t.contains('\0') => Some("U+0000 in a string [MQTT-1.5.3-2]"),
        Ok(_) => None,
    }
}

impl ClientModel for MqttClient {
    fn name(&self) -> &'static str {
        "mqtt-3.1.1-client"
    }

    fn messages(&self) -> &[MessageDef] {
        &self.messages
    }

    fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, String> {
        packet_len(buf)
    }

    fn stage_of(&self, frame: &[u8]) -> Option<Stage> {
        match frame.first()? {
            0x10 => Some(Stage::Connect),
            0x82 => Some(Stage::Subscribe),
            _ => None,
        }
    }

    fn stage(&self, def: usize) -> Stage {
        match self.messages.get(def).map(|d| d.code) {
            Some(0x20) => Stage::Connect,
            Some(0x90) => Stage::Subscribe,
            _ => Stage::Session,
        }
    }

    fn answer(&self, frame: &[u8]) -> Vec<Vec<u8>> {
        match frame.first() {
            Some(0x10) => vec![vec![0x20, 0x02, 0x00, 0x00]],
            Some(0x82) => subscribe_filters(frame)
                .map(|(id, _, qos)| {
                    let mut body = id.to_be_bytes().to_vec();
                    body.extend(qos.iter().map(|q| (*q).min(2)));
                    vec![packet(0x90, &body)]
                })
                .unwrap_or_default(),
            Some(0xA2) => split(frame)
                .and_then(|(_, body)| be16(body, 0))
                .map(|id| vec![packet(0xB0, &id.to_be_bytes())])
                .unwrap_or_default(),
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
            0x90 => {
                // Echo the SUBSCRIBE's packet id and grant each filter its requested QoS.
                if let Some((id, _, qos)) = subscribe_filters(trigger) {
                    set_int(m, def, "packet_id", u64::from(id));
                    set_int(m, def, "return_code", u64::from(qos[0].min(2)));
                    let more: Vec<u8> = qos[1..].iter().map(|q| (*q).min(2)).collect();
                    set_bytes(m, def, "more_return_codes", more);
                }
            }
            PUBLISH_BAD_TOPIC => {
                let t = BAD_TOPICS[(index as usize / self.messages.len()) % BAD_TOPICS.len()];
                set_bytes(m, def, "topic", t.to_vec());
            }
            0x30 | 0x32 | 0x34 => set_bytes(m, def, "topic", topic_for(trigger)),
            _ => {}
        }
        // Packet ids of PUBLISH, PUBREL, UNSUBACK from the broker: ones the client never
        // used, away from the probe's.
        if def.code != 0x90 {
            set_int(m, def, "packet_id", 0x100 + (index & 0x3FFF));
        }
    }

    fn code_of(&self, sent: &[u8]) -> Option<u16> {
        let first = *sent.first()?;
        match split(sent) {
            Some((f, body)) if f & 0xF0 == 0x30 => {
                let n = usize::from(be16(body, 0)?);
                let t = body.get(2..2 + n)?;
                let bad = t.is_empty() || t.contains(&b'+') || t.contains(&b'#');
                Some(if bad || bad_string(t).is_some() {
                    PUBLISH_BAD_TOPIC
                } else {
                    u16::from(f & 0xF6)
                })
            }
            // Other packets by type (their flags are the mutation, not another message).
            _ if first >> 4 == 6 => Some(0x62),
            _ => Some(u16::from(first & 0xF0)),
        }
    }

    fn must_close(&self, sent: &[u8], trigger: &[u8]) -> Option<String> {
        let (first, body) = split(sent)?;
        let (kind, flags) = (first >> 4, first & 0x0F);
        let malformed = |what: &str| Some(format!("{what} [MQTT-4.8.0-1]"));
        match kind {
            0 | 15 => return malformed("a reserved packet type"),
            1 | 8 | 10 | 12 | 14 => {
                return malformed(&format!(
                    "{}, a packet only a client sends",
                    crate::mqtt::packet_name(kind)
                ))
            }
            3 => {}
            6 if flags != 2 => {
                return Some("PUBREL with reserved flags other than 0010 [MQTT-2.2.2-2]".into())
            }
            _ if kind != 6 && flags != 0 => {
                return Some(format!(
                    "{} with reserved flags set [MQTT-2.2.2-2]",
                    crate::mqtt::packet_name(kind)
                ))
            }
            _ => {}
        }
        match kind {
            2 => {
                if body.len() != 2 {
                    return malformed(&format!("a CONNACK of {} bytes", body.len()));
                }
                if body[0] & 0xFE != 0 {
                    return malformed("CONNACK with reserved acknowledge flags (bits 7-1) set");
                }
                (body[1] > 5).then(|| format!("CONNACK return code {} is reserved", body[1]))
            }
            3 => {
                let qos = (flags >> 1) & 3;
                if qos == 3 {
                    return Some("PUBLISH with both QoS bits set [MQTT-3.3.1-4]".into());
                }
                if qos == 0 && flags & 0x08 != 0 {
                    return Some("PUBLISH QoS 0 with DUP set [MQTT-3.3.1-2]".into());
                }
                let Some(n) = be16(body, 0).map(usize::from) else {
                    return malformed("PUBLISH without a topic length");
                };
                let Some(t) = body.get(2..2 + n) else {
                    return malformed("PUBLISH whose topic runs past the packet");
                };
                if let Some(why) = bad_string(t) {
                    return Some(why.into());
                }
                if t.is_empty() {
                    return Some("PUBLISH with an empty topic name [MQTT-4.7.3-1]".into());
                }
                if t.contains(&b'+') || t.contains(&b'#') {
                    return Some("PUBLISH topic name with wildcards [MQTT-3.3.2-2]".into());
                }
                if qos > 0 {
                    match be16(body, 2 + n) {
                        None => return malformed("PUBLISH QoS > 0 without a packet id"),
                        Some(0) => return Some("PUBLISH with packet id 0 [MQTT-2.3.1-1]".into()),
                        Some(_) => {}
                    }
                }
                None
            }
            4..=7 | 11 => (body.len() != 2).then(|| {
                format!(
                    "{} of {} bytes (2 expected) [MQTT-4.8.0-1]",
                    crate::mqtt::packet_name(kind),
                    body.len()
                )
            }),
            13 => (!body.is_empty()).then(|| "PINGRESP with a body [MQTT-4.8.0-1]".into()),
            9 => {
                if body.len() < 3 {
                    return malformed("SUBACK without a return code");
                }
                if let Some(c) = body[2..].iter().find(|c| !matches!(c, 0..=2 | 0x80)) {
                    return Some(format!(
                        "SUBACK return code 0x{c:02X} is reserved [MQTT-3.9.3-2]"
                    ));
                }
                let (id, filters, _) = subscribe_filters(trigger)?;
                if be16(body, 0) != Some(id) {
                    return None;
                }
                let n = body.len() - 2;
                (n != filters.len()).then(|| {
                    format!(
                        "SUBACK with {n} return codes for {} topic filters [MQTT-3.9.3-1]",
                        filters.len()
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
        match split(sent) {
            Some((0x62, body)) if body.len() == 2 && be16(body, 0) != Some(0) => Some(
                "a PUBREL, which the receiver must answer with a PUBCOMP with its packet id (3.6.4, 4.3.3)"
                    .into(),
            ),
            _ => None,
        }
    }

    fn is_reply(&self, sent: &[u8], frame: &[u8]) -> bool {
        crate::mqtt::is_pubcomp_for(sent, frame)
    }

    fn goes_on(&self, sent: &[u8]) -> bool {
        // After refusing a connection (CONNACK return code > 0) a broker closes it [MQTT-3.2.2-5].
        !matches!(split(sent), Some((0x20, [_, code])) if *code != 0)
    }

    fn probe(&self, trigger: &[u8]) -> Vec<u8> {
        crate::mqtt::probe_publish(&topic_for(trigger), PROBE_ID, false)
    }

    fn probe_ack(&self, frame: &[u8]) -> bool {
        let id = PROBE_ID.to_be_bytes();
        frame == [0x40, 0x02, id[0], id[1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscribe(id: u16, filters: &[&str]) -> Vec<u8> {
        let mut body = id.to_be_bytes().to_vec();
        for f in filters {
            body.extend((f.len() as u16).to_be_bytes());
            body.extend(f.as_bytes());
            body.push(1);
        }
        packet(0x82, &body)
    }

    #[test]
    fn a_conforming_broker_answers_the_session() {
        let m = MqttClient::new();
        let connect = packet(
            0x10,
            &[0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 1, b'c'],
        );
        assert_eq!(m.answer(&connect), vec![vec![0x20, 2, 0, 0]]);
        let sub = subscribe(7, &["a", "b/+"]);
        assert_eq!(m.answer(&sub), vec![vec![0x90, 4, 0, 7, 1, 1]]);
        assert_eq!(m.answer(&[0xC0, 0]), vec![vec![0xD0, 0]]);
        let publish1 = packet(0x32, &[0, 1, b't', 0, 9, b'x']);
        assert_eq!(m.answer(&publish1), vec![vec![0x40, 2, 0, 9]]);
        assert!(m.answer(&[0xE0, 0]).is_empty());
        assert!(m.ends_session(&[0xE0, 0]));
    }

    #[test]
    fn the_oracle_names_the_rule_a_client_must_close_on() {
        let m = MqttClient::new();
        let sub = subscribe(7, &["t"]);
        assert_eq!(m.must_close(&[0x20, 2, 0, 0], &sub), None);
        assert_eq!(
            m.must_close(&[0x20, 2, 1, 0], &sub),
            None,
            "session present"
        );
        assert!(m.must_close(&[0x20, 2, 2, 0], &sub).is_some());
        assert!(m.must_close(&[0x21, 2, 0, 0], &sub).is_some());
        assert_eq!(m.must_close(&[0x90, 3, 0, 7, 1], &sub), None);
        let missing = m.must_close(&[0x90, 2, 0, 7], &sub).expect("missing code");
        assert!(missing.contains("without a return code"), "{missing}");
        let extra = m.must_close(&[0x90, 4, 0, 7, 1, 1], &sub).expect("extra");
        assert!(extra.contains("MQTT-3.9.3-1"), "{extra}");
        assert!(m.must_close(&[0x90, 3, 0, 7, 3], &sub).is_some());
        for t in BAD_TOPICS.iter().filter(|t| **t != b"t/\x01") {
            let mut body = (t.len() as u16).to_be_bytes().to_vec();
            body.extend_from_slice(t);
            let p = packet(0x30, &body);
            assert!(m.must_close(&p, &sub).is_some(), "{t:?}");
            assert_eq!(m.code_of(&p), Some(PUBLISH_BAD_TOPIC));
        }
        assert_eq!(m.must_close(&m.probe(&sub), &sub), None);
        assert!(m.must_close(&[0xC0, 0], &sub).is_some());
        assert!(m.must_close(&[0xF0, 0], &sub).is_some());
        assert!(m.must_close(&[0x60, 2, 0, 1], &sub).is_some());
        assert_eq!(m.must_close(&[0x62, 2, 0, 1], &sub), None);
        // Not exactly one packet: not judged.
        assert_eq!(m.must_close(&[0x20, 2, 0], &sub), None);
    }

    proptest::proptest! {
        #[test]
        fn client_packets_and_answers_never_panic(
            frame in proptest::collection::vec(proptest::num::u8::ANY, 0..48),
            sent in proptest::collection::vec(proptest::num::u8::ANY, 0..48),
        ) {
            let m = MqttClient::new();
            if let Ok(Some(n)) = m.frame_len(&frame) {
                proptest::prop_assert!(n <= frame.len());
            }
            for a in m.answer(&frame) {
                // What a conforming broker answers is one packet it may send.
                proptest::prop_assert_eq!(m.frame_len(&a), Ok(Some(a.len())));
                proptest::prop_assert_eq!(m.must_close(&a, &frame), None);
            }
            let _ = m.stage_of(&frame);
            let _ = m.code_of(&sent);
            let _ = m.goes_on(&sent);
            let _ = m.must_close(&sent, &frame);
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
            let suback = MqttClient::new().answer(&p);
            proptest::prop_assert_eq!(suback.len(), 1);
            proptest::prop_assert_eq!(MqttClient::new().must_close(&suback[0], &p), None);
        }
    }

    #[test]
    fn cases_use_the_clients_packet_id_and_topic() {
        let m = MqttClient::new();
        let sub = subscribe(42, &["news", "x/#"]);
        let suback = &m.messages()[1];
        let mut msg = suback.generate(1, &mut crate::rng::Rng::new(3));
        m.prepare(&mut msg, &sub, 1);
        assert_eq!(suback.encode(&msg).0, vec![0x90, 4, 0, 42, 1, 1]);
        let publish = &m.messages()[2];
        let mut msg = publish.generate(2, &mut crate::rng::Rng::new(3));
        m.prepare(&mut msg, &sub, 2);
        let bytes = publish.encode(&msg).0;
        assert_eq!(&bytes[2..8], b"\x00\x04news");
        assert_eq!(m.must_close(&bytes, &sub), None);
        assert!(m.probe_ack(&[0x40, 2, 0x7E, 0x57]));
        assert!(m.must_reply(&[0x62, 2, 1, 0]).is_some());
        assert!(m.is_reply(&[0x62, 2, 1, 0], &[0x70, 2, 1, 0]));
        assert!(!m.is_reply(&[0x62, 2, 1, 0], &[0x70, 2, 1, 1]));
        assert_eq!(m.must_reply(&[0x60, 2, 1, 0]), None);
        assert!(!m.goes_on(&[0x20, 2, 0, 5]));
        assert!(m.goes_on(&[0x20, 2, 0, 0]));
    }
}
