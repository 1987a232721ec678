//! `otproof fuzz`: run a robustness campaign and write its outputs; replay a finding.

use crate::output;
use crate::output::{say, tell};
use crate::store_cmd::{Failed, Inconclusive, StoreArg};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use otproof_workflow::campaign::{
    self as wf, Config, Device, ModbusPlan, MqttClientPlan, MqttPlan, OutputFile, Progress,
    ReplayVerdict, Verdict,
};
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

A case counts only when it was delivered (written on a connection the target serves);
coverage and the rate count delivered cases alone. With more than 5 % of the cases
undelivered (or none delivered) and no finding, the campaign is inconclusive: it shows no
requirement and exits 3.

Exit codes: 0 pass (no finding, cases delivered), 1 findings (see report.html), 2 usage or
input error, 3 inconclusive (too few cases reached the target).")]
    Modbus(ModbusArgs),
    /// Robustness-test an MQTT 3.1.1 or 5.0 broker (every connection opens with CONNECT).
    #[command(after_help = "Examples:
  otproof fuzz mqtt --target 127.0.0.1:1883 --cases 5000 --out campaign-broker
  otproof fuzz mqtt --target 127.0.0.1:1883 --duration 10m --seed 7 --out c1
  otproof fuzz mqtt --target 127.0.0.1:1883 --mqtt-version 5 --sequences 84 --out c5

With --mqtt-version 5 the CONNECT is MQTT 5.0 and cases carry properties (topic aliases,
user properties, subscription identifiers), reason codes, subscription options, shared
subscriptions and AUTH. After the single-packet cases, --sequences two-session cases (each
session its own CONNECT) check delivery across sessions: subscribe, publish, unsubscribe,
shared and wildcard filters, QoS 2 with a repeated packet id and PUBREL out of order, a will.

Each connection opens with CONNECT (clean session, its own client id, keep alive 60 s) and
must get CONNACK 0; cases are PUBLISH QoS 0/1/2, PUBREL, SUBSCRIBE, UNSUBSCRIBE and PINGREQ.
A broker closing the connection on a malformed packet is allowed behaviour, not a finding.
After the single-packet cases (and sequences), CONNECT cases open fresh connections with a
CONNECT the specification forbids accepting (reserved flag, inconsistent will flags, 5.0
property errors): accepting one (success CONNACK) is a finding, refusing or closing is not.
Accounting, outputs and exit codes are those of `otproof fuzz modbus`.

Client side (otproof plays the broker): --listen instead of --target, and --target-cmd
launches the client once per case; '{port}' in the command (and OTPROOF_PORT in its
environment) is the listening port (--listen 127.0.0.1:0 picks a free one):
  otproof fuzz mqtt --listen 127.0.0.1:0 --target-cmd 'mosquitto_sub -p {port} -t t -C 1' --cases 200 --out c2
Cases are CONNACK, SUBACK, PUBLISH (good and bad topics), PUBREL/UNSUBACK for unknown ids and
packets a broker never sends. Crash: the client dies on a signal or exits with a crash report
(traceback, sanitizer, panic) on stderr; hang: it neither closes nor acknowledges a valid
PUBLISH QoS 1 after a case; conformance: it goes on after a packet the specification
requires it to close the connection on. With --mqtt-version 5 otproof is a 5.0 broker (CONNACK
properties and reason codes, topic aliases, DISCONNECT and AUTH from the broker); a 5.0
client only SHOULD close on a malformed packet, so conformance findings are the MUSTs: Session
Present on a clean start, and packets breaking the CONNACK's limits:
  otproof fuzz mqtt --listen 127.0.0.1:0 --mqtt-version 5 --target-cmd 'mosquitto_sub -V 5 -p {port} -t t -C 1' --cases 200 --out c5

Exit codes: 0 pass (no finding, cases delivered), 1 findings (see report.html), 2 usage or
input error, 3 inconclusive (too few cases reached the target).")]
    Mqtt(MqttArgs),
    /// Re-send one finding's reproducer exactly, on one connection: exit 1 if the behaviour
    /// comes back, 0 if the whole reproducer was delivered and the target behaved, 2 if the
    /// target cannot be reached (nothing was shown).
    #[command(
        after_help = "Exit codes: 0 not reproduced, 1 reproduced, 2 usage or input error, or the target could not be connected to."
    )]
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct ModbusArgs {
    /// Unit identifier addressed.
    #[arg(long, default_value_t = 1)]
    pub unit: u8,
    #[command(flatten)]
    pub campaign: CampaignArgs,
}

#[derive(Debug, Args)]
pub struct MqttArgs {
    /// MQTT version to speak: 3 (3.1.1) or 5 (5.0).
    #[arg(long = "mqtt-version", value_enum, default_value = "3")]
    pub mqtt_version: MqttVersionArg,
    /// Two-session sequence test cases run after the single-packet ones (0: none; 42 runs
    /// every scenario x edit once).
    #[arg(long, default_value_t = 0)]
    pub sequences: u64,
    #[command(flatten)]
    pub campaign: CampaignArgs,
}

/// The options every protocol's campaign takes.
#[derive(Debug, Args)]
pub struct CampaignArgs {
    /// The target (server or broker), HOST:PORT.
    #[arg(long, required_unless_present = "listen")]
    pub target: Option<String>,
    /// Server mode (fuzz mqtt only): listen on HOST:PORT and play the broker to the client
    /// --target-cmd launches for each case.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "target")]
    pub listen: Option<String>,
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
    /// Test cases in flight at once on one connection, for protocols whose answers name
    /// their request (Modbus/TCP); 1 (the default) sends them one at a time. Used only when
    /// the target answers two requests written at once, and never once it has stalled. A
    /// crash during a batch is labelled with its first unanswered case until minimization
    /// finds the request that did it.
    #[arg(long, default_value_t = 1)]
    pub pipeline: usize,
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
    /// Vendor of the device under test (for the evidence; default: what the target reports
    /// where the protocol says, e.g. Modbus FC 43/14, else unknown).
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

/// The MQTT version of `--mqtt-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MqttVersionArg {
    /// MQTT 3.1.1.
    #[value(name = "3")]
    V311,
    /// MQTT 5.0.
    #[value(name = "5")]
    V5,
}

impl MqttVersionArg {
    fn version(self) -> wf::MqttVersion {
        match self {
            MqttVersionArg::V311 => wf::MqttVersion::V311,
            MqttVersionArg::V5 => wf::MqttVersion::V5,
        }
    }
}

/// Which protocol a campaign tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Modbus(u8),
    Mqtt {
        version: wf::MqttVersion,
        sequences: u64,
    },
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A finding file written by a campaign (`findings/N.json`).
    pub finding: PathBuf,
    /// The server, HOST:PORT.
    #[arg(long, conflicts_with = "listen")]
    pub target: Option<String>,
    /// For a finding of a client campaign (`fuzz mqtt --listen`): listen on HOST:PORT
    /// (default 127.0.0.1:0, any free port) and play the recorded answers to the client.
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<String>,
    /// For a finding of a client campaign: launch the client with this shell command
    /// ('{port}' in it, and OTPROOF_PORT, give the listening port).
    #[arg(long = "target-cmd", value_name = "CMD")]
    pub target_cmd: Option<String>,
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
    resolve_opt("--target", target)
}

fn resolve_opt(opt: &str, addr: &str) -> Result<SocketAddr> {
    addr.to_socket_addrs()
        .with_context(|| format!("{opt} {addr}: expected HOST:PORT"))?
        .next()
        .with_context(|| format!("{opt} {addr}: the name does not resolve"))
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
    let undelivered = if p.undelivered > 0 {
        format!(" ({} not delivered)", p.undelivered)
    } else {
        String::new()
    };
    let line = format!(
        "{} cases{undelivered}, {:.0}/s, coverage {:.0}%, findings: {findings}",
        p.cases, p.rate, p.coverage
    );
    if tty {
        crate::output::progress(&line);
    } else if last.elapsed() >= Duration::from_secs(5) {
        *last = Instant::now();
        tell!("{line}");
    }
}

/// Write a campaign's outputs into `out` (and its `findings/` folder); returns the files
/// written.
pub fn write_outputs(out: &Path, files: &[OutputFile]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out.join("findings"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let mut written = Vec::new();
    for f in files {
        let p = out.join(&f.path);
        output::write_bytes(&p, &f.bytes)?;
        written.push(p);
    }
    Ok(written)
}

pub fn run(cmd: &FuzzCmd, s: &StoreArg) -> Result<()> {
    match cmd {
        FuzzCmd::Modbus(a) => campaign(&a.campaign, Proto::Modbus(a.unit), s),
        FuzzCmd::Mqtt(m) => campaign(
            &m.campaign,
            Proto::Mqtt {
                version: m.mqtt_version.version(),
                sequences: m.sequences,
            },
            s,
        ),
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

fn campaign(a: &CampaignArgs, proto: Proto, s: &StoreArg) -> Result<()> {
    // Server mode: otproof listens and the client under test connects.
    let listen = match (&a.listen, proto) {
        (None, _) => None,
        (Some(_), Proto::Mqtt { sequences, .. }) if sequences > 0 => {
            bail!("--listen: two-session sequences test brokers; leave out --sequences")
        }
        (Some(l), Proto::Mqtt { .. }) => Some(resolve_opt("--listen", l)?),
        (Some(_), Proto::Modbus(_)) => bail!("--listen: only `fuzz mqtt` has a server mode"),
    };
    if listen.is_some() && a.concurrency > 1 {
        bail!(
            "--concurrency {}: server mode plays one session at a time",
            a.concurrency
        );
    }
    let target = match (listen, &a.target) {
        (Some(l), _) => l,
        (None, Some(t)) => resolve(t)?,
        (None, None) => bail!("--target HOST:PORT is required"),
    };
    if a.concurrency == 0 || a.concurrency > 256 {
        bail!("--concurrency {}: expected 1..256", a.concurrency);
    }
    if a.pipeline == 0 || a.pipeline > 64 {
        bail!("--pipeline {}: expected 1..64", a.pipeline);
    }
    let mut cfg = Config::new(target);
    cfg.seed = a.seed;
    cfg.concurrency = a.concurrency;
    cfg.pipeline = a.pipeline;
    cfg.timeout = Duration::from_millis(a.timeout_ms.max(10));
    cfg.minimize = !a.no_minimize;
    cfg.cases = a.cases;
    cfg.duration = a.duration.as_deref().map(parse_duration).transpose()?;
    if cfg.cases.is_none() && cfg.duration.is_none() {
        cfg.cases = Some(5000);
    }
    let previous = match &a.resume {
        Some(dir) => Some(wf::read_previous(dir).context("--resume")?),
        None => None,
    };
    if let (Some(cmd), None) = (&a.target_cmd, listen) {
        cfg.control = wf::launch_target(cmd, target).context("--target-cmd")?;
    }
    let device = Device {
        vendor: a.vendor.clone(),
        product: a.product.clone(),
        version: a.product_version.clone(),
    };
    let rt = runtime()?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
            }
        });
    }
    let tty = crate::output::stderr_is_terminal();
    let mut last = Instant::now();
    let run = match proto {
        Proto::Modbus(unit) => {
            let plan = ModbusPlan::new(cfg, unit, previous, device);
            tell!(
                "fuzzing {target} (modbus-tcp, unit {unit}, seed {}, from case {}); Ctrl-C stops and keeps what is done",
                plan.config.seed, plan.config.start_at
            );
            rt.block_on(wf::run_modbus(plan, stop, &mut |p| {
                show_progress(p, tty, &mut last)
            }))
        }
        Proto::Mqtt { version, .. } if listen.is_some() => {
            let mut plan = MqttClientPlan::new(cfg, a.target_cmd.clone(), previous, device);
            plan.version = version;
            let target = plan.bind()?;
            tell!(
                "listening on {target} as the MQTT broker for the client ({}, seed {}, from case {}); Ctrl-C stops and keeps what is done",
                version.protocol(),
                plan.config.seed, plan.config.start_at
            );
            rt.block_on(wf::run_mqtt_client(plan, stop, &mut |p| {
                show_progress(p, tty, &mut last)
            }))
        }
        Proto::Mqtt { version, sequences } => {
            let mut plan = MqttPlan::new(cfg, previous, device);
            plan.version = version;
            plan.sequences = sequences;
            tell!(
                "fuzzing {target} ({} broker, seed {}, from case {}, then {sequences} two-session sequence(s)); Ctrl-C stops and keeps what is done",
                version.protocol(),
                plan.config.seed, plan.config.start_at
            );
            rt.block_on(wf::run_mqtt(plan, stop, &mut |p| {
                show_progress(p, tty, &mut last)
            }))
        }
    };
    if tty {
        tell!();
    }
    let run = run?;
    let files = wf::outputs(&run)?;
    let written = write_outputs(&a.out, &files)?;
    let c = &run.campaign;
    tell!(
        "{} cases executed ({} not delivered) in {:.1} s, coverage {:.1}% of {} x mutation class, {} finding(s){}",
        c.result.cases,
        c.result.undelivered,
        c.result.elapsed_s,
        c.coverage.pair_percent(),
        match proto {
            Proto::Modbus(_) => "function code",
            Proto::Mqtt { .. } => "packet type",
        },
        c.findings.len(),
        c.result
            .stopped
            .as_ref()
            .map(|s| format!("; stopped: {s}"))
            .unwrap_or_default()
    );
    for f in &c.findings {
        let variants = f
            .variants
            .as_ref()
            .map(|v| format!(", codes {:?}", v.codes))
            .unwrap_or_default();
        tell!(
            "  [{}] {} on {} ({} case(s){variants}){}",
            format!("{:?}", f.severity).to_lowercase(),
            f.behaviour.name(),
            otproof_text::quote(&f.message),
            f.occurrences,
            f.confirmation
                .as_ref()
                .map(|x| format!(": {}", x.note))
                .unwrap_or_default()
        );
    }
    for v in &c.requirement_verdicts {
        tell!(
            "{}: {} ({} executed cases): {}",
            v.requirement,
            v.verdict.name(),
            v.executed_cases,
            v.shown
        );
    }
    tell!("wrote {} files into {}", written.len(), a.out.display());
    if let Some(mut store) = s.open_if_any()? {
        let subject = wf::subject_of(&c.scope);
        let id = wf::record(&mut store, &run, subject, &files)?;
        tell!("recorded as evidence {id} in {}", store.dir().display());
    }
    let verdict = run.verdict();
    tell!("verdict: {}", verdict.name());
    match verdict {
        Verdict::Pass => Ok(()),
        Verdict::Inconclusive => Err(Inconclusive(format!(
            "{} of {} cases could not be delivered to the target (the limit is {} %); the campaign shows no requirement (see {})",
            c.result.undelivered,
            c.result.cases + c.result.undelivered,
            c.result.undelivered_limit_percent.unwrap_or_default(),
            a.out.join("report.html").display()
        ))
        .into()),
        Verdict::Fail => {
            let by: Vec<String> = run
            .findings_by_behaviour()
            .iter()
            .map(|(b, n)| format!("{n} {}", b.name()))
            .collect();
            Err(Failed(format!(
                "{} finding(s): {} (see {})",
                c.findings.len(),
                by.join(", "),
                a.out.join("report.html").display()
            ))
            .into())
        }
    }
}

fn replay(a: &ReplayArgs) -> Result<()> {
    let text = otproof_workflow::input::read_to_string(&a.finding, "finding")
        .with_context(|| format!("cannot read {}", a.finding.display()))?;
    let file = wf::read_finding_file(&a.finding, &text)?;
    let rt = runtime()?;
    let timeout = Duration::from_millis(a.timeout_ms.max(10));
    let (r, whom) = if wf::is_client_finding(&file) {
        if a.target.is_some() {
            bail!("--target: this finding comes from a client campaign (fuzz mqtt --listen); replay it with --target-cmd (and --listen)");
        }
        let listen = resolve_opt("--listen", a.listen.as_deref().unwrap_or("127.0.0.1:0"))?;
        if a.target_cmd.is_none() && listen.port() == 0 {
            bail!("--target-cmd: a client finding is replayed to a client otproof launches (or give --listen with a fixed port the client connects to)");
        }
        let r = rt.block_on(wf::replay_client(
            &file,
            listen,
            a.target_cmd.as_deref(),
            timeout,
        ));
        (r, format!("--listen {listen}"))
    } else {
        let Some(t) = &a.target else {
            bail!("--target HOST:PORT is required to replay a finding of a server or broker");
        };
        let target = resolve(t)?;
        (
            rt.block_on(wf::replay(&file, target, timeout)),
            format!("--target {t}"),
        )
    };
    let f = &file.finding;
    say!(
        "finding:   {} on {} ({} / {})",
        f.behaviour.name(),
        otproof_text::quote(&f.message),
        otproof_text::quote(&f.field),
        f.class.name()
    )?;
    match r.verdict {
        ReplayVerdict::Reproduced(v) => {
            say!("outcome:   {}", r.outcome)?;
            say!("verdict:   reproduced: {v}")?;
            Err(Failed("the finding reproduces".into()).into())
        }
        ReplayVerdict::NotReproduced => {
            say!("outcome:   {}", r.outcome)?;
            say!("verdict:   not reproduced (the whole reproducer was delivered and the target behaves)")?;
            Ok(())
        }
        ReplayVerdict::NoTarget(why) => {
            say!("verdict:   could not connect: nothing was replayed")?;
            bail!("{whom}: {why}")
        }
    }
}
