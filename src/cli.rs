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
    /// Measure a model's speed: load time, prefill and decode tokens/s, peak memory.
    ///
    /// Feeds a prompt of fixed pseudo-random tokens, then generates greedily; decode is
    /// measured from position = prompt length. Uses --threads (or the config's `threads`).
    Bench(BenchArgs),
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
pub struct BenchArgs {
    /// The model: a path to a .gguf file (or a name from models.toml).
    #[arg(long, value_name = "NAME_OR_PATH")]
    pub model: String,

    /// Tokens in the prompt fed as one prefill batch.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub prompt_tokens: usize,

    /// Tokens generated one at a time after the prompt.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub gen_tokens: usize,

    /// Where prompt batches get f32 weights: dequantized per call, kept resident, or not
    /// at all (quantized matmul for everything).
    #[arg(long, value_enum, default_value_t)]
    pub dense: DenseArg,
}

/// `--dense`: how prompt batches multiply by the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DenseArg {
    #[default]
    PerCall,
    Resident,
    Off,
}
