//! Checks one note's text against the format and returns [`Diagnostic`]s.
//!
//! The frontmatter's types and required keys are checked with the note schema's
//! `$defs/frontmatter` (JSON Schema); what JSON Schema cannot say is checked here: key
//! order, real calendar dates, configured note types, tags matching `type` and `person`,
//! the heading and Date/With lines matching the frontmatter, sections and their order,
//! action items in Tasks syntax with known owners, and the source wikilink. Each
//! [`Rule`] documents one check. Validation never panics and never stops early: a broken
//! frontmatter still leaves the body checked.

use std::path::Path;

use jsonschema::paths::LocationSegment;
use serde_json::Value as Json;
use yaml_serde::Value as Yaml;

use super::action_item::{list_marker, TaskLine, TASK_TAGS};
use super::diagnostic::Diagnostic;
use super::document::{heading_text, Document, Entry, FrontmatterBlock, Section};
use super::model::{slug, source_stem, FRONTMATTER_KEYS, GENERATED_TAG, NONE_MARKER};
use super::render::one_line;
use super::rule::Rule;
use super::schema::frontmatter_validator;
use super::user_content::SectionKind;
use crate::config::{Config, DEFAULT_NOTE_TYPES};
use crate::date::{has_date_shape, Date};

/// What a note is checked against, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Accepted values of `type`.
    pub note_types: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            note_types: DEFAULT_NOTE_TYPES.iter().map(|t| t.to_string()).collect(),
        }
    }
}

impl Rules {
    pub fn from_config(config: &Config) -> Self {
        Self {
            note_types: config.note_types.clone(),
        }
    }
}

/// Owners every action item may name besides the participants.
pub const OWNER_KEYWORDS: [&str; 2] = [OWNER_MYSELF, OWNER_TBD];

/// The owner written for the vault owner.
pub const OWNER_MYSELF: &str = "Myself";

/// The owner written when nobody was named.
pub const OWNER_TBD: &str = "TBD";

const KEY_ORDER_HINT: &str =
    "order the keys: type, title, date, person, participants, source, source_ref, tags";
const EMPTY_SECTION_HINT: &str =
    "write `_None._` under the heading when there is nothing to record";
const TASK_HINT: &str = "write `- [?] <text> @<Owner> #task #proposed #auto`";

/// Checks `text`, the content of the note at `path` (used only to label diagnostics).
/// Diagnostics come sorted by line and column.
pub fn validate(text: &str, path: &Path, rules: &Rules) -> Vec<Diagnostic> {
    let doc = Document::scan(text);
    let mut c = Checker {
        doc: &doc,
        path,
        rules,
        out: Vec::new(),
        v: Values::default(),
    };
    if c.frontmatter() {
        c.head();
        c.sections();
        c.footer();
    }
    let mut out = c.out;
    out.sort_by_key(|d| (d.line, d.column));
    out
}

/// Frontmatter values that have the right type (None: missing or wrong type).
#[derive(Default)]
struct Values {
    note_type: Option<String>,
    title: Option<String>,
    date: Option<String>,
    person: Option<String>,
    participants: Option<Vec<String>>,
    source_ref: Option<String>,
    tags: Option<Vec<String>>,
}

struct Checker<'d, 'a> {
    doc: &'d Document<'a>,
    path: &'d Path,
    rules: &'d Rules,
    out: Vec<Diagnostic>,
    v: Values,
}

fn yaml_to_json(v: &Yaml) -> Json {
    match v {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Json::String(n.to_string()), Json::Number)
            }
        }
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Sequence(items) => Json::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Mapping(m) => Json::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        other => match yaml_to_json(other) {
                            Json::String(s) => s,
                            j => j.to_string(),
                        },
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(t) => yaml_to_json(&t.value),
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "nothing (null)",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The section of the person's own that stands for a missing generated section: one whose
/// title is a near miss of the expected title (`## Key Info`, `## Decision`,
/// `## action items`), else the only one in the missing section's place (between the
/// generated sections before and after it, `end` being the line where that place ends).
fn renamed_section<'d, 'a>(
    doc: &'d Document<'a>,
    kind: SectionKind,
    end: usize,
    claimed: &[usize],
) -> Option<&'d Section<'a>> {
    let free = |s: &&Section<'a>| {
        s.kind.is_none() && s.duplicate.is_none() && !claimed.contains(&s.heading)
    };
    if let Some(s) = doc
        .sections
        .iter()
        .filter(free)
        .find(|s| near_title(s.title, kind.title()))
    {
        return Some(s);
    }
    let start = SectionKind::ALL[..kind.index()]
        .iter()
        .rev()
        .find_map(|k| doc.section(*k).map(|s| s.heading))
        .unwrap_or(0);
    let mut in_place = doc
        .sections
        .iter()
        .filter(free)
        .filter(|s| s.heading > start && s.heading < end);
    match (in_place.next(), in_place.next()) {
        (Some(s), None) => Some(s),
        _ => None,
    }
}

/// Whether a heading is a misspelling or shortening of `expected`: close in edit distance
/// (case aside), or sharing a word stem of four letters or more (`Info`, `Decision`).
fn near_title(title: &str, expected: &str) -> bool {
    let (title, expected) = (title.trim().to_lowercase(), expected.to_lowercase());
    if strsim::normalized_damerau_levenshtein(&title, &expected) >= 0.6 {
        return true;
    }
    let stems = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .map(|w| w.trim_end_matches('s').to_string())
            .filter(|w| w.len() >= 4)
            .collect()
    };
    let want = stems(&expected);
    stems(&title).iter().any(|w| {
        want.iter()
            .any(|e| e.starts_with(w.as_str()) || w.starts_with(e.as_str()))
    })
}

impl Checker<'_, '_> {
    fn line(&self, idx: usize) -> &str {
        self.doc.lines.get(idx).copied().unwrap_or("")
    }

    /// Pushes a diagnostic at line index `idx`, byte offset `byte` of that line.
    fn push(&mut self, rule: Rule, idx: usize, byte: usize, message: String, hint: Option<String>) {
        let line = self.line(idx);
        let col = line.get(..byte).map_or(0, |s| s.chars().count()) + 1;
        self.push_col(rule, idx, col, message, hint);
    }

    fn push_col(
        &mut self,
        rule: Rule,
        idx: usize,
        col: usize,
        message: String,
        hint: Option<String>,
    ) {
        let mut d = Diagnostic::new(self.path, rule, Some((idx + 1, col)), message);
        d.hint = hint;
        if !self.out.contains(&d) {
            self.out.push(d);
        }
    }

    fn fm(&self) -> Option<&FrontmatterBlock<'_>> {
        self.doc.frontmatter.as_ref()
    }

    fn key_line(&self, key: &str) -> Option<usize> {
        self.fm()?
            .keys
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, i)| *i)
    }

    /// Where `key`'s value starts: (line index, byte offset); the key itself when the
    /// value is on later lines; line 1 when the key is missing.
    fn value_at(&self, key: &str) -> (usize, usize) {
        let Some(idx) = self.key_line(key) else {
            return (0, 0);
        };
        let line = self.line(idx);
        let after = line.find(':').map_or(line.len(), |c| c + 1);
        let rest = &line[after..];
        let value = rest.trim_start();
        if value.is_empty() {
            (idx, 0)
        } else {
            (idx, after + rest.len() - value.len())
        }
    }

    /// Where item `index` of list `key` is: its `- ` line for a block list, else the value.
    fn item_at(&self, key: &str, index: usize) -> (usize, usize) {
        if let (Some(idx), Some(fm)) = (self.key_line(key), self.fm()) {
            let end = fm
                .keys
                .iter()
                .map(|(_, i)| *i)
                .find(|&i| i > idx)
                .or(fm.close)
                .unwrap_or(idx + 1);
            let items = (idx + 1..end).filter(|&i| self.line(i).trim_start().starts_with('-'));
            if let Some(i) = items.into_iter().nth(index) {
                let line = self.line(i);
                let dash = line.find('-').unwrap_or(0);
                let rest = &line[dash + 1..];
                return (i, dash + 1 + rest.len() - rest.trim_start().len());
            }
        }
        self.value_at(key)
    }

    /// Checks the frontmatter; false when the rest of the note cannot be located.
    fn frontmatter(&mut self) -> bool {
        let Some(fm) = self.fm() else {
            self.push(
                Rule::FrontmatterMissing,
                0,
                0,
                "the note does not start with YAML frontmatter".into(),
                Some("start the file with a `---` line, the keys (type, title, date, person, participants, source, source_ref, tags) and another `---` line".into()),
            );
            return true;
        };
        if fm.close.is_none() {
            self.push(
                Rule::FrontmatterUnterminated,
                0,
                0,
                "the frontmatter opened here is never closed".into(),
                Some("end the frontmatter with a `---` line".into()),
            );
            return false;
        }
        let map = match &fm.yaml {
            Ok(map) => map.clone(),
            Err(p) => {
                let (line, column, message) = (p.line, p.column, p.message.clone());
                self.push_col(
                    Rule::FrontmatterYaml,
                    line,
                    column,
                    format!("the frontmatter is not valid YAML: {message}"),
                    p.hint.clone(),
                );
                return true;
            }
        };
        let json = yaml_to_json(&Yaml::Mapping(map.clone()));
        self.schema_checks(&json);
        self.key_order();

        let string = |k: &str| match map.get(k) {
            Some(Yaml::String(s)) => Some(s.clone()),
            _ => None,
        };
        let list = |k: &str| match map.get(k) {
            Some(Yaml::Sequence(items)) => items
                .iter()
                .map(|i| match i {
                    Yaml::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        self.v = Values {
            note_type: string("type"),
            title: string("title"),
            date: string("date"),
            person: string("person"),
            participants: list("participants"),
            source_ref: string("source_ref"),
            tags: list("tags"),
        };

        if let Some(date) = self.v.date.clone() {
            if has_date_shape(&date) && Date::parse(&date).is_err() {
                let (i, b) = self.value_at("date");
                self.push(
                    Rule::DateInvalid,
                    i,
                    b,
                    format!("`date` is \"{date}\", which is not a day in the calendar"),
                    Some("write the meeting's date as YYYY-MM-DD".into()),
                );
            }
        }
        if let Some(t) = self.v.note_type.clone() {
            if !self.rules.note_types.contains(&t) {
                let (i, b) = self.value_at("type");
                self.push(
                    Rule::TypeUnknown,
                    i,
                    b,
                    format!("`type` is \"{t}\", which is not a configured note type"),
                    Some(format!(
                        "use one of {}; add others to `note_types` in the config file",
                        quoted_list(&self.rules.note_types)
                    )),
                );
            }
        }
        self.tags();
        true
    }

    fn schema_checks(&mut self, json: &Json) {
        let Some(validator) = frontmatter_validator() else {
            return;
        };
        let mut missing: Vec<String> = Vec::new();
        for err in validator.iter_errors(json) {
            let segments: Vec<LocationSegment<'_>> = (&err.instance_path).into_iter().collect();
            let key = match segments.first() {
                Some(LocationSegment::Property(p)) => p.to_string(),
                _ => String::new(),
            };
            let index = match segments.get(1) {
                Some(LocationSegment::Index(i)) => Some(*i),
                _ => None,
            };
            let instance = err.instance.as_ref();
            use jsonschema::error::ValidationErrorKind as K;
            let (i, b) = match index {
                Some(n) => self.item_at(&key, n),
                None => self.value_at(&key),
            };
            let (rule, message, hint): (Rule, String, Option<String>) = match (
                &err.kind,
                key.as_str(),
            ) {
                (K::Required { property }, _) => {
                    missing.push(property.as_str().unwrap_or_default().to_string());
                    continue;
                }
                (K::Type { .. }, k) => {
                    let expected = match (k, index) {
                        ("participants", None) => "a list of names",
                        ("participants", Some(_)) => "a name (a string)",
                        ("tags", None) => "a list of tags",
                        ("tags", Some(_)) => "a tag (a string)",
                        _ => "a string",
                    };
                    let what = match index {
                        Some(n) => format!("item {} of `{k}`", n + 1),
                        None => format!("`{k}`"),
                    };
                    let hint = match k {
                        "participants" => {
                            "write it as a list: [\"Jason Vallery\", \"Jeff Denworth\"]"
                        }
                        "tags" => "write it as a list of tags, one `  - \"tag\"` line each",
                        _ => "write the value in double quotes, e.g. `person: \"\"`",
                    };
                    (
                        Rule::KeyType,
                        format!("{what} must be {expected}, not {}", json_kind(instance)),
                        Some(hint.into()),
                    )
                }
                (K::MinItems { .. }, "participants") => (
                    Rule::ParticipantsEmpty,
                    "`participants` is empty".into(),
                    Some(
                        "list everyone in the meeting, e.g. [\"Jason Vallery\", \"Jeff Denworth\"]"
                            .into(),
                    ),
                ),
                (K::MinLength { .. } | K::Pattern { .. }, "participants") => (
                    Rule::ParticipantsEmpty,
                    format!("participant {} is blank", index.unwrap_or(0) + 1),
                    Some("remove it or write the person's name".into()),
                ),
                (K::UniqueItems, "participants") => {
                    let names: Vec<&str> = instance
                        .as_array()
                        .map(|a| a.iter().filter_map(Json::as_str).collect())
                        .unwrap_or_default();
                    let dup = names
                        .iter()
                        .enumerate()
                        .find(|(n, name)| names[..*n].contains(name))
                        .map_or("", |(_, name)| *name);
                    (
                        Rule::ParticipantsDuplicate,
                        format!("`participants` names \"{dup}\" more than once"),
                        Some("list each person once".into()),
                    )
                }
                (K::Pattern { .. }, "date") => (
                    Rule::DateInvalid,
                    format!("`date` is {}, not a date in the form YYYY-MM-DD", instance),
                    Some("write the meeting's date as YYYY-MM-DD".into()),
                ),
                // `type` is checked against the configured types below.
                (K::Pattern { .. }, "type") => continue,
                (K::MinLength { .. }, "title") => (
                    Rule::TitleEmpty,
                    "`title` is empty".into(),
                    Some("give the note a title; the `# ` heading repeats it".into()),
                ),
                (K::Enum { .. }, "source") => (
                    Rule::SourceUnknown,
                    format!("`source` is {instance}, not \"transcript\""),
                    Some("write `source: \"transcript\"`".into()),
                ),
                (K::MinLength { .. }, "source_ref") => (
                    Rule::SourceRefEmpty,
                    "`source_ref` is empty".into(),
                    Some(
                        "set it to the transcript's path; the footer links to its file name".into(),
                    ),
                ),
                (K::Pattern { .. }, "tags") => (
                    Rule::TagInvalid,
                    format!("tag {instance} is not a valid tag"),
                    Some("tags have no spaces and no `#`".into()),
                ),
                (_, k) => (Rule::KeyType, format!("`{k}` is invalid: {err}"), None),
            };
            self.push(rule, i, b, message, hint);
        }
        if !missing.is_empty() {
            let close = self.fm().and_then(|f| f.close).unwrap_or(0);
            let keys = quoted_list(&missing);
            let (s, it) = if missing.len() == 1 {
                ("", "it")
            } else {
                ("s", "them")
            };
            self.push(
                Rule::KeyMissing,
                close,
                0,
                format!("the frontmatter lacks the key{s} {keys}"),
                Some(format!("add {it}; {KEY_ORDER_HINT}")),
            );
        }
    }

    fn key_order(&mut self) {
        let Some(fm) = self.fm() else { return };
        let rank = |k: &str| FRONTMATTER_KEYS.iter().position(|s| *s == k);
        let mut max: Option<(usize, &str)> = None;
        let mut found = None;
        for (k, idx) in &fm.keys {
            let Some(r) = rank(k) else { continue };
            match max {
                Some((m, prev)) if r < m => {
                    found = Some((*idx, k.to_string(), prev.to_string()));
                    break;
                }
                Some((m, _)) if r == m => {}
                _ => max = Some((r, k)),
            }
        }
        if let Some((idx, k, prev)) = found {
            self.push(
                Rule::KeyOrder,
                idx,
                0,
                format!("`{k}` comes after `{prev}`"),
                Some(KEY_ORDER_HINT.into()),
            );
        }
    }

    fn tags(&mut self) {
        let (Some(tags), Some(t)) = (self.v.tags.clone(), self.v.note_type.clone()) else {
            return;
        };
        let person = self.v.person.clone();
        let tags_at = self.value_at("tags");
        let mut missing: Vec<String> = Vec::new();

        // type/<type>
        let want = format!("type/{t}");
        let wrong: Vec<usize> = (0..tags.len())
            .filter(|&i| tags[i].starts_with("type/") && tags[i] != want)
            .collect();
        for &i in &wrong {
            let (l, b) = self.item_at("tags", i);
            self.push(
                Rule::TagMismatch,
                l,
                b,
                format!("tag `{}` does not match `type` \"{t}\"", tags[i]),
                Some(format!("make it `{want}`")),
            );
        }
        if wrong.is_empty() && !tags.contains(&want) {
            missing.push(want);
        }

        // person/<slug>
        let bare = tags.iter().any(|tag| tag == "person/");
        match person.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => {
                let want = format!("person/{}", slug(p));
                let wrong: Vec<usize> = (0..tags.len())
                    .filter(|&i| tags[i].starts_with("person/") && tags[i] != want)
                    .collect();
                for &i in &wrong {
                    let (l, b) = self.item_at("tags", i);
                    self.push(
                        Rule::TagMismatch,
                        l,
                        b,
                        format!("tag `{}` does not match `person` \"{p}\"", tags[i]),
                        Some(format!("make it `{want}`")),
                    );
                }
                if wrong.is_empty() && !tags.contains(&want) {
                    missing.push(want);
                }
            }
            Some(_) => {
                for (i, tag) in tags.iter().enumerate() {
                    if tag.starts_with("person/") && tag != "person/" {
                        let (l, b) = self.item_at("tags", i);
                        self.push(
                            Rule::TagMismatch,
                            l,
                            b,
                            format!("tag `{tag}` names a person but `person` is empty"),
                            Some("set `person` to their name, or remove the tag".into()),
                        );
                    }
                }
                let (l, b) = self.value_at("person");
                if t == "people" {
                    let and_tag = if bare {
                        " and a bare `person/` tag"
                    } else {
                        ""
                    };
                    self.push(
                        Rule::PersonEmpty,
                        l,
                        b,
                        format!("this `people` note has an empty `person`{and_tag}"),
                        Some("set `person` to the other person's name and tag the note `person/<slug>`, e.g. `person/jeff-denworth`".into()),
                    );
                } else if bare {
                    let i = tags.iter().position(|tag| tag == "person/").unwrap_or(0);
                    let (l, b) = self.item_at("tags", i);
                    self.push(
                        Rule::PersonEmpty,
                        l,
                        b,
                        "the bare `person/` tag names no one".into(),
                        Some("remove it, or set `person` and tag `person/<slug>`".into()),
                    );
                }
            }
            None => {}
        }

        if !tags.iter().any(|tag| tag == GENERATED_TAG) {
            missing.push(GENERATED_TAG.into());
        }
        if !missing.is_empty() {
            let (s, it) = if missing.len() == 1 {
                ("", "it")
            } else {
                ("s", "them")
            };
            self.push(
                Rule::TagMissing,
                tags_at.0,
                tags_at.1,
                format!("`tags` lacks the tag{s} {}", quoted_list(&missing)),
                Some(format!("add {it} to `tags`")),
            );
        }
    }

    /// The first non-blank line after the frontmatter (or the last line).
    fn first_body_line(&self) -> usize {
        let n = self.doc.lines.len();
        (self.doc.body_start..n)
            .find(|&i| !self.line(i).trim().is_empty())
            .unwrap_or(n.saturating_sub(1))
    }

    fn head(&mut self) {
        let doc = self.doc;
        match doc.heading {
            None => {
                let at = self.first_body_line();
                let title = self.v.title.clone().unwrap_or_else(|| "<title>".into());
                self.push(
                    Rule::HeadingMissing,
                    at,
                    0,
                    "the note has no `# ` title heading".into(),
                    Some(format!(
                        "add `# {}` under the frontmatter",
                        one_line(&title).trim()
                    )),
                );
            }
            Some(h) => {
                if let Some(title) = self.v.title.clone() {
                    let text = heading_text(self.line(h)).unwrap_or("");
                    let want = one_line(&title).trim().to_string();
                    if text != want {
                        self.push(
                            Rule::HeadingTitleMismatch,
                            h,
                            0,
                            format!("the heading \"{text}\" differs from `title` \"{title}\""),
                            Some(format!("make the heading `# {want}`, or change `title`")),
                        );
                    }
                }
            }
        }
        let below = doc
            .heading
            .map_or_else(|| self.first_body_line(), |h| h + 1);
        let date = self.v.date.clone().map(|d| one_line(&d).trim().to_string());
        let with = self.v.participants.clone().map(|p| {
            p.iter()
                .map(|n| one_line(n).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        });
        self.line_value(
            doc.date_line,
            "**Date**:",
            "date",
            date,
            below,
            Rule::DateLineMissing,
            Rule::DateLineMismatch,
        );
        self.line_value(
            doc.with_line,
            "**With**:",
            "participants",
            with,
            below,
            Rule::WithLineMissing,
            Rule::WithLineMismatch,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn line_value(
        &mut self,
        found: Option<usize>,
        label: &str,
        key: &str,
        want: Option<String>,
        below: usize,
        missing: Rule,
        mismatch: Rule,
    ) {
        let shown = want.clone().unwrap_or_else(|| format!("<{key}>"));
        match found {
            None => self.push(
                missing,
                below,
                0,
                format!("the note has no `{label}` line"),
                Some(format!("add `{label} {shown}` under the heading")),
            ),
            Some(i) => {
                let Some(want) = want else { return };
                let line = self.line(i);
                let rest = &line[label.len()..];
                let value = rest.trim();
                if value != want {
                    let byte = label.len() + (rest.len() - rest.trim_start().len());
                    let value = value.to_string();
                    let what = if key == "date" {
                        "`date` is"
                    } else {
                        "`participants` are"
                    };
                    self.push(
                        mismatch,
                        i,
                        byte,
                        format!("the `{label}` line says \"{value}\" but {what} \"{want}\""),
                        Some(format!("write `{label} {want}`")),
                    );
                }
            }
        }
    }

    fn sections(&mut self) {
        let doc = self.doc;
        let mut max: Option<SectionKind> = None;
        for s in &doc.sections {
            if let Some(kind) = s.duplicate {
                self.push(
                    Rule::SectionDuplicate,
                    s.heading,
                    0,
                    format!("a second `## {}` section", kind.title()),
                    Some("merge it into the first one".into()),
                );
            }
            let Some(kind) = s.kind else { continue };
            match max {
                Some(m) if kind < m => self.push(
                    Rule::SectionOrder,
                    s.heading,
                    0,
                    format!("`## {}` comes after `## {}`", kind.title(), m.title()),
                    Some(
                        "order the sections: Summary, Action Items, Decisions, Key Information"
                            .into(),
                    ),
                ),
                _ => max = Some(kind),
            }
        }
        let mut claimed: Vec<usize> = Vec::new();
        for kind in SectionKind::ALL {
            if doc.section(kind).is_some() {
                continue;
            }
            let next = SectionKind::ALL[kind.index() + 1..]
                .iter()
                .find_map(|k| doc.section(*k).map(|s| s.heading));
            let end = next
                .or(doc.footer_rule)
                .or(doc.source.map(|s| s.0))
                .unwrap_or_else(|| doc.lines.len().saturating_sub(1));
            if let Some(s) = renamed_section(doc, kind, end, &claimed) {
                claimed.push(s.heading);
                self.push(
                    Rule::SectionMissing,
                    s.heading,
                    0,
                    format!(
                        "the note has no `## {}` section: is `## {}` meant to be it?",
                        kind.title(),
                        s.title
                    ),
                    Some(format!(
                        "rename the heading to `## {}`; sections are found by their exact title",
                        kind.title()
                    )),
                );
                continue;
            }
            self.push(
                Rule::SectionMissing,
                end,
                0,
                format!("the note has no `## {}` section", kind.title()),
                Some(format!("add `## {}`; {EMPTY_SECTION_HINT}", kind.title())),
            );
        }
        for s in &doc.sections {
            let Some(kind) = s.kind else { continue };
            if s.entries.is_empty() {
                self.push(
                    Rule::SectionEmpty,
                    s.heading,
                    0,
                    format!("the `## {}` section is empty", kind.title()),
                    Some(EMPTY_SECTION_HINT.into()),
                );
            }
            let has_content = s.entries.iter().any(|e| match e {
                Entry::Item(_) => true,
                Entry::Text { .. } => kind == SectionKind::Summary,
                Entry::None(_) => false,
            });
            if has_content {
                for e in &s.entries {
                    if let Entry::None(i) = e {
                        self.push(
                            Rule::SectionNoneWithItems,
                            *i,
                            0,
                            format!(
                                "`{NONE_MARKER}` in `## {}`, which is not empty",
                                kind.title()
                            ),
                            Some(format!("remove the `{NONE_MARKER}` line")),
                        );
                    }
                }
            }
            for e in &s.entries {
                match (e, kind) {
                    (Entry::Item(i), SectionKind::ActionItems) => self.task(*i),
                    (Entry::Text { lines, .. }, SectionKind::ActionItems) => {
                        let mut fence = false;
                        for i in lines.clone() {
                            let line = self.line(i);
                            let t = line.trim_start();
                            if t.starts_with("```") || t.starts_with("~~~") {
                                fence = !fence;
                            }
                            if !fence && is_list_item(line) {
                                self.push(
                                    Rule::TaskSyntax,
                                    i,
                                    0,
                                    "this list item is not a task".into(),
                                    Some(TASK_HINT.into()),
                                );
                            }
                        }
                    }
                    (Entry::Item(i), SectionKind::Decisions | SectionKind::KeyInformation)
                        if self.line(*i).get(1..).unwrap_or("").trim().is_empty() =>
                    {
                        self.push(
                            Rule::ItemEmpty,
                            *i,
                            0,
                            format!("an empty item in `## {}`", kind.title()),
                            Some("write the statement, or remove the line".into()),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    fn task(&mut self, idx: usize) {
        let line = self.line(idx).to_string();
        let Some(t) = TaskLine::scan(&line) else {
            return;
        };
        let end = line.len();
        if t.text.text.is_empty() {
            self.push(
                Rule::TaskTextEmpty,
                idx,
                t.text.at,
                "the action item has no text".into(),
                Some("say what is to be done, before the `@Owner`".into()),
            );
        }
        let mut owners: Vec<String> = self.v.participants.clone().unwrap_or_default();
        owners.extend(OWNER_KEYWORDS.iter().map(|s| s.to_string()));
        match t.owner {
            Some(o) if !o.text.is_empty() => {
                if self.v.participants.is_some() && !owners.iter().any(|p| p == o.text) {
                    let list: Vec<String> = owners.iter().map(|o| format!("@{o}")).collect();
                    self.push(
                        Rule::TaskOwnerUnknown,
                        idx,
                        o.at,
                        format!(
                            "the owner `@{}` is not a participant, `Myself` or `TBD`",
                            o.text
                        ),
                        Some(format!("use one of: {}", list.join(", "))),
                    );
                }
            }
            _ => self.push(
                Rule::TaskOwnerMissing,
                idx,
                t.owner.map_or(t.text.at + t.text.text.len(), |o| o.at),
                "the action item has no `@Owner`".into(),
                Some("add `@Name` after the text: a participant, `@Myself` or `@TBD`".into()),
            ),
        }
        if let Some(first) = t.other_owners.first() {
            let mut all: Vec<String> = t
                .other_owners
                .iter()
                .map(|o| {
                    format!(
                        "`{}`",
                        o.text.trim_end_matches(['.', ',', ';', ':', '!', '?', ')'])
                    )
                })
                .collect();
            if let Some(o) = t.owner {
                all.push(format!("`@{}`", o.text));
            }
            self.push(
                Rule::TaskOwnerMultiple,
                idx,
                first.at,
                format!(
                    "the action item has more than one owner: {}",
                    all.join(", ")
                ),
                Some("keep one `@Owner`; name anyone else in the text without `@`".into()),
            );
        }
        if let Some(&second) = t.priority_tokens.get(1) {
            self.push(
                Rule::TaskPriority,
                idx,
                second,
                "the action item has more than one priority".into(),
                Some("keep one of 🔺 ⏫ 🔼 🔽 ⏬".into()),
            );
        }
        let due_hint = Some("write `📅 YYYY-MM-DD` after the owner".to_string());
        if let Some(&second) = t.due_tokens.get(1) {
            self.push(
                Rule::TaskDueInvalid,
                idx,
                second,
                "the action item has more than one due date".into(),
                due_hint,
            );
        } else if let Some(d) = t.due {
            if d.text.is_empty() {
                self.push(
                    Rule::TaskDueInvalid,
                    idx,
                    d.at,
                    "`📅` has no date".into(),
                    due_hint,
                );
            } else if Date::parse(d.text).is_err() {
                self.push(
                    Rule::TaskDueInvalid,
                    idx,
                    d.at,
                    format!(
                        "the due date \"{}\" is not a real date in the form YYYY-MM-DD",
                        d.text
                    ),
                    due_hint,
                );
            }
        } else if let Some(&at) = t.due_tokens.first() {
            self.push(
                Rule::TaskDueInvalid,
                idx,
                at,
                "`📅` is not among the signifiers at the end of the item, where Tasks reads it"
                    .into(),
                due_hint,
            );
        }
        let lacking: Vec<String> = TASK_TAGS
            .iter()
            .filter(|tag| !t.all_tags.contains(tag))
            .map(|tag| format!("#{tag}"))
            .collect();
        if !lacking.is_empty() {
            self.push(
                Rule::TaskTagMissing,
                idx,
                end,
                format!("the action item lacks {}", lacking.join(" ")),
                Some("end the item with `#task #proposed #auto`".into()),
            );
        }
    }

    fn footer(&mut self) {
        let doc = self.doc;
        let stem = self
            .v
            .source_ref
            .as_deref()
            .map(source_stem)
            .map(str::to_string);
        match doc.source {
            None => {
                let n = doc.lines.len();
                let last = (0..n)
                    .rev()
                    .find(|&i| !self.line(i).trim().is_empty())
                    .unwrap_or(0);
                let shown = stem.unwrap_or_else(|| "<file stem of source_ref>".into());
                self.push(
                    Rule::SourceLinkMissing,
                    last,
                    0,
                    "the note does not end with a `*Source: [[…]]*` line".into(),
                    Some(format!(
                        "end the note with `---`, a blank line and `*Source: [[{shown}]]*`"
                    )),
                );
            }
            Some((idx, link)) => {
                if let Some(stem) = stem {
                    if link != stem {
                        let byte = self.line(idx).find("[[").map_or(0, |b| b + 2);
                        self.push(
                            Rule::SourceLinkMismatch,
                            idx,
                            byte,
                            format!("the source link [[{link}]] does not match `source_ref`, whose file stem is \"{stem}\""),
                            Some(format!("write `*Source: [[{stem}]]*`")),
                        );
                    }
                }
                if doc.footer_rule.is_none() {
                    self.push(
                        Rule::FooterRuleMissing,
                        idx,
                        0,
                        "no `---` line before the source line".into(),
                        Some("put a `---` line and a blank line above `*Source: …*`".into()),
                    );
                }
            }
        }
    }
}

/// A list item at the start of a line: `- `, `* `, `+ `, or `1. ` / `1) `.
fn is_list_item(line: &str) -> bool {
    if list_marker(line).is_some() {
        return true;
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    digits > 0 && {
        let rest = &line[digits..];
        (rest.starts_with(". ") || rest.starts_with(") ")) || rest == "." || rest == ")"
    }
}

#[cfg(test)]
mod tests {
    use super::near_title;

    #[test]
    fn near_titles_are_misspellings_and_shortenings_not_other_words() {
        for (title, expected) in [
            ("Decison", "Decisions"),
            ("decisions", "Decisions"),
            ("Decision log", "Decisions"),
            ("Key Info", "Key Information"),
            ("action items", "Action Items"),
            ("Actions", "Action Items"),
            ("Sumary", "Summary"),
        ] {
            assert!(near_title(title, expected), "{title} ~ {expected}");
        }
        for (title, expected) in [
            ("My notes", "Decisions"),
            ("Outcomes", "Decisions"),
            ("Next steps", "Action Items"),
            ("Risks", "Key Information"),
        ] {
            assert!(!near_title(title, expected), "{title} !~ {expected}");
        }
    }
}
