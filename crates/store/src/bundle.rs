//! Evidence bundles: a tar file an auditor verifies offline, without a store.
//!
//! Layout (uncompressed tar, entries in this order, every header normalised: mode 0644,
//! uid/gid 0, mtime 0):
//! ```text
//! otproof-bundle/manifest.json        format, origin, size, root, per record: id, leaf, proof
//! otproof-bundle/checkpoint.note      the signed C2SP checkpoint the proofs lead to
//! otproof-bundle/ledger.vkey          the ledger's verifier key (pin it with --key)
//! otproof-bundle/records/<hex>.json   each record's canonical JSON
//! otproof-bundle/blobs/<hex>          each attached blob
//! ```
//! The writer is deterministic, and the reader rebuilds the archive from what it parsed and
//! insists on the same bytes, so a change of any single byte (content, header or padding)
//! is detected.

use crate::verify::StoreReport;
use crate::{record_leaf, Store, StoreError};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use otproof_evidence::{parse_canonical, RecordId, Sha256Digest};
use otproof_ledger::checkpoint::Checkpoint;
use otproof_ledger::note::Verifier;
use otproof_ledger::Hash;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// Bundle format tag.
pub const BUNDLE_FORMAT: &str = "otproof-bundle/1";
const ROOT: &str = "otproof-bundle";
/// Largest entry a reader accepts.
const MAX_ENTRY: u64 = 1 << 30;
/// Most entries a reader accepts.
const MAX_ENTRIES: usize = 1_000_000;

/// One record in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ManifestRecord {
    /// `sha256:...`.
    pub id: String,
    /// Leaf index.
    pub leaf: u64,
    /// Inclusion proof hashes, base64.
    pub proof: Vec<String>,
}

/// The manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// Ledger origin.
    pub origin: String,
    /// Checkpoint tree size.
    pub size: u64,
    /// Checkpoint root, base64.
    pub root: String,
    /// Records.
    pub records: Vec<ManifestRecord>,
    /// Blob digests (hex).
    pub blobs: Vec<String>,
}

/// A bundle that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a readable tar of the expected layout.
    #[error("not a readable otproof bundle: {0}")]
    Malformed(String),
    /// Store failure while exporting.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn header(path: &str, size: u64) -> Result<tar::Header, BundleError> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)
        .map_err(|e| BundleError::Malformed(format!("entry name {path}: {e}")))?;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

/// Write entries (name relative to the bundle root, bytes) as a deterministic tar.
pub fn write_tar(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>, BundleError> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in entries {
        let path = format!("{ROOT}/{name}");
        let h = header(&path, bytes.len() as u64)?;
        b.append(&h, bytes.as_slice())
            .map_err(|e| BundleError::Malformed(e.to_string()))?;
    }
    b.into_inner()
        .map_err(|e| BundleError::Malformed(e.to_string()))
}

/// Read a tar into (name relative to the bundle root, bytes), in archive order.
pub fn read_tar(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let mut ar = tar::Archive::new(bytes);
    let mut out = Vec::new();
    let entries = ar
        .entries()
        .map_err(|e| BundleError::Malformed(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| BundleError::Malformed(format!("tar entry: {e}")))?;
        if out.len() >= MAX_ENTRIES {
            return Err(BundleError::Malformed(format!(
                "more than {MAX_ENTRIES} entries"
            )));
        }
        let path = entry
            .path()
            .map_err(|e| BundleError::Malformed(format!("entry name: {e}")))?
            .to_string_lossy()
            .into_owned();
        let name = path
            .strip_prefix(&format!("{ROOT}/"))
            .ok_or_else(|| BundleError::Malformed(format!("entry '{path}' is outside {ROOT}/")))?
            .to_string();
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_ENTRY {
            return Err(BundleError::Malformed(format!(
                "entry '{path}' is larger than 1 GiB"
            )));
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| BundleError::Malformed(format!("entry '{path}': {e}")))?;
        out.push((name, data));
    }
    Ok(out)
}

/// Build a bundle of the given records (all when `ids` is empty is the caller's choice).
pub fn export(store: &mut Store, ids: &[RecordId]) -> Result<Vec<u8>, BundleError> {
    let cp = store.checkpoint()?;
    let mut records = Vec::new();
    let mut blobs = BTreeSet::new();
    let mut entries = Vec::new();
    for id in ids {
        let proof = store.prove_at(&id.to_string(), &cp)?;
        let rec = store.get(&id.to_string())?;
        for a in rec.record.attachments() {
            blobs.insert(a.sha256);
        }
        records.push(ManifestRecord {
            id: id.to_string(),
            leaf: proof.leaf,
            proof: proof.proof.iter().map(|h| B64.encode(h)).collect(),
        });
        entries.push((format!("records/{}.json", id.0.hex()), rec.json));
    }
    let manifest = Manifest {
        format: BUNDLE_FORMAT.into(),
        origin: store.origin().to_string(),
        size: cp.size,
        root: B64.encode(cp.root),
        records,
        blobs: blobs.iter().map(Sha256Digest::hex).collect(),
    };
    let mut all = vec![
        (
            "manifest.json".to_string(),
            serde_json::to_vec_pretty(&manifest)
                .map_err(|e| BundleError::Malformed(e.to_string()))?,
        ),
        ("checkpoint.note".to_string(), cp.note.into_bytes()),
        (
            "ledger.vkey".to_string(),
            (store.vkey_text() + "\n").into_bytes(),
        ),
    ];
    all.extend(entries);
    for d in &blobs {
        all.push((format!("blobs/{}", d.hex()), store.blobs().get(d)?));
    }
    write_tar(&all)
}

fn decode_hash(s: &str) -> Option<Hash> {
    B64.decode(s)
        .ok()
        .and_then(|v| <Hash>::try_from(v.as_slice()).ok())
}

/// How the checkpoint signature was trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// A key the auditor gave (`--key`).
    Pinned,
    /// The key shipped inside the bundle (proves integrity, not who signed).
    Bundled,
}

/// Verify a bundle offline. Returns the checks made; a bundle that cannot be read at all is an
/// error. `key`: the verifier key the auditor trusts; without it the bundled key is used and
/// the report says so.
pub fn verify(bytes: &[u8], key: Option<&Verifier>) -> Result<StoreReport, BundleError> {
    let mut report = StoreReport::default();
    let entries = read_tar(bytes)?;
    let rebuilt = write_tar(&entries)?;
    report.add(
        "archive layout: normalised headers, no extra bytes",
        if rebuilt == bytes {
            vec![]
        } else {
            vec!["the archive's headers, padding or trailing bytes were changed (it is not the byte-exact archive otproof writes)".into()]
        },
    );
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (name, data) in entries {
        if files.insert(name.clone(), data).is_some() {
            return Err(BundleError::Malformed(format!(
                "entry '{name}' appears twice"
            )));
        }
    }
    let take = |files: &mut BTreeMap<String, Vec<u8>>, name: &str| {
        files
            .remove(name)
            .ok_or_else(|| BundleError::Malformed(format!("missing {ROOT}/{name}")))
    };
    let manifest_bytes = take(&mut files, "manifest.json")?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| BundleError::Malformed(format!("manifest.json: {e}")))?;
    if manifest.format != BUNDLE_FORMAT {
        return Err(BundleError::Malformed(format!(
            "manifest.json: format '{}', expected '{BUNDLE_FORMAT}'",
            manifest.format
        )));
    }
    let note = String::from_utf8(take(&mut files, "checkpoint.note")?)
        .map_err(|_| BundleError::Malformed("checkpoint.note is not UTF-8".into()))?;
    let vkey_text = String::from_utf8(take(&mut files, "ledger.vkey")?)
        .map_err(|_| BundleError::Malformed("ledger.vkey is not UTF-8".into()))?;

    // 1. The checkpoint signature, and what it says.
    let bundled = Verifier::from_vkey(vkey_text.trim());
    let mut sig_problems = Vec::new();
    let (verifier, source) = match (key, &bundled) {
        (Some(k), Ok(b)) => {
            if k.vkey_text() != b.vkey_text() {
                sig_problems.push(format!(
                    "the bundle's ledger.vkey ({}) is not the pinned key ({})",
                    b.vkey_text(),
                    k.vkey_text()
                ));
            }
            (Some(k.clone()), KeySource::Pinned)
        }
        (Some(k), Err(e)) => {
            sig_problems.push(format!("ledger.vkey is not a verifier key: {e}"));
            (Some(k.clone()), KeySource::Pinned)
        }
        (None, Ok(b)) => (Some(b.clone()), KeySource::Bundled),
        (None, Err(e)) => {
            sig_problems.push(format!("ledger.vkey is not a verifier key: {e}"));
            (None, KeySource::Bundled)
        }
    };
    let mut checkpoint: Option<Checkpoint> = None;
    if let Some(v) = &verifier {
        match otproof_ledger::note::open(&note, std::slice::from_ref(v)) {
            Err(e) => sig_problems.push(format!("checkpoint.note: {e}")),
            Ok(opened) => match Checkpoint::parse(&opened.text) {
                Err(e) => sig_problems.push(format!("checkpoint.note: {e}")),
                Ok(c) => checkpoint = Some(c),
            },
        }
    }
    let what = match source {
        KeySource::Pinned => "checkpoint signature with the pinned key".to_string(),
        KeySource::Bundled => "checkpoint signature with the key shipped in the bundle (pass --key to pin the ledger's key)".to_string(),
    };
    report.add(what, sig_problems);

    let mut cp_problems = Vec::new();
    let root = decode_hash(&manifest.root);
    if let Some(c) = &checkpoint {
        if c.origin != manifest.origin {
            cp_problems.push(format!(
                "manifest origin '{}' differs from the checkpoint's '{}'",
                manifest.origin, c.origin
            ));
        }
        if c.size != manifest.size || Some(c.root) != root {
            cp_problems.push("manifest size or root differs from the signed checkpoint".into());
        }
    } else {
        cp_problems.push("no verified checkpoint: proofs cannot be anchored".into());
    }
    report.add(
        format!(
            "checkpoint: origin {}, size {}",
            manifest.origin, manifest.size
        ),
        cp_problems,
    );
    let anchor = checkpoint.as_ref().map(|c| (c.size, c.root));

    // 2. Every record: canonical bytes, digest, inclusion proof.
    let mut rec_problems = Vec::new();
    let mut proof_problems = Vec::new();
    let mut needed_blobs = BTreeSet::new();
    for mr in &manifest.records {
        let id: RecordId = match mr.id.parse() {
            Ok(id) => id,
            Err(e) => {
                rec_problems.push(format!("manifest: {e}"));
                continue;
            }
        };
        let name = format!("records/{}.json", id.0.hex());
        let Some(bytes) = files.remove(&name) else {
            rec_problems.push(format!("record {id}: {name} is missing"));
            continue;
        };
        if RecordId::of_canonical(&bytes) != id {
            rec_problems.push(format!(
                "record {id}: its bytes do not hash to its ID (altered)"
            ));
        }
        match parse_canonical(&bytes) {
            Ok(r) => {
                for a in r.attachments() {
                    needed_blobs.insert((a.sha256, a.size, id));
                }
            }
            Err(e) => rec_problems.push(format!("record {id}: {e}")),
        }
        let proof: Option<Vec<Hash>> = mr.proof.iter().map(|p| decode_hash(p)).collect();
        match (proof, anchor) {
            (None, _) => {
                proof_problems.push(format!("record {id}: proof is not base64 SHA-256 hashes"))
            }
            (Some(_), None) => proof_problems.push(format!(
                "record {id}: no verified checkpoint to prove against"
            )),
            (Some(p), Some((size, root))) => {
                if let Err(e) =
                    otproof_ledger::verify_inclusion(&record_leaf(&id), mr.leaf, size, &p, &root)
                {
                    proof_problems.push(format!("record {id} at leaf {}: {e}", mr.leaf));
                }
            }
        }
    }
    report.add(
        format!(
            "{} records: canonical JSON and digest",
            manifest.records.len()
        ),
        rec_problems,
    );
    report.add(
        format!(
            "{} inclusion proofs against the checkpoint",
            manifest.records.len()
        ),
        proof_problems,
    );

    // 3. Blobs.
    let mut blob_problems = Vec::new();
    let listed: BTreeSet<String> = manifest.blobs.iter().cloned().collect();
    for (d, _, rid) in &needed_blobs {
        if !listed.contains(&d.hex()) {
            blob_problems.push(format!(
                "blob {d} of record {rid} is not listed in the manifest"
            ));
        }
    }
    for hex in &manifest.blobs {
        let name = format!("blobs/{hex}");
        match files.remove(&name) {
            None => blob_problems.push(format!("{name} is missing")),
            Some(bytes) => {
                let actual = Sha256Digest::of(&bytes);
                if actual.hex() != *hex {
                    blob_problems.push(format!("blob {hex}: its bytes hash to {actual} (altered)"));
                }
                if let Some((_, size, rid)) = needed_blobs.iter().find(|(d, _, _)| d.hex() == *hex)
                {
                    if *size != bytes.len() as u64 {
                        blob_problems.push(format!(
                            "blob {hex}: {} bytes, record {rid} says {size}",
                            bytes.len()
                        ));
                    }
                }
            }
        }
    }
    report.add(
        format!("{} blobs: digest and size", manifest.blobs.len()),
        blob_problems,
    );
    report.add(
        "no unlisted files",
        files
            .keys()
            .map(|k| format!("unexpected file {ROOT}/{k}"))
            .collect(),
    );
    Ok(report)
}
