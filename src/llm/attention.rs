//! Causal grouped-query attention of new queries over the KV cache.
//!
//! Shapes, all row-major: queries (f32) are `rows x heads x head_dim`; the cache holds
//! `positions x kv_heads x head_dim` keys and values (f16); query head `h` reads KV head
//! `h / (heads / kv_heads)`. Query row `t` sits at position `start + t` and may attend to
//! positions `0..=start + t` (and, for a sliding-window layer, only the last `window`).
//!
//! Two strategies:
//! - few rows (decoding, forced or drafted tokens): a direct loop per KV head — dot
//!   products of all the rows' query heads with every cached key, softmax, weighted sums
//!   of values — in cells of positions, run in parallel over (cell, KV head) on candle's
//!   thread pool. Memory-bound: the cache is read once for the batch; no temporaries
//!   beyond one cell's scores per head.
//! - a prompt batch: blocks of [`QUERY_BLOCK`] queries, each walking the keys it can see
//!   in tiles of [`KEY_TILE`] with an online softmax (scores = Q·Kᵀ and P·V through gemm,
//!   the causal mask inside the softmax), so no score matrix larger than a tile is built.

use std::collections::BTreeMap;
use std::sync::Mutex;

use candle_core::utils::barrier_pool;

use super::cache_rows;
use super::kernels::Kernels;
use super::kv_cache::{LayerKv, PAGE};
use super::ops::{axpy, exp_sum, max_of};
use super::tile_attention::{self, Packed};

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

/// Attends `queries` (`rows` rows starting at position `start`) over the layer's cache
/// `kv` (at least `start + rows` positions) and returns `rows x heads x head_dim` outputs.
pub fn attend(
    shape: &AttentionShape,
    queries: &[f32],
    kv: &LayerKv,
    start: usize,
) -> candle_core::Result<Vec<f32>> {
    let width = shape.heads * shape.head_dim;
    let rows = queries.len() / width;
    assert!(
        kv.len() >= start + rows,
        "the cache holds every row's position"
    );
    if rows >= GEMM_MIN_ROWS {
        attend_gemm(shape, queries, kv, start)
    } else {
        let mut out = vec![0f32; rows * width];
        if rows > 0 {
            attend_rows(shape, queries, kv, start, &mut out);
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
    kv: &LayerKv,
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
        part.attend(shape, &stacked, kv, kvh, *lo..*hi);
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
        // The cells row t reads, each with the row's place among its readers.
        let read: Vec<(usize, usize)> = cells
            .iter()
            .enumerate()
            .filter_map(|(c, (_, readers))| Some((c, readers.iter().position(|&r| r == t)?)))
            .collect();
        for kvh in 0..kv_heads {
            for g in 0..group {
                pieces.clear();
                pieces.extend(
                    read.iter()
                        .map(|&(c, i)| (&parts[c * kv_heads + kvh], i * group + g)),
                );
                let at = (t * shape.heads + kvh * group + g) * d;
                Partial::merge(&pieces, &mut out[at..at + d]);
            }
        }
    }
}

/// Positions per cell of a short batch's attention: a cell's partial result is a few
/// hundred bytes per head, merged in microseconds, and its keys a few hundred KB. Cells
/// start at multiples of this, so each lies in one page of the cache.
const CELL: usize = 256;
const _: () = assert!(PAGE.is_multiple_of(CELL));

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
        kv: &LayerKv,
        kvh: usize,
        positions: std::ops::Range<usize>,
    ) {
        let d = shape.head_dim;
        let kv_row = shape.kv_heads * d;
        let (keys, values) = kv.rows(positions.start, positions.end);
        let at = kvh * d;
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

/// Keys per tile of batched attention: a tile's scores for one block's query heads
/// (384 x 256 floats for Qwen2.5-1.5B) stay in the core's L2 cache between the two
/// products and the softmax.
const KEY_TILE: usize = 256;

/// Batched attention: each (KV head, block of [`QUERY_BLOCK`] queries) is one task on
/// candle's pool, and walks the keys its block can see in tiles of [`KEY_TILE`] with an
/// online softmax (scores = Q·Kᵀ, then the running maximum, sum and P·V of each query
/// head, rescaled when the maximum grows), so no score matrix larger than a tile is
/// written, and the tasks run side by side. The two products are gemm's f32 kernels on
/// the cache widened to f32 ([`F32Products`]) or, where the CPU has AMX-BF16, tiles of
/// bf16 ([`TileProducts`]).
fn attend_gemm(
    shape: &AttentionShape,
    queries: &[f32],
    kv: &LayerKv,
    start: usize,
) -> candle_core::Result<Vec<f32>> {
    Ok(
        match tile_attention::kernels_for(shape.head_dim, shape.window) {
            Some(kernels) => attend_tiles(kernels, shape, queries, kv, start),
            None => attend_f32(shape, queries, kv, start),
        },
    )
}

/// [`attend_gemm`] with gemm's f32 products, on the cache widened to f32.
fn attend_f32(shape: &AttentionShape, queries: &[f32], kv: &LayerKv, start: usize) -> Vec<f32> {
    let rows = queries.len() / (shape.heads * shape.head_dim);
    let seen = Seen::widen(shape, kv, start, rows);
    attend_blocks(shape, queries, start, |q, head| F32Products {
        q,
        seen: &seen,
        d: shape.head_dim,
        at: head * shape.head_dim,
        kv_row: shape.kv_heads * shape.head_dim,
    })
}

/// [`attend_gemm`] with bf16 tile products, on the cache packed for the tiles.
fn attend_tiles(
    kernels: &'static Kernels,
    shape: &AttentionShape,
    queries: &[f32],
    kv: &LayerKv,
    start: usize,
) -> Vec<f32> {
    let rows = queries.len() / (shape.heads * shape.head_dim);
    let packed = Packed::new(kv, start + rows, shape.kv_heads, shape.head_dim);
    attend_blocks(shape, queries, start, |q, head| TileProducts {
        kernels,
        packed: &packed,
        head,
        q: q.iter().map(|&x| tile_attention::bf16(x)).collect(),
        weights: Vec::new(),
    })
}

/// Runs every (query block, KV head) task with the products `products(q, head)` makes
/// for the block's query heads `q` (`(b x group) x head_dim`).
fn attend_blocks<P: Products>(
    shape: &AttentionShape,
    queries: &[f32],
    start: usize,
    products: impl Fn(Vec<f32>, usize) -> P + Sync,
) -> Vec<f32> {
    let (h, kvh, d, g) = (shape.heads, shape.kv_heads, shape.head_dim, shape.group());
    let rows = queries.len() / (h * d);
    let blocks = rows.div_ceil(QUERY_BLOCK);
    let mut out = vec![0f32; rows * h * d];
    let out_addr = out.as_mut_ptr() as usize;
    // The latest blocks see the most keys: they go first, so the last tasks are short.
    let task = |i: usize| (blocks - 1 - i / kvh, i % kvh);
    barrier_pool().execute_chunked(blocks * kvh, |range| {
        for i in range {
            let (block, head) = task(i);
            let t0 = block * QUERY_BLOCK;
            let b = QUERY_BLOCK.min(rows - t0);
            // The block's query heads of this KV head, row (t, j) = query t, head j.
            let mut q = Vec::with_capacity(P::rows(b * g) * d);
            for t in t0..t0 + b {
                let at = (t * h + head * g) * d;
                q.extend_from_slice(&queries[at..at + g * d]);
            }
            q.resize(P::rows(b * g) * d, 0.0);
            let ctx = attend_block(shape, products(q, head), start, t0, b);
            // ctx is (b, group, d); out is (rows, heads, d).
            for t in 0..b {
                let at = ((t0 + t) * h + head * g) * d;
                // SAFETY: task (block, head) alone writes rows t0..t0 + b, heads
                // head * g..(head + 1) * g of `out`, which lie inside it.
                #[allow(unsafe_code)]
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        ctx[t * g * d..].as_ptr(),
                        (out_addr as *mut f32).add(at),
                        g * d,
                    );
                }
            }
        }
    });
    out
}

/// How a task multiplies its block's query heads by a tile of keys, and the tile's
/// softmax weights by its values.
trait Products {
    /// Rows the products work on for `m` query heads (the rest zeros).
    fn rows(m: usize) -> usize;
    /// Floats from one row of a tile's scores to the next, for `n` keys.
    fn stride(n: usize) -> usize;
    /// `p[r * stride(n) + j] = q_r · k_{lo + j}` for `j < n`; the padding after `n`
    /// may hold anything.
    fn scores(&mut self, lo: usize, n: usize, p: &mut [f32]);
    /// `acc_r += Σ_j p[r * stride(n) + j] · v_{lo + j}` for `j < n`, where the padding
    /// after `n` holds zeros.
    fn accumulate(&mut self, lo: usize, n: usize, p: &[f32], acc: &mut [f32]);
}

/// The keys and values of the positions a prompt batch sees, widened to f32 once per
/// call: 3 M values at 6,000 positions for Qwen2.5-1.5B, against the 60 G multiply-adds
/// a 2,048-row batch then spends in the products.
struct Seen {
    /// The first position held.
    first: usize,
    keys: Vec<f32>,
    values: Vec<f32>,
}

impl Seen {
    /// Positions from the first key the batch's first row sees (`rows` rows from
    /// `start`) to its last row.
    fn widen(shape: &AttentionShape, kv: &LayerKv, start: usize, rows: usize) -> Self {
        let first = shape.first_key(start);
        let (keys, values) = kv.widen(first, start + rows);
        Self {
            first,
            keys,
            values,
        }
    }
}

/// gemm's f32 kernels, on f32 rows read in place (strided).
struct F32Products<'a> {
    q: Vec<f32>,
    seen: &'a Seen,
    /// Values per head.
    d: usize,
    /// The KV head's first value in a row of the cache.
    at: usize,
    kv_row: usize,
}

impl Products for F32Products<'_> {
    fn rows(m: usize) -> usize {
        m
    }

    fn stride(n: usize) -> usize {
        n
    }

    fn scores(&mut self, lo: usize, n: usize, p: &mut [f32]) {
        let (d, m) = (self.d, self.q.len() / self.d);
        let at = (lo - self.seen.first) * self.kv_row + self.at;
        let k = self.seen.keys[at..].as_ptr();
        assert!(self.seen.keys.len() >= at + (n - 1) * self.kv_row + d && p.len() == m * n);
        // SAFETY: every index gemm reads is below at + (n - 1) * kv_row + d, checked
        // above, and `p` is m x n.
        #[allow(unsafe_code)]
        unsafe {
            gemm::gemm(
                m,
                n,
                d,
                p.as_mut_ptr(),
                1,
                n as isize,
                false,
                self.q.as_ptr(),
                1,
                d as isize,
                k,
                self.kv_row as isize,
                1,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }

    fn accumulate(&mut self, lo: usize, n: usize, p: &[f32], acc: &mut [f32]) {
        let (d, m) = (self.d, self.q.len() / self.d);
        let at = (lo - self.seen.first) * self.kv_row + self.at;
        let v = self.seen.values[at..].as_ptr();
        assert!(
            self.seen.values.len() >= at + (n - 1) * self.kv_row + d
                && acc.len() == m * d
                && p.len() == m * n
        );
        // SAFETY: as in `scores`, for the values.
        #[allow(unsafe_code)]
        unsafe {
            gemm::gemm(
                m,
                d,
                n,
                acc.as_mut_ptr(),
                1,
                d as isize,
                true,
                p.as_ptr(),
                1,
                n as isize,
                v,
                1,
                self.kv_row as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
}

/// AMX tiles of bf16 ([`tile_attention`]): the queries rounded once per task, each
/// tile's weights rounded before their product.
struct TileProducts<'a> {
    kernels: &'static Kernels,
    packed: &'a Packed,
    head: usize,
    /// The block's query heads in bf16, padded to whole tiles of rows.
    q: Vec<u16>,
    /// A tile's softmax weights in bf16.
    weights: Vec<u16>,
}

impl Products for TileProducts<'_> {
    fn rows(m: usize) -> usize {
        m.next_multiple_of(tile_attention::ROWS)
    }

    fn stride(n: usize) -> usize {
        n.next_multiple_of(tile_attention::KEYS)
    }

    fn scores(&mut self, lo: usize, n: usize, p: &mut [f32]) {
        let (d, stride) = (self.packed.d, Self::stride(n));
        let keys = self.packed.keys(self.head, lo);
        self.kernels
            .bf16_scores(&self.q, d, keys, stride, p, stride);
    }

    fn accumulate(&mut self, lo: usize, n: usize, p: &[f32], acc: &mut [f32]) {
        let (d, stride) = (self.packed.d, Self::stride(n));
        self.weights.clear();
        self.weights
            .extend(p.iter().map(|&x| tile_attention::bf16(x)));
        let values = self.packed.values(self.head, lo);
        self.kernels
            .bf16_accumulate(&self.weights, stride, stride, values, d, acc);
    }
}

/// The normalized outputs of query rows `t0..t0 + b` for the query heads `products`
/// holds (one KV head's), as `(b, group, d)` (and padding rows after).
fn attend_block<P: Products>(
    shape: &AttentionShape,
    mut products: P,
    start: usize,
    t0: usize,
    b: usize,
) -> Vec<f32> {
    let (d, g) = (shape.head_dim, shape.group());
    let m = b * g;
    let rows = P::rows(m);
    let pos = |r: usize| start + t0 + r / g;
    let k_first = shape.first_key(start + t0);
    let k_end = start + t0 + b;
    let mut acc = vec![0f32; rows * d];
    let mut max = vec![f32::NEG_INFINITY; m];
    let mut sum = vec![0f32; m];
    let mut scores = vec![0f32; rows * P::stride(KEY_TILE)];
    let mut lo = k_first;
    while lo < k_end {
        let n = KEY_TILE.min(k_end - lo);
        let stride = P::stride(n);
        let p = &mut scores[..rows * stride];
        products.scores(lo, n, p);
        let mut any = false;
        for r in 0..rows {
            let row = &mut p[r * stride..(r + 1) * stride];
            // The keys row r may see inside this tile (none for a padding row).
            let first = shape.first_key(pos(r)).max(lo) - lo;
            let last = (pos(r) + 1).min(lo + n).saturating_sub(lo);
            if r >= m || first >= last {
                row.fill(0.0);
                continue;
            }
            any = true;
            let m_new = max[r].max(max_of(&row[first..last]) * shape.scale);
            let s = exp_sum(&mut row[first..last], shape.scale, m_new);
            row[..first].fill(0.0);
            row[last..].fill(0.0);
            if max[r] > f32::NEG_INFINITY && m_new > max[r] {
                let c = (max[r] - m_new).exp();
                sum[r] *= c;
                acc[r * d..(r + 1) * d].iter_mut().for_each(|a| *a *= c);
            }
            max[r] = m_new;
            sum[r] += s;
        }
        if any {
            products.accumulate(lo, n, p, &mut acc);
        }
        lo += n;
    }
    for (r, row) in acc.chunks_exact_mut(d).take(m).enumerate() {
        let inv = 1.0 / sum[r];
        row.iter_mut().for_each(|a| *a *= inv);
    }
    acc
}

#[cfg(test)]
mod tests {
    use half::f16;

    use super::super::kv_cache::KvCache;
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

    /// A layer's shape, random queries (scaled up, so the softmax is peaked) for `rows`
    /// queries from position `start`, and a cache of random keys and values for every
    /// position they see (with those keys and values as f32, as the cache rounded them);
    /// `seed` picks the numbers.
    fn case(
        (heads, kv_heads, head_dim, start, rows, window): Case,
        seed: u32,
    ) -> (AttentionShape, Vec<f32>, Vec<f32>, Vec<f32>, KvCache) {
        let shape = AttentionShape {
            heads,
            kv_heads,
            head_dim,
            scale: 1.0 / (head_dim as f32).sqrt(),
            window,
        };
        let end = start + rows;
        let q = data(rows * heads * head_dim, seed)
            .iter()
            .map(|v| v * 8.0)
            .collect();
        let k = data(end * kv_heads * head_dim, seed + 1);
        let v = data(end * kv_heads * head_dim, seed + 2);
        let mut cache = KvCache::new(1, kv_heads * head_dim);
        cache.append(0, &k, &v);
        cache.advance(end);
        let rounded = |x: Vec<f32>| x.into_iter().map(|x| f16::from_f32(x).to_f32()).collect();
        (shape, q, rounded(k), rounded(v), cache)
    }

    /// (heads, kv_heads, head_dim, start, rows, window)
    type Case = (usize, usize, usize, usize, usize, Option<usize>);

    #[test]
    fn every_strategy_matches_the_written_out_softmax() {
        let cases: [Case; 11] = [
            (4, 2, 8, 5, QUERY_BLOCK + 40, None),
            (4, 2, 8, 5, QUERY_BLOCK + 40, Some(7)),
            (9, 3, 64, 0, 48, None),
            (12, 2, 128, 3, 20, None),
            // Long enough for a single row's cells to be spread over threads.
            (9, 3, 64, 600, 20, None),
            (12, 2, 128, 700, 17, Some(600)),
            // Short batches: one cache pass for all rows, their own positions apart.
            (12, 2, 128, 700, 1, None),
            (12, 2, 128, 700, 3, None),
            (9, 3, 64, 600, 15, Some(300)),
            (4, 2, 8, 30, 5, Some(3)),
            (4, 2, 8, 0, 4, None),
        ];
        for c in cases {
            let (shape, q, k, v, cache) = case(c, 1);
            let (start, rows) = (c.3, c.4);
            let direct = naive(&shape, &q, &k, &v, start);
            let close = |got: &[f32], tolerance: f32, what: &str| {
                for (i, (a, b)) in got.iter().zip(&direct).enumerate() {
                    assert!(
                        (a - b).abs() < tolerance,
                        "{what} {shape:?} at {i}: {a} vs {b}"
                    );
                }
            };
            let tiles = rows >= GEMM_MIN_ROWS
                && tile_attention::kernels_for(shape.head_dim, shape.window).is_some();
            // bf16 keeps 8 significant bits of each operand.
            let tolerance = if tiles { 2e-2 } else { 1e-4 };
            close(
                &attend(&shape, &q, cache.layer(0), start).unwrap(),
                tolerance,
                "active",
            );
            if rows >= GEMM_MIN_ROWS {
                // The f32 products, whatever the CPU.
                let f32_out = attend_f32(&shape, &q, cache.layer(0), start);
                close(&f32_out, 1e-4, "f32");
            }
        }
    }

    /// On a CPU with AMX-BF16, the tiles' attention against the same softmax written out
    /// over the bf16-rounded queries, keys and values (the weights are rounded too, so
    /// not exactly), on rows that straddle key tiles and query blocks.
    #[test]
    fn tile_attention_matches_the_softmax_of_the_rounded_values() {
        let cases: [Case; 3] = [
            (12, 2, 128, 0, 2 * QUERY_BLOCK + 5, None),
            (9, 3, 64, 700, 40, None),
            (14, 2, 64, 255, 17, None),
        ];
        for c in cases {
            let Some(_) = tile_attention::kernels_for(c.2, c.5) else {
                // Not an AMX CPU: `every_strategy_matches_the_written_out_softmax` covers
                // what runs here.
                return;
            };
            let (shape, q, k, v, cache) = case(c, 9);
            let round = |x: &[f32]| -> Vec<f32> {
                x.iter()
                    .map(|&x| f32::from_bits((tile_attention::bf16(x) as u32) << 16))
                    .collect()
            };
            let direct = naive(&shape, &round(&q), &round(&k), &round(&v), c.3);
            let got = attend(&shape, &q, cache.layer(0), c.3).unwrap();
            for (i, (a, b)) in got.iter().zip(&direct).enumerate() {
                assert!((a - b).abs() < 5e-3, "{shape:?} at {i}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn a_short_batch_gives_each_row_exactly_what_it_gets_alone() {
        // Across a cell boundary, long enough for threads, and a window narrower than the
        // batch.
        let cases: [Case; 4] = [
            (12, 2, 128, CELL - 2, 5, None),
            (12, 2, 128, 5 * CELL + 7, 3, None),
            (9, 3, 64, 700, 15, Some(300)),
            (4, 2, 8, 30, 6, Some(3)),
        ];
        for c in cases {
            let (shape, q, _, _, cache) = case(c, 4);
            let (start, rows, width) = (c.3, c.4, c.0 * c.2);
            let kv = cache.layer(0);
            let batch = attend(&shape, &q, kv, start).unwrap();
            for t in 0..rows {
                let alone = attend(&shape, &q[t * width..(t + 1) * width], kv, start + t);
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
        let mut cache = KvCache::new(1, 2);
        cache.append(0, &[0.3, 0.4], &[5.0, -6.0]);
        cache.advance(1);
        let out = attend(&shape, &[1.0, 0.0, 0.0, 1.0], cache.layer(0), 0).unwrap();
        assert_eq!(out, [5.0, -6.0, 5.0, -6.0]);
    }
}
