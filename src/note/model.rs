//! The note as data: [`Note`] and its [`Frontmatter`].
//!
//! The *generated fields* are the frontmatter values and the four sections' contents;
//! everything a person added by hand lives in [`Note::user`] so a regenerated note can
//! keep it. The frontmatter's `title` is also the `# ` heading, its `date` and
//! `participants` are also the `**Date**` and `**With**` lines, and the footer's
//! wikilink is the file stem of `source_ref`: those copies are derived, never stored twice.

use serde::{Deserialize, Serialize};

use super::action_item::ActionItem;
use super::user_content::UserContent;

/// The line a section with nothing in it holds.
pub const NONE_MARKER: &str = "_None._";

/// The four sections' headings (without `## `), in the order a note has them.
pub const SECTION_TITLES: [&str; 4] = ["Summary", "Action Items", "Decisions", "Key Information"];

/// The frontmatter keys every note has, in the order a note writes them.
pub const FRONTMATTER_KEYS: [&str; 8] = [
    "type",
    "title",
    "date",
    "person",
    "participants",
    "source",
    "source_ref",
    "tags",
];

/// The tag every generated note carries.
pub const GENERATED_TAG: &str = "generated";

/// The `source` value of a note made from a transcript.
pub const TRANSCRIPT_SOURCE: &str = "transcript";

/// The YAML frontmatter's eight keys, typed. Field order is the key order of a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frontmatter {
    /// The note type: `people` (a 1:1), `meeting`, or a configured one.
    #[serde(rename = "type")]
    pub note_type: String,
    /// The title; also the `# ` heading.
    pub title: String,
    /// The meeting date, `YYYY-MM-DD`.
    pub date: String,
    /// The other person of a `people` note; empty when there is none.
    pub person: String,
    /// Everyone in the meeting, as named in action items' `@Owner`.
    pub participants: Vec<String>,
    /// Where the note came from: `transcript`.
    pub source: String,
    /// Path of the transcript; the footer links to its file stem.
    pub source_ref: String,
    /// All tags in order: the generated ones (`type/<type>`, `person/<slug>`,
    /// `generated`) and any a person added.
    pub tags: Vec<String>,
}

impl Frontmatter {
    /// The frontmatter of a newly generated note: `source` is `transcript` and the tags
    /// are `type/<note_type>`, `person/<slug>` (only when `person` is set) and `generated`.
    pub fn generated(
        note_type: &str,
        title: &str,
        date: &str,
        person: &str,
        participants: Vec<String>,
        source_ref: &str,
    ) -> Self {
        let mut fm = Self {
            note_type: note_type.to_string(),
            title: title.to_string(),
            date: date.to_string(),
            person: person.to_string(),
            participants,
            source: TRANSCRIPT_SOURCE.to_string(),
            source_ref: source_ref.to_string(),
            tags: Vec::new(),
        };
        fm.tags = fm.generated_tags();
        fm
    }

    /// The tags recap generates for these values, in the order it writes them.
    pub fn generated_tags(&self) -> Vec<String> {
        let mut tags = vec![format!("type/{}", self.note_type)];
        if !self.person.trim().is_empty() {
            tags.push(format!("person/{}", slug(&self.person)));
        }
        tags.push(GENERATED_TAG.to_string());
        tags
    }

    /// Tags a person added: those that are not type, person or `generated` tags.
    pub fn user_tags(&self) -> impl Iterator<Item = &str> {
        self.tags
            .iter()
            .map(String::as_str)
            .filter(|t| *t != GENERATED_TAG && !t.starts_with("type/") && !t.starts_with("person/"))
    }
}

/// A meeting note: frontmatter, the four sections' contents and the user's additions.
///
/// Build one from parts with [`Note::new`] and public fields; turn it into markdown with
/// [`Note::render`] and back with [`Note::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub frontmatter: Frontmatter,
    /// `## Summary`: one paragraph; empty when there is nothing to say.
    pub summary: String,
    /// `## Action Items`.
    pub action_items: Vec<ActionItem>,
    /// `## Decisions`: one statement each.
    pub decisions: Vec<String>,
    /// `## Key Information`: one statement each.
    pub key_information: Vec<String>,
    /// What a person added by hand; empty for a freshly generated note.
    #[serde(default, skip_serializing_if = "UserContent::is_empty")]
    pub user: UserContent,
}

impl Note {
    /// A note with this frontmatter and empty sections.
    pub fn new(frontmatter: Frontmatter) -> Self {
        Self {
            frontmatter,
            ..Self::default()
        }
    }

    /// The footer's wikilink target: the file stem of `source_ref`.
    pub fn source_link(&self) -> &str {
        source_stem(&self.frontmatter.source_ref)
    }
}

/// The file stem of a path written with `/` or `\` separators: the last component
/// without its last extension (`a/b/2025-11-07 - call.md` -> `2025-11-07 - call`).
pub fn source_stem(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    }
}

/// The slug of a person's name as used in `person/<slug>` tags: lowercase letters and
/// digits, runs of anything else turned into one `-` (`Jeff Denworth` -> `jeff-denworth`).
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_stems() {
        assert_eq!(slug("Jeff Denworth"), "jeff-denworth");
        assert_eq!(slug("  Renée O'Neil-Smith "), "renée-o-neil-smith");
        assert_eq!(slug(""), "");
        assert_eq!(
            source_stem("/a/b/2025-11-07 - x; y.md"),
            "2025-11-07 - x; y"
        );
        assert_eq!(source_stem("C:\\t\\call.vtt"), "call");
        assert_eq!(source_stem(".hidden"), ".hidden");
        assert_eq!(source_stem("a.tar.gz"), "a.tar");
        assert_eq!(source_stem(""), "");
    }

    #[test]
    fn generated_tags_skip_an_empty_person() {
        let fm = Frontmatter::generated("meeting", "t", "2025-01-02", "", vec![], "x.vtt");
        assert_eq!(fm.tags, ["type/meeting", "generated"]);
        let fm = Frontmatter::generated("people", "t", "2025-01-02", "Jeff Denworth", vec![], "");
        assert_eq!(
            fm.tags,
            ["type/people", "person/jeff-denworth", "generated"]
        );
        assert_eq!(fm.source, "transcript");
    }
}
