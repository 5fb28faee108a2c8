//! The server as a black box: the greeting, a restart on the same port, and lists of
//! candidate addresses of which only some can be bound.

use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Server, read_to_close, run, tcp_sockets};

const SERVER: &str = env!("CARGO_BIN_EXE_hello_server");

fn greeted(server: &Server) -> String {
    let mut conn = server.connect();
    String::from_utf8(read_to_close(&mut conn)).unwrap()
}

#[test]
fn every_client_is_greeted() {
    let server = Server::start(SERVER, &["--port", "0"]);
    for _ in 0..3 {
        assert_eq!(greeted(&server), "Hello, world!");
    }
}

#[test]
fn a_restarted_server_gets_its_port_back_at_once() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let addr = server.addr;
    assert_eq!(greeted(&server), "Hello, world!");
    drop(server);
    // The server closed first: its end of that connection waits in TIME_WAIT, on its port.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !tcp_sockets()
        .iter()
        .any(|s| SocketAddr::V4(s.local) == addr && s.state == 6)
    {
        assert!(Instant::now() < deadline, "no TIME_WAIT on {addr}");
        thread::sleep(Duration::from_millis(10));
    }
    let again = Server::start(SERVER, &["--addr", &addr.to_string()]);
    assert_eq!(
        again.addr, addr,
        "started again on {addr}, with a connection in TIME_WAIT there"
    );
    assert_eq!(greeted(&again), "Hello, world!");
}

#[test]
fn addresses_that_cannot_be_bound_are_skipped_and_said() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().map(|a| (busy, a)).unwrap();
    let server = Server::start(
        SERVER,
        &[
            "--addr",
            "192.0.2.1:0",
            "--addr",
            &busy.1.to_string(),
            "--addr",
            "127.0.0.1:0",
        ],
    );
    assert_eq!(server.addr.ip().to_string(), "127.0.0.1");
    assert_ne!(server.addr, busy.1);
    assert_eq!(greeted(&server), "Hello, world!");
    let log = server.wait_for_stderr(&format!("bind {}: ", busy.1));
    assert!(
        log.contains("bind 192.0.2.1:0: ") && log.contains(&format!("bind {}: ", busy.1)),
        "each address that failed is said, with its error: {log:?}"
    );
}

#[test]
fn when_no_address_can_be_bound_it_is_one_line() {
    let out = run(
        SERVER,
        &["--addr", "192.0.2.1:0", "--addr", "198.51.100.7:0"],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("hello_server: could not listen on any of 2 address(es)")
            && !out.stderr.contains("panicked"),
        "{:?}",
        out.stderr
    );
}
