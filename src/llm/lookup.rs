//! Drafts for speculative decoding taken from the context itself (*prompt lookup*): where
//! the last few tokens written also occur earlier in the prompt or the reply, the tokens
//! that followed them there are proposed as the next ones. A meeting note quotes its
//! transcript (names, figures, phrases of a task), so such drafts are often right; the
//! model checks every drafted token (see [`super::generate`]), so a wrong draft costs a
//! little time, never a different answer.
//!
//! Terms: the *context* is every token the model has read for this reply (the whole
//! prompt, cached prefix included) followed by the reply so far; the *key* is the last
//! [`KEY_LENGTHS`] tokens of it.

/// Key lengths tried, longest first: a longer key is a more specific match; one token
/// alone matches too often to predict anything.
const KEY_LENGTHS: [usize; 2] = [3, 2];

/// The context a reply's drafts are looked up in.
#[derive(Debug, Clone, Default)]
pub struct PromptLookup {
    tokens: Vec<u32>,
}

impl PromptLookup {
    /// A lookup over `prompt`, every token the model reads before its reply.
    pub fn new(prompt: &[u32]) -> Self {
        Self {
            tokens: prompt.to_vec(),
        }
    }

    /// Adds a token of the reply to the context.
    pub fn push(&mut self, token: u32) {
        self.tokens.push(token);
    }

    /// Up to `max` tokens that followed the latest earlier occurrence of the context's
    /// key (the longest key that occurs); empty when none occurs.
    pub fn draft(&self, max: usize) -> Vec<u32> {
        if max == 0 {
            return Vec::new();
        }
        let t = &self.tokens;
        for n in KEY_LENGTHS {
            if t.len() <= n {
                continue;
            }
            let key = &t[t.len() - n..];
            // Latest first: the reply's own recent words predict it best.
            let found = (0..t.len() - n)
                .rev()
                .find(|&i| &t[i..i + n] == key)
                .map(|i| i + n);
            if let Some(next) = found {
                return t[next..(next + max).min(t.len())].to_vec();
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_what_followed_the_latest_occurrence_of_the_key() {
        // 1 2 3 [4 5 6] ... 7 2 3 [9] ... then the reply writes 2 3.
        let mut lookup = PromptLookup::new(&[1, 2, 3, 4, 5, 6, 7, 2, 3, 9, 8]);
        lookup.push(2);
        lookup.push(3);
        assert_eq!(lookup.draft(4), [9, 8, 2, 3]);
        // A longer key picks the occurrence that agrees on more tokens.
        lookup.push(4);
        assert_eq!(
            lookup.draft(2),
            [5, 6],
            "key 2 3 4 occurs once, at the start"
        );
    }

    #[test]
    fn no_draft_without_a_match_or_room() {
        let mut lookup = PromptLookup::new(&[1, 2, 3]);
        lookup.push(4);
        assert!(lookup.draft(5).is_empty(), "3 4 occurs nowhere earlier");
        lookup.push(1);
        lookup.push(2);
        assert_eq!(lookup.draft(5), [3, 4, 1, 2]);
        assert!(lookup.draft(0).is_empty());
        assert!(PromptLookup::new(&[7]).draft(3).is_empty());
    }
}
