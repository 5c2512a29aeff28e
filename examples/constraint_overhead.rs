//! Measures what constrained decoding costs per token on a real vocabulary: run by hand,
//! prints figures.
//!
//!     RECAP_SMOLLM2=/path/to/SmolLM2-135M-Instruct.Q4_1.gguf \
//!         cargo run --example constraint_overhead
//!
//! Two token streams are replayed through a fresh [`JsonConstraint`] for a note-shaped
//! schema: a realistic note as the model's tokenizer splits it, and seeded random choices
//! among the allowed tokens (every step picked from the mask, as in the tests). Each step
//! is `apply` (compute the mask, set forbidden logits to -inf over the whole vocabulary)
//! then `commit`. Wall time and this thread's CPU time (from /proc/thread-self/schedstat,
//! so other processes on a busy machine do not count) are reported per token.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use candle_core::quantized::gguf_file;
use recap::llm::tokenizer::Tokenizer;
use recap::llm::{JsonConstraint, LogitMask, Vocabulary};
use serde_json::{json, Value};

const RUNS: usize = 5;

fn main() -> anyhow::Result<()> {
    let path = std::env::var("RECAP_SMOLLM2")
        .map_err(|_| anyhow::anyhow!("set RECAP_SMOLLM2 to the SmolLM2-135M-Instruct GGUF file"))?;
    let content = gguf_file::Content::read(&mut std::fs::File::open(&path)?)?;
    let tokenizer = Tokenizer::from_gguf(&content)?;

    let t = Instant::now();
    let vocab = Vocabulary::from_tokenizer(&tokenizer)?;
    println!(
        "vocabulary: {} tokens, built in {:.0} ms (once per model)",
        vocab.len(),
        ms(t.elapsed())
    );

    let schema = note_schema();
    let mut compile = Duration::ZERO;
    for _ in 0..RUNS {
        let t = Instant::now();
        JsonConstraint::new(&schema, &vocab)?;
        compile += t.elapsed();
    }
    println!(
        "schema compile: {:.2} ms (mean of {RUNS}, once per call)",
        ms(compile) / RUNS as f64
    );

    let note = tokenizer.encode(&realistic_note(), false)?;
    report("realistic note", &replay(&schema, &vocab, &note)?);
    let mut random = Vec::new();
    for seed in 0..RUNS as u64 {
        random.push(random_tokens(&schema, &vocab, seed)?);
    }
    let mut total = Stats {
        cpu: Some(Duration::ZERO),
        ..Stats::default()
    };
    for tokens in &random {
        total.add(&replay(&schema, &vocab, tokens)?);
    }
    report("random allowed tokens", &total);
    Ok(())
}

#[derive(Default)]
struct Stats {
    tokens: usize,
    wall: Duration,
    cpu: Option<Duration>,
    first: Duration,
    max: Duration,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.tokens += other.tokens;
        self.wall += other.wall;
        self.cpu = match (self.cpu, other.cpu) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        self.first = self.first.max(other.first);
        self.max = self.max.max(other.max);
    }
}

/// Replays `tokens` RUNS times through fresh constraints, timing apply + commit.
fn replay(schema: &Value, vocab: &Vocabulary, tokens: &[u32]) -> anyhow::Result<Stats> {
    let mut stats = Stats {
        cpu: Some(Duration::ZERO),
        ..Stats::default()
    };
    let mut logits = vec![0f32; vocab.len()];
    for _ in 0..RUNS {
        let mut c = JsonConstraint::new(schema, vocab)?;
        let cpu_start = thread_cpu();
        for (i, &token) in tokens.iter().enumerate() {
            let t = Instant::now();
            c.apply(&mut logits)?;
            c.commit(token)?;
            let d = t.elapsed();
            stats.wall += d;
            stats.max = stats.max.max(d);
            if i == 0 {
                stats.first = stats.first.max(d);
            }
        }
        stats.cpu = match (stats.cpu, thread_cpu(), cpu_start) {
            (Some(total), Some(end), Some(start)) => Some(total + (end - start)),
            _ => None,
        };
        anyhow::ensure!(c.is_finished(), "the replayed output is not complete");
        stats.tokens += tokens.len();
    }
    Ok(stats)
}

fn report(name: &str, s: &Stats) {
    let per = |d: Duration| d.as_secs_f64() * 1e6 / s.tokens as f64;
    let cpu = s
        .cpu
        .map(|c| format!("{:.0} µs/token CPU", per(c)))
        .unwrap_or_else(|| "CPU time n/a".into());
    println!(
        "{name}: {} tokens, {:.0} µs/token wall, {cpu}, first token {:.1} ms, slowest {:.1} ms",
        s.tokens,
        per(s.wall),
        ms(s.first),
        ms(s.max)
    );
}

/// Seeded random choices among the allowed tokens until the output is complete.
fn random_tokens(schema: &Value, vocab: &Vocabulary, seed: u64) -> anyhow::Result<Vec<u32>> {
    let mut c = JsonConstraint::new(schema, vocab)?;
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut tokens = Vec::new();
    while !c.is_finished() {
        let allowed = c.allowed_tokens()?;
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let token = allowed[(state % allowed.len() as u64) as usize];
        c.commit(token)?;
        tokens.push(token);
    }
    Ok(tokens)
}

/// This thread's CPU time so far (Linux), if the kernel reports it.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn note_schema() -> Value {
    let short = |n: usize| json!({"type": "string", "maxLength": n});
    json!({
        "type": "object",
        "properties": {
            "summary": short(600),
            "action_items": {
                "type": "array",
                "maxItems": 8,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": short(160),
                        "owner": {"enum": ["Jeff Denworth", "Priya Raman", "Tomás Ortega", "Unassigned"]},
                        "priority": {"enum": ["high", "medium", "low"]},
                        "due": {"type": ["string", "null"], "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
                    },
                    "required": ["text", "owner", "priority", "due"],
                    "additionalProperties": false
                }
            },
            "decisions": {"type": "array", "maxItems": 8, "items": short(160)},
            "key_information": {"type": "array", "maxItems": 8, "items": short(160)}
        },
        "required": ["summary", "action_items", "decisions", "key_information"],
        "additionalProperties": false
    })
}

fn realistic_note() -> String {
    let note = json!({
        "summary": "Jeff and Priya reviewed the beta plan. The storage migration is on track, \
                    but the billing export still fails for accounts with more than 10,000 \
                    invoices; Tomás will profile it before Friday. They agreed to ship the \
                    beta to the three design partners first and to hold the public launch \
                    until the export is fixed.",
        "action_items": [
            {"text": "Profile the billing export on the largest account and report the slowest query",
             "owner": "Tomás Ortega", "priority": "high", "due": "2024-06-14"},
            {"text": "Send the beta invitation and release notes to the three design partners",
             "owner": "Priya Raman", "priority": "high", "due": "2024-06-17"},
            {"text": "Draft the public launch announcement", "owner": "Jeff Denworth",
             "priority": "medium", "due": null},
            {"text": "Book a room for the partner demo", "owner": "Unassigned",
             "priority": "low", "due": null}
        ],
        "decisions": [
            "Ship the beta to the design partners first",
            "Hold the public launch until the billing export handles large accounts"
        ],
        "key_information": [
            "The storage migration finished for 80% of tenants",
            "Billing export times out above 10,000 invoices"
        ]
    });
    serde_json::to_string_pretty(&note).expect("a JSON value serializes")
}
