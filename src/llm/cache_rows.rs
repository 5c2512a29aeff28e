//! The two loops of decode attention over cached rows: a query's dot product with each
//! cached key, and the probability-weighted sum of cached values.
//!
//! Decoding at position 2,048, these loops read every cached key and value of every layer
//! once per token. Written as a call to a general dot product per key they took a third
//! of Qwen2.5-1.5B's decode time; here, where the CPU has AVX-512 and the head width is
//! 64, 128 or 256, the query stays in registers, four keys are summed side by side, and
//! the weighted sum keeps its output in registers across all positions.

// SIMD intrinsics over slices whose lengths are asserted before each call.
#![allow(unsafe_code)]

/// `out[j] = scale * query · keys[j * stride..][..query.len()]` for each `j < out.len()`.
pub fn scores(query: &[f32], keys: &[f32], stride: usize, scale: f32, out: &mut [f32]) {
    let d = query.len();
    if let Some(n) = out.len().checked_sub(1) {
        assert!(keys.len() >= n * stride + d, "keys hold every position");
    }
    #[cfg(target_arch = "x86_64")]
    if simd::usable(d) {
        // SAFETY: the CPU has AVX-512F; `keys` holds every row read (asserted above).
        unsafe {
            match d {
                64 => simd::scores::<4>(query, keys, stride, scale, out),
                128 => simd::scores::<8>(query, keys, stride, scale, out),
                _ => simd::scores::<16>(query, keys, stride, scale, out),
            }
        }
        return;
    }
    for (j, s) in out.iter_mut().enumerate() {
        *s = super::ops::dot(query, &keys[j * stride..j * stride + d]) * scale;
    }
}

/// `out = Σ_j weights[j] * values[j * stride..][..out.len()]`.
pub fn weighted_sum(weights: &[f32], values: &[f32], stride: usize, out: &mut [f32]) {
    let d = out.len();
    if let Some(n) = weights.len().checked_sub(1) {
        assert!(values.len() >= n * stride + d, "values hold every position");
    }
    #[cfg(target_arch = "x86_64")]
    if simd::usable(d) {
        // SAFETY: as in `scores`.
        unsafe {
            match d {
                64 => simd::weighted_sum::<4>(weights, values, stride, out),
                128 => simd::weighted_sum::<8>(weights, values, stride, out),
                _ => simd::weighted_sum::<16>(weights, values, stride, out),
            }
        }
        return;
    }
    out.fill(0.0);
    for (j, w) in weights.iter().enumerate() {
        super::ops::axpy(out, *w, &values[j * stride..j * stride + d]);
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    pub fn usable(d: usize) -> bool {
        matches!(d, 64 | 128 | 256) && is_x86_feature_detected!("avx512f")
    }

    /// `C` vectors of 16 floats per row.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn scores<const C: usize>(
        query: &[f32],
        keys: &[f32],
        stride: usize,
        scale: f32,
        out: &mut [f32],
    ) {
        let q: [__m512; C] = std::array::from_fn(|c| _mm512_loadu_ps(query.as_ptr().add(16 * c)));
        let k = keys.as_ptr();
        let n = out.len();
        let mut j = 0;
        // Four keys at a time: four independent chains of multiply-adds.
        while j + 4 <= n {
            let mut acc = [_mm512_setzero_ps(); 4];
            for (c, q) in q.iter().enumerate() {
                for (u, acc) in acc.iter_mut().enumerate() {
                    let kv = _mm512_loadu_ps(k.add((j + u) * stride + 16 * c));
                    *acc = _mm512_fmadd_ps(*q, kv, *acc);
                }
            }
            for (u, acc) in acc.iter().enumerate() {
                out[j + u] = _mm512_reduce_add_ps(*acc) * scale;
            }
            j += 4;
        }
        while j < n {
            let mut acc = _mm512_setzero_ps();
            for (c, q) in q.iter().enumerate() {
                acc = _mm512_fmadd_ps(*q, _mm512_loadu_ps(k.add(j * stride + 16 * c)), acc);
            }
            out[j] = _mm512_reduce_add_ps(acc) * scale;
            j += 1;
        }
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn weighted_sum<const C: usize>(
        weights: &[f32],
        values: &[f32],
        stride: usize,
        out: &mut [f32],
    ) {
        let mut acc = [_mm512_setzero_ps(); C];
        let v = values.as_ptr();
        for (j, w) in weights.iter().enumerate() {
            let w = _mm512_set1_ps(*w);
            for (c, acc) in acc.iter_mut().enumerate() {
                *acc = _mm512_fmadd_ps(w, _mm512_loadu_ps(v.add(j * stride + 16 * c)), *acc);
            }
        }
        for (c, acc) in acc.iter().enumerate() {
            _mm512_storeu_ps(out.as_mut_ptr().add(16 * c), *acc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_the_plain_loops_for_every_head_width() {
        for d in [8, 64, 128, 256] {
            let stride = 2 * d + 16;
            let n = 11;
            let rows: Vec<f32> = (0..n * stride)
                .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
                .collect();
            let query: Vec<f32> = (0..d).map(|i| ((i * 13) % 7) as f32 - 3.0).collect();
            let mut got = vec![0f32; n];
            scores(&query, &rows[d..], stride, 0.5, &mut got);
            for (j, g) in got.iter().enumerate() {
                let at = d + j * stride;
                let want: f32 = query
                    .iter()
                    .zip(&rows[at..at + d])
                    .map(|(a, b)| a * b)
                    .sum();
                assert!(
                    (g - 0.5 * want).abs() < 1e-3,
                    "d {d} key {j}: {g} vs {want}"
                );
            }
            let weights: Vec<f32> = (0..n).map(|j| j as f32 / n as f32).collect();
            let mut sum = vec![1f32; d];
            weighted_sum(&weights, &rows, stride, &mut sum);
            for (i, s) in sum.iter().enumerate() {
                let want: f32 = (0..n).map(|j| weights[j] * rows[j * stride + i]).sum();
                assert!((s - want).abs() < 1e-4, "d {d} lane {i}: {s} vs {want}");
            }
        }
    }
}
