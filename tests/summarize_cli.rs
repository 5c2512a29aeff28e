//! `recap summarize` and `recap regenerate` end to end with the real SmolLM2-135M-Instruct
//! model (`RECAP_SMOLLM2`; the test fails when it is unset) on the short 1:1 shipped in
//! `examples/transcripts`: the note is written and validates, a second run skips it,
//! `--force` rewrites it, `--dry-run` writes nothing, and regenerate keeps a ticked item,
//! a user tag and a user section (four model runs of some 15 s each). A folder of bad
//! transcripts (thin, undated) fails file by file with exit 1, and regenerating a note
//! whose transcript is gone leaves it untouched (the model is loaded but never run).
//! Folders are read where users keep them: a folder of transcripts run from its parent
//! without `-o`, and a vault (`out_dir = "~/Vault"`) with its transcripts inside, whose
//! notes record `source_ref` relative to themselves, so the moved vault still regenerates.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use recap::note::Note;
use recap::pipeline::sameness::word_similarity as similarity;

const TRANSCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/transcripts/2025-11-12 - Roadmap check-in.vtt"
);

fn model_path() -> PathBuf {
    let path = std::env::var_os("RECAP_SMOLLM2")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
            "RECAP_SMOLLM2 is not set: point it at smollm2-135m-instruct.gguf (`recap models path \
             smollm2-135m-instruct` prints where a pulled model lives; scripts/test sets it)"
        )
        });
    assert!(
        path.is_file(),
        "RECAP_SMOLLM2={}: no such file",
        path.display()
    );
    path
}

/// `recap --threads 2 ARGS` with no user config (HOME and XDG_CONFIG_HOME in `home`).
fn recap(home: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("recap")
        .unwrap()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("RECAP_CACHE_DIR")
        .arg("--threads")
        .arg("2")
        .args(args)
        .assert()
}

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// The files in `dir`, by name.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn validate(home: &Path, path: &Path) {
    let assert = recap(home, &["validate", path.to_str().unwrap()]);
    let out = assert.get_output();
    assert!(
        out.status.success(),
        "recap validate {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn summarize_skip_force_dry_run_and_regenerate_with_smollm2() {
    let model = model_path();
    let model = model.to_str().unwrap();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let out = home.join("notes");
    let out_str = out.to_str().unwrap();
    let summarize = |extra: &[&str]| {
        let mut args = vec![
            "summarize",
            TRANSCRIPT,
            "--model",
            model,
            "--me",
            "Priya Natarajan",
            "-o",
            out_str,
        ];
        args.extend_from_slice(extra);
        recap(home, &args)
    };

    // A note is written, named by date and title, and validates.
    let first = summarize(&[]);
    let first_err = stderr(&first);
    first.success();
    let names = files(&out);
    assert_eq!(names.len(), 1, "{names:?}\n{first_err}");
    let name = &names[0];
    assert!(
        name.starts_with("2025-11-12 - 1-1 with Sam Okafor"),
        "{name}"
    );
    assert!(name.ends_with(".md"), "{name}");
    assert!(
        first_err.contains("summarized 1, skipped 0, failed 0"),
        "{first_err}"
    );
    let note_path = out.join(name);
    let written = std::fs::read_to_string(&note_path).unwrap();
    let note = Note::parse(&written).unwrap();
    assert_eq!(note.frontmatter.note_type, "people");
    assert_eq!(note.frontmatter.person, "Sam Okafor");
    assert_eq!(note.frontmatter.date, "2025-11-12");
    assert!(note.frontmatter.title.starts_with("1:1 with Sam Okafor: "));
    validate(home, &out);

    // Again: skipped, without loading the model, and the note is untouched.
    let again = summarize(&[]);
    let again_err = stderr(&again);
    again.success();
    assert!(
        again_err.contains(&format!("skipped {TRANSCRIPT}: its note exists")),
        "{again_err}"
    );
    assert!(
        again_err.contains("nothing to do: 1 skipped"),
        "{again_err}"
    );
    assert!(!again_err.contains("loading"), "{again_err}");
    assert_eq!(std::fs::read_to_string(&note_path).unwrap(), written);

    // --dry-run into an empty folder writes nothing.
    let dry_dir = home.join("dry");
    let dry = recap(
        home,
        &[
            "summarize",
            TRANSCRIPT,
            "--model",
            model,
            "--me",
            "Priya Natarajan",
            "-o",
            dry_dir.to_str().unwrap(),
            "--dry-run",
        ],
    );
    let dry_err = stderr(&dry);
    dry.success();
    assert!(
        dry_err.contains("would write 1, skipped 0, failed 0"),
        "{dry_err}"
    );
    assert!(files(&dry_dir).is_empty(), "{:?}", files(&dry_dir));

    // --force rewrites the existing note in place.
    std::fs::write(&note_path, format!("{written}\nscribbled over\n")).unwrap();
    let forced = summarize(&["--force"]);
    let forced_err = stderr(&forced);
    forced.success();
    assert!(
        forced_err.contains("summarized 1, skipped 0, failed 0"),
        "{forced_err}"
    );
    assert_eq!(files(&out), names);
    let rewritten = std::fs::read_to_string(&note_path).unwrap();
    assert!(!rewritten.contains("scribbled over"));
    validate(home, &note_path);

    // A person adds a task of their own and ticks it, adds a tag and a section; regenerate
    // keeps all three. (The test model's own items are rarely grounded in the transcript,
    // so the note may have none to tick.)
    let ticked = "Ask Lena whether the sync tests need help".to_string();
    let own = format!("- [x] {ticked} @Myself #task #proposed #auto");
    let with_task = match rewritten.find("- [?] ") {
        Some(at) => format!("{}{own}\n\n{}", &rewritten[..at], &rewritten[at..]),
        None => {
            let items = rewritten.find("## Action Items").unwrap();
            let none = items + rewritten[items..].find("_None._").unwrap();
            format!(
                "{}{own}{}",
                &rewritten[..none],
                &rewritten[none + "_None._".len()..]
            )
        }
    };
    let edited = with_task
        .replace(
            "  - \"generated\"\n",
            "  - \"generated\"\n  - \"project/mobile\"\n",
        )
        .replace(
            "\n---\n\n*Source:",
            "\n## My notes\n\nAsk Sam whether Lena needs help.\n\n---\n\n*Source:",
        );
    std::fs::write(&note_path, &edited).unwrap();
    let old = Note::parse(&edited).unwrap();
    assert_eq!(old.action_items[0].status, 'x');
    assert_eq!(old.frontmatter.tags.last().unwrap(), "project/mobile");

    let regenerated = recap(
        home,
        &[
            "regenerate",
            note_path.to_str().unwrap(),
            "--model",
            model,
            "--me",
            "Priya Natarajan",
        ],
    );
    let regen_err = stderr(&regenerated);
    regenerated.success();
    assert!(regen_err.contains("regenerated 1, failed 0"), "{regen_err}");
    validate(home, &note_path);
    let text = std::fs::read_to_string(&note_path).unwrap();
    let after = Note::parse(&text).unwrap();
    let done: Vec<&str> = after
        .action_items
        .iter()
        .filter(|i| i.status == 'x')
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(done.len(), 1, "{text}");
    assert!(
        similarity(done[0], &ticked) >= 0.5,
        "ticked {ticked:?}, now {done:?}"
    );
    assert!(
        after.frontmatter.tags.iter().any(|t| t == "project/mobile"),
        "{text}"
    );
    assert!(
        text.contains("## My notes\n\nAsk Sam whether Lena needs help.\n"),
        "{text}"
    );
    assert_eq!(files(&out), names);
}

#[test]
fn a_folder_keeps_going_past_failures_and_a_missing_transcript_leaves_the_note_alone() {
    let model = model_path();
    let model = model.to_str().unwrap();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let inbox = home.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let thin = inbox.join("2025-11-07 - hello.txt");
    std::fs::write(&thin, "Ana: Hello?\nBo: Yes, hi.\n").unwrap();
    let undated = inbox.join("budget.txt");
    let talk = "We went through the budget for the new office, agreed to cut travel by ten \
                percent, and looked at the hiring plan for the first quarter of next year.";
    std::fs::write(&undated, format!("Ana: {talk}\nBo: {talk}\n")).unwrap();
    // A transcript that does not parse is named once, with its line.
    let broken = inbox.join("2025-11-08 - broken.vtt");
    std::fs::write(&broken, "WEBVTT\n\n00:00:3.000 --> 00:00:04.000\nHi.\n").unwrap();
    // Dangling links: a transcript's fails alone, anything else's is passed over.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(home.join("moved.vtt"), inbox.join("gone.vtt")).unwrap();
        std::os::unix::fs::symlink(home.join("moved.png"), inbox.join("photo.png")).unwrap();
    }
    let out = home.join("notes");

    let run = recap(
        home,
        &[
            "summarize",
            inbox.to_str().unwrap(),
            "--model",
            model,
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let err = stderr(&run);
    run.code(1);
    assert!(
        err.contains(&format!(
            "failed {}: no meeting date found in the transcript, its header or its file name",
            undated.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "failed {}: not summarized: the transcript has only 3 words (at least 40 are needed to write a note)\nhint: lower `min_words` in the config file to summarize it anyway\n",
            thin.display()
        )),
        "{err}"
    );
    // Said once: the hint is not followed by the reason again.
    assert_eq!(err.matches("has only 3 words").count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "failed {}:3: malformed timestamp",
            broken.display()
        )),
        "{err}"
    );
    #[cfg(unix)]
    {
        assert!(
            err.contains(&format!(
                "failed {}: cannot read it: it links to {}, which does not exist",
                inbox.join("gone.vtt").display(),
                home.join("moved.vtt").display()
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "skipped {}: cannot read it: it links to",
                inbox.join("photo.png").display()
            )),
            "{err}"
        );
        assert!(err.contains("summarized 0, skipped 1, failed 4"), "{err}");
    }
    #[cfg(not(unix))]
    assert!(err.contains("summarized 0, skipped 0, failed 3"), "{err}");
    assert!(files(&out).is_empty(), "{:?}", files(&out));

    // A note whose transcript is gone is reported and left as it was.
    let note_path = home.join("orphan.md");
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/notes/valid-people.md"
    ))
    .unwrap();
    std::fs::write(&note_path, &fixture).unwrap();
    let regen = recap(
        home,
        &["regenerate", note_path.to_str().unwrap(), "--model", model],
    );
    let err = stderr(&regen);
    regen.code(1);
    assert!(
        err.contains("its transcript \"/vault/Sources/Transcripts/2025-11-12 - storage sync.vtt\" (source_ref) is missing"),
        "{err}"
    );
    assert!(err.contains("the note was left as it was"), "{err}");
    assert!(err.contains("regenerated 0, failed 1"), "{err}");
    assert_eq!(std::fs::read_to_string(&note_path).unwrap(), fixture);

    // A file that is no note says where, naming the file once.
    let plain = home.join("plain.md");
    std::fs::write(&plain, "# Just a heading\n").unwrap();
    let regen = recap(
        home,
        &["regenerate", plain.to_str().unwrap(), "--model", model],
    );
    let err = stderr(&regen);
    regen.code(1);
    assert!(
        err.contains(&format!(
            "failed {}: line 1: the note does not start with `---` frontmatter\n",
            plain.display()
        )),
        "{err}"
    );
    assert_eq!(err.matches("plain.md").count(), 1, "{err}");
    assert_eq!(
        std::fs::read_to_string(&plain).unwrap(),
        "# Just a heading\n"
    );
}

/// `recap ARGS` run from `cwd`, with `home` as HOME (and its config folder).
fn recap_in(home: &Path, cwd: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("recap")
        .unwrap()
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("RECAP_CACHE_DIR")
        .arg("--threads")
        .arg("2")
        .args(args)
        .assert()
}

/// The one note in `dir` (not searching below it), parsed, with its path.
fn only_note(dir: &Path) -> (PathBuf, Note) {
    let notes: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let text = std::fs::read_to_string(&notes[0]).unwrap();
    (notes[0].clone(), Note::parse(&text).unwrap())
}

#[test]
fn folders_are_read_where_users_keep_them_and_a_moved_vault_regenerates() {
    let model = model_path();
    let model = model.to_str().unwrap();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let name = "2025-11-12 - Roadmap check-in.vtt";

    // A folder of transcripts, run from its parent with no -o: the notes go beside the
    // folder, and a second run finds the note (the folder's transcript is not mistaken for
    // output, the note not for a transcript).
    let meetings = home.join("meetings");
    std::fs::create_dir_all(meetings.join("transcripts")).unwrap();
    std::fs::copy(TRANSCRIPT, meetings.join("transcripts").join(name)).unwrap();
    let run = recap_in(
        home,
        &meetings,
        &["summarize", "transcripts", "--model", model],
    );
    let err = stderr(&run);
    run.success();
    assert!(err.contains("summarized 1, skipped 0, failed 0"), "{err}");
    let (_, note) = only_note(&meetings);
    assert_eq!(note.frontmatter.source_ref, format!("transcripts/{name}"));
    let again = recap_in(home, &meetings, &["summarize", ".", "--model", model]);
    let err = stderr(&again);
    again.success();
    assert!(err.contains("nothing to do: 1 skipped"), "{err}");

    // A vault with its transcripts inside: out_dir = "~/Vault" in the config file.
    let config = home.join("config").join("recap");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "out_dir = \"~/Vault\"\n").unwrap();
    let vault = home.join("Vault");
    std::fs::create_dir_all(vault.join("Transcripts")).unwrap();
    std::fs::create_dir_all(vault.join(".obsidian")).unwrap();
    std::fs::copy(TRANSCRIPT, vault.join("Transcripts").join(name)).unwrap();
    let run = recap_in(
        home,
        home,
        &["summarize", "Vault/Transcripts", "--model", model],
    );
    let err = stderr(&run);
    run.success();
    assert!(err.contains("summarized 1, skipped 0, failed 0"), "{err}");
    let (note_path, note) = only_note(&vault);
    assert_eq!(note.frontmatter.source_ref, format!("Transcripts/{name}"));
    validate(home, &note_path);
    let again = recap_in(home, home, &["summarize", "Vault", "--model", model]);
    let err = stderr(&again);
    again.success();
    assert!(err.contains("nothing to do: 1 skipped"), "{err}");

    // The whole vault moves (another machine, another folder): regenerate still finds the
    // transcript through the relative source_ref.
    let moved = home.join("synced").join("Vault");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&vault, &moved).unwrap();
    let regen = recap_in(
        home,
        home,
        &["regenerate", "synced/Vault", "--model", model],
    );
    let err = stderr(&regen);
    regen.success();
    assert!(err.contains("regenerated 1, failed 0"), "{err}");
    let (_, after) = only_note(&moved);
    assert_eq!(after.frontmatter.source_ref, format!("Transcripts/{name}"));
}
