//! Tiny GGUF models with deterministic pseudo-random weights, written in memory, one per
//! supported architecture: what the model code is tested on without a real model file.

use std::io::Cursor;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

use super::model_config::Architecture;

/// The shape of a tiny model.
#[derive(Debug, Clone, Copy)]
pub struct TinySpec {
    pub architecture: Architecture,
    pub hidden: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub layers: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub context: usize,
    /// Type of the projection weights.
    pub dtype: GgmlDType,
    /// Whether the file has its own `output.weight` (else the embeddings are tied).
    pub output: bool,
}

impl TinySpec {
    /// A small model of `architecture`, exercising what that architecture has in real
    /// files (Q4_1 with tied embeddings for llama as in SmolLM2; biases for qwen2; Q4_K at
    /// a width of 256 for qwen3; sliding windows for gemma3).
    pub fn of(architecture: Architecture) -> Self {
        let base = Self {
            architecture,
            hidden: 64,
            heads: 4,
            kv_heads: 2,
            layers: 2,
            ffn: 96,
            vocab: 120,
            context: 128,
            dtype: GgmlDType::Q8_0,
            output: true,
        };
        match architecture {
            Architecture::Llama => Self {
                dtype: GgmlDType::Q4_1,
                output: false,
                ..base
            },
            Architecture::Qwen2 => base,
            Architecture::Qwen3 => Self {
                hidden: 256,
                ffn: 512,
                dtype: GgmlDType::Q4K,
                ..base
            },
            Architecture::Gemma3 => Self {
                layers: 6,
                output: false,
                ..base
            },
        }
    }

    pub fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }
}

/// Deterministic values in `[-scale, scale)`.
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn tensor(shape: &[usize], seed: u64, scale: f32, dtype: GgmlDType) -> QTensor {
    let n = shape.iter().product();
    let t = Tensor::from_vec(values(n, seed, scale), shape, &Device::Cpu).unwrap();
    QTensor::quantize(&t, dtype).unwrap()
}

fn norm(n: usize, seed: u64) -> QTensor {
    let v: Vec<f32> = values(n, seed, 0.2).iter().map(|v| 1.0 + v).collect();
    QTensor::quantize(
        &Tensor::from_vec(v, n, &Device::Cpu).unwrap(),
        GgmlDType::F32,
    )
    .unwrap()
}

/// The GGUF bytes of a tiny model.
pub fn write(spec: &TinySpec) -> Vec<u8> {
    let arch = spec.architecture.as_str();
    let hd = spec.head_dim();
    let (q_dim, kv_dim) = (spec.heads * hd, spec.kv_heads * hd);
    let mut meta: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(arch.into())),
        ("general.name".into(), Value::String(format!("tiny-{arch}"))),
        (
            format!("{arch}.context_length"),
            Value::U32(spec.context as u32),
        ),
        (
            format!("{arch}.embedding_length"),
            Value::U32(spec.hidden as u32),
        ),
        (
            format!("{arch}.block_count"),
            Value::U32(spec.layers as u32),
        ),
        (
            format!("{arch}.feed_forward_length"),
            Value::U32(spec.ffn as u32),
        ),
        (
            format!("{arch}.attention.head_count"),
            Value::U32(spec.heads as u32),
        ),
        (
            format!("{arch}.attention.head_count_kv"),
            Value::U32(spec.kv_heads as u32),
        ),
        (
            format!("{arch}.attention.layer_norm_rms_epsilon"),
            Value::F32(1e-6),
        ),
        (format!("{arch}.rope.freq_base"), Value::F32(10_000.0)),
    ];
    if spec.architecture == Architecture::Gemma3 {
        meta.push((
            format!("{arch}.attention.key_length"),
            Value::U32(hd as u32),
        ));
        meta.push((format!("{arch}.attention.sliding_window"), Value::U32(5)));
        meta.push((format!("{arch}.rope.local_freq_base"), Value::F32(1_000.0)));
    }
    let mut seed = 1;
    let mut next = || {
        seed += 1;
        seed
    };
    let mut tensors: Vec<(String, QTensor)> = vec![(
        "token_embd.weight".into(),
        tensor(
            &[spec.vocab, spec.hidden],
            next(),
            1.0,
            spec.dtype_for_embeddings(),
        ),
    )];
    let w = |rows: usize, cols: usize, seed: u64| {
        tensor(&[rows, cols], seed, 1.5 / (cols as f32).sqrt(), spec.dtype)
    };
    for i in 0..spec.layers {
        let n = |s: &str| format!("blk.{i}.{s}");
        tensors.push((n("attn_norm.weight"), norm(spec.hidden, next())));
        tensors.push((n("attn_q.weight"), w(q_dim, spec.hidden, next())));
        tensors.push((n("attn_k.weight"), w(kv_dim, spec.hidden, next())));
        tensors.push((n("attn_v.weight"), w(kv_dim, spec.hidden, next())));
        tensors.push((n("attn_output.weight"), w(spec.hidden, q_dim, next())));
        tensors.push((n("ffn_norm.weight"), norm(spec.hidden, next())));
        tensors.push((n("ffn_gate.weight"), w(spec.ffn, spec.hidden, next())));
        tensors.push((n("ffn_up.weight"), w(spec.ffn, spec.hidden, next())));
        tensors.push((n("ffn_down.weight"), w(spec.hidden, spec.ffn, next())));
        match spec.architecture {
            Architecture::Llama => {}
            Architecture::Qwen2 => {
                for (name, len) in [
                    ("attn_q.bias", q_dim),
                    ("attn_k.bias", kv_dim),
                    ("attn_v.bias", kv_dim),
                ] {
                    tensors.push((n(name), tensor(&[len], next(), 0.5, GgmlDType::F32)));
                }
            }
            Architecture::Qwen3 | Architecture::Gemma3 => {
                tensors.push((n("attn_q_norm.weight"), norm(hd, next())));
                tensors.push((n("attn_k_norm.weight"), norm(hd, next())));
                if spec.architecture == Architecture::Gemma3 {
                    tensors.push((n("post_attention_norm.weight"), norm(spec.hidden, next())));
                    tensors.push((n("post_ffw_norm.weight"), norm(spec.hidden, next())));
                }
            }
        }
    }
    tensors.push(("output_norm.weight".into(), norm(spec.hidden, next())));
    if spec.output {
        tensors.push(("output.weight".into(), w(spec.vocab, spec.hidden, next())));
    }
    let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &meta_refs, &tensor_refs).unwrap();
    out.into_inner()
}

impl TinySpec {
    fn dtype_for_embeddings(&self) -> GgmlDType {
        // Real files keep K-quant embeddings only when rows are multiples of 256.
        if self.hidden.is_multiple_of(256) {
            self.dtype
        } else if self.dtype == GgmlDType::Q4K {
            GgmlDType::Q8_0
        } else {
            self.dtype
        }
    }
}
