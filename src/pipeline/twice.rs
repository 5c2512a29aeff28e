//! One task said twice within a few turns: two passes wrote it from the same turn, or a
//! request only set when a task promised just before is due. Each becomes one action item.

use super::extract::ActionDraft;

/// Drops an action item that repeats one before it from the same turn and owner, sharing
/// two content words: the decisions pass also wrote "Sofia Marin would order two or three
/// used iPads this week" for the turn whose task the actions pass had as "Order used iPads
/// for the test lab". The item kept gains the due date only the dropped one had. Two
/// tasks promised in one turn ("I'll send the deck and I'll book the room") share no
/// such words and both stay.
pub fn drop_same_turn_twins(actions: &mut Vec<ActionDraft>) {
    let mut kept: Vec<(ActionDraft, Vec<String>)> = Vec::with_capacity(actions.len());
    for action in actions.drain(..) {
        let words = crate::words::content_tokens(&action.text);
        let twin = kept.iter_mut().find(|(k, said)| {
            k.turn == action.turn
                && k.owner == action.owner
                && said.iter().filter(|w| words.contains(w)).count() >= 2
        });
        match twin {
            Some((first, _)) => {
                if first.due.is_none() {
                    first.due = action.due;
                }
            }
            None => kept.push((action, words)),
        }
    }
    *actions = kept.into_iter().map(|(a, _)| a).collect();
}

/// A task that only says when something pointed back at is done: "Get that done before
/// 4.3", "Have it ready by Friday". The `when` group is what it adds.
const WHEN_ONLY: &str = r"(?i)^(?:get|have|do|finish|make)\s+(?:it|that|this|those|them)\s+(?:(?:done|ready|finished|sorted)\s+)?(?P<when>(?:by|before|until|on|in|this|next|tomorrow|today)\b.*?)[.!]?$";

cached_regex!(when_only, WHEN_ONLY);

/// How many turns back a request that sets when may point at the promise it times.
const WHEN_REACH: usize = 3;

/// Folds a request that only sets when ("Can you get that done before 4.3?", accepted)
/// into the task its owner promised in the turns just before ("I'll need to change the
/// release script for that."): that task's text gains the words of time ("Change the
/// release script for that before 4.3") and its due date, and the request's own item,
/// which names no task, is dropped. One with no such promise before it stays.
pub fn fold_when_asked(actions: &mut Vec<ActionDraft>) {
    let when_of = |a: &ActionDraft| {
        when_only()
            .captures(a.text.trim())
            .and_then(|c| c.name("when"))
            .map(|m| m.as_str().trim().to_string())
    };
    // (the request's index, the promised task's, the words of time), found before any
    // item moves.
    let folds: Vec<(usize, usize, String)> = actions
        .iter()
        .enumerate()
        .filter_map(|(i, asked)| {
            let when = when_of(asked)?;
            let at = actions.iter().rposition(|a| {
                a.owner == asked.owner
                    && a.turn < asked.turn
                    && asked.turn - a.turn <= WHEN_REACH
                    && when_of(a).is_none()
            })?;
            Some((i, at, when))
        })
        .collect();
    for (i, at, when) in &folds {
        let due = actions[*i].due.clone();
        let task = &mut actions[*at];
        if !task.text.to_lowercase().contains(&when.to_lowercase()) {
            let text = task.text.trim_end_matches(['.', ' ']);
            task.text = format!("{text} {when}");
        }
        if task.due.is_none() {
            task.due = due;
        }
    }
    let mut index = 0;
    actions.retain(|_| {
        index += 1;
        !folds.iter().any(|(i, _, _)| *i == index - 1)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(turn: usize, owner: &str, text: &str, due: Option<&str>) -> ActionDraft {
        ActionDraft {
            turn,
            owner: owner.into(),
            text: text.into(),
            due: due.map(str::to_string),
            evidence: None,
        }
    }

    fn texts(actions: &[ActionDraft]) -> Vec<&str> {
        actions.iter().map(|a| a.text.as_str()).collect()
    }

    #[test]
    fn one_turns_task_written_twice_is_kept_once() {
        let mut actions = vec![
            action(7, "Sofia", "Order used iPads for the test lab", None),
            action(
                7,
                "Sofia",
                "Sofia Marin would order two or three used iPads this week",
                Some("2025-12-19"),
            ),
            action(9, "Sofia", "Send the deck", None),
            action(9, "Sofia", "Book the room", None),
            action(7, "Daniel", "Order used iPads for the lab", None),
        ];
        drop_same_turn_twins(&mut actions);
        assert_eq!(
            texts(&actions),
            [
                "Order used iPads for the test lab",
                "Send the deck",
                "Book the room",
                "Order used iPads for the lab"
            ],
            "two tasks of one turn and another owner's stay"
        );
        assert_eq!(actions[0].due.as_deref(), Some("2025-12-19"));
    }

    #[test]
    fn a_request_that_only_sets_when_joins_the_task_promised_before_it() {
        let mut actions = vec![
            action(12, "Daniel", "Add the ceiling in the next sprint", None),
            action(19, "Arjun", "Change the release script for that.", None),
            action(20, "Arjun", "Get that done before 4.3", Some("2026-01-05")),
            action(25, "Sofia", "Have it ready by Friday", None),
        ];
        fold_when_asked(&mut actions);
        assert_eq!(
            texts(&actions),
            [
                "Add the ceiling in the next sprint",
                "Change the release script for that before 4.3",
                "Have it ready by Friday"
            ],
            "Sofia promised nothing before hers"
        );
        assert_eq!(actions[1].due.as_deref(), Some("2026-01-05"));
        let mut far = vec![
            action(10, "Arjun", "Change the release script", None),
            action(20, "Arjun", "Get that done before 4.3", None),
        ];
        fold_when_asked(&mut far);
        assert_eq!(far.len(), 2, "a promise ten turns back is another matter");
    }
}
