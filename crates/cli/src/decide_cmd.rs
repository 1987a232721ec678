//! `otproof zones`, `otproof vendors score`, `otproof sdl assess` and `otproof accept`:
//! reading files (errors name the file, line and column), gathering facts from the store and
//! from otproof's own checks, rendering, exit codes, and Decision records.

use crate::output;
use crate::sbom_cmd::{self, CheckArgs, CheckFormat, DbArg};
use crate::store_cmd::{Failed, StoreArg};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use otproof_assess::acceptance::{self, PackageFacts, PackageManifest};
use otproof_assess::sdl::RecordFacts;
use otproof_assess::spec::{Specification, Weights};
use otproof_assess::vendors::{self, EvidenceLookup, EvidenceRef};
use otproof_assess::zones;
use otproof_catalog::Catalog;
use otproof_evidence::{
    Body, Decision, Evidence, EvidenceKind, Record, RecordId, Subject, Verdict,
};
use otproof_report as report;
use otproof_store::Store;
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

fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text (expected YAML)", path.display()))
}

fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(p) => {
            output::write(p, text)?;
            eprintln!("wrote {}", p.display());
            Ok(())
        }
        None => output::print(text),
    }
}

fn today() -> String {
    otproof_evidence::now_rfc3339()
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string()
}

/// Is this record in the store, its bytes canonical, and its inclusion in the signed log
/// proven against the store's key?
fn verified_in_store(store: &Store, id: &RecordId) -> bool {
    let Ok(p) = store.prove(&id.to_string()) else {
        return false;
    };
    let Ok(opened) =
        otproof_ledger::note::open(&p.checkpoint.note, std::slice::from_ref(store.verifier()))
    else {
        return false;
    };
    let Ok(cp) = otproof_ledger::checkpoint::Checkpoint::parse(&opened.text) else {
        return false;
    };
    cp.size == p.size
        && otproof_ledger::verify_inclusion(
            &otproof_store::record_leaf(id),
            p.leaf,
            p.size,
            &p.proof,
            &cp.root,
        )
        .is_ok()
}

fn record_facts(store: &Store) -> Result<Vec<(RecordFacts, Record)>> {
    let mut out = Vec::new();
    for s in store.list(None, None)? {
        let stored = store.get(&s.id)?;
        let (kind, requirements, product) = match &stored.record.body {
            Body::Evidence(ev) => (
                serde_json::to_value(ev.kind)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                ev.requirements.clone(),
                ev.subject.product().map(str::to_string),
            ),
            Body::Decision(d) => (
                format!("decision/{}", d.decision),
                d.requirements.clone(),
                d.subject.product().map(str::to_string),
            ),
        };
        out.push((
            RecordFacts {
                id: stored.id.to_string(),
                kind,
                requirements,
                product,
                title: s.title.clone(),
                created: stored.record.created.clone(),
            },
            stored.record,
        ));
    }
    Ok(out)
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

/// Read and evaluate a model; errors name the file, line and column.
pub fn load_model(path: &Path) -> Result<(zones::SystemModel, zones::Evaluation, String)> {
    let text = read_text(path, "system model")?;
    let model =
        zones::parse_model(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let eval = zones::evaluate(&model);
    Ok((model, eval, text))
}

/// Render a zone evaluation.
pub fn render_zones(m: &zones::SystemModel, e: &zones::Evaluation, f: DocFormat) -> Result<String> {
    Ok(match f {
        DocFormat::Md => report::zones::markdown(e, m),
        DocFormat::Html => report::zones::html(e, m),
        DocFormat::Json => report::zones::json(e)?,
    })
}

fn open_gaps(e: &zones::Evaluation) -> usize {
    e.gaps
        .iter()
        .filter(|g| matches!(g.status, zones::GapStatus::Open))
        .count()
}

/// The SL-A claim as a Decision record, with the model, results and diagram attached.
pub fn record_zones(
    store: &mut Store,
    m: &zones::SystemModel,
    e: &zones::Evaluation,
    files: &[(&str, &str, Vec<u8>)],
) -> Result<RecordId> {
    use otproof_evidence::{Criterion, CriterionResult};
    let mut criteria = Vec::new();
    for z in e.zones.iter().chain(e.conduits.iter()) {
        for fr in &z.frs {
            let gap = e.gaps.iter().find(|g| g.name == z.name && g.fr == fr.fr);
            let result = match gap.map(|g| g.status) {
                None => CriterionResult::Pass,
                Some(zones::GapStatus::Closed) => CriterionResult::Pass,
                Some(zones::GapStatus::OpenJustified) => CriterionResult::Exception,
                Some(zones::GapStatus::Open) => CriterionResult::Fail,
            };
            criteria.push(Criterion {
                id: format!("{} {} {}", z.kind.label(), z.name, fr.fr.abbrev()),
                description: format!(
                    "SL-A {} against SL-T {}{}",
                    fr.sl_a,
                    fr.sl_t,
                    gap.map(|g| format!(": {}", g.summary)).unwrap_or_default()
                ),
                result,
                evidence: vec![],
            });
        }
    }
    let mut references: Vec<RecordId> = Vec::new();
    for a in &m.assets {
        for ev in &a.evidence {
            if let Ok(r) = store.get(ev) {
                references.push(r.id);
            }
        }
    }
    references.sort();
    references.dedup();
    let exceptions = e
        .gaps
        .iter()
        .filter(|g| matches!(g.status, zones::GapStatus::OpenJustified))
        .map(|g| otproof_evidence::Exception {
            criterion: format!("{} {} {}", g.scope.label(), g.name, g.fr.abbrev()),
            justification: g.justification.clone().unwrap_or_default(),
            owner: "system integrator".into(),
            until: None,
        })
        .collect();
    let open = open_gaps(e);
    let mut attachments = Vec::new();
    for (name, media, bytes) in files {
        attachments.push(otproof_evidence::Attachment {
            name: name.to_string(),
            media_type: media.to_string(),
            sha256: store.put_blob(bytes)?,
            size: bytes.len() as u64,
        });
    }
    let system = m.name.clone().unwrap_or_else(|| "system".into());
    let decision = Decision {
        decision: Verdict::SlAClaim,
        title: format!(
            "SL-A claim for {system}: {} zone(s), {} conduit(s), {} gap(s) closed, {} open",
            e.zones.len(),
            e.conduits.len(),
            e.gaps
                .iter()
                .filter(|g| matches!(g.status, zones::GapStatus::Closed))
                .count(),
            open + e
                .gaps
                .iter()
                .filter(|g| matches!(g.status, zones::GapStatus::OpenJustified))
                .count()
        ),
        subject: Subject::System {
            system,
            zone: None,
            conduit: None,
        },
        requirements: vec![],
        criteria,
        references,
        exceptions,
        decided_by: "system integrator (otproof zones)".into(),
        payload: serde_json::json!({
            "format": e.format,
            "zones": e.zones.iter().map(|z| serde_json::json!({"name": z.name, "sl_t": z.sl_t.to_string(), "sl_a": z.sl_a.to_string()})).collect::<Vec<_>>(),
            "conduits": e.conduits.iter().map(|z| serde_json::json!({"name": z.name, "sl_t": z.sl_t.to_string(), "sl_a": z.sl_a.to_string()})).collect::<Vec<_>>(),
            "attachments": attachments,
        }),
    };
    Ok(store
        .append_one(Record::new("zones check", Body::Decision(decision)))?
        .id)
}

/// Run a `zones` command.
pub fn zones_cmd(cmd: &ZonesCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        ZonesCmd::Check(a) => {
            let (m, e, text) = load_model(&a.model)?;
            let rendered = render_zones(&m, &e, a.format)?;
            emit(&rendered, a.out.as_deref())?;
            if let Some(mut store) = s.open_if_any()? {
                let json = report::zones::json(&e)?;
                let id = record_zones(
                    &mut store,
                    &m,
                    &e,
                    &[
                        ("model.yaml", "application/yaml", text.into_bytes()),
                        ("zones.json", "application/json", json.into_bytes()),
                    ],
                )?;
                eprintln!(
                    "recorded the SL-A claim as {id} in {}",
                    store.dir().display()
                );
            }
            let open = open_gaps(&e);
            if open > 0 {
                return Err(Failed(format!(
                    "{open} gap(s) between SL-T and SL-A are open without a justification"
                ))
                .into());
            }
            Ok(())
        }
        ZonesCmd::Diagram(a) => {
            let (m, e, _) = load_model(&a.model)?;
            output::write(&a.out, &report::zones::svg(&e, &m))?;
            eprintln!("wrote {}", a.out.display());
            Ok(())
        }
        ZonesCmd::Handover(a) => {
            let (m, e, text) = load_model(&a.model)?;
            let mut store = s
                .open()
                .context("the hand-over package is built from the store (run `otproof init`)")?;
            let files = vec![
                ("model.yaml", "application/yaml", text.into_bytes()),
                (
                    "zones.json",
                    "application/json",
                    report::zones::json(&e)?.into_bytes(),
                ),
                (
                    "zones.html",
                    "text/html",
                    report::zones::html(&e, &m).into_bytes(),
                ),
                (
                    "zones.svg",
                    "image/svg+xml",
                    report::zones::svg(&e, &m).into_bytes(),
                ),
            ];
            let id = record_zones(&mut store, &m, &e, &files)?;
            let rec = store.get(&id.to_string())?;
            let mut ids = vec![id];
            if let Body::Decision(d) = &rec.record.body {
                ids.extend(d.references.iter().copied());
            }
            let bytes = otproof_store::bundle::export(&mut store, &ids)?;
            output::write_bytes(&a.out, &bytes)?;
            eprintln!(
                "wrote {}: the SL-A claim {id} with the model, results, report and diagram, and {} referenced evidence record(s), with inclusion proofs (check with `otproof verify {} --key LEDGER.vkey`)",
                a.out.display(),
                ids.len() - 1,
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
}

/// Evidence references resolved against the store: record IDs (or unique prefixes) and
/// record titles; `verified` when the record's inclusion proof checks against the log key.
pub struct StoreLookup<'a> {
    store: Option<&'a Store>,
    /// Record title -> ID, listed once (answers cite many documents by title).
    titles: std::collections::HashMap<String, String>,
}

impl<'a> StoreLookup<'a> {
    /// A lookup over `store` (none: nothing resolves).
    pub fn new(store: Option<&'a Store>) -> Result<StoreLookup<'a>> {
        let mut titles = std::collections::HashMap::new();
        if let Some(st) = store {
            for s in st.list(None, None)? {
                titles.entry(s.title).or_insert(s.id);
            }
        }
        Ok(StoreLookup { store, titles })
    }
}

impl EvidenceLookup for StoreLookup<'_> {
    fn find(&self, reference: &str) -> Option<EvidenceRef> {
        let store = self.store?;
        let reference = reference.trim();
        let found = if reference.starts_with("sha256:") {
            store.get(reference).ok()
        } else {
            store.get(self.titles.get(reference)?).ok()
        }?;
        let (kind, title, requirements) = match &found.record.body {
            Body::Evidence(ev) => (
                serde_json::to_value(ev.kind)
                    .ok()?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                ev.title.clone(),
                ev.requirements.clone(),
            ),
            Body::Decision(d) => (
                format!("decision/{}", d.decision),
                d.title.clone(),
                d.requirements.clone(),
            ),
        };
        Some(EvidenceRef {
            id: found.id.to_string(),
            kind,
            title,
            requirements,
            verified: verified_in_store(store, &found.id),
            not_verified: None,
        })
    }
}

fn load_spec(path: &Path) -> Result<Specification> {
    let text = read_text(path, "specification")?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: line {}, column {}: {e} (expected the JSON written by `otproof spec --format json`)",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// Score the answer files; the scores, the comparison.
pub fn score_vendors(
    a: &VendorsScoreArgs,
    store: Option<&Store>,
) -> Result<(Vec<vendors::VendorScore>, vendors::Comparison)> {
    let spec = a.spec.as_deref().map(load_spec).transpose()?;
    let weights: Weights = match &a.weights {
        Some(w) => w
            .parse()
            .map_err(|e| anyhow::anyhow!("--weights {w}: {e}"))?,
        None => spec.as_ref().map(|s| s.params.weights).unwrap_or_default(),
    };
    let lookup = StoreLookup::new(store)?;
    let day = today();
    let mut scores = Vec::new();
    for p in &a.answers {
        let text = read_text(p, "answers")?;
        let q =
            vendors::parse_answers(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        scores.push(vendors::score(&q, spec.as_ref(), &weights, &lookup, &day));
    }
    let cmp = vendors::compare(&scores);
    Ok((scores, cmp))
}

/// Run `vendors score`.
pub fn vendors_cmd(cmd: &VendorsCmd, s: &StoreArg) -> Result<()> {
    let VendorsCmd::Score(a) = cmd;
    let mut store = s.open_if_any()?;
    let (scores, cmp) = score_vendors(a, store.as_ref())?;
    let text = match a.format {
        DocFormat::Md => report::vendors::markdown(&scores, &cmp),
        DocFormat::Html => report::vendors::html(&scores, &cmp),
        DocFormat::Json => report::vendors::json(&scores, &cmp)?,
    };
    emit(&text, a.out.as_deref())?;
    if let Some(store) = store.as_mut() {
        let id = record_scores(store, &scores)?;
        eprintln!("recorded the scores as {id} in {}", store.dir().display());
    }
    Ok(())
}

/// The vendor scores as a Decision record citing the evidence behind the points.
pub fn record_scores(store: &mut Store, scores: &[vendors::VendorScore]) -> Result<RecordId> {
    use otproof_evidence::{Criterion, CriterionResult};
    let mut refs: Vec<RecordId> = Vec::new();
    let mut criteria = Vec::new();
    for s in scores {
        let vendor = if s.vendor.is_empty() {
            "(unnamed vendor)".to_string()
        } else {
            s.vendor.clone()
        };
        let mut ids: Vec<RecordId> = s
            .items
            .iter()
            .flat_map(|i| i.evidence.iter())
            .filter(|e| e.verified)
            .filter_map(|e| e.id.parse().ok())
            .collect();
        ids.sort();
        ids.dedup();
        refs.extend(ids.iter().copied());
        criteria.push(Criterion {
            id: vendor.clone(),
            description: format!(
                "{vendor}: total {:.1}% ({})",
                s.total_percent,
                s.dimensions
                    .iter()
                    .map(|d| format!("{} {:.1}%", d.name, d.percent))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            result: CriterionResult::Pass,
            evidence: ids,
        });
    }
    refs.sort();
    refs.dedup();
    let decision = Decision {
        decision: Verdict::VendorScore,
        title: format!(
            "Vendor scores: {}",
            scores
                .iter()
                .map(|s| s.vendor.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        subject: Subject::Product {
            vendor: String::new(),
            product: scores
                .first()
                .map(|s| s.specification.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "procurement".into()),
            version: None,
            component_type: None,
            artifacts: vec![],
        },
        requirements: vec![],
        criteria,
        references: refs,
        exceptions: vec![],
        decided_by: "buyer (otproof vendors score)".into(),
        payload: serde_json::to_value(scores)?,
    };
    Ok(store
        .append_one(Record::new("vendors score", Body::Decision(decision)))?
        .id)
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
    /// Only evidence about this product (and evidence about no product).
    #[arg(long)]
    pub product: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocFormat::Md)]
    pub format: DocFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Run the 4-1 self-assessment over the store.
pub fn sdl_assessment(
    store: &Store,
    product: Option<&str>,
) -> Result<otproof_assess::sdl::SdlAssessment> {
    let facts: Vec<RecordFacts> = record_facts(store)?.into_iter().map(|(f, _)| f).collect();
    Ok(otproof_assess::sdl::assess(
        Catalog::builtin(),
        &facts,
        product,
    ))
}

/// Run `sdl assess`.
pub fn sdl_cmd(cmd: &SdlCmd, s: &StoreArg) -> Result<()> {
    let SdlCmd::Assess(a) = cmd;
    let store = s
        .open()
        .context("the self-assessment reads the evidence in a store (run `otproof init`)")?;
    let r = sdl_assessment(&store, a.product.as_deref())?;
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
    #[arg(long, value_name = "FILE")]
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
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
}

fn attach_file(store: &Store, path: &Path) -> Result<otproof_evidence::Attachment> {
    crate::store_cmd::attach(store, path, None)
}

fn record_document(
    store: &mut Store,
    m: &PackageManifest,
    path: &Path,
    title: &str,
    kind: EvidenceKind,
    requirements: &[&str],
) -> Result<RecordId> {
    let evidence = Evidence {
        kind,
        title: title.to_string(),
        requirements: requirements.iter().map(|s| s.to_string()).collect(),
        subject: Subject::Product {
            vendor: m.vendor.clone(),
            product: m.product.clone(),
            version: Some(m.version.clone()),
            component_type: Some(m.component_type),
            artifacts: vec![],
        },
        payload: serde_json::Value::Null,
        attachments: vec![attach_file(store, path)?],
        findings: vec![],
    };
    crate::store_cmd::append_idempotent(store, Record::new("accept", Body::Evidence(evidence)))
}

/// Establish the facts of a package (running otproof's own checks), decide, and record.
pub fn accept(
    a: &AcceptArgs,
    store: &mut Store,
) -> Result<(
    acceptance::AcceptanceResult,
    PackageManifest,
    RecordId,
    Vec<RecordId>,
)> {
    let manifest_path = if a.package.is_dir() {
        a.package.join("package.yaml")
    } else {
        a.package.clone()
    };
    let base = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let m = acceptance::parse_package(&read_text(&manifest_path, "package manifest")?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", manifest_path.display()))?;
    let spec = a.spec.as_deref().map(load_spec).transpose()?;
    let base_criteria = acceptance::default_criteria(spec.as_ref());
    let criteria = match &a.criteria {
        Some(p) => acceptance::parse_criteria_over(&read_text(p, "criteria")?, base_criteria)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => base_criteria,
    };
    let day = match &a.today {
        Some(d) => d.clone(),
        None => today(),
    };
    let at = |rel: &str| base.join(rel);
    for (role, rel) in m.files() {
        if !at(rel).is_file() {
            bail!(
                "{}: {role} {} does not exist (expected a file relative to the manifest)",
                manifest_path.display(),
                at(rel).display()
            );
        }
    }
    let mut facts = PackageFacts::default();
    let mut package_records = Vec::new();
    // SBOM check with the package's VEX and otproof's SBOM policy.
    if let Some(sbom) = &m.sbom {
        let db =
            a.db.clone()
                .unwrap_or_else(|| store.dir().join("vulndb.sqlite"));
        if !db.is_file() {
            bail!(
                "no vulnerability database at {} for the SBOM check (run `otproof vulndb import`, or pass --db)",
                db.display()
            );
        }
        let args = CheckArgs {
            sbom: at(sbom),
            vex: m.vex.iter().map(|v| at(v)).collect(),
            policy: None,
            format: CheckFormat::Json,
            out: None,
            db: DbArg {
                db: Some(db.clone()),
            },
        };
        let matcher = otproof_vulndb::VulnDb::open(&db)?.matcher()?;
        let (check, bytes) = sbom_cmd::run_check(&args, &matcher)?;
        let id = sbom_cmd::record_check(store, &check, &args.sbom, &bytes, None)?;
        package_records.push(id);
        let open_high = check
            .components
            .iter()
            .flat_map(|c| c.vulnerabilities.iter())
            .filter(|v| {
                v.vex.is_none()
                    && matches!(
                        v.severity,
                        Some(otproof_vulndb::Severity::High | otproof_vulndb::Severity::Critical)
                    )
            })
            .count();
        facts.sbom = Some(acceptance::SbomFact {
            record: Some(id),
            policy_passed: check.verdict.passed,
            open_kev: check.totals.open_kev,
            open_high_without_vex: open_high,
            reasons: check.verdict.reasons.clone(),
        });
    }
    // Signed release.
    if let (Some(fw), Some(env), Some(key)) = (&m.firmware, &m.envelope, &m.vendor_key) {
        let vk = {
            let pem = read_text(&at(key), "vendor key")?;
            otproof_sign::keys::VerifyingKey::from_pem(&pem)
                .with_context(|| format!("{}: not a public key", at(key).display()))?
        };
        let envelope = otproof_sign::dsse::Envelope::from_json(
            &std::fs::read(at(env))
                .with_context(|| format!("cannot read {}", at(env).display()))?,
        )
        .with_context(|| format!("{}: not a DSSE envelope", at(env).display()))?;
        let bytes = std::fs::read(at(fw))?;
        let (verified, detail) = match otproof_sign::intoto::verify_release(
            &envelope,
            std::slice::from_ref(&vk),
            otproof_sign::intoto::Artifact::Bytes(&bytes),
        ) {
            Ok((_, p)) if p.product == m.product && p.version == m.version => (
                true,
                format!(
                    "release statement for {} {} verified with key {}",
                    p.product,
                    p.version,
                    &vk.key_id()[..16]
                ),
            ),
            Ok((_, p)) => (
                false,
                format!(
                    "the signed statement names {} {}, not {} {}",
                    p.product, p.version, m.product, m.version
                ),
            ),
            Err(e) => (false, e.to_string()),
        };
        let evidence = Evidence {
            kind: EvidenceKind::SignatureCheck,
            title: format!("Signature check of {} {}", m.product, m.version),
            requirements: otproof_catalog::traces::RELEASE
                .iter()
                .map(|s| s.to_string())
                .collect(),
            subject: Subject::Product {
                vendor: m.vendor.clone(),
                product: m.product.clone(),
                version: Some(m.version.clone()),
                component_type: Some(m.component_type),
                artifacts: vec![],
            },
            payload: serde_json::json!({"verified": verified, "detail": detail}),
            attachments: vec![attach_file(store, &at(env))?],
            findings: vec![],
        };
        let id = crate::store_cmd::append_idempotent(
            store,
            Record::new("accept", Body::Evidence(evidence)),
        )?;
        package_records.push(id);
        facts.signature = Some(acceptance::SignatureFact {
            record: Some(id),
            verified,
            detail,
        });
    }
    // Robustness campaigns (otproof evidence.json files).
    for rel in &m.robustness {
        let text = read_text(&at(rel), "robustness evidence")?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: line {}, column {}: {e} (expected the evidence.json of `otproof fuzz`)",
                at(rel).display(),
                e.line(),
                e.column()
            )
        })?;
        let protocol = v["configuration"]["protocol"]
            .as_str()
            .or_else(|| v["scope"]["protocol"].as_str())
            .or_else(|| v["protocol"].as_str())
            .unwrap_or("unknown")
            .to_string();
        let cases = v["result"]["cases"].as_u64().unwrap_or(0);
        let findings = v["findings"].as_array().cloned().unwrap_or_default();
        let open_crash_or_hang = findings
            .iter()
            .filter(|f| matches!(f["behaviour"].as_str(), Some("crash" | "hang")))
            .count();
        let id = record_document(
            store,
            &m,
            &at(rel),
            &format!(
                "Robustness campaign evidence ({protocol}) for {} {}",
                m.product, m.version
            ),
            EvidenceKind::RobustnessCampaign,
            otproof_catalog::traces::ROBUSTNESS,
        )?;
        package_records.push(id);
        facts.robustness.push(acceptance::RobustnessFact {
            record: Some(id),
            protocol,
            cases,
            open_crash_or_hang,
            open_conformance: findings.len() - open_crash_or_hang,
        });
    }
    for c in &m.certificates {
        let record = match &c.file {
            Some(f) => {
                let id = record_document(
                    store,
                    &m,
                    &at(f),
                    &format!("{} certificate {} ({})", c.scheme, c.number, c.scope),
                    EvidenceKind::Certificate,
                    &["SM-1"],
                )?;
                package_records.push(id);
                Some(id)
            }
            None => None,
        };
        facts.certificates.push(acceptance::CertificateFact {
            record,
            scheme: c.scheme.clone(),
            scope: c.scope.clone(),
            number: c.number.clone(),
            expires: c.expires.clone(),
        });
    }
    let docs: Vec<(&str, Option<&String>, &[&str])> = vec![
        (
            acceptance::DOC_SUPPORT_STATEMENT,
            m.support.as_ref().and_then(|s| s.statement.as_ref()),
            &["SUM-5"],
        ),
        (
            acceptance::DOC_HARDENING_GUIDE,
            m.hardening_guide.as_ref(),
            &["SG-1", "SG-2"],
        ),
        (
            acceptance::DOC_PATCH_POLICY,
            m.patch_policy.as_ref(),
            &["SUM-1", "SUM-2", "SUM-4"],
        ),
    ];
    for (what, file, reqs) in docs {
        let record = match file {
            Some(f) => {
                let id = record_document(
                    store,
                    &m,
                    &at(f),
                    &format!("{what} of {} {}", m.product, m.version),
                    EvidenceKind::Document,
                    reqs,
                )?;
                package_records.push(id);
                Some(id)
            }
            None => None,
        };
        facts.documents.push(acceptance::DocumentFact {
            record,
            what: what.to_string(),
            present: file.is_some(),
        });
    }
    facts.end_of_support = m.support.as_ref().map(|s| s.end_of_support.clone());
    let result = acceptance::decide(&m, &criteria, &facts, &day, &a.decided_by);
    let id = crate::store_cmd::append_idempotent(
        store,
        Record::new("accept", Body::Decision(result.decision.clone())),
    )?;
    Ok((result, m, id, package_records))
}

/// Run `accept`: exit 1 on reject.
pub fn accept_cmd(a: &AcceptArgs, s: &StoreArg) -> Result<()> {
    let mut store = s
        .open()
        .context("acceptance records its evidence and decision in a store (run `otproof init`)")?;
    let (r, m, id, records) = accept(a, &mut store)?;
    let text = match a.format {
        DocFormat::Md => report::acceptance::markdown(&r, &m),
        DocFormat::Html => report::acceptance::html(&r, &m),
        DocFormat::Json => report::acceptance::json(&r)?,
    };
    emit(&text, a.out.as_deref())?;
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!(
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
        eprintln!(
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
