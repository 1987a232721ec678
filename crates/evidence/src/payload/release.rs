//! Payload of the release records (to be filled: see the issue on typed payloads).
