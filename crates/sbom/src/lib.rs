//! `otproof-sbom` reads the SBOM formats met in the field and normalises them to one
//! component model.
//!
//! Owned here:
//! * readers for CycloneDX JSON (1.2–1.6) and XML (1.0–1.6), SPDX 2.2/2.3 JSON and
//!   SPDX 2.2/2.3 tag-value, with format auto-detection ([`parse`], [`parse_as`]);
//! * the normalised model ([`Document`], [`Component`], [`Hash`], [`Dependency`],
//!   [`Problem`]);
//! * a package-URL parser/printer ([`Purl`]);
//! * the NTIA minimum-elements check ([`ntia()`]);
//! * a synthetic CycloneDX generator for benchmarks and tests ([`generate`]).
//!
//! Invariants:
//! * **A component is never dropped.** Anything odd about a component (malformed purl,
//!   duplicate `bom-ref`, unknown hash algorithm, missing name) is recorded as a
//!   [`Problem`] and the component is kept as written.
//! * **Never panics on input.** Every input byte string yields `Ok` or an
//!   [`SbomError`] that says where (JSON path, XML element and byte offset, or
//!   tag-value line) and what was expected. Nesting is bounded ([`MAX_COMPONENT_DEPTH`],
//!   [`MAX_XML_DEPTH`]); XML `DOCTYPE` declarations are refused, so entities are never
//!   expanded.
//! * **No I/O, no network.** Functions take bytes and return values; callers read
//!   files and add the file name to errors.
//!
//! Normalisation choices (documented once here):
//! * `Component::supplier`: CycloneDX `supplier.name`, else `manufacturer.name` (1.6),
//!   else `publisher`; `author` is *not* used as a supplier. SPDX `supplier` with the
//!   `Organization: ` / `Person: ` prefix and an empty trailing `()` removed;
//!   `NOASSERTION` becomes `None`.
//! * `Component::licenses`: CycloneDX license ids, names and expressions in document
//!   order; SPDX `licenseDeclared` then `licenseConcluded` (packages) or
//!   `licenseConcluded` (files), skipping `NOASSERTION`/`NONE` and duplicates.
//! * `Document::authors`: CycloneDX `metadata.authors[].name` (or email) plus
//!   `metadata.manufacture`/`metadata.manufacturer` name; SPDX `Person:` and
//!   `Organization:` creators. Tools go to `Document::tools` only.
//! * SPDX: packages and files both become components (kind = lower-cased
//!   `primaryPackagePurpose`, else `"package"`; files `"file"`). The subject is the
//!   first described *package* (else the first described element). Relationship types
//!   that express dependency or containment become [`Dependency`] edges (`*_OF` and
//!   `CONTAINED_BY` reversed); `hasFiles` (JSON) and "files following a package"
//!   (tag-value) become `CONTAINS` edges. Edges touching the document itself,
//!   `NOASSERTION`/`NONE` or external `DocumentRef-…` elements are not edges.
//! * Dependency edges are de-duplicated, keeping first occurrence order.

mod common;
pub mod cyclonedx_json;
pub mod cyclonedx_xml;
pub mod generate;
pub mod ntia;
pub mod purl;
mod spdx_common;
pub mod spdx_json;
pub mod spdx_tv;

use serde::Serialize;
use std::fmt;

pub use ntia::{ntia, NtiaElement, NtiaReport};
pub use purl::{Purl, PurlError};

/// Maximum nesting of `components` inside components; deeper input is an error.
pub const MAX_COMPONENT_DEPTH: usize = 64;
/// Maximum XML element nesting; deeper input is an error.
pub const MAX_XML_DEPTH: usize = 256;

/// The SBOM serialisations this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    CycloneDxJson,
    CycloneDxXml,
    SpdxJson,
    SpdxTagValue,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::CycloneDxJson => "CycloneDX JSON",
            Format::CycloneDxXml => "CycloneDX XML",
            Format::SpdxJson => "SPDX JSON",
            Format::SpdxTagValue => "SPDX tag-value",
        })
    }
}

/// A parsed SBOM, normalised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub format: Format,
    /// "1.4" for CycloneDX, "SPDX-2.3" for SPDX.
    pub spec_version: String,
    /// CycloneDX `serialNumber` / SPDX `documentNamespace`.
    pub serial: Option<String>,
    /// SPDX document name / CycloneDX `metadata.component.name`.
    pub name: Option<String>,
    /// `metadata.timestamp` / `creationInfo.created`.
    pub created: Option<String>,
    pub authors: Vec<String>,
    pub tools: Vec<String>,
    /// CycloneDX `metadata.component`; SPDX the first package the document describes.
    pub subject: Option<Component>,
    /// All components, nested ones flattened (see [`Component::path`]), document order;
    /// the subject is not included.
    pub components: Vec<Component>,
    pub dependencies: Vec<Dependency>,
    /// Non-fatal issues found while reading.
    pub problems: Vec<Problem>,
}

/// One component (CycloneDX component, SPDX package or file).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Component {
    /// `bom-ref` / `SPDXID`; generated `otproof:component/<index>` when absent.
    pub bom_ref: String,
    /// CycloneDX `type`; SPDX lower-cased `primaryPackagePurpose`, `"package"` or `"file"`.
    pub kind: String,
    pub group: Option<String>,
    pub name: String,
    pub version: Option<String>,
    /// Parsed purl (None when absent or malformed).
    pub purl: Option<Purl>,
    /// Purl as written, kept even when malformed.
    pub purl_raw: Option<String>,
    /// CPE 2.3 formatted string or 2.2 URI, as written.
    pub cpe: Option<String>,
    pub hashes: Vec<Hash>,
    pub supplier: Option<String>,
    pub licenses: Vec<String>,
    /// bom_refs of ancestors for nested components (empty at top level).
    pub path: Vec<String>,
    /// Other unique identifiers as (type, value): CycloneDX `swid.tagId` as
    /// ("swid", tagId); SPDX external references other than purl/CPE as
    /// (referenceType, referenceLocator).
    pub other_ids: Vec<(String, String)>,
}

/// A checksum.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Hash {
    /// Normalised algorithm name: "SHA-256", "SHA-1", "MD5", "SHA3-256", "BLAKE2b-256", ...
    pub alg: String,
    /// Lower-case hex.
    pub value: String,
}

/// A dependency edge: `from` depends on (or contains) `to`; both are bom_refs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Dependency {
    pub from: String,
    pub to: String,
}

/// A non-fatal issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// e.g. "components[12].purl", "bom/components/component[3] (byte 1234)", "line 40".
    pub location: String,
    pub message: String,
}

/// Longest location kept in a problem (JSON keys on the path come from the document).
const LOCATION_MAX: usize = 400;
/// Longest message kept in a problem.
const MESSAGE_MAX: usize = 1000;

impl Problem {
    /// A problem whose text is safe for a terminal and a one-line report: the document's own
    /// text in it (keys, names, values) cannot carry control characters, newlines or megabytes.
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            location: otproof_text::quote_max(&location.into(), LOCATION_MAX),
            message: otproof_text::quote_max(&message.into(), MESSAGE_MAX),
        }
    }
}

/// Why a document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum SbomError {
    /// The bytes are not any of the supported formats.
    #[error("not a recognised SBOM: {}", otproof_text::quote_max(.0, MESSAGE_MAX))]
    UnknownFormat(String),
    /// JSON syntax error.
    #[error("invalid JSON at line {line}, column {column}: {}", otproof_text::quote_max(.message, MESSAGE_MAX))]
    JsonSyntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// XML syntax error or refused construct.
    #[error("invalid XML at byte {offset}: {}", otproof_text::quote_max(.message, MESSAGE_MAX))]
    XmlSyntax { offset: u64, message: String },
    /// Structure error: the location says where, the message what was expected.
    #[error("{}: {}", otproof_text::quote_max(.location, LOCATION_MAX), otproof_text::quote_max(.message, MESSAGE_MAX))]
    Invalid { location: String, message: String },
}

/// Parses an SBOM, detecting its format from the content.
pub fn parse(bytes: &[u8]) -> Result<Document, SbomError> {
    let format = detect(bytes)?;
    parse_as(bytes, format)
}

/// Parses an SBOM in a given format.
pub fn parse_as(bytes: &[u8], format: Format) -> Result<Document, SbomError> {
    match format {
        Format::CycloneDxJson => cyclonedx_json::parse(bytes),
        Format::CycloneDxXml => cyclonedx_xml::parse(bytes),
        Format::SpdxJson => spdx_json::parse(bytes),
        Format::SpdxTagValue => spdx_tv::parse(bytes),
    }
}

/// Detects the format from the content.
pub fn detect(bytes: &[u8]) -> Result<Format, SbomError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = bytes.get(start..).unwrap_or_default();
    match rest.first() {
        None => Err(SbomError::UnknownFormat("the input is empty".into())),
        Some(b'{') => {
            // Look for the distinguishing keys near the top without a full parse.
            let head = rest.get(..rest.len().min(1 << 20)).unwrap_or(rest);
            let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
            let cdx = has(b"\"bomFormat\"");
            let spdx = has(b"\"spdxVersion\"");
            match (cdx, spdx) {
                (true, false) => Ok(Format::CycloneDxJson),
                (false, true) => Ok(Format::SpdxJson),
                (true, true) => {
                    // Both words appear (e.g. inside a string): decide on the real keys.
                    let v: serde_json::Value =
                        serde_json::from_slice(bytes).map_err(common::json_syntax)?;
                    if v.get("bomFormat").is_some() {
                        Ok(Format::CycloneDxJson)
                    } else {
                        Ok(Format::SpdxJson)
                    }
                }
                (false, false) => {
                    if has(b"\"@context\"") && has(b"spdx.org/rdf/3") {
                        Err(SbomError::UnknownFormat(
                            "SPDX 3.0 JSON-LD is not supported yet".into(),
                        ))
                    } else {
                        Err(SbomError::UnknownFormat(
                            "JSON object without \"bomFormat\" (CycloneDX) or \"spdxVersion\" (SPDX)"
                                .into(),
                        ))
                    }
                }
            }
        }
        Some(b'<') => Ok(Format::CycloneDxXml),
        Some(_) => {
            // Tag-value: first non-comment, non-blank line must be "SPDXVersion:".
            let text =
                String::from_utf8_lossy(rest.get(..rest.len().min(64 * 1024)).unwrap_or(rest));
            for line in text.lines() {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                if t.starts_with("SPDXVersion:") {
                    return Ok(Format::SpdxTagValue);
                }
                break;
            }
            Err(SbomError::UnknownFormat(
                "expected a JSON object, an XML <bom> or SPDX tag-value starting with 'SPDXVersion:'"
                    .into(),
            ))
        }
    }
}

#[cfg(test)]
mod problem_text_tests {
    use super::*;

    #[test]
    fn problems_from_hostile_text_are_one_short_safe_line() {
        let name = format!(
            "x\u{1b}[2K\r\nok all checks passed\u{9b}{}",
            "y".repeat(1 << 20)
        );
        let p = Problem::new(
            format!("components.{name}"),
            format!("unknown tag '{name}'"),
        );
        for s in [&p.location, &p.message] {
            assert!(!s.chars().any(char::is_control), "{s}");
            assert!(s.contains("\\x1b[2K\\r\\n"), "{s}");
            assert!(s.chars().count() < 1100, "{}", s.len());
        }
        let e = SbomError::Invalid {
            location: name.clone(),
            message: name,
        }
        .to_string();
        assert!(
            !e.chars().any(char::is_control) && e.len() < 3000,
            "{}",
            e.len()
        );
    }
}
