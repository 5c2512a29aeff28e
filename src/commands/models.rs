//! `recap models list | pull | verify | path`: the registry and the model cache from the
//! command line. The library does the work ([`crate::models::fetch`]); this module draws the
//! progress bar (stderr, only on a terminal; plain step lines otherwise) and the tables.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::{ModelsArgs, ModelsCommand, OutputFormat};
use crate::config::Config;
use crate::models::cache::ModelCache;
use crate::models::embedders::EmbedderEntry;
use crate::models::fetch::{self, FetchError, FetchOptions, HashCheck, Progress};
use crate::models::registry::{ModelEntry, Registry};

use super::{Exit, Io};

pub fn run(args: &ModelsArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let registry = Registry::load(Registry::user_path().as_deref())?;
    let cache = ModelCache::resolve(config.cache_dir.as_deref());
    match &args.command {
        ModelsCommand::List { format } => list(&registry, &cache, *format, io),
        ModelsCommand::Pull { name, force } => pull(&registry, &cache, name, *force, io),
        ModelsCommand::Verify { name } => verify(&registry, &cache, name.as_deref(), io),
        ModelsCommand::Path { name } => {
            let path = match registry.embedder(name) {
                Ok(embedder) => cache.require_embedder(embedder)?,
                Err(_) => cache.require(registry.get(name)?)?,
            };
            writeln!(io.out, "{}", path.display())?;
            Ok(Exit::Success)
        }
    }
}

#[derive(Serialize)]
struct ListRow<'a> {
    /// `generator` (a GGUF language model) or `embedder` (a sentence embedder's folder).
    kind: &'static str,
    name: &'a str,
    architecture: &'a str,
    params: &'a str,
    quant: &'a str,
    context_length: u32,
    licence: &'a str,
    instruct: bool,
    verified_here: bool,
    note: Option<&'a str>,
    cached: bool,
    path: Option<String>,
    size_bytes: Option<u64>,
    sources: Vec<String>,
}

fn list(
    registry: &Registry,
    cache: &ModelCache,
    format: OutputFormat,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    let rows: Vec<ListRow<'_>> = registry
        .entries()
        .iter()
        .map(|e| {
            let path = cache.path_of(e);
            let cached_size = path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len());
            ListRow {
                kind: "generator",
                name: &e.name,
                architecture: e.architecture.as_str(),
                params: &e.params,
                quant: &e.quant,
                context_length: e.context_length,
                licence: &e.licence,
                instruct: e.instruct,
                verified_here: e.verified_here,
                note: e.note.as_deref(),
                cached: path.is_some(),
                path: path.map(|p| p.display().to_string()),
                size_bytes: cached_size.or(e.size_bytes),
                sources: e.sources.iter().map(|s| s.to_string()).collect(),
            }
        })
        .chain(registry.embedders().iter().map(|e| {
            let path = cache.embedder_path_of(e);
            ListRow {
                kind: "embedder",
                name: &e.name,
                architecture: "bert",
                params: &e.params,
                quant: "F32",
                context_length: crate::embed::MAX_TOKENS as u32,
                licence: &e.licence,
                instruct: false,
                verified_here: true,
                note: e.note.as_deref(),
                cached: path.is_some(),
                path: path.map(|p| p.display().to_string()),
                size_bytes: e.size_bytes,
                sources: e.sources.iter().map(|s| s.to_string()).collect(),
            }
        }))
        .collect();
    if format == OutputFormat::Json {
        serde_json::to_writer_pretty(&mut *io.out, &rows)?;
        writeln!(io.out)?;
        return Ok(Exit::Success);
    }
    let table: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.name.to_string(),
                r.architecture.to_string(),
                format!("{} {}", r.params, r.quant),
                r.context_length.to_string(),
                match (r.cached, r.size_bytes) {
                    (true, Some(n)) => format!("yes {}", HumanBytes(n)),
                    (true, None) => "yes".into(),
                    (false, _) => "no".into(),
                },
                r.licence.to_string(),
            ]
        })
        .collect();
    let header = ["NAME", "ARCH", "SIZE", "CONTEXT", "CACHED", "LICENCE"];
    let mut widths = header.map(str::len);
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s
    };
    writeln!(io.out, "{}", line(&header.map(String::from)))?;
    for (row, r) in table.iter().zip(&rows) {
        writeln!(io.out, "{}", line(row))?;
        let mut notes = Vec::new();
        if r.kind == "embedder" {
            notes.push("sentence embedder".to_string());
        } else if !r.instruct {
            notes.push("base model, not instruction-tuned".to_string());
        }
        if !r.verified_here {
            notes.push("not verified here".to_string());
        }
        if let Some(n) = r.note {
            notes.push(n.to_string());
        }
        if !notes.is_empty() {
            writeln!(io.out, "    {}", notes.join("; "))?;
        }
    }
    writeln!(io.err, "cache: {}", cache.dir().display())?;
    Ok(Exit::Success)
}

fn pull(
    registry: &Registry,
    cache: &ModelCache,
    name: &str,
    force: bool,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    if let Ok(embedder) = registry.embedder(name) {
        return pull_embedder(embedder, cache, force, io);
    }
    let entry = registry.get(name)?;
    if let Some(path) = cache.path_of(entry).filter(|_| !force) {
        return already_cached(name, &path, io);
    }
    if !entry.instruct {
        writeln!(
            io.err,
            "note: {name} is a base model, not instruction-tuned: not suited to summarizing"
        )?;
    }
    writeln!(
        io.err,
        "pulling {name} ({} {}) into {}",
        entry.params,
        entry.quant,
        cache.dir().display()
    )?;
    let options = FetchOptions::from_env();
    let path = {
        let mut reporter = Reporter::new(&mut *io.err);
        fetch::pull(entry, cache, &options, &mut reporter)?
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let sha = cache.recorded_sha256(entry).unwrap_or_default();
    let pinned = if entry.pinned_sha256().contains(&sha.as_str()) {
        "matches the pinned sha256"
    } else {
        "no pinned sha256 to compare"
    };
    writeln!(
        io.err,
        "{name}: {} verified (sha256 {sha}, {pinned}; GGUF structure ok)",
        HumanBytes(size)
    )?;
    writeln!(io.out, "{}", path.display())?;
    Ok(Exit::Success)
}

/// What `pull` says about a model that is already cached: where it is, how to re-check it.
fn already_cached(name: &str, path: &std::path::Path, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    writeln!(
        io.err,
        "{name} is already cached; `recap models verify {name}` re-checks it, `--force` fetches it again"
    )?;
    writeln!(io.out, "{}", path.display())?;
    Ok(Exit::Success)
}

fn pull_embedder(
    entry: &EmbedderEntry,
    cache: &ModelCache,
    force: bool,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    let name = &entry.name;
    if let Some(path) = cache.embedder_path_of(entry).filter(|_| !force) {
        return already_cached(name, &path, io);
    }
    writeln!(
        io.err,
        "pulling {name} ({}, {} files) into {}",
        entry.params,
        entry.files.len(),
        cache.dir().display()
    )?;
    let options = FetchOptions::from_env();
    let path = {
        let mut reporter = Reporter::new(&mut *io.err);
        fetch::pull_embedder(entry, cache, &options, &mut reporter)?
    };
    writeln!(
        io.err,
        "{name}: {} files verified (each matches its pinned sha256)",
        entry.files.len()
    )?;
    writeln!(io.out, "{}", path.display())?;
    Ok(Exit::Success)
}

fn verify(
    registry: &Registry,
    cache: &ModelCache,
    name: Option<&str>,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    let entries: Vec<Cached<'_>> = match name {
        Some(name) => match registry.embedder(name) {
            Ok(embedder) => {
                cache.require_embedder(embedder)?;
                vec![Cached::Embedder(embedder)]
            }
            Err(_) => {
                let entry = registry.get(name)?;
                cache.require(entry)?;
                vec![Cached::Model(entry)]
            }
        },
        None => registry
            .entries()
            .iter()
            .filter(|e| cache.path_of(e).is_some())
            .map(Cached::Model)
            .chain(
                registry
                    .embedders()
                    .iter()
                    .filter(|e| cache.embedder_path_of(e).is_some())
                    .map(Cached::Embedder),
            )
            .collect(),
    };
    if entries.is_empty() {
        writeln!(
            io.err,
            "no models cached in {}\nhint: `recap models pull NAME` fetches one; `recap models list` shows the names",
            cache.dir().display()
        )?;
        return Ok(Exit::Success);
    }
    let mut damaged = 0;
    for entry in entries {
        let result = {
            let mut reporter = Reporter::new(&mut *io.err);
            match entry {
                Cached::Model(e) => fetch::verify(e, cache, &mut reporter),
                Cached::Embedder(e) => fetch::verify_embedder(e, cache, &mut reporter),
            }
        };
        let name = entry.name();
        match result {
            Ok(v) if matches!(entry, Cached::Embedder(_)) => {
                writeln!(
                    io.out,
                    "ok      {name}  {}  every file matches its pinned sha256",
                    HumanBytes(v.size)
                )?;
            }
            Ok(v) => {
                let against = match v.checked_against {
                    HashCheck::Recorded => "matches the hash recorded at pull",
                    HashCheck::Pinned => "matches the pinned sha256",
                    HashCheck::StructureOnly => "no hash to compare, structure checked",
                };
                writeln!(
                    io.out,
                    "ok      {}  {}  sha256 {}  ({against})",
                    name,
                    HumanBytes(v.size),
                    v.sha256
                )?;
            }
            Err(e @ (FetchError::Corrupt { .. } | FetchError::Gguf(_))) => {
                damaged += 1;
                writeln!(io.out, "FAILED  {name}")?;
                writeln!(io.err, "error: {e}")?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(if damaged > 0 {
        Exit::Problems
    } else {
        Exit::Success
    })
}

/// A cached model or embedder, for `verify`.
#[derive(Clone, Copy)]
enum Cached<'a> {
    Model(&'a ModelEntry),
    Embedder(&'a EmbedderEntry),
}

impl Cached<'_> {
    fn name(&self) -> &str {
        match self {
            Self::Model(e) => &e.name,
            Self::Embedder(e) => &e.name,
        }
    }
}

/// Draws fetch progress on stderr: a bar on a terminal, one line per step otherwise.
pub(super) struct Reporter<'a> {
    err: &'a mut dyn Write,
    terminal: bool,
    bar: Option<ProgressBar>,
}

impl<'a> Reporter<'a> {
    pub(super) fn new(err: &'a mut dyn Write) -> Self {
        Self {
            err,
            terminal: std::io::stderr().is_terminal(),
            bar: None,
        }
    }
}

impl Progress for Reporter<'_> {
    fn start(&mut self, label: &str, total: Option<u64>) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if !self.terminal {
            let _ = writeln!(self.err, "{label}");
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                ),
            None => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                    .with_style(
                        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            }
        };
        bar.set_message(label.to_string());
        self.bar = Some(bar);
    }

    fn advance(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn note(&mut self, message: &str) {
        match &self.bar {
            Some(bar) => {
                let _ = bar.suspend(|| writeln!(self.err, "{message}"));
            }
            None => {
                let _ = writeln!(self.err, "{message}");
            }
        }
    }
}

impl Drop for Reporter<'_> {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
