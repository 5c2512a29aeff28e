//! `recap validate`: checks notes and folders of notes against the note schema.
//!
//! Text output (the default) goes to stderr as diagnostics, one per problem, then a
//! count line; `--format json` writes one JSON document to stdout:
//! `{"diagnostics": [...], "summary": {"files", "errors", "warnings"}}`.

use serde_json::json;

use crate::cli::{OutputFormat, ValidateArgs};
use crate::config::Config;
use crate::note::{check_paths, Report, Rules};

use super::{Exit, Io};

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The closing line: `checked 3 notes: 2 errors, 1 warning`.
pub fn count_line(report: &Report) -> String {
    format!(
        "checked {}: {}, {}",
        plural(report.files, "note"),
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning")
    )
}

pub fn run(args: &ValidateArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let rules = Rules::from_config(config);
    let report = check_paths(&args.paths, &rules);
    match args.format {
        OutputFormat::Text => {
            for d in &report.diagnostics {
                writeln!(io.err, "{d}")?;
            }
            writeln!(io.err, "{}", count_line(&report))?;
        }
        OutputFormat::Json => {
            let doc = json!({
                "diagnostics": report.diagnostics,
                "summary": {
                    "files": report.files,
                    "errors": report.errors(),
                    "warnings": report.warnings(),
                },
            });
            writeln!(io.out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
    }
    Ok(if report.has_io_errors() {
        Exit::Failure
    } else if report.errors() > 0 || (args.strict && report.warnings() > 0) {
        Exit::Problems
    } else {
        Exit::Success
    })
}
