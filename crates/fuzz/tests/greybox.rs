//! Grey-box feedback against real libmodbus 3.1.6: tests/servers/libmodbus_server.c built with
//! coverage instrumentation (clang `-fsanitize-coverage=trace-pc-guard`, gcc
//! `-fsanitize-coverage=trace-pc`) and otproof's runtime (support/otproof_cov.c), launched by
//! otproof ([`ProcessTarget`], as with `--target-cmd`), which names the coverage map in its
//! environment. Only the server's own code is instrumented, not libmodbus (a Debian library).
//!
//! The cases are sent the way a campaign's worker does (one connection: `Feedback::case`, send,
//! `Feedback::observe` on the answer), by a small loop here.
#![allow(clippy::disallowed_macros)] // reports results on the console

mod common;
use otproof_fuzz::campaign::{build_case, TargetControl};
use otproof_fuzz::feedback::Feedback;
use otproof_fuzz::modbus::Modbus;
use otproof_fuzz::mutate::{MutationClass, TestCase};
use otproof_fuzz::process::{ProcessTarget, SanitizerReport};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The libmodbus server with AddressSanitizer, coverage instrumentation and the runtime.
fn instrumented(compiler: &str, coverage: &str) -> PathBuf {
    let runtime = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("support/otproof_cov.c");
    let mut flags: Vec<String> = [
        &format!("CC={compiler}"),
        "-O0",
        "-g",
        "-fsanitize=address",
        "-fno-omit-frame-pointer",
        coverage,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    flags.extend(common::libmodbus_flags());
    common::compile_c(
        &[common::server_source("libmodbus_server.c"), runtime],
        &flags,
    )
}

/// clang (Debian clang-14, installed by .ci/run) with trace-pc-guard.
fn clang_build() -> PathBuf {
    instrumented("clang-14", "-fsanitize-coverage=trace-pc-guard")
}

/// gcc with trace-pc (blocks; the runtime makes edges of them).
fn gcc_build() -> PathBuf {
    instrumented("cc", "-fsanitize-coverage=trace-pc")
}

/// Launch `bin` with libmodbus timeouts of 1 ms and `args`.
fn launch(bin: &Path, args: &str) -> (ProcessTarget, SocketAddr) {
    let port = common::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let cmd = format!(
        "env ASAN_OPTIONS=detect_leaks=0 {} {port} 1 {args}",
        bin.display()
    );
    let t = ProcessTarget::launch(&cmd, addr, Duration::from_secs(10)).expect("starts");
    (t, addr)
}

/// One Modbus/TCP request and its answer on `conn` (connected on demand); `None` (and the
/// connection dropped) when there is no complete answer echoing the transaction id.
fn exchange(conn: &mut Option<TcpStream>, addr: SocketAddr, req: &[u8]) -> Option<Vec<u8>> {
    if conn.is_none() {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
        s.set_read_timeout(Some(Duration::from_millis(50))).ok()?;
        s.set_nodelay(true).ok()?;
        *conn = Some(s);
    }
    let s = conn.as_mut()?;
    let answer = (|| {
        s.write_all(req).ok()?;
        let mut head = [0u8; 7];
        s.read_exact(&mut head).ok()?;
        let len = usize::from(u16::from_be_bytes([head[4], head[5]]));
        if !(2..=254).contains(&len) {
            return None;
        }
        let mut rest = vec![0u8; len - 1];
        s.read_exact(&mut rest).ok()?;
        let mut r = head.to_vec();
        r.extend(rest);
        (req.len() >= 2 && r[..2] == req[..2]).then_some(r)
    })();
    if answer.is_none() {
        *conn = None;
    }
    answer
}

/// A crash: the case that gave it and the sanitizer report.
struct Crash {
    case: TestCase,
    report: SanitizerReport,
}

/// Run cases `0..n` of seed `seed` from `fb` against the target as a campaign worker would,
/// until the target crashes.
fn drive(
    fb: &Feedback,
    target: &ProcessTarget,
    addr: SocketAddr,
    seed: u64,
    n: u64,
) -> Option<Crash> {
    let model = Modbus::new(1);
    let mut conn = None;
    for i in 0..n {
        let case = fb.case(&model, seed, i);
        match exchange(&mut conn, addr, &case.bytes) {
            Some(r) => fb.observe(&model, &case.bytes, &r),
            None => {
                if let Some(report) = target.crash_report() {
                    return Some(Crash { case, report });
                }
            }
        }
    }
    target.crash_report().map(|report| Crash {
        case: fb.case(&model, seed, n),
        report,
    })
}

/// The chain of the planted bug: FC 22, AND mask 0x0000, OR mask 0xFFFF, unit id 255.
fn meets_the_chain(b: &[u8]) -> bool {
    b.len() >= 14 && b[7] == 22 && b[10..14] == [0, 0, 0xFF, 0xFF] && b[6] == 0xFF
}

/// The case budget of both runs below.
const CASES: u64 = 3000;

/// The planted heap overflow of `--bug chain` (an FC 22 request with AND mask 0x0000, OR mask
/// 0xFFFF and unit id 255; the masks are four nested byte conditions) is found with coverage
/// feedback: each request meeting one more condition takes a new edge, joins the corpus and
/// is walked next. The same seed without coverage (the same schedule, learning included, over
/// the same number of cases) does not find it: a blind case changes one field of a valid
/// request, and the chain needs three at once: both masks at values the generator picks with
/// probability 2^-16 each, and a unit id the model always sets to 1 (only the invalid-enum
/// class changes it, and then alone).
#[test]
fn coverage_feedback_climbs_a_branch_chain_that_blind_generation_misses() {
    let bin = clang_build();
    let model = Modbus::new(1);
    let seed = 3;

    let (target, addr) = launch(&bin, "--bug chain");
    let cov = target
        .coverage()
        .expect("the instrumented target gives coverage");
    let fb = Feedback::new(&model).with_coverage(Some(cov.clone()));
    let crash = drive(&fb, &target, addr, seed, CASES).unwrap_or_else(|| {
        let corpus: Vec<String> = cov
            .corpus()
            .iter()
            .map(|c| format!("{} {}", c.index, hex::encode(&c.bytes)))
            .collect();
        panic!(
            "coverage feedback did not find the chain: {:?}, target {:?}, corpus {corpus:#?}",
            fb.learned().greybox,
            target.exited()
        )
    });
    let summary = fb.learned().greybox.expect("grey-box summary");
    eprintln!(
        "with coverage: crash at case {} ({} {} {}): {}; {summary:?}",
        crash.case.index,
        crash.case.message,
        crash.case.field,
        crash.case.class.name(),
        hex::encode(&crash.case.bytes),
    );
    assert_eq!(crash.report.kind, "AddressSanitizer: heap-buffer-overflow");
    assert!(
        crash.report.report.contains("WRITE of size 2"),
        "{}",
        crash.report.report
    );
    assert!(
        crash.report.report.contains("mask_write_chain"),
        "{}",
        crash.report.report
    );
    assert!(meets_the_chain(&crash.case.bytes), "{:?}", crash.case);
    assert_eq!(
        crash.case.class,
        MutationClass::Havoc,
        "a case derived from the corpus"
    );
    assert!(summary.startup_edges > 0 && summary.edges > summary.startup_edges);
    assert!(
        summary.corpus >= 4,
        "each condition met joined the corpus: {summary:?}"
    );
    assert!(summary.derived_cases > 0);
    // The corpus climbed the chain: an FC 22 entry meeting each prefix of the conditions.
    let corpus = cov.corpus();
    for depth in 1..=4 {
        let want = [0u8, 0, 0xFF, 0xFF];
        assert!(
            corpus.iter().any(|c| c.bytes.len() == 14
                && c.bytes[7] == 22
                && c.bytes[10..10 + depth] == want[..depth]),
            "no corpus entry meets the first {depth} conditions"
        );
    }
    drop(target);

    // The same seed and budget without coverage: no crash, the target still up.
    let (target, addr) = launch(&bin, "--bug chain");
    let blind = Feedback::new(&model);
    let found = drive(&blind, &target, addr, seed, CASES);
    assert!(
        found.is_none(),
        "blind: {:?}",
        found.map(|c| (c.case, c.report.kind))
    );
    assert!(
        target.exited().is_none(),
        "the blind run left the target up"
    );
    assert!(blind.learned().greybox.is_none());
    // Nor does the plain schedule of other seeds send a request meeting the chain.
    for s in 1..=20 {
        assert!(
            !(0..CASES).any(|i| meets_the_chain(&build_case(&model, s, i).bytes)),
            "seed {s}"
        );
    }
}

/// A target built without instrumentation gives no coverage (the schedule stays blind); both
/// runtimes (clang guards, gcc blocks) count edges into the map otproof named, and a request
/// that reaches new code is credited with new edges.
#[test]
fn instrumented_targets_fill_the_map_and_plain_ones_give_none() {
    let (plain, _) = launch(&common::libmodbus_harness(), "");
    assert!(plain.coverage().is_none());
    let model = Modbus::new(1);
    for bin in [clang_build(), gcc_build()] {
        let (target, addr) = launch(&bin, "--bug chain");
        let cov = target.coverage().expect("coverage");
        let start = cov.summary();
        assert!(start.startup_edges > 0, "{bin:?}: {start:?}");
        let fb = Feedback::new(&model).with_coverage(Some(cov.clone()));
        // An FC 22 request with AND mask 0x0000: two conditions of the chain met, new edges.
        let mut conn = None;
        let req = [0, 1, 0, 0, 0, 8, 1, 22, 0, 5, 0, 0, 0x12, 0x34];
        let case = TestCase {
            index: 0,
            message: "FC22 mask write register".into(),
            code: 22,
            field: "and_mask".into(),
            class: MutationClass::Boundary,
            valid: true,
            bytes: req.to_vec(),
        };
        cov.before_case(&case);
        let r = exchange(&mut conn, addr, &req).expect("an answer");
        fb.observe(&model, &req, &r);
        let after = cov.summary();
        assert!(after.edges > start.edges, "{bin:?}: {start:?} -> {after:?}");
        assert_eq!(cov.corpus(), vec![case.clone()], "{bin:?}");
        // The same request again and again: once the edges it takes after its answer are
        // seen too, it takes no new edge.
        exchange(&mut conn, addr, &req).expect("an answer");
        cov.refresh();
        let settled = cov.summary().edges;
        let again = TestCase { index: 1, ..case };
        cov.before_case(&again);
        exchange(&mut conn, addr, &req).expect("an answer");
        cov.after_request(&req);
        assert_eq!(cov.summary().edges, settled, "{bin:?}");
        assert!(target.exited().is_none());
    }
}

/// The same chain through a whole campaign (`campaign::run` with the launched target as its
/// control, as `--target-cmd` does): grey-box mode switches on by itself, the crash is found
/// with the AddressSanitizer report attached and the learned knowledge says what the corpus
/// did.
#[test]
fn a_campaign_on_an_instrumented_target_uses_its_coverage() {
    use otproof_fuzz::campaign::{self, Behaviour, Config, Control};
    use otproof_fuzz::model::ProtocolModel;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let (target, addr) = launch(&clang_build(), "--bug chain");
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(addr);
    cfg.cases = Some(3000);
    cfg.seed = 3;
    cfg.timeout = Duration::from_millis(500);
    cfg.crash_grace = Duration::from_millis(500);
    cfg.minimize_failure_time = Duration::from_secs(3);
    cfg.case_timeout = Some(Duration::from_millis(100));
    cfg.control = Control(Some(Arc::new(target)));
    let report = common::rt().block_on(campaign::run(
        model,
        cfg,
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ));
    let greybox = report.learned.greybox.as_ref().expect("grey-box mode");
    eprintln!("{} cases, grey-box {greybox:?}", report.cases);
    let crash = report
        .findings
        .iter()
        .find(|f| f.behaviour == Behaviour::Crash && f.sanitizer.is_some())
        .unwrap_or_else(|| panic!("no sanitizer crash: {:?}", report.findings));
    assert_eq!(crash.reproducer.len(), 1, "{crash:?}");
    assert!(meets_the_chain(
        &hex::decode(&crash.reproducer[0]).expect("hex")
    ));
}
