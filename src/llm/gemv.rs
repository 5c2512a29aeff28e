//! Decoding: one activation row times a quantized weight, read straight from the GGUF
//! blocks, on CPUs with AVX-512 VNNI.
//!
//! A decoded token reads every weight once, so its speed is set by how fast the weights
//! stream through the cores. These machines read about 26 GB/s with two threads, enough for
//! 26 tokens/s of Qwen2.5-1.5B, yet candle's quantized matmul decoded 10: it reads Q4_K
//! from tiles with f32 scales (a third more bytes than the file) and Q6_K through an
//! AVX2 kernel. Here each weight type has a kernel over its own block layout, so the
//! bytes read are the file's bytes and no second copy of the weights is made.
//!
//! The activation row is quantized once per call to signed bytes with one scale per block
//! (256 values for the k-quants, 32 for Q8_0) plus the sums of each sub-block, laid out in
//! the order the kernel reads the weights' nibbles. `vpmaddubsw` multiplies the unsigned
//! weight codes by the signed activations, `vpmaddwd` applies the sub-block scales, and
//! the codes' offsets (Q4_K's minimums, Q6_K's 32) come off through the sub-block sums.
//! [`ROWS`] weight rows share each activation load; rows are spread over candle's pool.

// SIMD intrinsics over the GGUF bytes; every pointer read stays inside the row the
// caller's checked geometry describes.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

use candle_core::quantized::GgmlDType;
use candle_core::utils::barrier_pool;

use super::int8_gemm::{quantize_block, QuantizedRows};

/// Weight rows per kernel call: independent accumulators that share each activation load.
const ROWS: usize = 4;

const QK_K: usize = 256;
const Q4K_BYTES: usize = 144;
const Q6K_BYTES: usize = 210;
const Q8_0_BYTES: usize = 34;
const Q4_1_BYTES: usize = 20;

/// Whether [`gemv`] can multiply by `w` on this CPU.
pub fn supported(w: &QuantizedRows<'_>) -> bool {
    let shape_ok = match w.dtype {
        GgmlDType::Q4K | GgmlDType::Q6K => w.in_dim.is_multiple_of(QK_K),
        // Blocks are read in pairs, one 64-byte vector at a time.
        GgmlDType::Q8_0 | GgmlDType::Q4_1 => w.in_dim.is_multiple_of(64),
        _ => false,
    };
    shape_ok && w.supported() && super::int8_gemm::available()
}

/// One activation row quantized for the kernel of one weight type.
struct Activation {
    /// The row as signed bytes (-127..=127), in the kernel's order.
    q: Vec<i8>,
    /// One scale per block.
    d: Vec<f32>,
    /// The sum of each sub-block's bytes: 32 values for Q4_K and Q4_1, 16 for Q6_K (none for
    /// Q8_0).
    sums: Vec<i16>,
}

impl Activation {
    fn new(x: &[f32], dtype: GgmlDType) -> Self {
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
                // A 64-byte load of Q4_K codes holds sub-blocks 4j and 4j+2 in its low
                // nibbles and 4j+1 and 4j+3 in its high ones.
                for s in [0, 2, 1, 3, 4, 6, 5, 7] {
                    q.extend_from_slice(&bytes[s * 32..(s + 1) * 32]);
                }
            } else {
                q.extend_from_slice(&bytes);
            }
        }
        if dtype == GgmlDType::Q4_1 {
            // Two Q4_1 blocks unpack to values 0..16 of both, then values 16..32 of both.
            for pair in q.chunks_exact_mut(64) {
                let (second, third) = pair[16..48].split_at_mut(16);
                second.swap_with_slice(third);
            }
        }
        Self { q, d, sums }
    }
}

impl Activation {
    /// The 256 bytes of k-quant block `b` as four vectors.
    #[inline(always)]
    unsafe fn block_vectors(&self, b: usize) -> [__m512i; 4] {
        let q = self.q.as_ptr().add(b * QK_K);
        std::array::from_fn(|i| _mm512_loadu_si512(q.add(64 * i) as *const _))
    }
}

/// `x` (one row of `in_dim` values) times the transposed weight: `out_dim` values.
///
/// # Panics
/// If `w` is not [`supported`]: callers check first.
pub fn gemv(x: &[f32], w: QuantizedRows<'_>) -> Vec<f32> {
    assert!(supported(&w), "gemv cannot read {:?}", w.dtype);
    assert_eq!(x.len(), w.in_dim);
    let a = Activation::new(x, w.dtype);
    let row_bytes = w.bytes.len() / w.out_dim;
    let mut out = vec![0f32; w.out_dim];
    let out_addr = out.as_mut_ptr() as usize;
    let units = w.out_dim.div_ceil(ROWS);
    barrier_pool().execute_chunked(units, |range| {
        for unit in range {
            let first = unit * ROWS;
            let n = ROWS.min(w.out_dim - first);
            // SAFETY: `supported` checked the CPU and that `bytes` holds `out_dim` rows of
            // whole blocks; rows `first..first + n` exist and this unit alone writes
            // their outputs.
            unsafe {
                let rows = w.bytes.as_ptr().add(first * row_bytes);
                let out = (out_addr as *mut f32).add(first);
                match n {
                    ROWS => run::<ROWS>(w.dtype, rows, row_bytes, &a, w.in_dim, out),
                    3 => run::<3>(w.dtype, rows, row_bytes, &a, w.in_dim, out),
                    2 => run::<2>(w.dtype, rows, row_bytes, &a, w.in_dim, out),
                    _ => run::<1>(w.dtype, rows, row_bytes, &a, w.in_dim, out),
                }
            }
        }
    });
    out
}

/// `R` consecutive weight rows of `dtype` times the activation.
///
/// # Safety
/// AVX-512 VNNI is available, `rows` points at `R` rows of `row_bytes` each, and `out`
/// at `R` writable floats.
#[inline]
unsafe fn run<const R: usize>(
    dtype: GgmlDType,
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    in_dim: usize,
    out: *mut f32,
) {
    let sums = match dtype {
        GgmlDType::Q4K => q4k::<R>(rows, row_bytes, a, in_dim / QK_K),
        GgmlDType::Q6K => q6k::<R>(rows, row_bytes, a, in_dim / QK_K),
        GgmlDType::Q4_1 => q4_1::<R>(rows, row_bytes, a, in_dim / 64),
        _ => q8_0::<R>(rows, row_bytes, a, in_dim / 64),
    };
    std::ptr::copy_nonoverlapping(sums.as_ptr(), out, R);
}

/// An f16 at `p` as f32.
#[inline]
#[target_feature(enable = "f16c")]
unsafe fn f16_at(p: *const u8) -> f32 {
    let bits = std::ptr::read_unaligned(p as *const u16);
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
}

/// For each of four product vectors (32 i16 lanes), which scale each lane takes: lane
/// `t` of vector `j` takes scale `first[j] + t / width`, or `second[j]` from lane 16 on
/// where `second` is given.
const fn scale_lanes(first: [i16; 4], second: Option<[i16; 4]>, width: usize) -> [[i16; 32]; 4] {
    let mut idx = [[0i16; 32]; 4];
    let mut j = 0;
    while j < 4 {
        let mut t = 0;
        while t < 32 {
            idx[j][t] = match second {
                Some(s) if t >= 16 => s[j],
                Some(_) => first[j],
                None => first[j] + (t / width) as i16,
            };
            t += 1;
        }
        j += 1;
    }
    idx
}

/// Q4_K: the four code vectors hold sub-blocks (0, 2), (1, 3), (4, 6), (5, 7).
static Q4K_LANES: [[i16; 32]; 4] = scale_lanes([0, 1, 4, 5], Some([2, 3, 6, 7]), 32);
/// Q6_K: each code vector holds four sub-blocks of 16 values, in order.
static Q6K_LANES: [[i16; 32]; 4] = scale_lanes([0, 4, 8, 12], None, 8);

#[inline(always)]
unsafe fn load_lanes(lanes: &[[i16; 32]; 4]) -> [__m512i; 4] {
    lanes.map(|l| _mm512_loadu_si512(l.as_ptr() as *const _))
}

/// Q4_K: 256 values per block as 4-bit codes `q` with 6-bit scales `s` and minimums `m`
/// per 32 values: `d * s * q - dmin * m`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn q4k<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let nibble = _mm512_set1_epi8(0x0F);
    // Which sub-block's scale each i16 product lane takes, for the four code vectors.
    let idx = load_lanes(&Q4K_LANES);
    let mut acc = [_mm512_setzero_ps(); R];
    let mut mins = [_mm_setzero_ps(); R];
    for b in 0..blocks {
        let av = a.block_vectors(b);
        let dx = a.d[b];
        let bsums = _mm_loadu_si128(a.sums.as_ptr().add(b * 8) as *const _);
        for r in 0..R {
            let blk = rows.add(r * row_bytes + b * Q4K_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), Q4K_BYTES);
            let d = f16_at(blk) * dx;
            let dmin = f16_at(blk.add(2)) * dx;
            let (sc, mn) = q4k_scales(blk.add(4));
            let q0 = _mm512_loadu_si512(blk.add(16) as *const _);
            let q1 = _mm512_loadu_si512(blk.add(80) as *const _);
            let codes = [
                _mm512_and_si512(q0, nibble),
                _mm512_and_si512(_mm512_srli_epi16(q0, 4), nibble),
                _mm512_and_si512(q1, nibble),
                _mm512_and_si512(_mm512_srli_epi16(q1, 4), nibble),
            ];
            let s = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(sc as i64)));
            let mut isum = _mm512_setzero_si512();
            for j in 0..4 {
                let p = _mm512_maddubs_epi16(codes[j], av[j]);
                let scale = _mm512_permutexvar_epi16(idx[j], s);
                isum = _mm512_add_epi32(isum, _mm512_madd_epi16(p, scale));
            }
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d), acc[r]);
            let m = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(mn as i64));
            let msum = _mm_cvtepi32_ps(_mm_madd_epi16(m, bsums));
            mins[r] = _mm_fmadd_ps(msum, _mm_set1_ps(dmin), mins[r]);
        }
    }
    let mut out = [0f32; R];
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(acc[r]) - hsum128(mins[r]);
    }
    out
}

/// The eight 6-bit scales and eight 6-bit minimums of a Q4_K block, one byte each (the
/// unpacking ggml uses, on four words at once).
#[inline(always)]
unsafe fn q4k_scales(p: *const u8) -> (u64, u64) {
    const LOW6: u32 = 0x3f3f_3f3f;
    const LOW4: u32 = 0x0f0f_0f0f;
    const LOW2: u32 = 0x0303_0303;
    let w0 = std::ptr::read_unaligned(p as *const u32);
    let w1 = std::ptr::read_unaligned(p.add(4) as *const u32);
    let w2 = std::ptr::read_unaligned(p.add(8) as *const u32);
    let sc_lo = w0 & LOW6;
    let sc_hi = (w2 & LOW4) | (((w0 >> 6) & LOW2) << 4);
    let mn_lo = w1 & LOW6;
    let mn_hi = ((w2 >> 4) & LOW4) | (((w1 >> 6) & LOW2) << 4);
    (
        sc_lo as u64 | (sc_hi as u64) << 32,
        mn_lo as u64 | (mn_hi as u64) << 32,
    )
}

/// Asks for the cache lines of `bytes` bytes at `p`, which the next kernel call reads.
/// Rows are short (a 1,536-wide Q4_K row is 864 bytes) and each call reads [`ROWS`] of
/// them side by side, too many short streams for the hardware prefetcher to run ahead of:
/// without this the cores wait on memory at half the machine's bandwidth.
#[inline(always)]
unsafe fn prefetch(p: *const u8, bytes: usize) {
    let mut off = 0;
    while off < bytes {
        // A prefetch never faults, so the address may lie past the matrix.
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off) as *const i8);
        off += 64;
    }
}

#[inline(always)]
unsafe fn hsum128(v: __m128) -> f32 {
    let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    let v = _mm_add_ss(v, _mm_movehdup_ps(v));
    _mm_cvtss_f32(v)
}

/// Q6_K: 256 values per block as 6-bit codes (4 low bits in `ql`, 2 high in `qh`) minus
/// 32, with a signed 8-bit scale per 16 values and one f16 `d`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn q6k<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    blocks: usize,
) -> [f32; R] {
    let nibble = _mm512_set1_epi8(0x0F);
    let bits45 = _mm512_set1_epi8(0x30);
    // The high bits of values 0..32 of a half-block are bits 0-1 of `qh`, of 32..64 bits
    // 2-3: the second copy of `qh` is shifted right by 2.
    let shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    let idx = load_lanes(&Q6K_LANES);
    let mut acc = [_mm512_setzero_ps(); R];
    for b in 0..blocks {
        let av = a.block_vectors(b);
        let dx = a.d[b];
        let bsums = _mm256_loadu_si256(a.sums.as_ptr().add(b * 16) as *const _);
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + b * Q6K_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), Q6K_BYTES);
            let d = f16_at(blk.add(208)) * dx;
            let sc = _mm256_cvtepi8_epi16(_mm_loadu_si128(blk.add(192) as *const _));
            let s = _mm512_castsi256_si512(sc);
            let mut isum = _mm512_setzero_si512();
            for half in 0..2 {
                let ql = _mm512_loadu_si512(blk.add(64 * half) as *const _);
                let qh = _mm256_loadu_si256(blk.add(128 + 32 * half) as *const _);
                let qh = _mm512_srlv_epi16(_mm512_broadcast_i64x4(qh), shift);
                let lo = _mm512_or_si512(
                    _mm512_and_si512(ql, nibble),
                    _mm512_and_si512(_mm512_slli_epi16(qh, 4), bits45),
                );
                let hi = _mm512_or_si512(
                    _mm512_and_si512(_mm512_srli_epi16(ql, 4), nibble),
                    _mm512_and_si512(qh, bits45),
                );
                let p_lo = _mm512_maddubs_epi16(lo, av[2 * half]);
                let p_hi = _mm512_maddubs_epi16(hi, av[2 * half + 1]);
                isum = _mm512_add_epi32(
                    isum,
                    _mm512_madd_epi16(p_lo, _mm512_permutexvar_epi16(idx[2 * half], s)),
                );
                isum = _mm512_add_epi32(
                    isum,
                    _mm512_madd_epi16(p_hi, _mm512_permutexvar_epi16(idx[2 * half + 1], s)),
                );
            }
            // The codes are stored plus 32: take 32 * sum(scale * sub-block sum) off.
            let offset = _mm256_slli_epi32(_mm256_madd_epi16(sc, bsums), 5);
            isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(offset));
            *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d), *acc);
        }
    }
    acc.map(|a| _mm512_reduce_add_ps(a))
}

/// Q8_0: 32 signed bytes and one f16 scale per block, read two blocks at a time.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn q8_0<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    pairs: usize,
) -> [f32; R] {
    let zero = _mm512_setzero_si512();
    let mut acc = [_mm512_setzero_ps(); R];
    for p in 0..pairs {
        let ax = _mm512_loadu_si512(a.q.as_ptr().add(64 * p) as *const _);
        let (dx0, dx1) = (a.d[2 * p], a.d[2 * p + 1]);
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + p * 2 * Q8_0_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), 2 * Q8_0_BYTES);
            let w = _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_loadu_si256(blk.add(2) as *const _)),
                _mm256_loadu_si256(blk.add(Q8_0_BYTES + 2) as *const _),
                1,
            );
            // vpdpbusd multiplies unsigned by signed bytes: |w| times x with w's sign.
            let x = _mm512_mask_sub_epi8(ax, _mm512_movepi8_mask(w), zero, ax);
            let i = _mm512_dpbusd_epi32(zero, _mm512_abs_epi8(w), x);
            let scale = _mm512_mask_blend_ps(
                0xFF00,
                _mm512_set1_ps(f16_at(blk) * dx0),
                _mm512_set1_ps(f16_at(blk.add(Q8_0_BYTES)) * dx1),
            );
            *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), scale, *acc);
        }
    }
    acc.map(|a| _mm512_reduce_add_ps(a))
}

/// Q4_1: 32 values per block as 4-bit codes `q` with an f16 scale `d` and minimum `m`:
/// `d * q + m`; read two blocks at a time.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
unsafe fn q4_1<const R: usize>(
    rows: *const u8,
    row_bytes: usize,
    a: &Activation,
    pairs: usize,
) -> [f32; R] {
    let nibble = _mm256_set1_epi8(0x0F);
    let zero = _mm512_setzero_si512();
    let mut acc = [_mm512_setzero_ps(); R];
    let mut mins = [0f32; R];
    for p in 0..pairs {
        let ax = _mm512_loadu_si512(a.q.as_ptr().add(64 * p) as *const _);
        let (dx0, dx1) = (a.d[2 * p], a.d[2 * p + 1]);
        let (sx0, sx1) = (a.sums[2 * p] as f32 * dx0, a.sums[2 * p + 1] as f32 * dx1);
        for (r, acc) in acc.iter_mut().enumerate() {
            let blk = rows.add(r * row_bytes + p * 2 * Q4_1_BYTES);
            prefetch(blk.wrapping_add(R * row_bytes), 2 * Q4_1_BYTES);
            let codes = _mm256_inserti128_si256(
                _mm256_castsi128_si256(_mm_loadu_si128(blk.add(4) as *const _)),
                _mm_loadu_si128(blk.add(Q4_1_BYTES + 4) as *const _),
                1,
            );
            let lo = _mm256_and_si256(codes, nibble);
            let hi = _mm256_and_si256(_mm256_srli_epi16(codes, 4), nibble);
            let q = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
            // Lanes 0-3 and 8-11 hold the first block's sums, 4-7 and 12-15 the second's.
            let i = _mm512_dpbusd_epi32(zero, q, ax);
            let scale = _mm512_mask_blend_ps(
                0xF0F0,
                _mm512_set1_ps(f16_at(blk) * dx0),
                _mm512_set1_ps(f16_at(blk.add(Q4_1_BYTES)) * dx1),
            );
            *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), scale, *acc);
            mins[r] += f16_at(blk.add(2)) * sx0 + f16_at(blk.add(Q4_1_BYTES + 2)) * sx1;
        }
    }
    std::array::from_fn(|r| _mm512_reduce_add_ps(acc[r]) + mins[r])
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::{QMatMul, QTensor};
    use candle_core::{Device, Module, Tensor};

    fn values(n: usize, salt: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| {
                let h = (i ^ salt).wrapping_mul(2_654_435_761).rotate_left(13);
                (h >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    /// The product of `x` and the dequantized weight, in f64.
    fn reference(w: &QTensor, x: &[f32]) -> Vec<f64> {
        let dense: Vec<f32> = w
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        dense
            .chunks_exact(x.len())
            .map(|row| row.iter().zip(x).map(|(a, b)| *a as f64 * *b as f64).sum())
            .collect()
    }

    #[test]
    fn equals_the_product_of_the_dequantized_weight() {
        if !crate::llm::int8_gemm::available() {
            // The caller uses candle's quantized matmul there, tested in `matmul`.
            return;
        }
        for (dtype, out_dim, in_dim) in [
            (GgmlDType::Q4K, 23, 512),
            (GgmlDType::Q6K, 21, 768),
            (GgmlDType::Q8_0, 13, 576),
            (GgmlDType::Q4_1, 9, 576),
        ] {
            let wv = values(out_dim * in_dim, 7);
            let dense = Tensor::from_vec(wv, (out_dim, in_dim), &Device::Cpu).unwrap();
            let q = QTensor::quantize(&dense, dtype).unwrap();
            let data = q.data().unwrap();
            let rows = QuantizedRows {
                dtype,
                bytes: &data,
                out_dim,
                in_dim,
            };
            assert!(supported(&rows), "{dtype:?}");
            // Activations of uneven size, as a hidden state has.
            let x: Vec<f32> = values(in_dim, 99)
                .iter()
                .enumerate()
                .map(|(i, v)| v * (1.0 + (i % 17) as f32))
                .collect();
            let want = reference(&q, &x);
            let got = gemv(&x, rows);
            let candle = candle_product(&dense, dtype, &x);
            let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
            // candle keeps the activations' scales of 32-value blocks in f16, this module
            // in f32.
            let same = if dtype.block_size() == 32 { 1e-3 } else { 1e-5 };
            for (row, ((g, w), c)) in got.iter().zip(&want).zip(&candle).enumerate() {
                // Rounding the activations to 8 bits costs under 1% of the largest output;
                // candle rounds them the same way, so its sums agree closely.
                assert!(
                    (*g as f64 - w).abs() < 0.01 * scale,
                    "{dtype:?} row {row}: {g} vs {w}"
                );
                assert!(
                    ((g - c) as f64).abs() < same * scale,
                    "{dtype:?} row {row}: {g} vs candle's {c}"
                );
            }
        }
    }

    /// The product by candle's quantized matmul of `dense` quantized to `dtype`.
    fn candle_product(dense: &Tensor, dtype: GgmlDType, x: &[f32]) -> Vec<f32> {
        let w = QTensor::quantize(dense, dtype).unwrap();
        let xs = Tensor::from_slice(x, (1, x.len()), &Device::Cpu).unwrap();
        QMatMul::from_qtensor(w)
            .unwrap()
            .forward(&xs)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let dense = Tensor::zeros((4, 96), candle_core::DType::F32, &Device::Cpu).unwrap();
        let q = QTensor::quantize(&dense, GgmlDType::Q8_0).unwrap();
        let data = q.data().unwrap();
        // 96 values are three Q8_0 blocks: not whole pairs.
        let rows = QuantizedRows {
            dtype: GgmlDType::Q8_0,
            bytes: &data,
            out_dim: 4,
            in_dim: 96,
        };
        assert!(!supported(&rows));
        let q4 = QTensor::quantize(&dense, GgmlDType::Q4_0).unwrap();
        let data = q4.data().unwrap();
        let rows = QuantizedRows {
            dtype: GgmlDType::Q4_0,
            bytes: &data,
            out_dim: 4,
            in_dim: 96,
        };
        assert!(!supported(&rows));
    }
}
