//! The generation loop: prompt tokens in, the model's reply out.
//!
//! Terms: *prefill* feeds the whole prompt to the model in one batched call; *decode* then
//! feeds back one chosen token at a time. A *stop token* (the model's end-of-turn or EOS
//! token) ends the reply and is not part of it. An optional [`LogitMask`] (constrained
//! decoding) forbids tokens before each choice and may declare the output complete.
//! Speeds are tokens per second: prefill counts prompt tokens over the prefill call,
//! decode counts single-token model calls over the time spent after prefill.

use std::time::{Duration, Instant};

use super::lm::{CausalLm, LogitMask};
use super::sampler::{Sampler, SamplingError, SamplingOptions};
use super::tokenizer::Tokenizer;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationOptions {
    /// The most tokens to generate (stop tokens not counted).
    pub max_tokens: usize,
    pub sampling: SamplingOptions,
    /// Tokens that end the reply, usually [`Tokenizer::end_of_turn_tokens`].
    pub stop_tokens: Vec<u32>,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The model chose this stop token.
    StopToken(u32),
    /// The constraint declared its output complete.
    MaskFinished,
    /// `max_tokens` were generated.
    TokenLimit,
    /// The model's context is full.
    ContextFull,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::StopToken(id) => write!(f, "end of turn (token {id})"),
            StopReason::MaskFinished => f.write_str("constraint complete"),
            StopReason::TokenLimit => f.write_str("token limit"),
            StopReason::ContextFull => f.write_str("context full"),
        }
    }
}

/// Where generation stands, passed to the streaming callback after each token.
#[derive(Debug)]
pub struct Progress<'a> {
    /// The tokens generated so far.
    pub tokens: &'a [u32],
    /// The text the latest token completed (empty while a character is split).
    pub text_delta: &'a str,
    pub prompt_tokens: usize,
    pub max_tokens: usize,
    pub prefill_tok_per_s: f64,
    /// Decode speed so far (0 before the first single-token call).
    pub decode_tok_per_s: f64,
}

/// The reply and how it was produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The generated tokens, without the stop token.
    pub tokens: Vec<u32>,
    pub text: String,
    pub stop_reason: StopReason,
    pub prompt_tokens: usize,
    pub prefill_time: Duration,
    pub decode_time: Duration,
    pub prefill_tok_per_s: f64,
    pub decode_tok_per_s: f64,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error("the prompt is {prompt} tokens but the model's context holds {context}\nhint: use smaller chunks")]
    PromptTooLong { prompt: usize, context: usize },
    #[error("the model returned {got} logits, expected {expected}")]
    LogitCount { got: usize, expected: usize },
    #[error(transparent)]
    Sampling(#[from] SamplingError),
    #[error("model: {0:#}")]
    Model(anyhow::Error),
    #[error("constraint: {0:#}")]
    Mask(anyhow::Error),
    #[error("tokenizer: {0}")]
    Tokenizer(#[from] super::tokenizer::TokenizerError),
}

fn rate(tokens: usize, time: Duration) -> f64 {
    let secs = time.as_secs_f64();
    if tokens == 0 || secs <= 0.0 {
        0.0
    } else {
        tokens as f64 / secs
    }
}

/// Generates a reply to `prompt` (tokens appended to whatever the model's cache holds):
/// one batched prefill, then token by token until a stop token, the mask finishing, the
/// token limit or a full context. `on_token` sees every generated token.
pub fn generate<M: CausalLm>(
    model: &mut M,
    tokenizer: &Tokenizer,
    prompt: &[u32],
    options: &GenerationOptions,
    mut mask: Option<&mut dyn LogitMask>,
    on_token: &mut dyn FnMut(&Progress),
) -> Result<Generation, GenerateError> {
    if prompt.is_empty() {
        return Err(GenerateError::EmptyPrompt);
    }
    let context = model.context_length();
    if model.position() + prompt.len() > context {
        return Err(GenerateError::PromptTooLong {
            prompt: model.position() + prompt.len(),
            context,
        });
    }
    let mut sampler = Sampler::new(options.sampling.clone())?;
    let vocab = model.vocab_size();
    let check = |logits: Vec<f32>| -> Result<Vec<f32>, GenerateError> {
        if logits.len() == vocab {
            Ok(logits)
        } else {
            Err(GenerateError::LogitCount {
                got: logits.len(),
                expected: vocab,
            })
        }
    };

    let start = Instant::now();
    let mut logits = check(model.forward(prompt).map_err(GenerateError::Model)?)?;
    let prefill_time = start.elapsed();
    let prefill_tok_per_s = rate(prompt.len(), prefill_time);
    let decode_start = Instant::now();
    let mut decode_calls = 0usize;

    let mut history = prompt.to_vec();
    let mut generated = Vec::new();
    let mut stream = tokenizer.stream_decoder();
    let mut text = String::new();
    let stop_reason = loop {
        if generated.len() >= options.max_tokens {
            break StopReason::TokenLimit;
        }
        if let Some(mask) = mask.as_deref_mut() {
            if mask.is_finished() {
                break StopReason::MaskFinished;
            }
            mask.apply(&mut logits).map_err(GenerateError::Mask)?;
        }
        let token = sampler.sample(&mut logits, &history)?;
        if options.stop_tokens.contains(&token) {
            break StopReason::StopToken(token);
        }
        if let Some(mask) = mask.as_deref_mut() {
            mask.commit(token).map_err(GenerateError::Mask)?;
        }
        history.push(token);
        generated.push(token);
        let delta = stream.push(token);
        text.push_str(&delta);
        on_token(&Progress {
            tokens: &generated,
            text_delta: &delta,
            prompt_tokens: prompt.len(),
            max_tokens: options.max_tokens,
            prefill_tok_per_s,
            decode_tok_per_s: rate(decode_calls, decode_start.elapsed()),
        });
        if generated.len() >= options.max_tokens {
            break StopReason::TokenLimit;
        }
        if mask.as_deref().is_some_and(|m| m.is_finished()) {
            break StopReason::MaskFinished;
        }
        if model.position() >= context {
            break StopReason::ContextFull;
        }
        logits = check(model.forward(&[token]).map_err(GenerateError::Model)?)?;
        decode_calls += 1;
    };
    text.push_str(&stream.finish());
    let decode_time = decode_start.elapsed();
    Ok(Generation {
        tokens: generated,
        text,
        stop_reason,
        prompt_tokens: prompt.len(),
        prefill_time,
        decode_time,
        prefill_tok_per_s,
        decode_tok_per_s: rate(decode_calls, decode_time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::tokenizer::tests::toy;

    /// A model whose next token is scripted by position: after the prompt it "wants"
    /// `script[i]` as the i-th generated token (logit 10), with token 5 the runner-up
    /// (logit 9) everywhere. Records the batch size of every call.
    struct FakeLm {
        vocab: usize,
        prompt_len: usize,
        script: Vec<u32>,
        position: usize,
        context: usize,
        calls: Vec<usize>,
    }

    impl FakeLm {
        fn new(vocab: usize, prompt_len: usize, script: &[u32]) -> Self {
            Self {
                vocab,
                prompt_len,
                script: script.to_vec(),
                position: 0,
                context: 4096,
                calls: Vec::new(),
            }
        }
    }

    impl CausalLm for FakeLm {
        type Snapshot = usize;

        fn forward(&mut self, tokens: &[u32]) -> anyhow::Result<Vec<f32>> {
            self.calls.push(tokens.len());
            self.position += tokens.len();
            let step = self.position - self.prompt_len;
            let mut logits = vec![0.0; self.vocab];
            logits[5] = 9.0;
            if let Some(&t) = self.script.get(step) {
                logits[t as usize] = 10.0;
            }
            Ok(logits)
        }
        fn position(&self) -> usize {
            self.position
        }
        fn context_length(&self) -> usize {
            self.context
        }
        fn vocab_size(&self) -> usize {
            self.vocab
        }
        fn snapshot(&self) -> usize {
            self.position
        }
        fn restore(&mut self, s: &usize) {
            self.position = *s;
        }
        fn reset(&mut self) {
            self.position = 0;
        }
        fn truncate(&mut self, len: usize) {
            self.position = self.position.min(len);
        }
    }

    /// A mask that forbids `forbidden` and finishes after `finish_after` commits.
    struct FakeMask {
        forbidden: Vec<u32>,
        finish_after: usize,
        committed: Vec<u32>,
        applied: usize,
    }

    impl LogitMask for FakeMask {
        fn apply(&mut self, logits: &mut [f32]) -> anyhow::Result<()> {
            self.applied += 1;
            for &t in &self.forbidden {
                logits[t as usize] = f32::NEG_INFINITY;
            }
            Ok(())
        }
        fn commit(&mut self, token: u32) -> anyhow::Result<()> {
            self.committed.push(token);
            Ok(())
        }
        fn is_finished(&self) -> bool {
            self.committed.len() >= self.finish_after
        }
    }

    const H: u32 = 3 + b'h' as u32; // The toy vocabulary: 3 specials, then bytes.
    const I: u32 = 3 + b'i' as u32;
    const BANG: u32 = 3 + b'!' as u32;
    const IM_END: u32 = 2;

    fn options(max_tokens: usize) -> GenerationOptions {
        GenerationOptions {
            max_tokens,
            sampling: SamplingOptions::greedy(),
            stop_tokens: vec![IM_END],
        }
    }

    fn run(
        model: &mut FakeLm,
        opts: &GenerationOptions,
        mask: Option<&mut dyn LogitMask>,
    ) -> (Generation, Vec<(usize, String)>) {
        let tok = toy();
        let mut seen = Vec::new();
        let g = generate(model, &tok, &[1, H], opts, mask, &mut |p| {
            seen.push((p.tokens.len(), p.text_delta.to_string()));
        })
        .unwrap();
        (g, seen)
    }

    #[test]
    fn stops_on_the_end_of_turn_token_after_one_prefill() {
        let mut model = FakeLm::new(300, 2, &[H, I, BANG, IM_END, H]);
        let (g, seen) = run(&mut model, &options(100), None);
        assert_eq!(g.tokens, [H, I, BANG]);
        assert_eq!(g.text, "hi!");
        assert_eq!(g.stop_reason, StopReason::StopToken(IM_END));
        assert_eq!(g.prompt_tokens, 2);
        assert_eq!(
            model.calls,
            [2, 1, 1, 1],
            "one batched prefill, then one per token"
        );
        assert_eq!(seen, [(1, "h".into()), (2, "i".into()), (3, "!".into())]);
        assert!(g.prefill_tok_per_s > 0.0 && g.decode_tok_per_s > 0.0);
    }

    #[test]
    fn stops_at_the_token_limit_without_an_extra_forward() {
        let mut model = FakeLm::new(300, 2, &[H, I, H, I, H, I]);
        let (g, _) = run(&mut model, &options(4), None);
        assert_eq!(g.tokens, [H, I, H, I]);
        assert_eq!(g.stop_reason, StopReason::TokenLimit);
        assert_eq!(model.calls, [2, 1, 1, 1]);
        let (g, _) = run(&mut FakeLm::new(300, 2, &[H]), &options(0), None);
        assert_eq!((g.tokens.len(), g.stop_reason), (0, StopReason::TokenLimit));
    }

    #[test]
    fn mask_is_applied_and_its_end_stops_generation() {
        let mut model = FakeLm::new(300, 2, &[H, I, H, I, H]);
        let mut mask = FakeMask {
            forbidden: vec![I],
            finish_after: 3,
            committed: vec![],
            applied: 0,
        };
        let (g, _) = run(&mut model, &options(100), Some(&mut mask));
        // Where the model wants `i`, the mask forbids it and the runner-up (5) wins.
        assert_eq!(g.tokens, [H, 5, H]);
        assert_eq!(mask.committed, g.tokens);
        assert_eq!(mask.applied, 3);
        assert_eq!(g.stop_reason, StopReason::MaskFinished);
        assert_eq!(
            model.calls,
            [2, 1, 1],
            "no forward after the mask is complete"
        );
    }

    #[test]
    fn a_mask_that_forbids_everything_is_an_error() {
        let mut model = FakeLm::new(8, 2, &[3]);
        let mut mask = FakeMask {
            forbidden: (0..8).collect(),
            finish_after: 9,
            committed: vec![],
            applied: 0,
        };
        let tok = toy();
        let err = generate(
            &mut model,
            &tok,
            &[1, 2],
            &options(5),
            Some(&mut mask),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("every logit is -inf"), "{err}");
    }

    #[test]
    fn context_full_and_prompt_too_long() {
        let mut model = FakeLm::new(300, 2, &[H, I, H, I, H, I]);
        model.context = 4;
        let (g, _) = run(&mut model, &options(100), None);
        // The cache fills with the prompt and two fed tokens; the third is still chosen.
        assert_eq!(g.tokens, [H, I, H]);
        assert_eq!(g.stop_reason, StopReason::ContextFull);
        assert_eq!(model.calls, [2, 1, 1]);

        let mut model = FakeLm::new(300, 2, &[H]);
        model.context = 1;
        let tok = toy();
        let err = generate(&mut model, &tok, &[1, H], &options(5), None, &mut |_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the prompt is 2 tokens but the model's context holds 1\nhint: use smaller chunks"
        );
        let err = generate(&mut model, &tok, &[], &options(5), None, &mut |_| {}).unwrap_err();
        assert!(matches!(err, GenerateError::EmptyPrompt));
    }

    #[test]
    fn seeded_sampling_is_reproducible() {
        // A flat model: every step is a draw from the same distribution.
        let sample = |seed| {
            let mut model = FakeLm::new(300, 2, &[]);
            let mut opts = options(30);
            opts.sampling = SamplingOptions::seeded(20.0, 1.0, seed);
            opts.stop_tokens.clear();
            run(&mut model, &opts, None).0.tokens
        };
        assert_eq!(sample(9), sample(9));
        assert_ne!(sample(9), sample(10));
    }

    #[test]
    fn repetition_penalty_breaks_a_loop() {
        // The model always wants `h` (10) with 5 as runner-up (9): greedy repeats `h`.
        let mut model = FakeLm::new(300, 2, &[H; 10]);
        let (g, _) = run(&mut model, &options(4), None);
        assert_eq!(g.tokens, [H; 4]);
        // A penalty of 1.2 makes `h` (already in the prompt) 10/1.2 = 8.3 < 9, so 5 comes
        // first; once 5 is in the window too it drops to 9/1.2 = 7.5 and `h` is back.
        let mut model = FakeLm::new(300, 2, &[H; 10]);
        let mut opts = options(4);
        opts.sampling.repetition_penalty = 1.2;
        let (g, _) = run(&mut model, &opts, None);
        assert_eq!(g.tokens, [5, H, H, H]);
    }

    #[test]
    fn split_characters_stream_once_complete() {
        let crab = "🦀".as_bytes();
        let ids: Vec<u32> = crab.iter().map(|&b| 3 + u32::from(b)).collect();
        let mut script = ids.clone();
        script.push(IM_END);
        let mut model = FakeLm::new(300, 2, &script);
        let (g, seen) = run(&mut model, &options(10), None);
        assert_eq!(g.text, "🦀");
        let deltas: Vec<&str> = seen.iter().map(|(_, d)| d.as_str()).collect();
        assert_eq!(deltas, ["", "", "", "🦀"]);
    }
}
