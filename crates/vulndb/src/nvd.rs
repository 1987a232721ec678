//! NVD CVE API / feed JSON 2.0 (`nvdcve-2.0-*.json`): the parts matching needs.

use crate::cpe::{attr_matches, Cpe, CpeValue};
use crate::version::compare_generic;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;

/// One CVE, reduced to what matching and reporting need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvdCve {
    /// `cve.id`.
    pub id: String,
    /// `cve.published`.
    #[serde(default)]
    pub published: Option<String>,
    /// `cve.lastModified`.
    pub last_modified: String,
    /// `cve.vulnStatus` ("Analyzed", "Rejected" ...).
    #[serde(default)]
    pub vuln_status: Option<String>,
    /// The English description.
    #[serde(default)]
    pub description: Option<String>,
    /// CVSS vector strings (v4.0, v3.x, v2), primary source first.
    #[serde(default)]
    pub cvss: Vec<String>,
    /// `baseSeverity` of the first CVSS metric that has one.
    #[serde(default)]
    pub base_severity: Option<String>,
    /// The highest `baseScore` given.
    #[serde(default)]
    pub base_score: Option<f64>,
    /// `configurations`.
    #[serde(default)]
    pub configurations: Vec<Configuration>,
}

/// One configuration: nodes combined by `operator` (AND = all must hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// `operator` ("AND"/"OR"; absent means OR).
    #[serde(default)]
    pub operator: Option<String>,
    /// `negate`.
    #[serde(default)]
    pub negate: bool,
    /// `nodes`.
    pub nodes: Vec<Node>,
}

/// A node: CPE match criteria combined by `operator`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// `operator`.
    #[serde(default)]
    pub operator: Option<String>,
    /// `negate`.
    #[serde(default)]
    pub negate: bool,
    /// `cpeMatch`.
    pub cpe_match: Vec<CpeMatch>,
}

/// One `cpeMatch` criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpeMatch {
    /// `vulnerable`.
    pub vulnerable: bool,
    /// `criteria`: a CPE 2.3 formatted string.
    pub criteria: String,
    /// `versionStartIncluding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_start_including: Option<String>,
    /// `versionStartExcluding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_start_excluding: Option<String>,
    /// `versionEndIncluding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_including: Option<String>,
    /// `versionEndExcluding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_excluding: Option<String>,
    /// `matchCriteriaId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_criteria_id: Option<String>,
}

/// Outcome of testing a component CPE against one criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CpeOutcome {
    Match,
    NoMatch,
    /// Vendor/product match but the component has no version to compare.
    NoVersion,
}

impl CpeMatch {
    fn has_range(&self) -> bool {
        self.version_start_including.is_some()
            || self.version_start_excluding.is_some()
            || self.version_end_including.is_some()
            || self.version_end_excluding.is_some()
    }

    /// Test a component (`target` CPE, with `version` taking precedence when the CPE's own
    /// version is `*`). Vendor and product must both be concrete and equal (no
    /// product-only matches).
    pub(crate) fn test(&self, crit: &Cpe, target: &Cpe, version: Option<&str>) -> CpeOutcome {
        if !self.vulnerable
            || crit.vendor.as_value().is_none()
            || target.vendor.as_value().is_none()
            || crit.vendor != target.vendor
            || crit.product != target.product
            || !attr_matches(&crit.part, &target.part)
            || !attr_matches(&crit.update, &target.update)
            || !crit
                .rest
                .iter()
                .zip(target.rest.iter())
                .all(|(c, t)| attr_matches(c, t))
        {
            return CpeOutcome::NoMatch;
        }
        let v = match (&target.version, version) {
            (CpeValue::Value(v), _) => Some(v.as_str()),
            (_, Some(v)) if !v.trim().is_empty() => Some(v.trim()),
            _ => None,
        };
        match &crit.version {
            CpeValue::Value(cv) => match v {
                Some(v) if compare_generic(cv, v) == Ordering::Equal => CpeOutcome::Match,
                Some(_) => CpeOutcome::NoMatch,
                None => CpeOutcome::NoVersion,
            },
            CpeValue::Na => {
                if target.version == CpeValue::Na {
                    CpeOutcome::Match
                } else {
                    CpeOutcome::NoMatch
                }
            }
            CpeValue::Any if !self.has_range() => CpeOutcome::Match,
            CpeValue::Any => {
                let Some(v) = v else {
                    return CpeOutcome::NoVersion;
                };
                let ok = self
                    .version_start_including
                    .as_deref()
                    .is_none_or(|s| compare_generic(v, s) != Ordering::Less)
                    && self
                        .version_start_excluding
                        .as_deref()
                        .is_none_or(|s| compare_generic(v, s) == Ordering::Greater)
                    && self
                        .version_end_including
                        .as_deref()
                        .is_none_or(|e| compare_generic(v, e) != Ordering::Greater)
                    && self
                        .version_end_excluding
                        .as_deref()
                        .is_none_or(|e| compare_generic(v, e) == Ordering::Less);
                if ok {
                    CpeOutcome::Match
                } else {
                    CpeOutcome::NoMatch
                }
            }
        }
    }
}

/// Does this JSON value look like an NVD CVE 2.0 feed or API response?
pub fn looks_like(v: &Value) -> bool {
    v.get("format").and_then(Value::as_str) == Some("NVD_CVE")
        || (v.get("resultsPerPage").is_some()
            && v.get("vulnerabilities").is_some_and(Value::is_array))
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn cvss_from_metrics(metrics: &Value, cve: &mut NvdCve) {
    for key in [
        "cvssMetricV40",
        "cvssMetricV31",
        "cvssMetricV30",
        "cvssMetricV2",
    ] {
        let Some(list) = metrics.get(key).and_then(Value::as_array) else {
            continue;
        };
        // Primary (NVD) metrics first.
        let mut sorted: Vec<&Value> = list.iter().collect();
        sorted.sort_by_key(|m| m.get("type").and_then(Value::as_str) != Some("Primary"));
        for m in sorted {
            let data = m.get("cvssData").unwrap_or(&Value::Null);
            if let Some(vec) = s(data, "vectorString") {
                if !cve.cvss.contains(&vec) {
                    cve.cvss.push(vec);
                }
            }
            if let Some(score) = data.get("baseScore").and_then(Value::as_f64) {
                if cve.base_score.is_none_or(|b| score > b) {
                    cve.base_score = Some(score);
                }
            }
            let sev = s(data, "baseSeverity").or_else(|| s(m, "baseSeverity"));
            if cve.base_severity.is_none() {
                cve.base_severity = sev;
            }
        }
    }
}

/// Parse one `vulnerabilities[]` item (`{"cve": {...}}`).
pub fn parse_item(item: &Value) -> Result<NvdCve, String> {
    let cve = item.get("cve").ok_or("missing \"cve\" object")?;
    let id = s(cve, "id").ok_or("cve.id: missing; expected a CVE ID string")?;
    let last_modified =
        s(cve, "lastModified").ok_or("cve.lastModified: missing; expected a timestamp")?;
    let description = cve
        .get("descriptions")
        .and_then(Value::as_array)
        .and_then(|d| {
            d.iter()
                .find(|x| x.get("lang").and_then(Value::as_str) == Some("en"))
                .or_else(|| d.first())
        })
        .and_then(|x| s(x, "value"));
    let configurations = match cve.get("configurations") {
        None | Some(Value::Null) => Vec::new(),
        Some(c) => Vec::<RawConfig>::deserialize(c)
            .map_err(|e| format!("cve.configurations: {e}"))?
            .into_iter()
            .map(RawConfig::into_config)
            .collect(),
    };
    let mut out = NvdCve {
        id,
        published: s(cve, "published"),
        last_modified,
        vuln_status: s(cve, "vulnStatus"),
        description,
        cvss: Vec::new(),
        base_severity: None,
        base_score: None,
        configurations,
    };
    if let Some(m) = cve.get("metrics") {
        cvss_from_metrics(m, &mut out);
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    nodes: Vec<RawNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNode {
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    cpe_match: Vec<RawCpeMatch>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCpeMatch {
    #[serde(default)]
    vulnerable: bool,
    criteria: String,
    version_start_including: Option<String>,
    version_start_excluding: Option<String>,
    version_end_including: Option<String>,
    version_end_excluding: Option<String>,
    match_criteria_id: Option<String>,
}

impl RawConfig {
    fn into_config(self) -> Configuration {
        Configuration {
            operator: self.operator,
            negate: self.negate,
            nodes: self
                .nodes
                .into_iter()
                .map(|n| Node {
                    operator: n.operator,
                    negate: n.negate,
                    cpe_match: n
                        .cpe_match
                        .into_iter()
                        .map(|m| CpeMatch {
                            vulnerable: m.vulnerable,
                            criteria: m.criteria,
                            version_start_including: m.version_start_including,
                            version_start_excluding: m.version_start_excluding,
                            version_end_including: m.version_end_including,
                            version_end_excluding: m.version_end_excluding,
                            match_criteria_id: m.match_criteria_id,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
