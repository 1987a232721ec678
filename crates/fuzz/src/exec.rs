//! Executor: send one test case over TCP and collect what came back, with per-case timeouts
//! and a cap on how much a hostile target can make us read.

use crate::model::ProtocolModel;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most bytes read for one response; a target that sends more is cut off.
pub const MAX_RESPONSE: usize = 64 * 1024;

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A complete response frame (and how long it took).
    Response(Vec<u8>, Duration),
    /// The response bytes cannot be a frame of the protocol.
    BadFrame(Vec<u8>, String),
    /// The target closed or reset the connection without a complete answer.
    Closed,
    /// No complete answer within the timeout (partial bytes, if any).
    Timeout(Vec<u8>),
    /// Could not connect.
    ConnectFailed(String),
}

/// A connection to the target that reconnects when needed.
pub struct Session {
    addr: SocketAddr,
    timeout: Duration,
    stream: Option<TcpStream>,
}

impl Session {
    /// Not yet connected.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Session {
        Session {
            addr,
            timeout,
            stream: None,
        }
    }

    /// Drop the connection (the next request reconnects).
    pub fn reset(&mut self) {
        self.stream = None;
    }

    async fn connect(&mut self) -> Result<&mut TcpStream, String> {
        if self.stream.is_none() {
            let s = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr))
                .await
                .map_err(|_| format!("connect to {} timed out", self.addr))?
                .map_err(|e| format!("connect to {}: {e}", self.addr))?;
            let _ = s.set_nodelay(true);
            self.stream = Some(s);
        }
        self.stream
            .as_mut()
            .ok_or_else(|| "no connection".to_string())
    }

    /// Send `bytes` and read one response frame.
    pub async fn exchange(&mut self, model: &dyn ProtocolModel, bytes: &[u8]) -> Outcome {
        let timeout = self.timeout;
        let stream = match self.connect().await {
            Ok(s) => s,
            Err(e) => return Outcome::ConnectFailed(e),
        };
        let start = Instant::now();
        if stream.write_all(bytes).await.is_err() {
            self.reset();
            return Outcome::Closed;
        }
        let mut buf = Vec::with_capacity(256);
        let mut chunk = [0u8; 4096];
        let deadline = start + timeout;
        loop {
            match model.frame_len(&buf) {
                Ok(Some(n)) => {
                    let frame = buf[..n].to_vec();
                    if buf.len() > n {
                        // Trailing bytes belong to nothing we asked for: start clean.
                        self.reset();
                    }
                    return Outcome::Response(frame, start.elapsed());
                }
                Ok(None) => {}
                Err(why) => {
                    self.reset();
                    return Outcome::BadFrame(buf, why);
                }
            }
            if buf.len() >= MAX_RESPONSE {
                self.reset();
                return Outcome::BadFrame(
                    buf,
                    format!("more than {MAX_RESPONSE} bytes without a complete frame"),
                );
            }
            let now = Instant::now();
            if now >= deadline {
                self.reset();
                return Outcome::Timeout(buf);
            }
            let Some(stream) = self.stream.as_mut() else {
                return Outcome::Closed;
            };
            match tokio::time::timeout(deadline - now, stream.read(&mut chunk)).await {
                Err(_) => {
                    self.reset();
                    return Outcome::Timeout(buf);
                }
                Ok(Ok(0)) | Ok(Err(_)) => {
                    self.reset();
                    return Outcome::Closed;
                }
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

/// One health probe on a fresh connection: latency if the target answered well.
pub async fn probe(
    model: &dyn ProtocolModel,
    addr: SocketAddr,
    timeout: Duration,
    seq: u64,
) -> Result<Duration, String> {
    let mut s = Session::new(addr, timeout);
    let req = model.probe(seq);
    match s.exchange(model, &req).await {
        Outcome::Response(r, d) if model.probe_ok(&req, &r) => Ok(d),
        Outcome::Response(_, _) => Err("answer to the health probe is not a valid response".into()),
        Outcome::BadFrame(_, why) => Err(format!("malformed answer to the health probe: {why}")),
        Outcome::Closed => Err("connection closed on the health probe".into()),
        Outcome::Timeout(_) => Err(format!("no answer to the health probe within {timeout:?}")),
        Outcome::ConnectFailed(e) => Err(e),
    }
}
