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

/// A signature or provenance check made by otproof (DSSE, Sigstore, CMS, TUF, in-toto layout):
/// the software's integrity and authenticity (CR 3.4, CR 3.4 RE1).
pub const SIGNATURE_CHECK: &[&str] = &["CR 3.4", "CR 3.4 RE1"];

/// An update approval: the update was qualified (SUM-1) and delivered authentically (SUM-4);
/// the installed software's integrity (CR 3.4).
pub const UPDATE_APPROVAL: &[&str] = &["SUM-1", "SUM-4", "CR 3.4"];

/// A device or agent identity bound to a vendor-signed statement (CR 1.2: software process and
/// device identification and authentication).
pub const IDENTITY: &[&str] = &["CR 1.2"];

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
            .chain(super::SIGNATURE_CHECK)
            .chain(super::UPDATE_APPROVAL)
            .chain(super::IDENTITY)
        {
            assert!(c.get(id).is_some(), "{id} is not in the catalog");
        }
    }
}
