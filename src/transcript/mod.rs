//! Transcripts: what was said, by whom and when, read from the formats people export.
