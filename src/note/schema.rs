//! The note schema: `schema/note.schema.json`, the one source of truth for the format.
//!
//! Its top level is the JSON form of [`super::Note`] (a test keeps the two in step). Its
//! `$defs` are the reusable parts: `frontmatter` validates a note's YAML frontmatter
//! (see [`super::validate()`]); `generation` is what the language model writes, and
//! [`generation_schema`] turns it into a self-contained schema (no `$ref`s) with the
//! meeting's owner names and length bounds, to constrain decoding.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

/// The schema file's text, compiled into the binary.
pub const SCHEMA_TEXT: &str = include_str!("../../schema/note.schema.json");

/// Bounds the generation schema puts on what the model writes, so that constrained
/// generation always ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerationLimits {
    /// Characters in the summary.
    pub summary_chars: u64,
    /// Characters in one action item, decision or key information statement.
    pub item_chars: u64,
    pub action_items: u64,
    pub decisions: u64,
    pub key_information: u64,
}

/// The bounds [`generation_schema`] uses.
pub const GENERATION_LIMITS: GenerationLimits = GenerationLimits {
    summary_chars: 1200,
    item_chars: 300,
    action_items: 16,
    decisions: 12,
    key_information: 16,
};

/// The parsed schema.
pub fn note_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // The file is part of the crate and checked by tests; it always parses.
        serde_json::from_str(SCHEMA_TEXT).unwrap_or_else(|e| json!({ "invalid": e.to_string() }))
    })
}

/// A schema that checks an instance against `$defs/<name>` of the note schema.
pub fn def_schema(name: &str) -> Value {
    let root = note_schema();
    json!({
        "$schema": root["$schema"],
        "$defs": root["$defs"],
        "$ref": format!("#/$defs/{name}"),
    })
}

/// The compiled validator of `$defs/frontmatter`, built once.
pub(crate) fn frontmatter_validator() -> Option<&'static jsonschema::Validator> {
    static VALIDATOR: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| jsonschema::validator_for(&def_schema("frontmatter")).ok())
        .as_ref()
}

/// `value` with every `#/$defs/...` reference replaced by the definition it names
/// (keywords beside a `$ref` win over the definition's).
fn inline_refs(value: &Value, defs: &Map<String, Value>, depth: usize) -> Value {
    match value {
        Value::Object(obj) if depth < 32 => {
            let mut out = Map::new();
            if let Some(target) = obj
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .and_then(|name| defs.get(name))
            {
                if let Value::Object(resolved) = inline_refs(target, defs, depth + 1) {
                    out = resolved;
                }
            }
            for (k, v) in obj {
                if k != "$ref" {
                    out.insert(k.clone(), inline_refs(v, defs, depth + 1));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| inline_refs(v, defs, depth + 1))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The schema of what the model writes for a meeting:
/// `{summary, action_items: [{text, owner, priority?, due?}], decisions, key_information}`,
/// built from `$defs/generation` with every reference inlined, `owner` restricted to
/// `owners` (pass the participants, `Myself` and `TBD`; an empty list allows only
/// `TBD`), and the [`GENERATION_LIMITS`] bounds on lengths and counts.
pub fn generation_schema(owners: &[String]) -> Value {
    let root = note_schema();
    let empty = Map::new();
    let defs = root["$defs"].as_object().unwrap_or(&empty);
    let mut schema = inline_refs(&root["$defs"]["generation"], defs, 0);

    let mut names: Vec<&str> = Vec::new();
    for o in owners {
        if !names.contains(&o.as_str()) {
            names.push(o);
        }
    }
    if names.is_empty() {
        names.push("TBD");
    }
    let limits = GENERATION_LIMITS;
    let bound = |v: &mut Value, key: &str, n: u64| {
        if let Some(obj) = v.as_object_mut() {
            obj.insert(key.to_string(), json!(n));
        }
    };
    let props = &mut schema["properties"];
    bound(&mut props["summary"], "maxLength", limits.summary_chars);
    bound(&mut props["summary"], "minLength", 1);
    bound(&mut props["action_items"], "maxItems", limits.action_items);
    bound(&mut props["decisions"], "maxItems", limits.decisions);
    bound(
        &mut props["key_information"],
        "maxItems",
        limits.key_information,
    );
    for list in ["decisions", "key_information"] {
        bound(&mut props[list]["items"], "maxLength", limits.item_chars);
    }
    let item = &mut props["action_items"]["items"]["properties"];
    bound(&mut item["text"], "maxLength", limits.item_chars);
    item["owner"] = json!({
        "description": root["$defs"]["owner"]["description"],
        "enum": names,
    });

    if let Some(obj) = schema.as_object_mut() {
        obj.insert("$schema".into(), root["$schema"].clone());
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_file_parses_and_compiles() {
        assert!(note_schema().get("invalid").is_none());
        jsonschema::validator_for(note_schema()).unwrap();
        assert!(frontmatter_validator().is_some());
    }

    #[test]
    fn generation_schema_is_self_contained_and_bounded() {
        let s = generation_schema(&["Jeff Denworth".into(), "Myself".into(), "TBD".into()]);
        let text = s.to_string();
        assert!(!text.contains("$ref"), "{text}");
        let p = &s["properties"];
        assert_eq!(p["summary"]["maxLength"], 1200);
        assert_eq!(p["action_items"]["maxItems"], 16);
        assert_eq!(p["decisions"]["items"]["maxLength"], 300);
        assert_eq!(
            p["action_items"]["items"]["properties"]["owner"]["enum"],
            json!(["Jeff Denworth", "Myself", "TBD"])
        );
        assert_eq!(
            s["required"],
            json!(["summary", "action_items", "decisions", "key_information"])
        );
        let v = jsonschema::validator_for(&s).unwrap();
        assert!(v.is_valid(&json!({
            "summary": "We met.",
            "action_items": [{"text": "Send the slide.", "owner": "Myself", "priority": "high", "due": "2025-11-20"},
                             {"text": "Call.", "owner": "TBD", "priority": null, "due": null},
                             {"text": "Call.", "owner": "TBD"}],
            "decisions": ["China is a sales outpost."],
            "key_information": []
        })));
        for bad in [
            json!({"summary": "x", "action_items": [{"text": "a", "owner": "Bob"}], "decisions": [], "key_information": []}),
            json!({"summary": "x", "action_items": [{"text": "a", "owner": "TBD", "due": "2025-13-01"}], "decisions": [], "key_information": []}),
            json!({"summary": "x", "action_items": [], "decisions": [], "key_information": [], "date": "2025-01-01"}),
            json!({"summary": "", "action_items": [], "decisions": [], "key_information": []}),
        ] {
            assert!(!v.is_valid(&bad), "{bad}");
        }
    }
}
