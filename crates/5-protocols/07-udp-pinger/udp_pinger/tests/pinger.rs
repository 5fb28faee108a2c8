//! udp_pinger's server and client as black boxes, with loss rates that make the outcome
//! certain (0 and 100 %) or predictable (a seed).

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use netkit::Signal;
use testkit::{PATIENCE, Server, require_tool, run};

const PINGER: &str = env!("CARGO_BIN_EXE_udp_pinger");

fn server(drop: &str, seed: &str) -> Server {
    Server::start(
        PINGER,
        &["server", "--port", "0", "--drop", drop, "--seed", seed],
    )
}

fn ping(server: &Server, count: &str, timeout: &str) -> testkit::Finished {
    let port = server.addr.port().to_string();
    run(
        PINGER,
        &[
            "client",
            "--port",
            &port,
            "--count",
            count,
            "--timeout",
            timeout,
        ],
        b"",
    )
}

/// The reply lines of a client's output: Some(seq) for a reply, None for a timeout.
fn outcomes(stdout: &str) -> Vec<Option<u32>> {
    stdout
        .lines()
        .filter_map(|line| {
            if line == "Request timed out" {
                Some(None)
            } else if line.starts_with("Reply from ") {
                let seq = line.split("seq=").nth(1)?.split(' ').next()?;
                Some(Some(seq.parse().unwrap()))
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn with_no_loss_every_ping_is_answered_in_order() {
    let server = server("0", "1");
    let out = ping(&server, "10", "1");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        outcomes(&out.stdout),
        (1..=10).map(Some).collect::<Vec<_>>()
    );
    assert!(
        out.stdout
            .contains("\n10 packets transmitted, 10 received, 0% packet loss\nrtt min/avg/max = "),
        "{}",
        out.stdout
    );
    let first = out.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!("PING {}: 10 pings, waiting up to 1 s for each", server.addr)
    );
}

#[test]
fn with_total_loss_every_ping_times_out_and_the_exit_status_is_1() {
    let server = server("100", "1");
    let out = ping(&server, "4", "0.2");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(outcomes(&out.stdout), [None; 4]);
    assert!(
        out.stdout
            .ends_with("4 packets transmitted, 0 received, 100% packet loss\n"),
        "{out:?}"
    );
    assert!(!out.stdout.contains("rtt"));
}

/// SplitMix64, written out here from its published definition so that the prediction
/// does not reuse the code under test.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e3779b97f4a7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

#[test]
fn a_seeded_run_loses_exactly_the_predicted_pings() {
    let (seed, percent, count) = (2026u64, 30u64, 12u32);
    let mut state = seed;
    let predicted: Vec<Option<u32>> = (1..=count)
        .map(|seq| (splitmix64(&mut state) % 100 >= percent).then_some(seq))
        .collect();
    let lost = predicted.iter().filter(|o| o.is_none()).count();
    assert!(
        lost > 0 && lost < count as usize,
        "pick a seed that loses some but not all"
    );

    let server = server("30", &seed.to_string());
    let out = ping(&server, &count.to_string(), "1");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(outcomes(&out.stdout), predicted, "{}", out.stdout);
    let loss = (lost * 100) as f64 / f64::from(count);
    let loss = format!("{loss:.1}");
    let summary = format!(
        "{count} packets transmitted, {} received, {}% packet loss",
        count as usize - lost,
        loss.trim_end_matches(".0")
    );
    assert!(out.stdout.contains(&summary), "{summary} in {}", out.stdout);
    // The server's log says the same (it is collected by another thread: allow it to
    // catch up with the last ping).
    let deadline = std::time::Instant::now() + PATIENCE;
    let mut log = server.stderr_so_far();
    while log.lines().filter(|l| l.contains(" Ping ")).count() < count as usize
        && std::time::Instant::now() < deadline
    {
        thread::sleep(Duration::from_millis(10));
        log = server.stderr_so_far();
    }
    assert_eq!(log.matches(": lost   Ping ").count(), lost, "{log}");
    assert_eq!(
        log.matches(": echoed Ping ").count(),
        count as usize - lost,
        "{log}"
    );
    assert!(
        log.starts_with(&format!("losing 30% of pings; seed {seed} ")),
        "{log}"
    );
}

#[test]
fn the_assignments_python_client_gets_capitalised_replies() {
    let server = server("0", "5");
    let python = require_tool("python3");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/ping_client.py");
    let port = server.addr.port().to_string();
    let out = run(python.to_str().unwrap(), &[script, &port, "3"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "PING 1 rtt ok\nPING 2 rtt ok\nPING 3 rtt ok\n");
}

#[test]
fn a_late_reply_is_not_taken_for_the_next_pings_reply() {
    // A server that answers ping 1 after the client has given up on it, then ping 2 at once.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    let port = socket.local_addr().unwrap().port().to_string();
    let slow = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let (n, client) = socket.recv_from(&mut buf).unwrap();
        let first = buf[..n].to_ascii_uppercase();
        thread::sleep(Duration::from_millis(1300));
        socket.send_to(b"unrelated noise", client).unwrap();
        socket.send_to(&first, client).unwrap();
        let (n, _) = socket.recv_from(&mut buf).unwrap();
        socket
            .send_to(&buf[..n].to_ascii_uppercase(), client)
            .unwrap();
    });
    let out = run(
        PINGER,
        &["client", "--port", &port, "--count", "2", "--timeout", "1"],
        b"",
    );
    slow.join().unwrap();
    assert_eq!(outcomes(&out.stdout), [None, Some(2)], "{out:?}");
}

#[test]
fn odd_datagrams_are_echoed_as_bytes_and_the_server_carries_on() {
    let server = server("0", "3");
    let peer = server.udp_peer();
    let mut buf = [0u8; 4096];
    for datagram in [&b"\xff\xfe invalid utf-8 \x00"[..], b"", &[b'a'; 3000]] {
        peer.send(datagram).unwrap();
        let n = peer.recv(&mut buf).unwrap();
        let expected = datagram[..datagram.len().min(2048)].to_ascii_uppercase();
        assert_eq!(&buf[..n], &expected[..]);
    }
}

#[test]
fn a_datagram_cannot_forge_or_garble_the_servers_log() {
    let server = server("0", "3");
    let peer = server.udp_peer();
    peer.send(b"ping\n127.0.0.1:9: echoed forged\x1b[2J\n")
        .unwrap();
    let mut buf = [0u8; 100];
    peer.recv(&mut buf).unwrap();
    let log =
        server.wait_for_stderr(r"echoed ping\n127.0.0.1:9: echoed forged\u{1b}[2J");
    assert!(
        !log.lines().any(|line| line.starts_with("127.0.0.1:9:"))
            && !log.contains('\x1b'),
        "{log}"
    );
}

#[test]
fn no_server_is_one_clear_line_and_exit_status_1() {
    // A UDP port nobody has bound: the kernel answers with ICMP port unreachable.
    let port = {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port().to_string()
    };
    let out = run(PINGER, &["client", "--port", &port, "--count", "3"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "udp_pinger: nothing is listening on 127.0.0.1:{port}; start the server first, or check --host and --port\n"
        )
    );
}

#[test]
fn over_ipv6_too() {
    let server = Server::start(
        PINGER,
        &["server", "--host", "::1", "--port", "0", "--drop", "0"],
    );
    let port = server.addr.port().to_string();
    let out = run(
        PINGER,
        &["client", "--host", "::1", "--port", &port, "--count", "2"],
        b"",
    );
    assert_eq!(outcomes(&out.stdout), [Some(1), Some(2)], "{out:?}");
}

#[test]
fn a_drop_rate_over_100_is_a_usage_error() {
    let out = run(PINGER, &["server", "--drop", "101"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("101"), "{out:?}");
}

#[test]
fn sigterm_and_sigint_end_the_server_at_once_with_status_0() {
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let mut server = server("0", "1");
        let peer = server.udp_peer();
        let mut buf = [0u8; 64];
        peer.send(b"ping 1").unwrap();
        let n = peer.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"PING 1");
        let signalled = Instant::now();
        server.signal(signal as i32);
        let status = server.wait_for_exit();
        assert_eq!(status.code(), Some(0), "{signal}: {status:?}");
        assert!(signalled.elapsed() < Duration::from_secs(2), "{signal}");
        server.wait_for_stderr(&format!("{signal}: stopping"));
        // Nobody answers any more: the kernel says the port is closed.
        peer.send(b"ping 2").unwrap();
        let after = peer.recv(&mut buf).unwrap_err();
        assert_eq!(after.kind(), ErrorKind::ConnectionRefused, "{signal}");
    }
}
