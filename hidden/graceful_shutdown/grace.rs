//! Hidden: a client that never finishes does not keep the server forever, and no new
//! client is served once the signal has come.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use testkit::Server;

const SERVER: &str = env!("CARGO_BIN_EXE_graceful_shutdown");

#[test]
fn a_stalled_client_gets_the_grace_period_and_no_more() {
    let mut server = Server::start(SERVER, &["--port", "0", "--grace-ms", "700"]);
    let mut stalled = server.connect();
    stalled.write_all(b"x").unwrap();
    let mut one = [0u8; 1];
    stalled.read_exact(&mut one).unwrap();
    let started = Instant::now();
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGTERM) };
    let status = server.wait_for_exit();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(0));
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(3),
        "with --grace-ms 700 and a stalled client, the server took {took:?} to exit"
    );
}

#[test]
fn signals_in_a_burst_are_one_shutdown() {
    let mut server = Server::start(SERVER, &["--port", "0"]);
    for _ in 0..50 {
        // SAFETY: as above.
        unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGTERM) };
    }
    assert_eq!(server.wait_for_exit().code(), Some(0));
}
