//! Agreement of the matching rules with hand labels (`eval/labels/match-pairs.jsonl`):
//! precision, recall and Cohen's kappa of the words rule and of cosine thresholds, over all
//! pairs and by where the pairs come from, and a held-out check of the threshold (chosen
//! on three meeting series, scored on the fourth). How the threshold of the rule by
//! meaning was chosen; the figures are in docs/eval.md.
//!
//!     cargo run --release --example match_agreement -- \
//!         eval/labels/match-pairs.jsonl "$(recap models path all-minilm-l6-v2)"

#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use recap::embed::{cosine, Embedder};
use recap::eval::agreement::{read_pairs, Agreement, LabelledPair};
use recap::eval::{matching, meaning};

/// One labelled pair with both rules' views of it.
struct Scored<'a> {
    pair: &'a LabelledPair,
    cosine: f64,
    words: bool,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(labels), Some(folder)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: match_agreement LABELS.jsonl EMBEDDER_FOLDER");
    };
    let pairs = read_pairs(&PathBuf::from(labels))?;
    let embedder = Embedder::load(&PathBuf::from(folder))?;
    let a: Vec<&str> = pairs.iter().map(|p| p.a.as_str()).collect();
    let b: Vec<&str> = pairs.iter().map(|p| p.b.as_str()).collect();
    let (va, vb) = (embedder.embed(&a)?, embedder.embed(&b)?);
    let scored: Vec<Scored<'_>> = pairs
        .iter()
        .zip(va.iter().zip(&vb))
        .map(|(pair, (x, y))| Scored {
            pair,
            cosine: f64::from(cosine(x, y)),
            words: matching::may_match(&pair.a, &pair.b),
        })
        .collect();

    let same = pairs.iter().filter(|p| p.same).count();
    println!("{} pairs, {same} labelled the same item", pairs.len());
    let header = || {
        println!(
            "{:<34} {:>5} {:>5} {:>6} {:>5}",
            "rule", "P", "R", "kappa", "match"
        )
    };
    header();
    let words = |s: &Scored<'_>| s.words;
    let by_cosine = |t: f64| move |s: &Scored<'_>| s.cosine >= t;
    let all: Vec<&Scored<'_>> = scored.iter().collect();
    row("words (today's rule)", &all, words);
    for t in (40..=80).step_by(5).map(|t| f64::from(t) / 100.0) {
        row(&format!("cosine >= {t:.2}"), &all, by_cosine(t));
    }
    let rule = format!("cosine >= {:.2} (the rule)", meaning::THRESHOLD);
    row(&rule, &all, by_cosine(meaning::THRESHOLD));

    for origin in ["reference", "baseline", "transcript"] {
        let subset: Vec<&Scored<'_>> = scored
            .iter()
            .filter(|s| s.pair.origin.split_whitespace().nth(1) == Some(origin))
            .collect();
        let n_same = subset.iter().filter(|s| s.pair.same).count();
        println!(
            "\n`a` is a {origin} item or sentence: {} pairs, {n_same} the same",
            subset.len()
        );
        header();
        row("words", &subset, words);
        row(&rule, &subset, by_cosine(meaning::THRESHOLD));
    }

    // Held out: the threshold that maximises kappa on three series, scored on the fourth.
    let series = |s: &Scored<'_>| s.pair.origin[..6].to_string();
    let mut names: Vec<String> = scored.iter().map(series).collect();
    names.sort();
    names.dedup();
    let mut held_out = Vec::new();
    println!();
    for name in &names {
        let (train, test): (Vec<&Scored<'_>>, Vec<&Scored<'_>>) =
            scored.iter().partition(|s| series(s) != *name);
        let kappa_at = |t: f64| {
            Agreement::tally(train.iter().map(|s| (s.cosine >= t, s.pair.same)))
                .kappa()
                .unwrap_or(f64::MIN)
        };
        let best = (40..=85)
            .map(|t| f64::from(t) / 100.0)
            .max_by(|x, y| kappa_at(*x).total_cmp(&kappa_at(*y)))
            .unwrap_or(meaning::THRESHOLD);
        println!("threshold chosen without {name}: {best:.2}");
        held_out.extend(test.iter().map(|s| (s.cosine >= best, s.pair.same)));
    }
    let held = Agreement::tally(held_out);
    println!(
        "held-out kappa (each series scored with the threshold chosen on the others): {:.3}",
        held.kappa().unwrap_or(0.0)
    );
    Ok(())
}

fn row(name: &str, scored: &[&Scored<'_>], rule: impl Fn(&Scored<'_>) -> bool) {
    let agreement = Agreement::tally(scored.iter().map(|s| (rule(s), s.pair.same)));
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    println!(
        "{name:<34} {:>5} {:>5} {:>6} {:>5}",
        f(agreement.precision()),
        f(agreement.recall()),
        f(agreement.kappa()),
        agreement.both + agreement.rule_only
    );
}
