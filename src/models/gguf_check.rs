//! The structural check every fetched file passes before it enters the cache.
//!
//! A GGUF file is a header (magic `GGUF`, a version, the tensor and metadata counts), the
//! metadata (typed key/value pairs), the tensor table (name, shape, type and offset of each
//! tensor) and then the tensor data. The check parses all of the first three with candle's
//! reader and makes sure every tensor's bytes lie inside the file, which catches truncated
//! and mis-assembled downloads that a missing checksum would let through.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value, VersionedMagic};

/// What the check learnt about a well-formed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufSummary {
    /// GGUF format version (1, 2 or 3).
    pub version: u32,
    pub tensor_count: usize,
    pub metadata_count: usize,
    /// `general.architecture`, when the file names one.
    pub architecture: Option<String>,
    /// Tensor type names (`Q4_K`, `F32`...) with how many tensors use each.
    pub tensor_types: BTreeMap<String, usize>,
    pub file_size: u64,
}

/// Why a file is not a usable GGUF file.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid GGUF file: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error("{path}: tensor `{tensor}` needs bytes {start}..{end} but the file has {size} bytes (truncated?)")]
    TensorOutOfBounds {
        path: PathBuf,
        tensor: String,
        start: u64,
        end: u64,
        size: u64,
    },
    #[error("{path}: the file's architecture is `{found}`, the registry expects `{expected}`")]
    WrongArchitecture {
        path: PathBuf,
        found: String,
        expected: String,
    },
}

/// Parses `path`'s header, metadata and tensor table and bounds-checks the tensor data.
pub fn check(path: &Path) -> Result<GgufSummary, GgufError> {
    let io = |source| GgufError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let file_size = file.metadata().map_err(io)?.len();
    check_reader(&mut BufReader::new(file), file_size, path)
}

/// [`check`] on the `file_size` bytes of `reader`; `path` names them in errors.
pub fn check_reader<R: Read + Seek>(
    reader: &mut R,
    file_size: u64,
    path: &Path,
) -> Result<GgufSummary, GgufError> {
    let content = Content::read(reader).map_err(|e| GgufError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut tensor_types = BTreeMap::new();
    for (name, info) in &content.tensor_infos {
        // Computed in u64 with overflow checks: a hostile shape must not wrap to a small size.
        let elems = info
            .shape
            .dims()
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(d as u64));
        let block = info.ggml_dtype.block_size() as u64;
        let bytes = elems.and_then(|e| (e / block).checked_mul(info.ggml_dtype.type_size() as u64));
        let start = content.tensor_data_offset.saturating_add(info.offset);
        let end = bytes.map_or(u64::MAX, |b| start.saturating_add(b));
        if elems.is_none_or(|e| !e.is_multiple_of(block)) || end > file_size {
            return Err(GgufError::TensorOutOfBounds {
                path: path.to_path_buf(),
                tensor: name.clone(),
                start,
                end,
                size: file_size,
            });
        }
        *tensor_types
            .entry(format!("{:?}", info.ggml_dtype))
            .or_insert(0) += 1;
    }
    let architecture = match content.metadata.get("general.architecture") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(GgufSummary {
        version: match content.magic {
            VersionedMagic::GgufV1 => 1,
            VersionedMagic::GgufV2 => 2,
            VersionedMagic::GgufV3 => 3,
        },
        tensor_count: content.tensor_infos.len(),
        metadata_count: content.metadata.len(),
        architecture,
        tensor_types,
        file_size,
    })
}

/// [`check`], and when the file names its architecture, that it is `expected`.
pub fn check_architecture(path: &Path, expected: &str) -> Result<GgufSummary, GgufError> {
    let summary = check(path)?;
    match &summary.architecture {
        Some(found) if found != expected => Err(GgufError::WrongArchitecture {
            path: path.to_path_buf(),
            found: found.clone(),
            expected: expected.to_string(),
        }),
        _ => Ok(summary),
    }
}

/// Test support: writes small valid GGUF files.
#[doc(hidden)]
pub mod testing {
    use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
    use candle_core::{Device, Tensor};

    /// The bytes of a valid GGUF file: `general.architecture = arch`, one Q8_0 tensor of
    /// 64 x `cols` values (all equal to `fill`), so different fills give different hashes.
    pub fn tiny_gguf(arch: &str, cols: usize, fill: f32) -> Vec<u8> {
        let t = Tensor::full(fill, (64, cols), &Device::Cpu).expect("tensor");
        let q = QTensor::quantize(&t, GgmlDType::Q8_0).expect("quantize");
        let arch = gguf_file::Value::String(arch.to_string());
        let mut out = std::io::Cursor::new(Vec::new());
        gguf_file::write(
            &mut out,
            &[("general.architecture", &arch)],
            &[("token_embd.weight", &q)],
        )
        .expect("write gguf");
        out.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_written_file_and_reports_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.gguf");
        std::fs::write(&p, testing::tiny_gguf("llama", 64, 0.5)).unwrap();
        let s = check_architecture(&p, "llama").unwrap();
        assert_eq!(s.version, 2);
        assert_eq!(s.tensor_count, 1);
        assert_eq!(s.metadata_count, 1);
        assert_eq!(s.architecture.as_deref(), Some("llama"));
        assert_eq!(s.tensor_types.get("Q8_0"), Some(&1));
    }

    #[test]
    fn truncated_file_is_rejected_with_the_tensor_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.gguf");
        let bytes = testing::tiny_gguf("llama", 64, 0.5);
        std::fs::write(&p, &bytes[..bytes.len() - 100]).unwrap();
        let err = check(&p).unwrap_err().to_string();
        assert!(
            err.contains("tensor `token_embd.weight` needs bytes"),
            "{err}"
        );
        assert!(err.ends_with("(truncated?)"), "{err}");
    }

    #[test]
    fn wrong_magic_and_wrong_architecture_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.gguf");
        std::fs::write(&p, b"PK\x03\x04 not a gguf file at all, just some bytes").unwrap();
        let err = check(&p).unwrap_err().to_string();
        assert!(
            err.contains("is not a valid GGUF file: unknown magic"),
            "{err}"
        );
        std::fs::write(&p, testing::tiny_gguf("qwen2", 64, 0.5)).unwrap();
        let err = check_architecture(&p, "llama").unwrap_err().to_string();
        assert!(
            err.ends_with("the file's architecture is `qwen2`, the registry expects `llama`"),
            "{err}"
        );
    }
}
