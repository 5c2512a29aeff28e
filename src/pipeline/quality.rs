//! Thin or junk input: a transcript too short to summarize, or one that is mostly a
//! repeated phrase (speech recognisers hallucinate "Thank you." loops over silence). Such
//! input gets a clear message instead of an invented note.

use std::collections::HashMap;

/// Thresholds, configurable as `min_words` in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Fewer words than this is too little to summarize.
    pub min_words: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { min_words: 40 }
    }
}

impl Thresholds {
    /// The defaults with `min_words` replaced when one is configured.
    pub fn with_min_words(min_words: Option<usize>) -> Self {
        let default = Self::default();
        Self {
            min_words: min_words.unwrap_or(default.min_words),
        }
    }
}

/// Why a transcript is not worth summarizing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the transcript has only {words} word{} (at least {min} are needed to write a note)", if *words == 1 { "" } else { "s" })]
    TooShort { words: usize, min: usize },
    #[error(
        "the transcript is mostly one phrase repeated ({repeats} of {sentences} sentences are \"{phrase}\"), which speech recognisers produce over silence"
    )]
    Loop {
        phrase: String,
        repeats: usize,
        sentences: usize,
    },
}

/// Checks the spoken text (the turns' texts) against the thresholds.
pub fn assess<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    thresholds: Thresholds,
) -> Result<(), Rejection> {
    let mut words = 0;
    let mut sentences: HashMap<String, usize> = HashMap::new();
    let mut sentence_count = 0;
    for text in texts {
        // Annotations such as "[inaudible]" or "(Music)" are not speech.
        words += text
            .split_whitespace()
            .filter(|w| !w.starts_with(['[', '(']) && w.chars().any(char::is_alphanumeric))
            .count();
        for sentence in text.split(['.', '!', '?', '\n']) {
            let key = normalize(sentence);
            if !key.is_empty() {
                sentence_count += 1;
                *sentences.entry(key).or_default() += 1;
            }
        }
    }
    if words < thresholds.min_words {
        return Err(Rejection::TooShort {
            words,
            min: thresholds.min_words,
        });
    }
    if let Some((phrase, &repeats)) = sentences
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
    {
        if sentence_count >= 8 && repeats * 2 > sentence_count {
            return Err(Rejection::Loop {
                phrase: phrase.clone(),
                repeats,
                sentences: sentence_count,
            });
        }
    }
    Ok(())
}

fn normalize(sentence: &str) -> String {
    sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_words_are_too_short() {
        let err = assess(["Hello?", "Yes, hi. [inaudible] --"], Thresholds::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the transcript has only 3 words (at least 40 are needed to write a note)"
        );
        let one = assess(["Hello?"], Thresholds::default()).unwrap_err();
        assert_eq!(
            one.to_string(),
            "the transcript has only 1 word (at least 40 are needed to write a note)"
        );
    }

    #[test]
    fn a_hallucination_loop_is_rejected() {
        let mut texts = vec!["We should ship the beta next week and ask Ana for the numbers."];
        texts.extend(std::iter::repeat_n("Thank you. Thank you.", 20));
        let err = assess(texts, Thresholds { min_words: 5 }).unwrap_err();
        assert_eq!(
            err,
            Rejection::Loop {
                phrase: "thank you".into(),
                repeats: 40,
                sentences: 41
            }
        );
    }

    #[test]
    fn ordinary_dialogue_passes_and_the_threshold_is_configurable() {
        let text =
            "We reviewed the budget for the new office and agreed to cut travel by ten percent.";
        assert!(assess([text, text], Thresholds { min_words: 20 }).is_ok());
        assert!(assess([text], Thresholds { min_words: 20 }).is_err());
    }
}
