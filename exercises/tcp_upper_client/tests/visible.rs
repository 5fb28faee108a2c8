//! The client against a small uppercase server that lives in the test.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use testkit::{run, show};

const CLIENT: &str = env!("CARGO_BIN_EXE_tcp_upper_client");

/// An uppercase server for one client that sends each reply one byte at a time (as a slow
/// network may deliver it). Returns its port and a handle that yields the bytes it got.
fn trickling_server() -> (u16, thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut received = Vec::new();
        let mut chunk = [0u8; 1024];
        while let Ok(n @ 1..) = conn.read(&mut chunk) {
            received.extend_from_slice(&chunk[..n]);
            for b in chunk[..n].to_ascii_uppercase() {
                if conn.write_all(&[b]).is_err() {
                    return received;
                }
                thread::sleep(Duration::from_millis(3));
            }
        }
        received
    });
    (port, handle)
}

#[test]
fn every_line_is_answered_even_when_the_reply_arrives_byte_by_byte() {
    let (port, server) = trickling_server();
    let out = run(
        CLIENT,
        &["--port", &port.to_string()],
        b"hello\nsocket world\n",
    );
    let received = server.join().unwrap();
    assert_eq!(
        out.stdout,
        "From Server: HELLO\nFrom Server: SOCKET WORLD\n",
        "\nleft: what the client printed; right: what it should print.\n\
         The test's server received \"{}\" and sent each reply one byte at a time.\n\
         The client's stderr: {}",
        show(&received),
        out.stderr
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
}

#[test]
fn a_server_that_closes_early_is_an_error_not_a_short_reply() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut chunk = [0u8; 64];
        let _ = conn.read(&mut chunk);
        let _ = conn.write_all(b"HEL"); // three bytes of five, then close
    });
    let out = run(CLIENT, &["--port", &port.to_string()], b"hello\n");
    server.join().unwrap();
    assert_eq!(
        out.code(),
        Some(1),
        "\nthe server sent \"HEL\" (3 bytes of a 5-byte reply) and closed: expected exit \
         status 1 (left: the status seen).\nstdout: {:?}\nstderr: {:?}",
        out.stdout,
        out.stderr
    );
    assert!(
        !out.stdout.contains("From Server"),
        "a cut-short reply must not be printed as if it were whole; stdout: {:?}",
        out.stdout
    );
    assert!(
        out.stderr.starts_with("tcp_upper_client: ") && !out.stderr.contains("panicked"),
        "expected one error line, got stderr {:?}",
        out.stderr
    );
}
