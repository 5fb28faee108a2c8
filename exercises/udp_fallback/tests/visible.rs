//! The client against servers on 127.0.0.1 and ::1 started here: one that answers, one
//! that keeps quiet, and an address where nothing listens (the kernel answers with ICMP
//! port unreachable, on loopback as on a real network).

use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use testkit::run;

const CLIENT: &str = env!("CARGO_BIN_EXE_udp_fallback");

/// A UDP echo server on 127.0.0.1 (any free port) for `count` datagrams; its port.
fn echo_v4(count: usize) -> (u16, thread::JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let server = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        for _ in 0..count {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                return;
            };
            let _ = socket.send_to(&buf[..n], from);
        }
    });
    (port, server)
}

#[test]
fn an_ipv4_only_server_is_reached_after_ipv6_is_refused() {
    let (port, _server) = echo_v4(1);
    let p = port.to_string();
    let out = run(
        CLIENT,
        &[
            "--host",
            "::1",
            "--host",
            "127.0.0.1",
            "--port",
            &p,
            "hello",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "[::1]:{port}: refused (nothing listens there)\n127.0.0.1:{port}: answered: hello\n"
        )
    );
}

#[test]
fn a_silent_address_times_out_and_the_next_is_tried() {
    let (port, _server) = echo_v4(1);
    // A socket on ::1, same port, that reads nothing and answers nothing.
    let _silent = UdpSocket::bind(("::1", port)).unwrap();
    let p = port.to_string();
    let started = Instant::now();
    let out = run(
        CLIENT,
        &[
            "--host",
            "::1",
            "--host",
            "127.0.0.1",
            "--port",
            &p,
            "--timeout-ms",
            "300",
            "hi",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("[::1]:{port}: no answer within 300 ms\n127.0.0.1:{port}: answered: hi\n")
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "gave up on ::1 too early"
    );
}

#[test]
fn nothing_answering_is_one_line_and_status_1() {
    let port = testkit::closed_udp_port();
    let p = port.to_string();
    let out = run(
        CLIENT,
        &["--host", "127.0.0.1", "--host", "::1", "--port", &p, "x"],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "127.0.0.1:{port}: refused (nothing listens there)\n[::1]:{port}: refused (nothing listens there)\n"
        )
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn a_datagram_from_another_port_is_not_the_answer() {
    // The server first has a socket of another port send "impostor" to the client, then
    // answers from its own.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    thread::spawn(move || {
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut buf = [0u8; 2048];
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            let _ = other.send_to(b"impostor", from);
            thread::sleep(Duration::from_millis(100));
            let _ = socket.send_to(&buf[..n], from);
        }
    });
    let out = run(
        CLIENT,
        &["--host", "127.0.0.1", "--port", &port.to_string(), "real"],
        b"",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, format!("127.0.0.1:{port}: answered: real\n"));
}
