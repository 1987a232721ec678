//! # otproof-workflow
//!
//! The application layer: one public function per user action (record a document, run and
//! record a campaign, check an SBOM, sign and verify a release, approve an update, evaluate
//! zones, score vendors, assess 4-1, accept a package, export and verify). Both front ends
//! (`otproof` on the command line, `otproof serve`) call these and only these; they hold no
//! rule of the domain.
//!
//! Each function takes typed inputs (bytes or paths already chosen by the front end), uses the
//! store through its API, gathers facts, checks that cited evidence is bound to the decision's
//! subject and requirement, calls `assess`, builds the records with typed payloads, appends
//! them and returns a typed result that the front end prints or renders.
//!
//! Invariants:
//! - Nothing is recorded from bad input: every input is parsed and validated before the first
//!   append.
//! - A proof or signature check that cannot be completed is an error or a named failure, never
//!   a silent `false` or a pass.
//! - Requirement IDs come from `otproof_catalog::traces`, never from literals here.
//! - No printing, no progress bars, no exit codes, no argument parsing: that is the front
//!   ends' job. Long work reports progress through a callback and stops on a flag.

pub mod input;
pub mod records;
pub mod settings;

// The use cases, one module per area (see ARCHITECTURE.md).
pub mod accept;
pub mod campaign;
pub mod demo_target;
pub mod document;
pub mod ledger;
pub mod release;
pub mod sbom;
pub mod sdl;
pub mod spec;
pub mod vendors;
pub mod zones;
