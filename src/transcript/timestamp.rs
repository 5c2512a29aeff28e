//! Clock times as transcripts write them: `01:02:03.500` (WebVTT), `01:02:03,500` (SRT),
//! `1:02` or `1:02:03` (Otter, plain text). A time is a number of seconds from the start
//! of the recording.

/// Parses `[H:]MM:SS[.fff]` or `M:SS` (a `,` may stand for the `.`). The first field may
/// have any number of digits; the later ones are two digits below 60; the fraction has
/// one to nine digits. Returns `None` for anything else.
pub fn parse_clock(text: &str) -> Option<f64> {
    let (clock, fraction) = match text.find(['.', ',']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut seconds = 0u64;
    let mut count = 0;
    for field in clock.split(':') {
        count += 1;
        let leading = count == 1;
        let digits_ok = !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit());
        if count > 3 || !digits_ok || (leading && field.len() > 6) || (!leading && field.len() != 2)
        {
            return None;
        }
        let value: u64 = field.parse().ok()?;
        if !leading && value >= 60 {
            return None;
        }
        seconds = seconds * 60 + value;
    }
    if count < 2 {
        return None;
    }
    let mut total = seconds as f64;
    if let Some(fraction) = fraction {
        if fraction.is_empty()
            || fraction.len() > 9
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let value: u64 = fraction.parse().ok()?;
        total += value as f64 / 10f64.powi(fraction.len() as i32);
    }
    Some(total)
}

/// Whether `text` is shaped like a clock time (digits, `:` and a fraction mark, with at
/// least one `:`), valid or not: such a text that does not parse is a malformed
/// timestamp rather than words.
pub fn looks_like_clock(text: &str) -> bool {
    !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_digit())
        && text.contains(':')
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.' || b == b',')
}

/// Formats seconds as `HH:MM:SS`, rounding down.
pub fn format_clock(seconds: f64) -> String {
    let total = if seconds.is_finite() && seconds > 0.0 {
        seconds as u64
    } else {
        0
    };
    format!(
        "{:02}:{:02}:{:02}",
        total / 3600,
        total / 60 % 60,
        total % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_shapes_transcripts_use() {
        assert_eq!(parse_clock("00:00:50.420"), Some(50.42));
        assert_eq!(parse_clock("00:01:07,550"), Some(67.55));
        assert_eq!(parse_clock("01:07.5"), Some(67.5));
        assert_eq!(parse_clock("1:07"), Some(67.0));
        assert_eq!(parse_clock("35:47"), Some(2147.0));
        assert_eq!(parse_clock("100:00:00.000"), Some(360000.0));
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "1",
            "00:61:00",
            "00:00:60.000",
            "0:7",
            "00:00:01.",
            "aa:bb",
            "1:2:3:4",
            "00:00:01.1x",
            "-1:00",
        ] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
        assert!(looks_like_clock("00:61:00"));
        assert!(!looks_like_clock("laughs"));
        assert!(!looks_like_clock("B"));
    }

    #[test]
    fn formats_hours_minutes_seconds() {
        assert_eq!(format_clock(62.9), "00:01:02");
        assert_eq!(format_clock(3723.0), "01:02:03");
        assert_eq!(format_clock(f64::NAN), "00:00:00");
    }
}
