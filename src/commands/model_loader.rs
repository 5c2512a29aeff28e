//! Finds the model a command asked for: a path to a .gguf file, or a name from the
//! registry, fetched into the cache on first use (with a progress bar).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::embed::Embedder;
use crate::models::cache::ModelCache;
use crate::models::embedders::EmbedderEntry;
use crate::models::fetch::{self, FetchOptions};
use crate::models::registry::Registry;
use crate::pipeline::local::LocalGenerator;

use super::models::Reporter;

/// The model used when neither `--model` nor the config names one; see the README's
/// quality table for why.
pub const DEFAULT_MODEL: &str = "qwen2.5-coder-1.5b-instruct";

/// The GGUF file for `--model` (else the config's `model`, else [`DEFAULT_MODEL`]):
/// an existing file as it is, or a registry model's cached file, pulled first if needed.
pub fn resolve(
    requested: Option<&str>,
    config: &Config,
    err: &mut dyn Write,
) -> anyhow::Result<PathBuf> {
    let name = requested
        .or(config.model.as_deref())
        .unwrap_or(DEFAULT_MODEL);
    let path = Path::new(name);
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if name.ends_with(".gguf") || name.contains(std::path::MAIN_SEPARATOR) {
        anyhow::bail!(
            "no model file at {name}\nhint: pass the path to a .gguf file, or a name from `recap models list`"
        );
    }
    let registry = Registry::load(Registry::user_path().as_deref())?;
    let entry = registry.get(name)?;
    let cache = ModelCache::resolve(config.cache_dir.as_deref());
    if let Some(path) = cache.path_of(entry) {
        return Ok(path);
    }
    writeln!(
        err,
        "{name} is not cached yet: fetching it once into {}",
        cache.dir().display()
    )?;
    let mut reporter = Reporter::new(err);
    Ok(fetch::ensure_with(
        entry,
        &cache,
        &FetchOptions::from_env(),
        &mut reporter,
    )?)
}

/// The sentence embedder recap uses for matching items by meaning.
pub const DEFAULT_EMBEDDER: &str = "all-minilm-l6-v2";

/// The embedder's registry entry, the cache, and its folder there when it is cached.
fn embedder_lookup(
    config: &Config,
) -> anyhow::Result<(EmbedderEntry, ModelCache, Option<PathBuf>)> {
    let registry = Registry::load(Registry::user_path().as_deref())?;
    let entry = registry.embedder(DEFAULT_EMBEDDER)?.clone();
    let cache = ModelCache::resolve(config.cache_dir.as_deref());
    let dir = cache.embedder_path_of(&entry);
    Ok((entry, cache, dir))
}

/// Loads the sentence embedder, pulling it into the cache first if needed.
pub fn load_embedder(config: &Config, err: &mut dyn Write) -> anyhow::Result<Arc<Embedder>> {
    let (entry, cache, dir) = embedder_lookup(config)?;
    let dir = match dir {
        Some(dir) => dir,
        None => {
            writeln!(
                err,
                "{DEFAULT_EMBEDDER} is not cached yet: fetching it once into {}",
                cache.dir().display()
            )?;
            let mut reporter = Reporter::new(err);
            fetch::ensure_embedder(&entry, &cache, &FetchOptions::from_env(), &mut reporter)?
        }
    };
    Ok(Arc::new(Embedder::load(&dir)?))
}

/// The sentence embedder when it is cached; otherwise `None`, after a one-line hint (the
/// pipeline then merges and grounds items by shared words alone).
pub fn cached_embedder(
    config: &Config,
    err: &mut dyn Write,
) -> anyhow::Result<Option<Arc<Embedder>>> {
    match embedder_lookup(config)?.2 {
        Some(dir) => Ok(Some(Arc::new(Embedder::load(&dir)?))),
        None => {
            writeln!(
                err,
                "hint: `recap models pull {DEFAULT_EMBEDDER}` (90 MB) lets recap merge paraphrased duplicates; for now items are compared by their words"
            )?;
            Ok(None)
        }
    }
}

/// Sets the process up for inference before the first model operation: chooses the
/// kernel path (refusing a `RECAP_KERNELS` the CPU cannot run), sizes every thread pool
/// (returning the count in effect) and has the allocator keep freed buffers for reuse.
pub fn configure_runtime(config: &Config) -> anyhow::Result<usize> {
    crate::llm::kernels::select()?;
    let threads = crate::llm::threads::configure(config.threads);
    crate::llm::alloc::keep_freed_memory();
    Ok(threads)
}

/// Resolves the model as [`resolve`] does, sizes the thread pools, and loads it.
pub fn load_generator(
    requested: Option<&str>,
    config: &Config,
    err: &mut dyn Write,
) -> anyhow::Result<LocalGenerator> {
    let path = resolve(requested, config, err)?;
    let threads = configure_runtime(config)?;
    writeln!(err, "loading {} ({threads} threads)", path.display())?;
    let name = requested
        .or(config.model.as_deref())
        .unwrap_or(DEFAULT_MODEL);
    let mut generator = LocalGenerator::load(&path).map_err(|e| {
        // A registry model's file is recap's to fix; a file the user named is theirs.
        if Path::new(name).is_file() {
            e
        } else {
            anyhow::anyhow!(
                "the cached file of `{name}` is damaged or cut short: {e:#}\nhint: `recap models pull --force {name}` fetches it again (`recap models verify {name}` checks it)"
            )
        }
    })?;
    generator.set_decoding(config.fast_forward, config.draft_tokens);
    Ok(generator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_file_gives_a_hint() {
        let e = resolve(
            Some("no/such/model.gguf"),
            &Config::default(),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "no model file at no/such/model.gguf\nhint: pass the path to a .gguf file, or a name from `recap models list`"
        );
    }
}
