//! Replay: the answers a [`Traced`](super::trace::Traced) generator recorded, given again
//! for the same prompt. What the pipeline does with answers (grounding, sorting the lists,
//! merging) can then be changed and measured on recorded meetings in seconds instead of
//! the model's minutes. A prompt is the same when its system message, user message and
//! schema are; one the recording lacks (a changed prompt or schema) goes to the model
//! behind.

use std::collections::HashMap;

use serde_json::Value;

use super::generator::{Chat, Generator, Progress, Usage};

/// A recording that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line} of the trace is not a recorded answer: {source}")]
pub struct ReplayError {
    line: usize,
    source: serde_json::Error,
}

/// One line of a trace, as far as replay reads it.
#[derive(serde::Deserialize)]
struct Recorded {
    system: String,
    user: String,
    schema: Value,
    answer: Option<Value>,
}

/// Answers from a recording, else from `inner`.
pub struct Replay<G> {
    inner: G,
    answers: HashMap<(String, String, String), Value>,
    replayed: usize,
}

impl<G: Generator> Replay<G> {
    /// The answers recorded in `trace` (JSON Lines as `recap eval --trace` writes them;
    /// failed calls are skipped), in front of `inner`.
    pub fn from_trace(inner: G, trace: &str) -> Result<Self, ReplayError> {
        let mut answers = HashMap::new();
        for (i, line) in trace.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let recorded: Recorded = serde_json::from_str(line).map_err(|source| ReplayError {
                line: i + 1,
                source,
            })?;
            if let Some(answer) = recorded.answer {
                let key = (recorded.system, recorded.user, recorded.schema.to_string());
                answers.insert(key, answer);
            }
        }
        Ok(Self {
            inner,
            answers,
            replayed: 0,
        })
    }

    /// How many answers the recording holds.
    pub fn recorded(&self) -> usize {
        self.answers.len()
    }

    /// How many answers came from the recording so far.
    pub fn replayed(&self) -> usize {
        self.replayed
    }
}

impl<G: Generator> Generator for Replay<G> {
    fn count_tokens(&self, text: &str) -> usize {
        self.inner.count_tokens(text)
    }

    fn context_length(&self) -> usize {
        self.inner.context_length()
    }

    /// A recorded answer costs nothing: its usage is zero.
    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)> {
        let key = (
            chat.system.to_string(),
            chat.user.to_string(),
            chat.schema.to_string(),
        );
        match self.answers.get(&key) {
            Some(answer) => {
                self.replayed += 1;
                Ok((answer.clone(), Usage::default()))
            }
            None => self.inner.generate_json(chat, progress),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Answers with how many times it was asked.
    struct Counter(usize);

    impl Generator for Counter {
        fn count_tokens(&self, text: &str) -> usize {
            text.len()
        }
        fn context_length(&self) -> usize {
            100
        }
        fn generate_json(
            &mut self,
            _: &Chat<'_>,
            _: &mut dyn FnMut(&Progress),
        ) -> anyhow::Result<(Value, Usage)> {
            self.0 += 1;
            Ok((json!({ "asked": self.0 }), Usage::default()))
        }
    }

    #[test]
    fn recorded_prompts_are_answered_from_the_recording_and_others_by_the_model() {
        let schema = json!({ "type": "object" });
        let trace = [
            json!({ "system": "s", "user": "u1", "schema": schema, "answer": { "recorded": 1 } }),
            json!({ "system": "s", "user": "u2", "schema": schema, "answer": null, "error": "no answer" }),
        ]
        .map(|v| v.to_string())
        .join("\n");
        let mut replay = Replay::from_trace(Counter(0), &trace).unwrap();
        assert_eq!(replay.recorded(), 1, "a failed call records no answer");
        let mut ask = |user: &str, schema: &Value| {
            let chat = Chat {
                system: "s",
                user,
                schema,
                max_tokens: 10,
            };
            replay.generate_json(&chat, &mut |_| {}).unwrap().0
        };
        assert_eq!(ask("u1", &schema), json!({ "recorded": 1 }));
        assert_eq!(ask("u2", &schema), json!({ "asked": 1 }));
        assert_eq!(
            ask("u1", &json!({ "type": "array" })),
            json!({ "asked": 2 }),
            "another schema is another prompt"
        );
        assert_eq!(replay.replayed(), 1);
    }

    #[test]
    fn a_line_that_is_not_a_record_is_named() {
        let err = Replay::from_trace(Counter(0), "\n{\"system\": 1}")
            .err()
            .unwrap();
        assert!(err.to_string().starts_with("line 2 of the trace"), "{err}");
    }
}
