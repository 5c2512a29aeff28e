//! Two `recap summarize` runs on one folder must not both summarize a transcript, and a
//! killed run must not leave debris in the vault.
//!
//! - **Claims.** Before summarizing a transcript, a run creates
//!   `<out>/.recap/claims/<key>.claim` exclusively (`create_new`), holding its process id;
//!   the key is a hash of the transcript's canonical path. Another run finding the claim
//!   skips the transcript while that process lives. A claim whose process is gone (a
//!   killed run) is stale and taken over. The claim is removed when the transcript is
//!   done, written or failed.
//! - **Temporary files** are named `.recap-<pid>-*.tmp` beside the note they become.
//! - Before it starts, a run removes the temporary files and claims of processes that are
//!   gone ([`remove_debris`]).
//!
//! Process liveness is checked with `kill(pid, 0)` on Unix; elsewhere a claim is only
//! stale once it is an hour old.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// The folder, inside the output folder, that holds claims.
const CLAIMS_DIR: &str = ".recap/claims";

/// The prefix of a temporary file written by this process.
pub fn temp_prefix() -> String {
    format!(".recap-{}-", std::process::id())
}

/// A transcript this process has claimed; the claim goes when this is dropped.
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The outcome of trying to claim a transcript.
#[derive(Debug)]
pub enum Claimed {
    Mine(Claim),
    /// Another live process holds it.
    Held {
        pid: u32,
    },
}

/// Claims the transcript whose canonical path is `key` for this process.
pub fn claim(out_dir: &Path, key: &Path) -> std::io::Result<Claimed> {
    let dir = out_dir.join(CLAIMS_DIR);
    std::fs::create_dir_all(&dir)?;
    let hash = Sha256::digest(key.as_os_str().as_encoded_bytes());
    let name: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{name}.claim"));
    // Twice at most: the second try follows the removal of a stale claim.
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                writeln!(file, "{}", std::process::id())?;
                return Ok(Claimed::Mine(Claim { path }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let pid = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok());
                match pid {
                    Some(pid) if is_alive(pid, &path) => return Ok(Claimed::Held { pid }),
                    // Stale, or being written this instant (no pid yet): a claim without
                    // a pid is taken over only once it is old.
                    None if !is_old(&path) => return Ok(Claimed::Held { pid: 0 }),
                    _ => {
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Claimed::Held { pid: 0 })
}

/// Removes the claims folder (and `.recap` above it) once no claim is left in it, so a
/// finished run leaves nothing but notes. A folder another run still uses stays.
pub fn remove_claims_dir(out_dir: &Path) {
    let claims = out_dir.join(CLAIMS_DIR);
    if std::fs::remove_dir(&claims).is_ok() {
        if let Some(parent) = claims.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

/// Removes what killed runs left: `.recap-<pid>-*.tmp` files under `out_dir` (hidden
/// folders skipped) and claims whose process is gone. Returns how many files went.
pub fn remove_debris(out_dir: &Path) -> usize {
    let mut removed = 0;
    if let Ok(entries) = std::fs::read_dir(out_dir.join(CLAIMS_DIR)) {
        for entry in entries.flatten() {
            let path = entry.path();
            let pid = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok());
            let stale = match pid {
                Some(pid) => !is_alive(pid, &path),
                None => is_old(&path),
            };
            if stale && std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    let walker = walkdir::WalkDir::new(out_dir)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !e.file_type().is_dir()
                || !e.file_name().to_string_lossy().starts_with('.')
        });
    for entry in walker.flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        let Some(pid) = temp_pid(&name) else {
            continue;
        };
        if !is_alive(pid, entry.path()) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Removes the `.recap-<pid>-*.tmp` files of processes that are gone from `dir` itself
/// (not below it): what a killed `regenerate` left beside the notes.
pub fn remove_dead_temps(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = temp_pid(&name.to_string_lossy()) else {
            continue;
        };
        let path = entry.path();
        if path.is_file() && !is_alive(pid, &path) && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The process id in a temporary file's name `.recap-<pid>-<random>.tmp`.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(".recap-")?.strip_suffix(".tmp")?;
    rest.split_once('-')?.0.parse().ok()
}

/// Whether process `pid` (which wrote `path`) still runs.
fn is_alive(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let _ = path;
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
        #[allow(unsafe_code)]
        let status = unsafe { libc::kill(pid, 0) };
        status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        !is_old(path)
    }
}

/// Untouched for an hour.
fn is_old(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age > Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process id that is not running: a child that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn a_claim_is_exclusive_released_on_drop_and_taken_over_when_stale() {
        let out = tempfile::tempdir().unwrap();
        let key = Path::new("/meetings/a.vtt");
        let first = match claim(out.path(), key).unwrap() {
            Claimed::Mine(c) => c,
            other => panic!("{other:?}"),
        };
        // This process holds it: a second claim (as another run would see it) is refused.
        assert!(
            matches!(claim(out.path(), key).unwrap(), Claimed::Held { pid } if pid == std::process::id())
        );
        assert!(matches!(
            claim(out.path(), Path::new("/meetings/b.vtt")).unwrap(),
            Claimed::Mine(_)
        ));
        let path = first.path.clone();
        drop(first);
        assert!(!path.exists());

        // A claim left by a process that is gone is taken over.
        std::fs::write(&path, format!("{}\n", dead_pid())).unwrap();
        assert!(matches!(claim(out.path(), key).unwrap(), Claimed::Mine(_)));

        // The folder stays while a claim is in it, and goes with the last.
        let other = claim(out.path(), Path::new("/meetings/c.vtt")).unwrap();
        remove_claims_dir(out.path());
        assert!(out.path().join(CLAIMS_DIR).exists());
        drop(other);
        remove_claims_dir(out.path());
        assert!(!out.path().join(".recap").exists());
    }

    #[test]
    fn temporary_files_and_claims_of_gone_processes_are_removed() {
        let out = tempfile::tempdir().unwrap();
        let dead = dead_pid();
        std::fs::create_dir(out.path().join("sub")).unwrap();
        let stale = out.path().join(format!("sub/.recap-{dead}-abc.tmp"));
        let mine = out.path().join(format!("{}x.tmp", temp_prefix()));
        let note = out.path().join("note.md");
        for p in [&stale, &mine, &note] {
            std::fs::write(p, "x").unwrap();
        }
        let claims = out.path().join(CLAIMS_DIR);
        std::fs::create_dir_all(&claims).unwrap();
        std::fs::write(claims.join("a.claim"), format!("{dead}\n")).unwrap();
        std::fs::write(claims.join("b.claim"), format!("{}\n", std::process::id())).unwrap();
        assert_eq!(remove_debris(out.path()), 2);
        assert!(!claims.join("a.claim").exists() && claims.join("b.claim").exists());
        assert!(!stale.exists() && mine.exists() && note.exists());
        assert_eq!(temp_pid(".recap-12-x8Yz.tmp"), Some(12));
        assert_eq!(temp_pid(".recap-abc.part"), None);
    }

    #[test]
    fn dead_temporary_files_beside_notes_are_removed_and_nothing_below() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dead_pid();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let here = dir.path().join(format!(".recap-{dead}-abc.tmp"));
        let below = dir.path().join(format!("sub/.recap-{dead}-abc.tmp"));
        let mine = dir.path().join(format!("{}x.tmp", temp_prefix()));
        for p in [&here, &below, &mine] {
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(remove_dead_temps(dir.path()), 1);
        assert!(!here.exists() && below.exists() && mine.exists());
    }
}
