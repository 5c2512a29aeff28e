//! Inputs that claim more than they hold, or nest without end: a GGUF header announcing
//! 2^40 tensors or a 4 GB string, a tensor whose shape overflows, frontmatter, JSON and
//! TOML nested a hundred thousand deep, and templates that loop for ever. Each must end in
//! a clear error, quickly and without allocating what it claims (the test process would
//! abort otherwise).

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use recap::llm::chat_template::{ChatTemplate, Message};
use recap::models::gguf_check::{self, GgufError};
use recap::note::validate::{validate, Rules};
use recap::note::{Note, Severity};
use recap::pipeline::prompts::Prompts;
use recap::transcript::{self, Format, TranscriptError};

/// A GGUF v3 header: magic, version, tensor count, metadata count.
fn header(tensors: u64, metadata: u64) -> Vec<u8> {
    let mut bytes = b"GGUF".to_vec();
    bytes.extend(3u32.to_le_bytes());
    bytes.extend(tensors.to_le_bytes());
    bytes.extend(metadata.to_le_bytes());
    bytes
}

fn gguf_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file
}

fn malformed(bytes: &[u8]) -> String {
    let file = gguf_file(bytes);
    let started = Instant::now();
    let err = gguf_check::check(file.path()).expect_err("the file is refused");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.to_string().contains(&file.path().display().to_string()),
        "{err}"
    );
    err.to_string()
}

#[test]
fn a_gguf_header_claiming_2_to_the_40_tensors_is_refused() {
    let message = malformed(&header(1 << 40, 0));
    assert!(message.contains("tensor_count"), "{message}");
}

#[test]
fn a_gguf_string_claiming_4_gb_is_refused() {
    let mut bytes = header(0, 1);
    // Key length 4 GiB, then nothing.
    bytes.extend((4u64 << 30).to_le_bytes());
    bytes.extend(b"general.architecture");
    let message = malformed(&bytes);
    assert!(message.contains("string length"), "{message}");
}

#[test]
fn a_tensor_whose_shape_overflows_is_out_of_bounds() {
    let mut bytes = header(1, 0);
    let name = b"token_embd.weight";
    bytes.extend((name.len() as u64).to_le_bytes());
    bytes.extend(name);
    bytes.extend(4u32.to_le_bytes()); // dimensions
    for _ in 0..4 {
        bytes.extend((1u64 << 20).to_le_bytes()); // 2^80 elements in all
    }
    bytes.extend(0u32.to_le_bytes()); // F32
    bytes.extend(0u64.to_le_bytes()); // offset
    bytes.resize(bytes.len().next_multiple_of(32) + 64, 0);
    let file = gguf_file(&bytes);
    match gguf_check::check(file.path()) {
        Err(GgufError::TensorOutOfBounds { tensor, .. }) => assert_eq!(tensor, "token_embd.weight"),
        other => panic!("expected an out-of-bounds tensor, got {other:?}"),
    }
}

const DEPTH: usize = 100_000;

#[test]
fn frontmatter_nested_a_million_deep_is_an_error_at_the_bracket_past_the_limit() {
    let depth = 1_000_000;
    let text = format!(
        "---\ntype: \"meeting\"\ntags: {}{}\n---\n# Title\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let started = Instant::now();
    let diagnostics = validate(&text, Path::new("deep.md"), &Rules::default());
    let deep = diagnostics
        .iter()
        .find(|d| d.message.contains("nest deeper than"))
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(deep.severity, Severity::Error);
    assert_eq!((deep.line, deep.column), (Some(3), Some(7 + 64)));
    assert!(Note::parse(&text).is_err());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_whisper_json_nested_a_hundred_thousand_deep_is_a_syntax_error() {
    let text = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let err = transcript::parse_bytes(
        text.as_bytes(),
        Path::new("deep.json"),
        Some(Format::WhisperJson),
    )
    .expect_err("refused");
    assert!(matches!(err, TranscriptError::Syntax { .. }), "{err}");
}

#[test]
fn a_markdown_transcript_with_deep_frontmatter_is_a_syntax_error() {
    let text = format!(
        "---\ntitle: {}1{}\n---\nPriya: We ship on Friday.\n",
        "{a: ".repeat(DEPTH),
        "}".repeat(DEPTH)
    );
    let started = Instant::now();
    let err =
        transcript::parse_bytes(text.as_bytes(), Path::new("deep.md"), None).expect_err("refused");
    assert!(err.to_string().contains("nest deeper than"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_config_nested_a_hundred_thousand_deep_is_an_error() {
    let text = format!("me = {}{}\n", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let err =
        recap::config::ConfigFile::from_toml(&text, Path::new("config.toml")).expect_err("refused");
    assert!(err.to_string().contains("config.toml"), "{err}");
}

#[test]
fn a_chat_template_that_never_ends_runs_out_of_fuel() {
    let source =
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}";
    let template = ChatTemplate::new(source, "", "").unwrap();
    let started = Instant::now();
    let err = template
        .render(&[Message::user("hello")], true)
        .expect_err("stopped");
    assert!(err.to_string().contains("fuel"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_prompt_override_that_never_ends_runs_out_of_fuel() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("system.j2"),
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
    )
    .unwrap();
    let prompts = Prompts::load(Some(dir.path())).unwrap();
    let err = prompts
        .render("system", serde_json::json!({}))
        .expect_err("stopped");
    assert!(err.to_string().contains("fuel"), "{err}");
}
