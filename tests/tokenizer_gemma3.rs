//! The SentencePiece tokenizer built from the real Gemma-3-270m GGUF (`RECAP_GEMMA3`):
//! exact ids against Hugging Face's tokenizer (tests/fixtures/tokenizer/gemma3_oracle.json,
//! made by make_oracle.py beside it) and round trips. A missing model fails the test: these
//! checks must not pass by being skipped.

mod tokenizer_support;

use recap::llm::tokenizer::Tokenizer;
use serde::Deserialize;
use tokenizer_support::{assert_round_trips, load, texts, FIXTURES};

#[derive(Deserialize)]
struct OracleCase {
    text: String,
    ids: Vec<u32>,
}

#[test]
fn gemma3_matches_hugging_face_ids_and_round_trips() {
    let ct = load("RECAP_GEMMA3", "gemma-3-270m-q4_k_m.gguf");
    let tok = Tokenizer::from_gguf(&ct).unwrap();
    let s = std::fs::read_to_string(format!("{FIXTURES}/tokenizer/gemma3_oracle.json")).unwrap();
    let cases: Vec<OracleCase> = serde_json::from_str(&s).unwrap();
    assert_eq!(cases.len(), texts().len());
    for case in &cases {
        let ids = tok.encode(&case.text, false).unwrap();
        assert_eq!(ids, case.ids, "ids for {:?}", case.text);
        assert_round_trips(&tok, &case.text);
    }
    // Gemma wants BOS first; its turns end with <end_of_turn>, its documents with <eos>.
    assert_eq!(tok.encode("hi", true).unwrap()[0], 2);
    let eot: Vec<String> = tok
        .end_of_turn_tokens()
        .iter()
        .map(|&i| tok.token_text(i).unwrap())
        .collect();
    assert_eq!(eot, ["<eos>", "<end_of_turn>"]);
}
