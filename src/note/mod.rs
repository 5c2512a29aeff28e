//! The note: the markdown document recap writes and validates.
//!
//! Words used throughout:
//! - **note**: one markdown file: YAML *frontmatter* between `---` lines, a `# title`
//!   heading, the `**Date**` and `**With**` lines, four *sections* (`## Summary`,
//!   `## Action Items`, `## Decisions`, `## Key Information`), then the *footer*: `---`
//!   and `*Source: [[<stem of source_ref>]]*`.
//! - **generated fields**: what recap writes (the frontmatter values, the summary, the
//!   items of the three list sections). **User content**: what a person added by hand
//!   (their own tags, frontmatter keys, sections and free text), kept by [`Note::parse`]
//!   and written back by [`Note::render`] so that regenerating a note loses none of it.
//! - **action item**: a line in Obsidian Tasks syntax,
//!   `- [?] <text> @<Owner> [priority] [📅 YYYY-MM-DD] #task #proposed #auto`.
//! - **empty section**: a section with nothing in it holds the single line `_None._`
//!   ([`NONE_MARKER`]); a section with no line at all is an error.
//!
//! [`model`] holds the types, [`render`] and [`parse`] convert them to and from markdown,
//! [`schema`] is the JSON Schema (one file, `schema/note.schema.json`), [`validate()`]
//! checks one note's text and [`check`] checks files and folders of notes.

pub mod action_item;
pub mod check;
pub mod diagnostic;
pub mod model;
pub mod parse;
pub mod render;
pub mod rule;
pub mod schema;
pub mod source_ref;
pub mod user_content;
pub mod validate;

mod document;

pub use action_item::{ActionItem, Priority, STATUS_PROPOSED};
pub use check::{check_paths, check_paths_each, Report};
pub use diagnostic::{Diagnostic, Severity};
pub use model::{slug, source_stem, Frontmatter, Note, NONE_MARKER, SECTION_TITLES};
pub use parse::ParseError;
pub use rule::Rule;
pub use schema::{generation_schema, GENERATION_LIMITS};
pub use user_content::{Aside, ExtraYaml, SectionKind, UserContent, UserSection};
pub use validate::{validate, Rules, OWNER_MYSELF, OWNER_TBD};
