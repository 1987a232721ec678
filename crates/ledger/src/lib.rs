//! # otproof-ledger
//!
//! The tamper-evident log under every otproof record: an append-only RFC 6962 / RFC 9162
//! Merkle tree ([`merkle`]), checkpoints in the C2SP tlog-checkpoint format ([`checkpoint`]),
//! signed as C2SP signed notes with Ed25519 ([`note`]).
//!
//! Invariants:
//! - Pure computation: no files, no database, no clock. Persistence goes through
//!   [`NodeStore`], implemented by the `store` crate (and [`MemoryNodes`] here).
//! - Roots and proofs are composed from stored perfect-subtree hashes in O(log n) lookups
//!   (O(log^2 n) worst case); the tree is never rebuilt. A missing node is an error.
//! - Every parser (notes, keys, checkpoints) rejects bad input with an error saying what was
//!   expected, and never panics.
//! - Private keys are never printed by `Debug`.

pub mod checkpoint;
pub mod merkle;
pub mod note;

pub use merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash, nodes_to_append, root,
    verify_consistency, verify_inclusion, Hash, LedgerError, MemoryNodes, NodeStore, ProofError,
};
