//! Writes the GGUF seeds of the `gguf` fuzz target: a tiny model of each supported
//! architecture, one of them with a byte-level BPE tokenizer and a chat template.
//!
//! `cargo run --example fuzz_seeds -- fuzz/corpus/gguf`

use std::path::PathBuf;

use candle_core::quantized::gguf_file::{self, Value};
use recap::llm::model_config::Architecture;
use recap::llm::tiny_gguf::{write, TinySpec};

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or_else(|| anyhow::anyhow!("usage: fuzz_seeds DIR"))?,
    );
    std::fs::create_dir_all(&dir)?;
    for arch in [
        Architecture::Llama,
        Architecture::Qwen2,
        Architecture::Qwen3,
        Architecture::Gemma3,
    ] {
        let spec = TinySpec {
            layers: 1,
            ..TinySpec::of(arch)
        };
        std::fs::write(dir.join(format!("{}.gguf", arch.as_str())), write(&spec))?;
    }
    std::fs::write(dir.join("tokenizer.gguf"), tokenizer_only()?)?;
    Ok(())
}

/// Metadata only: a four-token byte-level BPE vocabulary, one merge and a template.
fn tokenizer_only() -> anyhow::Result<Vec<u8>> {
    let strings =
        |items: &[&str]| Value::Array(items.iter().map(|s| Value::String(s.to_string())).collect());
    let template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{{ eos_token }}\
                    {% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
    let metadata = [
        ("general.architecture", Value::String("llama".into())),
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String("default".into())),
        (
            "tokenizer.ggml.tokens",
            strings(&["a", "b", "ab", "<|end|>"]),
        ),
        ("tokenizer.ggml.merges", strings(&["a b"])),
        (
            "tokenizer.ggml.token_type",
            Value::Array(vec![
                Value::I32(1),
                Value::I32(1),
                Value::I32(1),
                Value::I32(3),
            ]),
        ),
        ("tokenizer.ggml.eos_token_id", Value::U32(3)),
        ("tokenizer.chat_template", Value::String(template.into())),
    ];
    let refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut out, &refs, &[])?;
    Ok(out.into_inner())
}
