//! The non-blocking socket as a black box: the datagram arrives either way, and the busy
//! wait is the one that makes millions of calls and burns CPU time.

use std::net::UdpSocket;

use testkit::Server;

const BIN: &str = env!("CARGO_BIN_EXE_nonblocking");

/// The numbers of the last two lines: calls, EAGAINs, CPU seconds, wall seconds.
fn tally(lines: &[String]) -> (u64, u64, f64, f64) {
    let numbers = |line: &str| -> Vec<f64> {
        line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    let calls = numbers(&lines[1]);
    let cpu = numbers(&lines[2]);
    (calls[0] as u64, calls[1] as u64, cpu[0], cpu[1])
}

/// Every line after the readiness line, once the program has exited with status 0.
fn finish(mut server: Server) -> Vec<String> {
    let lines = server.remaining_lines();
    assert_eq!(server.wait_for_exit().code(), Some(0), "{lines:?}");
    lines
}

#[test]
fn a_datagram_is_received_by_both_ways_of_waiting() {
    for wait in ["busy", "poll"] {
        let server = Server::start(BIN, &["--port", "0", "--wait", wait]);
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.send_to(b"hello", server.addr).unwrap();
        let me = peer.local_addr().unwrap();
        let lines = finish(server);
        assert_eq!(lines[0], format!("got \"hello\" from {me}"), "{wait}");
        let (calls, eagain, _, _) = tally(&lines);
        assert_eq!(calls, eagain + 1, "{wait}: {lines:?}");
    }
}

// ANCHOR: burns
#[test]
fn the_busy_wait_makes_thousands_of_calls_and_uses_cpu_poll_makes_none() {
    let busy = finish(Server::start(
        BIN,
        &["--port", "0", "--wait", "busy", "--seconds", "2"],
    ));
    let polled = finish(Server::start(
        BIN,
        &["--port", "0", "--wait", "poll", "--seconds", "2"],
    ));
    assert_eq!(busy[0], "nothing arrived in 2 s");
    assert_eq!(polled[0], "nothing arrived in 2 s");
    let (busy_calls, busy_eagain, busy_cpu, _) = tally(&busy);
    let (poll_calls, _, poll_cpu, _) = tally(&polled);
    // Every busy call said EAGAIN, and there were very many of them ...
    assert_eq!(busy_calls, busy_eagain);
    assert!(busy_calls > 10_000, "{busy:?}");
    // ... while poll slept for the whole time and recvfrom was never called.
    assert_eq!(poll_calls, 0, "{polled:?}");
    assert!(poll_cpu < 0.05, "{polled:?}");
    assert!(busy_cpu > poll_cpu, "busy {busy:?}, poll {polled:?}");
}
// ANCHOR_END: burns
