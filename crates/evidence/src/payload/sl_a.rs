//! Payload of the SL-A claim a zones evaluation records (a decision `sl-a-claim`): the target
//! and achieved security levels of every zone and conduit, the gap counts, and the files the
//! claim was made from (model, results, report, diagram) as blobs.

use super::Payload;
use crate::Attachment;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Target and achieved levels of one zone or conduit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeLevels {
    /// The zone's or conduit's name in the model.
    pub name: String,
    /// SL-T over the seven FRs in the standard's notation, e.g. `{2 2 1 1 3 1 2}` (IAC UC SI
    /// DC RDF TRE RA).
    pub sl_t: String,
    /// SL-A, in the same notation.
    pub sl_a: String,
}

/// How many gaps between SL-T and SL-A there are, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GapCounts {
    /// Closed by countermeasures.
    pub closed: u64,
    /// Open with the model's justification (an exception of the claim).
    pub open_justified: u64,
    /// Open without a justification.
    pub open: u64,
}

/// Evidence the model cites that the claim does not rely on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceNotRelied {
    /// The asset that cites it.
    pub asset: String,
    /// The reference as the model gives it (a record ID or prefix).
    pub reference: String,
    /// Why it is not relied on: not in the store, or its inclusion in the store's signed log
    /// was not proven.
    pub reason: String,
}

/// The SL-A claim of a system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlAClaimPayload {
    /// Data format of the evaluation the claim rests on (`otproof-zones-evaluation/<n>`).
    pub evaluation_format: String,
    /// Every zone, in model order.
    pub zones: Vec<ScopeLevels>,
    /// Every conduit, in model order.
    pub conduits: Vec<ScopeLevels>,
    /// Gaps by state.
    pub gaps: GapCounts,
    /// Cited evidence the claim does not rely on (not found, or not proven), with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_relied_on: Vec<EvidenceNotRelied>,
    /// The files the claim was made from, stored as blobs.
    pub attachments: Vec<Attachment>,
}

impl Payload for SlAClaimPayload {
    const NAME: &'static str = "sl-a-claim";
    const VERSION: u32 = 1;
}
