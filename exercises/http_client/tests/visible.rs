//! The client against a one-shot server in the test that sends a canned response.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use testkit::{run, show};

const CLIENT: &str = env!("CARGO_BIN_EXE_http_client");

/// Serves `response` (in `pieces`, with pauses between them) to one client; keeps the
/// connection open afterwards unless `close`. Returns the port and the request it got.
fn serve(pieces: Vec<&'static [u8]>, close: bool) -> (u16, thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.ends_with(b"\r\n\r\n") {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        for piece in pieces {
            let _ = conn.write_all(piece);
            thread::sleep(Duration::from_millis(50));
        }
        if !close {
            // Hold the connection open: the client must know the body is complete.
            let _ = conn.read(&mut buf);
        }
        request
    });
    (port, handle)
}

fn get(port: u16, path: &str) -> testkit::Finished {
    run(CLIENT, &[&format!("http://127.0.0.1:{port}{path}")], b"")
}

#[test]
fn the_request_is_a_proper_get() {
    let (port, server) = serve(
        vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"],
        true,
    );
    let out = get(port, "/some/page.html");
    let request = server.join().unwrap();
    assert_eq!(
        show(&request),
        show(format!("GET /some/page.html HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").as_bytes()),
        "the request the server received"
    );
    assert_eq!(out.stdout, "ok", "{out:?}");
}

#[test]
fn content_length_says_where_the_body_ends_even_if_the_connection_stays_open() {
    let (port, _server) = serve(
        vec![
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello",
            b" world",
        ],
        false,
    );
    let out = get(port, "/");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "hello world");
}

#[test]
fn a_chunked_body_is_put_back_together() {
    let (port, _server) = serve(
        vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"4\r\nWiki\r\n5\r\npedia\r\n",
            b"E\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n",
        ],
        false,
    );
    let out = get(port, "/");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        show(out.stdout.as_bytes()),
        show(b"Wikipedia in\r\n\r\nchunks.")
    );
}

#[test]
fn without_a_length_the_body_ends_when_the_server_closes() {
    let (port, _server) = serve(vec![b"HTTP/1.0 200 OK\r\n\r\nall of ", b"this"], true);
    let out = get(port, "/");
    assert_eq!(out.stdout, "all of this", "{out:?}");
}

#[test]
fn garbage_instead_of_a_status_line_is_one_error_line() {
    let (port, _server) = serve(vec![b"SSH-2.0-OpenSSH_9.6\r\n"], true);
    let out = get(port, "/");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.starts_with("http_client: bad response"),
        "{:?}",
        out.stderr
    );
}
