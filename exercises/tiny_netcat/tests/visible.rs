//! The tiny netcat against servers played by the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;

use testkit::{PATIENCE, Running, run};

const NETCAT: &str = env!("CARGO_BIN_EXE_tiny_netcat");

/// A server on a free loopback port that runs `serve` on its one client.
fn server(serve: impl FnOnce(TcpStream) + Send + 'static) -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn.set_write_timeout(Some(PATIENCE)).unwrap();
        serve(conn);
        let _ = done.send(());
    });
    (port, finished)
}

#[test]
fn the_peer_speaks_first_and_both_directions_flow() {
    let (send, heard) = mpsc::channel();
    let (port, finished) = server(move |conn| {
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        (&conn).write_all(b"hello, who is there?\n").unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        send.send(line).unwrap();
        (&conn).write_all(b"bye\n").unwrap();
        // Closing ends what the client receives.
    });
    let mut netcat = Running::start(NETCAT, &["127.0.0.1", &port]);
    assert_eq!(
        netcat.next_line().as_deref(),
        Some("hello, who is there?"),
        "the server's first line should be on stdout at once, before any input"
    );
    netcat.type_in(b"it is me\n");
    assert_eq!(
        heard.recv_timeout(PATIENCE).as_deref(),
        Ok("it is me\n"),
        "the line typed should reach the server while the connection is open"
    );
    assert_eq!(netcat.next_line().as_deref(), Some("bye"));
    finished.recv_timeout(PATIENCE).unwrap();
    netcat.close_stdin();
    assert!(netcat.wait_for_exit().success());
}

#[test]
fn with_n_the_server_sees_the_end_of_input_and_answers() {
    // This server reads until end of file, then answers: it needs the client's FIN.
    let (port, _finished) = server(|mut conn| {
        let mut all = Vec::new();
        conn.read_to_end(&mut all).unwrap();
        conn.write_all(&all.to_ascii_uppercase()).unwrap();
    });
    let out = run(
        NETCAT,
        &["-N", "127.0.0.1", &port],
        b"first line\nsecond line\n",
    );
    assert_eq!(
        out.stdout, "FIRST LINE\nSECOND LINE\n",
        "-N: at the end of stdin, shut down the write side; the server answers after that.\n{out:?}"
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
}

#[test]
fn twenty_four_megabytes_each_way_at_once() {
    // The server sends everything before it reads anything: a client that sends all its
    // input before it receives would wait for the server, and it for the client, once
    // the kernel's buffers (a few MiB each way, not 24) are full.
    let size = 24 << 20;
    let to_client: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let expected = String::from_utf8(to_client.clone()).unwrap();
    let (send, received) = mpsc::channel();
    let (port, _finished) = server(move |mut conn| {
        conn.write_all(&to_client).unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        let mut all = Vec::new();
        let _ = conn.read_to_end(&mut all);
        send.send(all).unwrap();
    });
    let from_client: Vec<u8> = (0..size).map(|i| b'A' + (i % 23) as u8).collect();
    let out = run(NETCAT, &["-N", "127.0.0.1", &port], &from_client);
    let got = received.recv_timeout(PATIENCE).unwrap_or_default();
    assert!(
        got == from_client,
        "the server received {} of the {size} bytes of stdin",
        got.len()
    );
    assert!(
        out.stdout == expected,
        "stdout has {} of the {size} bytes the server sent",
        out.stdout.len()
    );
    assert_eq!(out.code(), Some(0), "stderr: {}", out.stderr);
}
