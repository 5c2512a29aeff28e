//! Causal grouped-query attention of new queries over the KV cache.
//!
//! Shapes, all row-major f32: queries are `rows x heads x head_dim`; the cache holds
//! `positions x kv_heads x head_dim` keys and values; query head `h` reads KV head
//! `h / (heads / kv_heads)`. Query row `t` sits at position `start + t` and may attend to
//! positions `0..=start + t` (and, for a sliding-window layer, only the last `window`).
//!
//! Two strategies:
//! - few rows (decoding, forced or drafted tokens): a direct loop per KV head — dot
//!   products of all the rows' query heads with every cached key, softmax, weighted sums
//!   of values — run in parallel over KV heads on candle's thread pool. Memory-bound: the
//!   cache is read once for the batch; no temporaries beyond one score row per head.
//! - a prompt batch: blocks of [`QUERY_BLOCK`] queries, each a pair of batched GEMMs
//!   (scores = Q·Kᵀ, output = P·V) over the keys that block can see, with the causal mask
//!   applied inside the softmax, so no `rows x positions` matrix of the whole prompt is
//!   ever built.

use std::collections::BTreeMap;
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
        if rows > 0 {
            attend_rows(shape, queries, keys, values, start, &mut out);
        }
        Ok(out)
    }
}

/// A short batch: one decoded token, or a few forced or drafted ones. Each row's
/// positions are cut into cells at multiples of [`CELL`]; a cell several rows fill
/// (every cell before the batch's own positions) is attended once for all of them, as
/// extra query heads of each KV head, so each cached key and value is read from memory
/// once for the batch (at 5,500 positions Qwen2.5-1.5B's cache is 315 MB, read once per
/// row before). The cells' partial softmaxes are merged exactly through their maxima and
/// sums, in position order. A row's cells, and the kernels' sums, depend only on the
/// row's own position, so each row gets exactly what decoding it alone gets: speculative
/// decoding relies on that. The (cell, KV head) pieces also spread the work over threads.
fn attend_rows(
    shape: &AttentionShape,
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    start: usize,
    out: &mut [f32],
) {
    let (d, group, kv_heads) = (shape.head_dim, shape.group(), shape.kv_heads);
    let width = shape.heads * d;
    let rows = queries.len() / width;
    // Each distinct cell, in position order, with the rows that read it.
    let mut cells: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for t in 0..rows {
        let pos = start + t;
        let mut lo = shape.first_key(pos);
        while lo <= pos {
            let hi = ((lo / CELL + 1) * CELL).min(pos + 1);
            cells.entry((lo, hi)).or_default().push(t);
            lo = hi;
        }
    }
    let cells: Vec<((usize, usize), Vec<usize>)> = cells.into_iter().collect();
    let work: usize = cells
        .iter()
        .map(|((lo, hi), readers)| (hi - lo) * readers.len())
        .sum::<usize>()
        * shape.heads
        * d;
    let units = cells.len() * kv_heads;
    let parts: Vec<Mutex<Partial>> = (0..units)
        .map(|u| Mutex::new(Partial::new(cells[u / kv_heads].1.len() * group, d)))
        .collect();
    let run = |unit: usize| {
        let ((lo, hi), readers) = &cells[unit / kv_heads];
        let kvh = unit % kv_heads;
        // The query heads of KV head `kvh`, reader by reader.
        let mut stacked = Vec::with_capacity(readers.len() * group * d);
        for &t in readers {
            let at = t * width + kvh * group * d;
            stacked.extend_from_slice(&queries[at..at + group * d]);
        }
        let mut part = parts[unit].lock().unwrap_or_else(|e| e.into_inner());
        part.attend(shape, &stacked, keys, values, kvh, *lo..*hi);
    };
    if work >= PARALLEL_MIN_WORK {
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
    let mut pieces = Vec::with_capacity(cells.len());
    for t in 0..rows {
        for kvh in 0..kv_heads {
            for g in 0..group {
                pieces.clear();
                for (c, (_, readers)) in cells.iter().enumerate() {
                    if let Some(i) = readers.iter().position(|&r| r == t) {
                        pieces.push((&parts[c * kv_heads + kvh], i * group + g));
                    }
                }
                let at = (t * shape.heads + kvh * group + g) * d;
                Partial::merge(&pieces, &mut out[at..at + d]);
            }
        }
    }
}

/// Positions per cell of a short batch's attention: a cell's partial result is a few
/// hundred bytes per head, merged in microseconds, and its keys a few hundred KB.
const CELL: usize = 256;

/// Some query heads of one KV head attended over a range of positions, not yet
/// normalized.
struct Partial {
    /// Per query head: the largest score, or -inf before any.
    max: Vec<f32>,
    /// Per query head: the sum of `exp(score - max)`.
    sum: Vec<f32>,
    /// Per query head: `Σ exp(score - max) * value` (`heads x head_dim`).
    acc: Vec<f32>,
}

impl Partial {
    fn new(heads: usize, d: usize) -> Self {
        Self {
            max: vec![f32::NEG_INFINITY; heads],
            sum: vec![0.0; heads],
            acc: vec![0.0; heads * d],
        }
    }

    /// `queries` holds this partial's heads (`heads x head_dim`), all reading KV head
    /// `kvh` over `positions`.
    fn attend(
        &mut self,
        shape: &AttentionShape,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        kvh: usize,
        positions: std::ops::Range<usize>,
    ) {
        let d = shape.head_dim;
        let kv_row = shape.kv_heads * d;
        let at = positions.start * kv_row + kvh * d;
        let n = positions.len();
        let heads = self.max.len();
        // scores[h * n + j]: query head h against position start + j.
        let mut scores = vec![0f32; heads * n];
        cache_rows::scores(queries, d, &keys[at..], kv_row, shape.scale, &mut scores);
        for (h, row) in scores.chunks_exact_mut(n).enumerate() {
            let max = row.iter().fold(f32::NEG_INFINITY, |m, s| m.max(*s));
            self.max[h] = max;
            self.sum[h] = exp_sum(row, 1.0, max);
        }
        cache_rows::weighted_sums(&scores, n, &values[at..], kv_row, &mut self.acc);
    }

    /// The normalized output of one query head from its pieces: each a partial and the
    /// head's index in it.
    fn merge(pieces: &[(&Partial, usize)], out: &mut [f32]) {
        let d = out.len();
        let max = pieces
            .iter()
            .fold(f32::NEG_INFINITY, |m, (p, h)| m.max(p.max[*h]));
        out.fill(0.0);
        let mut sum = 0.0;
        for &(p, h) in pieces.iter().filter(|(p, h)| p.max[*h] > f32::NEG_INFINITY) {
            let w = (p.max[h] - max).exp();
            sum += w * p.sum[h];
            axpy(out, w, &p.acc[h * d..(h + 1) * d]);
        }
        let inv = 1.0 / sum;
        out.iter_mut().for_each(|o| *o *= inv);
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

    /// Softmax attention written out, one query head and position at a time.
    fn naive(shape: &AttentionShape, q: &[f32], k: &[f32], v: &[f32], start: usize) -> Vec<f32> {
        let (h, d) = (shape.heads, shape.head_dim);
        let kv_width = shape.kv_heads * d;
        let rows = q.len() / (h * d);
        let mut out = vec![0f32; rows * h * d];
        for t in 0..rows {
            let pos = start + t;
            for head in 0..h {
                let kvh = head / shape.group();
                let qh = &q[(t * h + head) * d..][..d];
                let keys = shape.first_key(pos)..pos + 1;
                let scores: Vec<f32> = keys
                    .clone()
                    .map(|j| {
                        let kj = &k[j * kv_width + kvh * d..][..d];
                        shape.scale * qh.iter().zip(kj).map(|(a, b)| a * b).sum::<f32>()
                    })
                    .collect();
                let max = scores.iter().fold(f32::NEG_INFINITY, |m, s| m.max(*s));
                let w: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
                let total: f32 = w.iter().sum();
                let o = &mut out[(t * h + head) * d..][..d];
                for (j, w) in keys.zip(&w) {
                    let vj = &v[j * kv_width + kvh * d..][..d];
                    for (o, x) in o.iter_mut().zip(vj) {
                        *o += w / total * x;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_strategy_matches_the_written_out_softmax() {
        // (heads, kv_heads, head_dim, start, rows, window)
        let cases = [
            (4, 2, 8, 5, QUERY_BLOCK + 40, None),
            (4, 2, 8, 5, QUERY_BLOCK + 40, Some(7)),
            (9, 3, 64, 0, 48, None),
            (12, 2, 128, 3, 20, None),
            // Long enough for a single row to be cut into segments across threads.
            (9, 3, 64, 600, 20, None),
            (12, 2, 128, 700, 17, Some(600)),
            // Short batches: one cache pass for all rows, their own positions apart.
            (12, 2, 128, 700, 1, None),
            (12, 2, 128, 700, 3, None),
            (9, 3, 64, 600, 15, Some(300)),
            (4, 2, 8, 30, 5, Some(3)),
            (4, 2, 8, 0, 4, None),
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
            let direct = naive(&shape, &q, &k, &v, start);
            for (i, (a, b)) in batched.iter().zip(&direct).enumerate() {
                assert!((a - b).abs() < 1e-4, "{shape:?} at {i}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn a_short_batch_gives_each_row_exactly_what_it_gets_alone() {
        // (heads, kv_heads, head_dim, start, rows, window): across a cell boundary, long
        // enough for threads, and a window narrower than the batch.
        let cases = [
            (12, 2, 128, CELL - 2, 5, None),
            (12, 2, 128, 5 * CELL + 7, 3, None),
            (9, 3, 64, 700, 15, Some(300)),
            (4, 2, 8, 30, 6, Some(3)),
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
            let q: Vec<f32> = data(rows * width, 4).iter().map(|v| v * 8.0).collect();
            let k = data(end * kv_width, 5);
            let v = data(end * kv_width, 6);
            let batch = attend(&shape, &q, &k, &v, start).unwrap();
            for t in 0..rows {
                let alone = attend(&shape, &q[t * width..(t + 1) * width], &k, &v, start + t);
                assert!(
                    batch[t * width..(t + 1) * width] == alone.unwrap()[..],
                    "{shape:?}: row {t} of {rows}"
                );
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
