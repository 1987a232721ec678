//! The MQTT client model (otproof as the broker) on arbitrary client packets and answers:
//! the framer, the conforming answers, the stage and the must-close oracle never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_fuzz::listen::ClientModel;

fuzz_target!(|data: &[u8]| {
    let m = otproof_fuzz::mqtt_client::MqttClient::new();
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (frame, sent) = data.split_at(split);
    let _ = m.frame_len(frame);
    let _ = m.answer(frame);
    let _ = m.stage_of(frame);
    let _ = m.probe(frame);
    let _ = m.probe_ack(frame);
    let _ = m.code_of(sent);
    let _ = m.goes_on(sent);
    let _ = m.must_close(sent, frame);
    let _ = otproof_fuzz::mqtt_client::subscribe_filters(frame);
});
