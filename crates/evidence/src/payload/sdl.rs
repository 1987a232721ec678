//! Payload of the sdl records (to be filled: see the issue on typed payloads).
