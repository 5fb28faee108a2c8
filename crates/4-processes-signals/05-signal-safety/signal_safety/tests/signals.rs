//! sigblock, sigcount and sigstrtok as black boxes: signals sent by the test, and what the
//! programs say they saw.

use std::thread;
use std::time::Duration;

use testkit::{Running, run, send_signal};

const SIGBLOCK: &str = env!("CARGO_BIN_EXE_sigblock");
const SIGCOUNT: &str = env!("CARGO_BIN_EXE_sigcount");
const SIGSTRTOK: &str = env!("CARGO_BIN_EXE_sigstrtok");

// ANCHOR: blocked
#[test]
fn three_blocked_sigints_are_pending_as_one_and_delivered_once() {
    let mut program = Running::start(SIGBLOCK, &["--seconds", "2"]);
    let first = program.next_line().unwrap();
    assert!(first.contains("SIGINT is blocked for 2 s"), "{first}");
    for _ in 0..3 {
        program.signal(libc::SIGINT);
    }
    program.expect_line("pending now: SIGINT");
    program.expect_line("unblocking SIGINT");
    program.expect_line("handler: SIGINT delivered");
    program.expect_line("the handler ran 1 time(s)");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}
// ANCHOR_END: blocked

#[test]
fn with_no_signal_nothing_is_pending() {
    let out = run(SIGBLOCK, &["--seconds", "1"], b"");
    assert!(
        out.stdout
            .ends_with("pending now: nothing\nunblocking SIGINT\nthe handler ran 0 time(s)\n"),
        "{out:?}"
    );
}

// ANCHOR: queued
#[test]
fn fifty_of_each_while_blocked_make_one_sigusr1_and_fifty_sigrtmin() {
    let mut program = Running::start(SIGCOUNT, &[]);
    let first = program.next_line().unwrap();
    assert!(first.contains("are blocked"), "{first}");
    let pid = program.pid() as i32;
    for _ in 0..50 {
        send_signal(pid, libc::SIGUSR1);
        send_signal(pid, libc::SIGRTMIN());
    }
    program.type_in(b"\n");
    program.expect_line("unblocked: SIGUSR1 arrived 1 time(s), SIGRTMIN 50 time(s)");
    program.expect_line("now unblocked: send more, then press RETURN");
    // Unblocked, each signal is handled as it comes (given time to arrive).
    for _ in 0..3 {
        send_signal(pid, libc::SIGRTMIN());
        thread::sleep(Duration::from_millis(50));
    }
    program.type_in(b"\n");
    let last = program.next_line().unwrap();
    assert!(last.ends_with("SIGRTMIN 53 time(s) in all"), "{last}");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}
// ANCHOR_END: queued

// ANCHOR: strtok
#[test]
fn strtok_in_a_handler_breaks_strtok_in_main_and_strtok_r_does_not() {
    let unsafe_run = run(SIGSTRTOK, &["--seconds", "3"], b"");
    assert_eq!(unsafe_run.code(), Some(0), "{unsafe_run:?}");
    assert!(
        unsafe_run
            .stdout
            .contains("times main got the wrong words, for example ["),
        "{}",
        unsafe_run.stdout
    );
    let safe_run = run(SIGSTRTOK, &["--safe", "--seconds", "3"], b"");
    assert!(
        safe_run
            .stdout
            .ends_with("every time, main got [alpha, beta, gamma, delta]\n"),
        "{}",
        safe_run.stdout
    );
    // And the handler did run, many times, in the safe run too.
    let handled: u64 = safe_run
        .stdout
        .split("handler ran ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(handled > 100, "{}", safe_run.stdout);
}
// ANCHOR_END: strtok
