//! The client against small UDP servers that live in the test: one that answers, one that
//! never does, none at all, and a stranger who sends first.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{closed_udp_port, run, show};

const CLIENT: &str = env!("CARGO_BIN_EXE_udp_upper_client");

/// A UDP socket on a free loopback port, with a read timeout so no test can hang on it.
fn bound() -> (UdpSocket, u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// The uppercase server for `count` datagrams; before each reply, `stranger` (if any)
/// sends "NOT THE SERVER" to the client from a port of its own.
fn server(count: usize, stranger: bool) -> (u16, thread::JoinHandle<Vec<Vec<u8>>>) {
    let (socket, port) = bound();
    let handle = thread::spawn(move || {
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65_536];
        for _ in 0..count {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                break;
            };
            got.push(buf[..n].to_vec());
            if stranger {
                other.send_to(b"NOT THE SERVER", from).unwrap();
                thread::sleep(Duration::from_millis(100));
            }
            socket
                .send_to(&buf[..n].to_ascii_uppercase(), from)
                .unwrap();
        }
        got
    });
    (port, handle)
}

fn one_error_line(stderr: &str, says: &str) {
    assert!(
        stderr.starts_with("udp_upper_client: ")
            && stderr.lines().count() == 1
            && stderr.contains(says)
            && !stderr.contains("panicked"),
        "expected one line on stderr saying {says:?}, got {stderr:?}"
    );
}

#[test]
fn every_line_is_one_datagram_and_its_reply_is_printed() {
    let (port, server) = server(3, false);
    let out = run(
        CLIENT,
        &["--port", &port.to_string()],
        b"hello\nudp world\nthird line\n",
    );
    let got = server.join().unwrap();
    assert_eq!(
        out.stdout,
        "From Server: HELLO\nFrom Server: UDP WORLD\nFrom Server: THIRD LINE\n",
        "\nleft: what the client printed; right: what it should print.\n\
         The test's server received {:?}.\nThe client's stderr: {}",
        got.iter().map(|d| show(d)).collect::<Vec<_>>(),
        out.stderr
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
}

#[test]
fn a_stranger_datagram_is_not_taken_for_the_reply() {
    // Someone else sends to the client's port first; the server answers 100 ms later.
    let (port, server) = server(2, true);
    let out = run(
        CLIENT,
        &["--port", &port.to_string(), "--timeout", "2"],
        b"mine\nalso mine\n",
    );
    server.join().unwrap();
    assert_eq!(
        out.stdout, "From Server: MINE\nFrom Server: ALSO MINE\n",
        "\na datagram from another port arrived before each reply: only the server's \
         datagrams are replies (stderr: {:?})",
        out.stderr
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
}

#[test]
fn a_server_that_never_answers_is_one_line_soon_after_the_timeout() {
    let (socket, port) = bound();
    let started = Instant::now();
    let out = run(
        CLIENT,
        &["--port", &port.to_string(), "--timeout", "0.3"],
        b"is anyone there\n",
    );
    let took = started.elapsed();
    let mut buf = [0u8; 100];
    let (n, _) = socket
        .recv_from(&mut buf)
        .expect("the datagram should have arrived at the silent server");
    assert_eq!(&buf[..n], b"is anyone there");
    assert_eq!(out.code(), Some(1), "{out:?}");
    one_error_line(&out.stderr, "no reply from");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "with --timeout 0.3 the client should give up after about 0.3 s; it took {took:?}"
    );
}

#[test]
fn nothing_listening_is_reported_at_once_not_after_the_timeout() {
    let port = closed_udp_port();
    let server: SocketAddr = ([127, 0, 0, 1], port).into();
    let started = Instant::now();
    let out = run(
        CLIENT,
        &["--port", &port.to_string(), "--timeout", "8"],
        b"hello\n",
    );
    let took = started.elapsed();
    assert_eq!(out.code(), Some(1), "{out:?}");
    one_error_line(&out.stderr, &format!("nothing is listening on {server}"));
    assert!(
        took < Duration::from_secs(4),
        "nothing listens on {server}: the kernel says so at once (ICMP port unreachable, \
         ECONNREFUSED on a connected socket), but the client took {took:?}"
    );
}
