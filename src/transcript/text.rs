//! Cleaning spoken text and finding speaker labels.
//!
//! *Markup* is what formats wrap around words: WebVTT and SRT tags (`<i>`, `<v Name>`,
//! `<00:01.000>`), SRT style overrides (`{\an8}`) and HTML character references
//! (`&amp;`, `&#39;`). *Clean* text has the tags removed, the references decoded and
//! every run of whitespace made one space, with none at either end.
//!
//! A *speaker label* is `Name:` at the start of a line (or `**Name**:` in markdown).
//! A name is short (at most 60 characters and 6 words), starts with a letter and holds
//! only letters, digits, spaces and `. ' ’ ( ) - _ & @ # [ ] /`: so `Note: the budget`
//! reads as a label but `So, to recap: we agreed` and `https://x` do not.

/// Removes markup, decodes character references and collapses whitespace.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        let step = c.len_utf8();
        if c == '<' {
            if let Some(len) = tag_len(rest) {
                rest = &rest[len..];
                continue;
            }
        } else if c == '{' && rest[1..].starts_with('\\') {
            if let Some(end) = rest.find('}') {
                rest = &rest[end + 1..];
                continue;
            }
        } else if c == '&' {
            if let Some((decoded, len)) = entity(rest) {
                rest = &rest[len..];
                push_char(&mut out, &mut pending_space, decoded);
                continue;
            }
        }
        push_char(&mut out, &mut pending_space, c);
        rest = &rest[step..];
    }
    out
}

fn push_char(out: &mut String, pending_space: &mut bool, c: char) {
    if c.is_whitespace() {
        *pending_space = !out.is_empty();
    } else {
        if *pending_space {
            out.push(' ');
            *pending_space = false;
        }
        out.push(c);
    }
}

/// The length of the tag at the start of `s` (`<b>`, `</v>`, `<v.loud Ann>`,
/// `<00:01.000>`), or `None` when the `<` does not open a tag.
fn tag_len(s: &str) -> Option<usize> {
    let next = s[1..].chars().next()?;
    if !(next.is_ascii_alphanumeric() || next == '/') {
        return None;
    }
    let end = s[1..].find(['>', '<'])? + 1;
    (s.as_bytes()[end] == b'>').then_some(end + 1)
}

/// The character a reference at the start of `s` stands for, and the reference's length.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.bytes().take(12).position(|b| b == b';')?;
    let name = &s[1..end];
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code)?
    } else {
        match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{a0}',
            "lrm" => '\u{200e}',
            "rlm" => '\u{200f}',
            "ndash" => '–',
            "mdash" => '—',
            "hellip" => '…',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            _ => return None,
        }
    };
    Some((c, end + 1))
}

/// Whether `name` reads as a speaker's name (see the module docs).
pub fn is_speaker_name(name: &str) -> bool {
    let mut chars = 0;
    for c in name.chars() {
        chars += 1;
        let allowed = c.is_alphanumeric() || " .'’()-_&@#[]/".contains(c);
        if !allowed || chars > 60 {
            return false;
        }
    }
    name.starts_with(char::is_alphabetic) && name.split_whitespace().count() <= 6
}

/// Splits `Name: text` (or `**Name**: text`, `**Name:** text`) into the name and the
/// text after the label; `None` when the line has no speaker label.
pub fn split_label(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let colon = line.find(':')?;
    let name = line[..colon].trim().trim_matches('*').trim();
    let mut rest = &line[colon + 1..];
    if let Some(after_bold) = rest.strip_prefix("**") {
        rest = after_bold;
    }
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) || !is_speaker_name(name) {
        return None;
    }
    Some((name, rest.trim_start()))
}

/// The number of whitespace-separated words.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_markup_decodes_references_and_collapses_space() {
        assert_eq!(clean("  <i>Hello</i>\n  <b>world</b> "), "Hello world");
        assert_eq!(clean("<v Ann>Hi</v> <00:01.000>there"), "Hi there");
        assert_eq!(
            clean("{\\an8}Top &amp; tail &lt;3 &#39;x&#x27; &nbsp;y"),
            "Top & tail <3 'x' y"
        );
        assert_eq!(
            clean("a < b and &unknown; &amp"),
            "a < b and &unknown; &amp"
        );
        assert_eq!(clean("x<y"), "x<y");
        assert_eq!(clean(" \t\n "), "");
    }

    #[test]
    fn finds_labels_but_not_sentences_or_links() {
        assert_eq!(
            split_label("Project Manager (B): Okay."),
            Some(("Project Manager (B)", "Okay."))
        );
        assert_eq!(
            split_label("**Jeff Denworth**: Hi"),
            Some(("Jeff Denworth", "Hi"))
        );
        assert_eq!(split_label("**Jeff:** Hi"), Some(("Jeff", "Hi")));
        assert_eq!(split_label("SPEAKER_00:"), Some(("SPEAKER_00", "")));
        assert_eq!(split_label("So, to recap: we agreed"), None);
        assert_eq!(split_label("see https://example.com"), None);
        assert_eq!(split_label("10:30 is fine"), None);
        assert_eq!(split_label("one two three four five six seven: x"), None);
    }
}
