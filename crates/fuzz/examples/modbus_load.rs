//! The target's ceiling for the benchmark: valid FC 3 reads (one register) as fast as the
//! server answers, on K connections for T seconds; prints requests per second.
//!
//! usage: modbus_load HOST:PORT SECONDS CONNECTIONS
#![allow(clippy::disallowed_macros)] // reports progress and results on the console

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: modbus_load HOST:PORT SECONDS CONNECTIONS");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let secs: u64 = args[2].parse().unwrap_or(5);
    let conns: usize = args[3].parse().unwrap_or(1);
    let count = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(secs);
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let addr = addr.clone();
            let count = count.clone();
            std::thread::spawn(move || {
                let Ok(mut s) = TcpStream::connect(&addr) else {
                    return;
                };
                let _ = s.set_nodelay(true);
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut tid: u16 = 0;
                let mut buf = [0u8; 260];
                while Instant::now() < end {
                    tid = tid.wrapping_add(1);
                    let t = tid.to_be_bytes();
                    let req = [t[0], t[1], 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
                    if s.write_all(&req).is_err() {
                        return;
                    }
                    let mut got = 0;
                    while got < 6 {
                        match s.read(&mut buf[got..]) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got += n,
                        }
                    }
                    let need = 6 + usize::from(u16::from_be_bytes([buf[4], buf[5]]));
                    while got < need.min(buf.len()) {
                        match s.read(&mut buf[got..]) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got += n,
                        }
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    println!("{:.0}", count.load(Ordering::Relaxed) as f64 / secs as f64);
}
