//! Staging a file that is already on this machine: a `path` source, or a file in the
//! Hugging Face cache.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use tempfile::TempPath;

use super::{copy_with_progress, CopyError, FetchError, Progress};
use crate::models::cache::ModelCache;

/// Copies `src` into a staging file in the cache folder.
pub(super) fn stage_copy(
    src: &Path,
    cache: &ModelCache,
    progress: &mut dyn Progress,
) -> Result<TempPath, FetchError> {
    let mut input = File::open(src).map_err(|e| FetchError::io(src, e))?;
    let size = input.metadata().map(|m| m.len()).ok();
    let temp = cache.temp_file()?;
    let staged = temp.path().to_path_buf();
    {
        let mut out = BufWriter::with_capacity(1 << 20, temp.as_file());
        progress.start(&format!("copying {}", src.display()), size);
        copy_with_progress(&mut input, &mut out, progress).map_err(|e| match e {
            CopyError::Read(e) => FetchError::io(src, e),
            CopyError::Write(e) => FetchError::io(&staged, e),
        })?;
        out.into_inner()
            .map_err(|e| FetchError::io(&staged, e.into_error()))?;
        progress.finish();
    }
    Ok(temp.into_temp_path())
}

/// Hard-links `src` (following symlinks, as the Hugging Face cache uses them) into the
/// cache folder under a staging name, so a large file is not stored twice; copies it when
/// a link is impossible (another file system).
pub(super) fn stage_link_or_copy(
    src: &Path,
    cache: &ModelCache,
    progress: &mut dyn Progress,
) -> Result<TempPath, FetchError> {
    let target = std::fs::canonicalize(src).map_err(|e| FetchError::io(src, e))?;
    let staged = cache.temp_file()?.into_temp_path();
    // Free the staging name for the link; the TempPath still deletes it on failure.
    std::fs::remove_file(&staged).map_err(|e| FetchError::io(&staged, e))?;
    if std::fs::hard_link(&target, &staged).is_ok() {
        return Ok(staged);
    }
    drop(staged);
    stage_copy(&target, cache, progress)
}
