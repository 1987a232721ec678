//! The crate's single error type. Every variant names the check that failed.

use std::path::PathBuf;

/// Why a signing or verification operation failed.
///
/// The `Display` text always starts with the name of the failed check
/// (`signature`, `digest`, `expired`, `threshold`, `rule ...`, `key permissions`, ...)
/// so callers and logs can tell *which* check rejected the input.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// Structured input (JSON document, envelope, layout, link, statement) did not have the
    /// expected shape. `path` is a JSON-path-like location, `expected` what should be there.
    #[error("parse {what}: {path}: expected {expected}")]
    Parse {
        /// What was being parsed ("DSSE envelope", "in-toto link", ...).
        what: &'static str,
        /// Location of the offending element, e.g. `signatures[0].sig`.
        path: String,
        /// What the parser expected there.
        expected: String,
    },
    /// A key could not be decoded, encoded or generated.
    #[error("key: {0}")]
    Key(String),
    /// A private key file has permissions that let group/others read it.
    #[error("key permissions: {path} has mode {mode:04o}; private key files must not be accessible by group or others (expected mode 0600 or stricter)")]
    KeyPermissions {
        /// The offending file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Reading or writing a key file or a links directory failed.
    #[error("io: {path}: {reason}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// No signature could be verified.
    #[error("signature: {0}")]
    Signature(String),
    /// The payload type of a DSSE envelope is not the one required.
    #[error("payload type: expected {expected:?}, found {found:?}")]
    PayloadType {
        /// Required payload type.
        expected: String,
        /// Payload type in the envelope.
        found: String,
    },
    /// An in-toto statement or predicate is not what the verifier requires.
    #[error("statement: {0}")]
    Statement(String),
    /// An artifact's digest does not match.
    #[error("digest: {0}")]
    Digest(String),
    /// A timestamp could not be parsed.
    #[error("time: {0}")]
    Time(String),
    /// A layout's expiry date is before the caller-supplied "now".
    #[error("expired: layout expired at {expires} (verification time {now})")]
    Expired {
        /// The layout's `expires`.
        expires: String,
        /// The caller-supplied verification time.
        now: String,
    },
    /// Not enough valid links from authorized functionaries for a step, or the links disagree.
    #[error("threshold: step {step:?} requires {required} valid link(s) from authorized functionaries, found {found}{detail}")]
    Threshold {
        /// Step name.
        step: String,
        /// The step's threshold.
        required: u64,
        /// Valid links found.
        found: u64,
        /// Why the other candidate links were rejected (starts with "; " when non-empty).
        detail: String,
    },
    /// An artifact rule of a step or inspection failed.
    #[error("rule {rule} ({item} {side}): {detail}")]
    Rule {
        /// The rule as written in the layout, e.g. `DISALLOW *`.
        rule: String,
        /// `step "name"` or `inspection "name"`.
        item: String,
        /// `materials` or `products`.
        side: &'static str,
        /// What failed.
        detail: String,
    },
    /// An inspection was not run because otproof never executes layout commands, and no
    /// pre-recorded inspection link was supplied.
    #[error("inspection {name:?} not run (otproof does not execute layout commands; command was {run:?}) and no pre-recorded {name}.link was supplied")]
    InspectionNotRun {
        /// Inspection name.
        name: String,
        /// The command the layout would run.
        run: Vec<String>,
    },
    /// Any other layout-level check (metadata type, unsupported feature, ...).
    #[error("layout: {0}")]
    Layout(String),
    /// An identity statement failed validation.
    #[error("identity: {0}")]
    Identity(String),
}

impl SignError {
    pub(crate) fn parse(
        what: &'static str,
        path: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        SignError::Parse {
            what,
            path: path.into(),
            expected: expected.into(),
        }
    }
}
