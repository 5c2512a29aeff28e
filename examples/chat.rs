//! Answers one question with a GGUF model, streaming the reply, then prints the speeds:
//! `cargo run --release --example chat -- MODEL.gguf "QUESTION" [MAX_TOKENS]`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::Path;

use candle_core::quantized::gguf_file;
use recap::llm::chat_template::{ChatTemplate, Message};
use recap::llm::generate::{generate, GenerationOptions};
use recap::llm::lookup::PromptLookup;
use recap::llm::sampler::SamplingOptions;
use recap::llm::tokenizer::Tokenizer;
use recap::llm::{GgufModel, LoadOptions};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, question, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: chat MODEL.gguf QUESTION [MAX_TOKENS]");
    };
    let max_tokens = rest.first().map(|s| s.parse()).transpose()?.unwrap_or(128);
    let ct = gguf_file::Content::read(&mut std::fs::File::open(path)?)?;
    let tokenizer = Tokenizer::from_gguf(&ct)?;
    let template = ChatTemplate::from_gguf(&ct)?;
    let mut model = GgufModel::load(Path::new(path), LoadOptions::default())?;
    let prompt = template.render(&[Message::user(question.as_str())], true)?;
    let ids = tokenizer.encode(&prompt, false)?;
    let options = GenerationOptions {
        max_tokens,
        sampling: SamplingOptions::greedy(),
        stop_tokens: tokenizer.end_of_turn_tokens().to_vec(),
        fast_forward: true,
        draft_tokens: 2,
    };
    // Drafts from the question speed up answers that quote it.
    let mut lookup = PromptLookup::new(&ids);
    let mut out = std::io::stdout();
    let g = generate(
        &mut model,
        &tokenizer,
        &ids,
        &options,
        None,
        Some(&mut lookup),
        &mut |p| {
            let _ = out.write_all(p.text_delta.as_bytes());
            let _ = out.flush();
        },
    )?;
    println!();
    eprintln!(
        "{} prompt tokens, prefill {:.1} tok/s; {} generated, decode {:.1} tok/s; stopped: {}",
        g.prompt_tokens,
        g.prefill_tok_per_s,
        g.tokens.len(),
        g.decode_tok_per_s,
        g.stop_reason
    );
    Ok(())
}
