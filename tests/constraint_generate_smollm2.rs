//! A constrained call end to end on the real SmolLM2-135M-Instruct model (`RECAP_SMOLLM2`;
//! the test fails when it is unset): the model writes meeting notes under a JSON schema
//! built for this meeting, and whatever it writes parses, validates and names only the
//! meeting's participants as owners.

mod tokenizer_support;

use recap::llm::chat_template::{ChatTemplate, Message};
use recap::llm::generate::{generate, GenerationOptions, StopReason};
use recap::llm::lookup::PromptLookup;
use recap::llm::sampler::SamplingOptions;
use recap::llm::tokenizer::Tokenizer;
use recap::llm::{
    CausalLm, ConstraintOptions, GgufModel, JsonConstraint, LoadOptions, Vocabulary, Whitespace,
};
use serde_json::{json, Value};

const TRANSCRIPT: &str = "\
Dana Whitfield: Morning. The beta build is ready, but QA found a crash on login.
Marcus Lee: I'll fix the login crash today and send a new build tomorrow.
Dana Whitfield: Good. Then we ship the beta to the pilot customers on Friday.
Marcus Lee: Agreed. I'll also update the release notes before Friday.";

/// A smaller note than the real one, so the test runs in seconds: bounds keep the output
/// short whatever the model wants to say.
fn schema(owners: &[&str]) -> Value {
    let short = |n: usize| json!({"type": "string", "maxLength": n});
    json!({
        "type": "object",
        "properties": {
            "summary": short(100),
            "action_items": {
                "type": "array",
                "maxItems": 2,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": short(50),
                        "owner": {"enum": owners},
                        "due": {"type": ["string", "null"], "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
                    },
                    "required": ["text", "owner", "due"],
                    "additionalProperties": false
                }
            }
        },
        "required": ["summary", "action_items"],
        "additionalProperties": false
    })
}

#[test]
fn a_constrained_call_on_smollm2_returns_valid_notes() {
    let path = tokenizer_support::model_path("RECAP_SMOLLM2", "SmolLM2-135M-Instruct.Q4_1.gguf");
    let content = tokenizer_support::load("RECAP_SMOLLM2", "SmolLM2-135M-Instruct.Q4_1.gguf");
    let tokenizer = Tokenizer::from_gguf(&content).unwrap();
    let template = ChatTemplate::from_gguf(&content).unwrap();
    let mut model = GgufModel::load(&path, LoadOptions::default()).unwrap();
    let vocab = Vocabulary::from_tokenizer(&tokenizer).unwrap();

    let owners = ["Dana Whitfield", "Marcus Lee", "Unassigned"];
    let schema = schema(&owners);
    let messages = [
        Message::system("You write meeting notes as JSON."),
        Message::user(format!(
            "Write notes for this meeting: a summary and the action items (text, owner, \
             due date or null).\n\n{TRANSCRIPT}"
        )),
    ];
    let prompt = template.render(&messages, true).unwrap();
    let prompt = tokenizer.encode(&prompt, false).unwrap();
    let compact = ConstraintOptions {
        whitespace: Whitespace::Compact,
        ..Default::default()
    };
    // Plain decoding; then forced tokens written without a pass each; then, on top, drafts
    // from the prompt checked in batches.
    let mut decode = |fast_forward: bool, draft_tokens: usize| {
        model.reset();
        let mut constraint = JsonConstraint::with_options(&schema, &vocab, &compact).unwrap();
        let options = GenerationOptions {
            max_tokens: 400,
            sampling: SamplingOptions::greedy(),
            stop_tokens: tokenizer.end_of_turn_tokens().to_vec(),
            fast_forward,
            draft_tokens,
        };
        let mut lookup = PromptLookup::new(&prompt);
        let out = generate(
            &mut model,
            &tokenizer,
            &prompt,
            &options,
            Some(&mut constraint),
            Some(&mut lookup),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(out.text.as_bytes(), constraint.output());
        out
    };
    let plain = decode(false, 0);
    let forwarded = decode(true, 0);
    let drafted = decode(true, 6);
    assert_eq!(plain.forced_tokens, 0);
    assert!(forwarded.forced_tokens > 0, "the schema's keys are forced");
    assert!(forwarded.decode_calls < plain.decode_calls);
    assert_eq!(
        drafted.text, forwarded.text,
        "drafts change the passes, never the reply"
    );
    assert!(
        drafted.accepted_tokens > 0,
        "the notes quote the transcript"
    );
    assert!(drafted.decode_calls < forwarded.decode_calls);

    for out in [&plain, &forwarded] {
        check(out, &schema, &owners);
    }
}

fn check(out: &recap::llm::generate::Generation, schema: &Value, owners: &[&str]) {
    assert_eq!(out.stop_reason, StopReason::MaskFinished, "{}", out.text);
    let value: Value =
        serde_json::from_str(&out.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.text));
    if let Err(e) = jsonschema::validate(schema, &value) {
        panic!("invalid ({e}): {}", out.text);
    }
    for item in value["action_items"].as_array().unwrap() {
        assert!(owners.contains(&item["owner"].as_str().unwrap()), "{item}");
    }
}
