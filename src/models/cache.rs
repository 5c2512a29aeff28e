//! The model cache: the folder where fetched GGUF files live, one per model.
//!
//! Layout: `<dir>/<model name>.gguf` (an embedder: the folder `<dir>/<name>/`), and beside it `<model name>.gguf.sha256`, the hash
//! computed when the file was admitted (so `verify` can detect later damage even for models
//! whose registry entry pins no hash). Files enter only through [`ModelCache::admit`]: the
//! caller writes a temporary file in the same folder ([`ModelCache::temp_file`]), and admit
//! renames it into place once it is verified, so the final path never holds a partial or
//! unverified file.
//!
//! The folder is `$RECAP_CACHE_DIR`, else the config's `cache_dir`, else
//! `$XDG_CACHE_HOME/recap/models`, else `~/.cache/recap/models`.

use std::path::{Path, PathBuf};

use tempfile::{NamedTempFile, TempPath};

use super::embedders::EmbedderEntry;
use super::fetch::FetchError;
use super::registry::ModelEntry;

/// Environment variable that overrides every other cache location.
pub const CACHE_DIR_ENV: &str = "RECAP_CACHE_DIR";

/// The folder of cached models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCache {
    dir: PathBuf,
}

impl ModelCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache the environment and config name (see the module docs for the order).
    pub fn resolve(config_dir: Option<&Path>) -> Self {
        Self::new(resolve_dir(
            std::env::var_os(CACHE_DIR_ENV).map(PathBuf::from),
            config_dir,
            std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from),
            std::env::var_os("HOME").map(PathBuf::from),
        ))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where `entry`'s file lives once cached (whether or not it is there now).
    pub fn file_path(&self, entry: &ModelEntry) -> PathBuf {
        self.dir.join(format!("{}.gguf", entry.name))
    }

    /// The file holding the hash recorded when `entry`'s file was admitted.
    pub fn hash_path(&self, entry: &ModelEntry) -> PathBuf {
        self.dir.join(format!("{}.gguf.sha256", entry.name))
    }

    /// The cached file, if `entry` has been pulled.
    pub fn path_of(&self, entry: &ModelEntry) -> Option<PathBuf> {
        let path = self.file_path(entry);
        path.is_file().then_some(path)
    }

    /// The cached file, or an error that says which `recap models pull` to run.
    pub fn require(&self, entry: &ModelEntry) -> Result<PathBuf, FetchError> {
        self.path_of(entry).ok_or_else(|| FetchError::NotCached {
            name: entry.name.clone(),
            dir: self.dir.clone(),
        })
    }

    /// Where `entry`'s folder lives once cached.
    pub fn embedder_dir(&self, entry: &EmbedderEntry) -> PathBuf {
        self.dir.join(&entry.name)
    }

    /// The cached folder, if it holds every file of `entry`.
    pub fn embedder_path_of(&self, entry: &EmbedderEntry) -> Option<PathBuf> {
        let dir = self.embedder_dir(entry);
        entry
            .files
            .iter()
            .all(|f| dir.join(&f.name).is_file())
            .then_some(dir)
    }

    /// The cached folder, or an error that says which `recap models pull` to run.
    pub fn require_embedder(&self, entry: &EmbedderEntry) -> Result<PathBuf, FetchError> {
        self.embedder_path_of(entry)
            .ok_or_else(|| FetchError::NotCached {
                name: entry.name.clone(),
                dir: self.dir.clone(),
            })
    }

    /// The sha256 recorded when `entry`'s file was admitted.
    pub fn recorded_sha256(&self, entry: &ModelEntry) -> Option<String> {
        let text = std::fs::read_to_string(self.hash_path(entry)).ok()?;
        let sha = text.split_whitespace().next()?.to_ascii_lowercase();
        (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then_some(sha)
    }

    /// Creates the folder and a temporary file inside it. The file is deleted when the
    /// handle is dropped, so a failed or interrupted fetch leaves nothing behind but, at
    /// worst (a killed process), a `.recap-*` file that is never read and that the next
    /// pull deletes once it has been untouched for an hour.
    pub fn temp_file(&self) -> Result<NamedTempFile, FetchError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| FetchError::io(&self.dir, e))?;
        tempfile::Builder::new()
            .prefix(".recap-")
            .suffix(".part")
            .tempfile_in(&self.dir)
            .map_err(|e| FetchError::io(&self.dir, e))
    }

    /// Moves a verified staging file (in this folder) to `entry`'s path and records its
    /// hash, replacing any older copy in one rename.
    pub fn admit(
        &self,
        entry: &ModelEntry,
        staged: TempPath,
        sha256: &str,
    ) -> Result<PathBuf, FetchError> {
        let hash_path = self.hash_path(entry);
        let final_path = self.file_path(entry);
        // The hash first: a hash file without a model is harmless, a model without its
        // hash would lose the record verify checks against.
        let mut hash_tmp = self.temp_file()?;
        std::io::Write::write_all(
            &mut hash_tmp,
            format!("{sha256}  {}.gguf\n", entry.name).as_bytes(),
        )
        .map_err(|e| FetchError::io(hash_tmp.path(), e))?;
        make_readable(hash_tmp.path())?;
        hash_tmp
            .persist(&hash_path)
            .map_err(|e| FetchError::io(&hash_path, e.error))?;
        std::fs::File::open(&staged)
            .and_then(|f| f.sync_all())
            .map_err(|e| FetchError::io(&staged, e))?;
        make_readable(&staged)?;
        staged
            .persist(&final_path)
            .map_err(|e| FetchError::io(&final_path, e.error))?;
        Ok(final_path)
    }
}

/// Staging files are created private (0600); a cached file is an ordinary 0644 file.
fn make_readable(path: &Path) -> Result<(), FetchError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| FetchError::io(path, e))?;
    }
    Ok(())
}

/// The cache folder from its possible settings, in order of precedence.
pub fn resolve_dir(
    env: Option<PathBuf>,
    config: Option<&Path>,
    xdg_cache_home: Option<PathBuf>,
    home: Option<PathBuf>,
) -> PathBuf {
    let nonempty = |p: &PathBuf| !p.as_os_str().is_empty();
    if let Some(dir) = env.filter(nonempty) {
        return dir;
    }
    if let Some(dir) = config.filter(|p| !p.as_os_str().is_empty()) {
        return dir.to_path_buf();
    }
    if let Some(dir) = xdg_cache_home.filter(|p| nonempty(p) && p.is_absolute()) {
        return dir.join("recap").join("models");
    }
    home.filter(nonempty)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".cache")
        .join("recap")
        .join("models")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_precedence() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            resolve_dir(p("/env"), Some(Path::new("/cfg")), p("/xdg"), p("/home/u")),
            PathBuf::from("/env")
        );
        assert_eq!(
            resolve_dir(None, Some(Path::new("/cfg")), p("/xdg"), p("/home/u")),
            PathBuf::from("/cfg")
        );
        assert_eq!(
            resolve_dir(p(""), None, p("/xdg"), p("/home/u")),
            PathBuf::from("/xdg/recap/models")
        );
        // The XDG spec says relative values are ignored.
        assert_eq!(
            resolve_dir(None, None, p("rel"), p("/home/u")),
            PathBuf::from("/home/u/.cache/recap/models")
        );
    }
}
