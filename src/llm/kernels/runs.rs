//! Cutting a kernel call's rows into *runs*: the number of rows one SIMD kernel takes at
//! once, each with accumulators of its own in registers.
//!
//! A SIMD path writes its kernels for a fixed run (const generic `R`) and lists one
//! instance per run length, `runs[n - 1]` taking `n` rows; these drivers walk the rows in
//! runs of the longest and finish with a shorter one. Every SIMD path shares them, so the
//! walk is written once.

// Raw pointers into the caller's slices, at offsets checked against their lengths.
#![allow(unsafe_code)]

use candle_core::quantized::GgmlDType;

use super::layout::{Activation, CodePanel, CodeRows, Panel, Shape};

/// Decoding, `R` weight rows from `rows` (each `row_bytes` long) times `a`, into
/// `out[..R]`.
pub(super) type RowRun =
    unsafe fn(rows: *const u8, row_bytes: usize, a: &Activation, out: *mut f32);

/// Short batches, one weight row at `row` times `A` activations, into `out[j * stride]`.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // x86 paths only
pub(super) type SharedRun =
    unsafe fn(row: *const u8, row_bytes: usize, acts: &[Activation], out: *mut f32, stride: usize);

/// Prompt batches, `R` activation rows (words and scales from the first of them) times
/// `panel`, into `R` output rows from `c`.
pub(super) type PanelRun =
    unsafe fn(a_words: &[u32], a_scales: &[f32], panel: &Panel, c: *mut f32, shape: Shape);

/// Prompt batches of k-quant codes, `R` activation rows from the first of `a` times
/// `panel`, into `R` output rows from `c`.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // x86 paths only
pub(super) type CodeRun = unsafe fn(a: CodeRows<'_>, panel: &CodePanel, c: *mut f32, shape: Shape);

/// `out[i] = row_i · a` for every row, in runs of `runs.len()` rows.
///
/// # Safety
/// The CPU has the features of the functions in `runs`; `rows` holds `out.len()` rows of
/// `row_bytes` bytes.
pub(super) unsafe fn dot_rows(
    rows: &[u8],
    row_bytes: usize,
    a: &Activation,
    out: &mut [f32],
    runs: &[RowRun],
) {
    debug_assert!(rows.len() >= out.len() * row_bytes);
    let mut first = 0;
    while first < out.len() {
        let n = runs.len().min(out.len() - first);
        let p = rows.as_ptr().add(first * row_bytes);
        runs[n - 1](p, row_bytes, a, out.as_mut_ptr().add(first));
        first += n;
    }
}

/// `out[j * n + i] = row_i · acts[j]` for the `n = out.len() / acts.len()` rows. A path's
/// shared runs for Q4_K and Q6_K are `q4k` and `q6k` (other types have none): the
/// activations go in groups of the table's length, `runs[k - 1]` taking a group of `k` a
/// weight row at a time, or where it is `None`, `single` each activation alone.
///
/// # Safety
/// As [`dot_rows`], for every activation.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // x86 paths only
pub(super) unsafe fn dot_rows_shared(
    rows: &[u8],
    row_bytes: usize,
    acts: &[Activation],
    out: &mut [f32],
    q4k: &[Option<SharedRun>],
    q6k: &[Option<SharedRun>],
    single: super::DotRows,
) {
    let runs = match acts[0].dtype {
        GgmlDType::Q4K => q4k,
        GgmlDType::Q6K => q6k,
        _ => &[None],
    };
    let n = out.len() / acts.len();
    for (group, out) in acts.chunks(runs.len()).zip(out.chunks_mut(runs.len() * n)) {
        let Some(run) = runs[group.len() - 1] else {
            for (a, out) in group.iter().zip(out.chunks_exact_mut(n)) {
                single(rows, row_bytes, a, out);
            }
            continue;
        };
        for i in 0..n {
            run(
                rows.as_ptr().add(i * row_bytes),
                row_bytes,
                group,
                out.as_mut_ptr().add(i),
                n,
            );
        }
    }
}

/// `rows` activation rows times `panel`, in runs of `runs.len()` rows.
///
/// # Safety
/// The CPU has the features of the functions in `runs`; as
/// [`super::Kernels::panel_product`] requires.
pub(super) unsafe fn panel_product(
    a_words: &[u32],
    a_scales: &[f32],
    rows: usize,
    panel: &Panel,
    c: *mut f32,
    shape: Shape,
    runs: &[PanelRun],
) {
    let blocks = shape.blocks();
    let mut r = 0;
    while r < rows {
        let n = runs.len().min(rows - r);
        runs[n - 1](
            &a_words[r * shape.quads..],
            &a_scales[r * blocks..],
            panel,
            c.add(r * shape.stride),
            shape,
        );
        r += n;
    }
}

/// `rows` activation rows times a panel of codes, in runs of `runs.len()` rows.
///
/// # Safety
/// The CPU has the features of the functions in `runs`; as
/// [`super::Kernels::code_product`] requires.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // x86 paths only
pub(super) unsafe fn code_product(
    a: CodeRows<'_>,
    rows: usize,
    panel: &CodePanel,
    c: *mut f32,
    shape: Shape,
    runs: &[CodeRun],
) {
    let mut r = 0;
    while r < rows {
        let n = runs.len().min(rows - r);
        runs[n - 1](
            a.from_row(r, panel.kind, shape),
            panel,
            c.add(r * shape.stride),
            shape,
        );
        r += n;
    }
}
