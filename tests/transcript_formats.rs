//! Each transcript format, read from fixtures written for the project: speakers, turns,
//! times, metadata.

use std::collections::BTreeMap;
use std::path::PathBuf;

use recap::transcript::{read_path, DateSource, Format, Transcript, UNKNOWN_SPEAKER};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/transcripts"
    ))
    .join(name)
}

fn read(name: &str) -> Transcript {
    read_path(&fixture(name), None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn speakers_and_texts(t: &Transcript) -> Vec<(String, String)> {
    t.turns
        .iter()
        .map(|t| (t.speaker.clone(), t.text.clone()))
        .collect()
}

fn words(t: &Transcript) -> Vec<String> {
    t.turns
        .iter()
        .flat_map(|t| t.text.split_whitespace().map(str::to_string))
        .collect()
}

#[test]
fn whisperx_json_keeps_speakers_and_times() {
    let t = read("IS1000a.whisperx.json");
    assert_eq!(t.metadata.format, Format::WhisperJson);
    assert_eq!(t.participants(), ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]);
    assert_eq!(t.turns.len(), 10);
    assert_eq!(
        t.turns[0].text,
        "So we uh we will wait for Anna, a few minutes."
    );
    assert_eq!(
        (t.turns[0].start, t.turns[0].end),
        (Some(92.24), Some(97.48))
    );
    assert_eq!(
        t.turns[3].text,
        "I think you can put anywhere you want, actually."
    );
    assert_eq!(
        (t.turns[4].speaker.as_str(), t.turns[4].text.as_str()),
        ("SPEAKER_02", "Yeah")
    );
    assert_eq!(t.metadata.date, None);
    assert_eq!(t.metadata.title_hint.as_deref(), Some("IS1000a"));
}

#[test]
fn whisper_cpp_json_has_one_unknown_speaker_and_millisecond_offsets() {
    let t = read("IS1000a.whisper-cpp.json");
    assert_eq!(t.metadata.format, Format::WhisperJson);
    assert_eq!(t.turns.len(), 1);
    assert_eq!(t.turns[0].speaker, UNKNOWN_SPEAKER);
    assert_eq!(
        (t.turns[0].start, t.turns[0].end),
        (Some(92.24), Some(126.94))
    );
    assert!(t.participants().is_empty());
    assert_eq!(words(&t), words(&read("IS1000a.whisperx.json")));
}

#[test]
fn plain_text_reads_stamps_labels_and_header() {
    let t = read("kickoff.plain.txt");
    assert_eq!(t.metadata.format, Format::Plain);
    assert_eq!(
        t.metadata.date.map(|d| d.to_string()).as_deref(),
        Some("2025-11-07")
    );
    assert_eq!(t.metadata.date_source, Some(DateSource::Header));
    assert_eq!(
        t.metadata.title_hint.as_deref(),
        Some("Remote control kick-off")
    );
    assert_eq!(
        t.participants(),
        ["Marketing", "Project Manager", "Industrial Designer"]
    );
    let starts: Vec<_> = t.turns.iter().map(|t| t.start).collect();
    assert_eq!(
        starts,
        [31.0, 32.0, 109.0, 111.0, 123.0, 129.0, 130.0, 152.0, 153.0].map(Some)
    );
    assert_eq!(
        t.turns[8],
        recap::transcript::Turn::new("Industrial Designer", Some(153.0), None, "A_ L_ I_ M_ A_.")
    );
}

#[test]
fn teams_vtt_in_utf16_with_crlf_reads_voices_notes_and_tags() {
    let t = read("teams-utf16.vtt");
    assert_eq!(t.metadata.format, Format::Vtt);
    assert_eq!(
        t.metadata.date.map(|d| d.to_string()).as_deref(),
        Some("2025-11-10")
    );
    assert_eq!(t.metadata.date_source, Some(DateSource::Header));
    let expected = std::fs::read_to_string(fixture("teams-utf16.expected.txt")).unwrap();
    let got: String = speakers_and_texts(&t)
        .iter()
        .map(|(s, x)| format!("{s}: {x}\n"))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        (t.turns[1].start, t.turns[1].end),
        (Some(155.82), Some(193.98))
    );
}

#[test]
fn srt_without_names_is_one_unknown_speaker_with_markup_removed() {
    let t = read("no-names.crlf.srt");
    assert_eq!(t.metadata.format, Format::Srt);
    assert_eq!(t.turns.len(), 1);
    assert_eq!(t.turns[0].speaker, UNKNOWN_SPEAKER);
    assert!(
        t.turns[0]
            .text
            .starts_with("So uh good morning. Morning. Morning."),
        "{}",
        t.turns[0].text
    );
    assert!(!t.turns[0].text.contains(['<', '{', '\r']));
    assert_eq!(t.turns[0].start, Some(13.46));
}

#[test]
fn otter_text_takes_the_date_from_the_file_name_and_drops_the_footer() {
    let t = read("2025-11-12_design-review.otter.txt");
    assert_eq!(t.metadata.format, Format::Otter);
    assert_eq!(
        t.metadata.date.map(|d| d.to_string()).as_deref(),
        Some("2025-11-12")
    );
    assert_eq!(t.metadata.date_source, Some(DateSource::FileName));
    assert_eq!(t.metadata.title_hint.as_deref(), Some("design-review"));
    let got = speakers_and_texts(&t);
    assert_eq!(got.len(), 7);
    assert_eq!(
        got[0],
        (
            "Project Manager".to_string(),
            "I guess so. So Let's see. First I will introduce myself. I don't know if uh if everybody knows me, so I'm Bart,".to_string()
        )
    );
    assert_eq!(
        got[6].1,
        "Uh let's see. Uh let's start off um with a little presentation."
    );
    assert_eq!(t.turns[6].start, Some(50.0));
}

#[test]
fn markdown_frontmatter_gives_date_title_participants_and_aliases_apply() {
    let t = read("2025-11-07 - Jeff Denworth 1on1.md");
    assert_eq!(t.metadata.format, Format::Markdown);
    assert_eq!(
        t.metadata.date.map(|d| d.to_string()).as_deref(),
        Some("2025-11-07")
    );
    assert_eq!(t.metadata.date_source, Some(DateSource::Frontmatter));
    assert_eq!(
        t.metadata.title_hint.as_deref(),
        Some("1:1 with Jeff Denworth")
    );
    assert_eq!(
        t.participants(),
        ["Speaker 1", "Jason Vallery", "Jeff Denworth"]
    );
    let aliases = BTreeMap::from([("Speaker 1".to_string(), "Jeff Denworth".to_string())]);
    let t = t.with_aliases(&aliases);
    assert_eq!(t.participants(), ["Jeff Denworth", "Jason Vallery"]);
    assert_eq!(
        speakers_and_texts(&t),
        [
            ("Jeff Denworth", "Morning Jason. Did the customer call go well yesterday?"),
            (
                "Jason Vallery",
                "It did. They want the \"cold tier\" pricing by Friday, and a second session with their platform team."
            ),
            ("Jeff Denworth", "Okay. Let's get the pricing to them Thursday so we have a day of slack."),
            ("Jason Vallery", "Agreed. I'll draft it today."),
            ("Jeff Denworth", "One more thing: please loop in finance."),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[test]
fn unlabelled_text_is_one_unknown_speaker_and_no_date_is_reported_as_none() {
    let t = read("unlabelled.txt");
    assert_eq!(t.metadata.format, Format::Plain);
    assert_eq!(t.turns.len(), 1);
    assert_eq!(t.turns[0].speaker, UNKNOWN_SPEAKER);
    assert_eq!(t.word_count(), 38);
    assert!(t.participants().is_empty());
    assert_eq!(t.metadata.date, None);
    assert_eq!(t.metadata.date_source, None);
    assert_eq!(t.metadata.title_hint.as_deref(), Some("unlabelled"));
}

#[test]
fn input_format_forces_a_parser() {
    // Without a header this reads as SRT (its content says so); forced to WebVTT it fails.
    let path = fixture("bad/no-header.vtt");
    assert_eq!(read_path(&path, None).unwrap().metadata.format, Format::Srt);
    let err = read_path(&path, Some(Format::Vtt)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:1: missing the WEBVTT header (found \"1\"); expected `WEBVTT` on the first line",
            path.display()
        )
    );
    let plain = read_path(&fixture("teams-utf16.vtt"), Some(Format::Plain)).unwrap();
    assert_eq!(plain.metadata.format, Format::Plain);
}
