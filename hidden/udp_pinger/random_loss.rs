//! Hidden: a random loss pattern, garbage datagrams, and a wait that is not restarted.

use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{noise, run};

const PINGER: &str = env!("CARGO_BIN_EXE_udp_pinger");

#[test]
fn a_random_loss_pattern_is_reported_exactly() {
    let pattern: Vec<bool> = noise(12, 77).iter().map(|b| b % 3 != 0).collect();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let answer = pattern.clone();
    thread::spawn(move || {
        let mut buf = [0u8; 1024];
        for i in 0..answer.len() {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                return;
            };
            // Garbage first, then (maybe) the reply.
            let _ = socket.send_to(b"\x00\xffnot a ping", from);
            if answer[i] {
                let _ = socket.send_to(&buf[..n], from);
            }
        }
    });
    let out = run(
        PINGER,
        &[
            "--port",
            &port.to_string(),
            "--count",
            &pattern.len().to_string(),
            "--timeout-ms",
            "200",
        ],
        b"",
    );
    let got: Vec<bool> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("ping "))
        .map(|l| !l.contains("timed out"))
        .collect();
    assert_eq!(got, pattern, "{}", out.stdout);
    let received = pattern.iter().filter(|b| **b).count();
    assert!(
        out.stdout
            .contains(&format!("{} sent, {received} received", pattern.len())),
        "{}",
        out.stdout
    );
}

#[test]
fn foreign_datagrams_do_not_extend_the_wait() {
    // A server that never answers a ping but sends junk every 50 ms: each ping must still
    // give up after its timeout, not wait forever.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut buf = [0u8; 1024];
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let Ok((_, from)) = socket.recv_from(&mut buf) else {
            return;
        };
        for _ in 0..60 {
            let _ = socket.send_to(b"PING 999 junk", from);
            thread::sleep(Duration::from_millis(50));
        }
    });
    let started = Instant::now();
    let out = run(
        PINGER,
        &[
            "--port",
            &port.to_string(),
            "--count",
            "3",
            "--timeout-ms",
            "300",
        ],
        b"",
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "3 pings of 300 ms took {:?}",
        started.elapsed()
    );
    assert!(
        out.stdout.contains("3 sent, 0 received, 100% loss"),
        "{}",
        out.stdout
    );
}
