//! The catalog: loading the embedded data and querying it.

use crate::{ComponentType, Fr, Kind, MaturityLevel, Practice, Requirement, SlVector, Standard};
use std::collections::HashMap;
use std::sync::OnceLock;

const REQUIREMENTS_CSV: &str = include_str!("../data/requirements.csv");
const PRACTICES_CSV: &str = include_str!("../data/practices.csv");
const SUMMARIES_CSV: &str = include_str!("../data/summaries.csv");

/// The embedded data's name and version, cited by every output that uses it.
pub const CATALOG_VERSION: &str = concat!("otproof-iec62443-catalog/", env!("CARGO_PKG_VERSION"));

/// A problem in catalog data (the embedded files, or files given to [`Catalog::from_csv`]).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The CSV itself is malformed.
    #[error("{file}: {source}")]
    Csv {
        /// Which data file.
        file: &'static str,
        /// The reader's error (it names line and field).
        source: csv::Error,
    },
    /// A field has a value we cannot use.
    #[error("{file}, line {line}: field '{field}' is '{value}': expected {expected}")]
    Field {
        /// Which data file.
        file: &'static str,
        /// 1-based line.
        line: u64,
        /// Column name.
        field: &'static str,
        /// What it held.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
    /// The same identifier twice.
    #[error("{file}, line {line}: duplicate id '{id}'")]
    Duplicate {
        /// Which data file.
        file: &'static str,
        /// 1-based line.
        line: u64,
        /// The id.
        id: String,
    },
    /// An RE or component-specific row whose parent is not in the catalog.
    #[error("requirement '{id}' names parent '{parent}', which is not in the catalog")]
    Orphan {
        /// The row.
        id: String,
        /// Its missing parent.
        parent: String,
    },
}

/// What to list: any combination of filters.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only this standard.
    pub standard: Option<Standard>,
    /// Only 4-2 rows that apply to this component type (slots and no-requirement rows drop out).
    pub component: Option<ComponentType>,
    /// Only rows that this SL-T requires (3-3 and 4-2; each row looks at its own FR).
    pub sl_t: Option<SlVector>,
}

/// All requirements of IEC 62443-3-3, 4-2 and 4-1 that otproof knows.
#[derive(Debug, Clone)]
pub struct Catalog {
    requirements: Vec<Requirement>,
    index: HashMap<String, usize>,
}

/// Fold an identifier to a lookup key: case, spaces and dashes do not matter,
/// and `(2)` is read as `RE2` (`CR 1.1 (2)` = `CR 1.1 RE2` = `cr1.1re2`).
pub fn normalize_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut chars = id.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() || c == '-' || c == '_' => {}
            '(' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied() {
                    if d.is_ascii_digit() {
                        digits.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if chars.peek() == Some(&')') && !digits.is_empty() {
                    chars.next();
                    out.push_str("RE");
                    out.push_str(&digits);
                } else {
                    out.push('(');
                    out.push_str(&digits);
                }
            }
            c => out.extend(c.to_uppercase()),
        }
    }
    out
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

fn parse_sl(
    file: &'static str,
    line: u64,
    field: &'static str,
    v: &str,
) -> Result<Option<u8>, CatalogError> {
    match v {
        "" => Ok(None),
        "1" | "2" | "3" | "4" => Ok(v.parse().ok()),
        _ => Err(CatalogError::Field {
            file,
            line,
            field,
            value: v.to_string(),
            expected: "empty or a security level 1..4",
        }),
    }
}

impl Catalog {
    /// The catalog built into otproof, loaded once.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The embedded files are ours and checked by tests, so a failure here is a
            // build defect, not bad user input.
            Catalog::from_csv(REQUIREMENTS_CSV, PRACTICES_CSV, SUMMARIES_CSV)
                .expect("embedded catalog data is valid (checked by the catalog tests)")
        })
    }

    /// Build a catalog from the three data files' contents (see `data/`).
    pub fn from_csv(
        requirements_csv: &str,
        practices_csv: &str,
        summaries_csv: &str,
    ) -> Result<Catalog, CatalogError> {
        let mut summaries = HashMap::new();
        let mut rdr = csv::Reader::from_reader(summaries_csv.as_bytes());
        for rec in rdr.records() {
            let rec = rec.map_err(|source| CatalogError::Csv {
                file: "summaries.csv",
                source,
            })?;
            summaries.insert(
                rec.get(0).unwrap_or_default().to_string(),
                rec.get(1).unwrap_or_default().to_string(),
            );
        }

        let mut requirements = Vec::new();
        const RF: &str = "requirements.csv";
        let mut rdr = csv::Reader::from_reader(requirements_csv.as_bytes());
        for rec in rdr.records() {
            let rec = rec.map_err(|source| CatalogError::Csv { file: RF, source })?;
            let line = line_of(&rec);
            let field = |i: usize| rec.get(i).unwrap_or_default().trim();
            let bad =
                |field: &'static str, value: &str, expected: &'static str| CatalogError::Field {
                    file: RF,
                    line,
                    field,
                    value: value.to_string(),
                    expected,
                };
            let standard = match field(0) {
                "62443-3-3" => Standard::System,
                "62443-4-2" => Standard::Component,
                v => return Err(bad("standard", v, "62443-3-3 or 62443-4-2")),
            };
            let id = field(1).to_string();
            let kind = Kind::parse(field(2)).ok_or_else(|| {
                bad(
                    "kind",
                    field(2),
                    "SR, CR, RE, SAR, EDR, HDR, NDR, SLOT or NONE",
                )
            })?;
            let parent = Some(field(3).to_string()).filter(|p| !p.is_empty());
            let fr = field(4)
                .parse::<u8>()
                .ok()
                .and_then(Fr::from_number)
                .ok_or_else(|| bad("fr", field(4), "an FR number 1..7"))?;
            let min_sl = parse_sl(RF, line, "min_sl", field(6))?;
            let mut component_types = Vec::new();
            for t in field(7).split_whitespace() {
                component_types.push(
                    t.parse::<ComponentType>()
                        .map_err(|_| bad("component_types", t, "component type slugs"))?,
                );
            }
            let confirmed = match field(8) {
                "true" => true,
                "false" => false,
                v => return Err(bad("confirmed", v, "true or false")),
            };
            let disputed_sl = parse_sl(RF, line, "other_sl", field(9))?;
            if matches!(kind, Kind::Slot | Kind::None) != min_sl.is_none() {
                return Err(bad(
                    "min_sl",
                    field(6),
                    "a level for requirements and REs, empty for SLOT and NONE rows",
                ));
            }
            if standard == Standard::Component
                && !matches!(kind, Kind::Slot | Kind::None)
                && component_types.is_empty()
            {
                return Err(bad(
                    "component_types",
                    "",
                    "at least one type for a 4-2 requirement",
                ));
            }
            requirements.push(Requirement {
                summary: summaries.get(&id).cloned().unwrap_or_default(),
                id,
                kind,
                standard,
                fr: Some(fr),
                practice: None,
                parent,
                title: field(5).to_string(),
                min_sl,
                component_types,
                confirmed,
                disputed_sl,
            });
        }

        const PF: &str = "practices.csv";
        let mut rdr = csv::Reader::from_reader(practices_csv.as_bytes());
        for rec in rdr.records() {
            let rec = rec.map_err(|source| CatalogError::Csv { file: PF, source })?;
            let line = line_of(&rec);
            let id = rec.get(0).unwrap_or_default().trim().to_string();
            let p = rec.get(1).unwrap_or_default().trim();
            let practice = Practice::parse(p).ok_or_else(|| CatalogError::Field {
                file: PF,
                line,
                field: "practice",
                value: p.to_string(),
                expected: "SM, SR, SD, SI, SVV, DM, SUM or SG",
            })?;
            requirements.push(Requirement {
                summary: summaries.get(&id).cloned().unwrap_or_default(),
                id,
                kind: Kind::Requirement,
                standard: Standard::Lifecycle,
                fr: None,
                practice: Some(practice),
                parent: None,
                title: rec.get(2).unwrap_or_default().trim().to_string(),
                min_sl: None,
                component_types: Vec::new(),
                confirmed: true,
                disputed_sl: None,
            });
        }

        let mut index = HashMap::new();
        for (i, r) in requirements.iter().enumerate() {
            if index.insert(normalize_id(&r.id), i).is_some() {
                return Err(CatalogError::Duplicate {
                    file: if r.standard == Standard::Lifecycle {
                        PF
                    } else {
                        RF
                    },
                    line: i as u64 + 2,
                    id: r.id.clone(),
                });
            }
        }
        for r in &requirements {
            if let Some(p) = &r.parent {
                if !index.contains_key(&normalize_id(p)) {
                    return Err(CatalogError::Orphan {
                        id: r.id.clone(),
                        parent: p.clone(),
                    });
                }
            }
        }
        Ok(Catalog {
            requirements,
            index,
        })
    }

    /// Every row, in the standard's order (3-3, then 4-2, then 4-1).
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Look up an identifier, forgiving case, spacing, dashes and `(n)` for REs.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.index
            .get(&normalize_id(id))
            .map(|&i| &self.requirements[i])
    }

    /// Identifiers close to one that was not found (same number, other prefix; or same prefix).
    pub fn suggest(&self, id: &str) -> Vec<&str> {
        let key = normalize_id(id);
        let digits: String = key
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .to_string();
        let mut out: Vec<&str> = self
            .requirements
            .iter()
            .filter(|r| {
                let k = normalize_id(&r.id);
                !digits.is_empty()
                    && k.trim_start_matches(|c: char| c.is_ascii_alphabetic()) == digits
            })
            .map(|r| r.id.as_str())
            .collect();
        if out.is_empty() {
            out = self
                .requirements
                .iter()
                .filter(|r| normalize_id(&r.id).starts_with(&key) && !key.is_empty())
                .map(|r| r.id.as_str())
                .take(8)
                .collect();
        }
        out
    }

    /// REs of a requirement, and for a slot the component-specific requirements that fill it.
    pub fn children(&self, id: &str) -> Vec<&Requirement> {
        let key = normalize_id(id);
        self.requirements
            .iter()
            .filter(|r| r.parent.as_deref().is_some_and(|p| normalize_id(p) == key))
            .collect()
    }

    /// Rows of one standard.
    pub fn of_standard(&self, standard: Standard) -> impl Iterator<Item = &Requirement> {
        self.requirements
            .iter()
            .filter(move |r| r.standard == standard)
    }

    /// 4-1 requirements of one practice.
    pub fn practice_requirements(&self, practice: Practice) -> Vec<&Requirement> {
        self.requirements
            .iter()
            .filter(|r| r.practice == Some(practice))
            .collect()
    }

    /// The 4-2 requirements and REs that a component of this type must meet at this SL-T:
    /// a row of FR n applies when SL-T[n] >= its lowest SL; component-specific rows (and
    /// their REs) only to their own type; common CRs to every type. Slots and rows with no
    /// component requirement never apply themselves.
    pub fn applicable(&self, component: ComponentType, sl_t: &SlVector) -> Vec<&Requirement> {
        self.select(&Query {
            standard: Some(Standard::Component),
            component: Some(component),
            sl_t: Some(*sl_t),
        })
    }

    /// Rows matching every filter of the query.
    pub fn select(&self, q: &Query) -> Vec<&Requirement> {
        self.requirements
            .iter()
            .filter(|r| q.standard.is_none_or(|s| r.standard == s))
            .filter(|r| {
                q.component
                    .is_none_or(|c| r.standard == Standard::Component && r.applies_to(c))
            })
            .filter(|r| {
                q.sl_t
                    .is_none_or(|v| r.standard != Standard::Lifecycle && r.required_by(&v))
            })
            .collect()
    }

    /// The four 4-1 maturity levels.
    pub fn maturity_levels(&self) -> [MaturityLevel; 4] {
        MaturityLevel::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_ids() {
        assert_eq!(normalize_id("CR 1.1 RE2"), "CR1.1RE2");
        assert_eq!(normalize_id("cr 1.1 (2)"), "CR1.1RE2");
        assert_eq!(normalize_id("SVV-3"), "SVV3");
        assert_eq!(normalize_id("svv 3"), "SVV3");
        assert_eq!(normalize_id("CR 1.1 (x"), "CR1.1(X");
    }

    #[test]
    fn rejects_bad_data_with_file_line_and_expectation() {
        let head = "standard,id,kind,parent,fr,title,min_sl,component_types,confirmed,other_sl\n";
        let practices = "id,practice,title\n";
        let bad_sl = format!("{head}62443-4-2,CR 9.9,CR,,1,X,5,embedded-device,true,\n");
        let e = Catalog::from_csv(&bad_sl, practices, "id,summary\n").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("requirements.csv, line 2") && msg.contains("min_sl"),
            "{msg}"
        );
        let orphan = format!("{head}62443-4-2,CR 9.9 RE1,RE,CR 9.9,1,X,2,embedded-device,true,\n");
        assert!(matches!(
            Catalog::from_csv(&orphan, practices, "id,summary\n"),
            Err(CatalogError::Orphan { .. })
        ));
        let dup = format!(
            "{head}62443-4-2,CR 9.9,CR,,1,X,2,embedded-device,true,\n62443-4-2,cr 9.9,CR,,1,X,2,embedded-device,true,\n"
        );
        assert!(matches!(
            Catalog::from_csv(&dup, practices, "id,summary\n"),
            Err(CatalogError::Duplicate { .. })
        ));
    }
}
