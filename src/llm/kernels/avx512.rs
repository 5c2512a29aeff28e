//! The AVX-512 VNNI path (Intel Xeon since Cascade Lake, AMD Zen 4 and later): 512-bit
//! vectors, `vpdpbusd` for int8 products, `vpermw` to spread sub-block scales.
//!
//! Decoding: each weight type has a kernel over its own block layout, so the bytes read
//! are the file's bytes. `vpmaddubsw` multiplies the unsigned weight codes by the signed
//! activations, `vpmaddwd` applies the sub-block scales, and the codes' offsets (Q4_K's
//! minimums, Q6_K's 32) come off through the activation's sub-block sums. [`ROWS`] weight
//! rows share each activation load. Q5_0 has no kernel of its own here: the table points
//! at the AVX2 one (every AVX-512 CPU has AVX2).
//!
//! Prompt batches: one `vpdpbusd` sums 64 byte products; activations are stored plus 128
//! (unsigned), corrected by the panel's offsets.
//!
//! Attention: for head widths of 64, 128 or 256, each key stays in registers while the
//! query heads' dot products are summed, and the weighted sums keep their outputs in
//! registers across all positions; other widths take the generic loops.

// SIMD intrinsics over the GGUF bytes and cached rows; every pointer read stays inside
// the slices whose geometry the dispatch table's callers checked.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

use candle_core::quantized::GgmlDType;
use half::f16;

use super::layout::{
    q4k_scales, Activation, Panel, Shape, PANEL, Q4K_BYTES, Q4_1_BYTES, Q6K_BYTES, Q8_0_BYTES, QK_K,
};
use super::simd256::{f16_at, f16_heads, f16_pair, hsum128, odd_lane_sum, prefetch};
use super::{generic, runs, KernelPath, Kernels};

pub(super) static KERNELS: Kernels = Kernels {
    path: KernelPath::Avx512,
    int8_gemm_fast: true,
    dot_rows,
    dot_rows_shared: Some(dot_rows_shared),
    panel_product,
    code_product: None,
    scores,
    weighted_sums,
    exp_sum,
    quantize_block,
};

/// See [`super::QuantizeBlock`].
#[target_feature(enable = "avx512f,avx512bw,avx2,fma")]
pub(super) unsafe fn quantize_block(block: &[f32], out: &mut [i8]) -> f32 {
    super::layout::quantize_block(block, out)
}

/// Weight rows per kernel call: independent accumulators that share each activation load.
const ROWS: usize = 4;

/// Activation rows per panel kernel call: four i32 accumulators each, 24 of the 32 vector
/// registers, leaving room for the panel's four vectors and a broadcast.
const GEMM_ROWS: usize = 6;

/// See [`super::DotRows`].
///
/// # Safety
/// The CPU has AVX-512 F/BW/VNNI and AVX2; `rows` holds `out.len()` rows of `row_bytes`.
pub(super) unsafe fn dot_rows(rows: &[u8], row_bytes: usize, a: &Activation, out: &mut [f32]) {
    if a.dtype == GgmlDType::Q5_0 {
        return super::avx2::dot_rows(rows, row_bytes, a, out);
    }
    const RUNS: [runs::RowRun; ROWS] = [run::<1>, run::<2>, run::<3>, run::<4>];
    runs::dot_rows(rows, row_bytes, a, out, &RUNS)
}

/// `R` consecutive weight rows times the activation, into `out[..R]`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn run<const R: usize>(rows: *const u8, row_bytes: usize, a: &Activation, out: *mut f32) {
    let in_dim = a.len();
    let one = std::slice::from_ref(a);
    let sums = match a.dtype {
        GgmlDType::Q4K => return q4k::<R, 1>(rows, row_bytes, one, out, 0),
        GgmlDType::Q6K => return q6k::<R, 1>(rows, row_bytes, one, out, 0),
        GgmlDType::Q4_1 => q4_1::<R>(rows, row_bytes, a, in_dim / 64),
        GgmlDType::Q8_0 => q8_0::<R>(rows, row_bytes, a, in_dim / 64),
        other => unreachable!("no AVX-512 decoding kernel for {other:?}"),
    };
    std::ptr::copy_nonoverlapping(sums.as_ptr(), out, R);
}

/// See [`super::DotRowsShared`]: Q4_K and Q6_K unpack each weight block once for up to
/// four activations; the other types run [`dot_rows`] per activation.
///
/// # Safety
/// As [`dot_rows`], for every activation.
pub(super) unsafe fn dot_rows_shared(
    rows: &[u8],
    row_bytes: usize,
    acts: &[Activation],
    out: &mut [f32],
) {
    const Q4K: [Option<runs::SharedRun>; 4] = [
        Some(q4k::<1, 1>),
        Some(q4k::<1, 2>),
        Some(q4k::<1, 3>),
        Some(q4k::<1, 4>),
    ];
    const Q6K: [Option<runs::SharedRun>; 4] = [
        Some(q6k::<1, 1>),
        Some(q6k::<1, 2>),
        Some(q6k::<1, 3>),
        Some(q6k::<1, 4>),
    ];
    runs::dot_rows_shared(rows, row_bytes, acts, out, &Q4K, &Q6K, dot_rows)
}

/// The 256 bytes of k-quant block `b` of the activation as four vectors.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn block_vectors(a: &Activation, b: usize) -> [__m512i; 4] {
    let q = a.q.as_ptr().add(b * QK_K);
    std::array::from_fn(|i| _mm512_loadu_si512(q.add(64 * i) as *const _))
}

/// For each of four product vectors (32 i16 lanes), which scale each lane takes: lane
/// `t` of vector `j` takes scale `first[j] + t / width`, or `second[j]` from lane 16 on
/// where `second` is given.
const fn scale_lanes(first: [i16; 4], second: Option<[i16; 4]>, width: usize) -> [[i16; 32]; 4] {
    let mut idx = [[0i16; 32]; 4];
    let mut j = 0;
    while j < 4 {
        let mut t = 0;
        while t < 32 {
            idx[j][t] = match second {
                Some(s) if t >= 16 => s[j],
                Some(_) => first[j],
                None => first[j] + (t / width) as i16,
            };
            t += 1;
        }
        j += 1;
    }
    idx
}

/// Q4_K: the four code vectors hold sub-blocks (0, 2), (1, 3), (4, 6), (5, 7).
static Q4K_LANES: [[i16; 32]; 4] = scale_lanes([0, 1, 4, 5], Some([2, 3, 6, 7]), 32);
/// Q6_K: each code vector holds four sub-blocks of 16 values, in order.
static Q6K_LANES: [[i16; 32]; 4] = scale_lanes([0, 4, 8, 12], None, 8);

#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn load_lanes(lanes: &[[i16; 32]; 4]) -> [__m512i; 4] {
    lanes.map(|l| _mm512_loadu_si512(l.as_ptr() as *const _))
}

/// Q4_K: 256 values per block as 4-bit codes `q` with 6-bit scales `s` and minimums `m`
/// per 32 values: `d * s * q - dmin * m`. `R` weight rows times `A` activations, row `r`
/// times activation `j` into `out[j * stride + r]` (a [`runs::SharedRun`] where `R` is
/// 1): each block is unpacked once for all activations, and each activation's sums
/// take the same steps in the same order whatever `R` and `A` are (decoding takes `A` =
/// 1, short batches `R` = 1).
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn q4k<const R: usize, const A: usize>(
    rows: *const u8,
    row_bytes: usize,
    acts: &[Activation],
    out: *mut f32,
    stride: usize,
) {
    let blocks = acts[0].len() / QK_K;
    let nibble = _mm512_set1_epi8(0x0F);
    // Which sub-block's scale each i16 product lane takes, for the four code vectors.
    let idx = load_lanes(&Q4K_LANES);
    let acts = &acts[..A];
    let mut acc = [[_mm512_setzero_ps(); R]; A];
    let mut mins = [[_mm_setzero_ps(); R]; A];
    for b in 0..blocks {
        for r in 0..R {
            let blk = rows.add(r * row_bytes + b * Q4K_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), Q4K_BYTES);
            let (sc, mn) = q4k_scales(std::slice::from_raw_parts(blk.add(4), 12));
            let q0 = _mm512_loadu_si512(blk.add(16) as *const _);
            let q1 = _mm512_loadu_si512(blk.add(80) as *const _);
            let codes = [
                _mm512_and_si512(q0, nibble),
                _mm512_and_si512(_mm512_srli_epi16(q0, 4), nibble),
                _mm512_and_si512(q1, nibble),
                _mm512_and_si512(_mm512_srli_epi16(q1, 4), nibble),
            ];
            let s = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(sc as i64)));
            let scales: [__m512i; 4] = std::array::from_fn(|j| _mm512_permutexvar_epi16(idx[j], s));
            let m = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(mn as i64));
            for (j, a) in acts.iter().enumerate() {
                let av = block_vectors(a, b);
                let dx = a.d[b];
                let mut isum = _mm512_setzero_si512();
                for k in 0..4 {
                    let p = _mm512_maddubs_epi16(codes[k], av[k]);
                    isum = _mm512_add_epi32(isum, _mm512_madd_epi16(p, scales[k]));
                }
                let d = _mm512_set1_ps(f16_at(blk) * dx);
                acc[j][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), d, acc[j][r]);
                let bsums = _mm_loadu_si128(a.sums.as_ptr().add(b * 8) as *const _);
                let msum = _mm_cvtepi32_ps(_mm_madd_epi16(m, bsums));
                let dmin = _mm_set1_ps(f16_at(blk.add(2)) * dx);
                mins[j][r] = _mm_fmadd_ps(msum, dmin, mins[j][r]);
            }
        }
    }
    for j in 0..A {
        for r in 0..R {
            *out.add(j * stride + r) = _mm512_reduce_add_ps(acc[j][r]) - hsum128(mins[j][r]);
        }
    }
}

/// Q6_K: 256 values per block as 6-bit codes (4 low bits in `ql`, 2 high in `qh`) minus
/// 32, with a signed 8-bit scale per 16 values and one f16 `d`. `R` weight rows times `A`
/// activations, as [`q4k`].
// `r` picks the weight row as well as its sums, which sit under each activation's.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn q6k<const R: usize, const A: usize>(
    rows: *const u8,
    row_bytes: usize,
    acts: &[Activation],
    out: *mut f32,
    stride: usize,
) {
    let blocks = acts[0].len() / QK_K;
    let nibble = _mm512_set1_epi8(0x0F);
    let bits45 = _mm512_set1_epi8(0x30);
    // The high bits of values 0..32 of a half-block are bits 0-1 of `qh`, of 32..64 bits
    // 2-3: the second copy of `qh` is shifted right by 2.
    let shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    let idx = load_lanes(&Q6K_LANES);
    let acts = &acts[..A];
    let mut acc = [[_mm512_setzero_ps(); R]; A];
    for b in 0..blocks {
        for r in 0..R {
            let blk = rows.add(r * row_bytes + b * Q6K_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), Q6K_BYTES);
            let sc = _mm256_cvtepi8_epi16(_mm_loadu_si128(blk.add(192) as *const _));
            let s = _mm512_castsi256_si512(sc);
            let mut codes = [_mm512_setzero_si512(); 4];
            for half in 0..2 {
                let ql = _mm512_loadu_si512(blk.add(64 * half) as *const _);
                let qh = _mm256_loadu_si256(blk.add(128 + 32 * half) as *const _);
                let qh = _mm512_srlv_epi16(_mm512_broadcast_i64x4(qh), shift);
                codes[2 * half] = _mm512_or_si512(
                    _mm512_and_si512(ql, nibble),
                    _mm512_and_si512(_mm512_slli_epi16(qh, 4), bits45),
                );
                codes[2 * half + 1] = _mm512_or_si512(
                    _mm512_and_si512(_mm512_srli_epi16(ql, 4), nibble),
                    _mm512_and_si512(qh, bits45),
                );
            }
            let scales: [__m512i; 4] = std::array::from_fn(|j| _mm512_permutexvar_epi16(idx[j], s));
            for (j, a) in acts.iter().enumerate() {
                let av = block_vectors(a, b);
                let mut isum = _mm512_setzero_si512();
                for k in 0..4 {
                    let p = _mm512_maddubs_epi16(codes[k], av[k]);
                    isum = _mm512_add_epi32(isum, _mm512_madd_epi16(p, scales[k]));
                }
                // The codes are stored plus 32: take 32 * sum(scale * sub-block sum) off.
                let bsums = _mm256_loadu_si256(a.sums.as_ptr().add(b * 16) as *const _);
                let offset = _mm256_slli_epi32(_mm256_madd_epi16(sc, bsums), 5);
                isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(offset));
                let d = _mm512_set1_ps(f16_at(blk.add(208)) * a.d[b]);
                acc[j][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), d, acc[j][r]);
            }
        }
    }
    for (j, acc) in acc.iter().enumerate() {
        for (r, acc) in acc.iter().enumerate() {
            *out.add(j * stride + r) = _mm512_reduce_add_ps(*acc);
        }
    }
}

/// Q8_0: 32 signed bytes and one f16 scale per block, read two blocks at a time.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn q8_0<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    pairs: usize,
) -> [f32; R] {
    let zero = _mm512_setzero_si512();
    // Lanes 0-7 hold the first block's sums, 8-15 the second's.
    let pick = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    let mut acc = [_mm512_setzero_ps(); R];
    for p in 0..pairs {
        let ax = _mm512_loadu_si512(a.q.as_ptr().add(64 * p) as *const _);
        let dx = _mm_setr_ps(a.d[2 * p], a.d[2 * p + 1], 0.0, 0.0);
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + p * 2 * Q8_0_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), 2 * Q8_0_BYTES);
            let w = _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_loadu_si256(blk.add(2) as *const _)),
                _mm256_loadu_si256(blk.add(Q8_0_BYTES + 2) as *const _),
                1,
            );
            // vpdpbusd multiplies unsigned by signed bytes: |w| times x with w's sign.
            let x = _mm512_mask_sub_epi8(ax, _mm512_movepi8_mask(w), zero, ax);
            let i = _mm512_dpbusd_epi32(zero, _mm512_abs_epi8(w), x);
            // Both blocks' scales widened at once, times the activation's.
            let d = _mm_mul_ps(f16_pair(blk, Q8_0_BYTES), dx);
            let scale = _mm512_permutexvar_ps(pick, _mm512_castps128_ps512(d));
            *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), scale, *acc);
        }
    }
    acc.map(|a| _mm512_reduce_add_ps(a))
}

/// Q4_1: 32 values per block as 4-bit codes `q` with an f16 scale `d` and minimum `m`:
/// `d * q + m`; read two blocks at a time.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn q4_1<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    pairs: usize,
) -> [f32; R] {
    let nibble = _mm256_set1_epi8(0x0F);
    let zero = _mm512_setzero_si512();
    // Lanes 0-3 and 8-11 hold the first block's sums, 4-7 and 12-15 the second's; their
    // scales sit in lanes 0 and 2 of the widened block heads (below).
    let pick = _mm512_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2);
    let mut acc = [_mm512_setzero_ps(); R];
    let mut mins = [_mm_setzero_ps(); R];
    for p in 0..pairs {
        let ax = _mm512_loadu_si512(a.q.as_ptr().add(64 * p) as *const _);
        let (dx0, dx1) = (a.d[2 * p], a.d[2 * p + 1]);
        let (sx0, sx1) = (a.sums[2 * p] as f32 * dx0, a.sums[2 * p + 1] as f32 * dx1);
        let x = _mm_setr_ps(dx0, sx0, dx1, sx1);
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + p * 2 * Q4_1_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), 2 * Q4_1_BYTES);
            let codes = _mm256_inserti128_si256(
                _mm256_castsi128_si256(_mm_loadu_si128(blk.add(4) as *const _)),
                _mm_loadu_si128(blk.add(Q4_1_BYTES + 4) as *const _),
                1,
            );
            let lo = _mm256_and_si256(codes, nibble);
            let hi = _mm256_and_si256(_mm256_srli_epi16(codes, 4), nibble);
            let q = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
            let i = _mm512_dpbusd_epi32(zero, q, ax);
            // Each block starts with its scale and minimum (f16): the two heads widened at
            // once, [d0 * dx0, m0 * sx0, d1 * dx1, m1 * sx1].
            let h = _mm_mul_ps(f16_heads(blk, Q4_1_BYTES), x);
            mins[r] = _mm_add_ps(mins[r], h);
            let scale = _mm512_permutexvar_ps(pick, _mm512_castps128_ps512(h));
            *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), scale, *acc);
        }
    }
    std::array::from_fn(|r| _mm512_reduce_add_ps(acc[r]) + odd_lane_sum(mins[r]))
}

/// See [`super::PanelProduct`].
///
/// # Safety
/// The CPU has AVX-512 F/BW/VNNI; as [`super::Kernels::panel_product`] requires.
pub(super) unsafe fn panel_product(
    a_words: &[u32],
    a_scales: &[f32],
    rows: usize,
    panel: &Panel,
    c: *mut f32,
    shape: Shape,
) {
    const RUNS: [runs::PanelRun; GEMM_ROWS] = [
        kernel::<1>,
        kernel::<2>,
        kernel::<3>,
        kernel::<4>,
        kernel::<5>,
        kernel::<6>,
    ];
    runs::panel_product(a_words, a_scales, rows, panel, c, shape, &RUNS)
}

/// `R` activation rows times one packed panel, written to the first `cols` columns of
/// `R` output rows.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn kernel<const R: usize>(
    a_words: &[u32],
    a_scales: &[f32],
    panel: &Panel,
    c: *mut f32,
    s: Shape,
) {
    let blocks = s.quads / s.block_quads;
    let mut sums = [[_mm512_setzero_ps(); 4]; R];
    let b = panel.words.as_ptr();
    let a = a_words.as_ptr();
    for blk in 0..blocks {
        let mut acc = [[_mm512_setzero_si512(); 4]; R];
        for k in blk * s.block_quads..(blk + 1) * s.block_quads {
            let bk = b.add(k * PANEL);
            let bv = [
                _mm512_loadu_si512(bk as *const _),
                _mm512_loadu_si512(bk.add(16) as *const _),
                _mm512_loadu_si512(bk.add(32) as *const _),
                _mm512_loadu_si512(bk.add(48) as *const _),
            ];
            for (r, acc) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_epi32(*a.add(r * s.quads + k) as i32);
                for (acc, bv) in acc.iter_mut().zip(&bv) {
                    *acc = _mm512_dpbusd_epi32(*acc, av, *bv);
                }
            }
        }
        let off = panel.offsets.as_ptr().add(blk * PANEL);
        let scale = panel.scales.as_ptr().add(blk * PANEL);
        for (r, (acc, sums)) in acc.iter().zip(sums.iter_mut()).enumerate() {
            let sa = _mm512_set1_ps(a_scales[r * blocks + blk]);
            for (j, (acc, sum)) in acc.iter().zip(sums.iter_mut()).enumerate() {
                let exact = _mm512_sub_epi32(*acc, _mm512_loadu_si512(off.add(16 * j) as *const _));
                let ab = _mm512_mul_ps(sa, _mm512_loadu_ps(scale.add(16 * j)));
                *sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), ab, *sum);
            }
        }
    }
    for (r, sums) in sums.iter().enumerate() {
        let row = c.add(r * s.stride);
        if s.cols == PANEL {
            for (j, v) in sums.iter().enumerate() {
                _mm512_storeu_ps(row.add(16 * j), *v);
            }
        } else {
            let mut tmp = [0f32; PANEL];
            for (j, v) in sums.iter().enumerate() {
                _mm512_storeu_ps(tmp.as_mut_ptr().add(16 * j), *v);
            }
            std::ptr::copy_nonoverlapping(tmp.as_ptr(), row, s.cols);
        }
    }
}

/// Whether the SIMD attention loops take head width `d`.
fn wide_head(d: usize) -> bool {
    matches!(d, 64 | 128 | 256)
}

/// See [`crate::llm::cache_rows::scores`].
pub(super) unsafe fn scores(
    queries: &[f32],
    d: usize,
    keys: &[f16],
    stride: usize,
    scale: f32,
    out: &mut [f32],
) {
    if !wide_head(d) {
        return generic::scores(queries, d, keys, stride, scale, out);
    }
    let n = out.len() / (queries.len() / d).max(1);
    match d {
        64 => scores_c::<4>(queries, keys, stride, scale, n, out),
        128 => scores_c::<8>(queries, keys, stride, scale, n, out),
        _ => scores_c::<16>(queries, keys, stride, scale, n, out),
    }
}

/// See [`crate::llm::cache_rows::weighted_sums`].
pub(super) unsafe fn weighted_sums(
    weights: &[f32],
    n: usize,
    values: &[f16],
    stride: usize,
    out: &mut [f32],
) {
    let d = out.len() / (weights.len() / n.max(1)).max(1);
    if !wide_head(d) {
        return generic::weighted_sums(weights, n, values, stride, out);
    }
    match d {
        64 => weighted_sums_c::<4, 6>(weights, n, values, stride, out),
        128 => weighted_sums_c::<8, 3>(weights, n, values, stride, out),
        _ => weighted_sums_c::<16, 1>(weights, n, values, stride, out),
    }
}

/// Sixteen cached f16 values widened to f32.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load16h(p: *const f16) -> __m512 {
    _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i))
}

/// `C` vectors of 16 floats per row; the key stays in registers for every head.
#[target_feature(enable = "avx512f")]
unsafe fn scores_c<const C: usize>(
    queries: &[f32],
    keys: &[f16],
    stride: usize,
    scale: f32,
    n: usize,
    out: &mut [f32],
) {
    let heads = queries.len() / (16 * C);
    for j in 0..n {
        let key = keys.as_ptr().add(j * stride);
        let k: [__m512; C] = std::array::from_fn(|c| load16h(key.add(16 * c)));
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
unsafe fn weighted_sums_c<const C: usize, const Q: usize>(
    weights: &[f32],
    n: usize,
    values: &[f16],
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
    values: &[f16],
    stride: usize,
    out: &mut [f32],
) {
    let mut acc = [[_mm512_setzero_ps(); C]; Q];
    for j in 0..n {
        let row = values.as_ptr().add(j * stride);
        let v: [__m512; C] = std::array::from_fn(|c| load16h(row.add(16 * c)));
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

/// `exp` of sixteen values: `x = n ln 2 + r` with whole `n`, applied exactly by
/// `vscalefps`, and `|r| <= ln(2) / 2`, whose exponential is a degree-7 Taylor
/// polynomial (error under 1e-8). `ln 2` is split in two (Cody and Waite) so `r` keeps
/// its precision when `n` is large.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn exp16(x: __m512) -> __m512 {
    // Below this exp is under f32's smallest subnormal value; clamping keeps `n` small.
    let x = _mm512_max_ps(x, _mm512_set1_ps(-104.0));
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
        _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
    );
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_359_4), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.121_944_4e-4), r);
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
    let mut p = _mm512_set1_ps(C[0]);
    for c in &C[1..] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(*c));
    }
    _mm512_scalef_ps(p, n)
}

#[target_feature(enable = "avx512f")]
pub(super) unsafe fn exp_sum(row: &mut [f32], scale: f32, shift: f32) -> f32 {
    let (vs, vm) = (_mm512_set1_ps(scale), _mm512_set1_ps(shift));
    let mut sum = _mm512_setzero_ps();
    let mut chunks = row.chunks_exact_mut(16);
    for c in &mut chunks {
        let p = c.as_mut_ptr();
        let e = exp16(_mm512_fmsub_ps(_mm512_loadu_ps(p), vs, vm));
        _mm512_storeu_ps(p, e);
        sum = _mm512_add_ps(sum, e);
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mask: __mmask16 = (1u32 << rest.len()).wrapping_sub(1) as __mmask16;
        let p = rest.as_mut_ptr();
        let e = exp16(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(mask, p), vs, vm));
        _mm512_mask_storeu_ps(p, mask, e);
        sum = _mm512_mask_add_ps(sum, mask, sum, e);
    }
    _mm512_reduce_add_ps(sum)
}
