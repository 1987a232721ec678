//! OSV records (schema 1.x): parsing, validation and range evaluation.

use crate::version::{compare, Ecosystem};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;

/// Why an OSV record was rejected: which field, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {problem}")]
pub struct OsvError {
    /// JSON path of the offending field, e.g. `affected[0].ranges[1].events`.
    pub field: String,
    /// What was wrong and what is expected.
    pub problem: String,
}

fn err(field: impl Into<String>, problem: impl Into<String>) -> OsvError {
    OsvError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// An OSV record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// `id`, e.g. `GHSA-xxxx-xxxx-xxxx`.
    pub id: String,
    /// `modified` (RFC 3339), as given.
    pub modified: String,
    /// `published`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// `withdrawn`: set for a withdrawn record (kept, but never matched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// `aliases`.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `related`.
    #[serde(default)]
    pub related: Vec<String>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `details` (dropped from the matcher's compact copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Record-level `severity`.
    #[serde(default)]
    pub severity: Vec<SeverityScore>,
    /// `affected`.
    #[serde(default)]
    pub affected: Vec<Affected>,
    /// `database_specific` (GHSA puts `severity: "HIGH"` here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// One `severity` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityScore {
    /// `type`: `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu` ...
    #[serde(rename = "type")]
    pub kind: String,
    /// `score`: a CVSS vector, or a word for `Ubuntu`.
    pub score: String,
}

/// One `affected` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// `package`; absent only when every range is a GIT range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// Per-package `severity`.
    #[serde(default)]
    pub severity: Vec<SeverityScore>,
    /// `ranges`.
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// `versions`: explicitly affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// `database_specific`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
    /// `ecosystem_specific`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
}

/// `affected[].package`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// OSV ecosystem, possibly with a `:release` suffix (`Debian:11`).
    pub ecosystem: String,
    /// Package name as the ecosystem spells it.
    pub name: String,
    /// Package URL, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// Range type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeKind {
    /// SemVer 2.0 versions.
    Semver,
    /// The package ecosystem's own versions.
    Ecosystem,
    /// Git commit hashes: kept, never evaluable against a version string.
    Git,
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// `repo` (GIT ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// `events`, in record order.
    pub events: Vec<Event>,
}

/// A range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// `introduced` (`"0"`: from the beginning).
    Introduced(String),
    /// `fixed`.
    Fixed(String),
    /// `last_affected`.
    LastAffected(String),
    /// `limit`.
    Limit(String),
}

impl Event {
    /// The event's version or commit.
    pub fn value(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// The result of evaluating one `affected` entry against a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Evaluation {
    /// The version is affected; `fixed` is the first fixing version above it, if known.
    Affected {
        /// First `fixed` event above the version in the range that affects it.
        fixed: Option<String>,
    },
    /// The version is not affected.
    NotAffected,
    /// Cannot tell (e.g. only GIT ranges); the reason says why.
    NotEvaluable(String),
}

// ---------------------------------------------------------------------------------------
// Parsing with validation.

fn field_str(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, OsvError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(err(format!("{path}{key}"), "expected a string")),
    }
}

fn field_str_list(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Vec<String>, OsvError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err(format!("{path}{key}[{i}]"), "expected a string"))
            })
            .collect(),
        Some(_) => Err(err(format!("{path}{key}"), "expected an array of strings")),
    }
}

fn severities(
    obj: &serde_json::Map<String, Value>,
    path: &str,
) -> Result<Vec<SeverityScore>, OsvError> {
    let list = match obj.get("severity") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err(format!("{path}severity"), "expected an array")),
    };
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let p = format!("{path}severity[{i}].");
            let o = s
                .as_object()
                .ok_or_else(|| err(format!("{path}severity[{i}]"), "expected an object"))?;
            let kind = field_str(o, "type", &p)?
                .ok_or_else(|| err(format!("{p}type"), "missing; expected e.g. \"CVSS_V3\""))?;
            let score = field_str(o, "score", &p)?
                .ok_or_else(|| err(format!("{p}score"), "missing; expected a vector string"))?;
            Ok(SeverityScore { kind, score })
        })
        .collect()
}

fn parse_event(v: &Value, path: &str) -> Result<Event, OsvError> {
    let o = v.as_object().ok_or_else(|| {
        err(
            path,
            "expected an object with one of introduced, fixed, last_affected, limit",
        )
    })?;
    let mut found = Vec::new();
    for (k, val) in o {
        let s = || {
            val.as_str()
                .map(str::to_string)
                .ok_or_else(|| err(format!("{path}.{k}"), "expected a string"))
        };
        match k.as_str() {
            "introduced" => found.push(Event::Introduced(s()?)),
            "fixed" => found.push(Event::Fixed(s()?)),
            "last_affected" => found.push(Event::LastAffected(s()?)),
            "limit" => found.push(Event::Limit(s()?)),
            _ => {}
        }
    }
    if found.len() != 1 {
        return Err(err(
            path,
            format!(
                "expected exactly one of introduced, fixed, last_affected, limit; found {}",
                found.len()
            ),
        ));
    }
    Ok(found.remove(0))
}

fn parse_range(v: &Value, path: &str) -> Result<Range, OsvError> {
    let o = v
        .as_object()
        .ok_or_else(|| err(path, "expected an object"))?;
    let p = format!("{path}.");
    let kind = match field_str(o, "type", &p)?.as_deref() {
        Some("SEMVER") => RangeKind::Semver,
        Some("ECOSYSTEM") => RangeKind::Ecosystem,
        Some("GIT") => RangeKind::Git,
        Some(other) => {
            return Err(err(
                format!("{path}.type"),
                format!("unknown range type {other:?}; expected SEMVER, ECOSYSTEM or GIT"),
            ))
        }
        None => {
            return Err(err(
                format!("{path}.type"),
                "missing; expected SEMVER, ECOSYSTEM or GIT",
            ))
        }
    };
    let repo = field_str(o, "repo", &p)?;
    if kind == RangeKind::Git && repo.as_deref().is_none_or(str::is_empty) {
        return Err(err(
            format!("{path}.repo"),
            "missing; a GIT range needs the repository URL",
        ));
    }
    let events = match o.get("events") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, e)| parse_event(e, &format!("{path}.events[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::Array(_)) => {
            return Err(err(
                format!("{path}.events"),
                "empty; expected at least an introduced event",
            ))
        }
        _ => {
            return Err(err(
                format!("{path}.events"),
                "missing; expected an array of events",
            ))
        }
    };
    if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
        return Err(err(
            format!("{path}.events"),
            "no \"introduced\" event; every range needs one (use \"0\" for the beginning)",
        ));
    }
    for (i, e) in events.iter().enumerate() {
        if e.value().is_empty() {
            return Err(err(format!("{path}.events[{i}]"), "empty version"));
        }
        if let Some(j) = events[..i].iter().position(|x| x.value() == e.value()) {
            return Err(err(
                format!("{path}.events[{i}]"),
                format!(
                    "value {:?} already used by events[{j}]; event values in a range must be distinct",
                    e.value()
                ),
            ));
        }
    }
    Ok(Range { kind, repo, events })
}

fn parse_affected(v: &Value, path: &str) -> Result<Affected, OsvError> {
    let o = v
        .as_object()
        .ok_or_else(|| err(path, "expected an object"))?;
    let p = format!("{path}.");
    let ranges = match o.get("ranges") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, r)| parse_range(r, &format!("{path}.ranges[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(err(format!("{path}.ranges"), "expected an array")),
    };
    let package = match o.get("package") {
        None | Some(Value::Null) => None,
        Some(Value::Object(po)) => {
            let pp = format!("{path}.package.");
            let ecosystem = field_str(po, "ecosystem", &pp)?.unwrap_or_default();
            let name = field_str(po, "name", &pp)?.unwrap_or_default();
            if ecosystem.trim().is_empty() {
                return Err(err(
                    format!("{pp}ecosystem"),
                    "missing or empty; expected an OSV ecosystem name",
                ));
            }
            if name.trim().is_empty() {
                return Err(err(
                    format!("{pp}name"),
                    "missing or empty; expected the package name",
                ));
            }
            Some(Package {
                ecosystem,
                name,
                purl: field_str(po, "purl", &pp)?,
            })
        }
        Some(_) => return Err(err(format!("{path}.package"), "expected an object")),
    };
    if package.is_none() && (ranges.is_empty() || ranges.iter().any(|r| r.kind != RangeKind::Git)) {
        return Err(err(
            format!("{path}.package"),
            "missing; only an entry whose ranges are all GIT ranges may omit the package",
        ));
    }
    Ok(Affected {
        package,
        severity: severities(o, &p)?,
        ranges,
        versions: field_str_list(o, "versions", &p)?,
        database_specific: o.get("database_specific").filter(|v| !v.is_null()).cloned(),
        ecosystem_specific: o
            .get("ecosystem_specific")
            .filter(|v| !v.is_null())
            .cloned(),
    })
}

/// Parse and validate one OSV record from a JSON value.
pub fn from_value(v: &Value) -> Result<Advisory, OsvError> {
    let o = v
        .as_object()
        .ok_or_else(|| err("(record)", "expected a JSON object"))?;
    let id = field_str(o, "id", "")?.unwrap_or_default();
    if id.trim().is_empty() {
        return Err(err("id", "missing or empty; expected the advisory ID"));
    }
    let modified = field_str(o, "modified", "")?
        .ok_or_else(|| err("modified", "missing; expected an RFC 3339 timestamp"))?;
    if crate::timestamp_key(&modified).is_none() {
        return Err(err(
            "modified",
            format!("{modified:?} is not an RFC 3339 timestamp"),
        ));
    }
    let affected = match o.get("affected") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| parse_affected(x, &format!("affected[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(err("affected", "expected an array")),
    };
    Ok(Advisory {
        id,
        modified,
        published: field_str(o, "published", "")?,
        withdrawn: field_str(o, "withdrawn", "")?,
        aliases: field_str_list(o, "aliases", "")?,
        related: field_str_list(o, "related", "")?,
        summary: field_str(o, "summary", "")?,
        details: field_str(o, "details", "")?,
        severity: severities(o, "")?,
        affected,
        database_specific: o.get("database_specific").filter(|v| !v.is_null()).cloned(),
    })
}

/// Parse and validate one OSV record from JSON bytes.
pub fn parse(bytes: &[u8]) -> Result<Advisory, OsvError> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| err("(json)", format!("not valid JSON: {e}")))?;
    from_value(&v)
}

impl Advisory {
    /// True when the record is withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }

    /// The GHSA-style `database_specific.severity` word, if any.
    pub fn database_severity(&self) -> Option<&str> {
        self.database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(Value::as_str)
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation.

fn version_cmp(eco: &Ecosystem, a: &str, b: &str) -> Ordering {
    if a == "0" && b == "0" {
        Ordering::Equal
    } else if a == "0" {
        Ordering::Less
    } else if b == "0" {
        Ordering::Greater
    } else {
        compare(eco, a, b)
    }
}

/// Evaluate one non-GIT range: (affected, fixed above the version).
fn eval_range(eco: &Ecosystem, range: &Range, version: &str) -> (bool, Option<String>) {
    let mut events: Vec<&Event> = range.events.iter().collect();
    // `introduced: "0"` sorts first; limit events are handled separately.
    let limits: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Limit(v) => Some(v.as_str()),
            _ => None,
        })
        .collect();
    events.retain(|e| !matches!(e, Event::Limit(_)));
    events.sort_by(|a, b| version_cmp(eco, a.value(), b.value()));
    let mut affected = false;
    let mut fixed = None;
    for e in &events {
        match e {
            Event::Introduced(v) => {
                if v == "0" || version_cmp(eco, version, v) != Ordering::Less {
                    affected = true;
                    fixed = None;
                }
            }
            Event::Fixed(v) => {
                if version_cmp(eco, version, v) != Ordering::Less {
                    affected = false;
                } else if affected && fixed.is_none() {
                    fixed = Some(v.clone());
                }
            }
            Event::LastAffected(v) => {
                if version_cmp(eco, version, v) == Ordering::Greater {
                    affected = false;
                }
            }
            Event::Limit(_) => {}
        }
        if !affected {
            fixed = None;
        }
    }
    if affected
        && !limits.is_empty()
        && !limits
            .iter()
            .any(|l| *l == "*" || version_cmp(eco, version, l) == Ordering::Less)
    {
        affected = false;
        fixed = None;
    }
    (affected, fixed)
}

/// Evaluate an `affected` entry against a version, per the OSV specification's algorithm:
/// the explicit `versions` list, then each SEMVER/ECOSYSTEM range (events sorted in the
/// package ecosystem's order; `introduced` opens, `fixed` closes at, `last_affected` closes
/// after, `limit` caps). GIT ranges cannot be evaluated against a version string.
pub fn affects(affected: &Affected, version: &str) -> Evaluation {
    let eco = affected
        .package
        .as_ref()
        .map(|p| Ecosystem::from_osv(&p.ecosystem))
        .unwrap_or_else(|| Ecosystem::Other(String::new()));
    let version = version.trim();
    let mut first_fixed = None;
    let mut hit = false;
    let mut evaluable_ranges = 0;
    let mut git_ranges = 0;
    for r in &affected.ranges {
        let e = match r.kind {
            RangeKind::Git => {
                git_ranges += 1;
                continue;
            }
            RangeKind::Semver => &Ecosystem::SemVer,
            RangeKind::Ecosystem => &eco,
        };
        evaluable_ranges += 1;
        let (a, f) = eval_range(e, r, version);
        if a {
            hit = true;
            if first_fixed.is_none() {
                first_fixed = f;
            }
        }
    }
    if hit {
        return Evaluation::Affected { fixed: first_fixed };
    }
    if affected.versions.iter().any(|v| v.trim() == version) {
        return Evaluation::Affected { fixed: None };
    }
    if evaluable_ranges == 0 && affected.versions.is_empty() {
        if git_ranges > 0 {
            return Evaluation::NotEvaluable(
                "only GIT ranges (commit hashes): cannot be evaluated against a version".into(),
            );
        }
        return Evaluation::NotEvaluable("no ranges and no versions listed".into());
    }
    Evaluation::NotAffected
}
