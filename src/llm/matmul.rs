//! The hybrid matrix multiply behind every projection of the model.
//!
//! A *linear* layer multiplies activations (`rows x in`, row-major f32) by a weight matrix
//! stored as GGUF gives it (`out x in`, quantized). Decoding one token is bound by memory
//! bandwidth, so it reads the compact quantized weights with recap's kernels
//! ([`super::gemv`], on every kernel path) for the types of the models recap fetches
//! (Q4_K, Q6_K, Q8_0, Q4_1, Q5_0), else with candle's quantized matmul (`QMatMul`). A
//! prompt batch is bound by arithmetic: it goes through recap's int8 GEMM
//! ([`super::int8_gemm`]) where the kernel path has a SIMD one, or through weights
//! dequantized to f32 and a real GEMM — kept resident when [`DenseWeights::Resident`] was
//! chosen at load, otherwise dequantized for the call and dropped.
//!
//! Weights are kept in the file's own blocks. Only Q5_1 and Q8_1, which no fetchable
//! model uses and no recap kernel reads, are re-quantized to Q8_0 at load (same 32-value
//! blocks, so any width that fits the original fits Q8_0).
//!
//! A [`FusedLinear`] stacks the weights of projections that read the same input (query,
//! key and value; gate and up) into one matrix when their types match, so one token costs
//! one parallel region instead of three: on a busy 2-core machine each region is a thread
//! handoff that may wait for the scheduler.

use std::borrow::Cow;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{Device, Module, Tensor};

/// How prompt batches multiply by a weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseWeights {
    /// An int8 GEMM straight from the quantized weights ([`super::int8_gemm`]) where the
    /// kernel path has a SIMD one (AVX2, AVX-512) and the type allows, else as
    /// [`Self::PerCall`]: the fastest, with activations rounded to 8 bits as the quantized
    /// matmul rounds them.
    Int8,
    /// f32, dequantized once at load and kept: four bytes per weight.
    Resident,
    /// f32, dequantized for each batched call and dropped: no extra memory.
    PerCall,
    /// Never: prompt batches use the quantized matmul as well.
    Off,
}

/// A weight matrix with a quantized and (optionally) a dense form.
#[derive(Debug, Clone)]
pub struct Linear {
    quantized: Arc<QTensor>,
    qmatmul: QMatMul,
    dense: Option<Tensor>,
    mode: DenseWeights,
    out_dim: usize,
    in_dim: usize,
}

/// Batches with at least this many rows use the dense weights.
pub const DENSE_MIN_ROWS: usize = 16;

impl Linear {
    /// Wraps a GGUF weight (`out x in`), re-quantizing slow types and preparing the dense
    /// form `mode` asks for.
    pub fn new(weight: QTensor, mode: DenseWeights) -> candle_core::Result<Self> {
        let (out_dim, in_dim) = weight.shape().dims2()?;
        let weight = requantize_slow(weight)?;
        let quantized = Arc::new(weight);
        let qmatmul = QMatMul::from_arc(quantized.clone())?;
        let dense = match mode {
            DenseWeights::Resident => Some(quantized.dequantize(&Device::Cpu)?),
            DenseWeights::Int8 | DenseWeights::PerCall | DenseWeights::Off => None,
        };
        Ok(Self {
            quantized,
            qmatmul,
            dense,
            mode,
            out_dim,
            in_dim,
        })
    }

    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    pub fn in_dim(&self) -> usize {
        self.in_dim
    }

    /// The GGML type the quantized matmul reads.
    pub fn dtype(&self) -> GgmlDType {
        self.quantized.dtype()
    }

    /// The quantized weight, shared.
    pub fn qtensor(&self) -> Arc<QTensor> {
        self.quantized.clone()
    }

    /// Bytes held: quantized weights plus any resident dense copy.
    pub fn bytes(&self) -> usize {
        self.quantized.storage_size_in_bytes()
            + self.dense.as_ref().map_or(0, |d| d.elem_count() * 4)
    }

    /// `x` (`rows x in`) times the transposed weight: `rows x out`.
    pub fn forward(&self, x: &[f32], rows: usize) -> candle_core::Result<Vec<f32>> {
        debug_assert_eq!(x.len(), rows * self.in_dim);
        if rows >= DENSE_MIN_ROWS && self.mode == DenseWeights::Int8 {
            if let Some(ys) = self.forward_int8(x, rows)? {
                return Ok(ys);
            }
        }
        if rows < DENSE_MIN_ROWS {
            if let Some(ys) = self.forward_gemv(x, rows)? {
                return Ok(ys);
            }
        }
        // Only candle's paths need the activations as a tensor (a copy).
        let xs = Tensor::from_slice(x, (rows, self.in_dim), &Device::Cpu)?;
        let ys = if rows >= DENSE_MIN_ROWS && self.mode != DenseWeights::Off {
            match &self.dense {
                Some(w) => xs.matmul(&w.t()?)?,
                None => {
                    let w = self.quantized.dequantize(&Device::Cpu)?;
                    xs.matmul(&w.t()?)?
                }
            }
        } else {
            self.qmatmul.forward(&xs)?
        };
        ys.flatten_all()?.to_vec1::<f32>()
    }
}

impl Linear {
    /// The prompt-batch product in int8 straight from the quantized weights, where the
    /// kernel path and the weight type allow it: several times faster than the f32 GEMM,
    /// and it needs no dense copy.
    fn forward_int8(&self, x: &[f32], rows: usize) -> candle_core::Result<Option<Vec<f32>>> {
        if !super::kernels::active().int8_gemm_fast {
            return Ok(None);
        }
        let data = self.quantized.data()?;
        let w = self.rows(&data);
        Ok(w.supported().then(|| super::int8_gemm::matmul(x, rows, w)))
    }

    /// The quantized weight's bytes, `data`, with its geometry.
    fn rows<'a>(&self, data: &'a [u8]) -> super::int8_gemm::QuantizedRows<'a> {
        super::int8_gemm::QuantizedRows {
            dtype: self.quantized.dtype(),
            bytes: data,
            out_dim: self.out_dim,
            in_dim: self.in_dim,
        }
    }

    /// Rows fewer than a batch, through recap's decoding kernels ([`super::gemv`]), each
    /// weight block read once for all rows, where the weight type has one: they read the
    /// weights as the file stores them, where candle's quantized matmul reads a larger
    /// repacked copy (made on first use) or has no SIMD kernel at all (Q4_1, Q5_0).
    fn forward_gemv(&self, x: &[f32], rows: usize) -> candle_core::Result<Option<Vec<f32>>> {
        use super::gemv::{gemv_rows, supported};
        let data = self.quantized.data()?;
        let w = self.rows(&data);
        if !supported(&w) {
            return Ok(None);
        }
        Ok(Some(gemv_rows(x, rows, w)))
    }
}

/// Several projections of the same input, stacked where their types allow.
#[derive(Debug, Clone)]
pub struct FusedLinear {
    /// Each matrix and the output widths stacked in it, in order.
    groups: Vec<(Linear, Vec<usize>)>,
}

impl FusedLinear {
    /// Stacks consecutive weights (`out_i x in`, same `in`) of the same type.
    pub fn new(weights: Vec<QTensor>, mode: DenseWeights) -> candle_core::Result<Self> {
        let mut runs: Vec<Vec<QTensor>> = Vec::new();
        for w in weights {
            let w = requantize_slow(w)?;
            match runs.last_mut() {
                Some(run) if run[0].dtype() == w.dtype() => run.push(w),
                _ => runs.push(vec![w]),
            }
        }
        let groups = runs
            .into_iter()
            .map(|run| {
                let widths = run
                    .iter()
                    .map(|w| w.shape().dims2().map(|d| d.0))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                Ok((Linear::new(stack(run)?, mode)?, widths))
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { groups })
    }

    /// The outputs of every projection, in order, each `rows x out_i`.
    pub fn forward(&self, x: &[f32], rows: usize) -> candle_core::Result<Vec<Vec<f32>>> {
        let mut outs = Vec::new();
        for (linear, widths) in &self.groups {
            let mut y = linear.forward(x, rows)?;
            let total = linear.out_dim();
            // The other parts are copied out; the first (the query, the gate) is moved to
            // the front of `y` in place, so a prompt batch does not hold it twice (a
            // 512-token batch of SmolLM2's gate is 3 MB, at the pass's peak of memory).
            let (first, others) = widths.split_first().expect("a group has a part");
            let mut offset = *first;
            let mut rest = Vec::with_capacity(others.len());
            for &w in others {
                let mut part = Vec::with_capacity(rows * w);
                for row in y.chunks_exact(total) {
                    part.extend_from_slice(&row[offset..offset + w]);
                }
                rest.push(part);
                offset += w;
            }
            if !others.is_empty() {
                // Row r moves down to r * first, below every row still to move.
                for r in 0..rows {
                    y.copy_within(r * total..r * total + first, r * first);
                }
                y.truncate(rows * first);
            }
            outs.push(y);
            outs.extend(rest);
        }
        Ok(outs)
    }

    /// The outputs' total width.
    pub fn out_dim(&self) -> usize {
        self.groups.iter().map(|(l, _)| l.out_dim()).sum()
    }

    /// How many matrices the projections became.
    pub fn matrices(&self) -> usize {
        self.groups.len()
    }

    /// The type of the first matrix.
    pub fn dtype(&self) -> GgmlDType {
        self.groups[0].0.dtype()
    }

    pub fn bytes(&self) -> usize {
        self.groups.iter().map(|(l, _)| l.bytes()).sum()
    }
}

/// One matrix with the rows of every weight of `run` (same type and width).
fn stack(mut run: Vec<QTensor>) -> candle_core::Result<QTensor> {
    if run.len() == 1 {
        return Ok(run.remove(0));
    }
    let dtype = run[0].dtype();
    let in_dim = run[0].shape().dims2()?.1;
    let mut rows = 0;
    let mut bytes = Vec::new();
    for w in &run {
        let (r, k) = w.shape().dims2()?;
        if k != in_dim {
            candle_core::bail!("cannot stack weights of widths {in_dim} and {k}");
        }
        rows += r;
        bytes.extend_from_slice(&w.data()?);
    }
    let storage = QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, dtype)?;
    QTensor::new(storage, (rows, in_dim))
}

/// Re-quantizes a weight whose type no recap kernel reads and candle reads slowly (Q5_1,
/// Q8_1) to Q8_0, which uses the same 32-value blocks. Every type of the models recap
/// fetches is kept as the file stores it.
pub fn requantize_slow(weight: QTensor) -> candle_core::Result<QTensor> {
    match weight.dtype() {
        GgmlDType::Q5_1 | GgmlDType::Q8_1 => {
            let dense = weight.dequantize(&Device::Cpu)?;
            QTensor::quantize(&dense, GgmlDType::Q8_0)
        }
        _ => Ok(weight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weight(dtype: GgmlDType) -> (Tensor, QTensor) {
        let v: Vec<f32> = (0..8 * 64u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 20) as f32 / 2048.0 - 1.0)
            .collect();
        let w = Tensor::from_vec(v, (8, 64), &Device::Cpu).unwrap();
        let q = QTensor::quantize(&w, dtype).unwrap();
        (q.dequantize(&Device::Cpu).unwrap(), q)
    }

    #[test]
    fn every_path_computes_the_same_product() {
        let (w, _) = weight(GgmlDType::Q8_0);
        let rows = DENSE_MIN_ROWS + 1;
        let x: Vec<f32> = (0..rows * 64)
            .map(|i| ((i * 7) % 13) as f32 / 13.0 - 0.5)
            .collect();
        let xs = Tensor::from_slice(&x, (rows, 64), &Device::Cpu).unwrap();
        let want: Vec<f32> = xs
            .matmul(&w.t().unwrap())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        for mode in [
            DenseWeights::Int8,
            DenseWeights::Resident,
            DenseWeights::PerCall,
            DenseWeights::Off,
        ] {
            let lin = Linear::new(QTensor::quantize(&w, GgmlDType::Q8_0).unwrap(), mode).unwrap();
            let got = lin.forward(&x, rows).unwrap();
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 0.05, "{mode:?}: {a} vs {b}");
            }
            let one = lin.forward(&x[..64], 1).unwrap();
            for (a, b) in one.iter().zip(&want[..8]) {
                assert!((a - b).abs() < 0.05, "{mode:?} single row: {a} vs {b}");
            }
        }
    }

    #[test]
    fn fused_projections_equal_separate_ones() {
        let (w, _) = weight(GgmlDType::Q8_0);
        let parts = || {
            vec![
                QTensor::quantize(&w.narrow(0, 0, 4).unwrap(), GgmlDType::Q8_0).unwrap(),
                QTensor::quantize(&w.narrow(0, 4, 2).unwrap(), GgmlDType::Q8_0).unwrap(),
                QTensor::quantize(&w.narrow(0, 6, 2).unwrap(), GgmlDType::Q4_0).unwrap(),
            ]
        };
        let x: Vec<f32> = (0..3 * 64).map(|i| (i % 11) as f32 / 11.0 - 0.4).collect();
        for mode in [DenseWeights::Int8, DenseWeights::PerCall, DenseWeights::Off] {
            let fused = FusedLinear::new(parts(), mode).unwrap();
            assert_eq!(fused.matrices(), 2);
            for rows in [1, 3] {
                let outs = fused.forward(&x[..rows * 64], rows).unwrap();
                for (part, out) in parts().into_iter().zip(&outs) {
                    let want = Linear::new(part, mode)
                        .unwrap()
                        .forward(&x[..rows * 64], rows)
                        .unwrap();
                    assert_eq!(out, &want);
                }
            }
        }
    }

    #[test]
    fn slow_types_become_q8_0() {
        for dtype in [GgmlDType::Q4_1, GgmlDType::Q5_0] {
            let (_, q) = weight(dtype);
            let kept = Linear::new(q, DenseWeights::Off).unwrap();
            assert_eq!(
                kept.dtype(),
                dtype,
                "recap's kernels read {dtype:?} as it is"
            );
        }
        let (w, q) = weight(GgmlDType::Q5_1);
        let lin = Linear::new(q, DenseWeights::Off).unwrap();
        assert_eq!(lin.dtype(), GgmlDType::Q8_0);
        // Re-quantizing 4-bit values to 8 bits keeps them close.
        let requantized = lin.qtensor().dequantize(&Device::Cpu).unwrap();
        let err: f32 = (requantized - &w)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar()
            .unwrap();
        assert!(err < 0.02, "re-quantization error {err}");
        let x = vec![1.0f32; 64];
        let got = lin.forward(&x, 1).unwrap();
        let want: Vec<f32> = lin
            .qtensor()
            .dequantize(&Device::Cpu)
            .unwrap()
            .sum(1)
            .unwrap()
            .to_vec1()
            .unwrap();
        for (a, b) in got.iter().zip(&want) {
            // The activations are quantized to 8 bits with an f16 scale.
            assert!((a - b).abs() < 1e-2 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}
