//! `recap validate` as a person runs it: output, the count line, JSON, exit statuses,
//! and files that are not notes at all.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const REFERENCE: &str = "tests/fixtures/notes/reference.md";

/// `recap` run from the crate root with an empty config folder.
fn recap(config_home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("recap").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("XDG_CONFIG_HOME", config_home)
        .env_remove("HOME");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    run_in(home.path(), args)
}

fn run_in(home: &Path, args: &[&str]) -> Run {
    let out = recap(home).args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn a_valid_note_passes_quietly() {
    let r = run(&["validate", "tests/fixtures/notes/valid.md"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "checked 1 note: 0 errors, 0 warnings\n");
}

#[test]
fn the_reference_passes_with_one_warning_and_fails_with_strict() {
    let expected = format!(
        "{REFERENCE}:5:9: warning[person-empty]: this `people` note has an empty `person` and a bare `person/` tag\n  hint: set `person` to the other person's name and tag the note `person/<slug>`, e.g. `person/jeff-denworth`\nchecked 1 note: 0 errors, 1 warning\n"
    );
    let r = run(&["validate", REFERENCE]);
    assert_eq!((r.code, r.stderr.as_str()), (0, expected.as_str()));
    let r = run(&["validate", "--strict", REFERENCE]);
    assert_eq!((r.code, r.stderr.as_str()), (1, expected.as_str()));
}

#[test]
fn a_folder_is_checked_recursively_in_path_order() {
    let r = run(&["validate", "tests/fixtures/notes"]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| !l.starts_with("  hint:"))
        .collect();
    assert_eq!(
        lines.first().copied(),
        Some("tests/fixtures/notes/reference.md:5:9: warning[person-empty]: this `people` note has an empty `person` and a bare `person/` tag")
    );
    assert_eq!(
        lines.get(1).copied(),
        Some("tests/fixtures/notes/rules/date-invalid-shape.md:4:7: error[date-invalid]: `date` is \"Nov 12, 2025\", not a date in the form YYYY-MM-DD")
    );
    let paths: Vec<&str> = lines[..lines.len() - 1]
        .iter()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(
        lines.last().copied(),
        Some("checked 49 notes: 46 errors, 2 warnings")
    );
}

#[test]
fn json_output_is_one_document_on_stdout() {
    let r = run(&[
        "validate",
        "--format",
        "json",
        REFERENCE,
        "tests/fixtures/notes/rules/key-order.md",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["summary"],
        serde_json::json!({"files": 2, "errors": 1, "warnings": 1})
    );
    let d = &doc["diagnostics"];
    assert_eq!(d.as_array().unwrap().len(), 2);
    assert_eq!(d[0]["path"], REFERENCE);
    assert_eq!(d[0]["rule"], "person-empty");
    assert_eq!(d[0]["severity"], "warning");
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["column"].as_u64()),
        (Some(5), Some(9))
    );
    assert_eq!(d[1]["rule"], "key-order");
    assert_eq!(d[1]["message"], "`title` comes after `date`");
    assert_eq!(
        d[1]["hint"],
        "order the keys: type, title, date, person, participants, source, source_ref, tags"
    );
}

#[test]
fn usage_errors_exit_2() {
    let r = run(&["validate"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("required arguments were not provided"),
        "{}",
        r.stderr
    );
    let r = run(&["validate", "--format", "yaml", REFERENCE]);
    assert_eq!(r.code, 2);
}

#[test]
fn configured_note_types_come_from_the_config_file() {
    let home = tempfile::tempdir().unwrap();
    let fixture = "tests/fixtures/notes/rules/type-unknown.md";
    assert_eq!(run_in(home.path(), &["validate", fixture]).code, 1);
    std::fs::create_dir_all(home.path().join("recap")).unwrap();
    std::fs::write(
        home.path().join("recap/config.toml"),
        "note_types = [\"standup\"]\n",
    )
    .unwrap();
    let r = run_in(home.path(), &["validate", fixture]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (0, "checked 1 note: 0 errors, 0 warnings\n")
    );
}

#[test]
fn files_that_are_not_notes_get_a_diagnostic_and_the_rest_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let valid =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notes/valid.md"))
            .unwrap();
    std::fs::write(d.join("a-valid.md"), &valid).unwrap();
    std::fs::write(d.join("binary.md"), b"---\ntype: \"x\0\"\n").unwrap();
    std::fs::write(d.join("latin1.md"), b"---\ntitle: \"caf\xe9\"\n").unwrap();
    let big = std::fs::File::create(d.join("huge.md")).unwrap();
    big.set_len(10 * 1024 * 1024 + 1).unwrap();
    std::os::unix::fs::symlink("loop.md", d.join("loop.md")).unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", d.join("sub/up")).unwrap();
    std::fs::create_dir(d.join(".trash")).unwrap();
    std::fs::write(d.join(".trash/deleted.md"), "not a note").unwrap();
    std::fs::write(d.join("notes.txt"), "not a note").unwrap();

    let r = run(&["validate", d.to_str().unwrap()]);
    let p = d.display();
    assert_eq!(
        r.stderr,
        format!(
            "{p}/binary.md:2:9: error[file-binary]: the file is binary (it has a NUL byte), not a note\n\
             {p}/huge.md: error[file-too-large]: the file is larger than 10 MiB; not read\n  hint: a note is a few kilobytes: is this the right file?\n\
             {p}/latin1.md:2:12: error[file-encoding]: the file is not valid UTF-8 (byte 0xe9)\n  hint: save the note as UTF-8\n\
             {p}/loop.md: error[symlink-loop]: symbolic links loop\n  hint: fix or remove the link\n\
             {p}/sub/up: error[symlink-loop]: symbolic link loops back to {p}; not followed\n  hint: fix or remove the link\n\
             checked 4 notes: 5 errors, 0 warnings\n"
        )
    );
    // A loop is an I/O error: status 2, after every other file was checked.
    assert_eq!(r.code, 2);

    let r = run(&[
        "validate",
        d.join("a-valid.md").to_str().unwrap(),
        d.join("binary.md").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    let r = run(&[
        "validate",
        "tests/fixtures/notes/valid.md",
        "no/such/note.md",
    ]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "no/such/note.md: error[io-error]: no such file or folder\nchecked 1 note: 1 error, 0 warnings\n")
    );
}
