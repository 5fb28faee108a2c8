//! poll.c as a black box: input, a timeout, and a hang-up nobody asked about.

use std::time::{Duration, Instant};

use testkit::Running;

const POLL: &str = env!("CARGO_BIN_EXE_poll");

#[test]
fn a_line_on_stdin_makes_it_ready_at_once() {
    let mut program = Running::start(POLL, &[]);
    program.expect_line("Hit RETURN or wait 2.5 seconds for timeout");
    let began = Instant::now();
    program.type_in(b"\n");
    program.expect_line("File descriptor 0 is ready to read");
    assert!(began.elapsed() < Duration::from_secs(2));
    assert_eq!(program.wait_for_exit().code(), Some(0));
}

#[test]
fn no_input_times_out_after_the_timeout_and_not_before() {
    let mut program = Running::start(POLL, &["--timeout-ms", "400"]);
    let began = Instant::now();
    program.expect_line("Hit RETURN or wait 0.4 seconds for timeout");
    program.expect_line("Poll timed out!");
    assert!(began.elapsed() >= Duration::from_millis(400));
    assert_eq!(program.wait_for_exit().code(), Some(0));
}

#[test]
fn a_closed_pipe_is_a_hang_up_not_input() {
    let mut program = Running::start(POLL, &[]);
    program.expect_line("Hit RETURN or wait 2.5 seconds for timeout");
    program.close_stdin();
    program.expect_line("Unexpected event occurred: 16 (PollFlags(POLLHUP))");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}
