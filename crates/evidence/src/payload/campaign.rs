//! Payload of a `robustness-campaign` record: what a protocol robustness campaign (`otproof
//! fuzz`) ran against, how, what it covered and what it found, with each finding's reproducer.
//! The campaign's renderings (evidence.json, report.html, SARIF, JUnit) are made from this
//! type alone.

use super::Payload;
use crate::{FindingStatus, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `format` of a campaign's `evidence.json` document.
pub const CAMPAIGN_DOCUMENT_FORMAT: &str = "otproof-robustness-campaign/1";

/// Behaviour class of a finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// The target stopped accepting connections (or its process died).
    Crash,
    /// The target stopped answering, health probe included.
    Hang,
    /// The target answers, but far slower than its baseline (or its memory grew).
    Degradation,
    /// An answer that violates the protocol.
    Conformance,
}

impl Behaviour {
    /// All classes, in reporting order.
    pub const ALL: [Behaviour; 4] = [
        Behaviour::Crash,
        Behaviour::Hang,
        Behaviour::Degradation,
        Behaviour::Conformance,
    ];

    /// kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Crash => "crash",
            Behaviour::Hang => "hang",
            Behaviour::Degradation => "degradation",
            Behaviour::Conformance => "conformance",
        }
    }
}

/// How a test case was derived from a valid message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum MutationClass {
    /// A valid message, unchanged.
    Valid,
    /// Type and domain boundaries.
    Boundary,
    /// Just outside the domain.
    OffByOne,
    /// A length or count field that disagrees with the payload.
    LengthMismatch,
    /// A code or enumerated value the protocol does not define.
    InvalidEnum,
    /// The frame cut short.
    Truncation,
    /// Extra bytes after the frame.
    Extension,
    /// A field repeated.
    RepeatedField,
    /// A field left out.
    DroppedField,
    /// A field written with the wrong width.
    TypeConfusion,
    /// Random byte flips, insertions and deletions.
    Havoc,
}

impl MutationClass {
    /// All classes, in the order campaigns cycle through them.
    pub const ALL: [MutationClass; 11] = [
        MutationClass::Valid,
        MutationClass::Boundary,
        MutationClass::OffByOne,
        MutationClass::LengthMismatch,
        MutationClass::InvalidEnum,
        MutationClass::Truncation,
        MutationClass::Extension,
        MutationClass::RepeatedField,
        MutationClass::DroppedField,
        MutationClass::TypeConfusion,
        MutationClass::Havoc,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            MutationClass::Valid => "valid",
            MutationClass::Boundary => "boundary",
            MutationClass::OffByOne => "off-by-one",
            MutationClass::LengthMismatch => "length-mismatch",
            MutationClass::InvalidEnum => "invalid-enum",
            MutationClass::Truncation => "truncation",
            MutationClass::Extension => "extension",
            MutationClass::RepeatedField => "repeated-field",
            MutationClass::DroppedField => "dropped-field",
            MutationClass::TypeConfusion => "type-confusion",
            MutationClass::Havoc => "havoc",
        }
    }
}

/// What a campaign shows. More than [`UNDELIVERED_LIMIT_PERCENT`] % of its cases not
/// delivered to the target (or none delivered) shows nothing: inconclusive, never a pass.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CampaignVerdict {
    /// No finding, and (all but at most the limit of) the cases were delivered.
    Pass,
    /// At least one finding.
    Fail,
    /// No finding, but too few cases reached the target to show anything: the campaign does
    /// not show the requirements it was run for.
    Inconclusive,
}

impl CampaignVerdict {
    /// kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            CampaignVerdict::Pass => "pass",
            CampaignVerdict::Fail => "fail",
            CampaignVerdict::Inconclusive => "inconclusive",
        }
    }
}

/// The share of undelivered cases, in percent, beyond which a campaign is inconclusive.
pub const UNDELIVERED_LIMIT_PERCENT: f64 = 5.0;

/// What was tested: the protocol as specified, the target and the device under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignScope {
    /// The protocol and the specification it was tested against.
    pub protocol: String,
    /// The target, `HOST:PORT`.
    pub target: String,
    /// The unit (slave) identifier addressed, for protocols that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<u8>,
    /// Vendor of the device under test (as given, or as the device reports it).
    pub vendor: String,
    /// Product under test.
    pub product: String,
    /// Version under test, if known.
    pub version: Option<String>,
    /// The message (function) codes the protocol model covers.
    pub function_codes: Vec<u16>,
}

/// How the campaign was configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignConfiguration {
    /// Protocol model, e.g. `modbus-tcp`.
    pub protocol: String,
    /// The target, `HOST:PORT`.
    pub target: String,
    /// Seed: the same seed gives the same cases.
    pub seed: u64,
    /// Stop after this many cases, if set.
    pub cases_limit: Option<u64>,
    /// Stop after this many seconds, if set.
    pub duration_limit_s: Option<f64>,
    /// Parallel sessions.
    pub concurrency: u64,
    /// Per-case answer timeout in milliseconds.
    pub timeout_ms: u64,
    /// Probe latency over this factor of the baseline is degradation.
    pub degradation_factor: f64,
    /// Case index this run started at (non-zero when resumed).
    pub started_at_case: u64,
}

/// One identity object the target reported (e.g. Modbus FC 43/14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityObject {
    /// Object name, e.g. `vendor`.
    pub object: String,
    /// Its value.
    pub value: String,
}

/// What the run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignResult {
    /// Cases executed: delivered to the target (this run and the runs it resumed). Coverage
    /// and the rate count these alone.
    pub cases: u64,
    /// Cases that could not be delivered (no connection, a failed write, or a connection the
    /// target did not serve while it served others).
    #[serde(default)]
    pub undelivered: u64,
    /// What the campaign shows; absent only in campaigns recorded before verdicts existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<CampaignVerdict>,
    /// Next case index (to resume).
    pub next_case: u64,
    /// Wall time of this run in seconds.
    pub elapsed_s: f64,
    /// Executed cases per second.
    pub cases_per_second: f64,
    /// Baseline health-probe latency in milliseconds, if measured.
    pub baseline_probe_ms: Option<f64>,
    /// Why the campaign stopped early, if it did.
    pub stopped: Option<String>,
    /// What the target says it is.
    pub target_identity: Vec<IdentityObject>,
}

/// Coverage of the protocol model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignCoverage {
    /// Cases per `code/class`.
    pub pairs: BTreeMap<String, u64>,
    /// Message types x mutation classes in the model.
    pub pairs_total: u64,
    /// Cases per `code/field/class`.
    pub cells: BTreeMap<String, u64>,
    /// Outcomes seen (response, exception, closed, timeout...) and how often.
    pub outcomes: BTreeMap<String, u64>,
}

impl CampaignCoverage {
    /// Share of (message type, class) pairs exercised, in percent.
    pub fn pair_percent(&self) -> f64 {
        if self.pairs_total == 0 {
            0.0
        } else {
            100.0 * self.pairs.len() as f64 / self.pairs_total as f64
        }
    }

    /// Message codes exercised, in the order of the pair keys.
    pub fn codes(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .pairs
            .keys()
            .filter_map(|k| k.split('/').next()?.parse().ok())
            .collect();
        v.dedup();
        v
    }
}

/// One request of a reproducer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReproducerRequest {
    /// The bytes in hex.
    pub hex: String,
    /// The bytes in base64 (empty if `hex` does not decode).
    pub base64: String,
    /// Number of bytes.
    pub length: u64,
}

/// How a crash or hang reproducer was minimized, or why it was not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Minimization {
    /// Test runs it took.
    pub runs: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// It ran to a 1-minimal reproducer.
    pub complete: bool,
    /// What happened, in words.
    pub note: String,
}

/// A finding: what the target did, and the input that provokes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignFinding {
    /// Behaviour class.
    pub behaviour: Behaviour,
    /// Message type.
    pub message: String,
    /// Message code.
    pub code: u16,
    /// Field exercised.
    pub field: String,
    /// Mutation class.
    pub class: MutationClass,
    /// What was observed.
    pub observed: String,
    /// Case index that first showed it.
    pub case: u64,
    /// The requests in order, the last one provoking the behaviour.
    pub reproducer: Vec<ReproducerRequest>,
    /// The reproducer (hex) before minimization, if it was minimized.
    pub original: Option<Vec<String>>,
    /// Rule-based severity.
    pub severity: Severity,
    /// Suggested CVSS v3.1 vector.
    pub cvss_vector: String,
    /// Base score of that vector.
    pub cvss_score: f64,
    /// Catalog requirements the finding bears on.
    pub requirements: Vec<String>,
    /// How many cases showed the same (behaviour, code, field, class).
    pub occurrences: u64,
    /// A fresh re-run of the reproducer alone gave the same behaviour.
    pub confirmed: bool,
    /// How a crash or hang reproducer was minimized, or why it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimization: Option<Minimization>,
    /// Remediation state.
    pub status: FindingStatus,
}

/// The rule that rates one behaviour class: severity, CVSS suggestion and requirements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviourRule {
    /// The behaviour class.
    pub behaviour: Behaviour,
    /// Its severity.
    pub severity: Severity,
    /// Suggested CVSS v3.1 vector.
    pub cvss_vector: String,
    /// Base score of that vector.
    pub cvss_score: f64,
    /// Catalog requirements a finding of this class bears on.
    pub requirements: Vec<String>,
}

/// A robustness campaign as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RobustnessCampaign {
    /// What was tested.
    pub scope: CampaignScope,
    /// How.
    pub configuration: CampaignConfiguration,
    /// What the run did.
    pub result: CampaignResult,
    /// What it covered.
    pub coverage: CampaignCoverage,
    /// How each behaviour class is rated (one rule per class).
    pub rules: Vec<BehaviourRule>,
    /// Catalog requirements the campaign supports.
    pub requirements: Vec<String>,
    /// Findings, de-duplicated.
    pub findings: Vec<CampaignFinding>,
}

impl RobustnessCampaign {
    /// Findings of one behaviour class.
    pub fn count(&self, b: Behaviour) -> usize {
        self.findings.iter().filter(|f| f.behaviour == b).count()
    }
}

impl Payload for RobustnessCampaign {
    const NAME: &'static str = "robustness-campaign";
    const VERSION: u32 = 1;
}
