//! progress as a black box: input through a pipe, signals sent with kill(2) while it waits
//! for that input, what it prints on stdout and stderr, and how it exits.

use testkit::{Running, run};

const PROGRESS: &str = env!("CARGO_BIN_EXE_progress");

#[test]
fn without_signals_it_copies_everything_and_says_done() {
    let out = run(PROGRESS, &[], b"first line\nsecond line\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "first line\nsecond line\n");
    assert_eq!(out.stderr, "progress: 23 bytes, done\n");
}

#[test]
fn sigusr1_while_it_waits_for_input_is_answered_at_once_and_the_copy_goes_on() {
    let mut progress = Running::start(PROGRESS, &[]);
    progress.type_in(b"one\n");
    progress.expect_line("one");
    // Blocked in read(0, ...), waiting for more: the signal must interrupt that read.
    progress.wait_until_reading(0);
    progress.signal(libc::SIGUSR1);
    assert_eq!(
        progress.next_stderr_line().as_deref(),
        Some("progress: 4 bytes"),
        "the report, with no more input coming (a read restarted by SA_RESTART would wait \
         for the next line before the loop could answer); stderr: {}",
        progress.stderr_so_far()
    );
    progress.type_in(b"two\n");
    progress.expect_line("two");
    progress.close_stdin();
    let status = progress.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{}", progress.stderr_so_far());
    assert_eq!(
        progress.next_stderr_line().as_deref(),
        Some("progress: 8 bytes, done")
    );
}

#[test]
fn sigterm_stops_it_without_waiting_for_the_end_of_input() {
    let mut progress = Running::start(PROGRESS, &[]);
    progress.type_in(b"hello\n");
    progress.expect_line("hello");
    progress.wait_until_reading(0);
    progress.signal(libc::SIGTERM);
    // stdin is still open: only the signal can end it.
    let status = progress.wait_for_exit();
    assert_eq!(
        status.code(),
        Some(128 + libc::SIGTERM),
        "exit status after SIGTERM (128 + 15); stderr: {}",
        progress.stderr_so_far()
    );
    assert_eq!(
        progress.stderr_so_far(),
        "progress: 6 bytes, stopped by SIGTERM\n"
    );
}
