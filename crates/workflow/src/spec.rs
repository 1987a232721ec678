//! Use cases: spec (moving here from crates/cli).
