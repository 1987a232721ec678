//! Device identities: a vendor-signed statement binding a device key to a product/serial.

use serde::{Deserialize, Serialize};

use crate::dsse::{self, Envelope, Verified};
use crate::keys::{SigningKey, VerifyingKey};
use crate::SignError;

/// DSSE payload type of identity statements.
pub const IDENTITY_PAYLOAD_TYPE: &str = "application/vnd.otproof.identity+json";

/// A device identity as registered (signed) by its vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityStatement {
    /// Device name.
    pub name: String,
    /// Product the device is an instance of.
    pub product: String,
    /// Serial number.
    pub serial: String,
    /// The device's public key, SPKI "PUBLIC KEY" PEM (Ed25519 or P-256).
    pub device_key: String,
    /// Vendor name.
    pub vendor: String,
    /// Issue time, RFC 3339 (caller-supplied).
    pub issued: String,
}

impl IdentityStatement {
    fn validate(&self) -> Result<VerifyingKey, SignError> {
        for (field, v) in [
            ("name", &self.name),
            ("product", &self.product),
            ("serial", &self.serial),
            ("vendor", &self.vendor),
        ] {
            if v.trim().is_empty() {
                return Err(SignError::Identity(format!("{field} must not be empty")));
            }
        }
        crate::time::parse_rfc3339(&self.issued)
            .map_err(|e| SignError::Identity(format!("issued: {e}")))?;
        VerifyingKey::from_pem(&self.device_key)
            .map_err(|e| SignError::Identity(format!("device_key: {e}")))
    }

    /// The device's verifying key.
    pub fn device_verifying_key(&self) -> Result<VerifyingKey, SignError> {
        VerifyingKey::from_pem(&self.device_key)
            .map_err(|e| SignError::Identity(format!("device_key: {e}")))
    }
}

/// Validates `identity` and signs it with the vendor key as a DSSE envelope of type
/// [`IDENTITY_PAYLOAD_TYPE`].
pub fn register(
    identity: &IdentityStatement,
    vendor_key: &SigningKey,
) -> Result<Envelope, SignError> {
    identity.validate()?;
    let payload = serde_json::to_vec(identity)
        .map_err(|e| SignError::Identity(format!("cannot serialize: {e}")))?;
    Ok(dsse::sign(IDENTITY_PAYLOAD_TYPE, &payload, vendor_key))
}

/// Verifies a registered identity: vendor signature, payload type, statement shape, timestamp
/// and device key.
pub fn verify_identity(
    env: &Envelope,
    vendor_keys: &[VerifyingKey],
) -> Result<IdentityStatement, SignError> {
    let v = dsse::verify(env, vendor_keys)?;
    if v.payload_type != IDENTITY_PAYLOAD_TYPE {
        return Err(SignError::PayloadType {
            expected: IDENTITY_PAYLOAD_TYPE.into(),
            found: v.payload_type,
        });
    }
    let id: IdentityStatement = serde_json::from_slice(&v.payload)
        .map_err(|e| SignError::Identity(format!("payload is not an identity statement: {e}")))?;
    id.validate()?;
    Ok(id)
}

/// Verifies that `data_env` is signed by the device key of an (already verified) identity.
pub fn verify_signed_by_identity(
    identity: &IdentityStatement,
    data_env: &Envelope,
) -> Result<Verified, SignError> {
    let key = identity.device_verifying_key()?;
    dsse::verify(data_env, &[key]).map_err(|e| match e {
        SignError::Signature(m) => SignError::Signature(format!(
            "not signed by the registered device key of {} (serial {}): {m}",
            identity.name, identity.serial
        )),
        other => other,
    })
}
