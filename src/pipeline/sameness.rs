//! Whether two items say the same thing, and whether a turn supports an item: by shared
//! words always, and by meaning as well when a sentence embedder is loaded. Words catch
//! the same item said twice in the same words; the embedder catches a paraphrase ("Email
//! the deck to finance" and "Send finance the slides") that shares too few words.
//!
//! An embedding that fails (it cannot, short of a broken model, once the embedder has
//! loaded) leaves the decision to the words: meaning only ever adds a match.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use super::due::{MONTHS, WEEKDAYS};
use crate::embed::{cosine, Embedder};

/// Two items whose word sets overlap at least this much (Jaccard) are the same item.
pub const SAME_WORDS: f64 = 0.7;

/// Two items whose embeddings have at least this cosine are the same item. High on
/// purpose: within one meeting, distinct tasks on one topic ("Send the budget to
/// finance", "Send the deck to finance") score 0.6 to 0.75; restatements score higher.
pub const SAME_MEANING: f32 = 0.8;

/// A turn supports an item it shares too few words with when their cosine is at least this.
pub const SUPPORTS_MEANING: f32 = 0.6;

/// The judge of sameness for one note.
#[derive(Default)]
pub struct Sameness<'a> {
    embedder: Option<&'a Embedder>,
    vectors: RefCell<HashMap<String, Vec<f32>>>,
}

impl<'a> Sameness<'a> {
    /// Shared words only.
    pub fn words_only() -> Self {
        Self::default()
    }

    /// Shared words, and meaning through `embedder`.
    pub fn with_embedder(embedder: &'a Embedder) -> Self {
        Self {
            embedder: Some(embedder),
            vectors: RefCell::default(),
        }
    }

    /// Whether an embedder is in use.
    pub fn by_meaning(&self) -> bool {
        self.embedder.is_some()
    }

    /// True when `a` and `b` say the same thing.
    pub fn same_item(&self, a: &str, b: &str) -> bool {
        word_similarity(a, b) >= SAME_WORDS || self.cosine(a, b).is_some_and(|c| c >= SAME_MEANING)
    }

    /// True when the meaning of `turn` is close enough to `item` to support it.
    pub fn supports(&self, turn: &str, item: &str) -> bool {
        self.cosine(turn, item)
            .is_some_and(|c| c >= SUPPORTS_MEANING)
    }

    /// Embeds `texts` in one batch ahead of the comparisons that need them.
    pub fn prepare<S: AsRef<str>>(&self, texts: &[S]) {
        let Some(embedder) = self.embedder else {
            return;
        };
        let mut missing: Vec<&str> = texts
            .iter()
            .map(AsRef::as_ref)
            .filter(|t| !self.vectors.borrow().contains_key(*t))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return;
        }
        if let Ok(vectors) = embedder.embed(&missing) {
            let mut cache = self.vectors.borrow_mut();
            for (text, v) in missing.into_iter().zip(vectors) {
                cache.insert(text.to_string(), v);
            }
        }
    }

    fn cosine(&self, a: &str, b: &str) -> Option<f32> {
        self.embedder?;
        self.prepare(&[a, b]);
        let cache = self.vectors.borrow();
        Some(cosine(cache.get(a)?, cache.get(b)?))
    }
}

/// True when each item has a detail (a number, a month or a weekday) that the other lacks:
/// "Launch in March" and "Launch in April" are two items however close their meanings.
/// One side having a detail the other leaves out is not a conflict.
pub fn details_conflict(a: &str, b: &str) -> bool {
    let (a, b) = (details(a), details(b));
    !a.is_subset(&b) && !b.is_subset(&a)
}

/// Numbers (whole: `2.1`, `12:30`, `3/4`) and calendar words, lowercased.
fn details(text: &str) -> BTreeSet<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| {
            w.chars().any(|c| c.is_ascii_digit())
                || MONTHS.contains(&w.as_str())
                || WEEKDAYS.contains(&w.as_str())
        })
        .collect()
}

/// Jaccard similarity of the lowercase word sets of `a` and `b` (1.0 for two empty texts).
pub fn word_similarity(a: &str, b: &str) -> f64 {
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

    #[test]
    fn without_an_embedder_only_words_decide() {
        let s = Sameness::words_only();
        assert!(!s.by_meaning());
        assert!(s.same_item("Ship the beta on Friday", "ship the beta on friday!"));
        assert!(!s.same_item("Email the deck to finance", "Send finance the slides"));
        assert!(!s.supports("I'll send finance the slides", "Email the deck to finance"));
        assert!((word_similarity("a b c", "a b d") - 0.5).abs() < 1e-12);
        assert!(details_conflict("Launch in March", "Launch in April"));
        assert!(details_conflict("Ship 2.1 on Friday", "Ship 2.2 on Friday"));
        assert!(!details_conflict("Launch in March 2026", "Launch in March"));
        assert!(!details_conflict(
            "Email the Q3 budget",
            "Send the third-quarter budget"
        ));
        assert_eq!(word_similarity("", ""), 1.0);
    }
}
