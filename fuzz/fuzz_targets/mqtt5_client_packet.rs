//! The MQTT 5.0 client model (otproof as a 5.0 broker) on arbitrary client packets and
//! answers: the framer, the CONNECT and SUBSCRIBE readers, the conforming answers, the
//! must-close oracle, the client-obligation oracle and the reframing never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_fuzz::listen::ClientModel;
use otproof_fuzz::mqtt::client5::{read_connect, subscribe_filters, Mqtt5Client};

fuzz_target!(|data: &[u8]| {
    let m = Mqtt5Client::new();
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (frame, sent) = data.split_at(split);
    let _ = m.frame_len(frame);
    let _ = m.stage_of(frame);
    let _ = m.answer(frame);
    let _ = m.probe(frame);
    let _ = m.probe_ack(frame);
    let _ = m.code_of(sent);
    let _ = m.goes_on(sent);
    let _ = m.must_close(sent, frame);
    let _ = m.client_breaks(sent, frame);
    if let Some(body) = m.body_of(sent) {
        let _ = m.with_body(sent, &body[..body.len() / 2]);
    }
    let _ = read_connect(frame);
    let _ = subscribe_filters(frame);
});
