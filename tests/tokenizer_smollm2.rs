//! The tokenizer and chat template built from the real SmolLM2 GGUF (`RECAP_SMOLLM2`, the
//! project's test model): round trips over varied text and the vocabulary facts generation
//! relies on. A missing model fails the test: these checks must not pass by being skipped.

mod tokenizer_support;

use candle_core::quantized::gguf_file;
use recap::llm::chat_template::{ChatTemplate, Message};
use recap::llm::tokenizer::Tokenizer;
use tokenizer_support::{assert_round_trips, load, texts, FIXTURES};

fn smollm2() -> gguf_file::Content {
    load("RECAP_SMOLLM2", "SmolLM2-135M-Instruct.Q4_1.gguf")
}

#[test]
fn smollm2_round_trips_varied_text() {
    let tok = Tokenizer::from_gguf(&smollm2()).unwrap();
    for text in texts() {
        assert_round_trips(&tok, &text);
    }
    // A long meeting-like text, many times over.
    let long =
        "Ann: We ship on Friday, 12 June.\nBob: Agreed — QA signs off first. 👍\n".repeat(200);
    assert_round_trips(&tok, &long);
}

#[test]
fn smollm2_vocabulary_facts() {
    let tok = Tokenizer::from_gguf(&smollm2()).unwrap();
    assert_eq!(tok.vocab_size(), 49152);
    assert_eq!(tok.token_bytes().len(), 49152);
    // The chat markers are single special tokens; generation stops on <|im_end|> (EOS)
    // and <|endoftext|>.
    assert_eq!(
        tok.encode("<|im_start|>user\nhi<|im_end|>", false).unwrap()[0],
        1
    );
    assert_eq!(
        *tok.encode("<|im_start|>user\nhi<|im_end|>", false)
            .unwrap()
            .last()
            .unwrap(),
        2
    );
    assert_eq!(tok.end_of_turn_tokens(), [0, 2]);
    assert_eq!((tok.bos_token(), tok.eos_token()), (Some(1), Some(2)));
    assert!(tok.is_special(1) && !tok.is_special(17));
    // SmolLM's pre-tokenizer puts every digit on its own.
    let ids = tok.encode("2024", false).unwrap();
    let pieces: Vec<String> = ids.iter().map(|&i| tok.token_text(i).unwrap()).collect();
    assert_eq!(pieces, ["2", "0", "2", "4"]);
    // Words keep their leading space, as in GPT-2.
    let ids = tok.encode("the meeting", false).unwrap();
    let pieces: Vec<String> = ids.iter().map(|&i| tok.token_text(i).unwrap()).collect();
    assert_eq!(pieces, ["the", "Ġmeeting"]);
    // add_bos_token is false for SmolLM2: nothing is added.
    assert_eq!(
        tok.encode("hi", true).unwrap(),
        tok.encode("hi", false).unwrap()
    );
}

#[test]
fn smollm2_chat_template_is_the_gguf_one() {
    let ct = smollm2();
    let fixture =
        std::fs::read_to_string(format!("{FIXTURES}/chat_template/smollm2.jinja")).unwrap();
    match ct.metadata.get("tokenizer.chat_template") {
        Some(gguf_file::Value::String(s)) => assert_eq!(s, &fixture),
        other => panic!("no chat template in the GGUF: {other:?}"),
    }
    let template = ChatTemplate::from_gguf(&ct).unwrap();
    let prompt = template.render(&[Message::user("Hi there")], true).unwrap();
    assert_eq!(
        prompt,
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging \
         Face<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n"
    );
    let tok = Tokenizer::from_gguf(&ct).unwrap();
    let ids = tok.encode(&prompt, false).unwrap();
    assert_eq!(
        ids.iter().filter(|&&i| i == 1).count(),
        3,
        "three <|im_start|>"
    );
    assert_eq!(tok.decode(&ids).unwrap(), prompt);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Any text without chat markers comes back exactly, through decode, the token bytes
    /// and the streaming decoder.
    #[test]
    fn smollm2_round_trips_any_text(text in "\\PC{0,80}|[ \\t\\n0-9a-zé🦀'.,]{0,40}") {
        static TOKENIZER: std::sync::OnceLock<Tokenizer> = std::sync::OnceLock::new();
        let tok = TOKENIZER.get_or_init(|| Tokenizer::from_gguf(&smollm2()).unwrap());
        assert_round_trips(tok, &text);
    }
}
