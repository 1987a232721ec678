//! Robustness campaigns (`otproof fuzz`): run one through `otproof-fuzz`, turn its report into
//! the typed payload ([`RobustnessCampaign`]), render its outputs as data, record it in the
//! store, read a campaign's `evidence.json` back, and replay a finding.
//!
//! The front end keeps the async runtime, the Ctrl-C wiring (the `stop` flag), the progress
//! display, where the outputs are written and the exit codes.

use crate::records::{append_idempotent, attach_bytes, media_type_of, RecordsError};
use otproof_evidence::payload::campaign::{
    self as p, Behaviour, BehaviourRule, CampaignConfiguration, CampaignCoverage, CampaignFinding,
    CampaignProvenance, CampaignResult, CampaignScope, CampaignVerdict, ConfirmedBy, Effect,
    FindingConfirmation, FindingVariants, IdentityObject, MutationClass, ReproducerRequest,
    RequirementOutcome, RequirementVerdict, RobustnessCampaign, CAMPAIGN_DOCUMENT_FORMAT,
};
use otproof_evidence::{
    Body, Evidence, EvidenceKind, Finding as EvFinding, FindingStatus, Payload, PayloadError,
    Record, RecordId, Severity, Subject,
};
use otproof_fuzz::campaign::{self as fz, Control};
use otproof_fuzz::modbus::{self, Modbus};
use otproof_fuzz::model::ProtocolModel;
use otproof_fuzz::mqtt::connect;
/// The MQTT version a campaign speaks.
pub use otproof_fuzz::mqtt::Version as MqttVersion;
use otproof_fuzz::sequence;
use otproof_report::campaign as render;
use otproof_report::ReportError;
use otproof_store::Store;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// The fuzzer's settings, progress numbers and report, as front ends see them.
pub use otproof_fuzz::campaign::{Config, Progress, Report};

/// The verdict of a campaign, as recorded.
pub use otproof_evidence::payload::campaign::CampaignVerdict as Verdict;

/// The operation name of (Modbus/TCP) campaign records.
pub const OPERATION: &str = "fuzz modbus";

/// The operation name of MQTT campaign records.
pub const MQTT_OPERATION: &str = "fuzz mqtt";

/// The protocol and specification an MQTT campaign tests, as written in its scope.
pub const MQTT_SCOPE_PROTOCOL: &str = "MQTT 3.1.1 (OASIS Standard), broker side";

/// The protocol and specification an MQTT client campaign (otproof as the broker) tests.
pub const MQTT_CLIENT_SCOPE_PROTOCOL: &str =
    "MQTT 3.1.1 (OASIS Standard), client side (otproof plays the broker)";
/// The protocol and specification an MQTT 5.0 client campaign (otproof as the broker) tests.
pub const MQTT5_CLIENT_SCOPE_PROTOCOL: &str =
    "MQTT 5.0 (OASIS Standard), client side (otproof plays the broker)";
/// The protocol and specification an MQTT 5.0 campaign tests, as written in its scope.
pub const MQTT5_SCOPE_PROTOCOL: &str = "MQTT 5.0 (OASIS Standard), broker side";

/// The protocol and specification a Modbus/TCP campaign tests, as written in its scope.
pub const MODBUS_SCOPE_PROTOCOL: &str = "Modbus/TCP (MBAP), Modbus Application Protocol V1.1b3";

/// The format of a finding file (`findings/N.json`).
pub const FINDING_FORMAT: &str = "otproof-finding/1";

/// The outputs attached to the campaign's record.
const ATTACHED: [&str; 3] = ["evidence.json", "report.html", "findings.sarif"];

/// A campaign step that failed.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// The campaign to resume cannot be read.
    #[error("{}: {reason}", path.display())]
    Resume {
        /// Its `campaign.json`.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The target command could not be launched.
    #[error("{0}")]
    Launch(String),
    /// The target never answered the baseline probe.
    #[error("target {target} does not answer a valid Modbus/TCP read (FC 3, unit {unit}) within {timeout_ms} ms: is it a Modbus/TCP server, and is the unit id right?")]
    NoBaseline {
        /// The target.
        target: SocketAddr,
        /// Unit identifier addressed.
        unit: u8,
        /// Answer timeout.
        timeout_ms: u128,
    },
    /// The MQTT broker never accepted the session or answered the baseline probe.
    #[error("target {target} does not accept an MQTT 3.1.1 CONNECT (CONNACK 0) and answer PINGREQ within {timeout_ms} ms: is it an MQTT broker that allows anonymous clients?")]
    NoMqttBaseline {
        /// The target.
        target: SocketAddr,
        /// Answer timeout.
        timeout_ms: u128,
    },
    /// No MQTT client opened a session on the listening address (server mode).
    #[error("no MQTT client opened a session on {listen}: {reason}")]
    NoClient {
        /// The listening address.
        listen: SocketAddr,
        /// Why, in words.
        reason: String,
    },
    /// A campaign evidence or finding file is not what it should be.
    #[error("{}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the field.
        reason: String,
    },
    /// The payload could not be built.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// An output could not be rendered.
    #[error(transparent)]
    Render(#[from] ReportError),
    /// The campaign state could not be serialised.
    #[error("cannot serialise the campaign: {0}")]
    Json(#[from] serde_json::Error),
    /// The store failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

/// The device under test as the user named it; what is not given comes from the identity the
/// target reports (Modbus FC 43/14), then from defaults.
#[derive(Debug, Clone, Default)]
pub struct Device {
    /// Vendor.
    pub vendor: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
}

/// A Modbus/TCP campaign to run.
#[derive(Debug, Clone)]
pub struct ModbusPlan {
    /// Settings (target, seed, limits, concurrency, timeouts, launched-target control).
    pub config: Config,
    /// Unit identifier addressed.
    pub unit: u8,
    /// The campaign this one continues (its counts, coverage and findings are folded in).
    pub previous: Option<Report>,
    /// The device under test.
    pub device: Device,
    /// Ask the target who it is (FC 43/14) before the campaign.
    pub identify: bool,
}

impl ModbusPlan {
    /// A plan; a resumed campaign keeps its seed and starts after its last case.
    pub fn new(mut config: Config, unit: u8, previous: Option<Report>, device: Device) -> Self {
        if let Some(prev) = &previous {
            config.seed = prev.config.seed;
            config.start_at = prev.next_case;
        }
        ModbusPlan {
            config,
            unit,
            previous,
            device,
            identify: true,
        }
    }
}

/// A campaign that ran: the fuzzer's report (kept for `--resume` and replay) and the payload
/// made from it.
#[derive(Debug, Clone)]
pub struct CampaignRun {
    /// What `otproof-fuzz` returned (previous runs folded in).
    pub report: Report,
    /// The typed payload everything is rendered from.
    pub campaign: RobustnessCampaign,
}

impl CampaignRun {
    /// What the campaign shows: findings fail; otherwise more than
    /// [`fz::UNDELIVERED_LIMIT`] of the cases undelivered (or none delivered) is
    /// inconclusive; else a pass.
    pub fn verdict(&self) -> CampaignVerdict {
        verdict(self.report.verdict())
    }

    /// Findings per behaviour class, for those that have any (`[(crash, 2), ...]`).
    pub fn findings_by_behaviour(&self) -> Vec<(Behaviour, usize)> {
        Behaviour::ALL
            .iter()
            .map(|b| (*b, self.campaign.count(*b)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// One output file of a campaign, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output folder (`evidence.json`, `findings/1.pcap`).
    pub path: PathBuf,
    /// Content.
    pub bytes: Vec<u8>,
}

/// The previous campaign in an output folder (its `campaign.json`), to resume.
pub fn read_previous(dir: &Path) -> Result<Report, CampaignError> {
    let path = dir.join("campaign.json");
    let text =
        crate::input::read_to_string(&path, "campaign").map_err(|e| CampaignError::Resume {
            path: path.clone(),
            reason: format!("cannot read it ({e})"),
        })?;
    serde_json::from_str(&text).map_err(|e| CampaignError::Resume {
        path,
        reason: format!("not a campaign written by otproof ({e})"),
    })
}

/// Launch the target with a shell command, so that its exit is a crash and it is restarted
/// after a crash or hang.
pub fn launch_target(cmd: &str, target: SocketAddr) -> Result<Control, CampaignError> {
    let t = otproof_fuzz::process::ProcessTarget::launch(cmd, target, Duration::from_secs(15))
        .map_err(CampaignError::Launch)?;
    let t: Arc<dyn fz::TargetControl> = Arc::new(t);
    Ok(Control(Some(t)))
}

/// Run a Modbus/TCP campaign. `stop` ends it early (what is done is kept); `progress` is
/// called about every 250 ms.
pub async fn run_modbus(
    plan: ModbusPlan,
    stop: Arc<AtomicBool>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<CampaignRun, CampaignError> {
    let target = plan.config.target;
    let timeout = plan.config.timeout;
    let model = Arc::new(Modbus::new(plan.unit));
    let identity = if plan.identify {
        modbus::identify(&model, target, timeout).await
    } else {
        vec![]
    };
    let function_codes: Vec<u16> = model.messages().iter().map(|m| m.code).collect();
    let dyn_model: Arc<dyn ProtocolModel> = model;
    let mut report = fz::run(dyn_model, plan.config, stop, progress).await;
    if report.baseline.is_none() {
        return Err(CampaignError::NoBaseline {
            target,
            unit: plan.unit,
            timeout_ms: timeout.as_millis(),
        });
    }
    if plan.identify {
        report.target_identity = identity;
    }
    if let Some(prev) = plan.previous {
        report.merge_previous(prev);
    }
    let scope = modbus_scope(&report, plan.unit, &plan.device, function_codes);
    let campaign = campaign_of(&report, scope);
    Ok(CampaignRun { report, campaign })
}

/// An MQTT 3.1.1 campaign against a broker to run.
#[derive(Debug, Clone)]
pub struct MqttPlan {
    /// Settings (target, seed, limits, concurrency, timeouts, launched-target control).
    pub config: Config,
    /// The campaign this one continues (its counts, coverage and findings are folded in).
    pub previous: Option<Report>,
    /// The device under test.
    pub device: Device,
    /// The MQTT version spoken (3.1.1 unless asked).
    pub version: MqttVersion,
    /// Two-session sequence cases run after the single-packet cases (0: none).
    pub sequences: u64,
}

impl MqttPlan {
    /// A plan (MQTT 3.1.1, no sequence cases); a resumed campaign keeps its seed and starts
    /// after its last case.
    pub fn new(mut config: Config, previous: Option<Report>, device: Device) -> Self {
        if let Some(prev) = &previous {
            config.seed = prev.config.seed;
            config.start_at = prev.next_case;
        }
        MqttPlan {
            config,
            previous,
            device,
            version: MqttVersion::V311,
            sequences: 0,
        }
    }
}

/// Run an MQTT 3.1.1 campaign against a broker (every connection opens with CONNECT).
/// `stop` ends it early (what is done is kept); `progress` is called about every 250 ms.
pub async fn run_mqtt(
    plan: MqttPlan,
    stop: Arc<AtomicBool>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<CampaignRun, CampaignError> {
    let target = plan.config.target;
    let timeout = plan.config.timeout;
    let model: Arc<dyn ProtocolModel> = plan.version.model();
    let codes: Vec<u16> = model.messages().iter().map(|m| m.code).collect();
    let (seed, stop2) = (plan.config.seed, stop.clone());
    let mut report = fz::run(model, plan.config, stop, progress).await;
    if report.baseline.is_none() {
        return Err(CampaignError::NoMqttBaseline {
            target,
            timeout_ms: timeout.as_millis(),
        });
    }
    // Two-session sequences (otproof_fuzz::sequence) after the single-packet cases.
    if plan.sequences > 0 && report.stopped.is_none() {
        let seq = sequence::run(
            plan.version,
            target,
            timeout,
            seed,
            0,
            plan.sequences,
            &stop2,
        )
        .await;
        sequence::fold(&mut report, seq);
    }
    // CONNECT cases (otproof_fuzz::mqtt::connect): a fresh connection each, opened with a
    // CONNECT the version's specification forbids accepting.
    if report.stopped.is_none() {
        let cc = connect::run(plan.version, target, timeout, &stop2).await;
        connect::fold(&mut report, cc);
    }
    if let Some(prev) = plan.previous {
        report.merge_previous(prev);
    }
    let target = report.config.target;
    let d = &plan.device;
    let scope = CampaignScope {
        protocol: match plan.version {
            MqttVersion::V311 => MQTT_SCOPE_PROTOCOL.into(),
            MqttVersion::V5 => MQTT5_SCOPE_PROTOCOL.into(),
        },
        target: target.to_string(),
        unit_id: None,
        vendor: d.vendor.clone().unwrap_or_else(|| "unknown".into()),
        product: d
            .product
            .clone()
            .unwrap_or_else(|| format!("MQTT broker at {target}")),
        version: d.version.clone(),
        function_codes: codes,
    };
    let campaign = campaign_of(&report, scope);
    Ok(CampaignRun { report, campaign })
}

/// An MQTT campaign against a client, otproof listening and playing the broker.
#[derive(Debug, Clone)]
pub struct MqttClientPlan {
    /// Settings; `config.target` is the address to listen on (port 0: any free port).
    pub config: Config,
    /// The shell command that launches the client for each session (`{port}` in it, and
    /// `OTPROOF_PORT` in its environment, give the listening port); `None`: the client
    /// connects, and reconnects, by itself.
    pub client_cmd: Option<String>,
    /// The campaign this one continues (its counts, coverage and findings are folded in).
    pub previous: Option<Report>,
    /// The device under test.
    pub device: Device,
    /// The MQTT version otproof speaks as the broker (3.1.1 unless set).
    pub version: MqttVersion,
    /// The socket bound by [`MqttClientPlan::bind`], if it was called.
    listener: Option<Arc<std::net::TcpListener>>,
}

impl MqttClientPlan {
    /// A plan; a resumed campaign keeps its seed and starts after its last case.
    pub fn new(
        mut config: Config,
        client_cmd: Option<String>,
        previous: Option<Report>,
        device: Device,
    ) -> Self {
        if let Some(prev) = &previous {
            config.seed = prev.config.seed;
            config.start_at = prev.next_case;
        }
        MqttClientPlan {
            config,
            client_cmd,
            previous,
            device,
            version: MqttVersion::V311,
            listener: None,
        }
    }

    /// Bind the listening socket now (port 0: any free port), so that the address actually
    /// bound can be shown before the campaign starts; `config.target` becomes that address.
    pub fn bind(&mut self) -> Result<SocketAddr, CampaignError> {
        let asked = self.config.target;
        let no_client = |e: std::io::Error| CampaignError::NoClient {
            listen: asked,
            reason: format!("cannot listen: {e}"),
        };
        let l = otproof_fuzz::listen::bind(asked).map_err(no_client)?;
        self.config.target = l.local_addr().map_err(no_client)?;
        self.listener = Some(Arc::new(l));
        Ok(self.config.target)
    }
}

/// Run an MQTT campaign against a client (server mode, see `otproof_fuzz::listen`).
/// `stop` ends it early (what is done is kept); `progress` is called after every session.
pub async fn run_mqtt_client(
    plan: MqttClientPlan,
    stop: Arc<AtomicBool>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<CampaignRun, CampaignError> {
    let listen = plan.config.target;
    let model = plan.version.client_model();
    let codes: Vec<u16> = model.messages().iter().map(|m| m.code).collect();
    let client = plan
        .client_cmd
        .as_deref()
        .map(|c| Arc::new(otproof_fuzz::listen::ClientProcess::new(c)));
    let bound = plan.listener.as_ref().map(|l| l.try_clone()).transpose();
    let mut report = match bound {
        Ok(Some(l)) => {
            otproof_fuzz::listen::run_on(l, model, plan.config, client, stop, progress).await
        }
        Ok(None) => otproof_fuzz::listen::run(model, plan.config, client, stop, progress).await,
        Err(e) => {
            return Err(CampaignError::NoClient {
                listen,
                reason: format!("cannot use the listening socket: {e}"),
            })
        }
    };
    if report.baseline.is_none() {
        return Err(CampaignError::NoClient {
            listen: report.config.target,
            reason: report
                .stopped
                .unwrap_or_else(|| "the client did not connect".into()),
        });
    }
    if let Some(prev) = plan.previous {
        report.merge_previous(prev);
    }
    let d = &plan.device;
    let scope = CampaignScope {
        protocol: match plan.version {
            MqttVersion::V311 => MQTT_CLIENT_SCOPE_PROTOCOL.into(),
            MqttVersion::V5 => MQTT5_CLIENT_SCOPE_PROTOCOL.into(),
        },
        target: report.config.target.to_string(),
        unit_id: None,
        vendor: d.vendor.clone().unwrap_or_else(|| "unknown".into()),
        product: d.product.clone().unwrap_or_else(|| match &plan.client_cmd {
            Some(c) => format!("MQTT client launched by {}", otproof_text::quote(c)),
            None => format!("MQTT client connecting to {}", report.config.target),
        }),
        version: d.version.clone(),
        function_codes: codes,
    };
    let campaign = campaign_of(&report, scope);
    Ok(CampaignRun { report, campaign })
}

/// Whether a finding file comes from a client campaign (server mode): it is replayed by
/// listening and launching the client ([`replay_client`]), not by connecting.
pub fn is_client_finding(f: &FindingFile) -> bool {
    MqttVersion::of_client_protocol(&f.protocol).is_some()
}

/// Replay a client finding: listen on `listen` (port 0: any free port), launch the client
/// with `client_cmd` (or wait for it to connect), and send the recorded answers as the
/// campaign did, each once the client has sent as many packets as it had before it.
pub async fn replay_client(
    f: &FindingFile,
    listen: SocketAddr,
    client_cmd: Option<&str>,
    timeout: Duration,
) -> Replay {
    let exchange = if f.finding.exchange.is_empty() {
        // Only the answers were kept: each after one more client packet, the last the case.
        let n = f.requests.len();
        f.requests
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                [
                    otproof_fuzz::exec::Wire {
                        to_target: false,
                        bytes: Vec::new(),
                        case: None,
                    },
                    otproof_fuzz::exec::Wire {
                        to_target: true,
                        bytes: r.clone(),
                        case: (i + 1 == n).then_some(f.finding.case),
                    },
                ]
            })
            .collect()
    } else {
        f.finding.exchange.clone()
    };
    let client = client_cmd.map(otproof_fuzz::listen::ClientProcess::new);
    let model = MqttVersion::of_client_protocol(&f.protocol)
        .unwrap_or_default()
        .client_model();
    let (shown, outcome) =
        otproof_fuzz::listen::replay(model.as_ref(), listen, client.as_ref(), timeout, &exchange)
            .await;
    let verdict = match shown {
        fz::Replayed::Reproduced(v) => ReplayVerdict::Reproduced(v),
        fz::Replayed::NotReproduced | fz::Replayed::Empty => ReplayVerdict::NotReproduced,
        fz::Replayed::NoTarget(why) => ReplayVerdict::NoTarget(why),
    };
    Replay { outcome, verdict }
}

/// The scope of a Modbus/TCP campaign: the device as given, else as the target reports it.
pub fn modbus_scope(
    report: &Report,
    unit: u8,
    device: &Device,
    function_codes: Vec<u16>,
) -> CampaignScope {
    let ident = |k: &str| {
        report
            .target_identity
            .iter()
            .find(|(n, _)| n == k)
            // Quoted again: a previous campaign's file may carry a raw identity.
            .map(|(_, v)| modbus::quote_identity(v))
    };
    let target = report.config.target;
    CampaignScope {
        protocol: MODBUS_SCOPE_PROTOCOL.into(),
        target: target.to_string(),
        unit_id: Some(unit),
        vendor: device
            .vendor
            .clone()
            .or_else(|| ident("vendor"))
            .unwrap_or_else(|| "unknown".into()),
        product: device
            .product
            .clone()
            .or_else(|| ident("product name"))
            .or_else(|| ident("product code"))
            .unwrap_or_else(|| format!("device at {target}")),
        version: device.version.clone().or_else(|| ident("version")),
        function_codes,
    }
}

/// Severity from the fuzzer's rule name (`high`, `medium`...); anything else is informational.
pub fn severity(s: &str) -> Severity {
    match s {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => Severity::Info,
    }
}

fn behaviour(b: fz::Behaviour) -> Behaviour {
    match b {
        fz::Behaviour::Crash => Behaviour::Crash,
        fz::Behaviour::Hang => Behaviour::Hang,
        fz::Behaviour::Degradation => Behaviour::Degradation,
        fz::Behaviour::Conformance => Behaviour::Conformance,
    }
}

fn class(c: otproof_fuzz::mutate::MutationClass) -> MutationClass {
    use otproof_fuzz::mutate::MutationClass as M;
    match c {
        M::Valid => MutationClass::Valid,
        M::Boundary => MutationClass::Boundary,
        M::OffByOne => MutationClass::OffByOne,
        M::LengthMismatch => MutationClass::LengthMismatch,
        M::InvalidEnum => MutationClass::InvalidEnum,
        M::Truncation => MutationClass::Truncation,
        M::Extension => MutationClass::Extension,
        M::RepeatedField => MutationClass::RepeatedField,
        M::DroppedField => MutationClass::DroppedField,
        M::TypeConfusion => MutationClass::TypeConfusion,
        M::Havoc => MutationClass::Havoc,
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One request of a reproducer: hex as recorded, base64 and length of its bytes (empty when
/// the hex does not decode).
pub fn reproducer_request(hex: &str) -> ReproducerRequest {
    let bytes = request_bytes(hex).unwrap_or_default();
    ReproducerRequest {
        hex: hex.to_string(),
        base64: b64(&bytes),
        length: bytes.len() as u64,
    }
}

/// The bytes of a reproducer line: hex, or a sequence step (`A:hex`, `B:hex`, `B:close`).
fn request_bytes(line: &str) -> Option<Vec<u8>> {
    fz::unhex(line)
        .or_else(|| sequence::Step::parse(line).map(|s| s.bytes))
        .or_else(|| connect::line_bytes(line))
}

fn finding(f: &fz::Finding) -> CampaignFinding {
    CampaignFinding {
        behaviour: behaviour(f.behaviour),
        message: f.message.clone(),
        code: f.code,
        field: f.field.clone(),
        class: class(f.class),
        observed: f.observed.clone(),
        case: f.case,
        reproducer: f.reproducer.iter().map(|h| reproducer_request(h)).collect(),
        original: f.original.clone(),
        severity: severity(&f.severity),
        cvss_vector: f.cvss_vector.clone(),
        cvss_score: cvss(f.cvss_score),
        requirements: f.requirements.clone(),
        occurrences: f.occurrences,
        effect: Some(effect(f.effect)),
        signature: f.signature.clone(),
        variants: Some(FindingVariants {
            codes: f.variants.codes.iter().copied().collect(),
            fields: f.variants.fields.iter().cloned().collect(),
            classes: f.variants.classes.iter().map(|c| class(*c)).collect(),
            examples: f.variants.examples.clone(),
        }),
        confirmed: f.confirmed,
        confirmation: Some(FindingConfirmation {
            how: match f.confirmation.how {
                fz::Confirmed::AloneOnFreshConnection => ConfirmedBy::AloneOnFreshConnection,
                fz::Confirmed::AfterRestart => ConfirmedBy::AfterRestart,
                fz::Confirmed::NotReproduced => ConfirmedBy::NotReproduced,
                fz::Confirmed::NotTried => ConfirmedBy::NotTried,
            },
            note: f.confirmation.note.clone(),
        }),
        minimization: f.minimization.as_ref().map(|m| p::Minimization {
            runs: m.runs,
            elapsed_ms: m.elapsed_ms,
            complete: m.complete,
            note: m.note.clone(),
        }),
        sanitizer: f.sanitizer.as_ref().map(|r| p::SanitizerReport {
            kind: r.kind.clone(),
            report: r.report.clone(),
        }),
        status: FindingStatus::Open,
    }
}

/// A CVSS base score (one decimal) as recorded: 3.7, not the f32's 3.700000047683716.
fn cvss(score: f32) -> f64 {
    (f64::from(score) * 10.0).round() / 10.0
}

fn effect(e: fz::Effect) -> Effect {
    match e {
        fz::Effect::ServerDown => Effect::ServerDown,
        fz::Effect::ServerDegraded => Effect::ServerDegraded,
        fz::Effect::ConnectionLost => Effect::ConnectionLost,
        fz::Effect::WrongAnswer => Effect::WrongAnswer,
    }
}

fn verdict(v: fz::Verdict) -> CampaignVerdict {
    match v {
        fz::Verdict::Pass => CampaignVerdict::Pass,
        fz::Verdict::Fail => CampaignVerdict::Fail,
        fz::Verdict::Inconclusive => CampaignVerdict::Inconclusive,
    }
}

/// The requirements a campaign with this verdict supports: none when it is inconclusive (it
/// shows nothing about them).
fn requirements_shown(v: CampaignVerdict) -> Vec<String> {
    match v {
        CampaignVerdict::Inconclusive => Vec::new(),
        CampaignVerdict::Pass | CampaignVerdict::Fail => otproof_catalog::traces::ROBUSTNESS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}

/// The rule of a behaviour class, rated by the most severe effect a finding of the class
/// can have.
fn rule(b: fz::Behaviour) -> BehaviourRule {
    let (sev, vector, score) = b.effect().severity();
    BehaviourRule {
        behaviour: behaviour(b),
        severity: severity(sev),
        cvss_vector: vector.into(),
        cvss_score: cvss(score),
        requirements: b.requirements().iter().map(|s| s.to_string()).collect(),
    }
}

/// The payload of a campaign: the fuzzer's report and the scope tested. An inconclusive
/// campaign supports no requirement.
pub fn campaign_of(r: &Report, scope: CampaignScope) -> RobustnessCampaign {
    let elapsed_s = r.elapsed.as_secs_f64();
    let shows = verdict(r.verdict());
    RobustnessCampaign {
        scope,
        configuration: CampaignConfiguration {
            protocol: r.protocol.clone(),
            target: r.config.target.to_string(),
            seed: r.config.seed,
            cases_limit: r.config.cases,
            duration_limit_s: r.config.duration.map(|d| d.as_secs_f64()),
            concurrency: r.config.concurrency as u64,
            timeout_ms: r.config.timeout.as_millis() as u64,
            degradation_factor: r.config.degradation_factor,
            started_at_case: r.config.start_at,
        },
        result: CampaignResult {
            cases: r.cases,
            undelivered: r.undelivered,
            undelivered_limit_percent: Some(fz::UNDELIVERED_LIMIT * 100.0),
            verdict: Some(shows),
            next_case: r.next_case,
            elapsed_s,
            cases_per_second: r.cases as f64 / elapsed_s.max(1e-3),
            baseline_probe_ms: r.baseline.map(|d| d.as_secs_f64() * 1000.0),
            stopped: r.stopped.clone(),
            target_identity: r
                .target_identity
                .iter()
                .map(|(k, v)| IdentityObject {
                    object: modbus::quote_identity(k),
                    value: modbus::quote_identity(v),
                })
                .collect(),
        },
        coverage: CampaignCoverage {
            pairs: r.coverage.pairs.clone(),
            pairs_total: r.coverage.pairs_total,
            cells: r.coverage.cells.clone(),
            outcomes: r.coverage.outcomes.clone(),
        },
        rules: [
            fz::Behaviour::Crash,
            fz::Behaviour::Hang,
            fz::Behaviour::Degradation,
            fz::Behaviour::Conformance,
        ]
        .into_iter()
        .map(rule)
        .collect(),
        severity_rule: fz::SEVERITY_RULE.into(),
        requirements: requirements_shown(shows),
        requirement_verdicts: requirement_verdicts(r),
        provenance: Some(CampaignProvenance {
            tool: "otproof".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            started_at: r
                .started_unix_ms
                .and_then(|ms| i64::try_from(ms).ok())
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .map(|t| t.to_string()),
        }),
        learned: (!r.learned.is_empty()).then(|| p::LearnedKnowledge {
            ranges: r
                .learned
                .ranges
                .iter()
                .map(|l| p::LearnedRange {
                    space: l.space.clone(),
                    first: l.first,
                    last: l.last,
                    exact: l.exact,
                })
                .collect(),
            limits: r
                .learned
                .limits
                .iter()
                .map(|l| p::LearnedLimit {
                    code: l.code,
                    field: l.field.clone(),
                    max_accepted: l.max_accepted,
                    min_rejected: l.min_rejected,
                })
                .collect(),
            values: r.learned.values as u64,
            discovery_reads: r.learned.discovery_reads,
            learned_cases: r.learned.learned_cases,
            greybox: r.learned.greybox.as_ref().map(|g| p::GreyBoxCoverage {
                edges: g.edges,
                startup_edges: g.startup_edges,
                corpus: g.corpus,
                derived_cases: g.derived_cases,
                map_size: g.map_size,
            }),
        }),
        findings: r.findings.iter().map(finding).collect(),
    }
}

/// What a campaign checks of each requirement it bears on, in the order of
/// `otproof_catalog::traces::ROBUSTNESS` (CR 3.5, CR 7.1, SVV-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// CR 3.5, input validation.
    InputValidation,
    /// CR 7.1, denial-of-service protection.
    DosProtection,
    /// SVV-3, robustness testing done.
    TestingDone,
}

impl Check {
    const ORDER: [Check; 3] = [
        Check::InputValidation,
        Check::DosProtection,
        Check::TestingDone,
    ];

    fn checks(self) -> &'static str {
        match self {
            Check::InputValidation => "input validation: malformed and out-of-range requests are rejected or answered as the protocol specifies, never crash the target or get a nonconforming answer",
            Check::DosProtection => "denial-of-service protection: whatever a client sends, the target keeps serving (no crash, no hang, no lasting slowdown or memory growth)",
            Check::TestingDone => "robustness testing was done: protocol-aware malformed input delivered to the target over every message type and mutation class of the model",
        }
    }
}

/// The verdict of a campaign per requirement (CR 3.5, CR 7.1, SVV-3), from its executed
/// cases and findings:
/// - an inconclusive campaign (too few cases delivered) shows none of them;
/// - CR 3.5 and CR 7.1 fail when a finding bears on them (crash and conformance findings on
///   CR 3.5; crash, hang and degradation findings on CR 7.1) and pass otherwise, CR 3.5 only
///   once malformed cases (every mutation class but `valid`) were delivered;
/// - SVV-3 asks that robustness testing be done, not that it find nothing: it passes when
///   every (message type x mutation class) pair of the model was delivered, findings or not,
///   and is inconclusive with less coverage.
pub fn requirement_verdicts(r: &Report) -> Vec<RequirementVerdict> {
    let executed = r.cases;
    let malformed: u64 = r
        .coverage
        .pairs
        .iter()
        .filter(|(k, _)| !k.ends_with("/valid"))
        .map(|(_, n)| n)
        .sum();
    let conclusive = r.verdict() != fz::Verdict::Inconclusive;
    let attempted = r.cases + r.undelivered;
    otproof_catalog::traces::ROBUSTNESS
        .iter()
        .zip(Check::ORDER)
        .map(|(req, check)| {
            let bearing: Vec<&fz::Finding> = r
                .findings
                .iter()
                .filter(|f| f.requirements.iter().any(|x| x == *req))
                .collect();
            let n = bearing.len() as u64;
            let causes = || {
                bearing
                    .iter()
                    .map(|f| format!("{} on {} ({} case(s))", f.behaviour.name(), f.message, f.occurrences))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let (verdict, cases, shown) = if !conclusive {
                (
                    RequirementOutcome::Inconclusive,
                    executed,
                    format!(
                        "nothing: {} of {attempted} cases could not be delivered (the limit is {} %) and nothing was found",
                        r.undelivered,
                        fz::UNDELIVERED_LIMIT * 100.0
                    ),
                )
            } else if check == Check::TestingDone {
                let pct = r.coverage.pair_percent();
                if pct >= 100.0 {
                    (
                        RequirementOutcome::Pass,
                        executed,
                        format!(
                            "robustness testing ran: {executed} cases delivered, {malformed} of them malformed, covering every one of the model's {} message type x mutation class pairs; {} root cause(s) found",
                            r.coverage.pairs_total,
                            r.findings.len()
                        ),
                    )
                } else {
                    (
                        RequirementOutcome::Inconclusive,
                        executed,
                        format!(
                            "robustness testing ran on {executed} delivered cases but covered {pct:.1} % of the model's message type x mutation class pairs (all are needed)"
                        ),
                    )
                }
            } else if n > 0 {
                (
                    RequirementOutcome::Fail,
                    executed,
                    format!("{n} root cause(s) bear on it: {}", causes()),
                )
            } else if check == Check::InputValidation && malformed == 0 {
                (
                    RequirementOutcome::Inconclusive,
                    0,
                    "no malformed case was delivered".to_string(),
                )
            } else if check == Check::InputValidation {
                (
                    RequirementOutcome::Pass,
                    malformed,
                    format!(
                        "{malformed} malformed cases delivered: each was rejected or answered as the protocol specifies, none crashed the target"
                    ),
                )
            } else {
                (
                    RequirementOutcome::Pass,
                    executed,
                    format!(
                        "{executed} cases delivered: the target kept serving throughout (health probes answered, latency within {}x the baseline)",
                        r.config.degradation_factor
                    ),
                )
            };
            RequirementVerdict {
                requirement: req.to_string(),
                checks: check.checks().to_string(),
                verdict,
                shown,
                executed_cases: cases,
                findings: n,
            }
        })
        .collect()
}

/// Every output of a campaign, in writing order: `campaign.json` (state for resume),
/// `evidence.json`, `report.html`, `findings.sarif`, `junit.xml`, then per finding
/// `findings/N.json` (replayable) and `findings/N.pcap`.
pub fn outputs(run: &CampaignRun) -> Result<Vec<OutputFile>, CampaignError> {
    let (r, c) = (&run.report, &run.campaign);
    let mut files = Vec::new();
    let mut put = |path: String, bytes: Vec<u8>| {
        files.push(OutputFile {
            path: PathBuf::from(path),
            bytes,
        })
    };
    put("campaign.json".into(), serde_json::to_vec_pretty(r)?);
    put(
        "evidence.json".into(),
        render::evidence_json(c)?.into_bytes(),
    );
    put("report.html".into(), render::html(c).into_bytes());
    put("findings.sarif".into(), render::sarif(c)?.into_bytes());
    put("junit.xml".into(), render::junit(c).into_bytes());
    for (i, (f, typed)) in r.findings.iter().zip(&c.findings).enumerate() {
        let doc = serde_json::json!({
            "format": FINDING_FORMAT,
            "protocol": r.protocol,
            "target": r.config.target.to_string(),
            "finding": f,
            "reproducer_encoded": render::reproducer_json(typed),
        });
        put(
            format!("findings/{}.json", i + 1),
            serde_json::to_vec_pretty(&doc)?,
        );
        // The full exchange on the connection that preceded the behaviour, both ways, when it
        // was recorded; else the reproducer's requests.
        let pcap = if f.exchange.is_empty() {
            let reqs: Vec<Vec<u8>> = f
                .reproducer
                .iter()
                .filter_map(|h| request_bytes(h))
                .filter(|b| !b.is_empty())
                .collect();
            render::pcap(&reqs, r.config.target.port())
        } else {
            // In a client campaign otproof is the server: what it wrote goes back from the
            // port, what the client sent goes to it.
            let server_mode = MqttVersion::of_client_protocol(&r.protocol).is_some();
            let segments: Vec<(bool, Vec<u8>)> = f
                .exchange
                .iter()
                .map(|w| (w.to_target != server_mode, w.bytes.clone()))
                .collect();
            render::pcap_exchange(&segments, r.config.target.port())
        };
        put(format!("findings/{}.pcap", i + 1), pcap);
    }
    Ok(files)
}

/// The subject of a campaign record: the device in its scope.
pub fn subject_of(scope: &CampaignScope) -> Subject {
    Subject::Product {
        vendor: scope.vendor.clone(),
        product: scope.product.clone(),
        version: scope.version.clone(),
        component_type: None,
        artifacts: vec![],
    }
}

/// The campaign as an evidence record body (findings included, no attachments yet). It
/// traces to the requirements the campaign supports: none when it is inconclusive.
pub fn evidence(c: &RobustnessCampaign, subject: Subject) -> Result<Evidence, CampaignError> {
    let findings = c
        .findings
        .iter()
        .map(|f| {
            Ok(EvFinding {
                title: format!(
                    "{} on {} ({} / {})",
                    f.behaviour.name(),
                    f.message,
                    f.field,
                    f.class.name()
                ),
                severity: f.severity,
                behaviour: f.behaviour.name().into(),
                observed: Some(f.observed.clone()),
                reproducer: Some(serde_json::to_value(&f.reproducer)?),
                status: f.status,
                remediation: None,
                requirements: f.requirements.clone(),
            })
        })
        .collect::<Result<Vec<_>, CampaignError>>()?;
    let inconclusive = c.result.verdict == Some(CampaignVerdict::Inconclusive);
    Ok(Evidence {
        kind: EvidenceKind::RobustnessCampaign,
        title: format!(
            "Robustness campaign, {} at {}{}",
            c.configuration.protocol,
            c.configuration.target,
            if inconclusive {
                " (inconclusive: it shows no requirement)"
            } else {
                ""
            }
        ),
        requirements: c.requirements.clone(),
        subject,
        payload: c.to_value()?,
        attachments: vec![],
        findings,
    })
}

/// Record a campaign in the store, with its evidence document, report and SARIF attached
/// (taken from `outputs`, so they are the bytes that were written).
pub fn record(
    store: &mut Store,
    run: &CampaignRun,
    subject: Subject,
    outputs: &[OutputFile],
) -> Result<RecordId, CampaignError> {
    let mut ev = evidence(&run.campaign, subject)?;
    for name in ATTACHED {
        if let Some(f) = outputs.iter().find(|f| f.path == Path::new(name)) {
            ev.attachments
                .push(attach_bytes(store, name, media_type_of(&f.path), &f.bytes)?);
        }
    }
    let operation = if run.report.protocol.starts_with("mqtt") {
        MQTT_OPERATION
    } else {
        OPERATION
    };
    Ok(append_idempotent(
        store,
        Record::new(operation, Body::Evidence(ev)),
    )?)
}

/// What a campaign's `evidence.json` says, as far as an acceptance decision needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSummary {
    /// Protocol model (`configuration.protocol`), e.g. `modbus-tcp`.
    pub protocol: String,
    /// Cases executed (`result.cases`); 0 for an inconclusive campaign, which shows nothing.
    pub cases: u64,
    /// The campaign's verdict (`result.verdict`), if it records one.
    pub verdict: Option<CampaignVerdict>,
    /// Open crash and hang findings.
    pub open_crash_or_hang: usize,
    /// Other open findings (conformance, degradation).
    pub open_conformance: usize,
}

#[derive(serde::Deserialize)]
struct FindingView {
    behaviour: Behaviour,
    #[serde(default = "open")]
    status: FindingStatus,
}

fn open() -> FindingStatus {
    FindingStatus::Open
}

/// Read a campaign's `evidence.json` (`text`, read from `path`): its format, protocol, case
/// count and findings, each checked; errors name the file and the field.
pub fn read_evidence_json(path: &Path, text: &str) -> Result<CampaignSummary, CampaignError> {
    let bad = |reason: String| CampaignError::File {
        path: path.to_path_buf(),
        reason,
    };
    let v: Value = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "line {}, column {}: {e} (expected the evidence.json of `otproof fuzz`)",
            e.line(),
            e.column()
        ))
    })?;
    let format = v.get("format").and_then(Value::as_str);
    if format != Some(CAMPAIGN_DOCUMENT_FORMAT) {
        return Err(bad(format!(
            "field 'format' is {}: expected '{CAMPAIGN_DOCUMENT_FORMAT}' (the evidence.json of `otproof fuzz`)",
            format.map_or_else(|| "missing".to_string(), |f| format!("'{f}'"))
        )));
    }
    let protocol = v
        .get("configuration")
        .and_then(|c| c.get("protocol"))
        .and_then(Value::as_str)
        .ok_or_else(|| bad("field 'configuration.protocol': expected a string".into()))?
        .to_string();
    let cases = v
        .get("result")
        .and_then(|r| r.get("cases"))
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("field 'result.cases': expected a whole number".into()))?;
    let verdict: Option<CampaignVerdict> = match v.get("result").and_then(|r| r.get("verdict")) {
        None => None,
        Some(x) => Some(serde_json::from_value(x.clone()).map_err(|e| {
            bad(format!(
                "field 'result.verdict': {e} (expected pass, fail or inconclusive)"
            ))
        })?),
    };
    let cases = if verdict == Some(CampaignVerdict::Inconclusive) {
        0
    } else {
        cases
    };
    let findings = v
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("field 'findings': expected a list".into()))?;
    let mut open_crash_or_hang = 0;
    let mut open_conformance = 0;
    for (i, f) in findings.iter().enumerate() {
        let f: FindingView = serde_json::from_value(f.clone())
            .map_err(|e| bad(format!("field 'findings[{i}]': {e}")))?;
        if f.status != FindingStatus::Open {
            continue;
        }
        match f.behaviour {
            Behaviour::Crash | Behaviour::Hang => open_crash_or_hang += 1,
            Behaviour::Degradation | Behaviour::Conformance => open_conformance += 1,
        }
    }
    Ok(CampaignSummary {
        protocol,
        cases,
        verdict,
        open_crash_or_hang,
        open_conformance,
    })
}

/// A finding file (`findings/N.json`) read back for replay.
#[derive(Debug, Clone)]
pub struct FindingFile {
    /// The finding as the fuzzer reported it.
    pub finding: fz::Finding,
    /// Its reproducer's requests, decoded.
    pub requests: Vec<Vec<u8>>,
    /// The protocol model it was found with (`modbus-tcp` when the file does not say).
    pub protocol: String,
}

/// Read a finding file (`text`, read from `path`).
pub fn read_finding_file(path: &Path, text: &str) -> Result<FindingFile, CampaignError> {
    let bad = |reason: String| CampaignError::File {
        path: path.to_path_buf(),
        reason,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    if doc.get("format").and_then(Value::as_str) != Some(FINDING_FORMAT) {
        return Err(bad(format!(
            "expected a finding file written by `otproof fuzz` (format {FINDING_FORMAT})"
        )));
    }
    let finding: fz::Finding = serde_json::from_value(doc["finding"].clone())
        .map_err(|e| bad(format!("field 'finding': {e}")))?;
    let requests = finding
        .reproducer
        .iter()
        .enumerate()
        .map(|(i, h)| {
            request_bytes(h).ok_or_else(|| bad(format!("field 'finding.reproducer[{i}]': not hex")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if requests.is_empty() {
        return Err(bad(
            "field 'finding.reproducer': no request to replay".into()
        ));
    }
    let protocol = doc
        .get("protocol")
        .and_then(Value::as_str)
        .unwrap_or("modbus-tcp")
        .to_string();
    Ok(FindingFile {
        finding,
        requests,
        protocol,
    })
}

/// What a replay showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// The behaviour came back, in words.
    Reproduced(String),
    /// The whole reproducer was delivered and the target behaved.
    NotReproduced,
    /// Nothing could be delivered: the target is not there (why, in words).
    NoTarget(String),
}

/// What a replay showed.
#[derive(Debug, Clone)]
pub struct Replay {
    /// What the target did to the last request.
    pub outcome: String,
    /// What that shows.
    pub verdict: ReplayVerdict,
}

/// Re-send a finding's reproducer to its target with the model it was found with: MQTT
/// (a CONNECT first unless the reproducer starts with one), else Modbus/TCP (the unit from
/// its first request).
pub async fn replay(f: &FindingFile, target: SocketAddr, timeout: Duration) -> Replay {
    let version = MqttVersion::of_protocol(&f.protocol);
    if let Some(v) = version.filter(|_| sequence::is_sequence(&f.finding.reproducer)) {
        // A two-session sequence: each line on its session, judged by the sequence oracle.
        let shown =
            sequence::replay(v, target, timeout, f.finding.case, &f.finding.reproducer).await;
        let (outcome, verdict) = match shown {
            Ok(v) if v.is_empty() => (
                "sequence delivered".to_string(),
                ReplayVerdict::NotReproduced,
            ),
            Ok(v) => (
                format!("sequence delivered, {} violation(s)", v.len()),
                ReplayVerdict::Reproduced(v.join("; ")),
            ),
            Err(why) => (
                "nothing delivered".to_string(),
                ReplayVerdict::NoTarget(why),
            ),
        };
        return Replay { outcome, verdict };
    }
    if let Some(v) = version.filter(|_| connect::is_connect_case(&f.finding.reproducer)) {
        // A CONNECT case: the CONNECT as the first packet of a fresh connection.
        let shown =
            connect::replay(v, target, timeout, &f.finding.field, &f.finding.reproducer).await;
        let (outcome, verdict) = match shown {
            Ok(None) => (
                "CONNECT delivered".to_string(),
                ReplayVerdict::NotReproduced,
            ),
            Ok(Some(w)) => (
                "CONNECT delivered".to_string(),
                ReplayVerdict::Reproduced(w),
            ),
            Err(why) => (
                "nothing delivered".to_string(),
                ReplayVerdict::NoTarget(why),
            ),
        };
        return Replay { outcome, verdict };
    }
    let model: Arc<dyn ProtocolModel> = if let Some(v) = version {
        v.model()
    } else {
        let unit = f
            .requests
            .first()
            .and_then(|r| r.get(6))
            .copied()
            .unwrap_or(1);
        Arc::new(Modbus::new(unit))
    };
    let (outcome, shown) = fz::replay(model.as_ref(), target, timeout, &f.requests).await;
    let verdict = match shown {
        fz::Replayed::Reproduced(v) => ReplayVerdict::Reproduced(v),
        fz::Replayed::NotReproduced | fz::Replayed::Empty => ReplayVerdict::NotReproduced,
        fz::Replayed::NoTarget(why) => ReplayVerdict::NoTarget(why),
    };
    Replay {
        outcome: format!("{outcome:?}"),
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(b64(b""), "");
        assert_eq!(b64(b"f"), "Zg==");
        assert_eq!(b64(b"fo"), "Zm8=");
        assert_eq!(b64(b"foo"), "Zm9v");
        assert_eq!(b64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn severities_map_from_the_fuzzer_names() {
        assert_eq!(severity("critical"), Severity::Critical);
        assert_eq!(severity("high"), Severity::High);
        assert_eq!(severity("medium"), Severity::Medium);
        assert_eq!(severity("low"), Severity::Low);
        assert_eq!(severity("whatever"), Severity::Info);
    }

    #[test]
    fn enums_convert_by_name() {
        for b in [
            fz::Behaviour::Crash,
            fz::Behaviour::Hang,
            fz::Behaviour::Degradation,
            fz::Behaviour::Conformance,
        ] {
            assert_eq!(behaviour(b).name(), b.name());
        }
        for c in otproof_fuzz::mutate::MutationClass::ALL {
            assert_eq!(class(c).name(), c.name());
        }
        assert_eq!(
            otproof_fuzz::mutate::MutationClass::ALL.len(),
            MutationClass::ALL.len()
        );
    }

    #[test]
    fn a_bad_reproducer_request_encodes_as_empty() {
        let r = reproducer_request("zz");
        assert_eq!((r.base64.as_str(), r.length), ("", 0));
        let r = reproducer_request("0001");
        assert_eq!((r.base64.as_str(), r.length), ("AAE=", 2));
    }
}
