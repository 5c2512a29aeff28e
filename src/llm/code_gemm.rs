//! Prompt batches times k-quant weights (Q4_K, Q6_K) in the file's own codes, on the
//! kernel paths that have a product for them ([`Kernels::reads_codes`]).
//!
//! The int8 GEMM ([`super::int8_gemm`]) dequantizes each weight panel to f32 and rounds it
//! again to bytes, for every call. A k-quant's codes are already small integers with a
//! scale per 16 or 32 values, so here a panel is only the codes unpacked into the
//! interleaved layout ([`CodePanel`]) with their scales: no rounding of the weights (the
//! products are those of the file's values, as when decoding), a cheaper fill, and
//! products that AVX2 forms with fewer instructions. The activations are rounded to
//! bytes with one scale per 256 values, as for decoding.

// The kernels write the output through a raw pointer, a panel's columns at a time.
#![allow(unsafe_code)]

use super::int8_gemm::{by_panels, QuantizedRows};
use super::kernels::layout::{f16_at, q4k_scales, CodeKind, CodePanel, CodeRows, PANEL, QK_K};
use super::kernels::Kernels;
use super::threads;

/// Activation rows as [`CodeRows`] wants them.
struct Quantized {
    words: Vec<u32>,
    scales: Vec<f32>,
    sums: Vec<u32>,
}

impl Quantized {
    fn rows(&self) -> CodeRows<'_> {
        CodeRows {
            words: &self.words,
            scales: &self.scales,
            sums: &self.sums,
        }
    }
}

/// `x` (`rows x in`, `in` a multiple of 256) as signed bytes, a scale per 256 values and
/// the sums of each sub-block of `kind`'s, in pairs; rows spread over the pool.
fn quantize_activations(k: &Kernels, x: &[f32], in_dim: usize, kind: CodeKind) -> Quantized {
    let per = threads::rows_per_piece(in_dim);
    let mut words = vec![0u32; x.len() / 4];
    let parts = threads::map_pieces(&mut words, per * in_dim / 4, |i, words| {
        let x = &x[i * per * in_dim..][..words.len() * 4];
        let mut scales = Vec::with_capacity(x.len() / QK_K);
        let mut sums = Vec::with_capacity(x.len() / kind.sub() / 2);
        let mut bytes = [0i8; QK_K];
        for (blk, out) in x.chunks_exact(QK_K).zip(words.chunks_exact_mut(QK_K / 4)) {
            scales.push(k.quantize_block(blk, &mut bytes));
            for (w, q) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *w = u32::from_le_bytes([q[0] as u8, q[1] as u8, q[2] as u8, q[3] as u8]);
            }
            let sub_sum = |s: &[i8]| s.iter().map(|&v| i16::from(v)).sum::<i16>() as u16;
            sums.extend(bytes.chunks_exact(2 * kind.sub()).map(|pair| {
                let (a, b) = pair.split_at(kind.sub());
                u32::from(sub_sum(a)) | u32::from(sub_sum(b)) << 16
            }));
        }
        (scales, sums)
    });
    let (scales, sums): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
    Quantized {
        words,
        scales: scales.concat(),
        sums: sums.concat(),
    }
}

/// Two i16 as one word, `low` first.
fn pair(low: i16, high: i16) -> u32 {
    u32::from(low as u16) | u32::from(high as u16) << 16
}

/// Fills `panel` with weight rows `first..first + cols` (zero scales past `cols`).
fn fill(panel: &mut CodePanel, w: &QuantizedRows<'_>, first: usize, cols: usize) {
    let kind = panel.kind;
    let row_bytes = w.bytes.len() / w.out_dim;
    let (subs, blocks) = (kind.subs(), w.in_dim / QK_K);
    let mut codes = [0u8; QK_K];
    let mut scales = [0i16; 16];
    let mut corrections = [0i16; 16];
    for c in 0..PANEL {
        if c >= cols {
            for b in 0..blocks {
                panel.d[b * PANEL + c] = 0.0;
                panel.dm[b * PANEL + c] = 0.0;
            }
            continue;
        }
        let row = &w.bytes[(first + c) * row_bytes..(first + c + 1) * row_bytes];
        for (b, blk) in row.chunks_exact(kind.block_bytes()).enumerate() {
            let (d, dm) = match kind {
                CodeKind::Q4K => unpack_q4k(blk, &mut codes, &mut scales, &mut corrections),
                CodeKind::Q6K => unpack_q6k(blk, &mut codes, &mut scales, &mut corrections),
            };
            panel.d[b * PANEL + c] = d;
            panel.dm[b * PANEL + c] = dm;
            for (s, &scale) in scales[..subs].iter().enumerate() {
                panel.scales[(b * subs + s) * PANEL + c] = pair(scale, scale);
            }
            for t in 0..subs / 2 {
                panel.corrections[(b * subs / 2 + t) * PANEL + c] =
                    pair(corrections[2 * t], corrections[2 * t + 1]);
            }
            for (g, four) in codes.chunks_exact(4).enumerate() {
                panel.words[(b * QK_K / 4 + g) * PANEL + c] =
                    u32::from_le_bytes(four.try_into().expect("four"));
            }
        }
    }
}

/// One Q4_K block: codes in value order, the 8 scales and minimums; returns `(d, dmin)`.
#[inline(always)]
pub(super) fn unpack_q4k(
    blk: &[u8],
    codes: &mut [u8; QK_K],
    sc: &mut [i16],
    mn: &mut [i16],
) -> (f32, f32) {
    // Sub-blocks 2j and 2j + 1 are the low and high nibbles of bytes 32j..32j + 32.
    let qs = &blk[16..144];
    for j in 0..4 {
        for i in 0..32 {
            let q = qs[32 * j + i];
            codes[64 * j + i] = q & 0x0F;
            codes[64 * j + 32 + i] = q >> 4;
        }
    }
    let (s, m) = q4k_scales(&blk[4..16]);
    for i in 0..8 {
        sc[i] = ((s >> (8 * i)) & 0xFF) as i16;
        mn[i] = ((m >> (8 * i)) & 0xFF) as i16;
    }
    (f16_at(blk, 0), f16_at(blk, 2))
}

/// One Q6_K block: codes (plus 32) in value order, the 16 scales and their corrections
/// `32 * scale`; returns `(d, d)`.
#[inline(always)]
pub(super) fn unpack_q6k(
    blk: &[u8],
    codes: &mut [u8; QK_K],
    sc: &mut [i16],
    corr: &mut [i16],
) -> (f32, f32) {
    let (ql, qh, scales) = (&blk[..128], &blk[128..192], &blk[192..208]);
    for half in 0..2 {
        let (ql, qh) = (&ql[64 * half..], &qh[32 * half..]);
        let out = &mut codes[128 * half..];
        for l in 0..32 {
            let h = qh[l];
            out[l] = (ql[l] & 0x0F) | (h & 3) << 4;
            out[l + 32] = (ql[l + 32] & 0x0F) | (h >> 2 & 3) << 4;
            out[l + 64] = (ql[l] >> 4) | (h >> 4 & 3) << 4;
            out[l + 96] = (ql[l + 32] >> 4) | (h >> 6 & 3) << 4;
        }
    }
    for (i, &s) in scales.iter().enumerate() {
        sc[i] = i16::from(s as i8);
        corr[i] = 32 * sc[i];
    }
    let d = f16_at(blk, 208);
    (d, d)
}

/// `x` (`rows x in`, row-major f32) times the transposed weight: `rows x out`.
///
/// # Panics
/// If `k` has no code product or `w` is not a k-quant ([`Kernels::reads_codes`]), or its
/// rows are not whole blocks: callers check first.
pub fn matmul_with(k: &Kernels, x: &[f32], rows: usize, w: QuantizedRows<'_>) -> Vec<f32> {
    assert!(
        k.reads_codes(w.dtype) && w.supported(),
        "no code product for {:?}",
        w.dtype
    );
    let kind = CodeKind::of(w.dtype).expect("checked by reads_codes()");
    assert_eq!(x.len(), rows * w.in_dim);
    let a = quantize_activations(k, x, w.in_dim, kind);
    by_panels(
        &w,
        rows,
        || CodePanel::new(kind, w.in_dim),
        |panel, first, shape, c| {
            fill(panel, &w, first, shape.cols);
            // SAFETY: `a` holds `rows` rows; `by_panels` hands `c` for this panel's
            // columns of every output row.
            unsafe { k.code_product(a.rows(), rows, panel, c, shape) }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::{GgmlDType, QTensor};
    use candle_core::{Device, Tensor};

    /// The value a panel gives column `c`'s input `v`.
    fn value(panel: &CodePanel, c: usize, v: usize) -> f32 {
        let kind = panel.kind;
        let (b, sub) = (v / QK_K, v / kind.sub());
        let code = panel.words[(v / 4) * PANEL + c].to_le_bytes()[v % 4];
        let scale = panel.scales[sub * PANEL + c] as u16 as i16;
        let pair = panel.corrections[(sub / 2) * PANEL + c];
        let correction = (pair >> (16 * (sub % 2))) as u16 as i16;
        panel.d[b * PANEL + c] * f32::from(scale) * f32::from(code)
            - panel.dm[b * PANEL + c] * f32::from(correction)
    }

    #[test]
    fn a_panel_holds_the_values_the_file_stores() {
        let (out_dim, in_dim) = (3, 512);
        let values: Vec<f32> = (0..out_dim * in_dim)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 20) as f32 / 2048.0 - 1.0)
            .collect();
        let w = Tensor::from_vec(values, (out_dim, in_dim), &Device::Cpu).unwrap();
        for dtype in [GgmlDType::Q4K, GgmlDType::Q6K] {
            let q = QTensor::quantize(&w, dtype).unwrap();
            let want: Vec<f32> = q
                .dequantize(&Device::Cpu)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            let bytes = q.data().unwrap();
            let rows = QuantizedRows {
                dtype,
                bytes: &bytes,
                out_dim,
                in_dim,
            };
            let kind = CodeKind::of(dtype).unwrap();
            let mut panel = CodePanel::new(kind, in_dim);
            fill(&mut panel, &rows, 0, out_dim);
            for c in 0..out_dim {
                for v in 0..in_dim {
                    let (got, want) = (value(&panel, c, v), want[c * in_dim + v]);
                    assert!(
                        (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                        "{dtype:?} column {c} value {v}: {got} vs {want}"
                    );
                }
            }
            // Columns past the weight's rows contribute nothing.
            assert_eq!(panel.d[out_dim], 0.0);
            assert_eq!(panel.dm[out_dim], 0.0);
        }
    }

    #[test]
    fn activation_sums_cover_each_sub_block() {
        let x: Vec<f32> = (0..QK_K).map(|i| if i < 16 { 1.0 } else { -0.5 }).collect();
        for (kind, first, second) in [
            // Sub-blocks of 32: 16 of 127 and 16 of -64 (-0.5 of the largest, rounded
            // to even), then 32 of -64.
            (CodeKind::Q4K, 16 * 127 - 16 * 64, -32 * 64),
            // Sub-blocks of 16: all 127, then all -64.
            (CodeKind::Q6K, 16 * 127, -16 * 64),
        ] {
            let q = quantize_activations(crate::llm::kernels::active(), &x, QK_K, kind);
            assert_eq!(q.scales, vec![1.0 / 127.0]);
            assert_eq!(q.sums.len(), kind.subs() / 2);
            assert_eq!(q.sums[0] as u16 as i16, first as i16, "{kind:?}");
            assert_eq!((q.sums[0] >> 16) as u16 as i16, second as i16, "{kind:?}");
            assert_eq!(q.words[0].to_le_bytes(), [127; 4]);
        }
    }
}
