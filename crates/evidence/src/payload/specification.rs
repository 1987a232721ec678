//! Payload of a `specification` record: what a buyer asked of its suppliers. It is the buyer's
//! own record and never a vendor's evidence.

use super::Payload;
use otproof_catalog::{ComponentType, MaturityLevel, SlVector};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A supplier specification as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecificationPayload {
    /// The specification document's format tag (e.g. `otproof-spec/1`).
    pub format: String,
    /// The catalog the requirements come from.
    pub catalog: String,
    /// The component type bought.
    #[schemars(with = "String")]
    pub component_type: ComponentType,
    /// SL-T per FR (FR 1..7).
    #[schemars(with = "[u8; 7]")]
    pub sl_t: SlVector,
    /// Required 4-1 maturity level (1..4).
    #[schemars(with = "u8")]
    pub ml: MaturityLevel,
    /// Years of security support asked for.
    pub support_years: u32,
    /// Every 4-2 requirement the specification cites, in order.
    pub applicable_requirements: Vec<String>,
}

impl Payload for SpecificationPayload {
    const NAME: &'static str = "specification";
    const VERSION: u32 = 1;
}
