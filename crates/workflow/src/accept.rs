//! Use cases: accept (moving here from crates/cli).
