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
use crate::note::{source_ref, Note};
use crate::pipeline::naming::note_file_name;
use crate::pipeline::prompts::Prompts;
use crate::pipeline::summarize::{summarize, Settings, Summary};
use crate::transcript;

use super::claim::{self, Claimed};
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
    let transcripts = find_transcripts(&args.inputs)?;
    if transcripts.is_empty() {
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
    let mut skipped = 0;
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
    if todo.is_empty() {
        writeln!(io.err, "nothing to do: {skipped} skipped")?;
        return Ok(Exit::Success);
    }

    let mut generator =
        model_loader::load_generator(args.model.model.as_deref(), config, &mut *io.err)?;
    settings.embedder = model_loader::cached_embedder(config, &mut *io.err)?;

    let mut progress = PipelineProgress::new(todo.len());
    let (mut written, mut failed) = (0, 0);
    for (path, source_ref, note_path) in &todo {
        // Another run may be summarizing this transcript, or may have written its note
        // since this run looked.
        let _claim = if writes {
            let key = same_file_key(path);
            match claim::claim(&out_dir, &key).with_context(|| {
                format!("cannot claim {} in {}", path.display(), out_dir.display())
            })? {
                Claimed::Held { pid } => {
                    let by = match pid {
                        0 => "another recap".to_string(),
                        pid => format!("another recap (process {pid})"),
                    };
                    progress.skip_file(
                        io,
                        &format!("skipped {}: {by} is summarizing it", path.display()),
                    );
                    skipped += 1;
                    continue;
                }
                Claimed::Mine(claim) => {
                    if note_path.is_none() && !args.force {
                        if let Some(note) = existing_notes(&out_dir).get(&key) {
                            progress.skip_file(
                                io,
                                &format!(
                                    "skipped {}: its note exists ({})",
                                    path.display(),
                                    note.display()
                                ),
                            );
                            skipped += 1;
                            continue;
                        }
                    }
                    Some(claim)
                }
            }
        } else {
            None
        };
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
    if writes {
        claim::remove_claims_dir(&out_dir);
    }
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
    if args.dry_run {
        let path = match existing {
            Some(path) => path.to_path_buf(),
            None => out_dir.join(candidate_name(&summary.note, 1)),
        };
        return Ok(format!("would write {} [{stats}]", path.display()));
    }
    let path = match existing {
        Some(path) => {
            write_atomic(path, &text)?;
            path.to_path_buf()
        }
        None => write_new(out_dir, &summary.note, &text)?,
    };
    Ok(format!("wrote {} [{stats}]", path.display()))
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

/// The transcripts named on the command line: files as given, folders searched
/// recursively for transcript files. Hidden entries and notes are skipped; where a file
/// lies (even inside the output folder) never decides.
fn find_transcripts(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
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
        for entry in walker.into_iter().filter_entry(|e| !is_hidden(e)) {
            let entry = entry.with_context(|| format!("cannot read {}", input.display()))?;
            let path = entry.path();
            if entry.file_type().is_dir() {
                continue;
            }
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if TRANSCRIPT_EXTENSIONS.contains(&ext.as_str()) && !is_note(path) {
                found.push(path.to_path_buf());
            }
        }
    }
    Ok(found)
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
