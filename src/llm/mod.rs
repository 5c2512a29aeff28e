//! The local inference runtime: GGUF models on candle with recap's own kernels, tokenizer,
//! chat template, sampling and constrained decoding. Which models exist and how their files
//! are fetched and checked is [`crate::models`].
//!
//! Terms: a *token* is an id in the model's vocabulary; *logits* are the model's scores for
//! the next token, one per vocabulary entry; the *KV cache* holds the attention keys and
//! values of every position fed so far, and its *position* is how many tokens it holds.

pub mod alloc;
pub mod attention;
pub mod cache_rows;
pub mod chat_template;
pub mod code_gemm;
pub mod constraint;
pub mod gemv;
pub mod generate;
pub mod gguf_model;
pub mod int8_gemm;
pub mod kernels;
pub mod kv_cache;
pub mod lm;
pub mod lookup;
pub mod matmul;
pub mod model_config;
pub mod ops;
pub mod sampler;
pub mod scripts;
pub mod threads;
pub mod tile_attention;
/// Test and fuzzing support: tiny models written in memory.
#[doc(hidden)]
pub mod tiny_gguf;
pub mod tokenizer;
pub mod vocab;

pub use constraint::{ConstraintError, ConstraintOptions, JsonConstraint, Whitespace};
pub use gguf_model::{GgufModel, LoadOptions, ModelError};
pub use lm::{CausalLm, LogitMask};
pub use scripts::Scripts;
pub use vocab::Vocabulary;
