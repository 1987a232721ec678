//! A set of VEX documents: statement matching, precedence and conflicts.

use crate::matching::{
    bom_ref_matches, cpe_matches, parse_timestamp, purl_matches, purl_version, VersRange,
};
use crate::{ProductId, Statement, Status, VersionConstraint, VexDocument};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// A component or product to match statements against.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Target<'a> {
    /// Package URL.
    pub purl: Option<&'a str>,
    /// CPE 2.3 or 2.2.
    pub cpe: Option<&'a str>,
    /// bom-ref, or a BOM-Link (see [`crate::bom_link`]) to check BOM-Link serials.
    pub bom_ref: Option<&'a str>,
    /// Name (only compared with statements that identify products by name only).
    pub name: &'a str,
    /// Version (used when the purl has none, for CPE `*` versions and version constraints).
    pub version: Option<&'a str>,
}

impl Target<'_> {
    fn effective_version(&self) -> Option<String> {
        self.version
            .map(str::to_string)
            .or_else(|| self.purl.and_then(purl_version))
    }
}

/// The statement that applies, and the competing ones that disagree with it.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    /// Status of the winning statement.
    pub status: Status,
    /// Justification of the winning statement.
    pub justification: Option<String>,
    /// The winning statement.
    pub statement: Statement,
    /// Statements that apply as well, could not be ordered before the winner
    /// (same or missing timestamp) and have another status.
    pub conflicting: Vec<Statement>,
    /// How the winning statement matched, e.g. `component purl pkg:...`.
    pub matched_by: String,
}

/// Statements about the same (vulnerability, product) with different statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// Vulnerability id (primary id of the first statement).
    pub vulnerability: String,
    /// Product key: `<product>`, `<product> > <subcomponent>`, with `@<version constraint>`.
    pub product: String,
    /// (source, status) of every statement about it, in insertion order.
    pub statements: Vec<(String, Status)>,
    /// Source of the statement the timestamp rule selects, if the latest
    /// statements agree (an update); None for a genuine contradiction.
    pub winner: Option<String>,
}

/// A collection of VEX documents.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VexSet {
    statements: Vec<Statement>,
    #[serde(skip)]
    by_id: HashMap<String, Vec<usize>>,
    problems: Vec<String>,
}

fn key(id: &str) -> String {
    id.trim().to_lowercase()
}

impl VexSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds all statements of a document.
    pub fn add(&mut self, doc: VexDocument) {
        for p in doc.problems {
            self.problems.push(p);
        }
        for st in doc.statements {
            let idx = self.statements.len();
            let mut keys: Vec<String> = std::iter::once(&st.vulnerability)
                .chain(st.aliases.iter())
                .map(|s| key(s))
                .collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                self.by_id.entry(k).or_default().push(idx);
            }
            self.statements.push(st);
        }
    }

    /// All statements, in insertion order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Problems of all added documents.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The statement that applies to this vulnerability (any of `vuln_ids`,
    /// which are the advisory id and its aliases) for this component within
    /// (optionally) this product; None if none applies. See the crate doc for
    /// the matching and precedence rules.
    pub fn resolve(
        &self,
        vuln_ids: &[&str],
        product: Option<&Target>,
        component: &Target,
    ) -> Option<Resolution> {
        let mut idxs: Vec<usize> = vuln_ids
            .iter()
            .filter_map(|id| self.by_id.get(&key(id)))
            .flatten()
            .copied()
            .collect();
        idxs.sort_unstable();
        idxs.dedup();
        let applicable: Vec<(usize, String)> = idxs
            .into_iter()
            .filter_map(|i| applies(&self.statements[i], product, component).map(|m| (i, m)))
            .collect();
        let (winner, conflicting) = pick(
            &applicable
                .iter()
                .map(|(i, _)| &self.statements[*i])
                .collect::<Vec<_>>(),
        )?;
        let (wi, matched_by) = &applicable[winner];
        let statement = self.statements[*wi].clone();
        Some(Resolution {
            status: statement.status,
            justification: statement.justification.clone(),
            conflicting: conflicting
                .into_iter()
                .map(|c| self.statements[applicable[c].0].clone())
                .collect(),
            matched_by: matched_by.clone(),
            statement,
        })
    }

    /// Every (vulnerability, product) with statements of different statuses
    /// (in different statements or documents). Vulnerabilities are grouped
    /// through shared ids/aliases.
    pub fn conflicts(&self) -> Vec<Conflict> {
        // union-find over statements sharing an id or alias
        let n = self.statements.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for idxs in self.by_id.values() {
            if let Some((&first, rest)) = idxs.split_first() {
                for &o in rest {
                    let (a, b) = (find(&mut parent, first), find(&mut parent, o));
                    if a != b {
                        parent[b.max(a)] = a.min(b);
                    }
                }
            }
        }
        let mut groups: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
        for (i, st) in self.statements.iter().enumerate() {
            let root = find(&mut parent, i);
            let suffix = st
                .version_constraint
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default();
            let mut keys = Vec::new();
            for p in &st.products {
                if st.subcomponents.is_empty() {
                    keys.push(format!("{p}{suffix}"));
                } else {
                    for s in &st.subcomponents {
                        keys.push(format!("{p} > {s}{suffix}"));
                    }
                }
            }
            keys.sort();
            keys.dedup();
            for k in keys {
                groups.entry((root, k)).or_default().push(i);
            }
        }
        let mut out = Vec::new();
        for ((_, product), members) in groups {
            let first = self.statements[members[0]].status;
            if members.iter().all(|&i| self.statements[i].status == first) {
                continue;
            }
            let (w, conflicting) = match pick(
                &members
                    .iter()
                    .map(|&i| &self.statements[i])
                    .collect::<Vec<_>>(),
            ) {
                Some(x) => x,
                None => continue,
            };
            out.push(Conflict {
                vulnerability: self.statements[members[0]].vulnerability.clone(),
                product,
                statements: members
                    .iter()
                    .map(|&i| (self.statements[i].source.clone(), self.statements[i].status))
                    .collect(),
                winner: conflicting
                    .is_empty()
                    .then(|| self.statements[members[w]].source.clone()),
            });
        }
        out
    }
}

/// Precedence: returns (index of winner, indices of conflicting) into `items`.
fn pick(items: &[&Statement]) -> Option<(usize, Vec<usize>)> {
    if items.is_empty() {
        return None;
    }
    let ts: Vec<Option<i128>> = items
        .iter()
        .map(|x| x.timestamp.as_deref().and_then(parse_timestamp))
        .collect();
    let latest = ts.iter().flatten().max().copied();
    // competitors: the latest dated ones and every undated one
    let competing: Vec<usize> = (0..items.len())
        .filter(|&i| ts[i].is_none() || ts[i] == latest)
        .collect();
    // the most cautious status wins; among equals, the first (insertion order)
    let mut winner = competing[0];
    for &i in &competing[1..] {
        if items[i].status.caution() > items[winner].status.caution() {
            winner = i;
        }
    }
    let ws = items[winner].status;
    let conflicting = competing
        .into_iter()
        .filter(|&i| items[i].status != ws)
        .collect();
    Some((winner, conflicting))
}

/// Why (and whether) a statement applies to the component (within the product).
fn applies(st: &Statement, product: Option<&Target>, component: &Target) -> Option<String> {
    if !st.subcomponents.is_empty() {
        let sub = st.subcomponents.iter().find(|s| id_matches(s, component))?;
        return match product {
            None => Some(format!("subcomponent {sub} (no product given)")),
            Some(p) => {
                let prod = st.products.iter().find(|q| id_matches(q, p))?;
                Some(format!("subcomponent {sub} of product {prod}"))
            }
        };
    }
    if let Some(q) = st.products.iter().find(|q| id_matches(q, component)) {
        if constraint_holds(st.version_constraint.as_ref(), component) {
            return Some(format!("component {q}"));
        }
    }
    let p = product?;
    let q = st.products.iter().find(|q| id_matches(q, p))?;
    constraint_holds(st.version_constraint.as_ref(), p).then(|| format!("product {q}"))
}

fn constraint_holds(c: Option<&VersionConstraint>, t: &Target) -> bool {
    let Some(c) = c else { return true };
    let Some(v) = t.effective_version() else {
        return false;
    };
    match c {
        VersionConstraint::Exact(e) => {
            e == &v || crate::matching::compare_versions(e, &v) == Ordering::Equal
        }
        VersionConstraint::Range(r) => VersRange::parse(r).is_ok_and(|r| r.contains(&v)),
    }
}

fn id_matches(id: &ProductId, t: &Target) -> bool {
    match id {
        ProductId::Purl(p) => t.purl.is_some_and(|tp| purl_matches(p, tp, t.version)),
        ProductId::Cpe(c) => t.cpe.is_some_and(|tc| cpe_matches(c, tc, t.version)),
        ProductId::BomRef(r) => t.bom_ref.is_some_and(|tr| bom_ref_matches(r, tr)),
        ProductId::Name(n) => {
            !t.name.trim().is_empty() && n.trim().eq_ignore_ascii_case(t.name.trim())
        }
    }
}
