//! Mutators: field-aware first (boundaries, off-by-one, lengths that disagree, invalid codes,
//! truncation, extension, repeated and dropped fields, type confusion), then byte-level havoc.
//! Every case says which field and which mutation class it exercises.

use crate::model::{Domain, FieldType, Message, MessageDef, Rule, Value};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// The classes of malformed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MutationClass {
    /// A valid message, unchanged (baseline and state coverage).
    Valid,
    /// Type and domain boundaries: 0, max, domain min and max.
    Boundary,
    /// Just outside the domain: min - 1, max + 1.
    OffByOne,
    /// A length, count or checksum (CRC) field that disagrees with the payload.
    LengthMismatch,
    /// A code or enumerated value the protocol does not define.
    InvalidEnum,
    /// The frame cut short.
    Truncation,
    /// Extra bytes after the frame.
    Extension,
    /// A field repeated.
    RepeatedField,
    /// A field left out.
    DroppedField,
    /// A field written with the wrong width.
    TypeConfusion,
    /// Random byte flips, insertions and deletions.
    Havoc,
}

impl MutationClass {
    /// All classes, in the order campaigns cycle through them.
    pub const ALL: [MutationClass; 11] = [
        MutationClass::Valid,
        MutationClass::Boundary,
        MutationClass::OffByOne,
        MutationClass::LengthMismatch,
        MutationClass::InvalidEnum,
        MutationClass::Truncation,
        MutationClass::Extension,
        MutationClass::RepeatedField,
        MutationClass::DroppedField,
        MutationClass::TypeConfusion,
        MutationClass::Havoc,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            MutationClass::Valid => "valid",
            MutationClass::Boundary => "boundary",
            MutationClass::OffByOne => "off-by-one",
            MutationClass::LengthMismatch => "length-mismatch",
            MutationClass::InvalidEnum => "invalid-enum",
            MutationClass::Truncation => "truncation",
            MutationClass::Extension => "extension",
            MutationClass::RepeatedField => "repeated-field",
            MutationClass::DroppedField => "dropped-field",
            MutationClass::TypeConfusion => "type-confusion",
            MutationClass::Havoc => "havoc",
        }
    }

    /// Does this class make a message invalid by construction?
    pub fn breaks_validity(self) -> bool {
        !matches!(self, MutationClass::Valid | MutationClass::Boundary)
    }
}

/// One test case: the bytes to send and what they exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCase {
    /// Case number within the campaign.
    pub index: u64,
    /// Message type name.
    pub message: String,
    /// Message code (e.g. function code).
    pub code: u16,
    /// The field mutated (`*` for whole-frame mutations).
    pub field: String,
    /// The mutation class.
    pub class: MutationClass,
    /// Whether the bytes are still a valid message of the model.
    pub valid: bool,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Integer fields that a mutation can target (skip byte fields and fixed framing).
fn int_fields(def: &MessageDef) -> Vec<usize> {
    def.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.ty != FieldType::Bytes)
        .map(|(i, _)| i)
        .collect()
}

fn pick(rng: &mut Rng, v: &[usize]) -> Option<usize> {
    if v.is_empty() {
        None
    } else {
        Some(v[rng.below(v.len() as u64) as usize])
    }
}

/// Apply `class` to a valid message. Returns the bytes, the field exercised, and whether the
/// result is still valid.
pub fn mutate(
    def: &MessageDef,
    msg: &Message,
    class: MutationClass,
    rng: &mut Rng,
) -> (Vec<u8>, String, bool) {
    let mut m = msg.clone();
    let ints = int_fields(def);
    match class {
        MutationClass::Valid => {
            let (b, _) = def.encode(&m);
            (b, "*".into(), true)
        }
        MutationClass::Boundary | MutationClass::OffByOne => {
            let free: Vec<usize> = ints
                .iter()
                .copied()
                .filter(|i| def.fields[*i].rule == Rule::Free)
                .collect();
            let Some(i) = pick(rng, &free) else {
                return mutate(def, msg, MutationClass::Havoc, rng);
            };
            let f = &def.fields[i];
            let (lo, hi) = f.bounds();
            let max = f.ty.max();
            let candidates: Vec<u64> = if class == MutationClass::Boundary {
                vec![0, max, lo, hi]
            } else {
                let mut c = Vec::new();
                if lo > 0 {
                    c.push(lo - 1);
                }
                if hi < max {
                    c.push(hi + 1);
                }
                if c.is_empty() {
                    c.push(max);
                }
                c
            };
            let v = candidates[rng.below(candidates.len() as u64) as usize];
            m.values[i] = Value::Int(v);
            m.fixed[i] = true;
            let (b, _) = def.encode(&m);
            (b, f.name.to_string(), f.accepts(v))
        }
        MutationClass::LengthMismatch => {
            let derived: Vec<usize> = ints
                .iter()
                .copied()
                .filter(|i| def.fields[*i].rule != Rule::Free)
                .collect();
            let Some(i) = pick(rng, &derived) else {
                return mutate(def, msg, MutationClass::Truncation, rng);
            };
            let (_, spans) = def.encode(&m);
            let (b0, _) = def.encode(&m);
            // A CRC field (a derived field too) gets a wrong checksum, kept on purpose.
            let cur = spans
                .get(i)
                .map(|s| def.read_int(i, &b0[s.start..s.end]))
                .unwrap_or(0);
            let max = def.fields[i].ty.max();
            let options = [
                cur.wrapping_add(1) & max,
                cur.wrapping_sub(1) & max,
                0,
                max,
                cur.wrapping_mul(2) & max,
            ];
            let mut v = options[rng.below(options.len() as u64) as usize];
            if v == cur {
                v = (cur + 1) & max;
            }
            m.values[i] = Value::Int(v);
            m.fixed[i] = true;
            let (b, _) = def.encode(&m);
            (b, def.fields[i].name.to_string(), false)
        }
        MutationClass::InvalidEnum => {
            let enums: Vec<usize> = ints
                .iter()
                .copied()
                .filter(|i| matches!(def.fields[*i].domain, Domain::OneOf(_) | Domain::Const(_)))
                .collect();
            let Some(i) = pick(rng, &enums) else {
                return mutate(def, msg, MutationClass::OffByOne, rng);
            };
            let f = &def.fields[i];
            let mut v = rng.below(f.ty.max() + 1);
            for _ in 0..16 {
                if !f.accepts(v) {
                    break;
                }
                v = rng.below(f.ty.max() + 1);
            }
            m.values[i] = Value::Int(v);
            m.fixed[i] = true;
            let (b, _) = def.encode(&m);
            (b, f.name.to_string(), f.accepts(v))
        }
        MutationClass::Truncation => {
            let (b, spans) = def.encode(&m);
            let cut = if rng.chance(0.5) && spans.len() > 1 {
                // at a field boundary
                spans[1 + rng.below(spans.len() as u64 - 1) as usize].start
            } else {
                rng.below(b.len() as u64) as usize
            };
            let field = spans
                .iter()
                .find(|s| s.start <= cut && cut < s.end.max(s.start + 1))
                .map_or("*", |s| s.name);
            (b[..cut].to_vec(), field.to_string(), false)
        }
        MutationClass::Extension => {
            let (mut b, _) = def.encode(&m);
            let n = [1usize, 2, 7, 64, 300][rng.below(5) as usize];
            b.extend(rng.bytes(n));
            (b, "*".into(), false)
        }
        MutationClass::RepeatedField | MutationClass::DroppedField => {
            let (b, spans) = def.encode(&m);
            let nonempty: Vec<usize> = spans
                .iter()
                .enumerate()
                .filter(|(_, s)| s.end > s.start)
                .map(|(i, _)| i)
                .collect();
            let Some(i) = pick(rng, &nonempty) else {
                return mutate(def, msg, MutationClass::Havoc, rng);
            };
            let s = &spans[i];
            let mut out = b[..s.start].to_vec();
            if class == MutationClass::RepeatedField {
                out.extend_from_slice(&b[s.start..s.end]);
            }
            if class == MutationClass::RepeatedField {
                out.extend_from_slice(&b[s.start..]);
            } else {
                out.extend_from_slice(&b[s.end..]);
            }
            (out, s.name.to_string(), false)
        }
        MutationClass::TypeConfusion => {
            let Some(i) = pick(rng, &ints) else {
                return mutate(def, msg, MutationClass::Havoc, rng);
            };
            let (b, spans) = def.encode(&m);
            let s = &spans[i];
            let mut out = b[..s.start].to_vec();
            match def.fields[i].ty {
                FieldType::U8 => {
                    out.push(0);
                    out.extend_from_slice(&b[s.start..s.end]);
                }
                _ => out.push(b[s.end - 1]),
            }
            out.extend_from_slice(&b[s.end..]);
            (out, def.fields[i].name.to_string(), false)
        }
        MutationClass::Havoc => {
            let (mut b, _) = def.encode(&m);
            let rounds = 1 + rng.below(4);
            for _ in 0..rounds {
                if b.is_empty() {
                    b.push(rng.next_u64() as u8);
                    continue;
                }
                let at = rng.below(b.len() as u64) as usize;
                match rng.below(4) {
                    0 => b[at] ^= 1 << rng.below(8),
                    1 => b[at] = rng.next_u64() as u8,
                    2 => b.insert(at, rng.next_u64() as u8),
                    _ => {
                        b.remove(at);
                    }
                }
            }
            (b, "*".into(), false)
        }
    }
}
