//! Which catalog requirements each kind of otproof evidence supports: our mapping, kept in
//! one place so every producer and renderer cites the same IDs (checked against the catalog
//! by a test).

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

#[cfg(test)]
mod tests {
    use crate::Catalog;

    #[test]
    fn every_traced_id_is_in_the_catalog() {
        let c = Catalog::builtin();
        for id in super::ROBUSTNESS
            .iter()
            .chain(super::SBOM_CHECK)
            .chain(super::SBOM_FINDING)
            .chain(super::RELEASE)
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
