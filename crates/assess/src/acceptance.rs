//! Product acceptance: may the buyer accept this product version on the evidence package its
//! supplier delivered?
//!
//! Three inputs, one output:
//! - a [`PackageManifest`] ([`parse_package`]): what the supplier says is in the package
//!   (SBOM, VEX, signed firmware, robustness campaigns, certificates, support statement,
//!   hardening guide, patch policy), as paths relative to the manifest;
//! - [`Criteria`] ([`default_criteria`], [`parse_criteria`], [`parse_criteria_over`]): what
//!   the buyer requires, each criterion traced to catalog requirement IDs, and the exceptions
//!   the buyer has agreed to;
//! - [`PackageFacts`]: what the caller established from the files with otproof's own checks
//!   (SBOM policy check, signature verification, robustness campaign evidence, ...). This
//!   module reads no file and takes no date from a clock: `today` is an argument.
//!
//! [`decide`] returns an [`AcceptanceResult`]: an `otproof_evidence::Decision` plus warnings
//! and the known limitations of the check.
//!
//! # The rules, precisely
//!
//! **Each criterion** is evaluated on the facts alone and passes or fails:
//!
//! | kind | passes when |
//! |---|---|
//! | `sbom-policy-passed` | an SBOM fact exists and its policy check passed |
//! | `no-open-kev` | an SBOM fact exists and no open vulnerability is in a KEV list |
//! | `no-unaddressed-high-vulns` | an SBOM fact exists and every open high or critical vulnerability has a VEX statement |
//! | `signature-verified` | a signature fact exists and it verified |
//! | `robustness-evidence` | for every listed protocol (or, with none listed, for at least one) there is a campaign with at least one test case, and no matching campaign has an open crash or hang finding; open conformance findings are reported, not failed |
//! | `certificate-valid` | at least one certificate (of the scheme, when one is named; case-insensitive) is plausible ([`certificate_problems`] finds nothing: register number, issuer, known scheme, expiry at most [`MAX_CERTIFICATE_YEARS`] years ahead, scope naming the product or vendor, usable file) and expires on or after `today` |
//! | `support-until` | the stated end of support is on or after `today` plus `min_years` years |
//! | `document-present` | a document fact with that `what` (case-insensitive) is present and has no `problem` (the caller checks the file with [`check_document`]: not empty, PDF or text with words) |
//!
//! **Manifest paths** must be relative and stay inside the package folder: [`parse_package`]
//! refuses an absolute path or a `..` component ([`path_problem`]) with the field's name, line
//! and column; the caller resolves symbolic links and refuses any path whose canonical form
//! leaves the folder.
//!
//! Protocol names are compared ignoring case and everything but letters and digits, so
//! `Modbus/TCP`, `modbus-tcp` and `MODBUS_TCP` are the same protocol.
//!
//! **Exceptions.** A failed *required* criterion becomes `exception` when the criteria list an
//! exception with the same criterion ID whose `until` is absent or not before `today` (the
//! `until` day itself still counts). The first such exception in the list is applied and
//! copied, with its owner, into the decision. An exception whose `until` has passed is not
//! applied (a warning says so); neither is one for a criterion that passed or is optional.
//!
//! **Decision.** Any required criterion still failed: `reject`. Otherwise any exception
//! applied: `accept-with-exceptions`. Otherwise `accept`. An *optional* criterion not met is
//! recorded as `not-applicable` (its description says "optional, not met"), counted apart
//! from the failures (`summary.optional_not_met`), gives a warning, and never changes the
//! decision; the payload lists the optional criteria.
//!
//! **Warnings.** The end of support and every certificate's expiry that is already past, or
//! within `warn_days_before_eos` days of `today` (inclusive); exceptions not applied; failed
//! optional criteria.
//!
//! **Dates** are `YYYY-MM-DD` in the proleptic Gregorian calendar. "N years after D" is the
//! same month and day N years later; 29 February becomes 28 February in a common year. If
//! `today` itself is not a valid date, every date-based criterion fails and no exception
//! with an `until` applies.
//!
//! **Facts the caller supplies** (the CLI, from the manifest's files): `sbom` from
//! `otproof sbom check` of the SBOM with the package's VEX; `signature` from verifying
//! `firmware` against `envelope` with `vendor_key`; one [`RobustnessFact`] per campaign
//! `evidence.json`; one [`CertificateFact`] per certificate entry; one [`DocumentFact`] each
//! for [`DOC_SUPPORT_STATEMENT`], [`DOC_HARDENING_GUIDE`] and [`DOC_PATCH_POLICY`] (present
//! when the file named exists); `end_of_support` from `support.end_of_support`. A fact left
//! out fails the criteria that need it; it is never assumed. A fact whose record the caller
//! could not prove in the store's log is left out, and named in `unproven`: each becomes a
//! warning.
//!
//! **Traceability.** Every criterion carries catalog requirement IDs (`refs`): taken from the
//! specification's policy item of the same ID when [`default_criteria`] is given one, else
//! from the default set documented on [`default_criteria`]. The decision's `requirements`
//! are the union of the refs of its criteria, in criterion order.

use jiff::civil::Date;
use otproof_catalog::{Catalog, ComponentType};
use otproof_evidence::payload::acceptance::{
    AcceptancePayload, CertificateListed, CriteriaSummary,
};
use otproof_evidence::{
    Criterion, CriterionResult, Decision, Exception, Payload, RecordId, Subject, Verdict,
};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};
use std::fmt;

use crate::spec::Specification;

/// `what` of the hardening guide document.
pub const DOC_HARDENING_GUIDE: &str = "hardening guide";
/// `what` of the patch policy document.
pub const DOC_PATCH_POLICY: &str = "patch policy";
/// `what` of the support statement document.
pub const DOC_SUPPORT_STATEMENT: &str = "support statement";

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// A package manifest or criteria file that cannot be used: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// `package manifest` or `criteria`.
    pub input: &'static str,
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}, line {}, column {}: {}",
                self.input, self.line, self.column, self.message
            )
        } else {
            write!(f, "{}: {}", self.input, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

/// Why a package manifest cannot be read.
pub type PackageError = ParseError;
/// Why a criteria file cannot be read.
pub type CriteriaError = ParseError;

const MANIFEST: &str = "package manifest";
const CRITERIA: &str = "criteria";

fn at(input: &'static str, loc: &Location, message: impl Into<String>) -> ParseError {
    ParseError {
        input,
        line: loc.line(),
        column: loc.column(),
        message: message.into(),
    }
}

/// Hints appended to serde's "missing field" messages, by field name.
fn missing_hint(input: &'static str, field: &str) -> Option<&'static str> {
    match (input, field) {
        (MANIFEST, "product" | "vendor" | "version" | "component_type") => Some(
            "expected product, vendor, version and component_type at the top of the manifest",
        ),
        (MANIFEST, "scheme" | "scope" | "number" | "expires") => Some(
            "expected every certificate to have scheme, scope, number and expires (YYYY-MM-DD); file, issuer and issued (YYYY-MM-DD) are optional",
        ),
        (MANIFEST, "end_of_support") => {
            Some("expected support to have end_of_support (YYYY-MM-DD); statement is optional")
        }
        (CRITERIA, "id") => Some("expected every item to have an id"),
        (CRITERIA, "criterion" | "justification" | "owner") => Some(
            "expected every exception to have criterion, justification and owner; until (YYYY-MM-DD) is optional",
        ),
        _ => None,
    }
}

fn yaml_error(input: &'static str, text: &str, e: &serde_saphyr::Error) -> ParseError {
    if text.trim().is_empty() {
        return ParseError {
            input,
            line: 1,
            column: 1,
            message: match input {
                MANIFEST => "the manifest is empty: expected a mapping with product, vendor, version and component_type".into(),
                _ => "the criteria file is empty: expected a mapping with any of base, drop, items, exceptions, warn_days_before_eos".into(),
            },
        };
    }
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    let rendered = e.to_string();
    let first = rendered.lines().next().unwrap_or("").trim();
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_string();
    if message.starts_with("line ") {
        if let Some((_, rest)) = message.split_once(": ") {
            message = rest.to_string();
        }
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        if let Some(hint) = missing_hint(input, field) {
            message = format!("{message}: {hint}");
        }
    }
    ParseError {
        input,
        line,
        column,
        message,
    }
}

// ---------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------

/// `YYYY-MM-DD` (exactly that shape), checked against the calendar by jiff.
fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u16> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// True when `s` is a real day written `YYYY-MM-DD` (e.g. `2026-11-26`; not `2026-13-45`,
/// not `tomorrow`).
pub fn is_date(s: &str) -> bool {
    parse_date(s).is_some()
}

/// Days since 1970-01-01.
fn day_number(date: Date) -> i64 {
    date.duration_since(Date::constant(1970, 1, 1)).as_secs() / 86_400
}

fn days(s: &str) -> Option<i64> {
    parse_date(s).map(day_number)
}

/// `n` years later, the day clamped to the month (02-29 becomes 02-28); `None` after 9999.
fn add_years(date: Date, n: u32) -> Option<Date> {
    date.checked_add(jiff::Span::new().try_years(i64::from(n)).ok()?)
        .ok()
}

fn ymd(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

fn check_date(input: &'static str, s: &Spanned<String>, what: &str) -> Result<(), ParseError> {
    if parse_date(s.value.trim()).is_some() {
        Ok(())
    } else {
        Err(at(
            input,
            &s.referenced,
            format!(
                "{what} '{}' is not a date: expected YYYY-MM-DD, e.g. 2036-12-31",
                s.value
            ),
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Package manifest
// ---------------------------------------------------------------------------------------

/// A certificate the package lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateEntry {
    /// The certificate document, relative to the manifest, if delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Certification scheme, e.g. `IECEE`, `ISASecure`.
    pub scheme: String,
    /// Certification body that issued it, e.g. `TÜV Rheinland`, `exida`. A certificate
    /// without one does not count for `certificate-valid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Day of issue, YYYY-MM-DD, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// What it covers, e.g. `IEC 62443-4-1 process, ML 2`.
    pub scope: String,
    /// Certificate number.
    pub number: String,
    /// Expiry, YYYY-MM-DD.
    pub expires: String,
}

/// The vendor's support commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportEntry {
    /// Last day of security support for this version, YYYY-MM-DD.
    pub end_of_support: String,
    /// The signed or published support statement, relative to the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// A supplier's evidence package, as its manifest describes it. Paths are relative to the
/// manifest's directory; the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageManifest {
    /// Product name.
    pub product: String,
    /// Vendor name.
    pub vendor: String,
    /// Product version the package is for.
    pub version: String,
    /// IEC 62443-4-2 component type.
    pub component_type: ComponentType,
    /// SBOM (CycloneDX or SPDX JSON).
    pub sbom: Option<String>,
    /// VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX).
    pub vex: Vec<String>,
    /// Firmware image of the signed release.
    pub firmware: Option<String>,
    /// DSSE envelope with the signed release statement.
    pub envelope: Option<String>,
    /// Vendor public key that verifies the envelope.
    pub vendor_key: Option<String>,
    /// otproof robustness campaign `evidence.json` files.
    pub robustness: Vec<String>,
    /// Certificates.
    pub certificates: Vec<CertificateEntry>,
    /// Support commitment.
    pub support: Option<SupportEntry>,
    /// Hardening guide.
    pub hardening_guide: Option<String>,
    /// Patch policy.
    pub patch_policy: Option<String>,
}

impl PackageManifest {
    /// Every file the manifest names, with its role (`sbom`, `vex`, `firmware`, `envelope`,
    /// `vendor_key`, `robustness`, `certificate`, `support statement`, `hardening guide`,
    /// `patch policy`), in manifest order.
    pub fn files(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let Some(p) = &self.sbom {
            out.push(("sbom", p.as_str()));
        }
        out.extend(self.vex.iter().map(|p| ("vex", p.as_str())));
        for (role, p) in [
            ("firmware", &self.firmware),
            ("envelope", &self.envelope),
            ("vendor_key", &self.vendor_key),
        ] {
            if let Some(p) = p {
                out.push((role, p.as_str()));
            }
        }
        out.extend(self.robustness.iter().map(|p| ("robustness", p.as_str())));
        out.extend(
            self.certificates
                .iter()
                .filter_map(|c| c.file.as_deref())
                .map(|p| ("certificate", p)),
        );
        if let Some(p) = self.support.as_ref().and_then(|s| s.statement.as_deref()) {
            out.push((DOC_SUPPORT_STATEMENT, p));
        }
        if let Some(p) = &self.hardening_guide {
            out.push((DOC_HARDENING_GUIDE, p.as_str()));
        }
        if let Some(p) = &self.patch_policy {
            out.push((DOC_PATCH_POLICY, p.as_str()));
        }
        out
    }

    /// Every file the manifest names with the manifest field that names it (`sbom`,
    /// `vex[0]`, `firmware`, `envelope`, `vendor_key`, `robustness[0]`,
    /// `certificates[0].file`, `support.statement`, `hardening_guide`, `patch_policy`), in
    /// manifest order.
    pub fn fields(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        if let Some(p) = &self.sbom {
            out.push(("sbom".into(), p.as_str()));
        }
        for (i, p) in self.vex.iter().enumerate() {
            out.push((format!("vex[{i}]"), p.as_str()));
        }
        for (field, p) in [
            ("firmware", &self.firmware),
            ("envelope", &self.envelope),
            ("vendor_key", &self.vendor_key),
        ] {
            if let Some(p) = p {
                out.push((field.into(), p.as_str()));
            }
        }
        for (i, p) in self.robustness.iter().enumerate() {
            out.push((format!("robustness[{i}]"), p.as_str()));
        }
        for (i, c) in self.certificates.iter().enumerate() {
            if let Some(p) = &c.file {
                out.push((format!("certificates[{i}].file"), p.as_str()));
            }
        }
        if let Some(p) = self.support.as_ref().and_then(|s| s.statement.as_deref()) {
            out.push(("support.statement".into(), p));
        }
        if let Some(p) = &self.hardening_guide {
            out.push(("hardening_guide".into(), p.as_str()));
        }
        if let Some(p) = &self.patch_policy {
            out.push(("patch_policy".into(), p.as_str()));
        }
        out
    }

    /// True when the package names a signed release (firmware, envelope and key).
    pub fn has_signed_release(&self) -> bool {
        self.firmware.is_some() && self.envelope.is_some() && self.vendor_key.is_some()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCertificate {
    #[serde(default)]
    file: Option<Spanned<String>>,
    scheme: Spanned<String>,
    #[serde(default)]
    issuer: Option<Spanned<String>>,
    #[serde(default)]
    issued: Option<Spanned<String>>,
    scope: Spanned<String>,
    number: Spanned<String>,
    expires: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupport {
    end_of_support: Spanned<String>,
    #[serde(default)]
    statement: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    product: Spanned<String>,
    vendor: Spanned<String>,
    version: Spanned<String>,
    component_type: Spanned<String>,
    #[serde(default)]
    sbom: Option<Spanned<String>>,
    #[serde(default)]
    vex: Vec<Spanned<String>>,
    #[serde(default)]
    firmware: Option<Spanned<String>>,
    #[serde(default)]
    envelope: Option<Spanned<String>>,
    #[serde(default)]
    vendor_key: Option<Spanned<String>>,
    #[serde(default)]
    robustness: Vec<Spanned<String>>,
    #[serde(default)]
    certificates: Vec<RawCertificate>,
    #[serde(default)]
    support: Option<RawSupport>,
    #[serde(default)]
    hardening_guide: Option<Spanned<String>>,
    #[serde(default)]
    patch_policy: Option<Spanned<String>>,
}

fn text_field(s: Spanned<String>, name: &str) -> Result<String, ParseError> {
    let v = s.value.trim().to_string();
    if v.is_empty() {
        Err(at(
            MANIFEST,
            &s.referenced,
            format!("{name} is empty: expected a non-empty text"),
        ))
    } else {
        Ok(v)
    }
}

/// Why a path of a manifest is not a plain relative path inside the package folder: it is
/// empty, absolute (`/x`, `\\x`, `C:x`), or has a `..` component, or a NUL byte. `None`
/// when it is fine. Symbolic links are the caller's to resolve (this module reads no file).
pub fn path_problem(path: &str) -> Option<&'static str> {
    let b = path.as_bytes();
    if path.trim().is_empty() {
        return Some("it is empty");
    }
    if path.contains('\0') {
        return Some("it contains a NUL byte");
    }
    if path.starts_with('/') || path.starts_with('\\') || path.starts_with('~') {
        return Some("it is an absolute path");
    }
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Some("it is an absolute path (a drive letter)");
    }
    if path.split(['/', '\\']).any(|c| c == "..") {
        return Some("it has a '..' component");
    }
    None
}

fn path_field(s: Spanned<String>, name: &str) -> Result<String, ParseError> {
    let v = s.value.trim().to_string();
    if v.is_empty() {
        return Err(at(
            MANIFEST,
            &s.referenced,
            format!("{name} is empty: expected a path relative to the manifest"),
        ));
    }
    if let Some(why) = path_problem(&v) {
        return Err(at(
            MANIFEST,
            &s.referenced,
            format!(
                "{name} '{v}' is refused: {why}; every path in the manifest must be relative to the package folder and stay inside it"
            ),
        ));
    }
    Ok(v)
}

fn opt_path(s: Option<Spanned<String>>, name: &str) -> Result<Option<String>, ParseError> {
    s.map(|s| path_field(s, name)).transpose()
}

fn opt_text(s: Option<Spanned<String>>, name: &str) -> Result<Option<String>, ParseError> {
    s.map(|s| text_field(s, name)).transpose()
}

/// Read a package manifest (YAML). Unknown keys, missing required keys, empty values, bad
/// dates and an unknown component type are errors with their line and column.
pub fn parse_package(text: &str) -> Result<PackageManifest, PackageError> {
    let raw: RawManifest =
        serde_saphyr::from_str(text).map_err(|e| yaml_error(MANIFEST, text, &e))?;
    let signed = [
        ("firmware", &raw.firmware),
        ("envelope", &raw.envelope),
        ("vendor_key", &raw.vendor_key),
    ];
    if let Some((_, Some(given))) = signed.iter().find(|(_, v)| v.is_some()) {
        let missing: Vec<&str> = signed
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
        if !missing.is_empty() {
            return Err(at(
                MANIFEST,
                &given.referenced,
                format!(
                    "a signed release needs firmware, envelope and vendor_key together: {} missing (or remove all three)",
                    missing.join(" and ")
                ),
            ));
        }
    }
    let ct_loc = raw.component_type.referenced;
    let component_type: ComponentType = raw
        .component_type
        .value
        .parse()
        .map_err(|e: otproof_catalog::ComponentTypeError| at(MANIFEST, &ct_loc, e.to_string()))?;
    let mut certificates = Vec::new();
    for (i, c) in raw.certificates.into_iter().enumerate() {
        check_date(MANIFEST, &c.expires, "certificate expires")?;
        if let Some(d) = &c.issued {
            check_date(MANIFEST, d, "certificate issued")?;
        }
        certificates.push(CertificateEntry {
            file: opt_path(c.file, &format!("certificates[{i}].file"))?,
            scheme: text_field(c.scheme, "certificate scheme")?,
            issuer: opt_text(c.issuer, "certificate issuer")?,
            issued: c.issued.map(|d| d.value.trim().to_string()),
            scope: text_field(c.scope, "certificate scope")?,
            number: text_field(c.number, "certificate number")?,
            expires: c.expires.value.trim().to_string(),
        });
    }
    let support = match raw.support {
        Some(s) => {
            check_date(MANIFEST, &s.end_of_support, "end_of_support")?;
            Some(SupportEntry {
                end_of_support: s.end_of_support.value.trim().to_string(),
                statement: opt_path(s.statement, "support.statement")?,
            })
        }
        None => None,
    };
    Ok(PackageManifest {
        product: text_field(raw.product, "product")?,
        vendor: text_field(raw.vendor, "vendor")?,
        version: text_field(raw.version, "version")?,
        component_type,
        sbom: opt_path(raw.sbom, "sbom")?,
        vex: raw
            .vex
            .into_iter()
            .enumerate()
            .map(|(i, p)| path_field(p, &format!("vex[{i}]")))
            .collect::<Result<_, _>>()?,
        firmware: opt_path(raw.firmware, "firmware")?,
        envelope: opt_path(raw.envelope, "envelope")?,
        vendor_key: opt_path(raw.vendor_key, "vendor_key")?,
        robustness: raw
            .robustness
            .into_iter()
            .enumerate()
            .map(|(i, p)| path_field(p, &format!("robustness[{i}]")))
            .collect::<Result<_, _>>()?,
        certificates,
        support,
        hardening_guide: opt_path(raw.hardening_guide, "hardening_guide")?,
        patch_policy: opt_path(raw.patch_policy, "patch_policy")?,
    })
}

// ---------------------------------------------------------------------------------------
// Criteria
// ---------------------------------------------------------------------------------------

/// What a criterion checks. In a criteria file, `kind:` names the variant and its parameters
/// (`protocols`, `scheme`, `min_years`, `what`) are keys of the item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CriterionKind {
    /// The SBOM passed the SBOM policy check.
    SbomPolicyPassed,
    /// No open vulnerability in a known-exploited (KEV) list.
    NoOpenKev,
    /// Every open high or critical vulnerability is addressed by a VEX statement.
    NoUnaddressedHighVulns,
    /// The firmware verified against the signed release statement.
    SignatureVerified,
    /// Robustness campaigns for these protocols (any one, when empty), without open crash or
    /// hang findings.
    RobustnessEvidence {
        /// Protocols that need a campaign.
        protocols: Vec<String>,
    },
    /// A certificate (of this scheme, if named) that has not expired.
    CertificateValid {
        /// Certification scheme, e.g. `IECEE`.
        scheme: Option<String>,
    },
    /// Security support lasts at least this many years from the decision date.
    SupportUntil {
        /// Years.
        min_years: u32,
    },
    /// A document is in the package.
    DocumentPresent {
        /// Which document: [`DOC_HARDENING_GUIDE`], [`DOC_PATCH_POLICY`],
        /// [`DOC_SUPPORT_STATEMENT`] or another name the caller uses in its facts.
        what: String,
    },
}

const KIND_NAMES: [&str; 8] = [
    "sbom-policy-passed",
    "no-open-kev",
    "no-unaddressed-high-vulns",
    "signature-verified",
    "robustness-evidence",
    "certificate-valid",
    "support-until",
    "document-present",
];

impl CriterionKind {
    /// The kebab-case name used in criteria files.
    pub fn name(&self) -> &'static str {
        match self {
            CriterionKind::SbomPolicyPassed => KIND_NAMES[0],
            CriterionKind::NoOpenKev => KIND_NAMES[1],
            CriterionKind::NoUnaddressedHighVulns => KIND_NAMES[2],
            CriterionKind::SignatureVerified => KIND_NAMES[3],
            CriterionKind::RobustnessEvidence { .. } => KIND_NAMES[4],
            CriterionKind::CertificateValid { .. } => KIND_NAMES[5],
            CriterionKind::SupportUntil { .. } => KIND_NAMES[6],
            CriterionKind::DocumentPresent { .. } => KIND_NAMES[7],
        }
    }

    /// Our default wording of what the criterion asks.
    pub fn describe(&self) -> String {
        match self {
            CriterionKind::SbomPolicyPassed => {
                "a machine-readable SBOM of the release is delivered and passes the SBOM policy check".into()
            }
            CriterionKind::NoOpenKev => {
                "no component in the SBOM has an open vulnerability that is listed as known exploited".into()
            }
            CriterionKind::NoUnaddressedHighVulns => {
                "every open high or critical vulnerability in the SBOM is addressed by a VEX statement".into()
            }
            CriterionKind::SignatureVerified => {
                "the firmware verifies against the vendor's signed release statement and key".into()
            }
            CriterionKind::RobustnessEvidence { protocols } if protocols.is_empty() => {
                "a robustness campaign is on record for at least one external protocol interface, with no open crash or hang finding".into()
            }
            CriterionKind::RobustnessEvidence { protocols } if protocols.len() == 1 => format!(
                "a robustness campaign is on record for {}, with no open crash or hang finding",
                protocols[0]
            ),
            CriterionKind::RobustnessEvidence { protocols } => format!(
                "a robustness campaign is on record for each of {}, with no open crash or hang finding",
                protocols.join(", ")
            ),
            CriterionKind::CertificateValid { scheme: Some(s) } => {
                format!("a certificate of the {s} scheme is listed and has not expired")
            }
            CriterionKind::CertificateValid { scheme: None } => {
                "a third-party certificate is listed and has not expired".into()
            }
            CriterionKind::SupportUntil { min_years } => format!(
                "security support is stated to last at least {min_years} years from the decision date"
            ),
            CriterionKind::DocumentPresent { what } => format!("a {what} is delivered"),
        }
    }
}

/// One criterion the buyer applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionDef {
    /// Stable ID, e.g. `SBOM-1`, `ROB-1`.
    pub id: String,
    /// What it asks.
    pub description: String,
    /// What is checked.
    pub kind: CriterionKind,
    /// A failed required criterion rejects (unless excepted); an optional one only warns.
    pub required: bool,
    /// Catalog requirement IDs it traces to.
    pub refs: Vec<String>,
}

/// An exception the buyer agreed to in advance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionDef {
    /// The criterion ID it excepts.
    pub criterion: String,
    /// Why the risk is acceptable.
    pub justification: String,
    /// Who owns the risk.
    pub owner: String,
    /// Last day it applies, YYYY-MM-DD; absent: no limit.
    pub until: Option<String>,
}

/// The buyer's acceptance criteria.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criteria {
    /// Criteria, in evaluation order.
    pub items: Vec<CriterionDef>,
    /// Exceptions.
    pub exceptions: Vec<ExceptionDef>,
    /// Warn when support ends or a certificate expires within this many days.
    pub warn_days_before_eos: u32,
}

/// Default warning window.
pub const DEFAULT_WARN_DAYS: u32 = 365;
/// Default support lifetime when no specification says otherwise.
pub const DEFAULT_SUPPORT_YEARS: u32 = 10;

/// The default trace of each default criterion (used without a specification, and for a
/// criterion the specification lacks): the same catalog rows the specification's policy item
/// of that ID cites, without the component-specific ones.
pub const DEFAULT_REFS: &[(&str, &[&str])] = otproof_catalog::traces::ACCEPTANCE_CRITERIA;

fn default_refs(id: &str) -> Vec<String> {
    DEFAULT_REFS
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, v)| v.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default()
}

/// Refs for a new criterion of this kind that names none.
fn kind_refs(kind: &CriterionKind) -> Vec<String> {
    let id = match kind {
        CriterionKind::SbomPolicyPassed => "SBOM-1",
        CriterionKind::NoOpenKev => "VULN-3",
        CriterionKind::NoUnaddressedHighVulns => "SBOM-2",
        CriterionKind::SignatureVerified => "UPD-1",
        CriterionKind::RobustnessEvidence { .. } => "ROB-1",
        CriterionKind::CertificateValid { .. } => "CERT-1",
        CriterionKind::SupportUntil { .. } => "PATCH-1",
        CriterionKind::DocumentPresent { what } => {
            match what.trim().to_ascii_lowercase().as_str() {
                DOC_HARDENING_GUIDE => "DOC-1",
                DOC_PATCH_POLICY => "PATCH-DOC",
                DOC_SUPPORT_STATEMENT => "PATCH-5",
                _ => "",
            }
        }
    };
    default_refs(id)
}

/// The default criteria, derived from the specification's policy items when one is given.
///
/// | ID | kind | required | spec item |
/// |---|---|---|---|
/// | SBOM-1 | sbom-policy-passed | yes | SBOM-1 |
/// | SBOM-2 | no-unaddressed-high-vulns | yes | SBOM-2 |
/// | VULN-3 | no-open-kev | yes | VULN-3 |
/// | UPD-1 | signature-verified | yes | UPD-1 |
/// | ROB-1 | robustness-evidence (any protocol) | yes | ROB-1 |
/// | PATCH-1 | support-until (the spec's support years, else 10) | yes | PATCH-1 |
/// | PATCH-5 | document-present: support statement | yes | PATCH-5 |
/// | PATCH-DOC | document-present: patch policy | yes | PATCH-2, PATCH-3, PATCH-4 |
/// | DOC-1 | document-present: hardening guide | yes | DOC-1 |
/// | CERT-1 | certificate-valid (any scheme) | no | CERT-1 |
///
/// With a specification, each criterion cites the catalog IDs of its spec item(s) (already
/// filtered to the component type and SL-T) and starts its description with the item's
/// title; without one, [`DEFAULT_REFS`]. No exceptions; warning window 365 days.
pub fn default_criteria(spec: Option<&Specification>) -> Criteria {
    let support_years = spec
        .map(|s| s.params.support_years)
        .unwrap_or(DEFAULT_SUPPORT_YEARS);
    let table: Vec<(&str, &[&str], CriterionKind, bool)> = vec![
        ("SBOM-1", &["SBOM-1"], CriterionKind::SbomPolicyPassed, true),
        (
            "SBOM-2",
            &["SBOM-2"],
            CriterionKind::NoUnaddressedHighVulns,
            true,
        ),
        ("VULN-3", &["VULN-3"], CriterionKind::NoOpenKev, true),
        ("UPD-1", &["UPD-1"], CriterionKind::SignatureVerified, true),
        (
            "ROB-1",
            &["ROB-1"],
            CriterionKind::RobustnessEvidence { protocols: vec![] },
            true,
        ),
        (
            "PATCH-1",
            &["PATCH-1"],
            CriterionKind::SupportUntil {
                min_years: support_years,
            },
            true,
        ),
        (
            "PATCH-5",
            &["PATCH-5"],
            CriterionKind::DocumentPresent {
                what: DOC_SUPPORT_STATEMENT.into(),
            },
            true,
        ),
        (
            "PATCH-DOC",
            &["PATCH-2", "PATCH-3", "PATCH-4"],
            CriterionKind::DocumentPresent {
                what: DOC_PATCH_POLICY.into(),
            },
            true,
        ),
        (
            "DOC-1",
            &["DOC-1"],
            CriterionKind::DocumentPresent {
                what: DOC_HARDENING_GUIDE.into(),
            },
            true,
        ),
        (
            "CERT-1",
            &["CERT-1"],
            CriterionKind::CertificateValid { scheme: None },
            false,
        ),
    ];
    let items = table
        .into_iter()
        .map(|(id, spec_ids, kind, required)| {
            let found: Vec<&crate::spec::PolicyItem> = spec
                .map(|s| {
                    s.policies
                        .iter()
                        .flat_map(|p| &p.items)
                        .filter(|i| spec_ids.contains(&i.id.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            let (description, refs) = if found.is_empty() {
                (kind.describe(), default_refs(id))
            } else {
                let mut refs: Vec<String> = Vec::new();
                for r in found.iter().flat_map(|i| &i.refs) {
                    if !refs.contains(r) {
                        refs.push(r.clone());
                    }
                }
                let titles: Vec<&str> = found.iter().map(|i| i.title.as_str()).collect();
                (format!("{}: {}", titles.join("; "), kind.describe()), refs)
            };
            CriterionDef {
                id: id.into(),
                description,
                kind,
                required,
                refs,
            }
        })
        .collect();
    Criteria {
        items,
        exceptions: vec![],
        warn_days_before_eos: DEFAULT_WARN_DAYS,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    required: Option<bool>,
    #[serde(default)]
    protocols: Option<Vec<String>>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    min_years: Option<u32>,
    #[serde(default)]
    what: Option<String>,
    #[serde(default)]
    refs: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    criterion: Spanned<String>,
    justification: Spanned<String>,
    owner: Spanned<String>,
    #[serde(default)]
    until: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriteria {
    #[serde(default)]
    base: Option<Spanned<String>>,
    #[serde(default)]
    drop: Vec<Spanned<String>>,
    #[serde(default)]
    items: Vec<RawItem>,
    #[serde(default)]
    exceptions: Vec<RawException>,
    #[serde(default)]
    warn_days_before_eos: Option<u32>,
}

fn build_kind(
    item: &RawItem,
    existing: Option<&CriterionKind>,
) -> Result<CriterionKind, ParseError> {
    let loc = item
        .kind
        .as_ref()
        .map(|k| k.referenced)
        .unwrap_or(item.id.referenced);
    let err = |m: String| Err(at(CRITERIA, &loc, m));
    let name = match (&item.kind, existing) {
        (Some(k), _) => k.value.trim().to_string(),
        (None, Some(e)) => e.name().to_string(),
        (None, None) => {
            return err(format!(
                "criterion '{}' is not a default criterion, so it needs a kind: expected one of {}",
                item.id.value,
                KIND_NAMES.join(", ")
            ))
        }
    };
    let same = existing.filter(|e| e.name() == name);
    let params: [(&str, bool, &str); 4] = [
        ("protocols", item.protocols.is_some(), "robustness-evidence"),
        ("scheme", item.scheme.is_some(), "certificate-valid"),
        ("min_years", item.min_years.is_some(), "support-until"),
        ("what", item.what.is_some(), "document-present"),
    ];
    for (key, given, owner) in params {
        if given && owner != name {
            return err(format!(
                "criterion '{}': {key} applies to kind {owner}, not to {name}",
                item.id.value
            ));
        }
    }
    let kind = match name.as_str() {
        "sbom-policy-passed" => CriterionKind::SbomPolicyPassed,
        "no-open-kev" => CriterionKind::NoOpenKev,
        "no-unaddressed-high-vulns" => CriterionKind::NoUnaddressedHighVulns,
        "signature-verified" => CriterionKind::SignatureVerified,
        "robustness-evidence" => CriterionKind::RobustnessEvidence {
            protocols: match (&item.protocols, same) {
                (Some(p), _) => p.iter().map(|s| s.trim().to_string()).collect(),
                (None, Some(CriterionKind::RobustnessEvidence { protocols })) => protocols.clone(),
                _ => vec![],
            },
        },
        "certificate-valid" => CriterionKind::CertificateValid {
            scheme: match (&item.scheme, same) {
                (Some(s), _) => Some(s.trim().to_string()),
                (None, Some(CriterionKind::CertificateValid { scheme })) => scheme.clone(),
                _ => None,
            },
        },
        "support-until" => CriterionKind::SupportUntil {
            min_years: match (item.min_years, same) {
                (Some(n), _) => n,
                (None, Some(CriterionKind::SupportUntil { min_years })) => *min_years,
                _ => {
                    return err(format!(
                        "criterion '{}' of kind support-until needs min_years: expected a whole number of years, e.g. 10",
                        item.id.value
                    ))
                }
            },
        },
        "document-present" => CriterionKind::DocumentPresent {
            what: match (&item.what, same) {
                (Some(w), _) if !w.trim().is_empty() => w.trim().to_string(),
                (None, Some(CriterionKind::DocumentPresent { what })) => what.clone(),
                _ => {
                    return err(format!(
                        "criterion '{}' of kind document-present needs what: expected e.g. '{DOC_HARDENING_GUIDE}' or '{DOC_PATCH_POLICY}'",
                        item.id.value
                    ))
                }
            },
        },
        other => {
            return err(format!(
                "unknown criterion kind '{other}': expected one of {}",
                KIND_NAMES.join(", ")
            ))
        }
    };
    Ok(kind)
}

/// Read a criteria file (YAML) on top of [`default_criteria`]`(None)`.
///
/// ```yaml
/// base: defaults            # or: none (start from no criteria)
/// warn_days_before_eos: 365
/// drop: [CERT-1]            # remove criteria of the base
/// items:                    # change criteria of the base (only the keys given) or add new ones
///   - id: ROB-1
///     protocols: [modbus-tcp]
///   - id: ROB-MQTT
///     kind: robustness-evidence   # sbom-policy-passed, no-open-kev, no-unaddressed-high-vulns,
///     protocols: [mqtt]           # signature-verified, robustness-evidence (protocols),
///     required: true              # certificate-valid (scheme), support-until (min_years),
///     refs: [CR 3.5, SVV-3]       # document-present (what)
/// exceptions:
///   - criterion: ROB-MQTT
///     justification: ...
///     owner: ...
///     until: 2027-06-30
/// ```
pub fn parse_criteria(text: &str) -> Result<Criteria, CriteriaError> {
    parse_criteria_over(text, default_criteria(None))
}

/// Read a criteria file on top of `base` (e.g. [`default_criteria`] of a specification).
///
/// An item whose ID is in the base changes only the keys it gives (a new `kind` replaces the
/// kind and, unless given, the description); an item with a new ID is added and needs a
/// `kind` (description and refs then default from the kind). New items are required unless
/// `required: false`. Refs must be catalog IDs. Every exception must name a criterion of the
/// result, with a non-empty justification and owner, and `until` as YYYY-MM-DD.
pub fn parse_criteria_over(text: &str, base: Criteria) -> Result<Criteria, CriteriaError> {
    let raw: RawCriteria =
        serde_saphyr::from_str(text).map_err(|e| yaml_error(CRITERIA, text, &e))?;
    let mut out = match &raw.base {
        None => base,
        Some(b) => match b.value.trim() {
            "defaults" => base,
            "none" => Criteria {
                items: vec![],
                exceptions: vec![],
                warn_days_before_eos: base.warn_days_before_eos,
            },
            other => {
                return Err(at(
                    CRITERIA,
                    &b.referenced,
                    format!("base '{other}': expected defaults or none"),
                ))
            }
        },
    };
    for d in &raw.drop {
        let id = d.value.trim();
        let before = out.items.len();
        out.items.retain(|i| i.id != id);
        if out.items.len() == before {
            return Err(at(
                CRITERIA,
                &d.referenced,
                format!(
                    "drop names '{id}', which is not a criterion of the base: expected one of {}",
                    ids(&out.items)
                ),
            ));
        }
    }
    let catalog = Catalog::builtin();
    let mut seen: Vec<String> = Vec::new();
    for item in &raw.items {
        let id = item.id.value.trim().to_string();
        if id.is_empty() {
            return Err(at(
                CRITERIA,
                &item.id.referenced,
                "item id is empty: expected e.g. ROB-2",
            ));
        }
        if seen.contains(&id) {
            return Err(at(
                CRITERIA,
                &item.id.referenced,
                format!("criterion '{id}' is listed twice: expected each id once"),
            ));
        }
        seen.push(id.clone());
        let pos = out.items.iter().position(|i| i.id == id);
        let existing = pos.map(|p| &out.items[p]);
        let kind = build_kind(item, existing.map(|e| &e.kind))?;
        let kind_changed = existing.is_none_or(|e| e.kind != kind);
        let description = match (&item.description, existing) {
            (Some(d), _) => d.trim().to_string(),
            (None, Some(e)) if !kind_changed => e.description.clone(),
            (None, Some(e)) if e.kind.name() == kind.name() => {
                // Same kind, new parameters: keep the spec title prefix, if any.
                match e.description.split_once(": ") {
                    Some((title, _)) if e.description != e.kind.describe() => {
                        format!("{title}: {}", kind.describe())
                    }
                    _ => kind.describe(),
                }
            }
            _ => kind.describe(),
        };
        let refs = match &item.refs {
            Some(list) => {
                let mut refs = Vec::new();
                for r in list {
                    match catalog.get(r.value.trim()) {
                        Some(req) => {
                            if !refs.contains(&req.id) {
                                refs.push(req.id.clone());
                            }
                        }
                        None => {
                            return Err(at(
                                CRITERIA,
                                &r.referenced,
                                format!(
                                    "'{}' is not in the IEC 62443 catalog: expected a catalog ID such as {} (see `otproof catalog list`)",
                                    r.value,
                                    otproof_catalog::traces::example_ids()
                                ),
                            ))
                        }
                    }
                }
                refs
            }
            None => match existing {
                Some(e) => e.refs.clone(),
                None => kind_refs(&kind),
            },
        };
        let def = CriterionDef {
            id,
            description,
            required: item
                .required
                .unwrap_or_else(|| existing.is_none_or(|e| e.required)),
            kind,
            refs,
        };
        match pos {
            Some(p) => out.items[p] = def,
            None => out.items.push(def),
        }
    }
    for e in raw.exceptions {
        let criterion = e.criterion.value.trim().to_string();
        if !out.items.iter().any(|i| i.id == criterion) {
            return Err(at(
                CRITERIA,
                &e.criterion.referenced,
                format!(
                    "exception for '{criterion}', which is not a criterion: expected one of {}",
                    ids(&out.items)
                ),
            ));
        }
        for (s, name) in [(&e.justification, "justification"), (&e.owner, "owner")] {
            if s.value.trim().is_empty() {
                return Err(at(
                    CRITERIA,
                    &s.referenced,
                    format!("exception {name} is empty: expected a non-empty text"),
                ));
            }
        }
        if let Some(u) = &e.until {
            check_date(CRITERIA, u, "exception until")?;
        }
        out.exceptions.push(ExceptionDef {
            criterion,
            justification: e.justification.value.trim().to_string(),
            owner: e.owner.value.trim().to_string(),
            until: e.until.map(|u| u.value.trim().to_string()),
        });
    }
    if let Some(w) = raw.warn_days_before_eos {
        out.warn_days_before_eos = w;
    }
    Ok(out)
}

fn ids(items: &[CriterionDef]) -> String {
    if items.is_empty() {
        return "(none: the criteria are empty)".into();
    }
    items
        .iter()
        .map(|i| i.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------

/// The SBOM check of the package's SBOM (with its VEX).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomFact {
    /// The `sbom-check` record, if stored.
    pub record: Option<RecordId>,
    /// The SBOM policy check passed.
    pub policy_passed: bool,
    /// Open vulnerabilities listed as known exploited.
    pub open_kev: usize,
    /// Open high or critical vulnerabilities without a VEX statement.
    pub open_high_without_vex: usize,
    /// Why the policy check failed (its reasons), or notes.
    pub reasons: Vec<String>,
}

/// The verification of the package's signed release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureFact {
    /// The `signature-check` or `release` record, if stored.
    pub record: Option<RecordId>,
    /// The firmware verified against the envelope and key.
    pub verified: bool,
    /// What was checked, or why it failed.
    pub detail: String,
}

/// One robustness campaign of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobustnessFact {
    /// The `robustness-campaign` record, if stored.
    pub record: Option<RecordId>,
    /// Protocol tested, e.g. `modbus-tcp`.
    pub protocol: String,
    /// Test cases run.
    pub cases: u64,
    /// Open findings with behaviour `crash` or `hang`.
    pub open_crash_or_hang: usize,
    /// Open findings with behaviour `conformance`.
    pub open_conformance: usize,
}

/// One certificate of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateFact {
    /// The `certificate` record, if stored.
    pub record: Option<RecordId>,
    /// Scheme.
    pub scheme: String,
    /// Certification body, when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Day of issue, YYYY-MM-DD, when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// Why the certificate's file, when one is named, is not a readable document (see
    /// [`check_document`]); such a certificate does not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_problem: Option<String>,
    /// Scope.
    pub scope: String,
    /// Number.
    pub number: String,
    /// Expiry, YYYY-MM-DD.
    pub expires: String,
}

/// One document of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFact {
    /// The `document` record, if stored.
    pub record: Option<RecordId>,
    /// Which document ([`DOC_HARDENING_GUIDE`], ...).
    pub what: String,
    /// It was found (and readable).
    pub present: bool,
    /// Why a document the manifest names does not count (empty, not a readable type, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Content checks
// ---------------------------------------------------------------------------------------

/// What a document file was found to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentType {
    /// A PDF file (`%PDF-` header and `%%EOF` trailer).
    Pdf,
    /// UTF-8 (or UTF-16 with a byte-order mark) text: plain text, Markdown, HTML, XML, ...
    Text,
}

/// The outcome of [`check_document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentCheck {
    /// A readable document with content.
    Readable(DocumentType),
    /// Not a usable document: why (empty, binary, no text, ...). The criterion that needs it
    /// fails with this reason; the file is not recorded.
    Unusable(String),
    /// A secret (a private key): never a document, never recorded; the caller refuses the
    /// whole package as bad input.
    Secret(&'static str),
}

/// Markers of private keys and other secrets in a file (PEM, OpenSSH, PuTTY, age, otproof's
/// own key files).
const SECRET_MARKERS: &[(&[u8], &str)] = &[
    (b"PRIVATE KEY-----", "a PEM private key"),
    (b"-----BEGIN OPENSSH PRIVATE KEY", "an OpenSSH private key"),
    (b"PuTTY-User-Key-File", "a PuTTY private key"),
    (b"AGE-SECRET-KEY-", "an age secret key"),
    (b"-----BEGIN PGP PRIVATE KEY BLOCK", "a PGP private key"),
];

/// Which kind of secret the bytes hold, if any (a private key in any of the usual text
/// forms). otproof never records such a file.
pub fn secret_in(bytes: &[u8]) -> Option<&'static str> {
    SECRET_MARKERS
        .iter()
        .find(|(m, _)| bytes.windows(m.len()).any(|w| w == *m))
        .map(|(_, what)| *what)
}

/// Minimum words (runs of two or more letters) of text a document must contain.
pub const MIN_DOCUMENT_WORDS: usize = 3;

fn words_of_text(text: &str) -> usize {
    // Markup is not content: drop HTML/XML tags before counting.
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 2)
        .count()
}

fn utf16_text(bytes: &[u8]) -> Option<String> {
    let (le, rest) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => return None,
    };
    if rest.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = rest
        .chunks_exact(2)
        .map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .collect();
    String::from_utf16(&units).ok()
}

/// Is this file a document a person can read, with content?
///
/// - a private key in any usual text form: [`DocumentCheck::Secret`];
/// - 0 bytes, or only white space: unusable ("empty");
/// - `%PDF-` at the start and `%%EOF` in its last 1 KiB: a PDF (its text is not extracted);
/// - UTF-8 text (a UTF-8 or UTF-16 byte-order mark allowed) without control characters
///   other than tab, line feed, form feed and carriage return, with at least
///   [`MIN_DOCUMENT_WORDS`] words outside HTML/XML tags: text (plain text, Markdown, HTML,
///   XML, ...);
/// - anything else (binary data, archives such as Office files, images): unusable, with the
///   reason.
pub fn check_document(bytes: &[u8]) -> DocumentCheck {
    if let Some(what) = secret_in(bytes) {
        return DocumentCheck::Secret(what);
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return DocumentCheck::Unusable(if bytes.is_empty() {
            "it is empty (0 bytes)".into()
        } else {
            format!("it is empty ({} bytes of white space)", bytes.len())
        });
    }
    if bytes.starts_with(b"%PDF-") {
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        return if tail.windows(5).any(|w| w == b"%%EOF") {
            DocumentCheck::Readable(DocumentType::Pdf)
        } else {
            DocumentCheck::Unusable(
                "it starts like a PDF but has no %%EOF trailer (truncated or not a PDF)".into(),
            )
        };
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return DocumentCheck::Unusable(
            "it is a ZIP archive (e.g. an Office document): expected PDF or text (Markdown, HTML, plain text)".into(),
        );
    }
    let text = match utf16_text(bytes) {
        Some(t) => t,
        None => match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
            Ok(t) => t.to_string(),
            Err(_) => {
                return DocumentCheck::Unusable(
                    "it is binary data, not text or PDF: expected PDF or text (Markdown, HTML, plain text)".into(),
                )
            }
        },
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
    {
        return DocumentCheck::Unusable(
            "it holds control characters, so it is binary data, not text: expected PDF or text (Markdown, HTML, plain text)".into(),
        );
    }
    let words = words_of_text(&text);
    if words < MIN_DOCUMENT_WORDS {
        return DocumentCheck::Unusable(format!(
            "it has no content to read ({} outside markup; at least {MIN_DOCUMENT_WORDS} expected)",
            plural(words, "word", "words")
        ));
    }
    DocumentCheck::Readable(DocumentType::Text)
}

/// Certification schemes a certificate counts under when the criterion names none
/// (compared ignoring case and everything but letters and digits, as a prefix: `IECEE CB`
/// and `ISASecure CSA` are known). A criterion that names its `scheme` accepts that scheme.
pub const KNOWN_SCHEMES: &[&str] = &[
    "IECEE",
    "ISASecure",
    "Common Criteria",
    "EUCC",
    "CSPN",
    "BSZ",
    "UL 2900",
];

/// A certificate's expiry may be at most this many years after its issue and after the
/// decision date.
pub const MAX_CERTIFICATE_YEARS: u32 = 10;

fn norm_name(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Legal-form words dropped from a vendor name before looking for it in a scope.
const LEGAL_FORMS: &[&str] = &[
    "gmbh",
    "ag",
    "inc",
    "ltd",
    "llc",
    "corp",
    "corporation",
    "co",
    "sa",
    "sas",
    "spa",
    "bv",
    "nv",
    "plc",
    "kg",
    "ab",
    "oy",
    "as",
    "srl",
    "limited",
    "company",
];

fn vendor_core(vendor: &str) -> String {
    let mut words: Vec<&str> = vendor
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| LEGAL_FORMS.contains(&w.to_lowercase().as_str()))
    {
        words.pop();
    }
    norm_name(&words.concat())
}

/// Placeholders that are not certificate numbers.
const PLACEHOLDER_NUMBERS: &[&str] = &[
    "na", "none", "tbd", "tba", "todo", "unknown", "pending", "null", "nil", "xxx", "xxxx", "test",
    "dummy", "sample", "example",
];

/// Why a listed certificate is not plausible (empty when it is): its number, issuer,
/// scheme, dates and scope, judged at `today` (days since 1970) for `vendor`'s `product`.
/// `scheme_named` is the scheme the criterion names, if any (then any scheme of that name is
/// acceptable; otherwise it must be one of [`KNOWN_SCHEMES`]).
pub fn certificate_problems(
    c: &CertificateFact,
    vendor: &str,
    product: &str,
    today: i64,
    scheme_named: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    let number = c.number.trim();
    let alnum: String = number.chars().filter(|ch| ch.is_alphanumeric()).collect();
    let digits: Vec<char> = number.chars().filter(|ch| ch.is_ascii_digit()).collect();
    if alnum.chars().count() < 4
        || digits.is_empty()
        || digits.iter().all(|d| *d == '0')
        || PLACEHOLDER_NUMBERS.contains(&alnum.to_lowercase().as_str())
    {
        out.push(format!(
            "number '{number}' is not a plausible certificate number (expected a register number with at least 4 letters or digits, including a digit other than 0)"
        ));
    }
    match c.issuer.as_deref().map(str::trim) {
        None | Some("") => out.push("no issuer (certification body) is named".into()),
        Some(_) => {}
    }
    let scheme = norm_name(&c.scheme);
    let known = match scheme_named {
        Some(named) => scheme == norm_name(named),
        None => KNOWN_SCHEMES
            .iter()
            .any(|k| !scheme.is_empty() && scheme.starts_with(&norm_name(k))),
    };
    if !known {
        out.push(match scheme_named {
            Some(named) => format!("scheme '{}' is not {named}", c.scheme),
            None => format!(
                "scheme '{}' is not a known certification scheme (known: {}; a criterion that names the scheme accepts it)",
                c.scheme,
                KNOWN_SCHEMES.join(", ")
            ),
        });
    }
    let expires = parse_date(c.expires.trim());
    let issued = c.issued.as_deref().map(|d| parse_date(d.trim()));
    match expires {
        None => out.push(format!("expiry '{}' is not a date", c.expires)),
        Some(e) => {
            let limit_today = Date::constant(1970, 1, 1)
                .checked_add(jiff::Span::new().days(today))
                .ok()
                .and_then(|t| add_years(t, MAX_CERTIFICATE_YEARS));
            if limit_today.is_none_or(|l| e > l) {
                out.push(format!(
                    "expiry {} is more than {MAX_CERTIFICATE_YEARS} years after the decision date",
                    ymd(e)
                ));
            }
            match issued {
                Some(None) => out.push("issue date is not a date".into()),
                Some(Some(i)) => {
                    if day_number(i) > today {
                        out.push(format!("issue date {} is after the decision date", ymd(i)));
                    }
                    if i >= e {
                        out.push(format!("issue date {} is not before its expiry", ymd(i)));
                    } else if add_years(i, MAX_CERTIFICATE_YEARS).is_none_or(|l| e > l) {
                        out.push(format!(
                            "expiry {} is more than {MAX_CERTIFICATE_YEARS} years after its issue on {}",
                            ymd(e),
                            ymd(i)
                        ));
                    }
                }
                None => {}
            }
        }
    }
    let scope = norm_name(&c.scope);
    let names_product = !norm_name(product).is_empty() && scope.contains(&norm_name(product));
    let core = vendor_core(vendor);
    let names_vendor = !core.is_empty() && scope.contains(&core);
    if !names_product && !names_vendor {
        out.push(format!(
            "scope '{}' names neither the product ({product}) nor the vendor ({vendor})",
            c.scope
        ));
    }
    if let Some(p) = &c.file_problem {
        out.push(format!("its file is not usable: {p}"));
    }
    out
}

/// What the caller established about the package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFacts {
    /// SBOM check; `None` when the package has no SBOM.
    pub sbom: Option<SbomFact>,
    /// Signature verification; `None` when the package has no signed release.
    pub signature: Option<SignatureFact>,
    /// Robustness campaigns.
    pub robustness: Vec<RobustnessFact>,
    /// Certificates.
    pub certificates: Vec<CertificateFact>,
    /// Documents.
    pub documents: Vec<DocumentFact>,
    /// Stated end of support, YYYY-MM-DD.
    pub end_of_support: Option<String>,
    /// Evidence left out of the facts because its record could not be proven in the store's
    /// log, one line each with the reason; every line becomes a warning of the decision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unproven: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// Decision
// ---------------------------------------------------------------------------------------

/// The acceptance decision with what the buyer should know besides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcceptanceResult {
    /// `accept`, `accept-with-exceptions` or `reject`, with criteria, references, exceptions
    /// and traced requirements.
    pub decision: Decision,
    /// Support or certificates ending soon or already ended; exceptions not applied; failed
    /// optional criteria.
    pub warnings: Vec<String>,
    /// What this check does not establish.
    pub limitations: Vec<String>,
}

fn norm_protocol(p: &str) -> String {
    p.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Outcome of one criterion before exceptions: pass?, detail, evidence.
fn evaluate(
    kind: &CriterionKind,
    manifest: &PackageManifest,
    facts: &PackageFacts,
    today: Option<i64>,
    today_text: &str,
) -> (bool, String, Vec<RecordId>) {
    let rec = |r: &Option<RecordId>| r.iter().copied().collect::<Vec<_>>();
    let bad_today = || {
        (
            false,
            format!("not decided: today's date '{today_text}' is not YYYY-MM-DD"),
            vec![],
        )
    };
    match kind {
        CriterionKind::SbomPolicyPassed => match &facts.sbom {
            None => (false, "no SBOM in the package".into(), vec![]),
            Some(s) if s.policy_passed => {
                (true, "the SBOM policy check passed".into(), rec(&s.record))
            }
            Some(s) => (
                false,
                if s.reasons.is_empty() {
                    "the SBOM policy check failed".into()
                } else {
                    format!("the SBOM policy check failed: {}", s.reasons.join("; "))
                },
                rec(&s.record),
            ),
        },
        CriterionKind::NoOpenKev => match &facts.sbom {
            None => (false, "not checked: no SBOM in the package".into(), vec![]),
            Some(s) => (
                s.open_kev == 0,
                format!(
                    "{} listed as known exploited",
                    plural(s.open_kev, "open vulnerability", "open vulnerabilities")
                ),
                rec(&s.record),
            ),
        },
        CriterionKind::NoUnaddressedHighVulns => match &facts.sbom {
            None => (false, "not checked: no SBOM in the package".into(), vec![]),
            Some(s) => (
                s.open_high_without_vex == 0,
                format!(
                    "{} of high or critical severity without a VEX statement",
                    plural(
                        s.open_high_without_vex,
                        "open vulnerability",
                        "open vulnerabilities"
                    )
                ),
                rec(&s.record),
            ),
        },
        CriterionKind::SignatureVerified => match &facts.signature {
            None => (false, "no signed release in the package".into(), vec![]),
            Some(s) => (
                s.verified,
                format!(
                    "{}: {}",
                    if s.verified {
                        "verified"
                    } else {
                        "not verified"
                    },
                    s.detail
                ),
                rec(&s.record),
            ),
        },
        CriterionKind::RobustnessEvidence { protocols } => {
            let wanted: Vec<String> = protocols.iter().map(|p| norm_protocol(p)).collect();
            let relevant: Vec<&RobustnessFact> = facts
                .robustness
                .iter()
                .filter(|r| wanted.is_empty() || wanted.contains(&norm_protocol(&r.protocol)))
                .collect();
            let with_cases = |p: &str| {
                relevant
                    .iter()
                    .any(|r| r.cases > 0 && norm_protocol(&r.protocol) == norm_protocol(p))
            };
            let missing: Vec<&str> = if protocols.is_empty() {
                if relevant.iter().any(|r| r.cases > 0) {
                    vec![]
                } else {
                    vec!["any protocol"]
                }
            } else {
                protocols
                    .iter()
                    .filter(|p| !with_cases(p))
                    .map(|p| p.as_str())
                    .collect()
            };
            let crash: usize = relevant.iter().map(|r| r.open_crash_or_hang).sum();
            let conformance: usize = relevant.iter().map(|r| r.open_conformance).sum();
            let mut parts: Vec<String> = relevant
                .iter()
                .map(|r| {
                    format!(
                        "{} ({} cases, {} open crash/hang, {} open conformance)",
                        r.protocol, r.cases, r.open_crash_or_hang, r.open_conformance
                    )
                })
                .collect();
            if parts.is_empty() {
                parts.push("no campaign".into());
            }
            let mut detail = parts.join("; ");
            if !missing.is_empty() {
                detail.push_str(&format!("; missing: {}", missing.join(", ")));
            }
            if crash > 0 {
                detail.push_str(&format!(
                    "; {} open",
                    plural(crash, "crash or hang finding", "crash or hang findings")
                ));
            }
            if conformance > 0 && crash == 0 && missing.is_empty() {
                detail.push_str("; open conformance findings are reported, not failed");
            }
            (
                missing.is_empty() && crash == 0,
                detail,
                relevant.iter().filter_map(|r| r.record).collect(),
            )
        }
        CriterionKind::CertificateValid { scheme } => {
            let Some(t) = today else { return bad_today() };
            let matching: Vec<&CertificateFact> = facts
                .certificates
                .iter()
                .filter(|c| {
                    scheme
                        .as_ref()
                        .is_none_or(|s| c.scheme.trim().eq_ignore_ascii_case(s.trim()))
                })
                .collect();
            let judged: Vec<(&CertificateFact, Vec<String>)> = matching
                .iter()
                .map(|c| {
                    (
                        *c,
                        certificate_problems(
                            c,
                            &manifest.vendor,
                            &manifest.product,
                            t,
                            scheme.as_deref(),
                        ),
                    )
                })
                .collect();
            let counts = |c: &CertificateFact, problems: &[String]| {
                problems.is_empty() && days(c.expires.trim()).is_some_and(|e| e >= t)
            };
            let valid = judged.iter().any(|(c, p)| counts(c, p));
            let detail = if matching.is_empty() {
                match scheme {
                    Some(s) => format!("no {s} certificate listed"),
                    None => "no certificate listed".into(),
                }
            } else {
                judged
                    .iter()
                    .map(|(c, problems)| {
                        let state = if !problems.is_empty() {
                            format!("not counted: {}", problems.join("; "))
                        } else {
                            match days(c.expires.trim()) {
                                None => format!("expiry '{}' is not a date", c.expires),
                                Some(e) if e >= t => format!("valid until {}", c.expires),
                                Some(_) => format!("expired on {}", c.expires),
                            }
                        };
                        format!("{} {} ({}): {state}", c.scheme, c.number, c.scope)
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            (
                valid,
                detail,
                judged
                    .iter()
                    .filter(|(c, p)| counts(c, p))
                    .filter_map(|(c, _)| c.record)
                    .collect(),
            )
        }
        CriterionKind::SupportUntil { min_years } => {
            // `today` is `days(today_text)`: the same date, parsed here for its calendar fields.
            let Some(today_date) = parse_date(today_text.trim()).filter(|_| today.is_some()) else {
                return bad_today();
            };
            let Some(need) = add_years(today_date, *min_years) else {
                return (
                    false,
                    format!(
                        "{min_years} years from {} is after 9999-12-31: no date can meet it",
                        ymd(today_date)
                    ),
                    vec![],
                );
            };
            let need_text = ymd(need);
            match &facts.end_of_support {
                None => (
                    false,
                    format!("no end-of-support date stated (needed: {need_text} or later)"),
                    vec![],
                ),
                Some(eos) => match days(eos.trim()) {
                    Some(e) => (
                        e >= day_number(need),
                        format!("support stated until {eos}; needed: {need_text} or later"),
                        vec![],
                    ),
                    None => (
                        false,
                        format!("end of support '{eos}' is not YYYY-MM-DD"),
                        vec![],
                    ),
                },
            }
        }
        CriterionKind::DocumentPresent { what } => {
            let docs: Vec<&DocumentFact> = facts
                .documents
                .iter()
                .filter(|d| d.what.trim().eq_ignore_ascii_case(what.trim()))
                .collect();
            let present = docs.iter().any(|d| d.present && d.problem.is_none());
            let problems: Vec<&str> = docs.iter().filter_map(|d| d.problem.as_deref()).collect();
            (
                present,
                if present {
                    format!("{what} delivered")
                } else if docs.is_empty() {
                    format!("no {what} in the package")
                } else if !problems.is_empty() {
                    format!("{what} not counted: {}", problems.join("; "))
                } else {
                    format!("{what} named but not found")
                },
                docs.iter()
                    .filter(|d| d.present && d.problem.is_none())
                    .filter_map(|d| d.record)
                    .collect(),
            )
        }
    }
}

fn window_warning(what: &str, date: &str, today: i64, window: u32) -> Option<String> {
    let d = days(date.trim())?;
    let left = d - today;
    if left < 0 {
        Some(format!(
            "{what} ended on {date}, {} ago",
            plural((-left) as usize, "day", "days")
        ))
    } else if left <= i64::from(window) {
        Some(format!(
            "{what} ends on {date}, in {} (within the {window}-day warning window)",
            plural(left as usize, "day", "days")
        ))
    } else {
        None
    }
}

/// Decide on the package. See the module documentation for the rules.
pub fn decide(
    manifest: &PackageManifest,
    criteria: &Criteria,
    facts: &PackageFacts,
    today: &str,
    decided_by: &str,
) -> AcceptanceResult {
    let today_n = days(today.trim());
    let mut warnings = Vec::new();
    if today_n.is_none() {
        warnings.push(format!(
            "today's date '{today}' is not YYYY-MM-DD: date-based criteria fail and limited exceptions do not apply"
        ));
    }
    for u in &facts.unproven {
        warnings.push(format!("not counted, not proven in the store's log: {u}"));
    }
    let mut out_criteria = Vec::new();
    let mut exceptions = Vec::new();
    let mut used_exceptions: Vec<usize> = Vec::new();
    for def in &criteria.items {
        let (ok, detail, evidence) = evaluate(&def.kind, manifest, facts, today_n, today);
        let mut result = match (ok, def.required) {
            (true, _) => CriterionResult::Pass,
            (false, true) => CriterionResult::Fail,
            // An optional criterion not met does not bear on the decision: it is recorded as
            // not applicable (its description says "optional, not met"), never as a fail.
            (false, false) => CriterionResult::NotApplicable,
        };
        if !ok && def.required {
            let usable = criteria.exceptions.iter().enumerate().find(|(_, e)| {
                e.criterion == def.id
                    && match &e.until {
                        None => true,
                        Some(u) => match (days(u.trim()), today_n) {
                            (Some(u), Some(t)) => u >= t,
                            _ => false,
                        },
                    }
            });
            if let Some((i, e)) = usable {
                result = CriterionResult::Exception;
                used_exceptions.push(i);
                exceptions.push(Exception {
                    criterion: e.criterion.clone(),
                    justification: e.justification.clone(),
                    owner: e.owner.clone(),
                    until: e.until.clone(),
                });
            }
        }
        if !ok && !def.required {
            warnings.push(format!(
                "optional criterion {} is not met: {detail}",
                def.id
            ));
        }
        out_criteria.push(Criterion {
            id: def.id.clone(),
            description: format!(
                "{}{}: {detail}",
                def.description,
                match (def.required, ok) {
                    (true, _) => "",
                    (false, true) => " (optional)",
                    (false, false) => " (optional, not met: does not affect the decision)",
                }
            ),
            result,
            evidence,
        });
    }
    for (i, e) in criteria.exceptions.iter().enumerate() {
        if used_exceptions.contains(&i) {
            continue;
        }
        let c = out_criteria.iter().find(|c| c.id == e.criterion);
        let def = criteria.items.iter().find(|d| d.id == e.criterion);
        let why = match (c.map(|c| c.result), def) {
            (None, _) | (_, None) => "there is no such criterion".to_string(),
            (Some(CriterionResult::Pass), _) => "the criterion is met".to_string(),
            (_, Some(d)) if !d.required => "the criterion is optional".to_string(),
            (Some(CriterionResult::Exception), _) => {
                "an earlier exception for the criterion applies".to_string()
            }
            _ => match &e.until {
                Some(u) if today_n.is_some() && days(u.trim()).is_some() => {
                    format!("it expired on {u}")
                }
                Some(u) => format!("its date '{u}' cannot be compared with today"),
                None => "it does not apply".to_string(),
            },
        };
        warnings.push(format!(
            "exception for {} (owner {}) is not applied: {why}",
            e.criterion, e.owner
        ));
    }
    if let Some(t) = today_n {
        if let Some(eos) = &facts.end_of_support {
            if let Some(w) =
                window_warning("security support", eos, t, criteria.warn_days_before_eos)
            {
                warnings.push(w);
            }
        }
        for c in &facts.certificates {
            let what = format!("certificate {} {} ({})", c.scheme, c.number, c.scope);
            if let Some(w) = window_warning(&what, &c.expires, t, criteria.warn_days_before_eos) {
                warnings.push(w.replacen("ended on", "expired on", 1).replacen(
                    "ends on",
                    "expires on",
                    1,
                ));
            }
        }
    }
    let rejected = out_criteria
        .iter()
        .zip(&criteria.items)
        .any(|(c, d)| d.required && c.result == CriterionResult::Fail);
    let decision = if rejected {
        Verdict::Reject
    } else if !exceptions.is_empty() {
        Verdict::AcceptWithExceptions
    } else {
        Verdict::Accept
    };
    let mut requirements: Vec<String> = Vec::new();
    for r in criteria.items.iter().flat_map(|d| &d.refs) {
        if !requirements.contains(r) {
            requirements.push(r.clone());
        }
    }
    let mut references: Vec<RecordId> = out_criteria
        .iter()
        .flat_map(|c| c.evidence.iter().copied())
        .collect();
    references.sort();
    references.dedup();
    let limitations = limitations(manifest, criteria, facts);
    let count = |r: CriterionResult| out_criteria.iter().filter(|c| c.result == r).count() as u64;
    let payload = AcceptancePayload {
        decided_on: today.to_string(),
        summary: CriteriaSummary {
            pass: count(CriterionResult::Pass),
            fail: count(CriterionResult::Fail),
            exception: count(CriterionResult::Exception),
            optional_not_met: count(CriterionResult::NotApplicable),
        },
        optional: criteria
            .items
            .iter()
            .filter(|d| !d.required)
            .map(|d| d.id.clone())
            .collect(),
        end_of_support: facts.end_of_support.clone(),
        certificates: facts
            .certificates
            .iter()
            .map(|c| CertificateListed {
                record: c.record,
                scheme: c.scheme.clone(),
                issuer: c.issuer.clone(),
                issued: c.issued.clone(),
                scope: c.scope.clone(),
                number: c.number.clone(),
                expires: c.expires.clone(),
            })
            .collect(),
        warn_days_before_eos: criteria.warn_days_before_eos,
        warnings: warnings.clone(),
        limitations: limitations.clone(),
    };
    // A struct of text, numbers and lists always serialises; `Null` is unreachable.
    let payload = payload.to_value().unwrap_or(serde_json::Value::Null);
    AcceptanceResult {
        decision: Decision {
            decision,
            title: format!(
                "Acceptance of {} {} {}",
                manifest.vendor, manifest.product, manifest.version
            ),
            subject: Subject::Product {
                vendor: manifest.vendor.clone(),
                product: manifest.product.clone(),
                version: Some(manifest.version.clone()),
                component_type: Some(manifest.component_type),
                artifacts: vec![],
            },
            requirements,
            criteria: out_criteria,
            references,
            exceptions,
            decided_by: decided_by.into(),
            payload,
        },
        warnings,
        limitations,
    }
}

fn limitations(m: &PackageManifest, criteria: &Criteria, facts: &PackageFacts) -> Vec<String> {
    let mut out = Vec::new();
    let uses = |name: &str| criteria.items.iter().any(|d| d.kind.name() == name);
    if facts.sbom.is_some() {
        out.push("Vulnerability status reflects the vulnerability data available to the SBOM check; vulnerabilities published later are not covered.".to_string());
        out.push("The SBOM is taken as the vendor's statement of what the firmware contains; it was not compared with the firmware image itself.".to_string());
        if m.vex.is_empty() {
            out.push("The package has no VEX: every open high or critical vulnerability counts as unaddressed.".to_string());
        } else {
            out.push("VEX statements are the vendor's claims; otproof checks their form and match, not whether the product is in fact unaffected.".to_string());
        }
    }
    match &facts.signature {
        Some(s) if s.verified => out.push("The vendor key came with the package: its authenticity must be established out of band (e.g. against the key named in the contract or published by the vendor).".to_string()),
        Some(_) => {}
        None if m.has_signed_release() => out.push("The package names a signed release, but no signature check was supplied: the signature was not verified.".to_string()),
        None => out.push("The package names no signed release (firmware, envelope, vendor_key): firmware integrity was not checked.".to_string()),
    }
    if !facts.robustness.is_empty() {
        out.push("Robustness evidence covers only the protocols, test cases and configuration of the supplied campaigns; other interfaces and configurations were not tested.".to_string());
    }
    if !facts.certificates.is_empty() || uses("certificate-valid") {
        out.push(format!("Certificates are checked for plausibility only (a register number, an issuer, a known scheme, an expiry at most {MAX_CERTIFICATE_YEARS} years ahead, a scope naming the product or vendor): they were not checked with the issuing scheme's registry, and their scope is not compared with the product version."));
    }
    if uses("document-present") {
        out.push(format!("Documents (hardening guide, patch policy, support statement, certificates' files) are checked for form only: present, not empty, a readable type (PDF or text) and, for text, at least {MIN_DOCUMENT_WORDS} words; their content and quality are not judged."));
    }
    if facts.end_of_support.is_some() || uses("support-until") {
        out.push("The end-of-support date is the vendor's statement; the commitment itself cannot be verified here.".to_string());
    }
    out.push("Only the criteria listed were evaluated; requirements without a criterion (e.g. the technical capabilities of IEC 62443-4-2) are not assessed by this decision.".to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(days("1970-01-01"), Some(0));
        assert_eq!(days("2000-03-01"), Some(11_017));
        assert_eq!(
            days("2026-11-26")
                .zip(days("2027-11-26"))
                .map(|(a, b)| b - a),
            Some(365)
        );
        assert!(parse_date("2026-02-29").is_none());
        assert!(parse_date("2028-02-29").is_some());
        assert!(parse_date("2026-13-01").is_none());
        assert!(parse_date("2026-1-01").is_none());
        assert!(parse_date("+026-01-01").is_none());
        assert_eq!(
            parse_date("2028-02-29").and_then(|d| add_years(d, 1)),
            parse_date("2029-02-28")
        );
        assert_eq!(
            parse_date("2028-02-29").and_then(|d| add_years(d, 7972)),
            None
        );
    }

    /// The hand-written calendar this module used before jiff, kept as the oracle.
    fn old_month_days(y: i64, m: u32) -> u32 {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            _ if leap => 29,
            _ => 28,
        }
    }

    fn old_day_number((y, m, d): (i64, u32, u32)) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (i64::from(m) + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    proptest::proptest! {
        #[test]
        fn dates_as_before(y in 0i64..=9999, m in 1u32..=12, d in 1u32..=31, n in 0u32..=200) {
            let text = format!("{y:04}-{m:02}-{d:02}");
            let valid = d <= old_month_days(y, m);
            proptest::prop_assert_eq!(parse_date(&text).is_some(), valid, "{}", text);
            if valid {
                proptest::prop_assert_eq!(days(&text), Some(old_day_number((y, m, d))));
                let y2 = y + i64::from(n);
                let later = parse_date(&text).and_then(|date| add_years(date, n));
                if y2 <= 9999 {
                    let want = (y2, m, d.min(old_month_days(y2, m)));
                    proptest::prop_assert_eq!(later.map(ymd), Some(format!("{:04}-{:02}-{:02}", want.0, want.1, want.2)));
                    proptest::prop_assert_eq!(later.map(day_number), Some(old_day_number(want)));
                } else {
                    proptest::prop_assert_eq!(later, None);
                }
            }
        }
    }

    #[test]
    fn default_refs_are_catalog_ids() {
        for (_, refs) in DEFAULT_REFS {
            for r in *refs {
                assert!(Catalog::builtin().get(r).is_some(), "{r}");
            }
        }
        let c = default_criteria(None);
        assert_eq!(c.items.len(), 10);
        assert!(c.items.iter().all(|i| !i.refs.is_empty()));
    }

    #[test]
    fn unknown_refs_are_rejected_with_catalog_examples() {
        let e = parse_criteria("items:\n  - id: ROB-1\n    refs: [XX 9.9]\n").expect_err("bad ref");
        assert!(
            e.message
                .contains("'XX 9.9' is not in the IEC 62443 catalog"),
            "{e}"
        );
        assert!(e.message.contains("such as CR 3.5 or SVV-3"), "{e}");
    }

    #[test]
    fn protocol_names_normalise() {
        assert_eq!(norm_protocol("Modbus/TCP"), norm_protocol("modbus-tcp"));
    }
}
