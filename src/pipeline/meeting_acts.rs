//! What is done in the meeting itself: sharing a screen, taking the minutes, "I'll tell
//! you a bit about the setting", "give it a three", "let's look at that in a second".
//! A small model lists these as tasks because they are said as promises ("I'm gonna…",
//! "let me…"), but nobody has anything to do once the meeting ends, and a note that lists
//! them buries the tasks that matter. On the 16 AMI dev meetings they were over a third
//! of the action items.

/// The mechanics of a meeting: the screen, the chat, the pen, the minutes, the seats, the
/// microphones, the whiteboard, a score given to a design under review, bringing it to a
/// close.
const MECHANICS: &str = r"(?i)\b(?:share (?:my|the|your) screen|(?:put|drop|paste|post) (?:it |that |this |the link |a link |them )?in(?:to)? the chat|(?:un)?mute (?:me|myself|you|yourself)|sit down|take (?:a|your|my) (?:seat|chair)\b|(?:remove|take off|take|put on|clip on|switch on|switch off|turn on|turn off) (?:my |your |the )?(?:mic|microphone)s?\b|(?:call|bring) (?:this|it|the meeting|things) to a close\b|plug (?:me |it |this |that )?in(?:to)?|hand (?:me|you)\b|(?:hand over|pass) the (?:pen|marker|mic|microphone|floor)|take (?:the |some )?(?:notes|minutes)|write your names?|draw (?:in|on|like)\b|give it an? (?:one|two|three|four|five|six|seven|eight|nine|ten|[0-9]+)\b|pull (?:it|that|this) up|(?:get|got|getting) (?:my |the |your )?(?:presentation|slides?|laptop|projector|screen) (?:running|working)|(?:write|put|draw|drawing|sketch|jot)\b[^.;]{0,40}\bon the (?:white)?board\b)";

/// A time after the meeting: a task said with one is for later, even when it is said
/// as the meeting runs ("Walk you through the numbers on Friday", "Take the minutes at
/// next week's review").
const LATER: &str = r"(?i)(?:\b|in)(?:tomorrow|tonight|today|this (?:week|afternoon|evening|month)|next (?:week|month|meeting|time|call|session|sprint|quarter|monday|tuesday|wednesday|thursday|friday)|by (?:then|the end|end of|tomorrow|tonight|next|this|[0-9])|before |after (?:the|this|our|lunch)|afterwards|monday|tuesday|wednesday|thursday|friday|january|february|march|april|may|june|july|august|september|october|november|december|end of (?:the )?(?:day|week|month|quarter|year|sprint)|between now and|from now on|for (?:the |our )?next)\b";

/// Now, in the room: "…now", "in a second", "at the end", "here". The
/// longer forms in the pattern ("now that", "for now", "at the end of", "here's") are
/// matched so that they can be told apart and passed over.
const NOW: &str = r"(?i)\b(?:right now|(?:for |until |till )?now(?: that| on)?|in a (?:second|minute|moment|sec)|at the end(?: of)?|here(?:'s|’s)?)\b";

/// Talking to the room, as a task opens: "Tell you a little bit about the setting",
/// "Talk about the functional requirements", "Recap the minutes", "Start with the agenda",
/// "Let's start by looking at the presentation", "Continue with my presentation", "First
/// I will introduce myself". Starting with anything else ("Start with the Berlin office")
/// is an order of work, which may be a task or a choice.
const TALK: &str = r"(?i)^(?:(?:just|now|so|then|okay|ok|first|let's|let us|i'll|i will|i'm gonna|i'm going to|we'll|we will|we're gonna|we're going to)[,\s]+)*(?:introduce (?:myself|ourselves|yourselves|everyone)\b|(?:do|give|make) (?:an|the|a|my|our) (?:quick |short |little )?(?:opening|introduction|intro)\b|(?:tell|show|inform|give|walk|take) (?:you|us|everyone|everybody|the team|the group)\b|talk (?:about|a little|a bit)\b|describe\b|explain\b|go (?:through|over|back to)\b|recap\b|review the minutes\b|(?:start|begin|continue|carry on|go on) (?:off\b|with (?:the agenda|the first|a quick|a recap|introductions|a round)\b|with (?:the |a |my |our |your )?(?:[\w-]+ ){0,4}presentation\b|by (?:looking|going|reviewing|talking|discussing)\b))";

/// A person or group the talk is for, after "to" or "with": "Explain the pricing to
/// sales". The word after it tells an infinitive ("to make a decision") from a recipient.
const RECIPIENT: &str =
    r"(?i)\b(?:to|with) (?:the |our |my |their |his |her )?([\w'-]+)(?: ([\w'-]+))?";

/// Who is in the room when they are talked to.
const ROOM: &[&str] = &["you", "us", "everyone", "everybody", "all", "team", "group"];

/// Words that follow a verb, not a recipient: "to make a decision", "to get it running".
const AFTER_A_VERB: &[&str] = &[
    "a", "an", "the", "it", "them", "that", "this", "those", "these", "our", "my", "your", "up",
    "out", "on", "in", "at", "to",
];

/// Parting words: "See you next week", "Meet you in about ten minutes", "Be back in a
/// bit". When the meeting resumes is said as a promise, and is no one's task, whatever
/// time it names.
const PARTING: &str = r"(?i)^(?:(?:okay|ok|so|and|then|right|i'll|i will|we'll|we will)[,\s]+)*(?:(?:see|meet) (?:you|everyone|everybody)(?: all| guys)?(?:$|[.,!]| (?:in|at|on|next|tomorrow|later|soon|then|after|back|there|again)\b)|(?:be|come) back (?:in|after)\b|talk (?:soon|later|next)\b)";

cached_regex!(mechanics, MECHANICS);

cached_regex!(parting, PARTING);

cached_regex!(later, LATER);

cached_regex!(now, NOW);

cached_regex!(talk, TALK);

cached_regex!(recipient, RECIPIENT);

/// Whether the task `text` is done in the meeting itself, so that nobody has it to do
/// afterwards: with no time after the meeting, the meeting's mechanics, something done
/// now, or something told to the room.
pub fn done_in_the_meeting(text: &str) -> bool {
    parting().is_match(text.trim()) || in_the_room(text.trim(), true)
}

/// Whether `text` names a time after the meeting ("on Thursday", "next week"): a task
/// accepted in such words ("Can you go through the temperature logs?" "Yes, I'll do that
/// on Thursday.") is for later, whatever its own words say.
pub fn names_a_later_time(text: &str) -> bool {
    later().is_match(text)
}

/// Whether the decision `text` is the meeting's own business, so that nothing about the
/// work was chosen: as for a task, except that "now" may date a choice ("We stop the
/// pilot now"); "here", "in a second" and "at the end" still place it in the room.
pub fn chosen_for_the_meeting(text: &str) -> bool {
    in_the_room(text.trim(), false)
}

fn in_the_room(text: &str, now_counts: bool) -> bool {
    if later().is_match(text) {
        return false;
    }
    mechanics().is_match(text)
        || said_as_now(text, now_counts)
        || talk()
            .find(text)
            .is_some_and(|verb| !for_someone_else(&text[verb.end()..]))
}

/// Whether `text` places itself in the room's present: "now" (where `now_counts`) but not
/// "now that", "for now" or "from now on", "at the end" but not "at the end of the
/// month", "here" but not "here's".
fn said_as_now(text: &str, now_counts: bool) -> bool {
    now().find_iter(text).any(|m| {
        let said = m.as_str().to_lowercase();
        !((!now_counts && said.ends_with("now"))
            || said.ends_with(" that")
            || said.starts_with("for ")
            || said.starts_with("until ")
            || said.starts_with("till ")
            || said.ends_with(" on")
            || said.ends_with(" of")
            || said.ends_with("'s")
            || said.ends_with("’s"))
    })
}

/// Whether the talk, after its verb, is for someone outside the room: "Explain the
/// pricing to sales", "Go through the contract with Allied" (but "Start with the agenda").
fn for_someone_else(text: &str) -> bool {
    recipient().captures_iter(text).any(|c| {
        let who = c[1].to_lowercase();
        let next = c.get(2).map(|m| m.as_str().to_lowercase());
        let infinitive = next.is_some_and(|n| AFTER_A_VERB.contains(&n.as_str()));
        !ROOM.contains(&who.as_str()) && !infinitive
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meetings_own_business_is_no_task() {
        for text in [
            "Share my screen",
            "Put the link in the chat",
            "Take notes of this meeting",
            "First just to mention I will take notes of this meeting",
            "Take some minutes again.",
            "Hand over the pen on the new blank sheet to you.",
            "Sit down I think.",
            "Take your chair",
            "This is to do this I will not remove my microphone.",
            "I'm gonna take the microphones, 'cause it's too lazy to take them off again.",
            "Call this to a close.",
            "Plug me in",
            "Give it a three.",
            "I'm gonna give it a four, 'cause I think that you can still see it",
            "Write your name somewhere.",
            "Try to get my presentation running.",
            "Look at that in a second.",
            "Make our final presentation now.",
            "Show you my preferences at the end.",
            "Write up our results on the board",
            "Make a little drawing of it on the board",
            "Tell you a little bit about the setting.",
            "Inform you about the trend-watching I've done over the past few days.",
            "Talk about the new project requirements I've just received, and then we have to make a decision.",
            "Recap on the minutes from the last meeting",
            "Review the minutes of the last meeting",
            "Describe the concept of the user interface of this device.",
            "Start with the agenda for this meeting.",
            "Do an opening, talk about did you all get the minutes",
            "Start off then.",
            "First I will introduce myself.",
            "Let's start with the look and feel design presentation first.",
            "Let's start by looking at the look and feel design presentation first.",
            "Continue with my presentation",
            "This time I will take the minutes.",
            "Meet you in about a half an hour, I think.",
            "See you next week",
            "Be back in about ten minutes to show you the final presentation",
        ] {
            assert!(done_in_the_meeting(text), "{text}");
        }
    }

    #[test]
    fn a_choice_may_be_dated_now_but_not_made_in_the_room() {
        for text in [
            "We stop the pilot now",
            "We can't use speech recognition right now",
            "For now we keep the bot off refunds entirely",
            "The deadline moves to January 31st",
        ] {
            assert!(!chosen_for_the_meeting(text), "{text}");
        }
        for text in [
            "This time I will take the minutes.",
            "It's not totally simple, so I'm gonna give it a two.",
            "So here would be basically the infrared LED",
            "We'll just go through them one at a time",
        ] {
            assert!(chosen_for_the_meeting(text), "{text}");
        }
    }

    #[test]
    fn work_for_after_the_meeting_stays_a_task() {
        for text in [
            "Work on the components concept.",
            "Inbetween now and then, as the industrial designer, you're gonna be working on the design",
            "Send the registration link right after this call",
            "Walk you through the numbers on Friday",
            "Explain the new pricing to sales",
            "Go through the contract with Allied",
            "Tell the billing team today",
            "Show the mockups to Grace",
            "Fix the login bug first",
            "Now that the budget is in, book the venue",
            "From now on, post the minutes in the project folder",
            "Present the roadmap at the end of the month",
            "Type up the minutes and e-mail them to everyone",
            "Draft the schedule for the offsite",
            "Start the visa paperwork with legal this week",
            "Here's the plan: order the test machines",
            "Redraw the onboarding flow",
            "Get the slides up on the website",
            "Show the total price on screen before payment",
            "Get the new treasurer on the board",
            "For now we keep the bot off refunds entirely",
            "Start with the Berlin office, then Paris",
            "Draw up the contract for Allied",
            "Hand over the keys to facilities",
            "Take the minutes at next week's review",
            "Sit down with Sam tomorrow to plan the move",
            "Meet the vendor next week",
            "See you can get the quote by Friday",
        ] {
            assert!(!done_in_the_meeting(text), "{text}");
        }
    }
}
