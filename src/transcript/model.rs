//! The one shape every transcript format is read into.
//!
//! A *turn* is one stretch of speech by one speaker: consecutive utterances of the same
//! speaker are merged into one turn, so two neighbouring turns always have different
//! speakers. Times are seconds from the start of the recording, when the format has them.
//! The *participants* are the distinct speakers in order of first appearance, then the
//! people a markdown transcript's frontmatter lists who never spoke; the placeholder
//! [`UNKNOWN_SPEAKER`] (speech with no label) is not a participant.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::date::Date;

use super::text::word_count;

/// The speaker of text that carries no speaker label.
pub const UNKNOWN_SPEAKER: &str = "Unknown";

/// The transcript formats recap reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// WebVTT captions, Zoom style (`Name: text`) or Teams style (`<v Name>text</v>`).
    Vtt,
    /// SubRip subtitles, with or without `Name:` prefixes.
    Srt,
    /// Otter.ai text export: `Name  0:10` on one line, the words below.
    Otter,
    /// Whisper, faster-whisper, WhisperX or whisper.cpp JSON output.
    WhisperJson,
    /// Plain text: `Name: text` lines, optionally stamped `[hh:mm:ss]` or `(mm:ss)`, or
    /// unlabelled text (one unknown speaker).
    Plain,
    /// Markdown with YAML frontmatter (date, title, participants) and a plain-text body.
    Markdown,
}

impl Format {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Vtt => "vtt",
            Self::Srt => "srt",
            Self::Otter => "otter",
            Self::WhisperJson => "whisper-json",
            Self::Plain => "plain",
            Self::Markdown => "markdown",
        }
    }

    /// What one piece of speech is called in this format (for error messages).
    pub fn unit_of_speech(self) -> &'static str {
        match self {
            Self::Vtt | Self::Srt => "cue with text",
            Self::Otter => "speaker block with text",
            Self::WhisperJson => "segment with text",
            Self::Plain | Self::Markdown => "line of text",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One speaker's stretch of speech.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turn {
    pub speaker: String,
    /// Seconds from the start of the recording, when known.
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Clean text: no markup, one space between words.
    pub text: String,
}

impl Turn {
    pub fn new(
        speaker: impl Into<String>,
        start: Option<f64>,
        end: Option<f64>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            speaker: speaker.into(),
            start,
            end,
            text: text.into(),
        }
    }

    pub fn word_count(&self) -> usize {
        word_count(&self.text)
    }
}

/// Where the meeting date was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateSource {
    /// The `date` key of a markdown transcript's YAML frontmatter.
    Frontmatter,
    /// A `Date:` line in the file's header (a WebVTT header or NOTE, the lines before
    /// the first turn of a text transcript).
    Header,
    /// The file name (`2025-11-07 - Title.md`, `2025-11-07_title.vtt`, `20251107 …`).
    FileName,
}

impl DateSource {
    pub fn name(self) -> &'static str {
        match self {
            Self::Frontmatter => "frontmatter",
            Self::Header => "header",
            Self::FileName => "file name",
        }
    }
}

/// What is known about a transcript besides its turns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    /// The meeting date; `None` when the file does not say (it is never guessed).
    pub date: Option<Date>,
    pub date_source: Option<DateSource>,
    /// A title from the frontmatter, a `Title:` header or the file name.
    pub title_hint: Option<String>,
    pub format: Format,
    /// The file the transcript was read from.
    pub source: Option<PathBuf>,
    /// People a markdown frontmatter (or a `Participants:` header) lists.
    pub listed_participants: Vec<String>,
}

impl Metadata {
    pub fn new(format: Format) -> Self {
        Self {
            date: None,
            date_source: None,
            title_hint: None,
            format,
            source: None,
            listed_participants: Vec::new(),
        }
    }
}

/// A meeting transcript: turns in order, and metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transcript {
    pub turns: Vec<Turn>,
    pub metadata: Metadata,
}

impl Transcript {
    /// Builds a transcript, dropping empty turns and merging consecutive turns of one
    /// speaker.
    pub fn new(turns: impl IntoIterator<Item = Turn>, metadata: Metadata) -> Self {
        let mut merged = Vec::new();
        for turn in turns {
            push_merged(&mut merged, turn);
        }
        Self {
            turns: merged,
            metadata,
        }
    }

    /// Renames speakers (and listed participants) through `aliases` (label -> name),
    /// then merges turns that became consecutive turns of one person.
    pub fn with_aliases(self, aliases: &BTreeMap<String, String>) -> Self {
        if aliases.is_empty() {
            return self;
        }
        let rename = |name: String| aliases.get(&name).cloned().unwrap_or(name);
        let mut metadata = self.metadata;
        metadata.listed_participants = dedup(metadata.listed_participants.into_iter().map(rename));
        let turns = self.turns.into_iter().map(|t| Turn {
            speaker: rename(t.speaker),
            ..t
        });
        Self::new(turns.collect::<Vec<_>>(), metadata)
    }

    /// Distinct speakers in order of first appearance, then listed people who never
    /// spoke; never [`UNKNOWN_SPEAKER`].
    pub fn participants(&self) -> Vec<String> {
        let speakers = self.turns.iter().map(|t| t.speaker.clone());
        let listed = self.metadata.listed_participants.iter().cloned();
        dedup(speakers.chain(listed).filter(|s| s != UNKNOWN_SPEAKER))
    }

    pub fn word_count(&self) -> usize {
        self.turns.iter().map(Turn::word_count).sum()
    }
}

fn dedup(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Appends `turn` to `turns`, or extends the last turn when it has the same speaker.
fn push_merged(turns: &mut Vec<Turn>, turn: Turn) {
    if turn.text.is_empty() {
        return;
    }
    match turns.last_mut() {
        Some(last) if last.speaker == turn.speaker => {
            last.text.push(' ');
            last.text.push_str(&turn.text);
            last.start = last.start.or(turn.start);
            last.end = match (last.end, turn.end) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => b.or(a),
            };
        }
        _ => turns.push(turn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(speaker: &str, text: &str) -> Turn {
        Turn::new(speaker, None, None, text)
    }

    #[test]
    fn merges_consecutive_turns_of_one_speaker_and_drops_empty_ones() {
        let tr = Transcript::new(
            [
                Turn::new("A", Some(1.0), Some(2.0), "one"),
                t("A", ""),
                Turn::new("A", Some(1.5), Some(3.0), "two"),
                t("B", "three"),
                t("A", "four"),
            ],
            Metadata::new(Format::Plain),
        );
        assert_eq!(tr.turns.len(), 3);
        assert_eq!(tr.turns[0], Turn::new("A", Some(1.0), Some(3.0), "one two"));
        assert_eq!(tr.word_count(), 4);
    }

    #[test]
    fn aliases_rename_merge_and_order_participants() {
        let mut meta = Metadata::new(Format::Markdown);
        meta.listed_participants = vec!["Speaker 2".into(), "Pat".into()];
        let tr = Transcript::new(
            [
                t("Speaker 1", "hi"),
                t("Jeff Denworth", "again"),
                t(UNKNOWN_SPEAKER, "?"),
                t("Speaker 2", "yo"),
            ],
            meta,
        );
        let aliases = BTreeMap::from([
            ("Speaker 1".to_string(), "Jeff Denworth".to_string()),
            ("Speaker 2".to_string(), "Jason Vallery".to_string()),
        ]);
        let tr = tr.with_aliases(&aliases);
        assert_eq!(tr.turns.len(), 3);
        assert_eq!(tr.turns[0].text, "hi again");
        assert_eq!(tr.participants(), ["Jeff Denworth", "Jason Vallery", "Pat"]);
    }
}
