//! The validator's rules: each has a stable id (`key-order`), a severity and a one-line
//! description. *I/O rules* are problems reading a file rather than problems in a note;
//! `recap validate` exits with status 2 when one fires.

use std::fmt;

use serde::{Serialize, Serializer};

use super::diagnostic::Severity;

macro_rules! rules {
    ($($variant:ident $id:literal $severity:ident $desc:literal,)*) => {
        /// A validation rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $(#[doc = $desc] $variant,)*
        }

        impl Rule {
            /// Every rule, in the order of the documentation.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The rule's id, as diagnostics print it.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            /// What the rule checks, in one line.
            pub fn description(self) -> &'static str {
                match self { $(Rule::$variant => $desc,)* }
            }

            pub fn from_id(id: &str) -> Option<Rule> {
                Self::ALL.iter().copied().find(|r| r.id() == id)
            }
        }
    };
}

rules! {
    IoError "io-error" Error "The path can be read (it exists, is a file or folder, and is readable).",
    SymlinkLoop "symlink-loop" Error "Symbolic links do not form a loop.",
    FileTooLarge "file-too-large" Error "The file is at most 10 MiB.",
    FileBinary "file-binary" Error "The file is text (no NUL bytes).",
    FileEncoding "file-encoding" Error "The file is valid UTF-8.",
    FrontmatterMissing "frontmatter-missing" Error "The note starts with `---` YAML frontmatter.",
    FrontmatterUnterminated "frontmatter-unterminated" Error "The frontmatter is closed by a `---` line.",
    FrontmatterYaml "frontmatter-yaml" Error "The frontmatter is valid YAML and a mapping of keys to values.",
    KeyMissing "key-missing" Error "The frontmatter has type, title, date, person, participants, source, source_ref and tags.",
    KeyOrder "key-order" Error "Those keys come in that order.",
    KeyType "key-type" Error "Each key's value has the right type (a string; a list of strings for participants and tags).",
    TitleEmpty "title-empty" Error "`title` is not empty.",
    DateInvalid "date-invalid" Error "`date` is YYYY-MM-DD and a real calendar date.",
    ParticipantsEmpty "participants-empty" Error "`participants` lists at least one name, and no name is blank.",
    ParticipantsDuplicate "participants-duplicate" Error "`participants` names each person once.",
    TypeUnknown "type-unknown" Error "`type` is one of the configured note types (people, meeting, and the config's note_types).",
    SourceUnknown "source-unknown" Error "`source` is `transcript`.",
    SourceRefEmpty "source-ref-empty" Error "`source_ref` is not empty.",
    TagInvalid "tag-invalid" Error "Each tag is a tag Obsidian accepts (no spaces, no `#`).",
    TagMissing "tag-missing" Error "`tags` holds `type/<type>`, `person/<slug of person>` when a person is set, and `generated`.",
    TagMismatch "tag-mismatch" Error "`type/` and `person/` tags match `type` and `person`.",
    PersonEmpty "person-empty" Warning "A people note names its person (and so has no bare `person/` tag).",
    HeadingMissing "heading-missing" Error "The note has a `# ` heading.",
    HeadingTitleMismatch "heading-title-mismatch" Error "The `# ` heading equals `title`.",
    DateLineMissing "date-line-missing" Error "The note has a `**Date**: ` line under the heading.",
    DateLineMismatch "date-line-mismatch" Error "The `**Date**` line equals `date`.",
    WithLineMissing "with-line-missing" Error "The note has a `**With**: ` line under the heading.",
    WithLineMismatch "with-line-mismatch" Error "The `**With**` line lists `participants`, comma-separated.",
    SectionMissing "section-missing" Error "The note has the sections Summary, Action Items, Decisions and Key Information.",
    SectionOrder "section-order" Error "Those sections come in that order.",
    SectionDuplicate "section-duplicate" Error "Each of those sections appears once.",
    SectionEmpty "section-empty" Error "A section with nothing in it holds the line `_None._`.",
    SectionNoneWithItems "section-none-with-items" Error "A section with items does not also say `_None._`.",
    ItemEmpty "item-empty" Error "A Decisions or Key Information item has text.",
    TaskSyntax "task-syntax" Error "Each list item under Action Items is a task: `- [<status>] <text> @<Owner> ...`.",
    TaskTextEmpty "task-text-empty" Error "An action item says what is to be done.",
    TaskOwnerMissing "task-owner-missing" Error "An action item has an owner `@Name`.",
    TaskOwnerMultiple "task-owner-multiple" Error "An action item has exactly one owner.",
    TaskOwnerUnknown "task-owner-unknown" Error "The owner is a participant, `Myself` or `TBD`.",
    TaskPriority "task-priority" Error "An action item has at most one priority emoji (🔺 ⏫ 🔼 🔽 ⏬).",
    TaskDueInvalid "task-due-invalid" Error "A due date is `📅 YYYY-MM-DD`, a real date, at most once.",
    TaskTagMissing "task-tag-missing" Error "An action item carries #task, #proposed and #auto.",
    SourceLinkMissing "source-link-missing" Error "The note ends with `*Source: [[<stem of source_ref>]]*`.",
    SourceLinkMismatch "source-link-mismatch" Error "The source wikilink is the file stem of `source_ref`.",
    FooterRuleMissing "footer-rule-missing" Error "A `---` line comes before the source line.",
}

impl Rule {
    /// Whether this is a problem reading the file (exit status 2) rather than in a note.
    pub fn is_io(self) -> bool {
        matches!(self, Rule::IoError | Rule::SymlinkLoop)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        for (i, r) in Rule::ALL.iter().enumerate() {
            assert_eq!(Rule::from_id(r.id()), Some(*r));
            assert!(Rule::ALL[..i].iter().all(|o| o.id() != r.id()));
        }
        assert_eq!(Rule::PersonEmpty.severity(), Severity::Warning);
    }
}
