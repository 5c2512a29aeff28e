//! Helpers shared by the tests that read real GGUF files.
#![allow(dead_code)]

use std::path::PathBuf;

use candle_core::quantized::gguf_file;
use recap::llm::tokenizer::Tokenizer;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub fn model_path(var: &str, file: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "{var} is not set: point it at {file} (`recap models path` prints where a pulled \
             model lives; .ci/run sets it)"
        ),
    }
}

pub fn load(var: &str, file: &str) -> gguf_file::Content {
    let path = model_path(var, file);
    let mut f =
        std::fs::File::open(&path).unwrap_or_else(|e| panic!("{var}={}: {e}", path.display()));
    gguf_file::Content::read(&mut f).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn texts() -> Vec<String> {
    let s = std::fs::read_to_string(format!("{FIXTURES}/tokenizer/texts.json")).unwrap();
    serde_json::from_str(&s).unwrap()
}

pub fn assert_round_trips(tok: &Tokenizer, text: &str) {
    let ids = tok.encode(text, false).unwrap();
    assert_eq!(
        tok.decode(&ids).unwrap(),
        text,
        "decode(encode) for {text:?}"
    );
    let bytes: Vec<u8> = ids
        .iter()
        .flat_map(|&id| tok.token_bytes()[id as usize].clone())
        .collect();
    assert_eq!(bytes, text.as_bytes(), "token bytes for {text:?}");
    let mut stream = tok.stream_decoder();
    let streamed: String =
        ids.iter().map(|&id| stream.push(id)).collect::<String>() + &stream.finish();
    assert_eq!(streamed, text, "streamed decode for {text:?}");
    assert_eq!(tok.count(text), ids.len());
}
