//! Greedy decoding on every kernel path this CPU runs: SmolLM2 (`RECAP_SMOLLM2`), a fixed
//! chat prompt, 64 tokens (no stop token). The kernel path is chosen once per process
//! (`RECAP_KERNELS`), so the test runs itself once per path as a child process (the
//! ignored test below), which prints each step's token and leading logits.
//!
//! What is required: the AVX2 and AVX-VNNI paths give the same tokens (they form the same
//! integer sums and add them in the same order); any other pair of paths either agrees on
//! all 64 tokens or parts at a *near-tie*: at the first step where they differ, each path's
//! choice leads the other's by under [`TIE`] logit. A wrong kernel diverges at once and by
//! far more; different rounding orders move the logits by hundredths and can flip a tie.
//! (On the Zen 5 this was written on, generic, AVX2 and AVX-VNNI agree on all 64 tokens
//! and AVX-512 parts at the 64th, where its two candidates are 0.0025 logit apart.)

mod tokenizer_support;

use std::process::Command;

use recap::llm::chat_template::{ChatTemplate, Message};
use recap::llm::kernels::{self, KernelPath};
use recap::llm::tokenizer::Tokenizer;
use recap::llm::{CausalLm, GgufModel, LoadOptions};
use tokenizer_support::{load, model_path};

const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const TOKENS: usize = 64;
/// Leading logits the child prints per step.
const TOP: usize = 8;
/// How far apart, in logits, two paths' choices may be where the paths part.
const TIE: f32 = 0.5;
/// The start of each line of the child's output that holds a step.
const MARK: &str = "greedy step:";

/// One decoding step: the chosen token and the leading `(token, logit)` pairs, best first.
#[derive(Debug)]
struct Step {
    token: u32,
    top: Vec<(u32, f32)>,
}

impl Step {
    /// The step that chose the first of `top`.
    fn new(top: Vec<(u32, f32)>) -> Self {
        Step {
            token: top[0].0,
            top,
        }
    }

    fn logit(&self, token: u32) -> Option<f32> {
        self.top.iter().find(|t| t.0 == token).map(|t| t.1)
    }
}

/// The prompt's token ids.
fn prompt(tokenizer: &Tokenizer, ct: &candle_core::quantized::gguf_file::Content) -> Vec<u32> {
    let template = ChatTemplate::from_gguf(ct).unwrap();
    let text = template
        .render(
            &[
                Message::system("You are a concise assistant that writes meeting notes."),
                Message::user(
                    "Anna: the release moves to Friday because the installer still fails on \
                     ARM laptops. Ben: then I will fix the installer by Wednesday and tell \
                     support. Anna: good, and Chris writes the release notes. Summarize.",
                ),
            ],
            true,
        )
        .unwrap();
    tokenizer.encode(&text, false).unwrap()
}

/// Greedy decoding on the active path: the prompt in one batch (the prompt GEMM), then
/// one token at a time (the decoding kernels), each step taking the highest logit (the
/// first of equal ones, as the greedy sampler does).
fn greedy_steps() -> Vec<Step> {
    let ct = load("RECAP_SMOLLM2", FILE);
    let tokenizer = Tokenizer::from_gguf(&ct).unwrap();
    let ids = prompt(&tokenizer, &ct);
    let mut model =
        GgufModel::load(&model_path("RECAP_SMOLLM2", FILE), LoadOptions::default()).unwrap();
    let mut logits = model.forward(&ids).unwrap();
    let mut steps = Vec::with_capacity(TOKENS);
    for _ in 0..TOKENS {
        let mut order: Vec<u32> = (0..logits.len() as u32).collect();
        // Stable: equal logits keep the lower token first.
        order.sort_by(|a, b| logits[*b as usize].total_cmp(&logits[*a as usize]));
        let top: Vec<(u32, f32)> = order[..TOP]
            .iter()
            .map(|&t| (t, logits[t as usize]))
            .collect();
        steps.push(Step::new(top));
        logits = model.forward(&[order[0]]).unwrap();
    }
    steps
}

#[test]
#[ignore = "the child of greedy_decoding_agrees_on_every_kernel_path, once per path"]
// The parent reads the steps from the child's output.
#[allow(clippy::print_stdout)]
fn greedy_steps_on_the_active_path() {
    let path = kernels::select().unwrap().path;
    if let Ok(want) = std::env::var(kernels::ENV) {
        assert_eq!(path.name(), want, "the child runs the path it was given");
    }
    for step in greedy_steps() {
        let top: Vec<String> = step.top.iter().map(|(t, l)| format!("{t}={l}")).collect();
        println!("{MARK} {path} {}", top.join(" "));
    }
}

/// The steps of a child process on `path`.
fn steps_on(path: KernelPath) -> Vec<Step> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "greedy_steps_on_the_active_path",
            "--ignored",
            "--nocapture",
        ])
        .env(kernels::ENV, path.name())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child on {path} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: Vec<Step> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix(MARK))
        .map(|line| {
            let mut words = line.split_whitespace();
            assert_eq!(words.next(), Some(path.name()));
            let top: Vec<(u32, f32)> = words
                .map(|w| {
                    let (t, l) = w.split_once('=').unwrap();
                    (t.parse().unwrap(), l.parse().unwrap())
                })
                .collect();
            Step::new(top)
        })
        .collect();
    assert_eq!(steps.len(), TOKENS, "child on {path}:\n{stdout}");
    steps
}

/// Where `a` and `b` first choose different tokens, checked to be a near-tie.
fn first_divergence(a: (KernelPath, &[Step]), b: (KernelPath, &[Step])) -> Option<usize> {
    let at = a.1.iter().zip(b.1).position(|(x, y)| x.token != y.token)?;
    for ((path, steps), other) in [(a, b.1), (b, a.1)] {
        let (mine, theirs) = (&steps[at], &other[at]);
        let lead = mine.top[0].1 - mine.logit(theirs.token).unwrap_or(f32::NEG_INFINITY);
        assert!(
            lead < TIE,
            "{} and {} part at token {at}, where {path} prefers {} to {} by {lead} logits: \
             more than rounding moves them ({path}: {mine:?}, other: {theirs:?})",
            a.0,
            b.0,
            mine.token,
            theirs.token
        );
    }
    Some(at)
}

#[test]
fn greedy_decoding_agrees_on_every_kernel_path() {
    let paths = KernelPath::available_paths();
    #[cfg(target_arch = "x86_64")]
    assert!(
        paths.contains(&KernelPath::Avx2),
        "x86-64 runs the AVX2 path"
    );
    let runs: Vec<(KernelPath, Vec<Step>)> = paths.iter().map(|&p| (p, steps_on(p))).collect();
    for (i, (pa, a)) in runs.iter().enumerate() {
        for (pb, b) in &runs[i + 1..] {
            let at = first_divergence((*pa, a), (*pb, b));
            if (*pa, *pb) == (KernelPath::Avx2, KernelPath::AvxVnni) {
                assert_eq!(at, None, "AVX2 and AVX-VNNI form the same sums");
            }
        }
    }
}
