//! The AVX2 path (x86-64 with AVX2, FMA and F16C: Intel since Haswell, AMD since
//! Excavator; the path of most laptops and desktops, and of AMD Zen 2/3 servers).
//!
//! 256-bit vectors and no `vpdpbusd`: int8 products go through `vpmaddubsw` (unsigned ×
//! signed bytes, summed in pairs to i16) and `vpmaddwd` (i16 pairs summed to i32, times a
//! sub-block scale or times one). `vpmaddubsw` saturates at 32,767, so one operand must
//! stay small: the weights' codes (4 to 6 bits) are unsigned and small by nature; where
//! both operands are full bytes (Q8_0, the int8 GEMM) the sign of one moves onto the other
//! (`vpsignb`), which bounds a pair at 2 × 127 × 127.
//!
//! Decoding reads each weight type in its own block layout, [`ROWS`] rows per call, with
//! the activation laid out as [`Activation`] describes (the same layout as AVX-512's).

// SIMD intrinsics over the GGUF bytes and cached rows; every pointer read stays inside
// the slices whose geometry the dispatch table's callers checked.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

use candle_core::quantized::GgmlDType;

use super::layout::{
    q4k_scales, Activation, Panel, Shape, PANEL, Q4K_BYTES, Q4K_ORDER, Q4_1_BYTES, Q5_0_BYTES,
    Q6K_BYTES, Q8_0_BYTES, QK_K,
};
use super::{generic, KernelPath, Kernels};

pub(super) static KERNELS: Kernels = Kernels {
    path: KernelPath::Avx2,
    int8_gemm_fast: true,
    dot_rows,
    panel_product,
    scores,
    weighted_sums,
    exp_sum,
};

/// Weight rows per decoding call: their blocks are read side by side, each with its own
/// accumulator, and the next call's rows are prefetched.
const ROWS: usize = 4;

/// Activation rows per int8 GEMM call: with two 8-column vectors each, 8 accumulators of
/// the 16 vector registers, beside the panel's two vectors, their magnitudes and a
/// broadcast.
const GEMM_ROWS: usize = 4;

/// See [`super::DotRows`].
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; `rows` holds `out.len()` rows of `row_bytes`.
pub(super) unsafe fn dot_rows(rows: &[u8], row_bytes: usize, a: &Activation, out: &mut [f32]) {
    let mut first = 0;
    while first < out.len() {
        let n = ROWS.min(out.len() - first);
        let p = rows.as_ptr().add(first * row_bytes);
        let o = out.as_mut_ptr().add(first);
        match n {
            ROWS => run::<ROWS>(p, row_bytes, a, o),
            3 => run::<3>(p, row_bytes, a, o),
            2 => run::<2>(p, row_bytes, a, o),
            _ => run::<1>(p, row_bytes, a, o),
        }
        first += n;
    }
}

/// `R` consecutive weight rows times the activation, into `out[..R]`.
#[inline]
unsafe fn run<const R: usize>(rows: *const u8, row_bytes: usize, a: &Activation, out: *mut f32) {
    let in_dim = a.len();
    let sums = match a.dtype {
        GgmlDType::Q4K => q4k::<R>(rows, row_bytes, a, in_dim / QK_K),
        GgmlDType::Q6K => q6k::<R>(rows, row_bytes, a, in_dim / QK_K),
        GgmlDType::Q8_0 => q8_0::<R>(rows, row_bytes, a, in_dim / 32),
        GgmlDType::Q4_1 => q4_1::<R>(rows, row_bytes, a, in_dim / 64),
        GgmlDType::Q5_0 => q5_0::<R>(rows, row_bytes, a, in_dim / 64),
        other => unreachable!("no AVX2 decoding kernel for {other:?}"),
    };
    std::ptr::copy_nonoverlapping(sums.as_ptr(), out, R);
}

/// An f16 at `p` as f32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn f16_at(p: *const u8) -> f32 {
    let bits = std::ptr::read_unaligned(p as *const u16);
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn load(p: *const i8) -> __m256i {
    _mm256_loadu_si256(p as *const __m256i)
}

/// The sum of the eight lanes.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn hsum(v: __m256) -> f32 {
    hsum128(_mm_add_ps(
        _mm256_castps256_ps128(v),
        _mm256_extractf128_ps(v, 1),
    ))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn hsum128(v: __m128) -> f32 {
    let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    let v = _mm_add_ss(v, _mm_movehdup_ps(v));
    _mm_cvtss_f32(v)
}

/// Asks for the cache lines of `bytes` bytes at `p`, which the next call reads: each call
/// reads [`ROWS`] short rows side by side, too many streams for the hardware prefetcher.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn prefetch(p: *const u8, bytes: usize) {
    let mut off = 0;
    while off < bytes {
        // A prefetch never faults, so the address may lie past the matrix.
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off) as *const i8);
        off += 64;
    }
}

/// `vpshufb` patterns that spread i16 lane `s` (of eight, repeated in both halves of a
/// vector) over all sixteen lanes: Q4_K's scale of sub-block `s`.
static Q4K_SCALE: [[u8; 32]; 8] = {
    let mut t = [[0u8; 32]; 8];
    let mut s = 0;
    while s < 8 {
        let mut i = 0;
        while i < 32 {
            t[s][i] = (2 * s + i % 2) as u8;
            i += 1;
        }
        s += 1;
    }
    t
};

/// `vpshufb` patterns for Q6_K: lanes 0..8 (the first 16 products, low half) take i16
/// lane `2i`, lanes 8..16 (high half) lane `2i + 1`, of eight repeated in both halves.
static Q6K_SCALE: [[u8; 32]; 4] = {
    let mut t = [[0u8; 32]; 4];
    let mut i = 0;
    while i < 4 {
        let mut b = 0;
        while b < 32 {
            let lane = 2 * i + b / 16;
            t[i][b] = (2 * lane + b % 2) as u8;
            b += 1;
        }
        i += 1;
    }
    t
};

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn pattern(p: &[u8; 32]) -> __m256i {
    _mm256_loadu_si256(p.as_ptr() as *const __m256i)
}

/// Q4_K: 256 values per block as 4-bit codes `q` with 6-bit scales `s` and minimums `m`
/// per 32 values: `d * s * q - dmin * m`.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q4k<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let nibble = _mm256_set1_epi8(0x0F);
    let mut acc = [_mm256_setzero_ps(); R];
    let mut mins = [_mm_setzero_ps(); R];
    for b in 0..blocks {
        let x = a.q.as_ptr().add(b * QK_K);
        let dx = a.d[b];
        let bsums = _mm_loadu_si128(a.sums.as_ptr().add(b * 8) as *const _);
        for r in 0..R {
            let blk = rows.add(r * row_bytes + b * Q4K_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), Q4K_BYTES);
            let d = f16_at(blk) * dx;
            let dmin = f16_at(blk.add(2)) * dx;
            let (sc, mn) = q4k_scales(std::slice::from_raw_parts(blk.add(4), 12));
            // The eight scales as i16, in both halves.
            let scales =
                _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(sc as i64)));
            let mut isum = _mm256_setzero_si256();
            for j in 0..4 {
                // Bytes 32j..32j + 32: sub-block 2j in the low nibbles, 2j + 1 in the high.
                let q = _mm256_loadu_si256(blk.add(16 + 32 * j) as *const _);
                for (s, codes) in [
                    (2 * j, _mm256_and_si256(q, nibble)),
                    (2 * j + 1, _mm256_and_si256(_mm256_srli_epi16(q, 4), nibble)),
                ] {
                    let p = _mm256_maddubs_epi16(codes, load(x.add(32 * Q4K_ORDER[s])));
                    let scale = _mm256_shuffle_epi8(scales, pattern(&Q4K_SCALE[s]));
                    isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, scale));
                }
            }
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(d), acc[r]);
            let m = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(mn as i64));
            let msum = _mm_cvtepi32_ps(_mm_madd_epi16(m, bsums));
            mins[r] = _mm_fmadd_ps(msum, _mm_set1_ps(dmin), mins[r]);
        }
    }
    std::array::from_fn(|r| hsum(acc[r]) - hsum128(mins[r]))
}

/// Q6_K: 256 values per block as 6-bit codes (4 low bits in `ql`, 2 high in `qh`) minus
/// 32, with a signed 8-bit scale per 16 values and one f16 `d`.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q6k<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let nibble = _mm256_set1_epi8(0x0F);
    let bits45 = _mm256_set1_epi8(0x30);
    let mut acc = [_mm256_setzero_ps(); R];
    for b in 0..blocks {
        let x = a.q.as_ptr().add(b * QK_K);
        let dx = a.d[b];
        let bsums = _mm256_loadu_si256(a.sums.as_ptr().add(b * 16) as *const _);
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + b * Q6K_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), Q6K_BYTES);
            let d = f16_at(blk.add(208)) * dx;
            let sc8 = _mm_loadu_si128(blk.add(192) as *const _);
            let mut isum = _mm256_setzero_si256();
            for half in 0..2 {
                // The scales of this half's eight sub-blocks as i16, in both halves.
                let scales = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(if half == 0 {
                    sc8
                } else {
                    _mm_srli_si128(sc8, 8)
                }));
                let ql0 = _mm256_loadu_si256(blk.add(64 * half) as *const _);
                let ql1 = _mm256_loadu_si256(blk.add(64 * half + 32) as *const _);
                let qh = _mm256_loadu_si256(blk.add(128 + 32 * half) as *const _);
                // Values 0..32, 32..64, 64..96, 96..128 of the half: low nibbles of `ql`
                // then high ones, with bits 0-1, 2-3, 4-5, 6-7 of `qh` as bits 4-5.
                let codes = [
                    _mm256_or_si256(
                        _mm256_and_si256(ql0, nibble),
                        _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45),
                    ),
                    _mm256_or_si256(
                        _mm256_and_si256(ql1, nibble),
                        _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45),
                    ),
                    _mm256_or_si256(
                        _mm256_and_si256(_mm256_srli_epi16(ql0, 4), nibble),
                        _mm256_and_si256(qh, bits45),
                    ),
                    _mm256_or_si256(
                        _mm256_and_si256(_mm256_srli_epi16(ql1, 4), nibble),
                        _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45),
                    ),
                ];
                for (i, codes) in codes.into_iter().enumerate() {
                    let p = _mm256_maddubs_epi16(codes, load(x.add(128 * half + 32 * i)));
                    let scale = _mm256_shuffle_epi8(scales, pattern(&Q6K_SCALE[i]));
                    isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, scale));
                }
            }
            // The codes are stored plus 32: take 32 * sum(scale * sub-block sum) off.
            let offset = _mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), bsums);
            isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(offset, 5));
            *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(d), *acc);
        }
    }
    acc.map(|a| hsum(a))
}

/// `w · x` for 32 signed bytes each, as eight i32 sums: `vpmaddubsw` wants one unsigned
/// operand, so `|w|` meets `x` with `w`'s sign.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn signed_dot(w: __m256i, x: __m256i) -> __m256i {
    let p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    _mm256_madd_epi16(p, _mm256_set1_epi16(1))
}

/// Q8_0: 32 signed bytes and one f16 scale per block.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q8_0<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let mut acc = [_mm256_setzero_ps(); R];
    for b in 0..blocks {
        let x = load(a.q.as_ptr().add(32 * b));
        let dx = a.d[b];
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + b * Q8_0_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), Q8_0_BYTES);
            let i = signed_dot(_mm256_loadu_si256(blk.add(2) as *const _), x);
            let scale = _mm256_set1_ps(f16_at(blk) * dx);
            *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), scale, *acc);
        }
    }
    acc.map(|a| hsum(a))
}

/// The 16 code bytes of two consecutive 32-value blocks starting at `blk` (`bytes` long
/// each, codes at `at`): low nibbles are values 0..16 of each block, high ones 16..32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn pair_codes(blk: *const u8, bytes: usize, at: usize) -> (__m256i, __m256i) {
    let nibble = _mm256_set1_epi8(0x0F);
    let codes = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(blk.add(at) as *const _)),
        _mm_loadu_si128(blk.add(bytes + at) as *const _),
        1,
    );
    (
        _mm256_and_si256(codes, nibble),
        _mm256_and_si256(_mm256_srli_epi16(codes, 4), nibble),
    )
}

/// Products of a pair's codes with its activation (`x0`: values 0..16 of both blocks,
/// `x1`: 16..32), as eight i32 sums: lanes 0..4 the first block's, 4..8 the second's.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn pair_dot(lo: __m256i, hi: __m256i, x0: __m256i, x1: __m256i) -> __m256i {
    // Codes below 32 times bytes of at most 127: four products fit an i16.
    let p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x0), _mm256_maddubs_epi16(hi, x1));
    _mm256_madd_epi16(p, _mm256_set1_epi16(1))
}

/// A vector of `first` in lanes 0..4 and `second` in lanes 4..8.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn halves(first: f32, second: f32) -> __m256 {
    _mm256_set_m128(_mm_set1_ps(second), _mm_set1_ps(first))
}

/// Q4_1: 32 values per block as 4-bit codes `q` with an f16 scale `d` and minimum `m`:
/// `d * q + m`; read two blocks at a time.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q4_1<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    pairs: usize,
) -> [f32; R] {
    let mut acc = [_mm256_setzero_ps(); R];
    let mut mins = [0f32; R];
    for p in 0..pairs {
        let x0 = load(a.q.as_ptr().add(64 * p));
        let x1 = load(a.q.as_ptr().add(64 * p + 32));
        let (dx0, dx1) = (a.d[2 * p], a.d[2 * p + 1]);
        let (sx0, sx1) = (a.sums[2 * p] as f32 * dx0, a.sums[2 * p + 1] as f32 * dx1);
        for r in 0..R {
            let blk = rows.add(r * row_bytes + p * 2 * Q4_1_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), 2 * Q4_1_BYTES);
            let (lo, hi) = pair_codes(blk, Q4_1_BYTES, 4);
            let i = pair_dot(lo, hi, x0, x1);
            let scale = halves(f16_at(blk) * dx0, f16_at(blk.add(Q4_1_BYTES)) * dx1);
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), scale, acc[r]);
            mins[r] += f16_at(blk.add(2)) * sx0 + f16_at(blk.add(Q4_1_BYTES + 2)) * sx1;
        }
    }
    std::array::from_fn(|r| hsum(acc[r]) + mins[r])
}

/// 32 bytes, byte `j` all ones where bit `j` of `bits` is set.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn bytes_from_bits(bits: u32) -> __m256i {
    // Byte j takes byte j / 8 of `bits` (each 128-bit half holds all four), then tests
    // bit j % 8.
    let spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(bits as i32),
        _mm256_setr_epi8(
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3,
            3, 3, 3,
        ),
    );
    let bit = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
    _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit)
}

/// Q5_0: 32 values per block as 5-bit codes (4 low bits in `qs`, the fifth in the 32-bit
/// `qh`) minus 16, with an f16 scale `d`; read two blocks at a time.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q5_0<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    pairs: usize,
) -> [f32; R] {
    let fifth = _mm256_set1_epi8(0x10);
    let mut acc = [_mm256_setzero_ps(); R];
    let mut offsets = [0f32; R];
    for p in 0..pairs {
        let x0 = load(a.q.as_ptr().add(64 * p));
        let x1 = load(a.q.as_ptr().add(64 * p + 32));
        let (dx0, dx1) = (a.d[2 * p], a.d[2 * p + 1]);
        let (sx0, sx1) = (a.sums[2 * p] as f32 * dx0, a.sums[2 * p + 1] as f32 * dx1);
        for r in 0..R {
            let blk = rows.add(r * row_bytes + p * 2 * Q5_0_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), 2 * Q5_0_BYTES);
            let qh0 = std::ptr::read_unaligned(blk.add(2) as *const u32);
            let qh1 = std::ptr::read_unaligned(blk.add(Q5_0_BYTES + 2) as *const u32);
            // The fifth bits of values 0..16 of both blocks, then of 16..32.
            let lo_bits = (qh0 & 0xFFFF) | qh1 << 16;
            let hi_bits = qh0 >> 16 | (qh1 & 0xFFFF_0000);
            let (lo, hi) = pair_codes(blk, Q5_0_BYTES, 6);
            let lo = _mm256_or_si256(lo, _mm256_and_si256(bytes_from_bits(lo_bits), fifth));
            let hi = _mm256_or_si256(hi, _mm256_and_si256(bytes_from_bits(hi_bits), fifth));
            let i = pair_dot(lo, hi, x0, x1);
            let (d0, d1) = (f16_at(blk), f16_at(blk.add(Q5_0_BYTES)));
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), halves(d0 * dx0, d1 * dx1), acc[r]);
            // The codes are stored plus 16.
            offsets[r] += 16.0 * (d0 * sx0 + d1 * sx1);
        }
    }
    std::array::from_fn(|r| hsum(acc[r]) - offsets[r])
}

/// See [`super::PanelProduct`].
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; as [`super::Kernels::panel_product`] requires.
unsafe fn panel_product(
    a_words: &[u32],
    a_scales: &[f32],
    rows: usize,
    panel: &Panel,
    c: *mut f32,
    shape: Shape,
) {
    let blocks = shape.blocks();
    let mut r = 0;
    while r < rows {
        let n = GEMM_ROWS.min(rows - r);
        let a_words = &a_words[r * shape.quads..];
        let a_scales = &a_scales[r * blocks..];
        let c = c.add(r * shape.stride);
        match n {
            4 => panel_rows::<4>(a_words, a_scales, panel, c, shape),
            3 => panel_rows::<3>(a_words, a_scales, panel, c, shape),
            2 => panel_rows::<2>(a_words, a_scales, panel, c, shape),
            _ => panel_rows::<1>(a_words, a_scales, panel, c, shape),
        }
        r += n;
    }
}

/// Columns of the panel one pass of [`panel_rows`] keeps in registers.
const STRIP: usize = 16;

/// `R` activation rows times the panel, [`STRIP`] columns at a time. The activations are
/// stored plus 128 for AVX-512's unsigned operand; here they go back to signed bytes and
/// the panel's offsets are not needed.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn panel_rows<const R: usize>(
    a_words: &[u32],
    a_scales: &[f32],
    panel: &Panel,
    c: *mut f32,
    s: Shape,
) {
    let blocks = s.blocks();
    let ones = _mm256_set1_epi16(1);
    let a = a_words.as_ptr();
    for strip in 0..PANEL / STRIP {
        let col = strip * STRIP;
        if col >= s.cols {
            break;
        }
        let mut sums = [[_mm256_setzero_ps(); 2]; R];
        for blk in 0..blocks {
            let mut acc = [[_mm256_setzero_si256(); 2]; R];
            for k in blk * s.block_quads..(blk + 1) * s.block_quads {
                let bk = panel.words.as_ptr().add(k * PANEL + col);
                let b = [
                    _mm256_loadu_si256(bk as *const _),
                    _mm256_loadu_si256(bk.add(8) as *const _),
                ];
                let magnitude = b.map(|b| _mm256_sign_epi8(b, b));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let word = *a.add(r * s.quads + k) ^ 0x8080_8080;
                    let x = _mm256_set1_epi32(word as i32);
                    for j in 0..2 {
                        let p = _mm256_maddubs_epi16(magnitude[j], _mm256_sign_epi8(x, b[j]));
                        acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(p, ones));
                    }
                }
            }
            let scale = panel.scales.as_ptr().add(blk * PANEL + col);
            for (r, (acc, sums)) in acc.iter().zip(sums.iter_mut()).enumerate() {
                let sa = _mm256_set1_ps(a_scales[r * blocks + blk]);
                for j in 0..2 {
                    let ab = _mm256_mul_ps(sa, _mm256_loadu_ps(scale.add(8 * j)));
                    sums[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[j]), ab, sums[j]);
                }
            }
        }
        let width = STRIP.min(s.cols - col);
        for (r, sums) in sums.iter().enumerate() {
            let mut tmp = [0f32; STRIP];
            _mm256_storeu_ps(tmp.as_mut_ptr(), sums[0]);
            _mm256_storeu_ps(tmp.as_mut_ptr().add(8), sums[1]);
            std::ptr::copy_nonoverlapping(tmp.as_ptr(), c.add(r * s.stride + col), width);
        }
    }
}

/// See [`crate::llm::cache_rows::scores`]; head widths that are a multiple of 32.
unsafe fn scores(
    queries: &[f32],
    d: usize,
    keys: &[f32],
    stride: usize,
    scale: f32,
    out: &mut [f32],
) {
    if !d.is_multiple_of(32) {
        return generic::scores(queries, d, keys, stride, scale, out);
    }
    scores_wide(queries, d, keys, stride, scale, out)
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn scores_wide(
    queries: &[f32],
    d: usize,
    keys: &[f32],
    stride: usize,
    scale: f32,
    out: &mut [f32],
) {
    let heads = queries.len() / d;
    let n = out.len() / heads.max(1);
    for j in 0..n {
        // Every head of the group reads this key while it is in L1.
        let key = keys.as_ptr().add(j * stride);
        for g in 0..heads {
            let q = queries.as_ptr().add(g * d);
            // Four chains, so the multiply-adds of one head overlap.
            let mut acc = [_mm256_setzero_ps(); 4];
            for i in (0..d).step_by(32) {
                for (c, acc) in acc.iter_mut().enumerate() {
                    let at = i + 8 * c;
                    *acc = _mm256_fmadd_ps(
                        _mm256_loadu_ps(q.add(at)),
                        _mm256_loadu_ps(key.add(at)),
                        *acc,
                    );
                }
            }
            let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
            out[g * n + j] = hsum(sum) * scale;
        }
    }
}

/// See [`crate::llm::cache_rows::weighted_sums`]; head widths that are a multiple of 64.
unsafe fn weighted_sums(weights: &[f32], n: usize, values: &[f32], stride: usize, out: &mut [f32]) {
    let d = out.len() / (weights.len() / n.max(1)).max(1);
    if !d.is_multiple_of(64) {
        return generic::weighted_sums(weights, n, values, stride, out);
    }
    weighted_sums_wide(weights, n, values, stride, d, out)
}

/// Each head's output, 64 values at a time, stays in eight registers across all
/// positions.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn weighted_sums_wide(
    weights: &[f32],
    n: usize,
    values: &[f32],
    stride: usize,
    d: usize,
    out: &mut [f32],
) {
    let heads = weights.len() / n.max(1);
    for g in 0..heads {
        let w = &weights[g * n..(g + 1) * n];
        for part in (0..d).step_by(64) {
            let mut acc = [_mm256_setzero_ps(); 8];
            for (j, w) in w.iter().enumerate() {
                let row = values.as_ptr().add(j * stride + part);
                let w = _mm256_set1_ps(*w);
                for (c, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_fmadd_ps(w, _mm256_loadu_ps(row.add(8 * c)), *acc);
                }
            }
            let o = out.as_mut_ptr().add(g * d + part);
            for (c, acc) in acc.iter().enumerate() {
                _mm256_storeu_ps(o.add(8 * c), *acc);
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
unsafe fn exp_sum(row: &mut [f32], scale: f32, shift: f32) -> f32 {
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
