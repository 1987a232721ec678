//! CISA Known Exploited Vulnerabilities catalog (`known_exploited_vulnerabilities.json`).

use serde::{Deserialize, Serialize};

/// The catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevCatalog {
    /// `title`.
    #[serde(default)]
    pub title: Option<String>,
    /// `catalogVersion`.
    #[serde(default)]
    pub catalog_version: Option<String>,
    /// `dateReleased` (RFC 3339).
    #[serde(default)]
    pub date_released: Option<String>,
    /// `count`.
    #[serde(default)]
    pub count: Option<u64>,
    /// `vulnerabilities`.
    pub vulnerabilities: Vec<KevEntry>,
}

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevEntry {
    /// `cveID`.
    #[serde(rename = "cveID")]
    pub cve_id: String,
    /// `vendorProject`.
    #[serde(default)]
    pub vendor_project: String,
    /// `product`.
    #[serde(default)]
    pub product: String,
    /// `vulnerabilityName`.
    #[serde(default)]
    pub vulnerability_name: String,
    /// `dateAdded` (YYYY-MM-DD).
    #[serde(default)]
    pub date_added: String,
    /// `shortDescription`.
    #[serde(default)]
    pub short_description: String,
    /// `requiredAction`.
    #[serde(default)]
    pub required_action: String,
    /// `dueDate`.
    #[serde(default)]
    pub due_date: String,
    /// `knownRansomwareCampaignUse` ("Known" / "Unknown").
    #[serde(default)]
    pub known_ransomware_campaign_use: String,
    /// `notes`.
    #[serde(default)]
    pub notes: String,
    /// `cwes`.
    #[serde(default)]
    pub cwes: Vec<String>,
}

/// Does this JSON value look like a KEV catalog?
pub fn looks_like(v: &serde_json::Value) -> bool {
    v.get("catalogVersion").is_some() && v.get("vulnerabilities").is_some_and(|x| x.is_array())
}

/// Parse a catalog; an entry without a `cveID` string is an error naming its index.
pub fn parse(v: &serde_json::Value) -> Result<KevCatalog, String> {
    if let Some(list) = v.get("vulnerabilities").and_then(|x| x.as_array()) {
        for (i, e) in list.iter().enumerate() {
            if e.get("cveID")
                .and_then(|c| c.as_str())
                .is_none_or(|c| c.trim().is_empty())
            {
                return Err(format!(
                    "vulnerabilities[{i}].cveID: missing; expected a CVE ID string"
                ));
            }
        }
    }
    KevCatalog::deserialize(v).map_err(|e| format!("KEV catalog: {e}"))
}
