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

/// The content tokens of a text: words minus stopwords, stemmed.
pub fn content_tokens(text: &str) -> Vec<String> {
    words(text)
        .iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem_token(w))
        .collect()
}
