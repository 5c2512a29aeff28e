//! Real chat templates (SmolLM2's and Qwen3's, copied into tests/fixtures/chat_template)
//! rendered by recap must give exactly what Python's jinja2 gives with Hugging Face's
//! settings (the expected texts come from tests/fixtures/chat_template/make_expected.py).

use recap::llm::chat_template::{ChatTemplate, Message};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    template: String,
    bos_token: String,
    eos_token: String,
    add_generation_prompt: bool,
    messages: Vec<CaseMessage>,
    #[serde(default)]
    extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct CaseMessage {
    role: String,
    content: String,
}

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/chat_template");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn real_templates_render_exactly_as_hugging_face_does() {
    let cases: Vec<Case> = serde_json::from_str(&read("cases.json")).unwrap();
    let expected: Vec<String> = serde_json::from_str(&read("expected.json")).unwrap();
    assert_eq!(cases.len(), expected.len());
    for (i, (case, want)) in cases.iter().zip(&expected).enumerate() {
        let template =
            ChatTemplate::new(&read(&case.template), &case.bos_token, &case.eos_token).unwrap();
        let messages: Vec<Message> = case
            .messages
            .iter()
            .map(|m| Message::new(&m.role, m.content.clone()))
            .collect();
        let extra = minijinja::Value::from_serialize(&case.extra);
        let got = template
            .render_with(&messages, case.add_generation_prompt, extra)
            .unwrap_or_else(|e| panic!("case {i} ({}): {e}", case.template));
        assert_eq!(&got, want, "case {i} ({})", case.template);
    }
}
