//! `otproof demo`: a sequence of steps, each writing sample outputs of one capability into
//! the demo folder. Later capabilities add a step to [`steps`].

use crate::output;
use crate::store_cmd;
use anyhow::{Context, Result};
use otproof_assess::spec::{build_specification, SpecParams, Specification};
use otproof_catalog::{Catalog, ComponentType, SlVector};
use otproof_evidence::{Evidence, EvidenceKind, RecordId, Subject};
use otproof_report as report;
use otproof_store::{bundle, Store};
use std::path::{Path, PathBuf};

/// Record a written specification (and its questionnaire) as evidence.
pub fn record_spec(store: &mut Store, spec: &Specification, files: &[&Path]) -> Result<RecordId> {
    let evidence = Evidence {
        kind: EvidenceKind::Specification,
        title: spec.title.clone(),
        requirements: Vec::new(),
        subject: Subject::Product {
            vendor: "(to be selected)".into(),
            product: spec.questionnaire.specification.product.clone(),
            version: None,
            component_type: Some(spec.params.component),
            artifacts: vec![],
        },
        payload: serde_json::json!({
            "format": spec.format,
            "catalog": spec.catalog,
            "component_type": spec.params.component,
            "sl_t": spec.sl_t_text,
            "ml": spec.params.ml,
            "support_years": spec.params.support_years,
            "applicable_requirements": spec.technical_ids(),
        }),
        attachments: vec![],
        findings: vec![],
    };
    store_cmd::record_output(store, evidence, files, "spec")
}

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
        let spec = build_specification(Catalog::builtin(), &params)?;
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
- Security requirements are derived from a threat model for every release.\n\
- Every release passes static analysis, robustness testing of each protocol interface,\n  \
and a known-vulnerability scan of its SBOM before it ships.\n\
- Vulnerability reports are triaged within five working days.\n";

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
            let id = record_spec(&mut store, &spec, &refs)?;
            demo.notes
                .push(format!("recorded the specification as {id}"));
        }
        demo.write(
            "sdl-process-sample.md",
            "sample vendor SDL document",
            SAMPLE_SDL,
        )?;
        let evidence = Evidence {
            kind: EvidenceKind::Document,
            title: "Secure development lifecycle, version 3 (sample)".into(),
            requirements: ["SM-1", "SR-2", "SVV-3", "DM-1"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            subject: Subject::Product {
                vendor: "Example Automation".into(),
                product: "RIO-2000".into(),
                version: Some("4.2.0".into()),
                component_type: Some(ComponentType::EmbeddedDevice),
                artifacts: vec![],
            },
            payload: serde_json::Value::Null,
            attachments: vec![],
            findings: vec![],
        };
        let id = store_cmd::record_output(
            &mut store,
            evidence,
            &[&demo.dir.join("sdl-process-sample.md")],
            "evidence add",
        )?;
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
        use otproof_fuzz::campaign::{self, Config};
        use otproof_fuzz::modbus::Modbus;
        use otproof_fuzz::model::ProtocolModel;
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
        let panics = Arc::new(std::sync::Mutex::new((0u64, String::new())));
        let default_hook = std::panic::take_hook();
        {
            let panics = panics.clone();
            std::panic::set_hook(Box::new(move |info| {
                if let Ok(mut p) = panics.lock() {
                    p.0 += 1;
                    if p.1.is_empty() {
                        p.1 = format!(
                            "{} at {}",
                            info.payload()
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| info
                                    .payload()
                                    .downcast_ref::<&str>()
                                    .map(|s| s.to_string()))
                                .unwrap_or_default(),
                            info.location()
                                .map(|l| format!("{}:{}", l.file(), l.line()))
                                .unwrap_or_default()
                        );
                    }
                }
            }));
        }
        let addr = rt.block_on(crate::demo_target::start())?;
        let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
        let mut cfg = Config::new(addr);
        cfg.cases = None;
        cfg.duration = Some(Duration::from_secs(seconds));
        cfg.concurrency = 2;
        cfg.seed = 2026;
        cfg.timeout = Duration::from_millis(500);
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
        let report = rt.block_on(campaign::run(model.clone(), cfg, stop, &mut |p| {
            if last.elapsed() >= Duration::from_secs(5) {
                last = std::time::Instant::now();
                eprintln!(
                    "      ... {} cases, {:.0}/s, coverage {:.0}%",
                    p.cases, p.rate, p.coverage
                );
            }
        }));
        rt.shutdown_background();
        std::panic::set_hook(default_hook);
        if let Ok(p) = panics.lock() {
            if p.0 > 0 {
                demo.notes.push(format!(
                    "the target's connection task panicked {} time(s), each time dropping the connection ({}); the findings name the inputs",
                    p.0,
                    p.1.rsplit('/').next().unwrap_or(&p.1)
                ));
            }
        }
        let scope = serde_json::json!({
            "protocol": "Modbus/TCP (MBAP), Modbus Application Protocol V1.1b3",
            "target": addr.to_string(),
            "unit_id": 1,
            "vendor": "Example Automation",
            "product": "RIO-2000 (simulated by the tokio-modbus server)",
            "version": "4.2.0",
            "function_codes": model.messages().iter().map(|m| m.code).collect::<Vec<_>>(),
        });
        let out = demo.dir.join("robustness");
        let files = crate::fuzz_cmd::write_outputs(&out, &report, &scope)?;
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
            report.cases,
            report.elapsed.as_secs_f64(),
            report.cases as f64 / report.elapsed.as_secs_f64().max(1e-3),
            report.coverage.pair_percent(),
            report.findings.len()
        ));
        if let Some(store) = demo.store.as_mut() {
            let subject = Subject::Product {
                vendor: "Example Automation".into(),
                product: "RIO-2000".into(),
                version: Some("4.2.0".into()),
                component_type: Some(ComponentType::EmbeddedDevice),
                artifacts: vec![],
            };
            let (ev, attach) = crate::fuzz_cmd::campaign_evidence(&report, subject, &files);
            let refs: Vec<&Path> = attach.iter().map(PathBuf::as_path).collect();
            let id = store_cmd::record_output(store, ev, &refs, "fuzz modbus")?;
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
        let ids: Vec<RecordId> = store
            .list(None, None)?
            .iter()
            .map(|r| r.id.parse())
            .collect::<Result<_, _>>()?;
        let bytes = bundle::export(store, &ids)?;
        let vkey = store.vkey_text();
        let verifier = store.verifier().clone();
        demo.write_bytes(
            "bundle.tar",
            &format!("evidence bundle, {} records", ids.len()),
            &bytes,
        )?;
        demo.write("ledger.vkey", "the ledger's verifier key", &(vkey + "\n"))?;
        let good = bundle::verify(&bytes, Some(&verifier))?;
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
        let bad = bundle::verify(&tampered, Some(&verifier));
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
        use crate::sbom_cmd::{self, CheckArgs, CheckFormat, DbArg};
        let dir = demo.dir.join("sbom");
        std::fs::create_dir_all(dir.join("vulndb"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for (name, text) in RIO_FILES {
            demo.write(&format!("sbom/{name}"), "sample input", text)?;
        }
        let db_path = dir.join("vulndb.sqlite");
        let _ = std::fs::remove_file(&db_path);
        let mut db = otproof_vulndb::VulnDb::open(&db_path)?;
        let imported = db.import(&[dir.join("vulndb")], &mut |_| {})?;
        demo.written.push(Written {
            path: db_path.clone(),
            what: format!(
                "offline vulnerability database: {} OSV, {} KEV record(s)",
                imported.osv_imported, imported.kev_imported
            ),
        });
        let matcher = db.matcher()?;
        let args = CheckArgs {
            sbom: dir.join("rio-2000-4.2.0.cdx.json"),
            vex: vec![dir.join("rio-2000.openvex.json")],
            policy: Some(dir.join("policy.yaml")),
            format: CheckFormat::Table,
            out: None,
            db: DbArg { db: Some(db_path) },
        };
        let (check, bytes) = sbom_cmd::run_check(&args, &matcher)?;
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
            let text = sbom_cmd::render_check(&check, format, &args.sbom)?;
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
            let id = sbom_cmd::record_check(
                store,
                &check,
                &args.sbom,
                &bytes,
                outputs.get(1).map(PathBuf::as_path),
            )?;
            demo.notes.push(format!("recorded the check as {id}"));
        }
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
        Box::new(BundleAndVerify),
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
        println!("[{}/{}] {}", i + 1, steps.len(), step.title());
        let before = demo.written.len();
        let notes_before = demo.notes.len();
        step.run(&mut demo)
            .with_context(|| format!("step {}: {}", i + 1, step.title()))?;
        for w in &demo.written[before..] {
            println!("      {}  ({})", w.path.display(), w.what);
        }
        for n in &demo.notes[notes_before..] {
            println!("      {n}");
        }
    }
    println!(
        "otproof demo wrote {} files into {}",
        demo.written.len(),
        dir.display()
    );
    Ok(())
}
