//! The reference note: parsing it and rendering it back gives the same bytes, and it
//! validates with exactly one warning.

use std::path::Path;

use recap::note::{validate, Note, Rules};

fn reference() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/1on1-jeff-denworth.md"
    );
    std::fs::read_to_string(path).expect("the reference note at ../shared/reference")
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
        ["Jason Vallery", "Jeff Denworth"]
    );
    assert_eq!(
        note.frontmatter.tags,
        ["type/people", "person/", "generated"]
    );
    assert_eq!(note.action_items.len(), 13);
    assert_eq!(note.decisions.len(), 4);
    assert_eq!(note.key_information.len(), 8);
    assert_eq!(note.action_items[12].owner, "TBD");
    assert_eq!(note.action_items[10].owner, "Jeff Denworth");
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
