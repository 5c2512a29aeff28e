//! The sentence embedder on the real all-MiniLM-L6-v2 folder (`RECAP_MINILM`, which
//! `scripts/test` sets from `recap models path all-minilm-l6-v2`; the test fails when it is
//! unset), against vectors computed by an independent NumPy forward pass
//! (`scripts/embed_reference.py`, output in `tests/fixtures/embed/reference.json`).

use std::path::PathBuf;

use recap::embed::{cosine, Embedder};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    sentences: Vec<String>,
    vectors: Vec<Vec<f32>>,
    cosines: Vec<Vec<f32>>,
}

fn folder() -> PathBuf {
    match std::env::var_os("RECAP_MINILM") {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "RECAP_MINILM is not set: point it at the all-minilm-l6-v2 folder \
             (`recap models path all-minilm-l6-v2`; scripts/test sets it)"
        ),
    }
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/embed/reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn vectors_match_an_independent_forward_pass() {
    let embedder = Embedder::load(&folder()).unwrap();
    let r = reference();
    assert_eq!(embedder.dimensions(), 384);
    let got = embedder.embed(&r.sentences).unwrap();
    for (i, (g, want)) in got.iter().zip(&r.vectors).enumerate() {
        assert_eq!(g.len(), want.len());
        let norm: f32 = g.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "sentence {i}: norm {norm}");
        let worst = g
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "sentence {i}: largest difference {worst}");
    }
    for (i, row) in r.cosines.iter().enumerate() {
        for (j, want) in row.iter().enumerate() {
            let c = cosine(&got[i], &got[j]);
            assert!((c - want).abs() < 1e-4, "cosine {i},{j}: {c} vs {want}");
        }
    }
}

#[test]
fn batching_and_order_do_not_change_a_vector() {
    let embedder = Embedder::load(&folder()).unwrap();
    let r = reference();
    let alone: Vec<Vec<f32>> = r
        .sentences
        .iter()
        .map(|s| embedder.embed(&[s]).unwrap().remove(0))
        .collect();
    let mut reversed = r.sentences.clone();
    reversed.reverse();
    let batched = embedder.embed(&reversed).unwrap();
    for (i, v) in alone.iter().enumerate() {
        let w = &batched[r.sentences.len() - 1 - i];
        assert!(cosine(v, w) > 0.99999, "sentence {i}");
    }
    // An empty list and an empty text are fine; a text longer than the model's window is cut.
    assert!(embedder.embed::<&str>(&[]).unwrap().is_empty());
    let long = "budget ".repeat(2000);
    let out = embedder.embed(&["", long.as_str()]).unwrap();
    assert_eq!(out.len(), 2);
    assert!(out
        .iter()
        .all(|v| v.len() == 384 && v.iter().all(|x| x.is_finite())));
}

/// The pipeline's merge with the embedder: paraphrased duplicates become one item, distinct
/// items stay, and a decision restated as an unowned task is kept once, as the decision.
#[test]
fn the_merge_joins_paraphrases_and_keeps_distinct_items() {
    use recap::pipeline::extract::{ActionDraft, DecisionDraft, Extract};
    use recap::pipeline::merge::dedupe;
    use recap::pipeline::sameness::Sameness;

    let embedder = Embedder::load(&folder()).unwrap();
    let action = |text: &str, owner: &str| ActionDraft {
        turn: 1,
        text: text.into(),
        owner: owner.into(),
        due: None,
        evidence: None,
    };
    let decision = |text: &str| DecisionDraft {
        turn: 1,
        text: text.into(),
        evidence: None,
    };
    let extract = Extract {
        action_items: vec![
            action("Book a room for the offsite", "Ana"),
            action("Email the slides to the finance team", "Bo"),
            action("Send finance the slides by email", "TBD"),
            action("Order new laptops for the interns", "Ana"),
            action("Launch the beta in March", "TBD"),
        ],
        decisions: vec![
            decision("The beta launches in March."),
            decision("The beta launches in April for partners."),
        ],
        ..Extract::default()
    };
    let texts = |e: &Extract| -> (Vec<String>, Vec<String>) {
        (
            e.action_items.iter().map(|a| a.text.clone()).collect(),
            e.decisions.iter().map(|d| d.text.clone()).collect(),
        )
    };

    // By words alone the paraphrases stay apart.
    let (actions, _) = texts(&dedupe(extract.clone(), &Sameness::words_only()));
    assert_eq!(actions.len(), 5, "{actions:?}");

    let merged = dedupe(extract, &Sameness::with_embedder(&embedder));
    let (actions, decisions) = texts(&merged);
    assert_eq!(
        actions,
        [
            "Book a room for the offsite",
            "Email the slides to the finance team",
            "Order new laptops for the interns",
        ]
    );
    assert_eq!(merged.action_items[1].owner, "Bo");
    // March and April stay two decisions although their embeddings are close.
    assert_eq!(
        decisions,
        [
            "The beta launches in March.",
            "The beta launches in April for partners."
        ]
    );
}

/// Grounding with the embedder: a faithful paraphrase of the cited turn is kept although
/// it shares one content word with it; an invented item is still dropped.
#[test]
fn a_paraphrase_of_its_turn_is_grounded() {
    use recap::pipeline::grounding::NumberedTurns;
    use recap::pipeline::sameness::Sameness;
    use recap::transcript::Turn;

    let embedder = Embedder::load(&folder()).unwrap();
    let turns = vec![
        Turn::new(
            "Ana",
            None,
            None,
            "This remote is for TV sets, nothing else.",
        ),
        Turn::new("Bo", None, None, "Sounds good to me."),
    ];
    let chunk = NumberedTurns::new(&turns, 1);
    let item = "The remote will only control televisions.";
    assert_eq!(chunk.ground(1, item, &Sameness::words_only()), None);
    let meaning = Sameness::with_embedder(&embedder);
    assert_eq!(chunk.ground(1, item, &meaning).map(|e| e.turn), Some(1));
    assert_eq!(chunk.ground(1, "Order food for the team", &meaning), None);
}

/// The rule by meaning agrees with the hand labels of `eval/labels/match-pairs.jsonl`
/// better than the words rule (Cohen's kappa; figures in docs/eval.md).
#[test]
fn matching_by_meaning_agrees_with_the_hand_labels_better_than_words() {
    use recap::eval::agreement::{read_pairs, Agreement};
    use recap::eval::{matching, meaning};

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/labels/match-pairs.jsonl");
    let pairs = read_pairs(std::path::Path::new(path)).unwrap();
    assert!(pairs.len() >= 150);
    assert!(pairs.iter().any(|p| p.same) && pairs.iter().any(|p| !p.same));
    let embedder = Embedder::load(&folder()).unwrap();
    let a: Vec<&str> = pairs.iter().map(|p| p.a.as_str()).collect();
    let b: Vec<&str> = pairs.iter().map(|p| p.b.as_str()).collect();
    let (va, vb) = (embedder.embed(&a).unwrap(), embedder.embed(&b).unwrap());
    let by_meaning = Agreement::tally(
        pairs
            .iter()
            .zip(va.iter().zip(&vb))
            .map(|(p, (x, y))| (f64::from(cosine(x, y)) >= meaning::THRESHOLD, p.same)),
    );
    let by_words = Agreement::tally(
        pairs
            .iter()
            .map(|p| (matching::may_match(&p.a, &p.b), p.same)),
    );
    let (km, kw) = (by_meaning.kappa().unwrap(), by_words.kappa().unwrap());
    assert!(km > kw, "kappa by meaning {km:.3}, by words {kw:.3}");
    assert!(by_meaning.recall() > by_words.recall());
}
