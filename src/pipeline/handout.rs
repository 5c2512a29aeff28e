//! Work handed out to several people in one sentence ("you each have things to do:
//! Industrial Design, your components concept, User Interface, the interface concept"),
//! which a small model copies as one item for one owner. Each person the sentence turns to
//! gets their own task, in the sentence's words, with the same evidence.

use super::extract::ActionDraft;
use super::form::{bare, Names};
use crate::note::OWNER_TBD;

/// Words that open a clause in which the speaker may turn to someone: "…, and Sam the
/// deck", "…, then Priya the pricing".
const JOINERS: [&str; 3] = ["and", "then", "while"];

/// Words that turn to the whole group rather than to one person: a hand-out's preamble
/// ("you each have individual actions") holds no task of its own.
const GROUP: [&str; 6] = ["each", "everyone", "everybody", "all", "both", "team"];

/// `action` as one task per participant its words turn to, or as it was when it turns to
/// no one past its start. A participant is turned to where their name (or role) opens a
/// clause (at the start, after a comma, semicolon or colon, or after "and", "then" or
/// "while") and words of their own follow it. What comes before the
/// first such name stays the owner's own task, unless it speaks to the whole group; a part
/// that says too little to be a task leaves the item whole.
pub fn split(action: ActionDraft, names: &Names, owners: &[String]) -> Vec<ActionDraft> {
    let tokens: Vec<(usize, &str)> = tokens(&action.text);
    let words: Vec<String> = tokens
        .iter()
        .map(|(_, raw)| bare(raw).to_lowercase())
        .collect();
    // (where the clause starts in the text, the person, how many words name them)
    let mut turned_to: Vec<(usize, String, usize)> = Vec::new();
    for (i, (start, _)) in tokens.iter().enumerate() {
        let opens_clause = i == 0
            || tokens[i - 1].1.ends_with([',', ';', ':'])
            || JOINERS.contains(&words[i - 1].as_str());
        if !opens_clause {
            continue;
        }
        if let Some((person, len)) = names.person_at(&words[i..]) {
            // A first name alone is a name only as written: "Sam", not "project" for
            // "Project Manager".
            let by_first_name = len < person.split_whitespace().count();
            let written = tokens[i].1.starts_with(char::is_uppercase);
            // A name set off by itself ("Send the deck, Sam, and book the room", "…,
            // Sam.") calls on someone; it does not start their part.
            let aside = words
                .get(i + len)
                .is_none_or(|next| JOINERS.contains(&next.as_str()) || next == "or");
            if owners.contains(&person)
                && person != OWNER_TBD
                && (written || !by_first_name)
                && !aside
            {
                turned_to.push((*start, person, len));
            }
        }
    }
    let first_at = turned_to.first().map_or(0, |(at, _, _)| *at);
    if turned_to.is_empty() || (turned_to.len() == 1 && first_at == 0) {
        return vec![action];
    }
    let mut parts = Vec::with_capacity(turned_to.len() + 1);
    let preamble = clause(&action.text[..first_at]);
    let preamble_words: Vec<String> = preamble
        .split_whitespace()
        .map(|w| bare(w).to_lowercase())
        .collect();
    if preamble_words.len() >= 3 && !preamble_words.iter().any(|w| GROUP.contains(&w.as_str())) {
        let owner = if turned_to.iter().any(|(_, p, _)| *p == action.owner) {
            OWNER_TBD.to_string()
        } else {
            action.owner.clone()
        };
        parts.push(part(&action, preamble, owner));
    }
    for (n, (at, person, len)) in turned_to.iter().enumerate() {
        let end = turned_to
            .get(n + 1)
            .map_or(action.text.len(), |next| next.0);
        let text = clause(&action.text[*at..end]);
        // The words past the name must say something: "…, Priya and Sam" hands out nothing.
        if text.split_whitespace().count() < len + 2 {
            return vec![action];
        }
        parts.push(part(&action, text, person.clone()));
    }
    parts
}

/// Each whitespace-separated token of `text` with where it starts.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// A clause cut out of a sentence, without the joiner and punctuation that tied it to the
/// next: "Sam the deck, and" is "Sam the deck".
fn clause(text: &str) -> &str {
    let mut text = text.trim();
    loop {
        let before = text;
        text = text.trim_end_matches([',', ';', ':', ' ']);
        for joiner in JOINERS {
            if let Some(rest) = text.strip_suffix(joiner) {
                if rest.is_empty() || rest.ends_with([' ', ',']) {
                    text = rest;
                }
            }
        }
        if text == before {
            return text;
        }
    }
}

fn part(action: &ActionDraft, text: &str, owner: String) -> ActionDraft {
    ActionDraft {
        turn: action.turn,
        owner,
        text: super::tidy::capitalised(text),
        due: action.due.clone(),
        evidence: action.evidence.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{Format, Metadata, Transcript};

    fn names(participants: &[&str]) -> (Names, Vec<String>) {
        let participants: Vec<String> = participants.iter().map(|p| p.to_string()).collect();
        let transcript = Transcript::new(Vec::new(), Metadata::new(Format::Plain));
        let mut owners = participants.clone();
        owners.push(OWNER_TBD.to_string());
        (Names::new(&participants, &transcript), owners)
    }

    fn action(text: &str, owner: &str) -> ActionDraft {
        ActionDraft {
            turn: 7,
            owner: owner.to_string(),
            text: text.to_string(),
            due: None,
            evidence: None,
        }
    }

    fn split_out(text: &str, owner: &str, participants: &[&str]) -> Vec<(String, String)> {
        let (names, owners) = names(participants);
        split(action(text, owner), &names, &owners)
            .into_iter()
            .map(|a| {
                assert_eq!(a.turn, 7);
                (a.text, a.owner)
            })
            .collect()
    }

    const ROLES: [&str; 4] = [
        "Project Manager",
        "Industrial Designer",
        "User Interface",
        "Marketing",
    ];

    #[test]
    fn a_hand_out_to_three_roles_is_three_tasks_and_its_preamble_none() {
        let parts = split_out(
            "Each have individual actions, Industrial Design you've your components \
             concept, User Interface, the user interface concept, market trend watching",
            "Project Manager",
            &ROLES,
        );
        assert_eq!(
            parts,
            [
                (
                    "Industrial Design you've your components concept".to_string(),
                    "Industrial Designer".to_string()
                ),
                (
                    "User Interface, the user interface concept".to_string(),
                    "User Interface".to_string()
                ),
                ("Market trend watching".to_string(), "Marketing".to_string()),
            ]
        );
    }

    #[test]
    fn the_task_before_someone_is_turned_to_stays_the_owners() {
        let parts = split_out(
            "Draft the agenda, and Sam you'll book the room for Friday",
            "Priya Natarajan",
            &["Priya Natarajan", "Sam Okafor"],
        );
        assert_eq!(
            parts,
            [
                (
                    "Draft the agenda".to_string(),
                    "Priya Natarajan".to_string()
                ),
                (
                    "Sam you'll book the room for Friday".to_string(),
                    "Sam Okafor".to_string()
                ),
            ]
        );
        // Said as the task of the one turned to, the first part has no owner left.
        let parts = split_out(
            "Draft the agenda, and Sam you'll book the room for Friday",
            "Sam Okafor",
            &["Priya Natarajan", "Sam Okafor"],
        );
        assert_eq!(parts[0].1, OWNER_TBD);
    }

    #[test]
    fn an_item_for_one_person_or_naming_people_in_passing_stays_whole() {
        for text in [
            // Turned to at its start only.
            "Marketing executive, you'll think about the requirements it has to fulfil",
            // A name inside a clause is who the task is for, not who does it.
            "Send the deck to Sam before the review",
            "Think about our user interface, the buttons first",
            // The parts would hand out nothing.
            "Review the draft, Priya and Sam",
            // A name called out in passing.
            "Send the deck, Sam, and book the room",
            // A role's first word is not its holder: "project" is no Project Manager.
            "Put up the minutes, and project documentation for the team",
        ] {
            let parts = split_out(
                text,
                "Project Manager",
                &[
                    "Project Manager",
                    "Priya Natarajan",
                    "Sam Okafor",
                    "User Interface",
                ],
            );
            assert_eq!(
                parts,
                [(text.to_string(), "Project Manager".to_string())],
                "{text}"
            );
        }
    }
}
