//! Words as recap compares texts: lowercased, split on non-alphanumerics, Porter-stemmed.
//! *Content tokens* are the stemmed words less [`STOPWORDS`]: what two sentences must
//! share to say the same thing. The evaluation matches items with them, and the pipeline
//! checks that an item shares them with the turn it cites.

pub mod porter;

/// Function words left out of content tokens: articles, pronouns, auxiliaries, common
/// prepositions and conjunctions. Kept short and explicit; compared before stemming.
pub const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "of", "to", "in", "on", "at", "for",
    "with", "by", "from", "as", "about", "into", "that", "this", "these", "those", "it", "its",
    "i", "we", "you", "he", "she", "they", "them", "their", "our", "us", "his", "her", "be", "is",
    "are", "was", "were", "been", "being", "am", "will", "would", "shall", "should", "can",
    "could", "may", "might", "must", "do", "does", "did", "have", "has", "had", "not", "also",
    "which", "what", "who", "there", "s", "ll", "re", "ve", "d", "m", "t",
];

/// The text lowercased and split on non-alphanumerics, before stemming.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// A lowercased word's token: its Porter stem when it is longer than 3 characters.
pub fn stem_token(word: &str) -> String {
    if word.chars().count() > 3 {
        porter::stem(word)
    } else {
        word.to_string()
    }
}

/// `text` cut after each `.`, `?` or `!` that whitespace follows, each sentence trimmed.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_is_space = chars.peek().is_some_and(|&(_, n)| n.is_whitespace());
        if matches!(c, '.' | '?' | '!') && next_is_space {
            out.push(text[start..=i].trim());
            start = i + c.len_utf8();
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// The content tokens of a text: words minus stopwords, stemmed.
pub fn content_tokens(text: &str) -> Vec<String> {
    words(text)
        .iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem_token(w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_end_where_a_stop_meets_a_space() {
        assert_eq!(
            sentences(" Okay. Right? Yes!  12.50 euro, e.g.x "),
            ["Okay.", "Right?", "Yes!", "12.50 euro, e.g.x"]
        );
        assert!(sentences("  ").is_empty());
    }
}
