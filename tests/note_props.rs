//! Properties of parse, render and validate over arbitrary and mutated input: nothing
//! panics, and rendering is a fixed point: render(parse(render(n))) == render(n).

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;
use recap::note::{
    validate, ActionItem, Aside, ExtraYaml, Frontmatter, Note, Priority, Rules, SectionKind,
    Severity, UserContent, UserSection,
};

const REFERENCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/notes/reference.md"
));

/// Parses, renders, parses the rendering and renders again; both renderings are equal.
fn assert_fixed_point(text: &str) -> Result<(), TestCaseError> {
    let _ = validate(text, Path::new("x.md"), &Rules::default());
    if let Ok(note) = Note::parse(text) {
        let first = note.render();
        let again = Note::parse(&first);
        prop_assert!(
            again.is_ok(),
            "rendered note does not parse: {:?}\n{}",
            again,
            first
        );
        let second = again.unwrap().render();
        prop_assert_eq!(&first, &second);
        let _ = validate(&first, Path::new("x.md"), &Rules::default());
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, String),
    Delete(Index, usize),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    DeleteLine(Index),
    Crlf,
    Bom,
    TrimEnd,
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("---\n".to_string()),
        Just("\n## Decisions\n".to_string()),
        Just("\n## My own\n".to_string()),
        Just("\n- [ ] Call Bob @Bob #task\n".to_string()),
        Just("- [x] ".to_string()),
        Just("📅 2025-02-30".to_string()),
        Just(" ⏫".to_string()),
        Just(" @".to_string()),
        Just(" #".to_string()),
        Just("\n```\n".to_string()),
        Just("\n_None._\n".to_string()),
        Just("\n*Source: [[x]]*".to_string()),
        Just("\u{feff}".to_string()),
        Just(": ".to_string()),
        Just("\"".to_string()),
        Just("\n  - \"tag\"".to_string()),
        Just("\nextra: [1, 2]".to_string()),
        Just("\t".to_string()),
        Just("# ".to_string()),
        "\\PC{0,12}",
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), fragment()).prop_map(|(i, s)| Edit::Insert(i, s)),
        2 => (any::<Index>(), 1usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        1 => any::<Index>().prop_map(Edit::DeleteLine),
        1 => Just(Edit::Crlf),
        1 => Just(Edit::Bom),
        1 => Just(Edit::TrimEnd),
    ]
}

fn boundary(s: &str, i: &Index) -> usize {
    let mut p = i.index(s.len() + 1);
    while !s.is_char_boundary(p) {
        p -= 1;
    }
    p
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    for e in edits {
        match e {
            Edit::Insert(i, frag) => {
                let p = boundary(&s, i);
                s.insert_str(p, frag);
            }
            Edit::Delete(i, n) => {
                let p = boundary(&s, i);
                let mut end = (p + n).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.replace_range(p..end, "");
            }
            Edit::DuplicateLine(i) | Edit::DeleteLine(i) => {
                let mut lines: Vec<&str> = s.split('\n').collect();
                let k = i.index(lines.len());
                if matches!(e, Edit::DuplicateLine(_)) {
                    lines.insert(k, lines[k]);
                } else {
                    lines.remove(k);
                }
                s = lines.join("\n");
            }
            Edit::SwapLines(a, b) => {
                let mut lines: Vec<&str> = s.split('\n').collect();
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
                s = lines.join("\n");
            }
            Edit::Crlf => s = s.replace('\n', "\r\n"),
            Edit::Bom => s.insert(0, '\u{feff}'),
            Edit::TrimEnd => s = s.trim_end().to_string(),
        }
    }
    s
}

fn words(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "[A-Za-z0-9][A-Za-z0-9 ,.;:()’'-]{{0,{max}}}[A-Za-z0-9.]"
    ))
    .unwrap()
}

fn name() -> impl Strategy<Value = String> {
    "[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?"
}

fn date() -> impl Strategy<Value = String> {
    "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
}

fn priority() -> impl Strategy<Value = Option<Priority>> {
    proptest::option::of(proptest::sample::select(Priority::ALL.to_vec()))
}

/// A generated note whose every field is valid.
fn valid_note() -> impl Strategy<Value = Note> {
    (
        proptest::collection::btree_set(name(), 1..4),
        any::<bool>(),
        words(60),
        date(),
        "[a-z0-9/ _-]{0,20}[a-z0-9]",
        words(200),
        proptest::collection::vec(
            (
                words(80),
                any::<Index>(),
                priority(),
                proptest::option::of(date()),
            ),
            0..5,
        ),
        proptest::collection::vec(words(80), 0..4),
        proptest::collection::vec(words(80), 0..4),
    )
        .prop_map(
            |(names, people, title, date, source, summary, items, decisions, facts)| {
                let participants: Vec<String> = names.into_iter().collect();
                let (note_type, person) = if people {
                    ("people", participants[0].clone())
                } else {
                    ("meeting", String::new())
                };
                let mut owners = participants.clone();
                owners.extend(["Myself".to_string(), "TBD".to_string()]);
                let mut note = Note::new(Frontmatter::generated(
                    note_type,
                    &title,
                    &date,
                    &person,
                    participants,
                    &format!("/t/{source}.vtt"),
                ));
                note.summary = summary;
                note.action_items = items
                    .into_iter()
                    .map(|(text, owner, priority, due)| {
                        let mut item = ActionItem::proposed(&text, owner.get::<String>(&owners));
                        item.priority = priority;
                        item.due = due;
                        item
                    })
                    .collect();
                note.decisions = decisions;
                note.key_information = facts;
                note
            },
        )
}

fn user_content() -> impl Strategy<Value = UserContent> {
    let text = "[a-z][a-z .]{0,20}";
    let kind = proptest::sample::select(SectionKind::ALL.to_vec());
    (
        proptest::collection::vec(
            (
                proptest::option::of(proptest::sample::select(vec!["type", "date", "tags"])),
                "x_[a-z]{1,6}: [a-z0-9]{0,8}",
            ),
            0..3,
        ),
        proptest::collection::vec(text, 0..2),
        proptest::collection::vec((kind.clone(), 0usize..6, any::<bool>(), text), 0..4),
        proptest::collection::vec(
            (proptest::option::of(kind), "[A-Z][a-z ]{0,12}", text),
            0..3,
        ),
        proptest::collection::vec(text, 0..2),
    )
        .prop_map(|(fm, head, asides, sections, tail)| UserContent {
            // Keys made distinct: a mapping cannot hold a key twice.
            frontmatter: fm
                .into_iter()
                .enumerate()
                .map(|(i, (after, text))| ExtraYaml {
                    after: after.map(String::from),
                    text: format!("x{i}{text}"),
                })
                .collect(),
            head,
            asides: asides
                .into_iter()
                .map(|(section, after, attached, text)| Aside {
                    section,
                    after,
                    attached,
                    text,
                })
                .collect(),
            sections: sections
                .into_iter()
                .map(|(after, heading, body)| UserSection {
                    after,
                    heading,
                    body,
                })
                .collect(),
            tail,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC*") {
        assert_fixed_point(&s)?;
    }

    #[test]
    fn arbitrary_text_after_frontmatter_never_panics(s in "---\n(\\PC|\n){0,300}") {
        assert_fixed_point(&s)?;
    }

    #[test]
    fn mutated_reference_notes(edits in proptest::collection::vec(edit(), 1..8)) {
        assert_fixed_point(&apply(REFERENCE, &edits))?;
    }

    #[test]
    fn generated_notes_round_trip_and_validate(note in valid_note()) {
        let text = note.render();
        let back = Note::parse(&text).unwrap();
        prop_assert_eq!(&back, &note);
        let errors: Vec<String> = validate(&text, Path::new("n.md"), &Rules::default())
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.to_string())
            .collect();
        prop_assert!(errors.is_empty(), "{:?}\n{}", errors, text);
    }

    #[test]
    fn user_content_comes_back_in_place(mut note in valid_note(), user in user_content()) {
        note.user = user;
        let first = note.render();
        let second = Note::parse(&first).unwrap().render();
        prop_assert_eq!(&first, &second);
        assert_fixed_point(&apply(&first, &[Edit::Crlf]))?;
    }
}

#[test]
fn obsidian_edits_parse_to_the_same_note() {
    let note = Note::parse(REFERENCE).unwrap();
    let crlf = format!("\u{feff}{}\r\n", REFERENCE.replace('\n', "\r\n"));
    assert_eq!(Note::parse(&crlf).unwrap(), note);
    let checked = REFERENCE
        .replacen("- [?] Send the revised", "- [x] Send the revised", 1)
        .replacen("- [?] Book a half-day", "- [-] Book a half-day", 1)
        .replacen("- [?] Ask finance", "- [ ] Ask finance", 1);
    let edited = Note::parse(&checked).unwrap();
    let statuses: Vec<char> = edited
        .action_items
        .iter()
        .take(4)
        .map(|a| a.status)
        .collect();
    assert_eq!(statuses, ['x', '-', ' ', '?']);
    assert_eq!(edited.render(), checked);
}
