//! MQTT 5.0 properties (OASIS Standard, 7 March 2019, 2.2.2): a property length (variable
//! byte integer), then properties, each an identifier (a variable byte integer; every
//! defined one fits one byte) and a value of the identifier's type.
//!
//! [`decode`] tells apart what the specification calls a Malformed Packet (an identifier
//! not valid for the packet, a value not of its type, a length that runs past the packet:
//! 2.2.2.2) from a Protocol Error (a property given twice where it may appear once, a
//! value out of its range), because a broker must close the connection on both
//! ([MQTT-4.13.1-1]) but names different reason codes.

use crate::model::decode_varint;

/// Wire type of a property value (1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropType {
    /// One byte.
    Byte,
    /// Two-byte integer, big-endian.
    U16,
    /// Four-byte integer, big-endian.
    U32,
    /// Variable byte integer.
    VarInt,
    /// UTF-8 encoded string (two-byte length, then text).
    Utf8,
    /// Binary data (two-byte length, then bytes).
    Binary,
    /// UTF-8 string pair (user property).
    Pair,
}

/// Packets that carry properties, for the "valid in" column of the property table (2.2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    /// CONNECT (its properties, not the will's).
    Connect,
    /// The will properties in a CONNECT payload.
    Will,
    /// CONNACK.
    Connack,
    /// PUBLISH.
    Publish,
    /// PUBACK, PUBREC, PUBREL, PUBCOMP.
    Ack,
    /// SUBSCRIBE.
    Subscribe,
    /// SUBACK.
    Suback,
    /// UNSUBSCRIBE.
    Unsubscribe,
    /// UNSUBACK.
    Unsuback,
    /// DISCONNECT.
    Disconnect,
    /// AUTH.
    Auth,
}

/// A property identifier: its name, type, whether it may repeat, and where it is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropDef {
    /// Identifier.
    pub id: u8,
    /// Name as in the specification.
    pub name: &'static str,
    /// Value type.
    pub ty: PropType,
    /// May appear more than once (User Property; Subscription Identifier in a PUBLISH sent
    /// to a client).
    pub repeats: bool,
    /// Packets it is valid in.
    pub valid_in: &'static [Packet],
}

use Packet::*;
use PropType::*;

/// The property table of MQTT 5.0 (2.2.2.2).
pub const PROPERTIES: &[PropDef] = &[
    p(
        0x01,
        "Payload Format Indicator",
        Byte,
        false,
        &[Publish, Will],
    ),
    p(
        0x02,
        "Message Expiry Interval",
        U32,
        false,
        &[Publish, Will],
    ),
    p(0x03, "Content Type", Utf8, false, &[Publish, Will]),
    p(0x08, "Response Topic", Utf8, false, &[Publish, Will]),
    p(0x09, "Correlation Data", Binary, false, &[Publish, Will]),
    p(
        0x0B,
        "Subscription Identifier",
        VarInt,
        true,
        &[Publish, Subscribe],
    ),
    p(
        0x11,
        "Session Expiry Interval",
        U32,
        false,
        &[Connect, Connack, Disconnect],
    ),
    p(0x12, "Assigned Client Identifier", Utf8, false, &[Connack]),
    p(0x13, "Server Keep Alive", U16, false, &[Connack]),
    p(
        0x15,
        "Authentication Method",
        Utf8,
        false,
        &[Connect, Connack, Auth],
    ),
    p(
        0x16,
        "Authentication Data",
        Binary,
        false,
        &[Connect, Connack, Auth],
    ),
    p(0x17, "Request Problem Information", Byte, false, &[Connect]),
    p(0x18, "Will Delay Interval", U32, false, &[Will]),
    p(
        0x19,
        "Request Response Information",
        Byte,
        false,
        &[Connect],
    ),
    p(0x1A, "Response Information", Utf8, false, &[Connack]),
    p(
        0x1C,
        "Server Reference",
        Utf8,
        false,
        &[Connack, Disconnect],
    ),
    p(
        0x1F,
        "Reason String",
        Utf8,
        false,
        &[Connack, Ack, Suback, Unsuback, Disconnect, Auth],
    ),
    p(0x21, "Receive Maximum", U16, false, &[Connect, Connack]),
    p(0x22, "Topic Alias Maximum", U16, false, &[Connect, Connack]),
    p(0x23, "Topic Alias", U16, false, &[Publish]),
    p(0x24, "Maximum QoS", Byte, false, &[Connack]),
    p(0x25, "Retain Available", Byte, false, &[Connack]),
    p(
        0x26,
        "User Property",
        Pair,
        true,
        &[
            Connect,
            Will,
            Connack,
            Publish,
            Ack,
            Subscribe,
            Suback,
            Unsubscribe,
            Unsuback,
            Disconnect,
            Auth,
        ],
    ),
    p(0x27, "Maximum Packet Size", U32, false, &[Connect, Connack]),
    p(
        0x28,
        "Wildcard Subscription Available",
        Byte,
        false,
        &[Connack],
    ),
    p(
        0x29,
        "Subscription Identifier Available",
        Byte,
        false,
        &[Connack],
    ),
    p(
        0x2A,
        "Shared Subscription Available",
        Byte,
        false,
        &[Connack],
    ),
];

const fn p(
    id: u8,
    name: &'static str,
    ty: PropType,
    repeats: bool,
    valid_in: &'static [Packet],
) -> PropDef {
    PropDef {
        id,
        name,
        ty,
        repeats,
        valid_in,
    }
}

/// The definition of property `id`.
pub fn def(id: u64) -> Option<&'static PropDef> {
    PROPERTIES.iter().find(|d| u64::from(d.id) == id)
}

/// A decoded property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropValue {
    /// Byte, two-byte, four-byte or variable byte integer.
    Int(u64),
    /// UTF-8 string or binary data.
    Bytes(Vec<u8>),
    /// A string pair.
    Pair(Vec<u8>, Vec<u8>),
}

/// One decoded property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Identifier.
    pub id: u8,
    /// Value.
    pub value: PropValue,
}

/// Why a property block is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropError {
    /// A Malformed Packet (reason code 0x81), with why and the normative reference.
    Malformed(String),
    /// A Protocol Error (reason code 0x82 or a more specific one), with why.
    Protocol(String),
}

impl PropError {
    /// The explanation.
    pub fn why(&self) -> &str {
        match self {
            PropError::Malformed(s) | PropError::Protocol(s) => s,
        }
    }
}

/// The properties of a packet and the index after them.
pub type Decoded = (Vec<Property>, usize);

fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// A length-prefixed field at `i`: (bytes, index after), or `None` when it runs past `b`.
fn prefixed(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let n = usize::from(be16(b, i)?);
    Some((b.get(i + 2..i + 2 + n)?, i + 2 + n))
}

/// A UTF-8 string as MQTT 5.0 allows it (1.5.4): well-formed UTF-8, no U+0000
/// ([MQTT-1.5.4-1], [MQTT-1.5.4-2]).
pub fn utf8_ok(b: &[u8]) -> bool {
    std::str::from_utf8(b).is_ok_and(|s| !s.contains('\0'))
}

/// Decode the property block (length, then properties) at `i` of `buf` for packet `pk`.
pub fn decode(buf: &[u8], i: usize, pk: Packet) -> Result<Decoded, PropError> {
    let mal = |s: &str| PropError::Malformed(s.to_string());
    let (len, used) = match decode_varint(buf.get(i..).unwrap_or(&[])) {
        Ok(Some(x)) => x,
        Ok(None) => return Err(mal("property length runs past the packet (2.2.2.1)")),
        Err(_) => return Err(mal("property length over 4 bytes ([MQTT-1.5.5-1])")),
    };
    let start = i + used;
    let end = usize::try_from(len)
        .ok()
        .and_then(|l| start.checked_add(l))
        .filter(|e| *e <= buf.len())
        .ok_or_else(|| mal("property length runs past the packet (2.2.2.1)"))?;
    let block = &buf[start..end];
    let mut out: Vec<Property> = Vec::new();
    let mut j = 0;
    while j < block.len() {
        let (id, used) = match decode_varint(&block[j..]) {
            Ok(Some(x)) => x,
            _ => return Err(mal("property identifier cut short (2.2.2.2)")),
        };
        j += used;
        let d = def(id).ok_or_else(|| {
            PropError::Malformed(format!(
                "property identifier 0x{id:02X} is not defined (2.2.2.2)"
            ))
        })?;
        if !d.valid_in.contains(&pk) {
            return Err(PropError::Malformed(format!(
                "{} (0x{:02X}) is not valid in this packet (2.2.2.2)",
                d.name, d.id
            )));
        }
        let short = || PropError::Malformed(format!("{} value cut short (2.2.2.2)", d.name));
        let (value, next) = match d.ty {
            Byte => (
                PropValue::Int(u64::from(*block.get(j).ok_or_else(short)?)),
                j + 1,
            ),
            U16 => (
                PropValue::Int(u64::from(be16(block, j).ok_or_else(short)?)),
                j + 2,
            ),
            U32 => {
                let b = block.get(j..j + 4).ok_or_else(short)?;
                (
                    PropValue::Int(u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
                    j + 4,
                )
            }
            VarInt => match decode_varint(&block[j..]) {
                Ok(Some((v, n))) => (PropValue::Int(v), j + n),
                _ => return Err(short()),
            },
            Utf8 | Binary => {
                let (b, next) = prefixed(block, j).ok_or_else(short)?;
                if d.ty == Utf8 && !utf8_ok(b) {
                    return Err(PropError::Malformed(format!(
                        "{} is not a well-formed UTF-8 string ([MQTT-1.5.4-1])",
                        d.name
                    )));
                }
                (PropValue::Bytes(b.to_vec()), next)
            }
            Pair => {
                let (k, next) = prefixed(block, j).ok_or_else(short)?;
                let (v, next) = prefixed(block, next).ok_or_else(short)?;
                if !utf8_ok(k) || !utf8_ok(v) {
                    return Err(mal(
                        "User Property is not a well-formed UTF-8 string pair ([MQTT-1.5.4-1])",
                    ));
                }
                (PropValue::Pair(k.to_vec(), v.to_vec()), next)
            }
        };
        // A Subscription Identifier may repeat only in a PUBLISH to a client (3.3.2.3.8).
        let repeats = d.repeats && !(d.id == 0x0B && pk != Publish);
        if !repeats && out.iter().any(|p| p.id == d.id) {
            return Err(PropError::Protocol(format!(
                "{} (0x{:02X}) included more than once (2.2.2.2)",
                d.name, d.id
            )));
        }
        if let Some(why) = range_error(d, &value) {
            return Err(PropError::Protocol(why));
        }
        out.push(Property { id: d.id, value });
        j = next;
    }
    Ok((out, end))
}

/// A value out of its property's range: a Protocol Error per its section.
fn range_error(d: &PropDef, v: &PropValue) -> Option<String> {
    let PropValue::Int(n) = v else {
        return None;
    };
    let n = *n;
    match d.id {
        0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A if n > 1 => {
            Some(format!("{} of {n}: only 0 or 1 allowed (2.2.2.2)", d.name))
        }
        0x0B if n == 0 => {
            Some("Subscription Identifier of 0 is a Protocol Error (3.8.2.1.2)".into())
        }
        0x23 if n == 0 => {
            Some("Topic Alias of 0 is a Protocol Error ([MQTT-3.3.2-8], 3.3.2.3.4)".into())
        }
        0x21 | 0x27 if n == 0 => Some(format!("{} of 0 is a Protocol Error (3.1.2.11)", d.name)),
        _ => None,
    }
}

/// The integer value of property `id` in `props`.
pub fn int(props: &[Property], id: u8) -> Option<u64> {
    props.iter().find_map(|p| match (&p.value, p.id == id) {
        (PropValue::Int(v), true) => Some(*v),
        _ => None,
    })
}

/// Encode properties (identifier, value) as a property block (length first).
pub fn encode(props: &[Property]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in props {
        body.push(p.id);
        let ty = def(u64::from(p.id)).map_or(Binary, |d| d.ty);
        match (&p.value, ty) {
            (PropValue::Int(v), Byte) => body.push(*v as u8),
            (PropValue::Int(v), U16) => body.extend_from_slice(&(*v as u16).to_be_bytes()),
            (PropValue::Int(v), U32) => body.extend_from_slice(&(*v as u32).to_be_bytes()),
            (PropValue::Int(v), _) => body.extend(crate::model::encode_varint(*v)),
            (PropValue::Bytes(b), _) => {
                body.extend_from_slice(&(b.len() as u16).to_be_bytes());
                body.extend_from_slice(b);
            }
            (PropValue::Pair(k, v), _) => {
                body.extend_from_slice(&(k.len() as u16).to_be_bytes());
                body.extend_from_slice(k);
                body.extend_from_slice(&(v.len() as u16).to_be_bytes());
                body.extend_from_slice(v);
            }
        }
    }
    let mut out = crate::model::encode_varint(body.len() as u64);
    out.extend(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(b: &[u8]) -> Vec<u8> {
        let mut v = crate::model::encode_varint(b.len() as u64);
        v.extend_from_slice(b);
        v
    }

    #[test]
    fn decodes_each_type_and_tells_malformed_from_protocol_errors() {
        let b = block(&[
            0x01, 1, 0x02, 0, 0, 0, 60, 0x23, 0, 5, 0x26, 0, 1, b'k', 0, 1, b'v',
        ]);
        let (props, end) = decode(&b, 0, Publish).expect("valid");
        assert_eq!(end, b.len());
        assert_eq!(int(&props, 0x02), Some(60));
        assert_eq!(int(&props, 0x23), Some(5));
        assert_eq!(props.len(), 4);
        // Repeated user properties are allowed; a repeated Payload Format Indicator is not.
        let b = block(&[0x26, 0, 0, 0, 0, 0x26, 0, 0, 0, 0]);
        assert!(decode(&b, 0, Publish).is_ok());
        let b = block(&[0x01, 0, 0x01, 1]);
        assert!(matches!(
            decode(&b, 0, Publish),
            Err(PropError::Protocol(_))
        ));
        // Not valid in the packet, undefined, cut short: malformed.
        let b = block(&[0x11, 0, 0, 0, 0]);
        assert!(matches!(
            decode(&b, 0, Publish),
            Err(PropError::Malformed(_))
        ));
        assert!(matches!(
            decode(&block(&[0x7F, 0]), 0, Publish),
            Err(PropError::Malformed(_))
        ));
        assert!(matches!(
            decode(&block(&[0x02, 0, 0]), 0, Publish),
            Err(PropError::Malformed(_))
        ));
        assert!(matches!(
            decode(&[5, 1], 0, Publish),
            Err(PropError::Malformed(_))
        ));
        // Out of range: a protocol error.
        assert!(matches!(
            decode(&block(&[0x01, 2]), 0, Publish),
            Err(PropError::Protocol(_))
        ));
        assert!(matches!(
            decode(&block(&[0x0B, 0]), 0, Subscribe),
            Err(PropError::Protocol(_))
        ));
        // Subscription identifiers repeat only in a PUBLISH.
        assert!(decode(&block(&[0x0B, 1, 0x0B, 2]), 0, Publish).is_ok());
        assert!(matches!(
            decode(&block(&[0x0B, 1, 0x0B, 2]), 0, Subscribe),
            Err(PropError::Protocol(_))
        ));
        // Invalid UTF-8 in a string.
        assert!(matches!(
            decode(&block(&[0x03, 0, 1, 0xFF]), 0, Publish),
            Err(PropError::Malformed(_))
        ));
        assert_eq!(decode(&[0], 0, Ack), Ok((vec![], 1)));
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics_and_stays_in_bounds(b in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
                                                  at in 0usize..8) {
            for pk in [Connect, Will, Connack, Publish, Ack, Subscribe, Suback, Unsubscribe, Unsuback, Disconnect, Auth] {
                if let Ok((_, end)) = decode(&b, at, pk) {
                    proptest::prop_assert!(end <= b.len());
                }
            }
        }

        #[test]
        fn encoded_properties_decode_to_themselves(ids in proptest::collection::vec(0usize..PROPERTIES.len(), 0..6),
                                                   v in 1u64..200) {
            // Distinct, valid-in-PUBLISH properties with in-range values.
            let mut props: Vec<Property> = Vec::new();
            for i in ids {
                let d = &PROPERTIES[i];
                if !d.valid_in.contains(&Publish) || props.iter().any(|p| p.id == d.id) {
                    continue;
                }
                let value = match d.ty {
                    Byte => PropValue::Int(v % 2),
                    U16 | U32 | VarInt => PropValue::Int(v),
                    Utf8 | Binary => PropValue::Bytes(b"otproof".to_vec()),
                    Pair => PropValue::Pair(b"k".to_vec(), b"v".to_vec()),
                };
                props.push(Property { id: d.id, value });
            }
            let b = encode(&props);
            proptest::prop_assert_eq!(decode(&b, 0, Publish), Ok((props, b.len())));
        }
    }
}
