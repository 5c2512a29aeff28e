//! Otter.ai's text export: a *speaker line* `Name  0:10` (the name, spaces, the start
//! time as `m:ss` or `h:mm:ss`) after a blank line (or at the top of the file), then the
//! words on the lines below until the next speaker line. Otter's closing line
//! `Transcribed by https://otter.ai` is not speech. Lines before the first speaker line
//! are header lines (`Date: …`) or, if they are not, speech by an unknown speaker.

use super::error::ParseError;
use super::model::{Turn, UNKNOWN_SPEAKER};
use super::text::{clean, is_speaker_name};
use super::timestamp::{looks_like_clock, parse_clock};
use super::Parsed;

/// Splits a speaker line into the name and the time text, if `line` is shaped like one.
pub fn speaker_line(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let (name, time) = line.rsplit_once(char::is_whitespace)?;
    let name = name.trim_end();
    (looks_like_clock(time) && is_speaker_name(name)).then_some((name, time))
}

fn is_otter_footer(line: &str) -> bool {
    line.starts_with("Transcribed by") && line.contains("otter.ai")
}

pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    let mut current: Option<Turn> = None;
    let mut previous_blank = true;
    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        let blank = line.is_empty();
        let after_blank = std::mem::replace(&mut previous_blank, blank);
        if blank || is_otter_footer(line) {
            continue;
        }
        if after_blank {
            if let Some((name, time)) = speaker_line(line) {
                let start = parse_clock(time).ok_or_else(|| {
                    ParseError::at_line(
                        line_no,
                        format!("malformed timestamp {time:?} after speaker {name:?}"),
                        "a time like 1:07 or 1:02:03 (m:ss or h:mm:ss)",
                    )
                })?;
                parsed.turns.extend(current.replace(Turn::new(
                    clean(name),
                    Some(start),
                    None,
                    String::new(),
                )));
                continue;
            }
        }
        match current.as_mut() {
            Some(turn) => {
                if !turn.text.is_empty() {
                    turn.text.push(' ');
                }
                turn.text.push_str(&clean(line));
            }
            None => {
                if !parsed.header.take_line(line, line_no)? {
                    current = Some(Turn::new(UNKNOWN_SPEAKER, None, None, clean(line)));
                }
            }
        }
    }
    parsed.turns.extend(current);
    Ok(parsed)
}
