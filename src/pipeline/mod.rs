//! The summarizing pipeline: plan chunks, read each with focused passes (map), ground the
//! items in their turns, merge (reduce), assemble.

pub mod cues;
pub mod due;
pub mod extract;
pub mod generator;
pub mod grounding;
pub mod local;
pub mod merge;
pub mod naming;
pub mod plan;
pub mod prompts;
pub mod quality;
pub mod regenerate;
pub mod summarize;
pub mod tidy;
