//! Use cases: record a document (a policy, an SDL record, a certificate, a report handed over
//! by someone) as evidence for catalog requirements; list and show records.

use crate::records::{attach_file, RecordsError};
use otproof_catalog::{Catalog, ComponentType};
use otproof_evidence::payload::document::DocumentPayload;
use otproof_evidence::{Body, Evidence, EvidenceKind, Payload, Record, Subject};
use otproof_store::{Appended, RecordSummary, Store, StoreError, StoredRecord};
use std::path::PathBuf;

/// A document use case that failed.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A requirement the catalog does not have (with the nearest IDs it has).
    #[error("--requirement '{id}' is not in the IEC 62443 catalog{}", suggestion(.near))]
    UnknownRequirement {
        /// As given.
        id: String,
        /// Near matches.
        near: Vec<String>,
    },
    /// No requirement named.
    #[error(
        "name at least one requirement the document supports (e.g. {})",
        otproof_catalog::traces::example_ids()
    )]
    NoRequirement,
    /// The file is not a file.
    #[error("{} is not a file (expected the evidence file to attach)", .0.display())]
    NotAFile(PathBuf),
    /// An empty file proves nothing.
    #[error("{} is empty: an empty document proves nothing", .0.display())]
    Empty(PathBuf),
    /// Store, record or file failure.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The payload could not be written.
    #[error(transparent)]
    Payload(#[from] otproof_evidence::PayloadError),
}

fn suggestion(near: &[String]) -> String {
    if near.is_empty() {
        " (see `otproof catalog list`)".to_string()
    } else {
        format!("; did you mean: {}?", near.join(", "))
    }
}

/// A document to record.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// The file to attach.
    pub file: PathBuf,
    /// Evidence kind (`document`, `certificate`, ...).
    pub kind: EvidenceKind,
    /// Requirements it supports (any accepted spelling; stored canonical).
    pub requirements: Vec<String>,
    /// Vendor.
    pub vendor: String,
    /// Product (none: about the vendor's organisation or process).
    pub product: Option<String>,
    /// Product version.
    pub version: Option<String>,
    /// Component type of the product.
    pub component: Option<ComponentType>,
    /// Title (default: the file name).
    pub title: Option<String>,
    /// Media type (default: from the file extension).
    pub media_type: Option<String>,
    /// The record it replaces (ID or unique prefix).
    pub supersedes: Option<String>,
}

/// Check the document's inputs, store the file as a blob and append the record.
pub fn add(store: &mut Store, d: &NewDocument) -> Result<Appended, DocumentError> {
    if d.requirements.is_empty() {
        return Err(DocumentError::NoRequirement);
    }
    let catalog = Catalog::builtin();
    for q in &d.requirements {
        if catalog.get(q).is_none() {
            return Err(DocumentError::UnknownRequirement {
                id: q.clone(),
                near: catalog.suggest(q).into_iter().map(str::to_string).collect(),
            });
        }
    }
    let meta = std::fs::metadata(&d.file).map_err(|_| DocumentError::NotAFile(d.file.clone()))?;
    if !meta.is_file() {
        return Err(DocumentError::NotAFile(d.file.clone()));
    }
    if meta.len() == 0 {
        return Err(DocumentError::Empty(d.file.clone()));
    }
    let supersedes = match &d.supersedes {
        Some(p) => Some(store.get(p)?.id),
        None => None,
    };
    let attachment = attach_file(store, &d.file, d.media_type.as_deref())?;
    let subject = match &d.product {
        Some(p) => Subject::Product {
            vendor: d.vendor.clone(),
            product: p.clone(),
            version: d.version.clone(),
            component_type: d.component,
            artifacts: vec![],
        },
        None => Subject::Vendor {
            vendor: d.vendor.clone(),
        },
    };
    let payload = DocumentPayload {
        file: attachment.name.clone(),
        submitted_by: None,
        stated_version: None,
    }
    .to_value()?;
    let mut record = Record::new(
        "evidence add",
        Body::Evidence(Evidence {
            kind: d.kind,
            title: d.title.clone().unwrap_or_else(|| attachment.name.clone()),
            requirements: d.requirements.clone(),
            subject,
            payload,
            attachments: vec![attachment],
            findings: vec![],
        }),
    );
    record.supersedes = supersedes;
    Ok(store.append_one(record)?)
}

/// Records, optionally only those naming a requirement or about a product.
pub fn list(
    store: &Store,
    requirement: Option<&str>,
    product: Option<&str>,
) -> Result<Vec<RecordSummary>, DocumentError> {
    Ok(store.list(requirement, product)?)
}

/// One record by ID or unique prefix.
pub fn show(store: &Store, id_or_prefix: &str) -> Result<StoredRecord, DocumentError> {
    Ok(store.get(id_or_prefix)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(dir: &std::path::Path, body: &[u8]) -> NewDocument {
        let file = dir.join("sdl-process.md");
        std::fs::write(&file, body).expect("write");
        NewDocument {
            file,
            kind: EvidenceKind::Document,
            requirements: vec!["sm1".into(), "SM-2".into()],
            vendor: "Acme".into(),
            product: Some("RTU-5".into()),
            version: Some("2.1".into()),
            component: None,
            title: None,
            media_type: None,
            supersedes: None,
        }
    }

    #[test]
    fn a_document_is_recorded_with_a_typed_payload_and_canonical_requirements() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(t.path(), None).expect("init");
        let d = doc(t.path(), b"# SDL process\n");
        let a = add(&mut store, &d).expect("add");
        let r = show(&store, &a.id.to_string()).expect("show");
        let Body::Evidence(e) = &r.record.body else {
            panic!("evidence expected");
        };
        assert_eq!(e.requirements, ["SM-1", "SM-2"]);
        assert_eq!(e.title, "sdl-process.md");
        assert_eq!(e.attachments[0].media_type, "text/markdown");
        let p = DocumentPayload::from_value(&e.payload).expect("typed payload");
        assert_eq!(p.file, "sdl-process.md");
        assert_eq!(list(&store, Some("SM-1"), None).expect("list").len(), 1);
        // A superseding record names the old one.
        let d2 = NewDocument {
            supersedes: Some(a.id.to_string()),
            title: Some("SDL process rev B".into()),
            ..d
        };
        let b = add(&mut store, &d2).expect("add");
        assert_eq!(
            show(&store, &b.id.to_string())
                .expect("show")
                .record
                .supersedes,
            Some(a.id)
        );
    }

    #[test]
    fn bad_input_records_nothing() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(t.path(), None).expect("init");
        let mut d = doc(t.path(), b"x");
        d.requirements = vec!["SM1x".into()];
        let e = add(&mut store, &d).expect_err("unknown requirement");
        assert!(
            e.to_string().contains("is not in the IEC 62443 catalog"),
            "{e}"
        );
        let empty = doc(t.path(), b"");
        assert!(matches!(
            add(&mut store, &empty),
            Err(DocumentError::Empty(_))
        ));
        let mut missing = doc(t.path(), b"x");
        missing.file = t.path().join("nope.pdf");
        assert!(matches!(
            add(&mut store, &missing),
            Err(DocumentError::NotAFile(_))
        ));
        let mut none = doc(t.path(), b"x");
        none.requirements.clear();
        assert!(matches!(
            add(&mut store, &none),
            Err(DocumentError::NoRequirement)
        ));
        assert_eq!(store.size().expect("size"), 0);
    }
}
