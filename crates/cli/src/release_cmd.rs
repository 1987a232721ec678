//! `otproof release sign`, `otproof verify-artifact`, `otproof update approve` and
//! `otproof identity register|verify`: argument parsing, files, exit codes (0 verified or
//! approved, 1 rejected with the failing check named, 2 malformed input) and store records.

use crate::output;
use crate::store_cmd::{self, Failed, StoreArg};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use otproof_assess::update::{
    decide, EvidenceFact, SbomChange, SignatureFact, UpdatePolicy, UpdateRequest,
};
use otproof_evidence::{
    Artifact, Body, Evidence, EvidenceKind, Record, RecordId, Sha256Digest, Subject, Verdict,
};
use otproof_sign::dsse::Envelope;
use otproof_sign::identity::IdentityStatement;
use otproof_sign::intoto::{self, ReleasePredicate, SbomRef};
use otproof_sign::keys::{self, Alg, SigningKey, VerifyingKey};
use otproof_sign::SignError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const EXAMPLES_RELEASE: &str = "Examples:
  otproof key gen --name vendor-release --alg p256
  otproof release sign rio-2000-4.3.0.bin --key vendor-release.key --product RIO-2000 --version 4.3.0 \\
      --sbom rio-2000-4.3.0.cdx.json --out rio-2000-4.3.0.intoto.json
  otproof verify-artifact rio-2000-4.3.0.bin --envelope rio-2000-4.3.0.intoto.json --key vendor-release.pub";

/// `otproof release`.
#[derive(Debug, Subcommand)]
pub enum ReleaseCmd {
    /// Sign an artifact: a DSSE envelope with an in-toto Statement (subject = the artifact's
    /// SHA-256; predicate = product, version, SBOM digest, evidence record IDs).
    #[command(after_help = EXAMPLES_RELEASE)]
    Sign(SignArgs),
}

/// `otproof release sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The artifact (firmware image, package).
    pub artifact: PathBuf,
    /// Private key (PKCS#8 PEM from `otproof key gen --alg ...`, mode 0600).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Product name.
    #[arg(long)]
    pub product: String,
    /// Product version.
    #[arg(long)]
    pub version: String,
    /// The release's SBOM (its digest goes into the statement).
    #[arg(long, value_name = "FILE")]
    pub sbom: Option<PathBuf>,
    /// Evidence record IDs behind the release (campaigns, checks); checked against the store.
    #[arg(long, value_name = "ID")]
    pub evidence: Vec<String>,
    /// Where to write the envelope (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `otproof verify-artifact`: one mode per kind of signature.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  otproof verify-artifact fw.bin --envelope fw.intoto.json --key vendor.pub
  otproof verify-artifact fw.bin --bundle fw.sigstore.json --trusted-root trusted_root.json \\
      --identity release@vendor.example --issuer https://accounts.google.com
  otproof verify-artifact fw.bin --cms fw.p7s --trust-anchor vendor-ca.pem
  otproof verify-artifact fw.bin --tuf-repo repo/ --root root.json --target fw.bin")]
pub struct VerifyArtifactArgs {
    /// The artifact.
    pub artifact: PathBuf,
    /// DSSE envelope (otproof or any in-toto producer).
    #[arg(long, value_name = "FILE", requires = "key", conflicts_with_all = ["bundle", "cms", "tuf_repo"])]
    pub envelope: Option<PathBuf>,
    /// Public key(s) for --envelope (SPKI PEM); repeatable.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// Sigstore bundle (v0.1-v0.3), verified offline.
    #[arg(long, value_name = "FILE", requires = "trusted_root", conflicts_with_all = ["cms", "tuf_repo"])]
    pub bundle: Option<PathBuf>,
    /// Sigstore trusted root (trusted_root.json).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Required signer identity (certificate SAN: e-mail or URI).
    #[arg(long)]
    pub identity: Option<String>,
    /// Required OIDC issuer.
    #[arg(long)]
    pub issuer: Option<String>,
    /// CMS / PKCS#7 detached signature (DER or PEM).
    #[arg(
        long,
        value_name = "FILE",
        requires = "trust_anchor",
        conflicts_with = "tuf_repo"
    )]
    pub cms: Option<PathBuf>,
    /// Trust anchor certificate(s) for --cms (PEM).
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
    /// Time the CMS signature is judged at (RFC 3339; default: its signing-time attribute).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// TUF repository folder (metadata/ and targets/).
    #[arg(long, value_name = "DIR", requires_all = ["root", "target"])]
    pub tuf_repo: Option<PathBuf>,
    /// Trusted TUF root.json for --tuf-repo.
    #[arg(long, value_name = "FILE")]
    pub root: Option<PathBuf>,
    /// Target name in the TUF repository.
    #[arg(long)]
    pub target: Option<String>,
}

/// `otproof update`.
#[derive(Debug, Subcommand)]
pub enum UpdateCmd {
    /// Approve or reject an update from evidence: signature, release statement, required
    /// evidence for the new version, SBOM difference; writes a Decision record (exit 1 on reject).
    Approve(ApproveArgs),
}

/// `otproof update approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The new artifact.
    pub artifact: PathBuf,
    /// Its DSSE release envelope.
    #[arg(long, value_name = "FILE")]
    pub envelope: PathBuf,
    /// Trusted vendor key(s) (SPKI PEM).
    #[arg(long, value_name = "FILE", required = true)]
    pub key: Vec<PathBuf>,
    /// Product.
    #[arg(long)]
    pub product: String,
    /// Installed version.
    #[arg(long)]
    pub from_version: String,
    /// Proposed version.
    #[arg(long)]
    pub to_version: String,
    /// The new version's SBOM (compared with the previous version's SBOM in the store).
    #[arg(long, value_name = "FILE")]
    pub sbom: Option<PathBuf>,
    /// The installed version's SBOM (default: from its release record in the store).
    #[arg(long, value_name = "FILE")]
    pub previous_sbom: Option<PathBuf>,
    /// Update policy (YAML: require_robustness, require_sbom_check, reject_introduced_at).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Vulnerability database for the SBOM comparison (default: vulndb.sqlite in the store).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Who decides (recorded).
    #[arg(long, default_value = "otproof update approve")]
    pub decided_by: String,
}

/// `otproof identity`.
#[derive(Debug, Subcommand)]
pub enum IdentityCmd {
    /// Sign an identity statement binding a device or agent key to product and serial.
    Register(RegisterArgs),
    /// Verify an identity statement (and, with --data, an envelope signed by that device).
    Verify(IdentityVerifyArgs),
}

/// `otproof identity register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Device or agent name.
    #[arg(long)]
    pub name: String,
    /// The device's public key (SPKI PEM).
    #[arg(long, value_name = "FILE")]
    pub pubkey: PathBuf,
    /// The vendor's private key.
    #[arg(long, value_name = "FILE")]
    pub vendor_key: PathBuf,
    /// Vendor name.
    #[arg(long)]
    pub vendor: String,
    /// Product.
    #[arg(long)]
    pub product: String,
    /// Serial number.
    #[arg(long)]
    pub serial: String,
    /// Where to write the signed identity (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `otproof identity verify`.
#[derive(Debug, Args)]
pub struct IdentityVerifyArgs {
    /// The signed identity (from `identity register`).
    pub identity: PathBuf,
    /// The vendor's public key(s).
    #[arg(long = "vendor-pub", value_name = "FILE", required = true)]
    pub vendor_pub: Vec<PathBuf>,
    /// An envelope signed by the device: verified against the registered device key.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

fn sha256_file(path: &Path) -> Result<(String, u64)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)
        .with_context(|| format!("cannot read artifact {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((Sha256Digest(h.finalize().into()).hex(), n))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn public_keys(paths: &[PathBuf]) -> Result<Vec<VerifyingKey>> {
    paths
        .iter()
        .map(|p| {
            let text = String::from_utf8(read(p, "public key")?).map_err(|_| {
                anyhow::anyhow!("{}: not text (expected a PEM public key)", p.display())
            })?;
            VerifyingKey::from_pem(&text).with_context(|| {
                format!(
                    "{}: not a public key (expected SPKI \"PUBLIC KEY\" PEM, Ed25519 or P-256)",
                    p.display()
                )
            })
        })
        .collect()
}

fn envelope(path: &Path) -> Result<Envelope> {
    Envelope::from_json(&read(path, "envelope")?)
        .with_context(|| format!("{}: not a DSSE envelope", path.display()))
}

/// A verification failure is exit 1 with the check named; malformed input is exit 2.
fn rejected(e: SignError, what: &Path) -> anyhow::Error {
    match e {
        SignError::Parse { .. } | SignError::Io { .. } => {
            anyhow::Error::new(e).context(format!("{}: malformed", what.display()))
        }
        other => Failed(format!("{}: rejected: {other}", what.display())).into(),
    }
}

/// `otproof key gen --alg`: a signing key pair (PREFIX.key mode 0600, PREFIX.pub).
pub fn key_gen(name: &str, alg: &str, out: Option<&Path>) -> Result<()> {
    let alg = match alg {
        "ed25519" => Alg::Ed25519,
        "p256" => Alg::P256,
        other => bail!("--alg {other}: expected ed25519 or p256"),
    };
    let key = SigningKey::generate(alg).context("generating the key")?;
    let prefix = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name.replace(['/', '\\', ' '], "-")));
    let private = PathBuf::from(format!("{}.key", prefix.display()));
    let public = PathBuf::from(format!("{}.pub", prefix.display()));
    if public.exists() {
        bail!(
            "{} exists: not overwriting a key (choose another --out)",
            public.display()
        );
    }
    keys::write_private_key(&private, &key)?;
    let vk = key.verifying_key();
    output::write(&public, &vk.to_pem())?;
    println!("wrote {} (private, mode 0600)", private.display());
    println!("wrote {}", public.display());
    println!("key id {}", vk.key_id());
    Ok(())
}

/// `otproof release sign`.
pub fn release(cmd: &ReleaseCmd, s: &StoreArg) -> Result<()> {
    let ReleaseCmd::Sign(a) = cmd;
    let mut store = s.open_if_any()?;
    sign_release(a, store.as_mut(), true)?;
    Ok(())
}

/// Sign a release (and record it when there is a store); the record's ID, if recorded.
pub fn sign_release(
    a: &SignArgs,
    store: Option<&mut otproof_store::Store>,
    verbose: bool,
) -> Result<Option<RecordId>> {
    let key = keys::read_private_key(&a.key).map_err(anyhow::Error::new)?;
    let (digest, size) = sha256_file(&a.artifact)?;
    let sbom = match &a.sbom {
        Some(p) => {
            let bytes = read(p, "SBOM")?;
            otproof_sbom::parse(&bytes).with_context(|| {
                format!(
                    "{}: not a readable SBOM (expected CycloneDX or SPDX)",
                    p.display()
                )
            })?;
            Some((p.clone(), bytes))
        }
        None => None,
    };
    let mut evidence_ids = Vec::new();
    for id in &a.evidence {
        match store.as_deref() {
            Some(st) => {
                let r = st
                    .get(id)
                    .with_context(|| format!("--evidence {id}: not in the store"))?;
                evidence_ids.push(r.id.to_string());
            }
            None => bail!("--evidence {id}: no store to check it against (run inside a store made by `otproof init`)"),
        }
    }
    let predicate = ReleasePredicate {
        product: a.product.clone(),
        version: a.version.clone(),
        sbom: sbom.as_ref().map(|(p, b)| SbomRef {
            name: file_name(p),
            sha256: Sha256Digest::of(b).hex(),
        }),
        evidence: evidence_ids.clone(),
        build: Some(
            serde_json::json!({"builder": format!("otproof {}", env!("CARGO_PKG_VERSION"))}),
        ),
        created: otproof_evidence::now_rfc3339(),
    };
    let statement = intoto::release_statement(&file_name(&a.artifact), &digest, predicate)?;
    let env = intoto::sign_statement(&statement, &key)?;
    let json = env.to_json();
    output::write_bytes(&a.out, &json)?;
    if verbose {
        eprintln!(
            "signed {} (sha256 {digest}, {size} bytes) as {} {} with key {}; wrote {}",
            a.artifact.display(),
            a.product,
            a.version,
            key.verifying_key().key_id(),
            a.out.display()
        );
    }
    if let Some(store) = store {
        let sha: Sha256Digest = digest.parse().context("artifact digest")?;
        let mut attachments = vec![store_cmd::attach(store, &a.out, Some("application/json"))?];
        if let Some((p, bytes)) = &sbom {
            attachments.push(otproof_evidence::Attachment {
                name: file_name(p),
                media_type: store_cmd::media_type_of(p).to_string(),
                sha256: store.put_blob(bytes)?,
                size: bytes.len() as u64,
            });
        }
        let evidence = Evidence {
            kind: EvidenceKind::Release,
            title: format!("Signed release {} {}", a.product, a.version),
            requirements: otproof_catalog::traces::RELEASE
                .iter()
                .map(|s| s.to_string())
                .collect(),
            subject: Subject::Product {
                vendor: String::new(),
                product: a.product.clone(),
                version: Some(a.version.clone()),
                component_type: None,
                artifacts: vec![Artifact {
                    name: file_name(&a.artifact),
                    sha256: sha,
                }],
            },
            payload: serde_json::json!({
                "envelope_sha256": Sha256Digest::of(&json).hex(),
                "key_id": key.verifying_key().key_id(),
                "artifact_size": size,
                "sbom": sbom.as_ref().map(|(p, b)| serde_json::json!({"name": file_name(p), "sha256": Sha256Digest::of(b).hex()})),
                "evidence": evidence_ids,
            }),
            attachments,
            findings: vec![],
        };
        let id = store
            .append_one(Record::new("release sign", Body::Evidence(evidence)))?
            .id;
        if verbose {
            eprintln!("recorded as evidence {id} in {}", store.dir().display());
        }
        return Ok(Some(id));
    }
    Ok(None)
}

/// `otproof verify-artifact`.
pub fn verify_artifact(a: &VerifyArtifactArgs) -> Result<()> {
    if let Some(env_path) = &a.envelope {
        let keys = public_keys(&a.key)?;
        let env = envelope(env_path)?;
        let bytes = read(&a.artifact, "artifact")?;
        let statement = otproof_sign::intoto::verify_statement(&env, &keys)
            .map_err(|e| rejected(e, env_path))?;
        let digest = Sha256Digest::of(&bytes).hex();
        let subject = statement.subject.iter().find(|s| {
            s.digest
                .get("sha256")
                .is_some_and(|d| d.eq_ignore_ascii_case(&digest))
        });
        let Some(subject) = subject else {
            return Err(Failed(format!(
                "{}: rejected: digest: the artifact's sha256 {digest} is not a subject of the signed statement",
                a.artifact.display()
            ))
            .into());
        };
        println!(
            "verified: {} (sha256 {digest}) is subject {:?} of a {} statement signed by a trusted key",
            a.artifact.display(),
            subject.name,
            statement.predicate_type
        );
        if statement.predicate_type == otproof_sign::intoto::RELEASE_PREDICATE_TYPE {
            if let Ok(p) = serde_json::from_value::<ReleasePredicate>(statement.predicate.clone()) {
                println!(
                    "release: {} {}, created {}, {} evidence record(s){}",
                    p.product,
                    p.version,
                    p.created,
                    p.evidence.len(),
                    p.sbom
                        .map(|s| format!(", SBOM {} sha256 {}", s.name, s.sha256))
                        .unwrap_or_default()
                );
            }
        }
        return Ok(());
    }
    if let Some(bundle_path) = &a.bundle {
        let root_path = a
            .trusted_root
            .as_ref()
            .context("--bundle needs --trusted-root")?;
        let bundle = otproof_sigstore::Bundle::from_json(&read(bundle_path, "Sigstore bundle")?)
            .map_err(|e| sigstore_error(e, bundle_path))?;
        let root = otproof_sigstore::TrustedRoot::from_json(&read(root_path, "trusted root")?)
            .map_err(|e| sigstore_error(e, root_path))?;
        let artifact = read(&a.artifact, "artifact")?;
        let policy = otproof_sigstore::Policy {
            identity: a.identity.clone(),
            issuer: a.issuer.clone(),
        };
        let v = otproof_sigstore::verify(&artifact, &bundle, &root, &policy)
            .map_err(|e| sigstore_error(e, bundle_path))?;
        println!(
            "verified: {} with Sigstore bundle {} (identity {}, issuer {}, log index {})",
            a.artifact.display(),
            bundle_path.display(),
            v.identity.as_deref().unwrap_or("-"),
            v.issuer.as_deref().unwrap_or("-"),
            v.log_index
                .map(|i| i.to_string())
                .unwrap_or_else(|| "-".into())
        );
        for c in &v.checks {
            println!("  ok  {c}");
        }
        return Ok(());
    }
    if let Some(sig) = &a.cms {
        let anchor_path = a
            .trust_anchor
            .as_ref()
            .context("--cms needs --trust-anchor")?;
        let anchors = otproof_cms::TrustAnchor::from_pem(&read(anchor_path, "trust anchor")?)
            .map_err(|e| cms_error(e, anchor_path))?;
        let at = match &a.at {
            Some(t) => Some(
                jiff::Timestamp::from_str(t)
                    .map_err(|e| anyhow::anyhow!("--at {t}: {e} (expected RFC 3339)"))?
                    .as_second(),
            ),
            None => None,
        };
        let content = read(&a.artifact, "artifact")?;
        let v = otproof_cms::verify_detached(&content, &read(sig, "signature")?, &anchors, at)
            .map_err(|e| cms_error(e, sig))?;
        println!(
            "verified: {} with CMS signature {} by {} (serial {}), signed {}",
            a.artifact.display(),
            sig.display(),
            v.signer_subject,
            v.signer_serial,
            v.signing_time.as_deref().unwrap_or("at an unstated time")
        );
        println!("chain: {}", v.chain.join(" <- "));
        for c in &v.checks {
            println!("  ok  {c}");
        }
        return Ok(());
    }
    if let Some(repo) = &a.tuf_repo {
        let root = a.root.as_ref().context("--tuf-repo needs --root")?;
        let target = a.target.as_ref().context("--tuf-repo needs --target")?;
        let artifact = read(&a.artifact, "artifact")?;
        let v = otproof_tuf::verify_target(repo, root, target, Some(&artifact), None)
            .map_err(|e| tuf_error(e, repo))?;
        println!(
            "verified: {} is TUF target {:?} ({} bytes, sha256 {}), root version {}, targets version {}",
            a.artifact.display(),
            v.target,
            v.length,
            v.sha256,
            v.root_version,
            v.targets_version
        );
        for c in &v.checks {
            println!("  ok  {c}");
        }
        return Ok(());
    }
    bail!("say how to verify: --envelope with --key, --bundle with --trusted-root, --cms with --trust-anchor, or --tuf-repo with --root and --target")
}

use std::str::FromStr as _;

fn sigstore_error(e: otproof_sigstore::SigstoreError, what: &Path) -> anyhow::Error {
    match e {
        otproof_sigstore::SigstoreError::Check { .. } => {
            Failed(format!("{}: rejected: {e}", what.display())).into()
        }
        other => anyhow::Error::new(other).context(format!("{}: malformed", what.display())),
    }
}

fn cms_error(e: otproof_cms::CmsError, what: &Path) -> anyhow::Error {
    match e {
        otproof_cms::CmsError::Check { .. } => {
            Failed(format!("{}: rejected: {e}", what.display())).into()
        }
        other => anyhow::Error::new(other).context(format!("{}: malformed", what.display())),
    }
}

fn tuf_error(e: otproof_tuf::TufError, what: &Path) -> anyhow::Error {
    match e {
        otproof_tuf::TufError::Check { .. } => {
            Failed(format!("{}: rejected: {e}", what.display())).into()
        }
        other => anyhow::Error::new(other).context(format!("{}: malformed", what.display())),
    }
}

/// Evidence records in the store about `product` at `version`, as facts for a decision.
fn evidence_for(
    store: &otproof_store::Store,
    product: &str,
    version: &str,
) -> Result<Vec<(EvidenceFact, Record)>> {
    let mut out = Vec::new();
    for summary in store.list(None, Some(product))? {
        let stored = store.get(&summary.id)?;
        if let Body::Evidence(ev) = &stored.record.body {
            let v = match &ev.subject {
                Subject::Product { version, .. } => version.as_deref(),
                _ => None,
            };
            if v == Some(version) {
                let kind = serde_json::to_value(ev.kind)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                out.push((
                    EvidenceFact {
                        id: stored.id,
                        kind,
                        title: ev.title.clone(),
                        open_findings: ev
                            .findings
                            .iter()
                            .filter(|f| f.status == otproof_evidence::FindingStatus::Open)
                            .count(),
                    },
                    stored.record.clone(),
                ));
            }
        }
    }
    Ok(out)
}

/// The SBOM a release record or SBOM check in the store carries for a version.
fn stored_sbom(
    store: &otproof_store::Store,
    records: &[(EvidenceFact, Record)],
) -> Option<Vec<u8>> {
    for (fact, record) in records {
        if fact.kind != "release" && fact.kind != "sbom-check" {
            continue;
        }
        if let Body::Evidence(ev) = &record.body {
            for att in &ev.attachments {
                if att.media_type == "application/json" && att.name.ends_with(".intoto.json") {
                    continue;
                }
                if let Ok(bytes) = store.blobs().get(&att.sha256) {
                    if otproof_sbom::parse(&bytes).is_ok() {
                        return Some(bytes);
                    }
                }
            }
        }
    }
    None
}

/// `otproof update approve`.
pub fn update(cmd: &UpdateCmd, s: &StoreArg) -> Result<()> {
    let UpdateCmd::Approve(a) = cmd;
    let mut store = s.open().context(
        "update approval records its decision and looks up evidence in a store (run `otproof init`)",
    )?;
    let (decision, id) = approve(a, &mut store)?;
    for c in &decision.criteria {
        println!(
            "{:<5} {}  {}",
            c.id,
            match c.result {
                otproof_evidence::CriterionResult::Pass => "pass",
                otproof_evidence::CriterionResult::Fail => "FAIL",
                otproof_evidence::CriterionResult::Exception => "exception",
                otproof_evidence::CriterionResult::NotApplicable => "n/a",
            },
            c.description
        );
    }
    let approved = decision.decision == Verdict::Approve;
    println!(
        "decision: {} ({}), recorded as {id}",
        if approved { "approve" } else { "reject" },
        decision.title
    );
    if approved {
        Ok(())
    } else {
        Err(Failed(format!(
            "update rejected: see the FAIL lines; decision {id}"
        ))
        .into())
    }
}

/// Establish the facts for an update, decide, and record the Decision in `store`.
pub fn approve(
    a: &ApproveArgs,
    store: &mut otproof_store::Store,
) -> Result<(otproof_evidence::Decision, RecordId)> {
    let keys = public_keys(&a.key)?;
    let env = envelope(&a.envelope)?;
    let (digest, _) = sha256_file(&a.artifact)?;
    let signature = match intoto::verify_release(&env, &keys, intoto::Artifact::Sha256Hex(&digest))
    {
        Ok((_, p)) => SignatureFact {
            verified: true,
            detail: format!("DSSE release statement verified, artifact sha256 {digest}"),
            product: Some(p.product),
            version: Some(p.version),
            artifact_sha256: digest.clone(),
        },
        Err(e @ (SignError::Parse { .. } | SignError::Io { .. })) => {
            return Err(
                anyhow::Error::new(e).context(format!("{}: malformed", a.envelope.display()))
            )
        }
        Err(e) => SignatureFact {
            verified: false,
            detail: e.to_string(),
            product: None,
            version: None,
            artifact_sha256: digest.clone(),
        },
    };
    let policy = match &a.policy {
        Some(p) => {
            let text = String::from_utf8(read(p, "policy")?)
                .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text (expected YAML)", p.display()))?;
            if text.trim().is_empty() {
                UpdatePolicy::default()
            } else {
                serde_saphyr::from_str::<UpdatePolicy>(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{}: bad update policy: {e} (expected the keys require_robustness, require_sbom_check, reject_introduced_at)",
                        p.display()
                    )
                })?
            }
        }
        None => UpdatePolicy::default(),
    };
    let new_records = evidence_for(store, &a.product, &a.to_version)?;
    let old_records = evidence_for(store, &a.product, &a.from_version)?;
    let release_record = new_records
        .iter()
        .find(|(f, r)| {
            f.kind == "release"
                && matches!(&r.body, Body::Evidence(ev) if matches!(&ev.subject, Subject::Product { artifacts, .. } if artifacts.iter().any(|x| x.sha256.to_string().ends_with(&digest))))
        })
        .map(|(f, _)| f.id);
    let sbom = match &a.sbom {
        Some(new_path) => {
            let new_bytes = read(new_path, "SBOM")?;
            let new_doc = otproof_sbom::parse(&new_bytes)
                .with_context(|| format!("{}: not a readable SBOM", new_path.display()))?;
            let old_bytes = match &a.previous_sbom {
                Some(p) => Some(read(p, "SBOM")?),
                None => stored_sbom(store, &old_records),
            };
            match old_bytes {
                Some(b) => {
                    let old_doc = otproof_sbom::parse(&b)
                        .context("the previous version's SBOM is not readable")?;
                    let db_path =
                        a.db.clone()
                            .unwrap_or_else(|| store.dir().join("vulndb.sqlite"));
                    let matcher = if db_path.is_file() {
                        Some(otproof_vulndb::VulnDb::open(&db_path)?.matcher()?)
                    } else {
                        eprintln!(
                            "no vulnerability database at {}: comparing components only",
                            db_path.display()
                        );
                        None
                    };
                    let d = otproof_sbomcheck::diff(&old_doc, &new_doc, matcher.as_ref());
                    Some(SbomChange {
                        added: d.added,
                        removed: d.removed,
                        changed: d.changed,
                        fixed: d.fixed,
                        introduced: d
                            .introduced
                            .into_iter()
                            .map(|(id, s)| (id, otproof_sbomcheck::severity_name(s).to_string()))
                            .collect(),
                    })
                }
                None => {
                    eprintln!(
                        "no SBOM of {} {} in the store (pass --previous-sbom): cannot compare",
                        a.product, a.from_version
                    );
                    None
                }
            }
        }
        None => None,
    };
    let req = UpdateRequest {
        product: a.product.clone(),
        from_version: a.from_version.clone(),
        to_version: a.to_version.clone(),
        artifact: file_name(&a.artifact),
        signature,
        release_record,
        evidence: new_records.into_iter().map(|(f, _)| f).collect(),
        sbom,
    };
    let decision = decide(&req, &policy, &a.decided_by);
    let id: RecordId = store
        .append_one(Record::new(
            "update approve",
            Body::Decision(decision.clone()),
        ))?
        .id;
    Ok((decision, id))
}

/// `otproof identity`.
pub fn identity(cmd: &IdentityCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        IdentityCmd::Register(a) => {
            let vendor = keys::read_private_key(&a.vendor_key).map_err(anyhow::Error::new)?;
            let device_pem = String::from_utf8(read(&a.pubkey, "device public key")?)
                .map_err(|_| anyhow::anyhow!("{}: not a PEM file", a.pubkey.display()))?;
            let device = VerifyingKey::from_pem(&device_pem).with_context(|| {
                format!(
                    "{}: not a public key (expected SPKI PEM, Ed25519 or P-256)",
                    a.pubkey.display()
                )
            })?;
            let statement = IdentityStatement {
                name: a.name.clone(),
                product: a.product.clone(),
                serial: a.serial.clone(),
                device_key: device.to_pem(),
                vendor: a.vendor.clone(),
                issued: otproof_evidence::now_rfc3339(),
            };
            let env = otproof_sign::identity::register(&statement, &vendor)?;
            output::write_bytes(&a.out, &env.to_json())?;
            eprintln!(
                "registered {} ({} serial {}, device key {}) signed by vendor key {}; wrote {}",
                a.name,
                a.product,
                a.serial,
                device.key_id(),
                vendor.verifying_key().key_id(),
                a.out.display()
            );
            if let Some(store) = s.open_if_any()?.as_mut() {
                let evidence = Evidence {
                    kind: EvidenceKind::Document,
                    title: format!(
                        "Device identity {} ({} serial {})",
                        a.name, a.product, a.serial
                    ),
                    requirements: otproof_catalog::traces::IDENTITY
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    subject: Subject::Product {
                        vendor: a.vendor.clone(),
                        product: a.product.clone(),
                        version: None,
                        component_type: None,
                        artifacts: vec![],
                    },
                    payload: serde_json::json!({
                        "name": a.name, "serial": a.serial,
                        "device_key_id": device.key_id(),
                        "vendor_key_id": vendor.verifying_key().key_id(),
                    }),
                    attachments: vec![store_cmd::attach(store, &a.out, Some("application/json"))?],
                    findings: vec![],
                };
                let id = store
                    .append_one(Record::new("identity register", Body::Evidence(evidence)))?
                    .id;
                eprintln!("recorded as evidence {id} in {}", store.dir().display());
            }
            Ok(())
        }
        IdentityCmd::Verify(a) => {
            let keys = public_keys(&a.vendor_pub)?;
            let env = envelope(&a.identity)?;
            let id = otproof_sign::identity::verify_identity(&env, &keys)
                .map_err(|e| rejected(e, &a.identity))?;
            let device = id.device_verifying_key()?;
            println!(
                "verified identity: {} ({} serial {}), vendor {}, device key {}, issued {}",
                id.name,
                id.product,
                id.serial,
                id.vendor,
                device.key_id(),
                id.issued
            );
            if let Some(data) = &a.data {
                let denv = envelope(data)?;
                let v = otproof_sign::identity::verify_signed_by_identity(&id, &denv)
                    .map_err(|e| rejected(e, data))?;
                println!(
                    "verified: {} is signed by {} ({} bytes of {})",
                    data.display(),
                    id.name,
                    v.payload.len(),
                    v.payload_type
                );
            }
            Ok(())
        }
    }
}

/// `otproof verify-layout`: an in-toto (v0.9) layout and its links.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  otproof verify-layout root.layout --owner-key alice.pub --links links/ --at 2022-06-01T00:00:00Z")]
pub struct VerifyLayoutArgs {
    /// The signed layout.
    pub layout: PathBuf,
    /// The layout owner's public key (PEM: RSA, Ed25519 or P-256); repeatable.
    #[arg(long = "owner-key", value_name = "FILE", required = true)]
    pub owner_key: Vec<PathBuf>,
    /// Signature scheme for RSA owner keys.
    #[arg(long, default_value = "rsassa-pss-sha256")]
    pub scheme: String,
    /// Folder of link files (`STEP.KEYID.link`).
    #[arg(long, value_name = "DIR")]
    pub links: PathBuf,
    /// Judge expiry at this time (RFC 3339; default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Accept a layout whose inspections (commands) were not run, listing what was not checked;
    /// otproof never executes layout commands.
    #[arg(long)]
    pub allow_unrun_inspections: bool,
}

/// `otproof verify-layout`.
pub fn verify_layout(a: &VerifyLayoutArgs) -> Result<()> {
    use otproof_sign::layout::{self, InTotoKey, LayoutVerifyOptions, Metablock};
    let layout = Metablock::from_json(&read(&a.layout, "layout")?)
        .with_context(|| format!("{}: not an in-toto layout", a.layout.display()))?;
    let mut owners = Vec::new();
    for p in &a.owner_key {
        let pem = String::from_utf8(read(p, "owner key")?)
            .map_err(|_| anyhow::anyhow!("{}: not a PEM file", p.display()))?;
        let key = match VerifyingKey::from_pem(&pem) {
            Ok(k) => InTotoKey::from_verifying_key(&k),
            Err(_) => InTotoKey::rsa_from_pem(&pem, &a.scheme).with_context(|| {
                format!(
                    "{}: not a public key (expected PEM: RSA, Ed25519 or P-256)",
                    p.display()
                )
            })?,
        };
        owners.push(key);
    }
    let links = layout::read_links_dir(&a.links).map_err(anyhow::Error::new)?;
    let now = a.at.clone().unwrap_or_else(otproof_evidence::now_rfc3339);
    let opts = LayoutVerifyOptions {
        now: &now,
        allow_unrun_inspections: a.allow_unrun_inspections,
    };
    let report = layout::verify_layout(&layout, &owners, &links, &opts)
        .map_err(|e| rejected(e, &a.layout))?;
    for c in &report.checked {
        println!("  ok   {c}");
    }
    for w in &report.warnings {
        println!("  warn {w}");
    }
    for n in &report.not_checked {
        println!("  NOT CHECKED {n}");
    }
    if report.is_complete() {
        println!(
            "verified: {} ({} steps)",
            a.layout.display(),
            report.steps.len()
        );
    } else {
        println!(
            "verified except what is listed as NOT CHECKED: {} ({} steps)",
            a.layout.display(),
            report.steps.len()
        );
    }
    Ok(())
}
