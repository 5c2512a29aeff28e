//! Evaluation: scoring generated notes against human references.
//!
//! A [`candidate::Summarizer`] (the model pipeline, or the extractive [`baseline`]) turns
//! each meeting of a [`dataset::Dataset`] into a [`candidate::Candidate`]; [`report`]
//! scores it with [`rouge`] (summary against the reference abstract) and [`matching`]
//! (action items and decisions against the reference lists, by shared words) and [`meaning`]
//! (the same lists by sentence embeddings), and averages the scores.

pub mod agreement;
pub mod baseline;
pub mod candidate;
pub mod dataset;
pub mod matching;
pub mod meaning;
pub mod pipeline_summarizer;
pub mod report;
pub mod rouge;
pub mod saved;
