//! recap turns meeting transcripts into structured markdown notes with a local quantized
//! language model, and validates notes against the note schema.
//!
//! The pipeline, one module a stage:
//! `transcript` (files -> [`transcript::Transcript`]) -> `pipeline` (plan chunks, map, merge,
//! assemble) -> `note` (the [`note::Note`] type, render, parse, validate). `llm` holds the
//! local inference runtime and its kernels; `models` the registry of known models, fetching
//! and the cache of verified files; `remote` sends the same passes to an OpenAI-compatible
//! server instead. `commands` are the subcommands the binary exposes; they write
//! to the writers they are given, never to the process's stdout/stderr directly.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod commands;
pub mod config;
pub mod date;
pub mod embed;
pub mod eval;
pub mod llm;
pub mod models;
pub mod note;
pub mod pipeline;
pub mod remote;
pub mod transcript;
pub mod words;
pub mod yaml_guard;

pub use commands::{run, Exit};
