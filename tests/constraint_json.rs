//! Constrained decoding on a synthetic vocabulary (every single byte plus some multi-byte
//! tokens), driven by a seeded random "model": whatever it picks, the output parses and
//! validates against the schema, owners stay within the enum, special tokens never appear.

#[path = "support/constraint_driver.rs"]
mod driver;

use driver::{drive, Rng};
use recap::llm::{
    ConstraintError, ConstraintOptions, JsonConstraint, LogitMask, Scripts, Vocabulary, Whitespace,
};
use serde_json::{json, Value};

const MULTI: &[&str] = &[
    "{\"",
    "\":",
    "\"summary",
    "\"owner",
    "true",
    "false",
    "null",
    " ",
    "  ",
    "\n",
    "\n  ",
    "\", \"",
    "\"}",
    "]}",
    "\":\"",
    "Alice",
    "Bob",
    "Carol",
    "Mallory",
    "high",
    "2024-",
    "<|fake|>",
    "设计",
    "design",
];
const IM_START: &str = "<|im_start|>";
const END: &str = "<|end|>";

/// 256 single bytes (id = byte), then MULTI, then `<|im_start|>` (special) and `<|end|>`
/// (special, EOS).
fn vocab() -> Vocabulary {
    let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    tokens.extend(MULTI.iter().map(|t| t.as_bytes().to_vec()));
    tokens.push(IM_START.as_bytes().to_vec());
    tokens.push(END.as_bytes().to_vec());
    let n = tokens.len() as u32;
    Vocabulary::new(tokens, &[n - 2], &[n - 1]).unwrap()
}

fn id(text: &str) -> u32 {
    if text.len() == 1 {
        return text.as_bytes()[0] as u32;
    }
    if let Some(i) = MULTI.iter().position(|t| *t == text) {
        return 256 + i as u32;
    }
    match text {
        IM_START => 256 + MULTI.len() as u32,
        END => 257 + MULTI.len() as u32,
        _ => panic!("no token {text:?}"),
    }
}

/// Commits `text` one byte-token at a time.
fn commit_bytes(c: &mut JsonConstraint, text: &str) {
    for b in text.bytes() {
        c.commit(b as u32).unwrap();
    }
}

fn note_schema(owners: &[&str]) -> Value {
    let short = |n: usize| json!({"type": "string", "maxLength": n});
    json!({
        "type": "object",
        "properties": {
            "summary": short(80),
            "action_items": {
                "type": "array",
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": short(40),
                        "owner": {"enum": owners},
                        "priority": {"enum": ["high", "medium", "low"]},
                        "due": {"anyOf": [
                            {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
                            {"type": "null"}
                        ]}
                    },
                    "required": ["text", "owner", "priority", "due"],
                    "additionalProperties": false
                }
            },
            "decisions": {"type": "array", "maxItems": 3, "items": short(30)},
            "key_information": {"type": "array", "maxItems": 3, "items": short(30)}
        },
        "required": ["summary", "action_items", "decisions", "key_information"],
        "additionalProperties": false
    })
}

/// Generates with `seed` and returns the parsed output, failing on invalid JSON or a
/// schema violation.
fn generate(schema: &Value, vocab: &Vocabulary, seed: u64, bias: &dyn Fn(u32) -> f32) -> Value {
    let mut c = JsonConstraint::new(schema, vocab).unwrap();
    let mut rng = Rng::new(seed);
    let tokens = drive(&mut c, vocab.len() + 3, &mut rng, bias, 20_000)
        .unwrap_or_else(|e| panic!("seed {seed}: {e:#}"));
    let text = String::from_utf8(vocab.decode(&tokens)).expect("output is UTF-8");
    assert_eq!(text.as_bytes(), c.output());
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("seed {seed}: not JSON ({e}): {text}"));
    if let Err(e) = jsonschema::validate(schema, &value) {
        panic!("seed {seed}: invalid ({e}): {text}");
    }
    value
}

fn no_bias(_: u32) -> f32 {
    0.0
}

#[test]
fn note_shaped_output_always_parses_validates_and_names_participants() {
    let vocab = vocab();
    let owners = ["Alice", "Bob", "Carol Diaz"];
    let schema = note_schema(&owners);
    let mut items = 0;
    for seed in 0..30 {
        let value = generate(&schema, &vocab, seed, &no_bias);
        for item in value["action_items"].as_array().unwrap() {
            items += 1;
            let owner = item["owner"].as_str().unwrap();
            assert!(owners.contains(&owner), "seed {seed}: owner {owner}");
        }
    }
    assert!(
        items > 10,
        "the runs should produce action items, got {items}"
    );
}

#[test]
fn a_model_that_prefers_an_outsider_still_names_a_participant() {
    let vocab = vocab();
    let schema = note_schema(&["Alice", "Bob"]);
    let mallory = id("Mallory");
    let carol = id("Carol");
    let bias = move |t: u32| if t == mallory || t == carol { 5.0 } else { 0.0 };
    for seed in 0..10 {
        let value = generate(&schema, &vocab, seed, &bias);
        for item in value["action_items"].as_array().unwrap() {
            let owner = item["owner"].as_str().unwrap();
            assert!(owner == "Alice" || owner == "Bob", "seed {seed}: {owner}");
        }
        // The preference shows where the schema allows free text.
        assert!(
            value.to_string().contains("Mallory"),
            "seed {seed}: {value}"
        );
    }
}

#[test]
fn each_kind_of_schema_yields_valid_json() {
    let vocab = vocab();
    let schemas = [
        // required fields, booleans, enums
        json!({"type": "object",
               "properties": {"done": {"type": "boolean"},
                              "level": {"enum": ["high", "low", 3, null]}},
               "required": ["done", "level"], "additionalProperties": false}),
        // nullable fields, both spellings, one optional
        json!({"type": "object",
               "properties": {"a": {"type": ["string", "null"], "maxLength": 8},
                              "b": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]}},
               "required": ["a"], "additionalProperties": false}),
        // date pattern
        json!({"type": "object",
               "properties": {"due": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}},
               "required": ["due"], "additionalProperties": false}),
        // arrays with bounds, nested
        json!({"type": "array", "minItems": 1, "maxItems": 4,
               "items": {"type": "array", "maxItems": 2,
                         "items": {"type": "string", "maxLength": 6}}}),
        // bounded integers and a const
        json!({"type": "object",
               "properties": {"n": {"type": "integer", "minimum": -5, "maximum": 120},
                              "v": {"const": "v1"}},
               "required": ["n", "v"], "additionalProperties": false}),
    ];
    for schema in &schemas {
        for seed in 0..20 {
            generate(schema, &vocab, seed, &no_bias);
        }
    }
}

#[test]
fn the_mask_forbids_tokens_that_would_break_the_json() {
    let vocab = vocab();
    let schema = json!({"type": "object", "properties": {"flag": {"type": "boolean"}},
                        "required": ["flag"], "additionalProperties": false});
    let mut c = JsonConstraint::new(&schema, &vocab).unwrap();
    // At the start only an opening brace: no whitespace, no other value.
    assert_eq!(c.allowed_tokens().unwrap(), vec![id("{"), id("{\"")]);
    let err = c.commit(id("true")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "token 260 (\"true\") is not allowed here: the JSON schema forbids it; \
         output so far ends with \"\""
    );
    c.commit(id("{\"")).unwrap();
    commit_bytes(&mut c, "flag");
    c.commit(id("\":")).unwrap();
    assert!(!c.is_allowed(id("\"")).unwrap(), "a string is no boolean");
    assert!(!c.is_allowed(id("null")).unwrap());
    assert!(c.is_allowed(id("true")).unwrap());
    assert!(c.is_allowed(id(" ")).unwrap(), "whitespace after the colon");
    let err = c.commit(id("\"")).unwrap_err();
    let err = err.downcast::<ConstraintError>().unwrap();
    assert!(
        matches!(&err, ConstraintError::TokenRejected { token, tail, .. }
            if *token == '"' as u32 && tail == "{\"flag\":"),
        "{err:?}"
    );
    c.commit(id("false")).unwrap();
    c.commit(id("}")).unwrap();
    assert_eq!(c.output(), b"{\"flag\":false}");
}

#[test]
fn special_tokens_are_never_allowed_even_inside_a_string() {
    let vocab = vocab();
    let schema = json!({"type": "object", "properties": {"s": {"type": "string", "maxLength": 20}},
                        "required": ["s"], "additionalProperties": false});
    let mut c = JsonConstraint::new(&schema, &vocab).unwrap();
    c.commit(id("{\"")).unwrap();
    commit_bytes(&mut c, "s");
    c.commit(id("\":\"")).unwrap();
    // The same characters as plain text are fine inside a string...
    assert!(c.is_allowed(id("<|fake|>")).unwrap());
    // ...but the control tokens are not, nor is EOS before the JSON is complete.
    assert!(!c.is_allowed(id(IM_START)).unwrap());
    assert!(!c.is_allowed(id(END)).unwrap());
    let err = c.commit(id(IM_START)).unwrap_err();
    assert!(
        err.to_string()
            .contains("is not allowed here: special tokens are never part of the JSON output"),
        "{err}"
    );
    c.commit(id("<|fake|>")).unwrap();
    c.commit(id("\"}")).unwrap();
    assert_eq!(c.output(), b"{\"s\":\"<|fake|>\"}");
}

#[test]
fn strings_keep_to_the_scripts_of_the_prompt() {
    let vocab = vocab();
    let schema = json!({"type": "object", "properties": {
                            "s": {"type": "string", "maxLength": 40},
                            "who": {"type": "string", "enum": ["设计"]}},
                        "required": ["s", "who"], "additionalProperties": false});
    let confined = |prompt: &str| {
        let options = ConstraintOptions {
            scripts: Some(Scripts::of(prompt)),
            ..Default::default()
        };
        let mut c = JsonConstraint::with_options(&schema, &vocab, &options).unwrap();
        c.commit(id("{\"")).unwrap();
        commit_bytes(&mut c, "s");
        c.commit(id("\":\"")).unwrap();
        c.commit(id("design")).unwrap();
        c
    };
    // An English prompt: no Chinese characters, neither as a token, nor byte by byte,
    // nor as a JSON escape.
    let mut c = confined("Ana: we need a new design by Friday.");
    assert!(!c.is_allowed(id("设计")).unwrap());
    assert!(!c.is_allowed("设".as_bytes()[0] as u32).unwrap());
    commit_bytes(&mut c, "\\u");
    assert!(!c.is_allowed(id("8")).unwrap(), "\\u8bbe is 设");
    // A participant named in the enum is still written as listed.
    let mut c = confined("Ana: we need a new design by Friday.");
    c.commit(id("\"")).unwrap();
    commit_bytes(&mut c, ",\"who\":\"");
    assert!(c.is_allowed(id("设计")).unwrap());
    // A prompt in Chinese allows them.
    let mut c = confined("安娜: 我们需要新的设计。");
    assert!(c.is_allowed(id("设计")).unwrap());
    c.commit(id("设计")).unwrap();
    c.commit(id("\"")).unwrap();
    commit_bytes(&mut c, ",\"who\":\"");
    c.commit(id("设计")).unwrap();
    c.commit(id("\"}")).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(c.output()).unwrap(),
        json!({"s": "design设计", "who": "设计"})
    );
}

#[test]
fn once_the_json_is_complete_only_eos_is_allowed() {
    let vocab = vocab();
    let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}},
                        "required": ["ok"], "additionalProperties": false});
    let compact = ConstraintOptions {
        whitespace: Whitespace::Compact,
        ..Default::default()
    };
    let mut c = JsonConstraint::with_options(&schema, &vocab, &compact).unwrap();
    c.commit(id("{\"")).unwrap();
    commit_bytes(&mut c, "ok");
    c.commit(id("\":")).unwrap();
    c.commit(id("true")).unwrap();
    assert!(!c.is_finished());
    c.commit(id("}")).unwrap();
    assert!(c.is_finished(), "nothing can follow the closing brace");
    assert_eq!(c.allowed_tokens().unwrap(), vec![id(END)]);
    let mut logits = vec![1.0; vocab.len()];
    c.apply(&mut logits).unwrap();
    assert_eq!(logits.iter().filter(|l| l.is_finite()).count(), 1);
    assert_eq!(logits[id(END) as usize], 1.0);
    let err = c.commit(id(" ")).unwrap_err();
    assert!(err
        .to_string()
        .contains("the JSON output is already complete"));
    c.commit(id(END)).unwrap();
    assert!(c.is_finished());
    assert_eq!(c.output(), b"{\"ok\":true}");
}

#[test]
fn whitespace_may_come_between_tokens_but_not_after_the_value() {
    let vocab = vocab();
    let schema = json!({"type": "array", "maxItems": 1, "items": {"type": "boolean"}});
    let mut c = JsonConstraint::new(&schema, &vocab).unwrap();
    assert!(!c.is_allowed(id(END)).unwrap(), "no EOS before the JSON");
    commit_bytes(&mut c, "[");
    for ws in ["\n", " ", "\t", "\r", "  ", "\n  "] {
        assert!(c.is_allowed(id(ws)).unwrap(), "{ws:?}");
    }
    commit_bytes(&mut c, "\n");
    c.commit(id("\n  ")).unwrap();
    c.commit(id("true")).unwrap();
    commit_bytes(&mut c, "]");
    assert!(c.is_finished(), "the output ends with the JSON value");
    assert_eq!(c.allowed_tokens().unwrap(), vec![id(END)]);
    assert_eq!(c.output(), b"[\n\n  true]");
}

#[test]
fn whitespace_runs_are_bounded() {
    let vocab = vocab();
    let schema = json!({"type": "array", "maxItems": 1, "items": {"type": "boolean"}});
    let options = ConstraintOptions {
        whitespace: Whitespace::Bounded(3),
        ..Default::default()
    };
    let mut c = JsonConstraint::with_options(&schema, &vocab, &options).unwrap();
    commit_bytes(&mut c, "[  ");
    assert!(c.is_allowed(id(" ")).unwrap());
    assert!(!c.is_allowed(id("  ")).unwrap(), "a fourth and fifth space");
    commit_bytes(&mut c, " ");
    assert!(!c.is_allowed(id(" ")).unwrap());
    assert!(c.is_allowed(id("true")).unwrap());
}

#[test]
fn apply_forbids_exactly_the_disallowed_tokens_and_the_padding() {
    let vocab = vocab();
    let schema = note_schema(&["Alice"]);
    let mut c = JsonConstraint::new(&schema, &vocab).unwrap();
    c.commit(id("{\"")).unwrap();
    let allowed = c.allowed_tokens().unwrap();
    let mut logits = vec![0.5; vocab.len() + 4];
    c.apply(&mut logits).unwrap();
    let finite: Vec<u32> = (0..logits.len() as u32)
        .filter(|&i| logits[i as usize].is_finite())
        .collect();
    assert_eq!(finite, allowed);
    assert!(allowed.contains(&id("s")) && !allowed.contains(&id("\"summary")));
    assert!(logits[vocab.len()..]
        .iter()
        .all(|l| *l == f32::NEG_INFINITY));

    let mut short = vec![0.0; vocab.len() - 1];
    let err = c.apply(&mut short).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the model gave {} logits but the vocabulary has {} tokens\n\
             hint: build the Vocabulary from the same model's tokenizer",
            vocab.len() - 1,
            vocab.len()
        )
    );
}

#[test]
fn compact_output_is_exactly_serde_json_compact() {
    let vocab = vocab();
    let schema = json!({"type": "object",
        "properties": {"p": {"enum": ["high", "low"]},
                       "xs": {"type": "array", "maxItems": 3, "items": {"enum": [1, true, null]}}},
        "required": ["p", "xs"], "additionalProperties": false});
    let compact = ConstraintOptions {
        whitespace: Whitespace::Compact,
        ..Default::default()
    };
    for seed in 0..10 {
        let mut c = JsonConstraint::with_options(&schema, &vocab, &compact).unwrap();
        drive(&mut c, vocab.len(), &mut Rng::new(seed), &no_bias, 1_000).unwrap();
        let text = std::str::from_utf8(c.output()).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(text, serde_json::to_string(&value).unwrap());
    }
}

#[test]
fn the_same_seed_gives_the_same_output() {
    let vocab = vocab();
    let schema = note_schema(&["Alice", "Bob"]);
    let a = generate(&schema, &vocab, 7, &no_bias);
    let b = generate(&schema, &vocab, 7, &no_bias);
    let c = generate(&schema, &vocab, 8, &no_bias);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn unsupported_schemas_are_typed_errors() {
    let vocab = vocab();
    let err = JsonConstraint::new(&json!(true), &vocab).err().unwrap();
    assert!(
        err.to_string().starts_with(
            "the JSON schema cannot be used for constrained decoding: expected a JSON object, \
             found a boolean\nhint: supported are"
        ),
        "{err}"
    );
    // (oneOf over disjoint types is turned into anyOf; overlapping options are refused.)
    let one_of = json!({"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]});
    let err = JsonConstraint::new(&one_of, &vocab).err().unwrap();
    assert!(matches!(err, ConstraintError::Schema { .. }));
    assert!(err.to_string().contains("oneOf"), "{err}");
    let unknown = json!({"type": "object", "if": {"required": ["a"]}, "then": {}});
    let err = JsonConstraint::new(&unknown, &vocab).err().unwrap();
    assert!(err.to_string().contains("Unimplemented keys"), "{err}");
    let impossible = json!({"type": "array", "minItems": 3, "maxItems": 1});
    let err = JsonConstraint::new(&impossible, &vocab).err().unwrap();
    assert!(err.to_string().contains("Unsatisfiable schema"), "{err}");
}

#[test]
fn constraints_and_vocabularies_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    fn assert_sync<T: Sync>() {}
    assert_send::<JsonConstraint>();
    assert_send::<Vocabulary>();
    assert_sync::<Vocabulary>();
}
