//! Action items: one line each in Obsidian Tasks syntax,
//! `- [<status>] <text> @<Owner> [priority] [📅 YYYY-MM-DD] #task #proposed #auto`.
//!
//! The *status* is the character between the brackets: `?` proposed by recap, ` ` open,
//! `x` done, `-` cancelled; any other character a person or plugin wrote is kept.
//! *Signifiers* are the trailing tokens after the owner: a priority emoji, `📅 <date>`,
//! `#tags`, and other Tasks fields such as `✅ 2025-11-10` (kept verbatim as *fields*).
//! A crate-internal scanner reads a task line with byte offsets, for both parsing and
//! diagnostics.

use serde::{Deserialize, Serialize};

/// The tags every generated action item carries, in order.
pub const TASK_TAGS: [&str; 3] = ["task", "proposed", "auto"];

/// The status recap writes: proposed, waiting for a person to accept it.
pub const STATUS_PROPOSED: char = '?';

/// Marks a due date.
pub const DUE_EMOJI: &str = "📅";

/// Other Tasks fields a person or the Tasks plugin may append (done, created, scheduled,
/// start, cancelled dates); each is followed by one value token.
const FIELD_EMOJI: [&str; 5] = ["✅", "➕", "⏳", "🛫", "❌"];

/// Task priority, from the Tasks plugin's five emoji. The words are what the model writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Highest,
    High,
    Medium,
    Low,
    Lowest,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::Highest,
        Priority::High,
        Priority::Medium,
        Priority::Low,
        Priority::Lowest,
    ];

    /// 🔺 ⏫ 🔼 🔽 ⏬
    pub fn emoji(self) -> &'static str {
        match self {
            Priority::Highest => "🔺",
            Priority::High => "⏫",
            Priority::Medium => "🔼",
            Priority::Low => "🔽",
            Priority::Lowest => "⏬",
        }
    }

    /// `highest`, `high`, `medium`, `low`, `lowest`.
    pub fn word(self) -> &'static str {
        match self {
            Priority::Highest => "highest",
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
            Priority::Lowest => "lowest",
        }
    }

    pub fn from_emoji(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.emoji() == s)
    }

    pub fn from_word(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.word() == s)
    }
}

/// One action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    /// The character between the brackets (`?`, ` `, `x`, `-`, ...).
    pub status: char,
    /// What is to be done.
    pub text: String,
    /// Who does it, without the `@`: a participant, `Myself` or `TBD`; empty when missing.
    pub owner: String,
    pub priority: Option<Priority>,
    /// The due date as written after `📅` (`YYYY-MM-DD` in a valid note).
    pub due: Option<String>,
    /// Trailing tags without `#`, in order: `task`, `proposed`, `auto` and any added.
    pub tags: Vec<String>,
    /// Other Tasks fields kept verbatim, e.g. `✅ 2025-11-10`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl ActionItem {
    /// A proposed item as recap generates it: status `?` and the tags `#task #proposed #auto`.
    pub fn proposed(text: &str, owner: &str) -> Self {
        Self {
            status: STATUS_PROPOSED,
            text: text.to_string(),
            owner: owner.to_string(),
            priority: None,
            due: None,
            tags: TASK_TAGS.iter().map(|t| t.to_string()).collect(),
            fields: Vec::new(),
        }
    }

    /// The item's line, without the trailing newline.
    pub fn render(&self) -> String {
        let mut line = String::from("- [");
        line.push(if self.status == '\n' || self.status == '\r' {
            ' '
        } else {
            self.status
        });
        line.push(']');
        let mut push = |part: &str| {
            if !part.is_empty() {
                line.push(' ');
                line.push_str(part);
            }
        };
        push(super::render::one_line(&self.text).trim());
        let owner = super::render::one_line(&self.owner);
        if !owner.trim().is_empty() {
            push(&format!("@{}", owner.trim()));
        }
        if let Some(p) = self.priority {
            push(p.emoji());
        }
        match self
            .due
            .as_deref()
            .map(|d| super::render::one_line(d).trim().to_string())
        {
            Some(d) if d.is_empty() => push(DUE_EMOJI),
            Some(d) => push(&format!("{DUE_EMOJI} {d}")),
            None => {}
        }
        for tag in &self.tags {
            push(&format!("#{}", super::render::one_line(tag).trim()));
        }
        for field in &self.fields {
            push(super::render::one_line(field).trim());
        }
        line
    }

    /// Reads an item from its line; `None` when the line is not `- [c] ...`.
    pub fn parse_line(line: &str) -> Option<Self> {
        TaskLine::scan(line).map(|t| t.to_item())
    }
}

/// A token of a task line: its text and byte offset in the line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub text: &'a str,
    pub at: usize,
}

/// A task line taken apart, with byte offsets into the line for diagnostics.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskLine<'a> {
    pub status: char,
    /// The description (may contain `@mentions` and `#tags` of its own).
    pub text: Token<'a>,
    /// The owner after the last `@`, with the offset of the `@`.
    pub owner: Option<Token<'a>>,
    /// Other `@words` in the description: a second owner.
    pub other_owners: Vec<Token<'a>>,
    /// Priority emoji among the signifiers, in line order.
    pub priorities: Vec<(Priority, usize)>,
    /// Offsets of every priority emoji on the line (signifier or not).
    pub priority_tokens: Vec<usize>,
    /// The due date's value (empty when `📅` stands alone) and the offset of `📅`; the
    /// first one when there are several.
    pub due: Option<Token<'a>>,
    /// Offsets of every `📅` on the line.
    pub due_tokens: Vec<usize>,
    /// Trailing tags, without `#`.
    pub tags: Vec<Token<'a>>,
    /// Tags anywhere on the line, without `#`.
    pub all_tags: Vec<&'a str>,
    pub fields: Vec<Token<'a>>,
}

/// `- `, `* ` or `+ ` list markers as Tasks accepts them; returns the marker character.
pub(crate) fn list_marker(line: &str) -> Option<char> {
    let mut chars = line.chars();
    let m = chars.next()?;
    if !matches!(m, '-' | '*' | '+') {
        return None;
    }
    match chars.next() {
        None => Some(m),
        Some(c) if c == ' ' || c == '\t' => Some(m),
        _ => None,
    }
}

/// Whether `t` (with its `#`) is a tag: `#` then at least one character that is not a
/// digit, with no `#` or whitespace after it.
pub(crate) fn is_tag(t: &str) -> bool {
    let Some(rest) = t.strip_prefix('#') else {
        return false;
    };
    !rest.is_empty()
        && !rest.contains('#')
        && !rest.chars().any(char::is_whitespace)
        && rest.chars().any(|c| !c.is_ascii_digit())
}

fn tokens(s: &str, base: usize) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push(Token {
                    text: &s[st..i],
                    at: base + st,
                });
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(Token {
            text: &s[st..],
            at: base + st,
        });
    }
    out
}

impl<'a> TaskLine<'a> {
    /// Takes a line apart; `None` unless it starts `- [c] ` (or `*`/`+`), or is `- [c]`.
    pub fn scan(line: &'a str) -> Option<Self> {
        list_marker(line)?;
        let after_marker = line.get(1..)?.trim_start_matches([' ', '\t']);
        let box_at = line.len() - after_marker.len();
        let mut chars = after_marker.char_indices();
        if chars.next()?.1 != '[' {
            return None;
        }
        let (_, status) = chars.next()?;
        let (close, c) = chars.next()?;
        if c != ']' {
            return None;
        }
        let rest_at = box_at + close + 1;
        let rest = &line[rest_at..];
        if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            return None;
        }
        let toks = tokens(rest, rest_at);
        let mut task = TaskLine {
            status,
            ..Default::default()
        };
        task.all_tags = toks
            .iter()
            .filter(|t| is_tag(t.text))
            .map(|t| &t.text[1..])
            .collect();
        task.priority_tokens = toks
            .iter()
            .filter(|t| Priority::from_emoji(t.text).is_some())
            .map(|t| t.at)
            .collect();
        task.due_tokens = toks
            .iter()
            .filter(|t| t.text == DUE_EMOJI)
            .map(|t| t.at)
            .collect();

        // Peel signifiers off the end.
        let mut end = toks.len();
        let (mut tags, mut fields, mut priorities) = (Vec::new(), Vec::new(), Vec::new());
        while end > 0 {
            let t = toks[end - 1];
            let before = (end >= 2).then(|| toks[end - 2]);
            if is_tag(t.text) {
                tags.push(Token {
                    text: &t.text[1..],
                    at: t.at,
                });
                end -= 1;
            } else if let Some(p) = Priority::from_emoji(t.text) {
                // A second priority or due date is peeled too (the validator reports
                // it); the item keeps the one nearest the owner.
                priorities.insert(0, (p, t.at));
                end -= 1;
            } else if t.text == DUE_EMOJI || before.is_some_and(|b| b.text == DUE_EMOJI) {
                if t.text == DUE_EMOJI {
                    task.due = Some(Token { text: "", at: t.at });
                    end -= 1;
                } else {
                    let b = before.unwrap_or_default();
                    task.due = Some(Token {
                        text: t.text,
                        at: b.at,
                    });
                    end -= 2;
                }
            } else if FIELD_EMOJI.contains(&t.text) {
                fields.push(t);
                end -= 1;
            } else if let Some(b) = before.filter(|b| FIELD_EMOJI.contains(&b.text)) {
                fields.push(Token {
                    text: &line[b.at..t.at + t.text.len()],
                    at: b.at,
                });
                end -= 2;
            } else {
                break;
            }
        }
        tags.reverse();
        fields.reverse();
        task.tags = tags;
        task.fields = fields;
        task.priorities = priorities;

        // The owner: the last `@word` before the signifiers runs to their start.
        let head = &toks[..end];
        let head_end = head.last().map_or(rest_at, |t| t.at + t.text.len());
        let owner_idx = head.iter().rposition(|t| t.text.starts_with('@'));
        let text_end = match owner_idx {
            Some(i) => {
                let at = head[i].at;
                let name = line[at + 1..head_end].trim();
                task.owner = Some(Token { text: name, at });
                head[..i].last().map_or(rest_at, |t| t.at + t.text.len())
            }
            None => head_end,
        };
        task.other_owners = head[..owner_idx.unwrap_or(end)]
            .iter()
            .filter(|t| t.text.len() > 1 && t.text.starts_with('@'))
            .copied()
            .collect();
        let text = line[rest_at..text_end].trim();
        let text_at = if text.is_empty() {
            rest_at
        } else {
            rest_at + line[rest_at..].find(text).unwrap_or(0)
        };
        task.text = Token { text, at: text_at };
        Some(task)
    }

    pub fn to_item(&self) -> ActionItem {
        ActionItem {
            status: self.status,
            text: self.text.text.to_string(),
            owner: self.owner.map(|o| o.text.to_string()).unwrap_or_default(),
            priority: self.priorities.first().map(|p| p.0),
            due: self.due.map(|d| d.text.to_string()),
            tags: self.tags.iter().map(|t| t.text.to_string()).collect(),
            fields: self.fields.iter().map(|t| t.text.to_string()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_reference_line() {
        let line = "- [?] Set up a 1:1 with John. @Myself ⏫ #task #proposed #auto";
        let item = ActionItem::parse_line(line).unwrap();
        assert_eq!(item.status, '?');
        assert_eq!(item.text, "Set up a 1:1 with John.");
        assert_eq!(item.owner, "Myself");
        assert_eq!(item.priority, Some(Priority::High));
        assert_eq!(item.due, None);
        assert_eq!(item.tags, ["task", "proposed", "auto"]);
        assert_eq!(item.render(), line);
    }

    #[test]
    fn reads_owners_with_spaces_dates_and_fields() {
        let line = "- [x] Text ITSIC about @block storage @Jeff Denworth 🔼 📅 2025-11-20 #task #proposed #auto ✅ 2025-11-10";
        let t = TaskLine::scan(line).unwrap();
        assert_eq!(t.owner.unwrap().text, "Jeff Denworth");
        assert_eq!(t.other_owners.len(), 1);
        assert_eq!(t.other_owners[0].text, "@block");
        let item = t.to_item();
        assert_eq!(item.text, "Text ITSIC about @block storage");
        assert_eq!(item.due.as_deref(), Some("2025-11-20"));
        assert_eq!(item.priority, Some(Priority::Medium));
        assert_eq!(item.fields, ["✅ 2025-11-10"]);
        assert_eq!(item.render(), line);
    }

    #[test]
    fn rejects_lines_that_are_not_tasks() {
        for line in [
            "- Call Bob",
            "-[ ] x",
            "- [] x",
            "- [ ]x",
            "x",
            "",
            "- [",
            "- [ ",
        ] {
            assert!(TaskLine::scan(line).is_none(), "{line:?}");
        }
        let t = TaskLine::scan("- [ ]").unwrap();
        assert_eq!((t.status, t.text.text), (' ', ""));
        assert!(TaskLine::scan("* [-] done @TBD").is_some());
    }

    #[test]
    fn a_lone_due_emoji_has_an_empty_value() {
        let item = ActionItem::parse_line("- [ ] a @B 📅 #task").unwrap();
        assert_eq!(item.due.as_deref(), Some(""));
        assert_eq!(item.render(), "- [ ] a @B 📅 #task");
    }
}
