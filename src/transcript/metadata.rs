//! The meeting's date and a title hint, from wherever a transcript keeps them.
//!
//! A *header line* is `Key: value` before the first turn of a text transcript (or in a
//! WebVTT header or NOTE block) with a key this module knows: `Date` (also `Meeting date`,
//! `Recorded`), `Title` (also `Subject`, `Topic`, `Meeting`) and `Participants` (also
//! `Attendees`, `Speakers`). A *file-name date* is `YYYY-MM-DD` (or `YYYY_MM_DD`,
//! `YYYY.MM.DD`) or `YYYYMMDD` anywhere in the file's stem, not inside a longer number;
//! the rest of the stem, less a trailing tool marker (`.zoom`, `.teams`, `.otter`,
//! `.whisper`, `.whisperx`, `.whisper-cpp`, `.transcript`), is the title hint. A date-shaped value that is not a real day
//! (`2025-13-01`) in a header or frontmatter is an error; in a file name it is ignored.
//! Nothing here ever invents a date: no date found is `None`.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::date::Date;

use super::error::ParseError;

/// Keys of header lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKey {
    Date,
    Title,
    Participants,
}

/// What a file's header (or frontmatter) says about the meeting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderFields {
    pub date: Option<Date>,
    pub title: Option<String>,
    pub participants: Vec<String>,
}

/// Recognises `Key: value` header lines.
pub fn header_line(line: &str) -> Option<(HeaderKey, &str)> {
    let (key, value) = line.split_once(':')?;
    let key = match key.trim().to_ascii_lowercase().as_str() {
        "date" | "meeting date" | "recorded" | "recorded on" => HeaderKey::Date,
        "title" | "subject" | "topic" | "meeting" => HeaderKey::Title,
        "participants" | "attendees" | "speakers" => HeaderKey::Participants,
        _ => return None,
    };
    Some((key, value.trim()))
}

impl HeaderFields {
    /// Records `line` (line number `line_no`) if it is a header line; returns whether it was.
    pub fn take_line(&mut self, line: &str, line_no: usize) -> Result<bool, ParseError> {
        let Some((key, value)) = header_line(line) else {
            return Ok(false);
        };
        match key {
            HeaderKey::Date => {
                if self.date.is_none() {
                    self.date = date_value(value).map_err(|message| {
                        ParseError::at_line(line_no, message, "a date like 2025-11-07")
                    })?;
                }
            }
            HeaderKey::Title => {
                if self.title.is_none() && !value.is_empty() {
                    self.title = Some(value.to_string());
                }
            }
            HeaderKey::Participants => self.participants.extend(split_people(value)),
        }
        Ok(true)
    }
}

/// Reads a date from a header or frontmatter value: `2025-11-07`, optionally followed by
/// a time (`2025-11-07 10:00`, `2025-11-07T10:00:00Z`). A value of another shape is no
/// date (`Ok(None)`); a date-shaped value that is not a real day is an error.
pub fn date_value(value: &str) -> Result<Option<Date>, String> {
    let value = value.trim().trim_matches(['"', '\'']);
    let head = value.get(..10).unwrap_or(value);
    let shaped = head.len() == 10
        && head.as_bytes()[4] == b'-'
        && head.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    if !shaped {
        return Ok(None);
    }
    let tail_ok = value[10..].is_empty() || value[10..].starts_with([' ', 'T', 't']);
    match Date::parse(head) {
        Ok(date) if tail_ok => Ok(Some(date)),
        Ok(_) => Err(format!("malformed date {value:?}")),
        Err(e) => Err(format!("malformed date: {e}").replace("; expected YYYY-MM-DD", "")),
    }
}

/// Splits `Ann, Bob; [[Cy Doe]]` into names, without wikilink brackets.
pub fn split_people(value: &str) -> impl Iterator<Item = String> + '_ {
    value.split([',', ';']).filter_map(|p| {
        let name = p
            .trim()
            .trim_start_matches("[[")
            .trim_end_matches("]]")
            .trim();
        (!name.is_empty()).then(|| name.to_string())
    })
}

static DASHED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])((\d{4})[-_.](\d{2})[-_.](\d{2}))(?:[^0-9]|$)").unwrap()
});
static COMPACT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^0-9])(\d{8})(?:[^0-9]|$)").unwrap());

/// The date and title hint a file name carries: `2025-11-07 - Weekly sync.md` gives
/// (2025-11-07, "Weekly sync"); `ES2002a.zoom.vtt` gives (None, "ES2002a").
pub fn from_file_name(path: &Path) -> (Option<Date>, Option<String>) {
    let Some(mut stem) = path.file_stem().and_then(|s| s.to_str()) else {
        return (None, None);
    };
    if let Some((rest, marker)) = stem.rsplit_once('.') {
        let markers = [
            "zoom",
            "teams",
            "otter",
            "whisper",
            "whisperx",
            "whisper-cpp",
            "transcript",
        ];
        if markers.contains(&marker.to_ascii_lowercase().as_str()) {
            stem = rest;
        }
    }
    let mut found = None;
    for caps in DASHED.captures_iter(stem) {
        let date = Date::new(
            caps[2].parse().unwrap_or(0),
            caps[3].parse().unwrap_or(0),
            caps[4].parse().unwrap_or(0),
        );
        if let Some(date) = date {
            found = Some((date, caps.get(1).map_or(0..0, |m| m.range())));
            break;
        }
    }
    if found.is_none() {
        for caps in COMPACT.captures_iter(stem) {
            if let Some(date) = Date::parse_compact(&caps[1]) {
                found = Some((date, caps.get(1).map_or(0..0, |m| m.range())));
                break;
            }
        }
    }
    let (date, title) = match found {
        Some((date, range)) => (
            Some(date),
            format!("{} {}", &stem[..range.start], &stem[range.end..]),
        ),
        None => (None, stem.to_string()),
    };
    (date, tidy_title(&title))
}

/// Trims separators left around a removed date and turns `_` into spaces.
fn tidy_title(raw: &str) -> Option<String> {
    let spaced = raw.replace('_', " ");
    let trimmed = spaced.trim_matches(|c: char| c.is_whitespace() || "-–—.".contains(c));
    let title = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(path: &str) -> (Option<String>, Option<String>) {
        let (d, t) = from_file_name(Path::new(path));
        (d.map(|d| d.to_string()), t)
    }

    #[test]
    fn dates_and_titles_from_file_names() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            name("Sources/2025-11-07 - Weekly sync.md"),
            (s("2025-11-07"), s("Weekly sync"))
        );
        assert_eq!(
            name("2025-11-07_jeff_1on1.vtt"),
            (s("2025-11-07"), s("jeff 1on1"))
        );
        assert_eq!(
            name("20251107 Customer call.srt"),
            (s("2025-11-07"), s("Customer call"))
        );
        assert_eq!(name("call-2025_11_07.txt"), (s("2025-11-07"), s("call")));
        assert_eq!(name("ES2002a.zoom.vtt"), (None, s("ES2002a")));
        assert_eq!(name("notes.v2.txt"), (None, s("notes.v2")));
        assert_eq!(name("2025-13-07 notes.md"), (None, s("2025-13-07 notes")));
        assert_eq!(name("id 123456789.txt"), (None, s("id 123456789")));
        assert_eq!(name("2025-11-07.vtt"), (s("2025-11-07"), None));
    }

    #[test]
    fn header_lines_give_date_title_and_people() {
        let mut h = HeaderFields::default();
        assert!(h.take_line("Date: 2025-11-07T10:00:00Z", 1).unwrap());
        assert!(h.take_line("Title: Weekly sync", 2).unwrap());
        assert!(h.take_line("Attendees: Ann, [[Bob Li]]", 3).unwrap());
        assert!(!h.take_line("Ann: hello", 4).unwrap());
        assert_eq!(h.date.unwrap().to_string(), "2025-11-07");
        assert_eq!(h.title.as_deref(), Some("Weekly sync"));
        assert_eq!(h.participants, ["Ann", "Bob Li"]);
        let err = HeaderFields::default()
            .take_line("Date: 2025-02-30", 7)
            .unwrap_err();
        assert_eq!(
            err.message,
            "malformed date: \"2025-02-30\" is not a real day of the calendar"
        );
        assert_eq!(date_value("November 7, 2025"), Ok(None));
    }
}
