//! # otproof-assess
//!
//! Decisions a buyer, integrator or vendor takes from IEC 62443 requirements and evidence.
//! Today: the supplier specification a buyer puts into an RFQ for a component at an SL-T,
//! with its vendor questionnaire. Later: vendor scoring, 4-1 maturity self-assessment,
//! zones and conduits, product acceptance.
//!
//! Invariants:
//! - Pure functions from inputs to data: no I/O, no rendering (that is `otproof-report`),
//!   no clock (outputs are reproducible from their inputs).
//! - Every requirement reference is a catalog ID; unconfirmed catalog rows stay marked.

pub mod acceptance;
pub mod sdl;
pub mod spec;
pub mod update;
pub mod vendors;
pub mod zones;

pub use spec::{
    build_specification, EvidenceKind, PolicyItem, PolicySection, Questionnaire, QuestionnaireItem,
    SpecError, SpecParams, Specification, Weights,
};
