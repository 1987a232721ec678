//! IEC 62443-4-2 component types.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The four component types of IEC 62443-4-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentType {
    /// Software application (SAR requirements).
    SoftwareApplication,
    /// Embedded device (EDR requirements).
    EmbeddedDevice,
    /// Host device (HDR requirements).
    HostDevice,
    /// Network device (NDR requirements).
    NetworkDevice,
}

/// Why a text is not a component type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown component type '{0}': expected one of software-application, embedded-device, host-device, network-device")]
pub struct ComponentTypeError(pub String);

impl ComponentType {
    /// All four, in the standard's order.
    pub const ALL: [ComponentType; 4] = [
        ComponentType::SoftwareApplication,
        ComponentType::EmbeddedDevice,
        ComponentType::HostDevice,
        ComponentType::NetworkDevice,
    ];

    /// The command-line and JSON name, e.g. `embedded-device`.
    pub fn slug(self) -> &'static str {
        match self {
            ComponentType::SoftwareApplication => "software-application",
            ComponentType::EmbeddedDevice => "embedded-device",
            ComponentType::HostDevice => "host-device",
            ComponentType::NetworkDevice => "network-device",
        }
    }

    /// The prose name, e.g. `embedded device`.
    pub fn name(self) -> &'static str {
        match self {
            ComponentType::SoftwareApplication => "software application",
            ComponentType::EmbeddedDevice => "embedded device",
            ComponentType::HostDevice => "host device",
            ComponentType::NetworkDevice => "network device",
        }
    }

    /// The prefix of its component-specific requirements: SAR, EDR, HDR, NDR.
    pub fn requirement_prefix(self) -> &'static str {
        match self {
            ComponentType::SoftwareApplication => "SAR",
            ComponentType::EmbeddedDevice => "EDR",
            ComponentType::HostDevice => "HDR",
            ComponentType::NetworkDevice => "NDR",
        }
    }
}

impl fmt::Display for ComponentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for ComponentType {
    type Err = ComponentTypeError;
    fn from_str(s: &str) -> Result<ComponentType, ComponentTypeError> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        ComponentType::ALL
            .into_iter()
            .find(|c| c.slug() == norm || c.requirement_prefix().eq_ignore_ascii_case(&norm))
            .ok_or_else(|| ComponentTypeError(s.to_string()))
    }
}
