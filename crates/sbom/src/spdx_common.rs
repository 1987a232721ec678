//! What SPDX JSON and tag-value share: the element list, relationships and the mapping
//! of both to the normalised [`Document`].

use crate::common::Builder;
use crate::{Component, Document, Format};

/// One SPDX element (package or file) and where it was written.
pub(crate) struct Element {
    pub comp: Component,
    pub loc: String,
}

/// A relationship as written.
pub(crate) struct Relationship {
    pub from: String,
    pub ty: String,
    pub to: String,
    pub loc: String,
}

/// The format-independent content of an SPDX 2.x document.
pub(crate) struct Raw {
    pub format: Format,
    pub version: String,
    pub doc_id: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub created: Option<String>,
    pub creators: Vec<String>,
    pub elements: Vec<Element>,
    /// `documentDescribes` (JSON only).
    pub describes: Vec<String>,
    pub relationships: Vec<Relationship>,
    /// (package, file, location) from `hasFiles` or tag-value file placement.
    pub contains: Vec<(String, String, String)>,
}

/// `Organization: ACME (a@b)` -> `ACME (a@b)`; `NOASSERTION` -> None.
pub(crate) fn strip_actor(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || s == "NOASSERTION" || s == "NONE" {
        return None;
    }
    let body = ["Organization:", "Person:", "Tool:"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .unwrap_or(s)
        .trim();
    let body = body.strip_suffix("()").map(str::trim_end).unwrap_or(body);
    if body.is_empty() {
        None
    } else {
        Some(body.to_string())
    }
}

enum Dir {
    Forward,
    Reverse,
}

fn edge_direction(ty: &str) -> Option<Dir> {
    match ty {
        "DEPENDS_ON" | "CONTAINS" | "DYNAMIC_LINK" | "STATIC_LINK" | "HAS_PREREQUISITE" => {
            Some(Dir::Forward)
        }
        "DEPENDENCY_OF"
        | "CONTAINED_BY"
        | "PREREQUISITE_FOR"
        | "BUILD_DEPENDENCY_OF"
        | "DEV_DEPENDENCY_OF"
        | "OPTIONAL_DEPENDENCY_OF"
        | "PROVIDED_DEPENDENCY_OF"
        | "TEST_DEPENDENCY_OF"
        | "RUNTIME_DEPENDENCY_OF" => Some(Dir::Reverse),
        _ => None,
    }
}

impl Raw {
    pub fn finish(self) -> Document {
        let mut b = Builder::new(self.format, self.version);
        b.doc.serial = self.namespace;
        b.doc.name = self.name;
        b.doc.created = self.created;
        for c in &self.creators {
            let t = c.trim();
            if t.starts_with("Tool:") {
                if let Some(x) = strip_actor(t) {
                    b.doc.tools.push(x);
                }
            } else if t.starts_with("Person:") || t.starts_with("Organization:") {
                if let Some(x) = strip_actor(t) {
                    b.doc.authors.push(x);
                }
            } else {
                b.problem(
                    "creationInfo.creators",
                    format!(
                        "creator '{}' lacks a 'Person:', 'Organization:' or 'Tool:' prefix",
                        otproof_text::quote(t)
                    ),
                );
            }
        }

        // Described elements, in order: documentDescribes, then DESCRIBES / DESCRIBED_BY.
        let doc_id = self.doc_id.as_str();
        let mut described: Vec<&str> = self.describes.iter().map(String::as_str).collect();
        for r in &self.relationships {
            if r.from == doc_id && r.ty == "DESCRIBES" {
                described.push(&r.to);
            } else if r.to == doc_id && r.ty == "DESCRIBED_BY" {
                described.push(&r.from);
            }
        }
        let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, e) in self.elements.iter().enumerate() {
            index.entry(e.comp.bom_ref.as_str()).or_insert(i);
        }
        let find = |id: &str| index.get(id).copied();
        let subject_idx = described
            .iter()
            .filter_map(|d| find(d))
            .find(|&i| self.elements.get(i).is_some_and(|e| e.comp.kind != "file"))
            .or_else(|| described.iter().find_map(|d| find(d)));
        for d in &described {
            if find(d).is_none() {
                b.problem(
                    "relationships",
                    format!(
                        "the document describes '{}', which is not in the document",
                        otproof_text::quote(d)
                    ),
                );
            }
        }

        let mut contains = self.contains;
        let relationships = self.relationships;
        drop(index);
        for (i, e) in self.elements.into_iter().enumerate() {
            if Some(i) == subject_idx {
                b.set_subject(e.comp, e.loc);
            } else {
                b.push_component(e.comp, e.loc);
            }
        }

        let external = |id: &str| {
            id == doc_id || id == "NOASSERTION" || id == "NONE" || id.starts_with("DocumentRef-")
        };
        for r in &relationships {
            let (from, to) = match edge_direction(&r.ty) {
                Some(Dir::Forward) => (&r.from, &r.to),
                Some(Dir::Reverse) => (&r.to, &r.from),
                None => continue,
            };
            if external(from) || external(to) {
                continue;
            }
            b.add_edge(from, to, r.loc.clone());
        }
        for (p, f, loc) in contains.drain(..) {
            b.add_edge(&p, &f, loc);
        }
        b.finish()
    }
}
