//! Choosing the next token from the model's logits.
//!
//! Terms: *greedy* decoding takes the highest logit (temperature 0). *Sampling* draws from
//! the softmax of the logits divided by the *temperature*; *top-p* (nucleus) keeps only the
//! most likely tokens whose probabilities add up to `top_p`. The *repetition penalty*
//! makes tokens seen in the last `repeat_last_n` tokens less likely (a positive logit is
//! divided by it, a negative one multiplied, as in llama.cpp and Hugging Face). Sampling is
//! driven by a seeded SplitMix64 generator of our own, so a seed gives the same tokens on
//! every machine and every version of every dependency.

/// How to choose tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingOptions {
    /// 0 means greedy.
    pub temperature: f32,
    /// Nucleus size in (0, 1]; 1 keeps every token.
    pub top_p: f32,
    /// 1 means no penalty; above 1 discourages repeats.
    pub repetition_penalty: f32,
    /// How many of the latest tokens (prompt included) the penalty looks at.
    pub repeat_last_n: usize,
    pub seed: u64,
}

impl Default for SamplingOptions {
    fn default() -> Self {
        Self::greedy()
    }
}

impl SamplingOptions {
    /// The highest logit every time, no penalty.
    pub fn greedy() -> Self {
        Self {
            temperature: 0.0,
            top_p: 1.0,
            repetition_penalty: 1.0,
            repeat_last_n: 64,
            seed: 0,
        }
    }

    /// Seeded sampling at `temperature` with nucleus `top_p`.
    pub fn seeded(temperature: f32, top_p: f32, seed: u64) -> Self {
        Self {
            temperature,
            top_p,
            seed,
            ..Self::greedy()
        }
    }

    pub fn is_greedy(&self) -> bool {
        self.temperature == 0.0
    }
}

/// Why a token could not be chosen.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SamplingError {
    #[error("invalid sampling option {name} = {value}: expected {expected}")]
    InvalidOption {
        name: &'static str,
        value: f32,
        expected: &'static str,
    },
    #[error(
        "no token can be chosen: every logit is -inf or NaN (a constraint forbade every token)"
    )]
    NoCandidate,
}

/// SplitMix64: tiny, fast and well distributed; enough for sampling.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Chooses tokens according to [`SamplingOptions`], keeping the random state between calls.
#[derive(Debug, Clone)]
pub struct Sampler {
    options: SamplingOptions,
    rng: SplitMix64,
    /// Reused buffers, so a step allocates nothing once warm.
    seen: Vec<u32>,
    candidates: Vec<(f64, u32)>,
}

impl Sampler {
    pub fn new(options: SamplingOptions) -> Result<Self, SamplingError> {
        let check = |name, value: f32, ok: bool, expected| {
            if ok {
                Ok(())
            } else {
                Err(SamplingError::InvalidOption {
                    name,
                    value,
                    expected,
                })
            }
        };
        let t = options.temperature;
        check("temperature", t, t.is_finite() && t >= 0.0, "a number >= 0")?;
        let p = options.top_p;
        check("top_p", p, p > 0.0 && p <= 1.0, "a number in (0, 1]")?;
        let r = options.repetition_penalty;
        check(
            "repetition_penalty",
            r,
            r.is_finite() && r > 0.0,
            "a number > 0",
        )?;
        Ok(Self {
            rng: SplitMix64(options.seed),
            options,
            seen: Vec::new(),
            candidates: Vec::new(),
        })
    }

    pub fn options(&self) -> &SamplingOptions {
        &self.options
    }

    /// Chooses the next token. `logits` is modified (penalty applied); `history` is every
    /// token so far, prompt included.
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> Result<u32, SamplingError> {
        self.apply_repetition_penalty(logits, history);
        if self.options.is_greedy() {
            return argmax(logits).ok_or(SamplingError::NoCandidate);
        }
        self.sample_nucleus(logits)
    }

    fn apply_repetition_penalty(&mut self, logits: &mut [f32], history: &[u32]) {
        let penalty = self.options.repetition_penalty;
        if penalty == 1.0 || self.options.repeat_last_n == 0 {
            return;
        }
        let start = history.len().saturating_sub(self.options.repeat_last_n);
        self.seen.clear();
        self.seen.extend_from_slice(&history[start..]);
        self.seen.sort_unstable();
        self.seen.dedup();
        for &id in &self.seen {
            if let Some(logit) = logits.get_mut(id as usize) {
                *logit = if *logit > 0.0 {
                    *logit / penalty
                } else {
                    *logit * penalty
                };
            }
        }
    }

    fn sample_nucleus(&mut self, logits: &[f32]) -> Result<u32, SamplingError> {
        let max = logits
            .iter()
            .copied()
            .filter(|l| l.is_finite())
            .fold(f32::NEG_INFINITY, f32::max);
        if max == f32::NEG_INFINITY {
            return Err(SamplingError::NoCandidate);
        }
        let inv_t = 1.0 / f64::from(self.options.temperature);
        self.candidates.clear();
        self.candidates.extend(
            logits
                .iter()
                .enumerate()
                .filter(|(_, l)| l.is_finite())
                .map(|(id, &l)| ((f64::from(l - max) * inv_t).exp(), id as u32)),
        );
        let total: f64 = self.candidates.iter().map(|c| c.0).sum();
        let kept = if self.options.top_p < 1.0 {
            self.nucleus(total * f64::from(self.options.top_p))
        } else {
            self.candidates.len()
        };
        let kept_sum: f64 = self.candidates[..kept].iter().map(|c| c.0).sum();
        let mut target = self.rng.next_f64() * kept_sum;
        for &(weight, id) in &self.candidates[..kept] {
            if target < weight {
                return Ok(id);
            }
            target -= weight;
        }
        // Rounding left a sliver past the last weight.
        Ok(self.candidates[kept - 1].1)
    }

    /// Orders the most likely candidates first and returns how many make up the nucleus
    /// (the fewest whose weights reach `target`). Selects the top k before sorting, growing
    /// k only when the nucleus is wider, so a peaked distribution costs little.
    fn nucleus(&mut self, target: f64) -> usize {
        let order = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let n = self.candidates.len();
        let mut k = 64.min(n);
        loop {
            if k < n {
                self.candidates.select_nth_unstable_by(k - 1, order);
            }
            self.candidates[..k].sort_unstable_by(order);
            let mut sum = 0.0;
            for (i, c) in self.candidates[..k].iter().enumerate() {
                sum += c.0;
                if sum >= target {
                    return i + 1;
                }
            }
            if k == n {
                return n;
            }
            k = (k * 4).min(n);
        }
    }
}

/// The index of the highest finite logit; the lowest index wins a tie.
pub fn argmax(logits: &[f32]) -> Option<u32> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &l) in logits.iter().enumerate() {
        if l.is_nan() || l == f32::NEG_INFINITY {
            continue;
        }
        if best.is_none_or(|(_, b)| l > b) {
            best = Some((i, l));
        }
    }
    best.map(|(i, _)| i as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(options: SamplingOptions, logits: &[f32], n: usize) -> Vec<u32> {
        let mut sampler = Sampler::new(options).unwrap();
        (0..n)
            .map(|_| sampler.sample(&mut logits.to_vec(), &[]).unwrap())
            .collect()
    }

    #[test]
    fn greedy_takes_the_highest_and_the_first_of_ties() {
        let mut s = Sampler::new(SamplingOptions::greedy()).unwrap();
        assert_eq!(s.sample(&mut [0.1, 2.0, -1.0, 2.0], &[]).unwrap(), 1);
        assert_eq!(
            s.sample(&mut [f32::NAN, f32::NEG_INFINITY, -5.0], &[])
                .unwrap(),
            2
        );
        assert_eq!(
            s.sample(&mut [f32::NEG_INFINITY; 3], &[]),
            Err(SamplingError::NoCandidate)
        );
    }

    #[test]
    fn same_seed_same_tokens_other_seed_other_tokens() {
        let logits: Vec<f32> = (0..50).map(|i| (i % 7) as f32 * 0.3).collect();
        let a = draw(SamplingOptions::seeded(1.0, 1.0, 42), &logits, 40);
        let b = draw(SamplingOptions::seeded(1.0, 1.0, 42), &logits, 40);
        let c = draw(SamplingOptions::seeded(1.0, 1.0, 43), &logits, 40);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn sampling_follows_the_softmax() {
        // p = softmax([ln 1, ln 3]) = [0.25, 0.75].
        let logits = [0.0, 3f32.ln()];
        let tokens = draw(SamplingOptions::seeded(1.0, 1.0, 7), &logits, 20_000);
        let ones = tokens.iter().filter(|&&t| t == 1).count() as f64 / 20_000.0;
        assert!((ones - 0.75).abs() < 0.015, "share of token 1: {ones}");
        // Temperature 0.5 squares the odds: 1:9.
        let tokens = draw(SamplingOptions::seeded(0.5, 1.0, 7), &logits, 20_000);
        let ones = tokens.iter().filter(|&&t| t == 1).count() as f64 / 20_000.0;
        assert!(
            (ones - 0.9).abs() < 0.015,
            "share of token 1 at t=0.5: {ones}"
        );
    }

    #[test]
    fn top_p_cuts_the_tail() {
        // Probabilities 0.5, 0.3, 0.15, 0.05: top_p 0.75 keeps the first two only.
        let logits: Vec<f32> = [0.5f32, 0.3, 0.15, 0.05].iter().map(|p| p.ln()).collect();
        let tokens = draw(SamplingOptions::seeded(1.0, 0.75, 1), &logits, 5_000);
        assert!(tokens.iter().all(|&t| t <= 1));
        let ones = tokens.iter().filter(|&&t| t == 1).count() as f64 / 5_000.0;
        assert!((ones - 0.375).abs() < 0.03, "renormalised share: {ones}");
        let all = draw(SamplingOptions::seeded(1.0, 1.0, 1), &logits, 5_000);
        assert!(all.contains(&3));
    }

    #[test]
    fn nucleus_grows_past_the_first_selection() {
        // 1000 equally likely tokens: a 0.5 nucleus holds 500 of them, more than the
        // first selection of 64, and draws must spread over all 500.
        let logits = vec![0.0f32; 1000];
        let tokens = draw(SamplingOptions::seeded(1.0, 0.5, 3), &logits, 3_000);
        assert!(tokens.iter().all(|&t| t < 500), "ties order by id");
        assert!(tokens.iter().any(|&t| t >= 400));
    }

    #[test]
    fn repetition_penalty_divides_positive_and_multiplies_negative_logits() {
        let mut options = SamplingOptions::greedy();
        options.repetition_penalty = 2.0;
        options.repeat_last_n = 2;
        let mut s = Sampler::new(options).unwrap();
        let mut logits = [4.0, 3.0, -1.0, 1.0];
        // Token 0 is outside the window of 2: only 2 and 1 count (1 twice, once penalised).
        let chosen = s.sample(&mut logits, &[0, 1, 2, 1]).unwrap();
        assert_eq!(logits, [4.0, 1.5, -2.0, 1.0]);
        assert_eq!(chosen, 0);
        let mut logits = [4.0, 3.0, -1.0, 1.0];
        assert_eq!(s.sample(&mut logits, &[0, 0]).unwrap(), 1, "2.0 < 3.0");
    }

    #[test]
    fn invalid_options_are_rejected() {
        let bad = |o: SamplingOptions| Sampler::new(o).unwrap_err().to_string();
        assert!(bad(SamplingOptions::seeded(-1.0, 1.0, 0)).contains("temperature = -1"));
        assert!(bad(SamplingOptions::seeded(1.0, 0.0, 0)).contains("top_p = 0"));
        let mut o = SamplingOptions::greedy();
        o.repetition_penalty = 0.0;
        assert!(bad(o).contains("repetition_penalty"));
    }
}
