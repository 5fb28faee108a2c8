//! syslog_server as a black box, fed by `logger` (from bsdutils) and by raw sockets.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use netkit::Signal;
use testkit::{Server, require_tool, run};

const SERVER: &str = env!("CARGO_BIN_EXE_syslog_server");

fn logger(server: &Server, args: &[&str]) {
    let logger = require_tool("logger");
    let port = server.addr.port().to_string();
    let mut all = vec!["--server", "127.0.0.1", "--port", &port];
    all.extend_from_slice(args);
    let out = run(logger.to_str().unwrap(), &all, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
}

/// Waits (bounded) until the server's log on stderr mentions `needle`: stderr is
/// collected by another thread, so it may lag behind what stdout has shown.
fn log_mentions(server: &Server, needle: &str) -> bool {
    let deadline = Instant::now() + testkit::PATIENCE;
    while Instant::now() < deadline {
        if server.stderr_so_far().contains(needle) {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

/// The next printed message, without the sender's address.
fn next_message(server: &Server) -> String {
    let line = server.next_stdout_line().expect("a message line");
    let (peer, rest) = line.split_once(' ').unwrap();
    assert!(peer.starts_with("127.0.0.1:"), "{line}");
    rest.to_owned()
}

#[test]
fn logger_over_udp_rfc5424_and_rfc3164() {
    let server = Server::start(SERVER, &["--port", "0"]);
    logger(
        &server,
        &[
            "--udp",
            "-p",
            "local3.warning",
            "-t",
            "mytag",
            "hello over udp",
        ],
    );
    let line = next_message(&server);
    assert!(line.starts_with("local3.warning 20"), "{line}");
    assert!(line.ends_with(" mytag: hello over udp"), "{line}");
    logger(
        &server,
        &[
            "--udp",
            "--rfc3164",
            "-p",
            "mail.err",
            "-t",
            "bsd",
            "old style",
        ],
    );
    let line = next_message(&server);
    assert!(line.starts_with("mail.err "), "{line}");
    assert!(line.ends_with(" bsd: old style"), "{line}");
}

#[test]
fn logger_over_tcp_with_both_framings() {
    let server = Server::start(SERVER, &["--tcp", "--port", "0"]);
    logger(
        &server,
        &["--tcp", "-p", "daemon.info", "-t", "lf", "newline framed"],
    );
    let line = next_message(&server);
    assert!(
        line.starts_with("daemon.info ") && line.ends_with(" lf: newline framed"),
        "{line}"
    );
    logger(
        &server,
        &[
            "--tcp",
            "--octet-count",
            "-p",
            "auth.crit",
            "-t",
            "oc",
            "counted",
        ],
    );
    let line = next_message(&server);
    assert!(
        line.starts_with("auth.crit ") && line.ends_with(" oc: counted"),
        "{line}"
    );
}

#[test]
fn every_facility_and_severity_name_over_udp() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let peer = server.udp_peer();
    for (pri, name) in [
        (0, "kern.emerg"),
        (9, "user.alert"),
        (43, "syslog.err"),
        (86, "authpriv.info"),
        (191, "local7.debug"),
    ] {
        peer.send(format!("<{pri}>x: y").as_bytes()).unwrap();
        assert_eq!(next_message(&server), format!("{name} x: y"));
    }
}

#[test]
fn bad_pris_garbage_and_forged_lines_are_shown_safely() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let peer = server.udp_peer();
    for datagram in [
        &b"<192>too high"[..],
        b"<01>zero",
        b"<13 no close",
        b"plain text",
    ] {
        peer.send(datagram).unwrap();
        let line = next_message(&server);
        assert!(line.starts_with("user.notice "), "{line}");
    }
    // A newline inside a message cannot start a line of its own in the output.
    peer.send(b"<13>real\n127.0.0.1:1 kern.emerg forged\x1b[2J\xff")
        .unwrap();
    assert_eq!(
        next_message(&server),
        "user.notice real\\n127.0.0.1:1 kern.emerg forged\\x1b[2J\u{FFFD}"
    );
    peer.send(b"").unwrap();
    assert_eq!(next_message(&server), "user.notice ");
    assert!(log_mentions(
        &server,
        "no valid <PRI>; shown as user.notice"
    ));
}

#[test]
fn concurrent_tcp_senders_never_mix_their_lines() {
    let server = Server::start(SERVER, &["--tcp", "--port", "0"]);
    let addr = server.addr;
    let senders: Vec<_> = (0..4)
        .map(|n| {
            thread::spawn(move || {
                let mut conn = testkit::connect(addr);
                for i in 0..300 {
                    let text =
                        format!("<14>sender{n}: message {i} {}\n", "=".repeat(200));
                    conn.write_all(text.as_bytes()).unwrap();
                }
                conn.shutdown(Shutdown::Write).unwrap();
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let mut counts = [0; 4];
    for _ in 0..1200 {
        let line = next_message(&server);
        let rest = line.strip_prefix("user.info sender").expect(&line);
        let n: usize = rest[..1].parse().unwrap();
        assert!(line.ends_with(&format!(" {}", "=".repeat(200))), "{line}");
        counts[n] += 1;
    }
    assert_eq!(counts, [300; 4]);
}

#[test]
fn over_long_tcp_messages_are_skipped_and_the_stream_goes_on() {
    let server = Server::start(SERVER, &["--tcp", "--port", "0"]);
    let mut conn = server.connect();
    let long = "x".repeat(20_000);
    let stream = format!(
        "<13>{long}\n<13>after the long line\n20000 {long}<13>after the long frame\n"
    );
    conn.write_all(stream.as_bytes()).unwrap();
    // The counted frame's 20000 bytes are skipped exactly; what follows them is read as
    // the next (newline-framed) message.
    conn.shutdown(Shutdown::Write).unwrap();
    assert_eq!(next_message(&server), "user.notice after the long line");
    assert_eq!(next_message(&server), "user.notice after the long frame");
    assert!(log_mentions(&server, "a message over 8192 bytes, skipped"));
}

#[test]
fn a_bad_octet_count_drops_that_sender_only() {
    let server = Server::start(SERVER, &["--tcp", "--port", "0"]);
    let mut bad = server.connect();
    bad.write_all(b"12x4 <13>junk\n").unwrap();
    assert_eq!(testkit::read_to_close(&mut bad), b"");
    let mut good = server.connect();
    good.write_all(b"<13>still here\n").unwrap();
    assert_eq!(next_message(&server), "user.notice still here");
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let server = Server::start(SERVER, &["--tcp", "--port", "0"]);
    let port = server.addr.port().to_string();
    testkit::assert_port_in_use_error(SERVER, &port, &["--tcp"]);
}

/// Waits (bounded) until connecting is refused: the server has closed its listener.
fn wait_until_refused(server: &Server) {
    let deadline = Instant::now() + testkit::PATIENCE;
    while TcpStream::connect_timeout(&server.addr, testkit::PATIENCE).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the server still accepts connections"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_over_tcp_lets_a_sender_finish_and_prints_what_it_sent_after() {
    let mut server =
        Server::start(SERVER, &["--port", "0", "--tcp", "--grace", "10"]);
    let mut sender = server.connect();
    sender.write_all(b"<13>before the signal\n").unwrap();
    assert_eq!(next_message(&server), "user.notice before the signal");
    server.signal(Signal::SIGTERM as i32);
    wait_until_refused(&server);
    sender.write_all(b"<11>after the signal\n").unwrap();
    sender.shutdown(Shutdown::Write).unwrap();
    assert_eq!(next_message(&server), "user.err after the signal");
    let start = Instant::now();
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    // stderr is collected by another thread: wait for each line, bounded.
    server.wait_for_stderr("SIGTERM: no new connections");
    server.wait_for_stderr("closed after 2 messages");
    server.wait_for_stderr("every client has finished");
}

#[test]
fn a_sender_that_stays_is_cut_off_after_the_grace_period_and_nothing_is_lost() {
    let mut server =
        Server::start(SERVER, &["--port", "0", "--tcp", "--grace", "1"]);
    let mut sender = server.connect();
    sender.write_all(b"<13>one\n").unwrap();
    assert_eq!(next_message(&server), "user.notice one");
    let signalled = Instant::now();
    server.signal(Signal::SIGINT as i32);
    wait_until_refused(&server);
    // Sent during the grace period by a sender that never closes: still printed.
    sender.write_all(b"<13>two\n9 <13>three").unwrap();
    let status = server.wait_for_exit();
    let took = signalled.elapsed();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    let rest: Vec<String> = server
        .remaining_lines()
        .iter()
        .map(|line| line.split_once(' ').unwrap().1.to_owned())
        .collect();
    assert_eq!(rest, ["user.notice two", "user.notice three"]);
    // The sender sees its connection end.
    assert_eq!(testkit::read_to_close(&mut sender), b"");
    // stderr is collected by another thread: wait for each line, bounded.
    server.wait_for_stderr("SIGINT: no new connections");
    server.wait_for_stderr("cut off after 3 messages");
}

#[test]
fn over_udp_sigterm_ends_the_server_at_once_with_status_0() {
    let mut server = Server::start(SERVER, &["--port", "0"]);
    let peer = server.udp_peer();
    peer.send(b"<13>still here").unwrap();
    assert_eq!(next_message(&server), "user.notice still here");
    let signalled = Instant::now();
    server.signal(Signal::SIGTERM as i32);
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(signalled.elapsed() < Duration::from_secs(2));
    server.wait_for_stderr("SIGTERM: stopping");
}

// ANCHOR: idle_lockout
/// 64 connections that never send a byte (the default --max-clients) must not lock
/// out a sender: it takes the place of the connection idle the longest.
#[test]
fn a_sender_is_logged_with_sixty_four_idle_connections_open() {
    let server = Server::start(SERVER, &["--tcp", "--port", "0"]);
    let idle: Vec<TcpStream> = (0..64).map(|_| server.connect()).collect();
    server.wait_for_stderr_count(": connected", 64);
    let mut sender = server.connect();
    sender.write_all(b"<13>a real sender\n").unwrap();
    assert_eq!(next_message(&server), "user.notice a real sender");
    let log = server.wait_for_stderr("to make room for");
    assert!(log.contains("s idle, to make room for 127.0.0.1:"), "{log}");
    // One idle connection was closed for it; the other 63 are still open.
    drop(idle);
}
// ANCHOR_END: idle_lockout

#[test]
fn at_the_limit_the_idle_connection_goes_not_the_one_that_sends() {
    let server =
        Server::start(SERVER, &["--tcp", "--port", "0", "--max-clients", "2"]);
    let mut active = server.connect();
    let mut quiet = server.connect();
    server.wait_for_stderr_count(": connected", 2);
    active.write_all(b"<13>one\n").unwrap();
    assert_eq!(next_message(&server), "user.notice one");
    let mut newcomer = server.connect();
    // The quiet one is closed to make room: it reads the end of the stream.
    assert_eq!(testkit::read_to_close(&mut quiet), b"");
    newcomer.write_all(b"<13>new\n").unwrap();
    assert_eq!(next_message(&server), "user.notice new");
    active.write_all(b"<13>two\n").unwrap();
    assert_eq!(next_message(&server), "user.notice two");
    server.wait_for_stderr("closed to make room after 0 messages");
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() {
    let server =
        Server::start(SERVER, &["--tcp", "--port", "0", "--idle-timeout", "1"]);
    let mut silent = server.connect();
    let started = Instant::now();
    assert_eq!(testkit::read_to_close(&mut silent), b"");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "{took:?}");
    server.wait_for_stderr("closed, nothing received for 1 s");
}
