//! The hyperparameters of a llama-family model, read from GGUF metadata.
//!
//! Terms: the *architecture* is GGUF's `general.architecture` (`llama`, `qwen2`, `qwen3`,
//! `gemma3`); every other key is read under that prefix (`<arch>.block_count`, ...). The
//! *hidden size* is the width of the residual stream; a *head* is one attention head of
//! `head_dim` values; *KV heads* are the key/value heads that groups of query heads share
//! (grouped-query attention). *RoPE* rotates pairs of query/key values by an angle that
//! grows with the position: GGUF files of the `llama` architecture pair neighbouring values
//! (interleaved), the others pair the two halves of a head (NeoX style).

use std::collections::HashMap;

use candle_core::quantized::gguf_file::{Content, Value};

/// The model families this runtime runs; `models.toml` names them in lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Llama 2/3, SmolLM2, Mistral-style models.
    Llama,
    /// Qwen2 and Qwen2.5: biases on the query, key and value projections.
    Qwen2,
    /// Qwen3: an RMS norm on each query and key head.
    Qwen3,
    /// Gemma 3: q/k norms, post-attention and post-MLP norms, GELU, sliding-window layers.
    Gemma3,
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Architecture {
    /// The GGUF name (`general.architecture`), which is also the metadata key prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Llama => "llama",
            Self::Qwen2 => "qwen2",
            Self::Qwen3 => "qwen3",
            Self::Gemma3 => "gemma3",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "llama" => Self::Llama,
            "qwen2" => Self::Qwen2,
            "qwen3" => Self::Qwen3,
            "gemma3" => Self::Gemma3,
            _ => return None,
        })
    }
}

/// The nonlinearity of the MLP's gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Silu,
    /// GELU with the tanh approximation (Gemma).
    GeluTanh,
}

/// Errors reading hyperparameters.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("GGUF metadata has no `{key}`\nhint: the file is not a complete llama-family model")]
    Missing { key: String },
    #[error("GGUF metadata `{key}` has the wrong type: {message}")]
    WrongType { key: String, message: String },
    #[error(
        "unsupported architecture `{0}`\nhint: recap runs llama, qwen2, qwen3 and gemma3 models"
    )]
    Unsupported(String),
    #[error("inconsistent hyperparameters: {0}")]
    Inconsistent(String),
}

/// Hyperparameters of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub architecture: Architecture,
    /// `general.name`, when the file has one.
    pub name: Option<String>,
    /// The most positions the model was trained to attend over.
    pub context_length: usize,
    pub hidden_size: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    /// How many values of each head RoPE rotates (usually `head_dim`).
    pub rope_dim: usize,
    pub rope_base: f32,
    /// RoPE base of sliding-window layers (Gemma 3), else `rope_base`.
    pub rope_base_local: f32,
    /// True when RoPE rotates the halves of a head, false when it rotates neighbours.
    pub rope_neox: bool,
    pub rms_eps: f32,
    pub activation: Activation,
    /// Multiplies the token embeddings (Gemma: `sqrt(hidden_size)`).
    pub embedding_scale: Option<f32>,
    /// Sliding-window size and period (every `period`-th layer is global), Gemma 3.
    pub sliding_window: Option<(usize, usize)>,
    /// Scale of attention scores, `1/sqrt(head_dim)`.
    pub attention_scale: f32,
}

impl ModelConfig {
    /// Reads the hyperparameters of a parsed GGUF file.
    pub fn from_gguf(content: &Content) -> Result<Self, ConfigError> {
        Self::from_metadata(&content.metadata)
    }

    /// Reads the hyperparameters from GGUF metadata.
    pub fn from_metadata(md: &HashMap<String, Value>) -> Result<Self, ConfigError> {
        let arch_name = get(md, "general.architecture")?
            .to_string()
            .map_err(|e| wrong("general.architecture", e))?
            .clone();
        let architecture = Architecture::from_name(&arch_name)
            .ok_or_else(|| ConfigError::Unsupported(arch_name.clone()))?;
        let key = |k: &str| format!("{arch_name}.{k}");
        let uint = |k: &str| -> Result<usize, ConfigError> {
            let k = key(k);
            let v = get(md, &k)?;
            v.to_u64()
                .map(|n| n as usize)
                .or_else(|_| v.to_u32().map(|n| n as usize))
                .map_err(|e| wrong(&k, e))
        };
        let float = |k: &str| -> Result<f32, ConfigError> {
            let k = key(k);
            get(md, &k)?.to_f32().map_err(|e| wrong(&k, e))
        };
        let optional = |k: &str| md.contains_key(&key(k));

        let hidden_size = uint("embedding_length")?;
        let layers = uint("block_count")?;
        let heads = uint("attention.head_count")?;
        let kv_heads = if optional("attention.head_count_kv") {
            uint("attention.head_count_kv")?
        } else {
            heads
        };
        let context_length = uint("context_length")?;
        if heads == 0 || kv_heads == 0 || heads % kv_heads != 0 {
            return Err(ConfigError::Inconsistent(format!(
                "{heads} attention heads cannot share {kv_heads} KV heads"
            )));
        }
        let head_dim = if optional("attention.key_length") {
            uint("attention.key_length")?
        } else {
            if hidden_size % heads != 0 {
                return Err(ConfigError::Inconsistent(format!(
                    "hidden size {hidden_size} is not a multiple of {heads} heads"
                )));
            }
            hidden_size / heads
        };
        // A file's numbers size what is allocated: refuse ones no model has, so a damaged
        // or hostile header cannot ask for terabytes.
        for (what, value, max) in [
            ("embedding_length", hidden_size, 1 << 16),
            ("block_count", layers, 1 << 10),
            ("attention.head_count", heads, 1 << 10),
            ("attention.head_count_kv", kv_heads, 1 << 10),
            ("context_length", context_length, 1 << 24),
            ("head size", head_dim, 1 << 12),
        ] {
            if value == 0 || value > max {
                return Err(ConfigError::Inconsistent(format!(
                    "{arch_name}.{what} is {value}, outside 1..={max}"
                )));
            }
        }
        let rope_dim = if optional("rope.dimension_count") {
            uint("rope.dimension_count")?
        } else {
            head_dim
        };
        if rope_dim > head_dim || rope_dim % 2 != 0 {
            return Err(ConfigError::Inconsistent(format!(
                "RoPE over {rope_dim} values of a {head_dim}-value head"
            )));
        }
        let default_base = if architecture == Architecture::Gemma3 {
            1_000_000.0
        } else {
            10_000.0
        };
        let rope_base = if optional("rope.freq_base") {
            float("rope.freq_base")?
        } else {
            default_base
        };
        let rms_eps = float("attention.layer_norm_rms_epsilon")?;
        let gemma = architecture == Architecture::Gemma3;
        let sliding_window = if gemma && optional("attention.sliding_window") {
            Some((uint("attention.sliding_window")?, 6))
        } else {
            None
        };
        let rope_base_local = if gemma {
            if optional("rope.local_freq_base") {
                float("rope.local_freq_base")?
            } else {
                10_000.0
            }
        } else {
            rope_base
        };
        let name = md
            .get("general.name")
            .and_then(|v| v.to_string().ok())
            .cloned();
        Ok(Self {
            architecture,
            name,
            context_length,
            hidden_size,
            layers,
            heads,
            kv_heads,
            head_dim,
            rope_dim,
            rope_base,
            rope_base_local,
            rope_neox: architecture != Architecture::Llama,
            rms_eps,
            activation: if gemma {
                Activation::GeluTanh
            } else {
                Activation::Silu
            },
            embedding_scale: gemma.then(|| (hidden_size as f32).sqrt()),
            sliding_window,
            attention_scale: 1.0 / (head_dim as f32).sqrt(),
        })
    }

    /// The sliding window of layer `layer`, `None` for a global-attention layer.
    pub fn window_of(&self, layer: usize) -> Option<usize> {
        self.sliding_window
            .and_then(|(size, period)| (!(layer + 1).is_multiple_of(period)).then_some(size))
    }

    /// The RoPE base of layer `layer`.
    pub fn rope_base_of(&self, layer: usize) -> f32 {
        if self.window_of(layer).is_some() {
            self.rope_base_local
        } else {
            self.rope_base
        }
    }
}

fn get<'a>(md: &'a HashMap<String, Value>, key: &str) -> Result<&'a Value, ConfigError> {
    md.get(key).ok_or_else(|| ConfigError::Missing {
        key: key.to_string(),
    })
}

fn wrong(key: &str, e: candle_core::Error) -> ConfigError {
    ConfigError::WrongType {
        key: key.to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(pairs: &[(&str, Value)]) -> HashMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn reads_a_qwen2_header_with_full_context() {
        let m = md(&[
            ("general.architecture", Value::String("qwen2".into())),
            ("qwen2.context_length", Value::U32(32768)),
            ("qwen2.embedding_length", Value::U32(1536)),
            ("qwen2.block_count", Value::U32(28)),
            ("qwen2.attention.head_count", Value::U32(12)),
            ("qwen2.attention.head_count_kv", Value::U32(2)),
            ("qwen2.rope.freq_base", Value::F32(1_000_000.0)),
            ("qwen2.attention.layer_norm_rms_epsilon", Value::F32(1e-6)),
        ]);
        let c = ModelConfig::from_metadata(&m).unwrap();
        assert_eq!(c.architecture, Architecture::Qwen2);
        assert_eq!(c.context_length, 32768);
        assert_eq!((c.heads, c.kv_heads, c.head_dim), (12, 2, 128));
        assert!(c.rope_neox);
        assert_eq!(c.window_of(0), None);
    }

    #[test]
    fn a_missing_key_names_it() {
        let m = md(&[("general.architecture", Value::String("llama".into()))]);
        let err = ModelConfig::from_metadata(&m).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("GGUF metadata has no `llama.embedding_length`"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_architecture_is_refused() {
        let m = md(&[("general.architecture", Value::String("mamba".into()))]);
        let err = ModelConfig::from_metadata(&m).unwrap_err();
        assert!(err.to_string().contains("unsupported architecture `mamba`"));
    }
}
