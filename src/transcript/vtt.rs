//! WebVTT (`.vtt`), as Zoom writes it (`Name: text` in the cue) and as Teams writes it
//! (`<v Name>text</v>`). The file opens with `WEBVTT`; blocks are the header, `NOTE`,
//! `STYLE` and `REGION` blocks (skipped, though `Date:`/`Title:` lines in the header or a
//! NOTE are read as metadata) and cues: an optional identifier, a timing line
//! `00:00:01.000 --> 00:00:04.000` with optional cue settings, and payload lines.

use super::cue::{blocks, cue_turns, timing};
use super::error::{snippet, ParseError};
use super::metadata::HeaderFields;
use super::Parsed;

const TIME: &str = "a time like 00:01:02.500 (hh:mm:ss.ttt or mm:ss.ttt)";

/// Whether `line` is `keyword` alone or followed by a space or tab.
fn starts_block(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    let mut blocks = blocks(text, 1);
    let header = blocks.next();
    let first = header.as_ref().map_or("", |b| b.lines[0]);
    if !starts_block(first, "WEBVTT") {
        return Err(ParseError::at_line(
            header.as_ref().map_or(1, |b| b.line),
            format!("missing the WEBVTT header (found {})", snippet(first)),
            "`WEBVTT` on the first line",
        ));
    }
    if let Some(header) = header {
        // A file that omits the blank line after `WEBVTT` starts its first cue here.
        let lines = &header.lines;
        let cue = (1..lines.len())
            .find(|&i| lines[i].contains("-->"))
            .unwrap_or(lines.len());
        take_header_lines(&mut parsed.header, &lines[1..cue], header.line + 1)?;
        if cue < lines.len() {
            let (start, end) = timing(lines[cue], header.line + cue, TIME)?;
            cue_turns(&lines[cue + 1..], start, end, &mut parsed.turns);
        }
    }
    for block in blocks {
        let lines = &block.lines;
        if starts_block(lines[0], "NOTE") {
            let first = lines[0][4..].trim();
            parsed.header.take_line(first, block.line)?;
            take_header_lines(&mut parsed.header, &lines[1..], block.line + 1)?;
            continue;
        }
        if starts_block(lines[0], "STYLE") || starts_block(lines[0], "REGION") {
            continue;
        }
        let at = if lines[0].contains("-->") {
            0
        } else if lines.len() > 1 && lines[1].contains("-->") {
            1
        } else {
            return Err(ParseError::at_line(
                block.line,
                format!("expected a cue, found {}", snippet(lines[0])),
                "a timing line like `00:00:01.000 --> 00:00:04.000`, after an optional cue identifier",
            ));
        };
        let (start, end) = timing(lines[at], block.line + at, TIME)?;
        cue_turns(&lines[at + 1..], start, end, &mut parsed.turns);
    }
    Ok(parsed)
}

fn take_header_lines(
    header: &mut HeaderFields,
    lines: &[&str],
    first_line: usize,
) -> Result<(), ParseError> {
    for (i, line) in lines.iter().enumerate() {
        header.take_line(line.trim(), first_line + i)?;
    }
    Ok(())
}
