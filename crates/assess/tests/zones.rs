//! Zones and conduits: parsing, SL-C derivation, SL-A, gaps, and the example plant.

use otproof_assess::zones::*;
use otproof_catalog::{Catalog, ComponentType, Fr, SlVector};
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../../examples/water-treatment.yaml");

fn sl(s: &str) -> SlVector {
    s.parse().expect("test vector")
}

fn all_ids(ct: ComponentType) -> Vec<String> {
    Catalog::builtin()
        .applicable(ct, &sl("4 4 4 4 4 4 4"))
        .into_iter()
        .map(|r| r.id.clone())
        .collect()
}

fn asset(name: &str, zone: &str, ct: ComponentType, capability: Capability) -> Asset {
    Asset {
        name: name.into(),
        description: String::new(),
        zone: zone.into(),
        component_type: ct,
        vendor: None,
        product: None,
        version: None,
        capability,
        evidence: Vec::new(),
    }
}

fn zone(name: &str, sl_t: &str) -> Zone {
    Zone {
        name: name.into(),
        description: String::new(),
        sl_t: sl(sl_t),
        parent: None,
    }
}

fn meets(ids: &[&str]) -> Capability {
    Capability::Meets(ids.iter().map(|s| s.to_string()).collect())
}

fn one_asset(ct: ComponentType, cap: Capability) -> AssetResult {
    let m = SystemModel {
        zones: vec![zone("z", "1 1 1 1 1 1 1")],
        assets: vec![asset("a", "z", ct, cap)],
        ..SystemModel::default()
    };
    m.validate().expect("valid");
    evaluate(&m).assets.remove(0)
}

fn invalid(yaml: &str) -> ModelError {
    match parse_model(yaml) {
        Ok(_) => panic!("accepted:\n{yaml}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------
// The example plant

#[test]
fn example_plant_parses_and_has_the_documented_gaps() {
    let m = parse_model(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.assets.len() >= 15);
    for ct in ComponentType::ALL {
        assert!(
            m.assets.iter().any(|a| a.component_type == ct),
            "no {ct} in the example"
        );
    }
    assert!(m
        .assets
        .iter()
        .any(|a| matches!(a.capability, Capability::SlC(_))));
    assert_eq!(
        m.zones
            .iter()
            .find(|z| z.name == "dosing")
            .and_then(|z| z.parent.as_deref()),
        Some("control")
    );
    let ev = evaluate(&m);

    // Closed: the intake remote I/O is below IAC 2, the fieldbus isolation lifts it.
    let closed = ev
        .gaps
        .iter()
        .find(|g| g.name == "control" && g.fr == Fr::Iac)
        .expect("control IAC gap");
    assert_eq!(closed.status, GapStatus::Closed);
    assert_eq!(
        (
            closed.sl_a_without_countermeasures,
            closed.sl_a,
            closed.sl_t
        ),
        (1, 2, 2)
    );
    assert_eq!(closed.closed_by, vec!["fieldbus-isolation".to_string()]);
    assert!(closed
        .missing
        .iter()
        .all(|m| m.asset == "remote-io-intake" && m.covered_by == ["fieldbus-isolation"]));
    assert!(closed.missing.iter().any(|m| m.requirement == "CR 1.2"));

    // Closed on a conduit: remote vendor access through the DMZ.
    let vendor = ev
        .gaps
        .iter()
        .find(|g| {
            g.scope == ScopeKind::Conduit && g.name == "vendor-remote-access" && g.fr == Fr::Iac
        })
        .expect("vendor access IAC gap");
    assert_eq!(vendor.status, GapStatus::Closed);
    assert_eq!(vendor.closed_by, vec!["vendor-access-broker".to_string()]);

    // Open, accepted: the safety controller lacks two FR 1 REs for SL 3.
    let open = ev
        .gaps
        .iter()
        .find(|g| g.name == "safety" && g.fr == Fr::Iac)
        .expect("safety IAC gap");
    assert_eq!(open.status, GapStatus::OpenJustified);
    assert_eq!((open.sl_a, open.sl_t), (2, 3));
    let missing: Vec<&str> = open
        .missing
        .iter()
        .map(|m| m.requirement.as_str())
        .collect();
    assert_eq!(missing, ["CR 1.1 RE2", "CR 1.2 RE1"]);
    assert!(open.missing.iter().all(|m| m.resolution == "none: open"));
    assert!(open
        .justification
        .as_deref()
        .is_some_and(|j| j.contains("2027")));
    assert!(open.summary.contains("none: open"), "{}", open.summary);

    // Every gap is closed except the justified one.
    let not_closed: Vec<_> = ev
        .gaps
        .iter()
        .filter(|g| g.status != GapStatus::Closed)
        .map(|g| (g.name.as_str(), g.fr))
        .collect();
    assert_eq!(not_closed, [("safety", Fr::Iac)]);

    // Risk: a proposal that leaves the declared SL-T alone.
    let r = &ev.risk[0];
    assert_eq!(r.zone, "dosing");
    assert_eq!(r.status, "proposal");
    assert_eq!(r.proposed_sl_t, sl("3 3 4 1 0 0 4"));
    assert_eq!(r.declared_sl_t, sl("3 3 3 1 2 1 3"));
    assert_eq!(r.declared_below_proposal, [Fr::Si, Fr::Ra]);
    let dosing = ev
        .zones
        .iter()
        .find(|z| z.name == "dosing")
        .expect("dosing");
    assert_eq!(dosing.sl_t, sl("3 3 3 1 2 1 3"));

    // Explanations exist per zone/conduit and FR, and the output serializes.
    for s in ev.zones.iter().chain(ev.conduits.iter()) {
        assert_eq!(s.frs.len(), 7);
        assert!(s.frs.iter().all(|f| f.explanation.len() >= 3), "{}", s.name);
    }
    let json = serde_json::to_value(&ev).expect("serializes");
    assert_eq!(json["format"], EVALUATION_FORMAT);
}

#[test]
fn numbers_in_text_fields_keep_their_spelling() {
    let m = parse_model(
        "zones:\n  - name: z\n    sl_t: 1,1,1,1,1,1,1\nassets:\n  - name: a\n    zone: z\n    component_type: host-device\n    version: 1.10\n    evidence: [0042]\n    meets: []\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.assets[0].version.as_deref(), Some("1.10"));
    assert_eq!(m.assets[0].evidence, ["0042"]);
}

#[test]
fn sub_zones_are_evaluated_separately() {
    let m = parse_model(EXAMPLE).expect("example");
    let ev = evaluate(&m);
    let control = ev
        .zones
        .iter()
        .find(|z| z.name == "control")
        .expect("control");
    assert!(!control.members.iter().any(|a| a == "plc-dosing"));
    let dosing = ev
        .zones
        .iter()
        .find(|z| z.name == "dosing")
        .expect("dosing");
    assert_eq!(dosing.members, ["plc-dosing", "dosing-panel"]);
    assert_eq!(dosing.parent.as_deref(), Some("control"));
}

// ---------------------------------------------------------------------------------------
// SL-C derivation, one worked example per component type

const COMMON_SL1: &[&str] = &[
    "CR 1.1", "CR 1.3", "CR 1.4", "CR 1.5", "CR 1.7", "CR 1.10", "CR 1.11", "CR 1.12", "CR 2.1",
    "CR 2.2", "CR 2.5", "CR 2.8", "CR 2.9", "CR 2.10", "CR 2.11", "CR 2.12", "CR 3.1", "CR 3.3",
    "CR 3.4", "CR 3.5", "CR 3.6", "CR 3.7", "CR 4.1", "CR 4.3", "CR 5.1", "CR 6.1", "CR 7.1",
    "CR 7.2", "CR 7.3", "CR 7.4", "CR 7.6", "CR 7.7",
];

#[test]
fn sl_c_embedded_device() {
    // Common SL 1 plus the EDR SL 1 rows, and SL 2 of FR 1 except CR 1.14.
    let mut ids = COMMON_SL1.to_vec();
    ids.extend(["EDR 2.4", "EDR 3.2", "EDR 3.10", "EDR 3.14"]);
    ids.extend(["CR 1.1 RE1", "CR 1.2", "CR 1.8", "CR 1.9"]);
    let a = one_asset(ComponentType::EmbeddedDevice, meets(&ids));
    assert_eq!(a.basis, CapabilityBasis::Derived);
    // FR 5 has only CR 5.1 for an embedded device, FR 4 stops at CR 4.2 (SL 2).
    assert_eq!(a.sl_c, sl("1 1 1 1 4 1 1"));
    let iac = &a.frs[0];
    assert_eq!(iac.missing_for_next, ["CR 1.14"]);
    assert!(
        iac.explanation[0].contains("SL 2 also needs CR 1.14"),
        "{:?}",
        iac.explanation
    );
    assert!(iac.met.contains(&"CR 1.2".to_string()));
}

#[test]
fn sl_c_network_device() {
    // Without NDR 1.6 even SL 1 of FR 1 fails; with FR 5's NDRs RDF reaches 2.
    let mut ids = COMMON_SL1.to_vec();
    ids.extend(["NDR 1.13", "NDR 2.4", "NDR 3.2", "NDR 3.10", "NDR 3.14"]);
    ids.extend(["NDR 5.2", "NDR 5.3", "NDR 5.2 RE1"]);
    let a = one_asset(ComponentType::NetworkDevice, meets(&ids));
    assert_eq!(a.sl_c.get(Fr::Iac), 0);
    assert_eq!(a.frs[0].missing_for_next, ["NDR 1.6"]);
    assert_eq!(a.sl_c.get(Fr::Rdf), 2);
    assert_eq!(a.frs[4].missing_for_next, ["NDR 5.2 RE2", "NDR 5.2 RE3"]);
}

#[test]
fn sl_c_software_application() {
    // No SAR 2.4: use control stays at 0; the rest of SL 1 holds.
    let mut ids = COMMON_SL1.to_vec();
    ids.push("SAR 3.2");
    let a = one_asset(ComponentType::SoftwareApplication, meets(&ids));
    assert_eq!(a.sl_c, sl("1 0 1 1 4 1 1"));
    assert_eq!(a.frs[1].missing_for_next, ["SAR 2.4"]);
}

#[test]
fn sl_c_host_device() {
    // Everything up to SL 2 except HDR 3.2 RE1: SI stays at 1.
    let mut ids: Vec<String> = Catalog::builtin()
        .applicable(ComponentType::HostDevice, &sl("2 2 2 2 2 2 2"))
        .into_iter()
        .map(|r| r.id.clone())
        .filter(|id| id != "HDR 3.2 RE1")
        .collect();
    ids.push("cr 1.1 (2)".into()); // forgiving spelling, SL 3 of FR 1
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let a = one_asset(ComponentType::HostDevice, meets(&refs));
    assert_eq!(a.sl_c, sl("2 2 1 2 4 2 2"));
    assert_eq!(a.frs[2].missing_for_next, ["HDR 3.2 RE1"]);
}

#[test]
fn declared_sl_c_is_taken_as_is_and_requirement_covers_lift_it() {
    let m = SystemModel {
        zones: vec![zone("z", "2 1 1 1 1 1 1")],
        assets: vec![asset(
            "old-plc",
            "z",
            ComponentType::EmbeddedDevice,
            Capability::SlC(sl("1 1 1 1 1 1 1")),
        )],
        countermeasures: vec![Countermeasure {
            name: "idm".into(),
            description: String::new(),
            covers: ["CR 1.1 RE1", "CR 1.2", "CR 1.8", "CR 1.9", "CR 1.14"]
                .iter()
                .map(|s| Coverage::Requirement(s.to_string()))
                .collect(),
            provides: None,
            applies_to: vec!["z".into()],
        }],
        ..SystemModel::default()
    };
    m.validate().expect("valid");
    let ev = evaluate(&m);
    assert_eq!(ev.assets[0].basis, CapabilityBasis::Declared);
    assert_eq!(ev.assets[0].sl_c.get(Fr::Iac), 1);
    assert_eq!(ev.assets[0].level.get(Fr::Iac), 2);
    let g = &ev.gaps[0];
    assert_eq!((g.fr, g.status), (Fr::Iac, GapStatus::Closed));
    assert_eq!(g.missing.len(), 5);
    assert!(g.missing.iter().all(|m| m.covered_by == ["idm"]));
}

#[test]
fn re_without_base_is_a_warning() {
    let m = SystemModel {
        zones: vec![zone("z", "1 1 1 1 1 1 1")],
        assets: vec![asset(
            "a",
            "z",
            ComponentType::HostDevice,
            meets(&["CR 1.1 RE1"]),
        )],
        ..SystemModel::default()
    };
    let ev = evaluate(&m);
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.contains("not its base requirement CR 1.1")),
        "{:?}",
        ev.warnings
    );
}

// ---------------------------------------------------------------------------------------
// Zones, conduits, countermeasures

const SMALL: &str = r#"
zones:
  - name: a
    sl_t: "2 2 2 2 2 2 2"
  - name: b
    sl_t: [1, 1, 1, 1, 1, 1, 1]
conduits:
  - name: a-b
    zones: [a, b]
    sl_t: {3 3 3 3 3 3 3}
    protocols: [Modbus/TCP]
assets:
  - name: dev-a
    zone: a
    component_type: embedded-device
    sl_c: "2 2 2 2 2 2 2"
  - name: dev-b
    zone: b
    component_type: EDR
    sl_c: "1 2 2 2 2 2 2"
countermeasures:
  - name: tunnel
    covers: [DC, 5]
    provides: 3
    applies_to: [a-b]
justifications:
  - conduit: a-b
    fr: FR 1
    text: accepted for now
  - zone: a
    fr: uc
    text: not needed
"#;

#[test]
fn conduit_is_its_weakest_end_lifted_by_its_countermeasures() {
    let m = parse_model(SMALL).unwrap_or_else(|e| panic!("{e}"));
    let ev = evaluate(&m);
    let c = &ev.conduits[0];
    assert_eq!(c.sl_t, sl("3 3 3 3 3 3 3"));
    assert_eq!(c.sl_a_without_countermeasures, sl("1 2 2 2 2 2 2"));
    assert_eq!(c.sl_a, sl("1 2 2 3 3 2 2"));
    assert_eq!(c.frs[0].limited_by, ["b"]);
    assert!(c.frs[3].explanation.iter().any(|l| l.contains("'tunnel'")));
    let iac = ev
        .gaps
        .iter()
        .find(|g| g.name == "a-b" && g.fr == Fr::Iac)
        .expect("gap");
    assert_eq!(iac.status, GapStatus::OpenJustified);
    assert_eq!(iac.justification.as_deref(), Some("accepted for now"));
    let si = ev
        .gaps
        .iter()
        .find(|g| g.name == "a-b" && g.fr == Fr::Si)
        .expect("gap");
    assert_eq!(si.status, GapStatus::Open);
    assert!(si.summary.contains("no justification"), "{}", si.summary);
    let dc = ev
        .gaps
        .iter()
        .find(|g| g.name == "a-b" && g.fr == Fr::Dc)
        .expect("gap");
    assert_eq!(dc.status, GapStatus::Closed);
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.contains("zone 'a' UC is not used")),
        "{:?}",
        ev.warnings
    );
}

#[test]
fn an_empty_zone_has_no_sl_a_not_4() {
    let m = SystemModel {
        zones: vec![zone("empty", "2 2 2 2 2 2 2")],
        ..SystemModel::default()
    };
    let ev = evaluate(&m);
    let z = &ev.zones[0];
    assert!(z.no_sl_a);
    assert_eq!(z.sl_a, sl("0 0 0 0 0 0 0"));
    assert!(z.frs.iter().all(|f| !f.target_met));
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.contains("no assets") && w.contains("no SL-A")),
        "{:?}",
        ev.warnings
    );
    // Every FR is an open gap: nothing is achieved there.
    assert_eq!(
        ev.gaps
            .iter()
            .filter(|g| g.name == "empty" && g.status == GapStatus::Open)
            .count(),
        7
    );
}

/// The attack: countermeasures that change nothing (they cover a level the asset already
/// has, or another FR than the gap's) must not be named as what closed a gap.
const NO_EFFECT: &str = r#"
zones:
  - name: a
    sl_t: {2 1 1 1 1 1 1}
assets:
  - name: dev-a
    zone: a
    component_type: embedded-device
    sl_c: "1 1 1 1 1 1 1"
countermeasures:
  - name: raises-iac
    covers: [IAC]
    provides: 2
    applies_to: [dev-a]
  - name: too-low
    covers: [IAC]
    provides: 1
    applies_to: [dev-a]
  - name: zone-too-low
    covers: [IAC]
    provides: 1
    applies_to: [a]
  - name: other-fr
    covers: [UC]
    provides: 2
    applies_to: [dev-a]
"#;

#[test]
fn closed_by_names_only_the_countermeasures_that_raised_the_level() {
    let m = parse_model(NO_EFFECT).unwrap_or_else(|e| panic!("{e}"));
    let ev = evaluate(&m);
    let iac = ev
        .gaps
        .iter()
        .find(|g| g.name == "a" && g.fr == Fr::Iac)
        .expect("IAC gap");
    assert_eq!(iac.status, GapStatus::Closed);
    assert_eq!(iac.closed_by, ["raises-iac"], "{}", iac.summary);
    assert!(!iac.summary.contains("too-low"), "{}", iac.summary);
    assert!(!iac.summary.contains("other-fr"), "{}", iac.summary);
    // The asset lists only what raised it, per FR.
    let a = &ev.assets[0];
    assert_eq!(a.frs[0].countermeasures, ["raises-iac"]);
    assert_eq!(a.frs[1].countermeasures, ["other-fr"]);
    // The zone countermeasure at level 1 raised nothing.
    assert!(ev.zones[0].frs[0].countermeasures.is_empty());
}

// ---------------------------------------------------------------------------------------
// Errors

#[test]
fn parent_must_be_a_zone() {
    let e = invalid(
        "zones:\n  - name: enterprise\n    sl_t: 1,1,1,1,1,1,1\n  - name: control\n    parent: scada-x\n    sl_t: 1,1,1,1,1,1,1\n",
    );
    let msg = e.to_string();
    assert!(
        msg.contains("zones[1] (control): parent 'scada-x' is not a zone (expected one of: enterprise, control)"),
        "{msg}"
    );
    assert_eq!((e.line(), e.column()), (Some(5), Some(13)), "{msg}");
}

#[test]
fn sub_zone_sl_t_must_cover_its_parent() {
    let e = invalid(
        "zones:\n  - name: control\n    sl_t: 2,2,2,1,2,1,2\n  - name: dosing\n    parent: control\n    sl_t: 3,1,3,1,2,1,2\n",
    );
    let msg = e.to_string();
    assert!(msg.starts_with("line 4, column 11: zones[1] (dosing): SL-T {3 1 3 1 2 1 2} is below its parent zone 'control'"), "{msg}");
    assert!(msg.contains("UC 1 < 2"), "{msg}");
    let e = invalid(
        "zones:\n  - name: a\n    parent: b\n    sl_t: 1,1,1,1,1,1,1\n  - name: b\n    parent: a\n    sl_t: 1,1,1,1,1,1,1\n",
    );
    assert!(e.to_string().contains("without cycles"), "{e}");
}

#[test]
fn unknown_requirement_ids_are_rejected_with_suggestions() {
    let base = "zones:\n  - name: z\n    sl_t: 1,1,1,1,1,1,1\nassets:\n  - name: x\n    zone: z\n    component_type: host-device\n";
    let e = invalid(&format!("{base}    meets: [CR 1.1, XR 1.1]\n"));
    let msg = e.to_string();
    assert!(
        msg.contains("assets[0] (x): 'XR 1.1' is not a requirement ID"),
        "{msg}"
    );
    assert!(
        msg.contains("did you mean") && msg.contains("CR 1.1"),
        "{msg}"
    );
    assert_eq!(e.line(), Some(8), "{msg}");
    // Another type's requirement.
    let e = invalid(&format!(
        "{base}    meets:\n      - CR 1.1\n      - EDR 2.4\n"
    ));
    let msg = e.to_string();
    assert!(
        msg.contains("'EDR 2.4' applies to embedded-device, not to a host-device"),
        "{msg}"
    );
    assert_eq!((e.line(), e.column()), (Some(10), Some(9)), "{msg}");
    // A slot.
    let e = invalid(&format!("{base}    meets: [CR 2.4]\n"));
    assert!(
        e.to_string().contains("only a slot") && e.to_string().contains("HDR 2.4"),
        "{e}"
    );
    // A 4-1 or 3-3 ID.
    let e = invalid(&format!("{base}    meets: [SR 1.1]\n"));
    assert!(e.to_string().contains("62443-3-3"), "{e}");
    // In a countermeasure.
    let e = invalid(&format!(
        "{base}    meets: []\ncountermeasures:\n  - name: c\n    covers: [CR 9.9]\n    applies_to: [x]\n"
    ));
    assert!(
        e.to_string().contains("countermeasures[0] (c): 'CR 9.9'"),
        "{e}"
    );
}

#[test]
fn bad_vectors_say_what_was_expected() {
    let e = invalid("zones:\n  - name: z\n    sl_t: 2,2,5,1,3,1,2\n");
    let msg = e.to_string();
    assert!(matches!(e, ModelError::Syntax { .. }), "{msg}");
    assert_eq!(e.line(), Some(3), "{msg}");
    assert!(
        msg.contains("position 3 (SI)") && msg.contains("IAC UC SI DC RDF TRE RA"),
        "{msg}"
    );
    let e = invalid("zones:\n  - name: z\n    sl_t: [1, 2, 3]\n");
    assert!(e.to_string().contains("3 level(s)"), "{e}");
    assert_eq!(e.line(), Some(3));
    // All accepted forms.
    for v in [
        "2,2,1,1,3,1,2",
        "\"2 2 1 1 3 1 2\"",
        "\"{2 2 1 1 3 1 2}\"",
        "{2 2 1 1 3 1 2}",
        "[2, 2, 1, 1, 3, 1, 2]",
    ] {
        let m = parse_model(&format!("zones:\n  - name: z\n    sl_t: {v}\n"))
            .unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(m.zones[0].sl_t, sl("2 2 1 1 3 1 2"), "{v}");
    }
}

#[test]
fn yaml_syntax_errors_name_line_and_column() {
    let e = invalid("zones:\n  - name: z\n    sl_t: [1, 1\n  - name: y\n");
    assert!(matches!(e, ModelError::Syntax { .. }), "{e}");
    assert!(e.line().is_some() && e.column().is_some(), "{e}");
    assert!(e.to_string().starts_with("line "), "{e}");
    let e = invalid("zones:\n  - name: z\n    sl_t: 1,1,1,1,1,1,1\n    colour: red\n");
    assert_eq!(e.line(), Some(4), "{e}");
    assert!(e.to_string().contains("colour"), "{e}");
    let e = invalid("zones:\n  - name: z\n    sl_t: 1,1,1,1,1,1,1\nassets:\n  - name: a\n    zone: z\n    component_type: toaster\n    sl_c: 1,1,1,1,1,1,1\n");
    assert!(
        e.to_string()
            .contains("expected one of software-application"),
        "{e}"
    );
    assert_eq!((e.line(), e.column()), (Some(7), Some(21)), "{e}");
}

#[test]
fn other_semantic_errors() {
    let base =
        "zones:\n  - name: z\n    sl_t: 1,1,1,1,1,1,1\n  - name: y\n    sl_t: 1,1,1,1,1,1,1\n";
    let cases = [
        ("conduits:\n  - name: c\n    zones: [z]\n    sl_t: 1,1,1,1,1,1,1\n", "expected at least two zone names"),
        ("conduits:\n  - name: c\n    zones: [z, q]\n    sl_t: 1,1,1,1,1,1,1\n", "'q' is not a zone"),
        ("assets:\n  - name: z\n    zone: z\n    component_type: host-device\n    meets: []\n", "must be unique"),
        ("assets:\n  - name: a\n    zone: nowhere\n    component_type: host-device\n    meets: []\n", "zone 'nowhere' is not a zone"),
        ("assets:\n  - name: a\n    zone: z\n    component_type: host-device\n", "neither sl_c nor meets"),
        ("countermeasures:\n  - name: c\n    covers: [IAC]\n    applies_to: [z]\n", "no `provides`"),
        ("countermeasures:\n  - name: c\n    covers: [IAC]\n    provides: 5\n    applies_to: [z]\n", "expected a security level 0..4"),
        ("countermeasures:\n  - name: c\n    covers: [IAC]\n    provides: 2\n    applies_to: [ghost]\n", "'ghost', which is not an asset, zone or conduit"),
        ("risk:\n  - zone: z\n    threats:\n      - name: t\n        likelihood: 6\n        consequence: 1\n", "likelihood '6': expected a whole number 1..5"),
        ("risk:\n  - zone: z\n    threats:\n      - name: t\n        likelihood: high\n        consequence: 1\n", "likelihood 'high': expected a whole number 1..5"),
        ("risk:\n  - zone: z\n    threats:\n      - name: t\n        likelihood: 1\n        consequence: 1\n        frs: [XYZ]\n", "'XYZ' is not an FR"),
        ("justifications:\n  - zone: z\n    conduit: y\n    fr: IAC\n    text: t\n", "exactly one of"),
        ("justifications:\n  - conduit: z\n    fr: IAC\n    text: t\n", "'z' is not a conduit"),
    ];
    for (tail, want) in cases {
        let e = invalid(&format!("{base}{tail}"));
        assert!(e.to_string().contains(want), "{tail}\n=> {e}");
        assert!(e.line().is_some(), "{tail}\n=> {e}");
    }
    assert!(parse_model("name: x\n")
        .unwrap_err()
        .to_string()
        .contains("no zones"));
}

// ---------------------------------------------------------------------------------------
// Properties

fn any_type() -> impl Strategy<Value = ComponentType> {
    prop::sample::select(ComponentType::ALL.to_vec())
}

fn any_vector() -> impl Strategy<Value = SlVector> {
    prop::array::uniform7(0u8..=4).prop_map(|l| SlVector::new(l).expect("0..4"))
}

/// An asset in zone `z`: a random subset of its type's requirements, or a declared vector.
fn any_asset(name: String) -> impl Strategy<Value = Asset> {
    (
        any_type(),
        prop::collection::vec(any::<bool>(), 120),
        any_vector(),
        any::<bool>(),
    )
        .prop_map(move |(ct, mask, v, declared)| {
            let cap = if declared {
                Capability::SlC(v)
            } else {
                Capability::Meets(
                    all_ids(ct)
                        .into_iter()
                        .zip(mask)
                        .filter(|(_, keep)| *keep)
                        .map(|(id, _)| id)
                        .collect(),
                )
            };
            asset(&name, "z", ct, cap)
        })
}

/// A countermeasure on the zone, one of its assets, or the conduit.
fn any_countermeasure(name: String, n_assets: usize) -> impl Strategy<Value = Countermeasure> {
    (
        prop::collection::vec(prop::sample::select(Fr::ALL.to_vec()), 1..3),
        prop::collection::vec(
            prop::sample::select(all_ids(ComponentType::EmbeddedDevice)),
            0..4,
        ),
        0u8..=4,
        0..n_assets + 2,
    )
        .prop_map(move |(frs, reqs, level, target)| {
            let mut covers: Vec<Coverage> = frs.into_iter().map(Coverage::Fr).collect();
            covers.extend(reqs.into_iter().map(Coverage::Requirement));
            let applies = match target {
                0 => "z".to_string(),
                1 => "link".to_string(),
                i => format!("a{}", i - 2),
            };
            Countermeasure {
                name: name.clone(),
                description: String::new(),
                covers,
                provides: Some(level),
                applies_to: vec![applies],
            }
        })
}

fn any_model() -> impl Strategy<Value = SystemModel> {
    (any_vector(), any_vector(), 1usize..4).prop_flat_map(|(t, t2, n)| {
        let assets: Vec<_> = (0..n).map(|i| any_asset(format!("a{i}"))).collect();
        let cms: Vec<_> = (0..2)
            .map(|i| any_countermeasure(format!("cm{i}"), n))
            .collect();
        (assets, cms).prop_map(move |(assets, countermeasures)| SystemModel {
            zones: vec![
                Zone {
                    name: "z".into(),
                    description: String::new(),
                    sl_t: t,
                    parent: None,
                },
                Zone {
                    name: "other".into(),
                    description: String::new(),
                    sl_t: t2,
                    parent: None,
                },
            ],
            conduits: vec![Conduit {
                name: "link".into(),
                description: String::new(),
                zones: vec!["z".into(), "other".into()],
                sl_t: t2,
                protocols: Vec::new(),
            }],
            assets,
            countermeasures,
            ..SystemModel::default()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn adding_an_asset_never_raises_sl_a(m in any_model(), extra in any_asset("new-asset".into())) {
        let before = evaluate(&m);
        let mut m2 = m.clone();
        m2.assets.push(extra);
        let after = evaluate(&m2);
        prop_assert!(before.zones[0].sl_a.dominates(&after.zones[0].sl_a));
        prop_assert!(before.conduits[0].sl_a.dominates(&after.conduits[0].sl_a));
    }

    #[test]
    fn adding_a_countermeasure_never_lowers_sl_a(m in any_model(), cm in any_countermeasure("new-cm".into(), 3)) {
        let before = evaluate(&m);
        let mut m2 = m.clone();
        m2.countermeasures.push(cm);
        let after = evaluate(&m2);
        prop_assert!(after.zones[0].sl_a.dominates(&before.zones[0].sl_a));
        prop_assert!(after.conduits[0].sl_a.dominates(&before.conduits[0].sl_a));
        for (a, b) in after.assets.iter().zip(before.assets.iter()) {
            prop_assert!(a.level.dominates(&b.level));
            prop_assert_eq!(a.sl_c, b.sl_c);
        }
    }

    #[test]
    fn meeting_everything_gives_sl_c_4(ct in any_type()) {
        let a = one_asset(ct, Capability::Meets(all_ids(ct)));
        prop_assert_eq!(a.sl_c, SlVector::uniform(4).expect("4"));
        prop_assert!(a.frs.iter().all(|f| f.missing_for_next.is_empty()));
    }

    #[test]
    fn generated_models_are_valid(m in any_model()) {
        prop_assert!(m.validate().is_ok(), "{:?}", m.validate());
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,200}") {
        let _ = parse_model(&s);
    }
}
