//! The bodies recap sends and the answers it reads, per [`Api`], as plain JSON: no
//! network here, so every shape is tested directly.
//!
//! Both APIs get the same thing: the chat, greedy decoding, a token bound, and the JSON
//! schema the answer must satisfy, as the server's structured-output option
//! (`response_format: {type: "json_schema"}` for OpenAI-style servers, `format` for
//! Ollama), so the server constrains decoding just as the local runtime does.

use serde_json::{json, Value};

use crate::pipeline::generator::Usage;

use super::endpoint::Api;

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

impl Message {
    pub fn new(role: &'static str, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// What one request asks.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub model: &'a str,
    pub messages: &'a [Message],
    pub schema: &'a Value,
    pub max_tokens: usize,
    /// The context the server should give the request (Ollama sizes it per request).
    pub context: usize,
}

/// The route a chat request goes to, under the endpoint's base.
pub fn chat_route(api: Api) -> &'static str {
    match api {
        Api::Openai => "chat/completions",
        Api::Ollama => "api/chat",
    }
}

/// The request body for `ask`.
pub fn body(api: Api, ask: &Ask<'_>) -> Value {
    let messages: Vec<Value> = ask
        .messages
        .iter()
        .map(|m| json!({ "role": m.role, "content": m.content }))
        .collect();
    match api {
        Api::Openai => json!({
            "model": ask.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": ask.max_tokens,
            "stream": false,
            "response_format": {
                "type": "json_schema",
                "json_schema": { "name": "answer", "strict": true, "schema": ask.schema },
            },
        }),
        Api::Ollama => json!({
            "model": ask.model,
            "messages": messages,
            "stream": false,
            "format": ask.schema,
            "options": {
                "temperature": 0,
                "num_predict": ask.max_tokens,
                "num_ctx": ask.context,
            },
        }),
    }
}

/// Why the server stopped writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The answer is complete.
    Stop,
    /// The token bound cut it off.
    Length,
    /// Anything else the server said (`content_filter`, ...).
    Other(String),
}

impl Finish {
    /// OpenAI's `finish_reason` and Ollama's `done_reason` use the same words.
    fn from_reason(reason: Option<&str>) -> Self {
        match reason {
            None | Some("stop") => Self::Stop,
            Some("length") => Self::Length,
            Some(other) => Self::Other(other.to_string()),
        }
    }
}

/// The text of an answer and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: String,
    pub finish: Finish,
    pub usage: Usage,
    /// Whether the server reported its own timings (else the caller times the request).
    pub timed: bool,
}

/// Reads a response body; `Err` says what is missing.
pub fn parse_answer(api: Api, body: &Value) -> Result<Answer, String> {
    match api {
        Api::Openai => parse_openai(body),
        Api::Ollama => parse_ollama(body),
    }
}

fn parse_openai(body: &Value) -> Result<Answer, String> {
    let choice = body
        .pointer("/choices/0")
        .ok_or("the response has no `choices`")?;
    let text = choice
        .pointer("/message/content")
        .and_then(Value::as_str)
        .ok_or("the response's first choice has no `message.content`")?
        .to_string();
    let finish = Finish::from_reason(choice.get("finish_reason").and_then(Value::as_str));
    let count = |path: &str| body.pointer(path).and_then(Value::as_u64).unwrap_or(0) as usize;
    let mut usage = Usage {
        prompt_tokens: count("/usage/prompt_tokens"),
        cached_tokens: count("/usage/prompt_tokens_details/cached_tokens"),
        generated_tokens: count("/usage/completion_tokens"),
        ..Usage::default()
    };
    // llama-server adds its own timings; other servers leave timing to the caller.
    let seconds = |path: &str| {
        body.pointer(path)
            .and_then(Value::as_f64)
            .map(|ms| ms / 1e3)
    };
    let timed = match (
        seconds("/timings/prompt_ms"),
        seconds("/timings/predicted_ms"),
    ) {
        (Some(prefill), Some(decode)) => {
            usage.prefill_seconds = prefill;
            usage.decode_seconds = decode;
            if usage.cached_tokens == 0 {
                usage.cached_tokens = count("/timings/cache_n");
            }
            true
        }
        _ => false,
    };
    usage.cached_tokens = usage.cached_tokens.min(usage.prompt_tokens);
    Ok(Answer {
        text,
        finish,
        usage,
        timed,
    })
}

fn parse_ollama(body: &Value) -> Result<Answer, String> {
    let text = body
        .pointer("/message/content")
        .and_then(Value::as_str)
        .ok_or("the response has no `message.content`")?
        .to_string();
    let finish = Finish::from_reason(body.get("done_reason").and_then(Value::as_str));
    let count = |key: &str| body.get(key).and_then(Value::as_u64).unwrap_or(0);
    let nanos = |key: &str| body.get(key).and_then(Value::as_u64);
    let timed = nanos("prompt_eval_duration").is_some() && nanos("eval_duration").is_some();
    Ok(Answer {
        text,
        finish,
        usage: Usage {
            prompt_tokens: count("prompt_eval_count") as usize,
            cached_tokens: 0,
            generated_tokens: count("eval_count") as usize,
            forced_tokens: 0,
            drafted_tokens: 0,
            accepted_tokens: 0,
            prefill_seconds: nanos("prompt_eval_duration").unwrap_or(0) as f64 / 1e9,
            decode_seconds: nanos("eval_duration").unwrap_or(0) as f64 / 1e9,
        },
        timed,
    })
}

/// The text of an answer as JSON: a server that ignored the schema option may still have
/// wrapped it in a markdown code fence.
pub fn answer_json(text: &str) -> Result<Value, serde_json::Error> {
    let trimmed = text.trim();
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(trimmed);
    serde_json::from_str(unfenced.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask<'a>(messages: &'a [Message], schema: &'a Value) -> Ask<'a> {
        Ask {
            model: "m",
            messages,
            schema,
            max_tokens: 300,
            context: 8192,
        }
    }

    #[test]
    fn openai_bodies_carry_the_schema_as_response_format() {
        let messages = [Message::new("system", "s"), Message::new("user", "u")];
        let schema = json!({"type": "object"});
        let body = body(Api::Openai, &ask(&messages, &schema));
        assert_eq!(
            body,
            json!({
                "model": "m",
                "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
                "temperature": 0,
                "max_tokens": 300,
                "stream": false,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "answer", "strict": true, "schema": {"type": "object"}},
                },
            })
        );
    }

    #[test]
    fn ollama_bodies_carry_the_schema_as_format() {
        let messages = [Message::new("user", "u")];
        let schema = json!({"type": "object"});
        let body = body(Api::Ollama, &ask(&messages, &schema));
        assert_eq!(body["format"], schema);
        assert_eq!(body["options"]["num_ctx"], 8192);
        assert_eq!(body["options"]["num_predict"], 300);
        assert_eq!(body["stream"], false);
    }

    #[test]
    fn openai_answers_with_llama_server_timings() {
        let body = json!({
            "choices": [{"message": {"role": "assistant", "content": "{\"a\":1}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 9},
            "timings": {"prompt_n": 20, "prompt_ms": 250.0, "predicted_n": 9, "predicted_ms": 90.0, "cache_n": 100},
        });
        let answer = parse_answer(Api::Openai, &body).unwrap();
        assert_eq!(answer.text, "{\"a\":1}");
        assert_eq!(answer.finish, Finish::Stop);
        assert!(answer.timed);
        assert_eq!(answer.usage.prompt_tokens, 120);
        assert_eq!(answer.usage.cached_tokens, 100);
        assert_eq!(answer.usage.generated_tokens, 9);
        assert!((answer.usage.prefill_seconds - 0.25).abs() < 1e-9);
    }

    #[test]
    fn a_cut_answer_and_a_bare_one() {
        let body = json!({"choices": [{"message": {"content": "{"}, "finish_reason": "length"}]});
        let answer = parse_answer(Api::Openai, &body).unwrap();
        assert_eq!(answer.finish, Finish::Length);
        assert!(!answer.timed);
        let err = parse_answer(Api::Openai, &json!({"error": "x"})).unwrap_err();
        assert_eq!(err, "the response has no `choices`");
    }

    #[test]
    fn ollama_answers() {
        let body = json!({
            "message": {"role": "assistant", "content": "{}"},
            "done_reason": "stop",
            "prompt_eval_count": 50, "eval_count": 3,
            "prompt_eval_duration": 500_000_000u64, "eval_duration": 30_000_000u64,
        });
        let answer = parse_answer(Api::Ollama, &body).unwrap();
        assert_eq!(answer.usage.prompt_tokens, 50);
        assert!((answer.usage.decode_seconds - 0.03).abs() < 1e-9);
        assert!(answer.timed);
    }

    #[test]
    fn fenced_answers_are_read() {
        assert_eq!(
            answer_json("```json\n{\"a\": 1}\n```").unwrap(),
            json!({"a": 1})
        );
        assert_eq!(answer_json(" {\"a\": 1} ").unwrap(), json!({"a": 1}));
        assert!(answer_json("Sure! {\"a\": 1}").is_err());
    }
}
