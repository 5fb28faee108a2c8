//! udp_echo_server as a black box: started with --port 0, sent datagrams over loopback.

use std::net::UdpSocket;

use testkit::{Server, noise};

const SERVER: &str = env!("CARGO_BIN_EXE_udp_echo_server");

fn start() -> Server {
    Server::start(SERVER, &["--port", "0"])
}

fn receive(peer: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0u8; 70_000];
    let n = peer.recv(&mut buf).expect("an echo within PATIENCE");
    buf.truncate(n);
    buf
}

#[test]
fn three_datagrams_sent_back_to_back_come_back_as_three_of_the_same_sizes() {
    let server = start();
    let peer = server.udp_peer();
    let sent = [noise(5, 1), noise(1400, 2), noise(30_000, 3)];
    for datagram in &sent {
        peer.send(datagram).unwrap();
    }
    // A stream would be free to hand these 31,405 bytes over in any pieces; datagrams
    // arrive one by one, each whole.
    for datagram in &sent {
        let echo = receive(&peer);
        assert_eq!(echo.len(), datagram.len());
        assert!(&echo == datagram, "the echo differs");
    }
}

#[test]
fn the_largest_datagram_and_an_empty_one_come_back() {
    let server = start();
    let peer = server.udp_peer();
    let biggest = noise(65_507, 9);
    peer.send(&biggest).unwrap();
    assert!(receive(&peer) == biggest);
    peer.send(b"").unwrap();
    assert_eq!(receive(&peer), b"");
}

#[test]
fn garbage_and_vanished_senders_do_not_stop_the_server() {
    let server = start();
    let peer = server.udp_peer();
    for seed in 1..=20 {
        let garbage = noise(seed as usize * 1013, seed);
        peer.send(&garbage).unwrap();
        assert!(receive(&peer) == garbage);
    }
    {
        let gone = server.udp_peer();
        gone.send(b"nobody reads the echo").unwrap();
    }
    peer.send(b"still there?").unwrap();
    assert_eq!(receive(&peer), b"still there?");
}

#[test]
fn ipv6_loopback_works_with_host_colon_colon_1() {
    let server = Server::start(SERVER, &["--host", "::1", "--port", "0"]);
    assert!(server.addr.is_ipv6(), "{}", server.addr);
    let peer = server.udp_peer();
    peer.send(b"over ipv6").unwrap();
    assert_eq!(receive(&peer), b"over ipv6");
}

#[test]
fn a_port_in_use_is_one_clear_line_and_exit_status_1() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    testkit::assert_port_in_use_error(SERVER, &port, &[]);
}
