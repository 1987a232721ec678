#![no_main]
// Any bytes: auto-detected SBOM parsing must return Ok or Err, never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = otproof_sbom::parse(data);
});
