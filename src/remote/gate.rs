//! The limit on requests in flight. Every request to the server passes through one
//! [`Gate`] shared by all the threads of a run (files and chunks alike), so `--jobs N`
//! means at most N requests at the server at once, however the work is split. The gate
//! remembers the most it ever let through, which the run reports.

use std::sync::{Condvar, Mutex};

/// A counting semaphore with a high-water mark.
#[derive(Debug)]
pub struct Gate {
    limit: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    peak: usize,
}

/// One request's place in the gate, given back when dropped.
#[derive(Debug)]
pub struct Permit<'a>(&'a Gate);

impl Gate {
    /// A gate letting `limit` requests through at once (at least one).
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            state: Mutex::default(),
            freed: Condvar::new(),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Waits for a free place.
    pub fn enter(&self) -> Permit<'_> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.in_flight >= self.limit {
            state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.in_flight += 1;
        state.peak = state.peak.max(state.in_flight);
        Permit(self)
    }

    /// The most requests that were ever in flight at once.
    pub fn peak(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).peak
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
        state.in_flight -= 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn never_lets_more_than_the_limit_through() {
        let gate = Gate::new(3);
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..12 {
                s.spawn(|| {
                    for _ in 0..5 {
                        let _permit = gate.enter();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(2));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= gate.peak());
        assert_eq!(gate.peak(), 3, "12 threads never filled the gate");
    }

    #[test]
    fn a_zero_limit_is_one() {
        let gate = Gate::new(0);
        assert_eq!(gate.limit(), 1);
        drop(gate.enter());
        assert_eq!(gate.peak(), 1);
    }
}
