//! The matching rule on meetings with references: a reference list matches itself fully,
//! and the references of another meeting of the same team rarely match (the rule measures
//! content, not shared topic words). The tests run on tests/fixtures/eval/mini.jsonl; the
//! figures on the development set (quoted in docs/eval.md) are checked by the ignored
//! tests, run as `RECAP_DEV_SET=../shared/eval/ami-dev.jsonl cargo test --test
//! eval_matching -- --ignored`.

use std::path::PathBuf;

use recap::eval::dataset::{Dataset, Meeting};
use recap::eval::matching::{match_items, similarity, THRESHOLD};

fn test_set() -> Dataset {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval/mini.jsonl");
    Dataset::from_path(&path).unwrap()
}

fn dev_set() -> Dataset {
    let path = std::env::var_os("RECAP_DEV_SET")
        .expect("RECAP_DEV_SET names the development set's ami-dev.jsonl");
    Dataset::from_path(&PathBuf::from(path)).unwrap()
}

fn lists(m: &Meeting) -> [&Vec<String>; 2] {
    [&m.references.actions, &m.references.decisions]
}

#[test]
fn references_match_themselves_one_to_one() {
    references_match_themselves(&test_set());
}

#[test]
#[ignore = "needs the development set: RECAP_DEV_SET=path/to/ami-dev.jsonl"]
fn dev_set_references_match_themselves_one_to_one() {
    references_match_themselves(&dev_set());
}

fn references_match_themselves(d: &Dataset) {
    for m in &d.meetings {
        for list in lists(m) {
            let r = match_items(list, list);
            assert_eq!(r.matched(), list.len(), "{}", m.id);
            assert!(
                r.pairs.iter().all(|p| p.predicted == p.reference),
                "{}",
                m.id
            );
        }
    }
}

/// Of the reference items of each meeting, how many have some item at or above the
/// threshold in the reference list of another meeting of the same series (same team).
fn cross_meeting_rate(d: &Dataset, kind: usize) -> (usize, usize) {
    let (mut hits, mut total) = (0, 0);
    for a in &d.meetings {
        for b in &d.meetings {
            if a.id == b.id || a.id[..a.id.len() - 1] != b.id[..b.id.len() - 1] {
                continue;
            }
            for item in lists(a)[kind] {
                total += 1;
                if lists(b)[kind]
                    .iter()
                    .any(|r| similarity(item, r) >= THRESHOLD)
                {
                    hits += 1;
                }
            }
        }
    }
    (hits, total)
}

#[test]
fn another_meetings_references_do_not_match_on_topic_words() {
    // The kettle team's two meetings share topic words (heating plate, drawings, handle,
    // budget) and so do the garden's, but not tasks or decisions.
    let d = test_set();
    for kind in [0, 1] {
        let (hits, total) = cross_meeting_rate(&d, kind);
        assert_eq!(total, [10, 8][kind]);
        let pairs: Vec<(String, String, f64)> = d
            .meetings
            .iter()
            .flat_map(|a| d.meetings.iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.id != b.id)
            .flat_map(|(a, b)| {
                lists(a)[kind].iter().flat_map(move |x| {
                    lists(b)[kind]
                        .iter()
                        .map(move |y| (x.clone(), y.clone(), similarity(x, y)))
                })
            })
            .filter(|p| p.2 >= THRESHOLD)
            .collect();
        assert_eq!(hits, 0, "list {kind}: {hits} of {total}: {pairs:?}");
    }
}

#[test]
#[ignore = "needs the development set: RECAP_DEV_SET=path/to/ami-dev.jsonl"]
fn dev_set_another_meetings_references_rarely_match() {
    let d = dev_set();
    // Measured: actions 20 of 120, decisions 47 of 330 (17% and 14%). Some of those are
    // real repeats (the same role is given the same kind of task in every meeting); the
    // bound fails if the rule gets loose enough to match on topic words alone (at a
    // threshold of 0.3 the rates are 38% and 25%).
    let (hits, total) = cross_meeting_rate(&d, 0);
    assert_eq!(total, 120);
    assert!(
        (hits as f64) / (total as f64) < 0.2,
        "actions: {hits} of {total}"
    );
    let (hits, total) = cross_meeting_rate(&d, 1);
    assert_eq!(total, 330);
    assert!(
        (hits as f64) / (total as f64) < 0.2,
        "decisions: {hits} of {total}"
    );
}
