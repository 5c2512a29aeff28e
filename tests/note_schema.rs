//! `schema/note.schema.json` and the Note types stay in step, and the generation schema
//! constrains a decoder (llguidance) the way the pipeline needs.

use std::collections::BTreeSet;

use llguidance::api::TopLevelGrammar;
use llguidance::toktrie::{ApproximateTokEnv, InferenceCapabilities};
use llguidance::{Matcher, ParserFactory};
use recap::note::schema::note_schema;
use recap::note::{
    generation_schema, ActionItem, Aside, ExtraYaml, Frontmatter, Note, Priority, SectionKind,
    UserContent, UserSection,
};
use serde_json::{json, Value};

/// A note with every optional field set and every list non-empty, so that its JSON form
/// has every key the types can write.
fn full_note() -> Note {
    let mut note = Note::new(Frontmatter::generated(
        "people",
        "1:1 with Jeff Denworth",
        "2025-11-07",
        "Jeff Denworth",
        vec!["Jason Vallery".into(), "Jeff Denworth".into()],
        "/t/2025-11-07 - call.md",
    ));
    note.summary = "We met.".into();
    let mut item = ActionItem::proposed("Send the slide.", "Myself");
    item.priority = Some(Priority::High);
    item.due = Some("2025-11-20".into());
    item.fields = vec!["✅ 2025-11-10".into()];
    note.action_items = vec![item];
    note.decisions = vec!["China is a sales outpost.".into()];
    note.key_information = vec!["Jeff uses Apple Calendar.".into()];
    note.user = UserContent {
        frontmatter: vec![ExtraYaml {
            after: Some("tags".into()),
            text: "aliases: [JD]".into(),
        }],
        head: vec!["Recorded in the office.".into()],
        asides: vec![Aside {
            section: SectionKind::Decisions,
            after: 1,
            attached: false,
            text: "Revisit in Q1.".into(),
        }],
        sections: vec![UserSection {
            after: Some(SectionKind::KeyInformation),
            heading: "My notes".into(),
            body: "Follow up.".into(),
        }],
        tail: vec!["P.S.".into()],
    };
    note
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

fn def<'a>(path: &[&str]) -> &'a Value {
    let mut v = note_schema();
    for p in path {
        v = &v[*p];
    }
    v
}

#[test]
fn every_key_the_types_write_is_in_the_schema_and_back() {
    let j = serde_json::to_value(full_note()).unwrap();
    let pairs: [(&Value, &Value); 7] = [
        (&j, def(&["properties"])),
        (
            &j["frontmatter"],
            def(&["$defs", "frontmatter", "properties"]),
        ),
        (&j["action_items"][0], def(&["$defs", "task", "properties"])),
        (&j["user"], def(&["$defs", "user_content", "properties"])),
        (
            &j["user"]["frontmatter"][0],
            def(&[
                "$defs",
                "user_content",
                "properties",
                "frontmatter",
                "items",
                "properties",
            ]),
        ),
        (
            &j["user"]["asides"][0],
            def(&[
                "$defs",
                "user_content",
                "properties",
                "asides",
                "items",
                "properties",
            ]),
        ),
        (
            &j["user"]["sections"][0],
            def(&[
                "$defs",
                "user_content",
                "properties",
                "sections",
                "items",
                "properties",
            ]),
        ),
    ];
    for (instance, properties) in pairs {
        assert_eq!(keys(instance), keys(properties), "{instance}");
    }
    // The frontmatter's required keys are the struct's fields, in order.
    let fields: Vec<String> = j["frontmatter"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let required: Vec<String> =
        serde_json::from_value(def(&["$defs", "frontmatter", "required"]).clone()).unwrap();
    assert_eq!(fields, required);
    assert_eq!(fields, recap::note::model::FRONTMATTER_KEYS);
}

#[test]
fn notes_serialize_to_instances_of_the_schema() {
    let validator = jsonschema::validator_for(note_schema()).unwrap();
    let reference = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/notes/reference.md"
    ))
    .unwrap();
    for note in [full_note(), Note::parse(&reference).unwrap()] {
        let j = serde_json::to_value(&note).unwrap();
        let errors: Vec<String> = validator.iter_errors(&j).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let back: Note = serde_json::from_value(j).unwrap();
        assert_eq!(back, note);
    }
    let mut bad = serde_json::to_value(full_note()).unwrap();
    bad["action_items"][0]["priority"] = json!("urgent");
    assert!(!validator.is_valid(&bad));
}

fn matcher(schema: Value) -> Matcher {
    let env = ApproximateTokEnv::single_byte_env();
    let factory = ParserFactory::new(&env, InferenceCapabilities::default(), &[]).unwrap();
    let m = Matcher::new(factory.create_parser(TopLevelGrammar::from_json_schema(schema)));
    assert!(!m.is_error(), "{:?}", m.get_error());
    m
}

/// Feeds `text` byte by byte (the single-byte tokenizer's token ids are the bytes);
/// true when every byte was allowed and the JSON is complete.
fn accepts(schema: &Value, text: &str) -> bool {
    let mut m = matcher(schema.clone());
    let tokens: Vec<u32> = text.bytes().map(u32::from).collect();
    match m.try_consume_tokens(&tokens) {
        Ok(n) if n == tokens.len() => m.is_accepting().unwrap_or(false),
        _ => false,
    }
}

#[test]
fn the_generation_schema_constrains_llguidance() {
    let owners = ["Jason Vallery", "Jeff Denworth", "Myself", "TBD"].map(String::from);
    let schema = generation_schema(&owners);
    let good = json!({
        "summary": "Jason and Jeff reviewed the org.",
        "action_items": [
            {"text": "Send the Azure slide.", "owner": "Myself", "priority": "high", "due": "2025-11-20"},
            {"text": "Move Carl to ProServe.", "owner": "TBD", "priority": null, "due": null},
            {"text": "Text ITSIC.", "owner": "Jeff Denworth"}
        ],
        "decisions": ["China is a sales outpost."],
        "key_information": []
    });
    assert!(accepts(&schema, &good.to_string()), "{good}");
    assert!(accepts(
        &schema,
        &serde_json::to_string_pretty(&good).unwrap()
    ));

    let invented = good
        .to_string()
        .replace("\"owner\":\"TBD\"", "\"owner\":\"Bob\"");
    assert!(!accepts(&schema, &invented));
    let bad_due = good.to_string().replace("2025-11-20", "2025-13-20");
    assert!(!accepts(&schema, &bad_due));
    let extra_key = good
        .to_string()
        .replacen('{', "{\"date\":\"2025-11-07\",", 1);
    assert!(!accepts(&schema, &extra_key));
    let reasoning = format!("Let me think. {good}");
    assert!(!accepts(&schema, &reasoning));

    // The bounds make every generation end: a 17th action item is not allowed.
    let item = json!({"text": "x", "owner": "TBD"});
    let many = json!({"summary": "s", "action_items": vec![item; 17], "decisions": [], "key_information": []});
    assert!(!accepts(&schema, &many.to_string()));
    let long = json!({"summary": "s".repeat(1201), "action_items": [], "decisions": [], "key_information": []});
    assert!(!accepts(&schema, &long.to_string()));
}
