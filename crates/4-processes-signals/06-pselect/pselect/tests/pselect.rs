//! The race, shown both ways: select() sleeps through a signal that came just before it;
//! pselect() does not.

use std::time::{Duration, Instant};

use testkit::Running;

const PSELECT: &str = env!("CARGO_BIN_EXE_pselect");

// ANCHOR: race
#[test]
fn select_misses_a_signal_that_comes_just_before_it() {
    let began = Instant::now();
    let mut program = Running::start(PSELECT, &["--wait", "select", "--give-up-ms", "1500"]);
    let lines = program.remaining_lines();
    assert_eq!(program.wait_for_exit().code(), Some(0));
    assert_eq!(lines[1], "checked the flag: not set; 300 ms until select()");
    assert_eq!(lines[2], "handler: SIGALRM, flag set");
    assert!(
        lines[3].starts_with("select() slept until its timeout, 1.5"),
        "{lines:?}"
    );
    assert_eq!(lines[4], "stopping late: the flag was set all along");
    assert!(began.elapsed() >= Duration::from_millis(1800));
}

#[test]
fn pselect_is_woken_at_once_by_the_same_signal() {
    let began = Instant::now();
    let mut program = Running::start(PSELECT, &["--wait", "pselect", "--give-up-ms", "5000"]);
    let lines = program.remaining_lines();
    assert_eq!(program.wait_for_exit().code(), Some(0));
    assert_eq!(
        lines[0],
        "SIGALRM, SIGINT and SIGTERM are blocked except inside pselect()"
    );
    assert_eq!(
        lines[2],
        "checked the flag: not set; 300 ms until pselect()"
    );
    // Blocked during the window: delivered only when pselect unblocks it.
    assert_eq!(lines[3], "handler: SIGALRM, flag set");
    assert!(
        lines[4].starts_with("pselect() was interrupted after 0.0"),
        "{lines:?}"
    );
    assert_eq!(lines[5], "stopping: the flag is set");
    assert!(began.elapsed() < Duration::from_secs(4));
}
// ANCHOR_END: race

#[test]
fn input_before_the_signal_is_read_and_a_sigterm_stops_it() {
    let mut program = Running::start(
        PSELECT,
        &["--wait", "pselect", "--alarm-ms", "0", "--window-ms", "0"],
    );
    program.expect_line("SIGALRM, SIGINT and SIGTERM are blocked except inside pselect()");
    program.next_line().unwrap();
    program.expect_line("checked the flag: not set; 0 ms until pselect()");
    program.type_in(b"hello\n");
    program.expect_line("input: hello");
    program.expect_line("checked the flag: not set; 0 ms until pselect()");
    program.signal(libc::SIGTERM);
    program.expect_line("handler: SIGTERM, flag set");
    let interrupted = program.next_line().unwrap();
    assert!(
        interrupted.starts_with("pselect() was interrupted"),
        "{interrupted}"
    );
    program.expect_line("stopping: the flag is set");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}
