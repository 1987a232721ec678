//! Payload of a `document` or `certificate` record: a file handed over by someone, recorded as
//! given. Its content is a claim of whoever submitted it; the record proves only that these
//! bytes were received and not changed since.

use super::Payload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A document received as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentPayload {
    /// The file name as received (the bytes are the record's attachment).
    pub file: String,
    /// Who handed it over (a vendor, an integrator, the buyer), as stated by whoever recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
    /// The document's own version or issue, as written in it (a claim, not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_version: Option<String>,
}

impl Payload for DocumentPayload {
    const NAME: &'static str = "document";
    const VERSION: u32 = 1;
}
