//! Where a server is and how to speak to it. An *endpoint* is the base URL requests are
//! made under (`http://127.0.0.1:8080/v1` for the OpenAI API) and the *API* it speaks:
//! OpenAI chat completions (vLLM, llama-server, LM Studio, TGI, Ollama's `/v1`) or
//! Ollama's own `/api/chat`. URLs are shown with any user and password removed, so a
//! secret written into a URL never reaches a log.

use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;
use url::Url;

/// The request format a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// OpenAI chat completions with `response_format: json_schema`.
    #[default]
    Openai,
    /// Ollama's `/api/chat` with `format: <schema>`.
    Ollama,
}

/// Why a backend URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("backend URL {url:?} is not a URL: {reason}\nhint: write it as http://HOST:PORT/v1, e.g. http://127.0.0.1:8080/v1")]
    Malformed { url: String, reason: String },
    #[error("backend URL {shown} uses {scheme}://; only http:// and https:// are spoken\nhint: write it as http://HOST:PORT/v1, e.g. http://127.0.0.1:8080/v1")]
    Scheme { shown: String, scheme: String },
}

/// A server's base URL and API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: Url,
    api: Api,
}

impl Endpoint {
    /// Parses a base URL. A URL with no path gets the API's usual one (`/v1` for OpenAI,
    /// none for Ollama); a URL that names the chat endpoint itself is cut back to its base.
    pub fn parse(text: &str, api: Api) -> Result<Self, EndpointError> {
        let mut base = Url::parse(text.trim()).map_err(|e| EndpointError::Malformed {
            url: redact_url_text(text),
            reason: e.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(EndpointError::Scheme {
                shown: shown(&base),
                scheme: base.scheme().to_string(),
            });
        }
        if base.host_str().is_none_or(str::is_empty) {
            return Err(EndpointError::Malformed {
                url: shown(&base),
                reason: "it names no host".into(),
            });
        }
        base.set_query(None);
        base.set_fragment(None);
        let mut path = base.path().trim_end_matches('/').to_string();
        for tail in ["/chat/completions", "/api/chat"] {
            if let Some(cut) = path.strip_suffix(tail) {
                path = cut.to_string();
            }
        }
        if path.is_empty() && api == Api::Openai {
            path = "/v1".to_string();
        }
        base.set_path(&path);
        Ok(Self { base, api })
    }

    pub fn api(&self) -> Api {
        self.api
    }

    /// The URL of `route` under the base (`chat/completions`, `models`), without the
    /// credentials (they travel in a header).
    pub fn url(&self, route: &str) -> String {
        format!("{}/{}", shown(&self.base), route)
    }

    /// The URL of `route` at the server's root, whatever the base's path (`/props` of
    /// llama-server, `/api/tags` of Ollama).
    pub fn root_url(&self, route: &str) -> String {
        let mut root = self.base.clone();
        root.set_path(route);
        shown(&root)
    }

    /// The user and password written into the URL, if any (sent as basic auth).
    pub fn credentials(&self) -> Option<(String, String)> {
        (!self.base.username().is_empty()).then(|| {
            (
                self.base.username().to_string(),
                self.base.password().unwrap_or("").to_string(),
            )
        })
    }

    /// True when the host is this machine: `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        match self.base.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        }
    }

    /// A warning for plain `http://` to another machine: the transcripts (and a key,
    /// if one is set) would cross the network unencrypted.
    pub fn insecure_warning(&self) -> Option<String> {
        (self.base.scheme() == "http" && !self.is_loopback()).then(|| {
            format!(
                "warning: {self} is plain http:// to another machine: transcripts and any API key cross the network unencrypted\nhint: use https://, or a tunnel to 127.0.0.1"
            )
        })
    }
}

impl fmt::Display for Endpoint {
    /// The base URL without user or password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown(&self.base))
    }
}

fn shown(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.as_str().trim_end_matches('/').to_string()
}

/// `text` with anything between `://` and an `@` removed, for a URL that did not parse.
fn redact_url_text(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://{}", &text[..s], &text[at + 1..]),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_gets_the_openai_path() {
        let e = Endpoint::parse("http://127.0.0.1:8080", Api::Openai).unwrap();
        assert_eq!(
            e.url("chat/completions"),
            "http://127.0.0.1:8080/v1/chat/completions"
        );
        assert_eq!(e.root_url("/props"), "http://127.0.0.1:8080/props");
        let e = Endpoint::parse("http://127.0.0.1:8080/v1/", Api::Openai).unwrap();
        assert_eq!(e.url("models"), "http://127.0.0.1:8080/v1/models");
        let e =
            Endpoint::parse("https://gw.example/openai/v1/chat/completions", Api::Openai).unwrap();
        assert_eq!(
            e.url("chat/completions"),
            "https://gw.example/openai/v1/chat/completions"
        );
    }

    #[test]
    fn ollama_keeps_its_root() {
        let e = Endpoint::parse("http://localhost:11434", Api::Ollama).unwrap();
        assert_eq!(e.url("api/chat"), "http://localhost:11434/api/chat");
        let e = Endpoint::parse("http://localhost:11434/api/chat", Api::Ollama).unwrap();
        assert_eq!(e.url("api/chat"), "http://localhost:11434/api/chat");
    }

    #[test]
    fn credentials_never_show() {
        let e = Endpoint::parse("https://me:s3cret@gw.example/v1", Api::Openai).unwrap();
        assert_eq!(e.to_string(), "https://gw.example/v1");
        assert_eq!(e.credentials(), Some(("me".into(), "s3cret".into())));
        assert_eq!(e.url("models"), "https://gw.example/v1/models");
        let err = Endpoint::parse("http://me:s3cret@[bad/v1", Api::Openai).unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let err = Endpoint::parse("ftp://me:s3cret@gw.example/", Api::Openai).unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn plain_http_to_another_machine_is_warned_about() {
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
            "https://gpu.lab:8000",
        ] {
            let e = Endpoint::parse(url, Api::Openai).unwrap();
            assert_eq!(e.insecure_warning(), None, "{url}");
        }
        let e = Endpoint::parse("http://gpu.lab:8000", Api::Openai).unwrap();
        let warning = e.insecure_warning().unwrap();
        assert!(warning.starts_with("warning: http://gpu.lab:8000/v1 is plain http://"));
    }

    #[test]
    fn bad_urls_say_what_to_write() {
        let err = Endpoint::parse("127.0.0.1:8080", Api::Openai).unwrap_err();
        assert!(err
            .to_string()
            .contains("hint: write it as http://HOST:PORT/v1"));
        let err = Endpoint::parse("file:///tmp/x", Api::Openai).unwrap_err();
        assert!(err.to_string().contains("uses file://"), "{err}");
    }
}
