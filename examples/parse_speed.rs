//! Measures how fast recap reads transcripts, in MB/s: generates a large WebVTT file
//! (Zoom style by default, `--teams` for `<v Name>` voice tags) and reads it.
//!
//! ```text
//! cargo run --example parse_speed -- [MEGABYTES] [--teams]
//! ```
//!
//! Prints the size, the turns found and the speed of `parse_bytes` (decode, detect,
//! parse, merge; from memory) and of `read_path` (the same, plus reading the file).
//! Speeds are given per second of wall-clock time and, on Linux, per second of this
//! thread's CPU time (from /proc/thread-self/stat, in 1/100 s ticks), which stays
//! meaningful when other processes share the cores.
#![allow(clippy::print_stdout)]

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use recap::transcript::{parse_bytes, read_path};

const SENTENCES: [&str; 6] = [
    "Okay. Right. Um well this is the kick-off meeting for our our project.",
    "Mm-hmm.",
    "So first of all, just to kind of make sure that we all know each other, I'm Laura and I'm the project manager.",
    "Hi, I'm David and I'm supposed to be an industrial designer.",
    "And we need to get the pricing &amp; the <i>cold tier</i> numbers out by Thursday.",
    "Right, okay, we'll that's that's the end of the meeting, then.",
];
const SPEAKERS: [&str; 4] = [
    "Project Manager (B)",
    "Marketing (D)",
    "Industrial Designer (A)",
    "User Interface (C)",
];

fn clock(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn generate(bytes: usize, teams: bool) -> (Vec<u8>, usize) {
    let mut out = String::with_capacity(bytes + 1024);
    out.push_str("WEBVTT\n\n");
    let mut cue = 0usize;
    while out.len() < bytes {
        let (start, end) = (cue as u64 * 2500, cue as u64 * 2500 + 2400);
        // Speakers change every cue but one in three, so merging is exercised too.
        let speaker = SPEAKERS[(cue - cue / 3) % SPEAKERS.len()];
        let text = SENTENCES[cue % SENTENCES.len()];
        let line = if teams {
            format!("<v {speaker}>{text}</v>")
        } else {
            format!("{speaker}: {text}")
        };
        out.push_str(&format!(
            "{}\n{} --> {}\n{line}\n\n",
            cue + 1,
            clock(start),
            clock(end)
        ));
        cue += 1;
    }
    (out.into_bytes(), cue)
}

/// This thread's user + system CPU time in seconds, where Linux's /proc tells it.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Runs `f`, returning its result, wall seconds and CPU seconds.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, Option<f64>) {
    let cpu = cpu_seconds();
    let started = Instant::now();
    let value = f();
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
    (value, wall, cpu)
}

fn speed(mb: f64, wall: f64, cpu: Option<f64>) -> String {
    let cpu = cpu.filter(|&c| c > 0.0).map_or(String::new(), |c| {
        format!(", {:.0} MB/s of CPU time ({c:.2} s)", mb / c)
    });
    format!("{wall:.3} s = {:.0} MB/s wall{cpu}", mb / wall)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let teams = args.iter().any(|a| a == "--teams");
    let megabytes: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(64);
    let (bytes, cues) = generate(megabytes * 1_000_000, teams);
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "input: {mb:.1} MB of {} WebVTT, {cues} cues",
        if teams { "Teams" } else { "Zoom" }
    );

    for run in 1..=3 {
        let (transcript, wall, cpu) =
            timed(|| parse_bytes(&bytes, Path::new("generated.vtt"), None));
        let turns = transcript?.turns.len();
        println!(
            "parse_bytes run {run}: {turns} turns, {}",
            speed(mb, wall, cpu)
        );
    }

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("generated.vtt");
    std::fs::File::create(&path)?.write_all(&bytes)?;
    let (transcript, wall, cpu) = timed(|| read_path(&path, None));
    let turns = transcript?.turns.len();
    println!("read_path:         {turns} turns, {}", speed(mb, wall, cpu));
    Ok(())
}
