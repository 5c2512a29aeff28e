//! The command line as typed: clap definitions that mirror the flags one for one.
//! Settings that merge flags, the config file and defaults live in [`crate::config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Offline meeting notes: turn transcripts into structured markdown notes with a local
/// language model, and check notes against the note schema.
#[derive(Debug, Parser)]
#[command(name = "recap", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Config file to read instead of ~/.config/recap/config.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Number of CPU threads for inference (default: the config's `threads`, else all cores).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check notes against the note schema and print diagnostics.
    ///
    /// Folders are searched recursively for `*.md` files. Exit status: 0 when no note has
    /// an error, 1 when one has (or has a warning, with --strict), 2 on usage or I/O errors.
    Validate(ValidateArgs),
    /// Show how recap reads a transcript: format, date, speakers and turns.
    Transcript(TranscriptArgs),
    /// Score a summarizer on meetings with human references (ROUGE, action and decision
    /// recall/precision, validity, speed).
    ///
    /// Prints a table to stderr as it runs, one row a meeting and then the mean, and writes
    /// the full report as JSON to --out (or to stdout without it).
    Eval(EvalArgs),
}

/// How results are reported: for people, or for tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Notes or folders of notes to check.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Treat warnings as errors for the exit status.
    #[arg(long)]
    pub strict: bool,

    /// Output format of the diagnostics.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct TranscriptArgs {
    /// The transcript file to read.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Read the file as this format instead of detecting it from the content.
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The evaluation set: JSONL, one meeting with its references a line.
    #[arg(long, value_name = "FILE.jsonl")]
    pub dataset: PathBuf,

    /// Model to evaluate (a name from models.toml; default: the configured model).
    #[arg(long, value_name = "NAME", conflicts_with = "baseline")]
    pub model: Option<String>,

    /// Evaluate only the first N meetings.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Write the JSON report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Evaluate the extractive baseline (central transcript sentences) instead of a model.
    #[arg(long)]
    pub baseline: bool,
}
