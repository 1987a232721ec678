//! Use cases on the store and its log: create a store, the log's status, sign a checkpoint,
//! inclusion and consistency proofs (each checked before it is handed out), export a bundle,
//! verify a bundle offline or a whole store, generate a ledger key.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use otproof_evidence::RecordId;
use otproof_ledger::note::{Signer, Verifier};
use otproof_store::bundle::{self, BundleError};
use otproof_store::{Store, StoreError, StoreReport, Trust};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A ledger use case that failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// What the user asked for does not fit the store (a size, an empty selection).
    #[error("{0}")]
    Input(String),
    /// A check failed: a proof that does not verify, a bundle that cannot be read.
    #[error("{0}")]
    Failed(String),
    /// A file could not be read or created.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `create`).
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Create a store (and its folder) with a fresh ledger key.
pub fn init(dir: &Path, origin: Option<&str>) -> Result<Store, LedgerError> {
    std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
        what: "create",
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(Store::init(dir, origin)?)
}

/// The log's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The `.otproof` folder.
    pub store: String,
    /// The checkpoint origin.
    pub origin: String,
    /// Number of records (leaves).
    pub size: u64,
    /// Root hash, base64.
    pub root: String,
    /// Size of the latest signed checkpoint, if any.
    pub checkpoint_size: Option<u64>,
    /// The verifier key text.
    pub vkey: String,
}

/// The log's size, root, latest checkpoint and verifier key.
pub fn status(store: &Store) -> Result<Status, LedgerError> {
    Ok(store.snapshot(|s| {
        Ok(Status {
            store: s.dir().display().to_string(),
            origin: s.origin().to_string(),
            size: s.size()?,
            root: B64.encode(s.root()?),
            checkpoint_size: s.latest_checkpoint()?.map(|c| c.size),
            vkey: s.vkey_text(),
        })
    })?)
}

/// Sign a checkpoint of the current tree (or return the latest when it is current): its note.
pub fn checkpoint(store: &mut Store) -> Result<String, LedgerError> {
    Ok(store.checkpoint()?.note)
}

/// An inclusion proof, checked against its signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inclusion {
    /// The record.
    pub id: String,
    /// Its leaf index.
    pub leaf: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The leaf hash, base64.
    pub leaf_hash: String,
    /// The proof hashes, base64.
    pub proof: Vec<String>,
    /// The signed checkpoint note.
    pub checkpoint: String,
}

/// Sign a checkpoint if needed, then the record's inclusion proof, verified against the
/// store's key and the checkpoint's root before it is returned.
pub fn prove(store: &mut Store, id_or_prefix: &str) -> Result<Inclusion, LedgerError> {
    store.checkpoint()?;
    let p = store.prove(id_or_prefix)?;
    crate::records::prove_in_store(store, &p.id).map_err(|e| {
        LedgerError::Failed(format!(
            "the store produced a proof that does not verify: {e}"
        ))
    })?;
    Ok(Inclusion {
        id: p.id.to_string(),
        leaf: p.leaf,
        size: p.size,
        leaf_hash: B64.encode(otproof_store::record_leaf(&p.id)),
        proof: p.proof.iter().map(|h| B64.encode(h)).collect(),
        checkpoint: p.checkpoint.note,
    })
}

/// A consistency proof between two tree sizes, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consistency {
    /// The older size.
    pub old_size: u64,
    /// The newer size.
    pub new_size: u64,
    /// Root at the older size, base64.
    pub old_root: String,
    /// Root at the newer size, base64.
    pub new_root: String,
    /// The proof hashes, base64.
    pub proof: Vec<String>,
}

/// The consistency proof from `old` to `new` (default: the current size), verified before it
/// is returned.
pub fn consistency(store: &Store, old: u64, new: Option<u64>) -> Result<Consistency, LedgerError> {
    let size = store.size()?;
    let new = new.unwrap_or(size);
    if old > new || new > size {
        return Err(LedgerError::Input(format!(
            "sizes {old} -> {new}: expected OLD_SIZE <= NEW_SIZE <= {size} (the current size)"
        )));
    }
    let proof = store.consistency(old, new)?;
    let old_root = store.root_at(old)?;
    let new_root = store.root_at(new)?;
    otproof_ledger::verify_consistency(old, new, &proof, &old_root, &new_root)
        .map_err(|e| LedgerError::Failed(format!("consistency proof does not verify: {e}")))?;
    Ok(Consistency {
        old_size: old,
        new_size: new,
        old_root: B64.encode(old_root),
        new_root: B64.encode(new_root),
        proof: proof.iter().map(|h| B64.encode(h)).collect(),
    })
}

/// Which records to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every record in the store.
    All,
    /// Records about one product.
    Product(String),
}

/// A bundle of records with their proofs and a signed checkpoint, for offline verification.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The bundle (a deterministic tar).
    pub bytes: Vec<u8>,
    /// How many records it holds.
    pub records: usize,
}

/// The IDs of the selected records, in leaf order; an empty selection is an input error.
fn selected(store: &Store, selection: &Selection) -> Result<Vec<RecordId>, LedgerError> {
    let product = match selection {
        Selection::All => None,
        Selection::Product(p) => Some(p.as_str()),
    };
    let rows = store.list(None, product)?;
    if rows.is_empty() {
        return Err(LedgerError::Input(format!(
            "nothing to export: no records{}",
            product
                .map(|p| format!(" about product '{p}'"))
                .unwrap_or_default()
        )));
    }
    Ok(rows
        .iter()
        .map(|r| {
            r.id.parse()
                .map_err(|e| StoreError::Corrupt(format!("stored record ID {}: {e}", r.id)))
        })
        .collect::<Result<_, _>>()?)
}

/// Export the selected records as a bundle.
pub fn export(store: &mut Store, selection: &Selection) -> Result<Exported, LedgerError> {
    let ids = selected(store, selection)?;
    let bytes = bundle::export(store, &ids).map_err(|e| match e {
        BundleError::Store(s) => LedgerError::Store(s),
        other => LedgerError::Failed(other.to_string()),
    })?;
    Ok(Exported {
        bytes,
        records: ids.len(),
    })
}

/// Recompute a whole store from its records (index, blobs, tree nodes, checkpoints) on one
/// snapshot, and check it against what the auditor trusts from outside it.
pub fn verify_store(store: &Store, trust: &Trust) -> Result<StoreReport, LedgerError> {
    Ok(store.verify(trust)?)
}

/// What an auditor trusts from outside a store: the ledger key (`--key`, text or `.vkey`
/// file) and checkpoints kept from earlier (`--checkpoint FILE`: a signed checkpoint note, as
/// `otproof ledger checkpoint` prints and every bundle holds as `checkpoint.note`).
pub fn trust(key: Option<&str>, checkpoints: &[PathBuf]) -> Result<Trust, LedgerError> {
    let key = key.map(load_verifier).transpose()?;
    let mut kept = Vec::new();
    for path in checkpoints {
        // A checkpoint note is a few hundred bytes; a regular file only (a FIFO never blocks).
        let bytes =
            crate::input::read_limited(path, "checkpoint", 64 * 1024).map_err(|source| {
                LedgerError::Io {
                    what: "read",
                    path: path.clone(),
                    source,
                }
            })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            LedgerError::Input(format!(
                "--checkpoint {}: not UTF-8 text (expected a signed checkpoint note)",
                path.display()
            ))
        })?;
        kept.push((path.display().to_string(), text));
    }
    Ok(Trust {
        key,
        checkpoints: kept,
    })
}

/// Verify a bundle offline, against `key` when given (else the key the bundle names, which
/// the report says). A bundle that cannot be read at all is [`LedgerError::Failed`], naming
/// `name` (the file, for people).
pub fn verify_bundle(
    name: &str,
    bytes: &[u8],
    key: Option<&Verifier>,
) -> Result<StoreReport, LedgerError> {
    bundle::verify(bytes, key).map_err(|e| LedgerError::Failed(format!("{name}: {e}")))
}

/// Verify a bundle file offline as a stream (never held in memory; limits on entries and
/// sizes, see [`bundle::Limits`]). Like [`verify_bundle`]; a file that is not a regular file
/// or cannot be opened is [`LedgerError::Io`].
pub fn verify_bundle_file(path: &Path, key: Option<&Verifier>) -> Result<StoreReport, LedgerError> {
    let (f, _) = crate::input::open(path).map_err(|source| LedgerError::Io {
        what: "read",
        path: path.to_path_buf(),
        source,
    })?;
    bundle::verify_reader(std::io::BufReader::new(f), key, bundle::Limits::default())
        .map_err(|e| LedgerError::Failed(format!("{}: {e}", path.display())))
}

/// Export the selected records as a bundle written to `out` as it is made: blobs are copied
/// from the store in pieces, never held whole ([`bundle::export_to`]). The number of records.
/// On an error `out` holds a partial archive: the caller writes to a temporary file and
/// renames it on success.
pub fn export_to(
    store: &mut Store,
    selection: &Selection,
    out: &mut dyn std::io::Write,
) -> Result<usize, LedgerError> {
    let ids = selected(store, selection)?;
    bundle::export_to(store, &ids, out).map_err(|e| match e {
        BundleError::Store(s) => LedgerError::Store(s),
        other => LedgerError::Failed(other.to_string()),
    })?;
    Ok(ids.len())
}

/// A verifier key from its text or from a `.vkey` file holding it.
pub fn load_verifier(key: &str) -> Result<Verifier, LedgerError> {
    let text = if Path::new(key).is_file() {
        crate::input::read_to_string(Path::new(key), "verifier key").map_err(|source| {
            LedgerError::Io {
                what: "read",
                path: PathBuf::from(key),
                source,
            }
        })?
    } else {
        key.to_string()
    };
    Verifier::from_vkey(text.trim()).map_err(|e| {
        LedgerError::Input(format!(
            "--key {key}: {e} (expected a verifier key NAME+HASH+KEY or a .vkey file)"
        ))
    })
}

/// The files a new ledger key was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerKey {
    /// The private key file (mode 0600).
    pub skey: PathBuf,
    /// The verifier key file.
    pub vkey: PathBuf,
    /// The verifier key text.
    pub vkey_text: String,
}

/// Generate a ledger (signed-note) key named `name` into `PREFIX.skey` and `PREFIX.vkey`
/// (default prefix: the name with `/`, `\` and spaces replaced by `-`).
pub fn generate_key(name: &str, prefix: Option<&Path>) -> Result<LedgerKey, LedgerError> {
    let signer =
        Signer::generate(name).map_err(|e| LedgerError::Input(format!("--name {name}: {e}")))?;
    let prefix = prefix
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name.replace(['/', '\\', ' '], "-")));
    let skey = PathBuf::from(format!("{}.skey", prefix.display()));
    let vkey = PathBuf::from(format!("{}.vkey", prefix.display()));
    otproof_store::write_key_pair(&signer, &skey, &vkey)?;
    Ok(LedgerKey {
        skey,
        vkey,
        vkey_text: signer.vkey_text(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use otproof_evidence::{Body, Evidence, EvidenceKind, Record, Subject};

    fn record(title: &str) -> Record {
        Record::new(
            "test",
            Body::Evidence(Evidence {
                kind: EvidenceKind::Document,
                title: title.into(),
                requirements: vec![],
                subject: Subject::Vendor {
                    vendor: "Acme".into(),
                },
                payload: serde_json::Value::Null,
                attachments: vec![],
                findings: vec![],
            }),
        )
    }

    #[test]
    fn proofs_are_checked_and_bundles_verify() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut store = init(&t.path().join("s"), Some("example.com/test")).expect("init");
        let a = store.append_one(record("a")).expect("append").id;
        store.append_one(record("b")).expect("append");
        let p = prove(&mut store, &a.to_string()).expect("prove");
        assert_eq!((p.leaf, p.size), (0, 2));
        assert!(p.checkpoint.starts_with("example.com/test\n2\n"));
        let c = consistency(&store, 1, None).expect("consistency");
        assert_eq!((c.old_size, c.new_size), (1, 2));
        assert!(matches!(
            consistency(&store, 3, None),
            Err(LedgerError::Input(_))
        ));
        let s = status(&store).expect("status");
        assert_eq!((s.size, s.checkpoint_size), (2, Some(2)));
        let e = export(&mut store, &Selection::All).expect("export");
        assert_eq!(e.records, 2);
        let key = load_verifier(&store.vkey_text()).expect("vkey");
        let report = verify_bundle("b.tar", &e.bytes, Some(&key)).expect("verify");
        assert!(report.ok(), "{report:?}");
        assert!(matches!(
            export(&mut store, &Selection::Product("none".into())),
            Err(LedgerError::Input(_))
        ));
        assert!(matches!(
            verify_bundle("junk.tar", b"junk", Some(&key)),
            Err(LedgerError::Failed(m)) if m.starts_with("junk.tar: ")
        ));
        assert!(verify_store(&store, &Trust::default())
            .expect("verify store")
            .ok());
    }

    #[test]
    fn generated_ledger_keys_load() {
        let t = tempfile::tempdir().expect("tempdir");
        let k = generate_key("example.com/k", Some(&t.path().join("k"))).expect("key");
        assert!(k.skey.is_file() && k.vkey.is_file());
        let from_file = load_verifier(&k.vkey.display().to_string()).expect("from file");
        let from_text = load_verifier(&k.vkey_text).expect("from text");
        assert_eq!(from_file.name(), from_text.name());
        assert!(matches!(
            load_verifier("nonsense"),
            Err(LedgerError::Input(_))
        ));
    }
}
