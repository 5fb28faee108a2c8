//! The chat server as a black box: lines go to everyone else, never back to the sender.

use std::io::Read;
use std::time::Duration;

use testkit::{Conversation, Server};

const SERVER: &str = env!("CARGO_BIN_EXE_select_chat");

/// Connects `n` clients and makes sure each has joined, by a line from the last one that
/// all the others must receive.
fn room(server: &Server, n: usize) -> Vec<Conversation> {
    let mut clients: Vec<Conversation> = (0..n)
        .map(|_| Conversation::new(server.connect()))
        .collect();
    let last = n - 1;
    clients[last].send(b"ready?\n");
    for c in &mut clients[..last] {
        c.expect(b"ready?\n");
    }
    clients
}

#[test]
fn a_line_reaches_every_other_client() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut c = room(&server, 3);
    c[0].send(b"hello from the first\n");
    c[1].expect(b"hello from the first\n");
    c[2].expect(b"hello from the first\n");
    c[2].send(b"and from the third\n");
    c[0].expect(b"and from the third\n");
    c[1].expect(b"and from the third\n");
}

#[test]
fn the_sender_does_not_get_its_own_line_back() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut c = room(&server, 2);
    c[0].send(b"only for you\n");
    c[1].expect(b"only for you\n");
    c[1].send(b"reply\n");
    // The first thing client 0 receives must be the reply, not its own line.
    c[0].expect(b"reply\n");
}

#[test]
fn a_client_that_leaves_does_not_stop_the_others() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut c = room(&server, 3);
    let gone = c.remove(1);
    drop(gone);
    std::thread::sleep(Duration::from_millis(100));
    for i in 0..3 {
        let line = format!("line {i}\n");
        c[0].send(line.as_bytes());
        c[1].expect(line.as_bytes());
    }
    let mut probe = server.connect();
    probe
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        probe.read(&mut buf).is_err(),
        "a new client must receive nothing before anyone speaks"
    );
}

#[test]
fn one_thread_serves_everyone() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let _clients = room(&server, 4);
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let threads = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .map(|n| n.trim().to_owned());
    assert_eq!(
        threads.as_deref(),
        Some("1"),
        "a select server serves every client from its one thread"
    );
}

#[test]
fn bytes_without_a_newline_are_relayed_as_they_come() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut c = room(&server, 2);
    c[0].send(b"no newline here");
    c[1].expect(b"no newline here");
}
