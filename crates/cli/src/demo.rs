//! `otproof demo`: a sequence of steps, each writing sample outputs of one capability into
//! the demo folder. Later capabilities add a step to [`steps`].

use crate::output;
use crate::output::{say, tell};
use anyhow::{Context, Result};
use otproof_assess::spec::{SpecParams, Specification};
use otproof_catalog::{Catalog, ComponentType, SlVector};
use otproof_evidence::{EvidenceKind, Subject};
use otproof_report as report;
use otproof_store::Store;
use std::path::{Path, PathBuf};

/// One file a step wrote.
pub struct Written {
    path: PathBuf,
    what: String,
}

/// Where steps write, and what they have written so far.
pub struct Demo {
    dir: PathBuf,
    written: Vec<Written>,
    spec: Option<Specification>,
    store: Option<Store>,
    notes: Vec<String>,
}

impl Demo {
    fn write(&mut self, name: &str, what: &str, text: &str) -> Result<()> {
        self.write_bytes(name, what, text.as_bytes())
    }

    fn write_bytes(&mut self, name: &str, what: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        output::write_bytes(&path, bytes)?;
        self.written.push(Written {
            path,
            what: what.to_string(),
        });
        Ok(())
    }
}

/// A demo step.
pub trait Step {
    /// What the step shows.
    fn title(&self) -> &'static str;
    /// Write its files.
    fn run(&self, demo: &mut Demo) -> Result<()>;
}

/// The IEC 62443 catalog in every export format.
struct CatalogExport;

impl Step for CatalogExport {
    fn title(&self) -> &'static str {
        "IEC 62443 catalog (3-3, 4-2, 4-1) exported"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        let c = Catalog::builtin();
        demo.write(
            report::oscal::DEFAULT_CATALOG_HREF,
            "OSCAL 1.1 catalog",
            &(serde_json::to_string_pretty(&report::oscal::catalog(c))? + "\n"),
        )?;
        demo.write(
            "iec62443-catalog.json",
            "catalog as JSON",
            &(report::catalog::export_json(c)? + "\n"),
        )?;
        let rows: Vec<_> = c.requirements().iter().collect();
        demo.write(
            "iec62443-catalog.csv",
            "catalog as CSV",
            &report::catalog::export_csv(&rows)?,
        )
    }
}

/// A supplier specification for a sample embedded device at SL-T {2 2 2 2 2 2 2}.
struct SupplierSpec;

impl Step for SupplierSpec {
    fn title(&self) -> &'static str {
        "supplier specification: embedded device (remote I/O controller) at SL-T {2 2 2 2 2 2 2}"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        let mut params = SpecParams::new(ComponentType::EmbeddedDevice, SlVector::uniform(2)?);
        params.product = Some("Remote I/O controller for a water treatment plant".into());
        let spec = otproof_workflow::spec::build(&params)?;
        let n = spec.technical_count();
        demo.spec = Some(spec.clone());
        demo.write(
            "spec-embedded-sl2.md",
            &format!("specification, Markdown, {n} 4-2 requirements"),
            &report::spec::markdown(&spec),
        )?;
        demo.write(
            "spec-embedded-sl2.html",
            "specification, HTML (prints to PDF)",
            &report::spec::html(&spec),
        )?;
        demo.write(
            "spec-embedded-sl2.json",
            "specification as data",
            &report::spec::json(&spec)?,
        )?;
        demo.write(
            "spec-embedded-sl2.oscal-profile.json",
            "specification as OSCAL profile over the catalog",
            &report::spec::oscal(&spec, report::oscal::DEFAULT_CATALOG_HREF)?,
        )?;
        demo.write(
            "questionnaire-embedded-sl2.yaml",
            &format!(
                "vendor questionnaire template, {} items",
                spec.questionnaire.items.len()
            ),
            &report::spec::questionnaire_yaml(&spec.questionnaire)?,
        )
    }
}

/// A store in the demo folder; the specification and a vendor SDL document as evidence.
struct RecordEvidence;

const SAMPLE_SDL: &str = "# Secure development lifecycle (sample vendor document)\n\n\
Owner: product security office. Version 3, approved.\n\n\
## Security management\n\n\
- Every product follows this lifecycle from concept to end of support; the product security\n  \
office owns it, names a security lead per product and reviews the process once a year.\n\
- Third-party and open-source components are listed in an SBOM for every release and checked\n  \
against known vulnerabilities before it ships; signing keys are held in an HSM.\n\n\
## Requirements and threat model\n\n\
- Security requirements are derived from a threat model for every release.\n\n\
## Verification and validation\n\n\
- Every release passes static analysis, requirements-based security tests, threat mitigation\n  \
tests, robustness testing of each protocol interface and a known-vulnerability scan of its\n  \
SBOM before it ships; a penetration test by a team independent of the developers runs for\n  \
every major release.\n\n\
## Security-related issues\n\n\
- Vulnerability reports are received at a published address, triaged within five working\n  \
days, assessed with CVSS, addressed in a patch or a documented mitigation, and disclosed in\n  \
an advisory with a VEX statement; the defect process itself is reviewed every quarter.\n\n\
## Security updates\n\n\
- Updates are qualified on the supported configurations, documented with the issues they fix\n  \
and the dependent components they touch, signed, and delivered within 30 days for a critical\n  \
vulnerability.\n";

/// The requirements the sample manual is recorded for (a data file: no requirement ID
/// literals in the code).
const SAMPLE_SDL_REQUIREMENTS: &str = include_str!("../data/demo-sdl-requirements.txt");

impl Step for RecordEvidence {
    fn title(&self) -> &'static str {
        "evidence store: specification and a vendor SDL document recorded in the ledger"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        let mut store = match Store::discover(&demo.dir) {
            Ok(d) if d.parent() == Some(demo.dir.as_path()) => Store::open(&d)?,
            _ => Store::init(&demo.dir, None)?,
        };
        demo.notes.push(format!(
            "store {} (ledger origin {})",
            store.dir().display(),
            store.origin()
        ));
        if let Some(spec) = demo.spec.clone() {
            let files = [
                demo.dir.join("spec-embedded-sl2.html"),
                demo.dir.join("questionnaire-embedded-sl2.yaml"),
            ];
            let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
            let id = otproof_workflow::spec::record(&mut store, &spec, &refs)?;
            demo.notes
                .push(format!("recorded the specification as {id}"));
        }
        demo.write(
            "sdl-process-sample.md",
            "sample vendor SDL document",
            SAMPLE_SDL,
        )?;
        let id = otproof_workflow::document::add(
            &mut store,
            &otproof_workflow::document::NewDocument {
                file: demo.dir.join("sdl-process-sample.md"),
                kind: EvidenceKind::Document,
                requirements: SAMPLE_SDL_REQUIREMENTS
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string)
                    .collect(),
                vendor: "Example Automation".into(),
                product: Some("RIO-2000".into()),
                version: Some("4.2.0".into()),
                component: Some(ComponentType::EmbeddedDevice),
                title: Some("Secure development lifecycle, version 3 (sample)".into()),
                media_type: None,
                supersedes: None,
            },
        )?
        .id;
        demo.notes
            .push(format!("recorded the SDL document as {id}"));
        demo.store = Some(store);
        Ok(())
    }
}

/// A 20-second robustness campaign against a real Modbus/TCP server (tokio-modbus, in-process).
struct Robustness;

impl Step for Robustness {
    fn title(&self) -> &'static str {
        "robustness campaign: Modbus/TCP server (tokio-modbus, in-process on 127.0.0.1), 20 seconds"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        use otproof_workflow::campaign::{self as wf, Config, Device, ModbusPlan};
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        use std::time::Duration;
        let seconds: u64 = std::env::var("OTPROOF_DEMO_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        // The demo target is third-party code: count its panics instead of printing them.
        let panics = otproof_workflow::demo_target::PanicCounter::install();
        let addr = rt.block_on(otproof_workflow::demo_target::start())?;
        let mut cfg = Config::new(addr);
        cfg.cases = None;
        cfg.duration = Some(Duration::from_secs(seconds));
        cfg.concurrency = 2;
        cfg.seed = 2026;
        // Generous for a loaded machine: the in-process target answers in well under 1 ms.
        cfg.timeout = Duration::from_millis(1000);
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = stop.clone();
            rt.spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, Ordering::SeqCst);
                }
            });
        }
        let mut last = std::time::Instant::now();
        // The scope names the simulated device; the target is not asked who it is.
        let device = Device {
            vendor: Some("Example Automation".into()),
            product: Some("RIO-2000 (simulated by the tokio-modbus server)".into()),
            version: Some("4.2.0".into()),
        };
        let mut plan = ModbusPlan::new(cfg, 1, None, device);
        plan.identify = false;
        let run = rt.block_on(wf::run_modbus(plan, stop, &mut |p| {
            if last.elapsed() >= Duration::from_secs(5) {
                last = std::time::Instant::now();
                tell!(
                    "      ... {} cases, {:.0}/s, coverage {:.0}%",
                    p.cases,
                    p.rate,
                    p.coverage
                );
            }
        }));
        rt.shutdown_background();
        let (count, first) = panics.seen();
        drop(panics);
        if count > 0 {
            demo.notes.push(format!(
                "the target's connection task panicked {count} time(s), each time dropping the connection ({}); the findings name the inputs",
                first.rsplit('/').next().unwrap_or(&first)
            ));
        }
        let run = run?;
        let out = demo.dir.join("robustness");
        let outputs = wf::outputs(&run)?;
        let files = crate::fuzz_cmd::write_outputs(&out, &outputs)?;
        let mut finding_files = 0;
        for f in &files {
            if f.parent().is_some_and(|p| p.ends_with("findings")) {
                finding_files += 1;
                continue;
            }
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let what = match name.as_str() {
                "campaign.json" => "campaign state (for --resume)",
                "evidence.json" => "scope, method, coverage, findings",
                "report.html" => "report for an assessor",
                "findings.sarif" => "SARIF 2.1.0",
                "junit.xml" => "JUnit",
                _ => "campaign output",
            };
            demo.written.push(Written {
                path: f.clone(),
                what: what.into(),
            });
        }
        if finding_files > 0 {
            demo.notes.push(format!(
                "{}: {} files (one JSON and one pcap per finding; replay with `otproof fuzz replay`)",
                out.join("findings").display(),
                finding_files
            ));
        }
        demo.notes.push(format!(
            "{} cases in {:.0} s ({:.0}/s), coverage {:.0}% of function code x mutation class, {} finding(s)",
            run.campaign.result.cases,
            run.campaign.result.elapsed_s,
            run.campaign.result.cases_per_second,
            run.campaign.coverage.pair_percent(),
            run.campaign.findings.len()
        ));
        if let Some(store) = demo.store.as_mut() {
            // The campaign tests the release candidate, 4.3.0 (see ReleaseAndUpdate).
            let subject = Subject::Product {
                vendor: "Example Automation".into(),
                product: "RIO-2000".into(),
                version: Some("4.3.0".into()),
                component_type: Some(ComponentType::EmbeddedDevice),
                artifacts: vec![],
            };
            let id = wf::record(store, &run, subject, &outputs)?;
            demo.notes.push(format!("recorded the campaign as {id}"));
        }
        Ok(())
    }
}

/// Export every record as a bundle, verify it offline, and show that one changed byte fails.
struct BundleAndVerify;

impl Step for BundleAndVerify {
    fn title(&self) -> &'static str {
        "bundle exported and verified offline; a one-byte change is detected"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        let Some(store) = demo.store.as_mut() else {
            anyhow::bail!("no store from the previous step");
        };
        let exported =
            otproof_workflow::ledger::export(store, &otproof_workflow::ledger::Selection::All)?;
        let bytes = exported.bytes;
        let vkey = store.vkey_text();
        let verifier = store.verifier().clone();
        demo.write_bytes(
            "bundle.tar",
            &format!("evidence bundle, {} records", exported.records),
            &bytes,
        )?;
        demo.write("ledger.vkey", "the ledger's verifier key", &(vkey + "\n"))?;
        let good = otproof_workflow::ledger::verify_bundle("bundle.tar", &bytes, Some(&verifier))?;
        if !good.ok() {
            anyhow::bail!("the fresh bundle did not verify: {:?}", good.problems());
        }
        demo.notes.push(format!(
            "otproof verify bundle.tar --key ledger.vkey: {} checks passed",
            good.checks.len()
        ));
        let mut tampered = bytes.clone();
        let at = 512 + 100; // a byte of manifest.json's content
        if let Some(b) = tampered.get_mut(at) {
            *b ^= 0x01;
        }
        demo.write_bytes(
            "bundle-tampered.tar",
            "the same bundle with one byte changed",
            &tampered,
        )?;
        let bad = otproof_workflow::ledger::verify_bundle(
            "bundle-tampered.tar",
            &tampered,
            Some(&verifier),
        );
        let problems = match bad {
            Ok(r) if r.ok() => anyhow::bail!("a tampered bundle verified"),
            Ok(r) => r
                .problems()
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            Err(e) => vec![e.to_string()],
        };
        demo.notes.push(format!(
            "otproof verify bundle-tampered.tar: rejected ({})",
            problems.first().map(String::as_str).unwrap_or("")
        ));
        Ok(())
    }
}

/// The whole store recomputed from its records, against the pinned ledger key and a
/// checkpoint kept outside the store (what an auditor keeps to detect rollback or re-keying).
struct StoreVerify;

impl Step for StoreVerify {
    fn title(&self) -> &'static str {
        "store recomputed from its records, against the pinned key and a kept checkpoint"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        let Some(store) = demo.store.as_mut() else {
            anyhow::bail!("no store from the previous step");
        };
        let note = otproof_workflow::ledger::checkpoint(store)?;
        let trust = otproof_store::Trust {
            key: Some(store.verifier().clone()),
            checkpoints: vec![("checkpoint.note".into(), note.clone())],
        };
        let report = otproof_workflow::ledger::verify_store(store, &trust)?;
        if !report.ok() {
            anyhow::bail!("the demo store did not verify: {:?}", report.problems());
        }
        demo.write(
            "checkpoint.note",
            "the ledger's latest signed checkpoint (keep it: --checkpoint)",
            &note,
        )?;
        demo.notes.push(format!(
            "otproof verify --store --key ledger.vkey --checkpoint checkpoint.note: {} checks passed",
            report.checks.len()
        ));
        Ok(())
    }
}

/// The sample device's SBOM, vulnerability data, VEX and policy (synthetic; see
/// `testdata/rio-2000/README.md`), shipped inside the binary so the demo needs nothing else.
const RIO_FILES: &[(&str, &str)] = &[
    (
        "rio-2000-4.2.0.cdx.json",
        include_str!("../../../testdata/rio-2000/rio-2000-4.2.0.cdx.json"),
    ),
    (
        "rio-2000.openvex.json",
        include_str!("../../../testdata/rio-2000/rio-2000.openvex.json"),
    ),
    (
        "policy.yaml",
        include_str!("../../../testdata/rio-2000/policy.yaml"),
    ),
    (
        "rio-2000-4.3.0.cdx.json",
        include_str!("../../../testdata/rio-2000/rio-2000-4.3.0.cdx.json"),
    ),
    (
        "vulndb/osv-OTPROOF-DEMO-2026-0001.json",
        include_str!("../../../testdata/rio-2000/vulndb/osv-OTPROOF-DEMO-2026-0001.json"),
    ),
    (
        "vulndb/osv-OTPROOF-DEMO-2026-0002.json",
        include_str!("../../../testdata/rio-2000/vulndb/osv-OTPROOF-DEMO-2026-0002.json"),
    ),
    (
        "vulndb/osv-OTPROOF-DEMO-2026-0003.json",
        include_str!("../../../testdata/rio-2000/vulndb/osv-OTPROOF-DEMO-2026-0003.json"),
    ),
    (
        "vulndb/osv-OTPROOF-DEMO-2026-0004.json",
        include_str!("../../../testdata/rio-2000/vulndb/osv-OTPROOF-DEMO-2026-0004.json"),
    ),
    (
        "vulndb/kev.json",
        include_str!("../../../testdata/rio-2000/vulndb/kev.json"),
    ),
];

/// The sample device's SBOM checked against a small offline vulnerability set, with the
/// vendor's VEX clearing one finding, judged by an acceptance policy, and recorded.
struct SbomCheck;

impl Step for SbomCheck {
    fn title(&self) -> &'static str {
        "SBOM of the RIO-2000 firmware checked offline against OSV + KEV data, with VEX and a policy"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        use crate::sbom_cmd::{self, CheckFormat};
        use otproof_workflow::sbom::{self as flow, CheckInput};
        let dir = demo.dir.join("sbom");
        std::fs::create_dir_all(dir.join("vulndb"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for (name, text) in RIO_FILES {
            demo.write(&format!("sbom/{name}"), "sample input", text)?;
        }
        let db_path = dir.join("vulndb.sqlite");
        let _ = std::fs::remove_file(&db_path);
        let settings = otproof_workflow::settings::Settings {
            store: None,
            vulndb: Some(db_path.clone()),
            cwd: dir.clone(),
        };
        let imported = flow::import(&settings, &[dir.join("vulndb")], &mut |_| {})?.report;
        demo.written.push(Written {
            path: db_path.clone(),
            what: format!(
                "offline vulnerability database: {} OSV, {} KEV record(s)",
                imported.osv_imported, imported.kev_imported
            ),
        });
        let input = CheckInput {
            sbom: dir.join("rio-2000-4.2.0.cdx.json"),
            vex: vec![dir.join("rio-2000.openvex.json")],
            policy: Some(dir.join("policy.yaml")),
            max_age_days: None,
        };
        let checked = flow::check(&settings, &input)?;
        let check = &checked.payload;
        let mut outputs = Vec::new();
        for (format, name, what) in [
            (
                CheckFormat::Table,
                "sbom-check.txt",
                "check result as a table",
            ),
            (
                CheckFormat::Html,
                "sbom-check.html",
                "check report for an assessor",
            ),
            (CheckFormat::Json, "sbom-check.json", "check result as data"),
            (
                CheckFormat::Sarif,
                "sbom-check.sarif",
                "SARIF 2.1.0 (VEX-cleared results suppressed)",
            ),
        ] {
            let text = sbom_cmd::render_check(check, format, &checked.sbom_name())?;
            demo.write(&format!("sbom/{name}"), what, &text)?;
            outputs.push(dir.join(name));
        }
        let t = &check.totals;
        demo.notes.push(format!(
            "{} components: {} finding(s), {} cleared by the vendor's VEX, {} open ({} in KEV); policy {}",
            t.components,
            t.vulnerabilities,
            t.cleared_by_vex,
            t.vulnerabilities - t.cleared_by_vex,
            t.open_kev,
            if check.verdict.passed {
                "passed".to_string()
            } else {
                format!("FAILED: {}", check.verdict.reasons.join("; "))
            }
        ));
        if let Some(store) = demo.store.as_mut() {
            let id = flow::record_check(store, &checked, outputs.get(1).map(PathBuf::as_path))?;
            demo.notes.push(format!("recorded the check as {id}"));
        }
        Ok(())
    }
}

/// A synthetic firmware image: 256 KiB of a SHA-256 counter stream seeded by the version.
fn firmware(version: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let seed = Sha256::digest(format!("RIO-2000 firmware {version} (synthetic)").as_bytes());
    let mut out = Vec::with_capacity(256 * 1024);
    let mut i = 0u64;
    while out.len() < 256 * 1024 {
        let mut h = Sha256::new();
        h.update(seed);
        h.update(i.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        i += 1;
    }
    out
}

/// The vendor signs RIO-2000 4.2.0 and 4.3.0 (DSSE + in-toto release statements with their
/// SBOMs); the asset owner verifies 4.3.0, sees a tampered copy rejected, and approves the
/// update 4.2.0 -> 4.3.0 on the evidence in the store; a device identity is registered and
/// its telemetry verified.
struct ReleaseAndUpdate;

impl Step for ReleaseAndUpdate {
    fn title(&self) -> &'static str {
        "signed releases of the RIO-2000 firmware, verification, update approval 4.2.0 -> 4.3.0, a device identity"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        use crate::sbom_cmd::{self, CheckFormat};
        use otproof_evidence::payload::release::{CheckOutcome, SignatureDetail};
        use otproof_sign::keys::{self, Alg, SigningKey};
        use otproof_workflow::release::{self, ApprovalInput, ArtifactMethod, ReleaseInput};
        use otproof_workflow::sbom as flow;
        let dir = demo.dir.join("release");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let key_path = dir.join("vendor-release.key");
        let _ = std::fs::remove_file(&key_path);
        let vendor = SigningKey::generate(Alg::P256)?;
        keys::write_private_key(&key_path, &vendor)?;
        demo.written.push(Written {
            path: key_path.clone(),
            what: "the vendor's P-256 release key (PKCS#8, mode 0600)".into(),
        });
        demo.write(
            "release/vendor-release.pub",
            &format!(
                "its public key, id {}",
                &vendor.verifying_key().key_id()[..16]
            ),
            &vendor.verifying_key().to_pem(),
        )?;
        let sbom_dir = demo.dir.join("sbom");
        let db = sbom_dir.join("vulndb.sqlite");
        // The SBOM check of the release candidate (the installed 4.2.0 was checked before).
        let check43 = flow::CheckInput {
            sbom: sbom_dir.join("rio-2000-4.3.0.cdx.json"),
            vex: vec![sbom_dir.join("rio-2000.openvex.json")],
            policy: Some(sbom_dir.join("policy.yaml")),
            max_age_days: None,
        };
        let checked = flow::run_check(&check43, &flow::open_matcher_at(&db)?)?;
        let text =
            sbom_cmd::render_check(&checked.payload, CheckFormat::Html, &checked.sbom_name())?;
        demo.write("sbom/sbom-check-4.3.0.html", "SBOM check of 4.3.0", &text)?;
        let Some(mut owned) = demo.store.take() else {
            anyhow::bail!("no store from the earlier steps");
        };
        let store = &mut owned;
        flow::record_check(store, &checked, None)?;
        let mut envelopes = Vec::new();
        for v in ["4.2.0", "4.3.0"] {
            let fw = dir.join(format!("rio-2000-{v}.bin"));
            output::write_bytes(&fw, &firmware(v))?;
            let env = dir.join(format!("rio-2000-{v}.intoto.json"));
            let input = ReleaseInput {
                artifact: fw.clone(),
                key: key_path.clone(),
                product: "RIO-2000".into(),
                version: v.into(),
                sbom: Some(sbom_dir.join(format!("rio-2000-{v}.cdx.json"))),
                evidence: vec![],
                envelope_name: format!("rio-2000-{v}.intoto.json"),
            };
            let signed = release::sign_release(&input, Some(&*store))?;
            output::write_bytes(&env, &signed.envelope)?;
            release::record_release(store, &signed)?;
            demo.written.push(Written {
                path: fw,
                what: format!("firmware {v} (synthetic, 256 KiB)"),
            });
            demo.written.push(Written {
                path: env.clone(),
                what: format!("DSSE envelope: in-toto release statement for {v}, signed"),
            });
            envelopes.push(env);
        }
        let fw43 = dir.join("rio-2000-4.3.0.bin");
        let dsse = ArtifactMethod::Dsse {
            envelope: envelopes[1].clone(),
            keys: vec![dir.join("vendor-release.pub")],
        };
        let checked = release::verify_artifact(&fw43, &dsse)?;
        let passed = checked.passed();
        let Some(SignatureDetail::Dsse {
            release: Some(pred),
            ..
        }) = checked.check.detail.filter(|_| passed)
        else {
            anyhow::bail!("the signed release 4.3.0 does not verify");
        };
        demo.notes.push(format!(
            "otproof verify-artifact release/rio-2000-4.3.0.bin --envelope release/rio-2000-4.3.0.intoto.json --key release/vendor-release.pub: verified ({} {}, SBOM {})",
            pred.product,
            pred.version,
            pred.sbom.map(|s| s.name).unwrap_or_default()
        ));
        let mut tampered = firmware("4.3.0");
        if let Some(b) = tampered.get_mut(4096) {
            *b ^= 0x01;
        }
        demo.write_bytes(
            "release/rio-2000-4.3.0-tampered.bin",
            "the same image with one bit flipped",
            &tampered,
        )?;
        match release::verify_artifact(&dir.join("rio-2000-4.3.0-tampered.bin"), &dsse)?
            .check
            .outcome
        {
            CheckOutcome::Failed { reason, .. } => demo.notes.push(format!(
                "otproof verify-artifact release/rio-2000-4.3.0-tampered.bin ...: rejected ({})",
                reason.chars().take(90).collect::<String>()
            )),
            _ => anyhow::bail!("a tampered image verified"),
        }
        let approve = ApprovalInput {
            artifact: fw43,
            envelope: envelopes[1].clone(),
            keys: vec![dir.join("vendor-release.pub")],
            product: "RIO-2000".into(),
            from_version: "4.2.0".into(),
            to_version: "4.3.0".into(),
            sbom: Some(sbom_dir.join("rio-2000-4.3.0.cdx.json")),
            previous_sbom: None,
            policy: None,
            vulndb: db,
            decided_by: "asset owner (otproof demo)".into(),
            allow_downgrade: None,
        };
        let approval = release::approve_update(store, &approve)?;
        for n in &approval.notes {
            tell!("{n}");
        }
        let (decision, id) = (approval.decision, approval.id);
        let passed = decision
            .criteria
            .iter()
            .filter(|c| c.result == otproof_evidence::CriterionResult::Pass)
            .count();
        demo.notes.push(format!(
            "otproof update approve ... --from-version 4.2.0 --to-version 4.3.0: {} ({passed} of {} criteria pass: newer version, signature, statement, a campaign otproof ran with no open crash or hang, SBOM check on record, no vulnerability introduced); decision {id}",
            decision.decision,
            decision.criteria.len()
        ));
        // A device identity and its signed telemetry.
        let device = SigningKey::generate(Alg::Ed25519)?;
        let identity = otproof_sign::identity::IdentityStatement {
            name: "rio-0042".into(),
            product: "RIO-2000".into(),
            serial: "SN-0042".into(),
            device_key: device.verifying_key().to_pem(),
            vendor: "Example Automation".into(),
            issued: otproof_evidence::now_rfc3339(),
        };
        let id_env = otproof_sign::identity::register(&identity, &vendor)?;
        demo.write_bytes(
            "release/rio-0042.identity.json",
            "device identity rio-0042, signed by the vendor",
            &id_env.to_json(),
        )?;
        let telemetry = otproof_sign::dsse::sign(
            "application/vnd.otproof.telemetry+json",
            br#"{"device":"rio-0042","firmware":"4.3.0","uptime_s":86400}"#,
            &device,
        );
        demo.write_bytes(
            "release/rio-0042.telemetry.json",
            "telemetry signed by the device key",
            &telemetry.to_json(),
        )?;
        let checked = release::verify_identity(
            &dir.join("rio-0042.identity.json"),
            &[dir.join("vendor-release.pub")],
            Some(&dir.join("rio-0042.telemetry.json")),
        )?;
        if !checked.passed() {
            anyhow::bail!("the device identity or its telemetry does not verify");
        }
        demo.notes.push(
            "otproof identity verify release/rio-0042.identity.json --vendor-pub release/vendor-release.pub --data release/rio-0042.telemetry.json: verified".into(),
        );
        demo.store = Some(owned);
        Ok(())
    }
}

/// The water-treatment plant model: SL-T vs SL-A per FR, gaps, diagram, the SL-A claim.
struct Zones;

const WATER_TREATMENT: &str = include_str!("../../../examples/water-treatment.yaml");

impl Step for Zones {
    fn title(&self) -> &'static str {
        "zones and conduits of a water-treatment plant: SL-T vs SL-A per FR, gaps, diagram"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        use crate::decide_cmd::{self, DocFormat};
        demo.write(
            "zones/water-treatment.yaml",
            "system model (zones, conduits, assets, countermeasures, risk)",
            WATER_TREATMENT,
        )?;
        use otproof_workflow::zones::{self as zoning, ClaimArtifact};
        let l = zoning::load_model(&demo.dir.join("zones/water-treatment.yaml"))?;
        let (m, e) = (&l.model, &l.evaluation);
        demo.write(
            "zones/zones.html",
            "SL-T/SL-A table (colour-coded), gaps and justifications",
            &decide_cmd::render_zones(m, e, DocFormat::Html)?,
        )?;
        demo.write(
            "zones/zones.md",
            "the same as Markdown",
            &decide_cmd::render_zones(m, e, DocFormat::Md)?,
        )?;
        demo.write(
            "zones/zones.json",
            "the evaluation as data",
            &decide_cmd::render_zones(m, e, DocFormat::Json)?,
        )?;
        let svg = report::zones::svg(e, m);
        demo.write("zones/zones.svg", "diagram", &svg)?;
        let count =
            |st: otproof_assess::zones::GapStatus| e.gaps.iter().filter(|g| g.status == st).count();
        demo.notes.push(format!(
            "{} zones, {} conduits, {} assets; gaps: {} closed by countermeasures, {} open with a justification, {} open",
            e.zones.len(),
            e.conduits.len(),
            e.assets.len(),
            count(otproof_assess::zones::GapStatus::Closed),
            count(otproof_assess::zones::GapStatus::OpenJustified),
            count(otproof_assess::zones::GapStatus::Open)
        ));
        if let Some(store) = demo.store.as_mut() {
            let files = zoning::claim_files(
                &l,
                &[
                    ClaimArtifact::Model,
                    ClaimArtifact::Json,
                    ClaimArtifact::Svg,
                ],
            )?;
            let claim = zoning::record_claim(store, &l, &files)?;
            demo.notes
                .push(format!("recorded the SL-A claim as {}", claim.id));
        }
        Ok(())
    }
}

/// Two vendors' filled questionnaires scored side by side; the strong one's evidence is in
/// the store, the other answers by assertion.
struct Vendors;

const VENDOR_STRONG: &str = include_str!("../../../testdata/vendors/strong.yaml");
const VENDOR_ASSERTIONS: &str = include_str!("../../../testdata/vendors/assertions.yaml");
const VENDOR_DOCUMENTS: &str = include_str!("../../../testdata/vendors/strong-documents.yaml");

impl Step for Vendors {
    fn title(&self) -> &'static str {
        "vendor scoring: two filled questionnaires, one backed by evidence in the store, one by assertions"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        use crate::decide_cmd::VendorsScoreArgs;
        use otproof_workflow::vendors as scoring;
        demo.write(
            "vendors/northwind.yaml",
            "filled questionnaire (with evidence)",
            VENDOR_STRONG,
        )?;
        demo.write(
            "vendors/contoso.yaml",
            "filled questionnaire (assertions only)",
            VENDOR_ASSERTIONS,
        )?;
        let Some(store) = demo.store.as_mut() else {
            anyhow::bail!("no store from the earlier steps");
        };
        // The strong vendor's documents, submitted with its answers, become evidence records
        // (the answers reference them by title).
        let submission: scoring::Submission = serde_saphyr::from_str(VENDOR_DOCUMENTS)
            .context("testdata/vendors/strong-documents.yaml")?;
        scoring::record_submission(store, &submission, &|d| {
            scoring::DocumentContent {
            name: format!("{}.md", d.title.replace(' ', "-")),
            media_type: "text/markdown".into(),
            bytes: format!(
                "# {}\n\nSample document submitted by the vendor (synthetic, for the otproof demo).\n",
                d.title
            )
            .into_bytes(),
        }
        })?;
        let args = VendorsScoreArgs {
            answers: vec![
                demo.dir.join("vendors/northwind.yaml"),
                demo.dir.join("vendors/contoso.yaml"),
            ],
            spec: None,
            weights: None,
            format: crate::decide_cmd::DocFormat::Html,
            out: None,
            dry_run: false,
        };
        let scored = scoring::score(&crate::decide_cmd::score_inputs(&args), Some(store))?;
        let (scores, cmp) = (scored.scores, scored.comparison);
        let id = scoring::record_scores(store, &scores)?;
        demo.write(
            "vendors/vendor-scores.html",
            "side-by-side scores, gaps and the trace of every point",
            &report::vendors::html(&scores, &cmp),
        )?;
        demo.write(
            "vendors/vendor-scores.md",
            "the same as Markdown",
            &report::vendors::markdown(&scores, &cmp),
        )?;
        for s in &scores {
            demo.notes.push(format!(
                "{}: {:.1}% ({})",
                s.vendor.clone(),
                s.total_percent,
                s.dimensions
                    .iter()
                    .map(|d| format!("{} {:.0}%", d.name.to_lowercase(), d.percent))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        demo.notes.push(format!("recorded the scores as {id}"));
        Ok(())
    }
}

/// The IEC 62443-4-1 self-assessment over everything the demo recorded.
struct SdlAssessment;

impl Step for SdlAssessment {
    fn title(&self) -> &'static str {
        "IEC 62443-4-1 maturity self-assessment over the evidence in the store"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        let Some(store) = demo.store.as_ref() else {
            anyhow::bail!("no store from the earlier steps");
        };
        let a = otproof_workflow::sdl::assess(store, "Example Automation", Some("RIO-2000"))?;
        demo.write(
            "sdl/sdl-assessment.html",
            "ML per practice, supporting records, what raises each level",
            &report::sdl::html(&a),
        )?;
        demo.write(
            "sdl/sdl-assessment.md",
            "the same as Markdown",
            &report::sdl::markdown(&a),
        )?;
        demo.notes.push(format!(
            "practices: {}",
            a.practices
                .iter()
                .map(|p| format!("{} {}", p.practice, p.level))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(())
    }
}

const PACKAGE_FILES: &[(&str, &str)] = &[
    (
        "package.yaml",
        include_str!("../../../testdata/rio-2000/package/package.yaml"),
    ),
    (
        "criteria.yaml",
        include_str!("../../../testdata/rio-2000/package/criteria.yaml"),
    ),
    (
        "certificate-iecee-62443-4-1.md",
        include_str!("../../../testdata/rio-2000/package/certificate-iecee-62443-4-1.md"),
    ),
    (
        "support-statement.md",
        include_str!("../../../testdata/rio-2000/package/support-statement.md"),
    ),
    (
        "hardening-guide.md",
        include_str!("../../../testdata/rio-2000/package/hardening-guide.md"),
    ),
    (
        "patch-policy.md",
        include_str!("../../../testdata/rio-2000/package/patch-policy.md"),
    ),
];

/// The asset owner accepts RIO-2000 4.3.0 on the supplier's package, with one exception.
struct Acceptance;

impl Step for Acceptance {
    fn title(&self) -> &'static str {
        "product acceptance of RIO-2000 4.3.0 on the supplier's evidence package (one exception)"
    }
    fn run(&self, demo: &mut Demo) -> Result<()> {
        use crate::decide_cmd::{self, AcceptArgs, DocFormat};
        for (name, text) in PACKAGE_FILES {
            demo.write(
                &format!("package/{name}"),
                "supplier evidence package",
                text,
            )?;
        }
        // The package holds copies of what the earlier steps produced: every path of a
        // manifest must stay inside the package folder.
        for (from, to) in [
            ("sbom/rio-2000-4.3.0.cdx.json", "rio-2000-4.3.0.cdx.json"),
            ("sbom/rio-2000.openvex.json", "rio-2000.openvex.json"),
            ("release/rio-2000-4.3.0.bin", "release/rio-2000-4.3.0.bin"),
            (
                "release/rio-2000-4.3.0.intoto.json",
                "release/rio-2000-4.3.0.intoto.json",
            ),
            ("release/vendor-release.pub", "release/vendor-release.pub"),
            ("robustness/evidence.json", "robustness/evidence.json"),
        ] {
            let bytes = std::fs::read(demo.dir.join(from))
                .with_context(|| format!("the demo's {from} from an earlier step"))?;
            demo.write_bytes(
                &format!("package/{to}"),
                "supplier evidence package",
                &bytes,
            )?;
        }
        let args = AcceptArgs {
            package: demo.dir.join("package/package.yaml"),
            criteria: Some(demo.dir.join("package/criteria.yaml")),
            spec: None,
            db: Some(demo.dir.join("sbom/vulndb.sqlite")),
            today: None,
            decided_by: "asset owner (otproof demo)".into(),
            format: DocFormat::Html,
            out: None,
            bundle: None,
            dry_run: false,
        };
        let Some(mut owned) = demo.store.take() else {
            anyhow::bail!("no store from the earlier steps");
        };
        let settings = otproof_workflow::settings::Settings {
            vulndb: args.db.clone(),
            ..otproof_workflow::settings::for_store(owned.dir())
        };
        let result = otproof_workflow::accept::accept(
            &mut owned,
            &settings,
            &decide_cmd::accept_inputs(&args),
        );
        demo.store = Some(owned);
        let done = result?;
        let (r, m, id, records) = (&done.result, &done.manifest, done.decision, &done.records);
        demo.write(
            "package/acceptance.html",
            "acceptance decision, criteria, exception, warnings, limitations",
            &report::acceptance::html(r, m),
        )?;
        demo.notes.push(format!(
            "decision: {} ({} criteria; exceptions: {}); {} warning(s); recorded as {id} with {} evidence record(s)",
            r.decision.decision,
            r.decision.criteria.len(),
            r.decision
                .exceptions
                .iter()
                .map(|e| format!("{} owned by {}", e.criterion, e.owner))
                .collect::<Vec<_>>()
                .join("; "),
            r.warnings.len(),
            records.len()
        ));
        Ok(())
    }
}

/// The steps, in order.
pub fn steps() -> Vec<Box<dyn Step>> {
    vec![
        Box::new(CatalogExport),
        Box::new(SupplierSpec),
        Box::new(RecordEvidence),
        Box::new(Robustness),
        Box::new(SbomCheck),
        Box::new(ReleaseAndUpdate),
        Box::new(Zones),
        Box::new(Vendors),
        Box::new(Acceptance),
        Box::new(SdlAssessment),
        Box::new(BundleAndVerify),
        Box::new(StoreVerify),
    ]
}

/// Run every step into `dir`.
pub fn run(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the demo folder {}", dir.display()))?;
    let mut demo = Demo {
        dir: dir.to_path_buf(),
        written: Vec::new(),
        spec: None,
        store: None,
        notes: Vec::new(),
    };
    let steps = steps();
    for (i, step) in steps.iter().enumerate() {
        say!("[{}/{}] {}", i + 1, steps.len(), step.title())?;
        let before = demo.written.len();
        let notes_before = demo.notes.len();
        step.run(&mut demo)
            .with_context(|| format!("step {}: {}", i + 1, step.title()))?;
        for w in &demo.written[before..] {
            say!("      {}  ({})", w.path.display(), w.what)?;
        }
        for n in &demo.notes[notes_before..] {
            say!("      {n}")?;
        }
    }
    say!(
        "otproof demo wrote {} files into {}",
        demo.written.len(),
        dir.display()
    )?;
    Ok(())
}
