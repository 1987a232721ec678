//! Lenient SemVer (npm, Go, crates.io, Hex, Pub) and NuGet.
//!
//! Parse: optional `v`/`V`; up to `max` numeric parts (missing ones are 0); then `-pre` (or
//! any text directly after the numbers, as in `1.36.0rc1`) up to `+build`. Build metadata and
//! extra dot-separated parts beyond `max` are ignored. Pre-release identifiers compare per
//! SemVer 2.0 §11 (numeric < alphanumeric, numeric by value, ASCII otherwise).

use super::{cmp_digits, take_while};
use std::cmp::Ordering;

struct Parsed<'a> {
    nums: Vec<&'a str>,
    pre: Option<Vec<String>>,
}

fn parse(s: &str, max: usize, fold_case: bool) -> Parsed<'_> {
    let s = s.trim();
    let s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    let (core, _build) = s.split_once('+').unwrap_or((s, ""));
    let mut nums = Vec::new();
    let mut rest = core;
    loop {
        let (digits, after) = take_while(rest, |b| b.is_ascii_digit());
        if digits.is_empty() {
            break;
        }
        nums.push(digits);
        rest = after;
        if nums.len() == max {
            break;
        }
        match rest.strip_prefix('.') {
            Some(r) if r.bytes().next().is_some_and(|b| b.is_ascii_digit()) => rest = r,
            _ => break,
        }
    }
    let pre_text = if let Some(p) = rest.strip_prefix('-') {
        Some(p)
    } else if rest.starts_with('.') && !nums.is_empty() {
        // Extra numeric parts beyond `max` (`1.1.3.4.5`): treated like build metadata.
        None
    } else if rest.is_empty() {
        None
    } else {
        Some(rest)
    };
    let pre = pre_text.map(|p| {
        p.split('.')
            .map(|id| {
                if fold_case {
                    id.to_ascii_lowercase()
                } else {
                    id.to_string()
                }
            })
            .collect()
    });
    Parsed { nums, pre }
}

fn cmp_ident(a: &str, b: &str) -> Ordering {
    let an = !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit());
    let bn = !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit());
    match (an, bn) {
        (true, true) => cmp_digits(a, b).then_with(|| a.cmp(b)),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

fn cmp_parsed(a: &Parsed<'_>, b: &Parsed<'_>, max: usize) -> Ordering {
    for i in 0..max {
        let x = a.nums.get(i).copied().unwrap_or("0");
        let y = b.nums.get(i).copied().unwrap_or("0");
        let o = cmp_digits(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    match (&a.pre, &b.pre) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                let o = cmp_ident(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
    }
}

/// SemVer order (lenient).
pub fn compare(a: &str, b: &str) -> Ordering {
    cmp_parsed(&parse(a, 3, false), &parse(b, 3, false), 3)
}

/// NuGet order: up to four numeric parts, pre-release compared case-insensitively.
pub fn compare_nuget(a: &str, b: &str) -> Ordering {
    cmp_parsed(&parse(a, 4, true), &parse(b, 4, true), 4)
}
