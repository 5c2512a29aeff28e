//! Errors reading a transcript. Each names the file and where in it (a line, a byte
//! offset, or an item of a JSON document) something was wrong, and what was expected.
//!
//! Parsers report a [`ParseError`] (where and what, without the file); [`crate::transcript`]
//! adds the path and turns it into a [`TranscriptError`].

use std::fmt;
use std::path::PathBuf;

use super::model::Format;

/// A place in a transcript's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line number.
    Line(usize),
    /// 0-based byte offset into the file.
    Byte(usize),
    /// An item of a structured document, such as `segments[3]` of a JSON file.
    Item(String),
}

/// What a parser found wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub location: Location,
    /// What was found, e.g. `malformed timestamp "00:61:00.000"`.
    pub message: String,
    /// What the parser expected instead, e.g. `a time like 00:01:02.500`.
    pub expected: String,
}

impl ParseError {
    pub fn at_line(line: usize, message: impl Into<String>, expected: impl Into<String>) -> Self {
        Self {
            location: Location::Line(line),
            message: message.into(),
            expected: expected.into(),
        }
    }
}

/// `path:line`, `path: byte N` or `path: item`, as the errors print a location.
struct At<'a>(&'a PathBuf, &'a Location);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.0.display();
        match self.1 {
            Location::Line(line) => write!(f, "{path}:{line}"),
            Location::Byte(offset) => write!(f, "{path}: byte {offset}"),
            Location::Item(item) => write!(f, "{path}: {item}"),
        }
    }
}

fn at<'a>(path: &'a PathBuf, location: &'a Location) -> At<'a> {
    At(path, location)
}

/// Why a transcript could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: the file is {size} bytes, above the limit of {limit} bytes; expected a transcript under {} MiB\nhint: split the transcript into smaller files",
        path.display(), limit / (1024 * 1024)
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{}: the file is empty; expected a transcript", path.display())]
    Empty { path: PathBuf },
    #[error(
        "{}: byte {offset}: binary data (a NUL byte); expected a text transcript\nhint: transcripts are read as UTF-8, or as UTF-16 when the file starts with a byte-order mark",
        path.display()
    )]
    Binary { path: PathBuf, offset: usize },
    #[error(
        "{}:{line}: invalid {encoding} at byte {offset}; expected {encoding} text\nhint: save the transcript as UTF-8 (or UTF-16 with a byte-order mark)",
        path.display()
    )]
    Encoding {
        path: PathBuf,
        encoding: &'static str,
        line: usize,
        offset: usize,
    },
    #[error("{}: {}; expected {}", at(path, &error.location), error.message, error.expected)]
    Syntax {
        path: PathBuf,
        format: Format,
        error: ParseError,
    },
    #[error(
        "{}: no speech found; expected at least one {} in this {format} transcript",
        path.display(), format.unit_of_speech()
    )]
    NoSpeech { path: PathBuf, format: Format },
}

/// `text` quoted for an error message, cut to 40 characters.
pub fn snippet(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}
