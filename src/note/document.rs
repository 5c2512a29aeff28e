//! The structure of a note's text with line numbers: where the frontmatter, heading
//! lines, sections, items and footer are. [`super::parse`] builds a [`super::Note`] from
//! it and [`super::validate`] points its diagnostics at it.
//!
//! Terms: a *line index* is 0-based (diagnostics add 1); a *block* is a run of non-blank
//! lines (blank lines inside a code fence do not end it); an *entry* is what a section
//! holds: an item line, a block of free text, or the [`NONE_MARKER`] line. Code fences
//! (```` ``` ```` / `~~~`) are tracked so a `## ` or `- [ ]` inside one is just text.

use std::ops::Range;

use crate::yaml_guard::YamlError;

use super::action_item::{list_marker, TaskLine};
use super::model::{FRONTMATTER_KEYS, NONE_MARKER};
use super::user_content::SectionKind;

/// The frontmatter between the first line's `---` and the closing `---`.
#[derive(Debug)]
pub(crate) struct FrontmatterBlock<'a> {
    /// Index of the closing `---`; `None` when it never closes.
    pub close: Option<usize>,
    /// The parsed YAML mapping, or why it could not be read.
    pub yaml: Result<yaml_serde::Mapping, YamlProblem>,
    /// Top-level keys with their line index, in order.
    pub keys: Vec<(&'a str, usize)>,
    /// Line ranges of the frontmatter split at top-level keys; the key (if any) each
    /// range starts with. The first range may hold only comments or blank lines.
    pub blocks: Vec<(Option<&'a str>, Range<usize>)>,
}

/// Why the frontmatter's YAML is not a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlProblem {
    /// 0-based line index in the file.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    pub message: String,
    /// What to do about it, when the problem is a construct left open.
    pub hint: Option<String>,
}

/// What a section holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// An item line (an action item, or a `- ` bullet in Decisions / Key Information).
    Item(usize),
    /// Free text; `attached` when it directly follows an item line.
    Text { lines: Range<usize>, attached: bool },
    /// The line `_None._`.
    None(usize),
}

/// A `## ` section.
#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub heading: usize,
    /// The heading text without `## `, trimmed.
    pub title: &'a str,
    /// Which generated section this is; `None` for a user section and for a second
    /// section with a generated section's title (see `duplicate`).
    pub kind: Option<SectionKind>,
    /// A repeated generated section's kind.
    pub duplicate: Option<SectionKind>,
    /// The body lines (after the heading, up to the next heading or the footer).
    pub body: Range<usize>,
    /// The body's entries; filled for generated sections only.
    pub entries: Vec<Entry>,
}

#[derive(Debug)]
pub(crate) struct Document<'a> {
    /// The text's lines without line endings (CRLF, LF) and without a leading BOM.
    pub lines: Vec<&'a str>,
    pub frontmatter: Option<FrontmatterBlock<'a>>,
    /// First line after the frontmatter.
    pub body_start: usize,
    pub heading: Option<usize>,
    pub date_line: Option<usize>,
    pub with_line: Option<usize>,
    /// Free text before the first section, other than the three lines above.
    pub head_blocks: Vec<Range<usize>>,
    pub sections: Vec<Section<'a>>,
    /// The `---` line of the footer.
    pub footer_rule: Option<usize>,
    /// The `*Source: [[…]]*` line and the link text.
    pub source: Option<(usize, &'a str)>,
    /// Free text after the source line.
    pub tail_blocks: Vec<Range<usize>>,
}

/// The link of a `*Source: [[…]]*` line.
pub(crate) fn source_link(line: &str) -> Option<&str> {
    line.trim()
        .strip_prefix("*Source: [[")
        .and_then(|s| s.strip_suffix("]]*"))
}

/// The text of a `# ` heading line.
pub(crate) fn heading_text(line: &str) -> Option<&str> {
    if line == "#" {
        Some("")
    } else {
        line.strip_prefix("# ").map(str::trim)
    }
}

/// The text of a `## ` heading line.
pub(crate) fn section_title(line: &str) -> Option<&str> {
    if line == "##" {
        Some("")
    } else {
        line.strip_prefix("## ").map(str::trim)
    }
}

/// A top-level YAML key on this line (`key: value`, `"key":`), unquoted.
pub(crate) fn top_key(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if first.is_whitespace() || matches!(first, '#' | '-' | '?' | '%' | '&' | '*' | '!') {
        return None;
    }
    let colon = line.find(':')?;
    let after = &line[colon + 1..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let key = line[..colon].trim();
    let key = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    Some(key)
}

pub(crate) fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Splits `text` into lines: BOM dropped, `\n` or `\r\n` endings (stray `\r`s before a
/// line end are dropped too, so a rendered line never ends in one).
pub(crate) fn split_lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n').map(|l| l.trim_end_matches('\r')).collect()
}

/// Blocks of non-blank lines in `range`; blank lines inside a fence stay in the block.
fn blocks(lines: &[&str], range: Range<usize>, skip: &[usize]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut fence = false;
    for i in range.clone() {
        let line = lines[i];
        let ends = (!fence && is_blank(line)) || skip.contains(&i);
        if ends {
            if let Some(s) = start.take() {
                out.push(s..i);
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        if is_fence(line) {
            fence = !fence;
        }
    }
    if let Some(s) = start {
        out.push(s..range.end);
    }
    out
}

fn scan_frontmatter<'a>(lines: &[&'a str]) -> Option<FrontmatterBlock<'a>> {
    if lines.first()?.trim_end() != "---" {
        return None;
    }
    let close = lines
        .iter()
        .skip(1)
        .position(|l| matches!(l.trim_end(), "---" | "..."))
        .map(|p| p + 1);
    let Some(close) = close else {
        return Some(FrontmatterBlock {
            close: None,
            yaml: Err(YamlProblem {
                line: 0,
                column: 1,
                message: "frontmatter is not closed".into(),
                hint: None,
            }),
            keys: Vec::new(),
            blocks: Vec::new(),
        });
    };
    let yaml_text = lines[1..close].join("\n");
    let yaml = match crate::yaml_guard::parse(&yaml_text) {
        Ok(yaml_serde::Value::Mapping(m)) => Ok(m),
        Ok(yaml_serde::Value::Null) => Ok(yaml_serde::Mapping::new()),
        Ok(_) => Err(YamlProblem {
            line: 1,
            column: 1,
            message: "frontmatter is not a mapping of keys to values".into(),
            hint: None,
        }),
        Err(e @ YamlError::TooDeep { line, column }) => Err(YamlProblem {
            line,
            column,
            message: e.to_string(),
            hint: Some("frontmatter holds flat `key: value` lines and short lists".into()),
        }),
        Err(YamlError::Parse(e)) => {
            let text = e.to_string();
            // A bracket, brace or quote left open is found wrong only lines later: point
            // at where it opened.
            let (line, column) = e
                .location()
                .map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
            let (line, column, hint) =
                match open_construct(&text).or_else(|| open_quote(&lines[1..close], line)) {
                    Some((line, column, hint)) => (line, column, Some(hint)),
                    None => (line, column, None),
                };
            Err(YamlProblem {
                line: (line.min(close - 1)).max(1),
                column,
                message: yaml_message(&text),
                hint,
            })
        }
    };

    // Lines that look like `key:` but are not keys of the mapping (say, inside a
    // multi-line quoted value) continue the block before them.
    let real_keys: Option<Vec<String>> = yaml.as_ref().ok().map(|m| {
        m.keys()
            .map(|k| match k {
                yaml_serde::Value::String(s) => s.clone(),
                yaml_serde::Value::Number(n) => n.to_string(),
                yaml_serde::Value::Bool(b) => b.to_string(),
                _ => String::new(),
            })
            .collect()
    });
    let mut starts: Vec<(&str, usize)> = (1..close)
        .filter_map(|i| top_key(lines[i]).map(|k| (k, i)))
        .filter(|(k, _)| real_keys.as_ref().is_none_or(|r| r.iter().any(|r| r == k)))
        .collect();
    // A block of the user's own must stand alone as YAML, since rendering writes it back
    // on its own; one that does not continues the block before it.
    let standalone = |range: Range<usize>| {
        matches!(
            yaml_serde::from_str::<yaml_serde::Value>(&lines[range].join("\n")),
            Ok(yaml_serde::Value::Mapping(_) | yaml_serde::Value::Null)
        )
    };
    let build = |starts: &[(&'a str, usize)]| {
        let mut out: Vec<(Option<&'a str>, Range<usize>)> = Vec::with_capacity(starts.len() + 1);
        let first = starts.first().map_or(close, |s| s.1);
        out.push((None, 1..first));
        for (n, &(k, i)) in starts.iter().enumerate() {
            let end = starts.get(n + 1).map_or(close, |s| s.1);
            out.push((Some(k), i..end));
        }
        out
    };
    let mut block_list = build(&starts);
    if yaml.is_ok() {
        while let Some(bad) = block_list.iter().skip(1).position(|(k, r)| {
            k.is_some_and(|k| !FRONTMATTER_KEYS.contains(&k)) && !standalone(r.clone())
        }) {
            starts.remove(bad);
            block_list = build(&starts);
        }
        if !standalone(block_list[0].1.clone()) {
            block_list[0].1 = 1..1;
        }
    }
    Some(FrontmatterBlock {
        close: Some(close),
        yaml,
        keys: starts,
        blocks: block_list,
    })
}

/// Where a flow collection or quoted scalar that the parser gave up on started, from
/// the parser's `while parsing a flow sequence at line L column C` context (1-based,
/// relative to the YAML), with a hint naming the character that opened it.
fn open_construct(message: &str) -> Option<(usize, usize, String)> {
    let at = message.find(", while ")?;
    let context = &message[at + ", while ".len()..];
    let hint = if context.contains("flow sequence") {
        "the `[` opened here is not closed: end the list with `]` on the same line"
    } else if context.contains("flow mapping") {
        "the `{` opened here is not closed: end it with `}`"
    } else if context.contains("quoted scalar") {
        "the quote opened here is not closed: end the value with the same quote"
    } else {
        return None;
    };
    let mark = &context[context.find(" at line ")? + " at line ".len()..];
    let (line, rest) = mark.split_once(" column ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.parse().ok()?, column.parse().ok()?, hint.to_string()))
}

/// A double quote left open before `problem_line` (1-based in `yaml`): a quoted value
/// that runs on until a later line's quote closes it makes the parser fail only there.
/// Counting unescaped `"` from the top, the quote is open when the problem line is
/// reached; the answer is where the open quote stands (1-based line and column).
fn open_quote(yaml: &[&str], problem_line: usize) -> Option<(usize, usize, String)> {
    let mut open: Option<(usize, usize)> = None;
    for (i, line) in yaml.iter().enumerate().take(problem_line.saturating_sub(1)) {
        let mut escaped = false;
        for (column, c) in line.chars().enumerate() {
            match c {
                '"' if !escaped => {
                    open = match open {
                        Some(_) => None,
                        None => Some((i + 1, column + 1)),
                    }
                }
                '\\' if !escaped && open.is_some() => {
                    escaped = true;
                    continue;
                }
                _ => {}
            }
            escaped = false;
        }
    }
    let (line, column) = open?;
    Some((
        line,
        column,
        "the quote opened here is not closed: end the value with `\"` on the same line".to_string(),
    ))
}

/// The YAML parser's message without its own `at line L column C` (relative to the YAML,
/// not the file; the diagnostic carries the file position).
fn yaml_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(" at line ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " at line ".len()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let after = &after[digits..];
        rest = match after.strip_prefix(" column ") {
            Some(col) => col.trim_start_matches(|c: char| c.is_ascii_digit()),
            None => after,
        };
    }
    out.push_str(rest);
    out
}

/// The entries of a generated section's body.
fn entries(lines: &[&str], body: Range<usize>, kind: SectionKind) -> Vec<Entry> {
    let is_item = |line: &str| match kind {
        SectionKind::Summary => false,
        SectionKind::ActionItems => TaskLine::scan(line).is_some(),
        SectionKind::Decisions | SectionKind::KeyInformation => list_marker(line).is_some(),
    };
    let mut out = Vec::new();
    // The open text block: start line and whether it is attached to an item.
    let mut text: Option<(usize, bool)> = None;
    let mut after_item = false;
    let mut fence = false;
    let close = |out: &mut Vec<Entry>, text: &mut Option<(usize, bool)>, end: usize| {
        if let Some((start, attached)) = text.take() {
            if !attached && end == start + 1 && lines[start].trim() == NONE_MARKER {
                out.push(Entry::None(start));
            } else {
                out.push(Entry::Text {
                    lines: start..end,
                    attached,
                });
            }
        }
    };
    for i in body.clone() {
        let line = lines[i];
        if !fence && is_blank(line) {
            close(&mut out, &mut text, i);
            after_item = false;
        } else if !fence && is_item(line) {
            close(&mut out, &mut text, i);
            out.push(Entry::Item(i));
            after_item = true;
        } else {
            if text.is_none() {
                text = Some((i, after_item));
            }
            if is_fence(line) {
                fence = !fence;
            }
        }
    }
    close(&mut out, &mut text, body.end);
    out
}

impl<'a> Document<'a> {
    pub fn scan(text: &'a str) -> Self {
        let lines = split_lines(text);
        let frontmatter = scan_frontmatter(&lines);
        let body_start = match &frontmatter {
            Some(FrontmatterBlock { close: Some(c), .. }) => c + 1,
            Some(FrontmatterBlock { close: None, .. }) => lines.len(),
            None => 0,
        };
        let n = lines.len();

        // Which body lines are inside a code fence (a fence line itself counts as inside).
        let mut in_fence = vec![false; n];
        let mut fence = false;
        for i in body_start..n {
            if is_fence(lines[i]) {
                in_fence[i] = true;
                fence = !fence;
            } else {
                in_fence[i] = fence;
            }
        }

        // Footer: the last source line (even inside a code fence a person left open),
        // and the `---` just before it.
        let source = (body_start..n)
            .rev()
            .find_map(|i| source_link(lines[i]).map(|l| (i, l)));
        let footer_rule = source.and_then(|(s, _)| {
            (body_start..s)
                .rev()
                .find(|&i| !is_blank(lines[i]))
                .filter(|&i| lines[i].trim() == "---")
        });
        let body_end = footer_rule.or(source.map(|s| s.0)).unwrap_or(n);
        let tail_blocks = match source {
            Some((s, _)) => blocks(&lines, s + 1..n, &[]),
            None => Vec::new(),
        };

        // Sections.
        let headings: Vec<usize> = (body_start..body_end)
            .filter(|&i| !in_fence[i] && section_title(lines[i]).is_some())
            .collect();
        let head_end = headings.first().copied().unwrap_or(body_end);
        let mut sections = Vec::with_capacity(headings.len());
        let mut seen = [false; 4];
        for (k, &h) in headings.iter().enumerate() {
            let end = headings.get(k + 1).copied().unwrap_or(body_end);
            let title = section_title(lines[h]).unwrap_or("");
            let found = SectionKind::from_title(title);
            let (kind, duplicate) = match found {
                Some(kind) if seen[kind.index()] => (None, Some(kind)),
                Some(kind) => {
                    seen[kind.index()] = true;
                    (Some(kind), None)
                }
                None => (None, None),
            };
            let body = h + 1..end;
            let entries = kind.map_or_else(Vec::new, |kind| entries(&lines, body.clone(), kind));
            sections.push(Section {
                heading: h,
                title,
                kind,
                duplicate,
                body,
                entries,
            });
        }

        // Head: the title heading, the Date and With lines, and free text.
        let first = |pred: &dyn Fn(&str) -> bool| {
            (body_start..head_end).find(|&i| !in_fence[i] && pred(lines[i]))
        };
        let heading = first(&|l| heading_text(l).is_some());
        let date_line = first(&|l| l.starts_with("**Date**:"));
        let with_line = first(&|l| l.starts_with("**With**:"));
        let special: Vec<usize> = [heading, date_line, with_line]
            .into_iter()
            .flatten()
            .collect();
        let head_blocks = blocks(&lines, body_start..head_end, &special);

        Document {
            lines,
            frontmatter,
            body_start,
            heading,
            date_line,
            with_line,
            head_blocks,
            sections,
            footer_rule,
            source,
            tail_blocks,
        }
    }

    /// The lines of `range` joined with `\n`.
    pub fn text(&self, range: Range<usize>) -> String {
        self.lines[range].join("\n")
    }

    /// The first section of this kind.
    pub fn section(&self, kind: SectionKind) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.kind == Some(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, column) of the YAML problem of a frontmatter, 1-based in the file.
    fn yaml_problem(frontmatter: &str) -> (usize, usize) {
        let text = format!("---\n{frontmatter}---\n# T\n");
        let lines: Vec<&str> = text.lines().collect();
        let p = scan_frontmatter(&lines).unwrap().yaml.unwrap_err();
        (p.line + 1, p.column)
    }

    #[test]
    fn an_unclosed_construct_is_reported_where_it_opened() {
        // A flow list, a flow mapping and a double quote left open on line 3 of the file.
        assert_eq!(
            yaml_problem("a: \"x\"\nb: [\"y\", \"z\"\nc: \"w\"\n"),
            (3, 4)
        );
        assert_eq!(yaml_problem("a: \"x\"\nb: {k: 1\nc: \"w\"\n"), (3, 4));
        assert_eq!(yaml_problem("a: \"x\"\nb: \"y\nc: \"w\"\n"), (3, 4));
        // A multi-line quoted value that closes is no excuse to blame it later.
        assert_eq!(yaml_problem("a: \"x\ny\"\nb: 1\n  c: 2\n"), (5, 4));
    }

    #[test]
    fn strips_yaml_positions_from_messages() {
        assert_eq!(
            yaml_message("did not find expected key at line 3 column 1, while parsing a block mapping at line 1 column 1"),
            "did not find expected key, while parsing a block mapping"
        );
    }

    #[test]
    fn finds_top_level_keys() {
        assert_eq!(top_key("type: \"people\""), Some("type"));
        assert_eq!(top_key("\"title\": x"), Some("title"));
        assert_eq!(top_key("tags:"), Some("tags"));
        assert_eq!(top_key("  - \"x\""), None);
        assert_eq!(top_key("- a: b"), None);
        assert_eq!(top_key("# c: d"), None);
        assert_eq!(top_key("url:http"), None);
    }

    #[test]
    fn groups_entries_with_attached_text_and_the_none_marker() {
        let text = "## Decisions\n\n- a\n  - sub\n\nfree\ntext\n\n_None._\n- b";
        let lines = split_lines(text);
        let e = entries(&lines, 1..lines.len(), SectionKind::Decisions);
        assert_eq!(
            e,
            [
                Entry::Item(2),
                Entry::Text {
                    lines: 3..4,
                    attached: true
                },
                Entry::Text {
                    lines: 5..7,
                    attached: false
                },
                Entry::None(8),
                Entry::Item(9),
            ]
        );
    }
}
