//! Calendar dates as notes and transcripts write them: `YYYY-MM-DD`.
//!
//! A [`Date`] is always a real day of the proleptic Gregorian calendar (years 1..=9999):
//! `2025-02-29` and `2025-13-01` are rejected when parsed, so a value of this type can
//! be written into a note without checking it again. recap only needs to read, compare
//! and print dates, so this small type stands in for a full date-time library.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid calendar day. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a text is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{0:?} is not a date; expected YYYY-MM-DD")]
    Shape(String),
    #[error("{0:?} is not a real day of the calendar")]
    NoSuchDay(String),
}

impl Date {
    /// The date `year-month-day`, or `None` when no such day exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        (day <= days_in_month(year, month)).then_some(Self { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD` (four, two and two ASCII digits).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let b = text.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err(DateError::Shape(text.to_string()));
        }
        Self::from_digits(&text[0..4], &text[5..7], &text[8..10])
            .ok_or_else(|| DateError::NoSuchDay(text.to_string()))
    }

    /// Parses `YYYYMMDD` (eight ASCII digits), as file names often write dates.
    pub fn parse_compact(text: &str) -> Option<Self> {
        if text.len() != 8 || !text.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Self::from_digits(&text[0..4], &text[4..6], &text[6..8])
    }

    fn from_digits(y: &str, m: &str, d: &str) -> Option<Self> {
        Self::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year.into(), self.month.into(), self.day.into())
    }

    /// The date `days` days later (earlier when negative), if still in years 1..=9999.
    pub fn add_days(self, days: i64) -> Option<Self> {
        let (y, m, d) = civil_from_days(self.days_since_epoch() + days);
        Self::new(u16::try_from(y).ok()?, m as u8, d as u8)
    }

    /// The day of the week, 0 for Monday to 6 for Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday.
        (self.days_since_epoch() + 3).rem_euclid(7) as u8
    }
}

/// Whether `text` has the shape the note schema's `date` pattern allows: `YYYY-MM-DD`
/// with a month 01-12 and a day 01-31, whether or not that day exists in that month
/// (the validator tells "not a date" from "no such day" with it).
pub fn has_date_shape(text: &str) -> bool {
    let b = text.as_bytes();
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

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Year, month (1-12), day for a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (its inverse).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_real_days() {
        let d = Date::parse("2025-11-07").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2025, 11, 7));
        assert_eq!(d.to_string(), "2025-11-07");
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Date::parse_compact("20251107"), Some(d));
    }

    #[test]
    fn rejects_impossible_days_and_other_shapes() {
        assert_eq!(
            Date::parse("2025-02-29").unwrap_err().to_string(),
            "\"2025-02-29\" is not a real day of the calendar"
        );
        assert!(Date::parse("1900-02-29").is_err());
        assert!(Date::parse("2025-13-01").is_err());
        assert!(Date::parse("0000-01-01").is_err());
        assert_eq!(
            Date::parse("2025-1-07").unwrap_err().to_string(),
            "\"2025-1-07\" is not a date; expected YYYY-MM-DD"
        );
        assert!(Date::parse("2025-11-07 ").is_err());
        assert!(Date::parse("２０２５-11-07").is_err());
        assert_eq!(Date::parse_compact("20251399"), None);
    }

    #[test]
    fn counts_days_and_weekdays() {
        let d = Date::parse("2025-11-12").unwrap();
        assert_eq!(d.weekday(), 2, "a Wednesday");
        assert_eq!(d.add_days(2).unwrap().to_string(), "2025-11-14");
        assert_eq!(d.add_days(20).unwrap().to_string(), "2025-12-02");
        assert_eq!(
            Date::parse("2024-02-28")
                .unwrap()
                .add_days(1)
                .unwrap()
                .to_string(),
            "2024-02-29"
        );
        assert_eq!(Date::parse("1970-01-01").unwrap().days_since_epoch(), 0);
    }

    #[test]
    fn the_schema_shape_allows_days_a_month_lacks() {
        assert!(has_date_shape("2025-02-30"));
        assert!(!has_date_shape("2025-02-32"));
        assert!(!has_date_shape("2025-2-03"));
        assert!(!has_date_shape("2025-13-01"));
    }

    #[test]
    fn orders_chronologically_and_round_trips_through_serde() {
        let a = Date::parse("2025-01-31").unwrap();
        let b = Date::parse("2025-02-01").unwrap();
        assert!(a < b);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, "\"2025-02-01\"");
        assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), b);
        assert!(serde_json::from_str::<Date>("\"2025-02-30\"").is_err());
    }
}
