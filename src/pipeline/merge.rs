//! Reduce: partial extracts of one meeting's chunks become one. The model writes the
//! overall title and summary (see `prompts/reduce.j2`); lists are merged here,
//! deterministically, dropping items that say the same thing twice ([`Sameness`]: by
//! shared words, and by meaning when an embedder is loaded). Nothing stands in two lists:
//! an action item and a decision that say the same thing are kept once, in the right list
//! (the action when someone owns it, else the decision), and key information that repeats
//! either is dropped.

use super::extract::{ActionDraft, DecisionDraft, Extract, Overview};
use super::sameness::Sameness;

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
    merged
        .decisions
        .retain(|d| !owned.iter().any(|a| same.same_item(a, &d.text)));
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
