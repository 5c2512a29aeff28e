//! The local inference runtime: model registry and fetch, GGUF models on candle, tokenizer,
//! chat template, sampling and constrained decoding.
