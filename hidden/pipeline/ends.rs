//! Hidden: pipelines that end only if every pipe end is closed in the right place, a
//! command that cannot run, and random data through many stages.

use std::time::{Duration, Instant};

use testkit::{noise, run};

const PIPELINE: &str = env!("CARGO_BIN_EXE_pipeline");

#[test]
fn yes_stops_when_head_has_enough() {
    // `yes` writes for ever; it ends only when head exits and every read end of its pipe
    // is closed (SIGPIPE). A parent that keeps a read end open would hang here.
    let began = Instant::now();
    let out = run(PIPELINE, &["yes", "head -n 3"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "y\ny\ny\n");
    assert_eq!(out.stderr, "", "nothing to complain about");
    assert!(began.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_reader_sees_the_end_of_its_input() {
    // wc reads to end of file: it ends only if nobody else holds the write end.
    let out = run(PIPELINE, &["printf a\\nb\\n", "cat", "cat", "wc -l"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout.trim(), "2");
}

#[test]
fn a_command_that_cannot_run_is_status_127() {
    let out = run(PIPELINE, &["echo x", "no-such-command-here"], b"");
    assert_eq!(out.code(), Some(127), "{out:?}");
    assert!(
        out.stderr.contains("cannot run no-such-command-here"),
        "{out:?}"
    );
}

#[test]
fn random_bytes_pass_five_stages_unchanged() {
    let data: Vec<u8> = noise(300_000, 99);
    let out = run(
        PIPELINE,
        &["cat", "cat", "cat", "cat", "od -An -tx1 -v"],
        &data,
    );
    assert_eq!(out.code(), Some(0));
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let got: String = out.stdout.split_whitespace().collect();
    assert!(got == hex, "the bytes changed on the way");
}
