//! # otproof-catalog
//!
//! IEC 62443 requirements as data: the 3-3 system requirements, the 4-2 component
//! requirements (common CRs, SAR/EDR/HDR/NDR, REs, slots), the 4-1 lifecycle requirements in
//! eight practices, the seven FRs, SL vectors, component types and maturity levels.
//!
//! Invariants:
//! - The data ships identifiers, short titles, SL numbers and our own one-line summaries;
//!   never the standards' normative text.
//! - Rows whose public sources disagree carry `confirmed: false` (and the other source's
//!   level in `disputed_sl`); the level used lives in one place, `data/requirements.csv`.
//! - This crate depends on nothing else of otproof and does no I/O at run time: the data is
//!   compiled in.
//! - Parsers of user text (`SlVector`, `ComponentType`, `Standard`, `MaturityLevel`) never
//!   panic and say what was expected.

mod catalog;
mod component;
mod fr;
mod requirement;
mod sl;
pub mod traces;

pub use catalog::{normalize_id, Catalog, CatalogError, Query, CATALOG_VERSION};
pub use component::{ComponentType, ComponentTypeError};
pub use fr::Fr;
pub use requirement::{
    Kind, MaturityLevel, MaturityLevelError, Practice, Requirement, Standard, StandardError,
};
pub use sl::{SlVector, SlVectorError, SL_VECTOR_FORMAT};
