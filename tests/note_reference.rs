//! A note in the reference format (tests/fixtures/notes/reference.md, written for these
//! tests in the shape of the project's reference note): parsing it and rendering it back
//! gives the same bytes, and it validates with exactly one warning.

use std::path::Path;

use recap::note::{validate, Note, Rules};

fn reference() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/notes/reference.md"
    );
    std::fs::read_to_string(path).expect("the reference-format note in tests/fixtures/notes")
}

#[test]
fn the_reference_round_trips_byte_for_byte() {
    let text = reference();
    let note = Note::parse(&text).unwrap();
    assert_eq!(note.render(), text);
}

#[test]
fn the_reference_parses_into_its_parts() {
    let note = Note::parse(&reference()).unwrap();
    assert_eq!(note.frontmatter.note_type, "people");
    assert_eq!(
        note.frontmatter.participants,
        ["Priya Natarajan", "Dana Whitfield"]
    );
    assert_eq!(
        note.frontmatter.tags,
        ["type/people", "person/", "generated"]
    );
    assert_eq!(note.action_items.len(), 7);
    assert_eq!(note.decisions.len(), 3);
    assert_eq!(note.key_information.len(), 5);
    assert_eq!(note.action_items[6].owner, "TBD");
    assert_eq!(note.action_items[4].owner, "Dana Whitfield");
    assert_eq!(note.action_items[3].due.as_deref(), Some("2025-11-21"));
    assert!(note.user.is_empty(), "{:?}", note.user);
}

#[test]
fn the_reference_validates_with_one_warning() {
    let diags = validate(&reference(), Path::new("ref.md"), &Rules::default());
    let lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        lines,
        ["ref.md:5:9: warning[person-empty]: this `people` note has an empty `person` and a bare `person/` tag\n  hint: set `person` to the other person's name and tag the note `person/<slug>`, e.g. `person/jeff-denworth`"]
    );
}
