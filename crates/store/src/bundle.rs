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
//! The writer is deterministic ([`export_to`] streams it, blobs copied in pieces). The reader
//! ([`verify_reader`]) streams too and accepts only the bytes otproof writes: every 512-byte
//! header must equal the normalised header for its name and size (so only regular files: a
//! sparse entry, a link or an extension header is refused before anything is expanded),
//! padding must be zeros, the end exactly two zero blocks with nothing after; a change of any
//! single byte (content, header or padding) is detected. It holds the small JSON entries one at
//! a time and hashes blobs as they pass, within [`Limits`] (entry count, per-kind and total
//! sizes); names in its errors are quoted with `otproof_text::quote`.

use crate::verify::StoreReport;
use crate::{record_leaf, Store, StoreError};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use otproof_evidence::{parse_canonical, RecordId, Sha256Digest};
use otproof_ledger::checkpoint::Checkpoint;
use otproof_ledger::note::Verifier;
use otproof_ledger::Hash;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// Bundle format tag.
pub const BUNDLE_FORMAT: &str = "otproof-bundle/1";
const ROOT: &str = "otproof-bundle";
const BLOCK: usize = 512;

/// What a bundle reader accepts. The reader streams: JSON entries (manifest, note, key,
/// records) are held in memory one at a time up to their limit, blobs are hashed as they are
/// read and never held. [`Limits::default`] is what `otproof verify` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries in the archive.
    pub entries: u64,
    /// Largest `manifest.json`.
    pub manifest: u64,
    /// Largest `checkpoint.note` or `ledger.vkey`.
    pub small: u64,
    /// Largest record (`records/<hex>.json`).
    pub record: u64,
    /// Largest blob.
    pub blob: u64,
    /// Most bytes of entry content in all.
    pub total: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            entries: 1_000_000,
            manifest: 256 << 20,
            small: 64 << 10,
            record: 64 << 20,
            blob: 1 << 30,
            total: 16 << 30,
        }
    }
}

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

/// Build a bundle of the given records (all when `ids` is empty is the caller's choice).
pub fn export(store: &mut Store, ids: &[RecordId]) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::new();
    export_to(store, ids, &mut out)?;
    Ok(out)
}

/// [`export`] written to `out` as it is made: blobs are copied from the store in pieces
/// (checked against their digest and size as they pass), never held whole. The bytes are the
/// same as [`export`]'s. On an error `out` holds a partial archive: write to a temporary file
/// and rename it when this returns `Ok`.
pub fn export_to(
    store: &mut Store,
    ids: &[RecordId],
    out: &mut dyn std::io::Write,
) -> Result<(), BundleError> {
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
    refuse_unreadable(store, &all, &blobs)?;
    let werr = |e: std::io::Error| BundleError::Malformed(format!("cannot write the bundle: {e}"));
    for (name, bytes) in &all {
        let h = header(&format!("{ROOT}/{name}"), bytes.len() as u64)?;
        out.write_all(h.as_bytes()).map_err(werr)?;
        out.write_all(bytes).map_err(werr)?;
        out.write_all(&[0u8; BLOCK][..padding(bytes.len() as u64)])
            .map_err(werr)?;
    }
    drop(all);
    for d in &blobs {
        copy_blob(store, d, out)?;
    }
    out.write_all(&[0u8; 2 * BLOCK]).map_err(werr)?;
    Ok(())
}

/// A bundle otproof writes is one it can read: refuse, before writing anything, an export
/// that exceeds the reader's [`Limits`] (a huge record or blob, too many entries).
fn refuse_unreadable(
    store: &Store,
    all: &[(String, Vec<u8>)],
    blobs: &BTreeSet<Sha256Digest>,
) -> Result<(), BundleError> {
    let limits = Limits::default();
    let too_big = |what: String, size: u64, limit: u64| {
        BundleError::Malformed(format!(
            "{what} is {size} bytes, more than the {limit} bytes a bundle reader accepts: export fewer records or leave it out"
        ))
    };
    if (all.len() + blobs.len()) as u64 > limits.entries {
        return Err(BundleError::Malformed(format!(
            "{} entries, more than the {} a bundle reader accepts: export fewer records (e.g. --product)",
            all.len() + blobs.len(),
            limits.entries
        )));
    }
    let mut total = 0u64;
    for (name, bytes) in all {
        let limit = match name.as_str() {
            "manifest.json" => limits.manifest,
            "checkpoint.note" | "ledger.vkey" => limits.small,
            _ => limits.record,
        };
        let size = bytes.len() as u64;
        if size > limit {
            return Err(too_big(format!("{ROOT}/{name}"), size, limit));
        }
        total += size;
    }
    for d in blobs {
        let path = store.blobs().path(d);
        let size = std::fs::metadata(&path)
            .map_err(|e| {
                BundleError::Store(StoreError::Corrupt(format!(
                    "blob {}: cannot read ({e})",
                    path.display()
                )))
            })?
            .len();
        if size > limits.blob {
            return Err(too_big(format!("blob {}", d.hex()), size, limits.blob));
        }
        total += size;
    }
    if total > limits.total {
        return Err(too_big("the bundle's content".into(), total, limits.total));
    }
    Ok(())
}

/// Zero bytes after `size` bytes of content, to the next 512-byte block.
fn padding(size: u64) -> usize {
    (BLOCK - (size % BLOCK as u64) as usize) % BLOCK
}

/// One blob as a tar entry, streamed from the store and checked against its digest.
fn copy_blob(
    store: &Store,
    d: &Sha256Digest,
    out: &mut dyn std::io::Write,
) -> Result<(), BundleError> {
    let path = store.blobs().path(d);
    let corrupt = |why: String| {
        BundleError::Store(StoreError::Corrupt(format!(
            "blob {}: {why}",
            path.display()
        )))
    };
    let mut f = std::fs::File::open(&path).map_err(|e| corrupt(format!("cannot read ({e})")))?;
    let size = f
        .metadata()
        .map_err(|e| corrupt(format!("cannot read ({e})")))?
        .len();
    let h = header(&format!("{ROOT}/blobs/{}", d.hex()), size)?;
    let werr = |e: std::io::Error| BundleError::Malformed(format!("cannot write the bundle: {e}"));
    out.write_all(h.as_bytes()).map_err(werr)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut left = size;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = f
            .read(&mut buf[..want])
            .map_err(|e| corrupt(format!("cannot read ({e})")))?;
        if n == 0 {
            return Err(corrupt("shorter than when it was opened".into()));
        }
        sha.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(werr)?;
        left -= n as u64;
    }
    if Sha256Digest(sha.finalize().into()) != *d {
        return Err(corrupt("does not match its digest".into()));
    }
    out.write_all(&[0u8; BLOCK][..padding(size)])
        .map_err(werr)?;
    Ok(())
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

fn quoted(name: &str) -> String {
    format!("'{}'", otproof_text::quote(name))
}

fn malformed(what: String) -> BundleError {
    BundleError::Malformed(what)
}

/// A tar reader that accepts exactly the archives [`write_tar`] produces: every header is
/// the normalised header for its name and size (so only regular files: no sparse entries,
/// links or extension headers), padding is zeros, the end is two zero blocks with nothing
/// after. Nothing is buffered beyond one block and the entry being read.
struct TarStream<R> {
    r: R,
    limits: Limits,
    entries: u64,
    total: u64,
}

/// One entry's header, checked.
struct EntryHead {
    /// The name relative to [`ROOT`].
    name: String,
    size: u64,
}

impl<R: Read> TarStream<R> {
    /// Fill `buf` completely; the number of bytes read (less than `buf.len()` at the end).
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, BundleError> {
        let mut n = 0;
        while n < buf.len() {
            match self.r.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(malformed(format!("cannot read the archive: {e}"))),
            }
        }
        Ok(n)
    }

    /// The next entry's header, or `None` after the end-of-archive blocks.
    fn next(&mut self) -> Result<Option<EntryHead>, BundleError> {
        let mut block = [0u8; BLOCK];
        let n = self.fill(&mut block)?;
        if n == 0 {
            return Err(malformed(
                "the archive ends without its two end-of-archive blocks (truncated)".into(),
            ));
        }
        if n < BLOCK {
            return Err(malformed(
                "the archive ends inside a header (truncated)".into(),
            ));
        }
        if block.iter().all(|b| *b == 0) {
            let mut second = [0u8; BLOCK];
            if self.fill(&mut second)? < BLOCK || second.iter().any(|b| *b != 0) {
                return Err(malformed(
                    "the end of the archive is not the two zero blocks otproof writes".into(),
                ));
            }
            let mut more = [0u8; 1];
            if self.fill(&mut more)? != 0 {
                return Err(malformed(
                    "bytes after the end of the archive (it is not the archive otproof writes)"
                        .into(),
                ));
            }
            return Ok(None);
        }
        self.entries += 1;
        let index = self.entries;
        if index > self.limits.entries {
            return Err(malformed(format!(
                "more than {} entries (the limit)",
                self.limits.entries
            )));
        }
        let h = tar::Header::from_byte_slice(&block);
        let raw_name = h.path_bytes();
        let shown = String::from_utf8_lossy(&raw_name).into_owned();
        let kind = block[156];
        if kind != b'0' {
            let what = match kind {
                b'S' => "a sparse file",
                b'1' => "a hard link",
                b'2' => "a symbolic link",
                b'x' | b'g' => "a pax extension header",
                b'L' | b'K' => "a GNU long-name extension header",
                b'5' => "a directory",
                _ => "not a regular file",
            };
            return Err(malformed(format!(
                "entry {index} {} is {what}: a bundle holds only regular files",
                quoted(&shown)
            )));
        }
        let path = std::str::from_utf8(&raw_name)
            .map_err(|_| {
                malformed(format!(
                    "entry {index} {}: name is not UTF-8",
                    quoted(&shown)
                ))
            })?
            .to_string();
        let size = h
            .size()
            .map_err(|_| malformed(format!("entry {index} {}: unreadable size", quoted(&path))))?;
        let normal = header(&path, size).map_err(|_| {
            malformed(format!(
                "entry {index} {}: not a name otproof writes",
                quoted(&path)
            ))
        })?;
        if normal.as_bytes()[..] != block[..] {
            return Err(malformed(format!(
                "entry {index} {}: its header is not the normalised header otproof writes (mode, owner, time, type, checksum or unused bytes changed)",
                quoted(&path)
            )));
        }
        let name = path
            .strip_prefix(&format!("{ROOT}/"))
            .ok_or_else(|| malformed(format!("entry {} is outside {ROOT}/", quoted(&path))))?
            .to_string();
        self.total = self.total.saturating_add(size);
        if self.total > self.limits.total {
            return Err(malformed(format!(
                "entry {}: the entries hold more than {} bytes in all (the limit)",
                quoted(&path),
                self.limits.total
            )));
        }
        Ok(Some(EntryHead { name, size }))
    }

    /// Read an entry's content (then its padding), giving each chunk to `sink`.
    fn body(&mut self, e: &EntryHead, mut sink: impl FnMut(&[u8])) -> Result<(), BundleError> {
        let mut buf = vec![0u8; 1 << 16];
        let mut left = e.size;
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let got = self.fill(&mut buf[..want])?;
            if got < want {
                return Err(malformed(format!(
                    "{}: the archive ends inside this entry (truncated)",
                    quoted(&format!("{ROOT}/{}", e.name))
                )));
            }
            sink(&buf[..got]);
            left -= got as u64;
        }
        let pad = (BLOCK - (e.size % BLOCK as u64) as usize) % BLOCK;
        let got = self.fill(&mut buf[..pad])?;
        if got < pad || buf[..pad].iter().any(|b| *b != 0) {
            return Err(malformed(format!(
                "{}: the padding after this entry is not zeros",
                quoted(&format!("{ROOT}/{}", e.name))
            )));
        }
        Ok(())
    }

    /// An entry held in memory, at most `limit` bytes (`what` names it in the error).
    fn small(&mut self, e: &EntryHead, limit: u64, what: &str) -> Result<Vec<u8>, BundleError> {
        if e.size > limit {
            return Err(malformed(format!(
                "{} is {} bytes: more than the {limit} bytes allowed for {what}",
                quoted(&format!("{ROOT}/{}", e.name)),
                e.size
            )));
        }
        let mut out = Vec::with_capacity(usize::try_from(e.size).unwrap_or(0));
        self.body(e, |c| out.extend_from_slice(c))?;
        Ok(out)
    }

    /// An entry hashed as it is read, at most `limit` bytes: its digest.
    fn hashed(&mut self, e: &EntryHead, limit: u64) -> Result<Sha256Digest, BundleError> {
        if e.size > limit {
            return Err(malformed(format!(
                "{} is {} bytes: more than the {limit} bytes allowed for a blob",
                quoted(&format!("{ROOT}/{}", e.name)),
                e.size
            )));
        }
        let mut h = Sha256::new();
        self.body(e, |c| h.update(c))?;
        Ok(Sha256Digest(h.finalize().into()))
    }
}

/// What one record entry showed when it was read.
struct RecordSeen {
    /// Its bytes hash to the ID its name gives.
    id_ok: bool,
    /// Its attachments (digest, size), or why it is not a canonical record.
    parsed: Result<Vec<(Sha256Digest, u64)>, String>,
}

/// Everything the streaming pass keeps: the small entries, and a summary per record and blob.
#[derive(Default)]
struct Seen {
    manifest: Option<Vec<u8>>,
    note: Option<Vec<u8>>,
    vkey: Option<Vec<u8>>,
    records: BTreeMap<String, RecordSeen>,
    blobs: BTreeMap<String, (Sha256Digest, u64)>,
    unexpected: BTreeSet<String>,
}

impl Seen {
    /// Has an entry of this name been read already?
    fn has(&self, name: &str) -> bool {
        match name {
            "manifest.json" => self.manifest.is_some(),
            "checkpoint.note" => self.note.is_some(),
            "ledger.vkey" => self.vkey.is_some(),
            n => {
                self.records.contains_key(n)
                    || self.blobs.contains_key(n)
                    || self.unexpected.contains(n)
            }
        }
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn read_entries(r: impl Read, limits: Limits) -> Result<Seen, BundleError> {
    let mut t = TarStream {
        r,
        limits,
        entries: 0,
        total: 0,
    };
    let mut seen = Seen::default();
    while let Some(e) = t.next()? {
        if seen.has(&e.name) {
            return Err(malformed(format!(
                "entry {} appears twice",
                quoted(&format!("{ROOT}/{}", e.name))
            )));
        }
        match e.name.as_str() {
            "manifest.json" => {
                seen.manifest = Some(t.small(&e, limits.manifest, "the manifest")?)
            }
            "checkpoint.note" => seen.note = Some(t.small(&e, limits.small, "the checkpoint")?),
            "ledger.vkey" => seen.vkey = Some(t.small(&e, limits.small, "the key")?),
            n => {
                let record = n
                    .strip_prefix("records/")
                    .and_then(|r| r.strip_suffix(".json"))
                    .filter(|h| is_hex64(h))
                    .and_then(|h| format!("sha256:{h}").parse::<RecordId>().ok());
                let blob = n.strip_prefix("blobs/").filter(|h| is_hex64(h));
                if let Some(id) = record {
                    let bytes = t.small(&e, limits.record, "a record")?;
                    let parsed = parse_canonical(&bytes)
                        .map(|r| r.attachments().iter().map(|a| (a.sha256, a.size)).collect())
                        .map_err(|e| e.to_string());
                    seen.records.insert(
                        e.name.clone(),
                        RecordSeen {
                            id_ok: RecordId::of_canonical(&bytes) == id,
                            parsed,
                        },
                    );
                } else if blob.is_some() {
                    let d = t.hashed(&e, limits.blob)?;
                    seen.blobs.insert(e.name.clone(), (d, e.size));
                } else {
                    t.body(&e, |_| {})?;
                    seen.unexpected.insert(e.name.clone());
                }
            }
        }
    }
    Ok(seen)
}

/// Verify a bundle offline. Returns the checks made; a bundle that cannot be read at all is an
/// error. `key`: the verifier key the auditor trusts; without it the bundled key is used and
/// the report says so.
pub fn verify(bytes: &[u8], key: Option<&Verifier>) -> Result<StoreReport, BundleError> {
    verify_reader(bytes, key, Limits::default())
}

/// [`verify`] reading the archive from `r` as a stream (a file need not fit in memory), with
/// the given limits. Any byte that differs from the archive otproof writes is an error: a
/// header that is not the normalised header for its name and size, non-zero padding, an end
/// that is not exactly two zero blocks.
pub fn verify_reader(
    r: impl Read,
    key: Option<&Verifier>,
    limits: Limits,
) -> Result<StoreReport, BundleError> {
    let mut report = StoreReport::default();
    let mut seen = read_entries(r, limits)?;
    report.add(
        "archive layout: normalised headers, regular files only, no extra bytes",
        vec![],
    );
    let missing = |name: &str| malformed(format!("missing {ROOT}/{name}"));
    let manifest_bytes = seen
        .manifest
        .take()
        .ok_or_else(|| missing("manifest.json"))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| BundleError::Malformed(format!("manifest.json: {e}")))?;
    // Only the bytes the writer produces: the same meaning written differently (other
    // whitespace, key order, escapes) is a changed file.
    let rewritten = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| BundleError::Malformed(format!("manifest.json: {e}")))?;
    if rewritten != manifest_bytes {
        let at = rewritten
            .iter()
            .zip(&manifest_bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(rewritten.len().min(manifest_bytes.len()));
        return Err(BundleError::Malformed(format!(
            "manifest.json: not in the form otproof writes (first difference at byte {at}); \
             the file was changed"
        )));
    }
    drop(manifest_bytes);
    drop(rewritten);
    if manifest.format != BUNDLE_FORMAT {
        return Err(BundleError::Malformed(format!(
            "manifest.json: format {}, expected '{BUNDLE_FORMAT}'",
            quoted(&manifest.format)
        )));
    }
    let note = String::from_utf8(seen.note.take().ok_or_else(|| missing("checkpoint.note"))?)
        .map_err(|_| BundleError::Malformed("checkpoint.note is not UTF-8".into()))?;
    let vkey_text = String::from_utf8(seen.vkey.take().ok_or_else(|| missing("ledger.vkey"))?)
        .map_err(|_| BundleError::Malformed("ledger.vkey is not UTF-8".into()))?;

    // 1. The checkpoint signature, and what it says.
    let bundled = Verifier::from_vkey(vkey_text.trim()).and_then(|b| {
        // The writer's form exactly: the key text and one newline.
        if vkey_text == format!("{}\n", b.vkey_text()) {
            Ok(b)
        } else {
            Err(otproof_ledger::note::NoteError::Key(
                "not in the form otproof writes (the key text and one newline)".into(),
            ))
        }
    });
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
        let Some(rec) = seen.records.remove(&name) else {
            rec_problems.push(format!("record {id}: {name} is missing"));
            continue;
        };
        if !rec.id_ok {
            rec_problems.push(format!(
                "record {id}: its bytes do not hash to its ID (altered)"
            ));
        }
        match rec.parsed {
            Ok(attachments) => {
                for (d, size) in attachments {
                    needed_blobs.insert((d, size, id));
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
    let listed: BTreeSet<&str> = manifest.blobs.iter().map(String::as_str).collect();
    let mut sizes: BTreeMap<String, (u64, RecordId)> = BTreeMap::new();
    for (d, size, rid) in &needed_blobs {
        let hex = d.hex();
        if !listed.contains(hex.as_str()) {
            blob_problems.push(format!(
                "blob {d} of record {rid} is not listed in the manifest"
            ));
        }
        sizes.entry(hex).or_insert((*size, *rid));
    }
    for hex in &manifest.blobs {
        let name = format!("blobs/{hex}");
        match seen.blobs.remove(&name) {
            None => blob_problems.push(format!("{} is missing", quoted(&name))),
            Some((actual, len)) => {
                if actual.hex() != *hex {
                    blob_problems.push(format!("blob {hex}: its bytes hash to {actual} (altered)"));
                }
                if let Some((size, rid)) = sizes.get(hex) {
                    if *size != len {
                        blob_problems
                            .push(format!("blob {hex}: {len} bytes, record {rid} says {size}"));
                    }
                }
            }
        }
    }
    report.add(
        format!("{} blobs: digest and size", manifest.blobs.len()),
        blob_problems,
    );
    let mut unexpected = seen.unexpected;
    unexpected.extend(seen.records.into_keys());
    unexpected.extend(seen.blobs.into_keys());
    report.add(
        "no unlisted files",
        unexpected
            .iter()
            .map(|k| format!("unexpected file {}", quoted(&format!("{ROOT}/{k}"))))
            .collect(),
    );
    Ok(report)
}
