//! The in-memory matcher: OSV advisories indexed by (ecosystem, normalised package name),
//! the KEV set, and NVD CPE criteria indexed by (vendor, product).

use crate::cpe::Cpe;
use crate::kev::KevEntry;
use crate::nvd::{CpeOutcome, NvdCve};
use crate::osv::{affects, Advisory, Evaluation};
use crate::version::osv_base;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A component to look up. Owned fields, package-URL style:
/// `pkg:<purl_type>/<namespace>/<name>@<version>`.
///
/// * `purl_type` set: exact ecosystem + name lookup ([`Confidence::Purl`]). The namespace
///   is the Maven group, the npm scope (`@scope` or `scope`), the Go module path prefix,
///   the Composer vendor, or the distribution for `deb`/`rpm`/`apk` (`debian`, `ubuntu`,
///   `redhat`, `suse`, `alpine` ...).
/// * `cpe` set: NVD lookup by vendor + product + version ([`Confidence::Cpe`]); the CPE's
///   own version wins over `version` unless it is `*`.
/// * neither: name-only lookup across all ecosystems ([`Confidence::NameVersion`], low).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Query {
    /// Package-URL type (`pypi`, `npm`, `maven`, `golang`, `deb` ...).
    pub purl_type: Option<String>,
    /// Package-URL namespace.
    pub namespace: Option<String>,
    /// Package name.
    pub name: String,
    /// Version, as the ecosystem spells it.
    pub version: Option<String>,
    /// A CPE 2.3 formatted string (or CPE 2.2 URI).
    pub cpe: Option<String>,
}

impl Query {
    /// Build a query from a package URL string (`pkg:pypi/requests@2.30.0`).
    pub fn from_purl(purl: &str) -> Result<Query, String> {
        let p: packageurl::PackageUrl<'_> = purl
            .parse()
            .map_err(|e| format!("package URL {purl:?}: {e}"))?;
        Ok(Query {
            purl_type: Some(p.ty().to_string()),
            namespace: p.namespace().map(str::to_string),
            name: p.name().to_string(),
            version: p.version().map(str::to_string),
            cpe: None,
        })
    }
}

/// How a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// No purl or CPE: name (+ version) only, ecosystem unknown. Low.
    NameVersion,
    /// NVD: vendor + product + version.
    Cpe,
    /// Exact ecosystem + package name + version range.
    Purl,
}

/// Qualitative severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Score 0.
    None,
    /// 0.1 - 3.9.
    Low,
    /// 4.0 - 6.9.
    Medium,
    /// 7.0 - 8.9.
    High,
    /// 9.0 - 10.0.
    Critical,
}

impl Severity {
    /// From a CVSS base score (the CVSS v3/v4 bands).
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::None
        }
    }

    /// From a word (`HIGH`, `moderate`, `Critical` ...); `None` if unknown.
    pub fn from_word(word: &str) -> Option<Severity> {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(Severity::Critical),
            "high" | "important" => Some(Severity::High),
            "medium" | "moderate" => Some(Severity::Medium),
            "low" | "negligible" => Some(Severity::Low),
            "none" => Some(Severity::None),
            _ => None,
        }
    }
}

/// One finding for a component.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// Primary ID: the OSV ID of the first advisory found (NVD CVE ID for NVD-only finds).
    pub id: String,
    /// Every other ID of the same vulnerability (CVE, GHSA, PYSEC ...), merged, sorted.
    pub aliases: Vec<String>,
    /// Summary (OSV `summary`, else NVD description).
    pub summary: Option<String>,
    /// CVSS vector strings from all merged sources.
    pub cvss: Vec<String>,
    /// From the highest CVSS base score, else the database-specific severity word.
    pub severity: Option<Severity>,
    /// Highest CVSS base score.
    pub score: Option<f64>,
    /// First fixed version above the component's version, if known.
    pub fixed: Option<String>,
    /// The ID or an alias is in the CISA KEV catalog.
    pub kev: bool,
    /// How the match was found.
    pub confidence: Confidence,
    /// False when the version could not be evaluated (no version, GIT-only ranges ...).
    pub evaluable: bool,
    /// Why not evaluable, or other caveats.
    pub note: Option<String>,
    /// `osv` or `nvd`.
    pub source: String,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    adv: u32,
    aff: u32,
}

#[derive(Debug, Clone)]
struct CpeEntry {
    cve: u32,
    cfg: u32,
    node: u32,
    idx: u32,
    crit: Cpe,
}

/// The matcher. Lookups cost O(advisories for the package), never a scan.
#[derive(Debug, Clone)]
pub struct Matcher {
    advisories: Vec<Advisory>,
    scores: Vec<(Option<f64>, Option<Severity>, Vec<String>)>,
    by_package: HashMap<(String, String), Vec<Entry>>,
    by_name: HashMap<String, Vec<Entry>>,
    kev: HashSet<String>,
    nvd: Vec<NvdCve>,
    by_cpe: HashMap<(String, String), Vec<CpeEntry>>,
    unparsable_criteria: usize,
}

/// PEP 503 name normalisation: lowercase, runs of `-`, `_`, `.` become `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Normalise a package name for the index of an OSV ecosystem (base name, no `:suffix`).
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    let name = name.trim();
    match ecosystem {
        "PyPI" => pep503(name),
        "crates.io" => name.to_lowercase().replace('_', "-"),
        "npm" | "Maven" | "NuGet" | "Packagist" | "RubyGems" | "Hex" | "Pub" => name.to_lowercase(),
        _ => name.to_string(),
    }
}

fn loose_name(name: &str) -> String {
    pep503(name)
}

/// The OSV ecosystems and package name a package URL denotes.
pub fn purl_targets(purl_type: &str, namespace: Option<&str>, name: &str) -> Vec<(String, String)> {
    let ty = purl_type.trim().to_ascii_lowercase();
    let ns = namespace
        .map(|n| n.trim().trim_matches('/').replace("%40", "@"))
        .filter(|n| !n.is_empty());
    let with_ns = |sep: &str| match &ns {
        Some(n) => format!("{n}{sep}{name}"),
        None => name.to_string(),
    };
    let distro = ns.as_deref().map(str::to_ascii_lowercase);
    let ecos: Vec<String> = match ty.as_str() {
        "pypi" => vec!["PyPI".into()],
        "npm" => vec!["npm".into()],
        "maven" => vec!["Maven".into()],
        "golang" => vec!["Go".into()],
        "cargo" => vec!["crates.io".into()],
        "gem" => vec!["RubyGems".into()],
        "nuget" => vec!["NuGet".into()],
        "composer" => vec!["Packagist".into()],
        "hex" => vec!["Hex".into()],
        "pub" => vec!["Pub".into()],
        "cran" => vec!["CRAN".into()],
        "swift" => vec!["SwiftURL".into()],
        "hackage" => vec!["Hackage".into()],
        "conan" => vec!["ConanCenter".into()],
        "github" => vec!["GitHub Actions".into()],
        "bitnami" => vec!["Bitnami".into()],
        "deb" => match distro.as_deref() {
            Some("debian") => vec!["Debian".into()],
            Some("ubuntu") => vec!["Ubuntu".into()],
            Some(other) => vec![other.to_string()],
            None => vec!["Debian".into(), "Ubuntu".into()],
        },
        "rpm" => match distro.as_deref() {
            Some("redhat" | "rhel") => vec!["Red Hat".into()],
            Some("suse" | "sles") => vec!["SUSE".into()],
            Some("opensuse") => vec!["openSUSE".into()],
            Some("rocky" | "rocky-linux" | "rockylinux") => vec!["Rocky Linux".into()],
            Some("almalinux" | "alma") => vec!["AlmaLinux".into()],
            Some("mageia") => vec!["Mageia".into()],
            Some("openeuler") => vec!["openEuler".into()],
            Some("photon") => vec!["Photon OS".into()],
            Some("azurelinux" | "mariner" | "cbl-mariner") => vec!["Azure Linux".into()],
            Some(other) => vec![other.to_string()],
            None => vec!["Red Hat".into()],
        },
        "apk" => match distro.as_deref() {
            Some("wolfi") => vec!["Wolfi".into()],
            Some("chainguard") => vec!["Chainguard".into()],
            Some("minimos") => vec!["MinimOS".into()],
            Some("alpaquita") => vec!["Alpaquita".into()],
            _ => vec!["Alpine".into()],
        },
        other => vec![other.to_string()],
    };
    let full = match ty.as_str() {
        "npm" => match &ns {
            Some(n) if n.starts_with('@') => format!("{n}/{name}"),
            Some(n) => format!("@{n}/{name}"),
            None => name.to_string(),
        },
        "maven" => with_ns(":"),
        "golang" | "composer" | "swift" | "github" => with_ns("/"),
        _ => name.to_string(),
    };
    ecos.into_iter()
        .map(|e| {
            let n = normalize_name(&e, &full);
            (e, n)
        })
        .collect()
}

fn cvss_score(vector: &str) -> Option<f64> {
    let parsed: cvss::Cvss = vector.trim().parse().ok()?;
    let s = parsed.score();
    s.is_finite().then_some(s)
}

fn advisory_scores(a: &Advisory) -> (Option<f64>, Option<Severity>, Vec<String>) {
    let mut vectors = Vec::new();
    let mut words = Vec::new();
    let all = a
        .severity
        .iter()
        .chain(a.affected.iter().flat_map(|x| x.severity.iter()));
    for s in all {
        if s.kind.starts_with("CVSS") {
            if !vectors.contains(&s.score) {
                vectors.push(s.score.clone());
            }
        } else {
            words.push(s.score.clone());
        }
    }
    let score = vectors
        .iter()
        .filter_map(|v| cvss_score(v))
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let severity = score.map(Severity::from_score).or_else(|| {
        a.database_severity()
            .and_then(Severity::from_word)
            .or_else(|| words.iter().find_map(|w| Severity::from_word(w)))
    });
    (score, severity, vectors)
}

fn push_entry<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Vec<Entry>>, key: K, e: Entry) {
    map.entry(key).or_default().push(e);
}

impl Matcher {
    /// Build a matcher from parsed data (withdrawn advisories are skipped).
    pub fn from_advisories(osv: Vec<Advisory>, kev: Vec<KevEntry>, nvd: Vec<NvdCve>) -> Matcher {
        let advisories: Vec<Advisory> = osv.into_iter().filter(|a| !a.is_withdrawn()).collect();
        let mut by_package = HashMap::new();
        let mut by_name = HashMap::new();
        let mut scores = Vec::with_capacity(advisories.len());
        for (ai, a) in advisories.iter().enumerate() {
            scores.push(advisory_scores(a));
            for (fi, f) in a.affected.iter().enumerate() {
                let Some(p) = &f.package else { continue };
                let e = Entry {
                    adv: ai as u32,
                    aff: fi as u32,
                };
                let base = osv_base(&p.ecosystem).to_string();
                let norm = normalize_name(&base, &p.name);
                push_entry(&mut by_name, loose_name(&p.name), e);
                if base == "Maven" {
                    if let Some((_, artifact)) = p.name.split_once(':') {
                        push_entry(&mut by_name, loose_name(artifact), e);
                    }
                }
                push_entry(&mut by_package, (base, norm), e);
            }
        }
        let kev = kev
            .into_iter()
            .map(|k| k.cve_id.trim().to_ascii_uppercase())
            .collect();
        let mut by_cpe: HashMap<(String, String), Vec<CpeEntry>> = HashMap::new();
        let mut unparsable_criteria = 0;
        for (ci, c) in nvd.iter().enumerate() {
            for (gi, g) in c.configurations.iter().enumerate() {
                for (ni, n) in g.nodes.iter().enumerate() {
                    for (mi, m) in n.cpe_match.iter().enumerate() {
                        if !m.vulnerable {
                            continue;
                        }
                        let Ok(crit) = Cpe::parse(&m.criteria) else {
                            unparsable_criteria += 1;
                            continue;
                        };
                        let (Some(v), Some(p)) = (crit.vendor.as_value(), crit.product.as_value())
                        else {
                            unparsable_criteria += 1;
                            continue;
                        };
                        let key = (v.to_string(), p.to_string());
                        by_cpe.entry(key).or_default().push(CpeEntry {
                            cve: ci as u32,
                            cfg: gi as u32,
                            node: ni as u32,
                            idx: mi as u32,
                            crit,
                        });
                    }
                }
            }
        }
        Matcher {
            advisories,
            scores,
            by_package,
            by_name,
            kev,
            nvd,
            by_cpe,
            unparsable_criteria,
        }
    }

    /// Number of (non-withdrawn) OSV advisories, KEV IDs and NVD CVEs loaded.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.advisories.len(), self.kev.len(), self.nvd.len())
    }

    /// NVD `cpeMatch` criteria that could not be parsed (vendor or product missing ...).
    pub fn unparsable_criteria(&self) -> usize {
        self.unparsable_criteria
    }

    /// Is this ID in the KEV catalog?
    pub fn is_kev(&self, id: &str) -> bool {
        self.kev.contains(&id.trim().to_ascii_uppercase())
    }

    fn any_kev<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> bool {
        ids.into_iter().any(|i| self.is_kev(i))
    }

    /// Look a component up. Matches for the same vulnerability (an ID of one is the ID or an
    /// alias of another) are merged into one; the primary ID is the first OSV advisory found
    /// (index order: import order), NVD IDs become aliases.
    pub fn lookup(&self, q: &Query) -> Vec<Match> {
        let mut out: Vec<Match> = Vec::new();
        let version = q
            .version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if let Some(ty) = q.purl_type.as_deref().filter(|t| !t.trim().is_empty()) {
            for (eco, name) in purl_targets(ty, q.namespace.as_deref(), &q.name) {
                if let Some(entries) = self.by_package.get(&(eco, name)) {
                    self.osv_matches(entries, version, Confidence::Purl, &mut out);
                }
            }
        }
        if let Some(cpe) = q.cpe.as_deref().filter(|c| !c.trim().is_empty()) {
            if let Ok(target) = Cpe::parse(cpe) {
                self.cpe_matches(&target, version, &mut out);
            }
        }
        if q.purl_type.as_deref().is_none_or(|t| t.trim().is_empty())
            && q.cpe.as_deref().is_none_or(|c| c.trim().is_empty())
        {
            if let Some(entries) = self.by_name.get(&loose_name(&q.name)) {
                self.osv_matches(entries, version, Confidence::NameVersion, &mut out);
            }
        }
        merge(out)
    }

    fn osv_matches(
        &self,
        entries: &[Entry],
        version: Option<&str>,
        conf: Confidence,
        out: &mut Vec<Match>,
    ) {
        // Group by advisory, keeping first-seen order.
        let mut order: Vec<u32> = Vec::new();
        let mut best: HashMap<u32, Evaluation> = HashMap::new();
        for e in entries {
            let a = &self.advisories[e.adv as usize];
            let aff = &a.affected[e.aff as usize];
            let ev = match version {
                Some(v) => affects(aff, v),
                None => Evaluation::NotEvaluable("the component has no version".into()),
            };
            let rank = |x: &Evaluation| match x {
                Evaluation::Affected { .. } => 2,
                Evaluation::NotEvaluable(_) => 1,
                Evaluation::NotAffected => 0,
            };
            match best.get(&e.adv) {
                None => {
                    order.push(e.adv);
                    best.insert(e.adv, ev);
                }
                Some(prev) if rank(&ev) > rank(prev) => {
                    best.insert(e.adv, ev);
                }
                _ => {}
            }
        }
        for ai in order {
            let (evaluable, fixed, note) = match best.remove(&ai) {
                Some(Evaluation::Affected { fixed }) => (true, fixed, None),
                Some(Evaluation::NotEvaluable(reason)) => (false, None, Some(reason)),
                _ => continue,
            };
            let a = &self.advisories[ai as usize];
            let (score, severity, cvss) = self.scores[ai as usize].clone();
            let mut aliases: Vec<String> =
                a.aliases.iter().filter(|x| **x != a.id).cloned().collect();
            aliases.sort();
            aliases.dedup();
            let note = match (note, conf) {
                (n, Confidence::NameVersion) => Some(
                    n.map_or(String::new(), |n| format!("{n}; "))
                        + "matched by name only (ecosystem unknown): low confidence",
                ),
                (n, _) => n,
            };
            out.push(Match {
                id: a.id.clone(),
                kev: self.is_kev(&a.id) || self.any_kev(&aliases),
                aliases,
                summary: a.summary.clone(),
                cvss,
                severity,
                score,
                fixed,
                confidence: conf,
                evaluable,
                note,
                source: "osv".into(),
            });
        }
    }

    fn cpe_matches(&self, target: &Cpe, version: Option<&str>, out: &mut Vec<Match>) {
        let (Some(v), Some(p)) = (target.vendor.as_value(), target.product.as_value()) else {
            return; // no product-only matching: the vendor must be known
        };
        let Some(entries) = self.by_cpe.get(&(v.to_string(), p.to_string())) else {
            return;
        };
        let mut order: Vec<u32> = Vec::new();
        let mut best: HashMap<u32, (CpeOutcome, Option<String>)> = HashMap::new();
        for e in entries {
            let cve = &self.nvd[e.cve as usize];
            let cfg = &cve.configurations[e.cfg as usize];
            let m = &cve.configurations[e.cfg as usize].nodes[e.node as usize].cpe_match
                [e.idx as usize];
            let outcome = m.test(&e.crit, target, version);
            if outcome == CpeOutcome::NoMatch {
                continue;
            }
            let and = cfg
                .operator
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case("AND"))
                && cfg.nodes.len() > 1;
            let note = and.then(|| {
                "the NVD configuration also requires other platform components (AND); not checked".to_string()
            });
            match best.get(&e.cve) {
                None => {
                    order.push(e.cve);
                    best.insert(e.cve, (outcome, note));
                }
                Some((CpeOutcome::NoVersion, _)) if outcome == CpeOutcome::Match => {
                    best.insert(e.cve, (outcome, note));
                }
                _ => {}
            }
        }
        for ci in order {
            let Some((outcome, note)) = best.remove(&ci) else {
                continue;
            };
            let cve = &self.nvd[ci as usize];
            let evaluable = outcome == CpeOutcome::Match;
            let note = if evaluable {
                note
            } else {
                Some("the component has no version to compare with the CPE criteria".to_string())
            };
            let score = cve
                .cvss
                .iter()
                .filter_map(|v| cvss_score(v))
                .fold(cve.base_score, |m, s| Some(m.map_or(s, |m| m.max(s))));
            let severity = score
                .map(Severity::from_score)
                .or_else(|| cve.base_severity.as_deref().and_then(Severity::from_word));
            out.push(Match {
                id: cve.id.clone(),
                aliases: Vec::new(),
                summary: cve.description.clone(),
                cvss: cve.cvss.clone(),
                severity,
                score,
                fixed: None,
                kev: self.is_kev(&cve.id),
                confidence: Confidence::Cpe,
                evaluable,
                note,
                source: "nvd".into(),
            });
        }
    }
}

fn ids(m: &Match) -> impl Iterator<Item = &String> {
    std::iter::once(&m.id).chain(m.aliases.iter())
}

fn absorb(into: &mut Match, other: Match) {
    for id in std::iter::once(other.id).chain(other.aliases) {
        if id != into.id && !into.aliases.contains(&id) {
            into.aliases.push(id);
        }
    }
    into.aliases.sort();
    for v in other.cvss {
        if !into.cvss.contains(&v) {
            into.cvss.push(v);
        }
    }
    into.score = match (into.score, other.score) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    into.severity = match into.score {
        Some(s) => Some(Severity::from_score(s)),
        None => into.severity.max(other.severity),
    };
    if into.summary.is_none() {
        into.summary = other.summary;
    }
    if into.fixed.is_none() {
        into.fixed = other.fixed;
    }
    into.kev |= other.kev;
    into.confidence = into.confidence.max(other.confidence);
    if other.evaluable && !into.evaluable {
        into.evaluable = true;
        into.note = other.note;
    } else if into.note.is_none() && other.evaluable == into.evaluable {
        into.note = other.note;
    }
}

/// Merge matches that share an ID or alias; OSV matches come first so they stay primary,
/// and a later match is always folded into the earlier one.
fn merge(mut list: Vec<Match>) -> Vec<Match> {
    list.sort_by_key(|m| m.source != "osv");
    let mut out: Vec<Match> = Vec::with_capacity(list.len());
    for m in list {
        out.push(m);
        let mut i = out.len() - 1;
        loop {
            let all: HashSet<&String> = ids(&out[i]).collect();
            let Some(j) = (0..out.len()).find(|&j| j != i && ids(&out[j]).any(|x| all.contains(x)))
            else {
                break;
            };
            let (keep, drop) = if j < i { (j, i) } else { (i, j) };
            let other = out.remove(drop);
            absorb(&mut out[keep], other);
            i = keep;
        }
    }
    out
}
