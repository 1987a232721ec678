//! RFC 6962 / RFC 9162 Merkle tree hashing, proofs from stored complete subtrees, and proof
//! verification.
//!
//! Nodes are addressed as (level, index): level 0 holds leaf hashes; node (l, i) is the root
//! of the perfect subtree over leaves [i * 2^l, (i + 1) * 2^l). Only perfect subtrees are
//! stored; the root and every proof element of a tree of any size is composed from
//! O(log n) of them, so nothing is ever rebuilt.
//!
//! Edge cases, chosen to match transparency-dev/merkle (and its published vectors) rather
//! than a literal reading of RFC 9162:
//! - a consistency proof from size 0 is rejected (the empty tree is consistent with
//!   anything, so such a proof proves nothing and otproof never asks for one);
//! - an empty (zero-length) leaf hash, root or proof element is rejected.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &[u8], right: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Read access to stored perfect-subtree hashes.
pub trait NodeStore {
    /// The storage's error.
    type Error: std::error::Error + Send + Sync + 'static;
    /// Node (level, index), if stored.
    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, Self::Error>;
}

/// Why a tree computation failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A node that must exist is missing.
    #[error("tree node (level {level}, index {index}) is missing from the store")]
    MissingNode {
        /// Level.
        level: u8,
        /// Index.
        index: u64,
    },
    /// Index out of range.
    #[error("leaf index {index} is outside a tree of size {size}")]
    OutOfRange {
        /// Index.
        index: u64,
        /// Size.
        size: u64,
    },
    /// Sizes that do not make a consistency proof.
    #[error("no consistency proof from size {old} to size {new}: expected 0 < old <= new")]
    Sizes {
        /// Old.
        old: u64,
        /// New.
        new: u64,
    },
    /// The node store failed.
    #[error("node store: {0}")]
    Store(Box<dyn std::error::Error + Send + Sync>),
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Index not below size.
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// Index.
        index: u64,
        /// Size.
        size: u64,
    },
    /// Sizes the wrong way round, or a consistency proof from size 0.
    #[error("sizes {old} -> {new}: expected 0 < old <= new")]
    Sizes {
        /// Old.
        old: u64,
        /// New.
        new: u64,
    },
    /// Wrong number of proof elements.
    #[error("proof has {got} hashes, a proof for these sizes has {want}")]
    Length {
        /// Given.
        got: usize,
        /// Needed.
        want: usize,
    },
    /// A hash of the wrong length.
    #[error("{what} is {len} bytes: expected a 32-byte SHA-256 hash")]
    HashLength {
        /// Which input.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// The computed root differs.
    #[error("the proof leads to a different root than the one given")]
    RootMismatch,
    /// Equal sizes but different roots.
    #[error("equal tree sizes but different roots")]
    DifferentRoots,
}

fn need<S: NodeStore>(store: &S, level: u8, index: u64) -> Result<Hash, LedgerError> {
    store
        .node(level, index)
        .map_err(|e| LedgerError::Store(Box::new(e)))?
        .ok_or(LedgerError::MissingNode { level, index })
}

/// Largest power of two strictly below `n` (n >= 2).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// MTH of leaves [lo, hi), from stored perfect subtrees.
fn range_hash<S: NodeStore>(store: &S, lo: u64, hi: u64) -> Result<Hash, LedgerError> {
    let n = hi - lo;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        return need(store, n.trailing_zeros() as u8, lo / n);
    }
    let k = split(n);
    let left = range_hash(store, lo, lo + k)?;
    let right = range_hash(store, lo + k, hi)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of the first `size` leaves.
pub fn root<S: NodeStore>(store: &S, size: u64) -> Result<Hash, LedgerError> {
    range_hash(store, 0, size)
}

/// The nodes that become complete when `leaves` are appended to a tree of `size` leaves,
/// including the leaves themselves (level 0), for the caller to store in one batch.
pub fn nodes_to_append<S: NodeStore>(
    store: &S,
    size: u64,
    leaves: &[Hash],
) -> Result<Vec<(u8, u64, Hash)>, LedgerError> {
    let mut out: Vec<(u8, u64, Hash)> = Vec::with_capacity(leaves.len() * 2);
    let lookup = |out: &[(u8, u64, Hash)], level: u8, index: u64| -> Result<Hash, LedgerError> {
        // Recently made nodes sit at the end of `out`.
        if let Some((_, _, h)) = out
            .iter()
            .rev()
            .find(|(l, i, _)| *l == level && *i == index)
        {
            return Ok(*h);
        }
        need(store, level, index)
    };
    for (k, leaf) in leaves.iter().enumerate() {
        let index = size + k as u64;
        out.push((0, index, *leaf));
        let mut level = 0u8;
        let mut i = index;
        let mut h = *leaf;
        // While this node is a right child, its parent is now complete.
        while i & 1 == 1 {
            let left = lookup(&out, level, i - 1)?;
            h = node_hash(&left, &h);
            level += 1;
            i >>= 1;
            out.push((level, i, h));
        }
    }
    Ok(out)
}

/// The inclusion proof (audit path) of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof<S: NodeStore>(
    store: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, LedgerError> {
    if index >= size {
        return Err(LedgerError::OutOfRange { index, size });
    }
    let mut proof = Vec::new();
    path(store, index, 0, size, &mut proof)?;
    Ok(proof)
}

fn path<S: NodeStore>(
    store: &S,
    m: u64,
    lo: u64,
    hi: u64,
    out: &mut Vec<Hash>,
) -> Result<(), LedgerError> {
    let n = hi - lo;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(store, m, lo, lo + k, out)?;
        out.push(range_hash(store, lo + k, hi)?);
    } else {
        path(store, m - k, lo + k, hi, out)?;
        out.push(range_hash(store, lo, lo + k)?);
    }
    Ok(())
}

/// The consistency proof between the trees of `old` and `new` leaves.
pub fn consistency_proof<S: NodeStore>(
    store: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, LedgerError> {
    if old == 0 || old > new {
        return Err(LedgerError::Sizes { old, new });
    }
    let mut out = Vec::new();
    if old < new {
        subproof(store, old, 0, new, true, &mut out)?;
    }
    Ok(out)
}

fn subproof<S: NodeStore>(
    store: &S,
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), LedgerError> {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push(range_hash(store, lo, hi)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(store, m, lo, lo + k, whole, out)?;
        out.push(range_hash(store, lo + k, hi)?);
    } else {
        subproof(store, m - k, lo + k, hi, false, out)?;
        out.push(range_hash(store, lo, lo + k)?);
    }
    Ok(())
}

fn check_len(what: &'static str, h: &[u8]) -> Result<(), ProofError> {
    if h.len() == 32 {
        Ok(())
    } else {
        Err(ProofError::HashLength { what, len: h.len() })
    }
}

/// Number of proof hashes an inclusion proof has for `index` in `size`.
fn inclusion_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    (inner + border) as usize
}

/// Verify an inclusion proof (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion<P: AsRef<[u8]>>(
    leaf: &[u8],
    index: u64,
    size: u64,
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    check_len("leaf hash", leaf)?;
    check_len("root", root)?;
    let want = inclusion_len(index, size);
    if proof.len() != want {
        return Err(ProofError::Length {
            got: proof.len(),
            want,
        });
    }
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r: Hash = [0; 32];
    r.copy_from_slice(leaf);
    for p in proof {
        let p = p.as_ref();
        check_len("proof hash", p)?;
        if sn == 0 {
            return Err(ProofError::Length {
                got: proof.len(),
                want,
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn == 0 && r[..] == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Number of hashes in a consistency proof from `old` to `new` (0 < old < new).
fn consistency_len(old: u64, new: u64) -> usize {
    let shift = old.trailing_zeros();
    let inner = 64 - ((old - 1) ^ (new - 1)).leading_zeros();
    let border = ((old - 1) >> inner).count_ones();
    let start = if old.is_power_of_two() { 0 } else { 1 };
    (start + inner - shift + border) as usize
}

/// Verify a consistency proof (RFC 9162 section 2.1.4.2).
pub fn verify_consistency<P: AsRef<[u8]>>(
    old: u64,
    new: u64,
    proof: &[P],
    old_root: &[u8],
    new_root: &[u8],
) -> Result<(), ProofError> {
    if old == 0 || old > new {
        return Err(ProofError::Sizes { old, new });
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::Length {
                got: proof.len(),
                want: 0,
            });
        }
        if old_root.is_empty() || new_root.is_empty() {
            return Err(ProofError::HashLength {
                what: "root",
                len: 0,
            });
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::DifferentRoots)
        };
    }
    check_len("old root", old_root)?;
    check_len("new root", new_root)?;
    let want = consistency_len(old, new);
    if proof.len() != want {
        return Err(ProofError::Length {
            got: proof.len(),
            want,
        });
    }
    for p in proof {
        check_len("proof hash", p.as_ref())?;
    }
    let mut path: Vec<&[u8]> = proof.iter().map(AsRef::as_ref).collect();
    if old.is_power_of_two() {
        path.insert(0, old_root);
    }
    let mut fn_ = old - 1;
    let mut sn = new - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr: Hash = [0; 32];
    fr.copy_from_slice(path[0]);
    let mut sr = fr;
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::RootMismatch);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if fr[..] == *old_root && sr[..] == *new_root && sn == 0 {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Perfect-subtree hashes in memory, level by level.
#[derive(Debug, Clone, Default)]
pub struct MemoryNodes {
    levels: Vec<Vec<Hash>>,
}

impl MemoryNodes {
    /// Append leaf hashes, completing every subtree they close.
    pub fn append(&mut self, leaves: &[Hash]) {
        for leaf in leaves {
            let mut level = 0usize;
            let mut h = *leaf;
            loop {
                if self.levels.len() <= level {
                    self.levels.push(Vec::new());
                }
                self.levels[level].push(h);
                let n = self.levels[level].len();
                if n % 2 == 1 {
                    break;
                }
                h = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
                level += 1;
            }
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }
}

impl NodeStore for MemoryNodes {
    type Error = std::convert::Infallible;
    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, Self::Error> {
        Ok(self
            .levels
            .get(usize::from(level))
            .and_then(|l| l.get(usize::try_from(index).ok()?))
            .copied())
    }
}
