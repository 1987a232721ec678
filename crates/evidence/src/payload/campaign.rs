//! Payload of the campaign records (to be filled: see the issue on typed payloads).
