//! recap's kernels on real weight rows: for every quant type in the test models, each
//! kernel path this CPU runs equals the generic scalar reference on rows read from the
//! GGUF files. The paths come from `RECAP_SMOLLM2` (Q4_1) and `RECAP_QWEN25`
//! (Qwen2.5-Coder-0.5B: Q4_K, Q6_K, Q5_0 and more), which `scripts/test` sets; without
//! them these tests fail.

use std::collections::BTreeSet;
use std::path::PathBuf;

use candle_core::quantized::{gguf_file, GgmlDType};
use candle_core::Device;
use recap::llm::gemv::{gemv_with, supported};
use recap::llm::int8_gemm::{matmul_requantized, matmul_with, QuantizedRows};
use recap::llm::kernels::{KernelPath, Kernels};

fn model(var: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .unwrap_or_else(|| panic!("{var} is not set: scripts/test fetches the model and sets it"));
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{var}={} is not a file", path.display());
    path
}

/// Deterministic activations of uneven size, as a hidden state has.
fn activation(n: usize, salt: u32) -> Vec<f32> {
    (0..n as u32)
        .map(|i| {
            let h = (i ^ salt).wrapping_mul(2_654_435_761).rotate_left(11);
            ((h >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * (1.0 + (i % 23) as f32)
        })
        .collect()
}

/// Every path this CPU runs, which on x86-64 must include AVX2 and the paths of the
/// features the CPU reports.
fn paths() -> Vec<&'static Kernels> {
    let paths = KernelPath::available_paths();
    #[cfg(target_arch = "x86_64")]
    for (path, reported) in [
        (KernelPath::Avx2, true),
        (KernelPath::AvxVnni, is_x86_feature_detected!("avxvnni")),
        (KernelPath::Avx512, is_x86_feature_detected!("avx512vnni")),
        (KernelPath::Amx, recap::llm::kernels::cpu_reports_amx()),
    ] {
        assert!(
            !reported || paths.contains(&path),
            "this CPU runs the {path} path"
        );
    }
    paths.into_iter().map(Kernels::for_path).collect()
}

/// Checks the first rows of one tensor of each quant type in `file`; returns the types.
fn check_model(file: &PathBuf) -> BTreeSet<String> {
    let mut f = std::fs::File::open(file).unwrap();
    let content = gguf_file::Content::read(&mut f).unwrap();
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut seen = BTreeSet::new();
    for name in names {
        let info = &content.tensor_infos[name];
        let dtype = info.ggml_dtype;
        if !name.starts_with("blk.") || seen.contains(&format!("{dtype:?}")) {
            continue;
        }
        if !matches!(
            dtype,
            GgmlDType::Q4K | GgmlDType::Q6K | GgmlDType::Q8_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0
        ) {
            continue;
        }
        let t = content.tensor(&mut f, name, &Device::Cpu).unwrap();
        let Ok((out_dim, in_dim)) = t.shape().dims2() else {
            continue;
        };
        let data = t.data().unwrap();
        let rows = out_dim.min(37);
        let row_bytes = data.len() / out_dim;
        let w = QuantizedRows {
            dtype,
            bytes: &data[..rows * row_bytes],
            out_dim: rows,
            in_dim,
        };
        assert!(
            supported(&w),
            "{name}: {dtype:?} x {in_dim} has a decoding kernel"
        );
        let x = activation(in_dim, 5);
        let generic = Kernels::for_path(KernelPath::Generic);
        let want = gemv_with(generic, &x, w);
        let batch = 20;
        let xs = activation(batch * in_dim, 9);
        // A path multiplies k-quant codes as the file stores them or re-quantizes the
        // rows to int8 first; each is held to the generic reference of its own method.
        let by_codes = matmul_with(generic, &xs, batch, w);
        let requantized = matmul_requantized(generic, &xs, batch, w);
        let scale = |v: &[f32]| v.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-20);
        for k in paths() {
            let got = gemv_with(k, &x, w);
            for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - e).abs() <= 1e-5 * scale(&want),
                    "{} {name} row {i}: {g} vs generic {e}",
                    k.path
                );
            }
            let want_batch = if k.reads_codes(dtype) {
                &by_codes
            } else {
                &requantized
            };
            let got = matmul_with(k, &xs, batch, w);
            for (i, (g, e)) in got.iter().zip(want_batch).enumerate() {
                assert!(
                    (g - e).abs() <= 1e-5 * scale(want_batch),
                    "{} {name} GEMM element {i}: {g} vs generic {e}",
                    k.path
                );
            }
        }
        seen.insert(format!("{dtype:?}"));
    }
    seen
}

#[test]
fn every_path_equals_the_reference_on_real_rows_of_every_type() {
    let mut seen = check_model(&model("RECAP_SMOLLM2"));
    seen.extend(check_model(&model("RECAP_QWEN25")));
    for dtype in ["Q4K", "Q6K", "Q4_1", "Q5_0"] {
        assert!(seen.contains(dtype), "no {dtype} tensor checked: {seen:?}");
    }
}
