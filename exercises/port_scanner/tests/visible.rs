//! The scanner against listeners these tests open themselves, on loopback only.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, closed_port, run};

const SCAN: &str = env!("CARGO_BIN_EXE_port_scanner");

/// Clients present now, and the most at once, over every listener that shares it.
#[derive(Default)]
struct Count {
    open: AtomicUsize,
    most: AtomicUsize,
}

/// A loopback listener that greets each client with `banner` and keeps it until it
/// leaves, counting clients in `count` (it notices a close a little late, so the most at
/// once may be one too many).
fn listener(banner: &'static [u8], count: Arc<Count>) -> u16 {
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in socket.incoming() {
            let Ok(mut conn) = conn else { continue };
            let count = Arc::clone(&count);
            thread::spawn(move || {
                let now = count.open.fetch_add(1, Ordering::SeqCst) + 1;
                count.most.fetch_max(now, Ordering::SeqCst);
                let _ = conn.write_all(banner);
                conn.set_read_timeout(Some(PATIENCE)).unwrap();
                let _ = conn.read(&mut [0u8; 1]); // until the scanner closes
                count.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    port
}

/// A port whose listener never accepts and whose queue of finished handshakes is full:
/// the kernel drops every further SYN, so a connect gets no answer at all.
fn full_backlog() -> (TcpListener, TcpStream, u16) {
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    // listen() again with a backlog of 0: a queue of one connection.
    // SAFETY: listen() on a descriptor this test owns; it reads no memory of ours.
    let rc = unsafe { libc::listen(socket.as_raw_fd(), 0) };
    assert_eq!(rc, 0);
    let port = socket.local_addr().unwrap().port();
    let first = TcpStream::connect(("127.0.0.1", port)).unwrap(); // fills the queue
    (socket, first, port)
}

fn line(port: u16, rest: &str) -> String {
    format!("{:<10} {rest}", format!("{port}/tcp"))
        .trim_end()
        .to_owned()
}

#[test]
fn open_closed_and_banners_are_reported_in_port_order() {
    let ssh = listener(b"SSH-2.0-Test_1.0\r\nrest", Arc::default());
    let silent = listener(b"", Arc::default());
    let ugly = listener(b"\x1b[2Jhi\x00there\n", Arc::default());
    let closed = closed_port();
    let ports = format!("{},{},{},{closed}", ssh, silent, ugly);
    let out = run(
        SCAN,
        &["--ports", &ports, "--banner-wait-ms", "300", "--all"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let mut expected = vec![
        (ssh, line(ssh, "open      SSH-2.0-Test_1.0")),
        (silent, line(silent, "open")),
        (ugly, line(ugly, "open      \\x1b[2Jhi\\x00there")),
        (closed, line(closed, "closed")),
    ];
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, l)| l).collect();
    let got: Vec<&str> = out.stdout.lines().filter(|l| l.contains("/tcp")).collect();
    assert_eq!(
        got, expected,
        "left: the port lines printed; right: what they should be.\n{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(": 3 open, 1 closed, 0 filtered, 0 error(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_port_that_never_answers_is_filtered_after_the_timeout() {
    let (_listener, _first, port) = full_backlog();
    let started = Instant::now();
    let out = run(
        SCAN,
        &["--ports", &port.to_string(), "--timeout-ms", "300", "--all"],
        b"",
    );
    let took = started.elapsed();
    assert!(
        out.stdout.contains(&line(port, "filtered")),
        "the SYNs to port {port} got no answer: expected the line {:?}.\n{out:?}",
        line(port, "filtered")
    );
    assert!(
        took >= Duration::from_millis(290),
        "a port that never answers was given up on after {took:?}, before the 300 ms timeout"
    );
}

#[test]
fn no_more_than_parallel_connections_at_once() {
    let count = Arc::new(Count::default());
    let ports: Vec<String> = (0..8)
        .map(|_| listener(b"", Arc::clone(&count)).to_string())
        .collect();
    // Each silent port holds its connection for the whole banner wait (200 ms). Two at a
    // time, eight ports take at least four waits; eight at a time would take one.
    let started = Instant::now();
    let out = run(
        SCAN,
        &[
            "--ports",
            &ports.join(","),
            "--parallel",
            "2",
            "--banner-wait-ms",
            "200",
        ],
        b"",
    );
    let took = started.elapsed();
    assert!(out.stdout.contains(": 8 open"), "{out:?}");
    assert!(
        took >= Duration::from_millis(780),
        "8 silent ports took only {took:?} with --parallel 2: more than 2 connections at once?"
    );
    assert!(
        count.most.load(Ordering::SeqCst) >= 2,
        "the listeners never saw 2 connections at once: the scan did not run in parallel"
    );
}
