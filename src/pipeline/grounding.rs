//! Grounding: the transcript as the model reads it, one numbered turn a line, and the
//! check that an item the model wrote comes from the turn it *cites*.
//!
//! Turns are numbered from 1 across the whole meeting, so a number means the same turn
//! in every chunk. An item is *grounded* when the cited turn, or one of the two turns on
//! either side of it, lies in the chunk and shares content tokens
//! ([`crate::words::content_tokens`]) with the item: at least two, or one when the item has
//! fewer than three (one shared verb such as "send" grounded the prompt's own example,
//! "Send the contract to legal", in unrelated turns). The neighbours count because a task is often asked for in one turn and
//! accepted in the next, and small models cite a turn or two off; the evidence names the
//! turn of the window that shares the most. With a sentence embedder loaded, a turn of the
//! window whose meaning is close to the item's ([`Sameness::supports`]) grounds it too: a
//! faithful paraphrase need not reuse the speaker's words. Small models also cite a turn
//! far from the one they paraphrase; an item whose window fails is grounded in the chunk's
//! turn that shares the most of its content words, when that is at least two and three
//! fifths of them. An item that fails all three is dropped: it was copied from the prompt
//! or invented.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use super::backchannel;
use super::sameness::Sameness;
use crate::transcript::Turn;
use crate::words::content_tokens;

/// Where an item was said.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Evidence {
    /// The turn's number in the meeting (1-based).
    pub turn: usize,
    pub speaker: String,
    /// Seconds from the start of the recording, when the transcript has times.
    pub start: Option<f64>,
}

impl Evidence {
    /// The turn's start as `m:ss` or `h:mm:ss`, when known.
    pub fn timestamp(&self) -> Option<String> {
        let secs = self.start?.max(0.0) as u64;
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        Some(if h > 0 {
            format!("{h}:{m:02}:{s:02}")
        } else {
            format!("{m}:{s:02}")
        })
    }
}

/// The turns of one chunk with their meeting-wide numbers.
#[derive(Debug, Clone, Copy)]
pub struct NumberedTurns<'a> {
    turns: &'a [Turn],
    /// The number of `turns[0]`.
    first: usize,
}

impl<'a> NumberedTurns<'a> {
    pub fn new(turns: &'a [Turn], first: usize) -> Self {
        Self { turns, first }
    }

    /// The numbers of the first and last turn.
    pub fn range(&self) -> (usize, usize) {
        (self.first, self.first + self.turns.len().saturating_sub(1))
    }

    /// The chunk as the model reads it: `[n] Speaker: text`, a turn a line, without the
    /// turns that only acknowledge ([`backchannel`]); the others keep their numbers.
    pub fn text(&self) -> String {
        let mut before = None;
        let mut text = String::new();
        for (i, t) in self.turns.iter().enumerate() {
            if !backchannel::says_nothing(before, &t.text) {
                let _ = writeln!(text, "[{}] {}: {}", self.first + i, t.speaker, t.text);
            }
            before = Some(t.text.as_str());
        }
        text
    }

    /// The numbers of the turns whose text `pattern` matches.
    pub fn matching(&self, pattern: &regex::Regex) -> Vec<usize> {
        self.turns
            .iter()
            .enumerate()
            .filter(|(_, t)| pattern.is_match(&t.text))
            .map(|(i, _)| self.first + i)
            .collect()
    }

    /// The chunk cut into consecutive windows of about `chars` characters of text each
    /// (at least one turn a window, the last taking what is left).
    pub fn windows(&self, chars: usize) -> Vec<NumberedTurns<'a>> {
        let total: usize = self.turns.iter().map(|t| t.text.len()).sum();
        let count = total.div_ceil(chars.max(1)).max(1);
        let per_window = total.div_ceil(count);
        let mut windows = Vec::with_capacity(count);
        let (mut start, mut size) = (0, 0);
        for (i, turn) in self.turns.iter().enumerate() {
            size += turn.text.len();
            if size >= per_window && windows.len() + 1 < count {
                windows.push(NumberedTurns::new(
                    &self.turns[start..=i],
                    self.first + start,
                ));
                (start, size) = (i + 1, 0);
            }
        }
        if start < self.turns.len() {
            windows.push(NumberedTurns::new(&self.turns[start..], self.first + start));
        }
        windows
    }

    /// Turns `first` to `last` (both included) when the chunk holds them all.
    pub fn span(&self, first: usize, last: usize) -> Option<NumberedTurns<'a>> {
        let from = first.checked_sub(self.first)?;
        let to = last.checked_sub(self.first)?;
        let turns = self.turns.get(from..=to)?;
        Some(NumberedTurns::new(turns, first))
    }

    /// Turn `number`, when the chunk holds it.
    pub fn turn(&self, number: usize) -> Option<&'a Turn> {
        self.turns.get(number.checked_sub(self.first)?)
    }

    /// Where `item`, citing turn `cited`, was said; `None` when it is not grounded. A turn
    /// grounds the item when it shares enough content words with it or, failing that, when
    /// `same` finds their meanings close (only with an embedder).
    pub fn ground(&self, cited: usize, item: &str, same: &Sameness<'_>) -> Option<Evidence> {
        let wanted: BTreeSet<String> = content_tokens(item).into_iter().collect();
        let needed = if wanted.len() < 3 { 1 } else { 2 };
        // The cited turn first, then the nearer neighbours: on a tie the first wins.
        let window = [0, -1, 1, -2, 2].map(|d: isize| cited.checked_add_signed(d));
        let candidates: Vec<(usize, &Turn)> = window
            .into_iter()
            .flatten()
            .filter_map(|n| Some((n, self.turn(n)?)))
            .collect();
        let by_words = most_shared(&wanted, candidates.iter().copied())
            .filter(|(_, _, shared)| *shared >= needed)
            .map(|(n, turn, _)| (n, turn));
        let by_meaning = || {
            if !same.by_meaning() {
                return None;
            }
            let texts: Vec<&str> = candidates.iter().map(|(_, t)| t.text.as_str()).collect();
            same.prepare(&texts);
            candidates
                .iter()
                .copied()
                .find(|(_, turn)| same.supports(&turn.text, item))
        };
        // A miscited item: grounded elsewhere in the chunk only when most of its words
        // were said there.
        let anywhere = || {
            let all = self
                .turns
                .iter()
                .enumerate()
                .map(|(i, t)| (self.first + i, t));
            most_shared(&wanted, all)
                .filter(|&(_, _, shared)| {
                    shared >= MISCITED_SHARED && shared * 5 >= wanted.len() * 3
                })
                .map(|(n, turn, _)| (n, turn))
        };
        let (number, turn) = by_words.or_else(by_meaning).or_else(anywhere)?;
        Some(Evidence {
            turn: number,
            speaker: turn.speaker.clone(),
            start: turn.start,
        })
    }

    /// The text of turn `number` and its neighbours, lowercased: where a deadline the
    /// model wrote must appear.
    pub fn nearby_text(&self, number: usize) -> String {
        [number.saturating_sub(1), number, number + 1]
            .into_iter()
            .filter_map(|n| self.turn(n))
            .map(|t| t.text.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Content words a miscited item must share with a turn outside its window, at the least
/// (and three fifths of its own).
const MISCITED_SHARED: usize = 2;

/// The turn sharing the most of `wanted`, with the count; on a tie the first wins.
fn most_shared<'t>(
    wanted: &BTreeSet<String>,
    turns: impl Iterator<Item = (usize, &'t Turn)>,
) -> Option<(usize, &'t Turn, usize)> {
    turns
        .map(|(n, turn)| {
            let said: BTreeSet<String> = content_tokens(&turn.text).into_iter().collect();
            (n, turn, wanted.intersection(&said).count())
        })
        .fold(None, |best, next| match best {
            Some(b) if b.2 >= next.2 => Some(b),
            _ => Some(next),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turns() -> Vec<Turn> {
        vec![
            Turn::new(
                "Ana",
                Some(61.0),
                None,
                "Can you send the pricing deck to Bo?",
            ),
            Turn::new("Sam", Some(65.0), None, "Sure, I'll do it tomorrow."),
            Turn::new("Ana", Some(3725.0), None, "We go with the blue case then."),
        ]
    }

    fn words() -> Sameness<'static> {
        Sameness::words_only()
    }

    #[test]
    fn numbers_run_across_the_meeting() {
        let turns = turns();
        let chunk = NumberedTurns::new(&turns, 7);
        assert_eq!(chunk.range(), (7, 9));
        assert!(chunk.text().starts_with("[7] Ana: Can you send"));
        assert!(chunk.text().contains("\n[9] Ana: We go with"));
    }

    #[test]
    fn a_span_keeps_the_meeting_wide_numbers() {
        let turns = turns();
        let chunk = NumberedTurns::new(&turns, 7);
        let span = chunk.span(8, 9).unwrap();
        assert_eq!(span.range(), (8, 9));
        assert!(span.text().starts_with("[8] Sam: Sure"));
        assert_eq!(chunk.span(7, 7).unwrap().range(), (7, 7));
        assert!(chunk.span(6, 8).is_none(), "turn 6 is not in the chunk");
        assert!(chunk.span(9, 10).is_none(), "turn 10 is not in the chunk");
    }

    #[test]
    fn an_accepted_request_is_grounded_in_the_turn_that_asked() {
        let turns = turns();
        let chunk = NumberedTurns::new(&turns, 7);
        let evidence = chunk
            .ground(8, "Send the pricing deck to Bo", &words())
            .unwrap();
        assert_eq!(evidence.turn, 7);
        assert_eq!(evidence.timestamp().as_deref(), Some("1:01"));
        let decision = chunk.ground(9, "Use the blue case", &words()).unwrap();
        assert_eq!(decision.timestamp().as_deref(), Some("1:02:05"));
    }

    #[test]
    fn a_short_item_needs_two_shared_words_from_three_up() {
        let turns = vec![
            Turn::new(
                "Dana",
                None,
                None,
                "Can you send me the slides before lunch?",
            ),
            Turn::new("Lee", None, None, "Sure, I'll send the slides to Bo."),
        ];
        let chunk = NumberedTurns::new(&turns, 1);
        // send, contract, legal: only "send" was said.
        assert_eq!(
            chunk.ground(1, "Send the contract to legal", &words()),
            None
        );
        assert_eq!(
            chunk
                .ground(2, "Send the slides to Bo", &words())
                .map(|e| e.turn),
            Some(2)
        );
        // Two content words: one shared is enough.
        assert_eq!(
            chunk.ground(1, "Send slides", &words()).map(|e| e.turn),
            Some(1)
        );
    }

    #[test]
    fn windows_cover_the_chunk_in_order() {
        let turns: Vec<Turn> = (0..10)
            .map(|i| Turn::new("Ana", None, None, format!("turn {i} has some words")))
            .collect();
        let chunk = NumberedTurns::new(&turns, 5);
        let windows = chunk.windows(60);
        let ranges: Vec<(usize, usize)> = windows.iter().map(|w| w.range()).collect();
        assert_eq!(ranges, [(5, 7), (8, 10), (11, 13), (14, 14)]);
        assert_eq!(chunk.windows(10_000).len(), 1);
    }

    #[test]
    fn a_miscited_item_is_grounded_where_most_of_its_words_were_said() {
        let mut turns = turns();
        turns.push(Turn::new("Bo", None, None, "Okay."));
        turns.push(Turn::new("Bo", None, None, "Fine."));
        turns.push(Turn::new("Sam", None, None, "The weather is nice."));
        turns.push(Turn::new(
            "Ana",
            None,
            None,
            "You'll work on the working design.",
        ));
        let chunk = NumberedTurns::new(&turns, 1);
        let found = chunk.ground(1, "Work on the working design", &words());
        assert_eq!(found.map(|e| e.turn), Some(7));
        // Two of its four content words said in turn 7 is not most of them.
        assert_eq!(
            chunk.ground(1, "Work on the battery design review", &words()),
            None
        );
    }

    #[test]
    fn an_invented_or_misplaced_item_is_not_grounded() {
        let turns = turns();
        let chunk = NumberedTurns::new(&turns, 7);
        assert_eq!(
            chunk.ground(8, "Book the venue for the offsite", &words()),
            None
        );
        assert_eq!(
            chunk.ground(3, "Book the venue", &words()),
            None,
            "not in the chunk"
        );
        assert_eq!(
            chunk
                .ground(40, "Send the pricing deck", &words())
                .map(|e| e.turn),
            Some(7),
            "miscited, but said in the chunk"
        );
    }
}
