//! Candidates saved in an earlier `recap eval` report, served again as a [`Summarizer`],
//! so an old run can be re-scored with today's rules without running the model again.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::candidate::{Candidate, Summarizer};
use super::dataset::Meeting;

/// The parts of a report that are read back.
#[derive(Deserialize)]
struct SavedReport {
    system: String,
    meetings: Vec<SavedMeeting>,
}

#[derive(Deserialize)]
struct SavedMeeting {
    id: String,
    seconds: f64,
    error: Option<String>,
    candidate: Candidate,
}

/// The meetings of a saved report, by id.
pub struct Saved {
    system: String,
    meetings: HashMap<String, SavedMeeting>,
}

impl Saved {
    pub fn from_path(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the report {}", path.display()))?;
        let report: SavedReport = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a `recap eval` report (JSON with `system` and `meetings`)",
                path.display()
            )
        })?;
        Ok(Self {
            system: report.system,
            meetings: report
                .meetings
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect(),
        })
    }
}

impl Summarizer for Saved {
    fn name(&self) -> String {
        format!("{} (saved)", self.system)
    }

    fn summarize(&mut self, meeting: &Meeting) -> anyhow::Result<Candidate> {
        let saved = self
            .meetings
            .get(&meeting.id)
            .with_context(|| format!("the saved report has no meeting `{}`", meeting.id))?;
        match &saved.error {
            Some(e) => anyhow::bail!("{e}"),
            None => Ok(saved.candidate.clone()),
        }
    }

    fn recorded_seconds(&self, meeting: &Meeting) -> Option<f64> {
        self.meetings.get(&meeting.id).map(|m| m.seconds)
    }
}
