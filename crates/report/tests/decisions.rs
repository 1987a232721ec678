//! Renderings of the decisions: vendor scores and their comparison, the 4-1 maturity
//! self-assessment and product acceptance, from the samples in testdata/.

use otproof_assess::acceptance::{
    decide, parse_criteria, parse_package, AcceptanceResult, PackageFacts, PackageManifest,
};
use otproof_assess::sdl::{assess, Origin, RecordFacts, Scope};
use otproof_assess::vendors::{
    compare, parse_answers, score, Comparison, EvidenceRef, NoEvidence, VendorScore,
};
use otproof_assess::{Questionnaire, Weights};
use otproof_catalog::{Catalog, Practice};
use otproof_evidence::Verdict;
use otproof_report::{acceptance, sdl, vendors};

/// `text` is in `doc`; HTML-escaped when `doc` is the HTML rendering.
fn has(doc: &String, html: &String, text: &str) -> bool {
    if std::ptr::eq(doc, html) {
        let escaped = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");
        doc.contains(&escaped)
    } else {
        doc.contains(text)
    }
}

// ---------------------------------------------------------------------------------------
// Vendors

const TODAY: &str = "2026-06-01";
const STRONG: &str = include_str!("../../../testdata/vendors/strong.yaml");
const ASSERTIONS: &str = include_str!("../../../testdata/vendors/assertions.yaml");

/// The documents the strong sample names, resolved as verified evidence.
const NORTHWIND_DOCS: [&str; 7] = [
    "Northwind NW-RIO 4000 security test report TR-4000-12",
    "Northwind NW-RIO 4000 robustness test report RT-4000-3",
    "Northwind Secure Development Process Manual v4.2",
    "ISASecure SDLA certificate ISA-SDLA-0042",
    "IECEE CB 62443-4-2 certificate NW-4000-2025-117",
    "Northwind Product Security Lifecycle Policy v2.1",
    "Northwind NW-RIO 4000 Hardening Guide v4.2",
];

/// Northwind's documents as `otproof demo` records them: about its offered product, each
/// tracing the requirements testdata/vendors/strong-documents.yaml lists.
fn known(reference: &str) -> Option<EvidenceRef> {
    #[derive(serde::Deserialize)]
    struct Doc {
        title: String,
        kind: String,
        requirements: Vec<String>,
        #[serde(default)]
        version: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Sub {
        vendor: String,
        product: String,
        documents: Vec<Doc>,
    }
    let sub: Sub = serde_saphyr::from_str(include_str!(
        "../../../testdata/vendors/strong-documents.yaml"
    ))
    .expect("submission");
    let _ = NORTHWIND_DOCS;
    sub.documents
        .into_iter()
        .find(|d| d.title == reference)
        .map(|d| EvidenceRef {
            id: d.title.clone(),
            kind: d.kind,
            title: d.title,
            requirements: d.requirements,
            verified: true,
            not_verified: None,
            origin: otproof_assess::vendors::Origin::Supplied,
            vendor: Some(sub.vendor.clone()),
            product: Some(sub.product.clone()),
            version: d.version,
        })
}

fn questionnaire(text: &str) -> Questionnaire {
    parse_answers(text).expect("sample questionnaire parses")
}

fn scored(resolve: bool) -> (Vec<VendorScore>, Comparison) {
    let w = Weights::default();
    let scores: Vec<VendorScore> = [STRONG, ASSERTIONS]
        .iter()
        .map(|t| {
            let q = questionnaire(t);
            if resolve {
                score(&q, None, &w, &known, TODAY)
            } else {
                score(&q, None, &w, &NoEvidence, TODAY)
            }
        })
        .collect();
    let cmp = compare(&scores);
    (scores, cmp)
}

/// `95.12` → `95.12 %`, `80.0` → `80 %`, as the renderers print percentages.
fn pct(x: f64) -> String {
    let s = format!("{x:.2}");
    format!("{} %", s.trim_end_matches('0').trim_end_matches('.'))
}

#[test]
fn vendor_comparison_traces_every_point() {
    for resolve in [true, false] {
        let (scores, cmp) = scored(resolve);
        let md = vendors::markdown(&scores, &cmp);
        let html = vendors::html(&scores, &cmp);
        let json = vendors::json(&scores, &cmp).expect("json");
        assert!(html.starts_with("<!DOCTYPE html>"));
        for doc in [&md, &html] {
            for needle in [
                "Northwind Controls",
                "Contoso Automation",
                "Security maturity",
                "Technical capability",
                "Support readiness",
                "Total (weighted)",
                "Ranking",
                "Item trace",
                "expired on 2024-03-31",
                "SL-C 1 below SL-T 2 in FR 7",
            ] {
                assert!(doc.contains(needle), "{needle} missing (resolve {resolve})");
            }
            for s in &scores {
                assert!(doc.contains(&pct(s.total_percent)), "{}", s.total_percent);
                for g in &s.gaps {
                    let g = g.split(" (vendor comment").next().unwrap_or(g);
                    assert!(has(doc, &html, g), "gap {g} missing");
                }
            }
        }
        // The ranking puts the strong vendor first.
        assert!(cmp.ranking[0].starts_with("Northwind Controls"));
        let rank = md.split("## Ranking").nth(1).expect("ranking section");
        let first = rank.lines().find(|l| l.starts_with("1. ")).expect("first");
        assert!(first.contains("Northwind Controls"), "{first}");
        assert!(first.contains(&pct(scores[0].total_percent)), "{first}");

        // An item trace line: id, points/max, reason and the evidence behind it.
        let line = md
            .lines()
            .find(|l| l.starts_with("| `SL-C FR 1`") && l.contains("IECEE CB 62443-4-2"))
            .expect("trace line of SL-C FR 1 for the strong vendor");
        if resolve {
            assert!(line.contains("| 1.5/2 |"), "{line}");
            assert!(line.contains("counts three quarters"), "{line}");
            assert!(
                line.contains(
                    "IECEE CB 62443-4-2 certificate NW-4000-2025-117 (certificate, handed over, verified)"
                ),
                "{line}"
            );
        } else {
            assert!(line.contains("| 1/2 |"), "{line}");
            assert!(line.contains("counts half"), "{line}");
            assert!(
                line.contains("IECEE CB 62443-4-2 certificate NW-4000-2025-117 (not found)"),
                "{line}"
            );
        }
        // Not-applicable answers on applicable requirements score 0 of 2, shown, not hidden.
        assert!(md
            .lines()
            .any(|l| l.starts_with("| `EDR 2.4`") && l.contains("| 0/2 |")));
        // Every item of every vendor has its row.
        let rows = md.lines().filter(|l| l.starts_with("| `")).count();
        assert!(rows >= scores.iter().map(|s| s.items.len()).sum::<usize>());

        let v: serde_json::Value = serde_json::from_str(&json).expect("valid json");
        assert_eq!(v["format"], vendors::COMPARISON_FORMAT);
        assert_eq!(v["scores"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["comparison"]["ranking"][0], cmp.ranking[0].as_str());

        // Deterministic.
        let (s2, c2) = scored(resolve);
        assert_eq!(md, vendors::markdown(&s2, &c2));
        assert_eq!(html, vendors::html(&s2, &c2));
        assert_eq!(json, vendors::json(&s2, &c2).expect("json"));
    }
}

#[test]
fn vendor_markup_is_escaped_and_empty_input_renders() {
    let mut q = questionnaire(STRONG);
    q.vendor.name = Some("<b>Evil & Co</b>".into());
    let s = score(&q, None, &Weights::default(), &NoEvidence, TODAY);
    let cmp = compare(std::slice::from_ref(&s));
    let html = vendors::html(std::slice::from_ref(&s), &cmp);
    assert!(!html.contains("<b>Evil"));
    assert!(html.contains("&lt;b&gt;Evil &amp; Co&lt;/b&gt;"));
    let md = vendors::markdown(&[], &compare(&[]));
    assert!(md.contains("No vendor scores"));
    assert!(vendors::html(&[], &compare(&[])).starts_with("<!DOCTYPE html>"));
}

// ---------------------------------------------------------------------------------------
// 4-1 maturity

fn ids(p: Practice) -> Vec<String> {
    Catalog::builtin()
        .practice_requirements(p)
        .iter()
        .map(|r| r.id.clone())
        .collect()
}

fn rec(id: &str, kind: &str, reqs: Vec<String>, product: Option<&str>, at: &str) -> RecordFacts {
    let (product, version) = match product.and_then(|p| p.split_once(' ')) {
        Some((p, v)) => (Some(p.to_string()), Some(v.to_string())),
        None => (product.map(str::to_string), None),
    };
    RecordFacts {
        id: id.into(),
        kind: kind.into(),
        origin: if matches!(kind, "release" | "robustness-campaign" | "sbom-check") {
            Origin::Check
        } else {
            Origin::HandedOver
        },
        requirements: reqs,
        vendor: Some("Example Automation".into()),
        product,
        version,
        content_bytes: 2000,
        title: format!("{kind} {id}"),
        created: at.into(),
    }
}

/// SM: process, two releases over time, metrics in two months (ML 4); SVV: process and two
/// campaigns over time (ML 3); DM: process and one SBOM check (ML 2); the rest nothing (ML 1);
/// an 18-byte document and the buyer's decision that do not count.
fn records() -> Vec<RecordFacts> {
    let mut tiny = rec(
        "sha256:tiny",
        "document",
        ids(Practice::Sg),
        None,
        "2026-01-10T09:00:00Z",
    );
    tiny.content_bytes = 18;
    let mut decision = rec(
        "sha256:decision",
        "decision/accept",
        ids(Practice::Sg),
        Some("RIO-2000 1.0"),
        "2026-01-10T09:00:00Z",
    );
    decision.origin = Origin::Buyer;
    vec![
        rec(
            "sha256:doc-sm",
            "document",
            ids(Practice::Sm),
            None,
            "2026-01-10T09:00:00Z",
        ),
        rec(
            "sha256:release-sm",
            "release",
            ids(Practice::Sm)[..2].to_vec(),
            Some("RIO-2000 1.0"),
            "2026-02-01T09:00:00Z",
        ),
        rec(
            "sha256:release-sm2",
            "release",
            ids(Practice::Sm)[..2].to_vec(),
            Some("RIO-2000 2.0"),
            "2026-03-01T09:00:00Z",
        ),
        rec(
            "sha256:review-sm",
            "assessment",
            vec!["SM-1".into()],
            None,
            "2026-03-01T09:00:00Z",
        ),
        rec(
            "sha256:review-sm2",
            "assessment",
            vec!["SM-1".into()],
            None,
            "2026-04-01T09:00:00Z",
        ),
        rec(
            "sha256:doc-svv",
            "document",
            ids(Practice::Svv),
            None,
            "2026-01-10T09:00:00Z",
        ),
        rec(
            "sha256:campaign-svv",
            "robustness-campaign",
            ids(Practice::Svv),
            Some("RIO-2000 1.0"),
            "2026-02-01T09:00:00Z",
        ),
        rec(
            "sha256:campaign-svv2",
            "robustness-campaign",
            ids(Practice::Svv),
            Some("RIO-2000 2.0"),
            "2026-04-01T09:00:00Z",
        ),
        rec(
            "sha256:doc-dm",
            "document",
            ids(Practice::Dm),
            None,
            "2026-01-10T09:00:00Z",
        ),
        rec(
            "sha256:sbom-dm",
            "sbom-check",
            ids(Practice::Dm),
            Some("RIO-2000 1.0"),
            "2026-02-01T09:00:00Z",
        ),
        tiny,
        decision,
    ]
}

fn scope(product: Option<&str>) -> Scope<'_> {
    Scope {
        vendor: "Example Automation",
        product,
    }
}

#[test]
fn sdl_assessment_shows_levels_records_and_next_steps() {
    let a = assess(Catalog::builtin(), &records(), &scope(None));
    assert_eq!(a.practice(Practice::Sm).expect("SM").level.level(), 4);
    assert_eq!(a.practice(Practice::Svv).expect("SVV").level.level(), 3);
    assert_eq!(a.practice(Practice::Dm).expect("DM").level.level(), 2);
    let md = sdl::markdown(&a);
    let html = sdl::html(&a);
    let json = sdl::json(&a).expect("json");
    assert!(html.starts_with("<!DOCTYPE html>"));
    for doc in [&md, &html] {
        for p in Practice::ALL {
            assert!(doc.contains(p.name()), "{} missing", p.name());
        }
        for needle in [
            "ML 4 (Improving)",
            "ML 3 (Defined (practiced))",
            "ML 2 (Managed)",
            "ML 1 (Initial)",
            "sha256:doc-sm",
            "sha256:release-sm",
            "sha256:review-sm",
            "sha256:campaign-svv",
            "sha256:review-sm2",
            "sha256:campaign-svv2",
            "sha256:tiny",
            "sha256:decision",
            "Records not counted",
            "18 bytes of content",
            "(a decision or specification)",
            "Capped by: ML 4 is the highest level",
            "Capped by: ML 4 needs metrics",
            "Capped by: ML 3 needs records of application",
            "Capped by: ML 2 needs every requirement named by a process document",
            "To reach ML 2 (Managed)",
            "To reach ML 3",
            "To reach ML 4",
            "process document",
            "rio-2000 1.0, rio-2000 2.0",
            "2026-03, 2026-04",
            "not a certification or an audit",
        ] {
            assert!(doc.contains(needle), "{needle} missing");
        }
        for l in a.limits.iter().chain(&a.rules) {
            assert!(has(doc, &html, l), "{l} missing");
        }
    }
    // The practice table: SM at ML 4 with all requirements backed.
    let n = ids(Practice::Sm).len();
    let sm = md
        .lines()
        .find(|l| l.starts_with("| 1 | SM "))
        .expect("SM row");
    assert!(
        sm.contains("ML 4") && sm.contains(&format!("{n}/{n} | 2 | 2 | ML 4 is the highest level")),
        "{sm}"
    );
    // Per requirement: process/applied and the records.
    let sm1 = md
        .lines()
        .find(|l| l.starts_with("| `SM-1` |"))
        .expect("SM-1 row");
    assert!(sm1.contains("| yes | yes |"), "{sm1}");
    assert!(
        sm1.contains("`sha256:doc-sm`, `sha256:release-sm`, `sha256:release-sm2`, `sha256:review-sm`, `sha256:review-sm2`"),
        "{sm1}"
    );
    let dm1 = md
        .lines()
        .find(|l| l.starts_with("| `DM-1` |"))
        .expect("DM-1 row");
    assert!(dm1.contains("| yes | yes |"), "{dm1}");
    let dm2 = md
        .lines()
        .find(|l| l.starts_with("| `DM-2` |"))
        .expect("DM-2 row");
    assert!(dm2.contains("| yes | yes |"), "{dm2}");
    assert!(md.contains("**Overall** | **ML 1 (Initial)**"));
    assert!(md.contains("The highest level the records can show is reached."));

    let v: serde_json::Value = serde_json::from_str(&json).expect("valid json");
    assert_eq!(v["overall"], 1);
    assert_eq!(v["practices"].as_array().map(Vec::len), Some(8));

    let again = assess(Catalog::builtin(), &records(), &scope(None));
    assert_eq!(md, sdl::markdown(&again));
    assert_eq!(html, sdl::html(&again));
    assert_eq!(json, sdl::json(&again).expect("json"));

    // A product filter shows in the documents.
    let only = assess(Catalog::builtin(), &records(), &scope(Some("RIO-2000")));
    assert!(sdl::markdown(&only).contains("| Product | RIO-2000 |"));
    assert!(sdl::markdown(&only).contains("| Vendor | Example Automation |"));
    assert!(sdl::html(&only).contains("self-assessment: Example Automation RIO-2000</title>"));
}

// ---------------------------------------------------------------------------------------
// Acceptance

const MANIFEST: &str = include_str!("../../../testdata/rio-2000/package/package.yaml");
const CRITERIA: &str = include_str!("../../../testdata/rio-2000/package/criteria.yaml");
const DECIDED: &str = "2026-11-26";

fn rid(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

/// What the checks of the sample package established (the MQTT campaign optional).
fn facts(with_mqtt: bool, signature_ok: bool) -> PackageFacts {
    let mut robustness = vec![serde_json::json!({
        "record": rid(3), "protocol": "Modbus/TCP", "cases": 12000,
        "open_crash_or_hang": 0, "open_conformance": 2,
    })];
    if with_mqtt {
        robustness.push(serde_json::json!({
            "record": rid(4), "protocol": "mqtt", "cases": 3000,
            "open_crash_or_hang": 0, "open_conformance": 0,
        }));
    }
    let v = serde_json::json!({
        "sbom": {"record": rid(1), "policy_passed": true, "open_kev": 0,
                 "open_high_without_vex": 0, "reasons": []},
        "signature": {"record": rid(2), "verified": signature_ok,
                      "detail": if signature_ok { "DSSE signature by key ab12; firmware digest matches" } else { "firmware digest does not match the signed statement" }},
        "robustness": robustness,
        "certificates": [{"record": rid(5), "scheme": "IECEE",
                          "scope": "IEC 62443-4-1 process, ML 2",
                          "number": "DEMO-IECEE-4-1-0042", "expires": "2027-08-31"}],
        "documents": [
            {"record": rid(6), "what": "hardening guide", "present": true},
            {"record": rid(7), "what": "patch policy", "present": true},
            {"record": rid(8), "what": "support statement", "present": true},
        ],
        "end_of_support": "2036-12-31",
    });
    serde_json::from_value(v).expect("facts")
}

fn decided(with_mqtt: bool, signature_ok: bool) -> (AcceptanceResult, PackageManifest) {
    let m = parse_package(MANIFEST).expect("manifest");
    let c = parse_criteria(CRITERIA).expect("criteria");
    let r = decide(
        &m,
        &c,
        &facts(with_mqtt, signature_ok),
        DECIDED,
        "OT procurement",
    );
    (r, m)
}

#[test]
fn acceptance_with_exceptions_names_the_owner() {
    let (r, m) = decided(false, true);
    assert_eq!(r.decision.decision, Verdict::AcceptWithExceptions);
    let md = acceptance::markdown(&r, &m);
    let html = acceptance::html(&r, &m);
    let json = acceptance::json(&r).expect("json");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(md.contains("## Decision: ACCEPT WITH EXCEPTIONS"));
    assert!(md.contains("Decided on") && md.contains(DECIDED), "{md}");
    assert!(html.contains("Decision: ACCEPT WITH EXCEPTIONS</p>"));
    for doc in [&md, &html] {
        for needle in [
            "RIO-2000",
            "Example Automation",
            "4.3.0",
            "OT security lead, Line 3 (J. Example)",
            "2027-06-30",
            "ROB-1-MQTT",
            "DEMO-IECEE-4-1-0042",
            "expires on 2027-08-31",
            "Known limitations",
            "Warnings",
            "Exceptions",
            &rid(3),
            "exception",
            "OT procurement",
            DECIDED,
        ] {
            assert!(doc.contains(needle), "{needle} missing");
        }
        for w in &r.warnings {
            assert!(has(doc, &html, w), "warning {w} missing");
        }
        for l in &r.limitations {
            assert!(has(doc, &html, l), "limitation {l} missing");
        }
    }
    // Criteria table: id, result, evidence record IDs.
    let rob = md
        .lines()
        .find(|l| l.starts_with("| `ROB-1` |"))
        .expect("ROB-1 row");
    assert!(rob.contains("| pass |"), "{rob}");
    assert!(rob.contains(&format!("`{}`", rid(3))), "{rob}");
    let mqtt = md
        .lines()
        .find(|l| l.starts_with("| `ROB-1-MQTT` |") && l.contains("**exception**"))
        .expect("ROB-1-MQTT criterion row");
    assert!(mqtt.ends_with("| - |"), "{mqtt}");
    let ex = md
        .lines()
        .find(|l| l.starts_with("| `ROB-1-MQTT` |") && l.contains("J. Example"))
        .expect("exception row");
    assert!(ex.contains("| 2027-06-30 |"), "{ex}");

    let v: serde_json::Value = serde_json::from_str(&json).expect("valid json");
    assert_eq!(v["decision"]["decision"], "accept-with-exceptions");
    assert_eq!(
        v["decision"]["exceptions"][0]["owner"],
        "OT security lead, Line 3 (J. Example)"
    );

    let (r2, m2) = decided(false, true);
    assert_eq!(md, acceptance::markdown(&r2, &m2));
    assert_eq!(html, acceptance::html(&r2, &m2));
    assert_eq!(json, acceptance::json(&r2).expect("json"));
}

#[test]
fn acceptance_accept_and_reject_are_prominent() {
    let (r, m) = decided(true, true);
    assert_eq!(r.decision.decision, Verdict::Accept);
    let md = acceptance::markdown(&r, &m);
    assert!(md.contains("## Decision: ACCEPT\n"));
    assert!(md.contains("## Exceptions\n\nNone."));
    // The unused exception is a warning.
    assert!(r
        .warnings
        .iter()
        .any(|w| w.contains("exception for ROB-1-MQTT")));
    assert!(md.contains("exception for ROB-1-MQTT"));

    let (r, m) = decided(true, false);
    assert_eq!(r.decision.decision, Verdict::Reject);
    let md = acceptance::markdown(&r, &m);
    let html = acceptance::html(&r, &m);
    assert!(md.contains("## Decision: REJECT"));
    assert!(html.contains("Decision: REJECT</p>"));
    let upd = md
        .lines()
        .find(|l| l.starts_with("| `UPD-1` |"))
        .expect("UPD-1 row");
    assert!(
        upd.contains("**fail**") && upd.contains("does not match"),
        "{upd}"
    );
    assert!(html.contains("does not match the signed statement"));
}
