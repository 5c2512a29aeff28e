//! The CPU thread count of inference. candle runs its matrix multiplies on rayon's global
//! pool and on its own pools sized from `RAYON_NUM_THREADS` / `CANDLE_NUM_THREADS`, read
//! when they are first used; [`configure`] sets all of them, so it must run before the
//! first model operation.
//!
//! candle's pool spins while it waits for its workers. On a quiet machine that is what
//! makes decoding fast: measured here with 2 threads, SmolLM2 decodes 59 tok/s with the
//! spin and 37 without, Qwen2.5-Coder-1.5B 9.0 and 7.6. When another program holds a core,
//! a spinning waiter burns the time slice its worker needs: SmolLM2 fell to 4 tok/s with
//! the spin and ran at 19 without. So [`configure`] looks at the machine for a moment and
//! turns the spin off when other programs are busy, unless
//! `CANDLE_BARRIER_POOL_SPIN_LIMIT` is set in the environment.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The environment variable that bounds candle's spin-wait.
const SPIN_LIMIT: &str = "CANDLE_BARRIER_POOL_SPIN_LIMIT";

/// How long [`configure`] watches the machine.
const SAMPLE: Duration = Duration::from_millis(100);

/// Other programs using more than this many cores make the machine busy.
const BUSY_CORES: f64 = 0.3;

/// Sizes every pool inference uses to `threads` and returns the count in effect (the
/// global rayon pool can be built only once per process; a later call cannot change it).
pub fn configure(threads: usize) -> usize {
    let threads = threads.max(1);
    let value = threads.to_string();
    std::env::set_var("RAYON_NUM_THREADS", &value);
    std::env::set_var("CANDLE_NUM_THREADS", &value);
    if std::env::var_os(SPIN_LIMIT).is_none() && other_programs_busy() {
        std::env::set_var(SPIN_LIMIT, "0");
    }
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    rayon::current_num_threads()
}

/// Whether other programs kept more than [`BUSY_CORES`] busy over a short sample (false
/// where the machine's counters cannot be read).
fn other_programs_busy() -> bool {
    let (start, machine, own) = (Instant::now(), machine_busy_seconds(), cpu_seconds());
    std::thread::sleep(SAMPLE);
    let others = machine_busy_seconds() - machine - (cpu_seconds() - own);
    others > BUSY_CORES * start.elapsed().as_secs_f64()
}

/// Calls `f(i, piece)` for every piece `i` of `data` cut `len` long (the last may be
/// shorter), spread over candle's pool: the one the matrix products use, so no second set
/// of threads competes with its spinning workers for the cores.
pub fn for_each_piece<T: Send>(data: &mut [T], len: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    assert!(len > 0, "pieces are at least one element long");
    let (total, pieces) = (data.len(), data.len().div_ceil(len));
    let base = data.as_mut_ptr() as usize;
    candle_core::utils::barrier_pool().execute_chunked(pieces, |range| {
        for i in range {
            let (lo, hi) = (i * len, ((i + 1) * len).min(total));
            // SAFETY: the pool hands each index to one task, pieces do not overlap, and
            // all lie inside `data`, which stays borrowed until every task is done.
            #[allow(unsafe_code)]
            let piece =
                unsafe { std::slice::from_raw_parts_mut((base as *mut T).add(lo), hi - lo) };
            f(i, piece);
        }
    });
}

/// As [`for_each_piece`], and returns what `f` gives for each piece, in order.
pub fn map_pieces<T: Send, R: Send + Sync>(
    data: &mut [T],
    len: usize,
    f: impl Fn(usize, &mut [T]) -> R + Sync,
) -> Vec<R> {
    let slots: Vec<OnceLock<R>> = (0..data.len().div_ceil(len.max(1)))
        .map(|_| OnceLock::new())
        .collect();
    for_each_piece(data, len, |i, piece| {
        let _ = slots[i].set(f(i, piece));
    });
    slots
        .into_iter()
        .map(|slot| slot.into_inner().expect("every piece ran"))
        .collect()
}

/// Rows per piece when work on `width`-wide rows is spread over the pool: pieces of about
/// 64 K values, enough pieces for the threads to share evenly, few enough that handing
/// them out costs nothing measurable.
pub fn rows_per_piece(width: usize) -> usize {
    ((1 << 16) / width.max(1)).max(1)
}

/// CPU time every core of the machine has spent busy (not idle or waiting for I/O), in
/// seconds, from `/proc/stat`; 0 where unknown.
pub fn machine_busy_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0.0;
    };
    // user nice system idle iowait irq softirq steal ..., in ticks of 1/100 s.
    let ticks: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum::<f64>()
        / 100.0
}

/// CPU time (user + system) this process has used, in seconds; 0 where unknown.
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at field 3; utime and
    // stime are fields 14 and 15, in clock ticks of 1/100 s.
    let Some(rest) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_piece_is_visited_once() {
        let mut data = vec![0u32; 1000];
        for_each_piece(&mut data, 64, |i, piece| {
            for (j, v) in piece.iter_mut().enumerate() {
                *v += (i * 64 + j) as u32 + 1;
            }
        });
        assert!(data.iter().enumerate().all(|(k, &v)| v == k as u32 + 1));
    }

    #[test]
    fn cpu_time_of_the_process_and_the_machine_grows_with_work() {
        let (own, machine) = (cpu_seconds(), machine_busy_seconds());
        let mut x = 0u64;
        let start = Instant::now();
        while start.elapsed().as_millis() < 300 {
            x = x.wrapping_mul(31).wrapping_add(std::hint::black_box(7));
        }
        std::hint::black_box(x);
        let own = cpu_seconds() - own;
        assert!(own > 0.1, "no CPU time counted: {own}");
        // Every tick of this process is a busy tick of the machine.
        assert!(machine_busy_seconds() - machine >= own - 0.05);
    }
}
