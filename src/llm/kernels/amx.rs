//! The AMX path (Intel Xeon since Sapphire Rapids): the AVX-512 VNNI path, with prompt
//! batches on AMX tiles.
//!
//! AMX adds eight tile registers of 16 rows by 64 bytes and `tdpbusd`, which multiplies
//! a tile of 16 rows of unsigned bytes by a tile of 16 rows of signed bytes laid out four
//! per column (the layout of a [`Panel`], whose words are each column's four bytes) and
//! adds the 16 x 16 sums of four products into a tile of i32: 16,384 byte products per
//! instruction, where `vpdpbusd` forms 64. The int8 GEMM's operands are already what it
//! wants: activations stored plus 128 (unsigned), panels of signed bytes with their
//! offsets, so the integers are the AVX-512 kernel's, and so are the outputs.
//!
//! A call takes 16 activation rows at a time against the panel's 64 columns: four
//! accumulator tiles, one activation tile, and the weight tiles in turn. A scale block
//! must span whole tiles (64 values: the k-quants' 256 do; the 32-value types do not),
//! and a batch of fewer than 16 rows has nothing to fill a tile with: both take the
//! AVX-512 kernel, as do the rows left after the last whole tile. Decoding, attention and
//! `exp` are the AVX-512 path's.
//!
//! Linux hands tile registers to a process only when it asks (`arch_prctl`), so the path
//! is available where the CPU reports AMX-TILE and AMX-INT8 and the kernel grants them.
//! Each call loads the tile configuration and, when done, puts back the thread's earlier
//! one or releases the tiles ([`Tiles`]), so a thread that is not multiplying carries no
//! tile state of ours through context switches, and candle's own tile code finds its
//! configuration where it left it.

// Tile instructions through inline assembly (Rust's AMX intrinsics are not stable), over
// the slices whose geometry the dispatch table's callers checked.
#![allow(unsafe_code)]

use std::arch::asm;
use std::arch::x86_64::*;
use std::sync::OnceLock;

use super::layout::{Panel, Shape, PANEL};
use super::{avx512, KernelPath, Kernels};

pub(super) static KERNELS: Kernels = Kernels {
    path: KernelPath::Amx,
    int8_gemm_fast: true,
    dot_rows: avx512::dot_rows,
    dot_rows_shared: Some(avx512::dot_rows_shared),
    panel_product,
    code_product: None,
    scores: avx512::scores,
    weighted_sums: avx512::weighted_sums,
    exp_sum: avx512::exp_sum,
    quantize_block: avx512::quantize_block,
};

/// Rows of a tile: activation rows per step.
const TILE_ROWS: usize = 16;

/// Words (four bytes) in a tile's row: the inputs one `tdpbusd` sums over, by fours.
const TILE_QUADS: usize = 16;

/// Whether this CPU has AMX-INT8 and the operating system lets the process use the
/// tiles; asked once.
pub(super) fn available() -> bool {
    static GRANTED: OnceLock<bool> = OnceLock::new();
    *GRANTED.get_or_init(|| cpu_reports_amx() && os_enables_tiles() && tiles_granted())
}

/// CPUID leaf 7: AMX-TILE (EDX bit 24) and AMX-INT8 (bit 25).
pub(super) fn cpu_reports_amx() -> bool {
    leaf7_edx() >> 24 & 1 == 1 && leaf7_edx() >> 25 & 1 == 1
}

/// Whether the tiles also multiply bf16 (AMX-BF16, CPUID leaf 7 EDX bit 22): every CPU
/// with AMX so far has it, but it is a feature of its own.
pub(super) fn bf16_available() -> bool {
    // Asked per attention call: CPUID once (it traps to the hypervisor in a VM).
    static BF16: OnceLock<bool> = OnceLock::new();
    *BF16.get_or_init(|| available() && leaf7_edx() >> 22 & 1 == 1)
}

fn leaf7_edx() -> u32 {
    if __cpuid(0).eax < 7 {
        return 0;
    }
    __cpuid_count(7, 0).edx
}

/// Whether the OS saves the tile state (XCR0 bits 17 and 18), read with `xgetbv` where
/// OSXSAVE (CPUID leaf 1, ECX bit 27) says it may be.
fn os_enables_tiles() -> bool {
    if __cpuid(1).ecx >> 27 & 1 == 0 {
        return false;
    }
    let (lo, _hi): (u32, u32);
    // SAFETY: `xgetbv` with ECX = 0 reads XCR0; OSXSAVE was checked above.
    unsafe {
        asm!("xgetbv", in("ecx") 0u32, out("eax") lo, out("edx") _hi, options(nomem, nostack));
    }
    lo >> 17 & 3 == 3
}

/// Asks Linux for the tile data state (`arch_prctl(ARCH_REQ_XCOMP_PERM,
/// XFEATURE_XTILEDATA)`), which it grants per process; a kernel before 5.16 refuses.
#[cfg(target_os = "linux")]
fn tiles_granted() -> bool {
    const SYS_ARCH_PRCTL: i64 = 158;
    const ARCH_REQ_XCOMP_PERM: i64 = 0x1023;
    const XFEATURE_XTILEDATA: i64 = 18;
    let rc: i64;
    // SAFETY: a system call that changes no memory of the process; `syscall` clobbers
    // RCX and R11.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") SYS_ARCH_PRCTL => rc,
            in("rdi") ARCH_REQ_XCOMP_PERM,
            in("rsi") XFEATURE_XTILEDATA,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn tiles_granted() -> bool {
    false
}

/// `ldtilecfg`'s 64-byte operand: palette 1, every tile used here 16 rows of 64 bytes.
#[repr(C, align(64))]
struct TileConfig {
    palette: u8,
    start_row: u8,
    reserved: [u8; 14],
    bytes_per_row: [u16; 16],
    rows: [u8; 16],
}

/// Tiles 0-3 accumulate, 4 holds activations, 5-7 weights.
static CONFIG: TileConfig = TileConfig {
    palette: 1,
    start_row: 0,
    reserved: [0; 14],
    bytes_per_row: [64, 64, 64, 64, 64, 64, 64, 64, 0, 0, 0, 0, 0, 0, 0, 0],
    rows: [16, 16, 16, 16, 16, 16, 16, 16, 0, 0, 0, 0, 0, 0, 0, 0],
};

/// The tiles configured as [`CONFIG`] for one call. The thread's configuration before it
/// comes back when this is dropped, or the tiles are released if there was none: candle's
/// own AMX matmul (its `--dense off` path) configures each pool thread once and expects
/// to find its configuration there, and dies of SIGILL if a call of ours released it.
struct Tiles {
    saved: TileConfig,
}

impl Tiles {
    /// # Safety
    /// On a CPU where [`available`] holds.
    unsafe fn configure() -> Self {
        let mut saved = TileConfig {
            palette: 0,
            start_row: 0,
            reserved: [0; 14],
            bytes_per_row: [0; 16],
            rows: [0; 16],
        };
        // `sttilecfg` stores zeros where the tiles are not configured.
        asm!("sttilecfg [{}]", in(reg) &mut saved, options(nostack));
        asm!("ldtilecfg [{}]", in(reg) &CONFIG, options(nostack, readonly));
        Self { saved }
    }
}

impl Drop for Tiles {
    fn drop(&mut self) {
        // SAFETY: tiles exist (`configure` ran); `saved` is a configuration this thread
        // had loaded, or palette 0.
        unsafe {
            if self.saved.palette == 0 {
                asm!("tilerelease", options(nostack, nomem));
            } else {
                asm!("ldtilecfg [{}]", in(reg) &self.saved, options(nostack, readonly));
            }
        }
    }
}

/// See [`super::PanelProduct`].
///
/// # Safety
/// As [`super::Kernels::panel_product`] requires, on a CPU where [`available`] holds.
unsafe fn panel_product(
    a_words: &[u32],
    a_scales: &[f32],
    rows: usize,
    panel: &Panel,
    c: *mut f32,
    shape: Shape,
) {
    let tiled = rows / TILE_ROWS * TILE_ROWS;
    if tiled == 0 || !shape.block_quads.is_multiple_of(TILE_QUADS) {
        return avx512::panel_product(a_words, a_scales, rows, panel, c, shape);
    }
    let blocks = shape.blocks();
    let mut ints = BlockSums([[0; PANEL]; TILE_ROWS]);
    let mut partial = [[0f32; PANEL]; TILE_ROWS];
    let tiles = Tiles::configure();
    for r in (0..tiled).step_by(TILE_ROWS) {
        tile_rows(
            &a_words[r * shape.quads..],
            &a_scales[r * blocks..],
            panel,
            c.add(r * shape.stride),
            &mut ints,
            &mut partial,
            shape,
        );
    }
    drop(tiles);
    if tiled < rows {
        avx512::panel_product(
            &a_words[tiled * shape.quads..],
            &a_scales[tiled * blocks..],
            rows - tiled,
            panel,
            c.add(tiled * shape.stride),
            shape,
        );
    }
}

/// One block's i32 sums of 16 rows by the panel's columns, as the tiles store them.
#[repr(C, align(64))]
struct BlockSums([[i32; PANEL]; TILE_ROWS]);

/// [`TILE_ROWS`] activation rows times the panel, into the first `s.cols` columns of
/// their output rows from `c`; `ints` holds a block's integer sums, and `partial` the
/// outputs where the panel is not full (the last of a matrix). The tiles are configured.
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn tile_rows(
    a_words: &[u32],
    a_scales: &[f32],
    panel: &Panel,
    c: *mut f32,
    ints: &mut BlockSums,
    partial: &mut [[f32; PANEL]; TILE_ROWS],
    s: Shape,
) {
    let blocks = s.blocks();
    let a_stride = s.quads * 4;
    let b_stride = PANEL * 4;
    // A full panel's sums build up in the output rows themselves, the first block
    // storing; a partial one's in `partial`, copied out at the end.
    let full = s.cols == PANEL;
    let (out, out_stride) = if full {
        (c, s.stride)
    } else {
        (partial.as_mut_ptr() as *mut f32, PANEL)
    };
    for blk in 0..blocks {
        asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "tilezero tmm2",
            "tilezero tmm3",
            options(nostack, nomem)
        );
        for k in (blk * s.block_quads..(blk + 1) * s.block_quads).step_by(TILE_QUADS) {
            // Rows `k..k + 16` of the panel hold 16 words for each of its 64 columns; the
            // four weight tiles are its columns 0-15, 16-31, 32-47 and 48-63.
            asm!(
                "tileloadd tmm4, [{a} + {sa} * 1]",
                "tileloadd tmm5, [{b} + {sb} * 1]",
                "tdpbusd tmm0, tmm4, tmm5",
                "tileloadd tmm6, [{b} + {sb} * 1 + 64]",
                "tdpbusd tmm1, tmm4, tmm6",
                "tileloadd tmm7, [{b} + {sb} * 1 + 128]",
                "tdpbusd tmm2, tmm4, tmm7",
                "tileloadd tmm5, [{b} + {sb} * 1 + 192]",
                "tdpbusd tmm3, tmm4, tmm5",
                a = in(reg) a_words.as_ptr().add(k),
                sa = in(reg) a_stride,
                b = in(reg) panel.words.as_ptr().add(k * PANEL),
                sb = in(reg) b_stride,
                options(nostack, readonly),
            );
        }
        asm!(
            "tilestored [{o} + {s} * 1], tmm0",
            "tilestored [{o} + {s} * 1 + 64], tmm1",
            "tilestored [{o} + {s} * 1 + 128], tmm2",
            "tilestored [{o} + {s} * 1 + 192], tmm3",
            o = in(reg) ints.0.as_mut_ptr(),
            s = in(reg) b_stride,
            options(nostack),
        );
        // As the AVX-512 kernel: the exact block sum, scaled by both operands' scales.
        let at = blk * PANEL;
        let mut offsets = [_mm512_setzero_si512(); PANEL / 16];
        let mut scales = [_mm512_setzero_ps(); PANEL / 16];
        for j in 0..PANEL / 16 {
            offsets[j] = _mm512_loadu_si512(panel.offsets.as_ptr().add(at + 16 * j) as *const _);
            scales[j] = _mm512_loadu_ps(panel.scales.as_ptr().add(at + 16 * j));
        }
        for (r, ints) in ints.0.iter().enumerate() {
            let sa = _mm512_set1_ps(a_scales[r * blocks + blk]);
            let row = out.add(r * out_stride);
            for j in 0..PANEL / 16 {
                let i = _mm512_loadu_si512(ints.as_ptr().add(16 * j) as *const _);
                let exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(i, offsets[j]));
                let ab = _mm512_mul_ps(sa, scales[j]);
                let sum = row.add(16 * j);
                let v = if blk == 0 {
                    _mm512_mul_ps(exact, ab)
                } else {
                    _mm512_fmadd_ps(exact, ab, _mm512_loadu_ps(sum))
                };
                _mm512_storeu_ps(sum, v);
            }
        }
    }
    if !full {
        for (r, sums) in partial.iter().enumerate() {
            std::ptr::copy_nonoverlapping(sums.as_ptr(), c.add(r * s.stride), s.cols);
        }
    }
}

/// Score rows of prompt attention on bf16 tiles: `out[r * out_stride + j] = q_r · k_j`
/// for `rows` query rows (a multiple of 16) of `d` bf16 values (a multiple of 32) and `n`
/// keys (a multiple of 64) packed as [`super::super::tile_attention`] lays them out: per
/// 16 keys, per 32 dimensions, 16 rows of the keys' (even, odd) dimension pairs, the
/// layout `tdpbf16ps` reads its second operand in.
///
/// # Safety
/// On a CPU where [`bf16_available`] holds; `q` holds `rows * d` values, `keys` `n * d`,
/// `out` `rows` rows of `out_stride >= n` floats.
pub(super) unsafe fn bf16_scores(
    q: *const u16,
    rows: usize,
    d: usize,
    keys: *const u16,
    n: usize,
    out: *mut f32,
    out_stride: usize,
) {
    let chunks = d / 32;
    // A group of 16 keys: `chunks` tiles of 16 rows by 32 values.
    let group = 16 * d;
    let (sa, sb, so) = (d * 2, 64usize, out_stride * 4);
    let tiles = Tiles::configure();
    for r in (0..rows).step_by(16) {
        let a = q.add(r * d);
        let o = out.add(r * out_stride);
        // Four groups of 16 keys at a time, each a column of output tiles.
        for g in (0..n / 16).step_by(4) {
            let b = keys.add(g * group);
            asm!(
                "tilezero tmm0",
                "tilezero tmm1",
                "tilezero tmm2",
                "tilezero tmm3",
                options(nostack, nomem)
            );
            for c in 0..chunks {
                asm!(
                    "tileloadd tmm4, [{a} + {sa} * 1]",
                    "tileloadd tmm5, [{b0} + {sb} * 1]",
                    "tdpbf16ps tmm0, tmm4, tmm5",
                    "tileloadd tmm6, [{b1} + {sb} * 1]",
                    "tdpbf16ps tmm1, tmm4, tmm6",
                    "tileloadd tmm7, [{b2} + {sb} * 1]",
                    "tdpbf16ps tmm2, tmm4, tmm7",
                    "tileloadd tmm5, [{b3} + {sb} * 1]",
                    "tdpbf16ps tmm3, tmm4, tmm5",
                    a = in(reg) a.add(c * 32),
                    sa = in(reg) sa,
                    b0 = in(reg) b.add(c * 512),
                    b1 = in(reg) b.add(group + c * 512),
                    b2 = in(reg) b.add(2 * group + c * 512),
                    b3 = in(reg) b.add(3 * group + c * 512),
                    sb = in(reg) sb,
                    options(nostack, readonly),
                );
            }
            asm!(
                "tilestored [{o} + {so} * 1], tmm0",
                "tilestored [{o} + {so} * 1 + 64], tmm1",
                "tilestored [{o} + {so} * 1 + 128], tmm2",
                "tilestored [{o} + {so} * 1 + 192], tmm3",
                o = in(reg) o.add(g * 16),
                so = in(reg) so,
                options(nostack),
            );
        }
    }
    drop(tiles);
}

/// Weighted sums of prompt attention on bf16 tiles: `acc[r * d + j] += Σ_k p[r *
/// p_stride + k] · v_k[j]` for `rows` rows (a multiple of 16) of `n` bf16 weights (a
/// multiple of 32) and values of `d` dimensions (a multiple of 64) packed per 32 keys,
/// per 16 dimensions, as 16 rows of the dimensions' (even key, odd key) pairs.
///
/// # Safety
/// On a CPU where [`bf16_available`] holds; `p` holds `rows` rows of `p_stride >= n`
/// values, `values` `n * d`, `acc` `rows * d` floats.
pub(super) unsafe fn bf16_accumulate(
    p: *const u16,
    p_stride: usize,
    rows: usize,
    n: usize,
    values: *const u16,
    d: usize,
    acc: *mut f32,
) {
    let groups = d / 16;
    let (sa, sb, sc) = (p_stride * 2, 64usize, d * 4);
    let tiles = Tiles::configure();
    for r in (0..rows).step_by(16) {
        let a = p.add(r * p_stride);
        for dg in (0..groups).step_by(4) {
            let c = acc.add(r * d + dg * 16);
            asm!(
                "tileloadd tmm0, [{c} + {sc} * 1]",
                "tileloadd tmm1, [{c} + {sc} * 1 + 64]",
                "tileloadd tmm2, [{c} + {sc} * 1 + 128]",
                "tileloadd tmm3, [{c} + {sc} * 1 + 192]",
                c = in(reg) c,
                sc = in(reg) sc,
                options(nostack, readonly),
            );
            for kc in 0..n / 32 {
                let b = values.add((kc * groups + dg) * 512);
                asm!(
                    "tileloadd tmm4, [{a} + {sa} * 1]",
                    "tileloadd tmm5, [{b} + {sb} * 1]",
                    "tdpbf16ps tmm0, tmm4, tmm5",
                    "tileloadd tmm6, [{b} + {sb} * 1 + 1024]",
                    "tdpbf16ps tmm1, tmm4, tmm6",
                    "tileloadd tmm7, [{b} + {sb} * 1 + 2048]",
                    "tdpbf16ps tmm2, tmm4, tmm7",
                    "tileloadd tmm5, [{b} + {sb} * 1 + 3072]",
                    "tdpbf16ps tmm3, tmm4, tmm5",
                    a = in(reg) a.add(kc * 32),
                    sa = in(reg) sa,
                    b = in(reg) b,
                    sb = in(reg) sb,
                    options(nostack, readonly),
                );
            }
            asm!(
                "tilestored [{c} + {sc} * 1], tmm0",
                "tilestored [{c} + {sc} * 1 + 64], tmm1",
                "tilestored [{c} + {sc} * 1 + 128], tmm2",
                "tilestored [{c} + {sc} * 1 + 192], tmm3",
                c = in(reg) c,
                sc = in(reg) sc,
                options(nostack),
            );
        }
    }
    drop(tiles);
}
