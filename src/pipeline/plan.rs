//! Chunk planning: splitting a transcript into pieces a model's context can take.
//!
//! A *chunk* is a run of consecutive turns whose token count fits the *budget*. Chunks
//! break on turn boundaries; a turn that alone exceeds the budget is split into *pieces*
//! at sentence ends (`.`, `!`, `?` or `…` before a space), and a sentence that still
//! exceeds it at spaces between words. Pieces keep their turn's speaker and times. The
//! *overlap* is the end of the previous chunk repeated at the start of the next, for
//! context: whole turns (or pieces) totalling at most `overlap` tokens (and at most half
//! the budget). Every word of the transcript is in the new (non-overlap) part of exactly
//! one chunk, in order; the only chunk that can exceed the budget is one holding a
//! single word longer than the budget.
//!
//! Tokens are counted by a [`TokenCounter`] on each turn as the model sees it,
//! `Speaker: text` plus a line end ([`turn_text`]); a chunk's count is the sum over its
//! turns. The model's tokenizer implements the trait when it is loaded;
//! [`EstimatedTokens`] stands in otherwise.

use crate::transcript::{Transcript, Turn};

/// Counts the tokens of a text for some model.
pub trait TokenCounter {
    fn count(&self, text: &str) -> usize;
}

/// An estimate for English text under BPE tokenizers (Llama, Qwen, SmolLM: about four
/// characters a token): the number of characters divided by 4, rounded up, but never
/// fewer than the number of words.
#[derive(Debug, Clone, Copy, Default)]
pub struct EstimatedTokens;

impl TokenCounter for EstimatedTokens {
    fn count(&self, text: &str) -> usize {
        text.chars()
            .count()
            .div_ceil(4)
            .max(text.split_whitespace().count())
    }
}

/// A turn as the planner counts it: `Speaker: text` and a line end.
pub fn turn_text(turn: &Turn) -> String {
    format!("{}: {}\n", turn.speaker, turn.text)
}

/// The tokens of a whole transcript, counted as the planner counts them.
pub fn transcript_tokens(transcript: &Transcript, counter: &dyn TokenCounter) -> usize {
    transcript
        .turns
        .iter()
        .map(|t| counter.count(&turn_text(t)))
        .sum()
}

/// Consecutive turns (or pieces of a turn) to be read together.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// The turns, in order; the first [`Chunk::overlap`] repeat the previous chunk's end.
    pub turns: Vec<Turn>,
    /// How many leading turns are overlap.
    pub overlap: usize,
    /// The tokens of all `turns`, overlap included.
    pub tokens: usize,
}

impl Chunk {
    /// The turns this chunk adds (not repeated from the previous chunk).
    pub fn new_turns(&self) -> &[Turn] {
        &self.turns[self.overlap..]
    }
}

/// Splits `transcript` into chunks of at most `budget_tokens` tokens, repeating up to
/// `overlap_tokens` tokens of each chunk's end at the start of the next.
pub fn plan(
    transcript: &Transcript,
    budget_tokens: usize,
    overlap_tokens: usize,
    counter: &dyn TokenCounter,
) -> Vec<Chunk> {
    let budget = budget_tokens.max(1);
    let overlap_budget = overlap_tokens.min(budget / 2);
    let mut pieces: Pieces = Vec::new();
    for turn in &transcript.turns {
        let cost = counter.count(&turn_text(turn));
        if cost <= budget {
            pieces.push((turn.clone(), cost));
        } else {
            pieces.extend(split_turn(turn, budget, counter));
        }
    }
    let mut chunks = Vec::new();
    let mut previous_start = None;
    let mut next = 0;
    while next < pieces.len() {
        let mut from = next;
        let mut overlap_cost = 0;
        if let Some(previous_start) = previous_start {
            while from > previous_start && overlap_cost + pieces[from - 1].1 <= overlap_budget {
                from -= 1;
                overlap_cost += pieces[from].1;
            }
        }
        while from < next && overlap_cost + pieces[next].1 > budget {
            overlap_cost -= pieces[from].1;
            from += 1;
        }
        let mut tokens = overlap_cost;
        let mut end = next;
        while end < pieces.len() && (end == next || tokens + pieces[end].1 <= budget) {
            tokens += pieces[end].1;
            end += 1;
        }
        chunks.push(Chunk {
            turns: pieces[from..end].iter().map(|(t, _)| t.clone()).collect(),
            overlap: next - from,
            tokens,
        });
        previous_start = Some(next);
        next = end;
    }
    chunks
}

/// [`plan`] without overlap, except that a last chunk under a quarter of `budget` (a
/// scrap, costing a chunk's questions and a reduce for a few turns) is avoided where
/// chunks of up to a quarter more (and at most `room`) make one chunk fewer (measured in
/// docs/eval.md, "No scraps of chunks").
pub fn plan_without_scraps(
    transcript: &Transcript,
    budget: usize,
    room: usize,
    counter: &dyn TokenCounter,
) -> Vec<Chunk> {
    let chunks = plan(transcript, budget, 0, counter);
    let scrap = chunks.len() > 1 && chunks.last().is_some_and(|c| c.tokens * 4 < budget);
    if scrap {
        let fewer = plan(transcript, (budget + budget / 4).min(room), 0, counter);
        if fewer.len() < chunks.len() {
            return fewer;
        }
    }
    chunks
}

/// Turns (or pieces of turns) with their token counts.
type Pieces = Vec<(Turn, usize)>;

/// Splits a turn over the budget into pieces that fit, with their token counts.
fn split_turn(turn: &Turn, budget: usize, counter: &dyn TokenCounter) -> Pieces {
    let piece = |text: &str| Turn {
        text: text.to_string(),
        ..turn.clone()
    };
    let cost = |text: &str| counter.count(&turn_text(&piece(text)));
    let mut out = Vec::new();
    let mut current = String::new();
    let mut flush = |current: &mut String, out: &mut Pieces| {
        if !current.is_empty() {
            out.push((piece(current), cost(current)));
            current.clear();
        }
    };
    for sentence in sentences(&turn.text) {
        if cost(sentence) <= budget {
            add_unit(&mut current, sentence, budget, &cost, &mut out, &mut flush);
        } else {
            flush(&mut current, &mut out);
            for word in sentence.split_whitespace() {
                add_unit(&mut current, word, budget, &cost, &mut out, &mut flush);
            }
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out
}

/// Appends `unit` to `current` if the result fits, else flushes `current` and starts anew.
fn add_unit(
    current: &mut String,
    unit: &str,
    budget: usize,
    cost: &dyn Fn(&str) -> usize,
    out: &mut Pieces,
    flush: &mut dyn FnMut(&mut String, &mut Pieces),
) {
    if current.is_empty() {
        current.push_str(unit);
        return;
    }
    let candidate = format!("{current} {unit}");
    if cost(&candidate) <= budget {
        *current = candidate;
    } else {
        flush(current, out);
        current.push_str(unit);
    }
}

/// Splits text after `.`, `!`, `?` or `…` followed by whitespace.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends = matches!(c, '.' | '!' | '?' | '…')
            && chars.peek().is_some_and(|(_, n)| n.is_whitespace());
        if ends {
            let end = i + c.len_utf8();
            out.push(text[start..end].trim());
            start = end;
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{Format, Metadata};
    use proptest::prelude::*;

    /// One token per word, so budgets in tests are easy to reason about.
    struct Words;
    impl TokenCounter for Words {
        fn count(&self, text: &str) -> usize {
            text.split_whitespace().count()
        }
    }

    fn transcript(turns: &[(&str, &str)]) -> Transcript {
        Transcript::new(
            turns.iter().map(|(s, t)| Turn::new(*s, None, None, *t)),
            Metadata::new(Format::Plain),
        )
    }

    fn texts(chunk: &Chunk) -> Vec<String> {
        chunk
            .turns
            .iter()
            .map(|t| format!("{}: {}", t.speaker, t.text))
            .collect()
    }

    #[test]
    fn chunks_break_on_turn_boundaries_with_overlap() {
        // Costs with `Words`: speaker label + words = 3, 3, 3, 3.
        let tr = transcript(&[
            ("A", "one two"),
            ("B", "three four"),
            ("A", "five six"),
            ("B", "seven eight"),
        ]);
        let chunks = plan(&tr, 6, 3, &Words);
        let got: Vec<_> = chunks
            .iter()
            .map(|c| (texts(c), c.overlap, c.tokens))
            .collect();
        assert_eq!(
            got,
            [
                (vec!["A: one two".to_string(), "B: three four".into()], 0, 6),
                (
                    vec!["B: three four".to_string(), "A: five six".into()],
                    1,
                    6
                ),
                (
                    vec!["A: five six".to_string(), "B: seven eight".into()],
                    1,
                    6
                ),
            ]
        );
    }

    #[test]
    fn a_long_turn_splits_at_sentences_then_words() {
        let tr = transcript(&[("A", "One two. Three four five six seven! Eight.")]);
        let chunks = plan(&tr, 4, 0, &Words);
        let got: Vec<_> = chunks.iter().flat_map(texts).collect();
        assert_eq!(
            got,
            [
                "A: One two.",
                "A: Three four five",
                "A: six seven!",
                "A: Eight."
            ]
        );
        assert!(chunks.iter().all(|c| c.tokens <= 4));
    }

    #[test]
    fn a_scrap_of_a_last_chunk_joins_the_one_before_when_there_is_room() {
        // Costs with `Words`: 9, 9 and 2; at a budget of 18 the last chunk (2) is a scrap.
        let tr = transcript(&[
            ("A", "a b c d e f g h"),
            ("B", "a b c d e f g h"),
            ("A", "end"),
        ]);
        let sizes = |chunks: Vec<Chunk>| chunks.iter().map(|c| c.tokens).collect::<Vec<_>>();
        assert_eq!(sizes(plan(&tr, 18, 0, &Words)), [18, 2]);
        assert_eq!(sizes(plan_without_scraps(&tr, 18, 100, &Words)), [20]);
        assert_eq!(
            sizes(plan_without_scraps(&tr, 18, 18, &Words)),
            [18, 2],
            "no room to grow"
        );
        assert_eq!(sizes(plan(&tr, 10, 0, &Words)), [9, 9, 2]);
        assert_eq!(sizes(plan_without_scraps(&tr, 10, 100, &Words)), [9, 11]);
    }

    #[test]
    fn the_estimate_is_a_quarter_of_the_characters_but_at_least_the_words() {
        assert_eq!(EstimatedTokens.count("abcdefghi"), 3);
        assert_eq!(EstimatedTokens.count("a b c d e"), 5);
        assert_eq!(EstimatedTokens.count(""), 0);
    }

    proptest! {
        #[test]
        fn every_word_is_in_some_chunk_in_order(
            turns in prop::collection::vec((0..3usize, "([a-z]{1,12}[.!?]? ){0,40}"), 0..30),
            budget in 1usize..80,
            overlap in 0usize..40,
        ) {
            let names = ["Ann", "Bob Li", "Cy"];
            let tr = Transcript::new(
                turns.iter().map(|(s, t)| Turn::new(names[*s], None, None, t.trim())),
                Metadata::new(Format::Plain),
            );
            for counter in [&Words as &dyn TokenCounter, &EstimatedTokens] {
                let chunks = plan(&tr, budget, overlap, counter);
                let planned: Vec<&str> = chunks
                    .iter()
                    .flat_map(|c| c.new_turns().iter().flat_map(|t| t.text.split_whitespace()))
                    .collect();
                let original: Vec<&str> = tr.turns.iter().flat_map(|t| t.text.split_whitespace()).collect();
                prop_assert_eq!(planned, original);
                for c in &chunks {
                    let single_word = c.turns.len() == 1 && c.turns[0].word_count() == 1;
                    prop_assert!(c.tokens <= budget || single_word, "{:?} over {}", c, budget);
                    prop_assert!(!c.new_turns().is_empty());
                }
            }
        }
    }
}
