//! Maven version order, after the POM reference's "Version Order Specification", with the
//! one refinement real Maven (before 3.9) applies and the OSV vectors expect: a qualifier
//! after `.` sorts before a qualifier after `-` (`1.5.9.RC1 < 1.5.9-RC0`).
//!
//! Tokens split at `.`, `-` and digit/letter transitions (a transition counts as `-`);
//! empty tokens are `0`; trailing null tokens (`0`, ``, `final`, `ga`, `release`) are
//! trimmed at the end and then before every `-` token, from the end. Tokens then compare
//! pairwise, the shorter version padded with null tokens of the other's kind:
//! numbers by value; qualifiers `alpha < beta < milestone < rc=cr < snapshot < "" < sp <
//! others (lexically)` (`a`/`b`/`m` directly followed by a digit mean alpha/beta/milestone);
//! mixed kinds `qualifier < -number < .number`. Numbers of any length compare exactly.
//! Parsing and comparing are iterative (no recursion on hostile input).

use super::cmp_digits;
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Num(String),
    Qual(String),
}

#[derive(Debug, Clone)]
struct Token {
    dash: bool,
    item: Item,
}

impl Token {
    fn is_null(&self) -> bool {
        match &self.item {
            Item::Num(n) => n.bytes().all(|b| b == b'0'),
            Item::Qual(q) => q.is_empty(),
        }
    }
}

fn canonical_qualifier(q: &str, followed_by_digit: bool) -> String {
    let q = match q {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "cr" => "rc",
        "ga" | "final" | "release" => "",
        other => other,
    };
    q.to_string()
}

fn tokenize(v: &str) -> Vec<Token> {
    let lower = v.trim().to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut dash = false;
    loop {
        let start = i;
        let digits = chars.get(i).is_some_and(|c| c.is_ascii_digit());
        while i < chars.len()
            && chars[i] != '.'
            && chars[i] != '-'
            && chars[i].is_ascii_digit() == digits
        {
            i += 1;
        }
        let text: String = chars[start..i].iter().collect();
        let item = if text.is_empty() {
            Item::Num("0".into())
        } else if digits {
            Item::Num(text)
        } else {
            let next_digit = chars.get(i).is_some_and(|c| c.is_ascii_digit());
            Item::Qual(canonical_qualifier(&text, next_digit))
        };
        out.push(Token { dash, item });
        match chars.get(i) {
            None => break,
            Some('.') | Some('-') => {
                dash = chars[i] == '-';
                i += 1;
                if i == chars.len() {
                    break; // a trailing separator only adds a null token
                }
            }
            Some(_) => dash = true, // digit/letter transition
        }
    }
    // Trim trailing nulls, and nulls right before each kept `-` token (one pass from the end).
    let mut kept = Vec::with_capacity(out.len());
    let mut trimming = true;
    for t in out.into_iter().rev() {
        if trimming && t.is_null() {
            continue;
        }
        trimming = t.dash;
        kept.push(t);
    }
    kept.reverse();
    kept
}

fn qual_rank(q: &str) -> u8 {
    match q {
        "alpha" => 0,
        "beta" => 1,
        "milestone" => 2,
        "rc" => 3,
        "snapshot" => 4,
        "" => 5,
        "sp" => 6,
        _ => 7,
    }
}

fn cmp_qual(a: &str, b: &str) -> Ordering {
    let (ra, rb) = (qual_rank(a), qual_rank(b));
    ra.cmp(&rb)
        .then_with(|| if ra == 7 { a.cmp(b) } else { Ordering::Equal })
}

/// Kind order for tokens that are not directly comparable:
/// `.qualifier` < `-qualifier` < `-number` < `.number`.
fn class(t: &Token) -> u8 {
    match (&t.item, t.dash) {
        (Item::Qual(_), false) => 0,
        (Item::Qual(_), true) => 1,
        (Item::Num(_), true) => 2,
        (Item::Num(_), false) => 3,
    }
}

fn cmp_token(a: &Token, b: &Token) -> Ordering {
    match (&a.item, &b.item) {
        (Item::Num(x), Item::Num(y)) if a.dash == b.dash => cmp_digits(x, y),
        (Item::Qual(x), Item::Qual(y)) if a.dash == b.dash => cmp_qual(x, y),
        _ => class(a).cmp(&class(b)),
    }
}

/// A token against the padding null of its own kind.
fn cmp_with_null(t: &Token) -> Ordering {
    match &t.item {
        Item::Num(n) => cmp_digits(n, "0"),
        Item::Qual(q) => cmp_qual(q, ""),
    }
}

/// Maven order.
pub fn compare(a: &str, b: &str) -> Ordering {
    let ta = tokenize(a);
    let tb = tokenize(b);
    for i in 0..ta.len().max(tb.len()) {
        let o = match (ta.get(i), tb.get(i)) {
            (Some(x), Some(y)) => cmp_token(x, y),
            (Some(x), None) => cmp_with_null(x),
            (None, Some(y)) => cmp_with_null(y).reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}
