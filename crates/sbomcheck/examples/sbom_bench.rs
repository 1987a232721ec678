//! SBOM benchmark driver for `bench/sbom.sh`. Prints one JSON object per run.
//!
//! * `sbom_bench parse FILE [N=5]`: reads FILE once, parses it N times with
//!   `otproof_sbom::parse`, prints `{"file", "format", "components", "runs", "median_s", ...}`.
//! * `sbom_bench match100k [N=100000] [SOURCE=auto]`: generates an N-component CycloneDX
//!   JSON SBOM and N synthetic OSV advisories (generation not timed), builds the matcher
//!   index, parses the SBOM, looks every component up, then runs the full
//!   `otproof_sbomcheck::check`; prints the times, match count and peak RSS (VmHWM).
//!   SOURCE picks the SBOM: `sbomgen` (`otproof_sbom::generate::cyclonedx_json`),
//!   `aligned` (CycloneDX JSON written here from `otproof_vulndb::generate::components`,
//!   whose names and versions line up with the advisories), or `auto` (`sbomgen`, falling
//!   back to `aligned` when it gives no match at all).
//! * `sbom_bench import [N=100000]`: writes N synthetic OSV advisories as one JSON array
//!   (generation not timed) and imports it into a new SQLite vulnerability database, then
//!   loads the matcher from it; prints the import and load times and the record count.
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

use otproof_sbomcheck::{check, query_for, Policy};
use otproof_vex::VexSet;
use otproof_vulndb::{generate as vgen, Matcher, Query, VulnDb};
use serde_json::json;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Instant;

fn usage() -> ExitCode {
    eprintln!("usage: sbom_bench parse FILE [N]\n       sbom_bench match100k [N] [sbomgen|aligned|auto]\n       sbom_bench import [N]\n       sbom_bench gen FILE [N]");
    ExitCode::from(2)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Peak resident set size of this process in MB (VmHWM), if /proc tells.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn parse_arg<T: std::str::FromStr>(
    arg: Option<&String>,
    default: T,
    what: &str,
) -> Result<T, String> {
    match arg {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|_| format!("{what}: expected a number, got {s:?}")),
    }
}

fn run_parse(file: &str, runs: usize) -> Result<serde_json::Value, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("reading {file}: {e}"))?;
    let runs = runs.max(1);
    let mut times = Vec::with_capacity(runs);
    let mut components = 0;
    let mut format = String::new();
    let mut problems = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let doc = otproof_sbom::parse(&bytes).map_err(|e| format!("parsing {file}: {e}"))?;
        times.push(t.elapsed().as_secs_f64());
        components = doc.components.len();
        problems = doc.problems.len();
        format = doc.format.to_string();
        drop(doc);
    }
    Ok(json!({
        "file": file,
        "format": format,
        "bytes": bytes.len(),
        "components": components,
        "problems": problems,
        "runs": runs,
        "median_s": median(times),
    }))
}

/// A CycloneDX 1.5 JSON SBOM whose components are the given queries (purl only).
fn aligned_sbom(queries: &[Query]) -> String {
    let mut out = String::with_capacity(160 * queries.len() + 512);
    out.push_str(concat!(
        "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"version\": 1,\n",
        " \"metadata\": {\"timestamp\": \"2024-01-01T00:00:00Z\", \"component\": ",
        "{\"bom-ref\": \"root\", \"type\": \"firmware\", \"name\": \"synthetic-device\", \"version\": \"1.0.0\"}},\n",
        " \"components\": [\n",
    ));
    for (i, q) in queries.iter().enumerate() {
        let ty = q.purl_type.as_deref().unwrap_or("generic");
        let ns = q
            .namespace
            .as_deref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        let version = q.version.as_deref().unwrap_or("");
        let _ = write!(
            out,
            "  {{\"bom-ref\": \"c{i}\", \"type\": \"library\", \"name\": \"{name}\", \"version\": \"{version}\", \
\"purl\": \"pkg:{ty}/{ns}{name}@{version}\"}}",
            name = q.name
        );
        out.push_str(if i + 1 < queries.len() { ",\n" } else { "\n" });
    }
    out.push_str(" ]\n}\n");
    out
}

struct Pass {
    parse_s: f64,
    match_s: f64,
    matches: usize,
    matched_components: usize,
    components: usize,
    doc: otproof_sbom::Document,
}

fn parse_and_match(sbom: &str, matcher: &Matcher) -> Result<Pass, String> {
    let t = Instant::now();
    let doc = otproof_sbom::parse(sbom.as_bytes()).map_err(|e| format!("generated SBOM: {e}"))?;
    let parse_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut matches = 0;
    let mut matched_components = 0;
    for c in &doc.components {
        let q = query_for(c).0;
        let found = matcher.lookup(&q).len();
        matches += found;
        matched_components += usize::from(found > 0);
    }
    let match_s = t.elapsed().as_secs_f64();
    Ok(Pass {
        parse_s,
        match_s,
        matches,
        matched_components,
        components: doc.components.len(),
        doc,
    })
}

fn run_match(n: usize, source: &str) -> Result<serde_json::Value, String> {
    let mut source = match source {
        "sbomgen" | "aligned" | "auto" => source.to_string(),
        other => {
            return Err(format!(
                "SOURCE: expected sbomgen, aligned or auto, got {other:?}"
            ))
        }
    };
    // Generation is not timed.
    let advisories = vgen::osv_records(n, 1);
    let mut sbom = if source == "aligned" {
        aligned_sbom(&vgen::components(n, 1))
    } else {
        otproof_sbom::generate::cyclonedx_json(n, 1)
    };

    let t = Instant::now();
    let matcher = Matcher::from_advisories(advisories, vec![], vec![]);
    let index_s = t.elapsed().as_secs_f64();

    let mut pass = parse_and_match(&sbom, &matcher)?;
    let mut note = String::new();
    if source == "auto" {
        if pass.matches == 0 {
            note = "otproof_sbom::generate names do not line up with the vulndb advisories \
                    (0 matches); SBOM rebuilt from otproof_vulndb::generate::components"
                .into();
            drop(pass);
            sbom = aligned_sbom(&vgen::components(n, 1));
            pass = parse_and_match(&sbom, &matcher)?;
            source = "aligned".into();
        } else {
            source = "sbomgen".into();
        }
    }
    let sbom_bytes = sbom.len();
    drop(sbom);

    let t = Instant::now();
    let report = check(&pass.doc, &matcher, &VexSet::new(), &Policy::default());
    let check_s = t.elapsed().as_secs_f64();
    let check_components = report.components.len();
    let check_vulns: usize = report
        .components
        .iter()
        .map(|c| c.vulnerabilities.len())
        .sum();
    drop(report);

    Ok(json!({
        "source": source,
        "note": note,
        "components": pass.components,
        "advisories": n,
        "sbom_bytes": sbom_bytes,
        "parse_s": pass.parse_s,
        "index_s": index_s,
        "match_s": pass.match_s,
        "matches": pass.matches,
        "matched_components": pass.matched_components,
        "check_s": check_s,
        "check_components": check_components,
        "check_vulnerabilities": check_vulns,
        "peak_rss_mb": peak_rss_mb(),
    }))
}

fn run_import(n: usize) -> Result<serde_json::Value, String> {
    let dir = std::env::temp_dir().join(format!("otproof-sbom-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let result = (|| {
        let file = dir.join("all.json");
        let json = serde_json::to_vec(&vgen::osv_records(n, 3)).map_err(|e| e.to_string())?;
        std::fs::write(&file, &json).map_err(|e| format!("writing {}: {e}", file.display()))?;
        let mut db = VulnDb::open(&dir.join("v.sqlite")).map_err(|e| e.to_string())?;
        let t = Instant::now();
        let r = db.import(&[file], &mut |_| {}).map_err(|e| e.to_string())?;
        let import_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let m = db.matcher().map_err(|e| e.to_string())?;
        let load_s = t.elapsed().as_secs_f64();
        Ok(json!({
            "records": n,
            "json_bytes": json.len(),
            "imported": r.osv_imported,
            "rejected": r.rejected.len(),
            "import_s": import_s,
            "matcher_load_s": load_s,
            "matcher_records": m.counts().0,
            "peak_rss_mb": peak_rss_mb(),
        }))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("parse") => {
            let Some(file) = args.get(1) else {
                return usage();
            };
            parse_arg(args.get(2), 5, "N").and_then(|runs| run_parse(file, runs))
        }
        Some("match100k") => parse_arg(args.get(1), 100_000, "N")
            .and_then(|n| run_match(n, args.get(2).map(String::as_str).unwrap_or("auto"))),
        Some("import") => parse_arg(args.get(1), 100_000, "N").and_then(run_import),
        Some("gen") => {
            let (Some(file), Ok(n)) = (args.get(1), parse_arg(args.get(2), 100_000, "N")) else {
                return usage();
            };
            std::fs::write(file, otproof_sbom::generate::cyclonedx_json(n, 1))
                .map(|()| json!({"file": file, "components": n}))
                .map_err(|e| format!("writing {file}: {e}"))
        }
        _ => return usage(),
    };
    match result {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sbom_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
