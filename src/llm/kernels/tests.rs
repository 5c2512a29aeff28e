//! Every kernel of every path this CPU runs, against the generic scalar reference; and the
//! generic reference against exact products of the dequantized weights.
//!
//! The paths are iterated, not chosen: an AVX-512 machine tests its AVX2 and AVX-VNNI
//! paths too, and no test returns early for want of a feature. On x86-64 at least the
//! generic and AVX2 paths must run (every x86-64 CPU recap supports has AVX2), and every
//! path whose feature the CPU reports must be among those run; on aarch64, NEON where the
//! CPU has the dot-product extension, both of its int8 GEMMs where it also has i8mm
//! (`scripts/test-aarch64` runs these under QEMU with both, dotprod only and neither).

use std::borrow::Cow;

use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::{Device, Tensor};

use super::layout::{block_bytes, Activation};
use super::{resolve, KernelError, KernelPath, Kernels};
use crate::llm::gemv::gemv_with;
use crate::llm::int8_gemm::{matmul_requantized, matmul_with, QuantizedRows};

/// The five weight types of the models recap fetches.
const TYPES: [GgmlDType; 5] = [
    GgmlDType::Q4K,
    GgmlDType::Q6K,
    GgmlDType::Q8_0,
    GgmlDType::Q4_1,
    GgmlDType::Q5_0,
];

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in -1..1.
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// The paths this CPU must run: generic, and on x86-64 AVX2 and those of the features the
/// CPU reports; on aarch64 NEON where the CPU reports the dot-product extension.
fn expected_paths() -> Vec<KernelPath> {
    #[allow(unused_mut)]
    let mut want = vec![KernelPath::Generic];
    #[cfg(target_arch = "x86_64")]
    {
        want.push(KernelPath::Avx2);
        if is_x86_feature_detected!("avxvnni") {
            want.push(KernelPath::AvxVnni);
        }
        if is_x86_feature_detected!("avx512vnni") && is_x86_feature_detected!("avx512bw") {
            want.push(KernelPath::Avx512);
        }
        if super::cpu_reports_amx() {
            want.push(KernelPath::Amx);
        }
    }
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("dotprod") {
        want.push(KernelPath::Neon);
    }
    want
}

/// The paths to test: every path this CPU runs, which must include [`expected_paths`].
fn paths() -> Vec<&'static Kernels> {
    let paths = KernelPath::available_paths();
    for want in expected_paths() {
        assert!(
            paths.contains(&want),
            "this CPU should run the {want} path (it runs {paths:?})"
        );
    }
    #[allow(unused_mut)]
    let mut tables: Vec<&'static Kernels> = paths.into_iter().map(Kernels::for_path).collect();
    // NEON's table with i8mm replaces the int8 GEMM of the one without: test both.
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("i8mm") {
        let best = *tables.last().unwrap();
        assert!(
            std::ptr::eq(best, &super::neon::KERNELS_I8MM),
            "i8mm's GEMM is chosen"
        );
        tables.insert(tables.len() - 1, &super::neon::KERNELS);
    }
    tables
}

/// Byte offsets of the f16 fields of a block of `dtype`.
fn f16_fields(dtype: GgmlDType) -> &'static [usize] {
    match dtype {
        GgmlDType::Q4K | GgmlDType::Q4_1 => &[0, 2],
        GgmlDType::Q6K => &[208],
        _ => &[0],
    }
}

/// `rows x in_dim` values of `dtype` as random bytes: every code and scale bit pattern
/// occurs, with the f16 fields set to finite values of either sign.
fn random_blocks(dtype: GgmlDType, rows: usize, in_dim: usize, rng: &mut Rng) -> Vec<u8> {
    let n = rows * in_dim / dtype.block_size();
    let size = block_bytes(dtype);
    let mut bytes: Vec<u8> = (0..n * size).map(|_| rng.next() as u8).collect();
    for blk in bytes.chunks_exact_mut(size) {
        for &at in f16_fields(dtype) {
            // Exponent 8..=16 (2^-7..2^1), any sign and mantissa.
            let exp = 8 + (rng.next() % 9) as u16;
            let bits = (rng.next() as u16 & 0x83ff) | exp << 10;
            blk[at..at + 2].copy_from_slice(&bits.to_le_bytes());
        }
    }
    bytes
}

/// The weight dequantized by candle: `rows x in_dim`.
fn dequantized(dtype: GgmlDType, bytes: &[u8], rows: usize, in_dim: usize) -> Vec<f32> {
    let storage = QStorage::from_data(Cow::Borrowed(bytes), &Device::Cpu, dtype).unwrap();
    QTensor::new(storage, (rows, in_dim))
        .unwrap()
        .dequantize(&Device::Cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

/// An activation row that 8-bit quantization keeps exactly: whole multiples of each
/// block's step, with ±127 steps in every block. Products with it are then exact targets.
fn exact_activation(in_dim: usize, block: usize, rng: &mut Rng) -> Vec<f32> {
    let mut x = Vec::with_capacity(in_dim);
    for b in 0..in_dim / block {
        let step = 0.25 * (1 + b % 5) as f32;
        for i in 0..block {
            let q = if i == b % block {
                127.0
            } else {
                (rng.unit() * 127.0).round()
            };
            x.push(q * step);
        }
    }
    x
}

/// `w · x` per row in f64, and the sum of the terms' magnitudes (which bounds f32
/// rounding).
fn exact_products(w: &[f32], x: &[f32]) -> Vec<(f64, f64)> {
    w.chunks_exact(x.len())
        .map(|row| {
            row.iter().zip(x).fold((0.0, 0.0), |(s, m), (a, b)| {
                let t = *a as f64 * *b as f64;
                (s + t, m + t.abs())
            })
        })
        .collect()
}

fn check_close(what: &str, got: &[f32], want: &[f32], magnitude: &[f64], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, ((g, w), m)) in got.iter().zip(want).zip(magnitude).enumerate() {
        assert!(
            ((g - w) as f64).abs() <= tolerance * m.max(1e-30),
            "{what} output {i}: {g} vs {w} (terms {m})"
        );
    }
}

#[test]
fn the_paths_include_every_one_the_cpu_reports() {
    let ran: Vec<_> = paths().iter().map(|k| k.path).collect();
    assert_eq!(ran[0], KernelPath::Generic);
    assert_eq!(KernelPath::best(), *ran.last().unwrap());
    // The fastest first: avx512 > avxvnni > avx2 > generic.
    assert_eq!(KernelPath::best(), *expected_paths().last().unwrap());
}

#[test]
fn decoding_kernels_equal_the_reference_on_random_blocks() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for dtype in TYPES {
        let widths: &[usize] = if dtype.block_size() == 256 {
            &[256, 768]
        } else {
            &[64, 576]
        };
        for &in_dim in widths {
            // 7 rows: a call of four rows and one of three.
            let out_dim = 7;
            let bytes = random_blocks(dtype, out_dim, in_dim, &mut rng);
            let dense = dequantized(dtype, &bytes, out_dim, in_dim);
            let x = exact_activation(in_dim, dtype.block_size(), &mut rng);
            let exact = exact_products(&dense, &x);
            let want: Vec<f32> = exact.iter().map(|e| e.0 as f32).collect();
            let magnitude: Vec<f64> = exact.iter().map(|e| e.1).collect();
            let w = QuantizedRows {
                dtype,
                bytes: &bytes,
                out_dim,
                in_dim,
            };
            for k in paths() {
                let got = gemv_with(k, &x, w);
                let what = format!("{} {dtype:?} x {in_dim}", k.path);
                check_close(&what, &got, &want, &magnitude, 1e-5);
            }
        }
    }
}

#[test]
fn decoding_kernels_agree_on_uneven_activations() {
    // Activations that do not quantize exactly: the paths round them identically, so they
    // agree with the generic path closely even where neither equals the f32 product.
    let mut rng = Rng(42);
    for dtype in TYPES {
        let in_dim = if dtype.block_size() == 256 { 512 } else { 896 };
        let out_dim = 13;
        let bytes = random_blocks(dtype, out_dim, in_dim, &mut rng);
        let dense = dequantized(dtype, &bytes, out_dim, in_dim);
        let x: Vec<f32> = (0..in_dim)
            .map(|i| rng.unit() * (1.0 + (i % 17) as f32))
            .collect();
        let magnitude: Vec<f64> = exact_products(&dense, &x).iter().map(|e| e.1).collect();
        let w = QuantizedRows {
            dtype,
            bytes: &bytes,
            out_dim,
            in_dim,
        };
        let reference = gemv_with(Kernels::for_path(KernelPath::Generic), &x, w);
        for k in paths() {
            let got = gemv_with(k, &x, w);
            let what = format!("{} {dtype:?}", k.path);
            check_close(&what, &got, &reference, &magnitude, 1e-5);
        }
    }
}

#[test]
fn shared_decoding_equals_one_activation_at_a_time_bit_for_bit() {
    // A short batch (a draft, forced tokens) must give each row exactly the logits a pass
    // of that row alone gives, or drafts would change replies. Up to six activations: a
    // shared call of four and one of two; 21 weight rows: uneven in every grouping.
    let mut rng = Rng(7);
    for dtype in TYPES {
        let in_dim = if dtype.block_size() == 256 { 768 } else { 576 };
        let out_dim = 21;
        let bytes = random_blocks(dtype, out_dim, in_dim, &mut rng);
        let row_bytes = bytes.len() / out_dim;
        for count in 1..=6 {
            let acts: Vec<Activation> = (0..count)
                .map(|_| {
                    let x: Vec<f32> = (0..in_dim)
                        .map(|i| rng.unit() * (1.0 + (i % 13) as f32))
                        .collect();
                    Activation::new(&x, dtype)
                })
                .collect();
            for k in paths() {
                let mut shared = vec![f32::NAN; count * out_dim];
                k.dot_rows_shared(&bytes, row_bytes, &acts, &mut shared);
                for (j, a) in acts.iter().enumerate() {
                    let mut alone = vec![f32::NAN; out_dim];
                    k.dot_rows(&bytes, row_bytes, a, &mut alone);
                    let got = &shared[j * out_dim..(j + 1) * out_dim];
                    let same = got
                        .iter()
                        .zip(&alone)
                        .all(|(g, a)| g.to_bits() == a.to_bits());
                    assert!(
                        same,
                        "{} {dtype:?}, activation {j} of {count}: {got:?} vs {alone:?}",
                        k.path
                    );
                }
            }
        }
    }
}

#[test]
fn activation_layout_keeps_every_value_once() {
    let mut rng = Rng(7);
    for dtype in TYPES {
        let in_dim = 512;
        let x = exact_activation(in_dim, dtype.block_size(), &mut rng);
        let a = Activation::new(&x, dtype);
        assert_eq!(a.len(), in_dim);
        assert_eq!(
            a.row_bytes(),
            in_dim / dtype.block_size() * block_bytes(dtype)
        );
        let mut sorted_q: Vec<i8> = a.q.clone();
        sorted_q.sort();
        let mut sorted_x: Vec<i8> = x
            .chunks_exact(dtype.block_size())
            .zip(&a.d)
            .flat_map(|(b, d)| b.iter().map(move |v| (v / d).round() as i8))
            .collect();
        sorted_x.sort();
        assert_eq!(sorted_q, sorted_x, "{dtype:?}");
    }
}

#[test]
fn int8_gemm_kernels_equal_the_reference() {
    let mut rng = Rng(0x1234_5678);
    // 100 outputs: one full panel and a partial one (whose last strip is partial too);
    // 37 rows: two AMX tiles of 16 and a remainder, full calls of four and six rows and
    // remainders.
    let (out_dim, rows) = (100, 37);
    for dtype in TYPES {
        let in_dim = if dtype.block_size() == 256 { 512 } else { 576 };
        let values: Vec<f32> = (0..out_dim * in_dim).map(|_| rng.unit()).collect();
        let w = Tensor::from_vec(values, (out_dim, in_dim), &Device::Cpu).unwrap();
        let q = QTensor::quantize(&w, dtype).unwrap();
        let bytes = q.data().unwrap();
        let dense: Vec<f32> = q
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let x: Vec<f32> = (0..rows * in_dim).map(|_| rng.unit()).collect();
        let mut want = Vec::new();
        let mut magnitude = Vec::new();
        for row in x.chunks_exact(in_dim) {
            for (s, m) in exact_products(&dense, row) {
                want.push(s as f32);
                magnitude.push(m);
            }
        }
        let wq = QuantizedRows {
            dtype,
            bytes: &bytes,
            out_dim,
            in_dim,
        };
        let generic = Kernels::for_path(KernelPath::Generic);
        let reference = matmul_with(generic, &x, rows, wq);
        // Both operands rounded to 8 bits: each term is off by under 1% of its size.
        check_close(
            &format!("generic {dtype:?} vs f32"),
            &reference,
            &want,
            &magnitude,
            0.003,
        );
        // The re-quantized panels, which paths without a code product use for k-quants.
        let requantized = matmul_requantized(generic, &x, rows, wq);
        check_close(
            &format!("generic {dtype:?} re-quantized vs f32"),
            &requantized,
            &want,
            &magnitude,
            0.003,
        );
        for k in paths() {
            // Each path against the reference on the same panels: the same integers. The
            // generic path reads k-quants' codes, so `reference` is that kind's.
            let reference = if k.reads_codes(dtype) {
                &reference
            } else {
                &requantized
            };
            let got = matmul_with(k, &x, rows, wq);
            let what = format!("{} {dtype:?} GEMM", k.path);
            check_close(&what, &got, reference, &magnitude, 1e-5);
        }
    }
}

#[test]
fn attention_loops_equal_the_reference() {
    let mut rng = Rng(99);
    let generic = Kernels::for_path(KernelPath::Generic);
    for d in [8, 32, 64, 96, 128, 256] {
        // 75 positions span blocks of the weighted sums and end inside one.
        for (heads, n) in [(1, 11), (3, 75), (7, 11), (18, 75)] {
            let stride = 2 * d + 16;
            let rows: Vec<half::f16> = (0..n * stride)
                .map(|_| half::f16::from_f32(rng.unit()))
                .collect();
            let queries: Vec<f32> = (0..heads * d).map(|_| rng.unit()).collect();
            let weights: Vec<f32> = (0..heads * n).map(|_| rng.unit().abs()).collect();
            let mut want_scores = vec![0f32; heads * n];
            generic.scores(&queries, d, &rows[d..], stride, 0.5, &mut want_scores);
            let mut want_sums = vec![0f32; heads * d];
            generic.weighted_sums(&weights, n, &rows, stride, &mut want_sums);
            for k in paths() {
                let mut got = vec![0f32; heads * n];
                k.scores(&queries, d, &rows[d..], stride, 0.5, &mut got);
                for (g, w) in got.iter().zip(&want_scores) {
                    assert!(
                        (g - w).abs() < 1e-5 * d as f32,
                        "{} d {d}: {g} vs {w}",
                        k.path
                    );
                }
                let mut got = vec![1f32; heads * d];
                k.weighted_sums(&weights, n, &rows, stride, &mut got);
                for (g, w) in got.iter().zip(&want_sums) {
                    assert!(
                        (g - w).abs() < 1e-5 * n as f32,
                        "{} d {d}: {g} vs {w}",
                        k.path
                    );
                }
            }
        }
    }
}

#[test]
fn exp_sum_equals_the_scalar_exponential_on_every_path() {
    for k in paths() {
        for n in [0, 1, 7, 8, 15, 16, 37] {
            let row: Vec<f32> = (0..n).map(|i| i as f32 * 0.7 - 12.0).collect();
            let mut got = row.clone();
            let sum = k.exp_sum(&mut got, 2.0, 3.0);
            let want: Vec<f32> = row.iter().map(|v| (v * 2.0 - 3.0).exp()).collect();
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 5e-7 * w, "{}: {g} vs {w}", k.path);
            }
            let total: f32 = want.iter().sum();
            assert!(
                (sum - total).abs() <= 1e-5 * total.max(1e-30),
                "{}: {sum} vs {total}",
                k.path
            );
        }
        // Far below f32's range the result is (next to) zero, not a wrapped-around power.
        let mut tiny = vec![-1000.0f32; 11];
        assert!(k.exp_sum(&mut tiny, 1.0, 0.0) < 1e-37, "{}", k.path);
        // Softmax shifts by the maximum, so the arguments run from 0 down.
        let mut wide: Vec<f32> = (0..40).map(|i| -(i as f32) * 3.0).collect();
        let want: f32 = wide.iter().map(|v| v.exp()).sum();
        let got = k.exp_sum(&mut wide, 1.0, 0.0);
        assert!(
            (got - want).abs() < 1e-6 * want,
            "{}: {got} vs {want}",
            k.path
        );
    }
}

#[test]
fn recap_kernels_names_a_path_the_cpu_must_have() {
    assert_eq!(resolve(None).unwrap(), KernelPath::best());
    assert_eq!(resolve(Some("")).unwrap(), KernelPath::best());
    assert_eq!(resolve(Some("generic")).unwrap(), KernelPath::Generic);
    let e = resolve(Some("sse9")).unwrap_err();
    assert_eq!(e, KernelError::Unknown("sse9".into()));
    assert!(e
        .to_string()
        .contains("hint: use one of generic, avx2, avxvnni, avx512, amx, neon,"));
    for path in KernelPath::ALL {
        match resolve(Some(path.name())) {
            Ok(p) => assert!(p == path && path.available()),
            Err(KernelError::Unsupported { path: p, runs }) => {
                assert!(p == path && !path.available());
                assert!(runs.contains("generic"), "{runs}");
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn every_path_rounds_activation_blocks_to_the_same_bytes() {
    // Ties (multiples of half a step), zeros, a block whose largest value is negative.
    let blocks: [Vec<f32>; 4] = [
        (0..256).map(|i| (i as f32 - 128.0) / 127.0 * 2.5).collect(),
        (0..32).map(|i| (i * 37 % 19) as f32 * 0.5 - 4.0).collect(),
        vec![0.0; 32],
        (0..256).map(|i| (i % 7) as f32 * 0.1 - 9.0).collect(),
    ];
    for block in &blocks {
        let mut want = vec![0i8; block.len()];
        let scale = super::layout::quantize_block(block, &mut want);
        for k in paths() {
            let mut got = vec![0i8; block.len()];
            assert_eq!(k.quantize_block(block, &mut got).to_bits(), scale.to_bits());
            assert_eq!(got, want, "{}", k.path);
        }
    }
}
