//! The chat template: turns a conversation (system, user and assistant *messages*) into the
//! exact prompt text the model was trained on, e.g. ChatML's
//! `<|im_start|>user\n…<|im_end|>\n`.
//!
//! The template is the Jinja source a GGUF file carries in `tokenizer.chat_template`
//! (Hugging Face's format), rendered with minijinja set up the way Hugging Face renders
//! it: `trim_blocks` and `lstrip_blocks`, loop controls, Python string and dict methods
//! (`.strip()`, `.startswith()`, `.items()` through minijinja-contrib's pycompat),
//! `raise_exception`, `strftime_now` and a Python-style `tojson`. A GGUF file without a
//! template gets ChatML. The *generation prompt* is the opening of the assistant's turn
//! that asks the model to answer (`add_generation_prompt`).

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};
use serde::Serialize;

use candle_core::quantized::gguf_file;

/// ChatML, used when a GGUF file has no template of its own.
pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

const NAME: &str = "chat_template";

/// Why a template could not be compiled or rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChatTemplateError {
    #[error("the model's chat template does not compile: {0:#}\nhint: pass a template that minijinja understands, or none to use ChatML")]
    Compile(Error),
    #[error("the model's chat template failed to render: {0:#}")]
    Render(Error),
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self {
            role: role.to_string(),
            content: content.into(),
        }
    }

    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new("assistant", content)
    }
}

/// A compiled chat template with the BOS/EOS token texts it may refer to.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("bos_token", &self.bos_token)
            .field("eos_token", &self.eos_token)
            .finish_non_exhaustive()
    }
}

/// The most instructions one render may run.
pub const TEMPLATE_FUEL: u64 = 5_000_000;

impl ChatTemplate {
    /// Compiles `source`; `bos_token`/`eos_token` are the texts templates see under those
    /// names.
    pub fn new(
        source: &str,
        bos_token: impl Into<String>,
        eos_token: impl Into<String>,
    ) -> Result<Self, ChatTemplateError> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        // The template comes with a downloaded model: a loop that never ends must not hang
        // a run. Real chat templates render a four-message chat in under 1,000 steps.
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_filter("tojson", tojson);
        env.add_template_owned(NAME, source.to_string())
            .map_err(ChatTemplateError::Compile)?;
        Ok(Self {
            env,
            bos_token: bos_token.into(),
            eos_token: eos_token.into(),
        })
    }

    /// ChatML with no BOS/EOS text.
    pub fn chatml() -> Self {
        Self::new(CHATML, "", "<|im_end|>").expect("the built-in ChatML template compiles")
    }

    /// The template a GGUF file carries (`tokenizer.chat_template`), or ChatML when it has
    /// none; BOS/EOS texts come from the vocabulary.
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self, ChatTemplateError> {
        let token = |key: &str| -> String {
            let id = ct.metadata.get(key).and_then(|v| v.to_u32().ok());
            let tokens = ct.metadata.get("tokenizer.ggml.tokens");
            match (id, tokens) {
                (Some(id), Some(gguf_file::Value::Array(items))) => items
                    .get(id as usize)
                    .and_then(|v| v.to_string().ok())
                    .cloned()
                    .unwrap_or_default(),
                _ => String::new(),
            }
        };
        let bos = token("tokenizer.ggml.bos_token_id");
        let eos = token("tokenizer.ggml.eos_token_id");
        match ct.metadata.get("tokenizer.chat_template") {
            Some(gguf_file::Value::String(source)) => Self::new(source, bos, eos),
            _ => Self::new(CHATML, bos, eos),
        }
    }

    /// The prompt text for `messages`; with `add_generation_prompt` it ends with the
    /// opening of the assistant's reply. Tokenize the result without adding special
    /// tokens: the template writes them.
    pub fn render(
        &self,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<String, ChatTemplateError> {
        self.render_with(messages, add_generation_prompt, Value::UNDEFINED)
    }

    /// [`render`](Self::render) with more variables for the template, a map such as
    /// `minijinja::context! { enable_thinking => false }` (Qwen3's switch for its
    /// reasoning block).
    pub fn render_with(
        &self,
        messages: &[Message],
        add_generation_prompt: bool,
        extra: Value,
    ) -> Result<String, ChatTemplateError> {
        let template = self
            .env
            .get_template(NAME)
            .map_err(ChatTemplateError::Render)?;
        template
            .render(minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
                ..extra
            })
            .map_err(ChatTemplateError::Render)
    }
}

/// `raise_exception(msg)`: templates call it to refuse a conversation they can't format.
fn raise_exception(message: String) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// `tojson(value, indent=None)` as Hugging Face defines it: Python's `json.dumps` with
/// `ensure_ascii=False` (`", "` and `": "` separators, or newlines and `indent` spaces).
/// Other keyword arguments (`sort_keys`, …) are accepted and ignored.
fn tojson(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let json = serde_json::to_value(&value)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let mut out = String::new();
    write_python_json(&json, indent, 0, &mut out);
    Ok(Value::from_safe_string(out))
}

fn write_python_json(v: &serde_json::Value, indent: Option<usize>, depth: usize, out: &mut String) {
    use serde_json::Value as J;
    let newline = |out: &mut String, depth: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * depth));
        }
    };
    let sep = if indent.is_some() { "," } else { ", " };
    match v {
        J::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, depth + 1);
                write_python_json(item, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        J::Object(map) if !map.is_empty() => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, depth + 1);
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_python_json(item, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `strftime_now(format)`: the current UTC time, formatted with the common `strftime`
/// fields (`%Y %m %d %e %H %M %S %y %b %B %a %A %j %%`); others are kept as written.
fn strftime_now(format: String) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    strftime(&format, secs)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Formats a Unix time (UTC).
fn strftime(format: &str, unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs_of_day = unix_secs.rem_euclid(86_400);
    let (year, month, day) = crate::date::civil_from_days(days);
    // 1970-01-01 was a Thursday (index 3 from Monday).
    let weekday = (days + 3).rem_euclid(7) as usize;
    let day_of_year = days - crate::date::days_from_civil(year, 1, 1) + 1;
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&year.to_string()),
            Some('y') => out.push_str(&format!("{:02}", year.rem_euclid(100))),
            Some('m') => out.push_str(&format!("{month:02}")),
            Some('d') => out.push_str(&format!("{day:02}")),
            Some('e') => out.push_str(&format!("{day:>2}")),
            Some('j') => out.push_str(&format!("{day_of_year:03}")),
            Some('H') => out.push_str(&format!("{:02}", secs_of_day / 3600)),
            Some('M') => out.push_str(&format!("{:02}", secs_of_day / 60 % 60)),
            Some('S') => out.push_str(&format!("{:02}", secs_of_day % 60)),
            Some('B') => out.push_str(MONTHS[month as usize - 1]),
            Some('b') => out.push_str(&MONTHS[month as usize - 1][..3]),
            Some('A') => out.push_str(WEEKDAYS[weekday]),
            Some('a') => out.push_str(&WEEKDAYS[weekday][..3]),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation() -> Vec<Message> {
        vec![
            Message::system("You summarize meetings."),
            Message::user("Summarize: Ann: hi"),
        ]
    }

    #[test]
    fn chatml_renders_turns_and_generation_prompt() {
        let prompt = ChatTemplate::chatml()
            .render(&conversation(), true)
            .unwrap();
        assert_eq!(
            prompt,
            "<|im_start|>system\nYou summarize meetings.<|im_end|>\n\
             <|im_start|>user\nSummarize: Ann: hi<|im_end|>\n<|im_start|>assistant\n"
        );
        let no_prompt = ChatTemplate::chatml()
            .render(&conversation(), false)
            .unwrap();
        assert!(no_prompt.ends_with("Ann: hi<|im_end|>\n"));
    }

    #[test]
    fn hugging_face_whitespace_control_applies() {
        // trim_blocks drops the newline after a block tag, lstrip_blocks the indentation
        // before one.
        let source = "{% for m in messages %}\n    {% if m.role == 'user' %}\n[{{ m.content }}]\n    {% endif %}\n{% endfor %}";
        let t = ChatTemplate::new(source, "", "").unwrap();
        assert_eq!(
            t.render(&conversation(), false).unwrap(),
            "[Summarize: Ann: hi]\n"
        );
    }

    #[test]
    fn python_methods_loop_controls_and_bos() {
        let source = "{{ bos_token }}{% for m in messages %}{% if m.role.startswith('sys') %}{% continue %}{% endif %}{{ m.content.strip().upper() }}{% break %}{% endfor %}";
        let t = ChatTemplate::new(source, "<s>", "</s>").unwrap();
        let mut messages = conversation();
        messages[1].content = "  hi there ".into();
        assert_eq!(t.render(&messages, false).unwrap(), "<s>HI THERE");
    }

    #[test]
    fn raise_exception_becomes_a_render_error() {
        let source = "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}";
        let t = ChatTemplate::new(source, "", "").unwrap();
        let err = t.render(&conversation(), false).unwrap_err();
        assert!(
            format!("{err}").contains("Conversation must start with user"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_are_reported_at_compile_time() {
        let err = ChatTemplate::new("{% for m in messages %}", "", "").unwrap_err();
        assert!(err.to_string().contains("does not compile"), "{err}");
    }

    #[test]
    fn tojson_is_python_style_and_keeps_unicode() {
        let t = ChatTemplate::new(
            "{{ {'b': [1, 'é<'], 'a': none} | tojson }}|{{ [1] | tojson(indent=2) }}",
            "",
            "",
        )
        .unwrap();
        assert_eq!(
            t.render(&[], false).unwrap(),
            "{\"a\": null, \"b\": [1, \"é<\"]}|[\n  1\n]"
        );
    }

    #[test]
    fn strftime_formats_known_dates() {
        // 2024-02-29 13:05:09 UTC, a Thursday.
        let t = 1_709_211_909;
        assert_eq!(strftime("%d %b %Y", t), "29 Feb 2024");
        assert_eq!(
            strftime("%A %B %e %H:%M:%S %j %y %%", t),
            "Thursday February 29 13:05:09 060 24 %"
        );
        assert_eq!(strftime("%Y-%m-%d", 0), "1970-01-01");
        assert_eq!(strftime("%a", 0), "Thu");
        let today = strftime_now("%Y".into());
        assert_eq!(today.len(), 4);
    }
}
