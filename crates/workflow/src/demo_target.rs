//! The demo's robustness target: a real Modbus/TCP server from the tokio-modbus crate, run
//! in-process on 127.0.0.1 with a small register map, so `otproof demo` (and any front end's
//! demonstration) needs no Python. Its panics are third-party behaviour under test: count
//! them with [`PanicCounter`] instead of letting them print.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio_modbus::prelude::*;
use tokio_modbus::server::tcp::{accept_tcp_connection, Server};

const SIZE: usize = 1000;

#[derive(Clone)]
struct Device {
    coils: Arc<Mutex<Vec<bool>>>,
    registers: Arc<Mutex<Vec<u16>>>,
}

fn range(addr: u16, n: usize) -> Result<std::ops::Range<usize>, ExceptionCode> {
    let a = usize::from(addr);
    if n == 0 || a + n > SIZE {
        Err(ExceptionCode::IllegalDataAddress)
    } else {
        Ok(a..a + n)
    }
}

impl Device {
    fn handle(&self, req: Request<'static>) -> Result<Response, ExceptionCode> {
        let coils = || {
            self.coils
                .lock()
                .map_err(|_| ExceptionCode::ServerDeviceFailure)
        };
        let regs = || {
            self.registers
                .lock()
                .map_err(|_| ExceptionCode::ServerDeviceFailure)
        };
        match req {
            Request::ReadCoils(a, n) => {
                Ok(Response::ReadCoils(coils()?[range(a, n.into())?].to_vec()))
            }
            Request::ReadDiscreteInputs(a, n) => Ok(Response::ReadDiscreteInputs(
                coils()?[range(a, n.into())?].to_vec(),
            )),
            Request::ReadHoldingRegisters(a, n) => Ok(Response::ReadHoldingRegisters(
                regs()?[range(a, n.into())?].to_vec(),
            )),
            Request::ReadInputRegisters(a, n) => Ok(Response::ReadInputRegisters(
                regs()?[range(a, n.into())?].to_vec(),
            )),
            Request::WriteSingleCoil(a, v) => {
                coils()?[range(a, 1)?.start] = v;
                Ok(Response::WriteSingleCoil(a, v))
            }
            Request::WriteSingleRegister(a, v) => {
                regs()?[range(a, 1)?.start] = v;
                Ok(Response::WriteSingleRegister(a, v))
            }
            Request::WriteMultipleCoils(a, v) => {
                let r = range(a, v.len())?;
                coils()?[r].copy_from_slice(&v);
                Ok(Response::WriteMultipleCoils(a, v.len() as u16))
            }
            Request::WriteMultipleRegisters(a, v) => {
                let r = range(a, v.len())?;
                regs()?[r].copy_from_slice(&v);
                Ok(Response::WriteMultipleRegisters(a, v.len() as u16))
            }
            Request::MaskWriteRegister(a, and, or) => {
                let mut r = regs()?;
                let i = range(a, 1)?.start;
                r[i] = (r[i] & and) | (or & !and);
                Ok(Response::MaskWriteRegister(a, and, or))
            }
            Request::ReadWriteMultipleRegisters(ra, rn, wa, v) => {
                let mut r = regs()?;
                let w = range(wa, v.len())?;
                r[w].copy_from_slice(&v);
                Ok(Response::ReadWriteMultipleRegisters(
                    r[range(ra, rn.into())?].to_vec(),
                ))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }
}

impl tokio_modbus::server::Service for Device {
    type Request = Request<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = std::future::Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        std::future::ready(self.handle(req))
    }
}

/// Start the server on a free loopback port; it runs until the runtime ends.
pub async fn start() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let device = Device {
        coils: Arc::new(Mutex::new(vec![false; SIZE])),
        registers: Arc::new(Mutex::new((0..SIZE as u16).collect())),
    };
    tokio::spawn(async move {
        let server = Server::new(listener);
        let new_service = move |_addr| Ok(Some(device.clone()));
        let on_connected = |stream, addr| {
            let new_service = new_service.clone();
            async move { accept_tcp_connection(stream, addr, new_service) }
        };
        let _ = server.serve(&on_connected, |_err| {}).await;
    });
    Ok(addr)
}

/// While alive, panics anywhere in the process are counted (with the first one's message and
/// place) instead of printed; dropping it restores the previous hook. For the in-process demo
/// target, whose connection tasks may panic on malformed requests.
pub struct PanicCounter {
    seen: Arc<Mutex<(u64, String)>>,
    previous: Option<PanicHook>,
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

impl PanicCounter {
    /// Start counting.
    pub fn install() -> PanicCounter {
        let seen = Arc::new(Mutex::new((0u64, String::new())));
        let previous = std::panic::take_hook();
        let counter = seen.clone();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut p) = counter.lock() {
                p.0 += 1;
                if p.1.is_empty() {
                    let message = info
                        .payload()
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    let place = info
                        .location()
                        .map(|l| format!("{}:{}", l.file(), l.line()))
                        .unwrap_or_default();
                    p.1 = format!("{message} at {place}");
                }
            }
        }));
        PanicCounter {
            seen,
            previous: Some(previous),
        }
    }

    /// How many panics so far, and the first one's message and place.
    pub fn seen(&self) -> (u64, String) {
        self.seen.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

impl Drop for PanicCounter {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            std::panic::set_hook(previous);
        }
    }
}
