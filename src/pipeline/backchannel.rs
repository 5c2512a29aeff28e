//! Backchannel: turns that only acknowledge ("Yeah.", "Mm-hmm.", "Okay, right."). In the
//! AMI meetings they are a third of all turns and about an eighth of the prompt's
//! characters once each carries its `[n] Speaker:` label; the model reads nothing in them,
//! so the prompt leaves them out and every other turn keeps its number. A short reply to a
//! question or a request stays: "Sure." after "Can you send it?" accepts a task, "Yes."
//! after "Shall we go with yellow?" settles a choice.

use super::cues;

/// Words that acknowledge without saying anything.
const ACKNOWLEDGEMENTS: &[&str] = &[
    "yeah", "yes", "yep", "yup", "ok", "okay", "mm-hmm", "mm", "mhm", "hmm", "hm", "uh-huh", "uh",
    "um", "right", "alright", "sure", "oh", "ah", "so", "cool", "good", "great", "nice", "true",
    "exactly", "well", "huh",
];

/// Whether `word`, lowercase, is one that acknowledges ("yeah", "okay", "mm").
pub fn acknowledges(word: &str) -> bool {
    ACKNOWLEDGEMENTS.contains(&word)
}

/// At most this many words make an acknowledgement; a longer run of them is a turn with
/// some weight ("Yeah, yeah, okay, right, good.") and is kept.
const MAX_WORDS: usize = 4;

/// Whether `text`, said right after `before` (by anyone; `None` at a chunk's start), only
/// acknowledges and answers no question or request.
pub fn says_nothing(before: Option<&str>, text: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty()
        && words.len() <= MAX_WORDS
        && words.iter().all(|w| ACKNOWLEDGEMENTS.contains(&w.as_str()))
        && !before.is_some_and(|b| b.contains('?') || cues::asks(b))
}

#[cfg(test)]
mod tests {
    use super::says_nothing;

    #[test]
    fn acknowledgements_say_nothing_unless_they_answer() {
        assert!(says_nothing(None, "Yeah."));
        assert!(says_nothing(Some("The case is yellow."), "Mm-hmm. Okay."));
        assert!(says_nothing(
            Some("We have a budget."),
            "Okay, right, good."
        ));
        assert!(!says_nothing(Some("Shall we go with yellow?"), "Yes."));
        assert!(!says_nothing(Some("Could you send the deck."), "Sure."));
        assert!(!says_nothing(None, "Yeah, I'll do it."));
        assert!(!says_nothing(None, "No."));
        assert!(!says_nothing(None, "Yeah, yeah, okay, right, good."));
        assert!(!says_nothing(None, "..."));
    }
}
