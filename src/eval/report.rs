//! Scores of a system on an evaluation set: one [`MeetingReport`] a meeting, their
//! [`Means`], and the table the eval command prints while it runs.
//!
//! Per meeting:
//! - **ROUGE-1/2/L** of the candidate's summary against the reference abstract
//!   ([`super::rouge`]);
//! - **actions** and **decisions**: the matching of the candidate's items against the
//!   reference lists ([`super::matching`]: recall, precision, the matched pairs);
//! - **schema_valid**: whether the note passed the schema (`None` when the system makes no
//!   note, as the baseline);
//! - **owners_not_participants**: action owners that are neither a speaker label, a
//!   speaker's role, `Myself` nor `TBD` (compared ignoring case and surrounding spaces);
//! - **empty_sections**: which of summary, action items, decisions, key information are
//!   empty;
//! - **seconds** of wall time, prefill and decode tokens per second when the system ran a
//!   model, and the process's peak resident memory so far (`VmHWM` of /proc/self/status).
//!
//! Means: ROUGE precision, recall and F1 are averaged over meetings; actions and decisions
//! use [`MatchSummary`] (macro means of the defined values, and pooled ratios: total
//! matched over total items). The *chance* level ([`Chance`]) matches each meeting's
//! predictions against another meeting's references: a real gain shows as a distance
//! from it. The schema
//! validity rate is over meetings whose validity is known; tokens per second are pooled
//! (total tokens / total seconds).

use serde::Serialize;

use super::candidate::Candidate;
use super::dataset::Meeting;
use super::matching::{self, MatchResult, MatchSummary};
use super::meaning::{self, MeaningMatcher};
use super::rouge::{self, Rouge, Scores};
use crate::embed::EmbedError;

/// The scores of one meeting.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingReport {
    pub id: String,
    pub words: usize,
    pub seconds: f64,
    pub rouge: Rouge,
    /// Action items and decisions matched by shared words ([`matching`]).
    pub actions: MatchResult,
    pub decisions: MatchResult,
    /// The same lists matched by meaning ([`meaning`]); `None` when no embedder ran.
    pub actions_meaning: Option<MatchResult>,
    pub decisions_meaning: Option<MatchResult>,
    pub schema_valid: Option<bool>,
    pub owners_not_participants: Vec<String>,
    pub empty_sections: Vec<String>,
    pub prefill_tok_s: Option<f64>,
    pub decode_tok_s: Option<f64>,
    pub peak_memory_mib: Option<f64>,
    /// Why the system failed on this meeting; it is then scored as an empty candidate
    /// with `schema_valid: false`.
    pub error: Option<String>,
    pub candidate: Candidate,
}

/// Scores `candidate` (made in `seconds`) against `meeting`'s references.
pub fn score_meeting(meeting: &Meeting, candidate: Candidate, seconds: f64) -> MeetingReport {
    let refs = &meeting.references;
    let action_texts: Vec<&str> = candidate.actions.iter().map(|a| a.text.as_str()).collect();
    let allowed = allowed_owners(meeting);
    let owners_not_participants = candidate
        .actions
        .iter()
        .filter_map(|a| a.owner.as_deref())
        .filter(|o| !allowed.contains(&o.trim().to_lowercase()))
        .map(str::to_string)
        .collect();
    let mut empty_sections = Vec::new();
    for (name, empty) in [
        ("summary", candidate.summary.trim().is_empty()),
        ("action_items", candidate.actions.is_empty()),
        ("decisions", candidate.decisions.is_empty()),
        ("key_information", candidate.key_information.is_empty()),
    ] {
        if empty {
            empty_sections.push(name.to_string());
        }
    }
    MeetingReport {
        id: meeting.id.clone(),
        words: meeting.word_count(),
        seconds,
        rouge: rouge::score(&candidate.summary, &refs.abstract_text),
        actions: matching::match_items(&action_texts, &refs.actions),
        decisions: matching::match_items(&candidate.decisions, &refs.decisions),
        actions_meaning: None,
        decisions_meaning: None,
        schema_valid: candidate.schema_valid,
        owners_not_participants,
        empty_sections,
        prefill_tok_s: candidate.speed.and_then(|s| s.prefill_tok_s()),
        decode_tok_s: candidate.speed.and_then(|s| s.decode_tok_s()),
        peak_memory_mib: peak_memory_mib(),
        error: None,
        candidate,
    }
}

/// Adds the matching by meaning to a scored meeting.
pub fn score_meaning(
    report: &mut MeetingReport,
    meeting: &Meeting,
    matcher: &mut MeaningMatcher<'_>,
) -> Result<(), EmbedError> {
    let refs = &meeting.references;
    let actions: Vec<&str> = report
        .candidate
        .actions
        .iter()
        .map(|a| a.text.as_str())
        .collect();
    report.actions_meaning = Some(matcher.match_items(&actions, &refs.actions)?);
    report.decisions_meaning =
        Some(matcher.match_items(&report.candidate.decisions, &refs.decisions)?);
    Ok(())
}

/// A meeting the system failed on: scored as an empty, schema-invalid candidate.
pub fn score_failure(meeting: &Meeting, error: String, seconds: f64) -> MeetingReport {
    let candidate = Candidate {
        schema_valid: Some(false),
        ..Candidate::default()
    };
    MeetingReport {
        error: Some(error),
        ..score_meeting(meeting, candidate, seconds)
    }
}

/// Lowercased names an owner may have: speaker labels, their roles, `myself`, `tbd`.
fn allowed_owners(meeting: &Meeting) -> Vec<String> {
    let mut allowed: Vec<String> = meeting
        .speakers()
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    allowed.extend(meeting.speaker_roles.values().map(|r| r.to_lowercase()));
    allowed.extend(
        meeting
            .transcript
            .iter()
            .filter_map(|u| u.role.as_ref())
            .map(|r| r.to_lowercase()),
    );
    allowed.extend(["myself".to_string(), "tbd".to_string()]);
    allowed
}

/// The process's peak resident set size in MiB (`VmHWM`), where /proc provides it.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm_kib(&status).map(|kib| kib as f64 / 1024.0)
}

fn parse_vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Means over the scored meetings (see the module docs for how each is taken).
#[derive(Debug, Clone, Serialize)]
pub struct Means {
    pub meetings: usize,
    pub failed: usize,
    pub rouge1: Scores,
    pub rouge2: Scores,
    #[serde(rename = "rougeL")]
    pub rouge_l: Scores,
    pub actions: MatchSummary,
    pub decisions: MatchSummary,
    /// By meaning; `None` unless every meeting was matched by meaning.
    pub actions_meaning: Option<MatchSummary>,
    pub decisions_meaning: Option<MatchSummary>,
    /// Valid notes / meetings whose validity is known; `None` when none is.
    pub schema_valid_rate: Option<f64>,
    pub owners_not_participants: usize,
    pub empty_sections: usize,
    pub seconds_per_meeting: f64,
    pub prefill_tok_s: Option<f64>,
    pub decode_tok_s: Option<f64>,
    /// Token totals over the meetings with speed figures.
    pub tokens: TokenTotals,
}

/// Where the tokens of a run went: prompt tokens computed or served from a cached prefix,
/// and written tokens the model chose or the schema forced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TokenTotals {
    pub prompt_computed: usize,
    pub prompt_reused: usize,
    pub written: usize,
    pub forced: usize,
    pub drafted: usize,
    pub accepted: usize,
}

impl TokenTotals {
    /// The line under the table; `None` when no meeting had speed figures.
    pub fn line(&self) -> Option<String> {
        let share = |part: usize, whole: usize| 100.0 * part as f64 / whole.max(1) as f64;
        let prompt = self.prompt_computed + self.prompt_reused;
        (prompt + self.written > 0).then(|| {
            format!(
                "tokens: {prompt} prompt, {} computed and {} reused from a cached prefix ({:.0}%); {} written, {} of them forced by the schema ({:.0}%) and {} drafted from the prompt ({:.0}% of {} drafted kept)",
                self.prompt_computed,
                self.prompt_reused,
                share(self.prompt_reused, prompt),
                self.written,
                self.forced,
                share(self.forced, self.written),
                self.accepted,
                share(self.accepted, self.drafted),
                self.drafted,
            )
        })
    }
}

impl Means {
    pub fn over(meetings: &[MeetingReport]) -> Self {
        let n = meetings.len();
        let mean = |f: &dyn Fn(&MeetingReport) -> f64| {
            if n == 0 {
                0.0
            } else {
                meetings.iter().map(f).sum::<f64>() / n as f64
            }
        };
        let mean_scores = |f: &dyn Fn(&Rouge) -> Scores| Scores {
            precision: mean(&|m| f(&m.rouge).precision),
            recall: mean(&|m| f(&m.rouge).recall),
            f1: mean(&|m| f(&m.rouge).f1),
        };
        let known: Vec<bool> = meetings.iter().filter_map(|m| m.schema_valid).collect();
        let speeds: Vec<_> = meetings.iter().filter_map(|m| m.candidate.speed).collect();
        let pooled = |tokens: usize, seconds: f64| (seconds > 0.0).then(|| tokens as f64 / seconds);
        Self {
            meetings: n,
            failed: meetings.iter().filter(|m| m.error.is_some()).count(),
            rouge1: mean_scores(&|r| r.rouge1),
            rouge2: mean_scores(&|r| r.rouge2),
            rouge_l: mean_scores(&|r| r.rouge_l),
            actions: MatchSummary::over(meetings.iter().map(|m| &m.actions)),
            decisions: MatchSummary::over(meetings.iter().map(|m| &m.decisions)),
            actions_meaning: summary_if_all(meetings.iter().map(|m| m.actions_meaning.as_ref())),
            decisions_meaning: summary_if_all(
                meetings.iter().map(|m| m.decisions_meaning.as_ref()),
            ),
            schema_valid_rate: (!known.is_empty())
                .then(|| known.iter().filter(|v| **v).count() as f64 / known.len() as f64),
            owners_not_participants: meetings
                .iter()
                .map(|m| m.owners_not_participants.len())
                .sum(),
            empty_sections: meetings.iter().map(|m| m.empty_sections.len()).sum(),
            seconds_per_meeting: mean(&|m| m.seconds),
            prefill_tok_s: pooled(
                speeds.iter().map(|s| s.prefill_tokens).sum(),
                speeds.iter().map(|s| s.prefill_seconds).sum(),
            ),
            decode_tok_s: pooled(
                speeds.iter().map(|s| s.decode_tokens).sum(),
                speeds.iter().map(|s| s.decode_seconds).sum(),
            ),
            tokens: TokenTotals {
                prompt_computed: speeds.iter().map(|s| s.prefill_tokens).sum(),
                prompt_reused: speeds.iter().map(|s| s.reused_tokens).sum(),
                written: speeds.iter().map(|s| s.decode_tokens).sum(),
                forced: speeds.iter().map(|s| s.forced_tokens).sum(),
                drafted: speeds.iter().map(|s| s.drafted_tokens).sum(),
                accepted: speeds.iter().map(|s| s.accepted_tokens).sum(),
            },
        }
    }
}

/// The summary of `results` when every one is there.
fn summary_if_all<'a>(
    results: impl Iterator<Item = Option<&'a MatchResult>>,
) -> Option<MatchSummary> {
    let all: Option<Vec<&MatchResult>> = results.collect();
    all.filter(|v| !v.is_empty()).map(MatchSummary::over)
}

/// The matching rule as the report states it.
#[derive(Debug, Clone, Serialize)]
pub struct MatchingRule {
    pub similarity: &'static str,
    pub threshold: f64,
    /// Content tokens, in order, a matching pair shares at least.
    pub min_shared: usize,
    pub assignment: &'static str,
    /// The rule by meaning, when an embedder ran.
    pub meaning: Option<MeaningRule>,
}

/// The matching by meaning as the report states it.
#[derive(Debug, Clone, Serialize)]
pub struct MeaningRule {
    pub similarity: String,
    pub threshold: f64,
    pub assignment: &'static str,
}

impl MeaningRule {
    fn new(embedder: &str) -> Self {
        Self {
            similarity: format!("cosine of {embedder} sentence embeddings"),
            threshold: meaning::THRESHOLD,
            assignment: "one-to-one, maximising the total similarity (Hungarian method)",
        }
    }
}

impl Default for MatchingRule {
    fn default() -> Self {
        Self {
            similarity: "ROUGE-L F1 over content tokens (lowercased words minus stopwords, \
                         Porter-stemmed)",
            threshold: matching::THRESHOLD,
            min_shared: matching::MIN_SHARED,
            assignment: "greedy one-to-one by decreasing similarity; each reference and each \
                         prediction matched at most once",
            meaning: None,
        }
    }
}

/// What matching finds by chance: each meeting's predictions against the references of
/// the meeting after it (the last against the first).
#[derive(Debug, Clone, Serialize)]
pub struct Chance {
    pub actions: MatchSummary,
    pub decisions: MatchSummary,
    /// By meaning, when an embedder ran.
    pub actions_meaning: Option<MatchSummary>,
    pub decisions_meaning: Option<MatchSummary>,
}

impl Chance {
    /// `None` for fewer than two meetings. `reports[i]` scores `meetings[i]`.
    pub fn over(
        reports: &[MeetingReport],
        meetings: &[&Meeting],
        mut matcher: Option<&mut MeaningMatcher<'_>>,
    ) -> Result<Option<Self>, EmbedError> {
        let n = reports.len().min(meetings.len());
        if n < 2 {
            return Ok(None);
        }
        let (mut actions, mut decisions) = (Vec::new(), Vec::new());
        let (mut actions_m, mut decisions_m) = (Vec::new(), Vec::new());
        for (i, report) in reports.iter().take(n).enumerate() {
            let other = &meetings[(i + 1) % n].references;
            let predicted: Vec<&str> = report
                .candidate
                .actions
                .iter()
                .map(|a| a.text.as_str())
                .collect();
            actions.push(matching::match_items(&predicted, &other.actions));
            decisions.push(matching::match_items(
                &report.candidate.decisions,
                &other.decisions,
            ));
            if let Some(m) = matcher.as_deref_mut() {
                actions_m.push(m.match_items(&predicted, &other.actions)?);
                decisions_m.push(m.match_items(&report.candidate.decisions, &other.decisions)?);
            }
        }
        let meaning = matcher.is_some();
        Ok(Some(Self {
            actions: MatchSummary::over(&actions),
            decisions: MatchSummary::over(&decisions),
            actions_meaning: meaning.then(|| MatchSummary::over(&actions_m)),
            decisions_meaning: meaning.then(|| MatchSummary::over(&decisions_m)),
        }))
    }
}

/// The full report of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub system: String,
    pub dataset: String,
    pub threads: usize,
    pub peak_memory_mib: Option<f64>,
    pub matching: MatchingRule,
    pub mean: Means,
    pub chance: Option<Chance>,
    pub meetings: Vec<MeetingReport>,
}

impl Report {
    /// The report of `meetings`, scored in order from `dataset`'s meetings; `matcher`
    /// adds the chance level by meaning (the meetings carry their own matching by meaning).
    pub fn new(
        system: String,
        dataset: String,
        threads: usize,
        meetings: Vec<MeetingReport>,
        scored_from: &[&Meeting],
        matcher: Option<&mut MeaningMatcher<'_>>,
    ) -> Result<Self, EmbedError> {
        let rule = MatchingRule {
            meaning: matcher.as_ref().map(|m| MeaningRule::new(&m.name)),
            ..MatchingRule::default()
        };
        Ok(Self {
            system,
            dataset,
            threads,
            peak_memory_mib: peak_memory_mib(),
            matching: rule,
            mean: Means::over(&meetings),
            chance: Chance::over(&meetings, scored_from, matcher)?,
            meetings,
        })
    }
}

fn opt(v: Option<f64>, width: usize, decimals: usize) -> String {
    match v {
        Some(v) => format!("{v:>width$.decimals$}"),
        None => format!("{:>width$}", "-"),
    }
}

/// The table's header line. `act-*` and `dec-*` are matched by meaning, `wa-*` and `wd-*`
/// (actions, decisions) by shared words.
pub fn table_header() -> String {
    format!(
        "{:<10} {:>6} {:>7} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>5} {:>7} {:>7} {:>7}",
        "meeting", "words", "sec", "R-1", "R-2", "R-L", "act-R", "act-P", "dec-R", "dec-P",
        "wa-R", "wa-P", "wd-R", "wd-P", "valid", "owners", "empty", "pre t/s", "dec t/s", "MiB"
    )
}

/// Recall and precision columns of one rule's actions and decisions.
fn rate_cells(
    actions: Option<(Option<f64>, Option<f64>)>,
    decisions: Option<(Option<f64>, Option<f64>)>,
) -> String {
    let (ar, ap) = actions.unwrap_or((None, None));
    let (dr, dp) = decisions.unwrap_or((None, None));
    [ar, ap, dr, dp]
        .iter()
        .map(|v| opt(*v, 5, 2))
        .collect::<Vec<_>>()
        .join(" ")
}

fn rates(m: &MatchResult) -> (Option<f64>, Option<f64>) {
    (m.recall, m.precision)
}

fn pooled_rates(m: &MatchSummary) -> (Option<f64>, Option<f64>) {
    (m.pooled_recall, m.pooled_precision)
}

fn mean_rates(m: &MatchSummary) -> (Option<f64>, Option<f64>) {
    (m.recall, m.precision)
}

/// One meeting's table line. ROUGE columns are F1; `owners` counts owners not among the
/// participants; `empty` counts empty sections; `-` marks an undefined value.
pub fn table_row(m: &MeetingReport) -> String {
    let valid = m.schema_valid.map(|v| if v { 1.0 } else { 0.0 });
    format!(
        "{:<10} {:>6} {:>7.2} {:>5.3} {:>5.3} {:>5.3} {} {} {} {:>6} {:>5} {} {} {}{}",
        truncate(&m.id, 10),
        m.words,
        m.seconds,
        m.rouge.rouge1.f1,
        m.rouge.rouge2.f1,
        m.rouge.rouge_l.f1,
        rate_cells(
            m.actions_meaning.as_ref().map(rates),
            m.decisions_meaning.as_ref().map(rates)
        ),
        rate_cells(Some(rates(&m.actions)), Some(rates(&m.decisions))),
        opt(valid, 5, 2),
        m.owners_not_participants.len(),
        m.empty_sections.len(),
        opt(m.prefill_tok_s, 7, 1),
        opt(m.decode_tok_s, 7, 1),
        opt(m.peak_memory_mib, 7, 0),
        m.error
            .as_ref()
            .map(|e| format!("  error: {e}"))
            .unwrap_or_default(),
    )
}

/// The lines under the table: the means (totals for `owners` and `empty`), then the
/// pooled action and decision figures (total matched over total items), then the same
/// pooled figures at chance level when there is one.
pub fn table_mean(report: &Report) -> String {
    let m = &report.mean;
    let words = report
        .meetings
        .iter()
        .map(|r| r.words)
        .sum::<usize>()
        .checked_div(m.meetings)
        .unwrap_or(0);
    let mut lines = vec![format!(
        "{:<10} {:>6} {:>7.2} {:>5.3} {:>5.3} {:>5.3} {} {} {} {:>6} {:>5} {} {} {}",
        "mean",
        words,
        m.seconds_per_meeting,
        m.rouge1.f1,
        m.rouge2.f1,
        m.rouge_l.f1,
        rate_cells(
            m.actions_meaning.as_ref().map(mean_rates),
            m.decisions_meaning.as_ref().map(mean_rates)
        ),
        rate_cells(Some(mean_rates(&m.actions)), Some(mean_rates(&m.decisions))),
        opt(m.schema_valid_rate, 5, 2),
        m.owners_not_participants,
        m.empty_sections,
        opt(m.prefill_tok_s, 7, 1),
        opt(m.decode_tok_s, 7, 1),
        opt(report.peak_memory_mib, 7, 0),
    )];
    lines.push(pooled_line(
        "pooled",
        [&m.actions_meaning, &m.decisions_meaning],
        [&m.actions, &m.decisions],
    ));
    if let Some(c) = &report.chance {
        lines.push(pooled_line(
            "chance",
            [&c.actions_meaning, &c.decisions_meaning],
            [&c.actions, &c.decisions],
        ));
    }
    lines.extend(m.tokens.line());
    lines.join("\n")
}

/// A line with only the pooled action and decision columns filled: by meaning, then by
/// words.
fn pooled_line(
    label: &str,
    [am, dm]: [&Option<MatchSummary>; 2],
    [aw, dw]: [&MatchSummary; 2],
) -> String {
    format!(
        "{:<10} {:>6} {:>7} {:>5} {:>5} {:>5} {} {}",
        label,
        "",
        "",
        "",
        "",
        "",
        rate_cells(am.as_ref().map(pooled_rates), dm.as_ref().map(pooled_rates)),
        rate_cells(Some(pooled_rates(aw)), Some(pooled_rates(dw))),
    )
    .trim_end()
    .to_string()
}

/// A meeting's reference items, found or missed, and the predictions that matched none:
/// what `recap eval --items` prints under the meeting's row. By meaning when the meeting
/// was matched by meaning, else by words; a found item shows the pair's similarity.
pub fn item_lines(meeting: &Meeting, report: &MeetingReport) -> String {
    let actions: Vec<&str> = report
        .candidate
        .actions
        .iter()
        .map(|a| a.text.as_str())
        .collect();
    let decisions: Vec<&str> = report
        .candidate
        .decisions
        .iter()
        .map(String::as_str)
        .collect();
    let refs = &meeting.references;
    let mut out = String::new();
    for (kind, predicted, reference, result) in [
        (
            "action",
            &actions,
            &refs.actions,
            report.actions_meaning.as_ref().unwrap_or(&report.actions),
        ),
        (
            "decision",
            &decisions,
            &refs.decisions,
            report
                .decisions_meaning
                .as_ref()
                .unwrap_or(&report.decisions),
        ),
    ] {
        for (j, r) in reference.iter().enumerate() {
            match result.pairs.iter().find(|p| p.reference == j) {
                Some(p) => out.push_str(&format!(
                    "  {kind} found:  {r}\n      as: {} ({:.2})\n",
                    predicted[p.predicted], p.similarity
                )),
                None => out.push_str(&format!("  {kind} missed: {r}\n")),
            }
        }
        for (i, p) in predicted.iter().enumerate() {
            if !result.pairs.iter().any(|pair| pair.predicted == i) {
                out.push_str(&format!("  {kind} extra:  {p}\n"));
            }
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::candidate::{ActionItem, SpeedStats};
    use crate::eval::dataset::Dataset;
    use std::path::Path;

    fn meeting() -> Meeting {
        let line = r#"{"id": "M1", "transcript": [{"speaker": "A", "start": 0, "end": 1, "text": "We sell the remote for 25 Euro.", "role": "Marketing"}, {"speaker": "B", "start": 1, "end": 2, "text": "Fine."}], "speaker_roles": {"A": "Marketing", "B": "Project Manager"}, "references": {"abstract": "the team set the price", "actions": ["Marketing will study the market."], "decisions": []}}"#;
        Dataset::from_jsonl(line, Path::new("m.jsonl"))
            .unwrap()
            .meetings
            .remove(0)
    }

    #[test]
    fn scores_a_meeting() {
        let candidate = Candidate {
            summary: "the team set a price".into(),
            actions: vec![
                ActionItem {
                    text: "Study the market".into(),
                    owner: Some("marketing".into()),
                },
                ActionItem {
                    text: "Order pizza".into(),
                    owner: Some("Zed".into()),
                },
                ActionItem {
                    text: "Book a room".into(),
                    owner: Some(" TBD ".into()),
                },
            ],
            decisions: vec!["Sell for 25 Euro".into()],
            key_information: vec![],
            schema_valid: Some(true),
            speed: Some(SpeedStats {
                prefill_tokens: 100,
                reused_tokens: 300,
                prefill_seconds: 2.0,
                decode_tokens: 30,
                forced_tokens: 12,
                drafted_tokens: 20,
                accepted_tokens: 5,
                decode_seconds: 3.0,
            }),
            evidence: Vec::new(),
        };
        let r = score_meeting(&meeting(), candidate, 5.0);
        // "the team set a price" vs "the team set the price": 4 of 5 unigrams shared.
        assert!((r.rouge.rouge1.f1 - 0.8).abs() < 1e-12);
        // "Study the market" matches the one reference action: recall 1, precision 1/3.
        assert_eq!(r.actions.recall, Some(1.0));
        assert!((r.actions.precision.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        // No reference decisions: only precision counts, and it is 0.
        assert_eq!(
            (r.decisions.recall, r.decisions.precision),
            (None, Some(0.0))
        );
        assert_eq!(r.owners_not_participants, ["Zed"]);
        assert_eq!(r.empty_sections, ["key_information"]);
        assert_eq!((r.prefill_tok_s, r.decode_tok_s), (Some(50.0), Some(10.0)));
        assert_eq!(r.words, 8);
        let totals = Means::over(&[r]).tokens;
        assert_eq!(
            totals.line().unwrap(),
            "tokens: 400 prompt, 100 computed and 300 reused from a cached prefix (75%); 30 written, 12 of them forced by the schema (40%) and 5 drafted from the prompt (25% of 20 drafted kept)"
        );
        assert_eq!(TokenTotals::default().line(), None);
    }

    #[test]
    fn means_and_failures() {
        let ok = score_meeting(
            &meeting(),
            Candidate {
                summary: "the team set the price".into(),
                schema_valid: Some(true),
                ..Candidate::default()
            },
            1.0,
        );
        let failed = score_failure(&meeting(), "out of memory".into(), 3.0);
        assert_eq!(failed.schema_valid, Some(false));
        assert_eq!(failed.empty_sections.len(), 4);
        let means = Means::over(&[ok, failed]);
        assert_eq!((means.meetings, means.failed), (2, 1));
        // ROUGE-1 F1: 1.0 and 0.0 -> 0.5. Validity 1 of 2. Seconds (1 + 3) / 2.
        assert_eq!(means.rouge1.f1, 0.5);
        assert_eq!(means.schema_valid_rate, Some(0.5));
        assert_eq!(means.seconds_per_meeting, 2.0);
        // Empty sections: 3 (ok has only a summary) + 4.
        assert_eq!(means.empty_sections, 7);
        assert_eq!(means.prefill_tok_s, None);
    }

    #[test]
    fn table_lines_line_up() {
        let r = score_meeting(&meeting(), Candidate::default(), 0.5);
        let header = table_header();
        let row = table_row(&r);
        assert_eq!(header.len(), row.len(), "\n{header}\n{row}");
        // No matching by meaning: its four columns are `-`; then the words rule's.
        assert!(row.starts_with("M1              8    0.50 0.000 0.000 0.000     -     -     -     -  0.00     -     -     -     -      0     4"), "{row}");
        let report =
            Report::new("baseline".into(), "m.jsonl".into(), 2, vec![r], &[], None).unwrap();
        let mean = table_mean(&report);
        let first = mean.lines().next().unwrap();
        assert_eq!(first.len(), header.len());
        assert!(mean.lines().nth(1).unwrap().starts_with("pooled"));
        assert!(
            report.chance.is_none(),
            "one meeting has no other to compare with"
        );
    }

    #[test]
    fn reads_vm_hwm() {
        let status = "Name:\trecap\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\n";
        assert_eq!(parse_vm_hwm_kib(status), Some(5120));
        assert_eq!(parse_vm_hwm_kib("Name: x\n"), None);
    }
}
