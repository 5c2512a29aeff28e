//! Progress of a pipeline run on stderr: one bar over the files (with an ETA) and one line
//! for each file at work (its stage, tokens and tokens/s): one *slot* a file at a time, or
//! one for each of `--jobs` files at a server. Drawn only on a terminal; in a pipe or a
//! log, only the per-file result lines are written.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::pipeline::generator::Progress;
use crate::pipeline::summarize::Stage;

use super::Io;

pub struct PipelineProgress {
    multi: Option<MultiProgress>,
    overall: ProgressBar,
    slots: Vec<Slot>,
}

/// The line of one file at work.
struct Slot {
    /// When its file was started.
    started: Instant,
    bar: ProgressBar,
}

impl PipelineProgress {
    /// Bars for `files` files, `slots` of them at work at once; hidden when stderr is
    /// not a terminal.
    pub fn new(files: usize, slots: usize) -> Self {
        let slots = slots.max(1);
        if !std::io::stderr().is_terminal() {
            return Self {
                multi: None,
                overall: ProgressBar::hidden(),
                slots: (0..slots)
                    .map(|_| Slot {
                        started: Instant::now(),
                        bar: ProgressBar::hidden(),
                    })
                    .collect(),
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(files as u64).with_style(style(
            "{prefix:>10} [{wide_bar}] {pos}/{len} files, {elapsed} elapsed, ETA {eta}",
        )));
        overall.set_prefix("summarize");
        let slots = (0..slots)
            .map(|_| {
                let bar =
                    multi.add(ProgressBar::new_spinner().with_style(style("{spinner} {msg}")));
                bar.enable_steady_tick(Duration::from_millis(150));
                Slot {
                    started: Instant::now(),
                    bar,
                }
            })
            .collect();
        Self {
            multi: Some(multi),
            overall,
            slots,
        }
    }

    fn slot(&mut self, slot: usize) -> &mut Slot {
        let last = self.slots.len() - 1;
        &mut self.slots[slot.min(last)]
    }

    pub fn start_file(&mut self, slot: usize, path: &Path) {
        let slot = self.slot(slot);
        slot.started = Instant::now();
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        slot.bar.set_prefix(name);
        slot.bar
            .set_message(format!("{}: reading the transcript", slot.bar.prefix()));
    }

    pub fn update(&mut self, slot: usize, stage: Stage, progress: &Progress) {
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
        let bar = &self.slot(slot).bar;
        bar.set_message(format!("{}: {where_}, {what}", bar.prefix()));
    }

    /// Ends the file at hand: counts it on the overall bar and prints its outcome with the
    /// time it took (`failed <path>: <error><after_failure>` on failure, `failed
    /// <path>:<line>: <error>…` when the error gives the place). True when it
    /// succeeded.
    pub fn finish_file(
        &mut self,
        io: &mut Io<'_>,
        slot: usize,
        path: &Path,
        result: anyhow::Result<String>,
        after_failure: &str,
    ) -> bool {
        self.overall.inc(1);
        let seconds = self.slot(slot).started.elapsed().as_secs_f64();
        match result {
            Ok(message) => {
                self.println(io, &format!("{message} ({seconds:.1} s)"));
                true
            }
            Err(e) => {
                // An error that opens with the file's place (`notes.vtt:7: …`) names it
                // already.
                let why = format!("{e:#}");
                let shown = path.display().to_string();
                let line = match why.strip_prefix(&shown) {
                    Some(rest) if rest.starts_with(':') => format!("failed {why}{after_failure}"),
                    _ => format!("failed {shown}: {why}{after_failure}"),
                };
                self.println(io, &line);
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
        for slot in &self.slots {
            slot.bar.finish_and_clear();
        }
        self.overall.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
