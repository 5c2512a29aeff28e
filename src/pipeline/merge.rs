//! Reduce: partial extracts of one meeting's chunks become one. The model writes the
//! overall title and summary (see `prompts/reduce.j2`); lists are merged here,
//! deterministically, dropping items that say the same thing twice. Nothing stands in two
//! lists: a decision that restates an action item, and key information that repeats
//! either, are dropped.

use std::collections::BTreeSet;

use super::extract::{ActionDraft, DecisionDraft, Extract, Overview};

/// Two items whose word sets overlap at least this much (Jaccard) are the same item.
pub const DUPLICATE_SIMILARITY: f64 = 0.7;

/// Joins the chunk extracts under the model's overview, keeping the first of duplicates.
pub fn merge(partials: &[Extract], overview: Overview) -> Extract {
    let mut merged = Extract {
        title: overview.title,
        summary: overview.summary,
        ..Extract::default()
    };
    for part in partials {
        for action in &part.action_items {
            push_action(&mut merged.action_items, action);
        }
        for decision in &part.decisions {
            if !decision.text.trim().is_empty()
                && !merged
                    .decisions
                    .iter()
                    .any(|kept| same_item(&kept.text, &decision.text))
            {
                merged.decisions.push(DecisionDraft {
                    text: decision.text.trim().to_string(),
                    ..decision.clone()
                });
            }
        }
        for info in &part.key_information {
            push_unique(&mut merged.key_information, info);
        }
    }
    let actions: Vec<&str> = merged
        .action_items
        .iter()
        .map(|a| a.text.as_str())
        .collect();
    merged
        .decisions
        .retain(|d| !actions.iter().any(|a| same_item(a, &d.text)));
    let said: Vec<String> = merged
        .decisions
        .iter()
        .map(|d| d.text.clone())
        .chain(merged.action_items.iter().map(|a| a.text.clone()))
        .collect();
    merged
        .key_information
        .retain(|info| !said.iter().any(|s| same_item(s, info)));
    merged
}

/// Drops duplicates within one extract's lists (models sometimes repeat themselves).
pub fn dedupe(extract: Extract) -> Extract {
    let overview = Overview {
        title: extract.title.clone(),
        summary: extract.summary.clone(),
    };
    merge(std::slice::from_ref(&extract), overview)
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    let item = item.trim();
    if item.is_empty() || list.iter().any(|kept| same_item(kept, item)) {
        return;
    }
    list.push(item.to_string());
}

/// A duplicate action keeps the first wording but gains what the later one knew: an owner
/// where the first had `TBD`, a due date where the first had none.
fn push_action(list: &mut Vec<ActionDraft>, action: &ActionDraft) {
    if action.text.trim().is_empty() {
        return;
    }
    match list
        .iter_mut()
        .find(|kept| same_item(&kept.text, &action.text))
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
            text: action.text.trim().to_string(),
            ..action.clone()
        }),
    }
}

/// True when two sentences say the same thing, by word overlap.
pub fn same_item(a: &str, b: &str) -> bool {
    similarity(a, b) >= DUPLICATE_SIMILARITY
}

/// Jaccard similarity of the lowercase word sets of `a` and `b` (1.0 for two empty texts).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = a.intersection(&b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
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
    fn similarity_is_jaccard_of_lowercase_words() {
        // {send, the, deck} vs {send, the, deck, today}: 3 shared of 4 distinct.
        assert_eq!(similarity("Send the deck", "send the deck today."), 0.75);
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("alpha", "beta"), 0.0);
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
            dedupe(extract).key_information,
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
        let merged = dedupe(extract);
        assert_eq!(texts(&merged.decisions), ["Launch in March."]);
        assert_eq!(merged.action_items.len(), 1);
    }
}
