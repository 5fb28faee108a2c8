//! Hidden: random sizes through echo servers that answer in random pieces, with pauses,
//! each report compared with `ss -ti` for the same socket; and the echo checked byte for
//! byte by a server that counts what it saw.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::Duration;

use testkit::{Running, require_tool, run};

const TCP_INFO: &str = env!("CARGO_BIN_EXE_tcp_info");

/// An echo server for one connection, on a free port: it reads up to `chunk` bytes at a
/// time and writes them back; after `close_after` bytes (if any) it closes.
fn echo_server(chunk: usize, close_after: Option<usize>, pause: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut buf = vec![0u8; chunk];
        let mut total = 0;
        loop {
            let room = close_after.map_or(chunk, |limit| chunk.min(limit - total));
            if room == 0 {
                return; // close
            }
            match conn.read(&mut buf[..room]) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    // Back in two pieces, the second after a pause.
                    let half = n / 2;
                    if conn.write_all(&buf[..half]).is_err() {
                        return;
                    }
                    thread::sleep(pause);
                    if conn.write_all(&buf[half..n]).is_err() {
                        return;
                    }
                    total += n;
                }
            }
        }
    });
    port
}

/// A number `key:` of an `ss -ti` line (`rtt:0.041/0.037` gives 0.041), if it is there.
fn ss_field(info: &str, key: &str) -> Option<f64> {
    let word = info
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}:")))?;
    word.split('/').next()?.parse().ok()
}

/// The word after `key` in the program's report (`cwnd 18 segments` gives 18).
fn ours(report: &str, key: &str) -> f64 {
    let rest = report
        .split(key)
        .nth(1)
        .unwrap_or_else(|| panic!("no `{key}` in the report:\n{report}"));
    rest.split_whitespace()
        .next()
        .and_then(|w| w.trim_end_matches(',').parse().ok())
        .unwrap_or_else(|| panic!("no number after `{key}` in the report:\n{report}"))
}

/// Runs the program through an echo server with `bytes` bytes and `--hold`, and compares
/// its report with `ss -ti` for its socket, read while it holds the connection.
fn report_matches_ss(bytes: usize, chunk: usize, pause: Duration, seed: u64) {
    let ss = require_tool("ss");
    let port = echo_server(chunk, None, pause);
    let mut program = Running::start(
        TCP_INFO,
        &[
            "--port",
            &port.to_string(),
            "--bytes",
            &bytes.to_string(),
            "--hold",
        ],
    );
    let mut report = String::new();
    for _ in 0..10 {
        let Some(line) = program.next_line() else {
            break;
        };
        report += &line;
        report.push('\n');
        if line.starts_with("holding") {
            break;
        }
    }
    assert!(
        report.contains("holding"),
        "the report did not end with the holding line:\n{report}\nstderr: {}",
        program.stderr_so_far()
    );
    let local = report
        .lines()
        .find_map(|l| l.strip_prefix("connected "))
        .and_then(|l| l.split(" -> ").next())
        .unwrap_or_else(|| panic!("no `connected LOCAL -> SERVER` line:\n{report}"))
        .to_owned();
    let out = Command::new(ss)
        .args(["-tinH", "state", "all", "src", &local])
        .output()
        .expect("run ss");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(shown.starts_with("ESTAB"), "ss -ti src {local}:\n{shown}");
    assert!(report.contains("state ESTABLISHED"), "{report}");
    assert!(
        report.contains(&format!("echoed {bytes} bytes")),
        "{report}"
    );
    let field =
        |key| ss_field(&shown, key).unwrap_or_else(|| panic!("no {key}: in ss's line:\n{shown}"));
    let pairs = [
        ("rtt", ours(&report, "rtt "), field("rtt")),
        ("rtt variation", ours(&report, "(variation "), {
            let rtt = shown
                .split("rtt:")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            rtt.split('/').nth(1).unwrap().parse().unwrap()
        }),
        ("rto", ours(&report, "rto "), field("rto")),
        ("cwnd", ours(&report, "cwnd "), field("cwnd")),
        ("mss", ours(&report, "segments of "), field("mss")),
        (
            "bytes acked",
            ours(&report, "bytes acked "),
            field("bytes_acked"),
        ),
        (
            "bytes received",
            ours(&report, "received "),
            field("bytes_received"),
        ),
        // ss leaves retrans out when there were none.
        ("retransmitted", ours(&report, "retransmitted "), {
            let total = shown
                .split(" retrans:")
                .nth(1)
                .map(|r| r.split('/').nth(1).unwrap());
            total.map_or(0.0, |t| {
                t.split_whitespace().next().unwrap().parse().unwrap()
            })
        }),
    ];
    for (name, mine, theirs) in pairs {
        assert!(
            (mine - theirs).abs() < 0.0015,
            "seed {seed}, {bytes} bytes: {name}: the report says {mine}, ss -ti says {theirs}\nreport:\n{report}\nss:\n{shown}"
        );
    }
    assert_eq!(
        ours(&report, "bytes acked "),
        bytes as f64 + 1.0,
        "the SYN counts as one byte acknowledged"
    );
    program.close_stdin();
    assert!(
        program.wait_for_exit().success(),
        "{}",
        program.stderr_so_far()
    );
}

/// The seed of this test's random inputs: fixed, so that every grading of a submission
/// draws the same ones (as the other hidden tests do); `SEED=N` tries others, and every
/// failure names the seed it used.
fn seed() -> u64 {
    std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7463_7069)
}

/// SplitMix64: the next number from `state`.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn random_sizes_and_pieces_are_reported_as_ss_shows_them() {
    let seed = seed();
    let mut state = seed;
    for _ in 0..4 {
        let bytes = match next(&mut state) % 3 {
            0 => 1 + next(&mut state) as usize % 2000,
            1 => 2000 + next(&mut state) as usize % 200_000,
            _ => 200_000 + next(&mut state) as usize % 4_000_000,
        };
        let chunk = 1 + next(&mut state) as usize % 70_000;
        let pause = Duration::from_micros(next(&mut state) % 300);
        report_matches_ss(bytes, chunk, pause, seed);
    }
}

#[test]
fn the_echo_is_compared_with_what_was_sent() {
    // A server that echoes everything but flips one byte somewhere: the program must see
    // that its echo differs, say so in one line and exit 1.
    let seed = seed();
    let mut state = seed;
    let bytes = 1000 + next(&mut state) as usize % 500_000;
    let flip = next(&mut state) as usize % bytes;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut buf = vec![0u8; 8192];
        let mut at = 0;
        loop {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if (at..at + n).contains(&flip) {
                        buf[flip - at] ^= 0x20;
                    }
                    at += n;
                    if conn.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let out = run(
        TCP_INFO,
        &["--port", &port.to_string(), "--bytes", &bytes.to_string()],
        b"",
    );
    assert_eq!(
        out.code(),
        Some(1),
        "seed {seed}: byte {flip} of {bytes} came back changed\n{}{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "seed {seed}: {}", out.stderr);
}

#[test]
fn a_server_that_closes_at_a_random_point_is_one_line_and_status_1() {
    let seed = seed();
    let mut state = seed;
    let bytes = 10_000 + next(&mut state) as usize % 2_000_000;
    let close_after = next(&mut state) as usize % bytes;
    let port = echo_server(
        1 + next(&mut state) as usize % 65536,
        Some(close_after),
        Duration::ZERO,
    );
    let out = run(
        TCP_INFO,
        &["--port", &port.to_string(), "--bytes", &bytes.to_string()],
        b"",
    );
    assert_eq!(
        out.code(),
        Some(1),
        "seed {seed}: closed after {close_after} of {bytes}\n{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "seed {seed}: {}", out.stderr);
    assert!(
        !out.stderr.contains("panicked"),
        "seed {seed}: {}",
        out.stderr
    );
}
