//! What answers the pipeline's questions in a run: the local model, or a server when one
//! is configured (`--backend URL`, or `url` in the config's `[backend]` table). Local is
//! the default; nothing is sent anywhere unless a URL is given.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use crate::config::Config;
use crate::pipeline::generator::{Chat, Generator, Progress, Usage};
use crate::pipeline::local::LocalGenerator;
use crate::remote::{RemoteGenerator, RemoteSettings, RetryPolicy, Secret};

use super::model_loader;

/// The `--backend` value that forces the local model.
pub const LOCAL: &str = "local";

/// Seconds one request may take when the config does not say.
const DEFAULT_TIMEOUT_S: u64 = 600;

/// The generator of a run.
pub enum Engine {
    Local(Box<LocalGenerator>),
    Remote(RemoteGenerator),
}

/// What a command asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// `--model`: a registry name or GGUF path, or the server's model name.
    pub model: Option<&'a str>,
    /// `--backend`.
    pub backend: Option<&'a str>,
    /// `--jobs`.
    pub jobs: Option<usize>,
}

impl Engine {
    /// Connects to the configured server, or loads the local model. Notes about the
    /// choice go to `err`.
    pub fn load(
        request: Request<'_>,
        config: &Config,
        err: &mut dyn Write,
    ) -> anyhow::Result<Self> {
        match remote_settings(request, config)? {
            Some(settings) => {
                let connected = RemoteGenerator::connect(&settings)?;
                for note in &connected.notes {
                    writeln!(err, "{note}")?;
                }
                writeln!(err, "asking {}", connected.generator.describe())?;
                Ok(Self::Remote(connected.generator))
            }
            None => {
                if let Some(jobs) = request.jobs.filter(|j| *j > 1) {
                    anyhow::bail!(
                        "--jobs {jobs} needs a backend: the local model answers one request at a time\nhint: give --backend URL (or `url` in the config's [backend] table), or drop --jobs"
                    );
                }
                let local = model_loader::load_generator(request.model, config, err)?;
                Ok(Self::Local(Box::new(local)))
            }
        }
    }

    /// The server generator, when the run asks one.
    pub fn remote(&self) -> Option<&RemoteGenerator> {
        match self {
            Self::Remote(r) => Some(r),
            Self::Local(_) => None,
        }
    }

    /// The model's name for reports: the server's name, or the registry name or path.
    pub fn name(&self, requested: Option<&str>, config: &Config) -> String {
        match self {
            Self::Remote(r) => r.model().to_string(),
            Self::Local(_) => requested
                .or(config.model.as_deref())
                .unwrap_or(model_loader::DEFAULT_MODEL)
                .to_string(),
        }
    }
}

/// The server to ask, if any: `--backend` (unless `local`), else the config's URL.
pub fn remote_settings(
    request: Request<'_>,
    config: &Config,
) -> anyhow::Result<Option<RemoteSettings>> {
    let b = &config.backend;
    let url = match request.backend {
        Some(LOCAL) => return Ok(None),
        Some(url) => url.to_string(),
        None => match &b.url {
            Some(url) => url.clone(),
            None => return Ok(None),
        },
    };
    let key = match &b.api_key_env {
        Some(env) => match std::env::var(env) {
            Ok(key) if !key.is_empty() => Some((env.clone(), Secret::new(key))),
            _ => anyhow::bail!(
                "the config's `backend.api_key_env` names ${env}, which is not set\nhint: export {env} with the server's API key, or remove `api_key_env` for a server without one"
            ),
        },
        None => None,
    };
    Ok(Some(RemoteSettings {
        url,
        api: b.api.unwrap_or_default(),
        model: request
            .model
            .map(str::to_string)
            .or_else(|| b.model.clone()),
        key,
        timeout: Duration::from_secs(b.timeout_s.unwrap_or(DEFAULT_TIMEOUT_S)),
        context: b.context_tokens,
        jobs: request.jobs.or(b.jobs).unwrap_or(1),
        retry: RetryPolicy {
            attempts: b.retries.map_or(RetryPolicy::default().attempts, |r| r + 1),
            ..RetryPolicy::default()
        },
    }))
}

impl Generator for Engine {
    fn count_tokens(&self, text: &str) -> usize {
        match self {
            Self::Local(g) => g.count_tokens(text),
            Self::Remote(g) => g.count_tokens(text),
        }
    }

    fn context_length(&self) -> usize {
        match self {
            Self::Local(g) => g.context_length(),
            Self::Remote(g) => g.context_length(),
        }
    }

    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)> {
        match self {
            Self::Local(g) => g.generate_json(chat, progress),
            Self::Remote(g) => g.generate_json(chat, progress),
        }
    }

    fn fork(&self) -> Option<Box<dyn Generator + Send>> {
        match self {
            Self::Local(g) => g.fork(),
            Self::Remote(g) => g.fork(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BackendFile, ConfigFile};

    fn config(backend: BackendFile) -> Config {
        Config::resolve(
            ConfigFile {
                backend,
                ..ConfigFile::default()
            },
            Some(1),
        )
    }

    #[test]
    fn local_is_the_default_and_can_be_forced() {
        assert!(remote_settings(Request::default(), &Config::default())
            .unwrap()
            .is_none());
        let with_url = config(BackendFile {
            url: Some("http://127.0.0.1:8080/v1".into()),
            jobs: Some(3),
            ..BackendFile::default()
        });
        let settings = remote_settings(Request::default(), &with_url)
            .unwrap()
            .unwrap();
        assert_eq!(settings.jobs, 3);
        assert_eq!(settings.timeout, Duration::from_secs(DEFAULT_TIMEOUT_S));
        let forced = Request {
            backend: Some(LOCAL),
            ..Request::default()
        };
        assert!(remote_settings(forced, &with_url).unwrap().is_none());
    }

    #[test]
    fn flags_override_the_table() {
        let with_url = config(BackendFile {
            url: Some("http://127.0.0.1:8080/v1".into()),
            model: Some("from-config".into()),
            jobs: Some(3),
            ..BackendFile::default()
        });
        let request = Request {
            model: Some("from-flag"),
            backend: Some("http://127.0.0.1:9000/v1"),
            jobs: Some(5),
        };
        let settings = remote_settings(request, &with_url).unwrap().unwrap();
        assert_eq!(settings.url, "http://127.0.0.1:9000/v1");
        assert_eq!(settings.model.as_deref(), Some("from-flag"));
        assert_eq!(settings.jobs, 5);
    }

    #[test]
    fn a_missing_key_variable_is_named_without_a_value() {
        let with_key = config(BackendFile {
            url: Some("http://127.0.0.1:8080/v1".into()),
            api_key_env: Some("RECAP_TEST_KEY_THAT_IS_NEVER_SET".into()),
            ..BackendFile::default()
        });
        let err = remote_settings(Request::default(), &with_key)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the config's `backend.api_key_env` names $RECAP_TEST_KEY_THAT_IS_NEVER_SET, which is not set"),
            "{err}"
        );
    }

    #[test]
    fn jobs_without_a_backend_are_refused() {
        let request = Request {
            jobs: Some(4),
            ..Request::default()
        };
        let err = Engine::load(request, &Config::default(), &mut Vec::new())
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("--jobs 4 needs a backend"), "{err}");
    }
}
