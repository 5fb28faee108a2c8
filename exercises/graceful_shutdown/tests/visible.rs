//! Signals sent to the server as a separate process, as `kill` or Ctrl-C would.

use std::time::{Duration, Instant};

use testkit::{Conversation, Server};

const SERVER: &str = env!("CARGO_BIN_EXE_graceful_shutdown");

fn signal(server: &Server, sig: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(server.pid() as libc::pid_t, sig) };
}

#[test]
fn sigterm_with_no_clients_exits_0_at_once() {
    let mut server = Server::start(SERVER, &["--port", "0"]);
    let started = Instant::now();
    signal(&server, libc::SIGTERM);
    let status = server.wait_for_exit();
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM; stderr: {}",
        server.stderr_so_far()
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?} to stop",
        started.elapsed()
    );
}

#[test]
fn a_client_in_the_middle_of_its_conversation_is_allowed_to_finish() {
    let mut server = Server::start(SERVER, &["--port", "0"]);
    let mut c = Conversation::new(server.connect());
    c.send(b"before the signal\n");
    c.expect(b"BEFORE THE SIGNAL\n");
    signal(&server, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        server.is_running(),
        "the server exited while a client was still connected"
    );
    c.send(b"after the signal\n");
    c.expect(b"AFTER THE SIGNAL\n");
    c.stream().shutdown(std::net::Shutdown::Write).unwrap();
    c.expect_close();
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "stderr: {}", server.stderr_so_far());
}

#[test]
fn sigint_works_like_sigterm() {
    let mut server = Server::start(SERVER, &["--port", "0"]);
    signal(&server, libc::SIGINT);
    assert_eq!(server.wait_for_exit().code(), Some(0));
}
