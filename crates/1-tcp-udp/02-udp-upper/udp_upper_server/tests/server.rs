//! udp_upper_server as a black box: started with --port 0, sent datagrams over loopback.

use std::net::UdpSocket;

use testkit::{Server, noise, require_tool, run};

const SERVER: &str = env!("CARGO_BIN_EXE_udp_upper_server");

fn start() -> Server {
    Server::start(SERVER, &["--port", "0"])
}

/// What the server should send back, spelled out with ASCII codes ('a' = 97, 'z' = 122,
/// 'A' = 65) rather than with the std call the server itself makes.
fn expected_reply(sent: &[u8]) -> Vec<u8> {
    sent.iter()
        .map(|&b| if (97..=122).contains(&b) { b - 32 } else { b })
        .collect()
}

/// Sends one datagram and returns the one that comes back (whole: the buffer has room
/// for the largest datagram and a byte more, so a longer reply would show).
fn ask(peer: &UdpSocket, datagram: &[u8]) -> Vec<u8> {
    peer.send(datagram).unwrap();
    let mut buf = vec![0u8; 70_000];
    let n = peer.recv(&mut buf).expect("a reply within PATIENCE");
    buf.truncate(n);
    buf
}

#[test]
fn the_lecture_python_client_gets_its_sentence_uppercased() {
    let server = start();
    let python = require_tool("python3");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/udp_client.py");
    let port = server.addr.port().to_string();
    let out = run(
        python.to_str().unwrap(),
        &[script, &port, "hello over udp, 42!"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "From Server: HELLO OVER UDP, 42!\n");
}

#[test]
fn all_256_byte_values_come_back_with_only_a_to_z_changed() {
    let server = start();
    let peer = server.udp_peer();
    let every_byte: Vec<u8> = (0..=255).collect();
    assert_eq!(ask(&peer, &every_byte), expected_reply(&every_byte));
}

#[test]
fn the_largest_ipv4_datagram_comes_back_whole() {
    let server = start();
    let peer = server.udp_peer();
    let biggest = noise(65_507, 11);
    let reply = ask(&peer, &biggest);
    assert_eq!(reply.len(), 65_507);
    assert!(reply == expected_reply(&biggest), "the reply differs");
}

#[test]
fn each_reply_goes_to_its_own_sender() {
    let server = start();
    let alice = server.udp_peer();
    let bob = server.udp_peer();
    alice.send(b"from alice").unwrap();
    bob.send(b"from bob").unwrap();
    let mut buf = [0u8; 100];
    let n = bob.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"FROM BOB");
    let n = alice.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"FROM ALICE");
}

#[test]
fn empty_and_garbage_datagrams_do_not_stop_the_server() {
    let server = start();
    let peer = server.udp_peer();
    // An empty datagram is a datagram too: it gets an empty one back.
    assert_eq!(ask(&peer, b""), b"");
    for seed in 1..=20 {
        let garbage = noise(seed as usize * 997, seed);
        assert_eq!(ask(&peer, &garbage), expected_reply(&garbage));
    }
    // A sender that vanishes before its reply arrives.
    {
        let gone = server.udp_peer();
        gone.send(b"nobody will read this").unwrap();
    }
    assert_eq!(ask(&peer, b"still there?"), b"STILL THERE?");
}

#[test]
fn ipv6_loopback_works_with_host_colon_colon_1() {
    let server = Server::start(SERVER, &["--host", "::1", "--port", "0"]);
    assert!(server.addr.is_ipv6(), "{}", server.addr);
    let peer = server.udp_peer();
    assert_eq!(ask(&peer, b"over ipv6"), b"OVER IPV6");
    // IPv6 allows 20 bytes more than IPv4 in one datagram.
    let biggest = noise(65_527, 5);
    assert!(ask(&peer, &biggest) == expected_reply(&biggest));
}

#[test]
fn a_port_in_use_is_one_clear_line_and_exit_status_1() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    testkit::assert_port_in_use_error(SERVER, &port, &[]);
}

#[test]
fn an_unknown_host_is_one_clear_line() {
    let out = run(
        SERVER,
        &["--host", "no-such-host.invalid", "--port", "0"],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("udp_upper_server: cannot find host 'no-such-host.invalid'"),
        "{out:?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}
