//! The summarizing pipeline: plan chunks, read each with focused passes (map), ground the
//! items in their turns, merge (reduce), assemble.

/// `fn $name() -> &'static Regex`: `$pattern` compiled on first use, once. The patterns are
/// constants of the crate, checked by its tests, so compiling them cannot fail.
macro_rules! cached_regex {
    ($name:ident, $pattern:expr) => {
        fn $name() -> &'static regex::Regex {
            static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
            RE.get_or_init(|| regex::Regex::new($pattern).unwrap_or_else(|e| unreachable!("{e}")))
        }
    };
}

pub mod backchannel;
pub mod cues;
pub mod due;
pub mod extract;
pub mod form;
pub mod generator;
pub mod grounding;
pub mod handout;
pub mod local;
pub mod meeting_acts;
pub mod merge;
pub mod naming;
pub mod plan;
pub mod prompts;
pub mod quality;
pub mod regenerate;
pub mod replay;
pub mod sameness;
pub mod summarize;
pub mod tidy;
pub mod trace;
pub mod twice;
