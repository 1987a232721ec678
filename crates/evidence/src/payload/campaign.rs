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

/// What a campaign shows. More than the limit of its cases not delivered to the target
/// ([`CampaignResult::undelivered_limit_percent`], or none delivered) shows nothing:
/// inconclusive, never a pass.
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
    /// The share of undelivered cases, in percent, beyond which the campaign is
    /// inconclusive (the fuzzer's limit when it ran); absent in older campaigns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undelivered_limit_percent: Option<f64>,
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

/// What a finding did to the target; its severity follows from it (see
/// [`RobustnessCampaign::severity_rule`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// The whole server crashed or stopped answering: no client is served.
    ServerDown,
    /// The whole server answers far slower than its baseline, or its memory grew.
    ServerDegraded,
    /// One connection was dropped without the answer the specification requires; the server
    /// still serves others.
    ConnectionLost,
    /// A wrong or nonconforming answer; connection and server still work.
    WrongAnswer,
}

impl Effect {
    /// kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Effect::ServerDown => "server-down",
            Effect::ServerDegraded => "server-degraded",
            Effect::ConnectionLost => "connection-lost",
            Effect::WrongAnswer => "wrong-answer",
        }
    }
}

/// The cases one root cause showed up in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingVariants {
    /// Message codes of the cases (read from their bytes).
    pub codes: Vec<u16>,
    /// Fields the cases exercised.
    pub fields: Vec<String>,
    /// Mutation classes of the cases.
    pub classes: Vec<MutationClass>,
    /// A few of the case indexes.
    pub examples: Vec<u64>,
}

/// How a finding's reproducer was re-run to confirm it, or why it was not.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ConfirmedBy {
    /// Sent alone on a fresh connection, it gave the same behaviour again.
    AloneOnFreshConnection,
    /// Sent on one connection to the restarted target, it gave the same behaviour again.
    AfterRestart,
    /// Re-run, it did not give the behaviour again.
    NotReproduced,
    /// Not re-run (the note says why).
    NotTried,
}

/// Why a finding is or is not confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingConfirmation {
    /// How it was re-run, or not.
    pub how: ConfirmedBy,
    /// In words: what happened, or why it was not re-run.
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
    /// What it did to the target (absent in older campaigns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// Severity, from the effect.
    pub severity: Severity,
    /// Suggested CVSS v3.1 vector.
    pub cvss_vector: String,
    /// Base score of that vector.
    pub cvss_score: f64,
    /// Catalog requirements the finding bears on.
    pub requirements: Vec<String>,
    /// How many cases showed the same root cause (older campaigns: the same behaviour,
    /// code, field and class).
    pub occurrences: u64,
    /// The root-cause signature the findings were de-duplicated by (observed behaviour x
    /// response pattern, variable parts abstracted); absent in older campaigns.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
    /// The cases that showed the same root cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants: Option<FindingVariants>,
    /// A re-run of the reproducer gave the same behaviour (see `confirmation`).
    pub confirmed: bool,
    /// Why it is or is not confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<FindingConfirmation>,
    /// How a crash or hang reproducer was minimized, or why it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimization: Option<Minimization>,
    /// The sanitizer report (AddressSanitizer, UBSan...) the launched target printed when it
    /// died, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanitizer: Option<SanitizerReport>,
    /// Remediation state.
    pub status: FindingStatus,
}

/// A sanitizer report a launched target printed on its standard error when it died.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SanitizerReport {
    /// What it says happened, from its first line (e.g.
    /// `AddressSanitizer: heap-buffer-overflow`), control characters escaped.
    pub kind: String,
    /// The report from its first line on, control characters escaped, bounded in length.
    pub report: String,
}

/// What the campaign learned from the target's answers and used to place cases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LearnedKnowledge {
    /// Runs of mapped addresses per address space.
    pub ranges: Vec<LearnedRange>,
    /// Limits of count fields.
    pub limits: Vec<LearnedLimit>,
    /// Distinct values taken from answers into the value dictionary.
    pub values: u64,
    /// Discovery reads sent to learn the map.
    pub discovery_reads: u64,
    /// Cases built from what was learned (bisection and boundary cases).
    pub learned_cases: u64,
    /// Grey-box mode: the launched target's edge coverage was the feedback (absent when
    /// the target was not instrumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greybox: Option<GreyBoxCoverage>,
}

/// What grey-box feedback saw of the target's code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GreyBoxCoverage {
    /// Distinct edges the target took, start-up included.
    pub edges: u64,
    /// Edges taken while it started, before the first case.
    pub startup_edges: u64,
    /// Cases kept in the corpus because they took new edges (or new hit counts).
    pub corpus: u64,
    /// Cases derived from the corpus.
    pub derived_cases: u64,
    /// Size of the coverage map (edge slots).
    pub map_size: u64,
}

/// A learned run of mapped addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LearnedRange {
    /// Address space (e.g. `holding registers`).
    pub space: String,
    /// First mapped address.
    pub first: u64,
    /// Last mapped address.
    pub last: u64,
    /// Both edges are exact (the neighbours were answered "illegal address", or are the
    /// ends of the space).
    pub exact: bool,
}

/// A learned limit of a count field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LearnedLimit {
    /// Message code.
    pub code: u16,
    /// Count field.
    pub field: String,
    /// Largest value answered normally.
    pub max_accepted: Option<u64>,
    /// Smallest value above it rejected as an illegal value.
    pub min_rejected: Option<u64>,
}

/// What a campaign shows for one requirement.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementOutcome {
    /// Shown met on the executed cases.
    Pass,
    /// Shown not met: findings bear on it.
    Fail,
    /// Not shown either way (too few cases delivered, or none of the kind it needs).
    Inconclusive,
}

impl RequirementOutcome {
    /// kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            RequirementOutcome::Pass => "pass",
            RequirementOutcome::Fail => "fail",
            RequirementOutcome::Inconclusive => "inconclusive",
        }
    }
}

/// The verdict of a campaign for one requirement: what it asks, what was shown, on how many
/// executed (delivered) cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementVerdict {
    /// The catalog requirement (`CR 3.5`, `CR 7.1`, `SVV-3`).
    pub requirement: String,
    /// What the campaign checks of it.
    pub checks: String,
    /// The verdict.
    pub verdict: RequirementOutcome,
    /// What was shown, in words.
    pub shown: String,
    /// Executed (delivered) cases the verdict rests on.
    pub executed_cases: u64,
    /// Findings (root causes) that bear on the requirement.
    pub findings: u64,
}

/// Who made the campaign and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignProvenance {
    /// The tool (`otproof`).
    pub tool: String,
    /// Its version.
    pub tool_version: String,
    /// When the run started (RFC 3339, UTC), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

/// The rule that rates one behaviour class: severity, CVSS suggestion and requirements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviourRule {
    /// The behaviour class.
    pub behaviour: Behaviour,
    /// The highest severity a finding of this class gets (a finding's own severity follows
    /// its effect, see [`RobustnessCampaign::severity_rule`]).
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
    /// Who made it and when (absent in older campaigns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<CampaignProvenance>,
    /// How each behaviour class is rated (one rule per class).
    pub rules: Vec<BehaviourRule>,
    /// How a finding's severity follows from its effect, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub severity_rule: String,
    /// Catalog requirements the campaign supports.
    pub requirements: Vec<String>,
    /// The verdict per requirement: what was shown, on how many executed cases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirement_verdicts: Vec<RequirementVerdict>,
    /// What the campaign learned from the target's answers (absent when nothing was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<LearnedKnowledge>,
    /// Findings, one per root cause.
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
