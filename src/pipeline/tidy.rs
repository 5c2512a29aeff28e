//! Spoken wording into note wording. A small model often copies the turn an item comes
//! from ("Sure, I'll email them tomorrow") instead of writing the task ("Email them
//! tomorrow"). This takes the sentence that carries the task and drops what only speech
//! has: leading interjections, a name called out, "can you", "I'll".

/// Words that open a spoken sentence without adding to it.
const FILLER: &str = r"(?i)^(yes|yeah|yep|sure|okay|ok|'kay|’kay|so|and|well|um|uh|right|great|good|then|fine|also|alright|perfect|thanks|agreed)\b[,.!]?\s+";

/// How a choice is proposed: "Let's go with Allied".
const PROPOSAL: &str = r"(?i)^(let's|let’s|let us)\s+(say\s+(that\s+)?)?";

/// A name called out before a request: "Tom, can you …".
const VOCATIVE: &str =
    r"^[A-Z][\w'-]*(\s[A-Z][\w'-]*)?,\s+(?i:(can|could|would|will) you|please)\b";

/// How a spoken task starts before its verb.
const TASK_OPENING: &str = r"(?i)^((can|could|would|will) you (also |please )?|(can|could|would|will) your (team|group|people|folks|side) |please |((maybe|perhaps),? you (can|could)|if you could|i'd like you to|i would like you to|i need you to|i want you to) (also |just )?|(i'll|i will|i can|i'm going to|i am going to|i'm gonna|i am gonna|let me|i need to|i should|i have to) (also )?|(you'll|you will|you're going to|you are going to|you're gonna|you are gonna) (also |all |just )?|make sure to |(have|need|got) to |gotta )";

/// Sounds and phrases that only fill speech: "uh", "um", "you know", "I mean".
const DISFLUENCY: &str = r"(?i)(^|[\s,])(uh+|um+|erm|uh-huh|mm+|hmm+|you know|i mean)\b[,.]?";

/// A word that a note line would read as markup: `@Owner`, `#tag`, `## Heading`.
const MARKUP_WORD: &str = r"(^|\s)[@#]+";

/// The signifiers Obsidian Tasks reads as an item's fields (dates, priority, recurrence,
/// ids): in model text they would give the item a field the model made up.
const TASK_SIGNIFIERS: [char; 15] = [
    '📅', '⏳', '🛫', '➕', '✅', '❌', '🔁', '⏫', '🔼', '🔽', '🔺', '⏬', '🆔', '⛔', '🏁',
];

cached_regex!(filler, FILLER);
cached_regex!(disfluency, DISFLUENCY);
cached_regex!(markup_word, MARKUP_WORD);
cached_regex!(vocative, VOCATIVE);
cached_regex!(proposal, PROPOSAL);
cached_regex!(opening, TASK_OPENING);

/// Model text made inert inside one line of a note: one line, without the `@` and `#` that
/// would make a word an owner, a tag or a heading, and without Tasks' field signifiers.
/// What a transcript says can reach a note's text, never its structure.
pub fn inert(text: &str) -> String {
    let text: String = text
        .chars()
        .filter(|c| !TASK_SIGNIFIERS.contains(c) && *c != '\u{fe0f}')
        .collect();
    markup_word()
        .replace_all(&text, "$1")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word as words are compared: lower case, without the punctuation around it.
fn key(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// A word as [`key`] has it, but keeping an apostrophe at its edge ("'cause", "goin'").
fn spoken_key(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
        .to_lowercase()
}

/// `text` without what only speech has: "uh"s and "you know"s, words or pairs of words
/// said twice in a row ("the the", "I think I think"), and a letter or two that start a
/// word again ("y you", "mi minutes").
pub fn fluent(text: &str) -> String {
    let text = disfluency().replace_all(text, "$1");
    let mut kept: Vec<&str> = Vec::new();
    for word in text.split_whitespace() {
        let k = key(word);
        if k.is_empty() && kept.last().is_some_and(|w| w.ends_with(',')) {
            continue;
        }
        if let Some(&last) = kept.last() {
            let last_key = key(last);
            let repeat = !k.is_empty() && last_key == k && !last.ends_with(['.', '!', '?']);
            let false_start = (1..=2).contains(&last_key.len())
                && !SHORT_WORDS.contains(&last_key.as_str())
                && k.len() > last_key.len()
                && k.starts_with(&last_key);
            if repeat || false_start {
                kept.pop();
            }
        }
        kept.push(word);
        let n = kept.len();
        if n >= 4 && key(kept[n - 4]) == key(kept[n - 2]) && key(kept[n - 3]) == key(kept[n - 1]) {
            kept.drain(n - 4..n - 2);
        }
    }
    // A quote cut from the middle of a sentence opens with "…".
    capitalised(
        kept.join(" ")
            .trim_start_matches(['…', ' '])
            .trim_matches([',', ' ']),
    )
}

/// Words of one or two letters, which a false start ("mi minutes", "wa watching") is
/// not: "on one", "we were", "us use" are said as meant.
const SHORT_WORDS: &[&str] = &[
    "a", "i", "ah", "am", "an", "as", "at", "be", "by", "do", "eh", "go", "he", "hi", "if", "in",
    "is", "it", "me", "mm", "my", "no", "of", "oh", "ok", "on", "or", "so", "to", "uh", "um", "up",
    "us", "we", "ye",
];

/// What `text` says after the speaker's label of the turn it was copied from ("Project
/// Manager: 'We've decided not to worry about that.'"), without quotes around it; `None`
/// when it opens with no label of one of `speakers`.
pub fn after_label<'a>(text: &'a str, speakers: &[String]) -> Option<&'a str> {
    let (label, said) = text.trim_start().split_once(':')?;
    speakers
        .iter()
        .any(|s| s.eq_ignore_ascii_case(label.trim()))
        .then(|| {
            said.trim()
                .trim_matches(|c| matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’'))
        })
}

/// `text` without the name of one of `participants` it opens by calling ("Amira, send me
/// the count" gives "Send me the count"): who is spoken to is the owner, not the task.
pub fn unaddressed(text: &str, participants: &[String]) -> String {
    let text = text.trim_start();
    participants
        .iter()
        .find_map(|p| {
            let rest = super::cues::after_called_name(text, p)?;
            (rest.split_whitespace().count() >= 2).then(|| capitalised(rest))
        })
        .unwrap_or_else(|| text.to_string())
}

/// `text` with its first letter in upper case.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `task`, which the model wrote in fewer words than its turn said them ("Turn off refund
/// intent" for "Raj, could you turn off the refund intent?"), in the turn's own words:
/// the stretch of one sentence of `said` that holds the task's words in order with at
/// most two of [`GAP_WORDS`] ("the", "our", "not") between any two of them. `None` when no
/// sentence does, or when the stretch is the task as written.
pub fn in_own_words(task: &str, said: &str) -> Option<String> {
    let wanted: Vec<String> = task.split_whitespace().map(key).collect();
    if wanted.len() < 2 || wanted.iter().any(String::is_empty) {
        return None;
    }
    let small = |w: &str| GAP_WORDS.contains(&w);
    for sentence in crate::words::sentences(said) {
        let words: Vec<&str> = sentence.split_whitespace().collect();
        let keys: Vec<String> = words.iter().map(|w| key(w)).collect();
        for start in (0..keys.len()).filter(|&i| keys[i] == wanted[0]) {
            let (mut next, mut at, mut gap) = (1, start + 1, 0);
            while next < wanted.len() && at < keys.len() {
                if keys[at] == wanted[next] {
                    next += 1;
                    gap = 0;
                } else if small(&keys[at]) && gap < 2 {
                    gap += 1;
                } else {
                    break;
                }
                at += 1;
            }
            if next < wanted.len() {
                continue;
            }
            let stretch = words[start..at]
                .join(" ")
                .trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_string();
            // Said twice in a row ("the the") is no part of the task.
            let stretch = fluent(&stretch)
                + if task.trim_end().ends_with('.') {
                    "."
                } else {
                    ""
                };
            return (stretch != task.trim()).then_some(stretch);
        }
    }
    None
}

/// Words a model leaves out of a task it shortens: articles, possessives, prepositions,
/// "not". Never a pronoun or a verb, which would change who does what.
const GAP_WORDS: [&str; 22] = [
    "the", "a", "an", "our", "their", "my", "your", "his", "her", "its", "this", "that", "these",
    "those", "to", "of", "for", "on", "at", "in", "with", "not",
];

/// `text`, trimmed, without the words a spoken sentence opens with ("Yes, so the…" is
/// "the…"; [`FILLER`]).
fn after_fillers(text: &str) -> &str {
    let mut rest = text.trim();
    while let Some(m) = filler().find(rest) {
        rest = &rest[m.end()..];
    }
    rest
}

/// `text`, a decision, without the words a spoken sentence opens with ("Then we decided
/// to…", "Yes, we keep the trial") and without the "Let's" that proposed the choice
/// ("Let's keep the patch separate" states it as "Keep the patch separate"), its first
/// letter capitalised; returned as it was when fewer than two words would be left.
pub fn unprefaced(text: &str) -> String {
    let mut rest = after_fillers(text);
    if let Some(m) = proposal().find(rest) {
        rest = rest[m.end()..].trim_start();
    }
    if rest.split_whitespace().count() < 2 {
        return text.trim().to_string();
    }
    // "I'm moving our one-on-ones to Thursdays" states what moves, not who moves it.
    if let Some(c) = moving().captures(rest) {
        let what = &c["what"];
        let verb = if what.ends_with('s') { "move" } else { "moves" };
        return capitalised(&format!("{what} {verb} to {}", &c["to"]));
    }
    capitalised(rest)
}

/// A choice said as the speaker's doing: "I'm moving our one-on-ones to Thursdays", "We'll
/// move the forecast call to Tuesdays".
const MOVING: &str = r"^(?i:(?:i'm|i am|we're|we are) moving|(?:we'll|we will) move) (?P<what>(?i:the |our |my |your )?[\w'-]+(?: [\w'-]+)?) to (?P<to>[A-Z0-9].*)$";

cached_regex!(moving, MOVING);

/// `text`, whose "that" or "it" is the topic the turn `before` raised by asking "What
/// about the weekend crew?", with that topic named: "Park that until we see the February
/// volumes." gives "Park the weekend crew until we see the February volumes." `None`
/// when `before` raises no topic so, or `text` points at none.
pub fn with_topic_raised(text: &str, before: &str) -> Option<String> {
    let topic = topic_raised()
        .captures(before.trim())?
        .name("topic")?
        .as_str();
    let at = that_word().find(text)?;
    Some(format!(
        "{}{}{}",
        &text[..at.start()],
        lowercase_first(topic),
        &text[at.end()..]
    ))
}

/// A turn that raises a topic by asking about it, and no more: "What about the weekend
/// crew?", "And how about your budget?".
const TOPIC_RAISED: &str = r"^(?i:(?:and|so|but|okay|ok),?\s+)?(?i:what|how) about (?P<topic>(?i:the|our|your|their) [\w'-]+(?: [\w'-]+){0,3})\?$";

cached_regex!(topic_raised, TOPIC_RAISED);

/// The first "that" or "it" of a text, which may point at a topic.
const THAT_WORD: &str = r"\b(?:that|it)\b";

cached_regex!(that_word, THAT_WORD);

/// A task for someone named who may do it ("Marco can ship", "Marco will ship", "Marco's
/// going to ship"): the doer, `who`, then what it says of them.
const DOER_MAY: &str = r"(?i)^(?P<who>[\p{Lu}][\w'’.-]*(?: [\p{Lu}][\w'’.-]*){0,2})(?:'ll|’ll|'s going to|’s going to| (?:can|could|will|would|should|must|shall|is going to|is gonna|has to|needs to|need to|might))\s+(?:(?:also|then|just|probably|definitely)\s+)?(?P<rest>\w.*)$";

cached_regex!(doer_may, DOER_MAY);

/// `task`, said of someone outside the meeting as what they can or will do ("Marco can
/// ship a patch release next Monday"), worded as a task handed to them: "Marco to ship a
/// patch release next Monday". Said as a capability, it does not read as a task, and the
/// note's owner (`TBD`, since Marco is not there) cannot carry the name. `None` when
/// `task` does not open with such a name and its verb.
pub fn assigned(task: &str) -> Option<String> {
    let c = doer_may().captures(task.trim())?;
    let pronoun = [
        "i", "you", "we", "they", "he", "she", "it", "this", "that", "the",
    ]
    .contains(&c["who"].to_lowercase().split(' ').next().unwrap_or(""));
    (!pronoun).then(|| format!("{} to {}", &c["who"], &c["rest"]))
}

/// `task`, said by one of two people to the other, with "you" and "your" naming the one
/// addressed (`addressee`): "Share it with you first" is "Share it with Priya first" in
/// the note, which either of them may read.
pub fn addressed(task: &str, addressee: &str) -> String {
    you_word()
        .replace_all(task, |c: &regex::Captures<'_>| match (&c[1], c.get(2)) {
            // "you'll", "you're": a subject with its verb, left as said.
            (_, Some(_)) => c[0].to_string(),
            ("your", None) => format!("{addressee}'s"),
            _ => addressee.to_string(),
        })
        .into_owned()
}

/// Whether `task` gives something to one person spoken to, right after its verb ("Email
/// you the contact", "Send you the deck"): not "you all", "you both" or "you guys", which
/// speak to several, and not a "you" further on ("a device to help you find it"), which
/// is often anyone.
pub fn speaks_to_one(task: &str) -> bool {
    let words = crate::words::words(task);
    words.get(1).is_some_and(|w| w == "you")
        && !words.get(2).is_some_and(|w| {
            ["all", "both", "guys", "two", "three", "lot", "everyone"].contains(&w.as_str())
        })
}

/// Whether `task` speaks to one person as `turn` does and `asked` does not: "get back to
/// you", "let you know", "send you the list" (right after the verb,
/// [`speaks_to_one`]), in words of the turn that answers a request, not of the request
/// ("Send me what you have"), whose "you" is the one who answers.
pub fn you_in_own_words(task: &str, turn: &str, asked: &str) -> bool {
    let Some(phrase) = to_you()
        .find(task)
        .map(|m| m.as_str().to_lowercase())
        .or_else(|| speaks_to_one(task).then(|| crate::words::words(task)[..2].join(" ")))
    else {
        return false;
    };
    let said = |text: &str| crate::words::words(text).join(" ").contains(&phrase);
    said(turn) && !said(asked)
}

/// A possessive that points back at someone named before: "their rep", "his rota".
const POSSESSIVE: &str = r"(?i)\b(?:their|his|its)\b";

cached_regex!(possessive, POSSESSIVE);

/// "You" as the one a task reports to: "get back to you", "let you know".
const TO_YOU: &str = r"(?i)\b(?:back to|let) you\b";

cached_regex!(to_you, TO_YOU);

/// `task`, asked for by `asker` of someone else, with "me" and "my" naming the one who
/// asked: "Send me the mockups by Thursday", asked by Mei of Alex, is "Send Mei the mockups
/// by Thursday" in Alex's list.
pub fn asked_by(task: &str, asker: &str) -> String {
    me_word()
        .replace_all(task, |c: &regex::Captures<'_>| match &c[1] {
            "my" => format!("{asker}'s"),
            _ => asker.to_string(),
        })
        .into_owned()
}

/// `text` as a task: the sentence with a commitment or request when there are several,
/// without fillers, a called-out name, "can you" or "I'll", its first letter capitalised
/// and no question mark. Text that would be left empty is returned as it was.
pub fn task(text: &str) -> String {
    let sentence = task_sentence(text);
    // "I'd like your three dishes by the end of the month": a request to hand them over.
    let sentence = wish_for_yours().replace(sentence.trim(), "Get me your ");
    let mut rest = sentence.trim();
    loop {
        let before = rest;
        if let Some(m) = filler().find(rest) {
            rest = rest[m.end()..].trim_start();
        }
        if let Some(comma) = vocative().is_match(rest).then(|| rest.find(',')).flatten() {
            rest = rest[comma + 1..].trim_start();
        }
        if let Some(m) = opening().find(rest) {
            rest = rest[m.end()..].trim_start();
        }
        if rest == before {
            break;
        }
    }
    let rest = rest.trim_end_matches(['?', ' ']);
    // "Approve them myself this afternoon, and we'll renew the purchase order": what the
    // group will do is not the owner's task, and "myself" only stresses who does it.
    let rest = group_clause()
        .find(rest)
        .map_or(rest, |m| &rest[..m.start()]);
    // "Send me the count every Friday so I can report it up": why the asker, the "me",
    // wants it. Without a "me" before it the "I" is the owner's, and the item talk.
    let rest = super::cues::speakers_purpose_at(rest)
        .filter(|&at| {
            let before = crate::words::words(&rest[..at]);
            before.len() >= 2 && before.iter().any(|w| w == "me")
        })
        .map_or(rest, |at| rest[..at].trim_end_matches([',', ' ']));
    let rest = emphatic_self().replace_all(rest, "$1");
    // "Do the training session for the front desk myself": who does it is the owner.
    let rest = match trailing_self().captures(&rest) {
        Some(c) => {
            let kept = &rest[..rest.len() - c[0].len()];
            if kept.split_whitespace().count() >= 3 && !kept.to_lowercase().ends_with(" by") {
                format!("{kept}{}", &c[1])
            } else {
                rest.into_owned()
            }
        }
        None => rest.into_owned(),
    };
    if rest.split_whitespace().count() < 2 {
        return text.trim().to_string();
    }
    // "You're gonna be working on the components": "Work on the components".
    let progressive = rest
        .split_once(' ')
        .filter(|(be, _)| be.eq_ignore_ascii_case("be"))
        .and_then(|(_, rest)| rest.split_once(' '))
        .filter(|(verb, _)| verb.len() > 5 && verb.to_lowercase().ends_with("ing"));
    match progressive {
        Some((verb, object)) => {
            capitalised(&format!("{} {object}", base_form(&verb.to_lowercase())))
        }
        None => capitalised(&rest),
    }
}

/// A clause joined on that says what the group will do: ", and we'll renew the purchase
/// order", "but let's keep the old one"; or why the group wants it done: ", just so we
/// have it".
const GROUP_CLAUSE: &str = r"(?i),?\s+(?:and|but|so)\s+(?:then\s+)?(?:we'll|we will|we're going to|we are going to|we're gonna|let's)\b.*$|,\s*(?:just\s+)?so (?:that )?we (?:have|know|can|could|don't|won't)\b.*$";

/// A wish for the listener's work, said as the speaker's: "I'd like your three dishes".
const WISH_FOR_YOURS: &str = r"(?i)^(?:(?:and|so|okay|ok|good)[,\s]+)*(?:i'd|i would) like your\s+|^(?:i (?:want|need) your)\s+";

cached_regex!(wish_for_yours, WISH_FOR_YOURS);

cached_regex!(group_clause, GROUP_CLAUSE);

/// A "myself" or "yourself" that only stresses who does a task, right after what is done
/// ("Approve them myself", "Do it yourself"); one that is the object ("Introduce
/// yourself") or follows a preposition ("by myself") is not matched.
const EMPHATIC_SELF: &str = r"(?i)\b(it|them|that|this|those) (?:myself|yourself)\b";

cached_regex!(emphatic_self, EMPHATIC_SELF);

/// A "myself" or "yourself" that ends a task, which only stresses who does it.
const TRAILING_SELF: &str = r"(?i)\s+(?:myself|yourself)\s*([.!]?)\s*$";

cached_regex!(trailing_self, TRAILING_SELF);

/// Whether `text` says what will happen to the one spoken to, not what they will do:
/// "You'll get a message", "You'll all get specific instructions", "You'll be okay",
/// "You're going to have a presentation". A task of theirs has a verb of doing ("You're
/// gonna be working on…", "You'll have to send…").
pub fn befalls_listener(text: &str) -> bool {
    let Some(c) = befalls().captures(after_fillers(text)) else {
        return false;
    };
    let next = c.name("next").map_or("", |m| m.as_str());
    match c["verb"].to_lowercase().as_str() {
        "be" => !next.to_lowercase().ends_with("ing"),
        "have" => !next.eq_ignore_ascii_case("to"),
        _ => true,
    }
}

/// "You'll", "you're going to" or "you're gonna", then a verb of what happens to someone
/// (`verb`) and the word after it (`next`).
const BEFALLS: &str = r"(?i)^you(?:['’]ll| will|['’]re going to| are going to|['’]re gonna| are gonna)\s+(?:(?:also|all|just|both|each)\s+)?(?P<verb>get|receive|be|have)\b(?:\s+(?P<next>[\w'’]+))?";

cached_regex!(befalls, BEFALLS);

/// The sentence of `text` that commits or asks, when it has several; else all of it. When
/// the sentence before it only names a thing ("A one-page summary of the scope. I'll
/// write it by Wednesday"), that thing takes the place of the task's first "it".
fn task_sentence(text: &str) -> std::borrow::Cow<'_, str> {
    let (open, fill) = (opening(), filler());
    let sentences: Vec<&str> = super::cues::clauses(text);
    if sentences.len() < 2 {
        return text.into();
    }
    let Some(at) = sentences.iter().position(|s| {
        let s = fill.replace(s.trim_start(), "");
        open.is_match(&s) || s.to_lowercase().contains(" can you ")
    }) else {
        return text.into();
    };
    let sentence = sentences[at];
    match thing_before(&sentences, at).and_then(|thing| with_thing(sentence, thing)) {
        Some(named) => named.into(),
        None => sentence.into(),
    }
}

/// `task` with what it points back at named, from the sentence before the one of the turn
/// it was copied from. Its first "it" becomes the thing that sentence only names ("A
/// one-page summary of the scope. I'll write it by Wednesday" gives "Write a one-page
/// summary of the scope by Wednesday" for "Write it by Wednesday"); its first "them", the
/// one name that sentence gives someone outside the meeting (`people`) ("We'll go with
/// Allied. Omar, please sign the contract with them by Friday" gives "Sign the contract
/// with Allied by Friday"), or the thing that sentence's subject names ("The community
/// centre next door has a room on Tuesday mornings. I can ask them." gives "Ask the
/// community centre next door"). The copied sentence is the turn's sentence sharing the
/// most words with the task, at least three (both words of a task of two).
pub fn with_named_thing(task: &str, turn: &str, people: &[String]) -> String {
    if !back_word().is_match(task) && !them_word().is_match(task) {
        return task.to_string();
    }
    let said = super::cues::clauses(turn);
    let wanted: std::collections::BTreeSet<String> =
        crate::words::words(task).into_iter().collect();
    let shared = |s: &str| {
        crate::words::words(s)
            .into_iter()
            .filter(|w| wanted.contains(w))
            .count()
    };
    // A task of two words ("Ask them") is copied when both are the sentence's.
    let least = wanted.len().clamp(2, 3);
    let Some(at) = said
        .iter()
        .enumerate()
        .map(|(i, s)| (shared(s), i))
        .filter(|&(n, _)| n >= least)
        .max_by_key(|&(n, i)| (n, std::cmp::Reverse(i)))
        .map(|(_, at)| at)
    else {
        return task.to_string();
    };
    let with_them = |named: &str| {
        let c = them_word().captures(task)?;
        let them = c.get(1).or(c.get(2))?;
        Some(format!(
            "{}{named}{}",
            &task[..them.start()],
            &task[them.end()..]
        ))
    };
    thing_before(&said, at)
        .and_then(|thing| with_thing(task, thing))
        .or_else(|| with_them(&name_before(&said, at, people)?))
        // "The community centre next door has a room. I can ask them."
        .or_else(|| {
            let before = said.get(at.checked_sub(1)?)?;
            with_them(&lowercase_first(subject_thing(before)?))
        })
        .unwrap_or_else(|| task.to_string())
}

/// The one name `said[at - 1]` gives, past its first word ([`names_in`]). `None` when it
/// gives none or several.
fn name_before(said: &[&str], at: usize, people: &[String]) -> Option<String> {
    let before = said.get(at.checked_sub(1)?)?;
    match names_in(before, people).as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The names `sentence` gives past its first word: runs of capitalised words that are no
/// participant's name or part of one (`people`), no weekday or month and not "I".
fn names_in(sentence: &str, people: &[String]) -> Vec<String> {
    use super::due::{MONTHS, WEEKDAYS};
    let in_people = |w: &str| {
        people.iter().any(|p| {
            p.split_whitespace()
                .any(|part| part.eq_ignore_ascii_case(w))
        })
    };
    let mut names: Vec<Vec<&str>> = Vec::new();
    let mut run_open = false;
    // A sentence's first word is capitalised whatever it is, unless it answers who will
    // ("Amira will.").
    let skip = usize::from(!answers_who(sentence.trim()));
    for word in sentence.split_whitespace().skip(skip) {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
        let capitalised = bare.chars().next().is_some_and(char::is_uppercase);
        let lower = bare.to_lowercase();
        let named = capitalised
            && !lower.starts_with("i'")
            && lower != "i"
            && !WEEKDAYS.contains(&lower.as_str())
            && !MONTHS.contains(&lower.as_str())
            && !in_people(bare);
        if named {
            match names.last_mut() {
                Some(run) if run_open => run.push(bare),
                _ => names.push(vec![bare]),
            }
        }
        // A name runs on only while no punctuation ends a word.
        run_open = named && bare.len() == word.len();
    }
    names.into_iter().map(|run| run.join(" ")).collect()
}

/// `task`, whose "her" or "him" right after its verb ("Email her today") is the one
/// person someone else named in the turn before (`asked`: "Ask Priya, she has the
/// estimate."), with that person named: "Email Priya today". `None` when the task has no
/// such word or the turn names no one, or several, outside the meeting (`people`).
pub fn with_person_named_before(task: &str, asked: &str, people: &[String]) -> Option<String> {
    let pronoun = them_word().captures(task)?.get(2)?;
    with_one_name(task, pronoun, crate::words::sentences(asked), people)
}

/// `task`, whose "them" is the one name a choice settled in the turn before gives
/// (`asked`: "Then we go with Marsh." "I'll call them this afternoon." gives "Call Marsh
/// this afternoon"), when the promise opens its own turn (`turn`, past a bare "Yes."):
/// a sentence before it in that turn says what "them" is ("Yes. We have reserved
/// instances that expire in January; I'll renegotiate them before they renew.").
pub fn with_choice_named_before(
    task: &str,
    asked: &str,
    turn: &str,
    people: &[String],
) -> Option<String> {
    let them = them_word().captures(task)?.get(1)?;
    let said = super::cues::clauses(turn);
    let opening = said
        .iter()
        .find(|c| !super::backchannel::says_nothing(None, c))?;
    let task_words = crate::words::words(task);
    let shared = crate::words::words(opening)
        .iter()
        .filter(|w| task_words.contains(w))
        .count();
    if shared < task_words.len().min(3) {
        return None;
    }
    let chosen = crate::words::sentences(asked)
        .into_iter()
        .filter(|s| super::cues::settles(s))
        .collect();
    with_one_name(task, them, chosen, people)
}

/// `task` with `pronoun` replaced by the one name outside the meeting (`people`) that
/// `sentences` give; `None` when they give none or several.
fn with_one_name(
    task: &str,
    pronoun: regex::Match<'_>,
    sentences: Vec<&str>,
    people: &[String],
) -> Option<String> {
    let mut names: Vec<String> = sentences
        .into_iter()
        .flat_map(|s| names_in(s, people))
        .collect();
    names.dedup();
    let [name] = names.as_slice() else {
        return None;
    };
    Some(format!(
        "{}{name}{}",
        &task[..pronoun.start()],
        &task[pronoun.end()..]
    ))
}

/// Whether `task` is about what `said` says: it points back ("send them a note", "ask
/// their rep") or shares a content word with it.
pub fn refers_to(task: &str, said: &str) -> bool {
    let words = crate::words::content_tokens(said);
    back_word().is_match(task)
        || possessive().is_match(task)
        || crate::words::content_tokens(task)
            .iter()
            .any(|w| words.contains(w))
}

/// `item`, said in a turn that accepts a request, as the request's own task when the
/// item only points back at it: "Leave it with me. I'll send it over tomorrow", said to
/// "Grace, can you get the banner text to the mobile team?", is "Get the banner text to
/// the mobile team tomorrow": the request says what, and the acceptance when, if the
/// request said no deadline. A task that says what it is about ("Sure, I'll call the
/// landlord this afternoon") is kept as written.
pub fn with_requested_task(item: &str, request: &str) -> String {
    let asked = crate::words::content_tokens(request);
    let own = crate::words::content_tokens(item);
    let about_request = own.iter().filter(|w| asked.contains(w)).count();
    let new_words = own.iter().filter(|w| !asked.contains(w)).count();
    // Besides its verb and a deadline, a pointing task says nothing of its own.
    if !back_word().is_match(item) || about_request >= 2 || new_words > 3 {
        return item.to_string();
    }
    let Some(sentence) = crate::words::sentences(request)
        .into_iter()
        .find(|s| super::cues::is_request(s))
    else {
        return item.to_string();
    };
    let asked_task = task(sentence);
    if asked_task.split_whitespace().count() < 3 {
        return item.to_string();
    }
    // A time put after a clause ("…until we've passed the tests this afternoon") would
    // read as the clause's: then the due date alone carries it.
    const CLAUSES: [&str; 8] = [
        "until", "before", "after", "when", "if", "so", "because", "that",
    ];
    let one_clause = !crate::words::words(&asked_task)
        .iter()
        .any(|w| CLAUSES.contains(&w.as_str()));
    match (
        super::due::deadline_in(&asked_task),
        super::due::deadline_in(item).and_then(|when| said_as(item, &when)),
    ) {
        (None, Some(when)) if one_clause => format!("{asked_task} {when}"),
        _ => asked_task,
    }
}

/// The deadline `phrase` (lower-case words, as [`super::due::deadline_in`] gives it) as
/// `text` says it, with its capitals, and only as far as its words name a time: "by
/// Friday" of "by friday and tell".
fn said_as<'a>(text: &'a str, phrase: &str) -> Option<&'a str> {
    use super::due::{MONTHS, WEEKDAYS};
    const TIME_WORDS: [&str; 14] = [
        "by",
        "before",
        "today",
        "tonight",
        "tomorrow",
        "this",
        "end",
        "of",
        "the",
        "day",
        "morning",
        "noon",
        "afternoon",
        "evening",
    ];
    let timed = |w: &&str| {
        TIME_WORDS.contains(w)
            || WEEKDAYS.contains(w)
            || MONTHS.contains(w)
            || ["st", "nd", "rd", "th", ""]
                .iter()
                .filter_map(|end| w.strip_suffix(end))
                .any(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    let words: Vec<String> = phrase
        .split_whitespace()
        .take_while(timed)
        .map(regex::escape)
        .collect();
    if words.is_empty() {
        return None;
    }
    let pattern = format!(r"(?i)\b{}\b", words.join(r"\W+"));
    regex::Regex::new(&pattern)
        .ok()?
        .find(text)
        .map(|m| m.as_str())
}

/// A question asking who will do something: "Who's covering the 24th to the 26th?", "Who
/// can handle the vendor call?"; the verb is the `verb` group.
const WHO_WILL: &str = r"(?i)\bwho(?:'s|’s| is| will| can| could| wants to)\s+(?:going to\s+|gonna\s+)?(?P<verb>[a-z]+)\b[^?]*\?";

cached_regex!(who_will, WHO_WILL);

/// Verbs that stand in for the one a question asked with: "Who's covering the 26th?" "I'll
/// do the 26th."
const PRO_VERBS: [&str; 3] = ["do", "take", "grab"];

/// Words after "who's" that are no verb of a task: "Who's in?", "Who's going?", "Who is
/// here?".
const NOT_TASK_VERBS: [&str; 14] = [
    "in",
    "on",
    "at",
    "the",
    "a",
    "going",
    "coming",
    "here",
    "there",
    "next",
    "free",
    "available",
    "up",
    "that",
];

/// Verbs ending in "e" that lose it before "-ing" ("taking", "handling"); others lose only
/// "-ing" ("covering", "booking") or a doubled consonant with it ("running").
const E_VERBS: [&str; 21] = [
    "take",
    "make",
    "write",
    "drive",
    "handle",
    "schedule",
    "prepare",
    "share",
    "update",
    "organize",
    "organise",
    "manage",
    "coordinate",
    "use",
    "close",
    "create",
    "move",
    "give",
    "provide",
    "arrange",
    "chase",
];

/// `task` told with a stand-in verb ("Do the 26th", "Take the 24th and 25th") in answer to
/// `asked`, a question of who will do something: the question's verb in its place ("Cover
/// the 26th"). `None` when `task` opens with no stand-in verb or `asked` asks no such
/// question.
pub fn with_asked_verb(task: &str, asked: &str) -> Option<String> {
    with_verb(task, &verb_asked_for(asked)?)
}

/// The verb of a task that `asked` asks who will do ("Who's covering the 26th?" gives
/// "cover"), as a task would open with it; `None` when it asks no such question.
pub fn verb_asked_for(asked: &str) -> Option<String> {
    let verb = who_will().captures(asked)?["verb"].to_lowercase();
    if NOT_TASK_VERBS.contains(&verb.as_str()) || PRO_VERBS.contains(&verb.as_str()) {
        return None;
    }
    Some(base_form(&verb))
}

/// A lowercase verb as a task opens with it: "covering" is "cover", "taking" "take",
/// "running" "run"; a verb without "-ing" as it is.
fn base_form(verb: &str) -> String {
    let Some(stem) = verb.strip_suffix("ing") else {
        return verb.to_string();
    };
    let with_e = format!("{stem}e");
    let bytes = stem.as_bytes();
    let doubled = bytes.len() >= 2
        && bytes[bytes.len() - 1] == bytes[bytes.len() - 2]
        && !matches!(bytes[bytes.len() - 1], b'l' | b's');
    if E_VERBS.contains(&with_e.as_str()) {
        with_e
    } else if doubled {
        stem[..stem.len() - 1].to_string()
    } else {
        stem.to_string()
    }
}

/// `task` with `verb` in place of the stand-in verb it opens with ("Do the 26th" and
/// "cover" give "Cover the 26th"); `None` when it opens with none.
pub fn with_verb(task: &str, verb: &str) -> Option<String> {
    let (first, rest) = task.trim().split_once(' ')?;
    PRO_VERBS
        .contains(&first.to_lowercase().as_str())
        .then(|| format!("{} {rest}", capitalised(verb)))
}

/// A clause asking the listener for something, after the speaker's own task: ", just
/// send me the registration link", ", and get me the numbers".
const ASK_OF_LISTENER: &str = r"(?i),\s+(?:and\s+|then\s+|but\s+)?(?:just\s+)?(?:send|give|forward|email|show|bring|get|pass)\s+me\b.*$";

cached_regex!(ask_of_listener, ASK_OF_LISTENER);

/// `task`, the speaker's own, without a clause that asks the listener for something
/// ("Approve it today, just send me the registration link" gives "Approve it today");
/// as it is when nothing would be left before that clause.
pub fn without_ask_of_listener(task: &str) -> String {
    match ask_of_listener().find(task) {
        Some(m) if task[..m.start()].split_whitespace().count() >= 2 => {
            task[..m.start()].trim_end().to_string()
        }
        _ => task.to_string(),
    }
}

/// A task to pass news on that does not say what: "Tell product.", "Tell the billing
/// team today so nobody is surprised", "Let the account managers know". Whom (`who`, or
/// `whom` between "let" and "know"), when and why, as said.
const TELL: &str = r"(?i)^(?:(?P<verb>tell|inform|notify) (?P<who>(?:the )?[\w'’-]+(?: (?:team|group|department|staff|crew|desk))?)|let (?P<whom>(?:the )?[\w'’-]+(?: [\w'’-]+)?) know)(?P<when>(?: (?:today|tonight|tomorrow|this (?:morning|afternoon|evening|week)|by \w+|at (?:the )?[\w'’-]+(?: [\w'’-]+)?|on \w+)){0,2})(?P<why>,? so\b[^.!?]*)?[.!]?$";

cached_regex!(tell, TELL);

/// `task`, passing news on without saying what (`TELL`), with the news its turn stated
/// in the sentence before: "Then we agreed to drop the legacy export feature from the Q1
/// plan. I'll tell product." gives "Tell product that we agreed to drop the legacy export
/// feature from the Q1 plan". What follows a colon there is the news ("Let's decide it
/// now: Lena stays on offline sync…"); a question, or fewer than four words, is none.
/// When the promise opens its turn, the news is `settled`, a choice settled in the turns
/// just before ("We'll go with three accounts per senior agent." "I'll tell the seniors
/// at Thursday's stand-up.").
pub fn with_told_news(task: &str, turn: &str, settled: Option<&str>) -> String {
    let Some(c) = tell().captures(task.trim()) else {
        return task.to_string();
    };
    let (verb, who) = match (c.name("verb"), c.name("who"), c.name("whom")) {
        (Some(verb), Some(who), _) => (verb.as_str(), who.as_str()),
        (_, _, Some(whom)) => ("let", whom.as_str()),
        _ => return task.to_string(),
    };
    let said = crate::words::sentences(turn);
    let Some(at) = said.iter().position(|s| {
        let s = s.to_lowercase();
        s.contains(&verb.to_lowercase()) && s.contains(&who.to_lowercase())
    }) else {
        return task.to_string();
    };
    let Some(before) = at
        .checked_sub(1)
        .map(|i| said[i].trim())
        .or(settled.map(str::trim))
    else {
        return task.to_string();
    };
    let news = after_fillers(before.rsplit_once(':').map_or(before, |(_, after)| after))
        .trim_end_matches(['.', '!']);
    if before.ends_with('?') || news.split_whitespace().count() < 4 {
        return task.to_string();
    }
    // "We agreed…" reads on after "that"; a name keeps its capital.
    let opener = news.split_whitespace().next().unwrap_or("").to_lowercase();
    let news = if [
        "we", "we'll", "we're", "we've", "the", "it", "it's", "they", "they'll", "our", "this",
        "a", "an",
    ]
    .contains(&opener.as_str())
    {
        lowercase_first(news)
    } else {
        news.to_string()
    };
    let when = c.name("when").map_or("", |m| m.as_str());
    let why = c.name("why").map_or(String::new(), |m| {
        format!(", {}", m.as_str().trim_start_matches([',', ' ']))
    });
    if c.name("whom").is_some() {
        return format!("Let {who} know{when} that {news}{why}");
    }
    format!("{verb} {who}{when} that {news}{why}")
}

/// The thing `said[at - 1]` names, when that sentence only names one ([`names_a_thing`])
/// or ends on one someone wants ("For billing questions I'd like a macro that answers the
/// top five" names "a macro that answers the top five").
fn thing_before<'a>(said: &[&'a str], at: usize) -> Option<&'a str> {
    let before = said
        .get(at.checked_sub(1)?)?
        .trim()
        .trim_end_matches(['.', '!']);
    if names_a_thing(before) {
        return Some(before);
    }
    let wanted = wanted_thing()
        .captures(before)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
        .filter(|wanted| wanted.split_whitespace().count() >= 2);
    wanted
        .or_else(|| subject_thing(before))
        .or_else(|| given_thing(before))
}

/// Words that end a sentence's subject: "The pricing page | still shows last year's
/// tiers", "The deck | is late".
const SUBJECT_ENDS: [&str; 22] = [
    "is", "are", "was", "were", "has", "have", "had", "still", "will", "won't", "can", "can't",
    "needs", "isn't", "aren't", "doesn't", "don't", "keeps", "looks", "also", "just", "already",
];

/// The subject of `sentence` when it is a thing named with "the", "our", "your" or
/// "their" and at most five words ("Also, the pricing page still shows last year's tiers"
/// gives "the pricing page", "The community centre next door has a room" "the community
/// centre next door"): what a promise right after it ("Could you flag it to marketing?")
/// is about. Not one who will do the thing ("The caretaker can do that. I'll add it to
/// his rota.").
fn subject_thing(sentence: &str) -> Option<&str> {
    let rest = after_fillers(sentence);
    let words: Vec<&str> = rest.split_whitespace().collect();
    let article = words.first()?.to_lowercase();
    if !["the", "our", "your", "their"].contains(&article.as_str()) {
        return None;
    }
    let end =
        (2..words.len().min(6)).find(|&i| SUBJECT_ENDS.contains(&spoken_key(words[i]).as_str()))?;
    let doer = |i: usize, set: &[&str]| {
        words
            .get(i)
            .is_some_and(|w| set.contains(&spoken_key(w).as_str()))
    };
    if doer(end, &["can", "will", "could", "would"])
        && doer(end + 1, &["do", "handle", "take", "cover", "manage"])
    {
        return None;
    }
    let last = words[end - 1];
    let thing = &rest[..last.as_ptr() as usize - rest.as_ptr() as usize + last.len()];
    (!thing.contains([',', ';', ':'])).then_some(thing)
}

/// What a choice said just before gives someone ("We'll give analytics a separate
/// warehouse capped at two thousand dollars a month" gives "a separate warehouse capped
/// at two thousand dollars a month"): what "Would you set it up?" right after it sets up.
const GIVEN_THING: &str = r"(?i)^(?:(?:so|and|then|okay|ok)[,\s]+)*(?:we'll|we will|we're going to|we are going to|let's)\s+\w+\s+(?:[\w'-]+\s+){0,3}?((?:a|an)\s+[^,;:]+)$";

cached_regex!(given_thing_re, GIVEN_THING);

fn given_thing(sentence: &str) -> Option<&str> {
    let thing = given_thing_re().captures(sentence.trim())?.get(1)?.as_str();
    (2..=12)
        .contains(&thing.split_whitespace().count())
        .then_some(thing)
}

/// `task`, whose "it" is the thing another speaker just asked for with the same verb
/// ("Just send me the registration link." "I'll send it right after this call"), with
/// that thing named: "Send the registration link right after this call". `asked` is the
/// turn before, by someone else; the thing is what follows the verb there (past "me",
/// "us", "him", "her" or "them"), from its article to the end of its clause, at most
/// five words. `None` when the task opens with no verb that turn uses so.
pub fn with_thing_asked(task: &str, asked: &str) -> Option<String> {
    let verb = task.split_whitespace().next()?.to_lowercase();
    let words: Vec<&str> = asked.split_whitespace().collect();
    let at = words.iter().position(|w| spoken_key(w) == verb)?;
    let mut next = at + 1;
    if words
        .get(next)
        .is_some_and(|w| ["me", "us", "him", "her", "them"].contains(&spoken_key(w).as_str()))
    {
        next += 1;
    }
    let article = words.get(next).map(|w| spoken_key(w))?;
    if !["the", "a", "an", "your", "our", "this", "that"].contains(&article.as_str()) {
        return None;
    }
    let mut thing: Vec<&str> = Vec::new();
    for word in words.iter().skip(next).take(5) {
        let ends = word.ends_with([',', '.', ';', '!', '?']);
        let clean = word.trim_end_matches([',', '.', ';', '!', '?']);
        if thing.len() > 1 && GAP_WORDS.contains(&spoken_key(clean).as_str()) {
            break;
        }
        thing.push(clean);
        if ends {
            break;
        }
    }
    (thing.len() >= 2).then(|| with_thing(task, &thing.join(" ")))?
}

/// `text` with its first "it" (or "those") replaced by `thing`; `None` when it says
/// neither.
fn with_thing(text: &str, thing: &str) -> Option<String> {
    let it = it_word().find(text)?;
    let (before, after) = (&text[..it.start()], &text[it.end()..]);
    // "Set it up" names its thing after the particle: "Set up a separate warehouse".
    let particle = PARTICLES.iter().find_map(|p| {
        let rest = after.strip_prefix(' ')?.strip_prefix(p)?;
        (rest.is_empty() || rest.starts_with([' ', '.', ',', '!'])).then_some((p, rest))
    });
    Some(match particle {
        Some((p, rest)) => format!("{before}{p} {}{rest}", lowercase_first(thing)),
        None => format!("{before}{}{after}", lowercase_first(thing)),
    })
}

/// Particles of a phrasal verb that come after its "it" ("set it up", "send it out").
const PARTICLES: [&str; 7] = ["up", "out", "down", "over", "off", "back", "together"];

/// Whether `sentence` only names a thing: it opens with an article and has none of the
/// verbs a statement would ("The deck is late" says something of the deck).
fn names_a_thing(sentence: &str) -> bool {
    const VERBS: [&str; 22] = [
        "is", "are", "was", "were", "will", "would", "has", "have", "had", "can", "could",
        "should", "must", "do", "does", "did", "won't", "isn't", "wasn't", "it's", "that's",
        "we're",
    ];
    let words: Vec<String> = sentence.split_whitespace().map(spoken_key).collect();
    words.len() >= 2
        && ["a", "an", "the"].contains(&words[0].as_str())
        && !words.iter().any(|w| VERBS.contains(&w.as_str()))
}

/// The addressee inside a task, lower case (a task that opens with "You" is not
/// rewritten), with what is joined to it ("you'll").
const YOU_WORD: &str = r"\b(you|your)\b(['’]\w+)?";

cached_regex!(you_word, YOU_WORD);

/// The asker's words for themselves, lower case as said inside a task.
const ME_WORD: &str = r"\b(me|my|myself)\b";

cached_regex!(me_word, ME_WORD);

/// The first "it" of a sentence, or "those", as a whole word.
const IT_WORD: &str = r"\b(?:it|those)\b";

cached_regex!(it_word, IT_WORD);

/// What someone says they want, to the end of the sentence: "I'd like a macro that…",
/// "we need the signed contract".
const WANTED_THING: &str =
    r"(?i)\b(?:i'd|i would|we'd|we would|i|we) (?:like|want|need)\s+((?:a|an|the|some)\s.+)$";

cached_regex!(wanted_thing, WANTED_THING);

/// "them", as a whole word, or "her" or "him" right after the task's verb ("Tell her
/// this week"), where "her" cannot be "her documents".
const THEM_WORD: &str = r"\b(them)\b|^\w+ (her|him)\b";

/// A name answering who will do something: "Amira will.", "Sam can, yes."
const ANSWERS_WHO: &str = r"^(?P<who>[A-Z][a-z]+) (?:will|can|does)(?:[.!,]|$)";

cached_regex!(answers_who_re, ANSWERS_WHO);

fn answers_who(sentence: &str) -> bool {
    const NOT_NAMES: [&str; 14] = [
        "it",
        "that",
        "this",
        "we",
        "they",
        "he",
        "she",
        "you",
        "everyone",
        "everybody",
        "nobody",
        "someone",
        "somebody",
        "one",
    ];
    answers_who_re()
        .captures(sentence)
        .is_some_and(|c| !NOT_NAMES.contains(&c["who"].to_lowercase().as_str()))
}

cached_regex!(them_word, THEM_WORD);

/// Words that point back at something said before instead of naming it.
const BACK_WORD: &str = r"(?i)\b(it|them|that|those|one)\b";

cached_regex!(back_word, BACK_WORD);

/// `text` with its first letter in lower case, unless it opens with an acronym ("API").
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => first
            .to_lowercase()
            .chain(text[first.len_utf8()..].chars())
            .collect(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_called_and_the_askers_purpose_are_no_part_of_a_task() {
        let people = ["Rosa Delgado".to_string(), "Amira Haddad".to_string()];
        assert_eq!(
            unaddressed("Amira, send me the count every Friday.", &people),
            "Send me the count every Friday."
        );
        assert_eq!(
            unaddressed("Amira Haddad, send me the count.", &people),
            "Send me the count."
        );
        assert_eq!(unaddressed("Amira, thanks.", &people), "Amira, thanks.");
        assert_eq!(
            task("Can your team change that in the booking system?"),
            "Change that in the booking system"
        );
        assert_eq!(unaddressed("Monday, send it.", &people), "Monday, send it.");
        assert_eq!(
            task("Send me the count every Friday so I can report it up."),
            "Send me the count every Friday"
        );
        assert_eq!(
            task("I'm going to do the training session for the front desk myself."),
            "Do the training session for the front desk."
        );
        assert_eq!(task("I'll do it by myself."), "Do it by myself.");
        assert_eq!(
            task("Can you get a price list from them, just so we have it?"),
            "Get a price list from them",
            "the group's reason"
        );
        assert_eq!(
            task("I'd like your three dishes by the end of the month."),
            "Get me your three dishes by the end of the month.",
            "a wish for the listener's work asks for it"
        );
        assert_eq!(task("Introduce yourself."), "Introduce yourself.");
        assert!(speaks_to_one("Email you the contact after this."));
        assert!(!speaks_to_one("Email you all the contact."));
        assert!(!speaks_to_one("Send each of you the deck."));
        assert!(!speaks_to_one("Build a device to help you find it."));
        assert_eq!(
            task("Just need to know so I can write it down."),
            "Just need to know so I can write it down."
        );
        assert_eq!(
            task("Give it a two, so I'm gonna give it a two."),
            "Give it a two, so I'm gonna give it a two."
        );
        assert_eq!(
            task("Write it down so the next person doesn't move it back."),
            "Write it down so the next person doesn't move it back."
        );
    }

    #[test]
    fn a_topic_asked_about_names_what_is_parked() {
        assert_eq!(
            with_topic_raised(
                "Park that until we see the February volumes.",
                "What about the weekend crew?"
            )
            .as_deref(),
            Some("Park the weekend crew until we see the February volumes.")
        );
        assert_eq!(
            with_topic_raised("Park that.", "What about it? I don't know."),
            None
        );
        assert_eq!(
            with_topic_raised("Keep the plan.", "And what about our budget?"),
            None
        );
    }

    #[test]
    fn a_task_for_someone_not_there_is_handed_to_them() {
        for (said, task) in [
            (
                "Marco can ship a patch release next Monday, November 17.",
                "Marco to ship a patch release next Monday, November 17.",
            ),
            (
                "Marco will also call the vendor",
                "Marco to call the vendor",
            ),
            (
                "Lena Park's going to send the invoice",
                "Lena Park to send the invoice",
            ),
            ("Omar'll sign the contract", "Omar to sign the contract"),
        ] {
            assert_eq!(assigned(said).as_deref(), Some(task), "{said}");
        }
        for said in [
            "Ship the patch release next Monday",
            "Marco shipped the patch",
            "we can ship it",
            "You will send the invoice",
            "The team can ship it",
        ] {
            assert_eq!(assigned(said), None, "{said}");
        }
    }

    #[test]
    fn a_copied_speaker_label_is_found_and_left_out() {
        let speakers = ["Project Manager".to_string(), "Ana".to_string()];
        assert_eq!(
            after_label(
                "Project Manager: 'We so we've decided not to worry about that for now.'",
                &speakers
            ),
            Some("We so we've decided not to worry about that for now.")
        );
        assert_eq!(
            after_label("ana: “Let's go with five.”", &speakers),
            Some("Let's go with five.")
        );
        assert_eq!(after_label("Budget: 25 Euro a unit", &speakers), None);
        assert_eq!(after_label("The price is 25 Euro", &speakers), None);
    }

    #[test]
    fn model_text_cannot_become_markup() {
        assert_eq!(
            inert("Ship it ## Decisions --- @Mallory 📅 2020-01-01 #done\n- [x] x"),
            "Ship it Decisions --- Mallory 2020-01-01 done - [x] x"
        );
        assert_eq!(
            inert("Email bo@example.com about C# and issue #12"),
            "Email bo@example.com about C# and issue 12"
        );
    }

    #[test]
    fn spoken_tasks_become_instructions() {
        assert_eq!(
            task("Sure, I'll email them tomorrow"),
            "Email them tomorrow"
        );
        assert_eq!(
            task("Tom, can you email the beta users about the new launch date?"),
            "Email the beta users about the new launch date"
        );
        assert_eq!(
            task("A one-page summary of the release scope, with offline sync marked as at risk. I'll write it by Wednesday evening and share it with you first."),
            "Write a one-page summary of the release scope, with offline sync marked as at risk by Wednesday evening and share it with you first."
        );
        assert_eq!(
            task("The deck is late. I'll send it tomorrow."),
            "Send the deck tomorrow.",
            "the subject of the sentence before, not the sentence, stands for \"it\""
        );
        assert_eq!(
            task("Yes, I'll send them a note this afternoon."),
            "Send them a note this afternoon."
        );
        assert_eq!(task("Send the deck to Ana"), "Send the deck to Ana");
        assert_eq!(
            task("Yes, I'll send them a note this afternoon. What do you need for Thursday?"),
            "Send them a note this afternoon."
        );
        assert_eq!(task("could you please book the room"), "Book the room");
        assert_eq!(
            task("'kay I'll type up the minutes and email those out"),
            "Type up the minutes and email those out"
        );
        assert_eq!(
            task("I'll make sure to put up the minutes"),
            "Put up the minutes"
        );
        assert_eq!(
            task("And maybe you can look at what trends there are in this market."),
            "Look at what trends there are in this market.",
            "a suggestion to the one spoken to is a request"
        );
        assert_eq!(
            task("approve them myself this afternoon, and we'll renew the purchase order for next year"),
            "Approve them this afternoon",
            "the group's part and the stress on who does it go"
        );
        assert_eq!(
            task("I'll introduce myself to the new team"),
            "Introduce myself to the new team",
            "a \"myself\" that is the object stays"
        );
        assert_eq!(
            task("do a dry run on the fourth, I'll put it in the calendar"),
            "Put it in the calendar",
            "a promise spliced on after a plan of the group's"
        );
    }

    #[test]
    fn news_to_pass_on_is_what_the_turn_said_before() {
        assert_eq!(
            with_told_news(
                "Tell product.",
                "Then we agreed to drop the legacy export feature from the Q1 plan. I'll tell product.",
                None
            ),
            "Tell product that we agreed to drop the legacy export feature from the Q1 plan"
        );
        assert_eq!(
            with_told_news(
                "Tell the billing team today so nobody is surprised.",
                "Then let's decide it now: Lena stays on offline sync until it ships, and billing waits. I'll tell the billing team today so nobody is surprised.",
                None
            ),
            "Tell the billing team today that Lena stays on offline sync until it ships, and billing waits, so nobody is surprised"
        );
        for (task, turn) in [
            // It says what.
            (
                "Tell Sam about the budget.",
                "We cut travel. I'll tell Sam about the budget.",
            ),
            // Nothing was said before it, or only a question.
            ("Tell legal.", "I'll tell legal."),
            (
                "Tell legal.",
                "Do we still need the clause? I'll tell legal.",
            ),
        ] {
            assert_eq!(with_told_news(task, turn, None), task, "{task}");
        }
        let settled = Some("We'll go with three accounts per senior agent.");
        assert_eq!(
            with_told_news(
                "Tell the seniors at Thursday's stand-up.",
                "I'll tell the seniors at Thursday's stand-up.",
                settled
            ),
            "Tell the seniors at Thursday's stand-up that we'll go with three accounts per senior agent"
        );
        assert_eq!(
            with_told_news(
                "Let the account managers know, so they stop escalating",
                "And I'll let the account managers know, so they stop escalating.",
                settled
            ),
            "Let the account managers know that we'll go with three accounts per senior agent, so they stop escalating"
        );
        assert_eq!(
            with_told_news(
                "Tell product.",
                "We cut the travel budget. I'll tell product.",
                Some("We'll keep the trial.")
            ),
            "Tell product that we cut the travel budget",
            "the turn's own news first"
        );
        assert_eq!(
            with_told_news(
                "Tell the reception staff at the morning briefing tomorrow.",
                "I'll tell the reception staff at the morning briefing tomorrow.",
                Some("Walk-ins only go into the walk-in slots, no exceptions.")
            ),
            "Tell the reception staff at the morning briefing tomorrow that Walk-ins only go into the walk-in slots, no exceptions"
        );
    }

    #[test]
    fn a_task_copied_without_its_thing_gets_it_from_the_turn() {
        let turn = "A one-page summary of the release scope. I'll write it by Wednesday evening.";
        assert_eq!(
            with_named_thing("Write it by Wednesday evening.", turn, &[]),
            "Write a one-page summary of the release scope by Wednesday evening."
        );
        assert_eq!(
            with_named_thing(
                "Write it by Wednesday evening.",
                "The deck is late. I'll write it by Wednesday evening.",
                &[]
            ),
            "Write the deck by Wednesday evening.",
            "the sentence before says something of the deck"
        );
        assert_eq!(
            with_named_thing(
                "Flag it to marketing",
                "Also, the pricing page still shows last year's tiers. Could you flag it to marketing?",
                &[]
            ),
            "Flag the pricing page to marketing"
        );
        assert_eq!(
            with_named_thing(
                "Chase it today",
                "The report from the audit team is late. I'll chase it today.",
                &[]
            ),
            "Chase it today",
            "a subject of more than three words is not taken"
        );
        assert_eq!(
            with_named_thing(
                "Set it up",
                "I like that. We'll give analytics a separate warehouse capped at two thousand dollars a month. Farah, would you set it up?",
                &[]
            ),
            "Set up a separate warehouse capped at two thousand dollars a month",
            "what a choice gives, with the particle before it"
        );
        assert_eq!(
            with_named_thing("Send the deck.", turn, &[]),
            "Send the deck."
        );
        // A thing someone wants, said just before the promise to make it.
        assert_eq!(
            with_named_thing(
                "Draft those this week",
                "For billing questions I'd like a macro that answers the top five. I can draft those this week.",
                &[]
            ),
            "Draft a macro that answers the top five this week"
        );
        assert_eq!(
            with_named_thing(
                "Write it by Friday",
                "We need a one-pager on pricing. Can you write it by Friday?",
                &[]
            ),
            "Write a one-pager on pricing by Friday"
        );
    }

    #[test]
    fn them_is_the_thing_the_sentence_before_opens_with_but_not_one_who_does_it() {
        assert_eq!(
            with_named_thing(
                "Ask them.",
                "The community centre next door has a room on Tuesday mornings. I can ask them.",
                &[]
            ),
            "Ask the community centre next door.",
            "a task of two words, both said"
        );
        assert_eq!(
            with_named_thing(
                "Add it to his rota.",
                "The caretaker can do that. I'll add it to his rota.",
                &[]
            ),
            "Add it to his rota.",
            "the caretaker does the thing; it is not the thing"
        );
    }

    #[test]
    fn them_is_the_one_name_a_choice_just_settled_gives() {
        let people = ["Grace Kim".to_string(), "Tom Becker".to_string()];
        let chosen = "Then we go with Marsh. The timing matters more than the thirty thousand.";
        assert_eq!(
            with_choice_named_before(
                "Call them this afternoon and ask for the contract.",
                chosen,
                "I'll call them this afternoon and ask for the contract.",
                &people
            )
            .as_deref(),
            Some("Call Marsh this afternoon and ask for the contract.")
        );
        assert_eq!(
            with_choice_named_before(
                "Renegotiate them before they renew.",
                "So we skip Berlin and marketing gives back 40 thousand.",
                "Yes. We have reserved instances that expire in January; I'll renegotiate them before they renew.",
                &people
            ),
            None,
            "the turn says what \"them\" is before its promise"
        );
        assert_eq!(
            with_choice_named_before(
                "Fix them today",
                "Sarah said the slides are rough.",
                "I'll fix them today.",
                &people
            ),
            None,
            "a name said in passing is not what \"them\" is"
        );
    }

    #[test]
    fn the_you_of_an_acceptance_is_the_one_who_asked() {
        let asked = "Ravi, can you check that the grant covers the contingency line too?";
        let answer = "Sure. I'll read through the award letter and get back to you by Thursday.";
        assert!(you_in_own_words(
            "Read through the award letter and get back to you by Thursday.",
            answer,
            asked
        ));
        assert!(
            !you_in_own_words(
                "Send me what you have",
                "Sure, tomorrow.",
                "Send me what you have."
            ),
            "the request's own you"
        );
        assert!(!you_in_own_words(
            "Read through the award letter",
            answer,
            asked
        ));
    }

    #[test]
    fn them_is_the_one_outside_name_the_sentence_before_gives() {
        let people = ["Hannah Cole".to_string(), "Omar Haddad".to_string()];
        assert_eq!(
            with_named_thing(
                "Tell her this week and set up a handover call.",
                "Amira will. I'll tell her this week and set up a handover call.",
                &people
            ),
            "Tell Amira this week and set up a handover call.",
            "a name that answers who will"
        );
        assert_eq!(
            with_named_thing(
                "Send her notes this week and set up a call.",
                "It will. I'll send her notes this week and set up a call.",
                &people
            ),
            "Send her notes this week and set up a call.",
            "\"It will\" names nobody"
        );
        let turn =
            "I agree. We'll go with Allied. Omar, please sign the contract with them by Friday.";
        let task = "Sign the contract with them by Friday";
        assert_eq!(
            with_named_thing(task, turn, &people),
            "Sign the contract with Allied by Friday"
        );
        let two =
            "We'll go with Swift Relocation. Omar, please sign the contract with them by Friday.";
        assert_eq!(
            with_named_thing(task, two, &people),
            "Sign the contract with Swift Relocation by Friday",
            "a name of two words"
        );
        assert_eq!(
            with_named_thing(
                "Put it in the calendar",
                "Good. We'll do a dry run on the fourth, I'll put it in the calendar.",
                &people
            ),
            "Put a dry run on the fourth in the calendar",
            "the plan the promise is spliced onto gives its \"it\""
        );
        let named = |task: &str, asked: &str| with_person_named_before(task, asked, &people);
        assert_eq!(
            named("Email her today", "Ask Priya, she has the estimate.").as_deref(),
            Some("Email Priya today")
        );
        assert_eq!(
            named("Email her today", "Ask Priya or Dev.").as_deref(),
            None,
            "two names"
        );
        assert_eq!(
            named("Email her today", "Ask Hannah, she has it.").as_deref(),
            None,
            "a participant"
        );
        assert_eq!(named("Email them today", "Ask Priya.").as_deref(), None);
        for (before, why) in [
            ("Either Allied or Cargo Kings, then.", "two names"),
            ("So Hannah agrees with the movers.", "a participant"),
            ("They start on Friday.", "a weekday, and the first word"),
        ] {
            let turn = format!("{before} Omar, please sign the contract with them by Friday.");
            assert_eq!(with_named_thing(task, &turn, &people), task, "{why}");
        }
        // No name, but the subject the sentence opens with.
        assert_eq!(
            with_named_thing(
                task,
                "The movers were cheap. Omar, please sign the contract with them by Friday.",
                &people
            ),
            "Sign the contract with the movers by Friday"
        );
    }

    #[test]
    fn an_accepted_request_that_only_points_back_is_the_request() {
        let request =
            "Okay, the banner it is. Grace, can you get the banner text to the mobile team?";
        // The request says what, the acceptance when.
        assert_eq!(
            with_requested_task("Send it over tomorrow.", request),
            "Get the banner text to the mobile team tomorrow"
        );
        assert_eq!(
            with_requested_task(
                "Update it by Friday and tell the agency.",
                "Daniel, could you update the job posting?"
            ),
            "Update the job posting by Friday"
        );
        assert_eq!(
            with_requested_task(
                "Sure, I'll update it this afternoon.",
                "Daniel, could you update the job posting?"
            ),
            "Update the job posting this afternoon"
        );
        assert_eq!(
            with_requested_task(
                "Send them a note this afternoon.",
                "Can you also ask sales not to give the hospitals a date until we've passed the tests?"
            ),
            "Ask sales not to give the hospitals a date until we've passed the tests",
            "a time after a clause would read as the clause's"
        );
        assert_eq!(
            with_requested_task(
                "Have them to you by Thursday noon.",
                "Can you send me the updated mockups by Thursday?"
            ),
            "Send me the updated mockups by Thursday",
            "the request's own deadline stands"
        );
        assert_eq!(
            with_requested_task("Call the landlord this afternoon.", request),
            "Call the landlord this afternoon.",
            "says what it is about"
        );
        assert_eq!(
            with_requested_task("Send the banner text over tomorrow.", request),
            "Send the banner text over tomorrow.",
            "names the request's thing"
        );
        assert!(refers_to("Send them a note", "Can you ask sales to wait?"));
        assert!(refers_to(
            "Ask their rep when he drops by on Wednesday",
            "Can you get a price list from them, just so we have it?"
        ));
        assert!(refers_to(
            "Ask sales to wait today",
            "Can you ask sales to wait?"
        ));
        assert!(!refers_to(
            "Report the new numbers in January",
            "Could you turn off the refund intent?"
        ));
    }

    #[test]
    fn speech_fillers_and_repeats_are_dropped() {
        assert_eq!(
            fluent("um so y you're gonna get the the um working design done, you know"),
            "So you're gonna get the working design done"
        );
        assert_eq!(
            fluent("I think I think it's uh, fine."),
            "I think it's fine."
        );
        assert_eq!(
            fluent("Uh, the remote will be blue."),
            "The remote will be blue."
        );
        assert_eq!(
            fluent("Send a note to Ana. Ana agreed."),
            "Send a note to Ana. Ana agreed."
        );
        assert_eq!(
            fluent("Type up mi minutes, market trend wa watching"),
            "Type up minutes, market trend watching"
        );
        // Short words said as meant stay, and a quote's opening "…" goes.
        assert_eq!(
            fluent("… we were on one button, let us use it"),
            "We were on one button, let us use it"
        );
    }

    #[test]
    fn work_handed_to_the_listener_is_their_instruction() {
        assert_eq!(
            task("You're gonna be thinking about our user interface"),
            "Think about our user interface"
        );
        assert_eq!(
            task("you're going to be writing the test plan"),
            "Write the test plan"
        );
        assert_eq!(task("You'll send the deck to Ana"), "Send the deck to Ana");
        assert_eq!(task("I'm gonna type up the minutes"), "Type up the minutes");
        assert_eq!(
            task("So I'll have to ask the manufacturing department."),
            "Ask the manufacturing department."
        );
        assert_eq!(
            task("Be there at nine"),
            "Be there at nine",
            "only \"be\" with a verb in -ing is a task in progress"
        );
    }

    #[test]
    fn what_befalls_the_listener_is_no_task_of_theirs() {
        for said in [
            "And then you'll get a message.",
            "You'll all get specific instructions as well.",
            "You will get specific instructions sent by your personal coach.",
            "You'll be okay, I think.",
            "You're going to have a presentation.",
        ] {
            assert!(befalls_listener(said), "{said}");
        }
        for said in [
            "You're gonna be working on the components concept.",
            "You'll have to send the contract by Friday.",
            "You'll send the deck to Ana.",
            "I'll get the minutes up.",
            "Get a quote from the vendor.",
        ] {
            assert!(!befalls_listener(said), "{said}");
        }
    }

    #[test]
    fn what_the_listener_is_asked_for_is_not_the_speaker_s_task() {
        assert_eq!(
            without_ask_of_listener("Approve it today, just send me the registration link."),
            "Approve it today"
        );
        assert_eq!(
            without_ask_of_listener("Review the draft tonight, and get me the numbers"),
            "Review the draft tonight"
        );
        for kept in [
            "Send me the registration link",
            "Sure, send me the link",
            "Book the room, then send the invite",
        ] {
            assert_eq!(without_ask_of_listener(kept), kept);
        }
    }

    #[test]
    fn a_stand_in_verb_takes_the_verb_of_the_question_it_answers() {
        let asked = "Good. Last thing, holiday on-call. Who's covering the 24th to the 26th?";
        assert_eq!(
            with_asked_verb("Take the 24th and 25th.", asked).as_deref(),
            Some("Cover the 24th and 25th.")
        );
        assert_eq!(
            with_asked_verb("Do the 26th", asked).as_deref(),
            Some("Cover the 26th")
        );
        assert_eq!(
            with_asked_verb("Take it", "Who can handle the vendor call?").as_deref(),
            Some("Handle it")
        );
        assert_eq!(
            with_asked_verb("Do it", "Who's running the retro?").as_deref(),
            Some("Run it")
        );
        // A task with its own verb, or a question of who is there, stays as it is.
        assert_eq!(with_asked_verb("Send the rota", asked), None);
        assert_eq!(
            with_asked_verb("Take the notes", "Who's in tomorrow?"),
            None
        );
        assert_eq!(
            with_asked_verb("Take the notes", "Who covered it last time."),
            None
        );
    }

    #[test]
    fn a_terse_task_gets_the_words_its_turn_said() {
        let said = "Yep, I'll do that today and I'll report the new numbers at our January review.";
        assert_eq!(
            in_own_words("Report new numbers at january review", said).as_deref(),
            Some("Report the new numbers at our January review")
        );
        assert_eq!(
            in_own_words("Take 24th and 25th.", "I can take the 24th and 25th.").as_deref(),
            Some("Take the 24th and 25th.")
        );
        // A word the turn does not have, or more than small words between: as written.
        assert_eq!(in_own_words("Report numbers in January", said), None);
        assert_eq!(in_own_words("Do that review", said), None);
        // Nor a pronoun or a verb: "I will I just feel" is not "I just feel".
        assert_eq!(
            in_own_words("I just feel it", "I will I just feel it."),
            None
        );
        assert_eq!(
            in_own_words("Report the new numbers at our January review", said),
            None
        );
    }

    #[test]
    fn an_it_is_the_thing_the_turn_before_asked_for_with_the_same_verb() {
        let asked = "That's within your training budget. I'll approve it today, just send me the registration link.";
        assert_eq!(
            with_thing_asked("Send it right after this call.", asked).as_deref(),
            Some("Send the registration link right after this call.")
        );
        assert_eq!(
            with_thing_asked("Book it for Friday", "Can you book a room for the review?")
                .as_deref(),
            Some("Book a room for Friday")
        );
        // Another verb, no "it", or no article after the verb: nothing to name.
        assert_eq!(with_thing_asked("Approve it today", asked), None);
        assert_eq!(with_thing_asked("Send the deck", asked), None);
        assert_eq!(
            with_thing_asked("Send it now", "Send me whatever you have."),
            None
        );
    }

    #[test]
    fn a_sentence_loses_what_only_opens_it() {
        assert_eq!(
            unprefaced("Then we decided to launch on March 17."),
            "We decided to launch on March 17."
        );
        assert_eq!(
            unprefaced("Yes, we keep the 14-day free trial."),
            "We keep the 14-day free trial."
        );
        assert_eq!(unprefaced("Okay so, fine."), "Okay so, fine.");
        assert_eq!(
            unprefaced("Agreed, dark mode waits until January."),
            "Dark mode waits until January."
        );
        assert_eq!(
            unprefaced("Great. Let's keep the patch separate."),
            "Keep the patch separate."
        );
        assert_eq!(
            unprefaced("Then let's say the backlog is cleared by the twentieth."),
            "The backlog is cleared by the twentieth."
        );
        assert_eq!(
            unprefaced("I'm moving our one-on-ones to Thursdays from next month."),
            "Our one-on-ones move to Thursdays from next month."
        );
        assert_eq!(
            unprefaced("We're moving the launch to March."),
            "The launch moves to March."
        );
        assert_eq!(
            unprefaced("We'll move the forecast call to Tuesdays at ten."),
            "The forecast call moves to Tuesdays at ten."
        );
        assert_eq!(unprefaced("Let's not."), "Let's not.");
        assert_eq!(
            unprefaced("Lena stays on offline sync."),
            "Lena stays on offline sync."
        );
    }

    #[test]
    fn you_in_a_task_is_the_one_addressed() {
        assert_eq!(
            addressed("Write it up and share it with you first.", "Priya"),
            "Write it up and share it with Priya first."
        );
        assert_eq!(
            addressed("Send your team the new numbers", "Sam"),
            "Send Sam's team the new numbers"
        );
        // A subject joined to its verb, a capital "You" and "young" are left as said.
        assert_eq!(
            addressed("Call once you're back from the young founders' day", "Sam"),
            "Call once you're back from the young founders' day"
        );
        assert_eq!(
            addressed("You decide by Friday", "Sam"),
            "You decide by Friday"
        );
    }

    #[test]
    fn me_in_a_task_is_the_one_who_asked() {
        assert_eq!(
            asked_by("Send me the updated mockups by Thursday", "Mei"),
            "Send Mei the updated mockups by Thursday"
        );
        assert_eq!(
            asked_by("Put it on my calendar and let me know", "Dana Whitfield"),
            "Put it on Dana Whitfield's calendar and let Dana Whitfield know"
        );
        // "Me" opening a sentence and words that hold "me" are left as said.
        assert_eq!(asked_by("Come meet the team", "Mei"), "Come meet the team");
    }

    #[test]
    fn what_would_be_left_empty_stays() {
        assert_eq!(task("Sure, I'll do it."), "Do it.");
        assert_eq!(task("Sure, I'll."), "Sure, I'll.");
        assert_eq!(task("Okay."), "Okay.");
    }
}
