//! signal_demo as a black box: signals sent with kill(2) at moments the test controls.

use std::fs;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Running};

const SIGNAL_DEMO: &str = env!("CARGO_BIN_EXE_signal_demo");

/// Waits until `pid` is blocked in read(2) on fd 0, as /proc/PID/syscall shows it
/// (the number of the system call, then its arguments in hex).
fn wait_until_blocked_in_read(pid: u32) {
    let wanted = format!("{} 0x0 ", libc::SYS_read);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        if now.starts_with(&wanted) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process {pid} never blocked in read(0, ...): /proc/{pid}/syscall says {now:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn without_sa_restart_the_blocked_read_fails_with_eintr() {
    let mut demo = Running::start(SIGNAL_DEMO, &["read"]);
    demo.expect_line("Enter a string:");
    wait_until_blocked_in_read(demo.pid());
    demo.signal(libc::SIGINT);
    demo.expect_line("Ahhh! SIGINT!");
    demo.expect_line("read: Interrupted system call (EINTR)");
    demo.expect_line("SIGINTs caught: 1");
    assert!(demo.wait_for_exit().success());
}

#[test]
fn with_sa_restart_the_read_goes_on_and_gets_the_line() {
    let mut demo = Running::start(SIGNAL_DEMO, &["read", "--restart"]);
    demo.expect_line("Enter a string:");
    for _ in 0..2 {
        wait_until_blocked_in_read(demo.pid());
        demo.signal(libc::SIGINT);
        demo.expect_line("Ahhh! SIGINT!");
    }
    // Back in read(2), still waiting for input.
    wait_until_blocked_in_read(demo.pid());
    demo.type_in(b"still here\n");
    demo.expect_line("You entered: still here");
    demo.expect_line("SIGINTs caught: 2");
    assert!(demo.wait_for_exit().success());
}

#[test]
fn without_a_signal_the_line_is_read_as_usual() {
    let mut demo = Running::start(SIGNAL_DEMO, &["read"]);
    demo.expect_line("Enter a string:");
    demo.type_in(b"plain\n");
    demo.expect_line("You entered: plain");
    demo.expect_line("SIGINTs caught: 0");
    assert!(demo.wait_for_exit().success());
}

/// The next line that is not the once-a-second "working hard...".
fn next_news(demo: &Running) -> String {
    loop {
        let line = demo.next_line().expect("signal_demo stopped printing");
        if !line.ends_with("working hard...") {
            return line;
        }
    }
}

#[test]
fn every_sigusr1_is_counted_when_they_come_one_at_a_time() {
    let mut demo = Running::start(SIGNAL_DEMO, &["count"]);
    let pid = demo.pid();
    assert_eq!(
        next_news(&demo),
        format!("PID {pid}: counting SIGUSR1 (kill -USR1 {pid}); SIGTERM or Ctrl-C stops")
    );
    for n in 1..=3 {
        demo.signal(libc::SIGUSR1);
        assert_eq!(next_news(&demo), format!("SIGUSR1 count: {n}"));
    }
    demo.signal(libc::SIGTERM);
    assert_eq!(next_news(&demo), "Done: SIGUSR1s caught: 3");
    assert!(demo.wait_for_exit().success());
}

#[test]
fn ctrl_c_stops_the_counter_too() {
    let mut demo = Running::start(SIGNAL_DEMO, &["count"]);
    next_news(&demo);
    demo.signal(libc::SIGINT);
    assert_eq!(next_news(&demo), "Done: SIGUSR1s caught: 0");
    assert!(demo.wait_for_exit().success());
}
