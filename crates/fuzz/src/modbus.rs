//! Modbus/TCP (Modbus Application Protocol V1.1b3 over MBAP): the request grammar of the
//! public function codes, response framing, and the conformance oracle (exception codes,
//! echoes, lengths, and the exceptions the specification requires for invalid requests).

use crate::model::{
    AddressSpace, Addressing, BytesLen, Domain, FieldDef, FieldType::*, LimitCase, Message,
    MessageDef, Observation, ProtocolModel, Rule, Value,
};

/// Exception codes a server may answer with (01-04 are the conformance core; 05, 06, 08, 0A,
/// 0B are legitimate in their situations).
pub const EXCEPTIONS: [u8; 9] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x0A, 0x0B];

/// Name of an exception code.
pub fn exception_name(code: u8) -> &'static str {
    match code {
        0x01 => "illegal function",
        0x02 => "illegal data address",
        0x03 => "illegal data value",
        0x04 => "server device failure",
        0x05 => "acknowledge",
        0x06 => "server device busy",
        0x08 => "memory parity error",
        0x0A => "gateway path unavailable",
        0x0B => "gateway target failed to respond",
        _ => "undefined exception code",
    }
}

fn mbap(unit: u8) -> Vec<FieldDef> {
    vec![
        FieldDef::int("transaction_id", U16, Domain::Any),
        FieldDef::int("protocol_id", U16, Domain::Const(0)),
        FieldDef::derived("length", U16, Rule::RestLength),
        FieldDef::int("unit_id", U8, Domain::Const(u64::from(unit))),
    ]
}

fn msg(unit: u8, name: &str, code: u8, pdu: Vec<FieldDef>) -> MessageDef {
    let mut fields = mbap(unit);
    fields.push(FieldDef::int(
        "function",
        U8,
        Domain::Const(u64::from(code)),
    ));
    fields.extend(pdu);
    MessageDef {
        name: format!("FC{code:02} {name}"),
        code: u16::from(code),
        fields,
    }
}

/// The Modbus/TCP model for one unit id.
pub struct Modbus {
    messages: Vec<MessageDef>,
    unit: u8,
}

impl Modbus {
    /// The model with requests addressed to `unit`.
    pub fn new(unit: u8) -> Modbus {
        let addr = || FieldDef::int("start_address", U16, Domain::Any);
        let q = |max: u64| FieldDef::int("quantity", U16, Domain::Range(1, max));
        let messages = vec![
            msg(unit, "read coils", 1, vec![addr(), q(2000)]),
            msg(unit, "read discrete inputs", 2, vec![addr(), q(2000)]),
            msg(unit, "read holding registers", 3, vec![addr(), q(125)]),
            msg(unit, "read input registers", 4, vec![addr(), q(125)]),
            msg(
                unit,
                "write single coil",
                5,
                vec![
                    FieldDef::int("output_address", U16, Domain::Any),
                    FieldDef::int("output_value", U16, Domain::OneOf(vec![0x0000, 0xFF00])),
                ],
            ),
            msg(
                unit,
                "write single register",
                6,
                vec![
                    FieldDef::int("register_address", U16, Domain::Any),
                    FieldDef::int("register_value", U16, Domain::Any),
                ],
            ),
            msg(unit, "read exception status", 7, vec![]),
            msg(
                unit,
                "diagnostics",
                8,
                vec![
                    FieldDef::int(
                        "sub_function",
                        U16,
                        Domain::OneOf(vec![
                            0x00, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x14,
                        ]),
                    ),
                    FieldDef::int("data", U16, Domain::Const(0)),
                ],
            ),
            msg(unit, "get comm event counter", 11, vec![]),
            msg(unit, "get comm event log", 12, vec![]),
            msg(
                unit,
                "write multiple coils",
                15,
                vec![
                    addr(),
                    q(1968),
                    FieldDef::derived("byte_count", U8, Rule::ByteLengthOf("outputs_value")),
                    FieldDef::bytes("outputs_value", BytesLen::BitsOf("quantity")),
                ],
            ),
            msg(
                unit,
                "write multiple registers",
                16,
                vec![
                    addr(),
                    q(123),
                    FieldDef::derived("byte_count", U8, Rule::ByteLengthOf("registers_value")),
                    FieldDef::bytes("registers_value", BytesLen::WordsOf("quantity")),
                ],
            ),
            msg(unit, "report server id", 17, vec![]),
            msg(
                unit,
                "read file record",
                20,
                vec![
                    FieldDef::derived("byte_count", U8, Rule::RestLength),
                    FieldDef::int("reference_type", U8, Domain::Const(6)),
                    FieldDef::int("file_number", U16, Domain::Range(1, 0xFFFF)),
                    FieldDef::int("record_number", U16, Domain::Range(0, 0x270F)),
                    FieldDef::int("record_length", U16, Domain::Range(1, 120)),
                ],
            ),
            msg(
                unit,
                "write file record",
                21,
                vec![
                    FieldDef::derived("byte_count", U8, Rule::RestLength),
                    FieldDef::int("reference_type", U8, Domain::Const(6)),
                    FieldDef::int("file_number", U16, Domain::Range(1, 0xFFFF)),
                    FieldDef::int("record_number", U16, Domain::Range(0, 0x270F)),
                    FieldDef::int("record_length", U16, Domain::Range(1, 60)),
                    FieldDef::bytes("record_data", BytesLen::WordsOf("record_length")),
                ],
            ),
            msg(
                unit,
                "mask write register",
                22,
                vec![
                    FieldDef::int("reference_address", U16, Domain::Any),
                    FieldDef::int("and_mask", U16, Domain::Any),
                    FieldDef::int("or_mask", U16, Domain::Any),
                ],
            ),
            msg(
                unit,
                "read/write multiple registers",
                23,
                vec![
                    FieldDef::int("read_starting_address", U16, Domain::Any),
                    FieldDef::int("quantity_to_read", U16, Domain::Range(1, 125)),
                    FieldDef::int("write_starting_address", U16, Domain::Any),
                    FieldDef::int("quantity", U16, Domain::Range(1, 121)),
                    FieldDef::derived(
                        "byte_count",
                        U8,
                        Rule::ByteLengthOf("write_registers_value"),
                    ),
                    FieldDef::bytes("write_registers_value", BytesLen::WordsOf("quantity")),
                ],
            ),
            msg(
                unit,
                "read fifo queue",
                24,
                vec![FieldDef::int("fifo_pointer_address", U16, Domain::Any)],
            ),
            msg(
                unit,
                "read device identification",
                43,
                vec![
                    FieldDef::int("mei_type", U8, Domain::Const(14)),
                    FieldDef::int("read_device_id_code", U8, Domain::Range(1, 4)),
                    FieldDef::int("object_id", U8, Domain::Range(0, 6)),
                ],
            ),
        ];
        Modbus { messages, unit }
    }

    /// The unit id requests go to.
    pub fn unit(&self) -> u8 {
        self.unit
    }

    /// A request for FC 43/14 read device identification (basic, from object 0).
    pub fn device_id_request(&self, tid: u16) -> Vec<u8> {
        let mut v = vec![0, 0, 0, 0, 0, 5, self.unit, 43, 14, 1, 0];
        v[..2].copy_from_slice(&tid.to_be_bytes());
        v
    }
}

fn u16at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// Parse an FC 43/14 response into (object id, text) pairs.
pub fn parse_device_id(resp: &[u8]) -> Vec<(u8, String)> {
    let mut out = Vec::new();
    if resp.len() < 14 || resp[7] != 43 || resp[8] != 14 {
        return out;
    }
    let n = usize::from(resp[13]);
    let mut i = 14;
    for _ in 0..n {
        let (Some(&id), Some(&len)) = (resp.get(i), resp.get(i + 1)) else {
            break;
        };
        let Some(val) = resp.get(i + 2..i + 2 + usize::from(len)) else {
            break;
        };
        out.push((id, String::from_utf8_lossy(val).into_owned()));
        i += 2 + usize::from(len);
    }
    out
}

/// A device identification value made safe: control and invisible characters escaped, at
/// most 255 characters (an object's length is one byte, so a value is never cut).
pub fn quote_identity(v: &str) -> String {
    otproof_text::quote_max(v, 255)
}

/// Names of the basic device identification objects.
pub fn device_object_name(id: u8) -> String {
    match id {
        0 => "vendor".into(),
        1 => "product code".into(),
        2 => "version".into(),
        3 => "vendor url".into(),
        4 => "product name".into(),
        5 => "model name".into(),
        6 => "user application name".into(),
        n => format!("object {n}"),
    }
}

/// Ask the target who it is (FC 43/14, basic identification); empty if it does not say.
/// The target's text is an adversary's: each value comes back quoted (control characters
/// escaped, so it can go into a record title, a report or a terminal as it is).
pub async fn identify(
    model: &Modbus,
    addr: std::net::SocketAddr,
    timeout: std::time::Duration,
) -> Vec<(String, String)> {
    let mut s = crate::exec::Session::new(addr, timeout);
    match s.exchange(model, &model.device_id_request(0x4314)).await {
        crate::exec::Outcome::Response(r, _) => parse_device_id(&r)
            .into_iter()
            .map(|(id, v)| (device_object_name(id), quote_identity(&v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// FC 15 / FC 16: quantity within 1..=max, byte count = `want_bc`, data of that length.
fn write_multiple(pdu: &[u8], max: u16, want_bc: usize) -> Option<(u8, String)> {
    let n = u16at(pdu, 3)?;
    let bc = usize::from(*pdu.get(5)?);
    if !(1..=max).contains(&n) {
        Some((3, format!("quantity {n} outside 1..{max}")))
    } else if bc != want_bc {
        Some((3, format!("byte count {bc} does not match quantity {n}")))
    } else if pdu.len() != 6 + bc {
        let data = pdu.len().saturating_sub(6);
        Some((
            3,
            format!("byte count {bc} does not match the {data} data bytes"),
        ))
    } else {
        None
    }
}

/// Is the request's MBAP header intact (protocol 0, length matching the bytes)?
fn framed(req: &[u8]) -> bool {
    req.len() >= 8
        && req[2..4] == [0, 0]
        && usize::from(u16::from_be_bytes([req[4], req[5]])) == req.len() - 6
}

/// Why the specification requires an exception for this request PDU, if it does.
fn required_exception(pdu: &[u8]) -> Option<(u8, String)> {
    let fc = *pdu.first()?;
    let q = |i| u16at(pdu, i);
    let need = |len: usize| pdu.len() == len;
    match fc {
        1 | 2 => {
            let n = q(3)?;
            (need(5) && !(1..=2000).contains(&n))
                .then(|| (3, format!("quantity {n} outside 1..2000")))
        }
        3 | 4 => {
            let n = q(3)?;
            (need(5) && !(1..=125).contains(&n))
                .then(|| (3, format!("quantity {n} outside 1..125")))
        }
        5 => {
            let v = q(3)?;
            (need(5) && v != 0 && v != 0xFF00).then(|| {
                (
                    3,
                    format!("output value 0x{v:04X} is neither 0x0000 nor 0xFF00"),
                )
            })
        }
        15 => write_multiple(pdu, 1968, usize::from(q(3)?).div_ceil(8)),
        16 => write_multiple(pdu, 123, 2 * usize::from(q(3)?)),
        23 => {
            let nr = q(3)?;
            let nw = q(7)?;
            let bc = usize::from(*pdu.get(9)?);
            if !(1..=125).contains(&nr) {
                Some((3, format!("quantity to read {nr} outside 1..125")))
            } else if !(1..=121).contains(&nw) {
                Some((3, format!("quantity to write {nw} outside 1..121")))
            } else if bc != 2 * usize::from(nw) || pdu.len() != 10 + bc {
                Some((
                    3,
                    format!("byte count {bc} does not match quantity {nw} and data"),
                ))
            } else {
                None
            }
        }
        0x80..=0xFF => Some((
            1,
            format!("function code {fc} is an exception code, not a function"),
        )),
        _ => None,
    }
}

impl ProtocolModel for Modbus {
    fn name(&self) -> &'static str {
        "modbus-tcp"
    }

    fn messages(&self) -> &[MessageDef] {
        &self.messages
    }

    fn prepare(&self, m: &mut Message, seq: u64) {
        // Transaction ids cycle so each request in a session is distinct.
        if !m.fixed.first().copied().unwrap_or(false) {
            m.values[0] = Value::Int(seq & 0xFFFF);
        }
    }

    fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, String> {
        if buf.len() < 6 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
        if len < 2 {
            return Err(format!("MBAP length {len} is below the minimum of 2"));
        }
        if len > 254 {
            return Err(format!("MBAP length {len} exceeds the maximum of 254"));
        }
        Ok((buf.len() >= 6 + len).then_some(6 + len))
    }

    fn check(&self, req: &[u8], _request_valid: bool, resp: &[u8]) -> Option<String> {
        if resp.len() < 9 {
            return Some(format!(
                "response of {} bytes is shorter than MBAP + function + data",
                resp.len()
            ));
        }
        // The server recopies the request's protocol id (0000 for Modbus).
        if resp[2..4] != [0, 0] && req.get(2..4) != Some(&resp[2..4]) {
            return Some(format!(
                "protocol id {:02X}{:02X} is neither 0000 nor the request's",
                resp[2], resp[3]
            ));
        }
        let len = usize::from(u16::from_be_bytes([resp[4], resp[5]]));
        if len != resp.len() - 6 {
            return Some(format!(
                "MBAP length {len} does not match {} bytes that follow",
                resp.len() - 6
            ));
        }
        // Echo rules and content only apply to requests whose MBAP framing is intact: a server
        // reading a malformed frame may legitimately see other boundaries.
        let framed = framed(req);
        let fc = resp[7];
        if framed {
            if resp[..2] != req[..2] {
                return Some(format!(
                    "transaction id {:02X}{:02X} does not echo the request's {:02X}{:02X}",
                    resp[0], resp[1], req[0], req[1]
                ));
            }
            if resp[6] != req[6] {
                return Some(format!(
                    "unit id {} does not echo the request's {}",
                    resp[6], req[6]
                ));
            }
            let rf = req[7];
            if fc != rf && fc != (rf | 0x80) {
                return Some(format!(
                    "function code {fc} answers a request with function code {rf}"
                ));
            }
        }
        if fc & 0x80 != 0 {
            if resp.len() != 9 {
                return Some(format!(
                    "exception response of {} bytes, expected 9",
                    resp.len()
                ));
            }
            let code = resp[8];
            if !EXCEPTIONS.contains(&code) {
                return Some(format!(
                    "exception code {code:02X} is not defined by the specification"
                ));
            }
            return None;
        }
        if !framed {
            return None;
        }
        let pdu = &req[7..];
        if let Some((code, why)) = required_exception(pdu) {
            return Some(format!(
                "normal response where the specification requires exception {code:02} ({}): {why}",
                exception_name(code)
            ));
        }
        // Shape of normal responses.
        let data = &resp[8..];
        match fc {
            1 | 2 => {
                let n = u16at(pdu, 3).unwrap_or(0);
                let bc = usize::from(*data.first()?);
                if bc != usize::from(n).div_ceil(8) || data.len() != 1 + bc {
                    return Some(format!(
                        "read response byte count {bc} for quantity {n} with {} data bytes",
                        data.len().saturating_sub(1)
                    ));
                }
            }
            3 | 4 => {
                let n = u16at(pdu, 3).unwrap_or(0);
                let bc = usize::from(*data.first()?);
                if bc != 2 * usize::from(n) || data.len() != 1 + bc {
                    return Some(format!(
                        "read response byte count {bc} for quantity {n} with {} data bytes",
                        data.len().saturating_sub(1)
                    ));
                }
            }
            5 | 6 if resp[7..] != req[7..] => {
                return Some("write single response does not echo the request".into());
            }
            15 | 16 if data.get(..4) != pdu.get(1..5) || data.len() != 4 => {
                return Some("write multiple response does not echo address and quantity".into());
            }
            22 if resp[7..] != req[7..] => {
                return Some("mask write response does not echo the request".into());
            }
            _ => {}
        }
        None
    }

    fn required_answer(&self, req: &[u8]) -> Option<String> {
        if !framed(req) || req[6] != self.unit {
            return None;
        }
        required_exception(&req[7..]).map(|(code, why)| {
            format!(
                "exception {code:02} ({}) required: {why}",
                exception_name(code)
            )
        })
    }

    fn probe(&self, seq: u64) -> Vec<u8> {
        // Read one holding register at address 0: any well-formed answer, normal or exception,
        // shows the server alive.
        let tid = (seq & 0xFFFF) as u16;
        let mut v = vec![0, 0, 0, 0, 0, 6, self.unit, 3, 0, 0, 0, 1];
        v[..2].copy_from_slice(&tid.to_be_bytes());
        v
    }

    fn sentinel(&self, request: &[u8], seq: u64) -> Vec<u8> {
        // A transaction id the request does not carry, so the answers cannot be confused.
        let tid = match request {
            [a, b, ..] => u16::from_be_bytes([*a, *b]) ^ 0x8000,
            _ => (seq & 0xFFFF) as u16,
        };
        self.probe(u64::from(tid))
    }

    fn reframe(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        // The MBAP length counts the unit identifier and the PDU: at least the unit and a
        // function code, at most 254.
        let len = u16::try_from(bytes.len().checked_sub(6)?).ok()?;
        if !(2..=254).contains(&len) {
            return None;
        }
        let mut out = bytes.to_vec();
        out[4..6].copy_from_slice(&len.to_be_bytes());
        Some(out)
    }

    fn transaction_key(&self, frame: &[u8]) -> Option<u64> {
        // The MBAP transaction identifier: a server copies it into its answer.
        match frame {
            [a, b, ..] => Some(u64::from(u16::from_be_bytes([*a, *b]))),
            _ => None,
        }
    }

    fn code_of(&self, request: &[u8]) -> Option<u16> {
        // MBAP header (7 bytes), then the function code.
        request.get(7).map(|fc| u16::from(*fc))
    }

    fn answer_label(&self, response: &[u8]) -> &'static str {
        // The exception bit of the function code (after the 7-byte MBAP header).
        if response.get(7).is_some_and(|fc| fc & 0x80 != 0) {
            "exception"
        } else {
            "response"
        }
    }

    fn learn(&self, req: &[u8], resp: &[u8]) -> Vec<Observation> {
        learn(req, resp)
    }

    fn address_spaces(&self) -> Vec<AddressSpace> {
        SPACES
            .iter()
            .map(|name| AddressSpace {
                name,
                size: 0x1_0000,
            })
            .collect()
    }

    fn addressing(&self) -> Vec<Addressing> {
        // Reads first: discovery reads each space with the first entry.
        let table: [(u16, usize, &'static str, Option<&'static str>); 11] = [
            (1, COILS, "start_address", Some("quantity")),
            (2, DISCRETE, "start_address", Some("quantity")),
            (3, HOLDING, "start_address", Some("quantity")),
            (4, INPUT, "start_address", Some("quantity")),
            (5, COILS, "output_address", None),
            (15, COILS, "start_address", Some("quantity")),
            (6, HOLDING, "register_address", None),
            (16, HOLDING, "start_address", Some("quantity")),
            (22, HOLDING, "reference_address", None),
            (
                23,
                HOLDING,
                "read_starting_address",
                Some("quantity_to_read"),
            ),
            (23, HOLDING, "write_starting_address", Some("quantity")),
        ];
        table
            .iter()
            .filter_map(|&(code, space, address, count)| {
                let def = self.messages.iter().position(|m| m.code == code)?;
                Some(Addressing {
                    def,
                    space,
                    address,
                    count,
                })
            })
            .collect()
    }

    fn limit_cases(&self) -> Vec<LimitCase> {
        limit_cases(&self.messages)
    }

    fn probe_ok(&self, probe: &[u8], response: &[u8]) -> bool {
        response.len() >= 9
            && response[..2] == probe[..2]
            && (response[7] == 3 || response[7] == 0x83)
    }
}

/// The four Modbus tables, as address spaces.
const SPACES: [&str; 4] = [
    "coils",
    "discrete inputs",
    "holding registers",
    "input registers",
];
const COILS: usize = 0;
const DISCRETE: usize = 1;
const HOLDING: usize = 2;
const INPUT: usize = 3;

/// The table a function code reads or writes, and where its address and quantity are in the
/// PDU (offsets after the function code; no quantity: one unit).
fn table_of(fc: u8) -> Option<(usize, usize, Option<usize>)> {
    Some(match fc {
        1 => (COILS, 1, Some(3)),
        2 => (DISCRETE, 1, Some(3)),
        3 => (HOLDING, 1, Some(3)),
        4 => (INPUT, 1, Some(3)),
        5 => (COILS, 1, None),
        6 | 22 => (HOLDING, 1, None),
        15 => (COILS, 1, Some(3)),
        16 | 23 => (HOLDING, 1, Some(3)),
        _ => return None,
    })
}

/// What an answer to a request teaches (see [`ProtocolModel::learn`]): a normal answer maps
/// the addresses the request named and accepts its quantity; exception 02 to a one-unit
/// request unmaps that address; exception 03 rejects the quantity; register contents are
/// values for the dictionary. Only answers that echo a well-framed request's transaction id,
/// unit and function code count.
pub fn learn(req: &[u8], resp: &[u8]) -> Vec<Observation> {
    let mut out = Vec::new();
    if !framed(req) || resp.len() < 9 || resp.get(..2) != req.get(..2) || resp[6] != req[6] {
        return out;
    }
    let fc = req[7];
    let Some((space, a_at, q_at)) = table_of(fc) else {
        return out;
    };
    let pdu = &req[7..];
    let Some(address) = u16at(pdu, a_at) else {
        return out;
    };
    let q = match q_at {
        Some(i) => match u16at(pdu, i) {
            Some(q) => q,
            None => return out,
        },
        None => 1,
    };
    let (address, q) = (u64::from(address), u64::from(q));
    let field = if fc == 23 {
        "quantity_to_read"
    } else {
        "quantity"
    };
    if resp[7] == fc {
        if q >= 1 && address + q <= 0x1_0000 {
            out.push(Observation::Mapped {
                space,
                first: address,
                last: address + q - 1,
            });
        }
        if q_at.is_some() {
            out.push(Observation::Count {
                code: u16::from(fc),
                field,
                value: q,
                accepted: true,
            });
        }
        if fc == 23 {
            if let (Some(w), Some(n)) = (u16at(pdu, 5), u16at(pdu, 7)) {
                let (w, n) = (u64::from(w), u64::from(n));
                if n >= 1 && w + n <= 0x1_0000 {
                    out.push(Observation::Mapped {
                        space,
                        first: w,
                        last: w + n - 1,
                    });
                }
            }
        }
        // Register contents (FC 3, 4, 23): byte count, then words.
        if matches!(fc, 3 | 4 | 23) {
            let data = &resp[9..];
            out.extend(
                data.chunks_exact(2)
                    .take(16)
                    .map(|w| Observation::Value(u64::from(u16::from_be_bytes([w[0], w[1]])))),
            );
        }
    } else if resp[7] == fc | 0x80 {
        match resp[8] {
            // FC 23: the illegal address may be the write address; nothing to learn.
            0x02 if q == 1 && fc != 23 => out.push(Observation::Unmapped { space, address }),
            0x03 if q_at.is_some() => out.push(Observation::Count {
                code: u16::from(fc),
                field,
                value: q,
                accepted: false,
            }),
            _ => {}
        }
    }
    out
}

/// The protocol limits tried in every campaign: for each function code with a quantity, the
/// quantities 0, 1, its maximum and one past it, 127 and 128 (signed-byte arithmetic), 0xFFFF
/// (at address 0); the address wrap (0xFFFF with one unit, with two, with the maximum
/// quantity: address + quantity past 65536); single writes at 0xFFFF with edge values; file
/// record lengths and numbers at their limits; device identification codes past theirs.
fn limit_cases(messages: &[MessageDef]) -> Vec<LimitCase> {
    let def = |code: u16| messages.iter().position(|m| m.code == code);
    let mut out = Vec::new();
    let mut add = |code: u16, field: &'static str, set: Vec<(&'static str, u64)>| {
        if let Some(d) = def(code) {
            out.push(LimitCase { def: d, set, field });
        }
    };
    for (code, max) in [
        (1u16, 2000u64),
        (2, 2000),
        (3, 125),
        (4, 125),
        (15, 1968),
        (16, 123),
    ] {
        for q in [0, 1, max, max + 1, 127, 128, 0xFFFF] {
            add(
                code,
                "quantity",
                vec![("start_address", 0), ("quantity", q)],
            );
        }
        for q in [1, 2, max] {
            add(
                code,
                "start_address",
                vec![("start_address", 0xFFFF), ("quantity", q)],
            );
        }
        add(
            code,
            "start_address",
            vec![("start_address", 0x1_0000 - max), ("quantity", max)],
        );
    }
    for q in [0, 1, 125, 126, 127, 128] {
        add(
            23,
            "quantity_to_read",
            vec![
                ("read_starting_address", 0),
                ("quantity_to_read", q),
                ("write_starting_address", 0),
                ("quantity", 1),
            ],
        );
    }
    for q in [0, 1, 121, 122, 127, 128] {
        add(
            23,
            "quantity",
            vec![
                ("read_starting_address", 0),
                ("quantity_to_read", 1),
                ("write_starting_address", 0),
                ("quantity", q),
            ],
        );
    }
    add(
        23,
        "read_starting_address",
        vec![("read_starting_address", 0xFFFF), ("quantity_to_read", 2)],
    );
    add(
        23,
        "write_starting_address",
        vec![("write_starting_address", 0xFFFF), ("quantity", 2)],
    );
    for v in [0x0000, 0xFF00, 0x00FF, 0xFFFF, 0x0001] {
        add(
            5,
            "output_value",
            vec![("output_address", 0xFFFF), ("output_value", v)],
        );
    }
    for v in [0, 0x7FFF, 0x8000, 0xFFFF] {
        add(
            6,
            "register_value",
            vec![("register_address", 0xFFFF), ("register_value", v)],
        );
    }
    add(22, "reference_address", vec![("reference_address", 0xFFFF)]);
    add(
        24,
        "fifo_pointer_address",
        vec![("fifo_pointer_address", 0xFFFF)],
    );
    for (code, max) in [(20u16, 120u64), (21, 60)] {
        for l in [0, 1, max, max + 1, 127, 128] {
            add(code, "record_length", vec![("record_length", l)]);
        }
        for r in [0x270F, 0x2710, 0xFFFF] {
            add(code, "record_number", vec![("record_number", r)]);
        }
        add(code, "file_number", vec![("file_number", 0)]);
    }
    for c in [0, 4, 5, 0xFF] {
        add(43, "read_device_id_code", vec![("read_device_id_code", c)]);
    }
    for o in [0x7F, 0x80, 0xFF] {
        add(43, "object_id", vec![("object_id", o)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{mutate, MutationClass};
    use crate::rng::Rng;

    #[test]
    fn generated_requests_are_valid_and_framed() {
        let m = Modbus::new(1);
        let mut rng = Rng::new(7);
        for (i, def) in m.messages().iter().enumerate() {
            for seq in 0..50u64 {
                let mut msg = def.generate(i, &mut rng);
                m.prepare(&mut msg, seq);
                let (b, _) = def.encode(&msg);
                let len = usize::from(u16::from_be_bytes([b[4], b[5]]));
                assert_eq!(len, b.len() - 6, "{}", def.name);
                assert_eq!(b[6], 1);
                assert_eq!(u16::from(b[7]), def.code);
                assert_eq!(
                    required_exception(&b[7..]),
                    None,
                    "{}: {:02X?}",
                    def.name,
                    b
                );
                assert!(b.len() <= 260, "{} is {} bytes", def.name, b.len());
            }
        }
        assert_eq!(m.messages().len(), 19);
    }

    #[test]
    fn fc16_byte_count_follows_quantity() {
        let m = Modbus::new(1);
        let i = m
            .messages()
            .iter()
            .position(|d| d.code == 16)
            .expect("fc16");
        let def = &m.messages()[i];
        let mut rng = Rng::new(1);
        let msg = def.generate(i, &mut rng);
        let (b, _) = def.encode(&msg);
        let q = u16::from_be_bytes([b[10], b[11]]);
        assert_eq!(usize::from(b[12]), 2 * usize::from(q));
        assert_eq!(b.len(), 13 + 2 * usize::from(q));
    }

    #[test]
    fn oracle_flags_normal_answers_to_invalid_requests_and_bad_frames() {
        let m = Modbus::new(1);
        // FC3 quantity 0: the specification requires exception 03.
        let req = [0, 9, 0, 0, 0, 6, 1, 3, 0, 0, 0, 0];
        let normal = [0, 9, 0, 0, 0, 3, 1, 3, 0];
        assert!(m
            .check(&req, false, &normal)
            .is_some_and(|s| s.contains("exception 03")));
        let exc = [0, 9, 0, 0, 0, 3, 1, 0x83, 3];
        assert_eq!(m.check(&req, false, &exc), None);
        let bad_exc = [0, 9, 0, 0, 0, 3, 1, 0x83, 0x42];
        assert!(m.check(&req, false, &bad_exc).is_some());
        let wrong_tid = [0, 8, 0, 0, 0, 3, 1, 0x83, 3];
        assert!(m
            .check(&req, false, &wrong_tid)
            .is_some_and(|s| s.contains("transaction id")));
        let ok_req = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2];
        let ok = [0, 1, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2];
        assert_eq!(m.check(&ok_req, true, &ok), None);
        let short = [0, 1, 0, 0, 0, 5, 1, 3, 2, 0, 1];
        assert!(m.check(&ok_req, true, &short).is_some());
        assert_eq!(m.frame_len(&[0, 1, 0, 0, 0, 3, 1, 0x83]), Ok(None));
        assert_eq!(m.frame_len(&[0, 1, 0, 0, 0, 3, 1, 0x83, 2]), Ok(Some(9)));
        assert!(m.frame_len(&[0, 1, 0, 0, 0xFF, 0xFF]).is_err());
    }

    #[test]
    fn every_mutation_class_produces_bytes_and_names_its_field() {
        let m = Modbus::new(1);
        let mut rng = Rng::new(99);
        for (i, def) in m.messages().iter().enumerate() {
            for class in MutationClass::ALL {
                let mut msg = def.generate(i, &mut rng);
                m.prepare(&mut msg, 1);
                let (b, field, _) = mutate(def, &msg, class, &mut rng);
                assert!(!field.is_empty());
                assert!(b.len() < 600, "{} {class:?}", def.name);
                if class == MutationClass::LengthMismatch {
                    let (orig, _) = def.encode(&msg);
                    assert_ne!(b, orig, "{} length mismatch changed nothing", def.name);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_case_of_any_seed_builds(seed in proptest::num::u64::ANY, index in 0u64..1_000_000) {
            let m = Modbus::new(1);
            let c = crate::campaign::build_case(&m, seed, index);
            proptest::prop_assert!(c.bytes.len() < 700);
            proptest::prop_assert_eq!(c, crate::campaign::build_case(&m, seed, index));
        }

        #[test]
        fn the_oracle_and_framer_never_panic(req in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                                             resp in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            let m = Modbus::new(1);
            let _ = m.check(&req, false, &resp);
            let _ = m.frame_len(&resp);
            let _ = parse_device_id(&resp);
            // A framed request with a plausible echo: the content checks run too.
            let mut r2 = resp.clone();
            if req.len() >= 8 && r2.len() >= 9 {
                r2[..2].copy_from_slice(&req[..2]);
                r2[2] = 0; r2[3] = 0;
                let l = (r2.len() - 6) as u16;
                r2[4..6].copy_from_slice(&l.to_be_bytes());
                r2[6] = req[6]; r2[7] = req[7];
                let mut q2 = req.clone();
                q2[2] = 0; q2[3] = 0;
                let lq = (q2.len() - 6) as u16;
                q2[4..6].copy_from_slice(&lq.to_be_bytes());
                let _ = m.check(&q2, false, &r2);
            }
        }
    }

    #[test]
    fn device_identification_parses() {
        let resp = [
            0, 1, 0, 0, 0, 0x18, 1, 43, 14, 1, 1, 0, 0, 2, 0, 4, b'A', b'c', b'm', b'e', 1, 3,
            b'R', b'T', b'U',
        ];
        assert_eq!(
            parse_device_id(&resp),
            vec![(0, "Acme".to_string()), (1, "RTU".to_string())]
        );
        assert!(parse_device_id(&[1, 2, 3]).is_empty());
        let hostile = "ACME\u{1b}[2K\r\u{1b}[32mok all checks passed\n\u{9b}";
        let q = quote_identity(hostile);
        assert!(!q.chars().any(char::is_control), "{q}");
        assert!(q.contains("\\x1b[2K"), "{q}");
        let long = "x".repeat(255);
        assert_eq!(quote_identity(&long), long);
    }
}
