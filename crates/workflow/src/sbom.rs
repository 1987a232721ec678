//! Use cases of SBOMs and the offline vulnerability database: `sbom check` (read the SBOM,
//! VEX documents and policy, check against the database, judge, record), `vulndb import` and
//! `vulndb status`.
//!
//! The database is always the one [`Settings::vulndb_path`] resolves (`--db` /
//! `OTPROOF_VULNDB`, else `vulndb.sqlite` in the store), for every front end and every use case
//! that checks an SBOM (the acceptance of a package included: [`check_and_record`]).
//!
//! The check's result is the typed [`SbomCheck`] payload: it is what the reports render and
//! what the `sbom-check` record holds.

use crate::records::{self, RecordsError};
use crate::settings::{Settings, SettingsError};
use otproof_evidence::payload::sbom_check::{
    self as p, SbomCheck, VulnData, VulnSeverity, VulnSource,
};
use otproof_evidence::payload::{Payload, PayloadError};
use otproof_evidence::{
    Attachment, Evidence, EvidenceKind, Finding, FindingStatus, RecordId, Severity, Subject,
};
use otproof_sbomcheck::{CheckReport, Policy, PolicyError};
use otproof_store::Store;
use otproof_vex::VexSet;
use otproof_vulndb::{DbError, ImportProgress, ImportReport, Matcher, SourceStatus, VulnDb};
use std::path::{Path, PathBuf};

/// Why an SBOM or vulnerability-database use case could not be done.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The settings do not say where the database (or store) is.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// No database file to check against.
    #[error("no vulnerability database at {path} (import OSV/KEV/NVD data first: `otproof vulndb import PATH... --db {path}`)", path = .0.display())]
    NoDatabase(PathBuf),
    /// No database file to report on.
    #[error("no vulnerability database at {} (expected one made by `otproof vulndb import`)", .0.display())]
    NoDatabaseToReport(PathBuf),
    /// A path to import does not exist.
    #[error("{} does not exist (expected an OSV/KEV/NVD JSON file, a folder or a zip)", .0.display())]
    NoImportPath(PathBuf),
    /// The database cannot be opened.
    #[error("opening the vulnerability database {}", path.display())]
    Open {
        /// The database.
        path: PathBuf,
        /// Why.
        #[source]
        source: DbError,
    },
    /// An import failed (nothing of it is kept: the import is one transaction).
    #[error("importing into {}", path.display())]
    Import {
        /// The database.
        path: PathBuf,
        /// Why.
        #[source]
        source: DbError,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// An input file cannot be read.
    #[error("cannot read {what} {}", path.display())]
    Read {
        /// `SBOM`, `VEX document` or `policy`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The SBOM does not parse.
    #[error("{}: not a readable SBOM (expected CycloneDX 1.2-1.6 JSON/XML or SPDX 2.2/2.3 JSON/tag-value)", path.display())]
    Sbom {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: otproof_sbom::SbomError,
    },
    /// A VEX document does not parse.
    #[error("{}: not a readable VEX document (expected CycloneDX VEX, OpenVEX or CSAF 2.0 VEX)", path.display())]
    Vex {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: otproof_vex::VexError,
    },
    /// The policy file is not text.
    #[error("{}: not UTF-8 text (expected YAML)", .0.display())]
    PolicyNotText(PathBuf),
    /// The policy is not a policy.
    #[error("{}: bad policy", path.display())]
    Policy {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: PolicyError,
    },
    /// The SBOM could not be stored as a blob.
    #[error("storing {} as a blob", path.display())]
    Blob {
        /// The SBOM file.
        path: PathBuf,
        /// Why.
        #[source]
        source: RecordsError,
    },
    /// Recording failed.
    #[error(transparent)]
    Record(#[from] RecordsError),
    /// The payload could not be written.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

/// The files of one SBOM check, as the user named them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckInput {
    /// The SBOM (CycloneDX 1.2-1.6 JSON/XML, SPDX 2.2/2.3 JSON/tag-value).
    pub sbom: PathBuf,
    /// VEX documents (CycloneDX VEX, OpenVEX, CSAF 2.0 VEX).
    pub vex: Vec<PathBuf>,
    /// Policy (YAML); `None`: otproof's default rules (fail on KEV, on critical unless VEX
    /// says not_affected or fixed, and on high/critical without a VEX statement).
    pub policy: Option<PathBuf>,
    /// Maximum age of the vulnerability data in days (overrides the policy's
    /// `max_data_age_days`); older data fails the check.
    pub max_age_days: Option<u32>,
}

/// The vulnerability data loaded for checking: the matcher and what it was built from.
pub struct VulnDataset {
    /// The in-memory index.
    pub matcher: Matcher,
    /// Which database, records per source and their age.
    pub used: VulnData,
}

/// One SBOM checked, not yet recorded.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The result (what the reports render and the record holds).
    pub payload: SbomCheck,
    /// The SBOM file.
    pub sbom: PathBuf,
    /// Its bytes (attached to the record).
    pub sbom_bytes: Vec<u8>,
}

impl Checked {
    /// The SBOM's file name, for reports (the path when it has none).
    pub fn sbom_name(&self) -> String {
        self.sbom
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.sbom.display().to_string())
    }
}

/// A check recorded in the store.
#[derive(Debug, Clone)]
pub struct RecordedCheck {
    /// The check.
    pub check: Checked,
    /// The `sbom-check` record.
    pub id: RecordId,
}

/// The policy failed: its reasons.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SBOM policy: {}", reasons.join("; "))]
pub struct PolicyFailed {
    /// One line per broken rule.
    pub reasons: Vec<String>,
}

/// What an import did, and where.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The database.
    pub path: PathBuf,
    /// Counts and rejected inputs.
    pub report: ImportReport,
}

impl Imported {
    /// Why nothing was imported, when not one record was read (stored, or already stored
    /// and unchanged): the front end exits 1 with it.
    pub fn nothing_imported(&self) -> Option<String> {
        let r = &self.report;
        let records =
            r.osv_imported + r.osv_skipped + r.kev_imported + r.nvd_imported + r.nvd_skipped;
        if records > 0 {
            return None;
        }
        let mut why = format!(
            "no records imported: {} file(s) read, {} rejected",
            r.files,
            r.rejected.len()
        );
        if r.files == 0 && r.rejected.is_empty() {
            why.push_str(" (no .json or .zip file in the given paths)");
        }
        if let Some((what, reason)) = r.rejected.first() {
            why.push_str(&format!(
                ": {}: {}",
                otproof_text::quote(what),
                otproof_text::quote(reason)
            ));
        }
        Some(why)
    }
}

/// The database's content per source.
#[derive(Debug, Clone)]
pub struct DbStatus {
    /// The database.
    pub path: PathBuf,
    /// Records per source and their age.
    pub sources: Vec<SourceStatus>,
}

/// Open the vulnerability database the settings name and load its matcher.
pub fn open_matcher(settings: &Settings) -> Result<VulnDataset, SbomError> {
    open_matcher_at(&settings.vulndb_path()?)
}

/// Open the vulnerability database at `path` read-only (the file is never created or
/// rewritten) and load its matcher. A missing, empty or non-database file, or a database
/// nothing was ever imported into, is refused: a check against it would prove nothing.
pub fn open_matcher_at(path: &Path) -> Result<VulnDataset, SbomError> {
    if !path.exists() {
        return Err(SbomError::NoDatabase(path.to_path_buf()));
    }
    let db = open_read_only(path)?;
    db.require_data().map_err(|source| SbomError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let summary = db.summary()?;
    let matcher = db.matcher()?;
    let data_as_of = summary
        .sources
        .iter()
        .filter_map(|s| s.newest.clone())
        .max();
    Ok(VulnDataset {
        matcher,
        used: VulnData {
            database: records::file_name(path),
            sources: summary
                .sources
                .into_iter()
                .map(|s| VulnSource {
                    source: s.source,
                    records: s.count,
                    newest: s.newest,
                    imported_at: s.imported_at,
                })
                .collect(),
            records: summary.records,
            imported_at: summary.last_import,
            rejected_at_import: summary.rejected_at_import,
            data_as_of,
            age_days: None,
            max_age_days: None,
            stale: false,
        },
    })
}

/// Age in whole days of an RFC 3339 time at `now`; `None` when it does not parse.
fn age_days(at: &str, now: jiff::Timestamp) -> Option<u64> {
    let t: jiff::Timestamp = at.parse().ok()?;
    let secs = now.as_second() - t.as_second();
    Some(u64::try_from(secs.max(0) / 86_400).unwrap_or(0))
}

/// Judge the age of the data a check used against `max_days`: fill in `age_days`,
/// `max_age_days` and `stale`, and return the policy reason when it is too old (or of
/// unknown age).
pub fn judge_data_age(
    used: &mut VulnData,
    max_days: Option<u32>,
    now: jiff::Timestamp,
) -> Option<String> {
    let basis = used.data_as_of.clone().or_else(|| used.imported_at.clone());
    used.age_days = basis.as_deref().and_then(|b| age_days(b, now));
    used.max_age_days = max_days;
    let max = max_days?;
    match used.age_days {
        Some(a) if a <= u64::from(max) => None,
        Some(a) => {
            used.stale = true;
            Some(format!(
                "the vulnerability data is {a} days old (newest record {}), older than the {max} days allowed: import current data (`otproof vulndb import`)",
                basis.as_deref().unwrap_or("-")
            ))
        }
        None => {
            used.stale = true;
            Some(format!(
                "the age of the vulnerability data is unknown (no record or import time), and at most {max} days are allowed"
            ))
        }
    }
}

fn open_read_only(path: &Path) -> Result<VulnDb, SbomError> {
    VulnDb::open_read_only(path).map_err(|source| SbomError::Open {
        path: path.to_path_buf(),
        source,
    })
}

fn open(path: &Path) -> Result<VulnDb, SbomError> {
    VulnDb::open(path).map_err(|source| SbomError::Open {
        path: path.to_path_buf(),
        source,
    })
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, SbomError> {
    crate::input::read(path, what).map_err(|source| SbomError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Read the SBOM, VEX documents and policy, and check the SBOM against `data`.
pub fn run_check(input: &CheckInput, data: &VulnDataset) -> Result<Checked, SbomError> {
    let bytes = read(&input.sbom, "SBOM")?;
    let doc = otproof_sbom::parse(&bytes).map_err(|source| SbomError::Sbom {
        path: input.sbom.clone(),
        source,
    })?;
    let mut vex = VexSet::new();
    for v in &input.vex {
        let doc =
            otproof_vex::parse(&read(v, "VEX document")?).map_err(|source| SbomError::Vex {
                path: v.clone(),
                source,
            })?;
        vex.add(doc);
    }
    let policy = match &input.policy {
        Some(path) => {
            let text = String::from_utf8(read(path, "policy")?)
                .map_err(|_| SbomError::PolicyNotText(path.clone()))?;
            Policy::from_yaml(&text).map_err(|source| SbomError::Policy {
                path: path.clone(),
                source,
            })?
        }
        None => Policy::default_rules(),
    };
    let mut report = otproof_sbomcheck::check(&doc, &data.matcher, &vex, &policy);
    let mut used = data.used.clone();
    if let Some(reason) = judge_data_age(
        &mut used,
        input.max_age_days.or(policy.max_data_age_days),
        jiff::Timestamp::now(),
    ) {
        report.verdict.passed = false;
        report.verdict.reasons.push(reason);
    }
    Ok(Checked {
        payload: payload_of(&report, Some(used)),
        sbom: input.sbom.clone(),
        sbom_bytes: bytes,
    })
}

/// Open the database the settings name and check the SBOM (nothing recorded).
pub fn check(settings: &Settings, input: &CheckInput) -> Result<Checked, SbomError> {
    let data = open_matcher(settings)?;
    run_check(input, &data)
}

/// Check an SBOM against the database the settings name and record the check in `store`
/// (the use case the acceptance of a package calls). The record is appended only after every
/// input was read and checked.
pub fn check_and_record(
    store: &mut Store,
    settings: &Settings,
    input: &CheckInput,
) -> Result<RecordedCheck, SbomError> {
    let check = check(settings, input)?;
    let id = record_check(store, &check, None)?;
    Ok(RecordedCheck { check, id })
}

/// The verdict rule: the check passes when every policy rule held.
pub fn verdict(c: &SbomCheck) -> Result<(), PolicyFailed> {
    if c.verdict.passed {
        Ok(())
    } else {
        Err(PolicyFailed {
            reasons: c.verdict.reasons.clone(),
        })
    }
}

/// Open high or critical vulnerabilities that no VEX statement addresses.
pub fn open_high_without_vex(c: &SbomCheck) -> usize {
    c.pairs()
        .filter(|(_, v)| {
            v.vex.is_none()
                && matches!(
                    v.severity,
                    Some(VulnSeverity::High | VulnSeverity::Critical)
                )
        })
        .count()
}

/// The acceptance fact of a recorded check.
pub fn acceptance_fact(r: &RecordedCheck) -> otproof_assess::acceptance::SbomFact {
    let c = &r.check.payload;
    otproof_assess::acceptance::SbomFact {
        record: Some(r.id),
        policy_passed: c.verdict.passed,
        open_kev: usize::try_from(c.totals.open_kev).unwrap_or(usize::MAX),
        open_high_without_vex: open_high_without_vex(c),
        reasons: c.verdict.reasons.clone(),
    }
}

/// A finding's severity from a vulnerability's (unknown or `none` is informational).
pub fn severity(s: Option<VulnSeverity>) -> Severity {
    match s {
        Some(VulnSeverity::Critical) => Severity::Critical,
        Some(VulnSeverity::High) => Severity::High,
        Some(VulnSeverity::Medium) => Severity::Medium,
        Some(VulnSeverity::Low) => Severity::Low,
        Some(VulnSeverity::None) | None => Severity::Info,
    }
}

fn trace(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// One finding per open (not VEX-cleared) vulnerability of a component.
pub fn findings(c: &SbomCheck) -> Vec<Finding> {
    let mut out = Vec::new();
    for (comp, v) in c.pairs() {
        if v.cleared() {
            continue;
        }
        let label = comp.label();
        out.push(Finding {
            title: format!("{} in {label}", v.id),
            severity: severity(v.severity),
            behaviour: "vulnerable-component".into(),
            observed: Some(format!(
                "{}{}{}",
                v.summary.clone().unwrap_or_else(|| v.id.clone()),
                if v.kev {
                    "; in the CISA KEV catalog"
                } else {
                    ""
                },
                v.vex
                    .as_ref()
                    .map(|x| format!("; VEX: {}", x.status.as_str()))
                    .unwrap_or_default()
            )),
            reproducer: Some(serde_json::json!({
                "component": comp.purl.clone().unwrap_or_else(|| label.clone()),
                "bom_ref": comp.bom_ref,
                "vulnerability": v.id,
                "aliases": v.aliases,
                "confidence": v.confidence,
            })),
            status: FindingStatus::Open,
            remediation: v.fixed.as_ref().map(|f| format!("upgrade to {f} or later")),
            requirements: trace(otproof_catalog::traces::SBOM_FINDING),
        });
    }
    out
}

/// The `sbom-check` evidence of a check, with the SBOM attached as `sbom_attachment`.
pub fn evidence(check: &Checked, sbom_attachment: Attachment) -> Result<Evidence, SbomError> {
    let (product, version) = match check.payload.sbom.subject.as_deref() {
        Some(s) => match s.rsplit_once(' ') {
            Some((p, v)) => (p.to_string(), Some(v.to_string())),
            None => (s.to_string(), None),
        },
        None => (
            check
                .sbom
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "SBOM".into()),
            None,
        ),
    };
    Ok(Evidence {
        kind: EvidenceKind::SbomCheck,
        title: format!("SBOM check of {product}"),
        requirements: trace(otproof_catalog::traces::SBOM_CHECK),
        subject: Subject::Product {
            vendor: String::new(),
            product,
            version,
            component_type: None,
            artifacts: vec![],
        },
        payload: check.payload.to_value()?,
        attachments: vec![sbom_attachment],
        findings: findings(&check.payload),
    })
}

/// Record a check: the SBOM as a blob, the typed payload, open vulnerabilities as findings,
/// and the rendered report (if one was written) attached.
pub fn record_check(
    store: &mut Store,
    check: &Checked,
    rendered: Option<&Path>,
) -> Result<RecordId, SbomError> {
    let name = check
        .sbom
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sbom".into());
    let attachment = records::attach_bytes(
        store,
        &name,
        records::media_type_of(&check.sbom),
        &check.sbom_bytes,
    )
    .map_err(|source| SbomError::Blob {
        path: check.sbom.clone(),
        source,
    })?;
    let evidence = evidence(check, attachment)?;
    let files: Vec<&Path> = rendered.into_iter().collect();
    Ok(records::record_evidence(
        store,
        evidence,
        &files,
        "sbom check",
    )?)
}

/// Import OSV / KEV / NVD files, folders or zips into the database the settings name
/// (created if missing). `progress` is called as records are stored.
pub fn import(
    settings: &Settings,
    paths: &[PathBuf],
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<Imported, SbomError> {
    let path = settings.vulndb_path()?;
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        return Err(SbomError::NoImportPath(missing.clone()));
    }
    // A path given by name is a folder or a regular file: a FIFO or a device is bad input
    // (exit 2), refused before anything is opened. Inside a folder such files are rejected
    // and listed instead.
    for p in paths.iter().filter(|p| !p.is_dir()) {
        crate::input::check_regular(p).map_err(|source| SbomError::Read {
            what: "vulnerability data",
            path: p.clone(),
            source,
        })?;
    }
    let mut db = open(&path)?;
    let report = db
        .import(paths, progress)
        .map_err(|source| SbomError::Import {
            path: path.clone(),
            source,
        })?;
    Ok(Imported { path, report })
}

/// Records per source in the database the settings name, and their age.
pub fn status(settings: &Settings) -> Result<DbStatus, SbomError> {
    let path = settings.vulndb_path()?;
    if !path.is_file() {
        return Err(SbomError::NoDatabaseToReport(path));
    }
    let sources = open_read_only(&path)?.status()?;
    Ok(DbStatus { path, sources })
}

/// The typed payload of a check report (`used`: the vulnerability data it ran on).
pub fn payload_of(r: &CheckReport, used: Option<VulnData>) -> SbomCheck {
    let n = |x: usize| x as u64;
    SbomCheck {
        sbom: p::SbomIdentity {
            format: r.sbom.format.clone(),
            serial: r.sbom.serial.clone(),
            subject: r.sbom.subject.clone(),
            created: r.sbom.created.clone(),
            components: n(r.sbom.components),
            problems: r.sbom.problems.clone(),
        },
        ntia: p::Ntia {
            elements: r
                .ntia
                .elements
                .iter()
                .map(|e| p::NtiaElement {
                    element: e.element.to_string(),
                    ok: e.ok,
                    missing: e.missing.clone(),
                })
                .collect(),
        },
        components: r
            .components
            .iter()
            .map(|c| p::ComponentMatches {
                bom_ref: c.bom_ref.clone(),
                name: c.name.clone(),
                version: c.version.clone(),
                purl: c.purl.clone(),
                cpe: c.cpe.clone(),
                supplier: c.supplier.clone(),
                hashes: n(c.hashes),
                path: c.path.clone(),
                lookup: match c.lookup {
                    "purl" => p::Lookup::Purl,
                    "cpe" => p::Lookup::Cpe,
                    _ => p::Lookup::Name,
                },
                vulnerabilities: c.vulnerabilities.iter().map(vuln_of).collect(),
            })
            .collect(),
        vex: p::VexInput {
            statements: n(r.vex.statements),
            conflicts: r
                .vex
                .conflicts
                .iter()
                .map(|c| p::VexConflict {
                    vulnerability: c.vulnerability.clone(),
                    product: c.product.clone(),
                    statements: c
                        .statements
                        .iter()
                        .map(|(s, st)| (s.clone(), status_of(*st)))
                        .collect(),
                    winner: c.winner.clone(),
                })
                .collect(),
        },
        totals: p::Totals {
            components: n(r.totals.components),
            vulnerable_components: n(r.totals.vulnerable_components),
            vulnerabilities: n(r.totals.vulnerabilities),
            cleared_by_vex: n(r.totals.cleared_by_vex),
            open_by_severity: r
                .totals
                .open_by_severity
                .iter()
                .map(|(k, v)| (k.clone(), n(*v)))
                .collect(),
            open_kev: n(r.totals.open_kev),
        },
        verdict: p::PolicyVerdict {
            passed: r.verdict.passed,
            reasons: r.verdict.reasons.clone(),
        },
        vulnerability_data: used,
    }
}

fn vuln_of(v: &otproof_sbomcheck::VulnResult) -> p::VulnMatch {
    use otproof_vulndb::Confidence as C;
    p::VulnMatch {
        id: v.id.clone(),
        aliases: v.aliases.clone(),
        summary: v.summary.clone(),
        severity: v.severity.map(severity_of),
        score: v.score,
        cvss: v.cvss.clone(),
        kev: v.kev,
        fixed: v.fixed.clone(),
        confidence: match v.confidence {
            C::NameVersion => p::Confidence::NameVersion,
            C::Cpe => p::Confidence::Cpe,
            C::Purl => p::Confidence::Purl,
        },
        evaluable: v.evaluable,
        note: v.note.clone(),
        vex: v.vex.as_ref().map(|x| p::VexResolution {
            status: status_of(x.status),
            justification: x.justification.clone(),
            statement: x.statement.clone(),
            source: x.source.clone(),
            conflicting: x.conflicting.clone(),
        }),
    }
}

/// The payload's severity of a vulnerability database severity.
pub fn severity_of(s: otproof_vulndb::Severity) -> VulnSeverity {
    use otproof_vulndb::Severity as S;
    match s {
        S::None => VulnSeverity::None,
        S::Low => VulnSeverity::Low,
        S::Medium => VulnSeverity::Medium,
        S::High => VulnSeverity::High,
        S::Critical => VulnSeverity::Critical,
    }
}

fn status_of(s: otproof_vex::Status) -> p::VexStatus {
    use otproof_vex::Status as S;
    match s {
        S::NotAffected => p::VexStatus::NotAffected,
        S::Affected => p::VexStatus::Affected,
        S::Fixed => p::VexStatus::Fixed,
        S::UnderInvestigation => p::VexStatus::UnderInvestigation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_finding_severities() {
        assert_eq!(severity(None), Severity::Info);
        assert_eq!(severity(Some(VulnSeverity::None)), Severity::Info);
        assert_eq!(severity(Some(VulnSeverity::Low)), Severity::Low);
        assert_eq!(severity(Some(VulnSeverity::Medium)), Severity::Medium);
        assert_eq!(severity(Some(VulnSeverity::High)), Severity::High);
        assert_eq!(severity(Some(VulnSeverity::Critical)), Severity::Critical);
        for s in [
            otproof_vulndb::Severity::None,
            otproof_vulndb::Severity::Low,
            otproof_vulndb::Severity::Medium,
            otproof_vulndb::Severity::High,
            otproof_vulndb::Severity::Critical,
        ] {
            assert_eq!(
                otproof_evidence::payload::sbom_check::severity_name(Some(severity_of(s))),
                otproof_sbomcheck::severity_name(Some(s))
            );
        }
    }

    #[test]
    fn the_verdict_fails_with_every_reason() {
        let mut c = payload_of(
            &otproof_sbomcheck::check(
                &otproof_sbom::parse(
                    br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []}"#,
                )
                .expect("sbom"),
                &Matcher::from_advisories(vec![], vec![], vec![]),
                &VexSet::new(),
                &Policy::default_rules(),
            ),
            None,
        );
        c.verdict.passed = true;
        assert_eq!(verdict(&c), Ok(()));
        c.verdict = p::PolicyVerdict {
            passed: false,
            reasons: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            verdict(&c).map_err(|e| e.to_string()),
            Err("SBOM policy: a; b".to_string())
        );
    }
}
