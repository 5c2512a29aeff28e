//! Progress of a pipeline run on stderr: one bar over the files (with an ETA) and one line
//! for the file at hand (its stage, tokens and tokens/s). Drawn only on a terminal; in a
//! pipe or a log, only the per-file result lines are written.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::pipeline::generator::Progress;
use crate::pipeline::summarize::Stage;

use super::Io;

pub struct PipelineProgress {
    /// When the file at hand was started.
    started: Instant,
    multi: Option<MultiProgress>,
    overall: ProgressBar,
    file: ProgressBar,
}

impl PipelineProgress {
    /// Bars for `files` files, hidden when stderr is not a terminal.
    pub fn new(files: usize) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self {
                started: Instant::now(),
                multi: None,
                overall: ProgressBar::hidden(),
                file: ProgressBar::hidden(),
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(files as u64).with_style(style(
            "{prefix:>10} [{wide_bar}] {pos}/{len} files, {elapsed} elapsed, ETA {eta}",
        )));
        overall.set_prefix("summarize");
        let file = multi.add(ProgressBar::new_spinner().with_style(style("{spinner} {msg}")));
        file.enable_steady_tick(Duration::from_millis(150));
        Self {
            started: Instant::now(),
            multi: Some(multi),
            overall,
            file,
        }
    }

    pub fn start_file(&mut self, path: &Path) {
        self.started = Instant::now();
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        self.file.set_prefix(name);
        self.file
            .set_message(format!("{}: reading the transcript", self.file.prefix()));
    }

    pub fn update(&mut self, stage: Stage, progress: &Progress) {
        let where_ = match stage {
            Stage::Map {
                part: 1,
                parts: 1,
                pass,
            } => pass.label().to_string(),
            Stage::Map { part, parts, pass } => format!("part {part}/{parts}, {}", pass.label()),
            Stage::Reduce => "merging parts".to_string(),
        };
        let what = if progress.prompt_tokens == 0 {
            "preparing".to_string()
        } else if progress.prefill {
            format!("reading {} tokens", progress.prompt_tokens)
        } else {
            format!(
                "writing: {} tokens, {:.1} tok/s",
                progress.generated_tokens, progress.tokens_per_second
            )
        };
        self.file
            .set_message(format!("{}: {where_}, {what}", self.file.prefix()));
    }

    /// Ends the file at hand: counts it on the overall bar and prints its outcome with the
    /// time it took (`failed <path>: <error><after_failure>` on failure). True when it
    /// succeeded.
    pub fn finish_file(
        &mut self,
        io: &mut Io<'_>,
        path: &Path,
        result: anyhow::Result<String>,
        after_failure: &str,
    ) -> bool {
        self.overall.inc(1);
        let seconds = self.started.elapsed().as_secs_f64();
        match result {
            Ok(message) => {
                self.println(io, &format!("{message} ({seconds:.1} s)"));
                true
            }
            Err(e) => {
                self.println(
                    io,
                    &format!("failed {}: {e:#}{after_failure}", path.display()),
                );
                false
            }
        }
    }

    /// Counts a file that was not summarized after all, saying why.
    pub fn skip_file(&mut self, io: &mut Io<'_>, line: &str) {
        self.overall.inc(1);
        self.println(io, line);
    }

    /// Writes a result line above the bars (or plainly when there are none).
    pub fn println(&self, io: &mut Io<'_>, line: &str) {
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(line);
            }
            None => {
                let _ = writeln!(io.err, "{line}");
            }
        }
    }
}

impl Drop for PipelineProgress {
    fn drop(&mut self) {
        self.file.finish_and_clear();
        self.overall.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
