//! Use cases: vendors (moving here from crates/cli).
