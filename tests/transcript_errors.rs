//! Bad input gets an error naming the file and the line (or byte offset, or JSON item),
//! saying what was expected. The exact texts are pinned here.

use std::path::PathBuf;

use recap::transcript::{read_path, TranscriptError, MAX_FILE_BYTES};

fn bad(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/transcripts/bad"
    ))
    .join(name)
}

/// The error reading `name`, with the fixture folder shortened to `bad/`.
fn error(name: &str) -> String {
    let path = bad(name);
    let err = read_path(&path, None).expect_err(name);
    let dir = path.parent().unwrap().display().to_string();
    err.to_string().replace(&dir, "bad")
}

#[test]
fn empty_and_blank_files() {
    assert_eq!(
        error("empty.txt"),
        "bad/empty.txt: the file is empty; expected a transcript"
    );
    assert_eq!(
        error("blank.txt"),
        "bad/blank.txt: the file is empty; expected a transcript"
    );
}

#[test]
fn binary_file() {
    assert_eq!(
        error("binary.vtt"),
        "bad/binary.vtt: byte 8: binary data (a NUL byte); expected a text transcript\n\
         hint: transcripts are read as UTF-8, or as UTF-16 when the file starts with a byte-order mark"
    );
}

#[test]
fn invalid_utf8() {
    assert_eq!(
        error("latin1.txt"),
        "bad/latin1.txt:2: invalid UTF-8 at byte 19; expected UTF-8 text\n\
         hint: save the transcript as UTF-8 (or UTF-16 with a byte-order mark)"
    );
}

#[test]
fn malformed_timestamps() {
    assert_eq!(
        error("bad-timestamp.vtt"),
        "bad/bad-timestamp.vtt:8: malformed timestamp \"00:00:3.000\"; expected a time like 00:01:02.500 (hh:mm:ss.ttt or mm:ss.ttt)"
    );
    assert_eq!(
        error("bad-timestamp.srt"),
        "bad/bad-timestamp.srt:6: malformed timestamp \"00:61:00,000\"; expected a time like 00:01:02,500 (hh:mm:ss,mmm)"
    );
    assert_eq!(
        error("bad-stamp.txt"),
        "bad/bad-stamp.txt:2: malformed timestamp \"00:75\"; expected a time like [00:01:02] or (01:02)"
    );
}

#[test]
fn a_cue_without_a_timing_line() {
    assert_eq!(
        error("missing-timing.vtt"),
        "bad/missing-timing.vtt:7: expected a cue, found \"Hello again without a timing line.\"; \
         expected a timing line like `00:00:01.000 --> 00:00:04.000`, after an optional cue identifier"
    );
}

#[test]
fn no_speech() {
    assert_eq!(
        error("no-speech.vtt"),
        "bad/no-speech.vtt: no speech found; expected at least one cue with text in this vtt transcript"
    );
}

#[test]
fn bad_frontmatter() {
    assert_eq!(
        error("bad-date.md"),
        "bad/bad-date.md:3: malformed date: \"2025-02-30\" is not a real day of the calendar; expected a date like 2025-11-07"
    );
    assert_eq!(
        error("unclosed.md"),
        "bad/unclosed.md:1: the YAML frontmatter is not closed; expected a `---` line after the frontmatter"
    );
}

#[test]
fn bad_json() {
    assert_eq!(
        error("not-json.json"),
        "bad/not-json.json:3: invalid JSON: trailing comma; expected Whisper JSON such as {\"segments\": [{\"start\": 0.0, \"end\": 2.5, \"text\": \"…\"}]}"
    );
    assert_eq!(
        error("segment-text.json"),
        "bad/segment-text.json: segments[1]: `text` is missing or not a string; expected a string `text`"
    );
}

#[test]
fn missing_file() {
    assert_eq!(
        error("nope.vtt"),
        "cannot read bad/nope.vtt: No such file or directory (os error 2)"
    );
}

#[test]
fn a_file_over_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.vtt");
    // A sparse file: its size is over the limit, but it takes no disk space.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    let err = read_path(&path, None).unwrap_err();
    assert!(matches!(err, TranscriptError::TooLarge { size, .. } if size == MAX_FILE_BYTES + 1));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: the file is 268435457 bytes, above the limit of 268435456 bytes; expected a transcript under 256 MiB\n\
             hint: split the transcript into smaller files",
            path.display()
        )
    );
}
