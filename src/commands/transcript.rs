//! `recap transcript FILE`: shows how recap reads a transcript (format, date, title
//! hint, participants, counts, then every turn), as text for people or JSON for tools.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::cli::{OutputFormat, TranscriptArgs};
use crate::config::Config;
use crate::date::Date;
use crate::pipeline::plan::{transcript_tokens, EstimatedTokens};
use crate::transcript::timestamp::format_clock;
use crate::transcript::{read_path, DateSource, Format, Transcript, Turn};

use super::{Exit, Io};

/// What `--format json` prints.
#[derive(Debug, Serialize)]
struct Report<'a> {
    file: String,
    format: Format,
    date: Option<Date>,
    date_source: Option<DateSource>,
    title_hint: Option<&'a str>,
    participants: Vec<String>,
    turn_count: usize,
    words: usize,
    estimated_tokens: usize,
    turns: &'a [Turn],
}

impl<'a> Report<'a> {
    fn new(file: &Path, transcript: &'a Transcript) -> Self {
        let meta = &transcript.metadata;
        Self {
            file: file.display().to_string(),
            format: meta.format,
            date: meta.date,
            date_source: meta.date_source,
            title_hint: meta.title_hint.as_deref(),
            participants: transcript.participants(),
            turn_count: transcript.turns.len(),
            words: transcript.word_count(),
            estimated_tokens: transcript_tokens(transcript, &EstimatedTokens),
            turns: &transcript.turns,
        }
    }

    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let date = match (self.date, self.date_source) {
            (Some(date), Some(source)) => format!("{date} (from the {})", source.name()),
            (Some(date), None) => date.to_string(),
            (None, _) => "unknown".to_string(),
        };
        let participants = if self.participants.is_empty() {
            "none".to_string()
        } else {
            self.participants.join(", ")
        };
        writeln!(out, "file:         {}", self.file)?;
        writeln!(out, "format:       {}", self.format)?;
        writeln!(out, "date:         {date}")?;
        writeln!(out, "title hint:   {}", self.title_hint.unwrap_or("none"))?;
        writeln!(out, "participants: {participants}")?;
        writeln!(out, "turns:        {}", self.turn_count)?;
        writeln!(out, "words:        {}", self.words)?;
        writeln!(out, "tokens:       {} (estimated)", self.estimated_tokens)?;
        writeln!(out)?;
        for turn in self.turns {
            match turn.start {
                Some(start) => writeln!(
                    out,
                    "[{}] {}: {}",
                    format_clock(start),
                    turn.speaker,
                    turn.text
                )?,
                None => writeln!(out, "{}: {}", turn.speaker, turn.text)?,
            }
        }
        Ok(())
    }
}

pub fn run(args: &TranscriptArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let transcript = read_path(&args.file, args.input_format)?.with_aliases(&config.aliases);
    let report = Report::new(&args.file, &transcript);
    match args.format {
        OutputFormat::Text => report.write_text(io.out)?,
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *io.out, &report)?;
            writeln!(io.out)?;
        }
    }
    Ok(Exit::Success)
}
