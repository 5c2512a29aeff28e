//! The [`Generator`] that runs a local GGUF model: the chat template renders the prompt,
//! the tokenizer turns it into tokens, the model reads them (reusing the KV cache of a
//! prompt prefix it has already read), and decoding runs under a JSON-schema constraint
//! so the answer always parses and validates.
//!
//! *Prefix reuse*: the prompts of one meeting's chunks start with the same instructions.
//! When a prompt shares a long prefix with the previous one, the cache is rebuilt up to
//! that prefix once and snapshotted; later prompts that start with it restore the snapshot
//! and read only what follows.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use candle_core::quantized::gguf_file;
use serde_json::Value;

use crate::llm::chat_template::{ChatTemplate, Message};
use crate::llm::generate::{generate, GenerationOptions, StopReason};
use crate::llm::sampler::SamplingOptions;
use crate::llm::tokenizer::Tokenizer;
use crate::llm::{
    CausalLm, ConstraintOptions, GgufModel, JsonConstraint, LoadOptions, Vocabulary, Whitespace,
};

use super::generator::{Chat, Generator, Progress, Usage};

/// A shared prefix shorter than this is not worth a snapshot.
const MIN_PREFIX: usize = 64;

/// A local model ready to answer in JSON.
pub struct LocalGenerator {
    model: GgufModel,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    vocab: Vocabulary,
    sampling: SamplingOptions,
    /// The tokens of the snapshotted prefix and the cache holding them.
    prefix: Option<(Vec<u32>, <GgufModel as CausalLm>::Snapshot)>,
    /// The previous prompt, to find the prefix the next one shares.
    last_prompt: Vec<u32>,
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
            prefix: None,
            last_prompt: Vec::new(),
        })
    }

    /// The loaded model, for reporting its size and type.
    pub fn model(&self) -> &GgufModel {
        &self.model
    }

    /// Positions the cache for `prompt`. Returns how many of its tokens the cache holds
    /// now, and how many of those came from the snapshot rather than being computed.
    fn prepare(&mut self, prompt: &[u32]) -> anyhow::Result<(usize, usize)> {
        if let Some((tokens, snapshot)) = &self.prefix {
            if prompt.len() > tokens.len() && prompt.starts_with(tokens) {
                self.model.restore(snapshot);
                return Ok((tokens.len(), tokens.len()));
            }
        }
        self.model.reset();
        let shared = self
            .last_prompt
            .iter()
            .zip(prompt)
            .take_while(|(a, b)| a == b)
            .count();
        // Keep at least one token to feed, so the model returns fresh logits.
        let shared = shared.min(prompt.len().saturating_sub(1));
        if shared >= MIN_PREFIX {
            self.model.forward(&prompt[..shared])?;
            self.prefix = Some((prompt[..shared].to_vec(), self.model.snapshot()));
            return Ok((shared, 0));
        }
        Ok((0, 0))
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

        let started = Instant::now();
        let (start, cached) = self.prepare(&prompt)?;
        let warmup = started.elapsed().as_secs_f64();
        self.last_prompt.clone_from(&prompt);

        // Compact JSON: whitespace between tokens would only spend the answer's budget.
        let compact = ConstraintOptions {
            whitespace: Whitespace::Compact,
        };
        let mut constraint = JsonConstraint::with_options(chat.schema, &self.vocab, &compact)?;
        let options = GenerationOptions {
            max_tokens: chat.max_tokens,
            sampling: self.sampling.clone(),
            stop_tokens: self.vocab.eos().to_vec(),
        };
        let prompt_tokens = prompt.len();
        let generation = generate(
            &mut self.model,
            &self.tokenizer,
            &prompt[start..],
            &options,
            Some(&mut constraint),
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
        )?;
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
            cached_tokens: cached,
            generated_tokens: generation.tokens.len(),
            prefill_seconds: warmup + generation.prefill_time.as_secs_f64(),
            decode_seconds: generation.decode_time.as_secs_f64(),
        };
        Ok((value, usage))
    }
}
