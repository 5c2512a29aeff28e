//! recap's own forward pass checked against an independent implementation: the same GGUF
//! file loaded by candle-transformers' quantized llama (SmolLM2-135M-Instruct, Q4_1,
//! `RECAP_SMOLLM2`) and quantized qwen2 (Qwen2.5-Coder-0.5B-Instruct, Q4_K_M with Q5_0
//! tensors, `RECAP_QWEN25`) models. Both are fed the same prompt, then the same tokens one
//! at a time (recap's greedy choices); at every step the logits must agree within
//! [`TOLERANCE`] and both must pick the same next token, unless the two candidates are a
//! near-tie ([`NEAR_TIE`]) in both answers.
//!
//! The two are not bit-identical by design: recap keeps Q4_1 weights for its own kernels
//! or turns them into Q8_0 at load (where those kernels do not run), batches the prompt
//! through an int8 or f32 GEMM, and sums in another order; candle-transformers multiplies
//! every weight in its file type with activations rounded to 8 bits. What must not happen
//! is a difference in the model itself (a wrong RoPE layout, norm, attention mask, cache
//! position or tied head), which moves logits by whole units and changes the tokens.

use std::path::PathBuf;

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2};

use recap::llm::{CausalLm, GgufModel, LoadOptions};

/// Largest difference of any logit, relative to the largest logit's magnitude in
/// candle-transformers' answer. Measured on a 2-core AMD EPYC (Zen 4, AVX-512 with VNNI,
/// so recap's own decoding kernels and int8 GEMM ran): at most 0.046 for SmolLM2 and
/// 0.025 for Qwen2.5 over the prompt and every step. A model-level mistake (RoPE pairs, norm,
/// mask, cache position) moves logits by whole units: far past this bound.
const TOLERANCE: f32 = 0.08;
/// How far apart, in logits, two candidates may be in each model's answer when the two
/// pick differently: the bound `tests/greedy_paths.rs` holds recap's kernel paths to. On a
/// 2-core AMD EPYC (Zen 3, AVX2 only), SmolLM2's AVX2 path picked another token than
/// candle-transformers at step 2 (0.004 logits apart in recap's answer, 0.30 in the
/// reference's), and its generic path at step 6 (0.12 and 0.37).
const NEAR_TIE: f32 = 0.5;
/// Greedy steps after the prompt.
const STEPS: usize = 8;

fn model_path(var: &str) -> PathBuf {
    let path = std::env::var_os(var).unwrap_or_else(|| {
        panic!("{var} is not set: `bash scripts/test` fetches the test models and sets it")
    });
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{var}={} is not a file", path.display());
    path
}

/// candle-transformers' model of one architecture, behind one call.
enum Reference {
    Llama(quantized_llama::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
}

impl Reference {
    fn load(path: &PathBuf) -> Self {
        let mut file = std::fs::File::open(path).unwrap();
        let content = gguf_file::Content::read(&mut file).unwrap();
        let arch = content.metadata["general.architecture"]
            .to_string()
            .unwrap()
            .clone();
        match arch.as_str() {
            "llama" => Self::Llama(
                quantized_llama::ModelWeights::from_gguf(content, &mut file, &Device::Cpu).unwrap(),
            ),
            "qwen2" => Self::Qwen2(
                quantized_qwen2::ModelWeights::from_gguf(content, &mut file, &Device::Cpu).unwrap(),
            ),
            other => panic!("no reference model for architecture {other}"),
        }
    }

    /// The logits after `tokens`, which start at cache position `pos`.
    fn forward(&mut self, tokens: &[u32], pos: usize) -> Vec<f32> {
        let x = Tensor::new(tokens, &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let logits = match self {
            Self::Llama(m) => m.forward(&x, pos),
            Self::Qwen2(m) => m.forward(&x, pos),
        }
        .unwrap();
        logits
            .squeeze(0)
            .unwrap()
            .to_dtype(candle_core::DType::F32)
            .unwrap()
            .to_vec1()
            .unwrap()
    }
}

fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, v) in logits.iter().enumerate() {
        if *v > logits[best] {
            best = i;
        }
    }
    best as u32
}

fn rel_diff(got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len(), "vocabulary sizes differ");
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    got.iter()
        .zip(want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

/// Feeds `prompt` and then [`STEPS`] greedy tokens to both models, checking every step.
fn agree(var: &str, prompt: &[u32]) {
    let path = model_path(var);
    let mut reference = Reference::load(&path);
    let mut recap = GgufModel::load(&path, LoadOptions::default()).unwrap();

    let mut want = reference.forward(prompt, 0);
    let mut got = recap.forward(prompt).unwrap();
    let mut tokens = Vec::new();
    for step in 0..=STEPS {
        let d = rel_diff(&got, &want);
        assert!(
            d <= TOLERANCE,
            "{var}: step {step}: logits differ by {d} (relative), over {TOLERANCE}"
        );
        // Both pick the same token, or the two candidates are a near-tie in both answers:
        // rounding in another order may flip a near-tie, a model-level mistake cannot
        // stay within it.
        let (next, theirs) = (argmax(&got), argmax(&want));
        let (mine_gap, their_gap) = (
            got[next as usize] - got[theirs as usize],
            want[theirs as usize] - want[next as usize],
        );
        assert!(
            next == theirs || (mine_gap < NEAR_TIE && their_gap < NEAR_TIE),
            "{var}: step {step}: recap picks {next}, candle-transformers {theirs}, \
             {mine_gap} and {their_gap} logits apart (tokens so far {tokens:?})"
        );
        if step == STEPS {
            break;
        }
        tokens.push(next);
        want = reference.forward(&[next], prompt.len() + step);
        got = recap.forward(&[next]).unwrap();
    }
}

/// A prompt of ordinary text tokens for either vocabulary (ids in the common range, a
/// fixed spread so the attention has something to look at).
fn prompt(len: u32) -> Vec<u32> {
    (0..len).map(|i| 300 + (i * 7919) % 20000).collect()
}

#[test]
fn smollm2_agrees_with_candle_transformers_quantized_llama() {
    agree("RECAP_SMOLLM2", &prompt(40));
}

#[test]
fn qwen25_agrees_with_candle_transformers_quantized_qwen2() {
    agree("RECAP_QWEN25", &prompt(40));
}
