//! Transcripts: what was said, by whom and when, read from the formats people export.
//!
//! Every format is read into one [`Transcript`]: *turns* (a speaker's stretch of speech,
//! with start and end times when the format has them) and [`Metadata`] (the meeting
//! date, a title hint, the format, the source file). Reading is three steps, each its own
//! module: [`decode`] (bytes to text: UTF-8 or UTF-16 with a mark, any line ends),
//! [`detect`] (the format, from the content; the extension is a hint and
//! `--input-format` forces one), and a pure parser per format (`&str` in, turns and
//! header fields out): [`vtt`], [`srt`], [`otter`], [`whisper_json`], [`plain`],
//! [`markdown`]. [`metadata`] finds the date and title; nothing invents a date.
//!
//! Errors name the file and the line (or byte offset, or JSON item) and say what was
//! expected. Files above [`MAX_FILE_BYTES`] are refused; a file is read into memory
//! once.

mod cue;
pub mod decode;
pub mod detect;
pub mod error;
pub mod markdown;
pub mod metadata;
pub mod model;
pub mod otter;
pub mod plain;
pub mod srt;
pub mod text;
pub mod timestamp;
pub mod vtt;
pub mod whisper_json;

use std::io::Read;
use std::path::Path;

pub use detect::detect;
pub use error::{Location, ParseError, TranscriptError};
pub use model::{DateSource, Format, Metadata, Transcript, Turn, UNKNOWN_SPEAKER};

use decode::DecodeError;
use metadata::HeaderFields;

/// The largest transcript recap reads: 256 MiB (a day of speech is about 1 MB of text).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// What a format's parser returns: turns in file order (not yet merged) and metadata
/// found in the file.
#[derive(Debug, Default)]
pub struct Parsed {
    pub turns: Vec<Turn>,
    /// Header lines (`Date: …`) before the speech or in WebVTT header/NOTE blocks.
    pub header: HeaderFields,
    /// A markdown transcript's YAML frontmatter.
    pub frontmatter: Option<HeaderFields>,
}

/// Runs the parser of `format` on `text` (decoded, `\n` line ends).
pub fn parse_format(format: Format, text: &str) -> Result<Parsed, ParseError> {
    match format {
        Format::Vtt => vtt::parse(text),
        Format::Srt => srt::parse(text),
        Format::Otter => otter::parse(text),
        Format::WhisperJson => whisper_json::parse(text),
        Format::Plain => plain::parse(text),
        Format::Markdown => markdown::parse(text),
    }
}

/// Reads the transcript at `path`, detecting its format unless `format` is given.
pub fn read_path(path: &Path, format: Option<Format>) -> Result<Transcript, TranscriptError> {
    let read_error = |source| TranscriptError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    let too_large = |size| TranscriptError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: MAX_FILE_BYTES,
    };
    if size > MAX_FILE_BYTES {
        return Err(too_large(size));
    }
    // The size can change under us (or be unknown, for a pipe): never read past the limit.
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    parse_bytes(&bytes, path, format)
}

/// Reads a transcript from the bytes of the file at `path` (used for errors and metadata).
pub fn parse_bytes(
    bytes: &[u8],
    path: &Path,
    format: Option<Format>,
) -> Result<Transcript, TranscriptError> {
    let path_buf = || path.to_path_buf();
    if bytes.is_empty() {
        return Err(TranscriptError::Empty { path: path_buf() });
    }
    let text = decode::decode(bytes).map_err(|e| match e {
        DecodeError::Binary { offset } => TranscriptError::Binary {
            path: path_buf(),
            offset,
        },
        DecodeError::Encoding {
            encoding,
            line,
            offset,
        } => TranscriptError::Encoding {
            path: path_buf(),
            encoding,
            line,
            offset,
        },
    })?;
    parse_text(&text, path, format)
}

/// Reads a transcript from decoded text with `\n` line ends; `path` names it.
pub fn parse_text(
    text: &str,
    path: &Path,
    format: Option<Format>,
) -> Result<Transcript, TranscriptError> {
    if text.trim().is_empty() {
        return Err(TranscriptError::Empty {
            path: path.to_path_buf(),
        });
    }
    let format = format.unwrap_or_else(|| detect(text, Some(path)));
    let parsed = parse_format(format, text).map_err(|error| TranscriptError::Syntax {
        path: path.to_path_buf(),
        format,
        error,
    })?;
    let (file_date, file_title) = metadata::from_file_name(path);
    let frontmatter = parsed.frontmatter.unwrap_or_default();
    let header = parsed.header;
    let (date, date_source) = [
        (frontmatter.date, DateSource::Frontmatter),
        (header.date, DateSource::Header),
        (file_date, DateSource::FileName),
    ]
    .into_iter()
    .find_map(|(date, source)| date.map(|d| (Some(d), Some(source))))
    .unwrap_or((None, None));
    let mut listed_participants = frontmatter.participants;
    listed_participants.extend(header.participants);
    let metadata = Metadata {
        date,
        date_source,
        title_hint: frontmatter.title.or(header.title).or(file_title),
        format,
        source: Some(path.to_path_buf()),
        listed_participants,
    };
    let transcript = Transcript::new(parsed.turns, metadata);
    if transcript.turns.is_empty() {
        return Err(TranscriptError::NoSpeech {
            path: path.to_path_buf(),
            format,
        });
    }
    Ok(transcript)
}
