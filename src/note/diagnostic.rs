//! A diagnostic: one problem found in one note, at a line and column, with the rule that
//! found it and a hint on how to fix it.
//!
//! Text form (what `recap validate` prints), one line plus an optional hint line:
//! `path:line:col: error[rule]: message` / `  hint: ...`. A problem with the file itself
//! (it cannot be read) has no position: `path: error[rule]: message`. Lines and columns
//! are 1-based; columns count characters, not bytes.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use super::rule::Rule;

/// How bad a problem is: errors fail validation, warnings only with `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

fn path_str<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// One problem in one note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(serialize_with = "path_str")]
    pub path: PathBuf,
    /// 1-based line; `None` for a problem with the file as a whole.
    pub line: Option<usize>,
    /// 1-based column in characters.
    pub column: Option<usize>,
    pub severity: Severity,
    pub rule: Rule,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `rule` at `line`:`column` with the rule's severity.
    pub fn new(path: &Path, rule: Rule, at: Option<(usize, usize)>, message: String) -> Self {
        Self {
            path: path.to_path_buf(),
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
            severity: rule.severity(),
            rule,
            message,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.path.display())?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, "{line}:{col}:")?;
        }
        write!(f, " {}[{}]: {}", self.severity, self.rule, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json_forms() {
        let d = Diagnostic::new(
            Path::new("a/b.md"),
            Rule::DateInvalid,
            Some((4, 7)),
            "`date` is \"2025-02-30\", which is not a day in the calendar".into(),
        )
        .with_hint("write the meeting's date as YYYY-MM-DD");
        assert_eq!(
            d.to_string(),
            "a/b.md:4:7: error[date-invalid]: `date` is \"2025-02-30\", which is not a day in the calendar\n  hint: write the meeting's date as YYYY-MM-DD"
        );
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["rule"], "date-invalid");
        assert_eq!(j["severity"], "error");
        assert_eq!(j["line"], 4);
        let io = Diagnostic::new(Path::new("x.md"), Rule::IoError, None, "cannot read".into());
        assert_eq!(io.to_string(), "x.md: error[io-error]: cannot read");
    }
}
