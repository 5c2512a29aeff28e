//! The same meeting rendered as Zoom WebVTT, Teams WebVTT, SRT and Otter text reads to
//! the same speakers, turns and words: tests/fixtures/meetings (written by
//! tests/fixtures/make_fixtures.py), and, in the ignored tests, the development set's AMI
//! renderings (`RECAP_DEV_SET=../shared/eval/ami-dev.jsonl cargo test --test
//! transcript_renderings -- --ignored`).

use std::path::{Path, PathBuf};

use recap::transcript::{read_path, Format, Transcript};

fn read(dir: &Path, name: &str) -> Transcript {
    read_path(&dir.join(name), None).unwrap_or_else(|e| panic!("{e}"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/meetings")
}

/// The folder of the development set's renderings, beside the jsonl in RECAP_DEV_SET.
fn dev_set() -> PathBuf {
    let jsonl = std::env::var_os("RECAP_DEV_SET")
        .expect("RECAP_DEV_SET names the development set's ami-dev.jsonl");
    Path::new(&jsonl).with_extension("")
}

fn check_meeting(dir: &Path, id: &str, speakers: &[&str], turns: usize, words: usize) {
    let renderings = [
        (format!("{id}.zoom.vtt"), Format::Vtt),
        (format!("{id}.teams.vtt"), Format::Vtt),
        (format!("{id}.srt"), Format::Srt),
        (format!("{id}.otter.txt"), Format::Otter),
    ];
    let read: Vec<(String, Transcript)> = renderings
        .iter()
        .map(|(name, format)| {
            let t = read(dir, name);
            assert_eq!(t.metadata.format, *format, "{name}");
            (name.clone(), t)
        })
        .collect();
    let (first_name, first) = &read[0];
    assert_eq!(first.participants(), speakers, "{first_name}");
    assert_eq!(first.turns.len(), turns, "{first_name}");
    assert_eq!(first.word_count(), words, "{first_name}");
    for (name, t) in &read[1..] {
        assert_eq!(t.participants(), first.participants(), "{name}");
        let pairs = |t: &Transcript| -> Vec<(String, String)> {
            t.turns
                .iter()
                .map(|t| (t.speaker.clone(), t.text.clone()))
                .collect()
        };
        assert_eq!(pairs(t), pairs(first), "{name} differs from {first_name}");
        assert_eq!(t.word_count(), first.word_count(), "{name}");
        // Otter gives whole seconds; the others milliseconds.
        for (a, b) in t.turns.iter().zip(&first.turns) {
            let (a, b) = (a.start.unwrap(), b.start.unwrap());
            if t.metadata.format == Format::Otter {
                assert_eq!(a, b.floor(), "{name}");
            } else {
                assert_eq!(a, b, "{name}");
            }
        }
    }
}

#[test]
fn the_launch_review_reads_the_same_in_every_rendering() {
    let dir = fixtures();
    check_meeting(
        &dir,
        "launch-review",
        &[
            "Maya Chen",
            "Kofi Mensah (PM)",
            "Ines Duarte",
            "Tomás Reyes",
        ],
        96,
        1436,
    );
    let t = read(&dir, "launch-review.teams.vtt");
    assert!(t.turns[0]
        .text
        .starts_with("Okay, let's start. This is the launch review"));
    assert_eq!(
        t.turns.last().unwrap().text,
        "Coming back to this one: I'll send legal the retention summary this week."
    );
}

#[test]
#[ignore = "needs the development set: RECAP_DEV_SET=path/to/ami-dev.jsonl"]
fn es2002a_reads_the_same_in_every_rendering() {
    let dir = dev_set();
    check_meeting(
        &dir,
        "ES2002a",
        &[
            "Project Manager (B)",
            "Marketing (D)",
            "Industrial Designer (A)",
            "User Interface (C)",
        ],
        248,
        2598,
    );
    // The turns are the AMI turns (ami-dev.jsonl counts 248 and 2,598 words): spot-check the start and the end of the meeting.
    let t = read(&dir, "ES2002a.zoom.vtt");
    assert!(t.turns[0]
        .text
        .starts_with("Okay. Right. Um well this is the kick-off meeting"));
    assert_eq!(t.turns.last().unwrap().text, "Cool.");
}

#[test]
#[ignore = "needs the development set: RECAP_DEV_SET=path/to/ami-dev.jsonl"]
fn ts3003b_reads_the_same_in_every_rendering() {
    check_meeting(
        &dev_set(),
        "TS3003b",
        &[
            "Project Manager (A)",
            "Marketing (D)",
            "User Interface (B)",
            "Industrial Designer (C)",
        ],
        317,
        4834,
    );
}

#[test]
fn the_standup_reads_the_same_as_plain_text_whisperx_json_and_markdown() {
    let dir = fixtures();
    let read_all: Vec<(&str, Format, Transcript)> = [
        ("standup.plain.txt", Format::Plain),
        ("standup.whisperx.json", Format::WhisperJson),
        ("standup.md", Format::Markdown),
    ]
    .into_iter()
    .map(|(name, format)| (name, format, read(&dir, name)))
    .collect();
    let pairs = |t: &Transcript| -> Vec<(String, String)> {
        t.turns
            .iter()
            .map(|t| (t.speaker.clone(), t.text.clone()))
            .collect()
    };
    let (_, _, first) = &read_all[0];
    assert_eq!(
        first.participants(),
        ["Lena Fischer", "Raj Patel", "Ana Sousa"]
    );
    assert_eq!((first.turns.len(), first.word_count()), (8, 103));
    for (name, format, t) in &read_all {
        assert_eq!(t.metadata.format, *format, "{name}");
        assert_eq!(pairs(t), pairs(first), "{name}");
    }
    // The header and the frontmatter give the date; a JSON file has none.
    let dates: Vec<Option<String>> = read_all
        .iter()
        .map(|(_, _, t)| t.metadata.date.map(|d| d.to_string()))
        .collect();
    let day = Some("2025-11-18".to_string());
    assert_eq!(dates, [day.clone(), None, day]);
}
