//! Zone and conduit renderings of the example plant: JSON, Markdown, HTML and SVG.

use otproof_assess::zones::{evaluate, parse_model, Evaluation, GapStatus, SystemModel};
use otproof_report::zones;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use quick_xml::XmlVersion;

const EXAMPLE: &str = include_str!("../../../examples/water-treatment.yaml");

fn example() -> (SystemModel, Evaluation) {
    let m = parse_model(EXAMPLE).expect("example model parses");
    let e = evaluate(&m);
    (m, e)
}

/// Reads the document to the end; panics on malformed XML. Returns the text content
/// (entity references resolved) and the number of root elements.
fn read_xml(doc: &str) -> (String, usize) {
    let mut reader = Reader::from_str(doc);
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut text = String::new();
    loop {
        let ev = reader
            .read_event()
            .unwrap_or_else(|err| panic!("malformed XML at {}: {err}", reader.error_position()));
        match ev {
            Event::Start(s) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                for a in s.attributes() {
                    a.expect("well-formed attribute");
                }
            }
            Event::Empty(s) => {
                assert!(depth > 0, "empty element outside the root");
                for a in s.attributes() {
                    a.expect("well-formed attribute");
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => {
                let s = t.xml_content(XmlVersion::Implicit1_0);
                if depth == 0 {
                    assert!(s.trim().is_empty(), "text outside the root: {s:?}");
                }
                text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                match r.resolve_char_ref().expect("valid character reference") {
                    Some(c) => text.push(c),
                    None => {
                        let name = r.xml_content(XmlVersion::Implicit1_0);
                        let c = resolve_predefined_entity(&name)
                            .unwrap_or_else(|| panic!("undefined entity &{name};"));
                        text.push_str(c);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    (text, roots)
}

#[test]
fn json_is_the_evaluation() {
    let (_, e) = example();
    let j = zones::json(&e).expect("json");
    assert!(j.ends_with("}\n"));
    let v: serde_json::Value = serde_json::from_str(&j).expect("valid JSON");
    assert_eq!(v["format"], "otproof-zones/1");
    assert_eq!(v["zones"].as_array().map(Vec::len), Some(e.zones.len()));
    assert_eq!(v["gaps"].as_array().map(Vec::len), Some(e.gaps.len()));
}

#[test]
fn markdown_has_every_section_and_the_example_gaps() {
    let (m, e) = example();
    let md = zones::markdown(&e, &m);
    assert!(md.starts_with("# Zones and conduits: Riverside water treatment plant\n"));
    for h in [
        "## 1. Security levels per zone and conduit",
        "## 2. Gaps",
        "## 3. How each level came about",
        "## 4. Assets: capability (SL-C)",
        "## 5. Risk-based SL-T proposals (PROPOSAL)",
        "## 6. Warnings",
        "## 7. Rules applied",
        "| Zone | Parent | Own assets | IAC | UC | SI | DC | RDF | TRE | RA |",
    ] {
        assert!(md.contains(h), "missing {h}");
    }
    // The two gaps the example is built around.
    assert!(md.contains("### zone control / IAC: closed\n"), "{md}");
    assert!(md.contains("### zone safety / IAC: open-justified\n"));
    assert!(md.contains("Open, accepted with this justification: The SF-3 firmware"));
    assert!(md.contains("| zone control | IAC | 2 | 1 / 2 | closed | fieldbus-isolation |"));
    // Missing requirements per asset with their resolution.
    assert!(md.contains("- `remote-io-intake`:"));
    assert!(md.contains("covered by countermeasure 'fieldbus-isolation'"));
    assert!(md.contains("- `sis-controller`:"));
    assert!(md.contains("none: open"));
    // Cells T/A with markers.
    assert!(md.contains("| 3/2 ~ |"), "justified cell for safety IAC");
    assert!(md.contains("| 2/2 + |"), "closed cell for control IAC");
    // Proposals are labelled, rules and explanations are there.
    assert!(md.contains("### PROPOSAL for zone dosing"));
    assert!(md.contains("PROPOSED SL-T"));
    for r in &e.rules {
        assert!(md.contains(r.as_str()));
    }
    let step = &e.zones[0].frs[0].explanation[0];
    assert!(md.contains(&format!("  1. {}", step.trim_start_matches("IAC: "))));
    for a in &e.assets {
        assert!(md.contains(&format!("| {} | {} |", a.name, a.zone)));
    }
    for w in &e.warnings {
        assert!(md.contains(w.as_str()));
    }
}

#[test]
fn html_is_one_page_with_coloured_cells() {
    let (mut m, e) = example();
    let h = zones::html(&e, &m);
    assert!(h.starts_with("<!DOCTYPE html>"));
    assert!(h.ends_with("</html>\n"));
    assert!(!h.contains("<script"), "self-contained, no script");
    assert!(!h.contains("src=\"http"), "no external resources");
    assert!(h.contains("class=\"sl gap-closed\""), "closed gap cell");
    assert!(
        h.contains("class=\"sl gap-justified\""),
        "open-justified gap cell"
    );
    assert!(h.contains("class=\"sl ok\""));
    assert!(h.contains("td.gap-open"), "style for open gaps");
    assert!(h.contains("PROPOSAL"));
    assert!(h.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(
        !h.contains("<?xml"),
        "the embedded diagram has no XML declaration"
    );

    // Without the justification the safety gap is open: red.
    m.justifications.clear();
    let e2 = evaluate(&m);
    assert!(e2
        .gaps
        .iter()
        .any(|g| g.name == "safety" && g.status == GapStatus::Open));
    let h2 = zones::html(&e2, &m);
    assert!(h2.contains("class=\"sl gap-open\""), "open gap cell");
    assert!(h2.contains("class=\"sl gap-closed\""));
    let md2 = zones::markdown(&e2, &m);
    assert!(md2.contains("### zone safety / IAC: open\n"));
    assert!(md2.contains("| 3/2 ! |"));
}

#[test]
fn svg_is_well_formed_and_names_everything() {
    let (m, e) = example();
    let s = zones::svg(&e, &m);
    assert!(s.starts_with("<?xml version=\"1.0\""));
    assert!(s.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""));
    let (text, roots) = read_xml(&s);
    assert_eq!(roots, 1);
    for z in &m.zones {
        assert!(text.contains(&z.name), "zone {}", z.name);
    }
    for a in &m.assets {
        assert!(text.contains(&a.name), "asset {}", a.name);
    }
    for c in &e.conduits {
        let label = format!("{}: SL-T {} / SL-A {}", c.name, c.sl_t, c.sl_a);
        assert!(text.contains(&label), "conduit label {label}");
    }
    assert!(text.contains("embedded-device  SL-C {1 1 2 1 4 1 2}"));
    assert!(text.contains("Legend"));
    // Open-justified outlines are dashed red, closed ones amber.
    assert!(s.contains("stroke=\"#cf222e\" stroke-width=\"2\" stroke-dasharray"));
    assert!(s.contains("stroke=\"#bf8700\""));
}

#[test]
fn svg_nests_sub_zones_inside_their_parent() {
    let (m, e) = example();
    let s = zones::svg(&e, &m);
    let rect = |zone: &str| -> [i64; 4] {
        let i = e.zones.iter().position(|z| z.name == zone).expect("zone");
        let start = s.find(&format!("<g id=\"zone-{i}\">")).expect("zone group");
        let r = &s[start..];
        let r = &r[r.find("<rect ").expect("rect")..];
        let num = |attr: &str| -> i64 {
            let k = r.find(&format!(" {attr}=\"")).expect("attr") + attr.len() + 3;
            r[k..k + r[k..].find('"').expect("quote")]
                .parse()
                .expect("number")
        };
        [num("x"), num("y"), num("width"), num("height")]
    };
    let [px, py, pw, ph] = rect("control");
    let [cx, cy, cw, ch] = rect("dosing");
    assert!(cx > px && cy > py && cx + cw < px + pw && cy + ch < py + ph);
    // Top-level zones side by side, in model order, not overlapping.
    let [ex, _, ew, _] = rect("enterprise");
    let [dx, _, _, _] = rect("dmz");
    assert!(ex + ew < dx);
}

#[test]
fn svg_escapes_text() {
    let (mut m, _) = example();
    m.zones[0].name = "office <&> \"net\"".into();
    for a in &mut m.assets {
        if a.zone == "enterprise" {
            a.zone = m.zones[0].name.clone();
        }
    }
    for c in &mut m.conduits {
        for z in &mut c.zones {
            if z == "enterprise" {
                *z = m.zones[0].name.clone();
            }
        }
    }
    let e = evaluate(&m);
    let s = zones::svg(&e, &m);
    let (text, _) = read_xml(&s);
    assert!(text.contains("office <&> \"net\""));
    let h = zones::html(&e, &m);
    assert!(h.contains("office &lt;&amp;&gt; &quot;net&quot;"));
    assert!(!h.contains("office <&>"));
}

#[test]
fn output_is_deterministic() {
    let (m, e) = example();
    let (m2, e2) = example();
    assert_eq!(
        zones::json(&e).expect("json"),
        zones::json(&e2).expect("json")
    );
    assert_eq!(zones::markdown(&e, &m), zones::markdown(&e2, &m2));
    assert_eq!(zones::html(&e, &m), zones::html(&e2, &m2));
    assert_eq!(zones::svg(&e, &m), zones::svg(&e2, &m2));
    assert_eq!(zones::svg(&e, &m), zones::svg(&e, &m));
}

#[test]
fn empty_sections_render() {
    // SL-T 0: an empty zone has no SL-A, and with nothing targeted there is no gap either.
    let m = parse_model("zones:\n  - name: only\n    sl_t: \"0 0 0 0 0 0 0\"\n")
        .expect("minimal model");
    let e = evaluate(&m);
    let md = zones::markdown(&e, &m);
    assert!(md.contains("No conduits in the model."));
    assert!(md.contains("No assets in the model."));
    assert!(md.contains("No risk notes in the model"));
    let s = zones::svg(&e, &m);
    let (text, roots) = read_xml(&s);
    assert_eq!(roots, 1);
    assert!(text.contains("only"));
    assert!(text.contains("(no assets of its own)"));
    assert!(zones::html(&e, &m).contains("No gaps"));
    assert!(md.contains("none"), "{md}");
}
