//! Output file names: `<date> - <title>.md`, safe on every filesystem (no reserved
//! characters, no trailing dot or space, no reserved Windows names, bounded length).

/// The longest title part of a file name, in characters; the date and extension come on top.
const MAX_TITLE_CHARS: usize = 80;

/// Builds `2025-11-07 - Title.md` (or `Title.md` without a date).
pub fn note_file_name(date: Option<&str>, title: &str) -> String {
    // "1:1 with Jeff: topics" reads "1-1 with Jeff topics": a colon that separates goes,
    // one inside a word becomes a hyphen.
    let title = title.replace(": ", " ").replace(':', "-");
    let mut safe: String = title
        .chars()
        .map(|c| match c {
            '/' | '\\' | '*' | '?' | '"' | '<' | '>' | '|' | '#' | '^' | '[' | ']' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if safe.chars().count() > MAX_TITLE_CHARS {
        let cut: String = safe.chars().take(MAX_TITLE_CHARS + 1).collect();
        // At the last whole word ("…, Certification", not "…, Certification Cour"),
        // unless the title is one long word.
        safe = match cut.rfind(' ') {
            Some(space) => cut[..space].to_string(),
            None => cut.chars().take(MAX_TITLE_CHARS).collect(),
        };
    }
    let safe = safe
        .trim_end_matches(['.', ' ', ',', ';', '-'])
        .trim_start_matches('.');
    let safe = if safe.is_empty() || is_reserved(safe) {
        format!("{safe} note").trim().to_string()
    } else {
        safe.to_string()
    };
    match date {
        Some(date) => format!("{date} - {safe}.md"),
        None => format!("{safe}.md"),
    }
}

fn is_reserved(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_readable() {
        assert_eq!(
            note_file_name(Some("2025-11-07"), "1:1 with Jeff: org/landscape?"),
            "2025-11-07 - 1-1 with Jeff org landscape.md"
        );
        assert_eq!(note_file_name(None, "  ...  "), "note.md");
        assert_eq!(note_file_name(None, "CON"), "CON note.md");
        assert_eq!(
            note_file_name(Some("2025-01-02"), "Plan."),
            "2025-01-02 - Plan.md"
        );
        // Titles that try to leave the output folder stay one plain name inside it.
        for hostile in [
            "../../etc/passwd",
            "/etc/passwd",
            "..",
            "C:\\Windows\\x",
            "a/../../b",
        ] {
            let name = note_file_name(Some("2025-01-02"), hostile);
            assert!(!name.contains('/') && !name.contains('\\'), "{name}");
            assert!(!name.starts_with('.'), "{name}");
            assert!(
                std::path::Path::new(&name).components().count() == 1,
                "{name}"
            );
        }
        assert_eq!(note_file_name(None, "nul"), "nul note.md");
        assert_eq!(note_file_name(None, "a\u{7}b\nc"), "a b c.md");
        let long = "word ".repeat(40);
        let name = note_file_name(None, &long);
        assert!(name.chars().count() <= MAX_TITLE_CHARS + 3, "{name}");
        // A long title is cut at a whole word, without the comma before it.
        assert_eq!(
            note_file_name(
                Some("2025-12-12"),
                "Queue Improvements, Shift Rotation, Named Contact Assignment, Certification Course Training"
            ),
            "2025-12-12 - Queue Improvements, Shift Rotation, Named Contact Assignment, Certification.md"
        );
        let one_word = "x".repeat(200);
        assert_eq!(
            note_file_name(None, &one_word),
            format!("{}.md", "x".repeat(MAX_TITLE_CHARS))
        );
        let name = note_file_name(Some("2025-01-02"), &"é".repeat(1000));
        assert!(
            name.len() < 255,
            "a name must fit a file system's 255 bytes: {}",
            name.len()
        );
    }
}
