//! Note -> markdown, in exactly the reference note's layout.
//!
//! The layout (blank lines matter; `⏎` is one newline):
//! frontmatter values double-quoted, `participants` a flow list, `tags` a block list, a
//! blank line before the closing `---`; one blank line after each heading line of the
//! title block; `## Summary`, a blank line, the paragraph, two blank lines; each list
//! section's heading followed by two blank lines, each item followed by one, then three
//! more before the next heading (two before the footer); the footer `---`, a blank line
//! and `*Source: [[stem]]*` with no trailing newline. A section with no items holds
//! [`NONE_MARKER`]. User content goes back where [`super::UserContent`] anchors it.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::document::is_fence;
use super::model::{Note, FRONTMATTER_KEYS, NONE_MARKER};
use super::user_content::{Aside, SectionKind};

/// `s` on one line: line breaks become spaces (for headings, list items and values that
/// a line break would split).
pub(crate) fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['\n', '\r']) {
        s.replace("\r\n", " ").replace(['\n', '\r'], " ").into()
    } else {
        s.into()
    }
}

/// `s` as a YAML double-quoted scalar. Characters YAML reads as line breaks or does not
/// allow unescaped are escaped, so any string survives a round trip.
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{20}'..='\u{7e}' => out.push(c),
            '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..
                if !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') =>
            {
                out.push(c)
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

fn flow_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| yaml_quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Text blocks of one section, in order: `(text, attached)`.
fn section_blocks(items: Vec<String>, asides: &[&Aside]) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    if items.is_empty() {
        out.push((NONE_MARKER.to_string(), false));
    }
    let n = items.len();
    let mut items = items.into_iter();
    for i in 0..=n {
        for a in asides.iter().filter(|a| a.after.min(n) == i) {
            let text = text_block(&a.text);
            if !text.is_empty() {
                out.push((text.into_owned(), a.attached && i > 0));
            }
        }
        if let Some(item) = items.next() {
            out.push((item, false));
        }
    }
    out
}

fn join_blocks(blocks: &[(String, bool)]) -> String {
    let mut s = String::new();
    for (i, (text, attached)) in blocks.iter().enumerate() {
        if i > 0 {
            s.push_str(if *attached { "\n" } else { "\n\n" });
        }
        s.push_str(text);
    }
    s
}

/// `s` without leading and trailing blank lines (indentation of the first line kept).
pub(crate) fn trim_blank_lines(s: &str) -> &str {
    let s = s.trim_end();
    let mut start = 0;
    for line in s.split_inclusive('\n') {
        if line.trim().is_empty() {
            start += line.len();
        } else {
            break;
        }
    }
    &s[start..]
}

/// A free-text block as written back: without surrounding blank lines, and with a code
/// fence it leaves open closed (an open fence would swallow the headings after it).
pub(crate) fn text_block(s: &str) -> Cow<'_, str> {
    let s = trim_blank_lines(s);
    let open = s.lines().filter(|l| is_fence(l)).count() % 2 == 1;
    if open {
        format!("{s}\n```").into()
    } else {
        s.into()
    }
}

/// Where a user section goes: after the section it follows, and never before the
/// generated section whose title it repeats.
fn effective_after(s: &super::user_content::UserSection) -> Option<SectionKind> {
    let title = one_line(&s.heading);
    match SectionKind::from_title(title.trim()) {
        Some(kind) => s.after.max(Some(kind)),
        None => s.after,
    }
}

/// A part of the body and the blank space it wants before the next heading / the footer.
struct Part {
    text: String,
    gap_heading: &'static str,
    gap_footer: &'static str,
}

impl Note {
    /// The note as markdown, in the reference layout (no trailing newline).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.render_frontmatter(&mut out);
        let fm = &self.frontmatter;
        let _ = write!(
            out,
            "# {}\n\n**Date**: {}\n**With**: {}\n\n",
            one_line(&fm.title),
            one_line(&fm.date),
            fm.participants
                .iter()
                .map(|p| one_line(p).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for block in &self.user.head {
            let text = text_block(block);
            if !text.is_empty() {
                out.push_str(&text);
                out.push_str("\n\n");
            }
        }

        let mut parts: Vec<Part> = Vec::new();
        self.push_user_sections(&mut parts, None);
        for kind in SectionKind::ALL {
            parts.push(self.section_part(kind));
            self.push_user_sections(&mut parts, Some(kind));
        }
        for (i, part) in parts.iter().enumerate() {
            out.push_str(&part.text);
            out.push_str(if i + 1 == parts.len() {
                part.gap_footer
            } else {
                part.gap_heading
            });
        }

        let _ = write!(out, "---\n\n*Source: [[{}]]*", one_line(self.source_link()));
        for block in &self.user.tail {
            let text = text_block(block);
            if !text.is_empty() {
                out.push_str("\n\n");
                out.push_str(&text);
            }
        }
        out
    }

    fn render_frontmatter(&self, out: &mut String) {
        let fm = &self.frontmatter;
        let extras = |out: &mut String, after: Option<&str>| {
            for e in &self.user.frontmatter {
                // Anchored to a key a note does not have: after the last key.
                let anchor = match e.after.as_deref() {
                    Some(a) if !FRONTMATTER_KEYS.contains(&a) => Some("tags"),
                    other => other,
                };
                let text = e.text.trim_end();
                if anchor == after && !text.trim().is_empty() {
                    out.push_str(text);
                    out.push('\n');
                }
            }
        };
        out.push_str("---\n");
        extras(out, None);
        for key in FRONTMATTER_KEYS {
            match key {
                "type" => {
                    let _ = writeln!(out, "type: {}", yaml_quote(&fm.note_type));
                }
                "title" => {
                    let _ = writeln!(out, "title: {}", yaml_quote(&fm.title));
                }
                "date" => {
                    let _ = writeln!(out, "date: {}", yaml_quote(&fm.date));
                }
                "person" => {
                    let _ = writeln!(out, "person: {}", yaml_quote(&fm.person));
                }
                "participants" => {
                    let _ = writeln!(out, "participants: {}", flow_list(&fm.participants));
                }
                "source" => {
                    let _ = writeln!(out, "source: {}", yaml_quote(&fm.source));
                }
                "source_ref" => {
                    let _ = writeln!(out, "source_ref: {}", yaml_quote(&fm.source_ref));
                }
                _ => {
                    if fm.tags.is_empty() {
                        out.push_str("tags: []\n");
                    } else {
                        out.push_str("tags:\n");
                        for tag in &fm.tags {
                            let _ = writeln!(out, "  - {}", yaml_quote(tag));
                        }
                    }
                }
            }
            extras(out, Some(key));
        }
        out.push_str("\n---\n\n");
    }

    fn section_part(&self, kind: SectionKind) -> Part {
        let asides: Vec<&Aside> = self
            .user
            .asides
            .iter()
            .filter(|a| a.section == kind)
            .collect();
        let item = |s: &String| format!("- {}", one_line(s).trim());
        let (items, list) = match kind {
            SectionKind::Summary => {
                let summary = self.summary.trim();
                let items = if summary.is_empty() {
                    vec![]
                } else {
                    vec![text_block(summary).into_owned()]
                };
                (items, false)
            }
            SectionKind::ActionItems => {
                (self.action_items.iter().map(|a| a.render()).collect(), true)
            }
            SectionKind::Decisions => (self.decisions.iter().map(item).collect(), true),
            SectionKind::KeyInformation => (self.key_information.iter().map(item).collect(), true),
        };
        let body = join_blocks(&section_blocks(items, &asides));
        if list {
            Part {
                text: format!("## {}\n\n\n{body}\n\n", kind.title()),
                gap_heading: "\n\n\n",
                gap_footer: "\n\n",
            }
        } else {
            Part {
                text: format!("## {}\n\n{body}\n\n", kind.title()),
                gap_heading: "\n",
                gap_footer: "\n\n",
            }
        }
    }

    fn push_user_sections(&self, parts: &mut Vec<Part>, after: Option<SectionKind>) {
        for s in self
            .user
            .sections
            .iter()
            .filter(|s| effective_after(s) == after)
        {
            let body = text_block(&s.body);
            let mut text = format!("## {}\n\n", one_line(&s.heading).trim());
            if !body.is_empty() {
                text.push_str(&body);
                text.push_str("\n\n");
            }
            parts.push(Part {
                text,
                gap_heading: "\n",
                gap_footer: "\n\n",
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_the_reference_and_escapes_what_yaml_would_fold() {
        assert_eq!(yaml_quote("1:1 with Jeff"), "\"1:1 with Jeff\"");
        assert_eq!(yaml_quote("VAST’s"), "\"VAST’s\"");
        assert_eq!(yaml_quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(
            yaml_quote("x\u{85}\u{2028}\u{1}"),
            "\"x\\u0085\\u2028\\u0001\""
        );
    }

    #[test]
    fn trims_blank_lines_only() {
        assert_eq!(trim_blank_lines("\n \n  - sub\n\n"), "  - sub");
        assert_eq!(trim_blank_lines(" \n"), "");
    }
}
