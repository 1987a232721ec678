//! Minimal RFC 3339 parsing to Unix seconds (no I/O, no clock: callers pass "now").

use crate::SignError;
use jiff::civil::Date;

/// Seconds from the Unix epoch to midnight UTC at the start of `date` (jiff does the
/// calendar; always a whole number of days).
fn midnight_utc(date: Date) -> i64 {
    date.duration_since(Date::constant(1970, 1, 1)).as_secs()
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` into seconds since the Unix epoch
/// (fractions are truncated).
pub fn parse_rfc3339(s: &str) -> Result<i64, SignError> {
    let bad = |why: &str| SignError::Time(format!("{s:?} is not an RFC 3339 timestamp: {why}"));
    let b = s.as_bytes();
    if b.len() < 20 || !s.is_ascii() {
        return Err(bad("too short or not ASCII"));
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, SignError> {
        let part = &s[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse::<i64>().map_err(|_| bad("bad number"))
        } else {
            Err(bad("expected digits"))
        }
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad("expected YYYY-MM-DDTHH:MM:SS"));
    }
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) {
        return Err(bad("month out of range"));
    }
    // Four digits each: the year fits an i16, month and day an i8; jiff checks the day
    // against the month and leap years.
    let date = match (i16::try_from(y), i8::try_from(mo), i8::try_from(d)) {
        (Ok(y), Ok(mo), Ok(d)) => Date::new(y, mo, d).ok(),
        _ => None,
    };
    let Some(date) = date.filter(|_| h <= 23 && mi <= 59 && se <= 60) else {
        return Err(bad("field out of range"));
    };
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(bad("empty fraction"));
        }
    }
    let offset = match &s[i..] {
        "Z" | "z" => 0,
        rest if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes()[3] == b':' =>
        {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 23 || om > 59 {
                return Err(bad("offset out of range"));
            }
            let o = oh * 3600 + om * 60;
            if rest.starts_with('-') {
                -o
            } else {
                o
            }
        }
        _ => return Err(bad("expected Z or ±HH:MM offset")),
    };
    // A leap second (:60) counts as the first second of the next minute, as before.
    Ok(midnight_utc(date) + h * 3600 + mi * 60 + se - offset)
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339;

    #[test]
    fn parses() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            parse_rfc3339("2022-12-02T18:41:07Z").unwrap(),
            1_670_006_467
        );
        assert_eq!(
            parse_rfc3339("2022-12-02T19:41:07.5+01:00").unwrap(),
            1_670_006_467
        );
        assert!(parse_rfc3339("2022-02-30T00:00:00Z").is_err());
        assert!(parse_rfc3339("2022-12-02 18:41:07").is_err());
        assert!(parse_rfc3339("").is_err());
        assert!(parse_rfc3339("２０２２-12-02T18:41:07Z").is_err());
    }

    /// The hand-written Hinnant conversion this module used before jiff, kept as the oracle.
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
        fn same_seconds_as_the_hand_written_calendar(
            y in 0i64..=9999, mo in 1i64..=12, d in 1i64..=31,
            h in 0i64..=23, mi in 0i64..=59, se in 0i64..=60,
        ) {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let max_day = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            let s = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}Z");
            let got = parse_rfc3339(&s);
            if d > max_day[(mo - 1) as usize] {
                proptest::prop_assert!(got.is_err(), "{s}");
            } else {
                let want = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se;
                proptest::prop_assert_eq!(got.ok(), Some(want), "{}", s);
            }
        }
    }
}
