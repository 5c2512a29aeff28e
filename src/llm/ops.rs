//! The element-wise parts of a transformer layer, on row-major f32 slices: RMS norm,
//! rotary position embedding (RoPE), the gated MLP activation, dot products, and the
//! exponentials of a softmax.
//!
//! They are linear in the data (no weight matrices), so they cost little next to the
//! matrix multiplies; written on plain slices they allocate nothing.

use super::model_config::Activation;

/// Normalizes each `dim`-wide row of `x` to unit root-mean-square and scales it by
/// `weight`, in place.
pub fn rms_norm(x: &mut [f32], weight: &[f32], dim: usize, eps: f32) {
    for row in x.chunks_exact_mut(dim) {
        let mean_sq = dot(row, row) / dim as f32;
        let k = 1.0 / (mean_sq + eps).sqrt();
        for (v, w) in row.iter_mut().zip(weight) {
            *v *= k * w;
        }
    }
}

/// `x` normalized into `out` (see [`rms_norm`]).
pub fn rms_norm_into(x: &[f32], weight: &[f32], dim: usize, eps: f32, out: &mut Vec<f32>) {
    out.clear();
    out.extend_from_slice(x);
    rms_norm(out, weight, dim, eps);
}

/// `a · b`, with 32 independent sums so that the compiler vectorizes it into several
/// registers: a single vector of sums would make every multiply-add wait for the one
/// before it (for a 128-wide attention head, 16 dependent steps instead of 4).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 32;
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        sum += x * y;
    }
    sum
}

/// `y += a * x`.
#[inline]
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `row[i] = exp(row[i] * scale - shift)` for every `i`; returns their sum. The softmax of
/// attention calls it for every score (a million a token for Qwen2.5-1.5B decoding at
/// position 6,000), so it is a kernel of the active path, eight or sixteen at once.
pub fn exp_sum(row: &mut [f32], scale: f32, shift: f32) -> f32 {
    super::kernels::active().exp_sum(row, scale, shift)
}

/// `gate = act(gate) * up`, element-wise. A prompt batch's gate is large (18 M values
/// for 2,048 tokens of Qwen2.5-1.5B), so it is cut into pieces spread over the threads,
/// and SiLU takes its exponentials from the active kernel path, sixteen at a time, where
/// libm's one at a time left a core idle for a tenth of a long prompt.
pub fn gated_activation(gate: &mut [f32], up: &[f32], activation: Activation) {
    const PIECE: usize = 4096;
    let piece = |i: usize, g: &mut [f32]| {
        let u = &up[i * PIECE..i * PIECE + g.len()];
        gated_piece(g, u, activation);
    };
    if gate.len() > 2 * PIECE {
        super::threads::for_each_piece(gate, PIECE, piece);
    } else {
        piece(0, gate);
    }
}

fn gated_piece(gate: &mut [f32], up: &[f32], activation: Activation) {
    match activation {
        Activation::Silu => {
            // silu(g) = g / (1 + exp(-g)). exp(-g) is bounded at exp(80): the kernels'
            // exponentials are written for a softmax's arguments (never above 0), and
            // past that bound the quotient is 0 in f32 either way.
            // A stack buffer keeps decoding's hot path free of allocations.
            let mut buf = [0f32; 1024];
            for (gs, us) in gate.chunks_mut(buf.len()).zip(up.chunks(buf.len())) {
                let e = &mut buf[..gs.len()];
                for (e, g) in e.iter_mut().zip(gs.iter()) {
                    *e = (-g).min(80.0);
                }
                exp_sum(e, 1.0, 0.0);
                for ((g, u), e) in gs.iter_mut().zip(us).zip(e.iter()) {
                    *g = *g / (1.0 + e) * u;
                }
            }
        }
        Activation::GeluTanh => {
            const SQRT_2_OVER_PI: f32 = 0.797_884_6;
            for (g, u) in gate.iter_mut().zip(up) {
                let x = *g;
                let inner = SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x);
                *g = 0.5 * x * (1.0 + inner.tanh()) * u;
            }
        }
    }
}

/// The largest value of `row` (-inf when empty). Sixteen running maxima, so the compiler
/// keeps them in vector registers instead of one serial chain of `maxss`, which took a
/// tenth of a 5,000-token prompt in attention's softmax.
pub fn max_of(row: &[f32]) -> f32 {
    let larger = |m: f32, v: f32| if v > m { v } else { m };
    let mut lanes = [f32::NEG_INFINITY; 16];
    let mut chunks = row.chunks_exact(16);
    for c in &mut chunks {
        for (m, &v) in lanes.iter_mut().zip(c) {
            *m = larger(*m, v);
        }
    }
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| larger(m, v));
    lanes.into_iter().fold(tail, larger)
}

/// `x += y`, element-wise.
pub fn add_assign(x: &mut [f32], y: &[f32]) {
    for (x, y) in x.iter_mut().zip(y) {
        *x += y;
    }
}

/// Cosine and sine tables of RoPE for one base, grown on demand.
#[derive(Debug, Clone)]
pub struct Rope {
    inv_freq: Vec<f32>,
    /// `[position][pair]`.
    cos: Vec<f32>,
    sin: Vec<f32>,
    neox: bool,
}

impl Rope {
    /// RoPE over the first `rope_dim` values of each head. `factors` (Llama 3's
    /// `rope_freqs`) divide the frequencies, one per pair.
    pub fn new(rope_dim: usize, base: f32, neox: bool, factors: Option<&[f32]>) -> Self {
        let inv_freq = (0..rope_dim / 2)
            .map(|i| {
                let f = 1.0 / (base as f64).powf(2.0 * i as f64 / rope_dim as f64);
                let factor = factors.and_then(|f| f.get(i)).copied().unwrap_or(1.0);
                (f / factor as f64) as f32
            })
            .collect();
        Self {
            inv_freq,
            cos: Vec::new(),
            sin: Vec::new(),
            neox,
        }
    }

    fn ensure(&mut self, positions: usize) {
        let pairs = self.inv_freq.len();
        let have = self.cos.len() / pairs.max(1);
        if have >= positions || pairs == 0 {
            return;
        }
        let want = positions.next_power_of_two().max(64);
        for p in have..want {
            for f in &self.inv_freq {
                let angle = p as f64 * *f as f64;
                self.cos.push(angle.cos() as f32);
                self.sin.push(angle.sin() as f32);
            }
        }
    }

    /// Rotates `rows` rows of `heads` heads of `head_dim` values; row `t` is at position
    /// `start + t`.
    pub fn apply(&mut self, x: &mut [f32], start: usize, heads: usize, head_dim: usize) {
        let pairs = self.inv_freq.len();
        let rows = x.len() / (heads * head_dim);
        self.ensure(start + rows);
        for (t, row) in x.chunks_exact_mut(heads * head_dim).enumerate() {
            let at = (start + t) * pairs;
            let cos = &self.cos[at..at + pairs];
            let sin = &self.sin[at..at + pairs];
            for head in row.chunks_exact_mut(head_dim) {
                if self.neox {
                    let (a, b) = head[..2 * pairs].split_at_mut(pairs);
                    for i in 0..pairs {
                        let (x0, x1) = (a[i], b[i]);
                        a[i] = x0 * cos[i] - x1 * sin[i];
                        b[i] = x0 * sin[i] + x1 * cos[i];
                    }
                } else {
                    for i in 0..pairs {
                        let (x0, x1) = (head[2 * i], head[2 * i + 1]);
                        head[2 * i] = x0 * cos[i] - x1 * sin[i];
                        head[2 * i + 1] = x0 * sin[i] + x1 * cos[i];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_norm_gives_unit_rms() {
        let mut x = vec![3.0, 4.0, 0.0, 0.0];
        rms_norm(&mut x, &[1.0, 1.0, 2.0, 2.0], 2, 1e-6);
        let k = (12.5f32 + 1e-6).sqrt();
        assert!((x[0] - 3.0 / k).abs() < 1e-6 && (x[1] - 4.0 / k).abs() < 1e-6);
        assert_eq!(&x[2..], [0.0, 0.0]);
    }

    #[test]
    fn exp_sum_matches_the_scalar_exponential() {
        for n in [0, 1, 15, 16, 37] {
            let row: Vec<f32> = (0..n).map(|i| i as f32 * 0.7 - 12.0).collect();
            let mut got = row.clone();
            let sum = exp_sum(&mut got, 2.0, 3.0);
            let want: Vec<f32> = row.iter().map(|v| (v * 2.0 - 3.0).exp()).collect();
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 5e-7 * w.max(1e-30), "{g} vs {w}");
            }
            let total: f32 = want.iter().sum();
            assert!(
                (sum - total).abs() <= 1e-5 * total.max(1e-30),
                "{sum} vs {total}"
            );
        }
        // Far below f32's range the result is (next to) zero, not a wrapped-around power.
        let mut tiny = vec![-1000.0f32; 3];
        assert!(exp_sum(&mut tiny, 1.0, 0.0) < 1e-44);
    }

    #[test]
    fn silu_over_a_batch_matches_the_scalar_formula() {
        // Large enough to be cut into pieces over the threads, with arguments far past
        // either end of the exponential's range.
        let n = 5 * 4096 + 17;
        let gate: Vec<f32> = (0..n)
            .map(|i| match i % 997 {
                0 => -150.0,
                1 => 150.0,
                _ => ((i * 7919) % 2001) as f32 / 100.0 - 10.0,
            })
            .collect();
        let up: Vec<f32> = (0..n).map(|i| 1.0 + (i % 5) as f32 * 0.25).collect();
        let mut got = gate.clone();
        gated_activation(&mut got, &up, Activation::Silu);
        for (i, ((g, x), u)) in got.iter().zip(&gate).zip(&up).enumerate() {
            let want = x / (1.0 + (-x).exp()) * u;
            assert!(
                (g - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{i}: silu({x}) * {u} = {g}, want {want}"
            );
        }
    }

    #[test]
    fn max_of_finds_the_largest_value_at_any_length() {
        assert_eq!(max_of(&[]), f32::NEG_INFINITY);
        for n in 1..70 {
            let row: Vec<f32> = (0..n).map(|i| ((i * 37) % 23) as f32 - 30.0).collect();
            let want = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(max_of(&row), want, "length {n}");
        }
    }

    #[test]
    fn dot_handles_remainders() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        assert_eq!(dot(&a, &a), (0..19).map(|i| (i * i) as f32).sum::<f32>());
    }

    #[test]
    fn rope_rotates_by_position_and_keeps_position_zero() {
        for neox in [false, true] {
            let mut rope = Rope::new(4, 10_000.0, neox, None);
            let mut x = vec![1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0];
            rope.apply(&mut x, 0, 1, 4);
            assert_eq!(&x[..4], [1.0, 2.0, 3.0, 4.0]);
            // Rotation keeps the norm.
            let n: f32 = x[4..].iter().map(|v| v * v).sum();
            assert!((n - 30.0).abs() < 1e-4);
            assert_ne!(&x[4..], [1.0, 2.0, 3.0, 4.0]);
        }
    }
}
