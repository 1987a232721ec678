//! PEP 440 ordering. Strings that are not valid PEP 440 get the legacy (setuptools-era)
//! ordering and sort before every valid version, as `packaging.version.LegacyVersion` did.

use super::{cmp_digits, take_while};
use std::cmp::Ordering;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegInf,
    Val(T),
    PosInf,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum LocalPart {
    // Strings sort before numbers.
    Str(String),
    Num(Digits),
}

/// A digit string ordered by value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Digits(String);

impl Digits {
    fn new(s: &str) -> Digits {
        let t = s.trim_start_matches('0');
        Digits(if t.is_empty() { "0".into() } else { t.into() })
    }
}
impl Ord for Digits {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.0, &other.0)
    }
}
impl PartialOrd for Digits {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    epoch: Digits,
    release: Vec<Digits>,
    pre: Bound<(u8, Digits)>,
    post: Bound<Digits>,
    dev: Bound<Digits>,
    local: Bound<Vec<LocalPart>>,
}

fn is_sep(b: u8) -> bool {
    b == b'-' || b == b'_' || b == b'.'
}

fn skip_sep(s: &str) -> &str {
    match s.as_bytes().first() {
        Some(b) if is_sep(*b) => &s[1..],
        _ => s,
    }
}

/// Optional separator, then the longest of `labels`; returns (label index, rest).
fn label<'a>(s: &'a str, labels: &[&str]) -> Option<(usize, &'a str)> {
    let t = skip_sep(s);
    let mut best: Option<(usize, &str)> = None;
    for (i, l) in labels.iter().enumerate() {
        if let Some(rest) = t.strip_prefix(l) {
            if best.is_none_or(|(j, _)| labels[j].len() < l.len()) {
                best = Some((i, rest));
            }
        }
    }
    best
}

/// Optional separator then digits; returns (digits or "0", rest).
fn number(s: &str) -> (Digits, &str) {
    let t = skip_sep(s);
    let (d, rest) = take_while(t, |b| b.is_ascii_digit());
    if d.is_empty() {
        (Digits::new("0"), s)
    } else {
        (Digits::new(d), rest)
    }
}

fn parse(input: &str) -> Option<Key> {
    let lower = input.trim().to_ascii_lowercase();
    let mut s = lower.strip_prefix('v').unwrap_or(&lower);
    // Epoch.
    let mut epoch = Digits::new("0");
    let (d, rest) = take_while(s, |b| b.is_ascii_digit());
    if !d.is_empty() {
        if let Some(r) = rest.strip_prefix('!') {
            epoch = Digits::new(d);
            s = r;
        }
    }
    // Release.
    let mut release = Vec::new();
    loop {
        let (d, rest) = take_while(s, |b| b.is_ascii_digit());
        if d.is_empty() {
            return None;
        }
        release.push(Digits::new(d));
        s = rest;
        match s.strip_prefix('.') {
            Some(r) if r.bytes().next().is_some_and(|b| b.is_ascii_digit()) => s = r,
            _ => break,
        }
    }
    while release.len() > 1 && release.last().is_some_and(|d| d.0 == "0") {
        release.pop();
    }
    // Pre-release.
    const PRE: [&str; 8] = ["a", "b", "c", "rc", "alpha", "beta", "pre", "preview"];
    let mut pre = None;
    if let Some((i, rest)) = label(s, &PRE) {
        let rank = match PRE[i] {
            "a" | "alpha" => 0,
            "b" | "beta" => 1,
            _ => 2,
        };
        let (n, rest) = number(rest);
        pre = Some((rank, n));
        s = rest;
    }
    // Post-release.
    let mut post = None;
    if let Some(r) = s.strip_prefix('-') {
        let (d, rest) = take_while(r, |b| b.is_ascii_digit());
        if !d.is_empty() {
            post = Some(Digits::new(d));
            s = rest;
        }
    }
    if post.is_none() {
        if let Some((_, rest)) = label(s, &["post", "rev", "r"]) {
            let (n, rest) = number(rest);
            post = Some(n);
            s = rest;
        }
    }
    // Development release.
    let mut dev = None;
    if let Some((_, rest)) = label(s, &["dev"]) {
        let (n, rest) = number(rest);
        dev = Some(n);
        s = rest;
    }
    // Local version label.
    let mut local = None;
    if let Some(l) = s.strip_prefix('+') {
        let mut parts = Vec::new();
        for seg in l.split(['-', '_', '.']) {
            if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            if seg.bytes().all(|b| b.is_ascii_digit()) {
                parts.push(LocalPart::Num(Digits::new(seg)));
            } else {
                parts.push(LocalPart::Str(seg.to_string()));
            }
        }
        local = Some(parts);
        s = "";
    }
    if !s.is_empty() {
        return None;
    }
    let pre_key = match (&pre, &post, &dev) {
        (None, None, Some(_)) => Bound::NegInf,
        (None, _, _) => Bound::PosInf,
        (Some(p), _, _) => Bound::Val(p.clone()),
    };
    Some(Key {
        epoch,
        release,
        pre: pre_key,
        post: post.map_or(Bound::NegInf, Bound::Val),
        dev: dev.map_or(Bound::PosInf, Bound::Val),
        local: local.map_or(Bound::NegInf, Bound::Val),
    })
}

/// The legacy key: parts as `packaging` 20.x built them (numbers zero-filled to 8, words
/// marked with `*`, `-` meaning `*final-`, pre/preview/rc -> `c`, dev -> `@`).
fn legacy_key(input: &str) -> Vec<String> {
    let lower = input.to_lowercase();
    let mut raw: Vec<String> = Vec::new();
    let mut chars = lower.chars().peekable();
    while let Some(&c) = chars.peek() {
        let mut tok = String::new();
        if c.is_ascii_digit() {
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                tok.push(d);
                chars.next();
            }
            raw.push(format!("{tok:0>8}"));
        } else if c.is_ascii_lowercase() {
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_lowercase()) {
                tok.push(d);
                chars.next();
            }
            let t = match tok.as_str() {
                "pre" | "preview" | "rc" => "c",
                "dev" => "@",
                t => t,
            };
            raw.push(format!("*{t}"));
        } else if c == '.' {
            chars.next();
        } else if c == '-' {
            chars.next();
            raw.push("*final-".into());
        } else {
            while let Some(&d) = chars
                .peek()
                .filter(|d| !(d.is_ascii_alphanumeric() || **d == '.' || **d == '-'))
            {
                tok.push(d);
                chars.next();
            }
            raw.push(format!("*{tok}"));
        }
    }
    raw.push("*final".into());
    let mut parts: Vec<String> = Vec::new();
    for p in raw {
        if p.starts_with('*') {
            if p.as_str() < "*final" {
                while parts.last().is_some_and(|l| l == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|l| l == "00000000") {
                parts.pop();
            }
        }
        parts.push(p);
    }
    parts
}

/// PEP 440 order; invalid strings use the legacy order, before all valid versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => legacy_key(a).cmp(&legacy_key(b)),
    }
}
