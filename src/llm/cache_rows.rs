//! The two loops of decode attention over cached rows: the query heads' dot products with
//! each cached key, and the probability-weighted sums of cached values.
//!
//! Decoding at position 2,048, these loops read every cached key and value of every layer
//! once per token. The query heads that share a KV head (six for Qwen2.5-1.5B) are taken
//! together, so each key and value is loaded once for all of them, not once per head. The
//! loops themselves belong to the active kernel path ([`super::kernels`]), whose table
//! checks the geometry they rely on before any kernel reads. The cache holds f16 rows
//! ([`super::kv_cache`]); the loops widen each to f32 as they load it.

use half::f16;

/// For each query row `g` of `queries` (`heads x d`) and position `j < n`:
/// `out[g * n + j] = scale * query_g · keys[j * stride..][..d]`.
pub fn scores(queries: &[f32], d: usize, keys: &[f16], stride: usize, scale: f32, out: &mut [f32]) {
    super::kernels::active().scores(queries, d, keys, stride, scale, out);
}

/// For each row `g` of `weights` (`heads x n`):
/// `out[g * d..][..d] = Σ_j weights[g * n + j] * values[j * stride..][..d]`.
pub fn weighted_sums(weights: &[f32], n: usize, values: &[f16], stride: usize, out: &mut [f32]) {
    super::kernels::active().weighted_sums(weights, n, values, stride, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_the_plain_loops_for_every_head_width_and_group() {
        for d in [8, 64, 128, 256] {
            for heads in [1, 3, 7] {
                let stride = 2 * d + 16;
                let n = 11;
                // Exact in f16: multiples of 1/32 within ±1.
                let rows: Vec<f16> = (0..n * stride)
                    .map(|i| f16::from_f32(((i * 37) % 65) as f32 / 32.0 - 1.0))
                    .collect();
                let queries: Vec<f32> = (0..heads * d)
                    .map(|i| ((i * 13) % 7) as f32 - 3.0)
                    .collect();
                let mut got = vec![0f32; heads * n];
                scores(&queries, d, &rows[d..], stride, 0.5, &mut got);
                for (i, g) in got.iter().enumerate() {
                    let (h, j) = (i / n, i % n);
                    let at = d + j * stride;
                    let q = &queries[h * d..(h + 1) * d];
                    let want: f32 = q
                        .iter()
                        .zip(&rows[at..at + d])
                        .map(|(a, b)| a * b.to_f32())
                        .sum();
                    assert!(
                        (g - 0.5 * want).abs() < 1e-3,
                        "d {d} head {h} key {j}: {g} vs {want}"
                    );
                }
                let weights: Vec<f32> = (0..heads * n).map(|i| (i % 5) as f32 / 5.0).collect();
                let mut sums = vec![1f32; heads * d];
                weighted_sums(&weights, n, &rows, stride, &mut sums);
                for (i, s) in sums.iter().enumerate() {
                    let (h, lane) = (i / d, i % d);
                    let want: f32 = (0..n)
                        .map(|j| weights[h * n + j] * rows[j * stride + lane].to_f32())
                        .sum();
                    assert!(
                        (s - want).abs() < 1e-4,
                        "d {d} head {h} lane {lane}: {s} vs {want}"
                    );
                }
            }
        }
    }
}
