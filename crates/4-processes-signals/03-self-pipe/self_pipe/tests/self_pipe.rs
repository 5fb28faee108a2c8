//! self_pipe as a black box: lines on its stdin, signals from outside, and what it prints.

use std::time::{Duration, Instant};

use testkit::Running;

const BIN: &str = env!("CARGO_BIN_EXE_self_pipe");

/// Starts self_pipe and reads its first line.
fn start(args: &[&str]) -> Running {
    let run = Running::start(BIN, args);
    let first = run.next_line().expect("the ready line");
    assert!(first.starts_with("ready (pid "), "{first}");
    run
}

#[test]
fn input_and_signals_each_wake_the_loop_and_sigterm_ends_it_with_status_0() {
    let mut run = start(&[]);
    run.signal(libc::SIGUSR1);
    run.expect_line("woken by SIGUSR1 (1 so far); carrying on");
    run.type_in(b"hello\n");
    run.expect_line("woken by input: hello");
    run.signal(libc::SIGUSR1);
    run.expect_line("woken by SIGUSR1 (2 so far); carrying on");
    run.signal(libc::SIGTERM);
    run.expect_line("woken by SIGTERM: cleaning up and exiting");
    assert_eq!(run.wait_for_exit().code(), Some(0));
}

// ANCHOR: not_lost
#[test]
fn a_signal_that_arrives_while_busy_is_not_lost() {
    let mut run = start(&["--work-ms", "700"]);
    run.type_in(b"a long job\n");
    run.expect_line("woken by input: a long job");
    // The loop is busy now, not in poll(). The handler's byte waits in the pipe;
    // when the work is done, poll() returns at once. (With only a flag, poll
    // would sleep on.)
    let sent = Instant::now();
    run.signal(libc::SIGINT);
    run.expect_line("woken by SIGINT: cleaning up and exiting");
    assert_eq!(run.wait_for_exit().code(), Some(0));
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
}
// ANCHOR_END: not_lost

#[test]
fn end_of_input_ends_it_too() {
    let mut run = start(&[]);
    run.close_stdin();
    run.expect_line("end of input: exiting");
    assert_eq!(run.wait_for_exit().code(), Some(0));
}

#[test]
fn a_bad_argument_is_one_line_and_exit_status_2() {
    let out = testkit::run(BIN, &["--work-ms", "soon"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}
