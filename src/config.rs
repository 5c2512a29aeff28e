//! Resolved settings: the config file (`~/.config/recap/config.toml`, or `--config`)
//! merged with flags and defaults. The file is strict: an unknown key is an error, so a
//! typo never silently does nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Note types every configuration accepts.
pub const DEFAULT_NOTE_TYPES: [&str; 2] = ["people", "meeting"];

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The vault owner's name, written as `Myself` when they own an action item.
    pub me: Option<String>,
    /// Speaker labels as transcripts write them, mapped to people's names.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Folder generated notes are written to.
    pub out_dir: Option<PathBuf>,
    /// Default model name from models.toml.
    pub model: Option<String>,
    /// CPU threads for inference.
    pub threads: Option<usize>,
    /// Note types besides `people` and `meeting`.
    #[serde(default)]
    pub note_types: Vec<String>,
    /// Where fetched models are cached.
    pub cache_dir: Option<PathBuf>,
    /// A folder of prompt templates (`system.j2`, `transcript.j2`, `actions.j2`,
    /// `decisions.j2`, `overview.j2`, `reduce.j2`) that replace the built-in ones file by
    /// file.
    pub prompts_dir: Option<PathBuf>,
    /// Transcripts with fewer words are not summarized (default 40).
    pub min_words: Option<usize>,
    /// Each action item and decision says where it was said (default false).
    #[serde(default)]
    pub evidence: bool,
}

/// Errors reading the config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid config file {path}: {message}\nhint: {hint}")]
    Invalid {
        path: PathBuf,
        message: String,
        hint: String,
    },
}

impl ConfigFile {
    /// Parses and checks a config file's text; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let file: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        file.check(path)?;
        Ok(file)
    }

    fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |message: String, hint: &str| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
            hint: hint.to_string(),
        };
        if self.threads == Some(0) {
            return Err(invalid(
                "`threads` is 0".into(),
                "use a positive number, or remove the key to use every core",
            ));
        }
        if let Some(me) = &self.me {
            if me.trim().is_empty() {
                return Err(invalid(
                    "`me` is empty".into(),
                    "set it to your name as it appears in transcripts",
                ));
            }
        }
        for t in &self.note_types {
            if t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(
                    format!("note type {t:?} is not a plain word"),
                    "note types become tags (`type/<type>`): use letters, digits, `-` or `_`",
                ));
            }
        }
        Ok(())
    }
}

/// Settings after merging flags, the config file and defaults.
#[derive(Debug, Clone)]
pub struct Config {
    pub me: Option<String>,
    pub aliases: BTreeMap<String, String>,
    pub out_dir: Option<PathBuf>,
    pub model: Option<String>,
    /// Inference threads; always at least 1.
    pub threads: usize,
    /// Accepted note types: `people`, `meeting`, then the configured ones.
    pub note_types: Vec<String>,
    pub cache_dir: Option<PathBuf>,
    pub prompts_dir: Option<PathBuf>,
    pub min_words: Option<usize>,
    pub evidence: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self::resolve(ConfigFile::default(), None)
    }
}

impl Config {
    /// Reads the config file (`explicit`, else the default location if it exists) and
    /// applies the flags that override it.
    pub fn load(explicit: Option<&Path>, threads: Option<usize>) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => default_path().filter(|p| p.is_file()),
        };
        let file = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                ConfigFile::from_toml(&text, &path)?
            }
            None => ConfigFile::default(),
        };
        Ok(Self::resolve(file, threads))
    }

    /// Merges a parsed file with the `--threads` flag.
    pub fn resolve(file: ConfigFile, threads: Option<usize>) -> Self {
        let threads = threads
            .or(file.threads)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let mut note_types: Vec<String> =
            DEFAULT_NOTE_TYPES.iter().map(|s| s.to_string()).collect();
        for t in file.note_types {
            if !note_types.contains(&t) {
                note_types.push(t);
            }
        }
        Self {
            me: file.me,
            aliases: file.aliases,
            out_dir: file.out_dir,
            model: file.model,
            threads,
            note_types,
            cache_dir: file.cache_dir,
            prompts_dir: file.prompts_dir,
            min_words: file.min_words,
            evidence: file.evidence,
        }
    }
}

impl Config {
    /// The thin-input thresholds: `min_words` from the file, else the default.
    pub fn thresholds(&self) -> crate::pipeline::quality::Thresholds {
        let mut thresholds = crate::pipeline::quality::Thresholds::default();
        if let Some(min_words) = self.min_words {
            thresholds.min_words = min_words;
        }
        thresholds
    }
}

/// `$XDG_CONFIG_HOME/recap/config.toml`, else `~/.config/recap/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("recap").join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error() {
        let err = ConfigFile::from_toml("mee = \"Jason\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("unknown field `mee`"), "{err}");
    }

    #[test]
    fn flags_override_the_file_and_types_extend_defaults() {
        let file = ConfigFile::from_toml(
            "me = \"Jason Vallery\"\nthreads = 4\nnote_types = [\"customer\"]\n[aliases]\n\"Speaker 1\" = \"Jeff Denworth\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let config = Config::resolve(file, Some(2));
        assert_eq!(config.threads, 2);
        assert_eq!(config.note_types, ["people", "meeting", "customer"]);
        assert_eq!(config.aliases["Speaker 1"], "Jeff Denworth");
        assert_eq!(config.me.as_deref(), Some("Jason Vallery"));
    }

    #[test]
    fn zero_threads_is_rejected_with_a_hint() {
        let err = ConfigFile::from_toml("threads = 0\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid config file c.toml: `threads` is 0\nhint: use a positive number, or remove the key to use every core"
        );
    }
}
