//! `recap eval` end to end, through the library's `run` with in-memory writers.

use std::path::PathBuf;

use recap::Exit;

fn dev_set() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eval/mini.jsonl")
        .display()
        .to_string()
}

fn recap(args: &[&str]) -> (Exit, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = recap::run(
        std::iter::once("recap").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (
        exit,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn baseline_on_two_meetings_prints_a_table_and_a_json_report() {
    let dataset = dev_set();
    let (exit, out, err) = recap(&[
        "eval",
        "--dataset",
        &dataset,
        "--baseline",
        "--limit",
        "2",
        "--threads",
        "1",
    ]);
    assert_eq!(exit, Exit::Success, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("evaluating baseline on 2 meeting(s) of "),
        "{err}"
    );
    assert!(lines[0].ends_with(", 1 thread(s)"), "{err}");
    assert!(
        lines[1].starts_with("meeting     words     sec   R-1"),
        "{err}"
    );
    assert!(lines[2].starts_with("KT0001a "), "{err}");
    assert!(lines[3].starts_with("KT0001b "), "{err}");
    assert!(lines[4].starts_with("mean "), "{err}");
    // Pooled figures, then the chance level: each meeting's items against the other's
    // references.
    assert!(lines[5].starts_with("pooled "), "{err}");
    assert!(lines[6].starts_with("chance "), "{err}");
    assert_eq!(lines.len(), 7, "{err}");

    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["system"], "baseline");
    assert_eq!(report["threads"], 1);
    assert_eq!(report["meetings"].as_array().unwrap().len(), 2);
    assert_eq!(report["meetings"][0]["id"], "KT0001a");
    assert_eq!(report["matching"]["threshold"], 0.4);
    assert_eq!(report["matching"]["min_shared"], 2);
    assert!(report["chance"]["actions"]["pooled_recall"].is_number());
    // Both rules: by meaning (the embedder runs here) and by shared words.
    assert_eq!(report["matching"]["meaning"]["threshold"], 0.62);
    assert!(report["mean"]["actions_meaning"]["recall"].is_number());
    assert!(report["meetings"][0]["decisions_meaning"]["pairs"].is_array());
    assert!(report["chance"]["decisions_meaning"]["pooled_precision"].is_number());
    assert!(lines[1].contains("act-R act-P dec-R dec-P  wa-R  wa-P  wd-R  wd-P valid"));
    let r1 = report["mean"]["rouge1"]["f1"].as_f64().unwrap();
    assert!(r1 > 0.1 && r1 < 0.6, "mean ROUGE-1 F1 {r1}");
    // The baseline makes no note: validity is unknown, not false.
    assert!(report["mean"]["schema_valid_rate"].is_null());
    assert!(report["meetings"][0]["schema_valid"].is_null());
}

#[test]
fn out_writes_the_report_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let dataset = dev_set();
    let (exit, out, err) = recap(&[
        "eval",
        "--dataset",
        &dataset,
        "--baseline",
        "--limit",
        "1",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(exit, Exit::Success, "{err}");
    assert!(out.is_empty());
    assert!(
        err.ends_with(&format!("report written to {}\n", path.display())),
        "{err}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(report["meetings"].as_array().unwrap().len(), 1);
}

#[test]
fn from_rescores_a_saved_report_without_running_the_system() {
    let dataset = dev_set();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");
    let (exit, _, err) = recap(&[
        "eval",
        "--dataset",
        &dataset,
        "--baseline",
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(exit, Exit::Success, "{err}");
    let (exit, out, err) = recap(&[
        "eval",
        "--dataset",
        &dataset,
        "--from",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(exit, Exit::Success, "{err}");
    assert!(
        err.starts_with("evaluating baseline (saved) on 4 meeting(s)"),
        "{err}"
    );
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let again: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["rouge1", "actions", "decisions", "actions_meaning"] {
        assert_eq!(first["mean"][key], again["mean"][key], "{key}");
    }
    for (a, b) in first["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .zip(again["meetings"].as_array().unwrap())
    {
        assert_eq!(a["candidate"], b["candidate"]);
        assert_eq!(a["seconds"], b["seconds"]);
    }

    // A report that lacks a meeting of the dataset fails that meeting, by name.
    let partial = dir.path().join("partial.json");
    let (_, _, _) = recap(&[
        "eval",
        "--dataset",
        &dataset,
        "--baseline",
        "--limit",
        "1",
        "--out",
        partial.to_str().unwrap(),
    ]);
    let (exit, _, err) = recap(&[
        "eval",
        "--dataset",
        &dataset,
        "--from",
        partial.to_str().unwrap(),
        "--limit",
        "2",
    ]);
    assert_eq!(exit, Exit::Problems, "{err}");
    assert!(
        err.contains("the saved report has no meeting `KT0001b`"),
        "{err}"
    );
}

#[test]
fn an_unknown_model_is_named_with_the_known_ones() {
    let dataset = dev_set();
    let (exit, out, err) = recap(&[
        "eval",
        "--dataset",
        &dataset,
        "--model",
        "qwen",
        "--limit",
        "1",
    ]);
    assert_eq!(exit, Exit::Failure);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "error: unknown model `qwen`\n\
         hint: known models: smollm2-135m-instruct, qwen2.5-coder-0.5b-instruct, \
         qwen2.5-coder-1.5b-instruct, gemma-3-270m, qwen2.5-1.5b-instruct, qwen2.5-3b-instruct, \
         llama-3.2-3b-instruct, qwen3-1.7b; `recap models list` describes them\n"
    );
}

#[test]
fn usage_and_data_errors_exit_2() {
    let (exit, _, err) = recap(&["eval", "--dataset", "x.jsonl", "--baseline", "--model", "m"]);
    assert_eq!(exit, Exit::Failure);
    assert!(err.contains("cannot be used with"), "{err}");

    let (exit, _, err) = recap(&["eval", "--dataset", "x.jsonl", "--baseline", "--limit", "0"]);
    assert_eq!(exit, Exit::Failure);
    assert!(err.contains("--limit"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": \"M\"}\n").unwrap();
    let (exit, _, err) = recap(&["eval", "--dataset", bad.to_str().unwrap(), "--baseline"]);
    assert_eq!(exit, Exit::Failure);
    assert!(
        err.starts_with(&format!("error: {}:1:", bad.display())),
        "{err}"
    );
    assert!(err.contains("missing field `transcript`"), "{err}");

    let (exit, _, err) = recap(&["eval", "--dataset", "/nonexistent/d.jsonl", "--baseline"]);
    assert_eq!(exit, Exit::Failure);
    assert!(
        err.starts_with("error: cannot read dataset /nonexistent/d.jsonl:"),
        "{err}"
    );
}
