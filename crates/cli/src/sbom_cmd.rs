//! `otproof sbom check` and `otproof vulndb import|status`: argument parsing, file reading
//! with the file name in every error, rendering, exit codes and store records.

use crate::output;
use crate::store_cmd::{self, Failed, StoreArg};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use otproof_evidence::{Evidence, EvidenceKind, Finding, FindingStatus, Severity, Subject};
use otproof_report::sbom as render;
use otproof_sbomcheck::{check, CheckReport, Policy};
use otproof_vex::VexSet;
use otproof_vulndb::{Matcher, VulnDb};
use std::path::{Path, PathBuf};

const EXAMPLES_SBOM: &str = "Examples:
  otproof vulndb import osv-all.zip known_exploited_vulnerabilities.json --db vulns.sqlite
  otproof sbom check firmware.cdx.json --db vulns.sqlite
  otproof sbom check firmware.spdx.json --vex vendor.openvex.json --policy policy.yaml --format html --out check.html";

/// SBOM commands.
#[derive(Debug, Subcommand)]
pub enum SbomCmd {
    /// Check an SBOM (CycloneDX 1.2-1.6 JSON/XML, SPDX 2.2/2.3 JSON/tag-value) against the
    /// offline vulnerability data, apply VEX, judge by a policy (exit 1 when it fails).
    #[command(after_help = EXAMPLES_SBOM)]
    Check(CheckArgs),
}

/// Output formats of `sbom check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// A table for the terminal.
    Table,
    /// The full report as JSON.
    Json,
    /// SARIF 2.1.0 (VEX-cleared results carry a suppression).
    Sarif,
    /// One self-contained HTML page.
    Html,
}

/// `otproof sbom check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The SBOM file.
    pub sbom: PathBuf,
    /// VEX documents (CycloneDX VEX, OpenVEX 0.2.0/0.0.1, CSAF 2.0 VEX); repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Policy (YAML). Default: fail on KEV and on high/critical without a VEX statement.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArg,
}

/// Where the vulnerability database is.
#[derive(Debug, Clone, Args)]
pub struct DbArg {
    /// Vulnerability database (SQLite). Default: `vulndb.sqlite` in the store.
    #[arg(long, env = "OTPROOF_VULNDB", value_name = "FILE")]
    pub db: Option<PathBuf>,
}

impl DbArg {
    fn path(&self, s: &StoreArg) -> Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        match s.locate() {
            Ok(dir) => Ok(dir.join("vulndb.sqlite")),
            Err(_) => bail!(
                "no vulnerability database: pass --db FILE (or set OTPROOF_VULNDB), or run inside a store made by `otproof init`"
            ),
        }
    }
}

/// Vulnerability database commands.
#[derive(Debug, Subcommand)]
pub enum VulndbCmd {
    /// Import OSV records (files, folders, the per-ecosystem zip exports), the CISA KEV
    /// catalog and NVD CVE JSON 2.0 feeds. Offline: reads files only.
    #[command(after_help = EXAMPLES_SBOM)]
    Import(ImportArgs),
    /// Records per source and their age.
    Status(StatusArgs),
}

/// `otproof vulndb import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files, folders or zip files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub db: DbArg,
}

/// `otproof vulndb status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArg,
}

/// Run a `vulndb` command.
pub fn vulndb(cmd: &VulndbCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        VulndbCmd::Import(a) => {
            let path = a.db.path(s)?;
            for p in &a.paths {
                if !p.exists() {
                    bail!(
                        "{} does not exist (expected an OSV/KEV/NVD JSON file, a folder or a zip)",
                        p.display()
                    );
                }
            }
            let mut db = VulnDb::open(&path).with_context(|| {
                format!("opening the vulnerability database {}", path.display())
            })?;
            let mut last = std::time::Instant::now();
            let report = db
                .import(&a.paths, &mut |p| {
                    if last.elapsed().as_millis() >= 500 {
                        last = std::time::Instant::now();
                        eprintln!("importing {} ({} records so far)", p.current, p.records);
                    }
                })
                .with_context(|| format!("importing into {}", path.display()))?;
            eprintln!(
                "imported into {}: {} file(s); {} OSV record(s) stored ({} unchanged, {} withdrawn), {} KEV, {} NVD; {} rejected",
                path.display(),
                report.files,
                report.osv_imported,
                report.osv_skipped,
                report.osv_withdrawn,
                report.kev_imported,
                report.nvd_imported,
                report.rejected.len()
            );
            for (what, why) in report.rejected.iter().take(20) {
                eprintln!("  rejected {what}: {why}");
            }
            if report.rejected.len() > 20 {
                eprintln!("  ... and {} more", report.rejected.len() - 20);
            }
            Ok(())
        }
        VulndbCmd::Status(a) => {
            let path = a.db.path(s)?;
            if !path.is_file() {
                bail!(
                    "no vulnerability database at {} (expected one made by `otproof vulndb import`)",
                    path.display()
                );
            }
            let db = VulnDb::open(&path).with_context(|| {
                format!("opening the vulnerability database {}", path.display())
            })?;
            let st = db.status()?;
            if a.json {
                return output::print(&(serde_json::to_string_pretty(&st)? + "\n"));
            }
            let mut out = format!("{}\n", path.display());
            out.push_str(&format!(
                "{:<24} {:>10}  {:<26} {}\n",
                "SOURCE", "RECORDS", "NEWEST", "IMPORTED"
            ));
            for x in &st {
                out.push_str(&format!(
                    "{:<24} {:>10}  {:<26} {}\n",
                    x.source,
                    x.count,
                    x.newest.as_deref().unwrap_or("-"),
                    x.imported_at.as_deref().unwrap_or("-")
                ));
            }
            output::print(&out)
        }
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// Load the matcher: from the database when there is one, else an error that says how.
fn matcher(a: &CheckArgs, s: &StoreArg) -> Result<Matcher> {
    let path = a.db.path(s)?;
    if !path.is_file() {
        bail!(
            "no vulnerability database at {} (import OSV/KEV/NVD data first: `otproof vulndb import PATH... --db {}`)",
            path.display(),
            path.display()
        );
    }
    let db = VulnDb::open(&path)
        .with_context(|| format!("opening the vulnerability database {}", path.display()))?;
    Ok(db.matcher()?)
}

/// Read the SBOM, VEX and policy named in `a` and check.
pub fn run_check(a: &CheckArgs, matcher: &Matcher) -> Result<(CheckReport, Vec<u8>)> {
    let bytes = read(&a.sbom, "SBOM")?;
    let doc = otproof_sbom::parse(&bytes).with_context(|| {
        format!(
            "{}: not a readable SBOM (expected CycloneDX 1.2-1.6 JSON/XML or SPDX 2.2/2.3 JSON/tag-value)",
            a.sbom.display()
        )
    })?;
    let mut vex = VexSet::new();
    for v in &a.vex {
        let doc = otproof_vex::parse(&read(v, "VEX document")?).with_context(|| {
            format!(
                "{}: not a readable VEX document (expected CycloneDX VEX, OpenVEX or CSAF 2.0 VEX)",
                v.display()
            )
        })?;
        vex.add(doc);
    }
    let policy = match &a.policy {
        Some(p) => {
            let text = String::from_utf8(read(p, "policy")?)
                .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text (expected YAML)", p.display()))?;
            Policy::from_yaml(&text).with_context(|| format!("{}: bad policy", p.display()))?
        }
        None => Policy::default_rules(),
    };
    Ok((check(&doc, matcher, &vex, &policy), bytes))
}

/// Render the report in the chosen format.
pub fn render_check(r: &CheckReport, format: CheckFormat, sbom: &Path) -> Result<String> {
    let name = sbom
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| sbom.display().to_string());
    Ok(match format {
        CheckFormat::Table => render::table(r),
        CheckFormat::Json => render::json(r)?,
        CheckFormat::Sarif => render::sarif(r, &name)?,
        CheckFormat::Html => render::html(r, &name),
    })
}

/// Run an `sbom` command.
pub fn sbom(cmd: &SbomCmd, s: &StoreArg) -> Result<()> {
    let SbomCmd::Check(a) = cmd;
    let matcher = matcher(a, s)?;
    let (report, bytes) = run_check(a, &matcher)?;
    let text = render_check(&report, a.format, &a.sbom)?;
    match &a.out {
        Some(p) => {
            output::write(p, &text)?;
            eprintln!("wrote {}", p.display());
        }
        None => output::print(&text)?,
    }
    if let Some(mut store) = s.open_if_any()? {
        let id = record_check(&mut store, &report, &a.sbom, &bytes, a.out.as_deref())?;
        eprintln!("recorded as evidence {id} in {}", store.dir().display());
    }
    verdict(&report)
}

/// Exit 1 (with the reasons) when the policy failed.
pub fn verdict(r: &CheckReport) -> Result<()> {
    if r.verdict.passed {
        Ok(())
    } else {
        Err(Failed(format!("SBOM policy: {}", r.verdict.reasons.join("; "))).into())
    }
}

fn severity(s: Option<otproof_vulndb::Severity>) -> Severity {
    use otproof_vulndb::Severity as V;
    match s {
        Some(V::Critical) => Severity::Critical,
        Some(V::High) => Severity::High,
        Some(V::Medium) => Severity::Medium,
        Some(V::Low) => Severity::Low,
        Some(V::None) | None => Severity::Info,
    }
}

/// The evidence record of a check: the SBOM as a blob, open vulnerabilities as findings.
pub fn record_check(
    store: &mut otproof_store::Store,
    r: &CheckReport,
    sbom: &Path,
    sbom_bytes: &[u8],
    rendered: Option<&Path>,
) -> Result<otproof_evidence::RecordId> {
    let trace = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut findings = Vec::new();
    for c in &r.components {
        for v in &c.vulnerabilities {
            if v.cleared() {
                continue;
            }
            let comp = match &c.version {
                Some(ver) => format!("{}@{ver}", c.name),
                None => c.name.clone(),
            };
            findings.push(Finding {
                title: format!("{} in {comp}", v.id),
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
                        .map(|x| format!("; VEX: {}", otproof_sbomcheck::status_name(x.status)))
                        .unwrap_or_default()
                )),
                reproducer: Some(serde_json::json!({
                    "component": c.purl.clone().unwrap_or_else(|| comp.clone()),
                    "bom_ref": c.bom_ref,
                    "vulnerability": v.id,
                    "aliases": v.aliases,
                    "confidence": v.confidence,
                })),
                status: FindingStatus::Open,
                remediation: v.fixed.as_ref().map(|f| format!("upgrade to {f} or later")),
                requirements: trace(otproof_catalog::traces::SBOM_FINDING),
            });
        }
    }
    let (product, version) = match r.sbom.subject.as_deref() {
        Some(s) => match s.rsplit_once(' ') {
            Some((p, v)) => (p.to_string(), Some(v.to_string())),
            None => (s.to_string(), None),
        },
        None => (
            sbom.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "SBOM".into()),
            None,
        ),
    };
    let sbom_attachment = store
        .put_blob(sbom_bytes)
        .with_context(|| format!("storing {} as a blob", sbom.display()))?;
    let evidence = Evidence {
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
        payload: serde_json::json!({
            "sbom": r.sbom,
            "totals": r.totals,
            "ntia": r.ntia,
            "vex": r.vex,
            "verdict": r.verdict,
        }),
        attachments: vec![otproof_evidence::Attachment {
            name: sbom
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sbom".into()),
            media_type: store_cmd::media_type_of(sbom).to_string(),
            sha256: sbom_attachment,
            size: sbom_bytes.len() as u64,
        }],
        findings,
    };
    let files: Vec<&Path> = rendered.into_iter().collect();
    store_cmd::record_output(store, evidence, &files, "sbom check")
}
