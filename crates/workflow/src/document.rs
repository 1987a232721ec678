//! Use cases: document (moving here from crates/cli).
