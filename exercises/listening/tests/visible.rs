//! The program against listeners and connections the test makes itself.

use std::net::{SocketAddr, TcpListener, TcpStream};

use testkit::run;

const LISTENING: &str = env!("CARGO_BIN_EXE_listening");

/// The program's lines for `port`.
fn lines_for(port: u16) -> Vec<String> {
    let out = run(LISTENING, &[], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout.lines().next(),
        Some("State  Recv-Q Local Address:Port")
    );
    out.stdout
        .lines()
        .filter(|line| line.ends_with(&format!(":{port}")))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_listener_is_listed_with_the_connections_waiting_for_accept() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(lines_for(addr.port()), [format!("LISTEN 0      {addr}")]);
    // Two clients connect; nobody accepts them: they wait in the queue.
    let _waiting: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    assert_eq!(
        lines_for(addr.port()),
        [format!("LISTEN 2      {addr}")],
        "two connections wait for accept: the rx_queue of a listening socket"
    );
}

#[test]
fn ipv6_listeners_are_listed_too() {
    let loopback = TcpListener::bind("[::1]:0").unwrap();
    let port = loopback.local_addr().unwrap().port();
    assert_eq!(lines_for(port), [format!("LISTEN 0      [::1]:{port}")]);
    let any = TcpListener::bind("[::]:0").unwrap();
    let port = any.local_addr().unwrap().port();
    assert_eq!(lines_for(port), [format!("LISTEN 0      [::]:{port}")]);
}

#[test]
fn connections_are_not_listed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let client = TcpStream::connect(addr).unwrap();
    let (_accepted, _) = listener.accept().unwrap();
    let client_port = client.local_addr().unwrap().port();
    // The accepted socket has the listener's port too, but it is not listening.
    assert_eq!(lines_for(addr.port()), [format!("LISTEN 0      {addr}")]);
    assert_eq!(lines_for(client_port), Vec::<String>::new());
}
