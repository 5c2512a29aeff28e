//! The data every path reads, laid out once, the same for all paths: the GGUF block
//! geometry of each weight type, one activation row quantized for decoding
//! ([`Activation`]), and a packed panel of int8 weights for prompt batches ([`Panel`]).
//!
//! Terms: a *block* is the unit a GGUF type stores with its own scale (256 values for the
//! k-quants Q4_K and Q6_K, 32 for Q8_0, Q4_1 and Q5_0); a *sub-block* is a run of values
//! inside a block sharing a smaller scale (32 values in Q4_K, 16 in Q6_K); a *pair* is two
//! consecutive 32-value blocks, which the SIMD paths read together to fill a vector.

use candle_core::quantized::GgmlDType;

pub const QK_K: usize = 256;
pub const Q4K_BYTES: usize = 144;
pub const Q6K_BYTES: usize = 210;
pub const Q8_0_BYTES: usize = 34;
pub const Q4_1_BYTES: usize = 20;
pub const Q5_0_BYTES: usize = 22;

/// Where sub-block `s` of a Q4_K block lies in the activation, in 32-byte chunks (the
/// order is its own inverse). A Q4_K block holds sub-blocks `2j` and `2j + 1` in the low
/// and high nibbles of the same 32 bytes; a 64-byte load of codes thus holds sub-blocks
/// 0 and 2 in its low nibbles and 1 and 3 in its high ones, and the activation is stored
/// in that order so that a whole vector of it meets a whole vector of codes.
pub const Q4K_ORDER: [usize; 8] = [0, 2, 1, 3, 4, 6, 5, 7];

/// The weight types the decoding kernels read, with the widths they need.
pub fn decodable(dtype: GgmlDType, in_dim: usize) -> bool {
    match dtype {
        GgmlDType::Q4K | GgmlDType::Q6K => in_dim.is_multiple_of(QK_K),
        // 32-value blocks are read in pairs, one 64-byte activation vector at a time.
        GgmlDType::Q8_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0 => in_dim.is_multiple_of(64),
        _ => false,
    }
}

/// Bytes of one block of `dtype`.
pub fn block_bytes(dtype: GgmlDType) -> usize {
    dtype.type_size()
}

/// One activation row quantized for the decoding kernels of one weight type.
#[derive(Debug, Clone)]
pub struct Activation {
    pub dtype: GgmlDType,
    /// The row as signed bytes (-127..=127), in the kernels' order: Q4_K's sub-blocks as
    /// [`Q4K_ORDER`] says; for Q4_1 and Q5_0, each pair of blocks as values 0..16 of both
    /// blocks, then values 16..32 of both (the order their nibbles unpack in); else as is.
    pub q: Vec<i8>,
    /// One scale per block.
    pub d: Vec<f32>,
    /// The sum of each sub-block's bytes, in natural order: 8 a block for Q4_K, 16 for
    /// Q6_K, 1 for Q4_1 and Q5_0, none for Q8_0 (whose codes have no offset).
    pub sums: Vec<i16>,
}

impl Activation {
    /// `x` quantized for weights of `dtype` (a type [`decodable`] accepts for its width).
    pub fn new(x: &[f32], dtype: GgmlDType) -> Self {
        let (block, sub) = match dtype {
            GgmlDType::Q4K => (QK_K, 32),
            GgmlDType::Q6K => (QK_K, 16),
            _ => (32, 32),
        };
        let mut q = Vec::with_capacity(x.len());
        let mut d = Vec::with_capacity(x.len() / block);
        let mut sums = Vec::with_capacity(x.len() / sub);
        let mut bytes = vec![0i8; block];
        for blk in x.chunks_exact(block) {
            d.push(quantize_block(blk, &mut bytes));
            if dtype == GgmlDType::Q8_0 {
                q.extend_from_slice(&bytes);
                continue;
            }
            sums.extend(
                bytes
                    .chunks_exact(sub)
                    .map(|s| s.iter().map(|&v| v as i16).sum::<i16>()),
            );
            if dtype == GgmlDType::Q4K {
                for s in Q4K_ORDER {
                    q.extend_from_slice(&bytes[s * 32..(s + 1) * 32]);
                }
            } else {
                q.extend_from_slice(&bytes);
            }
        }
        if matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q5_0) {
            for pair in q.chunks_exact_mut(64) {
                let (second, third) = pair[16..48].split_at_mut(16);
                second.swap_with_slice(third);
            }
        }
        Self { dtype, q, d, sums }
    }

    /// Values in the row.
    pub fn len(&self) -> usize {
        self.q.len()
    }

    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Bytes of one weight row as wide as this activation.
    pub fn row_bytes(&self) -> usize {
        self.len() / self.dtype.block_size() * block_bytes(self.dtype)
    }
}

/// Quantizes `block` into `out` (-127..=127, the largest magnitude becoming 127) and
/// returns the scale (0 for an all-zero block). Written so that the compiler vectorizes
/// it (a panel of the int8 GEMM rounds every weight of the matrix on every call): sixteen
/// running maxima instead of one chain of `maxss`, and bytes taken from the rounded
/// float's bits instead of a saturating `as i8`, which compiled to one `cvttss2si` and one
/// `pinsrb` per value. Always inlined, so each kernel path's copy
/// ([`super::Kernels::quantize_block`]) and the int8 GEMM's per-path panel fills compile
/// it with their own features.
#[inline(always)]
pub fn quantize_block(block: &[f32], out: &mut [i8]) -> f32 {
    let max = max_abs(block);
    let inv = if max > 0.0 { 127.0 / max } else { 0.0 };
    for (q, v) in out.iter_mut().zip(block) {
        *q = round_to_i8((v * inv).clamp(-127.0, 127.0));
    }
    max / 127.0
}

/// The largest magnitude in `v` (NaNs passed over, as by `f32::max`).
#[inline(always)]
fn max_abs(v: &[f32]) -> f32 {
    let larger = |m: f32, x: f32| if x > m { x } else { m };
    let mut lanes = [0f32; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for (m, x) in lanes.iter_mut().zip(c) {
            *m = larger(*m, x.abs());
        }
    }
    let tail = chunks
        .remainder()
        .iter()
        .fold(0f32, |m, x| larger(m, x.abs()));
    lanes.into_iter().fold(tail, larger)
}

/// `x` (in -127..=127) rounded to the nearest integer, ties to even, as a byte: the
/// low bits of [`round_small`]'s sum before the subtraction (NaN gives 0).
#[inline(always)]
fn round_to_i8(x: f32) -> i8 {
    ((x + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32) as i8
}

/// 1.5 × 2^23: a float this large has no bits below the units.
const MAGIC: f32 = 12_582_912.0;

/// `x.round_ties_even()` for |x| < 2^22, without a call: adding and taking away 1.5 × 2^23
/// leaves no bits below the units, and the FPU rounds those to even. Without SSE4.1's
/// `roundps` (a build for baseline x86-64), `round_ties_even` is a call to libm's `rintf`
/// per value, which took 43% of a prompt's time.
#[cfg(test)]
fn round_small(x: f32) -> f32 {
    (x + MAGIC) - MAGIC
}

/// Output columns per packed panel of the int8 GEMM.
pub const PANEL: usize = 64;

/// One panel of int8 weights: [`PANEL`] output columns, interleaved for the kernels.
#[derive(Debug)]
pub struct Panel {
    /// `in/4 x PANEL` words: for each group of four inputs, each column's four bytes.
    pub words: Vec<u32>,
    /// `blocks x PANEL` scales of the columns.
    pub scales: Vec<f32>,
    /// `blocks x PANEL`: 128 times the sum of each column's bytes in the block (the
    /// correction for activations stored offset by 128).
    pub offsets: Vec<i32>,
}

impl Panel {
    pub fn new(in_dim: usize, block: usize) -> Self {
        let blocks = in_dim / block;
        Self {
            words: vec![0; in_dim / 4 * PANEL],
            scales: vec![0.0; blocks * PANEL],
            offsets: vec![0; blocks * PANEL],
        }
    }
}

/// A k-quant type whose prompt batches multiply its own codes ([`CodePanel`]) instead of
/// bytes re-quantized from it: its codes are small and unsigned, so `vpmaddubsw` takes
/// them without the sign trick, and several words' products add up in i16 before the
/// sub-block's scale is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// 4-bit codes, a 6-bit scale and minimum per 32 values.
    Q4K,
    /// 6-bit codes stored plus 32, a signed 8-bit scale per 16 values.
    Q6K,
}

impl CodeKind {
    pub fn of(dtype: GgmlDType) -> Option<Self> {
        match dtype {
            GgmlDType::Q4K => Some(Self::Q4K),
            GgmlDType::Q6K => Some(Self::Q6K),
            _ => None,
        }
    }

    /// Bytes of one 256-value block in the file.
    pub const fn block_bytes(self) -> usize {
        match self {
            Self::Q4K => Q4K_BYTES,
            Self::Q6K => Q6K_BYTES,
        }
    }

    /// Values sharing one scale.
    pub const fn sub(self) -> usize {
        match self {
            Self::Q4K => 32,
            Self::Q6K => 16,
        }
    }

    /// Sub-blocks per 256-value block.
    pub const fn subs(self) -> usize {
        QK_K / self.sub()
    }

    /// Words (four codes each) per sub-block.
    pub const fn sub_quads(self) -> usize {
        self.sub() / 4
    }

    /// Words whose products may be summed in i16 before the scale: a pair of products is
    /// at most 2 × 15 × 127 = 3,810 for 4-bit codes (eight words: 30,480) and
    /// 2 × 63 × 127 = 16,002 for 6-bit ones (two words: 32,004), under 32,767.
    pub const fn group(self) -> usize {
        match self {
            Self::Q4K => 8,
            Self::Q6K => 2,
        }
    }
}

/// One panel of a k-quant weight in the file's own codes: [`PANEL`] output columns,
/// interleaved like [`Panel`]. In each block, a column's value of code `q` in sub-block
/// `s` is `d * scale_s * q - dm * correction_s`, which holds exactly for both types:
/// Q4_K's `d * sc * q - dmin * m`, and Q6_K's `d * sc * (q - 32)` with `dm = d` and a
/// correction of `32 * sc`.
#[derive(Debug)]
pub struct CodePanel {
    pub kind: CodeKind,
    /// `in/4 x PANEL` words: for each group of four inputs, each column's four codes.
    pub words: Vec<u32>,
    /// `subs x PANEL`: each column's sub-block scale, as the same i16 twice (it meets a
    /// pair of i16 product sums in `vpmaddwd`).
    pub scales: Vec<u32>,
    /// `subs/2 x PANEL`: each column's corrections of sub-blocks `2t` and `2t + 1`, as two
    /// i16 (they meet the activation's sums of those sub-blocks).
    pub corrections: Vec<u32>,
    /// `blocks x PANEL`: the block scale of each column.
    pub d: Vec<f32>,
    /// `blocks x PANEL`: the corrections' scale of each column.
    pub dm: Vec<f32>,
}

impl CodePanel {
    pub fn new(kind: CodeKind, in_dim: usize) -> Self {
        let blocks = in_dim / QK_K;
        let subs = blocks * kind.subs();
        Self {
            kind,
            words: vec![0; in_dim / 4 * PANEL],
            scales: vec![0; subs * PANEL],
            corrections: vec![0; subs / 2 * PANEL],
            d: vec![0.0; blocks * PANEL],
            dm: vec![0.0; blocks * PANEL],
        }
    }
}

/// Activation rows for a [`CodePanel`]: signed bytes, four to a word, one scale per
/// 256 values, and the sums of each sub-block's bytes in pairs.
#[derive(Debug, Clone, Copy)]
pub struct CodeRows<'a> {
    /// `rows x in/4` words of four signed bytes.
    pub words: &'a [u32],
    /// `rows x blocks` scales.
    pub scales: &'a [f32],
    /// `rows x subs/2` words: the i16 sums of sub-blocks `2t` and `2t + 1`.
    pub sums: &'a [u32],
}

impl CodeRows<'_> {
    /// The rows from row `r` on, for a panel of `kind` and rows of `shape.quads` words.
    pub fn from_row(&self, r: usize, kind: CodeKind, shape: Shape) -> Self {
        let blocks = shape.blocks();
        CodeRows {
            words: &self.words[r * shape.quads..],
            scales: &self.scales[r * blocks..],
            sums: &self.sums[r * blocks * kind.subs() / 2..],
        }
    }
}

/// The geometry of one panel product.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Words per activation row (`in / 4`).
    pub quads: usize,
    /// Words per scale block.
    pub block_quads: usize,
    /// Floats between output rows.
    pub stride: usize,
    /// Valid columns of the panel.
    pub cols: usize,
}

impl Shape {
    /// Scale blocks per row.
    pub fn blocks(&self) -> usize {
        self.quads / self.block_quads
    }
}

/// The f16 stored little-endian at `bytes[at..at + 2]`, as f32.
#[inline]
pub fn f16_at(bytes: &[u8], at: usize) -> f32 {
    f16_to_f32(u16::from_le_bytes([bytes[at], bytes[at + 1]]))
}

/// IEEE half to single precision, exactly (normal, subnormal, infinite and NaN values).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        // Subnormal: man * 2^-24, exact in f32.
        (0, _) => {
            let v = man as f32 * f32::powi(2.0, -24);
            return if sign == 0 { v } else { -v };
        }
        (0x1f, _) => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// The eight 6-bit scales and eight 6-bit minimums of a Q4_K block's 12 scale bytes, one
/// byte each, as two little-endian words (ggml's unpacking, four bytes at once).
#[inline(always)]
pub fn q4k_scales(p: &[u8]) -> (u64, u64) {
    const LOW6: u32 = 0x3f3f_3f3f;
    const LOW4: u32 = 0x0f0f_0f0f;
    const LOW2: u32 = 0x0303_0303;
    let word = |i: usize| u32::from_le_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
    let (w0, w1, w2) = (word(0), word(4), word(8));
    let sc_lo = w0 & LOW6;
    let sc_hi = (w2 & LOW4) | (((w0 >> 6) & LOW2) << 4);
    let mn_lo = w1 & LOW6;
    let mn_hi = ((w2 >> 4) & LOW4) | (((w1 >> 6) & LOW2) << 4);
    (
        sc_lo as u64 | (sc_hi as u64) << 32,
        mn_lo as u64 | (mn_hi as u64) << 32,
    )
}

#[cfg(test)]
mod rounding_tests {
    use super::{max_abs, quantize_block, round_small, round_to_i8};

    #[test]
    fn round_small_is_round_ties_even_over_the_quantized_range() {
        // Every multiple of 2^-12 in [-200, 200] (halves and their neighbours included),
        // and the floats right around each half.
        for k in -200 * 4096..=200 * 4096 {
            let x = k as f32 / 4096.0;
            for v in [
                x,
                f32::from_bits(x.to_bits() + 1),
                f32::from_bits(x.to_bits().max(1) - 1),
            ] {
                assert_eq!(round_small(v), v.round_ties_even(), "{v}");
            }
        }
        for k in -127 * 4096..=127 * 4096 {
            let x = k as f32 / 4096.0;
            assert_eq!(round_to_i8(x), x.round_ties_even() as i8, "{x}");
        }
        assert!(round_small(f32::NAN).is_nan());
        assert_eq!(round_small(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn a_block_rounds_as_round_ties_even_of_its_scaled_values() {
        let block: Vec<f32> = (0..256)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013 + if i == 77 { f32::NAN } else { 0.0 })
            .collect();
        let mut got = [0i8; 256];
        let scale = quantize_block(&block, &mut got);
        let max = block.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert_eq!(max_abs(&block), max);
        assert_eq!(scale, max / 127.0);
        for (i, (&q, v)) in got.iter().zip(&block).enumerate() {
            if i != 77 {
                let want = (v * (127.0 / max)).round_ties_even().clamp(-127.0, 127.0) as i8;
                assert_eq!(q, want, "value {i}");
            }
        }
    }
}
