//! # otproof-store
//!
//! Where records live: a store is a `.otproof/` folder (found by walking up from the working
//! directory, like git) holding a database of records and ledger state, content-addressed
//! blobs on disk, and the ledger's signing key.
//!
//! Invariants:
//! - A record is acknowledged ([`Store::append`] returns its ID) only when the record, its
//!   blobs, its ledger leaf, the new tree nodes and the batch's signed checkpoint are durable:
//!   blobs are written and fsynced first, then everything else in one SQLite transaction
//!   (WAL, `synchronous=FULL`).
//! - Appends take the database write lock before reading the tree size, so two processes
//!   appending at once serialise; neither can corrupt the log.
//! - The ledger leaf of a record is the 32-byte SHA-256 of its canonical JSON (its ID), hashed
//!   as an RFC 6962 leaf. Leaves are never rewritten; tree nodes are only added.
//! - Every multi-query read (a checkpoint, a proof, an export, `verify --store`) sees one
//!   snapshot: checkpoints are signed inside the write transaction that reads the size and the
//!   root; readers run in one read transaction ([`Store::snapshot`]), so a concurrent append can
//!   neither make a checkpoint sign the root of another size nor make verification see half a
//!   batch.
//! - Readers never write: [`Store::open_read_only`] opens the database read-only (read-only
//!   media and stores owned by someone else work) and does not read the private key.
//! - The index columns and requirement rows are derived from the canonical record by one
//!   function ([`index_row`]) used both when appending and when verifying, so an edited index
//!   is always caught by `verify --store`.
//! - The store's folder and its `keys/` folder are created mode 0700 whatever the umask.
//! - Producers do not see SQL: everything goes through [`Backend`], so another database
//!   (PostgreSQL for the server) is one more module implementing it.

mod blobs;
pub mod bundle;
pub mod sqlite;
mod verify;

pub use blobs::Blobs;
pub use verify::{Check, StoreReport, Trust};

use otproof_catalog::Catalog;
use otproof_evidence::{parse_canonical, Record, RecordId, Sha256Digest};
use otproof_ledger::checkpoint::Checkpoint;
use otproof_ledger::note::{Signer, Verifier};
use otproof_ledger::{Hash, NodeStore};
use std::path::{Path, PathBuf};

/// Name of the store folder.
pub const STORE_DIR: &str = ".otproof";
const DB_FILE: &str = "otproof.db";
const SKEY_FILE: &str = "keys/ledger.skey";
const VKEY_FILE: &str = "keys/ledger.vkey";

/// Everything that can go wrong with a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No store found.
    #[error(
        "no otproof store in {0} or any parent folder: run `otproof init` or pass --store PATH"
    )]
    NotFound(PathBuf),
    /// Already a store.
    #[error("{0} already holds an otproof store")]
    Exists(PathBuf),
    /// File system failure.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// Database failure.
    #[error("database: {0}")]
    Database(String),
    /// A schema newer than this build.
    #[error("the store's schema version is {found}, this otproof knows up to {supported}: use a newer otproof")]
    Version {
        /// In the store.
        found: u32,
        /// Known here.
        supported: u32,
    },
    /// Invalid record.
    #[error("record rejected: {0}")]
    Record(#[from] otproof_evidence::RecordError),
    /// The same record again.
    #[error("record {0} is already in the store (records are immutable; to change one, add a new record that supersedes it)")]
    Duplicate(String),
    /// A record attaches a blob the store does not have.
    #[error("record attaches blob {0}, which is not in the store: add the file first")]
    MissingBlob(String),
    /// A record supersedes one the store does not have.
    #[error("record supersedes {0}, which is not in the store")]
    UnknownSuperseded(String),
    /// Ledger computation failed.
    #[error("ledger: {0}")]
    Ledger(String),
    /// Something stored is not what it should be.
    #[error("store is corrupt: {0}")]
    Corrupt(String),
    /// Unknown record.
    #[error("no record {0} in the store")]
    UnknownRecord(String),
    /// Ambiguous prefix.
    #[error("'{0}' matches more than one record: give more digits")]
    Ambiguous(String),
    /// Key problem.
    #[error("ledger key {path}: {reason}")]
    Key {
        /// Key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn ledger_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Ledger(e.to_string())
}

/// A record row as the backend stores it.
#[derive(Debug, Clone)]
pub struct RecordRow {
    /// Leaf index.
    pub leaf: u64,
    /// `sha256:...`.
    pub id: String,
    /// Canonical JSON bytes.
    pub json: Vec<u8>,
}

/// A line of `evidence list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordSummary {
    /// Leaf index.
    pub leaf: u64,
    /// `sha256:...`.
    pub id: String,
    /// `evidence/<kind>` or `decision/<decision>`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Subject, one line.
    pub subject: String,
    /// RFC 3339.
    pub created: String,
}

/// A stored record with the index columns kept beside it (checked by `verify --store`).
#[derive(Debug, Clone)]
pub struct IndexedRow {
    /// Leaf, ID and canonical bytes.
    pub record: RecordRow,
    /// Kind label column.
    pub kind: String,
    /// Title column.
    pub title: String,
    /// Subject column.
    pub subject: String,
    /// Product column.
    pub product: Option<String>,
    /// Created column.
    pub created: String,
    /// Supersedes column.
    pub supersedes: Option<String>,
}

/// A record ready for insertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecordRow {
    /// `sha256:...`.
    pub id: String,
    /// Kind label.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Subject, one line.
    pub subject: String,
    /// Product name, for filtering.
    pub product: Option<String>,
    /// Created.
    pub created: String,
    /// Superseded ID.
    pub supersedes: Option<String>,
    /// Canonical JSON.
    pub json: Vec<u8>,
    /// Requirement IDs.
    pub requirements: Vec<String>,
}

/// A stored checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// The signed note.
    pub note: String,
}

/// What one batch writes.
#[derive(Debug, Default)]
pub struct BatchRows {
    /// New records, in leaf order.
    pub records: Vec<NewRecordRow>,
    /// New tree nodes.
    pub nodes: Vec<(u8, u64, Hash)>,
    /// The batch's checkpoint.
    pub checkpoint: Option<CheckpointRow>,
}

/// A read view of tree nodes, handed to ledger computations inside a backend transaction.
pub struct NodeView<'a>(pub &'a dyn Fn(u8, u64) -> Result<Option<Hash>, StoreError>);

impl NodeStore for NodeView<'_> {
    type Error = StoreError;
    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, StoreError> {
        (self.0)(level, index)
    }
}

/// A database behind the store. SQLite is the default; a server backend implements the same.
pub trait Backend {
    /// Number of records (= ledger size).
    fn size(&self) -> Result<u64, StoreError>;
    /// One tree node.
    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, StoreError>;
    /// Lock the log against other writers, call `build` with the current nodes and size, write
    /// what it returns, commit durably; returns the size before the batch.
    fn append_batch(
        &mut self,
        build: &mut dyn FnMut(&NodeView<'_>, u64) -> Result<BatchRows, StoreError>,
    ) -> Result<u64, StoreError>;
    /// A record by full ID.
    fn record_by_id(&self, id: &str) -> Result<Option<RecordRow>, StoreError>;
    /// Up to two records whose ID starts with `prefix`.
    fn record_by_prefix(&self, prefix: &str) -> Result<Vec<RecordRow>, StoreError>;
    /// A record by leaf index.
    fn record_by_leaf(&self, leaf: u64) -> Result<Option<RecordRow>, StoreError>;
    /// Records, optionally those naming a requirement and/or about a product.
    fn list(
        &self,
        requirement: Option<&str>,
        product: Option<&str>,
    ) -> Result<Vec<RecordSummary>, StoreError>;
    /// Every record in leaf order, with its index columns.
    fn all_records(
        &self,
        f: &mut dyn FnMut(IndexedRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Every requirement index row (leaf, requirement), ordered by leaf then requirement.
    fn all_requirements(
        &self,
        f: &mut dyn FnMut(u64, String) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Start a read snapshot: until the matching [`Backend::end_read`], every read sees the
    /// same committed state. Calls nest.
    fn begin_read(&self) -> Result<(), StoreError>;
    /// End a read snapshot.
    fn end_read(&self) -> Result<(), StoreError>;
    /// Opened for reading only.
    fn read_only(&self) -> bool;
    /// Every stored node.
    fn all_nodes(
        &self,
        f: &mut dyn FnMut(u8, u64, Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// All checkpoints by size.
    fn checkpoints(&self) -> Result<Vec<CheckpointRow>, StoreError>;
    /// A metadata value.
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Set a metadata value.
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
}

/// The index row of a record: what the store keeps beside its canonical bytes for lookups.
/// The one definition used when appending and when `verify --store` recomputes the index.
pub fn index_row(record: &Record, id: &RecordId, json: Vec<u8>) -> NewRecordRow {
    let mut requirements: Vec<String> = record
        .requirements()
        .iter()
        .map(|s| s.to_string())
        .collect();
    requirements.sort();
    requirements.dedup();
    NewRecordRow {
        id: id.to_string(),
        kind: record.kind_label(),
        title: record.title().to_string(),
        subject: record.subject().describe(),
        product: record.subject().product().map(str::to_string),
        created: record.created.clone(),
        supersedes: record.supersedes.map(|s| s.to_string()),
        requirements,
        json,
    }
}

/// The ledger leaf hash of a record ID.
pub fn record_leaf(id: &RecordId) -> Hash {
    otproof_ledger::leaf_hash(id.bytes())
}

/// An appended record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Its ID.
    pub id: RecordId,
    /// Its leaf index.
    pub leaf: u64,
}

/// A record read back.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// Its ID.
    pub id: RecordId,
    /// Its leaf index.
    pub leaf: u64,
    /// The record.
    pub record: Record,
    /// Its canonical bytes.
    pub json: Vec<u8>,
}

/// An inclusion proof with the checkpoint it is relative to.
#[derive(Debug, Clone)]
pub struct InclusionProof {
    /// Record.
    pub id: RecordId,
    /// Leaf index.
    pub leaf: u64,
    /// Tree size of the checkpoint.
    pub size: u64,
    /// Proof hashes.
    pub proof: Vec<Hash>,
    /// The signed checkpoint the proof leads to.
    pub checkpoint: CheckpointRow,
}

/// An open store.
pub struct Store {
    dir: PathBuf,
    backend: Box<dyn Backend>,
    blobs: Blobs,
    signer: Option<Signer>,
    verifier: Verifier,
    origin: String,
}

/// Create a folder (and missing parents) and make it mode 0700 whatever the umask.
fn create_private_dir(path: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(path).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(io(path))?;
    }
    Ok(())
}

fn write_private(path: &Path, text: &str) -> Result<(), StoreError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io(path))?;
    // The mode given at creation is masked by the umask; set it exactly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io(path))?;
    }
    f.write_all(text.as_bytes()).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Read a private key file, refusing one that others can read.
pub fn read_private_key(path: &Path) -> Result<Signer, StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(io(path))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::Key {
                path: path.to_path_buf(),
                reason: format!(
                    "file mode {mode:o} lets others read the private key: expected 600 (chmod 600 {})",
                    path.display()
                ),
            });
        }
    }
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    Signer::from_skey(text.trim()).map_err(|e| StoreError::Key {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Write a new key pair: `NAME.skey` (mode 0600) and `NAME.vkey` beside it.
pub fn write_key_pair(signer: &Signer, skey: &Path, vkey: &Path) -> Result<(), StoreError> {
    if skey.exists() {
        return Err(StoreError::Key {
            path: skey.to_path_buf(),
            reason: "already exists; refusing to overwrite a private key".into(),
        });
    }
    write_private(skey, &(signer.skey_text() + "\n"))?;
    std::fs::write(vkey, signer.vkey_text() + "\n").map_err(io(vkey))
}

impl Store {
    /// Find the store folder: `.otproof` in `start` or its nearest parent.
    pub fn discover(start: &Path) -> Result<PathBuf, StoreError> {
        let mut cur = Some(start);
        while let Some(dir) = cur {
            let candidate = dir.join(STORE_DIR);
            if candidate.join(DB_FILE).is_file() {
                return Ok(candidate);
            }
            cur = dir.parent();
        }
        Err(StoreError::NotFound(start.to_path_buf()))
    }

    /// Create a store in `dir/.otproof` with a fresh ledger key named after `origin`.
    pub fn init(dir: &Path, origin: Option<&str>) -> Result<Store, StoreError> {
        let root = dir.join(STORE_DIR);
        if root.join(DB_FILE).exists() {
            return Err(StoreError::Exists(root));
        }
        create_private_dir(&root)?;
        create_private_dir(&root.join("keys"))?;
        let origin = match origin {
            Some(o) => o.to_string(),
            None => {
                let mut seed = [0u8; 6];
                getrandom_fill(&mut seed, &root)?;
                format!("otproof.local/{}", hex::encode(seed))
            }
        };
        let signer = Signer::generate(&origin).map_err(|e| StoreError::Key {
            path: root.join(SKEY_FILE),
            reason: e.to_string(),
        })?;
        write_key_pair(&signer, &root.join(SKEY_FILE), &root.join(VKEY_FILE))?;
        let mut db = sqlite::Sqlite::open(&root.join(DB_FILE))?;
        db.set_meta("origin", &origin)?;
        drop(db);
        Store::open(&root)
    }

    /// Open the store in `dir` (the `.otproof` folder itself) for reading and appending.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, false)
    }

    /// Open the store in `dir` for reading only: the database is never written (read-only
    /// media and stores owned by someone else work), the private key is not read, and every
    /// method that writes fails.
    pub fn open_read_only(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, true)
    }

    fn open_with(dir: &Path, read_only: bool) -> Result<Store, StoreError> {
        let db_path = dir.join(DB_FILE);
        if !db_path.is_file() {
            return Err(StoreError::NotFound(dir.to_path_buf()));
        }
        let backend = if read_only {
            sqlite::Sqlite::open_read_only(&db_path)?
        } else {
            sqlite::Sqlite::open(&db_path)?
        };
        let origin = backend
            .meta("origin")?
            .ok_or_else(|| StoreError::Corrupt("no ledger origin recorded".into()))?;
        let vkey_path = dir.join(VKEY_FILE);
        let vkey = std::fs::read_to_string(&vkey_path).map_err(io(&vkey_path))?;
        let verifier = Verifier::from_vkey(vkey.trim()).map_err(|e| StoreError::Key {
            path: vkey_path.clone(),
            reason: e.to_string(),
        })?;
        let skey = dir.join(SKEY_FILE);
        let signer = if !read_only && skey.exists() {
            Some(read_private_key(&skey)?)
        } else {
            None
        };
        Ok(Store {
            dir: dir.to_path_buf(),
            blobs: Blobs::new(dir.join("blobs")),
            backend: Box::new(backend),
            signer,
            verifier,
            origin,
        })
    }

    /// The `.otproof` folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The ledger's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The ledger's verifier key text.
    pub fn vkey_text(&self) -> String {
        self.verifier.vkey_text()
    }

    /// The ledger's verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Blob storage.
    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// Store bytes as a blob (durably) and return their digest.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<Sha256Digest, StoreError> {
        self.blobs.put(bytes)
    }

    /// Number of records.
    pub fn size(&self) -> Result<u64, StoreError> {
        self.backend.size()
    }

    /// Append one record.
    pub fn append_one(&mut self, record: Record) -> Result<Appended, StoreError> {
        let mut v = self.append(vec![record])?;
        v.pop()
            .ok_or_else(|| StoreError::Corrupt("empty batch result".into()))
    }

    /// Append records as one batch: one durable transaction, one checkpoint.
    pub fn append(&mut self, records: Vec<Record>) -> Result<Vec<Appended>, StoreError> {
        let catalog = Catalog::builtin();
        let mut prepared = Vec::with_capacity(records.len());
        let mut ids = Vec::with_capacity(records.len());
        for mut r in records {
            r.validate(catalog)?;
            for a in r.attachments() {
                if !self.blobs.contains(&a.sha256) {
                    return Err(StoreError::MissingBlob(a.sha256.hex()));
                }
            }
            let json = r.canonical_json()?;
            let id = RecordId::of_canonical(json.as_bytes());
            if let Some(sup) = &r.supersedes {
                let in_batch = ids.contains(sup);
                if !in_batch && self.backend.record_by_id(&sup.to_string())?.is_none() {
                    return Err(StoreError::UnknownSuperseded(sup.to_string()));
                }
            }
            ids.push(id);
            prepared.push(index_row(&r, &id, json.into_bytes()));
        }
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        let leaves: Vec<Hash> = ids.iter().map(record_leaf).collect();
        let origin = self.origin.clone();
        let signer = self.signer.as_ref();
        let mut rows_once = Some(prepared);
        let start = self.backend.append_batch(&mut |nodes, size| {
            let new_nodes =
                otproof_ledger::nodes_to_append(nodes, size, &leaves).map_err(ledger_err)?;
            // The new root, read through the new nodes layered over the stored ones.
            let overlay = |level: u8, index: u64| -> Result<Option<Hash>, StoreError> {
                if let Some((_, _, h)) = new_nodes
                    .iter()
                    .find(|(l, i, _)| *l == level && *i == index)
                {
                    return Ok(Some(*h));
                }
                nodes.node(level, index)
            };
            let new_size = size + leaves.len() as u64;
            let root = otproof_ledger::root(&NodeView(&overlay), new_size).map_err(ledger_err)?;
            let checkpoint = match signer {
                Some(s) => Some(sign_checkpoint(s, &origin, new_size, root)?),
                None => None,
            };
            Ok(BatchRows {
                records: rows_once.take().unwrap_or_default(),
                nodes: new_nodes,
                checkpoint,
            })
        })?;
        Ok(ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| Appended {
                id,
                leaf: start + i as u64,
            })
            .collect())
    }

    /// Resolve a full ID or a unique prefix (`sha256:ab12...` or `ab12...`).
    pub fn resolve(&self, id_or_prefix: &str) -> Result<RecordRow, StoreError> {
        let t = id_or_prefix.trim();
        let full = if t.starts_with("sha256:") {
            t.to_string()
        } else {
            format!("sha256:{t}")
        };
        if let Some(r) = self.backend.record_by_id(&full)? {
            return Ok(r);
        }
        if full.len() < "sha256:".len() + 4 {
            return Err(StoreError::UnknownRecord(t.to_string()));
        }
        let mut found = self.backend.record_by_prefix(&full)?;
        match found.len() {
            0 => Err(StoreError::UnknownRecord(t.to_string())),
            1 => Ok(found.remove(0)),
            _ => Err(StoreError::Ambiguous(t.to_string())),
        }
    }

    /// Read a record back, checking its bytes against its ID.
    pub fn get(&self, id_or_prefix: &str) -> Result<StoredRecord, StoreError> {
        let row = self.resolve(id_or_prefix)?;
        stored(row)
    }

    /// A record by leaf index.
    pub fn get_leaf(&self, leaf: u64) -> Result<StoredRecord, StoreError> {
        let row = self
            .backend
            .record_by_leaf(leaf)?
            .ok_or_else(|| StoreError::UnknownRecord(format!("at leaf {leaf}")))?;
        stored(row)
    }

    /// Records, filtered.
    pub fn list(
        &self,
        requirement: Option<&str>,
        product: Option<&str>,
    ) -> Result<Vec<RecordSummary>, StoreError> {
        let req = requirement.map(|q| {
            Catalog::builtin()
                .get(q)
                .map(|r| r.id.clone())
                .unwrap_or_else(|| q.to_string())
        });
        self.backend.list(req.as_deref(), product)
    }

    /// All checkpoints, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<CheckpointRow>, StoreError> {
        self.backend.checkpoints()
    }

    /// The newest checkpoint.
    pub fn latest_checkpoint(&self) -> Result<Option<CheckpointRow>, StoreError> {
        Ok(self.backend.checkpoints()?.pop())
    }

    /// The current root.
    pub fn root(&self) -> Result<Hash, StoreError> {
        let size = self.size()?;
        let lookup = |l: u8, i: u64| self.backend.node(l, i);
        otproof_ledger::root(&NodeView(&lookup), size).map_err(ledger_err)
    }

    /// Run `f` on one snapshot of the store: every read inside sees the same committed state,
    /// whatever other processes append meanwhile.
    pub fn snapshot<R>(
        &self,
        f: impl FnOnce(&Store) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.backend.begin_read()?;
        let out = f(self);
        let end = self.backend.end_read();
        let out = out?;
        end?;
        Ok(out)
    }

    /// Opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.backend.read_only()
    }

    /// Sign a checkpoint of the current tree (if there is none for this size yet). The size
    /// and root are read and the checkpoint written in one write transaction, so an append
    /// by another process can never slip between them.
    pub fn checkpoint(&mut self) -> Result<CheckpointRow, StoreError> {
        if let Some(cp) = self.snapshot(|s| {
            let size = s.size()?;
            Ok(s.latest_checkpoint()?.filter(|cp| cp.size == size))
        })? {
            return Ok(cp);
        }
        let signer = self.signer.as_ref().ok_or_else(|| StoreError::Key {
            path: self.dir.join(SKEY_FILE),
            reason: if self.backend.read_only() {
                "not read: this store is open read-only and cannot sign checkpoints".into()
            } else {
                "missing: this store cannot sign checkpoints".into()
            },
        })?;
        let origin = self.origin.clone();
        let mut signed = None;
        self.backend.append_batch(&mut |nodes, size| {
            let root = otproof_ledger::root(nodes, size).map_err(ledger_err)?;
            let cp = sign_checkpoint(signer, &origin, size, root)?;
            signed = Some(cp.clone());
            Ok(BatchRows {
                records: Vec::new(),
                nodes: Vec::new(),
                checkpoint: Some(cp),
            })
        })?;
        signed.ok_or_else(|| StoreError::Corrupt("checkpoint not signed".into()))
    }

    /// An inclusion proof of a record up to the latest checkpoint.
    pub fn prove(&self, id_or_prefix: &str) -> Result<InclusionProof, StoreError> {
        self.snapshot(|s| {
            let cp = s
                .latest_checkpoint()?
                .ok_or_else(|| StoreError::Corrupt("no checkpoint yet".into()))?;
            s.prove_at(id_or_prefix, &cp)
        })
    }

    /// An inclusion proof of a record up to the given checkpoint of this store.
    pub fn prove_at(
        &self,
        id_or_prefix: &str,
        cp: &CheckpointRow,
    ) -> Result<InclusionProof, StoreError> {
        let row = self.resolve(id_or_prefix)?;
        if row.leaf >= cp.size {
            return Err(StoreError::Corrupt(format!(
                "record at leaf {} is newer than the checkpoint (size {}): run `otproof ledger checkpoint`",
                row.leaf, cp.size
            )));
        }
        let lookup = |l: u8, i: u64| self.backend.node(l, i);
        let proof = otproof_ledger::inclusion_proof(&NodeView(&lookup), row.leaf, cp.size)
            .map_err(ledger_err)?;
        let id: RecordId = row
            .id
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("stored id: {e}")))?;
        Ok(InclusionProof {
            id,
            leaf: row.leaf,
            size: cp.size,
            proof,
            checkpoint: cp.clone(),
        })
    }

    /// A consistency proof between two tree sizes.
    pub fn consistency(&self, old: u64, new: u64) -> Result<Vec<Hash>, StoreError> {
        let lookup = |l: u8, i: u64| self.backend.node(l, i);
        otproof_ledger::consistency_proof(&NodeView(&lookup), old, new).map_err(ledger_err)
    }

    /// The root at a past size.
    pub fn root_at(&self, size: u64) -> Result<Hash, StoreError> {
        let lookup = |l: u8, i: u64| self.backend.node(l, i);
        otproof_ledger::root(&NodeView(&lookup), size).map_err(ledger_err)
    }

    /// Recompute everything from the canonical records, trusting what `trust` gives from
    /// outside the store: see [`verify::verify_store`].
    pub fn verify(&self, trust: &Trust) -> Result<StoreReport, StoreError> {
        self.snapshot(|s| verify::verify_store(s, trust))
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }
}

fn stored(row: RecordRow) -> Result<StoredRecord, StoreError> {
    let id: RecordId = row
        .id
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("stored id: {e}")))?;
    if RecordId::of_canonical(&row.json) != id {
        return Err(StoreError::Corrupt(format!(
            "record at leaf {} does not hash to its ID {id}",
            row.leaf
        )));
    }
    let record =
        parse_canonical(&row.json).map_err(|e| StoreError::Corrupt(format!("record {id}: {e}")))?;
    Ok(StoredRecord {
        id,
        leaf: row.leaf,
        record,
        json: row.json,
    })
}

/// Sign a C2SP checkpoint for `size` and `root`.
pub fn sign_checkpoint(
    signer: &Signer,
    origin: &str,
    size: u64,
    root: Hash,
) -> Result<CheckpointRow, StoreError> {
    let cp = Checkpoint {
        origin: origin.to_string(),
        size,
        root,
        extensions: Vec::new(),
    };
    let note = otproof_ledger::note::sign(&cp.to_text(), signer).map_err(ledger_err)?;
    Ok(CheckpointRow { size, root, note })
}

fn getrandom_fill(buf: &mut [u8], near: &Path) -> Result<(), StoreError> {
    getrandom::getrandom(buf).map_err(|e| StoreError::Key {
        path: near.to_path_buf(),
        reason: format!("no randomness for the ledger origin: {e}"),
    })
}
