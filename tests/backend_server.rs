//! recap against a real OpenAI-compatible server: llama.cpp's `llama-server`
//! (`RECAP_LLAMA_SERVER`, built by `scripts/llama-server`) serving the test model
//! (`RECAP_SMOLLM2`) on 127.0.0.1, four requests at a time. Both must be set: the tests
//! fail, never skip, without them. Every server these tests start is on loopback, and
//! every request loop is bounded.
//!
//! What is checked: a folder at `--jobs 4` gives one valid note per transcript with
//! more than one and never more than four requests in flight; a server killed mid-run and started again loses and
//! duplicates nothing after one re-run; a request past `timeout_s` fails its file without
//! a note; the API key comes only from the environment and appears in no output, note or
//! eval report.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use recap::note::Note;

/// One test at a time: each starts a server of its own, and two cores are few.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn env_file(var: &str, how: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} is not set: {how} (scripts/test sets it)"));
    assert!(path.is_file(), "{var}={}: no such file", path.display());
    path
}

fn server_binary() -> PathBuf {
    env_file(
        "RECAP_LLAMA_SERVER",
        "point it at llama-server (`bash scripts/llama-server` builds it and prints its path)",
    )
}

fn model() -> PathBuf {
    env_file(
        "RECAP_SMOLLM2",
        "point it at smollm2-135m-instruct.gguf (`recap models path smollm2-135m-instruct`)",
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A llama-server child process on 127.0.0.1, killed when dropped.
struct LlamaServer {
    child: Option<Child>,
    port: u16,
    key: Option<String>,
    log: PathBuf,
}

impl LlamaServer {
    fn start(dir: &Path, key: Option<&str>) -> Self {
        let mut server = Self {
            child: None,
            port: free_port(),
            key: key.map(str::to_string),
            log: dir.join("llama-server.log"),
        };
        server.launch();
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Starts the process on the server's port and waits until it answers `/health`.
    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut command = Command::new(server_binary());
        command
            .arg("-m")
            .arg(model())
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            // Four slots of 4,096 tokens each; two threads, as on this machine.
            .args(["-c", "16384", "-np", "4", "-t", "2", "-tb", "2"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(key) = &self.key {
            command.args(["--api-key", key]);
        }
        self.child = Some(command.spawn().expect("llama-server starts"));
        let health = format!("http://127.0.0.1:{}/health", self.port);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(response) = ureq::get(&health).timeout(Duration::from_secs(2)).call() {
                if response.status() == 200 {
                    return;
                }
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "llama-server exited ({status}) before it answered:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "llama-server did not answer {health} within 120 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A child process killed when dropped, so a failed assertion leaves no run behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A temporary home with a config file holding `[backend]` `table`.
fn home_with(table: &str) -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, format!("[backend]\n{table}")).unwrap();
    (home, config)
}

/// `recap --config CONFIG ARGS`, with HOME in `home` and the variables in `env`.
fn recap(home: &Path, config: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_recap"));
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("xdg"))
        .env_remove("RECAP_CACHE_DIR")
        .arg("--config")
        .arg(config)
        .args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(mut command: Command) -> Ran {
    let out = command.output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A short standup: the test model writes a note of it in seconds even through a
/// grammar-constrained server.
const STANDUP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/transcripts/2025-06-02-standup.txt"
);

/// `n` copies of the standup in a new folder `dir/transcripts`, one a day: the file's
/// own `Date:` header gives way to no other, so each copy says its day in its header.
fn transcripts(dir: &Path, n: usize) -> PathBuf {
    let folder = dir.join("transcripts");
    std::fs::create_dir_all(&folder).unwrap();
    let text = std::fs::read_to_string(STANDUP).unwrap();
    for i in 0..n {
        let day = format!("2025-06-{:02}", i + 2);
        std::fs::write(
            folder.join(format!("{day}-standup.txt")),
            text.replace("2025-06-02", &day),
        )
        .unwrap();
    }
    folder
}

/// The notes in `out`, as (file name, `source_ref`).
fn notes(out: &Path) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(out)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
                .map(|e| {
                    let text = std::fs::read_to_string(e.path()).unwrap();
                    let note = Note::parse(&text).unwrap();
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        note.frontmatter.source_ref,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn validate_all(home: &Path, config: &Path, out: &Path) {
    let ran = run(recap(
        home,
        config,
        &[],
        &["validate", out.to_str().unwrap()],
    ));
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
}

/// One note per transcript: as many notes as transcripts, no two for the same one.
fn one_note_each(out: &Path, transcripts: usize) {
    let found = notes(out);
    let mut sources: Vec<&String> = found.iter().map(|(_, s)| s).collect();
    sources.dedup();
    assert_eq!(found.len(), transcripts, "{found:?}");
    assert_eq!(
        sources.len(),
        transcripts,
        "two notes of one transcript: {found:?}"
    );
}

/// The figure after "at most " in the run's last line.
fn peak_in_flight(stderr: &str) -> usize {
    let tail = stderr
        .rsplit_once("at most ")
        .unwrap_or_else(|| panic!("no in-flight figure: {stderr}"))
        .1;
    tail.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_folder_at_four_jobs_gives_a_valid_note_per_transcript() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let server = LlamaServer::start(dir.path(), None);
    let (home, config) = home_with("jobs = 4\n");
    let folder = transcripts(dir.path(), 3);
    let out = dir.path().join("notes");
    let args = [
        "summarize",
        folder.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--backend",
        &server.url(),
    ];
    let ran = run(recap(home.path(), &config, &[], &args));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    // llama-server names its model by the file; each of its 4 slots has 16384 / 4 tokens.
    assert!(
        ran.stderr.contains(&format!(
            "smollm2-135m-instruct.gguf at {} (context 4096 tokens, 4 requests at a time)",
            server.url()
        )),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("summarized 3, skipped 0, failed 0; at most "),
        "{}",
        ran.stderr
    );
    let peak = peak_in_flight(&ran.stderr);
    assert!((2..=3).contains(&peak), "peak {peak}: {}", ran.stderr);
    one_note_each(&out, 3);
    validate_all(home.path(), &config, &out);

    // Done is done: a second run asks the server nothing.
    let ran = run(recap(home.path(), &config, &[], &args));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("nothing to do: 3 skipped"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_server_killed_mid_run_and_restarted_loses_and_duplicates_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let mut server = LlamaServer::start(dir.path(), None);
    // No retries: the kill fails the requests in flight at once.
    let (home, config) = home_with("jobs = 2\nretries = 0\n");
    let folder = transcripts(dir.path(), 3);
    let out = dir.path().join("notes");
    let args = [
        "summarize",
        folder.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--backend",
        &server.url(),
    ];
    let mut first = Killed(
        recap(home.path(), &config, &[], &args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // A note takes the test model a minute or two here; a loaded machine, many more.
    let deadline = Instant::now() + Duration::from_secs(1200);
    while notes(&out).is_empty() {
        assert!(Instant::now() < deadline, "no note within 1,200 s");
        assert!(first.0.try_wait().unwrap().is_none(), "the run ended first");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.kill();
    let status = first.0.wait().unwrap();
    let mut stderr = String::new();
    first
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let written = notes(&out).len();
    assert!(
        written < 3,
        "every note was written before the kill: {stderr}"
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "summarized {written}, skipped 0, failed {}",
            3 - written
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: run the same command again"),
        "{stderr}"
    );
    // Whatever was written is whole; nothing half-written is left.
    validate_all(home.path(), &config, &out);
    let debris: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(debris.is_empty(), "{debris:?}");

    server.launch();
    let again = run(recap(home.path(), &config, &[], &args));
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(
        again.stderr.contains(&format!(
            "summarized {}, skipped {written}, failed 0",
            3 - written
        )),
        "{}",
        again.stderr
    );
    one_note_each(&out, 3);
    validate_all(home.path(), &config, &out);
}

#[test]
fn a_request_past_the_timeout_fails_its_file_and_writes_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let server = LlamaServer::start(dir.path(), None);
    // A second is far less than the test model takes to read a transcript here.
    let (home, config) = home_with("timeout_s = 1\n");
    let folder = transcripts(dir.path(), 1);
    let out = dir.path().join("notes");
    let started = Instant::now();
    let ran = run(recap(
        home.path(),
        &config,
        &[],
        &[
            "summarize",
            folder.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--backend",
            &server.url(),
        ],
    ));
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!(
            "no answer from {}/chat/completions within 1 s",
            server.url()
        )),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("hint: raise `timeout_s`"),
        "{}",
        ran.stderr
    );
    assert!(notes(&out).is_empty());
    // A timeout is not retried.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn the_api_key_comes_from_the_environment_and_never_shows() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    const KEY: &str = "sk-recap-test-4c1d9e";
    const WRONG: &str = "sk-recap-wrong-77ab02";
    let dir = tempfile::tempdir().unwrap();
    let server = LlamaServer::start(dir.path(), Some(KEY));
    let (home, config) = home_with(&format!(
        "url = \"{}\"\napi_key_env = \"RECAP_TEST_API_KEY\"\n",
        server.url()
    ));
    let folder = transcripts(dir.path(), 1);
    let out = dir.path().join("notes");
    let args = [
        "summarize",
        folder.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];

    // No key in the environment: refused before anything is sent.
    let ran = run(recap(home.path(), &config, &[], &args));
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("names $RECAP_TEST_API_KEY, which is not set"),
        "{}",
        ran.stderr
    );

    // The wrong key: the server's refusal, with a hint, and neither key shown.
    let ran = run(recap(
        home.path(),
        &config,
        &[("RECAP_TEST_API_KEY", WRONG)],
        &args,
    ));
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("refused the API key (401)"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("hint: check the key in $RECAP_TEST_API_KEY"),
        "{}",
        ran.stderr
    );
    for text in [&ran.stdout, &ran.stderr] {
        assert!(!text.contains(WRONG) && !text.contains(KEY), "{text}");
    }

    // The right key: a note, and the key in no output and no note.
    let ran = run(recap(
        home.path(),
        &config,
        &[("RECAP_TEST_API_KEY", KEY)],
        &args,
    ));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(notes(&out).len(), 1);
    for text in [&ran.stdout, &ran.stderr] {
        assert!(!text.contains(KEY), "{text}");
    }
    for (name, _) in notes(&out) {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(!text.contains(KEY));
    }

    // The same through `recap eval`, whose report records the model's answers.
    let dataset = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval/mini.jsonl");
    let report = dir.path().join("report.json");
    let mut eval = recap(
        home.path(),
        &config,
        &[("RECAP_TEST_API_KEY", KEY)],
        &[
            "eval",
            "--dataset",
            dataset.to_str().unwrap(),
            "--limit",
            "1",
            "--out",
            report.to_str().unwrap(),
        ],
    );
    // eval reads the sentence embedder from the user's cache.
    if let Some(real_home) = std::env::var_os("HOME") {
        eval.env("HOME", real_home);
    }
    let ran = run(eval);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(report.contains("\"KT0001a\""), "{report}");
    for text in [&ran.stdout, &ran.stderr, &report] {
        assert!(!text.contains(KEY), "{text}");
    }
}
