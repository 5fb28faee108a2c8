//! Slowloris: many connections that send their request a byte at a time, or nothing at
//! all, must neither keep a normal client waiting nor stay open past the head deadline.
//! (The 1,000-connection version is a benchmark: book/src/part5/http-bench.sh.)

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

/// The head deadline the server is started with, in seconds.
const TIMEOUT: f64 = 2.0;

struct Slow {
    conn: TcpStream,
    /// Sends a byte every round (false: says nothing at all).
    dribbles: bool,
    received: Vec<u8>,
    closed_after: Option<Duration>,
}

#[test]
fn a_normal_client_is_served_at_once_while_100_slow_clients_are_open_and_these_are_closed_at_the_deadline()
 {
    let server = start(&["--timeout", &TIMEOUT.to_string()]);
    let opened = Instant::now();
    let mut slow: Vec<Slow> = (0..100)
        .map(|n| {
            let conn = server.connect();
            let dribbles = n % 2 == 0;
            if dribbles {
                (&conn)
                    .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .unwrap();
            }
            conn.set_nonblocking(true).unwrap();
            Slow {
                conn,
                dribbles,
                received: Vec::new(),
                closed_after: None,
            }
        })
        .collect();

    // A normal client, three times while the slow ones are open.
    let normal = {
        let addr = server.addr;
        thread::spawn(move || {
            (0..3)
                .map(|_| {
                    thread::sleep(Duration::from_millis(200));
                    let began = Instant::now();
                    let mut conn = testkit::connect(addr);
                    conn.write_all(b"GET /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .unwrap();
                    let mut response = String::new();
                    let read = conn.read_to_string(&mut response);
                    (began.elapsed(), read.map(|_| response))
                })
                .collect::<Vec<_>>()
        })
    };

    // Every 100 ms each dribbler sends one more byte of a header that never ends, so no
    // single read ever waits long: only a deadline for the whole head can end them.
    let give_up = Duration::from_secs_f64(TIMEOUT + 4.0);
    while slow.iter().any(|s| s.closed_after.is_none()) && opened.elapsed() < give_up {
        thread::sleep(Duration::from_millis(100));
        for s in slow.iter_mut().filter(|s| s.closed_after.is_none()) {
            if s.dribbles {
                let _ = (&s.conn).write_all(b"a"); // fails once the server has closed
            }
            let mut buf = [0u8; 1024];
            loop {
                match (&s.conn).read(&mut buf) {
                    Ok(0) => {
                        s.closed_after = Some(opened.elapsed());
                        break;
                    }
                    Ok(n) => s.received.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        s.closed_after = Some(opened.elapsed());
                        break;
                    }
                }
            }
        }
    }

    for (took, response) in normal.join().unwrap() {
        let response = response.expect("the normal client got a response");
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(
            took < Duration::from_secs(1),
            "the normal client waited {took:?} behind 100 slow ones"
        );
    }
    let deadline = Duration::from_secs_f64(TIMEOUT);
    for (n, s) in slow.iter().enumerate() {
        let closed = s
            .closed_after
            .unwrap_or_else(|| panic!("slow client {n} still open after {give_up:?}"));
        // Not before the deadline (less the time it took to open them all), and not long
        // after it (the server looks every 50 ms).
        assert!(
            closed + Duration::from_millis(300) >= deadline
                && closed <= deadline + Duration::from_millis(1500),
            "slow client {n} closed after {closed:?}, the deadline is {deadline:?}"
        );
        let response = String::from_utf8_lossy(&s.received);
        if s.dribbles {
            assert!(
                response.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
                "dribbler {n}: {response:?}"
            );
        } else {
            assert_eq!(response, "", "silent client {n}");
        }
    }
    // The server logs each before it closes; the log is read by another thread.
    let log = server.wait_for_stderr_count("idle, closed after 0 request(s)", 50);
    assert_eq!(log.matches("\"-\" 408").count(), 50, "{log}");
    assert_eq!(
        log.matches("idle, closed after 0 request(s)").count(),
        50,
        "{log}"
    );
}
