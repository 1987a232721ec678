//! Supplier specification: what a buyer asks of a vendor for one component type at an SL-T.
//!
//! [`build_specification`] turns [`SpecParams`] into a [`Specification`]: secure development
//! (4-1 at a maturity level), the applicable 4-2 CRs and REs grouped by FR with the evidence
//! expected for each, supply-chain and support policy items, the evaluation dimensions with
//! their weights, and a [`Questionnaire`] with one entry per requirement and policy item.

use otproof_catalog::traces;
use otproof_catalog::{
    Catalog, ComponentType, Fr, Kind, MaturityLevel, Practice, Requirement, SlVector,
    CATALOG_VERSION,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Version of the specification's data format (JSON and questionnaire).
pub const SPEC_FORMAT: &str = "otproof-spec/1";
/// Version of the questionnaire format.
pub const QUESTIONNAIRE_FORMAT: &str = "otproof-questionnaire/1";

/// Why a specification cannot be built from these parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The SL-T asks for nothing at all.
    #[error("SL-T {0} is 0 in every FR, so no 4-2 requirement applies: expected at least one FR at SL 1..4")]
    EmptyTarget(SlVector),
    /// Support lifetime out of the sensible range.
    #[error("support lifetime of {0} years: expected 1..50 years")]
    SupportYears(u32),
    /// Weights that do not add up.
    #[error("evaluation weights {0}: expected three whole percentages (security maturity, technical capability, support readiness) adding up to 100, e.g. 35,40,25")]
    Weights(String),
}

/// Relative weights of the three evaluation dimensions, in percent (sum 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    /// Security maturity (4-1 ML, certifications, audits).
    pub security_maturity: u8,
    /// Technical capability (CR/RE coverage, SL-C vs SL-T, robustness evidence).
    pub technical_capability: u8,
    /// Support readiness (lifetime, patch times, disclosure, SBOM, patch windows).
    pub support_readiness: u8,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            security_maturity: 35,
            technical_capability: 40,
            support_readiness: 25,
        }
    }
}

impl FromStr for Weights {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Weights, SpecError> {
        let parts: Vec<Option<u8>> = s
            .split([',', ' '])
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.trim().trim_end_matches('%').parse::<u8>().ok())
            .collect();
        match parts.as_slice() {
            [Some(a), Some(b), Some(c)] if u16::from(*a) + u16::from(*b) + u16::from(*c) == 100 => {
                Ok(Weights {
                    security_maturity: *a,
                    technical_capability: *b,
                    support_readiness: *c,
                })
            }
            _ => Err(SpecError::Weights(s.to_string())),
        }
    }
}

impl fmt::Display for Weights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{}",
            self.security_maturity, self.technical_capability, self.support_readiness
        )
    }
}

/// What the buyer chooses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecParams {
    /// The product or procurement item (free text), e.g. "Line 3 remote I/O controller".
    pub product: Option<String>,
    /// The component type being bought.
    pub component: ComponentType,
    /// Target security level per FR.
    pub sl_t: SlVector,
    /// Required 4-1 maturity level of the vendor's development process (default ML 2).
    pub ml: MaturityLevel,
    /// Years of security support from delivery (default 10).
    pub support_years: u32,
    /// Evaluation weights.
    pub weights: Weights,
}

impl SpecParams {
    /// Defaults for everything but the component type and SL-T.
    pub fn new(component: ComponentType, sl_t: SlVector) -> SpecParams {
        SpecParams {
            product: None,
            component,
            sl_t,
            ml: MaturityLevel::ALL[1],
            support_years: 10,
            weights: Weights::default(),
        }
    }
}

/// The kinds of evidence a vendor can offer for a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    /// A report of functional security tests against the requirement.
    TestReport,
    /// A robustness (malformed input, load) test report with reproducers and coverage.
    RobustnessTestReport,
    /// The configuration settings that realise the requirement, as delivered or hardened.
    ConfigurationRecord,
    /// Design documentation: architecture, cryptography, key storage.
    DesignDocument,
    /// User documentation: manuals, hardening guide.
    UserDocumentation,
    /// A third-party certificate whose scope covers the requirement (e.g. ISASecure, IECEE).
    Certificate,
    /// A signed release artifact with its signature, verifiable by the buyer.
    SignedArtifact,
    /// A sample of the audit log the component produces.
    AuditLogSample,
    /// A machine-readable SBOM (SPDX or CycloneDX).
    Sbom,
    /// A documented process (policy, procedure) and records of its use.
    ProcessRecord,
}

impl EvidenceKind {
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::TestReport => "test report",
            EvidenceKind::RobustnessTestReport => "robustness test report",
            EvidenceKind::ConfigurationRecord => "configuration record",
            EvidenceKind::DesignDocument => "design documentation",
            EvidenceKind::UserDocumentation => "user documentation",
            EvidenceKind::Certificate => "certificate covering the requirement",
            EvidenceKind::SignedArtifact => "signed release artifact",
            EvidenceKind::AuditLogSample => "audit log sample",
            EvidenceKind::Sbom => "SBOM (SPDX or CycloneDX)",
            EvidenceKind::ProcessRecord => "process document and records of its use",
        }
    }
}

/// The evidence a buyer should expect for one 4-2 requirement.
///
/// Every requirement gets a test report and accepts a certificate whose scope covers it;
/// the rest follows the requirement's topic.
pub fn expected_evidence(r: &Requirement) -> Vec<EvidenceKind> {
    use EvidenceKind::*;
    let base = r.parent.as_deref().unwrap_or(&r.id);
    let number = |id: &str| {
        id.split_whitespace()
            .nth(1)
            .map(str::to_string)
            .unwrap_or_default()
    };
    let n = if r.kind == Kind::Re {
        number(base)
    } else {
        number(&r.id)
    };
    let title = r.title.to_ascii_lowercase();
    let mut out = vec![TestReport];
    match n.as_str() {
        "3.5" | "7.1" | "7.2" | "3.6" | "3.7" => out.push(RobustnessTestReport),
        "2.8" | "2.9" | "2.10" | "2.11" | "2.12" | "3.9" | "6.1" | "6.2" => {
            out.push(AuditLogSample)
        }
        "3.4" | "3.10" | "3.14" => out.push(SignedArtifact),
        "7.8" => out.push(Sbom),
        _ => {}
    }
    if title.contains("hardware")
        || title.contains("cryptograph")
        || title.contains("roots of trust")
        || title.contains("tamper")
        || matches!(
            n.as_str(),
            "1.8" | "1.9" | "1.14" | "3.1" | "4.1" | "4.2" | "4.3"
        )
    {
        out.push(DesignDocument);
    }
    if matches!(
        r.fr,
        Some(Fr::Iac) | Some(Fr::Uc) | Some(Fr::Rdf) | Some(Fr::Ra)
    ) || title.contains("configuration")
    {
        out.push(ConfigurationRecord);
    }
    if matches!(n.as_str(), "7.3" | "7.4" | "7.6" | "7.7" | "1.12" | "3.3") {
        out.push(UserDocumentation);
    }
    out.push(Certificate);
    out.sort();
    out.dedup();
    out
}

/// One requirement as the specification cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRequirement {
    /// Catalog ID.
    pub id: String,
    /// Catalog kind (CR, RE, EDR, ...; `requirement` for 4-1).
    pub kind: Kind,
    /// Base requirement of an RE, or the slot a component-specific requirement fills.
    pub parent: Option<String>,
    /// Short title.
    pub title: String,
    /// Our one-line summary.
    pub summary: String,
    /// Lowest SL that requires it (4-2).
    pub min_sl: Option<u8>,
    /// False when public sources disagree on `min_sl`.
    pub confirmed: bool,
    /// The other source's level, when unconfirmed.
    pub disputed_sl: Option<u8>,
    /// What the vendor should be able to show.
    pub evidence: Vec<EvidenceKind>,
}

impl SpecRequirement {
    fn from_catalog(r: &Requirement, evidence: Vec<EvidenceKind>) -> SpecRequirement {
        SpecRequirement {
            id: r.id.clone(),
            kind: r.kind,
            parent: r.parent.clone(),
            title: r.title.clone(),
            summary: r.summary.clone(),
            min_sl: r.min_sl,
            confirmed: r.confirmed,
            disputed_sl: r.disputed_sl,
            evidence,
        }
    }
}

/// The applicable requirements of one FR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrSection {
    /// 1..=7.
    pub fr: Fr,
    /// `IAC`, ...
    pub abbrev: String,
    /// FR name.
    pub name: String,
    /// SL-T for this FR.
    pub sl_t: u8,
    /// Applicable CRs, component-specific requirements and REs, in catalog order.
    pub requirements: Vec<SpecRequirement>,
}

/// The 4-1 requirements of one practice and the records expected at the required ML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeSection {
    /// The practice.
    pub practice: Practice,
    /// Its name.
    pub name: String,
    /// Its requirements.
    pub requirements: Vec<SpecRequirement>,
    /// What records the vendor must be able to show for this practice at the required ML.
    pub records_expected: Vec<String>,
}

/// Secure development: IEC 62443-4-1 at a maturity level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecureDevelopment {
    /// Required maturity level.
    pub ml: MaturityLevel,
    /// Its name.
    pub ml_name: String,
    /// What that level means, in our words.
    pub ml_meaning: String,
    /// Per practice.
    pub practices: Vec<PracticeSection>,
}

/// How the buyer answers a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerType {
    /// One of `answer_options`.
    Choice,
    /// A whole number (years, days, a level).
    Number,
    /// Free text.
    Text,
    /// A date, YYYY-MM-DD.
    Date,
}

/// A policy requirement of the specification (not a catalog row, but traced to catalog rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyItem {
    /// Stable ID, e.g. `SBOM-1`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// What the vendor must do or provide.
    pub requirement: String,
    /// Catalog requirements it supports.
    pub refs: Vec<String>,
    /// What the vendor should be able to show.
    pub evidence: Vec<EvidenceKind>,
    /// How the questionnaire asks for it.
    pub question: String,
    /// How the answer is given.
    pub answer_type: AnswerType,
}

/// A group of policy items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySection {
    /// Stable key, e.g. `supply-chain`.
    pub key: String,
    /// Heading.
    pub title: String,
    /// Items.
    pub items: Vec<PolicyItem>,
}

/// One evaluation dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimension {
    /// `security-maturity`, `technical-capability`, `support-readiness`.
    pub key: String,
    /// Heading.
    pub name: String,
    /// Weight in percent.
    pub weight: u8,
    /// What is looked at.
    pub criteria: Vec<String>,
}

/// How offers are compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The three dimensions.
    pub dimensions: Vec<Dimension>,
    /// How points are given.
    pub method: Vec<String>,
}

/// One question for the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionnaireItem {
    /// The requirement or policy item it asks about (`CR 3.5`, `SVV-3`, `SBOM-1`, `SL-C FR 1`).
    pub id: String,
    /// `technical`, `secure-development`, `policy` or `capability`.
    pub section: String,
    /// Short title.
    pub title: String,
    /// The question.
    pub question: String,
    /// How to answer.
    pub answer_type: AnswerType,
    /// Allowed answers for a choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer_options: Vec<String>,
    /// Evidence the buyer expects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_expected: Vec<EvidenceKind>,
    /// False when the requirement's SL is disputed between public sources.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub confirmed: bool,
    /// The vendor's answer (empty in the template).
    pub answer: Option<String>,
    /// References to evidence: otproof record IDs, document names and versions, certificate numbers.
    pub evidence: Vec<String>,
    /// Anything the vendor wants to add.
    pub comment: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Who the vendor is (filled in by the vendor).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorInfo {
    /// Company name.
    pub name: Option<String>,
    /// Offered product.
    pub product: Option<String>,
    /// Offered version.
    pub version: Option<String>,
    /// Contact for security matters.
    pub security_contact: Option<String>,
}

/// The machine-readable questionnaire a vendor fills in; a later command scores filled copies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Questionnaire {
    /// Format tag.
    pub format: String,
    /// What it belongs to.
    pub specification: QuestionnaireSpecRef,
    /// How to fill it in.
    pub instructions: Vec<String>,
    /// Filled in by the vendor.
    pub vendor: VendorInfo,
    /// One entry per requirement and policy item.
    pub items: Vec<QuestionnaireItem>,
}

/// The specification a questionnaire answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionnaireSpecRef {
    /// Product or procurement item.
    pub product: String,
    /// Component type.
    pub component_type: ComponentType,
    /// SL-T, in the standard's notation.
    pub sl_t: String,
    /// Required ML.
    pub ml: MaturityLevel,
    /// Required support lifetime.
    pub support_years: u32,
}

/// The whole specification, as data. Renderers turn it into Markdown, HTML and OSCAL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Specification {
    /// Format tag.
    pub format: String,
    /// Catalog the requirements come from.
    pub catalog: String,
    /// Title.
    pub title: String,
    /// What was asked.
    pub params: SpecParams,
    /// SL-T in the standard's notation.
    pub sl_t_text: String,
    /// Secure development (4-1).
    pub secure_development: SecureDevelopment,
    /// Technical requirements (4-2), per FR.
    pub technical: Vec<FrSection>,
    /// Supply chain, updates, support, authentication, logging, robustness, documentation.
    pub policies: Vec<PolicySection>,
    /// How offers are compared.
    pub evaluation: Evaluation,
    /// IDs of cited catalog rows whose SL is disputed between public sources.
    pub unconfirmed: Vec<String>,
    /// The vendor questionnaire (also written on its own as YAML).
    pub questionnaire: Questionnaire,
}

impl Specification {
    /// Every 4-2 requirement the specification cites, in order.
    pub fn technical_ids(&self) -> Vec<&str> {
        self.technical
            .iter()
            .flat_map(|s| s.requirements.iter().map(|r| r.id.as_str()))
            .collect()
    }

    /// Number of applicable 4-2 requirements (base and REs).
    pub fn technical_count(&self) -> usize {
        self.technical.iter().map(|s| s.requirements.len()).sum()
    }
}

fn records_expected(p: Practice, ml: MaturityLevel) -> Vec<String> {
    let artefacts = match p {
        Practice::Sm => "the secure development process description, roles and responsibilities, security training records, private key protection procedure and the rules for third-party components",
        Practice::Sr => "the product security context, threat model and the product security requirements with their review records",
        Practice::Sd => "the secure design principles, the defense-in-depth architecture and design review records",
        Practice::Si => "the secure coding standards, static analysis results and implementation review records",
        Practice::Svv => "security requirements tests, threat mitigation tests, vulnerability tests (including robustness and known-vulnerability scans), penetration tests, and the independence of the testers",
        Practice::Dm => "the intake channel for vulnerability reports, triage and assessment records, fixes, advisories and the periodic review of the process",
        Practice::Sum => "the qualification testing of security updates, update documentation (including for third-party and OS components), delivery with integrity protection, and patch timeliness",
        Practice::Sg => "the defense-in-depth, hardening, secure operation, account management and secure disposal guides, and their review records",
    };
    let mut out = vec![format!("Documented procedures covering {artefacts}.")];
    if ml.level() >= 2 {
        out.push("Named owners, approval and version history of these procedures; training records of the people who apply them.".to_string());
    }
    if ml.level() >= 3 {
        out.push("Records showing the procedures applied to at least one released product (for example the records for the offered product's current release).".to_string());
    }
    if ml.level() >= 4 {
        out.push("Metrics of the practice's effectiveness, their periodic review and the improvements that followed.".to_string());
    }
    out
}

fn ids_applicable(catalog: &Catalog, params: &SpecParams, ids: &[String]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| catalog.get(id))
        .filter(|r| {
            r.kind == Kind::Requirement
                || r.applies_to(params.component) && r.required_by(&params.sl_t)
        })
        .map(|r| r.id.clone())
        .collect()
}

fn policy_sections(catalog: &Catalog, p: &SpecParams) -> Vec<PolicySection> {
    use AnswerType::*;
    use EvidenceKind::*;
    let years = p.support_years;
    let item = |id: &str,
                title: &str,
                requirement: String,
                evidence: Vec<EvidenceKind>,
                question: &str,
                answer_type: AnswerType| PolicyItem {
        id: id.to_string(),
        title: title.to_string(),
        requirement,
        refs: ids_applicable(catalog, p, &traces::policy_item(id, p.component)),
        evidence,
        question: question.to_string(),
        answer_type,
    };
    vec![
        PolicySection {
            key: "supply-chain".into(),
            title: "SBOM and vulnerability handling".into(),
            items: vec![
                item("SBOM-1", "SBOM per release",
                    "Deliver with every release (including firmware and each security update) a machine-readable SBOM in SPDX 2.2 or later or CycloneDX 1.4 or later, listing every third-party and open-source component with supplier, name, version, a unique identifier (purl or CPE), dependency relationships, author and timestamp.".into(),
                    vec![Sbom],
                    "Do you deliver an SBOM with every release? Name the format and version and attach one for the offered release.", Choice),
                item("SBOM-2", "Vulnerability tracking",
                    format!("Monitor public vulnerability sources for every SBOM component for the whole support lifetime ({years} years) and state per vulnerability whether the product is affected, in a machine-readable VEX (CycloneDX VEX, OpenVEX or the CSAF VEX profile)."),
                    vec![ProcessRecord],
                    "How do you track vulnerabilities in third-party components, and do you publish VEX statements?", Text),
                item("VULN-1", "Coordinated disclosure",
                    "Publish a coordinated vulnerability disclosure policy with a security contact, and acknowledge reports within 5 working days.".into(),
                    vec![ProcessRecord],
                    "Where is your vulnerability disclosure policy published, and what is your security contact?", Text),
                item("VULN-2", "Security advisories",
                    "Publish security advisories in CSAF 2.0 (machine-readable) for every vulnerability that affects the product, with affected versions, severity (CVSS), mitigations and fixed versions.".into(),
                    vec![ProcessRecord],
                    "Do you publish CSAF 2.0 advisories? Give the location of your advisory feed.", Choice),
                item("VULN-3", "Response times",
                    "Provide a mitigation or workaround for a critical vulnerability (CVSS 9.0 or higher, or known to be exploited) within 14 days and a fix within 30 days; for high severity within 60 days; others in the next planned release.".into(),
                    vec![ProcessRecord],
                    "What is your committed time, in days, from a critical vulnerability becoming known to a released fix?", Number),
            ],
        },
        PolicySection {
            key: "integrity".into(),
            title: "Signed firmware and updates".into(),
            items: vec![
                item("UPD-1", "Signed and verified before installation",
                    format!("Sign every firmware and software release and every update; the {} verifies the signature before installing and rejects unsigned or altered packages.", p.component.name()),
                    vec![SignedArtifact, TestReport],
                    "Are all releases and updates signed, and does the component refuse an update whose signature does not verify? Attach a signed sample and the verification procedure.", Choice),
                item("UPD-2", "Signing key protection",
                    "Keep code-signing keys in hardware (HSM or equivalent) under a documented key management procedure, and give the buyer the public keys or certificates needed to verify releases independently.".into(),
                    vec![ProcessRecord, DesignDocument],
                    "How are your code-signing keys protected, and how does a buyer obtain the verification keys?", Text),
                item("UPD-3", "Release integrity and provenance",
                    "Publish a SHA-256 digest for every release artifact and, on request, provenance attestations (for example in-toto or SLSA) that link the release to its source and build.".into(),
                    vec![SignedArtifact],
                    "Do you publish digests and provenance attestations for releases?", Choice),
            ],
        },
        PolicySection {
            key: "patch-policy".into(),
            title: "Patch and update policy".into(),
            items: vec![
                item("PATCH-1", "Support lifetime",
                    format!("Provide security updates for at least {years} years from delivery."),
                    vec![ProcessRecord],
                    "For how many years from delivery do you commit to provide security updates?", Number),
                item("PATCH-2", "Notification",
                    "Notify named buyer contacts of every security update and advisory affecting delivered products, including updates of third-party and operating-system components.".into(),
                    vec![ProcessRecord],
                    "How and how quickly do you notify customers of security updates?", Text),
                item("PATCH-3", "Patch validation testing",
                    "Test every security update for compatibility with the product and its supported configurations before release, and give the buyer a summary of the tests.".into(),
                    vec![TestReport, ProcessRecord],
                    "How do you qualify security updates before release? Attach a recent qualification summary.", Text),
                item("PATCH-4", "Patch windows",
                    "Make updates installable within the buyer's planned shutdowns: cumulative packages, documented installation time, a rollback path, and no forced or automatic online installation.".into(),
                    vec![UserDocumentation],
                    "Can updates be installed offline during planned shutdowns, and can they be rolled back?", Choice),
                item("PATCH-5", "End-of-life notice",
                    "Announce the end of security support at least 24 months in advance and publish the end-of-life date for the offered version.".into(),
                    vec![ProcessRecord],
                    "What is the announced end-of-support date of the offered version?", Date),
            ],
        },
        PolicySection {
            key: "access-and-logging".into(),
            title: "User-level authentication and security logging".into(),
            items: vec![
                item("AUTH-1", "Individual user accounts",
                    "Authenticate every human user individually on every interface (no shared or hard-coded accounts), and require the change of any default credential at commissioning.".into(),
                    vec![TestReport, ConfigurationRecord],
                    "Is every human user authenticated individually on every interface, and are default credentials forced to change?", Choice),
                item("AUTH-2", "Role-based authorization",
                    "Enforce authorization for every user by role, with roles the asset owner can map to its own organisation.".into(),
                    vec![TestReport, ConfigurationRecord],
                    "Which roles does the component support, and can permissions be mapped to roles?", Text),
                item("LOG-1", "Security event logging",
                    "Record security-relevant events (logins, failed logins, configuration changes, updates) with synchronized timestamps, protect the records, and make them available to a central log service (for example syslog).".into(),
                    vec![AuditLogSample, ConfigurationRecord],
                    "Which security events are logged, and how are logs forwarded to a central service? Attach a sample.", Text),
            ],
        },
        PolicySection {
            key: "robustness".into(),
            title: "Robustness test evidence".into(),
            items: vec![
                item("ROB-1", "Robustness testing of every external protocol interface",
                    "For every external protocol interface (for example Modbus/TCP, DNP3, MQTT, IEC 61850 MMS, DLMS/COSEM, HTTP), provide robustness test evidence: protocol-aware malformed-input testing showing input validation, and load tests showing the essential function survives, with the tool, the test categories and coverage, every finding with its reproducing input, observed behaviour, severity and remediation status.".into(),
                    vec![RobustnessTestReport],
                    "List every external protocol interface and attach the robustness test report for each.", Text),
                item("ROB-2", "Findings and retests",
                    "Fix robustness findings before delivery or list them with a risk assessment, and retest after each fix with the original reproducer.".into(),
                    vec![RobustnessTestReport, ProcessRecord],
                    "Are there open robustness findings for the offered version? List them with their status.", Text),
            ],
        },
        PolicySection {
            key: "documentation".into(),
            title: "Security documentation".into(),
            items: vec![
                item("DOC-1", "Hardening and secure operation guides",
                    "Deliver a hardening guide, secure operation and account management guides, the defense-in-depth measures the product expects from its environment, and secure disposal instructions.".into(),
                    vec![UserDocumentation],
                    "Attach the hardening guide and the secure operation guide for the offered version.", Text),
                item("CERT-1", "Certifications",
                    "State any third-party certification of the development process (e.g. ISASecure SDLA, IECEE 62443-4-1) or of the product (e.g. ISASecure CSA/EDSA, IECEE 62443-4-2), with scope, certificate number and expiry.".into(),
                    vec![Certificate],
                    "Which certifications cover your development process and the offered product? Give scope, number and expiry.", Text),
            ],
        },
    ]
}

fn evaluation(p: &SpecParams) -> Evaluation {
    let w = p.weights;
    Evaluation {
        dimensions: vec![
            Dimension {
                key: "security-maturity".into(),
                name: "Security maturity".into(),
                weight: w.security_maturity,
                criteria: vec![
                    format!("The IEC 62443-4-1 items of Appendix A (secure development, required: {}), each backed by evidence", p.ml),
                    "CERT-1: certification of the development process and product, with scheme and expiry".into(),
                ],
            },
            Dimension {
                key: "technical-capability".into(),
                name: "Technical capability".into(),
                weight: w.technical_capability,
                criteria: vec![
                    "The applicable CRs and REs of Appendix A, each backed by evidence".into(),
                    format!("SL-C per FR against SL-T {}", p.sl_t),
                    "ROB-*, AUTH-* and LOG-*: robustness test evidence, user authentication, security logging".into(),
                ],
            },
            Dimension {
                key: "support-readiness".into(),
                name: "Support readiness".into(),
                weight: w.support_readiness,
                criteria: vec![
                    format!("PATCH-*: support lifetime (required: {} years), notification, patch testing and windows, end of support", p.support_years),
                    "VULN-*: disclosure policy, CSAF advisories, committed fix time (30 days or less)".into(),
                    "SBOM-*: SBOM with every release, vulnerability tracking and VEX".into(),
                    "UPD-*: signed updates, key protection, release integrity; DOC-1: hardening and operation guides".into(),
                ],
            },
        ],
        method: vec![
            "Each questionnaire item scores 0, 1 or 2 raw points: yes 2, partial or planned 1, no or not answered 0; SL-C at or above the SL-T of its FR 2, above 0 but below it 1; support years, fix days, end of support and certifications by their stated thresholds; other text 1, or 2 when a cited record is bound to the item.".into(),
            "A cited record (by record ID or exact title) counts for an item only when its inclusion in the buyer's evidence store is proven, its subject names the scored vendor, the offered product (an item about the vendor's process also takes a record about the vendor alone) and, for an item about the offered release (SBOM-1, ROB-1, ROB-2, DOC-1, PATCH-5), the offered version, and its requirement trace names one of the item's requirements. Records made by the buyer (this specification, its decisions) never count. Every other cited record is listed as cited, not applicable to the item, and earns nothing.".into(),
            "Provenance weight: the raw points count in full (x1) when the best bound record is one otproof produced by running a check itself (a robustness campaign, an SBOM check, a signature verification, a signed release), three quarters (x0.75) when it is a handed-over document or certificate, and half (x0.5) when no bound, proven record backs the answer (an assertion).".into(),
            "'not-applicable' needs a justification in the item's comment. Every item of Appendix A is a requirement this specification marks applicable, so 'not-applicable' scores 0 of 2 and is listed as a gap, like 'no'; only an SL-C item whose FR has SL-T 0 is left out when justified.".into(),
            "A dimension's score is its points over its attainable points (2 per item); the total is the weighted sum of the three dimension scores.".into(),
            "Gaps, listed next to the score with the vendor's comment: items answered no, not-applicable or not at all, SL-C below SL-T or not claimed per FR, and support years, fix times, end-of-support dates or certifications that scored 0.".into(),
        ],
    }
}

const YES_NO: [&str; 5] = ["yes", "partial", "no", "planned", "not-applicable"];

fn questionnaire(
    p: &SpecParams,
    product: &str,
    sdl: &SecureDevelopment,
    technical: &[FrSection],
    policies: &[PolicySection],
) -> Questionnaire {
    let options = || YES_NO.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut items = Vec::new();
    for fr in Fr::ALL {
        items.push(QuestionnaireItem {
            id: format!("SL-C {fr}"),
            section: "capability".into(),
            title: format!(
                "Capability security level for {} ({})",
                fr.name(),
                fr.abbrev()
            ),
            question: format!(
                "Which SL-C (0-4) does the offered component reach in {fr} ({})? Target: SL {}.",
                fr.abbrev(),
                p.sl_t.get(fr)
            ),
            answer_type: AnswerType::Number,
            answer_options: Vec::new(),
            evidence_expected: vec![EvidenceKind::Certificate, EvidenceKind::TestReport],
            confirmed: true,
            answer: None,
            evidence: Vec::new(),
            comment: None,
        });
    }
    for section in technical {
        for r in &section.requirements {
            items.push(QuestionnaireItem {
                id: r.id.clone(),
                section: "technical".into(),
                title: r.title.clone(),
                question: format!(
                    "Does the offered component meet {} ({})? Reference the evidence.",
                    r.id, r.title
                ),
                answer_type: AnswerType::Choice,
                answer_options: options(),
                evidence_expected: r.evidence.clone(),
                confirmed: r.confirmed,
                answer: None,
                evidence: Vec::new(),
                comment: None,
            });
        }
    }
    for ps in &sdl.practices {
        for r in &ps.requirements {
            items.push(QuestionnaireItem {
                id: r.id.clone(),
                section: "secure-development".into(),
                title: r.title.clone(),
                question: format!(
                    "Does your development process meet {} ({}) at {} or higher? Reference the process document and records.",
                    r.id, r.title, sdl.ml
                ),
                answer_type: AnswerType::Choice,
                answer_options: options(),
                evidence_expected: vec![EvidenceKind::ProcessRecord],
                confirmed: true,
                answer: None,
                evidence: Vec::new(),
                comment: None,
            });
        }
    }
    for s in policies {
        for i in &s.items {
            items.push(QuestionnaireItem {
                id: i.id.clone(),
                section: "policy".into(),
                title: i.title.clone(),
                question: i.question.clone(),
                answer_type: i.answer_type,
                answer_options: if i.answer_type == AnswerType::Choice {
                    options()
                } else {
                    Vec::new()
                },
                evidence_expected: i.evidence.clone(),
                confirmed: true,
                answer: None,
                evidence: Vec::new(),
                comment: None,
            });
        }
    }
    Questionnaire {
        format: QUESTIONNAIRE_FORMAT.into(),
        specification: QuestionnaireSpecRef {
            product: product.to_string(),
            component_type: p.component,
            sl_t: p.sl_t.to_string(),
            ml: p.ml,
            support_years: p.support_years,
        },
        instructions: vec![
            "Fill in vendor, then for every item set 'answer' (one of answer_options for a choice; a whole number; a date as YYYY-MM-DD; or text).".into(),
            "List in 'evidence' what backs the answer: otproof evidence record IDs (sha256:...), document titles with version, certificate numbers.".into(),
            "Items marked 'confirmed: false' have a security level that public sources disagree on; answer them all the same.".into(),
            "Do not remove or rename items: answers are matched by 'id'.".into(),
        ],
        vendor: VendorInfo::default(),
        items,
    }
}

/// Reading order within an FR: by requirement number, each base before its REs, so that a
/// component-specific requirement (EDR 2.4) stands where its slot (CR 2.4) would.
fn number_key(id: &str) -> (u32, u32, u32) {
    let mut parts = id.split_whitespace().skip(1);
    let (major, minor) = parts
        .next()
        .and_then(|n| n.split_once('.'))
        .map(|(a, b)| (a.parse().unwrap_or(0), b.parse().unwrap_or(0)))
        .unwrap_or((0, 0));
    let re = parts
        .next()
        .and_then(|t| t.strip_prefix("RE"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (major, minor, re)
}

/// Build the specification for these parameters from the catalog.
pub fn build_specification(
    catalog: &Catalog,
    params: &SpecParams,
) -> Result<Specification, SpecError> {
    if params.sl_t.levels().iter().all(|l| *l == 0) {
        return Err(SpecError::EmptyTarget(params.sl_t));
    }
    if !(1..=50).contains(&params.support_years) {
        return Err(SpecError::SupportYears(params.support_years));
    }
    let applicable = catalog.applicable(params.component, &params.sl_t);
    let technical: Vec<FrSection> = Fr::ALL
        .iter()
        .map(|&fr| FrSection {
            fr,
            abbrev: fr.abbrev().to_string(),
            name: fr.name().to_string(),
            sl_t: params.sl_t.get(fr),
            requirements: {
                let mut rows: Vec<&&Requirement> =
                    applicable.iter().filter(|r| r.fr == Some(fr)).collect();
                rows.sort_by_key(|r| number_key(&r.id));
                rows.into_iter()
                    .map(|r| SpecRequirement::from_catalog(r, expected_evidence(r)))
                    .collect()
            },
        })
        .collect();
    let secure_development = SecureDevelopment {
        ml: params.ml,
        ml_name: params.ml.name().to_string(),
        ml_meaning: params.ml.meaning().to_string(),
        practices: Practice::ALL
            .iter()
            .map(|&p| PracticeSection {
                practice: p,
                name: p.name().to_string(),
                requirements: catalog
                    .practice_requirements(p)
                    .into_iter()
                    .map(|r| SpecRequirement::from_catalog(r, vec![EvidenceKind::ProcessRecord]))
                    .collect(),
                records_expected: records_expected(p, params.ml),
            })
            .collect(),
    };
    let policies = policy_sections(catalog, params);
    let product = params
        .product
        .clone()
        .unwrap_or_else(|| format!("{} (unnamed)", params.component.name()));
    let unconfirmed = technical
        .iter()
        .flat_map(|s| s.requirements.iter())
        .filter(|r| !r.confirmed)
        .map(|r| r.id.clone())
        .collect();
    let questionnaire = questionnaire(params, &product, &secure_development, &technical, &policies);
    Ok(Specification {
        format: SPEC_FORMAT.into(),
        catalog: CATALOG_VERSION.into(),
        title: format!(
            "Supplier security specification: {product}, {} at SL-T {}",
            params.component.name(),
            params.sl_t
        ),
        sl_t_text: params.sl_t.to_string(),
        params: params.clone(),
        secure_development,
        technical,
        policies,
        evaluation: evaluation(params),
        unconfirmed,
        questionnaire,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn spec(ct: ComponentType, v: &str) -> Specification {
        let params = SpecParams::new(ct, v.parse().expect("vector"));
        build_specification(Catalog::builtin(), &params).expect("spec builds")
    }

    #[test]
    fn technical_part_is_exactly_the_applicable_rows() {
        let s = spec(ComponentType::EmbeddedDevice, "2,2,2,2,2,2,2");
        let want: Vec<&str> = Catalog::builtin()
            .applicable(
                ComponentType::EmbeddedDevice,
                &SlVector::uniform(2).expect("2"),
            )
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let got: BTreeSet<&str> = s.technical_ids().into_iter().collect();
        assert_eq!(got, want.iter().copied().collect::<BTreeSet<_>>());
        assert_eq!(s.technical_count(), want.len());
        let fr2: Vec<&str> = s.technical[1]
            .requirements
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let pos = |id: &str| fr2.iter().position(|x| *x == id).expect(id);
        assert!(pos("CR 2.2") < pos("EDR 2.4") && pos("EDR 2.4") < pos("EDR 2.4 RE1"));
        assert!(pos("EDR 2.4 RE1") < pos("CR 2.5"));
        assert!(s.technical_ids().contains(&"EDR 3.10 RE1"));
        assert!(s.unconfirmed.contains(&"CR 7.8".to_string()));
        assert!(s.unconfirmed.contains(&"EDR 3.2".to_string()));
        let cr35 = s.technical[2]
            .requirements
            .iter()
            .find(|r| r.id == "CR 3.5")
            .expect("CR 3.5");
        assert!(cr35.evidence.contains(&EvidenceKind::RobustnessTestReport));
    }

    #[test]
    fn every_section_the_issue_names_is_present() {
        let s = spec(ComponentType::NetworkDevice, "3 3 3 2 3 2 3");
        let keys: Vec<&str> = s.policies.iter().map(|p| p.key.as_str()).collect();
        for k in [
            "supply-chain",
            "integrity",
            "patch-policy",
            "access-and-logging",
            "robustness",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
        assert_eq!(s.secure_development.practices.len(), 8);
        assert_eq!(
            s.secure_development
                .practices
                .iter()
                .map(|p| p.requirements.len())
                .sum::<usize>(),
            47
        );
        assert_eq!(s.evaluation.dimensions.len(), 3);
        assert_eq!(
            s.evaluation
                .dimensions
                .iter()
                .map(|d| u32::from(d.weight))
                .sum::<u32>(),
            100
        );
        let upd = &s.policies[1].items[0];
        assert!(
            upd.refs.contains(&"NDR 3.10 RE1".to_string()),
            "{:?}",
            upd.refs
        );
        let rob = &s.policies[4].items[0];
        assert_eq!(rob.refs, vec!["CR 3.5", "CR 7.1", "CR 7.1 RE1", "SVV-3"]);
    }

    #[test]
    fn questionnaire_has_one_item_per_requirement_and_policy() {
        let s = spec(ComponentType::HostDevice, "2,2,2,2,2,2,2");
        let q = &s.questionnaire;
        let policy_items: usize = s.policies.iter().map(|p| p.items.len()).sum();
        assert_eq!(q.items.len(), 7 + s.technical_count() + 47 + policy_items);
        let ids: BTreeSet<&str> = q.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), q.items.len(), "ids are unique");
        assert!(q
            .items
            .iter()
            .all(|i| i.answer.is_none() && i.evidence.is_empty()));
    }

    #[test]
    fn every_policy_reference_is_a_catalog_id() {
        for ct in ComponentType::ALL {
            let s = spec(ct, "4 4 4 4 4 4 4");
            for item in s.policies.iter().flat_map(|p| &p.items) {
                assert!(!item.refs.is_empty(), "{} has no refs", item.id);
                for r in &item.refs {
                    assert!(Catalog::builtin().get(r).is_some(), "{r}");
                }
            }
        }
    }

    #[test]
    fn rejects_what_cannot_be_specified() {
        let mut p = SpecParams::new(
            ComponentType::EmbeddedDevice,
            SlVector::uniform(0).expect("0"),
        );
        assert!(matches!(
            build_specification(Catalog::builtin(), &p),
            Err(SpecError::EmptyTarget(_))
        ));
        p.sl_t = SlVector::uniform(1).expect("1");
        p.support_years = 0;
        assert!(matches!(
            build_specification(Catalog::builtin(), &p),
            Err(SpecError::SupportYears(0))
        ));
        assert!("35,40,25".parse::<Weights>().is_ok());
        assert!("35 40 25".parse::<Weights>().is_ok());
        for bad in ["35,40,30", "100", "a,b,c", "50,50,0,0", "200,0,0"] {
            assert!(bad.parse::<Weights>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn spec_cites_exactly_the_catalog_query(levels in proptest::array::uniform7(0u8..=4), t in 0usize..4) {
            prop_assume!(levels.iter().any(|l| *l > 0));
            let ct = ComponentType::ALL[t];
            let v = SlVector::new(levels).expect("levels");
            let s = build_specification(Catalog::builtin(), &SpecParams::new(ct, v)).expect("builds");
            let want: Vec<&str> = Catalog::builtin().applicable(ct, &v).iter().map(|r| r.id.as_str()).collect();
            let mut got = s.technical_ids();
            let mut want_sorted = want.clone();
            got.sort();
            want_sorted.sort();
            prop_assert_eq!(got, want_sorted);
        }
    }
}
