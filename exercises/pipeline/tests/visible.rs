//! The pipeline as a black box: what real commands print through it, and its exit status.

use testkit::run;

const PIPELINE: &str = env!("CARGO_BIN_EXE_pipeline");

#[test]
fn two_commands_are_connected() {
    let out = run(PIPELINE, &["echo hello pipes", "tr a-z A-Z"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "HELLO PIPES\n");
}

#[test]
fn three_commands_count_what_the_shell_counts() {
    // seq 1 100 | grep 7 | wc -l: 7, 17, 27, ..., 70 to 79, ..., 97: 19 lines.
    let out = run(PIPELINE, &["seq 1 100", "grep 7", "wc -l"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout.trim(), "19");
}

#[test]
fn the_first_command_reads_the_pipelines_stdin_and_the_last_writes_its_stdout() {
    let out = run(
        PIPELINE,
        &["sort", "uniq -c", "sort -rn", "head -n 1"],
        b"b\na\nb\nc\nb\na\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout.split_whitespace().collect::<Vec<_>>(),
        ["3", "b"]
    );
}

#[test]
fn the_status_is_the_last_commands() {
    assert_eq!(run(PIPELINE, &["true", "false"], b"").code(), Some(1));
    assert_eq!(run(PIPELINE, &["false", "true"], b"").code(), Some(0));
    assert_eq!(run(PIPELINE, &["echo one"], b"").stdout, "one\n");
}
