//! `otproof release sign`, `otproof verify-artifact`, `otproof update approve` and
//! `otproof identity register|verify`: argument parsing, files, exit codes (0 verified or
//! approved, 1 rejected with the failing check named, 2 malformed input) and store records.

use crate::output;
use crate::output::{say, tell};
use crate::store_cmd::{Failed, StoreArg};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use otproof_evidence::payload::release::{CheckOutcome, SignatureDetail};
use otproof_evidence::{CriterionResult, Verdict};
use otproof_sign::keys::{self, Alg, SigningKey};
use otproof_store::Store;
use otproof_text::quote;
use otproof_workflow::records::file_name;
use otproof_workflow::release::{
    self, ApprovalInput, ArtifactMethod, CheckResult, IdentityInput, LayoutInput, ReleaseInput,
};
use otproof_workflow::settings::Settings;
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
    /// Required unless the policy sets `reject_introduced_at: null`.
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
    /// Allow a downgrade or re-install (to-version not above from-version); the
    /// justification is recorded in the decision as an exception.
    #[arg(long, value_name = "JUSTIFICATION")]
    pub allow_downgrade: Option<String>,
    /// Decide and print, record nothing.
    #[arg(long)]
    pub dry_run: bool,
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

/// The store given or found, if any.
fn store_if_any(s: &StoreArg) -> Result<Option<Store>> {
    s.open_if_any()
}

/// Settings for a command that needs the vulnerability database.
fn settings(s: &StoreArg, db: Option<&Path>) -> Result<Settings> {
    Ok(Settings {
        store: s.store.clone(),
        vulndb: db.map(Path::to_path_buf),
        cwd: std::env::current_dir().context("working directory")?,
    })
}

/// A check that did not pass in full is exit 1 naming the file and the failed check.
fn rejected(r: &CheckResult) -> anyhow::Error {
    let why = match &r.check.outcome {
        CheckOutcome::Failed { reason, .. } => reason.clone(),
        CheckOutcome::Verified | CheckOutcome::Incomplete => {
            format!("not checked: {}", r.check.not_checked.join("; "))
        }
    };
    Failed(format!("{}: rejected: {why}", r.about.display())).into()
}

/// Record a check when there is a store, saying so.
fn record_check(s: &StoreArg, r: &CheckResult, files: &[&Path]) -> Result<()> {
    if let Some(mut store) = store_if_any(s)? {
        let id = release::record_signature_check(&mut store, r, files)?;
        tell!(
            "recorded the check as evidence {id} in {}",
            store.dir().display()
        );
    }
    Ok(())
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
    say!("wrote {} (private, mode 0600)", private.display())?;
    say!("wrote {}", public.display())?;
    say!("key id {}", vk.key_id())?;
    Ok(())
}

/// `otproof release sign`: sign, write the envelope, record the release when there is a store.
pub fn release(cmd: &ReleaseCmd, s: &StoreArg) -> Result<()> {
    let ReleaseCmd::Sign(a) = cmd;
    let mut store = store_if_any(s)?;
    let input = ReleaseInput {
        artifact: a.artifact.clone(),
        key: a.key.clone(),
        product: a.product.clone(),
        version: a.version.clone(),
        sbom: a.sbom.clone(),
        evidence: a.evidence.clone(),
        envelope_name: file_name(&a.out),
    };
    let signed = release::sign_release(&input, store.as_ref())?;
    output::write_bytes(&a.out, &signed.envelope)?;
    tell!(
        "signed {} (sha256 {}, {} bytes) as {} {} with key {}; wrote {}",
        a.artifact.display(),
        signed.artifact.sha256,
        signed.artifact_size,
        a.product,
        a.version,
        signed.key_id,
        a.out.display()
    );
    if let Some(store) = store.as_mut() {
        let id = release::record_release(store, &signed)?;
        tell!("recorded as evidence {id} in {}", store.dir().display());
    }
    Ok(())
}

/// `otproof verify-artifact`: exit 0 verified, 1 rejected (check named), 2 malformed.
pub fn verify_artifact(a: &VerifyArtifactArgs, s: &StoreArg) -> Result<()> {
    let (method, signature) = if let Some(envelope) = &a.envelope {
        (
            ArtifactMethod::Dsse {
                envelope: envelope.clone(),
                keys: a.key.clone(),
            },
            Some(envelope),
        )
    } else if let Some(bundle) = &a.bundle {
        let trusted_root = a
            .trusted_root
            .clone()
            .context("--bundle needs --trusted-root")?;
        (
            ArtifactMethod::Sigstore {
                bundle: bundle.clone(),
                trusted_root,
                identity: a.identity.clone(),
                issuer: a.issuer.clone(),
            },
            Some(bundle),
        )
    } else if let Some(sig) = &a.cms {
        let trust_anchor = a
            .trust_anchor
            .clone()
            .context("--cms needs --trust-anchor")?;
        (
            ArtifactMethod::Cms {
                signature: sig.clone(),
                trust_anchor,
                at: a.at.clone(),
            },
            Some(sig),
        )
    } else if let Some(repo) = &a.tuf_repo {
        let root = a.root.clone().context("--tuf-repo needs --root")?;
        let target = a.target.clone().context("--tuf-repo needs --target")?;
        (
            ArtifactMethod::Tuf {
                repo: repo.clone(),
                root,
                target,
            },
            None,
        )
    } else {
        bail!("say how to verify: --envelope with --key, --bundle with --trusted-root, --cms with --trust-anchor, or --tuf-repo with --root and --target")
    };
    let r = release::verify_artifact(&a.artifact, &method)?;
    let files: Vec<&Path> = signature.iter().map(|p| p.as_path()).collect();
    record_check(s, &r, &files)?;
    if !r.passed() {
        return Err(rejected(&r));
    }
    let art = a.artifact.display();
    match &r.check.detail {
        Some(SignatureDetail::Dsse {
            predicate_type,
            subject_name,
            release,
        }) => {
            let digest = r
                .check
                .artifact
                .as_ref()
                .map(|f| f.sha256.as_str())
                .unwrap_or_default();
            say!(
                "verified: {art} (sha256 {digest}) is subject {subject_name:?} of a {predicate_type} statement signed by a trusted key"
            )?;
            if let Some(p) = release {
                say!(
                    "release: {} {}, created {}, {} evidence record(s){}",
                    quote(&p.product),
                    quote(&p.version),
                    quote(&p.created),
                    p.evidence.len(),
                    p.sbom
                        .as_ref()
                        .map(|s| format!(", SBOM {} sha256 {}", quote(&s.name), quote(&s.sha256)))
                        .unwrap_or_default()
                )?;
            }
        }
        Some(SignatureDetail::Sigstore {
            identity,
            issuer,
            log_index,
            ..
        }) => {
            say!(
                "verified: {art} with Sigstore bundle {} (identity {}, issuer {}, log index {})",
                r.about.display(),
                quote(identity.as_deref().unwrap_or("-")),
                quote(issuer.as_deref().unwrap_or("-")),
                log_index
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| "-".into())
            )?;
            print_checks(&r)?;
        }
        Some(SignatureDetail::Cms {
            signer_subject,
            signer_serial,
            signing_time,
            chain,
        }) => {
            say!(
                "verified: {art} with CMS signature {} by {} (serial {}), signed {}",
                r.about.display(),
                quote(signer_subject),
                quote(signer_serial),
                quote(signing_time.as_deref().unwrap_or("at an unstated time"))
            )?;
            let chain: Vec<String> = chain.iter().map(|c| quote(c)).collect();
            say!("chain: {}", chain.join(" <- "))?;
            print_checks(&r)?;
        }
        Some(SignatureDetail::Tuf {
            target,
            length,
            sha256,
            root_version,
            targets_version,
        }) => {
            say!(
                "verified: {art} is TUF target {target:?} ({length} bytes, sha256 {sha256}), root version {root_version}, targets version {targets_version}"
            )?;
            print_checks(&r)?;
        }
        _ => say!("verified: {art}")?,
    }
    Ok(())
}

fn print_checks(r: &CheckResult) -> Result<()> {
    for c in &r.check.checked {
        say!("  ok  {}", output::one_line(c))?;
    }
    Ok(())
}

/// `otproof update approve`.
pub fn update(cmd: &UpdateCmd, s: &StoreArg) -> Result<()> {
    let UpdateCmd::Approve(a) = cmd;
    let settings = settings(s, a.db.as_deref())?;
    let mut store = settings.open_store().context(
        "update approval records its decision and looks up evidence in a store (run `otproof init`)",
    )?;
    let input = approval_input(a, settings.vulndb_path()?);
    let (decision, notes, id) = if a.dry_run {
        let e = release::evaluate_update(&store, &input)?;
        (e.decision, e.notes, None)
    } else {
        let r = release::approve_update(&mut store, &input)?;
        (r.decision, r.notes, Some(r.id))
    };
    for n in &notes {
        tell!("{}", output::one_line(n));
    }
    let decision = &decision;
    for c in &decision.criteria {
        say!(
            "{:<5} {}  {}",
            c.id,
            match c.result {
                CriterionResult::Pass => "pass",
                CriterionResult::Fail => "FAIL",
                CriterionResult::Exception => "exception",
                CriterionResult::NotApplicable => "n/a",
            },
            output::one_line(&c.description)
        )?;
    }
    for x in &decision.exceptions {
        say!(
            "exception {}: {} (owner {})",
            x.criterion,
            output::one_line(&x.justification),
            quote(&x.owner)
        )?;
    }
    let approved = decision.decision == Verdict::Approve;
    let recorded = match id {
        Some(id) => format!("recorded as {id}"),
        None => "dry run, not recorded".to_string(),
    };
    say!(
        "decision: {} ({}), {recorded}",
        if approved { "approve" } else { "reject" },
        output::one_line(&decision.title)
    )?;
    if approved {
        Ok(())
    } else {
        Err(Failed(format!("update rejected: see the FAIL lines; {recorded}")).into())
    }
}

/// The workflow's input for `update approve` (the vulnerability database already resolved).
pub fn approval_input(a: &ApproveArgs, vulndb: PathBuf) -> ApprovalInput {
    ApprovalInput {
        artifact: a.artifact.clone(),
        envelope: a.envelope.clone(),
        keys: a.key.clone(),
        product: a.product.clone(),
        from_version: a.from_version.clone(),
        to_version: a.to_version.clone(),
        sbom: a.sbom.clone(),
        previous_sbom: a.previous_sbom.clone(),
        policy: a.policy.clone(),
        vulndb,
        decided_by: a.decided_by.clone(),
        allow_downgrade: a.allow_downgrade.clone(),
    }
}

/// `otproof identity`.
pub fn identity(cmd: &IdentityCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        IdentityCmd::Register(a) => {
            let input = IdentityInput {
                name: a.name.clone(),
                device_key: a.pubkey.clone(),
                vendor_key: a.vendor_key.clone(),
                vendor: a.vendor.clone(),
                product: a.product.clone(),
                serial: a.serial.clone(),
                envelope_name: file_name(&a.out),
            };
            let reg = release::register_identity(&input)?;
            output::write_bytes(&a.out, &reg.envelope)?;
            tell!(
                "registered {} ({} serial {}, device key {}) signed by vendor key {}; wrote {}",
                a.name,
                a.product,
                a.serial,
                reg.device_key_id,
                reg.vendor_key_id,
                a.out.display()
            );
            if let Some(store) = store_if_any(s)?.as_mut() {
                let id = release::record_identity(store, &reg)?;
                tell!("recorded as evidence {id} in {}", store.dir().display());
            }
            Ok(())
        }
        IdentityCmd::Verify(a) => {
            let r = release::verify_identity(&a.identity, &a.vendor_pub, a.data.as_deref())?;
            let mut files = vec![a.identity.as_path()];
            files.extend(a.data.as_deref());
            record_check(s, &r, &files)?;
            if let Some(SignatureDetail::Identity {
                name,
                product,
                serial,
                vendor,
                device_key_id,
                issued,
                data,
            }) = &r.check.detail
            {
                say!(
                    "verified identity: {} ({} serial {}), vendor {}, device key {device_key_id}, issued {}",
                    quote(name),
                    quote(product),
                    quote(serial),
                    quote(vendor),
                    quote(issued)
                )?;
                if let (Some(path), Some(d)) = (&a.data, data) {
                    say!(
                        "verified: {} is signed by {} ({} bytes of {})",
                        path.display(),
                        quote(name),
                        d.size,
                        quote(&d.payload_type)
                    )?;
                }
            }
            if r.passed() {
                Ok(())
            } else {
                Err(rejected(&r))
            }
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
pub fn verify_layout(a: &VerifyLayoutArgs, s: &StoreArg) -> Result<()> {
    let input = LayoutInput {
        layout: a.layout.clone(),
        owner_keys: a.owner_key.clone(),
        scheme: a.scheme.clone(),
        links: a.links.clone(),
        at: a.at.clone(),
        allow_unrun_inspections: a.allow_unrun_inspections,
    };
    let r = release::verify_layout(&input)?;
    record_check(s, &r, &[a.layout.as_path()])?;
    let Some(SignatureDetail::InTotoLayout {
        steps, warnings, ..
    }) = &r.check.detail
    else {
        return Err(rejected(&r));
    };
    for c in &r.check.checked {
        say!("  ok   {}", output::one_line(c))?;
    }
    for w in warnings {
        say!("  warn {}", output::one_line(w))?;
    }
    for n in &r.check.not_checked {
        say!("  NOT CHECKED {}", output::one_line(n))?;
    }
    match &r.check.outcome {
        CheckOutcome::Verified => {
            say!("verified: {} ({steps} steps)", a.layout.display())?;
            Ok(())
        }
        // Unrun inspections, accepted with --allow-unrun-inspections: listed, not a pass.
        CheckOutcome::Incomplete => {
            say!(
                "verified except what is listed as NOT CHECKED: {} ({steps} steps)",
                a.layout.display()
            )?;
            Ok(())
        }
        CheckOutcome::Failed { .. } => Err(rejected(&r)),
    }
}
