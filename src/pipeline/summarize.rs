//! One transcript into one note, top to bottom: check the input is worth it, fix the
//! deterministic fields, plan chunks that fit the model, read each chunk with three
//! focused passes (action items, decisions, overview), keep only the items grounded in
//! the turns they cite, merge the chunks (reduce), assemble the [`Note`] and check it
//! against the validator. The model only ever writes the title's topics, the summary,
//! action items, decisions and key information.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::embed::Embedder;
use crate::note::{self, ActionItem, Frontmatter, Note};
use crate::transcript::Transcript;

use super::backchannel;
use super::cues;
use super::due;
use super::extract::{
    ActionDraft, ActionsAnswer, DecisionsAnswer, Extract, Overview, OverviewAnswer,
};
use super::form::{self, Form, Names, Subject, Verb};
use super::generator::{Chat, Generator, Progress, Usage};
use super::grounding::NumberedTurns;
use super::handout;
use super::meeting_acts;
use super::merge;
use super::plan::{self, TokenCounter};
use super::prompts::{PromptError, Prompts};
use super::quality::{self, Rejection, Thresholds};
use super::sameness::Sameness;
use super::tidy;
use super::twice;

/// Bounds on one answer, tighter than the note's: terse items read better in a note, and
/// every pass's answer must fit [`Settings::answer_tokens`] even when a small model writes
/// every list to its limit.
pub const ANSWER_LIMITS: note::schema::GenerationLimits = note::schema::GenerationLimits {
    summary_chars: 600,
    item_chars: 160,
    action_items: 8,
    decisions: 8,
    key_information: 6,
};

/// The shortest piece of key information, in characters: a sentence, not a topic.
const FACT_MIN_CHARS: u64 = 30;

/// The shortest summary of a meeting, in characters per part it was read in (about 35
/// words a part), up to half the note's limit. Asked only for "2 to 4 sentences", the
/// 1.5B model summed up 5,000–7,800-word meetings in 30–60 words, a fifth to a third of
/// what AMI's annotators wrote (docs/eval.md); the floor keeps a long meeting's account
/// in proportion to it without padding a short one.
const SUMMARY_CHARS_PER_PART: u64 = 220;

/// The least length of the summary of a meeting read in `parts` parts.
fn summary_floor(parts: usize) -> u64 {
    (SUMMARY_CHARS_PER_PART * parts as u64).min(note::GENERATION_LIMITS.summary_chars / 2)
}

/// The span of transcript text (about 1,500 tokens) each list question asks about. On a
/// 5,500-token chunk the 1.5B model listed tasks from the top and stopped at the cap,
/// never reaching the wrap-up where the work was handed out; asked turn range by turn
/// range, with the transcript still whole before the question, it reads each part.
const LIST_WINDOW_CHARS: usize = 6_000;

/// Tokens a turn's number (`[123] `) adds to the line the planner counts.
const TURN_NUMBER_TOKENS: usize = 4;

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
    /// Whether each action item and decision says where it was said (the timestamp of
    /// its turn, else the turn's number).
    pub evidence: bool,
    /// What the note is checked against (the configured note types): a note of a type
    /// that `recap validate` would reject is never made.
    pub rules: note::Rules,
    /// The sentence embedder that merges paraphrased duplicates and grounds paraphrased
    /// items ([`Sameness`]); without it, shared words alone decide.
    pub embedder: Option<Arc<Embedder>>,
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
            evidence: false,
            rules: note::Rules::default(),
            embedder: None,
        }
    }
}

/// The question a pass over a chunk asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Actions,
    Decisions,
    /// Summary, key information and title.
    Overview,
}

impl Pass {
    const ALL: [Pass; 3] = [Pass::Actions, Pass::Decisions, Pass::Overview];

    /// The prompt template asking the question.
    pub fn template(self) -> &'static str {
        match self {
            Pass::Actions => "actions",
            Pass::Decisions => "decisions",
            Pass::Overview => "overview",
        }
    }

    /// What the pass looks for, for progress lines.
    pub fn label(self) -> &'static str {
        match self {
            Pass::Actions => "action items",
            Pass::Decisions => "decisions",
            Pass::Overview => "summary",
        }
    }
}

/// Where the pipeline is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    /// Reading chunk `part` of `parts` (1-based) with one pass.
    Map {
        part: usize,
        parts: usize,
        pass: Pass,
    },
    /// Merging the chunks' notes.
    Reduce,
}

/// A note and what it cost.
#[derive(Debug, Clone)]
pub struct Summary {
    pub note: Note,
    /// What the note was made from: the merged, grounded items with their evidence.
    pub extract: Extract,
    pub usage: Usage,
    pub chunks: usize,
}

/// Why a transcript did not become a note.
#[derive(Debug, thiserror::Error)]
pub enum SummarizeError {
    // No `#[from]`: the rejection is this message's own text, not a cause that an error
    // chain (`{:#}`) would print again after the hint.
    #[error(
        "not summarized: {0}\nhint: lower `min_words` in the config file to summarize it anyway"
    )]
    Rejected(Rejection),
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
    )
    .map_err(SummarizeError::Rejected)?;
    let meeting = Meeting::new(transcript, settings)?;
    let same = settings
        .embedder
        .as_deref()
        .map_or_else(Sameness::words_only, Sameness::with_embedder);
    let system = prompts.render("system", meeting.context(""))?;

    let counter = NumberedTokens(&*generator);
    let mut fixed = counter.count(&system)
        + counter.count(&prompts.render("transcript", meeting.chunk_context(1, 2, ""))?);
    fixed += Pass::ALL
        .iter()
        .map(|p| Ok(counter.count(&prompts.render(p.template(), meeting.context(""))?)))
        .collect::<Result<Vec<_>, SummarizeError>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    fixed += settings.answer_tokens + 64;
    let context = generator.context_length();
    let room = context
        .checked_sub(fixed)
        .filter(|b| *b >= 256)
        .ok_or(SummarizeError::NoRoom { context, fixed })?;
    let budget = room.min(settings.max_chunk_tokens);
    let chunks = plan::plan_without_scraps(transcript, budget, room, &counter);
    let parts = chunks.len().max(1);

    // Overlapping turns keep the numbers they had in the chunk before.
    let mut first = 1;
    let numbered: Vec<NumberedTurns<'_>> = chunks
        .iter()
        .map(|chunk| {
            first -= chunk.overlap;
            let turns = NumberedTurns::new(&chunk.turns, first);
            first += chunk.turns.len();
            turns
        })
        .collect();
    let reader = ChunkReader {
        meeting: &meeting,
        system: &system,
        prompts,
        settings,
        parts,
    };
    let mut usage = Usage::default();
    let mut partials = Vec::with_capacity(parts);
    for mapped in reader.read_all(&numbered, generator, on_progress) {
        let (partial, cost) = mapped?;
        usage.add(&cost);
        partials.push(partial);
    }

    let extract = if partials.len() <= 1 {
        merge::dedupe(partials.pop().unwrap_or_default(), &same)
    } else {
        on_progress(Stage::Reduce, &Progress::default());
        let user = prompts.render("reduce", meeting.reduce_context(&partials))?;
        let overview: Overview = parse(ask(
            generator,
            &system,
            &user,
            &overview_schema(partials.len()),
            settings,
            &mut usage,
            &mut |p| on_progress(Stage::Reduce, p),
        )?)?;
        merge::merge(&partials, overview, &same)
    };

    let extract = told_news(extract, &numbered);
    let note = meeting.assemble(&extract, source_ref, settings.evidence);
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
        extract,
        usage,
        chunks: parts,
    })
}

/// Reads chunks with the three passes: everything a pass needs besides the chunk.
struct ChunkReader<'a> {
    meeting: &'a Meeting,
    system: &'a str,
    prompts: &'a Prompts,
    settings: &'a Settings,
    parts: usize,
}

/// One chunk's grounded items and what reading it cost.
type Mapped = Result<(Extract, Usage), SummarizeError>;

impl ChunkReader<'_> {
    /// Every chunk, in order. Where the generator can [fork](Generator::fork) (a server),
    /// the chunks are read at the same time, one thread and fork each, and their progress
    /// comes back to this thread; otherwise one after another.
    fn read_all(
        &self,
        chunks: &[NumberedTurns<'_>],
        generator: &mut dyn Generator,
        on_progress: &mut dyn FnMut(Stage, &Progress),
    ) -> Vec<Mapped> {
        let forks: Option<Vec<_>> = if chunks.len() > 1 {
            chunks.iter().map(|_| generator.fork()).collect()
        } else {
            None
        };
        let Some(forks) = forks else {
            return chunks
                .iter()
                .enumerate()
                .map(|(i, turns)| self.read(i, turns, &mut *generator, on_progress))
                .collect();
        };
        let (sender, receiver) = std::sync::mpsc::channel::<(Stage, Progress)>();
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .iter()
                .zip(forks)
                .enumerate()
                .map(|(i, (turns, mut fork))| {
                    let sender = sender.clone();
                    scope.spawn(move || {
                        self.read(i, turns, &mut *fork, &mut |stage, p| {
                            let _ = sender.send((stage, *p));
                        })
                    })
                })
                .collect();
            drop(sender);
            for (stage, p) in receiver {
                on_progress(stage, &p);
            }
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }

    /// Chunk `i` (0-based) read with the three passes, its items grounded.
    fn read(
        &self,
        i: usize,
        turns: &NumberedTurns<'_>,
        generator: &mut dyn Generator,
        on_progress: &mut dyn FnMut(Stage, &Progress),
    ) -> Mapped {
        let (meeting, parts) = (self.meeting, self.parts);
        let same = self
            .settings
            .embedder
            .as_deref()
            .map_or_else(Sameness::words_only, Sameness::with_embedder);
        let head = self.prompts.render(
            "transcript",
            meeting.chunk_context(i + 1, parts, &turns.text()),
        )?;
        let mut usage = Usage::default();
        // The lists are asked window by window over the chunk the prompt holds, the
        // transcript prefix shared by every question.
        let mut ask_pass = |pass: Pass,
                            window: &NumberedTurns<'_>,
                            schema: &Value|
         -> Result<Value, SummarizeError> {
            let stage = Stage::Map {
                part: i + 1,
                parts,
                pass,
            };
            on_progress(stage, &Progress::default());
            let range = window.range();
            let mut context = meeting.chunk_context(i + 1, parts, "");
            context["cues"] = match pass {
                Pass::Actions => json!(cues::task_sentences(window)),
                Pass::Decisions => json!(cues::decision_turns(window)),
                Pass::Overview => json!([]),
            };
            if pass == Pass::Decisions {
                context["settled"] = json!(cues::decision_sentences(window));
            }
            context["first"] = json!(range.0);
            context["last"] = json!(range.1);
            context["whole"] = json!(range == turns.range());
            let question = self.prompts.render(pass.template(), context)?;
            ask(
                generator,
                self.system,
                &format!("{head}\n\n{question}"),
                schema,
                self.settings,
                &mut usage,
                &mut |p| on_progress(stage, p),
            )
        };
        let mut actions = ActionsAnswer::default();
        let mut decisions = DecisionsAnswer::default();
        for window in turns.windows(LIST_WINDOW_CHARS) {
            let range = window.range();
            let least = u64::from(cues::task_promised(&window));
            let answer: ActionsAnswer = parse(ask_pass(
                Pass::Actions,
                &window,
                &meeting.actions_schema(range, (least, ANSWER_LIMITS.action_items)),
            )?)?;
            // A list that walked the window's talk and closed before its promises, or
            // a window with more promises than its question quotes: asked again about
            // the promised turns no item says (and the turn after, which may accept),
            // for an item each sentence quoted at most.
            let said: Vec<(usize, &str)> = answer
                .action_items
                .iter()
                .map(|a| (a.turn, a.text.as_str()))
                .collect();
            let unanswered = cues::unanswered(&window, &cues::all_task_sentences(&window), &said);
            actions.action_items.extend(answer.action_items);
            for (span, quoted) in
                second_looks(&window, unanswered, |s| cues::task_sentences(s).len())
            {
                let answer: ActionsAnswer = parse(ask_pass(
                    Pass::Actions,
                    &span,
                    &meeting.actions_schema(span.range(), (1, quoted)),
                )?)?;
                actions.action_items.extend(answer.action_items);
            }
            let settled = cues::decision_sentences(&window);
            let least = u64::from(!settled.is_empty());
            let answer: DecisionsAnswer = parse(ask_pass(
                Pass::Decisions,
                &window,
                &decisions_schema(range, (least, ANSWER_LIMITS.decisions)),
            )?)?;
            // As for tasks: a settled sentence the list passed over ("One more late
            // delivery and we move to Harbour Fresh.") is asked about again, over its
            // turns and the one after, for at most one decision each.
            let said: Vec<(usize, &str)> = answer
                .decisions
                .iter()
                .map(|d| (d.turn, d.text.as_str()))
                .collect();
            let unanswered = cues::unanswered(&window, &settled, &said);
            decisions.decisions.extend(answer.decisions);
            for (span, quoted) in
                second_looks(&window, unanswered, |s| cues::decision_sentences(s).len())
            {
                let answer: DecisionsAnswer = parse(ask_pass(
                    Pass::Decisions,
                    &span,
                    &decisions_schema(span.range(), (1, quoted)),
                )?)?;
                decisions.decisions.extend(answer.decisions);
            }
        }
        let overview: OverviewAnswer = parse(ask_pass(
            Pass::Overview,
            turns,
            &overview_answer_schema(parts),
        )?)?;
        let partial = Extract::from_passes(actions, decisions, overview);
        Ok((meeting.ground(partial, turns, &same), usage))
    }
}

/// The second looks of a window: each run of turns whose quoted sentences no item said
/// (`unanswered`, [`cues::unanswered`]), with the turn after it, which may accept or
/// answer, and how many sentences its narrower question quotes (`quoted`), at most one
/// item each; a span that quotes none is not asked.
fn second_looks<'a>(
    window: &NumberedTurns<'a>,
    unanswered: Vec<(usize, usize)>,
    quoted: impl Fn(&NumberedTurns<'a>) -> usize,
) -> Vec<(NumberedTurns<'a>, u64)> {
    let end = window.range().1;
    unanswered
        .into_iter()
        .filter_map(|(first, last)| {
            let span = window.span(first, (last + 1).min(end))?;
            let count = quoted(&span) as u64;
            (count > 0).then_some((span, count))
        })
        .collect()
}

/// Asks the model for JSON that satisfies `schema`.
fn ask(
    generator: &mut dyn Generator,
    system: &str,
    user: &str,
    schema: &Value,
    settings: &Settings,
    usage: &mut Usage,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Value, SummarizeError> {
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
    Ok(value)
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, SummarizeError> {
    serde_json::from_value(value).map_err(SummarizeError::Answer)
}

/// Counts tokens with the generator's tokenizer, for the planner, adding what a turn's
/// number takes.
struct NumberedTokens<'a>(&'a dyn Generator);

impl TokenCounter for NumberedTokens<'_> {
    fn count(&self, text: &str) -> usize {
        self.0.count_tokens(text) + TURN_NUMBER_TOKENS
    }
}

/// A text bounded to one line of an answer.
fn item_text() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": ANSWER_LIMITS.item_chars })
}

/// A turn number the chunk holds.
fn turn_number((first, last): (usize, usize)) -> Value {
    json!({ "type": "integer", "minimum": first, "maximum": last })
}

/// The decisions pass's answer: each decision cites its turn first, so the model finds
/// the words before it writes them. Where a turn states a choice as settled (`settled`,
/// [`cues::decision_sentences`]) the list holds at least one: the 1.5B model otherwise
/// answered `[]` to "Let's decide it now: the migration moves to January". The list
/// holds `least` to `most` items.
fn decisions_schema(range: (usize, usize), (least, most): (u64, u64)) -> Value {
    json!({
        "type": "object",
        "properties": {
            "decisions": {
                "type": "array",
                "minItems": least,
                "maxItems": most,
                "items": {
                    "type": "object",
                    "properties": { "turn": turn_number(range), "text": item_text() },
                    "required": ["turn", "text"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["decisions"],
        "additionalProperties": false,
    })
}

/// The overview pass's answer on one of `parts` parts: the title comes last, once the
/// model has said what the meeting was about. A meeting read in one part keeps this
/// summary, so it has [`summary_floor`]; a part's summary is only read by the merge.
fn overview_answer_schema(parts: usize) -> Value {
    let least = if parts == 1 { summary_floor(1) } else { 1 };
    json!({
        "type": "object",
        "properties": {
            "summary": { "type": "string", "minLength": least, "maxLength": ANSWER_LIMITS.summary_chars },
            // A fact is a sentence: without a lower bound the model lists bare topics.
            "key_information": {
                "type": "array",
                "maxItems": ANSWER_LIMITS.key_information,
                "items": { "type": "string", "minLength": FACT_MIN_CHARS, "maxLength": ANSWER_LIMITS.item_chars },
            },
            "title": { "type": "string", "minLength": 1, "maxLength": 100 },
        },
        "required": ["summary", "key_information", "title"],
        "additionalProperties": false,
    })
}

/// The schema of the merge step's answer over `parts` parts: a title and a summary.
fn overview_schema(parts: usize) -> Value {
    let limits = note::GENERATION_LIMITS;
    json!({
        "type": "object",
        "properties": {
            "title": { "type": "string", "minLength": 1, "maxLength": 100 },
            "summary": { "type": "string", "minLength": summary_floor(parts), "maxLength": limits.summary_chars },
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
    /// Who the model may name as an owner: the participants and `TBD`. The vault owner is
    /// named like everyone else (the model reads their name in the transcript) and
    /// becomes `Myself` in the note.
    owners: Vec<String>,
    /// Who an item's words may name as its subject ([`merge::sort`]).
    names: Names,
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
        let mut owners = participants.clone();
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
            names: Names::new(&participants, transcript),
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
            "me": self.me.clone().unwrap_or_default(),
            "transcript": transcript,
            "part": 1,
            "parts": 1,
            "cues": [],
            "settled": [],
            "first": 1,
            "last": 1,
            "whole": false,
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
        context["parts"] = json!(partials.len());
        context
    }

    /// The action-items pass's answer for turns `range`, with `least` to `most` items:
    /// each item cites its turn first (the model finds the words before it writes them),
    /// then names an owner from this meeting. Where a task is promised or accepted in so
    /// many words ([`cues::task_promised`]), a window's list holds at least one item: the
    /// 1.5B model otherwise closed the list at once on a 1:1 with five spoken commitments.
    /// A request alone or "I'll go first" does not count: on AMI's chatter forcing there
    /// filled lists with ice-breaker lines.
    fn actions_schema(&self, range: (usize, usize), (least, most): (u64, u64)) -> Value {
        json!({
            "type": "object",
            "properties": {
                "action_items": {
                    "type": "array",
                    "minItems": least,
                    "maxItems": most,
                    "items": {
                        "type": "object",
                        "properties": {
                            "turn": turn_number(range),
                            "owner": { "enum": self.owners },
                            "text": item_text(),
                            "due": {
                                "anyOf": [
                                    { "type": "string", "minLength": 1, "maxLength": 40 },
                                    { "type": "null" },
                                ],
                            },
                        },
                        "required": ["turn", "owner", "text", "due"],
                        "additionalProperties": false,
                    },
                },
            },
            "required": ["action_items"],
            "additionalProperties": false,
        })
    }

    /// Words each task as an instruction ([`tidy::task`]), naming what its "it" stands
    /// for when the turn named it just before ([`tidy::with_named_thing`]); keeps the
    /// items grounded in the turns they cite, with their evidence; gives a task
    /// to whoever took it on in the wording of its turn (see [`cues::owner_by_wording`]);
    /// resolves each deadline said near its turn to a date, or else the one the task's own
    /// words state.
    fn ground(
        &self,
        mut extract: Extract,
        turns: &NumberedTurns<'_>,
        same: &Sameness<'_>,
    ) -> Extract {
        let meeting_date = crate::date::Date::parse(&self.date).ok();
        // A copied turn keeps what it says without its speaker's label; an introduction
        // ("Hi, I'm David") is in no list, and a fact is never a copied turn.
        let unlabelled = |text: &str| {
            tidy::after_label(text, &self.participants)
                .unwrap_or(text)
                .to_string()
        };
        // Nor is a list of who was there, nor what someone will do ("Daniel Kim will
        // update the job posting"), which is a task.
        extract.key_information.retain(|k| {
            tidy::after_label(k, &self.participants).is_none()
                && !cues::is_introduction(k)
                && !self.names.only_names(k)
                && !matches!(
                    form::form(k, &self.names),
                    Form::Statement {
                        subject: Subject::Person(_),
                        verb: Verb::Future | Verb::Obligation,
                    }
                )
        });
        extract.action_items.retain_mut(|a| {
            let said = tidy::unaddressed(&unlabelled(&a.text), &self.participants);
            let spoken = tidy::fluent(&said);
            a.text = tidy::task(&spoken);
            // Saying who one is, putting off what one only points at, or what will
            // happen to the listener ("You'll get a message") sets no task, and an
            // instruction that still says "I", or opens as talk ("If you like…"), copies
            // talk.
            if cues::is_introduction(&said)
                || self.names.tells_role(&said)
                || cues::is_deferral(&a.text)
                || tidy::befalls_listener(&spoken)
                || form::says_i(&a.text)
                || form::opens_as_talk(&a.text)
            {
                return false;
            }
            let Some(evidence) = turns.ground(a.turn, &a.text, same) else {
                return false;
            };
            // "Who's covering the 26th?" "I'll do the 26th.": the question says what the
            // doing is.
            let asked_verb = (1..=2)
                .filter_map(|back| evidence.turn.checked_sub(back))
                .filter_map(|n| turns.turn(n))
                .filter(|t| t.speaker != evidence.speaker)
                .find_map(|t| tidy::verb_asked_for(&t.text));
            let answering = |task: &str| {
                asked_verb
                    .as_deref()
                    .and_then(|verb| tidy::with_verb(task, verb))
                    .unwrap_or_else(|| task.to_string())
            };
            let written = std::mem::take(&mut a.text);
            a.text = answering(&written);
            // "I'll tell product." says enough with the news it passes on, which is added
            // once the lists are merged ([`told_news`]).
            let told = turns.turn(evidence.turn).map(|turn| {
                let settled = cues::settled_before(turns, evidence.turn);
                tidy::with_told_news(&a.text, &turn.text, settled)
            });
            // "I can ask them." says enough once "them" is named.
            let named = turns
                .turn(evidence.turn)
                .map(|turn| tidy::with_named_thing(&a.text, &turn.text, &self.participants));
            if !says_enough(told.as_deref().unwrap_or(&a.text))
                && !named.as_deref().is_some_and(says_enough)
            {
                return false;
            }
            if let Some(turn) = turns.turn(evidence.turn) {
                if let Some(own) = tidy::in_own_words(&written, &turn.text) {
                    a.text = answering(&own);
                }
                a.text = tidy::with_named_thing(&a.text, &turn.text, &self.participants);
                // "Just send me the registration link." "I'll send it after this call."
                let asked = evidence.turn.checked_sub(1).and_then(|n| turns.turn(n));
                if let Some(asked) = asked.filter(|t| t.speaker != turn.speaker) {
                    if let Some(named) = tidy::with_thing_asked(&a.text, &asked.text) {
                        a.text = named;
                    }
                    // "Ask Priya, she has the estimate." "I'll email her today."
                    if let Some(named) =
                        tidy::with_person_named_before(&a.text, &asked.text, &self.participants)
                    {
                        a.text = named;
                    }
                    // "Then we go with Marsh." "I'll call them this afternoon."
                    if let Some(named) = tidy::with_choice_named_before(
                        &a.text,
                        &asked.text,
                        &turn.text,
                        &self.participants,
                    ) {
                        a.text = named;
                    }
                }
            }
            let nearby = turns.nearby_text(evidence.turn);
            a.due = a
                .due
                .take()
                .filter(|phrase| said_in(phrase, &nearby))
                .and_then(|phrase| due::resolve(&phrase, meeting_date?))
                .or_else(|| due::resolve(&due::deadline_in(&a.text)?, meeting_date?))
                .map(|d| d.to_string());
            // "I'll send it over tomorrow", accepting a request: the request says what.
            let request = cues::accepted_request(turns, evidence.turn).and_then(|n| turns.turn(n));
            if let Some(request) = request {
                a.text = tidy::with_requested_task(&a.text, &request.text);
            }
            if let Some(owner) = cues::owner_by_wording(turns, evidence.turn, &a.text) {
                a.owner = owner.to_string();
            }
            // "Ravi, can you check the grant?" "Sure. I'll get back to you by Thursday.":
            // the "you" of an acceptance is the one who asked.
            if let (Some(request), Some(turn)) = (request, turns.turn(evidence.turn)) {
                if a.owner == evidence.speaker
                    && tidy::you_in_own_words(&a.text, &turn.text, &request.text)
                {
                    a.text = tidy::addressed(&a.text, self.called(&request.speaker));
                }
            }
            // "I'll share it with you first", said by the owner in a 1:1: the "you" is
            // the other person, whom the note names.
            if request.is_none() && a.owner == evidence.speaker {
                // "Approve it today, just send me the registration link": the sending is
                // the listener's, and a task of its own when they take it on.
                a.text = tidy::without_ask_of_listener(&a.text);
                if let Some(addressee) = self.addressee_of(&evidence.speaker) {
                    a.text = tidy::addressed(&a.text, addressee);
                } else if let Some(answered) = self.answered(turns, evidence.turn, &a.text) {
                    a.text = tidy::addressed(&a.text, answered);
                }
            }
            a.turn = evidence.turn;
            a.evidence = Some(evidence);
            true
        });
        extract.decisions.retain_mut(|d| {
            d.text = tidy::unprefaced(&tidy::fluent(&unlabelled(&d.text)));
            if cues::is_introduction(&d.text) || self.names.tells_role(&d.text) {
                return false;
            }
            let Some(evidence) = turns
                .ground(d.turn, &d.text, same)
                .filter(|_| says_enough(&d.text))
            else {
                return false;
            };
            // An answer that takes a request on ("The second is fine if Priya's number
            // comes in this week") sets a task, not a choice.
            if cues::accepted_request(turns, evidence.turn).is_some() {
                return false;
            }
            // "What about the weekend crew?" "Let's park that until…": park what.
            let before = evidence.turn.checked_sub(1).and_then(|n| turns.turn(n));
            if let Some(named) = before
                .filter(|b| b.speaker != evidence.speaker)
                .and_then(|b| tidy::with_topic_raised(&d.text, &b.text))
            {
                d.text = named;
            }
            d.turn = evidence.turn;
            d.evidence = Some(evidence);
            true
        });
        join_accepted_requests(&mut extract.action_items, turns);
        let committed =
            |turn: usize, verb: &str| cues::commits_to(turns, turn, verb).map(str::to_string);
        let carries_task = |turn: usize| cues::carries_task(turns, turn);
        merge::sort(
            &mut extract,
            &self.names,
            &self.owners,
            &committed,
            &carries_task,
        );
        // "Industrial Design, your components concept, User Interface, the interface": one
        // task for each person a hand-out turns to.
        extract.action_items = std::mem::take(&mut extract.action_items)
            .into_iter()
            .flat_map(|a| handout::split(a, &self.names, &self.owners))
            .collect();
        // Whichever pass wrote it, how the meeting itself runs is no choice about the work,
        // and what is done in the meeting itself ("share my screen") is neither a task nor
        // a choice; nor is a "decision" in a speaker's voice, a copy of their talk, or one
        // that only reports a proposal.
        extract.decisions.retain(|d| {
            !cues::runs_the_meeting(&d.text)
                && !meeting_acts::chosen_for_the_meeting(&d.text)
                && !form::in_a_speakers_voice(&d.text)
                && !form::only_proposed(&d.text)
        });
        // A request taken on for a later time is not done in the room, whatever its verb.
        let accepted_for_later = |a: &ActionDraft| {
            a.evidence.as_ref().is_some_and(|e| {
                turns.turn(e.turn + 1).is_some_and(|answer| {
                    answer.speaker == a.owner
                        && cues::accepted_request(turns, e.turn + 1) == Some(e.turn)
                        && meeting_acts::names_a_later_time(&answer.text)
                })
            })
        };
        extract
            .action_items
            .retain(|a| !meeting_acts::done_in_the_meeting(&a.text) || accepted_for_later(a));
        twice::drop_same_turn_twins(&mut extract.action_items);
        twice::fold_when_asked(&mut extract.action_items);
        // "Send me the mockups", asked by Mei of Alex: Alex's task names Mei.
        for a in &mut extract.action_items {
            let Some(evidence) = &a.evidence else {
                continue;
            };
            let request = cues::accepted_request(turns, evidence.turn).and_then(|n| turns.turn(n));
            let asker = request.map_or(evidence.speaker.as_str(), |r| r.speaker.as_str());
            if asker != a.owner {
                a.text = tidy::asked_by(&a.text, self.called(asker));
            }
        }
        extract
    }

    /// How a note's task names `participant`: by first name in a meeting of two, as
    /// [`Self::addressee_of`] does, else in full ("Project Manager" is no "Project").
    fn called<'a>(&self, participant: &'a str) -> &'a str {
        match participant.split_whitespace().next() {
            Some(first) if self.participants.len() == 2 => first,
            _ => participant,
        }
    }

    /// Whom the "you" of `task`, promised in turn `number` of a meeting of more than two,
    /// names: the speaker of the turn before, when it is another participant who spoke
    /// of what the task is about ("I need their admin contact though." "I'll email you
    /// the contact after this."), and the task gives them something right after its
    /// verb ([`tidy::speaks_to_one`]).
    fn answered<'a>(
        &'a self,
        turns: &NumberedTurns<'_>,
        number: usize,
        task: &str,
    ) -> Option<&'a str> {
        let (before, turn) = (turns.turn(number.checked_sub(1)?)?, turns.turn(number)?);
        let speaker = self
            .participants
            .iter()
            .find(|p| **p == before.speaker && **p != turn.speaker)?;
        let said = crate::words::content_tokens(&before.text);
        let about = crate::words::content_tokens(task)
            .iter()
            .any(|w| said.contains(w));
        (about && tidy::speaks_to_one(task)).then(|| self.called(speaker))
    }

    /// The first name of the one other participant of a meeting of two, as `speaker`
    /// would address them.
    fn addressee_of(&self, speaker: &str) -> Option<&str> {
        match self.participants.as_slice() {
            [a, b] if a == speaker => b.split_whitespace().next(),
            [a, b] if b == speaker => a.split_whitespace().next(),
            _ => None,
        }
    }

    fn assemble(&self, extract: &Extract, source_ref: &str, evidence: bool) -> Note {
        let topics = self.topics(&tidy::inert(&extract.title));
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
        let line = |text: &str| tidy::inert(&unclipped(text, ANSWER_LIMITS.item_chars));
        let cited = |text: &str, e: &Option<super::grounding::Evidence>| match e {
            Some(e) if evidence => format!(
                "{} ({})",
                line(text),
                e.timestamp().unwrap_or_else(|| format!("turn {}", e.turn))
            ),
            _ => line(text),
        };
        let mut note = Note::new(frontmatter);
        note.summary = whole_sentences(&tidy::inert(&extract.summary));
        note.action_items = extract
            .action_items
            .iter()
            .map(|a| {
                let owner = if self.me.as_deref() == Some(a.owner.as_str()) {
                    note::OWNER_MYSELF
                } else if self.owners.contains(&a.owner) {
                    a.owner.as_str()
                } else {
                    note::OWNER_TBD
                };
                let mut item = ActionItem::proposed(&cited(&a.text, &a.evidence), owner);
                item.due = a
                    .due
                    .clone()
                    .filter(|d| crate::date::Date::parse(d).is_ok());
                item
            })
            .collect();
        note.decisions = extract
            .decisions
            .iter()
            .map(|d| cited(&d.text, &d.evidence))
            .collect();
        note.key_information = extract.key_information.iter().map(|k| line(k)).collect();
        note
    }

    /// The title's topics: the model's title without the participants' names (a title
    /// names what was discussed, not who met) or turn numbers copied from the prompt,
    /// else the transcript's title hint.
    fn topics(&self, title: &str) -> String {
        let title = &one_line(
            &title
                .split_whitespace()
                .filter(|w| !is_turn_number(w))
                .collect::<Vec<_>>()
                .join(" "),
        );
        let named: Vec<String> = self
            .participants
            .iter()
            .flat_map(|p| {
                let words: Vec<&str> = p.split_whitespace().collect();
                // A full name, and the first name of a longer one.
                let first = (words.len() > 1).then(|| words[0].to_lowercase());
                std::iter::once(p.to_lowercase()).chain(first)
            })
            .collect();
        let mut kept = title.to_string();
        for name in &named {
            kept = remove_phrase(&kept, name);
        }
        let filler = [
            "and", "with", "&", "between", "1:1", "meeting", "-", ":", ",", "'s",
        ];
        let words: Vec<&str> = kept
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| c == ',' || c == ':'))
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .collect();
        let content = words
            .iter()
            .filter(|w| !filler.contains(&w.to_lowercase().as_str()))
            .count();
        if kept.trim() == title.trim() && content > 0 {
            return title.to_string();
        }
        if content >= 2 {
            let start = words
                .iter()
                .position(|w| !filler.contains(&w.to_lowercase().as_str()))
                .unwrap_or(0);
            return words[start..].join(" ");
        }
        self.title_hint
            .clone()
            .unwrap_or_else(|| "Meeting notes".to_string())
    }
}

/// A request and its acceptance are one task ("Can you ask sales to wait?" "Sure, I'll
/// send them a note"), though the model often lists both turns: an item said in the
/// acceptance is dropped when the request has its own, which gains its deadline. Not a
/// second task promised in the same breath ("Yep, I'll do that today and I'll report the
/// numbers in January"), which neither points back nor shares a word with the request.
/// An acceptance that says in its own words how the request will be met ("Can you lend
/// her two from the evening shift?" "Yeah, I can move Dev and Carla over from Monday.")
/// is the one task kept, in the words of the one who took it on, and the request's item
/// (same owner) is dropped.
fn join_accepted_requests(actions: &mut Vec<ActionDraft>, turns: &NumberedTurns<'_>) {
    let asked: Vec<usize> = actions.iter().map(|a| a.turn).collect();
    let mut answers = Vec::new();
    let mut restated = Vec::new();
    let same_task = |text: &str, request: usize| {
        turns
            .turn(request)
            .is_some_and(|r| tidy::refers_to(text, &r.text))
    };
    let restates = |text: &str, answer: usize| {
        turns.turn(answer).is_some_and(|t| {
            cues::accepting_clause(&t.text)
                .is_some_and(|c| cues::clause_saying(&t.text, text) == Some(c))
        })
    };
    actions.retain(|a| match cues::accepted_request(turns, a.turn) {
        Some(request) if asked.contains(&request) && same_task(&a.text, request) => {
            answers.push((request, a.due.clone()));
            false
        }
        Some(request) if asked.contains(&request) && restates(&a.text, a.turn) => {
            restated.push((request, a.owner.clone()));
            true
        }
        _ => true,
    });
    for (request, due) in answers {
        if let Some(kept) = actions.iter_mut().find(|a| a.turn == request) {
            if kept.due.is_none() {
                kept.due = due;
            }
        }
    }
    for (request, owner) in restated {
        let Some(at) = actions
            .iter()
            .position(|a| a.turn == request && a.owner == owner)
        else {
            continue;
        };
        let dropped = actions.remove(at);
        if let Some(kept) = actions
            .iter_mut()
            .find(|a| a.turn == request + 1 && a.owner == owner)
        {
            if kept.due.is_none() {
                kept.due = dropped.due;
            }
        }
    }
}

/// `[12]`: a turn's number as the prompt writes it.
fn is_turn_number(word: &str) -> bool {
    word.strip_prefix('[')
        .and_then(|w| w.strip_suffix(']'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `text` without each whole-word, case-insensitive occurrence of `phrase` (lowercase).
fn remove_phrase(text: &str, phrase: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = String::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(phrase) {
        let start = at + found;
        let end = start + phrase.len();
        let bounded = |i: Option<char>| i.is_none_or(|c| !c.is_alphanumeric());
        if bounded(lower[..start].chars().next_back()) && bounded(lower[end..].chars().next()) {
            out.push_str(&text[at..start]);
        } else {
            out.push_str(&text[at..end]);
        }
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Each task that passes news on without saying what ("Tell product.") with the news its
/// turn gave just before ([`tidy::with_told_news`]). Done after merging: the news is often
/// a decision, which the merge would otherwise drop as a restatement of the task.
fn told_news(mut extract: Extract, numbered: &[NumberedTurns<'_>]) -> Extract {
    for a in &mut extract.action_items {
        let said = a.evidence.as_ref().and_then(|e| {
            numbered
                .iter()
                .find_map(|turns| Some((turns.turn(e.turn)?, cues::settled_before(turns, e.turn))))
        });
        if let Some((turn, settled)) = said {
            a.text = tidy::with_told_news(&a.text, &turn.text, settled);
        }
    }
    extract
}

/// Whether an item has the words of a task or a decision: "Go ahead" or "Sounds good",
/// grounded in a turn that says so, is neither, nor "Let's do that." copied from a turn
/// that names its choice only in the turn before (one content word), nor "No, it's true,
/// yeah.", whose words only answer (an acknowledgement, or "no", is no content word), nor
/// speech that broke off ("Tell to get it off my", "We should go with the shape of a lemon
/// or", "…four is a good estimate for"); an item the answer's length bound cut is mended
/// when the note is written ([`unclipped`]).
fn says_enough(text: &str) -> bool {
    const DANGLING: [&str; 20] = [
        "the", "a", "an", "my", "your", "our", "their", "his", "her", "its", "of", "or", "and",
        "but", "for", "to", "with", "from", "about", "into",
    ];
    let words = crate::words::words(text);
    let content = words
        .iter()
        .filter(|w| *w != "no" && !backchannel::acknowledges(w))
        .filter(|w| !crate::words::STOPWORDS.contains(&w.as_str()))
        .count();
    let broke_off = !ran_to_bound(text, ANSWER_LIMITS.item_chars)
        && !text.trim_end().ends_with(['.', '!', '?', '…'])
        && words.last().is_some_and(|w| DANGLING.contains(&w.as_str()));
    text.split_whitespace().count() >= 3 && content >= 2 && !broke_off
}

/// Whether the deadline `phrase` was said in `nearby` (lowercase text): one of its
/// telling words (a weekday, a month, a number, "tomorrow"...) must appear there.
fn said_in(phrase: &str, nearby: &str) -> bool {
    const VAGUE: [&str; 8] = ["by", "next", "the", "end", "of", "this", "on", "before"];
    let said: Vec<String> = crate::words::words(nearby);
    crate::words::words(phrase)
        .iter()
        .filter(|w| !VAGUE.contains(&w.as_str()))
        .any(|w| said.contains(w))
}

/// Whether `text` ran to an answer's length bound of `limit` characters, which counts the
/// spaces the model wrote around the item too.
fn ran_to_bound(text: &str, limit: u64) -> bool {
    (text.chars().count() as u64) + 2 >= limit
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

/// `text`, an item that may have run to its length bound (`limit` characters) and stop
/// mid-clause ("…the functions design, what the"), cut back to its last whole sentence,
/// else to its last comma, with "…" for what is left out. An item that ends a sentence,
/// or stops short of the bound, is kept as it is.
fn unclipped(text: &str, limit: u64) -> String {
    let text = text.trim();
    if !ran_to_bound(text, limit) || text.ends_with(['.', '!', '?', '…']) {
        return text.to_string();
    }
    let sentences = whole_sentences(text);
    if sentences.len() < text.len() {
        return sentences;
    }
    let cut = match text.rfind([',', ';']) {
        Some(at) if at > text.len() / 2 => at,
        _ => text.rfind(' ').unwrap_or(text.len()),
    };
    format!("{}…", text[..cut].trim_end_matches([',', ';', ' ']))
}

/// Text on one line with single spaces: what a list item or a paragraph can hold.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_needs_words_that_say_what_it_is() {
        assert!(says_enough("Drop the legacy export."));
        assert!(says_enough("I'll tell product."));
        assert!(!says_enough("Go ahead"), "too short");
        assert!(!says_enough("Let's do that."), "one content word");
        assert!(!says_enough("No, it's true, yeah."), "an answer's words");
        assert!(!says_enough("To produce it, yeah"), "an answer's words");
        assert!(says_enough("Go with the right colour."));
        assert!(!says_enough("Tell to get it off my"), "broke off");
        assert!(
            !says_enough(
                "Functionally you're gonna have to intercept so four is a good estimate for"
            ),
            "broke off on a preposition"
        );
        assert!(
            !says_enough("We should go with the shape of a lemon or"),
            "broke off"
        );
        assert!(
            says_enough("Walk them through it"),
            "a pronoun can end a task"
        );
    }

    #[test]
    fn a_title_names_topics_not_people() {
        let transcript = Transcript::new(
            vec![
                crate::transcript::Turn::new("Priya Natarajan", None, None, "hi"),
                crate::transcript::Turn::new("Sam Okafor", None, None, "hello"),
            ],
            crate::transcript::Metadata::new(crate::transcript::Format::Plain),
        );
        let settings = Settings {
            date: Some("2025-11-12".into()),
            ..Settings::default()
        };
        let meeting = Meeting::new(&transcript, &settings).unwrap();
        assert_eq!(
            meeting.topics("Mobile roadmap review"),
            "Mobile roadmap review"
        );
        assert_eq!(
            meeting.topics("Priya and Sam: mobile roadmap and crash rate"),
            "mobile roadmap and crash rate"
        );
        assert_eq!(
            meeting.topics("Priya Natarajan and Sam Okafor"),
            "Meeting notes"
        );
    }

    #[test]
    fn a_request_and_its_acceptance_are_one_task() {
        use crate::transcript::Turn;
        let turns = vec![
            Turn::new("Maria", None, None, "Tom, can you email the beta users?"),
            Turn::new("Tom", None, None, "Sure, I'll email them tomorrow."),
            Turn::new("Maria", None, None, "And I'll book the review."),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        let item = |turn: usize, text: &str, due: Option<&str>| ActionDraft {
            turn,
            owner: "Tom".into(),
            text: text.into(),
            due: due.map(Into::into),
            evidence: None,
        };
        let mut actions = vec![
            item(1, "Email the beta users", None),
            item(2, "Email them tomorrow", Some("tomorrow")),
            item(3, "Book the review", None),
        ];
        join_accepted_requests(&mut actions, &numbered);
        assert_eq!(
            actions,
            [
                item(1, "Email the beta users", Some("tomorrow")),
                item(3, "Book the review", None)
            ]
        );
        // An acceptance whose request has no item of its own stays.
        let mut alone = vec![item(2, "Email them tomorrow", None)];
        join_accepted_requests(&mut alone, &numbered);
        assert_eq!(alone.len(), 1);
        // A second task promised with the acceptance is a task of its own.
        let mut second = vec![
            item(1, "Email the beta users", None),
            item(2, "Report the new numbers at the January review", None),
        ];
        join_accepted_requests(&mut second, &numbered);
        assert_eq!(second.len(), 2);
    }

    #[test]
    fn an_acceptance_that_says_how_is_the_task_kept() {
        use crate::transcript::Turn;
        let turns = vec![
            Turn::new(
                "Rosa",
                None,
                None,
                "Luis, can you lend her two from the evening shift?",
            ),
            Turn::new(
                "Luis",
                None,
                None,
                "Yeah, I can move Dev and Carla over from Monday.",
            ),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        let item = |turn: usize, text: &str, due: Option<&str>| ActionDraft {
            turn,
            owner: "Luis".into(),
            text: text.into(),
            due: due.map(Into::into),
            evidence: None,
        };
        let mut actions = vec![
            item(1, "Lend her two from the evening shift", Some("Monday")),
            item(2, "Move Dev and Carla over from Monday", None),
        ];
        join_accepted_requests(&mut actions, &numbered);
        assert_eq!(
            actions,
            [item(
                2,
                "Move Dev and Carla over from Monday",
                Some("Monday")
            )]
        );
        // Someone else's item at the request stays.
        let mut other = vec![
            ActionDraft {
                owner: "Rosa".into(),
                ..item(1, "Lend her two from the evening shift", None)
            },
            item(2, "Move Dev and Carla over from Monday", None),
        ];
        join_accepted_requests(&mut other, &numbered);
        assert_eq!(other.len(), 2);
    }

    #[test]
    fn a_deadline_must_be_said_near_its_turn() {
        assert!(said_in("by Friday", "i'll send it by friday."));
        assert!(said_in("November 17", "the release is on the 17th? no, 17"));
        assert!(!said_in("Friday", "i'll send it next week"));
    }

    #[test]
    fn a_cut_off_summary_ends_at_its_last_sentence() {
        assert_eq!(
            whole_sentences("They met. They agreed on the case. Dec"),
            "They met. They agreed on the case."
        );
        assert_eq!(whole_sentences("They met."), "They met.");
        assert_eq!(whole_sentences("no sentence end"), "no sentence end");
    }

    #[test]
    fn an_item_cut_at_its_bound_ends_where_a_clause_does() {
        let limit = 60;
        let cut = "The target group is young people. The price limit is twelve,";
        assert_eq!(cut.len() as u64, limit);
        assert_eq!(unclipped(cut, limit), "The target group is young people.");
        let list = "Pricing, the onboarding design, the launch date, a yearly plan";
        assert_eq!(
            unclipped(&list[..59], limit),
            "Pricing, the onboarding design, the launch date…"
        );
        let run_on = "We will keep the rollback plan as it is for the whole quarter ah";
        assert_eq!(
            unclipped(&run_on[..60], limit),
            "We will keep the rollback plan as it is for the whole…"
        );
        // Whole, or short of the bound: as written.
        assert_eq!(
            unclipped("Keep the trial, for now", limit),
            "Keep the trial, for now"
        );
        let whole = "We keep the rollback plan as it is; the launch moves to May.";
        assert_eq!(whole.len() as u64, limit);
        assert_eq!(unclipped(whole, limit), whole);
    }
}
