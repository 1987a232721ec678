//! `otproof zones`, `otproof vendors score`, `otproof sdl assess` and `otproof accept`:
//! arguments, rendering, progress messages and exit codes. The use cases are in
//! `otproof_workflow::{zones, vendors, sdl, accept}`.

use crate::output;
use crate::output::tell;
use crate::store_cmd::{Failed, StoreArg};
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use otproof_assess::zones;
use otproof_evidence::Verdict;
use otproof_report as report;
use otproof_workflow::accept as accepting;
use otproof_workflow::settings::Settings;
use otproof_workflow::zones::{self as zoning, LoadedModel};
use otproof_workflow::{sdl, vendors as scoring};
use std::path::{Path, PathBuf};

/// Document formats of the decision commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// Markdown.
    Md,
    /// One self-contained HTML page.
    Html,
    /// JSON.
    Json,
}

fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(p) => {
            output::write(p, text)?;
            tell!("wrote {}", p.display());
            Ok(())
        }
        None => output::data(text),
    }
}

/// The settings of a command: the store as given, a vulnerability database as given, the
/// working directory.
fn settings(s: &StoreArg, vulndb: Option<&Path>) -> Result<Settings> {
    Ok(Settings {
        store: s.store.clone(),
        vulndb: vulndb.map(Path::to_path_buf),
        cwd: std::env::current_dir().context("working directory")?,
    })
}

// ---------------------------------------------------------------------------------------------
// zones

/// `otproof zones`.
#[derive(Debug, Subcommand)]
pub enum ZonesCmd {
    /// SL-T vs SL-A per FR for every zone and conduit, with requirement-level gaps.
    #[command(
        after_help = "Examples:\n  otproof zones check examples/water-treatment.yaml --format html --out zones.html"
    )]
    Check(ZonesCheckArgs),
    /// Draw the zones, assets and conduits with their SL-T/SL-A as SVG.
    Diagram(ZonesDiagramArgs),
    /// The integrator's hand-over package: model, results, diagram, the SL-A claim and the
    /// evidence it relies on, with proofs (a bundle `otproof verify` checks offline).
    Handover(ZonesHandoverArgs),
}

/// `otproof zones check`.
#[derive(Debug, Args)]
pub struct ZonesCheckArgs {
    /// The system model (YAML).
    pub model: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocFormat::Md)]
    pub format: DocFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Compute and print the result, but record no SL-A claim in the store.
    #[arg(long)]
    pub dry_run: bool,
}

/// `otproof zones diagram`.
#[derive(Debug, Args)]
pub struct ZonesDiagramArgs {
    /// The system model (YAML).
    pub model: PathBuf,
    /// The SVG file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `otproof zones handover`.
#[derive(Debug, Args)]
pub struct ZonesHandoverArgs {
    /// The system model (YAML).
    pub model: PathBuf,
    /// The bundle (tar).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Render a zone evaluation.
pub fn render_zones(m: &zones::SystemModel, e: &zones::Evaluation, f: DocFormat) -> Result<String> {
    Ok(match f {
        DocFormat::Md => report::zones::markdown(e, m),
        DocFormat::Html => report::zones::html(e, m),
        DocFormat::Json => report::zones::json(e)?,
    })
}

fn warn_not_relied(claim: &zoning::ClaimRecorded) {
    if claim.not_relied_on.is_empty() {
        return;
    }
    let mut refs: Vec<&str> = Vec::new();
    for n in &claim.not_relied_on {
        if !refs.contains(&n.reference.as_str()) {
            refs.push(&n.reference);
        }
    }
    tell!(
        "note: the claim does not rely on {} cited reference(s) that are not in the store or not proven in its log (listed with the reason in the claim): {}",
        refs.len(),
        refs.join(", ")
    );
}

/// Run a `zones` command.
pub fn zones_cmd(cmd: &ZonesCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        ZonesCmd::Check(a) => {
            let l: LoadedModel = zoning::load_model(&a.model)?;
            let rendered = render_zones(&l.model, &l.evaluation, a.format)?;
            emit(&rendered, a.out.as_deref())?;
            let store = if a.dry_run {
                tell!("dry run: no SL-A claim recorded");
                None
            } else {
                s.open_if_any()?
            };
            if let Some(mut store) = store {
                let files = zoning::claim_files(&l, zoning::CHECK_FILES)?;
                let claim = zoning::record_claim(&mut store, &l, &files)?;
                warn_not_relied(&claim);
                tell!(
                    "recorded the SL-A claim as {} in {}",
                    claim.id,
                    store.dir().display()
                );
            }
            let open = zoning::open_gaps(&l.evaluation);
            if open > 0 {
                return Err(Failed(format!(
                    "{open} gap(s) between SL-T and SL-A are open without a justification"
                ))
                .into());
            }
            Ok(())
        }
        ZonesCmd::Diagram(a) => {
            let l = zoning::load_model(&a.model)?;
            output::write(&a.out, &report::zones::svg(&l.evaluation, &l.model))?;
            tell!("wrote {}", a.out.display());
            Ok(())
        }
        ZonesCmd::Handover(a) => {
            let l = zoning::load_model(&a.model)?;
            let mut store = s
                .open()
                .context("the hand-over package is built from the store (run `otproof init`)")?;
            let h = zoning::handover(&mut store, &l)?;
            warn_not_relied(&h.claim);
            output::write_bytes(&a.out, &h.bundle)?;
            tell!(
                "wrote {}: the SL-A claim {} with the model, results, report and diagram, and {} referenced evidence record(s), with inclusion proofs (check with `otproof verify {} --key LEDGER.vkey`)",
                a.out.display(),
                h.claim.id,
                h.claim.references.len(),
                a.out.display()
            );
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// vendors

/// `otproof vendors`.
#[derive(Debug, Subcommand)]
pub enum VendorsCmd {
    /// Score vendors from their filled questionnaires, side by side.
    #[command(
        after_help = "Examples:\n  otproof vendors score northwind.yaml contoso.yaml --spec spec.json --format html --out vendors.html"
    )]
    Score(VendorsScoreArgs),
}

/// `otproof vendors score`.
#[derive(Debug, Args)]
pub struct VendorsScoreArgs {
    /// Filled questionnaires (YAML, from `otproof spec --questionnaire`).
    #[arg(required = true)]
    pub answers: Vec<PathBuf>,
    /// The specification (JSON from `otproof spec --format json`) the answers respond to.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Weights: security maturity, technical capability, support readiness (e.g. 35,40,25).
    #[arg(long, value_name = "W")]
    pub weights: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocFormat::Md)]
    pub format: DocFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Compute and print the scores, record nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// The scoring inputs of `vendors score` (dates judged today).
pub fn score_inputs(a: &VendorsScoreArgs) -> scoring::ScoreInputs {
    scoring::ScoreInputs {
        answers: a.answers.clone(),
        spec: a.spec.clone(),
        weights: a.weights.clone(),
        today: accepting::today(),
    }
}

/// Run `vendors score`.
pub fn vendors_cmd(cmd: &VendorsCmd, s: &StoreArg) -> Result<()> {
    let VendorsCmd::Score(a) = cmd;
    let mut store = s.open_if_any()?;
    let scored = scoring::score(&score_inputs(a), store.as_ref())?;
    let (scores, cmp) = (&scored.scores, &scored.comparison);
    let text = match a.format {
        DocFormat::Md => report::vendors::markdown(scores, cmp),
        DocFormat::Html => report::vendors::html(scores, cmp),
        DocFormat::Json => report::vendors::json(scores, cmp)?,
    };
    emit(&text, a.out.as_deref())?;
    if let Some(store) = store.as_mut() {
        if a.dry_run {
            tell!("dry run: the scores were not recorded");
        } else {
            match scoring::record_scores_once(store, scores)? {
                scoring::Recorded::New(id) => {
                    tell!("recorded the scores as {id} in {}", store.dir().display())
                }
                scoring::Recorded::Already(id) => tell!(
                    "the same scores are already recorded as {id} in {}: nothing appended",
                    store.dir().display()
                ),
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// sdl

/// `otproof sdl`.
#[derive(Debug, Subcommand)]
pub enum SdlCmd {
    /// IEC 62443-4-1 maturity self-assessment from the evidence in the store.
    Assess(SdlAssessArgs),
}

/// `otproof sdl assess`.
#[derive(Debug, Args)]
pub struct SdlAssessArgs {
    /// The vendor assessed: only records whose subject is this vendor count (never the
    /// buyer's decisions or specifications).
    #[arg(long)]
    pub vendor: String,
    /// Only evidence about this product (and the vendor's evidence about no product).
    #[arg(long)]
    pub product: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocFormat::Md)]
    pub format: DocFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Run `sdl assess`.
pub fn sdl_cmd(cmd: &SdlCmd, s: &StoreArg) -> Result<()> {
    let SdlCmd::Assess(a) = cmd;
    let store = s
        .open()
        .context("the self-assessment reads the evidence in a store (run `otproof init`)")?;
    let r = sdl::assess(&store, &a.vendor, a.product.as_deref())?;
    let text = match a.format {
        DocFormat::Md => report::sdl::markdown(&r),
        DocFormat::Html => report::sdl::html(&r),
        DocFormat::Json => report::sdl::json(&r)?,
    };
    emit(&text, a.out.as_deref())
}

// ---------------------------------------------------------------------------------------------
// accept

/// `otproof accept`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  otproof accept supplier-package/package.yaml --criteria criteria.yaml --format html --out acceptance.html"
)]
pub struct AcceptArgs {
    /// The supplier's evidence package: a manifest (YAML) or a folder holding package.yaml.
    pub package: PathBuf,
    /// Acceptance criteria and exceptions (YAML; default: derived from --spec or built in).
    #[arg(long, value_name = "FILE")]
    pub criteria: Option<PathBuf>,
    /// The specification (JSON) the defaults derive from.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Vulnerability database for the SBOM check (default: vulndb.sqlite in the store).
    #[arg(long, env = "OTPROOF_VULNDB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Judge dates at this day (YYYY-MM-DD; default: today).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Who decides (recorded).
    #[arg(long, default_value = "asset owner (otproof accept)")]
    pub decided_by: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocFormat::Md)]
    pub format: DocFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also export the decision with the package's evidence as a verifiable bundle.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub bundle: Option<PathBuf>,
    /// Compute and print the decision; record nothing (no store needed with --db).
    #[arg(long)]
    pub dry_run: bool,
}

/// The acceptance inputs of `accept`.
pub fn accept_inputs(a: &AcceptArgs) -> accepting::AcceptInputs {
    accepting::AcceptInputs {
        package: a.package.clone(),
        criteria: a.criteria.clone(),
        spec: a.spec.clone(),
        today: a.today.clone(),
        decided_by: a.decided_by.clone(),
    }
}

fn render_acceptance(
    r: &otproof_assess::acceptance::AcceptanceResult,
    m: &otproof_assess::acceptance::PackageManifest,
    f: DocFormat,
) -> Result<String> {
    Ok(match f {
        DocFormat::Md => report::acceptance::markdown(r, m),
        DocFormat::Html => report::acceptance::html(r, m),
        DocFormat::Json => report::acceptance::json(r)?,
    })
}

/// Run `accept --dry-run`: decide, print, record nothing; exit 1 on reject.
fn accept_dry_run(a: &AcceptArgs, s: &StoreArg) -> Result<()> {
    let settings = settings(s, a.db.as_deref())?;
    let done = accepting::dry_run(&settings, &accept_inputs(a))?;
    let r = &done.result;
    emit(
        &render_acceptance(r, &done.manifest, a.format)?,
        a.out.as_deref(),
    )?;
    for w in &r.warnings {
        tell!("warning: {}", output::one_line(w));
    }
    tell!(
        "decision: {} ({}), dry run: nothing recorded",
        r.decision.decision,
        r.decision.title
    );
    if r.decision.decision == Verdict::Reject {
        return Err(Failed("package rejected (dry run, nothing recorded)".into()).into());
    }
    Ok(())
}

/// Run `accept`: exit 1 on reject.
pub fn accept_cmd(a: &AcceptArgs, s: &StoreArg) -> Result<()> {
    if a.dry_run {
        return accept_dry_run(a, s);
    }
    let mut store = s
        .open()
        .context("acceptance records its evidence and decision in a store (run `otproof init`)")?;
    let settings = settings(s, a.db.as_deref())?;
    let done = accepting::accept(&mut store, &settings, &accept_inputs(a))?;
    let (r, m, id, records) = (&done.result, &done.manifest, done.decision, &done.records);
    emit(&render_acceptance(r, m, a.format)?, a.out.as_deref())?;
    for w in &r.warnings {
        tell!("warning: {}", output::one_line(w));
    }
    tell!(
        "decision: {} ({}), recorded as {id} with {} evidence record(s) of the package",
        r.decision.decision,
        r.decision.title,
        records.len()
    );
    if let Some(b) = &a.bundle {
        let mut ids = vec![id];
        ids.extend(records.iter().copied());
        let bytes = otproof_store::bundle::export(&mut store, &ids)?;
        output::write_bytes(b, &bytes)?;
        tell!(
            "wrote {} (verify with `otproof verify {} --key LEDGER.vkey`)",
            b.display(),
            b.display()
        );
    }
    if r.decision.decision == Verdict::Reject {
        return Err(Failed(format!("package rejected: decision {id}")).into());
    }
    Ok(())
}
