//! Secure update approval: may version V2 of a product replace V1? The inputs are facts the
//! caller has established (a verified release signature, the evidence records found for V2,
//! the SBOM difference); the output is a [`Decision`] with one criterion per rule, its
//! outcome and the records behind it.

use otproof_evidence::{
    Criterion, CriterionResult, Decision, Exception, RecordId, Subject, Verdict,
};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// A version that cannot be ordered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("version '{value}': {reason} (expected numeric components such as 4.3.0, optionally with a pre-release such as 4.3.0-rc.1)")]
pub struct VersionError {
    /// What was given.
    pub value: String,
    /// Why it cannot be ordered.
    pub reason: String,
}

/// A product version, ordered like semantic versions: numeric dot-separated components
/// (missing trailing components are zero, so 4.3 = 4.3.0), then a release after its
/// pre-releases (4.3.0-rc.1 < 4.3.0), pre-release identifiers compared numerically when both
/// are numbers, else as text; build metadata (`+...`) is ignored. A leading `v` is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    numbers: Vec<u64>,
    pre: Vec<String>,
}

impl Version {
    /// Parse a version; anything that is not numeric components (with an optional
    /// pre-release) is an error.
    pub fn parse(value: &str) -> Result<Version, VersionError> {
        let err = |reason: &str| VersionError {
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let v = value.trim();
        if v.is_empty() {
            return Err(err("empty"));
        }
        let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
        let v = v.split_once('+').map_or(v, |(head, _)| head);
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        let mut numbers = Vec::new();
        for part in core.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(&format!("component '{part}' is not a number")));
            }
            numbers.push(
                part.parse::<u64>()
                    .map_err(|_| err(&format!("component '{part}' is too large")))?,
            );
        }
        while numbers.len() > 1 && numbers.last() == Some(&0) {
            numbers.pop();
        }
        let pre = match pre {
            None => vec![],
            Some(p) => {
                let ids: Vec<String> = p.split('.').map(str::to_string).collect();
                if ids.iter().any(|i| {
                    i.is_empty() || !i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }) {
                    return Err(err(&format!("pre-release '{p}' is malformed")));
                }
                ids
            }
        };
        Ok(Version { numbers, pre })
    }
}

fn cmp_pre(a: &[String], b: &[String]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.numbers.len().max(other.numbers.len());
        for i in 0..n {
            let a = self.numbers.get(i).copied().unwrap_or(0);
            let b = other.numbers.get(i).copied().unwrap_or(0);
            if a != b {
                return a.cmp(&b);
            }
        }
        cmp_pre(&self.pre, &other.pre)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

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
    /// For a robustness campaign otproof ran (its typed payload read): open findings per
    /// behaviour class. `None` for anything else (a document handed over), whose findings
    /// otproof cannot count.
    pub campaign: Option<CampaignFindings>,
}

/// Open findings of a robustness campaign, by behaviour class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CampaignFindings {
    /// Open crash findings.
    pub crash: usize,
    /// Open hang findings.
    pub hang: usize,
    /// Open degradation findings.
    pub degradation: usize,
    /// Open conformance findings.
    pub conformance: usize,
    /// The campaign is inconclusive (too few of its cases reached the target): it shows
    /// nothing, so it does not count.
    pub inconclusive: bool,
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
    /// Why a downgrade or re-install (to-version not above from-version) is accepted; absent:
    /// it is refused.
    pub downgrade_justification: Option<String>,
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
    let mut exceptions = Vec::new();
    let order = Version::parse(&req.from_version)
        .and_then(|f| Version::parse(&req.to_version).map(|t| t.cmp(&f)));
    let (result, description) = match order {
        Ok(Ordering::Greater) => (
            CriterionResult::Pass,
            format!(
                "{} is newer than the installed {}",
                req.to_version, req.from_version
            ),
        ),
        Ok(o) => {
            let what = if o == Ordering::Equal {
                "a re-install of the installed version"
            } else {
                "a downgrade"
            };
            match req
                .downgrade_justification
                .as_deref()
                .map(str::trim)
                .filter(|j| !j.is_empty())
            {
                Some(j) => {
                    exceptions.push(Exception {
                        criterion: "UPD-0".into(),
                        justification: j.to_string(),
                        owner: decided_by.to_string(),
                        until: None,
                    });
                    (
                        CriterionResult::Exception,
                        format!(
                            "{} -> {} is {what}, allowed by {decided_by}: {j}",
                            req.from_version, req.to_version
                        ),
                    )
                }
                None => (
                    CriterionResult::Fail,
                    format!(
                        "{} -> {} is {what} (refused unless allowed with a justification)",
                        req.from_version, req.to_version
                    ),
                ),
            }
        }
        Err(e) => (
            CriterionResult::Fail,
            format!("cannot order the versions: {e}"),
        ),
    };
    criteria.push(Criterion {
        id: "UPD-0".into(),
        description,
        result,
        evidence: vec![],
    });
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
        let ran: Vec<(&EvidenceFact, CampaignFindings)> = found
            .iter()
            .filter_map(|e| e.campaign.filter(|c| !c.inconclusive).map(|c| (*e, c)))
            .collect();
        let failing = ran.iter().filter(|(_, c)| c.crash + c.hang > 0).count();
        let mut parts: Vec<String> = ran
            .iter()
            .map(|(e, c)| {
                format!(
                    "{}: {} open crash, {} open hang{}",
                    e.title,
                    c.crash,
                    c.hang,
                    if c.degradation + c.conformance > 0 {
                        format!(
                            " (warning: {} open degradation, {} open conformance)",
                            c.degradation, c.conformance
                        )
                    } else {
                        String::new()
                    }
                )
            })
            .collect();
        parts.extend(
            found
                .iter()
                .filter(|e| e.campaign.is_some_and(|c| c.inconclusive))
                .map(|e| {
                    format!(
                        "{}: not counted (inconclusive: too few of its cases reached the target)",
                        e.title
                    )
                }),
        );
        parts.extend(found.iter().filter(|e| e.campaign.is_none()).map(|e| {
            format!(
                "{}: not counted (a document, not a campaign otproof ran; its findings cannot be counted)",
                e.title
            )
        }));
        criteria.push(Criterion {
            id: "UPD-3".into(),
            description: format!(
                "a robustness campaign otproof ran is on record for {} {} with no open crash or hang finding (CR 3.5, CR 7.1, SVV-3): {}",
                req.product,
                req.to_version,
                if parts.is_empty() {
                    "none found".to_string()
                } else {
                    parts.join("; ")
                }
            ),
            result: pass(!ran.is_empty() && failing == 0),
            evidence: ran.iter().map(|(e, _)| e.id).collect(),
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
                    "the update introduces no vulnerability at or above {floor}: not evaluated, no SBOM to compare (pass --sbom, with the previous version's SBOM in the store or --previous-sbom)"
                ),
                result: CriterionResult::Fail,
                evidence: vec![],
            }),
        }
    }
    let approved = criteria.iter().all(|c| {
        matches!(
            c.result,
            CriterionResult::Pass | CriterionResult::Exception | CriterionResult::NotApplicable
        )
    });
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
        exceptions,
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
                    open_findings: 3,
                    campaign: Some(CampaignFindings {
                        conformance: 3,
                        ..CampaignFindings::default()
                    }),
                },
                EvidenceFact {
                    id: id(3),
                    kind: "sbom-check".into(),
                    title: "check".into(),
                    open_findings: 1,
                    campaign: None,
                },
            ],
            sbom: Some(SbomChange {
                fixed: vec!["X in a".into()],
                ..SbomChange::default()
            }),
            downgrade_justification: None,
        }
    }

    fn failed(d: &Decision) -> Vec<&str> {
        d.criteria
            .iter()
            .filter(|c| c.result == CriterionResult::Fail)
            .map(|c| c.id.as_str())
            .collect()
    }

    #[test]
    fn approves_when_every_rule_holds_and_cites_the_records() {
        let d = decide(&req(), &UpdatePolicy::default(), "tester");
        assert_eq!(d.decision, Verdict::Approve);
        assert_eq!(d.criteria.len(), 6);
        assert!(
            d.criteria[3]
                .description
                .contains("warning: 0 open degradation, 3 open conformance"),
            "{}",
            d.criteria[3].description
        );
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
        assert!(d.criteria[5].description.contains("Y in b (critical)"));
    }

    #[test]
    fn a_bad_signature_rejects_whatever_else_holds() {
        let mut r = req();
        r.signature.verified = false;
        let d = decide(&r, &UpdatePolicy::default(), "tester");
        assert_eq!(d.decision, Verdict::Reject);
    }

    #[test]
    fn versions_order_numerically_with_pre_releases_before_the_release() {
        let v = |s: &str| Version::parse(s).expect(s);
        assert!(v("4.10.0") > v("4.9.9"));
        assert!(v("4.4.0") > v("4.3.0"));
        assert_eq!(v("4.3"), v("4.3.0"));
        assert_eq!(v("v4.3.0+build.7"), v("4.3.0"));
        assert!(v("4.3.0-rc.1") < v("4.3.0"));
        assert!(v("4.3.0-rc.2") < v("4.3.0-rc.10"));
        assert!(v("4.3.0-alpha") < v("4.3.0-beta"));
        for bad in ["", "latest", "4..1", "4.x", "4.3.0-", "-1", "4.3.0-r c"] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_downgrade_or_re_install_is_refused_without_a_justification() {
        for (from, to) in [("4.4.0", "4.3.0"), ("4.3.0", "4.3.0"), ("4.3", "4.3.0")] {
            let mut r = req();
            r.from_version = from.into();
            r.to_version = to.into();
            r.signature.version = Some(to.into());
            let d = decide(&r, &UpdatePolicy::default(), "tester");
            assert_eq!(d.decision, Verdict::Reject, "{from} -> {to}");
            assert_eq!(failed(&d), vec!["UPD-0"], "{from} -> {to}");
            assert!(d.exceptions.is_empty());
            // A blank justification is no justification.
            r.downgrade_justification = Some("  ".into());
            let d = decide(&r, &UpdatePolicy::default(), "tester");
            assert_eq!(d.decision, Verdict::Reject, "{from} -> {to}");
        }
        let mut r = req();
        r.from_version = "4.4.0".into();
        r.downgrade_justification = Some("4.4.0 bricks the I/O card (ticket 881)".into());
        let d = decide(&r, &UpdatePolicy::default(), "asset owner");
        assert_eq!(d.decision, Verdict::Approve);
        assert_eq!(d.criteria[0].result, CriterionResult::Exception);
        assert_eq!(d.exceptions.len(), 1);
        assert_eq!(d.exceptions[0].criterion, "UPD-0");
        assert_eq!(
            d.exceptions[0].justification,
            "4.4.0 bricks the I/O card (ticket 881)"
        );
        assert_eq!(d.exceptions[0].owner, "asset owner");
    }

    #[test]
    fn an_unorderable_version_never_passes() {
        let mut r = req();
        r.from_version = "latest".into();
        let d = decide(&r, &UpdatePolicy::default(), "tester");
        assert_eq!(failed(&d), vec!["UPD-0"]);
    }

    #[test]
    fn open_crash_or_hang_findings_fail_robustness() {
        let mut r = req();
        r.evidence[0].open_findings = 70;
        r.evidence[0].campaign = Some(CampaignFindings {
            crash: 40,
            hang: 30,
            ..CampaignFindings::default()
        });
        let d = decide(&r, &UpdatePolicy::default(), "tester");
        assert_eq!(d.decision, Verdict::Reject);
        assert_eq!(failed(&d), vec!["UPD-3"]);
        assert!(d.criteria[3]
            .description
            .contains("40 open crash, 30 open hang"));
        // One clean campaign does not hide another one's crash.
        let mut r2 = req();
        let mut bad = r.evidence[0].clone();
        bad.id = id(9);
        r2.evidence.push(bad);
        assert_eq!(
            failed(&decide(&r2, &UpdatePolicy::default(), "tester")),
            vec!["UPD-3"]
        );
        // An inconclusive campaign is listed but does not count.
        let mut r4 = req();
        r4.evidence[0].campaign = Some(CampaignFindings {
            inconclusive: true,
            ..CampaignFindings::default()
        });
        let d4 = decide(&r4, &UpdatePolicy::default(), "tester");
        assert_eq!(failed(&d4), vec!["UPD-3"]);
        assert!(d4.criteria[3].description.contains("inconclusive"));
        // A document called a campaign is listed but does not count.
        let mut r3 = req();
        r3.evidence[0].campaign = None;
        let d = decide(&r3, &UpdatePolicy::default(), "tester");
        assert_eq!(failed(&d), vec!["UPD-3"]);
        assert!(d.criteria[3].description.contains("not counted"));
    }
}
