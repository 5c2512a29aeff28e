//! The summarizing pipeline: plan chunks, generate per chunk (map), merge (reduce), assemble.

pub mod extract;
pub mod generator;
pub mod local;
pub mod merge;
pub mod naming;
pub mod plan;
pub mod prompts;
pub mod quality;
pub mod regenerate;
pub mod summarize;
