//! Prompt batches times quantized weights in 8-bit integers, on the active kernel path.
//!
//! A prompt batch is bound by arithmetic. Measured on these machines, one core retires
//! about 5.5 G `vpdpbusd` per second (64 byte products each, 700 G multiply-adds/s in
//! all) against 4.9 G f32 FMAs (78 G multiply-adds/s); AVX2's `vpmaddubsw` + `vpmaddwd`
//! still form 32 byte products in a few instructions. So both operands go to int8, with one
//! f32 scale per row and block of the weight type's block size (256 values for the
//! k-quants, 32 for the others): the activations are rounded exactly as llama.cpp rounds
//! them for the same weights, and an int8 weight step is finer than the 4- to 6-bit steps
//! of the GGUF types it is made from. Products are summed exactly in i32 within a block
//! and in f32 across blocks.
//!
//! The weights (`out x in`) are dequantized one panel of [`PANEL`] output columns at a
//! time and re-quantized straight into the interleaved layout the kernels read
//! ([`Panel`]), so no dense copy of the matrix is ever made; panels are spread over
//! candle's pool. Each panel then meets every activation row through the active path's
//! [`Kernels::panel_product`].
//!
//! Activations are stored offset by 128 (unsigned), as `vpdpbusd` wants; the panel keeps
//! `128 * sum(weights)` of each block to correct for it.

// Reading GGUF bytes as candle's block structs, and threads writing disjoint columns of
// one output. Each block says why it is sound.
#![allow(unsafe_code)]

use std::mem::{align_of, size_of};

use candle_core::quantized::k_quants::{
    BlockQ2K, BlockQ3K, BlockQ4K, BlockQ4_0, BlockQ4_1, BlockQ5K, BlockQ5_0, BlockQ5_1, BlockQ6K,
    BlockQ8K, BlockQ8_0, BlockQ8_1, GgmlType,
};
use std::sync::atomic::{AtomicUsize, Ordering};

use candle_core::quantized::GgmlDType;
use candle_core::utils::barrier_pool;

use super::code_gemm::{unpack_q4k, unpack_q6k};
use super::kernels::layout::{quantize_block, Panel, Shape, PANEL, Q4K_BYTES, Q6K_BYTES, QK_K};
use super::kernels::{self, Kernels};
use super::threads;

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

/// The activations `x` (`rows x in`) as unsigned bytes `q + 128`, `q` in -127..=127;
/// rows spread over the pool, which would otherwise wait for one thread to round them.
fn quantize_activations(k: &Kernels, x: &[f32], in_dim: usize, block: usize) -> Quantized {
    let per = threads::rows_per_piece(in_dim);
    let mut words = vec![0u32; x.len() / 4];
    let scales = threads::map_pieces(&mut words, per * in_dim / 4, |i, words| {
        let x = &x[i * per * in_dim..][..words.len() * 4];
        let mut scales = Vec::with_capacity(x.len() / block);
        let mut bytes = vec![0i8; block];
        for (blk, out) in x.chunks_exact(block).zip(words.chunks_exact_mut(block / 4)) {
            scales.push(k.quantize_block(blk, &mut bytes));
            for (w, q) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                // Adding 128 to a two's-complement byte flips its top bit.
                *w = word(q) ^ 0x8080_8080;
            }
        }
        scales
    });
    Quantized {
        words,
        scales: scales.concat(),
    }
}

/// Four signed bytes as one little-endian word.
#[inline]
fn word(four: &[i8]) -> u32 {
    u32::from_le_bytes([four[0] as u8, four[1] as u8, four[2] as u8, four[3] as u8])
}

/// One weight row, dequantized, and the panel's rows quantized, while a panel is filled.
struct Scratch {
    row: Vec<f32>,
    /// `PANEL x in` bytes, a weight row each.
    bytes: Vec<i8>,
}

/// Fills `panel` with weight rows `first..first + cols` (zeros past `cols`).
///
/// Inlined into [`fill_for`]'s copies, each compiled for one kernel path's features: a
/// build for baseline x86-64 leaves this loop (dequantizing and rounding every weight of
/// the matrix on every call) to SSE2, where AVX-512 takes 16 values an instruction. The
/// operations are the same in every copy, and so are the bytes.
#[inline(always)]
fn fill(
    panel: &mut Panel,
    scratch: &mut Scratch,
    w: &QuantizedRows<'_>,
    dequantize: Dequantize,
    first: usize,
    cols: usize,
    block: usize,
) {
    let row_bytes = w.row_bytes();
    let in_dim = scratch.row.len();
    for (c, quantized) in scratch.bytes.chunks_exact_mut(in_dim).enumerate() {
        if c < cols {
            let at = (first + c) * row_bytes;
            let bytes = &w.bytes[at..at + row_bytes];
            match w.dtype {
                GgmlDType::Q4K => dequantize_q4k(bytes, &mut scratch.row),
                GgmlDType::Q6K => dequantize_q6k(bytes, &mut scratch.row),
                _ => dequantize(bytes, &mut scratch.row),
            }
        } else {
            scratch.row.fill(0.0);
        }
        for (b, (blk, q)) in scratch
            .row
            .chunks_exact(block)
            .zip(quantized.chunks_exact_mut(block))
            .enumerate()
        {
            panel.scales[b * PANEL + c] = quantize_block(blk, q);
            panel.offsets[b * PANEL + c] = 128 * q.iter().map(|&v| i32::from(v)).sum::<i32>();
        }
    }
    // Interleaved a line of the panel at a time (each column's word of a group of four
    // inputs), reading the rows' words in step: written column by column instead, every
    // word landed on another line, and that loop took a quarter of the fill.
    for (g, line) in panel.words.chunks_exact_mut(PANEL).enumerate() {
        for (c, w) in line.iter_mut().enumerate() {
            let at = c * in_dim + 4 * g;
            *w = word(&scratch.bytes[at..at + 4]);
        }
    }
}

/// The signature of [`fill`].
type Fill =
    unsafe fn(&mut Panel, &mut Scratch, &QuantizedRows<'_>, Dequantize, usize, usize, usize);

/// [`fill`] compiled for the features of kernel path `k`.
fn fill_for(k: &Kernels) -> Fill {
    #[cfg(target_arch = "x86_64")]
    {
        use kernels::KernelPath;
        match k.path {
            KernelPath::Avx512 | KernelPath::Amx => return fill_avx512,
            KernelPath::Avx2 | KernelPath::AvxVnni => return fill_avx2,
            _ => {}
        }
    }
    let _ = k;
    fill_baseline
}

/// A copy of [`fill`] compiled with `features` (none: baseline).
macro_rules! fill_copy {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        unsafe fn $name(
            panel: &mut Panel,
            scratch: &mut Scratch,
            w: &QuantizedRows<'_>,
            dequantize: Dequantize,
            first: usize,
            cols: usize,
            block: usize,
        ) {
            fill(panel, scratch, w, dequantize, first, cols, block)
        }
    };
}

fill_copy!(
    /// # Safety
    /// None: unsafe only so that every copy has one type.
    fill_baseline
);
fill_copy!(
    /// # Safety
    /// The CPU has AVX2, FMA and F16C (every x86 path but generic has them).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma,f16c")]
    fill_avx2
);
fill_copy!(
    /// # Safety
    /// The CPU has AVX-512 F/BW and AVX2 (the AVX-512 and AMX paths' features).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
    fill_avx512
);

/// One row of Q4_K blocks as f32: `d * scale * code - dmin * min` from the codes
/// [`unpack_q4k`] gives, in candle's order of operations, so the values are those of
/// [`dequantizer`]'s.
#[inline(always)]
fn dequantize_q4k(bytes: &[u8], out: &mut [f32]) {
    let (mut codes, mut sc, mut mn) = ([0u8; QK_K], [0i16; 8], [0i16; 8]);
    for (blk, out) in bytes
        .chunks_exact(Q4K_BYTES)
        .zip(out.chunks_exact_mut(QK_K))
    {
        let (d, dmin) = unpack_q4k(blk, &mut codes, &mut sc, &mut mn);
        // The codes as floats (exact), then scaled: two loops the compiler vectorizes,
        // where one unrolled per sub-block stayed scalar.
        for (v, &q) in out.iter_mut().zip(&codes) {
            *v = f32::from(q);
        }
        for (sub, out) in out.chunks_exact_mut(32).enumerate() {
            let (d1, m1) = (d * f32::from(sc[sub]), dmin * f32::from(mn[sub]));
            for v in out {
                *v = d1 * *v - m1;
            }
        }
    }
}

/// One row of Q6_K blocks as f32: `d * scale * (code - 32)` from [`unpack_q6k`]'s codes,
/// in candle's order of operations.
#[inline(always)]
fn dequantize_q6k(bytes: &[u8], out: &mut [f32]) {
    let (mut codes, mut sc, mut corr) = ([0u8; QK_K], [0i16; 16], [0i16; 16]);
    for (blk, out) in bytes
        .chunks_exact(Q6K_BYTES)
        .zip(out.chunks_exact_mut(QK_K))
    {
        let (d, _) = unpack_q6k(blk, &mut codes, &mut sc, &mut corr);
        for (v, &q) in out.iter_mut().zip(&codes) {
            *v = (i32::from(q) - 32) as f32;
        }
        for (sub, out) in out.chunks_exact_mut(16).enumerate() {
            let d1 = d * f32::from(sc[sub]);
            for v in out {
                *v *= d1;
            }
        }
    }
}

/// `x` (`rows x in`, row-major f32) times the transposed weight: `rows x out`, on the
/// active kernel path.
///
/// # Panics
/// If the weight is not [`QuantizedRows::supported`]: callers check first.
pub fn matmul(x: &[f32], rows: usize, w: QuantizedRows<'_>) -> Vec<f32> {
    matmul_with(kernels::active(), x, rows, w)
}

/// [`matmul`] on the kernels of a given path. K-quant weights go to
/// [`super::code_gemm`] where the path reads their codes.
pub fn matmul_with(k: &Kernels, x: &[f32], rows: usize, w: QuantizedRows<'_>) -> Vec<f32> {
    if k.reads_codes(w.dtype) {
        return super::code_gemm::matmul_with(k, x, rows, w);
    }
    matmul_requantized(k, x, rows, w)
}

/// The product through re-quantized panels, whatever the type.
pub fn matmul_requantized(k: &Kernels, x: &[f32], rows: usize, w: QuantizedRows<'_>) -> Vec<f32> {
    assert!(w.supported(), "int8 matmul cannot read {:?}", w.dtype);
    assert_eq!(x.len(), rows * w.in_dim);
    let dequantize = dequantizer(w.dtype).expect("checked by supported()");
    let block = w.dtype.block_size();
    let a = quantize_activations(k, x, w.in_dim, block);
    let fill = fill_for(k);
    by_panels(
        &w,
        rows,
        || {
            let panel = Panel::new(w.in_dim, block);
            let scratch = Scratch {
                row: vec![0.0; w.in_dim],
                bytes: vec![0; PANEL * w.in_dim],
            };
            (panel, scratch)
        },
        |(panel, scratch), first, shape, c| {
            // SAFETY: `fill_for` chose a copy whose features the path `k` has, and the
            // table exists only where the CPU has them; `a` holds `rows` rows;
            // `by_panels` hands `c` for this panel's columns of every output row.
            unsafe {
                fill(panel, scratch, &w, dequantize, first, shape.cols, block);
                k.panel_product(&a.words, &a.scales, rows, panel, c, shape)
            }
        },
    )
}

/// `rows x out_dim` outputs of a product with `w`, made a panel of [`PANEL`] weight rows
/// at a time. Panels go to threads from a shared cursor, on candle's pool (the one
/// decoding uses, so no second set of threads competes for the cores); each thread makes
/// its own state once with `start`, then for each of its panels `work(state, first,
/// shape, c)` writes output columns `first..first + shape.cols` of every row through `c`
/// (column `first` of row 0; rows `shape.stride` apart) and no others.
pub(super) fn by_panels<S>(
    w: &QuantizedRows<'_>,
    rows: usize,
    start: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize, Shape, *mut f32) + Sync,
) -> Vec<f32> {
    let mut out = vec![0f32; rows * w.out_dim];
    let out_addr = out.as_mut_ptr() as usize;
    let panels = w.out_dim.div_ceil(PANEL);
    let next = AtomicUsize::new(0);
    barrier_pool().execute(|_| {
        let mut state = start();
        loop {
            let p = next.fetch_add(1, Ordering::Relaxed);
            if p >= panels {
                break;
            }
            let first = p * PANEL;
            let shape = Shape {
                quads: w.in_dim / 4,
                block_quads: w.dtype.block_size() / 4,
                stride: w.out_dim,
                cols: PANEL.min(w.out_dim - first),
            };
            // Each panel is taken by one task alone, and its columns lie inside `out`
            // (`rows x out_dim` elements).
            let c = (out_addr as *mut f32).wrapping_add(first);
            work(&mut state, first, shape, c);
        }
    });
    out
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
        let q = quantize_activations(kernels::active(), &x, 8, 4);
        assert_eq!(q.scales, vec![1.0 / 127.0, 2.0 / 127.0]);
        // 0.5 -> 64 (63.5 rounded to even), -1 -> -127, 0.25 -> 32, 0 -> 0.
        assert_eq!(q.words[0].to_le_bytes(), [192, 1, 160, 128]);
        assert_eq!(q.words[1].to_le_bytes(), [255, 255, 1, 192]);
    }

    #[test]
    fn k_quant_rows_dequantize_to_candles_values_exactly() {
        let in_dim = 1024;
        let x = Tensor::from_vec(values(4 * in_dim, 3), (4, in_dim), &Device::Cpu).unwrap();
        for (dtype, ours) in [
            (GgmlDType::Q4K, dequantize_q4k as Dequantize),
            (GgmlDType::Q6K, dequantize_q6k),
        ] {
            let bytes = QTensor::quantize(&x, dtype)
                .unwrap()
                .data()
                .unwrap()
                .to_vec();
            let mut want = vec![0f32; 4 * in_dim];
            dequantizer(dtype).unwrap()(&bytes, &mut want);
            let mut got = vec![0f32; 4 * in_dim];
            ours(&bytes, &mut got);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{dtype:?}");
        }
    }

    #[test]
    fn rows_quantized_in_pieces_equal_rows_quantized_alone() {
        // 300 rows of 512: three pieces of 128 rows (the last shorter).
        let (rows, in_dim) = (300, 512);
        assert_eq!(threads::rows_per_piece(in_dim), 128);
        let x = values(rows * in_dim, 7);
        for block in [32, 256] {
            let all = quantize_activations(kernels::active(), &x, in_dim, block);
            let (mut words, mut scales) = (Vec::new(), Vec::new());
            for row in x.chunks_exact(in_dim) {
                let one = quantize_activations(kernels::active(), row, in_dim, block);
                words.extend(one.words);
                scales.extend(one.scales);
            }
            assert_eq!(all.words, words, "blocks of {block}");
            assert_eq!(all.scales, scales, "blocks of {block}");
        }
    }

    #[test]
    fn equals_the_f32_product_of_the_dequantized_weight() {
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
