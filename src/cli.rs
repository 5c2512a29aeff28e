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
    /// Turn transcripts into notes with a local model.
    ///
    /// Takes transcript files or folders (searched recursively for .vtt, .srt, .txt, .json
    /// and .md transcripts). A transcript that already has a note in the output folder
    /// (matched by the note's `source_ref`) is skipped; use `recap regenerate` to refresh
    /// a note. Each note is validated before it is written, and written atomically.
    /// Exit status: 0 when every transcript was summarized or skipped, 1 when one failed,
    /// 2 on usage or configuration errors.
    Summarize(SummarizeArgs),
    /// Make notes again from their transcripts, keeping what you edited.
    ///
    /// Re-reads the transcript at each note's `source_ref` and writes the note again,
    /// keeping the status of action items you ticked, reopened or cancelled (matched to the
    /// new items by content), your own tags, sections and text. A note whose transcript is
    /// missing is reported and left as it was.
    Regenerate(RegenerateArgs),
    /// Check notes against the note schema and print diagnostics.
    ///
    /// Folders are searched recursively for `*.md` files. Exit status: 0 when no note has
    /// an error, 1 when one has (or has a warning, with --strict), 2 on usage or I/O errors.
    Validate(ValidateArgs),
    /// Show how recap reads a transcript: format, date, speakers and turns.
    Transcript(TranscriptArgs),
    /// List, fetch and check the local models recap runs.
    Models(ModelsArgs),
    /// Measure a model's speed: load time, prefill and decode tokens/s, peak memory.
    ///
    /// Feeds a prompt of fixed pseudo-random tokens, then generates greedily; decode is
    /// measured from position = prompt length. Uses --threads (or the config's `threads`).
    Bench(BenchArgs),
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
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<crate::transcript::Format>,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the known models and whether each is cached.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Fetch a model into the cache (verified, then moved into place) and print its path.
    Pull {
        /// The model's name, as `recap models list` shows it.
        #[arg(value_name = "NAME")]
        name: String,
        /// Fetch again even if the model is cached.
        #[arg(long)]
        force: bool,
    },
    /// Re-hash cached files and check them; every cached model when no name is given.
    ///
    /// Exit status: 0 when every file checked is intact, 1 when one is damaged.
    Verify {
        /// The model to check.
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
    /// Print the path of a cached model's file.
    Path {
        /// The model's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
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

    /// How prompt batches multiply by the weights: an int8 GEMM (on the AVX2, AVX-VNNI,
    /// AVX-512 and NEON paths; the generic path dequantizes to f32 instead), f32 weights
    /// dequantized per call or kept resident, or candle's quantized matmul. Single tokens
    /// always use recap's decoding kernels where the CPU has them.
    #[arg(long, value_enum, default_value_t)]
    pub dense: DenseArg,
}

/// `--dense`: how prompt batches multiply by the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DenseArg {
    #[default]
    Int8,
    PerCall,
    Resident,
    Off,
}

/// Options shared by the commands that run a model.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Model name from `recap models list`, or a path to a .gguf file (default: the
    /// config's `model`, else qwen2.5-coder-1.5b-instruct). Fetched on first use.
    #[arg(long, value_name = "NAME_OR_PATH")]
    pub model: Option<String>,

    /// Your name as transcripts write it: your action items are owned by `Myself`, and a
    /// meeting between you and one other person is a 1:1 (`people` note).
    #[arg(long, value_name = "NAME")]
    pub me: Option<String>,

    /// Send the passes to an OpenAI-compatible server (vLLM, llama-server, Ollama, LM
    /// Studio) at URL instead of running a local model, e.g. http://127.0.0.1:8080/v1;
    /// --model then names the server's model. `local` runs the local model even when the
    /// config's [backend] table sets a URL.
    #[arg(long, value_name = "URL")]
    pub backend: Option<String>,
}

#[derive(Debug, Args)]
pub struct SummarizeArgs {
    /// Transcript files or folders of transcripts.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,

    /// Folder to write notes to (default: the config's `out_dir`, else the current folder).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Note type to write instead of the detected one (`people` for a 1:1, else `meeting`).
    #[arg(long = "type", value_name = "TYPE")]
    pub note_type: Option<String>,

    /// Meeting date (YYYY-MM-DD) when the transcript and its file name do not say.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,

    /// Read transcripts as this format instead of detecting it.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<crate::transcript::Format>,

    /// Summarize even when a note for the transcript exists, replacing it.
    #[arg(long)]
    pub force: bool,

    /// Show what would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Print notes to stdout instead of writing files.
    #[arg(long, conflicts_with = "dry_run")]
    pub stdout: bool,

    /// Requests kept at the server at once, over files and chunks (default: the config's
    /// `backend.jobs`, else 1). Needs a backend: a local model answers one at a time.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub jobs: Option<u64>,
}

#[derive(Debug, Args)]
pub struct RegenerateArgs {
    /// Notes or folders of notes.
    #[arg(required = true, value_name = "NOTE|DIR")]
    pub notes: Vec<PathBuf>,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Show a diff of each note instead of writing it.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The evaluation set: JSONL, one meeting with its references a line.
    #[arg(long, value_name = "FILE.jsonl")]
    pub dataset: PathBuf,

    /// Model to evaluate (a name from models.toml; default: the configured model). With
    /// --backend, the server's name for its model.
    #[arg(long, value_name = "NAME", conflicts_with = "baseline")]
    pub model: Option<String>,

    /// Evaluate the model an OpenAI-compatible server serves at URL, through the same
    /// pipeline (`local`: the local model even when the config sets a backend).
    #[arg(long, value_name = "URL", conflicts_with = "baseline")]
    pub backend: Option<String>,

    /// Evaluate only the first N meetings.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Write the JSON report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Evaluate the extractive baseline (central transcript sentences) instead of a model.
    #[arg(long)]
    pub baseline: bool,

    /// Score the notes saved in an earlier report (its `candidate`s) instead of running a
    /// system: re-scores an old run with today's matching rules in seconds.
    #[arg(long, value_name = "REPORT.json", conflicts_with_all = ["baseline", "model", "backend"])]
    pub from: Option<PathBuf>,

    /// Under each meeting's row, list its reference action items and decisions as found
    /// (with the item that matched) or missed, and the items that matched none.
    #[arg(long)]
    pub items: bool,

    /// Evaluate only the meeting with this id (repeat for several); with --limit, the
    /// first N of them.
    #[arg(long = "meeting", value_name = "ID")]
    pub meetings: Vec<String>,

    /// Write every prompt the model is asked and its raw answer (before grounding and
    /// merging) to FILE, one JSON object a line: to see why a list came out as it did.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["baseline", "from"])]
    pub trace: Option<PathBuf>,

    /// Answer each prompt recorded in FILE (a --trace of an earlier run) with its recorded
    /// answer, and only the others with the model: a change to grounding, sorting or
    /// merging is measured in seconds. The seconds and token rates are the replay's.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["baseline", "from"])]
    pub replay: Option<PathBuf>,
}
