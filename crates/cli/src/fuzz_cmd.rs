//! `otproof fuzz`: run a robustness campaign and write its outputs; replay a finding.

use crate::output;
use crate::store_cmd::{self, Failed, StoreArg};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use otproof_evidence::{
    Evidence, EvidenceKind, Finding as EvFinding, FindingStatus, Severity, Subject,
};
use otproof_fuzz::campaign::{self, Behaviour, Config, Progress, Report};
use otproof_fuzz::modbus::{self, Modbus};
use otproof_fuzz::model::ProtocolModel;
use otproof_report::campaign as render;
use std::io::IsTerminal;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Subcommand)]
pub enum FuzzCmd {
    /// Robustness-test a Modbus/TCP server.
    #[command(after_help = "Examples:
  otproof fuzz modbus --target 127.0.0.1:5020 --cases 5000 --out campaign-rtu5
  otproof fuzz modbus --target 127.0.0.1:5020 --duration 10m --concurrency 4 --seed 7 --out c1
  otproof fuzz modbus --target 127.0.0.1:5020 --resume c1 --duration 10m --out c1

Exit codes: 0 no finding, 1 findings (see report.html), 2 usage or input error.")]
    Modbus(ModbusArgs),
    /// Re-send one finding's reproducer; exit 1 if the behaviour is still there, 0 if not.
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct ModbusArgs {
    /// The server, HOST:PORT.
    #[arg(long)]
    pub target: String,
    /// Unit identifier addressed.
    #[arg(long, default_value_t = 1)]
    pub unit: u8,
    /// Run for this long (e.g. 90s, 10m, 1h).
    #[arg(long, conflicts_with = "cases")]
    pub duration: Option<String>,
    /// Run this many test cases.
    #[arg(long)]
    pub cases: Option<u64>,
    /// Seed: the same seed gives the same cases.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Parallel sessions.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Per-case answer timeout in milliseconds.
    #[arg(long = "timeout-ms", default_value_t = 1000)]
    pub timeout_ms: u64,
    /// Continue the campaign in this output folder (same seed; starts after its last case).
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Skip minimizing findings.
    #[arg(long = "no-minimize")]
    pub no_minimize: bool,
    /// Launch the target with this shell command: its exit or death on a signal is a crash,
    /// and after a crash or hang it is restarted so the campaign goes on.
    #[arg(long = "target-cmd", value_name = "CMD")]
    pub target_cmd: Option<String>,
    /// Vendor of the device under test (for the evidence; default: what FC 43/14 reports).
    #[arg(long)]
    pub vendor: Option<String>,
    /// Product under test.
    #[arg(long)]
    pub product: Option<String>,
    /// Version under test.
    #[arg(long = "product-version")]
    pub product_version: Option<String>,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A finding file written by a campaign (`findings/N.json`).
    pub finding: PathBuf,
    /// The server, HOST:PORT.
    #[arg(long)]
    pub target: String,
    /// Answer timeout in milliseconds.
    #[arg(long = "timeout-ms", default_value_t = 1000)]
    pub timeout_ms: u64,
}

/// `90s`, `10m`, `1h`, `500ms` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| t.split_at(i))
        .unwrap_or((t, "s"));
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n > 0.0)
        .with_context(|| {
            format!("duration '{s}': expected a number with ms, s, m or h, e.g. 90s or 10m")
        })?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => bail!("duration '{s}': unit '{unit}' is not ms, s, m or h"),
    };
    Ok(Duration::from_secs_f64(secs))
}

fn resolve(target: &str) -> Result<SocketAddr> {
    target
        .to_socket_addrs()
        .with_context(|| format!("--target {target}: expected HOST:PORT"))?
        .next()
        .with_context(|| format!("--target {target}: the name does not resolve"))
}

fn show_progress(p: &Progress, tty: bool, last: &mut Instant) {
    let findings = if p.findings.is_empty() {
        "none".to_string()
    } else {
        p.findings
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let line = format!(
        "{} cases, {:.0}/s, coverage {:.0}%, findings: {findings}",
        p.cases, p.rate, p.coverage
    );
    if tty {
        eprint!("\r\x1b[2K{line}");
    } else if last.elapsed() >= Duration::from_secs(5) {
        *last = Instant::now();
        eprintln!("{line}");
    }
}

/// Write every output of a campaign into `out`; returns the files written.
pub fn write_outputs(
    out: &Path,
    report: &Report,
    scope: &serde_json::Value,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out.join("findings"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = out.join(name);
        output::write_bytes(&p, bytes)?;
        files.push(p);
        Ok(())
    };
    put("campaign.json", &serde_json::to_vec_pretty(report)?)?;
    put(
        "evidence.json",
        render::evidence_json(report, scope)?.as_bytes(),
    )?;
    put("report.html", render::html(report, scope).as_bytes())?;
    put("findings.sarif", render::sarif(report)?.as_bytes())?;
    put("junit.xml", render::junit(report).as_bytes())?;
    for (i, f) in report.findings.iter().enumerate() {
        let doc = serde_json::json!({
            "format": "otproof-finding/1",
            "protocol": report.protocol,
            "target": report.config.target.to_string(),
            "finding": f,
            "reproducer_encoded": render::reproducer_json(f),
        });
        put(
            &format!("findings/{}.json", i + 1),
            &serde_json::to_vec_pretty(&doc)?,
        )?;
        let reqs: Vec<Vec<u8>> = f
            .reproducer
            .iter()
            .filter_map(|h| campaign::unhex(h))
            .collect();
        put(
            &format!("findings/{}.pcap", i + 1),
            &render::pcap(&reqs, report.config.target.port()),
        )?;
    }
    Ok(files)
}

fn severity(s: &str) -> Severity {
    match s {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => Severity::Info,
    }
}

/// The campaign as an evidence record (findings included), with its outputs attached.
pub fn campaign_evidence(
    report: &Report,
    subject: Subject,
    files: &[PathBuf],
) -> (Evidence, Vec<PathBuf>) {
    let findings = report
        .findings
        .iter()
        .map(|f| EvFinding {
            title: format!(
                "{} on {} ({} / {})",
                f.behaviour.name(),
                f.message,
                f.field,
                f.class.name()
            ),
            severity: severity(&f.severity),
            behaviour: f.behaviour.name().into(),
            observed: Some(f.observed.clone()),
            reproducer: Some(render::reproducer_json(f)),
            status: FindingStatus::Open,
            remediation: None,
            requirements: f.requirements.clone(),
        })
        .collect();
    let attach: Vec<PathBuf> = files
        .iter()
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                ["evidence.json", "report.html", "findings.sarif"]
                    .contains(&n.to_string_lossy().as_ref())
            })
        })
        .cloned()
        .collect();
    (
        Evidence {
            kind: EvidenceKind::RobustnessCampaign,
            title: format!(
                "Robustness campaign, {} at {}",
                report.protocol, report.config.target
            ),
            requirements: otproof_catalog::traces::ROBUSTNESS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            subject,
            payload: serde_json::json!({
                "protocol": report.protocol,
                "cases": report.cases,
                "seed": report.config.seed,
                "coverage_percent": report.coverage.pair_percent(),
                "codes": report.coverage.codes(),
                "findings": report.findings.len(),
                "stopped": report.stopped,
            }),
            attachments: vec![],
            findings,
        },
        attach,
    )
}

pub fn run(cmd: &FuzzCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        FuzzCmd::Modbus(a) => modbus_campaign(a, s),
        FuzzCmd::Replay(a) => replay(a),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn modbus_campaign(a: &ModbusArgs, s: &StoreArg) -> Result<()> {
    let target = resolve(&a.target)?;
    if a.concurrency == 0 || a.concurrency > 256 {
        bail!("--concurrency {}: expected 1..256", a.concurrency);
    }
    let mut cfg = Config::new(target);
    cfg.seed = a.seed;
    cfg.concurrency = a.concurrency;
    cfg.timeout = Duration::from_millis(a.timeout_ms.max(10));
    cfg.minimize = !a.no_minimize;
    cfg.cases = a.cases;
    cfg.duration = a.duration.as_deref().map(parse_duration).transpose()?;
    if cfg.cases.is_none() && cfg.duration.is_none() {
        cfg.cases = Some(5000);
    }
    let previous: Option<Report> = match &a.resume {
        Some(dir) => {
            let p = dir.join("campaign.json");
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("--resume: cannot read {}", p.display()))?;
            let prev: Report = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a campaign written by otproof", p.display()))?;
            cfg.seed = prev.config.seed;
            cfg.start_at = prev.next_case;
            Some(prev)
        }
        None => None,
    };
    let launched = match &a.target_cmd {
        Some(cmd) => {
            let t =
                otproof_fuzz::process::ProcessTarget::launch(cmd, target, Duration::from_secs(15))
                    .map_err(|e| anyhow::anyhow!("--target-cmd: {e}"))?;
            let t: Arc<dyn otproof_fuzz::campaign::TargetControl> = Arc::new(t);
            Some(t)
        }
        None => None,
    };
    cfg.control = otproof_fuzz::campaign::Control(launched);
    let model = Arc::new(Modbus::new(a.unit));
    let rt = runtime()?;
    let stop = Arc::new(AtomicBool::new(false));
    let identity = rt.block_on(modbus::identify(&model, target, cfg.timeout));
    {
        let stop = stop.clone();
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
            }
        });
    }
    let tty = std::io::stderr().is_terminal();
    let mut last = Instant::now();
    eprintln!(
        "fuzzing {target} (modbus-tcp, unit {}, seed {}, from case {}); Ctrl-C stops and keeps what is done",
        a.unit, cfg.seed, cfg.start_at
    );
    let dyn_model: Arc<dyn ProtocolModel> = model.clone();
    let mut report = rt.block_on(campaign::run(dyn_model, cfg, stop.clone(), &mut |p| {
        show_progress(p, tty, &mut last)
    }));
    if tty {
        eprintln!();
    }
    if report.baseline.is_none() {
        bail!(
            "target {target} does not answer a valid Modbus/TCP read (FC 3, unit {}) within {} ms: is it a Modbus/TCP server, and is the unit id right?",
            a.unit, a.timeout_ms
        );
    }
    report.target_identity = identity;
    if let Some(prev) = previous {
        report.merge_previous(prev);
    }
    let ident = |k: &str| {
        report
            .target_identity
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    let vendor = a
        .vendor
        .clone()
        .or_else(|| ident("vendor"))
        .unwrap_or_else(|| "unknown".into());
    let product = a
        .product
        .clone()
        .or_else(|| ident("product name"))
        .or_else(|| ident("product code"))
        .unwrap_or_else(|| format!("device at {target}"));
    let version = a.product_version.clone().or_else(|| ident("version"));
    let scope = serde_json::json!({
        "protocol": "Modbus/TCP (MBAP), Modbus Application Protocol V1.1b3",
        "target": target.to_string(),
        "unit_id": a.unit,
        "vendor": vendor,
        "product": product,
        "version": version,
        "function_codes": model.messages().iter().map(|m| m.code).collect::<Vec<_>>(),
    });
    let files = write_outputs(&a.out, &report, &scope)?;
    eprintln!(
        "{} cases in {:.1} s, coverage {:.1}% of function code x mutation class, {} finding(s){}",
        report.cases,
        report.elapsed.as_secs_f64(),
        report.coverage.pair_percent(),
        report.findings.len(),
        report
            .stopped
            .as_ref()
            .map(|s| format!("; stopped: {s}"))
            .unwrap_or_default()
    );
    eprintln!("wrote {} files into {}", files.len(), a.out.display());
    if let Some(mut store) = s.open_if_any()? {
        let subject = Subject::Product {
            vendor,
            product,
            version,
            component_type: None,
            artifacts: vec![],
        };
        let (ev, attach) = campaign_evidence(&report, subject, &files);
        let refs: Vec<&Path> = attach.iter().map(PathBuf::as_path).collect();
        let id = store_cmd::record_output(&mut store, ev, &refs, "fuzz modbus")?;
        eprintln!("recorded as evidence {id} in {}", store.dir().display());
    }
    if report.findings.is_empty() {
        Ok(())
    } else {
        let by: Vec<String> = [
            Behaviour::Crash,
            Behaviour::Hang,
            Behaviour::Degradation,
            Behaviour::Conformance,
        ]
        .iter()
        .filter_map(|b| {
            let n = report.findings.iter().filter(|f| f.behaviour == *b).count();
            (n > 0).then(|| format!("{n} {}", b.name()))
        })
        .collect();
        Err(Failed(format!(
            "{} finding(s): {} (see {})",
            report.findings.len(),
            by.join(", "),
            a.out.join("report.html").display()
        ))
        .into())
    }
}

fn replay(a: &ReplayArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.finding)
        .with_context(|| format!("cannot read {}", a.finding.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not JSON", a.finding.display()))?;
    if doc["format"] != "otproof-finding/1" {
        bail!(
            "{}: expected a finding file written by `otproof fuzz` (format otproof-finding/1)",
            a.finding.display()
        );
    }
    let finding: campaign::Finding = serde_json::from_value(doc["finding"].clone())
        .with_context(|| format!("{}: field 'finding'", a.finding.display()))?;
    let reqs: Vec<Vec<u8>> = finding
        .reproducer
        .iter()
        .map(|h| {
            campaign::unhex(h)
                .with_context(|| format!("{}: reproducer is not hex", a.finding.display()))
        })
        .collect::<Result<_>>()?;
    let target = resolve(&a.target)?;
    let model = Modbus::new(reqs.first().and_then(|r| r.get(6)).copied().unwrap_or(1));
    let rt = runtime()?;
    let (outcome, verdict) = rt.block_on(campaign::replay(
        &model,
        target,
        Duration::from_millis(a.timeout_ms.max(10)),
        &reqs,
    ));
    println!(
        "finding:   {} on {} ({} / {})",
        finding.behaviour.name(),
        finding.message,
        finding.field,
        finding.class.name()
    );
    println!("outcome:   {outcome:?}");
    match verdict {
        Some(v) => {
            println!("verdict:   reproduced: {v}");
            Err(Failed("the finding reproduces".into()).into())
        }
        None => {
            println!("verdict:   not reproduced (the target now behaves)");
            Ok(())
        }
    }
}
