//! Schema-constrained decoding: a [`JsonConstraint`] forbids, token by token, everything
//! that could not continue into a JSON document valid against a given JSON schema, so the
//! model's output always parses and validates.
//!
//! Terms: the *schema* is a JSON Schema built per call (so, for instance, an action item's
//! owner can be an `enum` of the meeting's participants); the *mask* is the set of tokens
//! allowed next, computed by llguidance's Earley parser over the model's token trie (see
//! [`Vocabulary`]); a token is *committed* once the sampler has chosen it. The output is
//! *finished* when the JSON value is complete and nothing but end-of-sequence (EOS) may
//! follow, or when EOS was committed; from then on the mask allows only EOS.
//!
//! Whitespace between JSON tokens is bounded ([`Whitespace`]): a model cannot loop on
//! newlines forever. Keywords llguidance does not implement (`oneOf` without coercion,
//! `if`/`then`, unknown keys) make [`JsonConstraint::new`] fail rather than be ignored.
//! Objects accept unlisted keys unless the schema says `"additionalProperties": false`,
//! as JSON Schema specifies; schemas meant for generation should say it.

use llguidance::api::TopLevelGrammar;
use llguidance::Matcher;
use serde_json::{json, Value};
use toktrie::SimpleVob;

use super::lm::LogitMask;
use super::scripts::{self, Scripts};
use super::vocab::Vocabulary;

/// What went wrong while building or driving a constraint.
#[derive(Debug, thiserror::Error)]
pub enum ConstraintError {
    #[error("invalid vocabulary: {reason}")]
    Vocabulary { reason: String },

    #[error(
        "the JSON schema cannot be used for constrained decoding: {message}\n\
         hint: supported are type, properties, required, additionalProperties, enum, const, \
         anyOf, allOf, items, minItems/maxItems, minLength/maxLength, pattern, format, \
         minimum/maximum and $ref; oneOf and if/then/else are not"
    )]
    Schema { message: String },

    #[error(
        "token {token} ({text:?}) is not allowed here: {reason}; output so far ends with {tail:?}"
    )]
    TokenRejected {
        token: u32,
        text: String,
        reason: String,
        tail: String,
    },

    #[error(
        "the model gave {got} logits but the vocabulary has {expected} tokens\n\
         hint: build the Vocabulary from the same model's tokenizer"
    )]
    LogitsLength { expected: usize, got: usize },

    #[error("the constrained decoder failed: {message}")]
    Parser { message: String },
}

/// How much whitespace the model may put between JSON tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whitespace {
    /// None: `{"a":1,"b":[2,3]}`.
    Compact,
    /// Runs of 1 to N spaces, tabs or newlines, enough for indented (pretty) JSON.
    Bounded(usize),
}

impl Default for Whitespace {
    fn default() -> Self {
        Whitespace::Bounded(16)
    }
}

/// Options of a [`JsonConstraint`].
#[derive(Debug, Clone, Default)]
pub struct ConstraintOptions {
    pub whitespace: Whitespace,
    /// The writing systems free-text strings may use ([`scripts::confine`]); `None` leaves
    /// strings open to every script.
    pub scripts: Option<Scripts>,
}

/// A [`LogitMask`] that keeps the output a JSON value valid against a schema.
pub struct JsonConstraint {
    vocab: Vocabulary,
    matcher: Matcher,
    /// The mask for the next token, computed at most once per position.
    mask: Option<SimpleVob>,
    /// The bytes committed so far (special tokens left out).
    output: Vec<u8>,
    finished: bool,
}

impl JsonConstraint {
    /// Compiles `schema` for `vocab` with the default options.
    pub fn new(schema: &Value, vocab: &Vocabulary) -> Result<Self, ConstraintError> {
        Self::with_options(schema, vocab, &ConstraintOptions::default())
    }

    /// Compiles `schema` for `vocab`.
    pub fn with_options(
        schema: &Value,
        vocab: &Vocabulary,
        options: &ConstraintOptions,
    ) -> Result<Self, ConstraintError> {
        let mut schema = schema.clone();
        if let Some(allowed) = options.scripts {
            scripts::confine(&mut schema, allowed);
        }
        let kind = kind_of(&schema);
        let Value::Object(mut fields) = schema else {
            return Err(ConstraintError::Schema {
                message: format!("expected a JSON object, found {kind}"),
            });
        };
        // llguidance reads its JSON compile options from the "x-guidance" key.
        fields
            .entry("x-guidance")
            .or_insert_with(|| compile_options(options.whitespace));
        let grammar = TopLevelGrammar::from_json_schema(Value::Object(fields));
        let parser =
            vocab
                .factory()
                .create_parser(grammar)
                .map_err(|e| ConstraintError::Schema {
                    message: format!("{e:#}"),
                })?;
        let matcher = Matcher::new(Ok(parser));
        if let Some(message) = matcher.get_error() {
            return Err(ConstraintError::Schema { message });
        }
        Ok(Self {
            vocab: vocab.clone(),
            matcher,
            mask: None,
            output: Vec::new(),
            finished: false,
        })
    }

    /// The bytes committed so far, special tokens left out.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Whether `token` may come next.
    pub fn is_allowed(&mut self, token: u32) -> Result<bool, ConstraintError> {
        Ok(self.mask()?.is_allowed(token))
    }

    /// The tokens that may come next, in id order.
    pub fn allowed_tokens(&mut self) -> Result<Vec<u32>, ConstraintError> {
        Ok(self.mask()?.to_list())
    }

    /// The tokens the schema forces next (a key, its quotes and colon), as the model's
    /// tokenizer splits them; empty where more than one continuation is allowed, once the
    /// output is complete, or for a vocabulary built without its tokenizer.
    pub fn forced_tokens(&mut self) -> Result<Vec<u32>, ConstraintError> {
        if self.finished {
            return Ok(Vec::new());
        }
        let forced = self.matcher.compute_ff_tokens();
        match self.matcher.get_error() {
            Some(message) => Err(ConstraintError::Parser { message }),
            None => Ok(forced),
        }
    }

    /// Remarks llguidance made while compiling the schema (approximations it chose).
    pub fn warnings(&mut self) -> Vec<String> {
        self.matcher.grammar_warnings()
    }

    /// The mask for the next token, computed on first use after each commit.
    fn mask(&mut self) -> Result<&SimpleVob, ConstraintError> {
        let mask = match self.mask.take() {
            Some(mask) => mask,
            None => self
                .matcher
                .compute_mask_or_eos()
                .map_err(|e| ConstraintError::Parser {
                    message: format!("{e:#}"),
                })?,
        };
        Ok(self.mask.insert(mask))
    }

    fn rejected(&self, token: u32, reason: impl Into<String>) -> ConstraintError {
        let tail_start = self.output.len().saturating_sub(60);
        ConstraintError::TokenRejected {
            token,
            text: String::from_utf8_lossy(self.vocab.token_bytes(token)).into_owned(),
            reason: reason.into(),
            tail: String::from_utf8_lossy(&self.output[tail_start..]).into_owned(),
        }
    }

    fn commit_token(&mut self, token: u32) -> Result<(), ConstraintError> {
        if token as usize >= self.vocab.len() {
            return Err(self.rejected(
                token,
                format!("the vocabulary has {} tokens", self.vocab.len()),
            ));
        }
        if self.finished {
            if self.vocab.is_eos(token) {
                return Ok(());
            }
            return Err(self.rejected(token, "the JSON output is already complete"));
        }
        if !self.mask()?.is_allowed(token) {
            let reason = if self.vocab.is_special(token) && !self.vocab.is_eos(token) {
                "special tokens are never part of the JSON output"
            } else {
                "the JSON schema forbids it"
            };
            return Err(self.rejected(token, reason));
        }
        self.matcher
            .consume_token(token)
            .map_err(|e| ConstraintError::Parser {
                message: format!("{e:#}"),
            })?;
        self.mask = None;
        if !self.vocab.is_special(token) {
            self.output.extend_from_slice(self.vocab.token_bytes(token));
        }
        if self.vocab.is_eos(token) || self.matcher.is_stopped() {
            self.finished = true;
        }
        Ok(())
    }

    fn apply_mask(&mut self, logits: &mut [f32]) -> Result<(), ConstraintError> {
        let n = self.vocab.len();
        if logits.len() < n {
            return Err(ConstraintError::LogitsLength {
                expected: n,
                got: logits.len(),
            });
        }
        let (known, padding) = logits.split_at_mut(n);
        let mask = self.mask()?;
        // One bit per token, 32 tokens a word; whole words at a time where they can be.
        let mut words = mask.as_slice().iter();
        for chunk in known.chunks_mut(32) {
            match words.next().copied().unwrap_or(0) {
                u32::MAX => {}
                0 => chunk.fill(f32::NEG_INFINITY),
                word => {
                    // Visit only the forbidden tokens (the zero bits).
                    let mut forbidden = !word;
                    while forbidden != 0 {
                        if let Some(logit) = chunk.get_mut(forbidden.trailing_zeros() as usize) {
                            *logit = f32::NEG_INFINITY;
                        }
                        forbidden &= forbidden - 1;
                    }
                }
            }
        }
        // Embedding rows past the tokenizer's vocabulary are never real tokens.
        padding.fill(f32::NEG_INFINITY);
        Ok(())
    }
}

impl LogitMask for JsonConstraint {
    fn apply(&mut self, logits: &mut [f32]) -> anyhow::Result<()> {
        Ok(self.apply_mask(logits)?)
    }

    fn commit(&mut self, token: u32) -> anyhow::Result<()> {
        Ok(self.commit_token(token)?)
    }

    fn is_finished(&self) -> bool {
        self.finished
    }

    fn forced(&mut self) -> anyhow::Result<Vec<u32>> {
        Ok(self.forced_tokens()?)
    }
}

/// llguidance's JSON compile options for a whitespace policy.
fn compile_options(whitespace: Whitespace) -> Value {
    match whitespace {
        Whitespace::Compact | Whitespace::Bounded(0) => json!({ "whitespace_flexible": false }),
        Whitespace::Bounded(max) => {
            json!({ "whitespace_pattern": format!(r"[\x20\x0A\x0D\x09]{{1,{max}}}") })
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
