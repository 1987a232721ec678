//! The system model: its YAML form, its Rust form, and its validation.

use otproof_catalog::{Catalog, ComponentType, Fr, Kind, SlVector, Standard, SL_VECTOR_FORMAT};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A system under assessment: zones, conduits, assets, countermeasures, risk notes and
/// accepted open gaps. Build it with [`parse_model`] (which validates) or by hand (then call
/// [`SystemModel::validate`]; [`crate::zones::evaluate`] never fails, it ignores references
/// it cannot resolve).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SystemModel {
    /// The system's name.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Zones, in the order given.
    pub zones: Vec<Zone>,
    /// Conduits, in the order given.
    pub conduits: Vec<Conduit>,
    /// Assets, in the order given.
    pub assets: Vec<Asset>,
    /// Countermeasures, in the order given.
    pub countermeasures: Vec<Countermeasure>,
    /// Risk notes per zone (each yields a proposed SL-T, never the declared one).
    pub risk: Vec<ZoneRisk>,
    /// Open gaps the owner accepts, with the reason.
    pub justifications: Vec<Justification>,
}

/// A zone: assets that share security requirements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Zone {
    /// Unique name (among zones, conduits and assets).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Target security level per FR.
    pub sl_t: SlVector,
    /// The enclosing zone, for a sub-zone. A sub-zone's SL-T is at least its parent's in
    /// every FR.
    pub parent: Option<String>,
}

/// A conduit: the communication channels between two or more zones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conduit {
    /// Unique name (among zones, conduits and assets).
    pub name: String,
    /// Free text.
    pub description: String,
    /// The zones it joins (at least two, distinct).
    pub zones: Vec<String>,
    /// Target security level per FR.
    pub sl_t: SlVector,
    /// Protocols it carries, as free text (`OPC UA`, `Modbus/TCP`, `HTTPS`, ...).
    pub protocols: Vec<String>,
}

/// What an asset can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// A declared SL-C vector, taken as is.
    #[serde(rename = "sl_c")]
    SlC(SlVector),
    /// The 4-2 requirements and REs it meets (catalog IDs); SL-C is derived from them.
    Meets(Vec<String>),
}

/// An asset (a component) placed in one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    /// Unique name (among zones, conduits and assets).
    pub name: String,
    /// Free text.
    pub description: String,
    /// The zone it is in.
    pub zone: String,
    /// Its IEC 62443-4-2 component type.
    pub component_type: ComponentType,
    /// Vendor.
    pub vendor: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// What it can do.
    pub capability: Capability,
    /// Evidence record IDs behind the capability (kept for traceability, not checked here).
    pub evidence: Vec<String>,
}

/// What a countermeasure covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// A whole FR, at the countermeasure's `provides` level.
    Fr(Fr),
    /// One 4-2 requirement or RE (catalog ID), counted as met on the assets it applies to.
    Requirement(String),
}

/// A measure added around assets: a firewall rule set, a jump host, a procedure ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Countermeasure {
    /// Unique name among countermeasures.
    pub name: String,
    /// Free text.
    pub description: String,
    /// FRs and/or requirement IDs it covers.
    pub covers: Vec<Coverage>,
    /// The level it provides in the FRs it covers (needed when it covers an FR).
    pub provides: Option<u8>,
    /// Asset, zone or conduit names.
    pub applies_to: Vec<String>,
}

/// Risk notes for one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneRisk {
    /// The zone.
    pub zone: String,
    /// Threats considered.
    pub threats: Vec<Threat>,
}

/// One threat scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Threat {
    /// Short name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// 1 (rare) .. 5 (almost certain).
    pub likelihood: u8,
    /// 1 (negligible) .. 5 (catastrophic).
    pub consequence: u8,
    /// FRs the threat acts through; empty means all seven.
    pub frs: Vec<Fr>,
}

/// Zone or conduit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeKind {
    /// A zone.
    Zone,
    /// A conduit.
    Conduit,
}

impl ScopeKind {
    /// `zone` or `conduit`.
    pub fn label(self) -> &'static str {
        match self {
            ScopeKind::Zone => "zone",
            ScopeKind::Conduit => "conduit",
        }
    }
}

/// An open gap the owner accepts, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Justification {
    /// Zone or conduit.
    pub scope: ScopeKind,
    /// Its name.
    pub name: String,
    /// The FR.
    pub fr: Fr,
    /// Why the gap is accepted (compensation, plan, date, owner ...).
    pub text: String,
}

/// Why a text is not a valid system model. Both kinds carry line and column when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// Not YAML, or YAML that does not have the model's shape.
    #[error("{}{message}", at(*.line, *.column))]
    Syntax {
        /// 1-based line.
        line: Option<u64>,
        /// 1-based column.
        column: Option<u64>,
        /// What is wrong and what was expected.
        message: String,
    },
    /// Well-formed, but inconsistent (unknown names, bad levels, unknown requirement IDs).
    #[error("{}{path}: {message}", at(*.line, *.column))]
    Invalid {
        /// Where in the model, e.g. `zones[2] (control)`.
        path: String,
        /// 1-based line of the item (its name, or the offending value).
        line: Option<u64>,
        /// 1-based column.
        column: Option<u64>,
        /// What is wrong and what was expected.
        message: String,
    },
}

fn at(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl ModelError {
    /// 1-based line, when known.
    pub fn line(&self) -> Option<u64> {
        match self {
            ModelError::Syntax { line, .. } | ModelError::Invalid { line, .. } => *line,
        }
    }

    /// 1-based column, when known.
    pub fn column(&self) -> Option<u64> {
        match self {
            ModelError::Syntax { column, .. } | ModelError::Invalid { column, .. } => *column,
        }
    }
}

/// An FR from `IAC`, `iac`, `FR 1`, `FR1`, `1` or a full name (`use control`).
pub fn parse_fr(text: &str) -> Option<Fr> {
    let t = text.trim();
    let up = t.to_ascii_uppercase();
    let num = up.strip_prefix("FR").unwrap_or(&up).trim();
    if let Ok(n) = num.parse::<u8>() {
        return Fr::from_number(n);
    }
    Fr::ALL
        .into_iter()
        .find(|fr| fr.abbrev() == up || fr.name().eq_ignore_ascii_case(t))
}

const FR_EXPECTED: &str = "an FR: IAC, UC, SI, DC, RDF, TRE, RA, or FR 1..7";

// ---------------------------------------------------------------------------------------
// YAML form

/// An SL vector in any accepted YAML form: `2,2,1,1,3,1,2`, `"2 2 1 1 3 1 2"`,
/// `"{2 2 1 1 3 1 2}"`, `[2, 2, 1, 1, 3, 1, 2]`, and unquoted `{2 2 1 1 3 1 2}` (which YAML
/// reads as a one-key mapping).
struct SlField(SlVector);

impl<'de> Deserialize<'de> for SlField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SlField, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SlField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(SL_VECTOR_FORMAT)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<SlField, E> {
                s.parse().map(SlField).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<SlField, E> {
                n.to_string().parse().map(SlField).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SlField, A::Error> {
                let mut levels = Vec::new();
                while let Some(l) = seq.next_element::<u8>()? {
                    levels.push(l);
                }
                let arr: [u8; 7] = levels.as_slice().try_into().map_err(|_| {
                    de::Error::custom(format!(
                        "SL vector has {} level(s): expected {SL_VECTOR_FORMAT}",
                        levels.len()
                    ))
                })?;
                SlVector::new(arr).map(SlField).map_err(de::Error::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SlField, A::Error> {
                // `{2 2 1 1 3 1 2}` unquoted: one key, no value.
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<Text>()? {
                    if map.next_value::<Option<Text>>()?.is_some() {
                        return Err(de::Error::custom(format!(
                            "an SL vector is not a mapping: expected {SL_VECTOR_FORMAT}"
                        )));
                    }
                    keys.push(k.0);
                }
                keys.join(" ")
                    .parse()
                    .map(SlField)
                    .map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar read as text (strings, numbers).
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text(s.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Text, E> {
                Ok(Text(n.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Text, E> {
                Ok(Text(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Text, E> {
                Ok(Text(n.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    zones: Vec<RawZone>,
    #[serde(default)]
    conduits: Vec<RawConduit>,
    #[serde(default)]
    assets: Vec<RawAsset>,
    #[serde(default)]
    countermeasures: Vec<RawCountermeasure>,
    #[serde(default)]
    risk: Vec<RawZoneRisk>,
    #[serde(default)]
    justifications: Vec<RawJustification>,
    /// Named requirement lists, a place for YAML anchors (`&common-sl1`) that `meets` and
    /// `covers` reuse with aliases; not read otherwise.
    #[serde(default)]
    #[allow(dead_code)]
    baselines: Option<de::IgnoredAny>,
}

/// A `meets` item: one ID, or a list of IDs (an alias of a baseline), flattened.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdItem {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    sl_t: SlField,
    #[serde(default)]
    parent: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConduit {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    zones: Vec<Spanned<String>>,
    sl_t: SlField,
    #[serde(default)]
    protocols: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAsset {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    zone: Spanned<String>,
    component_type: Spanned<String>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    sl_c: Option<SlField>,
    #[serde(default)]
    meets: Option<Vec<Spanned<IdItem>>>,
    #[serde(default)]
    evidence: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountermeasure {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    covers: Vec<Spanned<Text>>,
    #[serde(default)]
    provides: Option<Spanned<Text>>,
    applies_to: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZoneRisk {
    zone: Spanned<String>,
    threats: Vec<RawThreat>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreat {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    likelihood: Spanned<Text>,
    consequence: Spanned<Text>,
    #[serde(default)]
    frs: Vec<Spanned<Text>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJustification {
    #[serde(default)]
    zone: Option<Spanned<String>>,
    #[serde(default)]
    conduit: Option<Spanned<String>>,
    fr: Spanned<Text>,
    text: String,
}

/// Source positions of model items, keyed by path (`zones[2]`, `assets[0].meets[3]`).
#[derive(Default)]
struct Locs(HashMap<String, (u64, u64)>);

impl Locs {
    fn put<T>(&mut self, key: String, s: &Spanned<T>) {
        self.put_at(key, s.referenced);
    }

    fn put_at(&mut self, key: String, l: serde_saphyr::Location) {
        if l.line() > 0 {
            self.0.insert(key, (l.line(), l.column()));
        }
    }

    /// The position of `key`, or of its nearest enclosing item that has one.
    fn find(&self, key: &str) -> Option<(u64, u64)> {
        let mut k = key;
        loop {
            if let Some(p) = self.0.get(k) {
                return Some(*p);
            }
            let cut = k.rfind(['.', '['])?;
            k = &k[..cut];
        }
    }

    fn err(&self, key: &str, path: String, message: String) -> ModelError {
        let pos = self.find(key);
        ModelError::Invalid {
            path,
            line: pos.map(|p| p.0),
            column: pos.map(|p| p.1),
            message,
        }
    }
}

/// Parse and validate a system model from YAML text (no file access: the caller reads it).
///
/// Errors name the line and column and say what was expected: YAML syntax and shape errors
/// come from the YAML reader; semantic errors (unknown names, parent SL-T, unknown
/// requirement IDs ...) name the item's path and the line of its name or offending value.
/// Requirement IDs are rewritten to the catalog's spelling (`cr 1.1 (1)` → `CR 1.1 RE1`).
pub fn parse_model(text: &str) -> Result<SystemModel, ModelError> {
    let options = serde_saphyr::options! { with_snippet: false };
    let raw: RawModel = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let loc = e.location().filter(|l| l.line() > 0);
        let mut message = e.to_string();
        if let Some(l) = loc {
            let suffix = format!(" at line {}, column {}", l.line(), l.column());
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message = stripped.to_string();
            }
        }
        ModelError::Syntax {
            line: loc.map(|l| l.line()),
            column: loc.map(|l| l.column()),
            message,
        }
    })?;
    let (mut model, locs) = convert(raw)?;
    validate(&model, &locs)?;
    canonicalize(&mut model);
    Ok(model)
}

impl SystemModel {
    /// Check a model built by hand with the same rules [`parse_model`] applies (without
    /// source positions).
    pub fn validate(&self) -> Result<(), ModelError> {
        validate(self, &Locs::default())
    }
}

fn convert(raw: RawModel) -> Result<(SystemModel, Locs), ModelError> {
    let mut locs = Locs::default();
    let mut model = SystemModel {
        name: raw.name,
        description: raw.description.map(|d| d.trim().to_string()),
        ..SystemModel::default()
    };
    for (i, z) in raw.zones.into_iter().enumerate() {
        locs.put(format!("zones[{i}]"), &z.name);
        if let Some(p) = &z.parent {
            locs.put(format!("zones[{i}].parent"), p);
        }
        model.zones.push(Zone {
            name: z.name.value,
            description: z.description.trim().to_string(),
            sl_t: z.sl_t.0,
            parent: z.parent.map(|p| p.value),
        });
    }
    for (i, c) in raw.conduits.into_iter().enumerate() {
        locs.put(format!("conduits[{i}]"), &c.name);
        for (j, z) in c.zones.iter().enumerate() {
            locs.put(format!("conduits[{i}].zones[{j}]"), z);
        }
        model.conduits.push(Conduit {
            name: c.name.value,
            description: c.description.trim().to_string(),
            zones: c.zones.into_iter().map(|z| z.value).collect(),
            sl_t: c.sl_t.0,
            protocols: c.protocols,
        });
    }
    for (i, a) in raw.assets.into_iter().enumerate() {
        let key = format!("assets[{i}]");
        locs.put(key.clone(), &a.name);
        locs.put(format!("{key}.zone"), &a.zone);
        locs.put(format!("{key}.component_type"), &a.component_type);
        let path = format!("{key} ({})", a.name.value);
        let component_type = a
            .component_type
            .value
            .parse::<ComponentType>()
            .map_err(|e| {
                locs.err(
                    &format!("{key}.component_type"),
                    path.clone(),
                    e.to_string(),
                )
            })?;
        let capability = match (a.sl_c, a.meets) {
            (Some(v), None) => Capability::SlC(v.0),
            (None, Some(items)) => {
                let mut ids = Vec::new();
                for item in items {
                    let at = item.referenced;
                    let values = match item.value {
                        IdItem::One(id) => vec![id],
                        IdItem::Many(v) => v,
                    };
                    for id in values {
                        locs.put_at(format!("{key}.meets[{}]", ids.len()), at);
                        ids.push(id);
                    }
                }
                Capability::Meets(ids)
            }
            (Some(_), Some(_)) => {
                return Err(locs.err(
                    &key,
                    path,
                    "has both sl_c and meets: expected one of them (meets, the list of \
                     requirement IDs, is preferred; sl_c is a declared vector)"
                        .into(),
                ))
            }
            (None, None) => {
                return Err(locs.err(
                    &key,
                    path,
                    "has neither sl_c nor meets: expected `meets: [CR/RE IDs]` (preferred) \
                     or `sl_c: VECTOR`"
                        .into(),
                ))
            }
        };
        model.assets.push(Asset {
            name: a.name.value,
            description: a.description.trim().to_string(),
            zone: a.zone.value,
            component_type,
            vendor: a.vendor,
            product: a.product,
            version: a.version,
            capability,
            evidence: a.evidence,
        });
    }
    for (i, c) in raw.countermeasures.into_iter().enumerate() {
        let key = format!("countermeasures[{i}]");
        locs.put(key.clone(), &c.name);
        let mut covers = Vec::new();
        for (j, cov) in c.covers.iter().enumerate() {
            locs.put(format!("{key}.covers[{j}]"), cov);
            covers.push(match parse_fr(&cov.value.0) {
                Some(fr) => Coverage::Fr(fr),
                None => Coverage::Requirement(cov.value.0.clone()),
            });
        }
        let provides = match &c.provides {
            Some(p) => {
                locs.put(format!("{key}.provides"), p);
                Some(
                    p.value
                        .0
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|l| *l <= 4)
                        .ok_or_else(|| {
                            locs.err(
                                &format!("{key}.provides"),
                                format!("{key} ({})", c.name.value),
                                format!("provides '{}': expected a security level 0..4", p.value.0),
                            )
                        })?,
                )
            }
            None => None,
        };
        for (j, a) in c.applies_to.iter().enumerate() {
            locs.put(format!("{key}.applies_to[{j}]"), a);
        }
        model.countermeasures.push(Countermeasure {
            name: c.name.value,
            description: c.description.trim().to_string(),
            covers,
            provides,
            applies_to: c.applies_to.into_iter().map(|a| a.value).collect(),
        });
    }
    for (i, r) in raw.risk.into_iter().enumerate() {
        let key = format!("risk[{i}]");
        locs.put(key.clone(), &r.zone);
        let mut threats = Vec::new();
        for (j, t) in r.threats.into_iter().enumerate() {
            let tkey = format!("{key}.threats[{j}]");
            locs.put(tkey.clone(), &t.name);
            locs.put(format!("{tkey}.likelihood"), &t.likelihood);
            locs.put(format!("{tkey}.consequence"), &t.consequence);
            let mut frs = Vec::new();
            for (k, f) in t.frs.iter().enumerate() {
                let fkey = format!("{tkey}.frs[{k}]");
                locs.put(fkey.clone(), f);
                frs.push(parse_fr(&f.value.0).ok_or_else(|| {
                    locs.err(
                        &fkey,
                        format!("{tkey} ({})", t.name.value),
                        format!("'{}' is not {FR_EXPECTED}", f.value.0),
                    )
                })?);
            }
            let path = format!("{tkey} ({})", t.name.value);
            let score = |field: &str, v: &Text| {
                v.0.trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(|| {
                        locs.err(
                            &format!("{tkey}.{field}"),
                            path.clone(),
                            format!("{field} '{}': expected a whole number 1..5", v.0),
                        )
                    })
            };
            let likelihood = score("likelihood", &t.likelihood.value)?;
            let consequence = score("consequence", &t.consequence.value)?;
            threats.push(Threat {
                name: t.name.value,
                description: t.description.trim().to_string(),
                likelihood,
                consequence,
                frs,
            });
        }
        model.risk.push(ZoneRisk {
            zone: r.zone.value,
            threats,
        });
    }
    for (i, j) in raw.justifications.into_iter().enumerate() {
        let key = format!("justifications[{i}]");
        locs.put(format!("{key}.fr"), &j.fr);
        let item_at = match (&j.zone, &j.conduit) {
            (Some(s), _) | (None, Some(s)) => s.referenced,
            (None, None) => j.fr.referenced,
        };
        locs.put_at(key.clone(), item_at);
        let (scope, name) = match (j.zone, j.conduit) {
            (Some(z), None) => (ScopeKind::Zone, z.value),
            (None, Some(c)) => (ScopeKind::Conduit, c.value),
            _ => {
                return Err(locs.err(
                    &key,
                    key.clone(),
                    "expected exactly one of `zone: NAME` or `conduit: NAME`".into(),
                ))
            }
        };
        let fr = parse_fr(&j.fr.value.0).ok_or_else(|| {
            locs.err(
                &format!("{key}.fr"),
                format!("{key} ({name})"),
                format!("'{}' is not {FR_EXPECTED}", j.fr.value.0),
            )
        })?;
        model.justifications.push(Justification {
            scope,
            name,
            fr,
            text: j.text.trim().to_string(),
        });
    }
    Ok((model, locs))
}

/// "a, b, c" (at most 12, then "...").
fn one_of(names: &[&str]) -> String {
    if names.is_empty() {
        return "(none defined)".into();
    }
    let mut s = names
        .iter()
        .take(12)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 12 {
        s.push_str(", ...");
    }
    s
}

/// A 4-2 requirement or RE that can be met (not a slot or a number without requirement).
fn check_requirement(id: &str) -> Result<&'static otproof_catalog::Requirement, String> {
    let cat = Catalog::builtin();
    match cat.get(id) {
        None => {
            let s = cat.suggest(id);
            Err(if s.is_empty() {
                format!("'{id}' is not a requirement ID in the catalog: expected a 4-2 ID such as CR 1.1, CR 1.1 RE1, EDR 3.2")
            } else {
                format!(
                    "'{id}' is not a requirement ID in the catalog: did you mean {}?",
                    one_of(&s)
                )
            })
        }
        Some(r) if r.standard != Standard::Component => Err(format!(
            "'{}' is an {} requirement: expected an IEC 62443-4-2 component requirement or RE",
            r.id, r.standard
        )),
        Some(r) if matches!(r.kind, Kind::Slot | Kind::None) => {
            let children: Vec<&str> = cat.children(&r.id).iter().map(|c| c.id.as_str()).collect();
            Err(if children.is_empty() {
                format!("'{}' has no component-level requirement of its own", r.id)
            } else {
                format!(
                    "'{}' is only a slot for component-specific requirements: expected one of {}",
                    r.id,
                    one_of(&children)
                )
            })
        }
        Some(r) => Ok(r),
    }
}

fn validate(m: &SystemModel, locs: &Locs) -> Result<(), ModelError> {
    if m.zones.is_empty() {
        return Err(ModelError::Invalid {
            path: "zones".into(),
            line: None,
            column: None,
            message: "no zones: expected at least one zone with a name and an sl_t".into(),
        });
    }
    let zone_names: Vec<&str> = m.zones.iter().map(|z| z.name.as_str()).collect();
    let zones: HashMap<&str, &Zone> = m.zones.iter().map(|z| (z.name.as_str(), z)).collect();
    let conduits: HashSet<&str> = m.conduits.iter().map(|c| c.name.as_str()).collect();
    let assets: HashMap<&str, &Asset> = m.assets.iter().map(|a| (a.name.as_str(), a)).collect();

    // Names: non-empty and unique across zones, conduits and assets.
    let mut seen: HashMap<&str, String> = HashMap::new();
    let items = m
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| (format!("zones[{i}]"), z.name.as_str()))
        .chain(
            m.conduits
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("conduits[{i}]"), c.name.as_str())),
        )
        .chain(
            m.assets
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("assets[{i}]"), a.name.as_str())),
        );
    for (key, name) in items {
        if name.trim().is_empty() {
            return Err(locs.err(&key, key.clone(), "empty name: expected a name".into()));
        }
        if let Some(first) = seen.get(name) {
            return Err(locs.err(
                &key,
                format!("{key} ({name})"),
                format!(
                    "name already used by {first}: zone, conduit and asset names must be unique"
                ),
            ));
        }
        seen.insert(name, key);
    }

    for (i, z) in m.zones.iter().enumerate() {
        let key = format!("zones[{i}]");
        let path = format!("{key} ({})", z.name);
        let Some(p) = &z.parent else { continue };
        let pkey = format!("{key}.parent");
        let Some(parent) = zones.get(p.as_str()) else {
            return Err(locs.err(
                &pkey,
                path,
                format!(
                    "parent '{p}' is not a zone (expected one of: {})",
                    one_of(&zone_names)
                ),
            ));
        };
        // No cycles: follow parents at most zones.len() steps.
        let mut cur = Some(*parent);
        for _ in 0..=m.zones.len() {
            match cur {
                Some(c) if c.name == z.name => {
                    return Err(locs.err(
                        &pkey,
                        path,
                        format!(
                            "parent '{p}' leads back to '{}': zones must nest without cycles",
                            z.name
                        ),
                    ))
                }
                Some(c) => cur = c.parent.as_deref().and_then(|n| zones.get(n).copied()),
                None => break,
            }
        }
        if !z.sl_t.dominates(&parent.sl_t) {
            let low: Vec<String> = Fr::ALL
                .iter()
                .filter(|fr| z.sl_t.get(**fr) < parent.sl_t.get(**fr))
                .map(|fr| {
                    format!(
                        "{} {} < {}",
                        fr.abbrev(),
                        z.sl_t.get(*fr),
                        parent.sl_t.get(*fr)
                    )
                })
                .collect();
            return Err(locs.err(
                &key,
                path,
                format!(
                    "SL-T {} is below its parent zone '{p}' SL-T {} in {}: a sub-zone's SL-T must be at least its parent's in every FR",
                    z.sl_t,
                    parent.sl_t,
                    low.join(", ")
                ),
            ));
        }
    }

    for (i, c) in m.conduits.iter().enumerate() {
        let key = format!("conduits[{i}]");
        let path = format!("{key} ({})", c.name);
        let mut distinct = HashSet::new();
        for (j, z) in c.zones.iter().enumerate() {
            if !zones.contains_key(z.as_str()) {
                return Err(locs.err(
                    &format!("{key}.zones[{j}]"),
                    path,
                    format!(
                        "'{z}' is not a zone (expected one of: {})",
                        one_of(&zone_names)
                    ),
                ));
            }
            distinct.insert(z.as_str());
        }
        if distinct.len() < 2 {
            return Err(locs.err(
                &key,
                path,
                format!(
                    "joins {} distinct zone(s): expected at least two zone names",
                    distinct.len()
                ),
            ));
        }
    }

    for (i, a) in m.assets.iter().enumerate() {
        let key = format!("assets[{i}]");
        let path = format!("{key} ({})", a.name);
        if !zones.contains_key(a.zone.as_str()) {
            return Err(locs.err(
                &format!("{key}.zone"),
                path,
                format!(
                    "zone '{}' is not a zone (expected one of: {})",
                    a.zone,
                    one_of(&zone_names)
                ),
            ));
        }
        if let Capability::Meets(ids) = &a.capability {
            for (j, id) in ids.iter().enumerate() {
                let jkey = format!("{key}.meets[{j}]");
                let r = check_requirement(id).map_err(|msg| locs.err(&jkey, path.clone(), msg))?;
                if !r.applies_to(a.component_type) {
                    let types: Vec<&str> = r.component_types.iter().map(|t| t.slug()).collect();
                    return Err(locs.err(
                        &jkey,
                        path,
                        format!(
                            "'{}' applies to {}, not to a {}: expected a common CR or a {} requirement",
                            r.id,
                            types.join(", "),
                            a.component_type.slug(),
                            a.component_type.requirement_prefix()
                        ),
                    ));
                }
            }
        }
    }

    let mut cm_names = HashSet::new();
    let targets: Vec<&str> = zone_names
        .iter()
        .copied()
        .chain(m.conduits.iter().map(|c| c.name.as_str()))
        .chain(m.assets.iter().map(|a| a.name.as_str()))
        .collect();
    for (i, c) in m.countermeasures.iter().enumerate() {
        let key = format!("countermeasures[{i}]");
        let path = format!("{key} ({})", c.name);
        if c.name.trim().is_empty() {
            return Err(locs.err(&key, key.clone(), "empty name: expected a name".into()));
        }
        if !cm_names.insert(c.name.as_str()) {
            return Err(locs.err(
                &key,
                path,
                "name already used by another countermeasure: expected unique names".into(),
            ));
        }
        if c.covers.is_empty() {
            return Err(locs.err(
                &key,
                path,
                format!("covers nothing: expected FRs ({FR_EXPECTED}) and/or requirement IDs"),
            ));
        }
        let mut covers_fr = false;
        for (j, cov) in c.covers.iter().enumerate() {
            match cov {
                Coverage::Fr(_) => covers_fr = true,
                Coverage::Requirement(id) => {
                    check_requirement(id).map_err(|msg| {
                        locs.err(
                            &format!("{key}.covers[{j}]"),
                            path.clone(),
                            format!("{msg} (or {FR_EXPECTED})"),
                        )
                    })?;
                }
            }
        }
        match c.provides {
            Some(l) if l > 4 => {
                return Err(locs.err(
                    &format!("{key}.provides"),
                    path,
                    format!("provides {l}: expected a security level 0..4"),
                ))
            }
            None if covers_fr => {
                return Err(locs.err(
                    &key,
                    path,
                    "covers an FR but has no `provides`: expected the level (0..4) it provides in the FRs it covers".into(),
                ))
            }
            _ => {}
        }
        if c.applies_to.is_empty() {
            return Err(locs.err(
                &key,
                path,
                "applies to nothing: expected asset, zone or conduit names in applies_to".into(),
            ));
        }
        for (j, t) in c.applies_to.iter().enumerate() {
            let tkey = format!("{key}.applies_to[{j}]");
            if !zones.contains_key(t.as_str())
                && !conduits.contains(t.as_str())
                && !assets.contains_key(t.as_str())
            {
                return Err(locs.err(
                    &tkey,
                    path,
                    format!(
                        "applies to '{t}', which is not an asset, zone or conduit (expected one of: {})",
                        one_of(&targets)
                    ),
                ));
            }
            if conduits.contains(t.as_str()) && !covers_fr {
                return Err(locs.err(
                    &tkey,
                    path,
                    format!("covers only requirement IDs, which act on assets, but applies to conduit '{t}' (a conduit has no assets): expected an FR in covers, or asset or zone names"),
                ));
            }
        }
    }

    for (i, r) in m.risk.iter().enumerate() {
        let key = format!("risk[{i}]");
        if !zones.contains_key(r.zone.as_str()) {
            return Err(locs.err(
                &key,
                key.clone(),
                format!(
                    "zone '{}' is not a zone (expected one of: {})",
                    r.zone,
                    one_of(&zone_names)
                ),
            ));
        }
        for (j, t) in r.threats.iter().enumerate() {
            let tkey = format!("{key}.threats[{j}]");
            for (field, v) in [("likelihood", t.likelihood), ("consequence", t.consequence)] {
                if !(1..=5).contains(&v) {
                    return Err(locs.err(
                        &format!("{tkey}.{field}"),
                        format!("{tkey} ({})", t.name),
                        format!("{field} {v}: expected 1..5"),
                    ));
                }
            }
        }
    }

    for (i, j) in m.justifications.iter().enumerate() {
        let key = format!("justifications[{i}]");
        let ok = match j.scope {
            ScopeKind::Zone => zones.contains_key(j.name.as_str()),
            ScopeKind::Conduit => conduits.contains(j.name.as_str()),
        };
        if !ok {
            let names: Vec<&str> = match j.scope {
                ScopeKind::Zone => zone_names.clone(),
                ScopeKind::Conduit => m.conduits.iter().map(|c| c.name.as_str()).collect(),
            };
            return Err(locs.err(
                &key,
                key.clone(),
                format!(
                    "'{}' is not a {} (expected one of: {})",
                    j.name,
                    j.scope.label(),
                    one_of(&names)
                ),
            ));
        }
        if j.text.trim().is_empty() {
            return Err(locs.err(
                &key,
                format!("{key} ({})", j.name),
                "empty text: expected the reason the open gap is accepted".into(),
            ));
        }
    }
    Ok(())
}

/// Requirement IDs in the catalog's spelling (after validation, so every ID resolves).
fn canonicalize(m: &mut SystemModel) {
    let cat = Catalog::builtin();
    let canon = |id: &mut String| {
        if let Some(r) = cat.get(id) {
            *id = r.id.clone();
        }
    };
    for a in &mut m.assets {
        if let Capability::Meets(ids) = &mut a.capability {
            ids.iter_mut().for_each(canon);
        }
    }
    for c in &mut m.countermeasures {
        for cov in &mut c.covers {
            if let Coverage::Requirement(id) = cov {
                canon(id);
            }
        }
    }
}
