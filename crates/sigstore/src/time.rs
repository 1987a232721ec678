//! RFC 3339 timestamps (as used in trusted roots) to Unix seconds. No clock is ever read.

use jiff::civil::Date;
use jiff::Timestamp;

/// Seconds from the Unix epoch to midnight UTC at the start of `date` (jiff does the calendar).
fn midnight_utc(date: Date) -> i64 {
    date.duration_since(Date::constant(1970, 1, 1)).as_secs()
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
    })
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` to Unix seconds (fraction dropped).
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let min = digits(&b[14..16])?;
    let sec = digits(&b[17..19])?;
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits(&[*h1, *h2])?;
            let om = digits(&[*m1, *m2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    // Four digits for the year, two for month and day: jiff checks them against the calendar.
    let date = Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    if hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    // A leap second (:60) counts as the first second of the next minute.
    Some(midnight_utc(date) + hour * 3600 + min * 60 + sec - offset)
}

/// Unix seconds to `YYYY-MM-DDTHH:MM:SSZ` for messages; an instant outside jiff's range
/// (years -9999 to 9999) is shown as its number of seconds.
pub(crate) fn format_unix(t: i64) -> String {
    if let Ok(ts) = Timestamp::from_second(t) {
        return ts.to_string();
    }
    // jiff's timestamps end at 9999-12-30T22:00Z (room for offsets); a civil date in UTC
    // covers the rest of year 9999.
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    match jiff::Span::new()
        .try_days(days)
        .ok()
        .and_then(|span| Date::constant(1970, 1, 1).checked_add(span).ok())
    {
        Some(date) => format!(
            "{date}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        ),
        None => format!("{t} s after 1970-01-01T00:00:00Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_end_of_year_9999() {
        assert_eq!(format_unix(253_402_207_201), "9999-12-30T22:00:01Z");
        assert_eq!(format_unix(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2022-12-31T23:59:59.999Z"),
            Some(1_672_531_199)
        );
        assert_eq!(parse_rfc3339("2021-01-12T11:53:27Z"), Some(1_610_452_407));
        assert_eq!(
            parse_rfc3339("2021-01-12T12:53:27+01:00"),
            Some(1_610_452_407)
        );
        assert_eq!(parse_rfc3339("2021-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2021-01-12 11:53:27Z"), None);
        assert_eq!(parse_rfc3339("garbage"), None);
        assert_eq!(format_unix(1_712_085_549), "2024-04-02T19:19:09Z");
        for t in [0, 1_672_531_199, 1_712_085_549, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&format_unix(t)), Some(t));
        }
        assert_eq!(
            format_unix(i64::MAX),
            format!("{} s after 1970-01-01T00:00:00Z", i64::MAX)
        );
    }

    /// The hand-written Hinnant conversions this module used before jiff, kept as the oracle.
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn old_format_unix(t: i64) -> String {
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400);
        let z = days + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }

    proptest::proptest! {
        #[test]
        fn same_answers_as_the_hand_written_calendar(
            y in 0i64..=9999, mo in 1i64..=12, d in 1i64..=31,
            h in 0i64..=23, mi in 0i64..=59, se in 0i64..=60,
            // 0000-01-01 to 9999-12-31
            t in -62_167_219_200i64..=253_402_300_799,
        ) {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let max_day = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            let s = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}+01:30");
            let want = (d <= max_day[(mo - 1) as usize]).then(|| {
                days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - 5400
            });
            proptest::prop_assert_eq!(parse_rfc3339(&s), want, "{}", s);
            proptest::prop_assert_eq!(format_unix(t), old_format_unix(t));
        }
    }
}
