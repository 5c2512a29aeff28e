//! The `hf` source: a file in a Hugging Face model repository at a revision, fetched with
//! the `hf-hub` crate's blocking API into the standard Hugging Face cache, which other
//! tools share.
//!
//! Honoured: `HF_ENDPOINT` (a mirror), `HF_HUB_CACHE` / `HF_HOME` (the cache folder:
//! `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`), `HF_HUB_OFFLINE`
//! (use only what the cache holds) and `HF_TOKEN` (else the token file `hf-hub` reads).
//! A file already in the cache is used without the network.

use std::path::PathBuf;

use hf_hub::api::sync::ApiBuilder;
use hf_hub::{Cache, Repo, RepoType};

use super::{FetchError, Progress};

/// The public hub, when `HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// How the hub is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HfSettings {
    pub endpoint: String,
    /// The hub cache folder (holding `models--owner--name` folders).
    pub cache_dir: PathBuf,
    /// Never touch the network; only files already cached are used.
    pub offline: bool,
    /// Access token for gated repositories.
    pub token: Option<String>,
}

impl Default for HfSettings {
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.into(),
            cache_dir: default_cache_dir(None, None, std::env::var_os("HOME").map(PathBuf::from)),
            offline: false,
            token: None,
        }
    }
}

impl HfSettings {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self {
            endpoint: var("HF_ENDPOINT")
                .map(|e| e.trim_end_matches('/').to_string())
                .unwrap_or_else(|| DEFAULT_ENDPOINT.into()),
            cache_dir: default_cache_dir(
                var("HF_HUB_CACHE").map(PathBuf::from),
                var("HF_HOME").map(PathBuf::from),
                std::env::var_os("HOME").map(PathBuf::from),
            ),
            offline: var("HF_HUB_OFFLINE").is_some_and(|v| is_truthy(&v)),
            token: var("HF_TOKEN"),
        }
    }
}

/// `HF_HUB_OFFLINE` values that mean yes, as the Python hub library reads them.
fn is_truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

fn default_cache_dir(
    hub_cache: Option<PathBuf>,
    hf_home: Option<PathBuf>,
    home: Option<PathBuf>,
) -> PathBuf {
    hub_cache
        .or_else(|| hf_home.map(|h| h.join("hub")))
        .unwrap_or_else(|| {
            home.unwrap_or_else(|| PathBuf::from("."))
                .join(".cache")
                .join("huggingface")
                .join("hub")
        })
}

/// The local path of `repo`/`file` at `revision`: from the cache when it is there,
/// else downloaded into it (unless offline).
pub(super) fn fetch(
    repo: &str,
    file: &str,
    revision: &str,
    settings: &HfSettings,
    progress: &mut dyn Progress,
) -> Result<PathBuf, FetchError> {
    let cache = Cache::new(settings.cache_dir.clone());
    let hub_repo = Repo::with_revision(repo.to_string(), RepoType::Model, revision.to_string());
    if let Some(path) = cached(&cache, &hub_repo, revision, file) {
        return Ok(path);
    }
    if settings.offline {
        return Err(FetchError::HfOffline {
            repo: repo.into(),
            file: file.into(),
            revision: revision.into(),
            cache: settings.cache_dir.clone(),
        });
    }
    let hf_error = |message: String| FetchError::Hf {
        repo: repo.into(),
        file: file.into(),
        revision: revision.into(),
        endpoint: settings.endpoint.clone(),
        message,
    };
    let mut builder = ApiBuilder::from_cache(cache)
        .with_endpoint(settings.endpoint.clone())
        .with_progress(false)
        .with_retries(2);
    if settings.token.is_some() {
        builder = builder.with_token(settings.token.clone());
    }
    let api = builder.build().map_err(|e| hf_error(e.to_string()))?;
    api.repo(hub_repo)
        .download_with_progress(file, Adapter(progress))
        .map_err(|e| hf_error(e.to_string()))
}

/// The cached file: through the revision's ref (a branch or tag `hf-hub` or the Python
/// library resolved before), or directly under `snapshots/` when the revision is a commit.
fn cached(cache: &Cache, repo: &Repo, revision: &str, file: &str) -> Option<PathBuf> {
    if let Some(path) = cache.repo(repo.clone()).get(file) {
        return Some(path);
    }
    let is_commit = revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit());
    let path = cache
        .path()
        .join(repo.folder_name())
        .join("snapshots")
        .join(revision)
        .join(file);
    (is_commit && path.is_file()).then_some(path)
}

/// `hf-hub`'s progress callbacks, forwarded to ours.
struct Adapter<'a>(&'a mut dyn Progress);

impl hf_hub::api::Progress for Adapter<'_> {
    fn init(&mut self, size: usize, filename: &str) {
        self.0
            .start(&format!("downloading {filename}"), Some(size as u64));
    }
    fn update(&mut self, size: usize) {
        self.0.advance(size as u64);
    }
    fn finish(&mut self) {
        self.0.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_folder_follows_the_hub_variables() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            default_cache_dir(p("/c"), p("/h"), p("/u")),
            PathBuf::from("/c")
        );
        assert_eq!(
            default_cache_dir(None, p("/h"), p("/u")),
            PathBuf::from("/h/hub")
        );
        assert_eq!(
            default_cache_dir(None, None, p("/u")),
            PathBuf::from("/u/.cache/huggingface/hub")
        );
        assert!(is_truthy("1") && is_truthy("TRUE") && !is_truthy("0") && !is_truthy("no"));
    }
}
