//! Commands on the store and the ledger: init, evidence, ledger, export, verify, key.

use crate::output;
use crate::output::say;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use otproof_catalog::ComponentType;
use otproof_evidence::EvidenceKind;
use otproof_store::{Store, StoreReport};
use otproof_text::quote;
use otproof_workflow::settings::Settings;
use otproof_workflow::{document, ledger};
use std::path::PathBuf;

/// A check that failed: exit code 1.
#[derive(Debug)]
pub struct Failed(pub String);

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

/// A check that could not show anything either way (e.g. a robustness campaign whose cases
/// did not reach the target): exit code 3.
#[derive(Debug)]
pub struct Inconclusive(pub String);

impl std::fmt::Display for Inconclusive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Inconclusive {}

/// Where the store is: `--store`, `OTPROOF_STORE`, or found by walking up from here.
#[derive(Debug, Clone, Args)]
pub struct StoreArg {
    /// The store: a folder holding `.otproof/` (or inside one), or the `.otproof` folder itself
    /// (default: found by walking up from the working directory). With `verify` and no
    /// bundle, `--store` alone recomputes the store.
    #[arg(long, global = true, env = "OTPROOF_STORE", value_name = "PATH", num_args = 0..=1, default_missing_value = ".")]
    pub store: Option<PathBuf>,
}

impl StoreArg {
    /// The settings these arguments give, resolved by `workflow::settings`.
    pub fn settings(&self) -> Result<Settings> {
        Ok(Settings {
            store: self.store.clone(),
            vulndb: None,
            cwd: std::env::current_dir().context("working directory")?,
        })
    }

    /// The `.otproof` folder, if there is one.
    pub fn locate(&self) -> Result<PathBuf> {
        Ok(self.settings()?.store_dir()?)
    }

    /// Open the store.
    pub fn open(&self) -> Result<Store> {
        let dir = self.locate()?;
        Store::open(&dir).with_context(|| format!("opening the store {}", dir.display()))
    }

    /// Open the store for reading only (listings, proofs from existing checkpoints,
    /// verification): works on read-only media and beside a writer.
    pub fn open_read_only(&self) -> Result<Store> {
        let dir = self.locate()?;
        Store::open_read_only(&dir).with_context(|| format!("opening the store {}", dir.display()))
    }

    /// Open the store if one is configured or found; `None` when there is none.
    pub fn open_if_any(&self) -> Result<Option<Store>> {
        Ok(self.settings()?.open_store_if_any()?)
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create the store in (default: the working directory).
    pub dir: Option<PathBuf>,
    /// The ledger's origin (the first line of its checkpoints), e.g. `example.com/otproof`.
    #[arg(long, value_name = "ORIGIN")]
    pub origin: Option<String>,
}

pub fn init(a: &InitArgs) -> Result<()> {
    let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let store = ledger::init(&dir, a.origin.as_deref())?;
    say!("initialised an otproof store in {}", store.dir().display())?;
    say!("ledger origin: {}", store.origin())?;
    say!("verifier key:  {}", store.vkey_text())?;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCmd {
    /// Add a file as evidence for requirements (SDL records, policies, certificates, reports).
    #[command(after_help = "Examples:
  otproof evidence add sdl-process.pdf --kind document --requirement ID --requirement ID \\
      --vendor Acme --product RTU-5 --version 2.1
  otproof evidence add certificate.pdf --kind certificate --requirement ID --vendor Acme
(ID: a requirement from `otproof catalog list`)")]
    Add(AddArgs),
    /// List records, optionally for one requirement or product.
    List(ListArgs),
    /// Show one record (full ID or a unique prefix).
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The file to attach.
    pub file: PathBuf,
    /// Evidence kind: document, certificate, specification, robustness-campaign, sbom-check,
    /// signature-check, release, assessment.
    #[arg(long, default_value = "document")]
    pub kind: EvidenceKind,
    /// A requirement it supports (repeatable), as `otproof catalog list` prints it.
    #[arg(long = "requirement", value_name = "ID", required = true)]
    pub requirements: Vec<String>,
    /// Vendor.
    #[arg(long)]
    pub vendor: String,
    /// Product (omit for evidence about the vendor's organisation or process).
    #[arg(long)]
    pub product: Option<String>,
    /// Product version.
    #[arg(long)]
    pub version: Option<String>,
    /// Component type of the product.
    #[arg(long, value_name = "TYPE")]
    pub component: Option<ComponentType>,
    /// Title (default: the file name).
    #[arg(long)]
    pub title: Option<String>,
    /// Media type (default: from the file extension).
    #[arg(long = "media-type")]
    pub media_type: Option<String>,
    /// The record this one replaces.
    #[arg(long, value_name = "ID")]
    pub supersedes: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only records naming this requirement.
    #[arg(long, value_name = "ID")]
    pub requirement: Option<String>,
    /// Only records about this product.
    #[arg(long)]
    pub product: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Record ID (`sha256:...`) or a unique prefix of its digits.
    pub id: String,
    /// Print only the record's canonical JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn evidence(cmd: &EvidenceCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        EvidenceCmd::Add(a) => {
            let mut store = s.open()?;
            let done = document::add(
                &mut store,
                &document::NewDocument {
                    file: a.file.clone(),
                    kind: a.kind,
                    requirements: a.requirements.clone(),
                    vendor: a.vendor.clone(),
                    product: a.product.clone(),
                    version: a.version.clone(),
                    component: a.component,
                    title: a.title.clone(),
                    media_type: a.media_type.clone(),
                    supersedes: a.supersedes.clone(),
                },
            )?;
            if a.json {
                output::data(&format!(
                    "{}\n",
                    serde_json::json!({"id": done.id.to_string(), "leaf": done.leaf})
                ))
            } else {
                output::print(&format!("{}\n", done.id))
            }
        }
        EvidenceCmd::List(a) => {
            let store = s.open_read_only()?;
            let rows = document::list(&store, a.requirement.as_deref(), a.product.as_deref())?;
            if a.json {
                return output::data(&(serde_json::to_string_pretty(&rows)? + "\n"));
            }
            let mut out = format!(
                "{:<6}  {:<14}  {:<28}  {:<20}  {}\n",
                "LEAF", "ID", "KIND", "CREATED", "TITLE (SUBJECT)"
            );
            for r in &rows {
                out.push_str(&format!(
                    "{:<6}  {:<14}  {:<28}  {:<20}  {} ({})\n",
                    r.leaf,
                    &r.id[7..r.id.len().min(19)],
                    quote(&r.kind),
                    quote(&r.created),
                    quote(&r.title),
                    quote(&r.subject)
                ));
            }
            out.push_str(&format!("{} record(s)\n", rows.len()));
            output::print(&out)
        }
        EvidenceCmd::Show(a) => {
            let store = s.open_read_only()?;
            let r = document::show(&store, &a.id)?;
            if a.json {
                return output::data(&(String::from_utf8_lossy(&r.json).into_owned() + "\n"));
            }
            let pretty: serde_json::Value = serde_json::from_slice(&r.json)?;
            output::print(&format!(
                "id:    {}\nleaf:  {}\nkind:  {}\n{}\n",
                r.id,
                r.leaf,
                r.record.kind_label(),
                serde_json::to_string_pretty(&pretty)?
            ))
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// Size, root, latest checkpoint and verifier key.
    Status(JsonFlag),
    /// Sign a checkpoint of the current tree and print it.
    Checkpoint,
    /// Print and check the inclusion proof of a record.
    Prove(ProveArgs),
    /// Print and check a consistency proof between two tree sizes.
    Consistency(ConsistencyArgs),
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// Record ID or unique prefix.
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ConsistencyArgs {
    /// The older tree size.
    pub old_size: u64,
    /// The newer tree size (default: the current size).
    pub new_size: Option<u64>,
}

/// A ledger failure as the CLI reports it: a failed check exits 1, anything else 2.
fn ledger_error(e: ledger::LedgerError) -> anyhow::Error {
    match e {
        ledger::LedgerError::Failed(m) => Failed(m).into(),
        other => other.into(),
    }
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    output::data(&(serde_json::to_string_pretty(v)? + "\n"))
}

pub fn ledger(cmd: &LedgerCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        LedgerCmd::Status(f) => {
            let st = ledger::status(&s.open_read_only()?).map_err(ledger_error)?;
            if f.json {
                print_json(&st)
            } else {
                output::print(&format!(
                    "store:       {}\norigin:      {}\nsize:        {}\nroot:        {}\ncheckpoint:  {}\nvkey:        {}\n",
                    st.store,
                    st.origin,
                    st.size,
                    st.root,
                    st.checkpoint_size
                        .map(|c| format!("signed at size {c}"))
                        .unwrap_or_else(|| "none yet".into()),
                    st.vkey
                ))
            }
        }
        LedgerCmd::Checkpoint => {
            // The signed checkpoint note is data an auditor keeps: exact bytes.
            output::data(&ledger::checkpoint(&mut s.open()?).map_err(ledger_error)?)
        }
        LedgerCmd::Prove(a) => {
            print_json(&ledger::prove(&mut s.open()?, &a.id).map_err(ledger_error)?)
        }
        LedgerCmd::Consistency(a) => print_json(
            &ledger::consistency(&s.open_read_only()?, a.old_size, a.new_size)
                .map_err(ledger_error)?,
        ),
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only records about this product.
    #[arg(long, conflicts_with = "all")]
    pub product: Option<String>,
    /// Every record in the store.
    #[arg(long)]
    pub all: bool,
    /// The bundle file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn export(a: &ExportArgs, s: &StoreArg) -> Result<()> {
    let selection = match (&a.product, a.all) {
        (Some(p), _) => ledger::Selection::Product(p.clone()),
        (None, true) => ledger::Selection::All,
        (None, false) => bail!("say what to export: --product NAME or --all"),
    };
    let mut store = s.open()?;
    if a.out.as_os_str() == "-" {
        let e = ledger::export(&mut store, &selection).map_err(ledger_error)?;
        return output::write_bytes(&a.out, &e.bytes);
    }
    let records = export_to_file(&mut store, &selection, &a.out)?;
    output::note(&a.out, &format!("bundle of {records} records"));
    Ok(())
}

/// Stream a bundle into a temporary file beside `path`, renamed into place once complete (a
/// failed export never leaves a partial bundle, and blobs are never all in memory).
fn export_to_file(
    store: &mut Store,
    selection: &ledger::Selection,
    path: &std::path::Path,
) -> Result<usize> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if !dir.is_dir() || path.is_dir() {
        // The same checks and messages as every other written file.
        output::write_bytes(path, b"")?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let tmp = dir.join(format!(".{name}.otproof-tmp-{}", std::process::id()));
    let result = (|| -> Result<usize> {
        let f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut w = std::io::BufWriter::new(f);
        let records = ledger::export_to(store, selection, &mut w).map_err(ledger_error)?;
        let f = w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", path.display()))?;
        f.sync_all()
            .and_then(|()| std::fs::rename(&tmp, path))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(records)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle to verify (offline; no store needed). Without it, `--store [PATH]`
    /// recomputes a whole store instead: records, blobs, tree nodes, checkpoints.
    pub bundle: Option<PathBuf>,
    /// The ledger verifier key to trust (a `.vkey` file or the key text). With --store, the
    /// store's key must be this one (detects a replaced key pair).
    #[arg(long, value_name = "VKEY")]
    pub key: Option<String>,
    /// With --store: a signed checkpoint kept from earlier (`otproof ledger checkpoint`
    /// output, or `checkpoint.note` of an exported bundle); the store must extend it, which
    /// detects a rollback or rewritten history. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Vec<PathBuf>,
    /// Print the checks as JSON.
    #[arg(long)]
    pub json: bool,
}

fn print_report(report: &StoreReport, json: bool) -> Result<()> {
    if json {
        output::data(&(serde_json::to_string_pretty(report)? + "\n"))?;
    } else {
        let mut out = String::new();
        for c in &report.checks {
            let mark = if !c.problems.is_empty() {
                "FAIL"
            } else if c.unchecked {
                "n/a "
            } else {
                "ok  "
            };
            // One line per check and per problem: a name inside cannot fake a line.
            out.push_str(&format!("{mark}  {}\n", output::one_line(&c.what)));
            for p in &c.problems {
                out.push_str(&format!("      - {}\n", output::one_line(p)));
            }
            for n in &c.notes {
                out.push_str(&format!("      note: {}\n", output::one_line(n)));
            }
        }
        let unchecked = report.unchecked();
        if report.ok() && unchecked > 0 {
            out.push_str(&format!(
                "passed, with {unchecked} check(s) not made (n/a above): see the notes\n"
            ));
        }
        output::print(&out)?;
    }
    if report.ok() {
        Ok(())
    } else {
        Err(Failed(format!(
            "verification failed: {}",
            report.problems().first().copied().unwrap_or("see above")
        ))
        .into())
    }
}

pub fn verify(a: &VerifyArgs, s: &StoreArg) -> Result<()> {
    let Some(path) = &a.bundle else {
        if s.store.is_none() {
            bail!("give a bundle to verify (otproof verify bundle.tar), or --store to recompute a store");
        }
        let trust = ledger::trust(a.key.as_deref(), &a.checkpoint).map_err(ledger_error)?;
        let store = s.open_read_only()?;
        let report = ledger::verify_store(&store, &trust).map_err(ledger_error)?;
        return print_report(&report, a.json);
    };
    if !a.checkpoint.is_empty() {
        bail!("--checkpoint is for verifying a store (with --store): a bundle carries its own signed checkpoint");
    }
    let key = a
        .key
        .as_deref()
        .map(ledger::load_verifier)
        .transpose()
        .map_err(ledger_error)?;
    let report = ledger::verify_bundle_file(path, key.as_ref()).map_err(ledger_error)?;
    print_report(&report, a.json)
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Generate a key. Without --alg: the ledger's Ed25519 note key, NAME.skey (mode 0600) and
    /// NAME.vkey. With --alg ed25519|p256: a release/identity signing key, NAME.key (PKCS#8
    /// PEM, mode 0600) and NAME.pub (SPKI PEM).
    Gen(KeyGenArgs),
}

#[derive(Debug, Args)]
pub struct KeyGenArgs {
    /// The key name: for a ledger, its origin (e.g. `example.com/otproof`).
    #[arg(long)]
    pub name: String,
    /// File name prefix for the two files (default: the name with `/` replaced by `-`).
    #[arg(long, value_name = "PREFIX")]
    pub out: Option<PathBuf>,
    /// A signing key for releases and identities: ed25519 or p256.
    #[arg(long, value_name = "ALG")]
    pub alg: Option<String>,
}

pub fn key(cmd: &KeyCmd) -> Result<()> {
    match cmd {
        KeyCmd::Gen(a) if a.alg.is_some() => crate::release_cmd::key_gen(
            &a.name,
            a.alg.as_deref().unwrap_or_default(),
            a.out.as_deref(),
        ),
        KeyCmd::Gen(a) => {
            let k = ledger::generate_key(&a.name, a.out.as_deref()).map_err(ledger_error)?;
            say!("wrote {} (private, mode 0600)", k.skey.display())?;
            say!("wrote {}", k.vkey.display())?;
            say!("{}", k.vkey_text)?;
            Ok(())
        }
    }
}
