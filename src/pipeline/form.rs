//! The grammatical form of an item, which says which list it belongs in. A task is an
//! *instruction* ("Send the deck to Ana") or says that a person will do something ("Sam
//! will send the deck"); a decision is a *statement* about the thing chosen ("The launch
//! moves to March", "We keep the rollback plan"); a *question* ("Do we keep the trial?")
//! is neither. A small model files items by topic rather than by kind (a choice stated in
//! the turn that also holds a task lands among the tasks), so the lists are sorted by what
//! each item's words say, not by the pass that wrote it (see `merge::sort`).
//!
//! No tagger is needed for the few shapes that matter: an item is a statement when it
//! opens with a subject (a pronoun, a determiner, a person's name) or when its second
//! word is a finite verb ("Pricing is 4.99"); otherwise it is read as an instruction.

use std::collections::BTreeSet;

use super::due::{MONTHS, WEEKDAYS};
use crate::transcript::Transcript;

/// What an item's wording makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// Opens with a verb: "Send the deck".
    Instruction,
    /// Ends with a question mark.
    Question,
    /// Hedged ("maybe", "might", "I don't know") or holding a question: not settled.
    Tentative,
    /// Opens with a word that ties it to talk around it ("Because right now…", "Or
    /// possibly a description of it"): a piece of talk, which asks nothing and settles
    /// nothing.
    Fragment,
    /// Opens with a subject: "The launch moves", "Sam will send".
    Statement { subject: Subject, verb: Verb },
}

/// What a statement's verb says of its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// "stays", "is": how things are or will be.
    Plain,
    /// "will", "can", "is going to", "to": what the subject will do.
    Future,
    /// "needs to", "must", "should", "has to": what the subject has to do.
    Obligation,
}

/// Who or what a statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// "I": the speaker of the item's turn.
    Speaker,
    /// "You": the one the speaker addresses.
    Addressee,
    /// A person: a participant (as the transcript names them) or a name said in it.
    Person(String),
    /// Anything else: "we", "the remote", "pricing".
    Other,
}

/// Words that open a statement about something other than one person.
const SUBJECTS: [&str; 30] = [
    "we",
    "they",
    "it",
    "the",
    "a",
    "an",
    "this",
    "that",
    "these",
    "those",
    "our",
    "their",
    "its",
    "there",
    "everyone",
    "everybody",
    "someone",
    "somebody",
    "nobody",
    "each",
    "all",
    "both",
    "no",
    "team",
    "he",
    "she",
    "his",
    "her",
    "my",
    "your",
];

/// Second words that make the first one a subject: finite verbs and modals.
const FINITE: [&str; 34] = [
    "am", "will", "can", "could", "should", "must", "would", "may", "might", "shall", "won't",
    "can't", "cannot", "to", "is", "are", "was", "were", "has", "have", "had", "isn't", "aren't",
    "wasn't", "doesn't", "don't", "does", "stays", "moves", "remains", "goes", "needs", "gets",
    "becomes",
];

/// Verbs after a subject that look ahead.
const FUTURE: [&str; 8] = [
    "will", "can", "could", "would", "may", "might", "shall", "to",
];

/// Verbs after a subject that oblige it.
const OBLIGATION: [&str; 6] = ["must", "should", "need", "needs", "has", "have"];

/// The people an item may name: participants by full and first name, and the names said
/// in the transcript (a capitalised word inside a sentence that is never written in lower
/// case, less weekdays and months).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Participants, lowercase, each with its words.
    participants: Vec<(String, Vec<String>)>,
    /// Single lowercase words that name someone.
    said: BTreeSet<String>,
}

impl Names {
    pub fn new(participants: &[String], transcript: &Transcript) -> Self {
        let participants: Vec<(String, Vec<String>)> = participants
            .iter()
            .map(|p| {
                let words = p.split_whitespace().map(str::to_lowercase).collect();
                (p.clone(), words)
            })
            .collect();
        let mut capital = BTreeSet::new();
        let mut lower = BTreeSet::new();
        for turn in &transcript.turns {
            let mut start = true;
            for raw in turn.text.split_whitespace() {
                let word = bare(raw);
                if !word.is_empty() && !start {
                    if word.chars().next().is_some_and(char::is_uppercase)
                        && word.chars().skip(1).all(char::is_lowercase)
                    {
                        capital.insert(word.to_lowercase());
                    } else if word.chars().all(|c| !c.is_uppercase()) {
                        lower.insert(word.to_lowercase());
                    }
                }
                start = raw.ends_with(['.', '!', '?', ':']);
            }
        }
        // Weekdays, months and "I" are capitalised too, and name no one.
        let calendar = |w: &str| WEEKDAYS.contains(&w) || MONTHS.contains(&w) || w == "i";
        let said = capital
            .difference(&lower)
            .filter(|w| !calendar(w))
            .cloned()
            .collect();
        Self { participants, said }
    }

    /// Whether `words` name people and nothing else: "dana whitfield", "priya and sam",
    /// "aisha khan tom becker".
    fn only_people(&self, mut words: &[String]) -> bool {
        let mut named = false;
        while let Some((_, len)) = self.person_at(words) {
            named = true;
            words = &words[len..];
            if words.first().is_some_and(|w| w == "and") {
                words = &words[1..];
            }
        }
        named && words.is_empty()
    }

    /// Whether `text` only names people ("Aisha Khan, Tom Becker and Ken Ito"), or says
    /// no more than that they met ("Dana Whitfield, Leo Martins and Raj Patel met").
    pub fn only_names(&self, text: &str) -> bool {
        const MET: [&[&str]; 4] = [
            &["met"],
            &["attended"],
            &["were", "present"],
            &["attended", "the", "meeting"],
        ];
        let mut words: Vec<String> = text
            .split_whitespace()
            .map(|w| bare(w).to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        let ends_with = |tail: &[&str]| {
            words.len() >= tail.len() && words[words.len() - tail.len()..].iter().eq(tail.iter())
        };
        if let Some(tail) = MET.iter().find(|tail| ends_with(tail)) {
            words.truncate(words.len() - tail.len());
        }
        self.only_people(&words)
    }

    /// Whether `text` only says who holds a participant's role ("Laura is the project
    /// manager.", "I'm the Marketing Expert", "Be the Project Manager."): where the
    /// participants are known by their roles, that tells who is who and settles nothing.
    pub fn tells_role(&self, text: &str) -> bool {
        const OPENINGS: [&[&str]; 5] = [
            &["i'm"],
            &["i", "am"],
            &["be"],
            &["i'll", "be"],
            &["i", "will", "be"],
        ];
        let words: Vec<String> = text
            .split_whitespace()
            .map(|w| bare(w).to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        let opening = OPENINGS
            .iter()
            .find(|o| words.len() > o.len() && words.iter().zip(o.iter()).all(|(w, o)| w == o))
            .map(|o| o.len())
            .or_else(|| {
                // "Laura is the…", not "It is the…".
                let named = text.trim_start().starts_with(char::is_uppercase)
                    && words.first().is_some_and(|w| {
                        !["it", "this", "that", "there", "what", "which"].contains(&w.as_str())
                    });
                (named && words.get(1).is_some_and(|w| w == "is")).then_some(2)
            });
        let Some(mut at) = opening else {
            return false;
        };
        if words
            .get(at)
            .is_some_and(|w| ["the", "your", "our"].contains(&w.as_str()))
        {
            at += 1;
        }
        let role = &words[at..];
        self.participant_at(role)
            .is_some_and(|(_, len)| len == role.len())
    }

    /// The participant `words` open with by their full name or role, as people say it
    /// (see [`Self::person_at`]), and how many words name them.
    fn participant_at(&self, words: &[String]) -> Option<(String, usize)> {
        self.participants.iter().find_map(|(name, parts)| {
            (words.len() >= parts.len() && words.iter().zip(parts).all(|(w, p)| same_word(w, p)))
                .then(|| {
                    let role_noun = words
                        .get(parts.len())
                        .is_some_and(|w| ROLE_NOUNS.contains(&w.as_str()));
                    (name.clone(), parts.len() + usize::from(role_noun))
                })
        })
    }

    /// The person `words` open with and how many words name them: a participant by full
    /// name, then by first name, then a name said in the transcript. A participant known
    /// by a role is named as people say it: "Industrial Design" or "the industrial
    /// designer" for "Industrial Designer", "User Interface Designer" for "User Interface".
    pub(crate) fn person_at(&self, words: &[String]) -> Option<(String, usize)> {
        if let Some(found) = self.participant_at(words) {
            return Some(found);
        }
        let first = words.first()?;
        for (name, parts) in &self.participants {
            if parts.len() > 1 && parts[0] == *first {
                return Some((name.clone(), 1));
            }
        }
        self.said
            .contains(first)
            .then(|| (super::tidy::capitalised(first), 1))
    }
}

/// Nouns said after a role to name the one who holds it: "User Interface *Designer*",
/// "Marketing *Expert*".
const ROLE_NOUNS: [&str; 6] = [
    "designer",
    "expert",
    "executive",
    "specialist",
    "manager",
    "lead",
];

/// Whether a said word is a participant's: the same word, or one of its forms ("design"
/// for "designer", "market" for "marketing"). Short words must be equal, so "Dan" is
/// never "Dana".
fn same_word(said: &str, part: &str) -> bool {
    let (short, long) = if said.len() <= part.len() {
        (said, part)
    } else {
        (part, said)
    };
    said == part || (short.len() >= 5 && long.len() - short.len() <= 3 && long.starts_with(short))
}

/// The form of `text`, reading its names with `names`.
pub fn form(text: &str, names: &Names) -> Form {
    let text = text.trim();
    if text.ends_with('?') {
        return Form::Question;
    }
    if text.contains('?') || hedge().is_match(text) || counterfactual().is_match(text) {
        return Form::Tentative;
    }
    // "I'll", "we're", "I'm": a subject and its verb, as two words.
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| bare(w).to_lowercase())
        .filter(|w| !w.is_empty())
        // "Ah, I was…", "And we can…": what opens spoken sentences is no subject.
        .skip_while(|w| OPENERS.contains(&w.as_str()))
        .flat_map(|w| {
            let split = [
                ("'ll", "will"),
                ("'re", "are"),
                ("'m", "am"),
                ("'ve", "have"),
            ]
            .iter()
            .find_map(|(end, verb)| Some((w.strip_suffix(end)?.to_string(), *verb)));
            match split {
                Some((subject, verb)) => vec![subject, verb.to_string()],
                None => vec![w],
            }
        })
        .collect();
    let Some(first) = words.first() else {
        return Form::Instruction;
    };
    if FRAGMENT_OPENERS.contains(&first.as_str()) {
        return Form::Fragment;
    }
    let after = |n: usize| words.get(n).map(String::as_str).unwrap_or("");
    // "Can we draw it on the board", "Is it yellow": asked, though written without its
    // question mark.
    if ASKING.contains(&first.as_str()) && ASKED.contains(&after(1)) {
        return Form::Question;
    }
    // "Is this the final one", "Leave that one on there, shouldn't I": a question too.
    if (["is", "are", "was", "were"].contains(&first.as_str()) && after(1) == "this")
        || tag_question().is_match(text)
    {
        return Form::Question;
    }
    // "What does anybody think about that", "How can we make it cheaper".
    if QUESTION_WORDS.contains(&first.as_str()) && ASKING.contains(&after(1)) {
        return Form::Question;
    }
    // The verb at `n`: "will", "to" and "is going to" look ahead; "must", "needs to" oblige.
    let verb = |n: usize| {
        let (word, next) = (after(n), after(n + 1));
        if FUTURE.contains(&word)
            || ["going", "gonna"].contains(&word)
            || (["is", "are", "am"].contains(&word) && ["going", "gonna"].contains(&next))
        {
            Verb::Future
        } else if OBLIGATION.contains(&word) {
            Verb::Obligation
        } else {
            Verb::Plain
        }
    };
    let statement = |subject: Subject, at: usize| Form::Statement {
        subject,
        verb: verb(at),
    };
    match first.as_str() {
        // "I have to ask" obliges; "I have a dog", "I've had kinetic things" do not.
        "i" if after(1) == "have" && after(2) != "to" => {
            return Form::Statement {
                subject: Subject::Speaker,
                verb: Verb::Plain,
            }
        }
        "i" => return statement(Subject::Speaker, 1),
        "you" => return statement(Subject::Addressee, 1),
        _ => {}
    }
    // "The project manager will…" names a participant after its article; "The designer,
    // you're going to…" addresses one.
    let skip = usize::from(first == "the");
    if let Some((person, len)) = names.person_at(&words[skip..]) {
        let at = skip + len + usize::from(after(skip + len) == "you");
        if FINITE.contains(&after(at)) {
            return statement(Subject::Person(person), at);
        }
    }
    // "Talk to finance" is an instruction: "to" makes a subject only of a person.
    if SUBJECTS.contains(&first.as_str()) || (FINITE.contains(&after(1)) && after(1) != "to") {
        // "The platform team needs to…": the verb within the first words.
        let at = (1..words.len().min(5))
            .find(|&i| FINITE.contains(&after(i)) || ["going", "gonna"].contains(&after(i)))
            .unwrap_or(1);
        return statement(Subject::Other, at);
    }
    Form::Instruction
}

/// Verbs that open a question when a pronoun follows them.
const ASKING: [&str; 15] = [
    "can", "could", "do", "does", "did", "shall", "should", "would", "will", "is", "are", "was",
    "were", "have", "has",
];

/// Words that open a question when one of [`ASKING`] follows them.
const QUESTION_WORDS: [&str; 7] = ["what", "how", "why", "where", "who", "which", "when"];

/// Pronouns that, after one of [`ASKING`], make a question. Not "you": "Can you send the
/// deck" is a request, a task for the one asked.
const ASKED: [&str; 8] = ["we", "i", "they", "it", "he", "she", "there", "that"];

/// Words that open a piece of talk, never a task (which opens with its verb) or a
/// statement (with its subject): a reason, an alternative, a gloss. Not "like", which
/// may be a verb ("Like the post").
const FRAGMENT_OPENERS: [&str; 6] = ["because", "'cause", "cause", "or", "basically", "some"];

/// Words that open a spoken sentence before its subject.
const OPENERS: [&str; 12] = [
    "ah", "oh", "so", "well", "and", "but", "okay", "ok", "yeah", "right", "then", "um",
];

/// A question tagged on at the end: "…, shouldn't I", "…, don't we". Not "…, could you",
/// which asks for the task.
const TAG_QUESTION: &str = r"(?i)\b(?:should|shall|do|does|did|is|are|was|were|can|could|will|would|have|has)(?:n't|n’t| not)? (?:i|we|it|they|he|she)[.!]?$";

/// Words of someone who has not settled: a decision says what was chosen.
const HEDGE: &str = r"(?i)\b(maybe|might|perhaps|i don't know|i dunno|not sure|i guess)\b";

cached_regex!(hedge, HEDGE);

cached_regex!(tag_question, TAG_QUESTION);

/// A condition with what would follow from it ("If we keep the December date we'd be
/// cutting corners"): a choice weighed, not made. "If the tests pass we ship" stays.
const COUNTERFACTUAL: &str =
    r"(?i)^((so|and|but|well|okay|yeah),?\s+)*if\b[^.;]*(\bwould\b|\bcould\b|'d\b|’d\b)";

cached_regex!(counterfactual, COUNTERFACTUAL);

/// Words that report a choice rather than state it: "The participants decided that",
/// "We agreed to", "Dana Whitfield decided to" (the `who` group, when it names someone).
const REPORT: &str = r"(?i)^(?:the participants|the team|the group|participants|everyone|we|they|it was|(?P<who>[a-z][\w'’-]*(?: [a-z][\w'’-]*){0,2})) (?:have |had )?(?:decided|agreed)(?: on| that| to)?\s+";

cached_regex!(report, REPORT);

/// `text` without a frame that reports a choice ("The participants decided that the
/// designer will do the components" says "the designer will do the components"; so does
/// "Dana decided that…" where Dana is someone `names` knows): what is left is what was
/// chosen. `None` when there is no such frame.
/// Whether `text` says "I": a task is an instruction once its "I'll" is gone ("Send the
/// deck"), so one that still says "I" copies talk ("But I can I think we can just use
/// more cheap plastic…", "Morning everybody. I'm glad you could all come.").
pub fn says_i(text: &str) -> bool {
    crate::words::words(text).iter().any(|w| w == "i")
}

/// Whether the task `text` opens as talk, not as an instruction: with a condition or a
/// time clause ("If you like get the instruction manual…", "After this you will be free
/// to go…"), a hope or a thought experiment ("Hope that next time…", "Imagine you have to
/// scroll a lot."), or with what will be done to its owner ("Be given any other numbers…
/// later").
pub fn opens_as_talk(text: &str) -> bool {
    const OPENERS: [&str; 11] = [
        "if",
        "unless",
        "whether",
        "because",
        "although",
        "though",
        "after",
        "hope",
        "hopefully",
        "imagine",
        "suppose",
    ];
    const DONE_TO: [&str; 6] = ["given", "told", "sent", "shown", "informed", "emailed"];
    let words = crate::words::words(text);
    match words.as_slice() {
        [first, ..] if OPENERS.contains(&first.as_str()) => true,
        [be, done, ..] => be == "be" && DONE_TO.contains(&done.as_str()),
        _ => false,
    }
}

/// Whether `text` is said in a speaker's voice: in the first person singular ("…I'm gonna
/// be up there with them", "It though the look is fine but still I will give four"), to
/// the one spoken to ("…you're not gonna need a lot of buttons anyway"), or with an
/// acknowledgement in it ("A snowman-shape trademark. Yeah that's cool."). A choice the
/// group made, written in the model's own words as asked, says what was chosen, not who
/// said it to whom; such an item is a copy of talk. A task in the first person was
/// already sorted into the action items.
pub fn in_a_speakers_voice(text: &str) -> bool {
    const VOICE: [&str; 14] = [
        "i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "yeah", "yep",
        "okay", "mm", "hmm",
    ];
    crate::words::words(text)
        .iter()
        .any(|w| VOICE.contains(&w.as_str()))
}

/// A proposal someone made, which the item reports without saying it was taken up:
/// "Project Manager suggests changing the budget…", "Marketing proposed that we drop the
/// logo". "The proposed design is final" is no such report.
const ONLY_PROPOSED: &str = r"(?i)^(?:[\w'-]+\s+){1,3}?(?:suggests|proposes|recommends|(?:suggested|proposed|recommended)\s+(?:that|to|we|\w+ing)\b)";

cached_regex!(only_proposed_re, ONLY_PROPOSED);

/// Whether the decision `text` only reports a proposal ([`ONLY_PROPOSED`]).
pub fn only_proposed(text: &str) -> bool {
    only_proposed_re().is_match(text.trim())
}

pub fn reported<'a>(text: &'a str, names: &Names) -> Option<&'a str> {
    let frame = report().captures(text)?;
    if let Some(who) = frame.name("who") {
        let words: Vec<String> = who
            .as_str()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        if !names.only_people(&words) {
            return None;
        }
    }
    let rest = text[frame.get(0)?.end()..].trim();
    (rest.split_whitespace().count() >= 2).then_some(rest)
}

/// A word without the punctuation around it.
pub(crate) fn bare(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
        .trim_end_matches("'s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{Format, Metadata, Turn};

    fn names() -> Names {
        let transcript = Transcript::new(
            vec![
                Turn::new(
                    "Priya Natarajan",
                    None,
                    None,
                    "Let's decide that Lena stays on it.",
                ),
                Turn::new(
                    "Sam Okafor",
                    None,
                    None,
                    "The fix is small; Marco can ship it next Monday. And sales waits.",
                ),
            ],
            Metadata::new(Format::Plain),
        );
        Names::new(
            &[
                "Priya Natarajan".to_string(),
                "Sam Okafor".to_string(),
                "Project Manager".to_string(),
            ],
            &transcript,
        )
    }

    fn person(name: &str, verb: Verb) -> Form {
        Form::Statement {
            subject: Subject::Person(name.into()),
            verb,
        }
    }

    fn other(verb: Verb) -> Form {
        Form::Statement {
            subject: Subject::Other,
            verb,
        }
    }

    #[test]
    fn instructions_open_with_their_verb() {
        let names = names();
        for text in [
            "Send the revised plan to the platform team",
            "Email the beta users about the new launch date.",
            "Ask sales not to give the hospitals a date",
            "Work on the technical functions of the remote",
            "Keep the patch separate from the December release",
            "Talk to finance about the extra license this week.",
        ] {
            assert_eq!(form(text, &names), Form::Instruction, "{text}");
        }
    }

    #[test]
    fn statements_name_their_subject() {
        let names = names();
        assert_eq!(
            form("Lena stays on offline sync until it ships", &names),
            person("Lena", Verb::Plain)
        );
        assert_eq!(
            form("Marco can ship a patch release next Monday.", &names),
            person("Marco", Verb::Future)
        );
        assert_eq!(
            form("Sam will write the summary by Wednesday", &names),
            person("Sam Okafor", Verb::Future)
        );
        assert_eq!(
            form(
                "The project manager will prepare the final presentation",
                &names
            ),
            person("Project Manager", Verb::Future)
        );
        assert_eq!(
            form("We can cut that to three screens.", &names),
            other(Verb::Future)
        );
        assert_eq!(
            form("The remote will have a docking station", &names),
            other(Verb::Future)
        );
        assert_eq!(form("Pricing is 4.99 a month", &names), other(Verb::Plain));
        assert_eq!(
            form(
                "The project manager, you're gonna write the minutes",
                &names
            ),
            person("Project Manager", Verb::Future)
        );
        assert_eq!(
            form("Project manager, think about the price", &names),
            Form::Instruction,
            "a name called out before an instruction"
        );
        assert_eq!(
            form("Someone needs to tell the beta users", &names),
            other(Verb::Obligation)
        );
        let speaker = |verb| Form::Statement {
            subject: Subject::Speaker,
            verb,
        };
        assert_eq!(
            form("I have to ask the manufacturing department", &names),
            speaker(Verb::Obligation)
        );
        assert_eq!(
            form("I've had kinetic things before.", &names),
            speaker(Verb::Plain),
            "having is no obligation"
        );
        assert_eq!(
            form("I'll send them a note this afternoon", &names),
            Form::Statement {
                subject: Subject::Speaker,
                verb: Verb::Future
            }
        );
        assert_eq!(
            form("You're going to work on the interface", &names),
            Form::Statement {
                subject: Subject::Addressee,
                verb: Verb::Future
            }
        );
    }

    #[test]
    fn a_reported_choice_is_read_without_its_frame() {
        let names = names();
        let reported = |text| reported(text, &names);
        assert_eq!(
            reported("The participants decided that the designer will do the components"),
            Some("the designer will do the components")
        );
        assert_eq!(
            reported("We decided to launch on March 17"),
            Some("launch on March 17")
        );
        // A participant, by full or first name, or two of them, report a choice too.
        assert_eq!(
            reported("Priya Natarajan decided to keep the patch separate"),
            Some("keep the patch separate")
        );
        assert_eq!(
            reported("Priya and Sam agreed that Lena stays on it"),
            Some("Lena stays on it")
        );
        // Not a name anyone said: the words are the choice itself.
        assert_eq!(reported("Management decided to cut the budget"), None);
        assert_eq!(reported("The remote will be blue"), None);
    }

    #[test]
    fn a_list_of_who_was_there_only_names() {
        let names = names();
        assert!(names.only_names("Priya Natarajan, Sam Okafor"));
        assert!(names.only_names("Priya, Sam and Marco."));
        assert!(names.only_names("Priya Natarajan and Sam Okafor met."));
        assert!(!names.only_names("Sam met Marco"));
        assert!(!names.only_names("Sam Okafor will send the plan"));
        assert!(!names.only_names("Offline sync"));
        assert!(!names.only_names(""));
    }

    #[test]
    fn a_question_is_neither() {
        let names = names();
        for text in [
            "Do we still do the free trial?",
            "Can we draw it on the board",
            "Okay, is it going to be yellow",
            "Should we go with the yellow case",
            "What does anybody think about that",
            "So how can we make it cheaper",
            "Is this is there anything else I need to do for the next meeting",
            "Leave that one on there shouldn't I",
            "We ship on Friday, don't we.",
        ] {
            assert_eq!(form(text, &names), Form::Question, "{text}");
        }
        for text in [
            "Do the review by Friday",
            "Can you send the deck to Ana",
            "Send the deck to Ana, could you",
            "Do this by Friday",
        ] {
            assert_eq!(form(text, &names), Form::Instruction, "{text}");
        }
    }

    #[test]
    fn a_piece_of_talk_is_a_fragment() {
        let names = names();
        for text in [
            "Because right now I don't have price in head but for next meeting I'm sure yeah be able to do that.",
            "Or possibly a description of it.",
            "Basically it depends on the remote",
            "Some fashion watchers in Paris and Milan commented on some things",
            "So 'cause it's cheaper",
        ] {
            assert_eq!(form(text, &names), Form::Fragment, "{text}");
        }
        for text in [
            "Order the test machines, or ask finance first",
            "Like the post on the company page",
        ] {
            assert_eq!(form(text, &names), Form::Instruction, "{text}");
        }
    }

    #[test]
    fn hedged_words_are_tentative_and_openers_no_subject() {
        let names = names();
        for text in [
            "Maybe just a little LED, I don't know.",
            "The price might appeal to a certain market",
            "My favourite animal is a beagle? Is that right",
            "If we keep the December date we'd be cutting corners on the rollback plan.",
            "So if we went with rubber it would cost more",
        ] {
            assert_eq!(form(text, &names), Form::Tentative, "{text}");
        }
        // A condition on what will happen is settled.
        assert_ne!(
            form("If the tests pass, we ship on Friday.", &names),
            Form::Tentative
        );
        assert_eq!(
            form("Ah I was trying to draw a dolphin", &names),
            Form::Statement {
                subject: Subject::Speaker,
                verb: Verb::Plain
            }
        );
    }

    #[test]
    fn talk_in_a_speaker_s_voice_is_told_from_a_choice() {
        for talk in [
            "There's some other ones, I will address that, yeah.",
            "The main one for me is the process.",
            "But if it's only for TV you're not gonna need a lot of buttons anyway.",
            "A snowman-shape trademark. Yeah that's cool.",
        ] {
            assert!(in_a_speakers_voice(talk), "{talk}");
        }
        assert!(says_i(
            "But I can I think we can just use more cheap plastic"
        ));
        assert!(!says_i(
            "Let the account managers know, so they stop escalating to me"
        ));
        for choice in [
            "We keep the 14-day free trial.",
            "Ivy moves to the mobile team in May.",
            "Go with the banner, no forced upgrade.",
            "Have a nice bold colour for the buttons.",
        ] {
            assert!(!in_a_speakers_voice(choice), "{choice}");
        }
    }

    #[test]
    fn a_reported_proposal_is_no_decision() {
        for proposal in [
            "Project Manager suggests changing the budget to include real reactions for more money",
            "Marketing proposed that we drop the logo.",
            "The designer recommended using rubber.",
        ] {
            assert!(only_proposed(proposal), "{proposal}");
        }
        for choice in [
            "The proposed design is final.",
            "We keep the suggested price of 25 Euro.",
            "Go with the rubber case.",
        ] {
            assert!(!only_proposed(choice), "{choice}");
        }
    }

    #[test]
    fn a_task_that_opens_as_talk_is_told_from_an_instruction() {
        for talk in [
            "If you like get the instruction manual that comes with it",
            "Imagine you have to scroll a lot.",
            "Hope that next time you'll be able to access more of the web site",
            "Be given any other numbers broken down in terms of age later",
        ] {
            assert!(opens_as_talk(talk), "{talk}");
        }
        for task in [
            "Send the deck after the call",
            "Be ready to present on Friday",
            "Give them the figures",
        ] {
            assert!(!opens_as_talk(task), "{task}");
        }
    }

    #[test]
    fn a_role_is_named_as_people_say_it() {
        let transcript = Transcript::new(Vec::new(), Metadata::new(Format::Plain));
        let roles = ["Industrial Designer", "User Interface", "Marketing"].map(String::from);
        let names = Names::new(&roles, &transcript);
        for (text, role, verb) in [
            (
                "The User Interface Designer will do the user interface concept.",
                "User Interface",
                Verb::Future,
            ),
            (
                "Industrial Design is going to do the components",
                "Industrial Designer",
                Verb::Future,
            ),
            (
                "Marketing expert needs to watch trends",
                "Marketing",
                Verb::Obligation,
            ),
        ] {
            assert_eq!(form(text, &names), person(role, verb), "{text}");
        }
        // A word only like a role's is no role: "Market" is not "Marketing" unless a verb
        // follows, and short words must be the same.
        assert_eq!(
            form("Market research shows demand", &names),
            Form::Instruction
        );
        for text in [
            "Laura is the industrial designer.",
            "Be the Marketing Expert.",
            "I'm your User Interface Designer",
        ] {
            assert!(names.tells_role(text), "{text}");
        }
        for text in [
            "Laura is the industrial designer of the case.",
            "It is marketing.",
            "Be the first to test the marketing plan",
        ] {
            assert!(!names.tells_role(text), "{text}");
        }
        assert!(!same_word("dan", "dana"));
        assert!(same_word("design", "designer"));
    }

    #[test]
    fn names_are_capitalised_inside_sentences_and_never_lower_case() {
        let names = names();
        assert!(names.said.contains("lena"));
        assert!(names.said.contains("marco"));
        assert!(!names.said.contains("monday"), "a weekday is not a name");
        assert!(
            !names.said.contains("and"),
            "a sentence's first word is not a name"
        );
    }
}
