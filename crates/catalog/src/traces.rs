//! Which catalog requirements each kind of otproof evidence supports: our mapping, kept in
//! one place so every producer and renderer cites the same IDs (checked against the catalog
//! by a test).

use crate::ComponentType;

/// Robustness campaigns: malformed input handled (CR 3.5), denial of service resisted
/// (CR 7.1), and the 4-1 practice of security vulnerability testing (SVV-3).
pub const ROBUSTNESS: &[&str] = &["CR 3.5", "CR 7.1", "SVV-3"];

/// SBOM checks: security requirements for externally provided components (SM-9) and for
/// third-party developed components (SM-10); the defect-management chain of receiving,
/// reviewing, assessing, addressing and disclosing security issues (DM-1..DM-5); and the
/// component's software and information integrity (CR 3.4), which a verified inventory of
/// what is inside it underpins.
pub const SBOM_CHECK: &[&str] = &[
    "SM-9", "SM-10", "DM-1", "DM-2", "DM-3", "DM-4", "DM-5", "CR 3.4",
];

/// One open vulnerability in a shipped component: the component's supplier requirements
/// (SM-9), the assessment and handling of the issue (DM-3, DM-4).
pub const SBOM_FINDING: &[&str] = &["SM-9", "DM-3", "DM-4"];

/// A signed release: file integrity of what is delivered (SM-6), the signing key's controls
/// (SM-8), authentic update delivery (SUM-4), and the component's software integrity and
/// authenticity (CR 3.4, CR 3.4 RE1).
pub const RELEASE: &[&str] = &["SM-6", "SM-8", "SUM-4", "CR 3.4", "CR 3.4 RE1"];

/// A signature or provenance check made by otproof (DSSE, Sigstore, CMS, TUF, in-toto layout):
/// the software's integrity and authenticity (CR 3.4, CR 3.4 RE1).
pub const SIGNATURE_CHECK: &[&str] = &["CR 3.4", "CR 3.4 RE1"];

/// An update approval: the update was qualified (SUM-1) and delivered authentically (SUM-4);
/// the installed software's integrity (CR 3.4).
pub const UPDATE_APPROVAL: &[&str] = &["SUM-1", "SUM-4", "CR 3.4"];

/// A device or agent identity bound to a vendor-signed statement (CR 1.2: software process and
/// device identification and authentication).
pub const IDENTITY: &[&str] = &["CR 1.2"];

/// A certificate in a supplier's package: the vendor's security management process (SM-1).
pub const CERTIFICATE: &[&str] = &["SM-1"];

/// A supplier's support statement: timely security update delivery (SUM-5).
pub const SUPPORT_STATEMENT: &[&str] = &["SUM-5"];

/// A supplier's hardening guide: product defense in depth and installation guidance (SG-1,
/// SG-2).
pub const HARDENING_GUIDE: &[&str] = &["SG-1", "SG-2"];

/// A supplier's patch policy: update qualification (SUM-1), documentation (SUM-2) and
/// authenticity (SUM-4).
pub const PATCH_POLICY: &[&str] = &["SUM-1", "SUM-2", "SUM-4"];

/// Product acceptance: the catalog rows each default acceptance criterion traces to when no
/// specification gives them (criterion ID, requirement IDs). The same rows the
/// specification's policy item of that ID cites, without the component-specific ones.
pub const ACCEPTANCE_CRITERIA: &[(&str, &[&str])] = &[
    ("SBOM-1", &["SM-9", "SM-10", "SUM-3", "CR 7.8"]),
    ("SBOM-2", &["SM-9", "DM-1", "DM-2", "DM-3"]),
    ("VULN-3", &["DM-4", "SUM-5"]),
    ("UPD-1", &["CR 3.4", "CR 3.4 RE1", "SUM-4"]),
    ("ROB-1", &["CR 3.5", "CR 7.1", "CR 7.1 RE1", "SVV-3"]),
    ("PATCH-1", &["SUM-5"]),
    ("PATCH-5", &["SUM-5"]),
    (
        "PATCH-DOC",
        &["SUM-1", "SUM-2", "SUM-3", "SUM-4", "DM-5", "SG-5"],
    ),
    ("DOC-1", &["SG-1", "SG-2", "SG-3", "SG-4", "SG-5", "SG-6"]),
    ("CERT-1", &["SM-1", "SVV-5"]),
];

/// Two catalog IDs to show as examples in messages and help (a component requirement and a
/// process requirement): `CR 3.5 or SVV-3`.
pub fn example_ids() -> String {
    match (ROBUSTNESS.first(), ROBUSTNESS.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} or {b}"),
        (Some(a), _) => a.to_string(),
        _ => "an ID listed by `otproof catalog list`".into(),
    }
}

const POLICY_TRACES_CSV: &str = include_str!("../data/policy_traces.csv");

/// The requirements a supplier specification's policy item (`SBOM-1`, `UPD-1`, `ROB-1`, ...)
/// cites, from `data/policy_traces.csv`, with `{type}` replaced by the component type's
/// prefix (`EDR 3.10 RE1` for an embedded device). Empty for an unknown item. Whether each
/// applies at the specification's SL-T is the caller's question.
pub fn policy_item(item: &str, component: ComponentType) -> Vec<String> {
    POLICY_TRACES_CSV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(','))
        .find(|(i, _)| *i == item)
        .map(|(_, ids)| {
            ids.split(';')
                .map(|id| id.trim().replace("{type}", component.requirement_prefix()))
                .filter(|id| !id.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Every policy item named in `data/policy_traces.csv`, in file order.
pub fn policy_items() -> Vec<&'static str> {
    POLICY_TRACES_CSV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(','))
        .map(|(i, _)| i)
        .filter(|i| *i != "item")
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::{Catalog, ComponentType};

    #[test]
    fn every_policy_trace_is_in_the_catalog_for_every_component_type() {
        let c = Catalog::builtin();
        let items = super::policy_items();
        assert_eq!(items.len(), 20);
        for t in ComponentType::ALL {
            for item in &items {
                let ids = super::policy_item(item, t);
                assert!(!ids.is_empty(), "{item}");
                for id in ids {
                    // A `{type}` row may not exist for every type (software applications
                    // have no SAR 3.10 RE1): the specification cites it only where it does.
                    // Every fixed ID must be in the catalog.
                    let templated = id.starts_with(t.requirement_prefix());
                    assert!(
                        templated || c.get(&id).is_some(),
                        "{item}: {id} is not in the catalog"
                    );
                }
            }
        }
        let upd = super::policy_item("UPD-1", ComponentType::NetworkDevice);
        assert!(upd.contains(&"NDR 3.10 RE1".to_string()), "{upd:?}");
        assert!(super::policy_item("NOPE-1", ComponentType::HostDevice).is_empty());
    }

    #[test]
    fn every_traced_id_is_in_the_catalog() {
        let c = Catalog::builtin();
        for id in super::ROBUSTNESS
            .iter()
            .chain(super::SBOM_CHECK)
            .chain(super::SBOM_FINDING)
            .chain(super::RELEASE)
            .chain(super::SIGNATURE_CHECK)
            .chain(super::UPDATE_APPROVAL)
            .chain(super::IDENTITY)
            .chain(super::CERTIFICATE)
            .chain(super::SUPPORT_STATEMENT)
            .chain(super::HARDENING_GUIDE)
            .chain(super::PATCH_POLICY)
            .chain(
                super::ACCEPTANCE_CRITERIA
                    .iter()
                    .flat_map(|(_, ids)| ids.iter()),
            )
        {
            assert!(c.get(id).is_some(), "{id} is not in the catalog");
        }
    }
}
