//! `recap validate`: checks notes and folders of notes against the note schema.
//!
//! Text output (the default) goes to stderr as diagnostics, one per problem, then a
//! count line; `--format json` writes one JSON document to stdout:
//! `{"diagnostics": [...], "summary": {"files", "errors", "warnings"}}`.

use serde_json::json;

use crate::cli::{OutputFormat, ValidateArgs};
use crate::config::Config;
use crate::note::{check_paths, check_paths_each, Rules, Severity};

use super::{Exit, Io};

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The closing line: `checked 3 notes: 2 errors, 1 warning`.
pub fn count_line(files: usize, errors: usize, warnings: usize) -> String {
    format!(
        "checked {}: {}, {}",
        plural(files, "note"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// What decides the exit status.
struct Counts {
    errors: usize,
    warnings: usize,
    io_errors: bool,
}

pub fn run(args: &ValidateArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let rules = Rules::from_config(config);
    let report = match args.format {
        OutputFormat::Text => {
            // Printed as found and only counted: memory stays flat over a large vault.
            let (mut errors, mut warnings, mut io_errors) = (0, 0, false);
            let mut failed = None;
            let files = check_paths_each(&args.paths, &rules, &mut |d| {
                match d.severity {
                    Severity::Error => errors += 1,
                    Severity::Warning => warnings += 1,
                }
                io_errors |= d.rule.is_io();
                if failed.is_none() {
                    failed = writeln!(io.err, "{d}").err();
                }
            });
            if let Some(e) = failed {
                return Err(e.into());
            }
            writeln!(io.err, "{}", count_line(files, errors, warnings))?;
            Counts {
                errors,
                warnings,
                io_errors,
            }
        }
        OutputFormat::Json => {
            let report = check_paths(&args.paths, &rules);
            let doc = json!({
                "diagnostics": report.diagnostics,
                "summary": {
                    "files": report.files,
                    "errors": report.errors(),
                    "warnings": report.warnings(),
                },
            });
            writeln!(io.out, "{}", serde_json::to_string_pretty(&doc)?)?;
            Counts {
                errors: report.errors(),
                warnings: report.warnings(),
                io_errors: report.has_io_errors(),
            }
        }
    };
    Ok(if report.io_errors {
        Exit::Failure
    } else if report.errors > 0 || (args.strict && report.warnings > 0) {
        Exit::Problems
    } else {
        Exit::Success
    })
}
