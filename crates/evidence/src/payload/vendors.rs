//! Payload of the vendors records (to be filled: see the issue on typed payloads).
