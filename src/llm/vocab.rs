//! The model's vocabulary as the constrained decoder sees it: the raw bytes of every token
//! id, which ids are *special* (control tokens such as `<|im_start|>`, never produced as
//! text), and which ids end the output (*EOS*: end-of-sequence and end-of-turn tokens).
//!
//! A [`Vocabulary`] is built once per model and shared by every constraint made for that
//! model: building it lays the token bytes out as a `toktrie` prefix tree (the *trie*: one
//! node per token prefix, so a whole subtree of tokens is rejected at once) and prepares
//! llguidance's parser factory, which slices the trie for fast JSON masks. Cloning is cheap.
//!
//! Special tokens are stored in the trie behind llguidance's special-token marker byte
//! (`0xFF`, which never occurs in UTF-8 text), so a grammar of text can never emit them,
//! not even inside a JSON string where `<|im_end|>` would otherwise be valid characters.

use std::fmt;
use std::sync::Arc;

use llguidance::ParserFactory;
use toktrie::{ApproximateTokEnv, TokEnv, TokRxInfo, TokTrie, TokenId, TokenizerEnv};

use super::constraint::ConstraintError;
use super::tokenizer::{Encoder, Tokenizer};

/// A model vocabulary prepared for constrained decoding. Cheap to clone.
#[derive(Clone)]
pub struct Vocabulary {
    inner: Arc<Inner>,
}

struct Inner {
    /// Token bytes as given (special tokens without the marker byte).
    tokens: Vec<Vec<u8>>,
    special: Vec<bool>,
    eos: Vec<u32>,
    factory: ParserFactory,
}

impl Vocabulary {
    /// Builds the vocabulary from the bytes of each token (index = token id), the ids of
    /// the special/control tokens, and the ids that end the output (at least one; they are
    /// special too). Fails when an id is out of range or no EOS id is given.
    pub fn new(
        tokens: Vec<Vec<u8>>,
        special: &[u32],
        eos: &[u32],
    ) -> Result<Self, ConstraintError> {
        Self::build(tokens, special, eos, None)
    }

    fn build(
        tokens: Vec<Vec<u8>>,
        special: &[u32],
        eos: &[u32],
        encoder: Option<Encoder>,
    ) -> Result<Self, ConstraintError> {
        let n = tokens.len();
        if n == 0 {
            return Err(vocab_error("the vocabulary has no tokens"));
        }
        if n > u32::MAX as usize {
            return Err(vocab_error(format!("{n} tokens do not fit 32-bit ids")));
        }
        if eos.is_empty() {
            return Err(vocab_error(
                "no end-of-sequence token id given\nhint: pass the model's EOS and end-of-turn ids",
            ));
        }
        let mut is_special = vec![false; n];
        for &id in special.iter().chain(eos) {
            let slot = is_special.get_mut(id as usize).ok_or_else(|| {
                vocab_error(format!(
                    "token id {id} is out of range: the vocabulary has {n} tokens"
                ))
            })?;
            *slot = true;
        }
        let mut eos_ids: Vec<u32> = Vec::with_capacity(eos.len());
        for &id in eos {
            if !eos_ids.contains(&id) {
                eos_ids.push(id);
            }
        }

        let words: Vec<Vec<u8>> = tokens
            .iter()
            .zip(&is_special)
            .map(|(bytes, &special)| trie_word(bytes, special))
            .collect();
        let info = TokRxInfo::new(n as u32, eos_ids[0]);
        let trie = TokTrie::from(&info, &words).with_eos_tokens(&eos_ids);
        let env: TokEnv = match encoder {
            // Canonical: bytes the grammar forces become the tokens the model's own
            // tokenizer gives them, so they can be written without asking the model.
            Some(encoder) => Arc::new(ModelTokEnv { trie, encoder }),
            // Without the tokenizer forced bytes are left to the model, token by token,
            // so it keeps its own tokenization instead of a greedy one.
            None => Arc::new(ApproximateTokEnv::new(trie)),
        };
        let mut factory = ParserFactory::new_simple(&env)
            .map_err(|e| vocab_error(format!("llguidance rejected the vocabulary: {e:#}")))?;
        // The library never prints: llguidance's warnings are off (stderr level 0).
        factory.quiet();

        Ok(Self {
            inner: Arc::new(Inner {
                tokens,
                special: is_special,
                eos: eos_ids,
                factory,
            }),
        })
    }

    /// The vocabulary of a model's tokenizer: its token bytes, its control tokens as
    /// special, and its end-of-turn tokens and EOS as the ends of the output. Bytes a
    /// grammar forces are tokenized by this tokenizer, so constraints can report them as
    /// forced tokens ([`crate::llm::LogitMask::forced`]).
    pub fn from_tokenizer(tokenizer: &Tokenizer) -> Result<Self, ConstraintError> {
        let tokens = tokenizer.token_bytes().to_vec();
        let special: Vec<u32> = (0..tokens.len() as u32)
            .filter(|&id| tokenizer.is_special(id))
            .collect();
        let mut eos = tokenizer.end_of_turn_tokens().to_vec();
        eos.extend(tokenizer.eos_token());
        Self::build(tokens, &special, &eos, Some(tokenizer.encoder()))
    }

    /// Number of token ids.
    pub fn len(&self) -> usize {
        self.inner.tokens.len()
    }

    /// Never true: a vocabulary has at least one token.
    pub fn is_empty(&self) -> bool {
        self.inner.tokens.is_empty()
    }

    /// The ids that end the output.
    pub fn eos(&self) -> &[u32] {
        &self.inner.eos
    }

    /// True for the ids that end the output.
    pub fn is_eos(&self, token: u32) -> bool {
        self.inner.eos.contains(&token)
    }

    /// True for special/control tokens (EOS included).
    pub fn is_special(&self, token: u32) -> bool {
        self.inner
            .special
            .get(token as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The bytes of a token as given (empty for an unknown id).
    pub fn token_bytes(&self, token: u32) -> &[u8] {
        self.inner
            .tokens
            .get(token as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The text the tokens stand for, special tokens left out.
    pub fn decode(&self, tokens: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &t in tokens {
            if !self.is_special(t) {
                out.extend_from_slice(self.token_bytes(t));
            }
        }
        out
    }

    pub(crate) fn factory(&self) -> &ParserFactory {
        &self.inner.factory
    }
}

impl fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vocabulary")
            .field("tokens", &self.len())
            .field(
                "special",
                &self.inner.special.iter().filter(|&&s| s).count(),
            )
            .field("eos", &self.inner.eos)
            .finish()
    }
}

/// The token trie with the model's own tokenizer, so llguidance can turn forced bytes
/// into the tokens the model would read for them.
struct ModelTokEnv {
    trie: TokTrie,
    encoder: Encoder,
}

impl TokenizerEnv for ModelTokEnv {
    fn tok_trie(&self) -> &TokTrie {
        &self.trie
    }

    fn tokenize_bytes(&self, s: &[u8]) -> Vec<TokenId> {
        // A tokenizer that adds a space prefix, or bytes that end inside a character,
        // would not give back these bytes: then the greedy split, which always does.
        std::str::from_utf8(s)
            .ok()
            .and_then(|text| self.encoder.encode(text))
            .filter(|ids| self.trie.decode_raw(ids) == s)
            .unwrap_or_else(|| self.trie.greedy_tokenize(s))
    }

    fn tokenize_is_canonical(&self) -> bool {
        true
    }
}

/// The bytes a token has in the trie: special tokens behind the marker byte (once).
fn trie_word(bytes: &[u8], special: bool) -> Vec<u8> {
    if !special || bytes.first() == Some(&TokTrie::SPECIAL_TOKEN_MARKER) {
        return bytes.to_vec();
    }
    let mut word = Vec::with_capacity(bytes.len() + 1);
    word.push(TokTrie::SPECIAL_TOKEN_MARKER);
    word.extend_from_slice(bytes);
    word
}

fn vocab_error(reason: impl Into<String>) -> ConstraintError {
    ConstraintError::Vocabulary {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn special_tokens_get_the_marker_once() {
        assert_eq!(trie_word(b"<|im_end|>", true), b"\xFF<|im_end|>".to_vec());
        assert_eq!(trie_word(b"\xFF<|x|>", true), b"\xFF<|x|>".to_vec());
        assert_eq!(trie_word(b"abc", false), b"abc".to_vec());
    }

    #[test]
    fn eos_ids_are_special_and_decode_skips_them() {
        let v = Vocabulary::new(bytes(&["a", "b", "<|end|>"]), &[], &[2]).unwrap();
        assert!(v.is_eos(2) && v.is_special(2) && !v.is_special(0));
        assert_eq!(v.decode(&[0, 1, 2, 0]), b"aba".to_vec());
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn out_of_range_ids_and_missing_eos_are_errors() {
        let err = Vocabulary::new(bytes(&["a"]), &[5], &[0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid vocabulary: token id 5 is out of range: the vocabulary has 1 tokens"
        );
        let err = Vocabulary::new(bytes(&["a"]), &[], &[]).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("invalid vocabulary: no end-of-sequence token id given\nhint:"));
    }
}
