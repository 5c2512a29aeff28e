//! Prints what building a GGUF file's tokenizer and encoding a text cost:
//! `cargo run --example tokenize -- MODEL.gguf [TEXT_FILE]` (default text: a synthetic
//! meeting transcript of about 10,000 tokens).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use candle_core::quantized::gguf_file;
use recap::llm::chat_template::{ChatTemplate, Message};
use recap::llm::tokenizer::Tokenizer;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: tokenize MODEL.gguf [TEXT_FILE]"))?;
    let text = match args.next() {
        Some(path) => std::fs::read_to_string(path)?,
        None => "Ann Lee: Let's go over the Q3 launch plan — 14 items, 3 blocked.\n\
                 Bob Ray: I'll own the pricing page; due Friday 12 June. 👍\n"
            .repeat(400),
    };
    let t0 = Instant::now();
    let mut file = std::fs::File::open(&model)?;
    let ct = gguf_file::Content::read(&mut file)?;
    let read = t0.elapsed();
    let t1 = Instant::now();
    let tok = Tokenizer::from_gguf(&ct)?;
    let build = t1.elapsed();
    let template = ChatTemplate::from_gguf(&ct)?;
    let t2 = Instant::now();
    let ids = tok.encode(&text, false)?;
    let encode = t2.elapsed();
    let t3 = Instant::now();
    let back = tok.decode(&ids)?;
    let decode = t3.elapsed();
    let t4 = Instant::now();
    let prompt = template.render(
        &[Message::system("Summarize."), Message::user(text.clone())],
        true,
    )?;
    let render = t4.elapsed();
    println!("model: {model}");
    println!("read GGUF metadata: {:.0} ms", read.as_secs_f64() * 1e3);
    println!(
        "build tokenizer ({} tokens): {:.0} ms",
        tok.vocab_size(),
        build.as_secs_f64() * 1e3
    );
    println!(
        "encode {} bytes -> {} tokens: {:.1} ms ({:.0} tokens/s)",
        text.len(),
        ids.len(),
        encode.as_secs_f64() * 1e3,
        ids.len() as f64 / encode.as_secs_f64()
    );
    println!(
        "decode: {:.1} ms, round trip {}",
        decode.as_secs_f64() * 1e3,
        if back == text { "exact" } else { "DIFFERS" }
    );
    println!(
        "render chat template ({} bytes): {:.2} ms",
        prompt.len(),
        render.as_secs_f64() * 1e3
    );
    Ok(())
}
