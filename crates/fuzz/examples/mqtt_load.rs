//! An MQTT broker's ceiling for the benchmark: after one CONNECT per connection, PINGREQ /
//! PINGRESP round trips (the smallest valid request that needs an answer) as fast as the broker
//! answers, on K connections for T seconds; prints requests per second.
//!
//! usage: mqtt_load HOST:PORT SECONDS CONNECTIONS
#![allow(clippy::disallowed_macros)] // reports results on the console

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

fn read_exact_or_stop(s: &mut TcpStream, buf: &mut [u8]) -> bool {
    s.read_exact(buf).is_ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: mqtt_load HOST:PORT SECONDS CONNECTIONS");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let secs: u64 = args[2].parse().unwrap_or(5);
    let conns: usize = args[3].parse().unwrap_or(1);
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
                let mut connack = [0u8; 4];
                if s.write_all(&connect_packet(n)).is_err()
                    || !read_exact_or_stop(&mut s, &mut connack)
                    || connack[0] != 0x20
                    || connack[3] != 0
                {
                    return;
                }
                let mut resp = [0u8; 2];
                while Instant::now() < end {
                    if s.write_all(&[0xC0, 0x00]).is_err() || !read_exact_or_stop(&mut s, &mut resp)
                    {
                        return;
                    }
                    if resp != [0xD0, 0x00] {
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
