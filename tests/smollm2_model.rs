//! The model code on the real SmolLM2-135M-Instruct GGUF file (Q4_1, llama architecture,
//! tied embeddings). The file's path comes from `RECAP_SMOLLM2`; `.ci/run` fetches the
//! model and sets it. Without it these tests fail: a missing model must not pass CI.

use std::path::PathBuf;

use recap::llm::matmul::DenseWeights;
use recap::llm::{CausalLm, GgufModel, LoadOptions};

fn model_path() -> PathBuf {
    let path = std::env::var_os("RECAP_SMOLLM2").unwrap_or_else(|| {
        panic!(
            "RECAP_SMOLLM2 is not set: set it to the path of SmolLM2-135M-Instruct.Q4_1.gguf \
             (e.g. RECAP_SMOLLM2=/work/models/SmolLM2-135M-Instruct.Q4_1.gguf); .ci/run fetches it"
        )
    });
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "RECAP_SMOLLM2={} is not a file",
        path.display()
    );
    path
}

fn load(dense: DenseWeights) -> GgufModel {
    GgufModel::load(
        &model_path(),
        LoadOptions {
            dense,
            ..LoadOptions::default()
        },
    )
    .unwrap()
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

/// Feeds `prompt` and generates `n` tokens greedily.
fn greedy(model: &mut GgufModel, prompt: &[u32], n: usize) -> Vec<u32> {
    let mut logits = model.forward(prompt).unwrap();
    let mut out = Vec::new();
    for _ in 0..n {
        assert!(logits.iter().all(|v| v.is_finite()), "non-finite logits");
        let next = argmax(&logits);
        out.push(next);
        logits = model.forward(&[next]).unwrap();
    }
    out
}

/// Unrelated whole words: " website method Dynamics dogs make reliable".
const PATTERN: [u32; 6] = [3817, 1341, 22704, 5046, 919, 7002];

#[test]
fn metadata_gives_the_full_context_and_shape() {
    let model = load(DenseWeights::Off);
    let c = model.config();
    assert_eq!(
        (c.layers, c.hidden_size, c.heads, c.kv_heads),
        (30, 576, 9, 3)
    );
    assert_eq!(model.context_length(), 8192);
    assert_eq!(model.vocab_size(), 49152);
    // Q4_1 stays as the file stores it: recap's kernels read it on every path.
    assert_eq!(model.weight_type(), "Q4_1");
}

#[test]
fn greedy_continuation_repeats_a_repeated_pattern_the_same_every_run() {
    // Four repetitions of a pattern, then its first two tokens: a working model copies
    // the pattern on (an induction head), a broken forward pass does not. (After three,
    // this 135M model with its Q4_1 weights as the file stores them starts a new line.)
    let mut prompt: Vec<u32> = PATTERN
        .iter()
        .cycle()
        .take(PATTERN.len() * 4)
        .copied()
        .collect();
    prompt.extend_from_slice(&PATTERN[..2]);
    // f32 weights for the prompt batch: with activations rounded to 8 bits (the quantized
    // matmul, or the int8 GEMM) this 135M model, like llama.cpp's rounding of the same
    // file, loses the pattern after its first two tokens.
    let mut model = load(DenseWeights::PerCall);
    let first = greedy(&mut model, &prompt, 6);
    assert_eq!(
        first[..4],
        PATTERN[2..6],
        "the model did not continue the pattern"
    );
    model.reset();
    assert_eq!(
        greedy(&mut model, &prompt, 6),
        first,
        "a second run differs"
    );
}

/// Largest difference between two logit vectors, relative to the largest logit of `want`.
fn rel_diff(got: &[f32], want: &[f32]) -> f32 {
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    got.iter()
        .zip(want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

#[test]
fn batched_prefill_and_snapshots_agree_with_token_by_token_feeding() {
    let prompt: Vec<u32> = (0..48u32).map(|i| 200 + (i * 7919) % 40000).collect();
    // The same quantized weights, one batch against one token at a time. The batch's
    // attention runs through a GEMM whose float rounding differs from the one-token loop;
    // the matmuls round activations to 8 bits, which turns those last-bit differences into
    // a few percent over 30 layers (chunks of under 16 tokens, which share the loop, agree
    // exactly).
    let mut batched = load(DenseWeights::Off);
    let want = batched.forward(&prompt).unwrap();
    let mut single = load(DenseWeights::Off);
    let mut got = Vec::new();
    for t in &prompt {
        got = single.forward(&[*t]).unwrap();
    }
    let d = rel_diff(&got, &want);
    assert!(d < 0.05, "quantized batch vs token by token: {d}");
    assert_eq!(argmax(&got), argmax(&want));

    // Dense f32 weights for the batch: the activations are no longer rounded to 8 bits,
    // so the logits move a little, not the prediction.
    let mut dense = load(DenseWeights::PerCall);
    let logits = dense.forward(&prompt).unwrap();
    let d = rel_diff(&logits, &want);
    assert!(d < 0.08, "dense vs quantized batch: {d}");
    assert_eq!(argmax(&logits), argmax(&want));

    // The int8 GEMM rounds the activations to the quantized matmul's 32-value blocks
    // (with f32 scales where candle keeps f16 ones); measured 0.022 here. A CPU without
    // AVX-512 VNNI takes the f32 path instead, within the bound above.
    let mut int8 = load(DenseWeights::Int8);
    let logits = int8.forward(&prompt).unwrap();
    let d = rel_diff(&logits, &want);
    assert!(d < 0.08, "int8 vs quantized batch: {d}");
    assert_eq!(argmax(&logits), argmax(&want));

    // A snapshot of the prompt continues exactly as the uninterrupted model does.
    let snap = dense.snapshot();
    let a = greedy(&mut dense, &[PATTERN[0]], 5);
    dense.forward(&PATTERN).unwrap();
    dense.restore(&snap);
    assert_eq!(dense.position(), prompt.len());
    assert_eq!(greedy(&mut dense, &[PATTERN[0]], 5), a);
}
