//! The [`Generator`] that runs a local GGUF model: the chat template renders the prompt,
//! the tokenizer turns it into tokens, the model reads them (reusing the KV cache of a
//! prompt prefix it has already read), and decoding runs under a JSON-schema constraint
//! so the answer always parses and validates.
//!
//! *Prefix reuse*: the generator remembers which tokens its KV cache holds (the last
//! prompt and the answer written after it). A new prompt that starts with some of them
//! keeps that part of the cache and reads only the rest: the passes over one chunk share
//! the system prompt and the chunk's transcript, so the transcript is read once, and
//! every prompt shares at least the system prompt with the one before it. Nothing is
//! copied: the cache is cut back to the shared length.

use std::path::Path;

use anyhow::Context as _;
use candle_core::quantized::gguf_file;
use serde_json::Value;

use crate::llm::chat_template::{ChatTemplate, Message};
use crate::llm::generate::{generate, GenerationOptions, StopReason};
use crate::llm::lookup::PromptLookup;
use crate::llm::sampler::SamplingOptions;
use crate::llm::tokenizer::Tokenizer;
use crate::llm::{
    CausalLm, ConstraintOptions, GgufModel, JsonConstraint, LoadOptions, Scripts, Vocabulary,
    Whitespace,
};

use super::generator::{Chat, Generator, Progress, Usage};

/// Draft tokens checked per forward pass unless the config says otherwise.
pub const DEFAULT_DRAFT_TOKENS: usize = 2;

/// A local model ready to answer in JSON.
pub struct LocalGenerator {
    model: GgufModel,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    vocab: Vocabulary,
    sampling: SamplingOptions,
    /// The tokens whose keys and values the model's cache holds, in order.
    held: Vec<u32>,
    /// Whether forced tokens skip their own forward pass ([`GenerationOptions`]).
    fast_forward: bool,
    /// Draft tokens checked per pass (speculative decoding from the prompt); 0 for none.
    draft_tokens: usize,
}

impl LocalGenerator {
    /// Loads the model, tokenizer and chat template from one GGUF file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let mut file = std::fs::File::open(path)
            .with_context(|| format!("cannot open model {}", path.display()))?;
        let content = gguf_file::Content::read(&mut file)
            .with_context(|| format!("{} is not a readable GGUF file", path.display()))?;
        let tokenizer = Tokenizer::from_gguf(&content)
            .with_context(|| format!("cannot build the tokenizer of {}", path.display()))?;
        let template = ChatTemplate::from_gguf(&content)
            .with_context(|| format!("cannot read the chat template of {}", path.display()))?;
        drop(content);
        let model = GgufModel::load(path, LoadOptions::default())?;

        // Logits past the tokenizer's vocabulary (padding rows) are masked by the constraint.
        let vocab = Vocabulary::from_tokenizer(&tokenizer)?;
        Ok(Self {
            model,
            tokenizer,
            template,
            vocab,
            // Greedy, with a mild penalty on repeats: small models otherwise loop on a
            // phrase until a length bound stops them.
            sampling: SamplingOptions {
                repetition_penalty: 1.1,
                ..SamplingOptions::greedy()
            },
            held: Vec::new(),
            fast_forward: true,
            draft_tokens: DEFAULT_DRAFT_TOKENS,
        })
    }

    /// How answers are decoded: whether the tokens the schema forces are written without a
    /// forward pass each, and how many tokens drafted from the prompt are checked per pass
    /// (0: none). Neither changes what is written beyond the tokenization of forced text.
    pub fn set_decoding(&mut self, fast_forward: bool, draft_tokens: usize) {
        self.fast_forward = fast_forward;
        self.draft_tokens = draft_tokens;
    }

    /// The loaded model, for reporting its size and type.
    pub fn model(&self) -> &GgufModel {
        &self.model
    }

    /// Positions the cache for `prompt`: keeps the longest prefix of it that the cache
    /// holds, so only the rest is computed. Returns that prefix's length.
    fn prepare(&mut self, prompt: &[u32]) -> usize {
        let shared = self
            .held
            .iter()
            .zip(prompt)
            .take_while(|(a, b)| a == b)
            .count()
            .min(self.model.position())
            // Keep at least one token to feed, so the model returns fresh logits.
            .min(prompt.len().saturating_sub(1));
        self.model.truncate(shared);
        self.held.truncate(shared);
        shared
    }
}

impl Generator for LocalGenerator {
    fn count_tokens(&self, text: &str) -> usize {
        self.tokenizer.count(text)
    }

    fn context_length(&self) -> usize {
        self.model.context_length()
    }

    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)> {
        let messages = [Message::system(chat.system), Message::user(chat.user)];
        let text = self.template.render(&messages, true)?;
        let prompt = self.tokenizer.encode(&text, false)?;

        let start = self.prepare(&prompt);

        // Compact JSON: whitespace between tokens would only spend the answer's budget.
        // Strings keep to the scripts the prompt is written in: a multilingual model
        // otherwise drifts into Chinese mid-word on an English meeting.
        let compact = ConstraintOptions {
            whitespace: Whitespace::Compact,
            scripts: Some(Scripts::of(&text)),
        };
        let mut constraint = JsonConstraint::with_options(chat.schema, &self.vocab, &compact)?;
        let options = GenerationOptions {
            max_tokens: chat.max_tokens,
            sampling: self.sampling.clone(),
            stop_tokens: self.vocab.eos().to_vec(),
            fast_forward: self.fast_forward,
            draft_tokens: self.draft_tokens,
        };
        // Drafts are looked up in everything the model reads, the cached transcript too.
        let mut lookup = PromptLookup::new(&prompt);
        let prompt_tokens = prompt.len();
        let generation = generate(
            &mut self.model,
            &self.tokenizer,
            &prompt[start..],
            &options,
            Some(&mut constraint),
            Some(&mut lookup),
            &mut |p| {
                progress(&Progress {
                    prefill: p.tokens.is_empty(),
                    prompt_tokens,
                    generated_tokens: p.tokens.len(),
                    tokens_per_second: if p.tokens.is_empty() {
                        p.prefill_tok_per_s
                    } else {
                        p.decode_tok_per_s
                    },
                })
            },
        );
        // Whatever happened, the cache holds a prefix of the prompt and the answer.
        self.held.extend_from_slice(&prompt[start..]);
        if let Ok(g) = &generation {
            self.held.extend_from_slice(&g.tokens);
        }
        self.held.truncate(self.model.position());
        let generation = generation?;
        let answer = String::from_utf8_lossy(constraint.output()).into_owned();
        if generation.stop_reason == StopReason::TokenLimit {
            let tail: String = answer
                .chars()
                .rev()
                .take(160)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            anyhow::bail!(
                "the answer was cut off at {} tokens before its JSON was complete; it ended: {tail:?}",
                chat.max_tokens
            );
        }
        let value: Value = serde_json::from_str(answer.trim())
            .with_context(|| format!("the model's answer is not JSON: {answer}"))?;
        let usage = Usage {
            prompt_tokens,
            cached_tokens: start,
            generated_tokens: generation.tokens.len(),
            forced_tokens: generation.forced_tokens,
            drafted_tokens: generation.drafted_tokens,
            accepted_tokens: generation.accepted_tokens,
            prefill_seconds: generation.prefill_time.as_secs_f64(),
            decode_seconds: generation.decode_time.as_secs_f64(),
        };
        Ok((value, usage))
    }
}
