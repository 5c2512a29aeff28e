//! Prompt batches times quantized weights in 8-bit integers, on CPUs with AVX-512 VNNI.
//!
//! A prompt batch is bound by arithmetic. Measured on these machines, one core retires
//! about 5.5 G `vpdpbusd` per second (64 byte products each, 700 G multiply-adds/s in
//! all) against 4.9 G f32 FMAs (78 G multiply-adds/s), and `vdpbf16ps` only 1.2 G; candle's
//! f32 GEMM reaches about 48 GFLOP/s. So both operands go to int8, with one f32 scale per
//! row and block of the weight type's block size (256 values for the k-quants, 32 for the
//! others): the activations are rounded exactly as llama.cpp rounds them for the same
//! weights, and an int8 weight step is finer than the 4- to 6-bit steps of the GGUF types
//! it is made from. Products are summed exactly in i32 within a block and in f32 across
//! blocks.
//!
//! The weights (`out x in`) are dequantized one panel of [`PANEL`] output columns at a
//! time and re-quantized straight into the interleaved layout the kernel reads, so no
//! dense copy of the matrix is ever made; panels are spread over candle's pool. Each
//! panel then meets every activation row, [`ROWS`] rows per kernel call.
//!
//! `vpdpbusd` multiplies unsigned by signed bytes, so activations are stored offset by
//! 128; the kernel subtracts `128 * sum(weights)` of each block, kept with the panel.

// SIMD intrinsics, and reading GGUF bytes as candle's block structs. Each block says why
// it is sound.
#![allow(unsafe_code)]

use std::arch::x86_64::*;
use std::mem::{align_of, size_of};

use candle_core::quantized::k_quants::{
    BlockQ2K, BlockQ3K, BlockQ4K, BlockQ4_0, BlockQ4_1, BlockQ5K, BlockQ5_0, BlockQ5_1, BlockQ6K,
    BlockQ8K, BlockQ8_0, BlockQ8_1, GgmlType,
};
use std::sync::atomic::{AtomicUsize, Ordering};

use candle_core::quantized::GgmlDType;
use candle_core::utils::barrier_pool;

/// Output columns per packed panel: four 16-lane vectors.
const PANEL: usize = 64;
/// Activation rows per kernel call: four i32 accumulators each, 24 of the 32 vector
/// registers, leaving room for the panel's four vectors and a broadcast (the f32 sums
/// across blocks are touched once a block and may live in memory).
const ROWS: usize = 6;

/// Whether this CPU can run [`matmul`].
pub fn available() -> bool {
    is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vnni")
}

/// A quantized weight matrix as GGUF stores it: `out_dim` rows of `in_dim` values.
#[derive(Debug, Clone, Copy)]
pub struct QuantizedRows<'a> {
    pub dtype: GgmlDType,
    pub bytes: &'a [u8],
    pub out_dim: usize,
    pub in_dim: usize,
}

impl QuantizedRows<'_> {
    /// Whether [`matmul`] can read this matrix.
    pub fn supported(&self) -> bool {
        dequantizer(self.dtype).is_some()
            && self.in_dim.is_multiple_of(self.dtype.block_size())
            && self.bytes.len() == self.out_dim * self.row_bytes()
    }

    fn row_bytes(&self) -> usize {
        self.in_dim / self.dtype.block_size() * self.dtype.type_size()
    }
}

/// Rows of values quantized to bytes, four to a word, with one scale per block.
struct Quantized {
    /// `rows x in/4` words: each the bytes of four consecutive values.
    words: Vec<u32>,
    /// `rows x blocks` scales.
    scales: Vec<f32>,
}

/// The activations `x` (`rows x in`) as unsigned bytes `q + 128`, `q` in -127..=127.
fn quantize_activations(x: &[f32], in_dim: usize, block: usize) -> Quantized {
    let rows = x.len() / in_dim;
    let mut words = Vec::with_capacity(x.len() / 4);
    let mut scales = Vec::with_capacity(rows * in_dim / block);
    let mut bytes = vec![0i8; block];
    for blk in x.chunks_exact(block) {
        scales.push(quantize_block(blk, &mut bytes));
        // Adding 128 to a two's-complement byte flips its top bit.
        words.extend(bytes.chunks_exact(4).map(|q| word(q) ^ 0x8080_8080));
    }
    Quantized { words, scales }
}

/// Quantizes `block` into `out` (-127..=127, the largest magnitude becoming 127) and
/// returns the scale (0 for an all-zero block).
#[inline]
pub(super) fn quantize_block(block: &[f32], out: &mut [i8]) -> f32 {
    let max = block.iter().fold(0f32, |m, v| m.max(v.abs()));
    let inv = if max > 0.0 { 127.0 / max } else { 0.0 };
    for (q, v) in out.iter_mut().zip(block) {
        *q = (v * inv).round_ties_even().clamp(-127.0, 127.0) as i8;
    }
    max / 127.0
}

/// Four signed bytes as one little-endian word.
#[inline]
fn word(four: &[i8]) -> u32 {
    u32::from_le_bytes([four[0] as u8, four[1] as u8, four[2] as u8, four[3] as u8])
}

/// One panel of weights: [`PANEL`] output columns, interleaved for the kernel.
struct Panel {
    /// `in/4 x PANEL` words: for each group of four inputs, each column's four bytes.
    words: Vec<u32>,
    /// `blocks x PANEL` scales of the columns.
    scales: Vec<f32>,
    /// `blocks x PANEL`: 128 times the sum of each column's bytes in the block.
    offsets: Vec<i32>,
    /// One dequantized weight row.
    row: Vec<f32>,
    /// The same row quantized.
    bytes: Vec<i8>,
}

impl Panel {
    fn new(in_dim: usize, block: usize) -> Self {
        let blocks = in_dim / block;
        Self {
            words: vec![0; in_dim / 4 * PANEL],
            scales: vec![0.0; blocks * PANEL],
            offsets: vec![0; blocks * PANEL],
            row: vec![0.0; in_dim],
            bytes: vec![0; in_dim],
        }
    }

    /// Fills the panel with weight rows `first..first + cols` (zeros past `cols`).
    fn fill(
        &mut self,
        w: &QuantizedRows<'_>,
        dequantize: Dequantize,
        first: usize,
        cols: usize,
        block: usize,
    ) {
        let row_bytes = w.row_bytes();
        for c in 0..PANEL {
            if c < cols {
                let at = (first + c) * row_bytes;
                dequantize(&w.bytes[at..at + row_bytes], &mut self.row);
            } else {
                self.row.fill(0.0);
            }
            for (b, (blk, q)) in self
                .row
                .chunks_exact(block)
                .zip(self.bytes.chunks_exact_mut(block))
                .enumerate()
            {
                self.scales[b * PANEL + c] = quantize_block(blk, q);
                self.offsets[b * PANEL + c] = 128 * q.iter().map(|&v| i32::from(v)).sum::<i32>();
            }
            for (g, four) in self.bytes.chunks_exact(4).enumerate() {
                self.words[g * PANEL + c] = word(four);
            }
        }
    }
}

/// `x` (`rows x in`, row-major f32) times the transposed weight: `rows x out`.
///
/// # Panics
/// If the CPU lacks AVX-512 VNNI or the weight is not [`QuantizedRows::supported`]:
/// callers check both first.
pub fn matmul(x: &[f32], rows: usize, w: QuantizedRows<'_>) -> Vec<f32> {
    assert!(available(), "int8 matmul needs AVX-512 VNNI");
    assert!(w.supported(), "int8 matmul cannot read {:?}", w.dtype);
    assert_eq!(x.len(), rows * w.in_dim);
    let dequantize = dequantizer(w.dtype).expect("checked by supported()");
    let block = w.dtype.block_size();
    let a = quantize_activations(x, w.in_dim, block);
    let mut out = vec![0f32; rows * w.out_dim];
    let out_addr = out.as_mut_ptr() as usize;
    let panels = w.out_dim.div_ceil(PANEL);
    // Panels go to threads from a shared cursor, on candle's pool (the one decoding uses,
    // so no second set of threads competes for the cores).
    let next = AtomicUsize::new(0);
    barrier_pool().execute(|_| {
        let mut panel = Panel::new(w.in_dim, block);
        loop {
            let p = next.fetch_add(1, Ordering::Relaxed);
            if p >= panels {
                break;
            }
            let panel = &mut panel;
            let first = p * PANEL;
            let cols = PANEL.min(w.out_dim - first);
            panel.fill(&w, dequantize, first, cols, block);
            let shape = Shape {
                quads: w.in_dim / 4,
                block_quads: block / 4,
                stride: w.out_dim,
                cols,
            };
            let out = out_addr as *mut f32;
            let blocks = w.in_dim / block;
            let mut r = 0;
            while r < rows {
                let n = ROWS.min(rows - r);
                let a_words = &a.words[r * shape.quads..];
                let a_scales = &a.scales[r * blocks..];
                // SAFETY: `available()` was checked; `a_words` and `a_scales` hold at
                // least `n` rows; this task alone writes columns `first..first + cols`
                // of `out`, which has `rows x out_dim` elements.
                unsafe {
                    let c = out.add(r * w.out_dim + first);
                    match n {
                        6 => kernel::<6>(a_words, a_scales, panel, c, shape),
                        5 => kernel::<5>(a_words, a_scales, panel, c, shape),
                        4 => kernel::<4>(a_words, a_scales, panel, c, shape),
                        3 => kernel::<3>(a_words, a_scales, panel, c, shape),
                        2 => kernel::<2>(a_words, a_scales, panel, c, shape),
                        _ => kernel::<1>(a_words, a_scales, panel, c, shape),
                    }
                }
                r += n;
            }
        }
    });
    out
}

/// What the kernel needs to know of the product's geometry.
#[derive(Clone, Copy)]
struct Shape {
    /// Words per activation row (`in / 4`).
    quads: usize,
    /// Words per scale block.
    block_quads: usize,
    /// Floats between output rows.
    stride: usize,
    /// Valid columns of the panel.
    cols: usize,
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

type Dequantize = fn(&[u8], &mut [f32]);

/// The function that turns one row of `dtype` blocks into f32 values.
fn dequantizer(dtype: GgmlDType) -> Option<Dequantize> {
    Some(match dtype {
        GgmlDType::Q4_0 => blocks::<BlockQ4_0>,
        GgmlDType::Q4_1 => blocks::<BlockQ4_1>,
        GgmlDType::Q5_0 => blocks::<BlockQ5_0>,
        GgmlDType::Q5_1 => blocks::<BlockQ5_1>,
        GgmlDType::Q8_0 => blocks::<BlockQ8_0>,
        GgmlDType::Q8_1 => blocks::<BlockQ8_1>,
        GgmlDType::Q2K => blocks::<BlockQ2K>,
        GgmlDType::Q3K => blocks::<BlockQ3K>,
        GgmlDType::Q4K => blocks::<BlockQ4K>,
        GgmlDType::Q5K => blocks::<BlockQ5K>,
        GgmlDType::Q6K => blocks::<BlockQ6K>,
        GgmlDType::Q8K => blocks::<BlockQ8K>,
        _ => return None,
    })
}

fn blocks<T: GgmlType>(bytes: &[u8], out: &mut [f32]) {
    let n = bytes.len() / size_of::<T>();
    assert_eq!(n * size_of::<T>(), bytes.len(), "a row is whole blocks");
    assert_eq!(
        bytes.as_ptr() as usize % align_of::<T>(),
        0,
        "blocks are aligned"
    );
    // SAFETY: the blocks are plain data (bytes, f16 scales) of exactly this length and
    // alignment, checked above.
    let blocks = unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const T, n) };
    T::to_float(blocks, &mut out[..n * T::BLCK_SIZE]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::QTensor;
    use candle_core::{Device, Tensor};

    fn values(n: usize, salt: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| ((i ^ salt).wrapping_mul(2_654_435_761) >> 20) as f32 / 2048.0 - 1.0)
            .collect()
    }

    #[test]
    fn activations_become_offset_bytes_with_one_scale_per_block() {
        let x = [0.5, -1.0, 0.25, 0.0, 2.0, 2.0, -2.0, 1.0];
        let q = quantize_activations(&x, 8, 4);
        assert_eq!(q.scales, vec![1.0 / 127.0, 2.0 / 127.0]);
        // 0.5 -> 64 (63.5 rounded to even), -1 -> -127, 0.25 -> 32, 0 -> 0.
        assert_eq!(q.words[0].to_le_bytes(), [192, 1, 160, 128]);
        assert_eq!(q.words[1].to_le_bytes(), [255, 255, 1, 192]);
    }

    #[test]
    fn equals_the_f32_product_of_the_dequantized_weight() {
        if !available() {
            // The kernel cannot run on this CPU; prompt batches take the f32 path, which
            // `matmul::tests` checks with the same `DenseWeights::Int8` setting.
            return;
        }
        // 100 outputs: one full panel and a partial one; 13 rows: two full kernel calls
        // and one of a single row.
        // Blocks of 32 values (Q8_0, Q4_0) and of 256 (the k-quants).
        let out_dim = 100;
        for (dtype, in_dim) in [
            (GgmlDType::Q8_0, 512),
            (GgmlDType::Q8_0, 576),
            (GgmlDType::Q4_0, 576),
            (GgmlDType::Q4K, 512),
            (GgmlDType::Q6K, 512),
        ] {
            let w = Tensor::from_vec(values(out_dim * in_dim, 1), (out_dim, in_dim), &Device::Cpu)
                .unwrap();
            let q = QTensor::quantize(&w, dtype).unwrap();
            let dense = q.dequantize(&Device::Cpu).unwrap();
            let rows = 13;
            let x = values(rows * in_dim, 7);
            let xs = Tensor::from_slice(&x, (rows, in_dim), &Device::Cpu).unwrap();
            let product = |a: &Tensor, b: &Tensor| -> Vec<f32> {
                a.matmul(&b.t().unwrap())
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1()
                    .unwrap()
            };
            let want = product(&xs, &dense);
            // The sum of the terms' magnitudes bounds the rounding error.
            let magnitude = product(&xs.abs().unwrap(), &dense.abs().unwrap());
            let data = q.data().unwrap();
            let got = matmul(
                &x,
                rows,
                QuantizedRows {
                    dtype,
                    bytes: &data,
                    out_dim,
                    in_dim,
                },
            );
            assert_eq!(got.len(), want.len());
            for (i, ((g, e), m)) in got.iter().zip(&want).zip(&magnitude).enumerate() {
                // Each operand is rounded to within 1/254 of its block's largest value,
                // so each term is off by under 1% of its size, and errors of both signs
                // mostly cancel. A wrong layout or scale is off by the value itself.
                assert!(
                    (g - e).abs() < 0.003 * m,
                    "{dtype:?} element {i}: {g} vs {e} (terms {m})"
                );
            }
        }
    }

    #[test]
    fn reads_only_whole_block_rows() {
        let bytes = vec![0u8; 34 * 4];
        let ok = QuantizedRows {
            dtype: GgmlDType::Q8_0,
            bytes: &bytes,
            out_dim: 4,
            in_dim: 32,
        };
        assert!(ok.supported());
        assert!(!QuantizedRows { out_dim: 5, ..ok }.supported());
        assert!(!QuantizedRows { in_dim: 48, ..ok }.supported());
        let q4k = vec![0u8; 144];
        assert!(QuantizedRows {
            dtype: GgmlDType::Q4K,
            bytes: &q4k,
            out_dim: 1,
            in_dim: 256,
        }
        .supported());
        assert!(!QuantizedRows {
            dtype: GgmlDType::F16,
            ..ok
        }
        .supported());
    }
}
