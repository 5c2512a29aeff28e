//! The summarizing pipeline against a fake generator that answers with deterministic,
//! schema-valid JSON: deterministic fields of 1:1s and meetings, chunking and merging of a
//! long meeting, thin and junk input, dates, and regenerate keeping a person's edits.

use std::path::Path;

use serde_json::{json, Value};

use recap::note::{self, Note};
use recap::pipeline::generator::{Chat, Generator, Progress, Usage};
use recap::pipeline::prompts::Prompts;
use recap::pipeline::regenerate::carry_over;
use recap::pipeline::summarize::{summarize, Settings, Stage, SummarizeError, Summary};
use recap::transcript::{self, Format, Metadata, Transcript, Turn};

const ROADMAP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/transcripts/2025-11-12 - Roadmap check-in.vtt"
);
/// A long meeting (96 turns, 1,436 words) written for the tests: several chunks at a
/// small context.
const LONG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/meetings/launch-review.zoom.vtt"
);

/// An item every chunk reports, so the merge must drop the repeats.
const SHARED_ACTION: &str = "Circulate the notes of this meeting to everyone";
/// A decision every chunk reports, worded slightly differently after the first chunk.
const SHARED_DECISION: [&str; 2] = [
    "Keep the weekly status format.",
    "keep the weekly status format",
];

/// One request the fake answered.
#[derive(Debug, Clone)]
struct Call {
    user: String,
    schema: Value,
    /// The merge step's request (title and summary only).
    overview: bool,
}

/// Answers deterministically from the user message: a title and a summary quoting the
/// transcript's first words, one action item per line saying "I'll" (owned by the speaker
/// when the schema allows it, else `Myself`, else `TBD`), plus an item, a decision and a
/// fact of its own so duplicates across chunks can be checked. Every answer is checked
/// against the schema it was asked for.
struct FakeGenerator {
    context: usize,
    calls: Vec<Call>,
    /// Writes the action items in reverse order (a regenerated note's items move).
    reverse: bool,
}

impl FakeGenerator {
    fn new(context: usize) -> Self {
        Self {
            context,
            calls: Vec::new(),
            reverse: false,
        }
    }
}

/// The `Speaker: text` lines after the prompt's `Transcript…:` line.
fn transcript_lines(user: &str) -> Vec<(String, String)> {
    user.lines()
        .skip_while(|l| !l.starts_with("Transcript"))
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .map(|(s, t)| (s.to_string(), t.to_string()))
        .collect()
}

fn first_words(text: &str, n: usize) -> String {
    text.split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

fn truncate(text: &str, max: Option<u64>) -> String {
    match max {
        Some(max) => text.chars().take(max as usize).collect(),
        None => text.to_string(),
    }
}

impl Generator for FakeGenerator {
    fn count_tokens(&self, text: &str) -> usize {
        text.chars()
            .count()
            .div_ceil(4)
            .max(text.split_whitespace().count())
    }

    fn context_length(&self) -> usize {
        self.context
    }

    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)> {
        let props = &chat.schema["properties"];
        let overview = props.get("action_items").is_none();
        let answer = if overview {
            let parts = chat.user.lines().filter(|l| l.starts_with("Part ")).count();
            json!({
                "title": "Kick-off of the remote control project",
                "summary": format!("Merged from {parts} parts."),
            })
        } else {
            let lines = transcript_lines(chat.user);
            assert!(!lines.is_empty(), "no transcript in {:?}", chat.user);
            let owners: Vec<&str> = props["action_items"]["items"]["properties"]["owner"]["enum"]
                .as_array()
                .expect("an owner enum")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let text_max =
                props["action_items"]["items"]["properties"]["text"]["maxLength"].as_u64();
            let mut actions = vec![
                json!({ "text": SHARED_ACTION, "owner": "TBD", "priority": null, "due": null }),
            ];
            let mut said: Vec<Value> = lines
                .iter()
                .filter_map(|(speaker, text)| {
                    let at = text.find("I'll ")?;
                    let rest = &text[at + "I'll ".len()..];
                    let task = rest.split(['.', '?', '!']).next().unwrap_or(rest).trim();
                    let owner = [speaker.as_str(), note::OWNER_MYSELF, note::OWNER_TBD]
                        .into_iter()
                        .find(|o| owners.contains(o))
                        .unwrap_or(note::OWNER_TBD);
                    Some(json!({ "text": truncate(task, text_max), "owner": owner, "priority": null, "due": null }))
                })
                .collect();
            if self.reverse {
                said.reverse();
            }
            actions.extend(said);
            if let Some(max) = props["action_items"]["maxItems"].as_u64() {
                actions.truncate(max as usize);
            }
            let first = &lines[0].1;
            let decision = SHARED_DECISION[usize::from(self.calls.iter().any(|c| !c.overview))];
            json!({
                "title": format!("About {}", first_words(first, 3)),
                "summary": truncate(
                    &format!("The meeting opened with \"{}\".", first_words(first, 6)),
                    props["summary"]["maxLength"].as_u64(),
                ),
                "action_items": actions,
                "decisions": [decision],
                "key_information": [format!("A part opening \"{}\" has {} turns.", first_words(first, 5), lines.len())],
            })
        };
        let validator = jsonschema::validator_for(chat.schema).expect("the schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&answer)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "the fake's answer {answer} fails: {errors:?}"
        );
        self.calls.push(Call {
            user: chat.user.to_string(),
            schema: chat.schema.clone(),
            overview,
        });
        let usage = Usage {
            prompt_tokens: self.count_tokens(chat.system) + self.count_tokens(chat.user),
            generated_tokens: self.count_tokens(&answer.to_string()),
            ..Usage::default()
        };
        progress(&Progress {
            prefill: false,
            prompt_tokens: usage.prompt_tokens,
            generated_tokens: usage.generated_tokens,
            tokens_per_second: 0.0,
        });
        Ok((answer, usage))
    }
}

fn settings(me: Option<&str>) -> Settings {
    Settings {
        me: me.map(str::to_string),
        ..Settings::default()
    }
}

fn run(
    transcript: &Transcript,
    settings: &Settings,
    generator: &mut FakeGenerator,
) -> (Result<Summary, SummarizeError>, Vec<Stage>) {
    let prompts = Prompts::load(None).unwrap();
    let mut stages = Vec::new();
    let result = summarize(
        transcript,
        "/vault/Transcripts/meeting.vtt",
        settings,
        &prompts,
        generator,
        &mut |stage, _| {
            if stages.last() != Some(&stage) {
                stages.push(stage);
            }
        },
    );
    (result, stages)
}

/// Errors of the rendered note, as the validator reports them.
fn errors(note: &Note) -> Vec<String> {
    note::validate(
        &note.render(),
        Path::new("note.md"),
        &note::Rules::default(),
    )
    .into_iter()
    .filter(|d| d.severity == note::Severity::Error)
    .map(|d| d.to_string())
    .collect()
}

fn in_memory(turns: &[(&str, &str)], date: Option<&str>) -> Transcript {
    let mut metadata = Metadata::new(Format::Plain);
    metadata.date = date.map(|d| recap::date::Date::parse(d).unwrap());
    Transcript::new(
        turns.iter().map(|(s, t)| Turn::new(*s, None, None, *t)),
        metadata,
    )
}

const BUDGET_TALK: &str = "We went through the budget for the new office, agreed to cut travel by ten percent, and looked at the hiring plan for the first quarter of next year.";

#[test]
fn a_one_to_one_is_a_people_note_with_the_other_person() {
    let transcript = transcript::read_path(Path::new(ROADMAP), None).unwrap();
    let mut fake = FakeGenerator::new(2400);
    let (result, stages) = run(&transcript, &settings(Some("Priya Natarajan")), &mut fake);
    let summary = result.unwrap();
    assert_eq!(summary.chunks, 1);
    assert_eq!(stages, [Stage::Map { part: 1, parts: 1 }]);
    assert_eq!(fake.calls.len(), 1);

    let call = &fake.calls[0];
    assert!(call.user.contains("Priya Natarajan: Morning, Sam."));
    assert_eq!(
        call.schema["properties"]["action_items"]["items"]["properties"]["owner"]["enum"],
        json!(["Sam Okafor", "Myself", "TBD"])
    );

    let note = &summary.note;
    let fm = &note.frontmatter;
    assert_eq!(fm.note_type, "people");
    assert_eq!(fm.person, "Sam Okafor");
    assert_eq!(fm.title, "1:1 with Sam Okafor: About Morning, Sam. Thanks");
    assert_eq!(fm.date, "2025-11-12");
    assert_eq!(fm.participants, ["Priya Natarajan", "Sam Okafor"]);
    assert_eq!(fm.source, "transcript");
    assert_eq!(fm.source_ref, "/vault/Transcripts/meeting.vtt");
    assert_eq!(fm.tags, ["type/people", "person/sam-okafor", "generated"]);
    assert_eq!(
        note.summary,
        "The meeting opened with \"Morning, Sam. Thanks for making time.\"."
    );
    let items: Vec<(&str, &str, char)> = note
        .action_items
        .iter()
        .map(|i| (i.text.as_str(), i.owner.as_str(), i.status))
        .collect();
    assert_eq!(
        items,
        [
            (SHARED_ACTION, "TBD", '?'),
            (
                "tell the billing team today so nobody is surprised",
                "Myself",
                '?'
            ),
            ("send them a note this afternoon", "Myself", '?'),
            (
                "write it by Wednesday evening and share it with you first",
                "Sam Okafor",
                '?'
            ),
        ]
    );
    assert_eq!(errors(note), Vec::<String>::new());
}

#[test]
fn a_long_meeting_is_chunked_every_chunk_read_and_duplicates_merged() {
    let transcript = transcript::read_path(Path::new(LONG), None).unwrap();
    let settings = Settings {
        date: Some("2025-03-04".into()),
        ..settings(None)
    };
    let mut fake = FakeGenerator::new(2400);
    let (result, stages) = run(&transcript, &settings, &mut fake);
    let summary = result.unwrap();

    let maps: Vec<&Call> = fake.calls.iter().filter(|c| !c.overview).collect();
    let parts = maps.len();
    assert!(parts >= 3, "{parts} chunks");
    assert_eq!(summary.chunks, parts);
    assert_eq!(
        fake.calls.len(),
        parts + 1,
        "one reduce call after the maps"
    );
    assert!(fake.calls.last().unwrap().overview);
    let mut expected: Vec<Stage> = (1..=parts).map(|part| Stage::Map { part, parts }).collect();
    expected.push(Stage::Reduce);
    assert_eq!(stages, expected);
    for (i, call) in maps.iter().enumerate() {
        assert!(
            call.user
                .contains(&format!("Transcript, part {} of {parts}:", i + 1)),
            "{}",
            call.user
        );
    }

    // Every turn is sent, in some chunk.
    for turn in &transcript.turns {
        let line = format!("{}: {}", turn.speaker, turn.text);
        assert!(
            maps.iter().any(|c| c.user.contains(&line)),
            "turn never sent: {line}"
        );
    }
    // The reduce call sees every chunk's notes.
    let reduce = &fake.calls.last().unwrap().user;
    for i in 1..=parts {
        assert!(reduce.contains(&format!("Part {i}: About ")), "{reduce}");
    }

    let note = &summary.note;
    assert_eq!(note.frontmatter.note_type, "meeting");
    assert_eq!(note.frontmatter.person, "");
    assert_eq!(note.frontmatter.date, "2025-03-04");
    assert_eq!(
        note.frontmatter.title,
        "Kick-off of the remote control project"
    );
    assert_eq!(note.summary, format!("Merged from {parts} parts."));
    // Every chunk wrote the shared item and decision: the note has each once.
    let shared = note
        .action_items
        .iter()
        .filter(|i| i.text == SHARED_ACTION)
        .count();
    assert_eq!(shared, 1);
    assert_eq!(note.decisions, [SHARED_DECISION[0]]);
    assert_eq!(note.key_information.len(), parts);
    // Without `me`, an "I'll" is owned by its speaker, a participant.
    let participants = &note.frontmatter.participants;
    assert!(note.action_items.len() > 1);
    assert!(note.action_items[1..]
        .iter()
        .all(|i| participants.contains(&i.owner)));
    assert_eq!(errors(note), Vec::<String>::new());
}

#[test]
fn thin_input_and_hallucination_loops_are_rejected_without_asking_the_model() {
    let hint = "\nhint: lower `min_words` in the config file to summarize it anyway";
    let thin = in_memory(
        &[("Ana", "Hello?"), ("Bo", "Yes, hi. [inaudible]")],
        Some("2025-11-07"),
    );
    let mut fake = FakeGenerator::new(2400);
    let (result, _) = run(&thin, &settings(None), &mut fake);
    assert_eq!(
        result.unwrap_err().to_string(),
        format!("not summarized: the transcript has only 3 words (at least 40 are needed to write a note){hint}")
    );

    let mut turns = vec![(
        "Ana",
        "We should ship the beta next week and ask Ana for the numbers.",
    )];
    for i in 0..30 {
        turns.push((if i % 2 == 0 { "Bo" } else { "Ana" }, "Thank you."));
    }
    let looped = in_memory(&turns, Some("2025-11-07"));
    let (result, _) = run(&looped, &settings(None), &mut fake);
    assert_eq!(
        result.unwrap_err().to_string(),
        format!("not summarized: the transcript is mostly one phrase repeated (30 of 31 sentences are \"thank you\"), which speech recognisers produce over silence{hint}")
    );
    assert!(
        fake.calls.is_empty(),
        "the model was asked: {:?}",
        fake.calls
    );
}

#[test]
fn a_date_is_needed_and_a_bad_one_is_refused() {
    let undated = in_memory(&[("Ana", BUDGET_TALK), ("Bo", BUDGET_TALK)], None);
    let mut fake = FakeGenerator::new(2400);
    let (result, _) = run(&undated, &settings(None), &mut fake);
    let err = result.unwrap_err();
    assert!(matches!(err, SummarizeError::NoDate), "{err:?}");
    assert_eq!(
        err.to_string(),
        "no meeting date found in the transcript, its header or its file name\nhint: pass --date YYYY-MM-DD"
    );

    let bad = Settings {
        date: Some("2025-02-30".into()),
        ..settings(None)
    };
    let (result, _) = run(&undated, &bad, &mut fake);
    assert_eq!(
        result.unwrap_err().to_string(),
        "--date \"2025-02-30\" is not a calendar date in the form YYYY-MM-DD"
    );
    assert!(fake.calls.is_empty());

    let given = Settings {
        date: Some("2025-02-28".into()),
        ..settings(None)
    };
    let (result, _) = run(&undated, &given, &mut fake);
    assert_eq!(result.unwrap().note.frontmatter.date, "2025-02-28");
}

#[test]
fn three_people_make_a_meeting_note_without_a_person() {
    let transcript = in_memory(
        &[
            ("Ana", BUDGET_TALK),
            ("Bo", "Fine by me. I'll send the travel numbers by Friday."),
            ("Cy", BUDGET_TALK),
        ],
        Some("2025-11-07"),
    );
    let mut fake = FakeGenerator::new(2400);
    let (result, _) = run(&transcript, &settings(Some("Ana")), &mut fake);
    let note = result.unwrap().note;
    let fm = &note.frontmatter;
    assert_eq!(fm.note_type, "meeting");
    assert_eq!(fm.person, "");
    assert_eq!(fm.title, "About We went through");
    assert_eq!(fm.participants, ["Ana", "Bo", "Cy"]);
    assert_eq!(fm.tags, ["type/meeting", "generated"]);
    assert_eq!(
        fake.calls[0].schema["properties"]["action_items"]["items"]["properties"]["owner"]["enum"],
        json!(["Bo", "Cy", "Myself", "TBD"])
    );
    assert_eq!(
        note.action_items[1].text,
        "send the travel numbers by Friday"
    );
    assert_eq!(note.action_items[1].owner, "Bo");
    assert_eq!(errors(&note), Vec::<String>::new());

    // --type overrides the detected type.
    let forced = Settings {
        note_type: Some("people".into()),
        ..settings(Some("Ana"))
    };
    let (result, _) = run(&transcript, &forced, &mut fake);
    assert_eq!(result.unwrap().note.frontmatter.note_type, "people");
}

#[test]
fn a_note_type_must_be_configured() {
    let transcript = in_memory(
        &[("Ana", BUDGET_TALK), ("Bo", BUDGET_TALK)],
        Some("2025-11-07"),
    );
    let standup = Settings {
        note_type: Some("standup".into()),
        ..settings(None)
    };
    let mut fake = FakeGenerator::new(2400);
    let (result, _) = run(&transcript, &standup, &mut fake);
    assert_eq!(
        result.unwrap_err().to_string(),
        "note type \"standup\" is not configured\nhint: use one of `people`, `meeting`; add others to `note_types` in the config file"
    );
    assert!(fake.calls.is_empty());

    let mut rules = note::Rules::default();
    rules.note_types.push("standup".into());
    let configured = Settings { rules, ..standup };
    let (result, _) = run(&transcript, &configured, &mut fake);
    let note = result.unwrap().note;
    assert_eq!(note.frontmatter.note_type, "standup");
    assert_eq!(note.frontmatter.tags, ["type/standup", "generated"]);
    // The note passes the validator configured with the same types, and only that one.
    let rendered = note.render();
    let errors_under = |rules: &note::Rules| {
        note::validate(&rendered, Path::new("note.md"), rules)
            .into_iter()
            .filter(|d| d.severity == note::Severity::Error)
            .count()
    };
    assert_eq!(errors_under(&configured.rules), 0);
    assert_eq!(errors_under(&note::Rules::default()), 1);
}

#[test]
fn regenerate_keeps_a_ticked_item_a_user_tag_and_a_user_section() {
    let transcript = transcript::read_path(Path::new(ROADMAP), None).unwrap();
    let me = settings(Some("Priya Natarajan"));
    let (first, _) = run(&transcript, &me, &mut FakeGenerator::new(2400));
    let text = first.unwrap().note.render();

    // What a person does to the note: tick the second item, add a tag and a section.
    let ticked_text = "send them a note this afternoon";
    let edited = text
        .replace(
            &format!("- [?] {ticked_text}"),
            &format!("- [x] {ticked_text}"),
        )
        .replace(
            "  - \"generated\"\n",
            "  - \"generated\"\n  - \"project/mobile\"\n",
        )
        .replace(
            "\n---\n\n*Source:",
            "\n## My notes\n\nAsk Sam whether Lena needs help.\n\n---\n\n*Source:",
        );
    assert_ne!(edited, text);
    let old = Note::parse(&edited).unwrap();
    assert_eq!(
        old.action_items
            .iter()
            .filter(|i| i.status == 'x')
            .map(|i| i.text.as_str())
            .collect::<Vec<_>>(),
        [ticked_text]
    );

    let mut fake = FakeGenerator::new(2400);
    fake.reverse = true;
    let (fresh, _) = run(&transcript, &me, &mut fake);
    let fresh = fresh.unwrap().note;
    assert!(fresh.action_items.iter().all(|i| i.status == '?'));
    let kept = carry_over(&old, fresh);

    let statuses: Vec<(char, &str)> = kept
        .action_items
        .iter()
        .map(|i| (i.status, i.text.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ('?', SHARED_ACTION),
            (
                '?',
                "write it by Wednesday evening and share it with you first"
            ),
            ('x', ticked_text),
            ('?', "tell the billing team today so nobody is surprised"),
        ]
    );
    assert_eq!(
        kept.frontmatter.tags,
        [
            "type/people",
            "person/sam-okafor",
            "generated",
            "project/mobile"
        ]
    );
    let rendered = kept.render();
    assert!(
        rendered.contains("## My notes\n\nAsk Sam whether Lena needs help.\n"),
        "{rendered}"
    );
    assert!(rendered.contains(&format!("- [x] {ticked_text} @Myself")));
    assert_eq!(errors(&kept), Vec::<String>::new());
    // Rendering and reading back gives the same note.
    assert_eq!(Note::parse(&rendered).unwrap(), kept);
}
