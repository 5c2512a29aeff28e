//! Prompt templates (minijinja): `system`, `single` (a meeting that fits in one pass),
//! `map` (one chunk) and `reduce` (merge the chunks' notes). The built-in ones live in
//! `prompts/`; a folder of the same file names (`<name>.j2`) overrides them one by one.
//! The fixed instructions come before the transcript, so every chunk's prompt starts with
//! the same tokens and their KV cache is computed once.

use std::path::{Path, PathBuf};

use minijinja::Environment;
use serde::Serialize;

const BUILTIN: [(&str, &str); 4] = [
    ("system", include_str!("../../prompts/system.j2")),
    ("single", include_str!("../../prompts/single.j2")),
    ("map", include_str!("../../prompts/map.j2")),
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
    fn map_prompts_of_one_meeting_share_their_instructions() {
        let prompts = Prompts::load(None).unwrap();
        let render = |part: usize, transcript: &str| {
            prompts
                .render(
                    "map",
                    context! { owners => ["Ana", "TBD"], me => "", date => "2025-11-07",
                    participants => ["Ana", "Bo"], part, parts => 2, transcript },
                )
                .unwrap()
        };
        let (one, two) = (render(1, "Ana: hi"), render(2, "Bo: bye"));
        let shared = one
            .bytes()
            .zip(two.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        assert!(one[..shared].contains("Participants: Ana, Bo."));
        assert!(one[shared..].starts_with("1 of 2"), "{}", &one[shared..]);
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
