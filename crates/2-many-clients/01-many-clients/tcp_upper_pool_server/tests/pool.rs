//! What only the pool server does: a fixed number of workers, a bounded queue, and what a
//! client gets when both are full.

use std::io::{Read, Write};
use std::time::Duration;

use tcp_upper_pool_server::BUSY_REPLY;
use testkit::{PATIENCE, Server, read_to_close};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp_upper_pool_server");

// ANCHOR: full_queue
#[test]
fn with_the_worker_busy_and_the_queue_full_a_new_client_is_told_and_closed() {
    let args = ["--port", "0", "--workers", "1", "--queue", "1"];
    let server = Server::start(SERVER, &args);
    // A takes the only worker ...
    let mut a = server.connect();
    a.write_all(b"a").unwrap();
    let mut reply = [0u8; 1];
    a.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"A");
    // ... B waits in the queue (its bytes are not answered yet) ...
    let mut b = server.connect();
    b.write_all(b"b").unwrap();
    b.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(
        b.read(&mut reply).is_err(),
        "B was served with the worker busy"
    );
    // ... and C finds the queue full: one line, then the server closes.
    let mut c = server.connect();
    assert_eq!(read_to_close(&mut c), BUSY_REPLY);
    server.wait_for_stderr("turned away, the queue is full (1 waiting)");
    // When A leaves, the worker takes B from the queue.
    drop(a);
    b.set_read_timeout(Some(PATIENCE)).unwrap();
    b.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"B");
}
// ANCHOR_END: full_queue

#[test]
fn queued_clients_are_served_in_turn_by_a_small_pool() {
    let server = Server::start(SERVER, &["--port", "0", "--workers", "2", "--queue", "16"]);
    // Ten clients connect at once and send; two workers serve them, two at a time.
    let mut conns: Vec<_> = (0..10).map(|_| server.connect()).collect();
    for (i, conn) in conns.iter_mut().enumerate() {
        conn.write_all(format!("client {i}").as_bytes()).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
    }
    for (i, conn) in conns.iter_mut().enumerate() {
        assert_eq!(read_to_close(conn), format!("CLIENT {i}").as_bytes());
    }
}

#[test]
fn zero_workers_or_an_empty_queue_is_a_usage_error() {
    for args in [["--workers", "0"], ["--queue", "0"]] {
        let out = testkit::run(SERVER, &args, b"");
        assert_eq!(out.code(), Some(2), "{args:?}: {out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    }
}
