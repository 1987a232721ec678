//! Synthetic SBOMs for benchmarks and tests. Deterministic for a given seed.

use std::fmt::Write as _;

/// A small deterministic PRNG (SplitMix64), so the crate needs no `rand`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// A CycloneDX 1.5 JSON SBOM with `n` components named `pkg-<i>` (bom-ref `c<i>`),
/// with npm, pypi, maven, golang and deb purls, a SHA-256 hash, a licence and a
/// supplier each, and one dependency edge from every component but the first to an
/// earlier one. The metadata has a timestamp, an author, a tool and a subject that
/// depends on component 0.
pub fn cyclonedx_json(n: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(300 * n + 1024);
    out.push_str(concat!(
        "{\n  \"$schema\": \"http://cyclonedx.org/schema/bom-1.5.schema.json\",\n",
        "  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n",
    ));
    let _ = writeln!(
        out,
        "  \"serialNumber\": \"urn:uuid:{:08x}-0000-4000-8000-{:012x}\",",
        seed as u32, n
    );
    out.push_str(concat!(
        "  \"version\": 1,\n  \"metadata\": {\n",
        "    \"timestamp\": \"2024-01-01T00:00:00Z\",\n",
        "    \"authors\": [{\"name\": \"otproof generator\"}],\n",
        "    \"tools\": {\"components\": [{\"type\": \"application\", \"group\": \"otproof\", \"name\": \"generate\", \"version\": \"1\"}]},\n",
        "    \"component\": {\"bom-ref\": \"root\", \"type\": \"firmware\", \"name\": \"synthetic-device\", \"version\": \"1.0.0\",",
        " \"purl\": \"pkg:generic/example/synthetic-device@1.0.0\",",
        " \"supplier\": {\"name\": \"Example OT Vendor\"}}\n  },\n  \"components\": [\n",
    ));
    const LICENSES: [&str; 4] = ["MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only"];
    for i in 0..n {
        let (maj, min, pat) = (rng.below(20), rng.below(50), rng.below(100));
        let version = format!("{maj}.{min}.{pat}");
        let purl = match rng.below(5) {
            0 => format!("pkg:npm/pkg-{i}@{version}"),
            1 => format!("pkg:pypi/pkg-{i}@{version}"),
            2 => format!(
                "pkg:maven/org.example.g{}/pkg-{i}@{version}",
                rng.below(100)
            ),
            3 => format!("pkg:golang/github.com/example/pkg-{i}@v{version}"),
            _ => format!("pkg:deb/debian/pkg-{i}@{version}-1?arch=amd64"),
        };
        let hash = format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.next(),
            rng.next(),
            rng.next(),
            rng.next()
        );
        let lic = LICENSES
            .get(rng.below(LICENSES.len() as u64) as usize)
            .copied()
            .unwrap_or("MIT");
        let _ = write!(
            out,
            "    {{\"bom-ref\": \"c{i}\", \"type\": \"library\", \"supplier\": {{\"name\": \"Supplier {}\"}}, \
\"name\": \"pkg-{i}\", \"version\": \"{version}\", \"hashes\": [{{\"alg\": \"SHA-256\", \"content\": \"{hash}\"}}], \
\"licenses\": [{{\"license\": {{\"id\": \"{lic}\"}}}}], \"purl\": \"{purl}\"}}",
            rng.below(1000)
        );
        out.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
    out.push_str("  ],\n  \"dependencies\": [\n");
    if n > 0 {
        out.push_str("    {\"ref\": \"root\", \"dependsOn\": [\"c0\"]}");
    } else {
        out.push_str("    {\"ref\": \"root\", \"dependsOn\": []}");
    }
    for i in 1..n {
        let to = rng.below(i as u64);
        let _ = write!(
            out,
            ",\n    {{\"ref\": \"c{i}\", \"dependsOn\": [\"c{to}\"]}}"
        );
    }
    out.push_str("\n  ]\n}\n");
    out
}
