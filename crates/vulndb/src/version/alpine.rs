//! Alpine (apk) order. A version is parsed as
//! `numbers ('.' numbers)* [letter [digits]] ('_' suffix [digits])* ['~' hash] ['-r' digits]`
//! and compared part by part in that order. Suffixes: `alpha < beta < pre < rc < (none) <
//! cvs < svn < git < hg < p`. Whatever does not fit (an unknown suffix, text after the
//! revision ...) is an invalid remainder: a version with one sorts just below the same version
//! without it, and remainders are not compared with each other.
//! Number parts after the first that start with `0` compare as strings (apk's rule).

use super::{cmp_digits, take_while};
use std::cmp::Ordering;

const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];

#[derive(Debug, Default)]
struct Parsed<'a> {
    nums: Vec<&'a str>,
    letter: Option<char>,
    letter_num: &'a str,
    suffixes: Vec<(i32, &'a str)>,
    hash: &'a str,
    build: &'a str,
    remainder: bool,
}

fn parse(v: &str) -> Parsed<'_> {
    let mut p = Parsed::default();
    let mut s = v.trim();
    if s.starts_with('.') {
        // `.2`: an empty first number.
        p.nums.push("");
        s = &s[1..];
    }
    loop {
        let (d, rest) = take_while(s, |b| b.is_ascii_digit());
        if d.is_empty() {
            break;
        }
        p.nums.push(d);
        s = rest;
        match s.strip_prefix('.') {
            Some(r) if r.bytes().next().is_some_and(|b| b.is_ascii_digit()) => s = r,
            _ => break,
        }
    }
    if let Some(c) = s.chars().next().filter(|c| c.is_alphabetic()) {
        p.letter = Some(c);
        s = &s[c.len_utf8()..];
        let (d, rest) = take_while(s, |b| b.is_ascii_digit());
        p.letter_num = d;
        s = rest;
    }
    while let Some(rest) = s.strip_prefix('_') {
        let (name, after) = take_while(rest, |b| b.is_ascii_lowercase());
        let Some(w) = SUFFIXES.iter().position(|x| *x == name) else {
            break;
        };
        // alpha..rc -> -4..-1, no suffix -> 0, cvs..p -> 1..5
        let w = if w < 4 { w as i32 - 4 } else { w as i32 - 3 };
        let (d, after) = take_while(after, |b| b.is_ascii_digit());
        p.suffixes.push((w, d));
        s = after;
    }
    if let Some(rest) = s.strip_prefix('~') {
        let (h, after) = take_while(rest, |b| b.is_ascii_hexdigit());
        p.hash = h;
        s = after;
    }
    if let Some(rest) = s.strip_prefix("-r") {
        let (d, after) = take_while(rest, |b| b.is_ascii_digit());
        p.build = d;
        s = after;
    }
    p.remainder = !s.is_empty();
    p
}

fn cmp_num(a: &str, b: &str, index: usize) -> Ordering {
    if index > 0 && (a.starts_with('0') || b.starts_with('0')) {
        a.cmp(b)
    } else {
        cmp_digits(a, b)
    }
}

/// apk order.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (x, y) = (parse(a), parse(b));
    for i in 0..x.nums.len().max(y.nums.len()) {
        let o = match (x.nums.get(i), y.nums.get(i)) {
            (Some(p), Some(q)) => cmp_num(p, q, i),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    let o = x
        .letter
        .cmp(&y.letter)
        .then_with(|| cmp_digits(x.letter_num, y.letter_num));
    if o != Ordering::Equal {
        return o;
    }
    for i in 0..x.suffixes.len().max(y.suffixes.len()) {
        let (wa, na) = x.suffixes.get(i).copied().unwrap_or((0, ""));
        let (wb, nb) = y.suffixes.get(i).copied().unwrap_or((0, ""));
        let o = wa.cmp(&wb).then_with(|| cmp_digits(na, nb));
        if o != Ordering::Equal {
            return o;
        }
    }
    x.hash
        .cmp(y.hash)
        .then_with(|| cmp_digits(x.build, y.build))
        .then_with(|| y.remainder.cmp(&x.remainder))
}
