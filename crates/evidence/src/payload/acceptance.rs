//! Payloads of product acceptance: the acceptance decision (`accept`,
//! `accept-with-exceptions`, `reject`) and the signature check of the package's signed
//! release that acceptance records as evidence.

use super::Payload;
use crate::RecordId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How many criteria ended in each result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriteriaSummary {
    /// Passed.
    pub pass: u64,
    /// Failed.
    pub fail: u64,
    /// Failed, covered by an exception the buyer agreed to.
    pub exception: u64,
    /// Optional criteria not met (recorded as `not-applicable`; they do not bear on the
    /// decision and are not counted as failed).
    #[serde(default)]
    pub optional_not_met: u64,
}

/// A certificate the package lists, as listed (not checked with the scheme's registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateListed {
    /// The `certificate` record of its document, when the package delivered one.
    pub record: Option<RecordId>,
    /// Certification scheme, e.g. `IECEE`.
    pub scheme: String,
    /// Certification body, when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Day of issue, YYYY-MM-DD, when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// What it covers.
    pub scope: String,
    /// Certificate number.
    pub number: String,
    /// Expiry, YYYY-MM-DD.
    pub expires: String,
}

/// The acceptance decision's data besides its criteria.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptancePayload {
    /// The day dates were judged at, YYYY-MM-DD.
    pub decided_on: String,
    /// Criteria by result.
    pub summary: CriteriaSummary,
    /// IDs of the optional criteria (a failed one never changes the decision).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub optional: Vec<String>,
    /// The vendor's stated end of support, YYYY-MM-DD.
    pub end_of_support: Option<String>,
    /// Certificates the package lists.
    pub certificates: Vec<CertificateListed>,
    /// Warning window in days before the end of support or a certificate's expiry.
    pub warn_days_before_eos: u32,
    /// Warnings given with the decision.
    pub warnings: Vec<String>,
    /// What the decision does not establish.
    pub limitations: Vec<String>,
}

impl Payload for AcceptancePayload {
    const NAME: &'static str = "acceptance";
    const VERSION: u32 = 1;
}
