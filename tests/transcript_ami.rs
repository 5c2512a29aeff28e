//! The same AMI meetings rendered as Zoom WebVTT, Teams WebVTT, SRT and Otter text (in
//! ../shared/eval/ami-dev) read to the same speakers, turns and words.

use std::path::Path;

use recap::transcript::{read_path, Format, Transcript};

const AMI_DEV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/eval/ami-dev");

fn read(name: &str) -> Transcript {
    let path = Path::new(AMI_DEV).join(name);
    read_path(&path, None).unwrap_or_else(|e| panic!("{e}"))
}

fn check_meeting(id: &str, speakers: &[&str], turns: usize, words: usize) {
    let renderings = [
        (format!("{id}.zoom.vtt"), Format::Vtt),
        (format!("{id}.teams.vtt"), Format::Vtt),
        (format!("{id}.srt"), Format::Srt),
        (format!("{id}.otter.txt"), Format::Otter),
    ];
    let read: Vec<(String, Transcript)> = renderings
        .iter()
        .map(|(name, format)| {
            let t = read(name);
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
fn es2002a_reads_the_same_in_every_rendering() {
    check_meeting(
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
    let t = read("ES2002a.zoom.vtt");
    assert!(t.turns[0]
        .text
        .starts_with("Okay. Right. Um well this is the kick-off meeting"));
    assert_eq!(t.turns.last().unwrap().text, "Cool.");
}

#[test]
fn ts3003b_reads_the_same_in_every_rendering() {
    check_meeting(
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
