//! The AVX2 path (x86-64 with AVX2, FMA and F16C: Intel since Haswell, AMD since
//! Excavator; the path of most laptops and desktops, and of AMD Zen 2/3 servers).
//!
//! 256-bit vectors and no `vpdpbusd`: int8 products go through `vpmaddubsw` (unsigned ×
//! signed bytes, summed in pairs to i16) and `vpmaddwd` (i16 pairs summed to i32, times a
//! sub-block scale or times one). `vpmaddubsw` saturates at 32,767, so one operand must
//! stay small: the weights' codes (4 to 6 bits) are unsigned and small by nature; where
//! both operands are full bytes (Q8_0 decoding) the sign of one moves onto the other
//! (`vpsignb`), which bounds a pair at 2 × 128 × 127; so do the int8 GEMM's re-quantized
//! panels, while k-quants multiply their own small codes.
//!
//! The decoding kernels and the int8 GEMM are [`super::simd256`]'s, built on the products
//! of [`maddubs`]; the GEMM over k-quant codes ([`codes`]), the attention loops and the
//! softmax's `exp` are this file's, and the AVX-VNNI path shares the latter two.

// SIMD intrinsics over the GGUF bytes and cached rows; every pointer read stays inside
// the slices whose geometry the dispatch table's callers checked.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

use half::f16;

use super::simd256::{hsum, int8_kernels, prefetch};
use super::{generic, KernelPath, Kernels};

pub(super) static KERNELS: Kernels = Kernels {
    path: KernelPath::Avx2,
    int8_gemm_fast: true,
    dot_rows,
    dot_rows_shared: Some(int8::dot_rows_shared),
    panel_product: int8::panel_product,
    code_product: Some(codes::code_product),
    scores,
    weighted_sums,
    exp_sum,
    quantize_block,
};

/// See [`super::QuantizeBlock`].
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn quantize_block(block: &[f32], out: &mut [i8]) -> f32 {
    super::layout::quantize_block(block, out)
}

// Four activation rows per GEMM call: with two 8-column vectors each, 8 accumulators of
// the 16 vector registers, beside the panel's two vectors, their magnitudes and a
// broadcast.
int8_kernels!(
    mod int8,
    features = "avx2,fma,f16c",
    products = maddubs,
    gemm_rows = [1, 2, 3, 4]
);

// The AVX-512 path takes Q5_0 from here.
pub(super) use int8::dot_rows;

/// AVX2's int8 products (see [`super::simd256`]): `vpmaddubsw` multiplies unsigned by
/// signed bytes and sums pairs to i16, saturating at 32,767; `vpmaddwd` sums i16 pairs to
/// i32, times a scale or times one.
mod maddubs {
    use std::arch::x86_64::*;

    /// Codes below 64 times bytes of at most 127 in magnitude: a pair stays under 16,129.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn scaled_add(
        isum: __m256i,
        codes: __m256i,
        x: __m256i,
        scales: __m256i,
    ) -> __m256i {
        let p = _mm256_maddubs_epi16(codes, x);
        _mm256_add_epi32(isum, _mm256_madd_epi16(p, scales))
    }

    /// `vpmaddubsw` wants one unsigned operand, so `|w|` meets `x` with `w`'s sign; a pair
    /// is then at most 2 x 128 x 127.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn signed_dot(w: __m256i, x: __m256i) -> __m256i {
        let p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
        _mm256_madd_epi16(p, _mm256_set1_epi16(1))
    }

    /// Codes below 32 times bytes of at most 127: four products fit an i16.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn pair_dot(lo: __m256i, hi: __m256i, x0: __m256i, x1: __m256i) -> __m256i {
        let p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x0), _mm256_maddubs_epi16(hi, x1));
        _mm256_madd_epi16(p, _mm256_set1_epi16(1))
    }

    /// The activation back to signed bytes (the panel's offsets are then not needed), and
    /// the weight's sign moved onto it as in [`signed_dot`]. (Unsigned activations against
    /// 7-bit weights would save both steps, but rounding the weights to 7 bits changed
    /// SmolLM2's greedy tokens against candle's reference; the k-quants avoid the
    /// question by multiplying their own codes, [`super::codes`].)
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn panel_dot(acc: __m256i, x: __m256i, b: __m256i) -> __m256i {
        let x = _mm256_xor_si256(x, _mm256_set1_epi8(-128));
        let p = _mm256_maddubs_epi16(_mm256_sign_epi8(b, b), _mm256_sign_epi8(x, b));
        _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)))
    }

    /// The products were of the signed activations: already exact.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn panel_exact(acc: __m256i, _offsets: *const i32) -> __m256i {
        acc
    }
}

/// The int8 GEMM over k-quant codes as the file stores them ([`CodePanel`]): the codes
/// are unsigned and small, so `vpmaddubsw` multiplies them by the signed activation
/// bytes directly, and the i16 sums of a sub-block's words (eight of Q4_K's, two of
/// Q6_K's) are added before one `vpmaddwd` applies the sub-block's scale: about 1.1
/// multiplier instructions per 32 products where re-quantized bytes take 2.
mod codes {
    use std::arch::x86_64::*;

    use super::super::layout::{CodeKind, CodePanel, CodeRows, Shape, PANEL};
    use super::super::runs;
    use super::super::simd256::{store_strip, STRIP};

    /// See [`super::super::CodeProduct`].
    ///
    /// # Safety
    /// The CPU has AVX2, FMA and F16C; as [`super::super::Kernels::code_product`]
    /// requires.
    pub(in crate::llm::kernels) unsafe fn code_product(
        a: CodeRows<'_>,
        rows: usize,
        panel: &CodePanel,
        c: *mut f32,
        shape: Shape,
    ) {
        // Each kind's geometry, as `CodeKind` defines it.
        const Q4K_SUB: usize = CodeKind::Q4K.sub_quads();
        const Q4K_GROUP: usize = CodeKind::Q4K.group();
        const Q6K_SUB: usize = CodeKind::Q6K.sub_quads();
        const Q6K_GROUP: usize = CodeKind::Q6K.group();
        const Q4K: &[runs::CodeRun] = &[
            code_rows::<1, Q4K_SUB, Q4K_GROUP>,
            code_rows::<2, Q4K_SUB, Q4K_GROUP>,
            code_rows::<3, Q4K_SUB, Q4K_GROUP>,
            code_rows::<4, Q4K_SUB, Q4K_GROUP>,
        ];
        const Q6K: &[runs::CodeRun] = &[
            code_rows::<1, Q6K_SUB, Q6K_GROUP>,
            code_rows::<2, Q6K_SUB, Q6K_GROUP>,
            code_rows::<3, Q6K_SUB, Q6K_GROUP>,
            code_rows::<4, Q6K_SUB, Q6K_GROUP>,
        ];
        let table = match panel.kind {
            CodeKind::Q4K => Q4K,
            CodeKind::Q6K => Q6K,
        };
        runs::code_product(a, rows, panel, c, shape, table)
    }

    /// `R` activation rows times the panel, [`STRIP`] columns at a time, for sub-blocks
    /// of `SUBQ` words whose products are summed in i16 `GROUP` words at a time.
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn code_rows<const R: usize, const SUBQ: usize, const GROUP: usize>(
        a: CodeRows<'_>,
        panel: &CodePanel,
        c: *mut f32,
        s: Shape,
    ) {
        let blocks = s.blocks();
        let subs = s.block_quads / SUBQ;
        let pairs = blocks * subs / 2;
        let (aw, asums) = (a.words.as_ptr(), a.sums.as_ptr());
        let load = |p: *const u32| _mm256_loadu_si256(p as *const __m256i);
        for strip in 0..PANEL / STRIP {
            let col = strip * STRIP;
            if col >= s.cols {
                break;
            }
            let mut sums = [[_mm256_setzero_ps(); 2]; R];
            for blk in 0..blocks {
                let mut isum = [[_mm256_setzero_si256(); 2]; R];
                for sub in blk * subs..(blk + 1) * subs {
                    let sp = panel.scales.as_ptr().add(sub * PANEL + col);
                    let scale = [load(sp), load(sp.add(8))];
                    for g0 in (0..SUBQ).step_by(GROUP) {
                        let mut p = [[_mm256_setzero_si256(); 2]; R];
                        for g in g0..g0 + GROUP {
                            let k = sub * SUBQ + g;
                            let bk = panel.words.as_ptr().add(k * PANEL + col);
                            let b = [load(bk), load(bk.add(8))];
                            for (r, p) in p.iter_mut().enumerate() {
                                let x = _mm256_set1_epi32(*aw.add(r * s.quads + k) as i32);
                                for j in 0..2 {
                                    p[j] = _mm256_add_epi16(p[j], _mm256_maddubs_epi16(b[j], x));
                                }
                            }
                        }
                        for (isum, p) in isum.iter_mut().zip(&p) {
                            for j in 0..2 {
                                isum[j] =
                                    _mm256_add_epi32(isum[j], _mm256_madd_epi16(p[j], scale[j]));
                            }
                        }
                    }
                }
                let mut correction = [[_mm256_setzero_si256(); 2]; R];
                for t in blk * subs / 2..(blk + 1) * subs / 2 {
                    let cp = panel.corrections.as_ptr().add(t * PANEL + col);
                    let cv = [load(cp), load(cp.add(8))];
                    for (r, corr) in correction.iter_mut().enumerate() {
                        let sums = _mm256_set1_epi32(*asums.add(r * pairs + t) as i32);
                        for j in 0..2 {
                            corr[j] = _mm256_add_epi32(corr[j], _mm256_madd_epi16(cv[j], sums));
                        }
                    }
                }
                let at = blk * PANEL + col;
                let (d, dm) = (panel.d.as_ptr().add(at), panel.dm.as_ptr().add(at));
                for r in 0..R {
                    let sa = _mm256_set1_ps(a.scales[r * blocks + blk]);
                    for j in 0..2 {
                        let dd = _mm256_mul_ps(sa, _mm256_loadu_ps(d.add(8 * j)));
                        let ddm = _mm256_mul_ps(sa, _mm256_loadu_ps(dm.add(8 * j)));
                        let v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[r][j]), dd, sums[r][j]);
                        sums[r][j] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(correction[r][j]), ddm, v);
                    }
                }
            }
            store_strip(&sums, c, s.stride, col, s.cols);
        }
    }
}

/// Cached positions a loop over the cache asks for ahead of the one it reads: each
/// position's row of one KV head is a short piece of a longer row (512 of 1,024 bytes
/// for Qwen2.5-1.5B), which the hardware prefetcher does not follow across pages.
const AHEAD: usize = 8;

/// See [`crate::llm::cache_rows::scores`]; head widths that are a multiple of 32.
pub(super) unsafe fn scores(
    queries: &[f32],
    d: usize,
    keys: &[f16],
    stride: usize,
    scale: f32,
    out: &mut [f32],
) {
    if !d.is_multiple_of(32) {
        return generic::scores(queries, d, keys, stride, scale, out);
    }
    scores_wide(queries, d, keys, stride, scale, out)
}

/// Two positions by four heads a step: each key vector loaded serves four heads and each
/// query vector two positions (one load per multiply-add, where a head at a time took
/// two), and the eight sums are reduced together by a tree of `vhaddps`.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn scores_wide(
    queries: &[f32],
    d: usize,
    keys: &[f16],
    stride: usize,
    scale: f32,
    out: &mut [f32],
) {
    let heads = queries.len() / d;
    let n = out.len() / heads.max(1);
    let q = queries.as_ptr();
    let o = out.as_mut_ptr();
    let mut j = 0;
    while j + 2 <= n {
        let k0 = keys.as_ptr().add(j * stride);
        let k1 = k0.add(stride);
        prefetch(k0.wrapping_add(AHEAD * stride) as *const u8, 2 * d);
        prefetch(k1.wrapping_add(AHEAD * stride) as *const u8, 2 * d);
        let mut g = 0;
        while g + 4 <= heads {
            let mut acc = [[_mm256_setzero_ps(); 2]; 4];
            for i in (0..d).step_by(8) {
                let (a, b) = (load8h(k0.add(i)), load8h(k1.add(i)));
                for (h, acc) in acc.iter_mut().enumerate() {
                    let qv = _mm256_loadu_ps(q.add((g + h) * d + i));
                    acc[0] = _mm256_fmadd_ps(qv, a, acc[0]);
                    acc[1] = _mm256_fmadd_ps(qv, b, acc[1]);
                }
            }
            // Lane 2h + p: head g + h at position j + p.
            let h01 = _mm256_hadd_ps(
                _mm256_hadd_ps(acc[0][0], acc[0][1]),
                _mm256_hadd_ps(acc[1][0], acc[1][1]),
            );
            let h23 = _mm256_hadd_ps(
                _mm256_hadd_ps(acc[2][0], acc[2][1]),
                _mm256_hadd_ps(acc[3][0], acc[3][1]),
            );
            let sums = _mm256_add_ps(
                _mm256_permute2f128_ps::<0x20>(h01, h23),
                _mm256_permute2f128_ps::<0x31>(h01, h23),
            );
            let mut lanes = [0f32; 8];
            _mm256_storeu_ps(
                lanes.as_mut_ptr(),
                _mm256_mul_ps(sums, _mm256_set1_ps(scale)),
            );
            for h in 0..4 {
                *o.add((g + h) * n + j) = lanes[2 * h];
                *o.add((g + h) * n + j + 1) = lanes[2 * h + 1];
            }
            g += 4;
        }
        for g in g..heads {
            for (p, key) in [k0, k1].into_iter().enumerate() {
                *o.add(g * n + j + p) = dot_wide(q.add(g * d), key, d) * scale;
            }
        }
        j += 2;
    }
    if j < n {
        let key = keys.as_ptr().add(j * stride);
        for g in 0..heads {
            *o.add(g * n + j) = dot_wide(q.add(g * d), key, d) * scale;
        }
    }
}

/// `a · b` over `d` values (a multiple of 8), summed in exactly the order of the blocked
/// loop above: one chain of multiply-adds, then the same `vhaddps` tree. A head's score
/// thus does not depend on which other heads share the call, which a short batch (where
/// each row's heads are extra heads of the call) needs to give what decoding gives.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_wide(a: *const f32, b: *const f16, d: usize) -> f32 {
    let mut acc = _mm256_setzero_ps();
    for i in (0..d).step_by(8) {
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(a.add(i)), load8h(b.add(i)), acc);
    }
    let pairs = _mm256_hadd_ps(acc, acc);
    let quads = _mm256_hadd_ps(pairs, pairs);
    _mm_cvtss_f32(_mm_add_ss(
        _mm256_castps256_ps128(quads),
        _mm256_extractf128_ps::<1>(quads),
    ))
}

/// Eight cached f16 values widened to f32 (F16C's `vcvtph2ps`).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn load8h(p: *const f16) -> __m256 {
    _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i))
}

/// See [`crate::llm::cache_rows::weighted_sums`]; head widths that are a multiple of 64.
pub(super) unsafe fn weighted_sums(
    weights: &[f32],
    n: usize,
    values: &[f16],
    stride: usize,
    out: &mut [f32],
) {
    let d = out.len() / (weights.len() / n.max(1)).max(1);
    if !d.is_multiple_of(64) {
        return generic::weighted_sums(weights, n, values, stride, out);
    }
    weighted_sums_wide(weights, n, values, stride, d, out)
}

/// Each head's output, 64 values at a time, stays in eight registers across a block of
/// positions. The blocks keep the values every head reads in L1: a short batch attends
/// with a dozen or more query heads per KV head, and each read the whole segment from
/// L3 before.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn weighted_sums_wide(
    weights: &[f32],
    n: usize,
    values: &[f16],
    stride: usize,
    d: usize,
    out: &mut [f32],
) {
    /// 32 positions of a 128-wide head are 8 KB of values.
    const BLOCK: usize = 32;
    let heads = weights.len() / n.max(1);
    out.fill(0.0);
    for lo in (0..n).step_by(BLOCK) {
        let hi = (lo + BLOCK).min(n);
        for g in 0..heads {
            let w = &weights[g * n + lo..g * n + hi];
            for part in (0..d).step_by(64) {
                let o = out.as_mut_ptr().add(g * d + part);
                let mut acc: [__m256; 8] = std::array::from_fn(|c| _mm256_loadu_ps(o.add(8 * c)));
                for (j, w) in w.iter().enumerate() {
                    let row = values.as_ptr().add((lo + j) * stride + part);
                    if g == 0 {
                        prefetch(row.wrapping_add(AHEAD * stride) as *const u8, 2 * 64);
                    }
                    let w = _mm256_set1_ps(*w);
                    for (c, acc) in acc.iter_mut().enumerate() {
                        *acc = _mm256_fmadd_ps(w, load8h(row.add(8 * c)), *acc);
                    }
                }
                for (c, acc) in acc.iter().enumerate() {
                    _mm256_storeu_ps(o.add(8 * c), *acc);
                }
            }
        }
    }
}

/// `exp` of eight values: `x = n ln 2 + r` with whole `n` and `|r| <= ln(2) / 2`, whose
/// exponential is a degree-7 Taylor polynomial (error under 1e-8); `2^n` is built in the
/// exponent bits. `ln 2` is split in two (Cody and Waite) so `r` keeps its precision.
/// Results below f32's smallest normal value (`x < -87.3`) become 0.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn exp8(x: __m256) -> __m256 {
    let x = _mm256_min_ps(
        _mm256_max_ps(x, _mm256_set1_ps(-104.0)),
        _mm256_set1_ps(88.0),
    );
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        x,
        _mm256_set1_ps(std::f32::consts::LOG2_E),
    ));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), r);
    // 1 / k!, highest power first.
    const C: [f32; 8] = [
        1.0 / 5040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ];
    let mut p = _mm256_set1_ps(C[0]);
    for c in &C[1..] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(*c));
    }
    let biased = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    let pow2 = _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23));
    // Below 2^-126 the exponent field would wrap: those results are (next to) zero.
    let normal = _mm256_cmp_ps::<_CMP_GE_OQ>(n, _mm256_set1_ps(-126.0));
    _mm256_and_ps(_mm256_mul_ps(p, pow2), normal)
}

/// See [`crate::llm::ops::exp_sum`].
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn exp_sum(row: &mut [f32], scale: f32, shift: f32) -> f32 {
    let (vs, vm) = (_mm256_set1_ps(scale), _mm256_set1_ps(shift));
    let mut sum = _mm256_setzero_ps();
    let mut chunks = row.chunks_exact_mut(8);
    for c in &mut chunks {
        let p = c.as_mut_ptr();
        let e = exp8(_mm256_fmsub_ps(_mm256_loadu_ps(p), vs, vm));
        _mm256_storeu_ps(p, e);
        sum = _mm256_add_ps(sum, e);
    }
    let rest = chunks.into_remainder();
    let mut total = hsum(sum);
    if !rest.is_empty() {
        let mut tmp = [f32::NEG_INFINITY; 8];
        tmp[..rest.len()].copy_from_slice(rest);
        let e = exp8(_mm256_fmsub_ps(_mm256_loadu_ps(tmp.as_ptr()), vs, vm));
        _mm256_storeu_ps(tmp.as_mut_ptr(), e);
        rest.copy_from_slice(&tmp[..rest.len()]);
        total += tmp[..rest.len()].iter().sum::<f32>();
    }
    total
}
