//! The two seams between the runtime's parts: a causal language model that turns tokens
//! into next-token logits ([`CausalLm`]), and a constraint that forbids tokens
//! ([`LogitMask`]). Generation (sampling, stopping, streaming) is written against these
//! traits, so it is tested with fakes and runs on any architecture.

/// A causal language model with a KV cache.
pub trait CausalLm {
    /// The state of the KV cache, cheap enough to keep one per shared prompt prefix.
    type Snapshot: Clone;

    /// Appends `tokens` to the cache (one batched prefill when there are several) and
    /// returns the logits for the token after the last one, `vocab_size()` values.
    fn forward(&mut self, tokens: &[u32]) -> anyhow::Result<Vec<f32>>;

    /// Appends `tokens` to the cache as [`CausalLm::forward`] does and returns the logits
    /// after each of them: `tokens.len() * vocab_size()` values, row `i` for the token
    /// after `tokens[i]`. Speculative decoding checks a whole draft with one call.
    fn forward_each(&mut self, tokens: &[u32]) -> anyhow::Result<Vec<f32>> {
        let mut all = Vec::with_capacity(tokens.len() * self.vocab_size());
        for &token in tokens {
            all.extend(self.forward(&[token])?);
        }
        Ok(all)
    }

    /// How many tokens the cache holds.
    fn position(&self) -> usize;

    /// The most tokens the model can attend over.
    fn context_length(&self) -> usize;

    fn vocab_size(&self) -> usize;

    /// Captures the cache so a shared prefix is computed once.
    fn snapshot(&self) -> Self::Snapshot;

    /// Returns the cache to a captured state; later `forward` calls continue from it.
    fn restore(&mut self, snapshot: &Self::Snapshot);

    /// Empties the cache.
    fn reset(&mut self);

    /// Keeps the first `len` positions of the cache (at most those held) and drops the
    /// rest: a prompt that shares a prefix with what the cache holds reads only the rest.
    fn truncate(&mut self, len: usize);
}

/// Decides which tokens may come next; used for schema-constrained decoding.
pub trait LogitMask {
    /// Sets the logits of forbidden tokens to negative infinity.
    fn apply(&mut self, logits: &mut [f32]) -> anyhow::Result<()>;

    /// Records the token that was chosen.
    fn commit(&mut self, token: u32) -> anyhow::Result<()>;

    /// True when the constrained output is complete and generation must stop.
    fn is_finished(&self) -> bool;

    /// The tokens that must come next whatever the model prefers (the only continuation
    /// allowed, such as a JSON key), not yet committed; empty where the model has a choice.
    fn forced(&mut self) -> anyhow::Result<Vec<u32>> {
        Ok(Vec::new())
    }
}
