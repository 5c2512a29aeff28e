//! The checks of the fuzz targets (`fuzz/fuzz_targets/`), one function a target; also run
//! by `tests/fuzz_regressions.rs` over every input that once failed one of them.

use std::io::Cursor;
use std::path::Path;

use candle_core::quantized::gguf_file::Content;
use recap::config::{Config, ConfigFile};
use recap::llm::chat_template::{ChatTemplate, Message};
use recap::llm::tokenizer::Tokenizer;
use recap::llm::{GgufModel, LoadOptions, Vocabulary};
use recap::models::gguf_check::check_reader;
use recap::models::registry::Registry;
use recap::note::validate::{validate, Rules};
use recap::note::{Note, Severity};
use recap::pipeline::generator::{Chat, Generator, Progress, Usage};
use recap::pipeline::prompts::Prompts;
use recap::pipeline::quality::Thresholds;
use recap::pipeline::regenerate::carry_over;
use recap::pipeline::summarize::{summarize, Settings};
use recap::transcript::{self, Format};
use serde_json::{json, Value};

const NAMES: [&str; 6] = [
    "2025-11-07 - Sync.vtt",
    "meeting.srt",
    "otter export.txt",
    "whisper.json",
    "notes.md",
    "transcript",
];
const FORMATS: [Option<Format>; 7] = [
    None,
    Some(Format::Vtt),
    Some(Format::Srt),
    Some(Format::Otter),
    Some(Format::WhisperJson),
    Some(Format::Plain),
    Some(Format::Markdown),
];

/// Transcript detection and parsing in every format. The first byte picks the file name's
/// extension and whether the format is detected or forced; the rest is the file.
/// Property: reading never panics, and a transcript read has only non-empty turns.
pub fn transcript(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let path = Path::new(NAMES[usize::from(pick) % NAMES.len()]);
    let format = FORMATS[usize::from(pick / 8) % FORMATS.len()];
    if let Ok(t) = transcript::parse_bytes(bytes, path, format) {
        assert!(t.turns.iter().all(|turn| !turn.text.trim().is_empty()));
        let _ = t.participants();
        let _ = t.word_count();
    }
}

const FRESH: &str = include_str!("../fixtures/notes/valid.md");

/// Note parsing, validation and regenerate's carry-over of a person's edits.
/// Properties: nothing panics; a note that parses renders to text that parses again; the
/// carry-over of its edits onto a fresh note renders to a note that parses.
pub fn note(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = validate(&text, Path::new("fuzz.md"), &Rules::default());
    let Ok(old) = Note::parse(&text) else {
        return;
    };
    let rendered = old.render();
    Note::parse(&rendered).expect("a parsed note renders to a note that parses");
    let fresh = Note::parse(FRESH).expect("the fixture parses");
    let merged = carry_over(&old, fresh);
    Note::parse(&merged.render()).expect("a carried-over note parses");
}

/// GGUF header, metadata and tensor-table reading; the tokenizer, chat template and model
/// built from what a file says. Model files come from the network: whatever one claims (2^40
/// tensors, a 4 GB string, a tensor past the end), reading it must end in an error, with
/// memory bounded by the file's size. Returns the model's loading error, if any.
pub fn gguf(data: &[u8]) -> Option<String> {
    let path = Path::new("fuzz.gguf");
    let _ = check_reader(&mut Cursor::new(data), data.len() as u64, path);
    if let Ok(content) = Content::read(&mut Cursor::new(data)) {
        if let Ok(tokenizer) = Tokenizer::from_gguf(&content) {
            if let Ok(ids) = tokenizer.encode("Priya: I'll send the deck by Friday.", true) {
                let _ = tokenizer.decode(&ids);
            }
            let _ = Vocabulary::from_tokenizer(&tokenizer);
        }
        if let Ok(template) = ChatTemplate::from_gguf(&content) {
            let _ = template.render(&[Message::system("s"), Message::user("u")], true);
        }
    }
    GgufModel::from_reader(&mut Cursor::new(data), path, LoadOptions::default())
        .err()
        .map(|e| e.to_string())
}

/// The config file and `models.toml`: TOML people write by hand. Errors, never panics.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = |name: &str| (name == "HOME").then(|| "/home/fuzz".to_string());
    if let Ok(file) = ConfigFile::from_toml_with_env(
        text,
        Path::new("/home/fuzz/.config/recap/config.toml"),
        &env,
    ) {
        let _ = Config::resolve(file, Some(2));
    }
    if let Ok(mut registry) = Registry::from_toml(text, Path::new("models.toml")) {
        for entry in registry.entries() {
            let _ = entry.pinned_sha256();
        }
        registry.merge(Registry::builtin());
    }
}

/// Answers any schema from the fuzzer's lines and bytes.
struct Hostile<'a> {
    lines: Vec<&'a str>,
    bytes: &'a [u8],
    next: usize,
}

impl Hostile<'_> {
    fn pick(&mut self, n: usize) -> usize {
        self.next += 1;
        match self.bytes.get(self.next % self.bytes.len().max(1)) {
            Some(b) if n > 0 => usize::from(*b) % n,
            _ => 0,
        }
    }

    fn line(&mut self) -> String {
        self.next += 1;
        match self.lines.len() {
            0 => String::new(),
            n => self.lines[self.next % n].to_string(),
        }
    }

    fn answer(&mut self, schema: &Value) -> Value {
        if let Some(options) = schema["enum"].as_array() {
            return options[self.pick(options.len())].clone();
        }
        if let Some(options) = schema["anyOf"].as_array() {
            let chosen = &options[self.pick(options.len())];
            return self.answer(chosen);
        }
        match schema["type"].as_str() {
            Some("object") => {
                let mut object = serde_json::Map::new();
                if let Some(properties) = schema["properties"].as_object() {
                    for (name, property) in properties {
                        object.insert(name.clone(), self.answer(property));
                    }
                }
                Value::Object(object)
            }
            Some("array") => {
                let max = schema["maxItems"].as_u64().unwrap_or(4) as usize;
                let n = self.pick(max + 1);
                Value::Array((0..n).map(|_| self.answer(&schema["items"])).collect())
            }
            Some("integer") => {
                let min = schema["minimum"].as_u64().unwrap_or(0);
                let max = schema["maximum"].as_u64().unwrap_or(min + 8);
                json!(min + self.pick((max - min + 1) as usize) as u64)
            }
            Some("null") => Value::Null,
            Some("boolean") => json!(self.pick(2) == 1),
            _ => {
                let max = schema["maxLength"].as_u64().unwrap_or(200) as usize;
                json!(self.line().chars().take(max).collect::<String>())
            }
        }
    }
}

impl Generator for Hostile<'_> {
    fn count_tokens(&self, text: &str) -> usize {
        text.len().div_ceil(4)
    }

    fn context_length(&self) -> usize {
        8192
    }

    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        _progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)> {
        Ok((self.answer(chat.schema), Usage::default()))
    }
}

/// The prompts rendered with hostile variables and the note assembled from hostile answers.
/// The input is a transcript, a NUL byte, then lines the fake model answers with: every
/// string field of an answer is the next line, every enum choice the next byte. Properties:
/// the pipeline never panics, and a note it makes validates with no error, keeps its
/// frontmatter (date and participants from the transcript) and names only participants
/// as owners. Returns whether a note was made.
pub fn pipeline(data: &[u8]) -> bool {
    let Some(split) = data.iter().position(|&b| b == 0) else {
        return false;
    };
    let (transcript, answers) = (&data[..split], &data[split + 1..]);
    let Ok(answers_text) = std::str::from_utf8(answers) else {
        return false;
    };
    let path = Path::new("2025-11-07 - Fuzz.txt");
    let Ok(transcript) = transcript::parse_bytes(transcript, path, Some(Format::Plain)) else {
        return false;
    };
    let participants = transcript.participants();
    // The file name's date, unless the transcript's header says another.
    let date = transcript.metadata.date.map(|d| d.to_string());
    let prompts = Prompts::load(None).expect("the built-in prompts load");
    let settings = Settings {
        me: participants.first().cloned(),
        thresholds: Thresholds { min_words: 1 },
        ..Settings::default()
    };
    let mut model = Hostile {
        lines: answers_text.lines().collect(),
        bytes: answers,
        next: 0,
    };
    let Ok(summary) = summarize(
        &transcript,
        "/vault/Transcripts/2025-11-07 - Fuzz.txt",
        &settings,
        &prompts,
        &mut model,
        &mut |_, _| {},
    ) else {
        return false;
    };
    let note = summary.note;
    let text = note.render();
    let errors: Vec<_> = validate(&text, path, &Rules::default())
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    assert_eq!(Some(&note.frontmatter.date), date.as_ref());
    assert_eq!(note.frontmatter.participants, participants);
    for item in &note.action_items {
        assert!(
            item.owner == "Myself" || item.owner == "TBD" || participants.contains(&item.owner),
            "owner {:?} is not a participant",
            item.owner
        );
    }
    true
}
