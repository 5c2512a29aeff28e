//! What WebVTT and SRT share: *blocks* (runs of non-blank lines), *timing lines*
//! (`start --> end`, then optional cue settings) and *cue payloads* (the text lines of a
//! cue, whose speaker is a `<v Name>` voice tag or a `Name:` label on the first line).

use super::error::ParseError;
use super::model::{Turn, UNKNOWN_SPEAKER};
use super::text::{clean, split_label};
use super::timestamp::parse_clock;

/// A run of non-blank lines and the 1-based number of its first line.
pub struct Block<'a> {
    pub line: usize,
    pub lines: Vec<&'a str>,
}

/// Splits `text` (with `\n` line ends) into blocks separated by blank lines, numbering
/// lines from `first_line`.
pub fn blocks(text: &str, first_line: usize) -> impl Iterator<Item = Block<'_>> {
    let mut lines = text.split('\n').enumerate().peekable();
    std::iter::from_fn(move || {
        while lines.next_if(|(_, l)| l.trim().is_empty()).is_some() {}
        let (index, _) = *lines.peek()?;
        let mut block = Block {
            line: first_line + index,
            lines: Vec::new(),
        };
        while let Some((_, line)) = lines.next_if(|(_, l)| !l.trim().is_empty()) {
            block.lines.push(line);
        }
        Some(block)
    })
}

/// Parses `start --> end [settings]` on line `line_no`; `expected` describes one time.
pub fn timing(line: &str, line_no: usize, expected: &str) -> Result<(f64, f64), ParseError> {
    let bad = |found: &str| {
        ParseError::at_line(
            line_no,
            format!("malformed timestamp {found:?}"),
            expected.to_string(),
        )
    };
    let Some((left, right)) = line.split_once("-->") else {
        return Err(ParseError::at_line(
            line_no,
            format!("malformed timing line {:?}", line.trim()),
            format!("`start --> end` with times like {expected}"),
        ));
    };
    let start = left.trim();
    let end = right.split_whitespace().next().unwrap_or("");
    let start = parse_clock(start).ok_or_else(|| bad(start))?;
    let end = parse_clock(end).ok_or_else(|| bad(end))?;
    Ok((start, end))
}

/// Appends the turns of one cue (payload `lines`, times `start`..`end`) to `out`.
pub fn cue_turns(lines: &[&str], start: f64, end: f64, out: &mut Vec<Turn>) {
    let Some(first) = lines.first() else {
        return;
    };
    let turn =
        |speaker: &str, text: &str| Turn::new(clean(speaker), Some(start), Some(end), clean(text));
    let joined;
    let payload = if lines.len() == 1 {
        *first
    } else {
        joined = lines.join("\n");
        joined.as_str()
    };
    if payload.contains("<v") {
        let mut speaker: Option<&str> = None;
        let mut rest = payload;
        loop {
            let next = voice_tag(rest);
            let text = next.map_or(rest, |(at, _, _)| &rest[..at]);
            out.push(turn(speaker.unwrap_or(UNKNOWN_SPEAKER), text));
            let Some((_, len, name)) = next else { break };
            speaker = Some(name);
            rest = &rest[len..];
        }
    } else {
        match split_label(first) {
            Some((name, text)) if lines.len() == 1 => out.push(turn(name, text)),
            Some((name, text)) => {
                let body = format!("{text}\n{}", lines[1..].join("\n"));
                out.push(turn(name, &body));
            }
            None => out.push(turn(UNKNOWN_SPEAKER, payload)),
        }
    }
    if let Some(last) = out.last_mut() {
        if last.speaker.is_empty() {
            last.speaker = UNKNOWN_SPEAKER.to_string();
        }
    }
}

/// Finds the next `<v Name>` or `<v.class Name>` tag: (offset, offset past it, name).
fn voice_tag(s: &str) -> Option<(usize, usize, &str)> {
    let mut from = 0;
    while let Some(found) = s[from..].find("<v") {
        let at = from + found;
        let after = &s[at + 2..];
        if after.starts_with([' ', '\t', '.']) {
            if let Some(gt) = after.find('>') {
                let inside = &after[..gt];
                let name = match inside.strip_prefix('.') {
                    Some(classes) => classes
                        .split_once(char::is_whitespace)
                        .map_or("", |(_, n)| n),
                    None => inside,
                };
                return Some((at, at + 2 + gt + 1, name.trim()));
            }
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_numbered_from_their_first_line() {
        let b: Vec<_> = blocks("\n\na\nb\n \nc\n", 1)
            .map(|b| (b.line, b.lines))
            .collect();
        assert_eq!(b, [(3, vec!["a", "b"]), (6, vec!["c"])]);
    }

    #[test]
    fn voice_tags_split_a_cue_between_speakers() {
        let mut out = Vec::new();
        cue_turns(
            &["<v.loud Ann Lee>Hi &amp; <i>bye</i></v>", "<v Bob>Yo</v>"],
            1.0,
            2.0,
            &mut out,
        );
        let got: Vec<_> = out
            .iter()
            .map(|t| (t.speaker.as_str(), t.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (UNKNOWN_SPEAKER, ""),
                ("Ann Lee", "Hi & bye"),
                ("Bob", "Yo")
            ]
        );
    }

    #[test]
    fn a_label_on_the_first_line_names_the_whole_cue() {
        let mut out = Vec::new();
        cue_turns(&["Ann: one", "two"], 1.0, 2.0, &mut out);
        assert_eq!(out, [Turn::new("Ann", Some(1.0), Some(2.0), "one two")]);
        let err = timing("00:00:01.000 --> 00:00:0x.000", 4, "00:01:02.500").unwrap_err();
        assert_eq!(err.message, "malformed timestamp \"00:00:0x.000\"");
    }
}
