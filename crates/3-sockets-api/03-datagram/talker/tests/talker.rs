//! talker as a black box: what arrives at a UDP socket the test holds.

use std::net::UdpSocket;

use testkit::{PATIENCE, run};

const TALKER: &str = env!("CARGO_BIN_EXE_talker");

fn receiver(addr: &str) -> UdpSocket {
    let socket = UdpSocket::bind(addr).unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    socket
}

#[test]
fn the_message_arrives_as_one_datagram_byte_for_byte() {
    let socket = receiver("127.0.0.1:0");
    let port = socket.local_addr().unwrap().port().to_string();
    let out = run(TALKER, &["--port", &port, "hello, wire"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "talker: sent 11 bytes to 127.0.0.1\n");
    let mut buf = [0u8; 100];
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello, wire");
}

#[test]
fn ipv6_works_the_same() {
    let socket = receiver("[::1]:0");
    let port = socket.local_addr().unwrap().port().to_string();
    let out = run(TALKER, &["--host", "::1", "--port", &port, "six"], b"");
    assert_eq!(out.stdout, "talker: sent 3 bytes to ::1\n", "{out:?}");
    let mut buf = [0u8; 100];
    let (n, from) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"six");
    assert!(from.is_ipv6());
}

#[test]
fn nobody_listening_is_not_an_error_for_udp() {
    // sendto only hands the datagram to the kernel: the talker cannot tell.
    let port = {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port().to_string()
    };
    let out = run(TALKER, &["--port", &port, "into the void"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "talker: sent 13 bytes to 127.0.0.1\n");
}

#[test]
fn a_message_too_big_for_one_datagram_is_one_line_and_status_1() {
    // The kernel refuses the datagram before anything is sent.
    let big = "x".repeat(70_000);
    let port = testkit::closed_port().to_string();
    let out = run(TALKER, &["--port", &port, &big], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!("talker: sendto 127.0.0.1:{port}: Message too long (os error 90)\n")
    );
}

#[test]
fn the_message_is_required() {
    let out = run(TALKER, &[], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}

/// Beej's readers type `talker HOST MESSAGE`: the host as the first argument (and
/// `localhost`, which getaddrinfo resolves; the talker sends to its first address).
#[test]
fn the_host_can_come_first_as_in_beejs_talker_host_message() {
    let hints = showip::Hints {
        socktype: showip::SockType::Datagram,
        ..showip::Hints::default()
    };
    let first = showip::getaddrinfo(Some("localhost"), Some("0"), &hints).unwrap()[0].addr;
    let socket = receiver(&first.to_string());
    let port = socket.local_addr().unwrap().port().to_string();
    let out = run(TALKER, &["localhost", "hi", "--port", &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "talker: sent 2 bytes to localhost\n");
    let mut buf = [0u8; 100];
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hi");
    // The host given twice is a usage error, not a guess.
    let out = run(TALKER, &["--host", "127.0.0.1", "localhost", "hi"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(
        out.stderr,
        "talker: the argument '--host <HOST>' cannot be used with '[HOST]' (see --help)\n"
    );
}
