//! The tokenizer: text to token ids and back, built from a `tokenizer.json` when one is
//! given, otherwise from the GGUF file's own metadata, so one GGUF file is enough.
//!
//! Terms: a *vocabulary entry* is the string a token id stands for; in *byte-level BPE*
//! (GPT-2 style, what every supported GGUF uses: `tokenizer.ggml.model = "gpt2"`) each byte
//! of the text is first mapped to a printable character, so an entry such as `Ġthe` stands
//! for the bytes ` the`. The *pre-tokenizer* splits text into words with a regular
//! expression before the BPE merges run inside each word; GGUF names it in
//! `tokenizer.ggml.pre` (the regexes here follow llama.cpp's `llama-vocab.cpp` and the
//! models' own `tokenizer.json`). *Added tokens* (control tokens such as `<|im_start|>`
//! and user-defined ones) are matched whole in the text before pre-tokenizing; the
//! *special* ones among them are the control tokens. The *end-of-turn* tokens are those
//! that end an assistant's reply (`<|im_end|>`, `<|eot_id|>`, the EOS token, …).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::quantized::gguf_file;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::normalizers::prepend::Prepend;
use tokenizers::normalizers::replace::Replace;
use tokenizers::normalizers::unicode::NFC;
use tokenizers::normalizers::{NormalizerWrapper, Sequence as NormalizerSequence};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, DecoderWrapper, SplitDelimiterBehavior};

/// Why a tokenizer could not be built or used.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("GGUF metadata has no `{key}`\nhint: this GGUF file carries no tokenizer; pass a tokenizer.json for it")]
    MissingKey { key: String },
    #[error("GGUF metadata `{key}`: expected {expected}")]
    BadValue { key: String, expected: &'static str },
    #[error("unsupported tokenizer model `{model}` in the GGUF metadata (recap builds byte-level BPE, `gpt2`, and SentencePiece, `llama`)\nhint: pass the model's tokenizer.json instead")]
    UnsupportedModel { model: String },
    #[error("unknown pre-tokenizer `{pre}` in `tokenizer.ggml.pre`\nhint: known: {known}; or pass the model's tokenizer.json")]
    UnsupportedPre { pre: String, known: String },
    #[error("could not read tokenizer file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("tokenizer: {0}")]
    Tokenizers(String),
}

type Result<T> = std::result::Result<T, TokenizerError>;

fn tk_err(e: tokenizers::Error) -> TokenizerError {
    TokenizerError::Tokenizers(e.to_string())
}

/// GGUF `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
mod token_type {
    pub const NORMAL: u32 = 1;
    pub const UNKNOWN: u32 = 2;
    pub const CONTROL: u32 = 3;
    pub const USER_DEFINED: u32 = 4;
}

/// Vocabulary entries that end an assistant's turn in the chat formats recap knows
/// (the list llama.cpp scans for), when the vocabulary marks them as added tokens.
const END_OF_TURN_NAMES: &[&str] = &[
    "<|im_end|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<EOT>",
];

/// Text to token ids and back, plus what generation and constrained decoding need to know
/// about the vocabulary.
pub struct Tokenizer {
    inner: Arc<tokenizers::Tokenizer>,
    /// The raw bytes each id stands for; the content of added tokens as UTF-8.
    token_bytes: Vec<Vec<u8>>,
    /// Ids of the special (control) added tokens.
    special: BTreeSet<u32>,
    bos: Option<u32>,
    eos: Option<u32>,
    /// Whether `encode(_, true)` prepends BOS itself (GGUF `add_bos_token`); a
    /// tokenizer.json does this in its own post-processor.
    add_bos: bool,
    end_of_turn: Vec<u32>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.token_bytes.len())
            .field("bos", &self.bos)
            .field("eos", &self.eos)
            .field("end_of_turn", &self.end_of_turn)
            .finish()
    }
}

/// The pre-tokenizer names from `tokenizer.ggml.pre` that recap builds, for error hints.
const KNOWN_PRE: &str = "gpt2, gpt-2, default, smollm, starcoder, refact, codeshell, qwen2, \
                         stablelm2, deepseek-r1-qwen, llama-bpe, llama3, llama-v3, smaug-bpe";

/// Qwen2's split regex, from its tokenizer.json.
const REGEX_QWEN2: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Llama 3's split regex: Qwen2's with digits in groups of up to three.
const REGEX_LLAMA3: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// How the text is normalized and split before BPE, per `tokenizer.ggml.pre`.
fn pre_tokenizer_for(pre: &str) -> Result<(bool, PreTokenizerWrapper)> {
    let split = |regex: &str| -> Result<PreTokenizerWrapper> {
        let split = Split::new(
            SplitPattern::Regex(regex.to_string()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(tk_err)?;
        Ok(Sequence::new(vec![
            split.into(),
            ByteLevel::new(false, false, false).into(),
        ])
        .into())
    };
    Ok(match pre {
        // GPT-2's own regex, applied by the byte-level pre-tokenizer.
        "gpt2" | "gpt-2" | "default" => (false, ByteLevel::new(false, true, true).into()),
        // StarCoder / SmolLM: every digit on its own, then GPT-2's regex.
        "smollm" | "starcoder" | "refact" | "codeshell" => (
            false,
            Sequence::new(vec![
                Digits::new(true).into(),
                ByteLevel::new(false, true, true).into(),
            ])
            .into(),
        ),
        "qwen2" | "stablelm2" | "deepseek-r1-qwen" => (true, split(REGEX_QWEN2)?),
        "llama-bpe" | "llama3" | "llama-v3" | "smaug-bpe" => (false, split(REGEX_LLAMA3)?),
        other => {
            return Err(TokenizerError::UnsupportedPre {
                pre: other.to_string(),
                known: KNOWN_PRE.to_string(),
            })
        }
    })
}

fn meta<'a>(ct: &'a gguf_file::Content, key: &str) -> Result<&'a gguf_file::Value> {
    ct.metadata
        .get(key)
        .ok_or_else(|| TokenizerError::MissingKey {
            key: key.to_string(),
        })
}

fn value_u32(v: &gguf_file::Value) -> Option<u32> {
    use gguf_file::Value::*;
    match *v {
        U8(x) => Some(x.into()),
        U16(x) => Some(x.into()),
        U32(x) => Some(x),
        I8(x) => u32::try_from(x).ok(),
        I16(x) => u32::try_from(x).ok(),
        I32(x) => u32::try_from(x).ok(),
        U64(x) => u32::try_from(x).ok(),
        I64(x) => u32::try_from(x).ok(),
        _ => None,
    }
}

fn opt_u32(ct: &gguf_file::Content, key: &str) -> Result<Option<u32>> {
    match ct.metadata.get(key) {
        None => Ok(None),
        Some(v) => value_u32(v).map(Some).ok_or(TokenizerError::BadValue {
            key: key.to_string(),
            expected: "an unsigned integer",
        }),
    }
}

fn opt_bool(ct: &gguf_file::Content, key: &str) -> bool {
    matches!(ct.metadata.get(key), Some(gguf_file::Value::Bool(true)))
}

fn string_array(ct: &gguf_file::Content, key: &str) -> Result<Vec<String>> {
    let bad = || TokenizerError::BadValue {
        key: key.to_string(),
        expected: "an array of strings",
    };
    match meta(ct, key)? {
        gguf_file::Value::Array(items) => items
            .iter()
            .map(|v| match v {
                gguf_file::Value::String(s) => Ok(s.clone()),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}

/// GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the
/// others are shifted to U+0100 onwards in byte order.
fn byte_to_char() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut shifted = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        table[b as usize] = if printable {
            char::from(b)
        } else {
            shifted += 1;
            char::from_u32(255 + shifted).unwrap_or('\0')
        };
    }
    table
}

/// The inverse of [`byte_to_char`], indexed by character (all of them are below U+0144).
type CharToByte = Vec<Option<u8>>;

fn char_to_byte() -> CharToByte {
    let mut inverse = vec![None; 0x144];
    for (b, c) in byte_to_char().iter().enumerate() {
        inverse[*c as usize] = Some(b as u8);
    }
    inverse
}

/// The bytes a byte-level vocabulary entry stands for; an entry with a character outside
/// the table (an added token such as `<|im_end|>` is all ASCII, so inside) is its UTF-8,
/// exactly as the byte-level decoder treats it.
fn byte_level_bytes(entry: &str, char_to_byte: &CharToByte) -> Vec<u8> {
    entry
        .chars()
        .map(|c| char_to_byte.get(c as usize).copied().flatten())
        .collect::<Option<Vec<u8>>>()
        .unwrap_or_else(|| entry.as_bytes().to_vec())
}

/// The bytes a SentencePiece-style entry stands for: `<0xNN>` byte tokens, `▁` for space.
fn metaspace_bytes(entry: &str) -> Vec<u8> {
    if let Some(hex) = entry
        .strip_prefix("<0x")
        .and_then(|rest| rest.strip_suffix('>'))
    {
        if let (2, Ok(b)) = (hex.len(), u8::from_str_radix(hex, 16)) {
            return vec![b];
        }
    }
    entry.replace('\u{2581}', " ").into_bytes()
}

impl Tokenizer {
    /// Builds the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata: byte-level BPE
    /// (`gpt2`) or SentencePiece (`llama`, e.g. Gemma 3).
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self> {
        let model = match meta(ct, "tokenizer.ggml.model")? {
            gguf_file::Value::String(s) => s.clone(),
            _ => {
                return Err(TokenizerError::BadValue {
                    key: "tokenizer.ggml.model".into(),
                    expected: "a string",
                })
            }
        };
        let tokens = string_array(ct, "tokenizer.ggml.tokens")?;
        let types: Vec<u32> = match ct.metadata.get("tokenizer.ggml.token_type") {
            Some(gguf_file::Value::Array(items)) => {
                items.iter().map(|v| value_u32(v).unwrap_or(1)).collect()
            }
            _ => vec![1; tokens.len()],
        };
        if types.len() != tokens.len() {
            return Err(TokenizerError::BadValue {
                key: "tokenizer.ggml.token_type".into(),
                expected: "one entry per token",
            });
        }
        match model.as_str() {
            "gpt2" => Self::byte_level_from_gguf(ct, tokens, types),
            "llama" => Self::sentencepiece_from_gguf(ct, tokens, types),
            _ => Err(TokenizerError::UnsupportedModel { model }),
        }
    }

    fn byte_level_from_gguf(
        ct: &gguf_file::Content,
        tokens: Vec<String>,
        types: Vec<u32>,
    ) -> Result<Self> {
        let merges = string_array(ct, "tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| match m.split_once(' ') {
                Some((a, b)) => Ok((a.to_string(), b.to_string())),
                None => Err(TokenizerError::BadValue {
                    key: "tokenizer.ggml.merges".into(),
                    expected: "entries of two space-separated parts",
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        let pre = match ct.metadata.get("tokenizer.ggml.pre") {
            Some(gguf_file::Value::String(s)) => s.clone(),
            _ => "default".to_string(),
        };
        let (nfc, pre_tokenizer) = pre_tokenizer_for(&pre)?;

        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .ignore_merges(opt_bool(ct, "tokenizer.ggml.ignore_merges"))
            .build()
            .map_err(tk_err)?;
        let mut inner = tokenizers::Tokenizer::new(bpe);
        if nfc {
            inner.with_normalizer(Some(NFC)).map_err(tk_err)?;
        }
        inner.with_pre_tokenizer(Some(pre_tokenizer));
        inner.with_decoder(Some(ByteLevelDecoder::default()));

        let char_to_byte = char_to_byte();
        let token_bytes = tokens
            .iter()
            .zip(&types)
            .map(|(entry, &ty)| match ty {
                token_type::NORMAL => byte_level_bytes(entry, &char_to_byte),
                _ => entry.as_bytes().to_vec(),
            })
            .collect();
        Self::finish(ct, inner, tokens, &types, token_bytes)
    }

    /// SentencePiece vocabularies (Gemma, Llama 2) carry scores instead of merges. The
    /// merges are derived as Hugging Face's converter does: every split of a piece into two
    /// pieces of the vocabulary is a merge, ranked by the merged piece's score; the
    /// user-defined whitespace runs (`▁▁`, `\n\n`) merge first, longest first. Unknown
    /// bytes fall back to the `<0xNN>` byte tokens; spaces are written `▁`.
    fn sentencepiece_from_gguf(
        ct: &gguf_file::Content,
        tokens: Vec<String>,
        types: Vec<u32>,
    ) -> Result<Self> {
        let scores: Vec<f32> = match meta(ct, "tokenizer.ggml.scores")? {
            gguf_file::Value::Array(items) => {
                items.iter().map(|v| v.to_f32().unwrap_or(0.0)).collect()
            }
            _ => Vec::new(),
        };
        if scores.len() != tokens.len() {
            return Err(TokenizerError::BadValue {
                key: "tokenizer.ggml.scores".into(),
                expected: "one float per token",
            });
        }
        // GGUF writes user-defined pieces with plain spaces; the vocabulary uses `▁`.
        let tokens: Vec<String> = tokens
            .into_iter()
            .zip(&types)
            .map(|(t, &ty)| match ty {
                token_type::USER_DEFINED => t.replace(' ', "\u{2581}"),
                _ => t,
            })
            .collect();
        let ids: std::collections::HashMap<&str, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i as u32))
            .collect();
        // (group, order within the group, merged id, left, right)
        let mut ranked: Vec<(u8, f32, u32, u32, u32)> = Vec::new();
        for (id, (piece, &ty)) in tokens.iter().zip(&types).enumerate() {
            let (group, order) = match ty {
                token_type::USER_DEFINED => (0, -(piece.chars().count() as f32)),
                token_type::NORMAL => (1, -scores[id]),
                _ => continue,
            };
            for (split, _) in piece.char_indices().skip(1) {
                let (left, right) = piece.split_at(split);
                if let (Some(&l), Some(&r)) = (ids.get(left), ids.get(right)) {
                    ranked.push((group, order, id as u32, l, r));
                }
            }
        }
        ranked.sort_by(|a, b| {
            (a.0, a.1, a.2)
                .partial_cmp(&(b.0, b.1, b.2))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let merges: Vec<(String, String)> = ranked
            .iter()
            .map(|&(_, _, _, l, r)| (tokens[l as usize].clone(), tokens[r as usize].clone()))
            .collect();
        drop(ids);

        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut builder = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .byte_fallback(true)
            .fuse_unk(true);
        if let Some(unk) = opt_u32(ct, "tokenizer.ggml.unknown_token_id")? {
            if let Some(t) = tokens.get(unk as usize) {
                builder = builder.unk_token(t.clone());
            }
        }
        let mut inner = tokenizers::Tokenizer::new(builder.build().map_err(tk_err)?);
        let replace = Replace::new(" ", "\u{2581}").map_err(tk_err)?;
        let space_prefix = opt_bool(ct, "tokenizer.ggml.add_space_prefix");
        let normalizer: NormalizerWrapper = if space_prefix {
            NormalizerSequence::new(vec![Prepend::new("\u{2581}".into()).into(), replace.into()])
                .into()
        } else {
            replace.into()
        };
        inner.with_normalizer(Some(normalizer)).map_err(tk_err)?;
        let mut decoders: Vec<DecoderWrapper> = vec![
            Replace::new("\u{2581}", " ").map_err(tk_err)?.into(),
            ByteFallback::new().into(),
            Fuse::new().into(),
        ];
        if space_prefix {
            decoders.push(Strip::new(' ', 1, 0).into());
        }
        inner.with_decoder(Some(DecoderSequence::new(decoders)));

        let token_bytes = tokens
            .iter()
            .zip(&types)
            .map(|(entry, &ty)| match ty {
                token_type::CONTROL | token_type::UNKNOWN => entry.as_bytes().to_vec(),
                _ => metaspace_bytes(entry),
            })
            .collect();
        Self::finish(ct, inner, tokens, &types, token_bytes)
    }

    /// Adds the control and user-defined tokens as added tokens and reads the BOS, EOS and
    /// end-of-turn ids.
    fn finish(
        ct: &gguf_file::Content,
        mut inner: tokenizers::Tokenizer,
        tokens: Vec<String>,
        types: &[u32],
        token_bytes: Vec<Vec<u8>>,
    ) -> Result<Self> {
        let mut special = BTreeSet::new();
        let mut added = Vec::new();
        for (id, (entry, &ty)) in tokens.iter().zip(types).enumerate() {
            let is_special = matches!(ty, token_type::CONTROL | token_type::UNKNOWN);
            if is_special || ty == token_type::USER_DEFINED {
                if is_special {
                    special.insert(id as u32);
                }
                added.push(
                    AddedToken::from(entry.clone(), is_special)
                        .normalized(false)
                        .special(is_special),
                );
            }
        }
        inner.add_tokens(added).map_err(tk_err)?;

        let bos = opt_u32(ct, "tokenizer.ggml.bos_token_id")?;
        let eos = opt_u32(ct, "tokenizer.ggml.eos_token_id")?;
        let mut end_of_turn = Vec::new();
        for key in [
            "tokenizer.ggml.eos_token_id",
            "tokenizer.ggml.eot_token_id",
            "tokenizer.ggml.eom_token_id",
        ] {
            end_of_turn.extend(opt_u32(ct, key)?);
        }
        for name in END_OF_TURN_NAMES {
            end_of_turn.extend(
                tokens
                    .iter()
                    .position(|t| t == name)
                    .map(|id| id as u32)
                    .filter(|id| special.contains(id)),
            );
        }
        end_of_turn.sort_unstable();
        end_of_turn.dedup();

        Ok(Self {
            inner: Arc::new(inner),
            token_bytes,
            special,
            bos,
            eos,
            add_bos: opt_bool(ct, "tokenizer.ggml.add_bos_token"),
            end_of_turn,
        })
    }

    /// Reads a Hugging Face `tokenizer.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| TokenizerError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_json_bytes(&bytes).map_err(|e| TokenizerError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Parses the contents of a `tokenizer.json`.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self> {
        let inner = tokenizers::Tokenizer::from_bytes(bytes).map_err(tk_err)?;
        let byte_level = matches!(inner.get_decoder(), Some(DecoderWrapper::ByteLevel(_)));
        let added = inner.get_added_tokens_decoder();
        let special: BTreeSet<u32> = added
            .iter()
            .filter(|(_, t)| t.special)
            .map(|(&id, _)| id)
            .collect();
        let char_to_byte = char_to_byte();
        let size = inner.get_vocab_size(true);
        let token_bytes = (0..size as u32)
            .map(|id| match (added.get(&id), inner.id_to_token(id)) {
                (Some(t), _) => t.content.as_bytes().to_vec(),
                (None, Some(entry)) if byte_level => byte_level_bytes(&entry, &char_to_byte),
                (None, Some(entry)) => metaspace_bytes(&entry),
                (None, None) => Vec::new(),
            })
            .collect();
        let mut end_of_turn: Vec<u32> = END_OF_TURN_NAMES
            .iter()
            .filter_map(|name| inner.token_to_id(name))
            .filter(|id| special.contains(id))
            .collect();
        end_of_turn.sort_unstable();
        end_of_turn.dedup();
        Ok(Self {
            inner: Arc::new(inner),
            token_bytes,
            special,
            bos: None,
            eos: None,
            add_bos: false,
            end_of_turn,
        })
    }

    /// Token ids for `text`. Added tokens written in the text (`<|im_start|>`) become their
    /// ids; `add_special` adds what the model wants around a sequence (BOS for some).
    pub fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>> {
        let encoding = self.inner.encode_fast(text, add_special).map_err(tk_err)?;
        let ids = encoding.get_ids();
        let mut out = Vec::with_capacity(ids.len() + 1);
        if add_special && self.add_bos {
            if let Some(bos) = self.bos {
                if ids.first() != Some(&bos) {
                    out.push(bos);
                }
            }
        }
        out.extend_from_slice(ids);
        Ok(out)
    }

    /// The text of `ids`, special tokens included; bytes that do not form UTF-8 become U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner.decode(ids, false).map_err(tk_err)
    }

    /// How many tokens `text` is, without special tokens added. Byte-level and
    /// byte-fallback vocabularies encode any text; should encoding fail all the same, the
    /// text counts as its byte length, which is never fewer than its tokens.
    pub fn count(&self, text: &str) -> usize {
        self.inner
            .encode_fast(text, false)
            .map(|e| e.len())
            .unwrap_or(text.len())
    }

    /// The raw bytes each token id stands for, indexed by id (special tokens: their text).
    pub fn token_bytes(&self) -> &[Vec<u8>] {
        &self.token_bytes
    }

    /// Whether `id` is a special (control) token such as `<|im_start|>`.
    pub fn is_special(&self, id: u32) -> bool {
        self.special.contains(&id)
    }

    /// The ids of the special (control) tokens, in order.
    pub fn special_tokens(&self) -> Vec<u32> {
        self.special.iter().copied().collect()
    }

    /// How many ids the tokenizer knows (the model may have more rows, unused).
    pub fn vocab_size(&self) -> usize {
        self.token_bytes.len()
    }

    /// The vocabulary entry of `id` (`Ġthe`, `<|im_end|>`).
    pub fn token_text(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.inner.token_to_id(text)
    }

    pub fn bos_token(&self) -> Option<u32> {
        self.bos
    }

    pub fn eos_token(&self) -> Option<u32> {
        self.eos
    }

    /// The tokens that end an assistant's turn: generation stops on any of them.
    pub fn end_of_turn_tokens(&self) -> &[u32] {
        &self.end_of_turn
    }

    /// Replaces the end-of-turn tokens (a tokenizer.json does not say which they are).
    pub fn set_end_of_turn_tokens(&mut self, ids: Vec<u32>) {
        self.end_of_turn = ids;
    }

    /// A decoder that turns ids into text one at a time, for streaming output.
    /// A handle that encodes text as this tokenizer does, for the constrained decoder's
    /// forced tokens; it shares the tokenizer's tables.
    pub fn encoder(&self) -> Encoder {
        Encoder {
            inner: Arc::clone(&self.inner),
        }
    }

    pub fn stream_decoder(&self) -> StreamDecoder<'_> {
        StreamDecoder {
            tokenizer: self,
            pending: Vec::new(),
        }
    }
}

/// Turns token ids into text one at a time. A token may end in the middle of a UTF-8
/// character (an emoji is often two or three byte-level tokens): those bytes are held
/// back until the character is complete.
/// Text to ids exactly as [`Tokenizer::encode`] without special additions; cheap to clone.
#[derive(Clone)]
pub struct Encoder {
    inner: Arc<tokenizers::Tokenizer>,
}

impl Encoder {
    /// The ids of `text`, or `None` where the tokenizer fails on it.
    pub fn encode(&self, text: &str) -> Option<Vec<u32>> {
        self.inner
            .encode_fast(text, false)
            .ok()
            .map(|e| e.get_ids().to_vec())
    }
}

pub struct StreamDecoder<'a> {
    tokenizer: &'a Tokenizer,
    pending: Vec<u8>,
}

impl StreamDecoder<'_> {
    /// The text that `id` completes (often empty while a character is split).
    pub fn push(&mut self, id: u32) -> String {
        if let Some(bytes) = self.tokenizer.token_bytes.get(id as usize) {
            self.pending.extend_from_slice(bytes);
        }
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    out.push_str(std::str::from_utf8(&self.pending[..valid]).unwrap_or_default());
                    match e.error_len() {
                        // An invalid sequence, not an unfinished one: replace it as a
                        // lossy decode would, and go on.
                        Some(bad) => {
                            out.push('\u{FFFD}');
                            self.pending.drain(..valid + bad);
                        }
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                    }
                }
            }
        }
    }

    /// Whatever is still held back, with an unfinished character as U+FFFD.
    pub fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_core::quantized::gguf_file::{Content, Value, VersionedMagic};
    use std::collections::HashMap;

    fn strings(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| Value::String(s.to_string())).collect())
    }

    /// A GGUF content with a tiny byte-level vocabulary: specials, every single byte,
    /// and a few merges (`Ġ` is the byte-level space).
    pub(crate) fn toy_content(pre: &str) -> Content {
        let table = byte_to_char();
        let mut tokens: Vec<String> = vec![
            "<|endoftext|>".into(),
            "<|im_start|>".into(),
            "<|im_end|>".into(),
        ];
        tokens.extend(table.iter().map(|c| c.to_string()));
        for merged in [
            "he", "ll", "llo", "hello", "Ġw", "or", "ld", "Ġwor", "Ġworld",
        ] {
            tokens.push(merged.to_string());
        }
        tokens.push("<tool>".into());
        let merges = [
            "h e", "l l", "ll o", "he llo", "Ġ w", "o r", "l d", "Ġw or", "Ġwor ld",
        ];
        let mut types = vec![Value::I32(3); 3];
        types.extend((3..tokens.len() - 1).map(|_| Value::I32(1)));
        types.push(Value::I32(4));
        let mut metadata = HashMap::new();
        metadata.insert("tokenizer.ggml.model".into(), Value::String("gpt2".into()));
        metadata.insert("tokenizer.ggml.pre".into(), Value::String(pre.into()));
        let token_refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
        metadata.insert("tokenizer.ggml.tokens".into(), strings(&token_refs));
        metadata.insert("tokenizer.ggml.merges".into(), strings(&merges));
        metadata.insert("tokenizer.ggml.token_type".into(), Value::Array(types));
        metadata.insert("tokenizer.ggml.bos_token_id".into(), Value::U32(1));
        metadata.insert("tokenizer.ggml.eos_token_id".into(), Value::U32(2));
        Content {
            magic: VersionedMagic::GgufV3,
            metadata,
            tensor_infos: HashMap::new(),
            tensor_data_offset: 0,
        }
    }

    pub(crate) fn toy() -> Tokenizer {
        Tokenizer::from_gguf(&toy_content("smollm")).expect("toy tokenizer")
    }

    #[test]
    fn merges_apply_inside_pre_tokenized_words() {
        let t = toy();
        let ids = t.encode("hello world", false).unwrap();
        let entries: Vec<String> = ids.iter().map(|&id| t.token_text(id).unwrap()).collect();
        assert_eq!(entries, ["hello", "Ġworld"]);
        assert_eq!(t.decode(&ids).unwrap(), "hello world");
    }

    #[test]
    fn added_tokens_are_matched_whole_and_marked() {
        let t = toy();
        let ids = t
            .encode("<|im_start|>hello<tool><|im_end|>", false)
            .unwrap();
        assert_eq!(ids[0], 1);
        assert_eq!(*ids.last().unwrap(), 2);
        let tool = t.token_id("<tool>").unwrap();
        assert!(ids.contains(&tool));
        assert!(t.is_special(1) && t.is_special(2) && !t.is_special(tool));
        assert_eq!(t.special_tokens(), [0, 1, 2]);
        assert_eq!(t.token_bytes()[tool as usize], b"<tool>");
        assert_eq!(t.end_of_turn_tokens(), [0, 2]);
    }

    #[test]
    fn smollm_splits_every_digit_and_gpt2_does_not() {
        let smol = toy();
        assert_eq!(smol.encode("2024", false).unwrap().len(), 4);
        let gpt2 = Tokenizer::from_gguf(&toy_content("gpt2")).unwrap();
        // No merges for digits either way, so count the pieces through the bytes.
        assert_eq!(gpt2.encode("2024", false).unwrap().len(), 4);
        assert_eq!(
            gpt2.decode(&gpt2.encode("a  2024\n\n b", false).unwrap())
                .unwrap(),
            "a  2024\n\n b"
        );
    }

    #[test]
    fn token_bytes_undo_the_byte_level_mapping() {
        let t = toy();
        let space = t.token_id("Ġ").unwrap();
        assert_eq!(t.token_bytes()[space as usize], b" ");
        let newline = t.token_id("Ċ").unwrap();
        assert_eq!(t.token_bytes()[newline as usize], b"\n");
        let world = t.token_id("Ġworld").unwrap();
        assert_eq!(t.token_bytes()[world as usize], b" world");
    }

    #[test]
    fn stream_decoder_holds_back_split_characters() {
        let t = toy();
        let text = "hé 🦀!";
        let ids = t.encode(text, false).unwrap();
        let mut stream = t.stream_decoder();
        let pieces: Vec<String> = ids.iter().map(|&id| stream.push(id)).collect();
        assert!(pieces.iter().all(|p| !p.contains('\u{FFFD}')));
        assert!(
            pieces.iter().any(String::is_empty),
            "the crab takes 4 byte tokens"
        );
        assert_eq!(pieces.concat() + &stream.finish(), text);
    }

    #[test]
    fn stream_decoder_replaces_invalid_bytes_like_decode() {
        let t = toy();
        let byte = |b: u8| t.token_id(&byte_to_char()[b as usize].to_string()).unwrap();
        let ids = [byte(0xFF), byte(b'a'), byte(0xF0), byte(0x9F)];
        let mut stream = t.stream_decoder();
        let mut text: String = ids.iter().map(|&id| stream.push(id)).collect();
        text += &stream.finish();
        assert_eq!(text, t.decode(&ids).unwrap());
        assert_eq!(text, "\u{FFFD}a\u{FFFD}");
    }

    #[test]
    fn unknown_pre_tokenizer_is_a_clear_error() {
        let err = Tokenizer::from_gguf(&toy_content("mystery")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unknown pre-tokenizer `mystery`"), "{msg}");
        assert!(msg.contains("hint:"), "{msg}");
    }

    #[test]
    fn other_tokenizer_models_are_refused() {
        let mut ct = toy_content("gpt2");
        ct.metadata
            .insert("tokenizer.ggml.model".into(), Value::String("bert".into()));
        let msg = Tokenizer::from_gguf(&ct).unwrap_err().to_string();
        assert!(msg.contains("unsupported tokenizer model `bert`"), "{msg}");
    }

    /// A SentencePiece vocabulary: scores rank the merges, bytes fall back to `<0xNN>`.
    fn toy_sentencepiece() -> Tokenizer {
        let pieces = [
            ("<pad>", 0.0, 3),
            ("<eos>", 0.0, 3),
            ("<bos>", 0.0, 3),
            ("<unk>", 0.0, 2),
            ("<end_of_turn>", 0.0, 3),
            ("  ", 0.0, 4),
            ("\n", 0.0, 4),
            ("\u{2581}", -1.0, 1),
            ("h", -2.0, 1),
            ("e", -2.0, 1),
            ("l", -2.0, 1),
            ("o", -2.0, 1),
            ("he", -3.0, 1),
            ("llo", -4.0, 1),
            ("ll", -3.5, 1),
            ("hello", -5.0, 1),
            ("\u{2581}hello", -6.0, 1),
            ("<0xC3>", 0.0, 6),
            ("<0xA9>", 0.0, 6),
        ];
        let mut metadata = HashMap::new();
        metadata.insert("tokenizer.ggml.model".into(), Value::String("llama".into()));
        let names: Vec<&str> = pieces.iter().map(|p| p.0).collect();
        metadata.insert("tokenizer.ggml.tokens".into(), strings(&names));
        let scores = pieces.iter().map(|p| Value::F32(p.1)).collect();
        metadata.insert("tokenizer.ggml.scores".into(), Value::Array(scores));
        let types = pieces.iter().map(|p| Value::I32(p.2)).collect();
        metadata.insert("tokenizer.ggml.token_type".into(), Value::Array(types));
        metadata.insert("tokenizer.ggml.bos_token_id".into(), Value::U32(2));
        metadata.insert("tokenizer.ggml.eos_token_id".into(), Value::U32(1));
        metadata.insert("tokenizer.ggml.unknown_token_id".into(), Value::U32(3));
        metadata.insert("tokenizer.ggml.add_bos_token".into(), Value::Bool(true));
        let ct = Content {
            magic: VersionedMagic::GgufV3,
            metadata,
            tensor_infos: HashMap::new(),
            tensor_data_offset: 0,
        };
        Tokenizer::from_gguf(&ct).expect("toy sentencepiece tokenizer")
    }

    #[test]
    fn sentencepiece_merges_by_score_and_falls_back_to_bytes() {
        let t = toy_sentencepiece();
        let pieces = |text: &str, bos: bool| -> Vec<String> {
            t.encode(text, bos)
                .unwrap()
                .iter()
                .map(|&id| t.token_text(id).unwrap())
                .collect()
        };
        assert_eq!(pieces("hello hello", false), ["hello", "\u{2581}hello"]);
        assert_eq!(pieces("hello", true), ["<bos>", "hello"]);
        assert_eq!(pieces("hé", false), ["h", "<0xC3>", "<0xA9>"]);
        // The user-defined whitespace run merges before anything else.
        assert_eq!(pieces("  hello", false), ["\u{2581}\u{2581}", "hello"]);
        for text in ["hello hello", "hé", "  hello", "oh\nhello  <end_of_turn>"] {
            let ids = t.encode(text, false).unwrap();
            assert_eq!(t.decode(&ids).unwrap(), text);
            let bytes: Vec<u8> = ids
                .iter()
                .flat_map(|&i| t.token_bytes()[i as usize].clone())
                .collect();
            assert_eq!(bytes, text.as_bytes());
        }
        assert_eq!(t.end_of_turn_tokens(), [1, 4]);
    }

    /// A byte-level tokenizer.json: every byte, one merge, one special token.
    fn toy_json() -> Vec<u8> {
        let mut vocab = serde_json::Map::new();
        vocab.insert("<|im_end|>".into(), 0.into());
        for (b, c) in byte_to_char().iter().enumerate() {
            vocab.insert(c.to_string(), (b + 1).into());
        }
        vocab.insert("hi".into(), 257.into());
        let json = serde_json::json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": [{"id": 0, "content": "<|im_end|>", "single_word": false,
                "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
            "normalizer": null,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false,
                "trim_offsets": true, "use_regex": true},
            "post_processor": null,
            "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
                "use_regex": true},
            "model": {"type": "BPE", "dropout": null, "unk_token": null,
                "continuing_subword_prefix": null, "end_of_word_suffix": null,
                "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab, "merges": ["h i"]}
        });
        serde_json::to_vec(&json).unwrap()
    }

    #[test]
    fn tokenizer_json_is_read_with_bytes_specials_and_end_of_turn() {
        let t = Tokenizer::from_json_bytes(&toy_json()).unwrap();
        let ids = t.encode("hi é<|im_end|>", false).unwrap();
        assert_eq!(ids[0], 257);
        assert_eq!(*ids.last().unwrap(), 0);
        assert_eq!(t.decode(&ids).unwrap(), "hi é<|im_end|>");
        assert_eq!(t.token_bytes()[257], b"hi");
        assert_eq!(t.token_bytes()[1 + usize::from(b' ')], b" ");
        assert_eq!(t.token_bytes()[0], b"<|im_end|>");
        assert!(t.is_special(0) && !t.is_special(257));
        assert_eq!(t.end_of_turn_tokens(), [0]);
        assert_eq!(t.vocab_size(), 258);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        std::fs::write(&path, toy_json()).unwrap();
        assert_eq!(
            Tokenizer::from_file(&path)
                .unwrap()
                .encode("hi", false)
                .unwrap(),
            [257]
        );
        let missing = dir.path().join("nope.json");
        let msg = Tokenizer::from_file(&missing).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!(
                "could not read tokenizer file {}",
                missing.display()
            )),
            "{msg}"
        );
    }

    #[test]
    fn byte_table_is_gpt2s() {
        let table = byte_to_char();
        assert_eq!(table[b' ' as usize], 'Ġ');
        assert_eq!(table[b'\n' as usize], 'Ċ');
        assert_eq!(table[b'a' as usize], 'a');
        assert_eq!(table[0xAD], 'Ń');
        let distinct: BTreeSet<char> = table.iter().copied().collect();
        assert_eq!(distinct.len(), 256);
        let inverse = char_to_byte();
        assert!((0..=255u8).all(|b| inverse[table[b as usize] as usize] == Some(b)));
        assert_eq!(inverse.iter().flatten().count(), 256);
    }
}
