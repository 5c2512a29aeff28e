//! `recap regenerate`: notes made again from their transcripts, keeping the person's
//! edits (see [`crate::pipeline::regenerate`]). The note's own `type` and `date` are kept,
//! since a person may have corrected them. A note whose transcript is missing, or that
//! does not parse, is reported and left untouched.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _};
use similar::TextDiff;

use crate::cli::RegenerateArgs;
use crate::config::Config;
use crate::embed::Embedder;
use crate::note::{source_ref, Note};
use crate::pipeline::generator::Generator;
use crate::pipeline::prompts::Prompts;
use crate::pipeline::regenerate::carry_over;
use crate::pipeline::summarize::{summarize, Settings};
use crate::transcript;

use super::engine::{self, Engine};
use super::progress::PipelineProgress;
use super::summarize::staged;
use super::{claim, model_loader, Exit, Io};

pub fn run(args: &RegenerateArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let notes = find_notes(&args.notes)?;
    if notes.is_empty() {
        bail!("no notes (*.md) found in the paths given");
    }
    // What a killed regenerate left: its temporary files beside the notes.
    let mut folders: Vec<&Path> = notes.iter().filter_map(|n| n.parent()).collect();
    folders.sort();
    folders.dedup();
    for folder in folders {
        claim::remove_dead_temps(folder);
    }
    let prompts = Prompts::load(config.prompts_dir.as_deref())?;
    let request = engine::Request {
        model: args.model.model.as_deref(),
        backend: args.model.backend.as_deref(),
        jobs: None,
    };
    let mut generator = Engine::load(request, config, &mut *io.err)?;
    let me = args.model.me.clone().or_else(|| config.me.clone());
    let embedder = model_loader::cached_embedder(config, &mut *io.err)?;

    let mut progress = PipelineProgress::new(notes.len(), 1);
    let (mut done, mut failed) = (0, 0);
    for path in &notes {
        progress.start_file(0, path);
        let result = regenerate_one(
            path,
            config,
            me.clone(),
            embedder.clone(),
            &prompts,
            &mut generator,
            &mut progress,
        )
        .and_then(|(old_text, new_text)| {
            if args.dry_run {
                let diff = TextDiff::from_lines(&old_text, &new_text);
                let name = path.display().to_string();
                write!(io.out, "{}", diff.unified_diff().header(&name, &name))?;
                Ok(format!("compared {}", path.display()))
            } else if old_text == new_text {
                Ok(format!("unchanged {}", path.display()))
            } else {
                replace_unchanged(path, &old_text, &new_text)?;
                Ok(format!("regenerated {}", path.display()))
            }
        });
        if progress.finish_file(io, 0, path, result, "; the note was left as it was") {
            done += 1;
        } else {
            failed += 1;
        }
    }
    drop(progress);
    writeln!(io.err, "regenerated {done}, failed {failed}")?;
    Ok(if failed > 0 {
        Exit::Problems
    } else {
        Exit::Success
    })
}

/// The note's current text and its regenerated text.
fn regenerate_one(
    path: &Path,
    config: &Config,
    me: Option<String>,
    embedder: Option<Arc<Embedder>>,
    prompts: &Prompts,
    generator: &mut dyn Generator,
    progress: &mut PipelineProgress,
) -> anyhow::Result<(String, String)> {
    // Both errors open with the note's path, which the failure line then names once.
    let old_text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read it", path.display()))?;
    let old = Note::parse(&old_text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let source_ref = old.frontmatter.source_ref.clone();
    let transcript_path = source_ref::resolve(&source_ref, path);
    if source_ref.trim().is_empty() || !transcript_path.is_file() {
        let looked = if Path::new(&source_ref).is_relative() && !source_ref.trim().is_empty() {
            format!(" (looked for {})", transcript_path.display())
        } else {
            String::new()
        };
        bail!(
            "its transcript {source_ref:?} (source_ref) is missing{looked}\nhint: restore the transcript, or fix `source_ref` in the note (a relative path is read from the note's folder)"
        );
    }
    let transcript = transcript::read_path(&transcript_path, None)?.with_aliases(&config.aliases);
    let settings = Settings {
        me,
        note_type: Some(old.frontmatter.note_type.clone()).filter(|t| !t.is_empty()),
        date: Some(old.frontmatter.date.clone()).filter(|d| crate::date::Date::parse(d).is_ok()),
        thresholds: crate::pipeline::quality::Thresholds::with_min_words(config.min_words),
        rules: crate::note::Rules::from_config(config),
        evidence: config.evidence,
        embedder,
        ..Settings::default()
    };
    let summary = summarize(
        &transcript,
        &source_ref,
        &settings,
        prompts,
        generator,
        &mut |stage, p| progress.update(0, stage, p),
    )?;
    let note = carry_over(&old, summary.note);
    Ok((old_text, note.render()))
}

/// Replaces the note at `path` with `new_text` unless it no longer holds `old_text`: a
/// person who saved the note while the model was at work keeps what they saved. The new
/// text is staged first, so the window between the check and the rename is a few
/// microseconds, not the minutes of a summary.
fn replace_unchanged(path: &Path, old_text: &str, new_text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staged = staged(dir, new_text)?;
    let now =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if now != old_text {
        bail!(
            "{} changed while it was being regenerated, so it was left as you saved it\nhint: run `recap regenerate` on it again",
            path.display()
        );
    }
    staged
        .persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Notes named on the command line: files as given, folders searched for `*.md`.
fn find_notes(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_file() {
            found.push(path.clone());
            continue;
        }
        let walker = walkdir::WalkDir::new(path).sort_by_file_name();
        // Hidden folders (`.obsidian`, `.trash`, `.git`) hold no notes of the person's.
        let visible = |e: &walkdir::DirEntry| {
            e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
        };
        for entry in walker.into_iter().filter_entry(visible) {
            let entry = entry.with_context(|| format!("cannot read {}", path.display()))?;
            let p = entry.path();
            if entry.file_type().is_file()
                && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"))
            {
                found.push(p.to_path_buf());
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_saved_meanwhile_is_left_as_saved_and_nothing_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let note = dir.path().join("note.md");
        std::fs::write(&note, "edited by hand").unwrap();
        let err = replace_unchanged(&note, "as read", "regenerated").unwrap_err();
        assert!(
            err.to_string()
                .contains("changed while it was being regenerated"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&note).unwrap(), "edited by hand");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        replace_unchanged(&note, "edited by hand", "regenerated").unwrap();
        assert_eq!(std::fs::read_to_string(&note).unwrap(), "regenerated");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
