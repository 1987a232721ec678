//! otproof-vex: reads VEX documents and answers "does this VEX statement apply to
//! this vulnerability in this component (of this product)?".
//!
//! # What this crate owns
//!
//! * Parsing of three VEX families into one model, [`VexDocument`] made of
//!   [`Statement`]s, with auto-detection by content ([`parse`]):
//!   * CycloneDX VEX (JSON, and XML for the same subset): a BOM's
//!     `vulnerabilities[]` with `analysis` and `affects[]`
//!     (bom-refs or BOM-Links `urn:cdx:<serial>/<version>#<bom-ref>`,
//!     optionally with `versions[]` holding a `version` or a `vers:` `range`);
//!   * OpenVEX 0.2.0 and legacy 0.0.1 (`vulnerability` as a string, `products`
//!     as strings, statement-level `subcomponents`);
//!   * CSAF 2.0 documents (VEX profile `csaf_vex`; other categories are read
//!     too, with a problem noted): `product_tree` branches, full product names
//!     and relationships, `product_status`, `flags`, `threats`, `remediations`.
//! * Matching of statements against components ([`VexSet::resolve`]) and
//!   detection of contradicting statements ([`VexSet::conflicts`]).
//!
//! # Invariants
//!
//! * A statement is about a (vulnerability, product) pair. It is **never**
//!   applied by vulnerability id alone: [`VexSet::resolve`] returns a
//!   statement only if the vulnerability matches *and* a product identifier
//!   of the statement matches the component (or the product containing it).
//! * No I/O: every function works on bytes or values handed in.
//! * Parsing never panics, whatever the input; malformed required fields are
//!   a [`VexError`] naming the JSON path and what was expected, and
//!   tolerable oddities are listed in [`VexDocument::problems`].
//!
//! # Model choices
//!
//! * [`Statement::timestamp`] is the *effective* timestamp: the statement's
//!   own (OpenVEX `last_updated`, else `timestamp`; CycloneDX
//!   `analysis.lastUpdated`, else `analysis.firstIssued`), else the document's
//!   (OpenVEX `last_updated`/`timestamp`, CycloneDX `metadata.timestamp`, CSAF
//!   `tracking.current_release_date`).
//! * [`Statement::source`] is `<document id>#<path>`, e.g.
//!   `https://openvex.dev/docs/...#statements[2]`. A document without id
//!   gets `<format>:fnv64:<hash of the bytes>` so that sources stay distinct.
//! * OpenVEX 0.2.0 product entries carry their own subcomponents; products
//!   with identical subcomponent lists share one [`Statement`], others are
//!   split (`#statements[0].products[1]`).
//! * CycloneDX: `affects[]` entries without `versions` of one vulnerability form
//!   one statement (`#vulnerabilities[0]`); each `versions[]` entry becomes its
//!   own statement (`#vulnerabilities[0].affects[1].versions[0]`) with a
//!   [`VersionConstraint`]. A `versions[]` entry with status `affected` (the
//!   default) takes the status of `analysis.state` (or `affected` without
//!   analysis), `unaffected` gives `not_affected`, `unknown` is skipped (noted
//!   as a problem). A vulnerability without `analysis.state` and without
//!   version statuses is not a VEX statement (problem, skipped). Affects refs
//!   are [`ProductId::BomRef`] as written; if the document itself describes
//!   the referenced component, its purl/cpe are added. Justifications are kept
//!   as written (`code_not_present`, ...); `analysis.detail` becomes the
//!   impact statement of `not_affected` statements, otherwise the action
//!   statement, with `response[]` prefixed as `response: a, b.`
//! * CSAF: one statement per (vulnerability, product status entry). A
//!   relationship product (`X default_component_of Y`, and likewise for every
//!   relationship category) becomes product `Y` with subcomponent `X`. Product
//!   ids resolve to the helper's purl/cpe, else the product name.
//!   `known_affected`/`first_affected`/`last_affected` are `affected`,
//!   `fixed`/`first_fixed` are `fixed`; `recommended` is not a status.
//!   Justification = the flag label, impact = `impact` threat details,
//!   action = remediation details (group ids are expanded).
//!
//! # Matching rules ([`VexSet::resolve`])
//!
//! 1. Vulnerability: one of the given ids equals (case-insensitively) the
//!    statement's vulnerability or one of its aliases.
//! 2. Product identifiers, [`ProductId`] of the statement against a [`Target`]:
//!    * purl: same type, namespace and name; if the statement's purl has a
//!      version the target's must be equal (the target's purl version, else
//!      [`Target::version`]). **A statement purl without version matches every
//!      version.** Statement qualifiers must be a subset of the target's
//!      (same values); a statement subpath must be equal.
//!    * CPE (2.3 formatted string or 2.2 URI): same part, vendor and product
//!      (case-insensitive); the statement version `*`/empty matches all, any
//!      other version must equal the target's CPE version (or
//!      [`Target::version`] when the target CPE has none).
//!    * bom-ref: equal. A BOM-Link `urn:cdx:<serial>/<version>#<ref>` matches
//!      a plain target bom-ref by its fragment (the serial cannot be checked
//!      then), and a target bom-ref that is itself a BOM-Link (see
//!      [`bom_link`]) only with the same serial, version and fragment: pass
//!      BOM-Links as [`Target::bom_ref`] to resolve refs against a known BOM.
//!    * name: only statement products that have nothing but a name (CSAF
//!      products without helper, OpenVEX `@id`s that are neither purl nor
//!      CPE) compare, case-insensitively, with [`Target::name`].
//! 3. Statements with subcomponents apply when a subcomponent matches the
//!    component and (a statement product matches the given product, or no
//!    product is given). Statements without subcomponents are about their
//!    product as a whole: they apply when a statement product matches the
//!    component itself, or matches the given product (the vulnerability was
//!    found in a component of that product, as in CycloneDX use cases 6, 9
//!    and 13 where the affects refs are the products).
//! 4. A [`VersionConstraint`] (CycloneDX `versions[]`) must hold for the
//!    version of the matched target ([`Target::version`], else its purl
//!    version); without a known version the statement does not apply.
//!    Ranges use the `vers:` syntax (`vers:<scheme>/<c>|<c>...` with `=`, `!=`,
//!    `<`, `<=`, `>`, `>=` and `*`) evaluated with the vers containment
//!    algorithm, for every scheme, over one generic version comparison:
//!    versions split into numeric and alphanumeric segments at `.`, `-`, `_`,
//!    `+`, `~`, `:` and digit/letter boundaries; numbers compare numerically,
//!    text case-insensitively, a number sorts after text, trailing zero
//!    segments are ignored and extra text segments sort first (`1.0rc1 < 1.0`);
//!    a leading `v` and, for `semver`, build metadata are ignored. Scheme
//!    specific orderings (Debian epochs/tilde, RPM, Maven qualifiers) are not
//!    implemented beyond that.
//!
//! # Precedence ([`Resolution`])
//!
//! When several statements apply, the latest effective timestamp wins
//! (OpenVEX semantics); older dated statements are superseded. Statements
//! without a (parseable RFC 3339) timestamp cannot be ordered and compete
//! with the latest ones. If the competing statements disagree on the status,
//! the most cautious status wins (`affected` > `under_investigation` >
//! `fixed` > `not_affected`) and the others are returned in
//! [`Resolution::conflicting`]. [`VexSet::conflicts`] lists every (vulnerability,
//! product) with statements of different statuses, and names the timestamp
//! winner when there is one (an update rather than a contradiction).

use serde::Serialize;
use std::fmt;

mod csaf;
mod cyclonedx;
mod json;
mod matching;
mod openvex;
mod set;
mod xml;

pub use matching::{bom_link, compare_versions, VersRange};
pub use set::{Conflict, Resolution, Target, VexSet};

/// The VEX family a document was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    /// CycloneDX BOM/VEX (JSON or XML).
    #[serde(rename = "cyclonedx")]
    CycloneDx,
    /// OpenVEX 0.2.0 (and later compatible versions).
    #[serde(rename = "openvex")]
    OpenVex,
    /// OpenVEX 0.0.1 / unversioned context `https://openvex.dev/ns`.
    #[serde(rename = "openvex_legacy")]
    OpenVexLegacy,
    /// CSAF 2.0 (VEX profile).
    #[serde(rename = "csaf")]
    Csaf,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::CycloneDx => "CycloneDX",
            Format::OpenVex => "OpenVEX",
            Format::OpenVexLegacy => "OpenVEX 0.0.1",
            Format::Csaf => "CSAF",
        })
    }
}

/// Exploitability status of a vulnerability in a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not affected (CycloneDX `not_affected`, `false_positive`; CSAF `known_not_affected`).
    NotAffected,
    /// Affected (CycloneDX `exploitable`; CSAF `known_affected`).
    Affected,
    /// Fixed (CycloneDX `resolved`, `resolved_with_pedigree`; CSAF `fixed`, `first_fixed`).
    Fixed,
    /// Under investigation (CycloneDX `in_triage`).
    UnderInvestigation,
}

impl Status {
    /// The OpenVEX spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }

    /// Parses the OpenVEX spelling.
    pub fn from_openvex(s: &str) -> Option<Status> {
        Some(match s {
            "not_affected" => Status::NotAffected,
            "affected" => Status::Affected,
            "fixed" => Status::Fixed,
            "under_investigation" => Status::UnderInvestigation,
            _ => return None,
        })
    }

    /// Maps a CycloneDX `analysis.state`.
    pub fn from_cyclonedx_state(s: &str) -> Option<Status> {
        Some(match s {
            "not_affected" | "false_positive" => Status::NotAffected,
            "exploitable" => Status::Affected,
            "resolved" | "resolved_with_pedigree" => Status::Fixed,
            "in_triage" => Status::UnderInvestigation,
            _ => return None,
        })
    }

    /// Higher is more cautious; used to break ties between competing statements.
    pub(crate) fn caution(self) -> u8 {
        match self {
            Status::Affected => 3,
            Status::UnderInvestigation => 2,
            Status::Fixed => 1,
            Status::NotAffected => 0,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An identifier of a product or component as written in a statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum ProductId {
    /// Package URL, canonical form.
    Purl(String),
    /// CPE 2.3 formatted string or CPE 2.2 URI, as written.
    Cpe(String),
    /// CycloneDX bom-ref or BOM-Link, as written.
    BomRef(String),
    /// A bare product name (only when nothing else identifies the product).
    Name(String),
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProductId::Purl(s) | ProductId::Cpe(s) | ProductId::BomRef(s) => f.write_str(s),
            ProductId::Name(s) => write!(f, "name:{s}"),
        }
    }
}

/// Version restriction of a statement (CycloneDX `affects[].versions[]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum VersionConstraint {
    /// One version (`versions[].version`), compared for equality.
    Exact(String),
    /// A `vers:` range (`versions[].range`), as written.
    Range(String),
}

impl fmt::Display for VersionConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionConstraint::Exact(v) => write!(f, "@{v}"),
            VersionConstraint::Range(r) => write!(f, "@{r}"),
        }
    }
}

/// One VEX statement: the status of one vulnerability in some product(s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// Primary vulnerability id (e.g. `CVE-2023-1255`).
    pub vulnerability: String,
    /// Other ids of the same vulnerability.
    pub aliases: Vec<String>,
    /// What the statement is about (top-level product(s)).
    pub products: Vec<ProductId>,
    /// OpenVEX subcomponents (CSAF: the component side of a relationship); empty = the product itself.
    pub subcomponents: Vec<ProductId>,
    /// The status.
    pub status: Status,
    /// Justification (OpenVEX names normalised, CycloneDX as written, CSAF flag label).
    pub justification: Option<String>,
    /// Why the product is not affected.
    pub impact_statement: Option<String>,
    /// What to do about it.
    pub action_statement: Option<String>,
    /// Effective timestamp (statement's own, else the document's), as written.
    pub timestamp: Option<String>,
    /// `<document id>#<path>`.
    pub source: String,
    /// Versions of the products the statement is restricted to (CycloneDX `versions[]`).
    pub version_constraint: Option<VersionConstraint>,
}

/// A parsed VEX document.
#[derive(Debug, Clone, Serialize)]
pub struct VexDocument {
    /// Detected format.
    pub format: Format,
    /// Document id (OpenVEX `@id`, CycloneDX `serialNumber`, CSAF `tracking.id`).
    pub id: Option<String>,
    /// Author / publisher.
    pub author: Option<String>,
    /// Document timestamp.
    pub timestamp: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
    /// Tolerated deviations (skipped entries, unknown justifications, ...).
    pub problems: Vec<String>,
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum VexError {
    /// Neither JSON nor well-formed XML.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// Well-formed but not a recognised VEX format.
    #[error("unrecognised document: {0}")]
    Unrecognized(String),
    /// A field has the wrong type or value.
    #[error("{path}: expected {expected}, found {found}")]
    Invalid {
        /// JSON path, e.g. `statements[1].status`.
        path: String,
        /// What was expected.
        expected: String,
        /// What was found (`'value'`, `a number`, `nothing`, ...).
        found: String,
    },
}

/// Parses a VEX document, detecting the format by content.
///
/// JSON: CycloneDX (`bomFormat: CycloneDX`), OpenVEX (`@context` under
/// `https://openvex.dev/ns`), CSAF (`document.csaf_version` or
/// `document.category`). XML: a CycloneDX BOM.
pub fn parse(bytes: &[u8]) -> Result<VexDocument, VexError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let fallback_id =
        |format: Format| format!("{}:fnv64:{:016x}", format_tag(format), fnv64(bytes));
    if first == Some(&b'<') {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| VexError::Syntax(format!("XML is not UTF-8: {e}")))?;
        let value = xml::cyclonedx_xml_to_json(text)?;
        return cyclonedx::parse(&value, &fallback_id(Format::CycloneDx));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| VexError::Syntax(e.to_string()))?;
    let Some(obj) = value.as_object() else {
        return Err(VexError::Invalid {
            path: "$".into(),
            expected: "a JSON object".into(),
            found: json::describe(Some(&value)),
        });
    };
    if obj.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX")
        || (obj.contains_key("specVersion") && obj.contains_key("vulnerabilities"))
    {
        return cyclonedx::parse(&value, &fallback_id(Format::CycloneDx));
    }
    if let Some(ctx) = openvex::context(obj) {
        let format = if openvex::is_legacy_context(&ctx) {
            Format::OpenVexLegacy
        } else {
            Format::OpenVex
        };
        return openvex::parse(obj, format, &fallback_id(format));
    }
    if let Some(doc) = obj.get("document").and_then(|d| d.as_object()) {
        if doc.contains_key("csaf_version") || doc.contains_key("category") {
            return csaf::parse(obj, &fallback_id(Format::Csaf));
        }
    }
    Err(VexError::Unrecognized(
        "expected a CycloneDX BOM (bomFormat), an OpenVEX document (@context https://openvex.dev/ns...) or a CSAF document (document.csaf_version)".into(),
    ))
}

fn format_tag(f: Format) -> &'static str {
    match f {
        Format::CycloneDx => "cyclonedx",
        Format::OpenVex => "openvex",
        Format::OpenVexLegacy => "openvex",
        Format::Csaf => "csaf",
    }
}

fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
