//! Payload of the acceptance records (to be filled: see the issue on typed payloads).
