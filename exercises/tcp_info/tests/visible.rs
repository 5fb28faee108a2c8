//! The program against an echo server written here, and its report against `ss -ti`, which
//! asks the kernel about the same socket while the program holds it open.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::Duration;

use testkit::{Running, require_tool, run};

const TCP_INFO: &str = env!("CARGO_BIN_EXE_tcp_info");

/// An echo server for one connection, on a free port: it reads up to `chunk` bytes at a
/// time and writes them back; after `close_after` bytes (if any) it closes.
fn echo_server(chunk: usize, close_after: Option<usize>) -> u16 {
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
                    if conn.write_all(&buf[..n]).is_err() {
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
fn report_matches_ss(bytes: usize, chunk: usize) {
    let ss = require_tool("ss");
    let port = echo_server(chunk, None);
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
            "{name}: the report says {mine}, ss -ti says {theirs}\nreport:\n{report}\nss:\n{shown}"
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

#[test]
fn the_report_matches_what_ss_shows_for_the_same_socket() {
    report_matches_ss(100_000, 65536);
}

#[test]
fn one_byte_and_a_few_megabytes_are_reported_alike() {
    report_matches_ss(1, 1);
    report_matches_ss(3_000_000, 4096);
}

#[test]
fn sixteen_megabytes_through_a_slow_echo_do_not_deadlock() {
    // More than the socket buffers of both ends hold: a client that sends everything
    // before it reads blocks for ever, and so does the server, which cannot write.
    let port = echo_server(1000, None);
    let out = run(
        TCP_INFO,
        &["--port", &port.to_string(), "--bytes", "16000000"],
        b"",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stdout.contains("echoed 16000000 bytes"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_server_that_closes_early_is_one_line_and_status_1() {
    let port = echo_server(4096, Some(50_000));
    let out = run(
        TCP_INFO,
        &["--port", &port.to_string(), "--bytes", "200000"],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}
