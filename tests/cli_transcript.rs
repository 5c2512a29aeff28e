//! `recap transcript`: the exact report, the JSON for tools, and errors with exit 2.

use assert_cmd::Command;

const DIR: &str = "tests/fixtures/transcripts";

fn recap() -> Command {
    let mut cmd = Command::cargo_bin("recap").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env(
        "XDG_CONFIG_HOME",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/no-config"),
    );
    cmd
}

#[test]
fn prints_what_was_understood_then_the_turns() {
    let file = format!("{DIR}/2025-11-07 - Jeff Denworth 1on1.md");
    let out = recap()
        .args([
            "--config",
            &format!("{DIR}/aliases.toml"),
            "transcript",
            &file,
        ])
        .assert()
        .success()
        .stderr("");
    let expected = format!(
        "file:         {file}
format:       markdown
date:         2025-11-07 (from the frontmatter)
title hint:   1:1 with Jeff Denworth
participants: Jeff Denworth, Jason Vallery
turns:        5
words:        54
tokens:       94 (estimated)

Jeff Denworth: Morning Jason. Did the customer call go well yesterday?
Jason Vallery: It did. They want the \"cold tier\" pricing by Friday, and a second session with their platform team.
Jeff Denworth: Okay. Let's get the pricing to them Thursday so we have a day of slack.
Jason Vallery: Agreed. I'll draft it today.
Jeff Denworth: One more thing: please loop in finance.
"
    );
    assert_eq!(String::from_utf8_lossy(&out.get_output().stdout), expected);
}

#[test]
fn stamps_turns_and_says_when_the_date_is_unknown() {
    let out = recap()
        .args(["transcript", &format!("{DIR}/IS1000a.whisperx.json")])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let head: Vec<&str> = stdout.lines().take(12).collect();
    assert_eq!(
        head,
        [
            "file:         tests/fixtures/transcripts/IS1000a.whisperx.json",
            "format:       whisper-json",
            "date:         unknown",
            "title hint:   IS1000a",
            "participants: SPEAKER_00, SPEAKER_01, SPEAKER_02",
            "turns:        10",
            "words:        51",
            "tokens:       95 (estimated)",
            "",
            "[00:01:32] SPEAKER_00: So we uh we will wait for Anna, a few minutes.",
            "[00:01:36] SPEAKER_01: Yeah, s yeah, um.",
            "[00:01:44] SPEAKER_02: Mm. Yours is well",
        ]
    );
}

#[test]
fn json_for_tools() {
    let out = recap()
        .args([
            "transcript",
            "--format",
            "json",
            &format!("{DIR}/unlabelled.txt"),
        ])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let text =
        "So the plan for this week is to finish the pricing model and send it out on Thursday. \
                We still need numbers from finance, and somebody has to check the discount tiers \
                before anything goes to the customer.";
    assert_eq!(
        json,
        serde_json::json!({
            "file": "tests/fixtures/transcripts/unlabelled.txt",
            "format": "plain",
            "date": null,
            "date_source": null,
            "title_hint": "unlabelled",
            "participants": [],
            "turn_count": 1,
            "words": 38,
            "estimated_tokens": 54,
            "turns": [{"speaker": "Unknown", "start": null, "end": null, "text": text}],
        })
    );
}

#[test]
fn a_bad_file_is_an_error_naming_file_and_line_with_status_2() {
    recap()
        .args(["transcript", &format!("{DIR}/bad/bad-timestamp.srt")])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: tests/fixtures/transcripts/bad/bad-timestamp.srt:6: malformed timestamp \"00:61:00,000\"; \
             expected a time like 00:01:02,500 (hh:mm:ss,mmm)\n",
        );
}

#[test]
fn input_format_is_one_of_the_formats() {
    let out = recap()
        .args([
            "transcript",
            "--input-format",
            "docx",
            &format!("{DIR}/unlabelled.txt"),
        ])
        .assert()
        .code(2)
        .stdout("");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("[possible values: vtt, srt, otter, whisper-json, plain, markdown]"),
        "{stderr}"
    );
    recap()
        .args([
            "transcript",
            "--input-format",
            "plain",
            &format!("{DIR}/no-names.crlf.srt"),
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("format:       plain\n"));
}
