//! Due dates: the model writes a deadline in the speaker's words ("Friday", "by next
//! Monday", "November 17", "tomorrow"); this module turns those words into a date, counted
//! from the meeting's date. A phrase it cannot read with certainty ("next week", "soon",
//! "end of the quarter") gives no date: a wrong due date is worse than none.

use crate::date::Date;

pub(crate) const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub(crate) const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Words that put a weekday's deadline at an hour of that day.
const PARTS_OF_DAY: [&str; 6] = ["morning", "noon", "afternoon", "evening", "night", "eod"];

/// The date `phrase` names, counted from `meeting`, or `None` when it names none for sure.
///
/// - `YYYY-MM-DD` as written;
/// - `today`, `tonight`, `this afternoon` (or another part of the day), `end of (the) day`:
///   the meeting's day; `tomorrow`;
/// - a weekday: the next such day after the meeting (`next Friday` the same), so the
///   meeting's own weekday is a week later ("by Friday" said on a Friday), unless `this`
///   or a part of the day puts it on the meeting day ("by Wednesday evening" said on a
///   Wednesday morning); `end of (the) week` is the next Friday;
/// - a month and a day (`November 17`, `17 November`, `Nov 17th`): that day on or after the
///   meeting, in the meeting's year or the next.
pub fn resolve(phrase: &str, meeting: Date) -> Option<Date> {
    let text = phrase.trim().to_lowercase();
    if let Ok(date) = Date::parse(&text) {
        return Some(date);
    }
    let owned = crate::words::words(&text);
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    let has = |w: &str| words.contains(&w);
    let part_of_day = PARTS_OF_DAY.iter().any(|p| has(p));
    let weekdays: Vec<usize> = words.iter().filter_map(|w| weekday(w)).collect();
    if has("today")
        || has("tonight")
        || (has("end") && has("day"))
        || (has("this") && part_of_day && weekdays.is_empty())
    {
        return Some(meeting);
    }
    if has("tomorrow") {
        return meeting.add_days(1);
    }
    if has("end") && has("week") && !has("next") {
        return next_weekday(meeting, 4);
    }
    let months: Vec<usize> = words.iter().filter_map(|w| month(w)).collect();
    let days: Vec<u8> = words.iter().filter_map(|w| day_number(w)).collect();
    match (weekdays.as_slice(), months.as_slice(), days.as_slice()) {
        ([w], [], [])
            if *w as u8 == meeting.weekday() && !has("next") && (has("this") || part_of_day) =>
        {
            Some(meeting)
        }
        ([w], [], []) => next_weekday(meeting, *w as u8),
        ([], [m], [d]) | ([_], [m], [d]) => month_day(meeting, *m as u8 + 1, *d),
        _ => None,
    }
}

/// The deadline a task's own words state, as a phrase [`resolve`] reads, or `None`: the
/// model's answer sometimes leaves out a deadline its own text says ("Tell the billing
/// team today", "Write it by Wednesday evening"). Only words that mark a deadline count:
/// `today`, `tonight`, `tomorrow`, `this afternoon` (not `today's`), `end of day`, or
/// `by`/`before` with the weekday or date that follows; a date said for something else
/// ("the launch moves to March 17") is not the task's deadline.
pub fn deadline_in(text: &str) -> Option<String> {
    let owned = crate::words::words(text);
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    (0..words.len()).find_map(|i| {
        let (word, rest) = (words[i], &words[i + 1..]);
        match word {
            "today" | "tonight" | "tomorrow" if rest.first() != Some(&"s") => {
                Some(word.to_string())
            }
            "this" if rest.first().is_some_and(|p| PARTS_OF_DAY.contains(p)) => {
                Some(words[i..i + 2].join(" "))
            }
            "end"
                if rest.starts_with(&["of", "day"]) || rest.starts_with(&["of", "the", "day"]) =>
            {
                Some("end of day".to_string())
            }
            // A weekday with its part of day, or a month and a day: at most three words.
            "by" | "before" if date_words(rest) => {
                Some(words[i..(i + 4).min(words.len())].join(" "))
            }
            _ => None,
        }
    })
}

/// Whether the words after `by`/`before` start with a weekday or a month and a day
/// (so "by the way" and "before we start" are no deadline).
fn date_words(after: &[&str]) -> bool {
    let mut words = after
        .iter()
        .copied()
        .skip_while(|w| matches!(*w, "next" | "this"));
    match words.next() {
        Some(w) if weekday(w).is_some() => true,
        Some(w) if month(w).is_some() => words.next().is_some_and(|d| day_number(d).is_some()),
        Some(w) if day_number(w).is_some() => words.next().is_some_and(|m| month(m).is_some()),
        _ => false,
    }
}

/// The first `weekday` (0 Monday) strictly after `from`.
fn next_weekday(from: Date, weekday: u8) -> Option<Date> {
    let ahead = (i64::from(weekday) - i64::from(from.weekday())).rem_euclid(7);
    from.add_days(if ahead == 0 { 7 } else { ahead })
}

/// `month`/`day` on or after `from`: this year's, else next year's.
fn month_day(from: Date, month: u8, day: u8) -> Option<Date> {
    let this_year = Date::new(from.year(), month, day)?;
    if this_year >= from {
        Some(this_year)
    } else {
        Date::new(from.year() + 1, month, day)
    }
}

fn weekday(word: &str) -> Option<usize> {
    WEEKDAYS
        .iter()
        .position(|d| *d == word || (word.len() == 3 && d.starts_with(word)))
}

fn month(word: &str) -> Option<usize> {
    MONTHS
        .iter()
        .position(|m| *m == word || (word.len() >= 3 && m.starts_with(word)))
}

/// `17`, `17th`, `1st`: a day of the month.
fn day_number(word: &str) -> Option<u8> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(phrase: &str) -> Option<String> {
        // 2025-11-12 is a Wednesday.
        resolve(phrase, Date::parse("2025-11-12").unwrap()).map(|d| d.to_string())
    }

    #[test]
    fn weekdays_count_from_the_meeting() {
        assert_eq!(on("Friday").as_deref(), Some("2025-11-14"));
        assert_eq!(on("by Friday").as_deref(), Some("2025-11-14"));
        assert_eq!(on("next Monday").as_deref(), Some("2025-11-17"));
        assert_eq!(on("end of the week").as_deref(), Some("2025-11-14"));
        assert_eq!(on("tomorrow").as_deref(), Some("2025-11-13"));
        assert_eq!(on("end of day").as_deref(), Some("2025-11-12"));
        assert_eq!(on("this afternoon").as_deref(), Some("2025-11-12"));
        assert_eq!(on("by tonight").as_deref(), Some("2025-11-12"));
        assert_eq!(on("this Friday afternoon").as_deref(), Some("2025-11-14"));
    }

    #[test]
    fn the_meeting_s_own_weekday_is_a_week_later_unless_an_hour_of_it_is_said() {
        assert_eq!(on("by Wednesday evening").as_deref(), Some("2025-11-12"));
        assert_eq!(on("this Wednesday").as_deref(), Some("2025-11-12"));
        assert_eq!(on("by Wednesday").as_deref(), Some("2025-11-19"));
        assert_eq!(on("next Wednesday").as_deref(), Some("2025-11-19"));
        assert_eq!(on("next Wednesday morning").as_deref(), Some("2025-11-19"));
    }

    #[test]
    fn months_and_days_fall_on_or_after_the_meeting() {
        assert_eq!(on("November 17").as_deref(), Some("2025-11-17"));
        assert_eq!(on("17th of November").as_deref(), Some("2025-11-17"));
        assert_eq!(on("Monday, November 17").as_deref(), Some("2025-11-17"));
        assert_eq!(on("Jan 5").as_deref(), Some("2026-01-05"));
        assert_eq!(on("2025-12-01").as_deref(), Some("2025-12-01"));
    }

    #[test]
    fn a_task_s_own_words_give_its_deadline_only_where_they_mark_one() {
        let deadline = |text: &str| deadline_in(text).and_then(|p| on(&p));
        for (text, due) in [
            (
                "Tell the billing team today so nobody is surprised.",
                Some("2025-11-12"),
            ),
            (
                "Write a one-page summary, by Wednesday evening, and share it first.",
                Some("2025-11-12"),
            ),
            ("Send the deck before Friday.", Some("2025-11-14")),
            ("Book the room by November 20th", Some("2025-11-20")),
            ("Send them a note this afternoon.", Some("2025-11-12")),
            ("Call the vendor tomorrow", Some("2025-11-13")),
            // Dates of other things, and words that only look like deadlines.
            ("Email the users that the launch moves to March 17", None),
            ("Summarize today's discussion for the team", None),
            ("By the way, update the pricing page", None),
            ("Check the figures before we start the review", None),
            ("Ship the patch next Monday", None),
        ] {
            assert_eq!(deadline(text).as_deref(), due, "{text}");
        }
    }

    #[test]
    fn vague_phrases_give_no_date() {
        for phrase in [
            "next week",
            "soon",
            "end of the quarter",
            "ASAP",
            "",
            "February 30",
        ] {
            assert_eq!(on(phrase), None, "{phrase}");
        }
    }
}
