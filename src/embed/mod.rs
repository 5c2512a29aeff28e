//! Sentence embeddings: a BERT sentence encoder (all-MiniLM-L6-v2 by default) run with
//! candle-transformers, mean-pooled over the tokens and L2-normalised, so the cosine of two
//! sentences is the dot product of their vectors. Used where shared words are not enough
//! to tell that two items mean the same: eval matching, merging duplicate items, grounding.
//!
//! The folder holds `config.json`, `tokenizer.json` and `model.safetensors` as
//! sentence-transformers publishes them ([`crate::models::embedders`] fetches it).

mod similarity;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

pub use similarity::{cosine, pairwise};

/// Longest input in tokens; longer texts are cut (sentence-transformers' `max_seq_length`
/// for this model).
pub const MAX_TOKENS: usize = 256;

/// Texts embedded in one forward pass.
const BATCH: usize = 32;

/// Why the embedder could not load or run.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot load the embedder from {}: {message}\nhint: `recap models pull all-minilm-l6-v2` fetches it; `recap models verify` checks a cached copy", path.display())]
    Load { path: PathBuf, message: String },
    #[error("embedder: {0}")]
    Run(String),
}

/// A loaded sentence encoder.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    dimensions: usize,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dimensions", &self.dimensions)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads the model folder `dir`.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let load_error = |path: &Path, message: String| EmbedError::Load {
            path: path.to_path_buf(),
            message,
        };
        let config_path = dir.join("config.json");
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| load_error(&config_path, e.to_string()))?;
        let config: Config =
            serde_json::from_str(&text).map_err(|e| load_error(&config_path, e.to_string()))?;
        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| load_error(&tokenizer_path, e.to_string()))?;
        // The file pads every input to 128 tokens; a batch only needs its longest.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS.min(config.max_position_embeddings),
                ..TruncationParams::default()
            }))
            .map_err(|e| load_error(&tokenizer_path, e.to_string()))?;
        let weights = dir.join("model.safetensors");
        // Read, not memory-mapped: 91 MB loads in well under a second, with no unsafe.
        let bytes = std::fs::read(&weights).map_err(|e| load_error(&weights, e.to_string()))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .map_err(|e| load_error(&weights, e.to_string()))?;
        let model =
            BertModel::load(vb, &config).map_err(|e| load_error(&weights, e.to_string()))?;
        Ok(Self {
            model,
            tokenizer,
            dimensions: config.hidden_size,
        })
    }

    /// Length of the vectors.
    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// One unit-length vector per text, in order. Texts are batched by length so padding
    /// stays short.
    pub fn embed<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].as_ref().len());
        let mut out = vec![Vec::new(); texts.len()];
        for batch in order.chunks(BATCH) {
            let inputs: Vec<&str> = batch.iter().map(|&i| texts[i].as_ref()).collect();
            for (&i, v) in batch.iter().zip(self.embed_batch(&inputs)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let run = |e: candle_core::Error| EmbedError::Run(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Run(e.to_string()))?;
        let rows = encodings.len();
        let len = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(rows * len);
        let mut mask = Vec::with_capacity(rows * len);
        for e in &encodings {
            ids.extend_from_slice(e.get_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        let device = Device::Cpu;
        let ids = Tensor::from_vec(ids, (rows, len), &device).map_err(run)?;
        let mask = Tensor::from_vec(mask, (rows, len), &device).map_err(run)?;
        let types = ids.zeros_like().map_err(run)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(run)?;
        // Mean over the real tokens: padding is masked out of the sum and the count.
        let mask = mask
            .to_dtype(DType::F32)
            .map_err(run)?
            .unsqueeze(2)
            .map_err(run)?;
        let summed = hidden
            .broadcast_mul(&mask)
            .map_err(run)?
            .sum(1)
            .map_err(run)?;
        let counts = mask.sum(1).map_err(run)?;
        let mean = summed.broadcast_div(&counts).map_err(run)?;
        let vectors: Vec<Vec<f32>> = mean.to_vec2().map_err(run)?;
        Ok(vectors.into_iter().map(normalised).collect())
    }
}

fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
