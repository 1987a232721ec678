//! Zones and conduits: target, capability and achieved security levels per FR, with the
//! requirement-level gaps between them.
//!
//! An integrator describes a system in YAML ([`parse_model`] → [`SystemModel`]): zones with
//! their SL-T, conduits between zones, the assets in each zone with what they can do, the
//! countermeasures added around them, optional risk notes and accepted open gaps.
//! [`evaluate`] turns the model into an [`Evaluation`]: SL-C per asset, SL-A per zone and
//! conduit, a step-by-step explanation per FR and the gaps, each traced to catalog
//! requirement IDs.
//!
//! # The rules, precisely
//!
//! **SL-C of an asset** (per FR). Either declared (`sl_c: VECTOR`, the vendor's statement,
//! taken as is) or derived from `meets: [IDs]`: SL-C in FR n is the highest level s in 0..4
//! such that every 4-2 requirement and RE of FR n that applies to the asset's component type
//! with a lowest SL <= s is in `meets`. Level 0 asks for nothing, so SL-C is never below 0;
//! an RE does not imply its base requirement (both must be listed; a warning says so).
//!
//! **Countermeasures** have `covers` (whole FRs and/or single requirement IDs), `provides`
//! (a level 0..4, needed when an FR is covered) and `applies_to` (asset, zone or conduit
//! names). Their effect:
//! - a covered *requirement* counts as met, for SL-C derivation, on every asset it applies
//!   to: the named assets and the own assets of the named zones;
//! - a covered *FR* at level L applied to an asset raises that asset's level in the FR to
//!   max(level, L); applied to a zone, the zone's SL-A in the FR to max(SL-A, L); applied to a
//!   conduit, the conduit's SL-A to max(SL-A, L).
//!
//! Countermeasures only act on what they name: a countermeasure on a zone does not reach its
//! sub-zones, nor the conduits that touch it.
//!
//! **SL-A of a zone** (per FR) = max(min over the zone's own assets of their level after
//! asset countermeasures, highest zone countermeasure covering the FR). Sub-zones are
//! evaluated on their own with their own assets; a parent zone does not inherit their
//! levels. A zone without assets has nothing that limits it, so its minimum is 4 (a
//! warning says so) — this keeps "adding an asset never raises SL-A" true.
//!
//! **SL-A of a conduit** (per FR). A conduit has no assets of its own: the traffic it carries
//! is only as protected as its weakest end, so its base level is the minimum SL-A of the
//! zones it joins; countermeasures applied to the conduit (encrypted tunnels, filtering
//! rules, ...) raise it: SL-A = max(base, highest conduit countermeasure covering the FR).
//!
//! **Gaps.** For every zone and conduit and FR whose SL-A *without any countermeasure* is
//! below SL-T there is a [`Gap`]. It lists, for each asset below the target, the
//! applicable requirements up to SL-T that the asset does not meet, and for each the
//! countermeasures that cover it (one naming the requirement, or covering its FR at a level at
//! or above the requirement's lowest SL, applied to the asset, its zone or — for conduit gaps —
//! the conduit). The gap is *closed* when SL-A with countermeasures reaches SL-T, otherwise
//! *open*: with the model's justification when one is given for that zone or conduit and
//! FR, or unjustified.
//!
//! **Risk** (optional, per zone) yields a *proposed* SL-T that never replaces the declared
//! one; see [`RiskProposal`] for the method.

mod eval;
mod model;

pub use eval::{
    evaluate, AssetFr, AssetResult, CapabilityBasis, Evaluation, FrResult, Gap, GapStatus,
    MissingRequirement, RiskProposal, ScopeResult, ThreatScore, EVALUATION_FORMAT,
};
pub use model::{
    parse_fr, parse_model, Asset, Capability, Conduit, Countermeasure, Coverage, Justification,
    ModelError, ScopeKind, SystemModel, Threat, Zone, ZoneRisk,
};
