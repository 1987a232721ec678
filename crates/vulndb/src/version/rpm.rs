//! RPM order: `[epoch:]version[-release]`; each part compared with `rpmvercmp` (alphanumeric
//! segments, numbers newer than letters, `~` before everything, `^` after the base version).
//! A missing release sorts before any release, even an empty one (`1 < 1-`).

use super::cmp_digits;
use std::cmp::Ordering;

fn split(v: &str) -> (&str, &str, Option<&str>) {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (e, r),
        None => ("0", v),
    };
    match rest.rsplit_once('-') {
        Some((ver, rel)) => (epoch, ver, Some(rel)),
        None => (epoch, rest, None),
    }
}

pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let special = |c: u8| c.is_ascii_alphanumeric() || c == b'~' || c == b'^';
    loop {
        while i < a.len() && !special(a[i]) {
            i += 1;
        }
        while j < b.len() && !special(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = ca.is_ascii_digit();
        let pred = |c: u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let si = i;
        while i < a.len() && pred(a[i]) {
            i += 1;
        }
        let sj = j;
        while j < b.len() && pred(b[j]) {
            j += 1;
        }
        if sj == j {
            // Different segment types: numbers are newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let sa = std::str::from_utf8(&a[si..i]).unwrap_or("");
        let sb = std::str::from_utf8(&b[sj..j]).unwrap_or("");
        let o = if numeric {
            cmp_digits(sa, sb)
        } else {
            sa.cmp(sb)
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    match (i < a.len(), j < b.len()) {
        (false, false) => Ordering::Equal,
        (false, true) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// RPM order with epoch and release.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, va, ra) = split(a);
    let (eb, vb, rb) = split(b);
    rpmvercmp(ea, eb)
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => rpmvercmp(x, y),
        })
}
