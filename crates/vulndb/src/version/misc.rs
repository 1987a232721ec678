//! RubyGems, Packagist, CRAN and the generic order.

use super::cmp_digits;
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    Num(String),
    Word(String),
}

/// Runs of ASCII digits and runs of letters (lowercased); everything else separates.
pub(crate) fn generic_tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_digit = false;
    for c in s.chars() {
        let is_digit = c.is_ascii_digit();
        let is_word = c.is_alphabetic();
        if (!(is_digit || is_word) || is_digit != cur_digit) && !cur.is_empty() {
            out.push(finish(std::mem::take(&mut cur), cur_digit));
        }
        if is_digit || is_word {
            cur_digit = is_digit;
            cur.extend(c.to_lowercase());
        }
    }
    if !cur.is_empty() {
        out.push(finish(cur, cur_digit));
    }
    out
}

fn finish(s: String, digit: bool) -> Tok {
    if digit {
        Tok::Num(s)
    } else {
        Tok::Word(s)
    }
}

/// Lexicographic over tokens; the end sorts between words and numbers.
pub(crate) fn cmp_generic_tokens(a: &[Tok], b: &[Tok]) -> Ordering {
    fn rank(t: Option<&Tok>) -> u8 {
        match t {
            Some(Tok::Word(_)) => 0,
            None => 1,
            Some(Tok::Num(_)) => 2,
        }
    }
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        let o = match (x, y) {
            (Some(Tok::Num(p)), Some(Tok::Num(q))) => cmp_digits(p, q),
            (Some(Tok::Word(p)), Some(Tok::Word(q))) => p.cmp(q),
            _ => rank(x).cmp(&rank(y)),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

// ---------------------------------------------------------------------------------------
// RubyGems: Gem::Version. Segments are digit runs and letter runs ("-" means ".pre.");
// trailing zeros of the numeric part and of the part after the first letter segment are
// dropped; then segments compare with 0-padding, a letter segment sorting before any number.

fn gem_segments(v: &str) -> Vec<Tok> {
    let v = v.trim().replace('-', ".pre.");
    let mut segs = Vec::new();
    let mut cur = String::new();
    let mut cur_digit = false;
    for c in v.chars() {
        let d = c.is_ascii_digit();
        let w = c.is_ascii_alphabetic();
        if (!(d || w) || (!cur.is_empty() && d != cur_digit)) && !cur.is_empty() {
            segs.push(finish(std::mem::take(&mut cur), cur_digit));
        }
        if d || w {
            cur_digit = d;
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        segs.push(finish(cur, cur_digit));
    }
    let split = segs
        .iter()
        .position(|t| matches!(t, Tok::Word(_)))
        .unwrap_or(segs.len());
    let mut strings = segs.split_off(split);
    let is_zero = |t: &Tok| matches!(t, Tok::Num(n) if n.bytes().all(|b| b == b'0'));
    while segs.last().is_some_and(is_zero) {
        segs.pop();
    }
    while strings.last().is_some_and(is_zero) {
        strings.pop();
    }
    segs.extend(strings);
    segs
}

/// Gem::Version order.
pub fn compare_rubygems(a: &str, b: &str) -> Ordering {
    let (x, y) = (gem_segments(a), gem_segments(b));
    let zero = Tok::Num("0".into());
    for i in 0..x.len().max(y.len()) {
        let p = x.get(i).unwrap_or(&zero);
        let q = y.get(i).unwrap_or(&zero);
        let o = match (p, q) {
            (Tok::Num(m), Tok::Num(n)) => cmp_digits(m, n),
            (Tok::Word(m), Tok::Word(n)) => m.cmp(n),
            (Tok::Word(_), Tok::Num(_)) => Ordering::Less,
            (Tok::Num(_), Tok::Word(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

// ---------------------------------------------------------------------------------------
// Packagist: PHP's version_compare after Composer-style normalisation (leading `v` dropped,
// lowercased). `-`, `_`, `+` become `.`, and `.` is inserted at digit/non-digit transitions.
// Parts compare numerically when both are numbers; otherwise by special form:
// other < dev < alpha=a < beta=b < rc < # (any number) < pl=p. A missing part compares
// as `#` against a word and below any number.

fn php_parts(v: &str) -> Vec<Tok> {
    let v = v.trim().to_lowercase();
    let v = v.strip_prefix('v').unwrap_or(&v);
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut cur_digit = false;
    for c in v.chars() {
        let sep = matches!(c, '.' | '-' | '_' | '+');
        let d = c.is_ascii_digit();
        if (sep || (!cur.is_empty() && d != cur_digit)) && !cur.is_empty() {
            parts.push(finish(std::mem::take(&mut cur), cur_digit));
        }
        if !sep {
            cur_digit = d;
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        parts.push(finish(cur, cur_digit));
    }
    parts
}

fn special_form(w: &str) -> i32 {
    const FORMS: [(&str, i32); 9] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| w.starts_with(f))
        .map_or(-6, |(_, o)| *o)
}

/// Packagist order.
pub fn compare_packagist(a: &str, b: &str) -> Ordering {
    let (x, y) = (php_parts(a), php_parts(b));
    for i in 0..x.len().max(y.len()) {
        let o = match (x.get(i), y.get(i)) {
            (Some(Tok::Num(m)), Some(Tok::Num(n))) => cmp_digits(m, n),
            (Some(Tok::Num(_)), None) => Ordering::Greater,
            (None, Some(Tok::Num(_))) => Ordering::Less,
            (p, q) => {
                let f = |t: Option<&Tok>| match t {
                    Some(Tok::Word(w)) => special_form(w),
                    _ => 4,
                };
                let o = f(p).cmp(&f(q));
                match (p, q) {
                    (Some(Tok::Word(m)), Some(Tok::Word(n))) if o == Ordering::Equal => {
                        if f(p) == -6 {
                            m.cmp(n)
                        } else {
                            Ordering::Equal
                        }
                    }
                    _ => o,
                }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

// ---------------------------------------------------------------------------------------
// CRAN: numbers separated by `.` or `-`, compared in turn; with an equal prefix the longer
// version is greater (`0.1.0 < 0.1.0.0`). Non-numeric parts fall back to the generic order.

/// CRAN order.
pub fn compare_cran(a: &str, b: &str) -> Ordering {
    let pa: Vec<&str> = a.trim().split(['.', '-']).collect();
    let pb: Vec<&str> = b.trim().split(['.', '-']).collect();
    for (p, q) in pa.iter().zip(pb.iter()) {
        let np = !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
        let nq = !q.is_empty() && q.bytes().all(|c| c.is_ascii_digit());
        let o = if np && nq {
            cmp_digits(p, q)
        } else {
            cmp_generic_tokens(&generic_tokens(p), &generic_tokens(q))
                .then_with(|| np.cmp(&nq))
                .then_with(|| p.cmp(q))
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}
