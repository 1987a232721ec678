//! otproof-sign: the signing and signature-verification layer of otproof.
//!
//! This crate owns:
//! * [`keys`]: Ed25519 and P-256 keys (PKCS#8 / SPKI PEM), key ids (hex SHA-256 of SPKI DER),
//!   and the only file I/O for keys ([`keys::write_private_key`], [`keys::read_private_key`]);
//! * [`dsse`]: DSSE v1 envelopes;
//! * [`intoto`]: in-toto Statement v1 and otproof's release predicate
//!   (`https://otproof.dev/release/v1`);
//! * [`layout`]: verification of in-toto v0.9 layouts and links (Ed25519, RSA-PSS, ECDSA P-256);
//! * [`identity`]: vendor-signed device identities.
//!
//! Invariants:
//! * Private keys are never printed: `SigningKey`'s `Debug` is redacted, it has no `Display`,
//!   PEM exports are `Zeroizing` and errors never carry key material.
//! * Private key files are created new with mode 0600 (never overwritten) and are refused on
//!   read when group or others have any access.
//! * Verification never accepts on partial checks: every function returns `Ok` only when every
//!   check it performs passed. The one explicit exception is opt-in: in-toto inspections (which
//!   otproof never executes) may be skipped with `allow_unrun_inspections`, and the returned
//!   [`layout::LayoutReport`] then lists them in `not_checked` and `is_complete()` is false.
//! * No I/O besides the key-file helpers and [`layout::read_links_dir`]; no clock is read
//!   (callers pass times as RFC 3339 strings); no external command is ever run.
//! * Parsing never panics on arbitrary input.

pub mod canonical;
pub mod dsse;
mod error;
pub mod identity;
pub mod intoto;
pub mod keys;
pub mod layout;
pub mod time;

pub use dsse::{Envelope, Verified};
pub use error::SignError;
pub use keys::{read_private_key, write_private_key, Alg, SigningKey, VerifyingKey};

/// True for exactly 64 lowercase hex characters.
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}
