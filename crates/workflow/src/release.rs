//! Use cases: release (moving here from crates/cli).
