//! `recap eval`: runs a summarizer over an evaluation set and scores it.
//!
//! The system under test is a [`Summarizer`]: `--baseline` selects the extractive
//! baseline, `--from` the candidates of a saved report; otherwise [`model_summarizer`] builds the model pipeline (the one place where
//! it is plugged in). While it runs, a progress bar (drawn only when stderr is a terminal)
//! and a table row a meeting go to stderr; at the end the mean row, and the JSON report to
//! `--out` or stdout. Exit status 1 when the system failed on some meeting (the failure is
//! in the report and the meeting scored as an empty note), 0 otherwise.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::EvalArgs;
use crate::config::Config;
use crate::embed::Embedder;
use crate::eval::baseline::Baseline;
use crate::eval::candidate::Summarizer;
use crate::eval::dataset::Dataset;
use crate::eval::meaning::MeaningMatcher;
use crate::eval::pipeline_summarizer::PipelineSummarizer;
use crate::eval::report::{self, Report};
use crate::eval::saved::Saved;
use crate::pipeline::generator::Generator;
use crate::pipeline::prompts::Prompts;
use crate::pipeline::replay::Replay;
use crate::pipeline::summarize::Settings;
use crate::pipeline::trace::Traced;

use super::{Exit, Io};

pub fn run(args: &EvalArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let dataset = Dataset::from_path(&args.dataset)?;
    let limit = args
        .limit
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let meetings: Vec<_> = dataset
        .meetings
        .iter()
        .filter(|m| args.meetings.is_empty() || args.meetings.contains(&m.id))
        .take(limit)
        .collect();
    if let Some(missing) = args
        .meetings
        .iter()
        .find(|id| !dataset.meetings.iter().any(|m| &m.id == *id))
    {
        anyhow::bail!(
            "{} has no meeting with id {missing:?}",
            args.dataset.display()
        );
    }

    let embedder = super::model_loader::load_embedder(config, &mut *io.err)?;
    let mut summarizer: Box<dyn Summarizer> = match &args.from {
        Some(path) => Box::new(Saved::from_path(path)?),
        None if args.baseline => Box::new(Baseline::default()),
        None => model_summarizer(args, config, Arc::clone(&embedder), io)?,
    };
    let mut matcher = MeaningMatcher::new(&*embedder, super::model_loader::DEFAULT_EMBEDDER);
    writeln!(
        io.err,
        "evaluating {} on {} meeting(s) of {}, {} thread(s)",
        summarizer.name(),
        meetings.len(),
        args.dataset.display(),
        config.threads
    )?;
    let bar =
        ProgressBar::with_draw_target(Some(meetings.len() as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} meetings, {elapsed} elapsed, {msg}")
            .context("progress bar template")?,
    );
    writeln!(io.err, "{}", report::table_header())?;

    let mut scored = Vec::with_capacity(meetings.len());
    for &meeting in &meetings {
        bar.set_message(meeting.id.clone());
        let start = Instant::now();
        let result = summarizer.summarize(meeting);
        let seconds = summarizer
            .recorded_seconds(meeting)
            .unwrap_or_else(|| start.elapsed().as_secs_f64());
        let mut row = match result {
            Ok(candidate) => report::score_meeting(meeting, candidate, seconds),
            Err(e) => report::score_failure(meeting, format!("{e:#}"), seconds),
        };
        report::score_meaning(&mut row, meeting, &mut matcher)?;
        bar.suspend(|| -> std::io::Result<()> {
            writeln!(io.err, "{}", report::table_row(&row))?;
            if args.items {
                write!(io.err, "{}", report::item_lines(meeting, &row))?;
            }
            Ok(())
        })?;
        bar.inc(1);
        scored.push(row);
    }
    bar.finish_and_clear();

    let report = Report::new(
        summarizer.name(),
        args.dataset.display().to_string(),
        config.threads,
        scored,
        &meetings,
        Some(&mut matcher),
    )?;
    writeln!(io.err, "{}", report::table_mean(&report))?;
    let json = serde_json::to_string_pretty(&report)?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, json + "\n")
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
            writeln!(io.err, "report written to {}", path.display())?;
        }
        None => writeln!(io.out, "{json}")?,
    }
    Ok(if report.mean.failed > 0 {
        Exit::Problems
    } else {
        Exit::Success
    })
}

/// The model pipeline as a [`Summarizer`]: the single place where `recap eval` plugs into
/// `recap summarize`'s pipeline.
fn model_summarizer(
    args: &EvalArgs,
    config: &Config,
    embedder: Arc<Embedder>,
    io: &mut Io<'_>,
) -> anyhow::Result<Box<dyn Summarizer>> {
    let request = super::engine::Request {
        model: args.model.as_deref(),
        backend: args.backend.as_deref(),
        jobs: None,
    };
    let generator = super::engine::Engine::load(request, config, &mut *io.err)?;
    let name = generator.name(args.model.as_deref(), config);
    let settings = Settings {
        thresholds: crate::pipeline::quality::Thresholds::with_min_words(config.min_words),
        embedder: Some(embedder),
        ..Settings::default()
    };
    let prompts = Prompts::load(config.prompts_dir.as_deref())?;
    let mut generator: Box<dyn Generator + Send> = Box::new(generator);
    if let Some(path) = &args.replay {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the trace {}", path.display()))?;
        let replay = Replay::from_trace(generator, &text)
            .with_context(|| format!("cannot replay {}", path.display()))?;
        writeln!(
            io.err,
            "replaying {} recorded answer(s) from {}",
            replay.recorded(),
            path.display()
        )?;
        generator = Box::new(replay);
    }
    if let Some(path) = &args.trace {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create the trace file {}", path.display()))?;
        generator = Box::new(Traced::new(
            generator,
            Box::new(std::io::BufWriter::new(file)),
        ));
    }
    Ok(Box::new(PipelineSummarizer::new(
        name, generator, prompts, settings,
    )))
}
