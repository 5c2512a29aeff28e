//! No input makes a parser, the detector or the decoder panic: arbitrary text, arbitrary
//! bytes, and lines assembled from the pieces the formats are made of (so the fuzzing
//! reaches deep into each parser, not just its first check).

use std::path::Path;

use proptest::prelude::*;
use recap::transcript::{detect, parse_bytes, parse_format, parse_text, Format};

const FORMATS: [Format; 6] = [
    Format::Vtt,
    Format::Srt,
    Format::Otter,
    Format::WhisperJson,
    Format::Plain,
    Format::Markdown,
];

/// Fragments of every format, glued into lines.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("WEBVTT".to_string()),
        Just("NOTE".to_string()),
        Just("STYLE".to_string()),
        Just("---".to_string()),
        Just("-->".to_string()),
        Just(" --> ".to_string()),
        Just("00:00:01.000".to_string()),
        Just("00:01,5".to_string()),
        Just("1:07".to_string()),
        Just("99:99".to_string()),
        Just("<v Ann>".to_string()),
        Just("<v.".to_string()),
        Just("</v>".to_string()),
        Just("<".to_string()),
        Just("&amp;".to_string()),
        Just("&#x1F600;".to_string()),
        Just("&#99999999;".to_string()),
        Just("&".to_string()),
        Just("{\\an8}".to_string()),
        Just("Ann: ".to_string()),
        Just("**Bob**:".to_string()),
        Just("Speaker 1  0:10".to_string()),
        Just("[00:01:02] ".to_string()),
        Just("(01:".to_string()),
        Just("Date: 2025-02-30".to_string()),
        Just("date: 2025-11-07".to_string()),
        Just("{\"segments\": [".to_string()),
        Just("{\"text\": \"hi\", \"start\": -1}".to_string()),
        Just("]}".to_string()),
        Just("\r".to_string()),
        Just("\u{feff}".to_string()),
        Just("é😀".to_string()),
        "[ -~]{0,12}".prop_map(|s| s),
        any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ]
}

fn structured_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::collection::vec(fragment(), 0..6), 0..30).prop_map(|lines| {
        lines
            .into_iter()
            .map(|l| l.concat())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn exercise(text: &str) {
    let _ = detect(text, Some(Path::new("x.vtt")));
    let _ = detect(text, None);
    for format in FORMATS {
        let _ = parse_format(format, text);
        let _ = parse_text(text, Path::new("x"), Some(format));
    }
    let _ = parse_text(text, Path::new("2025-11-07 x.md"), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        exercise(&text);
    }

    #[test]
    fn format_shaped_text_never_panics(text in structured_text()) {
        exercise(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), mark in 0..4usize) {
        let prefix: &[u8] = [&b""[..], b"\xEF\xBB\xBF", b"\xFF\xFE", b"\xFE\xFF"][mark];
        let bytes = [prefix, &bytes].concat();
        let _ = parse_bytes(&bytes, Path::new("x"), None);
    }
}
