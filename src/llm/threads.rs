//! The CPU thread count of inference. candle runs its matrix multiplies on rayon's global
//! pool and on its own pools sized from `RAYON_NUM_THREADS` / `CANDLE_NUM_THREADS`, read
//! when they are first used; [`configure`] sets all of them, so it must run before the
//! first model operation.
//!
//! candle's decode pool spins while it waits for its workers. When another program holds
//! the other core, a spinning waiter burns the time slice its worker needs: measured on a
//! busy 2-core machine, SmolLM2 decode with 2 threads fell to 4 tok/s (10.7 with a short
//! spin, 19 with none). So the spin is turned off unless `CANDLE_BARRIER_POOL_SPIN_LIMIT`
//! is set in the environment.

/// The environment variable that bounds candle's spin-wait.
const SPIN_LIMIT: &str = "CANDLE_BARRIER_POOL_SPIN_LIMIT";

/// Sizes every pool inference uses to `threads` and returns the count in effect (the
/// global rayon pool can be built only once per process; a later call cannot change it).
pub fn configure(threads: usize) -> usize {
    let threads = threads.max(1);
    let value = threads.to_string();
    std::env::set_var("RAYON_NUM_THREADS", &value);
    std::env::set_var("CANDLE_NUM_THREADS", &value);
    if std::env::var_os(SPIN_LIMIT).is_none() {
        std::env::set_var(SPIN_LIMIT, "0");
    }
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    rayon::current_num_threads()
}
