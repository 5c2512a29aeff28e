//! The [`Generator`] that asks an OpenAI-compatible (or Ollama) server. The pipeline
//! sends it the same chats and schemas it sends the local model; the server constrains
//! decoding with the schema, and recap still checks every answer against it: an answer
//! that fails is sent back once with what was wrong, and a second failure fails the file.
//!
//! One [`Server`] serves a whole run. Each generator [forked](Generator::fork) from it
//! shares its client and its [`Gate`], so however many files and chunks are at work, no
//! more than `jobs` requests are at the server at once.
//!
//! *Token counts* cannot come from a tokenizer recap does not have: the planner counts
//! with [`estimate_tokens`], which errs on the high side, so chunks fit the server's
//! context with room to spare.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

use crate::pipeline::generator::{Chat, Generator, Progress, Usage};

use super::client::{Client, RemoteError, RetryPolicy, Secret};
use super::endpoint::{Api, Endpoint};
use super::gate::Gate;
use super::request::{self, Ask, Finish, Message};

/// The context assumed when neither the configuration nor the server says.
pub const FALLBACK_CONTEXT: usize = 4096;

/// What it takes to reach a server, resolved from flags and the config's `[backend]`.
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    pub url: String,
    pub api: Api,
    /// The server's name for the model; asked of the server when unset.
    pub model: Option<String>,
    /// The API key and the environment variable it was read from.
    pub key: Option<(String, Secret)>,
    pub timeout: Duration,
    /// Tokens of context per request; asked of the server when unset.
    pub context: Option<usize>,
    /// Requests in flight at most.
    pub jobs: usize,
    pub retry: RetryPolicy,
}

/// A server and the model recap asks of it, shared by every generator of a run.
pub struct Server {
    client: Client,
    model: String,
    context: usize,
    gate: Gate,
    /// Set when a request found the server unreachable through all its retries, cleared
    /// by the next answer: a run stops starting files while it is set.
    down: AtomicBool,
}

/// A generator over a [`Server`]; cheap to fork.
#[derive(Clone)]
pub struct RemoteGenerator {
    server: Arc<Server>,
}

/// A connected server, with what the run should tell the user about it.
pub struct Connected {
    pub generator: RemoteGenerator,
    /// Lines for stderr: an insecure URL, an assumed context length.
    pub notes: Vec<String>,
}

impl RemoteGenerator {
    /// Looks the server over: that it answers, which model it serves (unless one is
    /// named) and its context length (unless one is configured).
    pub fn connect(settings: &RemoteSettings) -> anyhow::Result<Connected> {
        let endpoint = Endpoint::parse(&settings.url, settings.api)?;
        let mut notes: Vec<String> = endpoint.insecure_warning().into_iter().collect();
        let client = Client::new(
            endpoint,
            settings.key.clone(),
            settings.timeout,
            settings.retry,
        );
        let listing = list_models(&client);
        if let Err(e) = &listing {
            if e.is_unreachable() || matches!(e, RemoteError::Unauthorized { .. }) {
                return Err(anyhow::anyhow!("{e}"))
                    .context(format!("cannot use the server at {}", client.endpoint()));
            }
        }
        let model = match (&settings.model, &listing) {
            (Some(model), _) => model.clone(),
            (None, Ok(listing)) if !listing.ids.is_empty() => listing.ids[0].clone(),
            (None, result) => anyhow::bail!(
                "the server at {} did not say which model it serves{}\nhint: name it with --model NAME, or `model` in the config's [backend] table",
                client.endpoint(),
                match result {
                    Err(e) => format!(": {e}"),
                    Ok(_) => String::new(),
                }
            ),
        };
        let context = match settings.context {
            Some(context) => context,
            None => match server_context(&client, listing.as_ref().ok()) {
                Some(context) => context,
                None => {
                    notes.push(format!(
                        "note: the server did not say its context length; recap plans for {FALLBACK_CONTEXT} tokens (set `context_tokens` in the config's [backend] table)"
                    ));
                    FALLBACK_CONTEXT
                }
            },
        };
        let server = Server {
            client,
            model,
            context,
            gate: Gate::new(settings.jobs),
            down: AtomicBool::new(false),
        };
        Ok(Connected {
            generator: Self {
                server: Arc::new(server),
            },
            notes,
        })
    }

    pub fn model(&self) -> &str {
        &self.server.model
    }

    /// One line saying where requests go: model, server, context, jobs.
    pub fn describe(&self) -> String {
        let s = &self.server;
        format!(
            "{} at {} (context {} tokens, {} request{} at a time)",
            s.model,
            s.client.endpoint(),
            s.context,
            s.gate.limit(),
            if s.gate.limit() == 1 { "" } else { "s" }
        )
    }

    /// The most requests that were in flight at once so far.
    pub fn peak_in_flight(&self) -> usize {
        self.server.gate.peak()
    }

    /// Requests allowed in flight at once (`--jobs`).
    pub fn jobs(&self) -> usize {
        self.server.gate.limit()
    }

    /// True when the last request that ended could not reach the server at all.
    pub fn is_down(&self) -> bool {
        self.server.down.load(Ordering::SeqCst)
    }

    /// The server's URL, without credentials.
    pub fn endpoint(&self) -> &Endpoint {
        self.server.client.endpoint()
    }

    /// One request, through the gate.
    fn ask(
        &self,
        messages: &[Message],
        schema: &Value,
        max_tokens: usize,
    ) -> anyhow::Result<request::Answer> {
        let s = &self.server;
        let api = s.client.endpoint().api();
        let body = request::body(
            api,
            &Ask {
                model: &s.model,
                messages,
                schema,
                max_tokens,
                context: s.context,
            },
        );
        let url = s.client.endpoint().url(request::chat_route(api));
        let started = Instant::now();
        let response = {
            let _permit = s.gate.enter();
            s.client.post(&url, &body)
        };
        s.down.store(
            response.as_ref().is_err_and(RemoteError::is_unreachable),
            Ordering::SeqCst,
        );
        let response = response?;
        let mut answer = request::parse_answer(api, &response).map_err(|reason| {
            anyhow::anyhow!(
                "{url} sent an answer recap cannot read: {}",
                s.client.scrub(&reason)
            )
        })?;
        if !answer.timed {
            answer.usage.decode_seconds = started.elapsed().as_secs_f64();
        }
        Ok(answer)
    }
}

impl Generator for RemoteGenerator {
    fn count_tokens(&self, text: &str) -> usize {
        estimate_tokens(text)
    }

    fn context_length(&self) -> usize {
        self.server.context
    }

    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)> {
        let validator = jsonschema::validator_for(chat.schema)
            .map_err(|e| anyhow::anyhow!("the pipeline's schema does not compile: {e}"))?;
        let prompt_tokens = estimate_tokens(chat.system) + estimate_tokens(chat.user);
        let mut messages = vec![
            Message::new("system", chat.system),
            Message::new("user", chat.user),
        ];
        let mut usage = Usage::default();
        for round in 1..=2 {
            progress(&Progress {
                prefill: true,
                prompt_tokens,
                ..Progress::default()
            });
            let answer = self.ask(&messages, chat.schema, chat.max_tokens)?;
            usage.add(&answer.usage);
            progress(&Progress {
                prefill: false,
                prompt_tokens: answer.usage.prompt_tokens,
                generated_tokens: answer.usage.generated_tokens,
                tokens_per_second: answer.usage.decode_rate(),
            });
            let problem = match &answer.finish {
                Finish::Length => format!(
                    "it was cut off at {} tokens before its JSON was complete",
                    chat.max_tokens
                ),
                Finish::Other(reason) => format!("the server stopped it ({reason})"),
                Finish::Stop => match request::answer_json(&answer.text) {
                    Err(e) => format!("it is not JSON ({e})"),
                    Ok(value) => match schema_problems(&validator, &value) {
                        None => return Ok((value, usage)),
                        Some(problems) => problems,
                    },
                },
            };
            if round == 2 || answer.finish == Finish::Length {
                anyhow::bail!(
                    "the server's answer {} failed: {problem}; it began: {:?}",
                    if round == 2 {
                        "was retried once and"
                    } else {
                        ""
                    },
                    head(&answer.text)
                );
            }
            messages.push(Message::new("assistant", answer.text));
            messages.push(Message::new(
                "user",
                format!(
                    "That answer does not satisfy the required JSON schema: {problem}. Answer again with only the corrected JSON."
                ),
            ));
        }
        unreachable!("the loop returns or fails by its second round")
    }

    fn fork(&self) -> Option<Box<dyn Generator + Send>> {
        Some(Box::new(self.clone()))
    }
}

/// The schema's complaints about `value`, at most three, or `None` when it passes.
fn schema_problems(validator: &jsonschema::Validator, value: &Value) -> Option<String> {
    let problems: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|e| {
            let at = e.instance_path.to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn head(text: &str) -> String {
    text.chars().take(160).collect()
}

/// An upper estimate of the tokens `text` takes in any common BPE vocabulary: three
/// bytes a token for ASCII (English runs about four), one token a character beyond
/// ASCII (CJK runs one or two characters a token).
pub fn estimate_tokens(text: &str) -> usize {
    let ascii = text.bytes().filter(u8::is_ascii).count();
    let other = text.chars().filter(|c| !c.is_ascii()).count();
    ascii.div_ceil(3) + other
}

/// What the server lists at its models route.
struct Listing {
    ids: Vec<String>,
    /// The context length a vLLM server reports for its first model.
    max_model_len: Option<usize>,
}

fn list_models(client: &Client) -> Result<Listing, RemoteError> {
    let endpoint = client.endpoint();
    match endpoint.api() {
        Api::Openai => {
            let body = client.get(&endpoint.url("models"))?;
            Ok(Listing {
                ids: names(&body, "data", "id"),
                max_model_len: body
                    .pointer("/data/0/max_model_len")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize),
            })
        }
        Api::Ollama => {
            let body = client.get(&endpoint.root_url("/api/tags"))?;
            Ok(Listing {
                ids: names(&body, "models", "name"),
                max_model_len: None,
            })
        }
    }
}

/// The `key` of each entry of the list `body[list]`: the model names a server lists.
fn names(body: &Value, list: &str, key: &str) -> Vec<String> {
    body.get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get(key).and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// The context one request gets: llama-server's per-slot `n_ctx` from `/props`, else
/// vLLM's `max_model_len`. Ollama sizes the context per request, to what recap asks.
fn server_context(client: &Client, listing: Option<&Listing>) -> Option<usize> {
    let endpoint = client.endpoint();
    match endpoint.api() {
        Api::Openai => client
            .get(&endpoint.root_url("/props"))
            .ok()
            .and_then(|props| {
                props
                    .pointer("/default_generation_settings/n_ctx")
                    .and_then(Value::as_u64)
            })
            .map(|n| n as usize)
            .or_else(|| listing.and_then(|l| l.max_model_len)),
        Api::Ollama => Some(8192),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn estimates_err_high() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("Sam: I'll send it."), 6);
        assert_eq!(estimate_tokens("会議は金曜日"), 6);
    }

    #[test]
    fn schema_problems_name_the_place() {
        let schema = json!({
            "type": "object",
            "properties": { "items": { "type": "array", "maxItems": 1 } },
            "required": ["items"],
        });
        let validator = jsonschema::validator_for(&schema).unwrap();
        assert_eq!(schema_problems(&validator, &json!({"items": []})), None);
        let problems = schema_problems(&validator, &json!({"items": [1, 2]})).unwrap();
        assert!(problems.starts_with("at /items: "), "{problems}");
        let problems = schema_problems(&validator, &json!({})).unwrap();
        assert!(
            problems.contains("\"items\" is a required property"),
            "{problems}"
        );
    }

    #[test]
    fn an_unreachable_server_fails_at_connect_with_a_hint() {
        // Port 9 (discard) on loopback: nothing listens there in a test machine.
        let settings = RemoteSettings {
            url: "http://127.0.0.1:9/v1".into(),
            api: Api::Openai,
            model: Some("m".into()),
            key: None,
            timeout: Duration::from_secs(2),
            context: None,
            jobs: 1,
            retry: RetryPolicy::default(),
        };
        let e = RemoteGenerator::connect(&settings).err().unwrap();
        let text = format!("{e:#}");
        assert!(
            text.starts_with("cannot use the server at http://127.0.0.1:9/v1: cannot reach"),
            "{text}"
        );
        assert!(text.contains("hint: is the server running?"), "{text}");
    }
}
