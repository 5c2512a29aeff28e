//! The KV cache: for every layer, the attention keys and values of every position fed so
//! far, kept as f32 rows of `kv_heads * head_dim` values, one row per position
//! (`[position][kv_head][dim]`), so appending a token is a copy to the end of a vector
//! whose capacity grows by doubling — no concatenation or reallocation per token.
//!
//! A [`KvSnapshot`] is a copy of the cache at one position, shared behind an `Arc` so that
//! clones are free. Restoring the snapshot the cache last came from is a truncation; any
//! other snapshot is copied back in.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Keys and values of one layer.
#[derive(Debug, Clone, Default)]
pub struct LayerKv {
    pub keys: Vec<f32>,
    pub values: Vec<f32>,
}

/// The cache of every layer, and how many positions it holds.
#[derive(Debug)]
pub struct KvCache {
    layers: Vec<LayerKv>,
    /// Values per position and layer: `kv_heads * head_dim`.
    row: usize,
    len: usize,
    /// The snapshot whose positions `0..n` the cache still holds unchanged: `(id, n)`.
    origin: Cell<Option<(u64, usize)>>,
}

/// The state of a [`KvCache`] at one position.
#[derive(Debug, Clone)]
pub struct KvSnapshot {
    id: u64,
    len: usize,
    layers: Arc<Vec<LayerKv>>,
}

impl KvSnapshot {
    /// How many positions the snapshot holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

static NEXT_SNAPSHOT: AtomicU64 = AtomicU64::new(1);

impl KvCache {
    /// An empty cache for `layers` layers of `row` values per position, with room for
    /// `reserve` positions before the first growth.
    pub fn new(layers: usize, row: usize, reserve: usize) -> Self {
        let layers = (0..layers)
            .map(|_| LayerKv {
                keys: Vec::with_capacity(row * reserve),
                values: Vec::with_capacity(row * reserve),
            })
            .collect();
        Self {
            layers,
            row,
            len: 0,
            origin: Cell::new(None),
        }
    }

    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Values per position and layer.
    pub fn row(&self) -> usize {
        self.row
    }

    /// Appends the keys and values of `n` new positions to `layer` (row-major, `n * row`
    /// values each). Every layer must be given the same `n` before [`Self::advance`].
    pub fn append(&mut self, layer: usize, keys: &[f32], values: &[f32]) {
        debug_assert_eq!(keys.len(), values.len());
        let kv = &mut self.layers[layer];
        debug_assert_eq!(kv.keys.len(), self.len * self.row);
        kv.keys.extend_from_slice(keys);
        kv.values.extend_from_slice(values);
    }

    /// Marks `n` appended positions as held by every layer.
    pub fn advance(&mut self, n: usize) {
        self.len += n;
    }

    /// Keeps the first `len` positions (at most those held) and drops the rest, with any
    /// positions a failed forward pass appended to some layers only.
    pub fn truncate(&mut self, len: usize) {
        let len = len.min(self.len);
        let keep = len * self.row;
        for kv in &mut self.layers {
            kv.keys.truncate(keep);
            kv.values.truncate(keep);
        }
        self.len = len;
        if matches!(self.origin.get(), Some((_, n)) if n > len) {
            self.origin.set(None);
        }
    }

    /// The keys and values of `layer`, `len() * row()` values each (plus any appended
    /// in the current pass).
    pub fn layer(&self, layer: usize) -> &LayerKv {
        &self.layers[layer]
    }

    /// Copies the cache.
    pub fn snapshot(&self) -> KvSnapshot {
        let id = NEXT_SNAPSHOT.fetch_add(1, Ordering::Relaxed);
        let keep = self.len * self.row;
        let layers = self
            .layers
            .iter()
            .map(|kv| LayerKv {
                keys: kv.keys[..keep].to_vec(),
                values: kv.values[..keep].to_vec(),
            })
            .collect();
        self.origin.set(Some((id, self.len)));
        KvSnapshot {
            id,
            len: self.len,
            layers: Arc::new(layers),
        }
    }

    /// Returns to the state of `snapshot`.
    pub fn restore(&mut self, snapshot: &KvSnapshot) {
        let keep = snapshot.len * self.row;
        let unchanged = matches!(self.origin.get(), Some((id, n)) if id == snapshot.id && n == snapshot.len)
            && self.len >= snapshot.len;
        if unchanged {
            for kv in &mut self.layers {
                kv.keys.truncate(keep);
                kv.values.truncate(keep);
            }
        } else {
            for (kv, saved) in self.layers.iter_mut().zip(snapshot.layers.iter()) {
                kv.keys.clear();
                kv.keys.extend_from_slice(&saved.keys);
                kv.values.clear();
                kv.values.extend_from_slice(&saved.values);
            }
        }
        self.len = snapshot.len;
        self.origin.set(Some((snapshot.id, snapshot.len)));
    }

    /// Empties the cache, keeping its memory.
    pub fn reset(&mut self) {
        for kv in &mut self.layers {
            kv.keys.clear();
            kv.values.clear();
        }
        self.len = 0;
        self.origin.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(cache: &mut KvCache, value: f32) {
        for layer in 0..2 {
            cache.append(layer, &[value, value], &[-value, -value]);
        }
        cache.advance(1);
    }

    #[test]
    fn restore_truncates_or_copies() {
        let mut cache = KvCache::new(2, 2, 4);
        push(&mut cache, 1.0);
        let one = cache.snapshot();
        push(&mut cache, 2.0);
        let two = cache.snapshot();
        cache.restore(&one);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.layer(1).keys, [1.0, 1.0]);
        push(&mut cache, 3.0);
        cache.restore(&two);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.layer(0).keys, [1.0, 1.0, 2.0, 2.0]);
        assert_eq!(cache.layer(0).values, [-1.0, -1.0, -2.0, -2.0]);
        cache.reset();
        assert!(cache.is_empty());
        assert_eq!(two.len(), 2);
    }
}
