//! Constrained decoding on the real SmolLM2 vocabulary (49,152 byte-level BPE tokens, from
//! the GGUF file named by `RECAP_SMOLLM2`; the test fails when it is unset): seeded random
//! choices among the allowed tokens always end in schema-valid JSON, the model's own
//! tokenization of a valid note is accepted token by token, and a wrong owner is refused.

#[path = "support/constraint_driver.rs"]
mod driver;
mod tokenizer_support;

use driver::{drive, Rng};
use recap::llm::tokenizer::Tokenizer;
use recap::llm::{ConstraintError, JsonConstraint, LogitMask, Vocabulary};
use serde_json::{json, Value};

fn smollm2() -> (Tokenizer, Vocabulary) {
    let content = tokenizer_support::load("RECAP_SMOLLM2", "SmolLM2-135M-Instruct.Q4_1.gguf");
    let tokenizer = Tokenizer::from_gguf(&content).unwrap();
    let vocab = Vocabulary::from_tokenizer(&tokenizer).unwrap();
    (tokenizer, vocab)
}

const OWNERS: [&str; 3] = ["Jeff Denworth", "Priya Raman", "Unassigned"];

fn note_schema() -> Value {
    let short = |n: usize| json!({"type": "string", "maxLength": n});
    json!({
        "type": "object",
        "properties": {
            "summary": short(200),
            "action_items": {
                "type": "array",
                "maxItems": 4,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": short(80),
                        "owner": {"enum": OWNERS},
                        "priority": {"enum": ["high", "medium", "low"]},
                        "due": {"type": ["string", "null"], "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
                    },
                    "required": ["text", "owner", "priority", "due"],
                    "additionalProperties": false
                }
            },
            "decisions": {"type": "array", "maxItems": 4, "items": short(80)},
            "key_information": {"type": "array", "maxItems": 4, "items": short(80)}
        },
        "required": ["summary", "action_items", "decisions", "key_information"],
        "additionalProperties": false
    })
}

#[test]
fn the_vocabulary_marks_control_tokens_and_ends() {
    let (tokenizer, vocab) = smollm2();
    assert_eq!(vocab.len(), 49152);
    let im_end = tokenizer.token_id("<|im_end|>").unwrap();
    let im_start = tokenizer.token_id("<|im_start|>").unwrap();
    assert!(vocab.is_eos(im_end) && vocab.is_special(im_start) && !vocab.is_eos(im_start));
    let the = tokenizer.encode(" the", false).unwrap();
    assert_eq!(vocab.token_bytes(the[0]), b" the");
}

#[test]
fn seeded_random_choices_on_the_real_vocabulary_give_valid_notes() {
    let (tokenizer, vocab) = smollm2();
    let schema = note_schema();
    for seed in 0..4 {
        let mut c = JsonConstraint::new(&schema, &vocab).unwrap();
        let tokens = drive(&mut c, vocab.len(), &mut Rng::new(seed), &|_| 0.0, 5_000)
            .unwrap_or_else(|e| panic!("seed {seed}: {e:#}"));
        assert!(c.is_finished());
        let text = String::from_utf8(c.output().to_vec()).expect("UTF-8");
        // The tokenizer decodes the same text the constraint saw.
        assert_eq!(tokenizer.decode(&tokens).unwrap(), text);
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("seed {seed}: not JSON ({e}): {text}"));
        if let Err(e) = jsonschema::validate(&schema, &value) {
            panic!("seed {seed}: invalid ({e}): {text}");
        }
        for item in value["action_items"].as_array().unwrap() {
            assert!(OWNERS.contains(&item["owner"].as_str().unwrap()));
        }
        assert!(!text.contains("<|im_start|>") && !text.contains("<|im_end|>"));
    }
}

#[test]
fn the_models_own_tokenization_of_a_valid_note_is_accepted() {
    let (tokenizer, vocab) = smollm2();
    let note = r#"{
  "summary": "Jeff and Priya agreed to ship the beta on Friday — QA signs off first.",
  "action_items": [
    {"text": "Send the release notes", "owner": "Priya Raman", "priority": "high", "due": "2024-06-14"},
    {"text": "Book the demo room", "owner": "Unassigned", "priority": "low", "due": null}
  ],
  "decisions": ["Ship the beta on Friday"],
  "key_information": []
}"#;
    let tokens = tokenizer.encode(note, false).unwrap();
    let mut c = JsonConstraint::new(&note_schema(), &vocab).unwrap();
    for (i, &t) in tokens.iter().enumerate() {
        assert!(!c.is_finished(), "finished early at token {i}");
        c.commit(t)
            .unwrap_or_else(|e| panic!("token {i} of the note: {e:#}"));
    }
    assert!(c.is_finished());
    assert_eq!(c.output(), note.as_bytes());
    assert_eq!(c.allowed_tokens().unwrap(), vocab.eos().to_vec());
}

#[test]
fn an_owner_outside_the_meeting_is_refused() {
    let (tokenizer, vocab) = smollm2();
    let prefix = r#"{"summary": "x", "action_items": [{"text": "y", "owner": ""#;
    let mut c = JsonConstraint::new(&note_schema(), &vocab).unwrap();
    for t in tokenizer.encode(prefix, false).unwrap() {
        c.commit(t).unwrap();
    }
    let mallory = tokenizer.encode("Mallory", false).unwrap();
    let jeff = tokenizer.encode("Jeff", false).unwrap();
    assert!(c.is_allowed(jeff[0]).unwrap());
    assert!(!c.is_allowed(mallory[0]).unwrap());
    let err = c.commit(mallory[0]).unwrap_err();
    let err = err.downcast::<ConstraintError>().unwrap();
    assert!(
        matches!(&err, ConstraintError::TokenRejected { reason, .. } if reason == "the JSON schema forbids it"),
        "{err}"
    );
    // Inside a free-text field the same token is fine.
    let mut c = JsonConstraint::new(&note_schema(), &vocab).unwrap();
    for t in tokenizer.encode(r#"{"summary": ""#, false).unwrap() {
        c.commit(t).unwrap();
    }
    assert!(c.is_allowed(mallory[0]).unwrap());
    let im_start = tokenizer.token_id("<|im_start|>").unwrap();
    assert!(!c.is_allowed(im_start).unwrap());
}
