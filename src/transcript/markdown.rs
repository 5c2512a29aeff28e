//! Markdown transcripts, the kind a vault keeps under `Sources/Transcripts/`: optional
//! YAML frontmatter between `---` lines (`date`, `title`, `participants` or `attendees`;
//! other keys are ignored), then a body read as plain text (see [`super::plain`]) after
//! removing markdown structure: headings (the first `# ` heading is a title hint),
//! rules, and `- `, `* `, `> ` line prefixes. `**Name**:` labels are read as `Name:`.

use yaml_serde::Value;

use super::error::ParseError;
use super::metadata::{date_value, split_people, HeaderFields};
use super::{plain, Parsed};

pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let (frontmatter, body_from) = if lines[0].trim_end() == "---" {
        let close = (1..lines.len())
            .find(|&i| matches!(lines[i].trim_end(), "---" | "..."))
            .ok_or_else(|| {
                ParseError::at_line(
                    1,
                    "the YAML frontmatter is not closed",
                    "a `---` line after the frontmatter",
                )
            })?;
        (Some(frontmatter(&lines[1..close])?), close + 1)
    } else {
        (None, 0)
    };
    let mut heading = None;
    let body: Vec<&str> = lines[body_from..]
        .iter()
        .map(|line| {
            let t = line.trim();
            if let Some(h) = t.strip_prefix("# ") {
                heading.get_or_insert_with(|| h.trim().to_string());
            }
            if t.starts_with('#') || matches!(t, "---" | "***" | "___") {
                return "";
            }
            t.strip_prefix("- ")
                .or_else(|| t.strip_prefix("* "))
                .or_else(|| t.strip_prefix("> "))
                .unwrap_or(t)
        })
        .collect();
    let mut parsed = plain::parse_lines(&body.join("\n"), body_from + 1)?;
    if let Some(mut fields) = frontmatter {
        fields.title = fields.title.or(heading);
        parsed.frontmatter = Some(fields);
    } else if parsed.header.title.is_none() {
        parsed.header.title = heading;
    }
    Ok(parsed)
}

/// Reads the frontmatter's `lines` (file lines 2..).
fn frontmatter(lines: &[&str]) -> Result<HeaderFields, ParseError> {
    let yaml = lines.join("\n");
    let value: Value = crate::yaml_guard::parse(&yaml).map_err(|e| {
        let line = e.location().map_or(2, |(line, _)| line + 1);
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        ParseError::at_line(
            line,
            format!("invalid YAML frontmatter: {message}"),
            "YAML `key: value` lines",
        )
    })?;
    let mut fields = HeaderFields::default();
    let Value::Mapping(map) = value else {
        return Ok(fields);
    };
    let key_line = |key: &str| {
        lines
            .iter()
            .position(|l| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            })
            .map_or(2, |i| i + 2)
    };
    if let Some(date) = map.get("date") {
        let text = scalar(date).unwrap_or_default();
        fields.date = date_value(&text)
            .map_err(|m| ParseError::at_line(key_line("date"), m, "a date like 2025-11-07"))?;
    }
    fields.title = map
        .get("title")
        .and_then(scalar)
        .filter(|t| !t.trim().is_empty());
    for key in ["participants", "attendees"] {
        match map.get(key) {
            Some(Value::Sequence(items)) => {
                for item in items.iter().filter_map(scalar) {
                    fields.participants.extend(split_people(&item));
                }
            }
            Some(other) => fields.participants.extend(
                scalar(other)
                    .iter()
                    .flat_map(|s| split_people(s).collect::<Vec<_>>()),
            ),
            None => {}
        }
    }
    Ok(fields)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}
