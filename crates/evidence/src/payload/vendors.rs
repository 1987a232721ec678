//! Payload of a vendor scoring (a decision `vendor-score`): every vendor's score against the
//! specification, with the trace of every point to the answer and the evidence behind it.

use super::Payload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The weights of the three dimensions, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreWeights {
    /// Security maturity.
    pub security_maturity: u8,
    /// Technical capability.
    pub technical_capability: u8,
    /// Support readiness.
    pub support_readiness: u8,
}

/// One dimension's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DimensionPoints {
    /// `security-maturity`, `technical-capability` or `support-readiness`.
    pub key: String,
    /// Heading.
    pub name: String,
    /// Weight in percent.
    pub weight: u8,
    /// Points scored.
    pub points: f64,
    /// Points attainable.
    pub attainable: f64,
    /// Points over attainable, in percent.
    pub percent: f64,
    /// Applicable items counted.
    pub items: u64,
}

/// Evidence an answer cites, as found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CitedEvidence {
    /// Record ID (`sha256:…`) or the document's identifier.
    pub id: String,
    /// Evidence kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Catalog requirements it names.
    pub requirements: Vec<String>,
    /// Its inclusion in the store's signed log was proven.
    pub verified: bool,
    /// Why it was not proven, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_verified: Option<String>,
    /// Who produced it: `check` (an otproof check), `supplied` (a handed-over document) or
    /// `buyer`; it sets the weight of the points it backs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// A cited record that does not count for the item it is cited on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotApplicableEvidence {
    /// Record ID.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Why it does not apply to the item (vendor, product, version, requirement, buyer's own).
    pub reason: String,
}

/// How one item scored, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPoints {
    /// Item ID.
    pub id: String,
    /// Item title.
    pub title: String,
    /// Dimension key.
    pub dimension: String,
    /// The vendor's answer.
    pub answer: Option<String>,
    /// Points (after halving an assertion).
    pub points: f64,
    /// Attainable points (0 when not applicable).
    pub max: f64,
    /// How the points came about.
    pub reason: String,
    /// Evidence found.
    pub evidence: Vec<CitedEvidence>,
    /// References that resolved to nothing.
    pub unresolved_evidence: Vec<String>,
    /// Cited records found but not applicable to this item: they earned nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_applicable: Vec<NotApplicableEvidence>,
}

/// One vendor's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorScorePayload {
    /// Data format of the score (`otproof-vendor-score/<n>`).
    pub format: String,
    /// Vendor name.
    pub vendor: String,
    /// Offered product.
    pub product: Option<String>,
    /// Offered version.
    pub version: Option<String>,
    /// The specification's product.
    pub specification: String,
    /// SL-T used for the SL-C items.
    pub sl_t: String,
    /// Support years used.
    pub support_years: u32,
    /// The day dates were judged at.
    pub today: String,
    /// Weights applied.
    pub weights: ScoreWeights,
    /// The three dimensions.
    pub dimensions: Vec<DimensionPoints>,
    /// Weighted total, in percent.
    pub total_percent: f64,
    /// Every item.
    pub items: Vec<ItemPoints>,
    /// Applicable requirements not met.
    pub gaps: Vec<String>,
    /// Notes on how the score was made.
    pub notes: Vec<String>,
}

/// The scores of every vendor compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorScoresPayload {
    /// One per questionnaire, in the order given.
    pub scores: Vec<VendorScorePayload>,
}

impl Payload for VendorScoresPayload {
    const NAME: &'static str = "vendor-scores";
    const VERSION: u32 = 1;
}
