//! Inference on a server instead of this machine: the same pipeline, prompts, schemas and
//! validation, with each pass sent as a chat-completions request to an OpenAI-compatible
//! server (vLLM, llama.cpp's `llama-server`, LM Studio, TGI, Ollama's `/v1`) or to
//! Ollama's own API. Nothing is sent anywhere unless a backend is configured.
//!
//! - [`endpoint`]: the server's base URL and API, shown without credentials;
//! - [`request`]: the request bodies and the answers, per API (pure JSON);
//! - [`client`]: HTTP with timeouts, bounded retries and backoff; the API key;
//! - [`gate`]: the limit on requests in flight across a run (`--jobs`);
//! - [`generator`]: the pipeline's [`Generator`](crate::pipeline::generator::Generator)
//!   over all of it.

pub mod client;
pub mod endpoint;
pub mod gate;
pub mod generator;
pub mod request;

pub use client::{RetryPolicy, Secret};
pub use endpoint::{Api, Endpoint};
pub use generator::{Connected, RemoteGenerator, RemoteSettings};
