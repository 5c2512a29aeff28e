//! SubRip (`.srt`): numbered subtitles separated by blank lines; each is a number, a
//! timing line `00:00:01,000 --> 00:00:04,000` and text lines, which may open with a
//! `Name:` label and carry `<i>`-style tags or `{\an8}` overrides.

use super::cue::{blocks, cue_turns, timing};
use super::error::{snippet, ParseError};
use super::Parsed;

const TIME: &str = "a time like 00:01:02,500 (hh:mm:ss,mmm)";

pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    for block in blocks(text, 1) {
        let lines = &block.lines;
        let at = if lines[0].contains("-->") {
            0
        } else if lines.len() > 1 && lines[1].contains("-->") {
            1
        } else {
            return Err(ParseError::at_line(
                block.line,
                format!("expected a subtitle, found {}", snippet(lines[0])),
                "a subtitle number, then a timing line like `00:00:01,000 --> 00:00:04,000`",
            ));
        };
        let (start, end) = timing(lines[at], block.line + at, TIME)?;
        cue_turns(&lines[at + 1..], start, end, &mut parsed.turns);
    }
    Ok(parsed)
}
