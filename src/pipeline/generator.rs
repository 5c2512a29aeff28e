//! The seam between the pipeline and a language model: a [`Generator`] answers a chat
//! (system + user message) with JSON that satisfies a schema. The real one runs a local
//! model under a grammar constraint; tests use a fake that answers deterministically.

use serde_json::Value;

/// One generation request.
#[derive(Debug, Clone, Copy)]
pub struct Chat<'a> {
    pub system: &'a str,
    pub user: &'a str,
    /// The JSON schema the answer must satisfy.
    pub schema: &'a Value,
    /// The most tokens the answer may take.
    pub max_tokens: usize,
}

/// Progress of one generation, for progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    /// `true` while the prompt is read, `false` once tokens are being written.
    pub prefill: bool,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    /// Tokens per second of the current phase.
    pub tokens_per_second: f64,
}

/// What a generation cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub prompt_tokens: usize,
    /// Prompt tokens served from a cached prefix instead of computed.
    pub cached_tokens: usize,
    pub generated_tokens: usize,
    /// Generated tokens the schema forced, written without a forward pass of their own.
    pub forced_tokens: usize,
    /// Tokens drafted from the prompt and checked in batches, and of those, kept.
    pub drafted_tokens: usize,
    pub accepted_tokens: usize,
    pub prefill_seconds: f64,
    pub decode_seconds: f64,
}

impl Usage {
    /// Adds another call's costs to this one.
    pub fn add(&mut self, other: &Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.cached_tokens += other.cached_tokens;
        self.generated_tokens += other.generated_tokens;
        self.forced_tokens += other.forced_tokens;
        self.drafted_tokens += other.drafted_tokens;
        self.accepted_tokens += other.accepted_tokens;
        self.prefill_seconds += other.prefill_seconds;
        self.decode_seconds += other.decode_seconds;
    }

    /// Prompt tokens computed per second.
    pub fn prefill_rate(&self) -> f64 {
        rate(
            self.prompt_tokens - self.cached_tokens,
            self.prefill_seconds,
        )
    }

    /// Tokens written per second.
    pub fn decode_rate(&self) -> f64 {
        rate(self.generated_tokens, self.decode_seconds)
    }
}

fn rate(tokens: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        tokens as f64 / seconds
    } else {
        0.0
    }
}

/// A language model that answers in schema-valid JSON.
pub trait Generator {
    /// The tokens `text` takes in a prompt.
    fn count_tokens(&self, text: &str) -> usize;

    /// The most tokens prompt and answer may take together.
    fn context_length(&self) -> usize;

    /// Answers `chat` with JSON that validates against `chat.schema`.
    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)>;

    /// Another generator over the same model that can answer at the same time as this
    /// one (a server takes several requests at once), or `None` where answers must be
    /// asked one after another (a local model holds one KV cache).
    fn fork(&self) -> Option<Box<dyn Generator + Send>> {
        None
    }
}
