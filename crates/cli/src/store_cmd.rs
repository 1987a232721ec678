//! Commands on the store and the ledger: init, evidence, ledger, export, verify, key.

use crate::output;
use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use clap::{Args, Subcommand};
use otproof_catalog::{Catalog, ComponentType};
use otproof_evidence::{Attachment, Body, Evidence, EvidenceKind, Record, RecordId, Subject};
use otproof_ledger::note::{Signer, Verifier};
use otproof_store::{bundle, Store, StoreReport};
use std::path::{Path, PathBuf};

/// A check that failed: exit code 1.
#[derive(Debug)]
pub struct Failed(pub String);

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

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
    /// The `.otproof` folder, if there is one.
    pub fn locate(&self) -> Result<PathBuf> {
        match self.store.as_ref() {
            Some(p) => {
                let inner = p.join(otproof_store::STORE_DIR);
                if inner.is_dir() {
                    Ok(inner)
                } else if p.join("otproof.db").is_file() {
                    Ok(p.clone())
                } else if p.is_dir() {
                    // A folder inside a store's tree: walk up from there.
                    Ok(Store::discover(
                        &std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()),
                    )?)
                } else {
                    bail!(
                        "store {} does not exist (expected a folder holding .otproof/, created by `otproof init`)",
                        p.display()
                    )
                }
            }
            None => {
                let cwd = std::env::current_dir().context("working directory")?;
                Ok(Store::discover(&cwd)?)
            }
        }
    }

    /// Open the store.
    pub fn open(&self) -> Result<Store> {
        let dir = self.locate()?;
        Store::open(&dir).with_context(|| format!("opening the store {}", dir.display()))
    }

    /// Open the store if one is configured or found; `None` when there is none.
    pub fn open_if_any(&self) -> Result<Option<Store>> {
        if self.store.is_some() {
            return self.open().map(Some);
        }
        let cwd = std::env::current_dir().context("working directory")?;
        match Store::discover(&cwd) {
            Ok(dir) => Ok(Some(Store::open(&dir)?)),
            Err(_) => Ok(None),
        }
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
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let store = Store::init(&dir, a.origin.as_deref())?;
    println!("initialised an otproof store in {}", store.dir().display());
    println!("ledger origin: {}", store.origin());
    println!("verifier key:  {}", store.vkey_text());
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCmd {
    /// Add a file as evidence for requirements (SDL records, policies, certificates, reports).
    #[command(after_help = "Examples:
  otproof evidence add sdl-process.pdf --kind document --requirement SM-1 --requirement SM-2 \\
      --vendor Acme --product RTU-5 --version 2.1
  otproof evidence add isasecure.pdf --kind certificate --requirement SVV-5 --vendor Acme")]
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
    /// A requirement it supports (repeatable), e.g. SVV-1 or "CR 3.5".
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

/// Media type from a file name.
pub fn media_type_of(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "xml" => "application/xml",
        "html" | "htm" => "text/html",
        "md" => "text/markdown",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "tar" => "application/x-tar",
        "gz" | "tgz" => "application/gzip",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// Store a file as a blob and describe it as an attachment.
pub fn attach(store: &Store, path: &Path, media_type: Option<&str>) -> Result<Attachment> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let sha256 = store.put_blob(&bytes)?;
    Ok(Attachment {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into()),
        media_type: media_type
            .map(str::to_string)
            .unwrap_or_else(|| media_type_of(path).to_string()),
        sha256,
        size: bytes.len() as u64,
    })
}

pub fn evidence(cmd: &EvidenceCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        EvidenceCmd::Add(a) => {
            for q in &a.requirements {
                if Catalog::builtin().get(q).is_none() {
                    let near = Catalog::builtin().suggest(q);
                    bail!(
                        "--requirement '{q}' is not in the IEC 62443 catalog{}",
                        if near.is_empty() {
                            " (see `otproof catalog list`)".to_string()
                        } else {
                            format!("; did you mean: {}?", near.join(", "))
                        }
                    );
                }
            }
            if !a.file.is_file() {
                bail!(
                    "{} is not a file (expected the evidence file to attach)",
                    a.file.display()
                );
            }
            let mut store = s.open()?;
            let supersedes = match &a.supersedes {
                Some(p) => Some(store.get(p)?.id),
                None => None,
            };
            let attachment = attach(&store, &a.file, a.media_type.as_deref())?;
            let subject = match &a.product {
                Some(p) => Subject::Product {
                    vendor: a.vendor.clone(),
                    product: p.clone(),
                    version: a.version.clone(),
                    component_type: a.component,
                    artifacts: vec![],
                },
                None => Subject::Vendor {
                    vendor: a.vendor.clone(),
                },
            };
            let mut record = Record::new(
                "evidence add",
                Body::Evidence(Evidence {
                    kind: a.kind,
                    title: a.title.clone().unwrap_or_else(|| attachment.name.clone()),
                    requirements: a.requirements.clone(),
                    subject,
                    payload: serde_json::Value::Null,
                    attachments: vec![attachment],
                    findings: vec![],
                }),
            );
            record.supersedes = supersedes;
            let done = store.append_one(record)?;
            if a.json {
                output::print(&format!(
                    "{}\n",
                    serde_json::json!({"id": done.id.to_string(), "leaf": done.leaf})
                ))
            } else {
                output::print(&format!("{}\n", done.id))
            }
        }
        EvidenceCmd::List(a) => {
            let store = s.open()?;
            let rows = store.list(a.requirement.as_deref(), a.product.as_deref())?;
            if a.json {
                return output::print(&(serde_json::to_string_pretty(&rows)? + "\n"));
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
                    r.kind,
                    r.created,
                    r.title,
                    r.subject
                ));
            }
            out.push_str(&format!("{} record(s)\n", rows.len()));
            output::print(&out)
        }
        EvidenceCmd::Show(a) => {
            let store = s.open()?;
            let r = store.get(&a.id)?;
            if a.json {
                return output::print(&(String::from_utf8_lossy(&r.json).into_owned() + "\n"));
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

pub fn ledger(cmd: &LedgerCmd, s: &StoreArg) -> Result<()> {
    let mut store = s.open()?;
    match cmd {
        LedgerCmd::Status(f) => {
            let size = store.size()?;
            let root = store.root()?;
            let cp = store.latest_checkpoint()?;
            let v = serde_json::json!({
                "store": store.dir().display().to_string(),
                "origin": store.origin(),
                "size": size,
                "root": B64.encode(root),
                "checkpoint_size": cp.as_ref().map(|c| c.size),
                "vkey": store.vkey_text(),
            });
            if f.json {
                output::print(&(serde_json::to_string_pretty(&v)? + "\n"))
            } else {
                output::print(&format!(
                    "store:       {}\norigin:      {}\nsize:        {size}\nroot:        {}\ncheckpoint:  {}\nvkey:        {}\n",
                    store.dir().display(),
                    store.origin(),
                    B64.encode(root),
                    cp.map(|c| format!("signed at size {}", c.size))
                        .unwrap_or_else(|| "none yet".into()),
                    store.vkey_text()
                ))
            }
        }
        LedgerCmd::Checkpoint => {
            let cp = store.checkpoint()?;
            output::print(&cp.note)
        }
        LedgerCmd::Prove(a) => {
            store.checkpoint()?;
            let p = store.prove(&a.id)?;
            otproof_ledger::verify_inclusion(
                &otproof_store::record_leaf(&p.id),
                p.leaf,
                p.size,
                &p.proof,
                &p.checkpoint.root,
            )
            .map_err(|e| {
                Failed(format!(
                    "the store produced a proof that does not verify: {e}"
                ))
            })?;
            let v = serde_json::json!({
                "id": p.id.to_string(),
                "leaf": p.leaf,
                "size": p.size,
                "leaf_hash": B64.encode(otproof_store::record_leaf(&p.id)),
                "proof": p.proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
                "checkpoint": p.checkpoint.note,
            });
            output::print(&(serde_json::to_string_pretty(&v)? + "\n"))
        }
        LedgerCmd::Consistency(a) => {
            let size = store.size()?;
            let new = a.new_size.unwrap_or(size);
            if a.old_size > new || new > size {
                bail!(
                    "sizes {} -> {new}: expected OLD_SIZE <= NEW_SIZE <= {size} (the current size)",
                    a.old_size
                );
            }
            let proof = store.consistency(a.old_size, new)?;
            let old_root = store.root_at(a.old_size)?;
            let new_root = store.root_at(new)?;
            otproof_ledger::verify_consistency(a.old_size, new, &proof, &old_root, &new_root)
                .map_err(|e| Failed(format!("consistency proof does not verify: {e}")))?;
            let v = serde_json::json!({
                "old_size": a.old_size,
                "new_size": new,
                "old_root": B64.encode(old_root),
                "new_root": B64.encode(new_root),
                "proof": proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
            });
            output::print(&(serde_json::to_string_pretty(&v)? + "\n"))
        }
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
    if !a.all && a.product.is_none() {
        bail!("say what to export: --product NAME or --all");
    }
    let mut store = s.open()?;
    let rows = store.list(None, a.product.as_deref())?;
    if rows.is_empty() {
        bail!(
            "nothing to export: no records{}",
            a.product
                .as_ref()
                .map(|p| format!(" about product '{p}'"))
                .unwrap_or_default()
        );
    }
    let ids: Vec<RecordId> = rows
        .iter()
        .map(|r| r.id.parse())
        .collect::<Result<_, _>>()
        .context("stored record IDs")?;
    let bytes = bundle::export(&mut store, &ids)?;
    output::write_bytes(&a.out, &bytes)?;
    output::note(&a.out, &format!("bundle of {} records", ids.len()));
    Ok(())
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle to verify (offline; no store needed). Without it, `--store [PATH]`
    /// recomputes a whole store instead: records, blobs, tree nodes, checkpoints.
    pub bundle: Option<PathBuf>,
    /// The ledger verifier key to trust (a `.vkey` file or the key text).
    #[arg(long, value_name = "VKEY")]
    pub key: Option<String>,
    /// Print the checks as JSON.
    #[arg(long)]
    pub json: bool,
}

fn print_report(report: &StoreReport, json: bool) -> Result<()> {
    if json {
        output::print(&(serde_json::to_string_pretty(report)? + "\n"))?;
    } else {
        let mut out = String::new();
        for c in &report.checks {
            let mark = if c.problems.is_empty() {
                "ok  "
            } else {
                "FAIL"
            };
            out.push_str(&format!("{mark}  {}\n", c.what));
            for p in &c.problems {
                out.push_str(&format!("      - {p}\n"));
            }
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

fn load_verifier(key: &str) -> Result<Verifier> {
    let text = if Path::new(key).is_file() {
        std::fs::read_to_string(key).with_context(|| format!("cannot read {key}"))?
    } else {
        key.to_string()
    };
    Verifier::from_vkey(text.trim()).map_err(|e| {
        anyhow::anyhow!("--key {key}: {e} (expected a verifier key NAME+HASH+KEY or a .vkey file)")
    })
}

pub fn verify(a: &VerifyArgs, s: &StoreArg) -> Result<()> {
    let Some(path) = &a.bundle else {
        if s.store.is_none() {
            bail!("give a bundle to verify (otproof verify bundle.tar), or --store to recompute a store");
        }
        let store = s.open()?;
        let report = store.verify()?;
        return print_report(&report, a.json);
    };
    let key = a.key.as_deref().map(load_verifier).transpose()?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match bundle::verify(&bytes, key.as_ref()) {
        Ok(report) => print_report(&report, a.json),
        Err(e) => Err(Failed(format!("{}: {e}", path.display())).into()),
    }
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
            let signer =
                Signer::generate(&a.name).map_err(|e| anyhow::anyhow!("--name {}: {e}", a.name))?;
            let prefix = a
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(a.name.replace(['/', '\\', ' '], "-")));
            let skey = PathBuf::from(format!("{}.skey", prefix.display()));
            let vkey = PathBuf::from(format!("{}.vkey", prefix.display()));
            otproof_store::write_key_pair(&signer, &skey, &vkey)?;
            println!("wrote {} (private, mode 0600)", skey.display());
            println!("wrote {}", vkey.display());
            println!("{}", signer.vkey_text());
            Ok(())
        }
    }
}

/// Record evidence with files an otproof command wrote attached as blobs.
pub fn record_output(
    store: &mut Store,
    mut evidence: Evidence,
    files: &[&Path],
    operation: &str,
) -> Result<RecordId> {
    for f in files {
        evidence.attachments.push(attach(store, f, None)?);
    }
    let record = Record::new(operation, Body::Evidence(evidence));
    append_idempotent(store, record)
}

/// Append a record; the same record again (same content and time) is already there: its ID.
pub fn append_idempotent(store: &mut Store, record: Record) -> Result<RecordId> {
    let id = record.id()?;
    match store.append_one(record) {
        Ok(a) => Ok(a.id),
        Err(otproof_store::StoreError::Duplicate(_)) => Ok(id),
        Err(e) => Err(e.into()),
    }
}
