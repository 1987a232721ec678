//! The MQTT 5.0 property codec, CONNACK parser, oracle and the sequence oracle's parsers on
//! arbitrary bytes: never panic, never read past the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_fuzz::model::ProtocolModel;
use otproof_fuzz::mqtt::props::{self, Packet};
use otproof_fuzz::mqtt::v5::{connack, Mqtt5};

fuzz_target!(|data: &[u8]| {
    for pk in [
        Packet::Connect,
        Packet::Will,
        Packet::Connack,
        Packet::Publish,
        Packet::Ack,
        Packet::Subscribe,
        Packet::Suback,
        Packet::Unsubscribe,
        Packet::Unsuback,
        Packet::Disconnect,
        Packet::Auth,
    ] {
        if let Ok((_, end)) = props::decode(data, 0, pk) {
            assert!(end <= data.len());
        }
    }
    let _ = connack(data);
    let m = Mqtt5::new();
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (req, resp) = data.split_at(split);
    let _ = m.frame_len(resp);
    let _ = m.judge(req);
    let _ = m.check(req, false, resp);
    let _ = m.required_answer(req);
    let _ = m.prelude_check(0, resp);
});
