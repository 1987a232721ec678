//! Payload of the sl_a records (to be filled: see the issue on typed payloads).
