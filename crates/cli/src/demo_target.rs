//! The demo's robustness target: a real Modbus/TCP server from the tokio-modbus crate, run
//! in-process on 127.0.0.1 with a small register map, so `otproof demo` needs no Python.

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
