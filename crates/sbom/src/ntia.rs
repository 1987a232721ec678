//! NTIA "minimum elements" check (supplier, name, version, unique identifier,
//! dependency relationship, author, timestamp).
//!
//! Component-level elements are checked on the subject and every component; for SPDX
//! documents, files are not components in the NTIA sense and are skipped. "Unique
//! identifier" is a valid purl, a CPE or another identifier (SWID tag id, SPDX external
//! reference). "Author" requires a person or organisation (`Document::authors`); a tool
//! alone does not count. "Dependency relationship" requires at least one edge, or for
//! SPDX a described package.

use crate::{Component, Document, Format};
use serde::Serialize;

/// The result of [`ntia`]: one entry per minimum element, in a fixed order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NtiaReport {
    pub elements: Vec<NtiaElement>,
}

/// One minimum element.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NtiaElement {
    /// "supplier", "name", "version", "unique identifier", "dependency relationship",
    /// "author" or "timestamp".
    pub element: &'static str,
    pub ok: bool,
    /// bom_refs lacking the element, or "document" for document-level elements.
    pub missing: Vec<String>,
}

impl NtiaReport {
    /// True when every element is present everywhere.
    pub fn passed(&self) -> bool {
        self.elements.iter().all(|e| e.ok)
    }

    /// The entry for one element name.
    pub fn element(&self, name: &str) -> Option<&NtiaElement> {
        self.elements.iter().find(|e| e.element == name)
    }
}

fn has_text(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.trim().is_empty())
}

/// Checks a document against the NTIA minimum elements.
pub fn ntia(doc: &Document) -> NtiaReport {
    let spdx = matches!(doc.format, Format::SpdxJson | Format::SpdxTagValue);
    let comps: Vec<&Component> = doc
        .subject
        .iter()
        .chain(doc.components.iter())
        .filter(|c| !(spdx && c.kind == "file"))
        .collect();
    let per = |element: &'static str, f: &dyn Fn(&Component) -> bool| {
        let missing: Vec<String> = comps
            .iter()
            .filter(|c| !f(c))
            .map(|c| c.bom_ref.clone())
            .collect();
        NtiaElement {
            element,
            ok: missing.is_empty(),
            missing,
        }
    };
    let doc_level = |element: &'static str, ok: bool| NtiaElement {
        element,
        ok,
        missing: if ok {
            Vec::new()
        } else {
            vec!["document".into()]
        },
    };
    let has_deps = !doc.dependencies.is_empty() || (spdx && doc.subject.is_some());
    NtiaReport {
        elements: vec![
            per("supplier", &|c| has_text(&c.supplier)),
            per("name", &|c| !c.name.trim().is_empty()),
            per("version", &|c| has_text(&c.version)),
            per("unique identifier", &|c| {
                c.purl.is_some() || has_text(&c.cpe) || !c.other_ids.is_empty()
            }),
            doc_level("dependency relationship", has_deps),
            doc_level("author", doc.authors.iter().any(|a| !a.trim().is_empty())),
            doc_level("timestamp", has_text(&doc.created)),
        ],
    }
}
