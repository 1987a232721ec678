//! `otproof sbom check` and `otproof vulndb import|status`: arguments, progress, printing and
//! exit codes. The use cases are `otproof_workflow::sbom`.

use crate::output;
use crate::output::tell;
use crate::store_cmd::{Failed, StoreArg};
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use otproof_evidence::payload::sbom_check::SbomCheck;
use otproof_report::sbom as render;
use otproof_workflow::sbom::{self as flow, CheckInput, Checked};
use otproof_workflow::settings::Settings;
use std::path::PathBuf;

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
    /// Policy (YAML). Default: fail on KEV, on critical unless VEX says not_affected or
    /// fixed, and on high/critical without a VEX statement. A policy with no rule (empty,
    /// comments only, `{}`) is refused (exit 2).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Fail when the vulnerability data is older than DAYS (newest record); overrides the
    /// policy's `max_data_age_days`.
    #[arg(long = "max-age", value_name = "DAYS")]
    pub max_age: Option<u32>,
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
    /// The settings of a command: the store and this database.
    pub fn settings(&self, s: &StoreArg) -> Result<Settings> {
        Ok(Settings {
            store: s.store.clone(),
            vulndb: self.db.clone(),
            cwd: std::env::current_dir().context("working directory")?,
        })
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
            let settings = a.db.settings(s)?;
            let mut last = std::time::Instant::now();
            let done = flow::import(&settings, &a.paths, &mut |p| {
                if last.elapsed().as_millis() >= 500 {
                    last = std::time::Instant::now();
                    tell!(
                        "importing {} ({} records so far)",
                        otproof_text::quote(&p.current),
                        p.records
                    );
                }
            })?;
            let report = &done.report;
            tell!(
                "imported into {}: {} file(s); {} OSV record(s) stored ({} unchanged, {} withdrawn), {} KEV, {} NVD; {} rejected",
                done.path.display(),
                report.files,
                report.osv_imported,
                report.osv_skipped,
                report.osv_withdrawn,
                report.kev_imported,
                report.nvd_imported,
                report.rejected.len()
            );
            for (what, why) in report.rejected.iter().take(20) {
                tell!("  rejected {}: {why}", otproof_text::quote(what));
            }
            if report.rejected.len() > 20 {
                tell!("  ... and {} more", report.rejected.len() - 20);
            }
            match done.nothing_imported() {
                Some(why) => Err(Failed(why).into()),
                None => Ok(()),
            }
        }
        VulndbCmd::Status(a) => {
            let st = flow::status(&a.db.settings(s)?)?;
            if a.json {
                return output::data(&(serde_json::to_string_pretty(&st.sources)? + "\n"));
            }
            let mut out = format!("{}\n", st.path.display());
            out.push_str(&format!(
                "{:<24} {:>10}  {:<26} {}\n",
                "SOURCE", "RECORDS", "NEWEST", "IMPORTED"
            ));
            for x in &st.sources {
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

impl CheckArgs {
    /// The files of the check.
    pub fn input(&self) -> CheckInput {
        CheckInput {
            sbom: self.sbom.clone(),
            vex: self.vex.clone(),
            policy: self.policy.clone(),
            max_age_days: self.max_age,
        }
    }
}

/// Render the check in the chosen format (`sbom`: the SBOM's file name for SARIF and HTML).
pub fn render_check(r: &SbomCheck, format: CheckFormat, sbom: &str) -> Result<String> {
    Ok(match format {
        CheckFormat::Table => render::table(r),
        CheckFormat::Json => render::json(r)?,
        CheckFormat::Sarif => render::sarif(r, sbom)?,
        CheckFormat::Html => render::html(r, sbom),
    })
}

/// Run an `sbom` command.
pub fn sbom(cmd: &SbomCmd, s: &StoreArg) -> Result<()> {
    let SbomCmd::Check(a) = cmd;
    let checked: Checked = flow::check(&a.db.settings(s)?, &a.input())?;
    let text = render_check(&checked.payload, a.format, &checked.sbom_name())?;
    match &a.out {
        Some(p) => {
            output::write(p, &text)?;
            tell!("wrote {}", p.display());
        }
        // The table is for people; JSON, SARIF and HTML are data (exact bytes into a pipe).
        None if matches!(a.format, CheckFormat::Table) => output::print(&text)?,
        None => output::data(&text)?,
    }
    if let Some(mut store) = s.open_if_any()? {
        let id = flow::record_check(&mut store, &checked, a.out.as_deref())?;
        tell!("recorded as evidence {id} in {}", store.dir().display());
    }
    verdict(&checked.payload)
}

/// Exit 1 (with the reasons) when the policy failed.
pub fn verdict(r: &SbomCheck) -> Result<()> {
    flow::verdict(r).map_err(|e| Failed(e.to_string()).into())
}
