//! Learning from arbitrary target answers (Modbus observations, the feedback knowledge and
//! the cases built from it) and reading sanitizer reports from arbitrary standard error:
//! never panic, never grow without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let m = otproof_fuzz::modbus::Modbus::new(1);
    let fb = otproof_fuzz::feedback::Feedback::new(&m);
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (req, resp) = data.split_at(split);
    let _ = otproof_fuzz::modbus::learn(req, resp);
    for chunk in resp.chunks(16) {
        fb.observe(&m, req, chunk);
    }
    let start = fb.limits_start() + fb.limits_len();
    for i in start..start + 16 {
        let c = fb.case(&m, 1, i);
        assert!(c.bytes.len() < 700);
    }
    let _ = fb.learned();
    let _ = otproof_fuzz::process::sanitizer_report(&String::from_utf8_lossy(data));
});
