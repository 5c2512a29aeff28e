//! Matching items by meaning: a second rule beside [`super::matching`]'s shared words.
//!
//! The rule, exactly:
//! 1. **Similarity** of a predicted and a reference item: the cosine of their sentence
//!    embeddings ([`crate::embed`], all-MiniLM-L6-v2 by default).
//! 2. A pair **may match** when its similarity is at least [`THRESHOLD`], a value
//!    calibrated on hand-labelled pairs from the dev set (`eval/labels/match-pairs.jsonl`;
//!    `docs/eval.md` gives the rule's agreement with the labels).
//! 3. **One-to-one assignment maximising the total similarity** of the kept pairs (the
//!    Hungarian method), not greedy: when one prediction is close to two references, it
//!    goes where the whole meeting scores best.
//! 4. Recall, precision and the means are as for the words rule ([`MatchResult`],
//!    [`super::matching::MatchSummary`]).

use std::collections::HashMap;

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

use super::matching::{MatchResult, Pair};
use crate::embed::{cosine, EmbedError, Embedder};

/// The least cosine for a predicted item to match a reference.
pub const THRESHOLD: f64 = 0.62;

/// Turns texts into unit vectors. [`Embedder`] is the real one; tests use a fake.
pub trait Encode {
    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

impl Encode for Embedder {
    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed(texts)
    }
}

/// Matches lists by meaning, remembering every text's vector (references are matched
/// again for the chance level, and items repeat across meetings).
pub struct MeaningMatcher<'a> {
    encoder: &'a dyn Encode,
    vectors: HashMap<String, Vec<f32>>,
    /// The name of the encoder, for the report.
    pub name: String,
}

impl<'a> MeaningMatcher<'a> {
    pub fn new(encoder: &'a dyn Encode, name: impl Into<String>) -> Self {
        Self {
            encoder,
            vectors: HashMap::new(),
            name: name.into(),
        }
    }

    /// The cosine of every predicted item with every reference item.
    pub fn similarities<P: AsRef<str>, R: AsRef<str>>(
        &mut self,
        predicted: &[P],
        reference: &[R],
    ) -> Result<Vec<Vec<f64>>, EmbedError> {
        let texts: Vec<&str> = predicted
            .iter()
            .map(AsRef::as_ref)
            .chain(reference.iter().map(AsRef::as_ref))
            .collect();
        let missing: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| !self.vectors.contains_key(*t))
            .collect();
        if !missing.is_empty() {
            let mut unique = missing;
            unique.sort_unstable();
            unique.dedup();
            for (text, v) in unique.iter().zip(self.encoder.encode(&unique)?) {
                self.vectors.insert(text.to_string(), v);
            }
        }
        let v = |t: &str| &self.vectors[t];
        Ok(predicted
            .iter()
            .map(|p| {
                reference
                    .iter()
                    .map(|r| f64::from(cosine(v(p.as_ref()), v(r.as_ref()))))
                    .collect()
            })
            .collect())
    }

    /// Matches `predicted` against `reference` by the rule of the module docs.
    pub fn match_items<P: AsRef<str>, R: AsRef<str>>(
        &mut self,
        predicted: &[P],
        reference: &[R],
    ) -> Result<MatchResult, EmbedError> {
        let sim = self.similarities(predicted, reference)?;
        let pairs = assign(&sim, THRESHOLD);
        Ok(MatchResult::from_pairs(
            predicted.len(),
            reference.len(),
            pairs,
        ))
    }
}

/// The one-to-one assignment of rows (predictions) to columns (references) that maximises
/// the total similarity of pairs at or above `threshold`; pairs below it count as zero and
/// are not kept. Pairs come out by predicted index.
pub fn assign(similarity: &[Vec<f64>], threshold: f64) -> Vec<Pair> {
    let rows = similarity.len();
    let cols = similarity.first().map_or(0, Vec::len);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    // Integer weights (the solver needs an ordered type): micro-units of similarity.
    let weight = |s: f64| {
        if s >= threshold {
            (s * 1e6).round() as i64
        } else {
            0
        }
    };
    // The solver wants no more rows than columns: transpose when there are more predictions.
    let transposed = rows > cols;
    let (n, m) = if transposed {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let matrix = Matrix::from_fn(n, m, |(i, j)| {
        if transposed {
            weight(similarity[j][i])
        } else {
            weight(similarity[i][j])
        }
    });
    let (_, assignment) = kuhn_munkres(&matrix);
    let mut pairs: Vec<Pair> = assignment
        .into_iter()
        .enumerate()
        .map(|(i, j)| if transposed { (j, i) } else { (i, j) })
        .filter(|&(p, r)| similarity[p][r] >= threshold)
        .map(|(p, r)| Pair {
            predicted: p,
            reference: r,
            similarity: similarity[p][r],
        })
        .collect();
    pairs.sort_by_key(|p| p.predicted);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_maximises_the_total_not_the_best_pair() {
        // Greedy would take (0,0) = 0.9 and leave prediction 1 with nothing (0.1 with
        // reference 1); the best total pairs 0 with 1 and 1 with 0: 0.85 + 0.8.
        let sim = vec![vec![0.9, 0.85], vec![0.8, 0.1]];
        let pairs = assign(&sim, 0.6);
        let kept: Vec<(usize, usize)> = pairs.iter().map(|p| (p.predicted, p.reference)).collect();
        assert_eq!(kept, [(0, 1), (1, 0)]);
    }

    #[test]
    fn pairs_below_the_threshold_are_never_kept_and_shapes_may_differ() {
        let sim = vec![vec![0.59], vec![0.7], vec![0.2]];
        let pairs = assign(&sim, 0.6);
        assert_eq!(pairs.len(), 1);
        assert_eq!((pairs[0].predicted, pairs[0].reference), (1, 0));
        assert!(assign(&[], 0.6).is_empty());
        assert!(assign(&[vec![0.3, 0.2, 0.1]], 0.6).is_empty());
    }

    /// Vectors from the words: texts with the same words get the same vector.
    struct BagOfWords;
    impl Encode for BagOfWords {
        fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            Ok(texts
                .iter()
                .map(|t| {
                    let mut v = vec![0.0f32; 64];
                    for w in t.split_whitespace() {
                        let h = w.bytes().fold(7usize, |h, b| h * 31 + b as usize);
                        v[h % 64] += 1.0;
                    }
                    v
                })
                .collect())
        }
    }

    #[test]
    fn matcher_scores_recall_and_precision() {
        let mut m = MeaningMatcher::new(&BagOfWords, "bag");
        let r = m
            .match_items(
                &["ship the beta", "order pizza"],
                &["ship the beta", "fix bug"],
            )
            .unwrap();
        assert_eq!(r.matched(), 1);
        assert_eq!(r.recall, Some(0.5));
        assert_eq!(r.precision, Some(0.5));
        let none = m.match_items::<&str, &str>(&[], &["fix bug"]).unwrap();
        assert_eq!((none.recall, none.precision), (Some(0.0), None));
    }
}
