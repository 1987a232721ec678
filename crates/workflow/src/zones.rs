//! Use cases: zones (moving here from crates/cli).
