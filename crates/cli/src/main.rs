//! `otproof`: the command line. Thin by design: it parses arguments, calls the library crates,
//! writes what they render and maps failures to exit codes:
//! 0 ok, 1 a policy or finding failure, 2 a usage or input error, 3 inconclusive (a check that
//! could show nothing, e.g. a robustness campaign whose cases did not reach the target). It
//! never panics on user input.

mod decide_cmd;
mod demo;
mod fuzz_cmd;
mod output;
mod release_cmd;
mod sbom_cmd;
mod store_cmd;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use otproof_assess::spec::{SpecParams, Weights};
use otproof_catalog::{Catalog, ComponentType, MaturityLevel, Query, SlVector, Standard};
use otproof_report as report;
use std::path::PathBuf;
use std::process::ExitCode;

const EXAMPLES_CATALOG: &str = "Examples:
  otproof catalog list --standard 62443-4-2 --component embedded-device --sl-t 2,2,2,2,2,2,2
  otproof catalog list --standard 62443-4-1 --json
  otproof catalog show ID                 (an ID from `catalog list`; case and spacing are forgiven)
  otproof catalog show ID --json
  otproof catalog export --format oscal --out iec62443-catalog.oscal.json";

const EXAMPLES_SPEC: &str = "Examples:
  otproof spec --sl-t 2,2,2,2,2,2,2 --component embedded-device --out spec.html --format html
  otproof spec --sl-t \"{3 3 2 2 3 1 3}\" --component network-device --ml 3 --support-years 15 \\
      --product \"Substation gateway\" --format md --out spec.md --questionnaire questionnaire.yaml
  otproof spec --sl-t \"2 2 2 2 2 2 2\" --component host-device --format oscal --out profile.json";

/// Turn IEC 62443 supply-chain security claims into verifiable evidence.
#[derive(Debug, Parser)]
#[command(name = "otproof", version, about)]
#[command(
    after_help = "Start with `otproof demo`, which writes a sample of every output into ./otproof-demo/.\n\nExit codes: 0 ok, 1 policy or finding failure, 2 usage or input error."
)]
struct Cli {
    #[command(flatten)]
    store: store_cmd::StoreArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Browse and export the IEC 62443 requirement catalog (3-3, 4-2, 4-1).
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Write a supplier specification (and vendor questionnaire) for a component at an SL-T.
    #[command(after_help = EXAMPLES_SPEC)]
    Spec(SpecArgs),
    /// Write a sample of every output into a folder and say what was written.
    Demo(DemoArgs),
    /// Create a store (`.otproof/`) with a fresh ledger key.
    Init(store_cmd::InitArgs),
    /// Add, list and show evidence records.
    #[command(subcommand)]
    Evidence(store_cmd::EvidenceCmd),
    /// The tamper-evident log: status, checkpoints, proofs.
    #[command(subcommand)]
    Ledger(store_cmd::LedgerCmd),
    /// Export records with their proofs as a bundle for offline verification.
    #[command(
        after_help = "Examples:\n  otproof export --all --out bundle.tar\n  otproof export --product RTU-5 --out rtu5.tar"
    )]
    Export(store_cmd::ExportArgs),
    /// Verify a bundle offline (exit 1 if anything fails), or a whole store with --store.
    #[command(
        after_help = "Examples:\n  otproof verify bundle.tar --key ledger.vkey\n  otproof verify --store"
    )]
    Verify(store_cmd::VerifyArgs),
    /// Signing keys.
    #[command(subcommand)]
    Key(store_cmd::KeyCmd),
    /// Protocol robustness testing (robustness evidence for IEC 62443-4-2 and 4-1).
    #[command(subcommand)]
    Fuzz(fuzz_cmd::FuzzCmd),
    /// SBOM checks against offline vulnerability data, with VEX and a policy.
    #[command(subcommand)]
    Sbom(sbom_cmd::SbomCmd),
    /// The offline vulnerability database (OSV, CISA KEV, NVD CVE 2.0).
    #[command(subcommand)]
    Vulndb(sbom_cmd::VulndbCmd),
    /// Signed releases: a DSSE envelope with an in-toto release statement.
    #[command(subcommand)]
    Release(release_cmd::ReleaseCmd),
    /// Verify an artifact: DSSE/in-toto, Sigstore bundle (offline), CMS/PKCS#7, or TUF
    /// (exit 1 with the failing check named when rejected).
    VerifyArtifact(release_cmd::VerifyArtifactArgs),
    /// Verify an in-toto layout and its links (exit 1 with the failing check named).
    VerifyLayout(release_cmd::VerifyLayoutArgs),
    /// Approve or reject an update on evidence, as a Decision record.
    #[command(subcommand)]
    Update(release_cmd::UpdateCmd),
    /// Device and agent identities signed by their vendor.
    #[command(subcommand)]
    Identity(release_cmd::IdentityCmd),
    /// Zones and conduits: SL-T vs SL-A per FR, requirement-level gaps, diagram, hand-over.
    #[command(subcommand)]
    Zones(decide_cmd::ZonesCmd),
    /// Score vendors from their filled questionnaires.
    #[command(subcommand)]
    Vendors(decide_cmd::VendorsCmd),
    /// IEC 62443-4-1 maturity self-assessment from the evidence in the store.
    #[command(subcommand)]
    Sdl(decide_cmd::SdlCmd),
    /// Accept or reject a product on a supplier's evidence package (a Decision record).
    Accept(decide_cmd::AcceptArgs),
}

#[derive(Debug, Subcommand)]
enum CatalogCmd {
    /// List requirements, filtered by standard, component type and SL-T.
    #[command(after_help = EXAMPLES_CATALOG)]
    List(ListArgs),
    /// Show one requirement: its SL, component types, REs and summary.
    #[command(after_help = EXAMPLES_CATALOG)]
    Show(ShowArgs),
    /// Export the catalog as an OSCAL 1.1 catalog, JSON or CSV.
    #[command(after_help = EXAMPLES_CATALOG)]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only this standard: 62443-3-3, 62443-4-2 or 62443-4-1.
    #[arg(long, value_name = "STANDARD")]
    standard: Option<Standard>,
    /// Only 4-2 requirements for this component type: software-application, embedded-device,
    /// host-device or network-device (slots and system-only numbers drop out).
    #[arg(long, value_name = "TYPE")]
    component: Option<ComponentType>,
    /// Only requirements this target requires: seven levels 0-4 in FR order, e.g. 2,2,1,1,3,1,2.
    #[arg(long = "sl-t", value_name = "VECTOR", allow_hyphen_values = true)]
    sl_t: Option<SlVector>,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// Requirement ID as `otproof catalog list` prints it (case and spacing are forgiven).
    id: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// OSCAL 1.1 catalog JSON.
    Oscal,
    /// otproof's own JSON.
    Json,
    /// One row per requirement.
    Csv,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// File to write ("-" for standard output).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SpecFormat {
    /// Markdown.
    Md,
    /// Self-contained HTML that prints cleanly to PDF.
    Html,
    /// The same content as data.
    Json,
    /// OSCAL 1.1 profile selecting the catalog's controls.
    Oscal,
}

#[derive(Debug, Args)]
struct SpecArgs {
    /// Target security level per FR: seven levels 0-4 in IAC UC SI DC RDF TRE RA order.
    #[arg(long = "sl-t", value_name = "VECTOR", allow_hyphen_values = true)]
    sl_t: SlVector,
    /// Component type: software-application, embedded-device, host-device or network-device.
    #[arg(long, value_name = "TYPE")]
    component: ComponentType,
    /// Required IEC 62443-4-1 maturity level of the vendor's development process (1-4).
    #[arg(long, value_name = "1..4", default_value = "2")]
    ml: MaturityLevel,
    /// Years of security support required from delivery.
    #[arg(long = "support-years", value_name = "N", default_value_t = 10)]
    support_years: u32,
    /// Product or procurement item the specification is for.
    #[arg(long, value_name = "NAME")]
    product: Option<String>,
    /// Evaluation weights in percent: security maturity, technical capability, support readiness.
    #[arg(long, value_name = "SM,TC,SR", default_value = "35,40,25")]
    weights: Weights,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    format: SpecFormat,
    /// File to write ("-" for standard output).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also write the vendor questionnaire as a YAML template to this file.
    #[arg(long, value_name = "FILE")]
    questionnaire: Option<PathBuf>,
    /// With --format oscal: where the profile finds the OSCAL catalog.
    #[arg(long = "catalog-href", value_name = "HREF", default_value = report::oscal::DEFAULT_CATALOG_HREF)]
    catalog_href: String,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Folder to write into (created if missing; files of the same name are replaced).
    #[arg(long, value_name = "DIR", default_value = "otproof-demo")]
    out: PathBuf,
}

fn catalog_list(a: &ListArgs) -> Result<()> {
    if let Some(std) = a.standard {
        if a.component.is_some() && std != Standard::Component {
            anyhow::bail!(
                "--component applies to 62443-4-2 requirements only, not {std}: drop --component or use --standard 62443-4-2"
            );
        }
        if a.sl_t.is_some() && std == Standard::Lifecycle {
            anyhow::bail!(
                "--sl-t applies to 62443-3-3 and 62443-4-2 requirements; 62443-4-1 requirements have maturity levels, not SLs"
            );
        }
    }
    let rows = Catalog::builtin().select(&Query {
        standard: a.standard,
        component: a.component,
        sl_t: a.sl_t,
    });
    if a.json {
        output::data(&(report::catalog::rows_json(&rows)? + "\n"))
    } else {
        output::print(&report::catalog::table(&rows))
    }
}

fn catalog_show(a: &ShowArgs) -> Result<()> {
    let c = Catalog::builtin();
    let Some(r) = c.get(&a.id) else {
        let near = c.suggest(&a.id);
        if near.is_empty() {
            anyhow::bail!(
                "no requirement '{}' in the catalog: expected an ID such as {} (see `otproof catalog list`)",
                a.id,
                otproof_catalog::traces::example_ids()
            );
        }
        anyhow::bail!(
            "no requirement '{}' in the catalog; did you mean: {}?",
            a.id,
            near.join(", ")
        );
    };
    if a.json {
        output::data(&(report::catalog::show_json(c, r)? + "\n"))
    } else {
        output::print(&report::catalog::show(c, r))
    }
}

fn catalog_export(a: &ExportArgs) -> Result<()> {
    let c = Catalog::builtin();
    let text = match a.format {
        ExportFormat::Oscal => serde_json::to_string_pretty(&report::oscal::catalog(c))? + "\n",
        ExportFormat::Json => report::catalog::export_json(c)? + "\n",
        ExportFormat::Csv => {
            let rows: Vec<_> = c.requirements().iter().collect();
            report::catalog::export_csv(&rows)?
        }
    };
    output::write(&a.out, &text)?;
    output::note(&a.out, &format!("{} catalog rows", c.requirements().len()));
    Ok(())
}

fn spec(a: &SpecArgs, s: &store_cmd::StoreArg) -> Result<()> {
    let params = SpecParams {
        product: a.product.clone(),
        component: a.component,
        sl_t: a.sl_t,
        ml: a.ml,
        support_years: a.support_years,
        weights: a.weights,
    };
    let spec = otproof_workflow::spec::build(&params)?;
    let text = match a.format {
        SpecFormat::Md => report::spec::markdown(&spec),
        SpecFormat::Html => report::spec::html(&spec),
        SpecFormat::Json => report::spec::json(&spec)?,
        SpecFormat::Oscal => report::spec::oscal(&spec, &a.catalog_href)?,
    };
    output::write(&a.out, &text)?;
    output::note(
        &a.out,
        &format!(
            "specification, {} applicable 4-2 requirements",
            spec.technical_count()
        ),
    );
    if let Some(q) = &a.questionnaire {
        output::write(q, &report::spec::questionnaire_yaml(&spec.questionnaire)?)?;
        output::note(
            q,
            &format!("questionnaire, {} items", spec.questionnaire.items.len()),
        );
    }
    if a.out.as_os_str() != "-" {
        if let Some(mut store) = s.open_if_any()? {
            let mut files: Vec<&std::path::Path> = vec![&a.out];
            if let Some(q) = &a.questionnaire {
                files.push(q);
            }
            let id = otproof_workflow::spec::record(&mut store, &spec, &files)?;
            output::tell!("recorded as evidence {id} in {}", store.dir().display());
        }
    }
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    let s = &cli.store;
    match &cli.command {
        Command::Catalog(CatalogCmd::List(a)) => catalog_list(a),
        Command::Catalog(CatalogCmd::Show(a)) => catalog_show(a),
        Command::Catalog(CatalogCmd::Export(a)) => catalog_export(a),
        Command::Spec(a) => spec(a, s),
        Command::Demo(a) => demo::run(&a.out).context("demo"),
        Command::Init(a) => store_cmd::init(a),
        Command::Evidence(c) => store_cmd::evidence(c, s),
        Command::Ledger(c) => store_cmd::ledger(c, s),
        Command::Export(a) => store_cmd::export(a, s),
        Command::Verify(a) => store_cmd::verify(a, s),
        Command::Key(c) => store_cmd::key(c),
        Command::Fuzz(c) => fuzz_cmd::run(c, s),
        Command::Sbom(c) => sbom_cmd::sbom(c, s),
        Command::Vulndb(c) => sbom_cmd::vulndb(c, s),
        Command::Release(c) => release_cmd::release(c, s),
        Command::VerifyArtifact(a) => release_cmd::verify_artifact(a, s),
        Command::VerifyLayout(a) => release_cmd::verify_layout(a, s),
        Command::Update(c) => release_cmd::update(c, s),
        Command::Identity(c) => release_cmd::identity(c, s),
        Command::Zones(c) => decide_cmd::zones_cmd(c, s),
        Command::Vendors(c) => decide_cmd::vendors_cmd(c, s),
        Command::Sdl(c) => decide_cmd::sdl_cmd(c, s),
        Command::Accept(a) => decide_cmd::accept_cmd(a, s),
    }
}

fn main() -> ExitCode {
    // No command takes a private key as text (keys are files): one pasted as an argument is
    // refused before anything (clap's messages, a `--key` error) could echo it.
    if std::env::args_os()
        .skip(1)
        .any(|a| otproof_sign::keys::is_private_key_pem(&a.to_string_lossy()))
    {
        output::tell!(
            "error: an argument is a private key (not shown): give key files by path, and the public key where a signature is verified"
        );
        return ExitCode::from(2);
    }
    // clap's own messages (help, usage errors) echo arguments: they go through `output` too,
    // as plain text (no colour codes).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            if e.use_stderr() {
                output::tell!("{}", text.trim_end_matches('\n'));
            } else {
                // Help and version: a closed pipe (`otproof --help | head`) is fine.
                let _ = output::print(&text);
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // An error is one line: a name in it cannot fake a line of its own.
            if let Some(f) = e.downcast_ref::<store_cmd::Failed>() {
                output::tell!("failed: {}", output::one_line(&f.to_string()));
                return ExitCode::from(1);
            }
            if let Some(f) = e.downcast_ref::<store_cmd::Inconclusive>() {
                output::tell!("inconclusive: {}", output::one_line(&f.to_string()));
                return ExitCode::from(3);
            }
            output::tell!("error: {}", output::one_line(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
