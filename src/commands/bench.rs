//! `recap bench`: measures a model's speed on this machine — load time, prefill and decode
//! tokens per second, peak memory — with the configured thread count.
//!
//! The prompt is a fixed pseudo-random token sequence (the same every run, no tokenizer
//! needed); it is fed as one prefill batch, then `--gen-tokens` tokens are generated
//! greedily one at a time, so decode is measured from position = prompt length. Last,
//! forward passes of 1, 2, 4 and 8 tokens at that position are timed: what reading a run
//! of forced tokens in one batch costs against one decoded token.

use std::time::Instant;

use anyhow::{bail, Context};

use super::{Exit, Io};
use crate::cli::{BenchArgs, DenseArg};
use crate::config::Config;
use crate::llm::matmul::DenseWeights;
use crate::llm::threads::{cpu_seconds, machine_busy_seconds};
use crate::llm::{CausalLm, GgufModel, LoadOptions};

pub fn run(args: &BenchArgs, config: &Config, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    if args.prompt_tokens == 0 {
        bail!("--prompt-tokens must be at least 1");
    }
    let threads = super::model_loader::configure_runtime(config)?;
    let path = super::model_loader::resolve(Some(&args.model), config, &mut *io.err)?;
    let file_bytes = std::fs::metadata(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let options = LoadOptions {
        dense: match args.dense {
            DenseArg::Int8 => DenseWeights::Int8,
            DenseArg::PerCall => DenseWeights::PerCall,
            DenseArg::Resident => DenseWeights::Resident,
            DenseArg::Off => DenseWeights::Off,
        },
        ..LoadOptions::default()
    };
    writeln!(io.err, "loading {} ...", path.display())?;
    let load = Phase::start();
    let mut model = GgufModel::load(&path, options)?;
    let load = load.finish();
    let needed = args.prompt_tokens + args.gen_tokens;
    if needed > model.context_length() {
        bail!(
            "{} prompt + {} generated tokens exceed the model's context of {}",
            args.prompt_tokens,
            args.gen_tokens,
            model.context_length()
        );
    }

    let prompt = bench_prompt(args.prompt_tokens, model.vocab_size());
    writeln!(io.err, "prefill of {} tokens ...", prompt.len())?;
    let prefill = Phase::start();
    let mut logits = model.forward(&prompt)?;
    let prefill = prefill.finish();

    writeln!(io.err, "decoding {} tokens ...", args.gen_tokens)?;
    let decode = Phase::start();
    for _ in 0..args.gen_tokens {
        let next = argmax(&logits);
        logits = model.forward(&[next])?;
    }
    let decode = decode.finish();
    if logits.iter().any(|v| !v.is_finite()) {
        bail!("the model produced non-finite logits");
    }
    let room = model.context_length() - model.position();
    let batches = if args.gen_tokens > 0 && LONGEST_SHORT_BATCH <= room {
        writeln!(io.err, "short batches ...")?;
        short_batches(&mut model)?
    } else {
        Vec::new()
    };

    let c = model.config();
    let mb = |b: f64| b / 1e6;
    let out = &mut io.out;
    writeln!(
        out,
        "model     {} ({}, {} layers, hidden {}, {} heads / {} KV, context {})",
        c.name.as_deref().unwrap_or("(unnamed)"),
        c.architecture.as_str(),
        c.layers,
        c.hidden_size,
        c.heads,
        c.kv_heads,
        c.context_length
    )?;
    writeln!(
        out,
        "file      {} ({:.1} MB); weights in memory {:.1} MB ({}), dense {:?}",
        path.display(),
        mb(file_bytes as f64),
        mb(model.weight_bytes() as f64),
        model.weight_type(),
        options.dense
    )?;
    writeln!(out, "threads   {threads}")?;
    writeln!(
        out,
        "kernels   {} (prompt batches: {}) on {}",
        crate::llm::kernels::active().path,
        match options.dense {
            DenseWeights::Int8 if crate::llm::kernels::active().int8_gemm_fast => "int8 GEMM",
            DenseWeights::Off => "candle's quantized matmul",
            _ => "f32 GEMM",
        },
        cpu_name().unwrap_or_else(|| "an unnamed CPU".into())
    )?;
    writeln!(out, "load      {:.2} s (CPU {:.2} s)", load.wall, load.cpu)?;
    writeln!(
        out,
        "prefill   {} tokens in {:.2} s: {:.1} tok/s (CPU {:.2} s)",
        prompt.len(),
        prefill.wall,
        prompt.len() as f64 / prefill.wall,
        prefill.cpu
    )?;
    if args.gen_tokens > 0 {
        writeln!(
            out,
            "decode    {} tokens in {:.2} s: {:.1} tok/s from position {} (CPU {:.2} s)",
            args.gen_tokens,
            decode.wall,
            args.gen_tokens as f64 / decode.wall,
            prompt.len(),
            decode.cpu
        )?;
    }
    if !batches.is_empty() {
        let cells: Vec<String> = batches
            .iter()
            .map(|(n, secs)| format!("{n}: {:.1} ms", secs * 1e3))
            .collect();
        writeln!(
            out,
            "batches   one forward pass of N tokens from position {}: {}",
            model.position(),
            cells.join(", ")
        )?;
    }
    let wall = prefill.wall + decode.wall;
    let others = (prefill.others + decode.others) / wall;
    if others > 0.2 {
        writeln!(
            out,
            "note      other programs kept {others:.2} cores busy meanwhile, so the rates are low"
        )?;
    }
    match peak_rss_bytes() {
        Some(b) => writeln!(out, "peak RSS  {:.0} MB", mb(b as f64))?,
        None => writeln!(out, "peak RSS  unknown (no /proc/self/status)")?,
    }
    Ok(Exit::Success)
}

/// The batch sizes timed after decoding: forced tokens and speculative drafts are read in
/// such short batches.
const SHORT_BATCHES: [usize; 4] = [1, 2, 4, LONGEST_SHORT_BATCH];
const LONGEST_SHORT_BATCH: usize = 8;

/// Seconds per forward pass of each of [`SHORT_BATCHES`] tokens where the cache stands
/// now (the cache is cut back after each pass).
fn short_batches(model: &mut GgufModel) -> anyhow::Result<Vec<(usize, f64)>> {
    const PASSES: usize = 3;
    let at = model.position();
    let mut out = Vec::new();
    for n in SHORT_BATCHES {
        let tokens = bench_prompt(n, model.vocab_size());
        let start = Instant::now();
        for _ in 0..PASSES {
            model.forward(&tokens)?;
            model.truncate(at);
        }
        out.push((n, start.elapsed().as_secs_f64() / PASSES as f64));
    }
    Ok(out)
}

/// The CPU's model name, from `/proc/cpuinfo` (Linux).
pub fn cpu_name() -> Option<String> {
    cpu_name_in(&std::fs::read_to_string("/proc/cpuinfo").ok()?)
}

/// The first `model name` of a `/proc/cpuinfo` text.
fn cpu_name_in(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

/// `n` token ids spread over the vocabulary, the same for every run, avoiding the first
/// ids (often control tokens) and the top of the vocabulary (often special tokens).
pub fn bench_prompt(n: usize, vocab: usize) -> Vec<u32> {
    let lo = 256.min(vocab / 4) as u64;
    let span = (vocab as u64 * 3 / 4).saturating_sub(lo).max(1);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (lo + (state >> 33) % span) as u32
        })
        .collect()
}

/// The index of the largest logit.
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, v) in logits.iter().enumerate() {
        if *v > logits[best] {
            best = i;
        }
    }
    best as u32
}

/// The time one phase of the bench took, and what else the machine did meanwhile.
struct Phase {
    wall: f64,
    /// CPU seconds of this process.
    cpu: f64,
    /// CPU seconds of every other program (0 where unknown).
    others: f64,
}

/// The clocks at the start of a [`Phase`].
struct PhaseStart {
    at: Instant,
    cpu: f64,
    machine: f64,
}

impl Phase {
    fn start() -> PhaseStart {
        PhaseStart {
            at: Instant::now(),
            cpu: cpu_seconds(),
            machine: machine_busy_seconds(),
        }
    }
}

impl PhaseStart {
    fn finish(self) -> Phase {
        let cpu = cpu_seconds() - self.cpu;
        Phase {
            wall: self.at.elapsed().as_secs_f64(),
            cpu,
            others: (machine_busy_seconds() - self.machine - cpu).max(0.0),
        }
    }
}

/// The process's peak resident memory (`VmHWM`), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_name_is_the_first_model_name() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9R14\n";
        assert_eq!(cpu_name_in(cpuinfo).as_deref(), Some("AMD EPYC 9R14"));
        assert_eq!(cpu_name_in("processor\t: 0\n"), None);
    }

    #[test]
    fn the_prompt_is_fixed_and_inside_the_vocabulary() {
        let a = bench_prompt(300, 1000);
        assert_eq!(a, bench_prompt(300, 1000));
        assert!(a.iter().all(|&t| (250..750).contains(&t)), "{a:?}");
        assert!(a.iter().collect::<std::collections::BTreeSet<_>>().len() > 100);
    }

    #[test]
    fn bench_reports_every_figure_for_a_tiny_model() {
        use crate::llm::model_config::Architecture;
        use crate::llm::tiny_gguf::{write, TinySpec};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        std::fs::write(&path, write(&TinySpec::of(Architecture::Qwen2))).unwrap();
        let args = BenchArgs {
            model: path.display().to_string(),
            prompt_tokens: 40,
            gen_tokens: 5,
            dense: DenseArg::PerCall,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        let exit = run(&args, &Config::default(), &mut io).unwrap();
        assert_eq!(exit, Exit::Success);
        let text = String::from_utf8(out.clone()).unwrap();
        let labels: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| *w != "note")
            .collect();
        assert_eq!(
            labels,
            [
                "model", "file", "threads", "kernels", "load", "prefill", "decode", "batches",
                "peak"
            ],
            "{text}"
        );
        let kernels = format!(
            "kernels   {} (prompt batches: f32 GEMM) on ",
            crate::llm::kernels::active().path
        );
        assert!(text.contains(&kernels), "{text}");
        assert!(text.contains("(qwen2, 2 layers, hidden 64, 4 heads / 2 KV, context 128)"));
        assert!(text.contains("prefill   40 tokens in "), "{text}");
        assert!(text.contains("decode    5 tokens in "), "{text}");
        assert!(text.contains("from position 40"), "{text}");
        assert!(
            text.contains("batches   one forward pass of N tokens from position 45: 1: "),
            "{text}"
        );

        let too_long = BenchArgs {
            prompt_tokens: 120,
            gen_tokens: 20,
            ..args
        };
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        let e = run(&too_long, &Config::default(), &mut io).unwrap_err();
        assert_eq!(
            e.to_string(),
            "120 prompt + 20 generated tokens exceed the model's context of 128"
        );
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[0.0, 3.0, -1.0, 3.0]), 1);
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        assert!(peak_rss_bytes().unwrap() > 1_000_000);
    }
}
