//! The evaluation set: meetings with human references, one JSON object a line (JSONL), in
//! the shape of the development set's `ami-dev.jsonl` (described in docs/eval.md;
//! `tests/fixtures/eval/mini.jsonl` is a small set of the same shape).
//!
//! Terms: a *meeting* is one line: its `id`, its *transcript* (a list of *utterances*:
//! speaker label, start and end in seconds, text, and the speaker's role), the map from
//! speaker label to role, and its *references*: the human `abstract` and the lists of
//! `actions`, `decisions` and `problems` (an empty list means the annotators found none).
//! Fields this module does not use (`source`, `license`, ...) are accepted and ignored, so a
//! dataset may carry more than it needs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One turn of the transcript.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Utterance {
    pub speaker: String,
    pub start: f64,
    pub end: f64,
    pub text: String,
    #[serde(default)]
    pub role: Option<String>,
}

/// The human-written references a meeting is scored against.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct References {
    /// One paragraph: what the summary is compared with.
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    #[serde(default)]
    pub abstract_sentences: Vec<String>,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub decisions: Vec<String>,
    #[serde(default)]
    pub problems: Vec<String>,
}

/// One meeting of the evaluation set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub transcript: Vec<Utterance>,
    #[serde(default)]
    pub speaker_roles: BTreeMap<String, String>,
    pub references: References,
    #[serde(default)]
    pub n_words: Option<usize>,
    #[serde(default)]
    pub duration_s: Option<f64>,
}

impl Meeting {
    /// Speaker labels in order of first appearance.
    pub fn speakers(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for u in &self.transcript {
            if !seen.contains(&u.speaker.as_str()) {
                seen.push(&u.speaker);
            }
        }
        seen
    }

    /// Words in the transcript (whitespace-separated), counted from the text.
    pub fn word_count(&self) -> usize {
        self.transcript
            .iter()
            .map(|u| u.text.split_whitespace().count())
            .sum()
    }

    /// The transcript as plain speaker-labelled text, one `Speaker: text` line a turn:
    /// the form recap reads as a plain transcript.
    pub fn speaker_labelled_text(&self) -> String {
        let mut out = String::new();
        for u in &self.transcript {
            out.push_str(&u.speaker);
            out.push_str(": ");
            out.push_str(u.text.trim());
            out.push('\n');
        }
        out
    }
}

/// Errors loading an evaluation set.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read dataset {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}:{column}: not a meeting: {message}\nhint: each line must be one JSON \
         object with `id`, `transcript` and `references` (see docs/eval.md)"
    )]
    Line {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}:{line}: meeting {id:?} has an empty transcript")]
    EmptyTranscript {
        path: PathBuf,
        line: usize,
        id: String,
    },
    #[error("{path}:{line}: meeting id {id:?} already used on line {first}")]
    DuplicateId {
        path: PathBuf,
        line: usize,
        id: String,
        first: usize,
    },
    #[error("{path}: no meetings\nhint: the file must hold one JSON object a line")]
    Empty { path: PathBuf },
}

/// The meetings of one JSONL file, in file order.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub path: PathBuf,
    pub meetings: Vec<Meeting>,
}

impl Dataset {
    /// Reads and parses a JSONL file.
    pub fn from_path(path: &Path) -> Result<Self, DatasetError> {
        let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_jsonl(&text, path)
    }

    /// Parses JSONL text; `path` names the file in errors. Blank lines are skipped.
    pub fn from_jsonl(text: &str, path: &Path) -> Result<Self, DatasetError> {
        let mut meetings: Vec<Meeting> = Vec::new();
        let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let meeting: Meeting = serde_json::from_str(raw).map_err(|e| DatasetError::Line {
                path: path.to_path_buf(),
                line,
                column: e.column(),
                message: e.to_string(),
            })?;
            if meeting.transcript.is_empty() {
                return Err(DatasetError::EmptyTranscript {
                    path: path.to_path_buf(),
                    line,
                    id: meeting.id,
                });
            }
            if let Some(first) = first_line.get(&meeting.id) {
                return Err(DatasetError::DuplicateId {
                    path: path.to_path_buf(),
                    line,
                    id: meeting.id,
                    first: *first,
                });
            }
            first_line.insert(meeting.id.clone(), line);
            meetings.push(meeting);
        }
        if meetings.is_empty() {
            return Err(DatasetError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            meetings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"{"id": "M1", "source": "x", "transcript": [{"speaker": "B", "start": 1.0, "end": 2.5, "text": "Hello there.", "role": "Project Manager"}, {"speaker": "A", "start": 3, "end": 4, "text": " We will ship it. "}, {"speaker": "B", "start": 5, "end": 6, "text": "Good."}], "speaker_roles": {"A": "Marketing", "B": "Project Manager"}, "references": {"abstract": "They met.", "actions": ["A will ship it."], "decisions": []}}

{"id": "M2", "transcript": [{"speaker": "C", "start": 0, "end": 1, "text": "Hi"}], "references": {"abstract": "Short."}}
"#;

    #[test]
    fn parses_meetings_and_skips_blank_lines() {
        let d = Dataset::from_jsonl(TWO, Path::new("d.jsonl")).unwrap();
        assert_eq!(d.meetings.len(), 2);
        let m = &d.meetings[0];
        assert_eq!(m.id, "M1");
        assert_eq!(m.speakers(), ["B", "A"]);
        assert_eq!(m.word_count(), 7);
        assert_eq!(m.references.abstract_text, "They met.");
        assert_eq!(m.references.actions, ["A will ship it."]);
        assert!(m.references.decisions.is_empty());
        assert_eq!(m.transcript[0].role.as_deref(), Some("Project Manager"));
        assert_eq!(m.transcript[1].role, None);
        assert_eq!(
            m.speaker_labelled_text(),
            "B: Hello there.\nA: We will ship it.\nB: Good.\n"
        );
        assert!(d.meetings[1].references.problems.is_empty());
    }

    #[test]
    fn bad_json_names_the_line_and_column() {
        let text = format!(
            "{}\n{{\"id\": \"M3\", \"transcript\": [}}\n",
            TWO.lines().next().unwrap()
        );
        let err = Dataset::from_jsonl(&text, Path::new("d.jsonl")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("d.jsonl:2:"), "{msg}");
        assert!(
            msg.contains("hint: each line must be one JSON object"),
            "{msg}"
        );
    }

    #[test]
    fn missing_references_is_an_error_on_its_line() {
        let text =
            r#"{"id": "M1", "transcript": [{"speaker": "A", "start": 0, "end": 1, "text": "x"}]}"#;
        let err = Dataset::from_jsonl(text, Path::new("d.jsonl")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("d.jsonl:1:"), "{msg}");
        assert!(msg.contains("missing field `references`"), "{msg}");
    }

    #[test]
    fn duplicate_ids_empty_transcripts_and_empty_files_are_rejected() {
        let line = TWO.lines().next().unwrap();
        let err =
            Dataset::from_jsonl(&format!("{line}\n{line}\n"), Path::new("d.jsonl")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.jsonl:2: meeting id \"M1\" already used on line 1"
        );

        let empty = r#"{"id": "E", "transcript": [], "references": {"abstract": ""}}"#;
        let err = Dataset::from_jsonl(empty, Path::new("d.jsonl")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.jsonl:1: meeting \"E\" has an empty transcript"
        );

        let err = Dataset::from_jsonl("\n\n", Path::new("d.jsonl")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.jsonl: no meetings\nhint: the file must hold one JSON object a line"
        );
    }

    #[test]
    fn the_test_set_loads() {
        // tests/fixtures/eval/mini.jsonl: four meetings written for the tests in the dev
        // set's shape (tests/fixtures/make_fixtures.py).
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval/mini.jsonl");
        let d = Dataset::from_path(&path).unwrap();
        assert_eq!(d.meetings.len(), 4);
        assert_eq!(d.meetings[0].id, "KT0001a");
        assert_eq!(d.meetings[0].references.actions.len(), 3);
        assert_eq!(d.meetings[0].speakers(), ["A", "B", "C"]);
        assert_eq!(d.meetings[0].n_words, Some(d.meetings[0].word_count()));
    }
}
