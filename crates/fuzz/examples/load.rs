//! A target's ceiling for the benchmark: the smallest valid request that needs an answer, as
//! fast as the server answers, on K connections for T seconds; prints requests per second.
//! - `modbus`: FC 3 reads of one register;
//! - `mqtt`: PINGREQ / PINGRESP after one CONNECT (MQTT 3.1.1, clean session) per connection.
//!
//! usage: load modbus|mqtt HOST:PORT SECONDS CONNECTIONS
#![allow(clippy::disallowed_macros)] // reports results on the console

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
enum Proto {
    Modbus,
    Mqtt,
}

/// CONNECT, MQTT 3.1.1, clean session, keep alive 60 s, client id `load-N`.
fn connect_packet(n: usize) -> Vec<u8> {
    let id = format!("load-{n}");
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60];
    body.extend_from_slice(&(id.len() as u16).to_be_bytes());
    body.extend_from_slice(id.as_bytes());
    let mut p = vec![0x10, body.len() as u8];
    p.extend_from_slice(&body);
    p
}

/// Open the session of connection `n` (nothing for Modbus/TCP; CONNECT and CONNACK for MQTT).
fn open(proto: Proto, s: &mut TcpStream, n: usize) -> bool {
    match proto {
        Proto::Modbus => true,
        Proto::Mqtt => {
            let mut connack = [0u8; 4];
            s.write_all(&connect_packet(n)).is_ok()
                && s.read_exact(&mut connack).is_ok()
                && connack[0] == 0x20
                && connack[3] == 0
        }
    }
}

/// One request and its complete answer; false when the connection fails or the answer is
/// not the expected one.
fn round_trip(proto: Proto, s: &mut TcpStream, seq: u16, buf: &mut [u8; 260]) -> bool {
    match proto {
        Proto::Modbus => {
            let t = seq.to_be_bytes();
            let req = [t[0], t[1], 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
            if s.write_all(&req).is_err() || s.read_exact(&mut buf[..6]).is_err() {
                return false;
            }
            let rest = usize::from(u16::from_be_bytes([buf[4], buf[5]])).min(buf.len() - 6);
            s.read_exact(&mut buf[6..6 + rest]).is_ok()
        }
        Proto::Mqtt => {
            s.write_all(&[0xC0, 0x00]).is_ok()
                && s.read_exact(&mut buf[..2]).is_ok()
                && buf[..2] == [0xD0, 0x00]
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: load modbus|mqtt HOST:PORT SECONDS CONNECTIONS");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        usage();
    }
    let proto = match args[1].as_str() {
        "modbus" => Proto::Modbus,
        "mqtt" => Proto::Mqtt,
        _ => usage(),
    };
    let addr = args[2].clone();
    let secs: u64 = args[3].parse().unwrap_or(5);
    let conns: usize = args[4].parse().unwrap_or(1);
    let count = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(secs);
    let threads: Vec<_> = (0..conns)
        .map(|n| {
            let addr = addr.clone();
            let count = count.clone();
            std::thread::spawn(move || {
                let Ok(mut s) = TcpStream::connect(&addr) else {
                    return;
                };
                let _ = s.set_nodelay(true);
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                if !open(proto, &mut s, n) {
                    return;
                }
                let mut buf = [0u8; 260];
                let mut seq: u16 = 0;
                while Instant::now() < end {
                    seq = seq.wrapping_add(1);
                    if !round_trip(proto, &mut s, seq, &mut buf) {
                        return;
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
