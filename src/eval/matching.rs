//! Matching predicted items (action items, decisions) against a reference list, to count
//! how many references a note found (recall) and how many of its items are real
//! (precision).
//!
//! The rule, exactly:
//! 1. **Similarity** of a predicted item and a reference item: ROUGE-L F1 (see
//!    [`super::rouge`]) over their *content tokens*: the words (lowercased, split on
//!    non-alphanumerics) minus [`STOPWORDS`], then Porter-stemmed as ROUGE does. The
//!    references are third-person sentences ("The industrial designer will work on the
//!    working design"), notes are imperative ("Work on the working design"): dropping
//!    function words makes the score about content.
//! 2. A pair **may match** when its similarity is at least [`THRESHOLD`] (0.4) and the
//!    two share at least [`MIN_SHARED`] (2) content tokens in order (their longest common
//!    subsequence): two short items that share one word ("Order pizza" and "Pizza is
//!    cold") are not the same item, whatever the ratio says.
//! 3. **Greedy one-to-one**: all pairs that may match are taken in order of decreasing
//!    similarity (ties: lower predicted index, then lower reference index first); a pair is
//!    kept when neither its prediction nor its reference is matched yet. So each reference
//!    is matched at most once and each prediction at most once.
//! 4. **Recall** = matched / reference items, undefined when the reference list is empty;
//!    **precision** = matched / predicted items, undefined when nothing was predicted.
//!    A meeting whose reference list is empty thus counts only toward precision (each
//!    item predicted there is a false positive), and a meeting with no predictions only
//!    toward recall.
//! 5. **Means** over meetings ([`MatchSummary`]): the macro mean is the mean of the defined
//!    per-meeting values (recall over meetings with references, precision over meetings
//!    with predictions); the pooled (micro) figures divide total matched by total
//!    reference items, and by total predicted items.

use serde::Serialize;

use super::rouge;

/// The least content-token ROUGE-L F1 for a predicted item to match a reference.
pub const THRESHOLD: f64 = 0.4;

/// The fewest content tokens, in order, that a matching pair must share.
pub const MIN_SHARED: usize = 2;

pub use crate::words::{content_tokens, STOPWORDS};

/// Similarity of two items under the rule: content-token ROUGE-L F1.
pub fn similarity(predicted: &str, reference: &str) -> f64 {
    rouge::rouge_l(&content_tokens(predicted), &content_tokens(reference)).f1
}

/// Whether a predicted item may match a reference under the rule (steps 1 and 2).
pub fn may_match(predicted: &str, reference: &str) -> bool {
    let (p, r) = (content_tokens(predicted), content_tokens(reference));
    rouge::rouge_l(&p, &r).f1 >= THRESHOLD && rouge::lcs_len(&p, &r) >= MIN_SHARED
}

/// One kept pair: indices into the predicted and reference lists, and their similarity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pair {
    pub predicted: usize,
    pub reference: usize,
    pub similarity: f64,
}

/// The matching of one meeting's predicted list against its reference list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchResult {
    pub n_predicted: usize,
    pub n_reference: usize,
    pub pairs: Vec<Pair>,
    /// Matched / reference items; `None` when there are no reference items.
    pub recall: Option<f64>,
    /// Matched / predicted items; `None` when nothing was predicted.
    pub precision: Option<f64>,
}

impl MatchResult {
    pub fn matched(&self) -> usize {
        self.pairs.len()
    }
}

/// Matches `predicted` against `reference` with the greedy rule of the module docs.
pub fn match_items<P: AsRef<str>, R: AsRef<str>>(predicted: &[P], reference: &[R]) -> MatchResult {
    let p_tokens: Vec<Vec<String>> = predicted
        .iter()
        .map(|p| content_tokens(p.as_ref()))
        .collect();
    let r_tokens: Vec<Vec<String>> = reference
        .iter()
        .map(|r| content_tokens(r.as_ref()))
        .collect();
    let mut candidates = Vec::new();
    for (i, p) in p_tokens.iter().enumerate() {
        for (j, r) in r_tokens.iter().enumerate() {
            let similarity = rouge::rouge_l(p, r).f1;
            if similarity >= THRESHOLD && rouge::lcs_len(p, r) >= MIN_SHARED {
                candidates.push(Pair {
                    predicted: i,
                    reference: j,
                    similarity,
                });
            }
        }
    }
    candidates.sort_by(|a, b| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(a.predicted.cmp(&b.predicted))
            .then(a.reference.cmp(&b.reference))
    });
    let mut used_p = vec![false; predicted.len()];
    let mut used_r = vec![false; reference.len()];
    let mut pairs = Vec::new();
    for pair in candidates {
        if !used_p[pair.predicted] && !used_r[pair.reference] {
            used_p[pair.predicted] = true;
            used_r[pair.reference] = true;
            pairs.push(pair);
        }
    }
    MatchResult::from_pairs(predicted.len(), reference.len(), pairs)
}

impl MatchResult {
    /// The result of a matching that kept `pairs` out of `n_predicted` × `n_reference`.
    pub fn from_pairs(n_predicted: usize, n_reference: usize, pairs: Vec<Pair>) -> Self {
        let ratio = |n: usize, d: usize| (d > 0).then(|| n as f64 / d as f64);
        Self {
            n_predicted,
            n_reference,
            recall: ratio(pairs.len(), n_reference),
            precision: ratio(pairs.len(), n_predicted),
            pairs,
        }
    }
}

/// Recall and precision over several meetings: macro means of the defined per-meeting
/// values, and pooled (micro) ratios of the totals.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct MatchSummary {
    /// Mean recall over meetings that have reference items; `None` if none has.
    pub recall: Option<f64>,
    /// Mean precision over meetings with predictions; `None` if none has.
    pub precision: Option<f64>,
    /// Meetings that counted toward `recall` and toward `precision`.
    pub recall_meetings: usize,
    pub precision_meetings: usize,
    pub matched: usize,
    pub n_predicted: usize,
    pub n_reference: usize,
    /// Total matched / total reference items.
    pub pooled_recall: Option<f64>,
    /// Total matched / total predicted items.
    pub pooled_precision: Option<f64>,
}

impl MatchSummary {
    pub fn over<'a>(results: impl IntoIterator<Item = &'a MatchResult>) -> Self {
        let mut s = Self::default();
        let (mut recall_sum, mut precision_sum) = (0.0, 0.0);
        for r in results {
            s.matched += r.matched();
            s.n_predicted += r.n_predicted;
            s.n_reference += r.n_reference;
            if let Some(v) = r.recall {
                recall_sum += v;
                s.recall_meetings += 1;
            }
            if let Some(v) = r.precision {
                precision_sum += v;
                s.precision_meetings += 1;
            }
        }
        let ratio = |n: f64, d: usize| (d > 0).then(|| n / d as f64);
        s.recall = ratio(recall_sum, s.recall_meetings);
        s.precision = ratio(precision_sum, s.precision_meetings);
        s.pooled_recall = ratio(s.matched as f64, s.n_reference);
        s.pooled_precision = ratio(s.matched as f64, s.n_predicted);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn content_tokens_drop_function_words_then_stem() {
        assert_eq!(
            content_tokens("The industrial designer will work on the working design."),
            ["industri", "design", "work", "work", "design"]
        );
        // "we'll" splits into "we" and "ll": both are stopwords.
        assert_eq!(
            content_tokens("We'll sell it for 25 Euros"),
            ["sell", "25", "euro"]
        );
    }

    #[test]
    fn similarity_by_hand() {
        // predicted: "Work on the working design of the remote"
        //   content: work work design remot (4)
        // reference: "The industrial designer will work on the working design of the remote."
        //   content: industri design work work design remot (6)
        // LCS = work work design remot = 4; P = 4/4, R = 4/6; F = 2*(2/3)/(5/3) = 4/5.
        let s = similarity(
            "Work on the working design of the remote",
            "The industrial designer will work on the working design of the remote.",
        );
        assert!(close(s, 0.8), "{s}");
        // Against "The user interface designer will work on the technical functions of the
        // remote." (content: user interfac design work technic function remot, 7 tokens)
        // the LCS is 2 ("work remot"): P = 2/4, R = 2/7, F = 2*(1/7)/(11/14) = 4/11 < 0.4.
        let s = similarity(
            "Work on the working design of the remote",
            "The user interface designer will work on the technical functions of the remote.",
        );
        assert!(close(s, 4.0 / 11.0), "{s}");
    }

    #[test]
    fn greedy_one_to_one_matching_by_hand() {
        let references = [
            "The remote will sell for 25 Euro.",    // r0: remot sell 25 euro
            "The remote will be sold worldwide.",   // r1: remot sold worldwid
            "Production costs stay under 12 Euro.", // r2: product cost stai under 12 euro
        ];
        let predicted = [
            "sell the remote for 25 euro",   // p0: sell remot 25 euro
            "the remote sells for 25 euros", // p1: remot sell 25 euro
            "lunch is at noon",              // p2: lunch noon
        ];
        // p0 vs r0: LCS of [sell remot 25 euro] and [remot sell 25 euro] = 3 -> F = 3/4.
        // p1 vs r0: identical content -> F = 1.
        // p0/p1 vs r1 [remot sold worldwid]: LCS 1, P = 1/4, R = 1/3, F = 2/7 < 0.4.
        // p0/p1 vs r2 [product cost stai under 12 euro]: LCS 1 (euro), F = 2*(1/4)(1/6)/(5/12)
        //   = 1/5 < 0.4. p2 shares nothing.
        // Greedy: (p1, r0, 1.0) first; (p0, r0, 0.75) is then blocked: r0 is used once.
        let m = match_items(&predicted, &references);
        assert_eq!(
            m.pairs,
            [Pair {
                predicted: 1,
                reference: 0,
                similarity: 1.0
            }]
        );
        // recall = 1/3, precision = 1/3.
        assert!(close(m.recall.unwrap(), 1.0 / 3.0));
        assert!(close(m.precision.unwrap(), 1.0 / 3.0));
    }

    #[test]
    fn empty_lists_leave_the_ratio_undefined() {
        let none: [&str; 0] = [];
        // No references: recall undefined; two predictions, none matched: precision 0.
        let m = match_items(&["we ship", "we test"], &none);
        assert_eq!((m.recall, m.precision), (None, Some(0.0)));
        // No predictions: precision undefined, recall 0.
        let m = match_items(&none, &["ship it"]);
        assert_eq!((m.recall, m.precision), (Some(0.0), None));
        let m = match_items(&none, &none);
        assert_eq!((m.recall, m.precision), (None, None));
    }

    #[test]
    fn summary_means_by_hand() {
        let none: [&str; 0] = [];
        let a = match_items(&["ship the remote", "paint it red"], &["ship the remote"]);
        // a: matched 1 of 1 reference (recall 1), of 2 predictions (precision 1/2).
        let b = match_items(&["order lunch"], &none);
        // b: no references -> recall undefined; precision 0/1 = 0.
        let c = match_items(&none, &["test batteries", "call client", "book room"]);
        // c: nothing predicted -> precision undefined; recall 0/3 = 0.
        let s = MatchSummary::over([&a, &b, &c]);
        // macro recall over a, c = (1 + 0)/2 = 0.5; macro precision over a, b = (0.5+0)/2.
        assert_eq!(s.recall, Some(0.5));
        assert_eq!(s.precision, Some(0.25));
        assert_eq!((s.recall_meetings, s.precision_meetings), (2, 2));
        // pooled: matched 1; references 1 + 0 + 3 = 4; predictions 2 + 1 + 0 = 3.
        assert_eq!((s.matched, s.n_reference, s.n_predicted), (1, 4, 3));
        assert_eq!(s.pooled_recall, Some(0.25));
        assert!(close(s.pooled_precision.unwrap(), 1.0 / 3.0));
        assert_eq!(MatchSummary::over([]).recall, None);
    }

    #[test]
    fn one_shared_word_is_not_a_match() {
        // content: order pizza / pizza cold: F1 = 0.5, but one token in common.
        assert!(similarity("Order pizza", "Pizza is cold") >= THRESHOLD);
        let r = match_items(&["Order pizza"], &["Pizza is cold"]);
        assert_eq!(r.matched(), 0);
        let r = match_items(&["Order the pizza tonight"], &["We will order pizza"]);
        assert_eq!(r.matched(), 1);
    }
}
