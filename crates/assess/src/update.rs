//! Secure update approval: may version V2 of a product replace V1? The inputs are facts the
//! caller has established (a verified release signature, the evidence records found for V2,
//! the SBOM difference); the output is a [`Decision`] with one criterion per rule, its
//! outcome and the records behind it.

use otproof_evidence::{Criterion, CriterionResult, Decision, RecordId, Subject, Verdict};
use serde::{Deserialize, Serialize};

/// The outcome of verifying the new release's signature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignatureFact {
    /// The signature verified and the artifact is a subject of the signed statement.
    pub verified: bool,
    /// What was checked, or why it failed.
    pub detail: String,
    /// Product named in the signed release statement.
    pub product: Option<String>,
    /// Version named in the signed release statement.
    pub version: Option<String>,
    /// SHA-256 (hex) of the artifact.
    pub artifact_sha256: String,
}

/// An evidence record found for the new version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceFact {
    /// Record ID.
    pub id: RecordId,
    /// Evidence kind (`robustness-campaign`, `sbom-check`, `release` ...).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Open findings it reports.
    pub open_findings: usize,
}

/// What changed in the SBOM (from `otproof_sbomcheck::diff`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SbomChange {
    /// Components added.
    pub added: Vec<String>,
    /// Components removed.
    pub removed: Vec<String>,
    /// Components changed.
    pub changed: Vec<String>,
    /// Vulnerabilities fixed.
    pub fixed: Vec<String>,
    /// Vulnerabilities introduced, with severity words (`critical`, `high` ...).
    pub introduced: Vec<(String, String)>,
}

/// Rules for approving an update (YAML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicy {
    /// A robustness campaign must be on record for the new version.
    #[serde(default = "yes")]
    pub require_robustness: bool,
    /// An SBOM check must be on record for the new version.
    #[serde(default = "yes")]
    pub require_sbom_check: bool,
    /// Reject when the update introduces a vulnerability at or above this severity
    /// (critical, high, medium, low); absent: never.
    #[serde(default = "high")]
    pub reject_introduced_at: Option<String>,
}

fn yes() -> bool {
    true
}

fn high() -> Option<String> {
    Some("high".into())
}

impl Default for UpdatePolicy {
    fn default() -> Self {
        UpdatePolicy {
            require_robustness: true,
            require_sbom_check: true,
            reject_introduced_at: high(),
        }
    }
}

fn rank(word: &str) -> u8 {
    match word {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// Everything the decision rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateRequest {
    /// Product.
    pub product: String,
    /// Installed version.
    pub from_version: String,
    /// Proposed version.
    pub to_version: String,
    /// The artifact's file name.
    pub artifact: String,
    /// The signature check.
    pub signature: SignatureFact,
    /// The signed release record in the store, if any.
    pub release_record: Option<RecordId>,
    /// Evidence found for the new version.
    pub evidence: Vec<EvidenceFact>,
    /// SBOM change, when the new SBOM (and the old one) were available.
    pub sbom: Option<SbomChange>,
}

/// Decide. `approve` when every criterion passes, else `reject`; the criteria say why.
pub fn decide(req: &UpdateRequest, policy: &UpdatePolicy, decided_by: &str) -> Decision {
    let mut criteria = Vec::new();
    let pass = |ok: bool| {
        if ok {
            CriterionResult::Pass
        } else {
            CriterionResult::Fail
        }
    };
    let s = &req.signature;
    let names_match = s.product.as_deref() == Some(req.product.as_str())
        && s.version.as_deref() == Some(req.to_version.as_str());
    criteria.push(Criterion {
        id: "UPD-1".into(),
        description: format!(
            "{} is signed by a trusted key and is the subject of the signed release statement: {}",
            req.artifact, s.detail
        ),
        result: pass(s.verified),
        evidence: req.release_record.iter().copied().collect(),
    });
    criteria.push(Criterion {
        id: "UPD-2".into(),
        description: format!(
            "the signed statement names {} {} (it names {} {})",
            req.product,
            req.to_version,
            s.product.as_deref().unwrap_or("no product"),
            s.version.as_deref().unwrap_or("no version")
        ),
        result: pass(s.verified && names_match),
        evidence: vec![],
    });
    let of_kind = |kind: &str| -> Vec<&EvidenceFact> {
        req.evidence.iter().filter(|e| e.kind == kind).collect()
    };
    if policy.require_robustness {
        let found = of_kind("robustness-campaign");
        criteria.push(Criterion {
            id: "UPD-3".into(),
            description: format!(
                "a robustness campaign is on record for {} {} (CR 3.5, CR 7.1, SVV-3): {}",
                req.product,
                req.to_version,
                if found.is_empty() {
                    "none found".to_string()
                } else {
                    found
                        .iter()
                        .map(|e| format!("{} ({} open findings)", e.title, e.open_findings))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            ),
            result: pass(!found.is_empty()),
            evidence: found.iter().map(|e| e.id).collect(),
        });
    }
    if policy.require_sbom_check {
        let found = of_kind("sbom-check");
        criteria.push(Criterion {
            id: "UPD-4".into(),
            description: format!(
                "an SBOM check is on record for {} {}: {}",
                req.product,
                req.to_version,
                if found.is_empty() {
                    "none found".to_string()
                } else {
                    found
                        .iter()
                        .map(|e| format!("{} ({} open findings)", e.title, e.open_findings))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            ),
            result: pass(!found.is_empty()),
            evidence: found.iter().map(|e| e.id).collect(),
        });
    }
    if let Some(floor) = &policy.reject_introduced_at {
        match &req.sbom {
            Some(d) => {
                let bad: Vec<String> = d
                    .introduced
                    .iter()
                    .filter(|(_, sev)| rank(sev) >= rank(floor) && rank(sev) > 0)
                    .map(|(id, sev)| format!("{id} ({sev})"))
                    .collect();
                criteria.push(Criterion {
                    id: "UPD-5".into(),
                    description: format!(
                        "the update introduces no vulnerability at or above {floor}{}",
                        if bad.is_empty() {
                            format!(
                                " ({} fixed, {} introduced below it)",
                                d.fixed.len(),
                                d.introduced.len()
                            )
                        } else {
                            format!(": introduces {}", bad.join(", "))
                        }
                    ),
                    result: pass(bad.is_empty()),
                    evidence: vec![],
                });
            }
            None => criteria.push(Criterion {
                id: "UPD-5".into(),
                description: format!(
                    "the update introduces no vulnerability at or above {floor}: no SBOM to compare (pass --sbom, with the previous version's SBOM in the store)"
                ),
                result: CriterionResult::Fail,
                evidence: vec![],
            }),
        }
    }
    let approved = criteria.iter().all(|c| c.result == CriterionResult::Pass);
    let mut references: Vec<RecordId> = criteria
        .iter()
        .flat_map(|c| c.evidence.iter().copied())
        .collect();
    references.sort();
    references.dedup();
    Decision {
        decision: if approved {
            Verdict::Approve
        } else {
            Verdict::Reject
        },
        title: format!(
            "Update of {} from {} to {}",
            req.product, req.from_version, req.to_version
        ),
        subject: Subject::Product {
            vendor: String::new(),
            product: req.product.clone(),
            version: Some(req.to_version.clone()),
            component_type: None,
            artifacts: vec![],
        },
        requirements: otproof_catalog::traces::UPDATE_APPROVAL
            .iter()
            .map(|s| s.to_string())
            .collect(),
        criteria,
        references,
        exceptions: vec![],
        decided_by: decided_by.into(),
        payload: serde_json::json!({
            "from_version": req.from_version,
            "to_version": req.to_version,
            "artifact": req.artifact,
            "artifact_sha256": req.signature.artifact_sha256,
            "sbom_change": req.sbom,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> RecordId {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
            .parse()
            .expect("id")
    }

    fn req() -> UpdateRequest {
        UpdateRequest {
            product: "RIO-2000".into(),
            from_version: "4.2.0".into(),
            to_version: "4.3.0".into(),
            artifact: "rio-2000-4.3.0.bin".into(),
            signature: SignatureFact {
                verified: true,
                detail: "DSSE signature by key ab12".into(),
                product: Some("RIO-2000".into()),
                version: Some("4.3.0".into()),
                artifact_sha256: "00".repeat(32),
            },
            release_record: Some(id(1)),
            evidence: vec![
                EvidenceFact {
                    id: id(2),
                    kind: "robustness-campaign".into(),
                    title: "campaign".into(),
                    open_findings: 0,
                },
                EvidenceFact {
                    id: id(3),
                    kind: "sbom-check".into(),
                    title: "check".into(),
                    open_findings: 1,
                },
            ],
            sbom: Some(SbomChange {
                fixed: vec!["X in a".into()],
                ..SbomChange::default()
            }),
        }
    }

    #[test]
    fn approves_when_every_rule_holds_and_cites_the_records() {
        let d = decide(&req(), &UpdatePolicy::default(), "tester");
        assert_eq!(d.decision, Verdict::Approve);
        assert_eq!(d.criteria.len(), 5);
        assert_eq!(d.references, vec![id(1), id(2), id(3)]);
    }

    #[test]
    fn rejects_with_the_failing_rule() {
        let mut r = req();
        r.signature.version = Some("4.2.9".into());
        let d = decide(&r, &UpdatePolicy::default(), "tester");
        assert_eq!(d.decision, Verdict::Reject);
        let failed: Vec<&str> = d
            .criteria
            .iter()
            .filter(|c| c.result == CriterionResult::Fail)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(failed, vec!["UPD-2"]);

        let mut r = req();
        r.evidence.retain(|e| e.kind != "robustness-campaign");
        r.sbom = Some(SbomChange {
            introduced: vec![("Y in b".into(), "critical".into())],
            ..SbomChange::default()
        });
        let d = decide(&r, &UpdatePolicy::default(), "tester");
        let failed: Vec<&str> = d
            .criteria
            .iter()
            .filter(|c| c.result == CriterionResult::Fail)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(failed, vec!["UPD-3", "UPD-5"]);
        assert!(d.criteria[4].description.contains("Y in b (critical)"));
    }

    #[test]
    fn a_bad_signature_rejects_whatever_else_holds() {
        let mut r = req();
        r.signature.verified = false;
        let d = decide(&r, &UpdatePolicy::default(), "tester");
        assert_eq!(d.decision, Verdict::Reject);
    }
}
