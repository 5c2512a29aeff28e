//! `recap summarize`: transcripts (files or folders) into notes. Finds the transcripts,
//! skips those that already have a note, loads the model once (fetching it on first use),
//! runs the pipeline per file with progress on stderr, writes each note atomically and
//! ends with a count. One failed file does not stop the others.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::SummarizeArgs;
use crate::config::Config;
use crate::note::Note;
use crate::pipeline::naming::note_file_name;
use crate::pipeline::prompts::Prompts;
use crate::pipeline::summarize::{summarize, Settings, Summary};
use crate::transcript;

use super::progress::PipelineProgress;
use super::{model_loader, Exit, Io};

/// File extensions read as transcripts when a folder is given.
const TRANSCRIPT_EXTENSIONS: [&str; 5] = ["vtt", "srt", "txt", "json", "md"];

pub fn run(args: &SummarizeArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let out_dir = args
        .out
        .clone()
        .or_else(|| config.out_dir.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let transcripts = find_transcripts(&args.inputs, &out_dir)?;
    if transcripts.is_empty() {
        anyhow::bail!(
            "no transcripts found in {}\nhint: recap reads .vtt, .srt, .txt, .json and .md files",
            list_paths(&args.inputs)
        );
    }
    let existing = if args.stdout {
        HashMap::new()
    } else {
        existing_notes(&out_dir)
    };
    let settings = Settings {
        me: args.model.me.clone().or_else(|| config.me.clone()),
        note_type: args.note_type.clone(),
        date: args.date.clone(),
        thresholds: config.thresholds(),
        rules: crate::note::Rules::from_config(config),
        evidence: config.evidence,
        ..Settings::default()
    };
    let prompts = Prompts::load(config.prompts_dir.as_deref())?;

    let mut todo = Vec::new();
    let mut skipped = 0;
    for path in transcripts {
        let source_ref = source_ref(&path);
        match existing.get(&source_ref) {
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
    if todo.is_empty() {
        writeln!(io.err, "nothing to do: {skipped} skipped")?;
        return Ok(Exit::Success);
    }

    let mut generator =
        model_loader::load_generator(args.model.model.as_deref(), config, &mut *io.err)?;

    let mut progress = PipelineProgress::new(todo.len());
    let (mut written, mut failed) = (0, 0);
    for (path, source_ref, note_path) in &todo {
        progress.start_file(path);
        let result = transcript::read_path(path, args.input_format)
            .map_err(anyhow::Error::from)
            .map(|t| t.with_aliases(&config.aliases))
            .and_then(|t| {
                summarize(
                    &t,
                    source_ref,
                    &settings,
                    &prompts,
                    &mut generator,
                    &mut |stage, p| progress.update(stage, p),
                )
                .map_err(anyhow::Error::from)
            })
            .and_then(|summary| deliver(args, &out_dir, note_path.as_deref(), &summary, io));
        if progress.finish_file(io, path, result, "") {
            written += 1;
        } else {
            failed += 1;
        }
    }
    drop(progress);
    let verb = if args.dry_run {
        "would write"
    } else {
        "summarized"
    };
    writeln!(
        io.err,
        "{verb} {written}, skipped {skipped}, failed {failed}"
    )?;
    Ok(if failed > 0 {
        Exit::Problems
    } else {
        Exit::Success
    })
}

/// Writes (or prints, or only describes) one note; returns what was done.
fn deliver(
    args: &SummarizeArgs,
    out_dir: &Path,
    existing: Option<&Path>,
    summary: &Summary,
    io: &mut Io<'_>,
) -> anyhow::Result<String> {
    let text = summary.note.render();
    let usage = &summary.usage;
    let stats = format!(
        "{} chunk{}, {} prompt tokens at {:.0} tok/s, {} written at {:.1} tok/s",
        summary.chunks,
        if summary.chunks == 1 { "" } else { "s" },
        usage.prompt_tokens,
        usage.prefill_rate(),
        usage.generated_tokens,
        usage.decode_rate()
    );
    if args.stdout {
        writeln!(io.out, "{text}")?;
        return Ok(format!(
            "printed {} [{stats}]",
            summary.note.frontmatter.title
        ));
    }
    let path = match existing {
        Some(path) => path.to_path_buf(),
        None => free_path(out_dir, &summary.note),
    };
    if args.dry_run {
        return Ok(format!("would write {} [{stats}]", path.display()));
    }
    write_atomic(&path, &text)?;
    Ok(format!("wrote {} [{stats}]", path.display()))
}

/// `<out>/<date> - <title>.md`, numbered ` (2)`, ` (3)`... when that name is taken.
fn free_path(out_dir: &Path, note: &Note) -> PathBuf {
    let fm = &note.frontmatter;
    let name = note_file_name(Some(&fm.date), &fm.title);
    let stem = name.trim_end_matches(".md");
    (1..)
        .map(|n| match n {
            1 => out_dir.join(&name),
            n => out_dir.join(format!("{stem} ({n}).md")),
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| out_dir.join(name))
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so
/// the note is either whole or absent, never half-written.
pub fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut file = tempfile::Builder::new()
        .prefix(".recap-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The transcripts named on the command line: files as given, folders searched
/// recursively, skipping hidden entries, the output folder and files that are notes.
fn find_transcripts(inputs: &[PathBuf], out_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let out_dir = std::fs::canonicalize(out_dir).ok();
    let mut found = Vec::new();
    for input in inputs {
        let meta =
            std::fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
        if meta.is_file() {
            found.push(input.clone());
            continue;
        }
        let walker = walkdir::WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        {
            let entry = entry.with_context(|| format!("cannot read {}", input.display()))?;
            let path = entry.path();
            if entry.file_type().is_dir() {
                continue;
            }
            let in_out_dir = out_dir
                .as_ref()
                .is_some_and(|o| std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(o)));
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if TRANSCRIPT_EXTENSIONS.contains(&ext.as_str()) && !in_out_dir && !is_note(path) {
                found.push(path.to_path_buf());
            }
        }
    }
    Ok(found)
}

/// True for a markdown file that is a recap note (frontmatter with `source_ref`).
fn is_note(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
        && std::fs::read_to_string(path).is_ok_and(|text| {
            text.trim_start_matches('\u{feff}').starts_with("---") && text.contains("\nsource_ref:")
        })
}

/// Notes in `out_dir` (recursively), by their `source_ref`.
fn existing_notes(out_dir: &Path) -> HashMap<String, PathBuf> {
    let mut notes = HashMap::new();
    for entry in walkdir::WalkDir::new(out_dir).into_iter().flatten() {
        let path = entry.path();
        if !entry.file_type().is_file() || !is_note(path) {
            continue;
        }
        if let Ok(note) = std::fs::read_to_string(path)
            .map_err(|_| ())
            .and_then(|t| Note::parse(&t).map_err(|_| ()))
        {
            notes.insert(note.frontmatter.source_ref.clone(), path.to_path_buf());
        }
    }
    notes
}

/// The `source_ref` a note records: the transcript's absolute path.
pub fn source_ref(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
