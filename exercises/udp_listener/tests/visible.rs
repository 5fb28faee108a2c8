//! The listener against talkers that live in the test: UDP sockets on ports of their own.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use testkit::Server;

const LISTENER: &str = env!("CARGO_BIN_EXE_udp_listener");

/// A talker: a UDP socket on a port of its own, with a read timeout for the replies.
fn talker(local: &str) -> UdpSocket {
    let socket = UdpSocket::bind(local).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

/// Sends `datagram` to `to` and returns the reply.
fn ask(talker: &UdpSocket, to: SocketAddr, datagram: &[u8]) -> String {
    talker.send_to(datagram, to).unwrap();
    let mut buf = [0u8; 256];
    let (n, from) = talker
        .recv_from(&mut buf)
        .unwrap_or_else(|e| panic!("no reply to a datagram of {} bytes: {e}", datagram.len()));
    assert_eq!(
        from, to,
        "the reply should come from the listener's own address"
    );
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn each_talker_gets_its_own_numbered_replies() {
    let server = Server::start(LISTENER, &["--port", "0", "--count", "5"]);
    let alice = talker("127.0.0.1:0");
    let bob = talker("127.0.0.1:0");
    assert_eq!(
        ask(&alice, server.addr, b"one"),
        "datagram 1 from you, 3 bytes"
    );
    assert_eq!(
        ask(&bob, server.addr, b"hello"),
        "datagram 1 from you, 5 bytes"
    );
    assert_eq!(
        ask(&alice, server.addr, b"two!"),
        "datagram 2 from you, 4 bytes"
    );
    assert_eq!(
        ask(&alice, server.addr, b"three"),
        "datagram 3 from you, 5 bytes"
    );
    assert_eq!(
        ask(&bob, server.addr, b"again"),
        "datagram 2 from you, 5 bytes"
    );
    let a = alice.local_addr().unwrap();
    let b = bob.local_addr().unwrap();
    let mut lines = Vec::new();
    while let Some(line) = server.next_stdout_line() {
        lines.push(line);
    }
    assert_eq!(
        lines,
        [
            format!("{a}: 3 bytes"),
            format!("{b}: 5 bytes"),
            format!("{a}: 4 bytes"),
            format!("{a}: 5 bytes"),
            format!("{b}: 5 bytes"),
            "senders: 2".to_owned(),
            format!("{a}: 3 datagrams, 12 bytes"),
            format!("{b}: 2 datagrams, 10 bytes"),
        ]
    );
}

#[test]
fn an_empty_datagram_and_the_largest_one_arrive_whole() {
    let server = Server::start(LISTENER, &["--port", "0", "--count", "3"]);
    let talker = talker("127.0.0.1:0");
    assert_eq!(
        ask(&talker, server.addr, b""),
        "datagram 1 from you, 0 bytes"
    );
    let largest = vec![b'x'; 65_507];
    assert_eq!(
        ask(&talker, server.addr, &largest),
        "datagram 2 from you, 65507 bytes",
        "the largest datagram over IPv4 must arrive whole: is the buffer big enough?"
    );
    // Two datagrams sent back to back are two datagrams, never one.
    talker.send_to(b"first", server.addr).unwrap();
    let mut buf = [0u8; 256];
    let (n, _) = talker.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"datagram 3 from you, 5 bytes");
    let a = talker.local_addr().unwrap();
    let summary: Vec<String> = std::iter::from_fn(|| server.next_stdout_line()).collect();
    assert!(
        summary.contains(&format!("{a}: 3 datagrams, 65512 bytes")),
        "{summary:#?}"
    );
}

#[test]
fn an_ipv4_talker_reaches_a_listener_on_the_ipv6_wildcard() {
    let server = Server::start(LISTENER, &["--host", "::", "--port", "0", "--count", "2"]);
    let port = server.addr.port();
    let four = talker("127.0.0.1:0");
    let six = talker("[::1]:0");
    let to_four: SocketAddr = ([127, 0, 0, 1], port).into();
    let to_six: SocketAddr = "[::1]:0"
        .parse::<SocketAddr>()
        .map(|mut a| {
            a.set_port(port);
            a
        })
        .unwrap();
    assert_eq!(
        ask(&four, to_four, b"over four"),
        "datagram 1 from you, 9 bytes"
    );
    assert_eq!(
        ask(&six, to_six, b"over six"),
        "datagram 1 from you, 8 bytes"
    );
    let first = server.next_stdout_line().unwrap();
    let mapped = format!("[::ffff:127.0.0.1]:{}", four.local_addr().unwrap().port());
    assert_eq!(
        first,
        format!("{mapped}: 9 bytes"),
        "an IPv4 sender, seen through an IPv6 socket, has an IPv4-mapped address"
    );
}
