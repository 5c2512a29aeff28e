//! Which format a transcript is in, judged by its content; the file's extension is a
//! hint used only when the content shows no format's signature.
//!
//! Signatures, checked in order: `WEBVTT` on the first line (WebVTT); a `---` first line
//! (markdown frontmatter); `{`, or `[` opening a JSON list (Whisper JSON); a number over
//! a `-->` timing line, or a timing line first (SRT); an Otter speaker line (`Name  0:10`)
//! as the first line that is not a header line (Otter). Then the extension (`.vtt`,
//! `.srt`, `.json`, `.md`), then a `#` heading (markdown); everything else is plain text.

use std::path::Path;

use super::metadata::header_line;
use super::model::Format;
use super::otter::speaker_line;

/// Detects the format of `text` (already decoded, `\n` line ends); `path` is the hint.
pub fn detect(text: &str, path: Option<&Path>) -> Format {
    let mut lines = text.split('\n').map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("");
    if first.starts_with("WEBVTT") {
        return Format::Vtt;
    }
    if text
        .split('\n')
        .next()
        .is_some_and(|l| l.trim_end() == "---")
    {
        return Format::Markdown;
    }
    if first.starts_with('{') || is_json_list(text.trim_start()) {
        return Format::WhisperJson;
    }
    if (first.bytes().all(|b| b.is_ascii_digit()) && second.contains("-->")) || is_timing(first) {
        return Format::Srt;
    }
    let first_speech = text
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(20)
        .find(|l| header_line(l).is_none());
    if first_speech.is_some_and(|l| speaker_line(l).is_some()) {
        return Format::Otter;
    }
    let ext = path
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("vtt") => Format::Vtt,
        Some("srt") => Format::Srt,
        Some("json") => Format::WhisperJson,
        Some("md" | "markdown") => Format::Markdown,
        _ if first.starts_with('#') => Format::Markdown,
        _ => Format::Plain,
    }
}

/// `[` then `{`, `]` or `"` (after spaces): a JSON list, not a `[00:01]` stamp.
fn is_json_list(text: &str) -> bool {
    text.strip_prefix('[').is_some_and(|rest| {
        rest.trim_start().starts_with(['{', ']', '"']) || rest.trim().is_empty()
    })
}

/// A line shaped `digits... --> digits...`.
fn is_timing(line: &str) -> bool {
    line.split_once("-->").is_some_and(|(a, b)| {
        a.trim().starts_with(|c: char| c.is_ascii_digit())
            && b.trim().starts_with(|c: char| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_before_the_extension() {
        fn p(s: &str) -> Option<&Path> {
            Some(Path::new(s))
        }
        assert_eq!(
            detect(
                "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nA: x",
                p("a.txt")
            ),
            Format::Vtt
        );
        assert_eq!(
            detect("1\n00:00:01,000 --> 00:00:02,000\nx", p("a.vtt")),
            Format::Srt
        );
        assert_eq!(
            detect("---\ndate: 2025-11-07\n---\nA: x", None),
            Format::Markdown
        );
        assert_eq!(detect("  {\"segments\": []}", None), Format::WhisperJson);
        assert_eq!(detect("[\n  {\"text\": \"x\"}]", None), Format::WhisperJson);
        assert_eq!(detect("[00:00:01] Ann: hi", p("a.txt")), Format::Plain);
        assert_eq!(
            detect("[00:00:01] Ann: hi", p("a.json")),
            Format::WhisperJson
        );
        assert_eq!(
            detect("Date: 2025-11-07\n\nAnn Lee  0:10\nhello", None),
            Format::Otter
        );
        assert_eq!(detect("Ann: hello\nBob: hi", p("a.txt")), Format::Plain);
        assert_eq!(detect("just words", p("a.md")), Format::Markdown);
        assert_eq!(detect("just words", p("a.SRT")), Format::Srt);
        assert_eq!(detect("# Call\nAnn: hi", None), Format::Markdown);
        assert_eq!(detect("", None), Format::Plain);
    }
}
