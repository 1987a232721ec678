//! Payload of the specification records (to be filled: see the issue on typed payloads).
