//! ROUGE: how much of a reference text a candidate text covers, counted in words.
//!
//! Tokenization ([`tokenize`]): lowercase the text, split it on every character that is not
//! a letter or digit (Unicode `char::is_alphanumeric`; so "kick-off" is two tokens and
//! "12.50" is "12", "50"), and Porter-stem ([`crate::words::porter`]) tokens longer than three
//! characters, as `rouge-score` does with `use_stemmer=True`. No stopwords are removed.
//!
//! - **ROUGE-N**: the n-grams (runs of n tokens) the two texts share, each counted at most
//!   as often as it occurs in either text (clipped counts). Precision = shared / candidate
//!   n-grams, recall = shared / reference n-grams.
//! - **ROUGE-L**: the longest common subsequence (LCS) of the two token lists, taken over
//!   the whole text as one sequence (`rouge-score`'s `rougeL`, not the per-sentence
//!   `rougeLsum`). Precision = LCS / candidate tokens, recall = LCS / reference tokens.
//! - **F1** = 2PR / (P + R), and 0 when P + R = 0 (also when either text has no tokens).

use serde::Serialize;

/// Precision, recall and F1 of one ROUGE variant, each in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Scores {
    /// Scores from an overlap count and the two totals it is a part of.
    pub fn from_counts(overlap: usize, candidate_total: usize, reference_total: usize) -> Self {
        let ratio = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
        let precision = ratio(overlap, candidate_total);
        let recall = ratio(overlap, reference_total);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Self {
            precision,
            recall,
            f1,
        }
    }
}

/// ROUGE-1, ROUGE-2 and ROUGE-L of a candidate against a reference.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Rouge {
    pub rouge1: Scores,
    pub rouge2: Scores,
    #[serde(rename = "rougeL")]
    pub rouge_l: Scores,
}

/// Scores `candidate` against `reference` (see the module docs for the tokenization).
pub fn score(candidate: &str, reference: &str) -> Rouge {
    let c = tokenize(candidate);
    let r = tokenize(reference);
    Rouge {
        rouge1: rouge_n(&c, &r, 1),
        rouge2: rouge_n(&c, &r, 2),
        rouge_l: rouge_l(&c, &r),
    }
}

/// Lowercased, split on non-alphanumerics, tokens longer than 3 characters Porter-stemmed.
pub fn tokenize(text: &str) -> Vec<String> {
    words(text).iter().map(|w| stem_token(w)).collect()
}

pub use crate::words::{stem_token, words};

/// ROUGE-N with clipped n-gram counts.
pub fn rouge_n(candidate: &[String], reference: &[String], n: usize) -> Scores {
    let c = ngram_counts(candidate, n);
    let r = ngram_counts(reference, n);
    let overlap = c
        .iter()
        .map(|(gram, count)| r.get(gram).map_or(0, |rc| (*rc).min(*count)))
        .sum();
    Scores::from_counts(overlap, c.values().sum(), r.values().sum())
}

/// ROUGE-L over the whole texts as single sequences.
pub fn rouge_l(candidate: &[String], reference: &[String]) -> Scores {
    Scores::from_counts(
        lcs_len(candidate, reference),
        candidate.len(),
        reference.len(),
    )
}

fn ngram_counts(tokens: &[String], n: usize) -> std::collections::HashMap<&[String], usize> {
    let mut counts = std::collections::HashMap::new();
    if n > 0 {
        for gram in tokens.windows(n) {
            *counts.entry(gram).or_insert(0) += 1;
        }
    }
    counts
}

/// Length of the longest common subsequence, in O(len(a) * len(b)) time, O(len(b)) memory.
pub fn lcs_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn assert_scores(got: Scores, p: f64, r: f64, f: f64) {
        assert!(
            close(got.precision, p),
            "precision {} != {p}",
            got.precision
        );
        assert!(close(got.recall, r), "recall {} != {r}", got.recall);
        assert!(close(got.f1, f), "f1 {} != {f}", got.f1);
    }

    #[test]
    fn tokenization_lowercases_splits_and_stems() {
        assert_eq!(
            tokenize("The Kick-off MEETINGS cost 12.50 Euro, agreed?"),
            ["the", "kick", "off", "meet", "cost", "12", "50", "euro", "agre"]
        );
        // Three characters or fewer are never stemmed ("was" would otherwise lose its s).
        assert_eq!(tokenize("was its"), ["was", "its"]);
        assert!(tokenize(" -- !").is_empty());
    }

    #[test]
    fn hand_computed_example() {
        // candidate: the cat sat on the mat       (6 tokens)
        // reference: the cat is on the red mat    (7 tokens)
        let s = score("the cat sat on the mat", "the cat is on the red mat");
        // ROUGE-1: candidate counts the:2 cat sat on mat; reference the:2 cat is on red mat.
        // clipped overlap = the 2 + cat 1 + on 1 + mat 1 = 5.
        // P = 5/6, R = 5/7, F = 2*(5/6)*(5/7)/((5/6)+(5/7)) = (50/42)/(65/42) = 10/13.
        assert_scores(s.rouge1, 5.0 / 6.0, 5.0 / 7.0, 10.0 / 13.0);
        // ROUGE-2: candidate bigrams: the-cat cat-sat sat-on on-the the-mat (5);
        // reference: the-cat cat-is is-on on-the the-red red-mat (6). Shared: the-cat,
        // on-the = 2. P = 2/5, R = 2/6 = 1/3, F = 2*(2/5)*(1/3)/((2/5)+(1/3)) =
        // (4/15)/(11/15) = 4/11.
        assert_scores(s.rouge2, 2.0 / 5.0, 1.0 / 3.0, 4.0 / 11.0);
        // ROUGE-L: LCS = the cat on the mat = 5. P = 5/6, R = 5/7, F = 10/13.
        assert_scores(s.rouge_l, 5.0 / 6.0, 5.0 / 7.0, 10.0 / 13.0);
    }

    #[test]
    fn clipping_and_order() {
        // candidate "a a a b" vs reference "b a": ROUGE-1 overlap = min(3,1) for a + min(1,1)
        // for b = 2; P = 2/4, R = 2/2, F = 2*(1/2)*1/(3/2) = 2/3.
        let s = score("a a a b", "b a");
        assert_scores(s.rouge1, 0.5, 1.0, 2.0 / 3.0);
        // ROUGE-2: candidate a-a a-a a-b (3), reference b-a (1): nothing shared.
        assert_scores(s.rouge2, 0.0, 0.0, 0.0);
        // ROUGE-L: LCS of [a a a b] and [b a] is 1 ("a" or "b"). P = 1/4, R = 1/2,
        // F = 2*(1/8)/(3/4) = 1/3.
        assert_scores(s.rouge_l, 0.25, 0.5, 1.0 / 3.0);
    }

    #[test]
    fn stemming_makes_inflections_match() {
        // "meetings decided" -> meet decid; "meeting decides" -> meet decid: all shared.
        let s = score("Meetings decided", "meeting decides");
        assert_scores(s.rouge1, 1.0, 1.0, 1.0);
        assert_scores(s.rouge2, 1.0, 1.0, 1.0);
    }

    #[test]
    fn empty_texts_score_zero() {
        assert_eq!(score("", "the cat"), Rouge::default());
        assert_eq!(score("the cat", ""), Rouge::default());
        // One token each: no bigrams at all, so ROUGE-2 is 0 even for identical texts.
        let s = score("cat", "cat");
        assert_scores(s.rouge1, 1.0, 1.0, 1.0);
        assert_scores(s.rouge2, 0.0, 0.0, 0.0);
    }
}
