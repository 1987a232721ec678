//! Identifier matching (purl, CPE, bom-ref/BOM-Link), version comparison,
//! `vers:` ranges and RFC 3339 timestamps.

use packageurl::PackageUrl;
use std::cmp::Ordering;
use std::str::FromStr;

/// Canonical form of a purl, or None if it does not parse.
pub(crate) fn canonical_purl(s: &str) -> Option<String> {
    parse_purl(s).map(|p| p.to_string())
}

fn parse_purl(s: &str) -> Option<PackageUrl<'static>> {
    // The packageurl parser expects a lowercase scheme.
    let s = s.trim();
    if s.len() < 4 || !s.is_char_boundary(4) || !s[..4].eq_ignore_ascii_case("pkg:") {
        return None;
    }
    let fixed = format!("pkg:{}", &s[4..]);
    PackageUrl::from_str(&fixed).ok()
}

/// Does the statement purl `stmt` match the target purl `target`
/// (with `target_version` as fallback version)?
pub(crate) fn purl_matches(stmt: &str, target: &str, target_version: Option<&str>) -> bool {
    let (Some(s), Some(t)) = (parse_purl(stmt), parse_purl(target)) else {
        return false;
    };
    if s.ty() != t.ty() || s.namespace() != t.namespace() || s.name() != t.name() {
        return false;
    }
    if let Some(sv) = s.version() {
        match t.version().or(target_version) {
            Some(tv) if tv == sv => {}
            _ => return false,
        }
    }
    if let Some(sp) = s.subpath() {
        if t.subpath() != Some(sp) {
            return false;
        }
    }
    s.qualifiers()
        .iter()
        .all(|(k, v)| t.qualifiers().get(k).is_some_and(|tv| tv == v))
}

/// The version carried by a purl, if any.
pub(crate) fn purl_version(purl: &str) -> Option<String> {
    parse_purl(purl).and_then(|p| p.version().map(str::to_string))
}

/// (part, vendor, product, version) of a CPE 2.3 formatted string or 2.2 URI,
/// lowercased and unescaped.
pub(crate) fn parse_cpe(s: &str) -> Option<[String; 4]> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let fields: Vec<String> = if let Some(rest) = lower.strip_prefix("cpe:2.3:") {
        split_cpe23(rest)
    } else if let Some(rest) = lower.strip_prefix("cpe:/") {
        rest.split(':').map(percent_decode).collect()
    } else {
        return None;
    };
    let get = |i: usize| fields.get(i).cloned().unwrap_or_default();
    let part = get(0);
    if !matches!(part.as_str(), "a" | "o" | "h" | "*") {
        return None;
    }
    Some([part, get(1), get(2), get(3)])
}

fn split_cpe23(rest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ':' => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn is_any(v: &str) -> bool {
    v.is_empty() || v == "*"
}

/// Does the statement CPE match the target CPE (with `target_version` as fallback)?
pub(crate) fn cpe_matches(stmt: &str, target: &str, target_version: Option<&str>) -> bool {
    let (Some(s), Some(t)) = (parse_cpe(stmt), parse_cpe(target)) else {
        return false;
    };
    if s[0] != t[0] || s[1] != t[1] || s[2] != t[2] || is_any(&s[1]) || is_any(&s[2]) {
        return false;
    }
    if is_any(&s[3]) {
        return true;
    }
    let tv = if is_any(&t[3]) {
        target_version.map(str::to_ascii_lowercase)
    } else {
        Some(t[3].clone())
    };
    tv.as_deref() == Some(s[3].as_str())
}

/// A parsed BOM-Link `urn:cdx:<serial>/<version>#<bom-ref>`.
pub(crate) struct BomLink {
    pub serial: String,
    pub version: String,
    pub fragment: Option<String>,
}

pub(crate) fn parse_bom_link(s: &str) -> Option<BomLink> {
    let rest = s.trim().strip_prefix("urn:cdx:")?;
    let (head, fragment) = match rest.split_once('#') {
        Some((h, f)) => (h, Some(percent_decode(f))),
        None => (rest, None),
    };
    let (serial, version) = head.split_once('/')?;
    if serial.is_empty() || version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(BomLink {
        serial: serial.to_ascii_lowercase(),
        version: version.trim_start_matches('0').to_string(),
        fragment,
    })
}

/// Builds a BOM-Link to a component: `urn:cdx:<serial without urn:uuid:>/<version>#<bom-ref>`.
/// Pass it as [`crate::Target::bom_ref`] to resolve BOM-Link refs against that BOM.
pub fn bom_link(serial_number: &str, version: u64, bom_ref: &str) -> String {
    let serial = serial_number
        .trim()
        .strip_prefix("urn:uuid:")
        .unwrap_or(serial_number.trim());
    format!("urn:cdx:{serial}/{version}#{bom_ref}")
}

/// Does the statement bom-ref/BOM-Link match the target bom-ref/BOM-Link?
pub(crate) fn bom_ref_matches(stmt: &str, target: &str) -> bool {
    match (parse_bom_link(stmt), parse_bom_link(target)) {
        (Some(s), Some(t)) => {
            s.serial == t.serial
                && s.version == t.version
                && s.fragment.is_some()
                && s.fragment == t.fragment
        }
        (Some(s), None) => s.fragment.as_deref() == Some(target),
        (None, Some(t)) => t.fragment.as_deref() == Some(stmt),
        (None, None) => stmt == target,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, PartialEq, Eq)]
enum Seg {
    Num(String),
    Text(String),
}

fn segments(v: &str) -> Vec<Seg> {
    let v = v.trim();
    let v = v
        .strip_prefix('v')
        .or_else(|| v.strip_prefix('V'))
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(v);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_num = false;
    for c in v.chars() {
        if matches!(c, '.' | '-' | '_' | '+' | '~' | ':') {
            if !cur.is_empty() {
                out.push(seg(std::mem::take(&mut cur), cur_num));
            }
            continue;
        }
        let is_num = c.is_ascii_digit();
        if !cur.is_empty() && is_num != cur_num {
            out.push(seg(std::mem::take(&mut cur), cur_num));
        }
        cur_num = is_num;
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(seg(cur, cur_num));
    }
    out
}

fn seg(s: String, num: bool) -> Seg {
    if num {
        let t = s.trim_start_matches('0');
        Seg::Num(if t.is_empty() { "0".into() } else { t.into() })
    } else {
        Seg::Text(s.to_ascii_lowercase())
    }
}

/// Generic version comparison used for `vers:` ranges (see the crate doc).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let x = segments(a);
    let y = segments(b);
    // the rest of the longer list decides: zeros are neutral, text marks a
    // pre-release (1.0rc1 < 1.0), a non-zero number a later version
    let tail = |rest: &[Seg]| -> Ordering {
        match rest.iter().find(|s| !matches!(s, Seg::Num(n) if n == "0")) {
            Some(Seg::Text(_)) => Ordering::Less,
            Some(Seg::Num(_)) => Ordering::Greater,
            None => Ordering::Equal,
        }
    };
    for i in 0..x.len().max(y.len()) {
        let ord = match (x.get(i), y.get(i)) {
            (Some(Seg::Num(p)), Some(Seg::Num(q))) => p.len().cmp(&q.len()).then_with(|| p.cmp(q)),
            (Some(Seg::Text(p)), Some(Seg::Text(q))) => p.cmp(q),
            (Some(Seg::Num(_)), Some(Seg::Text(_))) => Ordering::Greater,
            (Some(Seg::Text(_)), Some(Seg::Num(_))) => Ordering::Less,
            (Some(_), None) => return tail(&x[i..]),
            (None, Some(_)) => return tail(&y[i..]).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A parsed `vers:` range.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersRange {
    /// Versioning scheme (`generic`, `semver`, `npm`, ...), lowercased.
    pub scheme: String,
    all: bool,
    constraints: Vec<(Cmp, String)>,
}

impl VersRange {
    /// Parses `vers:<scheme>/<constraint>|<constraint>...`.
    pub fn parse(s: &str) -> Result<VersRange, String> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let rest = s
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("vers:"))
            .map(|_| &s[5..])
            .ok_or_else(|| format!("'{s}' is not a vers: range"))?;
        let (scheme, cons) = rest
            .split_once('/')
            .ok_or_else(|| format!("'{s}': missing '/' after the scheme"))?;
        if scheme.is_empty() {
            return Err(format!("'{s}': empty versioning scheme"));
        }
        let scheme = scheme.to_ascii_lowercase();
        if cons == "*" {
            return Ok(VersRange {
                scheme,
                all: true,
                constraints: Vec::new(),
            });
        }
        let mut constraints = Vec::new();
        for c in cons.split('|') {
            let (op, v) = if let Some(v) = c.strip_prefix(">=") {
                (Cmp::Ge, v)
            } else if let Some(v) = c.strip_prefix("<=") {
                (Cmp::Le, v)
            } else if let Some(v) = c.strip_prefix("!=") {
                (Cmp::Ne, v)
            } else if let Some(v) = c.strip_prefix('>') {
                (Cmp::Gt, v)
            } else if let Some(v) = c.strip_prefix('<') {
                (Cmp::Lt, v)
            } else if let Some(v) = c.strip_prefix('=') {
                (Cmp::Eq, v)
            } else {
                (Cmp::Eq, c)
            };
            if v.is_empty() || v == "*" {
                return Err(format!("'{s}': bad constraint '{c}'"));
            }
            let v = percent_decode(v);
            constraints.push((op, v));
        }
        Ok(VersRange {
            scheme,
            all: false,
            constraints,
        })
    }

    fn norm<'a>(&self, v: &'a str) -> &'a str {
        if self.scheme == "semver" || self.scheme == "npm" {
            v.split_once('+').map_or(v, |(a, _)| a)
        } else {
            v
        }
    }

    fn cmp(&self, a: &str, b: &str) -> Ordering {
        compare_versions(self.norm(a), self.norm(b))
    }

    /// Is `version` inside the range (vers containment algorithm)?
    pub fn contains(&self, version: &str) -> bool {
        if self.all {
            return true;
        }
        for (op, v) in &self.constraints {
            let eq = self.cmp(version, v) == Ordering::Equal;
            match op {
                Cmp::Eq if eq => return true,
                Cmp::Ne if eq => return false,
                _ => {}
            }
        }
        let mut ranges: Vec<&(Cmp, String)> = self
            .constraints
            .iter()
            .filter(|(op, _)| !matches!(op, Cmp::Eq | Cmp::Ne))
            .collect();
        if ranges.is_empty() {
            // only = / != constraints: in range iff some != did not exclude it and there is no =
            return self.constraints.iter().all(|(op, _)| *op == Cmp::Ne)
                && !self.constraints.is_empty();
        }
        ranges.sort_by(|a, b| self.cmp(&a.1, &b.1));
        let sat = |(op, v): &(Cmp, String)| {
            let o = self.cmp(version, v);
            match op {
                Cmp::Lt => o == Ordering::Less,
                Cmp::Le => o != Ordering::Greater,
                Cmp::Gt => o == Ordering::Greater,
                Cmp::Ge => o != Ordering::Less,
                Cmp::Eq => o == Ordering::Equal,
                Cmp::Ne => o != Ordering::Equal,
            }
        };
        let lower = |op: Cmp| matches!(op, Cmp::Gt | Cmp::Ge);
        let upper = |op: Cmp| matches!(op, Cmp::Lt | Cmp::Le);
        let last = ranges.len() - 1;
        for (i, c) in ranges.iter().enumerate() {
            if i == 0 && upper(c.0) && sat(c) {
                return true;
            }
            if i == last && lower(c.0) && sat(c) {
                return true;
            }
            if let Some(next) = ranges.get(i + 1) {
                if lower(c.0) && upper(next.0) && sat(c) && sat(next) {
                    return true;
                }
            }
        }
        false
    }
}

/// Parses an RFC 3339 timestamp (or a bare date) into nanoseconds since the epoch.
pub(crate) fn parse_timestamp(s: &str) -> Option<i128> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = num(0..4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = num(5..7)?;
    let day = num(8..10)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Day 1 to 31 whatever the month, as this reader always did: 02-30 is 03-02 (or 03-01).
    let days = first_of_month_days(year, month)? + day - 1;
    if b.len() == 10 {
        return Some(i128::from(days) * 86_400 * 1_000_000_000);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let hour = num(11..13)?;
    let min = num(14..16)?;
    if b.get(16) != Some(&b':') {
        return None;
    }
    let sec = num(17..19)?;
    if hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let digits = s.get(start..i)?;
        let mut frac = String::from(&digits[..digits.len().min(9)]);
        while frac.len() < 9 {
            frac.push('0');
        }
        nanos = frac.parse::<i128>().ok()?;
    }
    let offset_secs: i64 = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b.get(i + 3) == Some(&b':') => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_secs;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

/// Days from 1970-01-01 to the first day of `month` in `year` (jiff does the calendar).
fn first_of_month_days(year: i64, month: i64) -> Option<i64> {
    let first =
        jiff::civil::Date::new(i16::try_from(year).ok()?, i8::try_from(month).ok()?, 1).ok()?;
    Some(
        first
            .duration_since(jiff::civil::Date::constant(1970, 1, 1))
            .as_secs()
            / 86_400,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(compare_versions("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(compare_versions("1.10", "1.9"), Ordering::Greater);
        assert_eq!(compare_versions("1.0rc1", "1.0"), Ordering::Less);
        assert_eq!(compare_versions("1.0.0-rc.1", "1.0.0"), Ordering::Less);
        assert_eq!(compare_versions("v2.0", "2.0"), Ordering::Equal);
        assert_eq!(compare_versions("2.39.0-r1", "2.39.0-r2"), Ordering::Less);
        assert_eq!(compare_versions("1.0.1", "1.0"), Ordering::Greater);
    }

    #[test]
    fn vers() {
        let r = VersRange::parse("vers:generic/>=1.0|<2.0").expect("parse");
        assert!(r.contains("1.0"));
        assert!(r.contains("1.5.3"));
        assert!(!r.contains("2.0"));
        assert!(!r.contains("0.9"));
        let r = VersRange::parse("vers:semver/<1.2.3|>=2.0.0|!=2.1.0").expect("parse");
        assert!(r.contains("1.0.0"));
        assert!(!r.contains("1.2.3"));
        assert!(r.contains("2.0.0+build"));
        assert!(!r.contains("2.1.0"));
        assert!(r.contains("3.0.0"));
        let r = VersRange::parse("vers:generic/1.0|1.1").expect("parse");
        assert!(r.contains("1.1") && !r.contains("1.2"));
        assert!(VersRange::parse("vers:generic/*")
            .expect("parse")
            .contains("9"));
        assert!(VersRange::parse("generic/>=1").is_err());
        assert!(VersRange::parse("vers:generic/>=").is_err());
        let r = VersRange::parse("vers:generic/!=1.0").expect("parse");
        assert!(r.contains("2.0") && !r.contains("1.0"));
    }

    #[test]
    fn timestamps() {
        let a = parse_timestamp("2022-12-22T16:36:43-05:00").expect("a");
        let b = parse_timestamp("2022-12-22T21:36:43Z").expect("b");
        assert_eq!(a, b);
        let c = parse_timestamp("2023-07-17T18:28:47.696004345-06:00").expect("c");
        assert!(c > a);
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert!(parse_timestamp("2022-13-01").is_none());
        assert!(parse_timestamp("garbage").is_none());
        assert!(parse_timestamp("2022-01-01T00:00:00").is_none());
        assert_eq!(
            parse_timestamp("2022-02-30"),
            parse_timestamp("2022-03-02T00:00:00Z")
        );
    }

    /// The hand-written Hinnant conversion this reader used before jiff, kept as the oracle.
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    proptest::proptest! {
        #[test]
        fn timestamps_as_before(
            y in 0i64..=9999, mo in 1i64..=12, d in 1i64..=31,
            h in 0i64..=23, mi in 0i64..=59, se in 0i64..=60, nanos in 0i64..1_000_000_000,
        ) {
            let days = days_from_civil(y, mo, d);
            let date = format!("{y:04}-{mo:02}-{d:02}");
            proptest::prop_assert_eq!(
                parse_timestamp(&date),
                Some(i128::from(days) * 86_400 * 1_000_000_000)
            );
            let s = format!("{date}T{h:02}:{mi:02}:{se:02}.{nanos:09}-05:00");
            let secs = days * 86_400 + h * 3600 + mi * 60 + se + 5 * 3600;
            proptest::prop_assert_eq!(
                parse_timestamp(&s),
                Some(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
            );
        }
    }

    #[test]
    fn cpes() {
        assert!(cpe_matches(
            "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:openssl:openssl:3.0.8:*:*:*:*:*:*:*",
            None
        ));
        assert!(!cpe_matches(
            "cpe:/a:openssl:openssl:3.0.8",
            "cpe:2.3:a:OpenSSL:openssl:-:*:*:*:*:*:*:*",
            None
        ));
        assert!(cpe_matches(
            "cpe:/a:openssl:openssl:3.0.8",
            "cpe:2.3:a:OpenSSL:openssl:*:*:*:*:*:*:*:*",
            Some("3.0.8")
        ));
        assert!(!cpe_matches(
            "cpe:2.3:a:openssl:openssl:3.0.8:*:*:*:*:*:*:*",
            "cpe:2.3:a:openssl:openssl:3.0.9:*:*:*:*:*:*:*",
            None
        ));
        assert!(!cpe_matches(
            "cpe:2.3:a:openssl:libssl:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:openssl:openssl:3.0.9:*:*:*:*:*:*:*",
            None
        ));
    }

    #[test]
    fn bom_links() {
        assert!(bom_ref_matches("urn:cdx:abc/1#x", "x"));
        assert!(bom_ref_matches(
            "urn:cdx:abc/1#x",
            &bom_link("urn:uuid:abc", 1, "x")
        ));
        assert!(!bom_ref_matches(
            "urn:cdx:abc/1#x",
            &bom_link("urn:uuid:abd", 1, "x")
        ));
        assert!(!bom_ref_matches(
            "urn:cdx:abc/1#x",
            &bom_link("urn:uuid:abc", 2, "x")
        ));
        assert!(bom_ref_matches("x", &bom_link("urn:uuid:abc", 2, "x")));
        assert!(!bom_ref_matches("x", "y"));
        assert!(bom_ref_matches("urn:cdx:abc/1#a%20b", "a b"));
    }
}
