//! The subcommands. Each takes its parsed arguments, the resolved [`Config`] and the
//! writers it reports to, and returns an [`Exit`]. Errors carry their context up to
//! [`run`], which prints them as `error: ...` and exits with status 2.

mod bench;
mod claim;
mod engine;
mod eval;
mod model_loader;
mod models;
mod progress;
mod regenerate;
mod summarize;
mod transcript;
mod validate;

pub use bench::cpu_name;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::Config;

/// The process exit status, with the meanings ripgrep gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, nothing wrong found.
    Success,
    /// 1: the command ran and found problems (a note failed validation, a file failed).
    Problems,
    /// 2: usage, configuration or I/O error.
    Failure,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Success => Self::SUCCESS,
            Exit::Problems => Self::from(1),
            Exit::Failure => Self::from(2),
        }
    }
}

/// Where a command reports: `out` carries data (pipeable), `err` progress and diagnostics.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

/// Parses `args` and runs the command, writing data to `out` and messages to `err`.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            // --help and --version are answers, not errors: they go to stdout, status 0.
            return if e.use_stderr() {
                let _ = write!(err, "{text}");
                Exit::Failure
            } else {
                let _ = write!(out, "{text}");
                Exit::Success
            };
        }
    };
    let mut io = Io { out, err };
    match dispatch(cli, &mut io) {
        Ok(exit) => exit,
        Err(e) => {
            let _ = writeln!(io.err, "error: {e:#}");
            Exit::Failure
        }
    }
}

fn dispatch(cli: Cli, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let config = Config::load(cli.config.as_deref(), cli.threads)?;
    match cli.command {
        Command::Summarize(args) => summarize::run(&args, &config, io),
        Command::Regenerate(args) => regenerate::run(&args, &config, io),
        Command::Validate(args) => validate::run(&args, &config, io),
        Command::Transcript(args) => transcript::run(&args, &config, io),
        Command::Models(args) => models::run(&args, &config, io),
        Command::Bench(args) => bench::run(&args, &config, io),
        Command::Eval(args) => eval::run(&args, &config, io),
    }
}
