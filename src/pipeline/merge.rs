//! Reduce: partial extracts of one meeting's chunks become one. The model writes the
//! overall title and summary (see `prompts/reduce.j2`); lists are merged here,
//! deterministically, dropping items that say the same thing twice ([`Sameness`]: by
//! shared words, and by meaning when an embedder is loaded). Each chunk's items are first
//! put in the list their wording says ([`sort`]: a statement of a choice is a decision, a
//! person's statement of what they will do is a task). Nothing stands in two lists: an
//! action item and a decision that say the same thing are kept once, in the right list
//! (the action when someone owns it, else the decision), and key information that repeats
//! either is dropped.

use super::extract::{ActionDraft, DecisionDraft, Extract, Overview};
use super::form::{form, reported, Form, Names, Subject, Verb};
use super::sameness::Sameness;
use super::tidy;
use crate::note::OWNER_TBD;

/// Joins the chunk extracts under the model's overview, keeping the first of duplicates.
pub fn merge(partials: &[Extract], overview: Overview, same: &Sameness<'_>) -> Extract {
    let mut merged = Extract {
        title: overview.title,
        summary: overview.summary,
        ..Extract::default()
    };
    // One batch for every item, ahead of the pairwise comparisons.
    let texts: Vec<&str> = partials
        .iter()
        .flat_map(|p| {
            p.action_items
                .iter()
                .map(|a| a.text.as_str())
                .chain(p.decisions.iter().map(|d| d.text.as_str()))
                .chain(p.key_information.iter().map(String::as_str))
        })
        .map(str::trim)
        .collect();
    same.prepare(&texts);
    for part in partials {
        for action in &part.action_items {
            push_action(&mut merged.action_items, action, same);
        }
        for decision in &part.decisions {
            if !decision.text.trim().is_empty()
                && !merged
                    .decisions
                    .iter()
                    .any(|kept| same.same_item(&kept.text, decision.text.trim()))
            {
                merged.decisions.push(DecisionDraft {
                    text: decision.text.trim().to_string(),
                    ..decision.clone()
                });
            }
        }
        for info in &part.key_information {
            push_unique(&mut merged.key_information, info, same);
        }
    }
    // An owned task stays an action and its restatement as a decision goes; an unowned
    // "task" that restates a decision was the decision all along.
    let decisions: Vec<String> = merged.decisions.iter().map(|d| d.text.clone()).collect();
    merged
        .action_items
        .retain(|a| a.owner != "TBD" || !decisions.iter().any(|d| same.same_item(&a.text, d)));
    let owned: Vec<String> = merged.action_items.iter().map(|a| a.text.clone()).collect();
    merged.decisions.retain(|d| {
        !owned
            .iter()
            .any(|a| same.same_item(a, &d.text) && !other_act(a, &d.text))
    });
    let said: Vec<String> = merged
        .decisions
        .iter()
        .map(|d| d.text.clone())
        .chain(merged.action_items.iter().map(|a| a.text.clone()))
        .collect();
    merged
        .key_information
        .retain(|info| !said.iter().any(|s| same.same_item(s, info)));
    merged
}

/// Puts each item in the list its wording says it belongs to ([`form`]), whichever pass
/// wrote it: among the action items, a statement about a thing, the group or how a person
/// stays ("The remote will have a jog dial", "We can cut that to three screens", "Lena
/// stays on offline sync") is a decision; among the decisions, a person's statement of
/// what they will or must do ("Marco can ship the patch next Monday", "I'll tell
/// product") is a task, theirs when they are a participant (`owners`), and a question, a
/// hedge ("maybe…, I don't know") or one person's view ("I think the case is too big") is
/// neither; so is an instruction whose verb its turn's speaker committed to ("Talk to
/// finance", said as "I'll talk to finance"; `committed(turn, verb)` names that speaker).
/// A decision is read and written without a frame that only reports it ("The
/// participants decided that…", "Dana decided to…", [`reported`]). A task whose text
/// names a participant as its doer is that participant's, whatever the turn's wording
/// suggested ("I'll take the minutes, and the designer will do the components" gives the
/// components to the designer), and one that names someone else is `TBD`'s. Run before
/// [`merge`] drops restatements across the lists, so a moved item meets its twin there. A
/// task the action-items pass wrote stays one only where its turn carries a task
/// (`carries_task(turn)`: "I'll", "can you", "work on"…); otherwise it copies talk ("Tail's
/// a bit big", "They have a bit of income to spend").
pub fn sort(
    extract: &mut Extract,
    names: &Names,
    owners: &[String],
    committed: &dyn Fn(usize, &str) -> Option<String>,
    carries_task: &dyn Fn(usize) -> bool,
) {
    let participant = |p: &str| owners.iter().find(|o| o.as_str() == p).cloned();
    // The participant a statement names as the doer; someone not in the meeting is no
    // owner, so the text names them: "Marco can ship the patch" is "Marco to ship the patch".
    let doer = |person: &str, text: &mut String| {
        let owner = participant(person);
        if let Some(handed) = owner
            .as_ref()
            .map_or_else(|| tidy::assigned(text), |_| None)
        {
            *text = handed;
        }
        owner
    };
    let mut actions = Vec::with_capacity(extract.action_items.len());
    let mut decisions = Vec::with_capacity(extract.decisions.len());
    for mut action in std::mem::take(&mut extract.action_items) {
        match form(&action.text, names) {
            Form::Statement {
                subject: Subject::Other,
                verb: Verb::Plain | Verb::Future,
            }
            | Form::Statement {
                subject: Subject::Person(_),
                verb: Verb::Plain,
            } => decisions.push(DecisionDraft {
                turn: action.turn,
                text: action.text,
                evidence: action.evidence,
            }),
            Form::Statement {
                subject: Subject::Person(person),
                ..
            } if carries_task(action.turn) => {
                // "Marco can ship the patch", said by Sam: Marco's, who is not here.
                action.owner =
                    doer(&person, &mut action.text).unwrap_or_else(|| OWNER_TBD.to_string());
                actions.push(action);
            }
            // "I think one factor is cost": how someone sees things, not a task; nor is a
            // hedge ("maybe…, I don't know"), a question ("Can we draw it") or a piece of
            // talk ("Because right now…").
            Form::Question
            | Form::Tentative
            | Form::Fragment
            | Form::Statement {
                subject: Subject::Speaker | Subject::Addressee,
                verb: Verb::Plain,
            } => {}
            _ if carries_task(action.turn) => actions.push(action),
            _ => {}
        }
    }
    for mut decision in std::mem::take(&mut extract.decisions) {
        // "The participants decided that the designer will…" is read and worded as what
        // it reports ("Dana decided to go with the banner": "Go with the banner").
        let said = reported(&decision.text, names)
            .unwrap_or(&decision.text)
            .to_string();
        // The note says the choice; its heading already says it was made.
        decision.text = tidy::capitalised(&said);
        let owner = match form(&said, names) {
            // A question, a hedge ("maybe a little LED, I don't know") or one person's
            // view ("I think that's up to us") is not a choice the group made.
            Form::Question
            | Form::Tentative
            | Form::Fragment
            | Form::Statement {
                subject: Subject::Speaker | Subject::Addressee,
                verb: Verb::Plain,
            } => continue,
            Form::Statement {
                subject,
                verb: Verb::Future | Verb::Obligation,
            } => match subject {
                Subject::Person(person) => doer(&person, &mut decision.text),
                Subject::Speaker => decision
                    .evidence
                    .as_ref()
                    .and_then(|e| participant(&e.speaker)),
                Subject::Addressee => None,
                Subject::Other => {
                    decisions.push(decision);
                    continue;
                }
            },
            // "Talk to finance this week", said as "I'll talk to finance": a task.
            Form::Instruction => match said
                .split_whitespace()
                .next()
                .and_then(|verb| committed(decision.turn, verb))
            {
                Some(speaker) => participant(&speaker),
                None => {
                    decisions.push(decision);
                    continue;
                }
            },
            _ => {
                decisions.push(decision);
                continue;
            }
        };
        actions.push(ActionDraft {
            turn: decision.turn,
            owner: owner.unwrap_or_else(|| OWNER_TBD.to_string()),
            text: decision.text,
            due: None,
            evidence: decision.evidence,
        });
    }
    extract.action_items = actions;
    extract.decisions = decisions;
}

/// Whether a decision worded as an instruction does something other than the task:
/// "Run a Saturday flu clinic in February" is not "Find out which nurses can cover a
/// Saturday flu clinic", though the task names the clinic. Both open with a verb, and
/// the verbs differ; a decision that opens with its subject ("The clinic runs…") is
/// compared as before.
fn other_act(task: &str, decision: &str) -> bool {
    const SUBJECTS: [&str; 12] = [
        "the", "a", "an", "we", "our", "it", "this", "that", "they", "there", "these", "those",
    ];
    let first = |text: &str| {
        crate::words::words(text)
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    let (task, decision) = (first(task), first(decision));
    !SUBJECTS.contains(&decision.as_str()) && task != decision
}

/// Drops duplicates within one extract's lists (models sometimes repeat themselves).
pub fn dedupe(extract: Extract, same: &Sameness<'_>) -> Extract {
    let overview = Overview {
        title: extract.title.clone(),
        summary: extract.summary.clone(),
    };
    merge(std::slice::from_ref(&extract), overview, same)
}

fn push_unique(list: &mut Vec<String>, item: &str, same: &Sameness<'_>) {
    let item = item.trim();
    if item.is_empty() || list.iter().any(|kept| same.same_item(kept, item)) {
        return;
    }
    list.push(item.to_string());
}

/// A duplicate action keeps the first wording but gains what the later one knew: an owner
/// where the first had `TBD`, a due date where the first had none.
fn push_action(list: &mut Vec<ActionDraft>, action: &ActionDraft, same: &Sameness<'_>) {
    let text = action.text.trim();
    if text.is_empty() {
        return;
    }
    match list
        .iter_mut()
        .find(|kept| same.same_item(&kept.text, text))
    {
        Some(kept) => {
            if kept.owner == "TBD" && action.owner != "TBD" {
                kept.owner.clone_from(&action.owner);
            }
            if kept.due.is_none() {
                kept.due.clone_from(&action.due);
            }
        }
        None => list.push(ActionDraft {
            text: text.to_string(),
            ..action.clone()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(text: &str, owner: &str, due: Option<&str>) -> ActionDraft {
        ActionDraft {
            turn: 1,
            text: text.into(),
            owner: owner.into(),
            due: due.map(Into::into),
            evidence: None,
        }
    }

    fn decision(text: &str) -> DecisionDraft {
        DecisionDraft {
            turn: 1,
            text: text.into(),
            evidence: None,
        }
    }

    fn texts(decisions: &[DecisionDraft]) -> Vec<&str> {
        decisions.iter().map(|d| d.text.as_str()).collect()
    }

    #[test]
    fn duplicates_across_chunks_merge_and_keep_the_better_fields() {
        let first = Extract {
            action_items: vec![action("Send the pricing deck to Ana", "TBD", None)],
            decisions: vec![decision("Launch in March.")],
            ..Extract::default()
        };
        let second = Extract {
            action_items: vec![
                action(
                    "send the pricing deck to Ana.",
                    "Jeff Denworth",
                    Some("2025-11-14"),
                ),
                action("Book the venue", "Myself", None),
            ],
            decisions: vec![decision("launch in March"), decision("Hire two engineers.")],
            key_information: vec!["  ".into()],
            ..Extract::default()
        };
        let merged = merge(
            &[first, second],
            Overview {
                title: "Launch".into(),
                summary: "They planned the launch.".into(),
            },
            &Sameness::words_only(),
        );
        assert_eq!(
            merged.action_items,
            vec![
                action(
                    "Send the pricing deck to Ana",
                    "Jeff Denworth",
                    Some("2025-11-14")
                ),
                action("Book the venue", "Myself", None),
            ]
        );
        assert_eq!(
            texts(&merged.decisions),
            ["Launch in March.", "Hire two engineers."]
        );
        assert!(merged.key_information.is_empty());
        assert_eq!(merged.title, "Launch");
    }

    #[test]
    fn key_information_that_repeats_a_decision_or_an_action_is_dropped() {
        let extract = Extract {
            action_items: vec![action("Ship a patch release next Monday", "Myself", None)],
            decisions: vec![decision("Lena stays on offline sync until it ships")],
            key_information: vec![
                "Lena stays on offline sync until it ships.".into(),
                "Marco can ship a patch release next Monday".into(),
                "The crash rate on Android is 1.8 percent".into(),
            ],
            ..Extract::default()
        };
        // "ship a patch release next monday" shares 6 of 7 words with the action.
        assert_eq!(
            dedupe(extract, &Sameness::words_only()).key_information,
            ["The crash rate on Android is 1.8 percent"]
        );
    }

    #[test]
    fn a_decision_that_restates_an_action_item_is_dropped() {
        let extract = Extract {
            action_items: vec![action("Send the pricing deck to Ana", "Myself", None)],
            decisions: vec![
                decision("Send the pricing deck to Ana."),
                decision("Launch in March."),
            ],
            ..Extract::default()
        };
        let merged = dedupe(extract, &Sameness::words_only());
        assert_eq!(texts(&merged.decisions), ["Launch in March."]);
        assert_eq!(merged.action_items.len(), 1);
        // A task that names the choice does another thing: both stay.
        let (task, choice) = (
            "Staff the Saturday flu clinic for older patients in February",
            "Run the Saturday flu clinic for older patients in February.",
        );
        assert!(Sameness::words_only().same_item(task, choice));
        let extract = Extract {
            action_items: vec![action(task, "Mei", None)],
            decisions: vec![decision(choice)],
            ..Extract::default()
        };
        let merged = dedupe(extract, &Sameness::words_only());
        assert_eq!(texts(&merged.decisions), [choice]);
    }

    #[test]
    fn each_item_goes_to_the_list_its_wording_says() {
        use crate::transcript::{Format, Metadata, Transcript, Turn};
        let owners: Vec<String> = ["Priya Natarajan", "Tom Becker", "Industrial Designer"]
            .map(String::from)
            .to_vec();
        let transcript = Transcript::new(
            vec![Turn::new(
                "Priya Natarajan",
                None,
                None,
                "So Lena stays on it, and Marco can ship the patch.",
            )],
            Metadata::new(Format::Plain),
        );
        let names = Names::new(&owners, &transcript);
        let mut extract = Extract {
            action_items: vec![
                action(
                    "Lena stays on offline sync until it ships",
                    "Priya Natarajan",
                    None,
                ),
                action("Email the beta users about the date", "Tom Becker", None),
                action(
                    "Marco can ship the patch on Monday",
                    "Priya Natarajan",
                    None,
                ),
                action(
                    "The industrial designer will work on the components",
                    "Priya Natarajan",
                    None,
                ),
                action("We can cut onboarding to three screens", "TBD", None),
                action("I think the case is a bit big", "Tom Becker", None),
                action("Maybe look into the battery, I don't know", "TBD", None),
                action("Can we draw it on the board", "TBD", None),
                ActionDraft {
                    turn: 9,
                    ..action("Tail's a bit big", "TBD", None)
                },
            ],
            decisions: vec![
                decision("Marco can ship a patch release next Monday"),
                decision("Do we still do the free trial?"),
                decision("I guess that's up to us"),
                decision("Maybe just a little LED"),
                decision("The launch moves to March 17."),
                DecisionDraft {
                    turn: 7,
                    ..decision("Talk to finance about the budget this week")
                },
                decision("Drop the legacy export feature"),
                decision("The participants decided that Tom Becker will email the users"),
            ],
            ..Extract::default()
        };
        // Only turn 7's speaker committed, to talking.
        let committed = |turn: usize, verb: &str| {
            (turn == 7 && verb.eq_ignore_ascii_case("talk")).then(|| "Priya Natarajan".into())
        };
        // Turn 9 holds no task.
        sort(&mut extract, &names, &owners, &committed, &|turn| turn != 9);
        let owned: Vec<(&str, &str)> = extract
            .action_items
            .iter()
            .map(|a| (a.text.as_str(), a.owner.as_str()))
            .collect();
        assert_eq!(
            owned,
            [
                ("Email the beta users about the date", "Tom Becker"),
                ("Marco to ship the patch on Monday", "TBD"),
                (
                    "The industrial designer will work on the components",
                    "Industrial Designer"
                ),
                ("Marco to ship a patch release next Monday", "TBD"),
                (
                    "Talk to finance about the budget this week",
                    "Priya Natarajan"
                ),
                ("Tom Becker will email the users", "Tom Becker"),
            ]
        );
        assert_eq!(
            texts(&extract.decisions),
            [
                "Lena stays on offline sync until it ships",
                "We can cut onboarding to three screens",
                "The launch moves to March 17.",
                "Drop the legacy export feature",
            ]
        );
    }

    #[test]
    fn an_unowned_action_that_restates_a_decision_stays_a_decision() {
        let extract = Extract {
            action_items: vec![
                action("Go with the rubber case", "TBD", None),
                action("Book the venue", "TBD", None),
            ],
            decisions: vec![decision("Go with the rubber case.")],
            ..Extract::default()
        };
        let merged = dedupe(extract, &Sameness::words_only());
        assert_eq!(texts(&merged.decisions), ["Go with the rubber case."]);
        assert_eq!(merged.action_items, [action("Book the venue", "TBD", None)]);
    }
}
