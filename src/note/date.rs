//! Calendar dates as notes write them: `YYYY-MM-DD`, checked against the real calendar
//! (leap years included), so `2025-02-29` is not a date and `2024-02-29` is.

/// Whether `s` is exactly `YYYY-MM-DD` and names a day that exists.
pub fn is_calendar_date(s: &str) -> bool {
    parse_date(s).is_some()
}

/// Whether `s` has the shape the schema's `date` pattern allows: `YYYY-MM-DD` with a
/// month 01-12 and a day 01-31 (whether that day exists in that month is not asked).
pub fn has_date_shape(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let two = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
    (1..=12).contains(&two(5)) && (1..=31).contains(&two(8))
}

/// `(year, month, day)` of a `YYYY-MM-DD` date that exists.
pub fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &b[r];
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dates_only() {
        assert!(is_calendar_date("2025-11-07"));
        assert!(is_calendar_date("2024-02-29"));
        assert!(is_calendar_date("2000-02-29"));
        assert!(has_date_shape("2025-02-30"));
        assert!(!has_date_shape("2025-02-32"));
        assert!(!has_date_shape("2025-2-03"));
        for bad in [
            "2025-02-29",
            "1900-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "2025-1-07",
            "2025/11/07",
            "25-11-07",
            "",
            "2025-11-07 ",
            "２０２５-11-07",
        ] {
            assert!(!is_calendar_date(bad), "{bad}");
        }
    }
}
