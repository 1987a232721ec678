//! Use cases: campaign (moving here from crates/cli).
