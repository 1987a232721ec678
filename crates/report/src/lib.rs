//! # otproof-report
//!
//! Renders what the other crates compute into documents: the catalog (OSCAL catalog, JSON,
//! CSV, text tables), supplier specifications (Markdown, self-contained HTML, JSON, OSCAL
//! profile) and vendor questionnaires (YAML).
//!
//! Invariants:
//! - Rendering only: no decisions are taken here and nothing is read from or written to disk;
//!   every function returns a `String` or a JSON value and the caller writes it.
//! - Output is deterministic: the same input gives the same bytes (no clock, no random
//!   UUIDs: OSCAL UUIDs are name-based, v5).
//! - Unconfirmed catalog rows are marked in every format.

pub mod acceptance;
pub mod campaign;
pub mod catalog;
mod html;
pub mod oscal;
pub mod sbom;
pub mod sdl;
pub mod spec;
pub mod vendors;
pub mod zones;

/// A rendering failure (serialisation of data the caller built).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// JSON serialisation failed.
    #[error("JSON rendering failed: {0}")]
    Json(#[from] serde_json::Error),
    /// YAML serialisation failed.
    #[error("YAML rendering failed: {0}")]
    Yaml(String),
    /// CSV serialisation failed.
    #[error("CSV rendering failed: {0}")]
    Csv(String),
}
