//! Decoding: one activation row times a quantized weight, read straight from the GGUF
//! blocks by the active kernel path ([`super::kernels`]).
//!
//! A decoded token reads every weight once, so its speed is set by how fast the weights
//! stream through the cores. These machines read about 26 GB/s with two threads, enough for
//! 26 tokens/s of Qwen2.5-1.5B, yet candle's quantized matmul decoded 10: it reads Q4_K
//! from tiles with f32 scales (a third more bytes than the file) and has no SIMD kernel
//! for Q4_1 or Q5_0. Here each weight type has a kernel over its own block layout, on
//! every path, so the bytes read are the file's bytes and no second copy of the weights is
//! made.
//!
//! The activation row is quantized once per call ([`Activation`]); the rows of the weight
//! are spread over candle's pool in runs of [`UNIT`].

// Threads write disjoint runs of one output vector.
#![allow(unsafe_code)]

use candle_core::utils::barrier_pool;

use super::int8_gemm::QuantizedRows;
use super::kernels::layout::{decodable, Activation};
use super::kernels::{self, Kernels};

/// Weight rows a thread takes at a time: a multiple of every path's rows per call.
const UNIT: usize = 4;

/// Whether [`gemv`] can multiply by `w`: a type with a decoding kernel, at a width its
/// kernels read, with whole rows of blocks.
pub fn supported(w: &QuantizedRows<'_>) -> bool {
    decodable(w.dtype, w.in_dim) && w.supported()
}

/// `x` (one row of `in_dim` values) times the transposed weight: `out_dim` values, on the
/// active kernel path.
///
/// # Panics
/// If `w` is not [`supported`]: callers check first.
pub fn gemv(x: &[f32], w: QuantizedRows<'_>) -> Vec<f32> {
    gemv_with(kernels::active(), x, w)
}

/// [`gemv`] on the kernels of a given path.
pub fn gemv_with(k: &Kernels, x: &[f32], w: QuantizedRows<'_>) -> Vec<f32> {
    assert!(supported(&w), "gemv cannot read {:?}", w.dtype);
    assert_eq!(x.len(), w.in_dim);
    let a = Activation::new(x, w.dtype);
    let row_bytes = w.bytes.len() / w.out_dim;
    let mut out = vec![0f32; w.out_dim];
    let out_addr = out.as_mut_ptr() as usize;
    let units = w.out_dim.div_ceil(UNIT);
    barrier_pool().execute_chunked(units, |range| {
        let first = range.start * UNIT;
        let end = (range.end * UNIT).min(w.out_dim);
        if first >= end {
            return;
        }
        // SAFETY: each chunk of units is handed to one task, so rows `first..end` of the
        // output are written by this task alone; they lie inside `out`.
        let out = unsafe {
            std::slice::from_raw_parts_mut((out_addr as *mut f32).add(first), end - first)
        };
        k.dot_rows(
            &w.bytes[first * row_bytes..end * row_bytes],
            row_bytes,
            &a,
            out,
        );
    });
    out
}

/// Weight rows a batch visits at a time: few enough that their bytes stay in the core's
/// L1 cache while every activation row meets them (on paths without a shared kernel,
/// [`Kernels::dot_rows_shared`], which unpacks each block once for all of them).
const BATCH_UNIT: usize = 16;

/// `x` (`rows x in_dim`) times the transposed weight: `rows x out_dim`, each weight byte
/// read from memory once for all rows. A short batch (tokens forced by a constraint, a
/// speculative draft) thus costs about one decoded token's memory traffic, not `rows`
/// of them. Each output row equals [`gemv`] of its input row exactly.
///
/// # Panics
/// If `w` is not [`supported`]: callers check first.
pub fn gemv_rows(x: &[f32], rows: usize, w: QuantizedRows<'_>) -> Vec<f32> {
    gemv_rows_with(kernels::active(), x, rows, w)
}

/// [`gemv_rows`] on the kernels of a given path.
pub fn gemv_rows_with(k: &Kernels, x: &[f32], rows: usize, w: QuantizedRows<'_>) -> Vec<f32> {
    assert!(supported(&w), "gemv cannot read {:?}", w.dtype);
    assert_eq!(x.len(), rows * w.in_dim);
    if rows == 1 {
        return gemv_with(k, x, w);
    }
    let acts: Vec<Activation> = x
        .chunks_exact(w.in_dim)
        .map(|row| Activation::new(row, w.dtype))
        .collect();
    let row_bytes = w.bytes.len() / w.out_dim;
    let out_dim = w.out_dim;
    let mut out = vec![0f32; rows * out_dim];
    let out_addr = out.as_mut_ptr() as usize;
    let units = out_dim.div_ceil(BATCH_UNIT);
    barrier_pool().execute_chunked(units, |range| {
        // One unit's outputs, a row of them per activation, before they go to `out`.
        let mut unit_out = vec![0f32; rows * BATCH_UNIT];
        for unit in range {
            let first = unit * BATCH_UNIT;
            let end = (first + BATCH_UNIT).min(out_dim);
            let n = end - first;
            let weights = &w.bytes[first * row_bytes..end * row_bytes];
            let unit_out = &mut unit_out[..rows * n];
            k.dot_rows_shared(weights, row_bytes, &acts, unit_out);
            for (r, sums) in unit_out.chunks_exact(n).enumerate() {
                // SAFETY: each unit is handed to one task, so columns `first..end` of every
                // output row are written by this task alone; they lie inside `out`.
                let out = unsafe {
                    std::slice::from_raw_parts_mut(
                        (out_addr as *mut f32).add(r * out_dim + first),
                        n,
                    )
                };
                out.copy_from_slice(sums);
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
    use candle_core::{Device, Module, Tensor};

    fn values(n: usize, salt: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| {
                let h = (i ^ salt).wrapping_mul(2_654_435_761).rotate_left(13);
                (h >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    /// The product of `x` and the dequantized weight, in f64.
    fn reference(w: &QTensor, x: &[f32]) -> Vec<f64> {
        let dense: Vec<f32> = w
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        dense
            .chunks_exact(x.len())
            .map(|row| row.iter().zip(x).map(|(a, b)| *a as f64 * *b as f64).sum())
            .collect()
    }

    #[test]
    fn equals_the_product_of_the_dequantized_weight() {
        for (dtype, out_dim, in_dim) in [
            (GgmlDType::Q4K, 23, 512),
            (GgmlDType::Q6K, 21, 768),
            (GgmlDType::Q8_0, 13, 576),
            (GgmlDType::Q4_1, 9, 576),
            (GgmlDType::Q5_0, 11, 896),
        ] {
            let wv = values(out_dim * in_dim, 7);
            let dense = Tensor::from_vec(wv, (out_dim, in_dim), &Device::Cpu).unwrap();
            let q = QTensor::quantize(&dense, dtype).unwrap();
            let data = q.data().unwrap();
            let rows = QuantizedRows {
                dtype,
                bytes: &data,
                out_dim,
                in_dim,
            };
            assert!(supported(&rows), "{dtype:?}");
            // Activations of uneven size, as a hidden state has.
            let x: Vec<f32> = values(in_dim, 99)
                .iter()
                .enumerate()
                .map(|(i, v)| v * (1.0 + (i % 17) as f32))
                .collect();
            let want = reference(&q, &x);
            let got = gemv(&x, rows);
            let candle = candle_product(&dense, dtype, &x);
            let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
            // candle keeps the activations' scales of 32-value blocks in f16, this module
            // in f32.
            let same = if dtype.block_size() == 32 { 1e-3 } else { 1e-5 };
            for (row, ((g, w), c)) in got.iter().zip(&want).zip(&candle).enumerate() {
                // Rounding the activations to 8 bits costs under 1% of the largest output;
                // candle rounds them the same way, so its sums agree closely.
                assert!(
                    (*g as f64 - w).abs() < 0.01 * scale,
                    "{dtype:?} row {row}: {g} vs {w}"
                );
                assert!(
                    ((g - c) as f64).abs() < same * scale,
                    "{dtype:?} row {row}: {g} vs candle's {c}"
                );
            }
        }
    }

    /// The product by candle's quantized matmul of `dense` quantized to `dtype`.
    fn candle_product(dense: &Tensor, dtype: GgmlDType, x: &[f32]) -> Vec<f32> {
        let w = QTensor::quantize(dense, dtype).unwrap();
        let xs = Tensor::from_slice(x, (1, x.len()), &Device::Cpu).unwrap();
        QMatMul::from_qtensor(w)
            .unwrap()
            .forward(&xs)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    #[test]
    fn a_batch_gives_each_row_its_own_product_exactly() {
        for (dtype, out_dim, in_dim) in [
            (GgmlDType::Q4K, 37, 512),
            (GgmlDType::Q6K, 21, 768),
            (GgmlDType::Q8_0, 19, 576),
            (GgmlDType::Q4_1, 9, 576),
            (GgmlDType::Q5_0, 33, 896),
        ] {
            let dense =
                Tensor::from_vec(values(out_dim * in_dim, 3), (out_dim, in_dim), &Device::Cpu)
                    .unwrap();
            let q = QTensor::quantize(&dense, dtype).unwrap();
            let data = q.data().unwrap();
            let w = QuantizedRows {
                dtype,
                bytes: &data,
                out_dim,
                in_dim,
            };
            let rows = 5;
            let x = values(rows * in_dim, 41);
            let got = gemv_rows(&x, rows, w);
            assert_eq!(got.len(), rows * out_dim);
            for (r, row) in x.chunks_exact(in_dim).enumerate() {
                assert_eq!(
                    &got[r * out_dim..(r + 1) * out_dim],
                    gemv(row, w).as_slice(),
                    "{dtype:?} row {r}"
                );
            }
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let dense = Tensor::zeros((4, 96), candle_core::DType::F32, &Device::Cpu).unwrap();
        let q = QTensor::quantize(&dense, GgmlDType::Q8_0).unwrap();
        let data = q.data().unwrap();
        // 96 values are three Q8_0 blocks: not whole pairs.
        let rows = QuantizedRows {
            dtype: GgmlDType::Q8_0,
            bytes: &data,
            out_dim: 4,
            in_dim: 96,
        };
        assert!(!supported(&rows));
        let q4 = QTensor::quantize(&dense, GgmlDType::Q4_0).unwrap();
        let data = q4.data().unwrap();
        let rows = QuantizedRows {
            dtype: GgmlDType::Q4_0,
            bytes: &data,
            out_dim: 4,
            in_dim: 96,
        };
        assert!(!supported(&rows));
    }
}
