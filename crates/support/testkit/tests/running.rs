//! The harness itself: what a test may rely on after a program has exited.

use testkit::Running;

#[test]
fn after_wait_for_exit_stderr_holds_everything_the_program_wrote() {
    // The shell exits at once; what it started writes its line a moment later, as the
    // child of a forking server logs after its parent has gone. A test that reads
    // stderr once, right after wait_for_exit, must see that line.
    let mut run = Running::start(
        "sh",
        &[
            "-c",
            "(sleep 0.3; echo 'the last line' >&2) & echo first >&2",
        ],
    );
    assert_eq!(run.wait_for_exit().code(), Some(0));
    assert_eq!(run.stderr_so_far(), "first\nthe last line\n");
}

#[test]
fn wait_for_stderr_count_waits_for_the_last_of_several_lines() {
    let run = Running::start(
        "sh",
        &[
            "-c",
            "for i in 1 2 3; do echo tick >&2; sleep 0.2; done; sleep 10",
        ],
    );
    assert!(run.wait_for_stderr("tick").contains("tick"));
    assert_eq!(run.wait_for_stderr_count("tick", 3), "tick\ntick\ntick\n");
}

#[test]
fn next_stderr_line_hands_out_each_line_once_in_order_and_waits_for_a_whole_one() {
    let mut run = Running::start(
        "sh",
        &[
            "-c",
            "printf 'one\\ntw' >&2; sleep 0.3; printf 'o\\r\\nthree\\n' >&2",
        ],
    );
    assert_eq!(run.next_stderr_line().as_deref(), Some("one"));
    assert_eq!(run.next_stderr_line().as_deref(), Some("two"));
    assert_eq!(run.wait_for_exit().code(), Some(0));
    assert_eq!(run.next_stderr_line().as_deref(), Some("three"));
    assert_eq!(run.stderr_so_far(), "one\ntwo\r\nthree\n");
}

#[test]
fn a_datagram_to_the_closed_udp_port_is_refused() {
    use std::net::UdpSocket;
    let port = testkit::closed_udp_port();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.connect(("127.0.0.1", port)).unwrap();
    sender.set_read_timeout(Some(testkit::PATIENCE)).unwrap();
    sender.send(b"anyone?").unwrap();
    let err = sender.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    // And the port stays taken.
    assert!(UdpSocket::bind(("127.0.0.1", port)).is_err());
}

#[test]
fn a_test_that_starts_a_program_cannot_be_reached_by_it() {
    // The program runs as the same user as the test; were the test dumpable, the program
    // could open /proc/TEST/fd/1 or attach to it with ptrace and forge its verdict. (The
    // grader's attack suite, crates/support/lab/tests/attacks.rs, tries.)
    let out = testkit::run("true", &[], b"");
    assert_eq!(out.code(), Some(0));
    // SAFETY: PR_GET_DUMPABLE takes no pointers and returns the flag.
    let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
    assert_eq!(dumpable, 0, "the test process is still dumpable");
}

#[test]
fn wait_until_reading_returns_once_the_program_waits_for_its_stdin() {
    // `cat` reads its stdin (descriptor 0) and waits there while the pipe stays open:
    // a line typed after the wait comes back, so cat was indeed reading.
    let mut cat = Running::start("cat", &[]);
    cat.wait_until_reading(0);
    cat.type_in(b"still reading\n");
    cat.expect_line("still reading");
    cat.wait_until_reading(0);
}
