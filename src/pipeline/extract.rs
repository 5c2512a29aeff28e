//! What the model writes: the JSON answers of the extraction passes, before deterministic
//! fields (date, participants, tags, type, person, source) are added.
//!
//! Each chunk of a meeting is read by three focused *passes*, one question each: its
//! action items ([`ActionsAnswer`]), its decisions ([`DecisionsAnswer`]), and its summary,
//! key information and title ([`OverviewAnswer`]). An action item or a decision *cites* the
//! numbered turn it comes from; [`Extract`] gathers the passes of a chunk, or of a whole
//! meeting once the chunks are merged.

use serde::{Deserialize, Serialize};

use super::grounding::Evidence;

/// One action item as the model states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionDraft {
    /// The number of the turn where the task was taken on or given.
    pub turn: usize,
    /// A participant's name or `TBD` as the model writes it; the vault owner's name becomes
    /// `Myself` when the note is assembled.
    pub owner: String,
    pub text: String,
    /// The deadline in the speaker's words ("Friday", "November 17"), resolved against the
    /// meeting's date in code; `None` when none was said.
    #[serde(default)]
    pub due: Option<String>,
    /// Where it was said, once grounded.
    #[serde(default, skip_deserializing)]
    pub evidence: Option<Evidence>,
}

/// One decision as the model states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionDraft {
    /// The number of the turn where it was decided.
    pub turn: usize,
    pub text: String,
    /// Where it was said, once grounded.
    #[serde(default, skip_deserializing)]
    pub evidence: Option<Evidence>,
}

/// The answer of the action-items pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionsAnswer {
    pub action_items: Vec<ActionDraft>,
}

/// The answer of the decisions pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionsAnswer {
    pub decisions: Vec<DecisionDraft>,
}

/// The answer of the overview pass over one chunk (or a meeting that fits in one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OverviewAnswer {
    pub summary: String,
    #[serde(default)]
    pub key_information: Vec<String>,
    /// The topics: a 1:1's title reads `1:1 with <person>: <title>`.
    pub title: String,
}

/// The model's notes on a meeting or on one chunk of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extract {
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub action_items: Vec<ActionDraft>,
    #[serde(default)]
    pub decisions: Vec<DecisionDraft>,
    #[serde(default)]
    pub key_information: Vec<String>,
}

impl Extract {
    /// The three passes' answers as one extract.
    pub fn from_passes(
        actions: ActionsAnswer,
        decisions: DecisionsAnswer,
        overview: OverviewAnswer,
    ) -> Self {
        Self {
            title: overview.title,
            summary: overview.summary,
            action_items: actions.action_items,
            decisions: decisions.decisions,
            key_information: overview.key_information,
        }
    }
}

/// What the merge step asks of the model: a title and a summary over the partial notes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub title: String,
    pub summary: String,
}
