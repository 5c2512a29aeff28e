//! Causal grouped-query attention of new queries over the KV cache.
//!
//! Shapes, all row-major f32: queries are `rows x heads x head_dim`; the cache holds
//! `positions x kv_heads x head_dim` keys and values; query head `h` reads KV head
//! `h / (heads / kv_heads)`. Query row `t` sits at position `start + t` and may attend to
//! positions `0..=start + t` (and, for a sliding-window layer, only the last `window`).
//!
//! Two strategies:
//! - few rows (decoding): a direct loop per head — dot products against every cached key,
//!   softmax, weighted sum of values — run in parallel over KV heads on candle's thread
//!   pool. Memory-bound; no temporaries beyond one score row per head.
//! - a prompt batch: blocks of [`QUERY_BLOCK`] queries, each a pair of batched GEMMs
//!   (scores = Q·Kᵀ, output = P·V) over the keys that block can see, with the causal mask
//!   applied inside the softmax, so no `rows x positions` matrix of the whole prompt is
//!   ever built.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use candle_core::utils::barrier_pool;
use candle_core::{Device, Tensor};

use super::cache_rows;
use super::ops::{axpy, exp_sum, max_of};
use super::threads::for_each_piece;

/// Queries per block in batched attention.
pub const QUERY_BLOCK: usize = 64;

/// Batches with at least this many rows use the GEMM strategy.
pub const GEMM_MIN_ROWS: usize = 16;

/// One query row is spread over threads only above this many multiply-adds: below it,
/// handing work to another thread costs more than it saves.
const PARALLEL_MIN_WORK: usize = 1 << 18;

/// The geometry of one layer's attention.
#[derive(Debug, Clone, Copy)]
pub struct AttentionShape {
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub scale: f32,
    pub window: Option<usize>,
}

impl AttentionShape {
    fn group(&self) -> usize {
        self.heads / self.kv_heads
    }

    /// The first key position a query at `pos` may see.
    fn first_key(&self, pos: usize) -> usize {
        match self.window {
            Some(w) => (pos + 1).saturating_sub(w),
            None => 0,
        }
    }
}

/// Attends `queries` (`rows` rows starting at position `start`) over `keys`/`values`
/// (at least `start + rows` positions) and returns `rows x heads x head_dim` outputs.
pub fn attend(
    shape: &AttentionShape,
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    start: usize,
) -> candle_core::Result<Vec<f32>> {
    let width = shape.heads * shape.head_dim;
    let rows = queries.len() / width;
    if rows >= GEMM_MIN_ROWS {
        attend_gemm(shape, queries, keys, values, start)
    } else {
        let mut out = vec![0f32; rows * width];
        for t in 0..rows {
            attend_one(
                shape,
                &queries[t * width..(t + 1) * width],
                keys,
                values,
                start + t,
                &mut out[t * width..(t + 1) * width],
            );
        }
        Ok(out)
    }
}

/// One query row at position `pos`. The query heads that share a KV head are handled
/// together, so each cached key and value is read once per KV head, not once per query
/// head. When the work is large enough, each KV head's positions are also cut into
/// segments (so two threads stay busy with SmolLM2's three KV heads), attended in
/// parallel and merged exactly through their softmax maxima and sums.
fn attend_one(
    shape: &AttentionShape,
    query: &[f32],
    keys: &[f32],
    values: &[f32],
    pos: usize,
    out: &mut [f32],
) {
    let d = shape.head_dim;
    let group = shape.group();
    let first = shape.first_key(pos);
    let n = pos + 1 - first;
    let parallel = shape.heads * n * d >= PARALLEL_MIN_WORK;
    let segments = if parallel {
        let threads = candle_core::utils::get_num_threads().max(1);
        (2 * threads)
            .div_ceil(shape.kv_heads)
            .min(n / SEGMENT_MIN_KEYS)
            .max(1)
    } else {
        1
    };
    let seg_len = n.div_ceil(segments);
    let units = shape.kv_heads * segments;
    let parts: Vec<Mutex<Partial>> = (0..units)
        .map(|_| Mutex::new(Partial::new(group, d)))
        .collect();
    let run = |unit: usize| {
        let (kvh, seg) = (unit / segments, unit % segments);
        let lo = first + seg * seg_len;
        let hi = (lo + seg_len).min(pos + 1);
        let mut part = parts[unit].lock().unwrap_or_else(|e| e.into_inner());
        if lo < hi {
            part.attend(shape, query, keys, values, kvh, lo..hi);
        }
    };
    if parallel {
        // On candle's pool, which the matmuls around this step use: a second pool's
        // threads would still be spinning down when the next matmul wants the cores.
        barrier_pool().execute_chunked(units, |range| range.for_each(run));
    } else {
        (0..units).for_each(run);
    }
    let parts: Vec<Partial> = parts
        .into_iter()
        .map(|p| p.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect();
    for (out, parts) in out.chunks_mut(group * d).zip(parts.chunks(segments)) {
        Partial::merge(parts, out);
    }
}

/// A segment of positions holds at least this many keys.
const SEGMENT_MIN_KEYS: usize = 256;

/// One KV head's query group attended over a segment of positions, not yet normalized.
struct Partial {
    /// Per query head: the largest score, or -inf before any.
    max: Vec<f32>,
    /// Per query head: the sum of `exp(score - max)`.
    sum: Vec<f32>,
    /// Per query head: `Σ exp(score - max) * value` (`group x head_dim`).
    acc: Vec<f32>,
}

impl Partial {
    fn new(group: usize, d: usize) -> Self {
        Self {
            max: vec![f32::NEG_INFINITY; group],
            sum: vec![0.0; group],
            acc: vec![0.0; group * d],
        }
    }

    fn attend(
        &mut self,
        shape: &AttentionShape,
        query: &[f32],
        keys: &[f32],
        values: &[f32],
        kvh: usize,
        positions: std::ops::Range<usize>,
    ) {
        let d = shape.head_dim;
        let group = shape.group();
        let kv_row = shape.kv_heads * d;
        let at = positions.start * kv_row + kvh * d;
        let n = positions.len();
        let queries = &query[kvh * group * d..(kvh + 1) * group * d];
        // scores[g * n + j]: query head g of the group against position start + j.
        let mut scores = vec![0f32; group * n];
        cache_rows::scores(queries, d, &keys[at..], kv_row, shape.scale, &mut scores);
        for (g, row) in scores.chunks_exact_mut(n).enumerate() {
            let max = row.iter().fold(f32::NEG_INFINITY, |m, s| m.max(*s));
            self.max[g] = max;
            self.sum[g] = exp_sum(row, 1.0, max);
        }
        cache_rows::weighted_sums(&scores, n, &values[at..], kv_row, &mut self.acc);
    }

    /// The normalized output of each query head from the segments of one KV head.
    fn merge(parts: &[Partial], out: &mut [f32]) {
        let d = out.len() / parts[0].max.len();
        for (g, out) in out.chunks_exact_mut(d).enumerate() {
            let max = parts.iter().fold(f32::NEG_INFINITY, |m, p| m.max(p.max[g]));
            out.fill(0.0);
            let mut sum = 0.0;
            for p in parts.iter().filter(|p| p.max[g] > f32::NEG_INFINITY) {
                let w = (p.max[g] - max).exp();
                sum += w * p.sum[g];
                axpy(out, w, &p.acc[g * d..(g + 1) * d]);
            }
            let inv = 1.0 / sum;
            out.iter_mut().for_each(|o| *o *= inv);
        }
    }
}

/// Batched attention in query blocks, through candle's GEMM.
fn attend_gemm(
    shape: &AttentionShape,
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    start: usize,
) -> candle_core::Result<Vec<f32>> {
    let (h, kvh, d, g) = (shape.heads, shape.kv_heads, shape.head_dim, shape.group());
    let rows = queries.len() / (h * d);
    let end = start + rows;
    let dev = &Device::Cpu;
    // (kv_heads, positions, d), copied once: each query block then reads its keys as a
    // view (matmul takes any batch stride), where a copy per block moved every earlier
    // key again for each 64 queries (5% of a 5,000-token prompt).
    let k_all = Tensor::from_slice(&keys[..end * kvh * d], (end, kvh, d), dev)?
        .transpose(0, 1)?
        .contiguous()?;
    let v_all = Tensor::from_slice(&values[..end * kvh * d], (end, kvh, d), dev)?
        .transpose(0, 1)?
        .contiguous()?;
    // (kv_heads, group, rows, d)
    let q_all = Tensor::from_slice(queries, (rows, h, d), dev)?
        .transpose(0, 1)?
        .contiguous()?
        .reshape((kvh, g, rows, d))?;
    let mut out = vec![0f32; rows * h * d];
    let mut t0 = 0;
    while t0 < rows {
        let b = QUERY_BLOCK.min(rows - t0);
        let k_first = shape.first_key(start + t0);
        let k_end = start + t0 + b;
        let len = k_end - k_first;
        let qb = q_all
            .narrow(2, t0, b)?
            .contiguous()?
            .reshape((kvh, g * b, d))?;
        let kb = k_all.narrow(1, k_first, len)?;
        let vb = v_all.narrow(1, k_first, len)?;
        let scores = qb.matmul(&kb.t()?)?;
        let mut probs = scores.flatten_all()?.to_vec1::<f32>()?;
        // Each row's sum of exponentials: its weighted values are divided by it below,
        // `d` values a row instead of `len` probabilities.
        let sums: Vec<AtomicU32> = (0..kvh * g * b).map(|_| AtomicU32::new(0)).collect();
        for_each_piece(&mut probs, len, |r, row| {
            let pos = start + t0 + r % b;
            let lo = shape.first_key(pos) - k_first;
            let hi = pos + 1 - k_first;
            let sum = masked_exp(row, lo, hi, shape.scale);
            sums[r].store(sum.to_bits(), Ordering::Relaxed);
        });
        let probs = Tensor::from_vec(probs, (kvh, g * b, len), dev)?;
        let ctx = probs.matmul(&vb)?.flatten_all()?.to_vec1::<f32>()?;
        // ctx is (kv_heads, group, b, d) = (heads, b, d); out is (rows, heads, d).
        for head in 0..h {
            for t in 0..b {
                let src = (head * b + t) * d;
                let dst = ((t0 + t) * h + head) * d;
                let inv = 1.0 / f32::from_bits(sums[head * b + t].load(Ordering::Relaxed));
                for (o, c) in out[dst..dst + d].iter_mut().zip(&ctx[src..src + d]) {
                    *o = c * inv;
                }
            }
        }
        t0 += b;
    }
    Ok(out)
}

/// `exp(row[i] * scale - max)` over `row[lo..hi]`, where `max` is the largest of them,
/// and 0 elsewhere; returns the sum of the exponentials (the softmax unnormalized).
fn masked_exp(row: &mut [f32], lo: usize, hi: usize, scale: f32) -> f32 {
    // A positive scale keeps the largest score the largest once scaled.
    debug_assert!(scale > 0.0);
    let max = max_of(&row[lo..hi]) * scale;
    let sum = exp_sum(&mut row[lo..hi], scale, max);
    row[..lo].fill(0.0);
    row[hi..].fill(0.0);
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 16) % 1000) as f32
                    / 500.0
                    - 1.0
            })
            .collect()
    }

    #[test]
    fn gemm_blocks_match_the_direct_loop() {
        // (heads, kv_heads, head_dim, start, rows, window)
        let cases = [
            (4, 2, 8, 5, QUERY_BLOCK + 40, None),
            (4, 2, 8, 5, QUERY_BLOCK + 40, Some(7)),
            (9, 3, 64, 0, 48, None),
            (12, 2, 128, 3, 20, None),
            // Long enough for a single row to be cut into segments across threads.
            (9, 3, 64, 600, 20, None),
            (12, 2, 128, 700, 17, Some(600)),
        ];
        for (heads, kv_heads, head_dim, start, rows, window) in cases {
            let shape = AttentionShape {
                heads,
                kv_heads,
                head_dim,
                scale: 1.0 / (head_dim as f32).sqrt(),
                window,
            };
            let (width, kv_width) = (heads * head_dim, kv_heads * head_dim);
            let end = start + rows;
            let q: Vec<f32> = data(rows * width, 1).iter().map(|v| v * 8.0).collect();
            let k = data(end * kv_width, 2);
            let v = data(end * kv_width, 3);
            let batched = attend(&shape, &q, &k, &v, start).unwrap();
            let mut direct = vec![0f32; rows * width];
            for t in 0..rows {
                attend_one(
                    &shape,
                    &q[t * width..(t + 1) * width],
                    &k,
                    &v,
                    start + t,
                    &mut direct[t * width..(t + 1) * width],
                );
            }
            for (i, (a, b)) in batched.iter().zip(&direct).enumerate() {
                assert!((a - b).abs() < 1e-4, "{shape:?} at {i}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn a_single_key_returns_its_value() {
        let shape = AttentionShape {
            heads: 2,
            kv_heads: 1,
            head_dim: 2,
            scale: 1.0,
            window: None,
        };
        let out = attend(&shape, &[1.0, 0.0, 0.0, 1.0], &[0.3, 0.4], &[5.0, -6.0], 0).unwrap();
        assert_eq!(out, [5.0, -6.0, 5.0, -6.0]);
    }
}
