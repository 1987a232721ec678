//! `verify --store`: recompute the whole store from its canonical records and compare with
//! everything stored beside them, then check the store against what the auditor brings from
//! outside it ([`Trust`]: a pinned key, checkpoints kept from earlier).
//!
//! What is recomputed: each record's digest and canonical form; its lookup by ID; every index
//! column and requirement row (through [`crate::index_row`], the function appends use); every
//! attached blob; every stored tree node (none missing, none extra, none altered); every
//! checkpoint's signature, text and root, and that the newest one covers the whole log. What
//! only outside facts can show: a replaced key pair (everything re-signed) and a rollback (the
//! newest records removed with their nodes and checkpoints). Without them the report says
//! that these were not checked, instead of passing them.

use crate::{index_row, record_leaf, NodeView, Store, StoreError};
use otproof_evidence::{parse_canonical, RecordId};
use otproof_ledger::checkpoint::Checkpoint;
use otproof_ledger::note::Verifier;
use otproof_ledger::{Hash, MemoryNodes, NodeStore};
use std::collections::{BTreeSet, HashMap};

/// Most problems listed per check; the rest are counted.
const MAX_LISTED: usize = 50;

/// One check and its outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// Problems found (empty: passed, unless `unchecked`).
    pub problems: Vec<String>,
    /// Not checked at all for want of outside facts (the notes say which): neither a pass nor
    /// a failure, and shown as such.
    pub unchecked: bool,
    /// Things worth knowing that do not fail the check (leftovers of interrupted writes,
    /// what could not be checked without outside facts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The result of verifying a store or a bundle.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StoreReport {
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl StoreReport {
    /// Everything passed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.problems.is_empty())
    }

    /// All problems.
    pub fn problems(&self) -> Vec<&str> {
        self.checks
            .iter()
            .flat_map(|c| c.problems.iter().map(String::as_str))
            .collect()
    }

    pub(crate) fn add(&mut self, what: impl Into<String>, problems: Vec<String>) {
        self.add_with_notes(what, problems, Vec::new());
    }

    pub(crate) fn add_with_notes(
        &mut self,
        what: impl Into<String>,
        problems: Vec<String>,
        notes: Vec<String>,
    ) {
        self.checks.push(Check {
            what: what.into(),
            problems,
            unchecked: false,
            notes,
        });
    }

    /// Checks that could not be made.
    pub fn unchecked(&self) -> usize {
        self.checks.iter().filter(|c| c.unchecked).count()
    }
}

/// What the auditor trusts from outside the store.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The ledger verifier key the auditor pinned (`--key`): the store's key must be it.
    pub key: Option<Verifier>,
    /// Signed checkpoints kept from earlier (`--checkpoint FILE`: an export's
    /// `checkpoint.note`, `otproof ledger checkpoint` output, a witness's copy), with a name
    /// for messages. The store must extend each of them.
    pub checkpoints: Vec<(String, String)>,
}

/// A list of problems that stops listing after [`MAX_LISTED`] and counts the rest.
#[derive(Default)]
struct Problems {
    listed: Vec<String>,
    more: usize,
}

impl Problems {
    fn push(&mut self, p: String) {
        if self.listed.len() < MAX_LISTED {
            self.listed.push(p);
        } else {
            self.more += 1;
        }
    }

    fn done(mut self) -> Vec<String> {
        if self.more > 0 {
            self.listed
                .push(format!("... and {} more like these", self.more));
        }
        self.listed
    }
}

fn column_diff<T: PartialEq + std::fmt::Debug>(
    out: &mut Problems,
    leaf: u64,
    column: &str,
    stored: &T,
    derived: &T,
) {
    if stored != derived {
        out.push(format!(
            "record at leaf {leaf}: index column '{column}' is {stored:?}, the record says {derived:?}"
        ));
    }
}

/// Recompute every record digest, index column, requirement row, blob digest, tree node and
/// checkpoint, and check the store against `trust`. Call it inside one snapshot
/// ([`Store::verify`] does).
pub fn verify_store(store: &Store, trust: &Trust) -> Result<StoreReport, StoreError> {
    let mut report = StoreReport::default();
    let backend = store.backend();

    // The requirement index, by leaf; whatever no record claims is left over at the end.
    let mut req_rows: HashMap<u64, BTreeSet<String>> = HashMap::new();
    let mut req_row_count = 0usize;
    backend.all_requirements(&mut |leaf, q| {
        req_row_count += 1;
        req_rows.entry(leaf).or_default().insert(q);
        Ok(())
    })?;

    let mut leaves: Vec<Hash> = Vec::new();
    let mut record_problems = Problems::default();
    let mut index_problems = Problems::default();
    let mut blob_problems = Problems::default();
    let mut referenced_blobs: BTreeSet<String> = BTreeSet::new();
    let mut blob_count = 0usize;
    backend.all_records(&mut |row| {
        let leaf = row.record.leaf;
        if leaf != leaves.len() as u64 {
            record_problems.push(format!(
                "leaf {} missing before leaf {leaf}",
                leaves.len()
            ));
        }
        let actual = RecordId::of_canonical(&row.record.json);
        if actual.to_string() != row.record.id {
            record_problems.push(format!(
                "record at leaf {leaf} does not hash to its ID {} (it hashes to {actual})",
                row.record.id
            ));
        }
        // Lookups by ID must find this record at this leaf (an altered lookup key would hide
        // it from `show`, proofs and citations).
        match backend.record_by_id(&row.record.id)? {
            Some(found) if found.leaf == leaf => {}
            Some(found) => index_problems.push(format!(
                "looking up {} finds leaf {}, not leaf {leaf}",
                row.record.id, found.leaf
            )),
            None => index_problems.push(format!(
                "record at leaf {leaf} cannot be found by its ID {} (its lookup key was changed)",
                row.record.id
            )),
        }
        let stored_reqs = req_rows.remove(&leaf).unwrap_or_default();
        match parse_canonical(&row.record.json) {
            Ok(rec) => {
                let derived = index_row(&rec, &actual, Vec::new());
                column_diff(&mut index_problems, leaf, "kind", &row.kind, &derived.kind);
                column_diff(&mut index_problems, leaf, "title", &row.title, &derived.title);
                column_diff(
                    &mut index_problems,
                    leaf,
                    "subject",
                    &row.subject,
                    &derived.subject,
                );
                column_diff(
                    &mut index_problems,
                    leaf,
                    "product",
                    &row.product,
                    &derived.product,
                );
                column_diff(
                    &mut index_problems,
                    leaf,
                    "created",
                    &row.created,
                    &derived.created,
                );
                column_diff(
                    &mut index_problems,
                    leaf,
                    "supersedes",
                    &row.supersedes,
                    &derived.supersedes,
                );
                let want: BTreeSet<String> = derived.requirements.into_iter().collect();
                for extra in stored_reqs.difference(&want) {
                    index_problems.push(format!(
                        "record at leaf {leaf}: the requirement index lists {extra}, which the record does not name"
                    ));
                }
                for missing in want.difference(&stored_reqs) {
                    index_problems.push(format!(
                        "record at leaf {leaf}: names {missing}, which the requirement index does not list"
                    ));
                }
                for a in rec.attachments() {
                    blob_count += 1;
                    referenced_blobs.insert(a.sha256.hex());
                    match store.blobs().get(&a.sha256) {
                        Ok(bytes) if bytes.len() as u64 == a.size => {}
                        Ok(bytes) => blob_problems.push(format!(
                            "blob {} of record {} is {} bytes, the record says {}",
                            a.sha256,
                            row.record.id,
                            bytes.len(),
                            a.size
                        )),
                        Err(e) => blob_problems.push(format!("record {}: {e}", row.record.id)),
                    }
                }
            }
            Err(e) => record_problems.push(format!("record at leaf {leaf}: {e}")),
        }
        // The leaf commits to the ID the log was given; a record altered in place is caught
        // above and by the tree below.
        let id: Result<RecordId, _> = row.record.id.parse();
        leaves.push(match id {
            Ok(id) => record_leaf(&id),
            Err(_) => record_leaf(&actual),
        });
        Ok(())
    })?;
    let size = leaves.len() as u64;
    let mut orphans: Vec<_> = req_rows.into_iter().collect();
    orphans.sort();
    for (leaf, qs) in orphans {
        for q in qs {
            index_problems.push(format!(
                "the requirement index lists {q} for leaf {leaf}, which holds no record"
            ));
        }
    }
    report.add(
        format!("{size} records: canonical JSON, digest, contiguous leaves"),
        record_problems.done(),
    );
    report.add(
        format!(
            "index: lookup keys and columns of {size} records, {req_row_count} requirement rows, recomputed from the records"
        ),
        index_problems.done(),
    );
    let (stray_notes, stray_problems) = stray_files(store, &referenced_blobs);
    for p in stray_problems {
        blob_problems.push(p);
    }
    report.add_with_notes(
        format!("{blob_count} attached blobs: digest and size"),
        blob_problems.done(),
        stray_notes,
    );

    // Tree nodes: every perfect subtree of the log stored, equal to the recomputed one, and
    // nothing else. Stored nodes come ordered by (level, index), as they are expected.
    let mut tree = MemoryNodes::default();
    tree.append(&leaves);
    let mut node_problems = Problems::default();
    let mut node_count = 0usize;
    let mut expected = ExpectedNodes::new(size);
    backend.all_nodes(&mut |level, index, hash| {
        node_count += 1;
        while let Some((l, i)) = expected.peek() {
            if (l, i) < (level, index) {
                node_problems.push(format!(
                    "tree node (level {l}, index {i}) is missing from the store"
                ));
                expected.advance();
            } else {
                break;
            }
        }
        if expected.peek() == Some((level, index)) {
            expected.advance();
            let want = tree.node(level, index).ok().flatten();
            if want.map(|w| w[..] != hash[..]).unwrap_or(true) {
                node_problems.push(format!(
                    "stored tree node (level {level}, index {index}) differs from the recomputed one"
                ));
            }
        } else {
            node_problems.push(format!(
                "stored tree node (level {level}, index {index}) should not exist"
            ));
        }
        Ok(())
    })?;
    while let Some((l, i)) = expected.peek() {
        node_problems.push(format!(
            "tree node (level {l}, index {i}) is missing from the store"
        ));
        expected.advance();
    }
    report.add(
        format!("{node_count} stored tree nodes recomputed from the leaves"),
        node_problems.done(),
    );

    let recomputed_root = |n: u64| -> Result<Hash, StoreError> {
        let lookup = |l: u8, i: u64| -> Result<Option<Hash>, StoreError> {
            tree.node(l, i)
                .map_err(|e| StoreError::Ledger(e.to_string()))
        };
        otproof_ledger::root(&NodeView(&lookup), n).map_err(|e| StoreError::Ledger(e.to_string()))
    };

    // The key: the store's own, or the auditor's.
    let verifier = trust.key.as_ref().unwrap_or(store.verifier());
    let mut key_problems = Vec::new();
    let mut key_notes = Vec::new();
    let key_what = match &trust.key {
        Some(k) => {
            if k.vkey_text() != store.verifier().vkey_text() {
                key_problems.push(format!(
                    "the store's ledger key ({}) is not the key you trust ({}): the store was re-keyed, or this is another ledger",
                    store.verifier().vkey_text(),
                    k.vkey_text()
                ));
            }
            "ledger key: the store's key is the pinned key (--key)".to_string()
        }
        None if !trust.checkpoints.is_empty() => {
            "ledger key: the store's own key, checked against the kept checkpoints below"
                .to_string()
        }
        None => {
            key_notes.push(
                "not checked: without --key (the ledger key you trust) or --checkpoint (a checkpoint kept from earlier), a store whose key pair was replaced and everything re-signed cannot be told apart".into(),
            );
            "ledger key: the store's own key (not pinned)".to_string()
        }
    };
    let unpinned = trust.key.is_none() && trust.checkpoints.is_empty();
    report.add_with_notes(key_what, key_problems, key_notes);
    if let Some(c) = report.checks.last_mut() {
        c.unchecked = unpinned;
    }

    let mut cp_problems = Problems::default();
    let checkpoints = backend.checkpoints()?;
    for cp in &checkpoints {
        match check_note(&cp.note, verifier, store.origin()) {
            Err(e) => cp_problems.push(format!("checkpoint at size {}: {e}", cp.size)),
            Ok(c) => {
                if c.size != cp.size || c.root != cp.root {
                    cp_problems.push(format!(
                        "checkpoint at size {}: signed text does not match the stored size or root",
                        cp.size
                    ));
                }
                if c.size > size {
                    cp_problems.push(format!(
                        "checkpoint at size {} is beyond the log ({size} leaves): records were removed",
                        c.size
                    ));
                } else {
                    match recomputed_root(c.size) {
                        Ok(r) if r == c.root => {}
                        Ok(_) => cp_problems.push(format!(
                            "checkpoint at size {}: root differs from the tree recomputed from the records",
                            c.size
                        )),
                        Err(e) => cp_problems.push(format!("checkpoint at size {}: {e}", c.size)),
                    }
                }
            }
        }
    }
    // Every append commits its batch with a checkpoint of the new size, so the newest one
    // covers the whole log; anything else means checkpoints were deleted or records were
    // inserted around the ledger.
    match checkpoints.last() {
        None if size > 0 => cp_problems.push(format!(
            "no signed checkpoint, but {size} records: checkpoints were deleted or records were inserted without the ledger"
        )),
        Some(last) if last.size < size => cp_problems.push(format!(
            "the newest signed checkpoint covers {} records, the log holds {size}: the last {} are signed by no checkpoint",
            last.size,
            size - last.size
        )),
        _ => {}
    }
    report.add(
        format!(
            "{} signed checkpoints: signature, root, each one a prefix of the log (so consistent with the one before), the newest covering it all",
            checkpoints.len()
        ),
        cp_problems.done(),
    );

    // Checkpoints kept outside: the store must extend each one.
    if !trust.checkpoints.is_empty() {
        let mut kept_problems = Problems::default();
        for (name, note) in &trust.checkpoints {
            match check_note(note, verifier, store.origin()) {
                Err(e) => kept_problems.push(format!(
                    "{name}: {e}{}",
                    if trust.key.is_none() {
                        " (checked with the store's current key: a store re-keyed since this checkpoint fails here)"
                    } else {
                        ""
                    }
                )),
                Ok(c) if c.size > size => kept_problems.push(format!(
                    "{name}: the kept checkpoint covers {} records, the store now holds {size}: the store was rolled back ({} records removed)",
                    c.size,
                    c.size - size
                )),
                Ok(c) => match recomputed_root(c.size) {
                    Ok(r) if r == c.root => {}
                    Ok(_) => kept_problems.push(format!(
                        "{name}: the store's first {} records do not have the kept checkpoint's root: its history was rewritten",
                        c.size
                    )),
                    Err(e) => kept_problems.push(format!("{name}: {e}")),
                },
            }
        }
        report.add(
            format!(
                "{} kept checkpoints (--checkpoint): signed by the ledger key, and the store extends each",
                trust.checkpoints.len()
            ),
            kept_problems.done(),
        );
    }
    Ok(report)
}

/// Open a checkpoint note with `verifier` and parse it; the origin must be the store's.
fn check_note(note: &str, verifier: &Verifier, origin: &str) -> Result<Checkpoint, String> {
    let opened = otproof_ledger::note::open(note, std::slice::from_ref(verifier))
        .map_err(|e| format!("signature: {e}"))?;
    let c = Checkpoint::parse(&opened.text).map_err(|e| e.to_string())?;
    if c.origin != origin {
        return Err(format!(
            "origin '{}' is not the store's '{origin}'",
            otproof_text::quote(&c.origin)
        ));
    }
    Ok(c)
}

/// The (level, index) of every node a log of `size` leaves stores, in (level, index) order.
struct ExpectedNodes {
    size: u64,
    level: u8,
    index: u64,
}

impl ExpectedNodes {
    fn new(size: u64) -> Self {
        ExpectedNodes {
            size,
            level: 0,
            index: 0,
        }
    }

    fn peek(&self) -> Option<(u8, u64)> {
        if self.level >= 64 || (self.size >> self.level) == 0 {
            return None;
        }
        Some((self.level, self.index))
    }

    fn advance(&mut self) {
        self.index += 1;
        if self.level < 64 && self.index >= (self.size >> self.level) {
            self.level += 1;
            self.index = 0;
        }
    }
}

/// Files in the blob folder that no record attaches (an append killed after writing its
/// blobs), temporary files of interrupted writes, and anything else. Leftovers of an
/// interrupted write are notes; a file that does not belong in the folder at all is a problem.
fn stray_files(store: &Store, referenced: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    let dir = store.blobs().dir();
    let Ok(top) = std::fs::read_dir(dir) else {
        return (notes, problems);
    };
    let mut orphans = 0usize;
    let mut temps = 0usize;
    for sub in top.flatten() {
        let sub_name = sub.file_name().to_string_lossy().into_owned();
        let is_shard = sub_name.len() == 2 && sub_name.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_shard || !sub.path().is_dir() {
            problems.push(format!(
                "blobs/{}: not a blob folder (it does not belong in the store)",
                otproof_text::quote(&sub_name)
            ));
            continue;
        }
        let Ok(files) = std::fs::read_dir(sub.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.starts_with(".tmp-") {
                temps += 1;
                if temps <= 10 {
                    notes.push(format!(
                        "blobs/{sub_name}/{}: temporary file of an interrupted write (safe to delete)",
                        otproof_text::quote(&name)
                    ));
                }
            } else if name.len() == 64
                && name.bytes().all(|b| b.is_ascii_hexdigit())
                && name.starts_with(&sub_name)
            {
                if !referenced.contains(&name) {
                    orphans += 1;
                    if orphans <= 10 {
                        notes.push(format!(
                            "blobs/{sub_name}/{name}: attached to no record (left by an append that did not finish, or added and never recorded)"
                        ));
                    }
                }
            } else {
                problems.push(format!(
                    "blobs/{sub_name}/{}: not a blob name (it does not belong in the store)",
                    otproof_text::quote(&name)
                ));
            }
        }
    }
    if orphans > 10 {
        notes.push(format!("{orphans} blobs attached to no record in all"));
    }
    if temps > 10 {
        notes.push(format!("{temps} temporary files in all"));
    }
    (notes, problems)
}
