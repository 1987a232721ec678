//! Payload of an update decision (`otproof update approve`): which versions, which artifact,
//! and what changed in the SBOM. The criteria and the records behind them are the Decision's
//! own fields.

use super::Payload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A vulnerability's severity as the vulnerability database states it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum VulnSeverity {
    /// No severity given.
    Unknown,
    /// Severity none.
    None,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl VulnSeverity {
    /// From the severity word (`critical`, `high`, `medium`, `low`, `none`); anything else is
    /// `Unknown`.
    pub fn from_word(word: &str) -> Self {
        match word {
            "critical" => VulnSeverity::Critical,
            "high" => VulnSeverity::High,
            "medium" => VulnSeverity::Medium,
            "low" => VulnSeverity::Low,
            "none" => VulnSeverity::None,
            _ => VulnSeverity::Unknown,
        }
    }

    /// The severity word.
    pub fn word(self) -> &'static str {
        match self {
            VulnSeverity::Critical => "critical",
            VulnSeverity::High => "high",
            VulnSeverity::Medium => "medium",
            VulnSeverity::Low => "low",
            VulnSeverity::None => "none",
            VulnSeverity::Unknown => "unknown",
        }
    }
}

/// A vulnerability the update introduces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntroducedVulnerability {
    /// The vulnerability and the component (`CVE-... in name@version`).
    pub id: String,
    /// Its severity.
    pub severity: VulnSeverity,
}

/// What changed between the installed version's SBOM and the new one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomDifference {
    /// Components added.
    #[serde(default)]
    pub added: Vec<String>,
    /// Components removed.
    #[serde(default)]
    pub removed: Vec<String>,
    /// Components whose version changed.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Vulnerabilities fixed.
    #[serde(default)]
    pub fixed: Vec<String>,
    /// Vulnerabilities introduced.
    #[serde(default)]
    pub introduced: Vec<IntroducedVulnerability>,
}

/// An update decision: may `to_version` replace `from_version`?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDecision {
    /// Installed version.
    pub from_version: String,
    /// Proposed version.
    pub to_version: String,
    /// The new artifact's file name.
    pub artifact: String,
    /// Its SHA-256 (hex).
    pub artifact_sha256: String,
    /// The SBOM difference, when both SBOMs were available.
    #[serde(default)]
    pub sbom_change: Option<SbomDifference>,
}

impl Payload for UpdateDecision {
    const NAME: &'static str = "update-decision";
    const VERSION: u32 = 1;
}
