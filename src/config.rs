//! Resolved settings: the config file (`~/.config/recap/config.toml`, or `--config`)
//! merged with flags and defaults. The file is strict: an unknown key is an error, so a
//! typo never silently does nothing.
//!
//! Path settings (`out_dir`, `cache_dir`, `prompts_dir`, and `model` when it names a
//! file) expand `~` and environment variables (`$VAR`, `${VAR}`); a path that is still
//! relative after that is relative to the folder of the config file, not to wherever
//! recap happens to run.

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
    /// Tokens the answer's JSON schema forces (keys, quotes, the rest of a name) are
    /// written without a forward pass each (default true; false decodes them one by one).
    pub fast_forward: Option<bool>,
    /// Tokens guessed from the transcript and checked by the model in one forward pass
    /// (speculative decoding; the answer is the same, in fewer passes); 0 turns it off.
    pub draft_tokens: Option<usize>,
    /// An inference server to send the passes to instead of running the local model.
    #[serde(default)]
    pub backend: BackendFile,
}

/// The `[backend]` table: an OpenAI-compatible (or Ollama) server. It is used only when
/// a URL is set, here or with `--backend`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendFile {
    /// The server's base URL, e.g. `http://127.0.0.1:8080/v1`.
    pub url: Option<String>,
    /// The server's name for the model (default: the first it lists).
    pub model: Option<String>,
    /// `openai` (default) or `ollama`.
    pub api: Option<crate::remote::Api>,
    /// The environment variable holding the API key; the key itself is never written here.
    pub api_key_env: Option<String>,
    /// Requests in flight at most (default 1).
    pub jobs: Option<usize>,
    /// Seconds one request may take (default 600).
    pub timeout_s: Option<u64>,
    /// Tokens of context a request gets (default: what the server reports).
    pub context_tokens: Option<usize>,
    /// Tries after the first when the server is unreachable, overloaded (429) or failing
    /// (5xx), with waits doubling from half a second (default 5: about 15 s in all).
    pub retries: Option<u32>,
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
    #[error("invalid config file {path}: `{key}` = {value:?} uses ${var}, which is {problem}\nhint: set {var} in the environment, or write the path out")]
    Variable {
        path: PathBuf,
        key: &'static str,
        value: String,
        var: String,
        problem: &'static str,
    },
    #[error("invalid config file {path}: {message}\nhint: {hint}")]
    Invalid {
        path: PathBuf,
        message: String,
        hint: String,
    },
}

impl ConfigFile {
    /// Parses and checks a config file's text; `path` names it in errors, and relative
    /// paths in it are taken relative to its folder. `~` and variables expand from the
    /// process environment.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        Self::from_toml_with_env(text, path, &|name| std::env::var(name).ok())
    }

    /// [`Self::from_toml`] with the environment given as a lookup (`HOME` for `~`).
    pub fn from_toml_with_env(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut file: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        file.check(path)?;
        file.resolve_paths(path, env)?;
        Ok(file)
    }

    /// Expands `~` and variables in every path setting and anchors relative ones at the
    /// config file's folder.
    fn resolve_paths(
        &mut self,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let base = path.parent().unwrap_or(Path::new(""));
        let fix = |key: &'static str, value: &mut Option<PathBuf>| -> Result<(), ConfigError> {
            if let Some(v) = value.as_mut() {
                *v = expand_path(v, base, env).map_err(|(var, problem)| ConfigError::Variable {
                    path: path.to_path_buf(),
                    key,
                    value: v.display().to_string(),
                    var,
                    problem,
                })?;
            }
            Ok(())
        };
        fix("out_dir", &mut self.out_dir)?;
        fix("cache_dir", &mut self.cache_dir)?;
        fix("prompts_dir", &mut self.prompts_dir)?;
        if let Some(model) = &self.model {
            if names_a_file(model) {
                let mut as_path = Some(PathBuf::from(model));
                fix("model", &mut as_path)?;
                self.model = as_path.map(|p| p.to_string_lossy().into_owned());
            }
        }
        Ok(())
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
        let b = &self.backend;
        if b.jobs == Some(0) {
            return Err(invalid(
                "`backend.jobs` is 0".into(),
                "use 1 or more: the number of requests recap keeps at the server at once",
            ));
        }
        if let Some(n) = b.retries.filter(|n| *n > 20) {
            return Err(invalid(
                format!("`backend.retries` is {n}"),
                "use 20 or fewer: the waits double, and 5 already span about 15 s",
            ));
        }
        if b.timeout_s == Some(0) {
            return Err(invalid(
                "`backend.timeout_s` is 0".into(),
                "use the seconds one answer may take, e.g. 600",
            ));
        }
        if let Some(n) = b.context_tokens.filter(|n| *n < 1024) {
            return Err(invalid(
                format!("`backend.context_tokens` is {n}, too small for a transcript chunk and its questions"),
                "use the server's context length per request, 1024 or more",
            ));
        }
        if let Some(env) = &b.api_key_env {
            if env.is_empty() || env.contains(['=', '\0']) || env.starts_with("sk-") {
                return Err(invalid(
                    format!(
                        "`backend.api_key_env` must name an environment variable, not {}",
                        if env.starts_with("sk-") {
                            "hold the key itself"
                        } else {
                            "be empty or contain `=`"
                        }
                    ),
                    "write `api_key_env = \"MY_SERVER_KEY\"` and put the key in that variable",
                ));
            }
        }
        if let Some(url) = &b.url {
            crate::remote::Endpoint::parse(url, b.api.unwrap_or_default()).map_err(|e| {
                let text = e.to_string();
                let (message, hint) = text
                    .split_once("\nhint: ")
                    .unwrap_or((&text, "see the README's backend section"));
                invalid(format!("`backend.url`: {message}"), hint)
            })?;
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
    pub fast_forward: bool,
    pub draft_tokens: usize,
    pub backend: BackendFile,
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
                let path = std::path::absolute(&path).unwrap_or(path);
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
            fast_forward: file.fast_forward.unwrap_or(true),
            draft_tokens: file
                .draft_tokens
                .unwrap_or(crate::pipeline::local::DEFAULT_DRAFT_TOKENS),
            backend: file.backend,
        }
    }
}

/// Whether a `model` setting is a file rather than a name from models.toml.
fn names_a_file(model: &str) -> bool {
    model.ends_with(".gguf") || model.starts_with('~') || model.contains(['/', '\\', '$'])
}

/// `raw` with `~` and `$VAR` / `${VAR}` expanded through `env`, joined to `base` when it
/// is still relative. An unknown or empty variable is an error (`(name, why)`): an
/// empty one would silently turn `$NOTES/meetings` into `/meetings`.
pub fn expand_path(
    raw: &Path,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, (String, &'static str)> {
    let text = raw.to_string_lossy();
    let expanded = shellexpand::full_with_context(
        text.as_ref(),
        || env("HOME"),
        |name| match env(name) {
            Some(v) if !v.is_empty() => Ok(Some(v)),
            Some(_) => Err("empty"),
            None => Err("not set"),
        },
    )
    .map_err(|e| (e.var_name, e.cause))?;
    let expanded = PathBuf::from(expanded.as_ref());
    Ok(if expanded.is_relative() {
        base.join(expanded)
    } else {
        expanded
    })
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
    fn decoding_speedups_are_on_unless_turned_off() {
        let config = Config::default();
        assert!(config.fast_forward);
        assert_eq!(
            config.draft_tokens,
            crate::pipeline::local::DEFAULT_DRAFT_TOKENS
        );
        let file = ConfigFile::from_toml(
            "fast_forward = false\ndraft_tokens = 0\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let config = Config::resolve(file, None);
        assert!(!config.fast_forward);
        assert_eq!(config.draft_tokens, 0);
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/priya".into()),
            "NOTES" => Some("/data/notes".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn paths_expand_home_and_variables_and_anchor_at_the_config_file() {
        let file = ConfigFile::from_toml_with_env(
            "out_dir = \"~/Vault/Meetings\"\ncache_dir = \"${NOTES}/models\"\nprompts_dir = \"prompts\"\nmodel = \"../models/mine.gguf\"\n",
            Path::new("/etc/recap/config.toml"),
            &env,
        )
        .unwrap();
        assert_eq!(
            file.out_dir.unwrap(),
            Path::new("/home/priya/Vault/Meetings")
        );
        assert_eq!(file.cache_dir.unwrap(), Path::new("/data/notes/models"));
        assert_eq!(file.prompts_dir.unwrap(), Path::new("/etc/recap/prompts"));
        assert_eq!(file.model.unwrap(), "/etc/recap/../models/mine.gguf");

        // A model name is not a path.
        let file = ConfigFile::from_toml_with_env(
            "model = \"smollm2-135m-instruct\"\nout_dir = \"$NOTES\"\n",
            Path::new("/etc/recap/config.toml"),
            &env,
        )
        .unwrap();
        assert_eq!(file.model.unwrap(), "smollm2-135m-instruct");
        assert_eq!(file.out_dir.unwrap(), Path::new("/data/notes"));
    }

    #[test]
    fn an_unset_or_empty_variable_is_an_error() {
        for (var, problem) in [("MISSING", "not set"), ("EMPTY", "empty")] {
            let err = ConfigFile::from_toml_with_env(
                &format!("out_dir = \"${var}/meetings\"\n"),
                Path::new("c.toml"),
                &env,
            )
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("invalid config file c.toml: `out_dir` = \"${var}/meetings\" uses ${var}, which is {problem}\nhint: set {var} in the environment, or write the path out")
            );
        }
    }

    #[test]
    fn the_backend_table_is_checked() {
        let file = ConfigFile::from_toml(
            "[backend]\nurl = \"http://127.0.0.1:8080/v1\"\nmodel = \"qwen\"\napi = \"openai\"\napi_key_env = \"RECAP_KEY\"\njobs = 4\ntimeout_s = 120\ncontext_tokens = 8192\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(file.backend.jobs, Some(4));
        assert_eq!(file.backend.api, Some(crate::remote::Api::Openai));
        for (text, message) in [
            ("jobs = 0", "`backend.jobs` is 0"),
            ("timeout_s = 0", "`backend.timeout_s` is 0"),
            ("context_tokens = 100", "`backend.context_tokens` is 100"),
            ("api_key_env = \"sk-live-123\"", "not hold the key itself"),
            ("url = \"localhost:8080\"", "`backend.url`: backend URL"),
            ("api = \"grpc\"", "unknown variant `grpc`"),
            ("key = \"x\"", "unknown field `key`"),
        ] {
            let err = ConfigFile::from_toml(&format!("[backend]\n{text}\n"), Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{text}: {err}");
        }
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
