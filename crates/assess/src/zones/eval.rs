//! Evaluation of a system model: SL-C per asset, SL-A per zone and conduit, gaps, risk.
//! The rules are stated in the module documentation of [`crate::zones`].

use super::model::{Asset, Capability, Coverage, ScopeKind, SystemModel};
use otproof_catalog::{
    normalize_id, Catalog, ComponentType, Fr, Requirement, SlVector, CATALOG_VERSION,
};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Version of the evaluation's data format.
pub const EVALUATION_FORMAT: &str = "otproof-zones/1";

/// Everything [`evaluate`] finds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// [`EVALUATION_FORMAT`].
    pub format: String,
    /// The catalog the requirement IDs come from.
    pub catalog: String,
    /// The system's name.
    pub system: Option<String>,
    /// The rules applied, in words (the same as the module documentation).
    pub rules: Vec<String>,
    /// One per asset, in model order.
    pub assets: Vec<AssetResult>,
    /// One per zone, in model order.
    pub zones: Vec<ScopeResult>,
    /// One per conduit, in model order.
    pub conduits: Vec<ScopeResult>,
    /// Zones, then conduits; FR order within each.
    pub gaps: Vec<Gap>,
    /// Proposed SL-Ts from the risk notes (proposals only).
    pub risk: Vec<RiskProposal>,
    /// Things worth a look that are not errors.
    pub warnings: Vec<String>,
}

/// Where an asset's SL-C comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapabilityBasis {
    /// A declared `sl_c` vector.
    Declared,
    /// Derived from the requirements it `meets`.
    Derived,
}

/// One asset's capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetResult {
    /// Asset name.
    pub name: String,
    /// Its zone.
    pub zone: String,
    /// Its component type.
    pub component_type: ComponentType,
    /// Declared or derived.
    pub basis: CapabilityBasis,
    /// SL-C from its own claims only.
    pub sl_c: SlVector,
    /// Its level after the countermeasures that act on it (requirement covers applied to it
    /// or its zone, FR covers applied to it).
    pub level: SlVector,
    /// Per FR, in order.
    pub frs: Vec<AssetFr>,
    /// Evidence record IDs from the model.
    pub evidence: Vec<String>,
}

/// One asset, one FR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetFr {
    /// The FR.
    pub fr: Fr,
    /// SL-C from its own claims.
    pub sl_c: u8,
    /// After countermeasures.
    pub level: u8,
    /// Applicable requirements of this FR it meets by its own claims (derived basis only).
    pub met: Vec<String>,
    /// Applicable requirements it lacks for SL-C + 1 (empty at 4).
    pub missing_for_next: Vec<String>,
    /// Countermeasures that changed its level in this FR.
    pub countermeasures: Vec<String>,
    /// How the numbers came about, step by step.
    pub explanation: Vec<String>,
}

/// A zone or a conduit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeResult {
    /// Zone or conduit.
    pub kind: ScopeKind,
    /// Its name.
    pub name: String,
    /// A sub-zone's parent.
    pub parent: Option<String>,
    /// A zone's own assets; a conduit's joined zones.
    pub members: Vec<String>,
    /// A conduit's protocols.
    pub protocols: Vec<String>,
    /// Target.
    pub sl_t: SlVector,
    /// Achieved, with countermeasures.
    pub sl_a: SlVector,
    /// Achieved without any countermeasure.
    pub sl_a_without_countermeasures: SlVector,
    /// Per FR, in order.
    pub frs: Vec<FrResult>,
}

/// A zone or conduit, one FR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrResult {
    /// The FR.
    pub fr: Fr,
    /// Target.
    pub sl_t: u8,
    /// Achieved, with countermeasures.
    pub sl_a: u8,
    /// Achieved without any countermeasure.
    pub sl_a_without_countermeasures: u8,
    /// The assets (zone) or zones (conduit) at the minimum.
    pub limited_by: Vec<String>,
    /// Countermeasures applied to this zone or conduit that cover the FR.
    pub countermeasures: Vec<String>,
    /// SL-A >= SL-T.
    pub target_met: bool,
    /// How SL-A came about, step by step.
    pub explanation: Vec<String>,
}

/// The state of a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapStatus {
    /// Countermeasures bring SL-A up to SL-T.
    Closed,
    /// Still below SL-T; the model accepts it with a justification.
    OpenJustified,
    /// Still below SL-T, no justification.
    Open,
}

/// A requirement an asset lacks for the target of a zone or conduit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingRequirement {
    /// The asset.
    pub asset: String,
    /// Catalog ID.
    pub requirement: String,
    /// Its title.
    pub title: String,
    /// Its lowest SL.
    pub min_sl: u8,
    /// Countermeasures that cover it.
    pub covered_by: Vec<String>,
    /// `covered by countermeasure 'x'` or `none: open`.
    pub resolution: String,
}

/// An FR of a zone or conduit whose SL-A without countermeasures is below SL-T.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Zone or conduit.
    pub scope: ScopeKind,
    /// Its name.
    pub name: String,
    /// The FR.
    pub fr: Fr,
    /// Target.
    pub sl_t: u8,
    /// Achieved without countermeasures.
    pub sl_a_without_countermeasures: u8,
    /// Achieved with countermeasures.
    pub sl_a: u8,
    /// Closed, open (justified) or open.
    pub status: GapStatus,
    /// Countermeasures that raise the level here.
    pub closed_by: Vec<String>,
    /// The model's justification, for an open gap.
    pub justification: Option<String>,
    /// Per asset below the target, the requirements it lacks.
    pub missing: Vec<MissingRequirement>,
    /// One line.
    pub summary: String,
}

/// One threat's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreatScore {
    /// Threat name.
    pub name: String,
    /// 1..5.
    pub likelihood: u8,
    /// 1..5.
    pub consequence: u8,
    /// likelihood x consequence, 1..25.
    pub score: u8,
    /// The SL the score maps to.
    pub level: u8,
    /// FRs it acts through (all seven when the model names none).
    pub frs: Vec<Fr>,
}

/// A proposed SL-T for one zone from its risk notes. A PROPOSAL: it never replaces the
/// declared SL-T, which stays the one every SL-A is compared with.
///
/// Method (ours, a simple heuristic; IEC 62443-3-2 leaves the method to the asset owner):
/// each threat scores likelihood x consequence (1..25), mapped to a level: 1-4 → SL 1,
/// 5-9 → SL 2, 10-15 → SL 3, 16-25 → SL 4. The proposed level of an FR is the highest level
/// among the threats acting through it (a threat naming no FR acts through all seven); an
/// FR no threat touches is proposed at 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskProposal {
    /// The zone.
    pub zone: String,
    /// Always `proposal`.
    pub status: String,
    /// The method in words.
    pub method: String,
    /// The zone's declared SL-T (still in force).
    pub declared_sl_t: SlVector,
    /// The proposal.
    pub proposed_sl_t: SlVector,
    /// FRs whose declared SL-T is below the proposal.
    pub declared_below_proposal: Vec<Fr>,
    /// Per threat.
    pub threats: Vec<ThreatScore>,
    /// Per FR, how the proposal came about.
    pub explanation: Vec<String>,
}

const RISK_METHOD: &str = "score = likelihood x consequence (1..25); 1-4 -> SL 1, 5-9 -> SL 2, \
10-15 -> SL 3, 16-25 -> SL 4; proposed SL-T per FR = highest level among threats acting \
through it (no FR named = all FRs), 0 when none does. A proposal only: the declared sl_t \
stays in force.";

fn rules() -> Vec<String> {
    [
        "SL-C per FR: declared (sl_c) as is, or derived from meets: the highest SL s in 0..4 such that every 4-2 requirement and RE of the FR applicable to the asset's component type with lowest SL <= s is met.",
        "A countermeasure covering a requirement counts it as met on the assets it applies to (named assets, and the own assets of named zones).",
        "A countermeasure covering an FR at level L raises what it applies to (asset level, zone SL-A or conduit SL-A) in that FR to max(current, L).",
        "Countermeasures act only on what they name: not on sub-zones of a named zone, nor on conduits touching it.",
        "Zone SL-A per FR = max(min over the zone's own assets of their level after asset countermeasures, zone countermeasures); sub-zones are evaluated separately; a zone without assets has minimum 4.",
        "Conduit SL-A per FR = max(min SL-A of the zones it joins, conduit countermeasures): a conduit has no assets and is only as strong as its weakest end unless measures on the conduit itself lift it.",
        "A gap is an FR whose SL-A without countermeasures is below SL-T; it is closed when SL-A with countermeasures reaches SL-T, otherwise open (justified when the model says why).",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The applicable 4-2 rows of one FR for a type, with lowest SL <= level.
fn reqs_at(ct: ComponentType, fr: Fr, level: u8) -> Vec<&'static Requirement> {
    if level == 0 {
        return Vec::new();
    }
    let mut v = [0u8; 7];
    v[fr.index()] = level;
    let sl = SlVector::new(v).unwrap_or_default();
    Catalog::builtin()
        .applicable(ct, &sl)
        .into_iter()
        .filter(|r| r.fr == Some(fr))
        .collect()
}

/// Highest s such that every row at s is met, and the rows lacking for s + 1.
fn derive(
    ct: ComponentType,
    fr: Fr,
    met: &dyn Fn(&Requirement) -> bool,
) -> (u8, Vec<&'static Requirement>) {
    for s in 1..=4u8 {
        let lacking: Vec<_> = reqs_at(ct, fr, s).into_iter().filter(|r| !met(r)).collect();
        if !lacking.is_empty() {
            return (s - 1, lacking);
        }
    }
    (4, Vec::new())
}

fn ids(rs: &[&Requirement]) -> Vec<String> {
    rs.iter().map(|r| r.id.clone()).collect()
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Per-asset facts used across the evaluation.
struct AssetCtx<'m> {
    asset: &'m Asset,
    /// Normalized IDs it claims (derived basis).
    claimed: HashSet<String>,
    declared: Option<SlVector>,
    /// Normalized requirement ID → countermeasures covering it for this asset.
    cm_reqs: HashMap<String, Vec<String>>,
}

impl AssetCtx<'_> {
    /// Met by its own claims.
    fn claims(&self, r: &Requirement) -> bool {
        match self.declared {
            Some(d) => {
                r.fr.is_some_and(|fr| r.min_sl.is_some_and(|m| m <= d.get(fr)))
            }
            None => self.claimed.contains(&normalize_id(&r.id)),
        }
    }
}

/// Evaluate a model (see the rules in [`crate::zones`]). Never fails: references that do not
/// resolve (possible only in models built by hand and not validated) are ignored.
pub fn evaluate(model: &SystemModel) -> Evaluation {
    let mut warnings = Vec::new();

    // Countermeasures by target name.
    let mut cms_on: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in model.countermeasures.iter().enumerate() {
        for t in &c.applies_to {
            cms_on.entry(t.as_str()).or_default().push(i);
        }
    }
    let on = |name: &str| -> Vec<usize> { cms_on.get(name).cloned().unwrap_or_default() };
    let fr_cms = |name: &str, fr: Fr| -> Vec<(String, u8)> {
        let mut v = Vec::new();
        for i in on(name) {
            let c = &model.countermeasures[i];
            if c.covers.contains(&Coverage::Fr(fr)) {
                v.push((c.name.clone(), c.provides.unwrap_or(0).min(4)));
            }
        }
        v
    };

    // Asset contexts.
    let ctxs: Vec<AssetCtx> = model
        .assets
        .iter()
        .map(|a| {
            let (claimed, declared) = match &a.capability {
                Capability::SlC(v) => (HashSet::new(), Some(*v)),
                Capability::Meets(ids) => (ids.iter().map(|i| normalize_id(i)).collect(), None),
            };
            let mut cm_reqs: HashMap<String, Vec<String>> = HashMap::new();
            let mut idx = on(&a.name);
            idx.extend(on(&a.zone));
            for i in idx {
                let c = &model.countermeasures[i];
                for cov in &c.covers {
                    if let Coverage::Requirement(id) = cov {
                        let e = cm_reqs.entry(normalize_id(id)).or_default();
                        if !e.contains(&c.name) {
                            e.push(c.name.clone());
                        }
                    }
                }
            }
            AssetCtx {
                asset: a,
                claimed,
                declared,
                cm_reqs,
            }
        })
        .collect();

    // SL-C and level per asset.
    let mut assets = Vec::new();
    for ctx in &ctxs {
        let a = ctx.asset;
        let ct = a.component_type;
        if ctx.declared.is_none() {
            let cat = Catalog::builtin();
            for id in &ctx.claimed {
                if let Some(r) = cat.get(id) {
                    if let Some(base) = r.parent.as_deref().filter(|_| r.is_enhancement()) {
                        if !ctx.claimed.contains(&normalize_id(base)) {
                            warnings.push(format!(
                                "asset '{}' meets {} but not its base requirement {}: an RE does not imply its base",
                                a.name, r.id, base
                            ));
                        }
                    }
                }
            }
        }
        let mut frs = Vec::new();
        let mut sl_c = [0u8; 7];
        let mut level = [0u8; 7];
        for fr in Fr::ALL {
            let mut explanation = Vec::new();
            let mut cms_used = Vec::new();
            let claims = |r: &Requirement| ctx.claims(r);
            let with_cms =
                |r: &Requirement| ctx.claims(r) || ctx.cm_reqs.contains_key(&normalize_id(&r.id));
            let (c, lacking, met) = match ctx.declared {
                Some(d) => {
                    let c = d.get(fr);
                    explanation.push(format!(
                        "{}: SL-C {c} declared (sl_c {d}), taken as is.",
                        fr.abbrev()
                    ));
                    let lacking: Vec<_> = if c < 4 {
                        reqs_at(ct, fr, c + 1)
                            .into_iter()
                            .filter(|r| r.min_sl == Some(c + 1))
                            .collect()
                    } else {
                        Vec::new()
                    };
                    (c, lacking, Vec::new())
                }
                None => {
                    let (c, lacking) = derive(ct, fr, &claims);
                    let met: Vec<String> = reqs_at(ct, fr, 4)
                        .into_iter()
                        .filter(|r| claims(r))
                        .map(|r| r.id.clone())
                        .collect();
                    let upto = reqs_at(ct, fr, c).len();
                    if c == 4 {
                        explanation.push(format!(
                            "{}: SL-C 4 derived from meets: all {upto} applicable {} requirement(s) up to SL 4 are met.",
                            fr.abbrev(), ct.slug()
                        ));
                    } else {
                        explanation.push(format!(
                            "{}: SL-C {c} derived from meets: all {upto} applicable {} requirement(s) up to SL {c} are met; SL {} also needs {}.",
                            fr.abbrev(), ct.slug(), c + 1, list(&ids(&lacking))
                        ));
                    }
                    (c, lacking, met)
                }
            };
            // Requirement covers.
            let covered: Vec<&Requirement> = reqs_at(ct, fr, 4)
                .into_iter()
                .filter(|r| !claims(r) && ctx.cm_reqs.contains_key(&normalize_id(&r.id)))
                .collect();
            let mut lv = c;
            if !covered.is_empty() {
                let (d2, _) = derive(ct, fr, &with_cms);
                let before = lv;
                lv = lv.max(d2);
                let mut by = Vec::new();
                for r in &covered {
                    let names = &ctx.cm_reqs[&normalize_id(&r.id)];
                    by.push(format!("{} by {}", r.id, names.join(" + ")));
                    cms_used.extend(names.iter().cloned());
                }
                explanation.push(format!(
                    "Requirement countermeasures count as met: {}; level {before} -> {lv}.",
                    by.join("; ")
                ));
            }
            for (name, l) in fr_cms(&a.name, fr) {
                let before = lv;
                lv = lv.max(l);
                explanation.push(format!(
                    "Countermeasure '{name}' covers {} at level {l} on this asset: level max({before}, {l}) = {lv}.",
                    fr.abbrev()
                ));
                cms_used.push(name);
            }
            cms_used.dedup();
            sl_c[fr.index()] = c;
            level[fr.index()] = lv;
            frs.push(AssetFr {
                fr,
                sl_c: c,
                level: lv,
                met,
                missing_for_next: ids(&lacking),
                countermeasures: cms_used,
                explanation,
            });
        }
        assets.push(AssetResult {
            name: a.name.clone(),
            zone: a.zone.clone(),
            component_type: ct,
            basis: if ctx.declared.is_some() {
                CapabilityBasis::Declared
            } else {
                CapabilityBasis::Derived
            },
            sl_c: SlVector::new(sl_c).unwrap_or_default(),
            level: SlVector::new(level).unwrap_or_default(),
            frs,
            evidence: a.evidence.clone(),
        });
    }

    // Zones.
    let mut zones = Vec::new();
    for z in &model.zones {
        let own: Vec<&AssetResult> = assets.iter().filter(|a| a.zone == z.name).collect();
        if own.is_empty() {
            warnings.push(format!(
                "zone '{}' has no assets of its own: nothing limits its SL-A, so it counts as 4 before countermeasures",
                z.name
            ));
        }
        let mut frs = Vec::new();
        let (mut a_vec, mut b_vec) = ([0u8; 7], [0u8; 7]);
        for fr in Fr::ALL {
            let t = z.sl_t.get(fr);
            let mut ex = vec![format!(
                "{}: SL-T {t} declared for zone '{}'.",
                fr.abbrev(),
                z.name
            )];
            let before = own.iter().map(|a| a.sl_c.get(fr)).min().unwrap_or(4);
            let base = own.iter().map(|a| a.level.get(fr)).min().unwrap_or(4);
            let limited_by: Vec<String> = own
                .iter()
                .filter(|a| a.level.get(fr) == base)
                .map(|a| a.name.clone())
                .collect();
            if own.is_empty() {
                ex.push("No assets of its own (sub-zones are evaluated separately): nothing limits it, minimum taken as 4.".into());
            } else {
                let parts: Vec<String> = own
                    .iter()
                    .map(|a| {
                        let (c, l) = (a.sl_c.get(fr), a.level.get(fr));
                        if c == l {
                            format!("{} {c}", a.name)
                        } else {
                            format!("{} {c} -> {l} with countermeasures", a.name)
                        }
                    })
                    .collect();
                ex.push(format!(
                    "Own assets (sub-zones are evaluated separately): {}.",
                    parts.join(", ")
                ));
                ex.push(format!(
                    "Weakest: {} at {base} -> SL-A before zone countermeasures = {base}.",
                    limited_by.join(", ")
                ));
            }
            let r = raise_by_countermeasures(
                "Zone",
                fr,
                t,
                base,
                before,
                fr_cms(&z.name, fr),
                limited_by,
                ex,
            );
            a_vec[fr.index()] = r.sl_a;
            b_vec[fr.index()] = before;
            frs.push(r);
        }
        zones.push(ScopeResult {
            kind: ScopeKind::Zone,
            name: z.name.clone(),
            parent: z.parent.clone(),
            members: own.iter().map(|a| a.name.clone()).collect(),
            protocols: Vec::new(),
            sl_t: z.sl_t,
            sl_a: SlVector::new(a_vec).unwrap_or_default(),
            sl_a_without_countermeasures: SlVector::new(b_vec).unwrap_or_default(),
            frs,
        });
    }

    // Conduits.
    let zone_result = |name: &str| zones.iter().find(|z| z.name == name);
    let mut conduits = Vec::new();
    for c in &model.conduits {
        let joined: Vec<&ScopeResult> = c.zones.iter().filter_map(|z| zone_result(z)).collect();
        let mut frs = Vec::new();
        let (mut a_vec, mut b_vec) = ([0u8; 7], [0u8; 7]);
        for fr in Fr::ALL {
            let t = c.sl_t.get(fr);
            let mut ex = vec![format!(
                "{}: SL-T {t} declared for conduit '{}'{}.",
                fr.abbrev(),
                c.name,
                if c.protocols.is_empty() {
                    String::new()
                } else {
                    format!(" (carries {})", c.protocols.join(", "))
                }
            )];
            let base = joined.iter().map(|z| z.sl_a.get(fr)).min().unwrap_or(4);
            let before = joined
                .iter()
                .map(|z| z.sl_a_without_countermeasures.get(fr))
                .min()
                .unwrap_or(4);
            let limited_by: Vec<String> = joined
                .iter()
                .filter(|z| z.sl_a.get(fr) == base)
                .map(|z| z.name.clone())
                .collect();
            let parts: Vec<String> = joined
                .iter()
                .map(|z| format!("zone '{}' SL-A {}", z.name, z.sl_a.get(fr)))
                .collect();
            ex.push(format!(
                "A conduit has no assets of its own; its base is its weakest end: {} -> {base}.",
                parts.join(", ")
            ));
            let r = raise_by_countermeasures(
                "Conduit",
                fr,
                t,
                base,
                before,
                fr_cms(&c.name, fr),
                limited_by,
                ex,
            );
            a_vec[fr.index()] = r.sl_a;
            b_vec[fr.index()] = before;
            frs.push(r);
        }
        conduits.push(ScopeResult {
            kind: ScopeKind::Conduit,
            name: c.name.clone(),
            parent: None,
            members: joined.iter().map(|z| z.name.clone()).collect(),
            protocols: c.protocols.clone(),
            sl_t: c.sl_t,
            sl_a: SlVector::new(a_vec).unwrap_or_default(),
            sl_a_without_countermeasures: SlVector::new(b_vec).unwrap_or_default(),
            frs,
        });
    }

    // Gaps.
    let mut gaps = Vec::new();
    let mut used_justifications = HashSet::new();
    for scope in zones.iter().chain(conduits.iter()) {
        // The assets whose shortfall counts, and the names whose countermeasures cover them.
        let members: Vec<&AssetCtx> = match scope.kind {
            ScopeKind::Zone => ctxs.iter().filter(|c| c.asset.zone == scope.name).collect(),
            ScopeKind::Conduit => ctxs
                .iter()
                .filter(|c| scope.members.contains(&c.asset.zone))
                .collect(),
        };
        for f in &scope.frs {
            if f.sl_a_without_countermeasures >= f.sl_t {
                continue;
            }
            let fr = f.fr;
            let t = f.sl_t;
            let mut missing = Vec::new();
            for ctx in &members {
                let a = ctx.asset;
                let mut reach = vec![a.name.as_str(), a.zone.as_str()];
                if scope.kind == ScopeKind::Conduit {
                    reach.push(scope.name.as_str());
                }
                for r in reqs_at(a.component_type, fr, t) {
                    if ctx.claims(r) {
                        continue;
                    }
                    let min = r.min_sl.unwrap_or(1);
                    let mut by: Vec<String> = ctx
                        .cm_reqs
                        .get(&normalize_id(&r.id))
                        .cloned()
                        .unwrap_or_default();
                    for name in &reach {
                        for (cm, l) in fr_cms(name, fr) {
                            if l >= min && !by.contains(&cm) {
                                by.push(cm);
                            }
                        }
                    }
                    let resolution = if by.is_empty() {
                        "none: open".to_string()
                    } else {
                        format!(
                            "covered by countermeasure {}",
                            by.iter()
                                .map(|b| format!("'{b}'"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    missing.push(MissingRequirement {
                        asset: a.name.clone(),
                        requirement: r.id.clone(),
                        title: r.title.clone(),
                        min_sl: min,
                        covered_by: by,
                        resolution,
                    });
                }
            }
            let mut closed_by: BTreeSet<String> = missing
                .iter()
                .flat_map(|m| m.covered_by.iter().cloned())
                .collect();
            closed_by.extend(f.countermeasures.iter().cloned());
            let justification = model
                .justifications
                .iter()
                .enumerate()
                .find(|(_, j)| j.scope == scope.kind && j.name == scope.name && j.fr == fr);
            let (status, justification) = if f.sl_a >= t {
                (GapStatus::Closed, None)
            } else if let Some((i, j)) = justification {
                used_justifications.insert(i);
                (GapStatus::OpenJustified, Some(j.text.clone()))
            } else {
                (GapStatus::Open, None)
            };
            let open_items = missing.iter().filter(|m| m.covered_by.is_empty()).count();
            let summary = match status {
                GapStatus::Closed => format!(
                    "{} '{}' {}: SL-A {} < SL-T {t} without countermeasures; closed to {} by {}.",
                    scope.kind.label(),
                    scope.name,
                    fr.abbrev(),
                    f.sl_a_without_countermeasures,
                    f.sl_a,
                    list(&closed_by.iter().cloned().collect::<Vec<_>>())
                ),
                GapStatus::OpenJustified | GapStatus::Open => format!(
                    "{} '{}' {}: SL-A {} < SL-T {t}; none: open ({open_items} requirement(s) uncovered){}.",
                    scope.kind.label(),
                    scope.name,
                    fr.abbrev(),
                    f.sl_a,
                    match &justification {
                        Some(j) => format!("; accepted: {j}"),
                        None => "; no justification in the model".into(),
                    }
                ),
            };
            gaps.push(Gap {
                scope: scope.kind,
                name: scope.name.clone(),
                fr,
                sl_t: t,
                sl_a_without_countermeasures: f.sl_a_without_countermeasures,
                sl_a: f.sl_a,
                status,
                closed_by: closed_by.into_iter().collect(),
                justification,
                missing,
                summary,
            });
        }
    }
    for (i, j) in model.justifications.iter().enumerate() {
        if !used_justifications.contains(&i) {
            warnings.push(format!(
                "justification for {} '{}' {} is not used: there is no open gap there",
                j.scope.label(),
                j.name,
                j.fr.abbrev()
            ));
        }
    }

    // Risk proposals.
    let mut risk = Vec::new();
    for zr in &model.risk {
        let Some(z) = model.zones.iter().find(|z| z.name == zr.zone) else {
            continue;
        };
        let threats: Vec<ThreatScore> = zr
            .threats
            .iter()
            .map(|t| {
                let score = t.likelihood.clamp(1, 5) * t.consequence.clamp(1, 5);
                ThreatScore {
                    name: t.name.clone(),
                    likelihood: t.likelihood,
                    consequence: t.consequence,
                    score,
                    level: risk_level(score),
                    frs: if t.frs.is_empty() {
                        Fr::ALL.to_vec()
                    } else {
                        t.frs.clone()
                    },
                }
            })
            .collect();
        let mut proposed = [0u8; 7];
        let mut explanation = Vec::new();
        let mut below = Vec::new();
        for fr in Fr::ALL {
            let acting: Vec<&ThreatScore> =
                threats.iter().filter(|t| t.frs.contains(&fr)).collect();
            let p = acting.iter().map(|t| t.level).max().unwrap_or(0);
            proposed[fr.index()] = p;
            let d = z.sl_t.get(fr);
            explanation.push(if acting.is_empty() {
                format!(
                    "{}: no threat acts through it -> proposed 0 (declared {d}).",
                    fr.abbrev()
                )
            } else {
                let parts: Vec<String> = acting
                    .iter()
                    .map(|t| {
                        format!(
                            "'{}' {}x{}={} -> SL {}",
                            t.name, t.likelihood, t.consequence, t.score, t.level
                        )
                    })
                    .collect();
                format!(
                    "{}: {} -> proposed {p} (declared {d}{}).",
                    fr.abbrev(),
                    parts.join(", "),
                    if d < p { ", below the proposal" } else { "" }
                )
            });
            if d < p {
                below.push(fr);
            }
        }
        if !below.is_empty() {
            warnings.push(format!(
                "zone '{}': declared SL-T is below the risk-based proposal in {} (the declared SL-T stays in force)",
                z.name,
                below.iter().map(|f| f.abbrev()).collect::<Vec<_>>().join(", ")
            ));
        }
        risk.push(RiskProposal {
            zone: z.name.clone(),
            status: "proposal".into(),
            method: RISK_METHOD.into(),
            declared_sl_t: z.sl_t,
            proposed_sl_t: SlVector::new(proposed).unwrap_or_default(),
            declared_below_proposal: below,
            threats,
            explanation,
        });
    }
    Evaluation {
        format: EVALUATION_FORMAT.into(),
        catalog: CATALOG_VERSION.into(),
        system: model.name.clone(),
        rules: rules(),
        assets,
        zones,
        conduits,
        gaps,
        risk,
        warnings,
    }
}

/// Likelihood x consequence → SL (see [`RiskProposal`]).
fn risk_level(score: u8) -> u8 {
    match score {
        0..=4 => 1,
        5..=9 => 2,
        10..=15 => 3,
        _ => 4,
    }
}

/// A zone's or conduit's SL-A for one FR: `base` raised by the countermeasures acting on it,
/// explained step by step after the explanation so far (`ex`).
#[allow(clippy::too_many_arguments)]
fn raise_by_countermeasures(
    label: &str,
    fr: Fr,
    t: u8,
    base: u8,
    before: u8,
    cms: Vec<(String, u8)>,
    limited_by: Vec<String>,
    mut ex: Vec<String>,
) -> FrResult {
    let mut sl_a = base;
    let mut cm_names = Vec::new();
    for (name, l) in cms {
        let prev = sl_a;
        sl_a = sl_a.max(l);
        ex.push(format!(
            "{label} countermeasure '{name}' covers {} at level {l}: SL-A max({prev}, {l}) = {sl_a}.",
            fr.abbrev()
        ));
        cm_names.push(name);
    }
    if before != sl_a {
        ex.push(format!(
            "Without any countermeasure SL-A would be {before}."
        ));
    }
    ex.push(verdict(sl_a, t));
    FrResult {
        fr,
        sl_t: t,
        sl_a,
        sl_a_without_countermeasures: before,
        limited_by,
        countermeasures: cm_names,
        target_met: sl_a >= t,
        explanation: ex,
    }
}

fn verdict(sl_a: u8, t: u8) -> String {
    if sl_a >= t {
        format!("SL-A {sl_a} >= SL-T {t}: target met.")
    } else {
        format!(
            "SL-A {sl_a} < SL-T {t}: short by {} level(s) (see gaps).",
            t - sl_a
        )
    }
}
