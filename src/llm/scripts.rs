//! Writing systems: which ones a text is written in, and a schema change that keeps an
//! answer's strings to them.
//!
//! A small multilingual model drifts into another script in the middle of a word: the
//! 1.5B Qwen wrote "the user界面设计" and "functional设计" for an English meeting (2 of
//! 217 answers of a dev-set run). Nothing in an English transcript calls for Chinese
//! characters, so the constraint forbids the scripts the prompt does not use; a meeting
//! held in Japanese keeps them.

use serde_json::Value;

/// The scripts a model may drift into, each as the character ranges that make it up.
/// Latin, digits, punctuation and symbols are never in the list, so never forbidden.
const SCRIPTS: [(&str, &[(char, char)]); 10] = [
    (
        // Chinese, Japanese and Korean share punctuation and full-width forms, and Japanese
        // mixes Han with kana, so they are one group: a meeting in any of them allows all.
        "CJK",
        &[
            ('\u{1100}', '\u{11FF}'),
            ('\u{2E80}', '\u{2FDF}'),
            ('\u{3000}', '\u{303F}'),
            ('\u{3040}', '\u{30FF}'),
            ('\u{3130}', '\u{318F}'),
            ('\u{31F0}', '\u{31FF}'),
            ('\u{3400}', '\u{4DBF}'),
            ('\u{4E00}', '\u{9FFF}'),
            ('\u{AC00}', '\u{D7AF}'),
            ('\u{F900}', '\u{FAFF}'),
            ('\u{FF00}', '\u{FFEF}'),
            ('\u{20000}', '\u{2FA1F}'),
        ],
    ),
    ("Cyrillic", &[('\u{0400}', '\u{052F}')]),
    ("Greek", &[('\u{0370}', '\u{03FF}')]),
    ("Armenian", &[('\u{0530}', '\u{058F}')]),
    ("Hebrew", &[('\u{0590}', '\u{05FF}')]),
    (
        "Arabic",
        &[('\u{0600}', '\u{06FF}'), ('\u{0750}', '\u{077F}')],
    ),
    ("Indic", &[('\u{0900}', '\u{0DFF}')]),
    ("Thai and Lao", &[('\u{0E00}', '\u{0EFF}')]),
    ("Georgian", &[('\u{10A0}', '\u{10FF}')]),
    ("Ethiopic", &[('\u{1200}', '\u{139F}')]),
];

/// A set of the [`SCRIPTS`] (bit `i` is `SCRIPTS[i]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scripts(u16);

impl Scripts {
    /// The scripts `text` uses, at least one character each.
    pub fn of(text: &str) -> Self {
        let mut found = 0u16;
        for c in text.chars().filter(|c| !c.is_ascii()) {
            if let Some(i) = script_of(c) {
                found |= 1 << i;
            }
        }
        Self(found)
    }

    /// A pattern matching strings that use none of the scripts outside this set; `None`
    /// when the set holds them all.
    pub fn pattern(self) -> Option<String> {
        let ranges: String = SCRIPTS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) == 0)
            .flat_map(|(_, (_, ranges))| ranges.iter())
            .map(|(from, to)| format!(r"\x{{{:X}}}-\x{{{:X}}}", *from as u32, *to as u32))
            .collect();
        (!ranges.is_empty()).then(|| format!("^[^{ranges}]*$"))
    }
}

fn script_of(c: char) -> Option<usize> {
    SCRIPTS
        .iter()
        .position(|(_, ranges)| ranges.iter().any(|(from, to)| (*from..=*to).contains(&c)))
}

/// `schema` with every free-text string kept to `allowed`: each `"type": "string"` that
/// has no `pattern`, `enum`, `const` or `format` of its own gets the pattern of
/// [`Scripts::pattern`]. Enums stay as they are, so a participant's name in any script is
/// still a valid owner.
pub fn confine(schema: &mut Value, allowed: Scripts) {
    if let Some(pattern) = allowed.pattern() {
        add_pattern(schema, &pattern);
    }
}

fn add_pattern(schema: &mut Value, pattern: &str) {
    match schema {
        Value::Object(fields) => {
            let free_string = fields.get("type").and_then(Value::as_str) == Some("string")
                && !["pattern", "enum", "const", "format"]
                    .iter()
                    .any(|k| fields.contains_key(*k));
            if free_string {
                fields.insert("pattern".into(), Value::String(pattern.into()));
            }
            for value in fields.values_mut() {
                add_pattern(value, pattern);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| add_pattern(v, pattern)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Whether `scripts` holds the script called `name` in [`SCRIPTS`].
    fn has(scripts: Scripts, name: &str) -> bool {
        SCRIPTS
            .iter()
            .position(|(n, _)| *n == name)
            .is_some_and(|i| scripts.0 & (1 << i) != 0)
    }

    #[test]
    fn a_text_uses_the_scripts_of_its_letters() {
        let english = Scripts::of("Priya: we'll ship the café menu — 25 € — by Friday.");
        assert_eq!(
            english,
            Scripts::default(),
            "Latin, punctuation and symbols"
        );
        let japanese = Scripts::of("田中: 来週までに資料を送ります。");
        assert!(has(japanese, "CJK"));
        assert!(!has(japanese, "Cyrillic"));
        let mixed = Scripts::of("Olga said «привет» and 안녕");
        assert!(has(mixed, "Cyrillic") && has(mixed, "CJK"));
    }

    #[test]
    fn the_pattern_leaves_out_only_the_scripts_the_text_lacks() {
        let english = Scripts::default().pattern().unwrap();
        assert!(english.starts_with(r"^[^\x{1100}-\x{11FF}"), "{english}");
        assert!(english.contains(r"\x{4E00}-\x{9FFF}"), "{english}");
        assert!(english.contains(r"\x{400}-\x{52F}"), "{english}");
        let japanese = Scripts::of("資料").pattern().unwrap();
        assert!(!japanese.contains(r"\x{4E00}"), "{japanese}");
        assert!(japanese.contains(r"\x{400}-\x{52F}"), "{japanese}");
        let all = Scripts(u16::MAX);
        assert_eq!(all.pattern(), None);
    }

    #[test]
    fn only_free_text_strings_are_confined() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "title": { "type": "string", "maxLength": 100 },
                "items": { "type": "array", "items": { "type": "object", "properties": {
                    "text": { "type": "string" },
                    "owner": { "type": "string", "enum": ["Ana", "Иван"] },
                    "due": { "anyOf": [{ "type": "string", "pattern": "^by .*$" }, { "type": "null" }] },
                    "turn": { "type": "integer" },
                }}},
            },
        });
        confine(&mut schema, Scripts::default());
        let pattern = Scripts::default().pattern().unwrap();
        let props = &schema["properties"];
        assert_eq!(props["title"]["pattern"], pattern.as_str());
        assert_eq!(props["title"]["maxLength"], 100);
        let item = &props["items"]["items"]["properties"];
        assert_eq!(item["text"]["pattern"], pattern.as_str());
        assert!(item["owner"].get("pattern").is_none(), "an enum is kept");
        assert_eq!(item["due"]["anyOf"][0]["pattern"], "^by .*$");
        assert!(item["turn"].get("pattern").is_none());
        assert!(schema.get("pattern").is_none());
    }
}
