//! Protocol models as data: messages are lists of typed fields with value domains and rules
//! that tie length and count fields to other fields. The engine generates, mutates and
//! encodes messages without knowing the protocol.

pub use crate::feedback::{AddressSpace, Addressing, LimitCase, Observation};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Wire type of a field (big-endian integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldType {
    /// One byte.
    U8,
    /// Two bytes, big-endian.
    U16,
    /// Four bytes, big-endian.
    U32,
    /// A byte string.
    Bytes,
    /// A variable-length integer, 7 bits per byte, least significant group first, the top bit
    /// saying another byte follows (the MQTT remaining length): 1 to 4 bytes for values up to
    /// 268,435,455; larger values (mutations) are written with more bytes, as malformed input.
    VarInt,
}

impl FieldType {
    /// Width in bytes of an integer type.
    pub fn width(self) -> usize {
        match self {
            FieldType::U8 => 1,
            FieldType::U16 => 2,
            FieldType::U32 => 4,
            FieldType::Bytes => 0,
            FieldType::VarInt => 1,
        }
    }

    /// Largest value of an integer type.
    pub fn max(self) -> u64 {
        match self {
            FieldType::U8 => 0xff,
            FieldType::U16 => 0xffff,
            FieldType::U32 => 0xffff_ffff,
            FieldType::Bytes => 0,
            FieldType::VarInt => VARINT_MAX,
        }
    }

    /// The bytes of integer `v` in this type (big-endian, or the variable-length encoding).
    pub fn encode_int(self, v: u64) -> Vec<u8> {
        match self {
            FieldType::VarInt => encode_varint(v),
            FieldType::Bytes => Vec::new(),
            _ => v.to_be_bytes()[8 - self.width()..].to_vec(),
        }
    }
}

/// The largest value a 4-byte variable-length integer holds.
pub const VARINT_MAX: u64 = 268_435_455;

/// Encode a variable-length integer (see [`FieldType::VarInt`]).
pub fn encode_varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(4);
    loop {
        let mut b = (v % 128) as u8;
        v /= 128;
        if v > 0 {
            b |= 0x80;
        }
        out.push(b);
        if v == 0 {
            return out;
        }
    }
}

/// Decode a variable-length integer from the start of `buf`: `Ok(None)` when more bytes are
/// needed, `Ok(Some((value, bytes used)))`, or `Err` when it runs over 4 bytes.
pub fn decode_varint(buf: &[u8]) -> Result<Option<(u64, usize)>, String> {
    let mut v = 0u64;
    for i in 0..4 {
        let Some(&b) = buf.get(i) else {
            return Ok(None);
        };
        v |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((v, i + 1)));
        }
    }
    Err("variable-length integer runs over 4 bytes".into())
}

/// The valid values of a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Domain {
    /// Anything the type holds.
    Any,
    /// An inclusive range.
    Range(u64, u64),
    /// One of these values.
    OneOf(Vec<u64>),
    /// Exactly this value (function codes, protocol identifiers).
    Const(u64),
}

/// How a field's value follows from other fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Rule {
    /// Chosen freely within its domain.
    Free,
    /// The number of bytes of all fields after this one (e.g. the MBAP length).
    RestLength,
    /// The length in bytes of the named byte field.
    ByteLengthOf(&'static str),
    /// A checksum (a two-byte integer field) over the encoded bytes from the start of the
    /// first named field to the end of the second, written least significant byte first as
    /// Modbus RTU and DNP3 put CRCs on the wire. A fixed value is written the same way, so a
    /// mutation can keep a wrong CRC on purpose.
    Crc {
        /// The CRC.
        algorithm: CrcAlgorithm,
        /// First and last field covered (inclusive, in wire order).
        over: (&'static str, &'static str),
    },
    /// On a byte field: its bytes are written in blocks of `block` bytes (the last may be
    /// shorter), each followed by its two-byte CRC, least significant byte first (DNP3 link
    /// frames: 16-byte blocks with CRC-16/DNP). Length rules of other fields see the bytes as
    /// written (CRCs included). A fixed byte field is written as is (its CRCs are the
    /// mutation's).
    CrcBlocks {
        /// The CRC after each block.
        algorithm: CrcAlgorithm,
        /// Data bytes per block (0: one block).
        block: usize,
    },
}

/// A CRC of a derived checksum field ([`Rule::Crc`], [`Rule::CrcBlocks`]), computed with the
/// `crc` crate's catalogue (parameters from the CRC RevEng catalogue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrcAlgorithm {
    /// CRC-16/DNP (DNP3 link layer; check value 0xEA82).
    Dnp,
    /// CRC-16/MODBUS (Modbus RTU; check value 0x4B37).
    Modbus,
}

const CRC_DNP: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_DNP);
const CRC_MODBUS: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_MODBUS);

impl CrcAlgorithm {
    /// The CRC of `data`.
    pub fn checksum(self, data: &[u8]) -> u16 {
        match self {
            CrcAlgorithm::Dnp => CRC_DNP.checksum(data),
            CrcAlgorithm::Modbus => CRC_MODBUS.checksum(data),
        }
    }

    /// `data` split into blocks of `block` bytes (0: one block), each followed by its CRC,
    /// least significant byte first.
    pub fn blocks(self, data: &[u8], block: usize) -> Vec<u8> {
        let block = if block == 0 { data.len().max(1) } else { block };
        let mut out = Vec::with_capacity(data.len() + 2 * data.len().div_ceil(block));
        for chunk in data.chunks(block) {
            out.extend_from_slice(chunk);
            out.extend_from_slice(&self.checksum(chunk).to_le_bytes());
        }
        out
    }
}

/// Bytes a field with CRC blocks takes on the wire for `n` data bytes.
fn blocked_len(n: usize, block: usize) -> usize {
    let block = if block == 0 { n.max(1) } else { block };
    n + 2 * n.div_ceil(block)
}

/// The length of a byte field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BytesLen {
    /// Between these lengths.
    Between(usize, usize),
    /// One bit per unit of the named count field, rounded up to bytes (coils).
    BitsOf(&'static str),
    /// Two bytes per unit of the named count field (registers).
    WordsOf(&'static str),
    /// `multiplier` bytes per unit of the named count field.
    Per(&'static str, usize),
    /// One of these texts (topic names, filters: valid values a random string rarely is).
    Choice(&'static [&'static str]),
}

/// One field of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDef {
    /// Name, unique within the message (`function`, `quantity`, `byte_count`...).
    pub name: &'static str,
    /// Wire type.
    pub ty: FieldType,
    /// Valid values (integers).
    pub domain: Domain,
    /// Dependency on other fields.
    pub rule: Rule,
    /// Length of a byte field.
    pub len: Option<BytesLen>,
}

impl FieldDef {
    /// A free integer field.
    pub fn int(name: &'static str, ty: FieldType, domain: Domain) -> FieldDef {
        FieldDef {
            name,
            ty,
            domain,
            rule: Rule::Free,
            len: None,
        }
    }

    /// A field computed from others.
    pub fn derived(name: &'static str, ty: FieldType, rule: Rule) -> FieldDef {
        FieldDef {
            name,
            ty,
            domain: Domain::Any,
            rule,
            len: None,
        }
    }

    /// A byte field.
    pub fn bytes(name: &'static str, len: BytesLen) -> FieldDef {
        FieldDef {
            name,
            ty: FieldType::Bytes,
            domain: Domain::Any,
            rule: Rule::Free,
            len: Some(len),
        }
    }

    /// Lowest and highest valid values.
    pub fn bounds(&self) -> (u64, u64) {
        match &self.domain {
            Domain::Any => (0, self.ty.max()),
            Domain::Range(a, b) => (*a, *b),
            Domain::OneOf(v) => (
                v.iter().copied().min().unwrap_or(0),
                v.iter().copied().max().unwrap_or(0),
            ),
            Domain::Const(c) => (*c, *c),
        }
    }

    /// Is `v` a valid value?
    pub fn accepts(&self, v: u64) -> bool {
        match &self.domain {
            Domain::Any => v <= self.ty.max(),
            Domain::Range(a, b) => (*a..=*b).contains(&v),
            Domain::OneOf(vals) => vals.contains(&v),
            Domain::Const(c) => v == *c,
        }
    }
}

/// A message type of a protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageDef {
    /// Short name, e.g. `FC03 read holding registers`.
    pub name: String,
    /// The protocol's code for it (e.g. the Modbus function code).
    pub code: u16,
    /// Fields in wire order (including any framing header).
    pub fields: Vec<FieldDef>,
}

/// A field's value in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    /// An integer.
    Int(u64),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// A concrete message: one value per field, and which derived fields were overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Index of its definition in the model.
    pub def: usize,
    /// Values, one per field.
    pub values: Vec<Value>,
    /// Fields whose value must be written as is, even if a rule would compute it.
    pub fixed: Vec<bool>,
}

/// A field's position in an encoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Field name.
    pub name: &'static str,
    /// Start offset.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
}

impl MessageDef {
    /// Index of a field by name.
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    fn count(&self, values: &[Value], name: &str) -> u64 {
        self.field(name)
            .and_then(|i| match &values[i] {
                Value::Int(v) => Some(*v),
                Value::Bytes(_) => None,
            })
            .unwrap_or(0)
    }

    /// A valid message with random values.
    pub fn generate(&self, def: usize, rng: &mut Rng) -> Message {
        let mut values: Vec<Value> = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            let v = match (&f.ty, &f.rule) {
                (FieldType::Bytes, _) => Value::Bytes(Vec::new()),
                (_, Rule::Free) => Value::Int(match &f.domain {
                    Domain::Any => rng.below(f.ty.max().saturating_add(1)),
                    Domain::Range(a, b) => {
                        // Favour small counts: many devices have few registers.
                        if b - a > 16 && rng.chance(0.7) {
                            a + rng.below(16)
                        } else {
                            a + rng.below(b - a + 1)
                        }
                    }
                    Domain::OneOf(v) => v[rng.below(v.len() as u64) as usize],
                    Domain::Const(c) => *c,
                }),
                _ => Value::Int(0),
            };
            values.push(v);
        }
        // Byte fields follow their count fields.
        for (i, f) in self.fields.iter().enumerate() {
            if let Some(len) = &f.len {
                let n = match len {
                    BytesLen::Between(a, b) => a + rng.below((b - a + 1) as u64) as usize,
                    BytesLen::BitsOf(c) => self.count(&values, c).div_ceil(8) as usize,
                    BytesLen::WordsOf(c) => 2 * self.count(&values, c) as usize,
                    BytesLen::Per(c, k) => k * self.count(&values, c) as usize,
                    BytesLen::Choice(texts) => {
                        let t = texts.get(rng.below(texts.len() as u64) as usize);
                        values[i] = Value::Bytes(t.map_or(Vec::new(), |t| t.as_bytes().to_vec()));
                        continue;
                    }
                };
                values[i] = Value::Bytes(rng.bytes(n));
            }
        }
        Message {
            def,
            fixed: vec![false; values.len()],
            values,
        }
    }

    /// Encode, computing derived fields unless fixed. Returns the bytes and field spans.
    pub fn encode(&self, m: &Message) -> (Vec<u8>, Vec<Span>) {
        let widths: Vec<usize> = self
            .fields
            .iter()
            .zip(&m.values)
            .enumerate()
            .map(|(i, (f, v))| match (v, &f.rule) {
                (Value::Bytes(b), Rule::CrcBlocks { block, .. }) if !m.fixed[i] => {
                    blocked_len(b.len(), *block)
                }
                (Value::Bytes(b), _) => b.len(),
                (Value::Int(v), _) if f.ty == FieldType::VarInt => encode_varint(*v).len(),
                (Value::Int(_), Rule::Crc { .. }) => 2,
                (Value::Int(_), _) => f.ty.width(),
            })
            .collect();
        let mut out = Vec::with_capacity(widths.iter().sum());
        let mut spans = Vec::with_capacity(self.fields.len());
        for (i, f) in self.fields.iter().enumerate() {
            let start = out.len();
            match &m.values[i] {
                Value::Bytes(b) => match f.rule {
                    Rule::CrcBlocks { algorithm, block } if !m.fixed[i] => {
                        out.extend(algorithm.blocks(b, block));
                    }
                    _ => out.extend_from_slice(b),
                },
                Value::Int(v) if matches!(f.rule, Rule::Crc { .. }) => {
                    // Written in the second pass, once the bytes it covers are known.
                    let v = if m.fixed[i] { *v as u16 } else { 0 };
                    out.extend_from_slice(&v.to_le_bytes());
                }
                Value::Int(v) => {
                    let v = if m.fixed[i] {
                        *v
                    } else {
                        match f.rule {
                            Rule::Free => *v,
                            Rule::RestLength => widths[i + 1..].iter().sum::<usize>() as u64,
                            Rule::ByteLengthOf(name) => {
                                self.field(name).map_or(0, |j| widths[j] as u64)
                            }
                            Rule::Crc { .. } | Rule::CrcBlocks { .. } => *v,
                        }
                    };
                    out.extend_from_slice(&f.ty.encode_int(v));
                }
            }
            spans.push(Span {
                name: f.name,
                start,
                end: out.len(),
            });
        }
        // Checksums over the encoded bytes.
        for (i, f) in self.fields.iter().enumerate() {
            if let (Rule::Crc { algorithm, over }, false) = (&f.rule, m.fixed[i]) {
                let from = self
                    .field(over.0)
                    .and_then(|j| spans.get(j))
                    .map(|s| s.start);
                let to = self.field(over.1).and_then(|j| spans.get(j)).map(|s| s.end);
                let crc = match (from, to) {
                    (Some(a), Some(b)) if a <= b => algorithm.checksum(&out[a..b]),
                    _ => 0,
                };
                if let Some(s) = spans.get(i).filter(|s| s.end - s.start == 2) {
                    out[s.start..s.end].copy_from_slice(&crc.to_le_bytes());
                }
            }
        }
        (out, spans)
    }

    /// The integer a field's encoded bytes hold (a CRC is read least significant byte first,
    /// as it is written; other integers big-endian).
    pub fn read_int(&self, field: usize, bytes: &[u8]) -> u64 {
        match self.fields.get(field).map(|f| &f.rule) {
            Some(Rule::Crc { .. }) => bytes
                .iter()
                .rev()
                .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)),
            _ => bytes.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)),
        }
    }
}

/// What a protocol model provides to the engine.
pub trait ProtocolModel: Send + Sync {
    /// Protocol name, e.g. `modbus-tcp`.
    fn name(&self) -> &'static str;
    /// Its message types.
    fn messages(&self) -> &[MessageDef];
    /// Prepare a message for sending in a session (e.g. set the transaction id).
    fn prepare(&self, m: &mut Message, seq: u64);
    /// Read one complete response frame from the start of `buf`; `Ok(None)` if more bytes
    /// are needed; `Err` if the bytes can never be a valid frame.
    fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, String>;
    /// Judge a response to a request: `None` if it conforms, else what is wrong.
    fn check(&self, request: &[u8], request_valid: bool, response: &[u8]) -> Option<String>;
    /// For a well-framed request the specification requires an answer to (typically an
    /// exception), why; `None` when silence or closing the connection is acceptable.
    fn required_answer(&self, request: &[u8]) -> Option<String>;
    /// A known-good request to probe the target's health.
    fn probe(&self, seq: u64) -> Vec<u8>;
    /// Is this a well-formed (any, even exception) answer to the probe?
    fn probe_ok(&self, probe: &[u8], response: &[u8]) -> bool;
    /// A known-good request sent right behind `request` on the same connection, whose answer
    /// cannot be mistaken for an answer to `request` (see `exec::Session::exchange_then`).
    fn sentinel(&self, request: &[u8], seq: u64) -> Vec<u8> {
        let _ = request;
        self.probe(seq)
    }
    /// The key that pairs a request with its answer when several requests are in flight on
    /// one connection (Modbus/TCP: the transaction identifier, which the answer echoes), read
    /// from a request's or an answer's bytes. `None` (the default): answers cannot be paired
    /// with requests, so requests go one at a time.
    fn transaction_key(&self, frame: &[u8]) -> Option<u64> {
        let _ = frame;
        None
    }
    /// `bytes` with the transport framing's length set to match them (Modbus/TCP: the MBAP
    /// length), when the protocol has one and the bytes are long enough to carry it; `None`
    /// otherwise (the default). Used to send malformed contents in a well-formed frame.
    fn reframe(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let _ = bytes;
        None
    }
    /// The message code a request carries, read from its bytes (which may differ from the
    /// message type a mutated case was generated from); `None` when the bytes do not say.
    fn code_of(&self, request: &[u8]) -> Option<u16> {
        let _ = request;
        None
    }
    /// The session prelude: requests sent, in order, right after every new connection
    /// (handshake, association) before any case or probe goes out. Each answer is read and
    /// judged by [`ProtocolModel::prelude_check`]. Recorded in the connection's log, so
    /// exact reproducers hold it. Empty for protocols without a session (Modbus/TCP).
    fn prelude(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }
    /// Does a recorded request sequence already start with a session prelude (as every
    /// connection's record does)? By default: with exactly [`ProtocolModel::prelude`]; a
    /// model whose prelude differs per connection (a fresh client id) recognizes its shape.
    fn starts_with_prelude(&self, seq: &[Vec<u8>]) -> bool {
        seq.starts_with(&self.prelude())
    }
    /// Is `response` the expected answer to prelude step `step`? `Err` says what is wrong.
    fn prelude_check(&self, step: usize, response: &[u8]) -> Result<(), String> {
        let _ = (step, response);
        Ok(())
    }
    /// A frame the target may send at any time that answers no request (e.g. an MQTT broker
    /// delivering a PUBLISH to a subscription); skipped (but recorded) when reading answers.
    fn unsolicited(&self, frame: &[u8]) -> bool {
        let _ = frame;
        false
    }
    /// Whether a case that is not exactly one frame ends its connection: on a byte stream
    /// whose framing has no resynchronisation (MQTT), bytes after the frame would be read
    /// with the next case's and make the target react to that case. Off by default (Modbus
    /// keeps the connection).
    fn fresh_connection_after_unframed(&self) -> bool {
        false
    }
    /// The coverage label of a complete answer: `response` unless the protocol tells a kind
    /// apart (a Modbus exception is `exception`).
    fn answer_label(&self, response: &[u8]) -> &'static str {
        let _ = response;
        "response"
    }
    /// Learning from answers (see [`crate::feedback`]): what the answer `response` to
    /// `request` tells about the target (mapped and unmapped addresses, accepted and rejected
    /// counts, values). Nothing by default.
    fn learn(&self, request: &[u8], response: &[u8]) -> Vec<Observation> {
        let _ = (request, response);
        Vec::new()
    }
    /// The address spaces the protocol's messages address (Modbus: coils, discrete inputs,
    /// holding and input registers), for learning their mapped ranges. None by default.
    fn address_spaces(&self) -> Vec<AddressSpace> {
        Vec::new()
    }
    /// Which fields of which message types address which space. The first entry for a space
    /// is the one discovery reads it with (one unit at a time): a harmless read.
    fn addressing(&self) -> Vec<Addressing> {
        Vec::new()
    }
    /// Protocol limits always tried (quantity limits, address wrap), each a message type and
    /// field values set on a generated message; scheduled early in every campaign.
    fn limit_cases(&self) -> Vec<LimitCase> {
        Vec::new()
    }
}
