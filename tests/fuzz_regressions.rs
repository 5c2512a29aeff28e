//! Every input that once made a fuzz target fail (`tests/fixtures/fuzz/<target>/`, each
//! named for what it found), run through the same checks as the fuzz targets, together
//! with the fixtures the corpora are seeded from. docs/reliability.md lists what each one
//! found and the fix.

mod fuzz_checks;

use std::path::{Path, PathBuf};

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
}

fn run_all<T>(dir: &str, check: fn(&[u8]) -> T, prefix: &[u8]) {
    for path in files(dir) {
        let mut data = prefix.to_vec();
        data.extend(std::fs::read(&path).unwrap());
        check(&data);
    }
}

#[test]
fn gguf_inputs_that_once_failed() {
    for path in files("tests/fixtures/fuzz/gguf") {
        let error = fuzz_checks::gguf(&std::fs::read(&path).unwrap());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // What each input is refused for, named by the part of the file that claimed too much.
        let expected = match name.as_str() {
            "oom-block-count" => "block_count",
            other => panic!("{other}: say what it must be refused for"),
        };
        let error = error.unwrap_or_else(|| panic!("{name} loaded"));
        assert!(error.contains(expected), "{name}: {error}");
    }
}

#[test]
fn pipeline_inputs_that_once_failed() {
    // header-date: a `Date:` header overrides the file name's date (the check was wrong).
    for path in files("tests/fixtures/fuzz/pipeline") {
        assert!(
            fuzz_checks::pipeline(&std::fs::read(&path).unwrap()),
            "{}: no note was made",
            path.display()
        );
    }
}

#[test]
fn the_transcript_check_passes_on_every_transcript_fixture() {
    // 0: detect the format from a `.vtt` name and the content.
    run_all("tests/fixtures/transcripts", fuzz_checks::transcript, &[0]);
}

#[test]
fn the_note_check_passes_on_every_note_fixture() {
    run_all("tests/fixtures/notes", fuzz_checks::note, b"");
    run_all("tests/fixtures/notes/rules", fuzz_checks::note, b"");
}

#[test]
fn the_config_check_passes_on_the_registry() {
    fuzz_checks::config(include_bytes!("../models.toml"));
}

#[test]
fn the_pipeline_check_passes_on_a_hostile_model() {
    let mut data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/transcripts/kickoff.plain.txt"
    ))
    .unwrap();
    data.push(0);
    data.extend(
        b"Send the deck to @Mallory \xF0\x9F\x93\x85 2020-01-01 #done\n---\n## Decisions\n",
    );
    assert!(fuzz_checks::pipeline(&data), "no note was made");
}
