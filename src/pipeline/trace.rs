//! A [`Generator`] that records every request and answer, one JSON object a line: what a
//! person editing the prompts (or diagnosing a list that came out empty) needs to see,
//! since the note keeps only the grounded, merged items.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::generator::{Chat, Generator, Progress, Usage};

/// Where the records go, shared by a generator and its forks.
pub type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// `inner`, with every request written to `sink`.
pub struct Traced<G> {
    inner: G,
    sink: Sink,
}

impl<G: Generator> Traced<G> {
    pub fn new(inner: G, sink: Box<dyn Write + Send>) -> Self {
        Self {
            inner,
            sink: Arc::new(Mutex::new(sink)),
        }
    }

    fn record(&self, chat: &Chat<'_>, answer: Result<&Value, String>, usage: Option<&Usage>) {
        let line = json!({
            "system": chat.system,
            "user": chat.user,
            "schema": chat.schema,
            "answer": answer.as_ref().ok(),
            "error": answer.err(),
            "prompt_tokens": usage.map(|u| u.prompt_tokens),
            "cached_tokens": usage.map(|u| u.cached_tokens),
            "generated_tokens": usage.map(|u| u.generated_tokens),
            "forced_tokens": usage.map(|u| u.forced_tokens),
            "drafted_tokens": usage.map(|u| u.drafted_tokens),
            "accepted_tokens": usage.map(|u| u.accepted_tokens),
            "seconds": usage.map(|u| u.prefill_seconds + u.decode_seconds),
        });
        // A trace is a diagnostic: a full disk must not fail the note it describes.
        if let Ok(mut sink) = self.sink.lock() {
            let _ = writeln!(sink, "{line}").and_then(|()| sink.flush());
        }
    }
}

impl<G: Generator> Generator for Traced<G> {
    fn count_tokens(&self, text: &str) -> usize {
        self.inner.count_tokens(text)
    }

    fn context_length(&self) -> usize {
        self.inner.context_length()
    }

    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)> {
        let result = self.inner.generate_json(chat, progress);
        match &result {
            Ok((value, usage)) => self.record(chat, Ok(value), Some(usage)),
            Err(e) => self.record(chat, Err(format!("{e:#}")), None),
        }
        result
    }

    fn fork(&self) -> Option<Box<dyn Generator + Send>> {
        let inner = self.inner.fork()?;
        Some(Box::new(Traced {
            inner,
            sink: Arc::clone(&self.sink),
        }))
    }
}

/// A fork is itself a generator, so a traced fork can wrap it.
impl Generator for Box<dyn Generator + Send> {
    fn count_tokens(&self, text: &str) -> usize {
        (**self).count_tokens(text)
    }

    fn context_length(&self) -> usize {
        (**self).context_length()
    }

    fn generate_json(
        &mut self,
        chat: &Chat<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<(Value, Usage)> {
        (**self).generate_json(chat, progress)
    }

    fn fork(&self) -> Option<Box<dyn Generator + Send>> {
        (**self).fork()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl Generator for Echo {
        fn count_tokens(&self, text: &str) -> usize {
            text.len()
        }
        fn context_length(&self) -> usize {
            100
        }
        fn generate_json(
            &mut self,
            chat: &Chat<'_>,
            _: &mut dyn FnMut(&Progress),
        ) -> anyhow::Result<(Value, Usage)> {
            if chat.user == "fail" {
                anyhow::bail!("no answer");
            }
            Ok((json!({ "said": chat.user }), Usage::default()))
        }
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_request_and_answer_is_one_line() {
        let buffer = Shared::default();
        let mut traced = Traced::new(Echo, Box::new(buffer.clone()));
        let schema = json!({ "type": "object" });
        let chat = |user| Chat {
            system: "sys",
            user,
            schema: &schema,
            max_tokens: 10,
        };
        assert!(traced.generate_json(&chat("hello"), &mut |_| {}).is_ok());
        assert!(traced.generate_json(&chat("fail"), &mut |_| {}).is_err());
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["user"], "hello");
        assert_eq!(lines[0]["answer"], json!({ "said": "hello" }));
        assert_eq!(lines[1]["answer"], Value::Null);
        assert_eq!(lines[1]["error"], "no answer");
    }
}
