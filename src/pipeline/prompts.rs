//! Prompt templates (minijinja): `system`; `transcript`, the numbered turns of one chunk
//! (or of a meeting that fits in one); the three questions asked of it, `actions`,
//! `decisions` and `overview`; and `reduce`, which merges the chunks' notes. The built-in
//! ones live in `prompts/`; a folder of the same file names (`<name>.j2`) overrides them
//! one by one. A pass's user message is the transcript, then its question: the three
//! passes over a chunk start with the same tokens, so the transcript's KV cache is
//! computed once.

use std::path::{Path, PathBuf};

use minijinja::Environment;
use serde::Serialize;

const BUILTIN: [(&str, &str); 6] = [
    ("system", include_str!("../../prompts/system.j2")),
    ("transcript", include_str!("../../prompts/transcript.j2")),
    ("actions", include_str!("../../prompts/actions.j2")),
    ("decisions", include_str!("../../prompts/decisions.j2")),
    ("overview", include_str!("../../prompts/overview.j2")),
    ("reduce", include_str!("../../prompts/reduce.j2")),
];

/// Errors loading or rendering a prompt template.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cannot read prompt template {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("prompt template `{name}` is invalid: {source:#}")]
    Template {
        name: String,
        source: minijinja::Error,
    },
}

/// The loaded templates.
#[derive(Debug)]
pub struct Prompts {
    env: Environment<'static>,
}

impl Prompts {
    /// The built-in templates, each replaced by `<dir>/<name>.j2` where that file exists.
    pub fn load(overrides: Option<&Path>) -> Result<Self, PromptError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_trim_blocks(false);
        // A prompt folder is the person's own, but a loop in it should fail, not hang.
        env.set_fuel(Some(crate::llm::chat_template::TEMPLATE_FUEL));
        for (name, builtin) in BUILTIN {
            let text = match overrides.map(|dir| dir.join(format!("{name}.j2"))) {
                Some(path) if path.is_file() => std::fs::read_to_string(&path)
                    .map_err(|source| PromptError::Read { path, source })?,
                _ => builtin.to_string(),
            };
            env.add_template_owned(name.to_string(), text)
                .map_err(|source| PromptError::Template {
                    name: name.to_string(),
                    source,
                })?;
        }
        Ok(Self { env })
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<String, PromptError> {
        let template = |source| PromptError::Template {
            name: name.to_string(),
            source,
        };
        let text = self
            .env
            .get_template(name)
            .map_err(template)?
            .render(context)
            .map_err(template)?;
        Ok(text.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn the_passes_over_a_chunk_share_its_transcript() {
        let prompts = Prompts::load(None).unwrap();
        let context = context! { date => "2025-11-07",
        participants => ["Ana", "Bo"], part => 1, parts => 2, cues => [2], settled => Vec::<()>::new(), first => 2, last => 2, whole => false,
        transcript => "[1] Ana: hi\n[2] Bo: bye\n" };
        let head = prompts.render("transcript", &context).unwrap();
        assert!(head.starts_with("Meeting date: 2025-11-07. Participants: Ana, Bo."));
        assert!(head.contains("part 1 of 2"), "{head}");
        assert!(head.ends_with("[2] Bo: bye"), "{head}");
        for question in ["decisions", "overview"] {
            let text = prompts.render(question, &context).unwrap();
            assert!(text.starts_with("Question:"), "{question}: {text}");
        }
        let decisions = prompts.render("decisions", &context).unwrap();
        assert!(decisions.ends_with("mark a decision: 2."), "{decisions}");
        let cue = context! { turn => 2, speaker => "Bo", sentence => "We keep the price." };
        let settled = prompts
            .render(
                "decisions",
                context! { settled => [cue], ..context.clone() },
            )
            .unwrap();
        assert!(
            settled.ends_with("mark a decision: 2.\nSentences that state a decision:\n[2] Bo: \"We keep the price.\""),
            "{settled}"
        );
        let cue = context! { turn => 2, speaker => "Bo", sentence => "I'll send it." };
        let context = context! { cues => [cue], ..context };
        let actions = prompts.render("actions", &context).unwrap();
        assert!(actions.starts_with("Question:"), "{actions}");
        assert!(actions.contains("(one of Ana, Bo, or \"TBD\""), "{actions}");
        assert!(
            actions.contains("came out of turns 2 to 2 of this"),
            "{actions}"
        );
        assert!(
            actions.ends_with("mark a task:\n[2] Bo: \"I'll send it.\""),
            "{actions}"
        );
    }

    #[test]
    fn a_user_folder_overrides_one_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("system.j2"), "Be brief, {{ who }}.").unwrap();
        let prompts = Prompts::load(Some(dir.path())).unwrap();
        assert_eq!(
            prompts
                .render("system", context! { who => "model" })
                .unwrap(),
            "Be brief, model."
        );
        assert!(
            prompts.render("reduce", context! {}).is_err(),
            "strict undefined variables"
        );
    }
}
