//! Cue words: turns whose wording often carries a task ("I'll", "can you", "let me") or a
//! decision ("we decided", "let's go with", "agreed"). The action-items and decisions
//! questions point a small model at the candidates: the former quotes the sentences that
//! carry a task ([`task_sentences`]), the latter names the turns ([`decision_turns`]).
//! The model still reads every turn and writes every item; a cue alone never makes one.

use serde::Serialize;

use super::grounding::NumberedTurns;
use crate::words::{sentences, STOPWORDS};

/// One sentence of a turn that a list question quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cue<'a> {
    pub turn: usize,
    pub speaker: &'a str,
    pub sentence: String,
}

/// At most this many sentences a question quotes, the first in the window: a question
/// that quotes half its window costs its prompt again.
const MAX_CUES: usize = 8;

/// A quoted sentence is cut after this many words: a spoken run-on can hold a whole turn.
const MAX_CUE_WORDS: usize = 30;

/// Phrases that commit someone to a task, ask for one, or hand one out.
const TASK_CUES: &str = r"(?i)\b(i'll|i will|i can|i'm going to|i am going to|i'm gonna|let me|you'll|you will|you're going to|you are going to|you're gonna|be working on|(in)?between now and then|can you|could you|would you|will you|please|need to|needs to|take care of|follow up|look into|work on|working on|action item|next time|next meeting|by (monday|tuesday|wednesday|thursday|friday|tomorrow|next week|the end of))\b";

/// Phrases that settle a choice.
const DECISION_CUES: &str = r"(?i)\b(decided|decide|decision|agreed|agree|let's|let us|go with|going with|settled|final|we keep|keep the|we drop|drop the|instead of|we'll use|we will use|is going to be|will be|won't|will not|not going to|approved|confirmed)\b";

/// A choice stated as settled, in words that rarely mean anything else: "let's decide it
/// now", "we agreed to drop", "then we decided to launch", "let's keep the patch
/// separate", "we keep the trial", "then we keep four tens", "so we send reminders two
/// days ahead", "okay, we stop that", "then we go with Marsh", "let's park that" (a
/// choice to wait), "let's hold at ten". Narrower than
/// [`DECISION_CUES`], whose "will be" or "instead of" mark half of AMI's turns.
const SETTLED: &str = r"(?i)\b(?:let's decide|let us decide|we(?:'ve| have)? decided|decided to|the decision is|we(?:'ve| have)? agreed|agreed to|let's (?:keep|go with|drop|cut|stick with|do that|do it)|we(?:'ll| will)? (?:keep|drop) the|we(?:'ll| will|'re going to| are going to) go with|we(?:'re| are) going with|then,? we keep|(?:then|so|okay|ok),? we (?:stop|skip|drop|send|use|switch|cut|freeze|go with)|let's (?:park|table|shelve) (?:that|this|it|them|the)|let's hold (?:at|off|the|it|that))\b";

/// A choice settled by naming it ("Fine, Option B it is.", "Two interns it is.") or by
/// keeping or moving a value ("Moving day stays January 16th.", "The budget remains
/// unchanged.", "The deadline moves to January 31st."): what is named, kept or moved to
/// starts with a capital, a digit or a number word, so "Yes it is.", "It stays in the
/// backlog" and "Let's move to the next slide" are not; or a statement opened by
/// "Agreed," ("Agreed, dark mode waits until January."); a date or number taken up
/// ("Okay, the 16th then"); a rule set "from now on" or with "no exceptions"; a choice
/// called firm or final; a
/// plan set against what it is not ("We'll pay for the trip out of the team budget, not
/// the travel pool."); something moved to a named time or place ("I'm moving our
/// one-on-ones to Thursdays", "We'll move the forecast call to Tuesdays"); a move to
/// something named ("One more late delivery and we move to Harbour Fresh."); a day set
/// for opening or closing ("We close on the sixteenth."); a number or date taken up
/// ("Six weeks starting mid-March, then.").
const SETTLED_BY_NAME: &str = r"\b(?i:we) (?:move|switch|change|go over) to [A-Z0-9]|\b(?i:we(?:'ll| will)? (?:close|open|reopen|launch|start|ship|go live) on (?:the )?(?:[0-9]|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|\w+teenth|twentieth|twenty-\w+|thirtieth|thirty-first|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december))|^[^,]*\b(?i:[0-9]+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|fifty|hundred|january|february|march|april|june|july|august|september|october|november|december)\b[^,]*, then[.!]?$|\S\s+[A-Z0-9][\w'-]* it is[.!]?\s*$|\b(?i:one|two|three|four|five|six|seven|eight|nine|ten) [\w'-]+ it is[.!]?\s*$|\b(?:stays|remains) (?:at |on |in |as )?(?:the same\b|unchanged\b|as it is\b|[A-Z0-9])|\b(?:moves|is moved|changes|shifts) to [A-Z0-9]|^[Aa]greed[,:;] +\w+ \w+|\b(?i:the) [0-9][\w'-]* then\b|(?i:\bthat's (?:firm|final)\b|\bfrom now on\b|\bno exceptions\b|\bwe(?:'ll| will) [^.?!]*, not (?:the|a|an|out of|from|in|on|at|by|until)\b)|\b(?i:(?:i'm|we're|i am|we are) moving|(?:we'll|we will|let's) move) (?:the |our |my |your )?[\w'-]+(?: [\w'-]+)? to [A-Z0-9]";

/// A proposal that concludes ("Let's split it by region then.", "Then let's take you off
/// the small accounts in January"): the verb is the `verb` group. Not "go", whose choice
/// [`SETTLED`] reads ("let's go with five then") and whose "let's go to the next slide
/// then" is the agenda's.
const LETS_THEN: &str = r"(?i)\bthen,? let's (?P<verb>\w+)|\blet's (?P<verb2>\w+)[^.?!;]*\bthen\b";

cached_regex!(lets_then, LETS_THEN);

/// Verbs a concluding "let's" runs the meeting with: "let's move on then", "then let's
/// start".
const AGENDA_VERBS: &[&str] = &[
    "go", "move", "start", "begin", "see", "look", "have", "wrap", "finish", "stop", "break",
    "continue", "get", "call", "leave", "hear", "talk", "discuss",
];

/// Whether `sentence` concludes a discussion with a proposal ([`LETS_THEN`]) that does
/// not run the meeting.
fn concludes(sentence: &str) -> bool {
    // "Let's take a look then", "let's take five then".
    let lower = sentence.to_lowercase();
    let pause = lower.contains("let's take a") || lower.contains("let's take five");
    !pause
        && lets_then().captures_iter(sentence).any(|c| {
            c.name("verb")
                .or(c.name("verb2"))
                .is_some_and(|v| !AGENDA_VERBS.contains(&v.as_str().to_lowercase().as_str()))
        })
}

/// A speaker taking a task on themselves ("I can", but not "I can't").
const COMMITMENT: &str =
    r"(?i)\b(?:(?:i'll|i will|i'm going to|i am going to|i'm gonna|let me)\b|i can(?:$|[^'’\w]))";

/// Why the speaker asks, not what they take on: "send me the count every Friday so I can
/// report it up", "so that I could check". Not "so I think…" or "so I'm gonna…", which
/// go on talking.
const SPEAKERS_PURPOSE: &str = r"(?i)\bso (?:that )?i (?:can|could)\b[^.!?]*";

/// A request for someone else to do something, or for their team to ("Victor, can your
/// team change that in the booking system?"), or a wish for it ("I'd like your three
/// dishes by the end of the month", "I need you to sign it").
const REQUEST: &str = r"(?i)\b(can you|could you|would you|will you|please|(?:can|could|would|will) your (?:team|group|people|folks|side)|i(?:'d| would) like you to|i(?:'d| would) like your|i (?:need|want) you to)\b";

/// A clause that asks the listener to hand something over, without "can you": "Get me a
/// draft by next Friday", "and send me the count every Friday".
const ASK_FOR_ME: &str = r"(?i)^\W*(?:(?:and|so|then|also|just|now|but)\s+)*(?:send|give|forward|email|show|bring|get|pass)\s+me\b";

/// The start of a turn that accepts a request: "Sure", "Will do", "Should be fine", "The
/// second is fine if Priya's number comes in".
const ACCEPTANCE: &str = r"(?i)^\W*(?:(?:sure|yes|yeah|yep|ok|okay|will do|no problem|of course|i'll|i will|absolutely|fine|leave it with me|on it|happy to|consider it done|got it|can do|no worries|sounds good|that works|(?:that's|that is|that'd be|that would be|it's|it should be|should be) (?:fine|ok|okay|doable|no problem))\b|i can(?:$|[^'’\w])|the \w+(?: \w+)? (?:is|would be|should be|works) (?:fine|ok|okay|doable)\b)";

/// The start of a turn that takes a task on however it was asked for: "Will do.", "On
/// it.", "Leave it with me." After "Just put it in the leave calendar", an instruction with
/// no "can you", these accept it all the same.
const SURE_ACCEPTANCE: &str = r"(?i)^\W*(?:will do|on it|i'm on it|consider it done|leave it with me|i'll do (?:that|it)|i will do (?:that|it))\b";

cached_regex!(commitment, COMMITMENT);

cached_regex!(sure_acceptance, SURE_ACCEPTANCE);

cached_regex!(request, REQUEST);
cached_regex!(ask_for_me, ASK_FOR_ME);
cached_regex!(speakers_purpose, SPEAKERS_PURPOSE);

/// A speaker saying who they are ("Hi, I'm David and I'm the designer", "My name's
/// Frank."), perhaps after the label of the turn it was copied from.
const INTRODUCTION: &str = r"^(?:[A-Z][\w'-]*(?: [A-Z][\w'-]*){0,2}:\s*)?(?:(?i:hi|hello|hey)\b[,!.]?\s*)?(?i:i'm|i am|my name's|my name is)\s+[A-Z][a-z]+\b(?:\s+[A-Z][a-z]+)?\s*(?:$|[,.!]|\band\b|\bfrom\b|\bhere\b)";

cached_regex!(introduction, INTRODUCTION);

/// Putting something off that the sentence only points at: "Let's leave that for next
/// week", "Park it until January".
const DEFERRAL: &str = r"(?i)^(?:let's |let us |we'll |we can )?(?:leave|park|table|shelve|hold off on|postpone) (?:that|it|this|those|them) (?:for|until|till|to) ";

cached_regex!(deferral, DEFERRAL);

/// How the meeting itself runs: its start, end, purpose, agenda, time left, next item,
/// who it is "just waiting for", and when it resumes after a break.
const MEETING_ITSELF: &str = r"(?i)\b(?:(?:start|end|close|objective|purpose|goal|agenda) of (?:the|this|our) meeting|(?:start|open|end|close|summari[sz]e) (?:the|this|our) meeting|kick-?off meeting|minutes left|move on to (?:the )?next (?:presentation|item|point|topic|one)|(?:next|following) meeting(?:'s| is| will be| starts)(?: gonna be| going to be)? in (?:about |another )?(?:\w+ )?(?:minutes|an hour)|(?:we're|we are) just waiting for|^we(?:'re| are) done)\b";

cached_regex!(meeting_itself, MEETING_ITSELF);

/// Closing the meeting ("We'll have to wrap up pretty quickly", "Before we wrap up,"), not
/// a piece of work ("wrap up the pilot").
const WRAP_UP: &str = r"(?i)\bwrap (?:it |things )?up(?: (?:pretty |very |quite )?(?:quickly|soon|now|here)\b|\s*[.,!]|\s*$)";

cached_regex!(wrap_up, WRAP_UP);

/// Whether `text` is about how the meeting itself runs ("that's the end of the meeting",
/// "we've got about ten minutes left"): the decisions pass copies such lines, and the
/// group chose nothing about its work in them.
pub fn runs_the_meeting(text: &str) -> bool {
    meeting_itself().is_match(text) || wrap_up().is_match(text)
}

/// Whether `text` only puts off what it points at: a task the model makes of "Let's leave
/// that for next week, I want prices first" asks nobody to do anything.
pub fn is_deferral(text: &str) -> bool {
    deferral().is_match(text.trim())
}

/// Whether `text` is someone introducing themselves: a model copies "Hi, I'm David" from
/// the start of a meeting into any list, and it belongs in none.
pub fn is_introduction(text: &str) -> bool {
    introduction().is_match(text.trim())
}

cached_regex!(acceptance, ACCEPTANCE);

/// Who owns `task`, said in turn `number`, when the wording settles it: the speaker of a
/// turn that commits ("I'll send it"), or the speaker of the next turn when it accepts a
/// request ("Can you send it?" "Sure."). A turn that does both ("Get me a draft by
/// Friday and I'll give you comments") gives the task the clause it shares most words
/// with. `None` leaves the model's choice.
pub fn owner_by_wording<'a>(
    turns: &NumberedTurns<'a>,
    number: usize,
    task: &str,
) -> Option<&'a str> {
    let taker = || {
        accepted_request(turns, number + 1)?;
        turns.turn(number + 1).map(|t| t.speaker.as_str())
    };
    let turn = turns.turn(number)?;
    let clause = (clauses(&turn.text).len() > 1)
        .then(|| clause_saying(&turn.text, task))
        .flatten();
    if let Some(clause) = clause {
        let listener = turns.turn(number + 1).map_or("", |t| t.speaker.as_str());
        if asks_of(clause, listener) && !commits(clause) {
            if let Some(taker) = taker() {
                return Some(taker);
            }
        }
    }
    committed_speaker(turns, number).or_else(taker)
}

/// The clause of `said` ([`clauses`]) that shares the most content words with `task`,
/// the first of those that share as many; `None` when none shares one.
pub fn clause_saying<'a>(said: &'a str, task: &str) -> Option<&'a str> {
    let own = crate::words::content_tokens(task);
    let shared = |clause: &str| {
        let words = crate::words::content_tokens(clause);
        own.iter().filter(|w| words.contains(w)).count()
    };
    clauses(said)
        .into_iter()
        .map(|c| (shared(c), c))
        .filter(|(n, _)| *n > 0)
        .fold(None, |best: Option<(usize, &str)>, (n, c)| match best {
            Some((m, _)) if m >= n => best,
            _ => Some((n, c)),
        })
        .map(|(_, c)| c)
}

/// The clause of `said` that accepts a request, when its first one does ("Yeah, I can
/// move Dev and Carla over from Monday."); `None` when it opens otherwise.
pub fn accepting_clause(said: &str) -> Option<&str> {
    clauses(said)
        .into_iter()
        .next()
        .filter(|c| acceptance().is_match(c))
}

/// Whether `text` commits its speaker ([`COMMITMENT`]), leaving out why they ask
/// ([`SPEAKERS_PURPOSE`]).
fn commits(text: &str) -> bool {
    commitment().is_match(&speakers_purpose().replace_all(text, ""))
}

/// Where `text` says why its speaker asks ([`SPEAKERS_PURPOSE`]: "so I can report it
/// up"), if it does.
pub fn speakers_purpose_at(text: &str) -> Option<usize> {
    speakers_purpose().find(text).map(|m| m.start())
}

/// What `text` says after calling `person` by full or first name and a comma ("Luis,
/// write it up" gives "write it up"), trimmed; `None` when it opens otherwise.
pub fn after_called_name<'a>(text: &'a str, person: &str) -> Option<&'a str> {
    let first = person.split_whitespace().next()?;
    text.strip_prefix(person)
        .or_else(|| text.strip_prefix(first))?
        .strip_prefix(',')
        .map(str::trim_start)
}

/// The speaker of turn `number` when they commit to something in it ("I'll send it").
fn committed_speaker<'a>(turns: &NumberedTurns<'a>, number: usize) -> Option<&'a str> {
    let turn = turns.turn(number)?;
    commits(&turn.text).then_some(turn.speaker.as_str())
}

/// The speaker of turn `number` when they commit in it to doing `verb` ("I'll talk to
/// finance" for "talk"), the verb right after the commitment or after "also" or "just".
pub fn commits_to<'a>(turns: &NumberedTurns<'a>, number: usize, verb: &str) -> Option<&'a str> {
    let turn = turns.turn(number)?;
    let verb = verb.to_lowercase();
    commitment()
        .find_iter(&turn.text)
        .any(|m| {
            turn.text[m.end()..]
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase()
                })
                .find(|w| !["also", "just", "then", "definitely"].contains(&w.as_str()))
                .is_some_and(|w| w == verb)
        })
        .then_some(turn.speaker.as_str())
}

/// Whether `sentence` asks someone to do something ("Can you send the deck?", "Omar,
/// please sign the contract").
pub fn is_request(sentence: &str) -> bool {
    request().is_match(sentence) || clauses(sentence).iter().any(|c| ask_for_me().is_match(c))
}

/// Whether `sentence` asks `listener` for something: a request in general words
/// ([`is_request`]), or an instruction that opens with the listener's name ("Luis, write
/// it up for HR"), which a question ("Luis, what do you think?") is not.
pub fn asks_of(sentence: &str, listener: &str) -> bool {
    is_request(sentence) || addressed_instruction(sentence, listener)
}

/// Whether a clause of `text` opens by calling `listener` by first name (or full name)
/// and goes on for at least two words, not as a question.
fn addressed_instruction(text: &str, listener: &str) -> bool {
    clauses(text).iter().any(|c| {
        after_called_name(c, listener)
            .is_some_and(|r| !r.trim_end().ends_with('?') && r.split_whitespace().count() >= 2)
    })
}

/// The number of the request that turn `number` accepts: the turn before it, by another
/// speaker, asks ("Can you send the deck?") and this one agrees ("Sure, tomorrow."), or
/// this one takes on whatever it asked in words that only accept a task ("Just put it in
/// the leave calendar." "Will do.").
pub fn accepted_request(turns: &NumberedTurns<'_>, number: usize) -> Option<usize> {
    let (asked, answer) = (turns.turn(number.checked_sub(1)?)?, turns.turn(number)?);
    let agreed = asks_of(&asked.text, &answer.speaker) && acceptance().is_match(&answer.text);
    (asked.speaker != answer.speaker && (agreed || sure_acceptance().is_match(&answer.text)))
        .then_some(number - 1)
}

cached_regex!(task_cues, TASK_CUES);

cached_regex!(decision_cues, DECISION_CUES);

cached_regex!(settled, SETTLED);

cached_regex!(settled_by_name, SETTLED_BY_NAME);

/// Whether turn `number` carries a task: a task cue in its words, a task promised for
/// someone named, suggested to the one spoken to ("maybe you can look at…") or handed
/// out for after the meeting, or a request it accepts or that the next turn accepts
/// ("Can you send it?" "Sure.").
pub fn carries_task(turns: &NumberedTurns<'_>, number: usize) -> bool {
    turns
        .turn(number)
        .is_some_and(|t| task_cues().is_match(&t.text) || hands_out_task(&t.text))
        || accepted_request(turns, number).is_some()
        || accepted_request(turns, number + 1).is_some()
}

/// Whether `sentence` gives someone a task in words other than the speaker's own
/// promise: promised for someone named, suggested to the one spoken to, or handed out
/// for after the meeting.
fn hands_out_task(sentence: &str) -> bool {
    promised_for_named(sentence) || suggests_task(sentence) || handoff().is_match(sentence)
}

/// A promise of a task, to be done by the speaker or by the one spoken to: "I'll send",
/// "you're going to be working on", "you will try to get"; the words between the promise
/// and its verb are the `mods` group, the verb the `verb` group.
const PROMISE: &str = r"(?i)\b(?:i'll|i will|i'm going to|i am going to|i'm gonna|you'll|you will|you're going to|you are going to|you're gonna)\s+(?P<mods>(?:(?:also|just|then|definitely|be|try to|have to)\s+)*)(?P<verb>[a-z]+)";

/// Work handed to the one spoken to without a promise's words: "maybe you can look at
/// what trends there are", "it would be good if you could look for the costs", "you
/// should check", "you each have things to do"; the verb is the `verb` group.
const SUGGESTED: &str = r"(?i)\b(?:(?:maybe|perhaps|if) you (?:can|could)|you should|you might want to|you each|each of you)\s+(?:(?:also|just|then)\s+)?(?P<verb>[a-z]+)";

/// Where work is handed out for after the meeting, whoever takes it: "for the next
/// meeting ...", "in between now and then", "after the meeting we're gonna each complete
/// a questionnaire".
const HANDOFF: &str = r"(?i)\b(?:(?:for|before|until|till) (?:the |our )?next (?:meeting|time|call|session|week)|(?:in ?)?between now and (?:then|the next)|after (?:the|this) (?:meeting|call))\b";

/// Verbs that, promised, run the meeting rather than give anyone a task: "I'll go first",
/// "I'll just show you", "you'll see".
const PROCEDURE: &[&str] = &[
    "go", "start", "begin", "show", "try", "be", "see", "say", "stop", "leave", "wait", "pass",
    "let", "move", "skip", "come", "hear", "find", "notice", "know",
];

cached_regex!(promise, PROMISE);

cached_regex!(suggested, SUGGESTED);

cached_regex!(handoff, HANDOFF);

/// Whether `sentence` promises a task, not the meeting's procedure ("I'll go first") nor
/// something that will happen to someone ("you will be informed").
fn promises_task(sentence: &str) -> bool {
    promise().captures_iter(sentence).any(|c| {
        let verb = c["verb"].to_lowercase();
        let passive = c["mods"].to_lowercase().contains("be ") && verb.ends_with("ed");
        let after = c.get(0).map_or("", |m| &sentence[m.end()..]);
        (!PROCEDURE.contains(&verb.as_str()) || (verb == "let" && tells_others(after))) && !passive
    })
}

/// After "I'll let", someone outside the room to tell: "the account managers know", not
/// "you know" (news promised to the room, mostly when something turns up) nor "you go".
const TELL_OTHERS: &str = r"(?i)^\s+(?P<who>[\w'-]+)(?:\s+[\w'-]+){0,2}\s+know\b";

cached_regex!(tell_others, TELL_OTHERS);

fn tells_others(after_let: &str) -> bool {
    tell_others().captures(after_let).is_some_and(|c| {
        !["you", "us", "everyone", "everybody", "y'all"].contains(&c["who"].to_lowercase().as_str())
    })
}

/// "Let me" with a time after the meeting ("Let me write the mentor guide before the
/// holidays", "let me check with legal and get back to you"): a promise. Without one it is
/// mostly the meeting's own business ("let me just check that", "let me get that").
const LET_ME_LATER: &str = r"(?i)\blet me\b[^.?!]*\b(?:today|tonight|tomorrow|this (?:week|afternoon|evening|morning)|next (?:week|month|monday|tuesday|wednesday|thursday|friday)|by (?:monday|tuesday|wednesday|thursday|friday|tomorrow|the end)|before (?:the|our|next|monday|tuesday|wednesday|thursday|friday)|after (?:the|this) (?:meeting|call)|get back to you|follow up)\b";

cached_regex!(let_me_later, LET_ME_LATER);

/// A speaker offering to do something ("I can draft those this week", "I can take the
/// 24th"); the verb is the `verb` group. Quoted, but not a promise that obliges the
/// answer to hold an item ([`task_promised`]): "I can put it on the board" is as often
/// the meeting's own business.
const VOLUNTEER: &str = r"(?i)\bi can\s+(?:(?:also|just|then|easily|probably)\s+)?(?P<verb>[a-z]+)";

/// Verbs that, offered, say what the speaker perceives or knows rather than a task: "I
/// can see that", "I can imagine".
const PERCEPTION: &[&str] = &[
    "imagine",
    "understand",
    "tell",
    "think",
    "remember",
    "hear",
    "feel",
    "guess",
    "say",
    "believe",
    "only",
    "not",
];

cached_regex!(volunteer, VOLUNTEER);

/// Whether `sentence` offers a task: "I can" and a verb that is neither the meeting's own
/// procedure nor a perception.
fn volunteers(sentence: &str) -> bool {
    volunteer().captures_iter(sentence).any(|c| {
        let verb = c["verb"].to_lowercase();
        !PROCEDURE.contains(&verb.as_str()) && !PERCEPTION.contains(&verb.as_str())
    })
}

/// Whether `sentence` hands the one spoken to a task in a suggestion's words ("maybe you
/// can look at the trends"), not a way to use something ("maybe you can see it").
fn suggests_task(sentence: &str) -> bool {
    suggested()
        .captures_iter(sentence)
        .any(|c| !PROCEDURE.contains(&c["verb"].to_lowercase().as_str()))
}

/// A task promised for someone named ("Marco can ship a patch release next Monday"):
/// a capitalised word, then the promise and its verb (the second group). Case matters
/// here, so "we can" and "it will" are told apart from a name by [`NOT_NAMES`].
const NAMED_PROMISE: &str =
    r"\b([A-Z][a-z]+) (?:will|can|is going to|is gonna)\s+(?:also\s+|just\s+)?(be\s+)?([a-z]+)";

/// Capitalised words before "will" or "can" that are not someone's name: pronouns,
/// question words and what a speaker says while thinking ("How can we…", "No can do",
/// "Um can we…").
const NOT_NAMES: &[&str] = &[
    "everyone",
    "everybody",
    "someone",
    "somebody",
    "nobody",
    "anyone",
    "anybody",
    "everything",
    "something",
    "nothing",
    "anything",
    "all",
    "each",
    "one",
    "people",
    "none",
    "both",
    "here",
    "how",
    "why",
    "where",
    "when",
    "whoever",
    "no",
    "yes",
    "yeah",
    "um",
    "uh",
    "mm",
    "okay",
    "ok",
    "well",
    "now",
    "maybe",
    "perhaps",
];

/// Words after "Anna can" that make a question or a stammer of it, not a task: "Anna can
/// you…", "Matthew can can give…".
const NOT_VERBS: &[&str] = &[
    "i", "we", "you", "he", "she", "they", "it", "can", "will", "be",
];

cached_regex!(named_promise, NAMED_PROMISE);

/// Whether `sentence` promises a task for someone it names, not the meeting's procedure;
/// a question ("How can you change from VCR to TV?") promises nothing.
fn promised_for_named(sentence: &str) -> bool {
    !sentence.trim_end().ends_with('?')
        && named_promise().captures_iter(sentence).any(|c| {
            let who = c[1].to_lowercase();
            // "Alima will be doing the design", not "Anna will be here".
            let doing = c.get(2).is_none() || c[3].ends_with("ing");
            !STOPWORDS.contains(&who.as_str())
                && !NOT_NAMES.contains(&who.as_str())
                && !PROCEDURE.contains(&&c[3])
                && !NOT_VERBS.contains(&&c[3])
                && doing
        })
}

/// Whether someone in `turns` takes on a task or is given one in so many words ("I'll
/// send it", "you're gonna be working on the design"), or accepts a request ("Can you send
/// it?" "Sure."). Asking alone, or promising to run the meeting ("I'll go first"), is not.
pub fn task_promised(turns: &NumberedTurns<'_>) -> bool {
    let (first, last) = turns.range();
    (first..=last).any(|n| {
        accepted_request(turns, n).is_some()
            || turns.turn(n).is_some_and(|t| promises_task(&t.text))
    })
}

/// The sentences of `turns` that promise a task other than running the meeting ("I'll
/// send the deck", "you're gonna work on the case", not "I'll go first"), suggest one to
/// the one spoken to ("maybe you can look at the trends"), hand out work for after the
/// meeting ("for the next meeting ..."), ask for one that the next turn accepts, or accept
/// one ("Sure, tomorrow."). Which owner and which wording is the model's to write; these
/// only say where to look. At most [`MAX_CUES`], the first in the window, each cut to
/// [`MAX_CUE_WORDS`].
pub fn task_sentences<'a>(turns: &NumberedTurns<'a>) -> Vec<Cue<'a>> {
    task_cues_up_to(turns, MAX_CUES)
}

/// Every task sentence of `turns`, however many: those past the ones a question quotes
/// are asked about again when no item says them ([`unanswered`]). Where promises come
/// thick ("I can take the 24th" "I'll do the 26th." "I'll put it in the rota"), a question
/// quotes the first eight, and the list held those alone.
pub fn all_task_sentences<'a>(turns: &NumberedTurns<'a>) -> Vec<Cue<'a>> {
    task_cues_up_to(turns, usize::MAX)
}

/// The task sentences of `turns`, at most `max`.
fn task_cues_up_to<'a>(turns: &NumberedTurns<'a>, max: usize) -> Vec<Cue<'a>> {
    // A request the next turn accepts is its sentence that asks, or, asked as an
    // instruction ("Just put it in the leave calendar." "Will do."), the turn's last.
    let listener = |number: usize| turns.turn(number + 1).map_or("", |t| t.speaker.as_str());
    let asks = |number: usize, sentence: &str, closes_turn: bool| {
        asks_of(sentence, listener(number))
            || (closes_turn
                && turns
                    .turn(number)
                    .is_some_and(|t| !asks_of(&t.text, listener(number))))
    };
    let is_cue = |number: usize, sentence: &str, opens_turn: bool, closes_turn: bool| {
        promises_task(sentence)
            || volunteers(sentence)
            || let_me_later().is_match(sentence)
            || hands_out_task(sentence)
            || (asks(number, sentence, closes_turn)
                && accepted_request(turns, number + 1).is_some())
            || (opens_turn && accepted_request(turns, number).is_some())
    };
    quoted(turns, is_cue, max)
}

/// The spans of turns (first, last) whose task sentences no item of an answer says:
/// where a list walked the window's talk from its top and closed before it reached the
/// promises. The decisions pass asks it of its settled sentences the same way ("One more
/// late delivery and we move to Harbour Fresh."). `cues` are the window's task
/// sentences in order, of which the question
/// quoted the first [`MAX_CUES`]; `cited` holds each item's turn and text, and `turns`
/// are the window's. A quoted sentence is answered by an item that cites its turn. An
/// item that cites a turn beside it, within two as grounding allows, answers it only by
/// saying it: one of its content words, or of the turn that accepts it when it is a
/// request ("Sure, I'll send the invites today"), or of the request it accepts when it
/// names nothing itself ("Can you book the room?" "Sure, I'll do that."). Else a model
/// that misnumbers one item ("turn": 10 for the promise of turn 19) hides the promise of
/// turn 12 beside it, and the vague request ("Could you set that up?") hides the
/// acceptance that says what ("Sure, I'll send the invites today."). One past those the
/// question quoted was never shown as a task, so any item answers it only by saying it.
/// A sentence with no content word is answered by any item beside it. Cues two turns
/// apart or less share a span.
pub fn unanswered(
    turns: &NumberedTurns<'_>,
    cues: &[Cue<'_>],
    cited: &[(usize, &str)],
) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // The content words that say `cue`: its own, its acceptance's for a request, and the
    // request's for an acceptance that names nothing itself ("Sure, I'll do that.").
    let words_of = |cue: &Cue<'_>| {
        let mut wanted: Vec<String> = crate::words::content_tokens(&cue.sentence)
            .into_iter()
            .filter(|w| !super::backchannel::acknowledges(w))
            .collect();
        let other = if is_request(&cue.sentence) {
            turns.turn(cue.turn + 1)
        } else if wanted.is_empty() {
            accepted_request(turns, cue.turn).and_then(|n| turns.turn(n))
        } else {
            None
        };
        if let Some(other) = other {
            wanted.extend(crate::words::content_tokens(&other.text));
        }
        wanted
    };
    let missed = cues
        .iter()
        .enumerate()
        .filter(|&(i, cue)| {
            let near: Vec<(usize, &str)> = cited
                .iter()
                .filter(|&&(turn, _)| turn.abs_diff(cue.turn) <= 2)
                .copied()
                .collect();
            if near.is_empty() {
                return true;
            }
            if i < MAX_CUES && near.iter().any(|&(turn, _)| turn == cue.turn) {
                return false;
            }
            let wanted = words_of(cue);
            !wanted.is_empty()
                && !near.iter().any(|(_, text)| {
                    crate::words::content_tokens(text)
                        .iter()
                        .any(|w| wanted.contains(w))
                })
        })
        .map(|(_, c)| c.turn);
    for turn in missed {
        match spans.last_mut() {
            Some((_, last)) if turn <= *last + 2 => *last = (*last).max(turn),
            _ => spans.push((turn, turn)),
        }
    }
    spans
}

/// The sentences of `turns` that `is_cue(turn number, sentence, opens its turn, closes
/// it)` picks, at most `max`, the first in the window, each cut to [`MAX_CUE_WORDS`].
fn quoted<'a>(
    turns: &NumberedTurns<'a>,
    is_cue: impl Fn(usize, &str, bool, bool) -> bool,
    max: usize,
) -> Vec<Cue<'a>> {
    let (first, last) = turns.range();
    let mut cues = Vec::new();
    for number in first..=last {
        let Some(turn) = turns.turn(number) else {
            continue;
        };
        let clauses = clauses(&turn.text);
        for (i, &sentence) in clauses.iter().enumerate() {
            if cues.len() == max {
                return cues;
            }
            if is_cue(number, sentence, i == 0, i + 1 == clauses.len()) {
                cues.push(Cue {
                    turn: number,
                    speaker: &turn.speaker,
                    sentence: cut_words(sentence, MAX_CUE_WORDS),
                });
            }
        }
    }
    cues
}

/// The clauses of `text` a promise is read in: its sentences, each cut after a
/// semicolon and before a second promise. A clause after a semicolon stands alone: "The
/// fix is small; Marco can ship a patch release" is copied whole, and read as a statement
/// about the fix. So does a second promise, joined by "and" ("I'll do that today and I'll
/// report the numbers in January"), which the model otherwise folds into the first item,
/// or spliced on with a comma after a clause of its own ("We'll do a dry run on the
/// fourth, I'll put it in the calendar"), whose first half is then what its "it" points
/// back at.
pub fn clauses(text: &str) -> Vec<&str> {
    crate::words::sentences(text)
        .into_iter()
        .flat_map(|s| {
            s.split("; ")
                .flat_map(split_promises)
                .map(str::trim)
                .filter(|c| !c.is_empty())
        })
        .collect()
}

/// A clause cut before each "and I'll" (or "and I will", "and I can") that joins a
/// second promise to it, and before each ", I'll" that splices one onto a clause of at
/// least three words that is not subordinate to it ("If it doesn't come in, I'll use a
/// cut" is one promise, and so is "Okay, I'll split it out").
fn split_promises(clause: &str) -> Vec<&str> {
    const SUBORDINATE: [&str; 14] = [
        "if", "when", "once", "as", "before", "after", "because", "since", "while", "until",
        "unless", "although", "though", "whenever",
    ];
    let mut parts = Vec::new();
    let mut from = 0;
    for c in second_promise().captures_iter(clause) {
        let (Some(joint), Some(promise)) = (c.get(0), c.name("promise")) else {
            continue;
        };
        let before = clause[from..joint.start()].trim();
        if c.name("and").is_none() {
            let words: Vec<String> = crate::words::words(before);
            if words.len() < 3
                || words
                    .first()
                    .is_some_and(|w| SUBORDINATE.contains(&w.as_str()))
            {
                continue;
            }
        }
        parts.push(before.trim_end_matches([',', ' ']));
        from = promise.start();
    }
    parts.push(&clause[from..]);
    parts
}

/// What joins a second promise: "and" (dropped, the promise kept) or a bare comma.
const SECOND_PROMISE: &str = r"(?i)(?:,?\s+(?P<and>and)\s+(?:then\s+)?|,\s+)(?P<promise>i'll\b|i will\b|i can\b|i'm going to\b|i'm gonna\b)";

cached_regex!(second_promise, SECOND_PROMISE);

/// The sentences of `turns` that state a choice as settled ([`SETTLED`]: "Then we
/// decided to launch on March 17 instead of March 3."), at most [`MAX_CUES`], the first
/// in the window, each cut to [`MAX_CUE_WORDS`]. What was decided is the model's to
/// write; "Let's do that." names its choice only in the turn before.
pub fn decision_sentences<'a>(turns: &NumberedTurns<'a>) -> Vec<Cue<'a>> {
    quoted(
        turns,
        |number, sentence, _, _| {
            settles(sentence)
                || concludes(sentence)
                || agrees_to_group_choice(turns, number, sentence)
        },
        MAX_CUES,
    )
}

/// A question that puts a choice to the group: "Should we keep the book drop open?", "If
/// it happens again, should we switch to Harbour Fresh?". Not "can we…?", which most
/// often asks to run the meeting ("Can we turn off the microphones?" "Yeah, yeah if the
/// meeting's over then yeah I guess so.").
const GROUP_QUESTION: &str = r"(?i)\b(?:should|shall) we\b[^?]*\?\s*$";

/// A yes that opens a turn: "Yes, the book drop stays open the whole time.", "Yes."
const YES: &str = r"(?i)^\W*(?:yes|yeah|yep|definitely|absolutely)\b[.!,]?\s*";

cached_regex!(group_question, GROUP_QUESTION);
cached_regex!(yes, YES);

/// Whether `sentence`, of turn `number`, settles the choice the turn before put to the
/// group, by another speaker: the turn opens with a yes, and the sentence is that yes
/// with at least three words after it, or the statement right after a bare "Yes." ("Yes.
/// One more late delivery and we move to Harbour Fresh.").
fn agrees_to_group_choice(turns: &NumberedTurns<'_>, number: usize, sentence: &str) -> bool {
    let (Some(asked), Some(turn)) = (
        number.checked_sub(1).and_then(|n| turns.turn(n)),
        turns.turn(number),
    ) else {
        return false;
    };
    let question = sentences(&asked.text).last().copied().unwrap_or("");
    if asked.speaker == turn.speaker || !group_question().is_match(question) {
        return false;
    }
    let said = clauses(&turn.text);
    let Some(first) = said.first().filter(|c| yes().is_match(c)) else {
        return false;
    };
    let after_yes = |c: &str| yes().replace(c, "").split_whitespace().count();
    let statement = |c: &str| !c.trim_end().ends_with('?') && c.split_whitespace().count() >= 3;
    if *first == sentence {
        return after_yes(first) >= 3 && statement(sentence);
    }
    after_yes(first) == 0 && said.get(1) == Some(&sentence) && statement(sentence)
}

/// The last sentence of the two turns before turn `number` that states a choice as
/// settled ("We'll go with three accounts per senior agent."): the news that a promise to
/// tell someone, opening its turn, passes on.
pub fn settled_before<'a>(turns: &NumberedTurns<'a>, number: usize) -> Option<&'a str> {
    (1..=2)
        .filter_map(|back| turns.turn(number.checked_sub(back)?))
        .find_map(|turn| sentences(&turn.text).into_iter().rev().find(|s| settles(s)))
}

/// Whether `sentence` states a choice as settled, in so many words ([`SETTLED`]) or by
/// naming or keeping a value ([`SETTLED_BY_NAME`]).
pub fn settles(sentence: &str) -> bool {
    // "Should we keep the book drop open?" asks; the answer settles.
    !sentence.trim_end().ends_with('?')
        && (settled().is_match(sentence) || settled_by_name().is_match(sentence))
}

/// `text`'s first `max` words, with "…" where words were left out.
fn cut_words(text: &str, max: usize) -> String {
    match text.split_whitespace().nth(max) {
        None => text.to_string(),
        Some(_) => {
            let kept: Vec<&str> = text.split_whitespace().take(max).collect();
            format!("{} …", kept.join(" "))
        }
    }
}

/// The numbers of the turns with a decision cue.
pub fn decision_turns(turns: &NumberedTurns<'_>) -> Vec<usize> {
    turns.matching(decision_cues())
}

/// Whether `text` asks someone to do something ("can you", "please").
pub fn asks(text: &str) -> bool {
    request().is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Turn;

    /// The turn and sentence of each task cue of `turns`.
    fn quoted_tasks(turns: &NumberedTurns<'_>) -> Vec<(usize, String)> {
        task_sentences(turns)
            .into_iter()
            .map(|c| (c.turn, c.sentence))
            .collect()
    }

    #[test]
    fn task_sentences_are_quoted_and_decision_turns_named() {
        let turns = vec![
            Turn::new("Ana", None, None, "Can you send the deck? It is late."),
            Turn::new("Bo", None, None, "Sure, tomorrow. The weather was nice."),
            Turn::new(
                "Ana",
                None,
                None,
                "Okay, I'll go first. And I'll book the room.",
            ),
            Turn::new(
                "Ana",
                None,
                None,
                "The summary of the scope. I'll write it today.",
            ),
            Turn::new("Bo", None, None, "Then we decided to launch in March."),
            Turn::new("Ana", None, None, "Let's go with the blue case."),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        let quoted = |cues: Vec<Cue<'_>>| -> Vec<(usize, String)> {
            cues.into_iter().map(|c| (c.turn, c.sentence)).collect()
        };
        assert_eq!(
            quoted(task_sentences(&numbered)),
            [
                (1, "Can you send the deck?".to_string()),
                (2, "Sure, tomorrow.".to_string()),
                (3, "And I'll book the room.".to_string()),
                (4, "I'll write it today.".to_string()),
            ],
            "the request, its acceptance and a promise; not running the meeting"
        );
        assert_eq!(decision_turns(&numbered), [5, 6]);
        assert_eq!(task_sentences(&numbered)[1].speaker, "Bo");
        assert!(carries_task(&numbered, 1) && carries_task(&numbered, 2));
        assert!(!carries_task(&numbered, 5), "no task in the launch date");
    }

    #[test]
    fn promises_no_item_cites_are_spans_to_ask_about_again() {
        let cue = |turn| Cue {
            turn,
            speaker: "Ana",
            sentence: "I'll send the report.".to_string(),
        };
        let turns: Vec<Turn> = (0..50)
            .map(|_| Turn::new("Ana", None, None, "Hm."))
            .collect();
        let turns = NumberedTurns::new(&turns, 1);
        let cues = [cue(10), cue(12), cue(20), cue(31), cue(40)];
        let said = |turns: &[usize]| -> Vec<(usize, &str)> {
            turns.iter().map(|&t| (t, "Send the report")).collect()
        };
        // The answer cited turns 3 and 42: the promise at 40 is within two of 42.
        assert_eq!(
            unanswered(&turns, &cues, &said(&[3, 42])),
            [(10, 12), (20, 20), (31, 31)],
            "10 and 12 are one span, 20 and 31 each their own"
        );
        assert_eq!(unanswered(&turns, &cues, &said(&[11, 21, 30, 39])), []);
        assert_eq!(unanswered(&turns, &[], &said(&[5])), []);
        // An item beside a quoted promise, not at its turn, answers it only by saying it.
        assert_eq!(
            unanswered(&turns, &cues[..2], &[(11, "Plan the regression pass")]),
            [(10, 12)],
            "a misnumbered item about something else hides no promise"
        );
        let asked = [
            Turn::new("Bo", None, None, "Can you book the room?"),
            Turn::new("Ana", None, None, "Sure, I'll do that."),
        ];
        let asked = NumberedTurns::new(&asked, 1);
        let sure = Cue {
            turn: 2,
            speaker: "Ana",
            sentence: "Sure, I'll do that.".to_string(),
        };
        let answered = |cited: &[(usize, &str)]| {
            unanswered(&asked, std::slice::from_ref(&sure), cited).is_empty()
        };
        assert!(
            answered(&[(1, "Book the room")]),
            "an acceptance is said in the words of its request"
        );
        assert!(!answered(&[(1, "Plan the regression pass")]));
        let invites = [
            Turn::new("Olivia", None, None, "Tom, could you set that up?"),
            Turn::new("Tom", None, None, "Sure, I'll send the invites today."),
        ];
        let invites = NumberedTurns::new(&invites, 1);
        let sure = Cue {
            turn: 2,
            speaker: "Tom",
            sentence: "Sure, I'll send the invites today.".to_string(),
        };
        assert_eq!(
            unanswered(&invites, &[sure], &[(1, "Tom, could you set that up?")]),
            [(2, 2)],
            "an acceptance that says what is not answered by the vague request"
        );
        assert!(
            answered(&[(2, "Plan the regression pass")]),
            "an item at a quoted promise's own turn answers it"
        );
        let mut many: Vec<Cue> = (1..=MAX_CUES).map(|t| cue(t * 3)).collect();
        many.push(cue(30));
        let beside = |text| {
            let mut cited: Vec<(usize, &str)> =
                (1..=MAX_CUES).map(|t| (t * 3, "Send the report")).collect();
            cited.push((29, text));
            cited
        };
        assert_eq!(
            unanswered(&turns, &many, &beside("We could drop one contractor")),
            [(30, 30)]
        );
        assert_eq!(unanswered(&turns, &many, &beside("Send the report")), []);
    }

    #[test]
    fn settled_choices_and_tasks_for_someone_named_are_quoted() {
        let turns = vec![
            Turn::new(
                "Priya",
                None,
                None,
                "Agreed. Let's decide it now: the migration moves to January.",
            ),
            Turn::new(
                "Sam",
                None,
                None,
                "Let's start with the demo. It will be short.",
            ),
            Turn::new(
                "Sam",
                None,
                None,
                "The fix is small; Marco can ship a patch next Monday.",
            ),
            Turn::new("Priya", None, None, "Then we agreed to drop the export."),
            Turn::new(
                "Sam",
                None,
                None,
                "Everyone can see the screen? We can go on.",
            ),
            Turn::new(
                "Sam",
                None,
                None,
                "How can we build on that. No can do. Matthew can can give it. Um can we stop.",
            ),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        let quoted = |cues: Vec<Cue<'_>>| -> Vec<(usize, String)> {
            cues.into_iter().map(|c| (c.turn, c.sentence)).collect()
        };
        assert_eq!(
            quoted(decision_sentences(&numbered)),
            [
                (
                    1,
                    "Let's decide it now: the migration moves to January.".to_string()
                ),
                (4, "Then we agreed to drop the export.".to_string()),
            ],
            "not the agenda's \"let's start\" nor \"will be\""
        );
        let named = |text: &str| settled_by_name().is_match(text);
        for text in [
            "Fine, Option B it is.",
            "So Friday it is!",
            "Great, that's it. Moving day stays January 16th.",
            "The price stays at 4.99 for now.",
            "The budget remains unchanged.",
            "Fine, two interns it is.",
            "Okay, the deadline moves to January 31st.",
            "Agreed, dark mode waits until January.",
            "Okay, the 16th then, but that's firm.",
            "So from now on, no releases after Wednesday.",
        ] {
            assert!(named(text), "{text}");
        }
        for text in [
            "Yes it is.",
            "It is.",
            "Who is it? It is Tom.",
            "It stays in the backlog.",
            "Lena stays on offline sync.",
            "That's what it is.",
            "Okay, it moves to the next slide.",
            "Agreed.",
            "Okay then.",
            "The first one then?",
        ] {
            assert!(!named(text), "{text}");
        }
        assert!(settled().is_match("Then we're going with Priyanka and a February start."));
        for text in [
            "Let's split it by region then.",
            "Then let's put the launch on hold until March.",
            "Then let's take you off the small accounts in January.",
        ] {
            assert!(concludes(text), "{text}");
        }
        for text in [
            "Let's move on then.",
            "Okay, let's go to the user interface then.",
            "Then let's start.",
            "Let's take a short break then.",
            "Let's split it by region.",
        ] {
            assert!(!concludes(text), "{text}");
        }
        assert_eq!(
            quoted(task_sentences(&numbered)),
            [(3, "Marco can ship a patch next Monday.".to_string())],
            "the named promise's own clause; not \"Everyone can see\" nor \"We can\""
        );
        assert!(carries_task(&numbered, 3));
        assert!(!carries_task(&numbered, 5));
        assert!(
            !carries_task(&numbered, 6),
            "questions and stammers name no doer"
        );
    }

    #[test]
    fn work_handed_out_is_quoted_and_what_happens_to_someone_is_not() {
        let turns = vec![
            Turn::new(
                "Lea",
                None,
                None,
                "So maybe you can look at what trends there are in this market.",
            ),
            Turn::new(
                "Lea",
                None,
                None,
                "And you will try to get more specific interface content.",
            ),
            Turn::new("Lea", None, None, "But you will be informed by email."),
            Turn::new(
                "Lea",
                None,
                None,
                "Um after the meeting we're gonna each complete a questionnaire.",
            ),
            Turn::new(
                "Lea",
                None,
                None,
                "Alima will be doing the working design. Anna will be here.",
            ),
            Turn::new("Tom", None, None, "Maybe you can see it on the screen."),
            Turn::new(
                "Lea",
                None,
                None,
                "The next meeting starts in thirty minutes.",
            ),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        assert_eq!(
            quoted_tasks(&numbered),
            [
                (
                    1,
                    "So maybe you can look at what trends there are in this market.".to_string()
                ),
                (
                    2,
                    "And you will try to get more specific interface content.".to_string()
                ),
                (
                    4,
                    "Um after the meeting we're gonna each complete a questionnaire.".to_string()
                ),
                (5, "Alima will be doing the working design.".to_string()),
            ],
            "not being informed, being here, seeing the screen nor the next meeting's time"
        );
        let promised = |text: &str| {
            let turns = [Turn::new("Lea", None, None, text)];
            task_promised(&NumberedTurns::new(&turns, 1))
        };
        assert!(carries_task(&numbered, 1) && carries_task(&numbered, 4));
        assert!(!carries_task(&numbered, 6), "seeing the screen is no task");
        assert!(promised("You will try to get the costs."));
        assert!(!promised("But you will be informed by email."));
    }

    #[test]
    fn a_promise_spliced_on_with_a_comma_is_a_clause_of_its_own() {
        assert_eq!(
            clauses("Good. We'll do a dry run on the fourth, I'll put it in the calendar."),
            [
                "Good.",
                "We'll do a dry run on the fourth",
                "I'll put it in the calendar."
            ]
        );
        assert_eq!(
            clauses("I'll do that today and I'll report the numbers in January."),
            ["I'll do that today", "I'll report the numbers in January."]
        );
        for one in [
            "Okay, I'll split it out in the next version.",
            "If it doesn't come in by then, I'll use a twenty percent cut.",
            "Sure thing, I'll send it.",
        ] {
            assert_eq!(clauses(one), [one], "{one}");
        }
    }

    #[test]
    fn offers_and_second_promises_are_quoted_and_leave_it_with_me_accepts() {
        let turns = vec![
            Turn::new(
                "Dana",
                None,
                None,
                "Grace, can you get the banner text to the team?",
            ),
            Turn::new(
                "Grace",
                None,
                None,
                "Leave it with me. I'll send it over tomorrow.",
            ),
            Turn::new(
                "Leo",
                None,
                None,
                "I can draft those this week. I can see why.",
            ),
            Turn::new(
                "Raj",
                None,
                None,
                "Yep, I'll do that today and I'll report the numbers at our January review.",
            ),
            Turn::new("Leo", None, None, "I can't make the 24th."),
            Turn::new(
                "Nora",
                None,
                None,
                "Let me just check that. Let me write the mentor guide before the holidays.",
            ),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        assert_eq!(
            quoted_tasks(&numbered),
            [
                (
                    1,
                    "Grace, can you get the banner text to the team?".to_string()
                ),
                (2, "Leave it with me.".to_string()),
                (2, "I'll send it over tomorrow.".to_string()),
                (3, "I can draft those this week.".to_string()),
                (4, "Yep, I'll do that today".to_string()),
                (
                    4,
                    "I'll report the numbers at our January review.".to_string()
                ),
                (
                    6,
                    "Let me write the mentor guide before the holidays.".to_string()
                ),
            ],
            "not seeing why, nor what someone cannot do, nor \"let me\" for now"
        );
        assert_eq!(accepted_request(&numbered, 2), Some(1));
        let asked_plainly = [
            Turn::new(
                "Hana",
                None,
                None,
                "Yes, approved. Just put it in the calendar.",
            ),
            Turn::new("Ben", None, None, "Will do."),
        ];
        assert_eq!(
            quoted_tasks(&NumberedTurns::new(&asked_plainly, 1)),
            [
                (1, "Just put it in the calendar.".to_string()),
                (2, "Will do.".to_string())
            ],
            "an instruction that \"will do\" takes on is the request"
        );
        // An offer is quoted, but does not oblige the answer to hold an item.
        let offered = [Turn::new("Leo", None, None, "I can draft those this week.")];
        assert!(!task_promised(&NumberedTurns::new(&offered, 1)));
    }

    #[test]
    fn a_question_quotes_a_few_sentences_each_cut_short() {
        let long = format!("I'll write {}.", ["the plan"; 40].join(" and "));
        let turns: Vec<Turn> = (0..12)
            .map(|i| Turn::new("Ana", None, None, format!("I'll send report {i}. {long}")))
            .collect();
        let cues = task_sentences(&NumberedTurns::new(&turns, 1));
        assert_eq!(cues.len(), MAX_CUES);
        assert_eq!(cues[0].sentence, "I'll send report 0.");
        assert_eq!(
            cues[1].sentence.split_whitespace().count(),
            MAX_CUE_WORDS + 1
        );
        assert!(cues[1].sentence.ends_with(" …"), "{}", cues[1].sentence);
    }

    #[test]
    fn a_task_is_promised_when_taken_on_given_or_accepted_not_when_the_meeting_moves_on() {
        let promised = |texts: &[&str]| {
            let turns: Vec<Turn> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| Turn::new(["Ana", "Bo"][i % 2], None, None, *t))
                .collect();
            task_promised(&NumberedTurns::new(&turns, 1))
        };
        assert!(promised(&["I'll send the deck tomorrow."]));
        assert!(promised(&["Then I will also write up the plan."]));
        assert!(promised(&["So you're gonna be working on the design."]));
        assert!(promised(&["Can you book the room?", "Sure."]));
        assert!(!promised(&["Can you hear me?", "I can't, sorry."]));
        assert!(!promised(&[
            "Okay, I will go first.",
            "I'll just show you this."
        ]));
        assert!(!promised(&["You'll see it on the slide.", "Let me think."]));
        assert!(promised(&[
            "And I'll let the account managers know, so they stop."
        ]));
        assert!(!promised(&["If I get more pictures, I'll let you know."]));
        assert!(!promised(&["I'll let you go first."]));
        assert!(promised(&[
            "Just put it in the leave calendar.",
            "Will do."
        ]));
        assert!(!promised(&["The calendar is full.", "Okay."]));
    }

    #[test]
    fn the_one_who_commits_or_accepts_owns_the_task() {
        let turns = vec![
            Turn::new("Ana", None, None, "Can you send the deck?"),
            Turn::new("Bo", None, None, "Sure, tomorrow."),
            Turn::new("Ana", None, None, "And I'll book the room."),
            Turn::new("Bo", None, None, "The room is small."),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        assert_eq!(
            owner_by_wording(&numbered, 1, ""),
            Some("Bo"),
            "accepted request"
        );
        assert_eq!(
            owner_by_wording(&numbered, 3, ""),
            Some("Ana"),
            "commitment"
        );
        assert_eq!(owner_by_wording(&numbered, 4, ""), None);
        assert_eq!(accepted_request(&numbered, 2), Some(1));
        assert_eq!(commits_to(&numbered, 3, "Book"), Some("Ana"));
        assert_eq!(
            commits_to(&numbered, 3, "send"),
            None,
            "not what she took on"
        );
        assert_eq!(accepted_request(&numbered, 3), None, "no request before it");
        assert_eq!(accepted_request(&numbered, 1), None);
        assert_eq!(owner_by_wording(&numbered, 9, ""), None);
        let answered = |answer: &str| {
            let turns = [
                Turn::new(
                    "Grace",
                    None,
                    None,
                    "Can you have the forecast final by the second?",
                ),
                Turn::new("Marcus", None, None, answer),
            ];
            accepted_request(&NumberedTurns::new(&turns, 1), 2)
        };
        for yes in [
            "Should be fine, it's a day of work.",
            "The second is fine if Priya's number comes in this week.",
            "That works.",
            "Can do.",
        ] {
            assert_eq!(answered(yes), Some(1), "{yes}");
        }
        for no in ["The second is too early.", "That's a lot of work."] {
            assert_eq!(answered(no), None, "{no}");
        }
    }

    #[test]
    fn a_request_by_name_or_for_the_asker_is_accepted_and_owned_by_who_takes_it() {
        let turns = vec![
            Turn::new(
                "Rosa",
                None,
                None,
                "Then we keep four tens. Luis, write it up for HR so the contracts can change.",
            ),
            Turn::new(
                "Luis",
                None,
                None,
                "Sure, I'll have a draft to you by the end of next week.",
            ),
            Turn::new(
                "Nadia",
                None,
                None,
                "Get me a draft of it by next Friday and I'll give you comments over the weekend.",
            ),
            Turn::new("Ben", None, None, "Okay, next Friday."),
            Turn::new(
                "Rosa",
                None,
                None,
                "Amira, send me the count every Friday so I can report it up.",
            ),
            Turn::new("Amira", None, None, "Will do."),
            Turn::new("Rosa", None, None, "Luis, what do you think?"),
            Turn::new("Luis", None, None, "Yeah, it's fine."),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        assert_eq!(accepted_request(&numbered, 2), Some(1), "called by name");
        assert_eq!(
            accepted_request(&numbered, 4),
            Some(3),
            "asked for the asker"
        );
        assert_eq!(
            accepted_request(&numbered, 8),
            None,
            "a question by name asks no task"
        );
        // The request's clause is the taker's, the promise's the speaker's.
        assert_eq!(
            owner_by_wording(&numbered, 3, "Get me a draft of it by next Friday"),
            Some("Ben")
        );
        assert_eq!(
            owner_by_wording(&numbered, 3, "Give Ben comments over the weekend"),
            Some("Nadia")
        );
        // Why the asker asks commits her to nothing.
        assert_eq!(
            owner_by_wording(&numbered, 5, "Send me the count every Friday"),
            Some("Amira")
        );
        let quoted: Vec<usize> = task_sentences(&numbered).iter().map(|c| c.turn).collect();
        assert!(quoted.contains(&1) && quoted.contains(&3), "{quoted:?}");
        assert!(asks_of("Luis, write it up.", "Luis Ortega"));
        assert!(!asks_of("Luis, write it up.", "Amira Haddad"));
        assert!(is_request("And send me the numbers."));
        assert!(is_request("Victor, can your team change that?"));
        assert!(!is_request("Your team changed that."));
        assert!(!is_request("They sent me the numbers."));
    }

    #[test]
    fn the_clause_a_task_comes_from_and_the_one_that_accepts() {
        let said = "Yeah, I can move Dev and Carla over from Monday.";
        assert_eq!(accepting_clause(said), Some(said));
        assert_eq!(clause_saying(said, "Move Dev and Carla over"), Some(said));
        let two = "Yep, I'll do that today and I'll report the numbers in January.";
        assert_eq!(accepting_clause(two), Some("Yep, I'll do that today"));
        assert_eq!(
            clause_saying(two, "Report the numbers in January"),
            Some("I'll report the numbers in January.")
        );
        assert_eq!(clause_saying(two, "Book the room"), None);
        assert_eq!(accepting_clause("The room is small."), None);
    }

    #[test]
    fn choices_kept_parked_set_against_another_or_moved_are_settled() {
        for yes in [
            "Then we keep four tens for the whole of the first quarter.",
            "Let's park that until we see the February volumes.",
            "We'll pay for the trip out of the team budget, not the travel pool.",
            "I'm moving our one-on-ones to Thursdays from next month.",
            "We'll move the forecast call to Tuesdays at ten, starting next week.",
            "So we send reminders two days ahead instead.",
            "Then we stop chasing Globex this quarter.",
            "Walk-ins only go into the walk-in slots, no exceptions.",
            "Let's hold at ten and add the onboarding package for free instead.",
            "Then we go with Marsh.",
            "One more late delivery and we move to Harbour Fresh.",
            "We close on the sixteenth.",
            "We'll launch on March 3rd.",
            "Six weeks starting mid-March, then.",
        ] {
            assert!(settles(yes), "{yes}");
        }
        for no in [
            "Should we keep the book drop open?",
            "So we go with what?",
            "We move to the next slide.",
            "We close on the path we took last year.",
            "Okay, see you then.",
            "Give him Sunday lunch, then.",
            "So we keep losing them.",
            "We'll see, not sure yet.",
            "I'm moving on to the next slide.",
            "Let's park here.",
            "So we need to look at the budget.",
            "Let's hold on a second.",
            "We'll move on to the next slide.",
        ] {
            assert!(!settles(no), "{no}");
        }
    }

    #[test]
    fn a_yes_to_a_choice_put_to_the_group_settles_it() {
        let turns = vec![
            Turn::new("Ravi", None, None, "Should we keep the book drop open?"),
            Turn::new(
                "Grace",
                None,
                None,
                "Yes, the book drop stays open the whole time. Tom, somebody has to empty it.",
            ),
            Turn::new(
                "Sofia",
                None,
                None,
                "If it happens again, should we switch to Harbour Fresh?",
            ),
            Turn::new(
                "Marco",
                None,
                None,
                "Yes. One more late delivery and we're done with them. Can you get a price list?",
            ),
            Turn::new("Sofia", None, None, "Can we turn off the microphones?"),
            Turn::new(
                "Marco",
                None,
                None,
                "Yeah, yeah if the meeting's over then yeah I guess so.",
            ),
            Turn::new("Marco", None, None, "Should we order more?"),
            Turn::new("Marco", None, None, "Yes, they came in this morning."),
        ];
        let numbered = NumberedTurns::new(&turns, 1);
        let quoted: Vec<(usize, String)> = decision_sentences(&numbered)
            .into_iter()
            .map(|c| (c.turn, c.sentence))
            .collect();
        assert_eq!(
            quoted,
            [
                (
                    2,
                    "Yes, the book drop stays open the whole time.".to_string()
                ),
                (
                    4,
                    "One more late delivery and we're done with them.".to_string()
                ),
            ],
            "not the question, not a yes to running the meeting, not a speaker answering themself"
        );
    }

    #[test]
    fn how_the_meeting_runs_is_told_from_choices_about_meetings() {
        for text in [
            "Okay. Right. well this is the kick-off meeting for our project.",
            "We'll that's the end of the meeting, then.",
            "The final objective of this meeting is to reach a decision on the concepts.",
            "We will close this meeting and after this meeting we'll have a lunch.",
            "We've got about five or ten minutes left for discussion.",
            "We'll have to wrap up pretty quickly in the next couple of minutes.",
            "Before we wrap up, just to make sure we're all on the same page here.",
            "We can move on to next presentation then please.",
            "The next meeting's gonna be in thirty minutes.",
            "Our next meeting starts in thirty minutes, you each have things to do.",
            "We are just waiting for Matthew.",
            "We are done. Thank you everyone.",
        ] {
            assert!(runs_the_meeting(text), "{text}");
        }
        for text in [
            "The weekly sync moves to Tuesdays.",
            "This meeting becomes a monthly review.",
            "We cancel the Friday meeting.",
            "The remote will have a kinetic battery.",
            "We wrap up the pilot at the end of March.",
            "The next meeting is in Berlin.",
            "We are waiting for legal before we sign, so the launch moves.",
        ] {
            assert!(!runs_the_meeting(text), "{text}");
        }
    }

    #[test]
    fn putting_off_what_is_only_pointed_at_is_no_task() {
        for text in [
            "Leave that for next week, I want prices first",
            "Let's park it until January.",
            "Hold off on that until the budget is in",
        ] {
            assert!(is_deferral(text), "{text}");
        }
        for text in [
            "Leave the keys at the front desk",
            "Leave a note for Omar",
            "Postpone the launch to March 17",
            "Leave it with me",
        ] {
            assert!(!is_deferral(text), "{text}");
        }
    }

    #[test]
    fn introductions_are_told_from_statements_about_a_person() {
        for text in [
            "Hi, I'm David and I'm supposed to be an industrial designer.",
            "My name's Frank.",
            "Craig: I'm Craig and I'm User Interface.",
            "Hello! I'm Priya Natarajan from the platform team.",
            "I am Dana, and I run support",
        ] {
            assert!(is_introduction(text), "{text}");
        }
        for text in [
            "I'm gonna give it a two.",
            "I'm happy with the new design.",
            "This is the kick-off meeting for our project.",
            "My name is on the contract, so I'll sign it by Friday.",
            "Priya is the new owner of the launch plan.",
            "This is Phoenix: the project keeps its name.",
        ] {
            assert!(!is_introduction(text), "{text}");
        }
    }
}
