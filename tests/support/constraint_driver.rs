//! A stand-in for a language model when testing constrained decoding: a seeded random
//! number generator gives every token a random logit (plus an optional bias), the mask is
//! applied, and the highest allowed logit wins, i.e. a uniformly random allowed token.

use recap::llm::LogitMask;

/// splitmix64: small, seeded, good enough to pick tokens.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Generates until the mask says the output is finished (or `max_steps` tokens), each
/// step picking the allowed token with the highest `random + bias(token)` logit.
/// Returns the committed tokens.
pub fn drive(
    mask: &mut impl LogitMask,
    logits_len: usize,
    rng: &mut Rng,
    bias: &dyn Fn(u32) -> f32,
    max_steps: usize,
) -> anyhow::Result<Vec<u32>> {
    let mut tokens = Vec::new();
    let mut logits = vec![0f32; logits_len];
    while !mask.is_finished() {
        anyhow::ensure!(
            tokens.len() < max_steps,
            "not finished after {max_steps} tokens"
        );
        for (i, l) in logits.iter_mut().enumerate() {
            *l = rng.next_f32() + bias(i as u32);
        }
        mask.apply(&mut logits)?;
        let (best, score) =
            logits
                .iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |acc, (i, &l)| {
                        if l > acc.1 {
                            (i, l)
                        } else {
                            acc
                        }
                    },
                );
        anyhow::ensure!(score.is_finite(), "the mask allowed no token");
        mask.commit(best as u32)?;
        tokens.push(best as u32);
    }
    Ok(tokens)
}
