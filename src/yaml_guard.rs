//! YAML read from files people did not write for recap (a note's or a transcript's
//! frontmatter), parsed only once it is known not to nest flow collections (`[…]`, `{…}`)
//! deeper than any real frontmatter does. The parser's time grows with the square of that
//! depth (a 10 MB line of `[` would take hours); this scan is linear.

/// The deepest flow nesting a frontmatter may have; real ones use one or two levels.
pub const MAX_FLOW_DEPTH: usize = 64;

/// Why a YAML text was not parsed, or what the parser said.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    #[error("brackets and braces nest deeper than {MAX_FLOW_DEPTH} levels")]
    TooDeep {
        /// 1-based line and column (in characters) of the bracket past the limit.
        line: usize,
        column: usize,
    },
    #[error(transparent)]
    Parse(#[from] yaml_serde::Error),
}

impl YamlError {
    /// The 1-based line and column of the problem, when known.
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            Self::TooDeep { line, column } => Some((*line, *column)),
            Self::Parse(e) => e.location().map(|l| (l.line(), l.column())),
        }
    }
}

/// Parses `text` as one YAML value, refusing flow nesting past [`MAX_FLOW_DEPTH`].
pub fn parse(text: &str) -> Result<yaml_serde::Value, YamlError> {
    if let Some((line, column)) = too_deep(text, MAX_FLOW_DEPTH) {
        return Err(YamlError::TooDeep { line, column });
    }
    Ok(yaml_serde::from_str(text)?)
}

/// Where flow brackets outside quoted scalars and comments first nest deeper than
/// `limit`. A quote opens a quoted scalar only where YAML allows one (after a space,
/// `:`, `,`, `[`, `{` or at the start of a line), so an apostrophe inside a word does not
/// hide the brackets after it.
fn too_deep(text: &str, limit: usize) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let (mut line, mut column) = (1, 0);
    let mut quote: Option<char> = None;
    let mut previous = '\n';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            (line, column) = (line + 1, 0);
            // A double-quoted scalar may span lines; a comment may not.
            previous = c;
            continue;
        }
        match quote {
            Some('"') if c == '\\' => {
                chars.next();
                column += 1;
            }
            Some('\'') if c == '\'' && chars.peek() == Some(&'\'') => {
                chars.next();
                column += 1;
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' if matches!(previous, ' ' | '\t' | '\n' | ':' | ',' | '[' | '{') => {
                    quote = Some(c)
                }
                '#' if matches!(previous, ' ' | '\t' | '\n') => {
                    while chars.next_if(|&n| n != '\n').is_some() {}
                }
                '[' | '{' => {
                    depth += 1;
                    if depth > limit {
                        return Some((line, column));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_frontmatter_passes() {
        let text = "type: \"meeting\"\nparticipants: [\"A [x]\", 'B''s {y}']\n\
                    tags:\n  - \"type/meeting\" # [[[[\ntitle: Jeff's 1:1 [draft]\n";
        assert_eq!(too_deep(text, 1), None);
        assert!(parse(text).is_ok());
    }

    #[test]
    fn deep_flow_nesting_is_refused_where_it_passes_the_limit() {
        let text = format!("a: 1\ntags: {}{}\n", "[".repeat(100), "]".repeat(100));
        match parse(&text) {
            Err(YamlError::TooDeep { line, column }) => {
                assert_eq!((line, column), (2, 7 + MAX_FLOW_DEPTH));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn brackets_in_quotes_and_comments_do_not_count_but_an_apostrophe_in_a_word_does_not_hide_them()
    {
        let deep = "[".repeat(10);
        assert_eq!(
            too_deep(&format!("a: \"{deep}\"\nb: '{deep}'\n# {deep}\n"), 2),
            None
        );
        assert!(too_deep(&format!("a: it's {deep}\n"), 2).is_some());
        assert!(too_deep(&format!("a: x#{deep}\n"), 2).is_some());
    }
}
