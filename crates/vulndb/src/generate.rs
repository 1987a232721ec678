//! Synthetic data for tests and benchmarks (deterministic; no real advisories).
//!
//! Record `i` affects package `pkg-<i>` in ecosystem `ECOSYSTEMS[i % 5]` (npm, PyPI, Maven
//! `org.example:pkg-<i>`, Go `example.com/pkg-<i>`, Debian `Debian:12`) from `1.0.0` up to
//! a `fixed` `1.<f>.0` with `f` in 1..=9 drawn from the seed; every tenth record (i % 10 == 3)
//! uses `last_affected: 1.<f>.0` instead. Debian versions carry a `-1` revision.
//! Component `j` of [`components`] is `pkg-<j>` in the same ecosystem at version
//! `1.<(7j + seed) % 12>.0` (Go: `v` prefix).

use crate::matcher::Query;
use crate::osv::{Advisory, Affected, Event, Package, Range, RangeKind, SeverityScore};

/// The ecosystems cycled through: (OSV ecosystem, purl type, purl namespace).
pub const ECOSYSTEMS: [(&str, &str, Option<&str>); 5] = [
    ("npm", "npm", None),
    ("PyPI", "pypi", None),
    ("Maven", "maven", Some("org.example")),
    ("Go", "golang", Some("example.com")),
    ("Debian:12", "deb", Some("debian")),
];

const VECTORS: [&str; 4] = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
];

/// SplitMix64.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn ver(eco: &str, minor: u64) -> String {
    if eco.starts_with("Debian") {
        format!("1.{minor}.0-1")
    } else {
        format!("1.{minor}.0")
    }
}

fn package_name(eco: &str, i: usize) -> String {
    match eco {
        "Maven" => format!("org.example:pkg-{i}"),
        "Go" => format!("example.com/pkg-{i}"),
        _ => format!("pkg-{i}"),
    }
}

/// `n` synthetic advisories (IDs `GEN-<i>`, alias `CVE-9999-<i>`).
pub fn osv_records(n: usize, seed: u64) -> Vec<Advisory> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let (eco, _, _) = ECOSYSTEMS[i % ECOSYSTEMS.len()];
            let f = 1 + rng.next() % 9;
            let end = if i % 10 == 3 {
                Event::LastAffected(ver(eco, f))
            } else {
                Event::Fixed(ver(eco, f))
            };
            let kind = if eco == "Go" {
                RangeKind::Semver
            } else {
                RangeKind::Ecosystem
            };
            Advisory {
                id: format!("GEN-{i}"),
                modified: "2024-01-01T00:00:00Z".into(),
                published: None,
                withdrawn: None,
                aliases: vec![format!("CVE-9999-{i}")],
                related: Vec::new(),
                summary: Some(format!("synthetic advisory {i}")),
                details: None,
                severity: vec![SeverityScore {
                    kind: "CVSS_V3".into(),
                    score: VECTORS[(rng.next() % 4) as usize].into(),
                }],
                affected: vec![Affected {
                    package: Some(Package {
                        ecosystem: eco.into(),
                        name: package_name(eco, i),
                        purl: None,
                    }),
                    severity: Vec::new(),
                    ranges: vec![Range {
                        kind,
                        repo: None,
                        events: vec![Event::Introduced(ver(eco, 0)), end],
                    }],
                    versions: Vec::new(),
                    database_specific: None,
                    ecosystem_specific: None,
                }],
                database_specific: None,
            }
        })
        .collect()
}

/// `n` synthetic components matching the naming of [`osv_records`].
pub fn components(n: usize, seed: u64) -> Vec<Query> {
    (0..n)
        .map(|j| {
            let (eco, ty, ns) = ECOSYSTEMS[j % ECOSYSTEMS.len()];
            let minor = (7 * j as u64).wrapping_add(seed) % 12;
            let version = if eco == "Go" {
                format!("v{}", ver(eco, minor))
            } else {
                ver(eco, minor)
            };
            Query {
                purl_type: Some(ty.into()),
                namespace: ns.map(str::to_string),
                name: format!("pkg-{j}"),
                version: Some(version),
                cpe: None,
            }
        })
        .collect()
}
