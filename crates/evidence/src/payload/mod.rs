//! Typed, versioned payloads: one Rust type per evidence kind (and per decision that carries
//! structured data), each with a JSON Schema committed under `docs/schema/`.
//!
//! A record keeps its payload as JSON (`Evidence::payload`, `Decision::payload`) so that the
//! record format, its canonical bytes and every stored ID stay independent of these types;
//! producers write a payload through [`Payload::to_value`] and readers get it back with
//! [`Payload::from_value`], which checks the `payload_format` tag (`otproof-payload/<name>/<n>`)
//! and the shape, and fails with a message naming the field, never with a panic or a guess.
//!
//! Adding a kind: a module here with its type, `impl Payload`, a line in [`schemas`], and the
//! committed schema (`OTPROOF_UPDATE_SCHEMA=1 cargo test -p otproof-evidence`).

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub mod acceptance;
pub mod campaign;
pub mod document;
pub mod release;
pub mod sbom_check;
pub mod sdl;
pub mod sl_a;
pub mod specification;
pub mod update;
pub mod vendors;

/// The key under which a payload names its type and version.
pub const FORMAT_KEY: &str = "payload_format";

/// A payload that cannot be written or read as its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// No `payload_format`, or another one.
    #[error("payload format {found}: expected '{expected}'")]
    Format {
        /// What the payload says (or `missing`).
        found: String,
        /// What the reader expected.
        expected: String,
    },
    /// The shape does not match the type.
    #[error("payload '{format}' does not match its schema: {reason}")]
    Shape {
        /// The expected format.
        format: String,
        /// What serde said (names the field).
        reason: String,
    },
}

/// A typed payload of one evidence kind or decision.
pub trait Payload: Serialize + DeserializeOwned + JsonSchema {
    /// Short kebab-case name, e.g. `robustness-campaign`.
    const NAME: &'static str;
    /// Version of this payload's shape; bumped on an incompatible change.
    const VERSION: u32;

    /// `otproof-payload/<NAME>/<VERSION>`.
    fn format() -> String {
        format!("otproof-payload/{}/{}", Self::NAME, Self::VERSION)
    }

    /// The JSON to put in a record: the fields of `self` plus `payload_format`.
    fn to_value(&self) -> Result<Value, PayloadError> {
        let mut v = serde_json::to_value(self).map_err(|e| PayloadError::Shape {
            format: Self::format(),
            reason: e.to_string(),
        })?;
        match v.as_object_mut() {
            Some(o) => {
                o.insert(FORMAT_KEY.into(), Value::String(Self::format()));
                Ok(v)
            }
            None => Err(PayloadError::Shape {
                format: Self::format(),
                reason: "a payload must serialise to a JSON object".into(),
            }),
        }
    }

    /// Read a record's payload as this type, checking its format tag first.
    fn from_value(v: &Value) -> Result<Self, PayloadError> {
        let found = v.get(FORMAT_KEY).and_then(Value::as_str);
        if found != Some(Self::format().as_str()) {
            return Err(PayloadError::Format {
                found: found.map_or_else(|| "missing".into(), |f| format!("'{f}'")),
                expected: Self::format(),
            });
        }
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove(FORMAT_KEY);
        }
        serde_json::from_value(v).map_err(|e| PayloadError::Shape {
            format: Self::format(),
            reason: e.to_string(),
        })
    }

    /// Whether a record's payload claims to be this type (by its format tag alone).
    fn is_tagged(v: &Value) -> bool {
        v.get(FORMAT_KEY).and_then(Value::as_str) == Some(Self::format().as_str())
    }
}

/// The JSON Schema (draft 2020-12) of a payload type, with the `payload_format` constant,
/// pretty-printed with a trailing newline.
pub fn schema_of<P: Payload>() -> String {
    let schema = schemars::schema_for!(P);
    let mut v = serde_json::to_value(&schema).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "$id".into(),
            Value::String(format!(
                "https://otproof.dev/schema/payload-{}-v{}.schema.json",
                P::NAME,
                P::VERSION
            )),
        );
        if let Some(Value::Object(props)) = o.get_mut("properties") {
            props.insert(
                FORMAT_KEY.into(),
                serde_json::json!({ "const": P::format(), "description": "Payload type and version." }),
            );
        }
        if let Some(Value::Array(req)) = o.get_mut("required") {
            req.push(Value::String(FORMAT_KEY.into()));
        } else {
            o.insert("required".into(), serde_json::json!([FORMAT_KEY]));
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// Every payload type: (file name under `docs/schema/`, schema).
pub fn schemas() -> Vec<(String, String)> {
    fn one<P: Payload>() -> (String, String) {
        (
            format!("payload-{}-v{}.schema.json", P::NAME, P::VERSION),
            schema_of::<P>(),
        )
    }
    // One line per payload type, sorted by module name:
    vec![
        one::<campaign::RobustnessCampaign>(),
        one::<document::DocumentPayload>(),
        one::<release::DeviceIdentity>(),
        one::<release::ReleaseStatement>(),
        one::<release::SignatureCheck>(),
        one::<update::UpdateDecision>(),
        one::<specification::SpecificationPayload>(),
        one::<sbom_check::SbomCheck>(),
        one::<acceptance::AcceptancePayload>(),
        one::<sdl::SdlAssessmentPayload>(),
        one::<sl_a::SlAClaimPayload>(),
        one::<vendors::VendorScoresPayload>(),
    ]
}
