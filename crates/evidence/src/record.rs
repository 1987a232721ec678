//! The record types: subjects, evidence with findings, decisions.

use crate::digest::{RecordId, Sha256Digest};
use crate::jcs;
use otproof_catalog::{Catalog, ComponentType};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version tag of the record format; part of every record.
pub const RECORD_FORMAT: &str = "otproof-record/1";

/// What a record is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Subject {
    /// A vendor as an organisation (its process, its policies).
    Vendor {
        /// Vendor name.
        vendor: String,
    },
    /// A product, optionally one version and its artifacts.
    Product {
        /// Vendor name.
        vendor: String,
        /// Product name.
        product: String,
        /// Version, when the record is about one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        /// IEC 62443-4-2 component type.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(with = "Option<String>")]
        component_type: Option<ComponentType>,
        /// Artifacts (firmware images, packages) by digest.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        artifacts: Vec<Artifact>,
    },
    /// A system under consideration, or one zone or conduit of it.
    System {
        /// System name.
        system: String,
        /// Zone name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zone: Option<String>,
        /// Conduit name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conduit: Option<String>,
    },
}

impl Subject {
    /// The product name, when the subject is a product.
    pub fn product(&self) -> Option<&str> {
        match self {
            Subject::Product { product, .. } => Some(product),
            _ => None,
        }
    }

    /// One line for people: `Acme RTU-5 2.1`, `vendor Acme`, `system Plant / zone Cell 1`.
    pub fn describe(&self) -> String {
        match self {
            Subject::Vendor { vendor } => format!("vendor {vendor}"),
            Subject::Product {
                vendor,
                product,
                version,
                ..
            } => match version {
                Some(v) => format!("{vendor} {product} {v}"),
                None => format!("{vendor} {product}"),
            },
            Subject::System {
                system,
                zone,
                conduit,
            } => {
                let mut s = format!("system {system}");
                if let Some(z) = zone {
                    s.push_str(&format!(" / zone {z}"));
                }
                if let Some(c) = conduit {
                    s.push_str(&format!(" / conduit {c}"));
                }
                s
            }
        }
    }
}

/// An artifact named by its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// File name as delivered.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: Sha256Digest,
}

/// The tool that produced a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    /// Tool name, e.g. `otproof`.
    pub tool: String,
    /// Tool version.
    pub version: String,
    /// The command or function that produced it, e.g. `spec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

impl Producer {
    /// This build of otproof doing `operation`.
    pub fn otproof(operation: &str) -> Producer {
        Producer {
            tool: "otproof".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            operation: Some(operation.into()),
        }
    }
}

/// A file attached to a record, stored separately as a content-addressed blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// File name (for people; identity is the digest).
    pub name: String,
    /// Media type, e.g. `application/pdf`, `text/html`.
    pub media_type: String,
    /// SHA-256 of the bytes.
    pub sha256: Sha256Digest,
    /// Size in bytes.
    pub size: u64,
}

/// What kind of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    /// A document: policy, procedure, SDL record, report, certificate.
    Document,
    /// A certificate (ISASecure, IECEE, ...).
    Certificate,
    /// A supplier specification written by `otproof spec`.
    Specification,
    /// A robustness test campaign and its findings.
    RobustnessCampaign,
    /// An SBOM and its vulnerability check.
    SbomCheck,
    /// A signature or provenance check.
    SignatureCheck,
    /// A signed release.
    Release,
    /// An assessment result (maturity, zone SL-A, vendor score).
    Assessment,
}

impl EvidenceKind {
    /// All kinds.
    pub const ALL: [EvidenceKind; 8] = [
        EvidenceKind::Document,
        EvidenceKind::Certificate,
        EvidenceKind::Specification,
        EvidenceKind::RobustnessCampaign,
        EvidenceKind::SbomCheck,
        EvidenceKind::SignatureCheck,
        EvidenceKind::Release,
        EvidenceKind::Assessment,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            EvidenceKind::Document => "document",
            EvidenceKind::Certificate => "certificate",
            EvidenceKind::Specification => "specification",
            EvidenceKind::RobustnessCampaign => "robustness-campaign",
            EvidenceKind::SbomCheck => "sbom-check",
            EvidenceKind::SignatureCheck => "signature-check",
            EvidenceKind::Release => "release",
            EvidenceKind::Assessment => "assessment",
        }
    }
}

impl std::str::FromStr for EvidenceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<EvidenceKind, String> {
        EvidenceKind::ALL
            .into_iter()
            .find(|k| k.name() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown evidence kind '{s}': expected one of {}",
                    EvidenceKind::ALL
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// Severity of a finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// Remediation state of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FindingStatus {
    /// Not fixed.
    Open,
    /// Fixed (in the version named by `remediation`).
    Fixed,
    /// Accepted as a risk by someone named in the record.
    AcceptedRisk,
}

/// Something wrong that a producer observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Short title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Observed behaviour class, e.g. `crash`, `hang`, `degradation`, `conformance`.
    pub behaviour: String,
    /// What exactly was observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    /// The exact reproducing input (JSON: e.g. a list of hex-encoded messages), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproducer: Option<Value>,
    /// Status.
    pub status: FindingStatus,
    /// What was or will be done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Catalog requirements the finding bears on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
}

/// A piece of evidence: who produced what, about which subject, for which requirements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// What kind of evidence.
    pub kind: EvidenceKind,
    /// Short title for people.
    pub title: String,
    /// Catalog requirement IDs it supports (canonical form, e.g. `CR 3.5`, `SVV-3`).
    pub requirements: Vec<String>,
    /// What it is about.
    pub subject: Subject,
    /// Structured content (the kind decides its shape).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub payload: Value,
    /// Files, stored as blobs by digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Findings, if the evidence reports any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// Outcome of one acceptance criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CriterionResult {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// Not met, accepted as an exception.
    Exception,
    /// Not applicable.
    NotApplicable,
}

/// One criterion of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Stable ID, e.g. `SBOM-1` or `CR 3.5`.
    pub id: String,
    /// What it asks.
    pub description: String,
    /// Outcome.
    pub result: CriterionResult,
    /// The records behind the outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<RecordId>,
}

/// A risk knowingly accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The criterion it excepts.
    pub criterion: String,
    /// Why it is acceptable.
    pub justification: String,
    /// Who owns the risk.
    pub owner: String,
    /// Until when (YYYY-MM-DD), if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// What a decision decided. Serialised kebab-case (`accept-with-exceptions`), the same strings
/// the record format has always carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A product accepted: every required criterion met.
    Accept,
    /// A product accepted with agreed exceptions, each a risk its owner accepted.
    AcceptWithExceptions,
    /// A product or update rejected: a required criterion not met.
    Reject,
    /// An update approved for installation.
    Approve,
    /// A claim of achieved security levels (SL-A) for zones and conduits.
    SlAClaim,
    /// A buyer's scoring of vendors.
    VendorScore,
}

impl Verdict {
    /// All verdicts.
    pub const ALL: [Verdict; 6] = [
        Verdict::Accept,
        Verdict::AcceptWithExceptions,
        Verdict::Reject,
        Verdict::Approve,
        Verdict::SlAClaim,
        Verdict::VendorScore,
    ];

    /// The kebab-case name, as serialised.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::AcceptWithExceptions => "accept-with-exceptions",
            Verdict::Reject => "reject",
            Verdict::Approve => "approve",
            Verdict::SlAClaim => "sl-a-claim",
            Verdict::VendorScore => "vendor-score",
        }
    }

    /// Whether the decision lets the subject in (accept, accept with exceptions, approve).
    pub fn is_positive(self) -> bool {
        matches!(
            self,
            Verdict::Accept | Verdict::AcceptWithExceptions | Verdict::Approve
        )
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A decision taken on evidence: acceptance, an SL-A claim, a vendor score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// What was decided.
    pub decision: Verdict,
    /// Short title.
    pub title: String,
    /// What it is about.
    pub subject: Subject,
    /// Catalog requirements it bears on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// Criteria and their outcomes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<Criterion>,
    /// Records relied on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<RecordId>,
    /// Accepted exceptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception>,
    /// Who decided.
    pub decided_by: String,
    /// Anything further, structured.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub payload: Value,
}

/// The body of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Body {
    /// Evidence.
    Evidence(Evidence),
    /// A decision.
    Decision(Decision),
}

/// A record as stored and sealed: never updated; a change is a new record that supersedes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Always [`RECORD_FORMAT`].
    pub format: String,
    /// When it was produced, RFC 3339 UTC (e.g. `2026-11-25T10:00:00Z`).
    pub created: String,
    /// Who produced it.
    pub producer: Producer,
    /// The record it replaces, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<RecordId>,
    /// Evidence or decision.
    pub body: Body,
}

/// A record that breaks a rule of the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Wrong format tag.
    #[error("record format '{0}' is not supported: expected '{RECORD_FORMAT}'")]
    Format(String),
    /// Not RFC 3339.
    #[error(
        "created time '{0}' is not an RFC 3339 timestamp (expected e.g. 2026-11-25T10:00:00Z)"
    )]
    Time(String),
    /// Unknown requirement.
    #[error("requirement '{0}' is not in the IEC 62443 catalog (see `otproof catalog list`)")]
    Requirement(String),
    /// Empty mandatory text.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// Not canonical JSON.
    #[error("no canonical JSON: {0}")]
    Canonical(String),
    /// Serialisation failed.
    #[error("cannot serialise the record: {0}")]
    Serialize(String),
}

fn canonical_requirements(c: &Catalog, ids: &mut [String]) -> Result<(), RecordError> {
    for id in ids.iter_mut() {
        let r = c
            .get(id)
            .ok_or_else(|| RecordError::Requirement(id.clone()))?;
        *id = r.id.clone();
    }
    Ok(())
}

impl Record {
    /// A new record created now by this otproof build.
    pub fn new(operation: &str, body: Body) -> Record {
        Record {
            format: RECORD_FORMAT.into(),
            created: now_rfc3339(),
            producer: Producer::otproof(operation),
            supersedes: None,
            body,
        }
    }

    /// Check the record against the rules and the catalog, and put every requirement ID into
    /// its canonical form (`svv3` -> `SVV-3`).
    pub fn validate(&mut self, c: &Catalog) -> Result<(), RecordError> {
        if self.format != RECORD_FORMAT {
            return Err(RecordError::Format(self.format.clone()));
        }
        if self.created.parse::<jiff::Timestamp>().is_err() {
            return Err(RecordError::Time(self.created.clone()));
        }
        if self.producer.tool.trim().is_empty() {
            return Err(RecordError::Empty("producer.tool"));
        }
        match &mut self.body {
            Body::Evidence(e) => {
                if e.title.trim().is_empty() {
                    return Err(RecordError::Empty("title"));
                }
                canonical_requirements(c, &mut e.requirements)?;
                for f in &mut e.findings {
                    canonical_requirements(c, &mut f.requirements)?;
                }
            }
            Body::Decision(d) => {
                if d.decided_by.trim().is_empty() {
                    return Err(RecordError::Empty("decided_by"));
                }
                canonical_requirements(c, &mut d.requirements)?;
            }
        }
        Ok(())
    }

    /// The record's canonical JSON (RFC 8785): the bytes that are hashed and stored.
    ///
    /// Written straight from the types (no `serde_json::Value` in between); the bytes are
    /// those of [`Record::canonical_json_via_value`], which a property test checks.
    pub fn canonical_json(&self) -> Result<String, RecordError> {
        let mut out = String::with_capacity(512);
        crate::canonical::write_record(self, &mut out)
            .map_err(|e| RecordError::Canonical(e.to_string()))?;
        Ok(out)
    }

    /// The record's canonical JSON through the generic path: serialise to a
    /// `serde_json::Value`, then canonicalise it with [`jcs::canonicalize`]. Slower; the
    /// reference that [`Record::canonical_json`] must agree with byte for byte.
    pub fn canonical_json_via_value(&self) -> Result<String, RecordError> {
        let v = serde_json::to_value(self).map_err(|e| RecordError::Serialize(e.to_string()))?;
        jcs::canonicalize(&v).map_err(|e| RecordError::Canonical(e.to_string()))
    }

    /// The record's identity: SHA-256 of its canonical JSON.
    pub fn id(&self) -> Result<RecordId, RecordError> {
        Ok(RecordId::of_canonical(self.canonical_json()?.as_bytes()))
    }

    /// Requirement IDs the record names (body and findings).
    pub fn requirements(&self) -> Vec<&str> {
        match &self.body {
            Body::Evidence(e) => e
                .requirements
                .iter()
                .chain(e.findings.iter().flat_map(|f| f.requirements.iter()))
                .map(String::as_str)
                .collect(),
            Body::Decision(d) => d.requirements.iter().map(String::as_str).collect(),
        }
    }

    /// What it is about.
    pub fn subject(&self) -> &Subject {
        match &self.body {
            Body::Evidence(e) => &e.subject,
            Body::Decision(d) => &d.subject,
        }
    }

    /// Its title.
    pub fn title(&self) -> &str {
        match &self.body {
            Body::Evidence(e) => &e.title,
            Body::Decision(d) => &d.title,
        }
    }

    /// `evidence/<kind>` or `decision/<decision>`.
    pub fn kind_label(&self) -> String {
        match &self.body {
            Body::Evidence(e) => format!("evidence/{}", e.kind.name()),
            Body::Decision(d) => format!("decision/{}", d.decision),
        }
    }

    /// Digests of the blobs it attaches.
    pub fn attachments(&self) -> &[Attachment] {
        match &self.body {
            Body::Evidence(e) => &e.attachments,
            Body::Decision(_) => &[],
        }
    }
}

/// Parse stored or exported record bytes, insisting that they are exactly canonical.
pub fn parse_canonical(bytes: &[u8]) -> Result<Record, RecordError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| RecordError::Canonical(format!("not UTF-8: {e}")))?;
    let record: Record =
        serde_json::from_str(text).map_err(|e| RecordError::Canonical(e.to_string()))?;
    if record.canonical_json()? != text {
        return Err(RecordError::Canonical(
            "the bytes are valid JSON but not in canonical (RFC 8785) form".into(),
        ));
    }
    Ok(record)
}

/// Now, RFC 3339 UTC with second precision.
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}
