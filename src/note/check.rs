//! Checking files and folders of notes: finds the notes, reads each one safely and
//! validates them in parallel, returning one [`Report`] in a stable order.
//!
//! A folder is searched recursively for `*.md` files, following symbolic links (a link
//! loop is reported, not followed forever) and skipping hidden entries (`.obsidian`,
//! `.trash`, `.git`, ...). A file named directly is checked whatever its extension.
//! Files that cannot be read, are over [`MAX_FILE_BYTES`], are binary or are not UTF-8
//! get a diagnostic and the other files are still checked.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use super::diagnostic::{Diagnostic, Severity};
use super::rule::Rule;
use super::validate::{validate, Rules};

/// Files larger than this are not read (a note is a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The result of checking some paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// How many files were checked (read or not).
    pub files: usize,
    /// Every diagnostic, sorted by path, then line and column.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Whether a file or folder could not be read (exit status 2).
    pub fn has_io_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.rule.is_io())
    }
}

/// Checks notes and folders of notes.
pub fn check_paths(paths: &[PathBuf], rules: &Rules) -> Report {
    let mut diagnostics = Vec::new();
    let files = check_paths_each(paths, rules, &mut |d| diagnostics.push(d));
    Report { files, diagnostics }
}

/// Files validated in parallel at a time: enough to keep the cores busy, few enough that
/// memory stays flat however many notes there are.
const BATCH: usize = 512;

/// Checks notes and folders of notes, handing each diagnostic to `emit` in the order of
/// [`Report::diagnostics`] as soon as its batch of files is done, so a vault of any size is
/// checked in bounded memory (beyond the list of file names). Returns the number of files.
pub fn check_paths_each(
    paths: &[PathBuf],
    rules: &Rules,
    emit: &mut dyn FnMut(Diagnostic),
) -> usize {
    let mut walk_diagnostics = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files, &mut walk_diagnostics);
    }
    files.sort();
    files.dedup();
    walk_diagnostics.sort_by(|a, b| a.path.cmp(&b.path));
    let mut pending = walk_diagnostics.into_iter().peekable();
    for batch in files.chunks(BATCH) {
        let per_file: Vec<Vec<Diagnostic>> =
            batch.par_iter().map(|f| check_file(f, rules)).collect();
        for (file, diagnostics) in batch.iter().zip(per_file) {
            // A folder's diagnostics come before the files that sort after its path.
            while let Some(d) = pending.next_if(|d| d.path <= *file) {
                emit(d);
            }
            diagnostics.into_iter().for_each(&mut *emit);
        }
    }
    pending.for_each(&mut *emit);
    files.len()
}

fn is_note(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.')
}

#[cfg(target_os = "linux")]
const ELOOP: i32 = 40;
#[cfg(not(target_os = "linux"))]
const ELOOP: i32 = 62;

/// A diagnostic for a path that cannot be read.
fn io_diagnostic(path: &Path, e: &io::Error) -> Diagnostic {
    if e.raw_os_error() == Some(ELOOP) {
        return Diagnostic::new(path, Rule::SymlinkLoop, None, "symbolic links loop".into())
            .with_hint("fix or remove the link");
    }
    let message = match e.kind() {
        io::ErrorKind::NotFound => "no such file or folder".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => format!("cannot read: {e}"),
    };
    Diagnostic::new(path, Rule::IoError, None, message)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    match std::fs::metadata(path) {
        Err(e) => diagnostics.push(io_diagnostic(path, &e)),
        Ok(m) if m.is_file() => files.push(path.to_path_buf()),
        Ok(m) if m.is_dir() => walk(path, files, diagnostics),
        Ok(_) => diagnostics.push(Diagnostic::new(
            path,
            Rule::IoError,
            None,
            "not a regular file or folder".into(),
        )),
    }
}

fn walk(root: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    let walker = WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| !is_hidden(e));
    for entry in walker {
        match entry {
            Ok(e) => {
                if e.file_type().is_file() && is_note(e.path()) {
                    files.push(e.into_path());
                }
            }
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                if let Some(ancestor) = err.loop_ancestor() {
                    diagnostics.push(
                        Diagnostic::new(
                            &path,
                            Rule::SymlinkLoop,
                            None,
                            format!(
                                "symbolic link loops back to {}; not followed",
                                ancestor.display()
                            ),
                        )
                        .with_hint("fix or remove the link"),
                    );
                } else if let Some(io) = err.io_error() {
                    // A dangling link that is not a note is none of our business.
                    if is_note(&path) || io.kind() != io::ErrorKind::NotFound {
                        diagnostics.push(io_diagnostic(&path, io));
                    }
                }
            }
        }
    }
}

/// 1-based line and column (in characters) of byte `pos` of `bytes`.
fn position(bytes: &[u8], pos: usize) -> (usize, usize) {
    let before = &bytes[..pos.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

/// Reads and validates one file.
pub fn check_file(path: &Path, rules: &Rules) -> Vec<Diagnostic> {
    let mut bytes = Vec::new();
    let read = File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return vec![io_diagnostic(path, &e)];
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return vec![Diagnostic::new(
            path,
            Rule::FileTooLarge,
            None,
            "the file is larger than 10 MiB; not read".into(),
        )
        .with_hint("a note is a few kilobytes: is this the right file?")];
    }
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return vec![Diagnostic::new(
            path,
            Rule::FileBinary,
            Some(position(&bytes, pos)),
            "the file is binary (it has a NUL byte), not a note".into(),
        )];
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => validate(text, path, rules),
        Err(e) => vec![Diagnostic::new(
            path,
            Rule::FileEncoding,
            Some(position(&bytes, e.valid_up_to())),
            format!(
                "the file is not valid UTF-8 (byte 0x{:02x})",
                bytes.get(e.valid_up_to()).copied().unwrap_or(0)
            ),
        )
        .with_hint("save the note as UTF-8")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        assert_eq!(position(b"ab\ncd", 4), (2, 2));
        assert_eq!(position("é\nxé\0".as_bytes(), 6), (2, 3));
        assert_eq!(position(b"", 0), (1, 1));
    }

    #[test]
    fn batches_keep_the_report_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        // More files than one batch; every third is empty (an error), the rest binary.
        for i in 0..(BATCH + 40) {
            let text: &[u8] = if i % 3 == 0 { b"" } else { b"\0" };
            std::fs::write(dir.path().join(format!("n{i:04}.md")), text).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink("gone.md", dir.path().join("n0100-link.md")).unwrap();
        let mut streamed = Vec::new();
        let files = check_paths_each(&[dir.path().to_path_buf()], &Rules::default(), &mut |d| {
            streamed.push(d)
        });
        assert_eq!(files, BATCH + 40);
        let mut sorted = streamed.clone();
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(streamed, sorted);
        assert!(streamed.len() >= BATCH + 40);
        #[cfg(unix)]
        assert!(streamed.iter().any(|d| d.rule == Rule::IoError));
    }
}
