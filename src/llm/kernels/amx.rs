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
//! Each call loads the tile configuration and releases the tiles when done, so a thread
//! that is not multiplying carries no tile state through context switches.

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
    panel_product,
    code_product: None,
    scores: avx512::scores,
    weighted_sums: avx512::weighted_sums,
    exp_sum: avx512::exp_sum,
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
    if __cpuid(0).eax < 7 {
        return false;
    }
    let edx = __cpuid_count(7, 0).edx;
    edx >> 24 & 1 == 1 && edx >> 25 & 1 == 1
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
    asm!("ldtilecfg [{}]", in(reg) &CONFIG, options(nostack, readonly));
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
    asm!("tilerelease", options(nostack, nomem));
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
