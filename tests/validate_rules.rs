//! Each rule, shown failing: a fixture note under tests/fixtures/notes/rules/ with one
//! thing wrong, and the exact diagnostics `recap validate` prints for it.

use std::path::Path;

use recap::note::{validate, Rule, Rules, Severity};

const DIR: &str = "tests/fixtures/notes/rules/";

/// (fixture, diagnostics) with `{DIR}` standing for the fixtures' folder.
#[rustfmt::skip]
const CASES: &[(&str, &[&str])] = &[
        (
            "date-invalid",
            &[
            "{DIR}date-invalid.md:4:7: error[date-invalid]: `date` is \"2025-02-30\", which is not a day in the calendar\n  hint: write the meeting's date as YYYY-MM-DD",
            ],
        ),
        (
            "date-invalid-shape",
            &[
            "{DIR}date-invalid-shape.md:4:7: error[date-invalid]: `date` is \"Nov 12, 2025\", not a date in the form YYYY-MM-DD\n  hint: write the meeting's date as YYYY-MM-DD",
            ],
        ),
        (
            "date-line-mismatch",
            &[
            "{DIR}date-line-mismatch.md:17:11: error[date-line-mismatch]: the `**Date**:` line says \"2025-11-13\" but `date` is \"2025-11-12\"\n  hint: write `**Date**: 2025-11-12`",
            ],
        ),
        (
            "date-line-missing",
            &[
            "{DIR}date-line-missing.md:16:1: error[date-line-missing]: the note has no `**Date**:` line\n  hint: add `**Date**: 2025-11-12` under the heading",
            ],
        ),
        (
            "footer-rule-missing",
            &[
            "{DIR}footer-rule-missing.md:52:1: error[footer-rule-missing]: no `---` line before the source line\n  hint: put a `---` line and a blank line above `*Source: …*`",
            ],
        ),
        (
            "frontmatter-missing",
            &[
            "{DIR}frontmatter-missing.md:1:1: error[frontmatter-missing]: the note does not start with YAML frontmatter\n  hint: start the file with a `---` line, the keys (type, title, date, person, participants, source, source_ref, tags) and another `---` line",
            ],
        ),
        (
            "frontmatter-unterminated",
            &[
            "{DIR}frontmatter-unterminated.md:1:1: error[frontmatter-unterminated]: the frontmatter opened here is never closed\n  hint: end the frontmatter with a `---` line",
            ],
        ),
        (
            "frontmatter-yaml",
            &[
            "{DIR}frontmatter-yaml.md:6:15: error[frontmatter-yaml]: the frontmatter is not valid YAML: did not find expected ',' or ']', while parsing a flow sequence\n  hint: the `[` opened here is not closed: end the list with `]` on the same line",
            ],
        ),
        (
            "frontmatter-yaml-quote",
            &[
            "{DIR}frontmatter-yaml-quote.md:3:8: error[frontmatter-yaml]: the frontmatter is not valid YAML: did not find expected key, while parsing a block mapping\n  hint: the quote opened here is not closed: end the value with `\"` on the same line",
            ],
        ),
        (
            "heading-missing",
            &[
            "{DIR}heading-missing.md:15:1: error[heading-missing]: the note has no `# ` title heading\n  hint: add `# Storage sync: Azure gaps and the win-loss cadence` under the frontmatter",
            ],
        ),
        (
            "heading-title-mismatch",
            &[
            "{DIR}heading-title-mismatch.md:15:1: error[heading-title-mismatch]: the heading \"Storage sync\" differs from `title` \"Storage sync: Azure gaps and the win-loss cadence\"\n  hint: make the heading `# Storage sync: Azure gaps and the win-loss cadence`, or change `title`",
            ],
        ),
        (
            "item-empty",
            &[
            "{DIR}item-empty.md:42:1: error[item-empty]: an empty item in `## Decisions`\n  hint: write the statement, or remove the line",
            ],
        ),
        (
            "key-missing",
            &[
            "{DIR}key-missing.md:11:1: error[key-missing]: the frontmatter lacks the keys `person`, `source`\n  hint: add them; order the keys: type, title, date, person, participants, source, source_ref, tags",
            ],
        ),
        (
            "key-order",
            &[
            "{DIR}key-order.md:4:1: error[key-order]: `title` comes after `date`\n  hint: order the keys: type, title, date, person, participants, source, source_ref, tags",
            ],
        ),
        (
            "key-type",
            &[
            "{DIR}key-type.md:5:1: error[key-type]: `person` must be a string, not nothing (null)\n  hint: write the value in double quotes, e.g. `person: \"\"`",
            "{DIR}key-type.md:6:15: error[key-type]: `participants` must be a list of names, not a string\n  hint: write it as a list: [\"Jason Vallery\", \"Jeff Denworth\"]",
            ],
        ),
        (
            "participants-duplicate",
            &[
            "{DIR}participants-duplicate.md:6:15: error[participants-duplicate]: `participants` names \"Jeff Denworth\" more than once\n  hint: list each person once",
            ],
        ),
        (
            "participants-empty",
            &[
            "{DIR}participants-empty.md:6:15: error[participants-empty]: `participants` is empty\n  hint: list everyone in the meeting, e.g. [\"Jason Vallery\", \"Jeff Denworth\"]",
            ],
        ),
        (
            "participants-empty-name",
            &[
            "{DIR}participants-empty-name.md:6:15: error[participants-empty]: participant 2 is blank\n  hint: remove it or write the person's name",
            ],
        ),
        (
            "person-empty",
            &[
            "{DIR}person-empty.md:5:9: warning[person-empty]: this `people` note has an empty `person` and a bare `person/` tag\n  hint: set `person` to the other person's name and tag the note `person/<slug>`, e.g. `person/jeff-denworth`",
            ],
        ),
        (
            "section-duplicate",
            &[
            "{DIR}section-duplicate.md:52:1: error[section-duplicate]: a second `## Decisions` section\n  hint: merge it into the first one",
            ],
        ),
        (
            "section-empty",
            &[
            "{DIR}section-empty.md:45:1: error[section-empty]: the `## Key Information` section is empty\n  hint: write `_None._` under the heading when there is nothing to record",
            ],
        ),
        (
            "section-missing",
            &[
            "{DIR}section-missing.md:37:1: error[section-missing]: the note has no `## Decisions` section\n  hint: add `## Decisions`; write `_None._` under the heading when there is nothing to record",
            ],
        ),
        (
            "section-misspelled",
            &[
            "{DIR}section-misspelled.md:37:1: error[section-missing]: the note has no `## Decisions` section: is `## Decison` meant to be it?\n  hint: rename the heading to `## Decisions`; sections are found by their exact title",
            ],
        ),
        (
            "section-renamed",
            &[
            "{DIR}section-renamed.md:37:1: error[section-missing]: the note has no `## Decisions` section: is `## Outcomes` meant to be it?\n  hint: rename the heading to `## Decisions`; sections are found by their exact title",
            ],
        ),
        (
            "section-none-with-items",
            &[
            "{DIR}section-none-with-items.md:42:1: error[section-none-with-items]: `_None._` in `## Decisions`, which is not empty\n  hint: remove the `_None._` line",
            ],
        ),
        (
            "section-order",
            &[
            "{DIR}section-order.md:45:1: error[section-order]: `## Decisions` comes after `## Key Information`\n  hint: order the sections: Summary, Action Items, Decisions, Key Information",
            ],
        ),
        (
            "source-link-mismatch",
            &[
            "{DIR}source-link-mismatch.md:54:12: error[source-link-mismatch]: the source link [[storage sync]] does not match `source_ref`, whose file stem is \"2025-11-12 - storage sync\"\n  hint: write `*Source: [[2025-11-12 - storage sync]]*`",
            ],
        ),
        (
            "source-link-missing",
            &[
            "{DIR}source-link-missing.md:48:1: error[source-link-missing]: the note does not end with a `*Source: [[…]]*` line\n  hint: end the note with `---`, a blank line and `*Source: [[2025-11-12 - storage sync]]*`",
            ],
        ),
        (
            "source-ref-empty",
            &[
            "{DIR}source-ref-empty.md:8:13: error[source-ref-empty]: `source_ref` is empty\n  hint: set it to the transcript's path; the footer links to its file name",
            ],
        ),
        (
            "source-unknown",
            &[
            "{DIR}source-unknown.md:7:9: error[source-unknown]: `source` is \"zoom\", not \"transcript\"\n  hint: write `source: \"transcript\"`",
            ],
        ),
        (
            "tag-invalid",
            &[
            "{DIR}tag-invalid.md:12:5: error[tag-invalid]: tag \"azure gaps\" is not a valid tag\n  hint: tags have no spaces and no `#`",
            ],
        ),
        (
            "tag-mismatch",
            &[
            "{DIR}tag-mismatch.md:10:5: error[tag-mismatch]: tag `type/people` does not match `type` \"meeting\"\n  hint: make it `type/meeting`",
            ],
        ),
        (
            "tag-mismatch-person",
            &[
            "{DIR}tag-mismatch-person.md:11:5: error[tag-mismatch]: tag `person/jeff` does not match `person` \"Jeff Denworth\"\n  hint: make it `person/jeff-denworth`",
            ],
        ),
        (
            "tag-missing",
            &[
            "{DIR}tag-missing.md:9:1: error[tag-missing]: `tags` lacks the tag `generated`\n  hint: add it to `tags`",
            ],
        ),
        (
            "task-due-invalid",
            &[
            "{DIR}task-due-invalid.md:28:63: error[task-due-invalid]: the due date \"2025-11-31\" is not a real date in the form YYYY-MM-DD\n  hint: write `📅 YYYY-MM-DD` after the owner",
            ],
        ),
        (
            "task-owner-missing",
            &[
            "{DIR}task-owner-missing.md:30:40: error[task-owner-missing]: the action item has no `@Owner`\n  hint: add `@Name` after the text: a participant, `@Myself` or `@TBD`",
            ],
        ),
        (
            "task-owner-multiple",
            &[
            "{DIR}task-owner-multiple.md:30:45: error[task-owner-multiple]: the action item has more than one owner: `@Jeff`, `@Renan Ortiz`\n  hint: keep one `@Owner`; name anyone else in the text without `@`",
            ],
        ),
        (
            "task-owner-unknown",
            &[
            "{DIR}task-owner-unknown.md:30:41: error[task-owner-unknown]: the owner `@Renan` is not a participant, `Myself` or `TBD`\n  hint: use one of: @Jason Vallery, @Jeff Denworth, @Renan Ortiz, @Myself, @TBD",
            ],
        ),
        (
            "task-priority",
            &[
            "{DIR}task-priority.md:32:60: error[task-priority]: the action item has more than one priority\n  hint: keep one of 🔺 ⏫ 🔼 🔽 ⏬",
            ],
        ),
        (
            "task-syntax",
            &[
            "{DIR}task-syntax.md:30:1: error[task-syntax]: this list item is not a task\n  hint: write `- [?] <text> @<Owner> #task #proposed #auto`",
            ],
        ),
        (
            "task-tag-missing",
            &[
            "{DIR}task-tag-missing.md:30:59: error[task-tag-missing]: the action item lacks #proposed #auto\n  hint: end the item with `#task #proposed #auto`",
            ],
        ),
        (
            "task-text-empty",
            &[
            "{DIR}task-text-empty.md:30:6: error[task-text-empty]: the action item has no text\n  hint: say what is to be done, before the `@Owner`",
            ],
        ),
        (
            "title-empty",
            &[
            "{DIR}title-empty.md:3:8: error[title-empty]: `title` is empty\n  hint: give the note a title; the `# ` heading repeats it",
            ],
        ),
        (
            "type-unknown",
            &[
            "{DIR}type-unknown.md:2:7: error[type-unknown]: `type` is \"standup\", which is not a configured note type\n  hint: use one of `people`, `meeting`; add others to `note_types` in the config file",
            ],
        ),
        (
            "with-line-mismatch",
            &[
            "{DIR}with-line-mismatch.md:18:11: error[with-line-mismatch]: the `**With**:` line says \"Jason, Jeff, Renan\" but `participants` are \"Jason Vallery, Jeff Denworth, Renan Ortiz\"\n  hint: write `**With**: Jason Vallery, Jeff Denworth, Renan Ortiz`",
            ],
        ),
        (
            "with-line-missing",
            &[
            "{DIR}with-line-missing.md:16:1: error[with-line-missing]: the note has no `**With**:` line\n  hint: add `**With**: Jason Vallery, Jeff Denworth, Renan Ortiz` under the heading",
            ],
        ),
];

fn check(name: &str) -> Vec<String> {
    let rel = format!("{DIR}{name}.md");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel)).unwrap();
    validate(&text, Path::new(&rel), &Rules::default())
        .iter()
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn each_fixture_gives_exactly_its_diagnostics() {
    for (name, expected) in CASES {
        let expected: Vec<String> = expected.iter().map(|e| e.replace("{DIR}", DIR)).collect();
        assert_eq!(check(name), expected, "fixture {name}");
    }
}

#[test]
fn every_note_rule_has_a_failing_fixture() {
    let file_rules = [
        Rule::IoError,
        Rule::SymlinkLoop,
        Rule::FileTooLarge,
        Rule::FileBinary,
        Rule::FileEncoding,
    ];
    for rule in Rule::ALL.iter().filter(|r| !file_rules.contains(r)) {
        let case = CASES.iter().find(|(name, _)| *name == rule.id());
        let (name, diags) = case.unwrap_or_else(|| panic!("no fixture for {}", rule.id()));
        let tag = format!("[{}]", rule.id());
        assert!(
            diags.iter().any(|d| d.contains(&tag)),
            "{name} does not show {tag}"
        );
    }
}

#[test]
fn the_valid_fixtures_pass_clean_and_are_in_the_rendered_layout() {
    for name in ["valid", "valid-people"] {
        let rel = format!("tests/fixtures/notes/{name}.md");
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel)).unwrap();
        assert!(
            validate(&text, Path::new(&rel), &Rules::default()).is_empty(),
            "{name}"
        );
        assert_eq!(
            recap::note::Note::parse(&text).unwrap().render(),
            text,
            "{name}"
        );
    }
}

#[test]
fn configured_note_types_are_accepted() {
    let rel = format!("{DIR}type-unknown.md");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel)).unwrap();
    let rules = Rules {
        note_types: vec!["people".into(), "meeting".into(), "standup".into()],
    };
    assert!(validate(&text, Path::new(&rel), &rules).is_empty());
}

#[test]
fn only_person_empty_is_a_warning() {
    for rule in Rule::ALL {
        let expected = if *rule == Rule::PersonEmpty {
            Severity::Warning
        } else {
            Severity::Error
        };
        assert_eq!(rule.severity(), expected, "{rule}");
    }
}
