//! Progress of a pipeline run on stderr: one bar over the files (with an ETA) and one line
//! for the file at hand (its stage, tokens and tokens/s). Drawn only on a terminal; in a
//! pipe or a log, only the per-file result lines are written.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::pipeline::generator::Progress;
use crate::pipeline::summarize::Stage;

use super::Io;

pub struct PipelineProgress {
    multi: Option<MultiProgress>,
    overall: ProgressBar,
    file: ProgressBar,
}

impl PipelineProgress {
    /// Bars for `files` files, hidden when stderr is not a terminal.
    pub fn new(files: usize) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self {
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
            multi: Some(multi),
            overall,
            file,
        }
    }

    pub fn start_file(&mut self, path: &Path) {
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
            Stage::Map { part: 1, parts: 1 } => "whole meeting".to_string(),
            Stage::Map { part, parts } => format!("part {part}/{parts}"),
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

    pub fn finish_file(&mut self) {
        self.overall.inc(1);
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
