//! Speed of the sentence embedder: every text of the hand-labelled pairs (action items,
//! decisions and transcript turns from the dev set, 4 to 256 tokens), embedded in the
//! embedder's batches, three times; prints sentences per second with the CPU and threads.
//!
//!     RAYON_NUM_THREADS=2 cargo run --release --example embed_speed -- \
//!         "$(recap models path all-minilm-l6-v2)" eval/labels/match-pairs.jsonl

#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use recap::embed::Embedder;
use recap::eval::agreement::read_pairs;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(folder), Some(labels)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: embed_speed EMBEDDER_FOLDER LABELS.jsonl");
    };
    let start = Instant::now();
    let embedder = Embedder::load(&PathBuf::from(folder))?;
    let load = start.elapsed().as_secs_f64();
    let pairs = read_pairs(&PathBuf::from(labels))?;
    let texts: Vec<&str> = pairs
        .iter()
        .flat_map(|p| [p.a.as_str(), p.b.as_str()])
        .collect();
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let cpu = recap::commands::cpu_name().unwrap_or_else(|| "unknown CPU".into());
    println!("cpu: {cpu}; threads: {}", rayon::current_num_threads());
    println!("load: {load:.2} s; {} texts, {words} words", texts.len());
    for run in 1..=3 {
        let start = Instant::now();
        embedder.embed(&texts)?;
        let s = start.elapsed().as_secs_f64();
        println!(
            "run {run}: {s:.2} s, {:.0} sentences/s",
            texts.len() as f64 / s
        );
    }
    Ok(())
}
