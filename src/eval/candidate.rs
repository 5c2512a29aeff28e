//! The system under test and what it hands back.
//!
//! A [`Summarizer`] turns one [`Meeting`] into a [`Candidate`]: the note's sections as plain
//! text (summary paragraph, action items with their owners, decisions, key information),
//! whether the note it made passed schema validation, and how fast it ran. The extractive
//! baseline ([`super::baseline`]) and the model pipeline both implement it, so one harness
//! scores both.

use serde::{Deserialize, Serialize};

use super::dataset::Meeting;

/// One action item: the task text (without owner, priority or tags) and its owner as the
/// note names it (a participant, `Myself` or `TBD`), if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionItem {
    pub text: String,
    pub owner: Option<String>,
}

/// Token counts and times of the generation behind one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SpeedStats {
    /// Prompt tokens computed (not served from a cached prefix).
    pub prefill_tokens: usize,
    /// Prompt tokens served from a cached prefix.
    #[serde(default)]
    pub reused_tokens: usize,
    pub prefill_seconds: f64,
    pub decode_tokens: usize,
    /// Of `decode_tokens`, those the schema forced (no forward pass of their own).
    #[serde(default)]
    pub forced_tokens: usize,
    /// Tokens drafted from the prompt and checked in batches, and of those, kept.
    #[serde(default)]
    pub drafted_tokens: usize,
    #[serde(default)]
    pub accepted_tokens: usize,
    pub decode_seconds: f64,
}

impl SpeedStats {
    /// Prompt tokens processed per second; `None` when no time was spent.
    pub fn prefill_tok_s(&self) -> Option<f64> {
        (self.prefill_seconds > 0.0).then(|| self.prefill_tokens as f64 / self.prefill_seconds)
    }

    /// Generated tokens per second; `None` when no time was spent.
    pub fn decode_tok_s(&self) -> Option<f64> {
        (self.decode_seconds > 0.0).then(|| self.decode_tokens as f64 / self.decode_seconds)
    }
}

/// What the system under test produced for one meeting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Candidate {
    pub summary: String,
    pub actions: Vec<ActionItem>,
    pub decisions: Vec<String>,
    pub key_information: Vec<String>,
    /// Whether the rendered note passed schema validation; `None` when the system makes
    /// no note (the baseline).
    pub schema_valid: Option<bool>,
    /// Generation speed; `None` when the system runs no model.
    pub speed: Option<SpeedStats>,
    /// Where each action item and decision was said, as the pipeline grounded it (empty
    /// for the baseline).
    #[serde(default)]
    pub evidence: Vec<CitedItem>,
}

/// An action item or decision with the turn it was grounded in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitedItem {
    /// `action` or `decision`.
    pub kind: String,
    pub text: String,
    pub evidence: Option<crate::pipeline::grounding::Evidence>,
}

/// A system that summarizes meetings: the baseline, or the model pipeline.
pub trait Summarizer {
    /// A short name for reports, e.g. `baseline` or the model's name.
    fn name(&self) -> String;

    /// Summarizes one meeting.
    fn summarize(&mut self, meeting: &Meeting) -> anyhow::Result<Candidate>;

    /// The seconds the meeting took when the candidate was made earlier (a saved report);
    /// `None` when [`Summarizer::summarize`] does the work and the harness times it.
    fn recorded_seconds(&self, _meeting: &Meeting) -> Option<f64> {
        None
    }
}
