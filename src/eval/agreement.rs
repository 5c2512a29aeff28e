//! How well a matching rule agrees with people: pairs of items labelled by hand as the
//! same item or not (`eval/labels/match-pairs.jsonl`), and the rule's precision, recall and
//! Cohen's kappa against those labels.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// One pair as labelled: `a` (a prediction, a transcript turn or another meeting's
/// reference item) against `b` (a reference item).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledPair {
    pub id: usize,
    /// `action` or `decision`.
    pub kind: String,
    /// Where the pair comes from, e.g. `ES2002a baseline`.
    pub origin: String,
    pub a: String,
    pub b: String,
    /// Whether a person counts `a` as finding `b`.
    pub same: bool,
}

/// Reads a JSON Lines file of labelled pairs; a bad line is named as `FILE:LINE`.
pub fn read_pairs(path: &Path) -> anyhow::Result<Vec<LabelledPair>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1))
        })
        .collect()
}

/// A rule's decisions against the labels, as a two-by-two table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Agreement {
    /// The rule matches and the label says same.
    pub both: usize,
    /// The rule matches, the label says different.
    pub rule_only: usize,
    /// The label says same, the rule does not match.
    pub label_only: usize,
    /// Neither.
    pub neither: usize,
}

impl Agreement {
    /// Tallies `(rule matches, label says same)` decisions.
    pub fn tally(decisions: impl IntoIterator<Item = (bool, bool)>) -> Self {
        let mut a = Self::default();
        for (rule, label) in decisions {
            match (rule, label) {
                (true, true) => a.both += 1,
                (true, false) => a.rule_only += 1,
                (false, true) => a.label_only += 1,
                (false, false) => a.neither += 1,
            }
        }
        a
    }

    pub fn total(&self) -> usize {
        self.both + self.rule_only + self.label_only + self.neither
    }

    /// Of the pairs the rule matches, the share people call the same.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.both, self.both + self.rule_only)
    }

    /// Of the pairs people call the same, the share the rule matches.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.both, self.both + self.label_only)
    }

    /// Cohen's kappa: agreement beyond what the two margins give by chance.
    pub fn kappa(&self) -> Option<f64> {
        let n = self.total() as f64;
        if n == 0.0 {
            return None;
        }
        let observed = (self.both + self.neither) as f64 / n;
        let rule_yes = (self.both + self.rule_only) as f64 / n;
        let label_yes = (self.both + self.label_only) as f64 / n;
        let chance = rule_yes * label_yes + (1.0 - rule_yes) * (1.0 - label_yes);
        (chance < 1.0).then(|| (observed - chance) / (1.0 - chance))
    }
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_by_hand() {
        // 20 both, 5 rule only, 10 label only, 65 neither: observed 0.85;
        // rule yes 0.25, label yes 0.30: chance 0.075 + 0.525 = 0.6; kappa 0.25 / 0.4.
        let a = Agreement {
            both: 20,
            rule_only: 5,
            label_only: 10,
            neither: 65,
        };
        assert!((a.kappa().unwrap() - 0.625).abs() < 1e-12);
        assert_eq!(a.precision(), Some(0.8));
        assert!((a.recall().unwrap() - 20.0 / 30.0).abs() < 1e-12);
        let perfect = Agreement::tally([(true, true), (false, false)]);
        assert_eq!(perfect.kappa(), Some(1.0));
        assert_eq!(Agreement::default().kappa(), None);
    }
}
