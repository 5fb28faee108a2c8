//! The server against clients from both families, on the loopback addresses.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use testkit::Server;

const SERVER: &str = env!("CARGO_BIN_EXE_dual_stack");

/// Connects to `to`; returns the greeting and the client's own address.
fn greeting(to: SocketAddr) -> (String, SocketAddr) {
    let mut conn = TcpStream::connect_timeout(&to, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("connecting to {to}: {e}"));
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let me = conn.local_addr().unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    (text, me)
}

fn at(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), port)
}

#[test]
fn an_ipv4_client_and_an_ipv6_client_reach_the_same_socket() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let port = server.addr.port();
    let (text, me) = greeting(at("127.0.0.1", port));
    assert_eq!(
        text,
        format!(
            "hello IPv4 client 127.0.0.1 port {0} (the socket says [::ffff:127.0.0.1]:{0})\n",
            me.port()
        )
    );
    let (text, me) = greeting(at("::1", port));
    assert_eq!(
        text,
        format!(
            "hello IPv6 client ::1 port {0} (the socket says [::1]:{0})\n",
            me.port()
        )
    );
}

#[test]
fn with_v6only_ipv4_clients_are_refused_and_ipv6_ones_served() {
    let server = Server::start(SERVER, &["--port", "0", "--v6only"]);
    let port = server.addr.port();
    match TcpStream::connect_timeout(&at("127.0.0.1", port), Duration::from_secs(10)) {
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
        other => panic!("--v6only: an IPv4 client should be refused, got {other:?}"),
    }
    let (text, _) = greeting(at("::1", port));
    assert!(text.starts_with("hello IPv6 client ::1 port "), "{text:?}");
}

#[test]
fn bound_to_ipv6_loopback_it_hears_ipv6_only() {
    let server = Server::start(SERVER, &["--host", "::1", "--port", "0"]);
    assert_eq!(server.addr, at("::1", server.addr.port()));
    let refused = TcpStream::connect_timeout(
        &at("127.0.0.1", server.addr.port()),
        Duration::from_secs(10),
    );
    assert!(
        refused.is_err(),
        "bound to ::1, the socket is IPv6 loopback only: nothing listens on 127.0.0.1"
    );
    let (text, _) = greeting(server.addr);
    assert!(text.starts_with("hello IPv6 client ::1 "), "{text:?}");
}
