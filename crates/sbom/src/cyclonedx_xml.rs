//! CycloneDX XML (namespaces `http://cyclonedx.org/schema/bom/1.0` to `1.6`).
//!
//! The input is read into a small element tree (local names, attributes, text) with a
//! depth limit, then walked. `DOCTYPE` declarations are refused, and only the five
//! predefined entities and character references are resolved, so entity expansion
//! attacks cannot happen.

use crate::common::{non_empty, push_license, Builder};
use crate::{Component, Document, Format, SbomError, MAX_COMPONENT_DEPTH, MAX_XML_DEPTH};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

const NS_PREFIX: &str = "http://cyclonedx.org/schema/bom/";

#[derive(Debug, Default)]
struct Elem {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Elem>,
    offset: u64,
}

impl Elem {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ak, _)| ak == k)
            .map(|(_, v)| v.as_str())
    }
    fn child(&self, n: &str) -> Option<&Elem> {
        self.children.iter().find(|c| c.name == n)
    }
    fn children_named<'a>(&'a self, n: &'a str) -> impl Iterator<Item = &'a Elem> + 'a {
        self.children.iter().filter(move |c| c.name == n)
    }
    fn child_text(&self, n: &str) -> Option<String> {
        self.child(n).and_then(|c| non_empty(Some(&c.text)))
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

fn xml_err(offset: u64, message: impl Into<String>) -> SbomError {
    SbomError::XmlSyntax {
        offset,
        message: message.into(),
    }
}

fn start_elem(e: &BytesStart<'_>, offset: u64) -> Result<Elem, SbomError> {
    let mut el = Elem {
        name: local(e.name().as_ref()),
        offset,
        ..Elem::default()
    };
    for a in e.attributes() {
        let a =
            a.map_err(|err| xml_err(offset, format!("bad attribute in <{}>: {err}", el.name)))?;
        let key: String = a.key.as_ref().to_string();
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| {
                xml_err(
                    offset,
                    format!("bad attribute value in <{}>: {err}", el.name),
                )
            })?;
        el.attrs.push((key, v.into_owned()));
    }
    Ok(el)
}

fn read_tree(text: &str) -> Result<Elem, SbomError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Elem> = Vec::new();
    let mut root: Option<Elem> = None;
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| xml_err(reader.error_position(), e.to_string()))?;
        match ev {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(xml_err(pos, "content after the root element"));
                }
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(xml_err(
                        pos,
                        format!("elements nested deeper than {MAX_XML_DEPTH} levels"),
                    ));
                }
                stack.push(start_elem(&e, pos)?);
            }
            Event::Empty(e) => {
                let el = start_elem(&e, pos)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(xml_err(pos, "content after the root element")),
                }
            }
            Event::End(_) => {
                let mut el = stack
                    .pop()
                    .ok_or_else(|| xml_err(pos, "unexpected closing tag"))?;
                let trimmed = el.text.trim();
                if trimmed.len() != el.text.len() {
                    el.text = trimmed.to_string();
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.xml10_content();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => {
                                return Err(xml_err(
                                    pos,
                                    format!("undefined entity '&{name};' (only the predefined XML entities are allowed)"),
                                ))
                            }
                        }
                    }
                    Err(e) => return Err(xml_err(pos, format!("bad character reference: {e}"))),
                };
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&resolved);
                }
            }
            Event::DocType(_) => {
                return Err(xml_err(
                    pos,
                    "DOCTYPE declarations are not allowed in CycloneDX XML (entities are never expanded)",
                ))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(xml_err(
            reader.buffer_position(),
            format!("unexpected end of input: <{}> is not closed", open.name),
        ));
    }
    root.ok_or_else(|| xml_err(0, "no root element"))
}

fn loc(path: &str, el: &Elem) -> String {
    format!("{path} (byte {})", el.offset)
}

/// Parses CycloneDX XML.
pub fn parse(bytes: &[u8]) -> Result<Document, SbomError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        xml_err(
            e.valid_up_to() as u64,
            "the input is not UTF-8 (only UTF-8 CycloneDX XML is supported)",
        )
    })?;
    let root = read_tree(text)?;
    if root.name != "bom" {
        return Err(SbomError::Invalid {
            location: loc(&format!("<{}>", root.name), &root),
            message: "expected the root element <bom>".into(),
        });
    }
    let ns = root
        .attrs
        .iter()
        .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
        .map(|(_, v)| v.as_str())
        .find(|v| v.starts_with(NS_PREFIX));
    let spec = match ns {
        Some(ns) => ns
            .get(NS_PREFIX.len()..)
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string(),
        None => {
            return Err(SbomError::Invalid {
                location: loc("bom", &root),
                message: format!("expected the CycloneDX namespace {NS_PREFIX}1.x"),
            })
        }
    };
    let mut b = Builder::new(Format::CycloneDxXml, spec);
    b.doc.serial = non_empty(root.attr("serialNumber"));

    if let Some(meta) = root.child("metadata") {
        b.doc.created = meta.child_text("timestamp");
        if let Some(tools) = meta.child("tools") {
            for t in tools.children_named("tool") {
                push_tool(&mut b, t, "vendor");
            }
            for key in ["components", "services"] {
                if let Some(list) = tools.child(key) {
                    for t in &list.children {
                        push_tool(&mut b, t, "group");
                    }
                }
            }
        }
        if let Some(authors) = meta.child("authors") {
            for a in authors.children_named("author") {
                if let Some(n) = a.child_text("name").or_else(|| a.child_text("email")) {
                    b.doc.authors.push(n);
                }
            }
        }
        for key in ["manufacture", "manufacturer"] {
            if let Some(n) = meta.child(key).and_then(|m| m.child_text("name")) {
                if !b.doc.authors.contains(&n) {
                    b.doc.authors.push(n);
                }
            }
        }
        if let Some(c) = meta.child("component") {
            let mut ancestors = Vec::new();
            component(&mut b, c, "bom/metadata/component", &mut ancestors, 0, true)?;
        }
    }

    if let Some(comps) = root.child("components") {
        let mut ancestors = Vec::new();
        for (i, c) in comps.children_named("component").enumerate() {
            let p = format!("bom/components/component[{i}]");
            component(&mut b, c, &p, &mut ancestors, 0, false)?;
        }
    }

    if let Some(deps) = root.child("dependencies") {
        for (i, d) in deps.children_named("dependency").enumerate() {
            let p = format!("bom/dependencies/dependency[{i}]");
            let from = d.attr("ref").ok_or_else(|| SbomError::Invalid {
                location: loc(&p, d),
                message: "expected a 'ref' attribute".into(),
            })?;
            for (j, t) in d.children_named("dependency").enumerate() {
                let to = t.attr("ref").ok_or_else(|| SbomError::Invalid {
                    location: loc(&format!("{p}/dependency[{j}]"), t),
                    message: "expected a 'ref' attribute".into(),
                })?;
                b.add_edge(from, to, loc(&format!("{p}/dependency[{j}]"), t));
            }
        }
    }
    Ok(b.finish())
}

fn push_tool(b: &mut Builder, t: &Elem, vendor_key: &str) {
    let parts: Vec<String> = [
        t.child_text(vendor_key),
        t.child_text("name"),
        t.child_text("version"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !parts.is_empty() {
        b.doc.tools.push(parts.join(" "));
    }
}

fn component(
    b: &mut Builder,
    el: &Elem,
    path: &str,
    ancestors: &mut Vec<String>,
    depth: usize,
    is_subject: bool,
) -> Result<(), SbomError> {
    if depth > MAX_COMPONENT_DEPTH {
        return Err(SbomError::Invalid {
            location: loc(path, el),
            message: format!("components nested deeper than {MAX_COMPONENT_DEPTH} levels"),
        });
    }
    let mut c = Component {
        bom_ref: el.attr("bom-ref").unwrap_or_default().to_string(),
        kind: el.attr("type").unwrap_or_default().to_string(),
        group: el.child_text("group"),
        name: el.child("name").map(|n| n.text.clone()).unwrap_or_default(),
        version: el.child_text("version"),
        cpe: el.child_text("cpe"),
        path: ancestors.clone(),
        ..Component::default()
    };
    if let Some(p) = el.child("purl") {
        b.apply_purl(&mut c, &p.text, || loc(&format!("{path}/purl"), p));
    }
    if let Some(tag) = el.child("swid").and_then(|s| non_empty(s.attr("tagId"))) {
        c.other_ids.push(("swid".into(), tag));
    }
    if let Some(hashes) = el.child("hashes") {
        for (i, h) in hashes.children_named("hash").enumerate() {
            let alg = h.attr("alg").unwrap_or_default();
            let hash = b.hash(alg, &h.text, || loc(&format!("{path}/hashes/hash[{i}]"), h));
            c.hashes.push(hash);
        }
    }
    c.supplier = el
        .child("supplier")
        .and_then(|s| s.child_text("name"))
        .or_else(|| el.child("manufacturer").and_then(|s| s.child_text("name")))
        .or_else(|| el.child_text("publisher"));
    if let Some(lics) = el.child("licenses") {
        for l in &lics.children {
            match l.name.as_str() {
                "expression" => push_license(&mut c.licenses, &l.text),
                "license" => {
                    if let Some(id) = l.child_text("id").or_else(|| l.child_text("name")) {
                        push_license(&mut c.licenses, &id);
                    }
                }
                _ => {}
            }
        }
    }
    let r = if is_subject {
        b.set_subject(c, loc(path, el))
    } else {
        b.push_component(c, loc(path, el))
    };
    if let Some(children) = el.child("components") {
        ancestors.push(r);
        for (i, child) in children.children_named("component").enumerate() {
            let p = format!("{path}/components/component[{i}]");
            component(b, child, &p, ancestors, depth + 1, false)?;
        }
        ancestors.pop();
    }
    Ok(())
}
