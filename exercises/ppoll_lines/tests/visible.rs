//! ppoll_lines as a black box: lines numbered, a report on SIGUSR1, a stop on SIGTERM;
//! and a signal sent inside the gap between checking the flags and waiting, which must
//! not be lost.

use std::process::Command;
use std::time::{Duration, Instant};

use testkit::{Running, run};

const BIN: &str = env!("CARGO_BIN_EXE_ppoll_lines");

fn start(window_ms: u64) -> Running {
    let mut command = Command::new(BIN);
    command.args(["--window-ms", &window_ms.to_string()]);
    let program = Running::spawn(command);
    let line = program.next_line().unwrap_or_default();
    assert_eq!(
        line,
        format!("reading lines, pid {}", program.pid()),
        "{}",
        program.stderr_so_far()
    );
    program
}

#[test]
fn it_numbers_lines_until_the_end_of_input() {
    let out = run(BIN, &[], b"first\nsecond\n\nfourth\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout.lines().skip(1).collect::<Vec<_>>(),
        [
            "1: first",
            "2: second",
            "3: ",
            "4: fourth",
            "end of input after 4 lines"
        ]
    );
}

#[test]
fn sigusr1_reports_and_sigterm_stops() {
    let mut program = start(0);
    program.type_in(b"one\ntwo\n");
    program.expect_line("1: one");
    program.expect_line("2: two");
    program.signal(libc::SIGUSR1);
    program.expect_line("so far: 2 lines");
    program.type_in(b"three\n");
    program.expect_line("3: three");
    program.signal(libc::SIGTERM);
    program.expect_line("stopped by a signal after 3 lines");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}

#[test]
fn a_signal_inside_the_gap_is_not_lost() {
    let mut program = start(500);
    program.wait_for_stderr("500 ms until ppoll()");
    // Now the program has checked its flags and sleeps 500 ms before it waits.
    let sent = Instant::now();
    program.signal(libc::SIGTERM);
    program.expect_line("stopped by a signal after 0 lines");
    assert_eq!(program.wait_for_exit().code(), Some(0));
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "it stopped only {:?} after the signal",
        sent.elapsed()
    );
}
