//! Prompt attention in bf16 on AMX tiles: the operands of the two products of
//! [`super::attention`]'s batched strategy, laid out as `tdpbf16ps` reads them.
//!
//! A prompt batch of a long chunk spends most of its attention in two f32 products (a
//! block's query heads times a tile of keys, the tile's softmax weights times its
//! values): at 6,000 positions a third of a Qwen2.5-1.5B prefill on an AMX Xeon, where
//! the weights' int8 products run on tiles. AMX also multiplies bf16 (16 x 32 by 32 x 16
//! per instruction, summed in f32), the format these models were trained in and are
//! served in on GPUs; queries, keys, values and the softmax weights are rounded to it
//! (to nearest, ties to even), the sums stay f32, and the softmax itself is unchanged.
//!
//! Layouts, `n` positions padded with zeros to a multiple of 64 and `d` a multiple of 64:
//! - keys, per KV head: per 16 positions, per 32 dimensions, 16 rows of 16 (even, odd)
//!   dimension pairs, one per position: a tile whose columns are positions;
//! - values, per KV head: per 32 positions, per 16 dimensions, 16 rows of 16 (even
//!   position, odd position) pairs, one per dimension: a tile whose columns are
//!   dimensions.
//!
//! Both put position `p`'s data at `p * d` values from the head's start, so a tile of
//! keys from position `lo` starts at `lo * d`.

use super::kernels::{self, Kernels};
use super::kv_cache::{LayerKv, PAGE};

/// Rows of queries (and of weights) per tile.
pub const ROWS: usize = 16;

/// Positions per product: four tiles of keys, two of values.
pub const KEYS: usize = 64;

/// `x` rounded to bf16 (to nearest, ties to even; no NaN reaches attention).
pub fn bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    ((bits + 0x7fff + (bits >> 16 & 1)) >> 16) as u16
}

/// The kernels that multiply the tiles, where this CPU and path have them and the
/// layer's geometry fits: a head dimension that is a multiple of 64, every key visible
/// (no sliding window, so the tiles start at position 0).
pub fn kernels_for(head_dim: usize, window: Option<usize>) -> Option<&'static Kernels> {
    let k = kernels::active();
    (k.bf16_tiles() && head_dim.is_multiple_of(64) && window.is_none()).then_some(k)
}

/// The keys and values of positions `0..n` of one layer, in the tiles' layouts.
pub struct Packed {
    /// Positions held, a multiple of [`KEYS`] (zeros past the cache's).
    pub positions: usize,
    pub d: usize,
    keys: Vec<u16>,
    values: Vec<u16>,
}

impl Packed {
    /// Positions `0..n` of `kv`, whose rows hold `kv_heads` heads of `d` values.
    pub fn new(kv: &LayerKv, n: usize, kv_heads: usize, d: usize) -> Self {
        let positions = n.next_multiple_of(KEYS);
        let head = positions * d;
        let mut keys = vec![0u16; kv_heads * head];
        let mut values = vec![0u16; kv_heads * head];
        let mut widened = vec![0f32; kv_heads * d];
        let mut lo = 0;
        while lo < n {
            let hi = ((lo / PAGE + 1) * PAGE).min(n);
            let (k, v) = kv.rows(lo, hi);
            for p in lo..hi {
                let row = (p - lo) * kv_heads * d..(p - lo + 1) * kv_heads * d;
                half::slice::HalfFloatSliceExt::convert_to_f32_slice(&k[row.clone()], &mut widened);
                for (h, x) in widened.chunks_exact(d).enumerate() {
                    pack_key(&mut keys[h * head..(h + 1) * head], p, d, x);
                }
                half::slice::HalfFloatSliceExt::convert_to_f32_slice(&v[row], &mut widened);
                for (h, x) in widened.chunks_exact(d).enumerate() {
                    pack_value(&mut values[h * head..(h + 1) * head], p, d, x);
                }
            }
            lo = hi;
        }
        Self {
            positions,
            d,
            keys,
            values,
        }
    }

    /// KV head `head`'s keys from position `lo` (a multiple of [`KEYS`]).
    pub fn keys(&self, head: usize, lo: usize) -> &[u16] {
        let at = head * self.positions * self.d;
        &self.keys[at + lo * self.d..at + self.positions * self.d]
    }

    /// KV head `head`'s values from position `lo` (a multiple of [`KEYS`]).
    pub fn values(&self, head: usize, lo: usize) -> &[u16] {
        let at = head * self.positions * self.d;
        &self.values[at + lo * self.d..at + self.positions * self.d]
    }
}

/// Position `p`'s key `x` into one head's packed keys.
fn pack_key(to: &mut [u16], p: usize, d: usize, x: &[f32]) {
    // The tile of (p / 16, chunk of 32 dimensions), row = pair, column = p % 16.
    let group = p / 16 * 16 * d;
    let column = p % 16 * 2;
    for (j, &x) in x.iter().enumerate() {
        let tile = group + j / 32 * 512;
        to[tile + j % 32 / 2 * 32 + column + j % 2] = bf16(x);
    }
}

/// Position `p`'s value `x` into one head's packed values.
fn pack_value(to: &mut [u16], p: usize, d: usize, x: &[f32]) {
    // The tile of (p / 32, group of 16 dimensions), row = p % 32 / 2, column = dimension.
    let chunk = p / 32 * 32 * d;
    let row = p % 32 / 2 * 32 + p % 2;
    for (j, &x) in x.iter().enumerate() {
        to[chunk + j / 16 * 512 + row + j % 16 * 2] = bf16(x);
    }
}

#[cfg(test)]
mod tests {
    use super::super::kv_cache::KvCache;
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let h = (i as u32).wrapping_mul(2654435761).wrapping_add(seed);
                (h >> 16 & 0x3ff) as f32 / 256.0 - 2.0
            })
            .collect()
    }

    #[test]
    fn bf16_rounds_to_nearest_with_ties_to_even() {
        assert_eq!(bf16(1.0), 0x3f80);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: to the even one, 1.
        assert_eq!(bf16(1.0 + 1.0 / 256.0), 0x3f80);
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: to the even one.
        assert_eq!(bf16(1.0 + 3.0 / 256.0), 0x3f82);
        assert_eq!(bf16(1.0 + 1.0 / 256.0 + 1.0 / 4096.0), 0x3f81);
        assert_eq!(bf16(-2.5), 0xc020);
    }

    /// The packed layouts hold each key and value where the tile products read it.
    #[test]
    fn keys_and_values_sit_where_the_tiles_read_them() {
        let (kv_heads, d, n) = (2, 64, 45);
        let k = values(n * kv_heads * d, 1);
        let v = values(n * kv_heads * d, 2);
        let mut cache = KvCache::new(1, kv_heads * d);
        cache.append(0, &k, &v);
        cache.advance(n);
        let packed = Packed::new(cache.layer(0), n, kv_heads, d);
        assert_eq!(packed.positions, 64);
        let f16_bf16 = |x: f32| bf16(half::f16::from_f32(x).to_f32());
        for h in 0..kv_heads {
            let keys = packed.keys(h, 0);
            let vals = packed.values(h, 0);
            for p in 0..packed.positions {
                for j in 0..d {
                    let (want_k, want_v) = if p < n {
                        let at = (p * kv_heads + h) * d + j;
                        (f16_bf16(k[at]), f16_bf16(v[at]))
                    } else {
                        (0, 0)
                    };
                    // Keys: tile (p / 16, j / 32), row (j % 32) / 2, column p % 16.
                    let tile = (p / 16 * (d / 32) + j / 32) * 512;
                    assert_eq!(
                        keys[tile + (j % 32 / 2) * 32 + (p % 16) * 2 + j % 2],
                        want_k
                    );
                    // Values: tile (p / 32, j / 16), row (p % 32) / 2, column j % 16.
                    let tile = (p / 32 * (d / 16) + j / 16) * 512;
                    assert_eq!(
                        vals[tile + (p % 32 / 2) * 32 + (j % 16) * 2 + p % 2],
                        want_v
                    );
                }
            }
            assert_eq!(packed.keys(h, 0).len(), 64 * d);
        }
    }

    /// The tile products against the same sums written out over the same bf16 values:
    /// the only difference is the order of f32 additions.
    #[test]
    fn tile_products_equal_the_sums_over_the_rounded_values() {
        use super::super::kernels::KernelPath;
        if !KernelPath::Amx.available() {
            // Only a CPU with AMX multiplies tiles (the kernel tests require the path
            // wherever CPUID reports AMX).
            return;
        }
        let k = Kernels::for_path(KernelPath::Amx);
        assert!(k.bf16_tiles(), "every AMX CPU so far has AMX-BF16");
        for (kv_heads, d, n, rows) in [(1, 64, 64, 16), (2, 128, 128, 48)] {
            let kf = values(n * kv_heads * d, 3);
            let vf = values(n * kv_heads * d, 4);
            let mut cache = KvCache::new(1, kv_heads * d);
            cache.append(0, &kf, &vf);
            cache.advance(n);
            let packed = Packed::new(cache.layer(0), n, kv_heads, d);
            let round =
                |x: f32| f32::from_bits((bf16(half::f16::from_f32(x).to_f32()) as u32) << 16);
            let q: Vec<f32> = values(rows * d, 5);
            let qb: Vec<u16> = q.iter().map(|&x| bf16(x)).collect();
            let wide = |b: u16| f32::from_bits((b as u32) << 16);
            for h in 0..kv_heads {
                let stride = n + 8;
                let mut s = vec![f32::NAN; rows * stride];
                k.bf16_scores(&qb, d, packed.keys(h, 0), n, &mut s, stride);
                for r in 0..rows {
                    for p in 0..n {
                        let want: f32 = (0..d)
                            .map(|j| wide(qb[r * d + j]) * round(kf[(p * kv_heads + h) * d + j]))
                            .sum();
                        let got = s[r * stride + p];
                        assert!(
                            (got - want).abs() < 1e-3 * (1.0 + want.abs()),
                            "{got} vs {want}"
                        );
                    }
                }
                let w: Vec<u16> = values(rows * stride, 6).iter().map(|&x| bf16(x)).collect();
                let mut acc = values(rows * d, 7);
                let before = acc.clone();
                k.bf16_accumulate(&w, stride, n, packed.values(h, 0), d, &mut acc);
                for r in 0..rows {
                    for j in 0..d {
                        let want: f32 = before[r * d + j]
                            + (0..n)
                                .map(|p| {
                                    wide(w[r * stride + p]) * round(vf[(p * kv_heads + h) * d + j])
                                })
                                .sum::<f32>();
                        let got = acc[r * d + j];
                        assert!(
                            (got - want).abs() < 1e-3 * (1.0 + want.abs()),
                            "{got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
