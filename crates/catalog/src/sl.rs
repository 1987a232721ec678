//! Security levels and SL vectors (one level per FR).

use crate::Fr;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a valid SL vector looks like; every parse error ends with it.
pub const SL_VECTOR_FORMAT: &str = "seven security levels 0-4, one per FR in the order \
IAC UC SI DC RDF TRE RA, written as 2,2,1,1,3,1,2 or \"2 2 1 1 3 1 2\" or \"{2 2 1 1 3 1 2}\"";

/// Why a text is not an SL vector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlVectorError {
    /// Nothing but braces or white space.
    #[error("empty SL vector: expected {SL_VECTOR_FORMAT}")]
    Empty,
    /// A `{` without `}` or the other way round.
    #[error("unbalanced braces in SL vector '{input}': expected {SL_VECTOR_FORMAT}")]
    Braces {
        /// The text as given.
        input: String,
    },
    /// Not seven levels.
    #[error("SL vector '{input}' has {count} level(s): expected {SL_VECTOR_FORMAT}")]
    Count {
        /// The text as given.
        input: String,
        /// How many levels it had.
        count: usize,
    },
    /// A level that is not 0..4.
    #[error("SL vector '{input}': level '{token}' at position {position} ({fr_abbrev}) is not 0, 1, 2, 3 or 4: expected {SL_VECTOR_FORMAT}")]
    Level {
        /// The text as given.
        input: String,
        /// 1-based position.
        position: usize,
        /// The FR at that position.
        fr_abbrev: &'static str,
        /// The offending token.
        token: String,
    },
}

/// A security level per foundational requirement, 0..=4 each, in FR order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "SlVectorRepr", into = "[u8; 7]")]
pub struct SlVector([u8; 7]);

impl SlVector {
    /// The same level in every FR.
    pub fn uniform(level: u8) -> Result<SlVector, SlVectorError> {
        SlVector::new([level; 7])
    }

    /// From seven levels; each must be 0..=4.
    pub fn new(levels: [u8; 7]) -> Result<SlVector, SlVectorError> {
        for (i, &l) in levels.iter().enumerate() {
            if l > 4 {
                return Err(SlVectorError::Level {
                    input: format!("{levels:?}"),
                    position: i + 1,
                    fr_abbrev: Fr::ALL[i].abbrev(),
                    token: l.to_string(),
                });
            }
        }
        Ok(SlVector(levels))
    }

    /// The level for one FR.
    pub fn get(&self, fr: Fr) -> u8 {
        self.0[fr.index()]
    }

    /// The seven levels in FR order.
    pub fn levels(&self) -> [u8; 7] {
        self.0
    }

    /// `IAC 2, UC 2, SI 1, ...`
    pub fn labeled(&self) -> String {
        Fr::ALL
            .iter()
            .map(|fr| format!("{} {}", fr.abbrev(), self.get(*fr)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// True when every level of `self` is at least the level of `other`.
    pub fn dominates(&self, other: &SlVector) -> bool {
        self.0.iter().zip(other.0.iter()).all(|(a, b)| a >= b)
    }
}

impl fmt::Display for SlVector {
    /// The standard's notation: `{2 2 1 1 3 1 2}` in IAC UC SI DC RDF TRE RA order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g, h] = self.0;
        write!(f, "{{{a} {b} {c} {d} {e} {g} {h}}}")
    }
}

impl FromStr for SlVector {
    type Err = SlVectorError;

    fn from_str(input: &str) -> Result<SlVector, SlVectorError> {
        let trimmed = input.trim();
        let inner = match (trimmed.strip_prefix('{'), trimmed.ends_with('}')) {
            (Some(rest), true) => &rest[..rest.len() - 1],
            (None, false) => trimmed,
            _ => {
                return Err(SlVectorError::Braces {
                    input: input.to_string(),
                })
            }
        };
        if inner.contains(['{', '}']) {
            return Err(SlVectorError::Braces {
                input: input.to_string(),
            });
        }
        if inner.trim().is_empty() {
            return Err(SlVectorError::Empty);
        }
        let tokens: Vec<&str> = if inner.contains(',') {
            inner.split(',').map(str::trim).collect()
        } else {
            inner.split_whitespace().collect()
        };
        if tokens.len() != 7 {
            return Err(SlVectorError::Count {
                input: input.to_string(),
                count: tokens.len(),
            });
        }
        let mut levels = [0u8; 7];
        for (i, token) in tokens.iter().enumerate() {
            levels[i] = match token.parse::<u8>() {
                Ok(l) if l <= 4 && token.len() == 1 => l,
                _ => {
                    return Err(SlVectorError::Level {
                        input: input.to_string(),
                        position: i + 1,
                        fr_abbrev: Fr::ALL[i].abbrev(),
                        token: token.to_string(),
                    })
                }
            };
        }
        Ok(SlVector(levels))
    }
}

impl From<SlVector> for [u8; 7] {
    fn from(v: SlVector) -> [u8; 7] {
        v.0
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SlVectorRepr {
    Levels([u8; 7]),
    Text(String),
}

impl TryFrom<SlVectorRepr> for SlVector {
    type Error = SlVectorError;
    fn try_from(r: SlVectorRepr) -> Result<SlVector, SlVectorError> {
        match r {
            SlVectorRepr::Levels(l) => SlVector::new(l),
            SlVectorRepr::Text(t) => t.parse(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_three_notations() {
        let want = SlVector([2, 2, 1, 1, 3, 1, 2]);
        for text in [
            "2,2,1,1,3,1,2",
            "2 2 1 1 3 1 2",
            "{2 2 1 1 3 1 2}",
            " { 2 2 1 1 3 1 2 } ",
            "2, 2, 1, 1, 3, 1, 2",
        ] {
            assert_eq!(text.parse::<SlVector>(), Ok(want), "{text}");
        }
        assert_eq!(want.to_string(), "{2 2 1 1 3 1 2}");
        assert_eq!(
            want.labeled(),
            "IAC 2, UC 2, SI 1, DC 1, RDF 3, TRE 1, RA 2"
        );
    }

    #[test]
    fn rejects_with_what_was_expected() {
        let e = "5,1,1".parse::<SlVector>().unwrap_err();
        assert!(matches!(e, SlVectorError::Count { count: 3, .. }));
        assert!(e.to_string().contains("IAC UC SI DC RDF TRE RA"), "{e}");
        let e = "2,2,5,1,3,1,2".parse::<SlVector>().unwrap_err();
        assert!(
            matches!(
                e,
                SlVectorError::Level {
                    position: 3,
                    fr_abbrev: "SI",
                    ..
                }
            ),
            "{e}"
        );
        for bad in [
            "",
            "{}",
            "{2 2 2 2 2 2 2",
            "2 2 2 2 2 2 2}",
            "2,2,2,2,2,2,2,2",
            "a b c d e f g",
            "2,,2,2,2,2,2",
            "02 2 2 2 2 2 2",
            "-1 2 2 2 2 2 2",
            "{{2 2 2 2 2 2 2}}",
            "2;2;2;2;2;2;2",
            "+2 2 2 2 2 2 2",
        ] {
            assert!(bad.parse::<SlVector>().is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn serde_round_trip_and_text_form() {
        let v: SlVector = "3 3 2 2 1 1 4".parse().unwrap();
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "[3,3,2,2,1,1,4]");
        assert_eq!(serde_json::from_str::<SlVector>(&json).unwrap(), v);
        assert_eq!(
            serde_json::from_str::<SlVector>("\"{3 3 2 2 1 1 4}\"").unwrap(),
            v
        );
        assert!(serde_json::from_str::<SlVector>("[5,0,0,0,0,0,0]").is_err());
    }

    proptest! {
        #[test]
        fn display_parses_back(levels in proptest::array::uniform7(0u8..=4)) {
            let v = SlVector::new(levels).unwrap();
            prop_assert_eq!(v.to_string().parse::<SlVector>(), Ok(v));
            let commas = levels.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
            prop_assert_eq!(commas.parse::<SlVector>(), Ok(v));
        }

        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,40}") {
            let _ = s.parse::<SlVector>();
        }

        #[test]
        fn parsed_levels_are_in_range(s in "[{} ,0-9]{0,20}") {
            if let Ok(v) = s.parse::<SlVector>() {
                prop_assert!(v.levels().iter().all(|l| *l <= 4));
            }
        }
    }
}
