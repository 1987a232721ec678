//! The Modbus oracle and framer on arbitrary target answers: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_fuzz::model::ProtocolModel;

fuzz_target!(|data: &[u8]| {
    let m = otproof_fuzz::modbus::Modbus::new(1);
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (req, resp) = data.split_at(split);
    let _ = m.frame_len(resp);
    let _ = m.check(req, false, resp);
    let _ = m.required_answer(req);
    let _ = otproof_fuzz::modbus::parse_device_id(resp);
});
