//! `recap summarize`: transcripts (files or folders) into notes. Finds the transcripts,
//! skips those that already have a note, loads the model once (fetching it on first use)
//! or connects to the configured server (several files at once with `--jobs`),
//! runs the pipeline per file with progress on stderr, writes each note atomically and
//! ends with a count. One failed file does not stop the others.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::Context as _;

use crate::cli::SummarizeArgs;
use crate::config::Config;
use crate::note::{source_ref, Note};
use crate::pipeline::generator::{Generator, Progress};
use crate::pipeline::naming::note_file_name;
use crate::pipeline::prompts::Prompts;
use crate::pipeline::summarize::{summarize, Settings, Stage, Summary};
use crate::transcript;

use super::claim::{self, Claimed};
use super::engine::{self, Engine};
use super::progress::PipelineProgress;
use super::{model_loader, Exit, Io};
use crate::remote::RemoteGenerator;

/// File extensions read as transcripts when a folder is given.
const TRANSCRIPT_EXTENSIONS: [&str; 5] = ["vtt", "srt", "txt", "json", "md"];

pub fn run(args: &SummarizeArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let out_dir = args
        .out
        .clone()
        .or_else(|| config.out_dir.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let Found {
        transcripts,
        unreadable,
    } = find_transcripts(&args.inputs)?;
    if transcripts.is_empty() && unreadable.is_empty() {
        anyhow::bail!(
            "no transcripts found in {}\nhint: recap reads .vtt, .srt, .txt, .json and .md files",
            list_paths(&args.inputs)
        );
    }
    let writes = !args.stdout && !args.dry_run;
    if writes {
        check_out_dir(&out_dir)?;
        claim::remove_debris(&out_dir);
    }
    let existing = if args.stdout {
        HashMap::new()
    } else {
        existing_notes(&out_dir)
    };
    let mut settings = Settings {
        me: args.model.me.clone().or_else(|| config.me.clone()),
        note_type: args.note_type.clone(),
        date: args.date.clone(),
        thresholds: crate::pipeline::quality::Thresholds::with_min_words(config.min_words),
        rules: crate::note::Rules::from_config(config),
        evidence: config.evidence,
        ..Settings::default()
    };
    let prompts = Prompts::load(config.prompts_dir.as_deref())?;

    let mut todo = Vec::new();
    let (mut skipped, mut failed) = (0, 0);
    // A transcript that cannot be read fails alone; anything else unreadable in a folder
    // (a dangling link among attachments) is passed over, and said.
    for (path, why) in &unreadable {
        if is_transcript_name(path) {
            writeln!(io.err, "failed {}: cannot read it: {why}", path.display())?;
            failed += 1;
        } else {
            writeln!(io.err, "skipped {}: cannot read it: {why}", path.display())?;
            skipped += 1;
        }
    }
    let tree = source_ref::tree_root(&out_dir);
    for path in transcripts {
        let existing_note = existing.get(&same_file_key(&path));
        let note_dir = existing_note.and_then(|n| n.parent()).unwrap_or(&out_dir);
        let source_ref = source_ref::for_note(&path, note_dir, &tree);
        match existing_note {
            Some(note) if !args.force => {
                writeln!(
                    io.err,
                    "skipped {}: its note exists ({})",
                    path.display(),
                    note.display()
                )?;
                skipped += 1;
            }
            note => todo.push((path, source_ref, note.cloned())),
        }
    }
    if todo.is_empty() && failed > 0 {
        writeln!(io.err, "summarized 0, skipped {skipped}, failed {failed}")?;
        return Ok(Exit::Problems);
    }
    if todo.is_empty() {
        writeln!(io.err, "nothing to do: {skipped} skipped")?;
        return Ok(Exit::Success);
    }

    let request = engine::Request {
        model: args.model.model.as_deref(),
        backend: args.model.backend.as_deref(),
        jobs: args.jobs.map(|j| j as usize),
    };
    let mut engine = Engine::load(request, config, &mut *io.err)?;
    settings.embedder = model_loader::cached_embedder(config, &mut *io.err)?;

    let run = Run {
        args,
        config,
        out_dir: &out_dir,
        writes,
        settings: &settings,
        prompts: &prompts,
    };
    // A server takes several files at once: one worker a job, each with its own fork of
    // the generator; the gate inside keeps the requests in flight within --jobs.
    let jobs = engine.remote().map_or(1, |r| r.jobs()).min(todo.len());
    let forks: Option<Vec<_>> = if jobs > 1 {
        (0..jobs).map(|_| engine.fork()).collect()
    } else {
        None
    };
    let mut tally = Tally {
        skipped,
        failed,
        ..Tally::default()
    };
    let mut progress = PipelineProgress::new(todo.len(), jobs);
    match forks {
        None => {
            for job in &todo {
                if stop_starting(engine.remote()) {
                    tally.record(&mut progress, io, Event::NotStarted(job.0.clone()))?;
                    continue;
                }
                run.process(0, job, &mut engine, &mut |event| {
                    tally.record(&mut progress, io, event)
                })?;
            }
        }
        Some(forks) => {
            let next = AtomicUsize::new(0);
            let remote = engine.remote().cloned();
            let (sender, receiver) = mpsc::channel::<Event>();
            std::thread::scope(|scope| -> anyhow::Result<()> {
                for (slot, mut fork) in forks.into_iter().enumerate() {
                    let (sender, next, run, todo, remote) =
                        (sender.clone(), &next, &run, &todo, remote.as_ref());
                    scope.spawn(move || {
                        while let Some(job) = todo.get(next.fetch_add(1, Ordering::SeqCst)) {
                            if stop_starting(remote) {
                                let _ = sender.send(Event::NotStarted(job.0.clone()));
                                continue;
                            }
                            let _ = run.process(slot, job, &mut *fork, &mut |event| {
                                sender
                                    .send(event)
                                    .map_err(|_| anyhow::anyhow!("the run ended"))
                            });
                        }
                    });
                }
                drop(sender);
                for event in receiver {
                    tally.record(&mut progress, io, event)?;
                }
                Ok(())
            })?;
        }
    }
    drop(progress);
    if writes {
        claim::remove_claims_dir(&out_dir);
    }
    let verb = if args.dry_run {
        "would write"
    } else {
        "summarized"
    };
    let in_flight = engine.remote().map_or(String::new(), |r| {
        format!(
            "; at most {} request{} in flight",
            r.peak_in_flight(),
            if r.peak_in_flight() == 1 { "" } else { "s" }
        )
    });
    writeln!(
        io.err,
        "{verb} {}, skipped {}, failed {}{in_flight}",
        tally.written, tally.skipped, tally.failed
    )?;
    if tally.failed > 0 && engine.remote().is_some() {
        writeln!(
            io.err,
            "hint: run the same command again to retry the {} that failed: notes already written are skipped",
            if tally.failed == 1 { "file" } else { "files" }
        )?;
    }
    Ok(if tally.failed > 0 {
        Exit::Problems
    } else {
        Exit::Success
    })
}

/// True when the server stopped answering: files not yet started are reported, not
/// tried, so the run ends in seconds and a re-run picks them up.
fn stop_starting(remote: Option<&RemoteGenerator>) -> bool {
    remote.is_some_and(RemoteGenerator::is_down)
}

/// A transcript to summarize: its path, its `source_ref`, and its note if one exists.
type Job = (PathBuf, String, Option<PathBuf>);

/// What a worker reports to the thread that prints.
enum Event {
    Started(usize, PathBuf),
    Update(usize, Stage, Progress),
    Skipped(String),
    Finished(usize, PathBuf, anyhow::Result<Delivered>),
    /// Not tried: the server had stopped answering.
    NotStarted(PathBuf),
}

/// The counts the run ends with.
#[derive(Default)]
struct Tally {
    written: usize,
    skipped: usize,
    failed: usize,
}

impl Tally {
    /// Shows `event` and counts it.
    fn record(
        &mut self,
        progress: &mut PipelineProgress,
        io: &mut Io<'_>,
        event: Event,
    ) -> anyhow::Result<()> {
        match event {
            Event::Started(slot, path) => progress.start_file(slot, &path),
            Event::Update(slot, stage, p) => progress.update(slot, stage, &p),
            Event::Skipped(line) => {
                progress.skip_file(io, &line);
                self.skipped += 1;
            }
            Event::Finished(slot, path, result) => {
                let result = result.and_then(|delivered| {
                    if let Some(text) = delivered.stdout {
                        writeln!(io.out, "{text}")?;
                    }
                    Ok(delivered.line)
                });
                if progress.finish_file(io, slot, &path, result, "") {
                    self.written += 1;
                } else {
                    self.failed += 1;
                }
            }
            Event::NotStarted(path) => {
                progress.skip_file(
                    io,
                    &format!(
                        "failed {}: not started, the server had stopped answering",
                        path.display()
                    ),
                );
                self.failed += 1;
            }
        }
        Ok(())
    }
}

/// What every file of a run shares.
struct Run<'a> {
    args: &'a SummarizeArgs,
    config: &'a Config,
    out_dir: &'a Path,
    writes: bool,
    settings: &'a Settings,
    prompts: &'a Prompts,
}

impl Run<'_> {
    /// Claims, summarizes and delivers one transcript, reporting through `report`; an
    /// error from `report` (the printing side is gone) ends the worker.
    fn process(
        &self,
        slot: usize,
        (path, source_ref, note_path): &Job,
        generator: &mut dyn Generator,
        report: &mut dyn FnMut(Event) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let (args, out_dir) = (self.args, self.out_dir);
        // Another run may be summarizing this transcript, or may have written its note
        // since this run looked.
        let _claim = if self.writes {
            let key = same_file_key(path);
            let claimed = claim::claim(out_dir, &key).with_context(|| {
                format!("cannot claim {} in {}", path.display(), out_dir.display())
            });
            match claimed {
                Err(e) => return report(Event::Finished(slot, path.clone(), Err(e))),
                Ok(Claimed::Held { pid }) => {
                    let by = match pid {
                        0 => "another recap".to_string(),
                        pid => format!("another recap (process {pid})"),
                    };
                    return report(Event::Skipped(format!(
                        "skipped {}: {by} is summarizing it",
                        path.display()
                    )));
                }
                Ok(Claimed::Mine(claim)) => {
                    if note_path.is_none() && !args.force {
                        if let Some(note) = existing_notes(out_dir).get(&key) {
                            return report(Event::Skipped(format!(
                                "skipped {}: its note exists ({})",
                                path.display(),
                                note.display()
                            )));
                        }
                    }
                    Some(claim)
                }
            }
        } else {
            None
        };
        report(Event::Started(slot, path.clone()))?;
        let mut failed_report = Ok(());
        let result = transcript::read_path(path, args.input_format)
            .map_err(anyhow::Error::from)
            .map(|t| t.with_aliases(&self.config.aliases))
            .and_then(|t| {
                summarize(
                    &t,
                    source_ref,
                    self.settings,
                    self.prompts,
                    generator,
                    &mut |stage, p| {
                        if failed_report.is_ok() {
                            failed_report = report(Event::Update(slot, stage, *p));
                        }
                    },
                )
                .map_err(anyhow::Error::from)
            })
            .and_then(|summary| deliver(args, out_dir, note_path.as_deref(), &summary));
        failed_report?;
        report(Event::Finished(slot, path.clone(), result))
    }
}

/// What delivering a note did: the line to report, and the note's text when it goes to
/// stdout.
struct Delivered {
    line: String,
    stdout: Option<String>,
}

/// Writes (or only describes) one note, or hands its text back for stdout.
fn deliver(
    args: &SummarizeArgs,
    out_dir: &Path,
    existing: Option<&Path>,
    summary: &Summary,
) -> anyhow::Result<Delivered> {
    let text = summary.note.render();
    let usage = &summary.usage;
    let stats = format!(
        "{} chunk{}, {} prompt tokens ({} reused) at {:.0} tok/s, {} written ({} forced, {} of {} drafted kept) at {:.1} tok/s",
        summary.chunks,
        if summary.chunks == 1 { "" } else { "s" },
        usage.prompt_tokens,
        usage.cached_tokens,
        usage.prefill_rate(),
        usage.generated_tokens,
        usage.forced_tokens,
        usage.accepted_tokens,
        usage.drafted_tokens,
        usage.decode_rate()
    );
    let line = |line: String| Delivered { line, stdout: None };
    if args.stdout {
        return Ok(Delivered {
            line: format!("printed {} [{stats}]", summary.note.frontmatter.title),
            stdout: Some(text),
        });
    }
    if args.dry_run {
        let path = match existing {
            Some(path) => path.to_path_buf(),
            None => out_dir.join(candidate_name(&summary.note, 1)),
        };
        return Ok(line(format!("would write {} [{stats}]", path.display())));
    }
    let path = match existing {
        Some(path) => {
            write_atomic(path, &text)?;
            path.to_path_buf()
        }
        None => write_new(out_dir, &summary.note, &text)?,
    };
    Ok(line(format!("wrote {} [{stats}]", path.display())))
}

/// `<date> - <title>.md`, numbered ` (2)`, ` (3)`... for the `n`th try.
fn candidate_name(note: &Note, n: usize) -> String {
    let fm = &note.frontmatter;
    let name = note_file_name(Some(&fm.date), &fm.title);
    match n {
        1 => name,
        n => format!("{} ({n}).md", name.trim_end_matches(".md")),
    }
}

/// Writes a new note under the first free name, never replacing a file: the rename
/// into place fails if the name was taken meanwhile (another run, a person), and the next
/// number is tried.
fn write_new(out_dir: &Path, note: &Note, text: &str) -> anyhow::Result<PathBuf> {
    let mut file = staged(out_dir, text)?;
    for n in 1..=1000 {
        let path = out_dir.join(candidate_name(note, n));
        match file.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => file = e.file,
            Err(e) => {
                return Err(
                    anyhow::Error::new(e.error).context(format!("cannot write {}", path.display()))
                )
            }
        }
    }
    anyhow::bail!(
        "cannot write the note in {}: 1000 names of the form {} are taken",
        out_dir.display(),
        candidate_name(note, 2)
    )
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so
/// the note is either whole or absent, never half-written.
pub fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    staged(dir, text)?
        .persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `text` in a synced temporary file in `dir`, named for this process so a later run can
/// tell it from a live one's ([`claim::remove_debris`]).
pub(super) fn staged(dir: &Path, text: &str) -> anyhow::Result<tempfile::NamedTempFile> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut file = tempfile::Builder::new()
        .prefix(&claim::temp_prefix())
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    Ok(file)
}

/// Refuses, before any model is loaded, an output folder that cannot hold notes: a file, or
/// a symbolic link to nothing. A link to a folder is followed (a vault kept elsewhere).
fn check_out_dir(out_dir: &Path) -> anyhow::Result<()> {
    let Ok(link) = std::fs::symlink_metadata(out_dir) else {
        return Ok(()); // created when the first note is written
    };
    if link.is_symlink() && !out_dir.exists() {
        let target = std::fs::read_link(out_dir).unwrap_or_default();
        anyhow::bail!(
            "the output folder {} is a symbolic link to {}, which does not exist\nhint: create {}, or give another folder with -o",
            out_dir.display(),
            target.display(),
            target.display()
        );
    }
    if !out_dir.is_dir() {
        anyhow::bail!(
            "the output folder {} is a file, not a folder\nhint: give a folder with -o",
            out_dir.display()
        );
    }
    Ok(())
}

/// What the command line's paths hold.
struct Found {
    transcripts: Vec<PathBuf>,
    /// Entries of the folders that could not be read, and why.
    unreadable: Vec<(PathBuf, String)>,
}

/// The transcripts named on the command line: files as given, folders searched
/// recursively for transcript files. Hidden entries and notes are skipped; where a file
/// lies (even inside the output folder) never decides. A path given that cannot be read
/// is an error; an entry inside a folder that cannot be read is listed in `unreadable`.
fn find_transcripts(inputs: &[PathBuf]) -> anyhow::Result<Found> {
    let mut found = Found {
        transcripts: Vec::new(),
        unreadable: Vec::new(),
    };
    for input in inputs {
        let meta =
            std::fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
        if meta.is_file() {
            found.transcripts.push(input.clone());
            continue;
        }
        let walker = walkdir::WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker.into_iter().filter_entry(|e| !is_hidden(e)) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(input).to_path_buf();
                    // walkdir's own message repeats its cause; the cause alone says it.
                    let why = match (e.loop_ancestor(), e.io_error()) {
                        (Some(ancestor), _) => {
                            format!("it links back to {}, a folder above it", ancestor.display())
                        }
                        (None, Some(io)) => match std::fs::read_link(&path) {
                            Ok(target) if io.kind() == std::io::ErrorKind::NotFound => {
                                format!("it links to {}, which does not exist", target.display())
                            }
                            _ => io.to_string(),
                        },
                        (None, None) => e.to_string(),
                    };
                    found.unreadable.push((path, why));
                    continue;
                }
            };
            let path = entry.path();
            if !entry.file_type().is_dir() && is_transcript_name(path) && !is_note(path) {
                found.transcripts.push(path.to_path_buf());
            }
        }
    }
    Ok(found)
}

/// Whether `path` has the extension of a transcript recap reads.
fn is_transcript_name(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    TRANSCRIPT_EXTENSIONS.contains(&ext.as_str())
}

/// A hidden file or folder below the starting point (`.obsidian`, `.git`, `.trash`).
fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.')
}

/// True for a markdown file that is a recap note (frontmatter with `source_ref`).
fn is_note(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
        && std::fs::read_to_string(path).is_ok_and(|text| {
            text.trim_start_matches('\u{feff}').starts_with("---") && text.contains("\nsource_ref:")
        })
}

/// Notes in `out_dir` (recursively, hidden folders skipped), by the transcript their
/// `source_ref` points to (relative references are resolved from the note's folder).
fn existing_notes(out_dir: &Path) -> HashMap<PathBuf, PathBuf> {
    let mut notes = HashMap::new();
    let walker = walkdir::WalkDir::new(out_dir).sort_by_file_name();
    for entry in walker.into_iter().filter_entry(|e| !is_hidden(e)).flatten() {
        let path = entry.path();
        if !entry.file_type().is_file() || !is_note(path) {
            continue;
        }
        if let Ok(note) = std::fs::read_to_string(path)
            .map_err(|_| ())
            .and_then(|t| Note::parse(&t).map_err(|_| ()))
        {
            let transcript = source_ref::resolve(&note.frontmatter.source_ref, path);
            notes
                .entry(same_file_key(&transcript))
                .or_insert_with(|| path.to_path_buf());
        }
    }
    notes
}

/// A path that names the same file whichever way it was written.
fn same_file_key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
