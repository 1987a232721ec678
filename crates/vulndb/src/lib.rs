//! Offline vulnerability data and matching for otproof.
//!
//! This crate owns:
//! * [`version`]: version ordering for each package ecosystem (SemVer, PEP 440, Maven, dpkg,
//!   RPM, apk, NuGet, RubyGems, Composer, CRAN, and a generic order);
//! * [`osv`]: OSV records (schema 1.x): parsing, validation, range evaluation;
//! * [`kev`] and [`nvd`]: the CISA KEV catalog and NVD CVE JSON 2.0 feeds, with [`cpe`]
//!   matching of CPE 2.3 names;
//! * [`VulnDb`]: a SQLite index those sources are imported into, and [`Matcher`], the
//!   in-memory index that matches components against them;
//! * [`generate`]: synthetic advisories and components for tests and benchmarks.
//!
//! Invariants:
//! * Offline only: nothing here opens a network connection; data arrives as files.
//! * Never panics on input: version strings, JSON, CPEs and zip archives of any shape give
//!   an order, an error or a rejection, never a panic.
//! * A bad record is rejected with a reason naming the file (or `file[index]`,
//!   `file:zip-entry`) and the field, never silently dropped: see
//!   [`ImportReport::rejected`].
//! * Withdrawn OSV records are stored but never matched.
//! * GIT ranges are kept but cannot be evaluated against a version: a package whose only
//!   ranges are GIT ranges is reported with `evaluable: false` and a note.
//! * No product-only CPE matches: the vendor must be known and equal.
//! * Limitation: Debian/Ubuntu advisories name source packages; a binary package is matched
//!   only by the name given in the query.

pub mod cpe;
mod db;
pub mod generate;
pub mod kev;
mod matcher;
pub mod nvd;
pub mod osv;
pub mod version;

pub use db::{DataSummary, DbError, ImportProgress, ImportReport, SourceStatus, VulnDb};
pub use kev::KevEntry;
pub use matcher::{
    normalize_name, pep503, purl_targets, Confidence, Match, Matcher, Query, Severity,
};
pub use nvd::NvdCve;
pub use osv::{affects, Advisory, Affected, Evaluation};
pub use version::{compare, Ecosystem};

/// Milliseconds since the epoch of an RFC 3339 timestamp; a timestamp without an offset
/// (NVD style, `2024-01-02T03:04:05.678`) or a bare date is taken as UTC.
pub(crate) fn timestamp_key(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return jiff::tz::TimeZone::UTC
            .to_timestamp(dt)
            .ok()
            .map(|t| t.as_millisecond());
    }
    None
}
