//! CycloneDX XML -> the JSON shape read by `cyclonedx::parse`.
//!
//! Elements become objects (attributes and child elements as keys, first
//! occurrence wins), leaf elements become strings, and the known list
//! containers (`components`, `vulnerabilities`, `references`, `affects`,
//! `versions`, `responses` -> `response`, `authors`) become arrays of their
//! children. Nesting is limited to [`MAX_DEPTH`].

use crate::VexError;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use quick_xml::XmlVersion;
use serde_json::{Map, Value};

const MAX_DEPTH: usize = 64;
const LISTS: [&str; 9] = [
    "components",
    "vulnerabilities",
    "references",
    "affects",
    "versions",
    "responses",
    "authors",
    "ratings",
    "advisories",
];

struct Frame {
    name: String,
    attrs: Map<String, Value>,
    children: Vec<(String, Value)>,
    text: String,
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

fn frame(e: &BytesStart<'_>) -> Result<Frame, VexError> {
    let name = local(e.name().as_ref());
    let mut attrs = Map::new();
    for a in e.attributes() {
        let a = a.map_err(|err| VexError::Syntax(format!("XML attribute in <{name}>: {err}")))?;
        let key = local(a.key.as_ref());
        if key == "xmlns" || a.key.as_ref().starts_with("xmlns:") {
            continue;
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| VexError::Syntax(format!("XML attribute {key} in <{name}>: {err}")))?;
        attrs.insert(key, Value::String(value.into_owned()));
    }
    Ok(Frame {
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

fn finish(f: Frame) -> (String, Value) {
    let key = if f.name == "responses" {
        "response".to_string()
    } else {
        f.name.clone()
    };
    if LISTS.contains(&f.name.as_str()) {
        return (
            key,
            Value::Array(f.children.into_iter().map(|(_, v)| v).collect()),
        );
    }
    if f.children.is_empty() && f.attrs.is_empty() {
        return (key, Value::String(f.text.trim().to_string()));
    }
    let mut obj = f.attrs;
    for (k, v) in f.children {
        obj.entry(k).or_insert(v);
    }
    (key, Value::Object(obj))
}

pub(crate) fn cyclonedx_xml_to_json(text: &str) -> Result<Value, VexError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let ev = reader.read_event().map_err(|e| {
            VexError::Syntax(format!("XML at byte {}: {e}", reader.error_position()))
        })?;
        match ev {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(VexError::Syntax(format!(
                        "XML nested deeper than {MAX_DEPTH} elements"
                    )));
                }
                if root.is_some() {
                    return Err(VexError::Syntax(
                        "XML: content after the root element".into(),
                    ));
                }
                stack.push(frame(&e)?);
            }
            Event::Empty(e) => {
                if root.is_some() {
                    return Err(VexError::Syntax(
                        "XML: content after the root element".into(),
                    ));
                }
                let done = finish(frame(&e)?);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::End(_) => {
                let Some(f) = stack.pop() else {
                    return Err(VexError::Syntax("XML: unbalanced end tag".into()));
                };
                let done = finish(f);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                if let Some(f) = stack.last_mut() {
                    f.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::CData(t) => {
                if let Some(f) = stack.last_mut() {
                    f.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.xml_content(XmlVersion::Implicit1_0);
                        match resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => {
                                return Err(VexError::Syntax(format!(
                                    "XML: unknown entity &{name};"
                                )))
                            }
                        }
                    }
                    Err(e) => {
                        return Err(VexError::Syntax(format!("XML character reference: {e}")))
                    }
                };
                if let Some(f) = stack.last_mut() {
                    f.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(VexError::Syntax("XML: unexpected end of document".into()));
    }
    match root {
        Some((name, value)) if name == "bom" => match value {
            Value::Object(_) => Ok(value),
            _ => Ok(Value::Object(Map::new())),
        },
        Some((name, _)) => Err(VexError::Unrecognized(format!(
            "XML root element <{name}> is not a CycloneDX <bom>"
        ))),
        None => Err(VexError::Syntax("XML: no root element".into())),
    }
}
