//! Fixtures the model-fetch tests build for themselves: tiny GGUF files and wheels that
//! carry them, served to pip from a local folder (`--no-index --find-links DIR`).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use recap::models::gguf_check::testing::tiny_gguf;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `<dir>/<dist>-<version>-py3-none-any.whl` holding `member` with `data` (and the
/// dist-info pip reads). `package` may use `-`; the file and folder names use `_`.
pub fn write_wheel(dir: &Path, package: &str, version: &str, member: &str, data: &[u8]) -> PathBuf {
    let dist = package.replace('-', "_");
    let path = dir.join(format!("{dist}-{version}-py3-none-any.whl"));
    let file = std::fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let info = format!("{dist}-{version}.dist-info");
    let metadata = format!("Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n");
    let wheel =
        "Wheel-Version: 1.0\nGenerator: recap-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
    let files: Vec<(String, &[u8])> = vec![
        (member.to_string(), data),
        (format!("{info}/METADATA"), metadata.as_bytes()),
        (format!("{info}/WHEEL"), wheel.as_bytes()),
    ];
    let mut record = String::new();
    for (name, bytes) in &files {
        zip.start_file(name.as_str(), opts).unwrap();
        zip.write_all(bytes).unwrap();
        record.push_str(&format!("{name},,\n"));
    }
    record.push_str(&format!("{info}/RECORD,,\n"));
    zip.start_file(format!("{info}/RECORD"), opts).unwrap();
    zip.write_all(record.as_bytes()).unwrap();
    zip.finish().unwrap();
    path
}

/// The names in a folder, sorted (hidden staging files included).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// A `[[model]]` head for test registries.
pub fn model_head(name: &str, arch: &str) -> String {
    format!(
        "[[model]]\nname = \"{name}\"\narchitecture = \"{arch}\"\nparams = \"1M\"\nquant = \"Q8_0\"\ncontext_length = 512\nlicence = \"MIT\"\ninstruct = true\nverified_here = false\n"
    )
}
