//! The summarizing pipeline: plan chunks, generate per chunk (map), merge (reduce), assemble.
pub mod plan;
