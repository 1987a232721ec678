//! Use case: product acceptance. May the buyer accept this product version on the evidence
//! package its supplier delivered?
//!
//! The steps, each a public function that can be run and tested on its own:
//! 1. [`read_package`]: read and validate every input (manifest, criteria, specification,
//!    the files the manifest names, the vendor key, envelope and firmware, the robustness
//!    campaigns' `evidence.json`). Nothing is recorded before this step has succeeded.
//! 2. [`run_sbom_check`]: check the package's SBOM with its VEX against the vulnerability
//!    database (resolved through [`Settings::vulndb_path`]) with `workflow::sbom`, whose
//!    `acceptance_fact` turns the check into the acceptance's SBOM fact.
//! 3. [`verify_release`]: verify the firmware against the signed release statement and key.
//! 4. [`gather_facts`]: gather the facts, recording each piece of the package's evidence
//!    (SBOM check, signature check, campaigns, certificates, documents) as a record.
//! 5. [`check_cited_evidence`]: prove every record a fact cites in the store's log; a fact
//!    whose record is not proven earns nothing and the reason becomes a warning.
//! 6. [`decide`]: apply the criteria (`otproof_assess::acceptance::decide`).
//! 7. [`record_decision`]: append the decision.
//!
//! [`accept`] runs them in order; [`dry_run`] runs steps 1-3 and 6 only: it computes the
//! decision and records nothing.
//!
//! **Bad input, refused before anything is recorded (exit 2 in the CLI):** a manifest or
//! criteria file that does not parse; a path of the manifest that is absolute, has a `..`
//! component, or resolves (through symbolic links) outside the package folder, or is not a
//! regular file; any file of the package that holds a private key; a vendor key, envelope,
//! robustness evidence or SBOM that does not read as one; a `today` that is not a real
//! `YYYY-MM-DD` day.
//!
//! **A deficient package, decided and recorded (exit 1 on reject):** a document (support
//! statement, hardening guide, patch policy, a certificate's file) that is empty or not a
//! readable type ([`otproof_assess::acceptance::check_document`]) is not recorded and fails
//! the criterion that needs it, with the reason; a certificate whose listing is implausible
//! ([`otproof_assess::acceptance::certificate_problems`]) does not count for
//! `certificate-valid`.
//!
//! **Re-running** with the same inputs gives the same decision: a record whose content is
//! already in the store (same body, producer and supersedes, whatever its time) is not
//! appended again; its ID is reused.

use crate::records::{self, prove_in_store, RecordsError};
use crate::settings::{Settings, SettingsError};
use crate::vendors::{self, VendorsError};
use otproof_assess::acceptance::{
    self, AcceptanceResult, CertificateFact, Criteria, DocumentFact, PackageFacts, PackageManifest,
    ParseError, RobustnessFact, SignatureFact,
};
use otproof_assess::acceptance::{
    DocumentCheck, DOC_HARDENING_GUIDE, DOC_PATCH_POLICY, DOC_SUPPORT_STATEMENT,
};
use otproof_evidence::payload::release::{CheckOutcome, SignatureCheck, SignatureMethod};
use otproof_evidence::{
    Body, Evidence, EvidenceKind, Payload, PayloadError, Record, RecordId, Subject,
};
use otproof_sign::dsse::Envelope;
use otproof_sign::keys::VerifyingKey;
use otproof_store::{Store, StoreError};
use std::path::{Path, PathBuf};

/// Why acceptance could not decide.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// A file cannot be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        /// What the file is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A text file is not UTF-8.
    #[error("{}: not UTF-8 text (expected YAML)", .0.display())]
    NotText(PathBuf),
    /// The manifest or the criteria do not parse (line and column).
    #[error("{}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: ParseError,
    },
    /// The specification cannot be read.
    #[error(transparent)]
    Spec(#[from] VendorsError),
    /// `today` is not a real YYYY-MM-DD day.
    #[error("--today '{0}' is not a date: expected a real day written YYYY-MM-DD, e.g. 2026-11-26 (nothing was recorded)")]
    BadToday(String),
    /// A path of the manifest leads outside the package folder or is not a regular file.
    #[error("{}: {field} '{rel}' is refused: {reason}; every path in the manifest must name a file inside the package folder {} (nothing was recorded)", manifest.display(), base.display())]
    OutsidePackage {
        /// The manifest.
        manifest: PathBuf,
        /// The manifest field, e.g. `patch_policy` or `certificates[0].file`.
        field: String,
        /// The path as written.
        rel: String,
        /// The package folder.
        base: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file of the package holds a secret (a private key): it is never recorded.
    #[error("{}: {field} '{rel}' holds {what}: a private key is never evidence and is not recorded; remove it from the package (nothing was recorded)", manifest.display())]
    Secret {
        /// The manifest.
        manifest: PathBuf,
        /// The manifest field.
        field: String,
        /// The path as written.
        rel: String,
        /// What kind of secret.
        what: &'static str,
    },
    /// A file the manifest names is not there.
    #[error("{}: {role} {} does not exist (expected a file relative to the manifest)", manifest.display(), path.display())]
    MissingFile {
        /// The manifest.
        manifest: PathBuf,
        /// What the file is for.
        role: String,
        /// Where it should be.
        path: PathBuf,
    },
    /// The vendor key is not a public key.
    #[error("{}: not a public key: {reason}", path.display())]
    VendorKey {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The envelope is not a DSSE envelope.
    #[error("{}: not a DSSE envelope: {reason}", path.display())]
    Envelope {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A robustness campaign's evidence.json does not read as one (names the file and field).
    #[error(transparent)]
    Campaign(#[from] crate::campaign::CampaignError),
    /// No vulnerability database can be found.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The vulnerability database file is not there.
    #[error("no vulnerability database at {} for the SBOM check (run `otproof vulndb import`, or pass --db)", .0.display())]
    NoVulnDb(PathBuf),
    /// The SBOM check failed (its message names the file).
    #[error("SBOM check of {}: {source}", path.display())]
    SbomCheck {
        /// The SBOM.
        path: PathBuf,
        /// Why.
        source: Box<crate::sbom::SbomError>,
    },
    /// A payload does not serialise.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// A shared record step failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Today, YYYY-MM-DD (UTC).
pub fn today() -> String {
    otproof_evidence::now_rfc3339()
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string()
}

/// What to accept, as the front end was given it.
#[derive(Debug, Clone)]
pub struct AcceptInputs {
    /// The supplier's package: a manifest (YAML) or a folder holding `package.yaml`.
    pub package: PathBuf,
    /// Acceptance criteria and exceptions (YAML; default: derived from `spec` or built in).
    pub criteria: Option<PathBuf>,
    /// The specification (JSON) the default criteria derive from.
    pub spec: Option<PathBuf>,
    /// The day to judge dates at (YYYY-MM-DD; default: [`today`]). Anything else is refused.
    pub today: Option<String>,
    /// Who decides (recorded).
    pub decided_by: String,
}

/// A signed release of the package, read.
#[derive(Debug, Clone)]
pub struct SignedRelease {
    /// The firmware's bytes.
    pub firmware: Vec<u8>,
    /// The DSSE envelope file (attached to the signature check).
    pub envelope_path: PathBuf,
    /// The envelope.
    pub envelope: Envelope,
    /// The vendor's key as delivered in the package.
    pub key: VerifyingKey,
}

/// A robustness campaign's evidence, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignEvidence {
    /// The `evidence.json` (attached to the record).
    pub path: PathBuf,
    /// Protocol tested.
    pub protocol: String,
    /// Test cases run.
    pub cases: u64,
    /// Findings with behaviour `crash` or `hang`.
    pub open_crash_or_hang: usize,
    /// Other findings.
    pub open_conformance: usize,
}

/// A document of the package (support statement, hardening guide, patch policy, a
/// certificate's file), read and checked.
#[derive(Debug, Clone)]
pub struct PackageDocument {
    /// The file, resolved inside the package folder.
    pub path: PathBuf,
    /// Its bytes (recorded as read, when usable).
    pub bytes: Vec<u8>,
    /// Why it does not count (empty, not a readable type); `None` when it is usable.
    pub problem: Option<String>,
}

/// A package read and validated.
#[derive(Debug, Clone)]
pub struct Package {
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// The folder the manifest's paths are relative to.
    pub base: PathBuf,
    /// The manifest.
    pub manifest: PackageManifest,
    /// The criteria to apply.
    pub criteria: Criteria,
    /// The day dates are judged at.
    pub today: String,
    /// Who decides.
    pub decided_by: String,
    /// The signed release, when the package has one.
    pub release: Option<SignedRelease>,
    /// The robustness campaigns.
    pub campaigns: Vec<CampaignEvidence>,
    /// Every path of the manifest, as written, with the file it resolves to inside the
    /// package folder.
    pub resolved: Vec<(String, PathBuf)>,
    /// The documents, by manifest path as written.
    pub documents: Vec<(String, PackageDocument)>,
}

impl Package {
    /// A path of the manifest: the file it resolved to inside the package folder (the path
    /// joined to the folder for a path the manifest does not name).
    pub fn at(&self, rel: &str) -> PathBuf {
        self.resolved
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| self.base.join(rel))
    }

    /// A document of the manifest, read and checked.
    pub fn document(&self, rel: &str) -> Option<&PackageDocument> {
        self.documents
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, d)| d)
    }
}

/// Resolve a path of the manifest inside the package folder `base_canon` (canonical): it must
/// exist, resolve (symbolic links followed) to a place inside the folder, and be a regular
/// file.
fn resolve_in_package(
    manifest: &Path,
    base: &Path,
    base_canon: &Path,
    field: &str,
    rel: &str,
) -> Result<PathBuf, AcceptError> {
    let refuse = |reason: String| AcceptError::OutsidePackage {
        manifest: manifest.to_path_buf(),
        field: field.to_string(),
        rel: rel.to_string(),
        base: base_canon.to_path_buf(),
        reason,
    };
    if let Some(why) = acceptance::path_problem(rel) {
        return Err(refuse(why.to_string()));
    }
    let joined = base.join(rel);
    if joined.symlink_metadata().is_err() {
        return Err(AcceptError::MissingFile {
            manifest: manifest.to_path_buf(),
            role: field.to_string(),
            path: joined,
        });
    }
    let canon = joined.canonicalize().map_err(|e| {
        refuse(format!(
            "it cannot be resolved ({e}; a symbolic link to nowhere?)"
        ))
    })?;
    if !canon.starts_with(base_canon) {
        return Err(refuse(format!(
            "it resolves to {}, outside the package folder (a symbolic link leading out)",
            canon.display()
        )));
    }
    let meta = std::fs::metadata(&canon).map_err(|e| refuse(format!("cannot read it: {e}")))?;
    if !meta.is_file() {
        return Err(refuse("it is not a regular file".into()));
    }
    Ok(canon)
}

fn read_bytes(path: &Path, what: &'static str) -> Result<Vec<u8>, AcceptError> {
    crate::input::read(path, what).map_err(|source| AcceptError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

fn read_text(path: &Path, what: &'static str) -> Result<String, AcceptError> {
    String::from_utf8(read_bytes(path, what)?).map_err(|_| AcceptError::NotText(path.to_path_buf()))
}

/// The summary of a campaign's `evidence.json` (`otproof fuzz` writes it), read typed by
/// [`crate::campaign::read_evidence_json`]: protocol, cases, open findings by behaviour.
pub fn campaign_evidence(path: &Path, text: &str) -> Result<CampaignEvidence, AcceptError> {
    let c = crate::campaign::read_evidence_json(path, text)?;
    Ok(CampaignEvidence {
        path: path.to_path_buf(),
        protocol: c.protocol,
        cases: c.cases,
        open_crash_or_hang: c.open_crash_or_hang,
        open_conformance: c.open_conformance,
    })
}

/// Step 1: read and validate every input. Nothing is recorded.
pub fn read_package(inputs: &AcceptInputs) -> Result<Package, AcceptError> {
    let manifest_path = if inputs.package.is_dir() {
        inputs.package.join("package.yaml")
    } else {
        inputs.package.clone()
    };
    let base = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let manifest = acceptance::parse_package(&read_text(&manifest_path, "package manifest")?)
        .map_err(|source| AcceptError::Parse {
            path: manifest_path.clone(),
            source,
        })?;
    let spec = inputs.spec.as_deref().map(vendors::load_spec).transpose()?;
    let base_criteria = acceptance::default_criteria(spec.as_ref());
    let criteria = match &inputs.criteria {
        Some(p) => acceptance::parse_criteria_over(&read_text(p, "criteria")?, base_criteria)
            .map_err(|source| AcceptError::Parse {
                path: p.clone(),
                source,
            })?,
        None => base_criteria,
    };
    let today = match &inputs.today {
        Some(t) if acceptance::is_date(t.trim()) => t.trim().to_string(),
        Some(t) => return Err(AcceptError::BadToday(t.clone())),
        None => today(),
    };
    let base_canon = base.canonicalize().map_err(|source| AcceptError::Read {
        what: "package folder",
        path: base.clone(),
        source,
    })?;
    let mut resolved: Vec<(String, PathBuf)> = Vec::new();
    for (field, rel) in manifest.fields() {
        let path = resolve_in_package(&manifest_path, &base, &base_canon, &field, rel)?;
        // No file of the package may hold a private key (the firmware image is read for
        // its digest only and never recorded).
        if field != "firmware" {
            let bytes = read_bytes(&path, "package file")?;
            if let Some(what) = acceptance::secret_in(&bytes) {
                return Err(AcceptError::Secret {
                    manifest: manifest_path.clone(),
                    field,
                    rel: rel.to_string(),
                    what,
                });
            }
        }
        resolved.push((rel.to_string(), path));
    }
    let at = |rel: &str| {
        resolved
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| base.join(rel))
    };
    let mut documents: Vec<(String, PackageDocument)> = Vec::new();
    let doc_paths = manifest
        .certificates
        .iter()
        .filter_map(|c| c.file.as_deref())
        .chain(
            manifest
                .support
                .as_ref()
                .and_then(|s| s.statement.as_deref()),
        )
        .chain(manifest.hardening_guide.as_deref())
        .chain(manifest.patch_policy.as_deref());
    for rel in doc_paths {
        if documents.iter().any(|(r, _)| r == rel) {
            continue;
        }
        let path = at(rel);
        let bytes = read_bytes(&path, "document")?;
        let problem = match acceptance::check_document(&bytes) {
            DocumentCheck::Readable(_) => None,
            DocumentCheck::Unusable(why) => Some(format!("{rel}: {why}")),
            // Already refused above; kept for completeness.
            DocumentCheck::Secret(what) => {
                return Err(AcceptError::Secret {
                    manifest: manifest_path.clone(),
                    field: "document".into(),
                    rel: rel.to_string(),
                    what,
                })
            }
        };
        documents.push((
            rel.to_string(),
            PackageDocument {
                path,
                bytes,
                problem,
            },
        ));
    }
    let release =
        match (&manifest.firmware, &manifest.envelope, &manifest.vendor_key) {
            (Some(fw), Some(env), Some(key)) => {
                let key_path = at(key);
                let key =
                    VerifyingKey::from_pem(&read_text(&key_path, "vendor key")?).map_err(|e| {
                        AcceptError::VendorKey {
                            path: key_path.clone(),
                            reason: e.to_string(),
                        }
                    })?;
                let envelope_path = at(env);
                let envelope = Envelope::from_json(&read_bytes(&envelope_path, "envelope")?)
                    .map_err(|e| AcceptError::Envelope {
                        path: envelope_path.clone(),
                        reason: e.to_string(),
                    })?;
                Some(SignedRelease {
                    firmware: read_bytes(&at(fw), "firmware")?,
                    envelope_path,
                    envelope,
                    key,
                })
            }
            _ => None,
        };
    let mut campaigns = Vec::new();
    for rel in &manifest.robustness {
        let path = at(rel);
        let text = read_text(&path, "robustness evidence")?;
        campaigns.push(campaign_evidence(&path, &text)?);
    }
    Ok(Package {
        manifest_path,
        base,
        manifest,
        criteria,
        today,
        decided_by: inputs.decided_by.clone(),
        release,
        campaigns,
        resolved,
        documents,
    })
}

/// Step 2: check the package's SBOM, when it has one, with its VEX and otproof's default
/// policy against the vulnerability database the settings name (`--db` / `OTPROOF_VULNDB`,
/// else the store's). Nothing is recorded here.
pub fn run_sbom_check(
    package: &Package,
    settings: &Settings,
) -> Result<Option<crate::sbom::Checked>, AcceptError> {
    let Some(sbom) = &package.manifest.sbom else {
        return Ok(None);
    };
    let db = settings.vulndb_path()?;
    if !db.is_file() {
        return Err(AcceptError::NoVulnDb(db));
    }
    let sbom = package.at(sbom);
    let input = crate::sbom::CheckInput {
        sbom: sbom.clone(),
        vex: package.manifest.vex.iter().map(|v| package.at(v)).collect(),
        policy: None,
        max_age_days: None,
    };
    let data = crate::sbom::open_matcher_at(&db).map_err(|source| AcceptError::SbomCheck {
        path: sbom.clone(),
        source: Box::new(source),
    })?;
    crate::sbom::run_check(&input, &data)
        .map(Some)
        .map_err(|source| AcceptError::SbomCheck {
            path: sbom,
            source: Box::new(source),
        })
}

/// The outcome of verifying the signed release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureOutcome {
    /// Verified, for the package's product and version.
    pub verified: bool,
    /// What was verified, or why not.
    pub detail: String,
}

/// Step 3: verify the firmware against the signed release statement, with the vendor key of
/// the package, for the manifest's product and version.
pub fn verify_release(package: &Package) -> Option<SignatureOutcome> {
    let r = package.release.as_ref()?;
    let m = &package.manifest;
    let outcome = match otproof_sign::intoto::verify_release(
        &r.envelope,
        std::slice::from_ref(&r.key),
        otproof_sign::intoto::Artifact::Bytes(&r.firmware),
    ) {
        Ok((_, p)) if p.product == m.product && p.version == m.version => {
            let key_id = r.key.key_id();
            SignatureOutcome {
                verified: true,
                detail: format!(
                    "release statement for {} {} verified with key {}",
                    p.product,
                    p.version,
                    key_id.get(..16).unwrap_or(&key_id)
                ),
            }
        }
        Ok((_, p)) => SignatureOutcome {
            verified: false,
            detail: format!(
                "the signed statement names {} {}, not {} {}",
                p.product, p.version, m.product, m.version
            ),
        },
        Err(e) => SignatureOutcome {
            verified: false,
            detail: e.to_string(),
        },
    };
    Some(outcome)
}

fn product_subject(m: &PackageManifest) -> Subject {
    Subject::Product {
        vendor: m.vendor.clone(),
        product: m.product.clone(),
        version: Some(m.version.clone()),
        component_type: Some(m.component_type),
        artifacts: vec![],
    }
}

/// Append a record unless one with the same content (body, producer, supersedes; any time)
/// is already in the store: then its ID. Re-running acceptance on the same package thus adds
/// nothing and cites the same records.
pub fn append_once(store: &mut Store, mut record: Record) -> Result<RecordId, AcceptError> {
    record
        .validate(otproof_catalog::Catalog::builtin())
        .map_err(RecordsError::from)?;
    let kind = record.kind_label();
    let title = record.title().to_string();
    let product = record.subject().product().map(str::to_string);
    for s in store.list(None, product.as_deref())? {
        if s.kind != kind || s.title != title {
            continue;
        }
        let stored = store.get(&s.id)?;
        if stored.record.body == record.body
            && stored.record.producer == record.producer
            && stored.record.supersedes == record.supersedes
        {
            return Ok(stored.id);
        }
    }
    Ok(records::append_idempotent(store, record)?)
}

/// Record evidence with files attached as blobs (bytes as read), once.
fn record_once(
    store: &mut Store,
    mut evidence: Evidence,
    files: &[(&Path, &[u8])],
) -> Result<RecordId, AcceptError> {
    for (path, bytes) in files {
        evidence.attachments.push(records::attach_bytes(
            store,
            &records::file_name(path),
            records::media_type_of(path),
            bytes,
        )?);
    }
    append_once(store, Record::new("accept", Body::Evidence(evidence)))
}

fn file_evidence(
    m: &PackageManifest,
    title: String,
    kind: EvidenceKind,
    requirements: &[&str],
) -> Evidence {
    Evidence {
        kind,
        title,
        requirements: requirements.iter().map(|s| s.to_string()).collect(),
        subject: product_subject(m),
        payload: serde_json::Value::Null,
        attachments: vec![],
        findings: vec![],
    }
}

/// The facts and the records of the package's evidence.
#[derive(Debug, Clone, Default)]
pub struct GatheredFacts {
    /// What the checks established.
    pub facts: PackageFacts,
    /// Every record of the package's evidence, in the order recorded.
    pub records: Vec<RecordId>,
}

/// Step 4: gather the facts, recording each piece of the package's evidence in `store`
/// (once: see [`append_once`]). Without a store (a dry run) the facts cite no record and
/// nothing is written. A document that is empty or not readable is not recorded; its
/// fact names the problem.
pub fn gather_facts(
    mut store: Option<&mut Store>,
    package: &Package,
    sbom: Option<&crate::sbom::Checked>,
    signature: Option<&SignatureOutcome>,
) -> Result<GatheredFacts, AcceptError> {
    use otproof_catalog::traces;
    let m = &package.manifest;
    let mut out = GatheredFacts::default();
    if let Some(checked) = sbom {
        let id = match store.as_deref_mut() {
            Some(store) => {
                let name = records::file_name(&checked.sbom);
                let attachment = records::attach_bytes(
                    store,
                    &name,
                    records::media_type_of(&checked.sbom),
                    &checked.sbom_bytes,
                )?;
                let evidence = crate::sbom::evidence(checked, attachment).map_err(|source| {
                    AcceptError::SbomCheck {
                        path: checked.sbom.clone(),
                        source: Box::new(source),
                    }
                })?;
                let id = append_once(store, Record::new("sbom check", Body::Evidence(evidence)))?;
                out.records.push(id);
                Some(id)
            }
            None => None,
        };
        let mut fact = crate::sbom::acceptance_fact(&crate::sbom::RecordedCheck {
            check: checked.clone(),
            // Replaced below: a dry run cites no record.
            id: id.unwrap_or_else(|| RecordId::of_canonical(b"")),
        });
        fact.record = id;
        out.facts.sbom = Some(fact);
    }
    if let (Some(s), Some(r)) = (signature, &package.release) {
        let evidence = Evidence {
            kind: EvidenceKind::SignatureCheck,
            title: format!("Signature check of {} {}", m.product, m.version),
            requirements: traces::RELEASE.iter().map(|s| s.to_string()).collect(),
            subject: product_subject(m),
            payload: SignatureCheck {
                method: SignatureMethod::Dsse,
                outcome: if s.verified {
                    CheckOutcome::Verified
                } else {
                    CheckOutcome::Failed {
                        check: "release statement".into(),
                        reason: s.detail.clone(),
                    }
                },
                artifact: None,
                signer: None,
                checked: if s.verified {
                    vec![s.detail.clone()]
                } else {
                    vec![]
                },
                not_checked: vec![],
                detail: None,
            }
            .to_value()?,
            attachments: vec![],
            findings: vec![],
        };
        let record = match store.as_deref_mut() {
            Some(store) => {
                let bytes = read_bytes(&r.envelope_path, "envelope")?;
                let id = record_once(store, evidence, &[(&r.envelope_path, &bytes)])?;
                out.records.push(id);
                Some(id)
            }
            None => None,
        };
        out.facts.signature = Some(SignatureFact {
            record,
            verified: s.verified,
            detail: s.detail.clone(),
        });
    }
    for c in &package.campaigns {
        let record = match store.as_deref_mut() {
            Some(store) => {
                let bytes = read_bytes(&c.path, "robustness evidence")?;
                let id = record_once(
                    store,
                    file_evidence(
                        m,
                        format!(
                            "Robustness campaign evidence ({}) for {} {}",
                            c.protocol, m.product, m.version
                        ),
                        EvidenceKind::RobustnessCampaign,
                        traces::ROBUSTNESS,
                    ),
                    &[(&c.path, &bytes)],
                )?;
                out.records.push(id);
                Some(id)
            }
            None => None,
        };
        out.facts.robustness.push(RobustnessFact {
            record,
            protocol: c.protocol.clone(),
            cases: c.cases,
            open_crash_or_hang: c.open_crash_or_hang,
            open_conformance: c.open_conformance,
        });
    }
    for c in &m.certificates {
        let doc = c.file.as_deref().and_then(|f| package.document(f));
        let record = match (doc, store.as_deref_mut()) {
            (Some(d), Some(store)) if d.problem.is_none() => {
                let id = record_once(
                    store,
                    file_evidence(
                        m,
                        format!("{} certificate {} ({})", c.scheme, c.number, c.scope),
                        EvidenceKind::Certificate,
                        traces::CERTIFICATE,
                    ),
                    &[(&d.path, &d.bytes)],
                )?;
                out.records.push(id);
                Some(id)
            }
            _ => None,
        };
        out.facts.certificates.push(CertificateFact {
            record,
            scheme: c.scheme.clone(),
            issuer: c.issuer.clone(),
            issued: c.issued.clone(),
            file_problem: doc.and_then(|d| d.problem.clone()),
            scope: c.scope.clone(),
            number: c.number.clone(),
            expires: c.expires.clone(),
        });
    }
    let docs: [(&str, Option<&String>, &[&str]); 3] = [
        (
            DOC_SUPPORT_STATEMENT,
            m.support.as_ref().and_then(|s| s.statement.as_ref()),
            traces::SUPPORT_STATEMENT,
        ),
        (
            DOC_HARDENING_GUIDE,
            m.hardening_guide.as_ref(),
            traces::HARDENING_GUIDE,
        ),
        (
            DOC_PATCH_POLICY,
            m.patch_policy.as_ref(),
            traces::PATCH_POLICY,
        ),
    ];
    for (what, file, reqs) in docs {
        let doc = file.and_then(|f| package.document(f));
        let record = match (doc, store.as_deref_mut()) {
            (Some(d), Some(store)) if d.problem.is_none() => {
                let id = record_once(
                    store,
                    file_evidence(
                        m,
                        format!("{what} of {} {}", m.product, m.version),
                        EvidenceKind::Document,
                        reqs,
                    ),
                    &[(&d.path, &d.bytes)],
                )?;
                out.records.push(id);
                Some(id)
            }
            _ => None,
        };
        out.facts.documents.push(DocumentFact {
            record,
            what: what.to_string(),
            present: doc.is_some_and(|d| d.problem.is_none()),
            problem: doc.and_then(|d| d.problem.clone()),
        });
    }
    out.facts.end_of_support = m.support.as_ref().map(|s| s.end_of_support.clone());
    Ok(out)
}

/// Step 5: prove every record the facts cite. A fact whose record is not proven earns
/// nothing: the SBOM, signature and campaign facts are dropped, a document counts as absent,
/// a certificate keeps only its listing; the reason is named in `unproven`.
pub fn check_cited_evidence(store: &Store, facts: PackageFacts) -> PackageFacts {
    let mut f = facts;
    let mut unproven = std::mem::take(&mut f.unproven);
    let mut proven = |record: Option<RecordId>| -> bool {
        match record {
            None => true,
            Some(id) => match prove_in_store(store, &id) {
                Ok(()) => true,
                Err(e) => {
                    unproven.push(e.to_string());
                    false
                }
            },
        }
    };
    if f.sbom.as_ref().is_some_and(|s| !proven(s.record)) {
        f.sbom = None;
    }
    if f.signature.as_ref().is_some_and(|s| !proven(s.record)) {
        f.signature = None;
    }
    f.robustness.retain(|r| proven(r.record));
    for c in &mut f.certificates {
        if !proven(c.record) {
            c.record = None;
        }
    }
    for d in &mut f.documents {
        if !proven(d.record) {
            d.record = None;
            d.present = false;
        }
    }
    f.unproven = unproven;
    f
}

/// Step 6: apply the criteria to the facts.
pub fn decide(package: &Package, facts: &PackageFacts) -> AcceptanceResult {
    acceptance::decide(
        &package.manifest,
        &package.criteria,
        facts,
        &package.today,
        &package.decided_by,
    )
}

/// Step 7: record the decision.
pub fn record_decision(
    store: &mut Store,
    result: &AcceptanceResult,
) -> Result<RecordId, AcceptError> {
    append_once(
        store,
        Record::new("accept", Body::Decision(result.decision.clone())),
    )
}

/// A package accepted or rejected.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The decision, warnings and limitations.
    pub result: AcceptanceResult,
    /// The manifest.
    pub manifest: PackageManifest,
    /// The decision's record.
    pub decision: RecordId,
    /// The records of the package's evidence.
    pub records: Vec<RecordId>,
}

/// Read the package, establish its facts with otproof's own checks, decide and record.
pub fn accept(
    store: &mut Store,
    settings: &Settings,
    inputs: &AcceptInputs,
) -> Result<Accepted, AcceptError> {
    let package = read_package(inputs)?;
    let sbom = run_sbom_check(&package, settings)?;
    let signature = verify_release(&package);
    let gathered = gather_facts(Some(store), &package, sbom.as_ref(), signature.as_ref())?;
    let facts = check_cited_evidence(store, gathered.facts);
    let result = decide(&package, &facts);
    let decision = record_decision(store, &result)?;
    Ok(Accepted {
        result,
        manifest: package.manifest,
        decision,
        records: gathered.records,
    })
}

/// A decision computed and not recorded.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// The decision, warnings and limitations (the criteria cite no record).
    pub result: AcceptanceResult,
    /// The manifest.
    pub manifest: PackageManifest,
}

/// Read the package, establish its facts with otproof's own checks and decide, recording
/// nothing: no store is opened or written. The decision is the one [`accept`] would record,
/// except that its criteria cite no evidence record.
pub fn dry_run(settings: &Settings, inputs: &AcceptInputs) -> Result<DryRun, AcceptError> {
    let package = read_package(inputs)?;
    let sbom = run_sbom_check(&package, settings)?;
    let signature = verify_release(&package);
    let gathered = gather_facts(None, &package, sbom.as_ref(), signature.as_ref())?;
    let result = decide(&package, &gathered.facts);
    Ok(DryRun {
        result,
        manifest: package.manifest,
    })
}
