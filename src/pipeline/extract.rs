//! What the model writes: the JSON a generation call returns, before deterministic fields
//! (date, participants, tags, type, person, source) are added. An *extract* covers either a
//! whole meeting or one chunk of it.

use serde::{Deserialize, Serialize};

/// One action item as the model states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDraft {
    pub text: String,
    /// A participant's name, `Myself` or `TBD`: the schema allows nothing else.
    pub owner: String,
    /// `highest`, `high`, `medium`, `low` or `lowest`.
    #[serde(default)]
    pub priority: Option<String>,
    /// `YYYY-MM-DD`, only when a date was said.
    #[serde(default)]
    pub due: Option<String>,
}

/// The model's notes on a meeting or on one chunk of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extract {
    /// The topics: a 1:1's title reads `1:1 with <person>: <title>`.
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub action_items: Vec<ActionDraft>,
    #[serde(default)]
    pub decisions: Vec<String>,
    #[serde(default)]
    pub key_information: Vec<String>,
}

/// What the merge step asks of the model: a title and a summary over the partial notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub title: String,
    pub summary: String,
}
