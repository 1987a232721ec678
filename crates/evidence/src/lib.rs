//! # otproof-evidence
//!
//! The records everything in otproof produces and consumes: [`Record`]s holding
//! [`Evidence`] (with [`Finding`]s and attachments) or a [`Decision`], about a [`Subject`],
//! naming the catalog requirements they support.
//!
//! Invariants:
//! - A record's identity is the SHA-256 of its RFC 8785 canonical JSON ([`jcs`]); stored and
//!   exported bytes are exactly that canonical JSON ([`parse_canonical`] rejects anything else).
//! - Records are never updated: a change is a new record whose `supersedes` names the old ID.
//! - Requirement references are validated against the catalog and stored in canonical form.
//! - The JSON Schema of the format ([`schema`]) is versioned with `RECORD_FORMAT` and committed
//!   under `docs/schema/`; a test fails when the types change without the file.
//! - Every evidence kind and structured decision has a typed, versioned [`payload`] with its
//!   own committed JSON Schema (`docs/schema/payload-*.schema.json`).
//! - No I/O here (attachments are referenced by digest; the store keeps the bytes).

mod canonical;
mod digest;
pub mod jcs;
pub mod payload;
mod record;

pub use digest::{DigestError, RecordId, Sha256Digest};
pub use payload::{Payload, PayloadError};
pub use record::{
    now_rfc3339, parse_canonical, Artifact, Attachment, Body, Criterion, CriterionResult, Decision,
    Evidence, EvidenceKind, Exception, Finding, FindingStatus, Producer, Record, RecordError,
    Severity, Subject, Verdict, RECORD_FORMAT,
};

/// The JSON Schema (draft 2020-12) of [`Record`], pretty-printed with a trailing newline.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Record);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
