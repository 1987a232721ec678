//! Targets that misbehave on purpose, served in-process on 127.0.0.1: a lenient server that
//! answers invalid requests normally (a conformance finding that minimizes and replays), and
//! hostile ones (huge lengths, silence, trickling bytes) that must neither hang the engine
//! nor grow its memory.

use otproof_fuzz::campaign::{self, Behaviour, Config};
use otproof_fuzz::exec::{Outcome, Session, MAX_RESPONSE};
use otproof_fuzz::modbus::Modbus;
use otproof_fuzz::model::ProtocolModel;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy)]
enum Kind {
    /// Answers FC 3 with a normal response whatever the quantity; everything else: exception 01.
    Lenient,
    /// Announces a 65535-byte frame and streams garbage.
    HugeLength,
    /// Reads and never answers.
    Silent,
    /// Sends a valid answer one byte every 200 ms.
    Trickle,
}

async fn serve_one(mut s: TcpStream, kind: Kind) {
    let mut buf = vec![0u8; 1024];
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if n < 8 {
            continue;
        }
        let req = &buf[..n];
        let tid = [req[0], req[1]];
        match kind {
            Kind::Lenient => {
                let resp = if req[7] == 3 && n >= 12 {
                    // Answers whatever quantity was asked for, even 0 or more than 125.
                    let qty = usize::from(u16::from_be_bytes([req[10], req[11]]));
                    let data = (2 * qty).min(250);
                    let mut r = vec![tid[0], tid[1], 0, 0];
                    r.extend_from_slice(&((data + 3) as u16).to_be_bytes());
                    r.extend_from_slice(&[req[6], 3, data as u8]);
                    r.extend(std::iter::repeat_n(0u8, data));
                    r
                } else {
                    vec![tid[0], tid[1], 0, 0, 0, 3, req[6], req[7] | 0x80, 1]
                };
                if s.write_all(&resp).await.is_err() {
                    return;
                }
            }
            Kind::HugeLength => {
                let mut resp = vec![tid[0], tid[1], 0, 0, 0xFF, 0xFF, req[6], 3];
                resp.extend(std::iter::repeat_n(0xAA, 200_000));
                let _ = s.write_all(&resp).await;
            }
            Kind::Silent => {}
            Kind::Trickle => {
                for b in [tid[0], tid[1], 0, 0, 0, 3, req[6], 0x83, 2] {
                    if s.write_all(&[b]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

async fn server(kind: Kind) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(serve_one(s, kind));
        }
    });
    addr
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_lenient_server_gives_a_minimized_conformance_finding_that_replays() {
    let rt = rt();
    let addr = rt.block_on(server(Kind::Lenient));
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(addr);
    cfg.cases = Some(19 * 11 * 6);
    cfg.timeout = Duration::from_millis(300);
    let report = rt.block_on(campaign::run(
        model.clone(),
        cfg,
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ));
    let f = report
        .findings
        .iter()
        .find(|f| {
            f.behaviour == Behaviour::Conformance
                && f.code == 3
                && f.observed.contains("requires exception 03")
        })
        .unwrap_or_else(|| panic!("expected the FC 3 quantity finding: {:#?}", report.findings));
    assert!(f.confirmed, "confirmed by a fresh re-run");
    assert!(f.requirements.contains(&"CR 3.5".to_string()));
    let repro: Vec<Vec<u8>> = f
        .reproducer
        .iter()
        .map(|h| campaign::unhex(h).expect("hex"))
        .collect();
    let (_, verdict) = rt.block_on(campaign::replay(
        model.as_ref(),
        addr,
        Duration::from_millis(300),
        &repro,
    ));
    assert!(
        matches!(&verdict, otproof_fuzz::campaign::Replayed::Reproduced(v) if v.contains("requires exception")),
        "{verdict:?}"
    );
    if let Some(orig) = &f.original {
        assert!(
            f.reproducer[0].len() <= orig[0].len(),
            "minimized input is not longer"
        );
    }
}

#[test]
fn a_huge_length_answer_is_cut_off_not_buffered() {
    let rt = rt();
    let addr = rt.block_on(server(Kind::HugeLength));
    let model = Modbus::new(1);
    let mut s = Session::new(addr, Duration::from_secs(2));
    let t = Instant::now();
    let out = rt.block_on(s.exchange(&model, &model.probe(1)));
    match out {
        Outcome::BadFrame(bytes, why) => {
            assert!(
                bytes.len() <= MAX_RESPONSE + 4096,
                "read {} bytes",
                bytes.len()
            );
            assert!(why.contains("254"), "{why}");
        }
        other => panic!("expected a bad frame, got {other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_silent_server_is_a_hang_and_the_campaign_ends() {
    let rt = rt();
    let addr = rt.block_on(server(Kind::Silent));
    let model: Arc<dyn ProtocolModel> = Arc::new(Modbus::new(1));
    let mut cfg = Config::new(addr);
    cfg.cases = Some(1000);
    cfg.timeout = Duration::from_millis(200);
    let t = Instant::now();
    let report = rt.block_on(campaign::run(
        model,
        cfg,
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    ));
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    // It never answers even the baseline probe: the campaign says so instead of hanging.
    assert!(
        report
            .stopped
            .as_deref()
            .is_some_and(|s| s.contains("does not answer")),
        "{:?}",
        report.stopped
    );
}

#[test]
fn a_trickling_server_does_not_hold_the_engine() {
    let rt = rt();
    let addr = rt.block_on(server(Kind::Trickle));
    let model = Modbus::new(1);
    let mut s = Session::new(addr, Duration::from_millis(500));
    let t = Instant::now();
    let out = rt.block_on(s.exchange(&model, &model.probe(1)));
    assert!(
        matches!(out, Outcome::Timeout(ref b) if b.len() < 9),
        "{out:?}"
    );
    assert!(t.elapsed() < Duration::from_millis(1500));
}
