//! The AVX-VNNI path (x86-64 with AVX-VNNI beside AVX2, FMA and F16C: Intel since Alder
//! Lake, 12th-generation Core, which has no AVX-512; AMD since Zen 5).
//!
//! AVX-VNNI is AVX-512 VNNI's `vpdpbusd` and `vpdpwssd` on 256-bit vectors. `vpdpbusd`
//! multiplies four unsigned bytes by four signed ones and adds the four products to an i32
//! lane: nothing passes through an i16, so nothing saturates, and one instruction does what
//! AVX2's `vpmaddubsw` + `vpmaddwd` + `vpaddd` do. Which operand is unsigned still matters:
//!
//! - the int8 GEMM's activations are stored plus 128, unsigned as `vpdpbusd` wants, so the
//!   panel's signed bytes meet them as they are and the panel's offsets take the 128s off
//!   (as on the AVX-512 path); AVX2 had to move signs instead;
//! - Q4_1 and Q5_0 codes are unsigned and meet the signed activation directly;
//! - Q8_0's weights are signed: `|w|` meets `x` with `w`'s sign, as on AVX2 (`|-128|` is
//!   128 as an unsigned byte), without AVX2's bound on a pair;
//! - Q4_K and Q6_K apply an i16 scale per sub-block to pairs of products, so they keep
//!   `vpmaddubsw` (codes below 64: a pair stays under 16,129) and fuse the scaling
//!   `vpmaddwd` with its sum into one `vpdpwssd`.
//!
//! Every sum is the same exact integer as the generic path's. The kernels are
//! [`super::simd256`]'s, built on [`dpbusd`]; the attention loops and `exp` gain nothing
//! from VNNI and are the AVX2 path's.

// SIMD intrinsics over the GGUF bytes; every pointer read stays inside the slices whose
// geometry the dispatch table's callers checked.
#![allow(unsafe_code)]

use super::simd256::int8_kernels;
use super::{avx2, KernelPath, Kernels};

pub(super) static KERNELS: Kernels = Kernels {
    path: KernelPath::AvxVnni,
    int8_gemm_fast: true,
    dot_rows: int8::dot_rows,
    dot_rows_shared: Some(int8::dot_rows_shared),
    panel_product: int8::panel_product,
    code_product: None,
    scores: avx2::scores,
    weighted_sums: avx2::weighted_sums,
    exp_sum: avx2::exp_sum,
    quantize_block: avx2::quantize_block,
};

// Six activation rows per GEMM call: twelve accumulators (two 8-column vectors a row) of
// the 16 vector registers, beside the panel's two vectors and a broadcast.
int8_kernels!(
    mod int8,
    features = "avx2,fma,f16c,avxvnni",
    products = dpbusd,
    gemm_rows = [1, 2, 3, 4, 5, 6]
);

/// AVX-VNNI's int8 products (see [`super::simd256`]).
mod dpbusd {
    use std::arch::x86_64::*;

    /// `vpmaddubsw` pairs (below 2 x 63 x 127), scaled and summed by one `vpdpwssd`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avxvnni")]
    pub(super) unsafe fn scaled_add(
        isum: __m256i,
        codes: __m256i,
        x: __m256i,
        scales: __m256i,
    ) -> __m256i {
        _mm256_dpwssd_avx_epi32(isum, _mm256_maddubs_epi16(codes, x), scales)
    }

    /// `|w|` (unsigned) times `x` with `w`'s sign.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avxvnni")]
    pub(super) unsafe fn signed_dot(w: __m256i, x: __m256i) -> __m256i {
        let zero = _mm256_setzero_si256();
        _mm256_dpbusd_avx_epi32(zero, _mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w))
    }

    /// The unsigned codes times the signed activation, both halves into one sum.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avxvnni")]
    pub(super) unsafe fn pair_dot(lo: __m256i, hi: __m256i, x0: __m256i, x1: __m256i) -> __m256i {
        let zero = _mm256_setzero_si256();
        _mm256_dpbusd_avx_epi32(_mm256_dpbusd_avx_epi32(zero, lo, x0), hi, x1)
    }

    /// The activation's bytes, stored plus 128, are the unsigned operand.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avxvnni")]
    pub(super) unsafe fn panel_dot(acc: __m256i, x: __m256i, b: __m256i) -> __m256i {
        _mm256_dpbusd_avx_epi32(acc, x, b)
    }

    /// The products of `q + 128` less the panel's `128 * sum(weights)`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avxvnni")]
    pub(super) unsafe fn panel_exact(acc: __m256i, offsets: *const i32) -> __m256i {
        _mm256_sub_epi32(acc, _mm256_loadu_si256(offsets as *const __m256i))
    }
}
