//! The seven foundational requirements (FR 1..7).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A foundational requirement of IEC 62443-3-3 / 4-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Fr {
    /// FR 1, identification and authentication control.
    Iac = 1,
    /// FR 2, use control.
    Uc = 2,
    /// FR 3, system integrity.
    Si = 3,
    /// FR 4, data confidentiality.
    Dc = 4,
    /// FR 5, restricted data flow.
    Rdf = 5,
    /// FR 6, timely response to events.
    Tre = 6,
    /// FR 7, resource availability.
    Ra = 7,
}

impl Fr {
    /// All seven, in the standard's order.
    pub const ALL: [Fr; 7] = [Fr::Iac, Fr::Uc, Fr::Si, Fr::Dc, Fr::Rdf, Fr::Tre, Fr::Ra];

    /// 1..=7.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// Index into an SL vector (0..=6).
    pub fn index(self) -> usize {
        self as usize - 1
    }

    /// From 1..=7.
    pub fn from_number(n: u8) -> Option<Fr> {
        Fr::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The standard's abbreviation, e.g. `IAC`.
    pub fn abbrev(self) -> &'static str {
        match self {
            Fr::Iac => "IAC",
            Fr::Uc => "UC",
            Fr::Si => "SI",
            Fr::Dc => "DC",
            Fr::Rdf => "RDF",
            Fr::Tre => "TRE",
            Fr::Ra => "RA",
        }
    }

    /// The FR's name.
    pub fn name(self) -> &'static str {
        match self {
            Fr::Iac => "Identification and authentication control",
            Fr::Uc => "Use control",
            Fr::Si => "System integrity",
            Fr::Dc => "Data confidentiality",
            Fr::Rdf => "Restricted data flow",
            Fr::Tre => "Timely response to events",
            Fr::Ra => "Resource availability",
        }
    }
}

impl fmt::Display for Fr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FR {}", self.number())
    }
}

impl From<Fr> for u8 {
    fn from(fr: Fr) -> u8 {
        fr.number()
    }
}

impl TryFrom<u8> for Fr {
    type Error = String;
    fn try_from(n: u8) -> Result<Fr, String> {
        Fr::from_number(n).ok_or_else(|| format!("expected an FR number 1..7, got {n}"))
    }
}
