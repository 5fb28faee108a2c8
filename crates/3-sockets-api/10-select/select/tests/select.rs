//! select.c as a black box: a line before the timeout, or the timeout, and the time left.

use std::time::{Duration, Instant};

use testkit::Running;

const SELECT: &str = env!("CARGO_BIN_EXE_select");

/// The seconds in `(the timeval now says S.UUUUUU s: ...)`.
fn left(line: &str) -> f64 {
    let rest = line.strip_prefix("(the timeval now says ").unwrap();
    rest.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_line_before_the_timeout_is_a_key_pressed_and_linux_says_how_much_time_was_left() {
    let mut program = Running::start(SELECT, &["--timeout-ms", "5000"]);
    let began = Instant::now();
    program.type_in(b"\n");
    program.expect_line("A key was pressed!");
    let waited = began.elapsed().as_secs_f64();
    let left = left(&program.next_line().unwrap());
    assert!(left > 0.0 && left < 5.0, "{left}");
    assert!(left >= 5.0 - waited - 0.01, "waited {waited}, {left} left");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}

#[test]
fn no_input_is_a_timeout_with_nothing_left() {
    let mut program = Running::start(SELECT, &["--timeout-ms", "300"]);
    let began = Instant::now();
    program.expect_line("Timed out.");
    assert!(began.elapsed() >= Duration::from_millis(300));
    program.expect_line("(the timeval now says 0.000000 s: the time that was left)");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}
