//! The real pipeline as a [`Summarizer`]: each evaluation meeting goes through the same
//! `summarize` as `recap summarize`, with the same model and prompts, and its note is
//! scored. Speakers are named by their role in the scenario ("Project Manager"), as the
//! references name them; the dataset has no dates, so a fixed one is given.

use std::path::PathBuf;

use crate::pipeline::generator::Generator;
use crate::pipeline::prompts::Prompts;
use crate::pipeline::summarize::{summarize, Settings};
use crate::transcript::{Format, Metadata, Transcript, Turn};

use super::candidate::{ActionItem, Candidate, CitedItem, SpeedStats, Summarizer};
use super::dataset::Meeting;

/// The date given to evaluation meetings, which have none.
const EVAL_DATE: &str = "2005-01-01";

/// Runs meetings through the pipeline with `generator`.
pub struct PipelineSummarizer<G: Generator> {
    name: String,
    generator: G,
    prompts: Prompts,
    settings: Settings,
}

impl<G: Generator> PipelineSummarizer<G> {
    pub fn new(name: String, generator: G, prompts: Prompts, mut settings: Settings) -> Self {
        settings.date = Some(EVAL_DATE.to_string());
        Self {
            name,
            generator,
            prompts,
            settings,
        }
    }
}

/// The meeting as a transcript, speakers named by role where the dataset gives one.
pub fn transcript_of(meeting: &Meeting) -> Transcript {
    let turns = meeting.transcript.iter().map(|u| {
        let speaker = u
            .role
            .clone()
            .or_else(|| meeting.speaker_roles.get(&u.speaker).cloned())
            .unwrap_or_else(|| format!("Speaker {}", u.speaker));
        Turn::new(speaker, Some(u.start), Some(u.end), u.text.clone())
    });
    let mut metadata = Metadata::new(Format::Plain);
    metadata.source = Some(PathBuf::from(format!("{}.txt", meeting.id)));
    Transcript::new(turns.collect::<Vec<_>>(), metadata)
}

impl<G: Generator> Summarizer for PipelineSummarizer<G> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn summarize(&mut self, meeting: &Meeting) -> anyhow::Result<Candidate> {
        let transcript = transcript_of(meeting);
        let source_ref = format!("{}.txt", meeting.id);
        let summary = summarize(
            &transcript,
            &source_ref,
            &self.settings,
            &self.prompts,
            &mut self.generator,
            &mut |_, _| {},
        )?;
        let evidence = summary
            .extract
            .action_items
            .iter()
            .map(|a| CitedItem {
                kind: "action".into(),
                text: a.text.clone(),
                evidence: a.evidence.clone(),
            })
            .chain(summary.extract.decisions.iter().map(|d| CitedItem {
                kind: "decision".into(),
                text: d.text.clone(),
                evidence: d.evidence.clone(),
            }))
            .collect();
        let note = summary.note;
        let usage = summary.usage;
        Ok(Candidate {
            summary: note.summary,
            actions: note
                .action_items
                .into_iter()
                .map(|a| ActionItem {
                    text: a.text,
                    owner: Some(a.owner),
                })
                .collect(),
            decisions: note.decisions,
            key_information: note.key_information,
            // `summarize` returns only notes that passed the validator.
            schema_valid: Some(true),
            speed: Some(SpeedStats {
                prefill_tokens: usage.prompt_tokens - usage.cached_tokens,
                reused_tokens: usage.cached_tokens,
                prefill_seconds: usage.prefill_seconds,
                decode_tokens: usage.generated_tokens,
                forced_tokens: usage.forced_tokens,
                drafted_tokens: usage.drafted_tokens,
                accepted_tokens: usage.accepted_tokens,
                decode_seconds: usage.decode_seconds,
            }),
            evidence,
        })
    }
}
