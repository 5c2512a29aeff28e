//! Regenerate keeps what a person did to a note. A freshly generated note takes from the
//! old one: the status (and Tasks fields such as `✅ 2025-11-10`, and the item's tags) of
//! every action item the person ticked, reopened or cancelled, matched to the new items by
//! content; their own tags; their own sections, asides and frontmatter keys; a `person`
//! they filled in by hand. A touched item with no counterpart in the new note is kept as
//! it was, at the end of the list: a person's work is never dropped.

use crate::note::{ActionItem, Note, STATUS_PROPOSED};

use super::sameness::word_similarity as similarity;

/// Items whose texts overlap at least this much (Jaccard of words) are the same task.
pub const SAME_TASK: f64 = 0.5;

/// `fresh` with the person's edits of `old` carried over.
pub fn carry_over(old: &Note, mut fresh: Note) -> Note {
    let mut taken = vec![false; fresh.action_items.len()];
    let mut orphans: Vec<ActionItem> = Vec::new();
    for item in old
        .action_items
        .iter()
        .filter(|i| i.status != STATUS_PROPOSED)
    {
        let best = fresh
            .action_items
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken[*i])
            .map(|(i, new)| (i, similarity(&item.text, &new.text)))
            .filter(|(_, score)| *score >= SAME_TASK)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((i, _)) => {
                taken[i] = true;
                let new = &mut fresh.action_items[i];
                new.status = item.status;
                new.fields.clone_from(&item.fields);
                new.tags.clone_from(&item.tags);
            }
            None => orphans.push(item.clone()),
        }
    }
    fresh.action_items.extend(orphans);

    let fm = &mut fresh.frontmatter;
    if fm.person.trim().is_empty() && !old.frontmatter.person.trim().is_empty() {
        fm.person.clone_from(&old.frontmatter.person);
        fm.tags = fm.generated_tags();
    }
    let user_tags: Vec<String> = old.frontmatter.user_tags().map(str::to_string).collect();
    for tag in user_tags {
        if !fm.tags.contains(&tag) {
            fm.tags.push(tag);
        }
    }
    fresh.user = old.user.clone();
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::Frontmatter;

    fn note(items: &[(char, &str)]) -> Note {
        let mut note = Note::new(Frontmatter::generated(
            "meeting",
            "Launch",
            "2025-11-07",
            "",
            vec!["Ana".into(), "Bo".into()],
            "/t/2025-11-07 launch.vtt",
        ));
        note.action_items = items
            .iter()
            .map(|(status, text)| {
                let mut item = ActionItem::proposed(text, "Ana");
                item.status = *status;
                item
            })
            .collect();
        note
    }

    #[test]
    fn statuses_follow_their_task_and_orphans_are_kept() {
        let mut old = note(&[
            ('x', "Send the pricing deck to the board"),
            ('-', "Book a venue for the offsite"),
            ('?', "Draft the agenda"),
            (' ', "Call the lawyer about the lease"),
        ]);
        old.action_items[0].fields.push("✅ 2025-11-10".into());
        old.frontmatter.tags.push("project/launch".into());
        let fresh = note(&[
            ('?', "Draft the agenda for Monday"),
            ('?', "Send the pricing deck to the board members"),
            ('?', "Book a venue for the team offsite"),
        ]);
        let kept = carry_over(&old, fresh);
        let statuses: Vec<(char, &str)> = kept
            .action_items
            .iter()
            .map(|i| (i.status, i.text.as_str()))
            .collect();
        assert_eq!(
            statuses,
            [
                ('?', "Draft the agenda for Monday"),
                ('x', "Send the pricing deck to the board members"),
                ('-', "Book a venue for the team offsite"),
                (' ', "Call the lawyer about the lease"),
            ]
        );
        assert_eq!(kept.action_items[1].fields, ["✅ 2025-11-10"]);
        assert_eq!(
            kept.frontmatter.tags,
            ["type/meeting", "generated", "project/launch"]
        );
    }

    #[test]
    fn a_person_filled_in_by_hand_is_kept_with_its_tag() {
        let mut old = note(&[]);
        old.frontmatter.person = "Jeff Denworth".into();
        let kept = carry_over(&old, note(&[]));
        assert_eq!(kept.frontmatter.person, "Jeff Denworth");
        assert_eq!(
            kept.frontmatter.tags,
            ["type/meeting", "person/jeff-denworth", "generated"]
        );
    }
}
