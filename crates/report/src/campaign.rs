//! Robustness campaign renderings: the evidence JSON, one self-contained HTML page for an
//! assessor, SARIF 2.1.0, JUnit XML, and a pcap of each finding's exchange (both directions of
//! the connection that preceded it) or reproducer. Everything but the pcaps is rendered from
//! the recorded payload ([`RobustnessCampaign`]) alone.

use crate::html::{esc, page};
use crate::ReportError;
use otproof_catalog::Catalog;
use otproof_evidence::payload::campaign::{
    Behaviour, CampaignFinding, CampaignVerdict, MutationClass, RobustnessCampaign,
};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Version of the campaign evidence format.
pub use otproof_evidence::payload::campaign::CAMPAIGN_DOCUMENT_FORMAT as CAMPAIGN_FORMAT;

/// A finding's reproducer as JSON: each request in hex and base64.
pub fn reproducer_json(f: &CampaignFinding) -> Value {
    serde_json::to_value(&f.reproducer).unwrap_or(Value::Array(vec![]))
}

/// The methodology text of a campaign (our words).
pub fn methodology() -> Vec<String> {
    vec![
        "Messages are generated from a data model of the protocol (fields, value domains, length and count rules) and then mutated field by field: boundary and off-by-one values, length and count fields that disagree with the payload, undefined codes, truncation, extension, repeated and dropped fields, type confusion, then random byte-level havoc.".into(),
        "Every case is derived from the seed and its index, so the campaign is reproducible and can be resumed; each case records the message type, field and mutation class it exercises.".into(),
        "After each case the target's answer is checked against the protocol (framing, echoes, exception codes, the exceptions the specification requires for invalid requests). A closed connection or a missing answer triggers a health probe on a fresh connection: a target that does not come back is a crash, one that does not answer is a hang. Probe latency is compared with a baseline measured at the start to detect degradation.".into(),
        "Conformance findings are minimized by delta debugging against the live target and confirmed by a fresh re-run. Crash and hang findings of a launched target are re-run against the restarted target, trying each connection that was in flight when it failed, and minimized to the smallest sequence that still gives them.".into(),
        "Findings are de-duplicated by root cause (observed behaviour x response pattern, variable parts such as ids, addresses and lengths abstracted): one representative, the smallest reproducer, with its variants counted.".into(),
    ]
}

/// The requirements a campaign supports, for people: `IEC 62443-4-2 CR 3.5 (input
/// validation), CR 7.1 (...); IEC 62443-4-1 SVV-3 (...)`, grouped by standard, titles from the
/// catalog.
pub fn requirements_line(ids: &[String]) -> String {
    let catalog = Catalog::builtin();
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for id in ids {
        let (std, text) = match catalog.get(id) {
            Some(r) => {
                let mut t = r.title.chars();
                let title: String = t
                    .next()
                    .map(|c| c.to_lowercase().chain(t).collect())
                    .unwrap_or_default();
                (
                    format!("IEC {}", r.standard.slug()),
                    format!("{id} ({title})"),
                )
            }
            None => (String::new(), id.clone()),
        };
        match groups.last_mut() {
            Some((s, items)) if *s == std => items.push(text),
            _ => groups.push((std, vec![text])),
        }
    }
    groups
        .into_iter()
        .map(|(s, items)| {
            let items = items.join(", ");
            if s.is_empty() {
                items
            } else {
                format!("{s} {items}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value as JSON with its object keys sorted (what `json!` gives).
fn value_of<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// The evidence document (`evidence.json`).
pub fn evidence_json(r: &RobustnessCampaign) -> Result<String, ReportError> {
    let doc = json!({
        "format": CAMPAIGN_FORMAT,
        "scope": value_of(&r.scope),
        "methodology": methodology(),
        "configuration": value_of(&r.configuration),
        "result": value_of(&r.result),
        "coverage": {
            "message_class_pairs": r.coverage.pairs.len(),
            "message_class_pairs_total": r.coverage.pairs_total,
            "message_class_percent": r.coverage.pair_percent(),
            "codes": r.coverage.codes(),
            "cells": r.coverage.cells,
            "outcomes": r.coverage.outcomes,
        },
        "requirements": r.requirements,
        "findings": value_of(&r.findings),
    });
    let mut doc = doc;
    if let Some(o) = doc.as_object_mut() {
        if let Some(p) = &r.provenance {
            o.insert("provenance".into(), value_of(p));
        }
        if !r.severity_rule.is_empty() {
            o.insert("severity_rule".into(), json!(r.severity_rule));
        }
        if !r.requirement_verdicts.is_empty() {
            o.insert(
                "requirement_verdicts".into(),
                value_of(&r.requirement_verdicts),
            );
        }
    }
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// SARIF 2.1.0 with one result per finding.
pub fn sarif(r: &RobustnessCampaign) -> Result<String, ReportError> {
    let rules: Vec<Value> = r
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.behaviour.name(),
                "shortDescription": {"text": format!("Target {} under malformed or excessive input", rule.behaviour.name())},
                "properties": {"requirements": rule.requirements, "security-severity": format!("{:.1}", rule.cvss_score)},
            })
        })
        .collect();
    let protocol = &r.configuration.protocol;
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.behaviour.name(),
                "level": if f.behaviour == Behaviour::Conformance { "warning" } else { "error" },
                "message": {"text": format!("{} {} / field {} / {}: {}", protocol, f.message, f.field, f.class.name(), f.observed)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": format!("tcp://{}", r.configuration.target)}}}],
                "partialFingerprints": {"otproof/v1": if f.signature.is_empty() {
                    format!("{}/{}/{}/{}", f.behaviour.name(), f.code, f.field, f.class.name())
                } else {
                    f.signature.clone()
                }},
                "properties": {
                    "severity": f.severity,
                    "cvss": f.cvss_vector,
                    "requirements": f.requirements,
                    "reproducer": reproducer_json(f),
                    "occurrences": f.occurrences,
                    "case": f.case,
                },
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "otproof", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

fn xml(s: &str) -> String {
    esc(s)
}

/// JUnit XML: one test case per (message type, mutation class) exercised, failed where a
/// finding fell.
pub fn junit(r: &RobustnessCampaign) -> String {
    let protocol = &r.configuration.protocol;
    let mut cases = String::new();
    let mut failures = 0;
    let mut total = 0;
    for key in r.coverage.pairs.keys() {
        let mut parts = key.split('/');
        let code: u16 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        let class = parts.next().unwrap_or("");
        total += 1;
        let hits: Vec<&CampaignFinding> = r
            .findings
            .iter()
            .filter(|f| f.code == code && f.class.name() == class)
            .collect();
        let _ = write!(
            cases,
            "    <testcase classname=\"{}.fc{code:02}\" name=\"{}\">",
            xml(protocol),
            xml(class)
        );
        if !hits.is_empty() {
            failures += 1;
            for f in hits {
                let _ = write!(
                    cases,
                    "<failure type=\"{}\" message=\"{}\">{}</failure>",
                    f.behaviour.name(),
                    xml(&f.observed),
                    xml(&f
                        .reproducer
                        .iter()
                        .map(|q| q.hex.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"))
                );
            }
        }
        cases.push_str("</testcase>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"otproof robustness {}\" tests=\"{total}\" failures=\"{failures}\" time=\"{:.3}\">\n{cases}  </testsuite>\n</testsuites>\n",
        xml(protocol),
        r.result.elapsed_s
    )
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for c in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// A pcap (LINKTYPE_RAW, IPv4/TCP) of the requests, client 127.0.0.1:40000 to the target port.
pub fn pcap(requests: &[Vec<u8>], port: u16) -> Vec<u8> {
    let segments: Vec<(bool, &[u8])> = requests.iter().map(|r| (true, r.as_slice())).collect();
    pcap_of(&segments, port, false)
}

/// A pcap (LINKTYPE_RAW, IPv4/TCP) of a whole exchange on one connection, in order: each
/// segment `(to_target, bytes)` goes from the client 127.0.0.1:40000 to the target port when
/// `to_target`, else back, with sequence and acknowledgement numbers of both directions.
pub fn pcap_exchange(segments: &[(bool, Vec<u8>)], port: u16) -> Vec<u8> {
    let segments: Vec<(bool, &[u8])> = segments.iter().map(|(d, b)| (*d, b.as_slice())).collect();
    pcap_of(&segments, port, true)
}

fn pcap_of(segments: &[(bool, &[u8])], port: u16, acks: bool) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&101u32.to_le_bytes());
    // Next sequence number of the client and of the target.
    let (mut client, mut server): (u32, u32) = (1, 1);
    for (i, (to_target, payload)) in segments.iter().enumerate() {
        let payload = &payload[..payload.len().min(65000)];
        let total = 40 + payload.len();
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&(i as u16).to_be_bytes());
        let c = checksum(&ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let (src, dst, seq, ack) = if *to_target {
            (40000u16, port, client, server)
        } else {
            (port, 40000u16, server, client)
        };
        let mut tcp = vec![0u8; 20];
        tcp[0..2].copy_from_slice(&src.to_be_bytes());
        tcp[2..4].copy_from_slice(&dst.to_be_bytes());
        tcp[4..8].copy_from_slice(&seq.to_be_bytes());
        if acks {
            tcp[8..12].copy_from_slice(&ack.to_be_bytes());
        }
        tcp[12] = 5 << 4;
        tcp[13] = 0x18; // PSH, ACK
        tcp[14..16].copy_from_slice(&65535u16.to_be_bytes());
        let mut pseudo = vec![127, 0, 0, 1, 127, 0, 0, 1, 0, 6];
        pseudo.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        pseudo.extend_from_slice(&tcp);
        pseudo.extend_from_slice(payload);
        let c = checksum(&pseudo);
        tcp[16..18].copy_from_slice(&c.to_be_bytes());
        if *to_target {
            client = client.wrapping_add(payload.len() as u32);
        } else {
            server = server.wrapping_add(payload.len() as u32);
        }
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&ip);
        out.extend_from_slice(&tcp);
        out.extend_from_slice(payload);
    }
    out
}

/// One self-contained HTML page: scope, method, coverage matrix, findings with reproducers.
pub fn html(r: &RobustnessCampaign) -> String {
    let mut b = String::new();
    let title = format!(
        "Robustness test report: {} at {}",
        r.configuration.protocol, r.configuration.target
    );
    let _ = writeln!(b, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(b, "<table class=\"meta\"><tbody>");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    };
    row(
        "Scope",
        serde_json::to_string(&value_of(&r.scope)).unwrap_or_default(),
    );
    for o in &r.result.target_identity {
        row(&format!("Target {}", o.object), o.value.clone());
    }
    if let Some(v) = r.result.verdict {
        row(
            "Verdict",
            match v {
                CampaignVerdict::Inconclusive => format!(
                    "inconclusive: too few cases reached the target (more than {} undelivered, or none delivered); the campaign shows no requirement",
                    r.result
                        .undelivered_limit_percent
                        .map_or("the limit".to_string(), |p| format!("{p} %"))
                ),
                v => v.name().to_string(),
            },
        );
    }
    row(
        "Cases",
        format!(
            "{} ({:.0} per second over {:.1} s)",
            r.result.cases, r.result.cases_per_second, r.result.elapsed_s
        ),
    );
    if r.result.undelivered > 0 || r.result.verdict.is_some() {
        row(
            "Cases not delivered",
            format!(
                "{} (not counted in the cases, the rate or the coverage)",
                r.result.undelivered
            ),
        );
    }
    row("Seed", r.configuration.seed.to_string());
    row(
        "Concurrency / timeout",
        format!(
            "{} sessions / {} ms",
            r.configuration.concurrency, r.configuration.timeout_ms
        ),
    );
    row(
        "Coverage",
        format!(
            "{} of {} message type x mutation class pairs ({:.1} %), {} distinct field cells",
            r.coverage.pairs.len(),
            r.coverage.pairs_total,
            r.coverage.pair_percent(),
            r.coverage.cells.len()
        ),
    );
    row("Findings", format!("{}", r.findings.len()));
    if let Some(s) = &r.result.stopped {
        row("Stopped early", s.clone());
    }
    row("Requirements", requirements_line(&r.requirements));
    for v in &r.requirement_verdicts {
        row(
            &format!("{}: {}", v.requirement, v.verdict.name()),
            format!(
                "{} ({} executed cases, {} finding(s)); checks {}",
                v.shown, v.executed_cases, v.findings, v.checks
            ),
        );
    }
    if !r.severity_rule.is_empty() {
        row("Severity rule", r.severity_rule.clone());
    }
    if let Some(p) = &r.provenance {
        row(
            "Made by",
            format!(
                "{} {}{}",
                p.tool,
                p.tool_version,
                p.started_at
                    .as_deref()
                    .map_or(String::new(), |t| format!(", started {t}"))
            ),
        );
    }
    let _ = writeln!(b, "</tbody></table>");
    let _ = writeln!(b, "<h2>Method</h2><ul>");
    for m in methodology() {
        let _ = writeln!(b, "<li>{}</li>", esc(&m));
    }
    let _ = writeln!(b, "</ul>");
    let _ = writeln!(b, "<h2>Coverage matrix</h2><p class=\"muted\">Cases per message code and mutation class.</p><table><thead><tr><th>code</th>");
    for c in MutationClass::ALL {
        let _ = write!(b, "<th class=\"sl\">{}</th>", esc(c.name()));
    }
    let _ = writeln!(b, "</tr></thead><tbody>");
    for code in r.coverage.codes() {
        let _ = write!(b, "<tr><td class=\"id\">{code}</td>");
        for c in MutationClass::ALL {
            let n = r
                .coverage
                .pairs
                .get(&format!("{code}/{}", c.name()))
                .copied()
                .unwrap_or(0);
            let _ = write!(b, "<td class=\"sl\">{n}</td>");
        }
        let _ = writeln!(b, "</tr>");
    }
    let _ = writeln!(b, "</tbody></table>");
    let _ = writeln!(b, "<h2>Outcomes</h2><ul>");
    for (k, v) in &r.coverage.outcomes {
        let _ = writeln!(b, "<li>{}: {v}</li>", esc(k));
    }
    let _ = writeln!(b, "</ul><h2>Findings</h2>");
    if r.findings.is_empty() {
        let _ = writeln!(b, "<p>No finding in {} cases.</p>", r.result.cases);
    }
    for (i, f) in r.findings.iter().enumerate() {
        let _ = writeln!(
            b,
            "<h3>{}. {} in {} ({} / {})</h3><table class=\"meta\"><tbody>",
            i + 1,
            esc(f.behaviour.name()),
            esc(&f.message),
            esc(&f.field),
            esc(f.class.name())
        );
        let _ = writeln!(b, "<tr><td>Observed</td><td>{}</td></tr>", esc(&f.observed));
        let severity = serde_json::to_value(f.severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "<tr><td>Severity</td><td>{} (suggested {} = {:.1})</td></tr>",
            esc(&severity),
            esc(&f.cvss_vector),
            f.cvss_score
        );
        let _ = writeln!(
            b,
            "<tr><td>Requirements</td><td>{}</td></tr>",
            esc(&f.requirements.join(", "))
        );
        let status = serde_json::to_value(f.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(b, "<tr><td>Status</td><td>{}</td></tr>", esc(&status));
        let _ = writeln!(
            b,
            "<tr><td>Occurrences</td><td>{} (first at case {}){}</td></tr>",
            f.occurrences,
            f.case,
            match &f.confirmation {
                Some(c) => format!("; {}", c.note),
                None if f.confirmed => ", confirmed by a fresh re-run".to_string(),
                None => String::new(),
            }
        );
        if !f.signature.is_empty() {
            let _ = writeln!(
                b,
                "<tr><td>Root cause</td><td><code>{}</code></td></tr>",
                esc(&f.signature)
            );
        }
        if let Some(v) = &f.variants {
            let classes: Vec<&str> = v.classes.iter().map(|c| c.name()).collect();
            let _ = writeln!(
                b,
                "<tr><td>Variants</td><td>codes {:?}, fields {}, classes {}, e.g. cases {:?}</td></tr>",
                v.codes,
                esc(&v.fields.join(", ")),
                esc(&classes.join(", ")),
                v.examples
            );
        }
        for (j, q) in f.reproducer.iter().enumerate() {
            let _ = writeln!(b, "<tr><td>Reproducer {}</td><td><code>{}</code><br><span class=\"muted\">base64 {}</span></td></tr>", j + 1, esc(&q.hex), esc(&q.base64));
        }
        if let Some(o) = &f.original {
            let _ = writeln!(
                b,
                "<tr><td>Before minimization</td><td><code>{}</code></td></tr>",
                esc(&o.join(" "))
            );
        }
        let _ = writeln!(b, "</tbody></table>");
    }
    let _ = writeln!(b, "<footer>Generated by otproof {}. Replay a finding: <code>otproof fuzz replay findings/N.json --target HOST:PORT</code>.</footer>", env!("CARGO_PKG_VERSION"));
    page(&title, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcap_has_valid_headers_and_checksums() {
        let p = pcap(&[vec![0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]], 502);
        assert_eq!(&p[..4], &0xa1b2_c3d4u32.to_le_bytes());
        assert_eq!(p.len(), 24 + 16 + 40 + 12);
        let ip = &p[40..60];
        assert_eq!(checksum(ip), 0, "IPv4 header checksum verifies");
        let tcp_and_payload = &p[60..];
        let mut pseudo = vec![127, 0, 0, 1, 127, 0, 0, 1, 0, 6];
        pseudo.extend_from_slice(&(tcp_and_payload.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(tcp_and_payload);
        assert_eq!(checksum(&pseudo), 0, "TCP checksum verifies");
    }

    #[test]
    fn an_exchange_pcap_has_both_directions_with_their_sequence_numbers() {
        let req = vec![0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
        let resp = vec![0, 1, 0, 0, 0, 5, 1, 3, 2, 0, 0];
        let p = pcap_exchange(&[(true, req.clone()), (false, resp.clone())], 502);
        assert_eq!(p.len(), 24 + (16 + 40 + 12) + (16 + 40 + 11));
        let first = &p[24 + 16..24 + 16 + 40];
        let second = &p[24 + 16 + 40 + 12 + 16..24 + 16 + 40 + 12 + 16 + 40];
        let port = |b: &[u8], i: usize| u16::from_be_bytes([b[20 + i], b[21 + i]]);
        let num = |b: &[u8], i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        assert_eq!((port(first, 0), port(first, 2)), (40000, 502));
        assert_eq!((port(second, 0), port(second, 2)), (502, 40000));
        // The answer acknowledges the request's bytes.
        assert_eq!(num(second, 28), 1 + req.len() as u32);
        assert_eq!(num(second, 24), 1);
        for (at, len) in [(24 + 16, 12usize), (24 + 16 + 40 + 12 + 16, 11)] {
            let seg = &p[at + 20..at + 40 + len];
            let mut pseudo = vec![127, 0, 0, 1, 127, 0, 0, 1, 0, 6];
            pseudo.extend_from_slice(&(seg.len() as u16).to_be_bytes());
            pseudo.extend_from_slice(seg);
            assert_eq!(checksum(&pseudo), 0, "TCP checksum verifies");
        }
    }
}
