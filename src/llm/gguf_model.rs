//! A llama-family transformer loaded from a GGUF file, with its own forward pass on
//! candle tensors and the hybrid matmul of [`super::matmul`], implementing [`CausalLm`].
//!
//! Terms: a *layer* (GGUF `blk.N`) is attention then a gated MLP, each behind an RMS norm
//! and added to the residual stream; *prefill* feeds many prompt tokens in one call
//! (matrix-matrix work), *decode* feeds one generated token (matrix-vector work). The
//! model keeps its own [`KvCache`], so `forward` only takes the new tokens.
//!
//! Tensor names follow llama.cpp: `token_embd`, `blk.N.attn_{norm,q,k,v,output}`,
//! `blk.N.attn_{q,k,v}.bias` (Qwen2), `blk.N.attn_{q,k}_norm` (Qwen3, Gemma 3),
//! `blk.N.ffn_{norm,gate,up,down}`, `blk.N.post_{attention,ffw}_norm` (Gemma 3),
//! `output_norm`, and `output` (absent when the embeddings are tied).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::quantized::{gguf_file, QTensor};
use candle_core::{Device, Tensor};

use super::attention::{attend, AttentionShape};
use super::kv_cache::{KvCache, KvSnapshot};
use super::lm::CausalLm;
use super::matmul::{DenseWeights, FusedLinear, Linear};
use super::model_config::{Architecture, ConfigError, ModelConfig};
use super::ops::{add_assign, gated_activation, rms_norm, rms_norm_into, Rope};

/// How to load a model.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Where prompt batches find f32 weights.
    pub dense: DenseWeights,
    /// The most prompt tokens one pass of the layers takes: a longer prompt is fed in
    /// batches of this size, so the activations of a 10,000-token chunk never sit in
    /// memory at once, while each batch is still large enough to amortize unpacking the
    /// weights for it. Small models take less (see [`batch_limit`]).
    pub prefill_batch: usize,
}

/// The prompt batch for a model: at most `requested` tokens, and few enough that the
/// batch's widest activation (the gate and up projections, `widest` floats a token) stays
/// within an eighth of the weights' bytes: the activations of a 2,048-token prompt then
/// add little to the weights and the cache (SmolLM2-135M: 512 tokens a batch; Qwen2.5-1.5B:
/// 1,024, whose peak at 2,048 tokens fell from 1.46 to 1.25 times the file at the same
/// speed). Halving SmolLM2's batch cost 5–9% of its prefill speed (each batch unpacks the
/// weights and packs the cache for the tiles again).
fn batch_limit(requested: usize, weight_bytes: usize, widest: usize) -> usize {
    let fits = weight_bytes / 8 / (widest * 4).max(1);
    let mut batch = requested.max(1);
    while batch > 64 && batch > fits {
        batch /= 2;
    }
    batch
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            dense: DenseWeights::Int8,
            prefill_batch: 2048,
        }
    }
}

/// Errors loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot open model {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a readable GGUF file: {message}\nhint: the download may be incomplete; fetch it again")]
    Gguf { path: PathBuf, message: String },
    #[error("model {path}: {source}")]
    Config { path: PathBuf, source: ConfigError },
    #[error("model {path}: tensor `{name}`: {message}")]
    Tensor {
        path: PathBuf,
        name: String,
        message: String,
    },
    #[error("the prompt needs {needed} positions but the model's context holds {context}\nhint: shorten the input or use smaller chunks")]
    ContextFull { needed: usize, context: usize },
    #[error("token id {token} is outside the vocabulary of {vocab} entries")]
    BadToken { token: u32, vocab: usize },
    #[error("forward was given no tokens")]
    NoTokens,
    #[error("computation failed: {0}")]
    Compute(#[from] candle_core::Error),
}

/// One transformer block.
#[derive(Debug)]
struct Layer {
    attn_norm: Vec<f32>,
    /// Query, key and value projections.
    qkv: FusedLinear,
    q_bias: Option<Vec<f32>>,
    k_bias: Option<Vec<f32>>,
    v_bias: Option<Vec<f32>>,
    q_norm: Option<Vec<f32>>,
    k_norm: Option<Vec<f32>>,
    o: Linear,
    post_attn_norm: Option<Vec<f32>>,
    ffn_norm: Vec<f32>,
    /// Gate and up projections.
    gate_up: FusedLinear,
    down: Linear,
    post_ffn_norm: Option<Vec<f32>>,
    /// Index into the model's RoPE tables.
    rope: usize,
    shape: AttentionShape,
}

/// A loaded GGUF model and its KV cache.
#[derive(Debug)]
pub struct GgufModel {
    config: ModelConfig,
    /// Token embeddings (`vocab x hidden`), quantized; rows are dequantized on lookup.
    embedding: Arc<QTensor>,
    layers: Vec<Layer>,
    output_norm: Vec<f32>,
    lm_head: Linear,
    ropes: Vec<Rope>,
    cache: KvCache,
    vocab_size: usize,
    weight_bytes: usize,
    prefill_batch: usize,
}

/// Reads tensors of one GGUF file, naming it in errors.
struct Loader<'a, R> {
    content: &'a gguf_file::Content,
    reader: &'a mut R,
    path: &'a Path,
}

impl<R: Read + Seek> Loader<'_, R> {
    fn has(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }

    fn qtensor(&mut self, name: &str) -> Result<QTensor, ModelError> {
        if !self.has(name) {
            return Err(self.err(name, "missing from the file".into()));
        }
        self.content
            .tensor(self.reader, name, &Device::Cpu)
            .map_err(|e| self.err(name, e.to_string()))
    }

    fn vector(&mut self, name: &str, len: usize) -> Result<Vec<f32>, ModelError> {
        let t = self.qtensor(name)?;
        let v = t
            .dequantize(&Device::Cpu)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| self.err(name, e.to_string()))?;
        if v.len() != len {
            return Err(self.err(name, format!("has {} values, expected {len}", v.len())));
        }
        Ok(v)
    }

    fn optional_vector(&mut self, name: &str, len: usize) -> Result<Option<Vec<f32>>, ModelError> {
        if self.has(name) {
            self.vector(name, len).map(Some)
        } else {
            Ok(None)
        }
    }

    fn matrix(&mut self, name: &str, shape: (usize, usize)) -> Result<QTensor, ModelError> {
        let t = self.qtensor(name)?;
        let dims = t.shape().dims().to_vec();
        if dims != [shape.0, shape.1] {
            return Err(self.err(
                name,
                format!("has shape {dims:?}, expected [{}, {}]", shape.0, shape.1),
            ));
        }
        Ok(t)
    }

    fn linear(
        &mut self,
        name: &str,
        shape: (usize, usize),
        dense: DenseWeights,
    ) -> Result<Linear, ModelError> {
        let t = self.matrix(name, shape)?;
        Linear::new(t, dense).map_err(|e| self.err(name, e.to_string()))
    }

    fn fused(
        &mut self,
        parts: &[(&str, (usize, usize))],
        dense: DenseWeights,
    ) -> Result<FusedLinear, ModelError> {
        let weights = parts
            .iter()
            .map(|(name, shape)| self.matrix(name, *shape))
            .collect::<Result<Vec<_>, _>>()?;
        FusedLinear::new(weights, dense).map_err(|e| self.err(parts[0].0, e.to_string()))
    }

    fn err(&self, name: &str, message: String) -> ModelError {
        ModelError::Tensor {
            path: self.path.to_path_buf(),
            name: name.to_string(),
            message,
        }
    }
}

impl GgufModel {
    /// Loads the model in the GGUF file at `path`.
    pub fn load(path: &Path, options: LoadOptions) -> Result<Self, ModelError> {
        let file = File::open(path).map_err(|source| ModelError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = BufReader::new(file);
        Self::from_reader(&mut reader, path, options)
    }

    /// Loads a model from GGUF bytes; `path` names the source in errors.
    pub fn from_reader<R: Read + Seek>(
        reader: &mut R,
        path: &Path,
        options: LoadOptions,
    ) -> Result<Self, ModelError> {
        // The kernels are chosen now, before any product: on an AMX CPU that asks Linux
        // for the tile registers, which candle's own quantized matmul (`--dense off`)
        // then uses too; it runs tile instructions without asking, and dies of SIGILL in
        // a process that never asked.
        let _ = super::kernels::active();
        let content = gguf_file::Content::read(reader).map_err(|e| ModelError::Gguf {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let config = ModelConfig::from_gguf(&content).map_err(|source| ModelError::Config {
            path: path.to_path_buf(),
            source,
        })?;
        let mut ld = Loader {
            content: &content,
            reader,
            path,
        };
        let c = &config;
        let hidden = c.hidden_size;
        let (q_dim, kv_dim) = (c.heads * c.head_dim, c.kv_heads * c.head_dim);

        let embedding = ld.qtensor("token_embd.weight")?;
        let (vocab_size, embd_width) = embedding
            .shape()
            .dims2()
            .map_err(|e| ld.err("token_embd.weight", e.to_string()))?;
        if embd_width != hidden {
            return Err(ld.err(
                "token_embd.weight",
                format!("is {embd_width} wide, expected the hidden size {hidden}"),
            ));
        }
        let lm_head = if ld.has("output.weight") {
            ld.linear("output.weight", (vocab_size, hidden), DenseWeights::Off)?
        } else {
            Linear::new(embedding, DenseWeights::Off)
                .map_err(|e| ld.err("token_embd.weight", e.to_string()))?
        };
        let embedding = if ld.has("output.weight") {
            Arc::new(ld.qtensor("token_embd.weight")?)
        } else {
            lm_head.qtensor()
        };

        // Llama 3 stores its long-context frequency scaling as a tensor.
        let factors = ld.optional_vector("rope_freqs.weight", c.rope_dim / 2)?;
        let mut ropes = vec![Rope::new(
            c.rope_dim,
            c.rope_base,
            c.rope_neox,
            factors.as_deref(),
        )];
        if c.rope_base_local != c.rope_base {
            ropes.push(Rope::new(c.rope_dim, c.rope_base_local, c.rope_neox, None));
        }
        let mut layers = Vec::new();
        for i in 0..c.layers {
            let n = |s: &str| format!("blk.{i}.{s}");
            let ffn = ld
                .content
                .tensor_infos
                .get(&n("ffn_up.weight"))
                .map(|t| t.shape.dims()[0])
                .ok_or_else(|| ld.err(&n("ffn_up.weight"), "missing from the file".into()))?;
            let d = options.dense;
            layers.push(Layer {
                attn_norm: ld.vector(&n("attn_norm.weight"), hidden)?,
                qkv: ld.fused(
                    &[
                        (&n("attn_q.weight"), (q_dim, hidden)),
                        (&n("attn_k.weight"), (kv_dim, hidden)),
                        (&n("attn_v.weight"), (kv_dim, hidden)),
                    ],
                    d,
                )?,
                q_bias: ld.optional_vector(&n("attn_q.bias"), q_dim)?,
                k_bias: ld.optional_vector(&n("attn_k.bias"), kv_dim)?,
                v_bias: ld.optional_vector(&n("attn_v.bias"), kv_dim)?,
                q_norm: ld.optional_vector(&n("attn_q_norm.weight"), c.head_dim)?,
                k_norm: ld.optional_vector(&n("attn_k_norm.weight"), c.head_dim)?,
                o: ld.linear(&n("attn_output.weight"), (hidden, q_dim), d)?,
                post_attn_norm: ld.optional_vector(&n("post_attention_norm.weight"), hidden)?,
                ffn_norm: ld.vector(&n("ffn_norm.weight"), hidden)?,
                gate_up: ld.fused(
                    &[
                        (&n("ffn_gate.weight"), (ffn, hidden)),
                        (&n("ffn_up.weight"), (ffn, hidden)),
                    ],
                    d,
                )?,
                down: ld.linear(&n("ffn_down.weight"), (hidden, ffn), d)?,
                post_ffn_norm: ld.optional_vector(&n("post_ffw_norm.weight"), hidden)?,
                rope: usize::from(c.rope_base_of(i) != c.rope_base),
                shape: AttentionShape {
                    heads: c.heads,
                    kv_heads: c.kv_heads,
                    head_dim: c.head_dim,
                    scale: c.attention_scale,
                    window: c.window_of(i),
                },
            });
        }
        if c.architecture == Architecture::Qwen3 && layers.iter().any(|l| l.q_norm.is_none()) {
            return Err(ld.err(
                "blk.0.attn_q_norm.weight",
                "qwen3 needs query/key norms".into(),
            ));
        }
        let output_norm = ld.vector("output_norm.weight", hidden)?;
        let widest = layers
            .iter()
            .map(|l| l.gate_up.out_dim())
            .max()
            .unwrap_or(1);
        // Tied embeddings are one tensor, counted once.
        let tied = Arc::ptr_eq(&embedding, &lm_head.qtensor());
        let weight_bytes = if tied {
            0
        } else {
            embedding.storage_size_in_bytes()
        } + lm_head.bytes()
            + layers
                .iter()
                .map(|l| l.qkv.bytes() + l.o.bytes() + l.gate_up.bytes() + l.down.bytes())
                .sum::<usize>();
        let cache = KvCache::new(c.layers, kv_dim);
        Ok(Self {
            config,
            embedding,
            layers,
            output_norm,
            lm_head,
            ropes,
            cache,
            vocab_size,
            weight_bytes,
            prefill_batch: batch_limit(options.prefill_batch, weight_bytes, widest),
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Bytes of weights held in memory (quantized, plus resident dense copies).
    pub fn weight_bytes(&self) -> usize {
        self.weight_bytes
    }

    /// The GGML type of the first layer's query projection after load, e.g. `Q8_0`.
    pub fn weight_type(&self) -> String {
        self.layers
            .first()
            .map_or_else(|| "none".into(), |l| format!("{:?}", l.qkv.dtype()))
    }

    fn embed(&self, tokens: &[u32]) -> Result<Vec<f32>, ModelError> {
        if let Some(&token) = tokens.iter().find(|&&t| t as usize >= self.vocab_size) {
            return Err(ModelError::BadToken {
                token,
                vocab: self.vocab_size,
            });
        }
        let ids = Tensor::from_slice(tokens, tokens.len(), &Device::Cpu)?;
        let mut x = self
            .embedding
            .embedding(&ids)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        if let Some(scale) = self.config.embedding_scale {
            x.iter_mut().for_each(|v| *v *= scale);
        }
        Ok(x)
    }

    /// Runs `tokens` through every layer, appending to the cache, and returns their hidden
    /// states (`tokens.len() x hidden`).
    fn run(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ModelError> {
        let c = &self.config;
        let (hidden, eps, hd) = (c.hidden_size, c.rms_eps, c.head_dim);
        let rows = tokens.len();
        let start = self.cache.len();
        let mut x = self.embed(tokens)?;
        let mut h = Vec::with_capacity(x.len());
        for (i, l) in self.layers.iter().enumerate() {
            rms_norm_into(&x, &l.attn_norm, hidden, eps, &mut h);
            let mut qkv = l.qkv.forward(&h, rows)?.into_iter();
            let (Some(mut q), Some(mut k), Some(mut v)) = (qkv.next(), qkv.next(), qkv.next())
            else {
                unreachable!("three projections give three outputs")
            };
            for (t, b) in [
                (&mut q, &l.q_bias),
                (&mut k, &l.k_bias),
                (&mut v, &l.v_bias),
            ] {
                if let Some(b) = b {
                    for row in t.chunks_exact_mut(b.len()) {
                        add_assign(row, b);
                    }
                }
            }
            if let Some(w) = &l.q_norm {
                rms_norm(&mut q, w, hd, eps);
            }
            if let Some(w) = &l.k_norm {
                rms_norm(&mut k, w, hd, eps);
            }
            let rope = &mut self.ropes[l.rope];
            rope.apply(&mut q, start, c.heads, hd);
            rope.apply(&mut k, start, c.kv_heads, hd);
            self.cache.append(i, &k, &v);
            let a = attend(&l.shape, &q, self.cache.layer(i), start)?;
            let mut o = l.o.forward(&a, rows)?;
            if let Some(w) = &l.post_attn_norm {
                rms_norm(&mut o, w, hidden, eps);
            }
            add_assign(&mut x, &o);

            rms_norm_into(&x, &l.ffn_norm, hidden, eps, &mut h);
            let mut gate_up = l.gate_up.forward(&h, rows)?.into_iter();
            let (Some(mut g), Some(u)) = (gate_up.next(), gate_up.next()) else {
                unreachable!("two projections give two outputs")
            };
            gated_activation(&mut g, &u, c.activation);
            let mut d = l.down.forward(&g, rows)?;
            if let Some(w) = &l.post_ffn_norm {
                rms_norm(&mut d, w, hidden, eps);
            }
            add_assign(&mut x, &d);
        }
        self.cache.advance(rows);
        Ok(x)
    }

    /// The next-token logits of each hidden state in `hidden` (rows of `hidden_size`).
    fn logits(&self, mut hidden: Vec<f32>) -> Result<Vec<f32>, ModelError> {
        let c = &self.config;
        rms_norm(&mut hidden, &self.output_norm, c.hidden_size, c.rms_eps);
        Ok(self
            .lm_head
            .forward(&hidden, hidden.len() / c.hidden_size)?)
    }

    /// Runs `tokens` in batches of at most `prefill_batch`, giving each batch's hidden
    /// states to `keep`; on failure the cache is as it was.
    fn run_batches(
        &mut self,
        tokens: &[u32],
        mut keep: impl FnMut(Vec<f32>),
    ) -> anyhow::Result<()> {
        if tokens.is_empty() {
            return Err(ModelError::NoTokens.into());
        }
        let needed = self.cache.len() + tokens.len();
        if needed > self.config.context_length {
            return Err(ModelError::ContextFull {
                needed,
                context: self.config.context_length,
            }
            .into());
        }
        let before = self.cache.len();
        for batch in tokens.chunks(self.prefill_batch) {
            match self.run(batch) {
                Ok(hidden) => keep(hidden),
                Err(e) => {
                    self.cache.truncate(before);
                    return Err(e.into());
                }
            }
        }
        Ok(())
    }
}

impl CausalLm for GgufModel {
    type Snapshot = KvSnapshot;

    fn forward(&mut self, tokens: &[u32]) -> anyhow::Result<Vec<f32>> {
        let hidden_size = self.config.hidden_size;
        let mut last = Vec::new();
        self.run_batches(tokens, |hidden| {
            last = hidden[hidden.len() - hidden_size..].to_vec()
        })?;
        // Only the last position needs the vocabulary-wide projection.
        Ok(self.logits(last)?)
    }

    fn forward_each(&mut self, tokens: &[u32]) -> anyhow::Result<Vec<f32>> {
        let mut all = Vec::new();
        self.run_batches(tokens, |hidden| all.extend(hidden))?;
        Ok(self.logits(all)?)
    }

    fn position(&self) -> usize {
        self.cache.len()
    }

    fn context_length(&self) -> usize {
        self.config.context_length
    }

    fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    fn snapshot(&self) -> KvSnapshot {
        self.cache.snapshot()
    }

    fn restore(&mut self, snapshot: &KvSnapshot) {
        self.cache.restore(snapshot);
    }

    fn reset(&mut self) {
        self.cache.reset();
    }

    fn truncate(&mut self, len: usize) {
        self.cache.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::llm::tiny_gguf::{write, TinySpec};

    const ARCHITECTURES: [Architecture; 4] = [
        Architecture::Llama,
        Architecture::Qwen2,
        Architecture::Qwen3,
        Architecture::Gemma3,
    ];

    fn load(arch: Architecture, dense: DenseWeights) -> GgufModel {
        let bytes = write(&TinySpec::of(arch));
        let options = LoadOptions {
            dense,
            ..LoadOptions::default()
        };
        GgufModel::from_reader(&mut Cursor::new(bytes), Path::new("tiny.gguf"), options).unwrap()
    }

    fn tokens(n: usize, salt: u32) -> Vec<u32> {
        (0..n as u32)
            .map(|i| (i * 37 + salt * 11 + 5) % 120)
            .collect()
    }

    /// Largest difference, relative to the largest magnitude of `want`.
    fn rel_diff(got: &[f32], want: &[f32]) -> f32 {
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
        got.iter()
            .zip(want)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()))
            / scale
    }

    #[test]
    fn every_architecture_loads_and_gives_finite_logits() {
        for arch in ARCHITECTURES {
            let mut m = load(arch, DenseWeights::PerCall);
            assert_eq!(m.config().architecture, arch);
            assert_eq!(m.context_length(), 128);
            assert_eq!(m.vocab_size(), 120);
            let logits = m.forward(&tokens(20, 0)).unwrap();
            assert_eq!(logits.len(), 120, "{arch:?}");
            assert!(logits.iter().all(|v| v.is_finite()), "{arch:?}");
            assert!(
                logits.iter().any(|v| *v != logits[0]),
                "{arch:?}: constant logits"
            );
            assert_eq!(m.position(), 20);
            let next = m.forward(&[3]).unwrap();
            assert_eq!(m.position(), 21);
            assert!(next.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn a_short_batch_gives_each_position_the_logits_feeding_it_alone_gives() {
        // What speculative decoding relies on: checking a draft in one batch chooses
        // exactly what decoding token by token would.
        for arch in ARCHITECTURES {
            let (prompt, more) = (tokens(20, 2), tokens(5, 3));
            let mut batched = load(arch, DenseWeights::Int8);
            batched.forward(&prompt).unwrap();
            let rows = batched.forward_each(&more).unwrap();
            assert_eq!(rows.len(), more.len() * 120);
            let mut single = load(arch, DenseWeights::Int8);
            single.forward(&prompt).unwrap();
            for (i, &t) in more.iter().enumerate() {
                let one = single.forward(&[t]).unwrap();
                assert_eq!(
                    &rows[i * 120..(i + 1) * 120],
                    one.as_slice(),
                    "{arch:?} position {i}"
                );
            }
            assert_eq!(batched.position(), single.position());
        }
    }

    #[test]
    fn small_models_take_smaller_prompt_batches() {
        // SmolLM2-135M: 96 MB of weights, gate and up 3,072 wide.
        assert_eq!(batch_limit(2048, 96_400_000, 3072), 512);
        // Qwen2.5-1.5B: 1.1 GB, 17,920 wide.
        assert_eq!(batch_limit(2048, 1_110_000_000, 17_920), 1024);
        // Never below 64 tokens, never above what was asked.
        assert_eq!(batch_limit(2048, 1000, 64), 64);
        assert_eq!(batch_limit(20, 1_110_000_000, 17_920), 20);
    }

    #[test]
    fn weights_keep_the_files_quant_types() {
        // The tiny llama file is Q4_1, which recap's own kernels read on every path.
        let m = load(Architecture::Llama, DenseWeights::Off);
        assert_eq!(m.weight_type(), "Q4_1");
        let m = load(Architecture::Qwen3, DenseWeights::Off);
        assert_eq!(m.weight_type(), "Q4K");
    }

    #[test]
    fn batched_prefill_equals_token_by_token_feeding() {
        for arch in ARCHITECTURES {
            // 40 tokens: the batch goes through the GEMM attention and dense weights.
            let prompt = tokens(40, 1);
            // Single tokens go through recap's decoding kernels; with `Off` the batch goes
            // through candle's quantized matmul, which rounds the activations' scales to
            // f16 where recap keeps f32.
            for (dense, tolerance) in [
                (DenseWeights::Off, 3e-2),
                (DenseWeights::PerCall, 3e-2),
                (DenseWeights::Int8, 3e-2),
            ] {
                let mut batched = load(arch, dense);
                let want = batched.forward(&prompt).unwrap();
                let mut single = load(arch, dense);
                let mut got = Vec::new();
                for t in &prompt {
                    got = single.forward(&[*t]).unwrap();
                }
                let d = rel_diff(&got, &want);
                assert!(d < tolerance, "{arch:?} {dense:?}: relative difference {d}");
                // The caches agree too: the next token gives the same logits.
                let a = batched.forward(&[7]).unwrap();
                let b = single.forward(&[7]).unwrap();
                let d = rel_diff(&a, &b);
                assert!(d < tolerance, "{arch:?} {dense:?}: after prefill {d}");
            }
        }
    }

    #[test]
    fn a_prompt_longer_than_one_batch_is_fed_in_batches_with_the_same_result() {
        for arch in ARCHITECTURES {
            let prompt = tokens(50, 5);
            let mut whole = load(arch, DenseWeights::Int8);
            let want = whole.forward(&prompt).unwrap();
            let mut batched = load(arch, DenseWeights::Int8);
            batched.prefill_batch = 20;
            let got = batched.forward(&prompt).unwrap();
            assert_eq!(batched.position(), 50);
            let d = rel_diff(&got, &want);
            assert!(d < 3e-2, "{arch:?}: relative difference {d}");
        }
    }

    #[test]
    fn a_restored_snapshot_continues_like_a_full_recompute() {
        for arch in ARCHITECTURES {
            let mut m = load(arch, DenseWeights::PerCall);
            let prefix = tokens(24, 2);
            let (a, b) = (tokens(18, 3), tokens(5, 4));
            m.forward(&prefix).unwrap();
            let snap = m.snapshot();
            let after_a = m.forward(&a).unwrap();
            m.restore(&snap);
            assert_eq!(m.position(), 24);
            let after_b = m.forward(&b).unwrap();
            m.restore(&snap);
            assert_eq!(m.forward(&a).unwrap(), after_a, "{arch:?}: snapshot reuse");

            // A fresh model computing prefix + b in one go agrees.
            let mut fresh = load(arch, DenseWeights::PerCall);
            let whole: Vec<u32> = prefix.iter().chain(&b).copied().collect();
            let want = fresh.forward(&whole).unwrap();
            let d = rel_diff(&after_b, &want);
            assert!(d < 3e-2, "{arch:?}: restored vs recomputed {d}");

            // Restoring into a reset model copies the snapshot back.
            m.reset();
            assert_eq!(m.position(), 0);
            m.restore(&snap);
            assert_eq!(
                m.forward(&a).unwrap(),
                after_a,
                "{arch:?}: restore after reset"
            );
        }
    }

    #[test]
    fn the_context_limit_and_bad_tokens_are_errors_that_keep_the_cache() {
        let mut m = load(Architecture::Qwen2, DenseWeights::Off);
        m.forward(&tokens(100, 0)).unwrap();
        let err = m.forward(&tokens(29, 0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the prompt needs 129 positions but the model's context holds 128\nhint: shorten the input or use smaller chunks"
        );
        let err = m.forward(&[5, 500]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "token id 500 is outside the vocabulary of 120 entries"
        );
        assert_eq!(m.position(), 100);
        assert!(m.forward(&[]).is_err());
        m.forward(&[1]).unwrap();
        assert_eq!(m.position(), 101);
    }

    #[test]
    fn a_truncated_file_is_a_clear_error() {
        let bytes = write(&TinySpec::of(Architecture::Llama));
        let cut = bytes[..bytes.len() / 2].to_vec();
        let err = GgufModel::from_reader(
            &mut Cursor::new(cut),
            Path::new("cut.gguf"),
            LoadOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("model cut.gguf: tensor `"),
            "{err}"
        );
        let err = GgufModel::from_reader(
            &mut Cursor::new(b"nope".to_vec()),
            Path::new("x.gguf"),
            LoadOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.gguf is not a readable GGUF file"),
            "{err}"
        );
    }
}
