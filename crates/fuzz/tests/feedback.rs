//! Feedback: CRC derived fields, protocol limits early in the schedule, learning mapped
//! address ranges from Modbus answers, and sanitizer reports of launched targets as crash
//! findings, against real C targets built here with AddressSanitizer
//! (tests/servers/libmodbus_server.c with a planted bug, libmodbus 3.1.6).
#![allow(clippy::disallowed_macros)] // reports results on the console

mod common;
use common::rt;
use otproof_fuzz::campaign::{self, Behaviour, Config, Control, Report};
use otproof_fuzz::feedback::Feedback;
use otproof_fuzz::modbus::{self, Modbus};
use otproof_fuzz::model::{
    BytesLen, CrcAlgorithm, Domain, FieldDef, FieldType, MessageDef, ProtocolModel, Rule,
};
use otproof_fuzz::mutate::{mutate, MutationClass};
use otproof_fuzz::process::{sanitizer_report, ProcessTarget};
use otproof_fuzz::rng::Rng;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn crcs_match_the_published_check_values() {
    assert_eq!(CrcAlgorithm::Dnp.checksum(b"123456789"), 0xEA82);
    assert_eq!(CrcAlgorithm::Modbus.checksum(b"123456789"), 0x4B37);
}

/// A Modbus RTU read request: the CRC is a derived field over the fields before it.
fn rtu_read() -> MessageDef {
    MessageDef {
        name: "RTU FC03".into(),
        code: 3,
        fields: vec![
            FieldDef::int("unit", FieldType::U8, Domain::Const(1)),
            FieldDef::int("function", FieldType::U8, Domain::Const(3)),
            FieldDef::int("start_address", FieldType::U16, Domain::Any),
            FieldDef::int("quantity", FieldType::U16, Domain::Range(1, 125)),
            FieldDef::derived(
                "crc",
                FieldType::U16,
                Rule::Crc {
                    algorithm: CrcAlgorithm::Modbus,
                    over: ("unit", "quantity"),
                },
            ),
        ],
    }
}

#[test]
fn a_crc_field_is_computed_and_a_mutation_keeps_a_wrong_one() {
    let def = rtu_read();
    let mut rng = Rng::new(3);
    let mut m = def.generate(0, &mut rng);
    m.values[2] = otproof_fuzz::model::Value::Int(0);
    m.values[3] = otproof_fuzz::model::Value::Int(10);
    let (b, spans) = def.encode(&m);
    // The classic example frame: 01 03 0000 000A C5CD (CRC low byte first).
    assert_eq!(b, [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD]);
    assert_eq!((spans[4].start, spans[4].end), (6, 8));
    // The length-mismatch class targets derived fields: here a wrong CRC, written as is.
    for seed in 0..20 {
        let mut rng = Rng::new(seed);
        let (bad, field, valid) = mutate(&def, &m, MutationClass::LengthMismatch, &mut rng);
        assert_eq!(field, "crc");
        assert!(!valid);
        assert_eq!(bad[..6], b[..6]);
        assert_ne!(bad[6..], b[6..], "seed {seed}: the CRC must be wrong");
    }
}

#[test]
fn crc_blocks_follow_every_block_of_a_byte_field() {
    let def = MessageDef {
        name: "blocked".into(),
        code: 0,
        fields: vec![
            FieldDef::derived("length", FieldType::U8, Rule::ByteLengthOf("data")),
            FieldDef {
                rule: Rule::CrcBlocks {
                    algorithm: CrcAlgorithm::Dnp,
                    block: 16,
                },
                ..FieldDef::bytes("data", BytesLen::Between(20, 20))
            },
        ],
    };
    let mut rng = Rng::new(1);
    let m = def.generate(0, &mut rng);
    let otproof_fuzz::model::Value::Bytes(data) = &m.values[1] else {
        panic!("bytes");
    };
    let (b, _) = def.encode(&m);
    // 16 bytes + CRC, 4 bytes + CRC; the length field sees the bytes as written.
    assert_eq!(b.len(), 1 + 16 + 2 + 4 + 2);
    assert_eq!(b[0], 24);
    assert_eq!(b[1..17], data[..16]);
    let crc1 = CrcAlgorithm::Dnp.checksum(&data[..16]).to_le_bytes();
    assert_eq!(b[17..19], crc1);
    assert_eq!(b[19..23], data[16..]);
    let crc2 = CrcAlgorithm::Dnp.checksum(&data[16..]).to_le_bytes();
    assert_eq!(b[23..25], crc2);
    assert_eq!(
        CrcAlgorithm::Dnp.blocks(data, 16),
        b[1..].to_vec(),
        "the helper gives the same blocks"
    );
}

/// Decode an FC 3 request's (address, quantity).
fn fc3(bytes: &[u8]) -> Option<(u16, u16)> {
    (bytes.len() >= 12 && bytes[7] == 3).then(|| {
        (
            u16::from_be_bytes([bytes[8], bytes[9]]),
            u16::from_be_bytes([bytes[10], bytes[11]]),
        )
    })
}

#[test]
fn protocol_limits_come_right_after_the_first_round_for_every_function_code() {
    let model = Modbus::new(1);
    let fb = Feedback::new(&model);
    let start = fb.limits_start();
    assert_eq!(
        start,
        (model.messages().len() * MutationClass::ALL.len()) as u64
    );
    let cases: Vec<_> = (start..start + fb.limits_len())
        .map(|i| fb.case(&model, 5, i))
        .collect();
    let has = |code: u8, field: &str, at: usize, v: u16| {
        cases.iter().any(|c| {
            c.bytes.get(7) == Some(&code)
                && c.field == field
                && c.bytes.get(at..at + 2) == Some(&v.to_be_bytes()[..])
        })
    };
    for (code, max) in [
        (1u8, 2000u16),
        (2, 2000),
        (3, 125),
        (4, 125),
        (15, 1968),
        (16, 123),
    ] {
        for q in [0, 1, max, max + 1, 127, 128, 0xFFFF] {
            assert!(has(code, "quantity", 10, q), "FC {code} quantity {q}");
        }
        assert!(has(code, "start_address", 8, 0xFFFF), "FC {code} wrap");
    }
    for q in [121, 122] {
        assert!(has(23, "quantity", 14, q), "FC 23 write quantity {q}");
    }
    for q in [125, 126] {
        assert!(
            has(23, "quantity_to_read", 10, q),
            "FC 23 read quantity {q}"
        );
    }
    // FC 16 with quantity 123: byte count and data follow (a valid request at the limit).
    let c = cases
        .iter()
        .find(|c| c.bytes.get(7) == Some(&16) && c.bytes.get(10..12) == Some(&[0, 123][..]))
        .expect("FC16 123");
    assert_eq!(c.bytes[12], 246);
    assert_eq!(c.bytes.len(), 13 + 246);
    assert!(c.valid);
    // Deterministic: the same case again.
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(&fb.case(&model, 5, start + i as u64), c);
    }
}

#[test]
fn modbus_answers_teach_mapped_addresses_limits_and_values() {
    let req = |fc: u8, a: u16, q: u16| {
        let mut v = vec![0, 7, 0, 0, 0, 6, 1, fc];
        v.extend_from_slice(&a.to_be_bytes());
        v.extend_from_slice(&q.to_be_bytes());
        v
    };
    use otproof_fuzz::feedback::Observation::*;
    let normal = [0, 7, 0, 0, 0, 7, 1, 3, 4, 0x12, 0x34, 0, 9];
    assert_eq!(
        modbus::learn(&req(3, 4000, 2), &normal),
        vec![
            Mapped {
                space: 2,
                first: 4000,
                last: 4001
            },
            Count {
                code: 3,
                field: "quantity",
                value: 2,
                accepted: true
            },
            Value(0x1234),
            Value(9),
        ]
    );
    let exc = |code: u8| [0, 7, 0, 0, 0, 3, 1, 0x83, code];
    assert_eq!(
        modbus::learn(&req(3, 3999, 1), &exc(2)),
        vec![Unmapped {
            space: 2,
            address: 3999
        }]
    );
    // Exception 02 to several units says nothing about one of them.
    assert!(modbus::learn(&req(3, 3999, 5), &exc(2)).is_empty());
    assert_eq!(
        modbus::learn(&req(3, 0, 126), &exc(3)),
        vec![Count {
            code: 3,
            field: "quantity",
            value: 126,
            accepted: false
        }]
    );
    // An answer that does not echo the transaction id teaches nothing.
    let mut other = normal;
    other[1] = 8;
    assert!(modbus::learn(&req(3, 4000, 2), &other).is_empty());
}

proptest::proptest! {
    #[test]
    fn learning_from_any_answer_never_panics_and_cases_still_build(
        req in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        resp in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        index in 0u64..5000,
    ) {
        let model = Modbus::new(1);
        let fb = Feedback::new(&model);
        let mut r2 = resp.clone();
        if req.len() >= 8 && r2.len() >= 9 {
            r2[..2].copy_from_slice(&req[..2]);
            r2[6] = req[6];
        }
        let _ = modbus::learn(&req, &resp);
        fb.observe(&model, &req, &resp);
        fb.observe(&model, &req, &r2);
        let c = fb.case(&model, 1, index);
        proptest::prop_assert!(c.bytes.len() < 700);
        let _ = fb.learned();
        let _ = sanitizer_report(&String::from_utf8_lossy(&resp));
    }
}

#[test]
fn a_sanitizer_report_is_found_and_quoted() {
    let stderr = "starting\n=================================================================\n==4242==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6 at pc 0x5\nREAD of size 2 \u{1b}[31m\n==4242==ABORTING\n";
    let r = sanitizer_report(stderr).expect("report");
    assert_eq!(r.kind, "AddressSanitizer: heap-buffer-overflow");
    assert!(r.report.starts_with("==4242==ERROR: AddressSanitizer"));
    assert!(r.report.contains("ABORTING"));
    assert!(!r.report.chars().any(char::is_control), "{}", r.report);
    let ub = sanitizer_report("x.c:3:5: runtime error: signed integer overflow\n").expect("ubsan");
    assert!(ub
        .kind
        .starts_with("UndefinedBehaviorSanitizer: signed integer overflow"));
    assert!(sanitizer_report("==1==ERROR: something else\nplain text\n").is_none());
}

/// The ASan-built libmodbus server (tests/servers/libmodbus_server.c).
fn asan_server() -> PathBuf {
    common::libmodbus_server(&["-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer"])
}

/// A bounded campaign against the ASan target with bug `mode` (1 ms libmodbus timeouts),
/// launched and controlled (as with `--target-cmd`).
fn campaign(mode: &str, cases: u64) -> Report {
    let port = common::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let cmd = format!(
        "env ASAN_OPTIONS=detect_leaks=0 {} {port} 1 --bug {mode}",
        asan_server().display()
    );
    let target = ProcessTarget::launch(&cmd, addr, Duration::from_secs(10)).expect("starts");
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(addr);
    cfg.cases = Some(cases);
    cfg.seed = 7;
    cfg.timeout = Duration::from_millis(500);
    cfg.crash_grace = Duration::from_millis(500);
    cfg.minimize_failure_time = Duration::from_secs(3);
    // Learning needs the answers: a case timeout derived from a fast baseline (2 ms) drops
    // late answers of the ASan build on a loaded machine.
    cfg.case_timeout = Some(Duration::from_millis(100));
    cfg.control = Control(Some(Arc::new(target)));
    let report = rt().block_on(campaign::run(
        model,
        cfg,
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ));
    eprintln!(
        "cases {} undelivered {} stopped {:?} learned: {:?}",
        report.cases, report.undelivered, report.stopped, report.learned
    );
    for f in &report.findings {
        eprintln!(
            "finding: {} case {} {} {} {}: {} [{}]",
            f.behaviour.name(),
            f.case,
            f.message,
            f.field,
            f.class.name(),
            f.observed,
            f.reproducer.join(" ")
        );
    }
    report
}

/// A heap overflow reachable only with a start address inside the mapped range (100 holding
/// registers at 4000) and address + quantity past its end: the campaign learns the range from
/// the answers (exact edges, by bisection) and concentrates reads at its end, so it finds the
/// overflow, with the AddressSanitizer report attached to the crash finding.
#[test]
fn a_heap_overflow_at_the_end_of_the_learned_range_is_found_with_its_asan_report() {
    let model = Modbus::new(1);
    let fb = Feedback::new(&model);
    let report = campaign("end", fb.limits_start() + fb.limits_len() + 800);
    assert!(
        report
            .learned
            .ranges
            .iter()
            .any(|r| r.space == "holding registers"
                && (r.first, r.last) == (4000, 4099)
                && r.exact),
        "{:?}",
        report.learned
    );
    assert!(report.learned.discovery_reads > 0 && report.learned.learned_cases > 0);
    let f = report
        .findings
        .iter()
        .find(|f| f.behaviour == Behaviour::Crash && f.sanitizer.is_some())
        .unwrap_or_else(|| panic!("no crash with a sanitizer report: {:#?}", report.findings));
    let san = f.sanitizer.as_ref().expect("report");
    assert_eq!(san.kind, "AddressSanitizer: heap-buffer-overflow");
    assert!(san.report.contains("READ of size 2"), "{}", san.report);
    assert!(f
        .observed
        .starts_with("AddressSanitizer: heap-buffer-overflow"));
    // The request that did it reads from inside the map across its end.
    assert!(
        f.reproducer
            .iter()
            .filter_map(|h| campaign::unhex(h))
            .filter_map(|b| fc3(&b))
            .any(|(a, q)| (4000..4100).contains(&a) && u32::from(a) + u32::from(q) > 4100),
        "{f:?}"
    );
    assert_eq!(f.code, 3);
}

/// A stack overflow on FC 3 quantities over 127 (the target accepts up to 255) is found by the
/// protocol-limit cases, which every campaign tries right after its first round.
#[test]
fn a_quantity_over_127_crash_is_found_by_the_limit_cases() {
    let model = Modbus::new(1);
    let fb = Feedback::new(&model);
    let (start, n) = (fb.limits_start(), fb.limits_len());
    let report = campaign("quantity", start + n);
    let f = report
        .findings
        .iter()
        .find(|f| f.behaviour == Behaviour::Crash && (start..start + n).contains(&f.case))
        .unwrap_or_else(|| panic!("no crash from a limit case: {:#?}", report.findings));
    let san = f.sanitizer.as_ref().expect("sanitizer report attached");
    assert_eq!(san.kind, "AddressSanitizer: stack-buffer-overflow");
    // The reproducer holds the FC 3 request with that quantity.
    assert!(
        f.reproducer
            .iter()
            .filter_map(|h| campaign::unhex(h))
            .filter_map(|b| fc3(&b))
            .any(|(_, q)| (128..=255).contains(&q)),
        "{f:?}"
    );
    assert_eq!(f.field, "quantity");
    // Reports written before feedback (no `learned`, no `sanitizer`) still parse.
    let mut v = serde_json::to_value(&report).expect("json");
    if let Some(o) = v.as_object_mut() {
        assert!(
            o.remove("learned").is_some(),
            "the campaign learned something"
        );
    }
    for f in v["findings"].as_array_mut().expect("findings") {
        if let Some(o) = f.as_object_mut() {
            o.remove("sanitizer");
        }
    }
    let old: Report = serde_json::from_value(v).expect("an old report parses");
    assert!(old.learned.is_empty());
    assert!(old.findings.iter().all(|f| f.sanitizer.is_none()));
}

/// Without learning the end-of-range overflow is out of reach: over as many cases as the
/// learning campaign runs, the plain schedule (case i from the seed and i alone) sends no FC 3
/// read that starts inside 4000..4099 and crosses its end.
#[test]
fn without_learning_no_case_reads_across_the_end_of_the_map() {
    let model = Modbus::new(1);
    let fb = Feedback::new(&model);
    let n = fb.limits_start() + fb.limits_len() + 800;
    for seed in 1..=5 {
        let hits = (0..n)
            .filter_map(|i| fc3(&campaign::build_case(&model, seed, i).bytes))
            .filter(|(a, q)| (4000..4100).contains(a) && u32::from(*a) + u32::from(*q) > 4100)
            .count();
        assert_eq!(hits, 0, "seed {seed}");
    }
}

/// Answers of a simulated Modbus server with 100 holding registers at 4000 and nothing else.
fn simulated(req: &[u8]) -> Vec<u8> {
    let mut r = req[..8.min(req.len())].to_vec();
    r.resize(8, 0);
    let exc = |r: &mut Vec<u8>, code: u8| {
        r[5] = 3;
        r[7] |= 0x80;
        r.push(code);
    };
    if req.get(7) != Some(&3) {
        exc(&mut r, 1);
        return r;
    }
    match fc3(req) {
        Some((_, q)) if !(1..=125).contains(&q) => exc(&mut r, 3),
        Some((a, q)) if a >= 4000 && u32::from(a) + u32::from(q) <= 4100 => {
            r[5] = 3 + 2 * q as u8;
            r.push(2 * q as u8);
            r.extend(std::iter::repeat_n(0, 2 * q as usize));
        }
        _ => exc(&mut r, 2),
    }
    r
}

#[test]
fn learning_converges_on_a_simulated_map_and_then_reads_across_its_end() {
    let model = Modbus::new(1);
    let fb = Feedback::new(&model);
    let mut across = 0;
    let start = fb.limits_start() + fb.limits_len();
    for i in 0..start + 800 {
        let c = fb.case(&model, 7, i);
        if let Some((a, q)) = fc3(&c.bytes) {
            if (4000..4100).contains(&a) && u32::from(a) + u32::from(q) > 4100 && q <= 125 {
                across += 1;
            }
        }
        fb.observe(&model, &c.bytes, &simulated(&c.bytes));
    }
    let learned = fb.learned();
    eprintln!("{learned:?}; {across} reads across the end");
    assert!(
        learned
            .ranges
            .iter()
            .any(|r| (r.first, r.last, r.exact) == (4000, 4099, true)),
        "{learned:?}"
    );
    assert!(across >= 3, "{across}");
}
