//! recap's compute kernels, one file per instruction set, behind one dispatch table.
//!
//! A *path* is an instruction set the kernels are written for: [`KernelPath::Generic`]
//! (portable scalar Rust, the reference every other path is tested against and the last
//! resort), [`KernelPath::Avx2`] (x86-64 AVX2 + FMA, int8 products through
//! `vpmaddubsw`/`vpmaddwd`), [`KernelPath::AvxVnni`] (the same with AVX-VNNI's 256-bit
//! `vpdpbusd`), [`KernelPath::Avx512`] (AVX-512 VNNI), [`KernelPath::Amx`] (AVX-512 VNNI
//! with prompt batches on AMX tiles) and [`KernelPath::Neon`] (aarch64
//! NEON with the dot-product extension's `sdot`). A path's [`Kernels`] table holds its
//! functions for every hot loop of inference:
//!
//! - decoding: rows of a GGUF weight, in the file's own blocks, times one activation row
//!   quantized to bytes ([`layout::Activation`]); driven by [`super::gemv`];
//! - prompt batches: an int8 panel of weights times several activation rows
//!   ([`layout::Panel`]); driven by [`super::int8_gemm`];
//! - attention over cached rows (scores and weighted sums) and the softmax's exponentials.
//!
//! The path is chosen once, at the first use, from what the CPU reports at run time
//! (`is_x86_feature_detected!`, `is_aarch64_feature_detected!`), not from the flags the
//! binary was built with: the SIMD functions carry `#[target_feature(enable = ...)]`, so
//! one binary runs at full speed on any x86-64 (or aarch64) CPU, and a table is handed out
//! only where its features exist. `RECAP_KERNELS=generic|avx2|avxvnni|avx512|amx|neon` forces
//! a path; [`select`] refuses one the CPU lacks.
//!
//! The AVX2 and AVX-VNNI paths share their int8 kernels' code ([`simd256`], generated for
//! each path's products), and every SIMD path cuts its calls into runs of rows the same
//! way ([`runs`]).

// The tables hold `unsafe fn`s: calling one is sound only where the CPU has the path's
// features, which `Kernels::for_path` checks before handing a table out.
#![allow(unsafe_code)]

use std::fmt;
use std::sync::OnceLock;

use half::f16;

pub mod layout;

mod generic;
mod runs;

#[cfg(target_arch = "x86_64")]
mod amx;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod avxvnni;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "x86_64")]
mod simd256;

#[cfg(test)]
mod tests;

use layout::{Activation, CodePanel, CodeRows, Panel, Shape};

/// The environment variable that forces a path.
pub const ENV: &str = "RECAP_KERNELS";

/// An instruction set recap's kernels are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KernelPath {
    /// Portable scalar code: the reference, and the path of CPUs without a SIMD path.
    Generic,
    /// x86-64 AVX2 + FMA + F16C (Intel since 2013, AMD since 2015).
    Avx2,
    /// x86-64 AVX-VNNI beside AVX2 (Intel since Alder Lake, AMD since Zen 5).
    AvxVnni,
    /// x86-64 AVX-512 F/BW/VNNI (Intel Xeon since Cascade Lake, AMD Zen 4).
    Avx512,
    /// The AVX-512 path with prompt batches on AMX tiles (Intel Xeon since Sapphire
    /// Rapids).
    Amx,
    /// aarch64 NEON with the dot-product extension (Apple M1, Graviton 2, Cortex-A76 on).
    Neon,
}

impl KernelPath {
    /// Every path, slowest first within an architecture.
    pub const ALL: [KernelPath; 6] = [
        Self::Generic,
        Self::Avx2,
        Self::AvxVnni,
        Self::Avx512,
        Self::Amx,
        Self::Neon,
    ];

    /// The name `RECAP_KERNELS` takes and `recap bench` prints.
    pub fn name(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Avx2 => "avx2",
            Self::AvxVnni => "avxvnni",
            Self::Avx512 => "avx512",
            Self::Amx => "amx",
            Self::Neon => "neon",
        }
    }

    /// The path named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether this CPU can run the path.
    pub fn available(self) -> bool {
        match self {
            Self::Generic => true,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => {
                is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
                    && is_x86_feature_detected!("f16c")
            }
            #[cfg(target_arch = "x86_64")]
            Self::AvxVnni => Self::Avx2.available() && is_x86_feature_detected!("avxvnni"),
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => {
                // The AVX-512 table reuses AVX2 kernels where it has none of its own.
                Self::Avx2.available()
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(target_arch = "x86_64")]
            Self::Amx => Self::Avx512.available() && amx::available(),
            // Linux on aarch64 always has NEON; `sdot` is the extension.
            #[cfg(target_arch = "aarch64")]
            Self::Neon => std::arch::is_aarch64_feature_detected!("dotprod"),
            // The other architecture's paths.
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Every path's name, slowest first, comma-separated.
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// The paths this CPU can run, slowest first.
    pub fn available_paths() -> Vec<KernelPath> {
        Self::ALL.into_iter().filter(|p| p.available()).collect()
    }

    /// The fastest path this CPU can run: AMX, else AVX-512, else AVX-VNNI, else AVX2, else generic
    /// on x86-64; NEON, else generic, on aarch64.
    pub fn best() -> Self {
        *Self::available_paths()
            .last()
            .expect("the generic path always runs")
    }
}

impl fmt::Display for KernelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the CPU reports AMX-TILE and AMX-INT8 (CPUID), whatever the operating system
/// allows: where it does, the tests expect the AMX path.
#[cfg(target_arch = "x86_64")]
pub fn cpu_reports_amx() -> bool {
    amx::cpu_reports_amx()
}

/// Why `RECAP_KERNELS` could not be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    #[error(
        "RECAP_KERNELS={0:?} is not a kernel path\nhint: use one of {names}, or unset it to pick the fastest this CPU runs",
        names = KernelPath::names()
    )]
    Unknown(String),
    #[error(
        "RECAP_KERNELS={path} asks for kernels this CPU cannot run\nhint: this CPU runs {runs}; unset RECAP_KERNELS to pick the fastest"
    )]
    Unsupported { path: KernelPath, runs: String },
}

/// The path `value` (the content of `RECAP_KERNELS`, if set) asks for on this CPU.
pub fn resolve(value: Option<&str>) -> Result<KernelPath, KernelError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(KernelPath::best());
    };
    let path = KernelPath::from_name(value).ok_or_else(|| KernelError::Unknown(value.into()))?;
    if !path.available() {
        let runs = KernelPath::available_paths()
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(KernelError::Unsupported { path, runs });
    }
    Ok(path)
}

static ACTIVE: OnceLock<Result<&'static Kernels, KernelError>> = OnceLock::new();

/// Chooses the kernels once for the process, from `RECAP_KERNELS` and the CPU; later calls
/// return the same choice. The binary calls it at start-up so that a refused path is
/// reported before any work.
pub fn select() -> Result<&'static Kernels, KernelError> {
    ACTIVE
        .get_or_init(|| {
            let value = std::env::var(ENV).ok();
            resolve(value.as_deref()).map(Kernels::for_path)
        })
        .clone()
}

/// The kernels in use. Where `RECAP_KERNELS` was refused (and the caller did not stop at
/// [`select`]'s error) this is the fastest path the CPU runs.
pub fn active() -> &'static Kernels {
    select().unwrap_or_else(|_| Kernels::for_path(KernelPath::best()))
}

/// Decoding: `out[i] = row_i · x` for the first `out.len()` rows of `rows` (each
/// `row_bytes` long, blocks of `a.dtype`), with `x` quantized as `a`.
pub type DotRows = unsafe fn(rows: &[u8], row_bytes: usize, a: &Activation, out: &mut [f32]);

/// Short batches: `out[j * n + i] = row_i · x_j` for every activation `acts[j]` (all of one
/// type and width) and the first `n = out.len() / acts.len()` rows of `rows`, each weight
/// block unpacked once for all the activations. The values are [`DotRows`]'s, bit for bit.
pub type DotRowsShared =
    unsafe fn(rows: &[u8], row_bytes: usize, acts: &[Activation], out: &mut [f32]);

/// Prompt batches: `rows` activation rows (`a_words`, `a_scales`) times one packed panel,
/// written to the first `shape.cols` columns of `rows` output rows from `c`, `shape.stride`
/// apart.
pub type PanelProduct = unsafe fn(
    a_words: &[u32],
    a_scales: &[f32],
    rows: usize,
    panel: &Panel,
    c: *mut f32,
    shape: Shape,
);

/// Prompt batches of a k-quant weight in its own codes: `rows` activation rows times one
/// [`CodePanel`], written as in [`PanelProduct`].
pub type CodeProduct =
    unsafe fn(a: CodeRows<'_>, rows: usize, panel: &CodePanel, c: *mut f32, shape: Shape);

/// See [`super::cache_rows::scores`].
pub type Scores =
    unsafe fn(queries: &[f32], d: usize, keys: &[f16], stride: usize, scale: f32, out: &mut [f32]);

/// See [`super::cache_rows::weighted_sums`].
pub type WeightedSums =
    unsafe fn(weights: &[f32], n: usize, values: &[f16], stride: usize, out: &mut [f32]);

/// See [`super::ops::exp_sum`].
pub type ExpSum = unsafe fn(row: &mut [f32], scale: f32, shift: f32) -> f32;

/// See [`layout::quantize_block`]: the same function, compiled with the path's features.
pub type QuantizeBlock = unsafe fn(block: &[f32], out: &mut [i8]) -> f32;

/// One path's functions: the dispatch table.
#[derive(Debug)]
pub struct Kernels {
    pub path: KernelPath,
    /// Whether the int8 GEMM is the fastest way to multiply prompt batches here. The
    /// generic path's scalar GEMM is a reference; a dequantized f32 GEMM (vectorized by
    /// the compiler) beats it.
    pub int8_gemm_fast: bool,
    dot_rows: DotRows,
    /// Where the path has one: without it, [`Self::dot_rows_shared`] runs [`DotRows`] once
    /// per activation, unpacking every block again for each.
    dot_rows_shared: Option<DotRowsShared>,
    panel_product: PanelProduct,
    /// Where the path multiplies k-quant codes as they are (AVX2, whose byte products
    /// cost twice AVX-512's), and the generic reference of that product.
    code_product: Option<CodeProduct>,
    scores: Scores,
    weighted_sums: WeightedSums,
    exp_sum: ExpSum,
    quantize_block: QuantizeBlock,
}

impl Kernels {
    /// The table of `path`.
    ///
    /// # Panics
    /// If the CPU cannot run `path`: handing its table out would make every call unsound.
    pub fn for_path(path: KernelPath) -> &'static Kernels {
        assert!(path.available(), "this CPU cannot run the {path} kernels");
        match path {
            KernelPath::Generic => &generic::KERNELS,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2 => &avx2::KERNELS,
            #[cfg(target_arch = "x86_64")]
            KernelPath::AvxVnni => &avxvnni::KERNELS,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 => &avx512::KERNELS,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Amx => &amx::KERNELS,
            #[cfg(target_arch = "aarch64")]
            KernelPath::Neon if neon::has_i8mm() => &neon::KERNELS_I8MM,
            #[cfg(target_arch = "aarch64")]
            KernelPath::Neon => &neon::KERNELS,
            #[allow(unreachable_patterns)]
            _ => unreachable!("checked by available()"),
        }
    }

    /// See [`DotRows`]. `rows` must hold `out.len()` rows of whole blocks, as many values
    /// as `a`.
    pub fn dot_rows(&self, rows: &[u8], row_bytes: usize, a: &Activation, out: &mut [f32]) {
        assert!(
            rows.len() >= out.len() * row_bytes,
            "rows hold every output"
        );
        assert_eq!(row_bytes, a.row_bytes(), "rows as wide as the activation");
        // SAFETY: the table exists only where the CPU has its features (`for_path`); the
        // geometry was checked above.
        unsafe { (self.dot_rows)(rows, row_bytes, a, out) }
    }

    /// See [`DotRowsShared`]. `rows` must hold `out.len() / acts.len()` rows of whole
    /// blocks, as many values as each activation.
    pub fn dot_rows_shared(
        &self,
        rows: &[u8],
        row_bytes: usize,
        acts: &[Activation],
        out: &mut [f32],
    ) {
        let Some(first) = acts.first() else {
            return;
        };
        let n = out.len() / acts.len();
        assert_eq!(n * acts.len(), out.len(), "a row of outputs per activation");
        assert!(
            acts.iter()
                .all(|a| a.dtype == first.dtype && a.len() == first.len()),
            "activations of one type and width"
        );
        let Some(shared) = self.dot_rows_shared else {
            for (a, out) in acts.iter().zip(out.chunks_exact_mut(n)) {
                self.dot_rows(rows, row_bytes, a, out);
            }
            return;
        };
        assert!(rows.len() >= n * row_bytes, "rows hold every output");
        assert_eq!(
            row_bytes,
            first.row_bytes(),
            "rows as wide as the activations"
        );
        // SAFETY: as in `dot_rows`.
        unsafe { shared(rows, row_bytes, acts, out) }
    }

    /// See [`PanelProduct`].
    ///
    /// # Safety
    /// `c` points at `rows` output rows of `shape.stride` floats, of which columns
    /// `0..shape.cols` are this caller's to write; `a_words`/`a_scales` hold `rows` rows.
    pub unsafe fn panel_product(
        &self,
        a_words: &[u32],
        a_scales: &[f32],
        rows: usize,
        panel: &Panel,
        c: *mut f32,
        shape: Shape,
    ) {
        assert!(a_words.len() >= rows * shape.quads);
        assert!(a_scales.len() >= rows * shape.blocks());
        (self.panel_product)(a_words, a_scales, rows, panel, c, shape)
    }

    /// Whether prompt batches of `dtype` go through [`Self::code_product`].
    pub fn reads_codes(&self, dtype: candle_core::quantized::GgmlDType) -> bool {
        self.code_product.is_some() && layout::CodeKind::of(dtype).is_some()
    }

    /// See [`CodeProduct`].
    ///
    /// # Safety
    /// As [`Self::panel_product`]; `a` holds `rows` rows.
    ///
    /// # Panics
    /// If the path has no code product: callers check [`Self::reads_codes`].
    pub unsafe fn code_product(
        &self,
        a: CodeRows<'_>,
        rows: usize,
        panel: &CodePanel,
        c: *mut f32,
        shape: Shape,
    ) {
        let blocks = shape.blocks();
        assert!(a.words.len() >= rows * shape.quads);
        assert!(a.scales.len() >= rows * blocks);
        assert!(a.sums.len() >= rows * blocks * panel.kind.subs() / 2);
        assert_eq!(shape.block_quads * 4, layout::QK_K, "k-quant blocks");
        let product = self.code_product.expect("checked by reads_codes()");
        product(a, rows, panel, c, shape)
    }

    pub fn scores(
        &self,
        queries: &[f32],
        d: usize,
        keys: &[f16],
        stride: usize,
        scale: f32,
        out: &mut [f32],
    ) {
        let heads = queries.len() / d;
        let n = out.len() / heads.max(1);
        assert_eq!(heads * d, queries.len());
        assert_eq!(heads * n, out.len());
        assert!(
            n == 0 || keys.len() >= (n - 1) * stride + d,
            "keys hold every position"
        );
        // SAFETY: as in `dot_rows`; every row the kernels read lies in `keys`.
        unsafe { (self.scores)(queries, d, keys, stride, scale, out) }
    }

    pub fn weighted_sums(
        &self,
        weights: &[f32],
        n: usize,
        values: &[f16],
        stride: usize,
        out: &mut [f32],
    ) {
        let heads = weights.len() / n.max(1);
        let d = out.len() / heads.max(1);
        assert_eq!(heads * n, weights.len());
        assert_eq!(heads * d, out.len());
        assert!(
            n == 0 || values.len() >= (n - 1) * stride + d,
            "values hold every position"
        );
        // SAFETY: as in `scores`.
        unsafe { (self.weighted_sums)(weights, n, values, stride, out) }
    }

    /// Whether prompt attention runs on bf16 tiles: the AMX path, where the CPU has
    /// AMX-BF16 (see [`super::tile_attention`]).
    pub fn bf16_tiles(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        if self.path == KernelPath::Amx {
            return amx::bf16_available();
        }
        false
    }

    /// `out[r * out_stride + j] = q_r · k_j` for the rows of `q` (bf16, `d` a row) and `n`
    /// keys packed as [`super::tile_attention`] lays them out.
    ///
    /// # Panics
    /// Where [`Self::bf16_tiles`] does not hold, or the geometry is not the tiles': rows a
    /// multiple of 16, `d` and `n` of 64.
    pub fn bf16_scores(
        &self,
        q: &[u16],
        d: usize,
        keys: &[u16],
        n: usize,
        out: &mut [f32],
        out_stride: usize,
    ) {
        assert!(self.bf16_tiles(), "bf16 tiles on this path and CPU");
        let rows = q.len() / d;
        assert!(
            rows * d == q.len()
                && rows.is_multiple_of(16)
                && d.is_multiple_of(64)
                && n.is_multiple_of(64)
        );
        assert!(keys.len() >= n * d && out_stride >= n && out.len() >= rows * out_stride);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AMX-BF16 and grants the tiles (`bf16_tiles`); every read
        // and write lies in the slices checked above.
        unsafe {
            amx::bf16_scores(
                q.as_ptr(),
                rows,
                d,
                keys.as_ptr(),
                n,
                out.as_mut_ptr(),
                out_stride,
            )
        }
    }

    /// `acc[r * d + j] += Σ_k p[r * p_stride + k] · v_k[j]` for the rows of `acc`, `n`
    /// bf16 weights a row and `n` values packed as [`super::tile_attention`] lays them
    /// out.
    ///
    /// # Panics
    /// As [`Self::bf16_scores`], but `n` a multiple of 32.
    pub fn bf16_accumulate(
        &self,
        p: &[u16],
        p_stride: usize,
        n: usize,
        values: &[u16],
        d: usize,
        acc: &mut [f32],
    ) {
        assert!(self.bf16_tiles(), "bf16 tiles on this path and CPU");
        let rows = acc.len() / d;
        assert!(
            rows * d == acc.len()
                && rows.is_multiple_of(16)
                && d.is_multiple_of(64)
                && n.is_multiple_of(32)
        );
        assert!(p_stride >= n && p.len() >= rows * p_stride && values.len() >= n * d);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `bf16_scores`.
        unsafe {
            amx::bf16_accumulate(
                p.as_ptr(),
                p_stride,
                rows,
                n,
                values.as_ptr(),
                d,
                acc.as_mut_ptr(),
            )
        }
    }

    pub fn exp_sum(&self, row: &mut [f32], scale: f32, shift: f32) -> f32 {
        // SAFETY: as in `dot_rows`.
        unsafe { (self.exp_sum)(row, scale, shift) }
    }

    /// [`layout::quantize_block`] on this path: the same bytes and scale, vectorized for
    /// its instruction set (prompt batches round every activation row to bytes).
    pub fn quantize_block(&self, block: &[f32], out: &mut [i8]) -> f32 {
        assert!(out.len() >= block.len(), "a byte for every value");
        // SAFETY: as in `dot_rows`.
        unsafe { (self.quantize_block)(block, out) }
    }
}
