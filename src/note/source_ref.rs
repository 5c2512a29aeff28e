//! `source_ref`: where a note's transcript lies, written so that a vault can move.
//!
//! Terms: the *note folder* is the folder holding the note file; the *tree* is the folder
//! notes are written into, or the Obsidian vault around it (the nearest folder above that
//! holds `.obsidian`). A transcript inside the tree is written relative to the note
//! folder, with `/` separators (`Transcripts/2025-11-12 - Sync.vtt`,
//! `../Transcripts/…`), so moving or syncing the whole tree keeps every note pointing at
//! its transcript; a transcript outside it is written as an absolute path. Reading
//! accepts both: a relative `source_ref` is taken from the note's folder.

use std::path::{Component, Path, PathBuf};

/// The tree notes written into `out_dir` belong to: the nearest folder from `out_dir` up
/// that holds `.obsidian` (an Obsidian vault), else `out_dir` itself. Absolute.
pub fn tree_root(out_dir: &Path) -> PathBuf {
    let out_dir = absolute(out_dir);
    out_dir
        .ancestors()
        .find(|dir| dir.join(".obsidian").is_dir())
        .unwrap_or(&out_dir)
        .to_path_buf()
}

/// The `source_ref` a note in `note_dir` records for `transcript`: relative to `note_dir`
/// when both lie inside `tree`, else the transcript's absolute path.
pub fn for_note(transcript: &Path, note_dir: &Path, tree: &Path) -> String {
    let transcript = absolute(transcript);
    let (note_dir, tree) = (absolute(note_dir), absolute(tree));
    if transcript.starts_with(&tree) && note_dir.starts_with(&tree) {
        if let Some(relative) = relative_to(&transcript, &note_dir) {
            return relative;
        }
    }
    transcript.to_string_lossy().into_owned()
}

/// The transcript a note at `note_path` points to: an absolute `source_ref` as it is, a
/// relative one from the note's folder.
pub fn resolve(source_ref: &str, note_path: &Path) -> PathBuf {
    let path = Path::new(source_ref);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let dir = note_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(path)
}

/// `path` made absolute and, where it exists, free of symbolic links and `..`.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// `path` relative to `dir` (both absolute, normalised), `/`-separated.
fn relative_to(path: &Path, dir: &Path) -> Option<String> {
    let (p, d): (Vec<Component>, Vec<Component>) =
        (path.components().collect(), dir.components().collect());
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return None;
    }
    let mut parts: Vec<String> = vec!["..".to_string(); d.len() - common];
    for c in &p[common..] {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_the_tree_is_relative_to_the_note_folder() {
        let tree = Path::new("/v");
        let t = Path::new("/v/Transcripts/2025/a b.vtt");
        assert_eq!(
            for_note(t, Path::new("/v"), tree),
            "Transcripts/2025/a b.vtt"
        );
        assert_eq!(
            for_note(t, Path::new("/v/Meetings"), tree),
            "../Transcripts/2025/a b.vtt"
        );
        assert_eq!(
            for_note(Path::new("/elsewhere/a.vtt"), Path::new("/v"), tree),
            "/elsewhere/a.vtt"
        );
    }

    #[test]
    fn resolving_reads_relative_and_absolute_references() {
        let note = Path::new("/v/Meetings/2025-11-12 - Sync.md");
        assert_eq!(
            resolve("../Transcripts/a.vtt", note),
            Path::new("/v/Meetings/../Transcripts/a.vtt")
        );
        assert_eq!(resolve("/t/a.vtt", note), Path::new("/t/a.vtt"));
        assert_eq!(resolve("a.vtt", Path::new("n.md")), Path::new("./a.vtt"));
    }
}
