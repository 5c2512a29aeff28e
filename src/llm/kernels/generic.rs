//! The generic path: every kernel in plain scalar Rust, one value at a time.
//!
//! It is the reference the SIMD paths are tested against, so it is written to be read:
//! each weight type's codes are decoded exactly as ggml defines them, and the integer sums
//! are the same exact sums the SIMD paths form, so the paths differ only in the order of
//! their f32 additions. It is also the path of CPUs with none of the others (an aarch64
//! CPU without the dot-product extension, or any other architecture), and the SIMD paths
//! take its attention loops where they have none of their own.

use candle_core::quantized::GgmlDType;
use half::f16;
use half::slice::HalfFloatSliceExt;

use super::layout::{
    f16_at, q4k_scales, Activation, CodePanel, CodeRows, Panel, Shape, PANEL, Q4K_BYTES, Q4K_ORDER,
    Q4_1_BYTES, Q5_0_BYTES, Q6K_BYTES, Q8_0_BYTES, QK_K,
};
use super::{KernelPath, Kernels};

pub(super) static KERNELS: Kernels = Kernels {
    path: KernelPath::Generic,
    int8_gemm_fast: false,
    dot_rows,
    dot_rows_shared: None,
    panel_product,
    code_product: Some(code_product),
    scores,
    weighted_sums,
    exp_sum,
    quantize_block,
};

/// See [`super::QuantizeBlock`].
pub(super) fn quantize_block(block: &[f32], out: &mut [i8]) -> f32 {
    super::layout::quantize_block(block, out)
}

/// `out[i] = row_i · x` for each row of `rows`.
pub(super) fn dot_rows(rows: &[u8], row_bytes: usize, a: &Activation, out: &mut [f32]) {
    for (row, out) in rows.chunks_exact(row_bytes).zip(out.iter_mut()) {
        *out = row_dot(row, a);
    }
}

/// One weight row of `a.dtype` blocks times the activation.
pub(super) fn row_dot(row: &[u8], a: &Activation) -> f32 {
    match a.dtype {
        GgmlDType::Q4K => q4k(row, a),
        GgmlDType::Q6K => q6k(row, a),
        GgmlDType::Q8_0 => q8_0(row, a),
        GgmlDType::Q4_1 => q4_1(row, a),
        GgmlDType::Q5_0 => q5_0(row, a),
        other => unreachable!("no decoding kernel for {other:?}"),
    }
}

/// Q4_K: 256 values per block as 4-bit codes `q` with 6-bit scales `s` and minimums `m`
/// per 32 values: `d * s * q - dmin * m`.
fn q4k(row: &[u8], a: &Activation) -> f32 {
    let mut total = 0f32;
    for (b, blk) in row.chunks_exact(Q4K_BYTES).enumerate() {
        let d = f16_at(blk, 0) * a.d[b];
        let dmin = f16_at(blk, 2) * a.d[b];
        let (sc, mn) = q4k_scales(&blk[4..16]);
        let qs = &blk[16..];
        let x = &a.q[b * QK_K..(b + 1) * QK_K];
        let (mut isum, mut msum) = (0i32, 0i32);
        for s in 0..8 {
            // Sub-blocks 2j and 2j + 1 share bytes 32j..32j + 32, low and high nibbles.
            let bytes = &qs[32 * (s / 2)..32 * (s / 2) + 32];
            let xs = &x[32 * Q4K_ORDER[s]..32 * Q4K_ORDER[s] + 32];
            let sub: i32 = bytes
                .iter()
                .zip(xs)
                .map(|(&q, &x)| {
                    let code = if s % 2 == 0 { q & 0x0F } else { q >> 4 };
                    code as i32 * x as i32
                })
                .sum();
            isum += byte(sc, s) * sub;
            msum += byte(mn, s) * a.sums[b * 8 + s] as i32;
        }
        total += d * isum as f32 - dmin * msum as f32;
    }
    total
}

/// Byte `i` of `w`.
fn byte(w: u64, i: usize) -> i32 {
    ((w >> (8 * i)) & 0xFF) as i32
}

/// Q6_K: 256 values per block as 6-bit codes (4 low bits in `ql`, 2 high in `qh`) minus
/// 32, with a signed 8-bit scale per 16 values and one f16 `d`.
fn q6k(row: &[u8], a: &Activation) -> f32 {
    let mut total = 0f32;
    for (b, blk) in row.chunks_exact(Q6K_BYTES).enumerate() {
        let (ql, qh, scales) = (&blk[..128], &blk[128..192], &blk[192..208]);
        let d = f16_at(blk, 208) * a.d[b];
        let mut codes = [0i32; QK_K];
        for half in 0..2 {
            let (ql, qh) = (&ql[64 * half..], &qh[32 * half..]);
            let out = &mut codes[128 * half..];
            for l in 0..32 {
                let h = qh[l] as i32;
                out[l] = (ql[l] & 0x0F) as i32 | (h & 3) << 4;
                out[l + 32] = (ql[l + 32] & 0x0F) as i32 | (h >> 2 & 3) << 4;
                out[l + 64] = (ql[l] >> 4) as i32 | (h >> 4 & 3) << 4;
                out[l + 96] = (ql[l + 32] >> 4) as i32 | (h >> 6 & 3) << 4;
            }
        }
        let x = &a.q[b * QK_K..(b + 1) * QK_K];
        let mut isum = 0i32;
        for (k, &scale) in scales.iter().enumerate() {
            let sub: i32 = (16 * k..16 * k + 16).map(|i| codes[i] * x[i] as i32).sum();
            // The codes are stored plus 32.
            let sub = sub - 32 * a.sums[b * 16 + k] as i32;
            isum += scale as i8 as i32 * sub;
        }
        total += d * isum as f32;
    }
    total
}

/// Q8_0: 32 signed bytes and one f16 scale per block.
fn q8_0(row: &[u8], a: &Activation) -> f32 {
    let mut total = 0f32;
    for (b, blk) in row.chunks_exact(Q8_0_BYTES).enumerate() {
        let x = &a.q[32 * b..32 * b + 32];
        let isum: i32 = blk[2..]
            .iter()
            .zip(x)
            .map(|(&w, &x)| w as i8 as i32 * x as i32)
            .sum();
        total += f16_at(blk, 0) * a.d[b] * isum as f32;
    }
    total
}

/// Where value `v` (0..32) of 32-value block `b` lies in a Q4_1 or Q5_0 activation: pairs
/// of blocks are stored as values 0..16 of both, then 16..32 of both.
fn pair_index(b: usize, v: usize) -> usize {
    64 * (b / 2) + 32 * (v / 16) + 16 * (b % 2) + v % 16
}

/// The 4-bit code of value `v` (0..32) of a 32-value block whose codes are `qs`: values
/// 0..16 in the low nibbles, 16..32 in the high ones.
fn nibble(qs: &[u8], v: usize) -> i32 {
    if v < 16 {
        (qs[v] & 0x0F) as i32
    } else {
        (qs[v - 16] >> 4) as i32
    }
}

/// Q4_1: 32 values per block as 4-bit codes `q` with an f16 scale `d` and minimum `m`:
/// `d * q + m`.
fn q4_1(row: &[u8], a: &Activation) -> f32 {
    let mut total = 0f32;
    for (b, blk) in row.chunks_exact(Q4_1_BYTES).enumerate() {
        let isum: i32 = (0..32)
            .map(|v| nibble(&blk[4..], v) * a.q[pair_index(b, v)] as i32)
            .sum();
        let (d, m) = (f16_at(blk, 0), f16_at(blk, 2));
        total += a.d[b] * (d * isum as f32 + m * a.sums[b] as f32);
    }
    total
}

/// Q5_0: 32 values per block as 5-bit codes (4 low bits in `qs`, the fifth in the 32-bit
/// `qh`) minus 16, with an f16 scale `d`.
fn q5_0(row: &[u8], a: &Activation) -> f32 {
    let mut total = 0f32;
    for (b, blk) in row.chunks_exact(Q5_0_BYTES).enumerate() {
        let qh = u32::from_le_bytes([blk[2], blk[3], blk[4], blk[5]]);
        let isum: i32 = (0..32)
            .map(|v| {
                let code = nibble(&blk[6..], v) | (((qh >> v) & 1) as i32 * 16);
                code * a.q[pair_index(b, v)] as i32
            })
            .sum();
        total += f16_at(blk, 0) * a.d[b] * (isum - 16 * a.sums[b] as i32) as f32;
    }
    total
}

/// `rows` activation rows times one panel: for each block, the exact i32 sum of byte
/// products (activations stored plus 128, corrected by the panel's offsets), then scaled.
///
/// # Safety
/// `c` points at `rows` rows of `shape.stride` floats whose first `shape.cols` columns the
/// caller may write.
pub(super) unsafe fn panel_product(
    a_words: &[u32],
    a_scales: &[f32],
    rows: usize,
    panel: &Panel,
    c: *mut f32,
    s: Shape,
) {
    let blocks = s.blocks();
    for r in 0..rows {
        let mut sums = [0f32; PANEL];
        for blk in 0..blocks {
            let mut acc = [0i32; PANEL];
            for k in blk * s.block_quads..(blk + 1) * s.block_quads {
                let a = a_words[r * s.quads + k].to_le_bytes();
                let b = &panel.words[k * PANEL..(k + 1) * PANEL];
                for (acc, b) in acc.iter_mut().zip(b) {
                    let b = b.to_le_bytes();
                    for t in 0..4 {
                        *acc += a[t] as i32 * b[t] as i8 as i32;
                    }
                }
            }
            let sa = a_scales[r * blocks + blk];
            let at = blk * PANEL;
            for (j, sum) in sums.iter_mut().enumerate() {
                let exact = acc[j] - panel.offsets[at + j];
                *sum += exact as f32 * (sa * panel.scales[at + j]);
            }
        }
        std::ptr::copy_nonoverlapping(sums.as_ptr(), c.add(r * s.stride), s.cols);
    }
}

/// `rows` activation rows times one panel of k-quant codes: per block, the exact i32 sum
/// of each sub-block's products times its scale, less the corrections times the
/// activation's sub-block sums, then scaled.
///
/// # Safety
/// As [`panel_product`].
pub(super) unsafe fn code_product(
    a: CodeRows<'_>,
    rows: usize,
    panel: &CodePanel,
    c: *mut f32,
    s: Shape,
) {
    let kind = panel.kind;
    let (blocks, subs, sub_quads) = (s.blocks(), kind.subs(), kind.sub_quads());
    let low = |w: u32| i32::from(w as u16 as i16);
    let high = |w: u32| i32::from((w >> 16) as u16 as i16);
    for r in 0..rows {
        let a = a.from_row(r, kind, s);
        let mut sums = [0f32; PANEL];
        for blk in 0..blocks {
            for (col, sum) in sums.iter_mut().enumerate() {
                let mut isum = 0i32;
                for sub in blk * subs..(blk + 1) * subs {
                    let mut products = 0i32;
                    for k in sub * sub_quads..(sub + 1) * sub_quads {
                        let x = a.words[k].to_le_bytes();
                        let w = panel.words[k * PANEL + col].to_le_bytes();
                        for t in 0..4 {
                            products += i32::from(w[t]) * i32::from(x[t] as i8);
                        }
                    }
                    isum += products * low(panel.scales[sub * PANEL + col]);
                }
                let mut correction = 0i32;
                for t in blk * subs / 2..(blk + 1) * subs / 2 {
                    let (cw, sw) = (panel.corrections[t * PANEL + col], a.sums[t]);
                    correction += low(cw) * low(sw) + high(cw) * high(sw);
                }
                let sa = a.scales[blk];
                let at = blk * PANEL + col;
                *sum += isum as f32 * (panel.d[at] * sa) - correction as f32 * (panel.dm[at] * sa);
            }
        }
        std::ptr::copy_nonoverlapping(sums.as_ptr(), c.add(r * s.stride), s.cols);
    }
}

/// See [`crate::llm::cache_rows::scores`]. Each key row is widened to f32 once, then
/// multiplied by every head.
pub(super) fn scores(
    queries: &[f32],
    d: usize,
    keys: &[f16],
    stride: usize,
    scale: f32,
    out: &mut [f32],
) {
    let heads = queries.len() / d;
    let n = out.len() / heads.max(1);
    let mut key = vec![0f32; d];
    for j in 0..n {
        keys[j * stride..j * stride + d].convert_to_f32_slice(&mut key);
        for (g, q) in queries.chunks_exact(d).enumerate() {
            out[g * n + j] = crate::llm::ops::dot(q, &key) * scale;
        }
    }
}

/// See [`crate::llm::cache_rows::weighted_sums`]. Each value row is widened to f32 once,
/// then added to every head's sum (each head still sums its positions in order).
pub(super) fn weighted_sums(
    weights: &[f32],
    n: usize,
    values: &[f16],
    stride: usize,
    out: &mut [f32],
) {
    let heads = weights.len() / n.max(1);
    let d = out.len() / heads.max(1);
    out.fill(0.0);
    let mut value = vec![0f32; d];
    for j in 0..n {
        values[j * stride..j * stride + d].convert_to_f32_slice(&mut value);
        for (g, out) in out.chunks_exact_mut(d).enumerate() {
            crate::llm::ops::axpy(out, weights[g * n + j], &value);
        }
    }
}

/// See [`crate::llm::ops::exp_sum`].
pub(super) fn exp_sum(row: &mut [f32], scale: f32, shift: f32) -> f32 {
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v * scale - shift).exp();
        sum += *v;
    }
    sum
}
