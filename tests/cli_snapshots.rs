//! What users see, pinned: every command's `--help`, and the key outputs (validate's
//! diagnostics, the transcript summary, the models list, usage errors), as trycmd cases in
//! tests/cmd/ (`NAME.toml` runs `recap` with its arguments from the repository root;
//! `NAME.stdout` and `NAME.stderr` hold what it must print). A change in what users see
//! shows up as a diff of those files: review it, then accept it with
//! `TRYCMD=overwrite cargo test --test cli_snapshots`.

#[test]
fn cli_output_matches_the_snapshots() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
