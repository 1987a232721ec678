//! Use cases: sbom (moving here from crates/cli).
