//! The NEON path (aarch64 with the dot-product extension: Apple M1 and later, AWS
//! Graviton 2 and later, Ampere Altra, Cortex-A76/A55 and later): 128-bit vectors and
//! `sdot`, which multiplies four signed bytes by four signed bytes and adds the four
//! products to an i32 lane.
//!
//! Both of `sdot`'s operands are signed, so no sign has to move and nothing saturates: the
//! weights' codes become signed bytes (Q6_K's less 32, Q5_0's less 16, which takes their
//! offsets off in the products themselves) and meet the signed activation; the int8 GEMM's
//! activations, stored plus 128 for x86's `vpdpbusd`, go back to signed bytes, so the
//! panel's offsets are not needed. Every sum is the same exact integer as the generic
//! path's; sub-block scales multiply the i32 sums (`mla`).
//!
//! Where the CPU also has i8mm, the int8 GEMM takes `smmla` instead ([`KERNELS_I8MM`]):
//! one instruction multiplies two activation rows by two panel columns, eight bytes each,
//! twice `sdot`'s products.
//!
//! `sdot` and `smmla` are written as inline assembly: Rust's `vdotq_s32` and `vmmlaq_s32`
//! are not stable yet. The attention loops and `exp` are the generic path's.

// SIMD intrinsics and `sdot` over the GGUF bytes; every pointer read stays inside the
// slices whose geometry the dispatch table's callers checked.
#![allow(unsafe_code)]

use std::arch::aarch64::*;
use std::arch::asm;

use candle_core::quantized::GgmlDType;

use super::layout::{
    f16_to_f32, q4k_scales, Activation, Panel, Shape, PANEL, Q4K_BYTES, Q4K_ORDER, Q4_1_BYTES,
    Q5_0_BYTES, Q6K_BYTES, Q8_0_BYTES, QK_K,
};
use super::{generic, runs, KernelPath, Kernels};

/// The NEON path's table on CPUs without i8mm.
pub(super) static KERNELS: Kernels = DOTPROD;

const DOTPROD: Kernels = Kernels {
    path: KernelPath::Neon,
    int8_gemm_fast: true,
    dot_rows,
    dot_rows_shared: None,
    panel_product,
    code_product: None,
    scores: generic::scores,
    weighted_sums: generic::weighted_sums,
    exp_sum: generic::exp_sum,
    quantize_block: generic::quantize_block,
};

/// The same with the int8 GEMM on i8mm's `smmla` (Graviton 3, Apple M2, Cortex-A510/A710
/// and later), for CPUs that have it.
pub(super) static KERNELS_I8MM: Kernels = Kernels {
    panel_product: panel_product_i8mm,
    ..DOTPROD
};

/// Whether the CPU has i8mm beside dotprod.
pub(super) fn has_i8mm() -> bool {
    std::arch::is_aarch64_feature_detected!("i8mm")
}

/// Weight rows per decoding call, sharing each activation load.
const ROWS: usize = 4;

/// Columns of the panel one pass of [`panel_rows`] keeps in registers: four vectors.
const STRIP: usize = 16;

/// One output row's piece of a strip, `width` columns of `tmp`. A whole strip is a copy
/// of constant length, which compiles to vector moves; a variable length calls `memmove`.
#[inline(always)]
unsafe fn store_row(tmp: &[f32; STRIP], dst: *mut f32, width: usize) {
    if width == STRIP {
        std::ptr::copy_nonoverlapping(tmp.as_ptr(), dst, STRIP);
    } else {
        std::ptr::copy_nonoverlapping(tmp.as_ptr(), dst, width);
    }
}

/// `acc` plus, per i32 lane, the products of four bytes of `a` with four of `b`.
#[inline]
#[target_feature(enable = "neon,dotprod")]
unsafe fn sdot(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    asm!(
        "sdot {acc:v}.4s, {a:v}.16b, {b:v}.16b",
        acc = inout(vreg) acc,
        a = in(vreg) a,
        b = in(vreg) b,
        options(pure, nomem, nostack, preserves_flags)
    );
    acc
}

/// `acc` plus the 2 x 2 products of two rows of eight signed bytes in `a` with two in `b`:
/// lanes `a0·b0, a0·b1, a1·b0, a1·b1`.
#[inline]
#[target_feature(enable = "neon,i8mm")]
unsafe fn smmla(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    asm!(
        "smmla {acc:v}.4s, {a:v}.16b, {b:v}.16b",
        acc = inout(vreg) acc,
        a = in(vreg) a,
        b = in(vreg) b,
        options(pure, nomem, nostack, preserves_flags)
    );
    acc
}

/// The 32 products of two code vectors with 32 activation bytes at `x`, in four lanes.
#[inline]
#[target_feature(enable = "neon,dotprod")]
unsafe fn dot32(c0: int8x16_t, c1: int8x16_t, x: *const i8) -> int32x4_t {
    let acc = sdot(vdupq_n_s32(0), c0, vld1q_s8(x));
    sdot(acc, c1, vld1q_s8(x.add(16)))
}

/// The f16 at `p` as f32.
#[inline]
unsafe fn f16_at(p: *const u8) -> f32 {
    f16_to_f32(u16::from_le(std::ptr::read_unaligned(p as *const u16)))
}

/// See [`super::DotRows`].
///
/// # Safety
/// The CPU has NEON and the dot-product extension; `rows` holds `out.len()` rows of
/// `row_bytes`.
unsafe fn dot_rows(rows: &[u8], row_bytes: usize, a: &Activation, out: &mut [f32]) {
    const RUNS: [runs::RowRun; ROWS] = [run::<1>, run::<2>, run::<3>, run::<4>];
    runs::dot_rows(rows, row_bytes, a, out, &RUNS)
}

/// `R` consecutive weight rows times the activation, into `out[..R]`.
#[target_feature(enable = "neon,dotprod")]
unsafe fn run<const R: usize>(rows: *const u8, row_bytes: usize, a: &Activation, out: *mut f32) {
    let in_dim = a.len();
    let sums = match a.dtype {
        GgmlDType::Q4K => q4k::<R>(rows, row_bytes, a, in_dim / QK_K),
        GgmlDType::Q6K => q6k::<R>(rows, row_bytes, a, in_dim / QK_K),
        GgmlDType::Q8_0 => q8_0::<R>(rows, row_bytes, a, in_dim / 32),
        GgmlDType::Q4_1 => q4_1::<R>(rows, row_bytes, a, in_dim / 32),
        GgmlDType::Q5_0 => q5_0::<R>(rows, row_bytes, a, in_dim / 32),
        other => unreachable!("no NEON decoding kernel for {other:?}"),
    };
    std::ptr::copy_nonoverlapping(sums.as_ptr(), out, R);
}

/// Q4_K: 256 values per block as 4-bit codes `q` with 6-bit scales `s` and minimums `m`
/// per 32 values: `d * s * q - dmin * m`.
#[target_feature(enable = "neon,dotprod")]
unsafe fn q4k<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let nibble = vdupq_n_u8(0x0F);
    let mut acc = [vdupq_n_f32(0.0); R];
    let mut mins = [0f32; R];
    for b in 0..blocks {
        let x = a.q.as_ptr().add(b * QK_K);
        let dx = a.d[b];
        let bsums = &a.sums[b * 8..b * 8 + 8];
        for r in 0..R {
            let blk = rows.add(r * row_bytes + b * Q4K_BYTES);
            let (sc, mn) = q4k_scales(std::slice::from_raw_parts(blk.add(4), 12));
            let mut isum = vdupq_n_s32(0);
            for j in 0..4 {
                // Bytes 32j..32j + 32: sub-block 2j in the low nibbles, 2j + 1 in the high.
                let q0 = vld1q_u8(blk.add(16 + 32 * j));
                let q1 = vld1q_u8(blk.add(32 + 32 * j));
                let low = [vandq_u8(q0, nibble), vandq_u8(q1, nibble)];
                let high = [vshrq_n_u8::<4>(q0), vshrq_n_u8::<4>(q1)];
                for (s, [c0, c1]) in [(2 * j, low), (2 * j + 1, high)] {
                    let sub = dot32(
                        vreinterpretq_s8_u8(c0),
                        vreinterpretq_s8_u8(c1),
                        x.add(32 * Q4K_ORDER[s]),
                    );
                    isum = vmlaq_n_s32(isum, sub, byte(sc, s));
                }
            }
            let d = f16_at(blk) * dx;
            acc[r] = vfmaq_n_f32(acc[r], vcvtq_f32_s32(isum), d);
            let msum: i32 = (0..8).map(|s| byte(mn, s) * bsums[s] as i32).sum();
            mins[r] += f16_at(blk.add(2)) * dx * msum as f32;
        }
    }
    std::array::from_fn(|r| vaddvq_f32(acc[r]) - mins[r])
}

/// Byte `i` of `w`.
#[inline]
fn byte(w: u64, i: usize) -> i32 {
    ((w >> (8 * i)) & 0xFF) as i32
}

/// Q6_K: 256 values per block as 6-bit codes (4 low bits in `ql`, 2 high in `qh`) minus
/// 32, with a signed 8-bit scale per 16 values and one f16 `d`.
#[target_feature(enable = "neon,dotprod")]
unsafe fn q6k<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let nibble = vdupq_n_u8(0x0F);
    let bits45 = vdupq_n_u8(0x30);
    let minus32 = vdupq_n_s8(32);
    let mut acc = [vdupq_n_f32(0.0); R];
    for b in 0..blocks {
        let x = a.q.as_ptr().add(b * QK_K);
        let dx = a.d[b];
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + b * Q6K_BYTES);
            let scales = blk.add(192) as *const i8;
            let mut isum = vdupq_n_s32(0);
            for half in 0..2 {
                for t in 0..2 {
                    // Values l = 16t..16t + 16 of each quarter of this half.
                    let ql0 = vld1q_u8(blk.add(64 * half + 16 * t));
                    let ql1 = vld1q_u8(blk.add(64 * half + 32 + 16 * t));
                    let qh = vld1q_u8(blk.add(128 + 32 * half + 16 * t));
                    // Bits 0-1, 2-3, 4-5, 6-7 of `qh` as bits 4-5 of the four quarters.
                    let codes = [
                        vorrq_u8(vandq_u8(ql0, nibble), vandq_u8(vshlq_n_u8::<4>(qh), bits45)),
                        vorrq_u8(vandq_u8(ql1, nibble), vandq_u8(vshlq_n_u8::<2>(qh), bits45)),
                        vorrq_u8(vshrq_n_u8::<4>(ql0), vandq_u8(qh, bits45)),
                        vorrq_u8(vshrq_n_u8::<4>(ql1), vandq_u8(vshrq_n_u8::<2>(qh), bits45)),
                    ];
                    for (quarter, codes) in codes.into_iter().enumerate() {
                        let codes = vsubq_s8(vreinterpretq_s8_u8(codes), minus32);
                        let at = 128 * half + 32 * quarter + 16 * t;
                        let sub = sdot(vdupq_n_s32(0), codes, vld1q_s8(x.add(at)));
                        isum = vmlaq_n_s32(isum, sub, *scales.add(at / 16) as i32);
                    }
                }
            }
            *acc = vfmaq_n_f32(*acc, vcvtq_f32_s32(isum), f16_at(blk.add(208)) * dx);
        }
    }
    acc.map(|a| vaddvq_f32(a))
}

/// Q8_0: 32 signed bytes and one f16 scale per block.
#[target_feature(enable = "neon,dotprod")]
unsafe fn q8_0<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let mut acc = [vdupq_n_f32(0.0); R];
    for b in 0..blocks {
        let x = a.q.as_ptr().add(32 * b);
        let dx = a.d[b];
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + b * Q8_0_BYTES);
            let w = blk.add(2) as *const i8;
            let i = dot32(vld1q_s8(w), vld1q_s8(w.add(16)), x);
            *acc = vfmaq_n_f32(*acc, vcvtq_f32_s32(i), f16_at(blk) * dx);
        }
    }
    acc.map(|a| vaddvq_f32(a))
}

/// Where values 0..16 of 32-value block `b` lie in a Q4_1 or Q5_0 activation; values
/// 16..32 follow 32 bytes later (pairs of blocks are stored as values 0..16 of both, then
/// 16..32 of both).
#[inline]
fn pair_at(b: usize) -> usize {
    64 * (b / 2) + 16 * (b % 2)
}

/// The products of a 32-value block's codes (`lo`: values 0..16, `hi`: 16..32) with its
/// activation, in four lanes.
#[inline]
#[target_feature(enable = "neon,dotprod")]
unsafe fn block_dot(lo: int8x16_t, hi: int8x16_t, a: &Activation, b: usize) -> int32x4_t {
    let x = a.q.as_ptr().add(pair_at(b));
    let acc = sdot(vdupq_n_s32(0), lo, vld1q_s8(x));
    sdot(acc, hi, vld1q_s8(x.add(32)))
}

/// Q4_1: 32 values per block as 4-bit codes `q` with an f16 scale `d` and minimum `m`:
/// `d * q + m`.
#[target_feature(enable = "neon,dotprod")]
unsafe fn q4_1<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let nibble = vdupq_n_u8(0x0F);
    let mut acc = [vdupq_n_f32(0.0); R];
    let mut mins = [0f32; R];
    for b in 0..blocks {
        let dx = a.d[b];
        let sx = a.sums[b] as f32 * dx;
        for r in 0..R {
            let blk = rows.add(r * row_bytes + b * Q4_1_BYTES);
            let q = vld1q_u8(blk.add(4));
            let lo = vreinterpretq_s8_u8(vandq_u8(q, nibble));
            let hi = vreinterpretq_s8_u8(vshrq_n_u8::<4>(q));
            let i = block_dot(lo, hi, a, b);
            acc[r] = vfmaq_n_f32(acc[r], vcvtq_f32_s32(i), f16_at(blk) * dx);
            mins[r] += f16_at(blk.add(2)) * sx;
        }
    }
    std::array::from_fn(|r| vaddvq_f32(acc[r]) + mins[r])
}

/// Bit `j` of `bits` (16 of them) as byte `j`: 0x10 where set, else 0.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn fifth_bits(bits: u16) -> uint8x16_t {
    const BIT: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
    let spread = vcombine_u8(vdup_n_u8(bits as u8), vdup_n_u8((bits >> 8) as u8));
    vandq_u8(vtstq_u8(spread, vld1q_u8(BIT.as_ptr())), vdupq_n_u8(0x10))
}

/// Q5_0: 32 values per block as 5-bit codes (4 low bits in `qs`, the fifth in the 32-bit
/// `qh`) minus 16, with an f16 scale `d`.
#[target_feature(enable = "neon,dotprod")]
unsafe fn q5_0<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let nibble = vdupq_n_u8(0x0F);
    let sixteen = vdupq_n_s8(16);
    let mut acc = [vdupq_n_f32(0.0); R];
    for b in 0..blocks {
        let dx = a.d[b];
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + b * Q5_0_BYTES);
            let qh = u32::from_le(std::ptr::read_unaligned(blk.add(2) as *const u32));
            let q = vld1q_u8(blk.add(6));
            let lo = vorrq_u8(vandq_u8(q, nibble), fifth_bits(qh as u16));
            let hi = vorrq_u8(vshrq_n_u8::<4>(q), fifth_bits((qh >> 16) as u16));
            // The codes are stored plus 16: signed bytes without it.
            let lo = vsubq_s8(vreinterpretq_s8_u8(lo), sixteen);
            let hi = vsubq_s8(vreinterpretq_s8_u8(hi), sixteen);
            let i = block_dot(lo, hi, a, b);
            *acc = vfmaq_n_f32(*acc, vcvtq_f32_s32(i), f16_at(blk) * dx);
        }
    }
    acc.map(|a| vaddvq_f32(a))
}

/// See [`super::PanelProduct`].
///
/// # Safety
/// The CPU has NEON and the dot-product extension; as
/// [`super::Kernels::panel_product`] requires.
unsafe fn panel_product(
    a_words: &[u32],
    a_scales: &[f32],
    rows: usize,
    panel: &Panel,
    c: *mut f32,
    shape: Shape,
) {
    // Four rows: 16 accumulators of the 32 vector registers, beside the panel's four
    // vectors, a broadcast and the f32 sums.
    const RUNS: [runs::PanelRun; 4] = [
        panel_rows::<1>,
        panel_rows::<2>,
        panel_rows::<3>,
        panel_rows::<4>,
    ];
    runs::panel_product(a_words, a_scales, rows, panel, c, shape, &RUNS)
}

/// `R` activation rows times the panel, [`STRIP`] columns at a time.
#[target_feature(enable = "neon,dotprod")]
unsafe fn panel_rows<const R: usize>(
    a_words: &[u32],
    a_scales: &[f32],
    panel: &Panel,
    c: *mut f32,
    s: Shape,
) {
    let blocks = s.blocks();
    let a = a_words.as_ptr();
    for strip in 0..PANEL / STRIP {
        let col = strip * STRIP;
        if col >= s.cols {
            break;
        }
        let mut sums = [[vdupq_n_f32(0.0); 4]; R];
        for blk in 0..blocks {
            let mut acc = [[vdupq_n_s32(0); 4]; R];
            for k in blk * s.block_quads..(blk + 1) * s.block_quads {
                let bk = panel.words.as_ptr().add(k * PANEL + col);
                let b: [int8x16_t; 4] =
                    std::array::from_fn(|j| vreinterpretq_s8_u32(vld1q_u32(bk.add(4 * j))));
                for (r, acc) in acc.iter_mut().enumerate() {
                    // The activation's bytes back to signed: adding 128 flipped top bits.
                    let word = *a.add(r * s.quads + k) ^ 0x8080_8080;
                    let x = vreinterpretq_s8_u32(vdupq_n_u32(word));
                    for (acc, b) in acc.iter_mut().zip(&b) {
                        *acc = sdot(*acc, *b, x);
                    }
                }
            }
            let scale = panel.scales.as_ptr().add(blk * PANEL + col);
            for (r, (acc, sums)) in acc.iter().zip(sums.iter_mut()).enumerate() {
                let sa = a_scales[r * blocks + blk];
                for (j, (acc, sum)) in acc.iter().zip(sums.iter_mut()).enumerate() {
                    let ab = vmulq_n_f32(vld1q_f32(scale.add(4 * j)), sa);
                    *sum = vfmaq_f32(*sum, vcvtq_f32_s32(*acc), ab);
                }
            }
        }
        let width = STRIP.min(s.cols - col);
        for (r, sums) in sums.iter().enumerate() {
            let mut tmp = [0f32; STRIP];
            for (j, v) in sums.iter().enumerate() {
                vst1q_f32(tmp.as_mut_ptr().add(4 * j), *v);
            }
            store_row(&tmp, c.add(r * s.stride + col), width);
        }
    }
}

/// See [`super::PanelProduct`]; on `smmla`.
///
/// # Safety
/// The CPU has NEON, dotprod and i8mm; as [`super::Kernels::panel_product`] requires.
unsafe fn panel_product_i8mm(
    a_words: &[u32],
    a_scales: &[f32],
    rows: usize,
    panel: &Panel,
    c: *mut f32,
    shape: Shape,
) {
    // Rows in pairs, two pairs a call: 16 accumulators, beside eight panel vectors.
    const RUNS: [runs::PanelRun; 4] = [
        panel_pairs::<1>,
        panel_pairs::<2>,
        panel_pairs::<3>,
        panel_pairs::<4>,
    ];
    runs::panel_product(a_words, a_scales, rows, panel, c, shape, &RUNS)
}

/// `R` activation rows (two pairs at most; a lone last row is paired with itself and its
/// copy not written) times the panel, [`STRIP`] columns at a time. Each `smmla` takes
/// words `k` and `k + 1` of two rows and of two columns; a block holds an even number of
/// words.
#[target_feature(enable = "neon,dotprod,i8mm")]
unsafe fn panel_pairs<const R: usize>(
    a_words: &[u32],
    a_scales: &[f32],
    panel: &Panel,
    c: *mut f32,
    s: Shape,
) {
    debug_assert!(s.block_quads.is_multiple_of(2));
    let blocks = s.blocks();
    let pairs = R.div_ceil(2);
    // The rows of each pair (the last row twice where `R` is odd).
    let row = |pair: usize, i: usize| (2 * pair + i).min(R - 1);
    // The activation's bytes back to signed: adding 128 flipped top bits.
    let flip = vdupq_n_u32(0x8080_8080);
    for strip in 0..PANEL / STRIP {
        let col = strip * STRIP;
        if col >= s.cols {
            break;
        }
        // Per pair of rows and pair of columns: lanes r0·c0, r0·c1, r1·c0, r1·c1.
        let mut sums = [[vdupq_n_f32(0.0); STRIP / 2]; 2];
        for blk in 0..blocks {
            let mut acc = [[vdupq_n_s32(0); STRIP / 2]; 2];
            for k in (blk * s.block_quads..(blk + 1) * s.block_quads).step_by(2) {
                let b0 = panel.words.as_ptr().add(k * PANEL + col);
                let b1 = b0.add(PANEL);
                // Columns 2j and 2j + 1, words k and k + 1 of each.
                let mut b = [vdupq_n_s8(0); STRIP / 2];
                for q in 0..STRIP / 4 {
                    let (w0, w1) = (vld1q_u32(b0.add(4 * q)), vld1q_u32(b1.add(4 * q)));
                    b[2 * q] = vreinterpretq_s8_u32(vzip1q_u32(w0, w1));
                    b[2 * q + 1] = vreinterpretq_s8_u32(vzip2q_u32(w0, w1));
                }
                for (pair, acc) in acc.iter_mut().enumerate().take(pairs) {
                    let a0 = vld1_u32(a_words.as_ptr().add(row(pair, 0) * s.quads + k));
                    let a1 = vld1_u32(a_words.as_ptr().add(row(pair, 1) * s.quads + k));
                    let x = vreinterpretq_s8_u32(veorq_u32(vcombine_u32(a0, a1), flip));
                    for (acc, b) in acc.iter_mut().zip(&b) {
                        *acc = smmla(*acc, x, *b);
                    }
                }
            }
            let scale = panel.scales.as_ptr().add(blk * PANEL + col);
            for (pair, (acc, sums)) in acc.iter().zip(sums.iter_mut()).enumerate().take(pairs) {
                let sa = vcombine_f32(
                    vdup_n_f32(a_scales[row(pair, 0) * blocks + blk]),
                    vdup_n_f32(a_scales[row(pair, 1) * blocks + blk]),
                );
                for (j, (acc, sum)) in acc.iter().zip(sums.iter_mut()).enumerate() {
                    let sb = vld1_f32(scale.add(2 * j));
                    let ab = vmulq_f32(sa, vcombine_f32(sb, sb));
                    *sum = vfmaq_f32(*sum, vcvtq_f32_s32(*acc), ab);
                }
            }
        }
        let width = STRIP.min(s.cols - col);
        for r in 0..R {
            let (pair, i) = (r / 2, r % 2);
            let mut tmp = [0f32; STRIP];
            for (j, v) in sums[pair].iter().enumerate() {
                // Row i of the pair is lanes 2i and 2i + 1.
                let lanes = if i == 0 {
                    vget_low_f32(*v)
                } else {
                    vget_high_f32(*v)
                };
                vst1_f32(tmp.as_mut_ptr().add(2 * j), lanes);
            }
            store_row(&tmp, c.add(r * s.stride + col), width);
        }
    }
}
