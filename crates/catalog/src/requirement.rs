//! Requirement rows, their standards and kinds, and 4-1 practices and maturity levels.

use crate::{ComponentType, Fr, SlVector};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which part of IEC 62443 a requirement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Standard {
    /// IEC 62443-3-3:2013, system security requirements (SR) and REs.
    #[serde(rename = "62443-3-3")]
    System,
    /// IEC 62443-4-2:2019, component requirements (CR, SAR, EDR, HDR, NDR) and REs.
    #[serde(rename = "62443-4-2")]
    Component,
    /// IEC 62443-4-1:2018, secure product development lifecycle requirements.
    #[serde(rename = "62443-4-1")]
    Lifecycle,
}

/// Why a text is not a standard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown standard '{0}': expected one of 62443-3-3, 62443-4-2, 62443-4-1")]
pub struct StandardError(pub String);

impl Standard {
    /// All three, in listing order.
    pub const ALL: [Standard; 3] = [Standard::System, Standard::Component, Standard::Lifecycle];

    /// `62443-3-3`, `62443-4-2`, `62443-4-1`.
    pub fn slug(self) -> &'static str {
        match self {
            Standard::System => "62443-3-3",
            Standard::Component => "62443-4-2",
            Standard::Lifecycle => "62443-4-1",
        }
    }

    /// The edition the catalog follows, e.g. `IEC 62443-4-2:2019`.
    pub fn edition(self) -> &'static str {
        match self {
            Standard::System => "IEC 62443-3-3:2013",
            Standard::Component => "IEC 62443-4-2:2019",
            Standard::Lifecycle => "IEC 62443-4-1:2018",
        }
    }
}

impl fmt::Display for Standard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Standard {
    type Err = StandardError;
    fn from_str(s: &str) -> Result<Standard, StandardError> {
        let norm = s.trim().to_ascii_lowercase();
        let norm = norm.trim_start_matches("iec").trim().replace(' ', "");
        Standard::ALL
            .into_iter()
            .find(|st| st.slug() == norm || st.slug().trim_start_matches("62443-") == norm)
            .ok_or_else(|| StandardError(s.to_string()))
    }
}

/// The kind of a catalog row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    /// 3-3 system requirement.
    Sr,
    /// 4-2 common component requirement.
    Cr,
    /// Requirement enhancement of `parent`.
    Re,
    /// 4-2 software application requirement (fills a CR slot).
    Sar,
    /// 4-2 embedded device requirement (fills a CR slot).
    Edr,
    /// 4-2 host device requirement (fills a CR slot).
    Hdr,
    /// 4-2 network device requirement (fills a CR slot).
    Ndr,
    /// A 4-2 CR number whose content exists only as component-specific requirements.
    Slot,
    /// A 4-2 CR number with no component-level requirement.
    None,
    /// A 4-1 lifecycle requirement within a practice.
    #[serde(rename = "requirement")]
    Requirement,
}

impl Kind {
    pub(crate) fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "SR" => Kind::Sr,
            "CR" => Kind::Cr,
            "RE" => Kind::Re,
            "SAR" => Kind::Sar,
            "EDR" => Kind::Edr,
            "HDR" => Kind::Hdr,
            "NDR" => Kind::Ndr,
            "SLOT" => Kind::Slot,
            "NONE" => Kind::None,
            _ => return Option::None,
        })
    }

    /// `SR`, `CR`, `RE`, `SAR`, ..., `requirement`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Sr => "SR",
            Kind::Cr => "CR",
            Kind::Re => "RE",
            Kind::Sar => "SAR",
            Kind::Edr => "EDR",
            Kind::Hdr => "HDR",
            Kind::Ndr => "NDR",
            Kind::Slot => "SLOT",
            Kind::None => "NONE",
            Kind::Requirement => "requirement",
        }
    }

    /// SAR, EDR, HDR or NDR.
    pub fn is_component_specific(self) -> bool {
        matches!(self, Kind::Sar | Kind::Edr | Kind::Hdr | Kind::Ndr)
    }
}

/// The eight practices of IEC 62443-4-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Practice {
    /// Practice 1, security management.
    Sm,
    /// Practice 2, specification of security requirements.
    Sr,
    /// Practice 3, secure by design.
    Sd,
    /// Practice 4, secure implementation.
    Si,
    /// Practice 5, security verification and validation testing.
    Svv,
    /// Practice 6, management of security-related issues.
    Dm,
    /// Practice 7, security update management.
    Sum,
    /// Practice 8, security guidelines.
    Sg,
}

impl Practice {
    /// All eight, in the standard's order.
    pub const ALL: [Practice; 8] = [
        Practice::Sm,
        Practice::Sr,
        Practice::Sd,
        Practice::Si,
        Practice::Svv,
        Practice::Dm,
        Practice::Sum,
        Practice::Sg,
    ];

    /// 1..=8.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// `SM`, `SR`, ..., `SG`.
    pub fn abbrev(self) -> &'static str {
        match self {
            Practice::Sm => "SM",
            Practice::Sr => "SR",
            Practice::Sd => "SD",
            Practice::Si => "SI",
            Practice::Svv => "SVV",
            Practice::Dm => "DM",
            Practice::Sum => "SUM",
            Practice::Sg => "SG",
        }
    }

    /// The practice's name.
    pub fn name(self) -> &'static str {
        match self {
            Practice::Sm => "Security management",
            Practice::Sr => "Specification of security requirements",
            Practice::Sd => "Secure by design",
            Practice::Si => "Secure implementation",
            Practice::Svv => "Security verification and validation testing",
            Practice::Dm => "Management of security-related issues",
            Practice::Sum => "Security update management",
            Practice::Sg => "Security guidelines",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Practice> {
        Practice::ALL.into_iter().find(|p| p.abbrev() == s)
    }
}

impl fmt::Display for Practice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbrev())
    }
}

/// An IEC 62443-4-1 maturity level, 1..=4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct MaturityLevel(u8);

/// Why a number is not a maturity level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "maturity level '{0}' is out of range: expected 1, 2, 3 or 4 (ML 1 initial .. ML 4 improving)"
)]
pub struct MaturityLevelError(pub String);

impl MaturityLevel {
    /// ML 1..4.
    pub const ALL: [MaturityLevel; 4] = [
        MaturityLevel(1),
        MaturityLevel(2),
        MaturityLevel(3),
        MaturityLevel(4),
    ];

    /// From 1..=4.
    pub fn new(level: u8) -> Result<MaturityLevel, MaturityLevelError> {
        if (1..=4).contains(&level) {
            Ok(MaturityLevel(level))
        } else {
            Err(MaturityLevelError(level.to_string()))
        }
    }

    /// 1..=4.
    pub fn level(self) -> u8 {
        self.0
    }

    /// Initial, Managed, Defined (practiced), Improving.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "Initial",
            2 => "Managed",
            3 => "Defined (practiced)",
            _ => "Improving",
        }
    }

    /// Our own one-line reading of what the level means.
    pub fn meaning(self) -> &'static str {
        match self.0 {
            1 => "work is done, but ad hoc and mostly undocumented; results depend on individuals",
            2 => "the process is written down, owned and staffed with trained people; it may not yet be applied everywhere",
            3 => "the documented process is applied repeatably, with records showing it in use on at least one product",
            _ => "the process is measured with metrics that are reviewed and used to improve it",
        }
    }
}

impl fmt::Display for MaturityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ML {}", self.0)
    }
}

impl From<MaturityLevel> for u8 {
    fn from(m: MaturityLevel) -> u8 {
        m.0
    }
}

impl TryFrom<u8> for MaturityLevel {
    type Error = MaturityLevelError;
    fn try_from(n: u8) -> Result<MaturityLevel, MaturityLevelError> {
        MaturityLevel::new(n)
    }
}

impl FromStr for MaturityLevel {
    type Err = MaturityLevelError;
    fn from_str(s: &str) -> Result<MaturityLevel, MaturityLevelError> {
        let t = s.trim();
        let t = t
            .strip_prefix("ML")
            .or_else(|| t.strip_prefix("ml"))
            .unwrap_or(t)
            .trim();
        t.parse::<u8>()
            .ok()
            .and_then(|n| MaturityLevel::new(n).ok())
            .ok_or_else(|| MaturityLevelError(s.to_string()))
    }
}

/// One row of the catalog: a requirement, an RE, a slot or a 4-1 requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// Identifier as the standard writes it: `CR 3.5`, `CR 1.1 RE2`, `NDR 1.6`, `SVV-3`.
    pub id: String,
    /// What kind of row this is.
    pub kind: Kind,
    /// The standard it belongs to.
    pub standard: Standard,
    /// The FR (none for 4-1).
    pub fr: Option<Fr>,
    /// The 4-1 practice (4-1 only).
    pub practice: Option<Practice>,
    /// For an RE, its base requirement; for SAR/EDR/HDR/NDR, the CR slot it fills.
    pub parent: Option<String>,
    /// The short title.
    pub title: String,
    /// Our own one-line paraphrase (never the standard's text).
    pub summary: String,
    /// The lowest security level that requires it (none for slots, 4-1 and no-requirement rows).
    pub min_sl: Option<u8>,
    /// The component types it applies to (4-2 only; empty for 3-3 and 4-1).
    pub component_types: Vec<ComponentType>,
    /// False when public sources disagree on `min_sl`.
    pub confirmed: bool,
    /// When unconfirmed: the level the other source gives.
    pub disputed_sl: Option<u8>,
}

impl Requirement {
    /// Whether it is required at SL 1, 2, 3, 4.
    pub fn sl_flags(&self) -> [bool; 4] {
        let mut flags = [false; 4];
        if let Some(min) = self.min_sl {
            for (i, f) in flags.iter_mut().enumerate() {
                *f = i as u8 + 1 >= min;
            }
        }
        flags
    }

    /// Required at this level of its FR.
    pub fn required_at(&self, level: u8) -> bool {
        self.min_sl.is_some_and(|min| level >= min)
    }

    /// Required by this SL-T vector (looks at its own FR).
    pub fn required_by(&self, sl_t: &SlVector) -> bool {
        match self.fr {
            Some(fr) => self.required_at(sl_t.get(fr)),
            None => false,
        }
    }

    /// Applies to this component type (4-2 rows only).
    pub fn applies_to(&self, ct: ComponentType) -> bool {
        self.component_types.contains(&ct)
    }

    /// An RE (of a CR, SR or component-specific requirement).
    pub fn is_enhancement(&self) -> bool {
        self.kind == Kind::Re
    }
}
