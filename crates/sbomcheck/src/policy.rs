//! The acceptance policy of `otproof sbom check`, read from YAML.
//!
//! ```yaml
//! # every rule is optional; absent rules do not fail the check
//! fail_on_kev: true              # an open vulnerability in the CISA KEV catalog
//! fail_without_vex_at: high      # an open vulnerability at or above this severity with no
//!                                # VEX statement at all (critical, high, medium, low)
//! fail_on_affected_at: critical  # a vulnerability VEX says is affected, at or above this
//! require_supplier: true         # every component names its supplier
//! require_hashes: true           # every component carries at least one hash
//! require_ntia: true             # the document meets the NTIA minimum elements
//! fail_on_malformed_purl: true   # a component's purl does not parse
//! fail_on_vex_conflict: true     # VEX documents contradict each other on a pair
//! fail_unless_excused_at: critical # an open vulnerability at or above this severity unless
//!                                # VEX says not_affected or fixed (affected, exploitable,
//!                                # under investigation / in triage do not excuse it)
//! max_data_age_days: 30          # the vulnerability data is older than this (newest record)
//! ```
//!
//! A policy with no rule (an empty file, only comments, `{}`) is refused: it would pass
//! anything. Without a policy file the default rules apply ([`Policy::default_rules`]).

use crate::{ComponentResult, SbomSummary, VexSummary};
use otproof_sbom::NtiaReport;
use otproof_text::quote;
use otproof_vex::Status;
use otproof_vulndb::Severity;
use serde::{Deserialize, Serialize};

/// Why a policy file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not valid YAML, or a field with the wrong name or value.
    #[error("{0} (expected the keys fail_on_kev, fail_without_vex_at, fail_on_affected_at, fail_unless_excused_at, require_supplier, require_hashes, require_ntia, fail_on_malformed_purl, fail_on_vex_conflict, max_data_age_days; severities are critical, high, medium or low)")]
    Yaml(String),
    /// The policy sets no rule: it would pass any SBOM.
    #[error("the policy sets no rule (empty, only comments, or every rule off): it would pass any SBOM; omit --policy for the default rules, or set at least one rule")]
    Empty,
}

/// A severity threshold in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Threshold {
    /// 9.0 and above.
    Critical,
    /// 7.0 and above.
    High,
    /// 4.0 and above.
    Medium,
    /// Above 0.
    Low,
}

impl Threshold {
    fn admits(self, s: Option<Severity>) -> bool {
        let floor = match self {
            Threshold::Critical => Severity::Critical,
            Threshold::High => Severity::High,
            Threshold::Medium => Severity::Medium,
            Threshold::Low => Severity::Low,
        };
        s.is_some_and(|s| s >= floor)
    }

    fn name(self) -> &'static str {
        match self {
            Threshold::Critical => "critical",
            Threshold::High => "high",
            Threshold::Medium => "medium",
            Threshold::Low => "low",
        }
    }
}

/// The rules a checked SBOM must meet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Fail on an open KEV-listed vulnerability.
    #[serde(default)]
    pub fail_on_kev: bool,
    /// Fail on an open vulnerability at or above this severity that no VEX statement covers.
    #[serde(default)]
    pub fail_without_vex_at: Option<Threshold>,
    /// Fail on a vulnerability that VEX says is affected, at or above this severity.
    #[serde(default)]
    pub fail_on_affected_at: Option<Threshold>,
    /// Every component names its supplier.
    #[serde(default)]
    pub require_supplier: bool,
    /// Every component carries a hash.
    #[serde(default)]
    pub require_hashes: bool,
    /// The NTIA minimum elements are all present.
    #[serde(default)]
    pub require_ntia: bool,
    /// No malformed purls.
    #[serde(default)]
    pub fail_on_malformed_purl: bool,
    /// No contradicting VEX statements.
    #[serde(default)]
    pub fail_on_vex_conflict: bool,
    /// Fail on an open vulnerability at or above this severity unless a VEX statement says
    /// not_affected or fixed.
    #[serde(default)]
    pub fail_unless_excused_at: Option<Threshold>,
    /// Fail when the vulnerability data is older than this many days (judged by the caller,
    /// which knows the data: see `otproof_workflow::sbom`).
    #[serde(default)]
    pub max_data_age_days: Option<u32>,
}

impl Policy {
    /// The policy used when none is given: fail on an open KEV-listed vulnerability, on a
    /// critical one unless VEX says not_affected or fixed, and on high or critical
    /// vulnerabilities that no VEX statement addresses.
    pub fn default_rules() -> Policy {
        Policy {
            fail_on_kev: true,
            fail_without_vex_at: Some(Threshold::High),
            fail_unless_excused_at: Some(Threshold::Critical),
            ..Policy::default()
        }
    }

    /// Read a policy from YAML text. A policy that sets no rule is [`PolicyError::Empty`].
    pub fn from_yaml(text: &str) -> Result<Policy, PolicyError> {
        let has_content = text.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && l != "---" && l != "..."
        });
        if !has_content {
            return Err(PolicyError::Empty);
        }
        let p: Policy =
            serde_saphyr::from_str(text).map_err(|e| PolicyError::Yaml(e.to_string()))?;
        if p == Policy::default() {
            return Err(PolicyError::Empty);
        }
        Ok(p)
    }

    /// The broken rules, one line each (empty: passed).
    pub fn judge(
        &self,
        sbom: &SbomSummary,
        ntia: &NtiaReport,
        components: &[ComponentResult],
        vex: &VexSummary,
    ) -> Vec<String> {
        let mut out = Vec::new();
        // Names and IDs come from the SBOM and the vulnerability data: quoted, one line each.
        let label = |c: &ComponentResult| {
            quote(&match &c.version {
                Some(v) => format!("{}@{v}", c.name),
                None => c.name.clone(),
            })
        };
        let mut kev = Vec::new();
        let mut unaddressed = Vec::new();
        let mut affected = Vec::new();
        let mut unexcused = Vec::new();
        for c in components {
            for v in &c.vulnerabilities {
                if v.cleared() {
                    continue;
                }
                if v.kev {
                    kev.push(format!("{} in {}", quote(&v.id), label(c)));
                }
                if let Some(t) = self.fail_without_vex_at {
                    if v.vex.is_none() && t.admits(v.severity) {
                        unaddressed.push(format!(
                            "{} ({}) in {}",
                            quote(&v.id),
                            crate::severity_name(v.severity),
                            label(c)
                        ));
                    }
                }
                if let Some(t) = self.fail_unless_excused_at {
                    if t.admits(v.severity) {
                        unexcused.push(format!(
                            "{} ({}, VEX: {}) in {}",
                            quote(&v.id),
                            crate::severity_name(v.severity),
                            v.vex.as_ref().map_or("none", |x| x.status.as_str()),
                            label(c)
                        ));
                    }
                }
                if let (Some(t), Some(x)) = (self.fail_on_affected_at, &v.vex) {
                    if x.status == Status::Affected && t.admits(v.severity) {
                        affected.push(format!("{} in {}", quote(&v.id), label(c)));
                    }
                }
            }
        }
        let list = |v: &[String]| {
            let shown: Vec<&str> = v.iter().take(10).map(String::as_str).collect();
            let more = if v.len() > 10 {
                format!(" and {} more", v.len() - 10)
            } else {
                String::new()
            };
            format!("{}{more}", shown.join(", "))
        };
        if self.fail_on_kev && !kev.is_empty() {
            out.push(format!(
                "{} known exploited (CISA KEV) vulnerabilit{} open: {}",
                kev.len(),
                if kev.len() == 1 { "y" } else { "ies" },
                list(&kev)
            ));
        }
        if let Some(t) = self.fail_without_vex_at {
            if !unaddressed.is_empty() {
                out.push(format!(
                    "{} vulnerabilit{} at or above {} without a VEX statement: {}",
                    unaddressed.len(),
                    if unaddressed.len() == 1 { "y" } else { "ies" },
                    t.name(),
                    list(&unaddressed)
                ));
            }
        }
        if let Some(t) = self.fail_unless_excused_at {
            if !unexcused.is_empty() {
                out.push(format!(
                    "{} vulnerabilit{} at or above {} not excused by a VEX statement of not_affected or fixed: {}",
                    unexcused.len(),
                    if unexcused.len() == 1 { "y" } else { "ies" },
                    t.name(),
                    list(&unexcused)
                ));
            }
        }
        if let Some(t) = self.fail_on_affected_at {
            if !affected.is_empty() {
                out.push(format!(
                    "{} vulnerabilit{} at or above {} that VEX says affect the product: {}",
                    affected.len(),
                    if affected.len() == 1 { "y" } else { "ies" },
                    t.name(),
                    list(&affected)
                ));
            }
        }
        if self.require_supplier {
            let missing: Vec<String> = components
                .iter()
                .filter(|c| c.supplier.as_deref().is_none_or(|s| s.trim().is_empty()))
                .map(label)
                .collect();
            if !missing.is_empty() {
                out.push(format!(
                    "{} component(s) without a supplier: {}",
                    missing.len(),
                    list(&missing)
                ));
            }
        }
        if self.require_hashes {
            let missing: Vec<String> = components
                .iter()
                .filter(|c| c.hashes == 0)
                .map(label)
                .collect();
            if !missing.is_empty() {
                out.push(format!(
                    "{} component(s) without a hash: {}",
                    missing.len(),
                    list(&missing)
                ));
            }
        }
        if self.require_ntia && !ntia.passed() {
            let gaps: Vec<String> = ntia
                .elements
                .iter()
                .filter(|e| !e.ok)
                .map(|e| format!("{} ({} missing)", e.element, e.missing.len()))
                .collect();
            out.push(format!(
                "NTIA minimum elements not met: {}",
                gaps.join(", ")
            ));
        }
        if self.fail_on_malformed_purl {
            let bad: Vec<String> = sbom
                .problems
                .iter()
                .filter(|p| p.contains("purl"))
                .cloned()
                .collect();
            if !bad.is_empty() {
                out.push(format!(
                    "{} malformed package URL(s): {}",
                    bad.len(),
                    list(&bad)
                ));
            }
        }
        if self.fail_on_vex_conflict && !vex.conflicts.is_empty() {
            let c: Vec<String> = vex
                .conflicts
                .iter()
                .map(|c| format!("{} for {}", c.vulnerability, c.product))
                .collect();
            out.push(format!(
                "{} contradicting VEX statement(s): {}",
                c.len(),
                list(&c)
            ));
        }
        out
    }
}
