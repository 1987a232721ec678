//! `verify --store`: recompute the whole store from its records and compare with what is stored.

use crate::{record_leaf, NodeView, Store, StoreError};
use otproof_evidence::{parse_canonical, RecordId};
use otproof_ledger::checkpoint::Checkpoint;
use otproof_ledger::{Hash, MemoryNodes};

/// One check and its outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// Problems found (empty: passed).
    pub problems: Vec<String>,
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
        self.checks.push(Check {
            what: what.into(),
            problems,
        });
    }
}

/// Recompute every record digest, every blob digest, every tree node and every checkpoint.
pub fn verify_store(store: &Store) -> Result<StoreReport, StoreError> {
    let mut report = StoreReport::default();
    let backend = store.backend();
    let mut leaves: Vec<Hash> = Vec::new();
    let mut record_problems = Vec::new();
    let mut blob_problems = Vec::new();
    let mut blob_count = 0usize;
    backend.all_records(&mut |row| {
        if row.leaf != leaves.len() as u64 {
            record_problems.push(format!(
                "leaf {} missing before leaf {}",
                leaves.len(),
                row.leaf
            ));
        }
        let actual = RecordId::of_canonical(&row.json);
        if actual.to_string() != row.id {
            record_problems.push(format!(
                "record at leaf {} does not hash to its ID {} (it hashes to {actual})",
                row.leaf, row.id
            ));
        }
        match parse_canonical(&row.json) {
            Ok(rec) => {
                for a in rec.attachments() {
                    blob_count += 1;
                    match store.blobs().get(&a.sha256) {
                        Ok(bytes) if bytes.len() as u64 == a.size => {}
                        Ok(bytes) => blob_problems.push(format!(
                            "blob {} of record {} is {} bytes, the record says {}",
                            a.sha256,
                            row.id,
                            bytes.len(),
                            a.size
                        )),
                        Err(e) => blob_problems.push(format!("record {}: {e}", row.id)),
                    }
                }
            }
            Err(e) => record_problems.push(format!("record at leaf {}: {e}", row.leaf)),
        }
        // The leaf commits to the ID the log was given; a record altered in place is caught
        // above and by the tree below.
        let id: Result<RecordId, _> = row.id.parse();
        leaves.push(match id {
            Ok(id) => record_leaf(&id),
            Err(_) => record_leaf(&actual),
        });
        Ok(())
    })?;
    report.add(
        format!("{} records: canonical JSON and digest", leaves.len()),
        record_problems,
    );
    report.add(
        format!("{blob_count} attached blobs: digest and size"),
        blob_problems,
    );

    let mut tree = MemoryNodes::default();
    tree.append(&leaves);
    let mut node_problems = Vec::new();
    let mut node_count = 0usize;
    backend.all_nodes(&mut |level, index, hash| {
        node_count += 1;
        use otproof_ledger::NodeStore;
        let want = tree.node(level, index).ok().flatten();
        match want {
            Some(w) if w[..] == hash[..] => {}
            Some(_) => node_problems.push(format!(
                "stored tree node (level {level}, index {index}) differs from the recomputed one"
            )),
            None => node_problems.push(format!(
                "stored tree node (level {level}, index {index}) should not exist"
            )),
        }
        Ok(())
    })?;
    report.add(
        format!("{node_count} stored tree nodes recomputed from the leaves"),
        node_problems,
    );

    let mut cp_problems = Vec::new();
    let checkpoints = backend.checkpoints()?;
    for cp in &checkpoints {
        match otproof_ledger::note::open(&cp.note, std::slice::from_ref(store.verifier())) {
            Err(e) => cp_problems.push(format!("checkpoint at size {}: signature: {e}", cp.size)),
            Ok(opened) => match Checkpoint::parse(&opened.text) {
                Err(e) => cp_problems.push(format!("checkpoint at size {}: {e}", cp.size)),
                Ok(c) => {
                    if c.size != cp.size || c.root != cp.root || c.origin != store.origin() {
                        cp_problems.push(format!(
                            "checkpoint at size {}: signed text does not match the stored size, root or origin",
                            cp.size
                        ));
                    }
                    if c.size > leaves.len() as u64 {
                        cp_problems.push(format!(
                            "checkpoint at size {} is beyond the log ({} leaves)",
                            c.size,
                            leaves.len()
                        ));
                    } else {
                        let lookup = |l: u8, i: u64| -> Result<Option<Hash>, StoreError> {
                            use otproof_ledger::NodeStore;
                            tree.node(l, i)
                                .map_err(|e| StoreError::Ledger(e.to_string()))
                        };
                        match otproof_ledger::root(&NodeView(&lookup), c.size) {
                            Ok(r) if r == c.root => {}
                            Ok(_) => cp_problems.push(format!(
                                "checkpoint at size {}: root differs from the tree recomputed from the records",
                                c.size
                            )),
                            Err(e) => cp_problems.push(format!("checkpoint at size {}: {e}", c.size)),
                        }
                    }
                }
            },
        }
    }
    report.add(
        format!(
            "{} signed checkpoints: signature and root",
            checkpoints.len()
        ),
        cp_problems,
    );
    Ok(report)
}
