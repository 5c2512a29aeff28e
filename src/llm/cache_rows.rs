//! The two loops of decode attention over cached rows: the query heads' dot products with
//! each cached key, and the probability-weighted sums of cached values.
//!
//! Decoding at position 2,048, these loops read every cached key and value of every layer
//! once per token. The query heads that share a KV head (six for Qwen2.5-1.5B) are taken
//! together, so each key and value is loaded once for all of them, not once per head.
//! Where the CPU has AVX-512 and the head width is 64, 128 or 256, each key stays in
//! registers while the heads' dot products are summed, and the weighted sums keep their
//! outputs in registers across all positions.

// SIMD intrinsics over slices whose lengths are asserted before each call.
#![allow(unsafe_code)]

/// For each query row `g` of `queries` (`heads x d`) and position `j < n`:
/// `out[g * n + j] = scale * query_g · keys[j * stride..][..d]`.
pub fn scores(queries: &[f32], d: usize, keys: &[f32], stride: usize, scale: f32, out: &mut [f32]) {
    let heads = queries.len() / d;
    let n = out.len() / heads.max(1);
    assert_eq!(heads * d, queries.len());
    assert_eq!(heads * n, out.len());
    assert!(
        n == 0 || keys.len() >= (n - 1) * stride + d,
        "keys hold every position"
    );
    #[cfg(target_arch = "x86_64")]
    if simd::usable(d) {
        // SAFETY: the CPU has AVX-512F; every row read lies in `keys` (asserted above).
        unsafe {
            match d {
                64 => simd::scores::<4>(queries, keys, stride, scale, n, out),
                128 => simd::scores::<8>(queries, keys, stride, scale, n, out),
                _ => simd::scores::<16>(queries, keys, stride, scale, n, out),
            }
        }
        return;
    }
    for (q, out) in queries.chunks_exact(d).zip(out.chunks_exact_mut(n.max(1))) {
        for (j, s) in out.iter_mut().enumerate() {
            *s = super::ops::dot(q, &keys[j * stride..j * stride + d]) * scale;
        }
    }
}

/// For each row `g` of `weights` (`heads x n`):
/// `out[g * d..][..d] = Σ_j weights[g * n + j] * values[j * stride..][..d]`.
pub fn weighted_sums(weights: &[f32], n: usize, values: &[f32], stride: usize, out: &mut [f32]) {
    let heads = weights.len() / n.max(1);
    let d = out.len() / heads.max(1);
    assert_eq!(heads * n, weights.len());
    assert_eq!(heads * d, out.len());
    assert!(
        n == 0 || values.len() >= (n - 1) * stride + d,
        "values hold every position"
    );
    #[cfg(target_arch = "x86_64")]
    if simd::usable(d) {
        // SAFETY: as in `scores`.
        unsafe {
            match d {
                64 => simd::weighted_sums::<4, 6>(weights, n, values, stride, out),
                128 => simd::weighted_sums::<8, 3>(weights, n, values, stride, out),
                _ => simd::weighted_sums::<16, 1>(weights, n, values, stride, out),
            }
        }
        return;
    }
    out.fill(0.0);
    for (w, out) in weights.chunks_exact(n.max(1)).zip(out.chunks_exact_mut(d)) {
        for (j, w) in w.iter().enumerate() {
            super::ops::axpy(out, *w, &values[j * stride..j * stride + d]);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    pub fn usable(d: usize) -> bool {
        matches!(d, 64 | 128 | 256) && is_x86_feature_detected!("avx512f")
    }

    /// `C` vectors of 16 floats per row; the key stays in registers for every head.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn scores<const C: usize>(
        queries: &[f32],
        keys: &[f32],
        stride: usize,
        scale: f32,
        n: usize,
        out: &mut [f32],
    ) {
        let heads = queries.len() / (16 * C);
        for j in 0..n {
            let key = keys.as_ptr().add(j * stride);
            let k: [__m512; C] = std::array::from_fn(|c| _mm512_loadu_ps(key.add(16 * c)));
            for g in 0..heads {
                let q = queries.as_ptr().add(g * 16 * C);
                // Two chains, so the multiply-adds of one head overlap.
                let (mut a, mut b) = (_mm512_setzero_ps(), _mm512_setzero_ps());
                for c in (0..C).step_by(2) {
                    a = _mm512_fmadd_ps(_mm512_loadu_ps(q.add(16 * c)), k[c], a);
                    b = _mm512_fmadd_ps(_mm512_loadu_ps(q.add(16 * c + 16)), k[c + 1], b);
                }
                out[g * n + j] = _mm512_reduce_add_ps(_mm512_add_ps(a, b)) * scale;
            }
        }
    }

    /// `Q` heads at a time keep `Q x C` sums in registers while each value is loaded once.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn weighted_sums<const C: usize, const Q: usize>(
        weights: &[f32],
        n: usize,
        values: &[f32],
        stride: usize,
        out: &mut [f32],
    ) {
        let heads = weights.len() / n.max(1);
        let mut g = 0;
        while g + Q <= heads {
            heads_sum::<C, Q>(&weights[g * n..], n, values, stride, &mut out[g * 16 * C..]);
            g += Q;
        }
        while g < heads {
            heads_sum::<C, 1>(&weights[g * n..], n, values, stride, &mut out[g * 16 * C..]);
            g += 1;
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn heads_sum<const C: usize, const Q: usize>(
        weights: &[f32],
        n: usize,
        values: &[f32],
        stride: usize,
        out: &mut [f32],
    ) {
        let mut acc = [[_mm512_setzero_ps(); C]; Q];
        for j in 0..n {
            let row = values.as_ptr().add(j * stride);
            let v: [__m512; C] = std::array::from_fn(|c| _mm512_loadu_ps(row.add(16 * c)));
            for (q, acc) in acc.iter_mut().enumerate() {
                let w = _mm512_set1_ps(*weights.get_unchecked(q * n + j));
                for (acc, v) in acc.iter_mut().zip(&v) {
                    *acc = _mm512_fmadd_ps(w, *v, *acc);
                }
            }
        }
        for (q, acc) in acc.iter().enumerate() {
            for (c, acc) in acc.iter().enumerate() {
                _mm512_storeu_ps(out.as_mut_ptr().add(q * 16 * C + 16 * c), *acc);
            }
        }
    }
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
                let rows: Vec<f32> = (0..n * stride)
                    .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
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
                    let want: f32 = q.iter().zip(&rows[at..at + d]).map(|(a, b)| a * b).sum();
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
                        .map(|j| weights[h * n + j] * rows[j * stride + lane])
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
