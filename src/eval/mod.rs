//! Evaluation: scoring generated notes against human references.
