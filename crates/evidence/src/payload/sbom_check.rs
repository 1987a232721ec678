//! Payload of the sbom_check records (to be filled: see the issue on typed payloads).
