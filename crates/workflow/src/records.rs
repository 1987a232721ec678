//! Shared steps of every use case: attach files as blobs, append records idempotently, and
//! prove that a cited record is in the store's signed log.

use otproof_evidence::{Attachment, Body, Evidence, Record, RecordError, RecordId, Sha256Digest};
use otproof_store::{Store, StoreError};
use std::path::{Path, PathBuf};

/// A shared step that failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record breaks a rule of the format.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Media type from a file name.
pub fn media_type_of(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "xml" => "application/xml",
        "html" | "htm" => "text/html",
        "md" => "text/markdown",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "tar" => "application/x-tar",
        "gz" | "tgz" => "application/gzip",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// The file name of a path for people (`file` when it has none).
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

/// Store bytes as a blob and describe them as an attachment named `name`.
pub fn attach_bytes(
    store: &Store,
    name: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<Attachment, RecordsError> {
    let sha256: Sha256Digest = store.put_blob(bytes)?;
    Ok(Attachment {
        name: name.to_string(),
        media_type: media_type.to_string(),
        sha256,
        size: bytes.len() as u64,
    })
}

/// Store a file as a blob and describe it as an attachment (media type from its extension
/// unless given).
pub fn attach_file(
    store: &Store,
    path: &Path,
    media_type: Option<&str>,
) -> Result<Attachment, RecordsError> {
    let bytes = crate::input::read(path, "attachment").map_err(|source| RecordsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    attach_bytes(
        store,
        &file_name(path),
        media_type.unwrap_or_else(|| media_type_of(path)),
        &bytes,
    )
}

/// Append a record; the same record again (same content and time) is already there: its ID.
pub fn append_idempotent(store: &mut Store, record: Record) -> Result<RecordId, RecordsError> {
    let id = record.id()?;
    match store.append_one(record) {
        Ok(a) => Ok(a.id),
        Err(StoreError::Duplicate(_)) => Ok(id),
        Err(e) => Err(e.into()),
    }
}

/// Record evidence with files an otproof command wrote attached as blobs.
pub fn record_evidence(
    store: &mut Store,
    mut evidence: Evidence,
    files: &[&Path],
    operation: &str,
) -> Result<RecordId, RecordsError> {
    for f in files {
        evidence.attachments.push(attach_file(store, f, None)?);
    }
    append_idempotent(store, Record::new(operation, Body::Evidence(evidence)))
}

/// Why a cited record does not count as proven in the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Not in the store, or no checkpoint covers it, or the store failed.
    #[error("{id}: no inclusion proof from the store: {reason}")]
    NoProof {
        /// The record.
        id: RecordId,
        /// Why.
        reason: String,
    },
    /// The checkpoint's signature does not verify against the store's key.
    #[error("{id}: the checkpoint's signature does not verify with the store's key: {reason}")]
    Signature {
        /// The record.
        id: RecordId,
        /// Why.
        reason: String,
    },
    /// The checkpoint note is not a checkpoint.
    #[error("{id}: the checkpoint does not parse: {reason}")]
    Checkpoint {
        /// The record.
        id: RecordId,
        /// Why.
        reason: String,
    },
    /// The proof does not lead from the record's leaf to the signed root.
    #[error("{id}: the inclusion proof does not verify against the signed root: {reason}")]
    Inclusion {
        /// The record.
        id: RecordId,
        /// Why.
        reason: String,
    },
}

/// Prove that a record is in the store's log: its inclusion proof verifies against a
/// checkpoint signed with the store's key, for the same tree size. Every failure is named.
pub fn prove_in_store(store: &Store, id: &RecordId) -> Result<(), ProofError> {
    let p = store
        .prove(&id.to_string())
        .map_err(|e| ProofError::NoProof {
            id: *id,
            reason: e.to_string(),
        })?;
    let opened =
        otproof_ledger::note::open(&p.checkpoint.note, std::slice::from_ref(store.verifier()))
            .map_err(|e| ProofError::Signature {
                id: *id,
                reason: e.to_string(),
            })?;
    let cp = otproof_ledger::checkpoint::Checkpoint::parse(&opened.text).map_err(|e| {
        ProofError::Checkpoint {
            id: *id,
            reason: e.to_string(),
        }
    })?;
    if cp.size != p.size {
        return Err(ProofError::Inclusion {
            id: *id,
            reason: format!(
                "the proof is for size {} but the signed checkpoint is for size {}",
                p.size, cp.size
            ),
        });
    }
    otproof_ledger::verify_inclusion(
        &otproof_store::record_leaf(id),
        p.leaf,
        p.size,
        &p.proof,
        &cp.root,
    )
    .map_err(|e| ProofError::Inclusion {
        id: *id,
        reason: e.to_string(),
    })
}
