//! What a person added to a note by hand, kept so that rendering writes it back in place.
//!
//! Terms: an *aside* is free text inside one of the four sections (a paragraph between
//! items, or lines *attached* directly under an item, such as sub-bullets); a *user
//! section* is a `## ` section of their own; *extra YAML* is a frontmatter key of their
//! own, kept as written. Each is anchored to what precedes it in the generated layout, so
//! it comes back at the same place. User tags live in [`super::Frontmatter::tags`] and an
//! item's status in [`super::ActionItem::status`].

use serde::{Deserialize, Serialize};

/// One of the four generated sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    Summary,
    ActionItems,
    Decisions,
    KeyInformation,
}

impl SectionKind {
    pub const ALL: [SectionKind; 4] = [
        SectionKind::Summary,
        SectionKind::ActionItems,
        SectionKind::Decisions,
        SectionKind::KeyInformation,
    ];

    /// The heading text, without `## `.
    pub fn title(self) -> &'static str {
        super::model::SECTION_TITLES[self.index()]
    }

    /// Position in the note, 0 for Summary.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_title(title: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.title() == title)
    }
}

/// Everything a person added; empty for a freshly generated note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserContent {
    /// Frontmatter keys (and comments) of their own, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frontmatter: Vec<ExtraYaml>,
    /// Paragraphs between the `**With**` line and the first section (text they put
    /// around the heading lines comes back here too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub head: Vec<String>,
    /// Free text inside the four sections.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asides: Vec<Aside>,
    /// Sections of their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<UserSection>,
    /// Paragraphs after the `*Source: [[…]]*` line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tail: Vec<String>,
}

impl UserContent {
    pub fn is_empty(&self) -> bool {
        self.frontmatter.is_empty()
            && self.head.is_empty()
            && self.asides.is_empty()
            && self.sections.is_empty()
            && self.tail.is_empty()
    }
}

/// A frontmatter key of the user's own (or a comment), as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraYaml {
    /// The standard key it follows (`None`: before `type`).
    pub after: Option<String>,
    /// The YAML lines, without a trailing newline (`aliases: [JD]`).
    pub text: String,
}

/// Free text inside one of the four sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aside {
    pub section: SectionKind,
    /// How many of the section's items come before it (the summary paragraph counts
    /// as the Summary's one item).
    pub after: usize,
    /// Written directly under the preceding item, with no blank line between.
    pub attached: bool,
    /// The lines, without a trailing newline.
    pub text: String,
}

/// A `## ` section of the user's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSection {
    /// The generated section it follows (`None`: before `## Summary`).
    pub after: Option<SectionKind>,
    /// The heading text without `## `.
    pub heading: String,
    /// The body lines as written, without leading or trailing blank lines.
    pub body: String,
}
