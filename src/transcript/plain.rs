//! Plain text transcripts. Each line is one of:
//! - `Name: text`, optionally stamped: `[00:01:02] Name: text`, `(01:02) Name: text`,
//!   `Name [00:01:02]: text` or `Name (01:02): text`;
//! - `[00:01:02] text` or `text`: more words from the speaker of the line before (or
//!   from [`UNKNOWN_SPEAKER`] before any label, so unlabelled text is one unknown
//!   speaker);
//! - before the first turn, a header line such as `Date: 2025-11-07`
//!   (see [`super::metadata`]).
//!
//! A bracketed clock time that is not a valid time (`[00:61:00]`) is an error, not words.

use super::error::ParseError;
use super::model::{Turn, UNKNOWN_SPEAKER};
use super::text::{clean, is_speaker_name, split_label};
use super::timestamp::{looks_like_clock, parse_clock};
use super::Parsed;

const TIME: &str = "a time like [00:01:02] or (01:02)";

pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    parse_lines(text, 1)
}

/// Parses `text` whose first line is line `first_line` of the file.
pub fn parse_lines(text: &str, first_line: usize) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    for (index, raw) in text.split('\n').enumerate() {
        let line_no = first_line + index;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if parsed.turns.is_empty() && parsed.header.take_line(line, line_no)? {
            continue;
        }
        let (stamp, rest) = leading_stamp(line, line_no)?;
        let (speaker, start, words) = match label(rest, line_no)? {
            Some((name, name_stamp, words)) => (clean(name), stamp.or(name_stamp), words),
            None => {
                let speaker = parsed
                    .turns
                    .last()
                    .map_or(UNKNOWN_SPEAKER.to_string(), |t| t.speaker.clone());
                (speaker, stamp, rest)
            }
        };
        parsed
            .turns
            .push(Turn::new(speaker, start, None, clean(words)));
    }
    Ok(parsed)
}

/// A `[time]` or `(time)` at the start of `line`, and the rest of the line.
fn leading_stamp(line: &str, line_no: usize) -> Result<(Option<f64>, &str), ParseError> {
    let close = match line.as_bytes().first() {
        Some(b'[') => ']',
        Some(b'(') => ')',
        _ => return Ok((None, line)),
    };
    let Some(end) = line.find(close) else {
        return Ok((None, line));
    };
    match bracketed_time(&line[1..end], line_no)? {
        Some(time) => Ok((Some(time), line[end + 1..].trim_start())),
        None => Ok((None, line)),
    }
}

/// The time in a bracket's inside, `None` if it is not clock-shaped, an error if it is
/// clock-shaped but not a valid time.
fn bracketed_time(inside: &str, line_no: usize) -> Result<Option<f64>, ParseError> {
    let inside = inside.trim();
    if !looks_like_clock(inside) {
        return Ok(None);
    }
    parse_clock(inside).map(Some).ok_or_else(|| {
        ParseError::at_line(line_no, format!("malformed timestamp {inside:?}"), TIME)
    })
}

/// A speaker label: the name, its time if stamped, and the words after it.
type Label<'a> = (&'a str, Option<f64>, &'a str);

/// `Name: words` or `Name [time]: words` → (name, time, words).
fn label(rest: &str, line_no: usize) -> Result<Option<Label<'_>>, ParseError> {
    if let Some(open) = rest.find(['[', '(']) {
        let close = if rest.as_bytes()[open] == b'[' {
            ']'
        } else {
            ')'
        };
        if let Some(len) = rest[open..].find(close) {
            let end = open + len;
            let name = rest[..open].trim().trim_matches('*').trim();
            let after = rest[end + 1..].trim_start().trim_start_matches('*');
            if let Some(words) = after.strip_prefix(':') {
                if is_speaker_name(name) {
                    if let Some(time) = bracketed_time(&rest[open + 1..end], line_no)? {
                        return Ok(Some((
                            name,
                            Some(time),
                            words.trim_start_matches('*').trim_start(),
                        )));
                    }
                }
            }
        }
    }
    Ok(split_label(rest).map(|(name, words)| (name, None, words)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turns(text: &str) -> Vec<(String, Option<f64>, String)> {
        parse(text)
            .unwrap()
            .turns
            .into_iter()
            .map(|t| (t.speaker, t.start, t.text))
            .collect()
    }

    #[test]
    fn labels_stamps_and_continuation_lines() {
        let got = turns("[00:01:02] Ann: Hello\nthere\n(01:05) Bob: Hi\nBob [1:10]: again\n[00:02:00] still Bob");
        let want = [
            ("Ann", Some(62.0), "Hello"),
            ("Ann", None, "there"),
            ("Bob", Some(65.0), "Hi"),
            ("Bob", Some(70.0), "again"),
            ("Bob", Some(120.0), "still Bob"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(s, t, x)| (s.to_string(), *t, x.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn unlabelled_text_is_one_unknown_speaker_and_brackets_can_be_words() {
        let got = turns("Date: 2025-11-07\nwe met (briefly)\n[laughs] and left");
        assert_eq!(
            got[0],
            (
                UNKNOWN_SPEAKER.to_string(),
                None,
                "we met (briefly)".to_string()
            )
        );
        assert_eq!(got[1].2, "[laughs] and left");
        assert_eq!(
            parse("Date: 2025-11-07\nx")
                .unwrap()
                .header
                .date
                .unwrap()
                .to_string(),
            "2025-11-07"
        );
    }

    #[test]
    fn a_malformed_stamp_is_an_error_on_its_line() {
        let err = parse("Ann: hi\n[00:61:00] Bob: no").unwrap_err();
        assert_eq!(
            err,
            ParseError::at_line(2, "malformed timestamp \"00:61:00\"", TIME)
        );
    }
}
