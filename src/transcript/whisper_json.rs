//! JSON from Whisper-family speech recognisers. Accepted shapes:
//! - OpenAI Whisper, faster-whisper, WhisperX: `{"segments": [{"start": 0.0, "end": 2.5,
//!   "text": "…", "speaker": "SPEAKER_00"}]}` (`speaker` optional, times in seconds);
//! - whisper.cpp (`-oj`): `{"transcription": [{"offsets": {"from": 0, "to": 2500},
//!   "timestamps": {"from": "00:00:00,000", …}, "text": "…"}]}` (offsets in ms);
//! - a bare list of segments.
//!
//! Segments without a speaker belong to [`UNKNOWN_SPEAKER`]. Errors name the segment
//! (`segments[3]`) or, for invalid JSON, the line.

use serde_json::{Map, Value};

use super::error::{Location, ParseError};
use super::model::{Turn, UNKNOWN_SPEAKER};
use super::text::clean;
use super::timestamp::parse_clock;
use super::Parsed;

const SHAPE: &str =
    r#"Whisper JSON such as {"segments": [{"start": 0.0, "end": 2.5, "text": "…"}]}"#;

fn item_error(item: String, message: impl Into<String>, expected: impl Into<String>) -> ParseError {
    ParseError {
        location: Location::Item(item),
        message: message.into(),
        expected: expected.into(),
    }
}

pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        ParseError::at_line(e.line().max(1), format!("invalid JSON: {message}"), SHAPE)
    })?;
    let (key, segments) = match &value {
        Value::Array(items) => ("segments", items),
        Value::Object(map) => match (map.get("segments"), map.get("transcription")) {
            (Some(Value::Array(items)), _) => ("segments", items),
            (_, Some(Value::Array(items))) => ("transcription", items),
            _ => {
                return Err(item_error(
                    "the top level".into(),
                    "no `segments` or `transcription` list",
                    SHAPE,
                ))
            }
        },
        _ => {
            return Err(item_error(
                "the top level".into(),
                "not a JSON object or list",
                SHAPE,
            ))
        }
    };
    let mut parsed = Parsed::default();
    for (i, segment) in segments.iter().enumerate() {
        let at = || format!("{key}[{i}]");
        let Value::Object(segment) = segment else {
            return Err(item_error(
                at(),
                "not an object",
                "a segment object with `text`",
            ));
        };
        let text = match segment.get("text") {
            Some(Value::String(text)) => clean(text),
            _ => {
                return Err(item_error(
                    at(),
                    "`text` is missing or not a string",
                    "a string `text`",
                ))
            }
        };
        let speaker = match segment.get("speaker") {
            Some(Value::String(s)) if !s.trim().is_empty() => clean(s),
            _ => UNKNOWN_SPEAKER.to_string(),
        };
        let (start, end) = times(segment).map_err(|(field, expected)| {
            item_error(at(), format!("`{field}` is not a valid time"), expected)
        })?;
        parsed.turns.push(Turn::new(speaker, start, end, text));
    }
    Ok(parsed)
}

type TimeError = (&'static str, &'static str);

/// A segment's start and end from `start`/`end` (seconds), `offsets` (ms) or `timestamps`.
fn times(segment: &Map<String, Value>) -> Result<(Option<f64>, Option<f64>), TimeError> {
    let seconds = |field: &'static str| -> Result<Option<f64>, TimeError> {
        match segment.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(s)),
                _ => Err((field, "a number of seconds, 0 or more")),
            },
            Some(_) => Err((field, "a number of seconds, 0 or more")),
        }
    };
    let (start, end) = (seconds("start")?, seconds("end")?);
    if start.is_some() || end.is_some() {
        return Ok((start, end));
    }
    if let Some(Value::Object(offsets)) = segment.get("offsets") {
        let ms = |side: &str| match offsets.get(side) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v / 1000.0)),
                _ => Err(("offsets", "a number of milliseconds, 0 or more")),
            },
            Some(_) => Err(("offsets", "a number of milliseconds, 0 or more")),
        };
        return Ok((ms("from")?, ms("to")?));
    }
    if let Some(Value::Object(stamps)) = segment.get("timestamps") {
        let clock = |side: &str| match stamps.get(side) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => parse_clock(s)
                .map(Some)
                .ok_or(("timestamps", "a time like 00:01:02,500")),
            Some(_) => Err(("timestamps", "a time like 00:01:02,500")),
        };
        return Ok((clock("from")?, clock("to")?));
    }
    Ok((None, None))
}
