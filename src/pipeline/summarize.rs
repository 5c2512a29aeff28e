//! One transcript into one note, top to bottom: check the input is worth it, fix the
//! deterministic fields, plan chunks that fit the model, generate per chunk (map), merge
//! (reduce), assemble the [`Note`] and check it against the validator. The model only ever
//! writes the title's topics, the summary, action items, decisions and key information.

use serde_json::{json, Value};

use crate::note::{self, ActionItem, Frontmatter, Note, Priority};
use crate::transcript::Transcript;

use super::extract::{Extract, Overview};
use super::generator::{Chat, Generator, Progress, Usage};
use super::merge;
use super::plan::{self, TokenCounter};
use super::prompts::{PromptError, Prompts};
use super::quality::{self, Rejection, Thresholds};

/// Bounds on one answer, tighter than the note's: a chunk's answer must fit
/// [`Settings::answer_tokens`] even when a small model writes every list to its limit
/// (about 3,000 characters, some 800 tokens), and terse items read better in a note.
pub const ANSWER_LIMITS: note::schema::GenerationLimits = note::schema::GenerationLimits {
    summary_chars: 600,
    item_chars: 160,
    action_items: 6,
    decisions: 5,
    key_information: 6,
};

/// What the pipeline needs besides the transcript.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The vault owner: written `Myself` as an owner; decides whether a meeting is a 1:1.
    pub me: Option<String>,
    /// Forces the note type (`--type`).
    pub note_type: Option<String>,
    /// Forces the date (`--date`), else the transcript's.
    pub date: Option<String>,
    pub thresholds: Thresholds,
    /// The largest chunk, in tokens, whatever the model's context allows: small models
    /// lose the thread and attention cost grows with length.
    pub max_chunk_tokens: usize,
    /// Tokens reserved for each answer.
    pub answer_tokens: usize,
    /// What the note is checked against (the configured note types): a note of a type
    /// that `recap validate` would reject is never made.
    pub rules: note::Rules,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            me: None,
            note_type: None,
            date: None,
            thresholds: Thresholds::default(),
            max_chunk_tokens: 6144,
            answer_tokens: 1280,
            rules: note::Rules::default(),
        }
    }
}

/// Where the pipeline is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    /// Reading chunk `part` of `parts` (1-based).
    Map { part: usize, parts: usize },
    /// Merging the chunks' notes.
    Reduce,
}

/// A note and what it cost.
#[derive(Debug, Clone)]
pub struct Summary {
    pub note: Note,
    pub usage: Usage,
    pub chunks: usize,
}

/// Why a transcript did not become a note.
#[derive(Debug, thiserror::Error)]
pub enum SummarizeError {
    #[error(
        "not summarized: {0}\nhint: lower `min_words` in the config file to summarize it anyway"
    )]
    Rejected(#[from] Rejection),
    #[error("no meeting date found in the transcript, its header or its file name\nhint: pass --date YYYY-MM-DD")]
    NoDate,
    #[error("--date {0:?} is not a calendar date in the form YYYY-MM-DD")]
    BadDate(String),
    #[error("note type {note_type:?} is not configured\nhint: use one of {known}; add others to `note_types` in the config file")]
    UnknownType { note_type: String, known: String },
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error("the prompt and answer do not fit the model's context of {context} tokens (the instructions alone take {fixed})")]
    NoRoom { context: usize, fixed: usize },
    #[error("generation failed: {0:#}")]
    Generate(anyhow::Error),
    #[error("the model's answer does not have the expected shape: {0}")]
    Answer(serde_json::Error),
    #[error("the generated note fails validation:\n{0}")]
    Invalid(String),
}

/// Turns `transcript` (speaker aliases already applied) into a validated note whose
/// `source_ref` is `source_ref`.
pub fn summarize(
    transcript: &Transcript,
    source_ref: &str,
    settings: &Settings,
    prompts: &Prompts,
    generator: &mut dyn Generator,
    on_progress: &mut dyn FnMut(Stage, &Progress),
) -> Result<Summary, SummarizeError> {
    quality::assess(
        transcript.turns.iter().map(|t| t.text.as_str()),
        settings.thresholds,
    )?;
    let meeting = Meeting::new(transcript, settings)?;

    let counter = GeneratorTokens(&*generator);
    let fixed = counter.count(&prompts.render("system", meeting.context(""))?)
        + counter.count(&prompts.render("map", meeting.chunk_context(1, 1, ""))?)
        + settings.answer_tokens
        + 64;
    let context = generator.context_length();
    let budget = context
        .checked_sub(fixed)
        .filter(|b| *b >= 256)
        .ok_or(SummarizeError::NoRoom { context, fixed })?
        .min(settings.max_chunk_tokens);
    let chunks = plan::plan(transcript, budget, 0, &counter);

    let system = prompts.render("system", meeting.context(""))?;
    let mut usage = Usage::default();
    let extract = if chunks.len() <= 1 {
        let user = prompts.render(
            "single",
            meeting.context(&transcript_text(transcript.turns.iter())),
        )?;
        on_progress(Stage::Map { part: 1, parts: 1 }, &Progress::default());
        let answer = ask(
            generator,
            &system,
            &user,
            &meeting.extract_schema(),
            settings,
            &mut usage,
            &mut |p| on_progress(Stage::Map { part: 1, parts: 1 }, p),
        )?;
        merge::dedupe(answer)
    } else {
        let parts = chunks.len();
        let mut partials = Vec::with_capacity(parts);
        for (i, chunk) in chunks.iter().enumerate() {
            let stage = Stage::Map { part: i + 1, parts };
            on_progress(stage, &Progress::default());
            let user = prompts.render(
                "map",
                meeting.chunk_context(i + 1, parts, &transcript_text(chunk.turns.iter())),
            )?;
            let partial: Extract = ask(
                generator,
                &system,
                &user,
                &meeting.extract_schema(),
                settings,
                &mut usage,
                &mut |p| on_progress(stage, p),
            )?;
            partials.push(partial);
        }
        on_progress(Stage::Reduce, &Progress::default());
        let user = prompts.render("reduce", meeting.reduce_context(&partials))?;
        let overview: Overview = ask(
            generator,
            &system,
            &user,
            &overview_schema(),
            settings,
            &mut usage,
            &mut |p| on_progress(Stage::Reduce, p),
        )?;
        merge::merge(&partials, overview)
    };

    let note = meeting.assemble(extract, source_ref);
    let rendered = note.render();
    let problems: Vec<String> =
        note::validate(&rendered, std::path::Path::new(source_ref), &settings.rules)
            .into_iter()
            .filter(|d| d.severity == note::Severity::Error)
            .map(|d| d.to_string())
            .collect();
    if !problems.is_empty() {
        return Err(SummarizeError::Invalid(problems.join("\n")));
    }
    Ok(Summary {
        note,
        usage,
        chunks: chunks.len().max(1),
    })
}

/// Asks the model and reads its answer as `T`.
fn ask<T: serde::de::DeserializeOwned>(
    generator: &mut dyn Generator,
    system: &str,
    user: &str,
    schema: &Value,
    settings: &Settings,
    usage: &mut Usage,
    progress: &mut dyn FnMut(&Progress),
) -> Result<T, SummarizeError> {
    let chat = Chat {
        system,
        user,
        schema,
        max_tokens: settings.answer_tokens,
    };
    let (value, cost) = generator
        .generate_json(&chat, progress)
        .map_err(SummarizeError::Generate)?;
    usage.add(&cost);
    serde_json::from_value(value).map_err(SummarizeError::Answer)
}

/// The transcript as the model reads it: `Speaker: text`, a turn a line.
fn transcript_text<'a>(turns: impl Iterator<Item = &'a crate::transcript::Turn>) -> String {
    turns.map(plan::turn_text).collect()
}

/// Counts tokens with the generator's tokenizer, for the planner.
struct GeneratorTokens<'a>(&'a dyn Generator);

impl TokenCounter for GeneratorTokens<'_> {
    fn count(&self, text: &str) -> usize {
        self.0.count_tokens(text)
    }
}

/// The schema of the merge step's answer: a title and a summary.
fn overview_schema() -> Value {
    let limits = note::GENERATION_LIMITS;
    json!({
        "type": "object",
        "properties": {
            "title": { "type": "string", "minLength": 1, "maxLength": 100 },
            "summary": { "type": "string", "minLength": 1, "maxLength": limits.summary_chars },
        },
        "required": ["title", "summary"],
        "additionalProperties": false,
    })
}

/// The deterministic facts of one meeting: they come from the transcript and the
/// settings, never from the model.
struct Meeting {
    date: String,
    participants: Vec<String>,
    me: Option<String>,
    note_type: String,
    /// The other person of a 1:1; empty otherwise.
    person: String,
    /// Who may own an action item: participants (less `me`), `Myself`, `TBD`.
    owners: Vec<String>,
    title_hint: Option<String>,
}

impl Meeting {
    fn new(transcript: &Transcript, settings: &Settings) -> Result<Self, SummarizeError> {
        let date = match &settings.date {
            Some(d) if crate::date::Date::parse(d).is_ok() => d.clone(),
            Some(d) => return Err(SummarizeError::BadDate(d.clone())),
            None => transcript
                .metadata
                .date
                .map(|d| d.to_string())
                .ok_or(SummarizeError::NoDate)?,
        };
        let participants = transcript.participants();
        let me = settings.me.clone().filter(|m| !m.trim().is_empty());
        let others: Vec<String> = participants
            .iter()
            .filter(|p| Some(*p) != me.as_ref())
            .cloned()
            .collect();
        let one_on_one = me.as_ref().is_some_and(|m| participants.contains(m)) && others.len() == 1;
        let note_type = settings
            .note_type
            .clone()
            .unwrap_or_else(|| if one_on_one { "people" } else { "meeting" }.to_string());
        let person = if note_type == "people" && others.len() == 1 {
            others[0].clone()
        } else {
            String::new()
        };
        let mut owners = others;
        if me.is_some() {
            owners.push(note::OWNER_MYSELF.to_string());
        }
        owners.push(note::OWNER_TBD.to_string());
        let rules = &settings.rules;
        if !rules.note_types.contains(&note_type) {
            return Err(SummarizeError::UnknownType {
                note_type,
                known: rules
                    .note_types
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(Self {
            date,
            participants,
            me,
            note_type,
            person,
            owners,
            title_hint: transcript.metadata.title_hint.clone(),
        })
    }

    /// The variables every prompt sees.
    fn context(&self, transcript: &str) -> Value {
        json!({
            "date": self.date,
            "participants": self.participants,
            "owners": self.owners,
            "me": self.me.clone().unwrap_or_default(),
            "transcript": transcript,
        })
    }

    fn chunk_context(&self, part: usize, parts: usize, transcript: &str) -> Value {
        let mut context = self.context(transcript);
        context["part"] = json!(part);
        context["parts"] = json!(parts);
        context
    }

    fn reduce_context(&self, partials: &[Extract]) -> Value {
        let mut context = self.context("");
        context["partials"] = json!(partials);
        context
    }

    /// What the model writes for a meeting or a chunk: the note's generation schema with
    /// this meeting's owners, a title, and the tighter [`ANSWER_LIMITS`].
    fn extract_schema(&self) -> Value {
        let mut schema = note::generation_schema(&self.owners);
        let props = &mut schema["properties"];
        let limits = ANSWER_LIMITS;
        props["summary"]["maxLength"] = json!(limits.summary_chars);
        for (list, count) in [
            ("action_items", limits.action_items),
            ("decisions", limits.decisions),
            ("key_information", limits.key_information),
        ] {
            props[list]["maxItems"] = json!(count);
        }
        props["action_items"]["items"]["properties"]["text"]["maxLength"] =
            json!(limits.item_chars);
        for list in ["decisions", "key_information"] {
            props[list]["items"]["maxLength"] = json!(limits.item_chars);
        }
        let mut properties = serde_json::Map::new();
        properties.insert(
            "title".into(),
            json!({ "type": "string", "minLength": 1, "maxLength": 100 }),
        );
        if let Some(existing) = schema["properties"].as_object() {
            properties.extend(existing.clone());
        }
        schema["properties"] = Value::Object(properties);
        let mut required = vec![json!("title")];
        if let Some(existing) = schema["required"].as_array() {
            required.extend(existing.iter().cloned());
        }
        schema["required"] = Value::Array(required);
        schema
    }

    fn assemble(&self, extract: Extract, source_ref: &str) -> Note {
        let topics = one_line(&extract.title);
        let topics = if topics.is_empty() {
            self.title_hint
                .clone()
                .unwrap_or_else(|| "Meeting notes".to_string())
        } else {
            topics
        };
        let title = if self.person.is_empty() {
            topics
        } else {
            format!("1:1 with {}: {}", self.person, topics)
        };
        let frontmatter = Frontmatter::generated(
            &self.note_type,
            &title,
            &self.date,
            &self.person,
            self.participants.clone(),
            source_ref,
        );
        let mut note = Note::new(frontmatter);
        note.summary = whole_sentences(&one_line(&extract.summary));
        note.action_items = extract
            .action_items
            .iter()
            .map(|a| {
                let owner = if self.owners.contains(&a.owner) {
                    a.owner.as_str()
                } else {
                    note::OWNER_TBD
                };
                let mut item = ActionItem::proposed(&one_line(&a.text), owner);
                item.priority = a.priority.as_deref().and_then(Priority::from_word);
                item.due = a
                    .due
                    .clone()
                    .filter(|d| crate::date::Date::parse(d).is_ok());
                item
            })
            .collect();
        note.decisions = extract.decisions.iter().map(|d| one_line(d)).collect();
        note.key_information = extract
            .key_information
            .iter()
            .map(|k| one_line(k))
            .collect();
        note
    }
}

/// `text` without a trailing fragment: an answer that hit its length bound ends mid-word,
/// so it is cut back to its last complete sentence (when it has one).
fn whole_sentences(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) {
        return text.to_string();
    }
    match [". ", "! ", "? "]
        .iter()
        .filter_map(|end| text.rfind(end))
        .max()
    {
        Some(end) => text[..=end].to_string(),
        None => text.to_string(),
    }
}

/// Text on one line with single spaces: what a list item or a paragraph can hold.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::whole_sentences;

    #[test]
    fn a_cut_off_summary_ends_at_its_last_sentence() {
        assert_eq!(
            whole_sentences("They met. They agreed on the case. Dec"),
            "They met. They agreed on the case."
        );
        assert_eq!(whole_sentences("They met."), "They met.");
        assert_eq!(whole_sentences("no sentence end"), "no sentence end");
    }
}
