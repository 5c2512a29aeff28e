//! Markdown -> [`Note`], tolerant of what people do to notes in Obsidian.
//!
//! Accepted: CRLF or LF line endings, a BOM, no trailing newline; any task status
//! (`[ ]`, `[x]`, `[-]`, ...); `*`/`+` bullets; edited text; tags, frontmatter keys,
//! sections and free text of the user's own (kept in [`super::UserContent`]); sections
//! out of order (rendering puts them back in order). Values of the wrong YAML type are
//! read as well as they can be (a number as its text, a single string as a one-item
//! list); [`super::validate()`] reports them. The frontmatter must be present and be a
//! YAML mapping, or parsing fails with a [`ParseError`]. Parsing never panics.
//!
//! Not kept: comments inside a generated frontmatter key's value, and the exact blank
//! lines between blocks (rendering writes the reference layout).

use yaml_serde::Value as Yaml;

use super::action_item::TaskLine;
use super::document::{Document, Entry};
use super::model::{Frontmatter, Note, FRONTMATTER_KEYS};
use super::render::trim_blank_lines;
use super::user_content::{Aside, ExtraYaml, SectionKind, UserContent, UserSection};

/// Why a text is not a note at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line 1: the note does not start with `---` frontmatter\nhint: start the file with a `---` line, the YAML keys, and another `---` line")]
    MissingFrontmatter,
    #[error(
        "line 1: the frontmatter is never closed\nhint: end the frontmatter with a `---` line"
    )]
    UnterminatedFrontmatter,
    #[error("line {line}, column {column}: invalid frontmatter: {message}")]
    Yaml {
        line: usize,
        column: usize,
        message: String,
    },
}

/// A YAML scalar as text (`""` for null and for lists and mappings).
pub(crate) fn yaml_string(v: Option<&Yaml>) -> String {
    match v {
        Some(Yaml::String(s)) => s.clone(),
        Some(Yaml::Number(n)) => n.to_string(),
        Some(Yaml::Bool(b)) => b.to_string(),
        Some(Yaml::Tagged(t)) => yaml_string(Some(&t.value)),
        _ => String::new(),
    }
}

/// A YAML list as strings (a single scalar as a one-item list).
pub(crate) fn yaml_list(v: Option<&Yaml>) -> Vec<String> {
    match v {
        Some(Yaml::Sequence(items)) => items.iter().map(|i| yaml_string(Some(i))).collect(),
        Some(Yaml::Tagged(t)) => yaml_list(Some(&t.value)),
        None | Some(Yaml::Null) => Vec::new(),
        Some(other) => vec![yaml_string(Some(other))],
    }
}

impl Note {
    /// Parses a note's markdown. See the module docs for what is tolerated.
    pub fn parse(text: &str) -> Result<Note, ParseError> {
        Note::from_document(&Document::scan(text))
    }

    pub(crate) fn from_document(doc: &Document<'_>) -> Result<Note, ParseError> {
        let fm = doc
            .frontmatter
            .as_ref()
            .ok_or(ParseError::MissingFrontmatter)?;
        if fm.close.is_none() {
            return Err(ParseError::UnterminatedFrontmatter);
        }
        let map = fm.yaml.as_ref().map_err(|p| ParseError::Yaml {
            line: p.line + 1,
            column: p.column,
            message: p.message.clone(),
        })?;
        let get = |k: &str| map.get(k);
        let frontmatter = Frontmatter {
            note_type: yaml_string(get("type")),
            title: yaml_string(get("title")),
            date: yaml_string(get("date")),
            person: yaml_string(get("person")),
            participants: yaml_list(get("participants")),
            source: yaml_string(get("source")),
            source_ref: yaml_string(get("source_ref")),
            tags: yaml_list(get("tags")),
        };
        let mut note = Note::new(frontmatter);
        let mut user = UserContent::default();

        // Frontmatter keys of the user's own, anchored to the standard key before them.
        let mut last_key: Option<String> = None;
        for (key, range) in &fm.blocks {
            match key {
                Some(k) if FRONTMATTER_KEYS.contains(k) => last_key = Some(k.to_string()),
                _ => {
                    let text = doc.text(range.clone());
                    let text = trim_blank_lines(&text);
                    if !text.is_empty() {
                        user.frontmatter.push(ExtraYaml {
                            after: last_key.clone(),
                            text: text.to_string(),
                        });
                    }
                }
            }
        }

        for block in &doc.head_blocks {
            user.head.push(doc.text(block.clone()));
        }

        let mut last_section: Option<SectionKind> = None;
        for section in &doc.sections {
            let Some(kind) = section.kind else {
                let body = doc.text(section.body.clone());
                user.sections.push(UserSection {
                    after: last_section,
                    heading: section.title.to_string(),
                    body: trim_blank_lines(&body).to_string(),
                });
                continue;
            };
            last_section = Some(kind);
            let mut count = 0;
            let mut none_seen = false;
            for entry in &section.entries {
                match entry {
                    Entry::None(_) => none_seen = true,
                    Entry::Item(i) => {
                        let line = doc.lines[*i];
                        match kind {
                            SectionKind::ActionItems => {
                                if let Some(task) = TaskLine::scan(line) {
                                    note.action_items.push(task.to_item());
                                }
                            }
                            SectionKind::Decisions => note
                                .decisions
                                .push(line.get(1..).unwrap_or("").trim().into()),
                            SectionKind::KeyInformation => note
                                .key_information
                                .push(line.get(1..).unwrap_or("").trim().into()),
                            SectionKind::Summary => {}
                        }
                        count += 1;
                    }
                    Entry::Text { lines, attached } => {
                        let text = doc.text(lines.clone());
                        if kind == SectionKind::Summary && count == 0 && !none_seen {
                            note.summary = text.trim().to_string();
                            count = 1;
                        } else {
                            user.asides.push(Aside {
                                section: kind,
                                after: count,
                                attached: *attached && count > 0,
                                text,
                            });
                        }
                    }
                }
            }
        }

        for block in &doc.tail_blocks {
            user.tail.push(doc.text(block.clone()));
        }
        note.user = user;
        Ok(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::ActionItem;

    const EDITED: &str = "\u{feff}---\r\naliases: [JD]\r\ntype: \"meeting\"\r\ntitle: \"Sync\"\r\ndate: \"2025-01-02\"\r\nperson: \"\"\r\nparticipants: [\"A\", \"B\"]\r\nsource: \"transcript\"\r\nsource_ref: \"t/x.vtt\"\r\nstatus: draft\r\ntags:\r\n  - \"type/meeting\"\r\n  - \"generated\"\r\n  - \"work\"\r\n---\r\n# Sync\r\n**Date**: 2025-01-02\r\n**With**: A, B\r\n\r\n## Summary\r\nWe met.\r\n\r\nMy own note.\r\n\r\n## Action Items\r\n- [x] Ship it @A #task #proposed #auto\r\n  - sub note\r\n- [ ] Call @B 🔽 📅 2025-01-09 #task #proposed #auto #urgent\r\n\r\n## Mine\r\nprivate\r\n\r\n## Decisions\r\n_None._\r\n## Key Information\r\n* Fact one.\r\n---\r\n*Source: [[x]]*\r\nlater";

    #[test]
    fn keeps_what_a_person_added() {
        let note = Note::parse(EDITED).unwrap();
        let fm = &note.frontmatter;
        assert_eq!(fm.note_type, "meeting");
        assert_eq!(fm.participants, ["A", "B"]);
        assert_eq!(fm.tags, ["type/meeting", "generated", "work"]);
        assert_eq!(fm.user_tags().collect::<Vec<_>>(), ["work"]);
        assert_eq!(note.summary, "We met.");
        assert_eq!(note.action_items.len(), 2);
        assert_eq!(note.action_items[0].status, 'x');
        let mut call = ActionItem::proposed("Call", "B");
        call.status = ' ';
        call.priority = Some(crate::note::Priority::Low);
        call.due = Some("2025-01-09".into());
        call.tags.push("urgent".into());
        assert_eq!(note.action_items[1], call);
        assert!(note.decisions.is_empty());
        assert_eq!(note.key_information, ["Fact one."]);
        let u = &note.user;
        assert_eq!(
            u.frontmatter,
            [
                ExtraYaml {
                    after: None,
                    text: "aliases: [JD]".into()
                },
                ExtraYaml {
                    after: Some("source_ref".into()),
                    text: "status: draft".into()
                },
            ]
        );
        assert_eq!(
            u.asides,
            [
                Aside {
                    section: SectionKind::Summary,
                    after: 1,
                    attached: false,
                    text: "My own note.".into()
                },
                Aside {
                    section: SectionKind::ActionItems,
                    after: 1,
                    attached: true,
                    text: "  - sub note".into()
                },
            ]
        );
        assert_eq!(
            u.sections,
            [UserSection {
                after: Some(SectionKind::ActionItems),
                heading: "Mine".into(),
                body: "private".into()
            }]
        );
        assert_eq!(u.tail, ["later"]);

        let rendered = note.render();
        assert!(
            rendered.starts_with("---\naliases: [JD]\ntype: \"meeting\"\n"),
            "{rendered}"
        );
        assert!(
            rendered.contains("source_ref: \"t/x.vtt\"\nstatus: draft\ntags:\n"),
            "{rendered}"
        );
        assert!(rendered.contains("- [x] Ship it @A #task #proposed #auto\n  - sub note\n\n- [ ] Call @B 🔽 📅 2025-01-09 #task #proposed #auto #urgent\n\n\n\n\n## Mine\n\nprivate\n\n\n## Decisions\n\n\n_None._\n\n\n\n\n## Key Information"), "{rendered}");
        assert!(rendered.ends_with("*Source: [[x]]*\n\nlater"), "{rendered}");
        assert_eq!(Note::parse(&rendered).unwrap(), note);
    }

    #[test]
    fn fails_only_without_a_frontmatter_mapping() {
        assert_eq!(Note::parse("# x"), Err(ParseError::MissingFrontmatter));
        assert_eq!(
            Note::parse("---\ntype: x\n"),
            Err(ParseError::UnterminatedFrontmatter)
        );
        let err = Note::parse("---\ntype: [x\n---\n").unwrap_err();
        assert!(matches!(err, ParseError::Yaml { .. }), "{err}");
        assert!(matches!(
            Note::parse("---\n- a\n---\n"),
            Err(ParseError::Yaml { .. })
        ));
        let empty = Note::parse("---\n---").unwrap();
        assert_eq!(empty.frontmatter, Frontmatter::default());
    }
}
