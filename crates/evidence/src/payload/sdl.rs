//! Payload of an IEC 62443-4-1 maturity self-assessment (an `assessment` record): the level
//! per practice from the records on file, the records behind each requirement, and what would
//! raise each level.

use super::Payload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One 4-1 requirement and the records behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementRecords {
    /// Catalog ID.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Supporting record IDs (`sha256:…`).
    pub records: Vec<String>,
    /// At least one process record (document, certificate, specification).
    pub process: bool,
    /// At least one record of the process applied to a product.
    pub applied: bool,
}

/// One practice's maturity level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeLevel {
    /// The practice's abbreviation, e.g. `SM`, `SVV`.
    pub practice: String,
    /// Its name.
    pub name: String,
    /// Maturity level 1..4 the records support.
    pub level: u8,
    /// Its requirements.
    pub requirements: Vec<RequirementRecords>,
    /// Review records newer than the practice's newest process record.
    pub reviews: Vec<String>,
    /// What would raise the level by one.
    pub to_next_level: Vec<String>,
}

/// The self-assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SdlAssessmentPayload {
    /// Data format of the assessment (`otproof-sdl-assessment/<n>`).
    pub assessment_format: String,
    /// The product filter, if any.
    pub product: Option<String>,
    /// Records that counted.
    pub records_considered: u64,
    /// The lowest practice level, 1..4.
    pub overall: u8,
    /// The eight practices.
    pub practices: Vec<PracticeLevel>,
    /// What the assessment is not.
    pub limits: Vec<String>,
}

impl Payload for SdlAssessmentPayload {
    const NAME: &'static str = "sdl-assessment";
    const VERSION: u32 = 1;
}
