//! The pinger against an echo server in the test that loses and delays chosen pings.

use std::net::UdpSocket;
use std::thread;
use std::time::Duration;

use testkit::run;

const PINGER: &str = env!("CARGO_BIN_EXE_udp_pinger");

/// An echo server that uppercases replies, drops the pings in `drop`, and answers the
/// pings in `late` after `delay`. Runs until `count` pings have arrived.
fn echo(count: usize, drop: &'static [u32], late: &'static [u32], delay: Duration) -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 1024];
        for _ in 0..count {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                return;
            };
            let text = String::from_utf8_lossy(&buf[..n]).to_uppercase();
            let seq: u32 = text
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if drop.contains(&seq) {
                continue;
            }
            let reply = socket.try_clone().unwrap();
            let wait = if late.contains(&seq) {
                delay
            } else {
                Duration::ZERO
            };
            thread::spawn(move || {
                thread::sleep(wait);
                let _ = reply.send_to(text.as_bytes(), from);
            });
        }
    });
    port
}

fn statuses(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with("ping "))
        .map(|l| {
            if l.contains("timed out") {
                "lost"
            } else {
                "reply"
            }
            .to_owned()
        })
        .collect()
}

#[test]
fn every_ping_answered() {
    let port = echo(4, &[], &[], Duration::ZERO);
    let out = run(
        PINGER,
        &[
            "--port",
            &port.to_string(),
            "--count",
            "4",
            "--timeout-ms",
            "500",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(statuses(&out.stdout), ["reply"; 4], "{}", out.stdout);
    assert!(
        out.stdout.contains("4 sent, 4 received, 0% loss"),
        "{}",
        out.stdout
    );
}

#[test]
fn lost_pings_time_out_and_count_as_loss() {
    let port = echo(4, &[2, 3], &[], Duration::ZERO);
    let out = run(
        PINGER,
        &[
            "--port",
            &port.to_string(),
            "--count",
            "4",
            "--timeout-ms",
            "300",
        ],
        b"",
    );
    assert_eq!(
        statuses(&out.stdout),
        ["reply", "lost", "lost", "reply"],
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("4 sent, 2 received, 50% loss"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_late_reply_does_not_count_for_the_next_ping() {
    // Ping 1's reply comes after 450 ms, during the wait for ping 2, which is dropped.
    let port = echo(3, &[2], &[1], Duration::from_millis(450));
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
    assert_eq!(
        statuses(&out.stdout),
        ["lost", "lost", "reply"],
        "ping 1 was answered too late and ping 2 not at all:\n{}",
        out.stdout
    );
}
