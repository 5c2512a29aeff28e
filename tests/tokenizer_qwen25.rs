//! The tokenizer and chat template built from a real Qwen2.5 GGUF (`RECAP_QWEN25`, e.g.
//! qwen2.5-coder-1.5b-instruct-q4_k_m.gguf): exact ids against Hugging Face's tokenizer
//! (tests/fixtures/tokenizer/qwen2_oracle.json, made by make_oracle.py beside it) and
//! the real template. A missing model fails the test: these checks must not pass by being
//! skipped.

mod tokenizer_support;

use candle_core::quantized::gguf_file;
use recap::llm::chat_template::{ChatTemplate, Message};
use recap::llm::tokenizer::Tokenizer;
use serde::Deserialize;
use tokenizer_support::{assert_round_trips, load, texts, FIXTURES};

#[derive(Deserialize)]
struct OracleCase {
    text: String,
    ids: Vec<u32>,
}

fn qwen25() -> gguf_file::Content {
    load(
        "RECAP_QWEN25",
        "a Qwen2.5 GGUF such as qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    )
}

#[test]
fn qwen25_matches_hugging_face_ids() {
    let tok = Tokenizer::from_gguf(&qwen25()).unwrap();
    let s = std::fs::read_to_string(format!("{FIXTURES}/tokenizer/qwen2_oracle.json")).unwrap();
    let cases: Vec<OracleCase> = serde_json::from_str(&s).unwrap();
    assert_eq!(cases.len(), texts().len());
    for case in &cases {
        let ids = tok.encode(&case.text, false).unwrap();
        assert_eq!(ids, case.ids, "ids for {:?}", case.text);
        if case.text.starts_with("Decomposed") {
            // Qwen's NFC normalizer composes e + U+0301 into é: the round trip gives NFC.
            assert_eq!(
                tok.decode(&ids).unwrap(),
                "Decomposed: é ä (NFC folds these)"
            );
        } else {
            assert_round_trips(&tok, &case.text);
        }
    }
    let eot: Vec<String> = tok
        .end_of_turn_tokens()
        .iter()
        .map(|&i| tok.token_text(i).unwrap())
        .collect();
    assert!(eot.contains(&"<|im_end|>".to_string()), "{eot:?}");
    assert!(eot.contains(&"<|endoftext|>".to_string()), "{eot:?}");
}

#[test]
fn qwen25_chat_template_renders_chatml_with_its_system_prompt() {
    let ct = qwen25();
    let template = ChatTemplate::from_gguf(&ct).unwrap();
    // The Qwen2.5 files differ in details of their templates (the 0.5B and 1.5B coders
    // escape a brace differently), but each renders the same ChatML prompt.
    match ct.metadata.get("tokenizer.chat_template") {
        Some(gguf_file::Value::String(s)) => assert!(s.contains("<|im_start|>"), "{s}"),
        other => panic!("no chat template in the GGUF: {other:?}"),
    }
    let prompt = template.render(&[Message::user("Hi there")], true).unwrap();
    assert_eq!(
        prompt,
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful \
         assistant.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n"
    );
}
