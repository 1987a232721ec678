//! Evaluation of a system model: SL-C per asset, SL-A per zone and conduit, gaps, risk.
//! The rules are stated in the module documentation of [`crate::zones`].

use super::model::{Asset, Capability, Conduit, Coverage, ScopeKind, SystemModel, Zone, ZoneRisk};
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
    /// Countermeasures that raised its level in this FR (one that covers it at or below the
    /// level it already had is not listed).
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
    /// A zone without assets of its own has no SL-A: nothing achieved can be claimed for it
    /// (its vectors are 0 and reports show "none"; its conduits are limited by it).
    pub no_sl_a: bool,
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
    /// Countermeasures applied to this zone or conduit that raised its level in the FR.
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

/// Countermeasures by the name of what they apply to (asset, zone or conduit).
struct CountermeasureIndex<'m> {
    model: &'m SystemModel,
    on: HashMap<&'m str, Vec<usize>>,
}

impl<'m> CountermeasureIndex<'m> {
    fn new(model: &'m SystemModel) -> Self {
        let mut on: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, c) in model.countermeasures.iter().enumerate() {
            for t in &c.applies_to {
                on.entry(t.as_str()).or_default().push(i);
            }
        }
        CountermeasureIndex { model, on }
    }

    /// The countermeasures naming `name`, in model order.
    fn on(&self, name: &str) -> Vec<usize> {
        self.on.get(name).cloned().unwrap_or_default()
    }

    /// (name, level) of the countermeasures on `name` covering `fr`, level capped at 4.
    fn fr(&self, name: &str, fr: Fr) -> Vec<(String, u8)> {
        let mut v = Vec::new();
        for i in self.on(name) {
            let c = &self.model.countermeasures[i];
            if c.covers.contains(&Coverage::Fr(fr)) {
                v.push((c.name.clone(), c.provides.unwrap_or(0).min(4)));
            }
        }
        v
    }
}

/// Evaluate a model (see the rules in [`crate::zones`]). Never fails: references that do not
/// resolve (possible only in models built by hand and not validated) are ignored.
///
/// The steps: asset contexts, then each asset's SL-C and level, each zone's and each
/// conduit's SL-A, the gaps, and the risk proposals; warnings are collected in that order.
pub fn evaluate(model: &SystemModel) -> Evaluation {
    let mut warnings = Vec::new();
    let cms = CountermeasureIndex::new(model);
    let ctxs: Vec<AssetCtx> = model
        .assets
        .iter()
        .map(|a| asset_context(a, &cms))
        .collect();

    let mut assets = Vec::new();
    for ctx in &ctxs {
        warnings.extend(re_without_base_warnings(ctx));
        assets.push(evaluate_asset(ctx, &cms));
    }
    let mut zones = Vec::new();
    for z in &model.zones {
        let (zone, warning) = evaluate_zone(z, &assets, &cms);
        warnings.extend(warning);
        zones.push(zone);
    }
    let conduits: Vec<ScopeResult> = model
        .conduits
        .iter()
        .map(|c| evaluate_conduit(c, &zones, &cms))
        .collect();

    let mut gaps = Vec::new();
    let mut used_justifications = HashSet::new();
    for scope in zones.iter().chain(conduits.iter()) {
        gaps.extend(scope_gaps(
            scope,
            &assets,
            &zones,
            model,
            &ctxs,
            &cms,
            &mut used_justifications,
        ));
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

    let mut risk = Vec::new();
    for zr in &model.risk {
        let Some(z) = model.zones.iter().find(|z| z.name == zr.zone) else {
            continue;
        };
        let (proposal, warning) = risk_proposal(zr, z);
        warnings.extend(warning);
        risk.push(proposal);
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

/// An asset's claims, declared vector, and the requirement countermeasures on it (named on
/// the asset or on its zone).
fn asset_context<'m>(a: &'m Asset, cms: &CountermeasureIndex<'m>) -> AssetCtx<'m> {
    let (claimed, declared) = match &a.capability {
        Capability::SlC(v) => (HashSet::new(), Some(*v)),
        Capability::Meets(ids) => (ids.iter().map(|i| normalize_id(i)).collect(), None),
    };
    let mut cm_reqs: HashMap<String, Vec<String>> = HashMap::new();
    let mut idx = cms.on(&a.name);
    idx.extend(cms.on(&a.zone));
    for i in idx {
        let c = &cms.model.countermeasures[i];
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
}

/// A warning per requirement enhancement the asset meets without its base requirement.
fn re_without_base_warnings(ctx: &AssetCtx) -> Vec<String> {
    let mut warnings = Vec::new();
    if ctx.declared.is_some() {
        return warnings;
    }
    let cat = Catalog::builtin();
    for id in &ctx.claimed {
        if let Some(r) = cat.get(id) {
            if let Some(base) = r.parent.as_deref().filter(|_| r.is_enhancement()) {
                if !ctx.claimed.contains(&normalize_id(base)) {
                    warnings.push(format!(
                        "asset '{}' meets {} but not its base requirement {}: an RE does not imply its base",
                        ctx.asset.name, r.id, base
                    ));
                }
            }
        }
    }
    warnings
}

/// One asset's SL-C and level per FR.
fn evaluate_asset(ctx: &AssetCtx, cms: &CountermeasureIndex) -> AssetResult {
    let a = ctx.asset;
    let frs: Vec<AssetFr> = Fr::ALL.iter().map(|&fr| asset_fr(ctx, fr, cms)).collect();
    let mut sl_c = [0u8; 7];
    let mut level = [0u8; 7];
    for f in &frs {
        sl_c[f.fr.index()] = f.sl_c;
        level[f.fr.index()] = f.level;
    }
    AssetResult {
        name: a.name.clone(),
        zone: a.zone.clone(),
        component_type: a.component_type,
        basis: if ctx.declared.is_some() {
            CapabilityBasis::Declared
        } else {
            CapabilityBasis::Derived
        },
        sl_c: SlVector::new(sl_c).unwrap_or_default(),
        level: SlVector::new(level).unwrap_or_default(),
        frs,
        evidence: a.evidence.clone(),
    }
}

/// One asset in one FR: SL-C (declared, or derived from its claims), then the level after
/// requirement countermeasures and FR countermeasures on the asset.
fn asset_fr(ctx: &AssetCtx, fr: Fr, cms: &CountermeasureIndex) -> AssetFr {
    let ct = ctx.asset.component_type;
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
            // A cover raised the level only if its requirement was lacking for a level the
            // asset now reaches (lowest SL above the old level, up to the new one).
            if r.min_sl.is_some_and(|m| m > before && m <= lv) {
                cms_used.extend(names.iter().cloned());
            }
        }
        explanation.push(format!(
            "Requirement countermeasures count as met: {}; level {before} -> {lv}.",
            by.join("; ")
        ));
    }
    for (name, l) in cms.fr(&ctx.asset.name, fr) {
        let before = lv;
        lv = lv.max(l);
        explanation.push(format!(
            "Countermeasure '{name}' covers {} at level {l} on this asset: level max({before}, {l}) = {lv}.",
            fr.abbrev()
        ));
        if l > before {
            cms_used.push(name);
        }
    }
    cms_used.sort();
    cms_used.dedup();
    AssetFr {
        fr,
        sl_c: c,
        level: lv,
        met,
        missing_for_next: ids(&lacking),
        countermeasures: cms_used,
        explanation,
    }
}

/// One zone's SL-A per FR from its own assets' levels and the zone countermeasures; a
/// warning when it has no assets of its own.
fn evaluate_zone(
    z: &Zone,
    assets: &[AssetResult],
    cms: &CountermeasureIndex,
) -> (ScopeResult, Option<String>) {
    let own: Vec<&AssetResult> = assets.iter().filter(|a| a.zone == z.name).collect();
    let warning = own.is_empty().then(|| {
        format!(
            "zone '{}' has no assets of its own: it has no SL-A (nothing achieved can be claimed for it; shown as none, and its conduits are limited by it)",
            z.name
        )
    });
    let mut frs = Vec::new();
    let (mut a_vec, mut b_vec) = ([0u8; 7], [0u8; 7]);
    for fr in Fr::ALL {
        let r = zone_fr(z, &own, fr, cms);
        a_vec[fr.index()] = r.sl_a;
        b_vec[fr.index()] = r.sl_a_without_countermeasures;
        frs.push(r);
    }
    let zone = ScopeResult {
        kind: ScopeKind::Zone,
        name: z.name.clone(),
        parent: z.parent.clone(),
        members: own.iter().map(|a| a.name.clone()).collect(),
        protocols: Vec::new(),
        sl_t: z.sl_t,
        sl_a: SlVector::new(a_vec).unwrap_or_default(),
        sl_a_without_countermeasures: SlVector::new(b_vec).unwrap_or_default(),
        no_sl_a: own.is_empty(),
        frs,
    };
    (zone, warning)
}

/// One zone in one FR: the weakest own asset, raised by the zone's countermeasures.
fn zone_fr(z: &Zone, own: &[&AssetResult], fr: Fr, cms: &CountermeasureIndex) -> FrResult {
    let t = z.sl_t.get(fr);
    let mut ex = vec![format!(
        "{}: SL-T {t} declared for zone '{}'.",
        fr.abbrev(),
        z.name
    )];
    let before = own.iter().map(|a| a.sl_c.get(fr)).min().unwrap_or(0);
    let base = own.iter().map(|a| a.level.get(fr)).min().unwrap_or(0);
    let limited_by: Vec<String> = own
        .iter()
        .filter(|a| a.level.get(fr) == base)
        .map(|a| a.name.clone())
        .collect();
    if own.is_empty() {
        ex.push("No assets of its own (sub-zones are evaluated separately): no SL-A can be claimed for it, and countermeasures on the zone alone do not make one.".into());
        return FrResult {
            fr,
            sl_t: t,
            sl_a: 0,
            sl_a_without_countermeasures: 0,
            limited_by: Vec::new(),
            countermeasures: Vec::new(),
            target_met: t == 0,
            explanation: ex,
        };
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
    raise_by_countermeasures(
        "Zone",
        fr,
        t,
        base,
        before,
        cms.fr(&z.name, fr),
        limited_by,
        ex,
    )
}

/// One conduit's SL-A per FR: its weakest end, raised by the conduit's countermeasures.
fn evaluate_conduit(c: &Conduit, zones: &[ScopeResult], cms: &CountermeasureIndex) -> ScopeResult {
    let joined: Vec<&ScopeResult> = c
        .zones
        .iter()
        .filter_map(|z| zones.iter().find(|r| r.name == *z))
        .collect();
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
            cms.fr(&c.name, fr),
            limited_by,
            ex,
        );
        a_vec[fr.index()] = r.sl_a;
        b_vec[fr.index()] = before;
        frs.push(r);
    }
    ScopeResult {
        kind: ScopeKind::Conduit,
        name: c.name.clone(),
        parent: None,
        members: joined.iter().map(|z| z.name.clone()).collect(),
        protocols: c.protocols.clone(),
        sl_t: c.sl_t,
        sl_a: SlVector::new(a_vec).unwrap_or_default(),
        sl_a_without_countermeasures: SlVector::new(b_vec).unwrap_or_default(),
        no_sl_a: false,
        frs,
    }
}

/// The gaps of one zone or conduit: every FR whose SL-A without countermeasures is below
/// SL-T. Marks the justifications it uses in `used_justifications` (by index).
fn scope_gaps(
    scope: &ScopeResult,
    assets: &[AssetResult],
    zones: &[ScopeResult],
    model: &SystemModel,
    ctxs: &[AssetCtx],
    cms: &CountermeasureIndex,
    used_justifications: &mut HashSet<usize>,
) -> Vec<Gap> {
    // The assets whose shortfall counts.
    let members: Vec<&AssetCtx> = match scope.kind {
        ScopeKind::Zone => ctxs.iter().filter(|c| c.asset.zone == scope.name).collect(),
        ScopeKind::Conduit => ctxs
            .iter()
            .filter(|c| scope.members.contains(&c.asset.zone))
            .collect(),
    };
    let mut gaps = Vec::new();
    for f in &scope.frs {
        if f.sl_a_without_countermeasures >= f.sl_t {
            continue;
        }
        let fr = f.fr;
        let t = f.sl_t;
        let missing = missing_requirements(scope, &members, fr, t, cms);
        // Only countermeasures that raised a level here: the scope's own, and those that
        // raised a member asset that was below the target on its own claims.
        let mut closed_by: BTreeSet<String> = f.countermeasures.iter().cloned().collect();
        for a in assets.iter().filter(|a| match scope.kind {
            ScopeKind::Zone => a.zone == scope.name,
            ScopeKind::Conduit => scope.members.contains(&a.zone),
        }) {
            if let Some(af) = a.frs.iter().find(|x| x.fr == fr) {
                if af.sl_c < t {
                    closed_by.extend(af.countermeasures.iter().cloned());
                }
            }
        }
        if scope.kind == ScopeKind::Conduit {
            // A joined zone's own countermeasures raise the conduit's base.
            for z in zones.iter().filter(|z| scope.members.contains(&z.name)) {
                if let Some(zf) = z.frs.iter().find(|x| x.fr == fr) {
                    if zf.sl_a_without_countermeasures < t {
                        closed_by.extend(zf.countermeasures.iter().cloned());
                    }
                }
            }
        }
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
    gaps
}

/// The requirements up to SL-T `t` in `fr` that the `members` do not claim, each with the
/// countermeasures that cover it (on the asset, its zone, or the conduit in scope).
fn missing_requirements(
    scope: &ScopeResult,
    members: &[&AssetCtx],
    fr: Fr,
    t: u8,
    cms: &CountermeasureIndex,
) -> Vec<MissingRequirement> {
    let mut missing = Vec::new();
    for ctx in members {
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
                for (cm, l) in cms.fr(name, fr) {
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
    missing
}

/// The risk-based SL-T proposal for zone `z` from its threats; a warning when the declared
/// SL-T is below the proposal in some FR.
fn risk_proposal(zr: &ZoneRisk, z: &Zone) -> (RiskProposal, Option<String>) {
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
        let acting: Vec<&ThreatScore> = threats.iter().filter(|t| t.frs.contains(&fr)).collect();
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
    let warning = (!below.is_empty()).then(|| {
        format!(
            "zone '{}': declared SL-T is below the risk-based proposal in {} (the declared SL-T stays in force)",
            z.name,
            below.iter().map(|f| f.abbrev()).collect::<Vec<_>>().join(", ")
        )
    });
    let proposal = RiskProposal {
        zone: z.name.clone(),
        status: "proposal".into(),
        method: RISK_METHOD.into(),
        declared_sl_t: z.sl_t,
        proposed_sl_t: SlVector::new(proposed).unwrap_or_default(),
        declared_below_proposal: below,
        threats,
        explanation,
    };
    (proposal, warning)
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
        if l > prev {
            cm_names.push(name);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zones::model::{Countermeasure, Threat};

    fn zone(name: &str, sl_t: &str) -> Zone {
        Zone {
            name: name.into(),
            description: String::new(),
            sl_t: sl_t.parse().expect("test vector"),
            parent: None,
        }
    }

    fn threat(name: &str, likelihood: u8, consequence: u8, frs: Vec<Fr>) -> Threat {
        Threat {
            name: name.into(),
            description: String::new(),
            likelihood,
            consequence,
            frs,
        }
    }

    #[test]
    fn a_risk_proposal_takes_the_strongest_threat_per_fr_and_warns_when_declared_is_below() {
        let z = zone("cell", "2 2 2 2 2 2 2");
        let zr = ZoneRisk {
            zone: "cell".into(),
            threats: vec![
                threat("spoofing", 4, 4, vec![Fr::Iac]),
                threat("noise", 1, 2, vec![]),
            ],
        };
        let (p, warning) = risk_proposal(&zr, &z);
        assert_eq!(p.proposed_sl_t.to_string(), "{4 1 1 1 1 1 1}");
        assert_eq!(p.declared_below_proposal, vec![Fr::Iac]);
        assert_eq!(p.threats[0].score, 16);
        assert!(
            p.explanation[0].contains("below the proposal"),
            "{:?}",
            p.explanation
        );
        assert!(warning.is_some_and(|w| w.contains("zone 'cell'") && w.contains("IAC")));

        let (_, warning) = risk_proposal(
            &ZoneRisk {
                zone: "cell".into(),
                threats: vec![],
            },
            &z,
        );
        assert_eq!(warning, None);
    }

    #[test]
    fn countermeasures_are_found_by_target_and_fr_with_the_level_capped_at_4() {
        let model = SystemModel {
            name: None,
            description: None,
            zones: vec![zone("cell", "1 1 1 1 1 1 1")],
            conduits: vec![],
            assets: vec![],
            countermeasures: vec![Countermeasure {
                name: "firewall".into(),
                description: String::new(),
                covers: vec![Coverage::Fr(Fr::Rdf)],
                provides: Some(9),
                applies_to: vec!["cell".into()],
            }],
            risk: vec![],
            justifications: vec![],
        };
        let cms = CountermeasureIndex::new(&model);
        assert_eq!(cms.fr("cell", Fr::Rdf), vec![("firewall".to_string(), 4)]);
        assert!(cms.fr("cell", Fr::Iac).is_empty());
        assert!(cms.fr("elsewhere", Fr::Rdf).is_empty());
        let (z, warning) = evaluate_zone(&model.zones[0], &[], &cms);
        assert!(warning.is_some_and(|w| w.contains("no assets of its own")));
        // No assets: no SL-A, and a zone countermeasure alone does not make one.
        assert!(z.no_sl_a);
        assert_eq!(z.sl_a.to_string(), "{0 0 0 0 0 0 0}");
    }
}
