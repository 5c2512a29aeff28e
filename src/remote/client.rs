//! HTTP to the server: JSON in, JSON out, with a timeout on every request and bounded
//! retries with backoff where trying again can help (a 429, a 5xx, a refused or dropped
//! connection: a server restarting or overloaded). A timeout is not retried: the server
//! is working on the request, and sending it again would only add to its load.
//!
//! The API key travels only in the `Authorization` header. No error, log line or URL
//! recap shows carries it: URLs are shown without credentials, and every message read
//! back from the server is scrubbed of the key before it goes anywhere.

use std::fmt;
use std::io::Read as _;
use std::time::Duration;

use serde_json::Value;

use super::endpoint::Endpoint;

/// The most bytes of a response recap reads.
const MAX_RESPONSE_BYTES: u64 = 16 << 20;

/// A secret read from the environment; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How often, and how patiently, a transient failure is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The wait after the first failure; each next wait doubles.
    pub first_delay: Duration,
    /// No wait is longer, whatever the server's `Retry-After` says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Six tries over about 15 s: long enough for a server to restart.
    fn default() -> Self {
        Self {
            attempts: 6,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before try `next` (2, 3, ...), or the server's `Retry-After` if it gave one.
    pub fn delay(&self, next: u32, retry_after: Option<Duration>) -> Duration {
        let doubled = self
            .first_delay
            .saturating_mul(1 << next.saturating_sub(2).min(16));
        retry_after.unwrap_or(doubled).min(self.max_delay)
    }
}

/// Why a request failed for good.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("no answer from {url} within {seconds} s\nhint: raise `timeout_s` in the config's [backend] table (a large model on a busy server can take minutes per answer)")]
    Timeout { url: String, seconds: u64 },
    #[error("cannot reach {url} after {attempts} {}: {reason}\nhint: is the server running? Re-run the same command once it is: notes already written are skipped", if *attempts == 1 { "try" } else { "tries" })]
    Unreachable {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error("{url} answered {status} {tries}: {message}")]
    Status {
        url: String,
        status: u16,
        tries: String,
        message: String,
    },
    #[error("{url} refused the API key ({status}): {message}\nhint: {hint}")]
    Unauthorized {
        url: String,
        status: u16,
        message: String,
        hint: String,
    },
    #[error("{url} sent a response recap cannot read: {reason}")]
    BadResponse { url: String, reason: String },
}

impl RemoteError {
    /// True when the server could not be reached at all (so a run may stop asking it).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }
}

/// A client for one endpoint.
pub struct Client {
    agent: ureq::Agent,
    endpoint: Endpoint,
    key: Option<Secret>,
    /// The environment variable the key came from, for hints.
    key_env: Option<String>,
    timeout: Duration,
    retry: RetryPolicy,
}

/// One failed try.
enum Failure {
    /// Worth another try after a wait (the server's `Retry-After`, if it said).
    Transient {
        reason: String,
        status: Option<u16>,
        retry_after: Option<Duration>,
    },
    Final(RemoteError),
}

impl Client {
    pub fn new(
        endpoint: Endpoint,
        key: Option<(String, Secret)>,
        timeout: Duration,
        retry: RetryPolicy,
    ) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            // Proxies from the environment stay out of it: a server on loopback is
            // reached directly, and a remote one is named by its own URL.
            .try_proxy_from_env(false)
            .build();
        let (key_env, key) = match key {
            Some((env, key)) => (Some(env), Some(key)),
            None => (None, None),
        };
        Self {
            agent,
            endpoint,
            key,
            key_env,
            timeout,
            retry,
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// POSTs `body` to `url`, retrying transient failures.
    pub fn post(&self, url: &str, body: &Value) -> Result<Value, RemoteError> {
        self.with_retries(url, || {
            self.once(self.request("POST", url).send_json(body), url)
        })
    }

    /// GETs `url` once, without retries (for looking the server over at start).
    pub fn get(&self, url: &str) -> Result<Value, RemoteError> {
        match self.once(self.request("GET", url).call(), url) {
            Ok(v) => Ok(v),
            Err(Failure::Final(e)) => Err(e),
            Err(Failure::Transient { reason, status, .. }) => Err(given_up(url, 1, reason, status)),
        }
    }

    fn request(&self, method: &str, url: &str) -> ureq::Request {
        let mut request = self.agent.request(method, url);
        if let Some(key) = &self.key {
            request = request.set("Authorization", &format!("Bearer {}", key.expose()));
        } else if let Some((user, password)) = self.endpoint.credentials() {
            use base64::Engine as _;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request = request.set("Authorization", &format!("Basic {token}"));
        }
        request
    }

    fn with_retries(
        &self,
        url: &str,
        mut attempt: impl FnMut() -> Result<Value, Failure>,
    ) -> Result<Value, RemoteError> {
        let attempts = self.retry.attempts.max(1);
        let mut tried = 0;
        loop {
            tried += 1;
            match attempt() {
                Ok(value) => return Ok(value),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Transient {
                    reason,
                    status,
                    retry_after,
                }) => {
                    if tried >= attempts {
                        return Err(given_up(url, tried, reason, status));
                    }
                    std::thread::sleep(self.retry.delay(tried + 1, retry_after));
                }
            }
        }
    }

    /// One try: the response as JSON, or why not.
    fn once(
        &self,
        result: Result<ureq::Response, ureq::Error>,
        url: &str,
    ) -> Result<Value, Failure> {
        match result {
            Ok(response) => {
                let mut text = String::new();
                response
                    .into_reader()
                    .take(MAX_RESPONSE_BYTES)
                    .read_to_string(&mut text)
                    .map_err(|e| self.io_failure(url, &e))?;
                serde_json::from_str(&text).map_err(|e| {
                    Failure::Final(RemoteError::BadResponse {
                        url: url.to_string(),
                        reason: format!("not JSON ({e}): {}", self.scrub(&excerpt(&text))),
                    })
                })
            }
            Err(ureq::Error::Status(status, response)) => {
                let retry_after = response
                    .header("Retry-After")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let mut text = String::new();
                let _ = response
                    .into_reader()
                    .take(64 << 10)
                    .read_to_string(&mut text);
                let message = self.scrub(&server_message(&text));
                Err(match status {
                    429 | 500 | 502 | 503 | 504 => Failure::Transient {
                        reason: message,
                        status: Some(status),
                        retry_after,
                    },
                    401 | 403 => Failure::Final(RemoteError::Unauthorized {
                        url: url.to_string(),
                        status,
                        message,
                        hint: match &self.key_env {
                            Some(env) => format!("check the key in ${env}"),
                            None => "the server wants a key: set `api_key_env` in the config's [backend] table to the name of the environment variable that holds it".into(),
                        },
                    }),
                    _ => Failure::Final(RemoteError::Status {
                        url: url.to_string(),
                        status,
                        tries: "once".into(),
                        message,
                    }),
                })
            }
            Err(ureq::Error::Transport(t)) => {
                let timed_out = std::error::Error::source(&t)
                    .and_then(|s| s.downcast_ref::<std::io::Error>())
                    .is_some_and(is_timeout)
                    || t.to_string().contains("timed out");
                if timed_out {
                    return Err(self.timeout(url));
                }
                Err(Failure::Transient {
                    reason: self.scrub(&transport_reason(&t)),
                    status: None,
                    retry_after: None,
                })
            }
        }
    }

    fn io_failure(&self, url: &str, e: &std::io::Error) -> Failure {
        if is_timeout(e) {
            self.timeout(url)
        } else {
            Failure::Transient {
                reason: format!("the connection broke while reading the answer: {e}"),
                status: None,
                retry_after: None,
            }
        }
    }

    fn timeout(&self, url: &str) -> Failure {
        Failure::Final(RemoteError::Timeout {
            url: url.to_string(),
            seconds: self.timeout.as_secs().max(1),
        })
    }

    /// `text` with the key, if it appears, replaced.
    pub fn scrub(&self, text: &str) -> String {
        match &self.key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "[redacted]"),
            _ => text.to_string(),
        }
    }
}

/// The error of a transient failure that `tried` tries did not get past: the server's
/// status if it answered, else that it could not be reached.
fn given_up(url: &str, tried: u32, reason: String, status: Option<u16>) -> RemoteError {
    match status {
        Some(status) => RemoteError::Status {
            url: url.to_string(),
            status,
            tries: match tried {
                1 => "once".into(),
                n => format!("to each of {n} tries"),
            },
            message: reason,
        },
        None => RemoteError::Unreachable {
            url: url.to_string(),
            attempts: tried,
            reason,
        },
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// What went wrong on the wire, without the URL ureq puts in front.
fn transport_reason(t: &ureq::Transport) -> String {
    let kind = t.kind().to_string();
    match t.message() {
        Some(message) => format!("{kind}: {message}"),
        None => std::error::Error::source(t).map_or(kind.clone(), |s| format!("{kind}: {s}")),
    }
}

/// The server's own error message: OpenAI's `{"error": {"message": ...}}`, Ollama's
/// `{"error": "..."}`, else the start of the body.
fn server_message(text: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let found = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    found.unwrap_or_else(|| excerpt(text))
}

fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "(no body)".into(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let policy = RetryPolicy::default();
        let waits: Vec<_> = (2..=6).map(|n| policy.delay(n, None).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000]);
        assert_eq!(
            policy.delay(2, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(2, Some(Duration::from_secs(3600))),
            policy.max_delay
        );
        assert_eq!(policy.delay(60, None), policy.max_delay);
    }

    #[test]
    fn server_messages_are_found_in_each_shape() {
        assert_eq!(
            server_message(r#"{"error":{"message":"context too long","code":400}}"#),
            "context too long"
        );
        assert_eq!(
            server_message(r#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(server_message("Bad Gateway"), "Bad Gateway");
        assert_eq!(server_message(""), "(no body)");
    }

    #[test]
    fn the_key_is_scrubbed_and_never_debug_printed() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9", super::super::Api::Openai).unwrap();
        let client = Client::new(
            endpoint,
            Some(("K".into(), Secret::new("sk-abc123".into()))),
            Duration::from_secs(1),
            RetryPolicy::default(),
        );
        assert_eq!(
            client.scrub("invalid key sk-abc123 given"),
            "invalid key [redacted] given"
        );
        assert_eq!(
            format!("{:?}", Secret::new("sk-abc123".into())),
            "Secret([redacted])"
        );
    }
}
