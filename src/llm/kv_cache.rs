//! The KV cache: for every layer, the attention keys and values of every position fed so
//! far, as f16 rows of `kv_heads * head_dim` values (`[position][kv_head][dim]`), held in
//! pages of [`PAGE`] positions.
//!
//! f16, as llama.cpp keeps its cache by default: half the bytes of f32, which matters
//! twice. Decoding reads the whole cache for every token (at 6,000 positions
//! Qwen2.5-1.5B's f32 cache was 344 MB, a third of the weights' bytes), and a cache and
//! its snapshots are most of the memory a long prompt adds to the weights. Keys and
//! values are rounded once, when they are appended; the loops that read them widen each
//! row back to f32 as they load it.
//!
//! Pages, because a cache that grows never copies what it holds: one vector per layer
//! grew by doubling, and each growth left the old block (the whole cache so far) freed
//! but resident, since recap keeps freed memory for reuse ([`super::alloc`]). Pages are
//! shared behind `Arc`s, so a [`KvSnapshot`] costs no copy either: it keeps the pages it
//! saw, and the cache copies a page only when it writes to one a snapshot also holds
//! (the last, partly filled page, at most [`PAGE`] positions).

use std::sync::Arc;

use half::f16;
use half::slice::HalfFloatSliceExt;

/// Positions per page: a multiple of the cells decode attention cuts the positions into
/// (`attention::CELL`), so that each cell lies in one page.
pub const PAGE: usize = 256;

/// The keys and values of up to [`PAGE`] consecutive positions of one layer.
#[derive(Debug, Clone, Default)]
struct Page {
    keys: Vec<f16>,
    values: Vec<f16>,
}

/// Keys and values of one layer.
#[derive(Debug, Clone)]
pub struct LayerKv {
    /// Values per position: `kv_heads * head_dim`.
    row: usize,
    pages: Vec<Arc<Page>>,
}

impl LayerKv {
    fn new(row: usize) -> Self {
        Self {
            row,
            pages: Vec::new(),
        }
    }

    /// Positions held (including any appended in the current pass).
    pub fn len(&self) -> usize {
        match self.pages.last() {
            Some(last) => (self.pages.len() - 1) * PAGE + last.keys.len() / self.row,
            None => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// The keys and values of positions `lo..hi`, which must lie in one page (no
    /// multiple of [`PAGE`] strictly inside): `(hi - lo) * row()` values each.
    pub fn rows(&self, lo: usize, hi: usize) -> (&[f16], &[f16]) {
        assert!(
            lo <= hi && hi <= self.len(),
            "positions {lo}..{hi} are held"
        );
        let page = &self.pages[lo / PAGE];
        assert!(hi - lo <= PAGE - lo % PAGE, "{lo}..{hi} lies in one page");
        let span = (lo % PAGE) * self.row..(hi - lo + lo % PAGE) * self.row;
        (&page.keys[span.clone()], &page.values[span])
    }

    /// The keys and values of positions `lo..hi`, widened to f32.
    pub fn widen(&self, lo: usize, hi: usize) -> (Vec<f32>, Vec<f32>) {
        let mut keys = vec![0f32; (hi - lo) * self.row];
        let mut values = vec![0f32; keys.len()];
        let mut at = lo;
        while at < hi {
            let end = ((at / PAGE + 1) * PAGE).min(hi);
            let (k, v) = self.rows(at, end);
            let to = (at - lo) * self.row..(end - lo) * self.row;
            k.convert_to_f32_slice(&mut keys[to.clone()]);
            v.convert_to_f32_slice(&mut values[to]);
            at = end;
        }
        (keys, values)
    }

    /// Appends rows (`n * row` values each), rounded to f16.
    fn append(&mut self, mut keys: &[f32], mut values: &[f32]) {
        let row = self.row;
        while !keys.is_empty() {
            if self.len().is_multiple_of(PAGE) {
                self.pages.push(Arc::new(Page {
                    keys: Vec::with_capacity(PAGE * row),
                    values: Vec::with_capacity(PAGE * row),
                }));
            }
            let Some(last) = self.pages.last_mut() else {
                unreachable!("a page was just pushed")
            };
            // Copies the page first if a snapshot holds it too.
            let page = Arc::make_mut(last);
            let take = (PAGE * row - page.keys.len()).min(keys.len());
            for (to, from) in [
                (&mut page.keys, &keys[..take]),
                (&mut page.values, &values[..take]),
            ] {
                let at = to.len();
                to.resize(at + take, f16::ZERO);
                to[at..].convert_from_f32_slice(from);
            }
            keys = &keys[take..];
            values = &values[take..];
        }
    }

    /// Keeps the first `len` positions.
    fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        self.pages.truncate(len.div_ceil(PAGE));
        if !len.is_multiple_of(PAGE) {
            if let Some(last) = self.pages.last_mut() {
                let page = Arc::make_mut(last);
                page.keys.truncate((len % PAGE) * self.row);
                page.values.truncate((len % PAGE) * self.row);
            }
        }
    }
}

/// The cache of every layer, and how many positions it holds.
#[derive(Debug)]
pub struct KvCache {
    layers: Vec<LayerKv>,
    len: usize,
}

/// The state of a [`KvCache`] at one position: the pages it held then, shared.
#[derive(Debug, Clone)]
pub struct KvSnapshot {
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

impl KvCache {
    /// An empty cache for `layers` layers of `row` values per position.
    pub fn new(layers: usize, row: usize) -> Self {
        Self {
            layers: (0..layers).map(|_| LayerKv::new(row)).collect(),
            len: 0,
        }
    }

    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends the keys and values of `n` new positions to `layer` (row-major, `n * row`
    /// values each), rounded to f16. Every layer must be given the same `n` before
    /// [`Self::advance`].
    pub fn append(&mut self, layer: usize, keys: &[f32], values: &[f32]) {
        debug_assert_eq!(keys.len(), values.len());
        let kv = &mut self.layers[layer];
        debug_assert_eq!(kv.len(), self.len);
        kv.append(keys, values);
    }

    /// Marks `n` appended positions as held by every layer.
    pub fn advance(&mut self, n: usize) {
        self.len += n;
    }

    /// Keeps the first `len` positions (at most those held) and drops the rest, with any
    /// positions a failed forward pass appended to some layers only.
    pub fn truncate(&mut self, len: usize) {
        let len = len.min(self.len);
        for kv in &mut self.layers {
            kv.truncate(len);
        }
        self.len = len;
    }

    /// The keys and values of `layer`: `len()` positions (plus any appended in the
    /// current pass).
    pub fn layer(&self, layer: usize) -> &LayerKv {
        &self.layers[layer]
    }

    /// The cache as it is now; later appends do not change it.
    pub fn snapshot(&self) -> KvSnapshot {
        KvSnapshot {
            len: self.len,
            layers: Arc::new(self.layers.clone()),
        }
    }

    /// Returns to the state of `snapshot`.
    pub fn restore(&mut self, snapshot: &KvSnapshot) {
        self.layers.clone_from(&snapshot.layers);
        self.len = snapshot.len;
    }

    /// Empties the cache.
    pub fn reset(&mut self) {
        self.truncate(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f16s(values: &[f32]) -> Vec<f16> {
        values.iter().map(|v| f16::from_f32(*v)).collect()
    }

    fn push(cache: &mut KvCache, value: f32) {
        for layer in 0..2 {
            cache.append(layer, &[value, value], &[-value, -value]);
        }
        cache.advance(1);
    }

    fn keys(cache: &KvCache, layer: usize) -> Vec<f32> {
        let kv = cache.layer(layer);
        kv.widen(0, kv.len()).0
    }

    #[test]
    fn restore_returns_to_the_snapshot_whatever_came_after() {
        let mut cache = KvCache::new(2, 2);
        push(&mut cache, 1.0);
        let one = cache.snapshot();
        push(&mut cache, 2.0);
        let two = cache.snapshot();
        cache.restore(&one);
        assert_eq!(cache.len(), 1);
        assert_eq!(keys(&cache, 1), [1.0, 1.0]);
        // Writing after a restore leaves the snapshots as they were.
        push(&mut cache, 3.0);
        assert_eq!(keys(&cache, 0), [1.0, 1.0, 3.0, 3.0]);
        cache.restore(&two);
        assert_eq!(cache.len(), 2);
        assert_eq!(keys(&cache, 0), [1.0, 1.0, 2.0, 2.0]);
        let (k, v) = cache.layer(0).rows(0, 2);
        assert_eq!(
            (k, v),
            (
                &f16s(&[1.0, 1.0, 2.0, 2.0])[..],
                &f16s(&[-1.0, -1.0, -2.0, -2.0])[..]
            )
        );
        cache.reset();
        assert!(cache.is_empty());
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn pages_fill_in_order_and_share_until_written() {
        let row = 3;
        let n = 2 * PAGE + 5;
        let data: Vec<f32> = (0..n * row).map(|i| (i % 1000) as f32).collect();
        let mut cache = KvCache::new(1, row);
        // Unequal pieces that cross page boundaries.
        for piece in data.chunks(row * (PAGE - 7)) {
            cache.append(0, piece, piece);
            cache.advance(piece.len() / row);
        }
        assert_eq!(cache.len(), n);
        assert_eq!(keys(&cache, 0), data);
        let (k, _) = cache.layer(0).rows(PAGE + 1, PAGE + 3);
        assert_eq!(k, &f16s(&data[(PAGE + 1) * row..(PAGE + 3) * row])[..]);

        let saved = cache.snapshot();
        cache.truncate(PAGE + 2);
        cache.append(0, &[7.0; 3], &[7.0; 3]);
        cache.advance(1);
        assert_eq!(keys(&cache, 0)[(PAGE + 2) * row..], [7.0; 3]);
        cache.restore(&saved);
        assert_eq!(keys(&cache, 0), data);
    }
}
