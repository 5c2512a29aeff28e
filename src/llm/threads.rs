//! The CPU thread count of inference. candle runs its matrix multiplies on rayon's global
//! pool and on its own pools sized from `RAYON_NUM_THREADS` / `CANDLE_NUM_THREADS`, read
//! when they are first used; [`configure`] sets all of them, so it must run before the
//! first model operation.

/// Sizes every pool inference uses to `threads` and returns the count in effect (the
/// global rayon pool can be built only once per process; a later call cannot change it).
pub fn configure(threads: usize) -> usize {
    let threads = threads.max(1);
    let value = threads.to_string();
    std::env::set_var("RAYON_NUM_THREADS", &value);
    std::env::set_var("CANDLE_NUM_THREADS", &value);
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    rayon::current_num_threads()
}
