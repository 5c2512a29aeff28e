//! The generation loop: prompt tokens in, the model's reply out.
//!
//! Terms: *prefill* feeds the whole prompt to the model in one batched call; *decode* then
//! feeds back one chosen token at a time. A *stop token* (the model's end-of-turn or EOS
//! token) ends the reply and is not part of it. An optional [`LogitMask`] (constrained
//! decoding) forbids tokens before each choice and may declare the output complete.
//! A *draft* is a guess at the next few tokens ([`PromptLookup`]), read in one batch and
//! kept as far as the model agrees with it.
//! Speeds are tokens per second: prefill counts prompt tokens over the prefill call,
//! decode counts the tokens written over the time spent after prefill.

use std::time::{Duration, Instant};

use super::lm::{CausalLm, LogitMask};
use super::lookup::PromptLookup;
use super::sampler::{Sampler, SamplingError, SamplingOptions};
use super::tokenizer::{StreamDecoder, Tokenizer};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationOptions {
    /// The most tokens to generate (stop tokens not counted).
    pub max_tokens: usize,
    pub sampling: SamplingOptions,
    /// Tokens that end the reply, usually [`Tokenizer::end_of_turn_tokens`].
    pub stop_tokens: Vec<u32>,
    /// Whether tokens the mask forces are written without a forward pass each.
    pub fast_forward: bool,
    /// The most draft tokens checked per forward pass in speculative (greedy) decoding;
    /// 0 decodes without drafts.
    pub draft_tokens: usize,
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
    /// Decode speed so far, tokens written per second (0 during the prefill).
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
    /// Generated tokens the mask forced, written without the model choosing them.
    pub forced_tokens: usize,
    /// Draft tokens checked, and of those, kept (see [`generate`]).
    pub drafted_tokens: usize,
    pub accepted_tokens: usize,
    /// Forward passes after the prefill.
    pub decode_calls: usize,
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

/// Draft tokens and the tokens read before them fit one batch below this size: there a
/// batch takes the decoding kernels row by row, which give each row exactly the logits it
/// would get alone (larger batches take the int8 GEMM, whose sums round differently).
const SPECULATION_BATCH: usize = crate::llm::matmul::DENSE_MIN_ROWS - 1;

/// Generates a reply to `prompt` (tokens appended to whatever the model's cache holds):
/// one batched prefill, then token by token until a stop token, the mask finishing, the
/// token limit or a full context. `on_token` sees every generated token.
///
/// With [`GenerationOptions::fast_forward`], tokens the mask forces (the only continuation
/// it allows, such as a JSON key and its quotes) are written without asking the model and
/// read with the next chosen token in one batch: one forward pass for the whole run.
///
/// With [`GenerationOptions::draft_tokens`] and a `lookup` (whose context is everything the
/// model has read, cached prefix included), greedy decoding is *speculative*: after each
/// chosen token a draft from the lookup is read in the same batch, and every draft token
/// the model would have chosen itself is kept. The reply is the one plain greedy decoding
/// gives; fewer forward passes make it.
pub fn generate<M: CausalLm>(
    model: &mut M,
    tokenizer: &Tokenizer,
    prompt: &[u32],
    options: &GenerationOptions,
    mask: Option<&mut dyn LogitMask>,
    lookup: Option<&mut PromptLookup>,
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
    let speculate = options.draft_tokens > 0 && options.sampling.is_greedy();
    let mut d = Decoding {
        sampler: Sampler::new(options.sampling.clone())?,
        model,
        mask,
        lookup: lookup.filter(|_| speculate),
        options,
        on_token,
        history: prompt.to_vec(),
        tokens: Vec::new(),
        text: String::new(),
        stream: tokenizer.stream_decoder(),
        prompt_tokens: prompt.len(),
        prefill_tok_per_s: 0.0,
        decode_start: Instant::now(),
        forced_tokens: 0,
        drafted_tokens: 0,
        accepted_tokens: 0,
        decode_calls: 0,
    };

    let start = Instant::now();
    // The prompt, and any tokens forced at the reply's start, in one prefill.
    let mut feed = prompt.to_vec();
    feed.extend(d.write_forced(prompt.len())?);
    let mut logits = d.read(&feed)?;
    let prefill_time = start.elapsed();
    d.prefill_tok_per_s = rate(prompt.len(), prefill_time);
    d.decode_start = Instant::now();

    let stop_reason = 'decode: loop {
        let token = match d.choose(&mut logits)? {
            Ok(token) => token,
            Err(stop) => break stop,
        };
        d.commit(token)?;
        let mut feed = vec![token];
        feed.extend(d.write_forced(1)?);
        // Read what was written (and a draft after it) to get the next logits.
        loop {
            if let Some(stop) = d.must_stop(feed.len()) {
                break 'decode stop;
            }
            let draft = d.draft(feed.len());
            if draft.is_empty() {
                logits = d.read(&feed)?;
                d.decode_calls += 1;
                break;
            }
            let (accepted, next) = d.check_draft(&feed, &draft)?;
            logits = next;
            d.decode_calls += 1;
            // Tokens forced after the kept draft are read before the next choice.
            feed = if accepted > 0 {
                d.write_forced(0)?
            } else {
                Vec::new()
            };
            if feed.is_empty() {
                break;
            }
        }
    };
    let decode_time = d.decode_start.elapsed();
    let mut text = d.text;
    text.push_str(&d.stream.finish());
    Ok(Generation {
        decode_tok_per_s: rate(d.tokens.len(), decode_time),
        tokens: d.tokens,
        text,
        stop_reason,
        prompt_tokens: prompt.len(),
        forced_tokens: d.forced_tokens,
        drafted_tokens: d.drafted_tokens,
        accepted_tokens: d.accepted_tokens,
        decode_calls: d.decode_calls,
        prefill_time,
        decode_time,
        prefill_tok_per_s: d.prefill_tok_per_s,
    })
}

/// One reply being generated: what the steps of [`generate`] share.
struct Decoding<'a, 'm, M> {
    model: &'a mut M,
    mask: Option<&'a mut (dyn LogitMask + 'm)>,
    lookup: Option<&'a mut PromptLookup>,
    options: &'a GenerationOptions,
    sampler: Sampler,
    on_token: &'a mut dyn FnMut(&Progress),
    /// The prompt and the reply so far (what the repetition penalty looks at).
    history: Vec<u32>,
    tokens: Vec<u32>,
    text: String,
    stream: StreamDecoder<'a>,
    prompt_tokens: usize,
    prefill_tok_per_s: f64,
    decode_start: Instant,
    forced_tokens: usize,
    drafted_tokens: usize,
    accepted_tokens: usize,
    decode_calls: usize,
}

impl<M: CausalLm> Decoding<'_, '_, M> {
    /// Appends `feed` to the model's cache and returns the logits after it.
    fn read(&mut self, feed: &[u32]) -> Result<Vec<f32>, GenerateError> {
        let logits = self.model.forward(feed).map_err(GenerateError::Model)?;
        self.check_rows(&logits, 1)?;
        Ok(logits)
    }

    /// Fails unless `logits` holds `rows` rows of the vocabulary's width.
    fn check_rows(&self, logits: &[f32], rows: usize) -> Result<(), GenerateError> {
        let expected = rows * self.model.vocab_size();
        if logits.len() == expected {
            Ok(())
        } else {
            Err(GenerateError::LogitCount {
                got: logits.len(),
                expected,
            })
        }
    }

    /// How many more tokens may be written and read after `pending` unread ones: what the
    /// token limit and the cache leave.
    fn room(&self, pending: usize) -> usize {
        (self.options.max_tokens - self.tokens.len()).min(
            self.model
                .context_length()
                .saturating_sub(self.model.position() + pending),
        )
    }

    /// Why generation ends before `pending` more tokens are read, if it does.
    fn must_stop(&self, pending: usize) -> Option<StopReason> {
        if self.tokens.len() >= self.options.max_tokens {
            Some(StopReason::TokenLimit)
        } else if self.mask.as_deref().is_some_and(|m| m.is_finished()) {
            Some(StopReason::MaskFinished)
        } else if self.model.position() + pending > self.model.context_length() {
            Some(StopReason::ContextFull)
        } else {
            None
        }
    }

    /// The token the model chooses from `logits` under the mask, or why there is none.
    fn choose(&mut self, logits: &mut [f32]) -> Result<Result<u32, StopReason>, GenerateError> {
        if self.tokens.len() >= self.options.max_tokens {
            return Ok(Err(StopReason::TokenLimit));
        }
        if let Some(mask) = self.mask.as_deref_mut() {
            if mask.is_finished() {
                return Ok(Err(StopReason::MaskFinished));
            }
            mask.apply(logits).map_err(GenerateError::Mask)?;
        }
        let token = self.sampler.sample(logits, &self.history)?;
        if self.options.stop_tokens.contains(&token) {
            return Ok(Err(StopReason::StopToken(token)));
        }
        Ok(Ok(token))
    }

    /// Commits a chosen token to the mask and writes it.
    fn commit(&mut self, token: u32) -> Result<(), GenerateError> {
        if let Some(mask) = self.mask.as_deref_mut() {
            mask.commit(token).map_err(GenerateError::Mask)?;
        }
        self.write(token);
        Ok(())
    }

    /// Adds `token` to the reply and tells the caller.
    fn write(&mut self, token: u32) {
        self.history.push(token);
        self.tokens.push(token);
        if let Some(lookup) = self.lookup.as_deref_mut() {
            lookup.push(token);
        }
        let delta = self.stream.push(token);
        self.text.push_str(&delta);
        (self.on_token)(&Progress {
            tokens: &self.tokens,
            text_delta: &delta,
            prompt_tokens: self.prompt_tokens,
            max_tokens: self.options.max_tokens,
            prefill_tok_per_s: self.prefill_tok_per_s,
            decode_tok_per_s: rate(self.tokens.len(), self.decode_start.elapsed()),
        });
    }

    /// Commits and writes the tokens the mask forces next (with fast-forward on), as many
    /// as the limit and the cache leave room for beside `pending` unread tokens, and
    /// returns them: the model must read them before its next choice.
    fn write_forced(&mut self, pending: usize) -> Result<Vec<u32>, GenerateError> {
        let room = self.room(pending);
        let Some(mask) = self
            .mask
            .as_deref_mut()
            .filter(|_| self.options.fast_forward)
        else {
            return Ok(Vec::new());
        };
        let mut forced = mask.forced().map_err(GenerateError::Mask)?;
        forced.truncate(room);
        for &token in &forced {
            mask.commit(token).map_err(GenerateError::Mask)?;
        }
        for &token in &forced {
            self.write(token);
        }
        self.forced_tokens += forced.len();
        Ok(forced)
    }

    /// A draft to read after `pending` tokens: empty when not speculating, when the lookup
    /// has none, or when there is no room for one.
    fn draft(&self, pending: usize) -> Vec<u32> {
        let Some(lookup) = self.lookup.as_deref() else {
            return Vec::new();
        };
        let room = self
            .options
            .draft_tokens
            .min(SPECULATION_BATCH.saturating_sub(pending))
            .min(self.room(pending));
        lookup.draft(room)
    }

    /// Reads `feed` and `draft` in one batch and keeps the draft's tokens up to the first
    /// the model would not have chosen (or one after which the mask forces tokens, which
    /// are written as fast-forward writes them). Returns how many were kept and the
    /// logits after the last token kept; the cache holds `feed` and the kept tokens.
    fn check_draft(
        &mut self,
        feed: &[u32],
        draft: &[u32],
    ) -> Result<(usize, Vec<f32>), GenerateError> {
        let vocab = self.model.vocab_size();
        let at = self.model.position();
        let batch: Vec<u32> = feed.iter().chain(draft).copied().collect();
        let rows = self
            .model
            .forward_each(&batch)
            .map_err(GenerateError::Model)?;
        self.check_rows(&rows, batch.len())?;
        let row = |i: usize| rows[i * vocab..(i + 1) * vocab].to_vec();
        self.drafted_tokens += draft.len();
        let mut kept = 0;
        for &drafted in draft {
            let mut logits = row(feed.len() - 1 + kept);
            if self.choose(&mut logits)? != Ok(drafted) {
                break;
            }
            self.commit(drafted)?;
            kept += 1;
            let forces = match self.mask.as_deref_mut() {
                Some(mask) if self.options.fast_forward => {
                    !mask.forced().map_err(GenerateError::Mask)?.is_empty()
                }
                _ => false,
            };
            if forces {
                break;
            }
        }
        self.accepted_tokens += kept;
        self.model.truncate(at + feed.len() + kept);
        Ok((kept, row(feed.len() - 1 + kept)))
    }
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

    /// A mask that forbids `forbidden` and finishes after `finish_after` commits; after
    /// `n` commits it forces the tokens `forcing` lists for `n`.
    struct FakeMask {
        forbidden: Vec<u32>,
        finish_after: usize,
        committed: Vec<u32>,
        applied: usize,
        forcing: Vec<(usize, Vec<u32>)>,
    }

    impl FakeMask {
        fn forbidding(forbidden: Vec<u32>, finish_after: usize) -> Self {
            Self {
                forbidden,
                finish_after,
                committed: vec![],
                applied: 0,
                forcing: vec![],
            }
        }
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
        fn forced(&mut self) -> anyhow::Result<Vec<u32>> {
            let n = self.committed.len();
            Ok(self
                .forcing
                .iter()
                .find(|(at, _)| *at == n)
                .map(|(_, tokens)| tokens.clone())
                .unwrap_or_default())
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
            fast_forward: true,
            draft_tokens: 0,
        }
    }

    fn run(
        model: &mut FakeLm,
        opts: &GenerationOptions,
        mask: Option<&mut dyn LogitMask>,
    ) -> (Generation, Vec<(usize, String)>) {
        let tok = toy();
        let mut seen = Vec::new();
        let g = generate(model, &tok, &[1, H], opts, mask, None, &mut |p| {
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
        let mut mask = FakeMask::forbidding(vec![I], 3);
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
    fn forced_tokens_are_read_in_one_batch_with_the_chosen_one() {
        let script = [H, I, BANG, IM_END];
        let forcing = || FakeMask {
            forcing: vec![(1, vec![I, BANG])],
            ..FakeMask::forbidding(vec![], 99)
        };
        let mut model = FakeLm::new(300, 2, &script);
        let mut mask = forcing();
        let (g, seen) = run(&mut model, &options(100), Some(&mut mask));
        assert_eq!(g.tokens, [H, I, BANG]);
        assert_eq!(g.text, "hi!");
        assert_eq!(g.stop_reason, StopReason::StopToken(IM_END));
        assert_eq!((g.forced_tokens, g.decode_calls), (2, 1));
        assert_eq!(
            model.calls,
            [2, 3],
            "`h` and the two tokens it forces, at once"
        );
        assert_eq!(mask.committed, g.tokens);
        assert_eq!(
            mask.applied, 2,
            "no choice is asked of the model where it has none"
        );
        assert_eq!(seen, [(1, "h".into()), (2, "i".into()), (3, "!".into())]);

        // Off, the same tokens come one forward pass each.
        let mut model = FakeLm::new(300, 2, &script);
        let mut mask = forcing();
        let mut opts = options(100);
        opts.fast_forward = false;
        let (g, _) = run(&mut model, &opts, Some(&mut mask));
        assert_eq!(g.tokens, [H, I, BANG]);
        assert_eq!(
            (g.forced_tokens, model.calls.as_slice()),
            (0, &[2, 1, 1, 1][..])
        );
    }

    #[test]
    fn tokens_forced_at_the_start_join_the_prefill_and_respect_the_limit() {
        let mut model = FakeLm::new(300, 2, &[H, I, BANG, H, IM_END]);
        let mut mask = FakeMask {
            forcing: vec![(0, vec![H, I]), (3, vec![H, H, H])],
            ..FakeMask::forbidding(vec![], 99)
        };
        let (g, _) = run(&mut model, &options(4), Some(&mut mask));
        // `hi` is forced, the model picks `!`, then only one of the three forced `h` fits.
        assert_eq!(g.tokens, [H, I, BANG, H]);
        assert_eq!(g.forced_tokens, 3);
        assert_eq!(g.stop_reason, StopReason::TokenLimit);
        assert_eq!(model.calls, [4], "prompt and forced start in one prefill");
    }

    #[test]
    fn a_draft_is_kept_as_far_as_the_model_agrees_and_the_reply_is_unchanged() {
        let script = [H, I, BANG, H, IM_END];
        let (plain, _) = run(&mut FakeLm::new(300, 2, &script), &options(100), None);
        // The context says "h i ! 9": after the reply's "h i" it drafts "! 9 h i".
        let mut lookup = PromptLookup::new(&[7, H, I, BANG, 9]);
        let mut opts = options(100);
        opts.draft_tokens = 4;
        let mut model = FakeLm::new(300, 2, &script);
        let g = generate(
            &mut model,
            &toy(),
            &[1, H],
            &opts,
            None,
            Some(&mut lookup),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(g.tokens, plain.tokens);
        assert_eq!(g.tokens, [H, I, BANG, H]);
        assert_eq!(
            (g.drafted_tokens, g.accepted_tokens),
            (4, 1),
            "`!` kept, `9` not"
        );
        assert_eq!((g.decode_calls, plain.decode_calls), (3, 4));
        assert_eq!(model.position(), 2 + 4, "the rejected draft left the cache");
    }

    #[test]
    fn a_mask_that_forbids_everything_is_an_error() {
        let mut model = FakeLm::new(8, 2, &[3]);
        let mut mask = FakeMask::forbidding((0..8).collect(), 9);
        let tok = toy();
        let err = generate(
            &mut model,
            &tok,
            &[1, 2],
            &options(5),
            Some(&mut mask),
            None,
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
        let err = generate(
            &mut model,
            &tok,
            &[1, H],
            &options(5),
            None,
            None,
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the prompt is 2 tokens but the model's context holds 1\nhint: use smaller chunks"
        );
        let err =
            generate(&mut model, &tok, &[], &options(5), None, None, &mut |_| {}).unwrap_err();
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
