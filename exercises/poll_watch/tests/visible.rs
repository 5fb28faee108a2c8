//! The program with a pipe as its standard input and UDP peers that live in the test.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use testkit::Running;

const WATCH: &str = env!("CARGO_BIN_EXE_poll_watch");

/// Starts the program; returns it and the address of its UDP socket.
fn start(idle_ms: &str) -> (Running, SocketAddr) {
    let program = Running::start(WATCH, &["--port", "0", "--idle-ms", idle_ms]);
    let first = program.next_line().expect("the listening line");
    let addr = first
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("expected `listening on ADDR`, got {first:?}"));
    (program, addr)
}

fn expect(program: &Running, line: &str) {
    assert_eq!(program.next_line().as_deref(), Some(line));
}

#[test]
fn lines_and_datagrams_are_printed_as_they_come() {
    let (mut program, addr) = start("5000");
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let me = peer.local_addr().unwrap();
    program.type_in(b"hello\n");
    expect(&program, "stdin: hello");
    peer.send_to(b"ping", addr).unwrap();
    expect(&program, &format!("udp from {me}: ping"));
    // A line typed in two pieces, with a datagram in between: the line when it is whole.
    program.type_in(b"half a ");
    peer.send_to(b"in between\n", addr).unwrap();
    expect(&program, &format!("udp from {me}: in between"));
    program.type_in(b"line\n");
    expect(&program, "stdin: half a line");
}

#[test]
fn after_the_end_of_input_datagrams_still_count_then_silence_ends_it() {
    let (mut program, addr) = start("600");
    program.type_in(b"first\nno newline");
    program.close_stdin();
    expect(&program, "stdin: first");
    expect(&program, "stdin: no newline");
    expect(&program, "stdin closed");
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"after the end", addr).unwrap();
    expect(
        &program,
        &format!("udp from {}: after the end", peer.local_addr().unwrap()),
    );
    let quiet = Instant::now();
    expect(&program, "nothing for 600 ms: bye");
    assert!(
        quiet.elapsed() < Duration::from_secs(3),
        "the end of input must not keep the program awake: it said bye after {:?}",
        quiet.elapsed()
    );
    assert_eq!(program.wait_for_exit().code(), Some(0));
}

#[test]
fn silence_alone_ends_it_after_the_idle_time() {
    let started = Instant::now();
    let (program, _) = start("400");
    expect(&program, "nothing for 400 ms: bye");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "--idle-ms 400: it said bye after {took:?}"
    );
}
