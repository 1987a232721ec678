//! Payload of the update records (to be filled: see the issue on typed payloads).
