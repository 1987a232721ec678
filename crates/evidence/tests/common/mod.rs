//! Helpers for the payload tests (one test file per payload kind uses them).

use otproof_evidence::payload::{self, Payload, PayloadError};

/// Round trip of one payload value, and the format tag checks.
pub fn round_trip<P: Payload + PartialEq + std::fmt::Debug>(p: &P) {
    let v = p.to_value().expect("to_value");
    assert_eq!(v[payload::FORMAT_KEY], P::format());
    assert!(P::is_tagged(&v));
    assert_eq!(&P::from_value(&v).expect("from_value"), p);
    let mut untagged = v.clone();
    untagged
        .as_object_mut()
        .expect("object")
        .remove(payload::FORMAT_KEY);
    assert!(matches!(
        P::from_value(&untagged),
        Err(PayloadError::Format { .. })
    ));
    let mut other = v.clone();
    other[payload::FORMAT_KEY] = serde_json::json!("otproof-payload/other/1");
    assert!(matches!(
        P::from_value(&other),
        Err(PayloadError::Format { .. })
    ));
}
