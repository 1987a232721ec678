//! Payload of an `sbom-check` record: one SBOM checked against the offline vulnerability data,
//! with the VEX statements applied and a policy's verdict.
//!
//! It holds everything the check's reports render (table, JSON, SARIF, HTML): the SBOM's
//! identity, the NTIA minimum elements, every component with its matches (severity, KEV, fix,
//! how the match was found, the VEX statement that applies), the VEX input, the totals and the
//! verdict with its reasons, plus which vulnerability data was used and how old it was. The
//! SBOM's bytes are the record's attachment.
//!
//! Optional fields are written as `null` (not left out) so that the JSON report of a check
//! keeps the shape it had before this type existed.

use super::Payload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The result of checking one SBOM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomCheck {
    /// What was checked.
    pub sbom: SbomIdentity,
    /// NTIA minimum elements.
    pub ntia: Ntia,
    /// Every component of the SBOM, with its vulnerabilities.
    pub components: Vec<ComponentMatches>,
    /// VEX documents used and contradictions between their statements.
    pub vex: VexInput,
    /// Counts.
    pub totals: Totals,
    /// The policy's verdict.
    pub verdict: PolicyVerdict,
    /// The vulnerability data the check used (absent when not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability_data: Option<VulnData>,
}

impl Payload for SbomCheck {
    const NAME: &'static str = "sbom-check";
    const VERSION: u32 = 1;
}

impl SbomCheck {
    /// Every (component, vulnerability) pair, in report order.
    pub fn pairs(&self) -> impl Iterator<Item = (&ComponentMatches, &VulnMatch)> {
        self.components
            .iter()
            .flat_map(|c| c.vulnerabilities.iter().map(move |v| (c, v)))
    }
}

/// The SBOM document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomIdentity {
    /// Format and version, e.g. `CycloneDX JSON 1.5`.
    pub format: String,
    /// Serial number or document namespace.
    pub serial: Option<String>,
    /// The product the SBOM describes (`name version`).
    pub subject: Option<String>,
    /// Creation time as written.
    pub created: Option<String>,
    /// Component count.
    pub components: u64,
    /// Reader problems (malformed purls, duplicate refs ...), as `location: message`.
    pub problems: Vec<String>,
}

/// NTIA minimum elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ntia {
    /// One entry per element.
    pub elements: Vec<NtiaElement>,
}

/// One NTIA minimum element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NtiaElement {
    /// "supplier", "name", "version", "unique identifier", "dependency relationship",
    /// "author" or "timestamp".
    pub element: String,
    /// Present everywhere.
    pub ok: bool,
    /// bom-refs lacking the element, or "document" for document-level elements.
    pub missing: Vec<String>,
}

/// How a component could be looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lookup {
    /// By package URL.
    Purl,
    /// By CPE.
    Cpe,
    /// By name and version only (low confidence).
    Name,
}

impl Lookup {
    /// `purl`, `cpe` or `name`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lookup::Purl => "purl",
            Lookup::Cpe => "cpe",
            Lookup::Name => "name",
        }
    }
}

impl std::fmt::Display for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One component and what was found for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentMatches {
    /// `bom-ref` / SPDXID.
    pub bom_ref: String,
    /// Name (`group/name` where there is a group).
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Package URL (canonical), if valid.
    pub purl: Option<String>,
    /// CPE.
    pub cpe: Option<String>,
    /// Supplier.
    pub supplier: Option<String>,
    /// Number of hashes.
    pub hashes: u64,
    /// Ancestors (nested components).
    pub path: Vec<String>,
    /// How it was looked up.
    pub lookup: Lookup,
    /// Vulnerabilities (cleared ones included, with their VEX statement).
    pub vulnerabilities: Vec<VulnMatch>,
}

impl ComponentMatches {
    /// `name@version`, or the name alone.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{v}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Qualitative severity of a vulnerability (the CVSS bands of its highest base score).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum VulnSeverity {
    /// Score 0.
    None,
    /// 0.1 - 3.9.
    Low,
    /// 4.0 - 6.9.
    Medium,
    /// 7.0 - 8.9.
    High,
    /// 9.0 - 10.0.
    Critical,
}

/// `critical`, `high`, `medium`, `low`, `none`, or `unknown` when there is no severity.
pub fn severity_name(s: Option<VulnSeverity>) -> &'static str {
    match s {
        Some(VulnSeverity::Critical) => "critical",
        Some(VulnSeverity::High) => "high",
        Some(VulnSeverity::Medium) => "medium",
        Some(VulnSeverity::Low) => "low",
        Some(VulnSeverity::None) => "none",
        None => "unknown",
    }
}

/// How a match was found.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// No purl or CPE: name (+ version) only, ecosystem unknown. Low.
    NameVersion,
    /// NVD: vendor + product + version.
    Cpe,
    /// Exact ecosystem + package name + version range.
    Purl,
}

/// A VEX status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// Not affected.
    NotAffected,
    /// Affected.
    Affected,
    /// Fixed.
    Fixed,
    /// Under investigation.
    UnderInvestigation,
}

impl VexStatus {
    /// The OpenVEX spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }

    /// Not affected or fixed: the finding is cleared.
    pub fn clears(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }
}

/// A vulnerability of a component, with its VEX resolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VulnMatch {
    /// Advisory ID.
    pub id: String,
    /// Aliases (CVE, GHSA ...).
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Qualitative severity (from the highest CVSS base score); `null` when unknown.
    pub severity: Option<VulnSeverity>,
    /// Highest CVSS base score.
    pub score: Option<f64>,
    /// CVSS vectors.
    pub cvss: Vec<String>,
    /// In the CISA KEV catalog.
    pub kev: bool,
    /// First fixed version above the component's.
    pub fixed: Option<String>,
    /// How the match was found.
    pub confidence: Confidence,
    /// False when the version could not be evaluated.
    pub evaluable: bool,
    /// Caveats.
    pub note: Option<String>,
    /// The VEX statement that applies, if any.
    pub vex: Option<VexResolution>,
}

impl VulnMatch {
    /// Cleared by VEX (not affected or fixed).
    pub fn cleared(&self) -> bool {
        self.vex.as_ref().is_some_and(|v| v.status.clears())
    }
}

/// The VEX statement applied to a (vulnerability, component) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VexResolution {
    /// Status.
    pub status: VexStatus,
    /// Justification (not affected).
    pub justification: Option<String>,
    /// Impact or action statement.
    pub statement: Option<String>,
    /// Where the statement is (`document#statements[i]`).
    pub source: String,
    /// Statements that disagree with it.
    pub conflicting: Vec<String>,
}

/// VEX input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VexInput {
    /// Statements read.
    pub statements: u64,
    /// Contradictions not settled by timestamps.
    pub conflicts: Vec<VexConflict>,
}

/// Statements about the same (vulnerability, product) with different statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VexConflict {
    /// Vulnerability ID.
    pub vulnerability: String,
    /// Product key.
    pub product: String,
    /// (source, status) of every statement about it.
    pub statements: Vec<(String, VexStatus)>,
    /// The statement the timestamp rule selects, if any (`null` for a contradiction).
    pub winner: Option<String>,
}

/// Counts over the check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    /// Components.
    pub components: u64,
    /// Components with at least one open vulnerability.
    pub vulnerable_components: u64,
    /// (component, vulnerability) pairs.
    pub vulnerabilities: u64,
    /// Pairs cleared by VEX (not affected, fixed).
    pub cleared_by_vex: u64,
    /// Open pairs by severity name (see [`severity_name`]).
    pub open_by_severity: BTreeMap<String, u64>,
    /// Open pairs in the KEV catalog.
    pub open_kev: u64,
}

/// Pass or fail, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyVerdict {
    /// Every policy rule held.
    pub passed: bool,
    /// One line per broken rule.
    pub reasons: Vec<String>,
}

/// The offline vulnerability data a check used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VulnData {
    /// The database's file name.
    pub database: String,
    /// Records per source and their age.
    pub sources: Vec<VulnSource>,
    /// Records held, all sources.
    #[serde(default)]
    pub records: u64,
    /// When the data was last imported (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_at: Option<String>,
    /// Input records rejected by the last import.
    #[serde(default)]
    pub rejected_at_import: u64,
    /// The newest record in the data (RFC 3339): how current the data is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_as_of: Option<String>,
    /// Age of the data in days (from `data_as_of`, else the import) when the check ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<u64>,
    /// The maximum age the check allowed (policy `max_data_age_days` or `--max-age`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
    /// Older than `max_age_days`, or of unknown age while a maximum was set.
    #[serde(default)]
    pub stale: bool,
}

/// One source of vulnerability data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VulnSource {
    /// `osv:<Ecosystem>`, `osv`, `kev` or `nvd`.
    pub source: String,
    /// Records held.
    pub records: u64,
    /// Newest record's modification time (OSV, NVD) or catalog release (KEV), RFC 3339.
    pub newest: Option<String>,
    /// When this source was last imported, RFC 3339.
    pub imported_at: Option<String>,
}
