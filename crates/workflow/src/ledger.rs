//! Use cases: ledger (moving here from crates/cli).
